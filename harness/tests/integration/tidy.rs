//! House rules as tests (in the manner of rust-analyzer's `tidy`): the rooms
//! of `harness/src` import only the rooms above them in `lib.rs`, `model/`
//! imports nothing of the project, and no test is switched off.

use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

/// The rooms in the order `lib.rs` declares them.
fn rooms() -> Vec<String> {
    std::fs::read_to_string(src().join("lib.rs"))
        .unwrap()
        .lines()
        .filter_map(|l| l.strip_prefix("pub mod "))
        .map(|m| m.trim_end_matches(';').to_string())
        .collect()
}

/// The rooms a room's code (tests aside) names as `crate::<room>`.
fn imports_of(room: &str, rooms: &[String]) -> Vec<(String, PathBuf)> {
    let file = src().join(format!("{room}.rs"));
    let files = if file.exists() {
        vec![file]
    } else {
        rust_files(&src().join(room))
    };
    let mut found = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        for other in rooms.iter().filter(|r| *r != room) {
            let named = [
                format!("crate::{other}::"),
                format!("crate::{other}}}"),
                format!("crate::{other};"),
            ];
            if named.iter().any(|n| code.contains(n.as_str())) {
                found.push((other.clone(), f.clone()));
            }
        }
    }
    found
}

#[test]
fn every_room_imports_only_the_rooms_above_it() {
    let rooms = rooms();
    assert!(rooms.len() >= 10, "{rooms:?}");
    let mut upward = Vec::new();
    for (i, room) in rooms.iter().enumerate() {
        for (other, file) in imports_of(room, &rooms) {
            let j = rooms.iter().position(|r| *r == other).unwrap();
            if j > i {
                upward.push(format!(
                    "{}: `{room}` imports `{other}`, below it",
                    file.display()
                ));
            }
        }
    }
    assert!(
        upward.is_empty(),
        "imports that point up:\n{}",
        upward.join("\n")
    );
}

#[test]
fn the_model_imports_nothing_of_the_project() {
    let found = imports_of("model", &rooms());
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn no_test_is_switched_off() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = rust_files(&root.join("harness"));
    files.extend(rust_files(&root.join("scenarios")));
    let off: Vec<String> = files
        .iter()
        .filter(|f| {
            let text = std::fs::read_to_string(f).unwrap();
            // Spelled in two halves, so this file does not name them itself.
            let (ignore, should_panic) = (concat!("#[", "ignore"), concat!("#[", "should_panic"));
            text.contains(ignore) || text.contains(should_panic)
        })
        .map(|f| f.display().to_string())
        .collect();
    assert!(off.is_empty(), "{off:?}");
}

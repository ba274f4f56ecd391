//! Go programs built with the machine's Go from the Go module proxy, from the
//! small modules under `harness/go/` (go.mod + go.sum, no upstream code).

use std::path::{Path, PathBuf};
use std::process::Command;

use super::versions::GoProgram;
use super::{Step, cached, run_logged, which};
use crate::error::{Error, IoContext, Result};

pub fn binary_path(cache: &Path, p: &GoProgram, binary: &str) -> PathBuf {
    build_dir(cache, p).join("bin").join(binary)
}

fn build_dir(cache: &Path, p: &GoProgram) -> PathBuf {
    cache.join("go").join(format!("{}-{}", p.name, p.version))
}

pub fn is_built(cache: &Path, p: &GoProgram) -> bool {
    p.binaries
        .iter()
        .all(|(b, _)| binary_path(cache, p, b).exists())
}

/// Builds whatever binary of `p` is missing; returns the folder holding them.
pub fn ensure(cache: &Path, p: &GoProgram) -> Result<PathBuf> {
    let bin_dir = build_dir(cache, p).join("bin");
    if is_built(cache, p) {
        cached(format!("{} {} {}", p.name, p.version, bin_dir.display()));
        return Ok(bin_dir);
    }
    let Some(go) = which("go") else {
        return Err(Error::toolchain(
            p.name,
            "Go is not installed: it builds the Go programs from the Go module proxy; install Go 1.26+ (https://go.dev/doc/install)",
        ));
    };
    let dir = build_dir(cache, p);
    let src = dir.join("src");
    std::fs::create_dir_all(&src).context(|| format!("creating {}", src.display()))?;
    let mut files = vec![("go.mod", p.go_mod), ("go.sum", p.go_sum)];
    files.extend(p.main_go.map(|m| ("main.go", m)));
    for (name, text) in files {
        std::fs::write(src.join(name), text)
            .context(|| format!("writing {}/{name}", src.display()))?;
    }
    let go_cmd = |args: &[&str]| {
        let mut cmd = Command::new(&go);
        cmd.args(args)
            .current_dir(&src)
            .env("GOTOOLCHAIN", "local")
            .env("CGO_ENABLED", "0")
            .env("GOFLAGS", "-mod=mod");
        cmd
    };
    if p.name == "dex" {
        let step = Step::start("dex: preparing the api/v2 shim");
        super::dex_shim::apply(&src, &go_cmd, &dir)?;
        step.done("dex: api/v2 v2.4.0 + compile-only shim");
    }
    let ldflags = p.ldflags.split_whitespace().collect::<Vec<_>>().join(" ");
    for (binary, package) in p.binaries {
        let out = binary_path(cache, p, binary);
        if out.exists() {
            continue;
        }
        let step = Step::start(format!(
            "building {binary} ({} {}) with {}: first time only, may take minutes",
            p.module,
            p.version,
            go.display()
        ));
        let out_s = out.to_string_lossy().to_string();
        run_logged(
            p.name,
            &mut go_cmd(&[
                "build",
                "-trimpath",
                "-ldflags",
                &ldflags,
                "-o",
                &out_s,
                package,
            ]),
            &dir.join(format!("build-{binary}.log")),
        )?;
        step.done(format!("{binary} {} built: {}", p.version, out.display()));
    }
    Ok(bin_dir)
}

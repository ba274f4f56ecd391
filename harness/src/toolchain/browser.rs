//! Chromium and chromedriver from Debian's packages: found on PATH, or
//! installed with apt-get when running as root.

use std::path::PathBuf;
use std::process::Command;

use super::versions::BROWSER_PACKAGES;
use super::{Step, cache_dir, cached, is_root, run_logged, which};
use crate::error::{Error, Result};

pub fn ensure() -> Result<(PathBuf, PathBuf)> {
    if let (Some(chromium), Some(driver)) = (which("chromium"), which("chromedriver")) {
        cached(format!("chromium {}", chromium.display()));
        return Ok((chromium, driver));
    }
    let command = format!(
        "apt-get update && apt-get install -y {}",
        BROWSER_PACKAGES.join(" ")
    );
    if !is_root() || which("apt-get").is_none() {
        return Err(Error::toolchain(
            "chromium",
            format!("chromium and chromedriver are not installed; run as root: {command}"),
        ));
    }
    let step = Step::start(format!(
        "installing {} with apt-get",
        BROWSER_PACKAGES.join(" ")
    ));
    let log = cache_dir().join("apt-get.log");
    run_logged(
        "chromium",
        Command::new("sh")
            .arg("-c")
            .arg(&command)
            .env("DEBIAN_FRONTEND", "noninteractive"),
        &log,
    )?;
    match (which("chromium"), which("chromedriver")) {
        (Some(chromium), Some(driver)) => {
            step.done(format!(
                "chromium + chromedriver installed ({})",
                chromium.display()
            ));
            Ok((chromium, driver))
        }
        _ => Err(Error::toolchain(
            "chromium",
            format!(
                "`{command}` ran but chromium/chromedriver are still not on PATH (log: {})",
                log.display()
            ),
        )),
    }
}

/// Debian's `faketime` (libfaketime), for clock-skew faults on a program
/// that reads the time through libc (Keycloak's JVM does; Go programs do not).
pub fn ensure_faketime() -> Result<PathBuf> {
    if let Some(found) = which("faketime") {
        return Ok(found);
    }
    if !is_root() || which("apt-get").is_none() {
        return Err(Error::toolchain(
            "faketime",
            "faketime is not installed; run as root: apt-get install faketime",
        ));
    }
    super::apt_install("faketime", "faketime")?;
    let found = which("faketime")
        .ok_or_else(|| Error::toolchain("faketime", "apt-get ran but faketime is not on PATH"))?;
    Ok(found)
}

//! A Docker engine for the container backend: the machine's, or Debian's
//! `docker.io` installed and started by the harness (as root, with apt-get).
//! The engine it starts uses the vfs storage driver and no bridge or
//! iptables (containers use the host's network), which any Linux machine or
//! CI runner allows; it stays running for later runs, as a service would.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::{Step, is_root, which};
use crate::error::{Error, Result};

fn engine_answers() -> bool {
    Command::new("docker")
        .args(["info", "--format", "{{.ServerVersion}}"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Makes sure `docker` reaches an engine; installs and starts one if it can.
pub fn ensure_engine() -> Result<()> {
    if which("docker").is_some() && engine_answers() {
        return Ok(());
    }
    if !is_root() || which("apt-get").is_none() {
        return Err(Error::toolchain(
            "docker",
            "the container backend needs a Docker engine: `docker info` does not answer, and only root with apt-get lets the harness install one (apt-get install docker.io)",
        ));
    }
    let cache = super::cache_dir();
    std::fs::create_dir_all(&cache).ok();
    if which("dockerd").is_none() {
        super::apt_install("docker", "docker.io")?;
    }
    let step = Step::start("starting dockerd (vfs storage, host networking only)");
    let log = cache.join("dockerd.log");
    let out = std::fs::File::create(&log)
        .map_err(|e| Error::toolchain("docker", format!("creating {}: {e}", log.display())))?;
    let err = out
        .try_clone()
        .map_err(|e| Error::toolchain("docker", e.to_string()))?;
    let mut cmd = Command::new("dockerd");
    cmd.args(["--storage-driver=vfs", "--iptables=false", "--bridge=none"])
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err);
    // A service of the machine: its own session, it outlives this run.
    crate::infra::process::in_own_session(&mut cmd);
    cmd.spawn()
        .map_err(|e| Error::toolchain("docker", format!("cannot run dockerd: {e}")))?;
    let deadline = Instant::now() + Duration::from_secs(90);
    while !engine_answers() {
        if Instant::now() > deadline {
            return Err(Error::toolchain(
                "docker",
                format!(
                    "dockerd did not answer within 90s; last lines of {}:\n{}",
                    log.display(),
                    crate::infra::process::log_tail(&log, 20)
                ),
            ));
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    step.done(format!("dockerd running (log {})", log.display()));
    Ok(())
}

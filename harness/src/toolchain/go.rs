//! Go programs built with the machine's Go from the Go module proxy, from the
//! small modules under `harness/go/` (go.mod + go.sum, no upstream code).

use std::path::{Path, PathBuf};
use std::process::Command;

use super::versions::GoProgram;
use super::{Step, cached, run_logged, which};
use crate::error::{Error, IoContext, Result};

pub fn binary_path(cache: &Path, p: &GoProgram) -> PathBuf {
    build_dir(cache, p).join("bin").join(p.name)
}

fn build_dir(cache: &Path, p: &GoProgram) -> PathBuf {
    cache.join("go").join(format!("{}-{}", p.name, p.version))
}

pub fn ensure(cache: &Path, p: &GoProgram) -> Result<PathBuf> {
    let bin = binary_path(cache, p);
    if bin.exists() {
        cached(format!("{} {} {}", p.name, p.version, bin.display()));
        return Ok(bin);
    }
    let Some(go) = which("go") else {
        return Err(Error::toolchain(
            p.name,
            "Go is not installed: it builds the Go programs from the Go module proxy; install Go 1.25+ (https://go.dev/doc/install or `apt-get install golang-go`)",
        ));
    };
    let dir = build_dir(cache, p);
    let src = dir.join("src");
    std::fs::create_dir_all(&src).context(|| format!("creating {}", src.display()))?;
    std::fs::write(src.join("go.mod"), p.go_mod)
        .context(|| format!("writing {}/go.mod", src.display()))?;
    std::fs::write(src.join("go.sum"), p.go_sum)
        .context(|| format!("writing {}/go.sum", src.display()))?;
    let step = Step::start(format!(
        "building {} {} with {} (first time only)",
        p.name,
        p.version,
        go.display()
    ));
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
        step.message(format!("building {}: preparing the api/v2 shim", p.name));
        super::dex_shim::apply(&src, &go_cmd, &dir)?;
        step.message(format!(
            "building {} {} (first time only)",
            p.name, p.version
        ));
    }
    let out = bin.to_string_lossy().to_string();
    // Dex prints `main.version`; other programs ignore the flag.
    let ldflags = format!("-X main.version={}", p.version);
    run_logged(
        p.name,
        &mut go_cmd(&[
            "build",
            "-trimpath",
            "-ldflags",
            &ldflags,
            "-o",
            &out,
            p.package,
        ]),
        &dir.join("build.log"),
    )?;
    step.done(format!("{} {} built: {}", p.name, p.version, bin.display()));
    Ok(bin)
}

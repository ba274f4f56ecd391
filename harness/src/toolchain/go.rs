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
    binaries_built(cache, p) && (p.name != "dex" || config_keys_path(cache, p).exists())
}

fn binaries_built(cache: &Path, p: &GoProgram) -> bool {
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
    let mut files = vec![("go.mod", p.go_mod.as_str())];
    files.extend(p.go_sum.map(|s| ("go.sum", s)));
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
    let compile = !binaries_built(cache, p);
    if compile && p.overridden {
        // An override has no go.sum of ours: resolve its graph afresh.
        let step = Step::start(format!(
            "{}: resolving {} {} (go mod tidy)",
            p.name, p.module, p.version
        ));
        run_logged(p.name, &mut go_cmd(&["mod", "tidy"]), &dir.join("tidy.log"))?;
        step.done(format!("{} {} resolved", p.module, p.version));
    }
    if compile && p.name == "dex" {
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
    if p.name == "dex" && !config_keys_path(cache, p).exists() {
        write_config_keys(cache, p, &go, &go_cmd)?;
    }
    Ok(bin_dir)
}

/// The config keys of the Dex built for `p`, generated from its source.
pub fn config_keys_path(cache: &Path, p: &GoProgram) -> PathBuf {
    build_dir(cache, p).join("config-keys.json")
}

/// Runs `harness/go/dexkeys` on the Dex module source this build used, so the
/// static check of a Dex config knows the keys of the Dex that runs.
fn write_config_keys(
    cache: &Path,
    p: &GoProgram,
    go: &Path,
    go_cmd: &dyn Fn(&[&str]) -> Command,
) -> Result<()> {
    let dir = build_dir(cache, p);
    let out = go_cmd(&[
        "mod",
        "download",
        "-json",
        &format!("{}@{}", p.module, p.version),
    ])
    .output()
    .map_err(|e| Error::toolchain(p.name, format!("go mod download: {e}")))?;
    let info: serde_json::Value = serde_json::from_slice(&out.stdout).map_err(|e| {
        Error::toolchain(
            p.name,
            format!(
                "go mod download -json {}: {e}: {}",
                p.module,
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    })?;
    let Some(source) = info["Dir"].as_str() else {
        return Err(Error::toolchain(
            p.name,
            format!("go mod download gave no Dir: {info}"),
        ));
    };
    let tool = cache.join("go").join("dexkeys");
    std::fs::create_dir_all(&tool).context(|| format!("creating {}", tool.display()))?;
    for (name, text) in [
        ("go.mod", include_str!("../../go/dexkeys/go.mod")),
        ("main.go", include_str!("../../go/dexkeys/main.go")),
    ] {
        std::fs::write(tool.join(name), text)
            .context(|| format!("writing {}/{name}", tool.display()))?;
    }
    let keys = config_keys_path(cache, p);
    let file = std::fs::File::create(&keys).context(|| format!("creating {}", keys.display()))?;
    let status = Command::new(go)
        .args(["run", ".", source])
        .current_dir(&tool)
        .env("GOTOOLCHAIN", "local")
        .stdout(file)
        .stderr(
            std::fs::File::create(dir.join("dexkeys.log"))
                .context(|| "creating dexkeys.log".to_string())?,
        )
        .status()
        .map_err(|e| Error::toolchain(p.name, format!("go run dexkeys: {e}")))?;
    if !status.success() {
        let _ = std::fs::remove_file(&keys);
        return Err(Error::toolchain(
            p.name,
            format!(
                "reading Dex's config keys from {source} failed:\n{}",
                crate::infra::process::log_tail(&dir.join("dexkeys.log"), 20)
            ),
        ));
    }
    Ok(())
}

//! Container images for the container backend.
//!
//! By default the backend runs the official images (`versions.toml`: `image`
//! and `image_tag`; `OIDC_HARNESS_<PROGRAM>_IMAGE` overrides one). Where no
//! registry can be reached, `OIDC_HARNESS_IMAGES=local` (what the
//! `containers/` tests use) runs images built here from the same programs the
//! native backend installs, in the official images' layout, tagged
//! `oidc-harness-local/<program>:<version>`, never with an official name:
//! - dex: `FROM scratch`, `/usr/local/bin/dex`, run as `dex serve <config>`;
//! - oauth2-proxy: `FROM scratch`, entrypoint `/bin/oauth2-proxy`;
//! - keycloak: a minimal Debian root filesystem (`mmdebstrap --variant=minbase`
//!   and `docker import`), the JDK at `/opt/java/openjdk`, Keycloak at
//!   `/opt/keycloak` (already built `--db=dev-mem`), entrypoint
//!   `/opt/keycloak/bin/kc.sh`.
//!
//! What differs from the official images: Dex's has a `docker-entrypoint`
//! (gomplate templating of the config) and web assets under `/srv/dex/web`
//! (the binary embeds the same); Keycloak's is UBI 9 with its own JDK 21 and
//! is built with the default build options, so it re-runs its build at start
//! for `--db=dev-mem` while the local one need not; the official images run
//! as their own users (the backend runs every image as the harness's user).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use super::{Programs, Step, cache_dir, run_logged, versions, which};
use crate::error::{Error, Result};

pub const LOCAL_PREFIX: &str = "oidc-harness-local";
pub const IMAGES_ENV: &str = "OIDC_HARNESS_IMAGES";

static LOCAL: OnceLock<bool> = OnceLock::new();

/// Chooses local images for this process (the `containers/` tests).
pub fn select_local() {
    let _ = LOCAL.set(true);
}

/// Whether this process runs the local images instead of the official ones.
pub fn local() -> bool {
    LOCAL
        .get()
        .copied()
        .unwrap_or_else(|| std::env::var(IMAGES_ENV).is_ok_and(|v| v == "local"))
}

/// The image reference `program` runs from.
pub fn reference(program: &str) -> String {
    let pin = versions::pin(program);
    let env = pin.env.replace("_VERSION", "_IMAGE");
    if let Ok(set) = std::env::var(env).map(|v| v.trim().to_string())
        && !set.is_empty()
    {
        return set;
    }
    if local() {
        return format!("{LOCAL_PREFIX}/{program}:{}", pin.version);
    }
    pin.image
        .unwrap_or_else(|| panic!("versions.toml has no image for {program}"))
}

fn exists(reference: &str) -> bool {
    Command::new("docker")
        .args(["image", "inspect", reference])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Builds the local images that are missing (an engine is started if needed).
pub fn ensure_local(programs: &Programs) -> Result<()> {
    super::docker::ensure_engine()?;
    let cache = cache_dir().join("images");
    std::fs::create_dir_all(&cache).ok();
    let dex = format!("{LOCAL_PREFIX}/dex:{}", versions::DEX.version);
    if !exists(&dex) {
        build(
            &dex,
            &cache.join("dex"),
            &[("dex", &programs.dex)],
            "FROM scratch\nCOPY dex /usr/local/bin/dex\nENV PATH=/usr/local/bin\nUSER 1001:1001\n",
        )?;
    }
    let proxy = format!(
        "{LOCAL_PREFIX}/oauth2-proxy:{}",
        versions::OAUTH2_PROXY.version
    );
    if !exists(&proxy) {
        build(
            &proxy,
            &cache.join("oauth2-proxy"),
            &[("oauth2-proxy", &programs.oauth2_proxy)],
            "FROM scratch\nCOPY oauth2-proxy /bin/oauth2-proxy\nUSER 65532:65532\nENTRYPOINT [\"/bin/oauth2-proxy\"]\n",
        )?;
    }
    let keycloak = format!("{LOCAL_PREFIX}/keycloak:{}", versions::KEYCLOAK.version);
    if !exists(&keycloak) {
        let base = debian_base(&cache)?;
        build(
            &keycloak,
            &cache.join("keycloak"),
            &[
                ("openjdk", &programs.java_home),
                ("keycloak", &programs.keycloak.home),
            ],
            &format!(
                "FROM {base}\nCOPY openjdk /opt/java/openjdk\nCOPY keycloak /opt/keycloak\n\
                 RUN chmod 755 /opt/keycloak/bin/*.sh\n\
                 ENV JAVA_HOME=/opt/java/openjdk PATH=/opt/java/openjdk/bin:/usr/local/bin:/usr/bin:/bin\n\
                 USER 1000\nENTRYPOINT [\"/opt/keycloak/bin/kc.sh\"]\n"
            ),
        )?;
    }
    Ok(())
}

/// A minimal Debian (bookworm) as a local base image, made once.
fn debian_base(cache: &Path) -> Result<String> {
    let reference = format!("{LOCAL_PREFIX}/debian:bookworm-minbase");
    if exists(&reference) {
        return Ok(reference);
    }
    let tar = cache.join("debian-bookworm-minbase.tar");
    if !tar.exists() {
        if which("mmdebstrap").is_none() {
            super::apt_install("images", "mmdebstrap")?;
        }
        let step = Step::start("mmdebstrap --variant=minbase bookworm (Keycloak's base image)");
        // mmdebstrap picks the format from the name: keep `.tar` last.
        let partial = tar.with_extension("partial.tar");
        run_logged(
            "images",
            Command::new("mmdebstrap")
                .args(["--variant=minbase", "--include=ca-certificates", "bookworm"])
                .arg(&partial),
            &cache.join("mmdebstrap.log"),
        )?;
        std::fs::rename(&partial, &tar)
            .map_err(|e| Error::toolchain("images", format!("{}: {e}", tar.display())))?;
        step.done(format!("Debian root filesystem {}", tar.display()));
    }
    let step = Step::start(format!("docker import {reference}"));
    run_logged(
        "images",
        Command::new("docker")
            .arg("import")
            .arg(&tar)
            .arg(&reference),
        &cache.join("import.log"),
    )?;
    step.done(format!("{reference} imported"));
    Ok(reference)
}

/// `docker build` of `dockerfile` with `files` (name in the context, host path).
fn build(
    reference: &str,
    context: &Path,
    files: &[(&str, &PathBuf)],
    dockerfile: &str,
) -> Result<()> {
    let step = Step::start(format!("building the local image {reference}"));
    let _ = std::fs::remove_dir_all(context);
    std::fs::create_dir_all(context)
        .map_err(|e| Error::toolchain("images", format!("{}: {e}", context.display())))?;
    for (name, from) in files {
        // `cp -a` keeps modes; `-L` follows symlinks out of the folder
        // (a Debian-packaged JDK's `lib/security/cacerts` points into /etc).
        run_logged(
            "images",
            Command::new("cp")
                .arg("-aL")
                .arg(from)
                .arg(context.join(name)),
            &context.with_extension("cp.log"),
        )?;
    }
    std::fs::write(context.join("Dockerfile"), dockerfile)
        .map_err(|e| Error::toolchain("images", format!("{}: {e}", context.display())))?;
    run_logged(
        "images",
        Command::new("docker")
            .args(["build", "-q", "-t", reference])
            .arg(context)
            .env("DOCKER_BUILDKIT", "0"),
        &context.with_extension("build.log"),
    )?;
    let _ = std::fs::remove_dir_all(context);
    step.done(format!("{reference} built"));
    Ok(())
}

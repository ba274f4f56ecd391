//! Keycloak: the server distribution zip from Maven Central (fetched with
//! `mvn`), unpacked into the cache and built once with `kc.sh build`, so that
//! every start is `kc.sh start --optimized`.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::versions::{KEYCLOAK, KEYCLOAK_ARTIFACT};

/// The Keycloak version of this run (the pin or its override).
fn kc() -> &'static str {
    &KEYCLOAK.version
}
use super::{Step, cached, run_logged, which};
use crate::error::{Error, IoContext, Result};

/// Build-time options; start-time options are in `components::keycloak`.
/// dev-mem: each instance has its own in-memory database, so two runs side by
/// side share nothing on disk.
pub const BUILD_OPTIONS: &[&str] = &["--db=dev-mem"];

#[derive(Debug, Clone)]
pub struct KeycloakInstall {
    pub home: PathBuf,
    pub java_home: PathBuf,
}

impl KeycloakInstall {
    pub fn kc_sh(&self) -> PathBuf {
        self.home.join("bin/kc.sh")
    }
}

pub(super) fn home(cache: &Path) -> PathBuf {
    cache
        .join("keycloak")
        .join(kc())
        .join(format!("keycloak-{}", kc()))
}

/// Whether `kc.sh build` has run in the cache (for any JDK).
pub fn is_built(cache: &Path) -> bool {
    home(cache).join(".oidc-harness-build").exists()
}

/// Whether Maven's local repository already has the distribution zip.
pub fn zip_cached() -> bool {
    zip_path().exists()
}

fn zip_path() -> PathBuf {
    std::env::var("HOME")
        .map(PathBuf::from)
        .unwrap_or_default()
        .join(".m2/repository")
        .join(format!(
            "org/keycloak/keycloak-quarkus-dist/{v}/keycloak-quarkus-dist-{v}.zip",
            v = kc()
        ))
}

pub fn ensure(cache: &Path, java_home: &Path) -> Result<KeycloakInstall> {
    let kc = kc();
    let home = home(cache);
    let root = home.parent().expect("home has a parent").to_path_buf();
    let install = KeycloakInstall {
        home: home.clone(),
        java_home: java_home.to_path_buf(),
    };
    let marker = home.join(".oidc-harness-build");
    let wanted = format!("{}\n{}", BUILD_OPTIONS.join(" "), java_home.display());
    if std::fs::read_to_string(&marker).is_ok_and(|m| m == wanted) {
        cached(format!("keycloak {kc} {}", home.display()));
        return Ok(install);
    }
    std::fs::create_dir_all(&root).context(|| format!("creating {}", root.display()))?;
    if !install.kc_sh().exists() {
        let zip = fetch_zip(&root)?;
        let step = Step::start(format!("unpacking keycloak {kc}"));
        run_logged(
            "keycloak",
            Command::new("python3")
                .args(["-m", "zipfile", "-e"])
                .arg(&zip)
                .arg(&root),
            &root.join("unzip.log"),
        )?;
        step.done(format!("keycloak {kc} unpacked to {}", home.display()));
    }
    let step = Step::start(format!("kc.sh build {} (once)", BUILD_OPTIONS.join(" ")));
    run_logged(
        "keycloak",
        Command::new("bash")
            .arg(install.kc_sh())
            .arg("build")
            .args(BUILD_OPTIONS)
            .env("JAVA_HOME", java_home),
        &root.join("build.log"),
    )?;
    std::fs::write(&marker, wanted).context(|| format!("writing {}", marker.display()))?;
    step.done(format!("keycloak {kc} built for `start --optimized`"));
    Ok(install)
}

fn fetch_zip(root: &Path) -> Result<PathBuf> {
    let kc = kc();
    let zip = zip_path();
    if zip.exists() {
        return Ok(zip);
    }
    let Some(mvn) = which("mvn") else {
        return Err(Error::toolchain(
            "keycloak",
            "mvn (Maven) is not installed: it fetches Keycloak from Maven Central; `apt-get install maven`",
        ));
    };
    let step = Step::start(format!(
        "fetching {KEYCLOAK_ARTIFACT}:{kc}:zip from Maven Central"
    ));
    run_logged(
        "keycloak",
        Command::new(mvn).args([
            "-B",
            "-q",
            "dependency:get",
            &format!("-Dartifact={KEYCLOAK_ARTIFACT}:{kc}:zip"),
            "-Dtransitive=false",
        ]),
        &root.join("mvn.log"),
    )?;
    if !zip.exists() {
        return Err(Error::toolchain(
            "keycloak",
            format!(
                "mvn finished but {} is missing (a custom local repository?)",
                zip.display()
            ),
        ));
    }
    step.done(format!("keycloak {kc} zip fetched"));
    Ok(zip)
}

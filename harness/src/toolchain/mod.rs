//! Installs the pinned real programs into a cache and finds them again.
//!
//! `ensure()` is idempotent: each program is checked first and only fetched or
//! built when missing, with a progress spinner and one summary line each. The
//! cache is `$OIDC_HARNESS_CACHE`, else `$XDG_CACHE_HOME/oidc-harness`, else
//! `~/.cache/oidc-harness`.

mod browser;
mod dex_shim;
mod docker;
mod go;
pub mod images;
mod java;
mod keycloak;
pub mod versions;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use crate::error::{Error, IoContext, Result};

pub use keycloak::KeycloakInstall;

/// Where every real program is, once installed.
#[derive(Debug, Clone)]
pub struct Programs {
    pub java_home: PathBuf,
    pub java_version: String,
    pub keycloak: KeycloakInstall,
    pub dex: PathBuf,
    pub kube_apiserver: PathBuf,
    pub kubectl: PathBuf,
    pub kube_controller_manager: PathBuf,
    pub etcd: PathBuf,
    /// `kubectl-oidc_login`; its folder goes on kubectl's PATH.
    pub kubelogin: PathBuf,
    pub oauth2_proxy: PathBuf,
    pub chromium: PathBuf,
    pub chromedriver: PathBuf,
    /// Debian's faketime, for the clock-skew faults.
    pub faketime: PathBuf,
}

/// One line of `setup --list`.
#[derive(Debug, Clone)]
pub struct Listed {
    pub program: String,
    /// The version of this run; `pinned` differs when overridden.
    pub version: String,
    pub pinned: String,
    pub env: String,
    pub installed: bool,
    pub path: PathBuf,
    pub source: String,
    pub image: Option<String>,
}

pub fn cache_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("OIDC_HARNESS_CACHE") {
        return PathBuf::from(dir);
    }
    let base = std::env::var("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(std::env::var("HOME").unwrap_or_else(|_| "/tmp".into())).join(".cache")
        });
    base.join("oidc-harness")
}

/// The config keys generated from an overridden Dex's source at its install;
/// `None` for the pinned Dex (its keys are in the source) or before setup.
pub fn dex_config_keys(dex: &versions::GoProgram) -> Option<PathBuf> {
    let path = go::config_keys_path(&cache_dir(), dex);
    (dex.overridden && path.exists()).then_some(path)
}

/// actionlint (the tests lint `ci/nightly.yml` with it), built on first use.
pub fn actionlint() -> Result<PathBuf> {
    let cache = cache_dir();
    std::fs::create_dir_all(&cache)
        .context(|| format!("creating the cache {}", cache.display()))?;
    let _lock = lock(&cache.join(".lock"))?;
    let dir = go::ensure(&cache, &versions::ACTIONLINT)?;
    Ok(dir.join("actionlint"))
}

/// Where setup wrote the config keys it read from the Dex source it built.
pub fn installed_dex_config_keys() -> PathBuf {
    go::config_keys_path(&cache_dir(), &versions::DEX)
}

/// Installs whatever is missing and returns where everything is.
pub fn ensure() -> Result<Programs> {
    let cache = cache_dir();
    std::fs::create_dir_all(&cache)
        .context(|| format!("creating the cache {}", cache.display()))?;
    // One installer at a time per cache: parallel test processes wait here.
    let _lock = lock(&cache.join(".lock"))?;
    preflight(
        &cache,
        std::env::var_os("PATH").unwrap_or_default().as_os_str(),
    )?;
    versions::check_overrides()?;
    let java = java::ensure(&cache)?;
    let keycloak = keycloak::ensure(&cache, &java.home)?;
    for p in versions::go_programs() {
        go::ensure(&cache, p)?;
    }
    let bin = |p: &versions::GoProgram, b: &str| go::binary_path(&cache, p, b);
    let (chromium, chromedriver) = browser::ensure()?;
    let faketime = browser::ensure_faketime()?;
    Ok(Programs {
        java_home: java.home,
        java_version: java.version,
        keycloak,
        dex: bin(&versions::DEX, "dex"),
        kube_apiserver: bin(&versions::KUBERNETES, "kube-apiserver"),
        kubectl: bin(&versions::KUBERNETES, "kubectl"),
        kube_controller_manager: bin(&versions::KUBERNETES, "kube-controller-manager"),
        etcd: bin(&versions::ETCD, "etcd"),
        kubelogin: bin(&versions::KUBELOGIN, "kubectl-oidc_login"),
        oauth2_proxy: bin(&versions::OAUTH2_PROXY, "oauth2-proxy"),
        chromium,
        chromedriver,
        faketime,
    })
}

/// Names, in one message, every tool that installing what is missing needs and
/// the machine lacks, before any long step starts.
pub fn preflight(cache: &Path, path: &std::ffi::OsStr) -> Result<()> {
    let has = |tool: &str| std::env::split_paths(path).any(|d| d.join(tool).is_file());
    let mut missing = Vec::new();
    if !keycloak::is_built(cache) {
        if !keycloak::zip_cached() && !has("mvn") {
            missing.push("mvn (fetches Keycloak from Maven Central): apt-get install maven");
        }
        if !has("python3") {
            missing.push("python3 (unpacks the Keycloak zip): apt-get install python3");
        }
    }
    if versions::go_programs()
        .iter()
        .any(|p| !go::is_built(cache, p))
        && !has("go")
    {
        missing.push("go 1.26+ (builds Dex, Kubernetes, etcd, kubelogin and oauth2-proxy from the Go module proxy): https://go.dev/doc/install");
    }
    let browser_or_installer =
        (has("chromium") && has("chromedriver")) || (is_root() && has("apt-get"));
    if !browser_or_installer {
        missing.push("chromium + chromedriver: as root, apt-get install chromium chromium-driver");
    }
    if missing.is_empty() {
        return Ok(());
    }
    Err(Error::toolchain(
        "setup",
        format!("missing prerequisites:\n  - {}", missing.join("\n  - ")),
    ))
}

/// What `setup --list` prints: every program of the table, the version of
/// this run (overrides applied), whether it is installed and where, without
/// installing anything.
pub fn list() -> Vec<Listed> {
    let cache = cache_dir();
    let mut rows = Vec::new();
    for pin in versions::pins() {
        let path = if pin.program == "keycloak" {
            keycloak::home(&cache)
        } else {
            let go = versions::go_programs()
                .into_iter()
                .chain([&*versions::ACTIONLINT])
                .find(|g| g.name == pin.program)
                .expect("every Go row has a program");
            go::binary_path(&cache, go, go.binaries[0].0)
        };
        let installed = if pin.program == "keycloak" {
            keycloak::is_built(&cache)
        } else {
            path.exists()
        };
        rows.push(Listed {
            program: pin.program,
            version: pin.version,
            pinned: pin.pinned,
            env: pin.env,
            installed,
            path,
            source: pin.source,
            image: pin.image,
        });
    }
    for name in ["chromium", "chromedriver"] {
        let path = which(name);
        rows.push(Listed {
            program: name.into(),
            version: path.as_deref().map(command_version).unwrap_or_default(),
            pinned: String::new(),
            env: String::new(),
            installed: path.is_some(),
            path: path.unwrap_or_default(),
            source: format!("debian:{}", versions::BROWSER_PACKAGES.join(" ")),
            image: None,
        });
    }
    rows
}

fn command_version(path: &Path) -> String {
    Command::new(path)
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "?".into())
}

/// A spinner for one install step; `done` prints the summary line.
pub(crate) struct Step {
    bar: ProgressBar,
    started: Instant,
}

impl Step {
    pub(crate) fn start(message: impl Into<String>) -> Step {
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} [{elapsed}]").expect("valid template"),
        );
        bar.set_message(message.into());
        bar.enable_steady_tick(Duration::from_millis(200));
        Step {
            bar,
            started: Instant::now(),
        }
    }

    pub(crate) fn done(self, summary: impl AsRef<str>) {
        self.bar.finish_and_clear();
        eprintln!("  ✓ {} ({:.0?})", summary.as_ref(), self.started.elapsed());
    }
}

/// A line saying a program was found in the cache: no spinner needed.
pub(crate) fn cached(summary: impl AsRef<str>) {
    tracing::info!("cached: {}", summary.as_ref());
}

/// Runs a command to completion, its output to `log`; on failure the error
/// carries the log's last lines.
pub(crate) fn run_logged(program: &str, cmd: &mut Command, log: &Path) -> Result<()> {
    let file = std::fs::File::create(log).context(|| format!("creating {}", log.display()))?;
    let err = file
        .try_clone()
        .context(|| format!("opening {}", log.display()))?;
    let status = cmd
        .stdout(file)
        .stderr(err)
        .stdin(std::process::Stdio::null())
        .status()
        .map_err(|e| {
            Error::toolchain(program, format!("cannot run {:?}: {e}", cmd.get_program()))
        })?;
    if !status.success() {
        return Err(Error::toolchain(
            program,
            format!(
                "{:?} failed ({status}); last lines of {}:\n{}",
                cmd.get_program(),
                log.display(),
                crate::infra::process::log_tail(log, 30)
            ),
        ));
    }
    Ok(())
}

/// `apt-get install` of Debian `package` (as root), with `apt-get update`
/// first when the package lists are stale; its output to the cache.
pub(crate) fn apt_install(program: &str, package: &str) -> Result<()> {
    let step = Step::start(format!("installing Debian's {package} (apt-get)"));
    let log = cache_dir().join(format!("apt-{package}.log"));
    let install = || {
        run_logged(
            program,
            Command::new("apt-get")
                .args(["install", "-y", "--no-install-recommends", package])
                .env("DEBIAN_FRONTEND", "noninteractive"),
            &log,
        )
    };
    install().or_else(|_| {
        run_logged(
            program,
            Command::new("apt-get").arg("update"),
            &cache_dir().join("apt-update.log"),
        )?;
        install()
    })?;
    step.done(format!("{package} installed"));
    Ok(())
}

pub(crate) fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    })
}

fn lock(path: &Path) -> Result<nix::fcntl::Flock<std::fs::File>> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .context(|| format!("opening {}", path.display()))?;
    nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusive)
        .map_err(|(_, e)| Error::toolchain("cache", format!("locking {}: {e}", path.display())))
}

pub(crate) fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

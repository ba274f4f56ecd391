//! The run: one CA and one Keycloak shared by every case of a test run.
//!
//! nextest runs each test in its own process, so the shared Keycloak is held by
//! a *keeper*: a copy of the current executable started with
//! `OIDC_HARNESS_KEEPER=<state dir>`, in its own session. The first case of a
//! run starts it under a file lock; the others find its `keycloak.json`. The
//! keeper watches the process that runs the tests (nextest, cargo, or the
//! `oidc-harness` CLI) and, when that is gone, kills Keycloak and removes its
//! state. Runs are keyed by `NEXTEST_RUN_ID`, so two runs side by side each
//! have their own.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use nix::unistd::Pid;

pub mod case;
pub(crate) mod cx;
mod signin;
pub(crate) mod steps;
mod verify;

pub use case::run_case;

use crate::error::{Error, IoContext, Result};
use crate::infra::process::{LOG_TAIL_LINES, fresh_endpoint, keep_requested, log_tail};
use crate::infra::tls::Ca;
use crate::programs::keycloak::{Endpoint, Keycloak};
use crate::programs::kube::Cluster;
use crate::toolchain::{self, Programs};

const KEEPER_ENV: &str = "OIDC_HARNESS_KEEPER";
const WATCH_ENV: &str = "OIDC_HARNESS_WATCH_PID";

/// Everything cases of one run share.
pub struct Run {
    pub programs: Programs,
    pub ca: Ca,
    pub keycloak: Keycloak,
    /// The run's state folder (CA, keeper log).
    pub state: PathBuf,
    /// Where the cases' apiservers run.
    pub cluster: Cluster,
    /// The one chromedriver of this process, started when a case first needs a browser.
    driver: tokio::sync::OnceCell<crate::programs::browser::Driver>,
}

/// Which process's death ends the run.
#[derive(Debug, Clone, Copy)]
pub enum Owner {
    /// The test runner that started this test process (nextest or cargo).
    TestRunner,
    /// This very process (the CLI).
    ThisProcess,
}

impl Run {
    /// Joins the run of this process's test runner, starting its Keycloak if
    /// this is the first case to need it. The keeper is this executable, whose
    /// `main` must call [`keeper_main_if_requested`] first.
    pub async fn join(owner: Owner) -> Result<Run> {
        let exe = std::env::current_exe().context(|| "finding the current executable".into())?;
        Run::join_using(owner, &exe).await
    }

    /// [`Run::join`] with another executable as the keeper (for test binaries
    /// whose `main` is libtest's: pass the `oidc-harness` binary).
    pub async fn join_using(owner: Owner, keeper: &Path) -> Result<Run> {
        let programs = tokio::task::spawn_blocking(toolchain::ensure)
            .await
            .map_err(|e| Error::toolchain("setup", e.to_string()))??;
        let (watch, key) = match owner {
            Owner::TestRunner => {
                let parent = nix::unistd::getppid().as_raw();
                let key =
                    std::env::var("NEXTEST_RUN_ID").unwrap_or_else(|_| format!("parent-{parent}"));
                (parent, key)
            }
            Owner::ThisProcess => (
                std::process::id() as i32,
                format!("cli-{}", std::process::id()),
            ),
        };
        let backend = crate::infra::container::backend()?;
        if backend == crate::infra::container::Backend::Containers && toolchain::images::local() {
            let p = programs.clone();
            tokio::task::spawn_blocking(move || toolchain::images::ensure_local(&p))
                .await
                .map_err(|e| Error::toolchain("images", e.to_string()))??;
        }
        // One shared Keycloak per run and backend.
        let state = out_dir()
            .join(".runs")
            .join(format!("{key}-{}", backend.name()));
        std::fs::create_dir_all(&state).context(|| format!("creating {}", state.display()))?;
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(state.join("lock"))
            .context(|| format!("opening {}/lock", state.display()))?;
        let _guard = nix::fcntl::Flock::lock(lock, nix::fcntl::FlockArg::LockExclusive).map_err(
            |(_, e)| Error::toolchain("keycloak", format!("locking {}: {e}", state.display())),
        )?;
        let info_path = state.join("keycloak.json");
        let endpoint = match read_endpoint(&info_path) {
            Some(endpoint) => endpoint,
            None => start_keeper(keeper, &state, watch).await?,
        };
        let ca = Ca::load(&state)?;
        let keycloak = Keycloak::connect(endpoint, &ca)?;
        Ok(Run {
            programs,
            ca,
            keycloak,
            state,
            cluster: Cluster::from_env(),
            driver: tokio::sync::OnceCell::new(),
        })
    }

    /// This process's chromedriver (started on first use; its log beside the run's state).
    pub async fn driver(&self) -> Result<&crate::programs::browser::Driver> {
        self.driver
            .get_or_try_init(|| async {
                let dir = self
                    .state
                    .join(format!("chromedriver-{}", std::process::id()));
                std::fs::create_dir_all(&dir).context(|| format!("creating {}", dir.display()))?;
                crate::programs::browser::Driver::start(&self.programs.chromedriver, &dir).await
            })
            .await
    }
}

fn read_endpoint(path: &Path) -> Option<Endpoint> {
    let (endpoint, keeper): (Endpoint, i32) =
        serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    alive(keeper).then_some(endpoint)
}

fn alive(pid: i32) -> bool {
    nix::sys::signal::kill(Pid::from_raw(pid), None).is_ok()
}

async fn start_keeper(exe: &Path, state: &Path, watch: i32) -> Result<Endpoint> {
    let log = state.join("keeper.log");
    let out = std::fs::File::create(&log).context(|| format!("creating {}", log.display()))?;
    let err = out
        .try_clone()
        .context(|| format!("opening {}", log.display()))?;
    let mut cmd = Command::new(exe);
    let backend = crate::infra::container::backend()?;
    cmd.env(KEEPER_ENV, state)
        .env(WATCH_ENV, watch.to_string())
        .env(crate::infra::container::BACKEND_ENV, backend.name())
        .env(
            toolchain::images::IMAGES_ENV,
            if toolchain::images::local() {
                "local"
            } else {
                "official"
            },
        )
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err);
    // Its own session: it must outlive the test process that started it.
    crate::infra::process::in_own_session(&mut cmd);
    let mut keeper = cmd
        .spawn()
        .context(|| "starting the Keycloak keeper process".into())?;
    let info_path = state.join("keycloak.json");
    loop {
        if let Some(endpoint) = read_endpoint(&info_path) {
            return Ok(endpoint);
        }
        if let Ok(Some(status)) = keeper.try_wait() {
            let kc_log = state.join("keycloak.log");
            return Err(Error::Start {
                program: "keycloak".into(),
                message: format!(
                    "the shared Keycloak exited ({status}); keeper log {}:\n{}",
                    log.display(),
                    log_tail(&log, 20)
                ),
                log_tail: log_tail(&kc_log, LOG_TAIL_LINES),
                log: kc_log,
            });
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Call first thing in `main`: when this process was started as a keeper,
/// holds Keycloak until the watched process is gone, then exits.
pub fn keeper_main_if_requested() {
    let Ok(state) = std::env::var(KEEPER_ENV) else {
        return;
    };
    let watch: i32 = std::env::var(WATCH_ENV)
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    let code = match rt.block_on(keep(Path::new(&state), watch)) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("keeper: {e}");
            1
        }
    };
    std::process::exit(code);
}

async fn keep(state: &Path, watch: i32) -> Result<()> {
    let programs = tokio::task::spawn_blocking(toolchain::ensure)
        .await
        .map_err(|e| Error::toolchain("setup", e.to_string()))??;
    let ca = Ca::create(state)?;
    let started = std::time::Instant::now();
    // The owner may die while Keycloak starts (a minute on a busy machine):
    // dropping the start kills the half-started Keycloak with it.
    let start = Keycloak::start(&programs.keycloak, &ca, fresh_endpoint()?, state);
    let owner_gone = async {
        while watch > 0 && alive(watch) {
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    };
    let keycloak = tokio::select! {
        started = start => started?,
        () = owner_gone => {
            let _ = std::fs::remove_dir_all(state);
            return Ok(());
        }
    };
    eprintln!(
        "keeper: keycloak ready at {} in {:.1}s",
        keycloak.url(),
        started.elapsed().as_secs_f64()
    );
    let info =
        serde_json::to_string(&(keycloak.endpoint(), std::process::id())).expect("serialisable");
    let tmp = state.join("keycloak.json.tmp");
    std::fs::write(&tmp, info).context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, state.join("keycloak.json"))
        .context(|| "publishing keycloak.json".into())?;
    if keep_requested() {
        eprintln!(
            "HARNESS_KEEP: keycloak stays at {} (admin password in {})",
            keycloak.url(),
            state.display()
        );
        std::future::pending::<()>().await;
    }
    while watch > 0 && alive(watch) {
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    drop(keycloak);
    let _ = std::fs::remove_dir_all(state);
    Ok(())
}

/// `<target>/harness`: where case folders, logs and reports go.
pub fn out_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("OIDC_HARNESS_OUT") {
        return PathBuf::from(dir);
    }
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .ok()
        .or_else(|| {
            std::env::current_exe()
                .ok()?
                .ancestors()
                .find(|p| p.file_name().is_some_and(|n| n == "target"))
                .map(Path::to_path_buf)
        });
    target
        .unwrap_or_else(|| PathBuf::from("target"))
        .join("harness")
}

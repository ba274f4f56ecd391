//! Supervised children: every real program runs in its own process group, with
//! its output in a log file, and dies with the harness.
//!
//! Three layers make sure nothing is left running:
//! - dropping a [`Supervised`] kills its whole process group;
//! - the direct child gets `PR_SET_PDEATHSIG(SIGKILL)`;
//! - a per-process watchdog (`sh`, reading process-group ids on a pipe) kills
//!   every group it was told about when the pipe closes, which the kernel does
//!   when the harness dies, even by SIGKILL. That catches grandchildren such as
//!   Chromium's renderers, which PDEATHSIG does not reach.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

use crate::error::{Error, IoContext, Result};

/// How many log lines a start-up error carries.
pub const LOG_TAIL_LINES: usize = 50;

/// What to run and where its output goes.
#[derive(Debug, Clone)]
pub struct Spec {
    pub name: String,
    pub program: PathBuf,
    pub args: Vec<OsString>,
    pub env: Vec<(String, String)>,
    pub cwd: Option<PathBuf>,
    pub log: PathBuf,
    /// Append to the log instead of starting it afresh (a restart).
    pub append_log: bool,
    /// Run as a container of this image instead (the container backend).
    pub image: Option<super::container::Image>,
}

impl Spec {
    pub fn new(name: &str, program: impl Into<PathBuf>, log_dir: &Path) -> Self {
        Spec {
            name: name.into(),
            program: program.into(),
            args: Vec::new(),
            env: Vec::new(),
            cwd: None,
            log: log_dir.join(format!("{name}.log")),
            append_log: false,
            image: None,
        }
    }

    /// The same program again, its output appended to the same log.
    pub fn restarted(mut self) -> Self {
        self.append_log = true;
        self
    }

    pub fn arg(mut self, arg: impl Into<OsString>) -> Self {
        self.args.push(arg.into());
        self
    }

    pub fn args<I: IntoIterator<Item = S>, S: Into<OsString>>(mut self, args: I) -> Self {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub fn env(mut self, key: &str, value: impl Into<String>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    pub fn cwd(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cwd = Some(dir.into());
        self
    }

    /// Runs it as a container of `image` (the container backend).
    pub fn in_container(mut self, image: Option<super::container::Image>) -> Self {
        self.image = image;
        self
    }
}

/// A running program; its process group is killed when this is dropped.
#[derive(Debug)]
pub struct Supervised {
    name: String,
    child: Running,
    log: PathBuf,
    keep: bool,
}

/// A process of the program, or its container.
#[derive(Debug)]
enum Running {
    Process(Child),
    Container(Box<super::container::Running>),
}

impl Supervised {
    /// Starts `spec` as a process, or as a container when it names an image.
    pub async fn launch(spec: Spec) -> Result<Supervised> {
        let Some(image) = spec.image.clone() else {
            return Supervised::spawn(spec);
        };
        if let Some(dir) = spec.log.parent() {
            std::fs::create_dir_all(dir).context(|| format!("creating {}", dir.display()))?;
        }
        let args: Vec<String> = spec
            .args
            .iter()
            .map(|a| a.to_string_lossy().to_string())
            .collect();
        let running = super::container::Running::start(
            &spec.name,
            &image,
            &args,
            &spec.env,
            &spec.log,
            spec.append_log,
        )
        .await?;
        Ok(Supervised {
            name: spec.name,
            child: Running::Container(Box::new(running)),
            log: spec.log,
            keep: keep_requested(),
        })
    }

    /// Starts `spec` as a process of the machine.
    pub fn spawn(spec: Spec) -> Result<Supervised> {
        if let Some(dir) = spec.log.parent() {
            std::fs::create_dir_all(dir).context(|| format!("creating {}", dir.display()))?;
        }
        let log = std::fs::OpenOptions::new()
            .create(true)
            .write(true)
            .append(spec.append_log)
            .truncate(!spec.append_log)
            .open(&spec.log)
            .context(|| format!("creating {}", spec.log.display()))?;
        let log_err = log
            .try_clone()
            .context(|| format!("opening {}", spec.log.display()))?;
        let mut cmd = Command::new(&spec.program);
        cmd.args(&spec.args)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err);
        for (k, v) in &spec.env {
            cmd.env(k, v);
        }
        if let Some(dir) = &spec.cwd {
            cmd.current_dir(dir);
        }
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                nix::unistd::setpgid(Pid::from_raw(0), Pid::from_raw(0))?;
                nix::sys::prctl::set_pdeathsig(Signal::SIGKILL)?;
                Ok(())
            });
        }
        let child = cmd.spawn().map_err(|e| Error::Start {
            program: spec.name.clone(),
            message: format!("cannot run {}: {e}", spec.program.display()),
            log: spec.log.clone(),
            log_tail: String::new(),
        })?;
        watchdog_register(child.id());
        tracing::debug!(program = %spec.name, pid = child.id(), log = %spec.log.display(), "started");
        Ok(Supervised {
            name: spec.name,
            child: Running::Process(child),
            log: spec.log,
            keep: keep_requested(),
        })
    }

    /// The process id (0 for a container: see [`Supervised::where_it_runs`]).
    pub fn pid(&self) -> u32 {
        match &self.child {
            Running::Process(c) => c.id(),
            Running::Container(_) => 0,
        }
    }

    /// `pid N` or `container ID`.
    pub fn where_it_runs(&self) -> String {
        match &self.child {
            Running::Process(c) => format!("pid {}", c.id()),
            Running::Container(c) => format!("container {}", c.id()),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn log_path(&self) -> &Path {
        &self.log
    }

    /// The last `n` lines of the program's log.
    pub fn log_tail(&self, n: usize) -> String {
        log_tail(&self.log, n)
    }

    /// The program's whole log so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// `Some(status)` once the program has exited.
    pub async fn exited(&mut self) -> Option<String> {
        match &mut self.child {
            Running::Process(c) => c.try_wait().ok().flatten().map(|s| s.to_string()),
            Running::Container(c) => c.exited().await,
        }
    }

    /// A start-up error carrying the last log lines.
    pub fn start_error(&self, message: impl Into<String>) -> Error {
        Error::Start {
            program: self.name.clone(),
            message: message.into(),
            log: self.log.clone(),
            log_tail: self.log_tail(LOG_TAIL_LINES),
        }
    }

    /// Polls `ready` until it answers true, the program exits, or `timeout` passes.
    pub async fn wait_ready<F, Fut>(
        &mut self,
        timeout: Duration,
        what: &str,
        mut ready: F,
    ) -> Result<()>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let deadline = Instant::now() + timeout;
        loop {
            // A probe may hang on a port someone else holds: bound it.
            let ready_now = tokio::time::timeout(Duration::from_secs(2), ready())
                .await
                .unwrap_or(false);
            if let Some(status) = self.exited().await {
                return Err(self.start_error(format!("exited with {status} before {what}")));
            }
            if ready_now {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(
                    self.start_error(format!("{what}: not ready after {}s", timeout.as_secs()))
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Sends `signal` to the process group (a container: `docker kill -s`).
    pub fn signal(&mut self, signal: Signal) -> Result<()> {
        match &mut self.child {
            Running::Process(c) => killpg(Pid::from_raw(c.id() as i32), signal)
                .map_err(|e| Error::step("signal", format!("{signal} to {}: {e}", self.name))),
            Running::Container(c) => {
                let status = Command::new("docker")
                    .args(["kill", "-s", signal.as_str(), c.id()])
                    .status();
                match status {
                    Ok(s) if s.success() => Ok(()),
                    other => Err(Error::step(
                        "signal",
                        format!("docker kill -s {signal} {}: {other:?}", c.id()),
                    )),
                }
            }
        }
    }

    /// Kills the process group now and reaps the child.
    pub fn kill(&mut self) {
        match &mut self.child {
            Running::Process(c) => {
                let _ = killpg(Pid::from_raw(c.id() as i32), Signal::SIGKILL);
                let _ = c.wait();
            }
            Running::Container(c) => c.kill(),
        }
    }
}

impl Drop for Supervised {
    fn drop(&mut self) {
        if self.keep {
            eprintln!(
                "HARNESS_KEEP: leaving {} running ({}, log {})",
                self.name,
                self.where_it_runs(),
                self.log.display()
            );
            return;
        }
        self.kill();
    }
}

/// `HARNESS_KEEP=1` leaves programs running after the harness ends.
pub fn keep_requested() -> bool {
    std::env::var("HARNESS_KEEP").is_ok_and(|v| v == "1")
}

/// The last `n` lines of a file, or a note that it cannot be read.
pub fn log_tail(path: &Path, n: usize) -> String {
    let Ok(file) = File::open(path) else {
        return format!("(no log at {})", path.display());
    };
    let mut tail = VecDeque::with_capacity(n);
    for line in BufReader::new(file).lines().map_while(|l| l.ok()) {
        if tail.len() == n {
            tail.pop_front();
        }
        tail.push_back(line);
    }
    Vec::from(tail).join("\n")
}

/// A command the harness runs to its end (kubelogin, kubectl, and what
/// they start): its own process group, SIGKILL when the harness dies
/// (PDEATHSIG), killed on drop; call [`watch`] with the child once spawned so
/// the watchdog also kills the group (the browser kubelogin opens included).
pub fn guard(cmd: &mut tokio::process::Command) -> &mut tokio::process::Command {
    cmd.process_group(0).kill_on_drop(true);
    unsafe {
        cmd.pre_exec(|| {
            nix::sys::prctl::set_pdeathsig(Signal::SIGKILL)?;
            Ok(())
        });
    }
    cmd
}

/// Makes `cmd` start in a session of its own, so it outlives the harness on
/// purpose (the shared Keycloak's keeper, a Docker engine).
pub fn in_own_session(cmd: &mut Command) -> &mut Command {
    // SAFETY: setsid is async-signal-safe.
    unsafe {
        cmd.pre_exec(|| {
            nix::unistd::setsid()?;
            Ok(())
        });
    }
    cmd
}

/// Registers a guarded child's process group with the watchdog.
pub fn watch(child: &tokio::process::Child) {
    if let Some(pid) = child.id() {
        watchdog_register(pid);
    }
}

static WATCHDOG: OnceLock<Mutex<Option<ChildStdin>>> = OnceLock::new();

/// Tells this process's watchdog about a new process group.
fn watchdog_register(pgid: u32) {
    watchdog_tell(&pgid.to_string());
}

/// Tells this process's watchdog about a container to remove.
pub(super) fn watchdog_register_container(id: &str) {
    watchdog_tell(&format!("c:{id}"));
}

fn watchdog_tell(line: &str) {
    if keep_requested() {
        return;
    }
    let cell = WATCHDOG.get_or_init(|| Mutex::new(start_watchdog()));
    if let Some(stdin) = cell.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
        let _ = writeln!(stdin, "{line}");
    }
}

fn start_watchdog() -> Option<ChildStdin> {
    // Reads group ids (and `c:<id>` of containers) until EOF (the harness is
    // gone), then kills each group and removes each container.
    let script = r#"trap '' INT TERM HUP; g=""; while read p; do g="$g $p"; done; for p in $g; do case $p in c:*) docker rm -f "${p#c:}" >/dev/null 2>&1;; *) kill -s KILL -- "-$p" 2>/dev/null;; esac; done"#;
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    // Its own group, so a Ctrl-C to the harness's group does not end it before it has done its job.
    unsafe {
        cmd.pre_exec(|| {
            nix::unistd::setpgid(Pid::from_raw(0), Pid::from_raw(0))?;
            Ok(())
        });
    }
    match cmd.spawn() {
        Ok(mut child) => child.stdin.take(),
        Err(e) => {
            tracing::warn!("cannot start the process watchdog (sh): {e}");
            None
        }
    }
}

/// A loopback address of its own for one program, so cookies and TLS names
/// behave as on separate hosts and two runs side by side do not collide.
pub fn loopback_address() -> Ipv4Addr {
    use rand::Rng;
    let mut rng = rand::rng();
    Ipv4Addr::new(
        127,
        rng.random_range(2..=254),
        rng.random_range(0..=255),
        rng.random_range(2..=254),
    )
}

/// A free TCP port on `ip` (bound and released: the program binds it next).
pub fn free_port(ip: Ipv4Addr) -> Result<u16> {
    let listener = TcpListener::bind(SocketAddr::from((ip, 0)))
        .context(|| format!("binding a free port on {ip}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .context(|| format!("reading the port bound on {ip}"))
}

/// A socket address of its own: a fresh loopback address and a free port on it.
pub fn fresh_endpoint() -> Result<SocketAddr> {
    let ip = loopback_address();
    Ok(SocketAddr::from((ip, free_port(ip)?)))
}

/// Whether `url` answers with a success status (a readiness condition).
pub async fn answers_ok(http: &reqwest::Client, url: &str) -> bool {
    http.get(url)
        .send()
        .await
        .is_ok_and(|r| r.status().is_success())
}

/// Waits for `path` to exist, for up to `timeout`.
pub async fn wait_for_file(path: &Path, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if path.exists() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    path.exists()
}

//! The container backend: a program's [`Spec`](super::process::Spec) run as a
//! container of its image, through testcontainers, instead of as a process.
//!
//! `OIDC_HARNESS_BACKEND=containers` selects it for Keycloak, Dex and
//! oauth2-proxy (native stays the default). The containers use the host's
//! network, so each program keeps its own loopback address, port and TLS
//! name as on the native backend; the folders its files are in (the case's,
//! the run's CA) are mounted at their own paths, so every file a program's
//! arguments name (certificates, rendered configs) is where the native
//! backend has it. The
//! container's output is the program's log file. Containers carry the label
//! `oidc-harness.run=<pid>` and are registered with the process watchdog,
//! which removes them when the harness dies, even by SIGKILL.

use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use testcontainers::core::logs::LogFrame;
use testcontainers::core::{Mount, WaitFor};
use testcontainers::runners::AsyncRunner;
use testcontainers::{ContainerAsync, GenericImage, ImageExt};

use crate::error::{Error, Result};

/// Where the real programs run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Processes of the programs installed into the cache (the default).
    Native,
    /// Containers of the programs' images.
    Containers,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Native => "native",
            Backend::Containers => "containers",
        }
    }
}

pub const BACKEND_ENV: &str = "OIDC_HARNESS_BACKEND";

static SELECTED: OnceLock<Backend> = OnceLock::new();

/// Chooses the backend for this process (a test of the container backend);
/// otherwise `OIDC_HARNESS_BACKEND` decides.
pub fn select(backend: Backend) {
    let _ = SELECTED.set(backend);
}

/// The backend of this process.
pub fn backend() -> Result<Backend> {
    if let Some(b) = SELECTED.get() {
        return Ok(*b);
    }
    match std::env::var(BACKEND_ENV).as_deref() {
        Err(_) | Ok("") | Ok("native") => Ok(Backend::Native),
        Ok("containers") => Ok(Backend::Containers),
        Ok(other) => Err(Error::input(
            Path::new(&format!("${BACKEND_ENV}")),
            0,
            0,
            format!("{other:?}: expected `native` or `containers`"),
        )),
    }
}

/// How a program's spec becomes a container: the image, and what comes
/// before the spec's arguments in the container's command (empty when the
/// image's entrypoint is the program).
#[derive(Debug, Clone)]
pub struct Image {
    pub reference: String,
    pub command: Vec<String>,
    /// Host folders mounted at the same paths.
    pub mounts: Vec<std::path::PathBuf>,
}

/// A running container of a program.
pub struct Running {
    container: ContainerAsync<GenericImage>,
    id: String,
}

impl std::fmt::Debug for Running {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "container {}", self.id)
    }
}

impl Running {
    /// Starts `image` with `args`, its output appended to `log`.
    pub async fn start(
        name: &str,
        image: &Image,
        args: &[String],
        env: &[(String, String)],
        log: &Path,
        append: bool,
    ) -> Result<Running> {
        let (repo, tag) = split_reference(&image.reference);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .write(true)
            .append(append)
            .truncate(!append)
            .open(log)
            .map_err(|e| Error::toolchain(name, format!("creating {}: {e}", log.display())))?;
        let mut file = file;
        let tag_id = crate::infra::oidc::random_token(12);
        // Says where the lines below come from (and that this ran as a container).
        let _ = writeln!(
            file,
            "# oidc-harness: container oidc-harness.container={tag_id} of {}",
            image.reference
        );
        let sink = Arc::new(Mutex::new(file));
        let consumer = move |frame: &LogFrame| {
            let bytes = match frame {
                LogFrame::StdOut(b) | LogFrame::StdErr(b) => b,
            };
            let mut f: std::sync::MutexGuard<'_, File> =
                sink.lock().unwrap_or_else(|e| e.into_inner());
            let _ = f.write_all(bytes);
        };
        let mut command = image.command.clone();
        command.extend(args.iter().cloned());
        // `tag_id` names this container before it has an id: a failed start
        // leaves a created container behind, removed by this label.
        let uid = nix::unistd::getuid();
        let gid = nix::unistd::getgid();
        let mut request = GenericImage::new(repo, tag)
            .with_wait_for(WaitFor::Nothing)
            .with_network("host")
            // The case folder's files are the harness user's: the program
            // reads and writes them as that user.
            .with_user(format!("{uid}:{gid}"))
            .with_label("oidc-harness.run", std::process::id().to_string())
            .with_label("oidc-harness.program", name)
            .with_label("oidc-harness.container", &tag_id)
            .with_label(
                "oidc-harness.dir",
                image
                    .mounts
                    .first()
                    .map(|m| m.to_string_lossy().to_string())
                    .unwrap_or_default(),
            )
            .with_cmd(command)
            .with_log_consumer(consumer);
        // A folder inside another mounted one is there already.
        let mounts: Vec<&std::path::PathBuf> = image
            .mounts
            .iter()
            .filter(|m| !image.mounts.iter().any(|o| o != *m && m.starts_with(o)))
            .collect();
        let mut seen = std::collections::BTreeSet::new();
        for dir in mounts.into_iter().filter(|m| seen.insert(m.as_path())) {
            let dir = dir.to_string_lossy().to_string();
            request = request.with_mount(Mount::bind_mount(dir.clone(), dir));
        }
        for (k, v) in env {
            request = request.with_env_var(k, v);
        }
        let started = request.start().await;
        if started.is_err() {
            remove_labelled(&format!("oidc-harness.container={tag_id}"));
        }
        let container = started.map_err(|e| Error::Start {
            program: name.into(),
            message: format!(
                "cannot start a container of {}: {e}{}",
                image.reference,
                if e.to_string().contains("No such image") || e.to_string().contains("pull") {
                    " (no registry reachable? OIDC_HARNESS_IMAGES=local builds and runs local images of the same programs: README, Container backend)"
                } else {
                    ""
                }
            ),
            log: log.to_path_buf(),
            log_tail: String::new(),
        })?;
        let id = container.id().to_string();
        super::process::watchdog_register_container(&id);
        tracing::debug!(program = name, container = %id, image = %image.reference, "started");
        Ok(Running { container, id })
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// Whether the container has stopped (its program exited).
    pub async fn exited(&self) -> Option<String> {
        match self.container.is_running().await {
            Ok(true) => None,
            Ok(false) => Some(match self.container.exit_code().await {
                Ok(Some(code)) => format!("exit status: {code}"),
                _ => "the container stopped".into(),
            }),
            Err(e) => Some(format!("the container is gone: {e}")),
        }
    }

    /// Removes the container now (SIGKILL to its program).
    pub fn kill(&self) {
        remove(&self.id);
    }
}

/// `docker rm -f`, synchronously: usable in `Drop` and after a panic.
pub fn remove(id: &str) {
    let _ = std::process::Command::new("docker")
        .args(["rm", "-f", id])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status();
}

/// Removes every container carrying `label` (`key=value`).
pub fn remove_labelled(label: &str) {
    let Ok(out) = std::process::Command::new("docker")
        .args(["ps", "-aq", "--filter", &format!("label={label}")])
        .output()
    else {
        return;
    };
    for id in String::from_utf8_lossy(&out.stdout).split_whitespace() {
        remove(id);
    }
}

fn split_reference(reference: &str) -> (String, String) {
    // The tag follows the last `:` after the last `/` (a registry may have a port).
    match reference.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => (repo.into(), tag.into()),
        _ => (reference.into(), "latest".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_split_at_the_tag() {
        assert_eq!(
            split_reference("quay.io/keycloak/keycloak:26.7.3"),
            ("quay.io/keycloak/keycloak".into(), "26.7.3".into())
        );
        assert_eq!(
            split_reference("localhost:5000/dex"),
            ("localhost:5000/dex".into(), "latest".into())
        );
    }
}

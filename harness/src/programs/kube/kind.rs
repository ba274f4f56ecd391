//! kind, for users with Docker: the guide's kind cluster config
//! (`kind/kind-config.yaml.j2` at the repository root) rendered from a
//! scenario's apiserver OIDC settings, and a kind cluster made with it.
//!
//! The native etcd + kube-apiserver is the default and what the tests here
//! run. With `OIDC_HARNESS_CLUSTER=kind` (what `oidc-harness kind create`
//! sets) each case's apiserver is a kind cluster instead, and Dex listens on
//! the host's address on the `kind` Docker network, which the node reaches.
//! Where Docker or kind does not answer, [`preflight`] says so in one line.

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::Command;

use minijinja::{AutoEscape, Environment};
use serde::Serialize;

use super::OidcAuth;
use crate::error::{Error, IoContext, Result};

/// The template, as shipped in `kind/`.
pub const TEMPLATE: &str = include_str!("../../../../kind/kind-config.yaml.j2");

/// Where files the apiserver reads are mounted in the node: kubeadm mounts
/// this folder into the kube-apiserver pod.
pub const NODE_DIR: &str = "/etc/kubernetes/pki";

/// What the template needs.
#[derive(Debug, Clone)]
pub struct KindConfig<'a> {
    pub name: &'a str,
    pub api_server_port: u16,
    pub auth: &'a OidcAuth,
    /// Where host files the node mounts are written (an AuthenticationConfiguration).
    pub dir: &'a Path,
}

#[derive(Serialize)]
struct Mount {
    host: String,
    node: String,
}

#[derive(Serialize)]
struct Arg {
    name: String,
    value: String,
}

/// A YAML string: quoted, so an empty value stays the empty string.
fn quoted(s: &str) -> String {
    serde_json::to_string(s).expect("a string serialises")
}

/// The kind config for these OIDC settings: each `--oidc-*` flag becomes an
/// apiServer extraArg as the guide writes it; files named by a flag (the CA)
/// or an AuthenticationConfiguration are mounted into the node.
pub fn render(c: &KindConfig) -> Result<String> {
    let mut mounts = Vec::new();
    let mut args = Vec::new();
    let mut mount = |host: &str, name: &str| {
        let node = format!("{NODE_DIR}/{name}");
        mounts.push(Mount {
            host: quoted(host),
            node: quoted(&node),
        });
        node
    };
    match c.auth {
        OidcAuth::Flags(flags) => {
            for flag in flags {
                let flag = flag.trim_start_matches('-');
                let (name, value) = flag.split_once('=').unwrap_or((flag, ""));
                let value = match name {
                    "oidc-ca-file" => mount(value, "oidc-ca.crt"),
                    _ => value.to_string(),
                };
                args.push(Arg {
                    name: name.to_string(),
                    value: quoted(&value),
                });
            }
        }
        OidcAuth::Config(config) => {
            let host = c.dir.join("authentication-config.yaml");
            let text = crate::infra::yaml::to_string(config)
                .map_err(|e| Error::step("kind config", e.to_string()))?;
            std::fs::write(&host, text).context(|| format!("writing {}", host.display()))?;
            let node = mount(&host.display().to_string(), "authentication-config.yaml");
            args.push(Arg {
                name: "authentication-config".into(),
                value: quoted(&node),
            });
        }
    }
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| AutoEscape::None);
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.set_keep_trailing_newline(true);
    env.render_str(
        TEMPLATE,
        minijinja::context! {
            name => c.name,
            api_server_port => c.api_server_port,
            mounts => mounts,
            extra_args => args,
        },
    )
    .map_err(|e| Error::step("kind config", format!("kind/kind-config.yaml.j2: {e}")))
}

/// Whether a Docker engine and kind answer; else one line saying which does
/// not and what runs instead.
pub fn preflight() -> std::result::Result<(), String> {
    let fallback = "the native etcd + kube-apiserver runs every scenario without them";
    let first_line = |out: &std::process::Output| {
        let text = String::from_utf8_lossy(&out.stderr).to_string()
            + &String::from_utf8_lossy(&out.stdout);
        text.lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or("no output")
            .to_string()
    };
    match Command::new("docker")
        .args(["info", "--format", "{{.ServerVersion}}"])
        .output()
    {
        Err(e) => return Err(format!("kind: cannot run `docker` ({e}); {fallback}")),
        Ok(out) if !out.status.success() => {
            return Err(format!(
                "kind: no Docker engine answers (`docker info`: {}); {fallback}",
                first_line(&out)
            ));
        }
        Ok(_) => {}
    }
    match Command::new("kind").arg("version").output() {
        Err(e) => Err(format!("kind: cannot run `kind` ({e}); {fallback}")),
        Ok(out) if !out.status.success() => Err(format!(
            "kind: `kind version` failed ({}); {fallback}",
            first_line(&out)
        )),
        Ok(_) => Ok(()),
    }
}

/// The host's address on the `kind` Docker network (created as kind would
/// when missing): Dex listens there so the node can reach its issuer.
pub fn host_address() -> Result<Ipv4Addr> {
    let inspect = || {
        Command::new("docker")
            .args([
                "network",
                "inspect",
                "kind",
                "--format",
                "{{range .IPAM.Config}}{{.Gateway}} {{end}}",
            ])
            .output()
    };
    let mut out = inspect().context(|| "running docker network inspect kind".into())?;
    if !out.status.success() {
        let created = Command::new("docker")
            .args(["network", "create", "kind"])
            .output()
            .context(|| "running docker network create kind".into())?;
        if !created.status.success() {
            return Err(Error::step(
                "kind",
                format!(
                    "docker network create kind: {}",
                    String::from_utf8_lossy(&created.stderr).trim()
                ),
            ));
        }
        out = inspect().context(|| "running docker network inspect kind".into())?;
    }
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .find_map(|g| g.parse::<Ipv4Addr>().ok())
        .ok_or_else(|| Error::step("kind", "the `kind` network has no IPv4 gateway"))
}

/// A kind cluster made from a rendered config; deleted when dropped (unless
/// `HARNESS_KEEP=1`).
pub struct KindCluster {
    name: String,
    kubeconfig: PathBuf,
    log: PathBuf,
}

impl KindCluster {
    pub async fn create(config: &KindConfig<'_>) -> Result<KindCluster> {
        let text = render(config)?;
        let path = config.dir.join("kind-config.yaml");
        std::fs::write(&path, text).context(|| format!("writing {}", path.display()))?;
        let kubeconfig = config.dir.join("kind.kubeconfig");
        let log = config.dir.join("kind.log");
        let cluster = KindCluster {
            name: config.name.to_string(),
            kubeconfig: kubeconfig.clone(),
            log: config.dir.join("kube-apiserver.log"),
        };
        let mut cmd = tokio::process::Command::new("kind");
        cmd.args(["create", "cluster", "--name", config.name, "--config"])
            .arg(&path)
            .arg("--kubeconfig")
            .arg(&kubeconfig)
            .arg("--wait=120s");
        let out = cmd.output().await.context(|| "running kind".into())?;
        std::fs::write(
            &log,
            [out.stdout.as_slice(), out.stderr.as_slice()].concat(),
        )
        .context(|| log.display().to_string())?;
        if !out.status.success() {
            return Err(Error::Start {
                program: "kind".into(),
                message: format!("kind create cluster --config {} failed", path.display()),
                log: log.clone(),
                log_tail: crate::infra::process::log_tail(
                    &log,
                    crate::infra::process::LOG_TAIL_LINES,
                ),
            });
        }
        Ok(cluster)
    }

    pub fn kubeconfig(&self) -> &Path {
        &self.kubeconfig
    }

    fn node(&self) -> String {
        format!("{}-control-plane", self.name)
    }

    /// kube-apiserver's log, read from the node (and kept in the case folder).
    pub fn apiserver_log(&self) -> String {
        let out = Command::new("docker")
            .args(["exec", &self.node(), "sh", "-c"])
            .arg("cat /var/log/containers/kube-apiserver-*.log")
            .output();
        let text = out
            .map(|o| String::from_utf8_lossy(&o.stdout).to_string())
            .unwrap_or_default();
        let _ = std::fs::write(&self.log, &text);
        text
    }

    pub fn apiserver_log_path(&self) -> &Path {
        &self.log
    }

    /// Stops the kube-apiserver container; the kubelet starts it again.
    pub async fn restart_apiserver(&self) -> Result<()> {
        let script = "crictl stop $(crictl ps --name kube-apiserver -q)";
        let out = tokio::process::Command::new("docker")
            .args(["exec", &self.node(), "sh", "-c", script])
            .output()
            .await
            .context(|| "running docker exec".into())?;
        if !out.status.success() {
            return Err(Error::step(
                "restart apiserver",
                String::from_utf8_lossy(&out.stderr).to_string(),
            ));
        }
        Ok(())
    }
}

impl Drop for KindCluster {
    fn drop(&mut self) {
        if crate::infra::process::keep_requested() {
            eprintln!(
                "HARNESS_KEEP: leaving kind cluster {} (kubeconfig {})",
                self.name,
                self.kubeconfig.display()
            );
            return;
        }
        let _ = Command::new("kind")
            .args(["delete", "cluster", "--name", &self.name])
            .output();
    }
}

//! Dex, started per case from the scenario's Dex config.
//!
//! The harness owns only what must differ per run: `web` (https on the case's
//! own address with a certificate from the run CA), `storage` (memory: the
//! build has no cgo, so no sqlite) and the fixed-port listeners `grpc` and
//! `telemetry`, which are removed. Everything else is the user's config as is.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};

use super::kube::Cluster;
use crate::error::{Error, IoContext, Result};
use crate::infra::process::{Spec, Supervised};
use crate::infra::tls::{Ca, ServerCert};

const PROGRAM: &str = "dex";

/// Where a Dex will listen, decided before its config is rendered.
#[derive(Debug, Clone)]
pub struct DexPlan {
    pub addr: SocketAddr,
    /// `https://<addr>/dex`, the path Kubeflow and PaletteAI use.
    pub issuer: String,
    /// Dex's environment: what `idEnv`, `secretEnv`, `hashFromEnv` and `$VAR`
    /// in its config read.
    pub env: Vec<(String, String)>,
}

impl DexPlan {
    pub fn new(cluster: Cluster) -> Result<DexPlan> {
        // On kind (for users with Docker) the node must reach Dex's issuer.
        let addr = if cluster == Cluster::Kind {
            let ip = super::kube::kind::host_address()?;
            std::net::SocketAddr::from((ip, crate::infra::process::free_port(ip)?))
        } else {
            crate::infra::process::fresh_endpoint()?
        };
        Ok(DexPlan {
            addr,
            issuer: format!("https://{addr}/dex"),
            env: Vec::new(),
        })
    }

    pub fn callback(&self) -> String {
        format!("{}/callback", self.issuer)
    }

    /// Dex behind a gateway (Kubeflow's Istio ingress): its issuer is
    /// `<gateway>/dex`, while it still listens on its own address.
    pub fn behind(mut self, gateway: &str) -> DexPlan {
        self.issuer = format!("{}/dex", gateway.trim_end_matches('/'));
        self
    }

    /// Dex at its own address (`https://<addr>/dex`): what a program inside the
    /// cluster would call, e.g. oauth2-proxy's `redeem_url`.
    pub fn internal(&self) -> String {
        let path = url::Url::parse(&self.issuer)
            .map(|u| u.path().trim_end_matches('/').to_string())
            .unwrap_or_default();
        format!("https://{}{path}", self.addr)
    }
}

pub struct Dex {
    plan: DexPlan,
    process: Supervised,
    pub cert: ServerCert,
    /// How it was started, for a restart.
    spec: Spec,
}

impl Dex {
    pub async fn start(
        binary: &Path,
        ca: &Ca,
        plan: DexPlan,
        mut config: Value,
        dir: &Path,
    ) -> Result<Dex> {
        let cert = ca.issue(dir, "dex", &[plan.addr.ip().to_string()])?;
        config["web"] = json!({
            "https": plan.addr.to_string(),
            "tlsCert": cert.cert_file,
            "tlsKey": cert.key_file,
        });
        config["storage"] = json!({"type": "memory"});
        if let Some(map) = config.as_object_mut() {
            map.remove("grpc");
            map.remove("telemetry");
        }
        let path = dir.join("dex.yaml");
        let text = crate::infra::yaml::to_string(&config)
            .map_err(|e| Error::step("dex config", e.to_string()))?;
        std::fs::write(&path, text).context(|| format!("writing {}", path.display()))?;
        let ca_dir = ca.cert_file().parent().unwrap_or(dir).to_path_buf();
        let image = super::container_image(PROGRAM, &["dex"], &[dir, &ca_dir])?;
        let mut spec = Spec::new(PROGRAM, binary, dir)
            .arg("serve")
            .arg(&path)
            .in_container(image);
        for (k, v) in &plan.env {
            spec = spec.env(k, v);
        }
        let mut process = Supervised::launch(spec.clone()).await?;
        let http = ca.http_client()?;
        let discovery = format!("{}/.well-known/openid-configuration", plan.internal());
        process
            .wait_ready(Duration::from_secs(30), "discovery answering 200", || {
                crate::infra::process::answers_ok(&http, &discovery)
            })
            .await?;
        Ok(Dex {
            plan,
            process,
            cert,
            spec,
        })
    }

    /// Stops Dex and starts it again with the same configuration, address and
    /// certificate; its log goes on in the same file. With `storage: memory`
    /// it comes back with new signing keys and no sessions, as a new install
    /// of Dex does.
    pub async fn restart(&mut self, ca: &Ca) -> Result<()> {
        self.process.kill();
        let mut process = Supervised::launch(self.spec.clone().restarted()).await?;
        let http = ca.http_client()?;
        let discovery = format!("{}/.well-known/openid-configuration", self.plan.internal());
        process
            .wait_ready(Duration::from_secs(30), "discovery answering 200", || {
                crate::infra::process::answers_ok(&http, &discovery)
            })
            .await?;
        self.process = process;
        Ok(())
    }

    pub fn issuer(&self) -> &str {
        &self.plan.issuer
    }

    /// Where Dex itself listens (behind a gateway, not its issuer's host).
    pub fn addr(&self) -> std::net::SocketAddr {
        self.plan.addr
    }
}

impl super::Program for Dex {
    fn log_path(&self) -> &Path {
        self.process.log_path()
    }
}

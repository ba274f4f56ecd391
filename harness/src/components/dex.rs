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

use crate::error::{Error, IoContext, Result};
use crate::process::{Spec, Supervised};
use crate::tls::{Ca, ServerCert};

const PROGRAM: &str = "dex";

/// Where a Dex will listen, decided before its config is rendered.
#[derive(Debug, Clone)]
pub struct DexPlan {
    pub addr: SocketAddr,
    /// `https://<addr>/dex`, the path Kubeflow and PaletteAI use.
    pub issuer: String,
}

impl DexPlan {
    pub fn new() -> Result<DexPlan> {
        let addr = crate::process::fresh_endpoint()?;
        Ok(DexPlan {
            addr,
            issuer: format!("https://{addr}/dex"),
        })
    }

    pub fn callback(&self) -> String {
        format!("{}/callback", self.issuer)
    }
}

pub struct Dex {
    plan: DexPlan,
    process: Supervised,
    pub cert: ServerCert,
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
        let text =
            serde_yaml::to_string(&config).map_err(|e| Error::step("dex config", e.to_string()))?;
        std::fs::write(&path, text).context(|| format!("writing {}", path.display()))?;
        let mut process =
            Supervised::spawn(Spec::new(PROGRAM, binary, dir).arg("serve").arg(&path))?;
        let http = ca.http_client()?;
        let discovery = format!("{}/.well-known/openid-configuration", plan.issuer);
        process
            .wait_ready(Duration::from_secs(30), "discovery answering 200", || {
                crate::process::answers_ok(&http, &discovery)
            })
            .await?;
        Ok(Dex {
            plan,
            process,
            cert,
        })
    }

    pub fn issuer(&self) -> &str {
        &self.plan.issuer
    }

    pub fn log_text(&self) -> String {
        self.process.log_text()
    }

    pub fn log_tail(&self, n: usize) -> String {
        self.process.log_tail(n)
    }

    pub fn log_path(&self) -> &Path {
        self.process.log_path()
    }
}

//! oauth2-proxy, started per case from the scenario's `oauth2_proxy.cfg` keys,
//! environment and extra arguments, exactly as a Deployment or Helm chart
//! would give them.
//!
//! The harness owns only `--http-address` (the case's own address and a free
//! port) and `SSL_CERT_FILE` (the run's CA, so the Go program trusts Dex's and
//! Keycloak's certificates as it would trust public ones); when the app is
//! served over HTTPS, also `--https-address` and a certificate of the run's
//! CA for it. Everything else is the user's configuration as is.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use crate::error::{Error, IoContext, Result};
use crate::infra::process::{Spec, Supervised};
use crate::infra::tls::Ca;

const PROGRAM: &str = "oauth2-proxy";

/// Where an oauth2-proxy will listen, decided before configs are rendered.
#[derive(Debug, Clone)]
pub struct OAuth2ProxyPlan {
    pub addr: SocketAddr,
    /// Served over HTTPS (oauth2-proxy's own TLS listener), as the user's
    /// app is: the scheme decides the redirect URI oauth2-proxy builds and
    /// where its Secure cookies go.
    pub tls: bool,
}

impl OAuth2ProxyPlan {
    pub fn new(tls: bool) -> Result<OAuth2ProxyPlan> {
        Ok(OAuth2ProxyPlan {
            addr: crate::infra::process::fresh_endpoint()?,
            tls,
        })
    }

    pub fn url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    pub fn callback(&self) -> String {
        format!("{}/oauth2/callback", self.url())
    }
}

/// The scenario's oauth2-proxy: its cfg file keys, its environment
/// (`OAUTH2_PROXY_*`) and command-line arguments (`extraArgs`).
#[derive(Debug, Clone, Default)]
pub struct OAuth2ProxyConfig {
    pub config: Value,
    pub env: Vec<(String, String)>,
    pub args: Vec<String>,
}

pub struct OAuth2Proxy {
    plan: OAuth2ProxyPlan,
    process: Supervised,
}

impl OAuth2Proxy {
    pub async fn start(
        binary: &Path,
        ca: &Ca,
        plan: OAuth2ProxyPlan,
        given: &OAuth2ProxyConfig,
        dir: &Path,
    ) -> Result<OAuth2Proxy> {
        let path = dir.join("oauth2_proxy.cfg");
        let text = toml::to_string(&given.config).map_err(|e| {
            Error::step(
                "oauth2-proxy config",
                format!("the cfg keys must be a map of strings, booleans, numbers and lists: {e}"),
            )
        })?;
        std::fs::write(&path, text).context(|| format!("writing {}", path.display()))?;
        let mut spec = Spec::new(PROGRAM, binary, dir).arg(format!("--config={}", path.display()));
        spec = if plan.tls {
            let cert = ca.issue(dir, "oauth2-proxy", &[plan.addr.ip().to_string()])?;
            let plain = crate::infra::process::fresh_endpoint()?;
            spec.arg(format!("--https-address={}", plan.addr))
                .arg(format!("--http-address={plain}"))
                .arg(format!("--tls-cert-file={}", cert.cert_file.display()))
                .arg(format!("--tls-key-file={}", cert.key_file.display()))
        } else {
            spec.arg(format!("--http-address={}", plan.addr))
        };
        let mut spec = spec
            .args(&given.args)
            .env("SSL_CERT_FILE", ca.cert_file().display().to_string());
        for (k, v) in &given.env {
            spec = spec.env(k, v);
        }
        let ca_dir = ca.cert_file().parent().unwrap_or(dir).to_path_buf();
        let spec = spec.in_container(super::container_image(PROGRAM, &[], &[dir, &ca_dir])?);
        let mut process = Supervised::launch(spec).await?;
        let http = ca.http_client()?;
        let ping = format!("{}/ping", plan.url());
        process
            .wait_ready(Duration::from_secs(30), "/ping answering 200", || {
                crate::infra::process::answers_ok(&http, &ping)
            })
            .await?;
        Ok(OAuth2Proxy { plan, process })
    }

    pub fn url(&self) -> String {
        self.plan.url()
    }
}

impl super::Program for OAuth2Proxy {
    fn log_path(&self) -> &Path {
        self.process.log_path()
    }
}

//! The application behind a proxy (Kubeflow's central dashboard, the OSMO
//! service): a small server of the harness's own that answers every request
//! with what it received, so a step can check the headers the chain in front
//! of it (oauth2-proxy, the gateway) passed on. It imitates no program: it is
//! the probe at the end of the chain.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use axum::extract::Request;
use axum::response::{Html, IntoResponse};
use serde_json::{Value, json};

use crate::error::{IoContext, Result};

/// The id of the element holding the request, as JSON, on the page it serves.
pub const MARKER: &str = "upstream-request";

pub struct Upstream {
    addr: SocketAddr,
    server: tokio::task::JoinHandle<()>,
}

impl Upstream {
    /// Serves on `addr` (from `process::fresh_endpoint`).
    pub async fn start(addr: SocketAddr) -> Result<Upstream> {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .context(|| format!("upstream: binding {addr}"))?;
        let router = axum::Router::new().fallback(echo);
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Ok(Upstream { addr, server })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Upstream {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn echo(req: Request) -> impl IntoResponse {
    let seen = describe(&req);
    let text = serde_json::to_string_pretty(&seen).unwrap_or_default();
    let escaped = text.replace('&', "&amp;").replace('<', "&lt;");
    Html(format!(
        "<h1>The application behind the proxy</h1><pre id=\"{MARKER}\">{escaped}</pre>"
    ))
}

/// Method, path and headers (lower-case names; repeated headers joined by ", ").
fn describe(req: &Request) -> Value {
    let mut headers: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in req.headers() {
        let value = String::from_utf8_lossy(value.as_bytes()).to_string();
        headers
            .entry(name.as_str().to_string())
            .and_modify(|v| {
                v.push_str(", ");
                v.push_str(&value);
            })
            .or_insert(value);
    }
    json!({
        "method": req.method().as_str(),
        "path": req.uri().path(),
        "headers": headers,
    })
}

/// The request an upstream page shows, parsed back from its text.
pub fn parse_page(text: &str) -> Option<Value> {
    let start = text.find('{')?;
    let end = text.rfind('}')?;
    serde_json::from_str(&text[start..=end]).ok()
}

//! A case's apiserver settings as the guide's kind cluster config: the
//! scenario's `apiserver` part rendered with a run's values (Dex's issuer,
//! the CA file), then `components::kind::render`.

use std::path::Path;

use super::Case;
use super::template::{Renderer, Values};
use crate::error::{Error, Result};
use crate::model::spec::ApiServerSpec;
use crate::programs::kube::OidcAuth;
use crate::programs::kube::kind::{KindConfig, render};

/// The values a rendered kind config depends on.
#[derive(Debug, Clone)]
pub struct KindValues<'a> {
    /// Dex's issuer (the guide's `$NGROK_ENDPOINT`).
    pub issuer: &'a str,
    /// The CA that signs Dex's certificate, on the host.
    pub ca_file: &'a Path,
    pub name: &'a str,
    pub api_server_port: u16,
    /// Where files the node mounts are written.
    pub dir: &'a Path,
}

/// How the apiserver of `spec` authenticates OIDC tokens.
pub fn oidc_auth(spec: &ApiServerSpec) -> Result<OidcAuth> {
    match (&spec.authentication_config, spec.oidc_flags.is_empty()) {
        (Some(config), true) => Ok(OidcAuth::Config(config.clone())),
        (None, _) => Ok(OidcAuth::Flags(spec.oidc_flags.clone())),
        (Some(_), false) => Err(Error::step(
            "apiserver",
            "oidc_flags and authentication_config are mutually exclusive (as in kube-apiserver)",
        )),
    }
}

/// The kind config of `case`'s apiserver.
pub fn render_case(case: &Case, v: &KindValues) -> Result<String> {
    let document = case.document()?;
    let file = case.file.path.display().to_string();
    let part = document
        .get("apiserver")
        .cloned()
        .ok_or_else(|| Error::Input {
            file: case.file.path.clone(),
            line: 0,
            column: 0,
            message: "the scenario has no `apiserver`, so no kind cluster to render".into(),
        })?;
    let mut values = Values::default();
    values.dex.insert("issuer".into(), v.issuer.to_string());
    values
        .tls
        .insert("ca_file".into(), v.ca_file.display().to_string());
    let ca_pem = std::fs::read_to_string(v.ca_file).unwrap_or_default();
    values.tls.insert("ca_pem".into(), ca_pem);
    let rendered = Renderer::new(&values).render(&part, &format!("{file}: apiserver"))?;
    let spec: ApiServerSpec = serde_json::from_value(rendered)
        .map_err(|e| Error::step("kind config", format!("{file}: apiserver: {e}")))?;
    render(&KindConfig {
        name: v.name,
        api_server_port: v.api_server_port,
        auth: &oidc_auth(&spec)?,
        dir: v.dir,
    })
}

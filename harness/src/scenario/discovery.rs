//! `discovery`: a guide's table of endpoints checked against the issuer's real
//! discovery document. Each guide URL must be the document's value for its
//! key; where the guide differs on purpose of the check (`differ`), the
//! harness asks the guide's URL itself and the answer must show the given
//! text, so a finding stays true to what the real program does.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::At;
use super::runner::{Stack, StepReport};
use crate::components::browser::truncate;
use crate::error::{Error, Result};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Discovery {
    pub at: At,
    /// Discovery keys (`issuer`, `token_endpoint`, `jwks_uri`,
    /// `device_authorization_endpoint` ...) and the URL the guide gives.
    pub endpoints: BTreeMap<String, String>,
    /// Keys where the guide's URL is not the document's: text that the
    /// guide's URL answers with (status line and body), e.g. `404`.
    #[serde(default)]
    pub differ: BTreeMap<String, String>,
}

/// Endpoints a client POSTs to; the others are opened with GET.
const POSTED: &[&str] = &[
    "token_endpoint",
    "device_authorization_endpoint",
    "introspection_endpoint",
    "revocation_endpoint",
    "backchannel_authentication_endpoint",
    "pushed_authorization_request_endpoint",
];

impl Stack<'_> {
    pub(super) async fn do_discovery(&mut self, s: &Discovery) -> Result<StepReport> {
        let issuer = match s.at {
            At::Keycloak => self.realm_issuer()?,
            At::Dex => self
                .dex
                .as_ref()
                .map(|d| d.issuer().to_string())
                .ok_or_else(|| Error::step("discovery", "the scenario has no dex"))?,
        };
        let http = self.run.ca.http_client()?;
        let url = format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
        let doc = crate::oidc::get_json(&http, "discovery", &url).await?;
        if let Some(stale) = s.differ.keys().find(|k| !s.endpoints.contains_key(*k)) {
            return Err(Error::step(
                "discovery",
                format!("`differ` names `{stale}`, which is not in `endpoints`"),
            ));
        }
        let mut rows = Vec::new();
        let mut problems = Vec::new();
        for (key, guide) in &s.endpoints {
            let real = doc[key].as_str().unwrap_or_default();
            match (real == guide, s.differ.get(key)) {
                (true, None) => rows.push(format!("{key}: {guide} (as discovery)")),
                (true, Some(_)) => problems.push(format!(
                    "{key}: expected the guide's URL to differ from discovery, both are {guide}"
                )),
                (false, None) => problems.push(format!(
                    "{key}: the guide has {guide}, discovery has {}",
                    if real.is_empty() { "no such key" } else { real }
                )),
                (false, Some(wanted)) => {
                    let answer = probe(&http, key, guide).await;
                    let row = format!(
                        "{key}: the guide has {guide}, discovery has {real}; the guide's URL answers {answer}"
                    );
                    if !answer.contains(wanted.as_str()) {
                        problems.push(format!("{row} (expected it to show `{wanted}`)"));
                    }
                    self.observed.pages.push(row.clone());
                    rows.push(row);
                }
            }
        }
        if !problems.is_empty() {
            return Err(Error::step(
                "discovery",
                format!(
                    "{}\ndiscovery document ({url}):\n{}",
                    problems.join("\n"),
                    serde_json::to_string_pretty(&pick(&doc, s.endpoints.keys()))
                        .unwrap_or_default()
                ),
            ));
        }
        Ok(StepReport {
            output: Some(rows.join("\n")),
            ..Default::default()
        })
    }
}

/// What `url` answers: status and the start of its body.
async fn probe(http: &reqwest::Client, key: &str, url: &str) -> String {
    let request = if POSTED.contains(&key) {
        http.post(url).form(&[("client_id", "")])
    } else {
        http.get(url)
    };
    match request.send().await {
        Ok(resp) => {
            let status = resp.status();
            let body = resp.text().await.unwrap_or_default();
            format!("{status}: {}", truncate(body.trim(), 200))
        }
        Err(e) => format!("no answer: {e}"),
    }
}

fn pick<'a>(doc: &Value, keys: impl Iterator<Item = &'a String>) -> Value {
    Value::Object(
        keys.map(|k| (k.clone(), doc.get(k).cloned().unwrap_or(Value::Null)))
            .collect(),
    )
}

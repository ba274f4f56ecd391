//! `discovery`: a guide's table of endpoints checked against the issuer's real
//! discovery document. Each guide URL must be the document's value for its
//! key; where the guide differs on purpose of the check (`differ`), the
//! harness asks the guide's URL itself and the answer must show the given
//! text, so a finding stays true to what the real program does.

use serde_json::Value;

use super::Perform;
use crate::error::{Error, Result};
use crate::model::report::StepReport;
use crate::model::steps::Discovery;
use crate::model::text::truncate;
use crate::run::cx::StepCx;

/// Endpoints a client POSTs to; the others are opened with GET.
const POSTED: &[&str] = &[
    "token_endpoint",
    "device_authorization_endpoint",
    "introspection_endpoint",
    "revocation_endpoint",
    "backchannel_authentication_endpoint",
    "pushed_authorization_request_endpoint",
];

impl Perform for Discovery {
    async fn perform(&self, cx: &mut StepCx<'_>) -> Result<StepReport> {
        let issuer = cx.issuer(self.at)?;
        let http = cx.run.ca.http_client()?;
        let url = format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
        let doc = crate::infra::oidc::get_json(&http, "discovery", &url).await?;
        if let Some(stale) = self
            .differ
            .keys()
            .find(|k| !self.endpoints.contains_key(*k))
        {
            return Err(Error::step(
                "discovery",
                format!("`differ` names `{stale}`, which is not in `endpoints`"),
            ));
        }
        let mut rows = Vec::new();
        let mut problems = Vec::new();
        for (key, guide) in &self.endpoints {
            let real = doc[key].as_str().unwrap_or_default();
            match (real == guide, self.differ.get(key)) {
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
                    cx.evidence.discovery_mismatches.push(row.clone());
                    rows.push(row);
                }
            }
        }
        if !problems.is_empty() {
            return Err(Error::expectation(
                "discovery",
                format!(
                    "{}\ndiscovery document ({url}):\n{}",
                    problems.join("\n"),
                    serde_json::to_string_pretty(&pick(&doc, self.endpoints.keys()))
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

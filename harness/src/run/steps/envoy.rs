//! `envoy_jwt`: a token a user got in an earlier step, sent through the
//! EMULATED Envoy of OSMO's chart (`emulated::envoy`, configured by the
//! scenario's `osmo_values.sidecars.envoy.jwt`) and then through the EMULATED
//! pool visibility rule of the OSMO guide (`emulated::osmo_pools`). The tokens
//! and the JWKS are the real Keycloak's; what the hop decides is printed with
//! the `[emulated]` label and kept for `diagnose`.

use serde_json::Value;

use super::Perform;
use crate::emulated::LABEL;
use crate::emulated::envoy;
use crate::emulated::osmo_pools;
use crate::error::{Error, Result};
use crate::model::evidence::{EnvoyDecision, TokenKind};
use crate::model::report::StepReport;
use crate::model::steps::EnvoyJwt;
use crate::run::cx::{StepCx, grant_key};
use crate::run::verify::{redact, verify_subset};

impl Perform for EnvoyJwt {
    async fn perform(&self, cx: &mut StepCx<'_>) -> Result<StepReport> {
        let values = cx.scenario.osmo_values.clone().ok_or_else(|| {
            Error::step(
                "envoy",
                "the scenario has no osmo_values (sidecars.envoy.jwt)",
            )
        })?;
        let block = values
            .pointer("/sidecars/envoy/jwt")
            .cloned()
            .ok_or_else(|| Error::step("envoy", "osmo_values has no sidecars.envoy.jwt"))?;
        let envoy: envoy::EnvoyJwt = serde_json::from_value(block)
            .map_err(|e| Error::step("envoy", format!("osmo_values.sidecars.envoy.jwt: {e}")))?;
        let grant = cx
            .grants
            .get(&grant_key(&self.client, &self.user))
            .ok_or_else(|| {
                Error::step(
                    "envoy",
                    format!(
                        "no tokens of `{}` from client `{}`: get them in an earlier step",
                        self.user, self.client
                    ),
                )
            })?;
        let token = grant[&self.token]
            .as_str()
            .ok_or_else(|| {
                Error::step(
                    "envoy",
                    format!("the token response has no `{}`", self.token),
                )
            })?
            .to_string();
        let http = cx.run.ca.http_client()?;
        let outcome = envoy
            .check(&http, &token, crate::infra::oidc::unix_now())
            .await;
        let roles = outcome.roles.clone().unwrap_or_default();
        let visible = osmo_pools::visible_pools(&roles, &self.pools);
        let mut lines = outcome.lines();
        if outcome.accepted_by.is_some() {
            lines.push(format!(
                "{LABEL} OSMO pool visibility for {}: roles {:?} make {:?} visible (pools {:?})",
                self.user, roles, visible, self.pools
            ));
        }
        let claims = crate::infra::oidc::peek_claims(&token).unwrap_or(Value::Null);
        let auth = values.pointer("/services/service/auth");
        let osmo_clients: Vec<&str> = ["device_client_id", "browser_client_id"]
            .iter()
            .filter_map(|k| auth.and_then(|a| a[*k].as_str()))
            .collect();
        let text = |k: &str| claims[k].as_str().map(String::from);
        cx.evidence.envoy.push(EnvoyDecision {
            user: self.user.clone(),
            client: self.client.clone(),
            token: if self.token == "access_token" {
                TokenKind::AccessToken
            } else {
                TokenKind::IdToken
            },
            azp: text("azp"),
            aud: claims["aud"].clone(),
            preferred_username: text("preferred_username"),
            status: outcome.status,
            body: outcome.body.clone(),
            providers: outcome.providers.clone(),
            provider_audiences: envoy.providers.iter().map(|p| p.audience.clone()).collect(),
            osmo_clients: osmo_clients.iter().map(|c| c.to_string()).collect(),
            headers: outcome.headers.clone(),
            roles: outcome.roles.clone(),
            iat: claims["iat"].as_i64(),
            pools: self.pools.clone(),
            visible_pools: visible.clone(),
        });
        let report = StepReport {
            claims: Some(redact(claims)),
            error: (outcome.status != 200).then(|| format!("{} {}", outcome.status, outcome.body)),
            output: Some(lines.join("\n")),
            ..Default::default()
        };
        let e = &self.expect;
        let mut problems = Vec::new();
        if let Some(status) = e.status
            && status != outcome.status
        {
            problems.push(format!("status: expected {status}, got {}", outcome.status));
        }
        if let Some(body) = &e.body
            && !outcome.body.contains(body.as_str())
        {
            problems.push(format!("body: expected `{body}`, got `{}`", outcome.body));
        }
        if let Some(wanted) = &e.providers {
            for (audience, verdict) in wanted {
                let got = outcome
                    .providers
                    .iter()
                    .find(|p| &p.audience == audience)
                    .map(|p| p.verdict.as_str())
                    .unwrap_or("(no such provider)");
                if got != verdict {
                    problems.push(format!(
                        "provider `{audience}`: expected `{verdict}`, got `{got}`"
                    ));
                }
            }
        }
        if let Some(wanted) = &e.roles {
            let (mut a, mut b) = (wanted.clone(), roles.clone());
            a.sort();
            b.sort();
            if a != b {
                problems.push(format!("roles: expected {wanted:?}, got {roles:?}"));
            }
        }
        if let Some(wanted) = &e.pools
            && wanted != &visible
        {
            problems.push(format!(
                "visible pools: expected {wanted:?}, got {visible:?}"
            ));
        }
        if !problems.is_empty() {
            return Err(Error::expectation(
                "envoy",
                format!(
                    "{}\n{}\ntoken claims: {}",
                    problems.join("\n"),
                    lines.join("\n"),
                    report.claims.clone().unwrap_or_default()
                ),
            ));
        }
        let headers = serde_json::to_value(&outcome.headers).ok();
        verify_subset("[emulated] upstream headers", &e.headers, &headers)?;
        Ok(report)
    }
}

//! `envoy_jwt`: a token a user got in an earlier step, sent through the
//! EMULATED Envoy of OSMO's chart (`emulated::envoy`, configured by the
//! scenario's `osmo_values.sidecars.envoy.jwt`) and then through the EMULATED
//! pool visibility rule of the OSMO guide (`emulated::osmo_pools`). The tokens
//! and the JWKS are the real Keycloak's; what the hop decides is printed with
//! the `[emulated]` label and kept for `diagnose`.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Value, json};

use super::runner::{Stack, StepReport};
use super::verify::{redact, verify_subset};
use crate::emulated::LABEL;
use crate::emulated::envoy::EnvoyJwt;
use crate::emulated::osmo_pools;
use crate::error::{Error, Result};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvoyJwtStep {
    /// Whose token, got from which client in an earlier step
    /// (`device_login`, `browser_login at: keycloak`, `password_grant`).
    pub user: String,
    pub client: String,
    /// `id_token` (what OSMO's CLI stores and sends, and the `IdToken` cookie
    /// of its UI) or `access_token`.
    #[serde(default = "id_token")]
    pub token: String,
    /// OSMO's pools, for the pool visibility rule.
    #[serde(default)]
    pub pools: Vec<String>,
    #[serde(default)]
    pub expect: EnvoyExpect,
}

fn id_token() -> String {
    "id_token".into()
}

/// What the emulated hop must decide. Unset fields are not checked.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvoyExpect {
    /// 200, or Envoy's 401/403.
    #[serde(default)]
    pub status: Option<u16>,
    /// Envoy's local reply body (its status string).
    #[serde(default)]
    pub body: Option<String>,
    /// Each provider's verdict by its audience: `ok` or Envoy's status string.
    #[serde(default)]
    pub providers: Option<BTreeMap<String, String>>,
    /// A subset of the headers added for the upstream (`x-osmo-user` ...).
    #[serde(default)]
    pub headers: Option<Value>,
    /// The verified token's `roles` claim, in any order; `[]` when the token
    /// has none.
    #[serde(default)]
    pub roles: Option<Vec<String>>,
    /// The pools the roles make visible.
    #[serde(default)]
    pub pools: Option<Vec<String>>,
}

/// The key under which a step keeps a token response.
pub fn grant_key(client: &str, user: &str) -> String {
    format!("{client} {user}")
}

impl Stack<'_> {
    pub(super) async fn do_envoy_jwt(&mut self, s: &EnvoyJwtStep) -> Result<StepReport> {
        let values = self.scenario.osmo_values.clone().ok_or_else(|| {
            Error::step(
                "envoy",
                "the scenario has no osmo_values (sidecars.envoy.jwt)",
            )
        })?;
        let block = values
            .pointer("/sidecars/envoy/jwt")
            .cloned()
            .ok_or_else(|| Error::step("envoy", "osmo_values has no sidecars.envoy.jwt"))?;
        let envoy: EnvoyJwt = serde_json::from_value(block)
            .map_err(|e| Error::step("envoy", format!("osmo_values.sidecars.envoy.jwt: {e}")))?;
        let grant = self
            .grants
            .get(&grant_key(&s.client, &s.user))
            .ok_or_else(|| {
                Error::step(
                    "envoy",
                    format!(
                        "no tokens of `{}` from client `{}`: get them in an earlier step",
                        s.user, s.client
                    ),
                )
            })?;
        let token = grant[&s.token]
            .as_str()
            .ok_or_else(|| {
                Error::step("envoy", format!("the token response has no `{}`", s.token))
            })?
            .to_string();
        let http = self.run.ca.http_client()?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or_default();
        let outcome = envoy.check(&http, &token, now).await;
        let roles = outcome.roles.clone().unwrap_or_default();
        let visible = osmo_pools::visible_pools(&roles, &s.pools);
        let mut lines = outcome.lines();
        if outcome.accepted_by.is_some() {
            lines.push(format!(
                "{LABEL} OSMO pool visibility for {}: roles {:?} make {:?} visible (pools {:?})",
                s.user, roles, visible, s.pools
            ));
        }
        let claims = crate::oidc::peek_claims(&token).unwrap_or(Value::Null);
        let auth = values.pointer("/services/service/auth");
        let osmo_clients: Vec<&str> = ["device_client_id", "browser_client_id"]
            .iter()
            .filter_map(|k| auth.and_then(|a| a[*k].as_str()))
            .collect();
        self.observed.osmo.push(json!({
            "user": s.user,
            "client": s.client,
            "token": s.token,
            "claims": {
                "azp": claims["azp"],
                "aud": claims["aud"],
                "preferred_username": claims["preferred_username"],
            },
            "status": outcome.status,
            "body": outcome.body,
            "accepted_by": outcome.accepted_by,
            "providers": outcome.providers,
            "provider_audiences": envoy.providers.iter().map(|p| p.audience.as_str()).collect::<Vec<_>>(),
            "osmo_clients": osmo_clients,
            "headers": outcome.headers,
            "roles": outcome.roles,
            "pools": { "all": s.pools, "visible": visible },
            "lines": lines,
        }));
        let report = StepReport {
            claims: Some(redact(claims)),
            error: (outcome.status != 200).then(|| format!("{} {}", outcome.status, outcome.body)),
            output: Some(lines.join("\n")),
            ..Default::default()
        };
        let e = &s.expect;
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
            return Err(Error::step(
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

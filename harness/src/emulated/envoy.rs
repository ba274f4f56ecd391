//! EMULATED: Envoy's `jwt_authn` filter as OSMO's Helm chart configures it from
//! `sidecars.envoy.jwt` (one provider per entry, `audiences: [audience]`,
//! `remote_jwks` at `jwks_uri`, `claim_to_headers` from `user_claim` to
//! `user_header`, all providers under one `requires_any` rule), followed by
//! the chart's `roles` Lua filter (`x-osmo-roles` from the verified payload's
//! `roles` claim). Envoy cannot run here: the harness applies that documented
//! contract to real tokens, with the real JWKS of the real issuer, and labels
//! everything it prints `[emulated]`.
//!
//! The checks follow Envoy's authenticator in its order: the token's `iss` must
//! be the provider's issuer ("Jwt issuer is not configured"), then the time
//! constraints with 60 s of clock skew ("Jwt is expired"), then the audiences
//! (`aud` may be a string or a list; allowed when any of them is one of the
//! provider's audiences, compared without an `http(s)://` prefix or trailing
//! slash: "Audiences in Jwt are not allowed", HTTP 403), then the signature
//! against the JWKS ("Jwt verification fails"). With `requires_any` the first
//! accepting provider wins; when none accepts, the answer is the last error
//! that is not about a missing token or another issuer, as in Envoy's
//! `AnyVerifierImpl`.

use std::collections::BTreeMap;

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{DecodingKey, Validation};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Envoy's status strings (jwt_verify_lib), as it puts them in the body.
pub const UNKNOWN_ISSUER: &str = "Jwt issuer is not configured";
pub const EXPIRED: &str = "Jwt is expired";
pub const NOT_YET_VALID: &str = "Jwt not yet valid";
pub const AUDIENCE_NOT_ALLOWED: &str = "Audiences in Jwt are not allowed";
pub const VERIFICATION_FAILS: &str = "Jwt verification fails";
pub const NO_MATCHING_KEY: &str = "Jwks doesn't have key to match kid or alg from Jwt";
pub const BAD_FORMAT: &str =
    "Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections";
pub const MISSING: &str = "Jwt is missing";
pub const ALG_NOT_SUPPORTED: &str = "Jwt header [alg] is not supported";

/// The algorithms Envoy's jwt_verify_lib implements; a token with any other
/// `alg` (`none` among them) is refused when it is parsed, before its issuer
/// is looked at (`Jwt header [alg] is not supported`).
const IMPLEMENTED_ALGS: &[&str] = &[
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "HS256",
    "HS384", "HS512", "EdDSA",
];

/// Envoy's parse of a token: three parts, a JSON header with an implemented
/// `alg`, a JSON payload; returns the payload.
pub(crate) fn parse(token: &str) -> Result<Value, &'static str> {
    if token.split('.').count() != 3 {
        return Err(BAD_FORMAT);
    }
    let header = token
        .split('.')
        .next()
        .and_then(|h| {
            base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, h).ok()
        })
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        .ok_or(BAD_FORMAT)?;
    if !header["alg"]
        .as_str()
        .is_some_and(|a| IMPLEMENTED_ALGS.contains(&a))
    {
        return Err(ALG_NOT_SUPPORTED);
    }
    crate::infra::oidc::peek_claims(token).ok_or(BAD_FORMAT)
}

/// Envoy's clock skew default (`clock_skew_seconds`).
const CLOCK_SKEW: i64 = 60;

/// `sidecars.envoy.jwt`, as in OSMO's Helm values.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvoyJwt {
    pub user_header: String,
    pub providers: Vec<JwtProvider>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct JwtProvider {
    pub issuer: String,
    pub audience: String,
    pub jwks_uri: String,
    pub user_claim: String,
    pub cluster: String,
}

pub use crate::model::evidence::ProviderVerdict;

/// What the filter chain does with a request carrying the token.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    /// 200 when a provider accepted the token, else 401 or 403.
    pub status: u16,
    /// Envoy's local reply body on a rejection, else empty.
    pub body: String,
    /// The audience of the provider that accepted it.
    pub accepted_by: Option<String>,
    pub providers: Vec<ProviderVerdict>,
    /// Headers added for the upstream (`user_header`, `x-osmo-roles`).
    pub headers: BTreeMap<String, String>,
    /// The verified payload's `roles` claim; None when it has none.
    pub roles: Option<Vec<String>>,
}

impl Outcome {
    /// The lines the harness prints for this hop.
    pub fn lines(&self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .providers
            .iter()
            .map(|p| {
                format!(
                    "{} envoy jwt_authn {} (audience {}): {}",
                    super::LABEL,
                    p.provider,
                    p.audience,
                    p.verdict
                )
            })
            .collect();
        lines.push(match &self.accepted_by {
            Some(a) => format!(
                "{} envoy: {} via the `{a}` provider, upstream headers {:?}",
                super::LABEL,
                self.status,
                self.headers
            ),
            None => format!("{} envoy: {} {}", super::LABEL, self.status, self.body),
        });
        lines
    }
}

/// The JWKS at `uri`, fetched as Envoy's `remote_jwks` does.
async fn fetch_jwks(http: &reqwest::Client, uri: &str) -> Result<JwkSet, String> {
    let resp = http.get(uri).send().await.map_err(|e| e.to_string())?;
    let status = resp.status();
    let text = resp.text().await.map_err(|e| e.to_string())?;
    if !status.is_success() {
        return Err(format!("{uri}: {status}"));
    }
    serde_json::from_str(&text).map_err(|e| format!("{uri}: not a JWKS: {e}"))
}

impl EnvoyJwt {
    /// Runs the token through every provider, then applies `requires_any`.
    pub async fn check(&self, http: &reqwest::Client, token: &str, now: i64) -> Outcome {
        let mut providers = Vec::new();
        let mut accepted: Option<(usize, Value)> = None;
        for (i, p) in self.providers.iter().enumerate() {
            let verdict = match verify(p, http, token, now).await {
                Ok(payload) => {
                    if accepted.is_none() {
                        accepted = Some((i, payload));
                    }
                    "ok".to_string()
                }
                Err(status) => status,
            };
            providers.push(ProviderVerdict {
                provider: format!("provider_{i}"),
                issuer: p.issuer.clone(),
                audience: p.audience.clone(),
                verdict,
            });
        }
        let Some((i, payload)) = accepted else {
            let body = any_final_status(providers.iter().map(|p| p.verdict.as_str()));
            return Outcome {
                status: if body == AUDIENCE_NOT_ALLOWED {
                    403
                } else {
                    401
                },
                body,
                accepted_by: None,
                providers,
                headers: BTreeMap::new(),
                roles: None,
            };
        };
        let provider = &self.providers[i];
        let mut headers = BTreeMap::new();
        if let Some(user) = claim_text(&payload[&provider.user_claim]) {
            headers.insert(self.user_header.clone(), user);
        }
        let roles: Option<Vec<String>> = payload["roles"].as_array().map(|a| {
            a.iter()
                .filter_map(|r| r.as_str().map(String::from))
                .collect()
        });
        if let Some(roles) = &roles {
            headers.insert("x-osmo-roles".into(), roles.join(","));
        }
        Outcome {
            status: 200,
            body: String::new(),
            accepted_by: Some(provider.audience.clone()),
            providers,
            headers,
            roles,
        }
    }
}

/// Envoy's `AnyVerifierImpl`: the last failure that is not "missing" or
/// "another issuer" wins; else "another issuer"; else "missing".
fn any_final_status<'a>(verdicts: impl Iterator<Item = &'a str>) -> String {
    let mut last = MISSING;
    for v in verdicts {
        if (v != MISSING && v != UNKNOWN_ISSUER) || last == MISSING {
            last = v;
        }
    }
    last.to_string()
}

fn claim_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// One provider's checks, in the order Envoy's authenticator does them.
async fn verify(
    p: &JwtProvider,
    http: &reqwest::Client,
    token: &str,
    now: i64,
) -> Result<Value, String> {
    let payload = parse(token).map_err(String::from)?;
    if payload["iss"].as_str() != Some(p.issuer.as_str()) {
        return Err(UNKNOWN_ISSUER.into());
    }
    if let Some(exp) = payload["exp"].as_i64()
        && now > exp + CLOCK_SKEW
    {
        return Err(EXPIRED.into());
    }
    if let Some(nbf) = payload["nbf"].as_i64()
        && nbf > now + CLOCK_SKEW
    {
        return Err(NOT_YET_VALID.into());
    }
    if !audience_allowed(&payload["aud"], &[p.audience.as_str()]) {
        return Err(AUDIENCE_NOT_ALLOWED.into());
    }
    let set = fetch_jwks(http, &p.jwks_uri).await.map_err(|e| {
        format!(
            "{VERIFICATION_FAILS} (JWKS fetch from cluster `{}`: {e})",
            p.cluster
        )
    })?;
    let header = jsonwebtoken::decode_header(token).map_err(|_| BAD_FORMAT.to_string())?;
    let jwk = match &header.kid {
        Some(kid) => set.find(kid),
        None => set.keys.first(),
    }
    .ok_or_else(|| NO_MATCHING_KEY.to_string())?;
    let key = DecodingKey::from_jwk(jwk).map_err(|_| NO_MATCHING_KEY.to_string())?;
    let mut validation = Validation::new(header.alg);
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    jsonwebtoken::decode::<Value>(token, &key, &validation)
        .map(|d| d.claims)
        .map_err(|_| VERIFICATION_FAILS.to_string())
}

/// Envoy's audience check: any of the token's audiences is an allowed one.
fn audience_allowed(aud: &Value, allowed: &[&str]) -> bool {
    let normal = |s: &str| {
        s.trim_start_matches("https://")
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string()
    };
    let allowed: Vec<String> = allowed.iter().map(|a| normal(a)).collect();
    let token: Vec<&str> = match aud {
        Value::String(s) => vec![s.as_str()],
        Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    token.iter().any(|a| allowed.contains(&normal(a)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn audience_may_be_a_string_or_a_list() {
        assert!(audience_allowed(&json!("osmo-device"), &["osmo-device"]));
        assert!(audience_allowed(
            &json!(["account", "osmo-device"]),
            &["osmo-device"]
        ));
        assert!(!audience_allowed(&json!("account"), &["osmo-device"]));
        assert!(!audience_allowed(&Value::Null, &["osmo-device"]));
        assert!(audience_allowed(
            &json!("https://api.example.com/"),
            &["api.example.com"]
        ));
    }

    #[test]
    fn requires_any_reports_the_last_real_failure() {
        let v = [AUDIENCE_NOT_ALLOWED, AUDIENCE_NOT_ALLOWED, UNKNOWN_ISSUER];
        assert_eq!(any_final_status(v.into_iter()), AUDIENCE_NOT_ALLOWED);
        let v = [UNKNOWN_ISSUER, UNKNOWN_ISSUER];
        assert_eq!(any_final_status(v.into_iter()), UNKNOWN_ISSUER);
        let v = [EXPIRED, UNKNOWN_ISSUER, MISSING];
        assert_eq!(any_final_status(v.into_iter()), EXPIRED);
    }

    #[test]
    fn the_guides_block_parses() {
        let block: EnvoyJwt = crate::infra::yaml::from_str(
            "user_header: x-osmo-user\nproviders:\n- issuer: https://auth.example.com/realms/osmo\n  audience: osmo-device\n  jwks_uri: https://auth.example.com/realms/osmo/protocol/openid-connect/certs\n  user_claim: preferred_username\n  cluster: idp\n",
        )
        .unwrap();
        assert_eq!(block.providers[0].audience, "osmo-device");
    }
}

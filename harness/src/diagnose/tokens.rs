//! Tokens the apiserver refused: what kubectl sent (decoded, never trusted)
//! and the matchers that tell a stale cached token, an expired token and a
//! token from an issuer the apiserver does not trust apart. Each needs the
//! apiserver's own log line AND what the token and the configuration say.

use serde::Serialize;
use serde_json::Value;

use super::chain::apiserver_line;
use super::{Config, Observed};
use crate::scenario::ApiServerSpec;

/// A token kubectl sent and the apiserver answered `Unauthorized`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RefusedToken {
    /// Where it came from: kubelogin's token cache (with the file), or a
    /// kubeconfig `token:` an earlier step filled.
    pub source: String,
    /// Its claims, decoded without verification.
    pub claims: Value,
    /// The `kid` of its JWS header.
    pub kid: Option<String>,
    /// When kubectl sent it, in seconds since the epoch.
    pub used_at: i64,
    /// Whether its issuer (when the case runs it) publishes `kid` right then.
    pub key_published: Option<bool>,
    /// kubectl's line about it.
    pub kubectl: String,
    /// Whether kubelogin answered from its token cache (no browser opened).
    pub from_cache: bool,
}

impl RefusedToken {
    fn exp(&self) -> Option<i64> {
        self.claims["exp"].as_i64()
    }

    fn iss(&self) -> &str {
        self.claims["iss"].as_str().unwrap_or("?")
    }
}

/// The issuers the apiserver trusts: `--oidc-issuer-url`, or every jwt
/// issuer of an AuthenticationConfiguration.
pub(super) fn trusted_issuers(spec: &ApiServerSpec) -> Vec<String> {
    let from_flags = spec.oidc_flags.iter().filter_map(|f| {
        f.trim_start_matches('-')
            .strip_prefix("oidc-issuer-url=")
            .map(String::from)
    });
    let from_config = spec
        .authentication_config
        .iter()
        .flat_map(|c| c["jwt"].as_array().into_iter().flatten())
        .filter_map(|j| j["issuer"]["url"].as_str().map(String::from));
    from_flags.chain(from_config).collect()
}

pub(super) fn stale_token_cache(_: &Config, seen: &Observed) -> Option<String> {
    let line = apiserver_line(seen, "failed to verify signature")?;
    let t = seen.refused_tokens.iter().find(|t| {
        t.from_cache && t.key_published == Some(false) && t.exp().is_some_and(|e| e > t.used_at)
    })?;
    Some(format!(
        "kubectl: \"{}\"; the token came from {} without a sign-in: issued by {} with key {}, which the issuer no longer publishes, and valid for {}s more; kube-apiserver logged: {line}",
        t.kubectl,
        t.source,
        t.iss(),
        t.kid.as_deref().unwrap_or("?"),
        t.exp().unwrap_or(0) - t.used_at
    ))
}

pub(super) fn token_expired(c: &Config, seen: &Observed) -> Option<String> {
    let line = apiserver_line(seen, "token is expired")?;
    let t = seen
        .refused_tokens
        .iter()
        .find(|t| t.exp().is_some_and(|e| e <= t.used_at))?;
    let lifetime = match c.dex.map(|d| &d["expiry"]["idTokens"]) {
        Some(Value::String(s)) => format!("Dex's expiry.idTokens is {s}"),
        _ => "Dex's expiry.idTokens is not set (24h)".to_string(),
    };
    Some(format!(
        "kubectl: \"{}\" with {}: exp {} passed {}s before it was sent; {lifetime}; kube-apiserver logged: {line}",
        t.kubectl,
        t.source,
        t.exp().unwrap_or(0),
        t.used_at - t.exp().unwrap_or(0)
    ))
}

pub(super) fn untrusted_issuer(c: &Config, seen: &Observed) -> Option<String> {
    let trusted = trusted_issuers(c.apiserver?);
    let line = apiserver_line(seen, "invalid bearer token")?;
    let same = |a: &str, b: &str| a.trim_end_matches('/') == b.trim_end_matches('/');
    let t = seen
        .refused_tokens
        .iter()
        .find(|t| !trusted.iter().any(|i| same(i, t.iss())))?;
    let trust = if trusted.is_empty() {
        "the apiserver trusts no OIDC issuer (no --oidc-issuer-url, no --authentication-config)"
            .to_string()
    } else {
        format!("the apiserver trusts {trusted:?}")
    };
    Some(format!(
        "kubectl: \"{}\" with {} issued by {}; {trust}; kube-apiserver logged: {line}",
        t.kubectl,
        t.source,
        t.iss()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(flags: &[&str], config: Option<Value>) -> ApiServerSpec {
        ApiServerSpec {
            oidc_flags: flags.iter().map(|f| f.to_string()).collect(),
            authentication_config: config,
            rbac: None,
        }
    }

    #[track_caller]
    fn check(apiserver: &ApiServerSpec, iss: &str, matches: bool) {
        let seen = Observed {
            apiserver_log: r#"E0101 authentication.go:75] "Unable to authenticate the request" err="invalid bearer token""#.into(),
            refused_tokens: vec![RefusedToken {
                claims: json!({"iss": iss, "exp": 10}),
                used_at: 5,
                ..Default::default()
            }],
            ..Default::default()
        };
        let config = Config {
            apiserver: Some(apiserver),
            ..Default::default()
        };
        assert_eq!(untrusted_issuer(&config, &seen).is_some(), matches);
    }

    #[test]
    fn an_issuer_is_untrusted_unless_configured_by_flag_or_jwt_entry() {
        let dex = "https://127.0.0.2:5556/dex";
        check(&spec(&[], None), dex, true);
        check(
            &spec(&["oidc-issuer-url=https://127.0.0.2:5556/dex"], None),
            dex,
            false,
        );
        // A trailing slash is apiserver-issuer-mismatch, not an untrusted issuer.
        check(
            &spec(&["--oidc-issuer-url=https://127.0.0.2:5556/dex/"], None),
            dex,
            false,
        );
        check(
            &spec(&["oidc-issuer-url=https://127.0.0.3/dex"], None),
            dex,
            true,
        );
        let config = json!({"jwt": [{"issuer": {"url": dex, "audiences": ["kubernetes"]}}]});
        check(&spec(&[], Some(config)), dex, false);
    }
}

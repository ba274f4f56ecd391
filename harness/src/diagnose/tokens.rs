//! Tokens the apiserver refused: what kubectl sent (decoded, never trusted)
//! and the matchers that tell a stale cached token, an expired token and a
//! token from an issuer the apiserver does not trust apart. Each needs the
//! apiserver's own log line AND what the token and the configuration say.

use serde_json::Value;

use super::{ConfigView, Evidence};
use crate::model::spec::ApiServerSpec;

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

pub(super) fn stale_token_cache(_: &ConfigView, seen: &Evidence) -> Option<String> {
    let line = seen.apiserver_line("failed to verify signature")?;
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

pub(super) fn token_expired(c: &ConfigView, seen: &Evidence) -> Option<String> {
    let line = seen.apiserver_line("token is expired")?;
    let t = seen
        .refused_tokens
        .iter()
        .find(|t| t.exp().is_some_and(|e| e <= t.used_at))?;
    let lifetime = match c.dex.as_ref().map(|d| &d["expiry"]["idTokens"]) {
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

pub(super) fn untrusted_issuer(c: &ConfigView, seen: &Evidence) -> Option<String> {
    let trusted = trusted_issuers(c.apiserver.as_ref()?);
    let line = seen.apiserver_line("invalid bearer token")?;
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
    use crate::model::evidence::RefusedToken;
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
        let seen = Evidence {
            apiserver_log: r#"E0101 authentication.go:75] "Unable to authenticate the request" err="invalid bearer token""#.into(),
            refused_tokens: vec![RefusedToken {
                claims: json!({"iss": iss, "exp": 10}),
                used_at: 5,
                ..Default::default()
            }],
            ..Default::default()
        };
        let config = ConfigView {
            apiserver: Some(apiserver.clone()),
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

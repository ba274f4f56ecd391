//! Matchers for what stands in front of the application: oauth2-proxy (its
//! log) and the emulated Istio gateway (its decisions), each with the
//! configuration that explains it.

use super::{ConfigView, Evidence};

/// oauth2-proxy's setting in any of the three forms a deployment gives it:
/// its cfg key, its `OAUTH2_PROXY_*` environment, or a `--flag`.
fn proxy_setting(c: &ConfigView, key: &str) -> Option<String> {
    let p = c.oauth2_proxy.as_ref()?;
    if let Some(v) = p.config.get(key) {
        return Some(v.to_string().trim_matches('"').to_string());
    }
    let env = format!("OAUTH2_PROXY_{}", key.to_uppercase());
    if let Some(v) = p.env.get(&env) {
        return Some(v.clone());
    }
    let flag = format!("--{}", key.replace('_', "-"));
    p.args.iter().find_map(|a| match a.strip_prefix(&flag)? {
        "" => Some("true".to_string()),
        rest => rest.strip_prefix('=').map(str::to_string),
    })
}

pub(super) fn unverified_email_refused(c: &ConfigView, seen: &Evidence) -> Option<String> {
    let line = seen
        .oauth2_proxy_log
        .lines()
        .find(|l| l.contains("isn't verified"))?;
    let setting = proxy_setting(c, "insecure_oidc_allow_unverified_email");
    (setting.as_deref() != Some("true")).then(|| {
        format!(
            "oauth2-proxy: \"{}\"; insecure_oidc_allow_unverified_email = {}",
            line.split("isn't verified")
                .next()
                .map(|head| format!(
                    "{}isn't verified",
                    head.rsplit(']').next().unwrap_or(head).trim_start()
                ))
                .unwrap_or_default(),
            setting.unwrap_or_else(|| "(not set)".into())
        )
    })
}

pub(super) fn cookie_secret_not_decoded(c: &ConfigView, seen: &Evidence) -> Option<String> {
    let line = seen
        .oauth2_proxy_log
        .lines()
        .find(|l| l.contains("cookie_secret must be 16, 24, or 32 bytes"))?;
    let secret = proxy_setting(c, "cookie_secret")?;
    let padded_standard = secret.contains(['+', '/']) || secret.ends_with('=');
    Some(format!(
        "oauth2-proxy: \"{}\"; cookie_secret is {} characters{}",
        line.trim(),
        secret.len(),
        if padded_standard {
            " of standard base64 (with `+`, `/` or `=`), which oauth2-proxy does not decode"
        } else {
            ""
        }
    ))
}

/// The browser was sent to a relative login URL on oauth2-proxy's own host:
/// nothing (no gateway) routes it to Dex.
pub(super) fn relative_urls_without_one_host(c: &ConfigView, seen: &Evidence) -> Option<String> {
    if c.istio.is_some() {
        return None;
    }
    let login = proxy_setting(c, "login_url").filter(|u| u.starts_with('/'))?;
    let line = seen
        .oauth2_proxy_log
        .lines()
        .find(|l| l.contains(&format!("\"{login}")) || l.contains(&format!(" {login}?")))?;
    Some(format!(
        "oauth2-proxy served `{login}` itself: {}; login_url = \"{login}\" is relative and no gateway routes it to Dex",
        line.trim()
    ))
}

/// Dex logged the user's groups but its token has none: the client did not
/// ask for the `groups` scope.
pub(super) fn groups_scope_not_requested(c: &ConfigView, seen: &Evidence) -> Option<String> {
    let login = seen.dex_logins.iter().find(|l| !l.groups.is_empty())?;
    let claims = seen
        .dex_claims
        .iter()
        .find(|cl| cl["email"] == login.email.as_str())?;
    if claims.get("groups").is_some() {
        return None;
    }
    let scope = proxy_setting(c, "scope")?;
    (!scope.split([' ', ',']).any(|s| s == "groups")).then(|| {
        format!(
            "Dex logged groups={:?} for {} but its ID token has no `groups` claim; oauth2-proxy's scope is \"{scope}\"",
            login.groups, login.email
        )
    })
}

/// The gateway accepted a Dex token issued to another client than the one
/// oauth2-proxy signs in with, because its JWT rule lists no audiences.
pub(super) fn jwt_rule_without_audiences(c: &ConfigView, seen: &Evidence) -> Option<String> {
    let rules = c.istio.as_ref()?.request_authentication["spec"]["jwtRules"].as_array()?;
    if rules
        .iter()
        .any(|r| r["audiences"].as_array().is_some_and(|a| !a.is_empty()))
    {
        return None;
    }
    let client = proxy_setting(c, "client_id")?;
    let accepted = seen.gateway.iter().find(|l| {
        l.contains("verified") && l.contains("aud ") && !l.contains(&format!("aud [\"{client}\"]"))
    })?;
    Some(format!(
        "{accepted}; the RequestAuthentication's jwtRules list no audiences, oauth2-proxy's client is `{client}`"
    ))
}

/// After `/oauth2/sign_out` the user was back in without a password: the
/// sign-out ended oauth2-proxy's session only, not the identity provider's.
pub(super) fn sign_out_keeps_provider_session(c: &ConfigView, seen: &Evidence) -> Option<String> {
    let out = seen.sign_outs.iter().find(|s| s.back_in_without_password)?;
    // A backend logout would have ended the provider's session too.
    c.oauth2_proxy.as_ref()?;
    if proxy_setting(c, "backend_logout_url").is_some() {
        return None;
    }
    let provider = proxy_setting(c, "oidc_issuer_url").unwrap_or_else(|| "?".into());
    Some(format!(
        "/oauth2/sign_out removed the cookies {:?}, then the user was back in the application without a password form (the last page: {}); oauth2-proxy's provider is {provider}, and no backend_logout_url is set",
        out.removed, out.then
    ))
}

/// The gateway has no key for a token's `kid` while Dex's log shows its keys
/// changed during the steps: istiod's inlined JWKS lags.
pub(super) fn gateway_jwks_outdated(c: &ConfigView, seen: &Evidence) -> Option<String> {
    c.istio.as_ref()?;
    let refused = seen
        .gateway
        .iter()
        .find(|l| l.contains("Jwks doesn't have key to match kid or alg from Jwt"))?;
    // Dex's log during the steps: its keys changed after the gateway took its set.
    let rotated = seen.dex_log.lines().find(|l| l.contains("keys rotated"))?;
    Some(format!(
        "Dex rotated its signing keys ({}) and then the gateway refused a token with a kid its key set lacks: {}",
        rotated.trim(),
        refused.trim()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[track_caller]
    fn check(proxy: serde_json::Value, expected: Option<&str>) {
        let c = ConfigView {
            oauth2_proxy: Some(serde_json::from_value(proxy).unwrap()),
            ..Default::default()
        };
        assert_eq!(
            proxy_setting(&c, "insecure_oidc_allow_unverified_email").as_deref(),
            expected
        );
    }

    #[test]
    fn a_setting_is_read_from_cfg_env_or_flag() {
        check(
            json!({"config": {"insecure_oidc_allow_unverified_email": "true"}}),
            Some("true"),
        );
        check(
            json!({"config": {"insecure_oidc_allow_unverified_email": true}}),
            Some("true"),
        );
        check(
            json!({"env": {"OAUTH2_PROXY_INSECURE_OIDC_ALLOW_UNVERIFIED_EMAIL": "false"}}),
            Some("false"),
        );
        check(
            json!({"args": ["--insecure-oidc-allow-unverified-email=true"]}),
            Some("true"),
        );
        check(
            json!({"args": ["--insecure-oidc-allow-unverified-email"]}),
            Some("true"),
        );
        check(json!({"args": ["--provider=oidc"]}), None);
    }
}

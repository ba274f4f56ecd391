//! Turns a user's own files (a realm export and a Dex config, as they run them)
//! into a case for `oidc-harness diagnose`.
//!
//! Their public addresses become the run's: every string that starts with the
//! Dex issuer becomes `{{ dex.issuer }}…`, and the Keycloak realm issuer named
//! by the oidc connector becomes `{{ keycloak.issuer }}…`, so a trailing slash
//! or a wrong path survives the move and still fails the way it does for them.
//! The harness adds only what it must: `rootCAs` for the run's CA on each oidc
//! connector, a static client for its app, and, where the export masks the
//! client secret (`**********`), the connector's secret.

use std::path::Path;

use serde_json::{Value, json};

use super::{Case, Scenario, ScenarioFile, load_json};
use crate::error::{Error, IoContext, Result};

/// A user to sign in as.
#[derive(Debug, Clone)]
pub struct Login {
    pub user: String,
    pub password: String,
}

/// `apiserver`: a file of `--oidc-*` flags (one per line or space-separated),
/// or an `AuthenticationConfiguration` YAML.
pub fn case(
    realm_path: &Path,
    dex_path: &Path,
    apiserver: Option<&Path>,
    logins: &[Login],
) -> Result<Case> {
    let realm = load_json(realm_path)?;
    let dex_text =
        std::fs::read_to_string(dex_path).context(|| format!("reading {}", dex_path.display()))?;
    let dex: Value = serde_yaml::from_str(&dex_text).map_err(|e| {
        let (line, column) = e
            .location()
            .map(|l| (l.line(), l.column()))
            .unwrap_or((0, 0));
        Error::Input {
            file: dex_path.to_path_buf(),
            line,
            column,
            message: format!("not a Dex config (YAML): {e}"),
        }
    })?;
    let dex_issuer = dex["issuer"]
        .as_str()
        .unwrap_or_default()
        .trim_end_matches('/')
        .to_string();
    let connector = dex["connectors"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["type"] == "oidc"))
        .ok_or_else(|| input(dex_path, "the Dex config has no `type: oidc` connector"))?
        .clone();
    let kc_issuer = connector["config"]["issuer"]
        .as_str()
        .unwrap_or_default()
        .trim_end_matches('/')
        .to_string();
    if !kc_issuer.contains("/realms/") {
        return Err(input(
            dex_path,
            "the oidc connector's issuer is not a Keycloak realm (…/realms/<name>)",
        ));
    }
    let rewrite = |v: &Value| {
        rewrite_prefix(
            &rewrite_prefix(v, &kc_issuer, "{{ keycloak.issuer }}"),
            &dex_issuer,
            "{{ dex.issuer }}",
        )
    };
    let mut realm = rewrite(&realm);
    let mut dex = rewrite(&dex);

    let client_id = connector["config"]["clientID"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let secret = connector["config"]["clientSecret"].clone();
    if let Some(client) = realm["clients"]
        .as_array_mut()
        .and_then(|cs| cs.iter_mut().find(|c| c["clientId"] == client_id.as_str()))
    {
        let masked = client["secret"]
            .as_str()
            .is_none_or(|s| s.chars().all(|c| c == '*'));
        if masked && secret.is_string() {
            client["secret"] = secret.clone();
        }
    }
    for c in dex["connectors"].as_array_mut().into_iter().flatten() {
        if c["type"] == "oidc" && c["config"]["rootCAs"].is_null() {
            c["config"]["rootCAs"] = json!(["{{ tls.ca_file }}"]);
        }
    }
    let apiserver = match apiserver {
        Some(path) => Some(apiserver_spec(path, &dex_issuer)?),
        None => None,
    };
    // Sign in as the apiserver's client when Dex has it, so the token's
    // audience is the one the apiserver checks; else as a client of our own.
    let audience = apiserver.as_ref().and_then(|a| {
        a["oidc_flags"].as_array()?.iter().find_map(|f| {
            f.as_str()?
                .strip_prefix("oidc-client-id=")
                .map(String::from)
        })
    });
    let mut statics = dex["staticClients"].as_array().cloned().unwrap_or_default();
    let app = match statics
        .iter_mut()
        .find(|c| audience.as_deref().is_some_and(|a| c["id"] == a))
    {
        Some(client) => {
            let mut uris = client["redirectURIs"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            uris.push(json!("{{ app.redirect_uri }}"));
            client["redirectURIs"] = Value::Array(uris);
            json!({"client_id": client["id"], "client_secret": client["secret"], "scopes": ["openid", "profile", "email", "groups"]})
        }
        None => {
            statics.push(json!({
                "id": "oidc-harness-app",
                "name": "oidc-harness",
                "secret": "{{ secret.app }}",
                "redirectURIs": ["{{ app.redirect_uri }}"],
            }));
            json!({"client_id": "oidc-harness-app", "client_secret": "{{ secret.app }}", "scopes": ["openid", "profile", "email", "groups"]})
        }
    };
    dex["staticClients"] = Value::Array(statics);

    let logins: Vec<Login> = if logins.is_empty() {
        plain_passwords(&realm)
    } else {
        logins.to_vec()
    };
    if logins.is_empty() {
        return Err(input(
            realm_path,
            "no user to sign in as: the export has no plain-text passwords; pass --user NAME:PASSWORD",
        ));
    }
    let connector_id = connector["id"].as_str().unwrap_or("oidc").to_string();
    let redirect = rewrite(&connector["config"]["redirectURI"]);
    let scopes = std::iter::once("openid".to_string())
        .chain(
            connector["config"]["scopes"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|s| s.as_str().map(String::from)),
        )
        .collect::<Vec<_>>()
        .join(" ");
    let mut steps = Vec::new();
    for l in &logins {
        steps.push(json!({"browser_login": {
            "at": "keycloak", "client": client_id, "client_secret": secret, "redirect_uri": redirect,
            "scope": scopes, "user": l.user, "password": l.password,
            "expect": {"page_text": ""},
        }}));
        steps.push(json!({"browser_login": {
            "at": "dex", "connector": connector_id, "user": l.user, "password": l.password,
            "expect": {"page_text": ""},
        }}));
        if apiserver.is_some() {
            steps.push(
                json!({"kubectl": {"as": l.user, "args": ["auth", "whoami"], "success": null}}),
            );
        }
    }
    let raw = json!({
        "guide": "diagnose",
        "source": format!("{} + {}", realm_path.display(), dex_path.display()),
        "description": "the user's own configuration",
        "keycloak": {"realm": realm},
        "dex": {"config": dex},
        "app": app,
        "steps": steps,
    });
    let mut raw = raw;
    if let Some(spec) = apiserver {
        raw["apiserver"] = spec;
    }
    let scenario: Scenario =
        serde_json::from_value(raw.clone()).map_err(|e| input(dex_path, &e.to_string()))?;
    let file = ScenarioFile {
        path: dex_path.to_path_buf(),
        name: "user-config".into(),
        scenario,
        raw,
    };
    let label = dex_path
        .canonicalize()
        .ok()
        .and_then(|p| {
            p.parent()?
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
        })
        .unwrap_or_else(|| "user-config".into());
    Ok(Case {
        name: format!("diagnose/{label}/as-given"),
        file,
        variant: None,
        check_diagnosis: false,
    })
}

/// The user's apiserver OIDC settings, addresses rewritten like the rest; the
/// CA becomes the run's.
fn apiserver_spec(path: &Path, dex_issuer: &str) -> Result<Value> {
    let text = std::fs::read_to_string(path).context(|| format!("reading {}", path.display()))?;
    if let Ok(doc) = serde_yaml::from_str::<Value>(&text)
        && doc["kind"] == "AuthenticationConfiguration"
    {
        let mut doc = rewrite_prefix(&doc, dex_issuer, "{{ dex.issuer }}");
        for jwt in doc["jwt"].as_array_mut().into_iter().flatten() {
            jwt["issuer"]["certificateAuthority"] = json!("{{ tls.ca_pem }}");
        }
        return Ok(json!({"authentication_config": doc}));
    }
    let flags: Vec<Value> = text
        .split_whitespace()
        .map(|f| f.trim_start_matches('-').trim_matches('"').to_string())
        .filter(|f| f.starts_with("oidc-") && !f.starts_with("oidc-ca-file"))
        .map(|f| match f.split_once('=') {
            Some((k, v)) => rewrite_prefix(&json!(v), dex_issuer, "{{ dex.issuer }}")
                .as_str()
                .map(|v| json!(format!("{k}={v}")))
                .unwrap_or(json!(f)),
            None => json!(f),
        })
        .chain(std::iter::once(json!("oidc-ca-file={{ tls.ca_file }}")))
        .collect();
    if flags.len() == 1 {
        return Err(input(
            path,
            "no --oidc-* flag and not an AuthenticationConfiguration",
        ));
    }
    Ok(json!({"oidc_flags": flags}))
}

/// Users of the export with a plain-text password credential.
fn plain_passwords(realm: &Value) -> Vec<Login> {
    realm["users"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|u| {
            let password = u["credentials"]
                .as_array()?
                .iter()
                .find(|c| c["type"] == "password")?["value"]
                .as_str()?;
            Some(Login {
                user: u["username"].as_str()?.to_string(),
                password: password.to_string(),
            })
        })
        .collect()
}

/// Replaces `from` at the start of every string by `to`.
fn rewrite_prefix(v: &Value, from: &str, to: &str) -> Value {
    match v {
        Value::String(s) if !from.is_empty() && s.starts_with(from) => {
            Value::String(format!("{to}{}", &s[from.len()..]))
        }
        Value::Array(items) => {
            Value::Array(items.iter().map(|i| rewrite_prefix(i, from, to)).collect())
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), rewrite_prefix(v, from, to)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn input(path: &Path, message: &str) -> Error {
    Error::Input {
        file: path.to_path_buf(),
        line: 0,
        column: 0,
        message: message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_addresses_become_template_values_keeping_their_tails() {
        let v = json!({"a": "https://kc.example.com/realms/paletteai", "b": ["https://ai.example.com/dex/callback/"], "c": "other"});
        let v = rewrite_prefix(
            &v,
            "https://kc.example.com/realms/paletteai",
            "{{ keycloak.issuer }}",
        );
        let v = rewrite_prefix(&v, "https://ai.example.com/dex", "{{ dex.issuer }}");
        assert_eq!(
            v,
            json!({"a": "{{ keycloak.issuer }}", "b": ["{{ dex.issuer }}/callback/"], "c": "other"})
        );
    }
}

//! A static check of a Dex config before anything starts.
//!
//! Dex ignores keys it does not know, so a misspelled `insecureEnableGroup`
//! silently turns a feature off. This checks every section the harness knows
//! against the keys of the pinned Dex's config structs (read from its source:
//! `cmd/dex/config.go`, `storage.Client`, `connector/oidc.Config`) and locates
//! each unknown key in the file. It also predicts the redirect mismatches that
//! can be seen without running anything.

use serde_json::Value;

use crate::infra::yaml::KeyLocation;
use crate::model::realm::Realm;

/// Keys of the pinned Dex, per section. `*` stands for any key.
const TOP: &[&str] = &[
    "issuer",
    "storage",
    "web",
    "telemetry",
    "oauth2",
    "grpc",
    "expiry",
    "logger",
    "frontend",
    "signer",
    "connectors",
    "staticClients",
    "enablePasswordDB",
    "staticPasswords",
    "sessions",
    "mfa",
];
const WEB: &[&str] = &[
    "http",
    "https",
    "headers",
    "tlsCert",
    "tlsKey",
    "tlsMinVersion",
    "tlsMaxVersion",
    "allowedOrigins",
    "allowedHeaders",
    "clientRemoteIP",
];
const OAUTH2: &[&str] = &[
    "grantTypes",
    "responseTypes",
    "skipApprovalScreen",
    "alwaysShowLoginScreen",
    "passwordConnector",
    "pkce",
];
const EXPIRY: &[&str] = &[
    "signingKeys",
    "idTokens",
    "authRequests",
    "deviceRequests",
    "refreshTokens",
];
const LOGGER: &[&str] = &["level", "format", "excludeFields"];
const CONNECTOR: &[&str] = &["type", "name", "id", "config", "grantTypes"];
const STATIC_CLIENT: &[&str] = &[
    "id",
    "idEnv",
    "secret",
    "secretEnv",
    "redirectURIs",
    "postLogoutRedirectURIs",
    "backchannelLogoutURI",
    "refreshTokenLifetime",
    "trustedPeers",
    "public",
    "name",
    "logoURL",
    "allowedConnectors",
    "mfaChain",
];
const STATIC_PASSWORD: &[&str] = &[
    "email",
    "username",
    "name",
    "preferredUsername",
    "emailVerified",
    "userID",
    "hash",
    "hashFromEnv",
    "groups",
];
const OIDC: &[&str] = &[
    "issuer",
    "issuerAlias",
    "clientID",
    "clientSecret",
    "redirectURI",
    "providerDiscoveryOverrides",
    "basicAuthUnsupported",
    "scopes",
    "hostedDomains",
    "rootCAs",
    "insecureSkipEmailVerified",
    "insecureEnableGroups",
    "allowedGroups",
    "acrValues",
    "insecureSkipVerify",
    "getUserInfo",
    "userIDKey",
    "userNameKey",
    "promptType",
    "pkceChallenge",
    "overrideClaimMapping",
    "claimMapping",
    "claimModifications",
];
const OIDC_CLAIM_MAPPING: &[&str] = &["preferred_username", "email", "groups"];

/// An unknown key: where it is and what was expected there.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct UnknownKey {
    /// JSON-pointer-like path, e.g. `connectors[0].config.insecure`.
    pub path: String,
    pub key: String,
    pub line: usize,
    pub column: usize,
    pub expected: Vec<&'static str>,
}

impl UnknownKey {
    /// What is wrong, without where.
    pub fn message(&self) -> String {
        let suggestion = closest(&self.key, &self.expected)
            .map(|s| format!(" (did you mean `{s}`?)"))
            .unwrap_or_default();
        format!(
            "unknown Dex config key `{}`{suggestion}; Dex ignores it silently. Expected one of: {}",
            self.path,
            self.expected.join(", ")
        )
    }
}

impl std::fmt::Display for UnknownKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message())
    }
}

/// Every unknown key in `config`. `locate` gives the line and column of a config path (`connectors[0].config.x`)
/// in the file it came from, (0, 0) when it is not there.
pub fn unknown_keys(config: &Value, locate: impl Fn(&str) -> (usize, usize)) -> Vec<UnknownKey> {
    let mut found = Vec::new();
    let mut check = |v: &Value, path: &str, allowed: &'static [&'static str]| {
        let Some(map) = v.as_object() else { return };
        for key in map.keys().filter(|k| !allowed.contains(&k.as_str())) {
            let full = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            found.push((full, key.clone(), allowed));
        }
    };
    check(config, "", TOP);
    check(&config["web"], "web", WEB);
    check(&config["oauth2"], "oauth2", OAUTH2);
    check(&config["expiry"], "expiry", EXPIRY);
    check(&config["logger"], "logger", LOGGER);
    for (i, c) in config["staticClients"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        check(c, &format!("staticClients[{i}]"), STATIC_CLIENT);
    }
    for (i, p) in config["staticPasswords"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        check(p, &format!("staticPasswords[{i}]"), STATIC_PASSWORD);
    }
    for (i, c) in config["connectors"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        check(c, &format!("connectors[{i}]"), CONNECTOR);
        if c["type"] == "oidc" {
            check(&c["config"], &format!("connectors[{i}].config"), OIDC);
            check(
                &c["config"]["claimMapping"],
                &format!("connectors[{i}].config.claimMapping"),
                OIDC_CLAIM_MAPPING,
            );
        }
    }
    found
        .into_iter()
        .map(|(path, key, expected)| {
            let (line, column) = locate(&path);
            UnknownKey {
                path,
                key,
                line,
                column,
                expected: expected.to_vec(),
            }
        })
        .collect()
}

/// Mismatches visible without running anything; each names what will fail.
pub fn predictions(config: &Value, realm: Option<&Value>) -> Vec<String> {
    let mut out = Vec::new();
    let issuer = config["issuer"]
        .as_str()
        .unwrap_or_default()
        .trim_end_matches('/');
    for c in config["connectors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["type"] == "oidc")
    {
        let conf = &c["config"];
        let Some(redirect) = conf["redirectURI"].as_str() else {
            continue;
        };
        let callback = format!("{issuer}/callback");
        if redirect != callback {
            out.push(format!(
                "connector `{}`: redirectURI `{redirect}` is not Dex's callback `{callback}`: Dex will refuse to start the login (dex-callback-mismatch)",
                c["id"].as_str().unwrap_or("?")
            ));
        }
        let client = conf["clientID"]
            .as_str()
            .and_then(|id| Realm(realm?).client(id));
        if let Some(client) = client {
            let uris: Vec<&str> = client
                .redirect_uris()
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let allowed = uris.iter().any(|u| {
                *u == redirect
                    || (u.ends_with('*') && redirect.starts_with(u.trim_end_matches('*')))
            });
            if !allowed {
                out.push(format!(
                    "connector `{}`: redirectURI `{redirect}` is not among client `{}`'s Valid Redirect URIs {uris:?}: Keycloak will answer \"Invalid parameter: redirect_uri\" (redirect-uri-mismatch)",
                    c["id"].as_str().unwrap_or("?"),
                    client.id()
                ));
            }
        }
    }
    out
}

/// Where the config path `path` is in a file whose Dex config sits under
/// `prefix` (`dex.config.` in a scenario, nothing in a user's dex.yaml).
pub fn position(keys: &[KeyLocation], prefix: &str, path: &str) -> (usize, usize) {
    let full = format!("{prefix}{path}");
    keys.iter()
        .find(|k| k.path == full)
        .map(|k| (k.line, k.column))
        .unwrap_or((0, 0))
}

/// The allowed name closest to a misspelling, if close enough (used for
/// every program's keys and flags).
pub fn closest<'a>(key: &str, allowed: &[&'a str]) -> Option<&'a str> {
    allowed
        .iter()
        .map(|a| (edit_distance(&key.to_lowercase(), &a.to_lowercase()), *a))
        .filter(|(d, _)| *d <= 3)
        .min()
        .map(|(_, a)| a)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            cur.push(
                (prev[j] + usize::from(ca != *cb))
                    .min(prev[j + 1] + 1)
                    .min(cur[j] + 1),
            );
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(yaml: &str, expected: &[&str]) {
        let config: Value = crate::infra::yaml::from_str(yaml).unwrap();
        let keys = crate::infra::yaml::key_locations(yaml).unwrap();
        let got: Vec<String> = unknown_keys(&config, |p| position(&keys, "", p))
            .iter()
            .map(|u| u.to_string())
            .collect();
        let got: Vec<&str> = got
            .iter()
            .map(|s| s.split("; Dex ignores").next().unwrap())
            .collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn a_typo_in_a_connector_is_located_with_a_suggestion() {
        check(
            "issuer: https://x/dex\nconnectors:\n- type: oidc\n  id: keycloak\n  config:\n    issuer: https://kc\n    insecureEnableGroup: true\n",
            &[
                "7:5: unknown Dex config key `connectors[0].config.insecureEnableGroup` (did you mean `insecureEnableGroups`?)",
            ],
        );
    }

    #[test]
    fn kubeflow_insecure_key_is_unknown() {
        check(
            "connectors:\n  - type: oidc\n    id: keycloak\n    config:\n      insecure: false\n",
            &["5:7: unknown Dex config key `connectors[0].config.insecure`"],
        );
    }

    #[test]
    fn a_repeated_unknown_key_is_located_at_each_place() {
        check(
            "connectors:\n  - type: oidc\n    id: a\n    config:\n      insecure: false\n  - type: oidc\n    id: b\n    config:\n      insecure: true\n",
            &[
                "5:7: unknown Dex config key `connectors[0].config.insecure`",
                "9:7: unknown Dex config key `connectors[1].config.insecure`",
            ],
        );
    }

    #[test]
    fn known_keys_pass() {
        check(
            "issuer: x\nenablePasswordDB: true\nstaticClients:\n- id: a\n  redirectURIs: [b]\n  secret: c\n  name: d\n",
            &[],
        );
    }

    #[test]
    fn redirect_mismatches_are_predicted() {
        let config = serde_json::json!({"issuer": "https://d/dex", "connectors": [{"type": "oidc", "id": "kc",
            "config": {"clientID": "dex", "redirectURI": "https://d/dex/callback/"}}]});
        let realm = serde_json::json!({"clients": [{"clientId": "dex", "redirectUris": ["https://d/dex/callback"]}]});
        let p = predictions(&config, Some(&realm));
        assert_eq!(p.len(), 2, "{p:?}");
        assert!(
            p[0].contains("dex-callback-mismatch") && p[1].contains("redirect-uri-mismatch"),
            "{p:?}"
        );
    }
}

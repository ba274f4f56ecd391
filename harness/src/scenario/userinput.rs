//! Reading one of a user's files as text, with the refusals every kind of
//! input shares, said the same way for each: not there, a folder, larger
//! than any configuration file, not text, empty. Each names what was
//! expected in that place.

use std::path::Path;

use serde_json::Value;

use crate::error::{Error, Result};
use crate::infra::{realmrep, yaml};

/// What each explicit input of `diagnose` expects, for the messages.
pub const REALM: &str = "a Keycloak realm export (JSON, as `kc.sh export` or the admin console's partial export writes it)";
pub const DEX_CONFIG: &str =
    "a Dex config (YAML: the file, Helm values with `config:`, or a ConfigMap)";
pub const DEX_DEPLOYMENT: &str = "Dex's Deployment (YAML)";
pub const CONNECTORS: &str = "the dex-auth charm's `connectors` value (a JSON or YAML list)";
pub const CERTIFICATE: &str = "a PEM certificate chain (`-----BEGIN CERTIFICATE-----` blocks)";
pub const APISERVER: &str = "kube-apiserver's OIDC settings (--oidc-* flags, a static pod manifest, a kind config or an AuthenticationConfiguration)";
pub const KUBECONFIG: &str = "a kubeconfig (YAML) whose user entry runs kubelogin";
pub const RBAC: &str = "RBAC bindings (YAML: ClusterRoleBinding, RoleBinding)";
pub const OAUTH2_PROXY: &str = "oauth2-proxy's settings (its cfg, OAUTH2_PROXY_* lines, flags, a Deployment, Helm values or OSMO's values)";
pub const SECRET: &str = "a Kubernetes Secret (YAML)";
pub const CLIENT: &str =
    "an app's OIDC client settings (YAML or JSON: client_id, client_secret, redirect_uri, scopes)";
pub const REQUEST_AUTHENTICATION: &str = "an Istio RequestAuthentication (YAML)";
pub const SIGN_IN_USERS: &str = "`NAME:PASSWORD` lines";

/// Larger than any configuration file: a realm export of ten thousand users
/// is about 10 MiB.
pub const LARGEST: u64 = 32 << 20;

/// The text of `path`, or the one refusal that says why it cannot be read
/// as `expected`.
pub fn read(path: &Path, expected: &str) -> Result<String> {
    let refuse = |what: String| Error::input(path, 0, 0, format!("{what}: expected {expected}"));
    let meta = std::fs::metadata(path).map_err(|e| {
        refuse(match e.kind() {
            std::io::ErrorKind::NotFound => "no such file".to_string(),
            _ => format!("cannot be read ({e})"),
        })
    })?;
    if meta.is_dir() {
        return Err(refuse("a folder, not a file".into()));
    }
    if meta.len() > LARGEST {
        return Err(refuse(format!(
            "{} MiB, larger than any configuration file (at most {} MiB)",
            meta.len() >> 20,
            LARGEST >> 20
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| refuse(format!("cannot be read ({e})")))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        refuse(format!(
            "not a text file (byte {} is not UTF-8)",
            e.utf8_error().valid_up_to()
        ))
    })?;
    if let Some(at) = text.find('\0') {
        return Err(refuse(format!("not a text file (byte {at} is NUL)")));
    }
    if text.trim().is_empty() {
        return Err(refuse("an empty file".into()));
    }
    Ok(text)
}

/// A YAML (or JSON) reading error of a file that should have been `expected`.
pub fn not_yaml(path: &Path, e: yaml::YamlError, expected: &str) -> Error {
    Error::input(
        path,
        e.line,
        e.column,
        format!("not YAML ({}): expected {expected}", e.message),
    )
}

/// A realm export: JSON, each key once, and every key and value one that the
/// pinned Keycloak reads (it refuses the whole realm otherwise, without
/// saying where: see `infra::realmrep`).
pub fn load_realm(path: &Path) -> Result<Value> {
    let text = read(path, REALM)?;
    let realm: Value = serde_json::from_str(&text).map_err(|e| {
        let what = e.to_string();
        let what = what.split(" at line ").next().unwrap_or_default();
        Error::input(
            path,
            e.line(),
            e.column(),
            format!("not valid JSON ({what}): expected {REALM}"),
        )
    })?;
    if !realm.is_object() {
        return Err(Error::input(
            path,
            1,
            1,
            format!(
                "a JSON {} at the top: expected {REALM}",
                kind_of_json(&realm)
            ),
        ));
    }
    // JSON is YAML 1.2: the YAML reader places keys for both.
    if let Some((first, again)) = yaml::duplicate_keys(&text).into_iter().next() {
        return Err(Error::input(
            path,
            again.line,
            again.column,
            format!(
                "`{}` is given twice (first at {}:{}); Keycloak keeps the last one silently: remove one",
                again.path, first.line, first.column
            ),
        ));
    }
    if let Some(problem) = realmrep::problems(&realm).into_iter().next() {
        let keys = yaml::key_locations(&text).unwrap_or_default();
        let (line, column) = keys
            .iter()
            .find(|k| k.path == problem.path)
            .map(|k| (k.line, k.column))
            .unwrap_or((0, 0));
        return Err(Error::input(path, line, column, problem.message));
    }
    Ok(realm)
}

fn kind_of_json(v: &Value) -> &'static str {
    match v {
        Value::Array(_) => "list",
        Value::String(_) => "string",
        Value::Number(_) => "number",
        Value::Bool(_) => "boolean",
        Value::Null => "null",
        Value::Object(_) => "object",
    }
}

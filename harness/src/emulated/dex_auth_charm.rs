//! EMULATED: the Charmed Kubeflow `dex-auth` charm's handling of its
//! `connectors` option (`juju config dex-auth connectors="$(cat oidc-connector.json)"`).
//!
//! The charm cannot run here (it needs Juju and a cluster). Its contract, read
//! from canonical/dex-auth-operator `src/charm.py` (every version from the
//! pod-spec charm to the sidecar one): the option is a plain string; the charm
//! parses it with PyYAML's `yaml.safe_load` and writes whatever comes out, as
//! is, under `connectors:` in the Dex config it renders with `yaml.dump`.
//! Nothing checks its shape: a JSON object where Dex wants a list, or a string
//! where a connector field wants a list, reaches Dex, which refuses the whole
//! config. A value that does not parse at all fails the charm's
//! `config-changed` hook, and Dex never sees it. JSON is YAML, so a JSON list
//! of connectors works.
//!
//! Difference: PyYAML reads YAML 1.1, this reads YAML 1.2 (serde_yaml). They
//! agree on JSON and on the usual YAML; they differ on plain `yes`/`no`/`on`/
//! `off` (booleans to PyYAML, strings here). The parse error's wording is
//! libyaml's, not PyYAML's; its line and column are the same.

use std::fmt;

use serde_json::Value;

use super::LABEL;

pub const PROGRAM: &str = "dex-auth charm";

/// The charm's `config-changed` hook failing on a value that does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// 1-based line and column in the option's value (0 when unknown).
    pub line: usize,
    pub column: usize,
    /// The parser's message, without its location.
    pub message: String,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{LABEL} {PROGRAM}: hook failed: \"config-changed\": yaml.safe_load of the `connectors` option failed at line {}, column {}: {}; Dex keeps its previous config (or, on a first deploy, never starts)",
            self.line, self.column, self.message
        )
    }
}

/// What the charm puts under `connectors:` in Dex's config for this option
/// value, or the hook failure.
pub fn connectors(value: &str) -> Result<Value, Refusal> {
    if value.trim().is_empty() {
        // yaml.safe_load("") is None: `connectors: null`.
        return Ok(Value::Null);
    }
    crate::infra::yaml::from_str::<Value>(value).map_err(|e| Refusal {
        line: e.line,
        column: e.column,
        message: e.message,
    })
}

/// The line of `value` a refusal points at, trimmed (for evidence).
pub fn line_of(value: &str, refusal: &Refusal) -> Option<String> {
    value
        .lines()
        .nth(refusal.line.checked_sub(1)?)
        .map(|l| l.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_json_list_becomes_the_connectors() {
        let v =
            connectors(r#"[{"type": "oidc", "id": "keycloak", "config": {"scopes": ["openid"]}}]"#)
                .unwrap();
        assert_eq!(v[0]["config"]["scopes"][0], "openid");
    }

    #[test]
    fn an_object_passes_through_unchecked() {
        let v = connectors(r#"{"type": "oidc", "id": "keycloak"}"#).unwrap();
        assert!(v.is_object());
    }

    #[test]
    fn the_guides_snippet_as_printed_fails_the_hook_at_line_1() {
        let snippet = "   \"id\": \"keycloak\",\n   \"name\": \"OpenID Connect\",\n   \"config\": {\n     \"scopes\": [\n";
        let refusal = connectors(snippet).unwrap_err();
        assert_eq!(refusal.line, 1, "{refusal}");
        assert!(
            refusal
                .to_string()
                .starts_with("[emulated] dex-auth charm: hook failed")
        );
        assert_eq!(line_of(snippet, &refusal).unwrap(), "\"id\": \"keycloak\",");
    }
}

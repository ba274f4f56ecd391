//! A static check of an AuthenticationConfiguration before anything runs:
//! the pinned kube-apiserver decodes it strictly (`serializer.EnableStrict`
//! in `pkg/kubeapiserver/options/authentication.go`), so a field its types
//! do not have stops the apiserver at start. The fields are those of
//! `k8s.io/apiserver@v0.37.2 pkg/apis/apiserver/v1/types.go`.

use serde_json::Value;

use crate::infra::yaml::KeyLocation;

/// A struct of the config: its fields and, for each nested one, its type.
struct Fields(&'static [(&'static str, Option<&'static Fields>)]);

const PREFIXED: Fields = Fields(&[("claim", None), ("prefix", None), ("expression", None)]);
const CLAIM_OR_EXPRESSION: Fields = Fields(&[("claim", None), ("expression", None)]);
const EXTRA: Fields = Fields(&[("key", None), ("valueExpression", None)]);
const CLAIM_MAPPINGS: Fields = Fields(&[
    ("username", Some(&PREFIXED)),
    ("groups", Some(&PREFIXED)),
    ("uid", Some(&CLAIM_OR_EXPRESSION)),
    ("extra", Some(&EXTRA)),
]);
const ISSUER: Fields = Fields(&[
    ("url", None),
    ("discoveryURL", None),
    ("certificateAuthority", None),
    ("audiences", None),
    ("audienceMatchPolicy", None),
    ("egressSelectorType", None),
]);
const CLAIM_VALIDATION: Fields = Fields(&[
    ("claim", None),
    ("requiredValue", None),
    ("expression", None),
    ("message", None),
]);
const USER_VALIDATION: Fields = Fields(&[("expression", None), ("message", None)]);
const JWT: Fields = Fields(&[
    ("issuer", Some(&ISSUER)),
    ("claimValidationRules", Some(&CLAIM_VALIDATION)),
    ("claimMappings", Some(&CLAIM_MAPPINGS)),
    ("userValidationRules", Some(&USER_VALIDATION)),
]);
const ANONYMOUS_CONDITION: Fields = Fields(&[("path", None)]);
const ANONYMOUS: Fields = Fields(&[
    ("enabled", None),
    ("conditions", Some(&ANONYMOUS_CONDITION)),
]);
const TOP: Fields = Fields(&[
    ("apiVersion", None),
    ("kind", None),
    ("jwt", Some(&JWT)),
    ("anonymous", Some(&ANONYMOUS)),
]);

/// Each field the pinned apiserver does not have, located in the file
/// (`keys`) and with the field it likely meant.
pub fn unknown_fields(doc: &Value, keys: &[KeyLocation]) -> Vec<String> {
    let mut out = Vec::new();
    walk(doc, &TOP, "", keys, &mut out);
    out
}

fn walk(v: &Value, fields: &Fields, at: &str, keys: &[KeyLocation], out: &mut Vec<String>) {
    match v {
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                walk(item, fields, &format!("{at}[{i}]"), keys, out);
            }
        }
        Value::Object(map) => {
            for (k, child) in map {
                let path = if at.is_empty() {
                    k.clone()
                } else {
                    format!("{at}.{k}")
                };
                match fields.0.iter().find(|(name, _)| name == k) {
                    Some((_, Some(inner))) => walk(child, inner, &path, keys, out),
                    Some((_, None)) => {}
                    None => {
                        let (line, column) = keys
                            .iter()
                            .find(|l| l.path == path)
                            .map(|l| (l.line, l.column))
                            .unwrap_or((0, 0));
                        let names: Vec<&str> = fields.0.iter().map(|(n, _)| *n).collect();
                        let near = crate::infra::dexcheck::closest(k, &names)
                            .map(|n| format!(" (did you mean `{n}`?)"))
                            .unwrap_or_default();
                        out.push(format!(
                            "{line}:{column}: `{path}` is not a field of AuthenticationConfiguration{near}: kube-apiserver {} refuses the file at start (strict decoding error: unknown field \"{path}\")",
                            crate::toolchain::versions::KUBERNETES.version
                        ));
                    }
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_misspelled_field_is_located_and_named() {
        let text = "apiVersion: apiserver.config.k8s.io/v1\nkind: AuthenticationConfiguration\njwt:\n- issuer:\n    url: https://x/dex\n    audiences: [kubernetes]\n  claimMapping:\n    username: {claim: email, prefix: \"\"}\n";
        let doc: Value = crate::infra::yaml::from_str(text).unwrap();
        let keys = crate::infra::yaml::key_locations(text).unwrap();
        let found = unknown_fields(&doc, &keys);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].starts_with("7:3: `jwt[0].claimMapping`")
                && found[0].contains("(did you mean `claimMappings`?)"),
            "{found:?}"
        );
    }

    #[test]
    fn the_fields_of_the_guides_pass() {
        let text = "kind: AuthenticationConfiguration\njwt:\n- issuer: {url: u, audiences: [a], certificateAuthority: c}\n  claimMappings:\n    username: {claim: email, prefix: ''}\n    groups: {claim: groups, prefix: ''}\n  claimValidationRules: [{claim: c, requiredValue: v}]\n";
        let doc: Value = crate::infra::yaml::from_str(text).unwrap();
        assert!(unknown_fields(&doc, &[]).is_empty());
    }
}

//! A user's RBAC bindings, checked as the apiserver decodes them: `kubectl
//! apply` asks for strict field validation, so an unknown field or a value
//! of the wrong shape is refused (`strict decoding error: unknown field
//! "subjects[0].names"`). Said here, with its place, before anything starts.

use std::path::Path;

use serde_json::Value;

use super::userinput;
use crate::error::{Error, Result};
use crate::infra::dexcheck::closest;
use crate::infra::yaml;

const BINDING: &[&str] = &["apiVersion", "kind", "metadata", "roleRef", "subjects"];
const ROLE_REF: &[&str] = &["apiGroup", "kind", "name"];
const SUBJECT: &[&str] = &["kind", "apiGroup", "name", "namespace"];
const RBAC_KINDS: &[&str] = &["ClusterRoleBinding", "RoleBinding", "ClusterRole", "Role"];

/// Every document of an RBAC file: at least one RBAC object, and each
/// binding's fields the ones `rbac.authorization.k8s.io/v1` has.
pub fn check(path: &Path, text: &str, docs: &[Value]) -> Result<()> {
    if !docs
        .iter()
        .any(|d| d["kind"].as_str().is_some_and(|k| RBAC_KINDS.contains(&k)))
    {
        return Err(Error::input(
            path,
            0,
            0,
            format!(
                "no ClusterRoleBinding, RoleBinding, ClusterRole or Role in this file: expected {}",
                userinput::RBAC
            ),
        ));
    }
    let keys = yaml::key_locations(text).unwrap_or_default();
    for (i, doc) in docs.iter().enumerate() {
        let Some(kind) = doc["kind"].as_str().filter(|k| k.ends_with("RoleBinding")) else {
            continue;
        };
        if let Some((at, message)) = problem(doc, kind) {
            // Paths of a stream's later documents are not placed; the first's are.
            let (line, column) = keys
                .iter()
                .find(|k| i == 0 && k.path == at)
                .map_or((0, 0), |k| (k.line, k.column));
            let name = doc["metadata"]["name"].as_str().unwrap_or("?");
            return Err(Error::input(
                path,
                line,
                column,
                format!("{kind} {name}: {message}"),
            ));
        }
    }
    Ok(())
}

fn problem(doc: &Value, kind: &str) -> Option<(String, String)> {
    let refused = |field: &str| {
        format!("the apiserver refuses it (strict decoding error: unknown field \"{field}\")")
    };
    let unknown = |map: &Value, prefix: &str, allowed: &[&str]| {
        map.as_object()?
            .keys()
            .find(|k| !allowed.contains(&k.as_str()))
            .map(|k| {
                let at = format!("{prefix}{k}");
                let hint = closest(k, allowed)
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_default();
                (
                    at.clone(),
                    format!("unknown field `{at}`{hint}: {}", refused(&at)),
                )
            })
    };
    let shape = |at: &str, what: &str| {
        Some((
            at.to_string(),
            format!("`{at}` is not {what}: the apiserver cannot decode the {kind}"),
        ))
    };
    if let Some(found) = unknown(doc, "", BINDING) {
        return Some(found);
    }
    if !doc["roleRef"].is_object() {
        return shape("roleRef", "an object (apiGroup, kind, name)");
    }
    if let Some(found) = unknown(&doc["roleRef"], "roleRef.", ROLE_REF) {
        return Some(found);
    }
    let subjects = &doc["subjects"];
    if !subjects.is_null() && !subjects.is_array() {
        return shape("subjects", "a list of subjects");
    }
    for (i, s) in subjects.as_array().into_iter().flatten().enumerate() {
        if !s.is_object() {
            return shape(&format!("subjects[{i}]"), "a subject (kind, name)");
        }
        if let Some(found) = unknown(s, &format!("subjects[{i}]."), SUBJECT) {
            return Some(found);
        }
    }
    None
}

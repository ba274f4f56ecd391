//! RBAC manifests as a user gives them: each binding (who is granted which
//! role) with one request its role allows, so the binding can be asked of the
//! real apiserver with a user's own token, and its subjects compared with the
//! identity the apiserver computed for that user.

use serde_json::Value;

use crate::infra::yaml::{self, YamlError};

/// `User alice@example.com`, `Group admins`, `ServiceAccount ns/name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    pub kind: String,
    pub name: String,
}

impl std::fmt::Display for Subject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} `{}`", self.kind, self.name)
    }
}

impl Subject {
    /// Whether the apiserver's identity is this subject.
    pub fn names(&self, username: &str, groups: &[String]) -> bool {
        match self.kind.as_str() {
            "User" => self.name == username,
            "Group" => groups.contains(&self.name),
            _ => false,
        }
    }

    /// The identity's name this subject almost is (it is the subject under
    /// a prefix, or differs in case or by a leading `/`): a prefix the
    /// apiserver adds, or a group path, that the binding does not spell.
    pub fn nearly<'a>(&self, username: &'a str, groups: &'a [String]) -> Option<&'a str> {
        let candidates: Vec<&str> = match self.kind.as_str() {
            "User" => vec![username],
            "Group" => groups.iter().map(String::as_str).collect(),
            _ => Vec::new(),
        };
        let plain = |s: &str| s.trim_start_matches('/').to_lowercase();
        // What a prefix ends with: `oidc:`, `<issuer>#`, a literal quote.
        let prefixed = |c: &str| {
            c.strip_suffix(self.name.as_str())
                .and_then(|head| head.chars().last())
                .is_some_and(|last| matches!(last, ':' | '#' | '/' | '"' | '\'' | '-' | '_' | '.'))
        };
        candidates.into_iter().find(|c| {
            *c != self.name && !c.is_empty() && (prefixed(c) || plain(c) == plain(&self.name))
        })
    }
}

/// A ClusterRoleBinding or RoleBinding.
#[derive(Debug, Clone)]
pub struct Binding {
    /// `ClusterRoleBinding/oidc-admins`, `RoleBinding/team/editors`.
    pub name: String,
    pub namespace: Option<String>,
    /// `ClusterRole/cluster-admin`.
    pub role: String,
    pub subjects: Vec<Subject>,
    /// A request the role allows (`["create", "deployments.apps"]`), when
    /// the role is a built-in one or given in the same files.
    pub action: Option<Vec<String>>,
}

/// The objects of a stream of manifests, `List`s opened, empty documents dropped.
pub fn objects(text: &str) -> Result<Vec<Value>, YamlError> {
    Ok(yaml::documents(text)?
        .into_iter()
        .flat_map(|d| match d["items"].as_array() {
            Some(items) if d["kind"] == "List" => items.clone(),
            _ => vec![d],
        })
        .filter(Value::is_object)
        .collect())
}

/// Every binding in `text` (a stream of manifests, `List`s opened).
pub fn bindings(text: &str) -> Result<Vec<Binding>, YamlError> {
    let docs = objects(text)?;
    let roles: Vec<&Value> = docs
        .iter()
        .filter(|d| d["kind"] == "ClusterRole" || d["kind"] == "Role")
        .collect();
    Ok(docs
        .iter()
        .filter(|d| d["kind"] == "ClusterRoleBinding" || d["kind"] == "RoleBinding")
        .map(|d| {
            let str_of = |v: &Value| v.as_str().unwrap_or_default().to_string();
            let namespace = d["metadata"]["namespace"].as_str().map(String::from);
            let role_kind = str_of(&d["roleRef"]["kind"]);
            let role_name = str_of(&d["roleRef"]["name"]);
            let given = roles.iter().find(|r| {
                r["kind"] == role_kind.as_str()
                    && r["metadata"]["name"] == role_name.as_str()
                    && (role_kind == "ClusterRole"
                        || r["metadata"]["namespace"].as_str() == namespace.as_deref())
            });
            let action = match given {
                Some(role) => allowed(role),
                None if role_kind == "ClusterRole" => built_in(&role_name),
                None => None,
            };
            Binding {
                name: match &namespace {
                    Some(ns) => format!(
                        "{}/{ns}/{}",
                        str_of(&d["kind"]),
                        str_of(&d["metadata"]["name"])
                    ),
                    None => format!("{}/{}", str_of(&d["kind"]), str_of(&d["metadata"]["name"])),
                },
                namespace,
                role: format!("{role_kind}/{role_name}"),
                subjects: d["subjects"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|s| Subject {
                        kind: str_of(&s["kind"]),
                        name: str_of(&s["name"]),
                    })
                    .collect(),
                action,
            }
        })
        .collect())
}

/// One request a role's first usable rule allows.
fn allowed(role: &Value) -> Option<Vec<String>> {
    role["rules"].as_array()?.iter().find_map(|rule| {
        let first = |key: &str| {
            rule[key]
                .as_array()
                .and_then(|a| a.first())
                .and_then(Value::as_str)
                .map(String::from)
        };
        let verb = first("verbs")?;
        let verb = if verb == "*" { "get".to_string() } else { verb };
        let resource = match first("resources")?.as_str() {
            "*" => "pods".to_string(),
            r => r.to_string(),
        };
        let resource = match first("apiGroups").as_deref() {
            None | Some("") | Some("*") => resource,
            Some(group) => format!("{resource}.{group}"),
        };
        Some(vec![verb, resource])
    })
}

/// A request each of Kubernetes' user-facing ClusterRoles allows, and
/// `view` does not for the ones above it.
fn built_in(name: &str) -> Option<Vec<String>> {
    let (verb, resource) = match name {
        "cluster-admin" => ("create", "clusterrolebindings.rbac.authorization.k8s.io"),
        "admin" => ("create", "rolebindings.rbac.authorization.k8s.io"),
        "edit" => ("create", "deployments.apps"),
        "view" => ("list", "pods"),
        _ => return None,
    };
    Some(vec![verb.into(), resource.into()])
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFESTS: &str = "\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: oidc-admins}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects:
- {kind: Group, name: admins, apiGroup: rbac.authorization.k8s.io}
---
kind: Role
metadata: {name: reader, namespace: team}
rules:
- {apiGroups: [''], resources: [configmaps], verbs: [get, list]}
---
kind: RoleBinding
metadata: {name: readers, namespace: team}
roleRef: {kind: Role, name: reader}
subjects:
- {kind: User, name: alice@example.com}
";

    #[test]
    fn bindings_with_what_their_roles_allow() {
        let found = bindings(MANIFESTS).unwrap();
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].name, "ClusterRoleBinding/oidc-admins");
        assert_eq!(
            found[0].action.as_deref(),
            Some(
                &[
                    "create".to_string(),
                    "clusterrolebindings.rbac.authorization.k8s.io".to_string()
                ][..]
            )
        );
        assert_eq!(found[1].name, "RoleBinding/team/readers");
        assert_eq!(found[1].namespace.as_deref(), Some("team"));
        assert_eq!(
            found[1].action.as_deref(),
            Some(&["get".to_string(), "configmaps".to_string()][..])
        );
        assert_eq!(found[1].subjects[0].to_string(), "User `alice@example.com`");
    }

    #[test]
    fn a_subject_the_identity_nearly_is() {
        let group = Subject {
            kind: "Group".into(),
            name: "admins".into(),
        };
        let groups = vec![
            "oidc:admins".to_string(),
            "system:authenticated".to_string(),
        ];
        assert!(!group.names("alice", &groups));
        assert_eq!(group.nearly("alice", &groups), Some("oidc:admins"));
        assert!(group.names("alice", &["admins".to_string()]));
        assert_eq!(
            group.nearly("alice", &["/admins".to_string()]),
            Some("/admins")
        );
        assert_eq!(group.nearly("alice", &["editors".to_string()]), None);
        // Another group that happens to end the same way is not a prefix.
        assert_eq!(group.nearly("alice", &["sysadmins".to_string()]), None);
        let platform = Subject {
            kind: "Group".into(),
            name: "platform-admins".into(),
        };
        assert_eq!(platform.nearly("alice", &["admins".to_string()]), None);
        let user = Subject {
            kind: "User".into(),
            name: "alice@example.com".into(),
        };
        assert_eq!(
            user.nearly("https://d.example.com/dex#alice@example.com", &[]),
            Some("https://d.example.com/dex#alice@example.com")
        );
    }
}

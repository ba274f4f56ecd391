//! The harness's own questions to the apiserver, typed, through kube-rs:
//! applying RBAC manifests (server-side apply), who a credential is
//! (SelfSubjectReview) and whether it may do something
//! (SelfSubjectAccessReview). kubectl stays wherever a guide runs kubectl,
//! because its text is what users see.

use crate::error::{Error, Result};
use k8s_openapi::api::authentication::v1::SelfSubjectReview;
use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec,
};
use kube::api::{Api, DynamicObject, Patch, PatchParams, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::discovery::{Discovery, Scope};

/// Who asks: the cluster admin, a bearer token (a user's ID token), or the
/// admin impersonating a user and groups (as `kubectl --as --as-group`).
pub enum Credential<'a> {
    Admin,
    Token(&'a str),
    Impersonate { user: &'a str, groups: &'a [String] },
}

/// The admin's client configuration, read once from the admin kubeconfig
/// (later `kubectl config` steps change that file's current context).
pub async fn admin_config(kubeconfig: &std::path::Path) -> Result<kube::Config> {
    let file = Kubeconfig::read_from(kubeconfig)
        .map_err(|e| Error::step("kube client", format!("{}: {e}", kubeconfig.display())))?;
    kube::Config::from_custom_kubeconfig(file, &KubeConfigOptions::default())
        .await
        .map_err(|e| Error::step("kube client", format!("{}: {e}", kubeconfig.display())))
}

/// A client for `who`, from the admin's configuration (same server, CA).
pub fn client(admin: &kube::Config, who: Credential<'_>) -> Result<kube::Client> {
    let mut config = admin.clone();
    match who {
        Credential::Admin => {}
        Credential::Token(token) => {
            config.auth_info = kube::config::AuthInfo {
                token: Some(token.to_string().into()),
                ..Default::default()
            };
        }
        Credential::Impersonate { user, groups } => {
            config.auth_info.impersonate = Some(user.to_string());
            config.auth_info.impersonate_groups = Some(groups.to_vec());
        }
    }
    kube::Client::try_from(config).map_err(|e| Error::step("kube client", e.to_string()))
}

/// The username and groups the apiserver gives the client's credential.
pub async fn who_is(client: &kube::Client) -> Result<(String, Vec<String>)> {
    let review = Api::<SelfSubjectReview>::all(client.clone())
        .create(&PostParams::default(), &SelfSubjectReview::default())
        .await
        .map_err(|e| Error::step("SelfSubjectReview", e.to_string()))?;
    let info = review.status.and_then(|s| s.user_info).unwrap_or_default();
    Ok((
        info.username.unwrap_or_default(),
        info.groups.unwrap_or_default(),
    ))
}

/// A request as `kubectl auth can-i` takes it: `create pods`,
/// `get deployments.apps`, `get pods/log`, in a namespace or cluster-wide.
#[derive(Debug, Clone, PartialEq)]
pub struct Action {
    pub verb: String,
    pub resource: String,
    pub subresource: Option<String>,
    /// The API group; `None` until resolved by discovery.
    pub group: Option<String>,
    pub namespace: Option<String>,
}

impl Action {
    /// `verb resource[.group][/subresource]`.
    pub fn parse(words: &[String], namespace: Option<&str>) -> Result<Action> {
        let [verb, what] = words else {
            return Err(Error::step(
                "can-i",
                format!("`{}`: expected `<verb> <resource>`", words.join(" ")),
            ));
        };
        let (what, subresource) = match what.split_once('/') {
            Some((r, s)) => (r, Some(s.to_string())),
            None => (what.as_str(), None),
        };
        let (resource, group) = match what.split_once('.') {
            Some((r, g)) => (r.to_string(), Some(g.to_string())),
            None => (what.to_string(), None),
        };
        Ok(Action {
            verb: verb.clone(),
            resource,
            subresource,
            group,
            namespace: namespace.map(String::from),
        })
    }
}

/// Resource names and kinds the apiserver serves (one discovery per case).
pub struct Served(Discovery);

impl Served {
    pub async fn discover(admin: &kube::Client) -> Result<Served> {
        // Aggregated discovery: two requests, not one per API group.
        Discovery::new(admin.clone())
            .run_aggregated()
            .await
            .map(Served)
            .map_err(|e| Error::step("discovery", e.to_string()))
    }

    /// The action's group, found by its plural resource name (the core
    /// group first, as kubectl resolves a bare name).
    pub fn resolve(&self, mut action: Action) -> Result<Action> {
        if action.group.is_some() {
            return Ok(action);
        }
        let group = self
            .0
            .groups()
            .flat_map(|g| g.recommended_resources())
            .find(|(r, _)| r.plural == action.resource)
            .map(|(r, _)| r.group)
            .ok_or_else(|| {
                Error::step(
                    "can-i",
                    format!("the apiserver serves no resource `{}`", action.resource),
                )
            })?;
        action.group = Some(group);
        Ok(action)
    }

    /// Server-side apply of each YAML document of `manifests`, as the
    /// admin; returns `<kind>/<name>` of each.
    pub async fn apply(&self, admin: &kube::Client, manifests: &str) -> Result<Vec<String>> {
        let mut applied = Vec::new();
        for doc in super::rbac::objects(manifests)
            .map_err(|e| Error::step("apply", format!("the manifests: {e}")))?
        {
            let object: DynamicObject = serde_json::from_value(doc.clone())
                .map_err(|e| Error::step("apply", format!("not a Kubernetes object: {e}")))?;
            let types = object
                .types
                .clone()
                .ok_or_else(|| Error::step("apply", "a document without apiVersion and kind"))?;
            let gvk = kube::api::GroupVersionKind::try_from(&types)
                .map_err(|e| Error::step("apply", e.to_string()))?;
            let (resource, caps) = self.0.resolve_gvk(&gvk).ok_or_else(|| {
                Error::step(
                    "apply",
                    format!(
                        "kind {} ({}) is not served by the apiserver",
                        types.kind, types.api_version
                    ),
                )
            })?;
            let name = object.metadata.name.clone().unwrap_or_default();
            let api: Api<DynamicObject> = match (&caps.scope, &object.metadata.namespace) {
                (Scope::Namespaced, Some(ns)) => Api::namespaced_with(admin.clone(), ns, &resource),
                (Scope::Namespaced, None) => Api::default_namespaced_with(admin.clone(), &resource),
                (Scope::Cluster, _) => Api::all_with(admin.clone(), &resource),
            };
            api.patch(
                &name,
                &PatchParams::apply("oidc-harness").force(),
                &Patch::Apply(&doc),
            )
            .await
            .map_err(|e| Error::step("apply", format!("{} {name}: {e}", types.kind)))?;
            applied.push(format!("{}/{name}", types.kind));
        }
        Ok(applied)
    }
}

/// What `can_i` answers when the apiserver refuses the credential itself.
pub const REFUSED: &str = "unauthenticated";

/// Whether the client's credential may do `action` (`yes`/`no`, as
/// kubectl prints it; [`REFUSED`] when the credential is not accepted), and
/// the apiserver's reason when it gives one.
pub async fn can_i(client: &kube::Client, action: &Action) -> Result<(String, Option<String>)> {
    let review = SelfSubjectAccessReview {
        spec: SelfSubjectAccessReviewSpec {
            resource_attributes: Some(ResourceAttributes {
                verb: Some(action.verb.clone()),
                resource: Some(action.resource.clone()),
                subresource: action.subresource.clone(),
                group: action.group.clone(),
                namespace: action.namespace.clone(),
                ..Default::default()
            }),
            ..Default::default()
        },
        ..Default::default()
    };
    let answer = match Api::<SelfSubjectAccessReview>::all(client.clone())
        .create(&PostParams::default(), &review)
        .await
    {
        Ok(answer) => answer,
        // The credential itself is refused (a token the apiserver does not
        // accept): no answer, as kubectl gives none.
        Err(kube::Error::Api(status)) if status.code == 401 => {
            return Ok((REFUSED.to_string(), Some(status.message.clone())));
        }
        Err(e) => return Err(Error::step("SelfSubjectAccessReview", e.to_string())),
    };
    let status = answer.status.unwrap_or_default();
    let reason = status.reason.filter(|r| !r.is_empty());
    Ok((
        if status.allowed { "yes" } else { "no" }.to_string(),
        reason,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn actions_read_as_kubectl_auth_can_i_reads_them() {
        let a = Action::parse(&words("create pods"), None).unwrap();
        assert_eq!(
            (a.verb.as_str(), a.resource.as_str(), a.group),
            ("create", "pods", None)
        );
        let a = Action::parse(&words("get deployments.apps"), Some("team")).unwrap();
        assert_eq!(a.group.as_deref(), Some("apps"));
        assert_eq!(a.namespace.as_deref(), Some("team"));
        let a = Action::parse(&words("get pods/log"), None).unwrap();
        assert_eq!(a.subresource.as_deref(), Some("log"));
        assert!(Action::parse(&words("create"), None).is_err());
    }
}

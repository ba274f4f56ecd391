//! Kubernetes: a real kube-apiserver (with etcd) that trusts an OIDC
//! issuer, natively or on a kind cluster. The choice is a [`Cluster`] the run
//! carries; both back ends take the same [`OidcAuth`].

pub mod apiserver;
pub mod client;
pub mod kind;
pub mod rbac;

use serde_json::Value;

/// How the apiserver authenticates OIDC tokens.
#[derive(Debug, Clone)]
pub enum OidcAuth {
    /// `--oidc-*` flags, each `name=value` (e.g. `oidc-username-prefix=-`).
    Flags(Vec<String>),
    /// An `AuthenticationConfiguration` document.
    Config(Value),
}

/// Where a case's apiserver runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Cluster {
    /// etcd + kube-apiserver as processes of the harness (the default).
    #[default]
    Native,
    /// A kind cluster made from the guide's config (users with Docker).
    Kind,
}

/// The environment variable that puts each case's apiserver on kind.
pub const CLUSTER_VAR: &str = "OIDC_HARNESS_CLUSTER";

impl Cluster {
    /// `OIDC_HARNESS_CLUSTER=kind`, else native: read once, by the run.
    pub fn from_env() -> Cluster {
        match std::env::var(CLUSTER_VAR) {
            Ok(v) if v == "kind" => Cluster::Kind,
            _ => Cluster::Native,
        }
    }
}

//! The scenario as data: the components' configurations in their own formats
//! (a Keycloak RealmRepresentation, a Dex config, oauth2-proxy's keys, the
//! apiserver's OIDC settings) and the steps that exercise them. The file
//! format is documented in `scenario/mod.rs`; this module only holds it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::steps::Step;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Short name of the guide; the first part of every test name.
    pub guide: String,
    /// The guide this follows (title, and where its text is).
    pub source: String,
    pub description: String,
    /// Where the guide and the real programs disagree, found by running it.
    #[serde(default)]
    pub findings: Vec<String>,
    #[serde(default)]
    pub keycloak: Option<KeycloakSpec>,
    #[serde(default)]
    pub dex: Option<DexSpec>,
    #[serde(default)]
    pub app: Option<AppSpec>,
    #[serde(default)]
    pub apiserver: Option<ApiServerSpec>,
    /// PaletteAI's `canvas.impersonationProxy` block, as in its Helm values.
    /// The proxy cannot run here: the harness applies its documented mapping
    /// (an emulated hop) and impersonates on the real apiserver.
    #[serde(default)]
    pub impersonation_proxy: Option<Value>,
    /// A real oauth2-proxy in front of the application (the harness's echo
    /// of what it receives, `{{ upstream.url }}`).
    #[serde(default)]
    pub oauth2_proxy: Option<OAuth2ProxySpec>,
    /// OSMO's Helm values (`osmo_values.yaml`) as a guide shows them:
    /// `services.service.auth` and `sidecars.envoy.jwt`, whose Envoy the
    /// `envoy_jwt` step emulates (`emulated::envoy`).
    #[serde(default)]
    pub osmo_values: Option<Value>,
    /// Kubeflow's Istio ingress gateway, EMULATED (`emulated::istio`): one
    /// host for Dex (`/dex/`, so Dex's issuer becomes `<gateway>/dex`),
    /// oauth2-proxy (`/oauth2/`) and the application, with the guide's
    /// RequestAuthentication and the mesh's ext-authz provider.
    #[serde(default)]
    pub istio: Option<IstioSpec>,
    /// Each step is a map with one key, the verb.
    #[serde(deserialize_with = "super::one_key::strict_enums")]
    pub steps: Vec<Step>,
    /// Misconfigurations of this setup, each reproduced as its own case.
    #[serde(default)]
    pub variants: Vec<Variant>,
}

/// One misconfiguration: the scenario with `patch` applied, its own steps
/// (when the symptom shows in other steps than the base ones) and the
/// diagnosis the harness must name.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variant {
    /// Third part of the test name.
    pub name: String,
    pub description: String,
    /// RFC 6902 operations on the scenario document. The realm is inlined
    /// first, so `/keycloak/realm/clients/0/...` reaches into the export.
    #[serde(default)]
    pub patch: Vec<Value>,
    /// Replaces the scenario's steps.
    #[serde(default, deserialize_with = "super::one_key::strict_enums")]
    pub steps: Option<Vec<Step>>,
    /// The id (from the diagnose catalogue) the harness must name.
    pub diagnosis: String,
    /// What running it showed about the guide or the programs.
    #[serde(default)]
    pub findings: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeycloakSpec {
    /// A RealmRepresentation (as `kc.sh export` writes it), or a path to one
    /// relative to the scenario file. Its realm name is made unique per case.
    pub realm: Value,
    /// A TLS-terminating front before Keycloak (an ingress controller), on
    /// `localhost`, presenting a certificate for these names from the run's
    /// CA: Dex reaches the realm through it at `{{ keycloak.ingress_issuer }}`.
    #[serde(default)]
    pub ingress: Option<IngressSpec>,
    /// A Keycloak of the case's own instead of the run's shared one, for
    /// faults that would disturb other cases (killing it, freezing it, its
    /// clock). Costs a Keycloak start (~15 s).
    #[serde(default)]
    pub own: Option<OwnKeycloak>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OwnKeycloak {
    /// Keycloak's clock offset from the machine's, as `faketime -f` takes
    /// it (`-10m`, `+2h`): the issuer and the relying parties disagree.
    #[serde(default)]
    pub clock_offset: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IngressSpec {
    /// The DNS names its certificate is valid for, e.g. `[ingress.local]`.
    pub certificate_names: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DexSpec {
    /// A Dex config file's content.
    pub config: Value,
    /// Keys Dex does not know that the guide's config has anyway, as paths
    /// (`connectors[0].config.insecure`): acknowledged as a finding. Any other
    /// unknown key stops the case before anything starts.
    #[serde(default)]
    pub ignored_keys: Vec<String>,
    /// Dex's environment (what `idEnv`, `secretEnv`, `hashFromEnv` read).
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// The connectors given the Charmed Kubeflow way: the string value of
    /// `juju config dex-auth connectors=...` (JSON or YAML). The [emulated]
    /// dex-auth charm parses it as the charm does (`yaml.safe_load`) and puts
    /// whatever comes out under `connectors` in `config`; a value that does
    /// not parse fails the charm's hook and Dex is not started.
    #[serde(default)]
    pub connectors_json: Option<String>,
}

/// A real kube-apiserver (with etcd) that trusts an OIDC issuer.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ApiServerSpec {
    /// Legacy flags without the leading `--`, e.g. `oidc-username-prefix=-`.
    #[serde(default)]
    pub oidc_flags: Vec<String>,
    /// A structured `AuthenticationConfiguration` (exclusive with `oidc_flags`).
    #[serde(default)]
    pub authentication_config: Option<Value>,
    /// Manifests (YAML) applied as the cluster admin before the steps.
    #[serde(default)]
    pub rbac: Option<String>,
}

/// oauth2-proxy as a Deployment or Helm chart runs it: the keys of its
/// `oauth2_proxy.cfg`, its environment (`OAUTH2_PROXY_*`) and extra
/// arguments. The harness adds only `--http-address` and its CA.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct OAuth2ProxySpec {
    #[serde(default = "empty_map")]
    pub config: Value,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    #[serde(default)]
    pub args: Vec<String>,
    /// Files the Deployment mounts (its ConfigMaps), by relative path; they
    /// are written under `{{ oauth2_proxy.files }}`.
    #[serde(default)]
    pub files: BTreeMap<String, String>,
    /// Serve HTTPS, as the app is served to its users (a certificate of the
    /// run's CA): `{{ oauth2_proxy.url }}` is then `https://…`.
    #[serde(default)]
    pub tls: bool,
}

fn empty_map() -> Value {
    Value::Object(Default::default())
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppSpec {
    pub client_id: String,
    pub client_secret: String,
    pub scopes: Vec<String>,
    /// The path of its redirect URI (default `/callback`), kept from the
    /// user's client settings.
    #[serde(default)]
    pub redirect_path: Option<String>,
}

/// The scenario's `istio` block: the guide's RequestAuthentication manifest and
/// the mesh config's `envoyExtAuthzHttp` provider for oauth2-proxy.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct IstioSpec {
    /// A `security.istio.io` RequestAuthentication, as applied to the cluster.
    pub request_authentication: Value,
    /// `extensionProviders[].envoyExtAuthzHttp` of the mesh config.
    pub ext_authz: ExtAuthz,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExtAuthz {
    #[serde(default)]
    pub headers_to_upstream_on_allow: Vec<String>,
    #[serde(default)]
    pub headers_to_downstream_on_deny: Vec<String>,
    #[serde(default)]
    pub include_request_headers_in_check: Vec<String>,
}

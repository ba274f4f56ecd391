//! The scenario format: one YAML file per documented setup.
//!
//! A scenario holds the components' configurations in their own formats, so a
//! user can paste theirs in, and a list of steps with expectations:
//!
//! ```yaml
//! guide: paletteai                  # first part of the test name
//! source: "PaletteAI: Configure Dex to Use Keycloak as an OIDC Connector (seeds/000)"
//! description: what this scenario shows
//! findings: [where the guide and the real programs disagree]
//! keycloak:
//!   realm: ../../fixtures/keycloak/paletteai-realm.json  # RealmRepresentation: a path or inline
//! dex:
//!   config: { issuer: "{{ dex.issuer }}", connectors: [...], staticClients: [...] }
//! app:                              # the relying party that signs users in at Dex
//!   client_id: paletteai
//!   client_secret: "{{ secret.app }}"
//!   scopes: [openid, profile, email, groups]
//! steps:
//!   - password_grant: { at: keycloak, client: dex, client_secret: "{{ secret.dex }}",
//!                       user: admin@example.com, scope: openid, expect: { error: unauthorized_client } }
//!   - browser_login: { at: dex, user: admin@example.com, connector: keycloak,
//!                      expect: { claims: { groups: [admins] }, dex_login: { groups: [admins] } },
//!                      snapshot: admin }
//! ```
//!
//! Template values (`{{ ... }}`, in any string, rendered with minijinja):
//! `keycloak.url`, `keycloak.issuer`, `keycloak.realm` (unique per case),
//! `keycloak.ingress_issuer` (the realm through `keycloak.ingress`),
//! `dex.issuer`, `dex.callback`, `dex.internal` (Dex at its own address, as a
//! program inside the cluster calls it), `app.redirect_uri`, `tls.ca_file`
//! (the run's CA, for Dex's `rootCAs`), `oauth2_proxy.url`,
//! `oauth2_proxy.callback`, `oauth2_proxy.cookie_secret` (32 random bytes,
//! URL-safe base64), `oauth2_proxy.cookie_secret_openssl` (as `openssl rand
//! -base64 32` prints them, with a `+` or `/`), `gateway.url` (with `istio:`, Dex's issuer is
//! `<gateway.url>/dex`), `upstream.url` (the application behind the proxy),
//! and `secret.<name>` (random per case, the same value wherever the same
//! name is used). Scenario files hold no ports, no
//! addresses and no secrets.
//!
//! kubectl and kubelogin, as guide 003 uses them:
//!
//! ```yaml
//!   - kubelogin: { user: u@example.com, password: "...", args: ["--oidc-issuer-url={{ dex.issuer }}", ...] }
//!   - set_credentials: { name: oidc, args: [--exec-api-version=..., --exec-command=kubectl, --exec-arg=oidc-login, ...] }
//!   - kubectl: { as: oidc, args: [get, pods, -A], sign_in: { user: u@example.com, password: "..." } }
//!   - restart: dex
//!   - wait_token_expired: { user: oidc }
//! ```
//!
//! `kubectl` runs `as:` the cluster `admin`, a user whose ID token an earlier
//! step got (a static `token:` in a kubeconfig), or a user entry made by
//! `set_credentials` (kubectl then runs kubelogin as its exec plugin, on a
//! terminal; `sign_in` says who signs in when kubelogin opens its browser).
//! `{{ env.HOME }}` is the HOME kubectl and kubelogin run with (the guide's
//! `$HOME`, e.g. in `--token-cache-dir`).
//!
//! Charmed Kubeflow gives Dex its connectors as one string, the value of
//! `juju config dex-auth connectors=...`; `dex.connectors_json` holds it and
//! the [emulated] dex-auth charm turns it into `dex.config.connectors`. A
//! `dex_start` step checks Dex's start-up:
//!
//! ```yaml
//!   - dex_start: { running: true, log: "x509: certificate is valid for ingress.local, not localhost" }
//! ```
//!
//! The OSMO guide's verbs: a guide's endpoints against discovery, the CLI's
//! device flow, the Web UI client's tokens through the [emulated] Envoy of
//! `osmo_values.sidecars.envoy.jwt`, and the Credentials tab:
//!
//! ```yaml
//!   - discovery: { at: keycloak, endpoints: { token_endpoint: "{{ keycloak.issuer }}/protocol/openid-connect/token" } }
//!   - device_login: { client: osmo-device, user: alice, scope: openid offline_access profile, expect: { claims: { azp: osmo-device } } }
//!   - envoy_jwt: { user: alice, client: osmo-device, pools: [group1-h100-gpu], expect: { status: 200, pools: [group1-h100-gpu] } }
//!   - set_password: { user: carol, password: "...", temporary: true }
//! ```
//!
//! The harness's own keys are strict: an unknown key is an error naming the
//! file, line and column and the keys that are valid there.

pub mod device;
pub mod dexstart;
pub mod discovery;
pub mod envoy;
pub mod kind;
pub mod kube;
pub mod kubelogin;
pub mod login;
pub mod proxy;
pub mod runner;
pub mod signin;
pub mod template;
pub mod tokens;
pub mod usercert;
pub mod userfiles;
pub mod users;
pub mod verify;

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use crate::error::{Error, IoContext, Result};

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
    pub istio: Option<crate::emulated::istio::IstioSpec>,
    /// Each step is a map with one key, the verb.
    #[serde(with = "serde_yaml::with::singleton_map_recursive")]
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
    #[serde(default, with = "serde_yaml::with::singleton_map_recursive")]
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
    pub env: std::collections::BTreeMap<String, String>,
    /// The connectors given the Charmed Kubeflow way: the string value of
    /// `juju config dex-auth connectors=...` (JSON or YAML). The [emulated]
    /// dex-auth charm parses it as the charm does (`yaml.safe_load`) and puts
    /// whatever comes out under `connectors` in `config`; a value that does
    /// not parse fails the charm's hook and Dex is not started.
    #[serde(default)]
    pub connectors_json: Option<String>,
}

/// A real kube-apiserver (with etcd) that trusts an OIDC issuer.
#[derive(Debug, Clone, Deserialize)]
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
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct OAuth2ProxySpec {
    #[serde(default = "empty_map")]
    pub config: Value,
    #[serde(default)]
    pub env: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    pub args: Vec<String>,
    /// Files the Deployment mounts (its ConfigMaps), by relative path; they
    /// are written under `{{ oauth2_proxy.files }}`.
    #[serde(default)]
    pub files: std::collections::BTreeMap<String, String>,
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
}

/// One thing the user (or their tooling) does, with what must come out.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Step {
    /// The resource owner password grant at a token endpoint (curl in a guide).
    PasswordGrant(PasswordGrant),
    /// A real sign-in through the login pages in headless Chromium.
    BrowserLogin(BrowserLogin),
    /// `kubectl oidc-login get-token` (the real kubelogin), its browser step
    /// done by the harness's Chromium.
    Kubelogin(Kubelogin),
    /// The real kubectl against the case's apiserver.
    Kubectl(Kubectl),
    /// An RBAC matrix asked of the real apiserver.
    CanI(CanI),
    /// Rows `[user, "verb resource", expected]` for users signed in earlier,
    /// through the emulated impersonation proxy (their Dex groups mapped).
    ProxyCanI(ProxyCanI),
    /// A browser opens the application behind oauth2-proxy (through the
    /// gateway when the scenario has `istio`), signs in at whatever login pages
    /// come, and lands on the application; `expect.headers` is a subset of the
    /// headers the application received.
    ProxyLogin(ProxyLogin),
    /// One HTTP request to the application's address (the gateway's, else
    /// oauth2-proxy's), optionally with a Bearer token a user got earlier.
    HttpGet(HttpGet),
    /// Whether oauth2-proxy is serving and what it logged: with this step in
    /// a case, an oauth2-proxy that refuses its configuration is the step's
    /// evidence instead of a failed case; the steps after it run only if it
    /// is serving.
    Oauth2ProxyStart(StartCheck),
    /// `kubectl config set-credentials <name> <args>` with the guide's
    /// `--exec-*` flags: a user entry (in the cluster's kubeconfig, as kind
    /// writes it) whose credential is kubelogin as kubectl's exec plugin.
    /// The harness appends only kubelogin's CA, listen address and browser
    /// hook (`--exec-arg`s). `kubectl` steps `as:` that name then use it.
    SetCredentials(SetCredentials),
    /// Stops a program of the case and starts it again with the same
    /// configuration and address: `dex` (storage memory: new signing keys,
    /// as a new install of Dex) or `apiserver` (etcd keeps RBAC; what it held
    /// in memory, such as its token cache, is gone).
    Restart(Restartable),
    /// Waits until the ID token of a user (an earlier step's, or the one in
    /// a `set_credentials` entry's token cache) is past its `exp`; at most
    /// two minutes, so shorten Dex's `expiry.idTokens` for this.
    WaitTokenExpired(WaitTokenExpired),
    /// Dex's start-up: whether it is serving and what it logged (a connector
    /// it could not open, a config it could not read). With this step in a
    /// case, a Dex that exits at start (or a config the [emulated] dex-auth
    /// charm refuses) is the step's evidence instead of a failed case; the
    /// steps after it run only if Dex is serving.
    DexStart(StartCheck),
    /// A guide's endpoints table against the issuer's discovery document.
    Discovery(discovery::Discovery),
    /// The OAuth 2.0 Device Authorization Grant as a CLI runs it: the browser
    /// opens the verification URI, signs in and approves; the harness polls.
    DeviceLogin(device::DeviceLogin),
    /// A token from an earlier step through the EMULATED Envoy `jwt_authn`
    /// of `osmo_values.sidecars.envoy.jwt` and OSMO's pool visibility rule.
    EnvoyJwt(envoy::EnvoyJwtStep),
    /// The admin console's Credentials tab: set a user's password, optionally
    /// temporary (through the admin REST API the console uses).
    SetPassword(users::SetPassword),
}

/// `dex_start`, `oauth2_proxy_start`: whether the program is serving and
/// what it logged at start.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartCheck {
    /// Whether it must be serving (default true; `null`: either is fine).
    #[serde(default = "yes")]
    pub running: Option<bool>,
    /// Text its log must contain (Dex's values decoded; for Dex, the charm's
    /// refusal too).
    #[serde(default)]
    pub log: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProxyLogin {
    pub user: String,
    #[serde(default)]
    pub password: Option<String>,
    /// The Dex connector to pick, when Dex shows a choice.
    #[serde(default)]
    pub connector: Option<String>,
    /// The path opened first (default `/`).
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub expect: Expect,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpGet {
    pub path: String,
    /// `Authorization: Bearer` with the ID token the named user got in the
    /// latest earlier step that gave one.
    #[serde(default)]
    pub bearer: Option<String>,
    #[serde(default)]
    pub expect: Expect,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProxyCanI {
    #[serde(default)]
    pub rows: Vec<(String, String, String)>,
    /// The proxy's refusal of its configuration, when that is the symptom.
    #[serde(default)]
    pub expect: Expect,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Kubelogin {
    pub user: String,
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub connector: Option<String>,
    /// The guide's flags (`--oidc-issuer-url=...`); the harness adds only the
    /// token cache, CA, listen address and browser hook.
    pub args: Vec<String>,
    #[serde(default)]
    pub expect: Expect,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Kubectl {
    /// `admin` (client certificate), a user who got a token in an earlier
    /// step, or the name of a `set_credentials` user entry.
    #[serde(rename = "as")]
    pub identity: String,
    pub args: Vec<String>,
    /// Text the output (stdout + stderr) must contain.
    #[serde(default)]
    pub output: Option<String>,
    /// Whether kubectl must succeed (default true; `null`: either is fine).
    #[serde(default = "yes")]
    pub success: Option<bool>,
    /// For a `set_credentials` entry: who signs in when kubelogin opens its
    /// browser. Given, kubelogin must open it; absent, it must not (kubelogin
    /// answers from its token cache).
    #[serde(default)]
    pub sign_in: Option<SignInAs>,
}

/// Who signs in at the login page a program opened.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignInAs {
    pub user: String,
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub connector: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetCredentials {
    /// The user entry's name (`oidc` in the guide).
    pub name: String,
    /// The guide's flags: `--exec-api-version=...`, `--exec-command=...`,
    /// `--exec-arg=...`, `--exec-interactive-mode=...`.
    pub args: Vec<String>,
}

/// A program `restart` can restart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Restartable {
    Dex,
    Apiserver,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaitTokenExpired {
    /// A user who got a token in an earlier step, or a `set_credentials` entry.
    pub user: String,
}

fn yes() -> Option<bool> {
    Some(true)
}

/// Rows `[user, groups, "verb resource", expected]`, e.g.
/// `[editor@example.com, [edit], create pods, yes]`. Each row is asked through
/// impersonation (`kubectl auth can-i --as --as-group`), and also with the
/// user's own token when an earlier step got one; the two must agree.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CanI {
    pub rows: Vec<(String, Vec<String>, String, String)>,
}

/// Which issuer a step talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum At {
    /// The case's Keycloak realm.
    Keycloak,
    /// The case's Dex.
    Dex,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordGrant {
    pub at: At,
    pub client: String,
    pub client_secret: String,
    pub user: String,
    /// Defaults to the user's password in the realm export.
    #[serde(default)]
    pub password: Option<String>,
    pub scope: String,
    #[serde(default)]
    pub expect: Expect,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BrowserLogin {
    /// `dex`: the app starts the code flow at Dex (the whole chain).
    /// `keycloak`: a code flow straight at the realm as `client`.
    pub at: At,
    pub user: String,
    /// Defaults to the user's password in the realm export.
    #[serde(default)]
    pub password: Option<String>,
    /// The Dex connector to pick on Dex's login page.
    #[serde(default)]
    pub connector: Option<String>,
    /// For `at: keycloak`: the Keycloak client, its secret and redirect URI.
    #[serde(default)]
    pub client: Option<String>,
    #[serde(default)]
    pub client_secret: Option<String>,
    #[serde(default)]
    pub redirect_uri: Option<String>,
    #[serde(default)]
    pub scope: Option<String>,
    /// For `at: keycloak`: the new password to set on Keycloak's "Update
    /// password" page (a user with a temporary password).
    #[serde(default)]
    pub new_password: Option<String>,
    #[serde(default)]
    pub expect: Expect,
    /// Name of an insta snapshot of the ID token claims (volatile fields redacted).
    #[serde(default)]
    pub snapshot: Option<String>,
}

/// What a step must show. Objects match as subsets; lists and values exactly.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// The OAuth error code the server answers (e.g. `unauthorized_client`).
    #[serde(default)]
    pub error: Option<String>,
    /// A subset of the verified ID token claims.
    #[serde(default)]
    pub claims: Option<Value>,
    /// A subset of the verified access token claims (Keycloak steps).
    #[serde(default)]
    pub access_claims: Option<Value>,
    /// A subset of the userinfo answer.
    #[serde(default)]
    pub userinfo: Option<Value>,
    /// A subset of Dex's `login successful` line (connector_id, username,
    /// preferred_username, email, groups).
    #[serde(default)]
    pub dex_login: Option<Value>,
    /// Text on the page where the browser ended (an error page).
    #[serde(default)]
    pub page_text: Option<String>,
    /// Text in Dex's log during the step (values decoded, so quotes read plainly).
    #[serde(default)]
    pub dex_log: Option<String>,
    /// The ID token's `exp - iat`, in seconds.
    #[serde(default)]
    pub lifetime_seconds: Option<i64>,
    /// An HTTP status (`http_get`).
    #[serde(default)]
    pub status: Option<u16>,
    /// A subset of the headers the application behind a proxy received
    /// (lower-case names).
    #[serde(default)]
    pub headers: Option<Value>,
    /// Headers the application received that must equal a claim of the
    /// token in its `Authorization` header, e.g. `{x-auth-request-user: sub}`.
    #[serde(default)]
    pub header_claims: Option<std::collections::BTreeMap<String, String>>,
    /// Text in oauth2-proxy's log during the step.
    #[serde(default)]
    pub proxy_log: Option<String>,
    /// A refresh token came with the tokens, and redeeming it at the token
    /// endpoint gives a new ID token for the same subject (offline_access).
    #[serde(default)]
    pub refresh: bool,
}

/// A scenario file: validated, with its raw (unrendered) content kept for
/// rendering per case.
#[derive(Debug, Clone)]
pub struct ScenarioFile {
    pub path: PathBuf,
    /// File stem: the second part of test names.
    pub name: String,
    pub scenario: Scenario,
    pub raw: Value,
}

/// One test: a scenario file as written, or one of its variants.
#[derive(Debug, Clone)]
pub struct Case {
    /// `<guide>/<scenario>/<variant>`, `base` for the scenario as written.
    pub name: String,
    pub file: ScenarioFile,
    pub variant: Option<Variant>,
    /// Whether the diagnoses must match the variant's (none for `base`);
    /// off for `diagnose`, where they are the answer.
    pub check_diagnosis: bool,
}

impl Case {
    /// The scenario document of this case, unrendered: the realm inlined,
    /// the variant's patch applied and its steps in place.
    pub fn document(&self) -> Result<Value> {
        let mut doc = self.file.raw.clone();
        if let Some(realm) = self.file.realm_source()? {
            doc["keycloak"]["realm"] = realm;
        }
        if let Some(map) = doc.as_object_mut() {
            map.remove("variants");
        }
        let Some(variant) = &self.variant else {
            return Ok(doc);
        };
        let ops: json_patch::Patch = serde_json::from_value(Value::Array(variant.patch.clone()))
            .map_err(|e| {
                self.input_error(format!(
                    "variant `{}`: not an RFC 6902 patch: {e}",
                    variant.name
                ))
            })?;
        json_patch::patch(&mut doc, &ops).map_err(|e| {
            self.input_error(format!(
                "variant `{}`: patch does not apply: {e}",
                variant.name
            ))
        })?;
        if let Some(steps) = self.file.raw["variants"]
            .as_array()
            .and_then(|vs| vs.iter().find(|v| v["name"] == variant.name.as_str()))
            .and_then(|v| v.get("steps"))
        {
            doc["steps"] = steps.clone();
        }
        // The base scenario's findings belong to the base case.
        doc["findings"] = serde_json::json!(variant.findings);
        Ok(doc)
    }

    fn input_error(&self, message: String) -> Error {
        Error::Input {
            file: self.file.path.clone(),
            line: 0,
            column: 0,
            message,
        }
    }
}

impl ScenarioFile {
    pub fn load(path: &Path) -> Result<ScenarioFile> {
        let text =
            std::fs::read_to_string(path).context(|| format!("reading {}", path.display()))?;
        let scenario: Scenario = serde_yaml::from_str(&text).map_err(|e| yaml_error(path, &e))?;
        let raw: Value = serde_yaml::from_str(&text).map_err(|e| yaml_error(path, &e))?;
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        Ok(ScenarioFile {
            path: path.to_path_buf(),
            name,
            scenario,
            raw,
        })
    }

    pub fn cases(&self) -> Vec<Case> {
        let base = Case {
            name: format!("{}/{}/base", self.scenario.guide, self.name),
            file: self.clone(),
            variant: None,
            check_diagnosis: true,
        };
        let variants = self.scenario.variants.iter().map(|v| Case {
            name: format!("{}/{}/{}", self.scenario.guide, self.name, v.name),
            file: self.clone(),
            variant: Some(v.clone()),
            check_diagnosis: true,
        });
        std::iter::once(base).chain(variants).collect()
    }

    /// The realm representation, read from its file when given as a path.
    pub fn realm_source(&self) -> Result<Option<Value>> {
        let Some(realm) = self.raw.get("keycloak").and_then(|k| k.get("realm")) else {
            return Ok(None);
        };
        match realm {
            Value::String(rel) => {
                let path = self.path.parent().unwrap_or(Path::new(".")).join(rel);
                load_json(&path).map(Some)
            }
            inline => Ok(Some(inline.clone())),
        }
    }
}

/// Reads a JSON file (a realm export); errors carry line and column.
pub fn load_json(path: &Path) -> Result<Value> {
    let text = std::fs::read_to_string(path).context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| Error::Input {
        file: path.to_path_buf(),
        line: e.line(),
        column: e.column(),
        message: format!("not valid JSON: {e}"),
    })
}

fn yaml_error(path: &Path, e: &serde_yaml::Error) -> Error {
    let (line, column, message) = crate::error::yaml_location(e);
    Error::Input {
        file: path.to_path_buf(),
        line,
        column,
        message,
    }
}

/// Every `*.yaml` scenario under `dir`, sorted by path.
pub fn discover(dir: &Path) -> Result<Vec<ScenarioFile>> {
    let mut paths = Vec::new();
    collect(dir, &mut paths)?;
    paths.sort();
    paths.iter().map(|p| ScenarioFile::load(p)).collect()
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir).context(|| format!("listing {}", dir.display()))? {
        let path = entry
            .context(|| format!("listing {}", dir.display()))?
            .path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "snapshots") {
                collect(&path, out)?;
            }
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check_error(yaml: &str, expected: &str) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.yaml");
        std::fs::write(&path, yaml).unwrap();
        let err = ScenarioFile::load(&path).unwrap_err().to_string();
        let shown = err.replace(&dir.path().display().to_string(), "DIR");
        assert_eq!(shown, expected);
    }

    #[test]
    fn unknown_key_names_location_and_valid_keys() {
        check_error(
            "guide: g\nsource: s\ndescription: d\nstepz: []\n",
            "DIR/bad.yaml:4:1: unknown field `stepz`, expected one of `guide`, `source`, `description`, `findings`, `keycloak`, `dex`, `app`, `apiserver`, `impersonation_proxy`, `oauth2_proxy`, `osmo_values`, `istio`, `steps`, `variants`",
        );
    }

    #[test]
    fn unknown_step_verb_is_located() {
        check_error(
            "guide: g\nsource: s\ndescription: d\nsteps:\n  - browser_logon: {}\n",
            "DIR/bad.yaml:5:5: steps[0]: unknown variant `browser_logon`, expected one of `password_grant`, `browser_login`, `kubelogin`, `kubectl`, `can_i`, `proxy_can_i`, `proxy_login`, `http_get`, `oauth2_proxy_start`, `set_credentials`, `restart`, `wait_token_expired`, `dex_start`, `discovery`, `device_login`, `envoy_jwt`, `set_password`",
        );
    }

    #[test]
    fn realm_export_that_is_not_json_is_located() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("realm.json");
        std::fs::write(&path, "{\n  \"realm\": \"x\",\n  oops\n}\n").unwrap();
        let err = load_json(&path).unwrap_err().to_string();
        assert!(err.contains("realm.json:3:3: not valid JSON"), "{err}");
    }
}

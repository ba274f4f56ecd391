//! The steps a scenario can take, one type each, with what each must show: its
//! own `expect`, so a key the step does not read is an error at load time.
//! What a step needs from its scenario, whether its fields fit together, and
//! how it is labelled are facts of the data and live here; how it runs is in
//! `run/steps/`, one file per family.
//!
//! Adding a step kind: its type here, one line in [`step_kinds!`], and a file
//! in `run/steps/` that implements `Perform` for it.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::expect::Text;

/// Calls `$callback! { Verb(Type), ... }` with every step kind: the one list
/// the `Step` enum and the runner's dispatch are generated from.
#[macro_export]
macro_rules! step_kinds {
    ($callback:ident) => {
        $callback! {
            PasswordGrant(PasswordGrant),
            BrowserLogin(BrowserLogin),
            Kubelogin(Kubelogin),
            Kubectl(Kubectl),
            CanI(CanI),
            BindingsCanI(BindingsCanI),
            ProxyCanI(ProxyCanI),
            ProxyLogin(ProxyLogin),
            HttpGet(HttpGet),
            Oauth2ProxyStart(Oauth2ProxyStart),
            SetCredentials(SetCredentials),
            Restart(Restartable),
            WaitTokenExpired(WaitTokenExpired),
            DexStart(DexStart),
            Discovery(Discovery),
            DeviceLogin(DeviceLogin),
            EnvoyJwt(EnvoyJwt),
            SetPassword(SetPassword),
            SetGroups(SetGroups),
            ProxySignOut(ProxySignOut),
            ForgeToken(ForgeToken),
            Fault(Fault),
        }
    };
}

macro_rules! define_step {
    ($($verb:ident($ty:ty),)*) => {
        /// One thing the user (or their tooling) does, with what must come
        /// out; in a file, a map with one key, the verb (`browser_login: {...}`).
        #[derive(Debug, Clone, Deserialize)]
        #[serde(rename_all = "snake_case", deny_unknown_fields)]
        pub enum Step {
            $($verb($ty),)*
        }

        impl Step {
            pub fn data(&self) -> &dyn StepData {
                match self {
                    $(Step::$verb(s) => s,)*
                }
            }

            /// The verb as a scenario writes it (`browser_login`).
            pub fn verb(&self) -> String {
                let name = match self {
                    $(Step::$verb(_) => stringify!($verb),)*
                };
                snake_case(name)
            }
        }
    };
}
step_kinds!(define_step);

fn snake_case(camel: &str) -> String {
    let mut out = String::new();
    for (i, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// What every step says of itself.
pub trait StepData {
    /// One line for reports (without its number).
    fn label(&self) -> String;
    /// The user it acts for, if any.
    fn user(&self) -> Option<&str> {
        None
    }
    /// The issuer it talks to, if it names one.
    fn at(&self) -> Option<At> {
        None
    }
    /// The parts of the scenario it cannot run without.
    fn needs(&self) -> Vec<Need>;
    /// Fields that do not fit together (a field for `at: keycloak` on a step
    /// `at: dex`); checked at load time.
    fn misfits(&self) -> Vec<String> {
        Vec::new()
    }
}

/// A part of a scenario a step can need.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Need {
    /// `keycloak.realm`
    Realm,
    /// `dex`
    Dex,
    /// `app` (with `dex`): the relying party that signs users in at Dex
    App,
    /// `apiserver`
    Apiserver,
    /// `oauth2_proxy`
    Oauth2Proxy,
    /// `impersonation_proxy`
    ImpersonationProxy,
    /// `osmo_values`
    OsmoValues,
}

impl Need {
    /// The scenario key that provides it.
    pub fn key(self) -> &'static str {
        match self {
            Need::Realm => "keycloak.realm",
            Need::Dex => "dex",
            Need::App => "app",
            Need::Apiserver => "apiserver",
            Need::Oauth2Proxy => "oauth2_proxy",
            Need::ImpersonationProxy => "impersonation_proxy",
            Need::OsmoValues => "osmo_values",
        }
    }
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

impl At {
    pub fn need(self) -> Need {
        match self {
            At::Keycloak => Need::Realm,
            At::Dex => Need::Dex,
        }
    }

    pub fn program(self) -> &'static str {
        match self {
            At::Keycloak => "keycloak",
            At::Dex => "dex",
        }
    }
}

fn yes() -> Option<bool> {
    Some(true)
}

/// The resource owner password grant at a token endpoint (curl in a guide).
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
    pub expect: PasswordGrantExpect,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordGrantExpect {
    /// The OAuth error code the token endpoint answers (`unauthorized_client`).
    #[serde(default)]
    pub error: Option<String>,
    /// A subset of the verified ID token claims.
    #[serde(default)]
    pub claims: Option<Value>,
    /// A subset of the userinfo answer.
    #[serde(default)]
    pub userinfo: Option<Value>,
}

impl StepData for PasswordGrant {
    fn at(&self) -> Option<At> {
        Some(self.at)
    }
    fn user(&self) -> Option<&str> {
        Some(&self.user)
    }
    fn label(&self) -> String {
        format!("password_grant {} as {}", self.client, self.user)
    }
    fn needs(&self) -> Vec<Need> {
        vec![self.at.need()]
    }
}

/// A real sign-in through the login pages in headless Chromium: `at: dex`,
/// the app starts the code flow at Dex (the whole chain); `at: keycloak`, a
/// code flow straight at the realm as `client`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BrowserLogin {
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
    pub expect: BrowserLoginExpect,
    /// Name of an insta snapshot of the ID token claims (volatile fields redacted).
    #[serde(default)]
    pub snapshot: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BrowserLoginExpect {
    /// The error the chain answers (an OAuth code, or the app's error).
    #[serde(default)]
    pub error: Option<String>,
    /// A subset of the verified ID token claims.
    #[serde(default)]
    pub claims: Option<Value>,
    /// ID token claims that must be absent (or empty).
    #[serde(default)]
    pub claims_absent: Vec<String>,
    /// `at: keycloak`: a subset of the verified access token claims.
    #[serde(default)]
    pub access_claims: Option<Value>,
    /// `at: keycloak`: a subset of the userinfo answer.
    #[serde(default)]
    pub userinfo: Option<Value>,
    /// Text on the page where the browser ended (an error page).
    #[serde(default)]
    pub page_text: Option<Text>,
    /// `at: dex`: text in Dex's log during the step (values decoded).
    #[serde(default)]
    pub dex_log: Option<Text>,
    /// `at: dex`: a subset of Dex's `login successful` line (connector_id,
    /// username, preferred_username, email, groups; lists match exactly).
    #[serde(default)]
    pub dex_login: Option<Value>,
    /// `at: dex`: a refresh token came with the tokens, and redeeming it
    /// gives a new ID token for the same subject (offline_access).
    #[serde(default)]
    pub refresh: bool,
}

impl StepData for BrowserLogin {
    fn at(&self) -> Option<At> {
        Some(self.at)
    }
    fn user(&self) -> Option<&str> {
        Some(&self.user)
    }
    fn label(&self) -> String {
        format!("browser_login at {:?} as {}", self.at, self.user)
    }
    fn needs(&self) -> Vec<Need> {
        match self.at {
            At::Dex => vec![Need::Dex, Need::App],
            At::Keycloak => vec![Need::Realm],
        }
    }
    fn misfits(&self) -> Vec<String> {
        let e = &self.expect;
        let mut out = Vec::new();
        let mut field = |set: bool, name: &str, at: &str| {
            if set {
                out.push(format!("`{name}` is for `at: {at}`"));
            }
        };
        match self.at {
            At::Dex => {
                field(self.client.is_some(), "client", "keycloak");
                field(self.client_secret.is_some(), "client_secret", "keycloak");
                field(self.redirect_uri.is_some(), "redirect_uri", "keycloak");
                field(self.scope.is_some(), "scope", "keycloak");
                field(self.new_password.is_some(), "new_password", "keycloak");
                field(
                    e.access_claims.is_some(),
                    "expect.access_claims",
                    "keycloak",
                );
                field(e.userinfo.is_some(), "expect.userinfo", "keycloak");
            }
            At::Keycloak => {
                field(self.connector.is_some(), "connector", "dex");
                field(e.dex_log.is_some(), "expect.dex_log", "dex");
                field(e.dex_login.is_some(), "expect.dex_login", "dex");
                field(e.refresh, "expect.refresh", "dex");
                for (set, name) in [
                    (self.client.is_none(), "client"),
                    (self.client_secret.is_none(), "client_secret"),
                    (self.redirect_uri.is_none(), "redirect_uri"),
                ] {
                    if set {
                        out.push(format!("`at: keycloak` needs `{name}`"));
                    }
                }
            }
        }
        out
    }
}

/// `kubectl oidc-login get-token` (the real kubelogin), its browser step
/// done by the harness's Chromium.
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
    /// Whether kubelogin must hand out a token (default true; `null`: either
    /// is fine, and a failure is the step's report, as `diagnose` needs).
    #[serde(default = "yes")]
    pub success: Option<bool>,
    /// kubelogin trusts only the system's CAs (no `--certificate-authority`
    /// of the run's), as a user's kubelogin that names no CA does.
    #[serde(default)]
    pub system_trust: bool,
    /// kubelogin on its own default listen address (127.0.0.1:8000, then
    /// 18000), as the guide runs it, instead of a free port of the case's.
    /// Runs side by side take turns on those ports; one another program
    /// holds is refused.
    #[serde(default)]
    pub default_listen: bool,
    /// With `default_listen`: ports another program holds during the step.
    #[serde(default)]
    pub occupied: Vec<u16>,
    /// Run `kubectl oidc-login setup` as a guide does: kubelogin prints the
    /// token's claims (checked by `expect.claims`) and keeps the token in its
    /// default cache under the case's HOME; no token is handed to later steps.
    #[serde(default)]
    pub setup: bool,
    #[serde(default)]
    pub expect: KubeloginExpect,
    /// Name of an insta snapshot of the ID token claims (volatile fields redacted).
    #[serde(default)]
    pub snapshot: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KubeloginExpect {
    /// A subset of the verified ID token claims.
    #[serde(default)]
    pub claims: Option<Value>,
    /// The ID token's `exp - iat`, in seconds.
    #[serde(default)]
    pub lifetime_seconds: Option<i64>,
}

impl StepData for Kubelogin {
    fn user(&self) -> Option<&str> {
        Some(&self.user)
    }
    fn label(&self) -> String {
        let command = if self.setup { "setup" } else { "get-token" };
        format!("kubelogin {command} as {}", self.user)
    }
    fn misfits(&self) -> Vec<String> {
        if !self.occupied.is_empty() && !self.default_listen {
            return vec!["`occupied` is for `default_listen: true`".into()];
        }
        Vec::new()
    }
    fn needs(&self) -> Vec<Need> {
        vec![Need::Dex]
    }
}

/// The real kubectl against the case's apiserver.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Kubectl {
    /// `admin` (client certificate), a user who got a token in an earlier
    /// step, or the name of a `set_credentials` user entry.
    #[serde(rename = "as")]
    pub identity: String,
    pub args: Vec<String>,
    /// What the output (stdout + stderr) must show.
    #[serde(default)]
    pub output: Option<Text>,
    /// Whether kubectl must succeed (default true; `null`: either is fine).
    #[serde(default = "yes")]
    pub success: Option<bool>,
    /// For a `set_credentials` entry: who signs in when kubelogin opens its
    /// browser. Given, kubelogin must open it; absent, it must not (kubelogin
    /// answers from its token cache).
    #[serde(default)]
    pub sign_in: Option<SignInAs>,
    /// For a `set_credentials` entry: kubectl's standard input is not a
    /// terminal (a script, a CI job); by default it is one, as in a shell.
    #[serde(default)]
    pub no_terminal: bool,
    /// For `auth whoami`: who the apiserver took the user for, exactly (the
    /// username, and every group in the apiserver's order).
    #[serde(default)]
    pub whoami: Option<Whoami>,
    /// What the apiserver's log must show for the request (its reason for a
    /// refusal: kubectl prints only "You must be logged in to the server").
    #[serde(default)]
    pub apiserver_log: Option<Text>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Whoami {
    pub username: String,
    pub groups: Vec<String>,
}

impl StepData for Kubectl {
    fn user(&self) -> Option<&str> {
        Some(&self.identity)
    }
    fn label(&self) -> String {
        format!("kubectl {} (as {})", self.args.join(" "), self.identity)
    }
    fn needs(&self) -> Vec<Need> {
        vec![Need::Apiserver]
    }
    fn misfits(&self) -> Vec<String> {
        let whoami = self.args.first().is_some_and(|a| a == "auth")
            && self.args.get(1).is_some_and(|a| a == "whoami");
        if self.whoami.is_some() && !whoami {
            return vec!["`whoami` is for `args: [auth, whoami]`".into()];
        }
        Vec::new()
    }
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

/// An RBAC matrix asked of the real apiserver: rows `[user, groups, "verb
/// resource", expected]`, e.g. `[editor@example.com, [edit], create pods,
/// yes]`. Each row is asked through impersonation (`kubectl auth can-i --as
/// --as-group`), and also with the user's own token when an earlier step got
/// one; the two must agree.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CanI {
    pub rows: Vec<(String, Vec<String>, String, String)>,
}

impl StepData for CanI {
    fn label(&self) -> String {
        format!("can-i matrix ({} rows)", self.rows.len())
    }
    fn needs(&self) -> Vec<Need> {
        vec![Need::Apiserver]
    }
}

/// The RBAC bindings the apiserver was given (`apiserver.rbac`), each asked
/// for one request its role allows, with every signed-in user's own token
/// and as the binding's subject: what `diagnose` compares the apiserver's
/// identity of each user with.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BindingsCanI {}

impl StepData for BindingsCanI {
    fn label(&self) -> String {
        "can-i the RBAC bindings imply".to_string()
    }
    fn needs(&self) -> Vec<Need> {
        vec![Need::Apiserver]
    }
}

/// Rows `[user, "verb resource", expected]` for users signed in earlier,
/// through the EMULATED impersonation proxy (their Dex groups mapped).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProxyCanI {
    #[serde(default)]
    pub rows: Vec<(String, String, String)>,
    #[serde(default)]
    pub expect: ProxyCanIExpect,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProxyCanIExpect {
    /// The proxy's refusal of its configuration, when that is the symptom.
    #[serde(default)]
    pub error: Option<String>,
}

impl StepData for ProxyCanI {
    fn label(&self) -> String {
        format!(
            "[emulated] impersonation proxy, can-i ({} rows)",
            self.rows.len()
        )
    }
    fn needs(&self) -> Vec<Need> {
        vec![Need::ImpersonationProxy, Need::Apiserver]
    }
}

/// A browser opens the application behind oauth2-proxy (through the gateway
/// when the scenario has `istio`), signs in at whatever login pages come, and
/// lands on the application.
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
    /// In the browser of the previous browser step, with its cookies (a
    /// user coming back), instead of a fresh one.
    #[serde(default)]
    pub again: bool,
    #[serde(default)]
    pub expect: ProxyLoginExpect,
    /// Name of an insta snapshot of the ID token claims (volatile fields redacted).
    #[serde(default)]
    pub snapshot: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProxyLoginExpect {
    /// A subset of the ID token claims in the `Authorization` header the
    /// application received.
    #[serde(default)]
    pub claims: Option<Value>,
    /// Claims of that token that must be absent (or empty).
    #[serde(default)]
    pub claims_absent: Vec<String>,
    /// A subset of the headers the application received (lower-case names).
    #[serde(default)]
    pub headers: Option<Value>,
    /// Headers the application must NOT have received (or received empty).
    #[serde(default)]
    pub headers_absent: Vec<String>,
    /// Headers that must equal a claim of the token in `Authorization`,
    /// e.g. `{x-auth-request-user: sub}`.
    #[serde(default)]
    pub header_claims: Option<BTreeMap<String, String>>,
    /// A subset of Dex's `login successful` line.
    #[serde(default)]
    pub dex_login: Option<Value>,
    /// Text on the page where the browser ended (an error page).
    #[serde(default)]
    pub page_text: Option<Text>,
    /// Text in Dex's log during the step.
    #[serde(default)]
    pub dex_log: Option<Text>,
    /// Text in oauth2-proxy's log during the step.
    #[serde(default)]
    pub proxy_log: Option<Text>,
    /// How many password forms the user filled on the way (0: an existing
    /// session at Keycloak or Dex signed them in).
    #[serde(default)]
    pub password_forms: Option<u32>,
    /// The session cookie oauth2-proxy set, as the browser keeps it.
    #[serde(default)]
    pub cookie: Option<CookieExpect>,
}

/// A cookie's name and the attributes its `Set-Cookie` gave it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CookieExpect {
    pub name: String,
    /// `expires - now` in seconds, give or take a minute (`cookie_expire`).
    #[serde(default)]
    pub lifetime_seconds: Option<i64>,
    #[serde(default)]
    pub http_only: Option<bool>,
    #[serde(default)]
    pub secure: Option<bool>,
}

/// oauth2-proxy's sign-out (`/oauth2/sign_out`) in the browser of the last
/// browser step, then the application opened again: what the user sees.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProxySignOut {
    #[serde(default)]
    pub expect: ProxySignOutExpect,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProxySignOutExpect {
    /// Cookies the browser must no longer hold after the sign-out.
    #[serde(default)]
    pub cookies_absent: Vec<String>,
    /// Text of the page the application, opened again, shows.
    #[serde(default)]
    pub page_text: Option<Text>,
}

impl StepData for ProxySignOut {
    fn label(&self) -> String {
        "proxy_sign_out (/oauth2/sign_out, then the application again)".to_string()
    }
    fn needs(&self) -> Vec<Need> {
        vec![Need::Oauth2Proxy]
    }
}

impl StepData for ProxyLogin {
    fn user(&self) -> Option<&str> {
        Some(&self.user)
    }
    fn label(&self) -> String {
        format!(
            "proxy_login {} as {}",
            self.path.as_deref().unwrap_or("/"),
            self.user
        )
    }
    fn needs(&self) -> Vec<Need> {
        vec![Need::Oauth2Proxy]
    }
}

/// One HTTP request to the application's address (the gateway's, else
/// oauth2-proxy's), optionally with a Bearer token a user got earlier.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpGet {
    pub path: String,
    /// `Authorization: Bearer` with the ID token the named user got in the
    /// latest earlier step that gave one.
    #[serde(default)]
    pub bearer: Option<String>,
    #[serde(default)]
    pub expect: HttpGetExpect,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpGetExpect {
    #[serde(default)]
    pub status: Option<u16>,
    /// Text in the answer (status line and body).
    #[serde(default)]
    pub page_text: Option<Text>,
    /// Text in oauth2-proxy's log during the step.
    #[serde(default)]
    pub proxy_log: Option<Text>,
    /// A subset of the headers the application received.
    #[serde(default)]
    pub headers: Option<Value>,
    /// Headers the application must NOT have received (or received empty).
    #[serde(default)]
    pub headers_absent: Vec<String>,
}

impl StepData for HttpGet {
    fn label(&self) -> String {
        format!(
            "http_get {}{}",
            self.path,
            self.bearer
                .as_ref()
                .map(|b| format!(" (Bearer: {b}'s token)"))
                .unwrap_or_default()
        )
    }
    fn needs(&self) -> Vec<Need> {
        vec![Need::Oauth2Proxy]
    }
}

/// Whether a program is serving and what it logged at start.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartCheck {
    /// Whether it must be serving (default true; `null`: either is fine).
    #[serde(default = "yes")]
    pub running: Option<bool>,
    /// What its log must show (Dex's values decoded; for Dex, the charm's
    /// refusal too).
    #[serde(default)]
    pub log: Option<Text>,
}

/// Dex's start-up: whether it is serving and what it logged (a connector it
/// could not open, a config it could not read). With this step in a case, a
/// Dex that exits at start (or a config the [emulated] dex-auth charm
/// refuses) is the step's evidence instead of a failed case; the steps after
/// it run only if Dex is serving.
#[derive(Debug, Clone, Deserialize)]
#[serde(transparent)]
pub struct DexStart(pub StartCheck);

impl StepData for DexStart {
    fn label(&self) -> String {
        "dex start".into()
    }
    fn needs(&self) -> Vec<Need> {
        vec![Need::Dex]
    }
}

/// Whether oauth2-proxy is serving and what it logged: with this step in a
/// case, an oauth2-proxy that refuses its configuration is the step's
/// evidence instead of a failed case; the steps after it run only if it is
/// serving.
#[derive(Debug, Clone, Deserialize)]
#[serde(transparent)]
pub struct Oauth2ProxyStart(pub StartCheck);

impl StepData for Oauth2ProxyStart {
    fn label(&self) -> String {
        "oauth2-proxy start".into()
    }
    fn needs(&self) -> Vec<Need> {
        vec![Need::Oauth2Proxy]
    }
}

/// `kubectl config set-credentials <name> <args>` with the guide's `--exec-*`
/// flags: a user entry (in the cluster's kubeconfig, as kind writes it) whose
/// credential is kubelogin as kubectl's exec plugin. The harness appends only
/// kubelogin's CA, listen address and browser hook (`--exec-arg`s). `kubectl`
/// steps `as:` that name then use it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetCredentials {
    /// The user entry's name (`oidc` in the guide).
    pub name: String,
    /// The guide's flags: `--exec-api-version=...`, `--exec-command=...`,
    /// `--exec-arg=...`, `--exec-interactive-mode=...`.
    pub args: Vec<String>,
}

impl StepData for SetCredentials {
    fn label(&self) -> String {
        format!("kubectl config set-credentials {}", self.name)
    }
    fn needs(&self) -> Vec<Need> {
        vec![Need::Apiserver]
    }
}

/// Stops a program of the case and starts it again with the same
/// configuration and address: `dex` (storage memory: new signing keys, as a
/// new install of Dex) or `apiserver` (etcd keeps RBAC; what it held in
/// memory, such as its token cache, is gone).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Restartable {
    Dex,
    Apiserver,
}

impl StepData for Restartable {
    fn label(&self) -> String {
        format!("restart {}", format!("{self:?}").to_lowercase())
    }
    fn needs(&self) -> Vec<Need> {
        match self {
            Restartable::Dex => vec![Need::Dex],
            Restartable::Apiserver => vec![Need::Apiserver],
        }
    }
}

/// Waits until the ID token of a user (an earlier step's, or the one in a
/// `set_credentials` entry's token cache) is past its `exp`; at most two
/// minutes, so shorten Dex's `expiry.idTokens` for this.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaitTokenExpired {
    /// A user who got a token in an earlier step, or a `set_credentials` entry.
    pub user: String,
}

impl StepData for WaitTokenExpired {
    fn user(&self) -> Option<&str> {
        Some(&self.user)
    }
    fn label(&self) -> String {
        format!("wait until {}'s token has expired", self.user)
    }
    fn needs(&self) -> Vec<Need> {
        Vec::new()
    }
}

/// A security probe: a forged copy of the ID token a user got in an earlier
/// step, kept under another name for later steps (`kubectl as:`, `http_get
/// bearer:`, `envoy_jwt user:`), which must see it refused.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForgeToken {
    /// Whose token is the template.
    pub from: String,
    /// The client it was got from, for steps that name one (`envoy_jwt`).
    #[serde(default)]
    pub client: Option<String>,
    /// The name later steps use for the forged token.
    #[serde(rename = "as")]
    pub name: String,
    pub forge: Forgery,
}

/// A fault injected into the chain, on the case's own programs
/// (`keycloak.own`): what a user sees next is the evidence.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    pub keycloak: KeycloakFault,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeycloakFault {
    /// SIGKILL: its port refuses connections from now on.
    Kill,
    /// SIGSTOP: its port accepts connections, nothing answers.
    Freeze,
    /// SIGCONT after a freeze.
    Thaw,
}

impl StepData for Fault {
    fn label(&self) -> String {
        let what = match self.keycloak {
            KeycloakFault::Kill => "killed (SIGKILL)",
            KeycloakFault::Freeze => "frozen (SIGSTOP)",
            KeycloakFault::Thaw => "thawed (SIGCONT)",
        };
        format!("fault: Keycloak {what}")
    }
    fn needs(&self) -> Vec<Need> {
        vec![Need::Realm]
    }
}

/// How a forged token differs from the real one (the claims stay the same).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Forgery {
    /// Header `alg: none`, the signature left empty.
    AlgNone,
    /// Re-signed RS256 by a key not in the issuer's JWKS, under the issuer's `kid`.
    ForeignKeySameKid,
    /// Re-signed RS256 by a key not in the issuer's JWKS, under a new `kid`.
    ForeignKeyNewKid,
}

impl Forgery {
    pub fn describe(self) -> &'static str {
        match self {
            Forgery::AlgNone => "`alg: none`, no signature",
            Forgery::ForeignKeySameKid => {
                "signed RS256 by a key not in the issuer's JWKS, under the issuer's kid"
            }
            Forgery::ForeignKeyNewKid => {
                "signed RS256 by a key not in the issuer's JWKS, under a kid the JWKS lacks"
            }
        }
    }
}

impl StepData for ForgeToken {
    fn user(&self) -> Option<&str> {
        Some(&self.from)
    }
    fn label(&self) -> String {
        format!(
            "forge_token {} from {}'s token: {}",
            self.name,
            self.from,
            self.forge.describe()
        )
    }
    fn needs(&self) -> Vec<Need> {
        Vec::new()
    }
}

/// A guide's endpoints table against the issuer's discovery document. Each
/// guide URL must be the document's value for its key; where the guide
/// differs on purpose of the check (`differ`), the harness asks the guide's
/// URL itself and the answer must show the given text.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Discovery {
    pub at: At,
    /// Discovery keys (`issuer`, `token_endpoint`, `jwks_uri`,
    /// `device_authorization_endpoint` ...) and the URL the guide gives.
    pub endpoints: BTreeMap<String, String>,
    /// Keys where the guide's URL is not the document's: text that the
    /// guide's URL answers with (status line and body), e.g. `404`.
    #[serde(default)]
    pub differ: BTreeMap<String, String>,
}

impl StepData for Discovery {
    fn at(&self) -> Option<At> {
        Some(self.at)
    }
    fn label(&self) -> String {
        format!(
            "discovery at {:?} ({} endpoints)",
            self.at,
            self.endpoints.len()
        )
    }
    fn needs(&self) -> Vec<Need> {
        vec![self.at.need()]
    }
}

/// The OAuth 2.0 Device Authorization Grant as a CLI runs it: the browser
/// opens the verification URI, signs in and approves; the harness polls.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceLogin {
    /// The public client with the device grant on (`osmo-device`).
    pub client: String,
    pub user: String,
    /// Defaults to the user's password in the realm export.
    #[serde(default)]
    pub password: Option<String>,
    /// Defaults to `openid`.
    #[serde(default)]
    pub scope: Option<String>,
    /// The device authorization endpoint as a guide configures it; by default
    /// the realm discovery's `device_authorization_endpoint`.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// Open `verification_uri` and type the user code, instead of opening
    /// `verification_uri_complete`.
    #[serde(default)]
    pub type_user_code: bool,
    #[serde(default)]
    pub expect: DeviceLoginExpect,
    /// Name of an insta snapshot of the ID token claims (volatile fields redacted).
    #[serde(default)]
    pub snapshot: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceLoginExpect {
    /// What the device authorization or token endpoint refused.
    #[serde(default)]
    pub error: Option<String>,
    /// Text on the page where the browser ended.
    #[serde(default)]
    pub page_text: Option<Text>,
    /// A subset of the verified ID token claims.
    #[serde(default)]
    pub claims: Option<Value>,
    /// ID token claims that must be absent (or empty).
    #[serde(default)]
    pub claims_absent: Vec<String>,
    /// A subset of the verified access token claims.
    #[serde(default)]
    pub access_claims: Option<Value>,
}

impl StepData for DeviceLogin {
    fn user(&self) -> Option<&str> {
        Some(&self.user)
    }
    fn label(&self) -> String {
        format!("device_login {} as {}", self.client, self.user)
    }
    fn needs(&self) -> Vec<Need> {
        vec![Need::Realm]
    }
}

/// A token from an earlier step through the EMULATED Envoy `jwt_authn` of
/// `osmo_values.sidecars.envoy.jwt` and OSMO's pool visibility rule.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvoyJwt {
    /// Whose token, got from which client in an earlier step
    /// (`device_login`, `browser_login at: keycloak`, `password_grant`).
    pub user: String,
    pub client: String,
    /// `id_token` (what OSMO's CLI stores and sends, and the `IdToken` cookie
    /// of its UI) or `access_token`.
    #[serde(default = "id_token")]
    pub token: String,
    /// OSMO's pools, for the pool visibility rule.
    #[serde(default)]
    pub pools: Vec<String>,
    #[serde(default)]
    pub expect: EnvoyExpect,
}

fn id_token() -> String {
    "id_token".into()
}

/// What the emulated hop must decide. Unset fields are not checked.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvoyExpect {
    /// 200, or Envoy's 401/403.
    #[serde(default)]
    pub status: Option<u16>,
    /// Envoy's local reply body (its status string).
    #[serde(default)]
    pub body: Option<String>,
    /// Each provider's verdict by its audience: `ok` or Envoy's status string.
    #[serde(default)]
    pub providers: Option<BTreeMap<String, String>>,
    /// A subset of the headers added for the upstream (`x-osmo-user` ...).
    #[serde(default)]
    pub headers: Option<Value>,
    /// The verified token's `roles` claim, in any order; `[]` when the token
    /// has none.
    #[serde(default)]
    pub roles: Option<Vec<String>>,
    /// The pools the roles make visible.
    #[serde(default)]
    pub pools: Option<Vec<String>>,
}

impl StepData for EnvoyJwt {
    fn user(&self) -> Option<&str> {
        Some(&self.user)
    }
    fn label(&self) -> String {
        format!(
            "[emulated] envoy jwt_authn, {}'s {} from {}",
            self.user, self.token, self.client
        )
    }
    fn needs(&self) -> Vec<Need> {
        vec![Need::Realm, Need::OsmoValues]
    }
    fn misfits(&self) -> Vec<String> {
        match self.token.as_str() {
            "id_token" | "access_token" => Vec::new(),
            other => vec![format!(
                "`token: {other}`: expected `id_token` or `access_token`"
            )],
        }
    }
}

/// The admin console's Credentials tab: set a user's password, optionally
/// temporary (through the admin REST call the console makes).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetPassword {
    /// The user's username.
    pub user: String,
    pub password: String,
    /// The console's "Temporary" toggle: the user must set a new password at
    /// the next sign-in.
    #[serde(default)]
    pub temporary: bool,
}

impl StepData for SetPassword {
    fn user(&self) -> Option<&str> {
        Some(&self.user)
    }
    fn label(&self) -> String {
        format!(
            "set_password for {}{}",
            self.user,
            if self.temporary { " (temporary)" } else { "" }
        )
    }
    fn needs(&self) -> Vec<Need> {
        vec![Need::Realm]
    }
}

/// What an administrator does on a user's Groups tab: leave every group and
/// join these (through the admin REST calls the console makes).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetGroups {
    /// The user's username.
    pub user: String,
    /// Top-level group names.
    pub groups: Vec<String>,
}

impl StepData for SetGroups {
    fn user(&self) -> Option<&str> {
        Some(&self.user)
    }
    fn label(&self) -> String {
        format!("set_groups for {}: {:?}", self.user, self.groups)
    }
    fn needs(&self) -> Vec<Need> {
        vec![Need::Realm]
    }
}

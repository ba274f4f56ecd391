//! What a case showed, hop by hop, as typed records, and the configuration it
//! ran with: the two inputs of the diagnosis. A case writes both to
//! `evidence.json` ([`Recorded`]), so the catalogue can be tested over real
//! runs without starting anything.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::spec::{ApiServerSpec, IstioSpec, OAuth2ProxySpec};

/// The configuration a case ran with (rendered), as the diagnosis reads it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ConfigView {
    /// The Keycloak RealmRepresentation (read through [`super::realm::Realm`]).
    #[serde(default)]
    pub realm: Option<Value>,
    /// The Dex config file.
    #[serde(default)]
    pub dex: Option<Value>,
    /// The dex-auth charm's `connectors` option, as given.
    #[serde(default)]
    pub connectors_json: Option<String>,
    /// PaletteAI's impersonationProxy block.
    #[serde(default)]
    pub impersonation: Option<Value>,
    #[serde(default)]
    pub oauth2_proxy: Option<OAuth2ProxySpec>,
    #[serde(default)]
    pub istio: Option<IstioSpec>,
    /// The apiserver's OIDC flags or AuthenticationConfiguration.
    #[serde(default)]
    pub apiserver: Option<ApiServerSpec>,
}

/// One successful login as Dex logged it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginLine {
    pub connector_id: String,
    pub username: String,
    pub preferred_username: String,
    pub email: String,
    pub groups: Vec<String>,
    /// The line as Dex wrote it.
    pub raw: String,
}

/// The page a browser step ended on.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Page {
    pub url: String,
    pub text: String,
}

/// An OAuth error answer: a token endpoint's refusal, an `error` on a
/// redirect, a device authorization endpoint's answer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Refusal {
    /// Who answered (`keycloak`, `dex`).
    pub program: String,
    /// The HTTP status of the answer (0: not an HTTP answer, e.g. a redirect).
    #[serde(default)]
    pub status: u16,
    /// The error code, or the HTTP status when there is none.
    pub error: String,
    /// The description, or the answer's body.
    pub description: String,
}

impl Refusal {
    /// As the answer read: `[status] error: description`.
    pub fn text(&self) -> String {
        let status = match self.status {
            0 => String::new(),
            s => format!("{s} "),
        };
        if self.description.is_empty() {
            format!("{status}{}", self.error)
        } else {
            format!("{status}{}: {}", self.error, self.description)
        }
    }
}

/// A token kubectl sent and the apiserver answered `Unauthorized`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RefusedToken {
    /// Where it came from: kubelogin's token cache (with the file), or a
    /// kubeconfig `token:` an earlier step filled.
    pub source: String,
    /// Its claims, decoded without verification.
    pub claims: Value,
    /// The `kid` of its JWS header.
    pub kid: Option<String>,
    /// When kubectl sent it, in seconds since the epoch.
    pub used_at: i64,
    /// Whether its issuer (when the case runs it) publishes `kid` right then.
    pub key_published: Option<bool>,
    /// kubectl's line about it.
    pub kubectl: String,
    /// Whether kubelogin answered from its token cache (no browser opened).
    pub from_cache: bool,
}

impl RefusedToken {
    pub fn exp(&self) -> Option<i64> {
        self.claims["exp"].as_i64()
    }

    pub fn iss(&self) -> &str {
        self.claims["iss"].as_str().unwrap_or("?")
    }
}

/// A kubectl run: who it ran as, what it was asked and what it printed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CommandRun {
    /// `admin`, a user with a token, or a kubeconfig user entry.
    pub identity: String,
    pub args: Vec<String>,
    pub success: bool,
    /// stdout and stderr (shortened).
    pub output: String,
}

impl CommandRun {
    /// The users a `kubectl create clusterrolebinding|rolebinding` binds.
    pub fn bound_users(&self) -> Vec<&str> {
        let creates_binding = self.args.first().is_some_and(|a| a == "create")
            && self
                .args
                .get(1)
                .is_some_and(|k| k == "clusterrolebinding" || k == "rolebinding");
        if !creates_binding || !self.success {
            return Vec::new();
        }
        self.args
            .iter()
            .filter_map(|a| a.strip_prefix("--user="))
            .collect()
    }

    /// The user in an RBAC refusal: `User "<name>" cannot ...`.
    pub fn forbidden_user(&self) -> Option<&str> {
        let rest = self.output.split("User \"").nth(1)?;
        let (name, tail) = rest.split_once('"')?;
        tail.trim_start().starts_with("cannot ").then_some(name)
    }
}

/// What the emulated impersonation proxy decided for a signed-in user.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Impersonated {
    pub user: String,
    /// The groups Dex issued to the user.
    pub dex_groups: Value,
    /// `--as` and `--as-group` the proxy derived.
    pub as_user: String,
    pub as_groups: Vec<String>,
    /// A user of Dex's own password database (connector `local`).
    #[serde(default)]
    pub local: bool,
}

/// One Envoy JWT provider's verdict on a token.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProviderVerdict {
    pub provider: String,
    pub issuer: String,
    pub audience: String,
    /// `ok`, or Envoy's status string (`Jwt issuer is not configured`...).
    pub verdict: String,
}

/// Which token of a grant a step sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    #[default]
    IdToken,
    AccessToken,
}

/// What the emulated Envoy of OSMO and its pool rule decided for one token.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EnvoyDecision {
    pub user: String,
    /// The client the token was got from.
    pub client: String,
    pub token: TokenKind,
    /// The token's `azp`, `aud` and `preferred_username`.
    pub azp: Option<String>,
    pub aud: Value,
    pub preferred_username: Option<String>,
    /// 200, or Envoy's 401/403, and its local reply body.
    pub status: u16,
    pub body: String,
    pub providers: Vec<ProviderVerdict>,
    /// The audiences of `sidecars.envoy.jwt.providers`.
    pub provider_audiences: Vec<String>,
    /// The clients OSMO's `services.service.auth` names.
    pub osmo_clients: Vec<String>,
    pub headers: BTreeMap<String, String>,
    /// The verified token's `roles` claim (None: the token has none).
    pub roles: Option<Vec<String>>,
    /// The token's `iat`.
    #[serde(default)]
    pub iat: Option<i64>,
    /// OSMO's pools, and those the roles make visible.
    pub pools: Vec<String>,
    pub visible_pools: Vec<String>,
}

impl EnvoyDecision {
    /// Who the token is for: its preferred_username, else the step's user.
    pub fn who(&self) -> &str {
        self.preferred_username.as_deref().unwrap_or(&self.user)
    }

    pub fn accepted_id_token(&self) -> bool {
        self.status == 200 && self.token == TokenKind::IdToken
    }
}

/// A device authorization request that the endpoint refused.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DeviceAuthorization {
    pub client: String,
    /// The URL the request went to, and the discovery document's.
    pub endpoint: String,
    pub discovery: Option<String>,
    pub status: u16,
    pub body: String,
}

/// Who the apiserver took a user's own token for (`kubectl auth whoami`),
/// beside the claims of that token.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SeenIdentity {
    pub user: String,
    pub username: String,
    pub groups: Vec<String>,
    /// The verified claims of the token kubectl sent, when a step got them.
    pub claims: Option<Value>,
}

impl SeenIdentity {
    /// The username and groups of a `kubectl auth whoami -o json` answer (a
    /// SelfSubjectReview), or of its table (`Username  x` / `Groups  [a b]`).
    pub fn from_whoami(text: &str) -> Option<SeenIdentity> {
        let json = text
            .find('{')
            .zip(text.rfind('}'))
            .and_then(|(a, b)| serde_json::from_str::<serde_json::Value>(&text[a..=b]).ok());
        if let Some(review) = json {
            let info = &review["status"]["userInfo"];
            return Some(SeenIdentity {
                username: info["username"].as_str()?.to_string(),
                groups: info["groups"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|g| g.as_str().map(String::from))
                    .collect(),
                ..Default::default()
            });
        }
        let value = |name: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_string()))
        };
        Some(SeenIdentity {
            username: value("Username")?,
            groups: value("Groups")
                .unwrap_or_default()
                .trim_matches(['[', ']'])
                .split_whitespace()
                .map(String::from)
                .collect(),
            ..Default::default()
        })
    }
}

/// A request one of the user's RBAC bindings allows, asked of the real
/// apiserver with a user's own token and as the binding's first subject.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BindingAnswer {
    pub user: String,
    /// `ClusterRoleBinding/oidc-admins`.
    pub binding: String,
    /// `Group `admins``, each subject of the binding.
    pub subjects: Vec<String>,
    /// `create deployments.apps` (with `-n <namespace>` for a RoleBinding).
    pub action: String,
    /// `yes` or `no` with the user's token.
    pub with_token: String,
    /// `yes` or `no` impersonating the binding's first subject: whether the
    /// binding grants the request at all.
    pub as_subject: String,
}

/// What a case showed, hop by hop.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Evidence {
    /// Pages the browser steps ended on.
    #[serde(default)]
    pub pages: Vec<Page>,
    /// OAuth error answers of Keycloak and Dex.
    #[serde(default)]
    pub refusals: Vec<Refusal>,
    /// What the [emulated] dex-auth charm refused (its hook failures).
    #[serde(default)]
    pub charm: Vec<String>,
    /// Dex's log during the steps (values decoded).
    #[serde(default)]
    pub dex_log: String,
    /// Dex's `login successful` lines.
    #[serde(default)]
    pub dex_logins: Vec<LoginLine>,
    /// Keycloak's userinfo for the user, where a step asked it directly.
    #[serde(default)]
    pub keycloak_userinfo: Option<Value>,
    /// ID token claims Dex issued.
    #[serde(default)]
    pub dex_claims: Vec<Value>,
    /// The emulated impersonation proxy's refusal of its configuration.
    #[serde(default)]
    pub impersonation_refusal: Option<String>,
    /// What it derived for each user it was asked about.
    #[serde(default)]
    pub impersonated: Vec<Impersonated>,
    /// The kube-apiserver's log.
    #[serde(default)]
    pub apiserver_log: String,
    /// Every kubectl run, in order.
    #[serde(default)]
    pub commands: Vec<CommandRun>,
    /// Who the apiserver said each user's token is (`kubectl auth whoami`).
    #[serde(default)]
    pub identities: Vec<SeenIdentity>,
    /// The user's RBAC bindings asked with each user's token.
    #[serde(default)]
    pub binding_answers: Vec<BindingAnswer>,
    /// Tokens kubectl sent that the apiserver answered `Unauthorized`.
    #[serde(default)]
    pub refused_tokens: Vec<RefusedToken>,
    /// oauth2-proxy's log during the steps.
    #[serde(default)]
    pub oauth2_proxy_log: String,
    /// What the emulated gateway decided, `[emulated]` lines.
    #[serde(default)]
    pub gateway: Vec<String>,
    /// What the emulated Envoy of OSMO decided per token.
    #[serde(default)]
    pub envoy: Vec<EnvoyDecision>,
    /// Device authorization requests that were refused.
    #[serde(default)]
    pub device_authorizations: Vec<DeviceAuthorization>,
    /// A guide's endpoint that is not the discovery document's, with what it answered.
    #[serde(default)]
    pub discovery_mismatches: Vec<String>,
    /// Group memberships an administrator changed in Keycloak during the steps.
    #[serde(default)]
    pub group_changes: Vec<GroupChange>,
    /// Sign-outs through oauth2-proxy, and what followed them.
    #[serde(default)]
    pub sign_outs: Vec<SignOut>,
}

/// `/oauth2/sign_out`, and whether the user was then back in the
/// application without typing a password.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SignOut {
    /// The cookies the sign-out removed.
    pub removed: Vec<String>,
    /// Where opening the application again led.
    pub then: String,
    /// Back in without a password form: at once (the application opened
    /// again), or by the next sign-in.
    pub back_in_without_password: bool,
}

/// A user's Keycloak groups as an administrator set them, and when.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupChange {
    pub user: String,
    pub groups: Vec<String>,
    /// Seconds since the epoch, to compare with a token's `iat`.
    pub at: i64,
    /// How many `identities` and `envoy` decisions were seen before the change.
    pub identities_before: usize,
    #[serde(default)]
    pub envoy_before: usize,
}

impl Evidence {
    /// The first line of a page, a refusal or Dex's log that holds `needle`.
    pub fn shown(&self, needle: &str) -> Option<String> {
        self.page_or_refusal(needle).or_else(|| {
            self.dex_log
                .lines()
                .find(|l| l.contains(needle))
                .map(|l| l.trim().to_string())
        })
    }

    /// The first line of a page or a refusal that holds `needle`.
    pub fn page_or_refusal(&self, needle: &str) -> Option<String> {
        let refusals = self.refusals.iter().map(Refusal::text);
        self.pages
            .iter()
            .map(|p| p.text.clone())
            .chain(refusals)
            .find_map(|t| {
                t.lines()
                    .find(|l| l.contains(needle))
                    .map(|l| l.trim().to_string())
            })
    }

    /// The apiserver's first log line holding `needle`, shortened.
    pub fn apiserver_line(&self, needle: &str) -> Option<String> {
        self.apiserver_log
            .lines()
            .find(|l| l.contains(needle))
            .map(|l| super::text::truncate(l.trim(), 400))
    }

    /// The first Dex login that brought no groups.
    pub fn empty_groups_login(&self) -> Option<&LoginLine> {
        self.dex_logins.iter().find(|l| l.groups.is_empty())
    }
}

/// What `evidence.json` holds: enough to run the diagnosis again.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Recorded {
    /// The case's name.
    pub case: String,
    /// The diagnosis the case expects (`none` for a base case), when it has one.
    #[serde(default)]
    pub expected: Option<String>,
    pub config: ConfigView,
    pub evidence: Evidence,
}

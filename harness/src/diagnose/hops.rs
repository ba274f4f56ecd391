//! The per-hop report of a `diagnose` run: for each user, what Keycloak
//! gave, what Dex made of it, what Kubernetes saw, and the first hop where
//! the groups were lost. Computed from the typed step reports (the step's
//! verb, user and issuer), never from their labels.

use serde::Serialize;
use serde_json::Value;

use crate::model::report::{CaseReport, StepReport};
use crate::model::steps::At;

/// How Dex's start went.
#[derive(Debug, Clone, Serialize)]
pub struct DexStarted {
    pub serving: bool,
    /// What it printed at start (errors and warnings).
    pub output: String,
}

/// What one hop gave a user.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Hop {
    /// The sign-in ended on a refusal (page text or OAuth error).
    pub refused: Option<String>,
    /// The first claim naming groups, and its values.
    pub groups: Option<(String, Vec<String>)>,
    /// Dex's `login successful` groups, when it logged the line.
    pub logged_groups: Option<Vec<String>>,
    /// The `groups` claim of the ID token the hop issued.
    pub token_groups: Option<Value>,
    /// What a command printed (`kubectl auth whoami`).
    pub output: Option<String>,
}

/// One user through the chain.
#[derive(Debug, Clone, Serialize)]
pub struct UserHops {
    pub user: String,
    pub keycloak: Option<Hop>,
    pub dex: Option<Hop>,
    pub kubernetes: Option<Hop>,
    /// The app behind oauth2-proxy: what it received, or the refusal.
    pub app: Option<Hop>,
    /// The first hop where the groups were lost, in words.
    pub lost: Option<&'static str>,
}

/// What a `diagnose` run concluded, and its exit status.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// Every hop answered and nothing matched: exit 0.
    Healthy,
    /// A catalogue entry matched, or reading the files showed a fault: exit 1.
    Diagnosed { ids: Vec<String> },
    /// A hop refused or failed and nothing explains it: exit 3.
    Unexplained { step: String, error: String },
}

impl Verdict {
    pub fn exit_code(&self) -> u8 {
        match self {
            Verdict::Healthy => 0,
            Verdict::Diagnosed { .. } => 1,
            Verdict::Unexplained { .. } => 3,
        }
    }
}

/// Never a confident wrong cause: a diagnosis only where the catalogue
/// matched (or the files themselves show the fault); otherwise the first
/// step that refused, verbatim.
pub fn verdict(report: &CaseReport) -> Verdict {
    if !report.diagnoses.is_empty() || !report.predictions.is_empty() {
        return Verdict::Diagnosed {
            ids: report.diagnoses.iter().map(|d| d.id.to_string()).collect(),
        };
    }
    // The apiserver's identity is not what its settings say: no entry of
    // the catalogue can be trusted to explain that.
    if let Some(both) = report.identities.iter().find_map(|i| i.differs()) {
        return Verdict::Unexplained {
            step: "kubectl auth whoami".into(),
            error: both,
        };
    }
    match report.steps.iter().find(|s| s.error.is_some()) {
        Some(s) => Verdict::Unexplained {
            step: s.step.clone(),
            error: s.error.clone().unwrap_or_default(),
        },
        None => Verdict::Healthy,
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct HopReport {
    pub dex: Option<DexStarted>,
    pub users: Vec<UserHops>,
}

pub fn hops(report: &CaseReport) -> HopReport {
    let dex = report
        .steps
        .iter()
        .find(|s| s.kind == "dex_start")
        .map(|s| DexStarted {
            serving: s.error.is_none(),
            output: s.output.clone().unwrap_or_default(),
        });
    let has_dex = dex.is_some();
    let mut users: Vec<String> = Vec::new();
    for s in &report.steps {
        if let Some(u) = s.user.as_ref().filter(|_| {
            matches!(
                s.kind.as_str(),
                "browser_login" | "kubelogin" | "proxy_login"
            )
        }) && !users.contains(u)
        {
            users.push(u.clone());
        }
    }
    let users = users
        .into_iter()
        .map(|user| {
            let find = |pred: &dyn Fn(&StepReport) -> bool| {
                report
                    .steps
                    .iter()
                    .find(|s| s.user.as_deref() == Some(user.as_str()) && pred(s))
            };
            let login_at =
                |at: At| find(&|s: &StepReport| s.kind == "browser_login" && s.at == Some(at));
            let keycloak = login_at(At::Keycloak).map(|s| Hop {
                refused: s.error.clone(),
                groups: groups_in(s.userinfo.as_ref()).or(groups_in(s.claims.as_ref())),
                ..Hop::default()
            });
            // Dex's token: from the harness's app, the user's kubelogin, or
            // the user's oauth2-proxy when Dex is in the chain.
            let dex = login_at(At::Dex)
                .or_else(|| find(&|s: &StepReport| s.kind == "kubelogin"))
                .or_else(|| find(&|s: &StepReport| s.kind == "proxy_login").filter(|_| has_dex))
                .map(|s| Hop {
                    refused: s.error.clone(),
                    logged_groups: s.dex_login.as_ref().map(|l| l.groups.clone()),
                    token_groups: s.claims.as_ref().map(|c| c["groups"].clone()),
                    ..Hop::default()
                });
            let kubernetes = find(&|s: &StepReport| s.kind == "kubectl").map(|s| Hop {
                refused: s.error.clone(),
                output: s.output.clone(),
                ..Hop::default()
            });
            let app = find(&|s: &StepReport| s.kind == "proxy_login").map(|s| Hop {
                refused: s.error.clone(),
                output: s.output.clone(),
                ..Hop::default()
            });
            let lost = lost(keycloak.as_ref(), dex.as_ref());
            UserHops {
                user,
                keycloak,
                dex,
                kubernetes,
                app,
                lost,
            }
        })
        .collect();
    HopReport { dex, users }
}

/// Where the groups went missing between Keycloak and Dex.
fn lost(keycloak: Option<&Hop>, dex: Option<&Hop>) -> Option<&'static str> {
    let dex = dex?;
    if dex.refused.is_some() && dex.logged_groups.is_none() {
        return Some("the sign-in through Dex failed");
    }
    let keycloak = keycloak?;
    match (&keycloak.groups, &dex.logged_groups) {
        (None, _) if keycloak.refused.is_none() => Some("at Keycloak: it sent no group claim"),
        (Some(_), Some(g)) if g.is_empty() => Some("between Keycloak and Dex"),
        _ => None,
    }
}

/// The first claim whose name mentions groups, with its values.
fn groups_in(claims: Option<&Value>) -> Option<(String, Vec<String>)> {
    let map = claims?.as_object()?;
    map.iter()
        .find(|(k, v)| k.contains("group") && v.is_array())
        .map(|(k, v)| {
            let groups = v
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|g| g.as_str().map(String::from))
                .collect();
            (k.clone(), groups)
        })
}

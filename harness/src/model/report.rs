//! What a case did: its steps, what each saw, and the diagnoses it named.
//! Written as `report.json` and rendered by `report/`.

use std::path::PathBuf;

use serde::Serialize;
use serde_json::Value;

use super::evidence::LoginLine;
use super::steps::At;
use super::text::truncate;

/// What one case did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CaseReport {
    pub name: String,
    pub dir: PathBuf,
    pub findings: Vec<String>,
    pub steps: Vec<StepReport>,
    pub diagnoses: Vec<Diagnosis>,
    /// What the static check predicted before anything ran.
    pub predictions: Vec<String>,
    /// For a user's files: every substitution the replay made.
    pub replayed_as: Vec<Substitution>,
    /// Each signed-in user as the apiserver saw them, against its settings
    /// and the RBAC bindings.
    pub identities: Vec<IdentityCheck>,
    pub seconds: f64,
}

/// A user's identity at the apiserver: what its settings predict from the
/// token's claims, what `kubectl auth whoami` said, and what each of the
/// user's RBAC bindings answered for that token.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize, PartialEq)]
pub struct IdentityCheck {
    pub user: String,
    /// How the apiserver's settings name users and groups, in words.
    pub rule: String,
    /// From the token's claims by that rule (`None`: a CEL expression, or
    /// no claims to predict from).
    pub predicted: Option<(String, Vec<String>)>,
    /// What the apiserver said.
    pub username: String,
    pub groups: Vec<String>,
    /// `ClusterRoleBinding/x (Group `admins`): can-i create … → no`.
    pub bindings: Vec<String>,
}

impl IdentityCheck {
    /// Both sides, when the apiserver named the user otherwise than its
    /// settings predict from the token's claims.
    pub fn differs(&self) -> Option<String> {
        let (name, groups) = self.predicted.as_ref()?;
        let mut seen = self.groups.clone();
        seen.sort();
        (*name != self.username || *groups != seen).then(|| {
            format!(
                "{}: by the apiserver's settings ({}) the token makes username `{name}`, groups {groups:?}; kubectl auth whoami says username `{}`, groups {seen:?}",
                self.user, self.rule, self.username
            )
        })
    }
}

/// One thing the replay of a user's files changed, and to what.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Substitution {
    /// Which setting (file and key).
    pub what: String,
    /// The user's value.
    pub given: String,
    /// What the run used instead (rendered once the run has its addresses).
    pub replayed: String,
}

impl Substitution {
    pub fn new(
        what: impl Into<String>,
        given: impl Into<String>,
        replayed: impl Into<String>,
    ) -> Self {
        Substitution {
            what: what.into(),
            given: given.into(),
            replayed: replayed.into(),
        }
    }
}

/// What one step did and saw.
#[derive(Debug, Clone, Default, Serialize)]
pub struct StepReport {
    /// `<n>: <label>`.
    pub step: String,
    /// The verb (`browser_login`), the user it acted for and the issuer it
    /// talked to, where it has them.
    pub kind: String,
    pub user: Option<String>,
    pub at: Option<At>,
    pub seconds: f64,
    /// The error the chain answered, if it refused (OAuth code or page text).
    pub error: Option<String>,
    /// Verified ID token claims, volatile fields redacted.
    pub claims: Option<Value>,
    /// Verified access token claims (Keycloak steps), volatile fields redacted.
    pub access_claims: Option<Value>,
    pub userinfo: Option<Value>,
    pub dex_login: Option<LoginLine>,
    /// The identity headers the application received (`x-forwarded-*`,
    /// `x-auth-request-*`, the gateway's `kubeflow-*`), behind a proxy.
    pub identity_headers: Option<Value>,
    pub snapshot: Option<String>,
    pub page: Option<PageEvidence>,
    /// What a command printed (kubectl).
    pub output: Option<String>,
}

/// What the browser showed when a step ended: kept as evidence.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PageEvidence {
    pub url: String,
    pub title: String,
    pub text: String,
    pub screenshot: Option<PathBuf>,
    pub html: Option<PathBuf>,
}

impl PageEvidence {
    /// The page as evidence for the diagnosis.
    pub fn seen(&self) -> super::evidence::Page {
        super::evidence::Page {
            url: self.url.clone(),
            text: self.text.clone(),
        }
    }
}

impl std::fmt::Display for PageEvidence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "browser ended on: {}", self.url)?;
        writeln!(f, "page title: {}", self.title)?;
        if let Some(s) = &self.screenshot {
            writeln!(f, "screenshot: {}", s.display())?;
        }
        if let Some(h) = &self.html {
            writeln!(f, "page html: {}", h.display())?;
        }
        write!(f, "page text:\n{}", truncate(&self.text, 1500))
    }
}

/// A catalogue entry that matched, with the evidence that made it match.
#[derive(Debug, Clone, Serialize)]
pub struct Diagnosis {
    pub id: &'static str,
    pub title: &'static str,
    pub cause: &'static str,
    pub fix: &'static str,
    pub reference: &'static str,
    pub evidence: String,
}

impl std::fmt::Display for Diagnosis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "[{}] {}", self.id, self.title)?;
        writeln!(f, "  evidence: {}", self.evidence)?;
        writeln!(f, "  cause:    {}", self.cause)?;
        writeln!(f, "  fix:      {}", self.fix)?;
        write!(f, "  see:      {}", self.reference)
    }
}

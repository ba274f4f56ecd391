//! [`StepCx`]: the one facade over what a case started, and what its steps
//! gathered so far. Steps (`run/steps/`) read and extend it; the case
//! (`run/case.rs`) builds it, and tears it down when the case ends.

use std::collections::HashMap;
use std::path::PathBuf;

use serde_json::Value;

use super::Run;
use super::steps::{ExecUser, Front, Startup};
use crate::error::{Error, Result};
use crate::model::evidence::Evidence;
use crate::model::realm::Realm;
use crate::model::spec::Scenario;
use crate::model::steps::At;
use crate::programs::Program;
use crate::programs::app::App;
use crate::programs::browser::Browser;
use crate::programs::dex::Dex;
use crate::programs::kube::apiserver::ApiServer;

/// Everything a case started and gathered; stopped when the case ends.
pub(crate) struct StepCx<'r> {
    pub(crate) run: &'r Run,
    pub(crate) dir: PathBuf,
    pub(crate) scenario: Scenario,
    /// The realm's unique name and the representation created from it.
    pub(crate) realm: Option<(String, Value)>,
    pub(crate) dex: Option<Dex>,
    pub(crate) app: Option<App>,
    pub(crate) browser: Option<Browser>,
    pub(crate) apiserver: Option<ApiServer>,
    /// oauth2-proxy, the gateway and the application behind them.
    pub(crate) front: Front,
    /// Raw ID tokens got by earlier steps, per user, and their verified claims.
    pub(crate) tokens: HashMap<String, String>,
    pub(crate) claims: HashMap<String, Value>,
    /// Where kubelogin listens (its redirect is `http://localhost:<port>`).
    pub(crate) kubelogin_port: u16,
    /// Kubeconfig user entries made by `set_credentials`, by name.
    pub(crate) exec_users: HashMap<String, ExecUser>,
    /// Token responses (ID, access and refresh tokens) of Keycloak steps, by
    /// [`grant_key`].
    pub(crate) grants: HashMap<String, Value>,
    pub(crate) evidence: Evidence,
    /// The ingress before Keycloak and how Dex's start went.
    pub(crate) startup: Startup,
    /// The case's own Keycloak (`keycloak.own`), else the run's is used.
    pub(crate) own_keycloak: Option<crate::programs::keycloak::Keycloak>,
}

/// The key under which a step keeps a token response.
pub(crate) fn grant_key(client: &str, user: &str) -> String {
    format!("{client} {user}")
}

impl StepCx<'_> {
    /// The Keycloak this case's realm lives in.
    pub(crate) fn keycloak(&self) -> &crate::programs::keycloak::Keycloak {
        self.own_keycloak.as_ref().unwrap_or(&self.run.keycloak)
    }

    /// The issuer a step talks to.
    pub(crate) fn issuer(&self, at: At) -> Result<String> {
        match at {
            At::Keycloak => self
                .realm
                .as_ref()
                .map(|(name, _)| self.keycloak().issuer(name))
                .ok_or_else(|| Error::step("issuer", "the scenario has no keycloak realm")),
            At::Dex => self
                .dex
                .as_ref()
                .map(|d| d.issuer().to_string())
                .ok_or_else(|| Error::step("issuer", "the scenario has no dex")),
        }
    }

    pub(crate) fn apiserver(&self) -> Result<&ApiServer> {
        self.apiserver
            .as_ref()
            .ok_or_else(|| Error::step("kubectl", "the scenario has no apiserver"))
    }

    /// A fresh browser: no SSO cookie of a previous user.
    pub(crate) async fn fresh_browser(&mut self) -> Result<&Browser> {
        if let Some(old) = self.browser.take() {
            old.close().await;
        }
        let p = &self.run.programs;
        let mut spki = vec![self.run.ca.spki_sha256()?];
        if let Some(dex) = &self.dex {
            spki.push(dex.cert.spki_sha256.clone());
        }
        let driver = self.run.driver().await?;
        let browser = Browser::start(driver, &p.chromium, &spki, &self.dir).await?;
        Ok(self.browser.insert(browser))
    }

    /// The password given, else the user's in the realm export.
    pub(crate) fn password_of(&self, user: &str, given: &Option<String>) -> Result<String> {
        if let Some(p) = given {
            return Ok(p.clone());
        }
        self.realm
            .as_ref()
            .and_then(|(_, rep)| Realm(rep).user(user)?.password().map(String::from))
            .ok_or_else(|| {
                Error::step(
                    "password",
                    format!(
                        "no password for `{user}`: give `password:` or a credential in the realm"
                    ),
                )
            })
    }

    /// The real programs the case runs (Keycloak last: it is shared).
    fn programs(&self) -> Vec<&dyn Program> {
        let mut all: Vec<&dyn Program> = Vec::new();
        if let Some(dex) = &self.dex {
            all.push(dex);
        }
        if let Some(api) = &self.apiserver {
            all.push(api);
        }
        all.extend(self.front.programs());
        if let Some(ingress) = self.startup.ingress() {
            all.push(ingress);
        }
        all.push(self.keycloak());
        all
    }

    /// Adds what the programs showed to a step's error: the page the
    /// browser ended on and the last lines of every program's log.
    pub(crate) async fn with_evidence(&self, step: &str, e: Error) -> Error {
        let mut evidence = String::new();
        if let Some(browser) = &self.browser {
            let page = browser.evidence("failure").await;
            evidence.push_str(&format!("{page}\n"));
        }
        evidence.push_str(&self.front.evidence());
        for program in self.programs() {
            evidence.push_str(&format!(
                "--- last lines of {} ---\n{}\n",
                program.log_path().display(),
                program.log_tail(30)
            ));
        }
        let evidence = evidence.trim_end().to_string();
        let step = step.to_string();
        match e {
            Error::Expectation {
                step: inner,
                message,
                ..
            } => Error::Expectation {
                step,
                message: format!("{inner}: {message}"),
                evidence,
            },
            Error::Step {
                step: inner,
                message,
                ..
            } => Error::Step {
                step,
                message: format!("{inner}: {message}"),
                evidence,
            },
            other => Error::Step {
                step,
                message: other.to_string(),
                evidence,
            },
        }
    }

    pub(crate) async fn teardown(&mut self) {
        if let Some(browser) = self.browser.take() {
            browser.close().await;
        }
        self.app = None;
        self.apiserver = None;
        self.front.stop();
        self.dex = None;
        if let Some((name, _)) = self.realm.take()
            && !crate::infra::process::keep_requested()
        {
            let _ = self.keycloak().delete_realm(&name).await;
        }
    }
}

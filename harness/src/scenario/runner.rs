//! Runs one case: creates its realm, starts its Dex, app and browser, does each
//! step (`do_*`), checks what came out (`verify_*`), then names the known
//! misconfigurations the evidence matches and checks them against the case's
//! expected diagnosis. A failed step carries the evidence: decoded claims, the
//! page the browser ended on (URL, text, screenshot), and the last lines of the
//! Dex and Keycloak logs.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Instant;

use serde::Serialize;
use serde_json::Value;

use super::template::{Renderer, Values};
use super::{Case, Scenario, Step};
use crate::components::apiserver::ApiServer;
use crate::components::app::{App, AppPlan, Registration};
use crate::components::browser::{Browser, PageEvidence};
use crate::components::dex::{Dex, DexPlan};
use crate::components::keycloak;
use crate::dexlog::LoginLine;
use crate::diagnose::{self, Diagnosis, Observed};
use crate::error::{Error, IoContext, Result};
use crate::oidc::{Provider, random_token};
use crate::run::{Run, out_dir};

/// What one case did.
#[derive(Debug, Clone, Serialize)]
pub struct CaseReport {
    pub name: String,
    pub dir: PathBuf,
    pub findings: Vec<String>,
    pub steps: Vec<StepReport>,
    pub diagnoses: Vec<Diagnosis>,
    /// What the static check predicted before anything ran.
    pub predictions: Vec<String>,
    pub seconds: f64,
}

/// What one step did and saw.
#[derive(Debug, Clone, Default, Serialize)]
pub struct StepReport {
    pub step: String,
    pub seconds: f64,
    /// The error the chain answered, if it refused (OAuth code or page text).
    pub error: Option<String>,
    /// Verified ID token claims, volatile fields redacted.
    pub claims: Option<Value>,
    /// Verified access token claims (Keycloak steps), volatile fields redacted.
    pub access_claims: Option<Value>,
    pub userinfo: Option<Value>,
    pub dex_login: Option<LoginLine>,
    pub snapshot: Option<String>,
    pub page: Option<PageEvidence>,
    /// What a command printed (kubectl).
    pub output: Option<String>,
}

/// Everything a case started; stopped when the case ends.
pub(super) struct Stack<'r> {
    pub(super) run: &'r Run,
    pub(super) dir: PathBuf,
    pub(super) scenario: Scenario,
    pub(super) realm: Option<(String, Value)>,
    pub(super) dex: Option<Dex>,
    pub(super) app: Option<App>,
    pub(super) browser: Option<Browser>,
    pub(super) apiserver: Option<ApiServer>,
    /// oauth2-proxy, the gateway and the application behind them.
    pub(super) front: super::proxy::Front,
    /// Raw ID tokens got by earlier steps, per user, and their verified claims.
    pub(super) tokens: HashMap<String, String>,
    pub(super) claims: HashMap<String, Value>,
    /// Where kubelogin listens (its redirect is `http://localhost:<port>`).
    pub(super) kubelogin_port: u16,
    /// Kubeconfig user entries made by `set_credentials`, by name.
    pub(super) exec_users: HashMap<String, super::kubelogin::ExecUser>,
    /// Token responses (ID, access and refresh tokens) of Keycloak steps, by
    /// `envoy::grant_key(client, user)`.
    pub(super) grants: HashMap<String, Value>,
    pub(super) observed: Observed,
    /// The ingress before Keycloak and how Dex's start went.
    pub(super) startup: super::dexstart::Startup,
}

pub async fn run_case(run: &Run, case: &Case) -> Result<CaseReport> {
    let started = Instant::now();
    let (dir, _lock) = case_dir(&case.name)?;

    let realm_name = format!(
        "{}-{}",
        case.file.scenario.guide,
        random_token(6).to_lowercase()
    );
    let document = case.document()?;
    let front = super::proxy::Front::new()?;
    let mut dex_plan = DexPlan::new()?;
    if document.get("istio").is_some() {
        dex_plan = dex_plan.behind(&front.gateway.url());
    }
    let app_plan = AppPlan::new()?;
    let mut values = Values::default();
    values
        .keycloak
        .insert("url".into(), run.keycloak.url().into());
    values.keycloak.insert("realm".into(), realm_name.clone());
    values
        .keycloak
        .insert("issuer".into(), run.keycloak.issuer(&realm_name));
    values.dex.insert("issuer".into(), dex_plan.issuer.clone());
    values.dex.insert("callback".into(), dex_plan.callback());
    values.dex.insert("internal".into(), dex_plan.internal());
    front.add_values(&mut values, &dir);
    values
        .app
        .insert("redirect_uri".into(), app_plan.redirect_uri());
    values
        .tls
        .insert("ca_file".into(), run.ca.cert_file().display().to_string());
    values
        .tls
        .insert("ca_pem".into(), run.ca.cert_pem().to_string());
    let kubelogin_port = crate::process::free_port(std::net::Ipv4Addr::LOCALHOST)?;
    values.kubelogin.insert(
        "redirect_uri".into(),
        format!("http://localhost:{kubelogin_port}"),
    );
    values.env.insert("HOME".into(), dir.display().to_string());
    let mut startup = super::dexstart::Startup::new(&realm_name, &mut values)?;
    let file = case.file.path.display().to_string();
    let document = Renderer::new(&values).render(&document, &file)?;
    let mut scenario: Scenario = serde_json::from_value(document)
        .map_err(|e| Error::step("scenario", format!("{file}: {e}")))?;
    startup.apply_charm(&mut scenario, case);
    let predictions = static_check(case, &scenario)?;

    let mut stack = Stack {
        run,
        dir: dir.clone(),
        scenario: scenario.clone(),
        realm: None,
        dex: None,
        app: None,
        browser: None,
        apiserver: None,
        front,
        tokens: HashMap::new(),
        claims: HashMap::new(),
        kubelogin_port,
        exec_users: HashMap::new(),
        grants: HashMap::new(),
        observed: Observed::default(),
        startup,
    };
    let result = stack.run(realm_name, dex_plan, app_plan).await;
    if let Some(api) = &stack.apiserver {
        stack.observed.apiserver_log = api.log_text();
    }
    let oauth2_proxy = serde_json::to_value(&scenario.oauth2_proxy).unwrap_or_default();
    let istio = serde_json::to_value(&scenario.istio).unwrap_or_default();
    let diagnoses = diagnose::diagnose(
        &diagnose::Config {
            oauth2_proxy: Some(&oauth2_proxy).filter(|v| !v.is_null()),
            istio: Some(&istio).filter(|v| !v.is_null()),
            realm: stack.realm.as_ref().map(|(_, r)| r),
            dex: scenario.dex.as_ref().map(|d| &d.config),
            impersonation: scenario.impersonation_proxy.as_ref(),
            connectors_json: scenario
                .dex
                .as_ref()
                .and_then(|d| d.connectors_json.as_deref()),
            apiserver: scenario.apiserver.as_ref(),
        },
        &stack.observed,
    );
    let verdict = match &result {
        Ok(_) if case.check_diagnosis => stack.verify_diagnosis(case, &diagnoses).await,
        _ => Ok(()),
    };
    stack.teardown().await;
    let steps = result?;
    verdict?;
    let report = CaseReport {
        name: case.name.clone(),
        dir: dir.clone(),
        findings: scenario.findings.clone(),
        steps,
        diagnoses,
        predictions,
        seconds: started.elapsed().as_secs_f64(),
    };
    let json = serde_json::to_string_pretty(&report).expect("serialisable");
    std::fs::write(dir.join("report.json"), json)
        .context(|| format!("writing {}/report.json", dir.display()))?;
    crate::report::write_case(&report)?;
    Ok(report)
}

/// Before anything starts: unknown Dex keys (a typo, or a key Dex dropped) stop
/// the case unless the scenario acknowledges them; redirect mismatches that can
/// be seen statically are returned as predictions.
fn static_check(case: &Case, scenario: &Scenario) -> Result<Vec<String>> {
    let Some(dex) = &scenario.dex else {
        return Ok(Vec::new());
    };
    let source = std::fs::read_to_string(&case.file.path).unwrap_or_default();
    let unknown = crate::dexcheck::unknown_keys(&dex.config, &source);
    let mut predictions: Vec<String> = Vec::new();
    if !case.check_diagnosis {
        // Diagnosing a user's files: report every unknown key, then run anyway.
        predictions.extend(
            unknown
                .iter()
                .map(|u| format!("{}:{u}", case.file.path.display())),
        );
    } else if let Some(u) = unknown.iter().find(|u| !dex.ignored_keys.contains(&u.path)) {
        let message = u.to_string();
        return Err(Error::Input {
            file: case.file.path.clone(),
            line: u.line,
            column: u.column,
            message: message
                .split_once(": ")
                .map(|(_, m)| m.to_string())
                .unwrap_or(message),
        });
    }
    if let Some(stale) = dex
        .ignored_keys
        .iter()
        .find(|k| !unknown.iter().any(|u| &u.path == *k))
    {
        return Err(Error::Input {
            file: case.file.path.clone(),
            line: 0,
            column: 0,
            message: format!(
                "dex.ignored_keys names `{stale}`, which is not an unknown key of this config"
            ),
        });
    }
    let realm = scenario.keycloak.as_ref().map(|k| &k.realm);
    predictions.extend(crate::dexcheck::predictions(&dex.config, realm));
    Ok(predictions)
}

/// `target/harness/<case>/`, emptied and locked for this process; when another
/// run has it (two runs side by side), `<case>.<pid>/`.
fn case_dir(name: &str) -> Result<(PathBuf, nix::fcntl::Flock<std::fs::File>)> {
    let base = out_dir().join(name.replace('/', "__"));
    for dir in [
        base.clone(),
        base.with_extension(std::process::id().to_string()),
    ] {
        std::fs::create_dir_all(&dir).context(|| format!("creating {}", dir.display()))?;
        let file = std::fs::File::create(dir.with_extension("lock"))
            .context(|| format!("locking {}", dir.display()))?;
        if let Ok(lock) = nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusiveNonblock)
        {
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).context(|| format!("creating {}", dir.display()))?;
            return Ok((dir, lock));
        }
    }
    Err(Error::step(
        "case folder",
        format!("{} is in use by two other runs", base.display()),
    ))
}

impl Stack<'_> {
    async fn run(
        &mut self,
        realm_name: String,
        dex_plan: DexPlan,
        app_plan: AppPlan,
    ) -> Result<Vec<StepReport>> {
        let run = self.run;
        if let Some(spec) = &self.scenario.keycloak {
            let rep = keycloak::renamed(spec.realm.clone(), &realm_name);
            run.keycloak.create_realm(rep.clone()).await?;
            self.realm = Some((realm_name, rep));
        }
        if let Some(dex) = &self.scenario.dex {
            let mut dex_plan = dex_plan;
            dex_plan.env = dex.env.clone().into_iter().collect();
            let config = dex.config.clone();
            self.start_ingress().await?;
            self.start_dex(dex_plan, config).await?;
        }
        // Before the app: with a gateway, Dex's issuer is only reachable through it.
        self.start_front().await?;
        if let (Some(app), Some(dex)) = (&self.scenario.app, &self.dex) {
            let http = run.ca.http_client()?;
            let reg = Registration {
                program: "dex".into(),
                provider: Provider::discover(&http, "dex", dex.issuer()).await?,
                client_id: app.client_id.clone(),
                client_secret: app.client_secret.clone(),
                scopes: app.scopes.clone(),
                extra: Vec::new(),
            };
            self.app = Some(App::start(app_plan, reg, http).await?);
        }
        if let Some(spec) = self.scenario.apiserver.clone() {
            let auth = super::kind::oidc_auth(&spec)?;
            let started = Instant::now();
            let apiserver = ApiServer::start(&run.programs, &run.ca, &auth, &self.dir).await?;
            tracing::info!("apiserver ready in {:.1}s", started.elapsed().as_secs_f64());
            if let Some(rbac) = &spec.rbac {
                apiserver.apply(rbac).await?;
            }
            self.apiserver = Some(apiserver);
        }
        let mut reports = Vec::new();
        for (i, step) in self.scenario.steps.clone().iter().enumerate() {
            let started = Instant::now();
            let (label, outcome) = match step {
                Step::PasswordGrant(s) => (
                    format!("{}: password_grant {} as {}", i + 1, s.client, s.user),
                    self.do_password_grant(s).await,
                ),
                Step::BrowserLogin(s) => (
                    format!("{}: browser_login at {:?} as {}", i + 1, s.at, s.user),
                    self.do_browser_login(s).await,
                ),
                Step::Kubelogin(s) => (
                    format!("{}: kubelogin get-token as {}", i + 1, s.user),
                    self.do_kubelogin(s).await,
                ),
                Step::Kubectl(s) => (
                    format!(
                        "{}: kubectl {} (as {})",
                        i + 1,
                        s.args.join(" "),
                        s.identity
                    ),
                    self.do_kubectl(s).await,
                ),
                Step::CanI(s) => (
                    format!("{}: can-i matrix ({} rows)", i + 1, s.rows.len()),
                    self.do_can_i(s).await,
                ),
                Step::ProxyLogin(s) => (
                    format!(
                        "{}: proxy_login {} as {}",
                        i + 1,
                        s.path.as_deref().unwrap_or("/"),
                        s.user
                    ),
                    self.do_proxy_login(s).await,
                ),
                Step::HttpGet(s) => (
                    format!(
                        "{}: http_get {}{}",
                        i + 1,
                        s.path,
                        s.bearer
                            .as_ref()
                            .map(|b| format!(" (Bearer: {b}'s token)"))
                            .unwrap_or_default()
                    ),
                    self.do_http_get(s).await,
                ),
                Step::SetCredentials(s) => (
                    format!("{}: kubectl config set-credentials {}", i + 1, s.name),
                    self.do_set_credentials(s).await,
                ),
                Step::Restart(what) => (
                    format!("{}: restart {}", i + 1, format!("{what:?}").to_lowercase()),
                    self.do_restart(*what).await,
                ),
                Step::DexStart(s) => (format!("{}: dex start", i + 1), self.do_dex_start(s).await),
                Step::Oauth2ProxyStart(s) => (
                    format!("{}: oauth2-proxy start", i + 1),
                    self.do_proxy_start(s).await,
                ),
                Step::WaitTokenExpired(s) => (
                    format!("{}: wait until {}'s token has expired", i + 1, s.user),
                    self.do_wait_token_expired(s).await,
                ),
                Step::ProxyCanI(s) => (
                    format!(
                        "{}: [emulated] impersonation proxy, can-i ({} rows)",
                        i + 1,
                        s.rows.len()
                    ),
                    self.do_proxy_can_i(s).await,
                ),
                Step::Discovery(s) => (
                    format!(
                        "{}: discovery at {:?} ({} endpoints)",
                        i + 1,
                        s.at,
                        s.endpoints.len()
                    ),
                    self.do_discovery(s).await,
                ),
                Step::DeviceLogin(s) => (
                    format!("{}: device_login {} as {}", i + 1, s.client, s.user),
                    self.do_device_login(s).await,
                ),
                Step::EnvoyJwt(s) => (
                    format!(
                        "{}: [emulated] envoy jwt_authn, {}'s {} from {}",
                        i + 1,
                        s.user,
                        s.token,
                        s.client
                    ),
                    self.do_envoy_jwt(s).await,
                ),
                Step::SetPassword(s) => (
                    format!(
                        "{}: set_password for {}{}",
                        i + 1,
                        s.user,
                        if s.temporary { " (temporary)" } else { "" }
                    ),
                    self.do_set_password(s).await,
                ),
            };
            match outcome {
                Ok(mut report) => {
                    report.step = label;
                    report.seconds = started.elapsed().as_secs_f64();
                    reports.push(report);
                }
                Err(e) => return Err(self.with_evidence(&label, e).await),
            }
            // Nothing after it can run without Dex.
            if matches!(step, Step::DexStart(_)) && self.dex.is_none() {
                break;
            }
            if matches!(step, Step::Oauth2ProxyStart(_)) && !self.front.serving() {
                break;
            }
        }
        Ok(reports)
    }

    /// The case's expected diagnosis must be named; the base case none.
    async fn verify_diagnosis(&self, case: &Case, found: &[Diagnosis]) -> Result<()> {
        let ids: Vec<&str> = found.iter().map(|d| d.id).collect();
        let wanted = case
            .variant
            .as_ref()
            .map(|v| v.diagnosis.as_str())
            .filter(|d| *d != "none");
        // The catalogue is ordered most specific first: the expected cause must
        // come first; a consequence it also explains may follow.
        let ok = match wanted {
            Some(id) => ids.first() == Some(&id),
            None => ids.is_empty(),
        };
        if ok {
            return Ok(());
        }
        let shown: Vec<String> = found.iter().map(|d| d.to_string()).collect();
        let e = Error::step(
            "diagnose",
            format!(
                "expected diagnosis {}, the harness named {}\n{}",
                wanted
                    .map(|w| format!("`{w}`"))
                    .unwrap_or_else(|| "none".into()),
                if ids.is_empty() {
                    "none".to_string()
                } else {
                    format!("{ids:?}")
                },
                shown.join("\n")
            ),
        );
        Err(self.with_evidence("diagnose", e).await)
    }

    pub(super) fn password_of(&self, user: &str, given: &Option<String>) -> Result<String> {
        if let Some(p) = given {
            return Ok(p.clone());
        }
        self.realm
            .as_ref()
            .and_then(|(_, rep)| keycloak::user_password(rep, user))
            .ok_or_else(|| {
                Error::step(
                    "password",
                    format!(
                        "no password for `{user}`: give `password:` or a credential in the realm"
                    ),
                )
            })
    }

    /// Adds what the programs showed to a step's error.
    pub(super) async fn with_evidence(&self, step: &str, e: Error) -> Error {
        let mut evidence = String::new();
        if let Some(browser) = &self.browser {
            let page = browser.evidence("failure").await;
            evidence.push_str(&format!("{page}\n"));
        }
        if let Some(dex) = &self.dex {
            evidence.push_str(&format!(
                "--- last lines of {} ---\n{}\n",
                dex.log_path().display(),
                dex.log_tail(30)
            ));
        }
        if let Some(api) = &self.apiserver {
            evidence.push_str(&format!(
                "--- last lines of {} ---\n{}\n",
                api.log_path().display(),
                api.log_tail(30)
            ));
        }
        evidence.push_str(&self.front.evidence());
        if let Some(ingress) = self.startup.ingress() {
            evidence.push_str(&format!(
                "--- {} ---\n{}\n",
                ingress.log_path().display(),
                ingress.log_text()
            ));
        }
        evidence.push_str(&format!(
            "--- last lines of {} ---\n{}",
            self.run.keycloak.endpoint().log.display(),
            self.run.keycloak.log_tail(30)
        ));
        let message = match e {
            Error::Step {
                step: inner,
                message,
                ..
            } => format!("{inner}: {message}"),
            other => other.to_string(),
        };
        Error::Step {
            step: step.to_string(),
            message,
            evidence,
        }
    }

    async fn teardown(&mut self) {
        if let Some(browser) = self.browser.take() {
            browser.close().await;
        }
        self.app = None;
        self.apiserver = None;
        self.front.stop();
        self.dex = None;
        if let Some((name, _)) = self.realm.take()
            && !crate::process::keep_requested()
        {
            let _ = self.run.keycloak.delete_realm(&name).await;
        }
    }
}

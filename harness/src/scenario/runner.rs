//! Runs one case: creates its realm, starts its Dex, app and browser, does each
//! step (`do_*`), checks what came out (`verify_*`), then names the known
//! misconfigurations the evidence matches and checks them against the case's
//! expected diagnosis. A failed step carries the evidence: decoded claims, the
//! page the browser ended on (URL, text, screenshot), and the last lines of the
//! Dex and Keycloak logs.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{Value, json};

use super::template::{Renderer, Values};
use super::{At, BrowserLogin, Case, Expect, PasswordGrant, Scenario, Step};
use crate::components::apiserver::ApiServer;
use crate::components::app::{App, AppPlan, Registration, SignIn};
use crate::components::browser::{Browser, PageEvidence, truncate};
use crate::components::dex::{Dex, DexPlan};
use crate::components::keycloak;
use crate::dexlog::{self, LoginLine};
use crate::diagnose::{self, Diagnosis, Observed};
use crate::error::{Error, IoContext, Result};
use crate::oidc::{Provider, TokenAnswer, random_token};
use crate::run::{Run, out_dir};

/// Claims whose values change every run: redacted in reports and snapshots.
pub const VOLATILE_CLAIMS: &[&str] = &[
    "iss",
    "sub",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "at_hash",
    "c_hash",
    "sid",
    "jti",
];

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

    fn issuer(&self, at: At) -> Result<String> {
        match at {
            At::Keycloak => self
                .realm
                .as_ref()
                .map(|(name, _)| self.run.keycloak.issuer(name))
                .ok_or_else(|| Error::step("issuer", "the scenario has no keycloak realm")),
            At::Dex => self
                .dex
                .as_ref()
                .map(|d| d.issuer().to_string())
                .ok_or_else(|| Error::step("issuer", "the scenario has no dex")),
        }
    }

    async fn do_password_grant(&mut self, s: &PasswordGrant) -> Result<StepReport> {
        let http = self.run.ca.http_client()?;
        let program = program_name(s.at);
        let provider = Provider::discover(&http, program, &self.issuer(s.at)?).await?;
        let password = self.password_of(&s.user, &s.password)?;
        let form = [
            ("grant_type", "password"),
            ("username", s.user.as_str()),
            ("password", password.as_str()),
            ("scope", s.scope.as_str()),
        ];
        let answer = provider
            .token(&http, program, (&s.client, &s.client_secret), &form)
            .await?;
        let mut report = StepReport::default();
        match answer {
            TokenAnswer::Refused {
                status,
                error,
                description,
            } => {
                report.error = Some(error.clone());
                verify_error(
                    &s.expect,
                    &format!("{status} {error}: {description}"),
                    &error,
                )?;
            }
            TokenAnswer::Tokens(tokens) => {
                verify_no_error(&s.expect, "the token endpoint issued tokens")?;
                if let Some(id_token) = tokens["id_token"].as_str() {
                    report.claims =
                        Some(provider.verify(&http, program, id_token, &s.client).await?);
                    self.tokens.insert(s.user.clone(), id_token.to_string());
                }
                if let Some(access) = tokens["access_token"].as_str()
                    && s.expect.userinfo.is_some()
                {
                    report.userinfo = Some(provider.userinfo(&http, program, access).await?);
                }
                if s.at == At::Keycloak {
                    self.grants
                        .insert(super::envoy::grant_key(&s.client, &s.user), tokens.clone());
                }
                verify_subset("ID token claims", &s.expect.claims, &report.claims)?;
                verify_subset("userinfo", &s.expect.userinfo, &report.userinfo)?;
                report.claims = report.claims.map(redact);
            }
        }
        Ok(report)
    }

    /// A fresh browser: no SSO cookie of a previous user.
    pub(super) async fn fresh_browser(&mut self) -> Result<&Browser> {
        if let Some(old) = self.browser.take() {
            old.close().await;
        }
        let p = &self.run.programs;
        let mut spki = vec![self.run.ca.spki_sha256()?];
        if let Some(dex) = &self.dex {
            spki.push(dex.cert.spki_sha256.clone());
        }
        let browser = Browser::start(&p.chromium, &p.chromedriver, &spki, &self.dir).await?;
        Ok(self.browser.insert(browser))
    }

    pub(super) async fn do_browser_login(&mut self, s: &BrowserLogin) -> Result<StepReport> {
        let password = self.password_of(&s.user, &s.password)?;
        match s.at {
            At::Dex => self.login_through_dex(s, &password).await,
            At::Keycloak => self.login_at_keycloak(s, &password).await,
        }
    }

    /// The whole chain: app -> Dex -> Keycloak -> Dex -> app.
    async fn login_through_dex(&mut self, s: &BrowserLogin, password: &str) -> Result<StepReport> {
        let app = self
            .app
            .as_ref()
            .ok_or_else(|| Error::step("browser_login", "the scenario has no app"))?;
        let (login, done) = (app.login_url(), app.redirect_uri());
        let dex = self
            .dex
            .as_ref()
            .ok_or_else(|| Error::step("browser_login", "the scenario has no dex"))?;
        let (logins_before, log_offset) =
            (dexlog::logins(&dex.log_text()).len(), dex.log_text().len());
        let browser = self.fresh_browser().await?;
        let end = sign_in(
            browser,
            &login,
            &done,
            &s.user,
            password,
            s.connector.as_deref(),
        )
        .await?;
        let page = browser.evidence("signed-in").await;
        self.observed.pages.push(page.text.clone());
        let dex = self.dex.as_ref().expect("checked above");
        let mut report = StepReport {
            page: Some(page.clone()),
            snapshot: s.snapshot.clone(),
            ..Default::default()
        };
        if let SignInEnd::Stopped { url, reason } = end {
            let dex_log = settle_log(dex, log_offset).await;
            self.observed.dex_log.push_str(&dex_log);
            report.error = Some(expected_stop(
                &s.expect,
                &url,
                &reason,
                &page.text,
                Some(&dex_log),
            )?);
            return Ok(report);
        }
        let result = self
            .app
            .as_ref()
            .expect("checked above")
            .next_result(Duration::from_secs(20))
            .await
            .ok_or_else(|| {
                Error::step(
                    "callback",
                    "the app's callback was reached but gave no result",
                )
            })?;
        report.dex_login = wait_login_line(dex, logins_before).await;
        let dex_log = settle_log(dex, log_offset).await;
        self.observed.dex_log.push_str(&dex_log);
        self.observed.dex_logins.extend(report.dex_login.clone());
        verify_contains("Dex's log", &s.expect.dex_log, &dex_log)?;
        verify_contains("the app's page", &s.expect.page_text, &page.text)?;
        match result {
            SignIn::Failed { error } => {
                report.error = Some(error.clone());
                let code = error.split(':').next().unwrap_or_default().to_string();
                verify_error(&s.expect, &error, &code)?;
                return Ok(report);
            }
            SignIn::Tokens { claims, tokens } => {
                verify_no_error(&s.expect, "the sign-in succeeded")?;
                if let Some(t) = tokens["id_token"].as_str() {
                    self.tokens.insert(s.user.clone(), t.to_string());
                }
                if s.expect.refresh {
                    report.output = Some(self.verify_refresh(&tokens, &claims).await?);
                }
                self.claims.insert(s.user.clone(), claims.clone());
                self.observed.dex_claims.push(claims.clone());
                report.claims = Some(claims);
            }
        }
        verify_subset("ID token claims (Dex)", &s.expect.claims, &report.claims)?;
        verify_dex_login(&s.expect, &report.dex_login)?;
        report.claims = report.claims.map(redact);
        Ok(report)
    }

    /// offline_access: the refresh token redeemed at Dex as the app gives a
    /// new ID token for the same subject.
    async fn verify_refresh(&self, tokens: &Value, claims: &Value) -> Result<String> {
        let refresh = tokens["refresh_token"].as_str().ok_or_else(|| {
            Error::step(
                "refresh",
                "no refresh_token came with the tokens (offline_access)",
            )
        })?;
        let (app, dex) = match (&self.scenario.app, &self.dex) {
            (Some(a), Some(d)) => (a, d),
            _ => return Err(Error::step("refresh", "needs the app and Dex")),
        };
        let http = self.run.ca.http_client()?;
        let provider = Provider::discover(&http, "dex", dex.issuer()).await?;
        let form = [("grant_type", "refresh_token"), ("refresh_token", refresh)];
        let fresh = match provider
            .token(&http, "dex", (&app.client_id, &app.client_secret), &form)
            .await?
        {
            TokenAnswer::Tokens(t) => t,
            TokenAnswer::Refused {
                status,
                error,
                description,
            } => {
                return Err(Error::step(
                    "refresh",
                    format!("Dex refused the refresh token: {status} {error}: {description}"),
                ));
            }
        };
        let id_token = fresh["id_token"]
            .as_str()
            .ok_or_else(|| Error::step("refresh", "no id_token in the refresh answer"))?;
        let renewed = provider
            .verify(&http, "dex", id_token, &app.client_id)
            .await?;
        if renewed["sub"] != claims["sub"] {
            return Err(Error::step(
                "refresh",
                format!(
                    "the refreshed ID token is for {} not {}",
                    renewed["sub"], claims["sub"]
                ),
            ));
        }
        Ok(format!(
            "refresh_token redeemed: new ID token for {} (iat {} -> {})",
            renewed["email"], claims["iat"], renewed["iat"]
        ))
    }

    /// A code flow straight at the realm as the given client (e.g. the guide's
    /// "verify the Keycloak configuration" with the flow the client allows).
    async fn login_at_keycloak(&mut self, s: &BrowserLogin, password: &str) -> Result<StepReport> {
        let need = |v: &Option<String>, what: &str| {
            v.clone().ok_or_else(|| {
                Error::step("browser_login", format!("`at: keycloak` needs `{what}`"))
            })
        };
        let client = need(&s.client, "client")?;
        let secret = need(&s.client_secret, "client_secret")?;
        let redirect = need(&s.redirect_uri, "redirect_uri")?;
        let http = self.run.ca.http_client()?;
        let provider = Provider::discover(&http, "keycloak", &self.issuer(At::Keycloak)?).await?;
        let mut url = url::Url::parse(&provider.authorization_endpoint)
            .map_err(|e| Error::step("authorize", e.to_string()))?;
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &client)
            .append_pair("redirect_uri", &redirect)
            .append_pair("scope", s.scope.as_deref().unwrap_or("openid"))
            .append_pair("state", &random_token(16));
        let browser = self.fresh_browser().await?;
        // The browser lands on the client's redirect URI (Dex's callback here);
        // the code is read from the address bar before anything redeems it.
        let prompts = Prompts {
            new_password: s.new_password.as_deref(),
            ..Prompts::default()
        };
        let end = sign_in_prompted(
            browser,
            url.as_str(),
            Goal::Url(&redirect),
            &s.user,
            password,
            None,
            prompts,
        )
        .await?;
        let page = browser.evidence("keycloak").await;
        self.observed.pages.push(page.text.clone());
        let mut report = StepReport {
            page: Some(page.clone()),
            snapshot: s.snapshot.clone(),
            ..Default::default()
        };
        let landed = match end {
            SignInEnd::Reached(url) => url,
            SignInEnd::Stopped { url, reason } => {
                report.error = Some(expected_stop(&s.expect, &url, &reason, &page.text, None)?);
                return Ok(report);
            }
        };
        let landed =
            url::Url::parse(&landed).map_err(|e| Error::step("callback", e.to_string()))?;
        let query: HashMap<_, _> = landed.query_pairs().into_owned().collect();
        if let Some(error) = query.get("error") {
            report.error = Some(error.clone());
            let shown = format!(
                "{error}: {}",
                query.get("error_description").cloned().unwrap_or_default()
            );
            self.observed.pages.push(shown.clone());
            verify_error(&s.expect, &shown, error)?;
            return Ok(report);
        }
        let code = query
            .get("code")
            .ok_or_else(|| Error::step("callback", format!("no code in {landed}")))?;
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", redirect.as_str()),
        ];
        let tokens = match provider
            .token(&http, "keycloak", (&client, &secret), &form)
            .await?
        {
            TokenAnswer::Tokens(t) => t,
            TokenAnswer::Refused {
                status,
                error,
                description,
            } => {
                report.error = Some(error.clone());
                verify_error(
                    &s.expect,
                    &format!("{status} {error}: {description}"),
                    &error,
                )?;
                return Ok(report);
            }
        };
        verify_no_error(&s.expect, "the code was exchanged for tokens")?;
        if let Some(id_token) = tokens["id_token"].as_str() {
            report.claims = Some(
                provider
                    .verify(&http, "keycloak", id_token, &client)
                    .await?,
            );
        }
        let access = tokens["access_token"].as_str().unwrap_or_default();
        report.userinfo = Some(provider.userinfo(&http, "keycloak", access).await?);
        self.observed.keycloak_userinfo = report.userinfo.clone();
        report.access_claims = Some(provider.verify_jwt(&http, "keycloak", access, &[]).await?);
        self.grants
            .insert(super::envoy::grant_key(&client, &s.user), tokens.clone());
        verify_subset(
            "ID token claims (Keycloak)",
            &s.expect.claims,
            &report.claims,
        )?;
        verify_subset(
            "access token claims (Keycloak)",
            &s.expect.access_claims,
            &report.access_claims,
        )?;
        verify_subset("userinfo (Keycloak)", &s.expect.userinfo, &report.userinfo)?;
        report.claims = report.claims.map(redact);
        report.access_claims = report.access_claims.map(redact);
        report.userinfo = report.userinfo.map(redact);
        Ok(report)
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

fn program_name(at: At) -> &'static str {
    match at {
        At::Keycloak => "keycloak",
        At::Dex => "dex",
    }
}

/// Where a browser sign-in ended.
#[derive(Debug, Clone)]
pub enum SignInEnd {
    /// The expected redirect target (the app's callback), at this URL.
    Reached(String),
    /// A page it could not go past (an error page, or a form shown again).
    Stopped { url: String, reason: String },
}

/// Error elements of Keycloak's and Dex's login forms.
const ERRORS: &str = "#login-error, #input-error, #input-error-username, .kc-feedback-text";

/// oauth2-proxy's "Sign in with <provider>" button (its sign-in page).
const PROXY_SIGN_IN: &str = "form[action$='/oauth2/start'] button[type='submit']";

/// The message oauth2-proxy's sign-in page shows after a failed attempt.
const PROXY_SIGN_IN_MESSAGE: &str = ".alert, .notification, .message";

/// Dex's "Grant Access" button (its approval page).
const APPROVE: &str = "form:has(input[name='approval'][value='approve']) button[type='submit']";

/// Drives the login pages until the browser reaches `done` (a URL prefix):
/// Dex's connector choice, Keycloak's and Dex's login forms, Dex's approval.
pub async fn sign_in(
    browser: &Browser,
    start: &str,
    done: &str,
    user: &str,
    password: &str,
    connector: Option<&str>,
) -> Result<SignInEnd> {
    sign_in_until(browser, start, Goal::Url(done), user, password, connector).await
}

/// Where a sign-in is done.
#[derive(Debug, Clone, Copy)]
pub enum Goal<'a> {
    /// The browser is at a URL starting with this (a redirect URI).
    Url(&'a str),
    /// The page has this element (the application behind a proxy, whose
    /// address is also where the proxy's sign-in page is shown).
    Element(&'a str),
    /// The page shows this text (Keycloak's "Device Login Successful").
    Text(&'a str),
}

/// What a sign-in may be asked for besides the user's password.
#[derive(Debug, Clone, Copy, Default)]
pub struct Prompts<'a> {
    /// Keycloak's "Update password" page (a temporary password): the new one.
    pub new_password: Option<&'a str>,
    /// Keycloak's device page asking for the code the device shows.
    pub user_code: Option<&'a str>,
}

/// Keycloak's "Update password" form (required action UPDATE_PASSWORD).
const UPDATE_PASSWORD: &str = "#kc-passwd-update-form";

/// Keycloak's device verification form (`verification_uri` without the code).
const DEVICE_USER_CODE: &str = "input[name='device_user_code']";

/// Keycloak's "Do you grant these access privileges?" Yes button.
const KEYCLOAK_GRANT: &str = "input[name='accept'], button[name='accept']";

/// `sign_in`, done when `goal` is met.
pub async fn sign_in_until(
    browser: &Browser,
    start: &str,
    goal: Goal<'_>,
    user: &str,
    password: &str,
    connector: Option<&str>,
) -> Result<SignInEnd> {
    sign_in_prompted(
        browser,
        start,
        goal,
        user,
        password,
        connector,
        Prompts::default(),
    )
    .await
}

/// `sign_in_until`, also answering Keycloak's update-password page, device
/// code page and grant page (the device flow's "Do you grant ...?").
pub async fn sign_in_prompted(
    browser: &Browser,
    start: &str,
    goal: Goal<'_>,
    user: &str,
    password: &str,
    connector: Option<&str>,
    prompts: Prompts<'_>,
) -> Result<SignInEnd> {
    browser.goto(start).await?;
    let deadline = Instant::now() + Duration::from_secs(90);
    let mut actions = 0;
    let mut password_updates = 0;
    loop {
        let url = browser.url().await;
        let reached = match goal {
            Goal::Url(done) => url.starts_with(done),
            Goal::Element(css) => browser.find(css).await.is_some(),
            Goal::Text(text) => browser.text().await.contains(text),
        };
        if reached {
            return Ok(SignInEnd::Reached(url));
        }
        let stopped = |reason: &str| {
            Ok(SignInEnd::Stopped {
                url: url.clone(),
                reason: reason.into(),
            })
        };
        if Instant::now() > deadline || actions > 12 {
            return stopped("the sign-in went round in circles");
        }
        let acted = if browser.find("#kc-form-login").await.is_some() {
            if actions > 0 && browser.find(ERRORS).await.is_some() {
                return stopped("Keycloak showed its login form again, with an error");
            }
            browser.fill("#username", user).await?;
            browser.fill("#password", password).await?;
            browser.click("#kc-login").await?;
            true
        } else if let Some(link) = match connector {
            Some(c) => {
                browser
                    .find(&format!("a[href*='/auth/{c}?'], a[href$='/auth/{c}']"))
                    .await
            }
            None => None,
        } {
            link.click()
                .await
                .map_err(|e| Error::step("sign-in", format!("connector link: {e}")))?;
            true
        } else if browser.find("input#login").await.is_some()
            && browser.find("#submit-login").await.is_some()
        {
            if actions > 0 && browser.find("#login-error").await.is_some() {
                return stopped("Dex showed its password form again, with an error");
            }
            browser.fill("input#login", user).await?;
            browser.fill("input#password", password).await?;
            browser.click("#submit-login").await?;
            true
        } else if browser.find(APPROVE).await.is_some() {
            browser.click(APPROVE).await?;
            true
        } else if browser.find(PROXY_SIGN_IN).await.is_some() {
            if actions > 0 && browser.find(PROXY_SIGN_IN_MESSAGE).await.is_some() {
                return stopped("oauth2-proxy showed its sign-in page again, with a message");
            }
            browser.click(PROXY_SIGN_IN).await?;
            true
        } else if browser.find(UPDATE_PASSWORD).await.is_some() {
            let Some(new) = prompts.new_password else {
                return stopped(
                    "Keycloak asks for a new password (a temporary password) and the step gives no `new_password`",
                );
            };
            if password_updates > 0 {
                return stopped("Keycloak showed its update-password form again");
            }
            password_updates += 1;
            browser.fill("input[name='password-new']", new).await?;
            browser.fill("input[name='password-confirm']", new).await?;
            browser
                .click(&format!("{UPDATE_PASSWORD} [type='submit']"))
                .await?;
            true
        } else if browser.find(DEVICE_USER_CODE).await.is_some() {
            let Some(code) = prompts.user_code else {
                return stopped("Keycloak asks for the device's user code and the step has none");
            };
            if actions > 0 && browser.find(ERRORS).await.is_some() {
                return stopped("Keycloak showed its device code form again, with an error");
            }
            browser.fill(DEVICE_USER_CODE, code).await?;
            browser
                .click("form:has(input[name='device_user_code']) [type='submit']")
                .await?;
            true
        } else if browser.find(KEYCLOAK_GRANT).await.is_some() {
            browser.click(KEYCLOAK_GRANT).await?;
            true
        } else {
            false
        };
        if acted {
            actions += 1;
            // A form shown again with an error keeps its URL: stop waiting then too.
            browser
                .wait_navigation_or(&url, ERRORS, Duration::from_secs(20))
                .await;
        } else if !browser.wait_navigation(&url, Duration::from_secs(3)).await {
            return stopped("no login form, connector link or approval button");
        }
    }
}

pub(super) async fn wait_login_line(dex: &Dex, before: usize) -> Option<LoginLine> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let lines = dexlog::logins(&dex.log_text());
        if lines.len() > before {
            return lines.into_iter().nth(before);
        }
        if Instant::now() > deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Dex's log after `offset`, once it has stopped growing for a moment.
pub(super) async fn settle_log(dex: &Dex, offset: usize) -> String {
    let mut last = dex.log_text().len();
    for _ in 0..10 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let now = dex.log_text().len();
        if now == last {
            break;
        }
        last = now;
    }
    dexlog::decoded(dex.log_text().get(offset..).unwrap_or_default())
}

/// A sign-in that stopped on a page: fine when the step expects that page (or
/// that Dex log text), and then the page line that says so; else an error.
pub(super) fn expected_stop(
    expect: &Expect,
    url: &str,
    reason: &str,
    page: &str,
    dex_log: Option<&str>,
) -> Result<String> {
    if expect.page_text.is_none() && (expect.dex_log.is_none() || dex_log.is_none()) {
        return Err(Error::step("sign-in", format!("{reason} at {url}")));
    }
    verify_contains("the page the browser ended on", &expect.page_text, page)?;
    if let Some(log) = dex_log {
        verify_contains("Dex's log", &expect.dex_log, log)?;
    }
    Ok(line_with(page, &expect.page_text))
}

/// The page line holding the expected text, else the first line that reads
/// like an error, else the first line.
pub(super) fn line_with(text: &str, wanted: &Option<String>) -> String {
    let lines = || text.lines().map(str::trim).filter(|l| !l.is_empty());
    let wanted = wanted.as_deref().filter(|w| !w.is_empty());
    wanted
        .and_then(|w| lines().find(|l| l.contains(w)))
        .or_else(|| {
            lines().find(|l| {
                ["Invalid", "rror", "failed", "denied"]
                    .iter()
                    .any(|m| l.contains(m))
            })
        })
        .or_else(|| lines().next())
        .unwrap_or_default()
        .to_string()
}

pub(super) fn verify_contains(what: &str, wanted: &Option<String>, text: &str) -> Result<()> {
    match wanted {
        Some(w) if !text.contains(w.as_str()) => Err(Error::step(
            "verify",
            format!(
                "expected {what} to contain `{w}`; it has:\n{}",
                truncate(text, 2000)
            ),
        )),
        _ => Ok(()),
    }
}

/// The step's Dex `login successful` line must exist when one is expected,
/// and hold the expected fields.
pub(super) fn verify_dex_login(expect: &Expect, line: &Option<LoginLine>) -> Result<()> {
    let Some(wanted) = &expect.dex_login else {
        return Ok(());
    };
    let line = line
        .as_ref()
        .ok_or_else(|| Error::step("dex log", "no new `login successful` line in Dex's log"))?;
    let line = serde_json::to_value(line).expect("serialisable");
    verify_subset(
        "Dex `login successful` line",
        &Some(wanted.clone()),
        &Some(line),
    )
}

pub(super) fn verify_error(expect: &Expect, shown: &str, code: &str) -> Result<()> {
    match &expect.error {
        Some(wanted) if code == wanted || shown.contains(wanted.as_str()) => Ok(()),
        Some(wanted) => Err(Error::step(
            "verify",
            format!("expected the error `{wanted}`, got: {shown}"),
        )),
        None => Err(Error::step("verify", format!("refused: {shown}"))),
    }
}

pub(super) fn verify_no_error(expect: &Expect, what: &str) -> Result<()> {
    match &expect.error {
        Some(wanted) => Err(Error::step(
            "verify",
            format!("expected the error `{wanted}`, but {what}"),
        )),
        None => Ok(()),
    }
}

/// `expected` must be a subset of `actual`: objects recursively, everything
/// else equal.
pub(super) fn verify_subset(
    what: &str,
    expected: &Option<Value>,
    actual: &Option<Value>,
) -> Result<()> {
    let Some(expected) = expected else {
        return Ok(());
    };
    let actual = actual.clone().unwrap_or(Value::Null);
    let mut diffs = Vec::new();
    diff(expected, &actual, "", &mut diffs);
    if diffs.is_empty() {
        return Ok(());
    }
    Err(Error::step(
        "verify",
        format!(
            "{what} do not match:\n  {}\nactual {what}:\n{}",
            diffs.join("\n  "),
            serde_json::to_string_pretty(&actual).unwrap_or_default()
        ),
    ))
}

fn diff(expected: &Value, actual: &Value, path: &str, out: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (k, ev) in e {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                match a.get(k) {
                    Some(av) => diff(ev, av, &p, out),
                    None => out.push(format!("{p}: expected {ev}, missing")),
                }
            }
        }
        (e, a) if e == a => {}
        (e, a) => out.push(format!(
            "{}: expected {e}, got {a}",
            if path.is_empty() { "(value)" } else { path }
        )),
    }
}

/// Replaces volatile claims by a marker so reports and snapshots are stable.
pub fn redact(mut claims: Value) -> Value {
    if let Some(map) = claims.as_object_mut() {
        for key in VOLATILE_CLAIMS {
            if map.contains_key(*key) {
                map.insert((*key).to_string(), json!("[redacted]"));
            }
        }
        if let Some(fed) = map
            .get_mut("federated_claims")
            .and_then(Value::as_object_mut)
            && fed.contains_key("user_id")
        {
            fed.insert("user_id".into(), json!("[redacted]"));
        }
    }
    claims
}

//! Runs one case: plan (addresses and template values), start (realm, Dex,
//! the front, the app, the apiserver), the steps, the diagnosis, and the
//! check of the diagnosis against the case's. A failed step carries the
//! evidence: decoded claims, the page the browser ended on (URL, text,
//! screenshot), and the last lines of every program's log. Every case writes
//! `report.json`, `evidence.json` and `report.html` into its folder.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Instant;

use super::cx::StepCx;
use super::steps::{self, Front, Startup};
use super::{Run, out_dir};
use crate::diagnose;
use crate::error::{Error, IoContext, Result};
use crate::infra::oidc::{Provider, random_token};
use crate::model::evidence::{ConfigView, Evidence, Recorded};
use crate::model::report::{CaseReport, Diagnosis, StepReport};
use crate::model::spec::Scenario;
use crate::model::steps::{Need, Step};
use crate::programs::app::{App, AppPlan, Registration};
use crate::programs::dex::DexPlan;
use crate::programs::keycloak;
use crate::programs::kube::Cluster;
use crate::programs::kube::apiserver::{ApiServer, Etcd};
use crate::scenario::Case;
use crate::scenario::template::{Renderer, Values};

pub async fn run_case(run: &Run, case: &Case) -> Result<CaseReport> {
    let started = Instant::now();
    let (dir, _lock) = case_dir(&case.name)?;

    let realm_name = format!(
        "{}-{}",
        case.file.scenario.guide,
        random_token(6).to_lowercase()
    );
    let document = case.document()?;
    let front = Front::new(document["oauth2_proxy"]["tls"] == true)?;
    let mut dex_plan = DexPlan::new(run.cluster)?;
    if document.get("istio").is_some() {
        dex_plan = dex_plan.behind(&front.gateway.url());
    }
    let app_plan = AppPlan::new(document["app"]["redirect_path"].as_str())?;
    // A Keycloak of the case's own, for faults that must not reach other cases.
    let own_keycloak = match document["keycloak"].get("own") {
        Some(own) => {
            let offset = own["clock_offset"].as_str();
            let faketime = run.programs.faketime.clone();
            Some(
                crate::programs::keycloak::Keycloak::start_skewed(
                    &run.programs.keycloak,
                    &run.ca,
                    crate::infra::process::fresh_endpoint()?,
                    &dir,
                    offset.map(|o| (faketime.as_path(), o)),
                )
                .await?,
            )
        }
        None => None,
    };
    let keycloak = own_keycloak.as_ref().unwrap_or(&run.keycloak);
    let mut values = Values::default();
    values.keycloak.insert("url".into(), keycloak.url().into());
    values.keycloak.insert("realm".into(), realm_name.clone());
    values
        .keycloak
        .insert("issuer".into(), keycloak.issuer(&realm_name));
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
    let kubelogin_port = crate::infra::process::free_port(std::net::Ipv4Addr::LOCALHOST)?;
    values.kubelogin.insert(
        "redirect_uri".into(),
        format!("http://localhost:{kubelogin_port}"),
    );
    values
        .kubelogin
        .insert("port".into(), kubelogin_port.to_string());
    values.env.insert("HOME".into(), dir.display().to_string());
    let mut startup = Startup::new(&realm_name, &mut values)?;
    let file = case.file.path.display().to_string();
    let renderer = Renderer::new(&values);
    let document = renderer.render(&document, &file)?;
    let replayed_as = case
        .replayed_as
        .iter()
        .map(|s| {
            let replayed = renderer
                .render(&serde_json::json!(s.replayed), &file)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_else(|| s.replayed.clone());
            crate::model::report::Substitution {
                replayed,
                ..s.clone()
            }
        })
        .collect();
    let mut scenario: Scenario = serde_json::from_value(document)
        .map_err(|e| Error::step("scenario", format!("{file}: {e}")))?;
    startup.apply_charm(&mut scenario, case);
    let mut predictions = static_check(case, &scenario)?;
    predictions.extend(case.problems.iter().cloned());

    let mut cx = StepCx {
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
        evidence: Evidence::default(),
        startup,
        own_keycloak,
    };
    let result = match start(&mut cx, realm_name, dex_plan, app_plan).await {
        Ok(()) => run_steps(&mut cx).await,
        Err(e) => Err(e),
    };
    if let Some(api) = &cx.apiserver {
        cx.evidence.apiserver_log = api.warnings();
    }
    let config = ConfigView {
        realm: cx.realm.as_ref().map(|(_, r)| r.clone()),
        dex: scenario.dex.as_ref().map(|d| d.config.clone()),
        connectors_json: scenario
            .dex
            .as_ref()
            .and_then(|d| d.connectors_json.clone()),
        impersonation: scenario.impersonation_proxy.clone(),
        oauth2_proxy: scenario.oauth2_proxy.clone(),
        istio: scenario.istio.clone(),
        apiserver: scenario.apiserver.clone(),
    };
    let diagnoses = diagnose::diagnose(&config, &cx.evidence);
    let identities = diagnose::identities(&config, &cx.evidence);
    let verdict = match &result {
        Ok(_) if case.check_diagnosis => verify_diagnosis(&cx, case, &diagnoses).await,
        _ => Ok(()),
    };
    let recorded = Recorded {
        case: case.name.clone(),
        expected: case
            .check_diagnosis
            .then(|| expected_diagnosis(case).unwrap_or("none").to_string()),
        config,
        evidence: std::mem::take(&mut cx.evidence),
    };
    write_json(&dir.join("evidence.json"), &recorded)?;
    cx.teardown().await;
    let steps = result?;
    verdict?;
    drop_scratch(&dir);
    let report = CaseReport {
        name: case.name.clone(),
        dir: dir.clone(),
        findings: scenario.findings.clone(),
        steps,
        diagnoses,
        predictions,
        replayed_as,
        identities,
        seconds: started.elapsed().as_secs_f64(),
    };
    write_json(&dir.join("report.json"), &report)?;
    crate::report::write_case(&report)?;
    Ok(report)
}

/// A passing case keeps its evidence (reports, logs, configs, screenshots)
/// and drops what only the programs needed: browser profiles, etcd's data.
fn drop_scratch(dir: &std::path::Path) {
    if crate::infra::process::keep_requested() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        if name.starts_with("chromium-profile") || name == "etcd-data" {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

fn write_json(path: &std::path::Path, value: &impl serde::Serialize) -> Result<()> {
    let json = serde_json::to_string_pretty(value).expect("serialisable");
    std::fs::write(path, json).context(|| format!("writing {}", path.display()))
}

/// The variant's diagnosis id; `None` for a base case or `diagnosis: none`.
fn expected_diagnosis(case: &Case) -> Option<&str> {
    case.variant
        .as_ref()
        .map(|v| v.diagnosis.as_str())
        .filter(|d| *d != "none")
}

/// Steps that may open a browser (kubectl and can_i through kubelogin).
const BROWSER_STEPS: [&str; 6] = [
    "browser_login",
    "device_login",
    "proxy_login",
    "kubelogin",
    "kubectl",
    "can_i",
];

/// The case's programs, in the order they need each other; etcd and the
/// run's chromedriver come up meanwhile (the apiserver itself waits for
/// Dex: it fetches its issuer's discovery at start and then only every 10 s).
async fn start(
    cx: &mut StepCx<'_>,
    realm_name: String,
    dex_plan: DexPlan,
    app_plan: AppPlan,
) -> Result<()> {
    let run = cx.run;
    let dir = cx.dir.clone();
    let wants_etcd = cx.scenario.apiserver.is_some() && run.cluster != Cluster::Kind;
    let wants_browser = cx
        .scenario
        .steps
        .iter()
        .any(|s| BROWSER_STEPS.contains(&s.verb().as_str()));
    let etcd = async {
        match wants_etcd {
            true => Some(Etcd::start(&run.programs, &dir).await),
            false => None,
        }
    };
    let driver = async {
        if wants_browser {
            // A failure here shows again, with its log, at the first browser step.
            let _ = run.driver().await;
        }
    };
    let (etcd, (), chain) = tokio::join!(
        etcd,
        driver,
        start_chain(cx, realm_name, dex_plan, app_plan)
    );
    chain?;
    let etcd = etcd.transpose()?;
    if let Some(spec) = cx.scenario.apiserver.clone() {
        let auth = crate::scenario::kind::oidc_auth(&spec)?;
        let started = Instant::now();
        let apiserver =
            ApiServer::start_on(etcd, &run.programs, &run.ca, &auth, &cx.dir, run.cluster).await?;
        tracing::info!("apiserver ready in {:.1}s", started.elapsed().as_secs_f64());
        if let Some(rbac) = &spec.rbac {
            apiserver.apply(rbac).await?;
        }
        cx.apiserver = Some(apiserver);
    }
    Ok(())
}

/// The realm, Dex, the front and the app, one after the other.
async fn start_chain(
    cx: &mut StepCx<'_>,
    realm_name: String,
    dex_plan: DexPlan,
    app_plan: AppPlan,
) -> Result<()> {
    let run = cx.run;
    if let Some(spec) = &cx.scenario.keycloak {
        let rep = keycloak::renamed(spec.realm.clone(), &realm_name);
        cx.keycloak().create_realm(rep.clone()).await?;
        cx.realm = Some((realm_name, rep));
    }
    if let Some(dex) = cx.scenario.dex.clone() {
        let mut dex_plan = dex_plan;
        dex_plan.env = dex.env.into_iter().collect();
        steps::start_ingress(cx).await?;
        steps::start_dex(cx, dex_plan, dex.config).await?;
    }
    // Before the app: with a gateway, Dex's issuer is only reachable through it.
    steps::start_front(cx).await?;
    if let (Some(app), Some(dex)) = (&cx.scenario.app, &cx.dex) {
        let http = run.ca.http_client()?;
        let reg = Registration {
            program: "dex".into(),
            provider: Provider::discover(&http, "dex", dex.issuer()).await?,
            client_id: app.client_id.clone(),
            client_secret: app.client_secret.clone(),
            scopes: app.scopes.clone(),
            extra: Vec::new(),
        };
        cx.app = Some(App::start(app_plan, reg, http).await?);
    }
    Ok(())
}

/// Each step in order; a failed step carries the evidence.
async fn run_steps(cx: &mut StepCx<'_>) -> Result<Vec<StepReport>> {
    let mut reports = Vec::new();
    for (i, step) in cx.scenario.steps.clone().iter().enumerate() {
        let started = Instant::now();
        let data = step.data();
        let label = format!("{}: {}", i + 1, data.label());
        match steps::perform(step, cx).await {
            Ok(mut report) => {
                report.step = label;
                report.kind = step.verb().to_string();
                report.user = data.user().map(String::from);
                report.at = data.at();
                report.seconds = started.elapsed().as_secs_f64();
                reports.push(report);
            }
            Err(e) => return Err(cx.with_evidence(&label, e).await),
        }
        // Nothing after it that needs Dex can run without it, nor anything
        // after oauth2-proxy's failed start.
        let dex_needed = cx.scenario.steps[i + 1..]
            .iter()
            .any(|s| s.data().needs().contains(&Need::Dex));
        if matches!(step, Step::DexStart(_)) && cx.dex.is_none() && dex_needed {
            break;
        }
        if matches!(step, Step::Oauth2ProxyStart(_)) && !cx.front.serving() {
            break;
        }
    }
    Ok(reports)
}

/// The case's expected diagnosis must be named first; the base case none.
async fn verify_diagnosis(cx: &StepCx<'_>, case: &Case, found: &[Diagnosis]) -> Result<()> {
    let ids: Vec<&str> = found.iter().map(|d| d.id).collect();
    let wanted = expected_diagnosis(case);
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
    let e = Error::expectation(
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
    Err(cx.with_evidence("diagnose", e).await)
}

/// Before anything starts: unknown Dex keys (a typo, or a key Dex dropped) stop
/// a scenario's case unless the scenario acknowledges them, and are reported
/// for a user's files; redirect mismatches that can be seen statically are
/// returned as predictions. (Loading checked the keys as written; this
/// checks them again with the charm's connectors in place.)
fn static_check(case: &Case, scenario: &Scenario) -> Result<Vec<String>> {
    let Some(dex) = &scenario.dex else {
        return Ok(Vec::new());
    };
    let mut predictions: Vec<String> = Vec::new();
    if case.check_diagnosis {
        crate::scenario::check_dex_keys(&case.file, dex)?;
    } else {
        // Diagnosing a user's files: report every unknown key, then run anyway.
        let source = std::fs::read_to_string(&case.file.path).unwrap_or_default();
        let keys = config_map_keys(&source)
            .unwrap_or_else(|| crate::infra::yaml::key_locations(&source).unwrap_or_default());
        // The config sits at the top of a Dex config file, under `config:`
        // in the chart's values, under `dex.config:` in a parent chart's.
        let unknown = crate::infra::dexcheck::unknown_keys(&dex.config, |p| {
            ["", "config.", "dex.config."]
                .iter()
                .map(|prefix| crate::infra::dexcheck::position(&keys, prefix, p))
                .find(|at| *at != (0, 0))
                .unwrap_or((0, 0))
        });
        predictions.extend(
            unknown
                .iter()
                .map(|u| format!("{}:{u}", case.file.path.display())),
        );
    }
    let realm = scenario.keycloak.as_ref().map(|k| &k.realm);
    predictions.extend(crate::infra::dexcheck::predictions(&dex.config, realm));
    Ok(predictions)
}

/// The keys of a ConfigMap's `config.yaml` block, located in the file: the
/// block's own lines, shifted to where it stands and how deep it is indented.
fn config_map_keys(source: &str) -> Option<Vec<crate::infra::yaml::KeyLocation>> {
    let doc: serde_json::Value = crate::infra::yaml::from_str(source).ok()?;
    let block = doc["data"]["config.yaml"].as_str()?;
    let header = source
        .lines()
        .position(|l| l.trim_start().starts_with("config.yaml:"))?;
    let first = source
        .lines()
        .skip(header + 1)
        .find(|l| !l.trim().is_empty())?;
    let indent = first.len() - first.trim_start().len();
    let mut keys = crate::infra::yaml::key_locations(block).ok()?;
    for k in &mut keys {
        k.line += header + 1;
        k.column += indent;
    }
    Some(keys)
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

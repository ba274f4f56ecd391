//! Dex's start-up as a step: the connectors given the Charmed Kubeflow way
//! (`dex.connectors_json`, through the [emulated] dex-auth charm), the TLS
//! front before Keycloak (`keycloak.ingress`), and `dex_start`, which checks
//! whether Dex is serving and what it logged. With a `dex_start` step in a
//! case, a Dex that exits at start is that step's evidence, not a failed case.

use std::net::SocketAddr;

use super::Perform;
use crate::emulated::dex_auth_charm;
use crate::error::{Error, Result};
use crate::infra::dexlog;
use crate::model::report::StepReport;
use crate::model::spec::Scenario;
use crate::model::steps::{DexStart, Step};
use crate::programs::Program;
use crate::programs::dex::{Dex, DexPlan};
use crate::programs::tls_front::{FrontPlan, TlsFront};
use crate::run::cx::StepCx;
use crate::run::verify::verify_text;
use crate::scenario::Case;
use crate::scenario::template::Values;

/// What happened before and at Dex's start.
pub(crate) struct Startup {
    ingress_plan: FrontPlan,
    ingress: Option<TlsFront>,
    /// The charm's refusal of `connectors_json`, located in its file.
    refusal: Option<String>,
    /// Why Dex is not serving: its exit (with its log) or the refusal.
    failure: Option<Failure>,
    /// Where Dex was to listen (`https://<addr>`), served or not: what a
    /// gateway in front of it routes to.
    pub(crate) planned: Option<String>,
}

struct Failure {
    message: String,
    log: String,
}

impl Startup {
    /// Decides the ingress's address and adds `keycloak.ingress_issuer`.
    pub(crate) fn new(realm: &str, values: &mut Values) -> Result<Startup> {
        let ingress_plan = FrontPlan::new()?;
        values.keycloak.insert(
            "ingress_issuer".into(),
            format!("{}/realms/{realm}", ingress_plan.url()),
        );
        Ok(Startup {
            ingress_plan,
            ingress: None,
            refusal: None,
            failure: None,
            planned: None,
        })
    }

    /// The charm's part: `connectors_json` becomes `config.connectors`, or
    /// the refusal is kept for the `dex_start` step and the diagnosis.
    pub(crate) fn apply_charm(&mut self, scenario: &mut Scenario, case: &Case) {
        let Some(dex) = scenario.dex.as_mut() else {
            return;
        };
        let Some(value) = dex.connectors_json.clone() else {
            return;
        };
        match dex_auth_charm::connectors(&value) {
            Ok(connectors) => dex.config["connectors"] = connectors,
            Err(refusal) => {
                let path = case.file.path.display();
                // The user's own file (diagnose) is the value itself.
                let whole_file =
                    std::fs::read_to_string(&case.file.path).is_ok_and(|text| text == value);
                let at = if whole_file {
                    format!("{path}:{}:{}", refusal.line, refusal.column)
                } else {
                    format!(
                        "{path}: dex.connectors_json, line {} column {} of the value",
                        refusal.line, refusal.column
                    )
                };
                let line = dex_auth_charm::line_of(&value, &refusal).unwrap_or_default();
                self.refusal = Some(format!("{refusal}\n  at {at}: `{line}`"));
            }
        }
    }

    pub(crate) fn ingress(&self) -> Option<&TlsFront> {
        self.ingress.as_ref()
    }
}

fn has_dex_start(scenario: &Scenario) -> bool {
    scenario
        .steps
        .iter()
        .any(|s| matches!(s, Step::DexStart(_)))
}

/// The TLS front before Keycloak, when the scenario has one.
pub(crate) async fn start_ingress(cx: &mut StepCx<'_>) -> Result<()> {
    let Some(spec) = cx
        .scenario
        .keycloak
        .as_ref()
        .and_then(|k| k.ingress.clone())
    else {
        return Ok(());
    };
    let url =
        url::Url::parse(cx.keycloak().url()).map_err(|e| Error::step("ingress", e.to_string()))?;
    let backend: SocketAddr = url
        .socket_addrs(|| None)
        .ok()
        .and_then(|a| a.into_iter().next())
        .ok_or_else(|| Error::step("ingress", format!("no address in {url}")))?;
    let front = TlsFront::start(
        &cx.run.ca,
        &cx.dir,
        "ingress",
        cx.startup.ingress_plan,
        &spec.certificate_names,
        backend,
    )
    .await?;
    cx.startup.ingress = Some(front);
    Ok(())
}

/// Starts Dex with `config`. A start that fails (or a refused
/// `connectors_json`) is kept for a `dex_start` step when the case has
/// one; otherwise it fails the case.
pub(crate) async fn start_dex(
    cx: &mut StepCx<'_>,
    plan: DexPlan,
    config: serde_json::Value,
) -> Result<()> {
    let tolerate = has_dex_start(&cx.scenario);
    cx.startup.planned = Some(format!("https://{}", plan.addr));
    if let Some(refusal) = cx.startup.refusal.clone() {
        cx.evidence.charm.push(refusal.clone());
        if !tolerate {
            return Err(Error::step("dex-auth charm", refusal));
        }
        cx.startup.failure = Some(Failure {
            message: refusal,
            log: String::new(),
        });
        return Ok(());
    }
    let run = cx.run;
    match Dex::start(&run.programs.dex, &run.ca, plan, config, &cx.dir).await {
        Ok(dex) => {
            cx.dex = Some(dex);
            Ok(())
        }
        Err(Error::Start { message, log, .. }) if tolerate => {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            cx.startup.failure = Some(Failure {
                message: format!("dex {message}"),
                log: text,
            });
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// Whether Dex serves, and what its start-up logged.
impl Perform for DexStart {
    async fn perform(&self, cx: &mut StepCx<'_>) -> Result<StepReport> {
        let (running, raw, exit) = match (&cx.dex, &cx.startup.failure) {
            (Some(dex), _) => (true, dex.log_text(), String::new()),
            (None, Some(f)) => (false, f.log.clone(), f.message.clone()),
            (None, None) => return Err(Error::step("dex_start", "the scenario has no dex")),
        };
        let text = format!("{}\n{exit}", dexlog::decoded(&raw));
        if cx.startup.refusal.is_none() {
            cx.evidence.dex_log.push_str(&text);
        }
        // Errors and warnings of its logger, and what it printed outside it.
        let notable: Vec<String> = raw
            .lines()
            .filter(|l| {
                !l.trim().is_empty()
                    && (!l.starts_with("time=")
                        || l.contains("level=ERROR")
                        || l.contains("level=WARN"))
            })
            .map(without_time)
            .chain((!exit.is_empty()).then_some(exit))
            .collect();
        let mut report = StepReport {
            output: Some(notable.join("\n")),
            ..Default::default()
        };
        if !running {
            report.error = notable.last().map(|l| l.to_string());
        }
        match self.0.running {
            Some(want) if want != running => {
                return Err(Error::expectation(
                    "dex_start",
                    format!(
                        "expected Dex {}, it {}; it printed:\n{}",
                        if want { "serving" } else { "not serving" },
                        if running {
                            "is serving"
                        } else {
                            "is not serving"
                        },
                        notable.join("\n")
                    ),
                ));
            }
            _ => {}
        }
        verify_text("Dex's start-up log", &self.0.log, &text)?;
        Ok(report)
    }
}

/// A Dex log line as it printed it, without its `time=` field.
fn without_time(line: &str) -> String {
    match line.strip_prefix("time=") {
        Some(rest) => rest
            .split_once(' ')
            .map(|(_, l)| l.to_string())
            .unwrap_or_default(),
        None => line.to_string(),
    }
}

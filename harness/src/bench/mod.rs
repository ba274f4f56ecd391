//! `oidc-harness bench suite`: the suite's own step times against what the
//! same steps cost at their floor on this machine, measured in the same run
//! by [`probes`]. Timings live here and nowhere in the tests.
//!
//! A step's floor is built from the probes: a browser sign-in at Keycloak is
//! one session and one form sign-in, one through Dex adds the pages between
//! (app → Dex → Keycloak → Dex → app), and so on. Steps no probe stands for
//! (HTTP requests, kubectl) count at their own median: no probe claims they
//! could be faster. A case's floor is its start (realm import, Dex,
//! oauth2-proxy, etcd + apiserver) plus its steps; the suite's floor is the
//! cases' floors spread over the jobs (never below the longest case).

pub mod probes;

use std::collections::BTreeMap;
use std::fmt;

use crate::model::report::CaseReport;
use crate::model::steps::At;
pub use probes::{Floors, median};

/// What a case starts before its first step (from its scenario document).
#[derive(Debug, Clone, Copy, Default)]
pub struct CaseShape {
    /// `keycloak.own`: the case starts a Keycloak of its own.
    pub own_keycloak: bool,
    pub realm: bool,
    pub dex: bool,
    pub oauth2_proxy: bool,
    pub apiserver: bool,
}

impl CaseShape {
    /// Read from a case's (unrendered) document. Dex and oauth2-proxy start
    /// with the case even where a `dex_start` / `oauth2_proxy_start` step
    /// checks how their start went (those steps only read it).
    pub fn of(document: &serde_json::Value) -> CaseShape {
        CaseShape {
            own_keycloak: document["keycloak"].get("own").is_some(),
            realm: document.get("keycloak").is_some(),
            dex: document.get("dex").is_some(),
            oauth2_proxy: document.get("oauth2_proxy").is_some(),
            apiserver: document.get("apiserver").is_some(),
        }
    }

    fn floor(&self, f: &Floors) -> f64 {
        let on = |b: bool, s: f64| if b { s } else { 0.0 };
        on(self.own_keycloak, f.keycloak_start)
            + on(self.realm, f.realm_import)
            + on(self.dex, f.dex_start)
            + on(self.oauth2_proxy, f.oauth2_proxy_start)
            + on(self.apiserver, f.apiserver_start)
    }
}

/// How steps are grouped: the verb, where it signed in, and whether the
/// chain refused it (as the step expected).
pub fn step_key(kind: &str, at: Option<At>, refused: bool) -> String {
    let at = match at {
        Some(At::Dex) => " at dex",
        Some(At::Keycloak) => " at keycloak",
        None => "",
    };
    let refused = if refused { " (refused)" } else { "" };
    format!("{kind}{at}{refused}")
}

/// The floor of one step from the probes; `None` where no probe stands for it.
fn step_floor(kind: &str, at: Option<At>, f: &Floors) -> Option<f64> {
    let sign_in = f.session + f.form_sign_in;
    Some(match (kind, at) {
        ("browser_login", Some(At::Keycloak)) => sign_in,
        // app -> Dex -> Keycloak (form) -> Dex -> app
        ("browser_login", _) => sign_in + 2.0 * f.page,
        // the device page, then the grant page
        ("device_login", _) => sign_in + f.page,
        // proxy -> Dex -> Keycloak (form) -> Dex -> proxy -> app
        ("proxy_login", _) | ("kubelogin", _) => sign_in + 2.0 * f.page,
        _ => return None,
    })
}

/// One row of the table.
#[derive(Debug, Clone)]
pub struct Row {
    pub key: String,
    pub count: usize,
    pub median: f64,
    /// `None`: no probe stands for this step (counted at its median).
    pub floor: Option<f64>,
}

/// The whole comparison.
#[derive(Debug, Clone)]
pub struct Table {
    pub rows: Vec<Row>,
    /// Per case: time outside its steps (start, diagnosis, teardown).
    pub outside: Row,
    pub wall: f64,
    pub floor: f64,
    pub jobs: usize,
    pub cases: usize,
    pub floors: Floors,
}

impl Table {
    /// `reports` with the shape of each case, `wall` the suite's wall time.
    pub fn new(
        reports: &[(CaseShape, CaseReport)],
        floors: Floors,
        jobs: usize,
        wall: f64,
    ) -> Table {
        let mut by_key: BTreeMap<String, (Vec<f64>, Option<f64>)> = BTreeMap::new();
        let (mut outside, mut outside_floor) = (Vec::new(), Vec::new());
        let mut case_floors = Vec::new();
        for (shape, report) in reports {
            let mut case_floor = shape.floor(&floors);
            let mut in_steps = 0.0;
            for step in &report.steps {
                let key = step_key(&step.kind, step.at, step.error.is_some());
                let floor = step_floor(&step.kind, step.at, &floors);
                case_floor += floor.unwrap_or(step.seconds);
                in_steps += step.seconds;
                let entry = by_key.entry(key).or_default();
                entry.0.push(step.seconds);
                entry.1 = floor;
            }
            outside.push((report.seconds - in_steps).max(0.0));
            outside_floor.push(shape.floor(&floors));
            case_floors.push(case_floor);
        }
        let rows = by_key
            .into_iter()
            .map(|(key, (times, floor))| Row {
                key,
                count: times.len(),
                median: median(&times),
                floor,
            })
            .collect();
        let jobs = jobs.max(1);
        let spread = case_floors.iter().sum::<f64>() / jobs as f64;
        let longest = case_floors.iter().copied().fold(0.0, f64::max);
        Table {
            rows,
            outside: Row {
                key: "outside steps (start, diagnosis, teardown)".into(),
                count: outside.len(),
                median: median(&outside),
                floor: Some(median(&outside_floor)),
            },
            wall,
            floor: spread.max(longest),
            jobs,
            cases: reports.len(),
            floors,
        }
    }

    /// `wall / floor`.
    pub fn ratio(&self) -> f64 {
        if self.floor > 0.0 {
            self.wall / self.floor
        } else {
            f64::INFINITY
        }
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<44} {:>5} {:>8} {:>8} {:>6}",
            "STEP", "N", "MEDIAN", "FLOOR", "RATIO"
        )?;
        for row in self.rows.iter().chain(std::iter::once(&self.outside)) {
            let (floor, ratio) = match row.floor {
                Some(fl) if fl > 0.0 => (format!("{fl:.2}s"), format!("{:.2}", row.median / fl)),
                Some(fl) => (format!("{fl:.2}s"), "-".into()),
                None => ("(own)".into(), "-".into()),
            };
            writeln!(
                f,
                "{:<44} {:>5} {:>7.2}s {:>8} {:>6}",
                row.key, row.count, row.median, floor, ratio
            )?;
        }
        let p = &self.floors;
        writeln!(
            f,
            "probes: session {:.2}s, page {:.2}s, form sign-in {:.2}s, dex {:.2}s, \
             etcd+apiserver {:.2}s, oauth2-proxy {:.2}s, realm import {:.2}s, own keycloak {:.1}s",
            p.session,
            p.page,
            p.form_sign_in,
            p.dex_start,
            p.apiserver_start,
            p.oauth2_proxy_start,
            p.realm_import,
            p.keycloak_start
        )?;
        writeln!(
            f,
            "suite: {} cases, {} at a time: wall {:.1}s, floor {:.1}s",
            self.cases, self.jobs, self.wall, self.floor
        )?;
        writeln!(f, "suite-ratio: {:.2}", self.ratio())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::report::StepReport;

    fn step(kind: &str, at: Option<At>, seconds: f64, refused: bool) -> StepReport {
        StepReport {
            kind: kind.into(),
            at,
            seconds,
            error: refused.then(|| "refused".into()),
            ..Default::default()
        }
    }

    fn floors() -> Floors {
        Floors {
            session: 0.5,
            page: 0.1,
            form_sign_in: 0.5,
            dex_start: 0.2,
            apiserver_start: 4.0,
            oauth2_proxy_start: 0.3,
            realm_import: 0.6,
            keycloak_start: 30.0,
        }
    }

    #[test]
    fn steps_are_grouped_by_kind_issuer_and_refusal_and_the_floor_is_spread_over_jobs() {
        let case = |seconds: f64, steps: Vec<StepReport>| {
            let shape = CaseShape {
                realm: true,
                dex: true,
                ..Default::default()
            };
            let report = CaseReport {
                seconds,
                steps,
                ..Default::default()
            };
            (shape, report)
        };
        let reports = vec![
            case(
                4.0,
                vec![
                    step("browser_login", Some(At::Dex), 2.0, false),
                    step("kubectl", None, 0.5, false),
                ],
            ),
            case(3.0, vec![step("browser_login", Some(At::Dex), 2.4, true)]),
        ];
        let table = Table::new(&reports, floors(), 2, 5.0);
        let keys: Vec<&str> = table.rows.iter().map(|r| r.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "browser_login at dex",
                "browser_login at dex (refused)",
                "kubectl"
            ]
        );
        // session + form + two pages.
        assert_eq!(table.rows[0].floor, Some(1.2));
        assert_eq!(table.rows[2].floor, None);
        // Case floors: start 0.8 + 1.2 + 0.5 (kubectl at its own time) = 2.5;
        // 0.8 + 1.2 = 2.0; spread over 2 jobs 2.25, below the longest case.
        assert!((table.floor - 2.5).abs() < 1e-9, "{}", table.floor);
        assert!((table.ratio() - 2.0).abs() < 1e-9);
        let shown = table.to_string();
        assert!(shown.ends_with("suite-ratio: 2.00\n"), "{shown}");
        // Outside steps: 4.0 - 2.5 and 3.0 - 2.4.
        assert!((table.outside.median - (1.5 + 0.6) / 2.0).abs() < 1e-9);
    }

    #[test]
    fn the_start_counts_the_parts_the_document_has() {
        let doc = serde_json::json!({
            "keycloak": {}, "dex": {}, "apiserver": {},
            "steps": [{"dex_start": {}}],
        });
        let shape = CaseShape::of(&doc);
        assert!(shape.realm && shape.apiserver && shape.dex && !shape.oauth2_proxy);
    }
}

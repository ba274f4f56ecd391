//! What the commands print: one block per case for `run`, the per-hop
//! report and the diagnoses for `diagnose`.

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::diagnose::hops::{Hop, HopReport, Verdict};
use crate::model::report::CaseReport;

/// A file of a `diagnose DIR` folder: its name, what it was taken as, and
/// why the replay does not use it, if it does not.
pub struct TakenAs {
    pub file: String,
    pub kind: &'static str,
    pub unused: Option<&'static str>,
}

/// `PASS <case> (<s>)` and one line per step, prediction, diagnosis and finding.
pub fn case_passed(report: &CaseReport) -> String {
    let mut out = format!("PASS {} ({:.1}s)\n", report.name, report.seconds);
    for step in &report.steps {
        let what = match (&step.error, &step.dex_login, &step.claims) {
            (Some(err), _, _) => format!("refused as expected: {err}"),
            (None, Some(line), _) => format!("dex groups={:?}", line.groups),
            (None, None, Some(c)) => format!("claims: {c}"),
            _ => "ok".into(),
        };
        let _ = writeln!(out, "     {} ({:.1}s) {}", step.step, step.seconds, what);
    }
    for p in &report.predictions {
        let _ = writeln!(out, "     predicted: {p}");
    }
    for d in &report.diagnoses {
        let _ = writeln!(out, "     diagnosis: [{}] {}", d.id, d.title);
    }
    for finding in &report.findings {
        let _ = writeln!(out, "     finding: {finding}");
    }
    out
}

/// What each file of a `diagnose DIR` folder was taken as.
pub fn taken_as(taken: &[TakenAs]) -> String {
    let mut out = String::new();
    if taken.is_empty() {
        return out;
    }
    out.push_str("taken as:\n");
    for t in taken {
        let _ = writeln!(
            out,
            "  {:<28} {}{}",
            t.file,
            t.kind,
            t.unused
                .map(|why| format!(" (not used: {why})"))
                .unwrap_or_default()
        );
    }
    out
}

/// The `--format json` answer of `diagnose`.
pub fn diagnosed_json(
    report: &CaseReport,
    hops: &HopReport,
    verdict: &Verdict,
    taken: &[TakenAs],
) -> Value {
    json!({
        "verdict": verdict,
        "taken_as": taken.iter().map(|t| json!({
            "file": t.file,
            "kind": t.kind,
            "unused": t.unused,
        })).collect::<Vec<_>>(),
        "replayed_as": report.replayed_as,
        "static_check": report.predictions,
        "notes": report.findings,
        "hops": hops,
        "identities": report.identities,
        "diagnoses": report.diagnoses,
        "evidence": report.dir,
    })
}

/// The per-hop report of a `diagnose` run, then its diagnoses (or why
/// there is none).
pub fn diagnosed(report: &CaseReport, hops: &HopReport, verdict: &Verdict) -> String {
    let mut out = String::new();
    if !report.replayed_as.is_empty() {
        out.push_str("replayed as (only these were changed):\n");
        for s in &report.replayed_as {
            let _ = writeln!(
                out,
                "  {}\n      yours: {}\n      run:   {}",
                s.what, s.given, s.replayed
            );
        }
    }
    for p in &report.predictions {
        let _ = writeln!(out, "static check: {p}");
    }
    for note in &report.findings {
        let _ = writeln!(out, "note: {note}");
    }
    match &hops.dex {
        Some(d) if !d.serving => {
            let _ = writeln!(
                out,
                "\nDex did not start; the sign-in was not tried. It printed:\n{}",
                indent(&d.output)
            );
        }
        Some(d) if !d.output.is_empty() => {
            let _ = writeln!(out, "\nDex started, with errors:\n{}", indent(&d.output));
        }
        Some(_) => {
            let _ = writeln!(out, "\nDex started");
        }
        None => {}
    }
    for u in &hops.users {
        let _ = writeln!(out, "\n{}", u.user);
        if let Some(k) = &u.keycloak {
            let _ = writeln!(out, "  hop 1  Keycloak: {}", keycloak_line(k));
        }
        if let Some(d) = &u.dex {
            let _ = writeln!(out, "  hop 2  Dex:      {}", dex_line(d));
        }
        if let Some(a) = &u.app {
            let _ = match (&a.refused, &a.output) {
                (Some(e), _) => writeln!(
                    out,
                    "  app (behind oauth2-proxy): the sign-in ended on: {e}"
                ),
                (None, Some(received)) => writeln!(
                    out,
                    "  app (behind oauth2-proxy) received:\n{}",
                    indent(&identity_headers(received))
                ),
                (None, None) => writeln!(out, "  app (behind oauth2-proxy): reached"),
            };
        }
        let identity = report.identities.iter().find(|i| i.user == u.user);
        match u.kubernetes.as_ref().and_then(|k| k.output.as_deref()) {
            Some(_) if identity.is_some() => {
                let i = identity.expect("matched");
                let _ = writeln!(
                    out,
                    "  hop 3  Kubernetes (kubectl auth whoami with the user's token): username `{}`, groups {:?}",
                    i.username, i.groups
                );
                let _ = writeln!(out, "         the apiserver's settings: {}", i.rule);
                if let Some((name, groups)) = &i.predicted {
                    let agrees = i.differs().is_none();
                    let _ = writeln!(
                        out,
                        "         predicted from the token's claims: username `{name}`, groups {groups:?}{}",
                        if agrees {
                            " (as the apiserver said)"
                        } else {
                            "  ← NOT what the apiserver said"
                        }
                    );
                }
                for b in &i.bindings {
                    let _ = writeln!(out, "         {b}");
                }
            }
            Some(text) => {
                let _ = writeln!(
                    out,
                    "  hop 3  Kubernetes (kubectl auth whoami with Dex's token):\n{}",
                    indent(text)
                );
            }
            None if u.app.is_some() => {}
            None => {
                let _ = writeln!(
                    out,
                    "  hop 3  Kubernetes: not checked (no apiserver in this replay; see above)"
                );
            }
        }
        let _ = match u.lost {
            Some(where_) => writeln!(out, "  first hop where something was lost: {where_}"),
            None if u.dex.is_some() && u.keycloak.is_some() => {
                writeln!(out, "  groups arrived at Dex")
            }
            None => Ok(()),
        };
    }
    match verdict {
        Verdict::Healthy => {
            out.push_str("\nhealthy: every hop answered and no known misconfiguration matched\n")
        }
        Verdict::Unexplained { step, error } => {
            let _ = writeln!(
                out,
                "\nunexplained: no known cause matches, and a hop refused.\n  first refusal: step {step}\n  it said: {error}"
            );
        }
        Verdict::Diagnosed { ids } if ids.is_empty() => {
            out.push_str("\ndiagnosis: the static check above (the files alone show the fault)\n");
        }
        Verdict::Diagnosed { .. } => {
            out.push_str("\ndiagnosis:\n");
            for d in &report.diagnoses {
                let _ = writeln!(out, "{d}");
            }
        }
    }
    let _ = writeln!(out, "\nevidence and logs: {}", report.dir.display());
    out
}

/// The headers that say who the user is (the rest is the browser's).
fn identity_headers(shown: &str) -> String {
    shown
        .lines()
        .filter(|l| {
            let name = l.trim().split(':').next().unwrap_or_default();
            name != "user-agent"
                && !name.starts_with("sec-fetch")
                && ["user", "email", "group", "auth", "kubeflow", "osmo"]
                    .iter()
                    .any(|w| name.contains(w))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn keycloak_line(k: &Hop) -> String {
    match (&k.refused, &k.groups) {
        (Some(e), _) => format!("sign-in ended on: {e}"),
        (None, Some((claim, g))) => format!("{claim}={g:?} (userinfo/ID token)"),
        (None, None) => "signed in; no group claim in userinfo or ID token".into(),
    }
}

fn dex_line(d: &Hop) -> String {
    match (&d.refused, &d.logged_groups) {
        (Some(e), _) => format!("sign-in ended on: {e}"),
        (None, Some(g)) => format!(
            "login successful, groups={g:?}{}",
            d.token_groups
                .as_ref()
                .map(|g| format!("; ID token groups={g}"))
                .unwrap_or_else(|| "; the ID token was not seen".into())
        ),
        (None, None) => "no `login successful` line".into(),
    }
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("         {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

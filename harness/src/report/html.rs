//! Self-contained HTML reports: one per case (`<case dir>/report.html`) and,
//! for `oidc-harness run`, an index of the run (`target/harness/report.html`).
//! Screenshots are embedded, so a report can be attached to a ticket as is.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use base64::Engine;

use crate::error::{IoContext, Result};
use crate::model::report::CaseReport;

const STYLE: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:2em;max-width:72em}\
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}table{border-collapse:collapse}\
td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}\
pre{background:#f6f6f6;padding:.6em;overflow-x:auto;font-size:12px}.pass{color:#070}.fail{color:#b00}\
img{max-width:100%;border:1px solid #ccc}details{margin:.4em 0}";

/// Writes `report.html` into the case's folder; returns its path.
pub fn write_case(report: &CaseReport) -> Result<PathBuf> {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!doctype html><meta charset=utf-8><title>{0}</title><style>{STYLE}</style><h1>{0}</h1>",
        esc(&report.name)
    );
    let _ = write!(
        h,
        "<p>{:.1}s · folder <code>{}</code></p>",
        report.seconds,
        esc(&report.dir.display().to_string())
    );
    if !report.findings.is_empty() {
        h.push_str("<h2>Findings</h2><ul>");
        for f in &report.findings {
            let _ = write!(h, "<li>{}</li>", esc(f));
        }
        h.push_str("</ul>");
    }
    if !report.predictions.is_empty() {
        h.push_str("<h2>Static check</h2><ul>");
        for p in &report.predictions {
            let _ = write!(h, "<li>{}</li>", esc(p));
        }
        h.push_str("</ul>");
    }
    h.push_str("<h2>Diagnosis</h2>");
    if report.diagnoses.is_empty() {
        h.push_str("<p>no known misconfiguration matched</p>");
    }
    for d in &report.diagnoses {
        let _ = write!(h, "<pre>{}</pre>", esc(&d.to_string()));
    }
    h.push_str("<h2>Timeline</h2><table><tr><th>step</th><th>time</th><th>outcome</th></tr>");
    for s in &report.steps {
        let outcome = match (&s.error, &s.dex_login) {
            (Some(e), _) => format!("refused: {e}"),
            (None, Some(l)) => format!("Dex: login successful, groups={:?}", l.groups),
            _ => "ok".into(),
        };
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{:.1}s</td><td>{}</td></tr>",
            esc(&s.step),
            s.seconds,
            esc(&outcome)
        );
    }
    h.push_str("</table>");
    for s in &report.steps {
        let _ = write!(h, "<h2>{}</h2>", esc(&s.step));
        for (what, v) in [
            ("ID token claims (redacted)", &s.claims),
            ("access token claims (redacted)", &s.access_claims),
            ("userinfo", &s.userinfo),
        ] {
            if let Some(v) = v {
                let _ = write!(
                    h,
                    "<details open><summary>{what}</summary><pre>{}</pre></details>",
                    esc(&pretty(v))
                );
            }
        }
        if let Some(l) = &s.dex_login {
            let _ = write!(
                h,
                "<details open><summary>Dex log line</summary><pre>{}</pre></details>",
                esc(&l.raw)
            );
        }
        if let Some(out) = &s.output {
            let _ = write!(
                h,
                "<details open><summary>output</summary><pre>{}</pre></details>",
                esc(out)
            );
        }
        if let Some(p) = &s.page {
            let _ = write!(
                h,
                "<details><summary>page: {}</summary><pre>{}</pre>",
                esc(&p.url),
                esc(&p.text)
            );
            if let Some(img) = p.screenshot.as_deref().and_then(embed_png) {
                let _ = write!(h, "<img alt=screenshot src=\"{img}\">");
            }
            h.push_str("</details>");
        }
    }
    h.push_str("<h2>Logs</h2>");
    for log in ["dex.log", "chromedriver.log"] {
        let path = report.dir.join(log);
        if path.exists() {
            let _ = write!(
                h,
                "<details><summary>{log} (last 80 lines)</summary><pre>{}</pre></details>",
                esc(&crate::infra::process::log_tail(&path, 80))
            );
        }
    }
    let path = report.dir.join("report.html");
    std::fs::write(&path, h).context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

/// One row per case of a run, linking each case's report; failures inline.
pub fn write_index(
    dir: &Path,
    rows: &[(String, f64, std::result::Result<PathBuf, String>)],
) -> Result<PathBuf> {
    let mut h = format!(
        "<!doctype html><meta charset=utf-8><title>oidc-harness run</title><style>{STYLE}</style><h1>oidc-harness run</h1><table><tr><th>case</th><th>time</th><th>result</th></tr>"
    );
    for (name, secs, outcome) in rows {
        match outcome {
            Ok(report) => {
                let _ = write!(
                    h,
                    "<tr><td><a href=\"{}\">{}</a></td><td>{secs:.1}s</td><td class=pass>pass</td></tr>",
                    esc(&report.display().to_string()),
                    esc(name)
                );
            }
            Err(e) => {
                let _ = write!(
                    h,
                    "<tr><td>{}</td><td>{secs:.1}s</td><td class=fail>fail<pre>{}</pre></td></tr>",
                    esc(name),
                    esc(e)
                );
            }
        }
    }
    h.push_str("</table>");
    let path = dir.join("report.html");
    std::fs::write(&path, h).context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

fn embed_png(path: &Path) -> Option<String> {
    let bytes = std::fs::read(path).ok()?;
    Some(format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    ))
}

fn pretty(v: &serde_json::Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

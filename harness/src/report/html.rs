//! Self-contained HTML reports: one per case (`<case dir>/report.html`) and,
//! for `oidc-harness run`, an index of the run (`target/harness/report.html`).
//! Screenshots are embedded, so a report can be attached to a ticket as is.
//! A case report opens on a picture of the chain (`chain`): one row of hops
//! per user, the hop where it stopped in red, where the identity changed in
//! amber.
//!
//! The pages are minijinja templates (`templates/`, compiled into the binary)
//! rendered with HTML auto-escaping: every value a program or a user wrote
//! (page text, error messages, log lines) is escaped on output.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use base64::Engine;
use minijinja::{Environment, UndefinedBehavior, Value, context};
use serde::Serialize;

use crate::error::{IoContext, Result};
use crate::model::report::CaseReport;

/// The templates, by name; the `.html` names are auto-escaped as HTML.
const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("templates/base.html")),
    ("style.css", include_str!("templates/style.css")),
    ("case.html", include_str!("templates/case.html")),
    ("index.html", include_str!("templates/index.html")),
];

/// How many lines of each log of the case folder a case report shows.
const LOG_LINES: usize = 80;

/// The logs of a case folder a case report shows the end of.
const LOGS: &[&str] = &["dex.log", "chromedriver.log"];

fn env() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        env.add_filter("pretty", pretty);
        for (name, source) in TEMPLATES {
            env.add_template(name, source)
                .unwrap_or_else(|e| panic!("built-in template {name}: {e:#}"));
        }
        env
    })
}

fn render(name: &str, ctx: Value) -> Result<String> {
    env()
        .get_template(name)
        .and_then(|t| t.render(ctx))
        .map_err(std::io::Error::other)
        .context(|| format!("rendering {name}"))
}

/// Writes `report.html` into the case's folder; returns its path.
pub fn write_case(report: &CaseReport) -> Result<PathBuf> {
    let screenshots: Vec<Value> = report
        .steps
        .iter()
        .map(|s| {
            s.page
                .as_ref()
                .and_then(|p| p.screenshot.as_deref())
                .and_then(embed_png)
                .map_or(Value::from(()), Value::from_safe_string)
        })
        .collect();
    let logs: Vec<(&str, String)> = LOGS
        .iter()
        .map(|log| (*log, report.dir.join(log)))
        .filter(|(_, path)| path.exists())
        .map(|(log, path)| (log, crate::infra::process::log_tail(&path, LOG_LINES)))
        .collect();
    let chain = super::chain::chain(report);
    let html = render(
        "case.html",
        context! { report, chain, screenshots, logs, log_lines => LOG_LINES },
    )?;
    let path = report.dir.join("report.html");
    std::fs::write(&path, html).context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

/// One row of the index: a passed case links its report, a failed one shows
/// its error.
#[derive(Serialize)]
struct IndexRow<'a> {
    name: &'a str,
    seconds: f64,
    report: Option<String>,
    error: Option<&'a str>,
}

/// One row per case of a run, linking each case's report; failures inline.
pub fn write_index(
    dir: &Path,
    rows: &[(String, f64, std::result::Result<PathBuf, String>)],
) -> Result<PathBuf> {
    let rows: Vec<IndexRow> = rows
        .iter()
        .map(|(name, seconds, outcome)| IndexRow {
            name,
            seconds: *seconds,
            // Relative to the index where it can be, so the link holds
            // wherever the run's folder is opened from.
            report: outcome.as_ref().ok().map(|report| {
                report
                    .strip_prefix(dir)
                    .unwrap_or(report)
                    .display()
                    .to_string()
            }),
            error: outcome.as_ref().err().map(String::as_str),
        })
        .collect();
    let html = render("index.html", context! { rows })?;
    let path = dir.join("report.html");
    std::fs::write(&path, html).context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

fn embed_png(path: &Path) -> Option<String> {
    let bytes = std::fs::read(path).ok()?;
    Some(format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    ))
}

/// `{{ v|pretty }}`: a JSON value (claims, userinfo) indented for reading.
fn pretty(v: Value) -> String {
    serde_json::to_string_pretty(&v).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::evidence::LoginLine;
    use crate::model::report::{Diagnosis, PageEvidence, StepReport};
    use crate::report::chain::tests as chain_fixtures;

    const XSS: &str = "<script>alert(1)</script>";

    fn case(dir: &Path) -> CaseReport {
        CaseReport {
            name: "groups-claim".into(),
            dir: dir.to_path_buf(),
            findings: vec![format!("finding {XSS}")],
            steps: vec![],
            diagnoses: vec![Diagnosis {
                id: "groups-scope",
                title: "groups scope not requested",
                cause: "the client did not ask for it",
                fix: "add `groups` to the scopes",
                reference: "https://dexidp.io/docs/",
                evidence: format!("evidence {XSS}"),
            }],
            predictions: vec![],
            replayed_as: Vec::new(),
            identities: Vec::new(),
            seconds: 12.345,
        }
    }

    #[test]
    fn case_escapes_what_programs_wrote() {
        let dir = tempfile::tempdir().unwrap();
        let mut report = case(dir.path());
        report.steps.push(StepReport {
            step: "1: login".into(),
            seconds: 1.25,
            error: Some(format!("access_denied {XSS}")),
            ..Default::default()
        });
        let html = std::fs::read_to_string(write_case(&report).unwrap()).unwrap();
        assert!(!html.contains("<script>"), "raw markup in:\n{html}");
        assert!(html.contains("finding &lt;script&gt;alert(1)&lt;&#x2f;script&gt;"));
        assert!(html.contains("evidence: evidence &lt;script&gt;"));
        assert!(html.contains("refused: access_denied &lt;script&gt;"));
        assert!(html.contains("<p>12.3s · folder <code>"));
        assert!(html.contains("<td>1: login</td><td>1.2s</td>"));
    }

    #[test]
    fn case_embeds_screenshots_claims_and_logs() {
        let dir = tempfile::tempdir().unwrap();
        let png = dir.path().join("1-login.png");
        // A PNG signature and a few bytes; only the base64 of them matters here.
        let bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        std::fs::write(&png, bytes).unwrap();
        std::fs::write(dir.path().join("dex.log"), "first\nlogin successful\n").unwrap();
        let mut report = case(dir.path());
        report.steps.push(StepReport {
            step: "1: login".into(),
            claims: Some(serde_json::json!({"email": "jane@example.com", "groups": ["admins"]})),
            dex_login: Some(LoginLine {
                connector_id: "keycloak".into(),
                username: "jane".into(),
                preferred_username: "jane".into(),
                email: "jane@example.com".into(),
                groups: vec!["admins".into(), "devs".into()],
                raw: "level=INFO msg=\"login successful\"".into(),
            }),
            page: Some(PageEvidence {
                url: "http://127.0.0.1:5556/callback".into(),
                text: "Signed in".into(),
                screenshot: Some(png),
                ..Default::default()
            }),
            ..Default::default()
        });
        let html = std::fs::read_to_string(write_case(&report).unwrap()).unwrap();
        let data = format!(
            "<img alt=\"screenshot\" src=\"data:image/png;base64,{}\">",
            base64::engine::general_purpose::STANDARD.encode(bytes)
        );
        assert!(html.contains(&data), "no embedded screenshot in:\n{html}");
        assert!(html.contains(r#"groups=[&quot;admins&quot;, &quot;devs&quot;]"#));
        assert!(html.contains("&quot;email&quot;: &quot;jane@example.com&quot;"));
        assert!(html.contains("<summary>dex.log (last 80 lines)</summary><pre>first\nlogin"));
    }

    /// The boxes of the picture of the chain: (class, slot, inner HTML).
    fn hops(html: &str) -> Vec<(String, String, String)> {
        html.split("<div class=\"hop ")
            .skip(1)
            .map(|part| {
                let (class, rest) = part.split_once('"').unwrap();
                let slot = rest
                    .split_once("data-slot=\"")
                    .and_then(|(_, r)| r.split_once('"'))
                    .unwrap()
                    .0;
                (class.to_string(), slot.to_string(), rest.to_string())
            })
            .collect()
    }

    fn hop<'a>(hops: &'a [(String, String, String)], slot: &str) -> &'a (String, String, String) {
        hops.iter()
            .find(|(_, s, _)| s == slot)
            .unwrap_or_else(|| panic!("no {slot} hop in {hops:#?}"))
    }

    fn rendered(mut report: CaseReport) -> String {
        let dir = tempfile::tempdir().unwrap();
        report.dir = dir.path().to_path_buf();
        std::fs::read_to_string(write_case(&report).unwrap()).unwrap()
    }

    #[test]
    fn a_healthy_chain_is_drawn_without_a_stop_or_a_change() {
        let html = rendered(chain_fixtures::healthy());
        let hops = hops(&html);
        let slots: Vec<&str> = hops.iter().map(|(_, s, _)| s.as_str()).collect();
        assert_eq!(
            slots,
            [
                "browser",
                "client",
                "dex_out",
                "keycloak",
                "dex",
                "app",
                "apiserver"
            ]
        );
        for (class, slot, _) in &hops {
            assert!(class == "ok" || class == "ok pass", "{slot}: {class}");
        }
        assert!(!html.contains("arrow cut"));
        assert_eq!(html.matches("<svg class=\"arrow\"").count(), 6);
        let (_, _, apiserver) = hop(&hops, "apiserver");
        assert!(
            apiserver.contains("<dt>Username</dt><dd>admin@example.com</dd>"),
            "{apiserver}"
        );
        assert!(apiserver.contains("<dt>Groups</dt><dd>[admins, system:authenticated]</dd>"));
        let (_, _, keycloak) = hop(&hops, "keycloak");
        assert!(
            keycloak.contains("<dt>member_groups</dt><dd>[admins]</dd>"),
            "{keycloak}"
        );
    }

    #[test]
    fn a_refusal_at_dex_draws_dex_stopped_with_its_text() {
        let html = rendered(chain_fixtures::dex_refused());
        let hops = hops(&html);
        let (class, _, dex) = hop(&hops, "dex");
        assert_eq!(class, "stopped");
        assert!(dex.contains("<span class=\"mark\">✕</span>Dex"), "{dex}");
        assert!(dex.contains("<p class=\"note\">the chain stopped here</p>"));
        assert!(dex.contains("<b>refused:</b> Internal Server Error: failed to authenticate"));
        assert_eq!(hop(&hops, "keycloak").0, "ok");
        assert_eq!(hops.iter().filter(|(c, _, _)| c == "stopped").count(), 1);
    }

    #[test]
    fn groups_lost_at_dex_draw_dex_changed() {
        let html = rendered(chain_fixtures::groups_lost());
        let hops = hops(&html);
        let (class, _, dex) = hop(&hops, "dex");
        assert_eq!(class, "changed");
        assert!(
            dex.contains(
                "<p class=\"note\">member_groups [admins] at Keycloak, groups [] at Dex</p>"
            ),
            "{dex}"
        );
        let received = dex
            .split_once("<dt class=\"section\">received</dt>")
            .and_then(|(_, r)| r.split_once("<dt class=\"section\">issued</dt>"))
            .unwrap_or_else(|| panic!("no received/issued sections in {dex}"))
            .0;
        assert!(received.contains("<dt>groups</dt><dd>[]</dd>"), "{dex}");
        assert_eq!(hop(&hops, "keycloak").0, "ok");
        assert!(!hops.iter().any(|(c, _, _)| c == "stopped"));
    }

    #[test]
    fn the_chain_escapes_what_programs_wrote() {
        let mut report = chain_fixtures::dex_refused();
        report.steps[1].error = Some(format!("access_denied {XSS}"));
        report.steps[0].claims.as_mut().unwrap()["email"] = XSS.into();
        let html = rendered(report);
        assert!(!html.contains("<script>"), "raw markup in:\n{html}");
        let hops = hops(&html);
        assert!(hop(&hops, "dex").2.contains("access_denied &lt;script&gt;"));
        assert!(hop(&hops, "keycloak").2.contains("<dd>&lt;script&gt;"));
    }

    #[test]
    fn index_links_passed_and_marks_failed() {
        let dir = tempfile::tempdir().unwrap();
        let rows = vec![
            (
                "passes".to_string(),
                3.0,
                Ok(dir.path().join("passes").join("report.html")),
            ),
            ("fails".to_string(), 4.56, Err(format!("step `1`: {XSS}"))),
        ];
        let html = std::fs::read_to_string(write_index(dir.path(), &rows).unwrap()).unwrap();
        assert!(html.contains(
            "<tr><td><a href=\"passes&#x2f;report.html\">passes</a></td><td>3.0s</td><td class=\"pass\">pass</td></tr>"
        ), "{html}");
        assert!(html.contains(
            "<tr><td>fails</td><td>4.6s</td><td class=\"fail\">fail<pre>step `1`: &lt;script&gt;"
        ), "{html}");
        assert!(!html.contains("<script>"));
    }
}

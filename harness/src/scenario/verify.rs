//! The checks of what a step saw (`verify_*`: subsets of claims and lines,
//! expected errors and page texts), the waits that gather Dex's log for them,
//! and the redaction of volatile claims.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::Expect;
use crate::components::browser::truncate;
use crate::components::dex::Dex;
use crate::dexlog::{self, LoginLine};
use crate::error::{Error, Result};

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

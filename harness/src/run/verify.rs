//! The checks of what a step saw (`verify_*`: subsets of claims and lines,
//! absences, expected errors and text rules), the waits that gather Dex's log
//! for them, and the redaction of volatile claims. Each check takes the
//! expectation fields it decides, so every step's `expect` stays its own.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::infra::dexlog;
use crate::model::evidence::LoginLine;
use crate::model::expect::{Text, present_of, subset_diffs};
use crate::model::text::truncate;
use crate::programs::Program;
use crate::programs::dex::Dex;

/// Dex's next `login successful` line after the first `before`, waiting up
/// to 10 s for it.
pub(super) async fn wait_login_line(dex: &Dex, before: usize) -> Option<LoginLine> {
    wait_login_line_for(dex, before, Duration::from_secs(10)).await
}

/// [`wait_login_line`] waiting at most `wait` (zero: look once).
pub(super) async fn wait_login_line_for(
    dex: &Dex,
    before: usize,
    wait: Duration,
) -> Option<LoginLine> {
    let deadline = Instant::now() + wait;
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
    page_text: &Option<Text>,
    dex_log_wanted: &Option<Text>,
    url: &str,
    reason: &str,
    page: &str,
    dex_log: Option<&str>,
) -> Result<String> {
    if page_text.is_none() && (dex_log_wanted.is_none() || dex_log.is_none()) {
        return Err(Error::expectation("sign-in", format!("{reason} at {url}")));
    }
    verify_text("the page the browser ended on", page_text, page)?;
    if let Some(log) = dex_log {
        verify_text("Dex's log", dex_log_wanted, log)?;
    }
    Ok(line_with(page, page_text))
}

/// The page line holding the expected text, else the first line that reads
/// like an error, else the first line.
pub(super) fn line_with(text: &str, wanted: &Option<Text>) -> String {
    let lines = || text.lines().map(str::trim).filter(|l| !l.is_empty());
    let wanted = wanted
        .as_ref()
        .filter(|w| w.wants_presence())
        .map(Text::needle)
        .filter(|w| !w.is_empty());
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

/// `text` must satisfy the rule, when there is one.
pub(super) fn verify_text(what: &str, wanted: &Option<Text>, text: &str) -> Result<()> {
    match wanted.as_ref().and_then(|w| w.violation(text)) {
        Some(violation) => Err(Error::expectation(
            "verify",
            format!(
                "expected {what} {violation}; it has:\n{}",
                truncate(text, 2000)
            ),
        )),
        None => Ok(()),
    }
}

/// The step's Dex `login successful` line must exist when one is expected,
/// and hold the expected fields.
pub(super) fn verify_dex_login(wanted: &Option<Value>, line: &Option<LoginLine>) -> Result<()> {
    let Some(wanted) = wanted else {
        return Ok(());
    };
    let line = line.as_ref().ok_or_else(|| {
        Error::expectation("dex log", "no new `login successful` line in Dex's log")
    })?;
    let line = serde_json::to_value(line).expect("serialisable");
    verify_subset(
        "Dex `login successful` line",
        &Some(wanted.clone()),
        &Some(line),
    )
}

/// A refusal the step expects: its code or text must show `wanted`.
pub(super) fn verify_error(wanted: &Option<String>, shown: &str, code: &str) -> Result<()> {
    match wanted {
        Some(wanted) if code == wanted || shown.contains(wanted.as_str()) => Ok(()),
        Some(wanted) => Err(Error::expectation(
            "verify",
            format!("expected the error `{wanted}`, got: {shown}"),
        )),
        None => Err(Error::expectation("verify", format!("refused: {shown}"))),
    }
}

/// No refusal: fine unless the step expected one.
pub(super) fn verify_no_error(wanted: &Option<String>, what: &str) -> Result<()> {
    match wanted {
        Some(wanted) => Err(Error::expectation(
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
    let diffs = subset_diffs(expected, &actual);
    if diffs.is_empty() {
        return Ok(());
    }
    Err(mismatch(what, &diffs, &actual))
}

/// The names in `absent` must be missing (or empty) in `actual`.
pub(super) fn verify_absent(what: &str, absent: &[String], actual: &Option<Value>) -> Result<()> {
    let actual = actual.clone().unwrap_or(Value::Null);
    let present = present_of(absent, &actual);
    if present.is_empty() {
        return Ok(());
    }
    Err(mismatch(what, &present, &actual))
}

fn mismatch(what: &str, diffs: &[String], actual: &Value) -> Error {
    Error::expectation(
        "verify",
        format!(
            "{what} do not match:\n  {}\nactual {what}:\n{}",
            diffs.join("\n  "),
            serde_json::to_string_pretty(actual).unwrap_or_default()
        ),
    )
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

//! Reads Dex's log: the `login successful` lines of the pinned Dex (Go slog,
//! text or JSON format), with their groups parsed.
//!
//! Text format examples (slog's logfmt): `groups=[admins]`, `groups=[]`,
//! `groups="[a b]"` (quoted once there is a space). The JSON format gives
//! `"groups":["a","b"]`. The logfmt reader is hand-written: the one crate for
//! it is unmaintained and this is a screenful of code.

use std::collections::BTreeMap;

pub use crate::model::evidence::LoginLine;

/// Every `login successful` line in `log`, oldest first.
pub fn logins(log: &str) -> Vec<LoginLine> {
    log.lines().filter_map(parse_login).collect()
}

fn parse_login(line: &str) -> Option<LoginLine> {
    let fields = if line.trim_start().starts_with('{') {
        json_fields(line)?
    } else {
        logfmt(line)
    };
    if fields.get("msg").map(String::as_str) != Some("login successful") {
        return None;
    }
    let get = |k: &str| fields.get(k).cloned().unwrap_or_default();
    Some(LoginLine {
        connector_id: get("connector_id"),
        username: get("username"),
        preferred_username: get("preferred_username"),
        email: get("email"),
        groups: parse_groups(&get("groups")),
        raw: line.to_string(),
    })
}

/// `[a b]` (text format) or `["a","b"]` (JSON, re-serialised) into a list.
fn parse_groups(v: &str) -> Vec<String> {
    if let Ok(list) = serde_json::from_str::<Vec<String>>(v) {
        return list;
    }
    v.trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

fn json_fields(line: &str) -> Option<BTreeMap<String, String>> {
    let v: serde_json::Value = serde_json::from_str(line).ok()?;
    Some(
        v.as_object()?
            .iter()
            .map(|(k, v)| {
                let s = match v {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                (k.clone(), s)
            })
            .collect(),
    )
}

/// The log with every logfmt line's values unquoted and unescaped, so a
/// message reads as Dex meant it: `err=missing "email_verified" claim`.
pub fn decoded(log: &str) -> String {
    log.lines()
        .map(|line| {
            // JSON lines, and what Dex prints outside its logger (its exit
            // error), stay as they are.
            if line.trim_start().starts_with('{') || !line.starts_with("time=") {
                return line.to_string();
            }
            logfmt(line)
                .into_iter()
                .filter(|(k, _)| k != "time" && k != "request_id")
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `key=value key="quoted value"` pairs; quotes use Go's escaping.
pub fn logfmt(line: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let key: String =
            std::iter::from_fn(|| chars.next_if(|c| *c != '=' && !c.is_whitespace())).collect();
        if key.is_empty() {
            break;
        }
        if chars.next_if_eq(&'=').is_none() {
            out.insert(key, String::new());
            continue;
        }
        let mut value = String::new();
        if chars.next_if_eq(&'"').is_some() {
            while let Some(c) = chars.next() {
                match c {
                    '\\' => match chars.next() {
                        Some('n') => value.push('\n'),
                        Some('t') => value.push('\t'),
                        Some(other) => value.push(other),
                        None => break,
                    },
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            value = std::iter::from_fn(|| chars.next_if(|c| !c.is_whitespace())).collect();
        }
        out.insert(key, value);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(line: &str, groups: &[&str]) {
        let got = logins(line);
        assert_eq!(got.len(), 1, "one login in {line}");
        assert_eq!(got[0].groups, groups);
    }

    #[test]
    fn text_format_groups() {
        check(
            r#"time=2026-11-22T10:00:00Z level=INFO msg="login successful" connector_id=keycloak username="Ada Admin" preferred_username=admin@example.com email=admin@example.com groups=[admins]"#,
            &["admins"],
        );
        check(
            r#"level=INFO msg="login successful" connector_id=keycloak username=x groups=[]"#,
            &[],
        );
        check(
            r#"level=INFO msg="login successful" connector_id=k username=x groups="[a b]""#,
            &["a", "b"],
        );
    }

    #[test]
    fn json_format_groups() {
        check(
            r#"{"time":"t","level":"INFO","msg":"login successful","connector_id":"keycloak","groups":["a","b"]}"#,
            &["a", "b"],
        );
    }

    #[test]
    fn decoded_lines_read_as_dex_meant_them() {
        let line = r#"time=t level=ERROR msg="failed to authenticate" err="missing \"email_verified\" claim" request_id=x"#;
        assert_eq!(
            decoded(line),
            r#"err=missing "email_verified" claim level=ERROR msg=failed to authenticate"#
        );
    }

    #[test]
    fn other_lines_are_not_logins() {
        assert!(
            logins(r#"level=INFO msg="listening on" server=https address=127.0.0.1:5554"#)
                .is_empty()
        );
    }
}

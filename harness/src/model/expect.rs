//! The building blocks of a step's `expect`: text rules, subsets of JSON
//! (claims, userinfo, headers) and absences, with the pure comparisons that
//! decide them. What a step does with them is in `run/verify.rs`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Text a step's output (a page, a log, kubectl's output) must show. A plain
/// string must be contained; the map forms say more:
/// `{line: "Username oidc-demo-user@example.com"}` (one whole line, with runs
/// of white space read as one space), `{exact: "..."}` (the whole text,
/// trimmed), `{absent: "..."}` (nowhere in the text).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(
    untagged,
    expecting = "a text to contain, or one of `{line: ...}`, `{exact: ...}`, `{absent: ...}`"
)]
pub enum Text {
    Contains(String),
    Rule(TextRule),
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub enum TextRule {
    Line(String),
    Exact(String),
    Absent(String),
}

impl Text {
    /// The text this rule names (for finding the line that shows it).
    pub fn needle(&self) -> &str {
        match self {
            Text::Contains(s)
            | Text::Rule(TextRule::Line(s) | TextRule::Exact(s) | TextRule::Absent(s)) => s,
        }
    }

    /// Whether the rule expects the text to be there (all but `absent`).
    pub fn wants_presence(&self) -> bool {
        !matches!(self, Text::Rule(TextRule::Absent(_)))
    }

    /// `None` when `text` satisfies the rule, else what it wanted.
    pub fn violation(&self, text: &str) -> Option<String> {
        let ok = match self {
            Text::Contains(s) => text.contains(s.as_str()),
            Text::Rule(TextRule::Line(s)) => {
                let wanted = squeeze(s);
                text.lines().any(|l| squeeze(l) == wanted)
            }
            Text::Rule(TextRule::Exact(s)) => text.trim() == s.trim(),
            Text::Rule(TextRule::Absent(s)) => !text.contains(s.as_str()),
        };
        (!ok).then(|| match self {
            Text::Contains(s) => format!("to contain `{s}`"),
            Text::Rule(TextRule::Line(s)) => format!("to have the line `{}`", squeeze(s)),
            Text::Rule(TextRule::Exact(s)) => format!("to be exactly `{}`", s.trim()),
            Text::Rule(TextRule::Absent(s)) => format!("not to contain `{s}`"),
        })
    }
}

fn squeeze(line: &str) -> String {
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Where `actual` differs from `expected` read as a subset: objects match
/// key by key (recursively), everything else must be equal (lists too).
pub fn subset_diffs(expected: &Value, actual: &Value) -> Vec<String> {
    let mut out = Vec::new();
    diff(expected, actual, "", &mut out);
    out
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

/// Names of `absent` that `actual` has with a value: a key counts as absent
/// when it is missing, null, `""` or `[]`.
pub fn present_of(absent: &[String], actual: &Value) -> Vec<String> {
    absent
        .iter()
        .filter(|k| {
            actual.get(k.as_str()).is_some_and(|v| {
                !(v.is_null() || v.as_str() == Some("") || v.as_array().is_some_and(Vec::is_empty))
            })
        })
        .map(|k| format!("{k}: expected absent, got {}", actual[k.as_str()]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[track_caller]
    fn check(rule: &str, text: &str, holds: bool) {
        let rule: Text = serde_json::from_str(rule).unwrap();
        assert_eq!(
            rule.violation(text).is_none(),
            holds,
            "{rule:?} on {text:?}"
        );
    }

    #[test]
    fn text_rules() {
        let whoami =
            "ATTRIBUTE   VALUE\nUsername    u@example.com\nGroups      [system:authenticated]";
        check(r#""u@example.com""#, whoami, true);
        check(r#"{"line": "Username u@example.com"}"#, whoami, true);
        // A prefixed username contains the name but is not the line.
        let prefixed = whoami.replace("u@example.com", "https://dex#u@example.com");
        check(r#""u@example.com""#, &prefixed, true);
        check(r#"{"line": "Username u@example.com"}"#, &prefixed, false);
        check(r#"{"exact": "yes"}"#, "yes\n", true);
        check(r#"{"exact": "yes"}"#, "yes, but", false);
        check(r#"{"absent": "groups"}"#, "no such word", true);
        check(r#"{"absent": "no"}"#, "no such word", false);
        assert!(serde_json::from_str::<Text>(r#"{"lines": "x"}"#).is_err());
    }

    #[test]
    fn subsets_and_absence() {
        let actual = json!({"a": 1, "b": {"c": [1, 2]}, "e": [], "f": "x"});
        assert!(subset_diffs(&json!({"b": {"c": [1, 2]}}), &actual).is_empty());
        assert_eq!(
            subset_diffs(&json!({"b": {"c": [1]}, "d": 0}), &actual),
            ["b.c: expected [1], got [1,2]", "d: expected 0, missing"]
        );
        let absent = ["d".to_string(), "e".to_string(), "f".to_string()];
        assert_eq!(
            present_of(&absent, &actual),
            ["f: expected absent, got \"x\""]
        );
    }
}

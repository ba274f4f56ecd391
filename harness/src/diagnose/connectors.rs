//! Matchers for Dex connectors that never open: a connectors value the
//! dex-auth charm cannot parse, a config Dex cannot unmarshal, and a TLS
//! failure when Dex fetches the issuer's discovery document. Each names what
//! Dex (or the [emulated] charm) printed AND what in the configuration
//! explains it.

use serde_json::Value;

use super::{ConfigView, Evidence, oidc_connectors_by_id as connectors};

/// The first line of Dex's log holding `needle`, trimmed and bounded.
fn dex_line(seen: &Evidence, needle: &str) -> Option<String> {
    seen.dex_log
        .lines()
        .find(|l| l.contains(needle))
        .map(|l| crate::model::text::truncate(l.trim(), 600))
}

/// `id=<connector>` of a Dex log line.
fn connector_id(line: &str) -> Option<&str> {
    line.split_whitespace()
        .find_map(|w| w.strip_prefix("id="))
        .map(|id| id.trim_matches('"'))
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Go's `x509: ...` text in a decoded Dex log line (up to the next field).
fn x509_text(line: &str) -> &str {
    let from = line.find("x509:").map(|i| &line[i..]).unwrap_or(line);
    let end = [" id=", " level=", " msg=", " connector_id="]
        .iter()
        .filter_map(|k| from.find(k))
        .min()
        .unwrap_or(from.len());
    from[..end].trim_end_matches('"')
}

pub(super) fn json_invalid(c: &ConfigView, seen: &Evidence) -> Option<String> {
    let refusal = seen.charm.iter().find(|r| r.contains("hook failed"))?;
    let value = c.connectors_json.as_deref()?;
    let mut evidence = refusal
        .lines()
        .map(str::trim)
        .collect::<Vec<_>>()
        .join("; ");
    let lines: Vec<&str> = value.lines().filter(|l| !l.trim().is_empty()).collect();
    let first = lines.first().map(|l| l.trim()).unwrap_or_default();
    let last = lines.last().map(|l| l.trim()).unwrap_or_default();
    if !first.starts_with(['[', '{', '-']) {
        evidence.push_str(&format!(
            "; the connectors value opens with `{first}`, not with `[` (a list of connectors) or `{{`"
        ));
    }
    let count = |ch: char| value.chars().filter(|c| *c == ch).count();
    let (open_b, close_b, open_s, close_s) = (count('{'), count('}'), count('['), count(']'));
    if open_b != close_b || open_s != close_s || last.ends_with(['[', '{', ',', ':']) {
        evidence.push_str(&format!(
            "; it is cut off: it ends with `{last}` ({open_b} `{{` against {close_b} `}}`, {open_s} `[` against {close_s} `]`)"
        ));
    }
    Some(evidence)
}

pub(super) fn not_a_list(c: &ConfigView, seen: &Evidence) -> Option<String> {
    let line = dex_line(seen, "into Go struct field Config.connectors of type")?;
    let value = &c.dex.as_ref()?["connectors"];
    if value.is_array() {
        return None;
    }
    let keys = value
        .as_object()
        .map(|m| {
            let keys: Vec<&str> = m.keys().map(String::as_str).collect();
            format!(" with keys {}", keys.join(", "))
        })
        .unwrap_or_default();
    Some(format!(
        "Dex: \"{line}\"; the connectors value is {}{keys}, not a list `[{{...}}]`",
        kind(value)
    ))
}

pub(super) fn field_type(c: &ConfigView, seen: &Evidence) -> Option<String> {
    let line = dex_line(seen, "cannot unmarshal")?;
    let rest = line.split("cannot unmarshal ").nth(1)?;
    let got = rest.split_whitespace().next()?;
    let (path, want) = rest
        .split_once("Go struct field ")?
        .1
        .split_once(" of type ")?;
    let field = path.rsplit('.').next()?;
    if path == "Config.connectors" {
        return None;
    }
    let want = want.split_whitespace().next().unwrap_or(want);
    let mut evidence = format!("Dex: \"{line}\"");
    for (id, conn) in connectors(c) {
        if let Some(v) = find_key(conn, field) {
            evidence.push_str(&format!(
                "; connector `{id}` has {field} = {} ({}), Dex wants {want}",
                crate::model::text::truncate(&v.to_string(), 200),
                kind(v)
            ));
            return Some(evidence);
        }
    }
    Some(format!(
        "{evidence}; a field `{field}` is given as {got}, Dex wants {want}"
    ))
}

/// The value of `key` anywhere in `v` (Go's JSON matches names case-insensitively).
fn find_key<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    match v {
        Value::Object(map) => map
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
            .or_else(|| map.values().find_map(|v| find_key(v, key))),
        Value::Array(items) => items.iter().find_map(|v| find_key(v, key)),
        _ => None,
    }
}

pub(super) fn tls_hostname_mismatch(c: &ConfigView, seen: &Evidence) -> Option<String> {
    let line = [
        "x509: certificate is valid for",
        "doesn't contain any IP SANs",
        "x509: certificate is not valid for any names",
    ]
    .iter()
    .find_map(|n| dex_line(seen, n))?;
    let id = connector_id(&line).unwrap_or("?");
    let mut evidence = format!(
        "Dex could not open connector `{id}`: \"{}\"",
        x509_text(&line)
    );
    if let Some((_, conn)) = connectors(c).into_iter().find(|(cid, _)| *cid == id) {
        let issuer = conn["issuer"].as_str().unwrap_or("?");
        let host = url::Url::parse(issuer)
            .ok()
            .and_then(|u| u.host_str().map(String::from))
            .unwrap_or_default();
        evidence.push_str(&format!(
            "; the connector's issuer {issuer} has host `{host}`, a name the certificate Keycloak's side presents does not hold"
        ));
    }
    Some(evidence)
}

pub(super) fn tls_unknown_authority(c: &ConfigView, seen: &Evidence) -> Option<String> {
    let line = dex_line(seen, "x509: certificate signed by unknown authority")?;
    let id = connector_id(&line).unwrap_or("?");
    let mut evidence = format!(
        "Dex could not open connector `{id}`: \"{}\"",
        x509_text(&line)
    );
    if let Some((_, conn)) = connectors(c).into_iter().find(|(cid, _)| *cid == id) {
        let cas = &conn["rootCAs"];
        if cas.as_array().is_none_or(|a| a.is_empty()) {
            evidence.push_str(&format!(
                "; connector `{id}` has no rootCAs, so Dex trusts only the system's CAs for {}",
                conn["issuer"].as_str().unwrap_or("its issuer")
            ));
        } else {
            evidence.push_str(&format!(
                "; connector `{id}` rootCAs {cas} do not hold the CA that signed Keycloak's certificate"
            ));
        }
    }
    Some(evidence)
}

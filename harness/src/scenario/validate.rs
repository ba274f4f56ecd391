//! Everything about a scenario file that can be checked before a program
//! starts, each error located in the file: diagnosis ids against the
//! catalogue, positional patch paths against their `op: test` guards, and,
//! for every case, the patched document against the model and each step's
//! needs against what the case has.

use serde_json::Value;

use super::{Case, ScenarioFile};
use crate::error::{Error, Result};
use crate::infra::{dexcheck, realmrep};
use crate::model::spec::{DexSpec, Scenario};
use crate::model::steps::Need;

pub(super) fn file(f: &ScenarioFile) -> Result<()> {
    let known = crate::diagnose::known_ids();
    for (i, v) in f.scenario.variants.iter().enumerate() {
        if v.diagnosis != "none" && !known.contains(&v.diagnosis.as_str()) {
            return Err(f.error_at(
                &format!("variants[{i}].diagnosis"),
                format!(
                    "variant `{}`: `{}` is not a diagnosis of the catalogue (`none`, or one of: {})",
                    v.name,
                    v.diagnosis,
                    known.join(", ")
                ),
            ));
        }
        if let Some((j, message)) = unguarded(&v.patch) {
            return Err(f.error_at(
                &format!("variants[{i}].patch[{j}]"),
                format!("variant `{}`: {message}", v.name),
            ));
        }
    }
    for case in f.cases() {
        check_case(f, &case)?;
    }
    Ok(())
}

fn check_case(f: &ScenarioFile, case: &Case) -> Result<()> {
    let doc = case.document()?;
    // Keycloak refuses the whole realm, without saying where, for a key or
    // value its classes do not take (see `infra::realmrep`).
    if doc["keycloak"]["realm"].is_object()
        && let Some(p) = realmrep::problems(&doc["keycloak"]["realm"])
            .into_iter()
            .next()
    {
        return Err(f.error_at(
            &format!("keycloak.realm.{}", p.path),
            format!("case `{}`: {}", case.name, p.message),
        ));
    }
    let scenario: Scenario = serde_json::from_value(doc).map_err(|e| {
        f.error_at(
            &case.steps_path(),
            format!("case `{}` after its patch: {e}", case.name),
        )
    })?;
    if let Some(dex) = &scenario.dex {
        check_dex_keys(f, dex)?;
    }
    let has = provided(&scenario);
    for (k, step) in scenario.steps.iter().enumerate() {
        let data = step.data();
        let at = format!("{}[{k}]", case.steps_path());
        let missing: Vec<&str> = data
            .needs()
            .into_iter()
            .filter(|n| !has.contains(n))
            .map(Need::key)
            .collect();
        if !missing.is_empty() {
            return Err(f.error_at(
                &at,
                format!(
                    "case `{}`: step `{}` needs `{}`, which the case does not have",
                    case.name,
                    data.label(),
                    missing.join("`, `")
                ),
            ));
        }
        let misfits = data.misfits();
        if !misfits.is_empty() {
            return Err(f.error_at(
                &at,
                format!(
                    "case `{}`: step `{}`: {}",
                    case.name,
                    data.label(),
                    misfits.join("; ")
                ),
            ));
        }
    }
    Ok(())
}

/// Keys the pinned Dex does not know (a typo, or a key Dex dropped) stop a
/// scenario unless it acknowledges them in `dex.ignored_keys`; an
/// acknowledged key that is not unknown is stale.
pub(crate) fn check_dex_keys(f: &ScenarioFile, dex: &DexSpec) -> Result<()> {
    // An overridden Dex is checked against its own keys, once installed.
    if let Some(keys) = crate::toolchain::dex_config_keys(&crate::toolchain::versions::DEX) {
        dexcheck::use_keys_of_built_dex(&keys);
    }
    let unknown = dexcheck::unknown_keys(&dex.config, |p| {
        dexcheck::position(&f.keys, "dex.config.", p)
    });
    if let Some(u) = unknown.iter().find(|u| !dex.ignored_keys.contains(&u.path)) {
        return Err(Error::input(&f.path, u.line, u.column, u.message()));
    }
    if let Some(stale) = dex
        .ignored_keys
        .iter()
        .find(|k| !unknown.iter().any(|u| &u.path == *k))
    {
        return Err(f.error_at(
            "dex.ignored_keys",
            format!("dex.ignored_keys names `{stale}`, which is not an unknown key of this config"),
        ));
    }
    Ok(())
}

/// The parts a scenario has, as steps need them.
fn provided(s: &Scenario) -> Vec<Need> {
    let mut has = Vec::new();
    let mut add = |yes: bool, need: Need| {
        if yes {
            has.push(need);
        }
    };
    add(s.keycloak.is_some(), Need::Realm);
    add(s.dex.is_some(), Need::Dex);
    add(s.dex.is_some() && s.app.is_some(), Need::App);
    add(s.apiserver.is_some(), Need::Apiserver);
    add(s.oauth2_proxy.is_some(), Need::Oauth2Proxy);
    add(s.impersonation_proxy.is_some(), Need::ImpersonationProxy);
    add(s.osmo_values.is_some(), Need::OsmoValues);
    has
}

/// The first op whose path goes into a list by position with no earlier
/// `op: test` pinning that element, and why.
fn unguarded(patch: &[Value]) -> Option<(usize, String)> {
    let segments = |p: &str| -> Vec<String> { p.split('/').skip(1).map(String::from).collect() };
    let mut tested: Vec<Vec<String>> = Vec::new();
    for (j, op) in patch.iter().enumerate() {
        if op["op"] == "test" {
            if let Some(p) = op["path"].as_str() {
                tested.push(segments(p));
            }
            continue;
        }
        for key in ["path", "from"] {
            let Some(path) = op[key].as_str() else {
                continue;
            };
            let segs = segments(path);
            for (k, seg) in segs.iter().enumerate() {
                let positional = !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_digit());
                let guarded = tested.iter().any(|t| t.starts_with(&segs[..=k]));
                if positional && !guarded {
                    let prefix = format!("/{}", segs[..=k].join("/"));
                    return Some((
                        j,
                        format!(
                            "`{path}` reaches into a list by position ({prefix}) with no `op: test` before it that pins which element it means, e.g. `{{op: test, path: {prefix}/<an identifying field>, value: ...}}`"
                        ),
                    ));
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn positional_paths_need_a_guard() {
        let guarded = [
            json!({"op": "test", "path": "/clients/0/clientId", "value": "dex"}),
            json!({"op": "replace", "path": "/clients/0/redirectUris", "value": []}),
            json!({"op": "add", "path": "/clients/0/protocolMappers/-", "value": {}}),
        ];
        assert_eq!(unguarded(&guarded), None);
        let bare = [json!({"op": "remove", "path": "/clients/0/redirectUris/1"})];
        assert!(unguarded(&bare).unwrap().1.contains("(/clients/0)"));
        // A guard of the client is not a guard of an element of its list.
        let half = [guarded[0].clone(), bare[0].clone()];
        let (at, why) = unguarded(&half).unwrap();
        assert_eq!(at, 1);
        assert!(why.contains("(/clients/0/redirectUris/1)"), "{why}");
        // Nor does /a/1 guard /a/10.
        let near = [
            json!({"op": "test", "path": "/a/1", "value": 1}),
            json!({"op": "remove", "path": "/a/10"}),
        ];
        assert!(unguarded(&near).is_some());
    }
}

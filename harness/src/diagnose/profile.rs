//! Matchers for a Keycloak user without a first or last name: Keycloak (24+)
//! stops them at "Update Account Information", and without one Keycloak's
//! tokens carry no `name` claim, which Dex reads by default for the username.

use serde_json::Value;

use super::{ConfigView, Evidence, oidc_connectors, realm};

/// Users of the realm without a first or last name.
fn nameless(c: &ConfigView) -> Vec<String> {
    realm(c)
        .into_iter()
        .flat_map(|r| r.users())
        .filter(|u| !u.has_full_name())
        .map(|u| u.username().to_string())
        .collect()
}

pub(super) fn profile_incomplete(c: &ConfigView, seen: &Evidence) -> Option<String> {
    let shown = seen.shown("Update Account Information")?;
    let users = nameless(c);
    if users.is_empty() {
        return None;
    }
    let verify_off = c
        .realm
        .as_ref()
        .and_then(|r| r["requiredActions"].as_array())
        .into_iter()
        .flatten()
        .any(|a| a["alias"] == "VERIFY_PROFILE" && a["enabled"] == false);
    (!verify_off).then(|| {
        format!(
            "Keycloak showed \"{shown}\" instead of going back to Dex; users without a first or last name: {}; the Verify Profile required action is on (Keycloak's default)",
            users.join(", ")
        )
    })
}

pub(super) fn name_claim_missing(c: &ConfigView, seen: &Evidence) -> Option<String> {
    let shown = seen.shown("missing \"name\" claim")?;
    let conn: &Value = oidc_connectors(c)
        .into_iter()
        .find(|conn| conn["userNameKey"].as_str().is_none_or(|k| k == "name"))?;
    let users = nameless(c);
    Some(format!(
        "Dex: \"{shown}\"; the connector's userNameKey is {} (Dex reads `name`); users without a first or last name (Keycloak sends no `name` for them): {}",
        if conn["userNameKey"].is_null() {
            "not set".to_string()
        } else {
            conn["userNameKey"].to_string()
        },
        if users.is_empty() {
            "none in the realm export".to_string()
        } else {
            users.join(", ")
        }
    ))
}

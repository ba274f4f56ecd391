//! Matchers for the sign-in chain itself: Keycloak's client, scopes and
//! mappers, Dex's connector and callback, the apiserver's OIDC settings and the
//! impersonation proxy, each with the configuration that explains it.

use super::*;

pub(super) fn redirect_uri_mismatch(c: &Config, seen: &Observed) -> Option<String> {
    let shown = page_or_log_contains(seen, "Invalid parameter: redirect_uri")?;
    let mut evidence = format!("Keycloak showed \"{shown}\"");
    for conn in oidc_connectors(c) {
        if let Some(client) = client_of(c, conn) {
            evidence.push_str(&format!(
                "; connector redirectURI {} vs client `{}` Valid Redirect URIs {}",
                conn["redirectURI"],
                client["clientId"].as_str().unwrap_or("?"),
                client["redirectUris"]
            ));
        }
    }
    Some(evidence)
}

pub(super) fn dex_callback_mismatch(_: &Config, seen: &Observed) -> Option<String> {
    let shown = page_or_log_contains(seen, "did not match the URL in the config")?;
    Some(format!("Dex logged: {shown}"))
}

pub(super) fn static_password_hash_mismatch(c: &Config, seen: &Observed) -> Option<String> {
    let shown = page_or_log_contains(seen, "Invalid Email Address and password")?;
    let users: Vec<&str> = c.dex?["staticPasswords"]
        .as_array()?
        .iter()
        .filter_map(|p| p["email"].as_str())
        .collect();
    (!users.is_empty())
        .then(|| format!("Dex showed \"{shown}\"; static users: {}", users.join(", ")))
}

pub(super) fn invalid_scope(c: &Config, seen: &Observed) -> Option<String> {
    let shown = page_or_log_contains(seen, "invalid_scope")?;
    let mut evidence = format!("the sign-in failed with \"{shown}\"");
    for conn in oidc_connectors(c) {
        let Some(client) = client_of(c, conn) else {
            continue;
        };
        let assigned: Vec<&str> = ["defaultClientScopes", "optionalClientScopes"]
            .iter()
            .flat_map(|k| client[*k].as_array().into_iter().flatten())
            .filter_map(Value::as_str)
            .collect();
        let missing: Vec<&str> = conn["scopes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .filter(|s| *s != "openid" && !assigned.contains(s))
            .collect();
        if !missing.is_empty() {
            evidence.push_str(&format!(
                "; requested but not assigned to client `{}`: {}",
                client["clientId"].as_str().unwrap_or("?"),
                missing.join(", ")
            ));
        }
    }
    Some(evidence)
}

pub(super) fn groups_not_enabled(c: &Config, seen: &Observed) -> Option<String> {
    let login = empty_groups_login(seen)?;
    // Only where groups are wanted: a setup that never asks for them
    // (guide 002) logs groups=[] as it should.
    let conn = oidc_connectors(c).into_iter().find(|conn| {
        !truthy(&conn["insecureEnableGroups"])
            && (conn["scopes"]
                .as_array()
                .is_some_and(|s| s.iter().any(|s| s == "groups"))
                || !conn["claimMapping"]["groups"].is_null()
                || client_of(c, conn).is_some_and(|cl| !group_mappers(c, cl).is_empty()))
    })?;
    Some(format!(
        "Dex logged groups=[] for {}; connector insecureEnableGroups = {}",
        login.email,
        if conn["insecureEnableGroups"].is_null() {
            "(not set)".to_string()
        } else {
            conn["insecureEnableGroups"].to_string()
        }
    ))
}

pub(super) fn group_mapper_missing(c: &Config, seen: &Observed) -> Option<String> {
    let login = empty_groups_login(seen)?;
    let conn = oidc_connectors(c)
        .into_iter()
        .find(|conn| truthy(&conn["insecureEnableGroups"]))?;
    let client = client_of(c, conn)?;
    group_mappers(c, client).is_empty().then(|| {
        format!(
            "Dex logged groups=[] for {}; client `{}` has no Group Membership mapper",
            login.email,
            client["clientId"].as_str().unwrap_or("?")
        )
    })
}

pub(super) fn user_in_no_group(c: &Config, seen: &Observed) -> Option<String> {
    let login = empty_groups_login(seen)?;
    let conn = oidc_connectors(c)
        .into_iter()
        .find(|conn| truthy(&conn["insecureEnableGroups"]))?;
    let client = client_of(c, conn)?;
    if group_mappers(c, client).is_empty() {
        return None;
    }
    let user = c.realm?["users"]
        .as_array()?
        .iter()
        .find(|u| u["email"] == login.email.as_str() || u["username"] == login.email.as_str())?;
    let groups = user["groups"].as_array().map(Vec::len).unwrap_or(0);
    (groups == 0).then(|| {
        format!(
            "Dex logged groups=[] for {}; the realm lists no group for this user",
            login.email
        )
    })
}

pub(super) fn groups_only_in_userinfo(c: &Config, seen: &Observed) -> Option<String> {
    let login = empty_groups_login(seen)?;
    let conn = oidc_connectors(c)
        .into_iter()
        .find(|conn| truthy(&conn["insecureEnableGroups"]) && !truthy(&conn["getUserInfo"]))?;
    let client = client_of(c, conn)?;
    let mappers = group_mappers(c, client);
    let only_userinfo = !mappers.is_empty()
        && mappers
            .iter()
            .all(|m| !truthy(&m["config"]["id.token.claim"]));
    only_userinfo.then(|| {
        format!(
            "Dex logged groups=[] for {}; getUserInfo is off and the mapper's \"Add to ID token\" is off",
            login.email
        )
    })
}

pub(super) fn claim_mapping_missing(c: &Config, seen: &Observed) -> Option<String> {
    let login = empty_groups_login(seen)?;
    let conn = oidc_connectors(c)
        .into_iter()
        .find(|conn| truthy(&conn["insecureEnableGroups"]))?;
    let client = client_of(c, conn)?;
    let mapped = conn["claimMapping"]["groups"].as_str().unwrap_or("groups");
    let names: Vec<&str> = group_mappers(c, client)
        .into_iter()
        .map(claim_name)
        .collect();
    let mapper_sends_other = !names.is_empty() && !names.contains(&mapped);
    mapper_sends_other.then(|| {
        format!(
            "Dex logged groups=[] for {}; Keycloak sends the groups as {:?}, Dex reads `{mapped}`",
            login.email, names
        )
    })
}

pub(super) fn upstream_groups_claim_wins(c: &Config, seen: &Observed) -> Option<String> {
    let login = seen.dex_logins.iter().find(|l| !l.groups.is_empty())?;
    let conn = oidc_connectors(c).into_iter().find(|conn| {
        conn["claimMapping"]["groups"]
            .as_str()
            .is_some_and(|g| g != "groups")
            && !truthy(&conn["overrideClaimMapping"])
    })?;
    let client = client_of(c, conn)?;
    let names: Vec<&str> = group_mappers(c, client)
        .into_iter()
        .map(claim_name)
        .collect();
    let mapped = conn["claimMapping"]["groups"].as_str().unwrap_or_default();
    (names.contains(&"groups") && names.contains(&mapped)).then(|| {
        format!(
            "Keycloak sends both `groups` and `{mapped}`; Dex logged groups={:?} (from `groups`), overrideClaimMapping is off",
            login.groups
        )
    })
}

pub(super) fn full_group_path(c: &Config, seen: &Observed) -> Option<String> {
    let login = seen
        .dex_logins
        .iter()
        .find(|l| l.groups.iter().any(|g| g.starts_with('/')))?;
    let conn = oidc_connectors(c).into_iter().next()?;
    let client = client_of(c, conn)?;
    let full = group_mappers(c, client)
        .into_iter()
        .any(|m| truthy(&m["config"]["full.path"]));
    full.then(|| {
        format!(
            "Dex logged groups={:?} for {}; a Group Membership mapper has full.path on",
            login.groups, login.email
        )
    })
}

pub(super) fn apiserver_line(seen: &Observed, needle: &str) -> Option<String> {
    seen.apiserver_log
        .lines()
        .find(|l| l.contains(needle))
        .map(|l| crate::components::browser::truncate(l.trim(), 400))
}

pub(super) fn apiserver_audience_mismatch(_: &Config, seen: &Observed) -> Option<String> {
    apiserver_line(seen, "expected audience").map(|l| format!("kube-apiserver logged: {l}"))
}

pub(super) fn apiserver_issuer_mismatch(_: &Config, seen: &Observed) -> Option<String> {
    apiserver_line(seen, "issued by a different provider")
        .or_else(|| apiserver_line(seen, "did not match the issuer"))
        .map(|l| format!("kube-apiserver logged: {l}"))
}

pub(super) fn passthrough_with_dex_group_map(c: &Config, seen: &Observed) -> Option<String> {
    let refusal = seen
        .proxy
        .iter()
        .find(|p| p.contains("cannot be combined with dexGroupMap"))?;
    let p = c.impersonation?;
    (p["groupsMode"] == "passthrough"
        && p["dexGroupMap"].as_object().is_some_and(|m| !m.is_empty()))
    .then(|| format!("{refusal}; dexGroupMap = {}", p["dexGroupMap"]))
}

pub(super) fn email_verified_claim_missing(c: &Config, seen: &Observed) -> Option<String> {
    let shown = page_or_log_contains(seen, "missing \"email_verified\" claim")?;
    let off = oidc_connectors(c)
        .into_iter()
        .any(|conn| !truthy(&conn["insecureSkipEmailVerified"]));
    off.then(|| format!("Dex: \"{shown}\"; insecureSkipEmailVerified is off"))
}

pub(super) fn email_unverified_passed(c: &Config, seen: &Observed) -> Option<String> {
    let claims = seen
        .dex_claims
        .iter()
        .find(|cl| cl["email_verified"] == false)?;
    let skip = oidc_connectors(c)
        .into_iter()
        .any(|conn| truthy(&conn["insecureSkipEmailVerified"]));
    Some(format!(
        "Dex issued email_verified=false for {} (Keycloak sent an explicit false; insecureSkipEmailVerified is {})",
        claims["email"].as_str().unwrap_or("?"),
        if skip {
            "on, and does not cover it"
        } else {
            "off"
        }
    ))
}

//! Matchers for the sign-in chain itself: Keycloak's client, scopes and
//! mappers, Dex's connector and callback, the apiserver's OIDC settings and the
//! impersonation proxy, each with the configuration that explains it.

use super::*;
use crate::model::realm::Mapper;

pub(super) fn redirect_uri_mismatch(c: &ConfigView, seen: &Evidence) -> Option<String> {
    let shown = seen.shown("Invalid parameter: redirect_uri")?;
    let mut evidence = format!("Keycloak showed \"{shown}\"");
    for conn in oidc_connectors(c) {
        if let Some(client) = client_of(c, conn) {
            evidence.push_str(&format!(
                "; connector redirectURI {} vs client `{}` Valid Redirect URIs {}",
                conn["redirectURI"],
                client.id(),
                client.redirect_uris()
            ));
        }
    }
    Some(evidence)
}

pub(super) fn dex_callback_mismatch(_: &ConfigView, seen: &Evidence) -> Option<String> {
    let shown = seen.shown("did not match the URL in the config")?;
    Some(format!("Dex logged: {shown}"))
}

pub(super) fn static_password_hash_mismatch(c: &ConfigView, seen: &Evidence) -> Option<String> {
    let shown = seen.shown("Invalid Email Address and password")?;
    let users: Vec<&str> = c.dex.as_ref()?["staticPasswords"]
        .as_array()?
        .iter()
        .filter_map(|p| p["email"].as_str())
        .collect();
    (!users.is_empty())
        .then(|| format!("Dex showed \"{shown}\"; static users: {}", users.join(", ")))
}

pub(super) fn invalid_scope(c: &ConfigView, seen: &Evidence) -> Option<String> {
    let shown = seen.shown("invalid_scope")?;
    let mut evidence = format!("the sign-in failed with \"{shown}\"");
    for conn in oidc_connectors(c) {
        let Some(client) = client_of(c, conn) else {
            continue;
        };
        let assigned = client.assigned_scopes();
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
                client.id(),
                missing.join(", ")
            ));
        }
    }
    Some(evidence)
}

pub(super) fn groups_not_enabled(c: &ConfigView, seen: &Evidence) -> Option<String> {
    let login = seen.empty_groups_login()?;
    // Only where groups are wanted: a setup that never asks for them
    // (guide 002) logs groups=[] as it should.
    let conn = oidc_connectors(c).into_iter().find(|conn| {
        !truthy(&conn["insecureEnableGroups"])
            && (conn["scopes"]
                .as_array()
                .is_some_and(|s| s.iter().any(|s| s == "groups"))
                || !conn["claimMapping"]["groups"].is_null()
                || client_of(c, conn)
                    .is_some_and(|cl| realm(c).is_some_and(|r| !r.group_mappers(cl).is_empty())))
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

pub(super) fn group_mapper_missing(c: &ConfigView, seen: &Evidence) -> Option<String> {
    let login = seen.empty_groups_login()?;
    let conn = oidc_connectors(c)
        .into_iter()
        .find(|conn| truthy(&conn["insecureEnableGroups"]))?;
    let client = client_of(c, conn)?;
    realm(c)?.group_mappers(client).is_empty().then(|| {
        format!(
            "Dex logged groups=[] for {}; client `{}` has no Group Membership mapper",
            login.email,
            client.id()
        )
    })
}

pub(super) fn user_in_no_group(c: &ConfigView, seen: &Evidence) -> Option<String> {
    let login = seen.empty_groups_login()?;
    let conn = oidc_connectors(c)
        .into_iter()
        .find(|conn| truthy(&conn["insecureEnableGroups"]))?;
    let client = client_of(c, conn)?;
    let realm = realm(c)?;
    if realm.group_mappers(client).is_empty() {
        return None;
    }
    let groups = realm.user(&login.email)?.groups().len();
    (groups == 0).then(|| {
        format!(
            "Dex logged groups=[] for {}; the realm lists no group for this user",
            login.email
        )
    })
}

pub(super) fn groups_only_in_userinfo(c: &ConfigView, seen: &Evidence) -> Option<String> {
    let login = seen.empty_groups_login()?;
    let conn = oidc_connectors(c)
        .into_iter()
        .find(|conn| truthy(&conn["insecureEnableGroups"]) && !truthy(&conn["getUserInfo"]))?;
    let client = client_of(c, conn)?;
    let mappers = realm(c)?.group_mappers(client);
    let only_userinfo = !mappers.is_empty() && mappers.iter().all(|m| !m.on("id.token.claim"));
    only_userinfo.then(|| {
        format!(
            "Dex logged groups=[] for {}; getUserInfo is off and the mapper's \"Add to ID token\" is off",
            login.email
        )
    })
}

pub(super) fn claim_mapping_missing(c: &ConfigView, seen: &Evidence) -> Option<String> {
    let login = seen.empty_groups_login()?;
    let conn = oidc_connectors(c)
        .into_iter()
        .find(|conn| truthy(&conn["insecureEnableGroups"]))?;
    let client = client_of(c, conn)?;
    let mapped = conn["claimMapping"]["groups"].as_str().unwrap_or("groups");
    let names: Vec<&str> = realm(c)?
        .group_mappers(client)
        .iter()
        .map(Mapper::claim_name)
        .collect();
    let mapper_sends_other = !names.is_empty() && !names.contains(&mapped);
    mapper_sends_other.then(|| {
        format!(
            "Dex logged groups=[] for {}; Keycloak sends the groups as {:?}, Dex reads `{mapped}`",
            login.email, names
        )
    })
}

pub(super) fn upstream_groups_claim_wins(c: &ConfigView, seen: &Evidence) -> Option<String> {
    let login = seen.dex_logins.iter().find(|l| !l.groups.is_empty())?;
    let conn = oidc_connectors(c).into_iter().find(|conn| {
        conn["claimMapping"]["groups"]
            .as_str()
            .is_some_and(|g| g != "groups")
            && !truthy(&conn["overrideClaimMapping"])
    })?;
    let client = client_of(c, conn)?;
    let names: Vec<&str> = realm(c)?
        .group_mappers(client)
        .iter()
        .map(Mapper::claim_name)
        .collect();
    let mapped = conn["claimMapping"]["groups"].as_str().unwrap_or_default();
    (names.contains(&"groups") && names.contains(&mapped)).then(|| {
        format!(
            "Keycloak sends both `groups` and `{mapped}`; Dex logged groups={:?} (from `groups`), overrideClaimMapping is off",
            login.groups
        )
    })
}

pub(super) fn full_group_path(c: &ConfigView, seen: &Evidence) -> Option<String> {
    let login = seen
        .dex_logins
        .iter()
        .find(|l| l.groups.iter().any(|g| g.starts_with('/')))?;
    let conn = oidc_connectors(c).into_iter().next()?;
    let client = client_of(c, conn)?;
    let full = realm(c)?
        .group_mappers(client)
        .iter()
        .any(|m| m.on("full.path"));
    full.then(|| {
        format!(
            "Dex logged groups={:?} for {}; a Group Membership mapper has full.path on",
            login.groups, login.email
        )
    })
}

pub(super) fn apiserver_audience_mismatch(_: &ConfigView, seen: &Evidence) -> Option<String> {
    seen.apiserver_line("expected audience")
        .map(|l| format!("kube-apiserver logged: {l}"))
}

pub(super) fn apiserver_issuer_mismatch(_: &ConfigView, seen: &Evidence) -> Option<String> {
    seen.apiserver_line("issued by a different provider")
        .or_else(|| seen.apiserver_line("did not match the issuer"))
        .map(|l| format!("kube-apiserver logged: {l}"))
}

pub(super) fn passthrough_with_dex_group_map(c: &ConfigView, seen: &Evidence) -> Option<String> {
    let refusal = seen
        .impersonation_refusal
        .as_ref()
        .filter(|p| p.contains("cannot be combined with dexGroupMap"))?;
    let p = c.impersonation.as_ref()?;
    (p["groupsMode"] == "passthrough"
        && p["dexGroupMap"].as_object().is_some_and(|m| !m.is_empty()))
    .then(|| format!("{refusal}; dexGroupMap = {}", p["dexGroupMap"]))
}

/// The group subjects of the apiserver's RBAC bindings.
fn bound_groups(c: &ConfigView) -> Vec<String> {
    c.apiserver
        .as_ref()
        .and_then(|a| a.rbac.as_deref())
        .and_then(|m| crate::programs::kube::rbac::bindings(m).ok())
        .into_iter()
        .flatten()
        .flat_map(|b| b.subjects)
        .filter(|s| s.kind == "Group")
        .map(|s| s.name)
        .collect()
}

/// `groupsMode: passthrough`: Dex's groups impersonated as they are, and no
/// binding names them (the bindings name the groups groupMap would give).
pub(super) fn impersonation_passthrough_unbound(c: &ConfigView, seen: &Evidence) -> Option<String> {
    let p = c.impersonation.as_ref()?;
    if p["groupsMode"] != "passthrough" {
        return None;
    }
    let bound = bound_groups(c);
    let i = seen.impersonated.iter().find(|i| {
        !i.local && !i.as_groups.is_empty() && !i.as_groups.iter().any(|g| bound.contains(g))
    })?;
    Some(format!(
        "groupsMode: passthrough: the proxy impersonates {} with Dex's groups {:?} as they are (groupMap {} is not used); the bindings name the groups {bound:?}",
        i.user, i.as_groups, p["groupMap"]
    ))
}

/// `groupsMode: map`, and a Keycloak group of the user is not under groupMap:
/// the proxy impersonates the user without it.
pub(super) fn impersonation_group_not_in_group_map(
    c: &ConfigView,
    seen: &Evidence,
) -> Option<String> {
    let p = c.impersonation.as_ref()?;
    if p["groupsMode"] != "map" {
        return None;
    }
    let listed: Vec<&str> = p["groupMap"]
        .as_object()
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default();
    seen.impersonated.iter().filter(|i| !i.local).find_map(|i| {
        let missing: Vec<&str> = i
            .dex_groups
            .as_array()?
            .iter()
            .filter_map(Value::as_str)
            .filter(|g| !listed.contains(g))
            .collect();
        (!missing.is_empty()).then(|| {
            format!(
                "{}'s Dex groups include {missing:?}, which groupMap does not list (it lists {listed:?}): the proxy impersonates {} with the groups {:?}",
                i.user, i.as_user, i.as_groups
            )
        })
    })
}

/// A local Dex user with no dexGroupMap entry: impersonated with no groups.
pub(super) fn impersonation_local_user_not_in_dex_group_map(
    c: &ConfigView,
    seen: &Evidence,
) -> Option<String> {
    let p = c.impersonation.as_ref()?;
    let map = p["dexGroupMap"].as_object();
    let i = seen.impersonated.iter().find(|i| {
        i.local && i.as_groups.is_empty() && !map.is_some_and(|m| m.contains_key(&i.as_user))
    })?;
    let listed: Vec<&String> = map.map(|m| m.keys().collect()).unwrap_or_default();
    Some(format!(
        "{} signed in with Dex's password login (connector local), whose groups come only from dexGroupMap; dexGroupMap lists {listed:?}, so the proxy impersonates {} with no groups",
        i.user, i.as_user
    ))
}

pub(super) fn email_verified_claim_missing(c: &ConfigView, seen: &Evidence) -> Option<String> {
    let shown = seen.shown("missing \"email_verified\" claim")?;
    let off = oidc_connectors(c)
        .into_iter()
        .any(|conn| !truthy(&conn["insecureSkipEmailVerified"]));
    off.then(|| format!("Dex: \"{shown}\"; insecureSkipEmailVerified is off"))
}

pub(super) fn email_unverified_passed(c: &ConfigView, seen: &Evidence) -> Option<String> {
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

/// Chromium's own error pages for a host it could not reach (its net error
/// codes, as the page prints them).
const NET_ERRORS: &[&str] = &[
    "ERR_CONNECTION_REFUSED",
    "ERR_CONNECTION_TIMED_OUT",
    "ERR_TIMED_OUT",
    "ERR_CONNECTION_RESET",
    "ERR_NAME_NOT_RESOLVED",
    "ERR_ADDRESS_UNREACHABLE",
];

/// The browser ended on Chromium's error page for a host of the chain it
/// could not reach; names the hop that host is in the configuration.
pub(super) fn hop_unreachable(c: &ConfigView, seen: &Evidence) -> Option<String> {
    let (page, code) = seen.pages.iter().find_map(|p| {
        NET_ERRORS
            .iter()
            .find(|e| p.text.contains(**e))
            .map(|e| (p, *e))
    })?;
    let url = url::Url::parse(&page.url).ok()?;
    let origin = url.origin().ascii_serialization();
    let same = |issuer: &Value| {
        issuer
            .as_str()
            .and_then(|i| url::Url::parse(i).ok())
            .is_some_and(|i| i.origin().ascii_serialization() == origin)
    };
    let dex = c.dex.as_ref();
    let hop = if dex
        .and_then(|d| d["connectors"].as_array())
        .is_some_and(|cs| cs.iter().any(|k| same(&k["config"]["issuer"])))
    {
        "Keycloak (the issuer of Dex's connector)"
    } else if dex.is_some_and(|d| same(&d["issuer"])) {
        "Dex (its issuer)"
    } else {
        // Another host (an application's redirect target, say): not a hop
        // this check knows.
        return None;
    };
    Some(format!(
        "the browser could not reach {hop} at {origin}: Chromium's `{code}` page (at {})",
        page.url.split('?').next().unwrap_or(&page.url)
    ))
}

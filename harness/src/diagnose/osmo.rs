//! Matchers for the OSMO guide's troubleshooting cases (guide 004). The run's
//! evidence is what the EMULATED Envoy hop decided for each token
//! (`Observed::osmo`, one record per `envoy_jwt` step: verdicts, the verified
//! `roles` claim, the pools it made visible); the configuration evidence is
//! the realm export (client roles, group role mappings, protocol mappers).

use serde_json::Value;

use super::{Config, Observed};
use crate::emulated::envoy::AUDIENCE_NOT_ALLOWED;
use crate::emulated::osmo_pools;

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str().map(String::from))
        .collect()
}

fn accepted_id_tokens(seen: &Observed) -> impl Iterator<Item = &Value> {
    seen.osmo
        .iter()
        .filter(|o| o["status"] == 200 && o["token"] == "id_token")
}

fn client_roles(realm: &Value, client: &str) -> Vec<String> {
    realm["roles"]["client"][client]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["name"].as_str().map(String::from))
        .collect()
}

fn user<'a>(realm: &'a Value, name: &str) -> Option<&'a Value> {
    realm["users"]
        .as_array()?
        .iter()
        .find(|u| u["username"] == name || u["email"] == name)
}

/// The user's groups (paths without the leading slash).
fn groups_of(realm: &Value, name: &str) -> Vec<String> {
    user(realm, name)
        .map(|u| strings(&u["groups"]))
        .unwrap_or_default()
        .into_iter()
        .map(|g| g.trim_start_matches('/').to_string())
        .collect()
}

/// Roles of `client` that the user's groups map.
fn group_roles(realm: &Value, name: &str, client: &str) -> Vec<String> {
    let groups = groups_of(realm, name);
    realm["groups"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|g| {
            g["name"]
                .as_str()
                .is_some_and(|n| groups.iter().any(|x| x == n))
        })
        .flat_map(|g| strings(&g["clientRoles"][client]))
        .collect()
}

fn client<'a>(realm: &'a Value, id: &str) -> Option<&'a Value> {
    realm["clients"]
        .as_array()?
        .iter()
        .find(|c| c["clientId"] == id)
}

/// Mappers that reach a client's tokens: its own, and those of its assigned scopes.
fn mappers<'a>(realm: &'a Value, client: &'a Value) -> Vec<&'a Value> {
    let mut found: Vec<&Value> = client["protocolMappers"]
        .as_array()
        .into_iter()
        .flatten()
        .collect();
    let assigned = strings(&client["defaultClientScopes"]);
    for scope in realm["clientScopes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| {
            s["name"]
                .as_str()
                .is_some_and(|n| assigned.iter().any(|a| a == n))
        })
    {
        found.extend(scope["protocolMappers"].as_array().into_iter().flatten());
    }
    found
}

fn emits_roles_claim(realm: &Value, client_id: &str) -> bool {
    client(realm, client_id).is_some_and(|cl| {
        mappers(realm, cl)
            .iter()
            .any(|m| m["config"]["claim.name"] == "roles")
    })
}

fn name_of(o: &Value) -> String {
    o["claims"]["preferred_username"]
        .as_str()
        .or(o["user"].as_str())
        .unwrap_or("?")
        .to_string()
}

pub(super) fn role_missing_in_client(c: &Config, seen: &Observed) -> Option<String> {
    let realm = c.realm?;
    let accepted: Vec<&Value> = accepted_id_tokens(seen).collect();
    for a in &accepted {
        for b in &accepted {
            if a["user"] != b["user"] || a["client"] == b["client"] {
                continue;
            }
            let (ra, rb) = (strings(&a["roles"]), strings(&b["roles"]));
            let Some(role) = ra
                .iter()
                .find(|r| r.starts_with(osmo_pools::ROLE_PREFIX) && !rb.contains(r))
            else {
                continue;
            };
            let (ca, cb) = (a["client"].as_str()?, b["client"].as_str()?);
            let user = name_of(a);
            let config = if !client_roles(realm, cb).contains(role) {
                format!("client `{cb}` has no role `{role}` (client `{ca}` has)")
            } else if !group_roles(realm, &user, cb).contains(role) {
                format!("no group of {user} maps `{role}` of client `{cb}`")
            } else {
                continue;
            };
            return Some(format!(
                "[emulated] Envoy passed roles {ra:?} for {user}'s `{ca}` token but {rb:?} for the `{cb}` token; {config}"
            ));
        }
    }
    None
}

pub(super) fn role_name_format(c: &Config, seen: &Observed) -> Option<String> {
    let realm = c.realm?;
    accepted_id_tokens(seen).find_map(|o| {
        let roles = strings(&o["roles"]);
        let pools = strings(&o["pools"]["all"]);
        let bad = osmo_pools::unprefixed_pool_roles(&roles, &pools);
        let client = o["client"].as_str()?;
        let defined: Vec<&String> = bad
            .iter()
            .filter(|r| client_roles(realm, client).contains(r))
            .collect();
        (!defined.is_empty()).then(|| {
            format!(
                "[emulated] OSMO made pools {:?} visible to {} out of {pools:?}: roles {defined:?} lack the `osmo-` prefix; client `{client}` defines them so",
                strings(&o["pools"]["visible"]),
                name_of(o)
            )
        })
    })
}

pub(super) fn user_not_in_group(c: &Config, seen: &Observed) -> Option<String> {
    let realm = c.realm?;
    accepted_id_tokens(seen).find_map(|o| {
        let roles = strings(&o["roles"]);
        let client = o["client"].as_str()?;
        let user = name_of(o);
        let no_role = !roles.iter().any(|r| r.starts_with(osmo_pools::ROLE_PREFIX));
        let no_group = groups_of(realm, &user).is_empty();
        (no_role && no_group && emits_roles_claim(realm, client)).then(|| {
            format!(
                "[emulated] Envoy accepted {user}'s `{client}` token, which carries no OSMO role (roles {roles:?}); the realm puts {user} in no group"
            )
        })
    })
}

pub(super) fn roles_claim_missing(c: &Config, seen: &Observed) -> Option<String> {
    let realm = c.realm?;
    accepted_id_tokens(seen).find_map(|o| {
        let client = o["client"].as_str()?;
        let user = name_of(o);
        let granted = group_roles(realm, &user, client);
        (o["roles"].is_null() && !granted.is_empty() && !emits_roles_claim(realm, client)).then(
            || {
                format!(
                    "[emulated] Envoy accepted {user}'s `{client}` token, which has no `roles` claim (x-osmo-roles unset) although {user}'s groups grant {granted:?}; no mapper of client `{client}` emits `roles`"
                )
            },
        )
    })
}

pub(super) fn envoy_provider_missing(_: &Config, seen: &Observed) -> Option<String> {
    seen.osmo.iter().find_map(|o| {
        let azp = o["claims"]["azp"].as_str()?;
        let audiences = strings(&o["provider_audiences"]);
        let osmo_client = strings(&o["osmo_clients"]).iter().any(|c| c == azp);
        (o["status"] == 403
            && o["body"] == AUDIENCE_NOT_ALLOWED
            && o["token"] == "id_token"
            && osmo_client
            && !audiences.iter().any(|a| a == azp))
            .then(|| {
                format!(
                    "[emulated] Envoy answered 403 \"{AUDIENCE_NOT_ALLOWED}\" to {}'s `{azp}` ID token (aud {}); sidecars.envoy.jwt providers' audiences: {audiences:?}",
                    name_of(o),
                    o["claims"]["aud"]
                )
            })
    })
}

pub(super) fn access_token_audience(c: &Config, seen: &Observed) -> Option<String> {
    seen.osmo.iter().find_map(|o| {
        let azp = o["claims"]["azp"].as_str()?;
        let aud = &o["claims"]["aud"];
        let in_aud = aud == azp || strings(aud).iter().any(|a| a == azp);
        let provided = strings(&o["provider_audiences"]).iter().any(|a| a == azp);
        let mapper = c
            .realm
            .and_then(|r| client(r, azp).map(|cl| (r, cl)))
            .is_some_and(|(r, cl)| {
                mappers(r, cl)
                    .iter()
                    .any(|m| m["protocolMapper"] == "oidc-audience-mapper")
            });
        (o["token"] == "access_token"
            && o["status"] == 403
            && o["body"] == AUDIENCE_NOT_ALLOWED
            && provided
            && !in_aud
            && !mapper)
            .then(|| {
                format!(
                    "[emulated] Envoy answered 403 \"{AUDIENCE_NOT_ALLOWED}\" to {}'s access token: azp `{azp}`, aud {aud}; client `{azp}` has no Audience mapper",
                    name_of(o)
                )
            })
    })
}

pub(super) fn device_endpoint_not_discovery(_: &Config, seen: &Observed) -> Option<String> {
    seen.osmo.iter().find_map(|o| {
        let d = &o["device_authorization"];
        let (used, real) = (d["endpoint"].as_str()?, d["discovery"].as_str()?);
        (used != real).then(|| {
            format!(
                "the device authorization request for `{}` to {used} answered {} {}; the realm's discovery document names {real}",
                d["client"].as_str().unwrap_or("?"),
                d["status"],
                crate::components::browser::truncate(d["body"].as_str().unwrap_or_default().trim(), 200)
            )
        })
    })
}

pub(super) fn offline_access_not_granted(c: &Config, seen: &Observed) -> Option<String> {
    let shown = seen
        .pages
        .iter()
        .flat_map(|p| p.lines())
        .find(|l| l.contains("Offline tokens not allowed"))?;
    let bare: Vec<&str> = c.realm?["users"]
        .as_array()?
        .iter()
        .filter(|u| strings(&u["realmRoles"]).is_empty())
        .filter_map(|u| u["username"].as_str())
        .collect();
    (!bare.is_empty()).then(|| {
        format!(
            "Keycloak refused the token request: \"{}\"; users of the imported realm without realmRoles (no default roles, so no offline_access): {bare:?}",
            shown.trim()
        )
    })
}

//! Matchers for the OSMO guide's troubleshooting cases (guide 004). The run's
//! evidence is what the EMULATED Envoy hop decided for each token
//! (`Evidence::envoy`, one typed record per `envoy_jwt` step: verdicts, the
//! verified `roles` claim, the pools it made visible); the configuration
//! evidence is the realm export (client roles, group role mappings, protocol
//! mappers).

use serde_json::Value;

use super::{ConfigView, Evidence, realm};
use crate::emulated::envoy::AUDIENCE_NOT_ALLOWED;
use crate::emulated::osmo_pools;
use crate::model::evidence::{EnvoyDecision, TokenKind};
use crate::model::realm::{Assigned, Realm};

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str().map(String::from))
        .collect()
}

fn accepted_id_tokens(seen: &Evidence) -> impl Iterator<Item = &EnvoyDecision> {
    seen.envoy.iter().filter(|o| o.accepted_id_token())
}

fn roles_of(o: &EnvoyDecision) -> Vec<String> {
    o.roles.clone().unwrap_or_default()
}

/// Whether a mapper reaching the client's tokens emits a `roles` claim.
fn emits_roles_claim(realm: Realm, client_id: &str) -> bool {
    realm.client(client_id).is_some_and(|cl| {
        realm
            .mappers(cl, Assigned::Default)
            .iter()
            .any(|m| m.claim_name() == "roles")
    })
}

fn groups_of(realm: Realm, name: &str) -> Vec<String> {
    realm.user(name).map(|u| u.groups()).unwrap_or_default()
}

pub(super) fn role_missing_in_client(c: &ConfigView, seen: &Evidence) -> Option<String> {
    let realm = realm(c)?;
    let accepted: Vec<&EnvoyDecision> = accepted_id_tokens(seen).collect();
    for a in &accepted {
        for b in &accepted {
            if a.user != b.user || a.client == b.client {
                continue;
            }
            let (ra, rb) = (roles_of(a), roles_of(b));
            let Some(role) = ra
                .iter()
                .find(|r| r.starts_with(osmo_pools::ROLE_PREFIX) && !rb.contains(r))
            else {
                continue;
            };
            let (ca, cb) = (&a.client, &b.client);
            let user = a.who();
            let config = if !realm.client_roles(cb).contains(role) {
                format!("client `{cb}` has no role `{role}` (client `{ca}` has)")
            } else if !realm.group_client_roles(user, cb).contains(role) {
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

pub(super) fn role_name_format(c: &ConfigView, seen: &Evidence) -> Option<String> {
    let realm = realm(c)?;
    accepted_id_tokens(seen).find_map(|o| {
        let roles = roles_of(o);
        let bad = osmo_pools::unprefixed_pool_roles(&roles, &o.pools);
        let defined: Vec<&String> = bad
            .iter()
            .filter(|r| realm.client_roles(&o.client).contains(r))
            .collect();
        (!defined.is_empty()).then(|| {
            format!(
                "[emulated] OSMO made pools {:?} visible to {} out of {:?}: roles {defined:?} lack the `osmo-` prefix; client `{}` defines them so",
                o.visible_pools,
                o.who(),
                o.pools,
                o.client
            )
        })
    })
}

pub(super) fn user_not_in_group(c: &ConfigView, seen: &Evidence) -> Option<String> {
    let realm = realm(c)?;
    accepted_id_tokens(seen).find_map(|o| {
        let roles = roles_of(o);
        let (client, user) = (&o.client, o.who());
        let no_role = !roles.iter().any(|r| r.starts_with(osmo_pools::ROLE_PREFIX));
        let no_group = groups_of(realm, user).is_empty();
        (no_role && no_group && emits_roles_claim(realm, client)).then(|| {
            format!(
                "[emulated] Envoy accepted {user}'s `{client}` token, which carries no OSMO role (roles {roles:?}); the realm puts {user} in no group"
            )
        })
    })
}

pub(super) fn roles_claim_missing(c: &ConfigView, seen: &Evidence) -> Option<String> {
    let realm = realm(c)?;
    accepted_id_tokens(seen).find_map(|o| {
        let (client, user) = (&o.client, o.who());
        let granted = realm.group_client_roles(user, client);
        (o.roles.is_none() && !granted.is_empty() && !emits_roles_claim(realm, client)).then(
            || {
                format!(
                    "[emulated] Envoy accepted {user}'s `{client}` token, which has no `roles` claim (x-osmo-roles unset) although {user}'s groups grant {granted:?}; no mapper of client `{client}` emits `roles`"
                )
            },
        )
    })
}

pub(super) fn envoy_provider_missing(_: &ConfigView, seen: &Evidence) -> Option<String> {
    seen.envoy.iter().find_map(|o| {
        let azp = o.azp.as_deref()?;
        let osmo_client = o.osmo_clients.iter().any(|c| c == azp);
        (o.status == 403
            && o.body == AUDIENCE_NOT_ALLOWED
            && o.token == TokenKind::IdToken
            && osmo_client
            && !o.provider_audiences.iter().any(|a| a == azp))
            .then(|| {
                format!(
                    "[emulated] Envoy answered 403 \"{AUDIENCE_NOT_ALLOWED}\" to {}'s `{azp}` ID token (aud {}); sidecars.envoy.jwt providers' audiences: {:?}",
                    o.who(),
                    o.aud,
                    o.provider_audiences
                )
            })
    })
}

pub(super) fn access_token_audience(c: &ConfigView, seen: &Evidence) -> Option<String> {
    // Without the realm, whether the client has an Audience mapper is unknown.
    let realm = realm(c)?;
    seen.envoy.iter().find_map(|o| {
        let azp = o.azp.as_deref()?;
        let in_aud = o.aud == azp || strings(&o.aud).iter().any(|a| a == azp);
        let provided = o.provider_audiences.iter().any(|a| a == azp);
        let mapper = realm.client(azp).is_some_and(|cl| {
            realm
                .mappers(cl, Assigned::Default)
                .iter()
                .any(|m| m.kind() == "oidc-audience-mapper")
        });
        (o.token == TokenKind::AccessToken
            && o.status == 403
            && o.body == AUDIENCE_NOT_ALLOWED
            && provided
            && !in_aud
            && !mapper)
            .then(|| {
                format!(
                    "[emulated] Envoy answered 403 \"{AUDIENCE_NOT_ALLOWED}\" to {}'s access token: azp `{azp}`, aud {}; client `{azp}` has no Audience mapper",
                    o.who(),
                    o.aud
                )
            })
    })
}

pub(super) fn device_endpoint_not_discovery(_: &ConfigView, seen: &Evidence) -> Option<String> {
    seen.device_authorizations.iter().find_map(|d| {
        let real = d.discovery.as_deref()?;
        (d.endpoint != real).then(|| {
            format!(
                "the device authorization request for `{}` to {} answered {} {}; the realm's discovery document names {real}",
                d.client,
                d.endpoint,
                d.status,
                crate::model::text::truncate(d.body.trim(), 200)
            )
        })
    })
}

pub(super) fn offline_access_not_granted(c: &ConfigView, seen: &Evidence) -> Option<String> {
    let shown = seen.page_or_refusal("Offline tokens not allowed")?;
    let bare: Vec<&str> = realm(c)?
        .users()
        .filter(|u| u.realm_roles().is_empty())
        .map(|u| u.username())
        .collect();
    (!bare.is_empty()).then(|| {
        format!(
            "Keycloak refused the token request: \"{shown}\"; users of the imported realm without realmRoles (no default roles, so no offline_access): {bare:?}"
        )
    })
}

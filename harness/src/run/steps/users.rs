//! What an administrator does to a user in the admin console, through the
//! admin REST calls the console makes: `set_password` (the Credentials tab,
//! "Set password", optionally "Temporary":
//! `PUT /admin/realms/<realm>/users/<id>/reset-password`) and `set_groups`
//! (the Groups tab, "Leave" and "Join group":
//! `DELETE`/`PUT /admin/realms/<realm>/users/<id>/groups/<group id>`).

use serde_json::json;

use super::Perform;
use crate::error::{Error, Result};
use crate::model::evidence::GroupChange;
use crate::model::report::StepReport;
use crate::model::steps::{SetGroups, SetPassword};
use crate::run::cx::StepCx;

impl Perform for SetPassword {
    async fn perform(&self, cx: &mut StepCx<'_>) -> Result<StepReport> {
        let (realm, id) = realm_user(cx, "set_password", &self.user).await?;
        let keycloak = cx.keycloak();
        keycloak
            .admin(
                reqwest::Method::PUT,
                &format!("/{realm}/users/{id}/reset-password"),
                Some(&json!({"type": "password", "value": self.password, "temporary": self.temporary})),
            )
            .await?;
        let user = keycloak
            .admin(reqwest::Method::GET, &format!("/{realm}/users/{id}"), None)
            .await?;
        Ok(StepReport {
            output: Some(format!(
                "PUT /admin/realms/{realm}/users/{id}/reset-password (temporary: {}); the user's required actions are now {}",
                self.temporary, user["requiredActions"]
            )),
            ..Default::default()
        })
    }
}

impl Perform for SetGroups {
    async fn perform(&self, cx: &mut StepCx<'_>) -> Result<StepReport> {
        let (realm, id) = realm_user(cx, "set_groups", &self.user).await?;
        let keycloak = cx.keycloak();
        let groups = keycloak
            .admin(reqwest::Method::GET, &format!("/{realm}/groups"), None)
            .await?;
        let group_id = |name: &str| -> Result<String> {
            groups
                .as_array()
                .into_iter()
                .flatten()
                .find(|g| g["name"] == name)
                .and_then(|g| g["id"].as_str())
                .map(String::from)
                .ok_or_else(|| {
                    Error::step("set_groups", format!("no group `{name}` in realm {realm}"))
                })
        };
        let wanted: Vec<String> = self
            .groups
            .iter()
            .map(|g| group_id(g))
            .collect::<Result<_>>()?;
        let current = keycloak
            .admin(
                reqwest::Method::GET,
                &format!("/{realm}/users/{id}/groups"),
                None,
            )
            .await?;
        let mut calls = Vec::new();
        for g in current.as_array().into_iter().flatten() {
            let gid = g["id"].as_str().unwrap_or_default();
            if !wanted.iter().any(|w| w == gid) {
                keycloak
                    .admin(
                        reqwest::Method::DELETE,
                        &format!("/{realm}/users/{id}/groups/{gid}"),
                        None,
                    )
                    .await?;
                calls.push(format!("DELETE …/users/{id}/groups/{gid} ({})", g["name"]));
            }
        }
        for (name, gid) in self.groups.iter().zip(&wanted) {
            keycloak
                .admin(
                    reqwest::Method::PUT,
                    &format!("/{realm}/users/{id}/groups/{gid}"),
                    None,
                )
                .await?;
            calls.push(format!("PUT …/users/{id}/groups/{gid} (\"{name}\")"));
        }
        cx.evidence.group_changes.push(GroupChange {
            user: self.user.clone(),
            groups: self.groups.clone(),
            at: crate::infra::oidc::unix_now(),
            identities_before: cx.evidence.identities.len(),
            envoy_before: cx.evidence.envoy.len(),
        });
        Ok(StepReport {
            output: Some(calls.join("\n")),
            ..Default::default()
        })
    }
}

/// The realm's name and the id of its user `username`.
async fn realm_user(cx: &StepCx<'_>, step: &str, username: &str) -> Result<(String, String)> {
    let realm = cx
        .realm
        .as_ref()
        .map(|(name, _)| name.clone())
        .ok_or_else(|| Error::step(step, "the scenario has no keycloak realm"))?;
    let found = cx
        .run
        .keycloak
        .admin(
            reqwest::Method::GET,
            &format!(
                "/{realm}/users?exact=true&username={}",
                url::form_urlencoded::byte_serialize(username.as_bytes()).collect::<String>()
            ),
            None,
        )
        .await?;
    let id = found
        .as_array()
        .and_then(|users| users.first())
        .and_then(|u| u["id"].as_str())
        .ok_or_else(|| Error::step(step, format!("no user `{username}` in realm {realm}")))?
        .to_string();
    Ok((realm, id))
}

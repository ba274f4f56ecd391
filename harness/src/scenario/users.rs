//! `set_password`: what an administrator does in the admin console's
//! Credentials tab of a user ("Set password", optionally "Temporary"), done
//! through the same admin REST call the console makes
//! (`PUT /admin/realms/<realm>/users/<id>/reset-password`).

use serde::Deserialize;
use serde_json::json;

use super::runner::{Stack, StepReport};
use crate::error::{Error, Result};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetPassword {
    /// The user's username.
    pub user: String,
    pub password: String,
    /// The console's "Temporary" toggle: the user must set a new password at
    /// the next sign-in.
    #[serde(default)]
    pub temporary: bool,
}

impl Stack<'_> {
    pub(super) async fn do_set_password(&mut self, s: &SetPassword) -> Result<StepReport> {
        let realm = self
            .realm
            .as_ref()
            .map(|(name, _)| name.clone())
            .ok_or_else(|| Error::step("set_password", "the scenario has no keycloak realm"))?;
        let keycloak = &self.run.keycloak;
        let found = keycloak
            .admin(
                reqwest::Method::GET,
                &format!(
                    "/{realm}/users?exact=true&username={}",
                    url::form_urlencoded::byte_serialize(s.user.as_bytes()).collect::<String>()
                ),
                None,
            )
            .await?;
        let id = found
            .as_array()
            .and_then(|users| users.first())
            .and_then(|u| u["id"].as_str())
            .ok_or_else(|| {
                Error::step(
                    "set_password",
                    format!("no user `{}` in realm {realm}", s.user),
                )
            })?
            .to_string();
        keycloak
            .admin(
                reqwest::Method::PUT,
                &format!("/{realm}/users/{id}/reset-password"),
                Some(&json!({"type": "password", "value": s.password, "temporary": s.temporary})),
            )
            .await?;
        let user = keycloak
            .admin(reqwest::Method::GET, &format!("/{realm}/users/{id}"), None)
            .await?;
        Ok(StepReport {
            output: Some(format!(
                "PUT /admin/realms/{realm}/users/{id}/reset-password (temporary: {}); the user's required actions are now {}",
                s.temporary, user["requiredActions"]
            )),
            ..Default::default()
        })
    }
}

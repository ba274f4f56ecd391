//! `set_password`: what an administrator does in the admin console's
//! Credentials tab of a user ("Set password", optionally "Temporary"), done
//! through the same admin REST call the console makes
//! (`PUT /admin/realms/<realm>/users/<id>/reset-password`).

use serde_json::json;

use super::Perform;
use crate::error::{Error, Result};
use crate::model::report::StepReport;
use crate::model::steps::SetPassword;
use crate::run::cx::StepCx;

impl Perform for SetPassword {
    async fn perform(&self, cx: &mut StepCx<'_>) -> Result<StepReport> {
        let realm = cx
            .realm
            .as_ref()
            .map(|(name, _)| name.clone())
            .ok_or_else(|| Error::step("set_password", "the scenario has no keycloak realm"))?;
        let keycloak = &cx.run.keycloak;
        let found = keycloak
            .admin(
                reqwest::Method::GET,
                &format!(
                    "/{realm}/users?exact=true&username={}",
                    url::form_urlencoded::byte_serialize(self.user.as_bytes()).collect::<String>()
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
                    format!("no user `{}` in realm {realm}", self.user),
                )
            })?
            .to_string();
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

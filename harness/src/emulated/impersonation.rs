//! The PaletteAI impersonation proxy (`canvas.impersonationProxy`), as the
//! PaletteAI guide documents it: it takes the signed-in user's Dex identity,
//! maps the user (`userMode`) and groups (`groupsMode`, `groupMap`,
//! `dexGroupMap`) and calls the Kubernetes API as
//! `Impersonate-User`/`Impersonate-Group`. The real apiserver answers.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

/// `canvas.impersonationProxy`, as in PaletteAI's Helm values.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImpersonationProxy {
    #[serde(default = "on")]
    pub enabled: bool,
    pub user_mode: String,
    pub groups_mode: String,
    #[serde(default)]
    pub user_map: BTreeMap<String, String>,
    #[serde(default)]
    pub group_map: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub dex_group_map: BTreeMap<String, Vec<String>>,
}

fn on() -> bool {
    true
}

/// Whom the proxy impersonates for a signed-in user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Impersonation {
    pub user: String,
    pub groups: Vec<String>,
}

impl ImpersonationProxy {
    /// The configuration rules the guide states; an error is the proxy's refusal.
    pub fn validate(&self) -> Result<(), String> {
        if self.groups_mode == "passthrough" && !self.dex_group_map.is_empty() {
            return Err("[emulated] impersonation proxy refuses its configuration: groupsMode: passthrough cannot be combined with dexGroupMap".into());
        }
        if !["map", "passthrough"].contains(&self.groups_mode.as_str()) {
            return Err(format!(
                "[emulated] impersonation proxy: unknown groupsMode `{}`",
                self.groups_mode
            ));
        }
        Ok(())
    }

    /// Maps a Dex identity (the verified ID token's claims) to the Kubernetes
    /// user and groups to impersonate. `local` is a user of Dex's own password
    /// database (connector `local`), whose groups come from `dexGroupMap`.
    pub fn map(&self, claims: &Value, local: bool) -> Impersonation {
        let email = claims["email"].as_str().unwrap_or_default().to_string();
        let user = match self.user_mode.as_str() {
            "map" => self.user_map.get(&email).cloned().unwrap_or(email),
            _ => email,
        };
        let token_groups: Vec<String> = claims["groups"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|g| g.as_str().map(String::from))
            .collect();
        let groups = if local {
            self.dex_group_map.get(&user).cloned().unwrap_or_default()
        } else if self.groups_mode == "passthrough" {
            token_groups
        } else {
            token_groups
                .iter()
                .flat_map(|g| self.group_map.get(g).cloned().unwrap_or_default())
                .collect()
        };
        Impersonation { user, groups }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn guide() -> ImpersonationProxy {
        crate::infra::yaml::from_str(
            "enabled: true\nuserMode: passthrough\ngroupsMode: map\nuserMap: {}\ngroupMap:\n  admins: ['admin']\n  editors: ['edit']\n  viewers: ['view']\ndexGroupMap: {}\n",
        )
        .unwrap()
    }

    #[test]
    fn the_guides_group_map() {
        let p = guide();
        assert_eq!(p.validate(), Ok(()));
        let i = p.map(
            &json!({"email": "editor@example.com", "groups": ["editors"]}),
            false,
        );
        assert_eq!(
            i,
            Impersonation {
                user: "editor@example.com".into(),
                groups: vec!["edit".into()]
            }
        );
        let unmapped = p.map(
            &json!({"email": "a@example.com", "groups": ["/admins"]}),
            false,
        );
        assert!(
            unmapped.groups.is_empty(),
            "a full group path is not in groupMap"
        );
    }

    #[test]
    fn passthrough_with_dex_group_map_is_refused() {
        let mut p = guide();
        p.groups_mode = "passthrough".into();
        p.dex_group_map
            .insert("oidc-demo-user@example.com".into(), vec!["view".into()]);
        assert!(
            p.validate()
                .unwrap_err()
                .contains("cannot be combined with dexGroupMap")
        );
    }
}

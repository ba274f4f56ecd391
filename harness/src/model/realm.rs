//! One typed view of a Keycloak RealmRepresentation (what `kc.sh export`
//! writes): clients, client scopes, protocol mappers, users, groups and roles.
//! Every reader of a realm goes through it, so they agree on what reaches a
//! client's tokens. A view, not a model: the export stays the user's JSON.

use serde_json::Value;

fn strings(v: &Value) -> impl Iterator<Item = &str> {
    v.as_array().into_iter().flatten().filter_map(Value::as_str)
}

/// A boolean as Keycloak and Dex write them: `true` or `"true"`.
pub fn truthy(v: &Value) -> bool {
    v.as_bool() == Some(true) || v.as_str() == Some("true")
}

#[derive(Debug, Clone, Copy)]
pub struct Realm<'a>(pub &'a Value);

/// Which assigned client scopes count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assigned {
    /// Default scopes only: what every token of the client gets.
    Default,
    /// Default and optional scopes: what a client can get when it asks.
    DefaultAndOptional,
}

impl<'a> Realm<'a> {
    pub fn name(&self) -> &'a str {
        self.0["realm"].as_str().unwrap_or_default()
    }

    pub fn clients(self) -> impl Iterator<Item = Client<'a>> {
        self.0["clients"]
            .as_array()
            .into_iter()
            .flatten()
            .map(Client)
    }

    pub fn client(&self, client_id: &str) -> Option<Client<'a>> {
        self.clients().find(|c| c.id() == client_id)
    }

    pub fn scope(&self, name: &str) -> Option<&'a Value> {
        self.0["clientScopes"]
            .as_array()?
            .iter()
            .find(|s| s["name"] == name)
    }

    /// The protocol mappers that reach a client's tokens: its own (its
    /// dedicated scope) and those of the client scopes assigned to it.
    pub fn mappers(&self, client: Client<'a>, assigned: Assigned) -> Vec<Mapper<'a>> {
        let mut found: Vec<Mapper> = client.own_mappers().collect();
        let mut names: Vec<&str> = client.default_scopes().collect();
        if assigned == Assigned::DefaultAndOptional {
            names.extend(client.optional_scopes());
        }
        for scope in names.into_iter().filter_map(|n| self.scope(n)) {
            found.extend(
                scope["protocolMappers"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(Mapper),
            );
        }
        found
    }

    /// Group Membership mappers reaching a client (default and optional scopes).
    pub fn group_mappers(&self, client: Client<'a>) -> Vec<Mapper<'a>> {
        self.mappers(client, Assigned::DefaultAndOptional)
            .into_iter()
            .filter(Mapper::is_group_membership)
            .collect()
    }

    pub fn users(self) -> impl Iterator<Item = User<'a>> {
        self.0["users"].as_array().into_iter().flatten().map(User)
    }

    /// The user whose username or email is `name`.
    pub fn user(&self, name: &str) -> Option<User<'a>> {
        self.users()
            .find(|u| u.username() == name || u.email() == Some(name))
    }

    /// The roles a client defines.
    pub fn client_roles(&self, client_id: &str) -> Vec<String> {
        self.0["roles"]["client"][client_id]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r["name"].as_str().map(String::from))
            .collect()
    }

    /// Roles of `client_id` that the groups of user `name` map.
    pub fn group_client_roles(&self, name: &str, client_id: &str) -> Vec<String> {
        let groups = self.user(name).map(|u| u.groups()).unwrap_or_default();
        self.0["groups"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|g| {
                g["name"]
                    .as_str()
                    .is_some_and(|n| groups.iter().any(|x| x == n))
            })
            .flat_map(|g| strings(&g["clientRoles"][client_id]).map(String::from))
            .collect()
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Client<'a>(pub &'a Value);

impl<'a> Client<'a> {
    pub fn id(&self) -> &'a str {
        self.0["clientId"].as_str().unwrap_or("?")
    }

    pub fn redirect_uris(&self) -> &'a Value {
        &self.0["redirectUris"]
    }

    pub fn default_scopes(self) -> impl Iterator<Item = &'a str> {
        strings(&self.0["defaultClientScopes"])
    }

    pub fn optional_scopes(self) -> impl Iterator<Item = &'a str> {
        strings(&self.0["optionalClientScopes"])
    }

    /// Default and optional scopes.
    pub fn assigned_scopes(&self) -> Vec<&'a str> {
        self.default_scopes()
            .chain(self.optional_scopes())
            .collect()
    }

    pub fn own_mappers(self) -> impl Iterator<Item = Mapper<'a>> {
        self.0["protocolMappers"]
            .as_array()
            .into_iter()
            .flatten()
            .map(Mapper)
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Mapper<'a>(pub &'a Value);

impl<'a> Mapper<'a> {
    /// `oidc-group-membership-mapper`, `oidc-audience-mapper` ...
    pub fn kind(&self) -> &'a str {
        self.0["protocolMapper"].as_str().unwrap_or_default()
    }

    pub fn is_group_membership(&self) -> bool {
        self.kind() == "oidc-group-membership-mapper"
    }

    /// Its Token Claim Name (`config["claim.name"]`).
    pub fn claim_name(&self) -> &'a str {
        self.0["config"]["claim.name"].as_str().unwrap_or_default()
    }

    /// A switch of its config (`full.path`, `id.token.claim` ...).
    pub fn on(&self, key: &str) -> bool {
        truthy(&self.0["config"][key])
    }
}

#[derive(Debug, Clone, Copy)]
pub struct User<'a>(pub &'a Value);

impl<'a> User<'a> {
    pub fn username(&self) -> &'a str {
        self.0["username"].as_str().unwrap_or_default()
    }

    pub fn email(&self) -> Option<&'a str> {
        self.0["email"].as_str()
    }

    /// Its groups, without the leading `/` of a path.
    pub fn groups(&self) -> Vec<String> {
        strings(&self.0["groups"])
            .map(|g| g.trim_start_matches('/').to_string())
            .collect()
    }

    pub fn realm_roles(&self) -> Vec<&'a str> {
        strings(&self.0["realmRoles"]).collect()
    }

    /// Whether it has both a first and a last name (Keycloak's default user
    /// profile requires both; its `name` claim needs one).
    pub fn has_full_name(&self) -> bool {
        ["firstName", "lastName"]
            .iter()
            .all(|k| self.0[*k].as_str().is_some_and(|v| !v.is_empty()))
    }

    /// The value of its plain `password` credential, if the export has one.
    pub fn password(&self) -> Option<&'a str> {
        self.0["credentials"]
            .as_array()?
            .iter()
            .find(|c| c["type"] == "password")?["value"]
            .as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn mappers_reach_a_client_through_its_scopes() {
        let rep = json!({
            "clients": [{"clientId": "dex", "defaultClientScopes": ["a"], "optionalClientScopes": ["b"],
                         "protocolMappers": [{"name": "own", "protocolMapper": "oidc-group-membership-mapper"}]}],
            "clientScopes": [
                {"name": "a", "protocolMappers": [{"name": "in-a", "protocolMapper": "oidc-audience-mapper"}]},
                {"name": "b", "protocolMappers": [{"name": "in-b", "protocolMapper": "oidc-group-membership-mapper",
                                                   "config": {"claim.name": "member_groups", "full.path": "true"}}]}
            ],
            "users": [{"username": "u", "email": "u@x", "groups": ["/admins"]}]
        });
        let realm = Realm(&rep);
        let client = realm.client("dex").unwrap();
        let names = |ms: Vec<Mapper>| ms.iter().map(|m| m.0["name"].clone()).collect::<Vec<_>>();
        assert_eq!(
            names(realm.mappers(client, Assigned::Default)),
            ["own", "in-a"]
        );
        assert_eq!(names(realm.group_mappers(client)), ["own", "in-b"]);
        let b = realm.group_mappers(client)[1];
        assert_eq!((b.claim_name(), b.on("full.path")), ("member_groups", true));
        assert_eq!(realm.user("u@x").unwrap().groups(), ["admins"]);
    }
}

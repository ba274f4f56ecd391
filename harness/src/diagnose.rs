//! Known misconfigurations: symptom → cause → fix.
//!
//! Each entry names the evidence that identifies it: what a run *showed* (the
//! page a sign-in ended on, Dex's log, the groups Dex logged, the claims) AND
//! what in the configuration explains it (the realm export, the Dex config).
//! A symptom alone is not enough: `groups=[]` has five causes, and the catalogue
//! tells them apart by the configuration. The happy path of every scenario
//! must match none.

use serde::Serialize;
use serde_json::Value;

use crate::dexlog::LoginLine;

/// What a run showed, hop by hop.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Observed {
    /// Text of every page a browser sign-in ended on.
    pub pages: Vec<String>,
    /// Dex's log during the steps.
    pub dex_log: String,
    /// Dex's `login successful` lines.
    pub dex_logins: Vec<LoginLine>,
    /// Keycloak's userinfo for the user, where a step asked it directly.
    pub keycloak_userinfo: Option<Value>,
    /// ID token claims Dex issued.
    pub dex_claims: Vec<Value>,
    /// What the emulated impersonation proxy refused or could not map.
    pub proxy: Vec<String>,
    /// The kube-apiserver's log.
    pub apiserver_log: String,
}

/// The configuration the run used (rendered).
#[derive(Debug, Clone, Copy, Default)]
pub struct Config<'a> {
    pub realm: Option<&'a Value>,
    pub dex: Option<&'a Value>,
    /// PaletteAI's impersonationProxy block.
    pub impersonation: Option<&'a Value>,
}

/// A catalogue entry that matched, with the evidence that made it match.
#[derive(Debug, Clone, Serialize)]
pub struct Diagnosis {
    pub id: &'static str,
    pub title: &'static str,
    pub cause: &'static str,
    pub fix: &'static str,
    pub reference: &'static str,
    pub evidence: String,
}

impl std::fmt::Display for Diagnosis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "[{}] {}", self.id, self.title)?;
        writeln!(f, "  evidence: {}", self.evidence)?;
        writeln!(f, "  cause:    {}", self.cause)?;
        writeln!(f, "  fix:      {}", self.fix)?;
        write!(f, "  see:      {}", self.reference)
    }
}

struct Known {
    id: &'static str,
    title: &'static str,
    cause: &'static str,
    fix: &'static str,
    reference: &'static str,
    matches: fn(&Config, &Observed) -> Option<String>,
}

const CATALOGUE: &[Known] = &[
    Known {
        id: "redirect-uri-mismatch",
        title: "Keycloak rejects Dex's redirect_uri",
        cause: "the connector's redirectURI is not exactly one of the Valid Redirect URIs of the Keycloak client (a trailing slash is enough)",
        fix: "make redirectURI in the Dex connector and Valid Redirect URIs on the client identical, character for character",
        reference: "guide 000, Common Issues: Invalid Redirect URI from Keycloak",
        matches: redirect_uri_mismatch,
    },
    Known {
        id: "dex-callback-mismatch",
        title: "Dex refuses its own connector's redirectURI",
        cause: "the connector's redirectURI is not Dex's callback URL (`<issuer>/callback`), e.g. a trailing slash; Dex checks this before it ever redirects to Keycloak",
        fix: "set redirectURI to exactly `<Dex issuer>/callback`, and the same on the Keycloak client",
        reference: "guide 000, Common Issues: Invalid Redirect URI from Keycloak (Dex side)",
        matches: dex_callback_mismatch,
    },
    Known {
        id: "static-password-hash-mismatch",
        title: "Dex rejects a static user's password",
        cause: "the bcrypt `hash` of the staticPasswords entry is not a hash of the password the user types",
        fix: "regenerate the hash from the real password (e.g. `htpasswd -bnBC 10 \"\" PASSWORD | tr -d ':'`) and put it in staticPasswords",
        reference: "guide 003 (Dex values: staticPasswords)",
        matches: static_password_hash_mismatch,
    },
    Known {
        id: "invalid-scope",
        title: "Keycloak rejects a scope Dex requests",
        cause: "a scope in the connector's `scopes` (e.g. `groups`) is not a client scope assigned to the Keycloak client",
        fix: "create the client scope and assign it to the client as a Default scope",
        reference: "guide 000, Common Issues: Invalid Scopes Error",
        matches: invalid_scope,
    },
    Known {
        id: "groups-not-enabled",
        title: "Dex drops the upstream groups",
        cause: "`insecureEnableGroups: true` is missing from the oidc connector: Dex ignores every groups claim, silently",
        fix: "add `insecureEnableGroups: true` to the connector config",
        reference: "guide 000, Common Issues: Empty Groups in Dex Logs",
        matches: groups_not_enabled,
    },
    Known {
        id: "group-mapper-missing",
        title: "Keycloak sends no group claim",
        cause: "the client's dedicated scope (`dex-dedicated`) has no Group Membership mapper, so no token or userinfo carries the groups",
        fix: "add a Group Membership mapper (claim `member_groups`, full path off, ID token/access token/userinfo on) to `dex-dedicated`",
        reference: "guide 000, Common Issues: Empty Groups in Dex Logs",
        matches: group_mapper_missing,
    },
    Known {
        id: "user-in-no-group",
        title: "The user is in no Keycloak group",
        cause: "the mapper works, but the user signing in is not a member of any group",
        fix: "add the user to a group (Users > user > Groups > Join Group)",
        reference: "guide 000, Common Issues: Empty Groups in Dex Logs",
        matches: user_in_no_group,
    },
    Known {
        id: "groups-only-in-userinfo",
        title: "Groups are only in userinfo, and Dex does not read it",
        cause: "`getUserInfo` is off and the Group Membership mapper does not add the claim to the ID token",
        fix: "set `getUserInfo: true` on the connector, or turn on \"Add to ID token\" on the mapper",
        reference: "guide 000, Configure the Dex Connector (getUserInfo)",
        matches: groups_only_in_userinfo,
    },
    Known {
        id: "claim-mapping-missing",
        title: "Dex looks for `groups` but Keycloak sends another claim",
        cause: "the mapper's Token Claim Name is not `groups` and the connector has no `claimMapping.groups` naming it",
        fix: "add `claimMapping: {groups: <the mapper's claim name>}` to the connector",
        reference: "guide 000, Configure the Dex Connector (claimMapping)",
        matches: claim_mapping_missing,
    },
    Known {
        id: "upstream-groups-claim-wins",
        title: "An upstream `groups` claim overrides claimMapping",
        cause: "the upstream token carries both `groups` and the claim named in `claimMapping.groups`; Dex uses `groups` unless `overrideClaimMapping: true`",
        fix: "remove the second mapper, or set `overrideClaimMapping: true` on the connector",
        reference: "Dex oidc connector: claimMapping / overrideClaimMapping",
        matches: upstream_groups_claim_wins,
    },
    Known {
        id: "full-group-path",
        title: "Groups arrive as full paths (`/admins`)",
        cause: "\"Full group path\" is on in the Group Membership mapper, so groups are `/admins`, not `admins`; RBAC bindings and group maps on `admins` never match",
        fix: "turn \"Full group path\" off on the mapper (or bind the `/admins` form)",
        reference: "guide 000, Configure the Keycloak Realm (Full group path: off)",
        matches: full_group_path,
    },
    Known {
        id: "apiserver-audience-mismatch",
        title: "The apiserver rejects the token's audience",
        cause: "`--oidc-client-id` (or the jwt audiences) is not the client the token was issued to, so the token's `aud` does not match",
        fix: "set --oidc-client-id to the Dex client kubelogin uses (`kubernetes` in the guide)",
        reference: "guide 003 (oidc-client-id: kubernetes)",
        matches: apiserver_audience_mismatch,
    },
    Known {
        id: "apiserver-issuer-mismatch",
        title: "The apiserver expects another issuer",
        cause: "`--oidc-issuer-url` differs from the token's `iss` (Dex's `issuer`), e.g. by a trailing slash",
        fix: "make --oidc-issuer-url exactly Dex's issuer, character for character",
        reference: "guide 003 (oidc-issuer-url = Dex issuer)",
        matches: apiserver_issuer_mismatch,
    },
    Known {
        id: "impersonation-passthrough-with-dexgroupmap",
        title: "The impersonation proxy refuses groupsMode: passthrough with dexGroupMap",
        cause: "`groupsMode: passthrough` cannot be combined with `dexGroupMap`",
        fix: "use `groupsMode: map` and list every external group under groupMap, or drop dexGroupMap",
        reference: "guide 000, Configure User Impersonation",
        matches: passthrough_with_dex_group_map,
    },
    Known {
        id: "email-verified-claim-missing",
        title: "Dex rejects the login: no `email_verified` claim",
        cause: "`insecureSkipEmailVerified` is off and Keycloak's tokens carry no `email_verified` claim",
        fix: "set `insecureSkipEmailVerified: true`, or make Keycloak emit `email_verified` (the `email` scope's mapper)",
        reference: "guide 000, Configure the Dex Connector (insecureSkipEmailVerified)",
        matches: email_verified_claim_missing,
    },
    Known {
        id: "email-unverified-passed-through",
        title: "An unverified email passes through Dex",
        cause: "the user's email is not verified in Keycloak, which sends `email_verified: false`; `insecureSkipEmailVerified` only covers a MISSING claim, so Dex passes the `false` on and apps that require a verified email refuse the user",
        fix: "turn on Email verified for the user in Keycloak",
        reference: "Dex oidc connector: insecureSkipEmailVerified",
        matches: email_unverified_passed,
    },
];

/// Every catalogue entry the evidence matches.
pub fn diagnose(config: &Config, seen: &Observed) -> Vec<Diagnosis> {
    CATALOGUE
        .iter()
        .filter_map(|k| {
            (k.matches)(config, seen).map(|evidence| Diagnosis {
                id: k.id,
                title: k.title,
                cause: k.cause,
                fix: k.fix,
                reference: k.reference,
                evidence,
            })
        })
        .collect()
}

/// Every id the catalogue knows (for validating scenario files).
pub fn known_ids() -> Vec<&'static str> {
    CATALOGUE.iter().map(|k| k.id).collect()
}

// ---- what the configuration says ----

fn oidc_connectors<'a>(c: &Config<'a>) -> Vec<&'a Value> {
    c.dex
        .and_then(|d| d["connectors"].as_array())
        .map(|cs| {
            cs.iter()
                .filter(|c| c["type"] == "oidc")
                .map(|c| &c["config"])
                .collect()
        })
        .unwrap_or_default()
}

fn truthy(v: &Value) -> bool {
    v.as_bool() == Some(true) || v.as_str() == Some("true")
}

/// The Keycloak client a connector signs in with.
fn client_of<'a>(c: &Config<'a>, connector: &Value) -> Option<&'a Value> {
    let id = connector["clientID"].as_str()?;
    c.realm?["clients"]
        .as_array()?
        .iter()
        .find(|cl| cl["clientId"] == id)
}

/// Group Membership mappers that reach a client's tokens: its own (the
/// dedicated scope) and those of the client scopes assigned to it.
fn group_mappers<'a>(c: &Config<'a>, client: &'a Value) -> Vec<&'a Value> {
    let is_group = |m: &&Value| m["protocolMapper"] == "oidc-group-membership-mapper";
    let mut found: Vec<&Value> = client["protocolMappers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(is_group)
        .collect();
    let assigned: Vec<&str> = ["defaultClientScopes", "optionalClientScopes"]
        .iter()
        .flat_map(|k| client[*k].as_array().into_iter().flatten())
        .filter_map(Value::as_str)
        .collect();
    if let Some(scopes) = c.realm.and_then(|r| r["clientScopes"].as_array()) {
        for scope in scopes
            .iter()
            .filter(|s| s["name"].as_str().is_some_and(|n| assigned.contains(&n)))
        {
            found.extend(
                scope["protocolMappers"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(is_group),
            );
        }
    }
    found
}

fn claim_name(mapper: &Value) -> &str {
    mapper["config"]["claim.name"].as_str().unwrap_or("")
}

fn empty_groups_login(seen: &Observed) -> Option<&LoginLine> {
    seen.dex_logins.iter().find(|l| l.groups.is_empty())
}

fn page_or_log_contains(seen: &Observed, needle: &str) -> Option<String> {
    seen.pages
        .iter()
        .chain(std::iter::once(&seen.dex_log))
        .flat_map(|t| t.lines())
        .find(|l| l.contains(needle))
        .map(|l| l.trim().to_string())
}

// ---- the matchers ----

fn redirect_uri_mismatch(c: &Config, seen: &Observed) -> Option<String> {
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

fn dex_callback_mismatch(_: &Config, seen: &Observed) -> Option<String> {
    let shown = page_or_log_contains(seen, "did not match the URL in the config")?;
    Some(format!("Dex logged: {shown}"))
}

fn static_password_hash_mismatch(c: &Config, seen: &Observed) -> Option<String> {
    let shown = page_or_log_contains(seen, "Invalid Email Address and password")?;
    let users: Vec<&str> = c.dex?["staticPasswords"]
        .as_array()?
        .iter()
        .filter_map(|p| p["email"].as_str())
        .collect();
    (!users.is_empty())
        .then(|| format!("Dex showed \"{shown}\"; static users: {}", users.join(", ")))
}

fn invalid_scope(c: &Config, seen: &Observed) -> Option<String> {
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

fn groups_not_enabled(c: &Config, seen: &Observed) -> Option<String> {
    let login = empty_groups_login(seen)?;
    let conn = oidc_connectors(c)
        .into_iter()
        .find(|conn| !truthy(&conn["insecureEnableGroups"]))?;
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

fn group_mapper_missing(c: &Config, seen: &Observed) -> Option<String> {
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

fn user_in_no_group(c: &Config, seen: &Observed) -> Option<String> {
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

fn groups_only_in_userinfo(c: &Config, seen: &Observed) -> Option<String> {
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

fn claim_mapping_missing(c: &Config, seen: &Observed) -> Option<String> {
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

fn upstream_groups_claim_wins(c: &Config, seen: &Observed) -> Option<String> {
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

fn full_group_path(c: &Config, seen: &Observed) -> Option<String> {
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

fn apiserver_line(seen: &Observed, needle: &str) -> Option<String> {
    seen.apiserver_log
        .lines()
        .find(|l| l.contains(needle))
        .map(|l| crate::components::browser::truncate(l.trim(), 400))
}

fn apiserver_audience_mismatch(_: &Config, seen: &Observed) -> Option<String> {
    apiserver_line(seen, "expected audience").map(|l| format!("kube-apiserver logged: {l}"))
}

fn apiserver_issuer_mismatch(_: &Config, seen: &Observed) -> Option<String> {
    apiserver_line(seen, "issued by a different provider")
        .or_else(|| apiserver_line(seen, "did not match the issuer"))
        .map(|l| format!("kube-apiserver logged: {l}"))
}

fn passthrough_with_dex_group_map(c: &Config, seen: &Observed) -> Option<String> {
    let refusal = seen
        .proxy
        .iter()
        .find(|p| p.contains("cannot be combined with dexGroupMap"))?;
    let p = c.impersonation?;
    (p["groupsMode"] == "passthrough"
        && p["dexGroupMap"].as_object().is_some_and(|m| !m.is_empty()))
    .then(|| format!("{refusal}; dexGroupMap = {}", p["dexGroupMap"]))
}

fn email_verified_claim_missing(c: &Config, seen: &Observed) -> Option<String> {
    let shown = page_or_log_contains(seen, "missing \"email_verified\" claim")?;
    let off = oidc_connectors(c)
        .into_iter()
        .any(|conn| !truthy(&conn["insecureSkipEmailVerified"]));
    off.then(|| format!("Dex: \"{shown}\"; insecureSkipEmailVerified is off"))
}

fn email_unverified_passed(c: &Config, seen: &Observed) -> Option<String> {
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

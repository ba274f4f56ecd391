//! Identity against authorisation: the username and groups the apiserver
//! computes from a token (its `--oidc-username-claim`/`-prefix` and
//! `--oidc-groups-claim`/`-prefix` with their defaults, or the claim
//! mappings of an AuthenticationConfiguration), predicted from the token's
//! claims, against what `kubectl auth whoami` said and the subjects of the
//! RBAC bindings.

use serde_json::Value;

use super::{ConfigView, Evidence};
use crate::model::evidence::{BindingAnswer, SeenIdentity};
use crate::model::report::IdentityCheck;
use crate::model::spec::ApiServerSpec;
use crate::programs::kube::rbac;

/// A flag's value in `oidc_flags` (`oidc-username-claim=email`).
fn flag<'a>(flags: &'a [String], name: &str) -> Option<&'a str> {
    flags.iter().find_map(|f| {
        f.trim_start_matches('-')
            .strip_prefix(name)
            .and_then(|v| v.strip_prefix('='))
    })
}

/// The legacy flags' username claim and prefix, with the apiserver's
/// defaulting: no prefix (or an empty one) means `<issuer>#` unless the
/// claim is email; `-` means none.
fn legacy_username(flags: &[String]) -> (&str, String) {
    let claim = flag(flags, "oidc-username-claim").unwrap_or("sub");
    let issuer = flag(flags, "oidc-issuer-url").unwrap_or("<issuer>");
    let prefix = match flag(flags, "oidc-username-prefix") {
        Some("-") => String::new(),
        None | Some("") if claim == "email" => String::new(),
        None | Some("") => format!("{issuer}#"),
        Some(p) => p.to_string(),
    };
    (claim, prefix)
}

/// How the apiserver names a token's user: the claim and the prefix, as the
/// flags (or their defaults) say, in words.
fn username_rule(flags: &[String]) -> (String, String) {
    let claim_text = match flag(flags, "oidc-username-claim") {
        Some(c) => format!("claim `{c}` (--oidc-username-claim)"),
        None => "claim `sub` (--oidc-username-claim not set)".to_string(),
    };
    let (claim, prefix) = legacy_username(flags);
    let why = match flag(flags, "oidc-username-prefix") {
        Some("-") => "--oidc-username-prefix=-",
        None | Some("") if claim == "email" => "the claim is email",
        Some("") => "--oidc-username-prefix empty, claim not email",
        None => "--oidc-username-prefix not set, claim not email",
        Some(_) => "--oidc-username-prefix",
    };
    let prefix_text = if prefix.is_empty() {
        format!("no prefix ({why})")
    } else {
        format!("the prefix `{prefix}` ({why})")
    };
    (claim_text, prefix_text)
}

/// How one of username or groups is made from a token.
#[derive(Debug, Clone, PartialEq)]
enum Mapping {
    Claim {
        claim: String,
        prefix: String,
    },
    /// A CEL expression: not predicted here.
    Expression(String),
}

impl Mapping {
    fn describe(&self, what: &str) -> String {
        match self {
            Mapping::Claim { claim, prefix } if prefix.is_empty() => {
                format!("{what} from claim `{claim}`, no prefix")
            }
            Mapping::Claim { claim, prefix } => {
                format!("{what} from claim `{claim}` with the prefix `{prefix}`")
            }
            Mapping::Expression(e) => format!("{what} by the CEL expression `{e}`"),
        }
    }
}

/// The apiserver's username and groups mappings.
fn mappings(api: &ApiServerSpec) -> Option<(Mapping, Option<Mapping>)> {
    if let Some(config) = &api.authentication_config {
        let claims = &config["jwt"][0]["claimMappings"];
        let mapping = |m: &Value| -> Option<Mapping> {
            if let Some(e) = m["expression"].as_str() {
                return Some(Mapping::Expression(e.to_string()));
            }
            Some(Mapping::Claim {
                claim: m["claim"].as_str()?.to_string(),
                prefix: m["prefix"].as_str().unwrap_or_default().to_string(),
            })
        };
        return Some((mapping(&claims["username"])?, mapping(&claims["groups"])));
    }
    let flags = &api.oidc_flags;
    if flags.is_empty() {
        return None;
    }
    let (claim, prefix) = legacy_username(flags);
    let groups = flag(flags, "oidc-groups-claim").map(|g| Mapping::Claim {
        claim: g.to_string(),
        prefix: flag(flags, "oidc-groups-prefix")
            .unwrap_or_default()
            .to_string(),
    });
    Some((
        Mapping::Claim {
            claim: claim.to_string(),
            prefix,
        },
        groups,
    ))
}

/// The username and groups the mappings give for `claims`, with the group
/// every authenticated user gets.
fn predict(
    claims: &Value,
    username: &Mapping,
    groups: Option<&Mapping>,
) -> Option<(String, Vec<String>)> {
    let Mapping::Claim { claim, prefix } = username else {
        return None;
    };
    let name = format!("{prefix}{}", claims[claim.as_str()].as_str()?);
    let mut all = match groups {
        None => Vec::new(),
        Some(Mapping::Claim { claim, prefix }) => claim_groups(claims, claim)
            .into_iter()
            .map(|g| format!("{prefix}{g}"))
            .collect(),
        Some(Mapping::Expression(_)) => return None,
    };
    all.push("system:authenticated".to_string());
    all.sort();
    Some((name, all))
}

/// Each user `kubectl auth whoami` was asked about: the apiserver's answer
/// beside the prediction from its settings, and the bindings' answers.
pub fn checks(c: &ConfigView, seen: &Evidence) -> Vec<IdentityCheck> {
    let rules = c.apiserver.as_ref().and_then(mappings);
    seen.identities
        .iter()
        .map(|id| {
            let rule = match &rules {
                Some((u, g)) => format!(
                    "{}; {}",
                    u.describe("username"),
                    g.as_ref().map(|g| g.describe("groups")).unwrap_or_else(|| {
                        "no groups from the token (--oidc-groups-claim not set)".into()
                    })
                ),
                None => "(no OIDC settings)".into(),
            };
            let predicted = rules
                .as_ref()
                .zip(id.claims.as_ref())
                .and_then(|((u, g), claims)| predict(claims, u, g.as_ref()));
            IdentityCheck {
                user: id.user.clone(),
                rule,
                predicted,
                username: id.username.clone(),
                groups: id.groups.clone(),
                bindings: answers(seen, &id.user)
                    .map(|a| {
                        format!(
                            "{} ({}): can-i {} → {} with the user's token ({} as the subject)",
                            a.binding,
                            a.subjects.join(", "),
                            a.action,
                            a.with_token,
                            a.as_subject
                        )
                    })
                    .collect(),
            }
        })
        .collect()
}

fn answers<'a>(seen: &'a Evidence, user: &'a str) -> impl Iterator<Item = &'a BindingAnswer> + 'a {
    seen.binding_answers.iter().filter(move |a| a.user == user)
}

/// A user none of whose bindings grants anything with their own token,
/// while some binding does grant its subject: the identity is not bound.
fn unbound<'a>(seen: &'a Evidence) -> impl Iterator<Item = &'a SeenIdentity> + 'a {
    seen.identities.iter().filter(|id| {
        answers(seen, &id.user).next().is_some()
            && answers(seen, &id.user).all(|a| a.with_token != "yes")
            && answers(seen, &id.user).any(|a| a.as_subject == "yes")
    })
}

fn shown(id: &SeenIdentity) -> String {
    format!("username `{}`, groups {:?}", id.username, id.groups)
}

/// A binding names a user or group the apiserver's identity almost is
/// (with a prefix, a path or another case), and grants nothing.
pub(super) fn subject_spelled_otherwise(c: &ConfigView, seen: &Evidence) -> Option<String> {
    let manifests = c.apiserver.as_ref()?.rbac.as_deref()?;
    let bindings = rbac::bindings(manifests).ok()?;
    let rules = c.apiserver.as_ref().and_then(mappings);
    unbound(seen).find_map(|id| {
        bindings.iter().find_map(|b| {
            let granted = answers(seen, &id.user)
                .any(|a| a.binding == b.name && a.as_subject == "yes");
            let (subject, near) = b
                .subjects
                .iter()
                .find_map(|s| Some((s, s.nearly(&id.username, &id.groups)?)))
                .filter(|_| granted)?;
            let rule = rules
                .as_ref()
                .map(|(u, g)| {
                    if subject.kind == "Group" {
                        g.as_ref()
                            .map(|g| g.describe("groups"))
                            .unwrap_or_default()
                    } else {
                        u.describe("username")
                    }
                })
                .unwrap_or_default();
            Some(format!(
                "{} names {subject}; the apiserver calls {} `{near}` ({rule}), so with {}'s own token the binding grants nothing",
                b.name, id.user, id.user
            ))
        })
    })
}

/// The relying party never asked for the `groups` scope, so Dex's token
/// has no groups, and the bindings name groups.
pub(super) fn groups_scope_not_requested(c: &ConfigView, seen: &Evidence) -> Option<String> {
    let manifests = c.apiserver.as_ref()?.rbac.as_deref()?;
    let bindings = rbac::bindings(manifests).ok()?;
    let group_binding = bindings
        .iter()
        .find(|b| b.subjects.iter().any(|s| s.kind == "Group"))?;
    unbound(seen).find_map(|id| {
        if id.groups.iter().any(|g| !g.starts_with("system:")) {
            return None;
        }
        let kubelogin = seen.commands.iter().find(|r| {
            r.identity == id.user && r.args.first().is_some_and(|a| a == "oidc-login")
        })?;
        let scopes: Vec<&str> = std::iter::once("openid")
            .chain(
                kubelogin
                    .args
                    .iter()
                    .filter_map(|a| a.strip_prefix("--oidc-extra-scope="))
                    .flat_map(|v| v.split(',')),
            )
            .collect();
        if scopes.contains(&"groups") {
            return None;
        }
        let subject = group_binding
            .subjects
            .iter()
            .find(|s| s.kind == "Group")
            .map(ToString::to_string)
            .unwrap_or_default();
        Some(format!(
            "kubelogin signs {} in with the scopes `{}` (no --oidc-extra-scope=groups), so Dex's token has no groups claim and the apiserver sees {}; {} names {subject}",
            id.user,
            scopes.join(" "),
            shown(id),
            group_binding.name
        ))
    })
}

/// The groups a token's claim carries (a list, or one string).
fn claim_groups(claims: &Value, claim: &str) -> Vec<String> {
    match &claims[claim] {
        Value::String(g) => vec![g.clone()],
        Value::Array(gs) => gs
            .iter()
            .filter_map(Value::as_str)
            .map(String::from)
            .collect(),
        _ => Vec::new(),
    }
}

/// The groups the apiserver gave a user beyond those it gives everyone.
fn own_groups(id: &SeenIdentity) -> Vec<&str> {
    id.groups
        .iter()
        .map(String::as_str)
        .filter(|g| !g.starts_with("system:"))
        .collect()
}

/// The bindings' group subjects, as `Group \`x\`` words, when there are any.
fn group_subjects(c: &ConfigView) -> Option<Vec<String>> {
    let manifests = c.apiserver.as_ref()?.rbac.as_deref()?;
    let bindings = rbac::bindings(manifests).ok()?;
    let groups: Vec<String> = bindings
        .iter()
        .flat_map(|b| b.subjects.iter())
        .filter(|s| s.kind == "Group")
        .map(ToString::to_string)
        .collect();
    (!groups.is_empty()).then_some(groups)
}

/// The token carries groups, the apiserver takes none from it: no
/// `--oidc-groups-claim` (or no `claimMappings.groups`), and the bindings
/// name groups.
pub(super) fn groups_claim_not_set(c: &ConfigView, seen: &Evidence) -> Option<String> {
    let (_, groups) = mappings(c.apiserver.as_ref()?)?;
    if groups.is_some() {
        return None;
    }
    let subjects = group_subjects(c)?;
    seen.identities.iter().find_map(|id| {
        let carried = claim_groups(id.claims.as_ref()?, "groups");
        (!carried.is_empty() && own_groups(id).is_empty()).then(|| {
            format!(
                "{}'s token carries `groups: {carried:?}`, but the apiserver takes no groups from tokens (no --oidc-groups-claim): kubectl auth whoami shows {}; the bindings name {}",
                id.user,
                shown(id),
                subjects.join(", ")
            )
        })
    })
}

/// The apiserver reads groups from a claim the token does not have, while
/// another claim of the token holds the groups.
pub(super) fn groups_claim_not_in_token(c: &ConfigView, seen: &Evidence) -> Option<String> {
    let (_, Some(Mapping::Claim { claim, .. })) = mappings(c.apiserver.as_ref()?)? else {
        return None;
    };
    let subjects = group_subjects(c)?;
    seen.identities.iter().find_map(|id| {
        let claims = id.claims.as_ref()?;
        if !claims[claim.as_str()].is_null() || !own_groups(id).is_empty() {
            return None;
        }
        let holder = ["groups", "member_groups", "roles"]
            .into_iter()
            .find(|k| *k != claim && !claim_groups(claims, k).is_empty())?;
        Some(format!(
            "the apiserver reads groups from the claim `{claim}`, which {}'s token does not have; its groups are in `{holder}`: {:?}; kubectl auth whoami shows {}; the bindings name {}",
            id.user,
            claim_groups(claims, holder),
            shown(id),
            subjects.join(", ")
        ))
    })
}

/// A binding names a group no Keycloak group is called, and a signed-in
/// user carries a group no binding names (a group renamed in Keycloak, or
/// one of another directory).
pub(super) fn rbac_group_not_in_keycloak(c: &ConfigView, seen: &Evidence) -> Option<String> {
    let realm = super::realm(c)?;
    let names: Vec<&str> = realm.0["groups"]
        .as_array()?
        .iter()
        .filter_map(|g| g["name"].as_str())
        .collect();
    let manifests = c.apiserver.as_ref()?.rbac.as_deref()?;
    let bindings = rbac::bindings(manifests).ok()?;
    let named = |g: &str| {
        bindings
            .iter()
            .any(|b| b.subjects.iter().any(|s| s.kind == "Group" && s.name == g))
    };
    let (binding, missing) = bindings.iter().find_map(|b| {
        b.subjects
            .iter()
            .find(|s| {
                s.kind == "Group"
                    && !s.name.starts_with("system:")
                    && !names.contains(&s.name.trim_start_matches('/'))
            })
            .map(|s| (b, s))
    })?;
    seen.identities.iter().find_map(|id| {
        let unnamed: Vec<&str> = own_groups(id).into_iter().filter(|g| !named(g)).collect();
        (!unnamed.is_empty()).then(|| {
            format!(
                "{} names {missing}, which is no group of realm {} (its groups: {}); {} carries {unnamed:?}, which no binding names",
                binding.name,
                realm.name(),
                names.join(", "),
                id.user
            )
        })
    })
}

/// A user's Keycloak groups were changed after their token was issued, and
/// a relying party (the apiserver, OSMO's Envoy) still saw what the token
/// carries.
pub(super) fn token_groups_outdated(_: &ConfigView, seen: &Evidence) -> Option<String> {
    seen.group_changes.iter().find_map(|change| {
        let changed = |iat: i64| {
            format!(
                "{}'s groups in Keycloak became {:?} {}s after the token was issued (iat {iat})",
                change.user,
                change.groups,
                change.at - iat
            )
        };
        let at_apiserver = seen
            .identities
            .get(change.identities_before..)?
            .iter()
            .find_map(|id| {
                let claims = id.claims.as_ref()?;
                let whose = claims["email"] == change.user.as_str()
                    || claims["preferred_username"] == change.user.as_str()
                    || id.user == change.user;
                let iat = claims["iat"].as_i64()?;
                // `iat` and the change have whole seconds: a token issued in
                // the second of the change is from before it (its groups say so).
                (whose && iat <= change.at && own_groups(id) != change.groups).then(|| {
                    format!(
                        "{}; the apiserver takes groups from the token, so it still sees {}",
                        changed(iat),
                        shown(id)
                    )
                })
            });
        at_apiserver.or_else(|| {
            seen.envoy.get(change.envoy_before..)?.iter().find_map(|d| {
                let iat = d.iat?;
                (d.user == change.user && iat <= change.at).then(|| {
                    format!(
                        "{}; Envoy read the roles from that token: {:?}, pools visible {:?}",
                        changed(iat),
                        d.roles.clone().unwrap_or_default(),
                        d.visible_pools
                    )
                })
            })
        })
    })
}

/// A signed-in user whom no binding names as the apiserver sees them.
pub(super) fn bound_by_nothing(c: &ConfigView, seen: &Evidence) -> Option<String> {
    let manifests = c.apiserver.as_ref()?.rbac.as_deref()?;
    let bindings = rbac::bindings(manifests).ok()?;
    let named: Vec<String> = bindings
        .iter()
        .map(|b| {
            let subjects: Vec<String> = b.subjects.iter().map(ToString::to_string).collect();
            format!("{} ({})", b.name, subjects.join(", "))
        })
        .collect();
    unbound(seen).next().map(|id| {
        format!(
            "no binding names {} as the apiserver sees them ({}); the bindings name: {}",
            id.user,
            shown(id),
            named.join("; ")
        )
    })
}

/// kubectl was Forbidden for a user the bindings made before it do not name,
/// while they name that user's plain name: the apiserver's username is not
/// what the bindings assume.
pub(super) fn username_not_bound(c: &ConfigView, seen: &Evidence) -> Option<String> {
    let flags = &c.apiserver.as_ref()?.oidc_flags;
    if flags.is_empty() {
        return None;
    }
    for (i, run) in seen.commands.iter().enumerate() {
        let Some(user) = run.forbidden_user() else {
            continue;
        };
        let bound: Vec<&str> = seen.commands[..i]
            .iter()
            .flat_map(|r| r.bound_users())
            .collect();
        if bound.is_empty() || bound.contains(&user) {
            continue;
        }
        // The binding names what the token says; the apiserver added to it.
        let Some(plain) = bound
            .iter()
            .find(|b| user.ends_with(**b) || user.contains(**b))
        else {
            let (claim, prefix) = username_rule(flags);
            return Some(format!(
                "kubectl as {}: `User \"{user}\" cannot …`; the bindings name {bound:?}; the apiserver names users by {claim} with {prefix}",
                run.identity
            ));
        };
        let (claim, prefix) = username_rule(flags);
        return Some(format!(
            "kubectl as {}: `User \"{user}\" cannot …`, while the binding names `{plain}`; the apiserver names users by {claim} with {prefix}",
            run.identity
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::evidence::CommandRun;
    use serde_json::json;

    fn run(args: &[&str], success: bool, output: &str) -> CommandRun {
        CommandRun {
            identity: "u".into(),
            args: args.iter().map(|a| a.to_string()).collect(),
            success,
            output: output.into(),
        }
    }

    #[track_caller]
    fn check(flags: &[&str], commands: Vec<CommandRun>, expected: Option<&str>) {
        let config = ConfigView {
            apiserver: Some(ApiServerSpec {
                oidc_flags: flags.iter().map(|f| f.to_string()).collect(),
                authentication_config: None,
                rbac: None,
            }),
            ..Default::default()
        };
        let seen = Evidence {
            commands,
            ..Default::default()
        };
        let got = username_not_bound(&config, &seen);
        match expected {
            None => assert_eq!(got, None),
            Some(text) => assert!(got.as_deref().is_some_and(|g| g.contains(text)), "{got:?}"),
        }
    }

    fn legacy(flags: &[&str], rbac: Option<&str>) -> ConfigView {
        ConfigView {
            apiserver: Some(ApiServerSpec {
                oidc_flags: flags.iter().map(|f| f.to_string()).collect(),
                authentication_config: None,
                rbac: rbac.map(String::from),
            }),
            ..Default::default()
        }
    }

    #[test]
    fn the_apiservers_defaults_predict_the_identity() {
        let claims = json!({"sub": "Cg1", "email": "a@x", "groups": ["admins"]});
        let predicted = |flags: &[&str]| {
            let c = legacy(flags, None);
            let (u, g) = mappings(c.apiserver.as_ref().unwrap()).unwrap();
            predict(&claims, &u, g.as_ref())
        };
        // No claim: `sub` under `<issuer>#`; no groups claim: no groups.
        assert_eq!(
            predicted(&["oidc-issuer-url=https://d/dex"]),
            Some((
                "https://d/dex#Cg1".into(),
                vec!["system:authenticated".into()]
            ))
        );
        // email: no prefix, also when the prefix is given empty.
        assert_eq!(
            predicted(&[
                "oidc-issuer-url=https://d/dex",
                "oidc-username-claim=email",
                "oidc-username-prefix="
            ])
            .unwrap()
            .0,
            "a@x"
        );
        // A static pod manifest's literal quotes are the prefix.
        assert_eq!(
            predicted(&["oidc-username-claim=email", "oidc-username-prefix=\"\""])
                .unwrap()
                .0,
            "\"\"a@x"
        );
        assert_eq!(
            predicted(&[
                "oidc-username-claim=email",
                "oidc-groups-claim=groups",
                "oidc-groups-prefix=oidc:"
            ])
            .unwrap()
            .1,
            ["oidc:admins", "system:authenticated"]
        );
        // A CEL expression is not predicted.
        let cel = ConfigView {
            apiserver: Some(ApiServerSpec {
                oidc_flags: vec![],
                authentication_config: Some(
                    json!({"jwt": [{"claimMappings": {"username": {"expression": "claims.email"}}}]}),
                ),
                rbac: None,
            }),
            ..Default::default()
        };
        let (u, g) = mappings(cel.apiserver.as_ref().unwrap()).unwrap();
        assert_eq!(predict(&claims, &u, g.as_ref()), None);
    }

    const GROUP_BINDING: &str = "kind: ClusterRoleBinding\nmetadata: {name: editors-edit}\nroleRef: {kind: ClusterRole, name: edit}\nsubjects:\n- {kind: Group, name: editors}\n";

    fn seen(groups: &[&str], with_token: &str, kubelogin_scopes: &str) -> Evidence {
        Evidence {
            identities: vec![SeenIdentity {
                user: "e@x".into(),
                username: "e@x".into(),
                groups: groups.iter().map(|g| g.to_string()).collect(),
                claims: None,
            }],
            binding_answers: vec![BindingAnswer {
                user: "e@x".into(),
                binding: "ClusterRoleBinding/editors-edit".into(),
                subjects: vec!["Group `editors`".into()],
                action: "create deployments.apps".into(),
                with_token: with_token.into(),
                as_subject: "yes".into(),
            }],
            commands: vec![CommandRun {
                identity: "e@x".into(),
                args: vec![
                    "oidc-login".into(),
                    "get-token".into(),
                    format!("--oidc-extra-scope={kubelogin_scopes}"),
                ],
                success: true,
                output: String::new(),
            }],
            ..Default::default()
        }
    }

    #[test]
    fn a_group_binding_against_the_apiservers_groups() {
        let c = legacy(
            &["oidc-groups-claim=groups", "oidc-groups-prefix=oidc:"],
            Some(GROUP_BINDING),
        );
        let prefixed = seen(
            &["oidc:editors", "system:authenticated"],
            "no",
            "email,groups",
        );
        assert!(
            subject_spelled_otherwise(&c, &prefixed).is_some_and(|m| m.contains(
                "ClusterRoleBinding/editors-edit names Group `editors`; the apiserver calls e@x `oidc:editors` (groups from claim `groups` with the prefix `oidc:`)"
            )),
            "{:?}",
            subject_spelled_otherwise(&c, &prefixed)
        );
        assert_eq!(groups_scope_not_requested(&c, &prefixed), None);
        // Granted with the token: nothing to say.
        let granted = seen(
            &["oidc:editors", "system:authenticated"],
            "yes",
            "email,groups",
        );
        assert_eq!(subject_spelled_otherwise(&c, &granted), None);
        assert_eq!(bound_by_nothing(&c, &granted), None);
        // No groups, and kubelogin never asked for them.
        let none = seen(&["system:authenticated"], "no", "email");
        assert!(
            groups_scope_not_requested(&c, &none)
                .is_some_and(|m| m.contains("scopes `openid email`"))
        );
        assert_eq!(subject_spelled_otherwise(&c, &none), None);
        assert!(bound_by_nothing(&c, &none).is_some());
        // It asked, and still none: another cause.
        let asked = seen(&["system:authenticated"], "no", "email,groups");
        assert_eq!(groups_scope_not_requested(&c, &asked), None);
    }

    #[test]
    fn a_prefixed_username_the_binding_does_not_name() {
        let bind = run(
            &[
                "create",
                "clusterrolebinding",
                "b",
                "--clusterrole=view",
                "--user=u@x",
            ],
            true,
            "clusterrolebinding.rbac.authorization.k8s.io/b created",
        );
        let refused = run(
            &["get", "pods"],
            false,
            "Error from server (Forbidden): pods is forbidden: User \"https://d/dex#u@x\" cannot list resource \"pods\"",
        );
        check(
            &["oidc-issuer-url=https://d/dex", "oidc-username-claim=name"],
            vec![bind.clone(), refused.clone()],
            Some(
                "binding names `u@x`; the apiserver names users by claim `name` (--oidc-username-claim) with the prefix `https://d/dex#`",
            ),
        );
        // Forbidden before any binding (the guide's order) is no finding.
        check(
            &["oidc-issuer-url=https://d/dex"],
            vec![refused.clone(), bind.clone()],
            None,
        );
        // The bound name itself refused: RBAC, not identity.
        let plain = run(
            &["get", "pods"],
            false,
            "User \"u@x\" cannot list resource \"pods\"",
        );
        check(&["oidc-issuer-url=https://d/dex"], vec![bind, plain], None);
    }
}

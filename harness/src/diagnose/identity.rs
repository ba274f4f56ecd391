//! Identity against authorisation: the username the apiserver computes from
//! a token (its `--oidc-username-claim` and `--oidc-username-prefix`, with
//! their defaults) against the users the RBAC bindings name.

use super::{ConfigView, Evidence};

/// A flag's value in `oidc_flags` (`oidc-username-claim=email`).
fn flag<'a>(flags: &'a [String], name: &str) -> Option<&'a str> {
    flags.iter().find_map(|f| {
        f.trim_start_matches('-')
            .strip_prefix(name)
            .and_then(|v| v.strip_prefix('='))
    })
}

/// How the apiserver names a token's user: the claim and the prefix, as the
/// flags (or their defaults) say, in words.
fn username_rule(flags: &[String]) -> (String, String) {
    let claim = flag(flags, "oidc-username-claim");
    let prefix = flag(flags, "oidc-username-prefix");
    let claim_text = match claim {
        Some(c) => format!("claim `{c}` (--oidc-username-claim)"),
        None => "claim `sub` (--oidc-username-claim not set)".to_string(),
    };
    let issuer = flag(flags, "oidc-issuer-url").unwrap_or("<issuer>");
    let prefix_text = match (prefix, claim.unwrap_or("sub")) {
        (Some("-"), _) => "no prefix (--oidc-username-prefix=-)".to_string(),
        (Some(""), "email") | (None, "email") => "no prefix (the claim is email)".to_string(),
        (Some(""), _) | (None, _) => format!(
            "the prefix `{issuer}#` (--oidc-username-prefix {}, claim not email)",
            if prefix.is_some() { "empty" } else { "not set" }
        ),
        (Some(p), _) => format!("the prefix `{p}` (--oidc-username-prefix)"),
    };
    (claim_text, prefix_text)
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
    use crate::model::spec::ApiServerSpec;

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

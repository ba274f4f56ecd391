//! The Kubernetes steps: the real kubectl (kubelogin's are in `kubelogin`),
//! and `can_i` matrices asked of the real apiserver two ways.

use super::Perform;
use super::kubelogin::kubectl_as_exec_user;
use super::tokens::{UNAUTHENTICATED, note_refused};
use crate::emulated::ImpersonationProxy;
use crate::error::{Error, Result};
use crate::model::evidence::{BindingAnswer, CommandRun, Impersonated, SeenIdentity};
use crate::model::report::StepReport;
use crate::model::steps::{BindingsCanI, CanI, Kubectl, ProxyCanI, Whoami};
use crate::programs::kube::client::Credential;
use crate::programs::kube::rbac;
use crate::run::cx::StepCx;
use crate::run::verify::{verify_error, verify_no_error, verify_text};

impl Perform for Kubectl {
    async fn perform(&self, cx: &mut StepCx<'_>) -> Result<StepReport> {
        use crate::programs::Program;
        let log_offset = cx.apiserver.as_ref().map(|a| a.log_text().len());
        let (success, text) = match cx.exec_users.get(&self.identity).cloned() {
            Some(entry) => kubectl_as_exec_user(cx, self, &entry).await?,
            None if self.sign_in.is_some() => {
                return Err(Error::step(
                    "kubectl",
                    format!(
                        "`sign_in` is for a user entry made by `set_credentials`; `{}` is not one",
                        self.identity
                    ),
                ));
            }
            None => kubectl_with_kubeconfig(cx, self).await?,
        };
        let seen = (success
            && self
                .args
                .starts_with(&["auth".to_string(), "whoami".to_string()]))
        .then(|| SeenIdentity::from_whoami(&text))
        .flatten();
        if let Some(seen) = &seen {
            cx.evidence.identities.push(SeenIdentity {
                user: self.identity.clone(),
                claims: cx.claims.get(&self.identity).cloned(),
                ..seen.clone()
            });
        }
        cx.evidence.commands.push(CommandRun {
            identity: self.identity.clone(),
            args: self.args.clone(),
            success,
            output: crate::model::text::truncate(&text, 2000),
        });
        if let Some(wanted) = self.success
            && success != wanted
        {
            return Err(Error::expectation(
                "kubectl",
                format!(
                    "expected kubectl to {}, it {}:\n{text}",
                    if wanted { "succeed" } else { "fail" },
                    if success { "succeeded" } else { "failed" }
                ),
            ));
        }
        verify_text("kubectl's output", &self.output, &text)?;
        if let (Some(wanted), Some(offset)) = (&self.apiserver_log, log_offset) {
            // The apiserver writes its line as it answers: allow it a moment.
            let api = cx.apiserver()?;
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
            let during = loop {
                let during = api.log_text().get(offset..).unwrap_or_default().to_string();
                if verify_text("", &Some(wanted.clone()), &during).is_ok()
                    || std::time::Instant::now() > deadline
                {
                    break during;
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            };
            verify_text(
                "the apiserver's log during the step",
                &self.apiserver_log,
                &during,
            )?;
        }
        if let Some(wanted) = &self.whoami {
            verify_whoami(wanted, seen.as_ref(), &text)?;
        }
        Ok(StepReport {
            error: (!success).then(|| text.lines().next().unwrap_or_default().to_string()),
            output: Some(text),
            ..Default::default()
        })
    }
}

/// The username and the whole group list, exactly: a prefix, a group too
/// many or one missing fails.
fn verify_whoami(wanted: &Whoami, seen: Option<&SeenIdentity>, text: &str) -> Result<()> {
    let Some(seen) = seen else {
        return Err(Error::expectation(
            "kubectl auth whoami",
            format!(
                "expected username `{}`, groups {:?}; kubectl said:\n{text}",
                wanted.username, wanted.groups
            ),
        ));
    };
    if seen.username != wanted.username || seen.groups != wanted.groups {
        return Err(Error::expectation(
            "kubectl auth whoami",
            format!(
                "expected username `{}`, groups {:?}; the apiserver says username `{}`, groups {:?}",
                wanted.username, wanted.groups, seen.username, seen.groups
            ),
        ));
    }
    Ok(())
}

/// kubectl as `admin` (client certificate) or with a user's token as a
/// static `token:` in a kubeconfig.
async fn kubectl_with_kubeconfig(cx: &mut StepCx<'_>, s: &Kubectl) -> Result<(bool, String)> {
    let api = cx.apiserver()?;
    let kubeconfig = if s.identity == "admin" {
        api.admin_kubeconfig().to_path_buf()
    } else {
        // Either outcome is fine (`diagnose`): a sign-in that failed earlier
        // leaves nothing to ask the apiserver with, which is the outcome.
        if s.success.is_none() && !cx.tokens.contains_key(&s.identity) {
            return Ok((
                false,
                format!(
                    "[harness] not asked: {} got no token in an earlier step",
                    s.identity
                ),
            ));
        }
        let token = cx.tokens.get(&s.identity).ok_or_else(|| {
            Error::step(
                "kubectl",
                format!(
                    "no token for `{}`: sign in with an earlier step",
                    s.identity
                ),
            )
        })?;
        api.token_kubeconfig(&safe_name(&s.identity), token)?
    };
    let out = api.kubectl(&kubeconfig, &s.args).await?;
    let text = format!("{}{}", out.stdout, out.stderr);
    if !out.success
        && text.contains(UNAUTHENTICATED)
        && let Some(token) = cx.tokens.get(&s.identity).cloned()
    {
        let source = format!("{}'s ID token as a kubeconfig `token:`", s.identity);
        note_refused(cx, source, &token, &text, false).await;
    }
    Ok((out.success, text))
}

/// Each row through impersonation (as `kubectl auth can-i --as --as-group`
/// does) and, when the user has a token, as the user; both must give the
/// expected answer, and a disagreement is reported as an identity problem.
impl Perform for CanI {
    async fn perform(&self, cx: &mut StepCx<'_>) -> Result<StepReport> {
        let api = cx.apiserver()?;
        let mut problems = Vec::new();
        let mut table = Vec::new();
        for (user, groups, action, expected) in &self.rows {
            let words: Vec<String> = action.split_whitespace().map(String::from).collect();
            let via_impersonation = api
                .can_i(Credential::Impersonate { user, groups }, &words, None)
                .await?;
            // Only an apiserver that trusts an OIDC issuer can take the user's token.
            let trusts_oidc = cx
                .scenario
                .apiserver
                .as_ref()
                .is_some_and(|a| !a.oidc_flags.is_empty() || a.authentication_config.is_some());
            let token = cx.tokens.get(user).filter(|_| trusts_oidc);
            let via_token = match token {
                Some(token) => Some(api.can_i(Credential::Token(token), &words, None).await?),
                None => None,
            };
            table.push(format!(
                "{user} {groups:?} {action}: impersonated={via_impersonation} token={} expected={expected}",
                via_token.as_deref().unwrap_or("-")
            ));
            if via_impersonation != *expected {
                problems.push(format!("{user} {groups:?} can-i {action}: expected {expected}, impersonation gave {via_impersonation}"));
            }
            if let (Some(t), Some(token)) = (&via_token, token)
                && *t != via_impersonation
            {
                let seen = match api.who_is(Credential::Token(token)).await {
                    Ok((name, groups)) => format!("username `{name}`, groups {groups:?}"),
                    Err(e) => format!("(no SelfSubjectReview: {e})"),
                };
                problems.push(format!(
                    "identity problem: {user} can-i {action} is `{t}` with the user's own token but `{via_impersonation}` when impersonated as {user} {groups:?}: the apiserver takes the token for {seen}, not what the matrix assumes"
                ));
            }
        }
        if !problems.is_empty() {
            return Err(Error::expectation(
                "can-i",
                format!("{}\n\nmatrix:\n{}", problems.join("\n"), table.join("\n")),
            ));
        }
        Ok(StepReport::default())
    }
}

/// Each binding of the user's RBAC manifests, asked for one request its role
/// allows, with every signed-in user's own token and as its first subject.
impl Perform for BindingsCanI {
    async fn perform(&self, cx: &mut StepCx<'_>) -> Result<StepReport> {
        let manifests = cx
            .scenario
            .apiserver
            .as_ref()
            .and_then(|a| a.rbac.clone())
            .unwrap_or_default();
        let bindings = rbac::bindings(&manifests)
            .map_err(|e| Error::step("bindings_can_i", format!("the RBAC manifests: {e}")))?;
        let api = cx.apiserver()?;
        let mut users: Vec<String> = cx.tokens.keys().cloned().collect();
        users.sort();
        let (mut table, mut answers) = (Vec::new(), Vec::new());
        for binding in &bindings {
            let Some(action) = &binding.action else {
                table.push(format!(
                    "{}: role {} is neither built in nor in the files: not asked",
                    binding.name, binding.role
                ));
                continue;
            };
            let ns = binding.namespace.as_deref();
            let as_subject = match binding
                .subjects
                .iter()
                .find(|s| s.kind == "User" || s.kind == "Group")
            {
                Some(subject) => {
                    let group = [subject.name.clone()];
                    let who = if subject.kind == "User" {
                        Credential::Impersonate {
                            user: &subject.name,
                            groups: &[],
                        }
                    } else {
                        Credential::Impersonate {
                            user: "oidc-harness:any-member",
                            groups: &group,
                        }
                    };
                    api.can_i(who, action, ns).await?
                }
                None => "-".to_string(),
            };
            for user in &users {
                let token = &cx.tokens[user];
                let with_token = api.can_i(Credential::Token(token), action, ns).await?;
                let shown = match ns {
                    Some(ns) => format!("{} -n {ns}", action.join(" ")),
                    None => action.join(" "),
                };
                table.push(format!(
                    "{user}: can-i {shown} ({}): {with_token} with the user's token, {as_subject} as the binding's subject",
                    binding.name
                ));
                answers.push(BindingAnswer {
                    user: user.clone(),
                    binding: binding.name.clone(),
                    subjects: binding.subjects.iter().map(|s| s.to_string()).collect(),
                    action: shown,
                    with_token,
                    as_subject: as_subject.clone(),
                });
            }
        }
        cx.evidence.binding_answers.extend(answers);
        Ok(StepReport {
            output: Some(table.join("\n")),
            ..Default::default()
        })
    }
}

/// Rows through the emulated PaletteAI impersonation proxy: the user's
/// verified Dex claims are mapped as the guide documents, and the real
/// apiserver is asked with those `--as`/`--as-group`.
impl Perform for ProxyCanI {
    async fn perform(&self, cx: &mut StepCx<'_>) -> Result<StepReport> {
        let config = cx
            .scenario
            .impersonation_proxy
            .clone()
            .ok_or_else(|| Error::step("proxy", "the scenario has no impersonation_proxy"))?;
        let proxy: ImpersonationProxy = serde_json::from_value(config)
            .map_err(|e| Error::step("proxy", format!("impersonation_proxy: {e}")))?;
        if let Err(refusal) = proxy.validate() {
            cx.evidence.impersonation_refusal = Some(refusal.clone());
            verify_error(&self.expect.error, &refusal, &refusal)?;
            return Ok(StepReport {
                error: Some(refusal),
                ..Default::default()
            });
        }
        verify_no_error(&self.expect.error, "the proxy accepted its configuration")?;
        let api = cx.apiserver()?;
        let mut problems = Vec::new();
        let mut table = Vec::new();
        let mut mapped = Vec::new();
        for (user, action, expected) in &self.rows {
            let claims = cx.claims.get(user).ok_or_else(|| {
                Error::step(
                    "proxy",
                    format!("`{user}` has not signed in in an earlier step"),
                )
            })?;
            let local = cx
                .evidence
                .dex_logins
                .iter()
                .any(|l| l.email == *user && l.connector_id == "local");
            let who = proxy.map(claims, local);
            mapped.push(Impersonated {
                user: user.clone(),
                dex_groups: claims["groups"].clone(),
                as_user: who.user.clone(),
                as_groups: who.groups.clone(),
                local,
            });
            let words: Vec<String> = action.split_whitespace().map(String::from).collect();
            let impersonated = Credential::Impersonate {
                user: &who.user,
                groups: &who.groups,
            };
            let got = api.can_i(impersonated, &words, None).await?;
            table.push(format!(
                "{user} (Dex groups {}) -> [emulated] --as={} --as-group={:?}: can-i {action} = {got} (expected {expected})",
                claims["groups"], who.user, who.groups
            ));
            if got != *expected {
                problems.push(format!(
                    "{user} can-i {action}: expected {expected}, got {got}"
                ));
            }
        }
        cx.evidence.impersonated.extend(mapped);
        if !problems.is_empty() {
            return Err(Error::expectation(
                "proxy can-i",
                format!("{}\n\nmatrix:\n{}", problems.join("\n"), table.join("\n")),
            ));
        }
        Ok(StepReport::default())
    }
}

pub(super) fn flag(args: &[String], name: &str) -> Option<String> {
    args.iter().find_map(|a| {
        a.strip_prefix(name)
            .and_then(|v| v.strip_prefix('='))
            .map(String::from)
    })
}

pub(super) fn safe_name(user: &str) -> String {
    user.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

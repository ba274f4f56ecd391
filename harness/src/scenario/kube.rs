//! The Kubernetes steps: the real kubelogin (its browser hook driven by the
//! harness's Chromium), the real kubectl, and `can_i` matrices asked of the
//! real apiserver two ways.

use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use super::runner::{
    SignInEnd, Stack, StepReport, redact, sign_in, verify_error, verify_no_error, verify_subset,
};
use super::{CanI, Kubectl, Kubelogin, ProxyCanI};
use crate::components::apiserver::ApiServer;
use crate::emulated::ImpersonationProxy;
use crate::error::{Error, IoContext, Result};
use crate::oidc::Provider;

impl Stack<'_> {
    fn apiserver(&self) -> Result<&ApiServer> {
        self.apiserver
            .as_ref()
            .ok_or_else(|| Error::step("kubectl", "the scenario has no apiserver"))
    }

    /// `kubectl oidc-login get-token` with the guide's flags. kubelogin runs
    /// `--browser-command URL` without a shell: the harness gives it a script
    /// that writes the URL down, then signs in at that URL with Chromium.
    pub(super) async fn do_kubelogin(&mut self, s: &Kubelogin) -> Result<StepReport> {
        let password = self.password_of(&s.user, &s.password)?;
        let url_file = self.dir.join("kubelogin-url");
        let _ = std::fs::remove_file(&url_file);
        let hook = self.dir.join("kubelogin-browser.sh");
        std::fs::write(
            &hook,
            format!("#!/bin/sh\nprintf '%s' \"$1\" > '{}'\n", url_file.display()),
        )
        .context(|| format!("writing {}", hook.display()))?;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755))
            .context(|| hook.display().to_string())?;
        let mut args = vec!["get-token".to_string()];
        args.extend(s.args.iter().cloned());
        args.extend([
            format!(
                "--token-cache-dir={}",
                self.dir.join("kube-cache").display()
            ),
            format!(
                "--certificate-authority={}",
                self.run.ca.cert_file().display()
            ),
            format!("--listen-address=127.0.0.1:{}", self.kubelogin_port),
            format!("--browser-command={}", hook.display()),
            "--authentication-timeout-sec=120".into(),
        ]);
        let log = self.dir.join("kubelogin.log");
        let mut child = tokio::process::Command::new(&self.run.programs.kubelogin)
            .args(&args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::fs::File::create(&log).context(|| log.display().to_string())?)
            .kill_on_drop(true)
            .spawn()
            .context(|| "starting kubelogin".into())?;
        let deadline = Instant::now() + Duration::from_secs(30);
        let url = loop {
            if let Ok(url) = std::fs::read_to_string(&url_file)
                && !url.is_empty()
            {
                break url;
            }
            if let Ok(Some(status)) = child.try_wait() {
                return Err(Error::step(
                    "kubelogin",
                    format!(
                        "exited ({status}) before opening a browser:\n{}",
                        crate::process::log_tail(&log, 20)
                    ),
                ));
            }
            if Instant::now() > deadline {
                return Err(Error::step("kubelogin", "never called its browser command"));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        let done = format!("http://localhost:{}", self.kubelogin_port);
        let browser = self.fresh_browser().await?;
        if let SignInEnd::Stopped { url, reason } = sign_in(
            browser,
            &url,
            &done,
            &s.user,
            &password,
            s.connector.as_deref(),
        )
        .await?
        {
            return Err(Error::step(
                "kubelogin sign-in",
                format!("{reason} at {url}"),
            ));
        }
        let out = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
            .await
            .map_err(|_| Error::step("kubelogin", "no token 60s after the sign-in"))?
            .context(|| "waiting for kubelogin".into())?;
        if !out.status.success() {
            return Err(Error::step(
                "kubelogin",
                format!(
                    "exited {}:\n{}",
                    out.status,
                    crate::process::log_tail(&log, 20)
                ),
            ));
        }
        let credential: serde_json::Value = serde_json::from_slice(&out.stdout)
            .map_err(|e| Error::step("kubelogin", format!("not an ExecCredential: {e}")))?;
        let token = credential["status"]["token"]
            .as_str()
            .ok_or_else(|| Error::step("kubelogin", format!("no status.token in {credential}")))?
            .to_string();
        let client_id = flag(&s.args, "--oidc-client-id").unwrap_or_default();
        let issuer = flag(&s.args, "--oidc-issuer-url").unwrap_or_default();
        let http = self.run.ca.http_client()?;
        let provider = Provider::discover(&http, "dex", &issuer).await?;
        let claims = provider.verify(&http, "dex", &token, &client_id).await?;
        verify_no_error(&s.expect, "kubelogin got a token")?;
        verify_subset(
            "kubelogin token claims",
            &s.expect.claims,
            &Some(claims.clone()),
        )?;
        if let Some(wanted) = s.expect.lifetime_seconds {
            let lifetime =
                claims["exp"].as_i64().unwrap_or(0) - claims["iat"].as_i64().unwrap_or(0);
            if lifetime != wanted {
                return Err(Error::step(
                    "kubelogin",
                    format!("the ID token lives {lifetime}s, expected {wanted}s"),
                ));
            }
        }
        self.tokens.insert(s.user.clone(), token);
        Ok(StepReport {
            claims: Some(redact(claims)),
            ..Default::default()
        })
    }

    pub(super) async fn do_kubectl(&mut self, s: &Kubectl) -> Result<StepReport> {
        let api = self.apiserver()?;
        let kubeconfig = if s.identity == "admin" {
            api.admin_kubeconfig().to_path_buf()
        } else {
            let token = self.tokens.get(&s.identity).ok_or_else(|| {
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
        if let Some(wanted) = s.success
            && out.success != wanted
        {
            return Err(Error::step(
                "kubectl",
                format!(
                    "expected kubectl to {}, it {}:\n{text}",
                    if wanted { "succeed" } else { "fail" },
                    if out.success { "succeeded" } else { "failed" }
                ),
            ));
        }
        if let Some(wanted) = &s.output
            && !text.contains(wanted.as_str())
        {
            return Err(Error::step(
                "kubectl",
                format!("expected the output to contain `{wanted}`:\n{text}"),
            ));
        }
        Ok(StepReport {
            error: (!out.success).then(|| text.lines().next().unwrap_or_default().to_string()),
            output: Some(text),
            ..Default::default()
        })
    }

    /// Each row through impersonation (as `kubectl auth can-i --as --as-group`
    /// does) and, when the user has a token, as the user; both must give the
    /// expected answer, and a disagreement is reported as an identity problem.
    pub(super) async fn do_can_i(&mut self, s: &CanI) -> Result<StepReport> {
        let api = self.apiserver()?;
        let mut problems = Vec::new();
        let mut table = Vec::new();
        for (user, groups, action, expected) in &s.rows {
            let mut args = vec!["auth".to_string(), "can-i".into()];
            args.extend(action.split_whitespace().map(String::from));
            let mut impersonated = args.clone();
            impersonated.push(format!("--as={user}"));
            impersonated.extend(groups.iter().map(|g| format!("--as-group={g}")));
            let via_impersonation = answer(
                &api.kubectl(api.admin_kubeconfig(), &impersonated)
                    .await?
                    .stdout,
            );
            // Only an apiserver that trusts an OIDC issuer can take the user's token.
            let trusts_oidc = self
                .scenario
                .apiserver
                .as_ref()
                .is_some_and(|a| !a.oidc_flags.is_empty() || a.authentication_config.is_some());
            let via_token = match self.tokens.get(user).filter(|_| trusts_oidc) {
                Some(token) => {
                    let kubeconfig = api.token_kubeconfig(&safe_name(user), token)?;
                    Some(answer(&api.kubectl(&kubeconfig, &args).await?.stdout))
                }
                None => None,
            };
            table.push(format!(
                "{user} {groups:?} {action}: impersonated={via_impersonation} token={} expected={expected}",
                via_token.as_deref().unwrap_or("-")
            ));
            if via_impersonation != *expected {
                problems.push(format!("{user} {groups:?} can-i {action}: expected {expected}, impersonation gave {via_impersonation}"));
            }
            if let Some(t) = &via_token
                && *t != via_impersonation
            {
                problems.push(format!(
                    "identity problem: {user} can-i {action} is `{t}` with the user's own token but `{via_impersonation}` when impersonated as {user} {groups:?}: the token's username or groups are not what the matrix assumes"
                ));
            }
        }
        if !problems.is_empty() {
            return Err(Error::step(
                "can-i",
                format!("{}\n\nmatrix:\n{}", problems.join("\n"), table.join("\n")),
            ));
        }
        Ok(StepReport::default())
    }
}

impl Stack<'_> {
    /// Rows through the emulated PaletteAI impersonation proxy: the user's
    /// verified Dex claims are mapped as the guide documents, and the real
    /// apiserver is asked with those `--as`/`--as-group`.
    pub(super) async fn do_proxy_can_i(&mut self, s: &ProxyCanI) -> Result<StepReport> {
        let config = self
            .scenario
            .impersonation_proxy
            .clone()
            .ok_or_else(|| Error::step("proxy", "the scenario has no impersonation_proxy"))?;
        let proxy: ImpersonationProxy = serde_json::from_value(config)
            .map_err(|e| Error::step("proxy", format!("impersonation_proxy: {e}")))?;
        if let Err(refusal) = proxy.validate() {
            self.observed.proxy.push(refusal.clone());
            verify_error(&s.expect, &refusal, &refusal)?;
            return Ok(StepReport {
                error: Some(refusal),
                ..Default::default()
            });
        }
        verify_no_error(&s.expect, "the proxy accepted its configuration")?;
        let api = self.apiserver()?;
        let mut problems = Vec::new();
        let mut table = Vec::new();
        let mut unmapped = Vec::new();
        for (user, action, expected) in &s.rows {
            let claims = self.claims.get(user).ok_or_else(|| {
                Error::step(
                    "proxy",
                    format!("`{user}` has not signed in in an earlier step"),
                )
            })?;
            let local = self
                .observed
                .dex_logins
                .iter()
                .any(|l| l.email == *user && l.connector_id == "local");
            let who = proxy.map(claims, local);
            if who.groups.is_empty() {
                unmapped.push(format!(
                    "[emulated] no impersonation groups for {user} (Dex groups {})",
                    claims["groups"]
                ));
            }
            let mut args = vec!["auth".to_string(), "can-i".into()];
            args.extend(action.split_whitespace().map(String::from));
            args.push(format!("--as={}", who.user));
            args.extend(who.groups.iter().map(|g| format!("--as-group={g}")));
            let got = answer(&api.kubectl(api.admin_kubeconfig(), &args).await?.stdout);
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
        self.observed.proxy.extend(unmapped);
        if !problems.is_empty() {
            return Err(Error::step(
                "proxy can-i",
                format!("{}\n\nmatrix:\n{}", problems.join("\n"), table.join("\n")),
            ));
        }
        Ok(StepReport::default())
    }
}

fn answer(stdout: &str) -> String {
    stdout.lines().next().unwrap_or_default().trim().to_string()
}

fn flag(args: &[String], name: &str) -> Option<String> {
    args.iter().find_map(|a| {
        a.strip_prefix(name)
            .and_then(|v| v.strip_prefix('='))
            .map(String::from)
    })
}

fn safe_name(user: &str) -> String {
    user.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

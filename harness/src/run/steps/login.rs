//! The sign-in steps: `password_grant` (curl in a guide) and `browser_login`,
//! either through the whole chain (app -> Dex -> Keycloak -> Dex -> app) or
//! straight at the realm as a Keycloak client, with offline_access refresh.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::Value;

use super::Perform;
use crate::error::{Error, Result};
use crate::infra::dexlog;
use crate::infra::oidc::{Provider, TokenAnswer, random_token};
use crate::model::evidence::Refusal;
use crate::model::report::StepReport;
use crate::model::steps::{At, BrowserLogin, PasswordGrant};
use crate::programs::Program;
use crate::programs::app::SignIn;
use crate::run::cx::{StepCx, grant_key};
use crate::run::signin::{Goal, Prompts, SignInEnd, sign_in, sign_in_prompted};
use crate::run::verify::{
    expected_stop, redact, settle_log, verify_absent, verify_dex_login, verify_error,
    verify_no_error, verify_subset, verify_text, wait_login_line,
};

impl Perform for PasswordGrant {
    async fn perform(&self, cx: &mut StepCx<'_>) -> Result<StepReport> {
        let http = cx.run.ca.http_client()?;
        let program = self.at.program();
        let provider = Provider::discover(&http, program, &cx.issuer(self.at)?).await?;
        let password = cx.password_of(&self.user, &self.password)?;
        let form = [
            ("grant_type", "password"),
            ("username", self.user.as_str()),
            ("password", password.as_str()),
            ("scope", self.scope.as_str()),
        ];
        let answer = provider
            .token(&http, program, (&self.client, &self.client_secret), &form)
            .await?;
        let mut report = StepReport::default();
        match answer {
            TokenAnswer::Refused(r) => {
                report.error = Some(r.error.clone());
                cx.evidence.refusals.push(r.evidence(program));
                verify_error(&self.expect.error, &r.to_string(), &r.error)?;
            }
            TokenAnswer::Tokens(tokens) => {
                verify_no_error(&self.expect.error, "the token endpoint issued tokens")?;
                if let Some(id_token) = tokens["id_token"].as_str() {
                    report.claims = Some(
                        provider
                            .verify(&http, program, id_token, &self.client)
                            .await?,
                    );
                    cx.tokens.insert(self.user.clone(), id_token.to_string());
                }
                if let Some(access) = tokens["access_token"].as_str()
                    && self.expect.userinfo.is_some()
                {
                    report.userinfo = Some(provider.userinfo(&http, program, access).await?);
                }
                if self.at == At::Keycloak {
                    cx.grants
                        .insert(grant_key(&self.client, &self.user), tokens.clone());
                }
                verify_subset("ID token claims", &self.expect.claims, &report.claims)?;
                verify_subset("userinfo", &self.expect.userinfo, &report.userinfo)?;
                report.claims = report.claims.map(redact);
            }
        }
        Ok(report)
    }
}

impl Perform for BrowserLogin {
    async fn perform(&self, cx: &mut StepCx<'_>) -> Result<StepReport> {
        let password = cx.password_of(&self.user, &self.password)?;
        match self.at {
            At::Dex => login_through_dex(cx, self, &password).await,
            At::Keycloak => login_at_keycloak(cx, self, &password).await,
        }
    }
}

/// The whole chain: app -> Dex -> Keycloak -> Dex -> app.
async fn login_through_dex(
    cx: &mut StepCx<'_>,
    s: &BrowserLogin,
    password: &str,
) -> Result<StepReport> {
    let app = cx
        .app
        .as_ref()
        .ok_or_else(|| Error::step("browser_login", "the scenario has no app"))?;
    let (login, done) = (app.login_url(), app.redirect_uri());
    let dex = cx
        .dex
        .as_ref()
        .ok_or_else(|| Error::step("browser_login", "the scenario has no dex"))?;
    let (logins_before, log_offset) = (dexlog::logins(&dex.log_text()).len(), dex.log_text().len());
    let browser = cx.fresh_browser().await?;
    let end = sign_in(
        browser,
        &login,
        &done,
        &s.user,
        password,
        s.connector.as_deref(),
    )
    .await?;
    let page = browser
        .summary_or_evidence(matches!(end, SignInEnd::Stopped { .. }), "signed-in")
        .await;
    cx.evidence.pages.push(page.seen());
    let dex = cx.dex.as_ref().expect("checked above");
    let mut report = StepReport {
        page: Some(page.clone()),
        snapshot: s.snapshot.clone(),
        ..Default::default()
    };
    if let SignInEnd::Stopped { url, reason } = end {
        let dex_log = settle_log(dex, log_offset).await;
        cx.evidence.dex_log.push_str(&dex_log);
        report.error = Some(expected_stop(
            &s.expect.page_text,
            &s.expect.dex_log,
            &url,
            &reason,
            &page.text,
            Some(&dex_log),
        )?);
        return Ok(report);
    }
    let result = cx
        .app
        .as_ref()
        .expect("checked above")
        .next_result(Duration::from_secs(20))
        .await
        .ok_or_else(|| {
            Error::step(
                "callback",
                "the app's callback was reached but gave no result",
            )
        })?;
    report.dex_login = wait_login_line(dex, logins_before).await;
    let dex_log = settle_log(dex, log_offset).await;
    cx.evidence.dex_log.push_str(&dex_log);
    cx.evidence.dex_logins.extend(report.dex_login.clone());
    verify_text("Dex's log", &s.expect.dex_log, &dex_log)?;
    verify_text("the app's page", &s.expect.page_text, &page.text)?;
    match result {
        SignIn::Failed { error } => {
            report.error = Some(error.clone());
            let code = error.split(':').next().unwrap_or_default().to_string();
            verify_error(&s.expect.error, &error, &code)?;
            return Ok(report);
        }
        SignIn::Tokens { claims, tokens } => {
            verify_no_error(&s.expect.error, "the sign-in succeeded")?;
            if let Some(t) = tokens["id_token"].as_str() {
                cx.tokens.insert(s.user.clone(), t.to_string());
            }
            if s.expect.refresh {
                report.output = Some(verify_refresh(cx, &tokens, &claims).await?);
            }
            cx.claims.insert(s.user.clone(), claims.clone());
            cx.evidence.dex_claims.push(claims.clone());
            report.claims = Some(claims);
        }
    }
    verify_subset("ID token claims (Dex)", &s.expect.claims, &report.claims)?;
    verify_absent(
        "ID token claims (Dex)",
        &s.expect.claims_absent,
        &report.claims,
    )?;
    verify_dex_login(&s.expect.dex_login, &report.dex_login)?;
    report.claims = report.claims.map(redact);
    Ok(report)
}

/// offline_access: the refresh token redeemed at Dex as the app gives a
/// new ID token for the same subject.
async fn verify_refresh(cx: &StepCx<'_>, tokens: &Value, claims: &Value) -> Result<String> {
    let refresh = tokens["refresh_token"].as_str().ok_or_else(|| {
        Error::step(
            "refresh",
            "no refresh_token came with the tokens (offline_access)",
        )
    })?;
    let (app, dex) = match (&cx.scenario.app, &cx.dex) {
        (Some(a), Some(d)) => (a, d),
        _ => return Err(Error::step("refresh", "needs the app and Dex")),
    };
    let http = cx.run.ca.http_client()?;
    let provider = Provider::discover(&http, "dex", dex.issuer()).await?;
    let form = [("grant_type", "refresh_token"), ("refresh_token", refresh)];
    let fresh = match provider
        .token(&http, "dex", (&app.client_id, &app.client_secret), &form)
        .await?
    {
        TokenAnswer::Tokens(t) => t,
        TokenAnswer::Refused(r) => {
            return Err(Error::step(
                "refresh",
                format!("Dex refused the refresh token: {r}"),
            ));
        }
    };
    let id_token = fresh["id_token"]
        .as_str()
        .ok_or_else(|| Error::step("refresh", "no id_token in the refresh answer"))?;
    let renewed = provider
        .verify(&http, "dex", id_token, &app.client_id)
        .await?;
    if renewed["sub"] != claims["sub"] {
        return Err(Error::step(
            "refresh",
            format!(
                "the refreshed ID token is for {} not {}",
                renewed["sub"], claims["sub"]
            ),
        ));
    }
    Ok(format!(
        "refresh_token redeemed: new ID token for {} (iat {} -> {})",
        renewed["email"], claims["iat"], renewed["iat"]
    ))
}

/// A code flow straight at the realm as the given client (e.g. the guide's
/// "verify the Keycloak configuration" with the flow the client allows).
async fn login_at_keycloak(
    cx: &mut StepCx<'_>,
    s: &BrowserLogin,
    password: &str,
) -> Result<StepReport> {
    let need = |v: &Option<String>, what: &str| {
        v.clone()
            .ok_or_else(|| Error::step("browser_login", format!("`at: keycloak` needs `{what}`")))
    };
    let client = need(&s.client, "client")?;
    let secret = need(&s.client_secret, "client_secret")?;
    let redirect = need(&s.redirect_uri, "redirect_uri")?;
    let http = cx.run.ca.http_client()?;
    let provider = Provider::discover(&http, "keycloak", &cx.issuer(At::Keycloak)?).await?;
    let mut url = url::Url::parse(&provider.authorization_endpoint)
        .map_err(|e| Error::step("authorize", e.to_string()))?;
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &client)
        .append_pair("redirect_uri", &redirect)
        .append_pair("scope", s.scope.as_deref().unwrap_or("openid"))
        .append_pair("state", &random_token(16));
    let browser = cx.fresh_browser().await?;
    // The browser lands on the client's redirect URI (Dex's callback here);
    // the code is read from the address bar before anything redeems it.
    let prompts = Prompts {
        new_password: s.new_password.as_deref(),
        ..Prompts::default()
    };
    let end = sign_in_prompted(
        browser,
        url.as_str(),
        Goal::Url(&redirect),
        &s.user,
        password,
        None,
        prompts,
    )
    .await?;
    let page = browser
        .summary_or_evidence(matches!(end, SignInEnd::Stopped { .. }), "keycloak")
        .await;
    cx.evidence.pages.push(page.seen());
    let mut report = StepReport {
        page: Some(page.clone()),
        snapshot: s.snapshot.clone(),
        ..Default::default()
    };
    let landed = match end {
        SignInEnd::Reached { url, .. } => url,
        SignInEnd::Stopped { url, reason } => {
            report.error = Some(expected_stop(
                &s.expect.page_text,
                &None,
                &url,
                &reason,
                &page.text,
                None,
            )?);
            return Ok(report);
        }
    };
    let landed = url::Url::parse(&landed).map_err(|e| Error::step("callback", e.to_string()))?;
    let query: HashMap<_, _> = landed.query_pairs().into_owned().collect();
    if let Some(error) = query.get("error") {
        report.error = Some(error.clone());
        let refusal = Refusal {
            program: "keycloak".into(),
            status: 0,
            error: error.clone(),
            description: query.get("error_description").cloned().unwrap_or_default(),
        };
        let shown = refusal.text();
        cx.evidence.refusals.push(refusal);
        verify_error(&s.expect.error, &shown, error)?;
        return Ok(report);
    }
    let code = query
        .get("code")
        .ok_or_else(|| Error::step("callback", format!("no code in {landed}")))?;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", redirect.as_str()),
    ];
    let tokens = match provider
        .token(&http, "keycloak", (&client, &secret), &form)
        .await?
    {
        TokenAnswer::Tokens(t) => t,
        TokenAnswer::Refused(r) => {
            report.error = Some(r.error.clone());
            cx.evidence.refusals.push(r.evidence("keycloak"));
            verify_error(&s.expect.error, &r.to_string(), &r.error)?;
            return Ok(report);
        }
    };
    verify_no_error(&s.expect.error, "the code was exchanged for tokens")?;
    if let Some(id_token) = tokens["id_token"].as_str() {
        report.claims = Some(
            provider
                .verify(&http, "keycloak", id_token, &client)
                .await?,
        );
    }
    let access = tokens["access_token"].as_str().unwrap_or_default();
    report.userinfo = Some(provider.userinfo(&http, "keycloak", access).await?);
    cx.evidence.keycloak_userinfo = report.userinfo.clone();
    report.access_claims = Some(provider.verify_jwt(&http, "keycloak", access, &[]).await?);
    cx.grants
        .insert(grant_key(&client, &s.user), tokens.clone());
    verify_subset(
        "ID token claims (Keycloak)",
        &s.expect.claims,
        &report.claims,
    )?;
    verify_subset(
        "access token claims (Keycloak)",
        &s.expect.access_claims,
        &report.access_claims,
    )?;
    verify_subset("userinfo (Keycloak)", &s.expect.userinfo, &report.userinfo)?;
    verify_absent(
        "ID token claims (Keycloak)",
        &s.expect.claims_absent,
        &report.claims,
    )?;
    report.claims = report.claims.map(redact);
    report.access_claims = report.access_claims.map(redact);
    report.userinfo = report.userinfo.map(redact);
    Ok(report)
}

//! `device_login`: the OAuth 2.0 Device Authorization Grant (RFC 8628) the way
//! a CLI runs it (OSMO's `osmo login`). The harness asks the device
//! authorization endpoint for a code; the browser opens
//! `verification_uri_complete` (or `verification_uri` and types the user code),
//! signs in on the real login pages and approves the grant; meanwhile the
//! harness polls the token endpoint, waiting `interval` seconds between polls
//! and five more after each `slow_down`, until tokens come or the code expires.

use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::Perform;
use crate::error::{Error, Result};
use crate::infra::oidc::{Provider, TokenRefusal, send};
use crate::model::evidence::{DeviceAuthorization, Refusal};
use crate::model::report::StepReport;
use crate::model::steps::{At, DeviceLogin};
use crate::run::cx::StepCx;
use crate::run::signin::{Goal, Prompts, SignInEnd, sign_in_prompted};
use crate::run::verify::{
    expected_stop, redact, verify_absent, verify_error, verify_no_error, verify_subset,
};

/// The grant type a device polls with.
pub const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// What Keycloak's page says once the device is approved.
const DEVICE_APPROVED: &str = "Device Login Successful";

/// RFC 8628 3.5: the interval grows by 5 seconds on `slow_down`.
const SLOW_DOWN_STEP: u64 = 5;

/// How the polling went.
#[derive(Debug, Default)]
struct Polled {
    answers: Vec<String>,
    tokens: Option<Value>,
    /// An error that ends the grant (`access_denied`, `expired_token` ...).
    refused: Option<TokenRefusal>,
    interval: u64,
}

impl Perform for DeviceLogin {
    async fn perform(&self, cx: &mut StepCx<'_>) -> Result<StepReport> {
        let password = cx.password_of(&self.user, &self.password)?;
        let http = cx.run.ca.http_client()?;
        let issuer = cx.issuer(At::Keycloak)?;
        let provider = Provider::discover(&http, "keycloak", &issuer).await?;
        let endpoint = match &self.endpoint {
            Some(e) => e.clone(),
            None => provider.raw["device_authorization_endpoint"]
                .as_str()
                .map(str::to_string)
                .ok_or_else(|| {
                    Error::http(
                        "keycloak",
                        &issuer,
                        "no device_authorization_endpoint in discovery",
                    )
                })?,
        };
        let scope = self.scope.as_deref().unwrap_or("openid");
        let mut report = StepReport::default();
        let form = [("client_id", self.client.as_str()), ("scope", scope)];
        let (status, text) = send(http.post(&endpoint).form(&form), "keycloak", &endpoint).await?;
        let status = status.as_u16();
        let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if status != 200 {
            let code = body["error"].as_str().unwrap_or_default().to_string();
            let shown = format!(
                "device authorization at {endpoint} answered {status}: {}",
                crate::model::text::truncate(text.trim(), 300)
            );
            cx.evidence.refusals.push(Refusal {
                program: "keycloak".into(),
                status,
                error: code.clone(),
                description: text.clone(),
            });
            cx.evidence.device_authorizations.push(DeviceAuthorization {
                client: self.client.clone(),
                endpoint: endpoint.clone(),
                discovery: provider.raw["device_authorization_endpoint"]
                    .as_str()
                    .map(String::from),
                status,
                body: text.clone(),
            });
            report.error = Some(if code.is_empty() {
                status.to_string()
            } else {
                code.clone()
            });
            report.output = Some(shown.clone());
            verify_error(&self.expect.error, &shown, &code)?;
            return Ok(report);
        }
        let field = |k: &str| {
            body[k]
                .as_str()
                .map(str::to_string)
                .ok_or_else(|| Error::http("keycloak", &endpoint, format!("no `{k}` in {body}")))
        };
        let device_code = field("device_code")?;
        let user_code = field("user_code")?;
        let start = if self.type_user_code {
            field("verification_uri")?
        } else {
            field("verification_uri_complete")?
        };
        let interval = body["interval"].as_u64().unwrap_or(5);
        let expires_in = body["expires_in"].as_u64().unwrap_or(600);

        let browser_end = AtomicU8::new(BROWSER_SIGNING_IN);
        let poll = poll(
            &http,
            &provider.token_endpoint,
            &self.client,
            &device_code,
            interval,
            expires_in,
            &browser_end,
        );
        let browser = cx.fresh_browser().await?;
        let sign_in = async {
            let prompts = Prompts {
                user_code: self.type_user_code.then_some(user_code.as_str()),
                ..Prompts::default()
            };
            let end = sign_in_prompted(
                browser,
                &start,
                Goal::Text(DEVICE_APPROVED),
                &self.user,
                &password,
                None,
                prompts,
            )
            .await;
            let state = match end {
                Ok(SignInEnd::Reached { .. }) => BROWSER_APPROVED,
                _ => BROWSER_GAVE_UP,
            };
            browser_end.store(state, Ordering::SeqCst);
            end
        };
        let (end, polled) = tokio::join!(sign_in, poll);
        let stopped = !matches!(end, Ok(SignInEnd::Reached { .. }));
        let page = browser.summary_or_evidence(stopped, "device").await;
        cx.evidence.pages.push(page.seen());
        report.page = Some(page.clone());
        let polled = polled?;
        let mut summary = vec![format!(
            "device authorization at {endpoint}: user_code {user_code}, interval {interval}s, expires_in {expires_in}s; opened {start}"
        )];
        summary.push(format!(
            "polled the token endpoint {} times (interval at the end {}s): {}",
            polled.answers.len(),
            polled.interval,
            polled.answers.join(", ")
        ));
        report.output = Some(summary.join("\n"));
        if let SignInEnd::Stopped { url, reason } = end? {
            report.error = Some(expected_stop(
                &self.expect.page_text,
                &None,
                &url,
                &reason,
                &page.text,
                None,
            )?);
            return Ok(report);
        }
        if let Some(r) = polled.refused {
            let shown = r.to_string();
            cx.evidence.refusals.push(r.evidence("keycloak"));
            report.error = Some(r.error.clone());
            verify_error(&self.expect.error, &shown, &r.error)?;
            return Ok(report);
        }
        let tokens = polled.tokens.ok_or_else(|| {
            Error::step(
                "device_login",
                format!(
                    "the browser approved the device but polling gave no tokens: {}",
                    polled.answers.join(", ")
                ),
            )
        })?;
        verify_no_error(&self.expect.error, "the device got tokens")?;
        let id_token = tokens["id_token"].as_str().unwrap_or_default();
        if !id_token.is_empty() {
            report.claims = Some(
                provider
                    .verify(&http, "keycloak", id_token, &self.client)
                    .await?,
            );
            cx.tokens.insert(self.user.clone(), id_token.to_string());
        }
        if let Some(access) = tokens["access_token"].as_str() {
            report.access_claims = Some(provider.verify_jwt(&http, "keycloak", access, &[]).await?);
        }
        cx.grants
            .insert(crate::run::cx::grant_key(&self.client, &self.user), tokens);
        verify_subset("ID token claims", &self.expect.claims, &report.claims)?;
        verify_absent(
            "ID token claims",
            &self.expect.claims_absent,
            &report.claims,
        )?;
        verify_subset(
            "access token claims",
            &self.expect.access_claims,
            &report.access_claims,
        )?;
        report.claims = report.claims.map(redact);
        report.snapshot = self.snapshot.clone();
        report.access_claims = report.access_claims.map(redact);
        Ok(report)
    }
}

/// Where the browser's part of the device flow is, for the poller.
const BROWSER_SIGNING_IN: u8 = 0;
const BROWSER_APPROVED: u8 = 1;
const BROWSER_GAVE_UP: u8 = 2;

/// Polls the token endpoint as RFC 8628 3.4/3.5 says, until tokens, an error
/// that ends the grant, the code's expiry, or the browser giving up. Requests
/// stay at least `interval` apart; the first goes out as soon as the browser
/// approved (a device polling then would get its tokens then).
async fn poll(
    http: &reqwest::Client,
    token_endpoint: &str,
    client: &str,
    device_code: &str,
    interval: u64,
    expires_in: u64,
    browser: &AtomicU8,
) -> Result<Polled> {
    let mut polled = Polled {
        interval,
        ..Polled::default()
    };
    let expiry = Instant::now() + Duration::from_secs(expires_in);
    let granted = Instant::now();
    let mut last_request: Option<Instant> = None;
    loop {
        let interval = Duration::from_secs(polled.interval);
        loop {
            let state = browser.load(Ordering::SeqCst);
            if state == BROWSER_GAVE_UP {
                return Ok(polled);
            }
            let waited = last_request.unwrap_or(granted).elapsed() >= interval;
            let spaced = last_request.is_none_or(|at| at.elapsed() >= interval);
            if waited || (state == BROWSER_APPROVED && spaced) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        if Instant::now() > expiry {
            polled.answers.push("(the device code expired)".into());
            return Ok(polled);
        }
        last_request = Some(Instant::now());
        let resp = http
            .post(token_endpoint)
            .form(&[
                ("grant_type", DEVICE_GRANT),
                ("device_code", device_code),
                ("client_id", client),
            ])
            .send()
            .await
            .map_err(|e| Error::http("keycloak", token_endpoint, e))?;
        let status = resp.status().as_u16();
        let body: Value = resp
            .json()
            .await
            .map_err(|e| Error::http("keycloak", token_endpoint, e))?;
        if status == 200 {
            polled.answers.push("tokens".into());
            polled.tokens = Some(body);
            return Ok(polled);
        }
        let error = body["error"].as_str().unwrap_or_default().to_string();
        polled.answers.push(error.clone());
        match error.as_str() {
            "authorization_pending" => {}
            "slow_down" => polled.interval += SLOW_DOWN_STEP,
            _ => {
                let description = body["error_description"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                polled.refused = Some(TokenRefusal {
                    status,
                    error,
                    description,
                });
                return Ok(polled);
            }
        }
    }
}

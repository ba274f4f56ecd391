//! The steps in front of an application: the real oauth2-proxy, optionally
//! behind Kubeflow's (emulated) Istio ingress gateway, and the application
//! itself (the harness's echo of what it received). `proxy_login` signs a user
//! in through whatever pages come; `http_get` sends one request, as a script
//! or a machine client would.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine;
use serde_json::Value;

use super::Perform;
use crate::emulated::istio::{Backends, Gateway, GatewayPlan};
use crate::error::{Error, IoContext, Result};
use crate::infra::dexlog;
use crate::infra::oidc::{Provider, peek_claims, send};
use crate::model::evidence::SignOut;
use crate::model::report::StepReport;
use crate::model::steps::{
    CookieExpect, HttpGet, Oauth2ProxyStart, ProxyLogin, ProxySignOut, Step,
};
use crate::programs::Program;
use crate::programs::browser::SeenCookie;
use crate::programs::oauth2_proxy::{OAuth2Proxy, OAuth2ProxyConfig, OAuth2ProxyPlan};
use crate::programs::upstream::{self, Upstream};
use crate::run::cx::StepCx;
use crate::run::signin::{Goal, SignInEnd, sign_in_until};
use crate::run::verify::{
    expected_stop, line_with, redact, settle_log, verify_absent, verify_dex_login, verify_subset,
    verify_text, wait_login_line_for,
};
use crate::scenario::template::Values;

/// oauth2-proxy, the gateway and the application: planned before the
/// scenario is rendered (their addresses are template values), started
/// when the scenario has them.
pub struct Front {
    pub oauth2_proxy: OAuth2ProxyPlan,
    pub gateway: GatewayPlan,
    upstream_addr: SocketAddr,
    /// 32 random bytes in URL-safe base64, which oauth2-proxy decodes.
    cookie_secret: String,
    /// 32 random bytes as `openssl rand -base64 32` prints them (the guides'
    /// recipe), drawn until the value holds a `+` or `/` (3 draws in 4 do):
    /// oauth2-proxy then takes the 44 characters as they are.
    cookie_secret_openssl: String,
    upstream: Option<Upstream>,
    proxy: Option<OAuth2Proxy>,
    gateway_running: Option<Gateway>,
    /// Why oauth2-proxy is not serving, when an `oauth2_proxy_start` step
    /// expects to look at it.
    start_failure: Option<String>,
}

impl Front {
    /// `tls`: oauth2-proxy serves HTTPS (the scenario's `oauth2_proxy.tls`).
    pub fn new(tls: bool) -> Result<Front> {
        let bytes: [u8; 32] = rand::random();
        let cookie_secret_openssl = std::iter::repeat_with(|| {
            base64::engine::general_purpose::STANDARD.encode(rand::random::<[u8; 32]>())
        })
        .find(|s| s.contains(['+', '/']))
        .expect("an endless draw");
        Ok(Front {
            oauth2_proxy: OAuth2ProxyPlan::new(tls)?,
            gateway: GatewayPlan::new()?,
            upstream_addr: crate::infra::process::fresh_endpoint()?,
            cookie_secret: base64::engine::general_purpose::URL_SAFE.encode(bytes),
            cookie_secret_openssl,
            upstream: None,
            proxy: None,
            gateway_running: None,
            start_failure: None,
        })
    }

    /// `oauth2_proxy.{url,callback,cookie_secret,files}`, `gateway.url`,
    /// `upstream.url`; `dir` is the case's folder.
    pub fn add_values(&self, values: &mut Values, dir: &Path) {
        let o = &mut values.oauth2_proxy;
        o.insert("files".into(), files_dir(dir).display().to_string());
        o.insert("url".into(), self.oauth2_proxy.url());
        o.insert("callback".into(), self.oauth2_proxy.callback());
        o.insert("cookie_secret".into(), self.cookie_secret.clone());
        o.insert(
            "cookie_secret_openssl".into(),
            self.cookie_secret_openssl.clone(),
        );
        values.gateway.insert("url".into(), self.gateway.url());
        values
            .upstream
            .insert("url".into(), format!("http://{}", self.upstream_addr));
    }

    /// Where a user or a client reaches the application.
    fn entry(&self) -> Result<String> {
        if self.gateway_running.is_some() {
            return Ok(self.gateway.url());
        }
        match &self.proxy {
            Some(p) => Ok(p.url()),
            None => Err(Error::step(
                "proxy",
                "the scenario has no oauth2_proxy in front of the application",
            )),
        }
    }

    fn proxy_log(&self) -> String {
        self.proxy
            .as_ref()
            .map(OAuth2Proxy::log_text)
            .unwrap_or_default()
    }

    fn gateway_lines(&self) -> Vec<String> {
        self.gateway_running
            .as_ref()
            .map(Gateway::log_lines)
            .unwrap_or_default()
    }

    /// The real programs it runs (oauth2-proxy).
    pub fn programs(&self) -> Vec<&dyn Program> {
        self.proxy.iter().map(|p| p as &dyn Program).collect()
    }

    /// The gateway's last decisions.
    pub fn evidence(&self) -> String {
        let mut out = String::new();
        let lines = self.gateway_lines();
        if !lines.is_empty() {
            let from = lines.len().saturating_sub(20);
            out.push_str(&format!(
                "--- the gateway's last decisions ---\n{}\n",
                lines[from..].join("\n")
            ));
        }
        out
    }

    pub fn serving(&self) -> bool {
        self.proxy.is_some()
    }

    pub fn stop(&mut self) {
        self.gateway_running = None;
        self.proxy = None;
        self.upstream = None;
    }
}

/// Starts the application, oauth2-proxy and the gateway the scenario has.
pub(crate) async fn start_front(cx: &mut StepCx<'_>) -> Result<()> {
    let Some(spec) = cx.scenario.oauth2_proxy.clone() else {
        if cx.scenario.istio.is_some() {
            return Err(Error::step(
                "istio",
                "the gateway's ext-authz provider is oauth2-proxy: add `oauth2_proxy`",
            ));
        }
        return Ok(());
    };
    for (name, text) in &spec.files {
        let path = files_dir(&cx.dir).join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&path, text).context(|| format!("writing {}", path.display()))?;
    }
    cx.front.upstream = Some(Upstream::start(cx.front.upstream_addr).await?);
    let given = OAuth2ProxyConfig {
        config: spec.config,
        env: spec.env.into_iter().collect(),
        args: spec.args,
    };
    let started = OAuth2Proxy::start(
        &cx.run.programs.oauth2_proxy,
        &cx.run.ca,
        cx.front.oauth2_proxy.clone(),
        &given,
        &cx.dir,
    )
    .await;
    let looked_at = cx
        .scenario
        .steps
        .iter()
        .any(|s| matches!(s, Step::Oauth2ProxyStart(_)));
    match started {
        Ok(proxy) => cx.front.proxy = Some(proxy),
        Err(e) if looked_at => {
            cx.front.start_failure = Some(e.to_string());
            return Ok(());
        }
        Err(e) => return Err(e),
    }
    if let Some(istio) = cx.scenario.istio.clone() {
        // Dex's address, whether Dex serves or not (a gateway in front of a
        // Dex that did not start still routes to it).
        let dex =
            cx.startup.planned.clone().ok_or_else(|| {
                Error::step("istio", "the gateway routes `/dex/` to Dex: add `dex`")
            })?;
        let backends = Backends {
            dex,
            oauth2_proxy: cx.front.oauth2_proxy.url(),
            app: format!("http://{}", cx.front.upstream_addr),
        };
        let gateway = Gateway::start(
            cx.front.gateway.clone(),
            &istio,
            backends,
            cx.run.ca.http_client()?,
        )
        .await?;
        cx.front.gateway_running = Some(gateway);
    }
    Ok(())
}

impl Perform for ProxyLogin {
    async fn perform(&self, cx: &mut StepCx<'_>) -> Result<StepReport> {
        let password = cx.password_of(&self.user, &self.password)?;
        let start = format!(
            "{}{}",
            cx.front.entry()?,
            self.path.as_deref().unwrap_or("/")
        );
        let proxy_offset = cx.front.proxy_log().len();
        let (logins_before, dex_offset) = match &cx.dex {
            Some(d) => (dexlog::logins(&d.log_text()).len(), d.log_text().len()),
            None => (0, 0),
        };
        let marker = format!("#{}", upstream::MARKER);
        let browser = if self.again {
            cx.browser.as_ref().ok_or_else(|| {
                Error::step("proxy_login", "`again` needs a browser step before it")
            })?
        } else {
            cx.fresh_browser().await?
        };
        let end = sign_in_until(
            browser,
            &start,
            Goal::Element(&marker),
            &self.user,
            &password,
            self.connector.as_deref(),
        )
        .await?;
        let page = browser
            .summary_or_evidence(matches!(end, SignInEnd::Stopped { .. }), "proxy")
            .await;
        let seen = match browser.find(&marker).await {
            Some(element) => element.text().await.ok(),
            None => None,
        };
        cx.evidence.pages.push(page.seen());
        let proxy_log = observe_front(cx, proxy_offset);
        let dex_log = match &cx.dex {
            Some(d) => settle_log(d, dex_offset).await,
            None => String::new(),
        };
        cx.evidence.dex_log.push_str(&dex_log);
        let mut report = StepReport {
            page: Some(page.clone()),
            snapshot: self.snapshot.clone(),
            ..Default::default()
        };
        if let SignInEnd::Stopped { url, reason } = end {
            verify_text("oauth2-proxy's log", &self.expect.proxy_log, &proxy_log)?;
            let log = format!("{dex_log}{proxy_log}");
            report.error = Some(expected_stop(
                &self.expect.page_text,
                &self.expect.dex_log,
                &url,
                &reason,
                &page.text,
                Some(&log),
            )?);
            return Ok(report);
        }
        verify_text("oauth2-proxy's log", &self.expect.proxy_log, &proxy_log)?;
        if let (Some(wanted), SignInEnd::Reached { passwords, .. }) =
            (self.expect.password_forms, &end)
            && *passwords != wanted
        {
            return Err(Error::expectation(
                "proxy_login",
                format!(
                    "expected {wanted} password form(s) on the way, the user filled {passwords}"
                ),
            ));
        }
        if let SignInEnd::Reached { passwords: 0, .. } = &end
            && self.again
            && let Some(last) = cx.evidence.sign_outs.last_mut()
        {
            last.back_in_without_password = true;
        }
        if let Some(wanted) = &self.expect.cookie {
            let cookies = cx.browser.as_ref().map(|b| b.cookies());
            let cookies = match cookies {
                Some(c) => c.await,
                None => Vec::new(),
            };
            report.output = Some(shown_cookies(&cookies));
            verify_cookie(wanted, &cookies)?;
        }
        let seen: Value = seen
            .and_then(|t| serde_json::from_str(&t).ok())
            .ok_or_else(|| Error::step("proxy_login", "the application's page has no request"))?;
        let headers = seen["headers"].clone();
        if let Some(dex) = &cx.dex {
            // A user let in on their existing session signed in nowhere: look once.
            let wait = match end {
                SignInEnd::Reached { passwords: 0, .. } => Duration::ZERO,
                _ => Duration::from_secs(10),
            };
            report.dex_login = wait_login_line_for(dex, logins_before, wait).await;
            cx.evidence.dex_logins.extend(report.dex_login.clone());
        }
        // The ID token oauth2-proxy passes on (`set_authorization_header`).
        if let Some(token) = headers["authorization"]
            .as_str()
            .and_then(|a| a.strip_prefix("Bearer "))
        {
            // The same token as before (a session's): verified when it came,
            // even if its issuer has rotated its keys since.
            let known = cx
                .tokens
                .get(&self.user)
                .filter(|t| t.as_str() == token)
                .and_then(|_| cx.claims.get(&self.user).cloned());
            let claims = match known {
                Some(claims) => claims,
                None => verified_claims(cx, token).await?,
            };
            cx.tokens.insert(self.user.clone(), token.to_string());
            cx.claims.insert(self.user.clone(), claims.clone());
            cx.evidence.dex_claims.push(claims.clone());
            report.claims = Some(claims);
        }
        verify_subset(
            "headers the application received",
            &self.expect.headers,
            &Some(headers.clone()),
        )?;
        verify_absent(
            "headers the application received",
            &self.expect.headers_absent,
            &Some(headers.clone()),
        )?;
        verify_subset("ID token claims", &self.expect.claims, &report.claims)?;
        verify_absent(
            "ID token claims",
            &self.expect.claims_absent,
            &report.claims,
        )?;
        verify_header_claims(&self.expect.header_claims, &headers, &report.claims)?;
        verify_dex_login(&self.expect.dex_login, &report.dex_login)?;
        report.claims = report.claims.map(redact);
        report.identity_headers = Some(identity_headers(&headers));
        report.output = Some(match report.output.take() {
            Some(cookies) => format!("{}\n{cookies}", shown_headers(&headers)),
            None => shown_headers(&headers),
        });
        Ok(report)
    }
}

fn shown_cookies(cookies: &[SeenCookie]) -> String {
    cookies
        .iter()
        .map(|c| {
            format!(
                "cookie {}: {}{}{}",
                c.name,
                c.lifetime_seconds
                    .map(|s| format!("expires in {s}s"))
                    .unwrap_or_else(|| "session cookie".into()),
                if c.http_only { ", HttpOnly" } else { "" },
                if c.secure { ", Secure" } else { "" }
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Whether `c` is the cookie `name`, or one of the parts oauth2-proxy splits
/// a session over 4 KB into (`<name>_0`, `<name>_1`, …).
fn is_part_of(c: &SeenCookie, name: &str) -> bool {
    c.name == name
        || c.name
            .strip_prefix(name)
            .and_then(|rest| rest.strip_prefix('_'))
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// The named cookie (or each of its parts) is there with the attributes
/// the configuration gives it.
fn verify_cookie(wanted: &CookieExpect, cookies: &[SeenCookie]) -> Result<()> {
    let fail = |what: String| {
        Err(Error::expectation(
            "oauth2-proxy's cookie",
            format!("{what}; the browser holds:\n{}", shown_cookies(cookies)),
        ))
    };
    let parts: Vec<&SeenCookie> = cookies
        .iter()
        .filter(|c| is_part_of(c, &wanted.name))
        .collect();
    let Some(c) = parts.first() else {
        return fail(format!("no cookie `{}`", wanted.name));
    };
    if let Some(lifetime) = wanted.lifetime_seconds {
        match c.lifetime_seconds {
            Some(s) if (s - lifetime).abs() <= 60 => {}
            other => {
                return fail(format!(
                    "`{}` expires in {}, expected {lifetime}s",
                    c.name,
                    other
                        .map(|s| format!("{s}s"))
                        .unwrap_or("(a session cookie)".into())
                ));
            }
        }
    }
    for (want, got, attr) in [
        (wanted.http_only, c.http_only, "HttpOnly"),
        (wanted.secure, c.secure, "Secure"),
    ] {
        if let Some(want) = want
            && want != got
        {
            return fail(format!(
                "`{}` is {}{attr}",
                c.name,
                if got { "" } else { "not " }
            ));
        }
    }
    Ok(())
}

impl Perform for ProxySignOut {
    async fn perform(&self, cx: &mut StepCx<'_>) -> Result<StepReport> {
        let entry = cx.front.entry()?;
        let browser = cx.browser.as_ref().ok_or_else(|| {
            Error::step("proxy_sign_out", "sign in with a proxy_login step first")
        })?;
        let before = browser.cookies().await;
        browser.goto(&format!("{entry}/oauth2/sign_out")).await?;
        let after = browser.cookies().await;
        // The session the user had must be gone: the browser may hold a new
        // one already, when opening the application again signed them in.
        let kept = |c: &SeenCookie| {
            before
                .iter()
                .any(|b| b.name == c.name && b.value == c.value)
        };
        for name in &self.expect.cookies_absent {
            if after.iter().any(|c| is_part_of(c, name) && kept(c)) {
                return Err(Error::expectation(
                    "proxy_sign_out",
                    format!(
                        "the browser still holds `{name}` after /oauth2/sign_out:\n{}",
                        shown_cookies(&after)
                    ),
                ));
            }
        }
        browser.goto(&format!("{entry}/")).await?;
        // Let redirects (to a sign-in page, or through one) settle.
        browser.settle(Duration::from_secs(3)).await;
        let page = browser.evidence("after-sign-out").await;
        cx.evidence.pages.push(page.seen());
        verify_text(
            "the page after signing out",
            &self.expect.page_text,
            &page.text,
        )?;
        let gone: Vec<String> = before
            .iter()
            .filter(|b| !after.iter().any(|a| a.name == b.name && a.value == b.value))
            .map(|b| b.name.clone())
            .collect();
        let in_app = browser
            .find(&format!("#{}", upstream::MARKER))
            .await
            .is_some();
        cx.evidence.sign_outs.push(SignOut {
            removed: gone.clone(),
            then: page.url.clone(),
            back_in_without_password: in_app,
        });
        Ok(StepReport {
            output: Some(format!(
                "cookies removed by /oauth2/sign_out: {gone:?}\nthen {} shows: {}",
                page.url,
                crate::model::text::truncate(&page.text, 300)
            )),
            page: Some(page),
            ..Default::default()
        })
    }
}

/// oauth2-proxy's log since `offset` and the gateway's decisions, kept
/// for the diagnosis; returns that log.
fn observe_front(cx: &mut StepCx<'_>, offset: usize) -> String {
    let log = cx.front.proxy_log();
    let log = log.get(offset..).unwrap_or_default().to_string();
    cx.evidence.oauth2_proxy_log.push_str(&log);
    cx.evidence.gateway = cx.front.gateway_lines();
    log
}

/// A token's claims, verified against its own issuer's JWKS (any audience).
async fn verified_claims(cx: &StepCx<'_>, token: &str) -> Result<Value> {
    let issuer = peek_claims(token)
        .and_then(|c| c["iss"].as_str().map(String::from))
        .ok_or_else(|| Error::step("token", "not a JWT with an `iss` claim"))?;
    let http = cx.run.ca.http_client()?;
    let provider = Provider::discover(&http, "issuer", &issuer).await?;
    provider.verify_jwt(&http, "issuer", token, &[]).await
}

impl Perform for Oauth2ProxyStart {
    async fn perform(&self, cx: &mut StepCx<'_>) -> Result<StepReport> {
        let log = match (&cx.front.proxy, &cx.front.start_failure) {
            (Some(p), _) => p.log_text(),
            (None, Some(failure)) => failure.clone(),
            (None, None) => {
                return Err(Error::step(
                    "oauth2-proxy start",
                    "the scenario has no oauth2_proxy",
                ));
            }
        };
        cx.evidence.oauth2_proxy_log.push_str(&log);
        let serving = cx.front.serving();
        if let Some(wanted) = self.0.running
            && wanted != serving
        {
            return Err(Error::expectation(
                "oauth2-proxy start",
                format!(
                    "expected oauth2-proxy {}, it {}:\n{log}",
                    if wanted {
                        "to serve"
                    } else {
                        "to refuse to start"
                    },
                    if serving { "serves" } else { "did not start" }
                ),
            ));
        }
        verify_text("oauth2-proxy's log", &self.0.log, &log)?;
        Ok(StepReport {
            error: (!serving).then(|| line_with(&log, &self.0.log)),
            output: Some(log),
            ..Default::default()
        })
    }
}

impl Perform for HttpGet {
    async fn perform(&self, cx: &mut StepCx<'_>) -> Result<StepReport> {
        let url = format!("{}{}", cx.front.entry()?, self.path);
        let proxy_offset = cx.front.proxy_log().len();
        let http = cx.run.ca.http_client()?;
        let mut req = http.get(&url);
        if let Some(user) = &self.bearer {
            let token = cx.tokens.get(user).ok_or_else(|| {
                Error::step(
                    "http_get",
                    format!("no token for `{user}`: sign in with an earlier step"),
                )
            })?;
            req = req.bearer_auth(token);
        }
        let (status, body) = send(req, "proxy", &url).await?;
        let status = status.as_u16();
        let proxy_log = observe_front(cx, proxy_offset);
        let seen = upstream::parse_page(&body).filter(|_| body.contains(upstream::MARKER));
        let shown = match &seen {
            Some(seen) => format!(
                "{status}: the application received\n{}",
                shown_headers(&seen["headers"])
            ),
            None => format!("{status}: {}", body.trim()),
        };
        let report = StepReport {
            error: (status >= 400).then(|| format!("{status} {}", body.trim())),
            output: Some(shown.clone()),
            ..Default::default()
        };
        if let Some(wanted) = self.expect.status
            && wanted != status
        {
            return Err(Error::expectation(
                "http_get",
                format!("expected HTTP {wanted} from {url}, got {shown}"),
            ));
        }
        verify_text("the answer", &self.expect.page_text, &body)?;
        verify_text("oauth2-proxy's log", &self.expect.proxy_log, &proxy_log)?;
        let received = seen.map(|v| v["headers"].clone());
        verify_subset(
            "headers the application received",
            &self.expect.headers,
            &received,
        )?;
        verify_absent(
            "headers the application received",
            &self.expect.headers_absent,
            &received,
        )?;
        Ok(report)
    }
}

/// Each `header_claims` header holds the named claim of the token the
/// application received.
fn verify_header_claims(
    wanted: &Option<BTreeMap<String, String>>,
    headers: &Value,
    claims: &Option<Value>,
) -> Result<()> {
    let Some(pairs) = wanted else {
        return Ok(());
    };
    let claims = claims.as_ref().ok_or_else(|| {
        Error::step(
            "verify",
            "the application received no token to compare headers with",
        )
    })?;
    for (header, claim) in pairs {
        let (got, wanted) = (&headers[header.as_str()], &claims[claim.as_str()]);
        if got.is_null() || got != wanted {
            return Err(Error::step(
                "verify",
                format!("header `{header}` is {got}, the token's `{claim}` is {wanted}"),
            ));
        }
    }
    Ok(())
}

/// Where the files oauth2-proxy's Deployment would mount are written.
fn files_dir(case_dir: &Path) -> PathBuf {
    case_dir.join("oauth2-proxy-files")
}

/// Headers, one per line, long values (tokens, cookies) shortened.
/// The headers a proxy or gateway adds to say who the user is; the browser's
/// own (cookies, accept, …), the connection's (host, port, for, proto) and
/// tokens left out, and a user id (a `sub`: new with every realm) redacted.
fn identity_headers(headers: &Value) -> Value {
    const CONNECTION: [&str; 4] = ["for", "host", "port", "proto"];
    let map = headers
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(k, _)| {
            let rest = ["x-forwarded-", "x-auth-request-", "kubeflow-"]
                .iter()
                .find_map(|p| k.strip_prefix(p));
            rest.is_some_and(|r| !CONNECTION.contains(&r) && !r.ends_with("token"))
        })
        .map(|(k, v)| {
            let id = k.ends_with("-user") && v.as_str().is_some_and(|s| !s.contains('@'));
            let v = if id {
                Value::from("[redacted]")
            } else {
                v.clone()
            };
            (k.clone(), v)
        })
        .collect();
    Value::Object(map)
}

fn shown_headers(headers: &Value) -> String {
    headers
        .as_object()
        .map(|map| {
            map.iter()
                .map(|(k, v)| {
                    let v = v.as_str().unwrap_or_default();
                    let v = if v.len() > 80 && v.is_char_boundary(40) {
                        format!("{}…", &v[..40])
                    } else {
                        v.to_string()
                    };
                    format!("{k}: {v}")
                })
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_header_must_hold_the_named_claim() {
        let expect = Some([("x-auth-request-user".into(), "sub".into())].into());
        let claims = Some(json!({"sub": "CiQ2", "email": "jane@example.com"}));
        let same = json!({"x-auth-request-user": "CiQ2"});
        assert!(verify_header_claims(&expect, &same, &claims).is_ok());
        let email = json!({"x-auth-request-user": "jane@example.com"});
        let err = verify_header_claims(&expect, &email, &claims).unwrap_err();
        assert!(err.to_string().contains("the token's `sub`"), "{err}");
        let missing = json!({});
        assert!(verify_header_claims(&expect, &missing, &claims).is_err());
        assert!(verify_header_claims(&expect, &same, &None).is_err());
    }
}

//! The browser's part of a sign-in: drives whatever login pages come (Dex's
//! connector choice and password form, Keycloak's login, update-password,
//! device-code and grant pages, Dex's approval, oauth2-proxy's sign-in
//! button) until the goal is met or a page stops it.

use std::time::{Duration, Instant};

use crate::error::Result;
use crate::programs::browser::Browser;

/// Where a browser sign-in ended.
#[derive(Debug, Clone)]
pub enum SignInEnd {
    /// The expected redirect target (the app's callback), at this URL,
    /// after filling this many password forms (0: an existing session).
    Reached { url: String, passwords: u32 },
    /// A page it could not go past (an error page, or a form shown again).
    Stopped { url: String, reason: String },
}

/// Error elements of Keycloak's and Dex's login forms.
const ERRORS: &str = "#login-error, #input-error, #input-error-username, .kc-feedback-text";

/// oauth2-proxy's "Sign in with <provider>" button (its sign-in page).
const PROXY_SIGN_IN: &str = "form[action$='/oauth2/start'] button[type='submit']";

/// The message oauth2-proxy's sign-in page shows after a failed attempt.
const PROXY_SIGN_IN_MESSAGE: &str = ".alert, .notification, .message";

/// Dex's "Grant Access" button (its approval page).
const APPROVE: &str = "form:has(input[name='approval'][value='approve']) button[type='submit']";

/// Drives the login pages until the browser reaches `done` (a URL prefix):
/// Dex's connector choice, Keycloak's and Dex's login forms, Dex's approval.
pub async fn sign_in(
    browser: &Browser,
    start: &str,
    done: &str,
    user: &str,
    password: &str,
    connector: Option<&str>,
) -> Result<SignInEnd> {
    sign_in_until(browser, start, Goal::Url(done), user, password, connector).await
}

/// Where a sign-in is done.
#[derive(Debug, Clone, Copy)]
pub enum Goal<'a> {
    /// The browser is at a URL starting with this (a redirect URI).
    Url(&'a str),
    /// The page has this element (the application behind a proxy, whose
    /// address is also where the proxy's sign-in page is shown).
    Element(&'a str),
    /// The page shows this text (Keycloak's "Device Login Successful").
    Text(&'a str),
}

/// What a sign-in may be asked for besides the user's password.
#[derive(Debug, Clone, Copy, Default)]
pub struct Prompts<'a> {
    /// Keycloak's "Update password" page (a temporary password): the new one.
    pub new_password: Option<&'a str>,
    /// Keycloak's device page asking for the code the device shows.
    pub user_code: Option<&'a str>,
}

/// Keycloak's "Update password" form (required action UPDATE_PASSWORD).
const UPDATE_PASSWORD: &str = "#kc-passwd-update-form";

/// Keycloak's device verification form (`verification_uri` without the code).
const DEVICE_USER_CODE: &str = "input[name='device_user_code']";

/// Keycloak's "Do you grant these access privileges?" Yes button.
const KEYCLOAK_GRANT: &str = "input[name='accept'], button[name='accept']";

/// `sign_in`, done when `goal` is met.
pub async fn sign_in_until(
    browser: &Browser,
    start: &str,
    goal: Goal<'_>,
    user: &str,
    password: &str,
    connector: Option<&str>,
) -> Result<SignInEnd> {
    sign_in_prompted(
        browser,
        start,
        goal,
        user,
        password,
        connector,
        Prompts::default(),
    )
    .await
}

/// `sign_in_until`, also answering Keycloak's update-password page, device
/// code page and grant page (the device flow's "Do you grant ...?").
pub async fn sign_in_prompted(
    browser: &Browser,
    start: &str,
    goal: Goal<'_>,
    user: &str,
    password: &str,
    connector: Option<&str>,
    prompts: Prompts<'_>,
) -> Result<SignInEnd> {
    browser.goto(start).await?;
    let deadline = Instant::now() + Duration::from_secs(90);
    let connector_link = connector.map(|c| format!("a[href*='/auth/{c}?'], a[href$='/auth/{c}']"));
    let goal_css = match goal {
        Goal::Element(css) => css,
        _ => NOTHING,
    };
    let selectors = [
        "#kc-form-login",
        ERRORS,
        connector_link.as_deref().unwrap_or(NOTHING),
        "input#login",
        "#submit-login",
        "#login-error",
        APPROVE,
        PROXY_SIGN_IN,
        PROXY_SIGN_IN_MESSAGE,
        UPDATE_PASSWORD,
        DEVICE_USER_CODE,
        KEYCLOAK_GRANT,
        goal_css,
    ];
    let mut actions = 0;
    let mut password_updates = 0;
    let mut passwords = 0;
    loop {
        let page = browser
            .page(&selectors, matches!(goal, Goal::Text(_)))
            .await;
        let has = |i: usize| page.found[i];
        let url = page.url.clone();
        let reached = match goal {
            Goal::Url(done) => url.starts_with(done),
            Goal::Element(_) => has(12),
            Goal::Text(text) => page.text.contains(text),
        };
        if reached {
            return Ok(SignInEnd::Reached { url, passwords });
        }
        let stopped = |reason: &str| {
            Ok(SignInEnd::Stopped {
                url: url.clone(),
                reason: reason.into(),
            })
        };
        if Instant::now() > deadline || actions > 12 {
            return stopped("the sign-in went round in circles");
        }
        let acted = if has(0) {
            if actions > 0 && has(1) {
                return stopped("Keycloak showed its login form again, with an error");
            }
            browser.fill("#username", user).await?;
            browser.fill("#password", password).await?;
            browser.click("#kc-login").await?;
            passwords += 1;
            true
        } else if has(2) {
            let css = connector_link
                .as_deref()
                .expect("a connector link was asked for");
            browser.click(css).await?;
            true
        } else if has(3) && has(4) {
            if actions > 0 && has(5) {
                return stopped("Dex showed its password form again, with an error");
            }
            browser.fill("input#login", user).await?;
            browser.fill("input#password", password).await?;
            browser.click("#submit-login").await?;
            passwords += 1;
            true
        } else if has(6) {
            browser.click(APPROVE).await?;
            true
        } else if has(7) {
            if actions > 0 && has(8) {
                return stopped("oauth2-proxy showed its sign-in page again, with a message");
            }
            browser.click(PROXY_SIGN_IN).await?;
            true
        } else if has(9) {
            let Some(new) = prompts.new_password else {
                return stopped(
                    "Keycloak asks for a new password (a temporary password) and the step gives no `new_password`",
                );
            };
            if password_updates > 0 {
                return stopped("Keycloak showed its update-password form again");
            }
            password_updates += 1;
            browser.fill("input[name='password-new']", new).await?;
            browser.fill("input[name='password-confirm']", new).await?;
            browser
                .click(&format!("{UPDATE_PASSWORD} [type='submit']"))
                .await?;
            true
        } else if has(10) {
            let Some(code) = prompts.user_code else {
                return stopped("Keycloak asks for the device's user code and the step has none");
            };
            if actions > 0 && has(1) {
                return stopped("Keycloak showed its device code form again, with an error");
            }
            browser.fill(DEVICE_USER_CODE, code).await?;
            browser
                .click("form:has(input[name='device_user_code']) [type='submit']")
                .await?;
            true
        } else if has(11) {
            browser.click(KEYCLOAK_GRANT).await?;
            true
        } else {
            false
        };
        if acted {
            actions += 1;
            // A form shown again with an error keeps its URL: stop waiting
            // then too, unless the page had such an element before (Keycloak's
            // update-password page shows a notice): then only a navigation counts.
            let wait = Duration::from_secs(20);
            if has(1) {
                browser.wait_navigation(&url, wait).await;
            } else {
                browser.wait_navigation_or(&url, ERRORS, wait).await;
            }
        } else if let Some(kind) = page.dead_end() {
            // Nothing will move it on; a moment's grace for a script that might.
            if !browser.wait_navigation(&url, DEAD_END_GRACE).await {
                return stopped(&format!("{NO_WAY_ON} ({kind})"));
            }
        } else if !browser.wait_navigation(&url, Duration::from_secs(3)).await {
            return stopped(NO_WAY_ON);
        }
    }
}

/// Why a sign-in stopped on a page it found nothing to do on.
const NO_WAY_ON: &str = "no login form, connector link or approval button";

/// How long a dead-end page is watched for a script that moves on after all.
const DEAD_END_GRACE: Duration = Duration::from_millis(300);

/// A selector that matches nothing (a slot not asked for).
const NOTHING: &str = "oidc-harness-nothing";

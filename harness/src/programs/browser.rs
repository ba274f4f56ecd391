//! Headless Chromium driven over WebDriver (chromedriver + fantoccini).
//!
//! One chromedriver serves a whole run ([`Driver`]); every [`Browser`] is a
//! new WebDriver session: its own Chromium with its own empty profile,
//! removed when it closes, so a user never rides on the cookies (Keycloak's
//! or Dex's session) of the one before. The browser trusts the run's
//! certificates through `--ignore-certificate-errors-spki-list` (only those
//! keys; every other TLS check stays on).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::error::{Error, IoContext, Result};
use crate::infra::process::{Spec, Supervised, free_port};
use crate::model::report::PageEvidence;

const PROGRAM: &str = "chromedriver";

/// How often a wait looks at the page again.
const POLL: Duration = Duration::from_millis(50);

/// How long a loaded page keeps its address before it counts as settled.
const SETTLED: Duration = Duration::from_millis(400);

/// A chromedriver, started once and shared by every browser of a run.
pub struct Driver {
    url: String,
    /// Numbers the sessions, so that each has its own profile folder.
    sessions: AtomicU32,
    process: Supervised,
}

impl Driver {
    pub async fn start(chromedriver: &Path, dir: &Path) -> Result<Driver> {
        let port = free_port(std::net::Ipv4Addr::LOCALHOST)?;
        let mut process =
            Supervised::spawn(Spec::new(PROGRAM, chromedriver, dir).arg(format!("--port={port}")))?;
        let url = format!("http://127.0.0.1:{port}");
        let status = format!("{url}/status");
        let http = reqwest::Client::new();
        process
            .wait_ready(Duration::from_secs(30), "/status answering", || {
                crate::infra::process::answers_ok(&http, &status)
            })
            .await?;
        Ok(Driver {
            url,
            sessions: AtomicU32::new(0),
            process,
        })
    }
}

pub struct Browser {
    client: Client,
    /// Where evidence (screenshots, page HTML) goes.
    dir: PathBuf,
    /// This session's own Chromium profile, removed on close.
    profile: PathBuf,
}

impl Browser {
    /// A new session on `driver`: a Chromium with an empty profile in `dir`.
    pub async fn start(
        driver: &Driver,
        chromium: &Path,
        spki: &[String],
        dir: &Path,
    ) -> Result<Browser> {
        let n = driver.sessions.fetch_add(1, Ordering::SeqCst);
        let profile = dir.join(format!("chromium-profile-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&profile);
        let args = vec![
            "--headless".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--disable-dev-shm-usage".into(),
            "--window-size=1280,1000".into(),
            format!("--user-data-dir={}", profile.display()),
            format!("--ignore-certificate-errors-spki-list={}", spki.join(",")),
        ];
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({"binary": chromium, "args": args}),
        );
        caps.insert("acceptInsecureCerts".into(), json!(false));
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&driver.url)
            .await
            .map_err(|e| {
                driver
                    .process
                    .start_error(format!("new WebDriver session: {e}"))
            })?;
        Ok(Browser {
            client,
            dir: dir.to_path_buf(),
            profile,
        })
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub async fn goto(&self, url: &str) -> Result<()> {
        self.client.goto(url).await.map_err(|e| wd_err(url, e))
    }

    pub async fn url(&self) -> String {
        self.client
            .current_url()
            .await
            .map(|u| u.to_string())
            .unwrap_or_default()
    }

    /// The page as one round trip sees it: its address, whether it has
    /// finished loading, which of `selectors` match, what kind of page it is
    /// and (with `text`) its visible text.
    pub async fn page(&self, selectors: &[&str], text: bool) -> PageState {
        const SCRIPT: &str = r#"
            const [selectors, wantText] = arguments;
            const found = selectors.map((s) => {
                try { return document.querySelector(s) !== null; } catch (e) { return false; }
            });
            return {
                url: location.href,
                complete: document.readyState === "complete",
                content_type: document.contentType || "",
                forms: document.forms.length,
                refresh: document.querySelector("meta[http-equiv='refresh' i]") !== null,
                found,
                text: wantText && document.body ? document.body.innerText : "",
            };"#;
        let answer = self
            .client
            .execute(SCRIPT, vec![json!(selectors), json!(text)])
            .await;
        let mut state: PageState = answer
            .ok()
            .and_then(|v| serde_json::from_value(v).ok())
            .unwrap_or_default();
        // Chromium's own error page (an address that did not answer) has its
        // own `location`; WebDriver names the address that failed.
        state.browser_error = state.url.starts_with("chrome-error://");
        if state.url.is_empty() || state.browser_error {
            state.url = self.url().await;
        }
        state.found.resize(selectors.len(), false);
        state
    }

    /// The first element matching `css`, if the page has one now.
    pub async fn find(&self, css: &str) -> Option<fantoccini::elements::Element> {
        self.client
            .find_all(Locator::Css(css))
            .await
            .ok()?
            .into_iter()
            .next()
    }

    pub async fn fill(&self, css: &str, value: &str) -> Result<()> {
        let el = self
            .find(css)
            .await
            .ok_or_else(|| Error::step("browser", format!("no `{css}` on {}", "the page")))?;
        el.clear().await.map_err(|e| wd_err(css, e))?;
        el.send_keys(value).await.map_err(|e| wd_err(css, e))
    }

    pub async fn click(&self, css: &str) -> Result<()> {
        let el = self
            .find(css)
            .await
            .ok_or_else(|| Error::step("browser", format!("no `{css}` on the page")))?;
        el.click().await.map_err(|e| wd_err(css, e))
    }

    /// Polls until the URL is no longer `from` (a navigation happened).
    pub async fn wait_navigation(&self, from: &str, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if self.url().await != from {
                return true;
            }
            tokio::time::sleep(POLL).await;
        }
        false
    }

    /// Waits (at most `timeout`) until the page has loaded and kept its
    /// address for a moment: redirects, scripted ones too, are over.
    pub async fn settle(&self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        let (mut last, mut since) = (String::new(), Instant::now());
        while Instant::now() < deadline {
            let page = self.page(&[], false).await;
            if page.url != last || !page.complete {
                (last, since) = (page.url, Instant::now());
            } else if since.elapsed() >= SETTLED {
                return;
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Polls until the URL is no longer `from` or an element matching `css` shows.
    pub async fn wait_navigation_or(&self, from: &str, css: &str, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            let page = self.page(&[css], false).await;
            if page.url != from || page.found[0] {
                return true;
            }
            tokio::time::sleep(POLL).await;
        }
        false
    }

    /// The page's address, title and text, without a screenshot: what a
    /// step that went as expected keeps.
    pub async fn summary(&self) -> PageEvidence {
        let page = self.page(&[], true).await;
        PageEvidence {
            url: page.url,
            title: self.client.title().await.unwrap_or_default(),
            text: page.text,
            ..Default::default()
        }
    }

    /// [`Browser::summary`] when `stopped` is false; else [`Browser::evidence`]:
    /// a page a sign-in stopped on is evidence.
    pub async fn summary_or_evidence(&self, stopped: bool, stem: &str) -> PageEvidence {
        if stopped {
            self.evidence(stem).await
        } else {
            self.summary().await
        }
    }

    /// The summary, a screenshot and the page HTML as `<stem>.png` / `<stem>.html`.
    pub async fn evidence(&self, stem: &str) -> PageEvidence {
        let mut ev = self.summary().await;
        if let Ok(png) = self.client.screenshot().await {
            let path = self.dir.join(format!("{stem}.png"));
            if std::fs::write(&path, png).is_ok() {
                ev.screenshot = Some(path);
            }
        }
        if let Ok(html) = self.client.source().await {
            let path = self.dir.join(format!("{stem}.html"));
            if std::fs::write(&path, html)
                .context(|| path.display().to_string())
                .is_ok()
            {
                ev.html = Some(path);
            }
        }
        ev
    }

    /// The cookies the browser holds for the current page's host.
    pub async fn cookies(&self) -> Vec<SeenCookie> {
        let now = crate::infra::oidc::unix_now();
        self.client
            .get_all_cookies()
            .await
            .unwrap_or_default()
            .into_iter()
            .map(|c| SeenCookie {
                name: c.name().to_string(),
                value: c.value().to_string(),
                lifetime_seconds: c.expires_datetime().map(|at| at.unix_timestamp() - now),
                http_only: c.http_only().unwrap_or(false),
                secure: c.secure().unwrap_or(false),
            })
            .collect()
    }

    /// Ends the session (chromedriver stops its Chromium) and removes the profile.
    pub async fn close(self) {
        let _ = self.client.close().await;
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// What [`Browser::page`] saw.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct PageState {
    pub url: String,
    /// `document.readyState` is `complete`.
    pub complete: bool,
    pub content_type: String,
    pub forms: u64,
    /// A `<meta http-equiv="refresh">`: the page will move on by itself.
    pub refresh: bool,
    /// Chromium's own error page: `url` is the address that did not answer.
    #[serde(skip)]
    pub browser_error: bool,
    /// Per selector asked for: whether the page has a match.
    pub found: Vec<bool>,
    pub text: String,
}

impl PageState {
    /// A page that nothing will move on from: loaded, no refresh, and either
    /// an error page of a program of the chain, the browser's own error page,
    /// a plain answer (text or JSON), or a page without any form. `None`
    /// when the page may still go somewhere (a form to submit, a redirect).
    pub fn dead_end(&self) -> Option<&'static str> {
        if self.browser_error {
            return Some("the browser's own error page (the address did not answer)");
        }
        if !self.complete || self.refresh {
            return None;
        }
        if !self.content_type.is_empty() && self.content_type != "text/html" {
            return Some("a plain answer, not a page");
        }
        (self.forms == 0).then_some("a page without a form")
    }
}

/// A cookie as the browser keeps it (after the `Set-Cookie` that made it).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SeenCookie {
    pub name: String,
    pub value: String,
    /// `expires - now`: `None` for a session cookie.
    pub lifetime_seconds: Option<i64>,
    pub http_only: bool,
    pub secure: bool,
}

fn wd_err(what: &str, e: impl std::fmt::Display) -> Error {
    Error::step("browser", format!("{what}: {e}"))
}

//! Headless Chromium driven over WebDriver (chromedriver + fantoccini).
//!
//! The browser trusts the run's certificates through
//! `--ignore-certificate-errors-spki-list` (only those keys; every other TLS
//! check stays on) and starts with a fresh profile each time.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::error::{Error, IoContext, Result};
use crate::infra::process::{Spec, Supervised, free_port};
use crate::model::report::PageEvidence;

const PROGRAM: &str = "chromedriver";

pub struct Browser {
    client: Client,
    dir: PathBuf,
    _driver: Supervised,
}

impl Browser {
    pub async fn start(
        chromium: &Path,
        chromedriver: &Path,
        spki: &[String],
        dir: &Path,
    ) -> Result<Browser> {
        let port = free_port(std::net::Ipv4Addr::LOCALHOST)?;
        let mut driver =
            Supervised::spawn(Spec::new(PROGRAM, chromedriver, dir).arg(format!("--port={port}")))?;
        let status = format!("http://127.0.0.1:{port}/status");
        let http = reqwest::Client::new();
        driver
            .wait_ready(Duration::from_secs(30), "/status answering", || {
                crate::infra::process::answers_ok(&http, &status)
            })
            .await?;
        // An empty profile for every browser: a user never rides on the
        // cookies (Keycloak's or Dex's session) of the one before.
        let profile = dir.join("chromium-profile");
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
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .map_err(|e| driver.start_error(format!("new WebDriver session: {e}")))?;
        Ok(Browser {
            client,
            dir: dir.to_path_buf(),
            _driver: driver,
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

    /// Visible text of the page.
    pub async fn text(&self) -> String {
        match self.client.find(Locator::Css("body")).await {
            Ok(body) => body.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
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
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        false
    }

    /// Polls until the URL is no longer `from` or an element matching `css` shows.
    pub async fn wait_navigation_or(&self, from: &str, css: &str, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if self.url().await != from || self.find(css).await.is_some() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        false
    }

    /// Saves a screenshot and the page HTML as `<stem>.png` / `<stem>.html`.
    pub async fn evidence(&self, stem: &str) -> PageEvidence {
        let mut ev = PageEvidence {
            url: self.url().await,
            title: self.client.title().await.unwrap_or_default(),
            text: self.text().await,
            ..Default::default()
        };
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

    pub async fn close(self) {
        let _ = self.client.close().await;
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

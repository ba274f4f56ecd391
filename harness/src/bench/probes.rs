//! The floor probes: what the suite's pieces cost on this machine when
//! nothing else is in the way. A bare headless session, a page load and a
//! form sign-in on a static local page, a Dex start, an etcd + apiserver
//! start, an oauth2-proxy start and a realm import, each the median of a few
//! rounds, and one start of a Keycloak of a case's own.

use std::path::Path;
use std::time::{Duration, Instant};

use axum::response::Html;

use crate::error::{Error, IoContext, Result};
use crate::programs::browser::Browser;
use crate::programs::kube::{OidcAuth, apiserver::ApiServer};
use crate::programs::{dex, oauth2_proxy};
use crate::run::Run;

/// Seconds each piece takes at its floor (medians).
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct Floors {
    /// A new WebDriver session (Chromium with an empty profile) and its end.
    pub session: f64,
    /// Loading a static local page.
    pub page: f64,
    /// Filling a two-field form and landing on the page it posts to.
    pub form_sign_in: f64,
    pub dex_start: f64,
    pub apiserver_start: f64,
    pub oauth2_proxy_start: f64,
    pub realm_import: f64,
    /// A Keycloak of a case's own (`keycloak.own`), to its first discovery:
    /// one round only, it takes half a minute.
    pub keycloak_start: f64,
}

const FORM: &str = "<!doctype html><title>sign in</title>\
    <form method=post action=/done><input id=username name=username>\
    <input id=password name=password type=password>\
    <button id=go type=submit>Sign in</button></form>";

/// Measures every floor `rounds` times (at least once) in `dir`.
pub async fn measure(run: &Run, dir: &Path, rounds: usize) -> Result<Floors> {
    let rounds = rounds.max(1);
    std::fs::create_dir_all(dir).context(|| format!("creating {}", dir.display()))?;
    let site = static_site().await?;
    let (mut session, mut page, mut form) = (Vec::new(), Vec::new(), Vec::new());
    let spki = vec![run.ca.spki_sha256()?];
    let driver = run.driver().await?;
    for _ in 0..rounds {
        let t = Instant::now();
        let browser = Browser::start(driver, &run.programs.chromium, &spki, dir).await?;
        let opened = t.elapsed();
        let t = Instant::now();
        browser.goto(&format!("{site}/")).await?;
        page.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        browser.fill("#username", "jane").await?;
        browser.fill("#password", "secret").await?;
        browser.click("#go").await?;
        let arrived = browser
            .wait_navigation(&format!("{site}/"), Duration::from_secs(10))
            .await;
        if !arrived {
            return Err(Error::step("bench", "the static form did not post"));
        }
        form.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        browser.close().await;
        session.push((opened + t.elapsed()).as_secs_f64());
    }
    let (mut dex_times, mut api_times, mut proxy_times, mut realm_times) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let realm = serde_json::json!({
        "realm": "floor", "enabled": true,
        "clients": [{"clientId": "dex", "secret": "floor", "redirectUris": ["*"]}],
        "users": [{"username": "jane", "enabled": true, "email": "jane@example.com",
                   "credentials": [{"type": "password", "value": "secret", "temporary": false}]}],
    });
    for i in 0..rounds {
        let round = dir.join(i.to_string());
        std::fs::create_dir_all(&round).context(|| format!("creating {}", round.display()))?;
        let name = format!(
            "floor-{}",
            crate::infra::oidc::random_token(6).to_lowercase()
        );
        let t = Instant::now();
        run.keycloak
            .create_realm(crate::programs::keycloak::renamed(realm.clone(), &name))
            .await?;
        realm_times.push(t.elapsed().as_secs_f64());
        let _ = run.keycloak.delete_realm(&name).await;

        let plan = dex::DexPlan::new(run.cluster)?;
        let issuer = plan.issuer.clone();
        let config = serde_json::json!({"issuer": issuer, "enablePasswordDB": true});
        let t = Instant::now();
        let d = dex::Dex::start(&run.programs.dex, &run.ca, plan, config, &round).await?;
        dex_times.push(t.elapsed().as_secs_f64());

        let flags = vec![
            format!("oidc-issuer-url={issuer}"),
            "oidc-client-id=kubernetes".into(),
            "oidc-username-claim=email".into(),
            format!("oidc-ca-file={}", run.ca.cert_file().display()),
        ];
        let t = Instant::now();
        let api = ApiServer::start(
            &run.programs,
            &run.ca,
            &OidcAuth::Flags(flags),
            &round,
            run.cluster,
        )
        .await?;
        api_times.push(t.elapsed().as_secs_f64());

        let secret: [u8; 32] = rand::random();
        let given = oauth2_proxy::OAuth2ProxyConfig {
            config: serde_json::json!({
                "provider": "oidc", "oidc_issuer_url": issuer, "email_domains": ["*"],
                "client_id": "bench", "client_secret": "bench", "upstreams": ["static://200"],
                "cookie_secret": base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE, secret),
            }),
            ..Default::default()
        };
        let t = Instant::now();
        let proxy = oauth2_proxy::OAuth2Proxy::start(
            &run.programs.oauth2_proxy,
            &run.ca,
            oauth2_proxy::OAuth2ProxyPlan::new(false)?,
            &given,
            &round,
        )
        .await?;
        proxy_times.push(t.elapsed().as_secs_f64());
        drop((proxy, api, d));
        // Only the timings are kept: etcd's data alone is ~100 MB a round.
        let _ = std::fs::remove_dir_all(&round);
    }
    let keycloak_dir = dir.join("keycloak");
    std::fs::create_dir_all(&keycloak_dir)
        .context(|| format!("creating {}", keycloak_dir.display()))?;
    let t = Instant::now();
    let own = crate::programs::keycloak::Keycloak::start(
        &run.programs.keycloak,
        &run.ca,
        crate::infra::process::fresh_endpoint()?,
        &keycloak_dir,
    )
    .await?;
    let keycloak_start = t.elapsed().as_secs_f64();
    drop(own);
    let _ = std::fs::remove_dir_all(&keycloak_dir);
    Ok(Floors {
        keycloak_start,
        session: median(&session),
        page: median(&page),
        form_sign_in: median(&form),
        dex_start: median(&dex_times),
        apiserver_start: median(&api_times),
        oauth2_proxy_start: median(&proxy_times),
        realm_import: median(&realm_times),
    })
}

/// A local site with the form and the page it posts to; its base URL.
async fn static_site() -> Result<String> {
    let router = axum::Router::new()
        .route("/", axum::routing::get(|| async { Html(FORM) }))
        .route(
            "/done",
            axum::routing::post(|| async { Html("<!doctype html><title>done</title>signed in") }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .context(|| "bench: binding the static site".into())?;
    let addr = listener
        .local_addr()
        .context(|| "bench: the static site's address".into())?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Ok(format!("http://{addr}"))
}

/// The median (0 for none).
pub fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

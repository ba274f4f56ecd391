//! The app that signs users in (PaletteAI's UI, Kubeflow's proxy, ...): a
//! small OIDC relying party on its own loopback address. `/login` starts the
//! authorization code flow at the provider; `/callback` exchanges the code and
//! verifies the ID token against the provider's JWKS.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Redirect};
use serde_json::Value;
use tokio::sync::mpsc;

use crate::error::{Error, IoContext, Result};
use crate::infra::oidc::{Provider, TokenAnswer, random_token};

/// Where the app will listen, decided before configs are rendered.
#[derive(Debug, Clone)]
pub struct AppPlan {
    pub addr: SocketAddr,
    /// Where the provider sends the browser back (`/callback`).
    pub callback_path: String,
}

impl AppPlan {
    /// `callback_path`: the path of the app's redirect URI (default `/callback`).
    pub fn new(callback_path: Option<&str>) -> Result<AppPlan> {
        Ok(AppPlan {
            addr: crate::infra::process::fresh_endpoint()?,
            callback_path: callback_path.unwrap_or("/callback").to_string(),
        })
    }

    pub fn redirect_uri(&self) -> String {
        format!("http://{}{}", self.addr, self.callback_path)
    }

    pub fn login_url(&self) -> String {
        format!("http://{}/login", self.addr)
    }
}

/// The relying party's registration at the provider.
#[derive(Debug, Clone)]
pub struct Registration {
    pub program: String,
    pub provider: Provider,
    pub client_id: String,
    pub client_secret: String,
    pub scopes: Vec<String>,
    /// Extra query parameters for the authorization request (e.g. `connector_id`).
    pub extra: Vec<(String, String)>,
}

/// What came back to the callback.
#[derive(Debug, Clone)]
pub enum SignIn {
    /// Tokens, with the verified ID token claims.
    Tokens { tokens: Value, claims: Value },
    /// The provider redirected back with an error, or the exchange failed.
    Failed { error: String },
}

struct Shared {
    reg: Registration,
    http: reqwest::Client,
    redirect_uri: String,
    /// state -> nonce of flows started and not yet finished.
    pending: Mutex<HashMap<String, String>>,
    results: mpsc::UnboundedSender<SignIn>,
}

pub struct App {
    plan: AppPlan,
    results: tokio::sync::Mutex<mpsc::UnboundedReceiver<SignIn>>,
    server: tokio::task::JoinHandle<()>,
}

impl App {
    pub async fn start(plan: AppPlan, reg: Registration, http: reqwest::Client) -> Result<App> {
        let (tx, rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            reg,
            http,
            redirect_uri: plan.redirect_uri(),
            pending: Mutex::new(HashMap::new()),
            results: tx,
        });
        let router = axum::Router::new()
            .route("/login", axum::routing::get(login))
            .route(&plan.callback_path, axum::routing::get(callback))
            .with_state(shared);
        let listener = tokio::net::TcpListener::bind(plan.addr)
            .await
            .context(|| format!("app: binding {}", plan.addr))?;
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Ok(App {
            plan,
            results: tokio::sync::Mutex::new(rx),
            server,
        })
    }

    pub fn login_url(&self) -> String {
        self.plan.login_url()
    }

    pub fn redirect_uri(&self) -> String {
        self.plan.redirect_uri()
    }

    /// The next sign-in result, waiting up to `timeout`.
    pub async fn next_result(&self, timeout: std::time::Duration) -> Option<SignIn> {
        let mut rx = self.results.lock().await;
        tokio::time::timeout(timeout, rx.recv())
            .await
            .ok()
            .flatten()
    }
}

impl Drop for App {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn login(State(s): State<Arc<Shared>>) -> impl IntoResponse {
    let state = random_token(24);
    let nonce = random_token(24);
    s.pending
        .lock()
        .expect("not poisoned")
        .insert(state.clone(), nonce.clone());
    let mut url =
        url::Url::parse(&s.reg.provider.authorization_endpoint).expect("discovery gave a URL");
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &s.reg.client_id)
        .append_pair("redirect_uri", &s.redirect_uri)
        .append_pair("scope", &s.reg.scopes.join(" "))
        .append_pair("state", &state)
        .append_pair("nonce", &nonce);
    for (k, v) in &s.reg.extra {
        url.query_pairs_mut().append_pair(k, v);
    }
    Redirect::to(url.as_str())
}

async fn callback(
    State(s): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
) -> impl IntoResponse {
    let outcome = finish(&s, &q).await;
    let page = match &outcome {
        Ok(SignIn::Tokens { claims, .. }) => {
            callback_page(Ok(claims["email"].as_str().unwrap_or("?")))
        }
        Ok(SignIn::Failed { error }) | Err(Error::Step { message: error, .. }) => {
            callback_page(Err(error))
        }
        Err(e) => callback_page(Err(&e.to_string())),
    };
    let result = outcome.unwrap_or_else(|e| SignIn::Failed {
        error: e.to_string(),
    });
    let _ = s.results.send(result);
    Html(page)
}

async fn finish(s: &Shared, q: &HashMap<String, String>) -> Result<SignIn> {
    if let Some(error) = q.get("error") {
        let desc = q.get("error_description").cloned().unwrap_or_default();
        return Ok(SignIn::Failed {
            error: format!("{error}: {desc}"),
        });
    }
    let state = q.get("state").cloned().unwrap_or_default();
    let Some(nonce) = s.pending.lock().expect("not poisoned").remove(&state) else {
        return Err(Error::step("callback", format!("unknown state `{state}`")));
    };
    let code = q
        .get("code")
        .ok_or_else(|| Error::step("callback", "no code in the callback"))?;
    let reg = &s.reg;
    let answer = reg
        .provider
        .token(
            &s.http,
            &reg.program,
            (&reg.client_id, &reg.client_secret),
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", &s.redirect_uri),
            ],
        )
        .await?;
    let tokens = match answer {
        TokenAnswer::Tokens(t) => t,
        TokenAnswer::Refused(r) => {
            return Ok(SignIn::Failed {
                error: format!("token endpoint answered {r}"),
            });
        }
    };
    let id_token = tokens["id_token"]
        .as_str()
        .ok_or_else(|| Error::step("callback", "no id_token in the token response"))?;
    let claims = reg
        .provider
        .verify(&s.http, &reg.program, id_token, &reg.client_id)
        .await?;
    if claims["nonce"] != nonce.as_str() {
        return Err(Error::step(
            "callback",
            "the ID token's nonce is not the one sent",
        ));
    }
    Ok(SignIn::Tokens { tokens, claims })
}

/// The page `/callback` answers: who signed in, or the error, HTML-escaped.
fn callback_page(outcome: std::result::Result<&str, &str>) -> String {
    const PAGE: &str = "{% if email is not none %}<h1 id=\"signed-in\">Signed in</h1><p>as {{ email }}</p>\
        {% else %}<h1 id=\"sign-in-failed\">Sign-in failed</h1><pre>{{ error }}</pre>{% endif %}";
    let env = minijinja::Environment::new();
    let (email, error) = match outcome {
        Ok(email) => (Some(email), None),
        Err(error) => (None, Some(error)),
    };
    // The `.html` name turns auto-escaping on.
    env.template_from_named_str("callback.html", PAGE)
        .and_then(|t| t.render(minijinja::context! { email, error }))
        .unwrap_or_else(|_| "<h1 id=\"sign-in-failed\">Sign-in failed</h1>".into())
}

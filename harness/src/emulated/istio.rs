//! Kubeflow's Istio ingress gateway, emulated: one host in front of the real
//! Dex, the real oauth2-proxy and the application, as Kubeflow's manifests wire
//! them (`common/oauth2-proxy/components/istio-external-auth`):
//!
//! - VirtualServices: `/dex/` → Dex, `/oauth2/` → oauth2-proxy, the rest → the
//!   application. The guide's relative URLs (`login_url = "/dex/auth"`, Dex's
//!   redirect URI `/oauth2/callback`) only work because all three share it.
//! - AuthorizationPolicy CUSTOM (provider `oauth2-proxy`, an
//!   `envoyExtAuthzHttp` extension of the mesh config): a request WITHOUT an
//!   `Authorization` header, outside `/dex/` and `/oauth2/`, is checked by
//!   oauth2-proxy first; on 2xx the `headersToUpstreamOnAllow` of its answer
//!   go upstream, otherwise its answer goes back to the browser
//!   (`headersToDownstreamOnDeny`, plus Location as Envoy always adds).
//! - RequestAuthentication (the guide's `dex-jwt`): a Bearer JWT must verify
//!   against its issuer's JWKS (Envoy's texts: `Jwt header [alg] is not
//!   supported` for an `alg` it does not implement, `none` among them; `Jwt
//!   issuer is not configured`; `Jwks doesn't have key to match kid or alg
//!   from Jwt`; `Jwt verification fails`); `outputClaimToHeaders` copies claims
//!   to headers; `forwardOriginalToken` keeps the token. The JWKS is the one
//!   istiod inlined: fetched once, refreshed every 20 minutes.
//! - AuthorizationPolicy DENY without a request principal (a verified JWT),
//!   outside `/dex/` and `/oauth2/`: `RBAC: access denied`.
//!
//! Dex, oauth2-proxy and the tokens are real; only the routing and these
//! policies are the harness's. Every decision is logged with `[emulated]`.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;

use super::LABEL;
use crate::error::{Error, IoContext, Result};
use crate::infra::oidc::Provider;
use crate::model::spec::{ExtAuthz, IstioSpec};

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct JwtRule {
    issuer: String,
    #[serde(default)]
    audiences: Vec<String>,
    #[serde(default)]
    jwks_uri: Option<String>,
    #[serde(default)]
    forward_original_token: bool,
    #[serde(default)]
    output_claim_to_headers: Vec<ClaimToHeader>,
    #[serde(default)]
    from_headers: Vec<FromHeader>,
}

#[derive(Debug, Clone, Deserialize)]
struct ClaimToHeader {
    header: String,
    claim: String,
}

#[derive(Debug, Clone, Deserialize)]
struct FromHeader {
    name: String,
    #[serde(default)]
    prefix: String,
}

/// Where the gateway listens, decided before configs are rendered (Dex's
/// issuer is under it).
#[derive(Debug, Clone)]
pub struct GatewayPlan {
    pub addr: SocketAddr,
}

impl GatewayPlan {
    pub fn new() -> Result<GatewayPlan> {
        Ok(GatewayPlan {
            addr: crate::infra::process::fresh_endpoint()?,
        })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// Where the gateway's routes go.
#[derive(Debug, Clone)]
pub struct Backends {
    /// Dex's own address (`https://<addr>`), serving under `/dex`.
    pub dex: String,
    pub oauth2_proxy: String,
    pub app: String,
}

struct Shared {
    /// Each issuer's JWKS as istiod inlined it into the gateway's config,
    /// and when: istiod fetches a `jwksUri` once and refreshes it every 20
    /// minutes (PILOT_JWT_PUB_KEY_REFRESH_INTERVAL), so after the issuer
    /// rotates its keys the gateway holds the old set until then.
    jwks: Mutex<BTreeMap<String, (jsonwebtoken::jwk::JwkSet, std::time::Instant)>>,
    rules: Vec<JwtRule>,
    ext_authz: ExtAuthz,
    backends: Backends,
    http: reqwest::Client,
    log: Arc<Mutex<Vec<String>>>,
}

pub struct Gateway {
    plan: GatewayPlan,
    log: Arc<Mutex<Vec<String>>>,
    server: tokio::task::JoinHandle<()>,
}

impl Gateway {
    pub async fn start(
        plan: GatewayPlan,
        spec: &IstioSpec,
        backends: Backends,
        http: reqwest::Client,
    ) -> Result<Gateway> {
        let rules: Vec<JwtRule> =
            serde_json::from_value(spec.request_authentication["spec"]["jwtRules"].clone())
                .map_err(|e| {
                    Error::step(
                        "istio",
                        format!(
                            "request_authentication: spec.jwtRules is not a list of JWT rules: {e}"
                        ),
                    )
                })?;
        let log = Arc::new(Mutex::new(Vec::new()));
        let shared = Arc::new(Shared {
            jwks: Mutex::new(BTreeMap::new()),
            rules,
            ext_authz: spec.ext_authz.clone(),
            backends,
            http,
            log: log.clone(),
        });
        let listener = tokio::net::TcpListener::bind(plan.addr)
            .await
            .context(|| format!("gateway: binding {}", plan.addr))?;
        let router = axum::Router::new().fallback(handle).with_state(shared);
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Ok(Gateway { plan, log, server })
    }

    pub fn url(&self) -> String {
        self.plan.url()
    }

    /// Every decision the gateway took, `[emulated]` first.
    pub fn log_lines(&self) -> Vec<String> {
        self.log.lock().expect("not poisoned").clone()
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl Shared {
    fn note(&self, line: String) {
        tracing::debug!("{line}");
        self.log
            .lock()
            .expect("not poisoned")
            .push(format!("{LABEL} istio-ingressgateway: {line}"));
    }
}

async fn handle(State(s): State<Arc<Shared>>, req: Request) -> Response {
    let path = req.uri().path().to_string();
    let target = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".into());
    let method = req.method().clone();
    let mut headers = req.headers().clone();
    let body = axum::body::to_bytes(req.into_body(), 16 << 20)
        .await
        .unwrap_or_default();
    if path.starts_with("/dex/") || path == "/dex" {
        return forward(&s, &s.backends.dex, method, &target, headers, body).await;
    }
    if path.starts_with("/oauth2/") {
        return forward(&s, &s.backends.oauth2_proxy, method, &target, headers, body).await;
    }
    // AuthorizationPolicy CUSTOM: only requests without an Authorization header.
    if !headers.contains_key("authorization") {
        match ext_authz(&s, &method, &target, &headers).await {
            Ok(allowed) => {
                for (name, value) in allowed.iter() {
                    headers.insert(name.clone(), value.clone());
                }
            }
            Err(denied) => return denied,
        }
    }
    // RequestAuthentication, then the DENY policy for requests without a principal.
    match request_authentication(&s, &path, &mut headers).await {
        Ok(true) => {}
        Ok(false) => {
            s.note(format!(
                "{method} {path}: no verified JWT: RBAC: access denied (403)"
            ));
            return (StatusCode::FORBIDDEN, "RBAC: access denied").into_response();
        }
        Err(refusal) => return refusal,
    }
    forward(&s, &s.backends.app, method, &target, headers, body).await
}

/// The ext-authz check at oauth2-proxy: the headers to add upstream when it
/// allows, its own answer when it does not.
async fn ext_authz(
    s: &Shared,
    method: &axum::http::Method,
    target: &str,
    headers: &HeaderMap,
) -> std::result::Result<HeaderMap, Response> {
    let mut check = s.http.request(
        method.clone(),
        format!("{}{target}", s.backends.oauth2_proxy),
    );
    for name in &s.ext_authz.include_request_headers_in_check {
        for value in headers.get_all(name.as_str()) {
            check = check.header(name.as_str(), value.clone());
        }
    }
    let answer = match check.send().await {
        Ok(a) => a,
        Err(e) => {
            s.note(format!("ext-authz: oauth2-proxy unreachable: {e}"));
            return Err((StatusCode::FORBIDDEN, "ext_authz error").into_response());
        }
    };
    let status = answer.status();
    if status.is_success() {
        let mut allowed = HeaderMap::new();
        for name in &s.ext_authz.headers_to_upstream_on_allow {
            if let (Ok(n), Some(v)) = (
                HeaderName::from_bytes(name.as_bytes()),
                answer.headers().get(name.as_str()),
            ) {
                allowed.insert(n, v.clone());
            }
        }
        let names: Vec<&str> = allowed.keys().map(HeaderName::as_str).collect();
        s.note(format!(
            "{method} {target}: ext-authz oauth2-proxy answered {status}: allowed, upstream gets {names:?}"
        ));
        return Ok(allowed);
    }
    s.note(format!(
        "{method} {target}: ext-authz oauth2-proxy answered {status}: denied, its answer goes back"
    ));
    let mut out = Response::builder().status(status.as_u16());
    // Envoy adds Location and WWW-Authenticate to the listed headers.
    let mut names: Vec<String> = s.ext_authz.headers_to_downstream_on_deny.clone();
    names.extend(["location".into(), "www-authenticate".into()]);
    for name in names {
        for value in answer.headers().get_all(name.as_str()) {
            out = out.header(name.as_str(), value.clone());
        }
    }
    let body = answer.bytes().await.unwrap_or_default();
    Err(out.body(Body::from(body)).unwrap_or_default())
}

/// Verifies a Bearer JWT by the rules; `Ok(true)` when a principal was set.
async fn request_authentication(
    s: &Shared,
    path: &str,
    headers: &mut HeaderMap,
) -> std::result::Result<bool, Response> {
    for rule in &s.rules {
        let sources: Vec<FromHeader> = if rule.from_headers.is_empty() {
            vec![FromHeader {
                name: "authorization".into(),
                prefix: "Bearer ".into(),
            }]
        } else {
            rule.from_headers.clone()
        };
        for source in &sources {
            let Some(token) = headers
                .get(source.name.to_lowercase().as_str())
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix(source.prefix.as_str()))
                .map(str::to_string)
            else {
                continue;
            };
            let unauthorized = |why: &str| {
                s.note(format!("{path}: {why} (401)"));
                (StatusCode::UNAUTHORIZED, why.to_string()).into_response()
            };
            // Envoy parses the token first: its header's `alg` must be one it implements.
            let claims = match super::envoy::parse(&token) {
                Ok(c) => c,
                Err(why) => return Err(unauthorized(why)),
            };
            let issuer = claims["iss"].as_str().unwrap_or_default();
            let Some(rule) = s.rules.iter().find(|r| r.issuer == issuer) else {
                return Err(unauthorized("Jwt issuer is not configured"));
            };
            // A `kid` the inlined JWKS lacks is refused before any signature check.
            if let Ok((_, jwks)) = inlined_jwks(s, rule).await
                && let Ok(header) = jsonwebtoken::decode_header(&token)
                && header.kid.as_ref().is_some_and(|k| jwks.find(k).is_none())
            {
                return Err(unauthorized(super::envoy::NO_MATCHING_KEY));
            }
            let verified = match verify(s, rule, &token).await {
                Ok(c) => c,
                Err(e) => {
                    s.note(format!("{path}: {e}"));
                    return Err(unauthorized("Jwt verification fails"));
                }
            };
            let mut shown = BTreeMap::new();
            for out in &rule.output_claim_to_headers {
                let value = match &verified[&out.claim] {
                    Value::String(v) => v.clone(),
                    Value::Array(items) => items
                        .iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(","),
                    Value::Null => continue,
                    other => other.to_string(),
                };
                if let (Ok(n), Ok(v)) = (
                    HeaderName::from_bytes(out.header.as_bytes()),
                    HeaderValue::from_str(&value),
                ) {
                    headers.insert(n, v);
                    shown.insert(out.header.clone(), value);
                }
            }
            if !rule.forward_original_token {
                headers.remove(source.name.to_lowercase().as_str());
            }
            s.note(format!(
                "{path}: JWT of {issuer} verified (sub {}, aud {:?}); claims to headers {shown:?}",
                verified["sub"],
                audiences(&verified)
            ));
            return Ok(true);
        }
    }
    Ok(false)
}

/// Discovery, and the JWKS as istiod inlined it (fetched once, refreshed
/// after `JWKS_REFRESH`).
async fn inlined_jwks(s: &Shared, rule: &JwtRule) -> Result<(Provider, jsonwebtoken::jwk::JwkSet)> {
    let mut provider = Provider::discover(&s.http, "dex", &rule.issuer).await?;
    if let Some(jwks) = &rule.jwks_uri {
        provider.jwks_uri = jwks.clone();
    }
    let held = s
        .jwks
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&provider.jwks_uri)
        .filter(|(_, at)| at.elapsed() < JWKS_REFRESH)
        .map(|(set, _)| set.clone());
    let set = match held {
        Some(set) => set,
        None => {
            let set = provider.jwks(&s.http, "dex").await?;
            s.note(format!(
                "istiod inlined the JWKS of {} ({} keys), refreshed every {} min",
                rule.issuer,
                set.keys.len(),
                JWKS_REFRESH.as_secs() / 60
            ));
            s.jwks.lock().unwrap_or_else(|e| e.into_inner()).insert(
                provider.jwks_uri.clone(),
                (set.clone(), std::time::Instant::now()),
            );
            set
        }
    };
    Ok((provider, set))
}

/// istiod's default `PILOT_JWT_PUB_KEY_REFRESH_INTERVAL`.
const JWKS_REFRESH: std::time::Duration = std::time::Duration::from_secs(20 * 60);

async fn verify(s: &Shared, rule: &JwtRule, token: &str) -> Result<Value> {
    let (provider, jwks) = inlined_jwks(s, rule).await?;
    let audiences: Vec<&str> = rule.audiences.iter().map(String::as_str).collect();
    provider.verify_jwt_with(&jwks, token, &audiences)
}

async fn forward(
    s: &Shared,
    base: &str,
    method: axum::http::Method,
    target: &str,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let mut req = s.http.request(method, format!("{base}{target}"));
    for (name, value) in headers.iter() {
        if name != "host" && name != "content-length" {
            req = req.header(name, value);
        }
    }
    match req.body(body).send().await {
        Ok(answer) => {
            let mut out = Response::builder().status(answer.status().as_u16());
            for (name, value) in answer.headers() {
                if name != "transfer-encoding" && name != "content-length" {
                    out = out.header(name, value);
                }
            }
            let body = answer.bytes().await.unwrap_or_default();
            out.body(Body::from(body)).unwrap_or_default()
        }
        Err(e) => {
            s.note(format!("{target}: upstream {base} unreachable: {e}"));
            (StatusCode::SERVICE_UNAVAILABLE, envoy_local_reply(&e)).into_response()
        }
    }
}

/// Envoy's local reply when the upstream cannot be reached: its endpoint
/// refuses the connection (a pod whose process is down), or does not answer.
fn envoy_local_reply(e: &reqwest::Error) -> &'static str {
    if e.is_connect() {
        "upstream connect error or disconnect/reset before headers. reset reason: connection failure"
    } else if e.is_timeout() {
        "upstream connect error or disconnect/reset before headers. reset reason: connection timeout"
    } else {
        "upstream connect error or disconnect/reset before headers. reset reason: connection termination"
    }
}

/// A JWT's `aud`, a string or a list.
fn audiences(claims: &Value) -> Vec<String> {
    match &claims["aud"] {
        Value::String(a) => vec![a.clone()],
        Value::Array(items) => items
            .iter()
            .filter_map(|a| a.as_str().map(String::from))
            .collect(),
        _ => Vec::new(),
    }
}

//! The OpenID Connect client side the harness plays: discovery, the code
//! exchange, ID token verification against the issuer's JWKS (jsonwebtoken),
//! userinfo and the password grant.

use jsonwebtoken::{Algorithm, DecodingKey, Validation, jwk::JwkSet};
use serde::Deserialize;
use serde_json::Value;

use crate::error::{Error, Result};

/// The parts of a discovery document the harness uses; `raw` has all of it.
#[derive(Debug, Clone, Deserialize)]
pub struct Provider {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    #[serde(default)]
    pub userinfo_endpoint: Option<String>,
    #[serde(skip)]
    pub raw: Value,
}

/// A token endpoint answer: tokens, or the OAuth error the server gave.
#[derive(Debug, Clone)]
pub enum TokenAnswer {
    Tokens(Value),
    Refused(TokenRefusal),
}

/// A token endpoint's refusal: its HTTP status and OAuth error.
#[derive(Debug, Clone)]
pub struct TokenRefusal {
    pub status: u16,
    pub error: String,
    pub description: String,
}

impl TokenRefusal {
    /// As evidence of the program that answered.
    pub fn evidence(&self, program: &str) -> crate::model::evidence::Refusal {
        crate::model::evidence::Refusal {
            program: program.into(),
            status: self.status,
            error: self.error.clone(),
            description: self.description.clone(),
        }
    }
}

impl std::fmt::Display for TokenRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status, self.error, self.description)
    }
}

impl Provider {
    pub async fn discover(http: &reqwest::Client, program: &str, issuer: &str) -> Result<Provider> {
        let url = format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
        let raw: Value = get_json(http, program, &url).await?;
        let mut p: Provider =
            serde_json::from_value(raw.clone()).map_err(|e| Error::http(program, &url, e))?;
        p.raw = raw;
        Ok(p)
    }

    /// POSTs a form to the token endpoint with HTTP basic client authentication.
    pub async fn token(
        &self,
        http: &reqwest::Client,
        program: &str,
        client: (&str, &str),
        form: &[(&str, &str)],
    ) -> Result<TokenAnswer> {
        let resp = http
            .post(&self.token_endpoint)
            .basic_auth(client.0, Some(client.1))
            .form(form)
            .send()
            .await
            .map_err(|e| Error::http(program, &self.token_endpoint, e))?;
        let status = resp.status().as_u16();
        let body: Value = resp
            .json()
            .await
            .map_err(|e| Error::http(program, &self.token_endpoint, e))?;
        if (200..300).contains(&status) {
            return Ok(TokenAnswer::Tokens(body));
        }
        Ok(TokenAnswer::Refused(TokenRefusal {
            status,
            error: body["error"].as_str().unwrap_or_default().to_string(),
            description: body["error_description"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        }))
    }

    /// Verifies `token`'s signature against the JWKS, its issuer, audience and
    /// expiry; returns the claims.
    pub async fn verify(
        &self,
        http: &reqwest::Client,
        program: &str,
        token: &str,
        audience: &str,
    ) -> Result<Value> {
        self.verify_jwt(http, program, token, &[audience]).await
    }

    /// Like `verify`, for any JWT of this issuer (an access token too): the
    /// `aud` claim must hold one of `audiences`; an empty list accepts any
    /// audience, as a JWT rule without `audiences` does in Istio and Envoy.
    pub async fn verify_jwt(
        &self,
        http: &reqwest::Client,
        program: &str,
        token: &str,
        audiences: &[&str],
    ) -> Result<Value> {
        let jwks = self.jwks(http, program).await?;
        self.verify_jwt_with(&jwks, token, audiences)
    }

    /// The issuer's JWKS as it publishes it now.
    pub async fn jwks(&self, http: &reqwest::Client, program: &str) -> Result<JwkSet> {
        serde_json::from_value(get_json(http, program, &self.jwks_uri).await?)
            .map_err(|e| Error::http(program, &self.jwks_uri, format!("not a JWKS: {e}")))
    }

    /// Verifies `token` against a key set held by the relying party (which
    /// may be older than what the issuer publishes now).
    pub fn verify_jwt_with(&self, jwks: &JwkSet, token: &str, audiences: &[&str]) -> Result<Value> {
        let header = jsonwebtoken::decode_header(token)
            .map_err(|e| Error::step("verify", format!("not a JWT: {e}")))?;
        let jwk = match &header.kid {
            Some(kid) => jwks.find(kid),
            None => jwks.keys.first(),
        }
        .ok_or_else(|| {
            Error::step(
                "verify",
                format!("no key {:?} in {}", header.kid, self.jwks_uri),
            )
        })?;
        let key = DecodingKey::from_jwk(jwk).map_err(|e| Error::step("verify", e.to_string()))?;
        let mut validation = Validation::new(header.alg);
        validation.algorithms = vec![header.alg, Algorithm::RS256];
        if audiences.is_empty() {
            validation.validate_aud = false;
        } else {
            validation.set_audience(audiences);
        }
        validation.set_issuer(&[&self.issuer]);
        let data = jsonwebtoken::decode::<Value>(token, &key, &validation)
            .map_err(|e| Error::step("verify", format!("token rejected: {e}")))?;
        Ok(data.claims)
    }

    pub async fn userinfo(
        &self,
        http: &reqwest::Client,
        program: &str,
        access_token: &str,
    ) -> Result<Value> {
        let url = self.userinfo_endpoint.as_deref().ok_or_else(|| {
            Error::http(program, &self.issuer, "no userinfo_endpoint in discovery")
        })?;
        let (status, body) = send(http.get(url).bearer_auth(access_token), program, url).await?;
        if !status.is_success() {
            return Err(Error::http(program, url, format!("{status}: {body}")));
        }
        serde_json::from_str(&body).map_err(|e| Error::http(program, url, format!("{e}: {body}")))
    }
}

/// Sends a request and reads its whole answer: the status and the body.
pub async fn send(
    req: reqwest::RequestBuilder,
    program: &str,
    url: &str,
) -> Result<(reqwest::StatusCode, String)> {
    let resp = req.send().await.map_err(|e| Error::http(program, url, e))?;
    let status = resp.status();
    let body = resp
        .text()
        .await
        .map_err(|e| Error::http(program, url, e))?;
    Ok((status, body))
}

pub async fn get_json(http: &reqwest::Client, program: &str, url: &str) -> Result<Value> {
    let (status, body) = send(http.get(url), program, url).await?;
    if !status.is_success() {
        return Err(Error::http(program, url, format!("{status}: {body}")));
    }
    serde_json::from_str(&body)
        .map_err(|e| Error::http(program, url, format!("not JSON ({e}): {body}")))
}

/// Decodes a JWT's payload without verifying it (for evidence only).
pub fn peek_claims(token: &str) -> Option<Value> {
    use base64::Engine;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// A random URL-safe string, for state, nonce and generated secrets.
pub fn random_token(len: usize) -> String {
    use rand::Rng;
    rand::rng()
        .sample_iter(rand::distr::Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

/// Now, in seconds since the epoch: the unit of a token's `iat` and `exp`.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

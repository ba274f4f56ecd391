//! Tokens going bad for real, and the evidence when they do: `restart`
//! (Dex comes back with new signing keys; the apiserver forgets what it
//! cached), `wait_token_expired` (until the token's `exp` has passed, a
//! condition, not a fixed sleep), and every token the apiserver answered
//! `Unauthorized`, decoded for the diagnosis.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use super::Perform;
use crate::error::{Error, Result};
use crate::infra::oidc::{Provider, get_json, peek_claims};
use crate::model::evidence::RefusedToken;
use crate::model::report::StepReport;
use crate::model::steps::{Fault, ForgeToken, KeycloakFault, Restartable, WaitTokenExpired};
use crate::run::cx::StepCx;

/// The longest `wait_token_expired` waits.
const LONGEST_WAIT: Duration = Duration::from_secs(120);

/// What kubectl prints when the apiserver answers 401, followed by
/// `(Unauthorized)` or `(the server has asked for the client to provide
/// credentials)` depending on the request that got it.
pub(super) const UNAUTHENTICATED: &str = "You must be logged in to the server";

impl Perform for Restartable {
    async fn perform(&self, cx: &mut StepCx<'_>) -> Result<StepReport> {
        let output = match self {
            Restartable::Dex => {
                let http = cx.run.ca.http_client()?;
                let dex = cx
                    .dex
                    .as_mut()
                    .ok_or_else(|| Error::step("restart", "the scenario has no dex"))?;
                let before = signing_keys(&http, dex.issuer()).await?;
                let offset = crate::programs::Program::log_text(&*dex).len();
                dex.restart(&cx.run.ca).await?;
                let after = signing_keys(&http, dex.issuer()).await?;
                // What Dex printed as it came back ("keys rotated" among it).
                let text = crate::programs::Program::log_text(&*dex);
                cx.evidence
                    .dex_log
                    .push_str(text.get(offset..).unwrap_or_default());
                format!("Dex restarted; its signing keys were {before:?}, now {after:?}")
            }
            Restartable::Apiserver => {
                let api = cx
                    .apiserver
                    .as_mut()
                    .ok_or_else(|| Error::step("restart", "the scenario has no apiserver"))?;
                api.restart().await?;
                "kube-apiserver restarted".to_string()
            }
        };
        Ok(StepReport {
            output: Some(output),
            ..Default::default()
        })
    }
}

/// A fault on the case's own Keycloak.
impl Perform for Fault {
    async fn perform(&self, cx: &mut StepCx<'_>) -> Result<StepReport> {
        let keycloak = cx.own_keycloak.as_mut().ok_or_else(|| {
            Error::step(
                "fault",
                "faults are for the case's own Keycloak: add `own: {}` under `keycloak`",
            )
        })?;
        match self.keycloak {
            KeycloakFault::Kill => keycloak.kill()?,
            KeycloakFault::Freeze => keycloak.freeze(true)?,
            KeycloakFault::Thaw => keycloak.freeze(false)?,
        }
        Ok(StepReport {
            output: Some(format!(
                "Keycloak at {}: {:?}",
                keycloak.url(),
                self.keycloak
            )),
            ..Default::default()
        })
    }
}

/// A forged copy of a token, kept under its own name (and, with `client`,
/// as that client's token response for steps that read one).
impl Perform for ForgeToken {
    async fn perform(&self, cx: &mut StepCx<'_>) -> Result<StepReport> {
        let real = match &self.client {
            Some(client) => cx
                .grants
                .get(&crate::run::cx::grant_key(client, &self.from))
                .and_then(|g| g["id_token"].as_str())
                .map(String::from),
            None => cx.tokens.get(&self.from).cloned(),
        }
        .ok_or_else(|| {
            Error::step(
                "forge_token",
                format!("no token for `{}`: get one in an earlier step", self.from),
            )
        })?;
        let forged = crate::infra::forge::forge(&real, self.forge)?;
        cx.tokens.insert(self.name.clone(), forged.clone());
        if let Some(claims) = cx.claims.get(&self.from).cloned() {
            cx.claims.insert(self.name.clone(), claims);
        }
        if let Some(client) = &self.client {
            cx.grants.insert(
                crate::run::cx::grant_key(client, &self.name),
                serde_json::json!({ "id_token": forged }),
            );
        }
        Ok(StepReport {
            output: Some(format!(
                "{}: {}'s ID token {}",
                self.name,
                self.from,
                self.forge.describe()
            )),
            ..Default::default()
        })
    }
}

/// Until the user's ID token is past its `exp`: the token an earlier
/// step got, else the one in the named `set_credentials` entry's cache.
impl Perform for WaitTokenExpired {
    async fn perform(&self, cx: &mut StepCx<'_>) -> Result<StepReport> {
        let token = match (cx.tokens.get(&self.user), cx.exec_users.get(&self.user)) {
            (Some(token), _) => token.clone(),
            (None, Some(entry)) => cached_id_token(&entry.cache_dir)
                .map(|(_, t)| t)
                .ok_or_else(|| {
                    Error::step("wait", format!("no token in {}", entry.cache_dir.display()))
                })?,
            (None, None) => {
                return Err(Error::step(
                    "wait",
                    format!("no token for `{}`: sign in with an earlier step", self.user),
                ));
            }
        };
        let exp = peek_claims(&token)
            .and_then(|c| c["exp"].as_i64())
            .ok_or_else(|| Error::step("wait", "the token has no `exp` claim"))?;
        // `exp` has whole seconds: it has passed once the clock reads exp + 1.
        let until = UNIX_EPOCH + Duration::from_secs(exp as u64 + 1);
        let left = until.duration_since(SystemTime::now()).unwrap_or_default();
        if left > LONGEST_WAIT {
            return Err(Error::step(
                "wait",
                format!(
                    "{}'s token expires in {}s; this step waits at most {}s: shorten Dex's expiry.idTokens",
                    self.user,
                    left.as_secs(),
                    LONGEST_WAIT.as_secs()
                ),
            ));
        }
        while SystemTime::now() < until {
            let left = until.duration_since(SystemTime::now()).unwrap_or_default();
            tokio::time::sleep(left.min(Duration::from_millis(500))).await;
        }
        Ok(StepReport {
            output: Some(format!(
                "waited {:.1}s: exp {exp} has passed",
                left.as_secs_f64()
            )),
            ..Default::default()
        })
    }
}

/// Records a token the apiserver refused, with what it says of itself
/// and whether its issuer still publishes the key that signed it.
pub(super) async fn note_refused(
    cx: &mut StepCx<'_>,
    source: String,
    token: &str,
    kubectl: &str,
    from_cache: bool,
) {
    let claims = peek_claims(token).unwrap_or(Value::Null);
    let kid = jsonwebtoken::decode_header(token).ok().and_then(|h| h.kid);
    let mut key_published = None;
    if let (Some(dex), Some(kid)) = (&cx.dex, &kid)
        && claims["iss"].as_str() == Some(dex.issuer())
        && let Ok(http) = cx.run.ca.http_client()
        && let Ok(keys) = signing_keys(&http, dex.issuer()).await
    {
        key_published = Some(keys.contains(kid));
    }
    let line = kubectl
        .lines()
        .find(|l| l.contains(UNAUTHENTICATED))
        .unwrap_or(kubectl)
        .trim()
        .to_string();
    cx.evidence.refused_tokens.push(RefusedToken {
        source,
        claims,
        kid,
        used_at: crate::infra::oidc::unix_now(),
        key_published,
        kubectl: line,
        from_cache,
    });
}

/// The `kid`s an issuer publishes in its JWKS right now.
async fn signing_keys(http: &reqwest::Client, issuer: &str) -> Result<Vec<String>> {
    let provider = Provider::discover(http, "dex", issuer).await?;
    let jwks = get_json(http, "dex", &provider.jwks_uri).await?;
    Ok(jwks["keys"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|k| k["kid"].as_str().map(String::from))
        .collect())
}

/// The ID token in a kubelogin token cache (a folder of JSON files named by
/// a hash of the provider, `{"id_token": ..., "refresh_token": ...}`), the
/// newest if there are several.
pub(super) fn cached_id_token(dir: &Path) -> Option<(PathBuf, String)> {
    let mut found: Vec<(SystemTime, PathBuf, String)> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_none_or(|e| e != "lock"))
        .filter_map(|p| {
            let text = std::fs::read_to_string(&p).ok()?;
            let json: Value = serde_json::from_str(&text).ok()?;
            let token = json["id_token"].as_str()?.to_string();
            let modified = p.metadata().and_then(|m| m.modified()).ok()?;
            Some((modified, p, token))
        })
        .collect();
    found.sort_by_key(|(modified, _, _)| *modified);
    found.pop().map(|(_, p, t)| (p, t))
}

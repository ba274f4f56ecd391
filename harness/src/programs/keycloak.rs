//! Keycloak: started with `kc.sh start --optimized` on https, driven through
//! its admin REST API. One instance serves a whole test run; every case gets a
//! realm of its own, created from a RealmRepresentation.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::infra::process::{Spec, Supervised};
use crate::infra::tls::Ca;
use crate::toolchain::KeycloakInstall;

const PROGRAM: &str = "keycloak";
const ADMIN_USER: &str = "harness-admin";

/// How to reach a running Keycloak; written to disk so other test processes
/// of the same run can use the shared instance.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Endpoint {
    pub url: String,
    pub admin_password: String,
    pub log: std::path::PathBuf,
}

/// A Keycloak this process started (it owns the process) or connected to.
pub struct Keycloak {
    endpoint: Endpoint,
    http: reqwest::Client,
    /// The last admin token and when it stops being used (before it expires).
    admin_token: tokio::sync::Mutex<Option<(String, std::time::Instant)>>,
    _process: Option<Supervised>,
}

impl Keycloak {
    /// Starts Keycloak on `addr` with a certificate from the run's CA.
    pub async fn start(
        install: &KeycloakInstall,
        ca: &Ca,
        addr: SocketAddr,
        dir: &Path,
    ) -> Result<Keycloak> {
        Keycloak::start_skewed(install, ca, addr, dir, None).await
    }

    /// [`Keycloak::start`] with its clock `offset` from the machine's
    /// (`faketime -f <offset>`: the JVM reads wall-clock time through libc).
    pub async fn start_skewed(
        install: &KeycloakInstall,
        ca: &Ca,
        addr: SocketAddr,
        dir: &Path,
        offset: Option<(&Path, &str)>,
    ) -> Result<Keycloak> {
        let ip = addr.ip().to_string();
        let cert = ca.issue(dir, "keycloak", std::slice::from_ref(&ip))?;
        let url = format!("https://{addr}");
        let admin_password = crate::infra::oidc::random_token(24);
        let java_opts = format!(
            "-Djava.io.tmpdir={tmp} -Dquarkus.transaction-manager.object-store.directory={tmp}/transactions",
            tmp = dir.join("keycloak-tmp").display()
        );
        std::fs::create_dir_all(dir.join("keycloak-tmp")).ok();
        let ca_dir = ca.cert_file().parent().unwrap_or(dir).to_path_buf();
        let image = super::container_image(PROGRAM, &[], &[dir, &ca_dir])?;
        // The native install is built (`kc.sh build --db=dev-mem`) for
        // `--optimized`; an image built with other options builds again at
        // `start` for the same option.
        let spec = match (&image, offset) {
            (None, Some((faketime, offset))) => Spec::new(PROGRAM, faketime, dir)
                .args(["-f", offset, "bash"])
                .arg(install.kc_sh())
                .args(["start", "--optimized"])
                .env("JAVA_HOME", install.java_home.to_string_lossy())
                // Timers and the JIT run on the monotonic clock: leave it real.
                .env("FAKETIME_DONT_FAKE_MONOTONIC", "1"),
            (Some(_), Some(_)) => {
                return Err(Error::step(
                    "keycloak",
                    "a clock offset needs the native backend (faketime preloads into the process)",
                ));
            }
            (None, None) => Spec::new(PROGRAM, "bash", dir)
                .arg(install.kc_sh())
                .args(["start", "--optimized"])
                .env("JAVA_HOME", install.java_home.to_string_lossy()),
            (Some(_), None) => Spec::new(PROGRAM, "kc.sh", dir).args(["start", "--db=dev-mem"]),
        };
        let spec = spec
            // `--cache=local`: no JGroups cluster, whose fixed ports (7800, 57800)
            // would collide between two runs side by side.
            .args(["--http-enabled=false", "--cache=local"])
            .arg(format!("--http-host={ip}"))
            .arg(format!("--https-port={}", addr.port()))
            .arg(format!("--hostname={url}"))
            .arg(format!(
                "--https-certificate-file={}",
                cert.cert_file.display()
            ))
            .arg(format!(
                "--https-certificate-key-file={}",
                cert.key_file.display()
            ))
            .env("JAVA_OPTS_APPEND", java_opts)
            .env("KC_BOOTSTRAP_ADMIN_USERNAME", ADMIN_USER)
            .env("KC_BOOTSTRAP_ADMIN_PASSWORD", &admin_password)
            .in_container(image);
        let mut process = Supervised::launch(spec).await?;
        let http = ca.http_client()?;
        let discovery = format!("{url}/realms/master/.well-known/openid-configuration");
        process
            .wait_ready(
                Duration::from_secs(240),
                "master realm discovery answering 200",
                || crate::infra::process::answers_ok(&http, &discovery),
            )
            .await?;
        let endpoint = Endpoint {
            url,
            admin_password,
            log: process.log_path().to_path_buf(),
        };
        Ok(Keycloak {
            endpoint,
            http,
            _process: Some(process),
            admin_token: Default::default(),
        })
    }

    /// A Keycloak started by another process of this run.
    pub fn connect(endpoint: Endpoint, ca: &Ca) -> Result<Keycloak> {
        Ok(Keycloak {
            endpoint,
            http: ca.http_client()?,
            _process: None,
            admin_token: Default::default(),
        })
    }

    /// Kills this case's own Keycloak (SIGKILL, its whole process group).
    pub fn kill(&mut self) -> Result<()> {
        self.own_process("kill")?.kill();
        Ok(())
    }

    /// Freezes (`true`, SIGSTOP) or thaws (SIGCONT) this case's own Keycloak:
    /// its port still accepts connections, nothing answers.
    pub fn freeze(&mut self, frozen: bool) -> Result<()> {
        self.own_process(if frozen { "freeze" } else { "thaw" })?
            .signal(if frozen {
                nix::sys::signal::Signal::SIGSTOP
            } else {
                nix::sys::signal::Signal::SIGCONT
            })
    }

    fn own_process(&mut self, what: &str) -> Result<&mut Supervised> {
        self._process.as_mut().ok_or_else(|| {
            Error::step(
                "fault",
                format!("cannot {what} the run's shared Keycloak: give the case its own (`keycloak.own`)"),
            )
        })
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    pub fn url(&self) -> &str {
        &self.endpoint.url
    }

    pub fn issuer(&self, realm: &str) -> String {
        format!("{}/realms/{realm}", self.endpoint.url)
    }

    /// An admin access token, reused until shortly before it expires: one
    /// password grant serves a case's admin calls.
    async fn admin_token(&self) -> Result<String> {
        let mut cached = self.admin_token.lock().await;
        if let Some((token, until)) = cached.as_ref()
            && std::time::Instant::now() < *until
        {
            return Ok(token.clone());
        }
        let (token, lifetime) = self.new_admin_token().await?;
        let until = std::time::Instant::now() + lifetime.saturating_sub(Duration::from_secs(10));
        *cached = Some((token.clone(), until));
        Ok(token)
    }

    async fn new_admin_token(&self) -> Result<(String, Duration)> {
        let url = format!(
            "{}/realms/master/protocol/openid-connect/token",
            self.endpoint.url
        );
        let resp = self
            .http
            .post(&url)
            .form(&[
                ("grant_type", "password"),
                ("client_id", "admin-cli"),
                ("username", ADMIN_USER),
                ("password", &self.endpoint.admin_password),
            ])
            .send()
            .await
            .map_err(|e| Error::http(PROGRAM, &url, e))?;
        let body: Value = resp
            .json()
            .await
            .map_err(|e| Error::http(PROGRAM, &url, e))?;
        let token = body["access_token"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| Error::http(PROGRAM, &url, format!("no admin token: {body}")))?;
        let lifetime = Duration::from_secs(body["expires_in"].as_u64().unwrap_or(0));
        Ok((token, lifetime))
    }

    /// Sends an admin REST request; returns the JSON body (Null when empty).
    pub async fn admin(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value> {
        let url = format!("{}/admin/realms{path}", self.endpoint.url);
        let mut req = self
            .http
            .request(method, &url)
            .bearer_auth(self.admin_token().await?);
        if let Some(body) = body {
            req = req.json(body);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| Error::http(PROGRAM, &url, e))?;
        let status = resp.status();
        let text = resp
            .text()
            .await
            .map_err(|e| Error::http(PROGRAM, &url, e))?;
        if !status.is_success() {
            return Err(Error::http(PROGRAM, &url, format!("{status}: {text}")));
        }
        if text.trim().is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_str(&text).map_err(|e| Error::http(PROGRAM, &url, e))
    }

    /// Creates a realm from a RealmRepresentation, the way the admin console's
    /// "Create realm" with a resource file does (POST /admin/realms).
    ///
    /// A representation that lists `clientScopes` replaces Keycloak's built-in
    /// ones (profile, email, roles...). Guides only list the scopes they add, so
    /// the built-in scopes of a fresh realm are added unless the file names them.
    pub async fn create_realm(&self, mut rep: Value) -> Result<()> {
        if let Some(listed) = rep.get("clientScopes").and_then(Value::as_array).cloned() {
            let named = |n: &str| listed.iter().any(|s| s["name"] == n);
            let mut builtin = self
                .admin(reqwest::Method::GET, "/master/client-scopes", None)
                .await?;
            let mut scopes: Vec<Value> = builtin
                .as_array_mut()
                .map(std::mem::take)
                .unwrap_or_default()
                .into_iter()
                .filter(|s| !s["name"].as_str().is_some_and(named))
                .map(strip_ids)
                .collect();
            scopes.extend(listed);
            rep["clientScopes"] = Value::Array(scopes);
        }
        self.admin(reqwest::Method::POST, "", Some(&rep)).await?;
        Ok(())
    }

    pub async fn delete_realm(&self, realm: &str) -> Result<()> {
        self.admin(reqwest::Method::DELETE, &format!("/{realm}"), None)
            .await?;
        Ok(())
    }

    /// The master realm's client scopes are what every new realm starts with.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }
}

/// Drops `id` fields, so a representation can be imported more than once.
fn strip_ids(mut v: Value) -> Value {
    match &mut v {
        Value::Object(map) => {
            map.remove("id");
            for (_, child) in map.iter_mut() {
                *child = strip_ids(std::mem::take(child));
            }
        }
        Value::Array(items) => {
            for child in items.iter_mut() {
                *child = strip_ids(std::mem::take(child));
            }
        }
        _ => {}
    }
    v
}

/// The password of `username` in a RealmRepresentation, if it has one.
pub fn user_password(rep: &Value, username: &str) -> Option<String> {
    rep["users"].as_array()?.iter().find_map(|u| {
        (u["username"] == username || u["email"] == username)
            .then(|| {
                u["credentials"]
                    .as_array()?
                    .iter()
                    .find(|c| c["type"] == "password")?["value"]
                    .as_str()
                    .map(str::to_string)
            })
            .flatten()
    })
}

/// A representation renamed to `realm` (realm names are unique per case).
pub fn renamed(mut rep: Value, realm: &str) -> Value {
    rep["realm"] = json!(realm);
    if let Some(map) = rep.as_object_mut() {
        map.remove("id");
    }
    rep
}

impl super::Program for Keycloak {
    fn log_path(&self) -> &std::path::Path {
        &self.endpoint.log
    }
}

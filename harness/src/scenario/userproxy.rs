//! oauth2-proxy as its user runs it, in whichever form they have it:
//! `oauth2_proxy.cfg` (alone or in a ConfigMap), its `OAUTH2_PROXY_*`
//! environment, a file of flags, a Deployment, the oauth2-proxy Helm chart's
//! values, or OSMO's `sidecars.oauth2Proxy` values. A Secret among the
//! files gives the values the others name (`secretKeyRef`, the chart's
//! `existingSecret`, OSMO's `secretName`).
//!
//! Every form becomes what oauth2-proxy itself reads: cfg keys, environment
//! and flags, each kept where the user put it (flags over environment over
//! cfg, as oauth2-proxy resolves them). Only addresses are then changed
//! (`replay`), each change said; where a chart adds something the user's
//! values do not hold, that is said too.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::Engine;
use serde_json::{Map, Value, json};

use super::userdir::{self, Kind};
use super::userinput;
use crate::error::{Error, Result};
use crate::infra::proxyopts::{self, ProxyOption};
use crate::infra::yaml;
use crate::model::report::Substitution;

/// A Kubernetes Secret of the folder: its name and its decoded values.
#[derive(Debug, Clone)]
pub struct Secret {
    pub name: String,
    pub values: BTreeMap<String, String>,
}

impl Secret {
    /// Every Secret in a file (a stream of manifests is allowed).
    pub fn load(path: &Path) -> Result<Vec<Secret>> {
        let text = userinput::read(path, userinput::SECRET)?;
        let docs =
            yaml::documents(&text).map_err(|e| userinput::not_yaml(path, e, userinput::SECRET))?;
        if let Some(d) = docs.iter().find(|d| {
            d["kind"] == "Secret"
                && ["data", "stringData"]
                    .iter()
                    .any(|k| !d[k].is_null() && !d[k].is_object())
        }) {
            let name = d["metadata"]["name"].as_str().unwrap_or("?");
            return Err(Error::input(
                path,
                0,
                0,
                format!(
                    "Secret {name}: `data` and `stringData` are maps of key to value: the apiserver cannot decode it"
                ),
            ));
        }
        if !docs.iter().any(|d| d["kind"] == "Secret") {
            return Err(Error::input(
                path,
                0,
                0,
                format!(
                    "no `kind: Secret` in this file: expected {}",
                    userinput::SECRET
                ),
            ));
        }
        let mut out = Vec::new();
        for doc in docs.iter().filter(|d| d["kind"] == "Secret") {
            let mut values = BTreeMap::new();
            for (k, v) in doc["data"].as_object().into_iter().flatten() {
                let decoded = v
                    .as_str()
                    .and_then(|s| base64::engine::general_purpose::STANDARD.decode(s).ok())
                    .and_then(|b| String::from_utf8(b).ok())
                    .ok_or_else(|| {
                        Error::input(path, 0, 0, format!("data.{k} is not base64 of UTF-8 text"))
                    })?;
                values.insert(k.clone(), decoded);
            }
            for (k, v) in doc["stringData"].as_object().into_iter().flatten() {
                values.insert(k.clone(), scalar(v));
            }
            out.push(Secret {
                name: doc["metadata"]["name"].as_str().unwrap_or_default().into(),
                values,
            });
        }
        Ok(out)
    }
}

/// oauth2-proxy's configuration as the user gives it.
#[derive(Debug, Clone, Default)]
pub struct GivenProxy {
    /// `oauth2_proxy.cfg` keys.
    pub config: Map<String, Value>,
    pub env: BTreeMap<String, String>,
    /// Flags, as given (`--name=value`).
    pub args: Vec<String>,
    /// The files it came from.
    pub from: Vec<PathBuf>,
    /// What the files do not say and oauth2-proxy's packaging adds.
    pub stood_in: Vec<Substitution>,
    /// Files the run writes for it, by path under `{{ oauth2_proxy.files }}`.
    pub files: BTreeMap<String, String>,
    /// Where each cfg key stands (`file:line:column`), for the static check.
    cfg_lines: BTreeMap<String, (PathBuf, usize, usize)>,
}

impl GivenProxy {
    /// Reads every oauth2-proxy file of the folder into one configuration.
    pub fn load(files: &[(Kind, PathBuf)], secrets: &[Secret]) -> Result<GivenProxy> {
        let mut given = GivenProxy::default();
        for (kind, path) in files {
            given.from.push(path.clone());
            let text = userinput::read(path, userinput::OAUTH2_PROXY)?;
            match kind {
                Kind::Oauth2ProxyConfig => given.add_cfg(path, &cfg_text(path, &text)?)?,
                Kind::Oauth2ProxyEnv => {
                    for (k, v) in env_lines(&text) {
                        given.env.insert(k, v);
                    }
                }
                Kind::Oauth2ProxyFlags => given.args.extend(
                    userdir::flag_words(&text)
                        .into_iter()
                        .filter(|w| w.starts_with("--")),
                ),
                Kind::Oauth2ProxyDeployment => given.add_deployment(path, &text, secrets)?,
                Kind::Oauth2ProxyHelmValues => given.add_chart_values(path, &text, secrets)?,
                Kind::OsmoValues => given.add_osmo_values(path, &text, secrets)?,
                _ => {}
            }
        }
        Ok(given)
    }

    fn add_cfg(&mut self, path: &Path, text: &str) -> Result<()> {
        let table: toml::Table = toml::from_str(text).map_err(|e| {
            let (line, column) = e
                .span()
                .map(|s| line_column(text, s.start))
                .unwrap_or((0, 0));
            Error::input(
                path,
                line,
                column,
                format!("not an oauth2_proxy.cfg (TOML): {}", e.message()),
            )
        })?;
        for (k, v) in table {
            let at = text
                .find(&format!("{k} "))
                .or_else(|| text.find(&format!("{k}=")))
                .map(|o| line_column(text, o))
                .unwrap_or((0, 0));
            self.cfg_lines
                .insert(k.clone(), (path.to_path_buf(), at.0, at.1));
            self.config
                .insert(k, serde_json::to_value(v).unwrap_or(Value::Null));
        }
        Ok(())
    }

    /// A Deployment's oauth2-proxy container: its args and env (values
    /// from the folder's Secrets where they are referenced).
    fn add_deployment(&mut self, path: &Path, text: &str, secrets: &[Secret]) -> Result<()> {
        let docs =
            yaml::documents(text).map_err(|e| Error::input(path, e.line, e.column, e.message))?;
        let container = docs
            .iter()
            .find_map(userdir::oauth2_proxy_container)
            .ok_or_else(|| Error::input(path, 0, 0, "no oauth2-proxy container"))?;
        for arg in [&container["command"], &container["args"]]
            .iter()
            .flat_map(|v| v.as_array().into_iter().flatten())
            .filter_map(Value::as_str)
            .filter(|a| a.starts_with("--"))
        {
            if let Some(cfg) = arg.strip_prefix("--config=") {
                self.stood_in.push(Substitution::new(
                    format!("{}: --config", path.display()),
                    cfg,
                    "the oauth2_proxy.cfg among your files, when there is one",
                ));
                continue;
            }
            self.args.push(arg.to_string());
        }
        self.env.extend(container_env(path, container, secrets)?);
        Ok(())
    }

    /// The oauth2-proxy Helm chart's values, rendered as its Deployment
    /// template does: `config.clientID/clientSecret/cookieSecret` (or
    /// `config.existingSecret`) as environment, `config.configFile` as the
    /// cfg (the chart's default one when not given), `extraArgs` as flags,
    /// `extraEnv` as environment.
    fn add_chart_values(&mut self, path: &Path, text: &str, secrets: &[Secret]) -> Result<()> {
        let doc: Value =
            yaml::from_str(text).map_err(|e| Error::input(path, e.line, e.column, e.message))?;
        let config = &doc["config"];
        let label = |k: &str| format!("{}: {k}", path.display());
        match config["configFile"].as_str() {
            Some(cfg) => self.add_cfg(path, cfg)?,
            None => {
                const CHART_DEFAULT: &str =
                    "email_domains = [ \"*\" ]\nupstreams = [ \"file:///dev/null\" ]\n";
                self.add_cfg(path, CHART_DEFAULT)?;
                self.stood_in.push(Substitution::new(
                    label("config.configFile"),
                    "(not set)",
                    "the chart's default: email_domains = [\"*\"], upstreams = [\"file:///dev/null\"]",
                ));
            }
        }
        let keys = [
            ("clientID", "client-id", "OAUTH2_PROXY_CLIENT_ID"),
            (
                "clientSecret",
                "client-secret",
                "OAUTH2_PROXY_CLIENT_SECRET",
            ),
            (
                "cookieSecret",
                "cookie-secret",
                "OAUTH2_PROXY_COOKIE_SECRET",
            ),
        ];
        let existing = config["existingSecret"].as_str();
        for (value_key, secret_key, env) in keys {
            let value = match existing {
                Some(name) => Some(secret_value(path, secrets, name, secret_key, env)?),
                None => config[value_key].as_str().map(String::from),
            };
            if let Some(v) = value {
                self.env.insert(env.into(), v);
            }
        }
        if let Some(name) = config["cookieName"].as_str() {
            self.args.push(format!("--cookie-name={name}"));
        }
        match &doc["extraArgs"] {
            Value::Object(map) => {
                for (k, v) in map {
                    self.args.push(format!("--{k}={}", scalar(v)));
                }
            }
            Value::Array(list) => self.args.extend(list.iter().map(scalar)),
            _ => {}
        }
        for e in doc["extraEnv"].as_array().into_iter().flatten() {
            if let (Some(k), Some(v)) = (e["name"].as_str(), e["value"].as_str()) {
                self.env.insert(k.into(), v.into());
            }
        }
        self.stood_in.push(Substitution::new(
            label("the chart's Deployment"),
            "--http-address=0.0.0.0:4180 --metrics-address=0.0.0.0:44180",
            "the run's own address for each (fixed ports would collide)",
        ));
        Ok(())
    }

    /// OSMO's `sidecars.oauth2Proxy`, as flags; its secrets from the Secret
    /// it names. OSMO's chart adds the service as upstream and the email
    /// rule; they are stood in for, and said.
    fn add_osmo_values(&mut self, path: &Path, text: &str, secrets: &[Secret]) -> Result<()> {
        let doc: Value =
            yaml::from_str(text).map_err(|e| Error::input(path, e.line, e.column, e.message))?;
        let sidecar = &doc["sidecars"]["oauth2Proxy"];
        let flags = [
            ("provider", "provider"),
            ("oidcIssuerUrl", "oidc-issuer-url"),
            ("clientId", "client-id"),
            ("cookieDomain", "cookie-domain"),
            ("scope", "scope"),
        ];
        for (key, flag) in flags {
            if let Some(v) = sidecar.get(key).filter(|v| !v.is_null()) {
                self.args.push(format!("--{flag}={}", scalar(v)));
            }
        }
        if sidecar["useKubernetesSecrets"] == true {
            let name = sidecar["secretName"]
                .as_str()
                .unwrap_or("oauth2-proxy-secrets");
            for (key, default, env) in [
                (
                    "clientSecretKey",
                    "client_secret",
                    "OAUTH2_PROXY_CLIENT_SECRET",
                ),
                (
                    "cookieSecretKey",
                    "cookie_secret",
                    "OAUTH2_PROXY_COOKIE_SECRET",
                ),
            ] {
                let secret_key = sidecar[key].as_str().unwrap_or(default);
                let v = secret_value(path, secrets, name, secret_key, env)?;
                self.env.insert(env.into(), v);
            }
        }
        self.args.extend(
            sidecar["extraArgs"]
                .as_array()
                .into_iter()
                .flatten()
                .map(scalar),
        );
        for (flag, value, why) in [
            (
                "upstream",
                "{{ upstream.url }}",
                "the OSMO service (the harness's echo of what it receives)",
            ),
            (
                "email-domain",
                "*",
                "oauth2-proxy needs an email rule to start; OSMO's chart gives one",
            ),
            ("set-xauthrequest", "true", "the sidecar passes the user on"),
        ] {
            if !self
                .args
                .iter()
                .any(|a| a.starts_with(&format!("--{flag}")))
            {
                self.args.push(format!("--{flag}={value}"));
                self.stood_in.push(Substitution::new(
                    format!("{}: what OSMO's chart adds, --{flag}", path.display()),
                    "(not in your values)",
                    format!("{value}: {why}"),
                ));
            }
        }
        Ok(())
    }

    /// The value oauth2-proxy takes for an option: its flag, else its
    /// environment variable, else its cfg key (viper's order).
    pub fn value(&self, cfg: &str) -> Option<String> {
        let option = proxyopts::by_cfg(cfg);
        let flag = option.map(|o| o.flag).unwrap_or(cfg);
        let from_flag = self
            .args
            .iter()
            .rev()
            .find_map(|a| a.strip_prefix(&format!("--{flag}=")).map(String::from));
        from_flag
            .or_else(|| self.env.get(&env_name(cfg)).cloned())
            .or_else(|| {
                self.config.get(cfg).map(|v| match v {
                    Value::Array(items) => items.iter().map(scalar).collect::<Vec<_>>().join(","),
                    v => scalar(v),
                })
            })
    }

    /// Applies `f` to every value of the option (each list item on its
    /// own), wherever the user set it; each change is said.
    pub fn map(
        &mut self,
        cfg: &str,
        f: &dyn Fn(&str) -> Option<String>,
        replayed: &mut Vec<Substitution>,
    ) {
        let flag = proxyopts::by_cfg(cfg).map(|o| o.flag).unwrap_or(cfg);
        let mut say = |what: String, given: &str, now: &str| {
            replayed.push(Substitution::new(what, given, now));
        };
        if let Some(v) = self.config.get_mut(cfg) {
            let items: Vec<&mut Value> = match v {
                Value::Array(items) => items.iter_mut().collect(),
                v => vec![v],
            };
            for item in items {
                if let Some(now) = item.as_str().and_then(f) {
                    say(
                        format!("oauth2_proxy.cfg {cfg}"),
                        item.as_str().unwrap_or_default(),
                        &now,
                    );
                    *item = json!(now);
                }
            }
        }
        let env = env_name(cfg);
        if let Some(v) = self.env.get_mut(&env) {
            let parts: Vec<String> = v.split(',').map(|p| f(p).unwrap_or(p.into())).collect();
            let now = parts.join(",");
            if now != *v {
                say(format!("environment {env}"), v, &now);
                *v = now;
            }
        }
        for arg in &mut self.args {
            let Some(given) = arg.strip_prefix(&format!("--{flag}=")) else {
                continue;
            };
            if let Some(now) = f(given) {
                say(format!("flag --{flag}"), given, &now);
                *arg = format!("--{flag}={now}");
            }
        }
    }

    /// Removes an option wherever the user set it, saying why.
    pub fn remove(&mut self, cfg: &str, why: &str, replayed: &mut Vec<Substitution>) {
        let flag = proxyopts::by_cfg(cfg).map(|o| o.flag).unwrap_or(cfg);
        if let Some(v) = self.config.remove(cfg) {
            replayed.push(Substitution::new(
                format!("oauth2_proxy.cfg {cfg}"),
                v.to_string(),
                why,
            ));
        }
        if let Some(v) = self.env.remove(&env_name(cfg)) {
            replayed.push(Substitution::new(
                format!("environment {}", env_name(cfg)),
                v,
                why,
            ));
        }
        let prefix = format!("--{flag}");
        self.args.retain(|a| {
            let hit = a == &prefix || a.starts_with(&format!("{prefix}="));
            if hit {
                replayed.push(Substitution::new(format!("flag {prefix}"), a.clone(), why));
            }
            !hit
        });
    }

    /// What the files alone show is wrong: options oauth2-proxy does not
    /// have (an unknown environment variable is ignored without a word).
    pub fn unknown_options(&self) -> Vec<String> {
        let mut out = Vec::new();
        for k in self.config.keys() {
            if proxyopts::by_cfg(k).is_none() {
                let at = self
                    .cfg_lines
                    .get(k)
                    .map(|(p, l, c)| format!("{}:{l}:{c}: ", p.display()))
                    .unwrap_or_default();
                out.push(format!(
                    "{at}`{k}` is not an oauth2_proxy.cfg key of oauth2-proxy {}{}: it refuses to start",
                    crate::toolchain::versions::OAUTH2_PROXY.version,
                    suggest(k, |o| o.cfg, "")
                ));
            }
        }
        for k in self.env.keys().filter(|k| k.starts_with("OAUTH2_PROXY_")) {
            if proxyopts::by_env(k).is_none() {
                out.push(format!(
                    "environment `{k}` is not an option of oauth2-proxy {}{}: it is ignored without a word",
                    crate::toolchain::versions::OAUTH2_PROXY.version,
                    suggest(
                        &k.trim_start_matches("OAUTH2_PROXY_").to_ascii_lowercase(),
                        |o| o.cfg,
                        "OAUTH2_PROXY_"
                    )
                    .to_ascii_uppercase()
                    .replace("(DID YOU MEAN", "(did you mean")
                ));
            }
        }
        for a in &self.args {
            let name = a
                .trim_start_matches('-')
                .split('=')
                .next()
                .unwrap_or_default();
            if proxyopts::by_flag(name).is_none() && !proxyopts::FLAG_ONLY.contains(&name) {
                out.push(format!(
                    "flag `--{name}` is not a flag of oauth2-proxy {}{}: it refuses to start",
                    crate::toolchain::versions::OAUTH2_PROXY.version,
                    suggest(name, |o| o.flag, "--")
                ));
            }
        }
        out
    }

    /// The scenario's `oauth2_proxy` block; `tls` when the app's public
    /// address is HTTPS.
    pub fn spec(&self, tls: bool) -> Value {
        json!({"config": self.config, "env": self.env, "args": self.args, "files": self.files, "tls": tls})
    }
}

/// What the replay of oauth2-proxy found and changed.
#[derive(Debug, Clone, Default)]
pub struct ProxyReplay {
    /// The app's public origin (`https://app.example.com`, from
    /// `redirect_url`), which the run's oauth2-proxy stands at.
    pub origin: Option<String>,
    pub client_id: String,
    /// Faults the files alone show.
    pub problems: Vec<String>,
    /// `cookie_domains` as given (the run unsets it).
    pub cookie_domains: Option<String>,
    /// Whether its cookies are Secure (`cookie_secure`, default true).
    pub cookie_secure: bool,
}

impl ProxyReplay {
    /// A cookie the browser will not keep or send: a cookie domain the
    /// app's host is not under, a Secure cookie on plain HTTP.
    pub fn cookie_problems(&self, origin: &str) -> Vec<String> {
        let host = host(origin).to_string();
        let mut out = Vec::new();
        if let Some(domains) = self.cookie_domains.clone() {
            let covers = |d: &str| {
                let d = d.trim().trim_start_matches('.');
                host == d || host.ends_with(&format!(".{d}"))
            };
            if !domains.split(',').any(covers) {
                out.push(format!(
                    "oauth2-proxy's cookie domain {domains} does not cover the app's host `{host}`: the browser drops the CSRF and session cookies, and the callback fails with a CSRF cookie error; set cookie_domains to `.{host}` (or a domain above it) or leave it unset"));
            }
        }
        let secure = self.cookie_secure;
        let local = host == "localhost" || host == "127.0.0.1";
        if origin.starts_with("http://") && secure && !local {
            out.push(format!(
                "oauth2-proxy sets its cookies Secure (cookie_secure defaults to true) but the app is served over plain HTTP ({origin}): the browser never sends them back and every callback fails its CSRF check; serve it over HTTPS or set cookie_secure = false"
            ));
        }
        out
    }
}

/// The URL-valued options that name the identity provider.
const PROVIDER_URLS: &[&str] = &[
    "oidc_issuer_url",
    "login_url",
    "redeem_url",
    "oidc_jwks_url",
    "profile_url",
    "validate_url",
    "backend_logout_url",
];

impl GivenProxy {
    /// Changes the addresses only: the provider's URLs through
    /// `provider_url` (the same rewrite as Dex's and Keycloak's files), the
    /// app's origin to the run's oauth2-proxy, HTTP upstreams to the run's
    /// application, listen addresses to the run's; fills a masked secret
    /// (`client_secret` from `idp_secret`); each change is said.
    pub fn replay(
        &mut self,
        provider_url: &dyn Fn(&str) -> Option<String>,
        idp_secret: Option<&str>,
        replayed: &mut Vec<Substitution>,
    ) -> ProxyReplay {
        let mut out = ProxyReplay {
            client_id: self.value("client_id").unwrap_or_default(),
            problems: self.unknown_options(),
            cookie_domains: self.value("cookie_domains"),
            cookie_secure: self.value("cookie_secure").is_none_or(|v| v != "false"),
            ..ProxyReplay::default()
        };
        for key in PROVIDER_URLS {
            self.map(key, provider_url, replayed);
        }
        let redirect = self.value("redirect_url").unwrap_or_default();
        out.origin = origin(&redirect);
        if let Some(origin) = out.origin.clone() {
            out.problems.extend(out.cookie_problems(&origin));
            self.map(
                "redirect_url",
                &|u| {
                    u.strip_prefix(origin.as_str())
                        .map(|rest| format!("{{{{ oauth2_proxy.url }}}}{rest}"))
                },
                replayed,
            );
        }
        self.map(
            "upstreams",
            &|u| {
                let o = origin(u)?;
                Some(format!("{{{{ upstream.url }}}}{}", &u[o.len()..]))
            },
            replayed,
        );
        for key in ["http_address", "https_address", "metrics_address"] {
            self.remove(
                key,
                "the run's own address (fixed ports would collide; the harness sets --http-address)",
                replayed,
            );
        }
        self.remove(
            "cookie_domains",
            "not set: the run's hosts are IP addresses, where a cookie domain cannot apply",
            replayed,
        );
        let ca_given = self.value("provider_ca_files");
        self.map(
            "provider_ca_files",
            &|_| Some("{{ tls.ca_file }}".into()),
            replayed,
        );
        if ca_given.is_none() {
            replayed.push(Substitution::new(
                "oauth2-proxy provider_ca_files",
                "(none: the system's CAs, so a publicly trusted certificate)",
                "the run's CA (SSL_CERT_FILE)",
            ));
        }
        // A logo file its Deployment mounts (Kubeflow's oauth2-proxy-theme
        // ConfigMap) is not among the files: a blank one stands in.
        if let Some(logo) = self
            .value("custom_sign_in_logo")
            .filter(|v| v.starts_with('/'))
        {
            self.files.insert(
                logo.trim_start_matches('/').to_string(),
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"1\" height=\"1\"/>".into(),
            );
            self.map(
                "custom_sign_in_logo",
                &|v| (v == logo).then(|| format!("{{{{ oauth2_proxy.files }}}}{v}")),
                replayed,
            );
            replayed.push(Substitution::new(
                format!("the file custom_sign_in_logo names, {logo}"),
                "(mounted in your Deployment; not among your files)",
                "a blank SVG stands in",
            ));
        }
        let masked = |v: &str| v.len() >= 3 && v.chars().all(|c| c == '*');
        if let Some(secret) = idp_secret.filter(|s| !masked(s)) {
            self.map(
                "client_secret",
                &|v| masked(v).then(|| secret.to_string()),
                replayed,
            );
        }
        self.map(
            "cookie_secret",
            &|v| masked(v).then(|| "{{ oauth2_proxy.cookie_secret }}".to_string()),
            replayed,
        );
        out
    }
}

/// `scheme://host[:port]` and the rest of an absolute http(s) URL.
pub(super) fn split_origin(url: &str) -> Option<(String, String)> {
    let (scheme, rest) = url.split_once("://")?;
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let at = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    Some((
        format!("{scheme}://{}", &rest[..at]),
        rest[at..].to_string(),
    ))
}

/// `scheme://host[:port]` of an absolute http(s) URL.
fn origin(url: &str) -> Option<String> {
    split_origin(url).map(|(o, _)| o)
}

/// The host of a URL or an origin (no scheme, no port).
pub(super) fn host(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    authority.split(':').next().unwrap_or_default()
}

/// A container's environment: `env` values, `secretKeyRef`s and
/// `envFrom` Secrets, from the folder's Secrets.
pub(super) fn container_env(
    path: &Path,
    container: &Value,
    secrets: &[Secret],
) -> Result<BTreeMap<String, String>> {
    let mut env = BTreeMap::new();
    for from in container["envFrom"].as_array().into_iter().flatten() {
        if let Some(name) = from["secretRef"]["name"].as_str() {
            let secret = find_secret(path, secrets, name, "envFrom")?;
            env.extend(secret.values.clone());
        }
    }
    for e in container["env"].as_array().into_iter().flatten() {
        let name = e["name"].as_str().unwrap_or_default().to_string();
        let value = match (&e["value"], &e["valueFrom"]["secretKeyRef"]) {
            (Value::String(v), _) => Some(v.clone()),
            (_, r) if r.is_object() => Some(secret_value(
                path,
                secrets,
                r["name"].as_str().unwrap_or_default(),
                r["key"].as_str().unwrap_or_default(),
                &name,
            )?),
            _ => None,
        };
        if let Some(v) = value {
            env.insert(name, v);
        }
    }
    Ok(env)
}

/// ` (did you mean `x`?)` for the closest option name, if one is close.
fn suggest(name: &str, field: fn(&ProxyOption) -> &'static str, prefix: &str) -> String {
    let names: Vec<&str> = proxyopts::OPTIONS.iter().map(field).collect();
    crate::infra::dexcheck::closest(name, &names)
        .map(|n| format!(" (did you mean `{prefix}{n}`?)"))
        .unwrap_or_default()
}

fn env_name(cfg: &str) -> String {
    format!("OAUTH2_PROXY_{}", cfg.to_ascii_uppercase())
}

/// The cfg text of a file: the file itself, or a ConfigMap's
/// `oauth2_proxy.cfg`.
fn cfg_text(path: &Path, text: &str) -> Result<String> {
    let Ok(doc) = yaml::from_str::<Value>(text) else {
        return Ok(text.to_string());
    };
    match doc["data"]
        .as_object()
        .and_then(|d| d.values().find_map(Value::as_str))
    {
        Some(cfg) if doc["kind"] == "ConfigMap" => Ok(cfg.to_string()),
        _ if doc.is_object() && doc["kind"].is_string() => Err(Error::input(
            path,
            0,
            0,
            "a ConfigMap without an oauth2_proxy.cfg in its data",
        )),
        _ => Ok(text.to_string()),
    }
}

/// `KEY=value` lines (an `export ` before is allowed; quotes are removed as
/// a shell does).
fn env_lines(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let l = l.strip_prefix("export ").unwrap_or(l);
            let (k, v) = l.split_once('=')?;
            let v = userdir::shell_words(v).join(" ");
            Some((k.trim().to_string(), v))
        })
        .collect()
}

fn secret_value(
    path: &Path,
    secrets: &[Secret],
    name: &str,
    key: &str,
    for_what: &str,
) -> Result<String> {
    find_secret(path, secrets, name, for_what)?
        .values
        .get(key)
        .cloned()
        .ok_or_else(|| {
            Error::input(
                path,
                0,
                0,
                format!("{for_what}: the Secret `{name}` among the files has no key `{key}`"),
            )
        })
}

fn find_secret<'a>(
    path: &Path,
    secrets: &'a [Secret],
    name: &str,
    for_what: &str,
) -> Result<&'a Secret> {
    secrets.iter().find(|s| s.name == name).ok_or_else(|| {
        Error::input(
            path,
            0,
            0,
            format!(
                "{for_what} comes from the Secret `{name}`: add it to the folder (kubectl get secret {name} -o yaml; mask values as ********** if you must, they are then filled)"
            ),
        )
    })
}

fn scalar(v: &Value) -> String {
    v.as_str()
        .map(String::from)
        .unwrap_or_else(|| v.to_string())
}

fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.len() - before.rfind('\n').map(|i| i + 1).unwrap_or(0) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn given(config: &str, env: &[(&str, &str)], args: &[&str]) -> GivenProxy {
        let mut g = GivenProxy::default();
        g.add_cfg(Path::new("oauth2_proxy.cfg"), config).unwrap();
        g.env = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        g.args = args.iter().map(|a| a.to_string()).collect();
        g
    }

    #[test]
    fn flags_win_over_environment_over_cfg() {
        let g = given(
            "client_id = \"from-cfg\"\nscope = \"openid\"\nupstreams = [\"http://a\", \"static://200\"]\n",
            &[
                ("OAUTH2_PROXY_CLIENT_ID", "from-env"),
                ("OAUTH2_PROXY_SCOPE", "openid email"),
            ],
            &["--client-id=from-flag"],
        );
        assert_eq!(g.value("client_id").as_deref(), Some("from-flag"));
        assert_eq!(g.value("scope").as_deref(), Some("openid email"));
        assert_eq!(
            g.value("upstreams").as_deref(),
            Some("http://a,static://200")
        );
        assert_eq!(g.value("redirect_url"), None);
    }

    #[test]
    fn a_mapped_option_changes_in_every_place_and_each_change_is_said() {
        let mut g = given(
            "upstreams = [\"http://app.svc:8080/x\", \"static://200\"]\n",
            &[(
                "OAUTH2_PROXY_UPSTREAMS",
                "http://app.svc:8080/y,file:///dev/null",
            )],
            &["--upstream=http://app.svc:8080/z"],
        );
        let mut said = Vec::new();
        g.map(
            "upstreams",
            &|u| {
                u.strip_prefix("http://app.svc:8080")
                    .map(|rest| format!("U{rest}"))
            },
            &mut said,
        );
        assert_eq!(g.config["upstreams"], json!(["U/x", "static://200"]));
        assert_eq!(g.env["OAUTH2_PROXY_UPSTREAMS"], "U/y,file:///dev/null");
        assert_eq!(g.args, ["--upstream=U/z"]);
        assert_eq!(said.len(), 3, "{said:?}");
    }

    #[test]
    fn unknown_options_are_located_and_named() {
        let g = given(
            "provider = \"oidc\"\ncookie_securee = false\n",
            &[("OAUTH2_PROXY_COOKIE_SECURED", "false")],
            &["--upstreams=http://x"],
        );
        let found = g.unknown_options();
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(
            found[0].starts_with("oauth2_proxy.cfg:2:1: `cookie_securee`")
                && found[0].contains("(did you mean `cookie_secure`?)"),
            "{found:?}"
        );
        assert!(
            found[1].contains("(did you mean `OAUTH2_PROXY_COOKIE_SECURE`?)"),
            "{found:?}"
        );
        assert!(
            found[2].contains("(did you mean `--upstream`?)"),
            "{found:?}"
        );
    }

    #[test]
    fn env_files_are_read_as_a_shell_reads_them() {
        assert_eq!(
            env_lines(
                "# c\nexport OAUTH2_PROXY_SCOPE=\"openid email\"\nOAUTH2_PROXY_CLIENT_ID=app\n"
            ),
            [
                ("OAUTH2_PROXY_SCOPE".to_string(), "openid email".to_string()),
                ("OAUTH2_PROXY_CLIENT_ID".to_string(), "app".to_string())
            ]
        );
    }
}

//! The scenario format: one YAML file per documented setup.
//!
//! A scenario holds the components' configurations in their own formats, so a
//! user can paste theirs in, and a list of steps with expectations:
//!
//! ```yaml
//! guide: paletteai                  # first part of the test name
//! source: "PaletteAI: Configure Dex to Use Keycloak as an OIDC Connector (seeds/000)"
//! description: what this scenario shows
//! findings: [where the guide and the real programs disagree]
//! keycloak:
//!   realm: ../../fixtures/keycloak/paletteai-realm.json  # RealmRepresentation: a path or inline
//! dex:
//!   config: { issuer: "{{ dex.issuer }}", connectors: [...], staticClients: [...] }
//! app:                              # the relying party that signs users in at Dex
//!   client_id: paletteai
//!   client_secret: "{{ secret.app }}"
//!   scopes: [openid, profile, email, groups]
//! steps:
//!   - password_grant: { at: keycloak, client: dex, client_secret: "{{ secret.dex }}",
//!                       user: admin@example.com, scope: openid, expect: { error: unauthorized_client } }
//!   - browser_login: { at: dex, user: admin@example.com, connector: keycloak,
//!                      expect: { claims: { groups: [admins] }, dex_login: { groups: [admins] } },
//!                      snapshot: admin }
//! ```
//!
//! Template values (`{{ ... }}`, in any string, rendered with minijinja):
//! `keycloak.url`, `keycloak.issuer`, `keycloak.realm` (unique per case),
//! `keycloak.ingress_issuer` (the realm through `keycloak.ingress`),
//! `dex.issuer`, `dex.callback`, `dex.internal` (Dex at its own address, as a
//! program inside the cluster calls it), `app.redirect_uri`,
//! `kubelogin.redirect_uri` and `kubelogin.port` (its listen port), `tls.ca_file`
//! (the run's CA, for Dex's `rootCAs`), `oauth2_proxy.url`,
//! `oauth2_proxy.callback`, `oauth2_proxy.cookie_secret` (32 random bytes,
//! URL-safe base64), `oauth2_proxy.cookie_secret_openssl` (as `openssl rand
//! -base64 32` prints them, with a `+` or `/`), `gateway.url` (with `istio:`, Dex's issuer is
//! `<gateway.url>/dex`), `upstream.url` (the application behind the proxy),
//! and `secret.<name>` (random per case, the same value wherever the same
//! name is used). Scenario files hold no ports, no
//! addresses and no secrets.
//!
//! kubectl and kubelogin, as guide 003 uses them:
//!
//! ```yaml
//!   - kubelogin: { user: u@example.com, password: "...", args: ["--oidc-issuer-url={{ dex.issuer }}", ...] }
//!   - set_credentials: { name: oidc, args: [--exec-api-version=..., --exec-command=kubectl, --exec-arg=oidc-login, ...] }
//!   - kubectl: { as: oidc, args: [get, pods, -A], sign_in: { user: u@example.com, password: "..." } }
//!   - restart: dex
//!   - wait_token_expired: { user: oidc }
//! ```
//!
//! `kubectl` runs `as:` the cluster `admin`, a user whose ID token an earlier
//! step got (a static `token:` in a kubeconfig), or a user entry made by
//! `set_credentials` (kubectl then runs kubelogin as its exec plugin, on a
//! terminal; `sign_in` says who signs in when kubelogin opens its browser).
//! `{{ env.HOME }}` is the HOME kubectl and kubelogin run with (the guide's
//! `$HOME`, e.g. in `--token-cache-dir`). `kubelogin` and `kubectl` take
//! `success: null` where either outcome is evidence (what `diagnose` writes:
//! a failure is then the step's report). `bindings_can_i: {}` asks each
//! binding of `apiserver.rbac` for a request its role allows, with every
//! signed-in user's token and as the binding's subject. Who the apiserver
//! takes a user for, exactly, and guide 003's own commands:
//!
//! ```yaml
//!   - kubectl: { as: u@example.com, args: [auth, whoami], whoami: { username: u@example.com, groups: [admins, "system:authenticated"] } }
//!   - can_i: { rows: [[u@example.com, [admins], create pods, "yes"]] }   # own token and impersonated must agree
//!   - kubelogin: { setup: true, user: u@example.com, args: [...], expect: { claims: { sub: "..." } } }
//!   - kubelogin: { default_listen: true, occupied: [8000], user: u@example.com, args: [...], success: false }
//!   - kubectl: { as: oidc, args: [get, pods], no_terminal: true, success: false }
//!   - set_groups: { user: viewer@example.com, groups: [editors] }   # the console's Groups tab
//! ```
//!
//! oauth2-proxy's session, as a user sees it:
//!
//! ```yaml
//!   - proxy_login: { user: jane, expect: { password_forms: 1, cookie: { name: oauth2_proxy_kubeflow, lifetime_seconds: 86400, http_only: true } } }
//!   - proxy_sign_out: { expect: { cookies_absent: [oauth2_proxy_kubeflow], page_text: Sign in with Dex } }
//!   - proxy_login: { user: jane, again: true, expect: { password_forms: 0 } }   # the same browser
//! ```
//!
//! Charmed Kubeflow gives Dex its connectors as one string, the value of
//! `juju config dex-auth connectors=...`; `dex.connectors_json` holds it and
//! the [emulated] dex-auth charm turns it into `dex.config.connectors`. A
//! `dex_start` step checks Dex's start-up:
//!
//! ```yaml
//!   - dex_start: { running: true, log: "x509: certificate is valid for ingress.local, not localhost" }
//! ```
//!
//! The OSMO guide's verbs: a guide's endpoints against discovery, the CLI's
//! device flow, the Web UI client's tokens through the [emulated] Envoy of
//! `osmo_values.sidecars.envoy.jwt`, and the Credentials tab:
//!
//! ```yaml
//!   - discovery: { at: keycloak, endpoints: { token_endpoint: "{{ keycloak.issuer }}/protocol/openid-connect/token" } }
//!   - device_login: { client: osmo-device, user: alice, scope: openid offline_access profile, expect: { claims: { azp: osmo-device } } }
//!   - envoy_jwt: { user: alice, client: osmo-device, pools: [group1-h100-gpu], expect: { status: 200, pools: [group1-h100-gpu] } }
//!   - set_password: { user: carol, password: "...", temporary: true }
//! ```
//!
//! Security probes: a forged copy of a token a user got earlier, which later
//! steps send under its own name and must see refused, with the relying
//! party's own words (the apiserver's in its log):
//!
//! ```yaml
//!   - forge_token: { from: jane, as: forged, forge: alg_none }   # or foreign_key_same_kid, foreign_key_new_kid
//!   - kubectl: { as: forged, args: [get, pods], success: false, apiserver_log: "id token signed with unsupported algorithm" }
//!   - http_get: { path: /api/x, bearer: forged, expect: { status: 401, page_text: { exact: "Jwt header [alg] is not supported" } } }
//!   - forge_token: { from: alice, client: osmo-device, as: forged, forge: foreign_key_same_kid }   # for envoy_jwt
//! ```
//!
//! Expectations: objects (`claims`, `userinfo`, `headers`, `dex_login`)
//! match as subsets, lists and values exactly; `claims_absent` and
//! `headers_absent` name what must not be there (or be empty). Texts
//! (`page_text`, `dex_log`, `proxy_log`, kubectl's `output`, a start's `log`)
//! are contained, or, as a map, `{line: ...}` (one whole line, white space
//! folded), `{exact: ...}` or `{absent: ...}` (see `model::expect::Text`).
//!
//! Loading checks everything that can be checked before a program starts,
//! each with file:line:column: the harness's own keys are strict (an unknown
//! key names the keys valid there, per step: a step's `expect` has only the
//! keys that step reads); a variant's `diagnosis` must be an id of the
//! catalogue; every step's needs must be met by its case (a `browser_login
//! at: dex` needs `dex` and `app`); and a patch path that reaches into a list
//! by position (`/keycloak/realm/clients/0/...`) must follow an `op: test`
//! that pins which element it means.

pub mod authconfig;
pub mod kind;
pub mod template;
pub mod usercert;
pub mod userclient;
pub mod userdir;
pub mod userfiles;
pub mod userinput;
pub mod userproxy;
pub mod userrbac;
mod validate;

pub(crate) use validate::check_dex_keys;

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::{Error, IoContext, Result};
use crate::infra::yaml;
use crate::model::spec::{Scenario, Variant};

/// A scenario file: validated, with its raw (unrendered) content kept for
/// rendering per case.
#[derive(Debug, Clone)]
pub struct ScenarioFile {
    pub path: PathBuf,
    /// File stem: the second part of test names.
    pub name: String,
    pub scenario: Scenario,
    pub raw: Value,
    /// Where each key of the file is, for errors found after parsing.
    pub(crate) keys: Vec<yaml::KeyLocation>,
}

/// One test: a scenario file as written, or one of its variants.
#[derive(Debug, Clone)]
pub struct Case {
    /// `<guide>/<scenario>/<variant>`, `base` for the scenario as written.
    pub name: String,
    pub file: ScenarioFile,
    pub variant: Option<Variant>,
    /// Whether the diagnoses must match the variant's (none for `base`);
    /// off for `diagnose`, where they are the answer.
    pub check_diagnosis: bool,
    /// For a user's files: what the replay changed (addresses, CAs, the
    /// relying party), with template values for the run's addresses.
    pub replayed_as: Vec<crate::model::report::Substitution>,
    /// For a user's files: what reading them already shows is wrong.
    pub problems: Vec<String>,
}

impl Case {
    /// The scenario document of this case, unrendered: the realm inlined,
    /// the variant's patch applied and its steps in place.
    pub fn document(&self) -> Result<Value> {
        let mut doc = self.file.raw.clone();
        if let Some(realm) = self.file.realm_source()? {
            doc["keycloak"]["realm"] = realm;
        }
        if let Some(map) = doc.as_object_mut() {
            map.remove("variants");
        }
        let Some(variant) = &self.variant else {
            return Ok(doc);
        };
        let index = self.variant_index();
        let ops: json_patch::Patch = serde_json::from_value(Value::Array(variant.patch.clone()))
            .map_err(|e| {
                self.file.error_at(
                    &format!("variants[{index}].patch"),
                    format!("variant `{}`: not an RFC 6902 patch: {e}", variant.name),
                )
            })?;
        json_patch::patch(&mut doc, &ops).map_err(|e| {
            self.file.error_at(
                &format!("variants[{index}].patch[{}]", e.operation),
                format!("variant `{}`: patch does not apply: {e}", variant.name),
            )
        })?;
        if let Some(steps) = self.file.raw["variants"][index].get("steps") {
            doc["steps"] = steps.clone();
        }
        // The base scenario's findings belong to the base case.
        doc["findings"] = serde_json::json!(variant.findings);
        Ok(doc)
    }

    /// The variant's position in the file (0 for the base case).
    fn variant_index(&self) -> usize {
        self.variant
            .as_ref()
            .and_then(|v| {
                self.file
                    .scenario
                    .variants
                    .iter()
                    .position(|w| w.name == v.name)
            })
            .unwrap_or(0)
    }

    /// Where this case's steps are written: the variant's own, else the file's.
    pub(crate) fn steps_path(&self) -> String {
        match &self.variant {
            Some(v) if v.steps.is_some() => format!("variants[{}].steps", self.variant_index()),
            _ => "steps".into(),
        }
    }
}

impl ScenarioFile {
    /// Reads, parses and validates a scenario file and every case in it.
    pub fn load(path: &Path) -> Result<ScenarioFile> {
        let text =
            std::fs::read_to_string(path).context(|| format!("reading {}", path.display()))?;
        let located = |e: yaml::YamlError| Error::input(path, e.line, e.column, e.message);
        let scenario: Scenario = yaml::from_str(&text).map_err(located)?;
        let raw: Value = yaml::from_str(&text).map_err(located)?;
        let keys = yaml::key_locations(&text).map_err(located)?;
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        let file = ScenarioFile {
            path: path.to_path_buf(),
            name,
            scenario,
            raw,
            keys,
        };
        validate::file(&file)?;
        Ok(file)
    }

    pub fn cases(&self) -> Vec<Case> {
        let base = Case {
            name: format!("{}/{}/base", self.scenario.guide, self.name),
            file: self.clone(),
            variant: None,
            check_diagnosis: true,
            replayed_as: Vec::new(),
            problems: Vec::new(),
        };
        let variants = self.scenario.variants.iter().map(|v| Case {
            name: format!("{}/{}/{}", self.scenario.guide, self.name, v.name),
            file: self.clone(),
            variant: Some(v.clone()),
            check_diagnosis: true,
            replayed_as: Vec::new(),
            problems: Vec::new(),
        });
        std::iter::once(base).chain(variants).collect()
    }

    /// The realm representation, read from its file when given as a path.
    pub fn realm_source(&self) -> Result<Option<Value>> {
        let Some(realm) = self.raw.get("keycloak").and_then(|k| k.get("realm")) else {
            return Ok(None);
        };
        match realm {
            Value::String(rel) => {
                let path = self.path.parent().unwrap_or(Path::new(".")).join(rel);
                load_json(&path).map(Some)
            }
            inline => Ok(Some(inline.clone())),
        }
    }

    /// An input error at `path` of this file (`variants[2].diagnosis`, or a
    /// list item such as `steps[1]`, found by its first key), or at the
    /// nearest enclosing key it has.
    pub(crate) fn error_at(&self, path: &str, message: String) -> Error {
        let mut probe = path.to_string();
        loop {
            let inside = |k: &&yaml::KeyLocation| {
                k.path == probe
                    || k.path
                        .strip_prefix(probe.as_str())
                        .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
            };
            if let Some(k) = self.keys.iter().find(inside) {
                return Error::input(&self.path, k.line, k.column, message);
            }
            match probe.rfind(['.', '[']) {
                Some(i) => probe.truncate(i),
                None => return Error::input(&self.path, 0, 0, message),
            }
        }
    }
}

/// Reads a JSON file (a realm export); errors carry line and column.
pub fn load_json(path: &Path) -> Result<Value> {
    let text = std::fs::read_to_string(path).context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| {
        Error::input(
            path,
            e.line(),
            e.column(),
            format!("not valid JSON: {e}")
                .split(" at line ")
                .next()
                .unwrap_or_default()
                .to_string(),
        )
    })
}

/// Every `*.yaml` scenario under `dir`, sorted by path.
pub fn discover(dir: &Path) -> Result<Vec<ScenarioFile>> {
    let mut paths = Vec::new();
    collect(dir, &mut paths)?;
    paths.sort();
    paths.iter().map(|p| ScenarioFile::load(p)).collect()
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir).context(|| format!("listing {}", dir.display()))? {
        let path = entry
            .context(|| format!("listing {}", dir.display()))?
            .path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "snapshots") {
                collect(&path, out)?;
            }
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
    Ok(())
}

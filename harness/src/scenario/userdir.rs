//! `oidc-harness diagnose DIR`: a folder of a deployment's files as its user
//! has them, each recognised by its content (not its name), and said so.
//!
//! Recognised: a Keycloak realm export; a Dex config as a file, as Helm
//! values (`config:`) or as a ConfigMap (`data."config.yaml"`); the dex-auth
//! charm's connectors value; PEM certificates (Keycloak's chain); the
//! apiserver's OIDC settings as a file of flags, a static pod manifest (its
//! `command`/`args` list, quotes kept literal as the kubelet does), a kind
//! config (`kubeadmConfigPatches` with `apiServer.extraArgs`) or an
//! AuthenticationConfiguration; a kubeconfig whose user entry runs kubelogin
//! (the relying party); RBAC manifests. Also recognised, and reported as not
//! replayed yet (never dropped silently): oauth2-proxy's cfg and
//! `OAUTH2_PROXY_*` environment, an app's OIDC client settings.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::{Error, IoContext, Result};
use crate::infra::yaml;

/// What a file was taken as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    RealmExport,
    DexConfig,
    DexHelmValues,
    DexConfigMap,
    CharmConnectors,
    Certificate,
    ApiserverFlags,
    StaticPodManifest,
    KindConfig,
    AuthenticationConfiguration,
    Oauth2ProxyConfig,
    Oauth2ProxyEnv,
    Oauth2ProxyFlags,
    Oauth2ProxyDeployment,
    Oauth2ProxyHelmValues,
    OsmoValues,
    Secret,
    DexDeployment,
    RequestAuthentication,
    Kubeconfig,
    Rbac,
    ClientSettings,
    /// `expected-diagnosis`: what a fixture folder must diagnose as.
    Expected,
    /// `sign-in-users`: `NAME:PASSWORD` lines, the users to sign in as.
    SignInUsers,
}

impl Kind {
    pub fn describe(self) -> &'static str {
        match self {
            Kind::RealmExport => "Keycloak realm export",
            Kind::DexConfig => "Dex config",
            Kind::DexHelmValues => "Dex Helm values (config:)",
            Kind::DexConfigMap => "Dex ConfigMap (data.config.yaml)",
            Kind::CharmConnectors => "dex-auth charm connectors value",
            Kind::Certificate => {
                "certificate chain (PEM): Dex's when its names cover Dex's host, else Keycloak's"
            }
            Kind::ApiserverFlags => "kube-apiserver flags",
            Kind::StaticPodManifest => "kube-apiserver static pod manifest",
            Kind::KindConfig => "kind cluster config",
            Kind::AuthenticationConfiguration => "AuthenticationConfiguration",
            Kind::Oauth2ProxyConfig => "oauth2-proxy cfg",
            Kind::Oauth2ProxyEnv => "oauth2-proxy environment (OAUTH2_PROXY_*)",
            Kind::Oauth2ProxyFlags => "oauth2-proxy flags",
            Kind::Oauth2ProxyDeployment => "oauth2-proxy Deployment",
            Kind::Oauth2ProxyHelmValues => "oauth2-proxy Helm values",
            Kind::OsmoValues => "OSMO Helm values (sidecars.oauth2Proxy)",
            Kind::Secret => "Kubernetes Secret (values the others name)",
            Kind::DexDeployment => "Dex Deployment (its environment)",
            Kind::RequestAuthentication => {
                "Istio RequestAuthentication (the ingress gateway's JWT rules)"
            }
            Kind::Kubeconfig => "kubeconfig",
            Kind::Rbac => "RBAC bindings",
            Kind::ClientSettings => "an app's OIDC client settings",
            Kind::Expected => "the diagnosis this folder expects",
            Kind::SignInUsers => "the users to sign in as (NAME:PASSWORD)",
        }
    }

    /// oauth2-proxy's configuration, in one of its forms.
    pub fn is_oauth2_proxy(self) -> bool {
        matches!(
            self,
            Kind::Oauth2ProxyConfig
                | Kind::Oauth2ProxyEnv
                | Kind::Oauth2ProxyFlags
                | Kind::Oauth2ProxyDeployment
                | Kind::Oauth2ProxyHelmValues
                | Kind::OsmoValues
        )
    }
}

/// What a folder's files may be, for the messages.
const KNOWN: &str = "a realm export, a Dex config (file, Helm values or ConfigMap), Dex's Deployment, the charm's connectors, a PEM certificate chain, apiserver flags (file, static pod manifest, kind config or AuthenticationConfiguration), oauth2-proxy's cfg, environment, flags, Deployment or Helm values, OSMO's values, a Secret, a kubeconfig, RBAC bindings, a RequestAuthentication, an app's client settings, `sign-in-users` or `expected-diagnosis`";

/// One file of the folder and what it was taken as.
#[derive(Debug, Clone)]
pub struct Taken {
    pub path: PathBuf,
    pub kind: Kind,
    /// Why the replay does not use it (another file is the relying party).
    pub unused: Option<&'static str>,
}

/// Every file of `dir` (not its sub-folders), recognised; a file that is
/// none of the kinds is an error naming it.
pub fn recognise(dir: &Path) -> Result<Vec<Taken>> {
    if !dir.is_dir() {
        let what = if dir.exists() {
            "not a folder"
        } else {
            "no such folder"
        };
        return Err(Error::input(
            dir,
            0,
            0,
            format!(
                "{what}: give the folder of your deployment's files (or the files one by one: --realm, --dex-config, ...)"
            ),
        ));
    }
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .context(|| format!("listing {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .filter(|p| {
            !p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let text = super::userinput::read(&path, &format!("one of: {KNOWN}"))?;
            let kind = kind_of(&path, &text).ok_or_else(|| match yaml::from_str::<Value>(&text) {
                // Not YAML (nor JSON) at all: where it stops being so.
                Err(e) if !text.trim().is_empty() => Error::input(
                    &path,
                    e.line,
                    e.column,
                    format!(
                        "not a file diagnose knows, and it does not parse as YAML or JSON ({}): expected one of: {KNOWN}",
                        e.message
                    ),
                ),
                _ if text.trim().is_empty() => Error::input(
                    &path,
                    0,
                    0,
                    format!("an empty file: expected one of: {KNOWN}"),
                ),
                _ => Error::input(
                    &path,
                    0,
                    0,
                    format!("not a file diagnose knows: expected one of: {KNOWN}"),
                ),
            })?;
            Ok(Taken {
                path,
                kind,
                unused: None,
            })
        })
        .collect()
}

/// A file given as oauth2-proxy's settings, and which of its forms it is.
pub fn recognise_as_oauth2_proxy(path: &Path) -> Result<(Kind, PathBuf)> {
    let text = super::userinput::read(path, super::userinput::OAUTH2_PROXY)?;
    match kind_of(path, &text) {
        Some(kind) if kind.is_oauth2_proxy() => Ok((kind, path.to_path_buf())),
        other => Err(Error::input(
            path,
            0,
            0,
            format!(
                "not oauth2-proxy's settings (expected its cfg, OAUTH2_PROXY_* lines, flags, a Deployment, Helm values or OSMO's values){}",
                other
                    .map(|k| format!("; it reads as {}", k.describe()))
                    .unwrap_or_default()
            ),
        )),
    }
}

pub(super) fn kind_of(path: &Path, text: &str) -> Option<Kind> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    if name == "expected-diagnosis" {
        return Some(Kind::Expected);
    }
    if name == "sign-in-users" {
        return Some(Kind::SignInUsers);
    }
    if text.contains("-----BEGIN CERTIFICATE-----") {
        return Some(Kind::Certificate);
    }
    if let Some(kind) = yaml::from_str::<Value>(text)
        .ok()
        .and_then(|doc| kind_of_document(&doc))
    {
        return Some(kind);
    }
    // A stream of manifests (`---`): RBAC when every one is.
    if let Ok(docs) = yaml::documents(text)
        && docs.len() > 1
        && docs
            .iter()
            .all(|d| is_rbac(d["kind"].as_str().unwrap_or_default()))
    {
        return Some(Kind::Rbac);
    }
    if let Ok(docs) = yaml::documents(text)
        && docs.len() > 1
        && docs.iter().all(|d| d["kind"] == "Secret")
    {
        return Some(Kind::Secret);
    }
    // Not YAML (or not a document of its own): flags, environment, cfg, or
    // a connectors value the charm cannot parse.
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let flag_names: Vec<String> = flag_words(text)
        .iter()
        .filter_map(|w| w.strip_prefix("--"))
        .map(|w| w.split('=').next().unwrap_or_default().to_string())
        .collect();
    let proxy_only = [
        "provider",
        "client-id",
        "cookie-secret",
        "upstream",
        "email-domain",
        "redirect-url",
    ];
    if flag_names.iter().any(|f| proxy_only.contains(&f.as_str())) {
        return Some(Kind::Oauth2ProxyFlags);
    }
    if flag_names
        .iter()
        .any(|f| f.starts_with("oidc-") || f == "authentication-config")
    {
        return Some(Kind::ApiserverFlags);
    }
    if !lines.is_empty()
        && lines
            .iter()
            .all(|l| l.starts_with("OAUTH2_PROXY_") || l.starts_with("export OAUTH2_PROXY_"))
    {
        return Some(Kind::Oauth2ProxyEnv);
    }
    let cfg_keys = [
        "provider",
        "oidc_issuer_url",
        "client_id",
        "cookie_secret",
        "upstreams",
    ];
    if lines.iter().any(|l| {
        l.split_once('=')
            .is_some_and(|(k, _)| cfg_keys.contains(&k.trim()))
    }) {
        return Some(Kind::Oauth2ProxyConfig);
    }
    if text.contains("\"type\"") && text.contains("oidc") && text.contains("\"config\"") {
        return Some(Kind::CharmConnectors);
    }
    None
}

pub(super) fn kind_of_document(doc: &Value) -> Option<Kind> {
    let kind = doc["kind"].as_str().unwrap_or_default();
    match kind {
        "AuthenticationConfiguration" => return Some(Kind::AuthenticationConfiguration),
        "Pod" if apiserver_container(doc).is_some() => return Some(Kind::StaticPodManifest),
        "Cluster"
            if doc["apiVersion"]
                .as_str()
                .is_some_and(|a| a.starts_with("kind.x-k8s.io")) =>
        {
            return Some(Kind::KindConfig);
        }
        "ConfigMap" if doc["data"]["config.yaml"].is_string() => return Some(Kind::DexConfigMap),
        "ConfigMap" if doc["data"]["oauth2_proxy.cfg"].is_string() => {
            return Some(Kind::Oauth2ProxyConfig);
        }
        "Deployment" if oauth2_proxy_container(doc).is_some() => {
            return Some(Kind::Oauth2ProxyDeployment);
        }
        "Deployment" if dex_container(doc).is_some() => return Some(Kind::DexDeployment),
        "RequestAuthentication" => return Some(Kind::RequestAuthentication),
        "Secret" => return Some(Kind::Secret),
        "Config" if doc["users"].is_array() => return Some(Kind::Kubeconfig),
        k if is_rbac(k) => return Some(Kind::Rbac),
        _ => {}
    }
    if doc["realm"].is_string() && (doc.get("clients").is_some() || doc.get("users").is_some()) {
        return Some(Kind::RealmExport);
    }
    let is_dex = |v: &Value| {
        v["issuer"].is_string()
            && (v.get("connectors").is_some()
                || v.get("staticClients").is_some()
                || v.get("storage").is_some())
    };
    if is_dex(doc) {
        return Some(Kind::DexConfig);
    }
    // The Dex chart's values, or a parent chart's with Dex as `dex:`.
    if is_dex(&doc["config"]) || is_dex(&doc["dex"]["config"]) {
        return Some(Kind::DexHelmValues);
    }
    let connector = |c: &Value| c["type"].is_string() && c["config"].is_object();
    if doc.as_array().is_some_and(|cs| cs.iter().any(connector)) || connector(doc) {
        return Some(Kind::CharmConnectors);
    }
    if doc["sidecars"]["oauth2Proxy"].is_object() {
        return Some(Kind::OsmoValues);
    }
    let chart = &doc["config"];
    if [
        "clientID",
        "clientSecret",
        "cookieSecret",
        "configFile",
        "existingSecret",
    ]
    .iter()
    .any(|k| chart.get(*k).is_some())
        || doc["extraArgs"]
            .as_object()
            .is_some_and(|a| a.contains_key("provider") || a.contains_key("oidc-issuer-url"))
    {
        return Some(Kind::Oauth2ProxyHelmValues);
    }
    if doc["client_id"].is_string() || doc["clientID"].is_string() {
        return Some(Kind::ClientSettings);
    }
    None
}

fn is_rbac(kind: &str) -> bool {
    matches!(
        kind,
        "ClusterRoleBinding" | "RoleBinding" | "ClusterRole" | "Role" | "List"
    )
}

/// The oauth2-proxy container of a Deployment.
pub(super) fn oauth2_proxy_container(deployment: &Value) -> Option<&Value> {
    deployment["spec"]["template"]["spec"]["containers"]
        .as_array()?
        .iter()
        .find(|c| {
            c["image"]
                .as_str()
                .is_some_and(|i| i.contains("oauth2-proxy"))
                || c["name"] == "oauth2-proxy"
        })
}

/// The Dex container of a Deployment.
pub(super) fn dex_container(deployment: &Value) -> Option<&Value> {
    deployment["spec"]["template"]["spec"]["containers"]
        .as_array()?
        .iter()
        .find(|c| {
            c["image"]
                .as_str()
                .is_some_and(|i| i.contains("dexidp/dex") || i.contains("/dex:"))
                || c["name"] == "dex"
        })
}

/// The kube-apiserver container of a Pod.
fn apiserver_container(pod: &Value) -> Option<&Value> {
    pod["spec"]["containers"].as_array()?.iter().find(|c| {
        [&c["command"], &c["args"]].iter().any(|v| {
            v.as_array().is_some_and(|a| {
                a.iter()
                    .any(|x| x.as_str().is_some_and(|s| s.contains("kube-apiserver")))
            })
        })
    })
}

/// The Dex config inside a file of kind `kind`.
pub fn dex_config(kind: Kind, doc: Value, path: &Path) -> Result<Value> {
    match kind {
        Kind::DexConfig => Ok(doc),
        Kind::DexHelmValues if doc["config"].is_object() => Ok(doc["config"].clone()),
        Kind::DexHelmValues => Ok(doc["dex"]["config"].clone()),
        Kind::DexConfigMap => {
            let text = doc["data"]["config.yaml"].as_str().unwrap_or_default();
            let file = std::fs::read_to_string(path).unwrap_or_default();
            yaml::from_str(text).map_err(|e| {
                let (line, column) = in_file(&file, text, e.line, e.column);
                Error::input(
                    path,
                    line,
                    column,
                    format!("data.config.yaml: {}", e.message),
                )
            })
        }
        _ => Err(Error::input(path, 0, 0, "not a Dex config")),
    }
}

/// The apiserver's flags (without `--`) in a flags file, a static pod
/// manifest or a kind config; `None` for an AuthenticationConfiguration.
pub fn apiserver_flags(kind: Kind, text: &str, path: &Path) -> Result<Option<Vec<String>>> {
    let located = |e: yaml::YamlError| Error::input(path, e.line, e.column, e.message);
    match kind {
        Kind::ApiserverFlags => {
            if let Some((line, column)) = unclosed_quote(text) {
                return Err(Error::input(
                    path,
                    line,
                    column,
                    "a quote that does not close on its line: a shell would not run this command",
                ));
            }
            Ok(Some(
                flag_words(text)
                    .into_iter()
                    .filter(|w| w.starts_with("--"))
                    .map(|w| w.trim_start_matches('-').to_string())
                    .collect(),
            ))
        }
        Kind::StaticPodManifest => {
            let pod: Value = yaml::from_str(text).map_err(located)?;
            let container = apiserver_container(&pod).cloned().unwrap_or_default();
            for list in ["command", "args"] {
                if !container[list].is_null() && !container[list].is_array() {
                    let keys = yaml::key_locations(text).unwrap_or_default();
                    let at = keys.iter().find(|k| k.path.ends_with(&format!("].{list}")));
                    return Err(Error::input(
                        path,
                        at.map_or(0, |k| k.line),
                        at.map_or(0, |k| k.column),
                        format!(
                            "the container's `{list}` is not a list: the kubelet refuses the manifest (a Pod's `{list}` is a list of strings, one argument each)"
                        ),
                    ));
                }
            }
            // The kubelet passes each list item as one argument, quotes and all.
            Ok(Some(
                [&container["command"], &container["args"]]
                    .iter()
                    .flat_map(|v| v.as_array().into_iter().flatten())
                    .filter_map(Value::as_str)
                    .filter(|a| a.starts_with("--"))
                    .map(|a| a.trim_start_matches('-').to_string())
                    .collect(),
            ))
        }
        Kind::KindConfig => {
            let config: Value = yaml::from_str(text).map_err(located)?;
            let mut flags = Vec::new();
            let patches = config["kubeadmConfigPatches"]
                .as_array()
                .into_iter()
                .flatten()
                .chain(
                    config["nodes"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .flat_map(|n| n["kubeadmConfigPatches"].as_array().into_iter().flatten()),
                );
            for patch in patches.filter_map(Value::as_str) {
                let doc: Value = yaml::from_str(patch).map_err(|e| {
                    let (line, column) = in_file(text, patch, e.line, e.column);
                    Error::input(
                        path,
                        line,
                        column,
                        format!("kubeadmConfigPatches: {}", e.message),
                    )
                })?;
                for (k, v) in doc["apiServer"]["extraArgs"]
                    .as_object()
                    .into_iter()
                    .flatten()
                {
                    flags.push(format!(
                        "{k}={}",
                        v.as_str()
                            .map(String::from)
                            .unwrap_or_else(|| v.to_string())
                    ));
                }
            }
            Ok(Some(flags))
        }
        _ => Ok(None),
    }
}

/// Where line:column of a block scalar's text (a ConfigMap's value, a
/// kind patch) stands in the file that holds it.
fn in_file(file: &str, block: &str, line: usize, column: usize) -> (usize, usize) {
    let first = block
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default();
    let skipped = block.lines().take_while(|l| l.trim().is_empty()).count();
    file.lines()
        .position(|l| {
            !first.is_empty() && l.trim_start() == first.trim_start() && l.ends_with(first)
        })
        .map(|at| {
            let indent = file
                .lines()
                .nth(at)
                .map(|l| l.len() - first.len())
                .unwrap_or(0);
            (at + 1 + line - 1 - skipped, column + indent)
        })
        .unwrap_or((0, 0))
}

/// The arguments of a flags file: one per line when every line is a flag
/// (a Deployment's `args`, copied), else as a shell splits the text; in
/// both, quotes group and are removed as a shell does.
pub(super) fn flag_words(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let one_per_line = !lines.is_empty()
        && lines
            .iter()
            .all(|l| l.starts_with("--") && !l.ends_with('\\') && !l.contains(" --"));
    if one_per_line {
        lines.iter().map(|l| shell_words(l).join(" ")).collect()
    } else {
        shell_words(text)
    }
}

/// Where a quote opens that does not close on its line (1-based), if any:
/// a flags file a shell would refuse.
fn unclosed_quote(text: &str) -> Option<(usize, usize)> {
    for (n, line) in text.lines().enumerate() {
        let mut open: Option<(char, usize)> = None;
        let mut prev = ' ';
        for (i, c) in line.chars().enumerate() {
            let word_start = prev.is_whitespace();
            prev = c;
            match (open, c) {
                (None, '#') if word_start => break,
                (None, '"' | '\'') => open = Some((c, i)),
                (Some((q, _)), c) if c == q => open = None,
                _ => {}
            }
        }
        if let Some((_, i)) = open
            && !line.ends_with('\\')
        {
            return Some((n + 1, i + 1));
        }
    }
    None
}

/// A flags file split as a shell would: quotes group and are removed,
/// backslash-newline continues, `#` starts a comment.
pub(super) fn shell_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    for line in text.replace("\\\n", " ").lines() {
        let mut word = String::new();
        let mut in_word = false;
        let mut quote: Option<char> = None;
        for c in line.chars() {
            match (quote, c) {
                (None, '#') if !in_word => break,
                (None, '"' | '\'') => {
                    quote = Some(c);
                    in_word = true;
                }
                (Some(q), c) if c == q => quote = None,
                (None, c) if c.is_whitespace() => {
                    if in_word {
                        words.push(std::mem::take(&mut word));
                        in_word = false;
                    }
                }
                (_, c) => {
                    word.push(c);
                    in_word = true;
                }
            }
        }
        if in_word {
            words.push(word);
        }
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(text: &str, expected: Option<Kind>) {
        assert_eq!(kind_of(Path::new("f"), text), expected, "{text}");
    }

    #[test]
    fn files_are_recognised_by_content() {
        check(
            "{\"realm\": \"r\", \"clients\": []}",
            Some(Kind::RealmExport),
        );
        check(
            "issuer: https://x/dex\nconnectors: []\n",
            Some(Kind::DexConfig),
        );
        check(
            "config:\n  issuer: https://x/dex\n  staticClients: []\n",
            Some(Kind::DexHelmValues),
        );
        check(
            "kind: ConfigMap\ndata:\n  config.yaml: |\n    issuer: https://x/dex\n",
            Some(Kind::DexConfigMap),
        );
        check(
            "[{\"type\": \"oidc\", \"id\": \"k\", \"config\": {}}]",
            Some(Kind::CharmConnectors),
        );
        check(
            "{\"type\": \"oidc\", \"config\": {\"scopes\": [",
            Some(Kind::CharmConnectors),
        );
        check(
            "--oidc-issuer-url=https://x/dex\n--oidc-client-id=k\n",
            Some(Kind::ApiserverFlags),
        );
        check(
            "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - command: [kube-apiserver, --oidc-client-id=k]\n",
            Some(Kind::StaticPodManifest),
        );
        check(
            "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\n",
            Some(Kind::KindConfig),
        );
        check(
            "kind: AuthenticationConfiguration\njwt: []\n",
            Some(Kind::AuthenticationConfiguration),
        );
        check(
            "provider = \"oidc\"\nclient_id = \"x\"\n",
            Some(Kind::Oauth2ProxyConfig),
        );
        check("OAUTH2_PROXY_CLIENT_ID=x\n", Some(Kind::Oauth2ProxyEnv));
        check(
            "--provider=oidc \\\n --oidc-issuer-url=https://kc/realms/r\n",
            Some(Kind::Oauth2ProxyFlags),
        );
        check(
            "kind: ConfigMap\ndata:\n  oauth2_proxy.cfg: |\n    provider = \"oidc\"\n",
            Some(Kind::Oauth2ProxyConfig),
        );
        check(
            "kind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n      - name: proxy\n        image: quay.io/oauth2-proxy/oauth2-proxy:v7.6.0\n",
            Some(Kind::Oauth2ProxyDeployment),
        );
        check(
            "config:\n  clientID: app\nextraArgs:\n  provider: oidc\n",
            Some(Kind::Oauth2ProxyHelmValues),
        );
        check(
            "sidecars:\n  oauth2Proxy:\n    enabled: true\n",
            Some(Kind::OsmoValues),
        );
        check(
            "kind: Secret\nmetadata: {name: s}\nstringData: {a: b}\n",
            Some(Kind::Secret),
        );
        check(
            "kind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n      - name: dex\n        image: ghcr.io/dexidp/dex:v2.41.1\n",
            Some(Kind::DexDeployment),
        );
        check(
            "apiVersion: security.istio.io/v1beta1\nkind: RequestAuthentication\nspec: {jwtRules: []}\n",
            Some(Kind::RequestAuthentication),
        );
        check("kind: Config\nusers: []\n", Some(Kind::Kubeconfig));
        check("kind: ClusterRoleBinding\n", Some(Kind::Rbac));
        check(
            "kind: ClusterRole\nmetadata: {name: r}\n---\nkind: ClusterRoleBinding\n",
            Some(Kind::Rbac),
        );
        check(
            "client_id: app\nredirect_uri: https://x/cb\n",
            Some(Kind::ClientSettings),
        );
        check("hello: world\n", None);
    }

    #[test]
    fn flags_keep_what_each_form_passes() {
        let flags = |kind, text| {
            apiserver_flags(kind, text, Path::new("f"))
                .unwrap()
                .unwrap()
        };
        assert_eq!(
            flags(
                Kind::ApiserverFlags,
                "--oidc-username-prefix=\"\" \\\n --oidc-client-id=k # c\n"
            ),
            ["oidc-username-prefix=", "oidc-client-id=k"]
        );
        // One flag per line: a value with spaces stays one argument.
        assert_eq!(
            flag_words("# args\n--scope=openid profile email\n--oidc-username-prefix=\"\"\n"),
            ["--scope=openid profile email", "--oidc-username-prefix="]
        );
        assert_eq!(
            flag_words("--scope=openid profile --client-id=a\n"),
            ["--scope=openid", "profile", "--client-id=a"]
        );
        // In a manifest the quotes reach the apiserver.
        assert_eq!(
            flags(
                Kind::StaticPodManifest,
                "kind: Pod\nspec:\n  containers:\n  - command:\n    - kube-apiserver\n    - --oidc-username-prefix=\"\"\n"
            ),
            ["oidc-username-prefix=\"\""]
        );
        assert_eq!(
            flags(
                Kind::KindConfig,
                "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nkubeadmConfigPatches:\n- |\n  kind: ClusterConfiguration\n  apiServer:\n    extraArgs:\n      oidc-client-id: k\n      oidc-username-prefix: \"\"\n"
            ),
            ["oidc-client-id=k", "oidc-username-prefix="]
        );
    }
}

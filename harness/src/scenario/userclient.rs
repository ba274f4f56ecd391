//! The relying party a user's files name, replayed as given: kubelogin from
//! the exec entry of their kubeconfig, or an app's OIDC client settings. Its flags are kept (client id,
//! secret, extra scopes, issuer with its path and slash); only what is an
//! address of the user's machine becomes the run's: the listen address (and
//! so the redirect URI `http://localhost:<port>` Dex must know), the token
//! cache and the CA, each said as a substitution. kubelogin's browser is the
//! harness's, so `--browser-command`/`--skip-open-browser` give way too.

use std::path::Path;

use serde_json::Value;

use super::userinput;

use crate::error::{Error, Result};
use crate::infra::yaml;
use crate::model::report::Substitution;

/// kubelogin's listen ports when `--listen-address` is not given.
const DEFAULT_PORTS: [u16; 2] = [8000, 18000];

/// The flags of the pinned kubelogin's `get-token` (`pkg/cmd/get_token.go`,
/// `authentication.go`, `tls.go`, `tokencache.go`) and klog's, which its
/// logger adds.
const KUBELOGIN_FLAGS: &[&str] = &[
    "oidc-issuer-url",
    "oidc-client-id",
    "oidc-client-secret",
    "oidc-extra-scope",
    "oidc-use-pkce",
    "oidc-pkce-method",
    "oidc-redirect-url",
    "oidc-request-header",
    "oidc-auth-request-extra-params",
    "oidc-use-access-token",
    "force-refresh",
    "grant-type",
    "listen-address",
    "authentication-timeout-sec",
    "skip-open-browser",
    "browser-command",
    "open-url-after-authentication",
    "local-server-cert",
    "local-server-key",
    "username",
    "password",
    "certificate-authority",
    "certificate-authority-data",
    "insecure-skip-tls-verify",
    "tls-renegotiation-once",
    "tls-renegotiation-freely",
    "token-cache-dir",
    "token-cache-storage",
    "kubeconfig",
    "context",
    "user",
    "v",
    "vmodule",
    "logtostderr",
    "alsologtostderr",
    "log_dir",
    "log_file",
    "log_file_max_size",
    "log_backtrace_at",
    "skip_headers",
    "skip_log_headers",
    "stderrthreshold",
    "one_output",
    "add_dir_header",
];

/// The run's address for a redirect URI of kubelogin's on the user's
/// machine: its host and path, the run's kubelogin port.
pub fn run_redirect(given: &str) -> String {
    let rest = given.split_once("://").map(|(_, r)| r).unwrap_or(given);
    let at = rest.find('/').unwrap_or(rest.len());
    let host = rest[..at]
        .rsplit_once(':')
        .map(|(h, _)| h)
        .unwrap_or(&rest[..at]);
    format!("http://{host}:{{{{ kubelogin.port }}}}{}", &rest[at..])
}

/// The kubelogin of a kubeconfig's user entry.
#[derive(Debug, Clone)]
pub struct KubeloginEntry {
    /// The kubeconfig's user entry (`oidc`).
    pub entry: String,
    /// Its flags after `get-token`, as given (`--flag value` joined).
    pub flags: Vec<String>,
}

impl KubeloginEntry {
    /// The redirect URIs kubelogin sends on the user's machine: its
    /// `--oidc-redirect-url`, else `http://localhost:<port>` for each port
    /// it would listen on.
    pub fn redirect_uris(&self) -> Vec<String> {
        if let Some(url) = self.value("--oidc-redirect-url") {
            return vec![url.to_string()];
        }
        let host = "localhost";
        let given: Vec<u16> = self
            .values("--listen-address")
            .filter_map(|a| a.rsplit_once(':')?.1.parse().ok())
            .collect();
        let ports = if given.is_empty() {
            DEFAULT_PORTS.to_vec()
        } else {
            given
        };
        ports
            .into_iter()
            .map(|p| format!("http://{host}:{p}"))
            .collect()
    }

    pub fn value<'a>(&'a self, name: &'a str) -> Option<&'a str> {
        self.values(name).next()
    }

    pub fn values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.flags
            .iter()
            .filter_map(move |f| f.strip_prefix(name).and_then(|v| v.strip_prefix('=')))
    }

    /// Flags the pinned kubelogin does not have: it refuses to start.
    pub fn unknown_flags(&self, path: &Path) -> Vec<String> {
        self.flags
            .iter()
            .filter_map(|f| {
                let name = f.trim_start_matches('-').split('=').next()?;
                (!KUBELOGIN_FLAGS.contains(&name)).then(|| {
                    let near = crate::infra::dexcheck::closest(name, KUBELOGIN_FLAGS)
                        .map(|k| format!(" (did you mean `--{k}`?)"))
                        .unwrap_or_default();
                    format!(
                        "{}: kubelogin {} has no flag `--{name}`{near}: it stops with \"unknown flag: --{name}\"",
                        path.display(),
                        crate::toolchain::versions::KUBELOGIN.version
                    )
                })
            })
            .collect()
    }

    /// The scopes kubelogin asks for: `openid` and its extra scopes.
    pub fn scopes(&self) -> Vec<String> {
        std::iter::once("openid".to_string())
            .chain(
                self.values("--oidc-extra-scope")
                    .flat_map(|v| v.split(','))
                    .map(String::from),
            )
            .collect()
    }

    /// The flags the run gives kubelogin: the user's, less the addresses of
    /// their machine (the harness adds the run's), each said. With
    /// `private_dex` (the subject of Dex's certificate, which no public CA
    /// signed), a kubelogin that names no CA is given none either: the
    /// second value is then true.
    pub fn replayed_flags(
        &self,
        path: &Path,
        said: &mut Vec<Substitution>,
        private_dex: Option<&str>,
    ) -> (Vec<String>, bool) {
        let mut kept = Vec::new();
        let mut ca = None;
        for flag in &self.flags {
            let name = flag.split('=').next().unwrap_or_default();
            let given = flag.split_once('=').map(|(_, v)| v).unwrap_or("(set)");
            let place = format!("{}: kubelogin {name}", path.display());
            match name {
                "--listen-address" => said.push(Substitution::new(
                    place,
                    given,
                    "a free port of the run ({{ kubelogin.redirect_uri }})",
                )),
                "--token-cache-dir" => {
                    said.push(Substitution::new(place, given, "the case's own folder"))
                }
                "--oidc-redirect-url" => {
                    let run = run_redirect(given);
                    said.push(Substitution::new(place, given, run.clone()));
                    kept.push(format!("--oidc-redirect-url={run}"));
                }
                "--certificate-authority" => ca = Some(given.to_string()),
                "--certificate-authority-data" => {
                    ca = Some(format!("{} characters of base64 PEM", given.len()))
                }
                "--browser-command" | "--skip-open-browser" | "--open-url-after-authentication" => {
                    said.push(Substitution::new(
                        place,
                        given,
                        "the harness's browser (a hook that hands it the URL)",
                    ))
                }
                _ => kept.push(flag.clone()),
            }
        }
        let what = format!("{}: kubelogin --certificate-authority", path.display());
        match (ca, private_dex) {
            (None, Some(subject)) => {
                said.push(Substitution::new(
                    what,
                    "(none: the system's CAs)",
                    format!("none added: your Dex's certificate ({subject}) is not signed by a CA the system trusts"),
                ));
                (kept, true)
            }
            (ca, _) => {
                said.push(Substitution::new(
                    what,
                    ca.unwrap_or_else(|| {
                        "(none: the system's CAs, so a publicly trusted certificate)".into()
                    }),
                    "the run's CA (it signs the run's Dex)",
                ));
                (kept, false)
            }
        }
    }
}

/// The kubelogin exec entry of a kubeconfig: the current context's user,
/// else the first user entry that runs `oidc-login get-token`.
pub fn kubelogin(path: &Path) -> Result<Option<KubeloginEntry>> {
    let text = userinput::read(path, userinput::KUBECONFIG)?;
    let config: Value =
        yaml::from_str(&text).map_err(|e| userinput::not_yaml(path, e, userinput::KUBECONFIG))?;
    let current_user = config["contexts"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["name"] == config["current-context"])
        .and_then(|c| c["context"]["user"].as_str());
    if !config["users"].is_null() && !config["users"].is_array() {
        let keys = yaml::key_locations(&text).unwrap_or_default();
        let at = keys.iter().find(|k| k.path == "users");
        return Err(Error::input(
            path,
            at.map_or(0, |k| k.line),
            at.map_or(0, |k| k.column),
            "`users` is not a list of user entries (name, user): kubectl cannot read this kubeconfig",
        ));
    }
    let users = config["users"].as_array().cloned().unwrap_or_default();
    let get_token = |u: &Value| -> Option<Vec<String>> {
        let args: Vec<String> = u["user"]["exec"]["args"]
            .as_array()?
            .iter()
            .filter_map(|a| a.as_str().map(String::from))
            .collect();
        let at = args.iter().position(|a| a == "get-token")?;
        Some(join_values(&args[at + 1..]))
    };
    let chosen = users
        .iter()
        .filter(|u| current_user.is_none_or(|c| u["name"] == c))
        .chain(users.iter())
        .find_map(|u| Some((u["name"].as_str()?.to_string(), get_token(u)?)));
    Ok(chosen.map(|(entry, flags)| KubeloginEntry { entry, flags }))
}

/// `--flag value` pairs as `--flag=value` (kubelogin takes both).
/// An app's OIDC client settings (a generic `oidc-client.yaml`, as most
/// apps take them): its client, secret, redirect URI, scopes and issuer.
#[derive(Debug, Clone)]
pub struct AppClient {
    pub client_id: String,
    pub client_secret: String,
    pub redirect_uri: String,
    pub scopes: Vec<String>,
    pub issuer: Option<String>,
}

/// The first key of `names` that `doc` has, as a string.
fn first_of(doc: &Value, names: &[&str]) -> Option<String> {
    names.iter().find_map(|n| match &doc[*n] {
        Value::String(s) => Some(s.clone()),
        _ => None,
    })
}

/// Reads an app's client settings; a missing client id or redirect URI is
/// an error naming the keys looked for.
pub fn app_client(path: &Path) -> Result<AppClient> {
    let text = userinput::read(path, userinput::CLIENT)?;
    let doc: Value =
        yaml::from_str(&text).map_err(|e| userinput::not_yaml(path, e, userinput::CLIENT))?;
    let need = |names: &[&str]| {
        first_of(&doc, names).ok_or_else(|| {
            Error::input(
                path,
                0,
                0,
                format!("the app's client settings have none of {names:?}"),
            )
        })
    };
    let client_id = need(&["client_id", "clientID", "clientId"])?;
    let redirect_uri = need(&[
        "redirect_uri",
        "redirectURI",
        "redirectUri",
        "redirect_url",
        "redirectURL",
        "callback_url",
    ])?;
    let scopes = match doc
        .get("scopes")
        .or_else(|| doc.get("scope"))
        .cloned()
        .unwrap_or(Value::Null)
    {
        Value::Array(items) => items
            .iter()
            .filter_map(|s| s.as_str().map(String::from))
            .collect(),
        Value::String(s) => s
            .split([' ', ','])
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect(),
        _ => vec!["openid".to_string()],
    };
    Ok(AppClient {
        client_id,
        client_secret: first_of(&doc, &["client_secret", "clientSecret"]).unwrap_or_default(),
        redirect_uri,
        scopes,
        issuer: first_of(
            &doc,
            &["issuer", "issuer_url", "issuerURL", "oidc_issuer_url"],
        ),
    })
}

fn join_values(args: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        let takes_value = a.starts_with("--")
            && !a.contains('=')
            && !matches!(
                a.as_str(),
                "--skip-open-browser" | "--insecure-skip-tls-verify"
            )
            && args.get(i + 1).is_some_and(|n| !n.starts_with('-'));
        if takes_value {
            out.push(format!("{a}={}", args[i + 1]));
            i += 2;
        } else {
            out.push(a.clone());
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flag_kubelogin_does_not_have_is_named_with_the_one_it_meant() {
        let entry = KubeloginEntry {
            entry: "oidc".into(),
            flags: vec![
                "--oidc-issuer-url=https://x/dex".into(),
                "--oidc-redirect-url-hostname=127.0.0.1".into(),
                "--oidc-extra-scopes=groups".into(),
                "--v=1".into(),
            ],
        };
        let found = entry.unknown_flags(Path::new("kubeconfig"));
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            found[0].contains("`--oidc-redirect-url-hostname`"),
            "{found:?}"
        );
        assert!(
            found[1].contains("`--oidc-extra-scopes` (did you mean `--oidc-extra-scope`?)"),
            "{found:?}"
        );
    }

    #[test]
    fn a_redirect_url_keeps_its_host_and_path_on_the_runs_port() {
        assert_eq!(
            run_redirect("http://127.0.0.1:8000/callback"),
            "http://127.0.0.1:{{ kubelogin.port }}/callback"
        );
        assert_eq!(
            run_redirect("http://localhost:8000"),
            "http://localhost:{{ kubelogin.port }}"
        );
    }

    const KUBECONFIG: &str = "\
apiVersion: v1
kind: Config
current-context: oidc@kind
contexts:
- name: oidc@kind
  context: {cluster: kind, user: oidc}
users:
- name: admin
  user: {token: abc}
- name: oidc
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: kubectl
      args:
      - oidc-login
      - get-token
      - --oidc-issuer-url=https://ai.example.com/dex
      - --oidc-client-id
      - kubernetes
      - --oidc-extra-scope=email,groups
      - --listen-address=127.0.0.1:8080
      - --token-cache-dir=~/.kube/cache/oidc
";

    #[test]
    fn the_exec_entry_as_given_and_as_replayed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kubeconfig");
        std::fs::write(&path, KUBECONFIG).unwrap();
        let entry = kubelogin(&path).unwrap().unwrap();
        assert_eq!(entry.entry, "oidc");
        assert_eq!(entry.value("--oidc-client-id"), Some("kubernetes"));
        assert_eq!(entry.scopes(), ["openid", "email", "groups"]);
        assert_eq!(entry.redirect_uris(), ["http://localhost:8080"]);
        let mut said = Vec::new();
        let (flags, system_trust) = entry.replayed_flags(&path, &mut said, None);
        assert!(!system_trust);
        assert_eq!(
            flags,
            [
                "--oidc-issuer-url=https://ai.example.com/dex",
                "--oidc-client-id=kubernetes",
                "--oidc-extra-scope=email,groups"
            ]
        );
        let given: Vec<&str> = said.iter().map(|s| s.given.as_str()).collect();
        assert_eq!(
            given,
            [
                "127.0.0.1:8080",
                "~/.kube/cache/oidc",
                "(none: the system's CAs, so a publicly trusted certificate)"
            ]
        );
    }
}

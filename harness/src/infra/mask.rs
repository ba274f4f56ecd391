//! Keeping a user's secrets out of what a run writes: every client secret,
//! cookie secret and password found in the user's files is replaced by
//! [`MASK`] in the case folder (reports, `evidence.json`, rendered configs,
//! copied logs) once the programs are done with them, and in what is printed.
//! The programs themselves read the real values while they run.

use std::path::Path;

use serde_json::Value;

pub const MASK: &str = "**masked**";

/// Shorter values are left alone: masking `a` would mangle every text.
const SHORTEST: usize = 4;

/// The secrets to keep out, longest first (so a secret containing another
/// is masked whole).
#[derive(Debug, Clone, Default)]
pub struct Masker {
    secrets: Vec<String>,
}

impl Masker {
    /// The string values under keys that name a secret or a password
    /// (`secret`, `clientSecret`, `cookie_secret`, `OAUTH2_PROXY_CLIENT_SECRET`,
    /// `password`, a credential's `value`), and the values of secret flags
    /// (`--oidc-client-secret=...`, `--cookie-secret=...`) anywhere in `doc`.
    pub fn of(doc: &Value) -> Masker {
        let mut secrets = Vec::new();
        collect(doc, false, &mut secrets);
        secrets.retain(|s| s.len() >= SHORTEST && s != MASK && !s.chars().all(|c| c == '*'));
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
        Masker { secrets }
    }

    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    pub fn mask(&self, text: &str) -> String {
        let mut out = text.to_string();
        for s in &self.secrets {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), MASK);
            }
        }
        out
    }

    /// Masks every text file under `dir` in place (binary files, such as
    /// screenshots, hold no text to mask).
    pub fn scrub_dir(&self, dir: &Path) -> std::io::Result<()> {
        if self.is_empty() {
            return Ok(());
        }
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            if path.is_dir() {
                self.scrub_dir(&path)?;
            } else if let Ok(text) = std::fs::read_to_string(&path) {
                let masked = self.mask(&text);
                if masked != text {
                    std::fs::write(&path, masked)?;
                }
            }
        }
        Ok(())
    }
}

fn names_a_secret(key: &str) -> bool {
    let k = key.to_lowercase();
    k.contains("secret") || k.contains("password") || k == "hash"
}

fn collect(v: &Value, secret: bool, out: &mut Vec<String>) {
    match v {
        Value::String(s) if secret => out.push(s.clone()),
        Value::String(s) => {
            // A flag or an environment line inside a list or a text.
            for word in s.split_whitespace() {
                if let Some((name, value)) = word.split_once('=')
                    && names_a_secret(name)
                {
                    out.push(value.trim_matches(['"', '\'']).to_string());
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|x| collect(x, secret, out)),
        Value::Object(map) => {
            let credential = map.get("type").and_then(Value::as_str) == Some("password");
            for (k, x) in map {
                collect(
                    x,
                    secret || names_a_secret(k) || (credential && k == "value"),
                    out,
                );
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secrets_of_every_form_are_found_and_masked() {
        let doc = json!({
            "realm": {"clients": [{"clientId": "dex", "secret": "kc-dex-client-secret"}],
                "users": [{"username": "alice", "credentials": [{"type": "password", "value": "alice-pass"}]}]},
            "dex": {"staticClients": [{"id": "k", "secret": "k-secret"}],
                "connectors": [{"config": {"clientSecret": "kc-dex-client-secret", "clientID": "dex"}}]},
            "oauth2_proxy": {"env": {"OAUTH2_PROXY_COOKIE_SECRET": "q3Jd9v-Xk2mN"},
                "args": ["--cookie-secret=abcd1234", "--client-id=grafana"]},
            "kubelogin": {"args": ["--oidc-client-secret=kube-secret"]},
            "steps": [{"login": {"user": "alice", "password": "alice-pass"}}],
        });
        let m = Masker::of(&doc);
        let text = "dex kc-dex-client-secret alice-pass k-secret q3Jd9v-Xk2mN abcd1234 kube-secret grafana alice";
        assert_eq!(
            m.mask(text),
            "dex **masked** **masked** **masked** **masked** **masked** **masked** grafana alice"
        );
    }
}

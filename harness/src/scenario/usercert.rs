//! The certificate an issuer presents (its chain as `openssl s_client
//! -connect keycloak.example.com:443 -showcerts` prints it), reduced to what
//! decides its clients' TLS checks: the names it is valid for and whether a
//! public CA signed it. Keycloak's: the run's Keycloak is served so that Dex
//! meets the same two facts, behind a TLS front with a certificate for the
//! same names when they do not cover the issuer's host, and trusted only
//! through the connector's `rootCAs` when no public CA signed it. Dex's: the
//! apiserver and kubelogin get the run's CA only where the user's files give
//! them one, or where a public CA signed it (see `userfiles`).

use std::path::{Path, PathBuf};

use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::error::{Error, Result};

/// Where the system's trusted CAs are (Debian's bundle), unless `SSL_CERT_FILE` says.
const SYSTEM_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";

#[derive(Debug, Clone)]
pub struct IssuerCert {
    pub path: PathBuf,
    /// DNS names (and IP addresses) of the leaf certificate's SANs; its CN
    /// when it has none.
    pub names: Vec<String>,
    /// Whether the chain ends at a CA of the system's trust store.
    pub public: bool,
    /// The leaf's subject, for notes.
    pub subject: String,
}

impl IssuerCert {
    pub fn load(path: &Path) -> Result<IssuerCert> {
        let text = super::userinput::read(path, super::userinput::CERTIFICATE)?;
        let text = text.as_bytes();
        let ders: Vec<CertificateDer> = CertificateDer::pem_slice_iter(text)
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| {
                let what = match e {
                    rustls_pki_types::pem::Error::MissingSectionEnd { .. } => {
                        "a `-----BEGIN CERTIFICATE-----` block without its `-----END CERTIFICATE-----`".to_string()
                    }
                    rustls_pki_types::pem::Error::Base64Decode(_) => {
                        "a `-----BEGIN CERTIFICATE-----` block that is not base64 inside".to_string()
                    }
                    other => format!("not PEM ({other})"),
                };
                Error::input(path, 0, 0, format!("{what}: expected {}", super::userinput::CERTIFICATE))
            })?;
        let certs: Vec<X509Certificate> = ders
            .iter()
            .map(|d| X509Certificate::from_der(d).map(|(_, c)| c))
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| {
                Error::input(
                    path,
                    0,
                    0,
                    format!("a PEM block that is not an X.509 certificate ({e}): expected the issuer's chain as `openssl s_client -showcerts` prints it"),
                )
            })?;
        let leaf = certs.first().ok_or_else(|| {
            Error::input(
                path,
                0,
                0,
                format!(
                    "no `-----BEGIN CERTIFICATE-----` block: expected {}",
                    super::userinput::CERTIFICATE
                ),
            )
        })?;
        let mut names: Vec<String> = leaf
            .subject_alternative_name()
            .ok()
            .flatten()
            .map(|san| {
                san.value
                    .general_names
                    .iter()
                    .filter_map(|n| match n {
                        GeneralName::DNSName(d) => Some(d.to_string()),
                        GeneralName::IPAddress(ip) => ip_text(ip),
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default();
        if names.is_empty() {
            names.extend(
                leaf.subject()
                    .iter_common_name()
                    .filter_map(|cn| cn.as_str().ok().map(String::from)),
            );
        }
        let top = certs.last().expect("not empty");
        let roots = system_roots();
        let in_roots = |raw: &[u8]| roots.iter().any(|r| r == raw);
        // A self-signed top is trusted only if it is a system root itself.
        let public = if top.issuer().as_raw() == top.subject().as_raw() {
            in_roots(top.subject().as_raw())
        } else {
            in_roots(top.issuer().as_raw())
        };
        Ok(IssuerCert {
            path: path.to_path_buf(),
            names,
            public,
            subject: leaf.subject().to_string(),
        })
    }

    /// Whether the certificate names `host` (a wildcard covers one label).
    pub fn covers(&self, host: &str) -> bool {
        let host = host.to_ascii_lowercase();
        self.names.iter().any(|n| {
            let n = n.to_ascii_lowercase();
            n == host
                || n.strip_prefix("*.").is_some_and(|suffix| {
                    host.split_once('.')
                        .is_some_and(|(label, rest)| !label.is_empty() && rest == suffix)
                })
        })
    }
}

/// Shapes each oidc connector (issuers already `{{ keycloak.issuer }}…`) so
/// that Dex meets the user's TLS facts; returns the names for the ingress
/// before Keycloak, if one is needed, and notes saying what was done.
/// Without a certificate, Keycloak is taken to be publicly trusted: a
/// connector's list of `rootCAs` becomes the run's CA (a `rootCAs` that is
/// not a list is kept, so Dex meets the same type error).
pub fn apply(
    cert: Option<&IssuerCert>,
    connectors: &mut [serde_json::Value],
    public_issuer: &str,
) -> (Option<Vec<String>>, Vec<String>) {
    let mut ingress = None;
    let mut notes = Vec::new();
    let host = url::Url::parse(public_issuer)
        .ok()
        .and_then(|u| u.host_str().map(String::from))
        .unwrap_or_default();
    for c in connectors.iter_mut().filter(|c| c["type"] == "oidc") {
        let conf = &mut c["config"];
        let listed = conf["rootCAs"].as_array().is_some_and(|a| !a.is_empty());
        let trusted = match cert {
            None => true,
            Some(cert) => cert.public || listed,
        };
        if let Some(cert) = cert {
            if !cert.covers(&host) {
                if let Some(tail) = conf["issuer"]
                    .as_str()
                    .and_then(|i| i.strip_prefix("{{ keycloak.issuer }}"))
                {
                    conf["issuer"] = format!("{{{{ keycloak.ingress_issuer }}}}{tail}").into();
                }
                ingress = Some(cert.names.clone());
                notes.push(format!(
                    "{} is valid for {:?}, not for your issuer's host `{host}`: Keycloak is served behind a TLS front on `localhost` with a certificate for the same names",
                    cert.path.display(),
                    cert.names
                ));
            }
            notes.push(if cert.public {
                format!("{} is signed by a public CA: Dex is given the run's CA in its place", cert.path.display())
            } else if listed {
                format!("{} is not from a public CA; the connector's rootCAs are taken to hold its CA: Dex is given the run's CA in their place", cert.path.display())
            } else {
                format!("{} is not from a public CA and the connector has no rootCAs: Dex gets none (only the system's CAs)", cert.path.display())
            });
        }
        if conf["rootCAs"].is_null() || conf["rootCAs"].is_array() {
            if trusted {
                conf["rootCAs"] = serde_json::json!(["{{ tls.ca_file }}"]);
            } else if let Some(map) = conf.as_object_mut() {
                map.remove("rootCAs");
            }
        }
    }
    (ingress, notes)
}

fn ip_text(raw: &[u8]) -> Option<String> {
    match raw.len() {
        4 => Some(std::net::Ipv4Addr::from(<[u8; 4]>::try_from(raw).ok()?).to_string()),
        16 => Some(std::net::Ipv6Addr::from(<[u8; 16]>::try_from(raw).ok()?).to_string()),
        _ => None,
    }
}

/// Raw subjects of the system's trusted CAs.
fn system_roots() -> Vec<Vec<u8>> {
    let path = std::env::var("SSL_CERT_FILE").unwrap_or_else(|_| SYSTEM_BUNDLE.to_string());
    let Ok(bundle) = std::fs::read(&path) else {
        return Vec::new();
    };
    CertificateDer::pem_slice_iter(&bundle)
        .filter_map(|d| d.ok())
        .filter_map(|d| {
            X509Certificate::from_der(&d)
                .ok()
                .map(|(_, c)| c.subject().as_raw().to_vec())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert(names: &[&str]) -> IssuerCert {
        IssuerCert {
            path: PathBuf::new(),
            names: names.iter().map(|n| n.to_string()).collect(),
            public: false,
            subject: String::new(),
        }
    }

    #[test]
    fn names_and_wildcards_cover_one_label() {
        assert!(!cert(&["ingress.local"]).covers("keycloak.example.com"));
        assert!(cert(&["Keycloak.example.com"]).covers("keycloak.example.com"));
        assert!(cert(&["*.example.com"]).covers("keycloak.example.com"));
        assert!(!cert(&["*.example.com"]).covers("a.keycloak.example.com"));
    }
}

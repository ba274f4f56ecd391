//! The run's certificate authority and server certificates (rcgen).
//!
//! One CA per run: Keycloak, Dex and every other https program get a
//! certificate for their loopback address from it. Programs trust it through CA
//! files; the browser through the SPKI hashes of the run's keys, so TLS checks
//! stay on for everything else.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use base64::Engine;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose, SanType,
};
use sha2::{Digest, Sha256};

use crate::error::{Error, IoContext, Result};

/// The run's CA: certificate and key, as PEM files in the run's state folder.
pub struct Ca {
    cert_pem: String,
    key_pem: String,
    cert_file: PathBuf,
}

/// A server certificate (leaf followed by the CA) and its key, written to files.
#[derive(Debug, Clone)]
pub struct ServerCert {
    pub cert_file: PathBuf,
    pub key_file: PathBuf,
    /// base64(sha256(SubjectPublicKeyInfo)), as Chromium's SPKI list wants it.
    pub spki_sha256: String,
}

impl Ca {
    /// A new CA, written as `ca.pem` and `ca.key` into `dir`.
    pub fn create(dir: &Path) -> Result<Ca> {
        let key = KeyPair::generate().map_err(tls_err)?;
        let mut params = CertificateParams::default();
        params
            .distinguished_name
            .push(DnType::CommonName, "oidc-harness run CA");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let cert = params.self_signed(&key).map_err(tls_err)?;
        let ca = Ca {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            cert_file: dir.join("ca.pem"),
        };
        write(&ca.cert_file, &ca.cert_pem)?;
        write(&dir.join("ca.key"), &ca.key_pem)?;
        Ok(ca)
    }

    /// The CA another process of the same run created in `dir`.
    pub fn load(dir: &Path) -> Result<Ca> {
        let read = |name: &str| {
            let path = dir.join(name);
            std::fs::read_to_string(&path)
                .context(|| format!("reading the run CA {}", path.display()))
        };
        Ok(Ca {
            cert_pem: read("ca.pem")?,
            key_pem: read("ca.key")?,
            cert_file: dir.join("ca.pem"),
        })
    }

    pub fn cert_file(&self) -> &Path {
        &self.cert_file
    }

    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// Issues a certificate for `names` (IP addresses or DNS names), written
    /// as `<stem>.pem` / `<stem>.key` into `dir`.
    pub fn issue(&self, dir: &Path, stem: &str, names: &[String]) -> Result<ServerCert> {
        let ca_key = KeyPair::from_pem(&self.key_pem).map_err(tls_err)?;
        let issuer = Issuer::from_ca_cert_pem(&self.cert_pem, ca_key).map_err(tls_err)?;
        let key = KeyPair::generate().map_err(tls_err)?;
        let mut params = CertificateParams::default();
        params.distinguished_name.push(
            DnType::CommonName,
            names.first().cloned().unwrap_or_default(),
        );
        params.subject_alt_names = names
            .iter()
            .map(|n| match n.parse::<IpAddr>() {
                Ok(ip) => Ok(SanType::IpAddress(ip)),
                Err(_) => n.clone().try_into().map(SanType::DnsName).map_err(tls_err),
            })
            .collect::<Result<_>>()?;
        let cert = params.signed_by(&key, &issuer).map_err(tls_err)?;
        let spki = spki_sha256(&key);
        let cert_file = dir.join(format!("{stem}.pem"));
        let key_file = dir.join(format!("{stem}.key"));
        write(&cert_file, &format!("{}{}", cert.pem(), self.cert_pem))?;
        write(&key_file, &key.serialize_pem())?;
        Ok(ServerCert {
            cert_file,
            key_file,
            spki_sha256: spki,
        })
    }

    /// A client certificate (CN = user, O = groups), as the apiserver's
    /// client-ca authentication reads it; written as `<stem>.pem` / `<stem>.key`.
    pub fn issue_client(
        &self,
        dir: &Path,
        stem: &str,
        user: &str,
        groups: &[&str],
    ) -> Result<ServerCert> {
        let ca_key = KeyPair::from_pem(&self.key_pem).map_err(tls_err)?;
        let issuer = Issuer::from_ca_cert_pem(&self.cert_pem, ca_key).map_err(tls_err)?;
        let key = KeyPair::generate().map_err(tls_err)?;
        let mut params = CertificateParams::default();
        params.distinguished_name.push(DnType::CommonName, user);
        for g in groups {
            params.distinguished_name.push(DnType::OrganizationName, *g);
        }
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
        let cert = params.signed_by(&key, &issuer).map_err(tls_err)?;
        let cert_file = dir.join(format!("{stem}.pem"));
        let key_file = dir.join(format!("{stem}.key"));
        write(&cert_file, &cert.pem())?;
        write(&key_file, &key.serialize_pem())?;
        Ok(ServerCert {
            cert_file,
            key_file,
            spki_sha256: spki_sha256(&key),
        })
    }

    /// A key pair for signing (service-account tokens): `(private, public)` PEM files.
    pub fn signing_key(dir: &Path, stem: &str) -> Result<(PathBuf, PathBuf)> {
        let key = KeyPair::generate().map_err(tls_err)?;
        let private = dir.join(format!("{stem}.key"));
        let public = dir.join(format!("{stem}.pub"));
        write(&private, &key.serialize_pem())?;
        write(&public, &key.public_key_pem())?;
        Ok((private, public))
    }

    /// SPKI hash of the CA key, for Chromium's `--ignore-certificate-errors-spki-list`.
    pub fn spki_sha256(&self) -> Result<String> {
        let key = KeyPair::from_pem(&self.key_pem).map_err(tls_err)?;
        Ok(spki_sha256(&key))
    }

    /// A reqwest client that trusts the run's CA (and nothing else).
    pub fn http_client(&self) -> Result<reqwest::Client> {
        let cert = reqwest::Certificate::from_pem(self.cert_pem.as_bytes()).map_err(tls_err)?;
        reqwest::Client::builder()
            .add_root_certificate(cert)
            .tls_built_in_root_certs(false)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .map_err(tls_err)
    }
}

/// base64(sha256(DER SubjectPublicKeyInfo)) of a key.
fn spki_sha256(key: &KeyPair) -> String {
    let pem = key.public_key_pem();
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body)
        .expect("rcgen writes valid PEM");
    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(der))
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).context(|| format!("writing {}", path.display()))
}

fn tls_err(e: impl std::fmt::Display) -> Error {
    Error::toolchain("tls", e.to_string())
}

//! A TLS-terminating front before Keycloak, as an ingress controller puts one
//! before it in a cluster: it listens on `localhost` (a DNS name, so clients
//! check the certificate's DNS names, not IP SANs), presents a certificate
//! for the names it is given (issued by the run's CA), and forwards each
//! connection's bytes to the backend over TLS. Plumbing, not an emulation:
//! what a client sees is a real TLS handshake with that certificate, and a
//! client that refuses it is logged in `<name>.log`.

use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::rustls::{ClientConfig, RootCertStore, ServerConfig};
use tokio_rustls::{TlsAcceptor, TlsConnector, rustls};

use crate::error::{Error, IoContext, Result};
use crate::infra::tls::{Ca, ServerCert};

/// The host name the front is reached by.
pub const HOST: &str = "localhost";

/// Where a front will listen, decided before configs are rendered.
#[derive(Debug, Clone, Copy)]
pub struct FrontPlan {
    pub addr: SocketAddr,
}

impl FrontPlan {
    /// A free port on 127.0.0.1, which `localhost` resolves to.
    pub fn new() -> Result<FrontPlan> {
        let ip = Ipv4Addr::LOCALHOST;
        let port = crate::infra::process::free_port(ip)?;
        Ok(FrontPlan {
            addr: SocketAddr::from((ip, port)),
        })
    }

    /// `https://localhost:<port>`.
    pub fn url(&self) -> String {
        format!("https://{HOST}:{}", self.addr.port())
    }
}

/// A running front; its listener stops when this is dropped.
pub struct TlsFront {
    plan: FrontPlan,
    names: Vec<String>,
    log: PathBuf,
    pub cert: ServerCert,
    task: tokio::task::JoinHandle<()>,
}

impl TlsFront {
    /// Starts `name` on `plan.addr` with a certificate for `names`, forwarding
    /// to `backend` (an https program with a certificate from the run's CA).
    pub async fn start(
        ca: &Ca,
        dir: &Path,
        name: &str,
        plan: FrontPlan,
        names: &[String],
        backend: SocketAddr,
    ) -> Result<TlsFront> {
        let cert = ca.issue(dir, name, names)?;
        let acceptor = TlsAcceptor::from(Arc::new(server_config(&cert)?));
        let connector = TlsConnector::from(Arc::new(client_config(ca)?));
        let listener = TcpListener::bind(plan.addr)
            .await
            .context(|| format!("{name}: binding {}", plan.addr))?;
        let log = dir.join(format!("{name}.log"));
        std::fs::write(
            &log,
            format!(
                "{name}: listening on {} (https://{HOST}:{}), certificate for {names:?}, forwarding to {backend}\n",
                plan.addr,
                plan.addr.port()
            ),
        )
        .context(|| format!("writing {}", log.display()))?;
        let task = tokio::spawn(serve(listener, acceptor, connector, backend, log.clone()));
        Ok(TlsFront {
            plan,
            names: names.to_vec(),
            log,
            cert,
            task,
        })
    }

    pub fn url(&self) -> String {
        self.plan.url()
    }

    /// The names its certificate is valid for.
    pub fn names(&self) -> &[String] {
        &self.names
    }
}

impl super::Program for TlsFront {
    fn log_path(&self) -> &Path {
        &self.log
    }
}

impl Drop for TlsFront {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    connector: TlsConnector,
    backend: SocketAddr,
    log: PathBuf,
) {
    while let Ok((client, peer)) = listener.accept().await {
        let (acceptor, connector, log) = (acceptor.clone(), connector.clone(), log.clone());
        tokio::spawn(async move {
            if let Err(e) = forward(client, acceptor, connector, backend).await {
                note(&log, &format!("connection from {peer}: {e}"));
            }
        });
    }
}

async fn forward(
    client: TcpStream,
    acceptor: TlsAcceptor,
    connector: TlsConnector,
    backend: SocketAddr,
) -> std::result::Result<(), String> {
    let mut front = acceptor
        .accept(client)
        .await
        .map_err(|e| format!("TLS handshake failed (the client refused the certificate?): {e}"))?;
    let tcp = TcpStream::connect(backend)
        .await
        .map_err(|e| format!("connecting to {backend}: {e}"))?;
    let name = ServerName::IpAddress(backend.ip().into());
    let mut back = connector
        .connect(name, tcp)
        .await
        .map_err(|e| format!("TLS to {backend}: {e}"))?;
    tokio::io::copy_bidirectional(&mut front, &mut back)
        .await
        .map(|_| ())
        .map_err(|e| format!("forwarding: {e}"))
}

fn note(log: &Path, line: &str) {
    if let Ok(mut f) = std::fs::OpenOptions::new().append(true).open(log) {
        let _ = writeln!(f, "{line}");
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn server_config(cert: &ServerCert) -> Result<ServerConfig> {
    let read = |p: &Path| std::fs::read(p).context(|| format!("reading {}", p.display()));
    let chain = CertificateDer::pem_slice_iter(&read(&cert.cert_file)?)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(tls_err)?;
    let key = PrivateKeyDer::from_pem_slice(&read(&cert.key_file)?).map_err(tls_err)?;
    ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(tls_err)?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(tls_err)
}

fn client_config(ca: &Ca) -> Result<ClientConfig> {
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca.cert_pem().as_bytes()) {
        roots.add(cert.map_err(tls_err)?).map_err(tls_err)?;
    }
    Ok(ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(tls_err)?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

fn tls_err(e: impl std::fmt::Display) -> Error {
    Error::step("tls front", e.to_string())
}

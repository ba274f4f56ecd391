//! A real Kubernetes API server: etcd + kube-apiserver, natively, on their own
//! loopback address, with certificates, a service-account key and an admin
//! client certificate (O=system:masters) from the run's CA.
//!
//! OIDC comes from the scenario, either as the legacy `--oidc-*` flags or as a
//! structured `AuthenticationConfiguration` (`--authentication-config`); the two
//! are mutually exclusive in the apiserver, and so here.
//!
//! With `OIDC_HARNESS_CLUSTER=kind` the same settings go into the guide's kind
//! cluster config instead (`components::kind`), and the cluster is made there.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use super::client::{self, Action, Credential, Served};
use super::kind::{KindCluster, KindConfig};
use super::{Cluster, OidcAuth};
use crate::error::{Error, IoContext, Result};
use crate::infra::process::{Spec, Supervised, free_port, fresh_endpoint};
use crate::infra::tls::Ca;
use crate::toolchain::Programs;

pub struct ApiServer {
    url: String,
    admin_kubeconfig: PathBuf,
    /// The admin's kube-rs configuration, read when the cluster was made.
    admin: kube::Config,
    /// What the apiserver serves, discovered on first need.
    served: tokio::sync::OnceCell<Served>,
    ca_file: PathBuf,
    dir: PathBuf,
    kubectl: PathBuf,
    kubelogin_dir: PathBuf,
    processes: Processes,
}

/// What runs the apiserver.
enum Processes {
    Native(Box<Native>),
    Kind(KindCluster),
}

/// etcd, kube-apiserver and kube-controller-manager on this machine.
struct Native {
    apiserver: Supervised,
    /// How kube-apiserver was started, and a client with the admin
    /// certificate for its `/readyz`: for a restart.
    spec: Spec,
    admin_http: reqwest::Client,
    _controllers: Supervised,
    _etcd: Supervised,
}

/// What a kubectl invocation gave.
#[derive(Debug, Clone)]
pub struct KubectlOutput {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

/// etcd for one apiserver, started on its own so that it can come up while
/// the rest of a case starts.
pub struct Etcd {
    url: String,
    process: Supervised,
}

impl Etcd {
    pub async fn start(programs: &Programs, dir: &Path) -> Result<Etcd> {
        let ip = match fresh_endpoint()?.ip() {
            std::net::IpAddr::V4(ip) => ip,
            std::net::IpAddr::V6(_) => std::net::Ipv4Addr::LOCALHOST,
        };
        let (client, peer) = (free_port(ip)?, free_port(ip)?);
        let url = format!("http://{ip}:{client}");
        let peer_url = format!("http://{ip}:{peer}");
        let mut process = Supervised::spawn(
            Spec::new("etcd", &programs.etcd, dir)
                .arg(format!("--data-dir={}", dir.join("etcd-data").display()))
                .arg("--name=default")
                .arg(format!("--listen-client-urls={url}"))
                .arg(format!("--advertise-client-urls={url}"))
                .arg(format!("--listen-peer-urls={peer_url}"))
                .arg(format!("--initial-advertise-peer-urls={peer_url}"))
                .arg(format!("--initial-cluster=default={peer_url}"))
                .arg("--log-level=warn"),
        )?;
        let plain = reqwest::Client::new();
        let health = format!("{url}/health");
        process
            .wait_ready(Duration::from_secs(30), "/health answering", || {
                crate::infra::process::answers_ok(&plain, &health)
            })
            .await?;
        Ok(Etcd { url, process })
    }
}

impl ApiServer {
    pub async fn start(
        programs: &Programs,
        ca: &Ca,
        auth: &OidcAuth,
        dir: &Path,
        cluster: Cluster,
    ) -> Result<ApiServer> {
        let etcd = match cluster {
            Cluster::Kind => None,
            _ => Some(Etcd::start(programs, dir).await?),
        };
        ApiServer::start_on(etcd, programs, ca, auth, dir, cluster).await
    }

    /// [`ApiServer::start`] with an etcd already started (`None` on kind).
    pub async fn start_on(
        etcd: Option<Etcd>,
        programs: &Programs,
        ca: &Ca,
        auth: &OidcAuth,
        dir: &Path,
        cluster: Cluster,
    ) -> Result<ApiServer> {
        if cluster == Cluster::Kind {
            return ApiServer::on_kind(programs, auth, dir).await;
        }
        let etcd = match etcd {
            Some(etcd) => etcd,
            None => Etcd::start(programs, dir).await?,
        };
        let etcd_url = etcd.url.clone();
        let addr: SocketAddr = fresh_endpoint()?;
        let ip = addr.ip().to_string();

        let serving = ca.issue(dir, "apiserver", &[ip.clone(), "localhost".into()])?;
        let admin = ca.issue_client(dir, "admin", "harness-admin", &["system:masters"])?;
        let (sa_key, sa_pub) = Ca::signing_key(dir, "service-account")?;
        let url = format!("https://{addr}");
        let mut spec = Spec::new("kube-apiserver", &programs.kube_apiserver, dir)
            .arg(format!("--etcd-servers={etcd_url}"))
            .arg(format!("--bind-address={ip}"))
            .arg(format!("--advertise-address={ip}"))
            .arg(format!("--secure-port={}", addr.port()))
            .arg(format!("--tls-cert-file={}", serving.cert_file.display()))
            .arg(format!(
                "--tls-private-key-file={}",
                serving.key_file.display()
            ))
            .arg(format!("--client-ca-file={}", ca.cert_file().display()))
            .arg(format!("--service-account-key-file={}", sa_pub.display()))
            .arg(format!(
                "--service-account-signing-key-file={}",
                sa_key.display()
            ))
            .arg("--service-account-issuer=https://kubernetes.default.svc.cluster.local")
            .arg("--service-cluster-ip-range=10.96.0.0/24")
            .arg("--authorization-mode=RBAC")
            .arg(format!(
                "--cert-dir={}",
                dir.join("apiserver-certs").display()
            ))
            .arg("--profiling=false")
            // No controllers run here; the reconciler refuses loopback addresses.
            .arg("--endpoint-reconciler-type=none");
        match auth {
            OidcAuth::Flags(flags) => {
                for f in flags {
                    spec = spec.arg(format!("--{}", f.trim_start_matches('-')));
                }
            }
            OidcAuth::Config(config) => {
                let path = dir.join("authentication-config.yaml");
                let text = crate::infra::yaml::to_string(config)
                    .map_err(|e| Error::step("apiserver", e.to_string()))?;
                std::fs::write(&path, text).context(|| format!("writing {}", path.display()))?;
                spec = spec.arg(format!("--authentication-config={}", path.display()));
            }
        }
        let mut apiserver = Supervised::spawn(spec.clone())?;
        let identity = reqwest::Identity::from_pem(
            format!(
                "{}{}",
                std::fs::read_to_string(&admin.key_file).unwrap_or_default(),
                std::fs::read_to_string(&admin.cert_file).unwrap_or_default()
            )
            .as_bytes(),
        )
        .map_err(|e| Error::step("apiserver", e.to_string()))?;
        let http = reqwest::Client::builder()
            .add_root_certificate(
                reqwest::Certificate::from_pem(ca.cert_pem().as_bytes())
                    .map_err(|e| Error::step("apiserver", e.to_string()))?,
            )
            .identity(identity)
            .build()
            .map_err(|e| Error::step("apiserver", e.to_string()))?;
        let readyz = format!("{url}/readyz");
        apiserver
            .wait_ready(Duration::from_secs(120), "/readyz answering 200", || {
                crate::infra::process::answers_ok(&http, &readyz)
            })
            .await?;
        let admin_kubeconfig = dir.join("admin.kubeconfig");
        write_kubeconfig(
            &admin_kubeconfig,
            &url,
            ca.cert_file(),
            &format!(
                "    client-certificate: {}\n    client-key: {}\n",
                admin.cert_file.display(),
                admin.key_file.display()
            ),
        )?;
        // The aggregated ClusterRoles (admin, edit, view) get their rules from
        // kube-controller-manager's clusterrole-aggregation controller.
        let mut controllers = Supervised::spawn(
            Spec::new(
                "kube-controller-manager",
                &programs.kube_controller_manager,
                dir,
            )
            .arg(format!("--kubeconfig={}", admin_kubeconfig.display()))
            .arg("--controllers=clusterrole-aggregation")
            .arg("--leader-elect=false")
            .arg(format!("--bind-address={ip}"))
            .arg("--secure-port=0"),
        )?;
        let view = format!("{url}/apis/rbac.authorization.k8s.io/v1/clusterroles/view");
        let aggregated = || view_is_aggregated(&http, &view);
        controllers
            .wait_ready(
                Duration::from_secs(60),
                "ClusterRole view aggregated",
                aggregated,
            )
            .await?;
        Ok(ApiServer {
            url,
            admin: client::admin_config(&admin_kubeconfig).await?,
            served: tokio::sync::OnceCell::new(),
            admin_kubeconfig,
            ca_file: ca.cert_file().to_path_buf(),
            dir: dir.to_path_buf(),
            kubectl: programs.kubectl.clone(),
            kubelogin_dir: kubelogin_dir(programs),
            processes: Processes::Native(Box::new(Native {
                apiserver,
                spec,
                admin_http: http,
                _controllers: controllers,
                _etcd: etcd.process,
            })),
        })
    }

    /// The guide's kind cluster with these OIDC settings.
    async fn on_kind(programs: &Programs, auth: &OidcAuth, dir: &Path) -> Result<ApiServer> {
        let name = format!(
            "oidc-{}",
            crate::infra::oidc::random_token(6).to_lowercase()
        );
        let config = KindConfig {
            name: &name,
            api_server_port: free_port(std::net::Ipv4Addr::LOCALHOST)?,
            auth,
            dir,
        };
        let cluster = KindCluster::create(&config).await?;
        let kubeconfig = cluster.kubeconfig().to_path_buf();
        let text = std::fs::read_to_string(&kubeconfig)
            .context(|| format!("reading {}", kubeconfig.display()))?;
        let doc: Value = crate::infra::yaml::from_str(&text)
            .map_err(|e| Error::step("kind", format!("{}: {e}", kubeconfig.display())))?;
        let cluster_entry = &doc["clusters"][0]["cluster"];
        let url = cluster_entry["server"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let ca_pem = cluster_entry["certificate-authority-data"]
            .as_str()
            .and_then(|b| {
                use base64::Engine;
                base64::engine::general_purpose::STANDARD.decode(b).ok()
            })
            .ok_or_else(|| {
                Error::step("kind", "no certificate-authority-data in its kubeconfig")
            })?;
        let ca_file = dir.join("kind-ca.crt");
        std::fs::write(&ca_file, ca_pem).context(|| format!("writing {}", ca_file.display()))?;
        let deadline = std::time::Instant::now() + Duration::from_secs(120);
        while !view_aggregated_on_kind(programs.kubectl.clone(), kubeconfig.clone()).await {
            if std::time::Instant::now() > deadline {
                return Err(Error::step(
                    "kind",
                    "ClusterRole view not aggregated after 120s",
                ));
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        Ok(ApiServer {
            url,
            admin: client::admin_config(&kubeconfig).await?,
            served: tokio::sync::OnceCell::new(),
            admin_kubeconfig: kubeconfig,
            ca_file,
            dir: dir.to_path_buf(),
            kubectl: programs.kubectl.clone(),
            kubelogin_dir: kubelogin_dir(programs),
            processes: Processes::Kind(cluster),
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Stops kube-apiserver and starts it again with the same flags and
    /// address (etcd, and so RBAC, stay); its log goes on in the same file.
    /// What it held in memory (its token cache, the issuer's keys) is gone.
    pub async fn restart(&mut self) -> Result<()> {
        let readyz = format!("{}/readyz", self.url);
        match &mut self.processes {
            Processes::Native(native) => {
                native.apiserver.kill();
                let mut restarted = Supervised::spawn(native.spec.clone().restarted())?;
                let http = native.admin_http.clone();
                restarted
                    .wait_ready(Duration::from_secs(120), "/readyz answering 200", || {
                        crate::infra::process::answers_ok(&http, &readyz)
                    })
                    .await?;
                native.apiserver = restarted;
            }
            Processes::Kind(cluster) => {
                cluster.restart_apiserver().await?;
                let raw = vec!["get".to_string(), "--raw=/readyz".into()];
                let deadline = std::time::Instant::now() + Duration::from_secs(120);
                while !self.kubectl(&self.admin_kubeconfig, &raw).await?.success {
                    if std::time::Instant::now() > deadline {
                        return Err(Error::step("restart apiserver", "not ready after 120s"));
                    }
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
        }
        Ok(())
    }

    pub fn admin_kubeconfig(&self) -> &Path {
        &self.admin_kubeconfig
    }

    /// Its warning and error lines (klog's `W…`/`E…`): where it says why it
    /// refused a token, without the start-up chatter.
    pub fn warnings(&self) -> String {
        use crate::programs::Program;
        self.log_text()
            .lines()
            .filter(|l| {
                let mut c = l.chars();
                matches!(c.next(), Some('E' | 'W')) && c.next().is_some_and(|d| d.is_ascii_digit())
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// A kubeconfig whose user is a bearer token (an OIDC ID token).
    pub fn token_kubeconfig(&self, name: &str, token: &str) -> Result<PathBuf> {
        let path = self.dir.join(format!("{name}.kubeconfig"));
        write_kubeconfig(
            &path,
            &self.url,
            &self.ca_file,
            &format!("    token: {token}\n"),
        )?;
        Ok(path)
    }

    /// A kubeconfig with no user yet, for `kubectl config set-credentials`.
    pub fn bare_kubeconfig(&self, name: &str) -> Result<PathBuf> {
        let path = self.dir.join(format!("{name}.kubeconfig"));
        write_kubeconfig(&path, &self.url, &self.ca_file, "")?;
        Ok(path)
    }

    /// The real kubectl with `kubeconfig`, as a user's shell runs it: kubectl
    /// and kubelogin (`kubectl-oidc_login`) on its PATH, HOME the case's folder.
    pub fn kubectl_command(&self, kubeconfig: &Path, args: &[String]) -> tokio::process::Command {
        let kubectl_dir = self.kubectl.parent().unwrap_or(Path::new("/"));
        let path = format!(
            "{}:{}:{}",
            self.kubelogin_dir.display(),
            kubectl_dir.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut cmd = tokio::process::Command::new(&self.kubectl);
        crate::infra::process::guard(&mut cmd);
        cmd.args(args)
            .env("KUBECONFIG", kubeconfig)
            .env("PATH", path)
            .env("HOME", &self.dir)
            .kill_on_drop(true);
        cmd
    }

    /// Runs the real kubectl with `kubeconfig` to its end.
    pub async fn kubectl(&self, kubeconfig: &Path, args: &[String]) -> Result<KubectlOutput> {
        let out = self
            .kubectl_command(kubeconfig, args)
            .stdin(std::process::Stdio::null())
            .output()
            .await
            .context(|| "running kubectl".into())?;
        Ok(KubectlOutput {
            success: out.status.success(),
            stdout: String::from_utf8_lossy(&out.stdout).to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).to_string(),
        })
    }

    /// A kube-rs client for `who` (the harness's own questions).
    pub fn client(&self, who: Credential<'_>) -> Result<kube::Client> {
        client::client(&self.admin, who)
    }

    async fn served(&self) -> Result<&Served> {
        self.served
            .get_or_try_init(|| async { Served::discover(&self.client(Credential::Admin)?).await })
            .await
    }

    /// Applies manifests (YAML documents) as the admin, server-side.
    pub async fn apply(&self, manifests: &str) -> Result<Vec<String>> {
        let admin = self.client(Credential::Admin)?;
        self.served().await?.apply(&admin, manifests).await
    }

    /// `kubectl auth can-i <words>` for `who`, asked as a
    /// SelfSubjectAccessReview: `yes` or `no`.
    pub async fn can_i(
        &self,
        who: Credential<'_>,
        words: &[String],
        namespace: Option<&str>,
    ) -> Result<String> {
        let action = self
            .served()
            .await?
            .resolve(Action::parse(words, namespace)?)?;
        Ok(client::can_i(&self.client(who)?, &action).await?.0)
    }

    /// Who the apiserver takes `who` for (a SelfSubjectReview).
    pub async fn who_is(&self, who: Credential<'_>) -> Result<(String, Vec<String>)> {
        client::who_is(&self.client(who)?).await
    }
}

/// Whether kube-controller-manager has aggregated the rules of ClusterRole
/// `view` (admin, edit and view get theirs that way).
async fn view_is_aggregated(admin: &reqwest::Client, view: &str) -> bool {
    let Ok(resp) = admin.get(view).send().await else {
        return false;
    };
    let role: serde_json::Value = resp.json().await.unwrap_or_default();
    role["rules"].as_array().is_some_and(|rules| {
        rules
            .iter()
            .any(|r| r["verbs"].to_string().contains("\"get\""))
    })
}

/// [`view_is_aggregated`] through kubectl and a kind cluster's kubeconfig.
async fn view_aggregated_on_kind(kubectl: PathBuf, kubeconfig: PathBuf) -> bool {
    tokio::task::spawn_blocking(move || {
        Command::new(kubectl)
            .args([
                "get",
                "clusterrole",
                "view",
                "-o",
                "jsonpath={.rules[*].verbs}",
            ])
            .env("KUBECONFIG", kubeconfig)
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("get"))
    })
    .await
    .unwrap_or(false)
}

fn write_kubeconfig(path: &Path, server: &str, ca: &Path, user: &str) -> Result<()> {
    let text = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: harness\n  cluster:\n    server: {server}\n    certificate-authority: {}\n\
         users:\n- name: user\n  user:\n{user}contexts:\n- name: harness\n  context:\n    cluster: harness\n    user: user\ncurrent-context: harness\n",
        ca.display()
    );
    let text = if user.is_empty() {
        text.replace("  user:\n", "  user: {}\n")
    } else {
        text
    };
    std::fs::write(path, text).context(|| format!("writing {}", path.display()))
}

/// The folder of `kubectl-oidc_login`: on kubectl's PATH, so `kubectl
/// oidc-login` and the exec credential find it.
fn kubelogin_dir(programs: &Programs) -> PathBuf {
    programs
        .kubelogin
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

impl crate::programs::Program for ApiServer {
    fn log_path(&self) -> &Path {
        match &self.processes {
            Processes::Native(native) => native.apiserver.log_path(),
            Processes::Kind(cluster) => cluster.apiserver_log_path(),
        }
    }

    fn log_text(&self) -> String {
        match &self.processes {
            Processes::Native(native) => native.apiserver.log_text(),
            Processes::Kind(cluster) => cluster.apiserver_log(),
        }
    }
}

//! kubelogin, the real one, the two ways guide 003 uses it: run by hand
//! (`kubectl oidc-login get-token`, the `kubelogin` step), and as kubectl's
//! exec credential plugin from the user entry `kubectl config set-credentials`
//! writes (the `set_credentials` step, then `kubectl` `as:` that entry, on a
//! terminal as in a user's shell). Either way kubelogin opens its browser
//! through `--browser-command`, a hook that writes the URL down, and the
//! harness's Chromium signs in there while kubelogin, and kubectl above it,
//! wait.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use tokio::io::AsyncReadExt;

use super::Perform;
use super::kube::{flag, safe_name};
use super::tokens::{UNAUTHENTICATED, cached_id_token, note_refused};
use crate::error::{Error, IoContext, Result};
use crate::infra::dexlog;
use crate::infra::oidc::{Provider, peek_claims};
use crate::infra::process::{guard, watch};
use crate::model::evidence::CommandRun;
use crate::model::report::StepReport;
use crate::model::steps::{Kubectl, Kubelogin, SetCredentials, SignInAs};
use crate::programs::Program;
use crate::run::cx::StepCx;
use crate::run::signin::{SignInEnd, sign_in};
use crate::run::verify::{redact, settle_log, verify_subset, wait_login_line};

/// How long a command may run before kubelogin opens its browser or it ends.
const UNTIL_BROWSER: Duration = Duration::from_secs(60);

/// How long kubelogin may take to hand out its token after the sign-in.
const AFTER_SIGN_IN: Duration = Duration::from_secs(60);

/// kubelogin's `--browser-command`. kubelogin runs it as `exec(command, url)`,
/// without a shell: a script that writes the URL to a file.
#[derive(Debug, Clone)]
pub(super) struct BrowserHook {
    script: PathBuf,
    url_file: PathBuf,
}

impl BrowserHook {
    pub(super) fn create(dir: &Path, name: &str) -> Result<BrowserHook> {
        let url_file = dir.join(format!("{name}-browser-url"));
        let script = dir.join(format!("{name}-browser.sh"));
        std::fs::write(
            &script,
            format!("#!/bin/sh\nprintf '%s' \"$1\" > '{}'\n", url_file.display()),
        )
        .context(|| format!("writing {}", script.display()))?;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))
            .context(|| script.display().to_string())?;
        let hook = BrowserHook { script, url_file };
        hook.take_url();
        Ok(hook)
    }

    /// What the harness adds to kubelogin's own flags: the run's CA (the
    /// guide's Dex has a public certificate) unless `ca` is none, a free
    /// port for its redirect listener (the guide's is 8000), and this hook.
    /// `port`: kubelogin's listen port; `None` leaves kubelogin's own default.
    pub(super) fn kubelogin_flags(&self, ca: Option<&Path>, port: Option<u16>) -> Vec<String> {
        ca.map(|ca| format!("--certificate-authority={}", ca.display()))
            .into_iter()
            .chain(port.map(|port| format!("--listen-address=127.0.0.1:{port}")))
            .chain([format!("--browser-command={}", self.script.display())])
            .collect()
    }

    /// The URL kubelogin opened, once (the file is removed).
    fn take_url(&self) -> Option<String> {
        let url = std::fs::read_to_string(&self.url_file).ok()?;
        if url.is_empty() {
            return None;
        }
        let _ = std::fs::remove_file(&self.url_file);
        Some(url)
    }
}

/// A user entry `set_credentials` made.
#[derive(Debug, Clone)]
pub(crate) struct ExecUser {
    hook: BrowserHook,
    /// kubelogin's `--token-cache-dir` (its default under HOME when not given).
    pub(super) cache_dir: PathBuf,
}

/// How a command that may open kubelogin's browser ended.
pub(super) struct Driven {
    pub(super) output: Output,
    /// The user the harness signed in as, when kubelogin opened its browser.
    pub(super) signed_in: Option<String>,
    /// Why the sign-in kubelogin opened stopped on a page (kubelogin was
    /// then killed: it would wait for a callback that never comes).
    pub(super) stopped: Option<String>,
}

impl Driven {
    fn text(&self) -> String {
        format!(
            "{}{}",
            String::from_utf8_lossy(&self.output.stdout),
            String::from_utf8_lossy(&self.output.stderr)
        )
    }
}

/// `kubectl oidc-login get-token` with the guide's flags; the browser
/// must open, and the token's claims are checked against Dex's keys.
impl Perform for Kubelogin {
    async fn perform(&self, cx: &mut StepCx<'_>) -> Result<StepReport> {
        let hook = BrowserHook::create(&cx.dir, "kubelogin")?;
        let mut args = vec![if self.setup { "setup" } else { "get-token" }.to_string()];
        args.extend(self.args.iter().cloned());
        // One cache per user, as each person has their own: kubelogin's
        // cache key (issuer, client, scopes) does not name the user. `setup`
        // keeps kubelogin's default, under the case's HOME, as the guide's.
        if !self.setup {
            args.push(format!(
                "--token-cache-dir={}",
                cx.dir
                    .join(format!("kube-cache-{}", safe_name(&self.user)))
                    .display()
            ));
        }
        let ca = (!self.system_trust).then(|| cx.run.ca.cert_file());
        // The guide's kubelogin listens on its default port: take the
        // machine's turn on it, and hold the ports the step says are taken.
        let (_turn, _taken) = if self.default_listen {
            (
                Some(default_ports_turn(&self.occupied).await?),
                occupy(&self.occupied)?,
            )
        } else {
            (None, Vec::new())
        };
        let port = (!self.default_listen).then_some(cx.kubelogin_port);
        args.extend(hook.kubelogin_flags(ca, port));
        args.push("--authentication-timeout-sec=120".into());
        let mut cmd = tokio::process::Command::new(&cx.run.programs.kubelogin);
        let child = guard(&mut cmd)
            .args(&args)
            .env("HOME", &cx.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .context(|| "starting kubelogin".into())?;
        watch(&child);
        let who = SignInAs {
            user: self.user.clone(),
            password: self.password.clone(),
            connector: self.connector.clone(),
        };
        let dex_before = cx
            .dex
            .as_ref()
            .map(|d| (dexlog::logins(&d.log_text()).len(), d.log_text().len()));
        let tolerant = self.success != Some(true);
        let driven = drive_kubelogin(cx, "kubelogin", child, &hook, Some(&who), tolerant).await?;
        let mut dex_login = None;
        if let (Some(dex), Some((logins_before, offset))) = (cx.dex.as_ref(), dex_before) {
            if driven.stopped.is_none() && driven.output.status.success() {
                dex_login = wait_login_line(dex, logins_before).await;
            }
            let dex_log = settle_log(dex, offset).await;
            cx.evidence.dex_log.push_str(&dex_log);
            cx.evidence.dex_logins.extend(dex_login.clone());
        }
        let log = cx.dir.join("kubelogin.log");
        std::fs::write(&log, &driven.output.stderr).context(|| log.display().to_string())?;
        let failure = match &driven.stopped {
            Some(reason) => Some(format!("the sign-in kubelogin opened stopped: {reason}")),
            None if !driven.output.status.success() => Some(format!(
                "exited {}:\n{}",
                driven.output.status,
                driven.text()
            )),
            None => None,
        };
        cx.evidence.commands.push(CommandRun {
            identity: self.user.clone(),
            args: std::iter::once("oidc-login".to_string())
                .chain(args.iter().cloned())
                .collect(),
            success: failure.is_none(),
            output: crate::model::text::truncate(
                failure.as_deref().unwrap_or(&driven.text()),
                2000,
            ),
        });
        if let Some(failure) = failure {
            if self.success == Some(true) {
                return Err(Error::step("kubelogin", failure));
            }
            return Ok(StepReport {
                error: failure
                    .lines()
                    .find(|l| !l.trim().is_empty())
                    .map(String::from),
                output: Some(failure),
                ..Default::default()
            });
        }
        if self.success == Some(false) {
            return Err(Error::expectation(
                "kubelogin",
                "expected kubelogin to fail, it handed out a token",
            ));
        }
        if self.setup {
            return setup_report(self, &driven.text());
        }
        let credential: serde_json::Value = serde_json::from_slice(&driven.output.stdout)
            .map_err(|e| Error::step("kubelogin", format!("not an ExecCredential: {e}")))?;
        let token = credential["status"]["token"]
            .as_str()
            .ok_or_else(|| Error::step("kubelogin", format!("no status.token in {credential}")))?
            .to_string();
        let client_id = flag(&self.args, "--oidc-client-id").unwrap_or_default();
        let issuer = flag(&self.args, "--oidc-issuer-url").unwrap_or_default();
        let http = cx.run.ca.http_client()?;
        let provider = Provider::discover(&http, "dex", &issuer).await?;
        let claims = provider.verify(&http, "dex", &token, &client_id).await?;
        verify_subset(
            "kubelogin token claims",
            &self.expect.claims,
            &Some(claims.clone()),
        )?;
        verify_lifetime(self, &claims)?;
        cx.tokens.insert(self.user.clone(), token);
        cx.claims.insert(self.user.clone(), claims.clone());
        cx.evidence.dex_claims.push(claims.clone());
        Ok(StepReport {
            claims: Some(redact(claims)),
            snapshot: self.snapshot.clone(),
            dex_login,
            ..Default::default()
        })
    }
}

/// The ID token's `exp - iat` against `expect.lifetime_seconds`.
fn verify_lifetime(step: &Kubelogin, claims: &serde_json::Value) -> Result<()> {
    let Some(wanted) = step.expect.lifetime_seconds else {
        return Ok(());
    };
    let lifetime = claims["exp"].as_i64().unwrap_or(0) - claims["iat"].as_i64().unwrap_or(0);
    if lifetime != wanted {
        return Err(Error::expectation(
            "kubelogin",
            format!("the ID token lives {lifetime}s, expected {wanted}s"),
        ));
    }
    Ok(())
}

/// What `oidc-login setup` printed: the claims after "You got the token
/// with the following claims:", checked as printed (kubelogin verified the
/// token before printing them).
fn setup_report(step: &Kubelogin, printed: &str) -> Result<StepReport> {
    const HEADING: &str = "You got the token with the following claims:";
    let claims = printed
        .find(HEADING)
        .map(|at| &printed[at + HEADING.len()..])
        .and_then(|rest| {
            // The JSON object, inside a Markdown code fence.
            let start = rest.find('{')?;
            let end = start + rest[start..].find("\n}")? + 2;
            serde_json::from_str::<serde_json::Value>(&rest[start..end]).ok()
        })
        .ok_or_else(|| {
            Error::step(
                "kubelogin setup",
                format!("no claims after `{HEADING}` in:\n{printed}"),
            )
        })?;
    verify_subset(
        "the claims kubelogin setup printed",
        &step.expect.claims,
        &Some(claims.clone()),
    )?;
    verify_lifetime(step, &claims)?;
    Ok(StepReport {
        claims: Some(redact(claims)),
        snapshot: step.snapshot.clone(),
        output: Some(printed.to_string()),
        ..Default::default()
    })
}

/// The guide's `kubectl config set-credentials`, by the real kubectl, on
/// the cluster's kubeconfig.
impl Perform for SetCredentials {
    async fn perform(&self, cx: &mut StepCx<'_>) -> Result<StepReport> {
        let hook = BrowserHook::create(&cx.dir, &format!("exec-{}", safe_name(&self.name)))?;
        let added: Vec<String> = hook
            .kubelogin_flags(Some(cx.run.ca.cert_file()), Some(cx.kubelogin_port))
            .into_iter()
            .map(|f| format!("--exec-arg={f}"))
            .collect();
        let mut args = vec![
            "config".to_string(),
            "set-credentials".into(),
            self.name.clone(),
        ];
        args.extend(self.args.iter().cloned());
        args.extend(added.iter().cloned());
        let api = cx.apiserver()?;
        let out = api.kubectl(api.admin_kubeconfig(), &args).await?;
        let text = format!("{}{}", out.stdout, out.stderr);
        if !out.success {
            return Err(Error::step("kubectl config set-credentials", text));
        }
        let cache_dir = self
            .args
            .iter()
            .find_map(|a| a.strip_prefix("--exec-arg=--token-cache-dir="))
            .map(PathBuf::from)
            .unwrap_or_else(|| cx.dir.join(".kube/cache/oidc-login"));
        cx.exec_users
            .insert(self.name.clone(), ExecUser { hook, cache_dir });
        Ok(StepReport {
            output: Some(format!("{text}the harness added: {}", added.join(" "))),
            ..Default::default()
        })
    }
}

/// kubectl `--user=<entry>`: kubectl runs kubelogin, which answers from
/// its token cache or opens its browser. kubectl runs on a terminal, as
/// in a user's shell: with `--exec-interactive-mode=Always` it refuses to
/// run the plugin otherwise.
pub(super) async fn kubectl_as_exec_user(
    cx: &mut StepCx<'_>,
    s: &Kubectl,
    entry: &ExecUser,
) -> Result<(bool, String)> {
    let api = cx.apiserver()?;
    let mut args = vec![format!("--user={}", s.identity)];
    args.extend(s.args.iter().cloned());
    let terminal = nix::pty::openpty(None, None)
        .map_err(|e| Error::step("kubectl", format!("no pseudo-terminal: {e}")))?;
    let mut cmd = api.kubectl_command(api.admin_kubeconfig(), &args);
    let stdin = if s.no_terminal {
        Stdio::null()
    } else {
        Stdio::from(terminal.slave)
    };
    let child = guard(&mut cmd)
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context(|| "starting kubectl".into())?;
    watch(&child);
    let driven =
        drive_kubelogin(cx, "kubectl", child, &entry.hook, s.sign_in.as_ref(), false).await;
    drop(terminal.master);
    let driven = driven?;
    if let Some(reason) = &driven.stopped {
        return Err(Error::step("kubelogin sign-in", reason.clone()));
    }
    let mut text = driven.text();
    // What the token kubectl sent says (the apiserver is the judge of it).
    if let Some(claims) = cached_id_token(&entry.cache_dir).and_then(|(_, t)| peek_claims(&t)) {
        cx.claims.insert(s.identity.clone(), claims);
    }
    if !driven.output.status.success() && text.contains(UNAUTHENTICATED) {
        let cached = cached_id_token(&entry.cache_dir);
        if let Some((file, token)) = cached {
            let source = format!("kubelogin's token cache ({})", file.display());
            let from_cache = driven.signed_in.is_none();
            note_refused(cx, source, &token, &text, from_cache).await;
        }
    }
    text.push_str(&match &driven.signed_in {
        Some(user) => format!("[harness] kubelogin opened its browser; signed in as {user}"),
        None => "[harness] kubelogin answered from its token cache".to_string(),
    });
    Ok((driven.output.status.success(), text))
}

/// Waits for `child` (the leader of its own process group) to end. When
/// kubelogin calls the hook, signs in at its URL as `who`; a browser
/// nobody is to sign in at is an error, as is one that never opens when
/// `who` is given (unless `tolerant` and the program failed: that failure
/// is then the outcome). On an error the whole group (kubectl and the
/// kubelogin it runs) is killed.
async fn drive_kubelogin(
    cx: &mut StepCx<'_>,
    program: &str,
    child: tokio::process::Child,
    hook: &BrowserHook,
    who: Option<&SignInAs>,
    tolerant: bool,
) -> Result<Driven> {
    let group = child.id().map(|id| nix::unistd::Pid::from_raw(id as i32));
    let driven = drive(cx, program, child, hook, who, tolerant).await;
    if driven.is_err()
        && let Some(group) = group
    {
        let _ = nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGKILL);
    }
    driven
}

async fn drive(
    cx: &mut StepCx<'_>,
    program: &str,
    mut child: tokio::process::Child,
    hook: &BrowserHook,
    who: Option<&SignInAs>,
    tolerant: bool,
) -> Result<Driven> {
    let stdout = tokio::spawn(read_all(child.stdout.take()));
    let stderr = tokio::spawn(read_all(child.stderr.take()));
    let deadline = Instant::now() + UNTIL_BROWSER;
    let url = loop {
        if let Some(url) = hook.take_url() {
            break Some(url);
        }
        if child
            .try_wait()
            .context(|| format!("waiting for {program}"))?
            .is_some()
        {
            break None;
        }
        if Instant::now() > deadline {
            return Err(Error::step(
                program,
                format!(
                    "neither ended nor opened kubelogin's browser in {}s",
                    UNTIL_BROWSER.as_secs()
                ),
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let (signed_in, stopped) = match (url, who) {
        (Some(url), Some(who)) => match sign_in_for_kubelogin(cx, who, &url).await? {
            None => (Some(who.user.clone()), None),
            Some(reason) => {
                if let Some(id) = child.id() {
                    let group = nix::unistd::Pid::from_raw(id as i32);
                    let _ = nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGKILL);
                }
                (None, Some(reason))
            }
        },
        (Some(url), None) => {
            return Err(Error::step(
                program,
                format!(
                    "kubelogin opened its browser at {url}, but the step has no `sign_in`: it had no usable token in its cache"
                ),
            ));
        }
        (None, _) => (None, None),
    };
    let status = tokio::time::timeout(AFTER_SIGN_IN, child.wait())
        .await
        .map_err(|_| {
            Error::step(
                program,
                format!(
                    "still running {}s after the sign-in",
                    AFTER_SIGN_IN.as_secs()
                ),
            )
        })?
        .context(|| format!("waiting for {program}"))?;
    let output = Output {
        status,
        stdout: stdout.await.unwrap_or_default(),
        stderr: stderr.await.unwrap_or_default(),
    };
    let driven = Driven {
        output,
        signed_in,
        stopped,
    };
    if let (Some(who), None, None, true) = (
        who,
        &driven.signed_in,
        &driven.stopped,
        driven.output.status.success() || !tolerant,
    ) {
        return Err(Error::step(
            program,
            format!(
                "expected kubelogin to open its browser for {} to sign in, but {program} ended ({}) without it:\n{}",
                who.user,
                driven.output.status,
                driven.text()
            ),
        ));
    }
    Ok(driven)
}

/// Signs in at the URL kubelogin opened; `Some(why)` when the sign-in
/// stopped on a page before kubelogin's redirect (the page is evidence).
async fn sign_in_for_kubelogin(
    cx: &mut StepCx<'_>,
    who: &SignInAs,
    url: &str,
) -> Result<Option<String>> {
    let password = cx.password_of(&who.user, &who.password)?;
    // kubelogin opens its own local server, which sends the browser on to
    // Dex; the sign-in is done when the browser is back there.
    let done = url::Url::parse(url)
        .ok()
        .filter(|u| matches!(u.host_str(), Some("localhost" | "127.0.0.1")))
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_else(|| format!("http://localhost:{}", cx.kubelogin_port));
    let browser = cx.fresh_browser().await?;
    let end = sign_in(
        browser,
        url,
        &done,
        &who.user,
        &password,
        who.connector.as_deref(),
    )
    .await?;
    let SignInEnd::Stopped { url, reason } = end else {
        return Ok(None);
    };
    let page = browser.evidence("kubelogin-stopped").await;
    // Dex's error page: a title line (`Bad Request`), then what it means.
    let first: Vec<&str> = page
        .text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .take(2)
        .collect();
    let first = first.join(" ");
    cx.evidence.pages.push(page.seen());
    Ok(Some(format!("{reason} at {url}: {first}")))
}

async fn read_all<R: tokio::io::AsyncRead + Unpin>(pipe: Option<R>) -> Vec<u8> {
    let mut bytes = Vec::new();
    if let Some(mut pipe) = pipe {
        let _ = pipe.read_to_end(&mut bytes).await;
    }
    bytes
}

/// kubelogin's own default listen addresses, tried in this order.
const DEFAULT_PORTS: [u16; 2] = [8000, 18000];

/// This machine's turn on kubelogin's default ports (a lock every run of the
/// harness takes, so runs side by side take turns), once each port the step
/// does not itself hold is free; a port another program holds is refused.
async fn default_ports_turn(occupied: &[u16]) -> Result<nix::fcntl::Flock<std::fs::File>> {
    let path = std::env::temp_dir().join("oidc-harness-kubelogin-default-ports.lock");
    let deadline = Instant::now() + Duration::from_secs(300);
    let turn = loop {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .context(|| path.display().to_string())?;
        match nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusiveNonblock) {
            Ok(turn) => break turn,
            Err(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(_) => {
                return Err(Error::step(
                    "kubelogin",
                    format!(
                        "another run has held kubelogin's default ports ({}) for 300s",
                        path.display()
                    ),
                ));
            }
        }
    };
    for port in DEFAULT_PORTS.iter().filter(|p| !occupied.contains(p)) {
        if std::net::TcpListener::bind(("127.0.0.1", *port)).is_err() {
            return Err(Error::step(
                "kubelogin",
                format!(
                    "127.0.0.1:{port}, one of kubelogin's default listen addresses, is in use by another program: the guide's kubelogin would listen elsewhere, or not at all; free the port and run again"
                ),
            ));
        }
    }
    Ok(turn)
}

/// Listeners on `ports`, as another program holding them would be.
fn occupy(ports: &[u16]) -> Result<Vec<std::net::TcpListener>> {
    ports
        .iter()
        .map(|port| {
            std::net::TcpListener::bind(("127.0.0.1", *port))
                .context(|| format!("holding 127.0.0.1:{port}"))
        })
        .collect()
}

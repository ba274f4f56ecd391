//! A picture of the chain, for the top of a case report: the hops a user's
//! sign-in travels left to right (browser → app or proxy → Dex → Keycloak →
//! Dex → app → apiserver), only those the case's steps touched, and under
//! each what it received and gave. One row per user (`StepReport::user`);
//! the steps without a user (probes, start-ups that failed) share one row.
//!
//! Two hops are marked so the report shows them before it is read:
//! - where the chain **stopped**: the hop of the first refusal that no later
//!   step of the row got past (a later step answered at the same hop; in
//!   the row of no user, whose steps are separate requests, any other). The
//!   hop is the one the step's verb and issuer belong to, made precise by
//!   the page the browser ended on when there is one (a page under
//!   `/realms/` is Keycloak's; an `error=` sent back with Keycloak's
//!   `session_state`/`iss` is Keycloak's refusal; a callback carrying
//!   Keycloak's answer failed at its receiver).
//! - where the **identity changed**: what a hop passed on differs from what
//!   it was given (groups at Keycloak vs Dex's `login successful` line, that
//!   line vs Dex's ID token, the token vs `kubectl auth whoami`).
//!
//! Pure: computed from the typed step reports, never from step labels (only
//! their number is read from `<n>: `).
//!
//! A report does not say which refusals its scenario expected: a base case's
//! deliberate negative probe (e.g. an unauthenticated `http_get` answered
//! 401) is drawn as a refusal like any other; it stops the chain only when
//! nothing got past that hop.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::model::report::{CaseReport, PageEvidence, StepReport};
use crate::model::steps::At;
use crate::model::text::truncate;

/// Where a hop stands in the chain, left to right.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Slot {
    /// The user's browser.
    Browser,
    /// What starts the sign-in: the app, oauth2-proxy, kubelogin, a device
    /// CLI, a password-grant client.
    Client,
    /// Dex on the way out: its login page, or its connector sending the
    /// user upstream.
    DexOut,
    Keycloak,
    /// Dex on the way back: what its connector gave it, the token it issued.
    Dex,
    /// What receives the token: the app, oauth2-proxy and its upstream,
    /// Envoy in front of the app.
    App,
    /// A proxy in front of the apiserver ([emulated] impersonation).
    Front,
    Apiserver,
}

impl Slot {
    /// What the hop does, in the box under its name.
    fn role(self) -> &'static str {
        match self {
            Slot::Browser => "the user signs in",
            Slot::Client => "starts the sign-in",
            Slot::DexOut => "login, to its connector",
            Slot::Keycloak => "signs the user in",
            Slot::Dex => "issues the token",
            Slot::App => "receives the token",
            Slot::Front => "passes the identity on",
            Slot::Apiserver => "authenticates the token",
        }
    }
}

/// How a hop is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Answered, and passed on what it was given.
    Ok,
    /// Where the chain stopped (red).
    Stopped,
    /// Where the identity changed (amber).
    Changed,
    /// Right of where the chain stopped: shown only because another step of
    /// the row touched it.
    Beyond,
}

/// One thing a hop received, gave or answered, and the steps that showed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fact {
    /// Which side of the hop: `""`, or Dex's `received` and `issued`.
    pub section: &'static str,
    pub label: String,
    pub value: String,
    /// Step numbers.
    pub steps: Vec<u32>,
    /// Another step showed a different value under the same label, so the
    /// box names the steps.
    pub varies: bool,
}

/// One box of the picture.
#[derive(Debug, Clone, Serialize)]
pub struct Hop {
    pub slot: Slot,
    /// The program(s) at this place (`Dex`, `oauth2-proxy`, `app · envoy`).
    pub name: String,
    pub role: String,
    /// The steps that touched it.
    pub steps: Vec<u32>,
    pub facts: Vec<Fact>,
    /// What it refused (or failed), verbatim.
    pub refusals: Vec<Fact>,
    pub state: State,
    /// Why it is marked: what changed here, or that the chain stopped here.
    pub notes: Vec<String>,
}

/// One user's hops, left to right.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// `None`: the steps that act for no user.
    pub user: Option<String>,
    pub hops: Vec<Hop>,
    pub stopped: Option<Slot>,
    pub changed: Vec<Slot>,
}

impl Row {
    pub fn hop(&self, slot: Slot) -> Option<&Hop> {
        self.hops.iter().find(|h| h.slot == slot)
    }
}

/// The picture of a case: one row per user.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Chain {
    pub rows: Vec<Row>,
}

impl Chain {
    pub fn row(&self, user: Option<&str>) -> Option<&Row> {
        self.rows.iter().find(|r| r.user.as_deref() == user)
    }
}

/// The longest refusal a box shows (the timeline has it whole).
const REFUSAL_MAX: usize = 280;
/// The longest other value a box shows.
const VALUE_MAX: usize = 120;

pub fn chain(report: &CaseReport) -> Chain {
    let has_dex = report
        .steps
        .iter()
        .any(|s| s.at == Some(At::Dex) || s.dex_login.is_some() || s.kind == "dex_start");
    let mut rows: Vec<(Option<String>, Vec<Trip>)> = Vec::new();
    for (i, s) in report.steps.iter().enumerate() {
        let Some(route) = route(s, has_dex) else {
            continue;
        };
        let n = number(s, i);
        match rows.iter_mut().find(|(u, _)| *u == s.user) {
            Some((_, trips)) => trips.push((n, s, route)),
            None => rows.push((s.user.clone(), vec![(n, s, route)])),
        }
    }
    Chain {
        rows: rows
            .into_iter()
            .map(|(user, trips)| row(user, &trips))
            .collect(),
    }
}

/// The step's number as the report names it (`3: ...`), else its place.
fn number(s: &StepReport, index: usize) -> u32 {
    s.step
        .split(':')
        .next()
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(index as u32 + 1)
}

/// A step of a row: its number, its report, the way it went.
type Trip<'a> = (u32, &'a StepReport, Route);

/// The way one step went: the hops it passed, left to right (up to where it
/// stopped, if it did), what each showed, and where it stopped.
struct Route {
    hops: Vec<(Slot, &'static str)>,
    /// What the hop did, where it is not its usual part (a start-up).
    role: Option<&'static str>,
    facts: Vec<(Slot, String, String)>,
    stop: Option<Slot>,
    refusals: Vec<(Slot, String, String)>,
    /// The identities the step saw, for the comparisons along the row.
    seen: Seen,
}

/// An identity as one hop had it.
#[derive(Debug, Clone, Default)]
struct Identity {
    user: Option<String>,
    email: Option<String>,
    /// The claim naming groups, and its values; `None`: no such claim.
    groups: Option<(String, Vec<String>)>,
    roles: Option<Vec<String>>,
    aud: Option<String>,
}

#[derive(Debug, Clone, Default)]
struct Seen {
    /// What Keycloak gave (its ID token and userinfo).
    keycloak: Option<Identity>,
    /// What Dex's connector gave it (`login successful`).
    dex_got: Option<Identity>,
    /// The ID token Dex issued.
    dex_gave: Option<Identity>,
    /// What the apiserver made of the token (`kubectl auth whoami`).
    apiserver: Option<Identity>,
}

impl Seen {
    /// The token the step ended with, whoever issued it.
    fn token(&self) -> Option<&Identity> {
        self.dex_gave.as_ref().or(self.keycloak.as_ref())
    }
}

/// Where the browser ended, as far as the chain goes.
#[derive(Debug, Default)]
struct PageAt {
    /// On one of Keycloak's pages (`/realms/...`).
    keycloak: bool,
    /// A callback carrying Keycloak's answer (`session_state`, or `iss` of a realm).
    from_keycloak: bool,
    /// The OAuth error sent back on the callback.
    error: Option<String>,
    /// A callback carrying a code.
    code: bool,
}

impl PageAt {
    fn of(page: &PageEvidence) -> PageAt {
        let Ok(url) = url::Url::parse(&page.url) else {
            return PageAt::default();
        };
        let mut at = PageAt {
            keycloak: url.path().contains("/realms/"),
            ..PageAt::default()
        };
        let (mut error, mut description) = (None, None);
        for (k, v) in url.query_pairs() {
            match &*k {
                "session_state" => at.from_keycloak = true,
                "iss" if v.contains("/realms/") => at.from_keycloak = true,
                "error" => error = Some(v.into_owned()),
                "error_description" => description = Some(v.into_owned()),
                "code" => at.code = true,
                _ => {}
            }
        }
        at.error = error.map(|e| match description {
            Some(d) => format!("{e}: {d}"),
            None => e,
        });
        at
    }
}

/// Who issued the step's token: its `at`, else what its evidence shows
/// (Dex's login line; Keycloak's tokens carry `typ`), else Dex when the
/// case has one. `None`: nothing says.
fn issuer(s: &StepReport, has_dex: bool) -> Option<At> {
    if let Some(at) = s.at {
        return Some(at);
    }
    if s.dex_login.is_some() {
        return Some(At::Dex);
    }
    if let Some(c) = s.claims.as_ref().and_then(Value::as_object) {
        return Some(if c.contains_key("typ") {
            At::Keycloak
        } else {
            At::Dex
        });
    }
    has_dex.then_some(At::Dex)
}

fn route(s: &StepReport, has_dex: bool) -> Option<Route> {
    let failed = s.error.is_some();
    let mut r = Route {
        hops: Vec::new(),
        role: None,
        facts: Vec::new(),
        stop: None,
        refusals: Vec::new(),
        seen: Seen::default(),
    };
    let refused = if s.kind.ends_with("_start") {
        "failed"
    } else {
        "refused"
    };
    let mut default_stop = None;
    match s.kind.as_str() {
        "browser_login" | "proxy_login" | "device_login" | "kubelogin" | "password_grant" => {
            let (client, back) = match s.kind.as_str() {
                // At Keycloak the harness stands in for a client; where
                // Keycloak sends the browser back is that client's business.
                "browser_login" => ("app", (s.at != Some(At::Keycloak)).then_some("app")),
                "proxy_login" => ("oauth2-proxy", Some("oauth2-proxy → app")),
                "device_login" => ("device CLI", None),
                "kubelogin" => ("kubelogin", None),
                _ => ("password-grant client", None),
            };
            let browser = matches!(
                s.kind.as_str(),
                "browser_login" | "proxy_login" | "device_login"
            );
            let page = s.page.as_ref().map(PageAt::of).unwrap_or_default();
            let issuer = issuer(s, has_dex);
            let upstream = issuer == Some(At::Dex)
                && (s
                    .dex_login
                    .as_ref()
                    .is_some_and(|l| l.connector_id != "local")
                    || page.keycloak
                    || page.from_keycloak);
            if browser {
                r.hops.push((Slot::Browser, "browser"));
            }
            r.hops.push((Slot::Client, client));
            match issuer {
                Some(At::Dex) => {
                    if upstream {
                        r.hops.push((Slot::DexOut, "Dex"));
                        r.hops.push((Slot::Keycloak, "Keycloak"));
                    }
                    r.hops.push((Slot::Dex, "Dex"));
                }
                Some(At::Keycloak) => r.hops.push((Slot::Keycloak, "Keycloak")),
                None if page.keycloak || page.from_keycloak => {
                    r.hops.push((Slot::Keycloak, "Keycloak"))
                }
                None => {}
            }
            if let Some(back) = back {
                r.hops.push((Slot::App, back));
            }
            if failed {
                let (stop, said) = browser_stop(s, issuer, &page, back.is_some());
                if let Some(said) = said {
                    r.refusals.push((stop, refused.into(), said));
                    if let Some(shown) = &s.error {
                        r.refusals
                            .push((stop, "the page then said".into(), shown.clone()));
                    }
                }
                default_stop = Some(stop);
            }
            identities(s, issuer, &mut r.seen);
            if !failed && let Some(p) = &s.page {
                let text = p.text.split_whitespace().collect::<Vec<_>>().join(" ");
                if s.kind == "browser_login" && back.is_some() && !text.is_empty() {
                    r.facts
                        .push((Slot::App, "page".into(), truncate(&text, 60)));
                }
            }
            if s.kind == "proxy_login" {
                headers(s.output.as_deref(), Slot::App, &mut r.facts);
            }
        }
        "http_get" => {
            r.hops.push((Slot::App, "app"));
            default_stop = Some(Slot::App);
            if let Some(out) = &s.output
                && !failed
                && let Some(status) = out.lines().next().and_then(|l| l.split(':').next())
            {
                r.facts
                    .push((Slot::App, "answered".into(), status.trim().to_string()));
            }
            headers(s.output.as_deref(), Slot::App, &mut r.facts);
        }
        "envoy_jwt" => {
            r.hops.push((Slot::App, "envoy jwt_authn [emulated]"));
            default_stop = Some(Slot::App);
            if let Some(aud) = s.claims.as_ref().and_then(aud) {
                r.facts.push((Slot::App, "token aud".into(), aud));
            }
            let decision = s
                .output
                .iter()
                .flat_map(|o| o.lines())
                .find_map(|l| l.split_once("] envoy: ").map(|(_, d)| d.to_string()));
            if let Some(d) = decision.filter(|_| !failed) {
                let (answer, upstream) = match d.split_once(", upstream headers ") {
                    Some((a, h)) => (a.to_string(), Some(h.to_string())),
                    None => (d, None),
                };
                r.facts
                    .push((Slot::App, "answered".into(), truncate(&answer, VALUE_MAX)));
                if let Some(h) = upstream {
                    r.facts
                        .push((Slot::App, "passed on".into(), truncate(&h, VALUE_MAX)));
                }
            }
        }
        "kubectl" | "can_i" => {
            r.hops.push((Slot::Apiserver, "apiserver"));
            default_stop = Some(Slot::Apiserver);
            if let Some(who) = s.output.as_deref().and_then(whoami) {
                if let Some(u) = &who.user {
                    r.facts
                        .push((Slot::Apiserver, "Username".into(), u.clone()));
                }
                if let Some((_, g)) = &who.groups {
                    r.facts.push((Slot::Apiserver, "Groups".into(), list(g)));
                }
                r.seen.apiserver = Some(who);
            }
        }
        "proxy_can_i" => {
            r.hops.push((Slot::Front, "impersonation proxy [emulated]"));
            r.hops.push((Slot::Apiserver, "apiserver"));
            default_stop = Some(Slot::Front);
        }
        // Start-ups and look-ups are hops only when they failed.
        "dex_start" if failed => {
            r.hops.push((Slot::Dex, "Dex"));
            r.role = Some("starts with the case's configuration");
            default_stop = Some(Slot::Dex);
        }
        "oauth2_proxy_start" if failed => {
            r.hops.push((Slot::Client, "oauth2-proxy"));
            r.role = Some("starts with the case's configuration");
            default_stop = Some(Slot::Client);
        }
        "discovery" if failed => {
            let slot = match s.at {
                Some(At::Dex) => Slot::Dex,
                _ => Slot::Keycloak,
            };
            r.hops
                .push((slot, if slot == Slot::Dex { "Dex" } else { "Keycloak" }));
            r.role = Some("answers discovery");
            default_stop = Some(slot);
        }
        _ => return None,
    }
    if let (Some(err), Some(stop)) = (&s.error, default_stop) {
        if !r.refusals.iter().any(|(slot, _, _)| *slot == stop) {
            r.refusals.push((stop, refused.into(), err.clone()));
        }
        // The stop is on the way, and the step went no further.
        if !r.hops.iter().any(|(slot, _)| *slot == stop) {
            let at = r.hops.iter().position(|(slot, _)| *slot > stop);
            let name = match stop {
                Slot::DexOut | Slot::Dex => "Dex",
                Slot::Keycloak => "Keycloak",
                Slot::Browser => "browser",
                _ => "app",
            };
            r.hops.insert(at.unwrap_or(r.hops.len()), (stop, name));
        }
        r.hops.retain(|(slot, _)| *slot <= stop);
        r.stop = Some(stop);
    }
    Some(r)
}

/// Where a browser-driven (or token) step that failed stopped, and Keycloak's
/// own refusal when the page carries it.
fn browser_stop(
    s: &StepReport,
    issuer: Option<At>,
    page: &PageAt,
    has_back: bool,
) -> (Slot, Option<String>) {
    let issuer_slot = match issuer {
        Some(At::Dex) => Slot::Dex,
        Some(At::Keycloak) => Slot::Keycloak,
        None => Slot::Client,
    };
    let back = if has_back { Slot::App } else { Slot::Client };
    if s.page.is_none() {
        return (issuer_slot, None);
    }
    if page.keycloak {
        (Slot::Keycloak, None)
    } else if let Some(e) = page.error.clone().filter(|_| page.from_keycloak) {
        (Slot::Keycloak, Some(e))
    } else if page.from_keycloak {
        // The callback that carried Keycloak's answer failed at its receiver.
        (
            if issuer == Some(At::Dex) {
                Slot::Dex
            } else {
                back
            },
            None,
        )
    } else if page.code {
        (back, None)
    } else if issuer == Some(At::Dex) {
        (Slot::DexOut, None)
    } else {
        (issuer_slot, None)
    }
}

/// What the step's tokens say, by who issued them.
fn identities(s: &StepReport, issuer: Option<At>, seen: &mut Seen) {
    let token = s
        .claims
        .as_ref()
        .map(|c| identity(c, s.userinfo.as_ref()))
        .or_else(|| s.userinfo.as_ref().map(|u| identity(u, None)));
    match issuer {
        Some(At::Keycloak) => seen.keycloak = token,
        Some(At::Dex) => {
            seen.dex_gave = token;
            seen.dex_got = s.dex_login.as_ref().map(|l| Identity {
                user: Some(if l.preferred_username.is_empty() {
                    l.username.clone()
                } else {
                    l.preferred_username.clone()
                }),
                email: Some(l.email.clone()).filter(|e| !e.is_empty()),
                groups: Some(("groups".into(), l.groups.clone())),
                ..Identity::default()
            });
        }
        None => {}
    }
}

/// An identity from claims, the groups preferably from userinfo.
fn identity(claims: &Value, userinfo: Option<&Value>) -> Identity {
    let str_of = |k: &str| {
        claims
            .get(k)
            .or_else(|| userinfo.and_then(|u| u.get(k)))
            .and_then(Value::as_str)
            .map(String::from)
    };
    Identity {
        user: str_of("preferred_username"),
        email: str_of("email"),
        groups: groups_in(userinfo).or_else(|| groups_in(Some(claims))),
        roles: claims.get("roles").and_then(strings),
        aud: aud(claims),
    }
}

/// The first claim whose name mentions groups, with its values.
fn groups_in(claims: Option<&Value>) -> Option<(String, Vec<String>)> {
    claims?
        .as_object()?
        .iter()
        .find(|(k, v)| k.contains("group") && v.is_array())
        .and_then(|(k, v)| Some((k.clone(), strings(v)?)))
}

fn strings(v: &Value) -> Option<Vec<String>> {
    Some(
        v.as_array()?
            .iter()
            .filter_map(|g| g.as_str().map(String::from))
            .collect(),
    )
}

fn aud(claims: &Value) -> Option<String> {
    match claims.get("aud")? {
        Value::String(a) => Some(a.clone()),
        Value::Array(a) => Some(
            a.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(", "),
        ),
        _ => None,
    }
}

/// `Username` and `Groups` of `kubectl auth whoami`'s table.
fn whoami(output: &str) -> Option<Identity> {
    let mut who = Identity::default();
    for line in output.lines() {
        let mut words = line.split_whitespace();
        let (Some(key), rest) = (words.next(), words.collect::<Vec<_>>().join(" ")) else {
            continue;
        };
        match key {
            "Username" => who.user = Some(rest),
            "Groups" => {
                let inner = rest.trim_start_matches('[').trim_end_matches(']');
                let groups = inner.split_whitespace().map(String::from).collect();
                who.groups = Some(("Groups".into(), groups));
            }
            _ => {}
        }
    }
    (who.user.is_some() || who.groups.is_some()).then_some(who)
}

/// The headers naming the user that an app received (`name: value` lines).
fn headers(output: Option<&str>, slot: Slot, facts: &mut Vec<(Slot, String, String)>) {
    for line in output.into_iter().flat_map(str::lines) {
        let Some((name, value)) = line.split_once(": ") else {
            continue;
        };
        let name = name.trim();
        let names_user = ["user", "email", "group", "role"]
            .iter()
            .any(|w| name.contains(w))
            && name != "user-agent"
            && !name.starts_with("sec-");
        if names_user
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            facts.push((slot, name.to_string(), truncate(value.trim(), VALUE_MAX)));
        }
    }
}

fn list(values: &[String]) -> String {
    format!("[{}]", values.join(", "))
}

fn same_set(a: &[String], b: &[String]) -> bool {
    let (mut a, mut b) = (a.to_vec(), b.to_vec());
    a.sort();
    a.dedup();
    b.sort();
    b.dedup();
    a == b
}

/// The facts of an identity (the user only where it is not the email);
/// `token`: a token without a group claim says so.
fn identity_facts(id: &Identity, token: bool) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(u) = id.user.as_ref().filter(|u| id.email.as_ref() != Some(*u)) {
        out.push(("user".into(), u.clone()));
    }
    if let Some(e) = &id.email {
        out.push(("email".into(), e.clone()));
    }
    match (&id.groups, &id.roles) {
        (Some((claim, g)), _) => out.push((claim.clone(), list(g))),
        (None, None) if token => out.push(("groups".into(), "no group claim".into())),
        _ => {}
    }
    if let Some(r) = &id.roles {
        out.push(("roles".into(), list(r)));
    }
    if let Some(a) = &id.aud {
        out.push(("aud".into(), a.clone()));
    }
    out
}

/// A box being filled.
#[derive(Default)]
struct Acc {
    names: Vec<&'static str>,
    roles: Vec<&'static str>,
    steps: Vec<u32>,
    facts: Vec<Fact>,
    refusals: Vec<Fact>,
    notes: Vec<String>,
}

fn add(facts: &mut Vec<Fact>, section: &'static str, label: String, value: String, step: u32) {
    match facts
        .iter_mut()
        .find(|f| f.section == section && f.label == label && f.value == value)
    {
        Some(f) if !f.steps.contains(&step) => f.steps.push(step),
        Some(_) => {}
        None => facts.push(Fact {
            section,
            label,
            value,
            steps: vec![step],
            varies: false,
        }),
    }
}

/// Marks the facts another step contradicts; groups each section together.
fn settle(facts: &mut [Fact]) {
    let all = facts.to_vec();
    for f in facts.iter_mut() {
        f.varies = all
            .iter()
            .any(|o| o.section == f.section && o.label == f.label && o.value != f.value);
    }
    let order = |s: &str| ["", "received", "issued"].iter().position(|o| *o == s);
    let first = |f: &Fact| {
        all.iter()
            .position(|o| o.section == f.section && o.label == f.label)
    };
    facts.sort_by_key(|f| (order(f.section), first(f)));
}

fn row(user: Option<String>, trips: &[Trip]) -> Row {
    let mut boxes: BTreeMap<Slot, Acc> = BTreeMap::new();
    for (n, _, r) in trips {
        for (slot, name) in &r.hops {
            let b = boxes.entry(*slot).or_default();
            if !b.names.contains(name) {
                b.names.push(name);
            }
            let role = r.role.unwrap_or(slot.role());
            if !b.roles.contains(&role) {
                b.roles.push(role);
            }
            if !b.steps.contains(n) {
                b.steps.push(*n);
            }
        }
        let mut facts: Vec<(Slot, &'static str, String, String)> = r
            .facts
            .iter()
            .map(|(s, l, v)| (*s, "", l.clone(), v.clone()))
            .collect();
        for (id, slot, section, token) in [
            (&r.seen.keycloak, Slot::Keycloak, "", true),
            (&r.seen.dex_got, Slot::Dex, "received", false),
            (&r.seen.dex_gave, Slot::Dex, "issued", true),
        ] {
            if let Some(id) = id {
                facts.extend(
                    identity_facts(id, token)
                        .into_iter()
                        .map(|(l, v)| (slot, section, l, v)),
                );
            }
        }
        for (slot, section, label, value) in facts {
            if let Some(b) = boxes.get_mut(&slot) {
                add(&mut b.facts, section, label, value, *n);
            }
        }
        for (slot, label, value) in &r.refusals {
            if let Some(b) = boxes.get_mut(slot) {
                add(
                    &mut b.refusals,
                    "",
                    label.clone(),
                    truncate(value, REFUSAL_MAX),
                    *n,
                );
            }
        }
    }

    let changed = changes(trips);
    for (slot, note) in &changed {
        if let Some(b) = boxes.get_mut(slot)
            && !b.notes.contains(note)
        {
            b.notes.push(note.clone());
        }
    }

    // The first refusal no later step of the row got past. The steps of no
    // user are separate requests, not one sign-in: any of them answering at
    // the hop gets past it.
    let stopped = trips.iter().enumerate().find_map(|(i, (_, _, r))| {
        let stop = r.stop?;
        let others = if user.is_some() {
            &trips[i + 1..]
        } else {
            trips
        };
        let passed = others.iter().any(|(_, _, other)| {
            other.stop.is_none() && other.hops.iter().any(|(s, _)| *s == stop)
        });
        (!passed).then_some(stop)
    });
    if let Some(stop) = stopped
        && let Some(b) = boxes.get_mut(&stop)
    {
        b.notes.insert(0, "the chain stopped here".into());
    }

    let mut changed_slots: Vec<Slot> = changed.iter().map(|(s, _)| *s).collect();
    changed_slots.dedup();
    for b in boxes.values_mut() {
        settle(&mut b.facts);
    }
    let hops = boxes
        .into_iter()
        .map(|(slot, b)| Hop {
            slot,
            name: b.names.join(" · "),
            role: b.roles.join("; "),
            steps: b.steps,
            facts: b.facts,
            refusals: b.refusals,
            state: match stopped {
                Some(stop) if stop == slot => State::Stopped,
                Some(stop) if slot > stop => State::Beyond,
                _ if changed_slots.contains(&slot) => State::Changed,
                _ => State::Ok,
            },
            notes: b.notes,
        })
        .collect();
    Row {
        user,
        hops,
        stopped,
        changed: changed_slots,
    }
}

/// Where the identity changed along the row, and how, in words.
fn changes(trips: &[Trip]) -> Vec<(Slot, String)> {
    let mut out: Vec<(Slot, String)> = Vec::new();
    let mut push = |slot, note: String| {
        if !out.iter().any(|(s, n)| *s == slot && *n == note) {
            out.push((slot, note));
        }
    };
    let keycloak = trips.iter().find_map(|(_, _, r)| r.seen.keycloak.as_ref());
    for (i, (_, _, r)) in trips.iter().enumerate() {
        // What Keycloak gave vs what Dex's connector got.
        if let (Some(kc), Some(got)) = (keycloak, &r.seen.dex_got) {
            if let (Some((claim, k)), Some((_, d))) = (&kc.groups, &got.groups)
                && !same_set(k, d)
            {
                push(
                    Slot::Dex,
                    format!("{claim} {} at Keycloak, groups {} at Dex", list(k), list(d)),
                );
            }
            if let (Some(k), Some(d)) = (&kc.email, &got.email)
                && k != d
            {
                push(Slot::Dex, format!("email {k} at Keycloak, {d} at Dex"));
            }
        }
        // What Dex got vs the token it issued.
        if let (Some(got), Some(gave)) = (&r.seen.dex_got, &r.seen.dex_gave) {
            let got_groups = got
                .groups
                .as_ref()
                .map(|(_, g)| g.as_slice())
                .unwrap_or(&[]);
            match &gave.groups {
                Some((_, g)) if !same_set(got_groups, g) => push(
                    Slot::Dex,
                    format!(
                        "Dex got groups {}, its token has {}",
                        list(got_groups),
                        list(g)
                    ),
                ),
                None if !got_groups.is_empty() => push(
                    Slot::Dex,
                    format!(
                        "Dex got groups {}, its token has no groups claim",
                        list(got_groups)
                    ),
                ),
                _ => {}
            }
            if let (Some(a), Some(b)) = (&got.email, &gave.email)
                && a != b
            {
                push(Slot::Dex, format!("Dex got email {a}, its token has {b}"));
            }
        }
        // The latest token before it vs what the apiserver made of it.
        if let Some(who) = &r.seen.apiserver
            && let Some(token) = trips[..i].iter().rev().find_map(|(_, _, t)| t.seen.token())
        {
            if let (Some(u), Some(e)) = (&who.user, &token.email)
                && u != e
            {
                push(
                    Slot::Apiserver,
                    format!("Username {u} at the apiserver, email {e} in the token"),
                );
            }
            let at_api: Vec<String> = who
                .groups
                .iter()
                .flat_map(|(_, g)| g)
                .filter(|g| !g.starts_with("system:"))
                .cloned()
                .collect();
            let in_token = token
                .groups
                .as_ref()
                .map(|(_, g)| g.as_slice())
                .unwrap_or(&[]);
            if !same_set(&at_api, in_token) {
                push(
                    Slot::Apiserver,
                    format!(
                        "Groups {} at the apiserver, {} in the token",
                        list(&at_api),
                        list(in_token)
                    ),
                );
            }
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use std::path::PathBuf;

    use serde_json::json;

    use super::*;
    use crate::model::evidence::LoginLine;

    pub(crate) fn login_line(email: &str, groups: &[&str]) -> LoginLine {
        LoginLine {
            connector_id: "keycloak".into(),
            username: "Ada Admin".into(),
            preferred_username: email.into(),
            email: email.into(),
            groups: groups.iter().map(|g| g.to_string()).collect(),
            raw: format!(
                "level=INFO msg=\"login successful\" connector_id=keycloak email={email} groups=[{}]",
                groups.join(" ")
            ),
        }
    }

    fn step(n: u32, kind: &str, user: &str, at: Option<At>) -> StepReport {
        StepReport {
            step: format!("{n}: {kind} as {user}"),
            kind: kind.into(),
            user: Some(user.into()),
            at,
            seconds: 1.0,
            ..StepReport::default()
        }
    }

    pub(crate) fn case(name: &str, steps: Vec<StepReport>) -> CaseReport {
        CaseReport {
            name: name.into(),
            dir: PathBuf::from("/tmp/chain"),
            findings: vec![],
            steps,
            diagnoses: vec![],
            predictions: vec![],
            replayed_as: vec![],
            identities: vec![],
            seconds: 9.5,
        }
    }

    const ADMIN: &str = "admin@example.com";

    /// Keycloak's answer to Dex's client, for `groups`.
    pub(crate) fn keycloak_login(n: u32, groups: &[&str]) -> StepReport {
        StepReport {
            claims: Some(json!({
                "aud": "dex", "typ": "ID", "email": ADMIN,
                "preferred_username": ADMIN, "member_groups": groups,
            })),
            userinfo: Some(json!({
                "email": ADMIN, "preferred_username": ADMIN, "member_groups": groups,
            })),
            ..step(n, "browser_login", ADMIN, Some(At::Keycloak))
        }
    }

    /// Dex's sign-in, its connector having given `got` and its token `gave`.
    pub(crate) fn dex_login(n: u32, got: &[&str], gave: &[&str]) -> StepReport {
        StepReport {
            claims: Some(json!({
                "aud": "paletteai", "email": ADMIN, "preferred_username": ADMIN, "groups": gave,
            })),
            dex_login: Some(login_line(ADMIN, got)),
            ..step(n, "browser_login", ADMIN, Some(At::Dex))
        }
    }

    pub(crate) fn whoami(n: u32, username: &str, groups: &str) -> StepReport {
        StepReport {
            output: Some(format!(
                "ATTRIBUTE   VALUE\nUsername    {username}\nGroups      [{groups}]\n"
            )),
            ..step(n, "kubectl", ADMIN, None)
        }
    }

    pub(crate) fn healthy() -> CaseReport {
        case(
            "paletteai__dex-keycloak__base",
            vec![
                keycloak_login(1, &["admins"]),
                dex_login(2, &["admins"], &["admins"]),
                whoami(3, ADMIN, "admins system:authenticated"),
            ],
        )
    }

    pub(crate) fn dex_refused() -> CaseReport {
        case(
            "paletteai__dex-keycloak__dex-refused",
            vec![
                keycloak_login(1, &["admins"]),
                StepReport {
                    error: Some("Internal Server Error: failed to authenticate".into()),
                    ..step(2, "browser_login", ADMIN, Some(At::Dex))
                },
            ],
        )
    }

    pub(crate) fn groups_lost() -> CaseReport {
        case(
            "paletteai__dex-keycloak__groups-lost",
            vec![
                keycloak_login(1, &["admins"]),
                dex_login(2, &[], &[]),
                whoami(3, ADMIN, "system:authenticated"),
            ],
        )
    }

    fn states(row: &Row) -> Vec<(Slot, State)> {
        row.hops.iter().map(|h| (h.slot, h.state)).collect()
    }

    #[test]
    fn a_healthy_chain_stops_nowhere_and_keeps_its_identity() {
        let chain = chain(&healthy());
        assert_eq!(chain.rows.len(), 1);
        let row = &chain.rows[0];
        assert_eq!(row.user.as_deref(), Some(ADMIN));
        assert_eq!(row.stopped, None);
        assert_eq!(row.changed, vec![]);
        use Slot::*;
        assert_eq!(
            row.hops.iter().map(|h| h.slot).collect::<Vec<_>>(),
            vec![Browser, Client, DexOut, Keycloak, Dex, App, Apiserver]
        );
        assert!(
            row.hops.iter().all(|h| h.state == State::Ok),
            "{:?}",
            states(row)
        );
        let facts = |slot| {
            row.hop(slot)
                .unwrap()
                .facts
                .iter()
                .map(|f| {
                    format!("{} {}={}", f.section, f.label, f.value)
                        .trim()
                        .to_string()
                })
                .collect::<Vec<_>>()
        };
        assert!(facts(Keycloak).contains(&"member_groups=[admins]".into()));
        assert!(facts(Keycloak).contains(&"aud=dex".into()));
        assert!(facts(Dex).contains(&"received groups=[admins]".into()));
        assert!(facts(Dex).contains(&"issued groups=[admins]".into()));
        assert!(facts(Dex).contains(&"issued aud=paletteai".into()));
        assert_eq!(
            facts(Apiserver),
            vec![
                format!("Username={ADMIN}"),
                "Groups=[admins, system:authenticated]".into()
            ]
        );
    }

    #[test]
    fn a_refusal_at_dex_marks_dex_stopped_with_its_text() {
        let chain = chain(&dex_refused());
        let row = &chain.rows[0];
        assert_eq!(row.stopped, Some(Slot::Dex));
        let dex = row.hop(Slot::Dex).unwrap();
        assert_eq!(dex.state, State::Stopped);
        assert_eq!(dex.refusals[0].label, "refused");
        assert_eq!(
            dex.refusals[0].value,
            "Internal Server Error: failed to authenticate"
        );
        assert_eq!(dex.refusals[0].steps, vec![2]);
        // Keycloak answered (step 1), so it stays healthy.
        assert_eq!(row.hop(Slot::Keycloak).unwrap().state, State::Ok);
        assert_eq!(row.changed, vec![]);
    }

    #[test]
    fn groups_lost_between_keycloak_and_dex_mark_dex_changed() {
        let chain = chain(&groups_lost());
        let row = &chain.rows[0];
        assert_eq!(row.stopped, None);
        assert_eq!(row.changed, vec![Slot::Dex]);
        let dex = row.hop(Slot::Dex).unwrap();
        assert_eq!(dex.state, State::Changed);
        assert_eq!(
            dex.notes,
            vec!["member_groups [admins] at Keycloak, groups [] at Dex".to_string()]
        );
        assert_eq!(row.hop(Slot::Keycloak).unwrap().state, State::Ok);
        // From Dex on the groups agree: the apiserver is not where it changed.
        assert_eq!(row.hop(Slot::Apiserver).unwrap().state, State::Ok);
    }

    #[test]
    fn a_refusal_a_later_step_got_past_is_shown_but_does_not_stop_the_chain() {
        let mut report = healthy();
        report.steps.insert(
            0,
            StepReport {
                error: Some("unauthorized_client".into()),
                ..step(0, "password_grant", ADMIN, Some(At::Keycloak))
            },
        );
        let row = &chain(&report).rows[0];
        assert_eq!(row.stopped, None);
        let keycloak = row.hop(Slot::Keycloak).unwrap();
        assert_eq!(keycloak.state, State::Ok);
        assert_eq!(keycloak.refusals[0].value, "unauthorized_client");
        assert!(
            row.hop(Slot::Client)
                .unwrap()
                .name
                .contains("password-grant client")
        );
    }

    #[test]
    fn keycloaks_error_on_dexs_callback_stops_at_keycloak() {
        let report = case(
            "groups-scope-missing",
            vec![StepReport {
                error: Some("Authentication failed. Please contact your administrator.".into()),
                page: Some(PageEvidence {
                    url: "https://127.0.0.2:5556/dex/callback?error=invalid_scope\
                          &error_description=Invalid+scopes%3A+openid+groups&state=x\
                          &iss=https%3A%2F%2F127.0.0.3%2Frealms%2Fpaletteai"
                        .into(),
                    text: "Internal Server Error\nAuthentication failed.".into(),
                    ..PageEvidence::default()
                }),
                ..step(1, "browser_login", ADMIN, Some(At::Dex))
            }],
        );
        let row = &chain(&report).rows[0];
        assert_eq!(row.stopped, Some(Slot::Keycloak));
        use Slot::*;
        assert_eq!(
            row.hops.iter().map(|h| h.slot).collect::<Vec<_>>(),
            vec![Browser, Client, DexOut, Keycloak]
        );
        let kc = row.hop(Keycloak).unwrap();
        assert_eq!(
            kc.refusals[0].value,
            "invalid_scope: Invalid scopes: openid groups"
        );
        assert_eq!(kc.refusals[1].label, "the page then said");
    }

    #[test]
    fn the_apiserver_changes_the_identity_when_its_username_is_not_the_email() {
        let mut report = healthy();
        report.steps[2] = whoami(
            3,
            "oidc:admin@example.com",
            "oidc:admins system:authenticated",
        );
        let row = &chain(&report).rows[0];
        assert_eq!(row.changed, vec![Slot::Apiserver]);
        let notes = &row.hop(Slot::Apiserver).unwrap().notes;
        assert!(
            notes.contains(&format!(
                "Username oidc:admin@example.com at the apiserver, email {ADMIN} in the token"
            )),
            "{notes:?}"
        );
        assert!(
            notes.contains(&"Groups [oidc:admins] at the apiserver, [admins] in the token".into())
        );
    }

    #[test]
    fn one_row_per_user_and_one_for_steps_without_one() {
        let mut report = healthy();
        report.steps.push(StepReport {
            user: Some("editor@example.com".into()),
            ..dex_login(4, &["editors"], &["editors"])
        });
        report.steps.push(StepReport {
            step: "5: dex start".into(),
            kind: "dex_start".into(),
            ..StepReport::default()
        });
        report.steps.push(StepReport {
            step: "6: http_get /".into(),
            kind: "http_get".into(),
            error: Some("401 {}".into()),
            output: Some("401: {}".into()),
            ..StepReport::default()
        });
        let chain = chain(&report);
        let users: Vec<Option<&str>> = chain.rows.iter().map(|r| r.user.as_deref()).collect();
        assert_eq!(users, vec![Some(ADMIN), Some("editor@example.com"), None]);
        // A Dex that started is no hop; the probe without a user is.
        let probes = chain.row(None).unwrap();
        assert_eq!(probes.stopped, Some(Slot::App));
        assert_eq!(probes.hops.len(), 1);
    }
}

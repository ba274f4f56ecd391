//! Turns a user's own files (a realm export and a Dex config, as they run them)
//! into a case for `oidc-harness diagnose`.
//!
//! Their public addresses become the run's: every string that starts with the
//! Dex issuer becomes `{{ dex.issuer }}…`, and the Keycloak realm issuer named
//! by the oidc connector becomes `{{ keycloak.issuer }}…`, so a trailing slash
//! or a wrong path survives the move and still fails the way it does for them.
//! The harness adds only what it must: `rootCAs` for the run's CA on each oidc
//! connector, a static client for its app, and, where the export masks the
//! client secret (`**********`), the connector's secret.
//!
//! Charmed Kubeflow users give their connectors as the file they passed to
//! `juju config dex-auth connectors=...`: it goes through the [emulated]
//! dex-auth charm as the charm takes it (a value that does not parse, or is
//! not a list, is the failure and is run as given), inside the Dex config the
//! charm renders. With the certificate their Keycloak presents, Dex meets its
//! names and its CA as they do (`usercert`).

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::usercert::{self, IssuerCert};
use super::userclient;
use super::userdir::{self, Kind};
use super::userinput::{self, load_realm};
use super::userproxy::{GivenProxy, ProxyReplay, Secret, host, split_origin};
use super::{Case, ScenarioFile};
use crate::emulated::dex_auth_charm;
use crate::error::{Error, Result};
use crate::model::report::Substitution;
use crate::model::spec::Scenario;

/// A user to sign in as.
#[derive(Debug, Clone)]
pub struct Login {
    pub user: String,
    pub password: String,
}

/// The user's files, as given to `oidc-harness diagnose`.
#[derive(Debug, Clone, Copy)]
pub struct UserFiles<'a> {
    /// A Keycloak realm export (JSON); none when Dex signs users in from
    /// its own password database (guide 003).
    pub realm: Option<&'a Path>,
    /// A Dex config (YAML). With `connectors_json`, its connectors are
    /// replaced, as the dex-auth charm does; without it, it must have them.
    pub dex_config: Option<&'a Path>,
    /// The dex-auth charm's `connectors` option: the file given to
    /// `juju config dex-auth connectors="$(cat oidc-connector.json)"`.
    pub connectors_json: Option<&'a Path>,
    /// The certificate (chain, PEM) the user's Keycloak presents.
    pub keycloak_cert: Option<&'a Path>,
    /// The certificate (chain, PEM) the user's Dex presents: whether the
    /// apiserver and kubelogin, given no CA, can trust it.
    pub dex_cert: Option<&'a Path>,
    /// A file of `--oidc-*` flags (one per line or space-separated), or an
    /// `AuthenticationConfiguration` YAML.
    pub apiserver: Option<&'a Path>,
    /// A kubeconfig whose user entry runs kubelogin (`oidc-login get-token`):
    /// the relying party, with its client, secret and scopes.
    pub kubeconfig: Option<&'a Path>,
    /// RBAC manifests (ClusterRoleBinding, RoleBinding, their roles).
    pub rbac: &'a [PathBuf],
    /// oauth2-proxy's configuration, in any of its forms (`userproxy`):
    /// the relying party, in front of the app.
    pub oauth2_proxy: &'a [(Kind, PathBuf)],
    /// Secrets the other files name.
    pub secrets: &'a [PathBuf],
    /// An app's OIDC client settings (`userclient::app_client`): the
    /// relying party when neither kubelogin nor oauth2-proxy is given.
    pub client: Option<&'a Path>,
    /// Dex's Deployment: the environment its `idEnv`/`secretEnv` read.
    pub dex_deployment: Option<&'a Path>,
    /// Istio's RequestAuthentication for the ingress gateway (Kubeflow):
    /// the [emulated] gateway in front of oauth2-proxy and Dex.
    pub request_authentication: Option<&'a Path>,
}

/// A realm export and a Dex config (the common case).
pub fn case(
    realm_path: &Path,
    dex_path: &Path,
    apiserver: Option<&Path>,
    logins: &[Login],
) -> Result<Case> {
    case_from(
        &UserFiles {
            realm: Some(realm_path),
            dex_config: Some(dex_path),
            connectors_json: None,
            keycloak_cert: None,
            dex_cert: None,
            apiserver,
            kubeconfig: None,
            rbac: &[],
            oauth2_proxy: &[],
            secrets: &[],
            client: None,
            dex_deployment: None,
            request_authentication: None,
        },
        logins,
    )
}

/// A folder of the user's files, each recognised by its content
/// (`userdir`); returns the case and what each file was taken as.
pub fn case_from_dir(dir: &Path, logins: &[Login]) -> Result<(Case, Vec<userdir::Taken>)> {
    let mut taken = userdir::recognise(dir)?;
    let one = |kinds: &[Kind]| -> Result<Option<&Path>> {
        let found: Vec<&userdir::Taken> =
            taken.iter().filter(|t| kinds.contains(&t.kind)).collect();
        match found.as_slice() {
            [] => Ok(None),
            [t] => Ok(Some(t.path.as_path())),
            [a, b, ..] => Err(Error::input(
                &b.path,
                0,
                0,
                format!(
                    "a second {} beside {}: give the folder one",
                    b.kind.describe(),
                    a.path.display()
                ),
            )),
        }
    };
    let realm = one(&[Kind::RealmExport])?;
    let dex_given = one(&[Kind::DexConfig, Kind::DexHelmValues, Kind::DexConfigMap])?;
    if realm.is_none() && dex_given.is_none() {
        return Err(Error::input(
            dir,
            0,
            0,
            "no Keycloak realm export (`kc.sh export`, or the admin console's Partial export) and no Dex config in this folder",
        ));
    }
    let mut logins = logins.to_vec();
    if logins.is_empty() {
        for t in taken.iter().filter(|t| t.kind == Kind::SignInUsers) {
            logins.extend(sign_in_users(&t.path)?);
        }
    }
    let rbac: Vec<PathBuf> = taken
        .iter()
        .filter(|t| t.kind == Kind::Rbac)
        .map(|t| t.path.clone())
        .collect();
    let of = |kind: Kind| -> Vec<PathBuf> {
        taken
            .iter()
            .filter(|t| t.kind == kind)
            .map(|t| t.path.clone())
            .collect()
    };
    let proxy: Vec<(Kind, PathBuf)> = taken
        .iter()
        .filter(|t| t.kind.is_oauth2_proxy())
        .map(|t| (t.kind, t.path.clone()))
        .collect();
    let secrets = of(Kind::Secret);
    let (keycloak_cert, dex_cert) = whose_certificates(&of(Kind::Certificate), dex_given)?;
    let files = UserFiles {
        realm,
        kubeconfig: one(&[Kind::Kubeconfig])?,
        rbac: &rbac,
        oauth2_proxy: &proxy,
        secrets: &secrets,
        client: one(&[Kind::ClientSettings])?,
        dex_deployment: one(&[Kind::DexDeployment])?,
        request_authentication: one(&[Kind::RequestAuthentication])?,
        dex_config: dex_given,
        connectors_json: one(&[Kind::CharmConnectors])?,
        keycloak_cert: keycloak_cert.as_deref(),
        dex_cert: dex_cert.as_deref(),
        apiserver: one(&[
            Kind::ApiserverFlags,
            Kind::StaticPodManifest,
            Kind::KindConfig,
            Kind::AuthenticationConfiguration,
        ])?,
    };
    let case = case_from(&files, &logins)?;
    let rp_elsewhere = files.kubeconfig.is_some() || !files.oauth2_proxy.is_empty();
    for t in taken.iter_mut() {
        if t.kind == Kind::ClientSettings && rp_elsewhere {
            t.unused = Some("kubelogin or oauth2-proxy is the relying party");
        }
    }
    Ok((case, taken))
}

pub fn case_from(files: &UserFiles, logins: &[Login]) -> Result<Case> {
    let first = files
        .realm
        .or(files.dex_config)
        .or(files.connectors_json)
        .unwrap_or(Path::new("."));
    if files.dex_config.is_none()
        && files.connectors_json.is_none()
        && !files.oauth2_proxy.is_empty()
    {
        return keycloak_proxy_case(files, logins);
    }
    let main_path = files.connectors_json.or(files.dex_config).ok_or_else(|| {
        Error::input(
            first,
            0,
            0,
            "give a Dex config, the connectors JSON, or oauth2-proxy's settings (for a chain without Dex)",
        )
    })?;
    let realm = files.realm.map(load_realm).transpose()?;
    let secrets = load_secrets(files.secrets)?;
    let mut dex = match files.dex_config {
        Some(path) => load_dex_config(path)?,
        None => charm_config(),
    };
    let cert = files.keycloak_cert.map(IssuerCert::load).transpose()?;
    let dex_cert = files.dex_cert.map(IssuerCert::load).transpose()?;
    // The charm's part: the option's value becomes `connectors`, as is.
    let connectors_text = match files.connectors_json {
        Some(path) => Some(userinput::read(path, userinput::CONNECTORS)?),
        None => None,
    };
    if let Some(text) = &connectors_text {
        match dex_auth_charm::connectors(text) {
            Ok(list @ Value::Array(_)) => dex["connectors"] = list,
            // Not a list, or not YAML at all: that is the failure, and the
            // real Dex (or the charm) meets it as given.
            _ => return unreadable_connectors(files, main_path, text, dex, logins),
        }
    }
    // Not a list: Dex refuses the config at start, and meets it as given.
    if dex
        .get("connectors")
        .is_some_and(|c| !c.is_array() && !c.is_null())
    {
        return dex_as_given(files, main_path, dex);
    }
    let connector = dex["connectors"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["type"] == "oidc"))
        .cloned();
    // Without a realm, Dex signs users in from its password database.
    let password_db = dex["enablePasswordDB"] == true;
    let connector = match (connector, &realm) {
        (Some(c), _) => c,
        (None, None) if password_db => json!({"id": "local", "config": {}}),
        (None, None) => {
            return Err(Error::input(
                main_path,
                0,
                0,
                "no Keycloak realm export, and Dex has neither an oidc connector nor its password database (enablePasswordDB): nothing to sign in at",
            ));
        }
        (None, Some(_)) => {
            return Err(Error::input(main_path, 0, 0, "no `type: oidc` connector"));
        }
    };
    let has_realm = realm.is_some();
    let realm = realm.unwrap_or(Value::Null);
    if files.dex_config.is_none()
        && let Some(issuer) = connector["config"]["redirectURI"]
            .as_str()
            .and_then(|r| r.strip_suffix("/callback"))
    {
        dex["issuer"] = json!(issuer);
    }
    let dex_issuer_given = dex["issuer"].as_str().unwrap_or_default().to_string();
    let dex_issuer = dex_issuer_given.trim_end_matches('/').to_string();
    let kc_issuer = connector["config"]["issuer"]
        .as_str()
        .unwrap_or_default()
        .trim_end_matches('/')
        .to_string();
    if has_realm && !kc_issuer.contains("/realms/") {
        return Err(Error::input(
            main_path,
            0,
            0,
            format!(
                "the oidc connector's issuer `{kc_issuer}` is not a Keycloak realm (…/realms/<name>): diagnose replays Keycloak behind Dex"
            ),
        ));
    }
    let rewrite = |v: &Value| {
        rewrite_prefix(
            &rewrite_prefix(v, &kc_issuer, "{{ keycloak.issuer }}"),
            &dex_issuer,
            "{{ dex.issuer }}",
        )
    };
    let mut realm = rewrite(&realm);
    let mut dex = rewrite(&dex);
    let mut replayed = vec![Substitution::new(
        "Dex's issuer (and every URL under it)",
        dex_issuer.clone(),
        "{{ dex.issuer }}",
    )];
    if has_realm {
        replayed.push(Substitution::new(
            "the connector's Keycloak realm issuer (and every URL under it)",
            kc_issuer.clone(),
            "{{ keycloak.issuer }}",
        ));
    }

    let client_id = connector["config"]["clientID"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let secret = connector["config"]["clientSecret"].clone();
    if let Some(client) = realm["clients"]
        .as_array_mut()
        .and_then(|cs| cs.iter_mut().find(|c| c["clientId"] == client_id.as_str()))
    {
        let masked = client["secret"]
            .as_str()
            .is_none_or(|s| s.chars().all(|c| c == '*'));
        if masked && secret.is_string() {
            client["secret"] = secret.clone();
            replayed.push(Substitution::new(
                format!("{}: client `{client_id}` secret", first.display()),
                client["secret"]
                    .as_str()
                    .map(|_| "masked (**********)")
                    .unwrap_or("absent"),
                "the connector's clientSecret (the export masks it)",
            ));
        }
    }
    let (ingress, notes) = usercert::apply(
        cert.as_ref(),
        dex["connectors"]
            .as_array_mut()
            .map(Vec::as_mut_slice)
            .unwrap_or_default(),
        &kc_issuer,
    );
    let mut static_findings: Vec<String> = Vec::new();
    let mut apiserver = match files.apiserver {
        Some(path) => apiserver_spec(
            path,
            &dex_issuer,
            dex_cert.as_ref(),
            &mut replayed,
            &mut static_findings,
        )?,
        None => None,
    };
    if !files.rbac.is_empty() {
        let manifests = rbac_manifests(files.rbac, &dex_issuer, &mut replayed)?;
        match apiserver.as_mut() {
            Some(spec) => spec["rbac"] = json!(manifests),
            None => replayed.push(Substitution::new(
                "RBAC bindings",
                files
                    .rbac
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
                "not replayed: no apiserver settings among the files to apply them to",
            )),
        }
    }
    // The relying party: the user's kubelogin when their kubeconfig names
    // one, run with its own flags; else one the harness stands in with.
    let kubelogin = match files.kubeconfig {
        Some(path) => {
            let entry = userclient::kubelogin(path)?.ok_or_else(|| {
                Error::input(
                    path,
                    0,
                    0,
                    "no user entry of this kubeconfig runs kubelogin (`exec` with `oidc-login get-token`)",
                )
            })?;
            let private_dex = dex_cert
                .as_ref()
                .filter(|c| !c.public)
                .map(|c| c.subject.as_str());
            let (given_flags, system_trust) =
                entry.replayed_flags(path, &mut replayed, private_dex);
            let flags: Vec<String> = given_flags
                .iter()
                .map(|f| match f.split_once('=') {
                    Some((name, value)) => {
                        format!(
                            "{name}={}",
                            rewrite(&json!(value)).as_str().unwrap_or(value)
                        )
                    }
                    None => f.clone(),
                })
                .collect();
            static_findings.extend(entry.unknown_flags(path));
            static_findings.extend(map_kubelogin_redirects(
                &mut dex,
                &entry,
                path,
                &mut replayed,
            ));
            Some((entry, flags, system_trust))
        }
        None => None,
    };
    // Sign in as the apiserver's client when Dex has it, so the token's
    // audience is the one the apiserver checks; else as a client of our own.
    let audience = apiserver.as_ref().and_then(|a| {
        a["oidc_flags"].as_array()?.iter().find_map(|f| {
            f.as_str()?
                .strip_prefix("oidc-client-id=")
                .map(String::from)
        })
    });
    let proxy = match files.oauth2_proxy {
        [] => None,
        parts => {
            let mut given = GivenProxy::load(parts, &secrets)?;
            let client_id = given.value("client_id").unwrap_or_default();
            let dex_secret = dex["staticClients"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|c| c["id"] == client_id.as_str())
                .and_then(|c| c["secret"].as_str().map(String::from));
            let dex_path = url_path(&dex_issuer);
            let to_run = |u: &str| -> Option<String> {
                let moved = rewrite(&json!(u)).as_str().map(String::from)?;
                if moved != u {
                    return Some(moved);
                }
                // An in-cluster address of Dex (`http://dex.auth.svc:5556/dex/token`).
                let (o, rest) = split_origin(u)?;
                (in_cluster(&o) && !dex_path.is_empty() && rest.starts_with(&dex_path))
                    .then(|| format!("{{{{ dex.internal }}}}{}", &rest[dex_path.len()..]))
            };
            let redirect = given.value("redirect_url").unwrap_or_default();
            let listed: Vec<String> = dex["staticClients"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|c| c["id"] == client_id.as_str())
                .flat_map(|c| c["redirectURIs"].as_array().cloned().unwrap_or_default())
                .filter_map(|u| u.as_str().map(String::from))
                .collect();
            if redirect.contains("://") && !listed.contains(&redirect) {
                static_findings.push(format!(
                    "Dex client `{client_id}` lists no redirect URI oauth2-proxy sends: its redirect_url is `{redirect}`, the client lists {listed:?}; Dex will answer `Unregistered redirect_uri`: add `{redirect}` to the client's redirectURIs, character for character"
                ));
            }
            let r = given.replay(&to_run, dex_secret.as_deref(), &mut replayed);
            let origins = app_origins(&r, &dex, &client_id);
            if r.origin.is_none() {
                for o in &origins {
                    static_findings.extend(r.cookie_problems(o));
                }
            }
            for o in &origins {
                dex = rewrite_prefix(&dex, o, "{{ oauth2_proxy.url }}");
                realm = rewrite_prefix(&realm, o, "{{ oauth2_proxy.url }}");
                replayed.push(Substitution::new(
                    "the app's public address (and every URL under it)",
                    o.clone(),
                    "{{ oauth2_proxy.url }}",
                ));
            }
            replayed.extend(given.stood_in.clone());
            static_findings.extend(r.problems.clone());
            let tls = serves_https(&origins, &mut replayed);
            Some((given, r, tls))
        }
    };
    let (app, audience_missing) = match (&kubelogin, &proxy) {
        (None, Some((_, r, _))) => {
            replayed.push(Substitution::new(
                "the relying party",
                format!("oauth2-proxy (client `{}`)", r.client_id),
                "the same oauth2-proxy, the pinned version, with those settings",
            ));
            (None, false)
        }
        (Some((entry, _, _)), _) => {
            replayed.push(Substitution::new(
                "the relying party",
                format!(
                    "kubelogin of user entry `{}` (client `{}`, scopes {})",
                    entry.entry,
                    entry.value("--oidc-client-id").unwrap_or("?"),
                    entry.scopes().join(" ")
                ),
                "the same kubelogin, the pinned version, with those flags",
            ));
            (None, false)
        }
        (None, None) if files.client.is_some() => {
            let path = files.client.expect("matched");
            let client = userclient::app_client(path)?;
            static_findings.extend(user_app_checks(&client, &dex, &dex_issuer_given, path));
            let app = user_app(&mut dex, &client, path, &mut replayed);
            (Some(app), false)
        }
        (None, None) => {
            let (app, stood_in) = add_app_client(&mut dex, audience.as_deref());
            replayed.push(stood_in);
            // Without a Dex client for the apiserver's audience no token can
            // pass; signing in as another client would only show an audience
            // of ours.
            let missing = audience.is_some() && app["client_id"].as_str() != audience.as_deref();
            (Some(app), missing)
        }
    };

    let logins = who_signs_in(logins, has_realm.then_some(&realm), first)?;
    // Dex's own form needs no connector choice when it is the only one.
    let connector_id = match connector["id"].as_str() {
        Some("local") if dex["connectors"].as_array().is_none_or(Vec::is_empty) => None,
        id => Some(id.unwrap_or("oidc").to_string()),
    };
    let redirect = rewrite(&connector["config"]["redirectURI"]);
    let scopes = std::iter::once("openid".to_string())
        .chain(
            connector["config"]["scopes"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|s| s.as_str().map(String::from)),
        )
        .collect::<Vec<_>>()
        .join(" ");
    let mut steps = vec![json!({"dex_start": {"running": null}})];
    if proxy.is_some() {
        steps.push(json!({"oauth2_proxy_start": {"running": null}}));
    }
    for l in &logins {
        if has_realm {
            steps.push(json!({"browser_login": {
                "at": "keycloak", "client": client_id, "client_secret": secret, "redirect_uri": redirect,
                "scope": scopes, "user": l.user, "password": l.password,
                "expect": {"page_text": ""},
            }}));
        }
        match (&kubelogin, &proxy) {
            (Some((_, flags, system_trust)), _) => steps.push(json!({"kubelogin": {
                "user": l.user, "password": l.password, "connector": connector_id,
                "args": flags, "success": null, "system_trust": system_trust,
            }})),
            (None, Some(_)) => steps.push(json!({"proxy_login": {
                "user": l.user, "password": l.password, "connector": connector_id,
                "expect": {"page_text": ""},
            }})),
            (None, None) => steps.push(json!({"browser_login": {
                "at": "dex", "connector": connector_id, "user": l.user, "password": l.password,
                "expect": {"page_text": ""},
            }})),
        }
        if apiserver.is_some() && !audience_missing {
            steps.push(json!({"kubectl": {
                "as": l.user, "args": ["auth", "whoami", "-o", "json"], "success": null,
            }}));
        }
    }
    if apiserver.as_ref().is_some_and(|a| a.get("rbac").is_some()) && !audience_missing {
        steps.push(json!({"bindings_can_i": {}}));
    }
    let mut problems = static_findings;
    if audience_missing {
        problems.push(format!(
            "Dex has no static client `{}`, the apiserver's --oidc-client-id: no token Dex issues has that audience, so Kubernetes was not asked; add the client to Dex's staticClients (the one your kubeconfig's kubelogin uses), or set --oidc-client-id to that client",
            audience.as_deref().unwrap_or_default()
        ));
    }
    let mut keycloak = json!({"realm": realm});
    if let Some(names) = ingress {
        keycloak["ingress"] = json!({"certificate_names": names});
    }
    let keycloak = has_realm.then_some(keycloak);
    let mut dex_spec = json!({"config": dex});
    if let Some(path) = files.dex_deployment {
        dex_spec["env"] = json!(dex_env(path, &secrets)?);
    }
    if connectors_text.is_some() {
        // Given back to the charm, rewritten, so it renders Dex's connectors.
        let connectors = dex_spec["config"]
            .as_object_mut()
            .and_then(|m| m.remove("connectors"))
            .unwrap_or_default();
        dex_spec["connectors_json"] =
            json!(serde_json::to_string_pretty(&connectors).expect("serialisable"));
    }
    let mut raw = json!({
        "guide": "diagnose",
        "source": source(files),
        "description": "the user's own configuration",
        "findings": notes,
        "keycloak": keycloak,
        "dex": dex_spec,
        "steps": steps,
    });
    if let Some(app) = app {
        raw["app"] = app;
    }
    if let Some((given, _, tls)) = &proxy {
        raw["oauth2_proxy"] = given.spec(*tls);
    }
    if let Some(path) = files.request_authentication {
        let text = userinput::read(path, userinput::REQUEST_AUTHENTICATION)?;
        let doc: Value = crate::infra::yaml::from_str(&text)
            .map_err(|e| Error::input(path, e.line, e.column, e.message))?;
        raw["istio"] = json!({
            "request_authentication": rewrite(&doc),
            "ext_authz": KUBEFLOW_EXT_AUTHZ.clone(),
        });
        replayed.push(Substitution::new(
            "the mesh's ext-authz provider for oauth2-proxy",
            "(not among your files)",
            "Kubeflow's istio-external-auth: headersToUpstreamOnAllow [authorization, path, x-auth-request-email, x-auth-request-groups, x-auth-request-user], headersToDownstreamOnDeny [content-type, set-cookie], includeRequestHeadersInCheck [authorization, cookie]",
        ));
        replayed.push(Substitution::new(
            "Istio's ingress gateway",
            path.display().to_string(),
            "[emulated] one host for Dex (/dex/), oauth2-proxy (/oauth2/) and the app, with your RequestAuthentication applied to real tokens",
        ));
    }
    if let Some(spec) = apiserver {
        raw["apiserver"] = spec;
    }
    let mut case = finish(raw, main_path)?;
    case.replayed_as = replayed;
    case.problems = problems;
    Ok(case)
}

/// Connectors that are not a list (or not YAML): the case is Dex's start
/// with them as given, nothing to sign in through.
fn unreadable_connectors(
    files: &UserFiles,
    main_path: &Path,
    text: &str,
    mut dex: Value,
    logins: &[Login],
) -> Result<Case> {
    let realm = files.realm.map(load_realm).transpose()?;
    if files.dex_config.is_none() {
        dex["issuer"] = json!("{{ dex.issuer }}");
    } else if let Some(issuer) = dex["issuer"].as_str().map(String::from) {
        dex = rewrite_prefix(&dex, issuer.trim_end_matches('/'), "{{ dex.issuer }}");
    }
    if let Some(map) = dex.as_object_mut() {
        map.remove("connectors");
    }
    let (app, _) = add_app_client(&mut dex, None);
    let _ = logins;
    let raw = json!({
        "guide": "diagnose",
        "source": source(files),
        "description": "the user's own configuration",
        "keycloak": realm.map(|r| json!({"realm": r})),
        "dex": {"config": dex, "connectors_json": text},
        "app": app,
        "steps": [{"dex_start": {"running": null}}],
    });
    finish(raw, main_path)
}

/// A Dex config that cannot be replayed hop by hop (its `connectors` is
/// not a list): Dex's start, with the config as given (its issuer moved).
fn dex_as_given(files: &UserFiles, main_path: &Path, dex: Value) -> Result<Case> {
    let issuer = dex["issuer"]
        .as_str()
        .unwrap_or_default()
        .trim_end_matches('/')
        .to_string();
    let dex = rewrite_prefix(&dex, &issuer, "{{ dex.issuer }}");
    let realm = files.realm.map(load_realm).transpose()?;
    let raw = json!({
        "guide": "diagnose",
        "source": source(files),
        "description": "the user's own configuration",
        "keycloak": realm.map(|r| json!({"realm": r})),
        "dex": {"config": dex},
        "steps": [{"dex_start": {"running": null}}],
    });
    let mut case = finish(raw, main_path)?;
    case.replayed_as = vec![Substitution::new(
        "Dex's issuer (and every URL under it)",
        issuer,
        "{{ dex.issuer }}",
    )];
    Ok(case)
}

fn finish(raw: Value, main_path: &Path) -> Result<Case> {
    let scenario: Scenario = serde_json::from_value(raw.clone())
        .map_err(|e| Error::input(main_path, 0, 0, e.to_string()))?;
    let file = ScenarioFile {
        path: main_path.to_path_buf(),
        name: "user-config".into(),
        scenario,
        raw,
        keys: Vec::new(),
    };
    let label = main_path
        .canonicalize()
        .ok()
        .and_then(|p| {
            p.parent()?
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
        })
        .unwrap_or_else(|| "user-config".into());
    Ok(Case {
        name: format!("diagnose/{label}/as-given"),
        file,
        variant: None,
        check_diagnosis: false,
        replayed_as: Vec::new(),
        problems: Vec::new(),
    })
}

fn source(files: &UserFiles) -> String {
    [
        files.realm,
        files.dex_config,
        files.connectors_json,
        files.keycloak_cert,
        files.dex_cert,
        files.apiserver,
        files.kubeconfig,
    ]
    .into_iter()
    .flatten()
    .chain(files.rbac.iter().map(PathBuf::as_path))
    .chain(files.oauth2_proxy.iter().map(|(_, p)| p.as_path()))
    .chain(files.secrets.iter().map(PathBuf::as_path))
    .map(|p| p.display().to_string())
    .collect::<Vec<_>>()
    .join(" + ")
}

/// oauth2-proxy straight to Keycloak (OSMO's sidecar): the realm and the
/// proxy's settings, no Dex. The browser signs in through the proxy.
fn keycloak_proxy_case(files: &UserFiles, logins: &[Login]) -> Result<Case> {
    let main_path = files.oauth2_proxy[0].1.as_path();
    let realm_path = files.realm.ok_or_else(|| {
        Error::input(
            main_path,
            0,
            0,
            "oauth2-proxy without Dex signs in at Keycloak: add the realm export (`kc.sh export`, or the admin console's Partial export)",
        )
    })?;
    let mut realm = load_realm(realm_path)?;
    let secrets = load_secrets(files.secrets)?;
    let mut given = GivenProxy::load(files.oauth2_proxy, &secrets)?;
    let issuer = given.value("oidc_issuer_url").unwrap_or_default();
    let kc_issuer = issuer.trim_end_matches('/').to_string();
    if !kc_issuer.contains("/realms/") {
        return Err(Error::input(
            main_path,
            0,
            0,
            format!(
                "oauth2-proxy's oidc_issuer_url `{issuer}` is not a Keycloak realm (…/realms/<name>), and no Dex config is among the files"
            ),
        ));
    }
    let mut replayed = vec![Substitution::new(
        "oauth2-proxy's Keycloak realm issuer (and every URL under it)",
        kc_issuer.clone(),
        "{{ keycloak.issuer }}",
    )];
    let client_id = given.value("client_id").unwrap_or_default();
    let masked = |s: &str| s.chars().all(|c| c == '*');
    let proxy_secret = given.value("client_secret").filter(|s| !masked(s));
    let mut realm_secret = None;
    if let Some(client) = realm["clients"]
        .as_array_mut()
        .and_then(|cs| cs.iter_mut().find(|c| c["clientId"] == client_id.as_str()))
    {
        match client["secret"].as_str().filter(|s| !masked(s)) {
            Some(s) => realm_secret = Some(s.to_string()),
            None => {
                if let Some(s) = &proxy_secret {
                    replayed.push(Substitution::new(
                        format!("{}: client `{client_id}` secret", realm_path.display()),
                        if client["secret"].is_string() {
                            "masked (**********)"
                        } else {
                            "absent"
                        },
                        "oauth2-proxy's client_secret (the export masks it)",
                    ));
                    client["secret"] = json!(s);
                }
            }
        }
    }
    let to_run = |u: &str| {
        u.strip_prefix(kc_issuer.as_str())
            .map(|rest| format!("{{{{ keycloak.issuer }}}}{rest}"))
    };
    let r = given.replay(&to_run, realm_secret.as_deref(), &mut replayed);
    realm = rewrite_prefix(&realm, &kc_issuer, "{{ keycloak.issuer }}");
    let origins = app_origins(&r, &realm_clients_as_dex(&realm), &client_id);
    let mut problems = r.problems.clone();
    if r.origin.is_none() {
        for o in &origins {
            problems.extend(r.cookie_problems(o));
        }
    }
    for o in &origins {
        realm = rewrite_prefix(&realm, o, "{{ oauth2_proxy.url }}");
        replayed.push(Substitution::new(
            "the app's public address (and every URL under it)",
            o.clone(),
            "{{ oauth2_proxy.url }}",
        ));
    }
    let tls = serves_https(&origins, &mut replayed);
    replayed.extend(given.stood_in.clone());
    replayed.push(Substitution::new(
        "the relying party",
        format!("oauth2-proxy (client `{client_id}`)"),
        "the same oauth2-proxy, the pinned version, with those settings",
    ));
    let logins = who_signs_in(logins, Some(&realm), realm_path)?;
    let mut steps = vec![json!({"oauth2_proxy_start": {"running": null}})];
    for l in &logins {
        steps.push(json!({"proxy_login": {
            "user": l.user, "password": l.password, "expect": {"page_text": ""},
        }}));
    }
    let raw = json!({
        "guide": "diagnose",
        "source": source(files),
        "description": "the user's own configuration",
        "keycloak": {"realm": realm},
        "oauth2_proxy": given.spec(tls),
        "steps": steps,
    });
    let mut case = finish(raw, main_path)?;
    case.replayed_as = replayed;
    case.problems = problems;
    Ok(case)
}

/// Which issuer each certificate of a folder is: Dex's when its names cover
/// the host of Dex's issuer, else Keycloak's (one of each at most).
fn whose_certificates(
    paths: &[PathBuf],
    dex_config: Option<&Path>,
) -> Result<(Option<PathBuf>, Option<PathBuf>)> {
    let dex_host = match dex_config {
        Some(p) => load_dex_config(p)?["issuer"]
            .as_str()
            .map(|i| host(i).to_string()),
        None => None,
    };
    let (mut keycloak, mut dex) = (None, None);
    for p in paths {
        let cert = IssuerCert::load(p)?;
        let slot = if dex_host.as_deref().is_some_and(|h| cert.covers(h)) {
            &mut dex
        } else {
            &mut keycloak
        };
        if let Some(first) = slot.replace(p.clone()) {
            return Err(Error::input(
                p,
                0,
                0,
                format!(
                    "a second certificate of the same issuer beside {}: give one chain per issuer",
                    first.display()
                ),
            ));
        }
    }
    Ok((keycloak, dex))
}

/// Kubeflow's mesh config for oauth2-proxy's ext-authz
/// (`common/oauth2-proxy/components/istio-external-auth`).
static KUBEFLOW_EXT_AUTHZ: std::sync::LazyLock<Value> = std::sync::LazyLock::new(|| {
    json!({
        "headersToUpstreamOnAllow": ["authorization", "path", "x-auth-request-email", "x-auth-request-groups", "x-auth-request-user"],
        "headersToDownstreamOnDeny": ["content-type", "set-cookie"],
        "includeRequestHeadersInCheck": ["authorization", "cookie"],
    })
});

/// Dex's environment from its Deployment (values, Secrets it names).
fn dex_env(path: &Path, secrets: &[Secret]) -> Result<std::collections::BTreeMap<String, String>> {
    let text = userinput::read(path, userinput::DEX_DEPLOYMENT)?;
    let docs = crate::infra::yaml::documents(&text)
        .map_err(|e| userinput::not_yaml(path, e, userinput::DEX_DEPLOYMENT))?;
    let container = docs
        .iter()
        .find_map(userdir::dex_container)
        .ok_or_else(|| Error::input(path, 0, 0, "no Dex container in this Deployment"))?;
    super::userproxy::container_env(path, container, secrets)
}

/// Whether the run's oauth2-proxy serves HTTPS: when the app's public
/// address does (the scheme decides the redirect URI oauth2-proxy builds
/// from a request, and where its Secure cookies go), said.
fn serves_https(origins: &[String], replayed: &mut Vec<Substitution>) -> bool {
    let tls = origins.iter().any(|o| o.starts_with("https://"));
    if tls {
        replayed.push(Substitution::new(
            "the app's scheme",
            "https",
            "https, kept: the run's oauth2-proxy serves TLS with a certificate of the run's CA",
        ));
    }
    tls
}

/// The realm's clients in the shape of Dex's static clients (`id`,
/// `redirectURIs`), to find the app's address the same way.
fn realm_clients_as_dex(realm: &Value) -> Value {
    let clients: Vec<Value> = realm["clients"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| json!({"id": c["clientId"], "redirectURIs": c["redirectUris"]}))
        .collect();
    json!({ "staticClients": clients })
}

/// The app's public origins: oauth2-proxy's `redirect_url`, else (it then
/// takes the request's host) every absolute redirect URI its client lists.
fn app_origins(r: &ProxyReplay, dex: &Value, client_id: &str) -> Vec<String> {
    if let Some(o) = &r.origin {
        return vec![o.clone()];
    }
    let mut out: Vec<String> = Vec::new();
    for client in dex["staticClients"].as_array().into_iter().flatten() {
        if client["id"] != client_id {
            continue;
        }
        for uri in client["redirectURIs"].as_array().into_iter().flatten() {
            if let Some((o, _)) = uri.as_str().and_then(split_origin)
                && !o.contains("{{")
                && !out.contains(&o)
            {
                out.push(o);
            }
        }
    }
    out
}

fn url_path(url: &str) -> String {
    split_origin(url).map(|(_, p)| p).unwrap_or_default()
}

/// A host only a program inside the cluster reaches (`dex.auth.svc…`, a
/// bare service name).
fn in_cluster(origin: &str) -> bool {
    let host = host(origin);
    host.ends_with(".svc") || host.contains(".svc.") || (host != "localhost" && !host.contains('.'))
}

fn load_secrets(paths: &[PathBuf]) -> Result<Vec<Secret>> {
    let mut out = Vec::new();
    for p in paths {
        out.extend(Secret::load(p)?);
    }
    Ok(out)
}

/// A Dex config as a file, as Helm values (`config:`) or as a ConfigMap.
fn load_dex_config(path: &Path) -> Result<Value> {
    let text = userinput::read(path, userinput::DEX_CONFIG)?;
    let doc: Value = crate::infra::yaml::from_str(&text).map_err(|e| {
        Error::input(
            path,
            e.line,
            e.column,
            format!("not a Dex config (YAML): {}", e.message),
        )
    })?;
    let kind = match userdir::kind_of_document(&doc) {
        Some(k @ (Kind::DexHelmValues | Kind::DexConfigMap)) => k,
        _ => Kind::DexConfig,
    };
    let config = userdir::dex_config(kind, doc, path)?;
    if !config.is_object() {
        let what = match kind {
            Kind::DexConfig => "the file is not a mapping".to_string(),
            other => format!(
                "the config inside these {} is not a mapping",
                other.describe()
            ),
        };
        return Err(Error::input(
            path,
            0,
            0,
            format!(
                "{what}: Dex reads a mapping (issuer, storage, connectors, ...): expected {}",
                userinput::DEX_CONFIG
            ),
        ));
    }
    Ok(config)
}

/// The Dex config the dex-auth charm renders around its `connectors`
/// option, with its defaults (`enable-password-db` on, a static `admin`).
fn charm_config() -> Value {
    json!({
        "issuer": "{{ dex.issuer }}",
        "storage": {"type": "kubernetes", "config": {"inCluster": true}},
        "web": {"http": "0.0.0.0:5556"},
        "logger": {"level": "debug", "format": "text"},
        "oauth2": {"skipApprovalScreen": true},
        "enablePasswordDB": true,
        "staticPasswords": [{
            "email": "admin",
            "hash": "$2y$12$rViNhNXMyen2L9GUh5kM4ecH/dql8LiJPyEJ8z.cS5.o3GviwawkS",
            "username": "admin",
            "userID": "5a1c2f43-6f0e-4a8b-9d4e-2b7c6e1f0a93",
        }],
    })
}

/// The user's app: its client id, secret and scopes as given; its redirect
/// URI's address becomes the run's app (the path is kept), in Dex's client
/// too, where Dex lists it exactly.
fn user_app(
    dex: &mut Value,
    client: &userclient::AppClient,
    path: &Path,
    replayed: &mut Vec<Substitution>,
) -> Value {
    for c in dex["staticClients"].as_array_mut().into_iter().flatten() {
        if c["id"] != client.client_id.as_str() {
            continue;
        }
        for uri in c["redirectURIs"].as_array_mut().into_iter().flatten() {
            if uri.as_str() == Some(client.redirect_uri.as_str()) {
                *uri = json!("{{ app.redirect_uri }}");
            }
        }
    }
    let redirect_path = split_origin(&client.redirect_uri)
        .map(|(_, p)| p)
        .filter(|p| p.starts_with('/'))
        .unwrap_or_else(|| "/".into());
    replayed.push(Substitution::new(
        format!(
            "{}: the app's redirect URI (and Dex's entry of it)",
            path.display()
        ),
        client.redirect_uri.clone(),
        "{{ app.redirect_uri }}",
    ));
    replayed.push(Substitution::new(
        "the relying party",
        format!(
            "your app (client `{}`, scopes {})",
            client.client_id,
            client.scopes.join(" ")
        ),
        "the harness's browser and app, with that client, secret, scopes and callback path",
    ));
    json!({
        "client_id": client.client_id,
        "client_secret": client.client_secret,
        "scopes": client.scopes,
        "redirect_path": redirect_path,
    })
}

/// What the app's settings and Dex's config show before anything runs: a
/// client Dex does not have, a redirect URI it does not list, an issuer
/// that is not Dex's, character for character.
fn user_app_checks(
    client: &userclient::AppClient,
    dex: &Value,
    dex_issuer: &str,
    path: &Path,
) -> Vec<String> {
    let mut out = Vec::new();
    let id = &client.client_id;
    let known = dex["staticClients"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["id"] == id.as_str());
    match known {
        None => out.push(format!(
            "{}: Dex has no static client `{id}` (your app's client_id): Dex will answer `Invalid client_id`; add it to staticClients, or set the app's client_id to one Dex has",
            path.display()
        )),
        Some(c) => {
            let listed: Vec<&str> = c["redirectURIs"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            if !listed.contains(&client.redirect_uri.as_str()) {
                out.push(format!(
                    "{}: Dex client `{id}` does not list your app's redirect URI `{}` (it lists {listed:?}): Dex will answer `Unregistered redirect_uri`; add it, character for character",
                    path.display(),
                    client.redirect_uri
                ));
            }
        }
    }
    if let Some(issuer) = client.issuer.as_deref().filter(|i| *i != dex_issuer) {
        out.push(format!(
            "{}: your app's issuer `{issuer}` is not Dex's issuer `{dex_issuer}` character for character: its discovery fails or the tokens' `iss` does not match; set it to `{dex_issuer}` (the run signs in with Dex's)",
            path.display()
        ));
    }
    out
}

/// The relying party the harness's browser signs in through: the
/// apiserver's client (`audience`) when Dex has it (only its redirect URI
/// added), else a client of its own. Returns the app spec and what it did.
fn add_app_client(dex: &mut Value, audience: Option<&str>) -> (Value, Substitution) {
    let mut statics = dex["staticClients"].as_array().cloned().unwrap_or_default();
    let app = match statics
        .iter_mut()
        .find(|c| audience.is_some_and(|a| c["id"] == a))
    {
        Some(client) => {
            let mut uris = client["redirectURIs"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            uris.push(json!("{{ app.redirect_uri }}"));
            client["redirectURIs"] = Value::Array(uris);
            let id = client["id"].as_str().unwrap_or_default().to_string();
            (
                json!({"client_id": client["id"], "client_secret": client["secret"], "scopes": ["openid", "profile", "email", "groups"]}),
                Substitution::new(
                    format!(
                        "the relying party: Dex client `{id}` (the apiserver's --oidc-client-id)"
                    ),
                    "your app (kubelogin) on its own redirect URI",
                    "the harness's browser, its redirect URI {{ app.redirect_uri }} added to the client",
                ),
            )
        }
        None => {
            statics.push(json!({
                "id": "oidc-harness-app",
                "name": "oidc-harness",
                "secret": "{{ secret.app }}",
                "redirectURIs": ["{{ app.redirect_uri }}"],
            }));
            (
                json!({"client_id": "oidc-harness-app", "client_secret": "{{ secret.app }}", "scopes": ["openid", "profile", "email", "groups"]}),
                Substitution::new(
                    "the relying party",
                    "(none of your files names the app's client)",
                    "a Dex client of the harness, `oidc-harness-app` (scopes openid profile email groups), stands in",
                ),
            )
        }
    };
    dex["staticClients"] = Value::Array(statics);
    app
}

/// The user's apiserver OIDC settings (flags file, static pod manifest, kind
/// config or AuthenticationConfiguration), addresses rewritten like the rest.
/// A CA the user names becomes the run's; where none is named the run's CA
/// stands in for a publicly trusted certificate, and both are said.
fn apiserver_spec(
    path: &Path,
    dex_issuer: &str,
    dex_cert: Option<&IssuerCert>,
    replayed: &mut Vec<Substitution>,
    problems: &mut Vec<String>,
) -> Result<Option<Value>> {
    let text = userinput::read(path, userinput::APISERVER)?;
    let kind = match userdir::kind_of(path, &text) {
        Some(kind) if kind != Kind::ApiserverFlags => kind,
        // A manifest that is none of the apiserver's is not a flags file either.
        _ if text
            .lines()
            .any(|l| l.starts_with("apiVersion:") || l.starts_with("kind:")) =>
        {
            return Err(match crate::infra::yaml::from_str::<Value>(&text) {
                Err(e) => userinput::not_yaml(path, e, userinput::APISERVER),
                Ok(_) => Error::input(
                    path,
                    0,
                    0,
                    format!(
                        "a manifest, but no static pod whose container runs kube-apiserver with a list of arguments (`command`/`args`), no kind config and no AuthenticationConfiguration: expected {}",
                        userinput::APISERVER
                    ),
                ),
            });
        }
        _ => Kind::ApiserverFlags,
    };
    let issuer = |v: &str| {
        rewrite_prefix(&json!(v), dex_issuer, "{{ dex.issuer }}")
            .as_str()
            .unwrap_or(v)
            .to_string()
    };
    if kind == Kind::AuthenticationConfiguration {
        let mut doc: Value = crate::infra::yaml::from_str(&text)
            .map_err(|e| Error::input(path, e.line, e.column, e.message))?;
        let keys = crate::infra::yaml::key_locations(&text).unwrap_or_default();
        let unknown = super::authconfig::unknown_fields(&doc, &keys);
        if !unknown.is_empty() {
            problems.extend(unknown.iter().map(|u| format!("{}:{u}", path.display())));
            replayed.push(Substitution::new(
                "kube-apiserver",
                path.display().to_string(),
                "not started: it refuses this file (see the static check); the rest of the chain runs",
            ));
            return Ok(None);
        }
        doc = rewrite_prefix(&doc, dex_issuer, "{{ dex.issuer }}");
        for jwt in doc["jwt"].as_array_mut().into_iter().flatten() {
            let given = jwt["issuer"]["certificateAuthority"]
                .as_str()
                .map(|c| format!("{} bytes of PEM", c.len()))
                .unwrap_or_else(|| "(none: the system's CAs)".into());
            jwt["issuer"]["certificateAuthority"] = json!("{{ tls.ca_pem }}");
            replayed.push(Substitution::new(
                format!("{}: jwt issuer certificateAuthority", path.display()),
                given,
                "the run's CA (it signs the run's Dex)",
            ));
        }
        return Ok(Some(json!({"authentication_config": doc})));
    }
    let all = userdir::apiserver_flags(kind, &text, path)?.unwrap_or_default();
    let mut ca_given = None;
    let mut flags: Vec<Value> = Vec::new();
    for f in all.iter().filter(|f| f.starts_with("oidc-")) {
        let name = f.split('=').next().unwrap_or_default();
        if !APISERVER_OIDC_FLAGS.contains(&name) {
            let near = crate::infra::dexcheck::closest(name, APISERVER_OIDC_FLAGS)
                .map(|k| format!(" (did you mean `--{k}`?)"))
                .unwrap_or_default();
            problems.push(format!(
                "{}: kube-apiserver {} has no flag `--{name}`{near}: it refuses to start (\"unknown flag: --{name}\")",
                path.display(),
                crate::toolchain::versions::KUBERNETES.version
            ));
            replayed.push(Substitution::new(
                format!("{}: --{name}", path.display()),
                format!("--{f}"),
                "not passed: the apiserver would refuse to start on it (see the static check); the rest runs",
            ));
            continue;
        }
        match f.split_once('=') {
            Some(("oidc-ca-file", v)) => ca_given = Some(v.to_string()),
            Some((k, v)) => flags.push(json!(format!("{k}={}", issuer(v)))),
            None => flags.push(json!(f)),
        }
    }
    if flags.is_empty() {
        return Err(Error::input(
            path,
            0,
            0,
            format!(
                "no --oidc-* flag in this {} and not an AuthenticationConfiguration",
                kind.describe()
            ),
        ));
    }
    let what = format!("{}: --oidc-ca-file", path.display());
    match (ca_given, dex_cert.filter(|c| !c.public)) {
        (None, Some(c)) => {
            replayed.push(Substitution::new(
                what,
                "(none: the system's CAs)",
                format!(
                    "none added: your Dex's certificate ({}) is not signed by a CA the system trusts, so the run's apiserver trusts the run's Dex no more than yours does",
                    c.subject
                ),
            ));
            problems.push(format!(
                "{}: the apiserver has no --oidc-ca-file and Dex's certificate ({}, {}) is not signed by a public CA: kube-apiserver refuses every token (x509: certificate signed by unknown authority); give --oidc-ca-file the CA that signed it",
                path.display(),
                c.subject,
                c.path.display()
            ));
        }
        (given, _) => {
            replayed.push(Substitution::new(
                what,
                given.unwrap_or_else(|| {
                    "(none: the system's CAs, so a publicly trusted certificate)".into()
                }),
                "the run's CA (it signs the run's Dex)",
            ));
            flags.push(json!("oidc-ca-file={{ tls.ca_file }}"));
        }
    }
    Ok(Some(json!({"oidc_flags": flags})))
}

/// The `--oidc-*` flags of the pinned kube-apiserver
/// (`pkg/kubeapiserver/options/authentication.go`).
const APISERVER_OIDC_FLAGS: &[&str] = &[
    "oidc-issuer-url",
    "oidc-client-id",
    "oidc-ca-file",
    "oidc-username-claim",
    "oidc-username-prefix",
    "oidc-groups-claim",
    "oidc-groups-prefix",
    "oidc-required-claim",
    "oidc-signing-algs",
];

/// Dex's redirect URIs that are kubelogin's on the user's machine
/// (`http://localhost:8000`) become the run's kubelogin's; any other stays,
/// so a client that lacks kubelogin's URI still lacks it.
/// Returns what the files alone show: a client that lists none of them.
fn map_kubelogin_redirects(
    dex: &mut Value,
    entry: &userclient::KubeloginEntry,
    path: &Path,
    replayed: &mut Vec<Substitution>,
) -> Option<String> {
    let theirs = entry.redirect_uris();
    let client_id = entry.value("--oidc-client-id").unwrap_or_default();
    let mut mapped = false;
    let mut listed = Vec::new();
    for client in dex["staticClients"].as_array_mut().into_iter().flatten() {
        if client["id"] != client_id {
            continue;
        }
        for uri in client["redirectURIs"].as_array_mut().into_iter().flatten() {
            listed.extend(uri.as_str().map(String::from));
            let Some(given) = uri.as_str().filter(|u| theirs.iter().any(|t| t == u)) else {
                continue;
            };
            let run = userclient::run_redirect(given);
            replayed.push(Substitution::new(
                format!(
                    "Dex staticClients `{client_id}` redirectURIs (kubelogin's, {})",
                    path.display()
                ),
                given,
                run.clone(),
            ));
            *uri = json!(run);
            mapped = true;
        }
    }
    (!mapped && !listed.is_empty()).then(|| {
        format!(
            "Dex client `{client_id}` lists none of the redirect URIs kubelogin sends ({}), only {listed:?}: Dex will answer `Unregistered redirect_uri`; add `{}` to its redirectURIs (kubelogin's --listen-address and --oidc-redirect-url-hostname make it)",
            theirs.join(", "),
            theirs.first().map(String::as_str).unwrap_or_default()
        )
    })
}

/// The user's RBAC manifests as one stream, subjects under Dex's issuer
/// (`https://…/dex#alice`) moved with it.
fn rbac_manifests(
    paths: &[PathBuf],
    dex_issuer: &str,
    replayed: &mut Vec<Substitution>,
) -> Result<String> {
    let mut out = Vec::new();
    for path in paths {
        let text = userinput::read(path, userinput::RBAC)?;
        let docs = crate::infra::yaml::documents(&text)
            .map_err(|e| userinput::not_yaml(path, e, userinput::RBAC))?;
        super::userrbac::check(path, &text, &docs)?;
        for doc in docs {
            let moved = rewrite_prefix(&doc, dex_issuer, "{{ dex.issuer }}");
            if moved != doc {
                replayed.push(Substitution::new(
                    format!("{}: subjects named under Dex's issuer", path.display()),
                    dex_issuer,
                    "{{ dex.issuer }}",
                ));
            }
            out.push(crate::infra::yaml::to_string(&moved).map_err(|e| {
                Error::input(path, 0, 0, format!("cannot write it back as YAML: {e}"))
            })?);
        }
    }
    Ok(out.join("---\n"))
}

/// The users to sign in as: those given, else the realm export's with a
/// plain-text password; none is an error saying how to give them (`at`
/// is the file it points to).
fn who_signs_in(given: &[Login], realm: Option<&Value>, at: &Path) -> Result<Vec<Login>> {
    let logins = if given.is_empty() {
        realm.map(plain_passwords).unwrap_or_default()
    } else {
        given.to_vec()
    };
    if logins.is_empty() {
        return Err(Error::input(
            at,
            0,
            0,
            match realm {
                None => {
                    "no user to sign in as: Dex's staticPasswords hold only hashes; pass --user EMAIL:PASSWORD, or put `EMAIL:PASSWORD` lines in a file `sign-in-users` beside the others"
                }
                Some(_) => {
                    "no user to sign in as: the export has no plain-text passwords; pass --user NAME:PASSWORD (or a `sign-in-users` file of NAME:PASSWORD lines)"
                }
            },
        ));
    }
    Ok(logins)
}

/// A `sign-in-users` file: `NAME:PASSWORD` per line (`#` comments), the
/// users to sign in as when the files hold no plain-text password.
fn sign_in_users(path: &Path) -> Result<Vec<Login>> {
    let text = userinput::read(path, userinput::SIGN_IN_USERS)?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(|(i, l)| {
            let (user, password) = l
                .trim()
                .split_once(':')
                .ok_or_else(|| Error::input(path, i + 1, 1, "expected NAME:PASSWORD"))?;
            Ok(Login {
                user: user.to_string(),
                password: password.to_string(),
            })
        })
        .collect()
}

/// Users of the export with a plain-text password credential.
fn plain_passwords(realm: &Value) -> Vec<Login> {
    realm["users"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|u| {
            let password = u["credentials"]
                .as_array()?
                .iter()
                .find(|c| c["type"] == "password")?["value"]
                .as_str()?;
            Some(Login {
                user: u["username"].as_str()?.to_string(),
                password: password.to_string(),
            })
        })
        .collect()
}

/// Replaces `from` at the start of every string by `to`.
fn rewrite_prefix(v: &Value, from: &str, to: &str) -> Value {
    match v {
        Value::String(s) if !from.is_empty() && s.starts_with(from) => {
            Value::String(format!("{to}{}", &s[from.len()..]))
        }
        Value::Array(items) => {
            Value::Array(items.iter().map(|i| rewrite_prefix(i, from, to)).collect())
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), rewrite_prefix(v, from, to)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// A user's file that cannot be used, with no line to point at.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_addresses_become_template_values_keeping_their_tails() {
        let v = json!({"a": "https://kc.example.com/realms/paletteai", "b": ["https://ai.example.com/dex/callback/"], "c": "other"});
        let v = rewrite_prefix(
            &v,
            "https://kc.example.com/realms/paletteai",
            "{{ keycloak.issuer }}",
        );
        let v = rewrite_prefix(&v, "https://ai.example.com/dex", "{{ dex.issuer }}");
        assert_eq!(
            v,
            json!({"a": "{{ keycloak.issuer }}", "b": ["{{ dex.issuer }}/callback/"], "c": "other"})
        );
    }
}

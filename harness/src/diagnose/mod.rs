//! Known misconfigurations: symptom → cause → fix.
//!
//! Each entry names the evidence that identifies it: what a run *showed* (the
//! page a sign-in ended on, Dex's log, the groups Dex logged, the claims) AND
//! what in the configuration explains it (the realm export, the Dex config).
//! A symptom alone is not enough: `groups=[]` has five causes, and the catalogue
//! tells them apart by the configuration. The happy path of every scenario
//! must match none. The catalogue reads the model only: a [`ConfigView`] and
//! the typed [`Evidence`] a case recorded (`evidence.json`), so it is tested
//! over recorded runs without starting anything.

use serde_json::Value;

use crate::model::evidence::{ConfigView, Evidence};
use crate::model::realm::{Client, Realm, truthy};
use crate::model::report::Diagnosis;

mod chain;
mod connectors;
mod front;
pub mod hops;
mod identity;
mod osmo;
mod profile;
mod signatures;
mod tokens;

pub use signatures::{signature_ids, signature_sources};

struct Known {
    id: &'static str,
    title: &'static str,
    cause: &'static str,
    fix: &'static str,
    reference: &'static str,
    matches: fn(&ConfigView, &Evidence) -> Option<String>,
}

const CATALOGUE: &[Known] = &[
    Known {
        id: "connector-json-invalid",
        title: "The connectors value does not parse: Dex never gets it",
        cause: "the value given to `juju config dex-auth connectors=` is not JSON (or YAML): e.g. the guide's oidc-connector.json as printed, without its opening `[{` and cut off after `\"scopes\": [`; the charm's config-changed hook fails on it",
        fix: "give a complete JSON list: `[{\"type\": \"oidc\", \"id\": \"keycloak\", \"name\": ..., \"config\": {..., \"scopes\": [\"openid\", \"profile\", \"email\"]}}]`, check it with `python3 -m json.tool oidc-connector.json`, then run juju config again",
        reference: "guide 002, Configure Charmed Kubeflow (oidc-connector.json); dex-auth charm: yaml.safe_load of `connectors`",
        matches: connectors::json_invalid,
    },
    Known {
        id: "connectors-not-a-list",
        title: "Dex cannot read its config: connectors is not a list",
        cause: "the connectors value is one object `{...}`, in Dex's config or in the charm's connectors option (which the charm passes on unchecked), instead of a list; Dex, which wants a list of connectors, refuses its whole config (\"error unmarshalling config file\") and exits",
        fix: "make connectors a list: `[{...}]` in JSON, or `- type: oidc` items in YAML",
        reference: "guide 002 comment thread (\"error unmarshalling\"); Dex config: `connectors` is a list",
        matches: connectors::not_a_list,
    },
    Known {
        id: "connector-field-type",
        title: "Dex cannot read its config: a connector field has the wrong type",
        cause: "a connector field is given with the wrong JSON type (e.g. `rootCAs` as a string where Dex wants a list of files); Dex refuses its whole config (\"error unmarshalling config file\") and exits",
        fix: "give the field the type Dex names (`rootCAs: [\"/path/ca.pem\"]`, `scopes: [\"openid\", ...]`)",
        reference: "guide 002 comment thread (\"error unmarshalling\"); Dex oidc connector config",
        matches: connectors::field_type,
    },
    Known {
        id: "connector-tls-hostname-mismatch",
        title: "Dex cannot open the connector: Keycloak's certificate is for another name",
        cause: "the certificate served at the connector's issuer (e.g. an ingress controller's default certificate, valid for `ingress.local` only) does not name the issuer's host, so Dex's discovery request fails its TLS check; Dex starts without the connector (or, when it was the only one, exits)",
        fix: "serve Keycloak with a certificate for the issuer's host (a TLS secret on the ingress), or use an issuer URL whose host the certificate names; add its CA to the connector's rootCAs",
        reference: "guide 002 comment thread: `x509: certificate is valid for ingress.local, not ...`",
        matches: connectors::tls_hostname_mismatch,
    },
    Known {
        id: "connector-tls-unknown-authority",
        title: "Dex cannot open the connector: it does not trust Keycloak's certificate",
        cause: "Keycloak's certificate is signed by a CA Dex does not trust (self-signed or a private CA) and the connector lists no rootCAs for it; Dex starts without the connector (or, when it was the only one, exits)",
        fix: "add the CA's PEM file to the connector's `rootCAs` (mounted into Dex's container), or serve Keycloak with a publicly trusted certificate",
        reference: "Dex oidc connector: rootCAs; guide 002 comment thread (certificate issue)",
        matches: connectors::tls_unknown_authority,
    },
    Known {
        id: "keycloak-profile-incomplete",
        title: "Keycloak asks the user to complete their profile",
        cause: "the user has no first or last name, which Keycloak's default user profile (24+) requires: its Verify Profile required action stops the sign-in at \"Update Account Information\" before it goes back to Dex",
        fix: "give the user a first and last name (Users > user > Details), or make them optional in Realm settings > User profile",
        reference: "guide 002, User configuration (Username, Email, Email Verified only)",
        matches: profile::profile_incomplete,
    },
    Known {
        id: "name-claim-missing",
        title: "Dex rejects the login: no `name` claim",
        cause: "the connector has no `userNameKey`, so Dex takes the username from the `name` claim, which Keycloak sends only for users with a first or last name",
        fix: "set `userNameKey: preferred_username` on the connector (as guide 002 does), or give the user a first and last name",
        reference: "guide 002, Configure Charmed Kubeflow (userNameKey); Dex oidc connector: userNameKey",
        matches: profile::name_claim_missing,
    },
    Known {
        id: "redirect-uri-mismatch",
        title: "Keycloak rejects Dex's redirect_uri",
        cause: "the connector's redirectURI is not exactly one of the Valid Redirect URIs of the Keycloak client (a trailing slash is enough)",
        fix: "make redirectURI in the Dex connector and Valid Redirect URIs on the client identical, character for character",
        reference: "guide 000, Common Issues: Invalid Redirect URI from Keycloak",
        matches: chain::redirect_uri_mismatch,
    },
    Known {
        id: "dex-callback-mismatch",
        title: "Dex refuses its own connector's redirectURI",
        cause: "the connector's redirectURI is not Dex's callback URL (`<issuer>/callback`), e.g. a trailing slash; Dex checks this before it ever redirects to Keycloak",
        fix: "set redirectURI to exactly `<Dex issuer>/callback`, and the same on the Keycloak client",
        reference: "guide 000, Common Issues: Invalid Redirect URI from Keycloak (Dex side)",
        matches: chain::dex_callback_mismatch,
    },
    Known {
        id: "static-password-hash-mismatch",
        title: "Dex rejects a static user's password",
        cause: "the bcrypt `hash` of the staticPasswords entry is not a hash of the password the user types",
        fix: "regenerate the hash from the real password (e.g. `htpasswd -bnBC 10 \"\" PASSWORD | tr -d ':'`) and put it in staticPasswords",
        reference: "guide 003 (Dex values: staticPasswords)",
        matches: chain::static_password_hash_mismatch,
    },
    Known {
        id: "invalid-scope",
        title: "Keycloak rejects a scope Dex requests",
        cause: "a scope in the connector's `scopes` (e.g. `groups`) is not a client scope assigned to the Keycloak client",
        fix: "create the client scope and assign it to the client as a Default scope",
        reference: "guide 000, Common Issues: Invalid Scopes Error",
        matches: chain::invalid_scope,
    },
    Known {
        id: "groups-not-enabled",
        title: "Dex drops the upstream groups",
        cause: "`insecureEnableGroups: true` is missing from the oidc connector: Dex ignores every groups claim, silently",
        fix: "add `insecureEnableGroups: true` to the connector config",
        reference: "guide 000, Common Issues: Empty Groups in Dex Logs",
        matches: chain::groups_not_enabled,
    },
    Known {
        id: "group-mapper-missing",
        title: "Keycloak sends no group claim",
        cause: "the client's dedicated scope (`dex-dedicated`) has no Group Membership mapper, so no token or userinfo carries the groups",
        fix: "add a Group Membership mapper (claim `member_groups`, full path off, ID token/access token/userinfo on) to `dex-dedicated`",
        reference: "guide 000, Common Issues: Empty Groups in Dex Logs",
        matches: chain::group_mapper_missing,
    },
    Known {
        id: "user-in-no-group",
        title: "The user is in no Keycloak group",
        cause: "the mapper works, but the user signing in is not a member of any group",
        fix: "add the user to a group (Users > user > Groups > Join Group)",
        reference: "guide 000, Common Issues: Empty Groups in Dex Logs",
        matches: chain::user_in_no_group,
    },
    Known {
        id: "groups-only-in-userinfo",
        title: "Groups are only in userinfo, and Dex does not read it",
        cause: "`getUserInfo` is off and the Group Membership mapper does not add the claim to the ID token",
        fix: "set `getUserInfo: true` on the connector, or turn on \"Add to ID token\" on the mapper",
        reference: "guide 000, Configure the Dex Connector (getUserInfo)",
        matches: chain::groups_only_in_userinfo,
    },
    Known {
        id: "claim-mapping-missing",
        title: "Dex looks for `groups` but Keycloak sends another claim",
        cause: "the mapper's Token Claim Name is not `groups` and the connector has no `claimMapping.groups` naming it",
        fix: "add `claimMapping: {groups: <the mapper's claim name>}` to the connector",
        reference: "guide 000, Configure the Dex Connector (claimMapping)",
        matches: chain::claim_mapping_missing,
    },
    Known {
        id: "upstream-groups-claim-wins",
        title: "An upstream `groups` claim overrides claimMapping",
        cause: "the upstream token carries both `groups` and the claim named in `claimMapping.groups`; Dex uses `groups` unless `overrideClaimMapping: true`",
        fix: "remove the second mapper, or set `overrideClaimMapping: true` on the connector",
        reference: "Dex oidc connector: claimMapping / overrideClaimMapping",
        matches: chain::upstream_groups_claim_wins,
    },
    Known {
        id: "full-group-path",
        title: "Groups arrive as full paths (`/admins`)",
        cause: "\"Full group path\" is on in the Group Membership mapper, so groups are `/admins`, not `admins`; RBAC bindings and group maps on `admins` never match",
        fix: "turn \"Full group path\" off on the mapper (or bind the `/admins` form)",
        reference: "guide 000, Configure the Keycloak Realm (Full group path: off)",
        matches: chain::full_group_path,
    },
    Known {
        id: "apiserver-audience-mismatch",
        title: "The apiserver rejects the token's audience",
        cause: "`--oidc-client-id` (or the jwt audiences) is not the client the token was issued to, so the token's `aud` does not match",
        fix: "set --oidc-client-id (or the jwt issuer's audiences) to the Dex client your kubelogin or app signs in with: the token's `aud` the apiserver log names",
        reference: "guide 003 (oidc-client-id: kubernetes)",
        matches: chain::apiserver_audience_mismatch,
    },
    Known {
        id: "apiserver-username-not-bound",
        title: "The apiserver names the user otherwise than the RBAC binding",
        cause: "the apiserver makes the username from --oidc-username-claim (default `sub`) and --oidc-username-prefix (default `<issuer>#` unless the claim is `email`); the binding names the user as the token's email (or another plain name), so it never matches and the user stays Forbidden",
        fix: "make the apiserver's username the name the binding uses (e.g. --oidc-username-claim=email, --oidc-username-prefix=-), or bind the username kubectl's Forbidden message shows",
        reference: "Kubernetes: OpenID Connect tokens (--oidc-username-claim, --oidc-username-prefix); guide 003 (clusterrolebinding --user)",
        matches: identity::username_not_bound,
    },
    Known {
        id: "kubelogin-groups-scope-missing",
        title: "kubelogin does not ask for the groups scope, so the token has no groups",
        cause: "Dex puts the user's groups in the ID token only when the client asks for the `groups` scope; kubelogin asks for `openid` and its --oidc-extra-scope values only, so without `groups` the apiserver sees no groups and a binding to a group never matches",
        fix: "add `--exec-arg=--oidc-extra-scope=groups` to the kubeconfig's user entry (and clear kubelogin's token cache so it signs in again)",
        reference: "Dex: scopes (groups); kubelogin: --oidc-extra-scope; guide 003 (oidc-login setup --oidc-extra-scope)",
        matches: identity::groups_scope_not_requested,
    },
    Known {
        id: "rbac-subject-spelled-otherwise",
        title: "The RBAC binding spells the user or group otherwise than the apiserver",
        cause: "the apiserver names the token's user and groups with its prefixes (--oidc-username-prefix, --oidc-groups-prefix, or `<issuer>#` by default), and Keycloak's full group path keeps its `/`; the binding names them without, so it matches nobody",
        fix: "bind the name `kubectl auth whoami` shows (the quoted one above), or change the apiserver's prefix so its name is the binding's",
        reference: "Kubernetes: OpenID Connect tokens (--oidc-groups-prefix, --oidc-username-prefix); RBAC subjects",
        matches: identity::subject_spelled_otherwise,
    },
    Known {
        id: "apiserver-issuer-mismatch",
        title: "The apiserver expects another issuer",
        cause: "`--oidc-issuer-url` differs from the token's `iss` (Dex's `issuer`), e.g. by a trailing slash",
        fix: "make --oidc-issuer-url exactly Dex's issuer, character for character",
        reference: "guide 003 (oidc-issuer-url = Dex issuer)",
        matches: chain::apiserver_issuer_mismatch,
    },
    Known {
        id: "kubelogin-stale-token-cache",
        title: "kubelogin hands kubectl a cached token the issuer no longer signs with",
        cause: "kubelogin's token cache holds an unexpired ID token from an earlier setup; kubelogin checks only its expiry, not its signature, so it never signs in again, but Dex now signs with other keys (it was installed again, or restarted with storage: memory) and the apiserver cannot verify the token",
        fix: "clear the token cache of the user entry (`rm -rf $HOME/.kube/cache/oidc`, or `kubectl oidc-login clean --token-cache-dir=$HOME/.kube/cache/oidc`), run kubectl again and sign in",
        reference: "guide 003, Validate: \"clear the token cache for the OIDC user\"",
        matches: tokens::stale_token_cache,
    },
    Known {
        id: "apiserver-token-expired",
        title: "The apiserver rejects an expired ID token",
        cause: "the token was sent after its `exp`: a token put in a kubeconfig as `token:` is never renewed (Dex's `expiry.idTokens` sets how long it lives, 24h by default)",
        fix: "use the guide's exec credential entry (kubelogin renews the token and signs in again when it has expired) instead of a static token, or get a new one with `kubectl oidc-login get-token`",
        reference: "guide 003 (expiry.idToken; kubectl config set-credentials oidc --exec-...)",
        matches: tokens::token_expired,
    },
    Known {
        id: "apiserver-untrusted-issuer",
        title: "The apiserver does not trust the token's issuer",
        cause: "the token's `iss` is none of the issuers the apiserver is configured with (--oidc-issuer-url, or the jwt issuers of an AuthenticationConfiguration); with user impersonation (guide 000) the apiserver trusts no OIDC issuer at all, so a Dex token sent to it directly is refused and group enforcement happens only in PaletteAI",
        fix: "either make the apiserver trust Dex (guide 003: --oidc-issuer-url = Dex's issuer) or send requests through the impersonation proxy; the guide makes the two mutually exclusive",
        reference: "guide 000, Configure User Impersonation (UI-only enforcement); guide 003",
        matches: tokens::untrusted_issuer,
    },
    Known {
        id: "impersonation-passthrough-with-dexgroupmap",
        title: "The impersonation proxy refuses groupsMode: passthrough with dexGroupMap",
        cause: "`groupsMode: passthrough` cannot be combined with `dexGroupMap`",
        fix: "use `groupsMode: map` and list every external group under groupMap, or drop dexGroupMap",
        reference: "guide 000, Configure User Impersonation",
        matches: chain::passthrough_with_dex_group_map,
    },
    Known {
        id: "impersonation-groups-passed-through",
        title: "The impersonation proxy passes Dex's groups through unmapped",
        cause: "with `groupsMode: passthrough` the proxy impersonates the Keycloak group names as they are (`admins`) and ignores groupMap; the RBAC bindings name the Kubernetes groups groupMap maps to (`admin`), so no binding matches (the guide's \"No Impersonation Groups Found\")",
        fix: "set `canvas.impersonationProxy.groupsMode: map` and list every external group under groupMap, or bind the Keycloak group names themselves",
        reference: "guide 000, Common Issues: No Impersonation Groups Found; Configure User Impersonation",
        matches: chain::impersonation_passthrough_unbound,
    },
    Known {
        id: "impersonation-group-not-in-groupmap",
        title: "A Keycloak group of the user is not under groupMap",
        cause: "with `groupsMode: map` the proxy impersonates only the groups groupMap maps; a group Dex issued that groupMap does not list is dropped, so the user gets no Kubernetes group for it (the guide's \"No Impersonation Groups Found\")",
        fix: "list the group under `canvas.impersonationProxy.groupMap` with the Kubernetes groups it stands for",
        reference: "guide 000, Common Issues: No Impersonation Groups Found (\"every external group is listed under groupMap\")",
        matches: chain::impersonation_group_not_in_group_map,
    },
    Known {
        id: "impersonation-local-user-not-in-dexgroupmap",
        title: "A local Dex user is not under dexGroupMap",
        cause: "users of Dex's own password database carry no groups; the impersonation proxy gives them only what dexGroupMap lists for them, so a local user missing from it is impersonated with no groups",
        fix: "add the user's email under `canvas.impersonationProxy.dexGroupMap` with its Kubernetes groups (with `groupsMode: map`)",
        reference: "guide 000, Common Issues: No Impersonation Groups Found (\"For local Dex users, confirm that each user is listed under dexGroupMap\")",
        matches: chain::impersonation_local_user_not_in_dex_group_map,
    },
    Known {
        id: "hop-unreachable",
        title: "The browser cannot reach a hop of the chain",
        cause: "the browser was sent to a host that refused the connection (nothing listens there: the program is down or crashed, or listens on another address) or did not answer in time (the program hangs, or a firewall drops the packets); the page is the browser's own, no program of the chain wrote it",
        fix: "start the program the message names, or make it listen where the URL points; check from the user's machine with `curl -v <url>`; a hop that accepts connections but never answers: look at that program's log and threads (a full heap, a stuck database)",
        reference: "Chromium's net error pages (ERR_CONNECTION_REFUSED, ERR_TIMED_OUT, ...)",
        matches: chain::hop_unreachable,
    },
    Known {
        id: "email-verified-claim-missing",
        title: "Dex rejects the login: no `email_verified` claim",
        cause: "`insecureSkipEmailVerified` is off and Keycloak's tokens carry no `email_verified` claim",
        fix: "set `insecureSkipEmailVerified: true`, or make Keycloak emit `email_verified` (the `email` scope's mapper)",
        reference: "guide 000, Configure the Dex Connector (insecureSkipEmailVerified)",
        matches: chain::email_verified_claim_missing,
    },
    Known {
        id: "oauth2-proxy-unverified-email",
        title: "oauth2-proxy refuses a user whose email is not verified",
        cause: "the ID token says `email_verified: false` (Keycloak's default for a new user; Dex passes an explicit false on) and oauth2-proxy accepts only verified emails unless told otherwise",
        fix: "set `insecure_oidc_allow_unverified_email = true` (`--insecure-oidc-allow-unverified-email=true`), as the guides do, or mark the user's email verified in Keycloak",
        reference: "guide 001 (oauth2_proxy.cfg); guide 004 (OAuth2 Proxy sidecar extraArgs)",
        matches: front::unverified_email_refused,
    },
    Known {
        id: "oauth2-proxy-cookie-secret-length",
        title: "oauth2-proxy refuses its cookie secret",
        cause: "oauth2-proxy decodes the cookie secret only as URL-safe base64 (`-` and `_`); `openssl rand -base64 32` prints standard base64, and whenever the value holds a `+` or `/` (3 times in 4) oauth2-proxy takes its 44 characters as the key, which is no AES key size",
        fix: "generate it URL-safe: `openssl rand -base64 32 | tr -- '+/' '-_'`, or use 32 plain characters (`openssl rand -hex 16`)",
        reference: "guide 004 (Create secrets: cookie_secret=$(openssl rand -base64 32))",
        matches: front::cookie_secret_not_decoded,
    },
    Known {
        id: "relative-urls-without-one-host",
        title: "oauth2-proxy's relative login URL does not reach Dex",
        cause: "`login_url = \"/dex/auth\"` (and `redirect_url`, Dex's `/oauth2/callback`) are relative: they work only when one host serves Dex under /dex/ and oauth2-proxy under /oauth2/, as Kubeflow's Istio gateway does; on oauth2-proxy's own host `/dex/auth` is one of its skip_auth_routes and goes to its upstream",
        fix: "put Dex and oauth2-proxy behind one host (the Istio ingress gateway's VirtualServices), or give absolute URLs: `login_url = \"https://<dex host>/dex/auth\"`, `redirect_url = \"https://<app host>/oauth2/callback\"` and the same redirect URI in Dex's static client",
        reference: "guide 001 (oauth2_proxy.cfg login_url, redirect_url, relative_redirect_url)",
        matches: front::relative_urls_without_one_host,
    },
    Known {
        id: "sign-out-keeps-provider-session",
        title: "Signing out of the application does not sign the user out of Keycloak",
        cause: "/oauth2/sign_out clears oauth2-proxy's own cookie only; Keycloak's SSO session (and its cookie in the browser) stays, so the next sign-in, or at once with skip_provider_button, goes through Keycloak without a password form. Dex has no end-session endpoint to pass the sign-out on",
        fix: "send the user on to Keycloak's end-session endpoint after the sign-out: `/oauth2/sign_out?rd=<url-encoded https://<keycloak>/realms/<realm>/protocol/openid-connect/logout?client_id=<client>&post_logout_redirect_uri=<a Valid Post Logout Redirect URI>>` (the rd host in whitelist_domains); with oauth2-proxy talking to Keycloak directly, `backend_logout_url = \"<end-session endpoint>?id_token_hint={id_token}\"`",
        reference: "oauth2-proxy: /oauth2/sign_out (rd), backend_logout_url; Keycloak: OIDC RP-initiated logout; guide 001 (Valid Post Logout Redirect URIs: …/oauth2/sign_out)",
        matches: front::sign_out_keeps_provider_session,
    },
    Known {
        id: "groups-scope-not-requested",
        title: "Dex has the groups but does not put them in the token",
        cause: "Dex adds the `groups` claim only for clients that ask for the `groups` scope; the client in front of the app (oauth2-proxy's `scope`) does not, so the app and the gateway see no groups although Dex logged them",
        fix: "add `groups` to the client's scopes (oauth2-proxy: `scope = \"profile email offline_access openid groups\"`)",
        reference: "guide 001 (oauth2_proxy.cfg scope); Dex: scopes",
        matches: front::groups_scope_not_requested,
    },
    Known {
        id: "gateway-jwks-outdated",
        title: "The gateway still holds Dex's old signing keys",
        cause: "Dex's signing keys changed (every restart with `storage: memory`, and its signer's rotation every 6 hours) while the Istio gateway checks tokens against the JWKS istiod fetched and inlined before, refreshed only every 20 minutes (PILOT_JWT_PUB_KEY_REFRESH_INTERVAL): until then every token Dex signs now is refused (`Jwks doesn't have key to match kid or alg from Jwt`), new sign-ins end on that text, and old tokens still pass",
        fix: "wait for istiod's refresh, or restart istiod to make it fetch the keys now; shorten PILOT_JWT_PUB_KEY_REFRESH_INTERVAL on istiod; keep Dex's keys across restarts with persistent storage (Kubeflow's manifests: `storage: kubernetes`)",
        reference: "Istio: RequestAuthentication jwksUri (istiod's JWKS resolver); Dex: signer keys_rotation_period; kubeflow/community-distribution#3491",
        matches: front::gateway_jwks_outdated,
    },
    Known {
        id: "request-authentication-without-audiences",
        title: "The gateway accepts a Dex token issued to any client",
        cause: "the RequestAuthentication's jwtRule lists no `audiences`, so Istio checks only the issuer and signature: a token Dex issued to another client (another app, a CLI) passes as the user",
        fix: "add `audiences: [<oauth2-proxy's client id>]` (and any machine clients meant to call Kubeflow) to the jwtRule",
        reference: "guide 001 (Update Istio Request Authentication)",
        matches: front::jwt_rule_without_audiences,
    },
    Known {
        id: "email-unverified-passed-through",
        title: "An unverified email passes through Dex",
        cause: "the user's email is not verified in Keycloak, which sends `email_verified: false`; `insecureSkipEmailVerified` only covers a MISSING claim, so Dex passes the `false` on and apps that require a verified email refuse the user",
        fix: "turn on Email verified for the user in Keycloak",
        reference: "Dex oidc connector: insecureSkipEmailVerified",
        matches: chain::email_unverified_passed,
    },
    Known {
        id: "osmo-role-missing-in-client",
        title: "An OSMO pool role exists in one client only",
        cause: "the role (e.g. `osmo-group1`) was created in, or assigned to the group from, only one of the clients `osmo-browser-flow` (Web UI) and `osmo-device` (CLI): the other client's tokens lack it, so OSMO denies that path",
        fix: "create the role in both clients and assign both to the group (group > Role Mapping > Assign Role > Filter by clients, select both)",
        reference: "guide 004, Troubleshooting: User Cannot Access Pool (Check Both Clients)",
        matches: osmo::role_missing_in_client,
    },
    Known {
        id: "osmo-role-name-format",
        title: "A pool role does not follow `osmo-<pool>`",
        cause: "OSMO makes pools visible only for roles named `osmo-<pool-group>` (`osmo-team1` -> pools `team1*`); a role named otherwise reaches the token but grants no pool",
        fix: "name the role `osmo-<pool-group-name>` in both clients and assign it to the group again",
        reference: "guide 004, Creating Roles in Keycloak (the role name is format-sensitive); Troubleshooting: Verify Role Names",
        matches: osmo::role_name_format,
    },
    Known {
        id: "osmo-roles-claim-missing",
        title: "Roles do not appear in the token OSMO reads",
        cause: "OSMO's Envoy reads the top-level `roles` claim of the verified token (the ID token); no mapper of the client emits the user's client roles as `roles`, and Keycloak's built-in `roles` scope only fills `resource_access` of the access token",
        fix: "add a User Client Role mapper (Client ID = the client, Token Claim Name `roles`, Multivalued, Add to ID token on) to each client's dedicated scope",
        reference: "guide 004, Troubleshooting: Roles Not Appearing in JWT Token (Check Client Scope)",
        matches: osmo::roles_claim_missing,
    },
    Known {
        id: "osmo-user-not-in-group",
        title: "The user is in no OSMO group",
        cause: "the token is valid but carries no OSMO role: the user belongs to no group whose role mapping holds the OSMO client roles",
        fix: "add the user to the group (Users > user > Groups > Join Group), then have them sign in again",
        reference: "guide 004, Troubleshooting: User Cannot Access Pool (Verify Group Membership)",
        matches: osmo::user_not_in_group,
    },
    Known {
        id: "envoy-provider-missing",
        title: "No Envoy JWT provider for the client's audience",
        cause: "`sidecars.envoy.jwt.providers` has no provider whose `audience` is the client the token was issued to (each client is its own audience), so Envoy answers 403 \"Audiences in Jwt are not allowed\"",
        fix: "configure one provider per client: audience `osmo-device` (CLI) and audience `osmo-browser-flow` (Web UI), same issuer and jwks_uri",
        reference: "guide 004, Envoy JWT providers (two IdP providers, one per client)",
        matches: osmo::envoy_provider_missing,
    },
    Known {
        id: "access-token-audience",
        title: "An access token without its client in `aud`",
        cause: "a Keycloak access token names a client in `aud` only for client roles the user holds (the `roles` scope's audience resolve); `azp` is the client. Envoy checks `aud` only, so a user without a role of the client (`aud: account`) is refused",
        fix: "send the ID token, whose `aud` is the client (OSMO's CLI and UI do), or add an Audience mapper (Included Client Audience = the client, Add to access token on) to the client",
        reference: "Envoy jwt_authn `audiences`; Keycloak: audience support (oidc-audience-mapper)",
        matches: osmo::access_token_audience,
    },
    Known {
        id: "device-endpoint-not-discovery",
        title: "The device endpoint is not the realm's device authorization endpoint",
        cause: "the CLI POSTs its device authorization request to `services.service.auth.device_endpoint`; the URL configured there is not the `device_authorization_endpoint` of the realm's discovery document (Keycloak's is `<issuer>/protocol/openid-connect/auth/device`), so Keycloak refuses the request and `osmo login` fails",
        fix: "set `device_endpoint` to the discovery document's `device_authorization_endpoint`",
        reference: "guide 004, OSMO Helm values for Keycloak (services.service.auth) and Keycloak endpoints table",
        matches: osmo::device_endpoint_not_discovery,
    },
    Known {
        id: "offline-access-not-granted",
        title: "The user may not have offline tokens",
        cause: "the client asks for `offline_access` (OSMO's CLI does) and the user lacks the `offline_access` role: users in an imported realm get no default roles unless the file lists them (`realmRoles: [default-roles-<realm>]`, as an export does); users created in the admin console get them",
        fix: "grant the user `default-roles-<realm>` (Users > user > Role mapping), or list it under `realmRoles` in the realm file",
        reference: "guide 004, Step 3 (Create Realm from the sample realm file) and Managing Users",
        matches: osmo::offline_access_not_granted,
    },
    Known {
        id: "apiserver-groups-claim-not-set",
        title: "The apiserver takes no groups from the token",
        cause: "without --oidc-groups-claim (or `claimMappings.groups` in an AuthenticationConfiguration) the apiserver gives an OIDC user only `system:authenticated`, whatever groups the token carries, so a binding to a group never matches",
        fix: "add --oidc-groups-claim=groups (the claim Dex issues the groups in), or `claimMappings: {groups: {claim: groups, prefix: \"\"}}`, and restart the apiserver",
        reference: "guide 003, Configure the API server (oidc-groups-claim: groups); Kubernetes: OpenID Connect tokens",
        matches: identity::groups_claim_not_set,
    },
    Known {
        id: "apiserver-groups-claim-not-in-token",
        title: "The apiserver reads groups from a claim the token does not have",
        cause: "--oidc-groups-claim (or `claimMappings.groups.claim`) names a claim other than the one Dex issues the groups in: Dex always calls it `groups`, whatever the upstream claim was (Keycloak's `member_groups` is mapped to it by the connector's claimMapping); a missing groups claim is not an error, the user simply has no groups",
        fix: "set --oidc-groups-claim=groups: the claim of Dex's ID token, not Keycloak's mapper name",
        reference: "guide 003 (oidc-groups-claim: groups); guide 000 (claimMapping groups: member_groups)",
        matches: identity::groups_claim_not_in_token,
    },
    Known {
        id: "rbac-group-not-in-keycloak",
        title: "An RBAC binding names a group that is no Keycloak group",
        cause: "the apiserver takes group names from the token as Keycloak sends them; a binding that names a group the realm does not have (one renamed in Keycloak, or named after another directory) matches nobody, while the users' real groups are bound to nothing",
        fix: "bind the group the users are in as `kubectl auth whoami` shows it, or create (or rename back) the Keycloak group the binding names; RBAC does not follow a rename",
        reference: "guide 000, Configure the Keycloak Realm (groups admins, editors, viewers); Kubernetes: RBAC subjects",
        matches: identity::rbac_group_not_in_keycloak,
    },
    Known {
        id: "token-groups-outdated",
        title: "The token still carries the groups the user had when signing in",
        cause: "a user's groups are copied into the ID token when Dex issues it; the apiserver reads them from the token and never asks Keycloak, so a change of membership reaches Kubernetes only with the user's next token (kubelogin keeps the old one until it expires: 24h with Dex's default expiry)",
        fix: "have the user sign in again (`kubectl oidc-login clean` or remove the entry's token cache, then any kubectl), or shorten Dex's `expiry.idTokens` so changes arrive sooner",
        reference: "guide 004, Troubleshooting (log out and back in after a role change); Dex: expiry.idTokens",
        matches: identity::token_groups_outdated,
    },
    Known {
        id: "rbac-binds-nobody-signed-in",
        title: "No RBAC binding names the signed-in user as the apiserver sees them",
        cause: "each binding grants its own subjects (checked by impersonating them), but none of them is the username or a group the apiserver computed from the user's token",
        fix: "bind the username or a group `kubectl auth whoami` shows for the user, or make the token carry the group the binding names",
        reference: "Kubernetes: RBAC (subjects); kubectl auth whoami",
        matches: identity::bound_by_nothing,
    },
];

/// Every catalogue entry the evidence matches, then every error signature
/// of the programs' sources it shows (`signatures.rs`) not already named.
/// Each signed-in user at the apiserver, against its settings and the
/// RBAC bindings (the hop report shows them).
pub fn identities(
    config: &ConfigView,
    seen: &Evidence,
) -> Vec<crate::model::report::IdentityCheck> {
    identity::checks(config, seen)
}

pub fn diagnose(config: &ConfigView, seen: &Evidence) -> Vec<Diagnosis> {
    let mut found: Vec<Diagnosis> = CATALOGUE
        .iter()
        .filter_map(|k| {
            (k.matches)(config, seen).map(|evidence| Diagnosis {
                id: k.id,
                title: k.title,
                cause: k.cause,
                fix: k.fix,
                reference: k.reference,
                evidence,
            })
        })
        .collect();
    for d in signatures::diagnose(seen) {
        if !found.iter().any(|f| f.id == d.id) {
            found.push(d);
        }
    }
    found
}

/// Every id the catalogue and the signatures know (for validating scenario files).
pub fn known_ids() -> Vec<&'static str> {
    CATALOGUE
        .iter()
        .map(|k| k.id)
        .chain(signatures::signature_ids())
        .collect()
}

// ---- what the configuration says ----

/// Every oidc connector of the Dex config: its id and its `config`.
fn oidc_connectors_by_id(c: &ConfigView) -> Vec<(&str, &Value)> {
    c.dex
        .as_ref()
        .and_then(|d| d["connectors"].as_array())
        .map(|cs| {
            cs.iter()
                .filter(|c| c["type"] == "oidc")
                .map(|c| (c["id"].as_str().unwrap_or("?"), &c["config"]))
                .collect()
        })
        .unwrap_or_default()
}

/// The `config` of every oidc connector of the Dex config.
fn oidc_connectors(c: &ConfigView) -> Vec<&Value> {
    oidc_connectors_by_id(c)
        .into_iter()
        .map(|(_, c)| c)
        .collect()
}

fn realm(c: &ConfigView) -> Option<Realm<'_>> {
    c.realm.as_ref().map(Realm)
}

/// The Keycloak client a connector signs in with.
fn client_of<'a>(c: &'a ConfigView, connector: &Value) -> Option<Client<'a>> {
    realm(c)?.client(connector["clientID"].as_str()?)
}

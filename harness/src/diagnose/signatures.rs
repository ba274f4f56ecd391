//! Error signatures of the real programs: texts the pinned Dex, Keycloak,
//! kube-apiserver and oauth2-proxy print at an error site of the sign-in path
//! that a misconfigured deployment reaches, each read from the program's own
//! source (`source`: module, version and file), with its cause and fix in
//! terms of the user's settings.
//!
//! Unlike the catalogue's entries, a signature reads the evidence only: the
//! program's own words name the cause. So [`super::diagnose`] appends them
//! AFTER the catalogue's diagnoses, and texts a catalogue matcher already
//! reads are left out here (the test `no_text_repeats_a_catalogue_needle`
//! holds this file to it).
//!
//! A text is a FIXED part of what the program prints (never a format verb),
//! looked for line by line where the program's words show: Dex's log, a page
//! the browser ended on, an OAuth refusal of the program, the apiserver's
//! klog lines, oauth2-proxy's log. A program that relays another's words
//! verbatim (Dex logging Keycloak's `error_description`, oauth2-proxy logging
//! Dex's token answer) lets that program's signature fire on the relaying log.
//! A *wrapper* signature (a program's generic "failed to ..." around another
//! error) stays silent on a line a specific signature explains.

use crate::model::evidence::{Evidence, Refusal};
use crate::model::report::Diagnosis;
use crate::model::text::truncate;

/// The program whose words a signature is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Program {
    Dex,
    Keycloak,
    ApiServer,
    OAuth2Proxy,
}

impl Program {
    fn name(self) -> &'static str {
        match self {
            Program::Dex => "Dex",
            Program::Keycloak => "Keycloak",
            Program::ApiServer => "kube-apiserver",
            Program::OAuth2Proxy => "oauth2-proxy",
        }
    }

    /// `Refusal::program` of its OAuth answers.
    fn refusal_program(self) -> Option<&'static str> {
        match self {
            Program::Dex => Some("dex"),
            Program::Keycloak => Some("keycloak"),
            Program::ApiServer | Program::OAuth2Proxy => None,
        }
    }
}

/// Where a text shows in the [`Evidence`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Place {
    /// Dex's log (`dex_log`, values decoded), with what Dex prints when it exits.
    DexLog,
    /// The text of a page a browser step ended on.
    Page,
    /// An OAuth error answer (`refusals`) of the signature's program.
    Refusal,
    /// The kube-apiserver's klog warning and error lines.
    ApiServerLog,
    /// oauth2-proxy's log, with what it printed when it would not start.
    OAuth2ProxyLog,
}

use Place::{ApiServerLog, DexLog, OAuth2ProxyLog, Page, Refusal as Answer};
use Program::{ApiServer, Dex, Keycloak, OAuth2Proxy};

pub(super) struct Signature {
    /// Stable, kebab-case, prefixed by the program.
    pub id: &'static str,
    pub program: Program,
    /// Fixed substrings as the program prints them; any one names the cause.
    pub texts: &'static [&'static str],
    /// A line holding one of these is another diagnosis's (a catalogue
    /// entry's needle), not this signature's.
    pub unless: &'static [&'static str],
    /// Where the texts show, in the order they are looked for.
    pub shows: &'static [Place],
    /// A program's wrapper around another error: silent on a line a
    /// specific signature reading the same place explains.
    pub wrapper: bool,
    pub title: &'static str,
    pub cause: &'static str,
    pub fix: &'static str,
    /// `<module>@<pinned version> <file in the module>`.
    pub source: &'static str,
}

/// The catalogue's x509 needles in Dex's log (`connectors.rs`): a wrapper
/// around one of them is the catalogue's line.
const DEX_X509: &[&str] = &[
    "x509: certificate is valid for",
    "doesn't contain any IP SANs",
    "x509: certificate is not valid for any names",
    "x509: certificate signed by unknown authority",
];

const NONE: &[&str] = &[];

pub(super) const SIGNATURES: &[Signature] = &[
    // ---- Dex: the authorization request ----
    Signature {
        id: "dex-unregistered-redirect-uri",
        program: Dex,
        texts: &["Unregistered redirect_uri.", "unregistered redirect_uri"],
        unless: NONE,
        shows: &[Page, DexLog],
        wrapper: false,
        title: "Dex refuses the client's redirect_uri",
        cause: "the redirect_uri the client sends is not one of the redirectURIs of its staticClients entry, character for character (a confidential client gets no loopback exception): e.g. oauth2-proxy's redirect_url, an app's callback, kubelogin's http://localhost:<port> (its --listen-address), or <issuer>/device/callback for the device flow",
        fix: "add the exact URI the client sends (scheme, host, port and path) to staticClients[].redirectURIs, or make the client send one that is listed",
        source: "dex@ab64ed778070 server/authflow/request.go",
    },
    Signature {
        id: "dex-unknown-client-id",
        program: Dex,
        texts: &["Invalid client_id", "invalid client_id provided"],
        unless: NONE,
        shows: &[Page, DexLog],
        wrapper: false,
        title: "Dex does not know the client_id",
        cause: "the client_id the client sends is no id of Dex's staticClients: a typo, another client's id, or idEnv naming a variable unset in Dex's environment (the id is then empty)",
        fix: "make the client's client_id (oauth2-proxy's client_id, kubelogin's --oidc-client-id, the app's) and staticClients[].id identical",
        source: "dex@ab64ed778070 server/authflow/request.go",
    },
    Signature {
        id: "dex-connector-not-allowed",
        program: Dex,
        texts: &[
            "Connector not allowed for this client",
            "connector not allowed for client",
        ],
        unless: NONE,
        shows: &[Page, DexLog, Answer],
        wrapper: false,
        title: "Dex does not let this client use the connector",
        cause: "the client's staticClients[].allowedConnectors does not list the connector the sign-in uses (the one the user picked, or the client's connector_id parameter)",
        fix: "add the connector's id to the client's allowedConnectors, or remove allowedConnectors to allow every connector",
        source: "dex@ab64ed778070 server/authflow/login.go",
    },
    Signature {
        id: "dex-no-connectors-for-client",
        program: Dex,
        texts: &["No connectors available for this client."],
        unless: NONE,
        shows: &[Page],
        wrapper: false,
        title: "Dex has no connector left for this client",
        cause: "once Dex filters its connectors by the client's allowedConnectors and by each connector's grantTypes, none is left: allowedConnectors names ids that are not in connectors, or every connector's grantTypes leaves out the client's flow",
        fix: "make allowedConnectors list ids of configured connectors (connectors[].id), and let connectors[].grantTypes include the flow (or remove grantTypes)",
        source: "dex@ab64ed778070 server/authflow/authorize.go",
    },
    Signature {
        id: "dex-connector-id-unknown",
        program: Dex,
        texts: &["Connector ID does not match a valid Connector"],
        unless: NONE,
        shows: &[Page],
        wrapper: false,
        title: "The client asks Dex for a connector it does not have",
        cause: "the client's login URL carries connector_id (e.g. in oauth2-proxy's login_url or kubelogin's --oidc-auth-request-extra-params) naming no id of Dex's connectors",
        fix: "use the connector's id exactly as in connectors[].id, or drop connector_id and let the user choose",
        source: "dex@ab64ed778070 server/authflow/authorize.go",
    },
    Signature {
        id: "dex-connector-grant-type",
        program: Dex,
        texts: &[
            "Requested connector does not support this grant type.",
            "connector does not allow requested grant type",
        ],
        unless: NONE,
        shows: &[Page, DexLog],
        wrapper: false,
        title: "The connector does not allow the client's flow",
        cause: "the connector's grantTypes leave out the grant the client uses (e.g. authorization_code only, while the client signs in with the device flow)",
        fix: "add the grant type to connectors[].grantTypes, or remove grantTypes (the connector then allows every grant)",
        source: "dex@ab64ed778070 server/authflow/login.go",
    },
    Signature {
        id: "dex-pkce-required",
        program: Dex,
        texts: &["PKCE is required."],
        unless: NONE,
        shows: &[Page, Answer],
        wrapper: false,
        title: "Dex requires PKCE and the client sends none",
        cause: "Dex's oauth2.pkce.enforce is on and the client's authorization request carries no code_challenge",
        fix: "make the client use PKCE (oauth2-proxy: code_challenge_method = \"S256\"; kubelogin does by default), or turn oauth2.pkce.enforce off",
        source: "dex@ab64ed778070 server/authflow/request.go",
    },
    Signature {
        id: "dex-response-type-unsupported",
        program: Dex,
        texts: &["Unsupported response type"],
        unless: NONE,
        shows: &[Page, Answer],
        wrapper: false,
        title: "Dex does not serve the client's response_type",
        cause: "the client asks for a response_type that Dex's oauth2.responseTypes does not list (it defaults to `code` only; implicit and hybrid flows need `id_token` / `token` listed)",
        fix: "list the response type in oauth2.responseTypes, or make the client use the code flow",
        source: "dex@ab64ed778070 server/authflow/request.go",
    },
    // ---- Dex: the connector and its upstream ----
    Signature {
        id: "dex-connector-issuer-mismatch",
        program: Dex,
        texts: &["did not match the issuer URL returned by provider"],
        unless: NONE,
        shows: &[DexLog],
        wrapper: false,
        title: "Dex cannot open the connector: its upstream names another issuer",
        cause: "the `issuer` in the upstream's discovery document is not the connector's issuer character for character: a trailing slash, http against https, another host or port (Keycloak announces the hostname it is configured with, or the one the request came in on), a realm name in another case",
        fix: "set the connector's issuer to exactly the `issuer` that <issuer>/.well-known/openid-configuration returns, or fix Keycloak's hostname settings so that it announces the URL Dex uses",
        source: "go-oidc/v3@v3.19.0 oidc/oidc.go",
    },
    Signature {
        id: "dex-connector-discovery-failed",
        program: Dex,
        texts: &["failed to get provider"],
        unless: DEX_X509,
        shows: &[DexLog],
        wrapper: true,
        title: "Dex cannot read the connector's discovery document",
        cause: "Dex could not fetch <issuer>/.well-known/openid-configuration for the connector's issuer: the URL is wrong (the realm, a missing /realms/, the port), the upstream is not reachable from where Dex runs (DNS, firewall, a proxy), or its TLS fails; Dex then starts without the connector (continue on connector failure) or exits",
        fix: "fetch the discovery URL from Dex's host or pod; correct connectors[].config.issuer, or make it reachable and trusted (rootCAs) from Dex",
        source: "dex@ab64ed778070 connector/oidc/oidc.go",
    },
    Signature {
        id: "dex-upstream-issuer-mismatch",
        program: Dex,
        texts: &["id token issued by a different provider"],
        unless: NONE,
        shows: &[DexLog],
        wrapper: false,
        title: "Dex rejects the upstream ID token: another issuer signed it",
        cause: "the upstream ID token's `iss` differs from the connector's issuer although discovery agreed: without a fixed hostname Keycloak names its issuer after each request's host, so the browser's host ends up in the token while Dex reached Keycloak under another",
        fix: "give Keycloak one hostname (KC_HOSTNAME / --hostname) that the browser and Dex both use, and set the connector's issuer to it",
        source: "go-oidc/v3@v3.19.0 oidc/verify.go",
    },
    Signature {
        id: "dex-upstream-token-expired",
        program: Dex,
        texts: &["oidc: token is expired", "before the nbf (not before) time"],
        unless: NONE,
        shows: &[DexLog],
        wrapper: false,
        title: "Dex finds the upstream's fresh ID token expired",
        cause: "by Dex's clock the ID token the upstream has just issued is past its `exp` (or before its `nbf`): the clocks of Dex's and Keycloak's hosts differ by more than the token's lifetime (the realm's or client's Access Token Lifespan, minutes by default), or that lifespan is set to seconds",
        fix: "synchronise the hosts' clocks (NTP); keep the Access Token Lifespan of the realm and client at minutes",
        source: "go-oidc/v3@v3.19.0 oidc/verify.go",
    },
    Signature {
        id: "dex-upstream-signature-invalid",
        program: Dex,
        texts: &["failed to verify signature"],
        unless: NONE,
        shows: &[DexLog],
        wrapper: false,
        title: "Dex cannot verify the upstream ID token's signature",
        cause: "no key of the upstream's JWKS verifies its ID token: the Keycloak client signs ID tokens with a symmetric algorithm (ID token signature algorithm HS256/HS512, whose key is never published), or the connector's providerDiscoveryOverrides.jwksURL points at another realm's keys",
        fix: "set the client's ID token signature algorithm to an asymmetric one (RS256, the default), and remove a jwksURL override that is not the realm's jwks_uri",
        source: "go-oidc/v3@v3.19.0 oidc/verify.go",
    },
    Signature {
        id: "dex-upstream-code-exchange-failed",
        program: Dex,
        texts: &["oidc: failed to get token"],
        unless: DEX_X509,
        shows: &[DexLog],
        wrapper: true,
        title: "Dex cannot redeem the upstream's authorization code",
        cause: "Dex's code exchange at the upstream's token endpoint failed: the connector's clientSecret is not the client's secret, the discovery document's token_endpoint names a host Dex cannot reach (only the browser can), or its TLS fails; the rest of the line is the upstream's answer",
        fix: "set clientSecret to the client's current secret, and make the token_endpoint of the discovery document reachable and trusted from Dex",
        source: "dex@ab64ed778070 connector/oidc/oidc.go",
    },
    Signature {
        id: "dex-userinfo-failed",
        program: Dex,
        texts: &["oidc: error loading userinfo"],
        unless: DEX_X509,
        shows: &[DexLog],
        wrapper: true,
        title: "Dex cannot read the upstream's userinfo",
        cause: "getUserInfo is on and the upstream's userinfo endpoint refused Dex's access token or could not be reached (e.g. Keycloak rejects a token issued under another hostname than the userinfo URL Dex calls)",
        fix: "make the discovery document's userinfo_endpoint reachable from Dex under the issuer's hostname, or turn getUserInfo off when the ID token carries the claims",
        source: "dex@ab64ed778070 connector/oidc/oidc.go",
    },
    Signature {
        id: "dex-claim-missing",
        program: Dex,
        texts: &["missing \""],
        unless: &["missing \"name\" claim", "missing \"email_verified\" claim"],
        shows: &[DexLog],
        wrapper: false,
        title: "Dex rejects the login: a claim it reads is missing",
        cause: "the upstream ID token (with getUserInfo, its userinfo) lacks a claim Dex requires: `sub` (Keycloak 25+ adds it through the `basic` client scope, which the client lacks), or the claim the connector's userNameKey names (e.g. preferred_username, which Keycloak sends with the `profile` scope)",
        fix: "assign the `basic` client scope to the client as a default scope; set userNameKey to a claim the tokens carry, or request the scope that adds it in the connector's scopes",
        source: "dex@ab64ed778070 connector/oidc/oidc.go",
    },
    Signature {
        id: "dex-email-claim-missing",
        program: Dex,
        texts: &["missing email claim, not found"],
        unless: NONE,
        shows: &[DexLog],
        wrapper: false,
        title: "Dex rejects the login: no email claim",
        cause: "the connector's scopes include `email` but the upstream sends no email claim (nor the claim claimMapping.email names): the user has no email address in Keycloak, or the client lacks the `email` client scope",
        fix: "give the user an email address, assign the `email` client scope to the client, or point claimMapping.email at a claim the tokens carry",
        source: "dex@ab64ed778070 connector/oidc/oidc.go",
    },
    Signature {
        id: "dex-groups-claim-malformed",
        program: Dex,
        texts: &["malformed \""],
        unless: NONE,
        shows: &[DexLog],
        wrapper: false,
        title: "Dex rejects the login: the groups claim is not a list of names",
        cause: "the groups claim (`groups`, or the one claimMapping.groups names) holds values that are neither strings nor objects with a `name`: e.g. a mapper emitting numbers or nested JSON",
        fix: "make the upstream emit the groups as a list of strings (Keycloak: a Group Membership mapper, or a multivalued String claim)",
        source: "dex@ab64ed778070 connector/oidc/oidc.go",
    },
    Signature {
        id: "dex-not-in-allowed-groups",
        program: Dex,
        texts: &["user not a member of allowed groups"],
        unless: NONE,
        shows: &[DexLog],
        wrapper: false,
        title: "Dex refuses a user outside the connector's allowedGroups",
        cause: "the connector's allowedGroups lists groups of which the user's groups claim holds none: the user is in none of them, the names differ (e.g. /admins as a full path), or the claim arrives empty",
        fix: "put the user in one of allowedGroups, or list the groups exactly as the claim carries them (Dex logs them in its `login successful` lines once allowedGroups is removed)",
        source: "dex@ab64ed778070 connector/oidc/oidc.go",
    },
    Signature {
        id: "dex-user-id-claim-missing",
        program: Dex,
        texts: &["oidc: not found "],
        unless: NONE,
        shows: &[DexLog],
        wrapper: false,
        title: "Dex rejects the login: no claim for userIDKey",
        cause: "the connector's userIDKey names a claim the upstream's ID token (or userinfo) does not carry",
        fix: "set userIDKey to a claim every token carries, or remove it (Dex then uses `sub`)",
        source: "dex@ab64ed778070 connector/oidc/oidc.go",
    },
    // ---- Dex: the token endpoint ----
    Signature {
        id: "dex-client-secret-mismatch",
        program: Dex,
        texts: &[
            "Invalid client credentials.",
            "invalid client_secret on token request",
            "missing client_secret on token request",
        ],
        unless: NONE,
        shows: &[DexLog, Answer, Page, OAuth2ProxyLog],
        wrapper: false,
        title: "Dex refuses the client's secret",
        cause: "the secret the client sends to Dex's token endpoint is not the secret of its staticClients entry (or it sends none, or authenticates as a client_id Dex does not know)",
        fix: "give the client its staticClients[].secret (oauth2-proxy's client_secret, the app's secret), or use secretEnv with the variable set in Dex's environment",
        source: "dex@ab64ed778070 server/grants/grants.go",
    },
    Signature {
        id: "dex-grant-type-not-enabled",
        program: Dex,
        texts: &["unsupported grant type"],
        unless: NONE,
        shows: &[DexLog],
        wrapper: false,
        title: "Dex does not serve the client's grant",
        cause: "the client uses a grant Dex does not serve: oauth2.grantTypes leaves it out, or, for the password grant, oauth2.passwordConnector is not set",
        fix: "add the grant to oauth2.grantTypes (or remove grantTypes); for the password grant set oauth2.passwordConnector to the connector that checks passwords (`local` for staticPasswords)",
        source: "dex@ab64ed778070 server/grants/grants.go",
    },
    Signature {
        id: "dex-auth-code-invalid",
        program: Dex,
        texts: &["Invalid or expired code parameter."],
        unless: NONE,
        shows: &[Answer, Page, OAuth2ProxyLog],
        wrapper: false,
        title: "Dex does not hold the authorization code",
        cause: "the code was redeemed at a Dex that does not hold it: several replicas each with `storage: memory` (or a restart between the redirect and the exchange), a code redeemed twice, or by another client_id than the one it was issued to",
        fix: "give Dex storage that all replicas share (kubernetes, postgres, mysql), or run one replica; the client must redeem its own code once",
        source: "dex@ab64ed778070 server/grants/authcode.go",
    },
    Signature {
        id: "dex-refresh-token-invalid",
        program: Dex,
        texts: &["Refresh token is invalid or has already been claimed by another client."],
        unless: NONE,
        shows: &[Answer, Page, OAuth2ProxyLog],
        wrapper: false,
        title: "Dex does not hold the refresh token",
        cause: "Dex no longer holds the refresh token the client sent: it restarted with `storage: memory`, several replicas each keep their own memory storage, or the token was already redeemed (refresh tokens rotate) by another copy of the client (oauth2-proxy replicas with their own sessions, a copied token cache)",
        fix: "give Dex persistent storage shared by its replicas (kubernetes, postgres, sqlite3 on a volume); allow concurrent redemption with expiry.refreshTokens.reuseInterval; then sign in again",
        source: "dex@ab64ed778070 server/grants/refresh.go",
    },
    Signature {
        id: "dex-refresh-token-expired",
        program: Dex,
        texts: &["Refresh token expired."],
        unless: NONE,
        shows: &[Answer, Page, OAuth2ProxyLog],
        wrapper: false,
        title: "Dex's refresh token has expired",
        cause: "the refresh token outlived Dex's expiry.refreshTokens.absoluteLifetime, or went unused longer than validIfNotUsedFor",
        fix: "sign in again; lengthen expiry.refreshTokens.absoluteLifetime / validIfNotUsedFor if sessions should last longer",
        source: "dex@ab64ed778070 server/grants/refresh.go",
    },
    Signature {
        id: "dex-upstream-refresh-failed",
        program: Dex,
        texts: &["failed to refresh identity"],
        unless: DEX_X509,
        shows: &[DexLog],
        wrapper: true,
        title: "Dex cannot refresh the user at the upstream",
        cause: "a client redeemed a Dex refresh token and the upstream refused Dex's own refresh of the user: the upstream session ended (SSO session idle or max, a restart) because the connector's scopes do not include offline_access, or the upstream revoked the token",
        fix: "add offline_access to the connector's scopes (the Keycloak user needs the offline_access role), or lengthen the realm's SSO session limits; a new sign-in gives the user a fresh upstream session",
        source: "dex@ab64ed778070 server/grants/refresh.go",
    },
    Signature {
        id: "dex-auth-request-expired",
        program: Dex,
        texts: &["User session has expired."],
        unless: NONE,
        shows: &[Page],
        wrapper: false,
        title: "Dex forgot the sign-in before it finished",
        cause: "the sign-in took longer than Dex's expiry.authRequests (24h by default): a value of seconds or a few minutes expires a sign-in that waits on the upstream's login page",
        fix: "set expiry.authRequests to minutes or hours (a Go duration, e.g. `10m`), then sign in again",
        source: "dex@ab64ed778070 server/authflow/response.go",
    },
    // ---- Dex: its config, as it prints it when it exits ----
    Signature {
        id: "dex-static-passwords-without-db",
        program: Dex,
        texts: &["cannot specify static passwords without enabling password db"],
        unless: NONE,
        shows: &[DexLog],
        wrapper: false,
        title: "Dex refuses staticPasswords without the password database",
        cause: "the config lists staticPasswords but enablePasswordDB is not true; Dex refuses the config and exits",
        fix: "set enablePasswordDB: true, or remove staticPasswords",
        source: "dex@ab64ed778070 cmd/dex/config.go",
    },
    Signature {
        id: "dex-static-password-hash-invalid",
        program: Dex,
        texts: &["malformed bcrypt hash", "no password hash provided"],
        unless: NONE,
        shows: &[DexLog],
        wrapper: false,
        title: "A staticPasswords entry has no bcrypt hash Dex can read",
        cause: "a staticPasswords entry's hash is not bcrypt (a plain password, a hash cut off or of another kind), or it has no hash and hashFromEnv names a variable unset in Dex's environment; Dex refuses the config and exits",
        fix: "put a bcrypt hash in `hash` (e.g. from `htpasswd -bnBC 10 \"\" PASSWORD | tr -d ':\\n'`, quoted in YAML), or set the variable hashFromEnv names",
        source: "dex@ab64ed778070 cmd/dex/config.go",
    },
    Signature {
        id: "dex-unknown-connector-type",
        program: Dex,
        texts: &["unknown connector type"],
        unless: NONE,
        shows: &[DexLog],
        wrapper: false,
        title: "Dex does not know the connector's type",
        cause: "a connector's type is none of Dex's connector types (lowercase: oidc, ldap, saml, github, oauth, ...; there is no `keycloak` type, Keycloak is `oidc`)",
        fix: "set connectors[].type to the Dex type that speaks to the upstream (`oidc` for Keycloak)",
        source: "dex@ab64ed778070 cmd/dex/config.go",
    },
    Signature {
        id: "dex-connector-incomplete",
        program: Dex,
        texts: &[
            "ID, Type and Name fields are required for a connector",
            "no config field for connector",
        ],
        unless: NONE,
        shows: &[DexLog],
        wrapper: false,
        title: "A Dex connector lacks id, type, name or config",
        cause: "a connectors entry has no `id`, `type`, `name` or `config`; Dex refuses the config and exits",
        fix: "give every connector an id, a type, a name and its config block",
        source: "dex@ab64ed778070 cmd/dex/serve.go",
    },
    Signature {
        id: "dex-static-client-incomplete",
        program: Dex,
        texts: &[
            "Secret or SecretEnv field is required for client",
            "Name field is required for a client",
            "ID or IDEnv field is required for a client",
        ],
        unless: NONE,
        shows: &[DexLog],
        wrapper: false,
        title: "A Dex static client lacks its name, id or secret",
        cause: "a staticClients entry has no name, no id (or idEnv), or no secret (or secretEnv) while it is not `public: true`; Dex refuses the config and exits",
        fix: "give the entry a name, an id and a secret (or secretEnv), or mark a client without a secret `public: true`",
        source: "dex@ab64ed778070 cmd/dex/serve.go",
    },
    Signature {
        id: "dex-config-incomplete",
        program: Dex,
        texts: &[
            "no issuer specified in config file",
            "no storage supplied in config file",
            "address to listen on",
            "no cert specified for HTTPS",
            "no private key specified for HTTPS",
        ],
        unless: NONE,
        shows: &[DexLog],
        wrapper: false,
        title: "Dex's config lacks a required key",
        cause: "a required top-level key is missing: issuer, storage (with its config), web.http or web.https, or, with web.https, web.tlsCert and web.tlsKey; Dex names it and exits",
        fix: "add the key Dex names to its config",
        source: "dex@ab64ed778070 cmd/dex/config.go",
    },
    Signature {
        id: "dex-expiry-not-a-duration",
        program: Dex,
        texts: &[
            "for id token expiry",
            "for auth request expiry",
            "for device request expiry",
            "invalid refresh token expiration policy config",
        ],
        unless: NONE,
        shows: &[DexLog],
        wrapper: false,
        title: "A Dex expiry is not a duration",
        cause: "an expiry value (expiry.idTokens, authRequests, deviceRequests, refreshTokens.*) is not a Go duration: the units are h, m and s (`24h`, `720h`, `10m`), there is no `d`",
        fix: "write the expiry in hours, minutes or seconds (`168h` for a week)",
        source: "dex@ab64ed778070 cmd/dex/serve.go",
    },
    Signature {
        id: "dex-no-connectors",
        program: Dex,
        texts: &["server: no connectors specified"],
        unless: NONE,
        shows: &[DexLog],
        wrapper: false,
        title: "Dex has no way to sign anyone in",
        cause: "the config has no connectors and enablePasswordDB is off (e.g. the connectors value never reached the config); Dex exits",
        fix: "configure a connector (connectors: [...]) or enable the password database (enablePasswordDB: true with staticPasswords)",
        source: "dex@ab64ed778070 server/server.go",
    },
    // ---- Keycloak ----
    Signature {
        id: "keycloak-client-not-found",
        program: Keycloak,
        texts: &["Client not found."],
        unless: NONE,
        shows: &[Page, Answer],
        wrapper: false,
        title: "Keycloak does not know the client",
        cause: "the client_id the relying party sends (the Dex connector's clientID, oauth2-proxy's client_id, a CLI's client) is no Client ID of the realm the issuer names: a typo, a client created in another realm, or the issuer's realm wrong",
        fix: "make the client_id and the Keycloak client's Client ID identical, in the realm of the issuer URL",
        source: "keycloak-services@26.7.3 org/keycloak/protocol/oidc/endpoints/AuthorizationEndpoint.java",
    },
    Signature {
        id: "keycloak-client-disabled",
        program: Keycloak,
        texts: &["Client disabled."],
        unless: NONE,
        shows: &[Page, Answer],
        wrapper: false,
        title: "The Keycloak client is disabled",
        cause: "the client exists but is disabled (Clients > client > Enabled off, or `enabled: false` in the realm file)",
        fix: "enable the client",
        source: "keycloak-services@26.7.3 org/keycloak/protocol/oidc/endpoints/AuthorizationEndpoint.java",
    },
    Signature {
        id: "keycloak-bearer-only-client",
        program: Keycloak,
        texts: &[
            "Bearer-only applications are not allowed to initiate browser login",
            "Bearer-only not allowed",
        ],
        unless: NONE,
        shows: &[Page, Answer],
        wrapper: false,
        title: "The Keycloak client is bearer-only",
        cause: "the client is bearer-only (`bearerOnly: true` in the realm file): it may only verify tokens, never sign a user in or get tokens",
        fix: "sign in with a client whose bearerOnly is false and Standard flow is on; keep bearer-only for APIs",
        source: "keycloak-services@26.7.3 org/keycloak/protocol/oidc/endpoints/AuthorizationEndpoint.java",
    },
    Signature {
        id: "keycloak-wrong-client-protocol",
        program: Keycloak,
        texts: &["Wrong client protocol."],
        unless: NONE,
        shows: &[Page],
        wrapper: false,
        title: "The Keycloak client is not an OpenID Connect client",
        cause: "the client the relying party names is a SAML client (protocol `saml`), so Keycloak's OpenID Connect endpoint refuses it",
        fix: "create an OpenID Connect client for the relying party (protocol `openid-connect`) and use its Client ID",
        source: "keycloak-services@26.7.3 org/keycloak/protocol/oidc/endpoints/AuthorizationEndpoint.java",
    },
    Signature {
        id: "keycloak-standard-flow-disabled",
        program: Keycloak,
        texts: &["Standard flow is disabled for the client."],
        unless: NONE,
        shows: &[Page, Answer, DexLog],
        wrapper: false,
        title: "The Keycloak client does not allow the browser sign-in",
        cause: "the client's Standard flow (the authorization code flow) is off (`standardFlowEnabled: false`), so Keycloak refuses the sign-in the relying party starts",
        fix: "turn on Standard flow on the client (Clients > client > Capability config), or set `standardFlowEnabled: true` in the realm file",
        source: "keycloak-services@26.7.3 org/keycloak/protocol/oidc/endpoints/AuthorizationEndpointChecker.java",
    },
    Signature {
        id: "keycloak-pkce-required",
        program: Keycloak,
        texts: &[
            "Missing parameter: code_challenge",
            "code challenge method is not matching the configured one",
        ],
        unless: NONE,
        shows: &[Page, Answer, DexLog],
        wrapper: false,
        title: "The Keycloak client requires PKCE the relying party does not send",
        cause: "the client requires PKCE (its `pkce.code.challenge.method` attribute, Advanced > Proof Key for Code Exchange Code Challenge Method) and the relying party sends no code_challenge, or another method (plain against S256)",
        fix: "make the relying party send PKCE with the client's method (Dex's oidc connector: pkceChallenge: S256; oauth2-proxy: code_challenge_method), or clear the client's PKCE method",
        source: "keycloak-services@26.7.3 org/keycloak/protocol/oidc/endpoints/AuthorizationEndpointChecker.java",
    },
    Signature {
        id: "keycloak-invalid-client-credentials",
        program: Keycloak,
        texts: &["Invalid client or Invalid client credentials"],
        unless: NONE,
        shows: &[Answer, DexLog, OAuth2ProxyLog, Page],
        wrapper: false,
        title: "Keycloak refuses the client's secret",
        cause: "Keycloak does not accept the credentials at its token endpoint: the secret the relying party sends (the Dex connector's clientSecret, oauth2-proxy's client_secret) is not the client's current secret (a realm imported without `secret` gets a generated one; regenerating replaces it), or the client_id is unknown",
        fix: "copy the secret from Clients > client > Credentials into the relying party's setting, or set `secret` in the realm file so it stays the same",
        source: "keycloak-services@26.7.3 org/keycloak/authentication/authenticators/client/ClientIdAndSecretAuthenticator.java",
    },
    Signature {
        id: "keycloak-client-secret-method",
        program: Keycloak,
        texts: &["Invalid method used to get client secret"],
        unless: NONE,
        shows: &[Answer, DexLog, OAuth2ProxyLog],
        wrapper: false,
        title: "The relying party sends the client secret another way than the client allows",
        cause: "the client allows one way of sending its secret (client_secret_basic or client_secret_post, its client authenticator's allowed method) and the relying party uses the other",
        fix: "clear the client's allowed secret method, or make the relying party send the secret the allowed way",
        source: "keycloak-services@26.7.3 org/keycloak/authentication/authenticators/client/ClientIdAndSecretAuthenticator.java",
    },
    Signature {
        id: "keycloak-https-required",
        program: Keycloak,
        texts: &["HTTPS required"],
        unless: NONE,
        shows: &[Page, Answer, DexLog, OAuth2ProxyLog],
        wrapper: false,
        title: "Keycloak refuses plain http",
        cause: "the realm's Require SSL (`sslRequired: external`, the default) refuses http requests from non-local addresses: Keycloak is reached over http (an http issuer URL, or a TLS-terminating proxy that does not forward the scheme)",
        fix: "reach Keycloak over https (an https issuer), or let the proxy forward its scheme (KC_PROXY_HEADERS=xforwarded or forwarded); set sslRequired to `none` only for a local test",
        source: "keycloak-services@26.7.3 org/keycloak/protocol/oidc/endpoints/TokenEndpoint.java",
    },
    Signature {
        id: "keycloak-realm-not-found",
        program: Keycloak,
        texts: &["Realm does not exist"],
        unless: NONE,
        shows: &[DexLog, OAuth2ProxyLog, ApiServerLog, Answer, Page],
        wrapper: false,
        title: "The issuer names a realm Keycloak does not have",
        cause: "the issuer URL's /realms/<name> names no realm of this Keycloak: the name differs (it is case-sensitive) or the realm was never imported",
        fix: "use https://<keycloak host>/realms/<realm name> with the realm's exact name in every component's issuer (the Dex connector, oauth2-proxy's oidc_issuer_url, the apiserver)",
        source: "keycloak-services@26.7.3 org/keycloak/services/resources/RealmsResource.java",
    },
    Signature {
        id: "keycloak-realm-disabled",
        program: Keycloak,
        texts: &["Realm not enabled"],
        unless: NONE,
        shows: &[Page, Answer, DexLog, OAuth2ProxyLog],
        wrapper: false,
        title: "The Keycloak realm is disabled",
        cause: "the realm is disabled (Realm settings > Enabled off; a realm file enables it with `\"enabled\": true`)",
        fix: "enable the realm, or add `\"enabled\": true` to the realm file",
        source: "keycloak-services@26.7.3 org/keycloak/protocol/AuthorizationEndpointBase.java",
    },
    Signature {
        id: "keycloak-login-cookie-lost",
        program: Keycloak,
        texts: &["Restart login cookie not found"],
        unless: NONE,
        shows: &[Page],
        wrapper: false,
        title: "Keycloak lost the sign-in's cookies",
        cause: "the browser came back to Keycloak's login form without the cookies Keycloak set when the sign-in started: the sign-in went through two hostnames of Keycloak (the relying party's authorization URL against Keycloak's configured hostname), Keycloak is served over plain http while its cookies are Secure, or a proxy drops them",
        fix: "reach Keycloak under one hostname over https (its KC_HOSTNAME the issuer's host), and let proxies pass its cookies",
        source: "keycloak-services@26.7.3 org/keycloak/services/resources/SessionCodeChecks.java",
    },
    Signature {
        id: "keycloak-user-disabled",
        program: Keycloak,
        texts: &[
            "Account is disabled, contact your administrator.",
            "Account disabled",
            "User disabled",
        ],
        unless: NONE,
        shows: &[Page, Answer, DexLog, OAuth2ProxyLog],
        wrapper: false,
        title: "The Keycloak user is disabled",
        cause: "the user is disabled (Users > user > Enabled off; a realm file enables a user with `\"enabled\": true`)",
        fix: "enable the user, or add `\"enabled\": true` to each user of the realm file",
        source: "keycloak-services@26.7.3 org/keycloak/authentication/authenticators/directgrant/ValidateUsername.java",
    },
    Signature {
        id: "keycloak-account-not-set-up",
        program: Keycloak,
        texts: &["Account is not fully set up"],
        unless: NONE,
        shows: &[Answer, Page],
        wrapper: false,
        title: "The password grant cannot finish the user's required actions",
        cause: "the user has pending required actions that only a browser sign-in can complete: a temporary password (`temporary: true` in the realm file's credentials), Verify Email, Update Profile, Configure OTP; the password grant (direct access) refuses them",
        fix: "clear the user's required actions (a non-temporary password, no requiredActions in the realm file), or sign in once in a browser to complete them",
        source: "keycloak-services@26.7.3 org/keycloak/protocol/oidc/grants/ResourceOwnerPasswordCredentialsGrantType.java",
    },
    Signature {
        id: "keycloak-code-not-valid",
        program: Keycloak,
        texts: &[
            "Code not valid",
            "Code is expired",
            "User session not found",
        ],
        unless: NONE,
        shows: &[DexLog, OAuth2ProxyLog, Answer, Page],
        wrapper: false,
        title: "Keycloak does not redeem the authorization code",
        cause: "the code was redeemed twice, too late (Keycloak's codes live about a minute), or at a Keycloak node that does not share the sign-in's session (replicas without a shared cache, or a restart between the redirect and the exchange)",
        fix: "run Keycloak's replicas as one cluster (a shared database and distributed caches) or one replica; let the relying party redeem each code once, promptly",
        source: "keycloak-services@26.7.3 org/keycloak/protocol/oidc/grants/AuthorizationCodeGrantType.java",
    },
    Signature {
        id: "keycloak-session-not-active",
        program: Keycloak,
        texts: &["Session not active", "Offline session not active"],
        unless: NONE,
        shows: &[DexLog, OAuth2ProxyLog, Answer, Page],
        wrapper: false,
        title: "Keycloak refuses a refresh: the user's session has ended",
        cause: "the Keycloak session behind the refresh token has ended (SSO Session Idle or Max passed, a logout, a restart without persistent sessions); a relying party that keeps users signed in longer (Dex refreshing its connector, oauth2-proxy's cookie_refresh) then fails",
        fix: "request offline_access (the Dex connector's scopes; the user needs the offline_access role) or lengthen the realm's SSO Session Idle and Max; sign in again",
        source: "keycloak-services@26.7.3 org/keycloak/protocol/oidc/TokenManager.java",
    },
    Signature {
        id: "keycloak-refresh-token-expired",
        program: Keycloak,
        texts: &["Token is not active"],
        unless: NONE,
        shows: &[DexLog, OAuth2ProxyLog, Answer, Page],
        wrapper: false,
        title: "Keycloak refuses an expired refresh token",
        cause: "the refresh token is past its exp: without offline_access Keycloak's refresh tokens live the realm's SSO Session Idle (30 minutes by default), so a relying party that refreshes less often (Dex refreshing its connector, oauth2-proxy's cookie_refresh) gets this",
        fix: "request offline_access, lengthen SSO Session Idle, or refresh more often than it (oauth2-proxy's cookie_refresh)",
        source: "keycloak-core@26.7.3 org/keycloak/TokenVerifier.java",
    },
    Signature {
        id: "keycloak-refresh-token-reused",
        program: Keycloak,
        texts: &[
            "Stale token",
            "Maximum allowed refresh token reuse exceeded",
        ],
        unless: NONE,
        shows: &[DexLog, OAuth2ProxyLog, Answer, Page],
        wrapper: false,
        title: "Keycloak refuses a refresh token used before",
        cause: "the realm's Revoke Refresh Token is on and a refresh token was redeemed again: two copies of the relying party (replicas, or Dex and a restart) refresh with the same token",
        fix: "turn Revoke Refresh Token off, or raise its Refresh Token Max Reuse; make one copy of the relying party refresh each token",
        source: "keycloak-services@26.7.3 org/keycloak/protocol/oidc/TokenManager.java",
    },
    Signature {
        id: "keycloak-userinfo-token-rejected",
        program: Keycloak,
        texts: &["Token verification failed"],
        unless: NONE,
        shows: &[DexLog, OAuth2ProxyLog, Answer],
        wrapper: false,
        title: "Keycloak's userinfo refuses the access token",
        cause: "the userinfo endpoint cannot verify the access token, usually because it was issued under another hostname (issuer) than the URL the userinfo request goes to: Keycloak without a fixed hostname, reached by the browser and by the relying party under different names",
        fix: "give Keycloak one hostname (KC_HOSTNAME) used by the browser and the relying party alike",
        source: "keycloak-services@26.7.3 org/keycloak/protocol/oidc/endpoints/UserInfoEndpoint.java",
    },
    Signature {
        id: "keycloak-lightweight-access-token",
        program: Keycloak,
        texts: &["Lightweight access token not allowed for userinfo endpoint"],
        unless: NONE,
        shows: &[DexLog, OAuth2ProxyLog, Answer],
        wrapper: false,
        title: "Keycloak's userinfo refuses a lightweight access token",
        cause: "the client issues lightweight access tokens (Always use lightweight access token on) and the relying party reads userinfo with one (Dex's getUserInfo)",
        fix: "turn Always use lightweight access token off for the client, or getUserInfo off when the ID token carries the claims",
        source: "keycloak-services@26.7.3 org/keycloak/protocol/oidc/endpoints/UserInfoEndpoint.java",
    },
    Signature {
        id: "keycloak-device-grant-disabled",
        program: Keycloak,
        texts: &[
            "Client is not allowed to initiate OAuth 2.0 Device Authorization Grant",
            "Client not allowed for OAuth 2.0 Device Authorization Grant",
        ],
        unless: NONE,
        shows: &[Answer, Page],
        wrapper: false,
        title: "The Keycloak client does not allow the device flow",
        cause: "the client's OAuth 2.0 Device Authorization Grant is off (attribute `oauth2.device.authorization.grant.enabled`), so Keycloak refuses the CLI's device authorization request",
        fix: "turn on OAuth 2.0 Device Authorization Grant on the client (Capability config), or set the attribute to \"true\" in the realm file",
        source: "keycloak-services@26.7.3 org/keycloak/protocol/oidc/grants/device/endpoints/DeviceEndpoint.java",
    },
    Signature {
        id: "keycloak-service-account-disabled",
        program: Keycloak,
        texts: &[
            "Client not enabled to retrieve service account",
            "Public client not allowed to retrieve service account",
        ],
        unless: NONE,
        shows: &[Answer, Page, OAuth2ProxyLog],
        wrapper: false,
        title: "The Keycloak client may not use client credentials",
        cause: "a client_credentials request for a client whose Service accounts roles are off (`serviceAccountsEnabled: false`), or a public client, which has no credentials",
        fix: "use a confidential client with Service accounts roles on (Client authentication on, Service accounts roles on) for machine tokens",
        source: "keycloak-services@26.7.3 org/keycloak/protocol/oidc/grants/ClientCredentialsGrantType.java",
    },
    // ---- kube-apiserver ----
    Signature {
        id: "apiserver-oidc-discovery-failed",
        program: ApiServer,
        texts: &["oidc authenticator: initializing plugin"],
        unless: &["did not match the issuer"],
        shows: &[ApiServerLog],
        wrapper: true,
        title: "The apiserver cannot read its issuer's discovery document",
        cause: "the apiserver could not fetch <issuer>/.well-known/openid-configuration of --oidc-issuer-url (or a jwt issuer's url / discoveryURL): it is unreachable from the apiserver (DNS, a host only the browser resolves), its TLS is not trusted (no --oidc-ca-file / certificateAuthority for a private CA), or the path is wrong; until it succeeds every token of that issuer is refused (the apiserver retries every 10s: lines that stop once the issuer is up, e.g. Dex running in the cluster itself, are harmless)",
        fix: "make the issuer reachable from the apiserver's host, give the CA that signs its certificate (--oidc-ca-file, or issuer.certificateAuthority), and check the URL with curl from there",
        source: "apiserver@v0.37.2 plugin/pkg/authenticator/token/oidc/oidc.go",
    },
    Signature {
        id: "apiserver-email-not-verified",
        program: ApiServer,
        texts: &["oidc: email not verified"],
        unless: NONE,
        shows: &[ApiServerLog],
        wrapper: false,
        title: "The apiserver refuses a username from an unverified email",
        cause: "the username claim is `email` (--oidc-username-claim=email, or claimMappings.username.claim) and the token says `email_verified: false`",
        fix: "verify the user's email at the identity provider, or map the username from another claim (e.g. sub or preferred_username, with a prefix)",
        source: "apiserver@v0.37.2 plugin/pkg/authenticator/token/oidc/oidc.go",
    },
    Signature {
        id: "apiserver-username-claim-missing",
        program: ApiServer,
        texts: &["oidc: parse username claims"],
        unless: NONE,
        shows: &[ApiServerLog],
        wrapper: false,
        title: "The token lacks the apiserver's username claim",
        cause: "the token has no claim named by --oidc-username-claim (or claimMappings.username.claim), or it is not a string: e.g. preferred_username or email while the client did not ask for the `profile` / `email` scope",
        fix: "map the username from a claim the tokens carry (sub is always there), or have the client (kubelogin's --oidc-extra-scope) request the scope that adds the claim",
        source: "apiserver@v0.37.2 plugin/pkg/authenticator/token/oidc/oidc.go",
    },
    Signature {
        id: "apiserver-groups-claim-malformed",
        program: ApiServer,
        texts: &["oidc: parse groups claim"],
        unless: NONE,
        shows: &[ApiServerLog],
        wrapper: false,
        title: "The token's groups claim is neither a string nor a list of strings",
        cause: "the claim named by --oidc-groups-claim (or claimMappings.groups.claim) holds objects, numbers or nested lists",
        fix: "point the groups claim at a list of names (Dex's `groups`), or make the identity provider emit strings",
        source: "apiserver@v0.37.2 plugin/pkg/authenticator/token/oidc/oidc.go",
    },
    Signature {
        id: "apiserver-required-claim-missing",
        program: ApiServer,
        texts: &["not present in ID token"],
        unless: NONE,
        shows: &[ApiServerLog],
        wrapper: false,
        title: "The token lacks a claim the apiserver requires",
        cause: "--oidc-required-claim (or a claimValidationRules claim) names a claim the token does not carry",
        fix: "make the identity provider add the claim, or drop the requirement",
        source: "apiserver@v0.37.2 plugin/pkg/authenticator/token/oidc/oidc.go",
    },
    Signature {
        id: "apiserver-required-claim-mismatch",
        program: ApiServer,
        texts: &["value does not match. Got = "],
        unless: NONE,
        shows: &[ApiServerLog],
        wrapper: false,
        title: "A required claim has another value",
        cause: "a claim named by --oidc-required-claim (or claimValidationRules claim / requiredValue) carries another value than required (only string values compare)",
        fix: "require the value the identity provider issues, or change the claim at the provider",
        source: "apiserver@v0.37.2 plugin/pkg/authenticator/token/oidc/oidc.go",
    },
    Signature {
        id: "apiserver-claim-validation-failed",
        program: ApiServer,
        texts: &["oidc: error evaluating claim validation expression"],
        unless: NONE,
        shows: &[ApiServerLog],
        wrapper: false,
        title: "A claimValidationRules expression refuses the token",
        cause: "a CEL expression of the AuthenticationConfiguration's claimValidationRules returned false (its message follows) or failed on the token's claims (e.g. a claim it reads is missing)",
        fix: "fix the expression (guard optional claims with has(claims.x)), or make the token carry what it checks",
        source: "apiserver@v0.37.2 plugin/pkg/authenticator/token/oidc/oidc.go",
    },
    Signature {
        id: "apiserver-user-validation-failed",
        program: ApiServer,
        texts: &["oidc: error evaluating user info validation rule"],
        unless: NONE,
        shows: &[ApiServerLog],
        wrapper: false,
        title: "A userValidationRules expression refuses the user",
        cause: "a CEL expression of the AuthenticationConfiguration's userValidationRules returned false for the mapped user (e.g. a username prefix it forbids) or failed",
        fix: "fix the rule, or the claim mappings that build the user it checks",
        source: "apiserver@v0.37.2 plugin/pkg/authenticator/token/oidc/oidc.go",
    },
    Signature {
        id: "apiserver-claim-mapping-failed",
        program: ApiServer,
        texts: &[
            "oidc: error evaluating username claim expression",
            "oidc: empty username via CEL expression is not allowed",
            "oidc: error evaluating group claim expression",
            "oidc: error evaluating uid claim expression",
            "oidc: error evaluating extra claim expression",
            "oidc: parse uid claim",
        ],
        unless: NONE,
        shows: &[ApiServerLog],
        wrapper: false,
        title: "A claimMappings expression fails on the token",
        cause: "a claimMappings expression (username, groups, uid or extra) of the AuthenticationConfiguration fails on the token's claims: it reads a claim the token lacks, returns the wrong type, or an empty username",
        fix: "guard optional claims (has(claims.x) ? ... : ...), return a string (a list of strings for groups), or map from claims the tokens carry",
        source: "apiserver@v0.37.2 plugin/pkg/authenticator/token/oidc/oidc.go",
    },
    Signature {
        id: "apiserver-unsupported-signing-alg",
        program: ApiServer,
        texts: &["id token signed with unsupported algorithm"],
        unless: NONE,
        shows: &[ApiServerLog],
        wrapper: false,
        title: "The apiserver does not accept the token's signing algorithm",
        cause: "the issuer signs its ID tokens with an algorithm the apiserver does not accept: it accepts RS256 only unless --oidc-signing-algs lists others, and the issuer uses e.g. ES256 (Dex's signer algorithm, Keycloak's realm default signature algorithm)",
        fix: "list the issuer's algorithm in --oidc-signing-algs, or make the issuer sign with RS256",
        source: "go-oidc@v2.5.0+incompatible verify.go",
    },
    // ---- oauth2-proxy: its configuration, as it prints it when it exits ----
    Signature {
        id: "oauth2-proxy-email-domains-missing",
        program: OAuth2Proxy,
        texts: &["missing setting for email validation"],
        unless: NONE,
        shows: &[OAuth2ProxyLog],
        wrapper: false,
        title: "oauth2-proxy has no rule for which emails to let in",
        cause: "none of email_domains, authenticated_emails_file or htpasswd_file is set, so oauth2-proxy would authorise nobody and refuses to start",
        fix: "set email_domains (`[\"*\"]` for any address, or the users' domains), or authenticated_emails_file",
        source: "oauth2-proxy@v7.15.2 pkg/validation/options.go",
    },
    Signature {
        id: "oauth2-proxy-client-id-missing",
        program: OAuth2Proxy,
        texts: &["provider missing setting: client-id"],
        unless: NONE,
        shows: &[OAuth2ProxyLog],
        wrapper: false,
        title: "oauth2-proxy has no client_id",
        cause: "client_id (--client-id, OAUTH2_PROXY_CLIENT_ID) is not set; oauth2-proxy refuses to start",
        fix: "set client_id to the client's id at the provider (Dex's staticClients[].id, the Keycloak client's Client ID)",
        source: "oauth2-proxy@v7.15.2 pkg/validation/providers.go",
    },
    Signature {
        id: "oauth2-proxy-client-secret-missing",
        program: OAuth2Proxy,
        texts: &["missing setting: client-secret or client-secret-file"],
        unless: NONE,
        shows: &[OAuth2ProxyLog],
        wrapper: false,
        title: "oauth2-proxy has no client secret",
        cause: "neither client_secret (OAUTH2_PROXY_CLIENT_SECRET) nor client_secret_file is set (an environment variable from a Secret that did not reach the container, a misspelt key); oauth2-proxy refuses to start",
        fix: "set client_secret, or client_secret_file to a mounted file holding it",
        source: "oauth2-proxy@v7.15.2 pkg/validation/providers.go",
    },
    Signature {
        id: "oauth2-proxy-client-secret-file-unreadable",
        program: OAuth2Proxy,
        texts: &["could not read client secret file"],
        unless: NONE,
        shows: &[OAuth2ProxyLog],
        wrapper: false,
        title: "oauth2-proxy cannot read client_secret_file",
        cause: "client_secret_file names a file that does not exist in the container or is unreadable (the Secret is mounted elsewhere or under another key)",
        fix: "point client_secret_file at the mounted file, or set client_secret",
        source: "oauth2-proxy@v7.15.2 pkg/validation/providers.go",
    },
    Signature {
        id: "oauth2-proxy-cookie-secret-missing",
        program: OAuth2Proxy,
        texts: &["missing setting: cookie-secret or cookie-secret-file"],
        unless: NONE,
        shows: &[OAuth2ProxyLog],
        wrapper: false,
        title: "oauth2-proxy has no cookie secret",
        cause: "neither cookie_secret (OAUTH2_PROXY_COOKIE_SECRET) nor cookie_secret_file is set; oauth2-proxy refuses to start",
        fix: "set cookie_secret to 16, 24 or 32 bytes (e.g. `openssl rand -hex 16`), or cookie_secret_file",
        source: "oauth2-proxy@v7.15.2 pkg/validation/cookie.go",
    },
    Signature {
        id: "oauth2-proxy-cookie-samesite-invalid",
        program: OAuth2Proxy,
        texts: &["must be one of ['', 'lax', 'strict', 'none']"],
        unless: NONE,
        shows: &[OAuth2ProxyLog],
        wrapper: false,
        title: "oauth2-proxy's cookie_samesite is not a SameSite value",
        cause: "cookie_samesite is none of '', lax, strict, none (they are lowercase); oauth2-proxy refuses to start",
        fix: "set cookie_samesite to lax, strict or none (none needs cookie_secure = true)",
        source: "oauth2-proxy@v7.15.2 pkg/validation/cookie.go",
    },
    Signature {
        id: "oauth2-proxy-cookie-refresh-not-below-expire",
        program: OAuth2Proxy,
        texts: &["must be less than cookie_expire"],
        unless: NONE,
        shows: &[OAuth2ProxyLog],
        wrapper: false,
        title: "oauth2-proxy's cookie_refresh is not shorter than cookie_expire",
        cause: "cookie_refresh is cookie_expire or longer, so the session would expire before it is ever refreshed; oauth2-proxy refuses to start",
        fix: "set cookie_refresh below cookie_expire (and below the provider's token lifetime), or 0 to never refresh",
        source: "oauth2-proxy@v7.15.2 pkg/validation/cookie.go",
    },
    Signature {
        id: "oauth2-proxy-provider-ca-unreadable",
        program: OAuth2Proxy,
        texts: &["unable to load provider CA file(s)"],
        unless: NONE,
        shows: &[OAuth2ProxyLog],
        wrapper: false,
        title: "oauth2-proxy cannot load provider_ca_files",
        cause: "a file of provider_ca_files does not exist in the container or holds no PEM certificate; oauth2-proxy refuses to start",
        fix: "mount the CA's PEM file and point provider_ca_files at it",
        source: "oauth2-proxy@v7.15.2 pkg/validation/options.go",
    },
    Signature {
        id: "oauth2-proxy-config-unreadable",
        program: OAuth2Proxy,
        texts: &["failed to load config:"],
        unless: NONE,
        shows: &[OAuth2ProxyLog],
        wrapper: false,
        title: "oauth2-proxy cannot read its config file",
        cause: "the file given with --config is missing or not valid TOML for oauth2-proxy's options (e.g. an unquoted string, a list where a value is expected); the rest of the line names it",
        fix: "fix the file at the place the line names (strings quoted, lists in [...]), or pass the options as flags or environment variables",
        source: "oauth2-proxy@v7.15.2 main.go",
    },
    Signature {
        id: "oauth2-proxy-unknown-provider",
        program: OAuth2Proxy,
        texts: &["unknown provider type"],
        unless: NONE,
        shows: &[OAuth2ProxyLog],
        wrapper: false,
        title: "oauth2-proxy does not know the provider type",
        cause: "provider names no provider of oauth2-proxy (Dex and Keycloak are `oidc`, or `keycloak-oidc` for Keycloak)",
        fix: "set provider = \"oidc\" with oidc_issuer_url",
        source: "oauth2-proxy@v7.15.2 providers/providers.go",
    },
    // ---- oauth2-proxy: discovery and the ID token ----
    Signature {
        id: "oauth2-proxy-oidc-discovery-failed",
        program: OAuth2Proxy,
        texts: &["failed to discover OIDC configuration"],
        unless: NONE,
        shows: &[OAuth2ProxyLog],
        wrapper: true,
        title: "oauth2-proxy cannot read its issuer's discovery document",
        cause: "oauth2-proxy could not fetch <oidc_issuer_url>/.well-known/openid-configuration at start: the URL is wrong, unreachable from oauth2-proxy (a host only the browser resolves), or its TLS is not trusted (a private CA without provider_ca_files)",
        fix: "check the URL from oauth2-proxy's container; correct oidc_issuer_url, add the CA with provider_ca_files, or give the endpoints with skip_oidc_discovery and login_url / redeem_url / oidc_jwks_url",
        source: "oauth2-proxy@v7.15.2 pkg/providers/oidc/provider.go",
    },
    Signature {
        id: "oauth2-proxy-issuer-mismatch",
        program: OAuth2Proxy,
        texts: &["oidc: issuer did not match the issuer returned by provider"],
        unless: NONE,
        shows: &[OAuth2ProxyLog],
        wrapper: false,
        title: "oauth2-proxy's oidc_issuer_url is not the provider's issuer",
        cause: "oidc_issuer_url differs from the `issuer` of the provider's discovery document character for character (a trailing slash, http against https, an internal host name)",
        fix: "set oidc_issuer_url to exactly the issuer the discovery document returns (Dex's issuer); insecure_oidc_skip_issuer_verification only hides the difference",
        source: "oauth2-proxy@v7.15.2 pkg/providers/oidc/provider.go",
    },
    Signature {
        id: "oauth2-proxy-no-common-signing-alg",
        program: OAuth2Proxy,
        texts: &["no supported signing algorithms in common between provider and configuration"],
        unless: NONE,
        shows: &[OAuth2ProxyLog],
        wrapper: false,
        title: "oauth2-proxy accepts none of the provider's signing algorithms",
        cause: "oidc_enabled_signing_algs lists no algorithm of the provider's id_token_signing_alg_values_supported",
        fix: "list the provider's algorithm (RS256 for Dex by default) in oidc_enabled_signing_algs, or remove the option",
        source: "oauth2-proxy@v7.15.2 pkg/providers/oidc/provider_verifier.go",
    },
    Signature {
        id: "oauth2-proxy-audience-mismatch",
        program: OAuth2Proxy,
        texts: &["does not match with any of allowed audiences"],
        unless: NONE,
        shows: &[OAuth2ProxyLog],
        wrapper: false,
        title: "oauth2-proxy refuses the ID token's audience",
        cause: "the ID token's audience is neither client_id nor one of oidc_extra_audiences: oauth2-proxy signs in as one client and the token was issued to another (client_id differs from the provider's client, or oidc_audience_claims reads another claim)",
        fix: "make client_id the client the provider issues the token to, or add that client to oidc_extra_audiences",
        source: "oauth2-proxy@v7.15.2 pkg/providers/oidc/verifier.go",
    },
    Signature {
        id: "oauth2-proxy-audience-claim-missing",
        program: OAuth2Proxy,
        texts: &["do not exist in claims"],
        unless: NONE,
        shows: &[OAuth2ProxyLog],
        wrapper: false,
        title: "The ID token has none of oauth2-proxy's audience claims",
        cause: "oidc_audience_claims names claims the ID token does not carry (it defaults to `aud`)",
        fix: "set oidc_audience_claims to a claim the token carries (`aud`, or `azp`), or remove it",
        source: "oauth2-proxy@v7.15.2 pkg/providers/oidc/verifier.go",
    },
    Signature {
        id: "oauth2-proxy-id-token-rejected",
        program: OAuth2Proxy,
        texts: &["could not verify id_token"],
        unless: NONE,
        shows: &[OAuth2ProxyLog],
        wrapper: true,
        title: "oauth2-proxy rejects the provider's ID token",
        cause: "the ID token fails oauth2-proxy's checks, the rest of the line says which: its iss is not oidc_issuer_url (discovery skipped or issuer verification turned off), it is expired (the clocks differ), or no key of oidc_jwks_url verifies it",
        fix: "make oidc_issuer_url, oidc_jwks_url and the host clocks agree with the provider that issues the token",
        source: "oauth2-proxy@v7.15.2 providers/oidc.go",
    },
    Signature {
        id: "oauth2-proxy-no-id-token",
        program: OAuth2Proxy,
        texts: &["token response did not contain an id_token"],
        unless: NONE,
        shows: &[OAuth2ProxyLog],
        wrapper: false,
        title: "The provider gave oauth2-proxy no ID token",
        cause: "oauth2-proxy's scope lacks `openid`, so the provider answers as plain OAuth 2.0 without an ID token",
        fix: "put `openid` in scope (e.g. \"openid email profile\")",
        source: "oauth2-proxy@v7.15.2 providers/oidc.go",
    },
    Signature {
        id: "oauth2-proxy-no-email",
        program: OAuth2Proxy,
        texts: &["neither the id_token nor the profileURL set an email"],
        unless: NONE,
        shows: &[OAuth2ProxyLog],
        wrapper: false,
        title: "oauth2-proxy gets no email for the user",
        cause: "the ID token carries no email (nor the claim oidc_email_claim names): oauth2-proxy's scope lacks `email`, or the user has no email address at the provider",
        fix: "add `email` to scope, give the user an email, or set oidc_email_claim to a claim the token carries (e.g. preferred_username)",
        source: "oauth2-proxy@v7.15.2 providers/oidc.go",
    },
    Signature {
        id: "oauth2-proxy-token-exchange-failed",
        program: OAuth2Proxy,
        texts: &["token exchange failed"],
        unless: NONE,
        shows: &[OAuth2ProxyLog],
        wrapper: true,
        title: "oauth2-proxy cannot redeem the authorization code",
        cause: "oauth2-proxy's code exchange at the provider's token endpoint failed: the endpoint (from discovery, or redeem_url) is not reachable from oauth2-proxy, its TLS is not trusted, or the provider refused the exchange (the rest of the line is its answer)",
        fix: "make the token endpoint reachable and trusted from oauth2-proxy's container (provider_ca_files), and client_id / client_secret / redirect_url the provider's",
        source: "oauth2-proxy@v7.15.2 providers/oidc.go",
    },
    // ---- oauth2-proxy: the callback, cookies and sessions ----
    Signature {
        id: "oauth2-proxy-provider-returned-error",
        program: OAuth2Proxy,
        texts: &[
            "The upstream identity provider returned an error",
            "Error while parsing OAuth2 callback: ",
        ],
        unless: NONE,
        shows: &[OAuth2ProxyLog, Page],
        wrapper: false,
        title: "The provider sent oauth2-proxy back with an error",
        cause: "the provider redirected to oauth2-proxy's callback with error=<code> instead of a code; oauth2-proxy logs only the code, the provider's log or the callback URL's error_description names the setting (e.g. a scope the provider does not know, a connector the client may not use, PKCE)",
        fix: "read the provider's log for the same moment (Dex's log) and fix the setting it names in oauth2-proxy's scope, client_id or login_url parameters",
        source: "oauth2-proxy@v7.15.2 oauthproxy.go",
    },
    Signature {
        id: "oauth2-proxy-csrf-cookie-missing",
        program: OAuth2Proxy,
        texts: &["unable to obtain CSRF cookie"],
        unless: NONE,
        shows: &[OAuth2ProxyLog],
        wrapper: false,
        title: "oauth2-proxy's CSRF cookie did not come back",
        cause: "the browser reached the callback without the CSRF cookie set at /oauth2/start: cookie_secure is true while the site is plain http, redirect_url names another host than the one the sign-in started on, cookie_domains does not cover the host, or another replica with a different cookie_secret took the callback",
        fix: "serve oauth2-proxy over https or set cookie_secure = false for plain http; make redirect_url's host the one users browse; give every replica the same cookie_secret",
        source: "oauth2-proxy@v7.15.2 oauthproxy.go",
    },
    Signature {
        id: "oauth2-proxy-cookie-domain-mismatch",
        program: OAuth2Proxy,
        texts: &[
            "did not match any of the specific cookie domains",
            "but using configured cookie domain of",
        ],
        unless: NONE,
        shows: &[OAuth2ProxyLog],
        wrapper: false,
        title: "oauth2-proxy's cookie_domains do not cover the host",
        cause: "the request's host is not within cookie_domains, so the browser drops oauth2-proxy's cookies and the sign-in never sticks",
        fix: "set cookie_domains to the host users browse (or a parent domain starting with a dot), or remove it",
        source: "oauth2-proxy@v7.15.2 pkg/cookies/cookies.go",
    },
    Signature {
        id: "oauth2-proxy-unauthorized",
        program: OAuth2Proxy,
        texts: &["Invalid authentication via OAuth2: unauthorized"],
        unless: NONE,
        shows: &[OAuth2ProxyLog],
        wrapper: false,
        title: "oauth2-proxy signs the user in but does not authorise them",
        cause: "the user's email is outside email_domains (and authenticated_emails_file), or allowed_groups lists none of the groups in the token (its oidc_groups_claim is empty when the client does not request the `groups` scope)",
        fix: "add the user's domain to email_domains (or `*`), or request `groups` in scope and list the token's group names in allowed_groups",
        source: "oauth2-proxy@v7.15.2 oauthproxy.go",
    },
    Signature {
        id: "oauth2-proxy-cookie-signature-invalid",
        program: OAuth2Proxy,
        texts: &["cookie signature not valid"],
        unless: NONE,
        shows: &[OAuth2ProxyLog],
        wrapper: false,
        title: "oauth2-proxy cannot read its own session cookie",
        cause: "the session cookie was signed with another cookie_secret: replicas with different secrets (each generating its own), or the secret changed since the user signed in",
        fix: "give every replica the same cookie_secret (from one Secret); users then sign in once more",
        source: "oauth2-proxy@v7.15.2 pkg/sessions/cookie/session_store.go",
    },
    Signature {
        id: "oauth2-proxy-refresh-failed",
        program: OAuth2Proxy,
        texts: &["Unable to refresh session"],
        unless: NONE,
        shows: &[OAuth2ProxyLog],
        wrapper: true,
        title: "oauth2-proxy cannot refresh the session",
        cause: "cookie_refresh is set and the provider refused the refresh token (the rest of the line is its answer), or has none to give (`offline_access` not in scope)",
        fix: "put offline_access in scope when cookie_refresh is used, keep cookie_refresh below the provider's refresh token lifetime, or unset cookie_refresh",
        source: "oauth2-proxy@v7.15.2 pkg/middleware/stored_session.go",
    },
];

impl Signature {
    /// Whether `line` holds one of the texts and none of `unless`.
    fn explains(&self, line: &str) -> bool {
        self.texts.iter().any(|t| line.contains(t)) && !self.unless.iter().any(|u| line.contains(u))
    }

    /// The lines of `place` this signature reads, and how its evidence opens.
    fn lines(&self, seen: &Evidence, place: Place) -> (String, Vec<String>) {
        let split = |text: &str| text.lines().map(String::from).collect::<Vec<_>>();
        match place {
            Place::DexLog => ("Dex logged".into(), split(&seen.dex_log)),
            Place::ApiServerLog => ("kube-apiserver logged".into(), split(&seen.apiserver_log)),
            Place::OAuth2ProxyLog => ("oauth2-proxy logged".into(), split(&seen.oauth2_proxy_log)),
            Place::Page => (
                format!("{} showed", self.program.name()),
                seen.pages.iter().flat_map(|p| split(&p.text)).collect(),
            ),
            Place::Refusal => (
                format!("{} answered", self.program.name()),
                seen.refusals
                    .iter()
                    .filter(|r| Some(r.program.as_str()) == self.program.refusal_program())
                    .flat_map(|r| split(&Refusal::text(r)))
                    .collect(),
            ),
        }
    }

    /// Whether a specific signature reading `place` explains `line`.
    fn explained_elsewhere(&self, place: Place, line: &str) -> bool {
        SIGNATURES.iter().any(|s| {
            !s.wrapper
                && s.id != self.id
                && s.shows.contains(&place)
                && (place != Place::Refusal || s.program == self.program)
                && s.explains(line)
        })
    }

    /// The evidence: the program's first line that holds a text, verbatim.
    fn matches(&self, seen: &Evidence) -> Option<String> {
        self.shows.iter().find_map(|&place| {
            let (opening, lines) = self.lines(seen, place);
            lines
                .iter()
                .map(|l| l.trim())
                .find(|l| self.explains(l) && !(self.wrapper && self.explained_elsewhere(place, l)))
                .map(|l| format!("{opening}: {}", truncate(l, 400)))
        })
    }
}

/// The diagnoses of every signature the evidence shows, in table order.
pub(super) fn diagnose(seen: &Evidence) -> Vec<Diagnosis> {
    SIGNATURES
        .iter()
        .filter_map(|s| {
            s.matches(seen).map(|evidence| Diagnosis {
                id: s.id,
                title: s.title,
                cause: s.cause,
                fix: s.fix,
                reference: s.source,
                evidence,
            })
        })
        .collect()
}

/// Every signature's id: diagnoses named from the programs' sources, with no
/// recorded run of their own.
pub fn signature_ids() -> Vec<&'static str> {
    SIGNATURES.iter().map(|s| s.id).collect()
}

/// Every signature's id, source (`module@version path`) and texts: for the
/// test that checks them against the pinned sources.
pub fn signature_sources() -> Vec<(&'static str, &'static str, &'static [&'static str])> {
    SIGNATURES
        .iter()
        .map(|s| (s.id, s.source, s.texts))
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::model::evidence::{ConfigView, Page as SeenPage};

    /// One line as the real program prints it, in the field it lands in.
    enum Seen {
        /// Dex's raw log line (slog text, or what it prints when it exits);
        /// the case decodes it as `dex_log` holds it.
        Dex(&'static str),
        /// A page: its URL and its text (lines as the browser reads them).
        Page(&'static str, &'static str),
        /// An OAuth answer: program, status, error, description.
        Refusal(&'static str, u16, &'static str, &'static str),
        /// A kube-apiserver klog line.
        ApiServer(&'static str),
        /// An oauth2-proxy log line (or its start-up failure).
        OAuth2Proxy(&'static str),
    }

    struct Row {
        id: &'static str,
        seen: Seen,
        /// What diagnose names, in order, when it is not this signature alone.
        named: &'static [&'static str],
    }

    const fn row(id: &'static str, seen: Seen) -> Row {
        Row {
            id,
            seen,
            named: &[],
        }
    }

    const ROWS: &[Row] = &[
        // ---- Dex ----
        row(
            "dex-unregistered-redirect-uri",
            Seen::Page(
                "https://127.0.0.1:5556/dex/auth?client_id=kubernetes&redirect_uri=http%3A%2F%2Flocalhost%3A8000&response_type=code&scope=openid",
                "Bad Request\nUnregistered redirect_uri.",
            ),
        ),
        row(
            "dex-unknown-client-id",
            Seen::Dex(concat!(
                "time=2026-12-01T10:00:00.000Z level=ERROR msg=\"invalid client_id provided\" ",
                "client_id=kubernets request_id=9b0c2c4e-52a1-4ad9-8c19-0c8ff3a1f0aa"
            )),
        ),
        row(
            "dex-connector-not-allowed",
            Seen::Page(
                "http://127.0.0.1:8080/callback?error=invalid_request&error_description=Connector+not+allowed+for+this+client&state=x",
                "Sign-in failed\ninvalid_request: Connector not allowed for this client",
            ),
        ),
        row(
            "dex-no-connectors-for-client",
            Seen::Page(
                "https://127.0.0.1:5556/dex/auth?client_id=app&redirect_uri=http%3A%2F%2F127.0.0.1%3A8080%2Fcallback",
                "Bad Request\nNo connectors available for this client.",
            ),
        ),
        row(
            "dex-connector-id-unknown",
            Seen::Page(
                "https://127.0.0.1:5556/dex/auth?client_id=app&connector_id=Keycloak",
                "Bad Request\nConnector ID does not match a valid Connector",
            ),
        ),
        row(
            "dex-connector-grant-type",
            Seen::Dex(concat!(
                "time=2026-12-01T10:00:00.000Z level=ERROR msg=\"connector does not allow requested grant type\" ",
                "connector_id=keycloak grant_type=urn:ietf:params:oauth:grant-type:device_code"
            )),
        ),
        row(
            "dex-pkce-required",
            Seen::Page(
                "http://127.0.0.1:4180/oauth2/callback?error=invalid_request&error_description=PKCE+is+required.",
                "Sign-in failed\ninvalid_request: PKCE is required. The code_challenge parameter must be provided.",
            ),
        ),
        row(
            "dex-response-type-unsupported",
            Seen::Page(
                "http://127.0.0.1:8080/callback?error=unsupported_response_type",
                "Sign-in failed\nunsupported_response_type: Unsupported response type \"token\"",
            ),
        ),
        row(
            "dex-connector-issuer-mismatch",
            Seen::Dex(concat!(
                "time=2026-12-01T10:00:00.000Z level=ERROR msg=\"\" id=keycloak ",
                "err=\"failed to open connector: failed to create connector keycloak: failed to get provider: ",
                "oidc: issuer URL provided to client (\\\"https://kc.example.com/realms/demo/\\\") did not match ",
                "the issuer URL returned by provider (\\\"https://kc.example.com/realms/demo\\\")\""
            )),
        ),
        row(
            "dex-connector-discovery-failed",
            Seen::Dex(concat!(
                "time=2026-12-01T10:00:00.000Z level=ERROR msg=\"\" id=keycloak ",
                "err=\"failed to open connector: failed to create connector keycloak: failed to get provider: ",
                "Get \\\"https://keycloak:8443/realms/demo/.well-known/openid-configuration\\\": ",
                "dial tcp: lookup keycloak on 10.96.0.10:53: no such host\""
            )),
        ),
        row(
            "dex-upstream-issuer-mismatch",
            Seen::Dex(concat!(
                "time=2026-12-01T10:00:00.000Z level=ERROR msg=\"failed to authenticate\" ",
                "err=\"oidc: failed to verify ID Token: oidc: id token issued by a different provider, ",
                "expected \\\"http://keycloak:8080/realms/demo\\\" got \\\"https://kc.example.com/realms/demo\\\"\""
            )),
        ),
        row(
            "dex-upstream-token-expired",
            Seen::Dex(concat!(
                "time=2026-12-01T10:00:00.000Z level=ERROR msg=\"failed to authenticate\" ",
                "err=\"oidc: failed to verify ID Token: oidc: token is expired (Token Expiry: 2026-12-01 09:52:11 +0000 UTC)\""
            )),
        ),
        row(
            "dex-upstream-signature-invalid",
            Seen::Dex(concat!(
                "time=2026-12-01T10:00:00.000Z level=ERROR msg=\"failed to authenticate\" ",
                "err=\"oidc: failed to verify ID Token: failed to verify signature: failed to verify id token signature\""
            )),
        ),
        row(
            "dex-upstream-code-exchange-failed",
            Seen::Dex(concat!(
                "time=2026-12-01T10:00:00.000Z level=ERROR msg=\"failed to authenticate\" ",
                "err=\"oidc: failed to get token: Post \\\"https://kc.example.com/realms/demo/protocol/openid-connect/token\\\": ",
                "dial tcp 203.0.113.7:443: connect: connection refused\""
            )),
        ),
        row(
            "dex-userinfo-failed",
            Seen::Dex(concat!(
                "time=2026-12-01T10:00:00.000Z level=ERROR msg=\"failed to authenticate\" ",
                "err=\"oidc: error loading userinfo: 502 Bad Gateway: <html>bad gateway</html>\""
            )),
        ),
        row(
            "dex-claim-missing",
            Seen::Dex(concat!(
                "time=2026-12-01T10:00:00.000Z level=ERROR msg=\"failed to authenticate\" ",
                "err=\"missing \\\"sub\\\" claim\""
            )),
        ),
        row(
            "dex-email-claim-missing",
            Seen::Dex(concat!(
                "time=2026-12-01T10:00:00.000Z level=ERROR msg=\"failed to authenticate\" ",
                "err=\"missing email claim, not found \\\"email\\\" key\""
            )),
        ),
        row(
            "dex-groups-claim-malformed",
            Seen::Dex(concat!(
                "time=2026-12-01T10:00:00.000Z level=ERROR msg=\"failed to authenticate\" ",
                "err=\"malformed \\\"groups\\\" claim\""
            )),
        ),
        row(
            "dex-not-in-allowed-groups",
            Seen::Dex(concat!(
                "time=2026-12-01T10:00:00.000Z level=ERROR msg=\"failed to authenticate\" ",
                "err=\"user not a member of allowed groups\""
            )),
        ),
        row(
            "dex-user-id-claim-missing",
            Seen::Dex(concat!(
                "time=2026-12-01T10:00:00.000Z level=ERROR msg=\"failed to authenticate\" ",
                "err=\"oidc: not found employee_id claim\""
            )),
        ),
        row(
            "dex-client-secret-mismatch",
            Seen::OAuth2Proxy(concat!(
                "[2026/12/01 10:00:00] [oauthproxy.go:928] Error redeeming code during OAuth2 callback: ",
                "token exchange failed: oauth2: \"invalid_client\" \"Invalid client credentials.\""
            )),
        ),
        row(
            "dex-grant-type-not-enabled",
            Seen::Dex(concat!(
                "time=2026-12-01T10:00:00.000Z level=ERROR msg=\"unsupported grant type\" ",
                "grant_type=password request_id=0f4e"
            )),
        ),
        row(
            "dex-auth-code-invalid",
            Seen::Refusal(
                "dex",
                400,
                "invalid_grant",
                "Invalid or expired code parameter.",
            ),
        ),
        row(
            "dex-refresh-token-invalid",
            Seen::OAuth2Proxy(concat!(
                "[2026/12/01 10:00:00] [stored_session.go:219] Unable to refresh session: ",
                "error refreshing tokens: failed to get token: oauth2: \"invalid_request\" ",
                "\"Refresh token is invalid or has already been claimed by another client.\""
            )),
        ),
        row(
            "dex-refresh-token-expired",
            Seen::Refusal("dex", 400, "invalid_request", "Refresh token expired."),
        ),
        row(
            "dex-upstream-refresh-failed",
            Seen::Dex(concat!(
                "time=2026-12-01T10:00:00.000Z level=ERROR msg=\"failed to refresh identity\" ",
                "err=\"oidc: failed to get refresh token: Post \\\"https://kc.example.com/realms/demo/protocol/openid-connect/token\\\": ",
                "context deadline exceeded\""
            )),
        ),
        row(
            "dex-auth-request-expired",
            Seen::Page(
                "https://127.0.0.1:5556/dex/approval?req=k3w6",
                "Bad Request\nUser session has expired.",
            ),
        ),
        row(
            "dex-static-passwords-without-db",
            Seen::Dex(
                "invalid Config:\n\t-\tcannot specify static passwords without enabling password db",
            ),
        ),
        row(
            "dex-static-password-hash-invalid",
            Seen::Dex(concat!(
                "error unmarshalling config file /etc/dex/config.yaml: ",
                "malformed bcrypt hash: crypto/bcrypt: bcrypt hashes must start with '$', but hashedSecret started with 'p'"
            )),
        ),
        row(
            "dex-unknown-connector-type",
            Seen::Dex(
                "error unmarshalling config file /etc/dex/config.yaml: unknown connector type \"keycloak\"",
            ),
        ),
        row(
            "dex-connector-incomplete",
            Seen::Dex("invalid config: ID, Type and Name fields are required for a connector"),
        ),
        row(
            "dex-static-client-incomplete",
            Seen::Dex(
                "invalid config: Secret or SecretEnv field is required for client \"oauth2-proxy\"",
            ),
        ),
        row(
            "dex-config-incomplete",
            Seen::Dex("invalid Config:\n\t-\tno issuer specified in config file"),
        ),
        row(
            "dex-expiry-not-a-duration",
            Seen::Dex(
                "invalid config value \"1d\" for id token expiry: time: unknown unit \"d\" in duration \"1d\"",
            ),
        ),
        row(
            "dex-no-connectors",
            Seen::Dex("failed to initialize server: server: no connectors specified"),
        ),
        // ---- Keycloak ----
        row(
            "keycloak-client-not-found",
            Seen::Page(
                "https://127.0.0.1:8443/realms/demo/protocol/openid-connect/auth?client_id=dex&response_type=code",
                "DEMO\nWe are sorry...\nClient not found.",
            ),
        ),
        row(
            "keycloak-client-disabled",
            Seen::Page(
                "https://127.0.0.1:8443/realms/demo/protocol/openid-connect/auth?client_id=dex&response_type=code",
                "DEMO\nWe are sorry...\nClient disabled.",
            ),
        ),
        row(
            "keycloak-bearer-only-client",
            Seen::Page(
                "https://127.0.0.1:8443/realms/demo/protocol/openid-connect/auth?client_id=api&response_type=code",
                "DEMO\nWe are sorry...\nBearer-only applications are not allowed to initiate browser login",
            ),
        ),
        row(
            "keycloak-wrong-client-protocol",
            Seen::Page(
                "https://127.0.0.1:8443/realms/demo/protocol/openid-connect/auth?client_id=saml-app",
                "DEMO\nWe are sorry...\nWrong client protocol.",
            ),
        ),
        row(
            "keycloak-standard-flow-disabled",
            Seen::Dex(concat!(
                "time=2026-12-01T10:00:00.000Z level=ERROR msg=\"failed to authenticate\" ",
                "err=\"unauthorized_client: Client is not allowed to initiate browser login with given response_type. ",
                "Standard flow is disabled for the client.\""
            )),
        ),
        row(
            "keycloak-pkce-required",
            Seen::Dex(concat!(
                "time=2026-12-01T10:00:00.000Z level=ERROR msg=\"failed to authenticate\" ",
                "err=\"invalid_request: Missing parameter: code_challenge_method\""
            )),
        ),
        row(
            "keycloak-invalid-client-credentials",
            Seen::Dex(concat!(
                "time=2026-12-01T10:00:00.000Z level=ERROR msg=\"failed to authenticate\" ",
                "err=\"oidc: failed to get token: oauth2: \\\"unauthorized_client\\\" ",
                "\\\"Invalid client or Invalid client credentials\\\"\""
            )),
        ),
        row(
            "keycloak-client-secret-method",
            Seen::Refusal(
                "keycloak",
                401,
                "unauthorized_client",
                "Invalid method used to get client secret. Client requires method 'client_secret_post' to obtain client secret from the request",
            ),
        ),
        row(
            "keycloak-https-required",
            Seen::Page(
                "http://kc.example.com/realms/demo/protocol/openid-connect/auth?client_id=dex",
                "We are sorry...\nHTTPS required",
            ),
        ),
        row(
            "keycloak-realm-not-found",
            Seen::Dex(concat!(
                "time=2026-12-01T10:00:00.000Z level=ERROR msg=\"\" id=keycloak ",
                "err=\"failed to open connector: failed to create connector keycloak: failed to get provider: ",
                "404 Not Found: {\\\"error\\\":\\\"Realm does not exist\\\",",
                "\\\"error_description\\\":\\\"For more on this error consult the server log.\\\"}\""
            )),
        ),
        row(
            "keycloak-realm-disabled",
            Seen::Refusal("keycloak", 403, "access_denied", "Realm not enabled"),
        ),
        row(
            "keycloak-login-cookie-lost",
            Seen::Page(
                "https://kc.example.com/realms/demo/login-actions/authenticate?session_code=x&execution=y",
                "DEMO\nWe are sorry...\nRestart login cookie not found. It may have expired; it may have been deleted or cookies are disabled in your browser. If cookies are disabled then enable them. Click Back to Application to login again.\n« Back to Application",
            ),
        ),
        row(
            "keycloak-user-disabled",
            Seen::Page(
                "https://kc.example.com/realms/demo/login-actions/authenticate?execution=x",
                "DEMO\nSign in to your account\nAccount is disabled, contact your administrator.\nUsername or email\nPassword\nSign In",
            ),
        ),
        row(
            "keycloak-account-not-set-up",
            Seen::Refusal(
                "keycloak",
                400,
                "invalid_grant",
                "Account is not fully set up",
            ),
        ),
        row(
            "keycloak-code-not-valid",
            Seen::Dex(concat!(
                "time=2026-12-01T10:00:00.000Z level=ERROR msg=\"failed to authenticate\" ",
                "err=\"oidc: failed to get token: oauth2: \\\"invalid_grant\\\" \\\"Code not valid\\\"\""
            )),
        ),
        row(
            "keycloak-session-not-active",
            Seen::Dex(concat!(
                "time=2026-12-01T10:00:00.000Z level=ERROR msg=\"failed to refresh identity\" ",
                "err=\"oidc: failed to get refresh token: oauth2: \\\"invalid_grant\\\" \\\"Session not active\\\"\""
            )),
        ),
        row(
            "keycloak-refresh-token-expired",
            Seen::OAuth2Proxy(concat!(
                "[2026/12/01 10:00:00] [stored_session.go:219] Unable to refresh session: error refreshing tokens: ",
                "failed to get token: oauth2: \"invalid_grant\" \"Token is not active\""
            )),
        ),
        row(
            "keycloak-refresh-token-reused",
            Seen::Dex(concat!(
                "time=2026-12-01T10:00:00.000Z level=ERROR msg=\"failed to refresh identity\" ",
                "err=\"oidc: failed to get refresh token: oauth2: \\\"invalid_grant\\\" \\\"Maximum allowed refresh token reuse exceeded\\\"\""
            )),
        ),
        row(
            "keycloak-userinfo-token-rejected",
            Seen::Dex(concat!(
                "time=2026-12-01T10:00:00.000Z level=ERROR msg=\"failed to authenticate\" ",
                "err=\"oidc: error loading userinfo: 401 Unauthorized: ",
                "{\\\"error\\\":\\\"invalid_token\\\",\\\"error_description\\\":\\\"Token verification failed\\\"}\""
            )),
        ),
        row(
            "keycloak-lightweight-access-token",
            Seen::Dex(concat!(
                "time=2026-12-01T10:00:00.000Z level=ERROR msg=\"failed to authenticate\" ",
                "err=\"oidc: error loading userinfo: 401 Unauthorized: {\\\"error\\\":\\\"invalid_request\\\",",
                "\\\"error_description\\\":\\\"Lightweight access token not allowed for userinfo endpoint\\\"}\""
            )),
        ),
        row(
            "keycloak-device-grant-disabled",
            Seen::Refusal(
                "keycloak",
                401,
                "unauthorized_client",
                r#"{"error":"unauthorized_client","error_description":"Client is not allowed to initiate OAuth 2.0 Device Authorization Grant. The flow is disabled for the client."}"#,
            ),
        ),
        row(
            "keycloak-service-account-disabled",
            Seen::Refusal(
                "keycloak",
                401,
                "unauthorized_client",
                "Client not enabled to retrieve service account",
            ),
        ),
        // ---- kube-apiserver ----
        row(
            "apiserver-oidc-discovery-failed",
            Seen::ApiServer(concat!(
                "E1201 10:00:00.123456   4242 oidc.go:433] oidc authenticator: initializing plugin: ",
                "Get \"https://dex.example.com/dex/.well-known/openid-configuration\": ",
                "tls: failed to verify certificate: x509: certificate signed by unknown authority"
            )),
        ),
        row(
            "apiserver-email-not-verified",
            Seen::ApiServer(concat!(
                "E1201 10:00:00.123456   4242 authentication.go:76] \"Unable to authenticate the request\" ",
                "err=\"[invalid bearer token, oidc: email not verified]\""
            )),
        ),
        row(
            "apiserver-username-claim-missing",
            Seen::ApiServer(concat!(
                "E1201 10:00:00.123456   4242 authentication.go:76] \"Unable to authenticate the request\" ",
                "err=\"[invalid bearer token, oidc: parse username claims \\\"preferred_username\\\": claim not present]\""
            )),
        ),
        row(
            "apiserver-groups-claim-malformed",
            Seen::ApiServer(concat!(
                "E1201 10:00:00.123456   4242 authentication.go:76] \"Unable to authenticate the request\" ",
                "err=\"[invalid bearer token, oidc: parse groups claim \\\"groups\\\": json: cannot unmarshal object into Go value of type string]\""
            )),
        ),
        row(
            "apiserver-required-claim-missing",
            Seen::ApiServer(concat!(
                "E1201 10:00:00.123456   4242 authentication.go:76] \"Unable to authenticate the request\" ",
                "err=\"[invalid bearer token, oidc: required claim hd not present in ID token]\""
            )),
        ),
        row(
            "apiserver-required-claim-mismatch",
            Seen::ApiServer(concat!(
                "E1201 10:00:00.123456   4242 authentication.go:76] \"Unable to authenticate the request\" ",
                "err=\"[invalid bearer token, oidc: required claim hd value does not match. Got = other.org, want = example.com]\""
            )),
        ),
        row(
            "apiserver-claim-validation-failed",
            Seen::ApiServer(concat!(
                "E1201 10:00:00.123456   4242 authentication.go:76] \"Unable to authenticate the request\" ",
                "err=\"[invalid bearer token, oidc: error evaluating claim validation expression: ",
                "validation expression 'claims.email_verified == true' failed: email must be verified]\""
            )),
        ),
        row(
            "apiserver-user-validation-failed",
            Seen::ApiServer(concat!(
                "E1201 10:00:00.123456   4242 authentication.go:76] \"Unable to authenticate the request\" ",
                "err=\"[invalid bearer token, oidc: error evaluating user info validation rule: ",
                "validation expression '!user.username.startsWith(\\'system:\\')' failed: username cannot use reserved system: prefix]\""
            )),
        ),
        row(
            "apiserver-claim-mapping-failed",
            Seen::ApiServer(concat!(
                "E1201 10:00:00.123456   4242 authentication.go:76] \"Unable to authenticate the request\" ",
                "err=\"[invalid bearer token, oidc: error evaluating username claim expression: ",
                "expression 'claims.preferred_username' resulted in error: no such key: preferred_username]\""
            )),
        ),
        row(
            "apiserver-unsupported-signing-alg",
            Seen::ApiServer(concat!(
                "E1201 10:00:00.123456   4242 authentication.go:76] \"Unable to authenticate the request\" ",
                "err=\"[invalid bearer token, oidc: verify token: oidc: id token signed with unsupported algorithm, ",
                "expected [\\\"RS256\\\"] got \\\"ES256\\\"]\""
            )),
        ),
        // ---- oauth2-proxy ----
        row(
            "oauth2-proxy-email-domains-missing",
            Seen::OAuth2Proxy(concat!(
                "[2026/12/01 10:00:00] [main.go:67] invalid configuration:\n",
                "  missing setting for email validation: email-domain or authenticated-emails-file required.\n",
                "      use email-domain=* to authorize all email addresses"
            )),
        ),
        row(
            "oauth2-proxy-client-id-missing",
            Seen::OAuth2Proxy(
                "[2026/12/01 10:00:00] [main.go:67] invalid configuration:\n  provider missing setting: client-id",
            ),
        ),
        row(
            "oauth2-proxy-client-secret-missing",
            Seen::OAuth2Proxy(
                "[2026/12/01 10:00:00] [main.go:67] invalid configuration:\n  missing setting: client-secret or client-secret-file",
            ),
        ),
        row(
            "oauth2-proxy-client-secret-file-unreadable",
            Seen::OAuth2Proxy(
                "[2026/12/01 10:00:00] [main.go:67] invalid configuration:\n  could not read client secret file: /etc/oauth2-proxy/client-secret",
            ),
        ),
        row(
            "oauth2-proxy-cookie-secret-missing",
            Seen::OAuth2Proxy(
                "[2026/12/01 10:00:00] [main.go:67] invalid configuration:\n  missing setting: cookie-secret or cookie-secret-file",
            ),
        ),
        row(
            "oauth2-proxy-cookie-samesite-invalid",
            Seen::OAuth2Proxy(
                "[2026/12/01 10:00:00] [main.go:67] invalid configuration:\n  cookie_samesite (\"Lax\") must be one of ['', 'lax', 'strict', 'none']",
            ),
        ),
        row(
            "oauth2-proxy-cookie-refresh-not-below-expire",
            Seen::OAuth2Proxy(
                "[2026/12/01 10:00:00] [main.go:67] invalid configuration:\n  cookie_refresh (\"168h0m0s\") must be less than cookie_expire (\"168h0m0s\")",
            ),
        ),
        row(
            "oauth2-proxy-provider-ca-unreadable",
            Seen::OAuth2Proxy(
                "[2026/12/01 10:00:00] [main.go:67] invalid configuration:\n  unable to load provider CA file(s): open /etc/ssl/dex-ca.pem: no such file or directory",
            ),
        ),
        row(
            "oauth2-proxy-config-unreadable",
            Seen::OAuth2Proxy(concat!(
                "[2026/12/01 10:00:00] [main.go:47] ERROR: failed to load config: ",
                "unable to load config file: While parsing config: toml: line 3 (last key \"email_domains\"): expected value but found \"*\" instead"
            )),
        ),
        row(
            "oauth2-proxy-unknown-provider",
            Seen::OAuth2Proxy(concat!(
                "[2026/12/01 10:00:00] [main.go:73] ERROR: Failed to initialise OAuth2 Proxy: ",
                "error initialising provider: unknown provider type \"dex\""
            )),
        ),
        row(
            "oauth2-proxy-oidc-discovery-failed",
            Seen::OAuth2Proxy(concat!(
                "[2026/12/01 10:00:00] [main.go:73] ERROR: Failed to initialise OAuth2 Proxy: error initialising provider: ",
                "could not create provider data: error building OIDC ProviderVerifier: could not get verifier builder: ",
                "error while discovery OIDC configuration: failed to discover OIDC configuration: error performing request: ",
                "Get \"https://dex.example.com/dex/.well-known/openid-configuration\": dial tcp: lookup dex.example.com: no such host"
            )),
        ),
        row(
            "oauth2-proxy-issuer-mismatch",
            Seen::OAuth2Proxy(concat!(
                "[2026/12/01 10:00:00] [main.go:73] ERROR: Failed to initialise OAuth2 Proxy: error initialising provider: ",
                "could not create provider data: error building OIDC ProviderVerifier: could not get verifier builder: ",
                "error while discovery OIDC configuration: oidc: issuer did not match the issuer returned by provider, ",
                "expected \"https://dex.example.com/dex/\" got \"https://dex.example.com/dex\""
            )),
        ),
        row(
            "oauth2-proxy-no-common-signing-alg",
            Seen::OAuth2Proxy(concat!(
                "[2026/12/01 10:00:00] [main.go:73] ERROR: Failed to initialise OAuth2 Proxy: error initialising provider: ",
                "could not create provider data: error building OIDC ProviderVerifier: could not get verifier builder: ",
                "error while determining supported signing algorithms: no supported signing algorithms in common between ",
                "provider and configuration: discovered=[RS256], configured=[ES256]"
            )),
        ),
        row(
            "oauth2-proxy-audience-mismatch",
            Seen::OAuth2Proxy(concat!(
                "[2026/12/01 10:00:00] [oauthproxy.go:928] Error redeeming code during OAuth2 callback: ",
                "could not verify id_token: audience from claim aud with value [kubeflow] does not match with any of ",
                "allowed audiences map[oauth2-proxy:{}]"
            )),
        ),
        row(
            "oauth2-proxy-audience-claim-missing",
            Seen::OAuth2Proxy(concat!(
                "[2026/12/01 10:00:00] [oauthproxy.go:928] Error redeeming code during OAuth2 callback: ",
                "could not verify id_token: audience claims [client_id] do not exist in claims: map[aud:oauth2-proxy iss:https://dex.example.com/dex]"
            )),
        ),
        row(
            "oauth2-proxy-id-token-rejected",
            Seen::OAuth2Proxy(concat!(
                "[2026/12/01 10:00:00] [oauthproxy.go:928] Error redeeming code during OAuth2 callback: ",
                "could not verify id_token: failed to verify token: oidc: token is expired (Token Expiry: 2026-12-01 09:00:00 +0000 UTC)"
            )),
        ),
        row(
            "oauth2-proxy-no-id-token",
            Seen::OAuth2Proxy(concat!(
                "[2026/12/01 10:00:00] [oauthproxy.go:928] Error redeeming code during OAuth2 callback: ",
                "token response did not contain an id_token"
            )),
        ),
        row(
            "oauth2-proxy-no-email",
            Seen::OAuth2Proxy(concat!(
                "[2026/12/01 10:00:00] [oauthproxy.go:935] Error creating session during OAuth2 callback: ",
                "neither the id_token nor the profileURL set an email"
            )),
        ),
        row(
            "oauth2-proxy-token-exchange-failed",
            Seen::OAuth2Proxy(concat!(
                "[2026/12/01 10:00:00] [oauthproxy.go:928] Error redeeming code during OAuth2 callback: ",
                "token exchange failed: Post \"https://dex.example.com/dex/token\": dial tcp: lookup dex.example.com: no such host"
            )),
        ),
        row(
            "oauth2-proxy-provider-returned-error",
            Seen::OAuth2Proxy(
                "[2026/12/01 10:00:00] [oauthproxy.go:899] Error while parsing OAuth2 callback: invalid_request",
            ),
        ),
        row(
            "oauth2-proxy-csrf-cookie-missing",
            Seen::OAuth2Proxy(concat!(
                "[2026/12/01 10:00:00] [oauthproxy.go:921] &{GET /oauth2/callback?code=x&state=y HTTP/1.1 1 1} AuthFailure ",
                "Invalid authentication via OAuth2: unable to obtain CSRF cookie: %s (state=%s) ",
                "http: named cookie not present Yz2H5b"
            )),
        ),
        row(
            "oauth2-proxy-cookie-domain-mismatch",
            Seen::OAuth2Proxy(concat!(
                "[2026/12/01 10:00:00] [cookies.go:31] Warning: request host \"kubeflow.example.com\" did not match ",
                "any of the specific cookie domains of \".example.org\""
            )),
        ),
        row(
            "oauth2-proxy-unauthorized",
            Seen::OAuth2Proxy(concat!(
                "127.0.0.1:40092 - 4e06df69-2db8-4933-9c18-6ad01d3ce413 - jane@example.com [2026/12/01 10:00:00] ",
                "[AuthFailure] Invalid authentication via OAuth2: unauthorized"
            )),
        ),
        row(
            "oauth2-proxy-cookie-signature-invalid",
            Seen::OAuth2Proxy(
                "[2026/12/01 10:00:00] [stored_session.go:122] Error loading cookied session: cookie signature not valid, removing session",
            ),
        ),
        row(
            "oauth2-proxy-refresh-failed",
            Seen::OAuth2Proxy(concat!(
                "[2026/12/01 10:00:00] [stored_session.go:219] Unable to refresh session: error refreshing tokens: ",
                "failed to get token: Post \"https://dex.example.com/dex/token\": context deadline exceeded"
            )),
        ),
    ];

    fn evidence(seen: &Seen) -> Evidence {
        let mut e = Evidence::default();
        match *seen {
            Seen::Dex(raw) => e.dex_log = crate::infra::dexlog::decoded(raw),
            Seen::Page(url, text) => e.pages.push(SeenPage {
                url: url.into(),
                text: text.into(),
            }),
            Seen::Refusal(program, status, error, description) => e.refusals.push(Refusal {
                program: program.into(),
                status,
                error: error.into(),
                description: description.into(),
            }),
            Seen::ApiServer(line) => e.apiserver_log = line.into(),
            Seen::OAuth2Proxy(line) => e.oauth2_proxy_log = line.into(),
        }
        e
    }

    fn named(seen: &Seen) -> Vec<&'static str> {
        crate::diagnose::diagnose(&ConfigView::default(), &evidence(seen))
            .into_iter()
            .map(|d| d.id)
            .collect()
    }

    #[test]
    fn each_signature_names_its_line_as_the_program_prints_it() {
        let mut wrong = Vec::new();
        for r in ROWS {
            let want: Vec<&str> = if r.named.is_empty() {
                vec![r.id]
            } else {
                r.named.to_vec()
            };
            let got = named(&r.seen);
            if got != want {
                wrong.push(format!("{}: named {got:?}, want {want:?}", r.id));
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    #[test]
    fn the_table_covers_every_signature_once() {
        let rows: Vec<&str> = ROWS.iter().map(|r| r.id).collect();
        let unique: BTreeSet<&str> = rows.iter().copied().collect();
        assert_eq!(unique.len(), rows.len(), "a signature has two rows");
        let ids: BTreeSet<&str> = signature_ids().into_iter().collect();
        let missing: Vec<&&str> = ids.difference(&unique).collect();
        let unknown: Vec<&&str> = unique.difference(&ids).collect();
        assert!(
            missing.is_empty() && unknown.is_empty(),
            "rows missing for {missing:?}; rows of no signature {unknown:?}"
        );
    }

    #[test]
    fn the_evidence_is_the_programs_line_with_the_program_first() {
        let seen = evidence(&ROWS[0].seen);
        let d = &super::diagnose(&seen)[0];
        assert_eq!(d.evidence, "Dex showed: Unregistered redirect_uri.");
        let seen = evidence(&Seen::Refusal(
            "dex",
            400,
            "invalid_grant",
            "Invalid or expired code parameter.",
        ));
        assert_eq!(
            super::diagnose(&seen)[0].evidence,
            "Dex answered: 400 invalid_grant: Invalid or expired code parameter."
        );
        let long = format!(
            "E1201 oidc.go:433] oidc authenticator: initializing plugin: {}",
            "x".repeat(600)
        );
        let seen = Evidence {
            apiserver_log: long,
            ..Default::default()
        };
        let d = &super::diagnose(&seen)[0];
        assert!(
            d.evidence
                .starts_with("kube-apiserver logged: E1201 oidc.go:433]")
        );
        assert!(
            d.evidence.ends_with('…') && d.evidence.len() < 450,
            "{}",
            d.evidence
        );
    }

    #[test]
    fn a_refusal_is_read_for_its_own_program_only() {
        // Dex's words in an answer of Keycloak's are not Dex's answer, and
        // Keycloak's in Dex's are not Keycloak's.
        let answer = |program: &str, description: &str| Evidence {
            refusals: vec![Refusal {
                program: program.into(),
                status: 401,
                error: "invalid_client".into(),
                description: description.into(),
            }],
            ..Default::default()
        };
        assert!(super::diagnose(&answer("keycloak", "Invalid client credentials.")).is_empty());
        assert!(super::diagnose(&answer("dex", "Client not found.")).is_empty());
        let ids = |e: &Evidence| super::diagnose(e).iter().map(|d| d.id).collect::<Vec<_>>();
        assert_eq!(
            ids(&answer("dex", "Invalid client credentials.")),
            ["dex-client-secret-mismatch"]
        );
        assert_eq!(
            ids(&answer("keycloak", "Client not found.")),
            ["keycloak-client-not-found"]
        );
    }

    #[test]
    fn a_wrapper_is_silent_where_a_specific_signature_explains_the_line() {
        let seen = Seen::Dex(concat!(
            "time=2026-12-01T10:00:00.000Z level=ERROR msg=\"failed to authenticate\" ",
            "err=\"oidc: failed to get token: oauth2: \\\"invalid_grant\\\" \\\"Code not valid\\\"\""
        ));
        assert_eq!(named(&seen), ["keycloak-code-not-valid"]);
    }

    #[test]
    fn empty_evidence_names_nothing() {
        assert!(super::diagnose(&Evidence::default()).is_empty());
        assert!(crate::diagnose::diagnose(&ConfigView::default(), &Evidence::default()).is_empty());
    }

    /// The id prefix of a program's signatures.
    fn prefix(p: Program) -> &'static str {
        match p {
            Program::Dex => "dex-",
            Program::Keycloak => "keycloak-",
            Program::ApiServer => "apiserver-",
            Program::OAuth2Proxy => "oauth2-proxy-",
        }
    }

    #[test]
    fn ids_are_unique_kebab_case_and_prefixed_by_their_program() {
        let mut seen = BTreeSet::new();
        let catalogue: BTreeSet<&str> = crate::diagnose::known_ids()
            .into_iter()
            .filter(|id| !signature_ids().contains(id))
            .collect();
        for s in SIGNATURES {
            assert!(seen.insert(s.id), "{} twice", s.id);
            assert!(!catalogue.contains(s.id), "{} is a catalogue id", s.id);
            assert!(
                s.id.starts_with(prefix(s.program)),
                "{} is not prefixed {}",
                s.id,
                prefix(s.program)
            );
            assert!(
                s.id.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                    && !s.id.ends_with('-')
                    && !s.id.contains("--"),
                "{} is not kebab-case",
                s.id
            );
            assert!(!s.texts.is_empty() && !s.shows.is_empty(), "{}", s.id);
            for t in s.texts {
                assert!(t.len() >= 9 && !t.contains('%'), "{}: text {t:?}", s.id);
            }
            if s.shows.contains(&Place::Refusal) {
                assert!(s.program.refusal_program().is_some(), "{}", s.id);
            }
        }
        assert!(SIGNATURES.len() >= 45);
    }

    /// The catalogue's needles (its matchers in `chain.rs`, `connectors.rs`,
    /// `front.rs`, `profile.rs`, `tokens.rs`, `osmo.rs`) and where each reads.
    const CATALOGUE_NEEDLES: &[(&str, &[Place])] = &[
        ("Invalid parameter: redirect_uri", SHOWN),
        ("did not match the URL in the config", SHOWN),
        ("Invalid Email Address and password", SHOWN),
        ("invalid_scope", SHOWN),
        ("missing \"email_verified\" claim", SHOWN),
        ("missing \"name\" claim", SHOWN),
        ("Update Account Information", SHOWN),
        ("Offline tokens not allowed", &[Place::Page, Place::Refusal]),
        (
            "into Go struct field Config.connectors of type",
            &[Place::DexLog],
        ),
        ("cannot unmarshal", &[Place::DexLog]),
        ("x509: certificate is valid for", &[Place::DexLog]),
        ("doesn't contain any IP SANs", &[Place::DexLog]),
        (
            "x509: certificate is not valid for any names",
            &[Place::DexLog],
        ),
        (
            "x509: certificate signed by unknown authority",
            &[Place::DexLog],
        ),
        ("expected audience", &[Place::ApiServerLog]),
        ("issued by a different provider", &[Place::ApiServerLog]),
        ("did not match the issuer", &[Place::ApiServerLog]),
        ("failed to verify signature", &[Place::ApiServerLog]),
        ("token is expired", &[Place::ApiServerLog]),
        ("invalid bearer token", &[Place::ApiServerLog]),
        ("isn't verified", &[Place::OAuth2ProxyLog]),
        (
            "cookie_secret must be 16, 24, or 32 bytes",
            &[Place::OAuth2ProxyLog],
        ),
    ];

    /// `Evidence::shown`: pages, refusals of any program, Dex's log.
    const SHOWN: &[Place] = &[Place::Page, Place::Refusal, Place::DexLog];

    #[test]
    fn no_text_repeats_a_catalogue_needle() {
        let mut wrong = Vec::new();
        for s in SIGNATURES {
            for (needle, places) in CATALOGUE_NEEDLES {
                if !s.shows.iter().any(|p| places.contains(p)) {
                    continue;
                }
                for t in s.texts {
                    if t.contains(needle) {
                        wrong.push(format!("{}: {t:?} holds the catalogue's {needle:?}", s.id));
                    } else if needle.contains(t) && !s.unless.contains(needle) {
                        wrong.push(format!(
                            "{}: {t:?} is part of the catalogue's {needle:?}, not in unless",
                            s.id
                        ));
                    }
                }
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }
}

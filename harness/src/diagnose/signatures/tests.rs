//! Tests of `signatures`.

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
    /// What a failed kubelogin (or kubectl running it) printed.
    Command(&'static str),
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
            "dial tcp: lookup dex.example.com on 10.96.0.10:53: no such host"
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
    row(
        "apiserver-token-signature-invalid",
        Seen::ApiServer(concat!(
            "E1203 12:26:41.286575   13258 authentication.go:76] \"Unable to authenticate the request\" ",
            "err=\"[invalid bearer token, oidc: verify token: failed to verify signature: failed to verify id token signature]\""
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
    row(
        "apiserver-issuer-tls-untrusted",
        Seen::ApiServer(concat!(
            "E1202 06:40:00.000000   12345 oidc.go:335] \"oidc authenticator: initializing plugin\" err=\"Get ",
            "\\\"https://dex.internal.example/dex/.well-known/openid-configuration\\\": tls: failed to verify certificate: ",
            "x509: certificate signed by unknown authority\""
        )),
    ),
    // ---- kubelogin, as kubectl passes its standard error on ----
    row(
        "kubelogin-issuer-mismatch",
        Seen::Command(concat!(
            "error: get-token: authentication error: oidc error: oidc discovery error: oidc: issuer URL provided to client ",
            "(\"https://dex.example.com/dex/\") did not match the issuer URL returned by provider (\"https://dex.example.com/dex\")"
        )),
    ),
    row(
        "kubelogin-issuer-tls-untrusted",
        Seen::Command(concat!(
            "error: get-token: authentication error: oidc error: oidc discovery error: Get ",
            "\"https://dex.example.com/dex/.well-known/openid-configuration\": tls: failed to verify certificate: ",
            "x509: certificate signed by unknown authority"
        )),
    ),
    row(
        "kubelogin-discovery-failed",
        Seen::Command(concat!(
            "error: get-token: authentication error: oidc error: oidc discovery error: ",
            "404 Not Found: 404 page not found"
        )),
    ),
    row(
        "kubelogin-authorization-refused",
        Seen::Command(concat!(
            "error: get-token: authentication error: authcode-browser error: authentication error: authorization code flow error: ",
            "oauth2 error: authorization error: authorization error from server: access_denied"
        )),
    ),
    row(
        "kubelogin-code-exchange-failed",
        Seen::Command(concat!(
            "error: get-token: authentication error: authcode-browser error: authentication error: authorization code flow error: ",
            "oauth2 error: could not exchange the code and token: oauth2: \"invalid_client\" \"Invalid client credentials.\""
        )),
    ),
    row(
        "kubelogin-id-token-missing",
        Seen::Command(concat!(
            "error: get-token: authentication error: authcode-browser error: authentication error: authorization code flow error: ",
            "exchange error: id_token is missing in the token response: &oauth2.Token{AccessToken:\"...\"}"
        )),
    ),
    row(
        "kubelogin-id-token-unverified",
        Seen::Command(concat!(
            "error: get-token: authentication error: authcode-browser error: authentication error: authorization code flow error: ",
            "exchange error: could not verify the ID token: oidc: token is expired (Token Expiry: 2026-12-01 10:00:00 +0000 UTC)"
        )),
    ),
    row(
        "kubelogin-id-token-other-issuer",
        Seen::Command(concat!(
            "error: get-token: authentication error: authcode-browser error: authentication error: authorization code flow error: ",
            "exchange error: could not verify the ID token: oidc: id token issued by a different provider, ",
            "expected \"https://dex.example.com/dex\" got \"http://dex.auth.svc:5556/dex\""
        )),
    ),
    row(
        "kubelogin-id-token-audience",
        Seen::Command(concat!(
            "error: get-token: authentication error: authcode-browser error: authentication error: authorization code flow error: ",
            "exchange error: could not verify the ID token: oidc: expected audience \"kubernetes\" got [\"canvas\"]"
        )),
    ),
    row(
        "kubelogin-local-server-failed",
        Seen::Command(concat!(
            "error: get-token: authentication error: authcode-browser error: authentication error: authorization code flow error: ",
            "oauth2 error: authorization error: could not start a local server: ",
            "listen tcp 127.0.0.1:8000: bind: address already in use"
        )),
    ),
    row(
        "kubelogin-state-mismatch",
        Seen::Command(concat!(
            "error: get-token: authentication error: authcode-browser error: authentication error: authorization code flow error: ",
            "oauth2 error: authorization error: authorization error: state does not match (wants 3f1c but got 9a2b)"
        )),
    ),
    row(
        "kubelogin-token-cache-invalid",
        Seen::Command(concat!(
            "error: get-token: invalid token cache (you may need to remove): ",
            "invalid token cache json: unexpected end of JSON input"
        )),
    ),
    row(
        "kubelogin-unknown-flag",
        Seen::Command(concat!(
            "Error: unknown flag: --oidc-redirect-url-hostname\n",
            "Unable to connect to the server: getting credentials: exec: executable kubectl failed with exit code 1"
        )),
    ),
    row(
        "kubelogin-exec-api-version",
        Seen::Command(
            "error: get-token: could not write the token to client-go: unknown apiVersion: client.authentication.k8s.io/v1alpha1",
        ),
    ),
    // ---- kubectl (client-go) ----
    row(
        "kubectl-exec-plugin-not-installed",
        Seen::Command(concat!(
            "Unable to connect to the server: getting credentials: exec: executable kubelogin not found\n",
            "\n",
            "It looks like you are trying to use a client-go credential plugin that is not installed."
        )),
    ),
    row(
        "kubectl-oidc-login-not-installed",
        Seen::Command(concat!(
            "error: unknown command \"oidc-login\" for \"kubectl\"\n",
            "Unable to connect to the server: getting credentials: exec: executable kubectl failed with exit code 1"
        )),
    ),
    row(
        "kubectl-exec-not-interactive",
        Seen::Command(concat!(
            "Unable to connect to the server: getting credentials: exec plugin cannot support interactive mode: ",
            "standard input is not a terminal"
        )),
    ),
    row(
        "kubectl-exec-invalid-api-version",
        Seen::Command(
            "error: exec plugin: invalid apiVersion \"client.authentication.k8s.io/v1alpha1\"",
        ),
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
        Seen::Command(output) => e.commands.push(crate::model::evidence::CommandRun {
            identity: "oidc".into(),
            args: vec!["oidc-login".into(), "get-token".into()],
            success: false,
            output: output.into(),
        }),
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
        Program::Kubelogin => "kubelogin-",
        Program::Kubectl => "kubectl-",
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

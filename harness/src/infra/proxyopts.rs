//! The options of the pinned oauth2-proxy (v7.15.6), read from its source:
//! `pkg/apis/options/legacy_options.go` (+ `options.go`, `cookie.go`, `sessions.go`,
//! `logging.go`, `app.go` for the squashed `Options`, `Cookie`, `SessionOptions`,
//! `Logging`, `Templates` structs; `load.go`; `main.go` for the flag-only options).
//! Unknown cfg keys are an error: `load.go:50` calls `v.UnmarshalExact(into, decodeFromCfgTag)`
//! ("UnmarshalExact will return an error if the config includes options that are not mapped
//! to fields of the into struct"), wrapped at `load.go:52` as `"error unmarshalling config: %w"`;
//! the text is `error unmarshalling config: decoding failed due to the following error(s):\n\n'options.LegacyOptions' has invalid keys: <k1>, <k2>`
//! (sorted keys; mapstructure v2.5.0), reported by `main.go:47` as `ERROR: failed to load legacy
//! options: failed to load config: <that>` and a fatal exit. Unknown `OAUTH2_PROXY_*` variables are
//! ignored (viper `AutomaticEnv` only looks up known keys); unknown flags fail with
//! `unknown flag: --<name>` and exit 2 (pflag `ExitOnError`).
//!
//! Environment: `load.go` sets `v.SetEnvPrefix("OAUTH2_PROXY")` and `v.AutomaticEnv()` with no key
//! replacer, so a cfg key's variable is `OAUTH2_PROXY_` + the key upper-cased (keys use `_` already).
//! Lists from the environment or a flag are comma-separated; in the cfg file they are TOML arrays.

/// How oauth2-proxy parses an option's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    String,
    Bool,
    Int,
    Duration,
    List,
    Float,
}

/// One option: its `oauth2_proxy.cfg` key, its flag (without `--`), its kind.
#[derive(Debug, Clone, Copy)]
pub struct ProxyOption {
    pub cfg: &'static str,
    pub flag: &'static str,
    pub kind: Kind,
}

/// Every `cfg:"..."` key reachable from `LegacyOptions` (squashed structs expanded), in
/// struct-field order, with its `flag:"..."` and the flag's kind (`flagSet.String` → String,
/// `Bool` → Bool, `Int` → Int, `Duration` → Duration, `StringSlice` → List).
/// Note: `google_group` and `google_groups` share the flag `google-group`
/// (`GoogleGroupsLegacy` and `GoogleGroups`); `by_flag("google-group")` finds `google_group`.
#[rustfmt::skip]
pub const OPTIONS: &[ProxyOption] = &[
    // LegacyUpstreams (legacy_options.go, legacyUpstreamsFlagSet)
    ProxyOption { cfg: "flush_interval", flag: "flush-interval", kind: Kind::Duration },
    ProxyOption { cfg: "pass_host_header", flag: "pass-host-header", kind: Kind::Bool },
    ProxyOption { cfg: "proxy_websockets", flag: "proxy-websockets", kind: Kind::Bool },
    ProxyOption { cfg: "ssl_upstream_insecure_skip_verify", flag: "ssl-upstream-insecure-skip-verify", kind: Kind::Bool },
    ProxyOption { cfg: "upstreams", flag: "upstream", kind: Kind::List },
    ProxyOption { cfg: "upstream_timeout", flag: "upstream-timeout", kind: Kind::Duration },
    ProxyOption { cfg: "disable_keep_alives", flag: "disable-keep-alives", kind: Kind::Bool },

    // LegacyHeaders (legacy_options.go, legacyHeadersFlagSet)
    ProxyOption { cfg: "pass_basic_auth", flag: "pass-basic-auth", kind: Kind::Bool },
    ProxyOption { cfg: "pass_access_token", flag: "pass-access-token", kind: Kind::Bool },
    ProxyOption { cfg: "pass_user_headers", flag: "pass-user-headers", kind: Kind::Bool },
    ProxyOption { cfg: "pass_authorization_header", flag: "pass-authorization-header", kind: Kind::Bool },
    ProxyOption { cfg: "set_basic_auth", flag: "set-basic-auth", kind: Kind::Bool },
    ProxyOption { cfg: "set_xauthrequest", flag: "set-xauthrequest", kind: Kind::Bool },
    ProxyOption { cfg: "set_authorization_header", flag: "set-authorization-header", kind: Kind::Bool },
    ProxyOption { cfg: "prefer_email_to_user", flag: "prefer-email-to-user", kind: Kind::Bool },
    ProxyOption { cfg: "basic_auth_password", flag: "basic-auth-password", kind: Kind::String },
    ProxyOption { cfg: "skip_auth_strip_headers", flag: "skip-auth-strip-headers", kind: Kind::Bool },

    // LegacyServer (legacy_options.go, legacyServerFlagset)
    ProxyOption { cfg: "metrics_address", flag: "metrics-address", kind: Kind::String },
    ProxyOption { cfg: "metrics_secure_address", flag: "metrics-secure-address", kind: Kind::String },
    ProxyOption { cfg: "metrics_tls_cert_file", flag: "metrics-tls-cert-file", kind: Kind::String },
    ProxyOption { cfg: "metrics_tls_key_file", flag: "metrics-tls-key-file", kind: Kind::String },
    ProxyOption { cfg: "http_address", flag: "http-address", kind: Kind::String },
    ProxyOption { cfg: "https_address", flag: "https-address", kind: Kind::String },
    ProxyOption { cfg: "tls_cert_file", flag: "tls-cert-file", kind: Kind::String },
    ProxyOption { cfg: "tls_key_file", flag: "tls-key-file", kind: Kind::String },
    ProxyOption { cfg: "tls_min_version", flag: "tls-min-version", kind: Kind::String },
    ProxyOption { cfg: "tls_cipher_suites", flag: "tls-cipher-suite", kind: Kind::List },

    // LegacyProvider (legacy_options.go, legacyProviderFlagSet + legacyGoogleFlagSet)
    ProxyOption { cfg: "client_id", flag: "client-id", kind: Kind::String },
    ProxyOption { cfg: "client_secret", flag: "client-secret", kind: Kind::String },
    ProxyOption { cfg: "client_secret_file", flag: "client-secret-file", kind: Kind::String },
    ProxyOption { cfg: "keycloak_groups", flag: "keycloak-group", kind: Kind::List },
    ProxyOption { cfg: "azure_tenant", flag: "azure-tenant", kind: Kind::String },
    ProxyOption { cfg: "azure_graph_group_field", flag: "azure-graph-group-field", kind: Kind::String },
    ProxyOption { cfg: "entra_id_allowed_tenants", flag: "entra-id-allowed-tenant", kind: Kind::List },
    ProxyOption { cfg: "entra_id_federated_token_auth", flag: "entra-id-federated-token-auth", kind: Kind::Bool },
    ProxyOption { cfg: "bitbucket_team", flag: "bitbucket-team", kind: Kind::String },
    ProxyOption { cfg: "bitbucket_workspace", flag: "bitbucket-workspace", kind: Kind::String },
    ProxyOption { cfg: "bitbucket_repository", flag: "bitbucket-repository", kind: Kind::String },
    ProxyOption { cfg: "github_org", flag: "github-org", kind: Kind::String },
    ProxyOption { cfg: "github_team", flag: "github-team", kind: Kind::String },
    ProxyOption { cfg: "github_repo", flag: "github-repo", kind: Kind::String },
    ProxyOption { cfg: "github_token", flag: "github-token", kind: Kind::String },
    ProxyOption { cfg: "github_users", flag: "github-user", kind: Kind::List },
    ProxyOption { cfg: "gitlab_groups", flag: "gitlab-group", kind: Kind::List },
    ProxyOption { cfg: "gitlab_projects", flag: "gitlab-project", kind: Kind::List },
    ProxyOption { cfg: "google_group", flag: "google-group", kind: Kind::List },
    ProxyOption { cfg: "google_groups", flag: "google-group", kind: Kind::List },
    ProxyOption { cfg: "google_admin_email", flag: "google-admin-email", kind: Kind::String },
    ProxyOption { cfg: "google_service_account_json", flag: "google-service-account-json", kind: Kind::String },
    ProxyOption { cfg: "google_use_application_default_credentials", flag: "google-use-application-default-credentials", kind: Kind::String }, // Go field is `bool` but the flag is `flagSet.String`: needs `--flag=true`
    ProxyOption { cfg: "google_target_principal", flag: "google-target-principal", kind: Kind::String },
    ProxyOption { cfg: "google_use_organization_id", flag: "google-use-organization-id", kind: Kind::String }, // Go field is `bool` but the flag is `flagSet.String`: needs `--flag=true`
    ProxyOption { cfg: "google_admin_api_user_scope", flag: "google-admin-api-user-scope", kind: Kind::String },
    ProxyOption { cfg: "provider", flag: "provider", kind: Kind::String },
    ProxyOption { cfg: "provider_display_name", flag: "provider-display-name", kind: Kind::String },
    ProxyOption { cfg: "provider_ca_files", flag: "provider-ca-file", kind: Kind::List },
    ProxyOption { cfg: "use_system_trust_store", flag: "use-system-trust-store", kind: Kind::Bool },
    ProxyOption { cfg: "oidc_issuer_url", flag: "oidc-issuer-url", kind: Kind::String },
    ProxyOption { cfg: "insecure_oidc_allow_unverified_email", flag: "insecure-oidc-allow-unverified-email", kind: Kind::Bool },
    ProxyOption { cfg: "insecure_oidc_skip_issuer_verification", flag: "insecure-oidc-skip-issuer-verification", kind: Kind::Bool },
    ProxyOption { cfg: "insecure_oidc_skip_nonce", flag: "insecure-oidc-skip-nonce", kind: Kind::Bool },
    ProxyOption { cfg: "skip_oidc_discovery", flag: "skip-oidc-discovery", kind: Kind::Bool },
    ProxyOption { cfg: "oidc_jwks_url", flag: "oidc-jwks-url", kind: Kind::String },
    ProxyOption { cfg: "oidc_email_claim", flag: "oidc-email-claim", kind: Kind::String },
    ProxyOption { cfg: "oidc_groups_claim", flag: "oidc-groups-claim", kind: Kind::String },
    ProxyOption { cfg: "oidc_audience_claims", flag: "oidc-audience-claim", kind: Kind::List },
    ProxyOption { cfg: "oidc_extra_audiences", flag: "oidc-extra-audience", kind: Kind::List },
    ProxyOption { cfg: "oidc_public_key_files", flag: "oidc-public-key-file", kind: Kind::List },
    ProxyOption { cfg: "oidc_enabled_signing_algs", flag: "oidc-enabled-signing-alg", kind: Kind::List },
    ProxyOption { cfg: "login_url", flag: "login-url", kind: Kind::String },
    ProxyOption { cfg: "auth_request_response_mode", flag: "auth-request-response-mode", kind: Kind::String },
    ProxyOption { cfg: "redeem_url", flag: "redeem-url", kind: Kind::String },
    ProxyOption { cfg: "profile_url", flag: "profile-url", kind: Kind::String },
    ProxyOption { cfg: "skip_claims_from_profile_url", flag: "skip-claims-from-profile-url", kind: Kind::Bool },
    ProxyOption { cfg: "resource", flag: "resource", kind: Kind::String },
    ProxyOption { cfg: "validate_url", flag: "validate-url", kind: Kind::String },
    ProxyOption { cfg: "scope", flag: "scope", kind: Kind::String },
    ProxyOption { cfg: "prompt", flag: "prompt", kind: Kind::String },
    ProxyOption { cfg: "approval_prompt", flag: "approval-prompt", kind: Kind::String },
    ProxyOption { cfg: "user_id_claim", flag: "user-id-claim", kind: Kind::String },
    ProxyOption { cfg: "allowed_groups", flag: "allowed-group", kind: Kind::List },
    ProxyOption { cfg: "allowed_roles", flag: "allowed-role", kind: Kind::List },
    ProxyOption { cfg: "backend_logout_url", flag: "backend-logout-url", kind: Kind::String },
    ProxyOption { cfg: "acr_values", flag: "acr-values", kind: Kind::String },
    ProxyOption { cfg: "jwt_key", flag: "jwt-key", kind: Kind::String },
    ProxyOption { cfg: "jwt_key_file", flag: "jwt-key-file", kind: Kind::String },
    ProxyOption { cfg: "pubjwk_url", flag: "pubjwk-url", kind: Kind::String },
    ProxyOption { cfg: "code_challenge_method", flag: "code-challenge-method", kind: Kind::String },
    ProxyOption { cfg: "force_code_challenge_method", flag: "force-code-challenge-method", kind: Kind::String },

    // Options (options.go, NewFlagSet)
    ProxyOption { cfg: "proxy_prefix", flag: "proxy-prefix", kind: Kind::String },
    ProxyOption { cfg: "ping_path", flag: "ping-path", kind: Kind::String },
    ProxyOption { cfg: "ping_user_agent", flag: "ping-user-agent", kind: Kind::String },
    ProxyOption { cfg: "ready_path", flag: "ready-path", kind: Kind::String },
    ProxyOption { cfg: "reverse_proxy", flag: "reverse-proxy", kind: Kind::Bool },
    ProxyOption { cfg: "real_client_ip_header", flag: "real-client-ip-header", kind: Kind::String },
    ProxyOption { cfg: "trusted_proxy_ips", flag: "trusted-proxy-ip", kind: Kind::List },
    ProxyOption { cfg: "trusted_ips", flag: "trusted-ip", kind: Kind::List },
    ProxyOption { cfg: "force_https", flag: "force-https", kind: Kind::Bool },
    ProxyOption { cfg: "redirect_url", flag: "redirect-url", kind: Kind::String },
    ProxyOption { cfg: "relative_redirect_url", flag: "relative-redirect-url", kind: Kind::Bool },
    ProxyOption { cfg: "authenticated_emails_file", flag: "authenticated-emails-file", kind: Kind::String },
    ProxyOption { cfg: "email_domains", flag: "email-domain", kind: Kind::List },
    ProxyOption { cfg: "whitelist_domains", flag: "whitelist-domain", kind: Kind::List },
    ProxyOption { cfg: "htpasswd_file", flag: "htpasswd-file", kind: Kind::String },
    ProxyOption { cfg: "htpasswd_user_groups", flag: "htpasswd-user-group", kind: Kind::List },

    // Options.Cookie (cookie.go, cookieFlagSet)
    ProxyOption { cfg: "cookie_name", flag: "cookie-name", kind: Kind::String },
    ProxyOption { cfg: "cookie_secret", flag: "cookie-secret", kind: Kind::String },
    ProxyOption { cfg: "cookie_secret_file", flag: "cookie-secret-file", kind: Kind::String },
    ProxyOption { cfg: "cookie_domains", flag: "cookie-domain", kind: Kind::List },
    ProxyOption { cfg: "cookie_path", flag: "cookie-path", kind: Kind::String },
    ProxyOption { cfg: "cookie_expire", flag: "cookie-expire", kind: Kind::Duration },
    ProxyOption { cfg: "cookie_refresh", flag: "cookie-refresh", kind: Kind::Duration },
    ProxyOption { cfg: "cookie_secure", flag: "cookie-secure", kind: Kind::Bool },
    ProxyOption { cfg: "cookie_httponly", flag: "cookie-httponly", kind: Kind::Bool },
    ProxyOption { cfg: "cookie_samesite", flag: "cookie-samesite", kind: Kind::String },
    ProxyOption { cfg: "cookie_csrf_per_request", flag: "cookie-csrf-per-request", kind: Kind::Bool },
    ProxyOption { cfg: "cookie_csrf_per_request_limit", flag: "cookie-csrf-per-request-limit", kind: Kind::Int },
    ProxyOption { cfg: "cookie_csrf_expire", flag: "cookie-csrf-expire", kind: Kind::Duration },
    ProxyOption { cfg: "cookie_csrf_samesite", flag: "cookie-csrf-samesite", kind: Kind::String },

    // Options.Session (sessions.go; flags in options.go NewFlagSet)
    ProxyOption { cfg: "session_store_type", flag: "session-store-type", kind: Kind::String },

    // Options.Session.Cookie (sessions.go CookieStoreOptions)
    ProxyOption { cfg: "session_cookie_minimal", flag: "session-cookie-minimal", kind: Kind::Bool },

    // Options.Session.Redis (sessions.go RedisStoreOptions)
    ProxyOption { cfg: "redis_connection_url", flag: "redis-connection-url", kind: Kind::String },
    ProxyOption { cfg: "redis_username", flag: "redis-username", kind: Kind::String },
    ProxyOption { cfg: "redis_password", flag: "redis-password", kind: Kind::String },
    ProxyOption { cfg: "redis_use_sentinel", flag: "redis-use-sentinel", kind: Kind::Bool },
    ProxyOption { cfg: "redis_sentinel_password", flag: "redis-sentinel-password", kind: Kind::String },
    ProxyOption { cfg: "redis_sentinel_master_name", flag: "redis-sentinel-master-name", kind: Kind::String },
    ProxyOption { cfg: "redis_sentinel_connection_urls", flag: "redis-sentinel-connection-urls", kind: Kind::List },
    ProxyOption { cfg: "redis_use_cluster", flag: "redis-use-cluster", kind: Kind::Bool },
    ProxyOption { cfg: "redis_cluster_connection_urls", flag: "redis-cluster-connection-urls", kind: Kind::List },
    ProxyOption { cfg: "redis_ca_path", flag: "redis-ca-path", kind: Kind::String },
    ProxyOption { cfg: "redis_insecure_skip_tls_verify", flag: "redis-insecure-skip-tls-verify", kind: Kind::Bool },
    ProxyOption { cfg: "redis_connection_idle_timeout", flag: "redis-connection-idle-timeout", kind: Kind::Int },

    // Options.Logging (logging.go, loggingFlagSet)
    ProxyOption { cfg: "auth_logging", flag: "auth-logging", kind: Kind::Bool },
    ProxyOption { cfg: "auth_logging_format", flag: "auth-logging-format", kind: Kind::String },
    ProxyOption { cfg: "request_logging", flag: "request-logging", kind: Kind::Bool },
    ProxyOption { cfg: "request_logging_format", flag: "request-logging-format", kind: Kind::String },
    ProxyOption { cfg: "standard_logging", flag: "standard-logging", kind: Kind::Bool },
    ProxyOption { cfg: "standard_logging_format", flag: "standard-logging-format", kind: Kind::String },
    ProxyOption { cfg: "errors_to_info_log", flag: "errors-to-info-log", kind: Kind::Bool },
    ProxyOption { cfg: "exclude_logging_paths", flag: "exclude-logging-path", kind: Kind::List },
    ProxyOption { cfg: "logging_local_time", flag: "logging-local-time", kind: Kind::Bool },
    ProxyOption { cfg: "silence_ping_logging", flag: "silence-ping-logging", kind: Kind::Bool },
    ProxyOption { cfg: "request_id_header", flag: "request-id-header", kind: Kind::String },

    // Options.Logging.File (logging.go LogFileOptions)
    ProxyOption { cfg: "logging_filename", flag: "logging-filename", kind: Kind::String },
    ProxyOption { cfg: "logging_max_size", flag: "logging-max-size", kind: Kind::Int },
    ProxyOption { cfg: "logging_max_age", flag: "logging-max-age", kind: Kind::Int },
    ProxyOption { cfg: "logging_max_backups", flag: "logging-max-backups", kind: Kind::Int },
    ProxyOption { cfg: "logging_compress", flag: "logging-compress", kind: Kind::Bool },

    // Options.Templates (app.go, templatesFlagSet)
    ProxyOption { cfg: "custom_templates_dir", flag: "custom-templates-dir", kind: Kind::String },
    ProxyOption { cfg: "custom_sign_in_logo", flag: "custom-sign-in-logo", kind: Kind::String },
    ProxyOption { cfg: "banner", flag: "banner", kind: Kind::String },
    ProxyOption { cfg: "footer", flag: "footer", kind: Kind::String },
    ProxyOption { cfg: "display_htpasswd_form", flag: "display-htpasswd-form", kind: Kind::Bool },
    ProxyOption { cfg: "show_debug_on_error", flag: "show-debug-on-error", kind: Kind::Bool },

    // Options (options.go, NewFlagSet): the fields after Templates
    ProxyOption { cfg: "api_routes", flag: "api-route", kind: Kind::List },
    ProxyOption { cfg: "skip_auth_regex", flag: "skip-auth-regex", kind: Kind::List },
    ProxyOption { cfg: "skip_auth_routes", flag: "skip-auth-route", kind: Kind::List },
    ProxyOption { cfg: "skip_jwt_bearer_tokens", flag: "skip-jwt-bearer-tokens", kind: Kind::Bool },
    ProxyOption { cfg: "bearer_token_login_fallback", flag: "bearer-token-login-fallback", kind: Kind::Bool },
    ProxyOption { cfg: "extra_jwt_issuers", flag: "extra-jwt-issuers", kind: Kind::List },
    ProxyOption { cfg: "skip_provider_button", flag: "skip-provider-button", kind: Kind::Bool },
    ProxyOption { cfg: "ssl_insecure_skip_verify", flag: "ssl-insecure-skip-verify", kind: Kind::Bool },
    ProxyOption { cfg: "skip_auth_preflight", flag: "skip-auth-preflight", kind: Kind::Bool },
    ProxyOption { cfg: "force_json_errors", flag: "force-json-errors", kind: Kind::Bool },
    ProxyOption { cfg: "encode_state", flag: "encode-state", kind: Kind::Bool },
    ProxyOption { cfg: "allow_query_semicolons", flag: "allow-query-semicolons", kind: Kind::Bool },
    ProxyOption { cfg: "signature_key", flag: "signature-key", kind: Kind::String },
    ProxyOption { cfg: "gcp_healthchecks", flag: "gcp-healthchecks", kind: Kind::Bool },
];

/// Flags with no cfg key: declared in `main.go` on `configFlagSet` (`config`, `alpha-config`,
/// `convert-config-to-alpha`, `version`, `config-test`). Every flag of `NewLegacyFlagSet` is bound
/// to a cfg key.
pub const FLAG_ONLY: &[&str] = &[
    "config",
    "alpha-config",
    "convert-config-to-alpha",
    "version",
    "config-test",
];

/// The option a cfg key names.
pub fn by_cfg(key: &str) -> Option<&'static ProxyOption> {
    OPTIONS.iter().find(|o| o.cfg == key)
}

/// The option a flag (without `--`) names.
pub fn by_flag(flag: &str) -> Option<&'static ProxyOption> {
    OPTIONS.iter().find(|o| o.flag == flag)
}

/// The option an environment variable names (`OAUTH2_PROXY_<CFG KEY UPPER>`).
pub fn by_env(name: &str) -> Option<&'static ProxyOption> {
    let key = name.strip_prefix("OAUTH2_PROXY_")?.to_ascii_lowercase();
    by_cfg(&key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        assert_eq!(OPTIONS.len(), 169);
        let u = by_cfg("upstreams").unwrap();
        assert_eq!((u.flag, u.kind), ("upstream", Kind::List));
        assert_eq!(by_flag("upstream").unwrap().cfg, "upstreams");
        assert_eq!(by_cfg("email_domains").unwrap().flag, "email-domain");
        assert_eq!(by_flag("email-domain").unwrap().cfg, "email_domains");
        assert_eq!(by_cfg("cookie_secure").unwrap().kind, Kind::Bool);
        assert_eq!(by_cfg("oidc_issuer_url").unwrap().kind, Kind::String);
        assert_eq!(by_cfg("cookie_expire").unwrap().kind, Kind::Duration);
        assert_eq!(by_cfg("logging_max_size").unwrap().kind, Kind::Int);
        assert_eq!(by_env("OAUTH2_PROXY_CLIENT_ID").unwrap().cfg, "client_id");
        assert!(by_env("OAUTH2_PROXY_NOT_AN_OPTION").is_none());
        assert!(by_env("CLIENT_ID").is_none());
        assert!(by_cfg("upstream").is_none());
        assert_eq!(by_flag("google-group").unwrap().cfg, "google_group");
    }

    #[test]
    fn unique_cfg_keys_and_no_flag_only_overlap() {
        for (i, o) in OPTIONS.iter().enumerate() {
            assert!(
                OPTIONS[..i].iter().all(|p| p.cfg != o.cfg),
                "duplicate cfg {}",
                o.cfg
            );
            assert!(!FLAG_ONLY.contains(&o.flag), "{} is flag-only", o.flag);
        }
    }
}

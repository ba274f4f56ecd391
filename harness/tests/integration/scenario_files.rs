//! A scenario file that cannot run fails to load, before any program starts,
//! with its file, line and column: `oidc-harness list` (and so `cargo nextest
//! list`, which loads the same files) on each file of `fixtures/bad/scenario/`.

use std::path::Path;
use std::process::Command;

/// `oidc-harness list --scenarios <a folder with only this file>`: it must
/// fail with exactly `expected` (the folder shown as `DIR`).
#[track_caller]
fn check(file: &str, expected: &str) {
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/bad/scenario")
        .join(file);
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(&source, dir.path().join(file)).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_oidc-harness"))
        .args(["list", "--scenarios"])
        .arg(dir.path())
        .output()
        .unwrap();
    let stderr =
        String::from_utf8_lossy(&out.stderr).replace(&dir.path().display().to_string(), "DIR");
    assert!(
        !out.status.success(),
        "{file} listed: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(out.stdout.is_empty(), "{file}: no case is listed");
    assert_eq!(stderr.trim_end(), format!("error: DIR/{file}{expected}"));
}

#[test]
fn a_misspelled_expect_key_names_the_keys_of_that_step() {
    check(
        "unknown-expect-key.yaml",
        ":11:9: steps[0].browser_login.expect: unknown field `dex_logins`, expected one of `error`, `claims`, `claims_absent`, `access_claims`, `userinfo`, `page_text`, `dex_log`, `dex_login`, `refresh`",
    );
}

#[test]
fn an_expect_key_another_step_reads_is_unknown_here() {
    check(
        "expect-key-of-another-step.yaml",
        ":12:17: steps[0].password_grant.expect: unknown field `headers`, expected one of `error`, `claims`, `userinfo`",
    );
}

#[test]
fn a_diagnosis_id_must_be_in_the_catalogue() {
    let ids = oidc_harness::diagnose::known_ids().join(", ");
    check(
        "unknown-diagnosis.yaml",
        &format!(
            ":11:5: variant `typo`: `groups-not-enabeld` is not a diagnosis of the catalogue (`none`, or one of: {ids})"
        ),
    );
}

#[test]
fn a_step_whose_needs_the_scenario_does_not_meet() {
    check(
        "unmet-needs.yaml",
        ":7:5: case `bad/unmet-needs/base`: step `browser_login at Dex as u` needs `dex`, `app`, which the case does not have",
    );
}

#[test]
fn a_variant_whose_patch_removes_what_a_step_needs() {
    check(
        "unmet-needs-after-patch.yaml",
        ":6:5: case `bad/unmet-needs-after-patch/no-apiserver`: step `kubectl get pods (as admin)` needs `apiserver`, which the case does not have",
    );
}

#[test]
fn a_step_with_fields_that_do_not_fit_together() {
    check(
        "keycloak-step-without-client.yaml",
        ":6:5: case `bad/keycloak-step-without-client/base`: step `browser_login at Keycloak as u`: `at: keycloak` needs `client_secret`; `at: keycloak` needs `redirect_uri`",
    );
}

#[test]
fn a_positional_patch_path_needs_a_test_guard() {
    check(
        "unguarded-positional-patch.yaml",
        ":14:11: variant `trailing-slash`: `/keycloak/realm/clients/0/redirectUris/0` reaches into a list by position (/keycloak/realm/clients/0) with no `op: test` before it that pins which element it means, e.g. `{op: test, path: /keycloak/realm/clients/0/<an identifying field>, value: ...}`",
    );
}

#[test]
fn a_patch_that_does_not_apply_is_located_at_its_operation() {
    check(
        "patch-does-not-apply.yaml",
        ":12:11: variant `nothing-there`: patch does not apply: operation '/1' failed at path '/dex/config/issuer': path is invalid",
    );
}

#[test]
fn an_unknown_text_rule_says_which_rules_there_are() {
    check(
        "text-rule-unknown.yaml",
        ":6:57: steps[0].kubectl.output: a text to contain, or one of `{line: ...}`, `{exact: ...}`, `{absent: ...}`",
    );
}

#[test]
fn an_unknown_key_names_the_valid_keys() {
    check(
        "unknown-top-level-key.yaml",
        ":4:1: unknown field `stepz`, expected one of `guide`, `source`, `description`, `findings`, `keycloak`, `dex`, `app`, `apiserver`, `impersonation_proxy`, `oauth2_proxy`, `osmo_values`, `istio`, `steps`, `variants`",
    );
}

#[test]
fn an_unknown_verb_names_the_verbs() {
    check(
        "unknown-verb.yaml",
        ":5:5: steps[0]: unknown variant `browser_logon`, expected one of `password_grant`, `browser_login`, `kubelogin`, `kubectl`, `can_i`, `bindings_can_i`, `proxy_can_i`, `proxy_login`, `http_get`, `oauth2_proxy_start`, `set_credentials`, `restart`, `wait_token_expired`, `dex_start`, `discovery`, `device_login`, `envoy_jwt`, `set_password`, `set_groups`, `proxy_sign_out`, `forge_token`, `fault`",
    );
}

#[test]
fn a_repeated_key_is_located_at_the_repeat() {
    check(
        "duplicate-key.yaml",
        ":4:1: duplicate key `source` (first on line 2, column 1)",
    );
}

#[test]
fn a_realm_key_keycloak_does_not_have_is_named_at_its_place() {
    check(
        "realm-unknown-key.yaml",
        ":9:9: case `bad/realm-unknown-key/base`: unknown key `clients[0].redirectUri` (did you mean `redirectUris`?): not a property of Keycloak 26.7.3's ClientRepresentation; Keycloak refuses the whole realm for it (400 \"unable to read contents from stream\")",
    );
}

#[test]
fn every_bad_scenario_file_has_a_test() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/bad/scenario");
    let this = include_str!("scenario_files.rs");
    for entry in std::fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().to_string();
        assert!(this.contains(&format!("\"{name}\"")), "{name} has no test");
    }
}

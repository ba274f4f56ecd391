//! `diagnose DIR` on users' own folders (`fixtures/user-configs/*`: files as
//! deployed, with public URLs, each recognised by its content): the real chain
//! replays them and the verdict is the folder's `expected-diagnosis` (its
//! first line: a catalogue id, `healthy`, `unexplained`, or `static-check`
//! for a fault the files alone show; each further line must appear in what
//! `diagnose` prints). The folders double as a table anyone can run with
//! `oidc-harness diagnose fixtures/user-configs/<folder>`. Recorded
//! (`OIDC_HARNESS_RECORD_EVIDENCE=1`), each run is also a row of the
//! catalogue's table test (`fixtures/evidence/diagnose__<folder>.json`).

use std::path::{Path, PathBuf};

use oidc_harness::diagnose::hops::{Verdict, hops, verdict};
use oidc_harness::report::console;
use oidc_harness::run::run_case;
use oidc_harness::run::{Owner, Run};
use oidc_harness::scenario::userfiles;

fn folders() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/user-configs")
}

#[track_caller]
fn check(name: &str) {
    let dir = folders().join(name);
    let expected = std::fs::read_to_string(dir.join("expected-diagnosis")).unwrap();
    let mut lines = expected.lines();
    let wanted = lines.next().unwrap().trim().to_string();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let report = rt.block_on(async {
        let (case, _) = userfiles::case_from_dir(&dir, &[]).unwrap();
        let keeper = Path::new(env!("CARGO_BIN_EXE_oidc-harness"));
        let run = Run::join_using(Owner::TestRunner, keeper).await.unwrap();
        run_case(&run, &case).await.unwrap()
    });
    let verdict = verdict(&report);
    let printed = console::diagnosed(&report, &hops(&report), &verdict);
    let ok = match (wanted.as_str(), &verdict) {
        ("healthy", Verdict::Healthy) => true,
        ("unexplained", Verdict::Unexplained { .. }) => true,
        ("static-check", Verdict::Diagnosed { ids }) => ids.is_empty(),
        (id, Verdict::Diagnosed { ids }) => ids.first().map(String::as_str) == Some(id),
        _ => false,
    };
    assert!(ok, "{name}: expected {wanted}, got {verdict:?}\n{printed}");
    // `OIDC_HARNESS_RECORD_EVIDENCE=1`: the folder's run becomes a row of
    // the catalogue's table test too, its id (or none) expected first.
    if std::env::var_os("OIDC_HARNESS_RECORD_EVIDENCE").is_some() {
        let text = std::fs::read_to_string(report.dir.join("evidence.json")).unwrap();
        let mut recorded: serde_json::Value = serde_json::from_str(&text).unwrap();
        recorded["expected"] = match wanted.as_str() {
            "healthy" | "unexplained" | "static-check" => "none".into(),
            id => id.into(),
        };
        let to = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../fixtures/evidence")
            .join(format!("diagnose__{name}.json"));
        std::fs::write(&to, serde_json::to_string_pretty(&recorded).unwrap()).unwrap();
    }
    for line in lines.filter(|l| !l.trim().is_empty()) {
        assert!(
            printed.contains(line.trim()),
            "{name}: `{line}` not in:\n{printed}"
        );
    }
}

#[test]
fn user_config_without_insecure_enable_groups() {
    check("groups-not-enabled");
}

#[test]
fn user_config_with_a_misspelled_key() {
    check("typo-insecure-enable-group");
}

#[test]
fn user_realm_without_group_mapper() {
    check("group-mapper-missing");
}

#[test]
fn user_realm_with_trailing_slash_redirect() {
    check("redirect-uri-trailing-slash");
}

#[test]
fn charm_connectors_behind_an_ingress_local_certificate() {
    check("ckf-ingress-local-cert");
}

#[test]
fn charm_connectors_without_root_cas_for_a_private_ca() {
    check("ckf-keycloak-not-trusted");
}

#[test]
fn charm_connectors_as_the_guide_prints_them() {
    check("ckf-guide-snippet");
}

#[test]
fn charm_connectors_with_root_cas_as_a_string() {
    check("ckf-root-cas-string");
}

#[test]
fn a_healthy_paletteai_deployment_as_helm_values_and_a_kind_config() {
    check("paletteai-healthy");
}

#[test]
fn dex_as_a_configmap_without_the_group_mapper_in_the_realm() {
    check("dex-configmap-mapper-missing");
}

#[test]
fn a_static_pod_manifest_whose_issuer_has_a_trailing_slash() {
    check("static-pod-issuer-trailing-slash");
}

#[test]
fn an_apiserver_client_id_dex_has_no_client_for() {
    check("apiserver-client-not-in-dex");
}

#[test]
fn a_healthy_charmed_kubeflow_deployment_as_the_charm_takes_it() {
    check("ckf-healthy");
}

#[test]
fn a_healthy_osmo_deployment_as_its_helm_values_and_secret() {
    check("osmo-healthy");
}

#[test]
fn osmo_values_without_the_unverified_email_flag() {
    check("osmo-unverified-email");
}

#[test]
fn osmo_cookie_secret_made_with_openssl_base64() {
    check("osmo-cookie-secret-openssl");
}

#[test]
fn a_healthy_oauth2_proxy_cfg_and_environment_in_front_of_dex() {
    check("dex-oauth2-proxy-healthy");
}

#[test]
fn oauth2_proxy_redirect_url_that_dex_does_not_list() {
    check("dex-oauth2-proxy-redirect-unregistered");
}

#[test]
fn a_healthy_guide_003_deployment_without_keycloak() {
    check("paletteai-apiserver-healthy");
}

#[test]
fn guide_003_as_written() {
    check("paletteai-apiserver-as-written");
}

#[test]
fn a_healthy_app_given_by_its_client_settings() {
    check("app-client-healthy");
}

#[test]
fn an_app_whose_redirect_uri_dex_does_not_list() {
    check("app-client-redirect-unlisted");
}

#[test]
fn a_healthy_kubeflow_deployment_as_its_manifests() {
    check("kubeflow-healthy");
}

#[test]
fn kubeflow_with_the_guides_insecure_key() {
    check("kubeflow-guide-insecure-key");
}

#[test]
fn a_static_pod_manifest_with_a_flag_the_apiserver_does_not_have() {
    check("static-pod-groups-claim-typo");
}

#[test]
fn a_private_dex_certificate_and_no_apiserver_ca() {
    check("apiserver-no-ca-for-private-dex");
}

#[test]
fn a_healthy_authentication_configuration() {
    check("authentication-config-healthy");
}

#[test]
fn an_authentication_configuration_with_a_field_the_apiserver_does_not_have() {
    check("authentication-config-claim-mapping-typo");
}

#[test]
fn a_dex_config_whose_connectors_are_a_map() {
    check("dex-connectors-a-map");
}

#[test]
fn osmo_with_a_cookie_domain_the_app_is_not_under() {
    check("osmo-cookie-domain-elsewhere");
}

#[test]
fn a_healthy_oauth2_proxy_as_its_helm_chart_values() {
    check("oauth2-proxy-chart-values-healthy");
}

#[test]
fn oauth2_proxy_flags_with_an_environment_variable_it_does_not_have() {
    check("oauth2-proxy-flags-env-typo");
}

#[test]
fn a_kubelogin_flag_of_an_older_version() {
    check("kubelogin-flag-of-an-older-version");
}

#[test]
fn a_private_dex_certificate_and_no_kubelogin_ca() {
    check("kubelogin-no-ca-for-private-dex");
}

#[test]
fn every_folder_has_a_test_and_an_expected_diagnosis() {
    let this = include_str!("diagnose.rs");
    for entry in std::fs::read_dir(folders()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        assert!(path.join("expected-diagnosis").is_file(), "{name}");
        assert!(
            this.contains(&format!("check(\"{name}\")")),
            "{name} has no test"
        );
    }
}

#[test]
fn kubelogin_and_rbac_of_a_healthy_paletteai_cluster() {
    check("paletteai-kubelogin-healthy");
}

#[test]
fn kubelogin_as_guide_003_writes_it_without_the_groups_scope() {
    check("kubelogin-groups-scope-missing");
}

#[test]
fn rbac_groups_without_the_apiservers_groups_prefix() {
    check("rbac-groups-prefix");
}

#[test]
fn kubelogin_redirect_registered_for_another_host() {
    check("kubelogin-redirect-unregistered");
}

#[test]
fn a_static_pod_manifest_with_a_quoted_empty_username_prefix() {
    check("static-pod-quoted-username-prefix");
}

#[test]
fn rbac_bound_to_a_group_no_signed_in_user_is_in() {
    check("rbac-group-not-in-the-realm");
}

#[test]
fn rbac_bound_to_a_user_who_never_signs_in() {
    check("rbac-user-not-signed-in");
}

/// Every file `oidc-harness diagnose` writes (report, `evidence.json`, the
/// rendered configs, the logs it keeps) and everything it prints hold none of
/// the secrets of the user's files: client secrets, the cookie secret and the
/// users' passwords; the run still signs in with them (it is healthy).
#[test]
fn a_diagnose_run_writes_and_prints_none_of_the_users_secrets() {
    let folder = folders().join("dex-oauth2-proxy-healthy");
    let out = tempfile::tempdir().unwrap();
    for format in ["text", "json"] {
        let run = std::process::Command::new(env!("CARGO_BIN_EXE_oidc-harness"))
            .arg("diagnose")
            .arg(&folder)
            .args(["--format", format])
            .env("OIDC_HARNESS_OUT", out.path())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&run.stdout).to_string();
        let stderr = String::from_utf8_lossy(&run.stderr).to_string();
        assert_eq!(run.status.code(), Some(0), "{stdout}\n{stderr}");
        let secrets = [
            "canvas-secret",
            "grafana-proxy-secret",
            "kc-dex-client-secret",
            "q3Jd9v-Xk2mN_T7pLw0ZcRb4sYhE1uGfA8oViKxQn5M=",
            "Admin-pass-1!",
            "Editor-pass-1!",
            "Viewer-pass-1!",
        ];
        let mut files = vec![
            (PathBuf::from("stdout"), stdout.into_bytes()),
            (PathBuf::from("stderr"), stderr.into_bytes()),
        ];
        let mut dirs = vec![out.path().to_path_buf()];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    dirs.push(path);
                } else if let Ok(bytes) = std::fs::read(&path) {
                    files.push((path, bytes));
                }
            }
        }
        assert!(
            files.iter().any(|(p, _)| p.ends_with("evidence.json")),
            "the run wrote no evidence: {:?}",
            files.iter().map(|(p, _)| p).collect::<Vec<_>>()
        );
        for (path, bytes) in &files {
            for secret in secrets {
                let found = bytes.windows(secret.len()).any(|w| w == secret.as_bytes());
                assert!(!found, "{format}: `{secret}` is in {}", path.display());
            }
        }
    }
}

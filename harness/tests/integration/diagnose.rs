//! `diagnose` on users' own files (fixtures/user-configs/*: a realm export and
//! a Dex config with public URLs, not scenarios): the real chain runs and the
//! right cause comes first.

use std::path::Path;

use oidc_harness::run::run_case;
use oidc_harness::run::{Owner, Run};
use oidc_harness::scenario::userfiles;

#[track_caller]
fn check(name: &str, expected: &str, static_finding: Option<&str>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/user-configs")
        .join(name);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let report = rt.block_on(async {
        let case =
            userfiles::case(&dir.join("realm.json"), &dir.join("dex.yaml"), None, &[]).unwrap();
        let keeper = Path::new(env!("CARGO_BIN_EXE_oidc-harness"));
        let run = Run::join_using(Owner::TestRunner, keeper).await.unwrap();
        run_case(&run, &case).await.unwrap()
    });
    let ids: Vec<&str> = report.diagnoses.iter().map(|d| d.id).collect();
    assert_eq!(
        ids.first(),
        Some(&expected),
        "diagnoses: {:#?}",
        report.diagnoses
    );
    if let Some(finding) = static_finding {
        assert!(
            report.predictions.iter().any(|p| p.contains(finding)),
            "{:?}",
            report.predictions
        );
    }
}

#[test]
fn user_config_without_insecure_enable_groups() {
    check("groups-not-enabled", "groups-not-enabled", None);
}

#[test]
fn user_config_with_a_misspelled_key() {
    check(
        "typo-insecure-enable-group",
        "groups-not-enabled",
        Some(
            "dex.yaml:29:7: unknown Dex config key `connectors[0].config.insecureEnableGroup` (did you mean `insecureEnableGroups`?)",
        ),
    );
}

#[test]
fn user_realm_without_group_mapper() {
    check("group-mapper-missing", "group-mapper-missing", None);
}

#[test]
fn user_realm_with_trailing_slash_redirect() {
    check(
        "redirect-uri-trailing-slash",
        "redirect-uri-mismatch",
        Some("redirect-uri-mismatch"),
    );
}

/// Charmed Kubeflow users' files: the realm export and the connectors JSON
/// they gave `juju config dex-auth connectors=...`, with the certificate their
/// Keycloak presents when the folder has one. The real Dex meets them.
#[track_caller]
fn check_charm(name: &str, expected: &str, evidence: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/user-configs")
        .join(name);
    let cert = dir.join("keycloak-cert.pem");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let report = rt.block_on(async {
        let files = userfiles::UserFiles {
            realm: &dir.join("realm.json"),
            dex_config: None,
            connectors_json: Some(&dir.join("oidc-connector.json")),
            keycloak_cert: cert.exists().then_some(cert.as_path()),
            apiserver: None,
        };
        let case = userfiles::case_from(&files, &[]).unwrap();
        let keeper = Path::new(env!("CARGO_BIN_EXE_oidc-harness"));
        let run = Run::join_using(Owner::TestRunner, keeper).await.unwrap();
        run_case(&run, &case).await.unwrap()
    });
    let first = report.diagnoses.first();
    assert_eq!(
        first.map(|d| d.id),
        Some(expected),
        "diagnoses: {:#?}",
        report.diagnoses
    );
    let shown = first.unwrap().evidence.clone();
    assert!(shown.contains(evidence), "{shown}");
}

#[test]
fn charm_connectors_behind_an_ingress_local_certificate() {
    check_charm(
        "ckf-ingress-local-cert",
        "connector-tls-hostname-mismatch",
        "x509: certificate is valid for ingress.local, not localhost",
    );
}

#[test]
fn charm_connectors_without_root_cas_for_a_private_ca() {
    check_charm(
        "ckf-keycloak-not-trusted",
        "connector-tls-unknown-authority",
        "x509: certificate signed by unknown authority",
    );
}

#[test]
fn charm_connectors_as_the_guide_prints_them() {
    check_charm(
        "ckf-guide-snippet",
        "connector-json-invalid",
        "ckf-guide-snippet/oidc-connector.json:1:20",
    );
}

#[test]
fn charm_connectors_with_root_cas_as_a_string() {
    check_charm(
        "ckf-root-cas-string",
        "connector-field-type",
        "cannot unmarshal string into Go struct field Config.rootCAs of type []string",
    );
}

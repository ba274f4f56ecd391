//! `diagnose` on users' own files (fixtures/user-configs/*: a realm export and
//! a Dex config with public URLs, not scenarios): the real chain runs and the
//! right cause comes first.

use std::path::Path;

use oidc_harness::run::{Owner, Run};
use oidc_harness::scenario::{runner, userfiles};

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
        runner::run_case(&run, &case).await.unwrap()
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

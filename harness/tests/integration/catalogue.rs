//! The diagnose catalogue as a table over recorded evidence: every case of
//! every scenario, as it ran on the real programs (`fixtures/evidence/`,
//! written by `OIDC_HARNESS_RECORD_EVIDENCE=1 cargo nextest run -E
//! 'binary(scenarios)'`), diagnosed again without starting anything. A
//! variant's cause must come first, a base case must match nothing, and
//! every entry of the catalogue must fire first somewhere.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use oidc_harness::diagnose::{diagnose, known_ids, signature_ids};
use oidc_harness::model::evidence::Recorded;

fn evidence_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/evidence")
}

fn recorded() -> Vec<Recorded> {
    let mut rows: Vec<Recorded> = std::fs::read_dir(evidence_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        })
        .collect();
    rows.sort_by(|a, b| a.case.cmp(&b.case));
    rows
}

/// The ids the catalogue names for a row, in its order.
fn named(row: &Recorded) -> Vec<&'static str> {
    diagnose(&row.config, &row.evidence)
        .iter()
        .map(|d| d.id)
        .collect()
}

#[test]
fn every_recorded_case_gets_its_own_diagnosis_first() {
    let rows = recorded();
    let mut wrong = Vec::new();
    for row in &rows {
        let ids = named(row);
        let expected = row.expected.as_deref().unwrap_or("none");
        let ok = match expected {
            "none" => ids.is_empty(),
            id => ids.first() == Some(&id),
        };
        if !ok {
            wrong.push(format!("{}: expected {expected}, named {ids:?}", row.case));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn every_catalogue_entry_fires_first_on_a_recorded_case() {
    let fired: BTreeSet<&str> = recorded()
        .iter()
        .filter_map(|row| named(row).first().copied())
        .collect();
    // The signatures from the programs' sources have a table of their own
    // (`diagnose::signatures`); every entry written for a misconfiguration
    // must fire on its recorded run.
    let signatures = signature_ids();
    let silent: Vec<&str> = known_ids()
        .into_iter()
        .filter(|id| !signatures.contains(id))
        .filter(|id| !fired.contains(id))
        .collect();
    assert!(
        silent.is_empty(),
        "entries no recorded case fires: {silent:?}"
    );
}

#[test]
fn every_scenario_case_has_recorded_evidence() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let recorded: BTreeSet<String> = recorded().into_iter().map(|r| r.case).collect();
    let missing: Vec<String> = oidc_harness::scenario::discover(&dir)
        .unwrap()
        .iter()
        .flat_map(|f| f.cases())
        .map(|c| c.name)
        .filter(|name| !recorded.contains(name))
        .collect();
    assert!(
        missing.is_empty(),
        "cases without evidence in fixtures/evidence (record them): {missing:?}"
    );
}

/// Evidence without the configuration that explains it: only the entries
/// whose cause the programs' own words already name may still fire. A new
/// matcher that forgets to read the configuration it claims fails this.
#[test]
fn without_its_configuration_only_a_program_s_own_words_diagnose() {
    let by_words = [
        // Dex's, the apiserver's, kubelogin's or Keycloak's own text names the cause.
        "dex-callback-mismatch",
        "apiserver-audience-mismatch",
        "apiserver-issuer-mismatch",
        "kubelogin-stale-token-cache",
        "apiserver-token-expired",
        "invalid-scope",
        "redirect-uri-mismatch",
        // Go's x509 text names the certificate's names or its authority.
        "connector-tls-hostname-mismatch",
        "connector-tls-unknown-authority",
        // Dex's unmarshal error names the field and both types.
        "connector-field-type",
        // oauth2-proxy refuses an unverified email only with its flag off.
        "oauth2-proxy-unverified-email",
        // Dex's own ID token says `email_verified: false`.
        "email-unverified-passed-through",
        // The [emulated] Envoy's verdict and the device endpoint's answer.
        "envoy-provider-missing",
        "device-endpoint-not-discovery",
        // A membership changed after the token's `iat`, and what a relying
        // party then saw: the timing is the cause, not a setting.
        "token-groups-outdated",
    ];
    // A signature is a program's own words by definition.
    let signatures = signature_ids();
    let mut leaked = Vec::new();
    for row in recorded() {
        let mut bare = row.clone();
        bare.config = Default::default();
        for id in named(&bare)
            .into_iter()
            .filter(|id| !by_words.contains(id) && !signatures.contains(id))
        {
            leaked.push(format!("{}: {id}", row.case));
        }
    }
    assert!(
        leaked.is_empty(),
        "fired without any configuration:\n{}",
        leaked.join("\n")
    );
}

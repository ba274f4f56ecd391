//! Bad input ends in one clear message: missing prerequisites, a program that
//! exits at start, a port already taken.

use std::ffi::OsStr;

use oidc_harness::infra::tls::Ca;
use oidc_harness::programs::dex::{Dex, DexPlan};
use oidc_harness::toolchain;
use serde_json::json;

#[test]
fn missing_prerequisites_are_named_in_one_message() {
    let empty_cache = tempfile::tempdir().unwrap();
    let err = toolchain::preflight(empty_cache.path(), OsStr::new("/nonexistent"))
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("setup: missing prerequisites:"), "{err}");
    for needed in [
        "go 1.26+",
        "python3",
        "apt-get install chromium chromium-driver",
    ] {
        assert!(err.contains(needed), "`{needed}` not named in: {err}");
    }
}

async fn start_dex(config: impl FnOnce(&DexPlan) -> serde_json::Value, plan: DexPlan) -> String {
    let programs = tokio::task::spawn_blocking(toolchain::ensure)
        .await
        .unwrap()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ca = Ca::create(dir.path()).unwrap();
    let config = config(&plan);
    match Dex::start(&programs.dex, &ca, plan, config, dir.path()).await {
        Ok(_) => panic!("dex started with a bad config"),
        Err(e) => e.to_string(),
    }
}

#[tokio::test]
async fn a_program_that_exits_at_start_shows_its_last_log_lines() {
    let err = start_dex(
        |plan| json!({"issuer": plan.issuer, "connectors": [{"type": "no-such-type", "id": "x", "name": "X", "config": {}}]}),
        DexPlan::new(Default::default()).unwrap(),
    )
    .await;
    assert!(
        err.starts_with("dex did not start: exited with exit status: "),
        "{err}"
    );
    assert!(err.contains("--- last lines of "), "{err}");
    assert!(
        err.contains("no-such-type"),
        "Dex's own complaint is shown: {err}"
    );
}

#[tokio::test]
async fn a_port_already_taken_is_reported_by_the_program() {
    let plan = DexPlan::new(Default::default()).unwrap();
    let _taken = std::net::TcpListener::bind(plan.addr).unwrap();
    let err = start_dex(
        |plan| json!({"issuer": plan.issuer, "enablePasswordDB": true}),
        plan,
    )
    .await;
    assert!(err.starts_with("dex did not start: exited"), "{err}");
    assert!(err.contains("address already in use"), "{err}");
}

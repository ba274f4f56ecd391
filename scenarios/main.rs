//! The data-driven scenario tests: every `*.yaml` under this folder becomes one
//! test per case, named `<guide>/<scenario>/<variant>`, so
//! `cargo nextest run -E 'test(/paletteai/)'` picks a guide. Adding a file adds
//! tests; no Rust edit is needed.
//!
//! Each case runs against the real programs (the shared Keycloak of the run,
//! its own Dex, app and Chromium); in a base case, steps with `snapshot:`
//! compare the redacted ID token claims with an insta snapshot under
//! `snapshots/`.

use std::path::Path;

use libtest_mimic::{Arguments, Failed, Trial};
use oidc_harness::run::run_case;
use oidc_harness::run::{Owner, Run};
use oidc_harness::scenario::{self, Case};

/// The cases that also run on the container backend (Keycloak, Dex and
/// oauth2-proxy as containers).
const CONTAINERS: &str = "containers/";
const CONTAINER_CASES: &[&str] = &[
    "paletteai/dex-keycloak/base",
    "paletteai/dex-keycloak/redirect-uri-trailing-slash-in-keycloak",
    "paletteai/dex-keycloak/insecure-enable-groups-missing",
    "kubeflow/dex-keycloak/base",
    "kubeflow/dex-keycloak/unverified-email-without-insecure-flag",
    "kubeflow/dex-keycloak/groups-scope-not-requested-by-oauth2-proxy",
];

fn main() {
    oidc_harness::run::keeper_main_if_requested();
    let args = Arguments::from_args();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    // A scenario that does not load fails the listing itself (`cargo nextest
    // list` and `run` alike), with the file, line and column, before any
    // program starts.
    let files = match scenario::discover(dir) {
        Ok(files) => files,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    let cases: Vec<Case> = files.iter().flat_map(|f| f.cases()).collect();
    let mut trials: Vec<Trial> = cases
        .iter()
        .cloned()
        .map(|case| {
            let name = case.name.clone();
            Trial::test(name, move || run(&case).map(drop))
        })
        .collect();
    // The same cases on the container backend (local images of the same
    // programs; `OIDC_HARNESS_IMAGES=official` runs the official images).
    trials.extend(
        cases
            .into_iter()
            .filter(|c| CONTAINER_CASES.contains(&c.name.as_str()))
            .map(|mut case| {
                // Its own folder under target/harness, beside the native run's.
                case.name = format!("{CONTAINERS}{}", case.name);
                Trial::test(case.name.clone(), move || {
                    oidc_harness::infra::container::select(
                        oidc_harness::infra::container::Backend::Containers,
                    );
                    if std::env::var(oidc_harness::toolchain::images::IMAGES_ENV).as_deref()
                        != Ok("official")
                    {
                        oidc_harness::toolchain::images::select_local();
                    }
                    let dir = run(&case)?;
                    // The programs ran as containers, not as processes.
                    let dex = std::fs::read_to_string(dir.join("dex.log")).unwrap_or_default();
                    if !dex.starts_with("# oidc-harness: container ") {
                        return Err(
                            format!("{}: Dex did not run as a container", dir.display()).into()
                        );
                    }
                    Ok(())
                })
            }),
    );
    libtest_mimic::run(&args, trials).exit();
}

/// Runs `case`; its folder under target/harness.
fn run(case: &Case) -> Result<std::path::PathBuf, Failed> {
    let rt = tokio::runtime::Runtime::new().map_err(|e| Failed::from(e.to_string()))?;
    let report = rt.block_on(async {
        let run = Run::join(Owner::TestRunner).await?;
        run_case(&run, case).await
    });
    let report = report.map_err(|e| Failed::from(e.to_string()))?;
    // A container-backend run shows what the native one shows: same rows.
    let name = case.name.trim_start_matches(CONTAINERS);
    // `OIDC_HARNESS_RECORD_EVIDENCE=1`: keep what this passing case showed
    // as a row of the catalogue's table test (fixtures/evidence/).
    // (The native run's row: a container-backend run records none.)
    if std::env::var_os("OIDC_HARNESS_RECORD_EVIDENCE").is_some() && name == case.name {
        let to = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../fixtures/evidence")
            .join(format!("{}.json", name.replace('/', "__")));
        std::fs::copy(report.dir.join("evidence.json"), &to)
            .map_err(|e| Failed::from(format!("recording {}: {e}", to.display())))?;
    }
    // Snapshots are of the scenario as written; a variant's steps (or the
    // base's, inherited) are checked by their expectations.
    for step in report.steps.iter().filter(|_| case.variant.is_none()) {
        // The ID token's claims; behind a proxy that passes no token, the
        // identity headers the application received.
        let seen = step.claims.as_ref().or(step.identity_headers.as_ref());
        if let (Some(snap), Some(claims)) = (&step.snapshot, seen) {
            let snapshot = format!("{}__{snap}", name.replace('/', "__"));
            let mut settings = insta::Settings::clone_current();
            settings.set_snapshot_path(Path::new(env!("CARGO_MANIFEST_DIR")).join("snapshots"));
            settings.set_prepend_module_to_snapshot(false);
            settings.set_sort_maps(true);
            settings.set_description(format!("{name}: {}", step.step));
            settings.bind(|| insta::assert_yaml_snapshot!(snapshot, claims));
        }
    }
    Ok(report.dir)
}

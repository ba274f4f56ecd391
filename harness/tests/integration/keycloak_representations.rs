//! `infra::realmrep`'s table is the pinned Keycloak's: regenerated from the
//! installed keycloak-core jar by `scripts/keycloak-representations.py`
//! (javap of the pinned JDK), it is the table in the source.

use std::process::Command;

use oidc_harness::infra::realmrep;
use oidc_harness::toolchain::{self, versions};

#[test]
fn the_realm_table_is_the_pinned_keycloaks() {
    assert_eq!(
        realmrep::KEYCLOAK,
        versions::KEYCLOAK.pinned,
        "regenerate the table for the new pin"
    );
    let programs = toolchain::ensure().unwrap();
    let jar = programs.keycloak.home.join(format!(
        "lib/lib/main/org.keycloak.keycloak-core-{}.jar",
        versions::KEYCLOAK.version
    ));
    assert!(jar.is_file(), "{} is not there", jar.display());
    let javap = programs.keycloak.java_home.join("bin/javap");
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../scripts/keycloak-representations.py"
    );
    let out = Command::new("python3")
        .arg(script)
        .arg(&jar)
        .arg(&javap)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let generated = String::from_utf8(out.stdout).unwrap();
    let source = include_str!("../../src/infra/realmrep.rs");
    let table = source
        .split("pub const REPRESENTATIONS: &[Rep] = &[\n")
        .nth(1)
        .and_then(|t| t.split("\n];\n").next())
        .expect("the table is in the source");
    // rustfmt wraps long entries and drops trailing commas: compare without either.
    let bare = |t: &str| {
        t.chars()
            .filter(|c| !c.is_whitespace() && *c != ',')
            .collect::<String>()
    };
    assert!(
        bare(table) == bare(&generated),
        "the table differs from the pinned jar's: paste the output of scripts/keycloak-representations.py"
    );
}

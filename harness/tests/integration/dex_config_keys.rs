//! The static check of Dex configs knows the keys of the Dex that runs: setup
//! reads them from the source of the Dex it built (`harness/go/dexkeys`), and
//! for the pinned Dex that is the table in the source.

use oidc_harness::infra::dexcheck;
use oidc_harness::toolchain;

#[test]
fn the_dex_keys_table_is_read_from_the_built_dex() {
    toolchain::ensure().unwrap();
    let path = toolchain::installed_dex_config_keys();
    let generated: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let source: serde_json::Value = serde_json::from_str(dexcheck::PINNED_KEYS_JSON).unwrap();
    assert_eq!(
        generated,
        source,
        "{} differs from harness/go/dex/config-keys.json: copy it there for the new pin",
        path.display()
    );
    // What the check leans on is there: a misspelling is caught.
    assert!(
        generated["oidc"]
            .as_array()
            .unwrap()
            .contains(&"insecureEnableGroups".into())
    );
    assert!(
        !generated["oidc"]
            .as_array()
            .unwrap()
            .contains(&"insecureEnableGroup".into())
    );
}

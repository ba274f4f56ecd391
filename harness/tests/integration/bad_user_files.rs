//! A user's files that cannot be replayed end in one clear message before
//! any program starts: `oidc-harness diagnose` on each folder of
//! `fixtures/bad/diagnose/` exits 2 (an unusable file) with the file,
//! line:column where there is one, and what was expected, as its
//! `expected-error` says (the folder shown as `DIR`).

use std::path::{Path, PathBuf};
use std::process::Command;

fn bad() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/bad/diagnose")
}

/// `oidc-harness diagnose <a copy of the folder>`: exit 2, nothing on
/// stdout, no program started, and stderr's first line as expected.
#[track_caller]
fn check(name: &str) {
    let source = bad().join(name);
    let copy = tempfile::tempdir().unwrap();
    let dir = copy.path().join(name);
    std::fs::create_dir(&dir).unwrap();
    let mut expected = None;
    for entry in std::fs::read_dir(&source).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().is_some_and(|n| n == "expected-error") {
            expected = Some(std::fs::read_to_string(&path).unwrap());
        } else {
            std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
        }
    }
    let expected = expected.unwrap_or_else(|| panic!("{name} has no expected-error"));
    let out = Command::new(env!("CARGO_BIN_EXE_oidc-harness"))
        .arg("diagnose")
        .arg(&dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).replace(&dir.display().to_string(), "DIR");
    assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
    assert!(
        out.stdout.is_empty(),
        "{name} printed: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        !stderr.contains("starting Keycloak"),
        "{name} started programs: {stderr}"
    );
    assert_eq!(
        stderr.lines().next().unwrap_or_default(),
        format!("error: {}", expected.trim_end()),
        "{name}"
    );
}

macro_rules! bad_folders {
    ($($test:ident: $name:literal,)*) => {
        $(#[test]
        fn $test() {
            check($name);
        })*

        /// Every folder of `fixtures/bad/diagnose/` is one of the tests above.
        #[test]
        fn every_bad_folder_has_a_test() {
            let named = [$($name),*];
            for entry in std::fs::read_dir(bad()).unwrap() {
                let name = entry.unwrap().file_name().to_string_lossy().to_string();
                assert!(named.contains(&name.as_str()), "{name} has no test");
            }
            assert!(named.len() >= 28);
        }
    };
}

bad_folders! {
    authentication_config_not_yaml: "authentication-config-not-yaml",
    binary_file: "binary-file",
    certificate_not_pem: "certificate-not-pem",
    client_settings_without_redirect_uri: "client-settings-without-redirect-uri",
    configmap_value_not_yaml: "configmap-value-not-yaml",
    connector_not_keycloak: "connector-not-keycloak",
    dex_deployment_secret_missing: "dex-deployment-secret-missing",
    dex_with_nothing_to_sign_in_at: "dex-with-nothing-to-sign-in-at",
    empty_file: "empty-file",
    empty_folder: "empty-folder",
    kind_config_patch_not_yaml: "kind-config-patch-not-yaml",
    kubeconfig_without_kubelogin: "kubeconfig-without-kubelogin",
    oauth2_proxy_cfg_not_toml: "oauth2-proxy-cfg-not-toml",
    oauth2_proxy_issuer_not_keycloak: "oauth2-proxy-issuer-not-keycloak",
    oauth2_proxy_without_realm: "oauth2-proxy-without-realm",
    password_db_without_users: "password-db-without-users",
    rbac_not_yaml: "rbac-not-yaml",
    realm_without_passwords: "realm-without-passwords",
    secret_key_missing: "secret-key-missing",
    secret_missing: "secret-missing",
    secret_not_base64: "secret-not-base64",
    sign_in_users_malformed: "sign-in-users-malformed",
    static_pod_without_oidc_flags: "static-pod-without-oidc-flags",
    truncated_realm: "truncated-realm",
    two_certificates_of_one_issuer: "two-certificates-of-one-issuer",
    two_dex_configs: "two-dex-configs",
    two_realm_exports: "two-realm-exports",
    unknown_file: "unknown-file",
}

#[test]
fn a_folder_that_is_not_there() {
    let out = Command::new(env!("CARGO_BIN_EXE_oidc-harness"))
        .args(["diagnose", "/nonexistent/deployment"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr)
            .lines()
            .next()
            .unwrap_or_default(),
        "error: /nonexistent/deployment: no such folder: give the folder of your deployment's files (or the files one by one: --realm, --dex-config, ...)"
    );
}

#[test]
fn a_file_where_the_folder_should_be() {
    let file = tempfile::NamedTempFile::new().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_oidc-harness"))
        .arg("diagnose")
        .arg(file.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr)
            .lines()
            .next()
            .unwrap_or_default(),
        format!(
            "error: {}: not a folder: give the folder of your deployment's files (or the files one by one: --realm, --dex-config, ...)",
            file.path().display()
        )
    );
}

/// One input kind of `diagnose`: its flag, the healthy files it is given
/// beside (a folder of `fixtures/user-configs/` and the flags to use from
/// it), and what the harness says it expects in that place.
struct InputKind {
    folder: &'static str,
    flag: &'static str,
    base: &'static str,
    beside: &'static [(&'static str, &'static str)],
    expected: &'static str,
}

use oidc_harness::scenario::userinput as expect;

const KUBELOGIN_DEPLOYMENT: &[(&str, &str)] = &[
    ("--realm", "realm.json"),
    ("--dex-config", "values.yaml"),
    ("--apiserver", "kind-config.yaml"),
    ("--kubeconfig", "kubeconfig"),
];

const KINDS: &[InputKind] = &[
    InputKind {
        folder: "realm",
        flag: "--realm",
        base: "paletteai-kubelogin-healthy",
        beside: KUBELOGIN_DEPLOYMENT,
        expected: expect::REALM,
    },
    InputKind {
        folder: "dex-config",
        flag: "--dex-config",
        base: "paletteai-kubelogin-healthy",
        beside: KUBELOGIN_DEPLOYMENT,
        expected: expect::DEX_CONFIG,
    },
    InputKind {
        folder: "apiserver",
        flag: "--apiserver",
        base: "paletteai-kubelogin-healthy",
        beside: KUBELOGIN_DEPLOYMENT,
        expected: expect::APISERVER,
    },
    InputKind {
        folder: "kubeconfig",
        flag: "--kubeconfig",
        base: "paletteai-kubelogin-healthy",
        beside: KUBELOGIN_DEPLOYMENT,
        expected: expect::KUBECONFIG,
    },
    InputKind {
        folder: "rbac",
        flag: "--rbac",
        base: "paletteai-kubelogin-healthy",
        beside: KUBELOGIN_DEPLOYMENT,
        expected: expect::RBAC,
    },
    InputKind {
        folder: "certificate",
        flag: "--keycloak-cert",
        base: "paletteai-kubelogin-healthy",
        beside: KUBELOGIN_DEPLOYMENT,
        expected: expect::CERTIFICATE,
    },
    InputKind {
        folder: "client",
        flag: "--client",
        base: "app-client-healthy",
        beside: &[
            ("--realm", "realm.json"),
            ("--dex-config", "dex-values.yaml"),
        ],
        expected: expect::CLIENT,
    },
    InputKind {
        folder: "oauth2-proxy",
        flag: "--oauth2-proxy",
        base: "dex-oauth2-proxy-healthy",
        beside: &[
            ("--realm", "realm.json"),
            ("--dex-config", "dex-values.yaml"),
        ],
        expected: expect::OAUTH2_PROXY,
    },
    InputKind {
        folder: "secret",
        flag: "--secret",
        base: "osmo-healthy",
        beside: &[
            ("--realm", "realm.json"),
            ("--oauth2-proxy", "osmo_values.yaml"),
        ],
        expected: expect::SECRET,
    },
];

/// `oidc-harness diagnose` with `kind`'s healthy files and `file` in its
/// place: exit 2, nothing on stdout, no program started; the first line of
/// stderr, with `dir` shown as `DIR`.
fn diagnose_with(kind: &InputKind, file: &Path, dir: &Path) -> String {
    let base = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/user-configs")
        .join(kind.base);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_oidc-harness"));
    cmd.arg("diagnose");
    for (flag, name) in kind.beside.iter().filter(|(f, _)| *f != kind.flag) {
        cmd.arg(flag).arg(base.join(name));
    }
    let out = cmd.arg(kind.flag).arg(file).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).replace(&dir.display().to_string(), "DIR");
    let what = format!("{} {}", kind.flag, file.display());
    assert_eq!(out.status.code(), Some(2), "{what}: {stderr}");
    assert!(
        out.stdout.is_empty(),
        "{what} printed: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        !stderr.contains("starting Keycloak"),
        "{what} started programs: {stderr}"
    );
    stderr.lines().next().unwrap_or_default().to_string()
}

/// Every file of `fixtures/bad/<kind>/` (not the format, truncated, a wrong
/// type at a known path, an unknown key, a duplicate key, ...) is refused
/// with the line its `expected-errors.yaml` gives, and every file has one.
#[test]
fn each_bad_file_of_each_input_kind_gets_its_one_clear_error() {
    let mut checked = 0;
    for kind in KINDS {
        let dir = bad().join("..").join(kind.folder).canonicalize().unwrap();
        let table = std::fs::read_to_string(dir.join("expected-errors.yaml")).unwrap();
        let expected: std::collections::BTreeMap<String, String> =
            oidc_harness::infra::yaml::from_str(&table).unwrap();
        let mut files = Vec::new();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().to_string();
            if name != "expected-errors.yaml" {
                files.push(name);
            }
        }
        files.sort();
        assert_eq!(
            files,
            expected.keys().cloned().collect::<Vec<_>>(),
            "{}: every file, and only those, in expected-errors.yaml",
            kind.folder
        );
        for name in files {
            let got = diagnose_with(kind, &dir.join(&name), &dir);
            assert_eq!(
                got,
                format!("error: {}", expected[&name]),
                "{}/{name}",
                kind.folder
            );
            checked += 1;
        }
    }
    assert!(checked >= 40, "{checked}");
}

/// What every input kind shares: an empty file, binary garbage, a file
/// larger than any configuration, a missing file and a folder are each
/// refused in the same words, naming what was expected there.
#[test]
fn the_shared_refusals_hold_for_every_input_kind() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("empty"), "  \n").unwrap();
    std::fs::write(dir.join("binary"), b"{\"realm\": \x00\xff\xfe garbage").unwrap();
    let large = std::fs::File::create(dir.join("large")).unwrap();
    large.set_len(expect::LARGEST + 1).unwrap();
    std::fs::create_dir(dir.join("folder")).unwrap();
    let forms = [
        ("empty", "an empty file".to_string()),
        (
            "binary",
            "not a text file (byte 11 is not UTF-8)".to_string(),
        ),
        (
            "large",
            format!(
                "{} MiB, larger than any configuration file (at most {} MiB)",
                (expect::LARGEST + 1) >> 20,
                expect::LARGEST >> 20
            ),
        ),
        ("missing", "no such file".to_string()),
        ("folder", "a folder, not a file".to_string()),
    ];
    for kind in KINDS {
        for (name, refusal) in &forms {
            let got = diagnose_with(kind, &dir.join(name), dir);
            assert_eq!(
                got,
                format!("error: DIR/{name}: {refusal}: expected {}", kind.expected),
                "{} {name}",
                kind.flag
            );
        }
    }
}

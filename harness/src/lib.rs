//! oidc-harness: runs the real sign-in chain *user → app → Dex → Keycloak →
//! Dex → app → Kubernetes* as a published setup guide configures it, and checks
//! what comes out. See ARCHITECTURE.md for the code map.

pub mod components;
pub mod dexcheck;
pub mod dexlog;
pub mod diagnose;
pub mod emulated;
pub mod error;
pub mod oidc;
pub mod process;
pub mod report;
pub mod run;
pub mod scenario;
pub mod tls;
pub mod toolchain;

pub use error::{Error, Result};

//! oidc-harness: runs the real sign-in chain *user → app → Dex → Keycloak →
//! Dex → app → Kubernetes* as a published setup guide configures it, and checks
//! what comes out. See ARCHITECTURE.md for the code map.
//!
//! The modules in their dependency order: each imports only those above it.

pub mod diagnose;
pub mod emulated;
pub mod error;
pub mod infra;
pub mod model;
pub mod programs;
pub mod report;
pub mod run;
pub mod scenario;
pub mod toolchain;

pub use error::{Error, Result};

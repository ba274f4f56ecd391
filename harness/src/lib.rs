//! oidc-harness: runs the real sign-in chain *user → app → Dex → Keycloak →
//! Dex → app → Kubernetes* as a published setup guide configures it, and checks
//! what comes out. See ARCHITECTURE.md for the code map.
//!
//! The rooms in their dependency order: each imports only those above it
//! (checked by the `tidy` tests).

/// Input | harness | expectation errors; imports nothing.
pub mod error;

/// Pure data: specs, steps and their expects, realm view, evidence, reports.
pub mod model;

/// Processes, TLS, the OIDC client, Dex's log, YAML, Dex's static check.
pub mod infra;

/// Installs the pinned real programs into the cache.
pub mod toolchain;

/// One module per real program behind one `Program` trait; `kube/`.
pub mod programs;

/// Hops that cannot run here, as documented contracts, labelled [emulated].
pub mod emulated;

/// (configuration, evidence) -> diagnoses; the per-hop report.
pub mod diagnose;

/// HTML and console output.
pub mod report;

/// Files -> validated cases: load, patch, validate, templates, user files.
pub mod scenario;

/// The shared run and its keeper; one case; one type per step.
pub mod run;

/// `bench suite`: step times against floor probes on this machine.
pub mod bench;

pub use error::{Error, Result};

//! EMULATED hops: programs that cannot run here (a vendor's proxy, Istio,
//! Envoy), checked as their documented contract with real tokens from the real
//! Keycloak and Dex. Everything they emit is labelled `[emulated]`; one module
//! per emulated program.

pub mod dex_auth_charm;
pub mod envoy;
pub mod impersonation;
pub mod istio;
pub mod osmo_pools;

pub use impersonation::{Impersonation, ImpersonationProxy};

/// The label every emulated hop puts in front of what it prints.
pub const LABEL: &str = "[emulated]";

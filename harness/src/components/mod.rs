//! One module per real program. Only this module starts processes (through
//! `process::Supervised`); each type kills what it started when dropped.

pub mod apiserver;
pub mod app;
pub mod browser;
pub mod dex;
pub mod keycloak;
pub mod kind;
pub mod oauth2_proxy;
pub mod tls_front;
pub mod upstream;

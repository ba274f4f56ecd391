//! The library's integration tests: how the harness behaves when the machine or
//! a program misbehaves. Each runs the real programs from the cache.

mod bad_input;
mod bad_user_files;
mod catalogue;
mod ci_workflow;
mod dex_config_keys;
mod diagnose;
mod keycloak_representations;
mod kind;
mod scenario_files;
mod side_by_side;
mod signature_sources;
mod supervision;
mod tidy;

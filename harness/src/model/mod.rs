//! Pure data, no I/O, and nothing of the rest of the project: the scenario
//! and its steps, the expectations, a typed view of a Keycloak realm, the
//! evidence a case records, and the reports it writes.

pub mod evidence;
pub mod expect;
pub mod one_key;
pub mod realm;
pub mod report;
pub mod spec;
pub mod steps;
pub mod text;

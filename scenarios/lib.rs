//! The scenario files live beside this crate; the test binary `main.rs` runs them.

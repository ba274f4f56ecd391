//! What a person reads: self-contained HTML reports (`html`) and the lines a
//! command prints (`console`). Reads the model only.

pub mod chain;
pub mod console;
pub mod html;

pub use html::{write_case, write_index};

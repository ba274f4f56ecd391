//! One module per real program. Only this room starts long-running
//! processes (through `infra::process::Supervised`); each type kills what it
//! started when dropped. Every program is a [`Program`], so a case gathers
//! evidence from all it runs without naming each one.

pub mod app;
pub mod browser;
pub mod dex;
pub mod keycloak;
pub mod kube;
pub mod oauth2_proxy;
pub mod tls_front;
pub mod upstream;

use std::path::Path;

/// What every running program offers a case: its log.
pub trait Program {
    /// The file its output goes to.
    fn log_path(&self) -> &Path;

    /// Its whole log so far.
    fn log_text(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// The last `n` lines of its log.
    fn log_tail(&self, n: usize) -> String {
        let text = self.log_text();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }
}

/// On the container backend, the image `program` runs from, with `command`
/// before its arguments and `mounts` at their own paths; `None` on the
/// native backend.
pub(crate) fn container_image(
    program: &str,
    command: &[&str],
    mounts: &[&Path],
) -> crate::error::Result<Option<crate::infra::container::Image>> {
    use crate::infra::container::{Backend, Image, backend};
    if backend()? == Backend::Native {
        return Ok(None);
    }
    Ok(Some(Image {
        reference: crate::toolchain::images::reference(program),
        command: command.iter().map(|c| c.to_string()).collect(),
        mounts: mounts.iter().map(|m| m.to_path_buf()).collect(),
    }))
}

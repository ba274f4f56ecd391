//! Makes the pinned Dex buildable from the Go module proxy.
//!
//! Dex's gRPC API server (`server/apiserver`, compiled into `cmd/dex`) at the
//! pinned commit uses message types and fields newer than the last published
//! `github.com/dexidp/dex/api/v2` (v2.4.0); the newer package lives only in
//! Dex's repository, which the proxy does not carry. So the build replaces
//! api/v2 with a local folder made of:
//! - the published v2.4.0 files, from the module cache;
//! - `harness/go/dex/api-v2-shim.go`, our declarations of the missing types;
//! - a few plain (untagged) fields added to five existing message structs.
//!
//! This only lets the package compile: the harness never enables Dex's gRPC
//! API (`grpc` is removed from every config), so none of it runs.

use std::path::Path;
use std::process::Command;

use super::run_logged;
use crate::error::{Error, IoContext, Result};

const API_MODULE: &str = "github.com/dexidp/dex/api/v2@v2.4.0";
const SHIM: &str = include_str!("../../go/dex/api-v2-shim.go");

/// Fields the gRPC API server sets on existing v2.4.0 messages.
const ADDED_FIELDS: &[(&str, &str)] = &[
    (
        "Client",
        "AllowedConnectors []string\n\tSsoSharedWith []string\n\tBackchannelLogoutUri string\n\tPostLogoutRedirectUris []string\n\tRefreshTokenLifetime string",
    ),
    (
        "ClientInfo",
        "AllowedConnectors []string\n\tSsoSharedWith []string\n\tBackchannelLogoutUri string\n\tPostLogoutRedirectUris []string\n\tRefreshTokenLifetime string",
    ),
    (
        "UpdateClientReq",
        "AllowedConnectors []string\n\tSsoSharedWith []string\n\tBackchannelLogoutUri *string\n\tPostLogoutRedirectUris []string\n\tRefreshTokenLifetime *string",
    ),
    ("Connector", "GrantTypes []string"),
    ("UpdateConnectorReq", "NewGrantTypes *GrantTypes"),
];

/// Prepares the replacement api/v2 under `dir` and points the build module in
/// `src` at it.
pub fn apply(src: &Path, go: &dyn Fn(&[&str]) -> Command, dir: &Path) -> Result<()> {
    let out = go(&["mod", "download", "-json", API_MODULE])
        .output()
        .map_err(|e| Error::toolchain("dex", format!("go mod download {API_MODULE}: {e}")))?;
    let info: serde_json::Value = serde_json::from_slice(&out.stdout).map_err(|e| {
        Error::toolchain(
            "dex",
            format!(
                "go mod download {API_MODULE}: {e}: {}",
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    })?;
    let published =
        Path::new(info["Dir"].as_str().ok_or_else(|| {
            Error::toolchain("dex", format!("go mod download {API_MODULE}: {info}"))
        })?);
    let api = dir.join("api-v2");
    let _ = std::fs::remove_dir_all(&api);
    std::fs::create_dir_all(&api).context(|| format!("creating {}", api.display()))?;
    for entry in
        std::fs::read_dir(published).context(|| format!("listing {}", published.display()))?
    {
        let path = entry
            .context(|| format!("listing {}", published.display()))?
            .path();
        let Some(name) = path.file_name() else {
            continue;
        };
        if !path.is_file() {
            continue;
        }
        let text =
            std::fs::read_to_string(&path).context(|| format!("reading {}", path.display()))?;
        let text = if name == "api.pb.go" {
            add_fields(&text)?
        } else {
            text
        };
        std::fs::write(api.join(name), text).context(|| format!("writing {}", api.display()))?;
    }
    std::fs::write(api.join("zz_oidc_harness_shim.go"), SHIM)
        .context(|| format!("writing the shim into {}", api.display()))?;
    let replace = format!("-replace=github.com/dexidp/dex/api/v2={}", api.display());
    let mut edit = go(&["mod", "edit", &replace]);
    edit.current_dir(src);
    run_logged("dex", &mut edit, &dir.join("api-v2.log"))
}

/// Inserts [`ADDED_FIELDS`] before the `unknownFields` member of each struct.
fn add_fields(pb: &str) -> Result<String> {
    let mut out = String::with_capacity(pb.len() + 1024);
    let mut current: Option<&str> = None;
    let mut done = Vec::new();
    for line in pb.lines() {
        if let Some(name) = line
            .strip_prefix("type ")
            .and_then(|l| l.strip_suffix(" struct {"))
        {
            current = ADDED_FIELDS
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(n, _)| *n);
        } else if line == "}" {
            current = None;
        } else if let Some(name) = current
            && line.trim_start().starts_with("unknownFields")
        {
            let fields = ADDED_FIELDS
                .iter()
                .find(|(n, _)| *n == name)
                .expect("listed")
                .1;
            out.push_str("\t// added by oidc-harness (compile-only, see dex_shim.rs)\n\t");
            out.push_str(fields);
            out.push('\n');
            done.push(name);
        }
        out.push_str(line);
        out.push('\n');
    }
    match ADDED_FIELDS.iter().find(|(n, _)| !done.contains(n)) {
        Some((missing, _)) => Err(Error::toolchain(
            "dex",
            format!(
                "api/v2 v2.4.0: struct {missing} not found in api.pb.go; the shim needs updating"
            ),
        )),
        None => Ok(out),
    }
}

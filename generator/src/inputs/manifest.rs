//! The method manifest (`metadata/methods.yaml`): our transcription of the permission's reference
//! page, one entry per listed method with its consent markers. It is the acceptance list.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub permission: String,
    #[serde(default)]
    pub permission_ids: Option<PermissionIds>,
    pub methods: Vec<ManifestMethod>,
    /// The page's PowerShell commands (its "Commands" lists), with their consent markers.
    #[serde(default)]
    pub commands: Vec<ManifestCommand>,
    /// The file it was read from; `None` for a permission without a manifest ([`Manifest::none`]).
    #[serde(skip)]
    pub source: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PermissionIds {
    pub application: String,
    pub delegated: String,
}

/// One method as the reference page lists it.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ManifestMethod {
    pub api_version: String,
    pub http_method: String,
    /// Exactly as the page writes it (query strings, `{id}` placeholders, `$ref`).
    pub path: String,
    /// Allowed with a signed-in user; `None` when the page's marker was not captured.
    pub delegated: Option<bool>,
    /// Allowed app-only; `None` when the page's marker was not captured.
    pub application: Option<bool>,
    #[serde(default)]
    pub docs: Option<String>,
}

/// One PowerShell command as the reference page lists it.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ManifestCommand {
    pub api_version: String,
    /// The cmdlet, e.g. `Get-MgEntitlementManagementAssignment`.
    pub cmdlet: String,
    /// Allowed with a signed-in user; `None` when the page's marker was not captured.
    pub delegated: Option<bool>,
    /// Allowed app-only; `None` when the page's marker was not captured.
    pub application: Option<bool>,
}

impl Manifest {
    pub fn load(file: &Path) -> Result<Manifest> {
        let text = std::fs::read_to_string(file).map_err(|e| Error::io(file, e))?;
        let mut manifest = Self::parse(&text, file)?;
        manifest.source = Some(file.to_path_buf());
        Ok(manifest)
    }

    /// No manifest: permissions.json alone gives the method set and the consent.
    pub fn none(permission: &str) -> Manifest {
        Manifest {
            permission: permission.to_string(),
            permission_ids: None,
            methods: Vec::new(),
            commands: Vec::new(),
            source: None,
        }
    }

    pub fn parse(text: &str, file: &Path) -> Result<Manifest> {
        let manifest: Manifest = crate::inputs::yaml::from_str(text, file)?;
        for m in &manifest.methods {
            if !matches!(m.http_method.as_str(), "GET" | "POST" | "PATCH" | "PUT" | "DELETE") {
                return Err(Error::file(
                    file,
                    format!("method `{} {}`: unknown HTTP method `{}`", m.http_method, m.path, m.http_method),
                ));
            }
        }
        Ok(manifest)
    }

    /// The methods listed for one API version, in manifest order.
    pub fn methods_for<'a>(&'a self, api_version: &'a str) -> impl Iterator<Item = &'a ManifestMethod> + 'a {
        self.methods.iter().filter(move |m| m.api_version == api_version)
    }
}

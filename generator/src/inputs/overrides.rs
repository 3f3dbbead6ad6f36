//! `metadata/overrides.yaml`: facts the generator cannot read from Graph's metadata, as data:
//! segment aliases (older names of path segments) and the explained consent drift (each entry with
//! its reason and a docs link).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::error::{Error, Result};

/// `metadata/overrides.yaml`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Overrides {
    #[serde(default)]
    pub aliases: BTreeMap<String, String>,
    #[serde(default)]
    pub drift: Vec<DriftOverride>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DriftKind {
    /// permissions.json grants it to the permission; the reference page does not list it.
    GrantedNotListed,
    /// The reference page lists it; permissions.json does not grant it to the permission.
    ListedNotGranted,
    /// Both list it with different consent markers.
    Markers,
}

impl DriftKind {
    pub fn describe(self) -> &'static str {
        match self {
            DriftKind::GrantedNotListed => "granted by permissions.json, not listed by the reference page",
            DriftKind::ListedNotGranted => "listed by the reference page, not granted by permissions.json",
            DriftKind::Markers => "consent markers differ",
        }
    }
}

/// One explained difference.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DriftOverride {
    pub kind: DriftKind,
    #[serde(default)]
    pub methods: Option<Vec<String>>,
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub path_prefix: Option<String>,
    pub reason: String,
    pub docs: String,
}

impl Overrides {
    pub fn load(file: &Path) -> Result<Overrides> {
        let text = std::fs::read_to_string(file).map_err(|e| Error::io(file, e))?;
        let overrides: Overrides = crate::inputs::yaml::from_str(&text, file)?;
        for (i, o) in overrides.drift.iter().enumerate() {
            if o.path.is_some() == o.path_prefix.is_some() {
                return Err(Error::file(
                    file,
                    format!("drift entry {}: give exactly one of `path` and `path_prefix`", i + 1),
                ));
            }
            if o.reason.trim().is_empty() || !o.docs.starts_with("https://") {
                return Err(Error::file(file, format!("drift entry {}: needs a reason and an https docs link", i + 1)));
            }
        }
        Ok(overrides)
    }
}

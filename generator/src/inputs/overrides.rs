//! `metadata/overrides.yaml`: facts the generator cannot read from Graph's metadata, as data:
//! segment aliases (older names of path segments), the explained consent drift (each entry with
//! its reason and a docs link) and documentation links the version's document lacks.

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
    #[serde(default)]
    pub docs_links: Vec<DocsLink>,
}

/// The documentation page of an operation whose version's document gives none (used only there:
/// the document's link wins, and an entry the document has caught up with fails `--check`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocsLink {
    pub api_version: String,
    pub method: String,
    /// The operation's path template, as CODEGEN.md writes it.
    pub path: String,
    /// The page; its `view=graph-rest-…` must name `api_version`.
    pub url: String,
    pub reason: String,
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
        for (i, l) in overrides.docs_links.iter().enumerate() {
            let version = l.api_version.trim_start_matches('v');
            let view = format!("view=graph-rest-{version}");
            if !l.url.starts_with("https://") || docs_view(&l.url) != Some(version) {
                return Err(Error::file(
                    file,
                    format!("docs_links entry {}: `{}` must be an https link with `{view}`", i + 1, l.url),
                ));
            }
            if l.reason.trim().is_empty() {
                return Err(Error::file(file, format!("docs_links entry {}: needs a reason", i + 1)));
            }
        }
        Ok(overrides)
    }
}

/// The API version a docs link's `view=graph-rest-<version>` names (`1.0`, `beta`), if any.
pub fn docs_view(url: &str) -> Option<&str> {
    let query = url.split_once('?')?.1;
    let query = query.split('#').next().unwrap_or(query);
    query.split('&').find_map(|pair| pair.strip_prefix("view=graph-rest-"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Overrides> {
        let dir = std::env::temp_dir().join(format!("overrides-test-{}-{}", std::process::id(), text.len()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("overrides.yaml");
        std::fs::write(&file, text).unwrap();
        let loaded = Overrides::load(&file);
        std::fs::remove_dir_all(&dir).unwrap();
        loaded
    }

    #[test]
    fn a_docs_link_must_name_its_own_version() {
        let entry = |url: &str| {
            format!(
                "docs_links:\n  - api_version: v1.0\n    method: GET\n    path: /a\n    url: {url}\n    reason: gap\n"
            )
        };
        assert!(load(&entry("https://learn.microsoft.com/graph/api/a-get?view=graph-rest-1.0")).is_ok());
        let err =
            load(&entry("https://learn.microsoft.com/graph/api/a-get?view=graph-rest-beta")).unwrap_err().to_string();
        assert!(
            err.contains("overrides.yaml") && err.contains("docs_links entry 1") && err.contains("view=graph-rest-1.0"),
            "{err}"
        );
    }
}

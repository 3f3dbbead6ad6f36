//! `metadata/permission-ids.yaml`: the ids of permissions (the application role's and the
//! delegated scope's), which Graph's permissions.json does not carry. Our own file: each entry
//! names where its ids were read.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Deserializer};

use crate::error::{Error, Result};

/// The file: permission name -> its ids.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(transparent)]
pub struct PermissionIds {
    pub permissions: BTreeMap<String, Ids>,
}

/// One permission's ids, by consent type; a missing one is unknown (never guessed).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ids {
    /// Where the ids were read (a URL or a file).
    pub source: String,
    /// The application permission (app role) id.
    #[serde(default)]
    pub application: Option<Guid>,
    /// The delegated permission (OAuth2 scope) id.
    #[serde(default)]
    pub delegated: Option<Guid>,
}

/// A lower-case GUID (`8-4-4-4-12` hex digits); anything else is an error at its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guid(pub String);

impl<'de> Deserialize<'de> for Guid {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Guid, D::Error> {
        let text = String::deserialize(deserializer)?;
        if is_guid(&text) {
            Ok(Guid(text.to_ascii_lowercase()))
        } else {
            Err(serde::de::Error::custom(format!("`{text}` is not a GUID (8-4-4-4-12 hex digits)")))
        }
    }
}

fn is_guid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups.iter().zip([8, 4, 4, 4, 12]).all(|(g, n)| g.len() == n && g.chars().all(|c| c.is_ascii_hexdigit()))
}

impl PermissionIds {
    /// Reads the file; a malformed id or an unknown key is an error naming the file and line.
    pub fn load(file: &Path) -> Result<PermissionIds> {
        let text = std::fs::read_to_string(file).map_err(|e| Error::io(file, e))?;
        let ids: PermissionIds = crate::inputs::yaml::from_str_unique_keys(&text, file)?;
        for (name, entry) in &ids.permissions {
            if entry.source.trim().is_empty() {
                return Err(Error::file(file, format!("`{name}`: `source` says where the ids were read; it is empty")));
            }
        }
        Ok(ids)
    }

    /// The ids of `permission`, if recorded.
    pub fn get(&self, permission: &str) -> Option<&Ids> {
        self.permissions.get(permission)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<PermissionIds> {
        crate::inputs::yaml::from_str_unique_keys(text, Path::new("permission-ids.yaml"))
    }

    #[test]
    fn ids_are_read_per_consent_type_and_may_be_missing() {
        let ids = parse("A.Read.All:\n  source: page\n  application: 9ACD699F-1e81-4958-b001-93b1d2506e19\n").unwrap();
        let a = ids.get("A.Read.All").unwrap();
        assert_eq!(a.application, Some(Guid("9acd699f-1e81-4958-b001-93b1d2506e19".into())));
        assert_eq!(a.delegated, None);
        assert!(ids.get("B.Read.All").is_none());
    }

    #[test]
    fn a_malformed_id_is_an_error_at_its_line() {
        let e = parse("A.Read.All:\n  source: page\n  delegated: 9acd699f-1e81-4958-b001\n").unwrap_err().to_string();
        // Located at the permission's entry, naming it and the value.
        assert!(
            e.contains("permission-ids.yaml:2:") && e.contains("A.Read.All: `9acd699f-1e81-4958-b001` is not a GUID"),
            "{e}"
        );
        let e = parse("A.Read.All:\n  source: page\n  role: 9acd699f-1e81-4958-b001-93b1d2506e19\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("permission-ids.yaml:3:") && e.contains("unknown field `role`"), "{e}");
    }
}

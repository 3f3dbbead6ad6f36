//! Front end for Graph's machine-readable `permissions.json`: which permission grants which
//! (HTTP method, path) under which consent schemes.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::Deserialize;

use crate::error::{Error, Loc, Result};

/// The whole file (all permissions).
#[derive(Debug, Clone, Deserialize)]
pub struct PermissionsFile {
    pub permissions: BTreeMap<String, Permission>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Permission {
    #[serde(default)]
    pub schemes: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    pub path_sets: Vec<PathSet>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PathSet {
    pub scheme_keys: Vec<String>,
    pub methods: Vec<String>,
    /// Path -> annotations such as `least=DelegatedWork,Application`.
    pub paths: BTreeMap<String, String>,
}

/// Consent schemes as permissions.json names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scheme {
    DelegatedWork,
    DelegatedPersonal,
    Application,
}

impl Scheme {
    pub fn parse(s: &str) -> Option<Scheme> {
        match s {
            "DelegatedWork" => Some(Scheme::DelegatedWork),
            "DelegatedPersonal" => Some(Scheme::DelegatedPersonal),
            "Application" => Some(Scheme::Application),
            _ => None,
        }
    }

    pub fn is_delegated(self) -> bool {
        matches!(self, Scheme::DelegatedWork | Scheme::DelegatedPersonal)
    }
}

/// One (HTTP method, path) that a permission grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub http_method: String,
    /// As permissions.json writes it (lower case, `{id}`, `{value}`, no `$ref`).
    pub path: String,
    pub schemes: BTreeSet<Scheme>,
    /// The schemes for which this permission is marked least-privileged.
    pub least: BTreeSet<Scheme>,
}

impl PermissionsFile {
    pub fn parse(text: &str, file: &Path) -> Result<PermissionsFile> {
        serde_json::from_str(text).map_err(|e| {
            let loc = Loc {
                line: u32::try_from(e.line()).unwrap_or(u32::MAX),
                col: u32::try_from(e.column()).unwrap_or(u32::MAX),
            };
            let message = crate::error::without_position_suffix(e.to_string());
            Error::input(file, loc, message)
        })
    }

    /// Every (method, path) granted by `permission`, sorted by path then method.
    pub fn grants(&self, permission: &str, file: &Path) -> Result<Vec<Grant>> {
        let Some(p) = self.permissions.get(permission) else {
            let hint = match self.closest(permission).as_slice() {
                [] => String::new(),
                [one] => format!("; did you mean `{one}`?"),
                many => format!(
                    "; did you mean one of {}?",
                    many.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", ")
                ),
            };
            return Err(Error::file(file, format!("permission `{permission}` is not defined{hint}")));
        };
        let mut out = Vec::new();
        for set in &p.path_sets {
            let mut schemes = BTreeSet::new();
            for key in &set.scheme_keys {
                let scheme = Scheme::parse(key).ok_or_else(|| {
                    Error::file(file, format!("permission `{permission}`: unknown scheme key `{key}`"))
                })?;
                schemes.insert(scheme);
            }
            for (path, annotation) in &set.paths {
                let least = parse_least(annotation);
                for method in &set.methods {
                    out.push(Grant {
                        http_method: method.to_ascii_uppercase(),
                        path: path.clone(),
                        schemes: schemes.clone(),
                        least: least.clone(),
                    });
                }
            }
        }
        out.sort_by(|a, b| (&a.path, &a.http_method).cmp(&(&b.path, &b.http_method)));
        Ok(out)
    }
}

impl PermissionsFile {
    /// The permissions `name` most likely meant, as cargo suggests a mistyped command: the one
    /// equal to it but for case, else the nearest by edit distance (at most a third of its
    /// length; up to three when several are as near).
    pub fn closest(&self, name: &str) -> Vec<&str> {
        if let Some(same) = self.permissions.keys().find(|k| k.eq_ignore_ascii_case(name)) {
            return vec![same.as_str()];
        }
        let lower = name.to_ascii_lowercase();
        let limit = (name.len() / 3).max(1);
        let mut near: Vec<(usize, &str)> = self
            .permissions
            .keys()
            .map(|k| (edit_distance(&lower, &k.to_ascii_lowercase()), k.as_str()))
            .filter(|(d, _)| *d <= limit)
            .collect();
        near.sort();
        let nearest = near.first().map_or(0, |(d, _)| *d);
        near.into_iter().take_while(|(d, _)| *d == nearest).take(3).map(|(_, k)| k).collect()
    }
}

/// Levenshtein distance over bytes.
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous + usize::from(ca != cb);
            previous = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(previous + 1);
        }
    }
    row[b.len()]
}

/// `least=DelegatedWork,Application` -> those schemes; anything else -> none.
pub fn parse_least(annotation: &str) -> BTreeSet<Scheme> {
    annotation
        .split(';')
        .filter_map(|part| part.trim().strip_prefix("least="))
        .flat_map(|list| list.split(','))
        .filter_map(|s| Scheme::parse(s.trim()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mistyped_permission_gets_its_likely_names() {
        let text = r#"{"permissions": {"EntitlementManagement.ReadWrite.All": {}, "EntitlementManagement.Read.All": {},
            "User.Read": {}, "User.ReadWrite": {}}}"#;
        let file = PermissionsFile::parse(text, Path::new("p.json")).unwrap();
        let err = |name: &str| file.grants(name, Path::new("p.json")).unwrap_err().to_string();
        assert!(
            err("entitlementmanagement.readwrite.all")
                .ends_with("is not defined; did you mean `EntitlementManagement.ReadWrite.All`?"),
            "{}",
            err("entitlementmanagement.readwrite.all")
        );
        assert!(
            err("EntitlementManagement.ReadWrit.All").ends_with("did you mean `EntitlementManagement.ReadWrite.All`?")
        );
        assert!(err("User.Reed").ends_with("did you mean `User.Read`?"), "{}", err("User.Reed"));
        assert!(err("User.ReadWrote").ends_with("did you mean `User.ReadWrite`?"), "{}", err("User.ReadWrote"));
        assert!(err("Mail.Send").ends_with("`Mail.Send` is not defined"), "{}", err("Mail.Send"));
    }

    #[test]
    fn least_annotation() {
        assert_eq!(
            parse_least("least=DelegatedWork,Application"),
            BTreeSet::from([Scheme::DelegatedWork, Scheme::Application])
        );
        assert!(parse_least("").is_empty());
        assert!(parse_least("AlsoRequires=Foo").is_empty());
    }

    #[test]
    fn bad_json_names_line_and_column() {
        let err = PermissionsFile::parse("{\n  \"permissions\": [}", Path::new("p.json")).unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("p.json:2:"), "{text}");
    }
}

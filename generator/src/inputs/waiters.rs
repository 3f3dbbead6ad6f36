//! `metadata/waiters.yaml`: the generated `wait_until_<name>` methods, declared as data. Each
//! waiter names an entity, the read that is polled, the property watched and the values that end
//! the wait as success or as failure; the model checks them ([`crate::model::waiters`]) and
//! reports a mistake at its line in this file.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Loc, Result};

/// The file, with its text kept to locate mistakes found after parsing.
#[derive(Debug, Clone, Default)]
pub struct WaitersFile {
    pub waiters: Vec<WaiterDecl>,
    pub file: PathBuf,
    text: String,
    /// The first line (1-based) of each waiter's entry.
    starts: Vec<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Document {
    #[serde(default)]
    waiters: Vec<WaiterDecl>,
}

/// One waiter as written.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaiterDecl {
    /// The method is `wait_until_<name>`.
    pub name: String,
    /// The API version whose operation gets it (default `v1.0`).
    #[serde(default = "default_version")]
    pub api_version: String,
    /// The entity type, qualified (`microsoft.graph.accessPackageAssignmentRequest`).
    pub entity: String,
    /// The polled read: `GET <path>` of one entity.
    pub operation: String,
    /// The watched property.
    pub property: String,
    /// Values that end the wait successfully.
    pub success: Vec<String>,
    /// Values that end the wait with an error.
    #[serde(default)]
    pub failure: Vec<String>,
}

fn default_version() -> String {
    "v1.0".to_string()
}

impl WaitersFile {
    /// Reads the file; YAML mistakes are errors at their line.
    pub fn load(file: &Path) -> Result<WaitersFile> {
        let text = std::fs::read_to_string(file).map_err(|e| Error::io(file, e))?;
        WaitersFile::parse(&text, file)
    }

    pub fn parse(text: &str, file: &Path) -> Result<WaitersFile> {
        let doc: Document = crate::inputs::yaml::from_str_unique_keys(text, file)?;
        // Entries start at the least indented `- ` lines (values written as block lists are
        // indented deeper).
        let items: Vec<(u32, usize)> = text
            .lines()
            .enumerate()
            .filter(|(_, l)| l.trim_start().starts_with("- ") && !l.trim_start().starts_with('#'))
            .map(|(i, l)| (u32::try_from(i + 1).unwrap_or(u32::MAX), l.len() - l.trim_start().len()))
            .collect();
        let indent = items.iter().map(|(_, i)| *i).min().unwrap_or(0);
        let starts: Vec<u32> = items.iter().filter(|(_, i)| *i == indent).map(|(line, _)| *line).collect();
        Ok(WaitersFile { waiters: doc.waiters, file: file.to_path_buf(), text: text.to_string(), starts })
    }

    /// An error about waiter `index`, located at the first line of its entry that holds `needle`
    /// (else at the entry's first line).
    pub fn error(&self, index: usize, needle: &str, message: impl Into<String>) -> Error {
        let start = self.starts.get(index).copied().unwrap_or(1);
        let end = self.starts.get(index + 1).copied().unwrap_or(u32::MAX);
        let loc = crate::inputs::yaml::find_word(&self.text, needle, start, end).unwrap_or(Loc { line: start, col: 1 });
        Error::input(&self.file, loc, message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "waiters:\n  - name: a\n    entity: x.y\n    operation: GET /things/{id}\n    property: state\n    success: [done]\n\n  - name: b\n    entity: x.z\n    operation: GET /others/{id}\n    property: state\n    success:\n      - done\n    failure: [failed, done_badly]\n";

    #[test]
    fn mistakes_are_located_in_their_entry() {
        let file = WaitersFile::parse(TEXT, Path::new("waiters.yaml")).unwrap();
        assert_eq!(file.waiters.len(), 2);
        assert_eq!(file.waiters[1].api_version, "v1.0");
        let e = file.error(1, "failed", "no such member").to_string();
        assert!(e.starts_with("waiters.yaml:14:15: "), "{e}");
        // `state` in the second entry, not the first.
        assert!(file.error(1, "state", "m").to_string().starts_with("waiters.yaml:11:"), "second entry");
        assert!(file.error(0, "absent", "m").to_string().starts_with("waiters.yaml:2:"), "falls back to the entry");
        // `done` as a word: not inside `done_badly`.
        assert!(file.error(1, "done", "m").to_string().starts_with("waiters.yaml:13:"));
    }

    #[test]
    fn unknown_keys_are_located_errors() {
        let e =
            WaitersFile::parse("waiters:\n  - name: a\n    color: red\n", Path::new("w.yaml")).unwrap_err().to_string();
        assert!(e.contains("w.yaml:") && e.contains("unknown field `color`"), "{e}");
    }
}

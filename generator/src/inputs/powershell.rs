//! `metadata/powershell.yaml`: how Microsoft Graph PowerShell names the cmdlet of an operation,
//! as data ([`crate::model::powershell`] applies it), the names its rules cannot give, and why
//! some commands of the reference page map to no generated operation. Mistakes are errors at
//! their line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};

/// The file as written, with its text kept to locate mistakes found after parsing.
#[derive(Debug, Clone, Default)]
pub struct PowerShellFile {
    pub rules: PowerShellRules,
    pub file: PathBuf,
    text: String,
}

/// The naming rules; see `metadata/powershell.yaml` for what each means.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PowerShellRules {
    /// Cmdlet noun prefix per API version (`Mg`, `MgBeta`).
    pub prefixes: BTreeMap<String, String>,
    /// Verb of an operationId's CRUD name (`List` -> `Get`, `Create` -> `New`, ...).
    pub verbs: BTreeMap<String, String>,
    /// Verb of an action or function whose name starts with this word (the word is dropped).
    pub name_verbs: BTreeMap<String, String>,
    /// First words of functions that PowerShell turns into `Invoke-` with the word leading the
    /// noun (actions always do so unless `name_verbs` has their first word).
    #[serde(default)]
    pub invoke_words: Vec<String>,
    /// Prepositions the OpenAPI documents encode as `Graph{initial}Pre` inside names.
    pub prepositions: Vec<String>,
    /// Noun prefixes the PowerShell module renames.
    #[serde(default)]
    pub subject_renames: Vec<SubjectRename>,
    /// Cmdlet names the rules do not give, by operationId.
    #[serde(default)]
    pub overrides: Vec<CmdletOverride>,
    /// Commands of the reference page that no generated operation answers to, and why.
    #[serde(default)]
    pub unmapped: Vec<Unmapped>,
    /// Where the page's consent markers for a command differ from its operations', and why.
    #[serde(default)]
    pub consent_drift: Vec<Unmapped>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubjectRename {
    pub from: String,
    pub to: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CmdletOverride {
    pub api_version: String,
    pub operation_id: String,
    pub cmdlet: String,
    pub reason: String,
}

/// Page commands that share a reason for being listed here.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unmapped {
    pub api_version: String,
    pub cmdlets: Vec<String>,
    pub reason: String,
}

impl PowerShellRules {
    /// The entry of `entries` that lists `cmdlet` of `api_version`: (entry, position in it).
    pub fn find(entries: &[Unmapped], api_version: &str, cmdlet: &str) -> Option<(usize, usize)> {
        entries.iter().enumerate().find_map(|(e, u)| {
            (u.api_version == api_version).then(|| u.cmdlets.iter().position(|c| c == cmdlet).map(|i| (e, i))).flatten()
        })
    }
}

impl PowerShellFile {
    /// Reads the file; YAML mistakes are errors at their line.
    pub fn load(file: &Path) -> Result<PowerShellFile> {
        let text = std::fs::read_to_string(file).map_err(|e| Error::io(file, e))?;
        PowerShellFile::parse(&text, file)
    }

    pub fn parse(text: &str, file: &Path) -> Result<PowerShellFile> {
        let rules: PowerShellRules = crate::inputs::yaml::from_str_unique_keys(text, file)?;
        let this = PowerShellFile { rules, file: file.to_path_buf(), text: text.to_string() };
        for (word, _) in this.rules.verbs.iter().chain(&this.rules.name_verbs) {
            if word.is_empty() || !word.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(this.error(word, format!("`{word}` is not a word of an operation name")));
            }
        }
        for p in &this.rules.prepositions {
            if !p.starts_with(|c: char| c.is_ascii_uppercase()) || !p.chars().all(|c| c.is_ascii_alphabetic()) {
                return Err(this.error(p, format!("preposition `{p}`: a capitalised word, e.g. `By`")));
            }
        }
        let mut initials = BTreeMap::new();
        for p in &this.rules.prepositions {
            if let Some(other) = initials.insert(&p[..1], p) {
                return Err(this.error(
                    p,
                    format!(
                        "prepositions `{other}` and `{p}` share the initial of their `Graph{}Pre` encoding",
                        &p[..1]
                    ),
                ));
            }
        }
        for o in &this.rules.overrides {
            if !o.cmdlet.contains('-') {
                return Err(this.error(&o.cmdlet, format!("`{}` is not a cmdlet name (Verb-Noun)", o.cmdlet)));
            }
        }
        Ok(this)
    }

    /// An error at the first line holding `needle` as a word (else at the file).
    pub fn error(&self, needle: &str, message: impl Into<String>) -> Error {
        match crate::inputs::yaml::find_word(&self.text, needle, 1, u32::MAX) {
            Some(loc) => Error::input(&self.file, loc, message),
            None => Error::file(&self.file, message),
        }
    }
}

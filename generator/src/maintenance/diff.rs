//! `cargo xtask diff-metadata`: what a metadata bump changes in the generated crate. Both sides are
//! generated in memory through the same pipeline; the two models are compared for this
//! permission's method set and each change is classified as breaking or not for the crate's semver.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use std::path::Path;

use crate::error::{Error, Result};
use crate::inputs::config::Config;
use crate::inputs::pins::InputSearch;
pub use crate::inputs::version::Bump;
use crate::model::types::{Api, Operation, Response, TypeDef, TypeRef};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    OperationAdded,
    OperationRemoved,
    ConsentChanged,
    RequestTypeChanged,
    ResponseTypeChanged,
    TypeAdded,
    TypeRemoved,
    PropertyAdded,
    PropertyRemoved,
    PropertyTypeChanged,
    PropertyNullabilityChanged,
    EnumMemberAdded,
    EnumMemberRemoved,
}

/// One difference.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Change {
    pub kind: ChangeKind,
    /// The operation (`GET /path`) or type (`microsoft.graph.x`, `microsoft.graph.x/property`).
    pub subject: String,
    pub detail: String,
    /// Breaks code written against the previous crate (needs a major version).
    pub breaking: bool,
}

/// An input of one side, by name and hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InputHash {
    pub name: String,
    pub file: String,
    pub sha256: String,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct MetadataDiff {
    pub api_version: String,
    pub old_inputs: Vec<InputHash>,
    pub new_inputs: Vec<InputHash>,
    pub changes: Vec<Change>,
}

impl MetadataDiff {
    pub fn breaking(&self) -> bool {
        self.changes.iter().any(|c| c.breaking)
    }

    /// Number of changes of each kind.
    pub fn counts(&self) -> BTreeMap<ChangeKind, usize> {
        let mut out = BTreeMap::new();
        for c in &self.changes {
            *out.entry(c.kind).or_insert(0) += 1;
        }
        out
    }

    /// The semver bump the changes need.
    pub fn bump(&self) -> Bump {
        if self.breaking() {
            Bump::Major
        } else if self.changes.is_empty() {
            Bump::None
        } else {
            Bump::Minor
        }
    }

    /// The human-readable report.
    pub fn render(&self) -> String {
        let mut out = format!(
            "metadata diff for {} ({} changes, semver bump: {})\n",
            self.api_version,
            self.changes.len(),
            self.bump()
        );
        for (label, inputs) in [("old", &self.old_inputs), ("new", &self.new_inputs)] {
            for i in inputs {
                out.push_str(&format!("  {label} {}: {} (sha256 {})\n", i.name, i.file, i.sha256));
            }
        }
        for (kind, n) in self.counts() {
            out.push_str(&format!("  {kind:?}: {n}\n"));
        }
        for c in &self.changes {
            let mark = if c.breaking { "BREAKING" } else { "        " };
            out.push_str(&format!("{mark} {:?} {}: {}\n", c.kind, c.subject, c.detail));
        }
        out
    }
}

/// Compares two models of the same API version.
pub fn diff(old: &Api, new: &Api, old_inputs: Vec<InputHash>, new_inputs: Vec<InputHash>) -> MetadataDiff {
    let mut changes = Vec::new();
    let key = |op: &Operation| format!("{} {}", op.http_method.as_str(), op.template);
    let old_ops: BTreeMap<String, &Operation> = old.operations.iter().map(|o| (key(o), o)).collect();
    let new_ops: BTreeMap<String, &Operation> = new.operations.iter().map(|o| (key(o), o)).collect();
    for (k, o) in &old_ops {
        match new_ops.get(k) {
            None => changes.push(change(ChangeKind::OperationRemoved, k, "no longer generated", true)),
            Some(n) => {
                let allowed =
                    |c: crate::model::types::Consent| (c.delegated.unwrap_or(true), c.application.unwrap_or(true));
                let (od, oa) = allowed(o.consent);
                let (nd, na) = allowed(n.consent);
                if (od, oa) != (nd, na) {
                    // Losing a consent adds a compile-time bound: breaking.
                    let breaking = (od && !nd) || (oa && !na);
                    let detail = format!("delegated {od} -> {nd}, application {oa} -> {na}");
                    changes.push(change(ChangeKind::ConsentChanged, k, &detail, breaking));
                }
                if o.body != n.body {
                    let detail = format!("{} -> {}", opt_label(o.body.as_ref()), opt_label(n.body.as_ref()));
                    changes.push(change(ChangeKind::RequestTypeChanged, k, &detail, true));
                }
                if o.response != n.response {
                    let detail = format!("{} -> {}", response_label(&o.response), response_label(&n.response));
                    changes.push(change(ChangeKind::ResponseTypeChanged, k, &detail, true));
                }
            }
        }
    }
    for k in new_ops.keys().filter(|k| !old_ops.contains_key(*k)) {
        changes.push(change(ChangeKind::OperationAdded, k, "newly generated", false));
    }

    for (q, old_t) in &old.types {
        let subject = q.to_string();
        let Some(new_t) = new.types.get(q) else {
            changes.push(change(ChangeKind::TypeRemoved, &subject, old_t.rust_name(), true));
            continue;
        };
        match (old_t, new_t) {
            (TypeDef::Struct(o), TypeDef::Struct(n)) => {
                let op: BTreeMap<&str, &crate::model::types::Property> =
                    o.properties.iter().map(|p| (p.name.as_str(), p)).collect();
                let np: BTreeMap<&str, &crate::model::types::Property> =
                    n.properties.iter().map(|p| (p.name.as_str(), p)).collect();
                for (name, p) in &op {
                    let subject = format!("{q}/{name}");
                    match np.get(name) {
                        None => changes.push(change(ChangeKind::PropertyRemoved, &subject, &type_label(&p.ty), true)),
                        Some(np) => {
                            if np.ty != p.ty {
                                let detail = format!("{} -> {}", type_label(&p.ty), type_label(&np.ty));
                                changes.push(change(ChangeKind::PropertyTypeChanged, &subject, &detail, true));
                            }
                            if np.nullable != p.nullable {
                                // Every field is an Option: documentation only.
                                let detail = format!("nullable {} -> {}", p.nullable, np.nullable);
                                changes.push(change(ChangeKind::PropertyNullabilityChanged, &subject, &detail, false));
                            }
                        }
                    }
                }
                for (name, p) in np.iter().filter(|(name, _)| !op.contains_key(*name)) {
                    // A new public field breaks struct literals written without `..Default::default()`.
                    let subject = format!("{q}/{name}");
                    changes.push(change(ChangeKind::PropertyAdded, &subject, &type_label(&p.ty), true));
                }
            }
            (TypeDef::Enum(o), TypeDef::Enum(n)) => {
                let om: BTreeSet<&str> = o.members.iter().map(|m| m.0.as_str()).collect();
                let nm: BTreeSet<&str> = n.members.iter().map(|m| m.0.as_str()).collect();
                for m in om.difference(&nm) {
                    changes.push(change(ChangeKind::EnumMemberRemoved, &format!("{q}/{m}"), "member removed", true));
                }
                for m in nm.difference(&om) {
                    // Enums are #[non_exhaustive]: a new member is not breaking.
                    changes.push(change(ChangeKind::EnumMemberAdded, &format!("{q}/{m}"), "member added", false));
                }
            }
            _ => {
                changes.push(change(ChangeKind::PropertyTypeChanged, &subject, "changed between struct and enum", true))
            }
        }
    }
    for (q, t) in new.types.iter().filter(|(q, _)| !old.types.contains_key(*q)) {
        changes.push(change(ChangeKind::TypeAdded, &q.to_string(), t.rust_name(), false));
    }
    changes.sort();
    MetadataDiff { api_version: new.api_version.clone(), old_inputs, new_inputs, changes }
}

fn change(kind: ChangeKind, subject: &str, detail: &str, breaking: bool) -> Change {
    Change { kind, subject: subject.to_string(), detail: detail.to_string(), breaking }
}

fn type_label(t: &TypeRef) -> String {
    match t {
        TypeRef::Primitive(p) => format!("Edm.{p:?}"),
        TypeRef::Named(q) => q.to_string(),
        TypeRef::Collection(inner) => format!("Collection({})", type_label(inner)),
    }
}

fn opt_label(t: Option<&TypeRef>) -> String {
    t.map_or_else(|| "none".to_string(), type_label)
}

fn response_label(r: &Response) -> String {
    match r {
        Response::Empty => "no content".to_string(),
        Response::Value(t) => type_label(t),
        Response::OptionalValue(t) => format!("{} or no content", type_label(t)),
        Response::Page(t) => format!("pages of {}", type_label(t)),
        Response::DeltaPage(t) => format!("delta pages of {}", type_label(t)),
        Response::Bytes => "bytes".to_string(),
    }
}

/// Generates both sides in memory from `old` and `new` (each searched alone; hashes are reported,
/// not required to match the pins) and compares the main API version.
pub fn diff_dirs(config_file: &Path, old: &Path, new: &Path) -> Result<MetadataDiff> {
    let config = Config::load(config_file)?;
    let search =
        |dir: &Path| InputSearch { metadata_dir: Some(dir.to_path_buf()), allow_unpinned: true, ..Default::default() };
    diff_configs((config.clone(), &search(old)), (config, &search(new)))
}

/// Generates both sides in memory, each from its configuration (its pins) and search, and compares
/// the crate's main API version (the one without a cargo feature; its inputs only are read).
pub fn diff_configs(old: (Config, &InputSearch), new: (Config, &InputSearch)) -> Result<MetadataDiff> {
    let side = |(mut config, search): (Config, &InputSearch)| -> Result<(Api, Vec<InputHash>)> {
        let file = config.dir.join("codegen.yaml");
        config.api_versions.retain(|_, v| v.feature.is_none());
        // Rustdoc taken from another document changes no type, property or operation.
        config.api_versions.values_mut().for_each(|v| v.descriptions = None);
        let loaded = crate::load_config(config, search)?;
        let hashes = loaded
            .inputs
            .iter()
            .map(|i| InputHash { name: i.name.clone(), file: i.file.display().to_string(), sha256: i.sha256.clone() })
            .collect();
        let api = loaded.apis.into_iter().next().ok_or_else(|| Error::file(&file, "no API version configured"))?;
        Ok((api, hashes))
    };
    let (old_api, old_inputs) = side(old)?;
    let (new_api, new_inputs) = side(new)?;
    Ok(diff(&old_api, &new_api, old_inputs, new_inputs))
}

//! `cargo xtask cross-check`: builds each API version that has both a CSDL and an OpenAPI input
//! through both front ends (the same pipeline after the front end) and reports, for the method
//! set, where the two models differ: operations only one of them generates (with the other's
//! reason), request and response types, consent, and per type the properties that differ. The
//! documents are of different dates, so differences are expected; the report is kept as a snapshot
//! so that a metadata bump shows what moved.

use std::collections::BTreeMap;

use crate::error::Result;
use crate::inputs::config::{Config, FrontEnd};
use crate::inputs::pins::InputSearch;
use crate::maintenance::diff::{self, ChangeKind, InputHash};
use crate::model::types::{Api, Operation, Unresolved};

/// The comparison of one API version.
#[derive(Debug, Clone)]
pub struct CrossCheck {
    pub api_version: String,
    pub csdl_inputs: Vec<InputHash>,
    pub openapi_inputs: Vec<InputHash>,
    pub csdl_operations: usize,
    pub openapi_operations: usize,
    pub csdl_types: usize,
    pub openapi_types: usize,
    pub differences: Vec<Difference>,
}

/// One difference; `detail` says what each side has.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Difference {
    pub kind: ChangeKind,
    pub subject: String,
    pub detail: String,
}

impl CrossCheck {
    /// Number of differences of each kind.
    pub fn counts(&self) -> BTreeMap<ChangeKind, usize> {
        let mut out = BTreeMap::new();
        for d in &self.differences {
            *out.entry(d.kind).or_insert(0) += 1;
        }
        out
    }

    /// The human-readable report (also the snapshot).
    pub fn render(&self) -> String {
        let mut out = format!(
            "cross-check of {}: CSDL {} operations, {} types; OpenAPI {} operations, {} types; {} differences\n",
            self.api_version,
            self.csdl_operations,
            self.csdl_types,
            self.openapi_operations,
            self.openapi_types,
            self.differences.len()
        );
        for (label, inputs) in [("CSDL", &self.csdl_inputs), ("OpenAPI", &self.openapi_inputs)] {
            for i in inputs {
                out.push_str(&format!("  {label} side {}: sha256 {}\n", i.name, i.sha256));
            }
        }
        for (kind, n) in self.counts() {
            out.push_str(&format!("  {}: {n}\n", label(kind)));
        }
        let mut current = None;
        for d in &self.differences {
            if current != Some(d.kind) {
                out.push_str(&format!("\n{}:\n", label(d.kind)));
                current = Some(d.kind);
            }
            out.push_str(&format!("  {}: {}\n", d.subject, d.detail));
        }
        out
    }
}

fn label(kind: ChangeKind) -> &'static str {
    match kind {
        ChangeKind::OperationRemoved => "operations only the CSDL generates",
        ChangeKind::OperationAdded => "operations only the OpenAPI generates",
        ChangeKind::ConsentChanged => "consent differs (CSDL -> OpenAPI)",
        ChangeKind::RequestTypeChanged => "request type differs (CSDL -> OpenAPI)",
        ChangeKind::ResponseTypeChanged => "response type differs (CSDL -> OpenAPI)",
        ChangeKind::TypeAdded => "types only in the OpenAPI closure",
        ChangeKind::TypeRemoved => "types only in the CSDL closure",
        ChangeKind::PropertyAdded => "properties only the OpenAPI declares",
        ChangeKind::PropertyRemoved => "properties only the CSDL declares",
        ChangeKind::PropertyTypeChanged => "property type differs (CSDL -> OpenAPI)",
        ChangeKind::PropertyNullabilityChanged => "property nullability differs (CSDL -> OpenAPI)",
        ChangeKind::EnumMemberAdded => "enum members only the OpenAPI declares",
        ChangeKind::EnumMemberRemoved => "enum members only the CSDL declares",
    }
}

/// Cross-checks every API version of `config` that names both a CSDL and an OpenAPI input.
pub fn cross_check(config: &Config, search: &InputSearch) -> Result<Vec<CrossCheck>> {
    let mut both = config.clone();
    both.api_versions.retain(|_, v| v.csdl.is_some() && v.openapi.is_some());
    let side = |front: FrontEnd| -> Result<(Vec<Api>, Vec<InputHash>)> {
        let loaded = crate::load_from(both.clone(), search, Some(front))?;
        let hashes = loaded
            .inputs
            .iter()
            .map(|i| InputHash { name: i.name.clone(), file: i.file.display().to_string(), sha256: i.sha256.clone() })
            .collect();
        Ok((loaded.apis, hashes))
    };
    let (csdl_apis, csdl_inputs) = side(FrontEnd::Csdl)?;
    let (openapi_apis, openapi_inputs) = side(FrontEnd::OpenApi)?;
    let mut out = Vec::new();
    for (c, o) in csdl_apis.iter().zip(&openapi_apis) {
        let d = diff::diff(c, o, Vec::new(), Vec::new());
        let differences = d
            .changes
            .into_iter()
            .map(|ch| {
                let detail = match ch.kind {
                    ChangeKind::OperationRemoved => format!("OpenAPI: {}", why_missing(o, c, &ch.subject)),
                    ChangeKind::OperationAdded => format!("CSDL: {}", why_missing(c, o, &ch.subject)),
                    ChangeKind::TypeRemoved => type_reason(o, &ch.subject, "OpenAPI"),
                    ChangeKind::TypeAdded => type_reason(c, &ch.subject, "CSDL"),
                    _ => ch.detail,
                };
                Difference { kind: ch.kind, subject: ch.subject, detail }
            })
            .collect();
        out.push(CrossCheck {
            api_version: c.api_version.clone(),
            csdl_inputs: csdl_inputs
                .iter()
                .filter(|i| is_input_of(config, &c.api_version, i, FrontEnd::Csdl))
                .cloned()
                .collect(),
            openapi_inputs: openapi_inputs
                .iter()
                .filter(|i| is_input_of(config, &c.api_version, i, FrontEnd::OpenApi))
                .cloned()
                .collect(),
            csdl_operations: c.operations.len(),
            openapi_operations: o.operations.len(),
            csdl_types: c.types.len(),
            openapi_types: o.types.len(),
            differences,
        });
    }
    Ok(out)
}

/// Why the other side's closure lacks a type.
fn type_reason(other: &Api, subject: &str, side: &str) -> String {
    let declared = crate::schema::QName::parse(subject).is_some_and(|q| other.declared_types.contains(&q));
    if declared {
        format!("the {side} document declares it, but its operations do not reach it")
    } else {
        format!("the {side} document does not declare it")
    }
}

fn is_input_of(config: &Config, version: &str, input: &InputHash, front: FrontEnd) -> bool {
    config
        .api_versions
        .get(version)
        .is_some_and(|v| v.input_for(front) == Some(&input.name) || v.permissions == input.name)
}

/// Why `missing_in` lacks the operation `subject` (`GET /template`) that `present_in` has: the
/// reason recorded for the same manifest spelling or permissions.json path.
fn why_missing(missing_in: &Api, present_in: &Api, subject: &str) -> String {
    let Some(op) =
        present_in.operations.iter().find(|o| format!("{} {}", o.http_method.as_str(), o.template) == subject)
    else {
        return "not generated".to_string();
    };
    let matches = |u: &Unresolved| {
        u.http_method.eq_ignore_ascii_case(op.http_method.as_str())
            && (op.spec_paths.contains(&u.path) || same_path(op, &u.path))
    };
    missing_in
        .unresolved
        .iter()
        .chain(&missing_in.skipped_grants)
        .find(|u| matches(u))
        .map_or_else(|| "not generated".to_string(), |u| u.reason.clone())
}

/// A permissions.json spelling (lower case, `{id}` and `{value}` placeholders, no `$ref`, no
/// quotes around placeholders) of the
/// operation's template.
fn same_path(op: &Operation, path: &str) -> bool {
    let norm = |p: &str| -> Vec<String> {
        p.trim_matches('/')
            .split('/')
            .filter(|s| !s.eq_ignore_ascii_case("$ref"))
            .map(|s| {
                let mut out = String::new();
                let mut in_placeholder = false;
                for c in s.chars() {
                    match c {
                        '{' => {
                            in_placeholder = true;
                            out.push('{');
                        }
                        '}' => {
                            in_placeholder = false;
                            out.push('}');
                        }
                        _ if in_placeholder => {}
                        // `(on='{on}')` and `(on={value})` name the same call.
                        '\'' => {}
                        _ => out.push(c.to_ascii_lowercase()),
                    }
                }
                out
            })
            .collect()
    };
    norm(path) == norm(&op.template)
}

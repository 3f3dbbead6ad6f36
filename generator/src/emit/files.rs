//! The crate around the Rust modules: `lib.rs`, `Cargo.toml` and `README.md` rendered from
//! `templates/`, the runtime modules copied from `templates/runtime/`, and `permissions.json`.

use std::collections::BTreeMap;
use std::path::Path;

use quote::quote;
use serde::Serialize;

use super::{RUST_HEADER, api, doc_attrs, models};
use crate::Loaded;
use crate::error::{Error, Result};
use crate::model::{Api, Consent};

#[derive(Serialize)]
struct PermissionsExport<'a> {
    permission: &'a str,
    operations: Vec<ExportOperation<'a>>,
    unresolved: Vec<ExportUnresolved<'a>>,
}

#[derive(Serialize)]
struct ExportOperation<'a> {
    api_version: &'a str,
    http_method: &'a str,
    /// The manifest's spelling (without its query string), else the canonical template.
    path: String,
    /// The canonical template the generator uses.
    template: &'a str,
    /// Every spelling the manifest uses for this operation, verbatim.
    spec_paths: &'a [String],
    sources: Vec<&'static str>,
    rust: &'a str,
}

#[derive(Serialize)]
struct ExportUnresolved<'a> {
    api_version: &'a str,
    http_method: &'a str,
    path: &'a str,
    reason: &'a str,
}

/// All files of the generated crate, by path relative to the crate root.
pub fn emit_crate(loaded: &Loaded) -> Result<BTreeMap<String, String>> {
    let config = &loaded.config;
    let templates = config.templates_dir();
    let Some(api) = loaded.apis.first() else {
        return Err(Error::file(&config.dir.join("codegen.yaml"), "no API version to generate"));
    };
    let mut files = BTreeMap::new();

    let (api_rs, rust_paths) = api::api_file(api, &config.shortcuts)?;
    files.insert("src/api.rs".to_string(), api_rs);
    files.insert("src/models.rs".to_string(), models::models_file(api)?);
    files.insert("src/lib.rs".to_string(), lib_file(loaded, api, &rust_paths)?);
    files.insert("tests/models_roundtrip.rs".to_string(), super::samples::roundtrip_test_file(api)?);

    // Runtime modules, copied with the header.
    let runtime_dir = templates.join("runtime");
    let entries = std::fs::read_dir(&runtime_dir).map_err(|e| Error::io(&runtime_dir, e))?;
    let mut runtime_files = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| Error::io(&runtime_dir, e))?.path();
        if path.extension().is_some_and(|e| e == "rs") {
            runtime_files.push(path);
        }
    }
    runtime_files.sort();
    for path in runtime_files {
        let text = read(&path)?;
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let header = RUST_HEADER.replace("from Microsoft Graph metadata", &format!("from templates/runtime/{name}"));
        files.insert(format!("src/runtime/{name}"), format!("{header}\n{text}"));
    }

    let vars = [
        ("name", config.krate.name.clone()),
        ("version", config.krate.version.clone()),
        ("api_version", api.api_version.clone()),
        ("permission", config.permission.clone()),
        ("operations", api.operations.len().to_string()),
        ("unresolved", api.unresolved.len().to_string()),
    ];
    files.insert("Cargo.toml".to_string(), render(&templates.join("Cargo.toml.in"), &vars, "# ")?);
    files.insert("README.md".to_string(), render(&templates.join("README.md.in"), &vars, "")?);

    let export = PermissionsExport {
        permission: &config.permission,
        operations: api
            .operations
            .iter()
            .zip(&rust_paths)
            .map(|(op, rust)| ExportOperation {
                api_version: &api.api_version,
                http_method: op.http_method.as_str(),
                path: op
                    .spec_paths
                    .iter()
                    .find(|p| !p.contains('?'))
                    .or_else(|| op.spec_paths.first())
                    .map_or_else(|| op.template.clone(), |p| normalize_spec_path(p)),
                template: &op.template,
                spec_paths: &op.spec_paths,
                sources: op.sources.iter().map(|s| s.as_str()).collect(),
                rust,
            })
            .collect(),
        unresolved: api
            .unresolved
            .iter()
            .map(|u| ExportUnresolved {
                api_version: &u.api_version,
                http_method: &u.http_method,
                path: &u.path,
                reason: &u.reason,
            })
            .collect(),
    };
    let mut json = serde_json::to_string_pretty(&export)
        .map_err(|e| Error::Emit { file: "permissions.json".to_string(), message: e.to_string() })?;
    json.push('\n');
    files.insert("permissions.json".to_string(), json);
    Ok(files)
}

/// A spec path without its query string, with a leading slash.
fn normalize_spec_path(p: &str) -> String {
    let p = p.split('?').next().unwrap_or(p).trim();
    if p.starts_with('/') { p.to_string() } else { format!("/{p}") }
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| Error::io(path, e))
}

/// Replaces `{{var}}` placeholders; an unknown placeholder is an error. Prepends a header.
fn render(template: &Path, vars: &[(&str, String)], comment: &str) -> Result<String> {
    let text = read(template)?;
    let mut out = String::new();
    if !comment.is_empty() {
        for line in RUST_HEADER.lines() {
            out.push_str(comment);
            out.push_str(line.trim_start_matches("// "));
            out.push('\n');
        }
    } else {
        out.push_str(
            "<!-- @generated by `cargo xtask codegen` from templates/README.md.in. Do not edit by hand. -->\n",
        );
    }
    let mut rest = text.as_str();
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or_else(|| Error::file(template, "unclosed `{{` placeholder"))?;
        let name = after[..end].trim();
        let value = vars
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v)
            .ok_or_else(|| Error::file(template, format!("unknown placeholder `{{{{{name}}}}}`")))?;
        out.push_str(value);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

fn consent_cell(c: Consent) -> &'static str {
    match (c.delegated, c.application) {
        (Some(true), Some(true)) => "delegated, application",
        (Some(true), _) => "delegated only",
        (_, Some(true)) => "application only",
        _ => "not stated",
    }
}

fn lib_file(loaded: &Loaded, api: &Api, rust_paths: &[String]) -> Result<String> {
    let config = &loaded.config;
    let mut doc = vec![
        format!(
            "A typed Microsoft Graph {} client for the methods that `{}` grants.",
            api.api_version, config.permission
        ),
        String::new(),
        "Generated from Graph metadata; see the README for set-up and authentication.".to_string(),
        String::new(),
        "# Operations".to_string(),
        String::new(),
        "| Method | Path | Rust | Consent |".to_string(),
        "|---|---|---|---|".to_string(),
    ];
    for (op, rust) in api.operations.iter().zip(rust_paths) {
        let rust_short = rust.trim_start_matches("msgraph_entitlement::");
        doc.push(format!(
            "| {} | `{}` | [`{rust_short}`]({rust_short}) | {} |",
            op.http_method.as_str(),
            op.template,
            consent_cell(op.consent)
        ));
    }
    doc.push(String::new());
    doc.push("# Methods not generated".to_string());
    doc.push(String::new());
    if api.unresolved.is_empty() {
        doc.push("Every listed method resolved against the metadata.".to_string());
    } else {
        doc.push(format!(
            "The permission's reference page lists these methods, but the {} metadata this crate was generated from does not define them (also in [`UNRESOLVED`]):",
            api.api_version
        ));
        doc.push(String::new());
        for u in &api.unresolved {
            doc.push(format!("- `{} {}`: {}", u.http_method, u.path, super::doc_text(&u.reason)));
        }
    }
    let doc = doc
        .iter()
        .map(|l| {
            let l = format!(" {l}");
            quote!(#![doc = #l])
        })
        .collect::<Vec<_>>();
    let version = &api.api_version;
    let permission = &config.permission;
    let unresolved = api.unresolved.iter().map(|u| {
        let (m, p, r) = (&u.http_method, &u.path, &u.reason);
        quote!(UnresolvedMethod { http_method: #m, path: #p, reason: #r },)
    });
    let unresolved_doc = doc_attrs(&[
        "Methods the permission's reference page lists that the metadata does not define, with the reason.".to_string(),
    ]);
    let tokens = quote! {
        #(#doc)*
        #![forbid(unsafe_code)]
        // Generated sources are formatted by prettyplease; rustfmt leaves them alone.
        #![cfg_attr(rustfmt, rustfmt::skip)]

        #[rustfmt::skip]
        pub mod api;
        #[rustfmt::skip]
        pub mod models;
        #[rustfmt::skip]
        pub mod runtime;

        pub use runtime::{AccessToken, Client, ClientBuilder, Error, GraphError, ODataReference, Page, Request, Result, StaticToken, TokenProvider};

        /// The Graph API version this crate calls.
        pub const API_VERSION: &str = #version;

        /// The permission whose methods this crate covers.
        pub const PERMISSION: &str = #permission;

        /// A listed method that was not generated.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct UnresolvedMethod {
            /// `GET`, `POST`, ...
            pub http_method: &'static str,
            /// As the permission's reference page writes it.
            pub path: &'static str,
            /// Why the metadata does not define it.
            pub reason: &'static str,
        }

        #unresolved_doc
        pub const UNRESOLVED: &[UnresolvedMethod] = &[#(#unresolved)*];
    };
    super::rust_file("lib.rs", tokens)
}

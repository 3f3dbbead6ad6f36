//! The crate around the Rust modules: `lib.rs`, `Cargo.toml` and `README.md` rendered from
//! `templates/`, the runtime modules copied from `templates/runtime/`, `permissions.json` and the
//! generation report `CODEGEN.md`.
//!
//! What is particular to one permission lives in `templates/permissions/<permission>/`:
//! `about.md` (what the permission covers), `quickstart.md`, `consent.md` (README fragments) and
//! `examples/`. A permission without that folder gets fragments written from its model (a
//! quickstart calling one of its collections, its path roots) and no examples. The hand-written
//! Rust templates name the crate `msgraph_entitlement`; copies get the configured crate's name.

use std::collections::BTreeMap;
use std::path::Path;

use quote::quote;

use super::{RUST_HEADER, VersionModule, api, doc_attrs, ident, models};
use crate::Loaded;
use crate::error::{Error, Result};
use crate::model::types::{Api, Consent};

/// All files of the generated crate, by path relative to the crate root.
pub fn emit_crate(loaded: &Loaded) -> Result<BTreeMap<String, String>> {
    let config = &loaded.config;
    let templates = config.templates_dir();
    let krate = crate::naming::sanitize(&config.krate.name, crate::naming::Case::Snake);
    let profile = Some(templates.join("permissions").join(&config.permission)).filter(|p| p.is_dir());
    // The main version is the one without a cargo feature; the others become feature-gated modules.
    let module_of = |api: &Api| {
        let feature = config.api_versions.get(&api.api_version).and_then(|v| v.feature.clone());
        let module = feature.as_ref().map(|_| crate::naming::sanitize(&api.api_version, crate::naming::Case::Snake));
        VersionModule { module, feature, krate: krate.clone() }
    };
    let main = VersionModule::main(&krate);
    let Some(api) = loaded.apis.iter().find(|a| module_of(a).module.is_none()) else {
        return Err(Error::file(&config.dir.join("codegen.yaml"), "no API version without a `feature` to generate"));
    };
    let mut files = BTreeMap::new();
    // A version with no operation for this permission (its input does not cover the permission's
    // paths) is left out; the others become `src/<module>/{mod,api,models}.rs`.
    let others: Vec<(&Api, VersionModule)> = loaded
        .apis
        .iter()
        .filter(|a| a.api_version != api.api_version && !a.operations.is_empty())
        .map(|a| (a, module_of(a)))
        .filter(|(_, m)| m.module.is_some())
        .collect();

    // The models (and their round-trip tests) on a second thread, the request builders here: the
    // two halves take about as long (formatting dominates both).
    let (surface, gated) = std::thread::scope(|scope| -> Result<_> {
        let model_files = crate::timing::spawn_in(scope, || -> Result<Vec<(String, String)>> {
            let mut out = vec![
                ("src/models.rs".to_string(), models::models_file(api, &main)?),
                ("tests/models_roundtrip.rs".to_string(), super::samples::roundtrip_test_file(api, &main)?),
            ];
            for (other, module) in &others {
                let name = module.module.as_deref().unwrap_or_default();
                out.push((format!("src/{name}/models.rs"), models::models_file(other, module)?));
                out.push((
                    format!("tests/{name}_models_roundtrip.rs"),
                    super::samples::roundtrip_test_file(other, module)?,
                ));
            }
            Ok(out)
        });
        let surface = api::api_file(api, &config.shortcuts, &main);
        let mut gated: Vec<(&Api, VersionModule, Vec<String>)> = Vec::new();
        let mut api_files = Vec::new();
        let surfaces = surface.and_then(|surface| {
            api_files.push(("tests/operations_e2e.rs".to_string(), super::e2e::e2e_test_file(api, &surface, &main)?));
            for (other, module) in &others {
                let name = module.module.as_deref().unwrap_or_default();
                let surface = api::api_file(other, &BTreeMap::new(), module)?;
                api_files.push((
                    format!("tests/{name}_operations_e2e.rs"),
                    super::e2e::e2e_test_file(other, &surface, module)?,
                ));
                api_files.push((format!("src/{name}/api.rs"), surface.file));
                api_files.push((format!("src/{name}/mod.rs"), version_mod_file(other)?));
                gated.push((*other, module.clone(), surface.rust_paths));
            }
            Ok(surface)
        });
        // Join before returning an error, so the other thread's error is not the one lost.
        let model_files = model_files.join();
        let surface = surfaces?;
        files.extend(model_files?);
        files.extend(api_files);
        Ok((surface, gated))
    })?;
    let rust_paths = surface.rust_paths.clone();
    files.insert("src/api.rs".to_string(), surface.file.clone());
    files.insert("src/lib.rs".to_string(), lib_file(loaded, api, &rust_paths, &gated)?);

    // Hand-written files, copied with the header: the runtime modules, tests, and the
    // permission's examples.
    let mut copied = vec![("runtime".to_string(), "src/runtime"), ("tests".to_string(), "tests")];
    if profile.as_ref().is_some_and(|p| p.join("examples").is_dir()) {
        copied.push((format!("permissions/{}/examples", config.permission), "examples"));
    }
    for (from, to) in &copied {
        for (name, text) in read_rust_files(&templates.join(from))? {
            let header = RUST_HEADER.replace("from Microsoft Graph metadata", &format!("from templates/{from}/{name}"));
            let text = rename_crate(&text, &config.krate.name);
            files.insert(format!("{to}/{name}"), format!("{header}\n{text}"));
        }
    }

    let features: String = gated
        .iter()
        .filter_map(|(a, m, _)| {
            let f = m.feature.as_ref()?;
            Some(format!("# The Graph {} API as the `{}` module.\n{f} = []\n", a.api_version, m.module.as_deref()?))
        })
        .collect();
    let feature_rows: String = gated
        .iter()
        .filter_map(|(a, m, _)| {
            let (f, module) = (m.feature.as_ref()?, m.module.as_deref()?);
            Some(format!(
                "| `{f}` | | the Graph {} API as the `{module}` module (`client.{module}()`) |\n",
                a.api_version
            ))
        })
        .collect();
    let keywords: Vec<String> = config.keywords().iter().map(|k| format!("{k:?}")).collect();
    let mut vars = vec![
        ("features", features),
        ("feature_rows", feature_rows),
        ("name", config.krate.name.clone()),
        ("crate", krate.clone()),
        ("keywords", format!("[{}]", keywords.join(", "))),
        ("version", config.krate.version.clone()),
        ("api_version", api.api_version.clone()),
        ("permission", config.permission.clone()),
    ];
    let coverage = match loaded.manifest.source {
        Some(_) => format!(
            "{} operations are generated; {} method(s) listed by the permission's\n\
             reference page are not defined by the metadata this crate was generated from (see the crate docs,\n\
             \"Methods not generated\", or `{krate}::UNRESOLVED`).",
            api.operations.len(),
            api.unresolved.len()
        ),
        None => format!(
            "{} operations are generated: every method Graph's `permissions.json` grants to\n\
             `{}` that the metadata this crate was generated from defines (`CODEGEN.md` lists the\n\
             granted paths the metadata lacks).",
            api.operations.len(),
            config.permission
        ),
    };
    vars.push(("coverage", coverage));
    // The permission's README fragments, rendered with the same variables.
    let defaults = super::readme::Fragments::from_model(api, &surface, &krate, &config.permission);
    for (name, default) in [
        ("about", defaults.about),
        ("quickstart", defaults.quickstart),
        ("consent_example", defaults.consent_example),
        ("filter_example", defaults.filter_example),
        ("null_example", defaults.null_example),
        ("bulk_example", defaults.bulk_example),
    ] {
        let file = profile.as_ref().map(|p| p.join(format!("{}.md", name.trim_end_matches("_example"))));
        let text = match file.filter(|f| f.is_file()) {
            Some(file) => render_text(&read(&file)?, &vars, &file)?.trim_end().to_string(),
            None => default,
        };
        vars.push((name, text));
    }
    files.insert("Cargo.toml".to_string(), render(&templates.join("Cargo.toml.in"), &vars, "# ")?);
    files.insert("README.md".to_string(), render(&templates.join("README.md.in"), &vars, "")?);
    files.insert("CODEGEN.md".to_string(), super::report::markdown_file(loaded));

    if let Some(changelog) = config.changelog_path() {
        let text = read(&changelog)?;
        let name = changelog.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        files.insert(
            "CHANGELOG.md".to_string(),
            format!(
                "<!-- @generated by `cargo xtask codegen` from metadata/{name}. Do not edit by hand: \
                 metadata bumps add entries there. -->\n\n{text}"
            ),
        );
    }

    let all: Vec<(&Api, &[String])> = std::iter::once((api, rust_paths.as_slice()))
        .chain(gated.iter().map(|(a, _, paths)| (*a, paths.as_slice())))
        .collect();
    files.insert("permissions.json".to_string(), super::permissions::json_file(&config.permission, &all)?);
    files.insert("src/permissions.rs".to_string(), super::permissions::rust_file(&config.permission, &all)?);
    files.insert("PERMISSIONS.md".to_string(), super::permissions::markdown_file(&config.permission, &all));
    Ok(files)
}

/// The `.rs` files of a folder, by name, in name order.
fn read_rust_files(dir: &Path) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let path = entry.map_err(|e| Error::io(dir, e))?.path();
        if path.extension().is_some_and(|e| e == "rs") {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            out.push((name, read(&path)?));
        }
    }
    out.sort();
    Ok(out)
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| Error::io(path, e))
}

/// The hand-written templates write the crate as `msgraph_entitlement` (so they read as the
/// entitlement crate's code); a copy for a crate of another name says that name.
fn rename_crate(text: &str, crate_name: &str) -> String {
    const TEMPLATE_CRATE: &str = "msgraph_entitlement";
    let ident = crate::naming::sanitize(crate_name, crate::naming::Case::Snake);
    if ident == TEMPLATE_CRATE { text.to_string() } else { text.replace(TEMPLATE_CRATE, &ident) }
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
    out.push_str(&render_text(&text, vars, template)?);
    Ok(out)
}

/// Replaces the `{{var}}` placeholders of `text` (read from `template`).
fn render_text(text: &str, vars: &[(&str, String)], template: &Path) -> Result<String> {
    let mut out = String::new();
    let mut rest = text;
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

/// `src/<module>/mod.rs` of a feature-gated version.
fn version_mod_file(api: &Api) -> Result<String> {
    let version = &api.api_version;
    let doc = [
        format!(
            " The Graph `{version}` API: [`Client::{}`](crate::Client) leads here.",
            crate::naming::sanitize(version, crate::naming::Case::Snake)
        ),
        String::new(),
        format!(
            " {} operations; {} methods of the permission's reference page for `{version}` are not generated (see [`UNRESOLVED`]).",
            api.operations.len(),
            api.unresolved.len()
        ),
    ];
    let doc = doc.iter().map(|l| quote!(#![doc = #l]));
    let unresolved = api.unresolved.iter().map(|u| {
        let (m, p, r) = (&u.http_method, &u.path, &u.reason);
        quote!(crate::UnresolvedMethod { http_method: #m, path: #p, reason: #r },)
    });
    let tokens = quote! {
        #(#doc)*

        #[rustfmt::skip]
        pub mod api;
        #[rustfmt::skip]
        pub mod models;

        /// The Graph API version of this module.
        pub const API_VERSION: &str = #version;

        /// Methods the permission's reference page lists for this version that the metadata does
        /// not define, with the reason.
        pub const UNRESOLVED: &[crate::UnresolvedMethod] = &[#(#unresolved)*];
    };
    super::rust_file("mod.rs", tokens)
}

fn lib_file(
    loaded: &Loaded,
    api: &Api,
    rust_paths: &[String],
    gated: &[(&Api, VersionModule, Vec<String>)],
) -> Result<String> {
    let config = &loaded.config;
    let mut doc = vec![
        String::new(),
        "# Operations".to_string(),
        String::new(),
        "| Method | Path | Rust | Consent |".to_string(),
        "|---|---|---|---|".to_string(),
    ];
    for (op, rust) in api.operations.iter().zip(rust_paths) {
        let rust_short = rust.split_once("::").map_or(rust.as_str(), |(_, r)| r);
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
    let gated_mods = gated.iter().filter_map(|(a, m, _)| {
        let (name, feature) = (ident(m.module.as_deref()?), m.feature.as_deref()?);
        let doc = format!(" The Graph `{}` API (cargo feature `{feature}`).", a.api_version);
        Some(quote! {
            #[doc = #doc]
            #[cfg(feature = #feature)]
            pub mod #name;
        })
    });
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
        #![doc = include_str!("../README.md")]
        #(#doc)*
        #![forbid(unsafe_code)]
        // Generated sources are formatted by prettyplease; rustfmt leaves them alone.
        #![cfg_attr(rustfmt, rustfmt::skip)]

        #[rustfmt::skip]
        pub mod api;
        #[rustfmt::skip]
        pub mod models;
        #[rustfmt::skip]
        pub mod permissions;
        #[rustfmt::skip]
        pub mod runtime;
        #(#gated_mods)*

        pub use runtime::{AccessToken, AppOnly, Client, ClientBuilder, Consent, Delegated, Error, GraphError, ODataReference, Page, Request, Result, StaticToken, TokenProvider};

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

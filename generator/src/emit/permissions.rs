//! The permissions table in three forms: `src/permissions.rs` (`PERMISSIONS` and `for_request`),
//! `permissions.json` (for other tools; its shape is fixed), and `PERMISSIONS.md` (for people).

use std::collections::BTreeMap;

use quote::quote;
use serde::Serialize;

use super::rust::doc_text;
use crate::error::{Error, Result};
use crate::model::permission::{ConsentInfo, PermissionInfo};
use crate::model::types::{Api, Operation, Segment};

#[derive(Serialize)]
struct Export<'a> {
    permission: &'a str,
    /// The permission itself, per consent type (added after the first release: readers that
    /// know only `permission` and `operations` are unaffected).
    details: ExportDetails<'a>,
    operations: Vec<ExportOperation<'a>>,
    unresolved: Vec<ExportUnresolved<'a>>,
}

#[derive(Serialize)]
struct ExportOperation<'a> {
    api_version: &'a str,
    http_method: &'a str,
    path: String,
    delegated: bool,
    application: bool,
    least_privileged: ExportLeast<'a>,
    sources: Vec<&'static str>,
    rust: &'a str,
    /// The Microsoft Graph PowerShell cmdlet (added after the first release; absent when the
    /// generator has no naming rules).
    #[serde(skip_serializing_if = "Option::is_none")]
    powershell: Option<&'a str>,
    /// The crate's permissions that allow it (added after the first release).
    granted_by: Vec<ExportGrantedBy<'a>>,
}

#[derive(Serialize)]
struct ExportGrantedBy<'a> {
    permission: &'a str,
    delegated: bool,
    application: bool,
    least_privileged_delegated: bool,
    least_privileged_application: bool,
}

#[derive(Serialize)]
struct ExportLeast<'a> {
    delegated: &'a [String],
    application: &'a [String],
}

#[derive(Serialize)]
struct ExportDetails<'a> {
    resource_app_id: &'static str,
    delegated: Option<ExportConsent<'a>>,
    application: Option<ExportConsent<'a>>,
    /// Where the ids were read; absent when none is known.
    #[serde(skip_serializing_if = "Option::is_none")]
    ids_source: Option<&'a str>,
}

#[derive(Serialize)]
struct ExportConsent<'a> {
    /// Absent when not known (never guessed).
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    /// `Scope` or `Role` in `requiredResourceAccess`.
    resource_access_type: &'static str,
    display_name: &'a str,
    description: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_display_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_description: Option<&'a str>,
    admin_consent_required: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    privilege_level: Option<u8>,
}

impl<'a> ExportConsent<'a> {
    fn new(c: &'a ConsentInfo, resource_access_type: &'static str) -> ExportConsent<'a> {
        ExportConsent {
            id: c.id.as_deref(),
            resource_access_type,
            display_name: &c.display_name,
            description: &c.description,
            user_display_name: c.user_display_name.as_deref(),
            user_description: c.user_description.as_deref(),
            admin_consent_required: c.admin_consent_required,
            privilege_level: c.privilege_level,
        }
    }
}

/// Microsoft Graph's application id (`resourceAppId` in an app registration).
pub(crate) const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";

#[derive(Serialize)]
struct ExportUnresolved<'a> {
    api_version: &'a str,
    http_method: &'a str,
    path: &'a str,
    reason: &'a str,
}

/// The path a row shows: the reference page's spelling (without a query string) where the page
/// lists the operation, else the canonical template.
pub(crate) fn display_path(op: &Operation) -> String {
    let spelling = op.spec_paths.iter().find(|p| !p.contains('?')).or_else(|| op.spec_paths.first());
    match spelling {
        Some(p) => {
            let p = p.split('?').next().unwrap_or(p).trim();
            if p.starts_with('/') { p.to_string() } else { format!("/{p}") }
        }
        None => op.template.clone(),
    }
}

/// `permissions.json`.
pub(crate) fn json_file(info: &PermissionInfo, apis: &[(&Api, &[String])]) -> Result<String> {
    let permission = info.name.as_str();
    let details = ExportDetails {
        resource_app_id: GRAPH_APP_ID,
        delegated: info.delegated.as_ref().map(|c| ExportConsent::new(c, "Scope")),
        application: info.application.as_ref().map(|c| ExportConsent::new(c, "Role")),
        ids_source: info.ids_source.as_deref().filter(|_| has_ids(info)),
    };
    let mut operations = Vec::new();
    let mut unresolved = Vec::new();
    for (api, rust_paths) in apis {
        for (op, rust) in api.operations.iter().zip(rust_paths.iter()) {
            operations.push(ExportOperation {
                api_version: &api.api_version,
                http_method: op.http_method.as_str(),
                path: display_path(op),
                delegated: op.consent.delegated.unwrap_or(false),
                application: op.consent.application.unwrap_or(false),
                least_privileged: ExportLeast {
                    delegated: &op.least_privileged.delegated,
                    application: &op.least_privileged.application,
                },
                sources: op.sources.iter().map(|s| s.as_str()).collect(),
                rust,
                powershell: op.powershell.as_deref(),
                granted_by: op
                    .granted_by
                    .iter()
                    .map(|g| ExportGrantedBy {
                        permission: &g.permission,
                        delegated: g.consent.delegated.unwrap_or(false),
                        application: g.consent.application.unwrap_or(false),
                        least_privileged_delegated: g.least_delegated,
                        least_privileged_application: g.least_application,
                    })
                    .collect(),
            });
        }
        for u in &api.unresolved {
            unresolved.push(ExportUnresolved {
                api_version: &u.api_version,
                http_method: &u.http_method,
                path: &u.path,
                reason: &u.reason,
            });
        }
    }
    let mut json = serde_json::to_string_pretty(&Export { permission, details, operations, unresolved })
        .map_err(|e| Error::Emit { file: "permissions.json".to_string(), message: e.to_string() })?;
    json.push('\n');
    Ok(json)
}

/// Whether any id of the permission is known.
pub(crate) fn has_ids(info: &PermissionInfo) -> bool {
    [&info.delegated, &info.application].into_iter().flatten().any(|c| c.id.is_some())
}

/// The `ConsentDetails` literal of one consent type.
fn consent_tokens(c: Option<&ConsentInfo>) -> proc_macro2::TokenStream {
    let Some(c) = c else { return quote!(None) };
    let opt = |v: Option<&str>| match v {
        Some(v) => quote!(Some(#v)),
        None => quote!(None),
    };
    let id = opt(c.id.as_deref());
    let (display_name, description) = (&c.display_name, &c.description);
    let user_display_name = opt(c.user_display_name.as_deref());
    let user_description = opt(c.user_description.as_deref());
    let admin = c.admin_consent_required;
    let level = match c.privilege_level.map(proc_macro2::Literal::u8_unsuffixed) {
        Some(l) => quote!(Some(#l)),
        None => quote!(None),
    };
    quote! {
        Some(ConsentDetails::from_init(ConsentDetailsInit {
            id: #id,
            display_name: #display_name,
            description: #description,
            user_display_name: #user_display_name,
            user_description: #user_description,
            admin_consent_required: #admin,
            privilege_level: #level,
        }))
    }
}

/// `src/permissions.rs`.
pub(crate) fn rust_file(info: &PermissionInfo, also: &[PermissionInfo], apis: &[(&Api, &[String])]) -> Result<String> {
    let permission = info.name.as_str();
    let all = apis.iter().flat_map(|(api, paths)| api.operations.iter().zip(paths.iter()).map(move |r| (*api, r)));
    let rows = all.map(|(api, (op, rust))| {
        let version = &api.api_version;
        let method = op.http_method.as_str();
        let path = &op.template;
        let segments = op.segments.iter().map(|s| match s {
            Segment::Navigation { name, .. } => quote!(PathSegment::Literal(#name)),
            Segment::Key { param, .. } => quote!(PathSegment::Param(#param)),
            Segment::Function { name, params } => {
                let name = &name.name;
                let params = params.iter().map(|p| &p.name);
                quote!(PathSegment::Function { name: #name, params: &[#(#params),*] })
            }
            Segment::Action { name } => {
                let name = &name.name;
                quote!(PathSegment::Literal(#name))
            }
            Segment::Ref => quote!(PathSegment::Ref),
            Segment::Stream { name } => quote!(PathSegment::Literal(#name)),
        });
        let delegated = op.consent.delegated.unwrap_or(false);
        let application = op.consent.application.unwrap_or(false);
        let least_d = &op.least_privileged.delegated;
        let least_a = &op.least_privileged.application;
        let powershell = match &op.powershell {
            Some(c) => quote!(Some(#c)),
            None => quote!(None),
        };
        let granted_by = op.granted_by.iter().map(|g| {
            let permission = &g.permission;
            let (d, a) = (g.consent.delegated.unwrap_or(false), g.consent.application.unwrap_or(false));
            let (ld, la) = (g.least_delegated, g.least_application);
            quote! {
                GrantedBy::from_init(GrantedByInit {
                    permission: #permission,
                    delegated: #d,
                    application: #a,
                    least_privileged_delegated: #ld,
                    least_privileged_application: #la,
                })
            }
        });
        quote! {
            MethodPermission::from_init(MethodPermissionInit {
                api_version: #version,
                http_method: #method,
                path: #path,
                segments: &[#(#segments),*],
                delegated: #delegated,
                application: #application,
                least_privileged_delegated: &[#(#least_d),*],
                least_privileged_application: &[#(#least_a),*],
                rust: #rust,
                powershell: #powershell,
                granted_by: &[#(#granted_by),*],
            }),
        }
    });
    let doc = format!(" Every generated operation with the consents `{permission}` allows it under.");
    // The example URL of `for_request`: an item read of this crate, with a real-looking id.
    let example = apis
        .first()
        .and_then(|(api, _)| {
            let ops = &api.operations;
            ops.iter()
                .find(|op| op.http_method.as_str() == "GET" && op.segments.iter().any(|s| matches!(s, Segment::Key { .. })))
                .or(ops.first())
                .map(|op| (api.api_version.clone(), op))
        })
        .map(|(version, op)| {
            let path: Vec<String> = op
                .template
                .split('/')
                .map(|s| if s.starts_with('{') { "6b0c".to_string() } else { s.to_string() })
                .collect();
            format!(
                " The row for a concrete request, e.g. `for_request(\"{}\", \"https://graph.microsoft.com/{version}{}?$top=5\")`.",
                op.http_method.as_str(),
                path.join("/")
            )
        })
        .unwrap_or_else(|| " The row for a concrete request.".to_string());
    let cmdlet_doc =
        apis.iter().flat_map(|(api, _)| &api.operations).find_map(|op| op.powershell.as_deref()).map_or_else(
            || " The rows of the operations a Microsoft Graph PowerShell cmdlet calls.".to_string(),
            |c| {
                format!(
                    " The rows of the operations a Microsoft Graph PowerShell cmdlet calls, e.g. `for_cmdlet(\"{c}\")`."
                )
            },
        );
    let delegated = consent_tokens(info.delegated.as_ref());
    let application = consent_tokens(info.application.as_ref());
    let also = also.iter().map(|p| {
        let name = &p.name;
        let delegated = consent_tokens(p.delegated.as_ref());
        let application = consent_tokens(p.application.as_ref());
        quote!(Permission::from_init(PermissionInit { name: #name, delegated: #delegated, application: #application }))
    });
    let permission_doc = format!(
        " `{permission}` itself: per consent type its id (where known), names, description, admin consent and \
         privilege level. What an app registration needs (see the README's \"App registration\")."
    );
    let tokens = quote! {
        //! The permissions table: for every generated operation, whether delegated (signed-in user)
        //! and application (app-only) consent allow it, and the least-privileged permissions; and
        //! the permission itself ([`PERMISSION`]).
        pub use crate::runtime::{ConsentDetails, ConsentType, GRAPH_APP_ID, GrantedBy, MethodPermission, PathSegment, Permission};
        use crate::runtime::init::{ConsentDetailsInit, GrantedByInit, MethodPermissionInit, PermissionInit};

        #[doc = #permission_doc]
        pub const PERMISSION: Permission = Permission::from_init(PermissionInit {
            name: #permission,
            delegated: #delegated,
            application: #application,
        });

        /// Every permission of the crate: [`PERMISSION`] first, then the others of the set it was
        /// generated for (an app registration's whole grant), if any.
        pub const SET: &[Permission] = &[PERMISSION, #(#also),*];

        #[doc = #doc]
        pub const PERMISSIONS: &[MethodPermission] = &[#(#rows)*];

        #[doc = #example]
        /// Accepts real ids, query strings and function arguments, with or without host and version.
        pub fn for_request(method: &str, url: &str) -> Option<&'static MethodPermission> {
            crate::runtime::find_permission(PERMISSIONS, method, url)
        }

        #[doc = #cmdlet_doc]
        /// Case-insensitive, as PowerShell is; none when no generated operation answers to it.
        pub fn for_cmdlet(cmdlet: &str) -> impl Iterator<Item = &'static MethodPermission> + '_ {
            crate::runtime::find_cmdlet(PERMISSIONS, cmdlet)
        }
    };
    super::rust::rust_file("permissions.rs", tokens)
}

/// `PERMISSIONS.md`: the permission itself, then one table per resource, the main API version
/// first.
pub(crate) fn markdown_file(info: &PermissionInfo, set: &[&str], apis: &[(&Api, &[String])]) -> String {
    let mut out = String::new();
    for (i, (api, rust_paths)) in apis.iter().enumerate() {
        let section = markdown_version(set, api, rust_paths);
        if i == 0 {
            // The permission's own section goes after the title and introduction.
            match section.split_once("\n## ") {
                Some((head, tables)) => {
                    out.push_str(head);
                    out.push_str(&markdown_permission(info));
                    out.push_str("\n## ");
                    out.push_str(tables);
                }
                None => {
                    out.push_str(&section);
                    out.push_str(&markdown_permission(info));
                }
            }
        } else {
            out.push_str(&format!("\n# Graph `{}` (cargo feature)\n", api.api_version));
            // The version's own title and introduction are replaced by the heading above.
            if let Some((_, tables)) = section.split_once("\n## ") {
                out.push_str("\n## ");
                out.push_str(tables);
            }
        }
    }
    out
}

fn markdown_version(set: &[&str], api: &Api, rust_paths: &[String]) -> String {
    let permission = set.iter().map(|p| format!("`{p}`")).collect::<Vec<_>>().join(" + ");
    let several = set.len() > 1;
    let mut groups: BTreeMap<String, Vec<(&Operation, &String)>> = BTreeMap::new();
    for (op, rust) in api.operations.iter().zip(rust_paths) {
        let literals: Vec<&str> = op
            .segments
            .iter()
            .filter_map(|s| match s {
                Segment::Navigation { name, .. } => Some(name.as_str()),
                _ => None,
            })
            .take(3)
            .collect();
        groups.entry(format!("/{}", literals.join("/"))).or_default().push((op, rust));
    }
    let mark = |b: Option<bool>| match b {
        Some(true) => "yes",
        Some(false) => "no",
        None => "?",
    };
    let mut out = format!(
        "<!-- @generated by `cargo xtask codegen`. Do not edit by hand. -->\n\n# Permissions: {permission} ({})\n\n\
         For every generated operation: whether delegated (signed-in user) and application (app-only) consent\n\
         allow it under {}, the least-privileged permissions that would do (from permissions.json),\n\
         and which sources say it is granted (`spec`: the permission's reference page; `permissions.json`).\n\
         The reference page wins where the sources disagree; the differences are explained in\n\
         `metadata/overrides.yaml`.\n",
        api.api_version,
        if several {
            "any permission of the set (\"Granted by\": which ones, the set's least-privileged in bold)"
        } else {
            "this permission"
        }
    );
    for (group, ops) in &groups {
        out.push_str(&format!("\n## `{group}`\n\n"));
        out.push_str("| Method | Path | Delegated | Application | Least privileged (delegated) | Least privileged (application) | Sources | Rust | PowerShell |");
        out.push_str(if several {
            " Granted by |\n|---|---|---|---|---|---|---|---|---|---|\n"
        } else {
            "\n|---|---|---|---|---|---|---|---|---|\n"
        });
        for (op, rust) in ops {
            let sources: Vec<&str> = op.sources.iter().map(|s| s.as_str()).collect();
            let granted_by = op
                .granted_by
                .iter()
                .map(|g| {
                    let kinds: Vec<&str> = [(g.consent.delegated, "delegated"), (g.consent.application, "application")]
                        .into_iter()
                        .filter(|(v, _)| *v == Some(true))
                        .map(|(_, k)| k)
                        .collect();
                    let name = if g.least_delegated || g.least_application {
                        format!("**`{}`**", g.permission)
                    } else {
                        format!("`{}`", g.permission)
                    };
                    format!("{name} ({})", kinds.join(", "))
                })
                .collect::<Vec<_>>()
                .join("; ");
            out.push_str(&format!(
                "| {} | `{}` | {} | {} | {} | {} | {} | `{}` | {} |",
                op.http_method.as_str(),
                op.template,
                mark(op.consent.delegated),
                mark(op.consent.application),
                op.least_privileged.delegated.join(", "),
                op.least_privileged.application.join(", "),
                sources.join(", "),
                rust.split_once("::").map_or(rust.as_str(), |(_, r)| r),
                op.powershell.as_deref().map_or_else(String::new, |c| format!("`{c}`")),
            ));
            out.push_str(&if several { format!(" {granted_by} |\n") } else { "\n".to_string() });
        }
    }
    if !api.unresolved.is_empty() {
        out.push_str("\n## Listed by the reference page, not generated\n\n| Method | Path | Reason |\n|---|---|---|\n");
        for u in &api.unresolved {
            out.push_str(&format!(
                "| {} | `{}` | {} |\n",
                u.http_method,
                u.path,
                doc_text(&u.reason).replace('|', "\\|")
            ));
        }
    }
    out
}

/// PERMISSIONS.md's section on the permission itself.
fn markdown_permission(info: &PermissionInfo) -> String {
    let cell = |t: &str| doc_text(t).replace('|', "\\|");
    let mut out = format!(
        "\n## The permission\n\n`{}` of Microsoft Graph (resource app id `{GRAPH_APP_ID}`), per consent type (names, \
         descriptions, admin consent and privilege level from Graph's permissions.json):\n\n\
         | Consent type | `requiredResourceAccess` type | Id | Display name | Description | Admin consent | Privilege level |\n\
         |---|---|---|---|---|---|---|\n",
        info.name
    );
    let rows = [("Delegated", "Scope", &info.delegated), ("Application", "Role", &info.application)];
    for (consent, kind, details) in rows {
        let Some(c) = details else {
            out.push_str(&format!("| {consent} | `{kind}` | | not offered by Graph | | | |\n"));
            continue;
        };
        out.push_str(&format!(
            "| {consent} | `{kind}` | {} | {} | {} | {} | {} |\n",
            c.id.as_deref().map_or_else(|| "not recorded".to_string(), |id| format!("`{id}`")),
            cell(&c.display_name),
            cell(&c.description),
            if c.admin_consent_required { "required" } else { "not required" },
            c.privilege_level.map_or_else(String::new, |l| l.to_string()),
        ));
    }
    match (&info.ids_source, has_ids(info)) {
        (Some(source), true) => out.push_str(&format!("\nIds as recorded in the generator's `metadata/permission-ids.yaml`, read from {source}.\n")),
        _ => out.push_str(
            "\nIds are not recorded in the generator's `metadata/permission-ids.yaml` for this permission; the README's \
             \"App registration\" shows how to look them up.\n",
        ),
    }
    out
}

//! Crates of other permissions, on the real metadata: what the sweep found missing or broken
//! (streams, composable functions, abstract types without a Rust type, collection arguments,
//! large types) is generated, and typed as Microsoft's SDKs type it.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::collections::BTreeMap;
use std::sync::OnceLock;

use msgraph_codegen::inputs::config::Config;
use msgraph_codegen::model::tree;
use msgraph_codegen::model::types::{
    Api, HttpMethod, Operation, OperationKind, Primitive, Response, Segment, TypeDef, TypeRef,
};
use msgraph_codegen::{Loaded, ParseCache};
use msgraph_tests::{config_file, search};

/// The inputs, parsed once for every test of this file.
fn cache() -> &'static ParseCache {
    static CACHE: OnceLock<ParseCache> = OnceLock::new();
    CACHE.get_or_init(ParseCache::default)
}

fn load(permission: &str) -> Loaded {
    let mut config = Config::load(&config_file()).unwrap();
    config.retarget(permission);
    msgraph_codegen::load_cached(config, &search(), None, cache()).unwrap()
}

fn v1(loaded: &Loaded) -> &Api {
    loaded.apis.iter().find(|a| a.api_version == "v1.0").unwrap()
}

fn op<'a>(api: &'a Api, method: HttpMethod, template: &str) -> &'a Operation {
    api.operations
        .iter()
        .find(|o| o.http_method == method && o.template == template)
        .unwrap_or_else(|| panic!("no {} {template}", method.as_str()))
}

fn named(q: &str) -> TypeRef {
    TypeRef::Named(msgraph_codegen::schema::QName::parse(q).unwrap())
}

#[test]
fn a_files_content_is_downloaded_and_uploaded_as_bytes() {
    let loaded = load("Files.ReadWrite");
    let api = v1(&loaded);
    let download = op(api, HttpMethod::Get, "/drives/{driveId}/items/{driveItemId}/content");
    assert_eq!((download.kind, &download.response, &download.body), (OperationKind::Download, &Response::Bytes, &None));
    assert_eq!(download.segments.last(), Some(&Segment::Stream { name: "content".into() }));
    let upload = op(api, HttpMethod::Put, "/drives/{driveId}/items/{driveItemId}/content");
    assert_eq!(upload.kind, OperationKind::Upload);
    assert_eq!(upload.body, Some(TypeRef::Primitive(Primitive::Stream)));
    // Graph answers an upload with the file's item.
    assert_eq!(upload.response, Response::OptionalValue(named("microsoft.graph.driveItem")));
    // A version's content and a shared item's too.
    op(api, HttpMethod::Get, "/shares/{sharedDriveItemId}/driveItem/content");
    // Named as Microsoft's PowerShell module names them.
    assert_eq!(download.powershell.as_deref(), Some("Get-MgDriveItemContent"));
    assert_eq!(upload.powershell.as_deref(), Some("Set-MgDriveItemContent"));
    // On the item's builder: `download_content()`, `upload_content(content_type, body)`.
    let tree = tree::build(api, &BTreeMap::new());
    let index = |o: &Operation| api.operations.iter().position(|x| std::ptr::eq(x, o)).unwrap();
    assert_eq!(tree.chains[index(download)].last().map(String::as_str), Some("download_content"));
    assert_eq!(tree.chains[index(upload)].last().map(String::as_str), Some("upload_content"));
}

#[test]
fn a_media_entitys_value_is_its_content() {
    // `chatMessageHostedContent` is a media entity (`HasStream`): its bytes are `.../$value`.
    let loaded = load("ChatMessage.Read.Chat");
    let api = v1(&loaded);
    let (i, value) = api
        .operations
        .iter()
        .enumerate()
        .find(|(_, o)| {
            o.template.starts_with("/chats/")
                && o.template.ends_with("/hostedContents/{chatMessageHostedContentId}/$value")
        })
        .unwrap();
    assert_eq!((value.kind, &value.response), (OperationKind::Download, &Response::Bytes));
    assert_eq!(value.segments.last(), Some(&Segment::Stream { name: "$value".into() }));
    let tree = tree::build(api, &BTreeMap::new());
    assert_eq!(tree.chains[i].last().map(String::as_str), Some("download_content"));
}

#[test]
fn functions_and_actions_returning_a_stream_answer_bytes() {
    let loaded = load("DeviceManagementConfiguration.Read.All");
    let api = v1(&loaded);
    let reports: Vec<&Operation> =
        api.operations.iter().filter(|o| o.template.starts_with("/deviceManagement/reports/get")).collect();
    assert!(reports.len() > 10, "{}", reports.len());
    let bytes = reports.iter().filter(|o| o.response == Response::Bytes).count();
    assert_eq!(bytes, reports.len(), "every report action returns Edm.Stream");
}

#[test]
fn a_path_goes_on_after_a_composable_function() {
    let loaded = load("Files.ReadWrite");
    let api = v1(&loaded);
    let format = op(
        api,
        HttpMethod::Get,
        "/me/drive/items/{driveItemId}/workbook/worksheets/{workbookWorksheetId}/range(address='{address}')/format",
    );
    assert_eq!(format.kind, OperationKind::Get);
    assert_eq!(format.response, Response::Value(named("microsoft.graph.workbookRangeFormat")));
    let tree = tree::build(api, &BTreeMap::new());
    let i = api.operations.iter().position(|o| std::ptr::eq(o, format)).unwrap();
    let chain: Vec<&str> = tree.chains[i].iter().map(String::as_str).collect();
    assert_eq!(&chain[chain.len() - 3..], ["range_with_address", "format", "get"], "{chain:?}");
    // The function's own GET is the `get` of its builder.
    let range = api
        .operations
        .iter()
        .position(|o| {
            o.http_method == HttpMethod::Get
                && o.template
                    == "/me/drive/items/{driveItemId}/workbook/worksheets/{workbookWorksheetId}/range(address='{address}')"
        })
        .unwrap();
    assert!(tree.folded[range]);
    assert_eq!(&tree.chains[range][tree.chains[range].len() - 2..], ["range_with_address", "get"]);
}

#[test]
fn an_abstract_type_without_a_rust_type_is_json_or_its_nearest_base() {
    // `resource` navigations are typed `microsoft.graph.entity`, abstract and kept out of the
    // polymorphic families (`closure.no_derived_types`).
    let loaded = load("Sites.Read.All");
    let api = v1(&loaded);
    let resource = op(api, HttpMethod::Get, "/me/insights/trending/{trendingId}/resource");
    assert_eq!(resource.response, Response::Value(TypeRef::Primitive(Primitive::Json)));
    // No field of any type names a type the crate does not emit.
    for t in api.types.values() {
        let TypeDef::Struct(s) = t else { continue };
        for p in &s.properties {
            let target = match &p.ty {
                TypeRef::Named(q) => q,
                TypeRef::Collection(inner) => match inner.as_ref() {
                    TypeRef::Named(q) => q,
                    _ => continue,
                },
                TypeRef::Primitive(_) => continue,
            };
            let held = match api.types.get(target) {
                Some(TypeDef::Struct(t)) => !t.is_abstract || t.polymorphic.is_some(),
                Some(TypeDef::Enum(_)) => true,
                None => false,
            };
            assert!(held, "{}.{} names {target}, which has no Rust type", s.name, p.name);
        }
    }
}

#[test]
fn collection_arguments_of_a_path_function_are_collection_literals() {
    let loaded = load("SensitivityLabel.Evaluate");
    let files = msgraph_codegen::generate(&loaded).unwrap();
    let api = &files["src/api.rs"];
    // prettyplease writes `& label_ids` inside `format!`.
    let compact = api.replace(char::is_whitespace, "");
    assert!(compact.contains("labelIds={},locale={},contentFormats={})"), "{api}");
    assert!(compact.contains("path_argument_collection(&label_ids)"), "{api}");
    assert!(compact.contains("path_argument_collection(&content_formats)"), "{api}");
}

#[test]
fn fields_of_large_types_are_boxed() {
    let loaded = load("Files.ReadWrite");
    let api = v1(&loaded);
    let Some(TypeDef::Struct(shared)) =
        api.types.get(&msgraph_codegen::schema::QName::parse("microsoft.graph.sharedDriveItem").unwrap())
    else {
        panic!("no sharedDriveItem")
    };
    let boxed: Vec<&str> = shared.properties.iter().filter(|p| p.boxed).map(|p| p.name.as_str()).collect();
    assert!(boxed.contains(&"driveItem") && boxed.contains(&"site"), "{boxed:?}");
    // Small ones stay inline.
    assert!(!shared.properties.iter().any(|p| p.name == "owner" && p.boxed));
}

fn struct_of<'a>(api: &'a Api, q: &str) -> &'a msgraph_codegen::model::types::StructDef {
    match api.types.get(&msgraph_codegen::schema::QName::parse(q).unwrap()) {
        Some(TypeDef::Struct(s)) => s,
        _ => panic!("no struct {q}"),
    }
}

/// A write sends no navigation property and only a read takes `$expand`: a permission that only
/// writes gets the types its writes send, not every type reached through a navigation property.
#[test]
fn only_what_an_operation_can_send_or_receive_is_generated() {
    let loaded = load("User-Mail.ReadWrite.All");
    let api = v1(&loaded);
    assert_eq!(api.operations.len(), 1, "one PATCH of a user");
    assert!(api.types.len() <= 60, "{} types (582 when every navigation was followed)", api.types.len());
    let user = struct_of(api, "microsoft.graph.user");
    assert!(user.properties.iter().all(|p| !p.navigation), "a user only written has no navigation field");
    assert!(user.properties.iter().any(|p| p.name == "mailboxSettings"), "its structural properties stay");
    // A readable user keeps its navigation properties (`$expand=manager`).
    let loaded = load("User.Read.All");
    let user = struct_of(v1(&loaded), "microsoft.graph.user");
    assert!(user.properties.iter().any(|p| p.navigation && p.name == "manager"));
    // A complex type's navigation properties are data it carries inline, wherever it is used
    // (the requirements an action answers with, with their `questions`).
    let loaded = load("EntitlementManagement.ReadWrite.All");
    let requirements = struct_of(v1(&loaded), "microsoft.graph.accessPackageAssignmentRequestRequirements");
    assert!(requirements.properties.iter().any(|p| p.navigation && p.name == "questions"));
    // Group.Create's two writes: the group's own properties, not its drives, sites and calendars.
    assert!(v1(&load("Group.Create")).types.len() <= 20);
}

/// A crate above `crate.root_features_above` has a cargo feature per API root, all on by default:
/// a builder is behind its root's feature, a type behind those of the roots that use it.
#[test]
fn a_large_crate_has_a_feature_per_api_root() {
    let loaded = load("Group.ReadWrite.All");
    let files = msgraph_codegen::generate(&loaded).unwrap();
    let manifest = &files["Cargo.toml"];
    assert!(manifest.contains(r#"default = ["rustls-ring", "all-apis"]"#), "{manifest}");
    assert!(manifest.contains("\ngroups = []\n"), "{manifest}");
    let api = &files["src/api.rs"];
    assert!(
        api.contains("#[cfg(feature = \"groups\")]\n    /// `/groups`.\n    pub fn groups(&self)"),
        "the root method is gated"
    );
    let models = &files["src/models.rs"];
    assert!(models.contains("#[cfg(any(feature = ") || models.contains("#[cfg(feature = "), "types are gated");
    // The generated tests call every operation: they need every root.
    assert!(files["tests/operations_e2e.rs"].contains("#![cfg(feature = \"all-apis\")]"));
    // The README's other TLS keeps every root; its example of one root names the largest.
    let readme = &files["README.md"];
    assert!(readme.contains(r#"default-features = false, features = ["rustls", "all-apis"]"#), "{readme}");
    assert!(readme.contains(r#"features = ["rustls-ring", "teams"]"#), "{readme}");
    // No root of this crate is above `crate.segment_features_above`.
    assert!(!manifest.contains("groups-"), "{manifest}");
    // The entitlement crate (83 operations) stays one piece.
    let files = msgraph_codegen::generate(&load("EntitlementManagement.ReadWrite.All")).unwrap();
    assert!(!files["Cargo.toml"].contains("all-apis"));
}

/// A root above `crate.segment_features_above` has a feature per segment below it as well, which
/// the root's feature turns on: a segment alone builds its operations, the builders on its path
/// and the types they use; the root's own operations need the root's feature.
#[test]
fn a_large_root_has_a_feature_per_segment() {
    let loaded = load("DeviceManagementConfiguration.ReadWrite.All");
    let files = msgraph_codegen::generate(&loaded).unwrap();
    let manifest = &files["Cargo.toml"];
    let root = manifest.lines().find(|l| l.starts_with("device-management = [")).unwrap();
    assert!(root.contains(r#""device-management-device-configurations""#), "{root}");
    assert!(manifest.contains("\ndevice-management-device-configurations = []\n"), "{manifest}");
    // A root below the threshold is one feature.
    assert!(manifest.contains("\ndevice-app-management = []\n"), "{manifest}");
    let api = &files["src/api.rs"];
    // The root's builder is built with any of its features; the method leading to a segment is
    // behind the segment's feature, and the root's own operations behind the root's.
    let root_method = api.find("pub fn device_management(&self)").unwrap();
    let gate = &api[api[..root_method].rfind("#[cfg(").unwrap()..root_method];
    assert!(gate.contains(r#"feature = "device-management-device-configurations""#), "{gate}");
    assert!(gate.contains(r#"feature = "device-management-reports""#), "{gate}");
    assert!(
        api.contains(
            "#[cfg(feature = \"device-management-device-configurations\")]\n    /// `/deviceManagement/deviceConfigurations`.\n    pub fn device_configurations(&self)"
        ),
        "the segment's method is gated"
    );
    let builder = &api[api.find("impl<C: Consent> DeviceManagementRequestBuilder<C> {").unwrap()..];
    let builder = &builder[..builder.find("\n}\n").unwrap()];
    let get = builder.find("PowerShell: `Get-MgDeviceManagement`").unwrap();
    assert!(builder[..get].rfind("#[cfg(feature = \"device-management\")]").is_some(), "{builder}");
    // The types are gated by the segments that use them.
    assert!(files["src/models.rs"].contains(r#"feature = "device-management-device-configurations""#));
    // The README's example names the largest segment of the largest root.
    let readme = &files["README.md"];
    assert!(
        readme.contains(r#"features = ["rustls-ring", "device-management-device-compliance-policies"]"#),
        "{readme}"
    );
    assert!(readme.contains("| `device-management-device-configurations` | through `device-management` |"), "{readme}");
}

//! The OpenAPI front end: a small document (tests/fixtures/openapi/mini.yml) read into the schema
//! model (kinds, inheritance, navigation, containment, references, bound operations, the
//! container), resolved through the shared path resolution, and bad documents failing with a
//! located message. The real module document is covered by the cross-check snapshot
//! (tests/tests/cross_check.rs).
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::path::Path;

use msgraph_codegen::frontend::openapi::OpenApi;
use msgraph_codegen::inputs::config::OpenApiConfig;
use msgraph_codegen::model::types::{HttpMethod, OperationKind as OpKind, Primitive, Response, TypeRef};
use msgraph_codegen::paths::resolve::{Options, resolve};
use msgraph_codegen::schema::{OperationKind, QName, TypeExpr, TypeKind};
use msgraph_tests::fixture;

fn config() -> OpenApiConfig {
    OpenApiConfig { entity_base: "microsoft.graph.entity".into(), key: "id".into() }
}

fn mini_text() -> String {
    std::fs::read_to_string(fixture("openapi/mini.yml")).unwrap()
}

fn mini() -> OpenApi {
    OpenApi::parse(&mini_text(), Path::new("mini.yml"), &config()).unwrap()
}

fn q(name: &str) -> QName {
    QName::parse(name).unwrap()
}

fn error_of(text: &str) -> String {
    OpenApi::parse(text, Path::new("bad.yml"), &config()).unwrap_err().to_string()
}

#[test]
fn schemas_become_types_with_kinds_and_inheritance() {
    let o = mini();
    let csdl = &o.schema;
    let package = csdl.get(&q("microsoft.graph.accessPackage")).unwrap();
    assert_eq!(package.kind, TypeKind::Entity);
    assert_eq!(package.base, Some(q("microsoft.graph.entity")));
    assert_eq!(package.description.as_deref(), Some("An access package."));
    // The container's type is an entity type although it does not derive from the entity base.
    assert_eq!(csdl.get(&q("microsoft.graph.identityGovernance")).unwrap().kind, TypeKind::Entity);
    assert_eq!(csdl.get(&q("microsoft.graph.accessPackageState")).unwrap().kind, TypeKind::Enum);
    assert_eq!(csdl.all_derived(&q("microsoft.graph.accessPackage")).len(), 1);
    // Collection wrappers and helper schemas are not types.
    assert!(csdl.get(&q("microsoft.graph.accessPackageCollectionResponse")).is_none());
    assert!(csdl.get(&q("microsoft.graph.unifiedRoleDefinitionCollectionResponse")).is_none());

    let flags = csdl.get(&q("microsoft.graph.accessPackageFilterByCurrentUserOptions")).unwrap();
    assert!(flags.flags);
    assert_eq!(flags.members, vec![("allowedRequestor".to_string(), 1), ("unknownFutureValue".to_string(), 2)]);

    let prop =
        |name: &str| csdl.all_properties(&q("microsoft.graph.accessPackage")).into_iter().find(|p| p.name == name);
    let id = prop("id").unwrap();
    assert_eq!(id.ty, TypeExpr { collection: false, name: q("Edm.String") });
    assert!(!id.nullable);
    assert_eq!(prop("createdDateTime").unwrap().ty.name, q("Edm.DateTimeOffset"));
    // `oneOf: [number, string, ReferenceNumeric]` is a double; `anyOf: [$ref, nullable object]` a
    // nullable enum.
    assert_eq!(prop("weight").unwrap().ty.name, q("Edm.Double"));
    let state = prop("state").unwrap();
    assert_eq!(state.ty.name, q("microsoft.graph.accessPackageState"));
    assert!(state.nullable);
    assert!(prop("catalog").is_none(), "an entity-typed property is a navigation property");
}

#[test]
fn paths_decide_navigation_containment_and_references() {
    let o = mini();
    let csdl = &o.schema;
    let nav = |ty: &str, name: &str| csdl.find_navigation(&q(ty), name, false).unwrap().clone();
    let packages = nav("microsoft.graph.entitlementManagement", "accessPackages");
    assert!(packages.contains_target, "POST and DELETE of items: contained");
    assert!(nav("microsoft.graph.identityGovernance", "entitlementManagement").contains_target);
    let incompatible = nav("microsoft.graph.accessPackage", "incompatibleAccessPackages");
    assert!(!incompatible.contains_target);
    assert!(incompatible.referenceable);
    let catalog = nav("microsoft.graph.accessPackage", "catalog");
    assert!(!catalog.contains_target && !catalog.ty.collection);

    let ig = &csdl.container["identityGovernance"];
    assert!(ig.singleton);
    // `/roleManagement` itself is not served: its type is made from what is served below it.
    let rm = &csdl.container["roleManagement"];
    assert!(rm.singleton);
    assert_eq!(nav(&rm.ty.to_string(), "directory").ty.name, q("microsoft.graph.rbacApplication"));
}

#[test]
fn bound_operations_come_from_path_segments() {
    let o = mini();
    let function = o.schema.operations.iter().find(|op| op.name.name == "filterByCurrentUser").unwrap();
    assert_eq!(function.kind, OperationKind::Function);
    assert_eq!(function.binding, Some(TypeExpr { collection: true, name: q("microsoft.graph.accessPackage") }));
    assert_eq!(function.params.len(), 1);
    assert_eq!(function.params[0].ty.name, q("microsoft.graph.accessPackageFilterByCurrentUserOptions"));
    assert_eq!(function.returns, Some(TypeExpr { collection: true, name: q("microsoft.graph.accessPackage") }));

    let action = o.schema.operations.iter().find(|op| op.name.name == "moveToCatalog").unwrap();
    assert_eq!(action.kind, OperationKind::Action);
    assert_eq!(action.binding, Some(TypeExpr { collection: false, name: q("microsoft.graph.accessPackage") }));
    let params: Vec<(&str, &str, bool)> =
        action.params.iter().map(|p| (p.name.as_str(), p.ty.name.name.as_str(), p.nullable)).collect();
    assert_eq!(params, vec![("catalogId", "String", true), ("when", "DateTimeOffset", false)]);
    assert_eq!(action.returns, None);
}

#[test]
fn the_shared_resolution_walks_the_openapi_model() {
    let o = mini();
    let get = |method: HttpMethod, path: &str| {
        let raw = msgraph_codegen::paths::syntax::parse(path).unwrap();
        resolve(&o.schema, method, &raw, Options::default())
    };
    let list = get(HttpMethod::Get, "/identityGovernance/entitlementManagement/accessPackages").unwrap();
    assert_eq!(list.kind, OpKind::List);
    assert_eq!(list.response, Response::Page(TypeRef::Named(q("microsoft.graph.accessPackage"))));
    let add_ref = get(
        HttpMethod::Post,
        "/identityGovernance/entitlementManagement/accessPackages/{id}/incompatibleAccessPackages/$ref",
    )
    .unwrap();
    assert_eq!(add_ref.kind, OpKind::AddRef);
    let call = get(
        HttpMethod::Get,
        "/identityGovernance/entitlementManagement/accessPackages/filterByCurrentUser(on='allowedRequestor')",
    )
    .unwrap();
    assert_eq!(call.kind, OpKind::Function);
    let roles = get(HttpMethod::Get, "/roleManagement/directory/roleDefinitions").unwrap();
    assert_eq!(roles.response, Response::Page(TypeRef::Named(q("microsoft.graph.unifiedRoleDefinition"))));
    let action =
        get(HttpMethod::Post, "/identityGovernance/entitlementManagement/accessPackages/{id}/moveToCatalog").unwrap();
    assert_eq!(action.response, Response::Empty);
    assert!(matches!(action.body, Some(TypeRef::Named(_))));
    assert!(get(HttpMethod::Get, "/identityGovernance/entitlementManagement/catalogs").is_err());
    let _ = Primitive::Json;
}

#[test]
fn served_lists_what_the_document_serves_with_its_docs() {
    let o = mini();
    let served = msgraph_codegen::paths::resolve::served(&o.schema, &o.paths);
    let list = served
        .ops
        .get(&("/identityGovernance/entitlementManagement/accessPackages".to_string(), HttpMethod::Get))
        .unwrap();
    assert_eq!(list.description.as_deref(), Some("Retrieve a list of accessPackage objects."));
    assert!(list.docs.as_deref().unwrap().starts_with("https://learn.microsoft.com/graph/api/"));
    // PATCH of an access package is allowed by the schemas but not served by this document.
    assert!(
        !served.ops.keys().any(|(t, m)| *m == HttpMethod::Patch
            && t.starts_with("/identityGovernance/entitlementManagement/accessPackages/"))
    );
    assert!(served.ops.keys().any(|(_, m)| *m == HttpMethod::Delete));
}

#[test]
fn bad_documents_fail_with_a_located_message() {
    let text = mini_text();
    // Malformed YAML: file:line:column.
    let broken = text.replacen("  /identityGovernance:\n", "  /identityGovernance:\n   - [\n", 1);
    let e = error_of(&broken);
    assert!(e.starts_with("bad.yml:"), "{e}");
    assert!(e.split(':').nth(1).unwrap().parse::<u32>().unwrap() > 1, "{e}");

    // A duplicate key (openapiv3 would panic on some): rejected with its line.
    let duplicate = text.replacen("  title: mini\n", "  title: mini\n  title: again\n", 1);
    let e = error_of(&duplicate);
    assert!(e.starts_with("bad.yml:3:") && e.contains("duplicate entry with key \"title\""), "{e}");

    // A property of a type the document does not define: names the schema's line and the type.
    let unknown = text.replacen(
        "            catalog:\n              $ref: '#/components/schemas/microsoft.graph.accessPackageCatalog'",
        "            catalog:\n              $ref: '#/components/schemas/microsoft.graph.missing'",
        1,
    );
    let e = error_of(&unknown);
    let line = text.lines().position(|l| l == "    microsoft.graph.accessPackage:").unwrap() + 1;
    assert!(e.contains(&format!("bad.yml:{line}:")), "{e}");
    assert!(e.contains("unknown type `microsoft.graph.missing`"), "{e}");

    // Inline object schemas have no name to generate.
    let inline = text.replacen(
        "            isHidden:\n              type: boolean",
        "            isHidden:\n              type: object\n              properties:\n                a:\n                  type: string",
        1,
    );
    let e = error_of(&inline);
    assert!(e.contains("property `microsoft.graph.accessPackage.isHidden`: inline object schemas"), "{e}");

    // The configured entity base must be in the document.
    let e = OpenApi::parse(
        &text,
        Path::new("bad.yml"),
        &OpenApiConfig { entity_base: "microsoft.graph.nothing".into(), key: "id".into() },
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("openapi.entity_base `microsoft.graph.nothing` is not a schema of the document"), "{e}");

    // Swagger 2.0 / OpenAPI 3.1 are not read as 3.0.
    let e = error_of(&text.replacen("openapi: 3.0.1", "openapi: 3.1.0", 1));
    assert!(e.contains("OpenAPI version `3.1.0` is not supported"), "{e}");

    // A discriminator must map to derived schemas.
    let disc = text.replacen(
        "    microsoft.graph.accessPackageCatalog:\n      allOf:",
        "    microsoft.graph.accessPackageCatalog:\n      discriminator:\n        propertyName: '@odata.type'\n        mapping:\n          '#microsoft.graph.accessPackage': '#/components/schemas/microsoft.graph.accessPackage'\n      allOf:",
        1,
    );
    let e = error_of(&disc);
    assert!(e.contains("discriminator maps `#microsoft.graph.accessPackage`"), "{e}");
}

#[test]
fn the_csdl_build_takes_missing_rustdoc_from_the_openapi_document() {
    // codegen.yaml: v1.0 is built from the CSDL (no descriptions) with `descriptions: v1.0-openapi`.
    let loaded = msgraph_codegen::load(&msgraph_tests::config_file(), &msgraph_tests::search()).unwrap();
    let v1 = loaded.apis.iter().find(|a| a.api_version == "v1.0").unwrap();
    let Some(msgraph_codegen::model::types::TypeDef::Struct(package)) =
        v1.types.get(&q("microsoft.graph.accessPackage"))
    else {
        panic!("accessPackage is a struct of the closure");
    };
    let display_name = package.properties.iter().find(|p| p.name == "displayName").unwrap();
    assert!(display_name.description.as_deref().unwrap().contains("display name of the access package"));
    let list = v1
        .operations
        .iter()
        .find(|o| {
            o.template == "/identityGovernance/entitlementManagement/accessPackages" && o.http_method == HttpMethod::Get
        })
        .unwrap();
    assert!(list.description.as_deref().unwrap().starts_with("Retrieve a list of accessPackage objects"));
    assert!(list.docs.as_deref().unwrap().contains("learn.microsoft.com/graph/api/"));
}

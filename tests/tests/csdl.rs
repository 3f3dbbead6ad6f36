//! The CSDL front end on small hand-written documents under `tests/fixtures/csdl/`.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use msgraph_codegen::frontend::csdl;
use msgraph_codegen::schema::{QName, Schema, TypeKind};
use msgraph_tests::fixture;

fn parse(name: &str) -> Result<Schema, msgraph_codegen::Error> {
    let path = fixture(&format!("csdl/{name}"));
    let text = std::fs::read_to_string(&path).unwrap();
    csdl::parse(&text, &path)
}

fn q(name: &str) -> QName {
    QName::new("test.graph", name)
}

#[test]
fn types_inheritance_and_aliases() {
    let csdl = parse("mini.xml").unwrap();
    let shelf = csdl.get(&q("shelf")).unwrap();
    assert_eq!(shelf.kind, TypeKind::Entity);
    assert_eq!(shelf.base, Some(q("entity")), "the alias `t` resolves to its namespace");
    let names: Vec<&str> = csdl.all_properties(&q("paperback")).iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["id", "title", "color", "retention", "pages"], "inherited properties come first");
    let key = csdl.key_of(&q("paperback")).unwrap();
    assert_eq!(key[0].name, "id", "the key is inherited from the abstract base");
    assert!(csdl.get(&q("entity")).unwrap().is_abstract);
    assert!(csdl.get(&q("book")).unwrap().open);
    let created = csdl.all_properties(&q("shelf")).into_iter().find(|p| p.name == "createdDateTime").unwrap();
    assert!(!created.nullable);
    assert_eq!(created.ty.name, QName::new("Edm", "DateTimeOffset"));
}

#[test]
fn derived_types_and_enums() {
    let csdl = parse("mini.xml").unwrap();
    let derived: Vec<String> = csdl.all_derived(&q("subjectSet")).iter().map(|d| d.name.clone()).collect();
    assert_eq!(derived, ["groupMembers", "singleUser"]);
    assert_eq!(csdl.all_derived(&q("book")).len(), 1);
    let color = csdl.get(&q("color")).unwrap();
    assert_eq!(color.kind, TypeKind::Enum);
    assert_eq!(color.members[1], ("green".to_string(), 1));
}

#[test]
fn navigation_containment_and_references() {
    let csdl = parse("mini.xml").unwrap();
    let books = csdl.find_navigation(&q("shelf"), "books", false).unwrap();
    assert!(books.contains_target && books.ty.collection && !books.referenceable);
    let groups = csdl.find_navigation(&q("shelf"), "relatedgroups", true).unwrap();
    assert!(!groups.contains_target && groups.referenceable, "Referenceable comes from NavigationRestrictions");
    assert!(csdl.find_navigation(&q("shelf"), "relatedgroups", false).is_none(), "exact case unless folding");
    assert!(csdl.container["root"].singleton);
    assert!(!csdl.container["groups"].singleton);
}

#[test]
fn bound_operations_and_overloads() {
    let csdl = parse("mini.xml").unwrap();
    let f = csdl.bound_operations("filterByCurrentUser", &q("paperback"), true, false);
    assert_eq!(f.len(), 1, "a collection of a derived type accepts a function bound to its base");
    assert_eq!(f[0].params[0].name, "on");
    assert_eq!(csdl.bound_operations("lookup", &q("shelf"), true, false).len(), 2);
    let archive = csdl.bound_operations("archive", &q("shelf"), false, false);
    assert_eq!(archive[0].params.len(), 2, "the binding parameter is not a parameter");
    assert!(csdl.bound_operations("archive", &q("shelf"), true, false).is_empty(), "bound to one, not a collection");
    // Most derived binding first; an explicit-binding overload only on its own type.
    let books = csdl.bound_operations("delta", &q("paperback"), true, false);
    assert_eq!(books.len(), 2);
    assert_eq!(books[0].binding.as_ref().unwrap().name, q("book"), "the book overload first");
    assert!(books[1].requires_explicit_binding, "the inherited explicit-binding one last");
    let groups = csdl.bound_operations("delta", &q("group"), true, false);
    assert!(groups.len() == 1 && groups[0].requires_explicit_binding, "the only one, still reached");
}

#[test]
fn descriptions_inline_and_out_of_line() {
    let csdl = parse("mini.xml").unwrap();
    let title = csdl.all_properties(&q("book")).into_iter().find(|p| p.name == "title").unwrap();
    assert_eq!(title.description.as_deref(), Some("The title of the book."));
    let mail = csdl.all_properties(&q("group")).into_iter().find(|p| p.name == "mail").unwrap();
    assert_eq!(mail.description.as_deref(), Some("Out-of-line description."));
}

fn error_of(name: &str) -> String {
    parse(name).unwrap_err().to_string()
}

#[test]
fn unknown_type_names_file_line_and_column() {
    let e = error_of("unknown-type.xml");
    assert!(e.contains("unknown-type.xml:8:9:"), "{e}");
    assert!(e.contains("unknown type `test.graph.person`"), "{e}");
}

#[test]
fn cyclic_base_type_is_an_error() {
    let e = error_of("cyclic-base.xml");
    assert!(e.contains("cyclic-base.xml:5:7:") && e.contains("cyclic"), "{e}");
}

#[test]
fn duplicate_property_is_an_error() {
    let e = error_of("duplicate-property.xml");
    assert!(e.contains("duplicate-property.xml:9:9:") && e.contains("declared twice"), "{e}");
}

#[test]
fn truncated_xml_names_position() {
    let e = error_of("truncated.xml");
    assert!(e.contains("truncated.xml:"), "{e}");
    assert!(!e.contains("panicked"), "{e}");
}

#[test]
fn not_csdl_is_an_error() {
    let e = csdl::parse("<root/>", std::path::Path::new("x.xml")).unwrap_err().to_string();
    assert!(e.starts_with("x.xml:1:1:") && e.contains("not a CSDL document"), "{e}");
}

/// Every CSDL document we have (current and 2023 v1.0, 2021 beta) passes validation: the checks
/// reject broken metadata, not Graph's.
#[test]
fn every_upstream_csdl_validates() {
    let dir = msgraph_tests::metadata_dir();
    for rel in [
        "v1.0/cleanMetadata.xml",
        "v1.0/cleanMetadataWithDescriptions-2023-05-09.xml",
        "beta/cleanMetadata-2021-06-08.xml",
    ] {
        let path = dir.join(rel);
        let text = std::fs::read_to_string(&path).unwrap();
        if let Err(e) = csdl::parse(&text, &path) {
            panic!("{e}");
        }
    }
}

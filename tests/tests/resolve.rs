//! The path resolver on the hand-written fixture `tests/fixtures/csdl/mini.xml`.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use msgraph_codegen::frontend::csdl::parse as parse_csdl;
use msgraph_codegen::model::types::{HttpMethod, OperationKind, Response, Segment, TypeRef};
use msgraph_codegen::paths::resolve::{Options, Resolved, resolve};
use msgraph_codegen::paths::syntax as paths;
use msgraph_codegen::schema::Schema;
use msgraph_tests::fixture;

fn csdl() -> Schema {
    let path = fixture("csdl/mini.xml");
    parse_csdl(&std::fs::read_to_string(&path).unwrap(), &path).unwrap()
}

fn run(method: &str, path: &str, options: Options) -> Result<Resolved, String> {
    let raw = paths::parse(path)?;
    resolve(&csdl(), HttpMethod::parse(method).unwrap(), &raw, options)
}

fn ok(method: &str, path: &str) -> Resolved {
    run(method, path, Options::default()).unwrap_or_else(|e| panic!("{method} {path}: {e}"))
}

fn named(name: &str) -> TypeRef {
    TypeRef::Named(msgraph_codegen::schema::QName::new("test.graph", name))
}

#[test]
fn containment_keys_and_templates() {
    let r = ok("GET", "/root/shelves/{id}/books/{id}");
    assert_eq!(r.template, "/root/shelves/{shelfId}/books/{bookId}");
    assert_eq!(r.kind, OperationKind::Get);
    assert_eq!(r.response, Response::Value(named("book")));
    let r = ok("GET", "/root/shelves/{shelf-id}/books");
    assert_eq!(r.kind, OperationKind::List);
    assert_eq!(r.response, Response::Page(named("book")));
    let r = ok("POST", "/root/shelves");
    assert_eq!((r.kind, r.body), (OperationKind::Create, Some(named("shelf"))));
    assert_eq!(ok("PATCH", "/root/settings").kind, OperationKind::Update);
    assert_eq!(ok("PUT", "/root/shelves/{x}").kind, OperationKind::Replace);
    assert_eq!(ok("DELETE", "/root/shelves/{x}").response, Response::Empty);
}

#[test]
fn repeated_key_names_are_numbered() {
    let r = ok("GET", "/groups/{id}");
    assert_eq!(r.template, "/groups/{groupId}");
    let r = ok("DELETE", "/root/shelves/{id}/relatedGroups/{id}/$ref");
    assert_eq!(r.template, "/root/shelves/{shelfId}/relatedGroups/{groupId}/$ref");
}

#[test]
fn references() {
    let r = ok("POST", "/root/shelves/{id}/relatedGroups/$ref");
    assert_eq!(r.kind, OperationKind::AddRef);
    assert_eq!(r.segments.last(), Some(&Segment::Ref));
    let r = ok("DELETE", "/root/shelves/{id}/relatedGroups/{id}/$ref");
    assert_eq!(r.kind, OperationKind::RemoveRef);
    let e = run("POST", "/root/shelves/{id}/books/$ref", Options::default()).unwrap_err();
    assert!(e.contains("not a reference"), "{e}");
}

#[test]
fn implicit_ref_for_permissions_json_paths() {
    let options = Options { fold_case: true, implicit_ref: true };
    let r = run("POST", "/root/shelves/{id}/relatedgroups", options).unwrap();
    assert_eq!(r.kind, OperationKind::AddRef);
    assert_eq!(r.template, "/root/shelves/{shelfId}/relatedGroups/$ref");
    let r = run("DELETE", "/root/shelves/{id}/relatedgroups/{id}", options).unwrap();
    assert_eq!(r.kind, OperationKind::RemoveRef);
    let r = run("GET", "/root/shelves/{id}/relatedgroups", options).unwrap();
    assert_eq!(r.kind, OperationKind::List, "reading through a reference lists the targets");
    let r = run("POST", "/root/shelves/{id}/books", options).unwrap();
    assert_eq!(r.kind, OperationKind::Create, "contained collections are never references");
}

#[test]
fn bound_function_with_parameters() {
    let r = ok("GET", "/root/shelves/{id}/books/filterByCurrentUser(on='mine')");
    assert_eq!(r.kind, OperationKind::Function);
    assert_eq!(r.template, "/root/shelves/{shelfId}/books/filterByCurrentUser(on='{on}')");
    assert_eq!(r.response, Response::Page(named("book")));
    let Some(Segment::Function { params, .. }) = r.segments.last() else { panic!() };
    assert_eq!(params[0].ty, named("filterOptions"));
    // Placeholders and namespace-qualified names are accepted.
    let r2 = ok("GET", "/root/shelves/{id}/books/test.graph.filterByCurrentUser(on={value})");
    assert_eq!(r2.template, r.template);
}

#[test]
fn overloads_are_picked_by_parameter_names() {
    let r = ok("GET", "/root/shelves/lookup(name='a',owner='b')");
    assert_eq!(r.template, "/root/shelves/lookup(name='{name}',owner='{owner}')");
    let r = ok("GET", "/root/shelves/lookup()");
    assert_eq!(r.template, "/root/shelves/lookup()");
    let e = run("GET", "/root/shelves/lookup(size=1)", Options::default()).unwrap_err();
    assert!(e.contains("no overload"), "{e}");
}

#[test]
fn bound_actions_with_and_without_bodies() {
    let r = ok("POST", "/root/shelves/{id}/archive");
    assert_eq!(r.kind, OperationKind::Action);
    assert!(r.body.is_some(), "archive takes parameters in its body");
    assert_eq!(r.response, Response::Empty);
    let r = ok("POST", "/root/shelves/{id}/books/{id}/reprocess");
    assert_eq!((r.kind, r.body), (OperationKind::Action, None));
    let e = run("GET", "/root/shelves/{id}/archive", Options::default()).unwrap_err();
    assert!(e.contains("called with POST"), "{e}");
}

#[test]
fn inherited_operations_apply_to_derived_types() {
    // reprocess is bound to book; it is reachable from any book.
    assert_eq!(ok("POST", "/root/shelves/{id}/books/{id}/reprocess").kind, OperationKind::Action);
}

#[test]
fn query_strings_are_not_part_of_the_template() {
    let raw = paths::parse("/root/shelves/{id}?$expand=books($expand=x)").unwrap();
    assert_eq!(raw.query.as_deref(), Some("$expand=books($expand=x)"));
    let r = ok("GET", "/root/shelves/{id}?$expand=books($expand=x)");
    assert_eq!(r.template, "/root/shelves/{shelfId}");
}

#[test]
fn unresolvable_paths_give_reasons() {
    let cases = [
        ("GET", "/nowhere", "not an entity set or singleton"),
        ("GET", "/root/cupboards", "neither a navigation property nor a bound operation"),
        ("GET", "/root/shelves/books", "a key must come first"),
        ("GET", "/root/shelves/{id}/displayName", "structural property"),
        ("GET", "/root/settings/{id}", "not a collection"),
        ("PATCH", "/root/shelves", "not defined on the collection"),
        ("POST", "/root/shelves/{id}", "not defined on the single entity"),
        ("GET", "/Root/Shelves", "not an entity set or singleton"),
    ];
    for (method, path, expected) in cases {
        let e = run(method, path, Options::default()).unwrap_err();
        assert!(e.contains(expected), "{method} {path}: {e}");
    }
    // Case folding is opt-in.
    let folded = Options { fold_case: true, implicit_ref: false };
    assert_eq!(run("GET", "/Root/Shelves", folded).unwrap().template, "/root/shelves");
}

#[test]
fn entity_without_key_cannot_be_keyed() {
    // root has no key: /root is a singleton, but a keyed access to a keyless collection fails.
    let csdl = csdl();
    assert!(csdl.key_of(&msgraph_codegen::schema::QName::new("test.graph", "root")).is_none());
}

#[test]
fn older_segment_names_resolve_through_aliases() {
    let aliases = std::collections::BTreeMap::from([("cupboards".to_string(), "shelves".to_string())]);
    let raw = paths::parse("/root/Cupboards/{id}/books").unwrap();
    let r = msgraph_codegen::paths::resolve::resolve_with_aliases(
        &csdl(),
        HttpMethod::Get,
        &raw,
        Options::default(),
        &aliases,
    )
    .unwrap();
    assert_eq!(r.template, "/root/shelves/{shelfId}/books");
    // Without a matching alias the first reason is kept.
    let raw = paths::parse("/root/drawers").unwrap();
    let e = msgraph_codegen::paths::resolve::resolve_with_aliases(
        &csdl(),
        HttpMethod::Get,
        &raw,
        Options::default(),
        &aliases,
    )
    .unwrap_err();
    assert!(e.contains("`drawers`"), "{e}");
}

#[test]
fn the_most_derived_overload_wins_and_explicit_binding_is_not_inherited() {
    // `delta` bound to `Collection(entity)` comes first in the file and requires explicit binding;
    // the books' own overload wins, typed as a delta page of books.
    let r = ok("GET", "/root/shelves/{id}/books/delta()");
    assert_eq!(r.response, Response::DeltaPage(named("book")));
    assert_eq!(r.kind, OperationKind::Function);
    // `groups` have no overload of their own: the inherited explicit-binding one is reached (Graph
    // serves and lists such paths without the cast).
    assert_eq!(ok("GET", "/groups/delta()").response, Response::DeltaPage(named("entity")));
}

//! Each OData query option is sent once (Graph answers `400` to one given twice): single-valued
//! options replace, list options append, headers are set once; `query` adds as it is, and the
//! test kit answers a repeated option as Graph does.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use msgraph_entitlement::Error;
use msgraph_entitlement::fields::AccessPackageField;
use msgraph_entitlement::runtime::Filter;
use msgraph_entitlement::testing::MockGraph;

fn query_of(url: &str) -> &str {
    url.split_once('?').map_or("", |(_, q)| q)
}

#[tokio::test]
async fn single_valued_options_replace_list_options_append_headers_are_set_once() {
    let graph = MockGraph::start().await;
    let client = graph.client();
    let packages = || client.entitlement_management().access_packages().list();

    let request = packages().top(5).top(10).skip(1).skip(2).filter("a eq 1").filter("b eq 2");
    assert_eq!(query_of(&request.url()), "$top=10&$skip=2&$filter=b%20eq%202");

    let request = packages().expand("a").expand("b").select(["id"]).select_fields(&[AccessPackageField::DisplayName]);
    assert_eq!(query_of(&request.url()), "$expand=a,b&$select=id,displayName");

    let request = packages().order_by("displayName").order_by_field(AccessPackageField::Id, true);
    assert_eq!(query_of(&request.url()), "$orderby=displayName,id%20desc");

    // Typed filters combine with `and`.
    let request = packages()
        .filter_by(Filter::eq(AccessPackageField::DisplayName, "Sales"))
        .filter_by(Filter::eq(AccessPackageField::IsHidden, false));
    assert_eq!(query_of(&request.url()), "$filter=(displayName%20eq%20'Sales')%20and%20(isHidden%20eq%20false)",);

    // `count` and `search` both need `ConsistencyLevel: eventual`: it is sent once.
    graph.expect(packages().count().search("\"displayName:Sales\"")).respond(Default::default());
    packages().count().search("\"displayName:x\"").search("\"displayName:Sales\"").await.unwrap();
    let received = graph.received();
    let sent = received.last().unwrap();
    let query: Vec<(&str, &str)> = sent.query.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    assert_eq!(query, [("$count", "true"), ("$search", "\"displayName:Sales\"")]);
    let consistency: Vec<&(String, String)> = sent.headers.iter().filter(|(n, _)| n == "consistencylevel").collect();
    assert_eq!(consistency.len(), 1, "{:?}", sent.headers);

    // A header set twice is sent once, with the last value.
    let request = packages().header("Prefer", "a").header("prefer", "b");
    graph.expect(request).respond(Default::default());
    packages().header("Prefer", "a").header("prefer", "b").await.unwrap();
    let received = graph.received();
    let prefer: Vec<&(String, String)> =
        received.last().unwrap().headers.iter().filter(|(n, _)| n == "prefer").collect();
    assert_eq!(prefer, [&("prefer".to_string(), "b".to_string())]);
    graph.verify();
}

#[tokio::test]
async fn the_test_kit_answers_a_repeated_option_as_graph_does() {
    let graph = MockGraph::start().await;
    let client = graph.client();
    let packages = client.entitlement_management().access_packages();
    // `query` is the escape hatch: it adds, so the option goes twice.
    let err = packages.by_id("p1").get().query("$select", "id").query("$select", "displayName").await.unwrap_err();
    assert!(matches!(&err, Error::Graph { status: 400, .. }), "{err:?}");
    assert!(err.to_string().contains("Query option '$select' was specified more than once."), "{err}");
    let failures = graph.take_failures();
    assert!(failures[0].contains("gives the query option `$select` more than once"), "{failures:?}");
}

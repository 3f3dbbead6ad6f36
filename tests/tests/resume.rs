//! Resumable paging: a listing stopped part-way goes on from its stored continuation, in a new
//! stream (as another process would), reading each later page once.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use msgraph_entitlement::Error;
use msgraph_entitlement::models::AccessPackage;
use msgraph_entitlement::runtime::Page;
use msgraph_entitlement::testing::MockGraph;

fn package(id: &str) -> AccessPackage {
    AccessPackage { id: Some(id.to_string()), ..Default::default() }
}

fn ids(packages: &[AccessPackage]) -> Vec<String> {
    packages.iter().map(|p| p.id.clone().unwrap()).collect()
}

#[tokio::test]
async fn a_stream_stopped_after_page_2_of_4_resumes_with_pages_3_and_4_once() {
    let graph = MockGraph::start().await;
    let client = graph.app_only_client();
    let list = || client.entitlement_management().access_packages().list().top(2);
    let pages: Vec<Vec<AccessPackage>> =
        (0..4).map(|p| vec![package(&format!("p{p}-a")), package(&format!("p{p}-b"))]).collect();
    graph.expect(list()).respond_pages(pages);

    let mut first = list().pages();
    assert!(first.continuation().is_none(), "nothing to resume before the first page");
    let mut read = Vec::new();
    for _ in 0..2 {
        read.extend(first.next().await.unwrap().unwrap().value);
    }
    let stored: String = first.continuation().unwrap().to_string();
    assert!(stored.starts_with(&graph.base_url()) && stored.contains("$top=2"), "{stored}");
    drop(first); // the process stops here

    // Another process: the same request, resumed from the stored link.
    let client = graph.app_only_client();
    let mut resumed = client.entitlement_management().access_packages().list().top(2).pages_from(&stored).unwrap();
    while let Some(page) = resumed.next().await {
        read.extend(page.unwrap().value);
    }
    assert!(resumed.continuation().is_none(), "after the last page");
    let expected: Vec<String> = (0..4).flat_map(|p| [format!("p{p}-a"), format!("p{p}-b")]).collect();
    assert_eq!(ids(&read), expected, "every item once, in order");
    assert_eq!(graph.received().len(), 4, "four pages read, none twice");
    graph.verify();
}

#[tokio::test]
async fn a_failed_page_is_where_to_resume() {
    let graph = MockGraph::start().await;
    let client = graph.client();
    let list = || client.entitlement_management().catalogs().list();
    let link = format!("{}/identityGovernance/entitlementManagement/catalogs?$skiptoken=gone", graph.base_url());
    graph.expect(list()).respond(Page::new(Vec::new()).next_link(link.clone())).times(1);
    let mut pages = list().pages();
    pages.next().await.unwrap().unwrap();
    assert_eq!(pages.continuation(), Some(link.as_str()));
    // No expectation answers the next page: it fails.
    let e = pages.next().await.unwrap().unwrap_err();
    assert_eq!(e.status(), Some(501), "{e}");
    assert!(pages.next().await.is_none(), "paging ends at an error");
    assert_eq!(pages.continuation(), Some(link.as_str()), "the failed page is where to resume");
    assert_eq!(graph.take_failures().len(), 1, "the unmatched request");
}

#[tokio::test]
async fn a_stored_link_to_another_host_is_refused() {
    let graph = MockGraph::start().await;
    let client = graph.client();
    let Err(e) =
        client.entitlement_management().catalogs().list().pages_from("https://evil.example/v1.0/x?$skiptoken=1")
    else {
        panic!("accepted a foreign link")
    };
    assert!(matches!(e, Error::ForeignNextLink { .. }), "{e:?}");
    assert!(graph.received().is_empty());
}

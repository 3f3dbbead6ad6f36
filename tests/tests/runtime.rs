//! The client runtime against local servers: paging, next-link safety, throttling and transient
//! faults. On the test kit (`testing::MockGraph`), except the HTTP-date `Retry-After`, which the
//! kit does not write (it sends seconds).
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::time::{Duration, SystemTime};

use futures_util::StreamExt;
use msgraph_entitlement::models::{AccessPackage, AccessPackageCatalog, EntitlementManagementSettings};
use msgraph_entitlement::runtime::{RetryPolicy, parse_retry_after};
use msgraph_entitlement::testing::{MockError, MockGraph};
use msgraph_entitlement::{Client, Error, Page, StaticToken};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const EM_PATH: &str = "/identityGovernance/entitlementManagement";
const EM: &str = "/v1.0/identityGovernance/entitlementManagement";

fn client_for(server: &MockServer, retry: RetryPolicy) -> Client {
    Client::builder(StaticToken::new("secret-token-123"))
        .base_url(format!("{}/v1.0", server.uri()))
        .retry(retry)
        .build()
        .unwrap()
}

fn fast_retries(max_attempts: u32) -> RetryPolicy {
    RetryPolicy::default().max_attempts(max_attempts).base_delay(Duration::from_millis(1))
}

fn package(i: u32) -> AccessPackage {
    AccessPackage { id: Some(format!("ap-{i}")), ..Default::default() }
}

fn catalog(id: &str) -> AccessPackageCatalog {
    AccessPackageCatalog { id: Some(id.to_string()), ..Default::default() }
}

/// A client of the test kit's mock, retrying as `retry` says.
fn mock_client(graph: &MockGraph, retry: RetryPolicy) -> Client {
    graph.client_builder().retry(retry).build().unwrap()
}

#[tokio::test]
async fn paging_over_four_pages() {
    let graph = MockGraph::start().await;
    let client = mock_client(&graph, RetryPolicy::none());
    let packages = client.entitlement_management().access_packages();
    // Four pages (3 + 3 + 3 + 1 items), linked by `@odata.nextLink`s with a `$skiptoken`.
    graph.expect(packages.list()).respond_pages([0..3, 3..6, 6..9, 9..10].map(|ids| ids.map(package)));

    let items: Vec<_> = packages.list().items().collect().await;
    let ids: Vec<String> = items.into_iter().map(|r| r.unwrap().id.unwrap()).collect();
    assert_eq!(ids, (0..10).map(|i| format!("ap-{i}")).collect::<Vec<_>>());

    let mut pages = packages.list().pages();
    let mut sizes = Vec::new();
    while let Some(p) = pages.next().await {
        sizes.push(p.unwrap().value.len());
    }
    assert_eq!(sizes, [3, 3, 3, 1]);

    let first_five = packages.list().collect_all(5).await.unwrap();
    assert_eq!(first_five.len(), 5);
    assert_eq!(graph.received().len(), 4 + 4 + 2, "collect_all(5) stops after the second page");
    graph.verify();
}

#[tokio::test]
async fn a_repeating_next_link_ends_with_an_error() {
    let graph = MockGraph::start().await;
    let client = mock_client(&graph, RetryPolicy::none());
    let catalogs = client.entitlement_management().catalogs();
    let link = format!("{}{EM_PATH}/catalogs?$skiptoken=same", graph.base_url());
    // The same page, whose link leads to itself.
    graph.expect(catalogs.list()).respond(Page::new(vec![catalog("c")]).next_link(link));
    let results: Vec<_> = catalogs.list().items().take(10).collect().await;
    assert!(results.len() < 10, "paging stopped");
    let err = results.into_iter().find_map(Result::err).unwrap();
    assert!(matches!(err, Error::PagingLoop { .. }), "{err}");
}

#[tokio::test]
async fn a_next_link_to_another_host_never_gets_the_token() {
    let graph = MockGraph::start().await;
    let elsewhere = MockGraph::start().await;
    let client = mock_client(&graph, RetryPolicy::none());
    let catalogs = client.entitlement_management().catalogs();
    let link = format!("{}/steal", elsewhere.base_url());
    graph.expect(catalogs.list()).respond(Page::new(vec![catalog("c")]).next_link(link));
    let mut pages = catalogs.list().pages();
    assert_eq!(pages.next().await.unwrap().unwrap().value.len(), 1, "the page itself is returned");
    let err = pages.next().await.unwrap().unwrap_err();
    assert!(matches!(err, Error::ForeignNextLink { .. }), "{err}");
    assert!(pages.next().await.is_none());
    assert!(elsewhere.received().is_empty(), "nothing was sent to the other host");
}

#[tokio::test]
async fn throttled_with_retry_after_seconds_then_success() {
    let graph = MockGraph::start().await;
    let client = mock_client(&graph, fast_retries(3));
    let settings = client.entitlement_management().settings();
    let answer = EntitlementManagementSettings { id: Some("s".into()), ..Default::default() };
    graph.expect(settings.get()).fail(MockError::throttled(Duration::ZERO)).respond(answer).times(2);
    assert_eq!(settings.get().await.unwrap().id.as_deref(), Some("s"));
    graph.verify();
}

/// `Retry-After` as an HTTP date: on wiremock, as the test kit writes `Retry-After` in seconds.
async fn throttled_then_ok(retry_after: &str) -> (MockServer, Client) {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("{EM}/settings")))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", retry_after)
                .set_body_json(json!({"error": {"code": "TooManyRequests", "message": "throttled"}})),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{EM}/settings")))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"id": "s", "externalUserLifecycleAction": "none"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = client_for(&server, fast_retries(3));
    (server, client)
}

#[tokio::test]
async fn throttled_with_retry_after_http_date_then_success() {
    let past = httpdate_of(SystemTime::now() - Duration::from_secs(5));
    let (_server, client) = throttled_then_ok(&past).await;
    client.entitlement_management().settings().get().await.unwrap();
}

fn httpdate_of(t: SystemTime) -> String {
    // RFC 7231 IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
    let secs = t.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs();
    let days = secs / 86400;
    let (h, m, s) = ((secs % 86400) / 3600, (secs % 3600) / 60, secs % 60);
    let (y, mo, d) = civil_from_days(days as i64);
    let wd = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][(days % 7) as usize];
    let mon = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][(mo - 1) as usize];
    format!("{wd}, {d:02} {mon} {y} {h:02}:{m:02}:{s:02} GMT")
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[test]
fn retry_after_values() {
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777); // Sun, 06 Nov 1994 08:49:37 GMT
    assert_eq!(parse_retry_after("120", now), Some(Duration::from_secs(120)));
    assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:50:07 GMT", now), Some(Duration::from_secs(30)));
    assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now), Some(Duration::ZERO), "a past date: now");
    assert_eq!(parse_retry_after("soon", now), None);
    assert_eq!(parse_retry_after("-5", now), None);
    assert_eq!(httpdate_of(now), "Sun, 06 Nov 1994 08:49:37 GMT");
}

#[tokio::test]
async fn unavailable_until_attempts_run_out() {
    let graph = MockGraph::start().await;
    let client = mock_client(&graph, fast_retries(4));
    let catalogs = client.entitlement_management().catalogs();
    // A fifth call would match nothing and fail `verify`.
    graph.expect(catalogs.list()).fail(MockError::unavailable()).times(4);
    let err = catalogs.list().await.unwrap_err();
    assert_eq!(err.status(), Some(503));
    graph.verify();
}

#[tokio::test]
async fn writes_are_not_repeated_on_503() {
    let graph = MockGraph::start().await;
    let client = mock_client(&graph, fast_retries(4));
    let catalogs = client.entitlement_management().catalogs();
    let body = AccessPackageCatalog { display_name: Some("c".into()), ..Default::default() };
    graph.expect(catalogs.create(&body)).fail(MockError::unavailable()).times(1);
    let err = catalogs.create(&body).await.unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert_eq!(graph.received().len(), 1, "sent once");
    graph.verify();
}

#[tokio::test]
async fn throttled_writes_are_retried() {
    // 429 means Graph did not process the request, so even a POST is sent again.
    let graph = MockGraph::start().await;
    let client = mock_client(&graph, fast_retries(3));
    let catalogs = client.entitlement_management().catalogs();
    let body = AccessPackageCatalog::default();
    graph.expect(catalogs.create(&body)).fail(MockError::throttled(Duration::ZERO)).respond(catalog("new")).times(2);
    assert_eq!(catalogs.create(&body).await.unwrap().id.as_deref(), Some("new"));
    graph.verify();
}

//! Fault injection against local doubles: throttling with every kind of `Retry-After`, server
//! errors, a connection cut mid-body, truncated JSON, oversized bodies, a slow server. Expected
//! each time: no panic, a bounded number of attempts, no write sent twice, and the right error.
//! Throttling and server errors run on the test kit (`testing::MockGraph`); the others need what
//! it does not do on purpose (cut a connection, truncate or inflate a body, answer slowly), so
//! they use wiremock or a raw TCP server.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use msgraph_entitlement::models::AccessPackageCatalog;
use msgraph_entitlement::runtime::{Json, RetryPolicy};
use msgraph_entitlement::testing::{Expectation, MockError, MockGraph};
use msgraph_entitlement::{Client, Error, Page, StaticToken};
use serde_json::json;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const EM: &str = "/v1.0/identityGovernance/entitlementManagement";

fn policy(attempts: u32) -> RetryPolicy {
    RetryPolicy::default().max_attempts(attempts).base_delay(Duration::from_millis(1)).max_delay(Duration::from_secs(2))
}

fn client(base: &str, attempts: u32) -> Client {
    Client::builder(StaticToken::new("t"))
        .base_url(format!("{base}/v1.0"))
        .retry(policy(attempts))
        .timeout(Some(Duration::from_secs(10)))
        .build()
        .unwrap()
}

/// The test kit, with a client of it retrying `attempts` times.
async fn mock(attempts: u32) -> (MockGraph, Client) {
    let graph = MockGraph::start().await;
    let client = graph.client_builder().retry(policy(attempts)).timeout(Some(Duration::from_secs(10))).build().unwrap();
    (graph, client)
}

/// A Graph error `status` with `Retry-After: retry_after` as written (a garbage value too), or
/// none.
fn fault(
    expectation: Expectation<Json<Page<AccessPackageCatalog>>>,
    status: u16,
    retry_after: Option<&str>,
) -> Expectation<Json<Page<AccessPackageCatalog>>> {
    let expectation = expectation.fail(MockError::new(status, "x", "fault"));
    match retry_after {
        Some(value) => expectation.header("retry-after", value),
        None => expectation,
    }
}

async fn requests(server: &MockServer) -> usize {
    server.received_requests().await.unwrap().len()
}

fn one_catalog() -> Page<AccessPackageCatalog> {
    Page::new(vec![AccessPackageCatalog { id: Some("c1".into()), ..Default::default() }])
}

#[tokio::test]
async fn throttled_without_retry_after_backs_off_then_succeeds() {
    let (graph, client) = mock(4).await;
    let catalogs = client.entitlement_management().catalogs();
    let expectation = fault(fault(graph.expect(catalogs.list()), 429, None), 429, None);
    let _ = expectation.respond(one_catalog()).times(3);
    assert_eq!(catalogs.list().await.unwrap().value.len(), 1);
    graph.verify();
}

#[tokio::test]
async fn throttled_with_garbage_retry_after_backs_off_then_succeeds() {
    let (graph, client) = mock(4).await;
    let catalogs = client.entitlement_management().catalogs();
    let _ = fault(graph.expect(catalogs.list()), 429, Some("soon, maybe")).respond(one_catalog()).times(2);
    catalogs.list().await.unwrap();
    graph.verify();
}

#[tokio::test]
async fn a_retry_after_beyond_the_policy_is_not_waited_for() {
    // One hour is more than max_delay: the 429 is returned at once instead of sleeping.
    let (graph, client) = mock(4).await;
    let catalogs = client.entitlement_management().catalogs();
    let _ = fault(graph.expect(catalogs.list()), 429, Some("3600")).times(1);
    let started = std::time::Instant::now();
    let err = catalogs.list().await.unwrap_err();
    assert_eq!(err.status(), Some(429), "{err}");
    assert!(started.elapsed() < Duration::from_secs(3));
    graph.verify();
}

#[tokio::test]
async fn throttling_is_retried_a_bounded_number_of_times() {
    let (graph, client) = mock(3).await;
    let catalogs = client.entitlement_management().catalogs();
    // Every call throttled; a fourth call would match nothing and fail `verify`.
    let _ = fault(graph.expect(catalogs.list()), 429, Some("0")).times(3);
    let err = catalogs.list().await.unwrap_err();
    assert_eq!(err.status(), Some(429));
    assert_eq!(err.graph_error().map(|e| e.message.as_str()), Some("fault"));
    graph.verify();
}

#[tokio::test]
async fn internal_server_errors_are_not_retried() {
    let (graph, client) = mock(4).await;
    let catalogs = client.entitlement_management().catalogs();
    let _ = fault(graph.expect(catalogs.list()), 500, None).times(1);
    let err = catalogs.list().await.unwrap_err();
    assert!(matches!(err, Error::Graph { status: 500, .. }), "{err}");
    graph.verify();
}

#[tokio::test]
async fn gateway_timeouts_are_retried_for_reads_only() {
    let (graph, client) = mock(4).await;
    let catalogs = client.entitlement_management().catalogs();
    let _ = fault(graph.expect(catalogs.list()), 504, None).respond(one_catalog()).times(2);
    catalogs.list().await.unwrap();

    let body = AccessPackageCatalog::default();
    let _ = graph.expect(catalogs.create(&body)).fail(MockError::new(504, "x", "fault")).times(1);
    let err = catalogs.create(&body).await.unwrap_err();
    assert_eq!(err.status(), Some(504));
    assert_eq!(graph.received().len(), 3, "a POST is never sent twice");
    graph.verify();
}

#[tokio::test]
async fn truncated_json_is_a_decode_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(r#"{"value": [{"id": "c1"}, {"id": "#, "application/json"),
        )
        .mount(&server)
        .await;
    let err = client(&server.uri(), 4).entitlement_management().catalogs().list().await.unwrap_err();
    assert!(matches!(err, Error::Decode { status: 200, .. }), "{err}");
    assert!(err.to_string().contains("EOF"), "{err}");
}

#[tokio::test]
async fn an_oversized_body_is_refused() {
    let server = MockServer::start().await;
    let big = format!(r#"{{"value": [{{"id": "{}"}}]}}"#, "x".repeat(2 << 20));
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(big, "application/json"))
        .mount(&server)
        .await;
    let small = Client::builder(StaticToken::new("t"))
        .base_url(format!("{}/v1.0", server.uri()))
        .max_response_bytes(1 << 20)
        .build()
        .unwrap();
    let err = small.entitlement_management().catalogs().list().await.unwrap_err();
    assert!(matches!(err, Error::ResponseTooLarge { status: 200, limit: 1_048_576 }), "{err}");
    // The default limit (64 MiB) lets the same body through.
    client(&server.uri(), 1).entitlement_management().catalogs().list().await.unwrap();
}

/// A raw TCP server: reads each request head (and a Content-Length body), then lets `respond`
/// write whatever it likes and closes. Counts the requests.
async fn raw_server<F, Fut>(respond: F) -> (String, Arc<AtomicUsize>)
where
    F: Fn(tokio::net::TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    let respond = Arc::new(respond);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            seen.fetch_add(1, Ordering::SeqCst);
            let respond = respond.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    if stream.read(&mut byte).await.unwrap_or(0) == 0 {
                        return;
                    }
                    head.push(byte[0]);
                }
                let text = String::from_utf8_lossy(&head).to_ascii_lowercase();
                let length = text
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse::<usize>().ok())
                    .unwrap_or(0);
                let mut body = vec![0u8; length];
                let _ = stream.read_exact(&mut body).await;
                respond(stream).await;
            });
        }
    });
    (base, count)
}

#[tokio::test]
async fn a_connection_cut_mid_body_is_a_transport_error_and_writes_are_not_resent() {
    let (base, count) = raw_server(|mut stream| async move {
        let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n";
        let _ = stream.write_all(head.as_bytes()).await;
        let _ = stream.write_all(br#"{"value": [{"id": "c1"},"#).await;
        let _ = stream.shutdown().await;
    })
    .await;
    let c = client(&base, 4);
    let err = c.entitlement_management().catalogs().list().await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err}");
    let err = c.entitlement_management().catalogs().create(&AccessPackageCatalog::default()).await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err}");
    assert_eq!(count.load(Ordering::SeqCst), 2, "one connection per call: nothing was resent");
}

#[tokio::test]
async fn an_endless_chunked_body_stops_at_the_limit() {
    let (base, _count) = raw_server(|mut stream| async move {
        let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
        let _ = stream.write_all(head.as_bytes()).await;
        let chunk = format!("{:x}\r\n{}\r\n", 64 << 10, " ".repeat(64 << 10));
        // Up to 64 MiB; the client must give up long before.
        for _ in 0..1024 {
            if stream.write_all(chunk.as_bytes()).await.is_err() {
                return;
            }
        }
    })
    .await;
    let c = Client::builder(StaticToken::new("t"))
        .base_url(format!("{base}/v1.0"))
        .max_response_bytes(1 << 20)
        .build()
        .unwrap();
    let err = c.entitlement_management().catalogs().list().await.unwrap_err();
    assert!(matches!(err, Error::ResponseTooLarge { .. }), "{err}");
}

#[tokio::test]
async fn a_slow_server_times_out_with_bounded_retries() {
    let server = MockServer::start().await;
    Mock::given(path(format!("{EM}/catalogs")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": []})).set_delay(Duration::from_secs(5)))
        .mount(&server)
        .await;
    let c = Client::builder(StaticToken::new("t"))
        .base_url(format!("{}/v1.0", server.uri()))
        .timeout(Some(Duration::from_millis(200)))
        .retry(RetryPolicy::default().max_attempts(3).base_delay(Duration::from_millis(1)))
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let err = c.entitlement_management().catalogs().list().await.unwrap_err();
    assert!(matches!(&err, Error::Transport { source, .. } if source.is_timeout()), "{err}");
    assert!(started.elapsed() < Duration::from_secs(4), "three 200 ms attempts, not the server's 5 s");
    assert_eq!(requests(&server).await, 3, "a read that timed out is retried, boundedly");
    let err = c.entitlement_management().catalogs().create(&AccessPackageCatalog::default()).await.unwrap_err();
    assert!(matches!(&err, Error::Transport { source, .. } if source.is_timeout()), "{err}");
    assert_eq!(requests(&server).await, 4, "a write that timed out is not resent");
}

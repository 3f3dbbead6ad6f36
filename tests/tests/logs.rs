//! What reaches the logs: method, path template, status, request-id, client-request-id, retries;
//! never the token.
//! Alone in its own test binary: `tracing` caches per call site whether anyone listens, process
//! wide, so a test running in parallel without a subscriber could hide these events.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::sync::{Arc, Mutex};
use std::time::Duration;

use msgraph_entitlement::runtime::RetryPolicy;
use msgraph_entitlement::{Client, StaticToken};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const EM: &str = "/v1.0/identityGovernance/entitlementManagement";

async fn throttled_then_ok(retry_after: &str) -> (MockServer, Client) {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("{EM}/settings")))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", retry_after))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{EM}/settings")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "s"})))
        .mount(&server)
        .await;
    let retry = RetryPolicy::default().max_attempts(3).base_delay(Duration::from_millis(1));
    let client = Client::builder(StaticToken::new("secret-token-123"))
        .base_url(format!("{}/v1.0", server.uri()))
        .retry(retry)
        .build()
        .unwrap();
    (server, client)
}

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn logs_carry_method_path_status_and_request_id_but_never_the_token() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let (server, client) = throttled_then_ok("0").await;
    Mock::given(method("GET"))
        .and(path(format!("{EM}/catalogs/c-1")))
        .respond_with(
            ResponseTemplate::new(200).insert_header("request-id", "rid-42").set_body_json(json!({"id": "c-1"})),
        )
        .mount(&server)
        .await;
    client.entitlement_management().settings().get().await.unwrap();
    client.entitlement_management().catalogs().by_id("c-1").get().client_request_id("cr-logs-1").await.unwrap();
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    // Every event of a request is in its span, which names the `client-request-id`.
    assert!(logs.contains("graph_request{") && logs.contains("client_request_id=cr-logs-1"), "{logs}");
    assert!(logs.contains("/identityGovernance/entitlementManagement/catalogs/{accessPackageCatalogId}"), "{logs}");
    assert!(logs.contains("status=429") && logs.contains("retrying"), "{logs}");
    assert!(logs.contains("rid-42"), "{logs}");
    assert!(!logs.contains("secret-token-123"), "the token leaked into the logs:\n{logs}");
}

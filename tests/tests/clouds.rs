//! National clouds and request correlation. A client set to a cloud (or to a base URL) asks its
//! token provider for that cloud's scope and sends to its service root; every request carries a
//! `client-request-id` (a fresh UUID, or the caller's), the same on each retry, kept on errors
//! (transport errors too), on `$batch` items, and in the tracing span (tests/tests/logs.rs).
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use msgraph_entitlement::models::AccessPackageCatalog;
use msgraph_entitlement::runtime::{AccessToken, Cloud, GRAPH_SCOPE, RetryPolicy, TokenFuture, TokenProvider};
use msgraph_entitlement::testing::{MockError, MockGraph};
use msgraph_entitlement::{Client, Error, Page, StaticToken, reqwest};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A token provider that records the scopes it is asked for.
#[derive(Clone, Default)]
struct Recording(Arc<Mutex<Vec<String>>>);

impl TokenProvider for Recording {
    fn token<'a>(&'a self, scopes: &'a [&'a str]) -> TokenFuture<'a> {
        self.0.lock().unwrap().extend(scopes.iter().map(|s| (*s).to_string()));
        Box::pin(async { Ok(AccessToken::new("recorded-token")) })
    }
}

impl Recording {
    fn scopes(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

/// A reqwest client that resolves `host` to the loopback address, where nothing listens on the
/// https port: a request gets as far as connecting (the token asked for first), then fails
/// without touching the network.
fn offline(host: &str) -> reqwest::Client {
    let loopback: SocketAddr = "127.0.0.1:443".parse().unwrap();
    reqwest::Client::builder().resolve(host, loopback).build().unwrap()
}

#[tokio::test]
async fn each_cloud_sends_to_its_root_with_its_own_scope() {
    for (cloud, root, scope) in [
        (Cloud::Global, "https://graph.microsoft.com", GRAPH_SCOPE),
        (Cloud::UsGovL4, "https://graph.microsoft.us", "https://graph.microsoft.us/.default"),
        (Cloud::UsGovL5Dod, "https://dod-graph.microsoft.us", "https://dod-graph.microsoft.us/.default"),
        (Cloud::China, "https://microsoftgraph.chinacloudapi.cn", "https://microsoftgraph.chinacloudapi.cn/.default"),
    ] {
        let tokens = Recording::default();
        let client = Client::app_only_builder(tokens.clone())
            .cloud(cloud)
            .http_client(offline(root.trim_start_matches("https://")))
            .retry(RetryPolicy::none())
            .build()
            .unwrap();
        assert_eq!((cloud.service_root(), cloud.scope()), (root, scope));
        assert_eq!(client.base_url(), format!("{root}/v1.0"));
        let beta = client.beta().identity_governance().entitlement_management().access_packages().list().url();
        assert!(beta.starts_with(&format!("{root}/beta/")), "{beta}");
        assert_eq!(client.scope(), scope);
        let err = client.entitlement_management().catalogs().list().await.unwrap_err();
        assert!(matches!(err, Error::Transport { .. }), "{cloud:?}: {err}");
        assert_eq!(tokens.scopes(), [scope], "{cloud:?}: the token provider is asked for the cloud's scope");
        // A connection failure keeps the id the request was sent with.
        let id = err.client_request_id().expect("a transport error has its client-request-id");
        assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
        assert!(err.to_string().contains(id), "{err}");
    }
    assert_eq!(Cloud::UsGovL4.authority_host(), "https://login.microsoftonline.us");
    assert_eq!(Cloud::China.authority_host(), "https://login.chinacloudapi.cn");
}

#[tokio::test]
async fn a_custom_base_url_asks_for_its_origins_scope_unless_told_otherwise() {
    let graph = MockGraph::start().await;
    let tokens = Recording::default();
    let client = Client::builder(tokens.clone()).base_url(graph.base_url()).build().unwrap();
    let catalogs = client.entitlement_management().catalogs();
    graph.expect(catalogs.list()).respond(Page::default());
    catalogs.list().await.unwrap();
    let origin = graph.base_url().trim_end_matches("/v1.0").to_string();
    assert_eq!(tokens.scopes(), [format!("{origin}/.default")]);
    assert_eq!(client.scope(), format!("{origin}/.default"));

    let proxied = Client::builder(StaticToken::new("t"))
        .base_url("https://graph-proxy.contoso.com/v1.0")
        .scope("api://graph-proxy/.default")
        .build()
        .unwrap();
    assert_eq!(proxied.scope(), "api://graph-proxy/.default");
    let us = Client::builder(StaticToken::new("t")).base_url("https://graph.microsoft.us/v1.0/").build().unwrap();
    assert_eq!(us.scope(), "https://graph.microsoft.us/.default");
    assert_eq!(Client::new(StaticToken::new("t")).unwrap().scope(), GRAPH_SCOPE);
    graph.verify();
}

#[tokio::test]
async fn every_request_has_its_own_client_request_id_the_same_on_retries() {
    let graph = MockGraph::start().await;
    let client = graph.client();
    let catalogs = client.entitlement_management().catalogs();
    graph.expect(catalogs.list()).fail(MockError::throttled(Duration::ZERO)).respond(Page::default()).times(2);
    graph.expect(catalogs.by_id("c1").get()).respond(AccessPackageCatalog::default());
    catalogs.list().await.unwrap();
    let got = catalogs.by_id("c1").get().send_with_metadata().await.unwrap();
    let ids: Vec<String> =
        graph.received().iter().map(|r| r.header("client-request-id").unwrap().to_string()).collect();
    assert_eq!(ids.len(), 3);
    assert_eq!(ids[0], ids[1], "a retry sends the same id");
    assert_ne!(ids[1], ids[2], "each request has its own");
    assert!(ids.iter().all(|id| uuid::Uuid::parse_str(id).is_ok()), "{ids:?}");
    assert_eq!(got.client_request_id(), Some(ids[2].as_str()), "echoed");
    graph.verify();
}

#[tokio::test]
async fn the_callers_id_is_sent_and_kept_on_the_error() {
    let graph = MockGraph::start().await;
    let client = graph.client();
    let catalogs = client.entitlement_management().catalogs();
    graph.expect(catalogs.by_id("c1").get()).fail(MockError::not_found("gone"));
    let err = catalogs.by_id("c1").get().client_request_id("trace-42").await.unwrap_err();
    assert_eq!(err.client_request_id(), Some("trace-42"));
    assert_eq!(graph.received()[0].header("client-request-id"), Some("trace-42"));
    graph.verify();
}

#[tokio::test]
async fn an_error_keeps_the_sent_id_when_graph_echoes_none() {
    // wiremock answers without echoing the header.
    let server = MockServer::start().await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(404)).mount(&server).await;
    let client = Client::builder(StaticToken::new("t")).base_url(format!("{}/v1.0", server.uri())).build().unwrap();
    let err = client.entitlement_management().catalogs().by_id("c1").get().await.unwrap_err();
    let sent = server.received_requests().await.unwrap()[0].headers.get("client-request-id").unwrap().clone();
    assert_eq!(err.client_request_id(), Some(sent.to_str().unwrap()));
}

#[tokio::test]
async fn batch_items_carry_their_own_ids_kept_on_their_errors() {
    let graph = MockGraph::start().await;
    let client = graph.client();
    let catalogs = client.entitlement_management().catalogs();
    graph.expect(catalogs.by_id("c1").get()).respond(AccessPackageCatalog::default());
    graph.expect(catalogs.by_id("c2").get()).fail(MockError::not_found("gone"));
    let mut batch = client.batch();
    let one = batch.add(catalogs.by_id("c1").get());
    let two = batch.add(catalogs.by_id("c2").get().client_request_id("item-two"));
    let mut results = batch.send().await;
    results.take(one).unwrap();
    let err = results.take(two).unwrap_err();
    assert_eq!(err.client_request_id(), Some("item-two"));
    let ids: Vec<String> =
        graph.received().iter().map(|r| r.header("client-request-id").unwrap().to_string()).collect();
    assert_eq!(ids.len(), 2);
    assert_ne!(ids[0], ids[1]);
    assert!(ids.contains(&"item-two".to_string()));
    graph.verify();
}

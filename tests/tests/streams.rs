//! Streams: downloads (`Bytes`, whole and chunk by chunk) and uploads (`bytes_body`), on the
//! test kit and on a plain local server (what goes on the wire: `Accept`, `Content-Type`, the
//! bytes as they are), as a file's `content` of a Files crate uses them. The entitlement crate
//! has no stream operation, so these go through `Client::request`, which the generated
//! `download_content` / `upload_content` call the same way.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use futures_util::StreamExt;
use msgraph_entitlement::runtime::{Bytes, MaybeJson, Method, RetryPolicy};
use msgraph_entitlement::testing::{MockError, MockGraph};
use msgraph_entitlement::{Client, Error, Request, StaticToken};
use wiremock::matchers::{body_bytes, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Not UTF-8, not JSON: bytes go through untouched.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe";

fn download(client: &Client) -> Request<Bytes> {
    client.request(Method::GET, "/drives/d1/items/i1/content".to_string())
}

fn upload(client: &Client, content_type: &str, body: &[u8]) -> Request<MaybeJson<serde_json::Value>> {
    client.request(Method::PUT, "/drives/d1/items/i1/content".to_string()).bytes_body(content_type, body)
}

#[tokio::test]
async fn a_download_returns_the_bytes_whole_and_as_a_stream() {
    let graph = MockGraph::start().await;
    let client = graph.client();
    graph.expect(download(&client)).respond_bytes("image/png", PNG).times(2);

    assert_eq!(download(&client).await.unwrap(), PNG.to_vec());

    let mut stream = download(&client).send_stream().await.unwrap();
    assert_eq!((stream.status(), stream.header("content-type")), (200, Some("image/png")));
    assert_eq!(stream.content_length(), Some(PNG.len() as u64));
    let mut got = Vec::new();
    while let Some(chunk) = stream.next().await {
        got.extend_from_slice(&chunk.unwrap());
    }
    assert_eq!(got, PNG);
    assert!(stream.next().await.is_none(), "a finished stream stays finished");
    graph.verify();
}

#[tokio::test]
async fn a_download_asks_for_any_media_type_and_a_large_one_streams_past_the_size_limit() {
    let server = MockServer::start().await;
    let big: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    Mock::given(method("GET"))
        .and(path("/v1.0/drives/d1/items/i1/content"))
        .and(header("accept", "*/*"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(big.clone(), "application/octet-stream"))
        .mount(&server)
        .await;
    let client = Client::builder(StaticToken::new("t"))
        .base_url(format!("{}/v1.0", server.uri()))
        .max_response_bytes(1_000_000)
        .build()
        .unwrap();
    // Whole, the client's limit applies ...
    let err = download(&client).await.unwrap_err();
    assert!(matches!(err, Error::ResponseTooLarge { limit: 1_000_000, .. }), "{err:?}");
    // ... chunk by chunk, nothing is held whole, so it does not.
    let mut stream = download(&client).send_stream().await.unwrap();
    let (mut total, mut chunks, mut all) = (0usize, 0usize, Vec::new());
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.unwrap();
        total += chunk.len();
        chunks += 1;
        all.extend_from_slice(&chunk);
    }
    assert_eq!(total, big.len());
    assert!(chunks > 1, "{chunks} chunk(s)");
    assert_eq!(all, big);
}

#[tokio::test]
async fn an_upload_sends_the_bytes_with_their_media_type() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path("/v1.0/drives/d1/items/i1/content"))
        .and(header("content-type", "image/png"))
        .and(body_bytes(PNG))
        .respond_with(ResponseTemplate::new(201).set_body_raw(r#"{"id":"i1","size":15}"#, "application/json"))
        .expect(1)
        .mount(&server)
        .await;
    let client = Client::builder(StaticToken::new("t")).base_url(format!("{}/v1.0", server.uri())).build().unwrap();
    let item = upload(&client, "image/png", PNG).await.unwrap().unwrap();
    assert_eq!(item["id"], "i1");
    let sent = &server.received_requests().await.unwrap()[0];
    let content_types: Vec<_> = sent.headers.get_all("content-type").iter().collect();
    assert_eq!(content_types.len(), 1, "one Content-Type, the upload's: {content_types:?}");
}

#[tokio::test]
async fn the_test_kit_matches_an_upload_byte_for_byte() {
    let graph = MockGraph::start().await;
    let client = graph.client();
    graph.expect(upload(&client, "text/plain", b"hello")).respond(None);
    // Other bytes, or another media type, are not the expected request.
    assert!(upload(&client, "text/plain", b"hell0").await.is_err());
    assert!(upload(&client, "text/csv", b"hello").await.is_err());
    assert_eq!(upload(&client, "text/plain", b"hello").await.unwrap(), None);
    let failures = graph.take_failures();
    assert_eq!(failures.len(), 2, "{failures:#?}");
    assert!(failures[0].contains("body: expected 5 bytes `hello`, got 5 bytes `hell0`"), "{}", failures[0]);
}

#[tokio::test]
async fn an_upload_is_a_put_retried_on_throttling_with_the_same_bytes() {
    let graph = MockGraph::start().await;
    let client =
        graph.client_builder().retry(RetryPolicy::default().base_delay(std::time::Duration::ZERO)).build().unwrap();
    let expectation = graph
        .expect(upload(&client, "image/png", PNG))
        .fail(MockError::throttled(std::time::Duration::ZERO))
        .respond(None);
    upload(&client, "image/png", PNG).await.unwrap();
    assert_eq!(expectation.calls(), 2);
    graph.verify();
}

#[tokio::test]
async fn an_upload_cannot_join_a_batch() {
    let graph = MockGraph::start().await;
    let client = graph.client();
    let mut batch = client.batch();
    let item = batch.add(upload(&client, "image/png", PNG));
    let mut results = batch.send().await;
    let err = results.take(item).unwrap_err();
    assert!(err.to_string().contains("a `$batch` carries JSON bodies only"), "{err}");
}

#[tokio::test]
async fn a_download_follows_graphs_redirect_to_the_file_without_the_token() {
    // Graph answers a file's `content` with `302 Found` to a pre-authenticated URL on another
    // host; the client follows it, and the bearer token stays with Graph.
    let graph = MockServer::start().await;
    let storage = MockServer::start().await;
    let file_url = format!("{}/download/file-1?tempauth=pre-authenticated", storage.uri());
    Mock::given(method("GET"))
        .and(path("/v1.0/drives/d1/items/i1/content"))
        .and(header("authorization", "Bearer graph-token"))
        .respond_with(ResponseTemplate::new(302).insert_header("Location", file_url.as_str()))
        .expect(2)
        .mount(&graph)
        .await;
    Mock::given(method("GET"))
        .and(path("/download/file-1"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(PNG, "image/png"))
        .expect(2)
        .mount(&storage)
        .await;
    let client =
        Client::builder(StaticToken::new("graph-token")).base_url(format!("{}/v1.0", graph.uri())).build().unwrap();

    assert_eq!(download(&client).await.unwrap(), PNG.to_vec());
    let mut stream = download(&client).send_stream().await.unwrap();
    let mut got = Vec::new();
    while let Some(chunk) = stream.next().await {
        got.extend_from_slice(&chunk.unwrap());
    }
    assert_eq!(got, PNG);

    let fetched = storage.received_requests().await.unwrap();
    assert_eq!(fetched.len(), 2);
    for request in &fetched {
        assert!(!request.headers.contains_key("authorization"), "the token went to the file's host: {request:?}");
    }
}

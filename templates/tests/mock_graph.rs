//! The test kit (`testing::MockGraph`, feature `test-util`), on requests any crate of this
//! generator has (`Client::request` with a small model of its own): paging, `$count`, no
//! content, Graph errors, retries, `$batch` under Graph's rules, body checks, and the failures a
//! test sees when something is off.
#![cfg(feature = "test-util")]
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use msgraph_entitlement::runtime::{Count, Json, MaybeJson, Method, NoContent, Page, RawJson, Request, ResponseKind};
use msgraph_entitlement::testing::{ANY, MockError, MockGraph};
use msgraph_entitlement::{AppOnly, Client, Consent, StaticToken};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// A model of the tests' own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Thing {
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    size: Option<i64>,
}

fn thing(name: &str) -> Thing {
    Thing { name: name.to_string(), size: None }
}

fn call<K: ResponseKind, C: Consent>(client: &Client<C>, method: Method, path: &str) -> Request<K, C> {
    client.request(method, path.to_string())
}

/// `POST /things` with a typed body, as a generated create is built.
fn create<C: Consent>(client: &Client<C>, body: &Thing) -> Request<Json<Thing>, C> {
    call::<Json<Thing>, C>(client, Method::POST, "/things").typed_body(body)
}

fn list<C: Consent>(client: &Client<C>) -> Request<Json<Page<Thing>>, C> {
    call(client, Method::GET, "/things")
}

#[tokio::test]
async fn a_list_over_three_pages_follows_the_next_links() {
    let graph = MockGraph::start().await;
    let client = graph.client();
    graph.expect(list(&client).top(2)).respond_pages([
        vec![thing("a"), thing("b")],
        vec![thing("c"), thing("d")],
        vec![thing("e")],
    ]);
    let all = list(&client).top(2).collect_all(usize::MAX).await.unwrap();
    let names: Vec<&str> = all.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["a", "b", "c", "d", "e"]);
    let received = graph.received();
    assert_eq!(received.len(), 3, "one request per page");
    for later in &received[1..] {
        assert!(later.query.iter().any(|(n, _)| n == "$skiptoken"), "{later:?}");
        assert!(later.query.contains(&("$top".to_string(), "2".to_string())), "the link keeps the query");
    }
    graph.verify();
}

#[tokio::test]
async fn a_post_action_returning_a_collection_sends_its_body_when_paged() {
    // Like `checkMemberGroups`: the first page answers the POST with its body; the next link is a
    // GET.
    let graph = MockGraph::start().await;
    let client = graph.client();
    let search = || call::<Json<Page<Thing>>, _>(&client, Method::POST, "/things/search").typed_body(&thing("query"));
    graph.expect(search()).respond_pages([vec![thing("a")], vec![thing("b")]]);
    let found = search().collect_all(10).await.unwrap();
    assert_eq!(found, [thing("a"), thing("b")]);
    let received = graph.received();
    assert_eq!(received[0].body_as::<Thing>().unwrap(), thing("query"));
    assert_eq!(received[1].method, "GET");
    graph.verify();
}

#[tokio::test]
async fn count_true_puts_the_total_on_the_first_page() {
    let graph = MockGraph::start().await;
    let client = graph.client();
    graph.expect(list(&client).count()).respond_pages([vec![thing("a")], vec![thing("b"), thing("c")]]);
    let mut pages = list(&client).count().pages();
    let first = pages.next().await.unwrap().unwrap();
    assert_eq!(first.count, Some(3));
    assert!(first.next_link.is_some());
    let second = pages.next().await.unwrap().unwrap();
    assert_eq!((second.value.len(), second.count, second.next_link), (2, None, None));
    assert!(pages.next().await.is_none());
    assert_eq!(graph.received()[0].header("consistencylevel"), Some("eventual"));
}

#[tokio::test]
async fn dollar_count_is_answered_as_text() {
    let graph = MockGraph::start().await;
    let client = graph.client();
    graph.expect(call::<Count, _>(&client, Method::GET, "/things/$count")).respond(42);
    assert_eq!(call::<Count, _>(&client, Method::GET, "/things/$count").await.unwrap(), 42);
}

#[tokio::test]
async fn no_content_is_the_default_answer_where_the_operation_may_answer_nothing() {
    let graph = MockGraph::start().await;
    let client = graph.client();
    let delete = || call::<NoContent, _>(&client, Method::DELETE, "/things/1");
    let update = || call::<MaybeJson<Thing>, _>(&client, Method::PATCH, "/things/1").typed_body(&thing("x"));
    graph.expect(delete());
    graph.expect(update());
    let response = delete().send_with_metadata().await.unwrap();
    assert_eq!(response.status, 204);
    assert_eq!(update().await.unwrap(), None);
}

#[tokio::test]
async fn a_create_is_answered_201_by_default() {
    let graph = MockGraph::start().await;
    let client = graph.client();
    let body = thing("new");
    graph.expect(create(&client, &body)).respond(Thing { size: Some(1), ..body.clone() });
    let response = create(&client, &body).send_with_metadata().await.unwrap();
    assert_eq!(response.status, 201);
    assert_eq!(response.value.size, Some(1));
    assert!(response.request_id().is_some(), "every answer has a request-id");
}

#[tokio::test]
async fn a_graph_error_carries_status_code_message_request_id_and_retry_after() {
    let graph = MockGraph::start().await;
    let client = graph.client_builder().retry(msgraph_entitlement::runtime::RetryPolicy::none()).build().unwrap();
    let get = || call::<Json<Thing>, _>(&client, Method::GET, "/things/gone");
    graph
        .expect(get())
        .fail(MockError::not_found("The thing is gone.").request_id("req-404"))
        .fail(MockError::throttled(Duration::from_secs(7)))
        .times(2);
    let e = get().await.unwrap_err();
    assert_eq!((e.status(), e.code()), (Some(404), Some("ResourceNotFound")));
    assert_eq!(e.graph_error().unwrap().message, "The thing is gone.");
    assert_eq!(e.request_id(), Some("req-404"));
    assert!(e.is_not_found());
    let e = get().await.unwrap_err();
    assert!(e.is_throttled());
    assert_eq!(e.retry_after(), Some(Duration::from_secs(7)));
    graph.verify();
}

#[tokio::test]
async fn a_scripted_429_is_retried_then_the_create_succeeds() {
    let graph = MockGraph::start().await;
    let client = graph.client();
    let body = thing("retried");
    let expectation =
        graph.expect(create(&client, &body)).fail(MockError::throttled(Duration::ZERO)).respond(body.clone());
    assert_eq!(create(&client, &body).await.unwrap(), body);
    assert_eq!(expectation.calls(), 2, "the 429, then the 201");
    graph.verify();
}

#[tokio::test]
async fn a_scripted_503_on_a_post_is_not_resent() {
    let graph = MockGraph::start().await;
    let client = graph.client();
    let body = thing("once");
    let post = graph.expect(create(&client, &body)).fail(MockError::unavailable().retry_after(Duration::ZERO)).times(1);
    let e = create(&client, &body).await.unwrap_err();
    assert_eq!(e.status(), Some(503));
    assert_eq!(post.calls(), 1);
    assert_eq!(graph.received().len(), 1, "a write is never sent twice");
    // The same answer to a GET is retried.
    let get = || call::<Json<Thing>, _>(&client, Method::GET, "/things/1");
    graph.expect(get()).fail(MockError::unavailable().retry_after(Duration::ZERO)).respond(thing("1"));
    assert_eq!(get().await.unwrap(), thing("1"));
    graph.verify();
}

#[tokio::test]
#[should_panic(expected = "no expectation matches GET /v1.0/widgets?$top=1")]
async fn an_unmatched_call_fails_naming_method_path_and_the_closest_expectation() {
    let graph = MockGraph::start().await;
    let client = graph.client();
    graph.expect(list(&client)).respond(Page::default());
    let e = call::<Json<Value>, _>(&client, Method::GET, "/widgets").top(1).await.unwrap_err();
    assert_eq!(e.status(), Some(501));
    let message = e.to_string();
    assert!(message.contains("no expectation matches GET /v1.0/widgets?$top=1"), "{message}");
    assert!(message.contains("closest: the expectation at"), "{message}");
    assert!(message.contains("path: expected /v1.0/things, got /v1.0/widgets"), "{message}");
    list(&client).await.unwrap();
    graph.verify();
}

#[tokio::test]
#[should_panic(expected = "was not met: GET /v1.0/things expected at least 1 time(s), called 0")]
async fn an_unmet_expectation_fails_verify() {
    let graph = MockGraph::start().await;
    let client = graph.client();
    graph.expect(list(&client)).respond(Page::default());
    graph.verify();
}

#[tokio::test]
#[should_panic(expected = "was not met")]
async fn dropping_the_mock_verifies() {
    let graph = MockGraph::start().await;
    let client = graph.client();
    graph.expect(list(&client)).respond(Page::default());
}

#[tokio::test]
#[should_panic(expected = "it already answered its 1 call(s)")]
async fn times_limits_the_calls_an_expectation_answers() {
    let graph = MockGraph::start().await;
    let client = graph.client();
    graph.expect(list(&client)).respond(Page::default()).times(1);
    list(&client).await.unwrap();
    assert_eq!(list(&client).await.unwrap_err().status(), Some(501));
    graph.verify();
}

#[tokio::test]
async fn expectations_answer_in_order_and_an_exhausted_one_lets_the_next_answer() {
    let graph = MockGraph::start().await;
    let client = graph.client();
    let get = || call::<Json<Thing>, _>(&client, Method::GET, "/things/1");
    graph.expect(get()).respond(thing("first")).times(1);
    graph.expect(get()).respond(thing("second")).respond(thing("third"));
    let names: Vec<String> =
        [get().await, get().await, get().await, get().await].into_iter().map(|r| r.unwrap().name).collect();
    assert_eq!(names, ["first", "second", "third", "third"]);
    graph.verify();
}

#[tokio::test]
async fn query_options_and_path_arguments_are_matched() {
    let graph = MockGraph::start().await;
    let client = graph.client();
    graph.expect(list(&client).filter("name eq 'a'")).respond_pages([vec![thing("a")]]);
    graph.expect(list(&client).filter("name eq 'b'")).respond_pages([vec![thing("b")]]);
    graph.expect(call::<Json<Thing>, _>(&client, Method::GET, &format!("/things/{ANY}"))).respond(thing("any"));
    let b = list(&client).filter("name eq 'b'").top(3).collect_all(10).await.unwrap();
    assert_eq!(b, [thing("b")], "extra query options may come");
    let a = list(&client).filter("name eq 'a'").collect_all(10).await.unwrap();
    assert_eq!(a, [thing("a")]);
    let one = call::<Json<Thing>, _>(&client, Method::GET, "/things/x%2Fy").await.unwrap();
    assert_eq!(one, thing("any"));
    graph.verify();
}

#[tokio::test]
#[should_panic(expected = "body: at `name`: expected \"wanted\", got \"sent\"")]
async fn the_body_must_equal_the_expected_one() {
    let graph = MockGraph::start().await;
    let client = graph.client();
    graph.expect(create(&client, &thing("wanted"))).respond(thing("wanted"));
    assert_eq!(create(&client, &thing("sent")).await.unwrap_err().status(), Some(501));
    graph.verify();
}

#[tokio::test]
#[should_panic(expected = "the `body_where` predicate returned false")]
async fn body_where_matches_the_typed_body_with_a_predicate() {
    let graph = MockGraph::start().await;
    let client = graph.client();
    graph
        .expect(create(&client, &thing("template")))
        .body_where(|t: &Thing| t.name.starts_with("team-"))
        .respond(thing("created"));
    assert_eq!(create(&client, &thing("team-1")).await.unwrap(), thing("created"));
    assert_eq!(create(&client, &thing("other")).await.unwrap_err().status(), Some(501));
    graph.verify();
}

#[tokio::test]
#[should_panic(expected = "reads a `serde_json::value::Value`, but POST /v1.0/things")]
async fn body_where_on_another_type_than_the_operation_takes_fails_at_once() {
    let graph = MockGraph::start().await;
    let client = graph.client();
    let _ = graph.expect(create(&client, &thing("x"))).body_where(|_: &Value| true);
}

#[tokio::test]
async fn a_body_the_operation_cannot_take_is_a_400_naming_the_json_path() {
    let graph = MockGraph::start().await;
    let client = graph.client();
    graph.expect(create(&client, &thing("x"))).any_body().times(0);
    let e = create(&client, &thing("x")).json(&json!({"name": 5})).await.unwrap_err();
    assert_eq!((e.status(), e.code()), (Some(400), Some("BadRequest")));
    let message = e.graph_error().unwrap().message.clone();
    assert!(message.contains("Thing") && message.contains("at `name`"), "{message}");
    graph.verify();
}

#[tokio::test]
#[should_panic(expected = "consent: expected app-only, got delegated")]
async fn the_consent_of_the_client_is_matched() {
    let graph = MockGraph::start().await;
    let app: Client<AppOnly> = graph.app_only_client();
    graph.expect(list(&app)).respond(Page::default());
    list(&graph.client()).await.unwrap_err();
    graph.verify();
}

#[tokio::test]
#[should_panic(expected = "came without a bearer token")]
async fn a_request_without_a_bearer_token_is_401() {
    let graph = MockGraph::start().await;
    let client = Client::builder(StaticToken::new("")).base_url(graph.base_url()).build().unwrap();
    let e = list(&client).await.unwrap_err();
    assert_eq!((e.status(), e.code()), (Some(401), Some("InvalidAuthenticationToken")));
    graph.verify();
}

#[tokio::test]
#[should_panic(expected = "a predicate panicked on GET /v1.0/things: boom")]
async fn a_panic_in_the_server_is_an_answer_not_a_hang() {
    let graph = MockGraph::start().await;
    let client = graph.client();
    graph.expect(list(&client)).matching(|_| panic!("boom")).respond(Page::default());
    let answer = tokio::time::timeout(Duration::from_secs(10), list(&client).send()).await;
    let e = answer.expect("answered, not hung").unwrap_err();
    assert_eq!(e.status(), Some(500));
    graph.verify();
}

#[tokio::test]
async fn answers_carry_scripted_headers_and_echo_the_client_request_id() {
    let graph = MockGraph::start().await;
    let client = graph.client();
    let get = || call::<Json<Thing>, _>(&client, Method::GET, "/things/1");
    graph.expect(get()).respond(thing("1")).header("ETag", "W/\"1\"");
    let response = get().header("client-request-id", "cr-1").send_with_metadata().await.unwrap();
    assert_eq!(response.etag(), Some("W/\"1\""));
    assert_eq!(response.client_request_id(), Some("cr-1"));
    assert!(response.request_id().is_some());
}

#[tokio::test]
async fn a_batch_with_one_failing_item_gives_each_item_its_own_result() {
    let graph = MockGraph::start().await;
    let client = graph.client();
    let get = |id: &str| call::<Json<Thing>, _>(&client, Method::GET, &format!("/things/{id}"));
    graph.expect(get("1")).respond(thing("1"));
    graph.expect(get("2")).fail(MockError::not_found("no thing 2").request_id("req-2"));
    graph.expect(create(&client, &thing("3"))).respond(thing("3"));
    graph.expect(call::<Count, _>(&client, Method::GET, "/things/$count")).respond(3);
    let mut batch = client.batch();
    let one = batch.add(get("1"));
    let two = batch.add(get("2"));
    let three = batch.add(create(&client, &thing("3")));
    let count = batch.add(call::<Count, _>(&client, Method::GET, "/things/$count"));
    let mut results = batch.send().await;
    assert_eq!(results.take(one).unwrap(), thing("1"));
    let e = results.take(two).unwrap_err();
    assert_eq!((e.status(), e.request_id()), (Some(404), Some("req-2")));
    let created = results.take_with_metadata(three).unwrap();
    assert_eq!((created.status, created.value), (201, thing("3")));
    assert_eq!(results.take(count).unwrap(), 3, "a text body travels base64-encoded");
    assert_eq!(results.progress().round_trips, 1);
    assert!(graph.received().iter().all(|r| r.batch_item.is_some()));
    graph.verify();
}

#[tokio::test]
async fn batch_items_run_after_what_they_depend_on_and_dependants_of_a_failure_get_424() {
    let graph = MockGraph::start().await;
    let client = graph.client();
    graph.expect(create(&client, &thing("parent"))).respond(thing("parent"));
    graph.expect(create(&client, &thing("child"))).respond(thing("child"));
    graph.expect(create(&client, &thing("bad"))).fail(MockError::bad_request("no"));
    let mut batch = client.batch();
    let parent = batch.add(create(&client, &thing("parent")));
    let bad = batch.add(create(&client, &thing("bad")));
    let orphan = batch.add_after(create(&client, &thing("orphan")), &[bad.id()]);
    // Added first, runs after its parent.
    let child = batch.add_after(create(&client, &thing("child")), &[parent.id()]);
    let mut results = batch.send().await;
    assert_eq!(results.take(child).unwrap(), thing("child"));
    assert_eq!(results.take(bad).unwrap_err().status(), Some(400));
    assert_eq!(results.take(orphan).unwrap_err().status(), Some(424));
    let order: Vec<String> = graph.received().iter().map(|r| r.body_as::<Thing>().unwrap().name).collect();
    let at = |name: &str| order.iter().position(|n| n == name);
    assert!(at("parent") < at("child"), "{order:?}");
    assert_eq!(at("orphan"), None, "a dependant of a failed item does not run");
    graph.verify();
}

#[tokio::test]
async fn a_throttled_batch_item_is_retried_in_a_later_batch() {
    let graph = MockGraph::start().await;
    let client = graph.client();
    let body = thing("later");
    graph.expect(create(&client, &body)).fail(MockError::throttled(Duration::ZERO)).respond(body.clone());
    let mut batch = client.batch();
    let item = batch.add(create(&client, &body));
    let mut results = batch.send().await;
    assert_eq!(results.take(item).unwrap(), body);
    assert_eq!(results.progress().round_trips, 2);
    graph.verify();
}

/// A raw `$batch` body, sent as is.
async fn raw_batch(graph: &MockGraph, body: Value) -> Value {
    let client = graph.client();
    let e = call::<RawJson, _>(&client, Method::POST, "/$batch").json(&body).await.unwrap_err();
    assert_eq!(e.status(), Some(400));
    json!(e.graph_error().unwrap().message)
}

#[tokio::test]
#[should_panic(expected = "a $batch holds at most 20 requests; this one has 21")]
async fn a_batch_of_more_than_20_is_refused() {
    let graph = MockGraph::start().await;
    let requests: Vec<Value> =
        (0..21).map(|i| json!({"id": i.to_string(), "method": "GET", "url": "/things"})).collect();
    let message = raw_batch(&graph, json!({ "requests": requests })).await;
    assert!(message.as_str().unwrap().contains("at most 20"));
    graph.verify();
}

#[tokio::test]
#[should_panic(expected = "is not relative to the service root")]
async fn a_batch_item_with_an_absolute_url_is_refused() {
    let graph = MockGraph::start().await;
    let url = format!("{}/things", graph.base_url());
    raw_batch(&graph, json!({"requests": [{"id": "1", "method": "GET", "url": url}]})).await;
    graph.verify();
}

#[tokio::test]
#[should_panic(expected = "has a body but no Content-Type header")]
async fn a_batch_item_with_a_body_needs_a_content_type() {
    let graph = MockGraph::start().await;
    raw_batch(&graph, json!({"requests": [{"id": "1", "method": "POST", "url": "/things", "body": {"name": "x"}}]}))
        .await;
    graph.verify();
}

#[tokio::test]
#[should_panic(expected = "Batch should be either fully sequential or fully parallel")]
async fn a_batch_mixing_a_sequence_with_independent_requests_is_refused() {
    let graph = MockGraph::start().await;
    let requests = json!([
        {"id": "1", "method": "GET", "url": "/things"},
        {"id": "2", "method": "GET", "url": "/things", "dependsOn": ["1"]},
        {"id": "3", "method": "GET", "url": "/things"},
    ]);
    let message = raw_batch(&graph, json!({ "requests": requests })).await;
    assert!(message.as_str().unwrap().contains("`1`, `3` depend on nothing"), "{message}");
    graph.verify();
}

#[tokio::test]
#[should_panic(expected = "both depend on `1`")]
async fn a_batch_where_two_requests_depend_on_one_is_refused() {
    let graph = MockGraph::start().await;
    let requests = json!([
        {"id": "1", "method": "GET", "url": "/things"},
        {"id": "2", "method": "GET", "url": "/things", "dependsOn": ["1"]},
        {"id": "3", "method": "GET", "url": "/things", "dependsOn": ["1"]},
    ]);
    raw_batch(&graph, json!({ "requests": requests })).await;
    graph.verify();
}

#[tokio::test]
async fn linked_batch_items_go_as_one_sequence_apart_from_independent_ones() {
    let graph = MockGraph::start().await;
    let client = graph.client();
    for name in ["a", "b", "parent", "child", "sibling"] {
        graph.expect(create(&client, &thing(name))).respond(thing(name));
    }
    let mut batch = client.batch();
    let a = batch.add(create(&client, &thing("a")));
    let parent = batch.add(create(&client, &thing("parent")));
    let b = batch.add(create(&client, &thing("b")));
    // Both depend on the parent only: on the wire the sibling follows the child.
    let child = batch.add_after(create(&client, &thing("child")), &[parent.id()]);
    let sibling = batch.add_after(create(&client, &thing("sibling")), &[parent.id()]);
    let mut results = batch.send().await;
    for (item, name) in [(a, "a"), (parent, "parent"), (b, "b"), (child, "child"), (sibling, "sibling")] {
        assert_eq!(results.take(item).unwrap(), thing(name));
    }
    assert_eq!(results.progress().round_trips, 2, "one parallel batch, one sequence");
    let order: Vec<String> = graph.received().iter().map(|r| r.body_as::<Thing>().unwrap().name).collect();
    let at = |name: &str| order.iter().position(|n| n == name).unwrap();
    assert!(at("parent") < at("child") && at("child") < at("sibling"), "{order:?}");
    assert!(graph.take_failures().is_empty());
    graph.verify();
}

#[tokio::test]
async fn an_item_held_back_only_by_the_sequence_is_sent_again() {
    let graph = MockGraph::start().await;
    let client = graph.client();
    graph.expect(create(&client, &thing("parent"))).respond(thing("parent"));
    graph.expect(create(&client, &thing("bad"))).fail(MockError::bad_request("no"));
    graph.expect(create(&client, &thing("sibling"))).respond(thing("sibling")).times(1);
    let mut batch = client.batch();
    let parent = batch.add(create(&client, &thing("parent")));
    // Sent second in the sequence, so the sibling follows it on the wire and gets a 424 there.
    let bad = batch.add_after(create(&client, &thing("bad")), &[parent.id()]);
    let sibling = batch.add_after(create(&client, &thing("sibling")), &[parent.id()]);
    let mut results = batch.send().await;
    assert_eq!(results.take(bad).unwrap_err().status(), Some(400));
    assert_eq!(results.take(sibling).unwrap(), thing("sibling"), "its own dependency succeeded");
    assert_eq!(results.progress().round_trips, 2);
    graph.verify();
}

#[tokio::test]
#[should_panic(expected = "the dependsOn of the requests form a cycle")]
async fn a_batch_with_a_dependency_cycle_is_refused() {
    let graph = MockGraph::start().await;
    let requests = json!([
        {"id": "1", "method": "GET", "url": "/things", "dependsOn": ["2"]},
        {"id": "2", "method": "GET", "url": "/things", "dependsOn": ["1"]},
    ]);
    raw_batch(&graph, json!({ "requests": requests })).await;
    graph.verify();
}

//! JSON batching: splitting into batches of 20, relative URLs, `Content-Type` on bodies,
//! `dependsOn` kept in one batch and run in order, answers in another order given back in the
//! caller's order, per-item throttling retried after its own `Retry-After`, errors per item (500,
//! missing, malformed), a throttled or broken batch as a whole, v1.0 and beta items in separate
//! batches, and the bulk example run as a user would.
//!
//! Most tests run on the test kit (`testing::MockGraph`, which enforces Graph's batching rules).
//! The others use a bespoke loopback `$batch` (support/batch_server.rs) because they need what the
//! kit does not offer: the size and arrival time of each `$batch` call, answers delayed on
//! purpose, an answer that leaves an item out or is malformed, and a non-JSON answer to the whole
//! batch.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

#[path = "support/batch_server.rs"]
mod batch_server;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use batch_server::{Answer, GraphBatch, ItemCall, key};
use msgraph_entitlement::models::{
    AccessPackage, AccessPackageAssignment, AccessPackageAssignmentRequest, AccessPackageCatalog,
    AccessPackageRequestType,
};
use msgraph_entitlement::runtime::{Method, RawJson, RetryPolicy};
use msgraph_entitlement::testing::{MockError, MockGraph};
use msgraph_entitlement::{Client, Error, StaticToken};
use serde_json::{Value, json};
use wiremock::{MockServer, ResponseTemplate};

const EM: &str = "/identityGovernance/entitlementManagement";

async fn setup(batch: &GraphBatch) -> (MockServer, Client) {
    let server = MockServer::start().await;
    batch.mount(&server, "/v1.0").await;
    let client = Client::builder(StaticToken::new("t"))
        .base_url(format!("{}/v1.0", server.uri()))
        .retry(RetryPolicy::default().base_delay(Duration::from_millis(1)))
        .build()
        .unwrap();
    (server, client)
}

fn assignment(user: &str) -> AccessPackageAssignmentRequest {
    AccessPackageAssignmentRequest {
        request_type: Some(AccessPackageRequestType::AdminAdd),
        assignment: Some(AccessPackageAssignment {
            access_package_id: Some("ap-1".into()),
            assignment_policy_id: Some("policy-1".into()),
            target_id: Some(user.into()),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn target_of(call: &ItemCall<'_>) -> String {
    call.body.and_then(|b| b["assignment"]["targetId"].as_str()).unwrap_or_default().to_string()
}

/// Graph's answer to a created assignment request.
fn created(call: &ItemCall<'_>) -> Answer {
    let user = target_of(call);
    Answer::Json(
        201,
        json!({"id": format!("req-{user}"), "requestType": "adminAdd", "state": "submitted",
        "assignment": {"targetId": user}, "undeclared": {"kept": true}}),
    )
}

/// Answers GETs of access packages by id with the id, creates as `created`.
fn echo(call: &ItemCall<'_>) -> Answer {
    if call.method == "GET" {
        let id = call.url.rsplit('/').next().unwrap().split('?').next().unwrap();
        return Answer::Json(200, json!({"id": id, "displayName": format!("Package {id}")}));
    }
    created(call)
}

fn received(batch: &GraphBatch, key: &str) -> usize {
    *batch.seen.lock().unwrap().received.get(key).unwrap_or(&0)
}

fn create_key(user: &str) -> String {
    let body = serde_json::to_value(assignment(user)).unwrap();
    key("POST", &format!("{EM}/assignmentRequests"), Some(&body))
}

#[tokio::test]
async fn forty_five_requests_go_in_three_batches_and_come_back_in_order() {
    let batch = GraphBatch::new(echo);
    let (_server, client) = setup(&batch).await;
    let em = client.entitlement_management();
    let requests = (0..45).map(|i| em.access_packages().by_id(format!("p{i}")).get().select(["id", "displayName"]));
    let results = client.batch().send_all(requests).await;

    assert_eq!(results.len(), 45);
    for (i, result) in results.into_iter().enumerate() {
        let package = result.unwrap();
        assert_eq!(package.id.as_deref(), Some(format!("p{i}").as_str()), "result {i} in the caller's order");
    }
    let seen = batch.seen.lock().unwrap();
    assert!(seen.rejected.is_empty(), "{:?}", seen.rejected);
    assert_eq!(seen.batch_sizes.iter().sum::<usize>(), 45);
    assert!(seen.batch_sizes.iter().all(|&n| n <= 20), "{:?}", seen.batch_sizes);
    assert_eq!(seen.round_trips, 3);
    // The query went with the relative URL.
    assert!(seen.received.keys().all(|k| k.contains("?$select=id,displayName")), "{:?}", seen.received.keys());
}

#[tokio::test]
async fn the_loopback_server_rejects_what_graph_rejects() {
    // The rules the other tests rely on: the server answers 400 where Graph does.
    let batch = GraphBatch::new(echo);
    let (_server, client) = setup(&batch).await;
    let get = |url: &str| json!({"id": url, "method": "GET", "url": url});
    let many: Vec<Value> = (0..21).map(|i| get(&format!("/users/{i}"))).collect();
    let absolute = vec![get("https://graph.microsoft.com/v1.0/users")];
    let versioned = vec![get("/v1.0/users")];
    let untyped_body = vec![json!({"id": "1", "method": "POST", "url": "/groups", "body": {}})];
    let dangling = vec![json!({"id": "1", "method": "GET", "url": "/me", "dependsOn": ["2"]})];
    for (case, bodies) in [
        ("21 items", many),
        ("absolute", absolute),
        ("versioned", versioned),
        ("no content type", untyped_body),
        ("dangling dependsOn", dangling),
    ] {
        let err = client
            .request::<RawJson>(Method::POST, "/$batch".into())
            .json(&json!({"requests": bodies}))
            .await
            .unwrap_err();
        assert_eq!(err.status(), Some(400), "{case}: {err}");
    }
    assert_eq!(batch.seen.lock().unwrap().rejected.len(), 5);
}

#[tokio::test]
async fn linked_items_travel_as_one_sequence_in_a_batch_of_their_own() {
    let batch = GraphBatch::new(|call| match call.url {
        u if u.ends_with("/catalogs") => Answer::Json(201, json!({"id": "cat-1"})),
        u if u.ends_with("/accessPackages") => Answer::Json(201, json!({"id": "ap-1"})),
        _ => echo(call),
    });
    let (_server, client) = setup(&batch).await;
    let em = client.entitlement_management();
    let mut b = client.batch();
    // 18 independent reads share a parallel batch; the chain goes whole in a sequence of its own.
    let reads: Vec<_> = (0..18).map(|i| b.add(em.access_packages().by_id(format!("p{i}")).get())).collect();
    let catalog = b.add(
        em.catalogs().create(&AccessPackageCatalog { display_name: Some("Marketing".into()), ..Default::default() }),
    );
    let package = b.add_after(
        em.access_packages().create(&AccessPackage { display_name: Some("Sales".into()), ..Default::default() }),
        &[catalog.id()],
    );
    let request = b.add_after(em.assignment_requests().create(&assignment("user-1")), &[package.id(), catalog.id()]);
    let mut results = b.send().await;

    assert_eq!(results.take(catalog).unwrap().id.as_deref(), Some("cat-1"));
    assert_eq!(results.take(package).unwrap().id.as_deref(), Some("ap-1"));
    assert_eq!(results.take(request).unwrap().id.as_deref(), Some("req-user-1"));
    for (i, read) in reads.into_iter().enumerate() {
        assert_eq!(results.take(read).unwrap().id, Some(format!("p{i}")));
    }
    let seen = batch.seen.lock().unwrap();
    assert!(seen.rejected.is_empty(), "{:?}", seen.rejected);
    let mut sizes = seen.batch_sizes.clone();
    sizes.sort_unstable();
    assert_eq!(sizes, vec![3, 18], "the chain went whole, apart from the reads");
    let position = |needle: &str| seen.log.iter().position(|(k, _, _)| k.contains(needle)).unwrap();
    let (cat, ap, req) = (position("/catalogs"), position("\"Sales\""), position("/assignmentRequests"));
    assert!(cat < ap && ap < req, "run in dependency order: {cat} {ap} {req}");
    assert_eq!(seen.log[ap].2.len(), 1, "dependsOn sent: {:?}", seen.log[ap].2);
    assert_eq!(seen.log[req].2.len(), 1, "one sequence: each after the one before it: {:?}", seen.log[req].2);
}

#[tokio::test]
async fn throttled_items_wait_their_own_retry_after_and_are_sent_again() {
    let throttled = ["user-7", "user-21"];
    let batch = GraphBatch::new(move |call| {
        if call.seen_before == 0 && throttled.contains(&target_of(call).as_str()) {
            return Answer::Throttle(1);
        }
        created(call)
    });
    let (_server, client) = setup(&batch).await;
    let progress = Arc::new(Mutex::new(Vec::new()));
    let seen_progress = progress.clone();
    let users: Vec<String> = (0..30).map(|i| format!("user-{i}")).collect();
    let started = Instant::now();
    let mut b = client.batch().concurrency(2).on_progress(move |p| seen_progress.lock().unwrap().push(*p));
    let items =
        b.extend(users.iter().map(|u| client.entitlement_management().assignment_requests().create(&assignment(u))));
    let mut results = b.send().await;
    let elapsed = started.elapsed();

    for (user, item) in users.iter().zip(items) {
        assert_eq!(results.take(item).unwrap().id, Some(format!("req-{user}")));
    }
    assert!(elapsed >= Duration::from_secs(1), "Retry-After: 1 honoured ({elapsed:?})");
    for user in &users {
        let expected = if throttled.contains(&user.as_str()) { 2 } else { 1 };
        assert_eq!(received(&batch, &create_key(user)), expected, "{user}");
        assert_eq!(batch.seen.lock().unwrap().executed[&create_key(user)], 1, "{user} created once");
    }
    let final_progress = *results.progress();
    assert_eq!((final_progress.done, final_progress.failed, final_progress.retried), (30, 0, 2));
    // 2 batches, then the 2 throttled items: together, unless their batches were answered more
    // than the client's 20 ms linger apart.
    let sizes = batch.seen.lock().unwrap().batch_sizes.clone();
    assert_eq!(sizes[..2], [20, 10]);
    assert!(sizes[2..] == [2] || sizes[2..] == [1, 1], "{sizes:?}");
    assert_eq!(final_progress.round_trips, sizes.len());
    let progress = progress.lock().unwrap();
    assert_eq!(progress.len(), 30, "one callback per item");
    assert_eq!(progress.iter().map(|p| p.done).collect::<Vec<_>>(), (1..=30).collect::<Vec<_>>());
}

#[tokio::test]
async fn concurrency_bounds_the_batches_in_flight() {
    // 8 batches, each answered 150 ms after it arrives. With 2 in flight, a third batch is sent
    // only after a first answer: any 3 consecutive arrivals span at least 150 ms. The first two
    // go together.
    let delay = Duration::from_millis(150);
    let batch = GraphBatch::new(echo).delay(delay);
    let (_server, client) = setup(&batch).await;
    let em = client.entitlement_management();
    let results = client
        .batch()
        .concurrency(2)
        .send_all((0..160).map(|i| em.access_packages().by_id(format!("p{i}")).get()))
        .await;
    assert!(results.iter().all(Result::is_ok));
    let seen = batch.seen.lock().unwrap();
    assert_eq!(seen.round_trips, 8);
    for window in seen.arrivals.windows(3) {
        assert!(window[2] - window[0] >= delay, "3 batches in flight: {:?}", window[2] - window[0]);
    }
    assert!(seen.arrivals[1] - seen.arrivals[0] < delay, "the first two were sent together");
}

#[tokio::test]
async fn the_retry_time_limit_counts_from_each_items_first_send() {
    // A bulk run outlasts the policy's 1 s `max_elapsed`: 3 batches one after another, each
    // answered after 400 ms, the last item of each throttled once. The last batch is first sent
    // at about 800 ms and answered at 1.2 s; its throttled item is still retried.
    let batch = GraphBatch::new(|call| {
        if call.url.ends_with('9') && call.seen_before == 0 {
            return Answer::Throttle(0);
        }
        echo(call)
    })
    .delay(Duration::from_millis(400));
    let server = MockServer::start().await;
    batch.mount(&server, "/v1.0").await;
    let policy = RetryPolicy::default().base_delay(Duration::from_millis(1)).max_elapsed(Duration::from_secs(1));
    let client = Client::builder(StaticToken::new("t"))
        .base_url(format!("{}/v1.0", server.uri()))
        .retry(policy)
        .build()
        .unwrap();
    let em = client.entitlement_management();
    let results = client
        .batch()
        .concurrency(1)
        .send_all((0..60).map(|i| em.access_packages().by_id(format!("p{i}")).get()))
        .await;
    let failed: Vec<String> = results.iter().filter_map(|r| r.as_ref().err().map(ToString::to_string)).collect();
    assert!(failed.is_empty(), "{failed:?}");
}

#[tokio::test]
async fn a_missing_answer_is_an_error_for_that_item_only() {
    let batch = GraphBatch::new(|call| if target_of(call) == "user-1" { Answer::Missing } else { created(call) });
    let (_server, client) = setup(&batch).await;
    let users = ["user-0", "user-1", "user-2"];
    let results = client
        .batch()
        .send_all(users.iter().map(|u| client.entitlement_management().assignment_requests().create(&assignment(u))))
        .await;
    let err = results[1].as_ref().unwrap_err();
    assert!(matches!(err, Error::BatchItemMissing { id, .. } if id == "1"), "{err:?}");
    assert_eq!(err.request_id(), Some("batch-1"), "the $batch response's request id");
    assert!(err.to_string().contains("no answer for item 1"), "{err}");
    assert!(results[0].is_ok() && results[2].is_ok());
    assert_eq!(received(&batch, &create_key("user-1")), 1, "not resent: it may have run");
}

#[tokio::test]
async fn a_malformed_answer_is_a_decode_error_naming_the_item() {
    let batch = GraphBatch::new(|call| match call.url.rsplit('/').next().unwrap() {
        "p1" => Answer::Raw(json!({"status": "OK"})),
        "p2" => Answer::Raw(json!({"status": 200, "body": {"id": 5}})),
        _ => echo(call),
    });
    let (_server, client) = setup(&batch).await;
    let em = client.entitlement_management();
    let results = client.batch().send_all((0..3).map(|i| em.access_packages().by_id(format!("p{i}")).get())).await;
    assert!(results[0].is_ok());
    match results[1].as_ref().unwrap_err() {
        Error::Decode { path, .. } => assert_eq!(path, "responses[id=1].status"),
        other => panic!("{other:?}"),
    }
    match results[2].as_ref().unwrap_err() {
        Error::Decode { path, .. } => assert_eq!(path, "responses[id=2].body.id"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_broken_batch_fails_each_of_its_items() {
    // A 503 to a batch of writes is not retried; an HTML body is no batch response.
    let batch = GraphBatch::new(echo).whole_batch(|n| match n {
        1 => Some(ResponseTemplate::new(503).insert_header("request-id", "rid-503")),
        2 => Some(ResponseTemplate::new(200).set_body_raw("<html>proxy</html>", "text/html")),
        _ => None,
    });
    let (_server, client) = setup(&batch).await;
    let em = client.entitlement_management();
    let writes = client
        .batch()
        .send_all((0..2).map(|i| em.assignment_requests().create(&assignment(&format!("user-{i}")))))
        .await;
    for result in &writes {
        let err = result.as_ref().unwrap_err();
        assert!(matches!(err, Error::BatchFailed { .. }), "{err:?}");
        assert_eq!((err.status(), err.request_id()), (Some(503), Some("rid-503")));
        assert!(err.is_transient());
    }
    let reads = client.batch().send_all((0..2).map(|i| em.access_packages().by_id(format!("p{i}")).get())).await;
    for result in &reads {
        let err = result.as_ref().unwrap_err();
        assert!(err.to_string().contains("$batch call carrying this request failed"), "{err}");
        assert!(matches!(err, Error::BatchFailed { error } if matches!(**error, Error::Decode { .. })), "{err:?}");
    }
    assert_eq!(batch.seen.lock().unwrap().round_trips, 2, "the 503 to writes was not retried");
}

#[tokio::test]
async fn a_dependency_chain_longer_than_a_batch_is_an_error_for_its_items() {
    let batch = GraphBatch::new(echo);
    let (_server, client) = setup(&batch).await;
    let em = client.entitlement_management();
    let mut b = client.batch();
    let first = b.add(em.access_packages().by_id("p0").get());
    let mut previous = first.id();
    let mut chain = vec![first];
    for i in 1..21 {
        let item = b.add_after(em.access_packages().by_id(format!("p{i}")).get(), &[previous]);
        previous = item.id();
        chain.push(item);
    }
    let alone = b.add(em.access_packages().by_id("alone").get());
    let mut results = b.send().await;
    for item in chain {
        let err = results.take(item).unwrap_err();
        assert!(err.to_string().contains("21 batch items depend on each other"), "{err}");
    }
    assert!(results.take(alone).is_ok());
}

#[test]
fn a_batch_can_be_sent_from_a_spawned_task() {
    // `tokio::spawn` needs `Send + 'static` futures: the batch, its send and its results qualify.
    fn spawnable<T: Send + 'static>(_: &T) {}
    let client = Client::new(StaticToken::new("t")).unwrap();
    let mut batch = client.batch().on_progress(|_| {});
    let item = batch.add(client.entitlement_management().access_packages().list());
    spawnable(&batch);
    spawnable(&item);
    let send = batch.send();
    spawnable(&send);
    let send_all = client.batch().send_all([client.entitlement_management().access_packages().list()]);
    spawnable(&send_all);
}

// On the test kit.

/// A mock and a client of it retrying fast.
async fn mock() -> (MockGraph, Client) {
    let graph = MockGraph::start().await;
    let client =
        graph.client_builder().retry(RetryPolicy::default().base_delay(Duration::from_millis(1))).build().unwrap();
    (graph, client)
}

/// Graph's answer to a created assignment request for `user`.
fn accepted(user: &str) -> AccessPackageAssignmentRequest {
    let mut request = assignment(user);
    request.id = Some(format!("req-{user}"));
    request.additional_properties.insert("undeclared".into(), json!({"kept": true}));
    request
}

fn package(id: &str) -> AccessPackage {
    AccessPackage { id: Some(id.to_string()), display_name: Some(format!("Package {id}")), ..Default::default() }
}

#[tokio::test]
async fn writes_carry_their_body_with_a_content_type_and_typed_results() {
    let (graph, client) = mock().await;
    let requests = client.entitlement_management().assignment_requests();
    let users: Vec<String> = (0..7).map(|i| format!("user-{i}")).collect();
    for user in &users {
        // The body must equal the typed one; each is created once.
        graph.expect(requests.create(&assignment(user))).respond(accepted(user)).times(1);
    }
    let results = client.batch().send_all(users.iter().map(|u| requests.create(&assignment(u)))).await;
    for (user, result) in users.iter().zip(results) {
        let created = result.unwrap();
        assert_eq!(created.id.as_deref(), Some(format!("req-{user}").as_str()));
        assert_eq!(created.request_type, Some(AccessPackageRequestType::AdminAdd));
        assert_eq!(created.additional_properties["undeclared"], json!({"kept": true}), "nothing lost");
    }
    for item in graph.received() {
        assert_eq!(item.header("content-type"), Some("application/json"), "{item:?}");
    }
    graph.verify();
}

#[tokio::test]
async fn an_item_throttled_past_the_policy_is_its_own_429() {
    let (graph, client) = mock().await;
    let requests = client.entitlement_management().assignment_requests();
    for user in ["user-1", "user-3"] {
        graph.expect(requests.create(&assignment(user))).respond(accepted(user));
    }
    graph.expect(requests.create(&assignment("user-2"))).fail(MockError::throttled(Duration::from_secs(3600))).times(1);
    let users = ["user-1", "user-2", "user-3"];
    let results = client.batch().send_all(users.iter().map(|u| requests.create(&assignment(u)))).await;
    let err = results[1].as_ref().unwrap_err();
    assert!(err.is_throttled(), "{err}");
    assert_eq!(err.retry_after(), Some(Duration::from_secs(3600)));
    assert!(matches!(
        err.details().unwrap().gave_up,
        Some(msgraph_entitlement::runtime::GaveUp::RetryAfterTooLong { .. })
    ));
    assert!(results[0].is_ok() && results[2].is_ok());
    graph.verify();
}

#[tokio::test]
async fn a_500_item_is_its_own_error_and_a_write_is_not_resent() {
    let (graph, client) = mock().await;
    let requests = client.entitlement_management().assignment_requests();
    let users: Vec<String> = (0..6).map(|i| format!("user-{i}")).collect();
    for (i, user) in users.iter().enumerate() {
        let expectation = graph.expect(requests.create(&assignment(user))).times(1);
        let _ = match i {
            3 => expectation.fail(MockError::new(500, "InternalServerError", "boom").request_id("item-3")),
            // 503 on a write: not retried (it may have run); `times(1)` fails the test on a resend.
            4 => expectation.fail(MockError::unavailable().retry_after(Duration::ZERO)),
            _ => expectation.respond(accepted(user)),
        };
    }
    let results = client.batch().send_all(users.iter().map(|u| requests.create(&assignment(u)))).await;
    for (i, result) in results.iter().enumerate() {
        match i {
            3 => {
                let err = result.as_ref().unwrap_err();
                assert_eq!(err.status(), Some(500));
                assert_eq!(err.code(), Some("InternalServerError"));
                assert_eq!(err.request_id(), Some("item-3"), "the item's own request id");
            }
            4 => assert_eq!(result.as_ref().unwrap_err().status(), Some(503)),
            _ => assert!(result.is_ok(), "{i}: {result:?}"),
        }
    }
    graph.verify();
}

#[tokio::test]
async fn a_read_answered_503_is_retried() {
    let (graph, client) = mock().await;
    let packages = client.entitlement_management().access_packages();
    for id in ["p0", "p2"] {
        graph.expect(packages.by_id(id).get()).respond(package(id)).times(1);
    }
    let p1 = graph
        .expect(packages.by_id("p1").get())
        .fail(MockError::unavailable().retry_after(Duration::ZERO))
        .respond(package("p1"))
        .times(2);
    let results = client.batch().send_all((0..3).map(|i| packages.by_id(format!("p{i}")).get())).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(p1.calls(), 2);
    graph.verify();
}

/// A catalog and, depending on it, an access package, in one batch.
async fn catalog_then_package(
    client: &Client,
) -> (Result<AccessPackageCatalog, Error>, Result<AccessPackage, Error>, u32) {
    let em = client.entitlement_management();
    let mut b = client.batch();
    let catalog = b.add(em.catalogs().create(&AccessPackageCatalog::default()));
    let package = b.add_after(em.access_packages().create(&AccessPackage::default()), &[catalog.id()]);
    let mut results = b.send().await;
    let round_trips = u32::try_from(results.progress().round_trips).unwrap();
    (results.take(catalog), results.take(package), round_trips)
}

#[tokio::test]
async fn a_dependent_of_a_throttled_item_is_retried_with_it() {
    let (graph, client) = mock().await;
    let em = client.entitlement_management();
    let cat = AccessPackageCatalog { id: Some("cat-1".into()), ..Default::default() };
    graph
        .expect(em.catalogs().create(&AccessPackageCatalog::default()))
        .fail(MockError::throttled(Duration::ZERO))
        .respond(cat)
        .times(2);
    let ap = AccessPackage { id: Some("ap-1".into()), ..Default::default() };
    graph.expect(em.access_packages().create(&AccessPackage::default())).respond(ap).times(1);
    let (catalog, package, round_trips) = catalog_then_package(&client).await;
    assert_eq!(catalog.unwrap().id.as_deref(), Some("cat-1"));
    assert_eq!(package.unwrap().id.as_deref(), Some("ap-1"));
    assert_eq!(round_trips, 2, "the dependent (424 the first time) went again with it");
    let sent: Vec<String> = graph.received().iter().map(|r| r.path.rsplit('/').next().unwrap().to_string()).collect();
    assert_eq!(sent, ["catalogs", "catalogs", "accessPackages"], "the package ran once, after the catalog");
    graph.verify();
}

#[tokio::test]
async fn a_failed_dependency_is_the_dependents_424() {
    let (graph, client) = mock().await;
    let em = client.entitlement_management();
    graph
        .expect(em.catalogs().create(&AccessPackageCatalog::default()))
        .fail(MockError::bad_request("no name").request_id("cat-400"));
    let (catalog, package, round_trips) = catalog_then_package(&client).await;
    assert_eq!(catalog.unwrap_err().status(), Some(400));
    let err = package.unwrap_err();
    assert_eq!((err.status(), err.code()), (Some(424), Some("FailedDependency")), "{err}");
    assert!(err.request_id().is_some());
    assert_eq!(round_trips, 1);
    assert_eq!(graph.received().len(), 1, "the dependent did not run");
    graph.verify();
}

#[tokio::test]
async fn a_throttled_batch_is_retried_whole() {
    let (graph, client) = mock().await;
    let requests = client.entitlement_management().assignment_requests();
    // An expectation of the `$batch` call itself: the first one is throttled as a whole.
    graph
        .expect(client.request::<RawJson>(Method::POST, "/$batch".into()))
        .any_body()
        .fail(MockError::throttled(Duration::ZERO))
        .times(1);
    let users = ["user-0", "user-1"];
    for user in users {
        graph.expect(requests.create(&assignment(user))).respond(accepted(user)).times(1);
    }
    let results = client.batch().send_all(users.iter().map(|u| requests.create(&assignment(u)))).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    graph.verify();
}

#[tokio::test]
async fn results_are_typed_per_request() {
    let (graph, client) = mock().await;
    let em = client.entitlement_management();
    let packages = em.access_packages();
    graph.expect(packages.by_id("p7").get()).respond(package("p7")).header("request-id", "item-0");
    graph.expect(packages.count()).respond(42);
    graph.expect(packages.by_id("p8").delete());
    let raw_get = || client.request::<RawJson>(Method::GET, format!("{EM}/accessPackages/p9"));
    graph.expect(raw_get()).respond(json!({"id": "p9"}));
    let mut b = client.batch();
    let package = b.add(packages.by_id("p7").get());
    let count = b.add(packages.count());
    let deleted = b.add(packages.by_id("p8").delete());
    let raw = b.add(raw_get());
    let mut results = b.send().await;
    assert_eq!(results.len(), 4);
    let package = results.take_with_metadata(package).unwrap();
    assert_eq!(package.value.display_name.as_deref(), Some("Package p7"));
    assert_eq!(package.request_id(), Some("item-0"));
    let count: i64 = results.take(count).unwrap();
    assert_eq!(count, 42, "a text body travels base64-encoded in a batch answer");
    let (): () = results.take(deleted).unwrap();
    assert_eq!(results.take(raw).unwrap()["id"], "p9");
    assert!(matches!(results.take(raw), Err(Error::InvalidArgument(_))), "taken once");
    let other = client.batch();
    let mut other_results = other.send().await;
    assert!(other_results.is_empty());
    assert!(matches!(other_results.take(raw), Err(Error::InvalidArgument(m)) if m.contains("another batch")));
    graph.verify();
}

#[tokio::test]
async fn beta_and_v1_requests_go_to_their_own_batch_endpoint() {
    let (graph, client) = mock().await;
    let v1 = client.entitlement_management().access_packages().by_id("p1").get();
    let beta = || client.beta().identity_governance().entitlement_management().access_packages().by_id("p2").get();
    graph.expect(client.entitlement_management().access_packages().by_id("p1").get()).respond(package("p1"));
    graph.expect(beta()).respond(serde_json::from_value(json!({"id": "p2"})).unwrap());
    let mut b = client.batch();
    let v1 = b.add(v1);
    let beta = b.add(beta());
    let mut results = b.send().await;
    assert_eq!(results.take(v1).unwrap().id.as_deref(), Some("p1"));
    assert_eq!(results.take(beta).unwrap().id.as_deref(), Some("p2"));
    assert_eq!(results.progress().round_trips, 2, "one $batch per service root");
    let mut paths: Vec<String> = graph.received().into_iter().map(|r| r.path).collect();
    paths.sort_unstable();
    assert_eq!(
        paths,
        [
            "/beta/identityGovernance/entitlementManagement/accessPackages/p2",
            "/v1.0/identityGovernance/entitlementManagement/accessPackages/p1"
        ]
    );
    graph.verify();
}

/// Runs `examples/bulk_assign.rs` as a user would (`cargo run --example`) against `graph`, with
/// `args` before the file of user ids and `env` beside the settings every run needs.
async fn run_bulk_assign(
    graph: &MockGraph,
    args: &[&'static str],
    file: std::path::PathBuf,
    env: &[(&'static str, &'static str)],
) -> std::process::Output {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let base_url = graph.base_url();
    let (args, env) = (args.to_vec(), env.to_vec());
    tokio::task::spawn_blocking(move || {
        std::process::Command::new(cargo)
            .current_dir(root)
            .args(["run", "--quiet", "--locked", "-p", "msgraph-entitlement", "--features", "beta,test-util"])
            .args(["--example", "bulk_assign", "--"])
            .args(args)
            .arg(&file)
            .env("GRAPH_TOKEN", msgraph_entitlement::testing::APP_ONLY_TOKEN)
            .env("GRAPH_BASE_URL", base_url)
            .env("ACCESS_PACKAGE_ID", "ap-1")
            .env("POLICY_ID", "policy-1")
            .envs(env)
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

/// `examples/bulk_assign.rs`, run as a user would (`cargo run --example`), against the mock: ids
/// read from a file (comments, blank lines and repeats skipped), batches of assignment requests,
/// one user failing, three throttled once, a summary and exit status 1.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bulk_assign_example_delivers_and_reports() {
    let failing = "00000000-0000-0000-0000-000000000003";
    let graph = MockGraph::start().await;
    let client = graph.app_only_client();
    let requests = client.entitlement_management().assignment_requests();
    let mut text = String::from("# team onboarding\n\n");
    for i in 1..=25 {
        let user = format!("00000000-0000-0000-0000-{i:012}");
        text.push_str(&user);
        text.push('\n');
        let expectation = graph.expect(requests.create(&assignment(&user)));
        // Each user is created exactly once: a resend would not match.
        let _ = if user == failing {
            expectation
                .fail(MockError::new(403, "AccessDenied", "the policy does not allow this user").request_id("item-3"))
                .times(1)
        } else if user.ends_with('5') {
            expectation.fail(MockError::throttled(Duration::ZERO)).respond(accepted(&user)).times(2)
        } else {
            expectation.respond(accepted(&user)).times(1)
        };
    }
    text.push_str("00000000-0000-0000-0000-000000000001  # again\n");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("users.txt");
    std::fs::write(&file, text).unwrap();

    let output = run_bulk_assign(&graph, &[], file, &[]).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "one user failed\nstdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.contains("delivered: 24 of 25 assignment requests"), "{stdout}");
    assert!(stdout.contains("failed, 403 AccessDenied: 1"), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "  {failing}: Graph error 403 AccessDenied: the policy does not allow this user (request-id item-3)"
        )),
        "{stdout}"
    );
    assert_eq!(graph.received().len(), 25 + 3, "25 users, 3 of them (ending in 5) throttled once");
    graph.verify();
}

/// `examples/bulk_assign.rs --wait`: after the batch, it waits for each accepted request to settle
/// and reports the final states (one request not yet readable, one delivering first, one failing).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bulk_assign_example_waits_for_each_request_to_settle() {
    use msgraph_entitlement::models::AccessPackageRequestState as State;
    let graph = MockGraph::start().await;
    let client = graph.app_only_client();
    let requests = client.entitlement_management().assignment_requests();
    let users: Vec<String> = (1..=3).map(|i| format!("00000000-0000-0000-0000-{i:012}")).collect();
    let with_state = |user: &str, state: State| {
        let mut r = accepted(user);
        r.state = Some(state);
        r
    };
    for user in &users {
        graph.expect(requests.create(&assignment(user))).respond(accepted(user)).times(1);
    }
    let read = |user: &str| requests.by_id(format!("req-{user}")).get();
    graph
        .expect(read(&users[0]))
        .fail(MockError::not_found("not replicated yet"))
        .respond(with_state(&users[0], State::Delivered))
        .times(2);
    graph
        .expect(read(&users[1]))
        .respond(with_state(&users[1], State::Delivering))
        .respond(with_state(&users[1], State::Delivered))
        .times(2);
    graph.expect(read(&users[2])).respond(with_state(&users[2], State::DeliveryFailed)).times(1);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("users.txt");
    std::fs::write(&file, users.join("\n")).unwrap();

    let output = run_bulk_assign(&graph, &["--wait"], file, &[("WAIT_INTERVAL_MS", "5")]).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "one delivery failed\nstdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.contains("delivered: 3 of 3 assignment requests"), "{stdout}");
    assert!(stdout.contains("final states:\n  delivered: 2\n  deliveryFailed: 1\n"), "{stdout}");
    assert!(stdout.contains(&format!("    {}: request req-{} (request-id ", users[2], users[2])), "{stdout}");
    graph.verify();
}

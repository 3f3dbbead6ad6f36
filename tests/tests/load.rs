//! Load: 10,000 list requests at concurrency 64 against a loopback double that answers 5% of
//! requests (every 20th) with 429 or 503. Every request must be accounted for (success or error),
//! nothing may hang (a deadline bounds the run), and the figures (p50/p99 latency, retries) are
//! printed for ROBUSTNESS.md. Not a timed test: the deadline only catches a deadlock.
//!
//! Bulk: 1,000 assignment requests created one by one and then through `$batch`, 5% of them
//! throttled once either way: all created exactly once (the servers count), and the round trips
//! compared (batches must cut them at least 15x).
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

#[path = "support/batch_server.rs"]
mod batch_server;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use msgraph_entitlement::models::{AccessPackageAssignment, AccessPackageAssignmentRequest, AccessPackageRequestType};
use msgraph_entitlement::runtime::RetryPolicy;
use msgraph_entitlement::{Client, StaticToken};
use serde_json::json;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const REQUESTS: usize = 10_000;
const CONCURRENCY: usize = 64;

/// Every 20th request (5%) fails: alternately 429 with `Retry-After: 0` and a bare 503.
struct Flaky {
    seen: Arc<AtomicUsize>,
    faults: Arc<AtomicUsize>,
}

impl Respond for Flaky {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.seen.fetch_add(1, Ordering::SeqCst);
        if n % 20 == 19 {
            let k = self.faults.fetch_add(1, Ordering::SeqCst);
            return if k % 2 == 0 {
                ResponseTemplate::new(429).insert_header("Retry-After", "0")
            } else {
                ResponseTemplate::new(503)
            };
        }
        ResponseTemplate::new(200).set_body_json(json!({"value": [{"id": "ap-1", "displayName": "Sales"}]}))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_requests_at_concurrency_64_with_injected_faults() {
    let server = MockServer::start().await;
    let seen = Arc::new(AtomicUsize::new(0));
    let faults = Arc::new(AtomicUsize::new(0));
    Mock::given(wiremock::matchers::method("GET"))
        .respond_with(Flaky { seen: seen.clone(), faults: faults.clone() })
        .mount(&server)
        .await;
    let client = Client::builder(StaticToken::new("t"))
        .base_url(format!("{}/v1.0", server.uri()))
        .retry(RetryPolicy::default().max_attempts(4).base_delay(Duration::from_millis(1)))
        .build()
        .unwrap();

    let started = Instant::now();
    let run = futures_util::stream::iter(0..REQUESTS)
        .map(|_| {
            let client = client.clone();
            async move {
                let t = Instant::now();
                let result = client.entitlement_management().access_packages().list().await;
                (t.elapsed(), result.map(|page| page.value.len()))
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect::<Vec<_>>();
    let results =
        tokio::time::timeout(Duration::from_secs(300), run).await.expect("no deadlock: all requests finished");
    let wall = started.elapsed();

    let ok = results.iter().filter(|(_, r)| matches!(r, Ok(1))).count();
    let errors: Vec<String> = results.iter().filter_map(|(_, r)| r.as_ref().err().map(ToString::to_string)).collect();
    assert_eq!(results.len(), REQUESTS, "every request accounted for");
    assert_eq!(ok + errors.len(), REQUESTS);
    // A request fails only if all 4 attempts hit a fault; with every 20th answer a fault, none do.
    assert!(errors.is_empty(), "{} errors, first: {:?}", errors.len(), errors.first());
    let sent = seen.load(Ordering::SeqCst);
    let retries = sent - REQUESTS;
    assert_eq!(retries, faults.load(Ordering::SeqCst), "each fault was retried exactly once");

    let mut latencies: Vec<Duration> = results.iter().map(|(d, _)| *d).collect();
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    eprintln!(
        "load: {REQUESTS} requests, concurrency {CONCURRENCY}: {ok} ok, {} errors, {sent} sent ({retries} retries), \
         wall {:.2?} ({:.0} req/s), latency p50 {:.2?} p99 {:.2?} max {:.2?}",
        errors.len(),
        wall,
        REQUESTS as f64 / wall.as_secs_f64(),
        pct(0.50),
        pct(0.99),
        latencies[latencies.len() - 1]
    );
}

const BULK: usize = 1_000;

fn assignment(user: usize) -> AccessPackageAssignmentRequest {
    AccessPackageAssignmentRequest {
        request_type: Some(AccessPackageRequestType::AdminAdd),
        assignment: Some(AccessPackageAssignment {
            access_package_id: Some("ap-1".into()),
            assignment_policy_id: Some("policy-1".into()),
            target_id: Some(format!("user-{user}")),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The user an assignment request body is for (`user-17` -> 17).
fn user_of(body: &serde_json::Value) -> usize {
    body["assignment"]["targetId"].as_str().unwrap().trim_start_matches("user-").parse().unwrap()
}

/// Creates assignment requests one at a time; every 20th user's first request is throttled.
#[derive(Clone, Default)]
struct SingleCreates {
    round_trips: Arc<AtomicUsize>,
    seen: Arc<std::sync::Mutex<std::collections::HashMap<usize, usize>>>,
    created: Arc<std::sync::Mutex<std::collections::HashMap<usize, usize>>>,
}

impl Respond for SingleCreates {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        self.round_trips.fetch_add(1, Ordering::SeqCst);
        let user = user_of(&serde_json::from_slice(&request.body).unwrap());
        let seen_before = {
            let mut seen = self.seen.lock().unwrap();
            let n = seen.entry(user).or_default();
            *n += 1;
            *n - 1
        };
        if user % 20 == 19 && seen_before == 0 {
            return ResponseTemplate::new(429).insert_header("Retry-After", "0");
        }
        *self.created.lock().unwrap().entry(user).or_default() += 1;
        ResponseTemplate::new(201).set_body_json(json!({"id": format!("req-{user}"), "state": "submitted"}))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_creates_through_batches_cut_round_trips_at_least_15x() {
    let server = MockServer::start().await;
    let single = SingleCreates::default();
    Mock::given(wiremock::matchers::method("POST"))
        .and(wiremock::matchers::path("/v1.0/identityGovernance/entitlementManagement/assignmentRequests"))
        .respond_with(single.clone())
        .mount(&server)
        .await;
    let batch = batch_server::GraphBatch::new(|call| {
        let user = user_of(call.body.unwrap());
        if user % 20 == 19 && call.seen_before == 0 {
            return batch_server::Answer::Throttle(0);
        }
        batch_server::Answer::Json(201, json!({"id": format!("req-{user}"), "state": "submitted"}))
    });
    batch.mount(&server, "/v1.0").await;
    let client = Client::builder(StaticToken::new("t"))
        .base_url(format!("{}/v1.0", server.uri()))
        .retry(RetryPolicy::default().max_attempts(4).base_delay(Duration::from_millis(1)))
        .build()
        .unwrap();
    let em = client.entitlement_management();
    let deadline = Duration::from_secs(300);

    // One by one, at the concurrency of the load test above.
    let started = Instant::now();
    let run = futures_util::stream::iter(0..BULK)
        .map(|user| {
            let request = em.assignment_requests().create(&assignment(user));
            async move { request.await.map(|r| r.id) }
        })
        .buffered(CONCURRENCY)
        .collect::<Vec<_>>();
    let singles = tokio::time::timeout(deadline, run).await.expect("no deadlock");
    let single_wall = started.elapsed();

    // Through batches (20 per batch, 4 batches in flight).
    let started = Instant::now();
    let run = client.batch().send_all((0..BULK).map(|user| em.assignment_requests().create(&assignment(user))));
    let batched = tokio::time::timeout(deadline, run).await.expect("no deadlock");
    let batch_wall = started.elapsed();

    for (user, (single, batched)) in singles.iter().zip(&batched).enumerate() {
        let expected = Some(format!("req-{user}"));
        assert_eq!(single.as_ref().unwrap(), &expected, "single {user}");
        assert_eq!(batched.as_ref().unwrap().id, expected, "batched {user}");
    }
    let created = single.created.lock().unwrap();
    assert!(created.len() == BULK && created.values().all(|&n| n == 1), "each created once, one by one");
    let seen = batch.seen.lock().unwrap();
    assert_eq!(seen.executed.len(), BULK);
    assert!(seen.executed.values().all(|&n| n == 1), "each created once through batches");
    let throttled = BULK / 20;
    assert_eq!(seen.received.values().sum::<usize>(), BULK + throttled, "only the throttled items were sent twice");
    assert!(seen.rejected.is_empty(), "{:?}", seen.rejected);

    let single_trips = single.round_trips.load(Ordering::SeqCst);
    let batch_trips = seen.round_trips;
    assert_eq!(single_trips, BULK + throttled);
    let cut = single_trips as f64 / batch_trips as f64;
    eprintln!(
        "bulk: {BULK} creates, {throttled} throttled once: one by one (concurrency {CONCURRENCY}) {single_trips} \
         round trips in {single_wall:.2?}; through $batch (20 per batch, 4 in flight) {batch_trips} round trips \
         in {batch_wall:.2?}: {cut:.1}x fewer round trips, wall {:.2}x",
        batch_wall.as_secs_f64() / single_wall.as_secs_f64()
    );
    assert!(cut >= 15.0, "batches cut round trips {cut:.1}x ({single_trips} -> {batch_trips}), not 15x");
}

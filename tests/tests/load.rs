//! Load: 10,000 list requests at concurrency 64 against a loopback double that answers 5% of
//! requests (every 20th) with 429 or 503. Every request must be accounted for (success or error),
//! nothing may hang (a deadline bounds the run), and the figures (p50/p99 latency, retries) are
//! printed for ROBUSTNESS.md. Not a timed test: the deadline only catches a deadlock.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
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
        .retry(RetryPolicy { max_attempts: 4, base_delay: Duration::from_millis(1), ..RetryPolicy::default() })
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

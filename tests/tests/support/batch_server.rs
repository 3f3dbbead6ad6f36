//! A loopback `$batch` endpoint that enforces Graph's JSON batching rules and counts what it
//! runs: at most 20 requests per batch, unique ids, URLs relative to the service root,
//! `Content-Type` on every item with a body, `dependsOn` naming items of the same batch (run after
//! them, `424` when one failed), answers in a shuffled order. What each item answers is scripted.
//! A broken rule is a `400` with a Graph error, and is recorded.
#![allow(dead_code)] // each test binary uses its part

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde_json::{Value, json};
use wiremock::{Request, Respond, ResponseTemplate};

/// One item as the server received it.
pub(crate) struct ItemCall<'a> {
    pub method: &'a str,
    pub url: &'a str,
    pub body: Option<&'a Value>,
    /// How many times the same method, URL and body reached the server before.
    pub seen_before: usize,
}

/// What an item answers.
pub(crate) enum Answer {
    /// This status and JSON body (run: counted as executed when 2xx).
    Json(u16, Value),
    /// `429` with this `Retry-After` (seconds); not run.
    Throttle(u64),
    /// The item is left out of the response (it ran).
    Missing,
    /// This raw answer object, as is (`id` added).
    Raw(Value),
}

type Script = dyn Fn(&ItemCall<'_>) -> Answer + Send + Sync;
type WholeBatch = dyn Fn(usize) -> Option<ResponseTemplate> + Send + Sync;

/// What the server saw.
#[derive(Default)]
pub(crate) struct Seen {
    /// `$batch` calls, rejected ones included.
    pub round_trips: usize,
    /// When each `$batch` call arrived.
    pub arrivals: Vec<Instant>,
    /// The number of items of each `$batch` call accepted.
    pub batch_sizes: Vec<usize>,
    /// Why calls were rejected (`400`).
    pub rejected: Vec<String>,
    /// Items received, by method + URL + body.
    pub received: HashMap<String, usize>,
    /// Items run with a 2xx answer, by method + URL + body.
    pub executed: HashMap<String, usize>,
    /// Every item run, in order: (key, when, the `dependsOn` it came with).
    pub log: Vec<(String, Instant, Vec<String>)>,
}

#[derive(Clone)]
pub(crate) struct GraphBatch {
    pub seen: Arc<Mutex<Seen>>,
    script: Arc<Script>,
    whole: Arc<WholeBatch>,
    rng: Arc<Mutex<u64>>,
    delay: std::time::Duration,
}

impl GraphBatch {
    pub(crate) fn new(script: impl Fn(&ItemCall<'_>) -> Answer + Send + Sync + 'static) -> Self {
        GraphBatch {
            seen: Arc::default(),
            script: Arc::new(script),
            whole: Arc::new(|_| None),
            rng: Arc::new(Mutex::new(0x2545_f491_4f6c_dd1d)),
            delay: std::time::Duration::ZERO,
        }
    }

    /// Answers every accepted `$batch` after this delay (a slow network, to see concurrency).
    pub(crate) fn delay(mut self, delay: std::time::Duration) -> Self {
        self.delay = delay;
        self
    }

    /// Answers the `n`th `$batch` call (from 1) with this response instead, when it returns one.
    pub(crate) fn whole_batch(
        mut self,
        answer: impl Fn(usize) -> Option<ResponseTemplate> + Send + Sync + 'static,
    ) -> Self {
        self.whole = Arc::new(answer);
        self
    }

    /// Mounts the endpoint at `POST {root}/$batch` (`root` like `/v1.0`).
    pub(crate) async fn mount(&self, server: &wiremock::MockServer, root: &str) {
        wiremock::Mock::given(wiremock::matchers::method("POST"))
            .and(wiremock::matchers::path(format!("{root}/$batch")))
            .respond_with(self.clone())
            .mount(server)
            .await;
    }

    fn next_random(&self) -> u64 {
        let mut state = self.rng.lock().unwrap();
        // xorshift64*
        *state ^= *state >> 12;
        *state ^= *state << 25;
        *state ^= *state >> 27;
        state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn shuffle<T>(&self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = usize::try_from(self.next_random() % (i as u64 + 1)).unwrap();
            items.swap(i, j);
        }
    }
}

pub(crate) fn key(method: &str, url: &str, body: Option<&Value>) -> String {
    match body {
        Some(body) => format!("{method} {url} {body}"),
        None => format!("{method} {url}"),
    }
}

fn bad_request(seen: &mut Seen, message: String) -> ResponseTemplate {
    seen.rejected.push(message.clone());
    ResponseTemplate::new(400).set_body_json(json!({"error": {"code": "BadRequest", "message": message}}))
}

/// Checks one item against Graph's rules.
fn check_item(item: &Value, ids: &[&str]) -> Result<(), String> {
    let id = item["id"].as_str().ok_or("an item has no string id")?;
    let method = item["method"].as_str().ok_or(format!("item {id} has no method"))?;
    if !matches!(method, "GET" | "POST" | "PATCH" | "PUT" | "DELETE") {
        return Err(format!("item {id}: unknown method {method}"));
    }
    let url = item["url"].as_str().ok_or(format!("item {id} has no url"))?;
    if !url.starts_with('/') || url.contains("://") || url.starts_with("/v1.0/") || url.starts_with("/beta/") {
        return Err(format!("item {id}: the url must be relative to the service root, got {url}"));
    }
    if item.get("body").is_some() {
        let content_type = item["headers"]
            .as_object()
            .and_then(|h| h.iter().find(|(k, _)| k.eq_ignore_ascii_case("content-type")))
            .and_then(|(_, v)| v.as_str());
        if content_type != Some("application/json") {
            return Err(format!("item {id}: a body needs the Content-Type header"));
        }
    }
    if let Some(deps) = item.get("dependsOn") {
        for dep in deps.as_array().ok_or(format!("item {id}: dependsOn is not an array"))? {
            let dep = dep.as_str().ok_or(format!("item {id}: a dependsOn id is not a string"))?;
            if !ids.contains(&dep) || dep == id {
                return Err(format!("item {id}: dependsOn names {dep}, not another item of this batch"));
            }
        }
    }
    Ok(())
}

/// Graph's layout rule: no item has `dependsOn` (fully parallel), or they form one sequence
/// (one item depends on nothing, each other on exactly one, none is depended on twice).
fn check_layout(items: &[Value]) -> Result<(), String> {
    let deps: Vec<Vec<&str>> = items
        .iter()
        .map(|i| i["dependsOn"].as_array().map(|d| d.iter().filter_map(Value::as_str).collect()).unwrap_or_default())
        .collect();
    if deps.iter().all(Vec::is_empty) {
        return Ok(());
    }
    let starts = deps.iter().filter(|d| d.is_empty()).count();
    let mut targets: Vec<&str> = deps.iter().flatten().copied().collect();
    let named = targets.len();
    targets.sort_unstable();
    targets.dedup();
    if starts != 1 || deps.iter().any(|d| d.len() > 1) || targets.len() != named {
        return Err(format!("Batch should be either fully sequential or fully parallel: dependsOn {deps:?}"));
    }
    Ok(())
}

impl Respond for GraphBatch {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let round_trip = {
            let mut seen = self.seen.lock().unwrap();
            seen.round_trips += 1;
            seen.arrivals.push(Instant::now());
            seen.round_trips
        };
        if let Some(answer) = (self.whole)(round_trip) {
            return answer;
        }
        let mut seen = self.seen.lock().unwrap();
        let Ok(body) = serde_json::from_slice::<Value>(&request.body) else {
            return bad_request(&mut seen, "the body is not JSON".into());
        };
        let Some(items) = body["requests"].as_array() else {
            return bad_request(&mut seen, "no requests array".into());
        };
        if items.len() > 20 {
            return bad_request(&mut seen, format!("{} requests: a batch holds at most 20", items.len()));
        }
        let ids: Vec<&str> = items.iter().filter_map(|i| i["id"].as_str()).collect();
        let mut unique = ids.clone();
        unique.sort_unstable();
        unique.dedup();
        if unique.len() != items.len() {
            return bad_request(&mut seen, "item ids must be unique strings".into());
        }
        for item in items {
            if let Err(message) = check_item(item, &ids) {
                return bad_request(&mut seen, message);
            }
        }
        if let Err(message) = check_layout(items) {
            return bad_request(&mut seen, message);
        }
        seen.batch_sizes.push(items.len());
        drop(seen);

        // Run the items in a shuffled order that respects dependsOn.
        let mut order: Vec<usize> = (0..items.len()).collect();
        self.shuffle(&mut order);
        let mut status_of: BTreeMap<&str, u16> = BTreeMap::new();
        let mut answers = Vec::new();
        while status_of.len() < items.len() {
            for &i in &order {
                let item = &items[i];
                let id = ids[i];
                if status_of.contains_key(id) {
                    continue;
                }
                let deps: Vec<&str> = item["dependsOn"]
                    .as_array()
                    .map(|d| d.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                if deps.iter().any(|d| !status_of.contains_key(d)) {
                    continue;
                }
                if deps.iter().any(|d| !(200..300).contains(&status_of[d])) {
                    status_of.insert(id, 424);
                    answers.push(json!({"id": id, "status": 424, "body": {"error": {
                        "code": "FailedDependency", "message": "a request this one depends on failed"}}}));
                    continue;
                }
                let method = item["method"].as_str().unwrap();
                let url = item["url"].as_str().unwrap();
                let body = item.get("body");
                let key = key(method, url, body);
                let mut seen = self.seen.lock().unwrap();
                let seen_before = *seen.received.get(&key).unwrap_or(&0);
                *seen.received.entry(key.clone()).or_default() += 1;
                drop(seen);
                let answer = (self.script)(&ItemCall { method, url, body, seen_before });
                let status = match answer {
                    Answer::Json(status, body) => {
                        answers.push(json!({"id": id, "status": status,
                            "headers": {"Content-Type": "application/json", "request-id": format!("item-{id}")},
                            "body": body}));
                        status
                    }
                    Answer::Throttle(after) => {
                        answers.push(json!({"id": id, "status": 429,
                            "headers": {"Retry-After": after.to_string()},
                            "body": {"error": {"code": "TooManyRequests", "message": "throttled"}}}));
                        429
                    }
                    Answer::Missing => 200,
                    Answer::Raw(mut raw) => {
                        raw["id"] = json!(id);
                        let status = raw["status"].as_u64().and_then(|s| u16::try_from(s).ok()).unwrap_or(200);
                        answers.push(raw);
                        status
                    }
                };
                if (200..300).contains(&status) {
                    let mut seen = self.seen.lock().unwrap();
                    *seen.executed.entry(key.clone()).or_default() += 1;
                    let deps = deps.iter().map(|d| key_of(items, d)).collect();
                    seen.log.push((key, Instant::now(), deps));
                }
                status_of.insert(id, status);
            }
        }
        self.shuffle(&mut answers);
        ResponseTemplate::new(200)
            .insert_header("request-id", format!("batch-{round_trip}").as_str())
            .set_body_json(json!({"responses": answers}))
            .set_delay(self.delay)
    }
}

/// The key of the item with this id.
fn key_of(items: &[Value], id: &str) -> String {
    let item = items.iter().find(|i| i["id"] == id).unwrap();
    key(item["method"].as_str().unwrap(), item["url"].as_str().unwrap(), item.get("body"))
}

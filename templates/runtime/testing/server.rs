//! The loopback HTTP/1.1 server of [`MockServer`](super::MockServer) (hyper, which reqwest already
//! builds on): requests, pages and `$batch`, answered as Graph does.

use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use serde_json::{Value, json};

use super::super::error::snippet;
use super::spec::{Answer, Body, ReceivedRequest, Spec, Step, StepBody, parse_query, split_url};
use super::upload::{self, SessionState};

/// The most requests one `$batch` may carry.
const MAX_BATCH: usize = super::super::batch::MAX_BATCH_SIZE;

/// What the server and the handles share.
pub(crate) struct Shared {
    /// `http://127.0.0.1:<port>`.
    pub(crate) base: String,
    pub(crate) state: Mutex<State>,
}

impl Shared {
    /// The state, also after a panic elsewhere (a poisoned lock is still consistent: every
    /// change is made in one step).
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Expectations, what was received, and what went wrong.
#[derive(Default)]
pub(crate) struct State {
    pub(crate) expectations: Vec<Spec>,
    pub(crate) received: Vec<ReceivedRequest>,
    /// Unmatched requests, panics, broken `$batch` rules: reported by `verify`.
    pub(crate) failures: Vec<String>,
    /// Pages still to serve, by `$skiptoken`.
    pub(crate) pages: HashMap<String, PendingPage>,
    /// Numbers tokens and request ids.
    pub(crate) serial: u64,
    /// Upload sessions, by number (from 1).
    pub(crate) uploads: Vec<SessionState>,
}

impl State {
    pub(crate) fn report(&self) -> Option<String> {
        let mut lines: Vec<String> = self.failures.clone();
        for (i, spec) in self.expectations.iter().enumerate() {
            if let Some(unmet) = spec.unmet() {
                lines.push(format!("expectation #{} {unmet}", i + 1));
            }
        }
        if lines.is_empty() {
            return None;
        }
        let mut out = format!("MockGraph: {} problem(s)\n", lines.len());
        for line in lines {
            out.push_str("- ");
            out.push_str(&line.replace('\n', "\n  "));
            out.push('\n');
        }
        Some(out)
    }

    pub(crate) fn next_serial(&mut self) -> u64 {
        self.serial += 1;
        self.serial
    }
}

/// Accepts connections until the task is aborted (when the mock is dropped).
pub(crate) async fn serve(listener: tokio::net::TcpListener, shared: Arc<Shared>) {
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(_) => {
                // Out of file descriptors or similar: wait a little rather than spin.
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            }
        };
        let shared = shared.clone();
        connections.spawn(async move {
            let service = hyper::service::service_fn(move |req| handle(shared.clone(), req));
            let io = hyper_util::rt::TokioIo::new(stream);
            // A connection error (the client went away) ends this connection only.
            let _ = hyper::server::conn::http1::Builder::new().serve_connection(io, service).await;
        });
        while connections.try_join_next().is_some() {}
    }
}

/// Pages still to serve through `@odata.nextLink`.
#[derive(Clone)]
pub(crate) struct PendingPage {
    pages: Arc<Vec<Vec<Value>>>,
    /// The page this token serves.
    index: usize,
    /// The path and query (without `$skiptoken`) of the request that asked for the first page.
    path: String,
    query: String,
}

async fn handle(
    shared: Arc<Shared>,
    req: hyper::Request<Incoming>,
) -> Result<hyper::Response<Full<Bytes>>, Infallible> {
    let (parts, body) = req.into_parts();
    let body = match body.collect().await {
        Ok(b) => b.to_bytes().to_vec(),
        Err(e) => return Ok(respond(Answer::error(400, "BadRequest", &format!("cannot read the body: {e}")), None)),
    };
    let raw_query = parts.uri.query().unwrap_or("").to_string();
    let request = ReceivedRequest {
        method: parts.method.as_str().to_string(),
        path: parts.uri.path().to_string(),
        query: parse_query(&raw_query),
        headers: parts
            .headers
            .iter()
            .map(|(n, v)| (n.as_str().to_ascii_lowercase(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect(),
        body,
        batch_item: None,
    };
    let client_request_id = request.header("client-request-id").map(str::to_owned);
    let answer = std::panic::catch_unwind(AssertUnwindSafe(|| {
        let mut state = shared.lock();
        answer_request(&mut state, &shared.base, &request, &raw_query)
    }))
    .unwrap_or_else(|panic| {
        let message = panic_message(panic.as_ref());
        let text = format!("a predicate panicked on {}: {message}", request.line());
        shared.lock().failures.push(text.clone());
        Answer::error(500, "MockGraph.Panic", &text)
    });
    Ok(respond(answer, client_request_id))
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(not a string)".to_string())
}

/// A request (not a `$batch` item): auth, then `$batch` or a single answer.
fn answer_request(state: &mut State, base: &str, req: &ReceivedRequest, raw_query: &str) -> Answer {
    if let Some(id) = req.path.strip_prefix(upload::PREFIX) {
        let mut answer = upload_request(state, req, id);
        with_ids(state, &mut answer);
        return answer;
    }
    let bearer =
        req.header("authorization").and_then(|v| v.strip_prefix("Bearer ")).is_some_and(|t| !t.trim().is_empty());
    let mut answer = if !bearer {
        state.received.push(req.clone());
        state.failures.push(format!("{} came without a bearer token (answered 401)", req.line()));
        Answer::error(401, "InvalidAuthenticationToken", "Access token is empty.")
    } else if req.method == "POST"
        && req.path.ends_with("/$batch")
        && !state.expectations.iter().any(|s| s.routes(req) && !s.exhausted())
    {
        // (An expectation of the `$batch` call itself scripts the whole batch's answer.)
        batch(state, base, req)
    } else {
        state.received.push(req.clone());
        single(state, base, req, raw_query)
    };
    with_ids(state, &mut answer);
    answer
}

/// A request to an upload session's URL, which carries its own authorization (a token sent there
/// is answered 401, as Graph does, and reported).
fn upload_request(state: &mut State, req: &ReceivedRequest, id: &str) -> Answer {
    let index = id.parse::<usize>().ok().and_then(|n| n.checked_sub(1)).filter(|i| *i < state.uploads.len());
    let Some(index) = index else {
        return Answer::error(404, "itemNotFound", "The upload session was not found.");
    };
    if req.header("authorization").is_some() {
        state.failures.push(format!(
            "{} sent an `Authorization` header to an upload URL (answered 401, as Graph does: the URL \
             carries its own authorization)",
            req.line()
        ));
        return Answer::error(401, "unauthenticated", "The upload URL takes no token.");
    }
    let (answer, problem) = state.uploads[index].answer(req);
    if let Some(problem) = problem {
        state.failures.push(format!("{}: {problem}", req.line()));
    }
    answer
}

/// Gives an answer its `request-id` (unless scripted).
fn with_ids(state: &mut State, answer: &mut Answer) {
    if !answer.headers.iter().any(|(n, _)| n == "request-id") {
        let serial = state.next_serial();
        answer.headers.push(("request-id".to_string(), format!("6d6f636b-0000-4000-8000-{serial:012x}")));
    }
}

/// The answer to one request, from the expectations.
fn single(state: &mut State, base: &str, req: &ReceivedRequest, raw_query: &str) -> Answer {
    if let Some((_, token)) = req.query.iter().find(|(n, v)| n == "$skiptoken" && v.starts_with("mockgraph-")) {
        return match state.pages.get(token).cloned() {
            Some(pending) => page(state, base, &pending, false),
            None => Answer::error(400, "BadRequest", &format!("unknown $skiptoken `{token}`")),
        };
    }
    // An OData option given twice: Graph's 400 (the request is recorded, the answer is Graph's).
    if let Some(option) = repeated_option(req) {
        state.failures.push(format!("{} gives the query option `{option}` more than once (answered 400)", req.line()));
        let message = format!("Query option '{option}' was specified more than once.");
        return Answer::error(400, "BadRequest", &message);
    }
    // A body the operation cannot take: Graph's 400, naming where.
    if !req.body.is_empty() {
        let typed = state.expectations.iter().filter(|s| s.routes(req)).find_map(|s| s.body_type);
        if let Some(t) = typed {
            if let Err(e) = (t.check)(&req.body) {
                let message = format!("The request body is not a valid `{}`: {e}", short_type(t.name));
                return Answer::error(400, "BadRequest", &message);
            }
        }
    }
    let found = state.expectations.iter().position(|s| !s.exhausted() && s.check(req).is_ok());
    let Some(index) = found else {
        let message = unmatched(state, req);
        state.failures.push(message.clone());
        return Answer::error(501, "MockGraph.UnexpectedRequest", &message);
    };
    let step = match state.expectations[index].next_step() {
        Ok(step) => step,
        Err(e) => {
            state.failures.push(e.clone());
            return Answer::error(500, "MockGraph.NoAnswer", &e);
        }
    };
    answer_step(state, base, req, raw_query, step)
}

/// The first system query option (`$top`, `$filter`...) the request gives twice.
fn repeated_option(req: &ReceivedRequest) -> Option<&str> {
    let mut seen = std::collections::BTreeSet::new();
    req.query.iter().map(|(name, _)| name.as_str()).filter(|n| n.starts_with('$')).find(|n| !seen.insert(*n))
}

/// What a scripted step answers.
fn answer_step(state: &mut State, base: &str, req: &ReceivedRequest, raw_query: &str, step: Step) -> Answer {
    match step.body {
        StepBody::Plain(body) => Answer { status: step.status, headers: step.headers, body },
        StepBody::Pages(pages) => {
            let query = raw_query
                .split('&')
                .filter(|p| !p.is_empty() && !p.starts_with("$skiptoken=") && !p.starts_with("%24skiptoken="))
                .collect::<Vec<_>>()
                .join("&");
            let pending = PendingPage { pages: Arc::new(pages), index: 0, path: req.path.clone(), query };
            let counted = req.query.iter().any(|(n, v)| n == "$count" && v == "true");
            let mut answer = page(state, base, &pending, counted);
            answer.status = step.status;
            answer.headers.extend(step.headers);
            answer
        }
    }
}

/// One page, with the link to the next (registered) and, when asked, the total count.
fn page(state: &mut State, base: &str, pending: &PendingPage, counted: bool) -> Answer {
    let items = pending.pages.get(pending.index).cloned().unwrap_or_default();
    let mut body = serde_json::Map::new();
    if counted {
        let total: usize = pending.pages.iter().map(Vec::len).sum();
        body.insert("@odata.count".to_string(), json!(total));
    }
    body.insert("value".to_string(), Value::Array(items));
    if pending.index + 1 < pending.pages.len() {
        let token = format!("mockgraph-{}-{}", state.next_serial(), pending.index + 1);
        let sep = if pending.query.is_empty() { "" } else { "&" };
        let link = format!("{base}{}?{}{sep}$skiptoken={token}", pending.path, pending.query);
        body.insert("@odata.nextLink".to_string(), Value::String(link));
        state.pages.insert(token, PendingPage { index: pending.index + 1, ..pending.clone() });
    }
    Answer { status: 200, headers: Vec::new(), body: Body::Json(Value::Object(body)) }
}

/// The message for a request no expectation matches: what it was, and the closest expectation.
fn unmatched(state: &State, req: &ReceivedRequest) -> String {
    let mut out = format!("no expectation matches {}", req.line());
    let closest = state
        .expectations
        .iter()
        .map(|s| match s.check(req) {
            Ok(()) => (usize::MAX, s, format!("it already answered its {} call(s) (`times`)", s.calls)),
            Err(m) => (m.score, s, m.reason),
        })
        .max_by_key(|(score, ..)| *score);
    match closest {
        Some((_, spec, reason)) => out.push_str(&format!("\nclosest: {}\n  {reason}", spec.name())),
        None => out.push_str(" (no expectation is registered)"),
    }
    out
}

/// `my_graph_crate::models::AccessPackage` -> `models::AccessPackage`.
fn short_type(name: &str) -> &str {
    match name.rmatch_indices("::").nth(1) {
        Some((i, _)) => &name[i + 2..],
        None => name,
    }
}

/// `POST /<version>/$batch`: Graph's JSON batching rules, each item answered by the expectations.
fn batch(state: &mut State, base: &str, req: &ReceivedRequest) -> Answer {
    let root = req.path.trim_end_matches("/$batch").to_string();
    let items = match batch_items(&req.body) {
        Ok(items) => items,
        Err(e) => {
            state.received.push(req.clone());
            state.failures.push(format!("{} broke Graph's $batch rules (answered 400): {e}", req.line()));
            return Answer::error(400, "BadRequest", &e);
        }
    };
    let authorization = req.header("authorization").unwrap_or_default().to_string();
    let mut statuses: HashMap<String, u16> = HashMap::new();
    let mut responses = Vec::new();
    for i in run_order(&items) {
        let item = &items[i];
        let failed: Vec<&String> =
            item.depends_on.iter().filter(|d| !statuses.get(*d).is_some_and(|s| (200..300).contains(s))).collect();
        let mut answer = if failed.is_empty() {
            let (path, raw_query) = split_raw(&item.url);
            let mut headers: Vec<(String, String)> =
                item.headers.iter().map(|(n, v)| (n.to_ascii_lowercase(), v.clone())).collect();
            headers.push(("authorization".to_string(), authorization.clone()));
            let received = ReceivedRequest {
                method: item.method.clone(),
                path: format!("{root}{path}"),
                query: split_url(&item.url).1,
                headers,
                body: item.body.as_ref().map(|b| serde_json::to_vec(b).unwrap_or_default()).unwrap_or_default(),
                batch_item: Some(item.id.clone()),
            };
            state.received.push(received.clone());
            single(state, base, &received, raw_query)
        } else {
            let names = failed.iter().map(|d| format!("`{d}`")).collect::<Vec<_>>().join(", ");
            Answer::error(424, "FailedDependency", &format!("The request depends on {names}, which failed."))
        };
        with_ids(state, &mut answer);
        statuses.insert(item.id.clone(), answer.status);
        responses.push(item_answer(&item.id, answer));
    }
    // Graph answers in no particular order: not the requests' order here either.
    responses.reverse();
    Answer { status: 200, headers: Vec::new(), body: Body::Json(json!({ "responses": responses })) }
}

/// `(path, raw query)` of a relative URL.
fn split_raw(url: &str) -> (&str, &str) {
    url.split_once('?').unwrap_or((url, ""))
}

/// One `$batch` request, checked.
struct BatchItem {
    id: String,
    method: String,
    url: String,
    headers: BTreeMap<String, String>,
    body: Option<Value>,
    depends_on: Vec<String>,
}

/// The items of a `$batch` body, or the rule it breaks.
fn batch_items(body: &[u8]) -> Result<Vec<BatchItem>, String> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| format!("the $batch body is not JSON ({e}): `{}`", snippet(body)))?;
    let requests = value
        .get("requests")
        .and_then(Value::as_array)
        .ok_or_else(|| "a $batch body is `{\"requests\": [...]}`".to_string())?;
    if requests.is_empty() {
        return Err("the $batch has no requests".to_string());
    }
    if requests.len() > MAX_BATCH {
        return Err(format!("a $batch holds at most {MAX_BATCH} requests; this one has {}", requests.len()));
    }
    let mut items: Vec<BatchItem> = Vec::new();
    for (n, r) in requests.iter().enumerate() {
        let text = |key: &str| r.get(key).and_then(Value::as_str).map(str::to_owned);
        let id = text("id").ok_or_else(|| format!("requests[{n}] has no string `id`"))?;
        if items.iter().any(|i| i.id == id) {
            return Err(format!("requests[{n}]: the id `{id}` is used twice"));
        }
        let method = text("method").ok_or_else(|| format!("requests[{n}] (id `{id}`) has no `method`"))?;
        let url = text("url").ok_or_else(|| format!("requests[{n}] (id `{id}`) has no `url`"))?;
        if !url.starts_with('/') || url.contains("://") {
            return Err(format!("requests[{n}] (id `{id}`): the url `{url}` is not relative to the service root"));
        }
        let mut headers = BTreeMap::new();
        if let Some(h) = r.get("headers") {
            let object =
                h.as_object().ok_or_else(|| format!("requests[{n}] (id `{id}`): `headers` is not an object"))?;
            for (name, v) in object {
                let v = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
                headers.insert(name.clone(), v);
            }
        }
        let body = r.get("body").filter(|b| !b.is_null()).cloned();
        if body.is_some() && !headers.keys().any(|k| k.eq_ignore_ascii_case("content-type")) {
            return Err(format!("requests[{n}] (id `{id}`) has a body but no Content-Type header"));
        }
        let depends_on = match r.get("dependsOn") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(ids)) => ids
                .iter()
                .map(|d| d.as_str().map(str::to_owned).ok_or_else(|| format!("requests[{n}]: dependsOn holds {d}")))
                .collect::<Result<_, _>>()?,
            Some(other) => return Err(format!("requests[{n}] (id `{id}`): dependsOn is {other}, not a list")),
        };
        items.push(BatchItem { id, method, url, headers, body, depends_on });
    }
    for item in &items {
        for d in &item.depends_on {
            if *d == item.id || !items.iter().any(|i| i.id == *d) {
                return Err(format!(
                    "the request `{}` depends on `{d}`, which is not another request of the batch",
                    item.id
                ));
            }
        }
    }
    if run_order(&items).len() < items.len() {
        return Err("the dependsOn of the requests form a cycle".to_string());
    }
    sequential_or_parallel(&items)?;
    Ok(items)
}

/// Graph runs a batch fully in parallel (no request has `dependsOn`) or fully in sequence (one
/// request depends on nothing, every other on exactly one, none is depended on twice), and
/// refuses a mix.
fn sequential_or_parallel(items: &[BatchItem]) -> Result<(), String> {
    if items.iter().all(|i| i.depends_on.is_empty()) {
        return Ok(());
    }
    let mix = "Batch should be either fully sequential or fully parallel";
    let starts: Vec<&str> = items.iter().filter(|i| i.depends_on.is_empty()).map(|i| i.id.as_str()).collect();
    if starts.len() > 1 {
        return Err(format!("{mix}: the requests {} depend on nothing, the others on one", quoted(&starts)));
    }
    let mut depended_on: BTreeMap<&str, &str> = BTreeMap::new();
    for item in items {
        if item.depends_on.len() > 1 {
            return Err(format!(
                "{mix}: the request `{}` depends on {}; in a sequence each depends on the one before it",
                item.id,
                quoted(&item.depends_on.iter().map(String::as_str).collect::<Vec<_>>())
            ));
        }
        if let Some(d) = item.depends_on.first() {
            if let Some(other) = depended_on.insert(d, &item.id) {
                return Err(format!("{mix}: the requests `{other}` and `{}` both depend on `{d}`", item.id));
            }
        }
    }
    Ok(())
}

/// `a`, `b` -> "`a`, `b`".
fn quoted(ids: &[&str]) -> String {
    ids.iter().map(|d| format!("`{d}`")).collect::<Vec<_>>().join(", ")
}

/// The items in the order they run: each after what it depends on, otherwise in request order.
/// Items in a cycle are left out.
fn run_order(items: &[BatchItem]) -> Vec<usize> {
    let mut done: Vec<usize> = Vec::new();
    loop {
        let ready = (0..items.len()).find(|i| {
            !done.contains(i) && items[*i].depends_on.iter().all(|d| done.iter().any(|j| items[*j].id == *d))
        });
        match ready {
            Some(i) => done.push(i),
            None => return done,
        }
    }
}

/// One entry of `responses`: a JSON body as JSON, a text body base64-encoded (as Graph does).
fn item_answer(id: &str, answer: Answer) -> Value {
    let mut headers = serde_json::Map::new();
    for (name, value) in &answer.headers {
        headers.insert(name.clone(), Value::String(value.clone()));
    }
    let body = match answer.body {
        Body::Empty => None,
        Body::Json(v) => {
            headers.insert("content-type".to_string(), json!("application/json"));
            Some(v)
        }
        Body::Text(t) => {
            use base64::Engine as _;
            headers.insert("content-type".to_string(), json!("text/plain"));
            Some(Value::String(base64::engine::general_purpose::STANDARD.encode(t)))
        }
        Body::Bytes { content_type, bytes } => {
            use base64::Engine as _;
            headers.insert("content-type".to_string(), json!(content_type));
            Some(Value::String(base64::engine::general_purpose::STANDARD.encode(bytes)))
        }
    };
    let mut out = json!({"id": id, "status": answer.status, "headers": headers});
    if let Some(body) = body {
        out["body"] = body;
    }
    out
}

/// The HTTP response of an answer.
fn respond(answer: Answer, client_request_id: Option<String>) -> hyper::Response<Full<Bytes>> {
    let (content_type, bytes) = match answer.body {
        Body::Empty => (None, Vec::new()),
        Body::Json(v) => (Some("application/json".to_string()), serde_json::to_vec(&v).unwrap_or_default()),
        Body::Text(t) => (Some("text/plain".to_string()), t.into_bytes()),
        Body::Bytes { content_type, bytes } => (Some(content_type), bytes),
    };
    let mut builder = hyper::Response::builder().status(answer.status);
    if let Some(ct) = content_type {
        builder = builder.header("content-type", ct.as_str());
    }
    if let Some(id) = client_request_id {
        builder = builder.header("client-request-id", id);
    }
    for (name, value) in &answer.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    builder.body(Full::new(Bytes::from(bytes))).unwrap_or_else(|e| {
        let mut response = hyper::Response::new(Full::new(Bytes::from(format!(
            "MockGraph: a scripted answer is not valid HTTP: {e}"
        ))));
        *response.status_mut() = hyper::StatusCode::INTERNAL_SERVER_ERROR;
        response
    })
}

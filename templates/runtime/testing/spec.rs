//! What an expectation is, as the server keeps it: the request it was written with, how a
//! received request is matched against it (and how close a mismatch came), and its scripted
//! answers. A leaf: the rest of the kit and the runtime's `Request` build on it.

use std::any::TypeId;
use std::panic::Location;
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// The bearer token of the mock's delegated clients (`MockGraph::client`).
pub const DELEGATED_TOKEN: &str = "mockgraph-delegated-token";

/// The bearer token of the mock's app-only clients (`MockGraph::app_only_client`).
pub const APP_ONLY_TOKEN: &str = "mockgraph-app-only-token";

/// A path argument that matches any value in an expectation, e.g.
/// `graph.expect(packages.by_id(ANY).get())` answers a `get` of any package.
pub const ANY: &str = "{any}";

/// An operation's body type, recorded by the generated operations: the server answers `400` to a
/// body that does not decode as it, and [`Expectation::body_where`](super::Expectation::body_where) checks its closure reads it.
#[derive(Clone, Copy)]
pub(crate) struct BodyType {
    pub(crate) name: &'static str,
    pub(crate) id: TypeId,
    /// Decodes a body; an error names the JSON path.
    pub(crate) check: fn(&[u8]) -> Result<(), String>,
}

impl BodyType {
    pub(crate) fn of<B: DeserializeOwned + 'static>() -> BodyType {
        BodyType { name: std::any::type_name::<B>(), id: TypeId::of::<B>(), check: check_body::<B> }
    }
}

fn check_body<B: DeserializeOwned>(body: &[u8]) -> Result<(), String> {
    match super::super::json_path::from_slice::<B>(body) {
        Ok(_) => Ok(()),
        Err((path, e)) => Err(format!("at `{path}`: {e}")),
    }
}

/// What an expectation keeps of the request it was written with.
pub(crate) struct MockParts {
    pub(crate) url: String,
    pub(crate) method: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Option<Vec<u8>>,
    pub(crate) body_type: Option<BodyType>,
    pub(crate) template: Option<&'static str>,
}

/// A request as the mock received it (a `$batch` item is one too).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ReceivedRequest {
    /// `GET`, `POST`...
    pub method: String,
    /// The path, from the server's root and percent-encoded as sent, e.g.
    /// `/v1.0/groups/a%2Fb/members`.
    pub path: String,
    /// The query options, decoded, in order (`("$filter", "displayName eq 'x'")`).
    pub query: Vec<(String, String)>,
    /// The headers (names in lower case); a `$batch` item has its own and the batch's
    /// `authorization`.
    pub headers: Vec<(String, String)>,
    /// The body as sent (empty when there is none).
    pub body: Vec<u8>,
    /// The item's `id` when the request came in a `$batch`.
    pub batch_item: Option<String>,
}

impl ReceivedRequest {
    /// A header's value (the name in any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The body as JSON, when it is JSON.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// The body decoded as `T` (e.g. the operation's body type).
    ///
    /// # Errors
    /// When the body is not a `T`.
    pub fn body_as<T: DeserializeOwned>(&self) -> serde_json::Result<T> {
        serde_json::from_slice(&self.body)
    }

    /// The consent of the mock client that sent it: `delegated`, `app-only`, or `None` for
    /// another token.
    pub fn consent(&self) -> Option<&'static str> {
        match self.header("authorization")?.strip_prefix("Bearer ")? {
            DELEGATED_TOKEN => Some("delegated"),
            APP_ONLY_TOKEN => Some("app-only"),
            _ => None,
        }
    }

    /// `METHOD /path?query`, for messages.
    pub(crate) fn line(&self) -> String {
        let mut out = format!("{} {}", self.method, self.path);
        if !self.query.is_empty() {
            out.push('?');
            out.push_str(&query_text(&self.query));
        }
        if let Some(id) = &self.batch_item {
            out.push_str(&format!(" ($batch item {id})"));
        }
        out
    }
}

/// A Graph error to answer with: [`Expectation::fail`](super::Expectation::fail).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MockError {
    /// The HTTP status.
    pub status: u16,
    /// The Graph error code (`error.code`).
    pub code: String,
    /// The message (`error.message`).
    pub message: String,
    /// The `request-id` (a fresh one when `None`).
    pub request_id: Option<String>,
    /// The `Retry-After` header, in whole seconds.
    pub retry_after: Option<Duration>,
}

impl MockError {
    /// A Graph error with this status, code and message.
    pub fn new(status: u16, code: impl Into<String>, message: impl Into<String>) -> MockError {
        MockError { status, code: code.into(), message: message.into(), request_id: None, retry_after: None }
    }

    /// `429 TooManyRequests` with `Retry-After` (Graph's throttling answer).
    pub fn throttled(retry_after: Duration) -> MockError {
        MockError::new(429, "TooManyRequests", "Too many requests.").retry_after(retry_after)
    }

    /// `503 ServiceUnavailable`.
    pub fn unavailable() -> MockError {
        MockError::new(503, "ServiceUnavailable", "The service is temporarily unavailable.")
    }

    /// `404 ResourceNotFound`.
    pub fn not_found(message: impl Into<String>) -> MockError {
        MockError::new(404, "ResourceNotFound", message)
    }

    /// `403 Authorization_RequestDenied` (the permission or role is missing).
    pub fn forbidden() -> MockError {
        MockError::new(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
    }

    /// `400 BadRequest`.
    pub fn bad_request(message: impl Into<String>) -> MockError {
        MockError::new(400, "BadRequest", message)
    }

    /// `409 Conflict`.
    pub fn conflict(message: impl Into<String>) -> MockError {
        MockError::new(409, "Conflict", message)
    }

    /// With this `request-id` (header and `innerError`).
    pub fn request_id(mut self, id: impl Into<String>) -> MockError {
        self.request_id = Some(id.into());
        self
    }

    /// With this `Retry-After` (sent in whole seconds, rounded up).
    pub fn retry_after(mut self, after: Duration) -> MockError {
        self.retry_after = Some(after);
        self
    }
}

/// An answer: status, headers, body.
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Body,
}

impl Answer {
    pub(crate) fn error(status: u16, code: &str, message: &str) -> Answer {
        let body = json!({"error": {"code": code, "message": message}});
        Answer { status, headers: Vec::new(), body: Body::Json(body) }
    }
}

/// An answer's body.
#[doc(hidden)]
#[derive(Debug, Clone)]
pub enum Body {
    /// No body.
    Empty,
    /// JSON.
    Json(Value),
    /// `text/plain` (`$count`).
    Text(String),
    /// Bytes of a media type (a download).
    Bytes {
        /// The `Content-Type`.
        content_type: String,
        /// The body.
        bytes: Vec<u8>,
    },
}

/// One scripted answer.
#[derive(Debug, Clone)]
pub(crate) struct Step {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: StepBody,
}

#[derive(Debug, Clone)]
pub(crate) enum StepBody {
    Plain(Body),
    /// Pages of items: the first answers, the others are served through `@odata.nextLink`.
    Pages(Vec<Vec<Value>>),
}

impl Step {
    pub(crate) fn error(e: &MockError) -> Step {
        let mut headers = Vec::new();
        if let Some(after) = e.retry_after {
            let secs = after.as_secs() + u64::from(after.subsec_nanos() > 0);
            headers.push(("retry-after".to_string(), secs.to_string()));
        }
        if let Some(id) = &e.request_id {
            headers.push(("request-id".to_string(), id.clone()));
        }
        let body = serde_json::json!({"error": {"code": e.code, "message": e.message}});
        Step { status: e.status, headers, body: StepBody::Plain(Body::Json(body)) }
    }
}

pub(crate) type BodyPredicate = Arc<dyn Fn(&[u8]) -> Result<bool, String> + Send + Sync>;
type RequestPredicate = Arc<dyn Fn(&ReceivedRequest) -> bool + Send + Sync>;

/// How the body is matched.
#[derive(Clone)]
pub(crate) enum BodyMatch {
    /// The request had no body: any is accepted.
    Unchecked,
    /// Equal as JSON.
    Exact(Value),
    /// Equal byte for byte (an upload).
    Bytes(Vec<u8>),
    /// Any body.
    Any,
    /// The body decodes and the predicate holds.
    Where(BodyPredicate),
}

/// An expectation as the server keeps it.
pub(crate) struct Spec {
    location: &'static Location<'static>,
    consent: &'static str,
    method: String,
    /// The path's segments, percent-decoded (`ANY` matches any one).
    segments: Vec<String>,
    /// `METHOD /path?query`, for messages.
    pub(crate) line: String,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    pub(crate) body: BodyMatch,
    pub(crate) body_type: Option<BodyType>,
    /// A create (a POST whose body and answer are the same type): answered `201` by default.
    pub(crate) created: bool,
    pub(crate) predicates: Vec<RequestPredicate>,
    pub(crate) times: Option<usize>,
    pub(crate) steps: Vec<Step>,
    no_reply: Option<Step>,
    pub(crate) calls: usize,
}

/// Why a request does not match a spec, and how close it came (more is closer).
pub(crate) struct Mismatch {
    pub(crate) score: usize,
    pub(crate) reason: String,
}

impl Spec {
    /// The expectation of the request `parts` (on the mock at `base`) from a `consent` client,
    /// written at `location`. `answer_type` is the type a `Json<T>` answers with (a POST whose
    /// body is of that type is a create, answered `201`); `no_reply` answers when nothing is
    /// scripted.
    ///
    /// # Panics
    /// When the request does not go to the mock.
    pub(crate) fn new(
        parts: MockParts,
        base: &str,
        consent: &'static str,
        location: &'static Location<'static>,
        answer_type: Option<TypeId>,
        no_reply: Option<(u16, Body)>,
    ) -> Spec {
        let url = parts.url.strip_prefix(base).unwrap_or_else(|| {
            panic!(
                "MockGraph: the expected request at {location} goes to `{}`, not to this mock ({}): \
                 build it with a client of `graph.client()` or `graph.app_only_client()`",
                parts.url, base
            )
        });
        let (path, query) = split_url(url);
        let body = match &parts.body {
            None => BodyMatch::Unchecked,
            // A byte body (an upload, with its `Content-Type` among the headers) is matched byte
            // for byte; a JSON one as JSON.
            Some(bytes) if parts.headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("content-type")) => {
                BodyMatch::Bytes(bytes.clone())
            }
            Some(bytes) => match serde_json::from_slice(bytes) {
                Ok(v) => BodyMatch::Exact(v),
                Err(_) => BodyMatch::Any,
            },
        };
        let created = parts.method == "POST" && parts.body_type.is_some_and(|b| Some(b.id) == answer_type);
        let mut line = format!("{} {path}", parts.method);
        if !query.is_empty() {
            line.push('?');
            line.push_str(&query_text(&query));
        }
        // The operation's path template, when the path does not show it (ids in it).
        if let Some(template) = parts.template.filter(|t| !path.ends_with(t)) {
            line.push_str(&format!(" [{template}]"));
        }
        Spec {
            location,
            consent,
            segments: segments(path),
            line,
            method: parts.method,
            query,
            headers: parts.headers,
            body,
            body_type: parts.body_type,
            created,
            predicates: Vec::new(),
            times: None,
            steps: Vec::new(),
            no_reply: no_reply.map(|(status, body)| Step { status, headers: Vec::new(), body: StepBody::Plain(body) }),
            calls: 0,
        }
    }

    /// `Ok` when `req` matches (times not counted), else how close it came.
    pub(crate) fn check(&self, req: &ReceivedRequest) -> Result<(), Mismatch> {
        let mut score = 0;
        let miss = |score: usize, reason: String| Err(Mismatch { score, reason });
        if req.method != self.method {
            return miss(score, format!("method: expected {}, got {}", self.method, req.method));
        }
        score += 1;
        let got = segments(&req.path);
        let same = self.segments.iter().zip(&got).take_while(|(e, g)| e.as_str() == ANY || e == g).count();
        if same != self.segments.len() || got.len() != self.segments.len() {
            return miss(score + same, format!("path: expected {}, got {}", self.path_text(), req.path));
        }
        score += 1 + same;
        if let Some(consent) = req.consent() {
            if consent != self.consent {
                return miss(score, format!("consent: expected {}, got {consent}", self.consent));
            }
        }
        score += 1;
        for (name, value) in &self.query {
            if !req.query.iter().any(|(n, v)| n == name && v == value) {
                let got = req.query.iter().filter(|(n, _)| n == name).map(|(_, v)| v.as_str()).collect::<Vec<_>>();
                let got = if got.is_empty() { "none".to_string() } else { format!("`{}`", got.join("`, `")) };
                return miss(score, format!("query: expected {name}=`{value}`, got {got}"));
            }
        }
        score += 1;
        for (name, value) in &self.headers {
            if req.header(name) != Some(value.as_str()) {
                let got = req.header(name).map_or_else(|| "none".to_string(), |v| format!("`{v}`"));
                return miss(score, format!("header: expected {name}: `{value}`, got {got}"));
            }
        }
        score += 1;
        match &self.body {
            BodyMatch::Unchecked | BodyMatch::Any => {}
            BodyMatch::Exact(expected) => match serde_json::from_slice::<Value>(&req.body) {
                Ok(got) => {
                    if let Some(diff) = json_diff(expected, &got, "") {
                        return miss(score, format!("body: {diff}"));
                    }
                }
                Err(e) => {
                    return miss(
                        score,
                        format!("body: expected JSON, got `{}` ({e})", super::super::error::snippet(&req.body)),
                    );
                }
            },
            BodyMatch::Bytes(expected) => {
                if *expected != req.body {
                    return miss(
                        score,
                        format!(
                            "body: expected {} bytes `{}`, got {} bytes `{}`",
                            expected.len(),
                            super::super::error::snippet(expected),
                            req.body.len(),
                            super::super::error::snippet(&req.body)
                        ),
                    );
                }
            }
            BodyMatch::Where(predicate) => match predicate(&req.body) {
                Ok(true) => {}
                Ok(false) => return miss(score, "body: the `body_where` predicate returned false".to_string()),
                Err(e) => return miss(score, format!("body: {e}")),
            },
        }
        score += 1;
        for (i, predicate) in self.predicates.iter().enumerate() {
            if !predicate(req) {
                return miss(score, format!("the `matching` predicate #{} returned false", i + 1));
            }
        }
        Ok(())
    }

    /// Whether a request with this method and path would be this expectation's.
    pub(crate) fn routes(&self, req: &ReceivedRequest) -> bool {
        let got = segments(&req.path);
        req.method == self.method
            && got.len() == self.segments.len()
            && self.segments.iter().zip(&got).all(|(e, g)| e.as_str() == ANY || e == g)
    }

    /// Whether it already answered as many calls as `times` allows.
    pub(crate) fn exhausted(&self) -> bool {
        self.times.is_some_and(|n| self.calls >= n)
    }

    /// The answer to the next call (counted), or why there is none.
    pub(crate) fn next_step(&mut self) -> Result<Step, String> {
        self.calls += 1;
        let step = match self.steps.get(self.calls - 1).or_else(|| self.steps.last()) {
            Some(step) => step.clone(),
            None => match &self.no_reply {
                Some(step) => step.clone(),
                None => return Err(format!("{} has no answer: add `.respond(..)` or `.fail(..)`", self.name())),
            },
        };
        Ok(step)
    }

    /// `expectation (src/x.rs:12) GET /v1.0/...`.
    pub(crate) fn name(&self) -> String {
        format!("the expectation at {} ({})", self.location, self.line)
    }

    /// Why it is not met, if it is not.
    pub(crate) fn unmet(&self) -> Option<String> {
        let wanted = match self.times {
            Some(n) => n,
            None => self.steps.len().max(1),
        };
        let at_least = if self.times.is_some() { "" } else { "at least " };
        (self.calls < wanted).then(|| {
            format!(
                "at {} was not met: {} expected {at_least}{wanted} time(s), called {}",
                self.location, self.line, self.calls
            )
        })
    }

    fn path_text(&self) -> String {
        self.line.split_whitespace().nth(1).unwrap_or_default().split('?').next().unwrap_or_default().to_string()
    }
}

/// The percent-decoded segments of a path.
pub(crate) fn segments(path: &str) -> Vec<String> {
    path.split('/').filter(|s| !s.is_empty()).map(percent_decode).collect()
}

/// `(path, decoded query)` of `/path?query`.
pub(crate) fn split_url(url: &str) -> (&str, Vec<(String, String)>) {
    match url.split_once('?') {
        Some((path, query)) => (path, parse_query(query)),
        None => (url, Vec::new()),
    }
}

pub(crate) fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((n, v)) => (percent_decode(n), percent_decode(v)),
            None => (percent_decode(pair), String::new()),
        })
        .collect()
}

fn query_text(query: &[(String, String)]) -> String {
    query.iter().map(|(n, v)| format!("{n}={v}")).collect::<Vec<_>>().join("&")
}

pub(crate) fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The first difference between two JSON values, as `at `path`: expected X, got Y`.
pub(crate) fn json_diff(expected: &Value, got: &Value, path: &str) -> Option<String> {
    let here = if path.is_empty() { ".".to_string() } else { path.to_string() };
    match (expected, got) {
        (Value::Object(e), Value::Object(g)) => {
            for (key, ev) in e {
                let child = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
                match g.get(key) {
                    Some(gv) => {
                        if let Some(d) = json_diff(ev, gv, &child) {
                            return Some(d);
                        }
                    }
                    None => return Some(format!("at `{child}`: expected {ev}, got nothing")),
                }
            }
            g.keys()
                .find(|k| !e.contains_key(*k))
                .map(|k| format!("at `{here}`: unexpected property `{k}` ({})", g[k.as_str()]))
        }
        (Value::Array(e), Value::Array(g)) if e.len() == g.len() => {
            e.iter().zip(g).enumerate().find_map(|(i, (ev, gv))| json_diff(ev, gv, &format!("{path}[{i}]")))
        }
        _ if expected == got => None,
        _ => Some(format!("at `{here}`: expected {expected}, got {got}")),
    }
}

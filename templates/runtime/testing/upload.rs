//! Upload sessions of the mock server ([`MockUploadSession`]): an `uploadUrl` that takes the
//! fragments of a large upload as Graph's sessions do, for tests of code that uploads.

use std::collections::VecDeque;
use std::sync::Arc;

use serde_json::{Value, json};

use super::server::{Answer, Shared, State};
use super::spec::{Body, MockError, ReceivedRequest, Step, StepBody};

/// Where the server's upload sessions are.
pub(crate) const PREFIX: &str = "/mockgraph/upload/";

/// The 320 KiB every fragment but the last is a multiple of.
const UNIT: usize = 327_680;

/// The most one fragment may carry (60 MiB).
const MAX_FRAGMENT: usize = 192 * UNIT;

/// One session on the server.
#[derive(Default)]
pub(crate) struct SessionState {
    /// The file, by position; empty until the first fragment says its size.
    bytes: Vec<Option<u8>>,
    /// The `Content-Range` of each fragment, in order.
    fragments: Vec<String>,
    /// Errors to answer the next fragments with, in order.
    faults: VecDeque<MockError>,
    /// The body of the last fragment's `201`; `None`: a drive item of the file's size.
    item: Option<Value>,
    cancelled: bool,
    completed: bool,
}

impl SessionState {
    /// The missing ranges, `(start, end exclusive)`; everything before the first fragment.
    fn missing(&self) -> Vec<(usize, usize)> {
        let mut ranges = Vec::new();
        let mut i = 0;
        while i < self.bytes.len() {
            let start = i;
            while i < self.bytes.len() && self.bytes[i].is_none() {
                i += 1;
            }
            if i > start {
                ranges.push((start, i));
            }
            i += 1;
        }
        ranges
    }

    /// The session's JSON, as `GET` and a `202` answer it.
    fn status(&self) -> Value {
        let size = self.bytes.len();
        let ranges: Vec<String> = if size == 0 {
            vec!["0-".to_owned()]
        } else {
            self.missing()
                .into_iter()
                .map(|(start, end)| if end == size { format!("{start}-") } else { format!("{start}-{}", end - 1) })
                .collect()
        };
        let expires = chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now()) + chrono::Duration::hours(1);
        json!({
            "expirationDateTime": expires.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "nextExpectedRanges": ranges,
        })
    }
}

fn json_answer(status: u16, body: Value) -> Answer {
    Answer { status, headers: Vec::new(), body: Body::Json(body) }
}

fn error_answer(error: &MockError) -> Answer {
    let step = Step::error(error);
    let body = match step.body {
        StepBody::Plain(body) => body,
        StepBody::Pages(_) => Body::Empty,
    };
    Answer { status: step.status, headers: step.headers, body }
}

/// The answer to a request to an upload URL; `None` when `req` is not one.
pub(crate) fn answer(state: &mut State, req: &ReceivedRequest) -> Option<Answer> {
    let id = req.path.strip_prefix(PREFIX)?;
    let index = id.parse::<usize>().ok().and_then(|n| n.checked_sub(1)).filter(|i| *i < state.uploads.len());
    let Some(index) = index else {
        return Some(Answer::error(404, "itemNotFound", "The upload session was not found."));
    };
    if req.header("authorization").is_some() {
        state.failures.push(format!(
            "{} sent an `Authorization` header to an upload URL (answered 401, as Graph does: the URL \
             carries its own authorization)",
            req.line()
        ));
        return Some(Answer::error(401, "unauthenticated", "The upload URL takes no token."));
    }
    let session = &mut state.uploads[index];
    if session.cancelled || session.completed {
        return Some(Answer::error(404, "itemNotFound", "The upload session was not found."));
    }
    let (answer, problem) = match req.method.as_str() {
        "GET" => (json_answer(200, session.status()), None),
        "DELETE" => {
            session.cancelled = true;
            (Answer { status: 204, headers: Vec::new(), body: Body::Empty }, None)
        }
        "PUT" => match fragment(session, req) {
            Ok(answer) => (answer, None),
            Err(problem) => (Answer::error(400, "invalidRequest", &problem), Some(problem)),
        },
        other => {
            let message = format!("an upload URL takes PUT, GET or DELETE, not {other}");
            (Answer::error(405, "methodNotAllowed", &message), None)
        }
    };
    if let Some(problem) = problem {
        state.failures.push(format!("{}: {problem}", req.line()));
    }
    Some(answer)
}

/// A fragment: kept, or refused as Graph refuses it.
fn fragment(session: &mut SessionState, req: &ReceivedRequest) -> Result<Answer, String> {
    let range = req.header("content-range").ok_or("a fragment without `Content-Range`")?;
    session.fragments.push(range.to_owned());
    let parsed = range.strip_prefix("bytes ").and_then(|rest| {
        let (span, total) = rest.split_once('/')?;
        let (start, end) = span.split_once('-')?;
        Some((start.parse::<usize>().ok()?, end.parse::<usize>().ok()?, total.parse::<usize>().ok()?))
    });
    let Some((start, end, total)) = parsed.filter(|(start, end, total)| start <= end && end < total) else {
        return Err(format!("`Content-Range: {range}` is not `bytes start-end/size`"));
    };
    let len = end - start + 1;
    if req.body.len() != len {
        return Err(format!("`Content-Range: {range}` says {len} bytes; the body has {}", req.body.len()));
    }
    if session.bytes.is_empty() {
        session.bytes = vec![None; total];
    } else if session.bytes.len() != total {
        return Err(format!(
            "`Content-Range: {range}` says the file has {total} bytes; earlier fragments said {}",
            session.bytes.len()
        ));
    }
    if len > MAX_FRAGMENT || (end + 1 < total && len % UNIT != 0) {
        return Err(format!(
            "a fragment of {len} bytes: each but the last must be a multiple of 320 KiB (327,680 bytes), \
             at most 60 MiB"
        ));
    }
    if let Some(error) = session.faults.pop_front() {
        return Ok(error_answer(&error));
    }
    // In order: a fragment starts where the first missing range does (else Graph answers 416).
    if session.missing().first().map(|(first, _)| *first) != Some(start) {
        return Ok(Answer::error(416, "invalidRange", "The fragment does not start at the next expected byte."));
    }
    for (slot, byte) in session.bytes[start..=end].iter_mut().zip(&req.body) {
        *slot = Some(*byte);
    }
    if !session.missing().is_empty() {
        return Ok(json_answer(202, session.status()));
    }
    session.completed = true;
    let item = session.item.clone().unwrap_or_else(|| json!({"id": "mock-upload-item", "size": total}));
    Ok(json_answer(201, item))
}

/// An upload session of a [`MockServer`](super::MockServer), from
/// [`upload_session`](super::MockServer::upload_session): its [`url`](Self::url) is what the
/// code under test gets as a session's `uploadUrl` (answer `createUploadSession` with it), and
/// takes fragments as Graph's sessions do:
///
/// - `PUT` with `Content-Range: bytes start-end/size`: kept, and answered `202` with
///   `nextExpectedRanges` while bytes are missing, `201` with the item (see
///   [`completes_with`](Self::completes_with)) once every byte is there; `416` for a fragment
///   that does not start at the first missing byte;
/// - `GET`: the session's `nextExpectedRanges` and `expirationDateTime`; `DELETE`: cancelled;
/// - after completion or cancellation, `404`.
///
/// A token sent to the URL (Graph answers 401), a fragment whose body is not its range, or one
/// that is not a multiple of 320 KiB (but the last) is answered with an error and recorded for
/// [`verify`](super::MockServer::verify). Fragments are not listed in
/// [`received`](super::MockServer::received); [`fragments`](Self::fragments) lists them.
#[derive(Clone)]
pub struct MockUploadSession {
    shared: Arc<Shared>,
    index: usize,
    url: String,
}

impl std::fmt::Debug for MockUploadSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockUploadSession").field("url", &self.url).finish_non_exhaustive()
    }
}

impl MockUploadSession {
    pub(crate) fn register(shared: Arc<Shared>) -> MockUploadSession {
        let (index, url) = {
            let mut state = shared.lock();
            state.uploads.push(SessionState::default());
            let index = state.uploads.len() - 1;
            (index, format!("{}{PREFIX}{}?tempauth=mock", shared.base, index + 1))
        };
        MockUploadSession { shared, index, url }
    }

    /// The session's `uploadUrl`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Answers the next fragment with `error` (nothing of it kept), then the one after normally:
    /// a failure the code under test must get past (e.g. [`MockError::unavailable`]).
    pub fn fail_next(&self, error: MockError) -> &Self {
        self.shared.lock().uploads[self.index].faults.push_back(error);
        self
    }

    /// The body of the `201` that answers the last fragment (a drive item of your own); by
    /// default `{"id": "mock-upload-item", "size": <the file's size>}`.
    pub fn completes_with(&self, item: Value) -> &Self {
        self.shared.lock().uploads[self.index].item = Some(item);
        self
    }

    /// The file, once the session holds every byte; `None` before.
    pub fn content(&self) -> Option<Vec<u8>> {
        let state = self.shared.lock();
        let bytes = &state.uploads[self.index].bytes;
        if bytes.is_empty() {
            return None;
        }
        bytes.iter().copied().collect()
    }

    /// The `Content-Range` of each fragment received, in order.
    pub fn fragments(&self) -> Vec<String> {
        self.shared.lock().uploads[self.index].fragments.clone()
    }

    /// Whether the session was cancelled (a `DELETE` of its URL).
    pub fn is_cancelled(&self) -> bool {
        self.shared.lock().uploads[self.index].cancelled
    }
}

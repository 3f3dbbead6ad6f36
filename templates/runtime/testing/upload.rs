//! Upload sessions of the mock server, as the server keeps them: an `uploadUrl` that takes the
//! fragments of a large upload as Graph's sessions do (the handle is `MockUploadSession`).

use std::collections::VecDeque;

use serde_json::{Value, json};

use super::spec::{Answer, Body, MockError, ReceivedRequest, Step, StepBody};

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

impl SessionState {
    /// The answer to a request to the session's URL (its token already checked), and what in it
    /// breaks Graph's protocol, if anything, for `verify`.
    pub(crate) fn answer(&mut self, req: &ReceivedRequest) -> (Answer, Option<String>) {
        if self.cancelled || self.completed {
            return (Answer::error(404, "itemNotFound", "The upload session was not found."), None);
        }
        match req.method.as_str() {
            "GET" => (json_answer(200, self.status()), None),
            "DELETE" => {
                self.cancelled = true;
                (Answer { status: 204, headers: Vec::new(), body: Body::Empty }, None)
            }
            "PUT" => match fragment(self, req) {
                Ok(answer) => (answer, None),
                Err(problem) => (Answer::error(400, "invalidRequest", &problem), Some(problem)),
            },
            other => {
                let message = format!("an upload URL takes PUT, GET or DELETE, not {other}");
                (Answer::error(405, "methodNotAllowed", &message), None)
            }
        }
    }

    /// Answers the next fragment with `error`, keeping nothing of it.
    pub(crate) fn fail_next(&mut self, error: MockError) {
        self.faults.push_back(error);
    }

    /// The body of the last fragment's `201`.
    pub(crate) fn completes_with(&mut self, item: Value) {
        self.item = Some(item);
    }

    /// The file, once every byte is there.
    pub(crate) fn content(&self) -> Option<Vec<u8>> {
        if self.bytes.is_empty() {
            return None;
        }
        self.bytes.iter().copied().collect()
    }

    /// The `Content-Range` of each fragment received.
    pub(crate) fn fragments(&self) -> &[String] {
        &self.fragments
    }

    /// Whether the session was cancelled.
    pub(crate) fn is_cancelled(&self) -> bool {
        self.cancelled
    }
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

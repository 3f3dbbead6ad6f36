use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

use super::permissions::{ApiInfo, ConsentType, RequiredPermission};
use super::retry::GaveUp;

/// The result of every client call.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything a call can fail with.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// Graph answered with an error status.
    Graph {
        /// The HTTP status.
        status: u16,
        /// The parsed Graph error, when the body was one.
        error: Option<Box<GraphError>>,
        /// The start of the raw body.
        body: String,
        /// What the response's headers said (request ids, `Retry-After`), and why it was not
        /// retried when it could have been.
        details: Box<ErrorDetails>,
    },
    /// The request could not be sent or the response not read.
    #[non_exhaustive]
    Transport {
        /// What reqwest reported.
        source: reqwest::Error,
        /// The `client-request-id` the request was sent with.
        client_request_id: Option<String>,
    },
    /// A success response whose body is not what the operation returns.
    Decode {
        /// The HTTP status.
        status: u16,
        /// Where in the body decoding failed, as a JSON path (`value[3].schedule.expiration`;
        /// `.` for the body itself).
        path: String,
        /// What serde_json reported.
        source: serde_json::Error,
        /// The start of the raw body.
        body: String,
    },
    /// A request body could not be serialized.
    Encode(serde_json::Error),
    /// The token provider failed.
    Auth(String),
    /// An argument cannot be used (for example a base URL that is not http(s)).
    InvalidArgument(String),
    /// TLS cannot be set up: no TLS feature is enabled for an `https` URL, or the platform's
    /// certificate store cannot be read.
    Tls(String),
    /// A page's `@odata.nextLink` points to another host; it is not followed (the token would
    /// go there).
    ForeignNextLink {
        /// The link.
        url: String,
    },
    /// The response body is larger than the client's limit
    /// ([`ClientBuilder::max_response_bytes`](crate::ClientBuilder::max_response_bytes)).
    ResponseTooLarge {
        /// The HTTP status.
        status: u16,
        /// The limit, in bytes.
        limit: usize,
    },
    /// A page's `@odata.nextLink` was already followed: paging would never end.
    PagingLoop {
        /// The repeated link.
        url: String,
    },
    /// The `$batch` call that carried this request failed as a whole (every item it carried has
    /// this error): the response was an error, could not be read, or is not a batch response.
    BatchFailed {
        /// What failed, shared by the batch's items.
        error: Arc<Error>,
    },
    /// The `$batch` response has no answer for this request: it may or may not have run.
    BatchItemMissing {
        /// The item's id in the batch (its position, as added).
        id: String,
        /// The `request-id` of the `$batch` response.
        request_id: Option<String>,
    },
    /// Reading what an [`Upload`](crate::Upload) sends failed (its reader).
    Io(std::io::Error),
    /// An upload session answered in a way an [`Upload`](crate::Upload) cannot go on from (it
    /// lacks bytes past the end of the source, or took a fragment without holding more).
    Upload(String),
    /// A `wait_until_*` saw its property reach a failure value (e.g. a request's `deliveryFailed`).
    #[non_exhaustive]
    WaitFailed {
        /// The waiter (`settled` for `wait_until_settled`).
        waiter: &'static str,
        /// The failure value (e.g. `deliveryFailed`).
        state: String,
        /// The object as last read, as JSON (decode it with `serde_json::from_value`).
        entity: Box<serde_json::Value>,
        /// Graph's `request-id` of the last read.
        request_id: Option<String>,
        /// How many reads it took.
        polls: u32,
    },
    /// A `wait_until_*` reached its deadline before the property reached an end value.
    #[non_exhaustive]
    WaitTimedOut {
        /// The waiter.
        waiter: &'static str,
        /// The property's value at the last read, if it had one.
        last_state: Option<String>,
        /// How many reads it took.
        polls: u32,
        /// How long it waited.
        elapsed: Duration,
    },
}

/// The diagnostics of a Graph error response, from its headers (falling back to the body).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ErrorDetails {
    /// The `request-id` header (else the body's `innerError.request-id`): quote it to Microsoft
    /// support.
    pub request_id: Option<String>,
    /// The `client-request-id` header (else the body's).
    pub client_request_id: Option<String>,
    /// The `Retry-After` the server sent (seconds or an HTTP date), as a delay.
    pub retry_after: Option<Duration>,
    /// Set when the response could have been retried but the client's
    /// [`RetryPolicy`](crate::RetryPolicy) gave up.
    pub gave_up: Option<GaveUp>,
    /// On a `403 Authorization_RequestDenied`: the permission and consent type the call needs
    /// (from the crate's permissions table), so a missing grant reads as one.
    pub required_permission: Option<RequiredPermission>,
}

impl Error {
    /// On a `403 Authorization_RequestDenied`, notes what the call (`method`, `url`) needs under
    /// `consent` ([`ErrorDetails::required_permission`]).
    pub(crate) fn with_required_permission(
        mut self,
        api: &'static ApiInfo,
        consent: ConsentType,
        method: &str,
        url: &str,
    ) -> Error {
        if let Error::Graph { status: 403, error: Some(e), details, .. } = &mut self {
            if e.code == "Authorization_RequestDenied" {
                details.required_permission = super::permissions::required(api, consent, method, url);
            }
        }
        self
    }

    /// The HTTP status, for errors that have one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Graph { status, .. } | Error::Decode { status, .. } | Error::ResponseTooLarge { status, .. } => {
                Some(*status)
            }
            Error::Transport { source, .. } => source.status().map(|s| s.as_u16()),
            Error::BatchFailed { error } => error.status(),
            _ => None,
        }
    }

    /// The Graph error, when Graph sent one.
    pub fn graph_error(&self) -> Option<&GraphError> {
        match self {
            Error::Graph { error, .. } => error.as_deref(),
            Error::BatchFailed { error } => error.graph_error(),
            _ => None,
        }
    }

    /// The error code Graph sent (e.g. `Request_ResourceNotFound`), when the body was a Graph
    /// error.
    pub fn code(&self) -> Option<&str> {
        self.graph_error().map(|e| e.code.as_str()).filter(|c| !c.is_empty())
    }

    /// The diagnostics of a Graph error response.
    pub fn details(&self) -> Option<&ErrorDetails> {
        match self {
            Error::Graph { details, .. } => Some(details),
            Error::BatchFailed { error } => error.details(),
            _ => None,
        }
    }

    /// The Graph `request-id` of the failed request: the response header, else the body's
    /// `innerError` (for a `$batch` item without one, the `$batch` response's).
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::BatchItemMissing { request_id, .. } | Error::WaitFailed { request_id, .. } => request_id.as_deref(),
            _ => self.details().and_then(|d| d.request_id.as_deref()),
        }
    }

    /// The `client-request-id` of the failed request: what Graph echoed (header, else body),
    /// else what the client sent; a transport error has the one sent too.
    pub fn client_request_id(&self) -> Option<&str> {
        match self {
            Error::Transport { client_request_id, .. } => client_request_id.as_deref(),
            _ => self.details().and_then(|d| d.client_request_id.as_deref()),
        }
    }

    /// A transport error (its `client-request-id` is added by the call that sent it).
    pub(crate) fn transport(source: reqwest::Error) -> Error {
        Error::Transport { source, client_request_id: None }
    }

    /// This error with the `client-request-id` the request was sent with, where it has none.
    /// Notes why a retryable answer was not retried ([`ErrorDetails::gave_up`]).
    pub(crate) fn with_gave_up(mut self, reason: GaveUp) -> Error {
        if let Error::Graph { details, .. } = &mut self {
            details.gave_up = Some(reason);
        }
        self
    }

    pub(crate) fn with_client_request_id(mut self, id: &str) -> Error {
        match &mut self {
            Error::Transport { client_request_id, .. } => {
                client_request_id.get_or_insert_with(|| id.to_string());
            }
            Error::Graph { details, .. } => {
                details.client_request_id.get_or_insert_with(|| id.to_string());
            }
            _ => {}
        }
        self
    }

    /// The `Retry-After` the server sent with the error, as a delay: after a 429 the client's
    /// retry policy did not wait out (for example a wait longer than its cap), schedule the
    /// retry yourself.
    pub fn retry_after(&self) -> Option<Duration> {
        self.details().and_then(|d| d.retry_after)
    }

    /// `404 Not Found`.
    pub fn is_not_found(&self) -> bool {
        self.graph_status() == Some(404)
    }

    /// `403 Forbidden`, for any reason.
    pub fn is_forbidden(&self) -> bool {
        self.graph_status() == Some(403)
    }

    /// A `403` with Graph's code `Authorization_RequestDenied`: the token lacks the permission
    /// (or directory role) the method needs. Each method's docs name the permissions that allow
    /// it.
    pub fn is_consent_missing(&self) -> bool {
        self.is_forbidden() && self.code() == Some("Authorization_RequestDenied")
    }

    /// `429 Too Many Requests` (after the client's own retries).
    pub fn is_throttled(&self) -> bool {
        self.graph_status() == Some(429)
    }

    /// `409 Conflict` (e.g. the object already exists).
    pub fn is_conflict(&self) -> bool {
        self.graph_status() == Some(409)
    }

    /// `412 Precondition Failed`: the `If-Match` ETag no longer matches.
    pub fn is_precondition_failed(&self) -> bool {
        self.graph_status() == Some(412)
    }

    /// Worth trying again later: throttling (429), 502/503/504, or a connection that failed or
    /// timed out. A write that failed this way may or may not have been applied.
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Graph { status, .. } => matches!(status, 429 | 502 | 503 | 504),
            Error::Transport { source, .. } => source.is_connect() || source.is_timeout(),
            Error::BatchFailed { error } => error.is_transient(),
            _ => false,
        }
    }

    fn graph_status(&self) -> Option<u16> {
        match self {
            Error::Graph { status, .. } => Some(*status),
            Error::BatchFailed { error } => error.graph_status(),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Graph { status, error, body, details } => {
                match error {
                    Some(e) => write!(f, "Graph error {status} {}: {}", e.code, e.message)?,
                    None => write!(f, "Graph error {status}: {body}")?,
                }
                if let Some(id) = &details.request_id {
                    write!(f, " (request-id {id})")?;
                }
                if let Some(after) = details.retry_after {
                    write!(f, " (Retry-After {} s)", after.as_secs())?;
                }
                if let Some(gave_up) = &details.gave_up {
                    write!(f, " ({gave_up})")?;
                }
                if let Some(required) = &details.required_permission {
                    write!(f, "; {required}")?;
                }
                Ok(())
            }
            Error::Transport { source, client_request_id } => {
                write!(f, "transport error: {source}")?;
                if let Some(id) = client_request_id {
                    write!(f, " (client-request-id {id})")?;
                }
                Ok(())
            }
            Error::Decode { status, path, source, body } => {
                write!(f, "cannot decode the {status} response at `{path}`: {source}; body starts: {body}")
            }
            Error::Encode(e) => write!(f, "cannot encode the request body: {e}"),
            Error::Auth(e) => write!(f, "token provider failed: {e}"),
            Error::InvalidArgument(e) => write!(f, "invalid argument: {e}"),
            Error::Tls(e) => write!(f, "TLS set-up failed: {e}"),
            Error::ForeignNextLink { url } => {
                write!(f, "not following @odata.nextLink to another host: {url}")
            }
            Error::PagingLoop { url } => write!(f, "@odata.nextLink repeats an earlier page: {url}"),
            Error::ResponseTooLarge { status, limit } => {
                write!(f, "the {status} response body is larger than the {limit}-byte limit")
            }
            Error::BatchFailed { error } => write!(f, "the $batch call carrying this request failed: {error}"),
            Error::Io(e) => write!(f, "cannot read what the upload sends: {e}"),
            Error::Upload(e) => write!(f, "upload session: {e}"),
            Error::BatchItemMissing { id, request_id } => {
                write!(f, "the $batch response has no answer for item {id}; it may or may not have run")?;
                if let Some(id) = request_id {
                    write!(f, " (request-id {id})")?;
                }
                Ok(())
            }
            Error::WaitFailed { waiter, state, request_id, polls, .. } => {
                write!(f, "wait_until_{waiter}: the object reached `{state}` (a failure) after {polls} read(s)")?;
                if let Some(id) = request_id {
                    write!(f, " (request-id {id})")?;
                }
                Ok(())
            }
            Error::WaitTimedOut { waiter, last_state, polls, elapsed } => {
                write!(f, "wait_until_{waiter}: not settled after {} s and {polls} read(s)", elapsed.as_secs())?;
                match last_state {
                    Some(state) => write!(f, "; last seen `{state}`"),
                    None => Ok(()),
                }
            }
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Transport { source, .. } => Some(source),
            Error::Decode { source, .. } | Error::Encode(source) => Some(source),
            Error::Io(source) => Some(source),
            Error::BatchFailed { error } => Some(&**error),
            _ => None,
        }
    }
}

/// The `error` object of a Graph error response.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct GraphError {
    /// The error code, e.g. `ResourceNotFound`.
    #[serde(default)]
    pub code: String,
    /// The human-readable message.
    #[serde(default)]
    pub message: String,
    /// Diagnostics (request ids, date).
    #[serde(rename = "innerError", alias = "innererror", default)]
    pub inner_error: Option<InnerError>,
}

/// Diagnostics Graph attaches to an error; quote the request id to Microsoft support.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct InnerError {
    /// The `request-id` of the failed request.
    #[serde(rename = "request-id", default)]
    pub request_id: Option<String>,
    /// The `client-request-id` of the failed request.
    #[serde(rename = "client-request-id", default)]
    pub client_request_id: Option<String>,
    /// When the error happened, as Graph wrote it.
    #[serde(default)]
    pub date: Option<String>,
}

#[derive(Deserialize)]
struct ErrorEnvelope {
    error: GraphError,
}

/// The first bytes of a body, as text, for error messages.
pub(crate) fn snippet(body: &[u8]) -> String {
    const MAX: usize = 512;
    let text = String::from_utf8_lossy(&body[..body.len().min(MAX)]).into_owned();
    if body.len() > MAX { format!("{text}...") } else { text }
}

/// The error of a non-2xx response: the Graph error of the body when it is one, the ids from the
/// headers (else the body), the `Retry-After` the server sent.
pub(crate) fn from_response(
    status: u16,
    headers: &reqwest::header::HeaderMap,
    body: &[u8],
    gave_up: Option<GaveUp>,
) -> Error {
    let error = serde_json::from_slice::<ErrorEnvelope>(body).ok().map(|e| Box::new(e.error));
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let inner = error.as_ref().and_then(|e| e.inner_error.as_ref());
    let details = ErrorDetails {
        request_id: header("request-id").or_else(|| inner.and_then(|i| i.request_id.clone())),
        client_request_id: header("client-request-id").or_else(|| inner.and_then(|i| i.client_request_id.clone())),
        retry_after: header("retry-after")
            .and_then(|v| super::retry::parse_retry_after(&v, std::time::SystemTime::now())),
        gave_up,
        required_permission: None,
    };
    Error::Graph { status, error, body: snippet(body), details: Box::new(details) }
}

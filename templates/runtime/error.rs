use std::fmt;

use serde::Deserialize;

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
    },
    /// The request could not be sent or the response not read.
    Transport(reqwest::Error),
    /// A success response whose body is not what the operation returns.
    Decode {
        /// The HTTP status.
        status: u16,
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
    /// ([`ClientBuilder::max_response_bytes`](crate::runtime::ClientBuilder::max_response_bytes)).
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
}

impl Error {
    /// The HTTP status, for errors that have one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Graph { status, .. } | Error::Decode { status, .. } | Error::ResponseTooLarge { status, .. } => {
                Some(*status)
            }
            Error::Transport(e) => e.status().map(|s| s.as_u16()),
            _ => None,
        }
    }

    /// The Graph error, when Graph sent one.
    pub fn graph_error(&self) -> Option<&GraphError> {
        match self {
            Error::Graph { error, .. } => error.as_deref(),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Graph { status, error: Some(e), .. } => {
                write!(f, "Graph error {status} {}: {}", e.code, e.message)?;
                if let Some(id) = e.inner_error.as_ref().and_then(|i| i.request_id.as_deref()) {
                    write!(f, " (request-id {id})")?;
                }
                Ok(())
            }
            Error::Graph { status, body, .. } => write!(f, "Graph error {status}: {body}"),
            Error::Transport(e) => write!(f, "transport error: {e}"),
            Error::Decode { status, source, body } => {
                write!(f, "cannot decode the {status} response: {source}; body starts: {body}")
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
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Transport(e) => Some(e),
            Error::Decode { source, .. } | Error::Encode(source) => Some(source),
            _ => None,
        }
    }
}

/// The `error` object of a Graph error response.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
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

pub(crate) fn from_status(status: u16, body: &[u8]) -> Error {
    Error::Graph {
        status,
        error: serde_json::from_slice::<ErrorEnvelope>(body).ok().map(|e| Box::new(e.error)),
        body: snippet(body),
    }
}

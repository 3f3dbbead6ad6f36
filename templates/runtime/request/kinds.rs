//! How a response is decoded: the response kinds of [`Request`](super::Request).

use std::marker::PhantomData;

use serde::de::DeserializeOwned;

use super::super::error::{self, Error, Result};

/// How a successful response is decoded; the type parameter of [`Request`](super::Request).
pub trait ResponseKind {
    /// What the request returns.
    type Output;
    /// Decodes a 2xx response body.
    fn decode(status: u16, body: &[u8]) -> Result<Self::Output>;
    /// The `Accept` header sent.
    #[doc(hidden)]
    const ACCEPT: &'static str = "application/json";
}

/// A JSON body of type `T`.
pub struct Json<T>(PhantomData<fn() -> T>);

/// A JSON body of type `T`, or nothing (`204 No Content`).
pub struct MaybeJson<T>(PhantomData<fn() -> T>);

/// No body (`204 No Content`); any body sent is ignored.
pub struct NoContent;

/// Decodes a JSON body; an error names the JSON path where it happened
/// (`value[3].schedule.expiration.duration`).
pub(crate) fn decode_json<T: DeserializeOwned>(status: u16, body: &[u8]) -> Result<T> {
    // Decoded once; the path of a failure is read from its position in the body.
    super::super::json_path::from_slice(body).map_err(|(path, source)| Error::Decode {
        status,
        path,
        source,
        body: error::snippet(body),
    })
}

impl<T: DeserializeOwned> ResponseKind for Json<T> {
    type Output = T;
    fn decode(status: u16, body: &[u8]) -> Result<T> {
        decode_json(status, body)
    }
}

impl<T: DeserializeOwned> ResponseKind for MaybeJson<T> {
    type Output = Option<T>;
    fn decode(status: u16, body: &[u8]) -> Result<Option<T>> {
        if status == 204 || body.iter().all(u8::is_ascii_whitespace) {
            Ok(None)
        } else {
            decode_json(status, body).map(Some)
        }
    }
}

/// Any JSON body as a `serde_json::Value` (`Null` for an empty body or `204`): see
/// [`Request::raw_json`](super::Request::raw_json).
pub struct RawJson;

impl ResponseKind for RawJson {
    type Output = serde_json::Value;
    fn decode(status: u16, body: &[u8]) -> Result<serde_json::Value> {
        if status == 204 || body.iter().all(u8::is_ascii_whitespace) {
            Ok(serde_json::Value::Null)
        } else {
            decode_json(status, body)
        }
    }
}

/// A successful response's value with its status and headers: see [`Request::send_with_metadata`](super::Request::send_with_metadata).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Response<T> {
    /// The decoded body, as the request's plain `.await` returns it.
    pub value: T,
    /// The HTTP status (200, 201, 204...).
    pub status: u16,
    /// Every response header.
    pub headers: reqwest::header::HeaderMap,
}

impl<T> Response<T> {
    /// A response of `status` with `value` and no headers: for fakes of a read in tests (e.g. of
    /// a `wait_until_*` poll).
    pub fn new(status: u16, value: T) -> Self {
        Response { value, status, headers: reqwest::header::HeaderMap::new() }
    }

    /// With this header (e.g. `("request-id", HeaderValue::from_static("r-1"))`).
    pub fn with_header(
        mut self,
        name: impl reqwest::header::IntoHeaderName,
        value: reqwest::header::HeaderValue,
    ) -> Self {
        self.headers.insert(name, value);
        self
    }

    /// A header's value, when it is there and is text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Graph's `request-id`: log it, quote it to Microsoft support.
    pub fn request_id(&self) -> Option<&str> {
        self.header("request-id")
    }

    /// The `client-request-id` Graph echoed.
    pub fn client_request_id(&self) -> Option<&str> {
        self.header("client-request-id")
    }

    /// The `ETag` (for `if_match` on a later write).
    pub fn etag(&self) -> Option<&str> {
        self.header("etag")
    }

    /// The `Location` header (e.g. of a created object or a long-running operation).
    pub fn location(&self) -> Option<&str> {
        self.header("location")
    }

    /// The value, without the metadata.
    pub fn into_value(self) -> T {
        self.value
    }
}

/// A 2xx response, read.
pub(crate) struct Raw {
    pub(crate) status: u16,
    pub(crate) headers: reqwest::header::HeaderMap,
    pub(crate) body: Vec<u8>,
}

/// The text body of `GET .../$count`: an integer.
pub struct Count;

impl ResponseKind for Count {
    type Output = i64;
    fn decode(status: u16, body: &[u8]) -> Result<i64> {
        decode_json(status, body.trim_ascii())
    }
}

impl ResponseKind for NoContent {
    type Output = ();
    fn decode(_status: u16, _body: &[u8]) -> Result<()> {
        Ok(())
    }
}

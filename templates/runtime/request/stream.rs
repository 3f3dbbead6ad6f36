//! Byte bodies: downloads ([`Bytes`]: a file's `content`, a photo's `$value`, a report returned
//! as `Edm.Stream`), whole or as a stream of chunks ([`ByteStream`]), and uploads
//! ([`Request::bytes_body`]).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::super::consent::Consent;
use super::super::error::{Error, Result};

use super::builder::*;
use super::kinds::*;

/// A body of bytes, whatever its media type (a download): `Vec<u8>` with [`Request::send`]
/// (bounded by the client's response size limit), chunk by chunk with [`Request::send_stream`]
/// (no limit, nothing buffered).
pub struct Bytes;

impl ResponseKind for Bytes {
    type Output = Vec<u8>;
    fn decode(_status: u16, body: &[u8]) -> Result<Vec<u8>> {
        Ok(body.to_vec())
    }
    const ACCEPT: &'static str = "*/*";
}

impl<K: ResponseKind, C> Request<K, C> {
    /// Sets a body of bytes with its media type (`Content-Type`), replacing any body set before:
    /// what an upload sends (`text/plain`, `image/jpeg`, `application/octet-stream`...). Graph
    /// takes up to 250 MB this way for a file's `content`; larger files go through an upload
    /// session.
    ///
    /// A request with a byte body cannot be part of a `$batch` (its body is JSON).
    pub fn bytes_body(mut self, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        self.body = Some(Ok(body.into()));
        self.header("Content-Type", content_type)
    }
}

impl<C: Consent> Request<Bytes, C> {
    /// Sends the request (retrying, as [`send`](Self::send) does, until the response starts)
    /// and returns its body as a stream of chunks, so a large file is never held whole. An
    /// error while reading ends the stream after that error; chunks are not retried.
    pub async fn send_stream(mut self) -> Result<ByteStream> {
        let body = self.take_body()?;
        let response = self.respond(body).await?;
        Ok(ByteStream::new(response))
    }
}

type NextChunk = Pin<Box<dyn Future<Output = Option<(Result<bytes::Bytes>, reqwest::Response)>> + Send>>;

/// A download's body, chunk by chunk (from [`Request::send_stream`]): a
/// [`Stream`](futures_core::Stream) of `Result<bytes::Bytes>`. Its status and headers
/// (`Content-Type`, `Content-Length`) are read before the first chunk.
pub struct ByteStream {
    status: u16,
    headers: reqwest::header::HeaderMap,
    next: Option<NextChunk>,
}

impl std::fmt::Debug for ByteStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ByteStream").field("status", &self.status).field("done", &self.next.is_none()).finish()
    }
}

fn next_chunk(mut response: reqwest::Response) -> NextChunk {
    Box::pin(async move {
        match response.chunk().await {
            Ok(Some(chunk)) => Some((Ok(chunk), response)),
            Ok(None) => None,
            Err(e) => Some((Err(Error::transport(e)), response)),
        }
    })
}

impl ByteStream {
    fn new(response: reqwest::Response) -> Self {
        ByteStream {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            next: Some(next_chunk(response)),
        }
    }

    /// The HTTP status (200, 206 for a range).
    pub fn status(&self) -> u16 {
        self.status
    }

    /// A response header (`Content-Type`, `Content-Length`, `ETag`...).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The announced length (`Content-Length`), if any.
    pub fn content_length(&self) -> Option<u64> {
        self.header("content-length").and_then(|v| v.parse().ok())
    }
}

impl futures_core::Stream for ByteStream {
    type Item = Result<bytes::Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let Some(next) = self.next.as_mut() else { return Poll::Ready(None) };
        match next.as_mut().poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(None) => {
                self.next = None;
                Poll::Ready(None)
            }
            Poll::Ready(Some((item, response))) => {
                self.next = item.is_ok().then(|| next_chunk(response));
                Poll::Ready(Some(item))
            }
        }
    }
}

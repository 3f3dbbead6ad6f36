//! Sending: one HTTP call with the client's retries, the body read within its limit.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::time::{Instant, SystemTime};

use super::super::client::Core;
use super::super::consent::Consent;
use super::super::error::{self, Error, Result};

use super::builder::*;
use super::kinds::*;

/// One HTTP call: a request, or a `$batch` of them.
pub(crate) struct Call<'a> {
    pub(crate) core: &'a Core,
    pub(crate) method: &'a reqwest::Method,
    pub(crate) url: &'a str,
    pub(crate) headers: &'a [(String, String)],
    pub(crate) body: Option<&'a [u8]>,
    /// The path template, for logs.
    pub(crate) template: &'a str,
    /// Whether a 503/504 may be retried: sending it twice has no second effect.
    pub(crate) idempotent: bool,
    /// The `client-request-id` sent (the same on every attempt), kept on errors and in the
    /// tracing span.
    pub(crate) client_request_id: &'a str,
    /// The `Accept` header: JSON, or any type for a download.
    pub(crate) accept: &'a str,
}

/// Sends a call, retrying as the client's [`RetryPolicy`](super::super::RetryPolicy) allows; returns a
/// 2xx response, read.
pub(crate) async fn execute(call: Call<'_>) -> Result<Raw> {
    let limit = call.core.max_response_bytes();
    let mut response = respond(call).await?;
    let (status, headers) = (response.status().as_u16(), std::mem::take(response.headers_mut()));
    let body = read_body(response, status, limit).await?;
    Ok(Raw { status, headers, body })
}

/// Sends a call with the client's retries; returns the 2xx response with its body unread (a
/// stream's), or the error of the last answer.
pub(crate) async fn respond(call: Call<'_>) -> Result<reqwest::Response> {
    use tracing::Instrument as _;
    let span = tracing::debug_span!(
        "graph_request",
        method = %call.method,
        path = call.template,
        client_request_id = %call.client_request_id
    );
    let id = call.client_request_id;
    respond_in_span(call).instrument(span).await.map_err(|e| e.with_client_request_id(id))
}

async fn respond_in_span(call: Call<'_>) -> Result<reqwest::Response> {
    let Call { core, method, url, headers, body, template, idempotent, client_request_id, accept } = call;
    let url = reqwest::Url::parse(url).map_err(|e| Error::InvalidArgument(format!("URL: {e}")))?;
    let policy = *core.retry();
    let started = Instant::now();
    let mut attempt = 0u32;
    // A body is JSON unless the request says otherwise (an upload's `Content-Type`).
    let json_body = !headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("content-type"));
    loop {
        attempt += 1;
        let token = core.token().await?;
        let mut builder = core
            .http()
            .request(method.clone(), url.clone())
            .bearer_auth(token.secret())
            .header("Accept", accept)
            .header("client-request-id", client_request_id);
        for (name, value) in headers.iter().filter(|(name, _)| !name.eq_ignore_ascii_case("client-request-id")) {
            builder = builder.header(name.as_str(), value.as_str());
        }
        if let Some(body) = body {
            if json_body {
                builder = builder.header("Content-Type", "application/json");
            }
            // Buffered bytes: every attempt sends the same body.
            builder = builder.body(body.to_vec());
        }
        let sent = Instant::now();
        let response = match builder.send().await {
            Ok(r) => r,
            Err(e) => {
                let retry = (e.is_connect() || e.is_timeout()) && idempotent;
                let delay = policy.backoff(attempt);
                if retry && attempt < policy.max_attempts && started.elapsed() + delay <= policy.max_elapsed {
                    tracing::warn!(%method, path = template, attempt, delay_ms = millis(delay), error = %e, "graph request failed; retrying");
                    tokio::time::sleep(delay).await;
                    continue;
                }
                tracing::warn!(%method, path = template, attempt, error = %e, "graph request failed");
                return Err(Error::transport(e));
            }
        };
        let status = response.status().as_u16();
        let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let request_id = header("request-id").unwrap_or_default();
        tracing::debug!(
            %method,
            path = template,
            status,
            latency_ms = millis(sent.elapsed()),
            request_id = %request_id,
            attempt,
            "graph response"
        );
        let mut gave_up = None;
        if policy.retries_status(status, idempotent) {
            let delay = header("retry-after")
                .and_then(|v| super::super::retry::parse_retry_after(&v, SystemTime::now()))
                .unwrap_or_else(|| policy.backoff(attempt));
            match policy.gives_up(attempt, delay, started.elapsed()) {
                Some(reason) => gave_up = Some(reason),
                None => {
                    tracing::info!(%method, path = template, status, attempt, delay_ms = millis(delay), request_id = %request_id, "graph throttled or unavailable; retrying");
                    // Drain the body so the connection can be reused.
                    let _ = response.bytes().await;
                    tokio::time::sleep(delay).await;
                    continue;
                }
            }
        }
        if (200..300).contains(&status) {
            return Ok(response);
        }
        let headers = response.headers().clone();
        let bytes = read_body(response, status, core.max_response_bytes()).await?;
        return Err(error::from_response(status, &headers, &bytes, gave_up));
    }
}

/// The whole body, refusing more than `limit` bytes (announced or received).
pub(super) async fn read_body(mut response: reqwest::Response, status: u16, limit: usize) -> Result<Vec<u8>> {
    let announced = response.content_length();
    if announced.is_some_and(|n| n > limit as u64) {
        return Err(Error::ResponseTooLarge { status, limit });
    }
    // Sized once when the length is announced (within the limit, checked above).
    let mut body = Vec::with_capacity(announced.and_then(|n| usize::try_from(n).ok()).unwrap_or(0));
    while let Some(chunk) = response.chunk().await.map_err(Error::transport)? {
        if body.len() + chunk.len() > limit {
            return Err(Error::ResponseTooLarge { status, limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

pub(crate) fn millis(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl<K: ResponseKind, C: Consent> Request<K, C> {
    /// Sends the request (retrying as the client's [`RetryPolicy`](super::super::RetryPolicy) allows) and
    /// decodes the response.
    pub async fn send(mut self) -> Result<K::Output> {
        let body = self.take_body()?;
        let raw = self.execute(body).await?;
        K::decode(raw.status, &raw.body)
    }

    /// [`send`](Self::send), keeping the response's status and headers (request id, `ETag`,
    /// `Location`) beside the value.
    pub async fn send_with_metadata(mut self) -> Result<Response<K::Output>> {
        let body = self.take_body()?;
        let raw = self.execute(body).await?;
        let value = K::decode(raw.status, &raw.body)?;
        Ok(Response { value, status: raw.status, headers: raw.headers })
    }

    /// Sends the request, with retries; returns a 2xx response, read.
    pub(super) async fn execute(&self, body: Option<Vec<u8>>) -> Result<Raw> {
        let url = self.url();
        let client_request_id = client_request_id_of(&self.headers).map_or_else(new_client_request_id, str::to_owned);
        execute(self.call(&url, body.as_deref(), &client_request_id))
            .await
            .map_err(|e| e.with_required_permission(self.client.api(), C::CONSENT_TYPE, self.method.as_str(), &url))
    }

    /// Sends the request, with retries; returns the 2xx response with its body unread.
    pub(super) async fn respond(&self, body: Option<Vec<u8>>) -> Result<reqwest::Response> {
        let url = self.url();
        let client_request_id = client_request_id_of(&self.headers).map_or_else(new_client_request_id, str::to_owned);
        respond(self.call(&url, body.as_deref(), &client_request_id))
            .await
            .map_err(|e| e.with_required_permission(self.client.api(), C::CONSENT_TYPE, self.method.as_str(), &url))
    }

    fn call<'a>(&'a self, url: &'a str, body: Option<&'a [u8]>, client_request_id: &'a str) -> Call<'a> {
        Call {
            core: &self.client,
            method: &self.method,
            url,
            headers: &self.headers,
            body,
            template: self.template.unwrap_or("(untyped)"),
            idempotent: super::super::retry::is_idempotent(&self.method),
            client_request_id,
            accept: K::ACCEPT,
        }
    }
}

impl<K, C> IntoFuture for Request<K, C>
where
    K: ResponseKind + 'static,
    C: Consent,
    K::Output: Send + 'static,
{
    type Output = Result<K::Output>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<K::Output>> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

//! Large uploads through an upload session ([`Upload`]): a file of OneDrive or SharePoint, an
//! Outlook attachment or a print document sent in fragments to the `uploadUrl` that a
//! `createUploadSession` action answers with; what Microsoft's SDKs call a large file upload
//! task.
//!
//! The session is the server's record of the bytes it holds, so a failed fragment is never sent
//! blindly again: after a failure the upload asks the session what it lacks and sends only that.

use std::io::SeekFrom;
use std::time::{Duration, Instant, SystemTime};

use serde::de::DeserializeOwned;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncSeek, AsyncSeekExt};

use super::super::client::{Core, Session};
use super::super::consent::Consent;
use super::super::error::{self, Error, Result};
use super::super::retry::{GaveUp, parse_retry_after};

use super::kinds::{Response, decode_json};
use super::send::{millis, read_body};

/// The size of an upload's fragments: a multiple of 320 KiB (327,680 bytes), which OneDrive and
/// SharePoint require of every fragment but the last, from 320 KiB to 60 MiB (the most they take
/// in one request). Built with [`FragmentSize::of_320_kib`], so no other size can be asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FragmentSize(u32);

impl FragmentSize {
    /// 320 KiB, the unit of every fragment size.
    pub const UNIT: u32 = 327_680;

    /// 10 × 320 KiB (3.125 MiB): under the 4 MB an Outlook attachment session takes in one
    /// request, so it serves every kind of session.
    pub const DEFAULT: FragmentSize = FragmentSize(10 * Self::UNIT);

    /// 192 × 320 KiB (60 MiB), the most a OneDrive or SharePoint session takes in one request.
    pub const MAX: FragmentSize = FragmentSize(192 * Self::UNIT);

    /// `units` × 320 KiB; `None` for 0 or more than 192 (60 MiB).
    pub const fn of_320_kib(units: u32) -> Option<FragmentSize> {
        if units == 0 || units > 192 { None } else { Some(FragmentSize(units * Self::UNIT)) }
    }

    /// The size in bytes.
    pub const fn bytes(self) -> u32 {
        self.0
    }
}

impl Default for FragmentSize {
    fn default() -> Self {
        FragmentSize::DEFAULT
    }
}

/// A range of bytes an upload session still lacks (`nextExpectedRanges`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ByteRange {
    /// The first byte, from 0.
    pub start: u64,
    /// The last byte, inclusive; `None`: up to the end of the file.
    pub end: Option<u64>,
}

impl ByteRange {
    /// Reads one entry of `nextExpectedRanges`: `start-end`, `start-` (to the end) or, from an
    /// Outlook attachment session, `start` alone (to the end).
    pub fn parse(text: &str) -> Option<ByteRange> {
        let number = |s: &str| s.trim().parse::<u64>().ok();
        match text.split_once('-') {
            None => Some(ByteRange { start: number(text)?, end: None }),
            Some((start, end)) if end.trim().is_empty() => Some(ByteRange { start: number(start)?, end: None }),
            Some((start, end)) => {
                let (start, end) = (number(start)?, number(end)?);
                (end >= start).then_some(ByteRange { start, end: Some(end) })
            }
        }
    }
}

/// What an upload session says of itself: the answer to a fragment (`202 Accepted`) or to a
/// status read ([`Upload::status`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UploadStatus {
    /// The byte ranges the session still lacks, in order; empty when it holds every byte (a
    /// session created with `deferCommit`, waiting for [`Upload::commit`]).
    pub next_expected_ranges: Vec<ByteRange>,
    /// When the session expires; each fragment received extends it.
    pub expiration_date_time: Option<chrono::DateTime<chrono::Utc>>,
}

impl UploadStatus {
    /// Reads a session's JSON: `nextExpectedRanges` and `expirationDateTime`, as OneDrive writes
    /// them, or `NextExpectedRanges` and `ExpirationDateTime`, as Outlook does.
    fn decode(status: u16, body: &[u8]) -> Result<UploadStatus> {
        let value: serde_json::Value = decode_json(status, body)?;
        let invalid = |path: String, message: String| Error::Decode {
            status,
            path,
            source: serde::de::Error::custom(message),
            body: error::snippet(body),
        };
        let member = |name: &str| {
            value.as_object().and_then(|object| object.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)))
        };
        let mut next_expected_ranges = Vec::new();
        if let Some((key, ranges)) = member("nextExpectedRanges") {
            let Some(ranges) = ranges.as_array() else {
                return Err(invalid(key.clone(), "not an array of byte ranges".to_owned()));
            };
            for (i, range) in ranges.iter().enumerate() {
                let parsed = range.as_str().and_then(ByteRange::parse);
                let Some(parsed) = parsed else {
                    return Err(invalid(format!("{key}[{i}]"), format!("not a byte range: {range}")));
                };
                next_expected_ranges.push(parsed);
            }
        }
        let expiration_date_time = match member("expirationDateTime") {
            None | Some((_, serde_json::Value::Null)) => None,
            Some((key, value)) => {
                let parsed = value.as_str().and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok());
                let Some(parsed) = parsed else {
                    return Err(invalid(key.clone(), format!("not a date and time: {value}")));
                };
                Some(parsed.with_timezone(&chrono::Utc))
            }
        };
        Ok(UploadStatus { next_expected_ranges, expiration_date_time })
    }

    /// The ranges still to send of a `size`-byte source, as `(start, end exclusive)`.
    fn missing(&self, size: u64) -> Result<Vec<(u64, u64)>> {
        let mut missing = Vec::with_capacity(self.next_expected_ranges.len());
        for range in &self.next_expected_ranges {
            let end = range.end.map_or(size, |end| end.saturating_add(1));
            if range.start >= size || end > size {
                return Err(Error::Upload(format!(
                    "the upload session lacks bytes {}-{}, past the end of the {size}-byte source: \
                     is it the session of another file?",
                    range.start,
                    end - 1
                )));
            }
            missing.push((range.start, end));
        }
        Ok(missing)
    }
}

/// A large upload through an upload session (from [`Session::upload`]): the source goes to the
/// session's `uploadUrl` in fragments of [`FragmentSize`] (`PUT` with `Content-Range`), in
/// order, and the last fragment's answer is the uploaded item.
///
/// - The upload URL carries its own authorization: no token is sent to it (Graph answers 401 to
///   one), and neither the URL nor its query string is logged or put in errors.
/// - A fragment that fails (a dropped connection, a timeout, 429, 5xx, 416) is not sent again as
///   it was: the upload waits as the client's [`RetryPolicy`](crate::RetryPolicy) says (its
///   `Retry-After`, else backoff; attempts and time counted per fragment), asks the session what
///   it lacks ([`status`](Self::status)) and sends that. Any other error ends the upload, the
///   session kept: [`resume`](Self::resume) it later, or [`cancel`](Self::cancel) it.
/// - `404` means the session is gone (expired, cancelled or completed): create a new one.
/// - The client's timeout ([`ClientBuilder::timeout`](crate::ClientBuilder::timeout)) bounds
///   each request, so each fragment: on a slow link, pick a smaller [`FragmentSize`].
#[must_use = "an upload sends nothing until `send_bytes` or `send_reader` is awaited"]
pub struct Upload {
    core: Core,
    /// `None`: the URL given does not parse (an error at the first request, without the URL).
    url: Option<reqwest::Url>,
    fragment: FragmentSize,
    resume: bool,
    progress: Option<Box<dyn FnMut(u64, u64) + Send>>,
}

impl std::fmt::Debug for Upload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Not the URL: it is a credential.
        f.debug_struct("Upload")
            .field("host", &self.url.as_ref().and_then(|url| url.host_str()))
            .field("fragment", &self.fragment)
            .field("resume", &self.resume)
            .finish_non_exhaustive()
    }
}

impl<C: Consent> Session<C> {
    /// An upload to an upload session: `upload_url` is the `uploadUrl` of the session a
    /// `createUploadSession` action answered with (a drive item's, a message's or event's
    /// attachments', a print document's). Send the bytes with [`Upload::send_bytes`] or
    /// [`Upload::send_reader`]; see [`Upload`] for what happens when a fragment fails.
    ///
    /// ```no_run
    /// # async fn f(client: msgraph_runtime::Session, upload_url: String) -> msgraph_runtime::Result<()> {
    /// let file = tokio::fs::File::open("report.pdf").await.expect("readable");
    /// let size = file.metadata().await.expect("a size").len();
    /// let item = client
    ///     .upload(upload_url)
    ///     .on_progress(|sent, size| eprintln!("{sent} of {size} bytes"))
    ///     .send_reader::<serde_json::Value, _>(file, size)
    ///     .await?;
    /// println!("uploaded: {:?}", item.value);
    /// # Ok(()) }
    /// ```
    pub fn upload(&self, upload_url: impl AsRef<str>) -> Upload {
        Upload {
            core: self.core().clone(),
            url: reqwest::Url::parse(upload_url.as_ref()).ok(),
            fragment: FragmentSize::DEFAULT,
            resume: false,
            progress: None,
        }
    }
}

/// One answer from the session: a success, a failure worth another try (after the wait the
/// server asked for, if any), or a failure that ends the upload.
enum Answer {
    Success { status: u16, headers: reqwest::header::HeaderMap, body: Vec<u8> },
    Retry { error: Error, retry_after: Option<Duration> },
    Fail(Error),
}

/// The failures of one fragment (or one status read), counted against the client's policy.
struct Tries {
    failures: u32,
    since: Instant,
}

impl Tries {
    fn new() -> Tries {
        Tries { failures: 0, since: Instant::now() }
    }

    /// Why the upload stops after one more failure, or `None` once it has waited to try again.
    async fn wait(&mut self, core: &Core, retry_after: Option<Duration>) -> Option<GaveUp> {
        let policy = core.retry();
        self.failures += 1;
        let delay = retry_after.unwrap_or_else(|| policy.backoff(self.failures));
        if let Some(gave_up) = policy.gives_up(self.failures, delay, self.since.elapsed()) {
            return Some(gave_up);
        }
        tracing::info!(attempt = self.failures, delay_ms = millis(delay), "graph upload fragment failed; retrying");
        tokio::time::sleep(delay).await;
        None
    }
}

/// What an upload reads its fragments from.
enum Source<R> {
    Bytes(bytes::Bytes),
    Reader(R),
}

impl<R: AsyncRead + AsyncSeek + Unpin> Source<R> {
    async fn fragment(&mut self, start: u64, len: u64) -> Result<bytes::Bytes> {
        match self {
            // Both within the source's length (checked against the size before).
            Source::Bytes(bytes) => Ok(bytes.slice(start as usize..(start + len) as usize)),
            Source::Reader(reader) => {
                reader.seek(SeekFrom::Start(start)).await.map_err(Error::Io)?;
                let mut buffer = vec![0; len as usize];
                reader.read_exact(&mut buffer).await.map_err(Error::Io)?;
                Ok(buffer.into())
            }
        }
    }
}

impl Upload {
    /// The size of each fragment (the last one is what is left); [`FragmentSize::DEFAULT`]
    /// unless set.
    pub fn fragment_size(mut self, size: FragmentSize) -> Self {
        self.fragment = size;
        self
    }

    /// Asks the session what it lacks before sending (a `GET` of the upload URL), to go on with
    /// an upload an earlier run began: only the missing bytes are sent.
    pub fn resume(mut self) -> Self {
        self.resume = true;
        self
    }

    /// Called after each fragment the session accepts, with the bytes it holds and the size.
    pub fn on_progress(mut self, progress: impl FnMut(u64, u64) + Send + 'static) -> Self {
        self.progress = Some(Box::new(progress));
        self
    }

    /// Sends `bytes` (a `Vec<u8>`, `bytes::Bytes`, a `&'static [u8]`...) whole, fragment by
    /// fragment. The value is the last fragment's answer decoded as `T` (a drive item's JSON),
    /// `None` when it has no body (an Outlook attachment: its URL is the `Location` header) or
    /// when the session was created with `deferCommit` (status 202: [`commit`](Self::commit) it).
    pub async fn send_bytes<T: DeserializeOwned>(self, bytes: impl Into<bytes::Bytes>) -> Result<Response<Option<T>>> {
        let bytes = bytes.into();
        let size = bytes.len() as u64;
        self.send::<T, std::io::Cursor<&'static [u8]>>(Source::Bytes(bytes), size).await
    }

    /// Sends the first `size` bytes of `reader` (a `tokio::fs::File`, a cursor), reading one
    /// fragment at a time, so a file is never held whole; it seeks to each fragment's start, so
    /// a resumed upload reads only what it sends. The value is as [`send_bytes`](Self::send_bytes)
    /// says.
    pub async fn send_reader<T, R>(self, reader: R, size: u64) -> Result<Response<Option<T>>>
    where
        T: DeserializeOwned,
        R: AsyncRead + AsyncSeek + Unpin + Send,
    {
        self.send::<T, R>(Source::Reader(reader), size).await
    }

    async fn send<T: DeserializeOwned, R: AsyncRead + AsyncSeek + Unpin>(
        self,
        source: Source<R>,
        size: u64,
    ) -> Result<Response<Option<T>>> {
        use tracing::Instrument as _;
        if size == 0 {
            return Err(Error::InvalidArgument(
                "an upload session cannot take an empty file: send it with a PUT of its content".to_owned(),
            ));
        }
        let host = self.url.as_ref().and_then(|url| url.host_str()).unwrap_or("").to_owned();
        let span = tracing::debug_span!("graph_upload", size, host = %host);
        self.send_in_span(source, size).instrument(span).await
    }

    async fn send_in_span<T: DeserializeOwned, R: AsyncRead + AsyncSeek + Unpin>(
        mut self,
        mut source: Source<R>,
        size: u64,
    ) -> Result<Response<Option<T>>> {
        let fragment = u64::from(self.fragment.bytes());
        // `(start, end exclusive)`: what the session lacks, as far as this upload knows.
        let mut missing = if self.resume { self.status().await?.missing(size)? } else { vec![(0, size)] };
        let mut tries = Tries::new();
        loop {
            let Some(&(start, end)) = missing.first() else {
                // Every byte is there and no fragment answered with the item: a `deferCommit` session.
                return Ok(Response { value: None, status: 202, headers: reqwest::header::HeaderMap::new() });
            };
            let len = fragment.min(end - start);
            let body = source.fragment(start, len).await?;
            let range = format!("bytes {start}-{}/{size}", start + len - 1);
            let answer = match self.exchange(reqwest::Method::PUT, Some(body), Some(range)).await {
                // The session has this range already (an answer lost on the way): ask what it lacks.
                Answer::Fail(error) if error.status() == Some(416) => Answer::Retry { error, retry_after: None },
                answer => answer,
            };
            match answer {
                Answer::Success { status: 202, body, .. } => {
                    let before = held(&missing, size);
                    missing = UploadStatus::decode(202, &body)?.missing(size)?;
                    let held = held(&missing, size);
                    if held <= before {
                        return Err(Error::Upload(format!(
                            "the upload session accepted bytes {start}-{} but holds no more than before \
                             ({held} of {size} bytes)",
                            start + len - 1
                        )));
                    }
                    tries = Tries::new();
                    tracing::debug!(held, size, "graph upload fragment accepted");
                    if let Some(progress) = self.progress.as_mut() {
                        progress(held, size);
                    }
                }
                Answer::Success { status, headers, body } => {
                    if let Some(progress) = self.progress.as_mut() {
                        progress(size, size);
                    }
                    return item(status, headers, &body);
                }
                Answer::Retry { error, retry_after } => {
                    if let Some(gave_up) = tries.wait(&self.core, retry_after).await {
                        return Err(error.with_gave_up(gave_up));
                    }
                    missing = self.status_retrying(&mut tries).await?.missing(size)?;
                }
                Answer::Fail(error) => return Err(error),
            }
        }
    }

    /// What the session holds: a `GET` of the upload URL, retried as the client's policy says.
    pub async fn status(&self) -> Result<UploadStatus> {
        self.status_retrying(&mut Tries::new()).await
    }

    async fn status_retrying(&self, tries: &mut Tries) -> Result<UploadStatus> {
        let (status, body) = self.retrying(reqwest::Method::GET, tries).await?;
        UploadStatus::decode(status, &body)
    }

    /// Cancels the session (a `DELETE` of the upload URL, retried as the client's policy says):
    /// the server drops the bytes it holds.
    pub async fn cancel(&self) -> Result<()> {
        self.retrying(reqwest::Method::DELETE, &mut Tries::new()).await.map(drop)
    }

    /// A request without a body that can be sent again (`GET`, `DELETE`), retried as the
    /// client's policy says; the success's status and body.
    async fn retrying(&self, method: reqwest::Method, tries: &mut Tries) -> Result<(u16, Vec<u8>)> {
        loop {
            match self.exchange(method.clone(), None, None).await {
                Answer::Success { status, body, .. } => return Ok((status, body)),
                Answer::Retry { error, retry_after } => {
                    if let Some(gave_up) = tries.wait(&self.core, retry_after).await {
                        return Err(error.with_gave_up(gave_up));
                    }
                }
                Answer::Fail(error) => return Err(error),
            }
        }
    }

    /// Completes a session created with `deferCommit` once it holds every byte (an empty `POST`
    /// to the upload URL); the value is the item, as [`send_bytes`](Self::send_bytes) says. Sent
    /// once: a failure is returned, not retried (the commit may have happened).
    pub async fn commit<T: DeserializeOwned>(&self) -> Result<Response<Option<T>>> {
        match self.exchange(reqwest::Method::POST, Some(bytes::Bytes::new()), None).await {
            Answer::Success { status, headers, body } => item(status, headers, &body),
            Answer::Retry { error, .. } | Answer::Fail(error) => Err(error),
        }
    }

    /// Sends one request to the session (no token: the URL carries its authorization) and reads
    /// the answer within the client's response size limit.
    async fn exchange(&self, method: reqwest::Method, body: Option<bytes::Bytes>, range: Option<String>) -> Answer {
        let Some(url) = self.url.clone().filter(|url| matches!(url.scheme(), "https" | "http")) else {
            return Answer::Fail(Error::InvalidArgument(
                "the upload URL is not an http(s) URL (the `uploadUrl` of an upload session)".to_owned(),
            ));
        };
        let mut request = self.core.http().request(method, url).header("Accept", "application/json");
        if let Some(range) = range {
            request = request.header("Content-Range", range);
        }
        // With its `Content-Length` (0 for a commit).
        if let Some(body) = body {
            request = request.body(body);
        }
        let response = match request.send().await {
            Ok(response) => response,
            // The URL is a credential: errors leave it out.
            Err(e) if e.is_builder() => return Answer::Fail(Error::transport(e.without_url())),
            Err(e) => {
                let e = e.without_url();
                tracing::warn!(error = %e, "graph upload request failed");
                return Answer::Retry { error: Error::transport(e), retry_after: None };
            }
        };
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        tracing::debug!(
            status,
            request_id = headers.get("request-id").and_then(|v| v.to_str().ok()).unwrap_or(""),
            "graph upload response"
        );
        let body = match read_body(response, status, self.core.max_response_bytes()).await {
            Ok(body) => body,
            Err(Error::Transport { source, client_request_id }) => {
                let error = Error::Transport { source: source.without_url(), client_request_id };
                return Answer::Retry { error, retry_after: None };
            }
            Err(error) => return Answer::Fail(error),
        };
        if (200..300).contains(&status) {
            return Answer::Success { status, headers, body };
        }
        let error = error::from_response(status, &headers, &body, None);
        if matches!(status, 429 | 500 | 502 | 503 | 504) {
            let retry_after = headers
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| parse_retry_after(v, SystemTime::now()));
            Answer::Retry { error, retry_after }
        } else {
            Answer::Fail(error)
        }
    }
}

/// The bytes a session holds of a `size`-byte source when it lacks `missing`.
fn held(missing: &[(u64, u64)], size: u64) -> u64 {
    size - missing.iter().map(|(start, end)| end - start).sum::<u64>()
}

/// The last answer: the uploaded item, if it has a body.
fn item<T: DeserializeOwned>(
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: &[u8],
) -> Result<Response<Option<T>>> {
    let value = if body.iter().all(u8::is_ascii_whitespace) { None } else { Some(decode_json::<T>(status, body)?) };
    Ok(Response { value, status, headers })
}

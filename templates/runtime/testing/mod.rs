//! The test kit's server (cargo feature `test-util`): a Microsoft Graph stand-in on a loopback
//! port, which a generated crate's `testing::MockGraph` wraps (its documentation is there).

mod expect;
mod server;
pub(crate) mod spec;
mod upload;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::client::{ClientBuilder, ClientType, StaticToken};
use super::consent::Consent;
use super::permissions::ConsentType;
use super::request::Request;

pub use expect::{Expectation, MockResponse};
use server::{Shared, State};
pub use spec::{ANY, APP_ONLY_TOKEN, DELEGATED_TOKEN, MockError, ReceivedRequest};
use upload::{PREFIX, SessionState};

/// The timeout of the clients a mock server hands out (a safety net: a test never waits
/// Graph's 100 s).
pub const MOCK_CLIENT_TIMEOUT: Duration = Duration::from_secs(30);

/// A Microsoft Graph stand-in on `127.0.0.1` (an ephemeral port), for tests: what a generated
/// crate's `testing::MockGraph` holds and derefs to, so these are its methods.
///
/// Dropping it stops the server and runs [`verify`](Self::verify) (unless the test is already
/// panicking).
pub struct MockServer {
    shared: Arc<Shared>,
    base: String,
    api_version: &'static str,
    server: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for MockServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockGraph").field("url", &self.base).finish_non_exhaustive()
    }
}

impl MockServer {
    /// Starts the server on the current tokio runtime; `api_version` is the main API's
    /// ([`base_url`](Self::base_url)).
    ///
    /// # Panics
    /// When no loopback port can be bound, or outside a tokio runtime.
    #[doc(hidden)]
    pub async fn start(api_version: &'static str) -> MockServer {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .unwrap_or_else(|e| panic!("MockGraph: cannot bind a loopback port: {e}"));
        let port = listener.local_addr().map(|a| a.port()).unwrap_or_else(|e| panic!("MockGraph: {e}"));
        let base = format!("http://127.0.0.1:{port}");
        let shared = Arc::new(Shared { base: base.clone(), state: Mutex::new(State::default()) });
        let server = tokio::spawn(server::serve(listener, shared.clone()));
        MockServer { shared, base, api_version, server }
    }

    /// The service root of the main API version, e.g. `http://127.0.0.1:41234/v1.0`.
    pub fn base_url(&self) -> String {
        format!("{}/{}", self.base, self.api_version)
    }

    /// A builder of a client `T` of consent `C` (bearer [`DELEGATED_TOKEN`] or
    /// [`APP_ONLY_TOKEN`]) pointed at this server.
    #[doc(hidden)]
    pub fn builder_for<C: Consent, T: ClientType<C>>(&self) -> ClientBuilder<C, T> {
        let token = match C::CONSENT_TYPE {
            ConsentType::Delegated => DELEGATED_TOKEN,
            ConsentType::Application => APP_ONLY_TOKEN,
        };
        ClientBuilder::new(StaticToken::new(token))
            .base_url(self.base_url())
            .beta_base_url(format!("{}/beta", self.base))
            .timeout(Some(MOCK_CLIENT_TIMEOUT))
    }

    /// Expects `request`: the same method, path, query options and headers (more query options
    /// and headers may come), its body (as JSON, equal; see [`Expectation::body_where`] and
    /// [`Expectation::any_body`]) and its client's consent. Answer it with
    /// [`respond`](Expectation::respond) and the other `respond_*`/`fail` methods; by default it
    /// is expected at least once.
    ///
    /// # Panics
    /// When the request cannot be built (its body cannot be encoded).
    #[track_caller]
    pub fn expect<K: MockResponse, C: Consent>(&self, request: Request<K, C>) -> Expectation<K> {
        let location = std::panic::Location::caller();
        let parts = request
            .into_mock_parts()
            .unwrap_or_else(|e| panic!("MockGraph: the expected request at {location} cannot be built: {e}"));
        Expectation::register(self.shared.clone(), parts, C::NAME, location)
    }

    /// A new upload session: its [`url`](MockUploadSession::url) takes a large upload's
    /// fragments as Graph's sessions do. Answer the code under test's `createUploadSession` with
    /// it as the `uploadUrl`, then check [`content`](MockUploadSession::content).
    pub fn upload_session(&self) -> MockUploadSession {
        let (index, url) = {
            let mut state = self.shared.lock();
            state.uploads.push(SessionState::default());
            let index = state.uploads.len() - 1;
            (index, format!("{}{PREFIX}{}?tempauth=mock", self.base, index + 1))
        };
        MockUploadSession { shared: self.shared.clone(), index, url }
    }

    /// Every request received so far (`$batch` items one by one), in order.
    pub fn received(&self) -> Vec<ReceivedRequest> {
        self.shared.lock().received.clone()
    }

    /// Takes what went wrong so far (unmatched requests, predicate panics, broken `$batch` rules),
    /// so a test can assert on it; [`verify`](Self::verify) then no longer reports them.
    pub fn take_failures(&self) -> Vec<String> {
        std::mem::take(&mut self.shared.lock().failures)
    }

    /// Fails (panics) listing what went wrong so far: requests no expectation matched, expectations
    /// not met (fewer calls than expected), predicates that panicked, and `$batch` calls that
    /// broke Graph's rules.
    ///
    /// # Panics
    /// When any of those happened.
    #[track_caller]
    pub fn verify(&self) {
        if let Some(report) = self.shared.lock().report() {
            panic!("{report}");
        }
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        self.server.abort();
        if !std::thread::panicking() {
            if let Some(report) = self.shared.lock().report() {
                panic!("{report}");
            }
        }
    }
}

/// An upload session of a [`MockServer`], from
/// [`upload_session`](MockServer::upload_session): its [`url`](Self::url) is what the
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
/// [`verify`](MockServer::verify). Fragments are not listed in
/// [`received`](MockServer::received); [`fragments`](Self::fragments) lists them.
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
    /// The session's `uploadUrl`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Answers the next fragment with `error` (nothing of it kept), then the one after normally:
    /// a failure the code under test must get past (e.g. [`MockError::unavailable`]).
    pub fn fail_next(&self, error: MockError) -> &Self {
        self.shared.lock().uploads[self.index].fail_next(error);
        self
    }

    /// The body of the `201` that answers the last fragment (a drive item of your own); by
    /// default `{"id": "mock-upload-item", "size": <the file's size>}`.
    pub fn completes_with(&self, item: serde_json::Value) -> &Self {
        self.shared.lock().uploads[self.index].completes_with(item);
        self
    }

    /// The file, once the session holds every byte; `None` before.
    pub fn content(&self) -> Option<Vec<u8>> {
        self.shared.lock().uploads[self.index].content()
    }

    /// The `Content-Range` of each fragment received, in order.
    pub fn fragments(&self) -> Vec<String> {
        self.shared.lock().uploads[self.index].fragments().to_vec()
    }

    /// Whether the session was cancelled (a `DELETE` of its URL).
    pub fn is_cancelled(&self) -> bool {
        self.shared.lock().uploads[self.index].is_cancelled()
    }
}

//! Testing code that calls Graph, without a tenant (cargo feature `test-util`).
//!
//! [`MockGraph`] is a Microsoft Graph stand-in on a loopback port, in your test's own process. It
//! hands out [`Client`]s of either consent pointed at it, and answers what you tell it to
//! expect. An expectation is written with the same request builders the code under test calls,
//! so it reads like the call it stands for, and its answer has the operation's own type:
//!
//! ```
//! # #[cfg(feature = "test-util")]
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! use msgraph_entitlement::Page;
//! use msgraph_entitlement::runtime::{Json, Method};
//! use msgraph_entitlement::testing::MockGraph;
//! use serde_json::{Value, json};
//!
//! let graph = MockGraph::start().await;
//! let client = graph.client();
//! // Any request works, and the generated operations (the request builders) too.
//! let list = || client.request::<Json<Page<Value>>>(Method::GET, "/users".into());
//! graph.expect(list()).respond_pages([vec![json!({"id": "1"})], vec![json!({"id": "2"})]]);
//!
//! let users = list().collect_all(usize::MAX).await.unwrap();
//! assert_eq!(users.len(), 2);
//! graph.verify();
//! # }
//! # #[cfg(not(feature = "test-util"))]
//! # fn main() {}
//! ```
//!
//! What the server does as Graph does:
//! - checks the `Authorization: Bearer` header (a `401` without it);
//! - pages: [`Expectation::respond_pages`] serves the first page and writes an `@odata.nextLink`
//!   (a `$skiptoken` on the same URL) to each next one, and `@odata.count` when `$count=true`;
//! - `$batch` (`POST /v1.0/$batch`, `/beta/$batch`): at most 20 items, unique ids, URLs relative
//!   to the service root, `Content-Type` on items with a body, `dependsOn` run in order and
//!   `424 Failed Dependency` for the dependants of a failed item; each item is answered by the
//!   same expectations as a single request, with its own status and headers, and the answers are
//!   written in an order other than the requests' (Graph promises no order);
//! - a body the operation cannot accept (not its body type) is answered `400` naming the JSON
//!   path;
//! - errors are Graph's error objects, with `request-id` and `client-request-id` headers.
//!
//! A request that no expectation matches is answered `501` with a message naming its method,
//! path and query and the closest expectation (what your code's `unwrap` shows), and is
//! recorded: [`MockGraph::verify`], which also runs when the mock is dropped, fails the test with
//! every unmatched request, every expectation not met, and any panic of a predicate. A panic in
//! the server answers `500`; it never hangs the client.

mod expect;
mod server;
pub(crate) mod spec;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::client::{Client, ClientBuilder, StaticToken};
use super::consent::{AppOnly, Consent, Delegated};
use super::request::Request;
use super::permissions::ConsentType;

pub use expect::{Expectation, MockResponse};
use server::{Shared, State};
pub use spec::{ANY, APP_ONLY_TOKEN, DELEGATED_TOKEN, MockError, ReceivedRequest};

/// The timeout of the clients [`MockGraph`] hands out (a safety net: a test never waits
/// Graph's 100 s).
pub const MOCK_CLIENT_TIMEOUT: Duration = Duration::from_secs(30);

/// A Microsoft Graph stand-in on `127.0.0.1` (an ephemeral port), for tests. See the
/// [module documentation](self).
///
/// Dropping it stops the server and runs [`verify`](Self::verify) (unless the test is already
/// panicking).
pub struct MockGraph {
    shared: Arc<Shared>,
    base: String,
    server: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for MockGraph {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockGraph").field("url", &self.base).finish_non_exhaustive()
    }
}

impl MockGraph {
    /// Starts the server on the current tokio runtime.
    ///
    /// # Panics
    /// When no loopback port can be bound, or outside a tokio runtime.
    pub async fn start() -> MockGraph {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .unwrap_or_else(|e| panic!("MockGraph: cannot bind a loopback port: {e}"));
        let port = listener.local_addr().map(|a| a.port()).unwrap_or_else(|e| panic!("MockGraph: {e}"));
        let base = format!("http://127.0.0.1:{port}");
        let shared = Arc::new(Shared { base: base.clone(), state: Mutex::new(State::default()) });
        let server = tokio::spawn(server::serve(listener, shared.clone()));
        MockGraph { shared, base, server }
    }

    /// The service root of the main API version, e.g. `http://127.0.0.1:41234/v1.0`.
    pub fn base_url(&self) -> String {
        format!("{}/{}", self.base, crate::API_VERSION)
    }

    /// A delegated client (bearer [`DELEGATED_TOKEN`]) pointed at this server.
    pub fn client(&self) -> Client<Delegated> {
        self.client_builder().build().unwrap_or_else(|e| panic!("MockGraph: {e}"))
    }

    /// An app-only client (bearer [`APP_ONLY_TOKEN`]) pointed at this server.
    pub fn app_only_client(&self) -> Client<AppOnly> {
        self.app_only_client_builder().build().unwrap_or_else(|e| panic!("MockGraph: {e}"))
    }

    /// A client of consent `C` pointed at this server, for code generic over it:
    /// [`client`](Self::client) for [`Delegated`], [`app_only_client`](Self::app_only_client)
    /// for [`AppOnly`].
    pub fn client_for<C: Consent>(&self) -> Client<C> {
        self.client_builder_for::<C>().build().unwrap_or_else(|e| panic!("MockGraph: {e}"))
    }

    /// The builder of [`client_for`](Self::client_for).
    pub fn client_builder_for<C: Consent>(&self) -> ClientBuilder<C> {
        let token = match C::CONSENT_TYPE {
            ConsentType::Delegated => DELEGATED_TOKEN,
            ConsentType::Application => APP_ONLY_TOKEN,
        };
        self.point_at(ClientBuilder::new(StaticToken::new(token)))
    }

    /// The builder of [`client`](Self::client), to set a retry policy, a timeout...
    pub fn client_builder(&self) -> ClientBuilder<Delegated> {
        self.point_at(Client::builder(StaticToken::new(DELEGATED_TOKEN)))
    }

    /// The builder of [`app_only_client`](Self::app_only_client).
    pub fn app_only_client_builder(&self) -> ClientBuilder<AppOnly> {
        self.point_at(Client::app_only_builder(StaticToken::new(APP_ONLY_TOKEN)))
    }

    fn point_at<C: Consent>(&self, builder: ClientBuilder<C>) -> ClientBuilder<C> {
        builder
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

impl Drop for MockGraph {
    fn drop(&mut self) {
        self.server.abort();
        if !std::thread::panicking() {
            if let Some(report) = self.shared.lock().report() {
                panic!("{report}");
            }
        }
    }
}

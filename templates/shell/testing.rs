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
//! - errors are Graph's error objects, with `request-id` and `client-request-id` headers;
//! - large uploads: [`MockServer::upload_session`] is an upload session whose URL takes
//!   fragments as Graph's do (`202` with `nextExpectedRanges`, the item on the last one).
//!
//! A request that no expectation matches is answered `501` with a message naming its method,
//! path and query and the closest expectation (what your code's `unwrap` shows), and is
//! recorded: [`MockServer::verify`], which also runs when the mock is dropped, fails the test with
//! every unmatched request, every expectation not met, and any panic of a predicate. A panic in
//! the server answers `500`; it never hangs the client.

use std::ops::Deref;

use msgraph_runtime::testing::MockServer;
use msgraph_runtime::{AppOnly, Consent, Delegated};

use super::client::{Client, ClientBuilder};

pub use msgraph_runtime::testing::{
    ANY, APP_ONLY_TOKEN, DELEGATED_TOKEN, Expectation, MOCK_CLIENT_TIMEOUT, MockError, MockResponse, MockUploadSession,
    ReceivedRequest,
};

/// A Microsoft Graph stand-in on `127.0.0.1` (an ephemeral port), for tests. See the
/// [module documentation](self). Its methods `expect`, `received`, `take_failures`, `verify`
/// and `base_url` are [`MockServer`]'s, which it derefs to.
///
/// Dropping it stops the server and runs `verify` (unless the test is already panicking).
#[derive(Debug)]
pub struct MockGraph {
    server: MockServer,
}

impl Deref for MockGraph {
    type Target = MockServer;

    fn deref(&self) -> &MockServer {
        &self.server
    }
}

impl MockGraph {
    /// Starts the server on the current tokio runtime.
    ///
    /// # Panics
    /// When no loopback port can be bound, or outside a tokio runtime.
    pub async fn start() -> MockGraph {
        MockGraph { server: MockServer::start(crate::API_VERSION).await }
    }

    /// A delegated client (bearer [`DELEGATED_TOKEN`]) pointed at this server.
    pub fn client(&self) -> Client<Delegated> {
        self.client_for()
    }

    /// An app-only client (bearer [`APP_ONLY_TOKEN`]) pointed at this server.
    pub fn app_only_client(&self) -> Client<AppOnly> {
        self.client_for()
    }

    /// A client of consent `C` pointed at this server, for code generic over it:
    /// [`client`](Self::client) for [`Delegated`], [`app_only_client`](Self::app_only_client)
    /// for [`AppOnly`].
    pub fn client_for<C: Consent>(&self) -> Client<C> {
        self.client_builder_for::<C>().build().unwrap_or_else(|e| panic!("MockGraph: {e}"))
    }

    /// The builder of [`client_for`](Self::client_for).
    pub fn client_builder_for<C: Consent>(&self) -> ClientBuilder<C> {
        self.server.builder_for()
    }

    /// The builder of [`client`](Self::client), to set a retry policy, a timeout...
    pub fn client_builder(&self) -> ClientBuilder<Delegated> {
        self.client_builder_for()
    }

    /// The builder of [`app_only_client`](Self::app_only_client).
    pub fn app_only_client_builder(&self) -> ClientBuilder<AppOnly> {
        self.client_builder_for()
    }
}

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use super::consent::{Consent, Delegated};
use super::error::{Error, Result};
use super::permissions::ApiInfo;
use super::retry::RetryPolicy;

/// The OAuth scope of the global Graph cloud ([`Cloud::Global`]); a client of another cloud asks
/// for its own ([`Cloud::scope`], [`Session::scope`]).
pub const GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";

/// A Microsoft Graph deployment: its service root and the token audience (scope) that go with
/// it. Set with [`ClientBuilder::cloud`]; a national cloud's tokens come from its own sign-in
/// authority ([`authority_host`](Self::authority_host)), which your credential must be set up for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Cloud {
    /// The global service, `https://graph.microsoft.com` (the default).
    Global,
    /// US Government L4 (GCC High), `https://graph.microsoft.us`.
    UsGovL4,
    /// US Government L5 (DoD), `https://dod-graph.microsoft.us`.
    UsGovL5Dod,
    /// Microsoft Graph China operated by 21Vianet, `https://microsoftgraph.chinacloudapi.cn`.
    China,
}

impl Cloud {
    /// The service root without the API version, e.g. `https://graph.microsoft.us`.
    pub fn service_root(self) -> &'static str {
        match self {
            Cloud::Global => "https://graph.microsoft.com",
            Cloud::UsGovL4 => "https://graph.microsoft.us",
            Cloud::UsGovL5Dod => "https://dod-graph.microsoft.us",
            Cloud::China => "https://microsoftgraph.chinacloudapi.cn",
        }
    }

    /// The OAuth scope a token for this cloud's Graph is asked with, e.g.
    /// `https://graph.microsoft.us/.default`.
    pub fn scope(self) -> &'static str {
        match self {
            Cloud::Global => GRAPH_SCOPE,
            Cloud::UsGovL4 => "https://graph.microsoft.us/.default",
            Cloud::UsGovL5Dod => "https://dod-graph.microsoft.us/.default",
            Cloud::China => "https://microsoftgraph.chinacloudapi.cn/.default",
        }
    }

    /// The sign-in authority that issues tokens for this cloud, e.g.
    /// `https://login.microsoftonline.us` (configure your credential with it).
    pub fn authority_host(self) -> &'static str {
        match self {
            Cloud::Global => "https://login.microsoftonline.com",
            Cloud::UsGovL4 | Cloud::UsGovL5Dod => "https://login.microsoftonline.us",
            Cloud::China => "https://login.chinacloudapi.cn",
        }
    }
}

/// The scope of a service root: its origin and `/.default` (`https://graph.microsoft.us/v1.0` ->
/// `https://graph.microsoft.us/.default`).
fn scope_of(url: &reqwest::Url) -> String {
    let mut origin = format!("{}://{}", url.scheme(), url.host_str().unwrap_or_default());
    if let Some(port) = url.port() {
        origin.push_str(&format!(":{port}"));
    }
    format!("{origin}/.default")
}

/// A bearer token. Its `Debug` output never shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken(String);

impl AccessToken {
    /// Wraps a bearer token.
    pub fn new(token: impl Into<String>) -> Self {
        AccessToken(token.into())
    }

    /// The secret itself, for the `Authorization` header.
    pub fn secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken(<redacted>)")
    }
}

/// What a [`TokenProvider`] returns.
pub type TokenFuture<'a> = Pin<Box<dyn Future<Output = Result<AccessToken>> + Send + 'a>>;

/// Supplies a token for each request. Implement it over your credential library; the client
/// asks for its cloud's scope ([`Session::scope`]: [`GRAPH_SCOPE`] for the global cloud).
pub trait TokenProvider: Send + Sync {
    /// A token valid for `scopes` (the client passes its one scope, e.g. `[GRAPH_SCOPE]`).
    fn token<'a>(&'a self, scopes: &'a [&'a str]) -> TokenFuture<'a>;
}

/// A fixed bearer token (for tests, scripts, or tokens obtained elsewhere).
#[derive(Clone, Debug)]
pub struct StaticToken(AccessToken);

impl StaticToken {
    /// A provider that always returns `token`.
    pub fn new(token: impl Into<String>) -> Self {
        StaticToken(AccessToken::new(token))
    }
}

impl TokenProvider for StaticToken {
    fn token<'a>(&'a self, _scopes: &'a [&'a str]) -> TokenFuture<'a> {
        let token = self.0.clone();
        Box::pin(async move { Ok(token) })
    }
}

/// What a generated crate's `Client<C>` holds and derefs to: the transport, the token provider
/// and the settings, for consent `C` ([`Delegated`] or [`AppOnly`](crate::AppOnly)). Its methods
/// ([`request`](Self::request), [`batch`](Self::batch), [`base_url`](Self::base_url),
/// [`scope`](Self::scope)) are every client's; a generated crate adds its API's root methods.
/// Cheap to clone; clones share the connection pool.
pub struct Session<C: Consent = Delegated> {
    core: Core,
    consent: PhantomData<fn() -> C>,
}

impl<C: Consent> Clone for Session<C> {
    fn clone(&self) -> Self {
        Session { core: self.core.clone(), consent: PhantomData }
    }
}

/// A generated crate's client type: built from a [`Session`] by [`ClientBuilder::build`].
#[doc(hidden)]
pub trait ClientType<C: Consent>: From<Session<C>> {
    /// The crate's API.
    const API: &'static ApiInfo;
}

/// The consent-independent part of a client, which requests hold.
#[derive(Clone)]
pub(crate) struct Core {
    inner: Arc<Inner>,
    /// Requests go to the beta service root (operations of the `beta` module).
    beta: bool,
}

struct Inner {
    http: reqwest::Client,
    base_url: String,
    beta_base_url: String,
    /// What tokens are asked for: the cloud's scope, or the one derived from the base URL.
    scope: String,
    token: Arc<dyn TokenProvider>,
    retry: RetryPolicy,
    max_response_bytes: usize,
    api: &'static ApiInfo,
}

impl<C: Consent> fmt::Debug for Session<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("consent", &C::NAME)
            .field("base_url", &self.core.inner.base_url)
            .finish_non_exhaustive()
    }
}

impl<C: Consent> Session<C> {
    /// The base URL requests are made against, e.g. `https://graph.microsoft.com/v1.0` (or the
    /// beta one, for a client reached through the `beta` module).
    pub fn base_url(&self) -> &str {
        self.core.base_url()
    }

    /// The OAuth scope tokens are asked for: what [`ClientBuilder::scope`] set, else the base
    /// URL's origin and `/.default` (for a [`Cloud`], its [`Cloud::scope`]).
    pub fn scope(&self) -> &str {
        &self.core.inner.scope
    }

    /// This client, sending to the service root of `api_version` (`beta`, or the main version):
    /// what a generated crate's version module (`client.beta()`) holds.
    #[doc(hidden)]
    pub fn with_api_version(&self, api_version: &str) -> Session<C> {
        let core = Core { inner: self.core.inner.clone(), beta: api_version == "beta" };
        Session { core, consent: PhantomData }
    }

    pub(crate) fn core(&self) -> &Core {
        &self.core
    }
}

impl Core {
    pub(crate) fn base_url(&self) -> &str {
        if self.beta { &self.inner.beta_base_url } else { &self.inner.base_url }
    }

    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.inner.http
    }

    pub(crate) async fn token(&self) -> Result<AccessToken> {
        self.inner.token.token(&[self.inner.scope.as_str()]).await
    }

    pub(crate) fn retry(&self) -> &RetryPolicy {
        &self.inner.retry
    }

    pub(crate) fn max_response_bytes(&self) -> usize {
        self.inner.max_response_bytes
    }

    pub(crate) fn api(&self) -> &'static ApiInfo {
        self.inner.api
    }
}

/// Configures a client: a generated crate's `Client::builder(token)` (delegated) or
/// `Client::app_only_builder(token)`; `T` is the client type [`build`](Self::build) returns.
pub struct ClientBuilder<C: Consent, T> {
    token: Arc<dyn TokenProvider>,
    base_url: String,
    beta_base_url: Option<String>,
    scope: Option<String>,
    http: Option<reqwest::Client>,
    timeout: Option<Duration>,
    user_agent: String,
    retry: RetryPolicy,
    max_response_bytes: usize,
    api: &'static ApiInfo,
    consent: PhantomData<fn() -> (C, T)>,
}

/// The default of [`ClientBuilder::max_response_bytes`]: 64 MiB, far above any Graph page.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 64 << 20;

impl<C: Consent, T: ClientType<C>> ClientBuilder<C, T> {
    /// A builder for a client of consent `C`, for code generic over it:
    /// `ClientBuilder::<AppOnly>::new(token)` is `Client::app_only_builder(token)`, and
    /// `ClientBuilder::<Delegated>::new(token)` is `Client::builder(token)`.
    pub fn new(token: impl TokenProvider + 'static) -> Self {
        ClientBuilder {
            token: Arc::new(token),
            base_url: format!("{}/{}", Cloud::Global.service_root(), T::API.api_version),
            beta_base_url: None,
            scope: None,
            http: None,
            timeout: Some(Duration::from_secs(100)),
            user_agent: T::API.user_agent.to_string(),
            retry: RetryPolicy::default(),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            api: T::API,
            consent: PhantomData,
        }
    }

    /// The client; fails when the base URL is not an http(s) URL or TLS cannot be set up.
    pub fn build(self) -> Result<T> {
        self.session().map(T::from)
    }
}

impl<C: Consent, T> ClientBuilder<C, T> {
    /// The Graph deployment: sets the service root (this crate's API version on the cloud's
    /// [`service_root`](Cloud::service_root)) and the token scope ([`Cloud::scope`]) together.
    pub fn cloud(mut self, cloud: Cloud) -> Self {
        self.base_url = format!("{}/{}", cloud.service_root(), self.api.api_version);
        self
    }

    /// The service root including the version, e.g. `https://graph.microsoft.us/v1.0` for a
    /// national cloud, or a local test server. Tokens are then asked for its origin's scope
    /// (`https://graph.microsoft.us/.default`) unless [`scope`](Self::scope) says otherwise.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into().trim_end_matches('/').to_string();
        self
    }

    /// The OAuth scope tokens are asked for, when it is not the base URL's origin and `/.default`
    /// (a proxy in front of Graph, say).
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }

    /// The service root of the beta API (the `beta` module's operations). By default the base
    /// URL with a final `/v1.0` replaced by `/beta` (`https://graph.microsoft.com/beta`), or the
    /// base URL itself when it does not end in `/v1.0` (a local test server).
    pub fn beta_base_url(mut self, url: impl Into<String>) -> Self {
        self.beta_base_url = Some(url.into().trim_end_matches('/').to_string());
        self
    }

    /// Use this reqwest client (its own timeout and user agent then apply).
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Total time allowed per request (default 100 s); `None` for no limit.
    pub fn timeout(mut self, timeout: Option<Duration>) -> Self {
        self.timeout = timeout;
        self
    }

    /// How throttled (429) and unavailable (503, 504) responses are retried; see [`RetryPolicy`].
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The largest response body read (default [`DEFAULT_MAX_RESPONSE_BYTES`]); a larger one is
    /// [`Error::ResponseTooLarge`](crate::Error::ResponseTooLarge), so a broken or hostile server
    /// cannot exhaust memory.
    pub fn max_response_bytes(mut self, limit: usize) -> Self {
        self.max_response_bytes = limit;
        self
    }

    /// The `User-Agent` header (default: the generated crate's name and version, `<crate name>/<version>`).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    fn session(self) -> Result<Session<C>> {
        let beta_base_url = match self.beta_base_url {
            Some(url) => url,
            None => match self.base_url.strip_suffix("/v1.0") {
                Some(root) => format!("{root}/beta"),
                None => self.base_url.clone(),
            },
        };
        let mut https = false;
        let mut derived_scope = None;
        for url in [&self.base_url, &beta_base_url] {
            let parsed =
                reqwest::Url::parse(url).map_err(|e| Error::InvalidArgument(format!("base URL `{url}`: {e}")))?;
            if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
                return Err(Error::InvalidArgument(format!("base URL `{url}` is not http(s)")));
            }
            https |= parsed.scheme() == "https";
            derived_scope.get_or_insert_with(|| scope_of(&parsed));
        }
        let scope = self.scope.or(derived_scope).unwrap_or_else(|| GRAPH_SCOPE.to_string());
        let http = match self.http {
            Some(http) => http,
            None => {
                if https && !TLS_ENABLED {
                    return Err(Error::Tls(format!(
                        "the base URL `{}` is https but {} was built without TLS: enable its `rustls`, \
                         `rustls-ring` or `native-tls` feature",
                        self.base_url, self.api.crate_name
                    )));
                }
                let mut b = reqwest::Client::builder().user_agent(self.user_agent);
                if let Some(t) = self.timeout {
                    b = b.timeout(t);
                }
                b = ring_tls(b)?;
                b.build().map_err(Error::transport)?
            }
        };
        Ok(Session {
            core: Core {
                inner: Arc::new(Inner {
                    http,
                    base_url: self.base_url,
                    beta_base_url,
                    scope,
                    token: self.token,
                    retry: self.retry,
                    max_response_bytes: self.max_response_bytes,
                    api: self.api,
                }),
                beta: false,
            },
            consent: PhantomData,
        })
    }
}

/// Whether one of the TLS features is on.
const TLS_ENABLED: bool = cfg!(any(feature = "rustls", feature = "rustls-ring", feature = "native-tls"));

/// With `rustls-ring` as the only TLS feature, reqwest has no crypto provider of its own (it
/// would panic when building): give it a rustls configuration with ring and the platform's
/// certificate verifier, unless the application installed a process-wide provider, which
/// reqwest then uses. Nothing global is changed.
#[cfg(all(feature = "rustls-ring", not(feature = "rustls"), not(feature = "native-tls")))]
fn ring_tls(builder: reqwest::ClientBuilder) -> Result<reqwest::ClientBuilder> {
    use rustls_platform_verifier::BuilderVerifierExt;
    if rustls::crypto::CryptoProvider::get_default().is_some() {
        return Ok(builder);
    }
    // rustls 0.23.48 deprecates ring's provider for its lack of post-quantum key exchange; that is
    // this feature's documented trade-off (the `rustls` feature has it), so the call stays.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|b| b.with_platform_verifier())
        .map_err(|e| Error::Tls(e.to_string()))?
        .with_no_client_auth();
    // What reqwest offers with its own configuration: HTTP/2, then HTTP/1.1.
    tls.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(builder.tls_backend_preconfigured(tls))
}

/// Every other feature set: reqwest configures TLS itself.
#[cfg(not(all(feature = "rustls-ring", not(feature = "rustls"), not(feature = "native-tls"))))]
#[allow(clippy::unnecessary_wraps)]
fn ring_tls(builder: reqwest::ClientBuilder) -> Result<reqwest::ClientBuilder> {
    Ok(builder)
}

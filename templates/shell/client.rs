use std::fmt;
use std::ops::Deref;

use msgraph_runtime::{ApiInfo, AppOnly, ClientType, Consent, Delegated, Result, Session, TokenProvider};

/// A Microsoft Graph client for consent `C`: [`Delegated`] (a signed-in user; the default, built
/// with [`Client::new`]) or [`AppOnly`] (application permissions, built with [`Client::app_only`]).
/// Methods the permission does not allow under `C` do not compile. Its methods are this API's
/// roots, and through [`Session`] (which it derefs to) every client's: `request`, `batch`,
/// `base_url`, `scope`. Cheap to clone; clones share the connection pool.
pub struct Client<C: Consent = Delegated> {
    session: Session<C>,
}

/// Configures a [`Client`]: [`Client::builder`], [`Client::app_only_builder`], or
/// `ClientBuilder::<C>::new(token)` in code generic over the consent.
pub type ClientBuilder<C = Delegated> = msgraph_runtime::ClientBuilder<C, Client<C>>;

impl<C: Consent> Clone for Client<C> {
    fn clone(&self) -> Self {
        Client { session: self.session.clone() }
    }
}

impl<C: Consent> fmt::Debug for Client<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.session.fmt(f)
    }
}

impl<C: Consent> Deref for Client<C> {
    type Target = Session<C>;

    fn deref(&self) -> &Session<C> {
        &self.session
    }
}

impl<C: Consent> From<Session<C>> for Client<C> {
    fn from(session: Session<C>) -> Self {
        Client { session }
    }
}

impl<C: Consent> ClientType<C> for Client<C> {
    const API: &'static ApiInfo = &super::API;
}

impl Client<Delegated> {
    /// A client for delegated consent (a signed-in user's token), global Graph cloud, default
    /// settings.
    pub fn new(token: impl TokenProvider + 'static) -> Result<Client<Delegated>> {
        Client::builder(token).build()
    }

    /// A builder for a delegated client: base URL (national clouds, test servers), timeout, user
    /// agent or your own `reqwest::Client`.
    pub fn builder(token: impl TokenProvider + 'static) -> ClientBuilder<Delegated> {
        ClientBuilder::new(token)
    }
}

impl Client<AppOnly> {
    /// A client for app-only consent (an application token, no signed-in user), global Graph
    /// cloud, default settings.
    pub fn app_only(token: impl TokenProvider + 'static) -> Result<Client<AppOnly>> {
        Client::app_only_builder(token).build()
    }

    /// A builder for an app-only client.
    pub fn app_only_builder(token: impl TokenProvider + 'static) -> ClientBuilder<AppOnly> {
        ClientBuilder::new(token)
    }
}

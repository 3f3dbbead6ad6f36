//! Tokens from `azure_identity` credentials (client secret, certificate, managed identity, Azure
//! CLI, workload identity...), behind the `azure-identity` feature. The credential obtains,
//! caches and refreshes tokens; this crate implements no OAuth of its own.

use std::sync::Arc;

use azure_core::credentials::TokenCredential;

use super::client::{AccessToken, TokenFuture, TokenProvider};
use super::error::Error;

/// A [`TokenProvider`] over any `azure_core` [`TokenCredential`].
///
/// ```no_run
/// # fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use msgraph_runtime::AzureCredential;
///
/// let credential = azure_identity::ClientSecretCredential::new(
///     "<tenant id>",
///     "<client id>".to_string(),
///     azure_core::credentials::Secret::new("<client secret>"),
///     None,
/// )?;
/// // A generated crate's `Client::app_only(provider)` (or `Client::new` for a user's token).
/// let provider = AzureCredential::new(credential);
/// # let _ = provider;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct AzureCredential {
    credential: Arc<dyn TokenCredential>,
}

impl AzureCredential {
    /// Wraps a credential (azure_identity constructors return an `Arc` of it).
    pub fn new(credential: Arc<dyn TokenCredential>) -> Self {
        AzureCredential { credential }
    }
}

impl TokenProvider for AzureCredential {
    fn token<'a>(&'a self, scopes: &'a [&'a str]) -> TokenFuture<'a> {
        Box::pin(async move {
            let token = self.credential.get_token(scopes, None).await.map_err(|e| Error::Auth(e.to_string()))?;
            Ok(AccessToken::new(token.token.secret()))
        })
    }
}

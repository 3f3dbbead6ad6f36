//! The hand-written runtime of the generated client: transport and auth ([`Client`]), requests
//! ([`Request`]), JSON batches ([`Batch`]), errors ([`Error`]) and the value types the models use.

#[cfg(feature = "azure-identity")]
mod azure;
mod batch;
mod client;
mod consent;
mod delta;
mod error;
mod filter;
mod json_path;
#[doc(hidden)]
pub mod object;
mod permissions;
mod request;
mod retry;
#[cfg(feature = "test-util")]
#[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
pub mod testing;
mod values;
mod wait;

#[cfg(feature = "azure-identity")]
#[cfg_attr(docsrs, doc(cfg(feature = "azure-identity")))]
pub use azure::AzureCredential;
pub use batch::{Batch, BatchItem, BatchProgress, BatchResults, DEFAULT_BATCH_CONCURRENCY, ItemId, MAX_BATCH_SIZE};
#[doc(hidden)]
pub use batch::fuzz_batch_answer;
pub use client::{
    AccessToken, Client, ClientBuilder, Cloud, DEFAULT_MAX_RESPONSE_BYTES, GRAPH_SCOPE, StaticToken, TokenFuture,
    TokenProvider,
};
pub use consent::{AppOnly, Application, Consent, Delegated, SignedInUser};
pub use delta::{Delta, Removed};
pub use error::{Error, ErrorDetails, GraphError, InnerError, Result};
pub use filter::{Filter, Hop, Literal, Nav, NavMany, Navigation, Property, quote_literal};
pub use permissions::{
    ConsentDetails, ConsentType, GRAPH_APP_ID, GrantedBy, MethodPermission, PathSegment, Permission,
    RequiredPermission, find as find_permission, find_cmdlet,
};
pub use request::{
    ByteStream, Bytes, Count, Items, Json, MaybeJson, NoContent, Nullable, ODataReference, Page, Pages, RawJson,
    Request, Response, ResponseKind, Selectable,
};
pub use retry::{GaveUp, RetryPolicy, parse_retry_after};
pub use wait::{WaitOptions, Waited};
#[doc(hidden)]
pub use wait::{Waiter, wait_until};
#[allow(deprecated)]
pub use values::odata_string_literal;
pub use values::{
    Base64Bytes, IsoDuration, encode_segment, path_argument_collection, path_argument_literal, path_argument_value,
};

/// The HTTP method of [`Client::request`] (re-exported from `reqwest`, so calling it needs no
/// direct `reqwest` dependency).
pub use reqwest::Method;

/// The response headers of [`Response`] (re-exported from `reqwest`).
pub use reqwest::header::HeaderMap;

#[doc(hidden)]
pub mod poly {
    //! Helpers of the generated polymorphic enums.
    pub use super::values::{from_value, odata_type_of};
}

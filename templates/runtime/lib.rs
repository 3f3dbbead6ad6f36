//! The runtime of the Microsoft Graph clients `cargo xtask codegen` generates, one crate for every
//! generated crate: transport and auth ([`Session`], which a generated `Client` derefs to),
//! requests ([`Request`]), JSON batches ([`Batch`]), errors ([`Error`]) and the value types the
//! models use. A generated crate re-exports all of it as its `runtime` module; depend on the
//! generated crate, not on this one.
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

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
#[doc(hidden)]
pub use batch::fuzz_batch_answer;
pub use batch::{Batch, BatchItem, BatchProgress, BatchResults, DEFAULT_BATCH_CONCURRENCY, ItemId, MAX_BATCH_SIZE};
#[doc(hidden)]
pub use client::ClientType;
pub use client::{
    AccessToken, ClientBuilder, Cloud, DEFAULT_MAX_RESPONSE_BYTES, GRAPH_SCOPE, Session, StaticToken, TokenFuture,
    TokenProvider,
};
pub use consent::{AppOnly, Application, Consent, Delegated, SignedInUser};
pub use delta::{Delta, Removed};
pub use error::{Error, ErrorDetails, GraphError, InnerError, Result};
pub use filter::{Filter, Hop, Literal, Nav, NavMany, Navigation, Property, quote_literal};
#[doc(hidden)]
pub use permissions::{ApiInfo, init};
pub use permissions::{
    ConsentDetails, ConsentType, GRAPH_APP_ID, GrantedBy, MethodPermission, PathSegment, Permission,
    RequiredPermission, find as find_permission, find_cmdlet,
};
pub use request::{ByteRange, FragmentSize, Upload, UploadStatus};
pub use request::{
    ByteStream, Bytes, Count, Items, Json, MaybeJson, NoContent, Nullable, ODataReference, Page, Pages, RawJson,
    Request, Response, ResponseKind, Selectable,
};
pub use retry::{GaveUp, RetryPolicy, parse_retry_after};
#[allow(deprecated)]
pub use values::odata_string_literal;
pub use values::{
    Base64Bytes, IsoDuration, encode_segment, path_argument_collection, path_argument_literal, path_argument_value,
};
pub use wait::{WaitOptions, Waited};
#[doc(hidden)]
pub use wait::{Waiter, wait_until};

/// The HTTP method of [`Session::request`] (re-exported from `reqwest`, so calling it needs no
/// direct `reqwest` dependency).
pub use reqwest::Method;

/// The response headers of [`Response`] (re-exported from `reqwest`).
pub use reqwest::header::HeaderMap;

#[doc(hidden)]
pub mod poly {
    //! Helpers of the generated polymorphic enums.
    pub use super::values::{from_value, odata_type_of};
}

/// `azure_core`, whose `TokenCredential` [`AzureCredential`] takes.
#[cfg(feature = "azure-identity")]
#[cfg_attr(docsrs, doc(cfg(feature = "azure-identity")))]
pub use azure_core;
/// The crates whose types appear in the API (dates and times in the models, ids, JSON, the HTTP
/// client, the page stream), re-exported so a generated crate's users get the same versions.
pub use {chrono, futures_core, reqwest, serde, serde_json, uuid};

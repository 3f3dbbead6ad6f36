//! The runtime: transport and auth ([`Client`]), requests ([`Request`]), JSON batches
//! ([`Batch`]), errors ([`Error`]) and the value types the models use. All of it is the
//! `msgraph-runtime` crate, which every generated crate shares, re-exported here; this crate adds
//! [`Client`] (whose methods are this API's roots) and the test kit's `testing::MockGraph`
//! (cargo feature `test-util`).

mod client;
#[cfg(feature = "test-util")]
#[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
pub mod testing;

#[doc(inline)]
pub use msgraph_runtime::*;

pub use client::{Client, ClientBuilder};

/// What the runtime knows of this crate: its API version, name and permissions table.
pub(crate) const API: ApiInfo = ApiInfo {
    api_version: crate::API_VERSION,
    crate_name: env!("CARGO_PKG_NAME"),
    user_agent: concat!(env!("CARGO_PKG_NAME"), "/", env!("CARGO_PKG_VERSION")),
    permission: &crate::permissions::PERMISSION,
    set: crate::permissions::SET,
    permissions: crate::permissions::PERMISSIONS,
};

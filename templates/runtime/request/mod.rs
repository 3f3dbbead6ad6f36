//! Requests: the builder ([`Request`]: query options, headers, body), how a response is decoded
//! ([`ResponseKind`]: JSON, no content, bytes...), sending with retries, paging ([`Pages`],
//! [`Items`]) and byte streams ([`ByteStream`]: downloads and uploads).

mod builder;
mod kinds;
mod paging;
mod send;
mod stream;

pub use builder::*;
pub use kinds::*;
pub use paging::*;
pub(crate) use send::*;
pub use stream::*;

//! Requests: the builder ([`Request`]: query options, headers, body), how a response is decoded
//! ([`ResponseKind`]: JSON, no content, bytes...), sending with retries, paging ([`Pages`],
//! [`Items`]), byte streams ([`ByteStream`]: downloads and uploads) and large uploads through an
//! upload session ([`Upload`]).

mod builder;
mod kinds;
mod paging;
mod send;
mod stream;
mod upload;

pub use builder::*;
pub use kinds::*;
pub use paging::*;
pub(crate) use send::*;
pub use stream::*;
pub use upload::*;

//! Consent as a type: a client is built either for delegated consent (a signed-in user) or for
//! app-only consent (application permissions), and the compiler refuses methods the permission
//! does not allow under that consent.

use std::fmt::Debug;

mod sealed {
    pub trait Sealed {}
}

/// The consent a client ([`Session`](crate::Session)) was built for: [`Delegated`] or [`AppOnly`].
pub trait Consent: sealed::Sealed + Debug + Clone + Copy + Send + Sync + 'static {
    /// `delegated` or `app-only`.
    const NAME: &'static str;
    /// The consent type of the permissions such a client uses.
    const CONSENT_TYPE: super::permissions::ConsentType;
}

/// Delegated consent: requests on behalf of a signed-in user. The default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delegated {}

/// App-only consent: requests with application permissions, no signed-in user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppOnly {}

impl sealed::Sealed for Delegated {}
impl sealed::Sealed for AppOnly {}

impl Consent for Delegated {
    const NAME: &'static str = "delegated";
    const CONSENT_TYPE: super::permissions::ConsentType = super::permissions::ConsentType::Delegated;
}

impl Consent for AppOnly {
    const NAME: &'static str = "app-only";
    const CONSENT_TYPE: super::permissions::ConsentType = super::permissions::ConsentType::Application;
}

/// Bound of the methods the permission allows only with a signed-in user.
#[diagnostic::on_unimplemented(
    message = "this method needs a signed-in user (delegated consent), but the client is `{Self}`",
    label = "delegated-only: not allowed app-only",
    note = "the permission allows this method only with delegated consent; build the client with `Client::new` (delegated) to call it"
)]
pub trait SignedInUser: Consent {}

impl SignedInUser for Delegated {}

/// Bound of the methods the permission allows only app-only.
#[diagnostic::on_unimplemented(
    message = "this method needs application consent (app-only), but the client is `{Self}`",
    label = "app-only method: not allowed with a signed-in user",
    note = "the permission allows this method only app-only; build the client with `Client::app_only` to call it"
)]
pub trait Application: Consent {}

impl Application for AppOnly {}

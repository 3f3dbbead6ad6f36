//! Stage 4, the model: [`types`] is the one intermediate model the emitter reads. It is made in
//! steps: [`build`] (the method set: listed and granted methods resolved and merged into
//! operations), [`closure`] (the types the operations use, named), [`consent`] (which consents allow
//! each operation, decided once, and where the sources drift), [`describe`] (rustdoc from a second
//! document) and [`tree`] (the request-builder tree of the client: nodes, struct and method names).
//! Beside it, [`permission`]: the permission itself (ids, names, admin consent) for the crate's
//! app-registration data; [`waiters`], the checked `wait_until_*` declarations; and
//! [`powershell`], each operation's Microsoft Graph PowerShell cmdlet and the page's commands
//! mapped to them.

pub mod build;
pub mod closure;
pub mod consent;
pub mod describe;
pub mod permission;
pub mod powershell;
pub mod root_features;
pub mod tree;
pub mod types;
pub mod waiters;

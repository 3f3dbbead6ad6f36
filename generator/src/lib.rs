//! `msgraph-codegen`: generates a typed Microsoft Graph client crate (by default
//! `msgraph-entitlement`) from Graph metadata, for the methods one permission grants.
//!
//! Each folder is a stage; dependencies point down the list (a stage imports only the stages
//! above it, never one below; `tests/tests/layout.rs` checks that no file imports one that imports it back):
//!
//! 1. [`inputs`]: `codegen.yaml` ([`inputs::config`]), the pinned upstream files and where their
//!    bytes are found ([`inputs::pins`]), the permission's reference page ([`inputs::manifest`]),
//!    the overrides ([`inputs::overrides`]), the version arithmetic ([`inputs::version`]) and the
//!    one YAML boundary ([`inputs::yaml`]).
//! 2. [`schema`]: the schema picture both front ends fill ([`schema::Schema`]) and its
//!    validation.
//! 3. [`frontend`]: CSDL XML ([`frontend::csdl`]) and OpenAPI YAML ([`frontend::openapi`]) into a
//!    [`schema::Schema`]; `permissions.json` ([`frontend::permissions`]). A front end returns what
//!    it read.
//! 4. [`paths`]: path syntax, and resolution of every path of every source against the schema
//!    (the one place a path is resolved), and path keys for comparing sources.
//! 5. [`model`]: the one model ([`model::types`]) built in steps: the method set
//!    ([`model::build`]), the type closure and its Rust type names ([`model::closure`]), consent
//!    decided once with the drift report ([`model::consent`]), descriptions from a second document
//!    ([`model::describe`]), each operation's PowerShell cmdlet with the page's commands mapped
//!    to them ([`model::powershell`]), and the request-builder tree ([`model::tree`]).
//! 6. [`emit`]: the model into the crate's files (quote + prettyplease), every template read in
//!    one place ([`emit::templates`]), and the atomic writer / `--check` ([`emit::output`]).
//!
//! Beside them: [`naming`] owns every Rust name rule (case, keywords, collisions, reserved names,
//! request-builder and method names); [`error`] and [`timing`] are leaves every stage may use;
//! [`pipeline`] drives one run through the stages. [`maintenance`] (metadata diff, bump
//! recording, cross-check of the front ends) drives the pipeline from outside and is never
//! imported by it.

pub mod emit;
pub mod error;
pub mod frontend;
pub mod inputs;
pub mod maintenance;
pub mod model;
pub mod naming;
pub mod paths;
pub mod pipeline;
pub mod schema;
pub mod timing;

pub use error::{Error, Result};
pub use pipeline::{
    Loaded, ParseCache, VersionRun, generate, generate_runtime, load, load_cached, load_config, load_from,
};

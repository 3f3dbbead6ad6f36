//! Stage 3, paths and resolution: [`syntax`] splits a path as a source writes it, [`resolve`]
//! walks it through the [`Schema`](crate::schema::Schema) to the operation it names (the only
//! place a path is resolved, for every source: the manifest, permissions.json, an OpenAPI
//! document's path list), [`matcher`] normalises paths for comparison across sources.

pub mod matcher;
pub mod resolve;
pub mod syntax;

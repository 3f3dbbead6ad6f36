//! Stage 2, front ends: each reads one kind of document and returns what it read, nothing more.
//! [`csdl`] (CSDL XML, with roxmltree) and [`openapi`] (OpenAPI YAML) both fill the one
//! [`Schema`](crate::schema::Schema); [`permissions`] reads Graph's `permissions.json`.

pub mod csdl;
pub mod openapi;
pub mod permissions;

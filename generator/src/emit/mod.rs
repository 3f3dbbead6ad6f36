//! Stage 6, emit: turns the model into the files of the generated crate. Rust is built as tokens
//! with `quote`, parsed with `syn` and printed with `prettyplease` ([`rust`]); every file starts
//! with the "generated, do not edit" header. [`templates`] reads every template file, once, before
//! anything is emitted; [`input`] is what the emitter is given; [`crate_files`] assembles the crate from the model, the request-builder
//! trees and the templates; [`output`] writes it atomically (or checks it, `--check`).

mod api;
pub mod crate_files;
mod e2e;
mod fields;
pub mod input;
mod mock_tests;
mod models;
pub mod output;
mod permissions;
mod readme;
mod report;
pub mod rust;
mod samples;
pub mod templates;

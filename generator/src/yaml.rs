//! The one place that touches a YAML library. `serde_yaml` is deprecated upstream; swapping it for
//! a maintained fork (`serde_norway`, same API) means changing this module and Cargo.toml only.

use std::path::Path;

use serde::de::DeserializeOwned;

use crate::error::{Error, Loc, Result};

/// Deserializes YAML text, reporting errors as `file:line:column: message`.
pub fn from_str<T: DeserializeOwned>(text: &str, file: &Path) -> Result<T> {
    serde_yaml::from_str(text).map_err(|e| {
        let loc = e.location().map_or(Loc::default(), |l| Loc {
            line: u32::try_from(l.line()).unwrap_or(u32::MAX),
            col: u32::try_from(l.column()).unwrap_or(u32::MAX),
        });
        let message = crate::error::without_position_suffix(e.to_string());
        Error::input(file, loc, message)
    })
}

/// Like [`from_str`], but through a YAML value first: the YAML itself (syntax, duplicate keys) is
/// checked with located errors, and `T` is then read from a document without duplicates. For
/// types whose `Deserialize` assumes that (openapiv3's `ReferenceOr` panics on a duplicate key
/// that a second parse tolerates). Errors of the second step have no position; they name the
/// offending value.
pub fn from_str_checked<T: DeserializeOwned>(text: &str, file: &Path) -> Result<T> {
    let value: serde_yaml::Value = from_str(text, file)?;
    serde_yaml::from_value(value).map_err(|e| Error::file(file, crate::error::without_position_suffix(e.to_string())))
}

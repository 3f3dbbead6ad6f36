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

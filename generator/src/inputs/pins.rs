//! Where the bytes of a pinned input are found on this machine, and their check against the pin:
//! `--metadata-dir`, then `$GRAPH_METADATA_DIR`, then `metadata/cache/`; the first file with the
//! pinned sha256 wins.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::inputs::config::{Config, InputPin};

/// Where inputs are looked up, in order.
#[derive(Debug, Clone, Default)]
pub struct InputSearch {
    /// `--metadata-dir`.
    pub metadata_dir: Option<PathBuf>,
    /// `$GRAPH_METADATA_DIR`.
    pub env_dir: Option<PathBuf>,
    /// `metadata/cache/`.
    pub cache_dir: Option<PathBuf>,
    /// `--allow-unpinned`: accept bytes whose sha256 differs from the pin.
    pub allow_unpinned: bool,
}

impl InputSearch {
    pub fn dirs(&self) -> Vec<PathBuf> {
        [&self.metadata_dir, &self.env_dir, &self.cache_dir].into_iter().flatten().cloned().collect()
    }
}

/// An input's bytes, read once and verified.
#[derive(Debug, Clone)]
pub struct LoadedInput {
    pub name: String,
    pub file: PathBuf,
    pub text: String,
    pub sha256: String,
    /// False when `--allow-unpinned` let a different file through.
    pub pinned: bool,
}

/// Hex sha256 of bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks `bytes` against a pin; the error names both hashes.
pub fn verify_pin(name: &str, file: &Path, pin: &InputPin, bytes: &[u8]) -> Result<String> {
    let actual = sha256_hex(bytes);
    if actual.eq_ignore_ascii_case(&pin.sha256) {
        Ok(actual)
    } else {
        Err(Error::PinMismatch {
            name: name.to_string(),
            file: file.to_path_buf(),
            expected: pin.sha256.to_ascii_lowercase(),
            actual,
        })
    }
}

/// Finds, reads and verifies one pinned input.
pub fn load_input(config: &Config, search: &InputSearch, name: &str) -> Result<LoadedInput> {
    crate::timing::measure("read", || load_input_untimed(config, search, name))
}

fn load_input_untimed(config: &Config, search: &InputSearch, name: &str) -> Result<LoadedInput> {
    let pin = config.pin(name)?;
    let tried: Vec<PathBuf> = search.dirs().iter().map(|d| d.join(&pin.path)).collect();
    // The first file with the pinned bytes wins (so a stale copy in an earlier folder does not hide
    // the fetched one); failing that, with --allow-unpinned, the first file found.
    let mut first: Option<(PathBuf, Vec<u8>, Error)> = None;
    let mut found = None;
    for file in tried.iter().filter(|p| p.is_file()) {
        let bytes = std::fs::read(file).map_err(|e| Error::io(file, e))?;
        match verify_pin(name, file, pin, &bytes) {
            Ok(hash) => {
                found = Some((file.clone(), bytes, hash, true));
                break;
            }
            Err(e) => {
                if first.is_none() {
                    first = Some((file.clone(), bytes, e));
                }
            }
        }
    }
    let (file, bytes, sha256, pinned) = match (found, first) {
        (Some(found), _) => found,
        (None, Some((file, bytes, _))) if search.allow_unpinned => {
            let hash = sha256_hex(&bytes);
            (file, bytes, hash, false)
        }
        (None, Some((_, _, e))) => return Err(e),
        (None, None) => return Err(Error::InputMissing { name: name.to_string(), path: pin.path.clone(), tried }),
    };
    let mut text = String::from_utf8(bytes)
        .map_err(|e| Error::file(&file, format!("not UTF-8 (byte {})", e.utf8_error().valid_up_to())))?;
    if text.starts_with('\u{feff}') {
        text.drain(..'\u{feff}'.len_utf8());
    }
    Ok(LoadedInput { name: name.to_string(), file, text, sha256, pinned })
}

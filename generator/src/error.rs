//! The generator's one error type. Every variant that comes from an input names the file, and
//! where the input format gives one, the line and column.

use std::fmt;
use std::path::{Path, PathBuf};

/// A position in a text file, 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Loc {
    pub line: u32,
    pub col: u32,
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// Everything that can stop a generator run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// An input (XML, YAML, JSON) is malformed or says something the generator cannot accept.
    #[error("{}:{loc}: {message}", file.display())]
    Input { file: PathBuf, loc: Loc, message: String },
    /// An input without a useful position (for example a whole-file problem).
    #[error("{}: {message}", file.display())]
    File { file: PathBuf, message: String },
    /// A pinned input was found but its bytes are not the pinned ones.
    #[error(
        "{}: sha256 mismatch for input `{name}`: pinned {expected}, found {actual} \
         (run `cargo xtask fetch-metadata`, or pass --allow-unpinned to generate from other metadata)",
        file.display()
    )]
    PinMismatch { name: String, file: PathBuf, expected: String, actual: String },
    /// A pinned input was not found in any of the places the generator looks.
    #[error("input `{name}` ({path}) not found; looked in: {}; \
             set GRAPH_METADATA_DIR, pass --metadata-dir, or run `cargo xtask fetch-metadata`",
            tried.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "))]
    InputMissing { name: String, path: String, tried: Vec<PathBuf> },
    /// `--check` found generated files that differ from what the generator produces.
    #[error("generated files are stale (run `cargo xtask codegen`):\n{}",
            files.iter().map(|f| format!("  {f}")).collect::<Vec<_>>().join("\n"))]
    Stale { files: Vec<String> },
    /// The consent sources disagree in ways no override explains (`--check`).
    #[error("{} consent drift item(s) not explained by {} (add an entry with a reason and a docs link, or fix the manifest):\n{}",
            items.len(), file.display(), items.iter().map(|f| format!("  {f}")).collect::<Vec<_>>().join("\n"))]
    Drift { file: PathBuf, items: Vec<String> },
    /// Methods of the reference page that the metadata cannot generate (and the API version does
    /// not set `allow_unresolved`).
    #[error("{} method(s) of the {api_version} manifest ({}) cannot be generated from this metadata \
             (set api_versions.{api_version}.allow_unresolved in codegen.yaml to accept that):\n{}",
            items.len(), manifest.display(), items.iter().map(|f| format!("  {f}")).collect::<Vec<_>>().join("\n"))]
    Unresolved { api_version: String, manifest: PathBuf, items: Vec<String> },
    /// The emitted Rust did not parse (a generator bug, reported instead of writing it).
    #[error("internal error: emitted Rust for {file} does not parse: {message}")]
    Emit { file: String, message: String },
    /// The command line is wrong (`cargo xtask`); the message is clap's, with usage.
    #[error("{message}")]
    Usage { message: String },
    /// The command ends with this exit status, having said why itself: a command `cargo xtask`
    /// forwarded to another binary failed (its code is passed on), or `bump` has a bump ready (10).
    #[error("the command ended with exit status {code}")]
    Exit { code: i32 },
    /// Downloading an input failed.
    #[error("download of `{name}` from {url} failed: {message}")]
    Download { name: String, url: String, message: String },
}

impl Error {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { path: path.into(), source }
    }

    pub fn input(file: &Path, loc: Loc, message: impl Into<String>) -> Self {
        Error::Input { file: file.to_path_buf(), loc, message: message.into() }
    }

    pub fn file(file: &Path, message: impl Into<String>) -> Self {
        Error::File { file: file.to_path_buf(), message: message.into() }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A serde error message without the " at line L column C" its library appends (the position is
/// printed in front instead).
pub fn without_position_suffix(message: String) -> String {
    match message.find(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message,
    }
}

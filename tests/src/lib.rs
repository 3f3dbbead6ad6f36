//! Shared helpers of the integration tests: where the workspace, the fixtures and the Graph
//! metadata are.

use std::path::{Path, PathBuf};

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// A file under `tests/fixtures/`.
pub fn fixture(rel: &str) -> PathBuf {
    workspace_root().join("tests/fixtures").join(rel)
}

/// The folder holding the upstream Graph metadata: `$GRAPH_METADATA_DIR`, else
/// `../shared/graph-metadata` beside the checkout, else `metadata/cache/`. Panics (failing the
/// test) when none holds the v1.0 CSDL, saying how to provide it.
pub fn metadata_dir() -> PathBuf {
    let candidates: Vec<PathBuf> = std::env::var_os("GRAPH_METADATA_DIR")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .into_iter()
        .chain([workspace_root().join("../shared/graph-metadata"), workspace_root().join("metadata/cache")])
        .collect();
    for c in &candidates {
        if c.join("v1.0/cleanMetadata.xml").is_file() {
            return c.clone();
        }
    }
    panic!("Graph metadata not found in {candidates:?}: set GRAPH_METADATA_DIR or run `cargo xtask fetch-metadata`");
}

/// The input search the tests generate with: the metadata dir found above, pins enforced.
pub fn search() -> msgraph_codegen::config::InputSearch {
    msgraph_codegen::config::InputSearch { metadata_dir: Some(metadata_dir()), ..Default::default() }
}

/// `metadata/codegen.yaml`.
pub fn config_file() -> PathBuf {
    workspace_root().join("metadata/codegen.yaml")
}

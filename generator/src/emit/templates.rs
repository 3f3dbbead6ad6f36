//! Every template file the emitter uses, read once before anything is emitted (the emitter itself
//! never touches the disk): `Cargo.toml.in` and `README.md.in`, the runtime crate (`runtime/`: its
//! sources and `Cargo.toml.in`), the crate's own part of the runtime and its tests (`shell/`,
//! `tests/`), the permission's own folder (`permissions/<permission>/`: README
//! fragments and `examples/`), a permission set's (`permissions/<A>+<B>/`: `examples/` and
//! `tests/`), and the crate's CHANGELOG.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::inputs::config::Config;

/// A template's text and the file it came from (named in errors).
#[derive(Debug, Clone)]
pub struct Template {
    pub file: PathBuf,
    pub text: String,
}

/// A folder of hand-written Rust files copied into the crate.
#[derive(Debug, Clone)]
pub struct CopiedFolder {
    /// Below `templates/`, e.g. `runtime` or `permissions/<permission>/examples`.
    pub from: String,
    /// In the crate, e.g. `src/runtime`.
    pub to: &'static str,
    /// `(file name, text)` in name order.
    pub files: Vec<(String, String)>,
}

/// The README fragments a permission may provide (`<name>.md`), in the order they are rendered.
pub const FRAGMENTS: [&str; 8] = ["about", "quickstart", "consent", "filter", "null", "bulk", "testing", "powershell"];

/// What the emitter renders and copies.
#[derive(Debug, Clone)]
pub struct Templates {
    pub cargo_toml: Template,
    pub readme: Template,
    /// The runtime crate: its sources (copied to `src/` below it) and its manifest.
    pub runtime: (CopiedFolder, Template),
    /// The crate's part of the runtime, tests, and the permission's examples when it has them.
    pub copied: Vec<CopiedFolder>,
    /// The permission's README fragments, by name (of [`FRAGMENTS`]); absent ones are written from
    /// the model.
    pub fragments: BTreeMap<&'static str, Template>,
    /// The CHANGELOG's file name and text.
    pub changelog: Option<(String, String)>,
}

impl Templates {
    /// Reads what `config` names.
    pub fn read(config: &Config) -> Result<Templates> {
        let dir = config.templates_dir();
        let profile = Some(dir.join("permissions").join(&config.permission)).filter(|p| p.is_dir());
        let mut copied = Vec::new();
        let runtime =
            CopiedFolder { files: read_rust_files(&dir.join("runtime"))?, from: "runtime".to_string(), to: "src" };
        let runtime = (runtime, template(&dir.join("runtime").join("Cargo.toml.in"))?);
        for (from, to) in [("shell".to_string(), "src/runtime"), ("tests".to_string(), "tests")] {
            copied.push(CopiedFolder { files: read_rust_files(&dir.join(&from))?, from, to });
        }
        if let Some(examples) = profile.as_ref().map(|p| p.join("examples")).filter(|e| e.is_dir()) {
            let from = format!("permissions/{}/examples", config.permission);
            copied.push(CopiedFolder { files: read_rust_files(&examples)?, from, to: "examples" });
        }
        // A crate for several permissions: the examples and tests of the set, in
        // `permissions/<A>+<B>/` (what needs all of them, e.g. names resolved by one permission
        // for a call of another).
        if !config.also_permissions.is_empty() {
            let set = config.permissions().join("+");
            for (sub, to) in [("examples", "examples"), ("tests", "tests")] {
                let folder = dir.join("permissions").join(&set).join(sub);
                if folder.is_dir() {
                    let from = format!("permissions/{set}/{sub}");
                    copied.push(CopiedFolder { files: read_rust_files(&folder)?, from, to });
                }
            }
        }
        let mut fragments = BTreeMap::new();
        for name in FRAGMENTS {
            let file = profile.as_ref().map(|p| p.join(format!("{name}.md"))).filter(|f| f.is_file());
            if let Some(file) = file {
                fragments.insert(name, template(&file)?);
            }
        }
        let changelog = match config.changelog_path() {
            Some(path) => {
                let name = path.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned());
                Some((name, read(&path)?))
            }
            None => None,
        };
        Ok(Templates {
            cargo_toml: template(&dir.join("Cargo.toml.in"))?,
            readme: template(&dir.join("README.md.in"))?,
            runtime,
            copied,
            fragments,
            changelog,
        })
    }
}

fn template(file: &Path) -> Result<Template> {
    Ok(Template { file: file.to_path_buf(), text: read(file)? })
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| Error::io(path, e))
}

/// The `.rs` files of a folder and its subfolders (a module with submodules), by relative path
/// (`/`-separated), in path order.
fn read_rust_files(dir: &Path) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut folders = vec![(dir.to_path_buf(), String::new())];
    while let Some((folder, prefix)) = folders.pop() {
        for entry in std::fs::read_dir(&folder).map_err(|e| Error::io(&folder, e))? {
            let path = entry.map_err(|e| Error::io(&folder, e))?.path();
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            if path.is_dir() {
                folders.push((path, format!("{prefix}{name}/")));
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push((format!("{prefix}{name}"), read(&path)?));
            }
        }
    }
    out.sort();
    Ok(out)
}

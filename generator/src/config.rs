//! `metadata/codegen.yaml`: what to generate and from which pinned upstream inputs, and where the
//! bytes of those inputs are found (and verified) on this machine.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// The parsed `codegen.yaml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The Graph permission whose methods are generated.
    pub permission: String,
    /// File name (relative to the config's folder) of the method manifest: the permission's
    /// reference page. Optional: without it, permissions.json alone gives the method set and the
    /// consent markers (and there is no second source to drift from).
    #[serde(default)]
    pub manifest: Option<String>,
    /// File name (relative to the config's folder) of the consent overrides (segment aliases,
    /// explained drift). Optional.
    #[serde(default)]
    pub overrides: Option<String>,
    /// API version -> the inputs that describe it.
    pub api_versions: BTreeMap<String, ApiVersionInputs>,
    /// The emitted crate.
    #[serde(rename = "crate")]
    pub krate: CrateConfig,
    #[serde(default)]
    pub closure: ClosureConfig,
    /// Navigation shortcuts on the client root: method name -> path prefix.
    #[serde(default)]
    pub shortcuts: BTreeMap<String, String>,
    /// Undeclared properties Graph accepts: qualified type name -> property name -> Edm type.
    #[serde(default)]
    pub extra_properties: BTreeMap<String, BTreeMap<String, String>>,
    /// How OpenAPI schemas map to OData kinds (needed when a version has an `openapi` input).
    #[serde(default)]
    pub openapi: Option<crate::openapi::OpenApiConfig>,
    /// Pinned upstream inputs by name.
    pub inputs: BTreeMap<String, InputPin>,
    /// The folder holding codegen.yaml (set after loading).
    #[serde(skip)]
    pub dir: PathBuf,
}

/// Which front end reads an API version's metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FrontEnd {
    Csdl,
    OpenApi,
}

impl FrontEnd {
    pub fn as_str(self) -> &'static str {
        match self {
            FrontEnd::Csdl => "csdl",
            FrontEnd::OpenApi => "openapi",
        }
    }
}

impl std::str::FromStr for FrontEnd {
    type Err = String;

    fn from_str(s: &str) -> Result<FrontEnd, String> {
        match s {
            "csdl" => Ok(FrontEnd::Csdl),
            "openapi" => Ok(FrontEnd::OpenApi),
            _ => Err(format!("unknown front end `{s}` (expected `csdl` or `openapi`)")),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiVersionInputs {
    /// Name of the CSDL input.
    #[serde(default)]
    pub csdl: Option<String>,
    /// Name of the OpenAPI input.
    #[serde(default)]
    pub openapi: Option<String>,
    /// The front end that builds this version when the run does not choose one (`--from`);
    /// by default CSDL when the version has a CSDL input.
    #[serde(default)]
    pub from: Option<FrontEnd>,
    /// Name of the permissions.json input.
    pub permissions: String,
    /// Listed methods this metadata cannot generate are warnings instead of errors (for old
    /// metadata). Off by default: a method of the reference page that the metadata lacks stops
    /// `cargo xtask codegen`.
    #[serde(default)]
    pub allow_unresolved: bool,
    /// An OpenAPI input whose descriptions and `externalDocs` links fill the rustdoc where the
    /// front end's document has none (types, properties, enum types, operations).
    #[serde(default)]
    pub descriptions: Option<String>,
    /// The cargo feature of the generated crate that enables this version's module. The first
    /// version without one is the crate's main surface.
    #[serde(default)]
    pub feature: Option<String>,
}

impl ApiVersionInputs {
    /// The front end for this version: `run` when the run chose one, else the configured one.
    pub fn front_end(&self, run: Option<FrontEnd>) -> FrontEnd {
        run.or(self.from).unwrap_or(if self.csdl.is_some() { FrontEnd::Csdl } else { FrontEnd::OpenApi })
    }

    /// The input that the front end reads.
    pub fn input_for(&self, front_end: FrontEnd) -> Option<&String> {
        match front_end {
            FrontEnd::Csdl => self.csdl.as_ref(),
            FrontEnd::OpenApi => self.openapi.as_ref(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrateConfig {
    pub name: String,
    pub version: String,
    /// Folder (relative to codegen.yaml) with `Cargo.toml.in`, `README.md.in` and `runtime/`.
    pub templates: String,
    /// The crate's CHANGELOG (relative to codegen.yaml), copied into the crate. A metadata bump
    /// adds its entries (`cargo xtask fetch-metadata --update-pins`, `diff-metadata --record`).
    #[serde(default)]
    pub changelog: Option<String>,
    /// crates.io keywords (at most 5); default: `microsoft-graph` and the permission's resource.
    #[serde(default)]
    pub keywords: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClosureConfig {
    /// Qualified type names whose derived types are not pulled into the closure.
    #[serde(default)]
    pub no_derived_types: Vec<String>,
    /// Navigation properties whose target the closure does not otherwise have.
    #[serde(default)]
    pub navigation: NavigationRule,
}

/// How far navigation properties pull their targets into the closure (`closure.navigation`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NavigationRule {
    /// Hops: 0 pulls nothing in (a navigation is typed only when its target is generated anyway);
    /// 1 pulls in the targets of the closure's navigation properties (with what their values
    /// need); 2 also the targets of those targets' navigation properties; and so on.
    #[serde(default)]
    pub depth: u32,
    /// Families (a type and everything derived from it) never pulled in this way; a navigation to
    /// one is typed as its nearest base type the closure has (which keeps every property it does
    /// not declare), else as JSON.
    #[serde(default)]
    pub untyped: Vec<String>,
}

/// One upstream file, pinned.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputPin {
    /// Path below a metadata directory.
    pub path: String,
    pub url: String,
    pub sha256: String,
    /// The upstream branch `fetch-metadata --latest` and `bump` follow; without it the input is
    /// frozen at its pin.
    #[serde(default)]
    pub branch: Option<String>,
}

impl Config {
    /// Loads and validates `codegen.yaml`.
    pub fn load(file: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(file).map_err(|e| Error::io(file, e))?;
        let mut config: Config = crate::yaml::from_str(&text, file)?;
        config.dir = file.parent().unwrap_or(Path::new(".")).to_path_buf();
        config.validate(file)?;
        Ok(config)
    }

    fn validate(&self, file: &Path) -> Result<()> {
        for (version, inputs) in &self.api_versions {
            if inputs.csdl.is_none() && inputs.openapi.is_none() {
                return Err(Error::file(
                    file,
                    format!("api_versions.{version} names neither a `csdl` nor an `openapi` input"),
                ));
            }
            if (inputs.openapi.is_some() || inputs.descriptions.is_some()) && self.openapi.is_none() {
                return Err(Error::file(
                    file,
                    format!(
                        "api_versions.{version} names an `openapi` input, but codegen.yaml has no `openapi:` section"
                    ),
                ));
            }
            let names = inputs
                .csdl
                .iter()
                .chain(inputs.openapi.iter())
                .chain(inputs.descriptions.iter())
                .chain(std::iter::once(&inputs.permissions));
            for name in names {
                if !self.inputs.contains_key(name) {
                    return Err(Error::file(
                        file,
                        format!("api_versions.{version} names input `{name}`, which `inputs` does not define"),
                    ));
                }
            }
        }
        crate::bump::next_version(&self.krate.version, crate::diff::Bump::None)
            .map_err(|m| Error::file(file, format!("crate.version: {m}")))?;
        for (name, pin) in &self.inputs {
            let ok = pin.sha256.len() == 64 && pin.sha256.bytes().all(|b| b.is_ascii_hexdigit());
            if !ok {
                return Err(Error::file(file, format!("inputs.{name}.sha256 `{}` is not 64 hex digits", pin.sha256)));
            }
            if pin.path.starts_with('/') || pin.path.split('/').any(|s| s == "..") {
                return Err(Error::file(
                    file,
                    format!("inputs.{name}.path `{}` must be relative and stay below the metadata dir", pin.path),
                ));
            }
        }
        Ok(())
    }

    pub fn overrides_path(&self) -> Option<PathBuf> {
        self.overrides.as_ref().map(|o| self.dir.join(o))
    }

    pub fn changelog_path(&self) -> Option<PathBuf> {
        self.krate.changelog.as_ref().map(|c| self.dir.join(c))
    }

    pub fn manifest_path(&self) -> Option<PathBuf> {
        self.manifest.as_ref().map(|m| self.dir.join(m))
    }

    /// Points the configuration at another permission (`cargo xtask codegen --permission`): the
    /// method set and consent come from permissions.json alone (the manifest transcribes this
    /// config's permission's reference page, so it is dropped), the crate is named after the
    /// permission (`msgraph-group-read-write-all`), and what belongs to the configured crate
    /// (version history, root shortcuts, keywords) is left out. Segment aliases and the type
    /// settings (closure, extra properties) are facts about Graph and stay. No-op for the
    /// configured permission.
    pub fn retarget(&mut self, permission: &str) {
        if permission == self.permission {
            return;
        }
        self.permission = permission.to_string();
        self.manifest = None;
        self.krate.name = format!("msgraph-{}", crate::naming::sanitize(permission, crate::naming::Case::Kebab));
        self.krate.version = "0.1.0".to_string();
        self.krate.changelog = None;
        self.krate.keywords = Vec::new();
        self.shortcuts.clear();
    }

    /// The crate's keywords for Cargo.toml: the configured ones, or `microsoft-graph` and the
    /// permission's resource (`group` for `Group.ReadWrite.All`).
    pub fn keywords(&self) -> Vec<String> {
        if !self.krate.keywords.is_empty() {
            return self.krate.keywords.clone();
        }
        let resource = self.permission.split('.').next().unwrap_or_default();
        let resource = crate::naming::sanitize(resource, crate::naming::Case::Kebab);
        vec!["microsoft-graph".to_string(), resource, "azure".to_string(), "entra".to_string()]
    }

    pub fn templates_dir(&self) -> PathBuf {
        self.dir.join(&self.krate.templates)
    }

    /// The default download cache, `metadata/cache/`.
    pub fn cache_dir(&self) -> PathBuf {
        self.dir.join("cache")
    }

    pub fn pin(&self, name: &str) -> Result<&InputPin> {
        self.inputs
            .get(name)
            .ok_or_else(|| Error::file(&self.dir.join("codegen.yaml"), format!("no input named `{name}`")))
    }
}

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

/// Stores downloaded bytes of input `name` in `cache_dir` after checking them against the pin.
/// On a mismatch nothing in the cache changes and the error names both hashes.
pub fn store_verified(cache_dir: &Path, name: &str, pin: &InputPin, bytes: &[u8]) -> Result<PathBuf> {
    let target = cache_dir.join(&pin.path);
    verify_pin(name, &target, pin, bytes)?;
    crate::output::write_file_atomic(&target, bytes)?;
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pin_of(bytes: &[u8]) -> InputPin {
        InputPin {
            path: "v1.0/x.xml".to_string(),
            url: "https://example.invalid/x.xml".to_string(),
            sha256: sha256_hex(bytes),
            branch: None,
        }
    }

    #[test]
    fn verified_bytes_are_stored() {
        let dir = tempfile::tempdir().unwrap();
        let pin = pin_of(b"hello");
        let path = store_verified(dir.path(), "x", &pin, b"hello").unwrap();
        assert_eq!(std::fs::read(path).unwrap(), b"hello");
    }

    #[test]
    fn mismatch_names_both_hashes_and_leaves_cache_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let pin = pin_of(b"hello");
        let err = store_verified(dir.path(), "x", &pin, b"tampered").unwrap_err().to_string();
        assert!(err.contains(&pin.sha256), "{err}");
        assert!(err.contains(&sha256_hex(b"tampered")), "{err}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}

//! `metadata/codegen.yaml`: what to generate and from which pinned upstream inputs, and where the
//! bytes of those inputs are found (and verified) on this machine.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use serde::Deserialize;

/// The parsed `codegen.yaml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The Graph permission whose methods are generated (with `also_permissions`, the first of
    /// the set).
    pub permission: String,
    /// More permissions of the same app registration: the crate covers the union of the methods
    /// they all grant (`cargo xtask codegen --permission A --permission B`). Their method sets and
    /// consent come from permissions.json.
    #[serde(default)]
    pub also_permissions: Vec<String>,
    /// File name (relative to the config's folder) of the method manifest: the permission's
    /// reference page. Optional: without it, permissions.json alone gives the method set and the
    /// consent markers (and there is no second source to drift from).
    #[serde(default)]
    pub manifest: Option<String>,
    /// File name (relative to the config's folder) of the consent overrides (segment aliases,
    /// explained drift). Optional.
    #[serde(default)]
    pub overrides: Option<String>,
    /// File name (relative to the config's folder) of the permission ids (application role and
    /// delegated scope per permission). Optional: without it, no ids are generated.
    #[serde(default)]
    pub permission_ids: Option<String>,
    /// File name (relative to the config's folder) of the waiters (`wait_until_*` methods).
    /// Optional.
    #[serde(default)]
    pub waiters: Option<String>,
    /// File name (relative to the config's folder) of the PowerShell naming rules (each
    /// operation's cmdlet). Optional: without it, operations get no cmdlet names.
    #[serde(default)]
    pub powershell: Option<String>,
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
    /// What to do with an answer: qualified type name -> a Markdown note added to the docs of
    /// every operation that returns the type (`response_notes`).
    #[serde(default)]
    pub response_notes: BTreeMap<String, String>,
    /// How OpenAPI schemas map to OData kinds (needed when a version has an `openapi` input).
    #[serde(default)]
    pub openapi: Option<OpenApiConfig>,
    /// Pinned upstream inputs by name.
    pub inputs: BTreeMap<String, InputPin>,
    /// The folder holding codegen.yaml (set after loading).
    #[serde(skip)]
    pub dir: PathBuf,
    /// Where the crate finds the runtime crate (`msgraph-runtime`), relative to the crate: `None`
    /// emits it inside the crate, as `runtime/` (a crate of its own, which the crate depends on);
    /// a path (set by the caller, e.g. the sweep's `../runtime`) shares one already written.
    #[serde(skip)]
    pub runtime_path: Option<String>,
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
    /// An API version with more operations than this gets a cargo feature per API root (`users`,
    /// `device-management`...), all on by default; none when unset.
    #[serde(default)]
    pub root_features_above: Option<usize>,
    /// In such a crate, an API root with more operations than this also gets a cargo feature per
    /// segment below it (`device-management-device-configurations`), which the root's turns on.
    #[serde(default)]
    pub segment_features_above: Option<usize>,
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
    /// A single-valued field whose type holds more than this many fields inline (its own, and
    /// those of the structs it holds unboxed) is boxed; none when unset.
    #[serde(default)]
    pub box_fields_above: Option<usize>,
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

/// How OpenAPI schemas map to OData kinds (`openapi:` in codegen.yaml).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenApiConfig {
    /// Schemas deriving from this one (and it) are entity types.
    pub entity_base: String,
    /// The key property of entity types.
    pub key: String,
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
        let mut config: Config = crate::inputs::yaml::from_str(&text, file)?;
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
        crate::inputs::version::next_version(&self.krate.version, crate::inputs::version::Bump::None)
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

    pub fn permission_ids_path(&self) -> Option<PathBuf> {
        self.permission_ids.as_ref().map(|p| self.dir.join(p))
    }

    pub fn waiters_path(&self) -> Option<PathBuf> {
        self.waiters.as_ref().map(|p| self.dir.join(p))
    }

    pub fn powershell_path(&self) -> Option<PathBuf> {
        self.powershell.as_ref().map(|p| self.dir.join(p))
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
        self.also_permissions.clear();
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

    /// Points the configuration at a set of permissions (`--permission A --permission B ...`): the
    /// first as [`retarget`](Self::retarget) does, the others added to it: their method sets and
    /// consent from permissions.json. The configured permission, when in the set, comes first and
    /// keeps its reference page. A set of more than one gets a crate named after all of them
    /// (`crate_name` instead when given).
    pub fn retarget_set(&mut self, permissions: &[String], crate_name: Option<&str>) {
        // The configured permission, if it is in the set, goes first whatever the order given:
        // its reference page, README fragments and examples then apply.
        let mut permissions = permissions.to_vec();
        if let Some(i) = permissions.iter().position(|p| *p == self.permission) {
            let configured = permissions.remove(i);
            permissions.insert(0, configured);
        }
        let Some((first, rest)) = permissions.split_first() else { return };
        self.retarget(first);
        for p in rest {
            if p != first && !self.also_permissions.contains(p) {
                self.also_permissions.push(p.clone());
            }
        }
        if !self.also_permissions.is_empty() {
            let names: Vec<String> =
                self.permissions().iter().map(|p| crate::naming::sanitize(p, crate::naming::Case::Kebab)).collect();
            // A crate of its own: its version history starts here. (The first permission's
            // shortcuts and keywords stay: it is the same API, with more.)
            self.krate.name = format!("msgraph-{}", names.join("-"));
            self.krate.version = "0.1.0".to_string();
            self.krate.changelog = None;
        }
        if let Some(name) = crate_name {
            self.krate.name = name.to_string();
        }
    }

    /// Every permission of the crate, the first (`permission`) first.
    pub fn permissions(&self) -> Vec<&str> {
        std::iter::once(self.permission.as_str()).chain(self.also_permissions.iter().map(String::as_str)).collect()
    }

    /// The permissions in prose: `A`, `A and B`, `A, B and C`.
    pub fn permissions_prose(&self) -> String {
        let names: Vec<String> = self.permissions().iter().map(|p| format!("`{p}`")).collect();
        crate::naming::prose_list(&names)
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

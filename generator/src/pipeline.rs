//! The driver: one run of the pipeline, as numbered, timed steps (see [`load_from`]).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use crate::emit::crate_files::emit_crate;
use crate::emit::input::{CrateInput, RunReport};
use crate::emit::templates::Templates;
use crate::error::{Error, Result};
use crate::frontend::{csdl, openapi, permissions};
use crate::inputs::config::{ApiVersionInputs, Config, FrontEnd, OpenApiConfig};
use crate::inputs::manifest::{self, Manifest};
use crate::inputs::overrides::Overrides;
use crate::inputs::permission_ids::PermissionIds;
use crate::inputs::pins::{self, InputSearch, LoadedInput};
use crate::inputs::powershell::PowerShellFile;
use crate::inputs::waiters::WaitersFile;
use crate::model::permission::{self, PermissionInfo};
use crate::model::tree::{self, Tree};
use crate::model::types::Api;
use crate::model::{build, closure, consent, describe, powershell, waiters};
use crate::paths::resolve;
use crate::schema::{QName, Schema};
use crate::timing;

/// Everything one run reads, each input read and parsed once.
pub struct Loaded {
    pub config: Config,
    pub manifest: Manifest,
    pub apis: Vec<Api>,
    pub inputs: Vec<LoadedInput>,
    /// Where the consent sources disagree.
    pub drift: consent::DriftReport,
    /// The permission itself: ids, names, descriptions, admin consent per consent type.
    pub permission: PermissionInfo,
    /// The other permissions of the crate's set (`also_permissions`), the same way.
    pub also: Vec<PermissionInfo>,
    /// The reference page's PowerShell commands mapped to the operations (empty without a page).
    pub commands: powershell::CommandReport,
    /// Per API version: the front end that built it and how long reading and building it took
    /// (for the command's summary; never written into the output).
    pub runs: BTreeMap<String, VersionRun>,
}

/// How one API version was built.
#[derive(Debug, Clone, Copy)]
pub struct VersionRun {
    pub front_end: FrontEnd,
    pub elapsed: std::time::Duration,
}

/// Reads the config, the manifest and the inputs, and builds the model of every API version.
pub fn load(config_file: &Path, search: &InputSearch) -> Result<Loaded> {
    load_config(Config::load(config_file)?, search)
}

/// [`load`] with a configuration already read (for example one whose pins were changed in memory).
pub fn load_config(config: Config, search: &InputSearch) -> Result<Loaded> {
    load_from(config, search, None)
}

/// [`load_config`] with every API version read by `front_end` (`cargo xtask codegen --from`)
/// instead of its configured one.
///
/// The recipe, each step timed for `cargo xtask bench` ([`timing`]):
/// 1. read the manifest and the overrides ([`read_listing`]);
/// 2. per API version ([`VersionBuild`]): read and parse its document with its front end and
///    permissions.json (once for all versions), on two threads;
/// 3. resolve: the OpenAPI document's path list, then the method set ([`build::method_set`]);
/// 4. closure: the types the operations use ([`closure::type_closure`]);
/// 5. describe: rustdoc from a second document, where one is configured ([`describe::describe`]),
///    and each operation's docs link: its version's document's first ([`describe::settle_docs`]);
/// 6. consent: decided once over every version, with the drift report ([`consent::apply`]);
/// 7. PowerShell: each operation's cmdlet, and the page's commands mapped to them
///    ([`powershell`]).
///
/// The request-builder tree ([`crate::model::tree`]) is built by the emitter's caller from the
/// finished model ([`crate::emit::emit`]).
pub fn load_from(config: Config, search: &InputSearch, front_end: Option<FrontEnd>) -> Result<Loaded> {
    load_cached(config, search, front_end, &ParseCache::default())
}

/// [`load_from`] with the documents parsed by earlier runs that shared `cache` (and those it
/// parses kept there): `cargo xtask sweep` builds every permission's model from one parse of each
/// input. Runs sharing a cache must look their inputs up the same way (`search`) and pin them
/// alike.
pub fn load_cached(
    config: Config,
    search: &InputSearch,
    front_end: Option<FrontEnd>,
    cache: &ParseCache,
) -> Result<Loaded> {
    // 1. The listing: the manifest and the overrides.
    let (manifest, overrides, ids) = read_listing(&config)?;
    let waiter_decls = match config.waiters_path() {
        Some(file) => WaitersFile::load(&file)?,
        None => WaitersFile::default(),
    };
    let mut build = VersionBuild { config: &config, search, cache, inputs: Vec::new(), perms: None };
    let mut apis = Vec::new();
    let mut runs = BTreeMap::new();
    let mut unused_links = Vec::new();
    // `response_notes` types that some version declares, and whether a version was read from a
    // whole CSDL (an OpenAPI input may be one module of Graph: a type it lacks proves nothing).
    let mut noted = std::collections::BTreeSet::new();
    let mut whole_metadata = false;
    for (version, names) in &config.api_versions {
        let started = std::time::Instant::now();
        let front = names.front_end(front_end);
        // 2. Read and parse.
        let document = build.parse(version, names, front)?;
        let Some(perms) = &build.perms else { continue };
        check_extra_properties(&config, &document.schema)?;
        let response_notes = response_notes(&config, &document.schema);
        noted.extend(response_notes.keys().map(ToString::to_string));
        whole_metadata |= front == FrontEnd::Csdl;
        // 3. Resolve: what the document serves, then the method set.
        let methods: Vec<&manifest::ManifestMethod> = manifest.methods_for(version).collect();
        let mut set = timing::measure("resolve", || {
            build::method_set(
                &document.schema,
                document.served.as_ref(),
                version,
                &methods,
                &perms.set_grants,
                &overrides.aliases,
            )
        });
        // 4. Closure.
        let closure = timing::measure("closure", || {
            closure::type_closure(&document.schema, &set.operations, &config.closure, &config.extra_properties)
        });
        closure::hold_operations(&document.schema, &mut set.operations, &closure.types);
        let mut api = Api {
            api_version: version.clone(),
            operations: set.operations,
            types: closure.types,
            unresolved: set.unresolved,
            skipped_grants: set.skipped_grants,
            declared_types: document.schema.types.keys().cloned().collect(),
            navigation_added: closure.navigation_added,
            waiters: Vec::new(),
            docs_differences: Vec::new(),
            response_notes,
        };
        waiters::attach(&mut api, &document.schema, &waiter_decls)?;
        // 5. Descriptions from another document, where this one has none.
        if let (Some(name), Some(openapi_config)) = (&names.descriptions, &config.openapi) {
            if names.input_for(front) != Some(name) {
                let described = build.described(name, openapi_config)?;
                timing::measure("describe", || describe::describe(&mut api, &described.0, &described.1));
            }
        }
        unused_links.extend(describe::settle_docs(&mut api, &overrides.docs_links));
        apis.push(api);
        runs.insert(version.clone(), VersionRun { front_end: front, elapsed: started.elapsed() });
    }
    if build.perms.is_some() && whole_metadata {
        check_response_notes(&config, &noted)?;
    }
    // 6. Consent, over every version at once.
    let drift = match &build.perms {
        Some(perms) => timing::measure("consent", || {
            consent::apply(
                &mut apis,
                &manifest,
                &perms.file,
                &perms.grants,
                &config.permissions(),
                &overrides,
                &config.overrides_path().unwrap_or_default(),
            )
        }),
        None => consent::DriftReport::default(),
    };
    // An override of the reference page's docs links that serves nothing is stale like an unused
    // drift entry (only the configured permission's run has that page).
    let mut drift = drift;
    if manifest.source.is_some() {
        drift.unused_overrides.extend(unused_links);
    }
    let describe = |name: &str| {
        permission::describe(
            name,
            build.perms.as_ref().and_then(|p| p.file.permissions.get(name)),
            ids.get(name),
            &build.perms.as_ref().map(|p| p.path.clone()).unwrap_or_default(),
            &config.permission_ids_path().unwrap_or_default(),
        )
    };
    let permission = describe(&config.permission)?;
    let also = config.also_permissions.iter().map(|p| describe(p)).collect::<Result<Vec<_>>>()?;
    // 7. PowerShell cmdlet names, and the page's commands against them.
    let commands = match config.powershell_path() {
        Some(file) => {
            let file = PowerShellFile::load(&file)?;
            powershell::name_operations(&mut apis, &file.rules);
            powershell::check_commands(&apis, &manifest.commands, &file)
        }
        None => powershell::CommandReport::default(),
    };
    let mut inputs = build.inputs;
    for i in &mut inputs {
        i.text = String::new();
    }
    Ok(Loaded { config, manifest, apis, inputs, drift, permission, also, commands, runs })
}

/// Step 1: the manifest (checked to be the configured permission's), the overrides and the
/// permission ids, or their empty defaults when the configuration names none.
fn read_listing(config: &Config) -> Result<(Manifest, Overrides, PermissionIds)> {
    let manifest = match config.manifest_path() {
        Some(file) => {
            let manifest = Manifest::load(&file)?;
            if manifest.permission != config.permission {
                return Err(Error::file(
                    &file,
                    format!(
                        "the manifest is for permission `{}`, but codegen.yaml asks for `{}`",
                        manifest.permission, config.permission
                    ),
                ));
            }
            manifest
        }
        None => Manifest::none(&config.permission),
    };
    let overrides = match config.overrides_path() {
        Some(file) => Overrides::load(&file)?,
        None => Overrides::default(),
    };
    let ids = match config.permission_ids_path() {
        Some(file) => PermissionIds::load(&file)?,
        None => PermissionIds::default(),
    };
    Ok((manifest, overrides, ids))
}

/// permissions.json, parsed once for every version.
struct Perms {
    name: String,
    path: std::path::PathBuf,
    file: Arc<permissions::PermissionsFile>,
    /// What permissions.json grants the configured permission (the manifest's drift is against it).
    grants: Vec<permissions::Grant>,
    /// What it grants any permission of the crate's set (the method set).
    set_grants: Vec<permissions::Grant>,
}

/// What a front end read of one version's document.
pub struct Document {
    schema: Schema,
    /// With OpenAPI: the (method, path) pairs the document lists (only those are generated),
    /// resolved against its schema.
    served: Option<resolve::Served>,
}

/// The parsed inputs of earlier runs ([`load_cached`]): documents by (input, front end),
/// permissions.json files and description documents by input, and each input's record (its text
/// dropped). Shared between threads.
#[derive(Default)]
pub struct ParseCache {
    inner: Mutex<CacheInner>,
}

#[derive(Default)]
struct CacheInner {
    documents: BTreeMap<(String, FrontEnd), Arc<Document>>,
    permissions: BTreeMap<String, Arc<permissions::PermissionsFile>>,
    described: BTreeMap<String, Arc<(openapi::OpenApi, resolve::Served)>>,
    inputs: BTreeMap<String, LoadedInput>,
}

impl ParseCache {
    /// Every permission the permissions.json files read so far define, in name order.
    pub fn permission_names(&self) -> Vec<String> {
        self.with(|c| {
            let names: std::collections::BTreeSet<&String> =
                c.permissions.values().flat_map(|f| f.permissions.keys()).collect();
            names.into_iter().cloned().collect()
        })
    }

    fn with<T>(&self, f: impl FnOnce(&mut CacheInner) -> T) -> T {
        // A run that panicked while holding the lock left complete entries only (each is inserted
        // whole), so the data is still good.
        let mut inner = self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut inner)
    }
}

/// Step 2's state across versions: the inputs read so far (each read once) and permissions.json.
struct VersionBuild<'a> {
    config: &'a Config,
    search: &'a InputSearch,
    cache: &'a ParseCache,
    inputs: Vec<LoadedInput>,
    perms: Option<Perms>,
}

impl VersionBuild<'_> {
    /// Reads and parses the version's document with `front`, and permissions.json when this
    /// version names another one than the last (the two are parsed on two threads), unless the
    /// cache has them.
    fn parse(&mut self, version: &str, names: &ApiVersionInputs, front: FrontEnd) -> Result<Arc<Document>> {
        let config = self.config;
        let Some(input_name) = names.input_for(front) else {
            return Err(Error::file(
                &config.dir.join("codegen.yaml"),
                format!("api_versions.{version} has no `{}` input", front.as_str()),
            ));
        };
        let key = (input_name.clone(), front);
        let cached_document = self.cache.with(|c| c.documents.get(&key).cloned());
        let document_input = self.input(input_name, cached_document.is_none())?;
        let need_perms = !matches!(&self.perms, Some(p) if p.name == names.permissions);
        let cached_perms =
            if need_perms { self.cache.with(|c| c.permissions.get(&names.permissions).cloned()) } else { None };
        let perms_input = if need_perms { Some(self.input(&names.permissions, cached_perms.is_none())?) } else { None };
        let (document, parsed_perms) = std::thread::scope(|scope| {
            let perms_job = perms_input.as_ref().filter(|_| cached_perms.is_none()).map(|input| {
                timing::spawn_in(scope, || {
                    timing::measure("parse permissions.json", || {
                        permissions::PermissionsFile::parse(&input.text, &input.file)
                    })
                })
            });
            let document = match cached_document {
                Some(document) => Ok(document),
                None => parse_document(config, &document_input, front).map(Arc::new),
            };
            (document, perms_job.map(timing::Joined::join))
        });
        let document = document?;
        self.cache.with(|c| c.documents.insert(key, document.clone()));
        let file = match (parsed_perms, cached_perms) {
            (Some(parsed), _) => {
                let file = Arc::new(parsed?);
                self.cache.with(|c| c.permissions.insert(names.permissions.clone(), file.clone()));
                Some(file)
            }
            (None, cached) => cached,
        };
        if let (Some(file), Some(input)) = (file, perms_input) {
            let grants = file.grants(&config.permission, &input.file)?;
            // With several permissions, the method set is what any of them grants.
            let mut set_grants = grants.clone();
            for p in &config.also_permissions {
                set_grants.extend(file.grants(p, &input.file)?);
            }
            let name = names.permissions.clone();
            self.perms = Some(Perms { name, path: input.file, file, grants, set_grants });
        }
        Ok(document)
    }

    /// The description document `name`, parsed once.
    fn described(
        &mut self,
        name: &str,
        openapi_config: &OpenApiConfig,
    ) -> Result<Arc<(openapi::OpenApi, resolve::Served)>> {
        let cached = self.cache.with(|c| c.described.get(name).cloned());
        let input = self.input(name, cached.is_none())?;
        if let Some(described) = cached {
            return Ok(described);
        }
        let document = openapi::OpenApi::parse(&input.text, &input.file, openapi_config)?;
        let served = resolve::served(&document.schema, &document.paths);
        let described = Arc::new((document, served));
        self.cache.with(|c| c.described.insert(name.to_string(), described.clone()));
        Ok(described)
    }

    /// Input `name`, read (and checked against its pin) the first time it is asked for; its text
    /// only when `text` is set (else the cache's record serves, when it has one).
    fn input(&mut self, name: &str, text: bool) -> Result<LoadedInput> {
        if let Some(i) = self.inputs.iter().find(|i| i.name == name) {
            if !text || !i.text.is_empty() {
                return Ok(i.clone());
            }
        }
        if !text {
            if let Some(record) = self.cache.with(|c| c.inputs.get(name).cloned()) {
                self.inputs.push(record.clone());
                return Ok(record);
            }
        }
        let input = pins::load_input(self.config, self.search, name)?;
        let record = LoadedInput { text: String::new(), ..input.clone() };
        self.cache.with(|c| c.inputs.insert(name.to_string(), record));
        self.inputs.retain(|i| i.name != name);
        self.inputs.push(input.clone());
        Ok(input)
    }
}

/// Parses one version's document with its front end.
fn parse_document(config: &Config, input: &LoadedInput, front: FrontEnd) -> Result<Document> {
    match front {
        FrontEnd::Csdl => timing::measure("parse CSDL", || csdl::parse(&input.text, &input.file))
            .map(|schema| Document { schema, served: None }),
        FrontEnd::OpenApi => match &config.openapi {
            None => Err(Error::file(&config.dir.join("codegen.yaml"), "no `openapi:` section")),
            Some(openapi_config) => openapi::OpenApi::parse(&input.text, &input.file, openapi_config).map(|o| {
                let served = timing::measure("resolve", || resolve::served(&o.schema, &o.paths));
                Document { schema: o.schema, served: Some(served) }
            }),
        },
    }
}

/// Emits the crate of a loaded run (the files, by path; nothing is written):
/// 7. the templates, read once ([`Templates::read`]);
/// 8. the request-builder tree of each version ([`tree::build`]);
/// 9. the files ([`emit_crate`]).
pub fn generate(loaded: &Loaded) -> Result<BTreeMap<String, String>> {
    let config = &loaded.config;
    let templates = timing::measure("templates", || Templates::read(config))?;
    let trees: Vec<Tree> = timing::measure("tree", || {
        let main = config.api_versions.iter().find(|(_, v)| v.feature.is_none()).map(|(name, _)| name);
        let none = BTreeMap::new();
        loaded
            .apis
            .iter()
            .map(|api| {
                let shortcuts = if Some(&api.api_version) == main { &config.shortcuts } else { &none };
                tree::build(api, shortcuts)
            })
            .collect()
    });
    let report = RunReport {
        inputs: &loaded.inputs,
        manifest: &loaded.manifest,
        drift: &loaded.drift,
        commands: &loaded.commands,
    };
    emit_crate(&CrateInput {
        config,
        apis: &loaded.apis,
        permission: &loaded.permission,
        also: &loaded.also,
        trees: &trees,
        templates: &templates,
        report,
    })
}

/// The runtime crate's files (by path below its folder), for a caller that writes it once and
/// points several crates at it ([`Config::runtime_path`](crate::inputs::config::Config::runtime_path)).
pub fn generate_runtime(config: &Config) -> Result<BTreeMap<String, String>> {
    crate::emit::crate_files::runtime_crate(&Templates::read(config)?)
}

impl Loaded {
    /// Fails when a listed method of an API version could not be generated, unless the version
    /// allows it (`allow_unresolved`). Each item says why (the missing segment, the bad path).
    pub fn check_unresolved(&self) -> Result<()> {
        for api in &self.apis {
            let allowed = self.config.api_versions.get(&api.api_version).is_some_and(|v| v.allow_unresolved);
            if !allowed && !api.unresolved.is_empty() {
                return Err(Error::Unresolved {
                    api_version: api.api_version.clone(),
                    manifest: self.config.manifest_path().unwrap_or_else(|| self.config.dir.join("codegen.yaml")),
                    items: api
                        .unresolved
                        .iter()
                        .map(|u| format!("{} {}: {}", u.http_method, u.path, u.reason))
                        .collect(),
                });
            }
        }
        Ok(())
    }
}

/// The `response_notes` of the types `schema` declares.
fn response_notes(config: &Config, schema: &Schema) -> BTreeMap<QName, String> {
    let note = |(name, text): (&String, &String)| {
        let q = QName::parse(name).filter(|q| schema.types.contains_key(q))?;
        Some((q, text.split_whitespace().collect::<Vec<_>>().join(" ")))
    };
    config.response_notes.iter().filter_map(note).collect()
}

/// Every `response_notes` type must be declared by some API version's metadata (checked when a
/// version was read from a whole CSDL).
fn check_response_notes(config: &Config, noted: &std::collections::BTreeSet<String>) -> Result<()> {
    let Some(name) = config.response_notes.keys().find(|name| !noted.contains(*name)) else { return Ok(()) };
    let file = config.dir.join("codegen.yaml");
    let message = format!("response_notes: `{name}` is not a type of any API version's metadata");
    let text = std::fs::read_to_string(&file).unwrap_or_default();
    Err(match crate::inputs::yaml::find_word(&text, name, 1, u32::MAX) {
        Some(loc) => Error::input(&file, loc, message),
        None => Error::file(&file, message),
    })
}

/// `extra_properties` must name types of the metadata.
fn check_extra_properties(config: &Config, csdl: &Schema) -> Result<()> {
    let file = config.dir.join("codegen.yaml");
    let known = |name: &str| match QName::parse(name) {
        Some(q) if q.namespace == "Edm" => crate::schema::validate::edm_known(&q.name),
        Some(q) => csdl.types.contains_key(&q),
        None => false,
    };
    for (owner, props) in &config.extra_properties {
        if !known(owner) || owner.starts_with("Edm.") {
            return Err(Error::file(&file, format!("extra_properties: unknown type `{owner}`")));
        }
        for (name, ty) in props {
            if !known(ty) {
                return Err(Error::file(&file, format!("extra_properties: `{owner}.{name}` has unknown type `{ty}`")));
            }
        }
    }
    Ok(())
}

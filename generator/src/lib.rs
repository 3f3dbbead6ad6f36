//! `msgraph-codegen`: generates the `msgraph-entitlement` crate from Microsoft Graph metadata.
//!
//! The pipeline, one module per stage:
//! - inputs: [`config`] (codegen.yaml, pins, where input bytes are found), [`manifest`] (the
//!   permission's method list), [`yaml`] (the one YAML boundary);
//! - front ends: [`csdl`] (CSDL XML) and [`openapi`] (OpenAPI YAML, read into the same schema
//!   picture), [`permissions`] (permissions.json), [`paths`] (path syntax);
//! - [`resolve`] walks paths through the CSDL, [`lower`] assembles the method set and the type
//!   closure into the one [`model`];
//! - [`emit`] turns the model into Rust (quote + prettyplease) and the other crate files, with every
//!   identifier from [`naming`]; [`output`] writes them atomically or checks them (`--check`);
//! - metadata bumps: [`diff`] compares what two sets of inputs generate, [`bump`] records the new
//!   pins, version and CHANGELOG entry.

pub mod bump;
pub mod config;
pub mod consent;
pub mod crosscheck;
pub mod csdl;
pub mod diff;
pub mod emit;
pub mod error;
pub mod lower;
pub mod manifest;
pub mod matcher;
pub mod model;
pub mod naming;
pub mod openapi;
pub mod output;
pub mod paths;
pub mod permissions;
pub mod resolve;
pub mod timing;
pub mod yaml;

use std::path::Path;

pub use error::{Error, Result};

use config::{Config, FrontEnd, InputSearch, LoadedInput};
use manifest::Manifest;
use model::Api;

/// Everything one run reads, each input read and parsed once.
pub struct Loaded {
    pub config: Config,
    pub manifest: Manifest,
    pub apis: Vec<Api>,
    pub inputs: Vec<LoadedInput>,
    /// Where the consent sources disagree.
    pub drift: consent::DriftReport,
    /// Per API version: the front end that built it and how long reading and building it took
    /// (for the command's summary; never written into the output).
    pub runs: std::collections::BTreeMap<String, VersionRun>,
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
pub fn load_from(config: Config, search: &InputSearch, front_end: Option<FrontEnd>) -> Result<Loaded> {
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
        Some(file) => consent::Overrides::load(&file)?,
        None => consent::Overrides::default(),
    };
    let mut inputs: Vec<LoadedInput> = Vec::new();
    let mut apis = Vec::new();
    // permissions.json is one file for every version: parse it once.
    let mut perms: Option<(String, permissions::PermissionsFile, Vec<permissions::Grant>)> = None;
    let mut runs = std::collections::BTreeMap::new();
    for (version, names) in &config.api_versions {
        let started = std::time::Instant::now();
        let front = names.front_end(front_end);
        let Some(input_name) = names.input_for(front) else {
            return Err(Error::file(
                &config.dir.join("codegen.yaml"),
                format!("api_versions.{version} has no `{}` input", front.as_str()),
            ));
        };
        let input = load_once(&config, search, input_name, &mut inputs)?;
        let perms_input = match &perms {
            Some((name, _, _)) if name == &names.permissions => None,
            _ => Some(load_once(&config, search, &names.permissions, &mut inputs)?),
        };
        // The document and permissions.json are parsed at the same time, on two threads.
        let (parsed, new_perms) = std::thread::scope(|scope| {
            let perms_job = perms_input.as_ref().map(|input| {
                timing::spawn_in(scope, || {
                    timing::measure("parse permissions.json", || {
                        let file = permissions::PermissionsFile::parse(&input.text, &input.file)?;
                        let grants = file.grants(&config.permission, &input.file)?;
                        Ok::<_, Error>((file, grants))
                    })
                })
            });
            let parsed = match front {
                FrontEnd::Csdl => {
                    timing::measure("parse CSDL", || csdl::Csdl::parse(&input.text, &input.file)).map(|c| (c, None))
                }
                FrontEnd::OpenApi => match &config.openapi {
                    None => Err(Error::file(&config.dir.join("codegen.yaml"), "no `openapi:` section")),
                    Some(openapi_config) => openapi::OpenApi::parse(&input.text, &input.file, openapi_config)
                        .map(|o| (o.csdl, Some(o.served))),
                },
            };
            (parsed, perms_job.map(timing::Joined::join))
        });
        let (csdl, served) = parsed?;
        if let Some(new_perms) = new_perms {
            let (file, grants) = new_perms?;
            perms = Some((names.permissions.clone(), file, grants));
        }
        let Some((_, _, grants)) = &perms else { continue };
        check_extra_properties(&config, &csdl)?;
        let methods: Vec<&manifest::ManifestMethod> = manifest.methods_for(version).collect();
        // "lower" includes "closure": the bench reports resolution as the difference.
        let mut api = timing::measure("lower", || {
            lower::build_api(
                lower::Schema { csdl: &csdl, served: served.as_ref() },
                version,
                &methods,
                grants,
                &config.closure,
                &config.extra_properties,
                &overrides.aliases,
            )
        });
        // Descriptions from another document, where this one has none.
        if let (Some(name), Some(openapi_config)) = (&names.descriptions, &config.openapi) {
            if names.input_for(front) != Some(name) {
                let input = load_once(&config, search, name, &mut inputs)?;
                let described = openapi::OpenApi::parse(&input.text, &input.file, openapi_config)?;
                timing::measure("describe", || lower::describe(&mut api, &described));
            }
        }
        apis.push(api);
        runs.insert(version.clone(), VersionRun { front_end: front, elapsed: started.elapsed() });
    }
    let drift = match &perms {
        Some((_, file, grants)) => timing::measure("consent", || {
            consent::apply(
                &mut apis,
                &manifest,
                file,
                grants,
                &config.permission,
                &overrides,
                &config.overrides_path().unwrap_or_default(),
            )
        }),
        None => consent::DriftReport::default(),
    };
    for i in &mut inputs {
        i.text = String::new();
    }
    Ok(Loaded { config, manifest, apis, inputs, drift, runs })
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

/// `extra_properties` must name types of the metadata.
fn check_extra_properties(config: &Config, csdl: &csdl::Csdl) -> Result<()> {
    let file = config.dir.join("codegen.yaml");
    let known = |name: &str| match csdl::QName::parse(name) {
        Some(q) if q.namespace == "Edm" => csdl::edm_known(&q.name),
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

fn load_once(config: &Config, search: &InputSearch, name: &str, inputs: &mut Vec<LoadedInput>) -> Result<LoadedInput> {
    if let Some(i) = inputs.iter().find(|i| i.name == name) {
        if !i.text.is_empty() {
            return Ok(i.clone());
        }
    }
    let input = config::load_input(config, search, name)?;
    inputs.push(input.clone());
    Ok(input)
}

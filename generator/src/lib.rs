//! `msgraph-codegen`: generates the `msgraph-entitlement` crate from Microsoft Graph metadata.
//!
//! The pipeline, one module per stage:
//! - inputs: [`config`] (codegen.yaml, pins, where input bytes are found), [`manifest`] (the
//!   permission's method list), [`yaml`] (the one YAML boundary);
//! - front ends: [`csdl`] (CSDL XML), [`permissions`] (permissions.json), [`paths`] (path syntax);
//! - [`resolve`] walks paths through the CSDL, [`lower`] assembles the method set and the type
//!   closure into the one [`model`];
//! - [`emit`] turns the model into Rust (quote + prettyplease) and the other crate files, with every
//!   identifier from [`naming`]; [`output`] writes them atomically or checks them (`--check`).

pub mod config;
pub mod csdl;
pub mod emit;
pub mod error;
pub mod lower;
pub mod manifest;
pub mod model;
pub mod naming;
pub mod output;
pub mod paths;
pub mod permissions;
pub mod resolve;
pub mod yaml;

use std::path::Path;

pub use error::{Error, Result};

use config::{Config, InputSearch, LoadedInput};
use manifest::Manifest;
use model::Api;

/// Everything one run reads, each input read and parsed once.
pub struct Loaded {
    pub config: Config,
    pub manifest: Manifest,
    pub apis: Vec<Api>,
    pub inputs: Vec<LoadedInput>,
}

/// Reads the config, the manifest and the inputs, and builds the model of every API version.
pub fn load(config_file: &Path, search: &InputSearch) -> Result<Loaded> {
    let config = Config::load(config_file)?;
    let manifest = Manifest::load(&config.manifest_path())?;
    if manifest.permission != config.permission {
        return Err(Error::file(
            &config.manifest_path(),
            format!(
                "the manifest is for permission `{}`, but codegen.yaml asks for `{}`",
                manifest.permission, config.permission
            ),
        ));
    }
    let mut inputs: Vec<LoadedInput> = Vec::new();
    let mut apis = Vec::new();
    for (version, names) in &config.api_versions {
        let csdl_input = load_once(&config, search, &names.csdl, &mut inputs)?;
        let csdl = csdl::Csdl::parse(&csdl_input.text, &csdl_input.file)?;
        let perm_input = load_once(&config, search, &names.permissions, &mut inputs)?;
        let perms = permissions::PermissionsFile::parse(&perm_input.text, &perm_input.file)?;
        let grants = perms.grants(&config.permission, &perm_input.file)?;
        let methods: Vec<&manifest::ManifestMethod> = manifest.methods_for(version).collect();
        apis.push(lower::build_api(&csdl, version, &methods, &grants, &config.closure));
    }
    for i in &mut inputs {
        i.text = String::new();
    }
    Ok(Loaded { config, manifest, apis, inputs })
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

//! What the emitter is given: the configuration, the model of every API version with its
//! request-builder tree, the templates (already read), and what the report says of the run.

use super::templates::Templates;
use crate::inputs::config::Config;
use crate::inputs::manifest::Manifest;
use crate::inputs::pins::LoadedInput;
use crate::model::consent::DriftReport;
use crate::model::permission::PermissionInfo;
use crate::model::powershell::CommandReport;
use crate::model::tree::Tree;
use crate::model::types::Api;

/// What the emitter needs of a run: the configuration, the model of every API version with its
/// request-builder tree, the templates (already read), and what the report says.
pub struct CrateInput<'a> {
    pub config: &'a Config,
    pub apis: &'a [Api],
    /// The permission itself (ids, names, admin consent).
    pub permission: &'a PermissionInfo,
    /// The other permissions of the crate's set, if any.
    pub also: &'a [PermissionInfo],
    /// The request-builder tree of each of `apis`, in the same order.
    pub trees: &'a [Tree],
    pub templates: &'a Templates,
    pub report: RunReport<'a>,
}

/// What `CODEGEN.md` reports beside the model: the inputs read, the manifest, the consent drift,
/// the page's PowerShell commands.
pub struct RunReport<'a> {
    pub inputs: &'a [LoadedInput],
    pub manifest: &'a Manifest,
    pub drift: &'a DriftReport,
    /// The reference page's PowerShell commands mapped to the operations.
    pub commands: &'a CommandReport,
}

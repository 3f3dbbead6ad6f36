//! Stage 1, inputs: what a run is asked to do and the bytes it reads. [`config`] (codegen.yaml),
//! [`pins`] (where each pinned upstream file is found, checked against its sha256), [`manifest`]
//! (the permission's reference page, transcribed), [`overrides`] (segment aliases and explained
//! consent drift), [`permission_ids`] (the permissions' ids, which permissions.json lacks),
//! [`powershell`] (how Microsoft Graph PowerShell names cmdlets, as data), [`version`] (the crate
//! version arithmetic), [`waiters`] (the `wait_until_*` methods, as data), and [`yaml`], the one
//! YAML boundary.

pub mod config;
pub mod manifest;
pub mod overrides;
pub mod permission_ids;
pub mod pins;
pub mod powershell;
pub mod version;
pub mod waiters;
pub mod yaml;

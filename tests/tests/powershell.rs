//! The reference page's PowerShell commands: every v1.0 (and beta) cmdlet the page lists maps to
//! the generated operations of that name, or is listed with its reason in
//! `metadata/powershell.yaml`; the page's consent markers agree with those operations'; the
//! operationIds the names are derived from are those of the pinned Identity.Governance OpenAPI
//! document; and users find a cmdlet's operations in the crate (`permissions::for_cmdlet`, the
//! rustdoc line, PERMISSIONS.md and permissions.json).
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::OnceLock;

use msgraph_codegen::inputs::manifest::ManifestCommand;
use msgraph_codegen::inputs::pins::InputSearch;
use msgraph_codegen::inputs::powershell::PowerShellFile;
use msgraph_codegen::model::powershell::{check_commands, operation_id};
use msgraph_codegen::model::types::Api;
use msgraph_tests::{config_file, metadata_dir, spec_dir, workspace_root};
use serde_json::Value;

/// One run of the pipeline on the real inputs, shared by the tests of this file.
fn loaded() -> &'static msgraph_codegen::Loaded {
    static LOADED: OnceLock<msgraph_codegen::Loaded> = OnceLock::new();
    LOADED.get_or_init(|| {
        let search = InputSearch { metadata_dir: Some(metadata_dir()), ..Default::default() };
        msgraph_codegen::load(&config_file(), &search).unwrap()
    })
}

/// The page's PowerShell commands of `version`, from its structured form in `../shared/spec/`:
/// (cmdlet, delegated, application).
fn page_commands(version: &str) -> Vec<(String, Option<bool>, Option<bool>)> {
    let file = spec_dir().join("EntitlementManagement.ReadWrite.All.methods.json");
    let page: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    page["powershell"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["api_version"] == version)
        .map(|c| (c["cmdlet"].as_str().unwrap().to_string(), c["delegated"].as_bool(), c["application"].as_bool()))
        .collect()
}

fn api(version: &str) -> &'static Api {
    loaded().apis.iter().find(|a| a.api_version == version).unwrap()
}

#[test]
fn the_manifest_transcribes_the_pages_commands() {
    for version in ["v1.0", "beta"] {
        let ours: Vec<(String, Option<bool>, Option<bool>)> = loaded()
            .manifest
            .commands
            .iter()
            .filter(|c| c.api_version == version)
            .map(|c| (c.cmdlet.clone(), c.delegated, c.application))
            .collect();
        assert_eq!(ours, page_commands(version), "{version}");
    }
    assert_eq!(page_commands("v1.0").len(), 64);
}

/// Every one of the page's 64 v1.0 cmdlets maps to at least one generated operation, or is
/// listed as not mappable with its reason; and the page's markers agree with the consent of
/// every operation a cmdlet maps to.
#[test]
fn every_v1_command_of_the_page_maps_or_has_its_reason_and_consent_agrees() {
    let report = &loaded().commands;
    assert!(report.problems.is_empty(), "{:#?}", report.problems);
    let api = api("v1.0");
    let mut unmapped = BTreeSet::new();
    for (cmdlet, delegated, application) in page_commands("v1.0") {
        let mapping = report.commands.iter().find(|c| c.api_version == "v1.0" && c.cmdlet == cmdlet).unwrap();
        if mapping.operations.is_empty() {
            let reason = mapping.unmapped_reason.as_deref().unwrap_or_default();
            assert!(reason.len() > 40, "{cmdlet}: no reason");
            unmapped.insert(cmdlet);
            continue;
        }
        for &i in &mapping.operations {
            let op = &api.operations[i];
            assert_eq!(op.powershell.as_deref(), Some(cmdlet.as_str()));
            assert_eq!(
                (op.consent.delegated, op.consent.application),
                (delegated, application),
                "{cmdlet}: {} {}",
                op.http_method.as_str(),
                op.template
            );
        }
    }
    // The five the page lists but no generated operation answers to (each with its reason).
    let expected: BTreeSet<String> = [
        "Invoke-MgFilterIdentityGovernancePrivilegedAccessGroupAssignmentApprovalByCurrentUser",
        "New-MgBetaEntitlementManagementConnectedOrganization",
        "Update-MgEntitlementManagementAssignment",
        "Update-MgEntitlementManagementAssignmentRequest",
        "Update-MgEntitlementManagementCatalogCustomWorkflowExtension",
    ]
    .map(String::from)
    .into();
    assert_eq!(unmapped, expected);
    // A few mappings a script author relies on.
    let ops_of = |cmdlet: &str| -> BTreeSet<String> {
        api.operations
            .iter()
            .filter(|op| op.powershell.as_deref() == Some(cmdlet))
            .map(|op| format!("{} {}", op.http_method.as_str(), op.template))
            .collect()
    };
    assert_eq!(
        ops_of("Stop-MgEntitlementManagementAssignmentRequest"),
        ["POST /identityGovernance/entitlementManagement/assignmentRequests/{accessPackageAssignmentRequestId}/cancel"]
            .map(String::from)
            .into()
    );
    assert_eq!(ops_of("Get-MgEntitlementManagementAssignment").len(), 2, "the list and the item");
    assert_eq!(ops_of("Get-MgEntitlementManagementAssignmentAdditional").len(), 1, "the override");
}

/// Beta, as far as the pinned (2021/2022) beta metadata allows: every command maps or has its
/// reason, and no consent difference is left unexplained.
#[test]
fn every_beta_command_maps_or_has_its_reason() {
    let report = &loaded().commands;
    let beta: Vec<_> = report.commands.iter().filter(|c| c.api_version == "beta").collect();
    assert_eq!(beta.len(), page_commands("beta").len());
    for c in &beta {
        assert!(!c.operations.is_empty() || c.unmapped_reason.is_some(), "{}", c.cmdlet);
    }
    assert!(beta.iter().filter(|c| !c.operations.is_empty()).count() >= 45);
    assert!(report.drift.iter().all(|d| d.explained_by.is_some()), "{:#?}", report.drift);
}

/// A page marker that disagrees with the operation is reported, and `--check` fails on it until a
/// `consent_drift` entry explains it; an entry for a command that maps is stale.
#[test]
fn a_consent_difference_or_a_stale_entry_is_a_problem() {
    let api = api("v1.0").clone();
    let file = PowerShellFile::load(&workspace_root().join("metadata/powershell.yaml")).unwrap();
    let resume = "Resume-MgEntitlementManagementAssignmentRequest";
    // Say the page marked it delegated only: the operation allows both.
    let flipped = vec![ManifestCommand {
        api_version: "v1.0".into(),
        cmdlet: resume.into(),
        delegated: Some(true),
        application: Some(false),
    }];
    let report = check_commands(std::slice::from_ref(&api), &flipped, &file);
    assert_eq!(report.drift.len(), 1);
    assert!(report.drift[0].detail.contains("page: delegated, not application"), "{:?}", report.drift);
    assert!(report.problems.iter().any(|p| p.contains(resume) && p.contains("consent_drift")), "{:?}", report.problems);
    assert!(report.check().is_err());

    // Explained: no problem about it any more.
    let text = std::fs::read_to_string(&file.file).unwrap().replace(
        "consent_drift: []",
        &format!("consent_drift:\n  - {{api_version: v1.0, cmdlets: [{resume}], reason: the page says so}}"),
    );
    let explained = PowerShellFile::parse(&text, &file.file).unwrap();
    let report = check_commands(std::slice::from_ref(&api), &flipped, &explained);
    assert_eq!(report.drift[0].explained_by.as_deref(), Some("the page says so"));
    assert!(!report.problems.iter().any(|p| p.contains("consent differs")), "{:?}", report.problems);

    // A command listed as unmapped that maps after all.
    let text = std::fs::read_to_string(&file.file)
        .unwrap()
        .replace("unmapped:\n", &format!("unmapped:\n  - {{api_version: v1.0, cmdlets: [{resume}], reason: no}}\n"));
    let stale = PowerShellFile::parse(&text, &file.file).unwrap();
    let agreeing = vec![ManifestCommand { delegated: Some(true), application: Some(true), ..flipped[0].clone() }];
    let report = check_commands(std::slice::from_ref(&api), &agreeing, &stale);
    assert!(
        report.problems.iter().any(|p| p.contains("maps to POST") && p.contains("drop it")),
        "{:?}",
        report.problems
    );
}

/// The operationIds the names are derived from are the pinned Identity.Governance OpenAPI
/// document's, for every generated v1.0 operation the document has.
#[test]
fn derived_operation_ids_are_the_openapi_documents() {
    let text = std::fs::read_to_string(metadata_dir().join("v1.0/Identity.Governance-2025-01-27.yml")).unwrap();
    let doc: Value = msgraph_codegen::inputs::yaml::from_str(&text, Path::new("Identity.Governance.yml")).unwrap();
    // Paths compared without parameter names or the `microsoft.graph.` prefix of operations.
    let normal = |path: &str| -> String {
        let mut out = String::new();
        let mut in_braces = false;
        for ch in path.replace("microsoft.graph.", "").chars() {
            match ch {
                '{' => {
                    in_braces = true;
                    out.push_str("{}");
                }
                '}' => in_braces = false,
                '\'' => {}
                _ if !in_braces => out.push(ch),
                _ => {}
            }
        }
        out
    };
    let mut ids: BTreeMap<(String, String), String> = BTreeMap::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if let Some(id) = op.get("operationId").and_then(Value::as_str) {
                ids.insert((method.to_ascii_uppercase(), normal(path)), id.to_string());
            }
        }
    }
    let prepositions = ["By", "Of", "With"].map(String::from);
    let mut compared = 0;
    for op in &api("v1.0").operations {
        // The template writes function parameters as `on={on}`: the document as `on='{on}'`.
        let Some(expected) = ids.get(&(op.http_method.as_str().to_string(), normal(&op.template))) else { continue };
        assert_eq!(&operation_id(op, &prepositions), expected, "{} {}", op.http_method.as_str(), op.template);
        compared += 1;
    }
    assert!(compared >= 75, "only {compared} operations found in the document");
}

/// What a user sees in the crate: the lookup, the rustdoc line, PERMISSIONS.md, permissions.json.
#[test]
fn users_find_a_cmdlets_operations_in_the_crate() {
    use msgraph_entitlement::permissions::{PERMISSIONS, for_cmdlet};
    let rows: Vec<_> = for_cmdlet("stop-mgentitlementmanagementassignmentrequest").collect();
    assert_eq!(rows.len(), 1, "case-insensitive");
    assert!(rows[0].path.ends_with("/cancel"), "{}", rows[0].path);
    assert!(rows[0].rust.ends_with("::cancel"), "{}", rows[0].rust);
    assert_eq!(for_cmdlet("Get-MgEntitlementManagementAccessPackage").count(), 2);
    assert_eq!(for_cmdlet("Get-MgUser").count(), 0);
    assert!(PERMISSIONS.iter().all(|r| r.powershell.is_some_and(|c| c.contains("-Mg"))));

    let root = workspace_root().join("generated");
    let api = std::fs::read_to_string(root.join("src/api.rs")).unwrap();
    assert!(api.contains("PowerShell: `Stop-MgEntitlementManagementAssignmentRequest`"));
    let markdown = std::fs::read_to_string(root.join("PERMISSIONS.md")).unwrap();
    assert!(markdown.contains("| Rust | PowerShell |"));
    assert!(markdown.contains("| `Stop-MgEntitlementManagementAssignmentRequest` |"));
    let json: Value = serde_json::from_str(&std::fs::read_to_string(root.join("permissions.json")).unwrap()).unwrap();
    let cancel = json["operations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["api_version"] == "v1.0" && o["path"].as_str().unwrap().ends_with("/cancel"))
        .unwrap();
    assert_eq!(cancel["powershell"], "Stop-MgEntitlementManagementAssignmentRequest");
    let codegen = std::fs::read_to_string(root.join("CODEGEN.md")).unwrap();
    assert!(codegen.contains("### v1.0: 59 of 64 command(s) mapped"), "{codegen}");
}

//! `cargo xtask diff-metadata` on real files: the 2023 v1.0 CSDL (with descriptions) against the
//! current one, with the same permissions.json. Counts are pinned; a few entries were verified by
//! hand against the XML (accessPackage gained exactly the `resourceRoleScopes` navigation property;
//! the assignment policy gained `notificationSettings` and `customExtensionStageSettings`).
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use msgraph_codegen::maintenance::diff::{Bump, ChangeKind, diff_dirs};
use msgraph_tests::{config_file, metadata_dir};

fn old_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let meta = metadata_dir();
    std::fs::create_dir_all(dir.path().join("v1.0")).unwrap();
    std::fs::create_dir_all(dir.path().join("permissions")).unwrap();
    std::fs::copy(
        meta.join("v1.0/cleanMetadataWithDescriptions-2023-05-09.xml"),
        dir.path().join("v1.0/cleanMetadata.xml"),
    )
    .unwrap();
    std::fs::copy(meta.join("permissions/permissions.json"), dir.path().join("permissions/permissions.json")).unwrap();
    dir
}

#[test]
fn diff_of_2023_against_current_v1() {
    let old = old_dir();
    let report = diff_dirs(&config_file(), old.path(), &metadata_dir()).unwrap();
    let counts = report.counts();
    let n = |k: ChangeKind| counts.get(&k).copied().unwrap_or(0);
    assert_eq!(n(ChangeKind::OperationAdded), 23);
    assert_eq!(n(ChangeKind::OperationRemoved), 6);
    assert_eq!(n(ChangeKind::PropertyAdded), 29);
    // Navigation properties are fields of the types reads return, on both sides: none is removed,
    // and none changes type (18 did before the navigation rule followed only the types reads
    // return).
    assert_eq!(n(ChangeKind::PropertyRemoved), 0);
    assert_eq!(n(ChangeKind::PropertyTypeChanged), 0);
    assert_eq!(n(ChangeKind::EnumMemberAdded), 8);
    assert_eq!(report.bump(), Bump::Major);
    let has = |kind: ChangeKind, subject: &str| report.changes.iter().any(|c| c.kind == kind && c.subject == subject);
    assert!(has(ChangeKind::PropertyAdded, "microsoft.graph.accessPackage/resourceRoleScopes"));
    let package_props: Vec<_> =
        report.changes.iter().filter(|c| c.subject.starts_with("microsoft.graph.accessPackage/")).collect();
    assert_eq!(package_props.len(), 1, "{package_props:?}");
    assert!(has(ChangeKind::PropertyAdded, "microsoft.graph.accessPackageAssignmentPolicy/notificationSettings"));
    assert!(has(
        ChangeKind::PropertyAdded,
        "microsoft.graph.accessPackageAssignmentPolicy/customExtensionStageSettings"
    ));
    // resume is defined by the current metadata only.
    assert!(has(
        ChangeKind::OperationAdded,
        "POST /identityGovernance/entitlementManagement/assignmentRequests/{accessPackageAssignmentRequestId}/resume"
    ));
    // The report names both sides' inputs by hash, pinned or not.
    assert!(report.old_inputs.iter().any(|i| i.sha256.starts_with("966c0eaf")));
    assert!(report.new_inputs.iter().any(|i| i.sha256.starts_with("79b90dfb")));
    let text = report.render();
    assert!(text.contains("semver bump: major") && text.contains("BREAKING"));
}

#[test]
fn identical_inputs_have_no_changes() {
    let report = diff_dirs(&config_file(), &metadata_dir(), &metadata_dir()).unwrap();
    assert!(report.changes.is_empty(), "{:?}", report.changes.first());
    assert_eq!(report.bump(), Bump::None);
}

//! `cargo xtask cross-check` on the pinned v1.0 documents: the report (CSDL model against OpenAPI
//! model, for this permission's method set) is a committed snapshot, so a metadata bump shows what
//! moved. Regenerate it with `UPDATE_SNAPSHOTS=1 cargo test -p msgraph-tests --test cross_check`
//! (or `cargo xtask cross-check --output tests/snapshots/cross-check.txt`) and review the diff.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use msgraph_codegen::inputs::config::Config;
use msgraph_codegen::maintenance::crosscheck::cross_check;
use msgraph_codegen::maintenance::diff::ChangeKind;
use msgraph_tests::{config_file, search, workspace_root};

#[test]
fn cross_check_report_matches_the_snapshot() {
    let config = Config::load(&config_file()).unwrap();
    let reports = cross_check(&config, &search()).unwrap();
    let versions: Vec<&str> = reports.iter().map(|r| r.api_version.as_str()).collect();
    assert_eq!(versions, ["beta", "v1.0"], "both versions name a CSDL and an OpenAPI input");
    let report = &reports[1];
    let text = reports.iter().map(|r| r.render()).collect::<Vec<_>>().join("\n") + "\n";
    let snapshot = workspace_root().join("tests/snapshots/cross-check.txt");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&snapshot, &text).unwrap();
    }
    let expected = std::fs::read_to_string(&snapshot).unwrap_or_default();
    if expected != text {
        let diff: Vec<String> = expected
            .lines()
            .filter(|l| !text.lines().any(|t| t == *l))
            .map(|l| format!("- {l}"))
            .chain(text.lines().filter(|l| !expected.lines().any(|e| e == *l)).map(|l| format!("+ {l}")))
            .collect();
        panic!("the cross-check report changed (review, then UPDATE_SNAPSHOTS=1 to accept):\n{}", diff.join("\n"));
    }

    // Every operation only one side generates says why, from the other side's resolution.
    for d in reports
        .iter()
        .flat_map(|r| &r.differences)
        .filter(|d| matches!(d.kind, ChangeKind::OperationAdded | ChangeKind::OperationRemoved))
    {
        assert!(!d.detail.ends_with("not generated"), "no reason for {}: {}", d.subject, d.detail);
    }
    // The OpenAPI document (a module, older) serves nearly every operation the CSDL generates.
    let only_csdl = report.differences.iter().filter(|d| d.kind == ChangeKind::OperationRemoved).count();
    assert_eq!(report.csdl_operations - only_csdl, report.openapi_operations);
    assert!(only_csdl <= 4, "{only_csdl}");
}

//! `cargo xtask bench --smoke`, in process and in the test build: every benchmark runs (codegen
//! through both front ends, the client against its loopback server, decoding, codegen of another
//! permission) and the report has its sections and figures. How fast is not checked here: figures
//! come from `cargo xtask bench`, in release.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use msgraph_tests::metadata_dir;

#[test]
fn the_benchmarks_run_and_write_their_report() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("BENCHMARKS.md");
    let metadata = metadata_dir();
    let args = ["xtask", "bench", "--smoke", "--metadata-dir", metadata.to_str().unwrap(), "--out"];
    xtask_tools::run(args.iter().copied().chain([out.to_str().unwrap()])).unwrap();
    let report = std::fs::read_to_string(&out).unwrap();

    for heading in [
        "## 1. Codegen of the v1.0 surface",
        "## 2. Build cost of the output",
        "## 3. Client overhead",
        "### Decoding",
        "## 4. Cost at scale",
        "## 5. `cargo xtask codegen` on a fresh clone",
    ] {
        assert!(report.contains(heading), "no {heading:?} in\n{report}");
    }
    // Both front ends produced the crate (operations, files, bytes: none of them zero).
    let output = report.lines().find(|l| l.starts_with("| output: operations, files, bytes |")).unwrap();
    let cells: Vec<&str> = output.split('|').map(str::trim).filter(|c| !c.is_empty()).skip(1).collect();
    assert_eq!(cells.len(), 2, "{output}");
    for cell in cells {
        assert!(cell.split(", ").all(|n| n.parse::<u64>().unwrap() > 0), "{output}");
    }
    // The client side measured both sides and the streaming runs.
    assert!(report.contains("| generated client `"), "{report}");
    assert!(report.contains("| hand-written reqwest + serde_json |"), "{report}");
    // Decoding: every fixture page decoded both ways.
    for page in ["| access packages |", "| assignment requests", "| assignments"] {
        assert!(report.lines().any(|l| l.starts_with(page) && l.ends_with("x |")), "no {page:?} row in\n{report}");
    }
    // Cost at scale: the configured permission and one other, each with its operations counted.
    assert!(report.contains("| `EntitlementManagement.ReadWrite.All` | `msgraph-entitlement` |"), "{report}");
    assert!(report.contains("Not run (`--smoke` or `--no-build-cost`)."), "smoke runs no builds\n{report}");
}

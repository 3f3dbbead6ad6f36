//! Replays the committed fuzz inputs on stable, in the normal test run: the seeds
//! (`fuzz/seeds/<target>/`) and every input a fuzzer ever found failing
//! (`fuzz/regressions/<target>/`), through the same properties the fuzz targets check.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use msgraph_tests::{fuzz_checks, workspace_root};

fn replay(target: &str, check: fn(&[u8])) -> usize {
    let mut n = 0;
    for kind in ["seeds", "regressions"] {
        let dir = workspace_root().join("fuzz").join(kind).join(target);
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        let mut files: Vec<_> = entries.map(|e| e.unwrap().path()).filter(|p| p.is_file()).collect();
        files.sort();
        for file in files {
            let data = std::fs::read(&file).unwrap();
            if std::panic::catch_unwind(|| check(&data)).is_err() {
                panic!("{} fails the `{target}` properties", file.display());
            }
            n += 1;
        }
    }
    n
}

#[test]
fn csdl_inputs() {
    assert!(replay("csdl", fuzz_checks::csdl) >= 4);
}

#[test]
fn openapi_inputs() {
    assert!(replay("openapi", fuzz_checks::openapi) >= 3);
}

#[test]
fn permissions_inputs() {
    assert!(replay("permissions", fuzz_checks::permissions) >= 3);
}

#[test]
fn paths_inputs() {
    assert!(replay("paths", fuzz_checks::paths) >= 20);
}

#[test]
fn models_inputs() {
    assert!(replay("models", fuzz_checks::models) >= 8);
}

#[test]
fn responses_inputs() {
    assert!(replay("responses", fuzz_checks::responses) >= 6);
}

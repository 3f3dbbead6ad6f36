//! The `xtask` binary itself: failures are one `error: ...` line set on stderr with exit code 1,
//! usage mistakes exit 2 with clap's usage, and nothing panics.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::process::Command;

fn xtask(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_xtask")).args(args).output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn a_bad_config_exits_1_with_one_error() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("codegen.yaml");
    std::fs::write(&config, "permission: [unclosed\n").unwrap();
    let (code, stderr) = xtask(&["codegen", "--config", config.to_str().unwrap()]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.starts_with("error: ") && stderr.contains("codegen.yaml:"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_missing_config_names_the_file() {
    let (code, stderr) = xtask(&["codegen", "--check", "--config", "/nonexistent/codegen.yaml"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("/nonexistent/codegen.yaml"), "{stderr}");
}

#[test]
fn usage_errors_exit_2() {
    let (code, stderr) = xtask(&["codegen", "--no-such-flag"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--no-such-flag") && stderr.contains("Usage"), "{stderr}");
    let (code, _) = xtask(&["fetch-metadata", "--help"]);
    assert_eq!(code, 0);
}

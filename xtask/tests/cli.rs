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

/// The real Graph metadata (as the test suite finds it), for the commands that generate.
fn metadata_dir() -> std::path::PathBuf {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    std::env::var_os("GRAPH_METADATA_DIR")
        .filter(|v| !v.is_empty())
        .map(std::path::PathBuf::from)
        .into_iter()
        .chain([root.join("../shared/graph-metadata"), root.join("metadata/cache")])
        .find(|d| d.join("v1.0/cleanMetadata.xml").is_file())
        .expect("Graph metadata: set GRAPH_METADATA_DIR or run `cargo xtask fetch-metadata`")
}

#[test]
fn a_clean_run_is_a_few_lines_and_verbose_says_everything() {
    let meta = metadata_dir();
    let (code, quiet) = xtask(&["codegen", "--check", "--metadata-dir", meta.to_str().unwrap()]);
    assert_eq!(code, 0, "{quiet}");
    assert!(quiet.lines().count() <= 10, "a clean run printed {} lines:\n{quiet}", quiet.lines().count());
    assert!(quiet.contains("v1.0: 83 operations"), "{quiet}");
    let (code, verbose) = xtask(&["codegen", "--check", "-v", "--metadata-dir", meta.to_str().unwrap()]);
    assert_eq!(code, 0, "{verbose}");
    // Every unresolved beta method with its reason, and the permissions.json paths the metadata lacks.
    assert!(verbose.lines().count() > 100, "{verbose}");
    assert!(verbose.contains("is neither a navigation property"), "{verbose}");
}

#[test]
fn another_permission_gets_its_own_crate() {
    let meta = metadata_dir();
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("crate");
    let args = ["codegen", "--permission", "Group.ReadWrite.All", "--out", dir.to_str().unwrap()];
    let (code, stderr) = xtask(&[&args[..], &["--metadata-dir", meta.to_str().unwrap()]].concat());
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.lines().count() <= 10, "{stderr}");
    let cargo = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
    assert!(cargo.contains("name = \"msgraph-group-read-write-all\""), "{cargo}");
    assert!(cargo.contains("Group.ReadWrite.All permission"), "{cargo}");
    // Nothing of the entitlement crate: no examples, sentences or names (the Group crate covers no
    // entitlement path).
    assert!(!dir.join("examples").exists());
    let mut stack = vec![dir.clone()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let text = std::fs::read_to_string(&p).unwrap();
            for word in ["ntitlement", "access_package", "accessPackage"] {
                assert!(!text.contains(word), "{} mentions `{word}`", p.display());
            }
        }
    }
    // permissions.json alone gave the method set and consent, and the table says so.
    let table: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("permissions.json")).unwrap()).unwrap();
    assert_eq!(table["permission"], "Group.ReadWrite.All");
    let ops = table["operations"].as_array().unwrap();
    assert!(ops.len() > 200, "{}", ops.len());
    assert!(ops.iter().all(|o| o["sources"] == serde_json::json!(["permissions.json"])));
    let readme = std::fs::read_to_string(dir.join("README.md")).unwrap();
    assert!(readme.contains("client.groups().list()"), "{readme}");
    // The permission itself, from permissions.json and metadata/permission-ids.yaml.
    let details = &table["details"];
    assert_eq!(details["application"]["id"], "62a82d76-70ea-41e2-9197-370581804d09");
    assert_eq!(details["delegated"]["id"], "4e46008b-f24c-477d-8fff-7bb4ec7aafe0");
    assert_eq!(details["application"]["display_name"], "Read and write all groups");
    assert!(readme.contains("## App registration"), "{readme}");
    assert!(readme.contains(r#"{ "id": "62a82d76-70ea-41e2-9197-370581804d09", "type": "Role" }"#), "{readme}");
    let permissions_rs = std::fs::read_to_string(dir.join("src/permissions.rs")).unwrap();
    assert!(permissions_rs.contains("pub const PERMISSION: Permission"), "{permissions_rs}");
    let table_md = std::fs::read_to_string(dir.join("PERMISSIONS.md")).unwrap();
    assert!(
        table_md
            .contains("| Application | `Role` | `62a82d76-70ea-41e2-9197-370581804d09` | Read and write all groups |")
    );
    let report = std::fs::read_to_string(dir.join("CODEGEN.md")).unwrap();
    assert!(report.contains("permissions.json alone"), "{report}");
    // PowerShell cmdlet names, derived (no page to check them against: no such section).
    assert!(table_md.contains("| Rust | PowerShell |"), "{table_md}");
    assert!(table_md.contains("| `Get-MgGroupMember` |"), "{table_md}");
    assert!(ops.iter().any(|o| o["powershell"] == "Get-MgGroupMember"));
    assert!(ops.iter().all(|o| o["powershell"].as_str().is_some_and(|c| c.contains("-Mg"))));
    assert!(permissions_rs.contains("pub fn for_cmdlet("), "{permissions_rs}");
    assert!(readme.contains("## Coming from PowerShell"), "{readme}");
    assert!(!report.contains("PowerShell commands"), "{report}");
}

/// A crate written with `--runtime` depends on that runtime and holds none of its own, so an
/// application can depend on two generated crates (cargo refuses two `msgraph-runtime` packages
/// of one version at different paths); a folder without the runtime is an error naming it.
#[test]
fn two_crates_of_one_application_share_one_runtime() {
    let meta = metadata_dir();
    let meta = meta.to_str().unwrap();
    let out = tempfile::tempdir().unwrap();
    let (first, second) = (out.path().join("group"), out.path().join("apps").join("create"));
    let (code, stderr) =
        xtask(&["codegen", "--permission", "Group.Create", "--out", first.to_str().unwrap(), "--metadata-dir", meta]);
    assert_eq!(code, 0, "{stderr}");
    assert!(first.join("runtime/Cargo.toml").is_file());
    let runtime = first.join("runtime");
    let (code, stderr) = xtask(&[
        "codegen",
        "--permission",
        "Application.ReadWrite.OwnedBy",
        "--out",
        second.to_str().unwrap(),
        "--runtime",
        runtime.to_str().unwrap(),
        "--metadata-dir",
        meta,
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!second.join("runtime").exists());
    let manifest = std::fs::read_to_string(second.join("Cargo.toml")).unwrap();
    assert!(manifest.contains(r#"msgraph-runtime = { path = "../../group/runtime""#), "{manifest}");
    // An application with both: one runtime in its dependency graph.
    let app = out.path().join("app");
    std::fs::create_dir_all(app.join("src")).unwrap();
    std::fs::write(app.join("src/main.rs"), "fn main() {}\n").unwrap();
    std::fs::write(
        app.join("Cargo.toml"),
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2024\"\n[workspace]\n[dependencies]\n\
         msgraph-group-create = { path = \"../group\" }\n\
         msgraph-application-read-write-owned-by = { path = \"../apps/create\" }\n",
    )
    .unwrap();
    let lock = Command::new(env!("CARGO")).args(["generate-lockfile", "--offline"]).current_dir(&app).output().unwrap();
    assert!(lock.status.success(), "{}", String::from_utf8_lossy(&lock.stderr));
    let lock = std::fs::read_to_string(app.join("Cargo.lock")).unwrap();
    assert_eq!(lock.matches("name = \"msgraph-runtime\"").count(), 1, "{lock}");
    // Not a runtime: an error naming the manifest it read.
    let (code, stderr) = xtask(&[
        "codegen",
        "--permission",
        "Group.Create",
        "--out",
        out.path().join("third").to_str().unwrap(),
        "--runtime",
        first.to_str().unwrap(),
        "--metadata-dir",
        meta,
    ]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("group/Cargo.toml") && stderr.contains("msgraph-runtime"), "{stderr}");
}

#[test]
fn another_permission_needs_out_and_a_known_name() {
    let (code, stderr) = xtask(&["codegen", "--permission", "Group.ReadWrite.All"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--out"), "{stderr}");
    let meta = metadata_dir();
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("crate");
    let (code, stderr) = xtask(&[
        "codegen",
        "--permission",
        "Nope.Read.All",
        "--out",
        dir.to_str().unwrap(),
        "--metadata-dir",
        meta.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("`Nope.Read.All` is not defined"), "{stderr}");
    assert!(!dir.exists());
}

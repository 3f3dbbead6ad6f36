//! `cargo xtask fetch-metadata` end to end, against a loopback HTTP server standing in for
//! raw.githubusercontent.com: download and verify into the cache, skip verified copies, refuse a
//! sha256 mismatch without touching the cache, move to another commit with `--update-pins` (pins,
//! crate version and CHANGELOG written from the classification of the real 2023 -> current v1.0
//! metadata diff), and `diff-metadata --record`.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::path::PathBuf;

use msgraph_codegen::bump::set_yaml_scalar;
use msgraph_codegen::config::{Config, sha256_hex};
use msgraph_tests::{FileServer, config_file, metadata_dir, tree, workspace_root};

const OLD_COMMIT: &str = "1111111111111111111111111111111111111111";
const NEW_COMMIT: &str = "2222222222222222222222222222222222222222";
const OTHER_REPO_COMMIT: &str = "3333333333333333333333333333333333333333";

/// Runs a `cargo xtask` command in process: the forwarded ones in `xtask-tools`, as
/// `cargo xtask` would.
fn xtask(args: &[&str]) -> Result<(), String> {
    let argv = std::iter::once("xtask").chain(args.iter().copied());
    if xtask::FORWARDED.iter().any(|(c, _)| Some(c) == args.first()) {
        xtask_tools::run(argv).map_err(|e| e.to_string())
    } else {
        xtask::run(argv).map_err(|e| e.to_string())
    }
}

/// A loopback server with its folder, and a folder holding a codegen.yaml (and its cache).
struct Setup {
    _served: tempfile::TempDir,
    server: FileServer,
    dir: tempfile::TempDir,
    file: PathBuf,
}

impl Setup {
    fn config(&self) -> &str {
        self.file.to_str().unwrap()
    }
}

fn serve() -> (tempfile::TempDir, FileServer) {
    let served = tempfile::tempdir().unwrap();
    let server = FileServer::start(served.path()).unwrap();
    (served, server)
}

/// A small config with two inputs from two repositories, `a` and `b`.
fn small_setup(a: &[u8], b: &[u8]) -> Setup {
    let (served, server) = serve();
    let dir = tempfile::tempdir().unwrap();
    server.put(&format!("/owner/repo/{OLD_COMMIT}/a.xml"), a).unwrap();
    server.put(&format!("/owner/other/{OTHER_REPO_COMMIT}/b.json"), b).unwrap();
    let config = format!(
        "# comment kept\npermission: P\nmanifest: m.yaml\noverrides: o.yaml\napi_versions: {{}}\n\
         crate:\n  name: c\n  version: 0.1.0\n  templates: t\n\
         inputs:\n  a:\n    path: v1.0/a.xml\n    url: {}\n    sha256: {}\n\
         \x20 b:\n    path: permissions/b.json\n    url: {}\n    sha256: {}\n",
        server.url(&format!("/owner/repo/{OLD_COMMIT}/a.xml")),
        sha256_hex(a),
        server.url(&format!("/owner/other/{OTHER_REPO_COMMIT}/b.json")),
        sha256_hex(b),
    );
    let file = dir.path().join("codegen.yaml");
    std::fs::write(&file, config).unwrap();
    Setup { _served: served, server, dir, file }
}

#[test]
fn downloads_verify_and_fill_the_cache_once() {
    let setup = small_setup(b"<a/>", b"{}");
    let (server, dir, config) = (&setup.server, &setup.dir, setup.config());
    xtask(&["fetch-metadata", "--config", config]).unwrap();
    let cache = dir.path().join("cache");
    assert_eq!(std::fs::read(cache.join("v1.0/a.xml")).unwrap(), b"<a/>");
    assert_eq!(std::fs::read(cache.join("permissions/b.json")).unwrap(), b"{}");
    assert_eq!(server.requests().len(), 2);
    // Verified copies are not downloaded again, unless --force.
    xtask(&["fetch-metadata", "--config", config]).unwrap();
    assert_eq!(server.requests().len(), 2);
    xtask(&["fetch-metadata", "--config", config, "--force", "--input", "a"]).unwrap();
    assert_eq!(server.requests().len(), 3);
    // A missing file upstream is an HTTP error naming the input and the URL.
    std::fs::remove_file(server.root.join(format!("owner/repo/{OLD_COMMIT}/a.xml"))).unwrap();
    let err = xtask(&["fetch-metadata", "--config", config, "--force", "--input", "a"]).unwrap_err();
    assert!(err.contains("download of `a`") && err.contains("404") && err.contains(OLD_COMMIT), "{err}");
}

#[test]
fn sha256_mismatch_is_refused_and_the_cache_is_untouched() {
    let setup = small_setup(b"<a/>", b"{}");
    let (server, dir, config) = (&setup.server, &setup.dir, setup.config());
    xtask(&["fetch-metadata", "--config", config]).unwrap();
    let cache = dir.path().join("cache");
    let before = tree(dir.path());
    // Upstream now serves other bytes at the pinned URL.
    server.put(&format!("/owner/repo/{OLD_COMMIT}/a.xml"), b"<tampered/>").unwrap();
    let err = xtask(&["fetch-metadata", "--config", config, "--force"]).unwrap_err();
    assert!(err.contains("sha256 mismatch"), "{err}");
    assert!(err.contains(&sha256_hex(b"<a/>")) && err.contains(&sha256_hex(b"<tampered/>")), "{err}");
    assert!(err.contains("nothing was written") && err.contains("--update-pins"), "{err}");
    assert_eq!(tree(dir.path()), before, "cache and config unchanged, no temp files");
    assert_eq!(std::fs::read(cache.join("v1.0/a.xml")).unwrap(), b"<a/>");
}

#[test]
fn commit_must_be_a_full_sha_of_one_repository() {
    let setup = small_setup(b"<a/>", b"{}");
    let (server, dir, config) = (&setup.server, &setup.dir, setup.config());
    let err = xtask(&["fetch-metadata", "--config", config, "--commit", "main", "--input", "a"]).unwrap_err();
    assert!(err.contains("`main` is not a full commit SHA"), "{err}");
    let err = xtask(&["fetch-metadata", "--config", config, "--commit", NEW_COMMIT]).unwrap_err();
    assert!(err.contains("2 repositories") && err.contains("/owner/repo") && err.contains("/owner/other"), "{err}");
    let err = xtask(&["fetch-metadata", "--config", config, "--input", "nope"]).unwrap_err();
    assert!(err.contains("--input `nope`") && err.contains("known: a, b"), "{err}");
    // Same bytes at another commit: only the URL moves, the version does not.
    server.put(&format!("/owner/repo/{NEW_COMMIT}/a.xml"), b"<a/>").unwrap();
    xtask(&["fetch-metadata", "--config", config, "--commit", NEW_COMMIT, "--input", "a", "--update-pins"]).unwrap();
    let text = std::fs::read_to_string(config).unwrap();
    assert!(text.starts_with("# comment kept\n"), "{text}");
    assert!(text.contains(&format!("/owner/repo/{NEW_COMMIT}/a.xml")), "{text}");
    assert!(text.contains("version: 0.1.0"), "{text}");
    assert!(server.requests().iter().all(|r| !r.contains(OTHER_REPO_COMMIT) || r.ends_with("b.json")));
    assert!(!dir.path().join("CHANGELOG.md").exists());
}

/// A copy of the project's codegen.yaml (paths made absolute) whose `v1.0-csdl` pin is the 2023
/// CSDL served at OLD_COMMIT, with that file and permissions.json in its cache.
fn real_setup() -> Setup {
    let (served, server) = serve();
    let meta = metadata_dir();
    let old_csdl = std::fs::read(meta.join("v1.0/cleanMetadataWithDescriptions-2023-05-09.xml")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("codegen.yaml");
    let real = config_file();
    let mut text = std::fs::read_to_string(&real).unwrap();
    let root = workspace_root();
    for (key, value) in [
        (&["manifest"][..], root.join("metadata/methods.yaml")),
        (&["overrides"][..], root.join("metadata/overrides.yaml")),
        (&["crate", "templates"][..], root.join("templates")),
    ] {
        text = set_yaml_scalar(&text, &file, key, value.to_str().unwrap()).unwrap();
    }
    let url =
        server.url(&format!("/microsoftgraph/msgraph-metadata/{OLD_COMMIT}/clean_v10_metadata/cleanMetadata.xml"));
    text = set_yaml_scalar(&text, &file, &["inputs", "v1.0-csdl", "url"], &url).unwrap();
    text = set_yaml_scalar(&text, &file, &["inputs", "v1.0-csdl", "sha256"], &sha256_hex(&old_csdl)).unwrap();
    std::fs::write(&file, text).unwrap();
    std::fs::write(dir.path().join("CHANGELOG.md"), "# Changelog\n\n## 0.1.0 (2026-11-24)\n\nFirst.\n").unwrap();
    let cache = dir.path().join("cache");
    std::fs::create_dir_all(cache.join("v1.0")).unwrap();
    std::fs::create_dir_all(cache.join("permissions")).unwrap();
    std::fs::write(cache.join("v1.0/cleanMetadata.xml"), &old_csdl).unwrap();
    std::fs::copy(meta.join("permissions/permissions.json"), cache.join("permissions/permissions.json")).unwrap();
    Setup { _served: served, server, dir, file }
}

#[test]
fn update_pins_moves_to_a_commit_and_versions_the_bump() {
    let setup = real_setup();
    let (server, dir, file) = (&setup.server, &setup.dir, &setup.file);
    let new_csdl = std::fs::read(metadata_dir().join("v1.0/cleanMetadata.xml")).unwrap();
    server
        .put(&format!("/microsoftgraph/msgraph-metadata/{NEW_COMMIT}/clean_v10_metadata/cleanMetadata.xml"), &new_csdl)
        .unwrap();
    let before = std::fs::read_to_string(file).unwrap();
    let config = file.to_str().unwrap();

    // Without --update-pins the new bytes are refused.
    let err =
        xtask(&["fetch-metadata", "--config", config, "--input", "v1.0-csdl", "--commit", NEW_COMMIT]).unwrap_err();
    assert!(err.contains("sha256 mismatch") && err.contains(&sha256_hex(&new_csdl)), "{err}");
    assert_eq!(std::fs::read_to_string(file).unwrap(), before);

    xtask(&["fetch-metadata", "--config", config, "--input", "v1.0-csdl", "--commit", NEW_COMMIT, "--update-pins"])
        .unwrap();
    let after = std::fs::read_to_string(file).unwrap();
    let pinned = Config::load(file).unwrap();
    let pin = &pinned.inputs["v1.0-csdl"];
    assert!(pin.url.contains(NEW_COMMIT), "{}", pin.url);
    assert_eq!(pin.sha256, sha256_hex(&new_csdl));
    // 2023 -> current removes operations: breaking, so 0.1.0 -> 0.2.0 (Cargo's 0.x rule).
    assert_eq!(pinned.krate.version, "0.2.0");
    // Only the three edited lines differ; comments and order are kept.
    let changed: Vec<(&str, &str)> = before.lines().zip(after.lines()).filter(|(a, b)| a != b).collect();
    assert_eq!(changed.len(), 3, "{changed:#?}");
    assert_eq!(before.lines().count(), after.lines().count());
    let log = std::fs::read_to_string(dir.path().join("CHANGELOG.md")).unwrap();
    let entry = log.split("\n## 0.1.0").next().unwrap();
    assert!(entry.contains("## 0.2.0 ("), "{log}");
    assert!(entry.contains("semver bump **major**") && entry.contains("### Breaking"), "{entry}");
    assert!(entry.contains("PropertyAdded `microsoft.graph.accessPackage/resourceRoleScopes`"), "{entry}");
    assert!(
        entry.contains(&format!(
            "`v1.0-csdl`: sha256 {} -> {}",
            &sha256_hex(
                &std::fs::read(metadata_dir().join("v1.0/cleanMetadataWithDescriptions-2023-05-09.xml")).unwrap()
            )[..12],
            &sha256_hex(&new_csdl)[..12]
        )),
        "{entry}"
    );
    assert!(log.contains("## 0.1.0 (2026-11-24)"), "the older entry stays");
    assert_eq!(std::fs::read(dir.path().join("cache/v1.0/cleanMetadata.xml")).unwrap(), new_csdl);
    // No staging or temp files are left.
    let names: Vec<String> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert!(names.iter().all(|n| !n.starts_with('.') && !n.contains("tmp")), "{names:?}");
    // Running it again changes nothing.
    xtask(&["fetch-metadata", "--config", config, "--input", "v1.0-csdl", "--update-pins"]).unwrap();
    assert_eq!(std::fs::read_to_string(file).unwrap(), after);
}

#[test]
fn update_pins_refuses_when_the_old_inputs_are_missing() {
    let setup = real_setup();
    let (server, dir, file) = (&setup.server, &setup.dir, &setup.file);
    // The old CSDL is gone from the cache (and GRAPH_METADATA_DIR, if set, holds another file).
    std::fs::remove_file(dir.path().join("cache/v1.0/cleanMetadata.xml")).unwrap();
    let new_csdl = std::fs::read(metadata_dir().join("v1.0/cleanMetadata.xml")).unwrap();
    server
        .put(&format!("/microsoftgraph/msgraph-metadata/{NEW_COMMIT}/clean_v10_metadata/cleanMetadata.xml"), &new_csdl)
        .unwrap();
    let before = tree(dir.path());
    let config = file.to_str().unwrap();
    let args = ["fetch-metadata", "--config", config, "--input", "v1.0-csdl", "--commit", NEW_COMMIT, "--update-pins"];
    let err = xtask(&args).unwrap_err();
    assert!(err.contains("cannot classify the bump") && err.contains("--no-version-bump"), "{err}");
    assert_eq!(tree(dir.path()), before, "nothing changed");
    // --no-version-bump moves the pin only.
    let mut args = args.to_vec();
    args.push("--no-version-bump");
    xtask(&args).unwrap();
    let pinned = Config::load(file).unwrap();
    assert_eq!(pinned.inputs["v1.0-csdl"].sha256, sha256_hex(&new_csdl));
    assert_eq!(pinned.krate.version, "0.1.0");
}

#[test]
fn diff_metadata_record_bumps_version_and_changelog() {
    let setup = real_setup();
    let (dir, file) = (&setup.dir, &setup.file);
    // The cache holds the 2023 CSDL under the pinned path: compare it with the current files.
    let old = dir.path().join("cache");
    let config = file.to_str().unwrap();
    xtask(&[
        "diff-metadata",
        "--config",
        config,
        "--old",
        old.to_str().unwrap(),
        "--new",
        metadata_dir().to_str().unwrap(),
        "--record",
        "--output",
        dir.path().join("report.txt").to_str().unwrap(),
    ])
    .unwrap();
    let report = std::fs::read_to_string(dir.path().join("report.txt")).unwrap();
    assert!(report.starts_with("metadata diff for v1.0 (513 changes, semver bump: major)"), "{report}");
    assert_eq!(Config::load(file).unwrap().krate.version, "0.2.0");
    let log = std::fs::read_to_string(dir.path().join("CHANGELOG.md")).unwrap();
    assert!(log.starts_with("# Changelog\n\n## 0.2.0 ("), "{log}");
    assert!(log.contains("OperationRemoved"), "{log}");
}

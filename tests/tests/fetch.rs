//! `cargo xtask fetch-metadata` end to end, against a loopback HTTP server standing in for
//! raw.githubusercontent.com: download and verify into the cache, skip verified copies, refuse a
//! sha256 mismatch without touching the cache, move to another commit with `--update-pins` (pins,
//! crate version and CHANGELOG written from the classification of the real 2023 -> current v1.0
//! metadata diff), and `diff-metadata --record`.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::path::PathBuf;

use msgraph_codegen::inputs::config::Config;
use msgraph_codegen::inputs::pins::sha256_hex;
use msgraph_codegen::maintenance::record::set_yaml_scalar;
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
        (&["permission_ids"][..], root.join("metadata/permission-ids.yaml")),
        (&["waiters"][..], root.join("metadata/waiters.yaml")),
        (&["powershell"][..], root.join("metadata/powershell.yaml")),
        (&["crate", "templates"][..], root.join("templates")),
    ] {
        text = set_yaml_scalar(&text, &file, key, value.to_str().unwrap()).unwrap();
    }
    // The CHANGELOG below starts at 0.1.0, whatever version the project's crate has reached.
    text = set_yaml_scalar(&text, &file, &["crate", "version"], "0.1.0").unwrap();
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
    assert!(report.starts_with("metadata diff for v1.0 (152 changes, semver bump: major)"), "{report}");
    assert_eq!(Config::load(file).unwrap().krate.version, "0.2.0");
    let log = std::fs::read_to_string(dir.path().join("CHANGELOG.md")).unwrap();
    assert!(log.starts_with("# Changelog\n\n## 0.2.0 ("), "{log}");
    assert!(log.contains("OperationRemoved"), "{log}");
}

// --- `fetch-metadata --latest` and `bump`, against a loopback GitHub (REST API and raw files). ---

const NEWEST_DATE: &str = "2026-11-28T09:30:00Z";
const OLD_DATE: &str = "2023-05-09T12:00:00Z";

/// The loopback GitHub API says `sha` (dated `date`) is the newest commit touching `path` of
/// `repo` on `branch`.
fn api_newest(server: &FileServer, repo: &str, path: &str, branch: &str, sha: &str, date: &str) {
    let body = serde_json::json!([{"sha": sha, "commit": {"committer": {"date": date}}}]).to_string();
    server.route(
        &format!("/repos/{repo}/commits"),
        &[("path", path), ("sha", branch), ("per_page", "1")],
        200,
        &[],
        body.as_bytes(),
    );
}

/// ... that commit `sha` of `repo` is dated `date`.
fn api_commit(server: &FileServer, repo: &str, sha: &str, date: &str) {
    let body = serde_json::json!({"sha": sha, "commit": {"committer": {"date": date}}}).to_string();
    server.route(&format!("/repos/{repo}/commits/{sha}"), &[], 200, &[], body.as_bytes());
}

/// ... and that `path` holds `bytes` at `sha`.
fn api_blob(server: &FileServer, repo: &str, path: &str, sha: &str, bytes: &[u8]) {
    let body =
        serde_json::json!({"type": "file", "sha": xtask_tools::git_blob_sha(bytes), "size": bytes.len()}).to_string();
    server.route(&format!("/repos/{repo}/contents/{path}"), &[("ref", sha)], 200, &[], body.as_bytes());
}

/// `cargo xtask fetch-metadata --config CONFIG --latest --github-api-url API` + `extra`.
fn latest(config: &str, api: &str, extra: &[&str]) -> Result<(), String> {
    let mut args = vec!["fetch-metadata", "--config", config, "--latest", "--github-api-url", api];
    args.extend_from_slice(extra);
    xtask(&args)
}

/// `small_setup`, with input `a` following branch `main` (b stays frozen).
fn latest_setup() -> Setup {
    let setup = small_setup(b"<a/>", b"{}");
    let text = std::fs::read_to_string(&setup.file).unwrap();
    let text = text.replace("    path: v1.0/a.xml\n", "    path: v1.0/a.xml\n    branch: main\n");
    std::fs::write(&setup.file, text).unwrap();
    setup
}

#[test]
fn latest_fetches_the_newest_commit_and_checks_the_blob_the_api_names() {
    let setup = latest_setup();
    let (server, dir, config) = (&setup.server, &setup.dir, setup.config());
    let api = server.url("");
    server.put(&format!("/owner/repo/{NEW_COMMIT}/a.xml"), b"<a version='2'/>").unwrap();
    api_newest(server, "owner/repo", "a.xml", "main", NEW_COMMIT, NEWEST_DATE);
    api_commit(server, "owner/repo", OLD_COMMIT, OLD_DATE);
    api_blob(server, "owner/repo", "a.xml", NEW_COMMIT, b"<a version='2'/>");

    // As with --commit: new bytes need --update-pins.
    let err = latest(config, &api, &[]).unwrap_err();
    assert!(err.contains("sha256 mismatch") && err.contains("--update-pins"), "{err}");
    latest(config, &api, &["--update-pins", "--no-version-bump"]).unwrap();
    let pinned = Config::load(&setup.file).unwrap();
    assert!(pinned.inputs["a"].url.contains(NEW_COMMIT), "{}", pinned.inputs["a"].url);
    assert_eq!(pinned.inputs["a"].sha256, sha256_hex(b"<a version='2'/>"));
    assert_eq!(pinned.inputs["b"].url, server.url(&format!("/owner/other/{OTHER_REPO_COMMIT}/b.json")), "b is frozen");
    assert_eq!(std::fs::read(dir.path().join("cache/v1.0/a.xml")).unwrap(), b"<a version='2'/>");
    let asked = server.requests();
    assert!(asked.iter().any(|r| r.starts_with("/repos/owner/repo/commits?") && r.contains("sha=main")), "{asked:?}");
    assert!(!asked.iter().any(|r| r.contains("owner/other")), "a frozen input is not asked about: {asked:?}");
    // No token in this process's environment: no Authorization header.
    if std::env::var_os("GITHUB_TOKEN").is_none() {
        assert!(server.authorizations().is_empty());
    }
}

#[test]
fn latest_reports_up_to_date_inputs_and_downloads_nothing() {
    let setup = latest_setup();
    let (server, dir, config) = (&setup.server, &setup.dir, setup.config());
    api_newest(server, "owner/repo", "a.xml", "main", OLD_COMMIT, OLD_DATE);
    let before = tree(dir.path());
    latest(config, &server.url(""), &["--update-pins"]).unwrap();
    assert_eq!(tree(dir.path()), before, "nothing written");
    assert!(server.requests().iter().all(|r| r.starts_with("/repos/")), "{:?}", server.requests());
}

#[test]
fn latest_says_when_to_retry_after_a_rate_limit() {
    let setup = latest_setup();
    let (server, config) = (&setup.server, setup.config());
    let api = server.url("");
    let commits = "/repos/owner/repo/commits";
    server.route(
        commits,
        &[],
        403,
        &[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "1764547200")],
        b"{\"message\": \"API rate limit exceeded\"}",
    );
    let err = latest(config, &api, &[]).unwrap_err();
    assert!(err.contains("rate limit is exhausted") && err.contains("retry after 2025-12-01 00:00:00 UTC"), "{err}");
    server.route(commits, &[], 429, &[("retry-after", "30")], b"{}");
    let err = latest(config, &api, &[]).unwrap_err();
    assert!(err.contains("retry in 30 s"), "{err}");
    // A 403 that is no rate limit is an ordinary error with GitHub's message.
    server.route(commits, &[], 403, &[("x-ratelimit-remaining", "12")], b"{\"message\": \"Resource not accessible\"}");
    let err = latest(config, &api, &[]).unwrap_err();
    assert!(err.contains("HTTP 403") && err.contains("Resource not accessible"), "{err}");
}

#[test]
fn latest_names_a_moved_path() {
    let setup = latest_setup();
    let (server, dir, config) = (&setup.server, &setup.dir, setup.config());
    let api = server.url("");
    let before = tree(dir.path());
    // The newest commit touching the path deleted it: the contents API has no such path there.
    api_newest(server, "owner/repo", "a.xml", "main", NEW_COMMIT, NEWEST_DATE);
    api_commit(server, "owner/repo", OLD_COMMIT, OLD_DATE);
    server.route("/repos/owner/repo/contents/a.xml", &[], 404, &[], b"{\"message\": \"Not Found\"}");
    let err = latest(config, &api, &["--update-pins"]).unwrap_err();
    assert!(
        err.contains("download of `a`") && err.contains("`a.xml` does not exist at owner/repo commit 2222"),
        "{err}"
    );
    assert!(err.contains("moved or deleted upstream"), "{err}");
    // No commit on the branch touches it (a wrong branch, or a path that never existed there).
    server.route("/repos/owner/repo/commits", &[], 200, &[], b"[]");
    let err = latest(config, &api, &[]).unwrap_err();
    assert!(err.contains("no commit on `main` of owner/repo touches `a.xml`"), "{err}");
    assert_eq!(tree(dir.path()), before, "nothing written");
}

#[test]
fn latest_refuses_a_download_that_is_not_the_blob_the_api_named() {
    let setup = latest_setup();
    let (server, dir, config) = (&setup.server, &setup.dir, setup.config());
    server.put(&format!("/owner/repo/{NEW_COMMIT}/a.xml"), b"<a tampered/>").unwrap();
    api_newest(server, "owner/repo", "a.xml", "main", NEW_COMMIT, NEWEST_DATE);
    api_commit(server, "owner/repo", OLD_COMMIT, OLD_DATE);
    api_blob(server, "owner/repo", "a.xml", NEW_COMMIT, b"<a version='2'/>");
    let before = tree(dir.path());
    let err = latest(config, &server.url(""), &["--update-pins", "--no-version-bump"]).unwrap_err();
    assert!(err.contains("not what the GitHub API says the path holds"), "{err}");
    assert!(
        err.contains(&xtask_tools::git_blob_sha(b"<a version='2'/>"))
            && err.contains(&xtask_tools::git_blob_sha(b"<a tampered/>")),
        "{err}"
    );
    assert_eq!(tree(dir.path()), before, "nothing written");
}

/// `real_setup`, with the loopback GitHub answering for every followed input: the v1.0 CSDL has a
/// newer commit holding the current CSDL (the pin holds the 2023 one), the others are up to date.
fn bump_setup() -> Setup {
    let setup = real_setup();
    let server = &setup.server;
    let new_csdl = std::fs::read(metadata_dir().join("v1.0/cleanMetadata.xml")).unwrap();
    let path = "clean_v10_metadata/cleanMetadata.xml";
    server.put(&format!("/microsoftgraph/msgraph-metadata/{NEW_COMMIT}/{path}"), &new_csdl).unwrap();
    let config = Config::load(&setup.file).unwrap();
    for (name, pin) in &config.inputs {
        let Some(branch) = &pin.branch else { continue };
        let url = pin.url.split("://").nth(1).unwrap();
        let segments: Vec<&str> = url.split('/').collect();
        let at = segments.iter().position(|s| s.len() == 40).unwrap();
        let repo = format!("{}/{}", segments[at - 2], segments[at - 1]);
        let file = segments[at + 1..].join("/");
        if name == "v1.0-csdl" {
            api_newest(server, &repo, &file, branch, NEW_COMMIT, NEWEST_DATE);
            api_commit(server, &repo, segments[at], OLD_DATE);
            api_blob(server, &repo, &file, NEW_COMMIT, &new_csdl);
        } else {
            api_newest(server, &repo, &file, branch, segments[at], "2025-01-27T00:00:00Z");
        }
    }
    setup
}

/// A stand-in for cargo that records its arguments and prints a test summary, failing if asked.
/// When the tests pass, `cargo semver-checks` is installed and finds one breaking change (it
/// records its arguments and the baseline's version line); when they fail, it is not installed.
#[cfg(unix)]
fn fake_cargo(dir: &std::path::Path, fail: bool) -> PathBuf {
    use std::os::unix::fs::PermissionsExt as _;
    let script = dir.join("fake-cargo");
    let (semver_checks, body) = if fail {
        (
            "echo 'error: no such command: `semver-checks`' >&2\nexit 101\n",
            "echo 'test a ... FAILED'\necho 'test result: FAILED. 11 passed; 1 failed; 0 ignored'\nexit 101\n",
        )
    } else {
        (
            r#"if [ "$2" = "--version" ]; then echo 'cargo-semver-checks 0.46.0'; exit 0; fi
echo "$@" > "$dir/semver-args.txt"
while [ $# -gt 0 ]; do
  if [ "$1" = "--baseline-root" ]; then grep '^version' "$2/Cargo.toml" > "$dir/semver-baseline.txt"; fi
  shift
done
echo '--- failure enum_variant_missing: pub enum variant removed or renamed ---'
echo '     Summary semver requires new major version: 1 major and 0 minor checks failed'
exit 1
"#,
            "echo 'test result: ok. 40 passed; 0 failed; 0 ignored'\necho 'test result: ok. 2 passed; 0 failed'\n",
        )
    };
    let text = format!(
        "#!/bin/sh\ndir=\"$(dirname \"$0\")\"\nif [ \"$1\" = \"semver-checks\" ]; then\n{semver_checks}fi\n\
         echo \"$@\" > \"$dir/cargo-args.txt\"\n{body}"
    );
    std::fs::write(&script, text).unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    script
}

/// The arguments of `cargo xtask bump` on a setup: output, report and GitHub on loopback.
fn bump_args(setup: &Setup, cargo: &std::path::Path) -> Vec<String> {
    let dir = setup.dir.path();
    let path = |p: PathBuf| p.to_str().unwrap().to_string();
    vec![
        "xtask".into(),
        "bump".into(),
        "--config".into(),
        setup.config().into(),
        "--out".into(),
        path(dir.join("generated")),
        "--report-dir".into(),
        path(dir.join("bump")),
        "--github-api-url".into(),
        setup.server.url(""),
        "--cargo".into(),
        path(cargo.to_path_buf()),
        // Two permissions (a sweep of all 917 generates for minutes); the fake cargo lints them.
        "--sweep-only".into(),
        "AccessReview.Read*".into(),
    ]
}

/// Runs `cargo xtask bump` in process; the exit status it would end with.
fn bump(setup: &Setup, cargo: &std::path::Path) -> i32 {
    match xtask_tools::run(bump_args(setup, cargo)) {
        Ok(()) => 0,
        Err(msgraph_codegen::Error::Exit { code }) => code,
        Err(e) => panic!("bump failed: {e}"),
    }
}

#[cfg(unix)]
#[test]
fn bump_moves_regenerates_tests_and_writes_the_report_then_finds_nothing_to_do() {
    let setup = bump_setup();
    let dir = setup.dir.path();
    let tools = tempfile::tempdir().unwrap();
    let cargo = fake_cargo(tools.path(), false);
    // What diff-metadata finds between the same two CSDLs: the report must list all of it.
    let json = dir.join("diff.json");
    xtask(&[
        "diff-metadata",
        "--config",
        setup.config(),
        "--old",
        dir.join("cache").to_str().unwrap(),
        "--new",
        metadata_dir().to_str().unwrap(),
        "--json",
        "--output",
        json.to_str().unwrap(),
    ])
    .unwrap();
    let expected: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    std::fs::remove_file(&json).unwrap();
    std::fs::write(dir.join("untouched.txt"), "a file outside what bump may write").unwrap();
    // The crate before the bump (a stand-in): cargo-semver-checks' baseline.
    std::fs::create_dir_all(dir.join("generated/src")).unwrap();
    std::fs::write(
        dir.join("generated/Cargo.toml"),
        "[package]\nname = \"msgraph-entitlement\"\nversion = \"0.1.0\"\n",
    )
    .unwrap();
    std::fs::write(dir.join("generated/src/lib.rs"), "//! before\n").unwrap();
    let before = tree(dir);

    assert_eq!(bump(&setup, &cargo), 10, "a bump is ready");

    // metadata: the pin moved, the version and CHANGELOG follow the classification.
    let pinned = Config::load(&setup.file).unwrap();
    assert!(pinned.inputs["v1.0-csdl"].url.contains(NEW_COMMIT));
    assert_eq!(pinned.krate.version, "0.2.0");
    let log = std::fs::read_to_string(dir.join("CHANGELOG.md")).unwrap();
    assert!(log.contains("## 0.2.0 (") && log.contains("semver bump **major**"), "{log}");
    // generated: regenerated at the new version.
    let manifest = std::fs::read_to_string(dir.join("generated/Cargo.toml")).unwrap();
    assert!(manifest.contains("version = \"0.2.0\""), "{manifest}");
    // The generated tests ran (here, a stand-in for cargo).
    let cargo_args = std::fs::read_to_string(tools.path().join("cargo-args.txt")).unwrap();
    let generated = dir.join("generated/Cargo.toml");
    assert_eq!(cargo_args.trim(), format!("test --manifest-path {} --features beta", generated.display()));
    // The report.
    let report = std::fs::read_to_string(dir.join("bump/PR.md")).unwrap();
    assert!(report.starts_with("# Graph metadata bump: msgraph-entitlement 0.1.0 -> 0.2.0"), "{report}");
    assert!(
        report.contains("| `v1.0-csdl` | microsoftgraph/msgraph-metadata: `clean_v10_metadata/cleanMetadata.xml` |"),
        "{report}"
    );
    assert!(
        report.contains(&format!(
            "[`{}`](https://github.com/microsoftgraph/msgraph-metadata/commit/{NEW_COMMIT}) (2026-11-28)",
            &NEW_COMMIT[..12]
        )),
        "{report}"
    );
    assert!(report.contains("(2023-05-09)"), "the old commit's date: {report}");
    assert!(report.contains("| `v1.0-openapi` |") && report.contains("up to date"), "{report}");
    assert!(report.contains("| `v1.0-csdl-descriptions` |") && report.contains("frozen (no `branch`)"), "{report}");
    let changes = expected["changes"].as_array().unwrap();
    assert!(
        report.contains("- Semver: **major** (")
            && report.contains(&format!("of {} changes): version 0.1.0 -> 0.2.0", changes.len())),
        "{report}"
    );
    // Every change is in the report, or, past what a pull request body holds, in the CHANGELOG
    // entry the report points to; operation and consent changes always in the report.
    assert!(report.len() <= 65_536, "a pull request body holds 65,536 characters: {}", report.len());
    let mut only_in_changelog = 0;
    for change in changes {
        let (subject, detail) = (change["subject"].as_str().unwrap(), change["detail"].as_str().unwrap());
        let line = format!("`{subject}`: {detail}");
        let kind = change["kind"].as_str().unwrap();
        if kind.starts_with("operation") || kind == "consent_changed" {
            assert!(report.contains(&line), "{line} missing from the report");
        } else if !report.contains(&line) {
            assert!(log.contains(&line), "{line} missing");
            only_in_changelog += 1;
        }
    }
    if only_in_changelog > 0 {
        let pointer = format!(
            "... and {only_in_changelog} more: the new entry of the CHANGELOG in `metadata/` lists every change"
        );
        assert!(report.contains(&pointer), "{report}");
    }
    assert!(report.contains("### Operations added or removed"), "{report}");
    assert!(report.contains("**passed** (42 passed, 0 failed)"), "{report}");
    // Every permission's crate was generated and linted with the new metadata (here the two
    // AccessReview.Read* ones); SWEEP.md beside PR.md, the configuration not being the project's.
    assert!(
        report.contains("## Every permission's crate")
            && report.contains("**every generated crate compiles**: 3 permissions: 3 generated, 3 compiled, 0 failed"),
        "{report}"
    );
    let sweep = std::fs::read_to_string(dir.join("bump/SWEEP.md")).unwrap();
    assert!(sweep.contains("| AccessReview.Read.All | compiles |"), "{sweep}");
    // cargo-semver-checks compared the regenerated crate with the crate as it was before.
    let semver_args = std::fs::read_to_string(tools.path().join("semver-args.txt")).unwrap();
    assert!(
        semver_args.starts_with(&format!("semver-checks check-release --manifest-path {}", generated.display()))
            && semver_args.contains("--default-features --release-type patch"),
        "{semver_args}"
    );
    let baseline = std::fs::read_to_string(tools.path().join("semver-baseline.txt")).unwrap();
    assert_eq!(baseline.trim(), "version = \"0.1.0\"", "the baseline is the crate before the bump");
    assert!(
        report.contains("## cargo-semver-checks")
            && report.contains(": **major** (\"semver requires new major version"),
        "{report}"
    );
    assert!(report.contains("`enum_variant_missing: pub enum variant removed or renamed`"), "{report}");
    assert!(report.contains("Agrees with the metadata-based decision (**major**)"), "{report}");
    // Nothing written outside metadata (config, cache, CHANGELOG), generated/ and bump/.
    let after = tree(dir);
    for (path, _) in after.iter().filter(|(path, content)| before.get(*path) != Some(*content)) {
        let allowed = ["codegen.yaml", "CHANGELOG.md", "cache", "generated", "bump"];
        assert!(allowed.iter().any(|a| path.starts_with(a)), "bump wrote {}", path.display());
    }
    assert!(before.keys().all(|p| after.contains_key(p)), "bump deleted a file");
    let names: Vec<String> = after.keys().map(|p| p.to_string_lossy().into_owned()).collect();
    assert!(names.iter().all(|p| !p.contains("tmp") && !p.starts_with('.')), "{names:?}");

    // Once merged, the next run finds everything up to date: exit 0, nothing else changes.
    let settled = tree(dir);
    assert_eq!(bump(&setup, &cargo), 0);
    let report = std::fs::read_to_string(dir.join("bump/PR.md")).unwrap();
    assert!(report.starts_with("# Graph metadata: up to date"), "{report}");
    let again = tree(dir);
    for (path, content) in &again {
        if !path.starts_with("bump") {
            assert_eq!(settled.get(path), Some(content), "{} changed on a run with nothing to do", path.display());
        }
    }
}

#[cfg(unix)]
#[test]
fn bump_with_failing_generated_tests_fails_and_says_so() {
    let setup = bump_setup();
    let tools = tempfile::tempdir().unwrap();
    let cargo = fake_cargo(tools.path(), true);
    let dir = setup.dir.path();
    let err = xtask_tools::run(bump_args(&setup, &cargo)).unwrap_err();
    assert!(!matches!(err, msgraph_codegen::Error::Exit { .. }), "not a ready bump: {err}");
    assert!(err.to_string().contains("tests fail"), "{err}");
    let report = std::fs::read_to_string(dir.join("bump/PR.md")).unwrap();
    assert!(report.contains("**FAILED**") && report.contains("test a ... FAILED"), "{report}");
    assert!(report.contains("Not run: cargo-semver-checks is not installed"), "{report}");
}

//! The bad-input corpus (`tests/corpus/*/case.yaml`): each case breaks one input of
//! `cargo xtask codegen` (CSDL, permissions.json, codegen.yaml, the manifest, overrides, pins, the
//! output folder). Every case must fail with one message that contains the case's `expect` strings
//! (file:line:column or the offending value), must not panic, and must leave the output folder (a
//! copy of `generated/`) byte-identical, with no temp folders left beside it.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use msgraph_codegen::inputs::config::Config;
use msgraph_codegen::inputs::pins::sha256_hex;
use msgraph_codegen::maintenance::record::set_yaml_scalar;
use msgraph_tests::{config_file, metadata_dir, tree, workspace_root};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    /// What is broken, in a few words.
    what: String,
    /// Inputs (by name) replaced by a file of the case; their pins are moved to the file's sha256.
    #[serde(default)]
    inputs: BTreeMap<String, String>,
    /// A file of the case that replaces codegen.yaml verbatim.
    config: Option<String>,
    /// Scalar edits of codegen.yaml (`{case}` in a value is the case's folder).
    #[serde(default)]
    set: Vec<SetValue>,
    /// Renames a key of codegen.yaml: `[old, new]`.
    rename_key: Option<[String; 2]>,
    /// The permission the manifest names.
    manifest_permission: Option<String>,
    /// A method entry appended to the manifest.
    extra_method: Option<String>,
    /// Text put in front of overrides.yaml.
    overrides_prefix: Option<String>,
    /// The output folder, relative to the case's temp folder (`not-a-dir` is made a file).
    out: Option<String>,
    /// Strings the error message must contain.
    expect: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SetValue {
    key: Vec<String>,
    value: String,
}

fn write_tree(dir: &Path, files: &BTreeMap<PathBuf, Vec<u8>>) {
    for (rel, bytes) in files {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
}

/// Runs one case in a temp folder; returns the error message, or why the case did not hold.
fn run_case(case_dir: &Path, generated: &BTreeMap<PathBuf, Vec<u8>>) -> Result<String, String> {
    let case_file = case_dir.join("case.yaml");
    let case: Case = msgraph_codegen::inputs::yaml::from_str(&std::fs::read_to_string(&case_file).unwrap(), &case_file)
        .map_err(|e| format!("bad case file: {e}"))?;
    let tmp = tempfile::tempdir().unwrap();
    let root = workspace_root();
    let real = Config::load(&config_file()).unwrap();
    let file = tmp.path().join("codegen.yaml");
    let case_path = case_dir.display().to_string();

    // The metadata folder: links to the real inputs, some replaced by the case's files.
    let meta = tmp.path().join("meta");
    for pin in real.inputs.values() {
        let from = metadata_dir().join(&pin.path);
        let to = meta.join(&pin.path);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        if from.exists() {
            std::os::unix::fs::symlink(&from, &to).unwrap();
        }
    }

    // codegen.yaml: the real one with absolute paths, then the case's edits.
    let mut text = std::fs::read_to_string(config_file()).unwrap();
    let mut manifest = std::fs::read_to_string(root.join("metadata/methods.yaml")).unwrap();
    let mut overrides = std::fs::read_to_string(root.join("metadata/overrides.yaml")).unwrap();
    if let Some(p) = &case.manifest_permission {
        manifest =
            manifest.replace("\npermission: EntitlementManagement.ReadWrite.All\n", &format!("\npermission: {p}\n"));
    }
    if let Some(m) = &case.extra_method {
        // At the end of the method list (the page's commands follow it).
        let at = manifest.find("\ncommands:").map_or(manifest.len(), |i| i + 1);
        manifest.insert_str(at, m);
    }
    if let Some(prefix) = &case.overrides_prefix {
        overrides = format!("{prefix}{overrides}");
    }
    std::fs::write(tmp.path().join("methods.yaml"), manifest).unwrap();
    std::fs::write(tmp.path().join("overrides.yaml"), overrides).unwrap();
    let templates = root.join("templates").display().to_string();
    let changelog = root.join("metadata/CHANGELOG.md").display().to_string();
    text = set_yaml_scalar(&text, &file, &["crate", "templates"], &templates).unwrap();
    text = set_yaml_scalar(&text, &file, &["crate", "changelog"], &changelog).unwrap();
    for (key, name) in
        [("permission_ids", "permission-ids.yaml"), ("waiters", "waiters.yaml"), ("powershell", "powershell.yaml")]
    {
        let path = root.join("metadata").join(name).display().to_string();
        text = set_yaml_scalar(&text, &file, &[key], &path).unwrap();
    }
    for (name, replacement) in &case.inputs {
        let pin = &real.inputs[name];
        let bytes = std::fs::read(case_dir.join(replacement)).unwrap();
        let target = meta.join(&pin.path);
        let _ = std::fs::remove_file(&target);
        std::fs::write(&target, &bytes).unwrap();
        text = set_yaml_scalar(&text, &file, &["inputs", name, "sha256"], &sha256_hex(&bytes)).unwrap();
    }
    for SetValue { key, value } in &case.set {
        let key: Vec<&str> = key.iter().map(String::as_str).collect();
        text = set_yaml_scalar(&text, &file, &key, &value.replace("{case}", &case_path)).unwrap();
    }
    if let Some([old, new]) = &case.rename_key {
        let from = format!("{old}:");
        let line = text.lines().find(|l| l.trim_start().starts_with(&from)).ok_or("rename_key: key not found")?;
        text = text.replacen(line, &line.replacen(&from, &format!("{new}:"), 1), 1);
    }
    match &case.config {
        Some(verbatim) => std::fs::copy(case_dir.join(verbatim), &file).map(drop).unwrap(),
        None => std::fs::write(&file, &text).unwrap(),
    }

    // The output: a copy of generated/ (or a folder that cannot be made).
    let out = tmp.path().join(case.out.as_deref().unwrap_or("out/generated"));
    std::fs::write(tmp.path().join("not-a-dir"), "a file").unwrap();
    let copy = tmp.path().join("out/generated");
    write_tree(&copy, generated);

    let args = [
        "xtask",
        "codegen",
        "--config",
        file.to_str().unwrap(),
        "--metadata-dir",
        meta.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    let result = std::panic::catch_unwind(|| xtask::run(args));
    let message = match result {
        Err(_) => return Err("panicked".to_string()),
        Ok(Ok(())) => return Err("succeeded".to_string()),
        Ok(Err(e)) => e.to_string(),
    };
    for want in &case.expect {
        let want = want.replace("{case}", &case_path);
        if !message.contains(&want) {
            return Err(format!("message lacks `{want}`:\n{message}"));
        }
    }
    if message.contains("panicked") || message.trim().is_empty() {
        return Err(format!("not a clear message: {message}"));
    }
    if &tree(&copy) != generated {
        return Err("the output folder changed".to_string());
    }
    let left: Vec<String> = std::fs::read_dir(tmp.path().join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "generated")
        .collect();
    if !left.is_empty() {
        return Err(format!("left behind: {left:?}"));
    }
    let _ = case.what;
    Ok(message)
}

#[test]
fn every_bad_input_fails_clearly_and_leaves_the_output_alone() {
    let generated_dir = workspace_root().join("generated");
    let generated = tree(&generated_dir);
    let mut cases: Vec<PathBuf> = std::fs::read_dir(workspace_root().join("tests/corpus"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("case.yaml").is_file())
        .collect();
    cases.sort();
    assert!(cases.len() >= 30, "the corpus has {} cases", cases.len());
    // Panics are caught and reported per case; keep the default hook quiet meanwhile.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    // The cases are independent (each in its own temp folder): run them on every core.
    let next = std::sync::atomic::AtomicUsize::new(0);
    let failures = std::sync::Mutex::new(Vec::new());
    let workers = std::thread::available_parallelism().map_or(1, usize::from).min(cases.len());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                while let Some(case) = cases.get(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed)) {
                    let name = case.file_name().unwrap().to_string_lossy().into_owned();
                    match run_case(case, &generated) {
                        Ok(message) => eprintln!("{name}: {}", message.lines().next().unwrap_or_default()),
                        Err(why) => failures.lock().unwrap().push(format!("{name}: {why}")),
                    }
                }
            });
        }
    });
    std::panic::set_hook(hook);
    let mut failures = failures.into_inner().unwrap();
    failures.sort();
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
    assert!(tree(&generated_dir) == generated, "generated/ changed");
}

//! `cargo xtask user-build`: the generated crate built the way its users get it, warnings denied.
//!
//! Users do not get the workspace's Cargo.lock: a crate built on its own resolves the newest
//! versions its manifest allows (and a user's other dependencies may hold some at the oldest).
//! docs.rs builds the docs on nightly with the features of `[package.metadata.docs.rs]`. Each
//! check copies the crate out of the workspace (its own `[workspace]`, the workspace's profiles,
//! so the dependencies already built in `target/` are reused) and runs:
//! - `newest`: `cargo generate-lockfile` (the newest of every dependency, whatever rust-version it
//!   needs), then clippy on the library;
//! - `minimal`: `cargo +nightly generate-lockfile -Z direct-minimal-versions` (every direct
//!   dependency at the oldest version its requirement allows), then clippy on the library;
//! - `docs`: `cargo +nightly doc` with docs.rs's features and flags (`--cfg docsrs` and the
//!   crate's `rustdoc-args`).
//!
//! The library is checked with docs.rs's features (every feature that adds API) over the default
//! TLS.

use std::path::{Path, PathBuf};
use std::process::Command;

use clap::{Args, ValueEnum};
use msgraph_codegen::Error;

#[derive(Args)]
pub(crate) struct UserBuildArgs {
    /// The checks to run (default: all three).
    #[arg(long = "check", value_enum, value_name = "CHECK")]
    checks: Vec<Check>,
    /// The crate to check (default: `generated/`).
    #[arg(long, value_name = "DIR")]
    crate_dir: Option<PathBuf>,
    /// Target folder (default: the workspace's `target/`, whose built dependencies are reused).
    #[arg(long, value_name = "DIR")]
    target_dir: Option<PathBuf>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Check {
    /// The newest versions the manifest allows (no lock file).
    Newest,
    /// The oldest versions the manifest's direct requirements allow (nightly).
    Minimal,
    /// The docs as docs.rs builds them (nightly).
    Docs,
}

impl Check {
    fn name(self) -> &'static str {
        match self {
            Check::Newest => "newest",
            Check::Minimal => "minimal",
            Check::Docs => "docs",
        }
    }
}

pub(crate) fn user_build(args: &UserBuildArgs) -> Result<(), Error> {
    let root = crate::workspace_root();
    let crate_dir = args.crate_dir.clone().unwrap_or_else(|| root.join("generated"));
    let target = args.target_dir.clone().unwrap_or_else(|| root.join("target"));
    let docs_rs = DocsRs::read(&crate_dir)?;
    let checks =
        if args.checks.is_empty() { vec![Check::Newest, Check::Minimal, Check::Docs] } else { args.checks.clone() };
    let mut failed = Vec::new();
    for check in checks {
        eprintln!("=== user-build {}: {}", check.name(), crate_dir.display());
        let copy = target.join("user-build").join(check.name());
        copy_crate(&crate_dir, &copy, &root)?;
        let ok = match check {
            Check::Newest => {
                // The newest of all, whatever their rust-version (a user's project may allow it).
                let mut lock = Command::new(crate::cargo());
                lock.arg("generate-lockfile")
                    .current_dir(&copy)
                    .env("CARGO_RESOLVER_INCOMPATIBLE_RUST_VERSIONS", "allow");
                run(&mut lock)? && clippy(&copy, &target, &docs_rs.features, &[])?
            }
            Check::Minimal => {
                let mut lock = Command::new("cargo");
                lock.args(["+nightly", "generate-lockfile", "-Z", "direct-minimal-versions"])
                    .current_dir(&copy)
                    .env_remove("RUSTUP_TOOLCHAIN")
                    .env_remove("CARGO")
                    .env_remove("RUSTC");
                run(&mut lock)? && clippy(&copy, &target, &docs_rs.features, &["--locked"])?
            }
            Check::Docs => docs(&copy, &target, &docs_rs)?,
        };
        if ok {
            print_versions(&copy, &docs_rs.features);
        } else {
            failed.push(check.name());
        }
    }
    if failed.is_empty() {
        eprintln!("user-build: every check passed, no warnings");
        Ok(())
    } else {
        Err(Error::File {
            file: crate_dir.join("Cargo.toml"),
            message: format!("user-build failed: {} (see above)", failed.join(", ")),
        })
    }
}

/// `[package.metadata.docs.rs]` of the crate: the features and the extra rustdoc arguments.
struct DocsRs {
    features: Vec<String>,
    rustdoc_args: Vec<String>,
}

impl DocsRs {
    /// Read with `cargo metadata`, so the manifest is parsed as cargo parses it.
    fn read(crate_dir: &Path) -> Result<DocsRs, Error> {
        let manifest = crate_dir.join("Cargo.toml");
        let output = Command::new(crate::cargo())
            .args(["metadata", "--no-deps", "--format-version", "1", "--manifest-path"])
            .arg(&manifest)
            .output()
            .map_err(|e| Error::io("cargo metadata", e))?;
        let fail = |message: String| Error::File { file: manifest.clone(), message };
        if !output.status.success() {
            return Err(fail(format!("cargo metadata failed: {}", String::from_utf8_lossy(&output.stderr).trim())));
        }
        let json: serde_json::Value =
            serde_json::from_slice(&output.stdout).map_err(|e| fail(format!("cargo metadata: {e}")))?;
        let manifest_path = std::fs::canonicalize(&manifest).map_err(|e| Error::io(&manifest, e))?;
        let package = json["packages"]
            .as_array()
            .and_then(|p| p.iter().find(|p| p["manifest_path"].as_str().map(Path::new) == Some(&manifest_path)))
            .ok_or_else(|| fail("cargo metadata lists no package for this manifest".into()))?;
        let table = &package["metadata"]["docs"]["rs"];
        if table.is_null() {
            return Err(fail("no [package.metadata.docs.rs]: docs.rs would document the default features only".into()));
        }
        let strings = |key: &str| -> Result<Vec<String>, Error> {
            match &table[key] {
                serde_json::Value::Null => Ok(Vec::new()),
                serde_json::Value::Array(items) => items
                    .iter()
                    .map(|v| v.as_str().map(str::to_string))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| fail(format!("[package.metadata.docs.rs] {key}: expected strings"))),
                _ => Err(fail(format!("[package.metadata.docs.rs] {key}: expected an array"))),
            }
        };
        Ok(DocsRs { features: strings("features")?, rustdoc_args: strings("rustdoc-args")? })
    }
}

/// Runs `command`, its output passed through; whether it succeeded.
fn run(command: &mut Command) -> Result<bool, Error> {
    let status = command.status().map_err(|e| Error::io("cargo", e))?;
    Ok(status.success())
}

/// Clippy on the library of the crate in `copy`, warnings denied, with `features` over the
/// default ones.
fn clippy(copy: &Path, target: &Path, features: &[String], extra: &[&str]) -> Result<bool, Error> {
    let mut command = Command::new(crate::cargo());
    command.arg("clippy").args(extra).arg("--lib").current_dir(copy).env("CARGO_TARGET_DIR", target);
    if !features.is_empty() {
        command.arg("--features").arg(features.join(","));
    }
    command.args(["--", "-D", "warnings"]);
    run(&mut command)
}

/// The docs as docs.rs builds them: nightly, `--cfg docsrs` and the crate's `rustdoc-args`, its
/// features; warnings denied. Dependencies resolve as for users (newest).
fn docs(copy: &Path, target: &Path, docs_rs: &DocsRs) -> Result<bool, Error> {
    let mut flags = vec!["--cfg".to_string(), "docsrs".to_string()];
    flags.extend(docs_rs.rustdoc_args.iter().cloned());
    flags.extend(["-D".to_string(), "warnings".to_string()]);
    // The rustup proxy (`cargo` on PATH), which reads `+nightly`; `$CARGO` is this toolchain's.
    let mut command = Command::new("cargo");
    command
        .args(["+nightly", "doc", "--no-deps"])
        .current_dir(copy)
        .env("CARGO_TARGET_DIR", target.join("user-build-nightly"))
        .env("RUSTDOCFLAGS", flags.join(" "))
        .env_remove("RUSTUP_TOOLCHAIN")
        .env_remove("CARGO")
        .env_remove("RUSTC")
        .env_remove("RUSTDOC");
    if !docs_rs.features.is_empty() {
        command.arg("--features").arg(docs_rs.features.join(","));
    }
    run(&mut command)
}

/// Copies the crate in `from` to `to` (replacing it), made a workspace of its own with the
/// workspace's profiles, without a lock file.
fn copy_crate(from: &Path, to: &Path, root: &Path) -> Result<(), Error> {
    if to.exists() {
        std::fs::remove_dir_all(to).map_err(|e| Error::io(to, e))?;
    }
    copy_dir(from, to)?;
    let lock = to.join("Cargo.lock");
    if lock.exists() {
        std::fs::remove_file(&lock).map_err(|e| Error::io(&lock, e))?;
    }
    let manifest = to.join("Cargo.toml");
    let mut text = std::fs::read_to_string(&manifest).map_err(|e| Error::io(&manifest, e))?;
    let root_manifest = root.join("Cargo.toml");
    let root_text = std::fs::read_to_string(&root_manifest).map_err(|e| Error::io(&root_manifest, e))?;
    text.push_str(
        "\n# Added by `cargo xtask user-build`: a workspace of its own, with the project's profiles.\n[workspace]\n\n",
    );
    let deps = dependency_names(&text);
    text.push_str(&profiles(&root_text, &deps));
    std::fs::write(&manifest, text).map_err(|e| Error::io(&manifest, e))
}

fn copy_dir(from: &Path, to: &Path) -> Result<(), Error> {
    std::fs::create_dir_all(to).map_err(|e| Error::io(to, e))?;
    for entry in std::fs::read_dir(from).map_err(|e| Error::io(from, e))? {
        let entry = entry.map_err(|e| Error::io(from, e))?;
        let path = entry.path();
        let file_type = entry.file_type().map_err(|e| Error::io(&path, e))?;
        if file_type.is_dir() {
            if entry.file_name() != "target" {
                copy_dir(&path, &to.join(entry.file_name()))?;
            }
        } else {
            std::fs::copy(&path, to.join(entry.file_name())).map_err(|e| Error::io(&path, e))?;
        }
    }
    Ok(())
}

/// The `[profile.*]` tables of a manifest, as written; a package's own table only for one of
/// `deps` (cargo warns about a table that matches no package).
fn profiles(manifest: &str, deps: &[String]) -> String {
    let mut out = String::new();
    let mut inside = false;
    for line in manifest.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with('[') {
            let header = trimmed.trim_end().trim_start_matches('[').trim_end_matches(']');
            inside = match header.split_once(".package.") {
                Some((_, "\"*\"")) => true,
                Some((_, package)) => deps.iter().any(|d| d == package.trim_matches('"')),
                None => header.starts_with("profile."),
            };
        }
        if inside {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// The names of the dependencies a manifest declares (`name = ...` lines of its
/// `[*dependencies]` tables).
fn dependency_names(manifest: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut inside = false;
    for line in manifest.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            inside = trimmed.trim_end_matches(']').ends_with("dependencies");
        } else if inside {
            if let Some((name, _)) = trimmed.split_once('=') {
                if !name.trim().is_empty() && !name.trim().starts_with('#') {
                    names.push(name.trim().to_string());
                }
            }
        }
    }
    names
}

/// Prints the versions the check resolved for the crate's direct dependencies.
fn print_versions(copy: &Path, features: &[String]) {
    let output = Command::new(crate::cargo())
        .args(["tree", "--depth", "1", "--edges", "normal", "--prefix", "none", "--features", &features.join(",")])
        .current_dir(copy)
        .output();
    if let Ok(output) = output {
        let text = String::from_utf8_lossy(&output.stdout);
        let deps: Vec<&str> = text.lines().skip(1).map(|l| l.trim_end_matches(" (*)")).collect();
        eprintln!("resolved: {}", deps.join(", "));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_are_copied_as_written() {
        let manifest = "[workspace]\nmembers = []\n\n[profile.dev]\ndebug = 0\n[profile.dev.package.\"*\"]\ndebug = false\n\n[workspace.lints.rust]\nx = 1\n[profile.release]\nlto = true\n";
        let manifest = format!(
            "{manifest}[profile.dev.package.serde_json]\nopt-level = 3\n[profile.dev.package.roxmltree]\nopt-level = 3\n"
        );
        assert_eq!(
            profiles(&manifest, &["serde_json".to_string()]),
            "[profile.dev]\ndebug = 0\n[profile.dev.package.\"*\"]\ndebug = false\n\n[profile.release]\nlto = true\n\
             [profile.dev.package.serde_json]\nopt-level = 3\n"
        );
        let deps = dependency_names(
            "[package]\nname = \"x\"\n[dependencies]\nserde = \"1\"\n# c = 1\n[dev-dependencies]\ntokio = \"1\"\n",
        );
        assert_eq!(deps, ["serde", "tokio"]);
    }
}

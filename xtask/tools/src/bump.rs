//! `cargo xtask bump`: a metadata bump in one command, for a person or a scheduled workflow.
//!
//! 1. Makes sure the pinned inputs are at hand (downloads the missing ones): the bump is
//!    classified by comparing what the old and the new inputs generate.
//! 2. `fetch-metadata --latest --update-pins` for every input: the newest commit touching each
//!    pinned path on its branch; moved pins, the next crate version and a CHANGELOG entry are
//!    written to `metadata/`.
//! 3. `codegen`: regenerates `generated/`.
//! 4. Asks cargo-semver-checks, when installed, whether the regenerated crate's Rust API agrees
//!    with the metadata-based semver decision ([`crate::semver`]).
//! 5. `sweep`: generates and lints every permission's crate with the new metadata (SWEEP.md),
//!    so a bump that breaks one is seen in the report.
//! 6. Runs the generated crate's tests.
//! 7. Writes `target/bump/PR.md`, the report a reviewer reads instead of the diff.
//!
//! Exit status 0 when nothing changed, 10 when a bump is ready to commit, 1 on failure (PR.md
//! then says what failed). Nothing is written outside `metadata/`, `generated/` and
//! `target/bump/`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use clap::Args;
use msgraph_codegen::Error;
use msgraph_codegen::emit::output;
use msgraph_codegen::inputs::config::Config;
use msgraph_codegen::inputs::pins;
use msgraph_codegen::inputs::version::Bump;
use msgraph_codegen::maintenance::diff::{ChangeKind, MetadataDiff};

use crate::fetch::{self, Latest, Options, Outcome};
use crate::github::{Commit, Upstream, upstream_of};
use crate::semver;

/// The exit status of a bump that is ready to commit.
pub const READY: i32 = 10;

#[derive(Args)]
pub struct BumpArgs {
    /// The configuration file.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Where the crate is regenerated (default: generated/).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Where PR.md is written (default: target/bump/).
    #[arg(long, value_name = "DIR")]
    report_dir: Option<PathBuf>,
    /// The GitHub REST API (default: $GITHUB_API_URL, else https://api.github.com).
    #[arg(long, value_name = "URL")]
    github_api_url: Option<String>,
    /// Do not run the regenerated crate's tests (PR.md says they were not run).
    #[arg(long)]
    skip_tests: bool,
    /// Do not ask cargo-semver-checks for its verdict (PR.md says it was not asked).
    #[arg(long)]
    skip_semver_checks: bool,
    /// Do not generate and lint every permission's crate (`cargo xtask sweep`; PR.md says it
    /// was not run).
    #[arg(long, conflicts_with = "sweep_only")]
    skip_sweep: bool,
    /// Sweep only the permissions matching this glob (`cargo xtask sweep --only`; default all).
    #[arg(long, value_name = "GLOB")]
    sweep_only: Vec<String>,
    /// The cargo that runs the generated tests (default: $CARGO, else `cargo`).
    #[arg(long, value_name = "PROGRAM", hide = true)]
    cargo: Option<PathBuf>,
}

/// How the generated tests went.
enum Tests {
    Skipped,
    Passed { command: String, summary: String },
    Failed { command: String, tail: String },
}

pub(crate) fn bump(args: &BumpArgs) -> Result<(), Error> {
    let root = xtask::workspace_root();
    let config_file = args.config.clone().unwrap_or_else(|| root.join("metadata/codegen.yaml"));
    let out = args.out.clone().unwrap_or_else(|| root.join("generated"));
    let report_dir = args.report_dir.clone().unwrap_or_else(|| root.join("target/bump"));
    let report_file = report_dir.join("PR.md");
    let github_api = fetch::github_api(args.github_api_url.as_deref());
    let before = Config::load(&config_file)?;

    // 1. The old inputs, to classify the bump against.
    let search = xtask::search_for(&xtask::Inputs::default(), &config_file);
    let missing: Vec<String> =
        before.inputs.keys().filter(|name| pins::load_input(&before, &search, name).is_err()).cloned().collect();
    if !missing.is_empty() {
        eprintln!("bump: fetching the pinned {} first", missing.join(", "));
        fetch::fetch(&options(&config_file, &github_api, missing, false))?;
    }

    // 2. The newest inputs.
    let outcome = fetch::fetch(&options(&config_file, &github_api, Vec::new(), true))?;
    if outcome.pins.is_empty() {
        write_report(&report_file, &up_to_date_report(&before, &outcome))?;
        eprintln!("bump: every input is up to date; nothing changed ({})", report_file.display());
        return Ok(());
    }
    let after = Config::load(&config_file)?;
    let metadata_bump = outcome.report.as_ref().map_or(Bump::None, MetadataDiff::bump);

    // 3. Regenerate, keeping the crate as it was for cargo-semver-checks.
    let baseline = tempfile::tempdir().map_err(|e| Error::io(std::env::temp_dir(), e))?;
    let baseline_crate = baseline.path().join("baseline");
    if !args.skip_semver_checks && out.join("Cargo.toml").is_file() {
        copy_crate(&out, &baseline_crate)?;
    }
    let codegen = [
        "xtask".as_ref(),
        "codegen".as_ref(),
        "--config".as_ref(),
        config_file.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ];
    if let Err(e) = xtask::run(codegen) {
        let text = report(&before, &after, &outcome, None, None, &format!("**Regeneration failed**: {e}"));
        write_report(&report_file, &text)?;
        return Err(e);
    }

    // 4. cargo-semver-checks' verdict.
    let cargo = cargo_program(args.cargo.as_deref());
    let checks = if args.skip_semver_checks {
        semver::Checks::Skipped
    } else {
        semver::run(Path::new(&cargo), &out, &baseline_crate)?
    };
    drop(baseline);

    // 5. Every permission's crate, with the new metadata (SWEEP.md beside metadata/).
    let sweep =
        if args.skip_sweep { None } else { Some(run_sweep(&config_file, &report_dir, &cargo, &args.sweep_only)) };

    // 6. The generated tests.
    let tests = if args.skip_tests { Tests::Skipped } else { run_tests(args.cargo.as_deref(), &out)? };
    let failed = matches!(tests, Tests::Failed { .. });
    let mut text = report(&before, &after, &outcome, Some(&tests), Some((&checks, metadata_bump)), "");
    text.push_str(&sweep_section(sweep.as_ref()));
    write_report(&report_file, &text)?;
    if failed {
        return Err(Error::file(&report_file, "the regenerated crate's tests fail: see PR.md".to_string()));
    }
    eprintln!("bump: ready to commit metadata/ and {}; review {}", out.display(), report_file.display());
    Err(Error::Exit { code: READY })
}

/// `cargo xtask sweep` with the bumped configuration: its crates under `REPORT_DIR/sweep`, its
/// report the committed `SWEEP.md` when the configuration is the project's, else
/// `REPORT_DIR/SWEEP.md`. The summary line, or why it failed.
fn run_sweep(
    config_file: &Path,
    report_dir: &Path,
    cargo: &std::ffi::OsStr,
    only: &[String],
) -> Result<String, String> {
    let root = xtask::workspace_root();
    let sweep_md = if config_file == root.join("metadata/codegen.yaml") {
        root.join("SWEEP.md")
    } else {
        report_dir.join("SWEEP.md")
    };
    let mut args: Vec<std::ffi::OsString> = vec![
        "xtask".into(),
        "sweep".into(),
        "--config".into(),
        config_file.into(),
        "--out".into(),
        report_dir.join("sweep").into(),
        "--report".into(),
        sweep_md.clone().into(),
        "--cargo".into(),
        cargo.into(),
    ];
    for glob in only {
        args.extend(["--only".into(), glob.into()]);
    }
    let result = xtask::run(args);
    let totals = std::fs::read_to_string(&sweep_md)
        .ok()
        .and_then(|text| text.lines().find(|l| l.starts_with("**")).map(|l| l.trim_matches('*').to_string()));
    match (result, totals) {
        (Ok(()), Some(totals)) => Ok(totals),
        (Ok(()), None) => Err(format!("{} has no totals line", sweep_md.display())),
        (Err(e), totals) => Err(format!("{e}{}", totals.map(|t| format!(" ({t})")).unwrap_or_default())),
    }
}

/// PR.md's section on every permission's crate.
fn sweep_section(sweep: Option<&Result<String, String>>) -> String {
    let body = match sweep {
        None => "Not run (`--skip-sweep`).".to_string(),
        Some(Ok(totals)) => format!("`cargo xtask sweep`: **every generated crate compiles**: {totals}. See SWEEP.md."),
        Some(Err(e)) => {
            format!("`cargo xtask sweep`: **FAILED**: {e}. See SWEEP.md for each permission's first error.")
        }
    };
    format!("\n## Every permission's crate\n\n{body}\n")
}

fn options(config_file: &Path, github_api: &str, inputs: Vec<String>, latest: bool) -> Options {
    Options {
        config_file: config_file.to_path_buf(),
        force: false,
        inputs,
        commit: None,
        latest,
        github_api: github_api.to_string(),
        update_pins: latest,
        no_version_bump: false,
    }
}

/// The cargo that runs the generated tests and cargo-semver-checks: `--cargo`, else $CARGO,
/// else `cargo`.
fn cargo_program(cargo: Option<&Path>) -> std::ffi::OsString {
    cargo.map_or_else(xtask::cargo, |c| c.into())
}

/// Copies a crate's folder (without `target/`), for cargo-semver-checks' baseline.
fn copy_crate(from: &Path, to: &Path) -> Result<(), Error> {
    std::fs::create_dir_all(to).map_err(|e| Error::io(to, e))?;
    for entry in std::fs::read_dir(from).map_err(|e| Error::io(from, e))? {
        let entry = entry.map_err(|e| Error::io(from, e))?;
        let (source, target) = (entry.path(), to.join(entry.file_name()));
        let kind = entry.file_type().map_err(|e| Error::io(&source, e))?;
        if kind.is_dir() {
            if entry.file_name() != "target" {
                copy_crate(&source, &target)?;
            }
        } else {
            std::fs::copy(&source, &target).map_err(|e| Error::io(&source, e))?;
        }
    }
    Ok(())
}

/// `cargo test` of the regenerated crate (with its `beta` feature when it has one).
fn run_tests(cargo: Option<&Path>, crate_dir: &Path) -> Result<Tests, Error> {
    let cargo = cargo_program(cargo);
    let manifest = crate_dir.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).map_err(|e| Error::io(&manifest, e))?;
    let beta = text.lines().any(|l| l.starts_with("beta = "));
    let mut command = Command::new(&cargo);
    command.arg("test").arg("--manifest-path").arg(&manifest);
    if beta {
        command.args(["--features", "beta"]);
    }
    let shown =
        format!("cargo test --manifest-path {}{}", manifest.display(), if beta { " --features beta" } else { "" });
    eprintln!("bump: {shown}");
    let output = command.output().map_err(|e| Error::file(Path::new(&cargo), format!("cannot run: {e}")))?;
    let all = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    if output.status.success() {
        let (passed, failed) = count_tests(&all);
        Ok(Tests::Passed { command: shown, summary: format!("{passed} passed, {failed} failed") })
    } else {
        let lines: Vec<&str> = all.lines().collect();
        let tail = lines[lines.len().saturating_sub(40)..].join("\n");
        Ok(Tests::Failed { command: shown, tail })
    }
}

/// The sums of cargo's `test result:` lines.
fn count_tests(output: &str) -> (usize, usize) {
    let mut sums = (0, 0);
    for line in output.lines().filter(|l| l.starts_with("test result:")) {
        let words: Vec<&str> = line.split_whitespace().collect();
        for pair in words.windows(2) {
            let n = pair[0].parse::<usize>().unwrap_or(0);
            if pair[1].starts_with("passed") {
                sums.0 += n;
            } else if pair[1].starts_with("failed") {
                sums.1 += n;
            }
        }
    }
    sums
}

fn write_report(file: &Path, text: &str) -> Result<(), Error> {
    output::write_file_atomic(file, text)
}

/// A commit as a Markdown link to it on GitHub (when the URL names the repository), with its date.
fn commit_cell(upstream: Option<&Upstream>, commit: &Commit) -> String {
    let short = msgraph_codegen::maintenance::commits::short(&commit.sha);
    let date = commit.date.get(..10).unwrap_or(&commit.date);
    match upstream {
        Some(u) => format!("[`{short}`](https://github.com/{}/commit/{}) ({date})", u.repository(), commit.sha),
        None => format!("`{short}` ({date})"),
    }
}

/// The table of inputs: where each was and is.
fn inputs_table(before: &Config, outcome: &Outcome) -> String {
    let mut out = String::from("| input | upstream path | old | new |\n|---|---|---|---|\n");
    for (name, pin) in &before.inputs {
        let upstream = upstream_of(&pin.url).ok();
        let path = upstream.as_ref().map_or_else(|| pin.path.clone(), |u| format!("{}: `{}`", u.repository(), u.path));
        let (old, new) = match outcome.latest.get(name) {
            Some(Latest::Newer { old, new }) => {
                (commit_cell(upstream.as_ref(), old), commit_cell(upstream.as_ref(), new))
            }
            Some(Latest::UpToDate { commit }) => (commit_cell(upstream.as_ref(), commit), "up to date".to_string()),
            Some(Latest::Frozen) | None => ("pinned".to_string(), "frozen (no `branch`)".to_string()),
        };
        let _ = writeln!(out, "| `{name}` | {path} | {old} | {new} |");
    }
    out
}

fn up_to_date_report(before: &Config, outcome: &Outcome) -> String {
    format!(
        "# Graph metadata: up to date\n\nGenerated by `cargo xtask bump` on {}. No input moved; {} stays at {}.\n\n## Inputs\n\n{}",
        msgraph_codegen::maintenance::dates::today_utc(),
        before.krate.name,
        before.krate.version,
        inputs_table(before, outcome)
    )
}

/// The report of a bump.
fn report(
    before: &Config,
    after: &Config,
    outcome: &Outcome,
    tests: Option<&Tests>,
    semver_checks: Option<(&semver::Checks, Bump)>,
    failure: &str,
) -> String {
    let mut out = format!(
        "# Graph metadata bump: {} {} -> {}\n\nGenerated by `cargo xtask bump` on {}. Review this report instead of \
         the diff of `generated/`; the diff of `metadata/` shows the moved pins, the version and the CHANGELOG \
         entry.\n\n",
        before.krate.name,
        before.krate.version,
        after.krate.version,
        msgraph_codegen::maintenance::dates::today_utc()
    );
    if !failure.is_empty() {
        let _ = writeln!(out, "{failure}\n");
    }
    out.push_str("## Inputs\n\n");
    out.push_str(&inputs_table(before, outcome));
    for (name, change) in &outcome.pins {
        let _ = writeln!(
            out,
            "\n`{name}`: sha256 `{}` -> `{}`",
            change.old_sha256.get(..16).unwrap_or(&change.old_sha256),
            change.new.sha256.get(..16).unwrap_or(&change.new.sha256)
        );
    }
    let (summary, details) = match &outcome.report {
        Some(diff) => changes_section(diff, &before.krate.version, &after.krate.version),
        None => (
            "\n## What changes\n\nThe new inputs have the same bytes as the old (only the commits moved): \
             nothing in the generated API changes.\n"
                .to_string(),
            Vec::new(),
        ),
    };
    out.push_str(&summary);
    if let Some((checks, metadata_bump)) = semver_checks {
        out.push_str(&semver::section(checks, metadata_bump));
    }
    out.push_str("\n## Generated tests\n\n");
    match tests {
        None => out.push_str("Not run (regeneration failed).\n"),
        Some(Tests::Skipped) => out.push_str("Not run (`--skip-tests`); the pull request's CI runs them.\n"),
        Some(Tests::Passed { command, summary }) => {
            let _ = writeln!(out, "`{command}`: **passed** ({summary}).");
        }
        Some(Tests::Failed { command, tail }) => {
            let _ = writeln!(out, "`{command}`: **FAILED**. The end of its output:\n\n```text\n{tail}\n```");
        }
    }
    if !details.is_empty() {
        append_within(&mut out, &details);
    }
    out
}

/// The most a pull request body holds is 65,536 characters; PR.md stays under this.
const MAX_REPORT: usize = 60_000;

/// Appends the detail lines in a closed block, as many as fit in [`MAX_REPORT`]; the CHANGELOG
/// entry lists every change.
fn append_within(out: &mut String, lines: &[String]) {
    let _ = writeln!(
        out,
        "\n<details><summary>The other changes: types, properties, enum members ({})</summary>\n",
        lines.iter().filter(|l| l.starts_with("- ")).count()
    );
    let closing = "\n</details>\n";
    for (i, line) in lines.iter().enumerate() {
        if out.len() + line.len() + 1 + closing.len() + 200 > MAX_REPORT {
            let left = lines[i..].iter().filter(|l| l.starts_with("- ")).count();
            let _ = writeln!(
                out,
                "\n... and {left} more: the new entry of the CHANGELOG in `metadata/` lists every change."
            );
            break;
        }
        out.push_str(line);
        out.push('\n');
    }
    out.push_str(closing);
}

/// The summary of the changes (the semver decision, counts, and every change to operations and
/// consent), and the other changes as detail lines, by kind.
fn changes_section(diff: &MetadataDiff, old_version: &str, new_version: &str) -> (String, Vec<String>) {
    let counts = diff.counts();
    let count = |kinds: &[ChangeKind]| kinds.iter().map(|k| counts.get(k).copied().unwrap_or(0)).sum::<usize>();
    let breaking = diff.changes.iter().filter(|c| c.breaking).count();
    let mut out = format!("\n## What changes in the {} API\n\n", diff.api_version);
    let _ = writeln!(
        out,
        "- Semver: **{}** ({breaking} breaking of {} changes): version {old_version} -> {new_version}.",
        diff.bump(),
        diff.changes.len()
    );
    let _ = writeln!(
        out,
        "- Operations: {} added, {} removed, {} with another request or response type.",
        count(&[ChangeKind::OperationAdded]),
        count(&[ChangeKind::OperationRemoved]),
        count(&[ChangeKind::RequestTypeChanged, ChangeKind::ResponseTypeChanged])
    );
    let _ = writeln!(out, "- Consent changes: {}.", count(&[ChangeKind::ConsentChanged]));
    let _ = writeln!(
        out,
        "- Types: {} added, {} removed; properties: {} added, {} removed, {} retyped, {} with other nullability; \
         enum members: {} added, {} removed.",
        count(&[ChangeKind::TypeAdded]),
        count(&[ChangeKind::TypeRemoved]),
        count(&[ChangeKind::PropertyAdded]),
        count(&[ChangeKind::PropertyRemoved]),
        count(&[ChangeKind::PropertyTypeChanged]),
        count(&[ChangeKind::PropertyNullabilityChanged]),
        count(&[ChangeKind::EnumMemberAdded]),
        count(&[ChangeKind::EnumMemberRemoved])
    );
    out.push_str("- The `beta` module (behind its feature) was regenerated too; its changes are not classified.\n");
    let listed = [
        ("Operations added or removed", &[ChangeKind::OperationAdded, ChangeKind::OperationRemoved][..]),
        ("Consent changes", &[ChangeKind::ConsentChanged][..]),
        ("Request and response types changed", &[ChangeKind::RequestTypeChanged, ChangeKind::ResponseTypeChanged][..]),
    ];
    for (title, kinds) in listed {
        let changes: Vec<_> = diff.changes.iter().filter(|c| kinds.contains(&c.kind)).collect();
        if !changes.is_empty() {
            let _ = writeln!(out, "\n### {title}\n");
            for c in changes {
                let _ = writeln!(out, "- {}{:?} `{}`: {}", breaking_mark(c.breaking), c.kind, c.subject, c.detail);
            }
        }
    }
    // The rest, by kind, breaking first within each.
    let mut by_kind: BTreeMap<ChangeKind, Vec<_>> = BTreeMap::new();
    for c in diff.changes.iter().filter(|c| !listed.iter().any(|(_, kinds)| kinds.contains(&c.kind))) {
        by_kind.entry(c.kind).or_default().push(c);
    }
    let mut details = Vec::new();
    for (kind, mut changes) in by_kind {
        changes.sort_by_key(|c| !c.breaking);
        details.push(format!("\n#### {kind:?} ({})\n", changes.len()));
        details.extend(changes.iter().map(|c| format!("- {}`{}`: {}", breaking_mark(c.breaking), c.subject, c.detail)));
    }
    (out, details)
}

fn breaking_mark(breaking: bool) -> &'static str {
    if breaking { "**breaking** " } else { "" }
}

#[cfg(test)]
mod tests {
    use super::{MAX_REPORT, append_within, count_tests};

    #[test]
    fn long_reports_stop_under_the_pull_request_limit() {
        let lines: Vec<String> =
            (0..5000).map(|i| format!("- `microsoft.graph.type{i}`: no longer generated")).collect();
        let mut out = "# head\n".to_string();
        append_within(&mut out, &lines);
        assert!(out.len() <= MAX_REPORT, "{}", out.len());
        let shown = out.lines().filter(|l| l.starts_with("- ")).count();
        assert!(shown > 1000, "{shown}");
        assert!(out.contains(&format!("... and {} more: the new entry of the CHANGELOG", 5000 - shown)), "{out}");
        assert!(out.ends_with("</details>\n"));
        let mut short = String::new();
        append_within(&mut short, &lines[..3]);
        assert!(!short.contains("more:") && short.lines().filter(|l| l.starts_with("- ")).count() == 3);
    }

    #[test]
    fn test_counts_add_up() {
        let output =
            "test result: ok. 12 passed; 0 failed; 1 ignored\nnoise\ntest result: FAILED. 3 passed; 2 failed;\n";
        assert_eq!(count_tests(output), (15, 2));
    }
}

//! The second opinion on a bump's semver decision: cargo-semver-checks, comparing the regenerated
//! crate's public API (its rustdoc) with the crate as it was before the bump.
//!
//! The bump's own decision comes from the metadata (`diff-metadata`: operations, consent, types,
//! properties, enum members). cargo-semver-checks sees the Rust API instead, so each catches what
//! the other cannot: a metadata change that leaves the Rust API alone but changes the wire, or a
//! change of the generator or the runtime that no metadata change explains. `cargo xtask bump`
//! puts both in PR.md and flags a disagreement.
//!
//! cargo-semver-checks is optional (`cargo install cargo-semver-checks --locked`; the scheduled
//! workflow installs it): without it the report says it did not run.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use msgraph_codegen::Error;
use msgraph_codegen::inputs::version::Bump;

/// What cargo-semver-checks said.
pub(crate) enum Checks {
    /// `--skip-semver-checks`.
    Skipped,
    /// `cargo semver-checks` is not a cargo command here.
    NotInstalled,
    /// There was no crate before the bump to compare with (a first generation into `--out`).
    NoBaseline,
    /// Its verdict: the bump its failed lints require, and those lints.
    Verdict { bump: Bump, lints: Vec<String>, summary: String, command: String },
    /// It ran but gave no verdict (a build failure, say): the end of its output.
    Failed { command: String, tail: String },
}

/// Runs `cargo semver-checks check-release` on the crate in `current` against the copy of the
/// crate before the bump in `baseline`, default features (the `beta` module is not classified by
/// the bump either). Strictest release type, so the verdict is what the changes require.
pub(crate) fn run(cargo: &Path, current: &Path, baseline: &Path) -> Result<Checks, Error> {
    let installed = Command::new(cargo).args(["semver-checks", "--version"]).output().is_ok_and(|o| o.status.success());
    if !installed {
        return Ok(Checks::NotInstalled);
    }
    if !baseline.join("Cargo.toml").is_file() {
        return Ok(Checks::NoBaseline);
    }
    let manifest = current.join("Cargo.toml");
    let args = [
        "semver-checks".as_ref(),
        "check-release".as_ref(),
        "--manifest-path".as_ref(),
        manifest.as_os_str(),
        "--baseline-root".as_ref(),
        baseline.as_os_str(),
        "--default-features".as_ref(),
        "--release-type".as_ref(),
        "patch".as_ref(),
    ];
    let command = format!(
        "cargo semver-checks check-release --manifest-path {} --baseline-root <the crate before the bump> \
         --default-features --release-type patch",
        manifest.display()
    );
    eprintln!("bump: {command}");
    let output = Command::new(cargo)
        .args(args)
        .output()
        .map_err(|e| Error::file(cargo, format!("cannot run cargo semver-checks: {e}")))?;
    let all = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    Ok(verdict(&all, command))
}

/// Reads cargo-semver-checks' output: its `Summary` line and the lints that failed
/// (`--- failure struct_missing: pub struct removed or renamed ---`).
pub(crate) fn verdict(output: &str, command: String) -> Checks {
    let lints: Vec<String> = output
        .lines()
        .filter_map(|l| l.trim().strip_prefix("--- failure "))
        .map(|l| l.trim_end_matches('-').trim().to_string())
        .collect();
    let summary = output.lines().map(str::trim).find_map(|l| l.strip_prefix("Summary")).map(str::trim);
    let bump = summary.and_then(|s| {
        if s.contains("no semver update required") {
            Some(Bump::None)
        } else if s.contains("requires new major version") {
            Some(Bump::Major)
        } else if s.contains("requires new minor version") {
            Some(Bump::Minor)
        } else {
            None
        }
    });
    match (bump, summary) {
        (Some(bump), Some(summary)) => Checks::Verdict { bump, lints, summary: summary.to_string(), command },
        _ => {
            let lines: Vec<&str> = output.lines().collect();
            Checks::Failed { command, tail: lines[lines.len().saturating_sub(30)..].join("\n") }
        }
    }
}

/// Whether the two decisions disagree: cargo-semver-checks asks for more than the metadata
/// decision, or the metadata calls the bump breaking and the Rust API shows nothing breaking.
/// (cargo-semver-checks needs no bump for additions, so "minor" beside its "none" agrees.)
pub(crate) fn disagrees(metadata: Bump, checks: Bump) -> bool {
    checks > metadata || (metadata == Bump::Major && checks != Bump::Major)
}

/// The report's section.
pub(crate) fn section(checks: &Checks, metadata: Bump) -> String {
    let mut out = String::from("\n## cargo-semver-checks\n\n");
    match checks {
        Checks::Skipped => out.push_str("Not run (`--skip-semver-checks`).\n"),
        Checks::NotInstalled => out.push_str(
            "Not run: cargo-semver-checks is not installed (`cargo install cargo-semver-checks --locked`). The \
             decision above rests on the metadata alone.\n",
        ),
        Checks::NoBaseline => {
            out.push_str("Not run: there was no generated crate before the bump to compare with.\n");
        }
        Checks::Failed { command, tail } => {
            let _ = writeln!(out, "`{command}` gave no verdict. The end of its output:\n\n```text\n{tail}\n```");
        }
        Checks::Verdict { bump, lints, summary, command } => {
            let _ = writeln!(out, "`{command}`: **{bump}** (\"{summary}\").");
            if !lints.is_empty() {
                let _ = writeln!(
                    out,
                    "\nFailed lints: {}.",
                    lints.iter().map(|l| format!("`{l}`")).collect::<Vec<_>>().join(", ")
                );
            }
            if disagrees(metadata, *bump) {
                let why = if *bump > metadata {
                    "the Rust API changed more than the metadata explains (a generator or runtime change?): \
                     raise `crate.version` in `metadata/codegen.yaml` to match before merging"
                } else {
                    "the metadata calls the change breaking but the Rust API shows nothing breaking: the change \
                     is on the wire (a property's JSON, a consent type), so the metadata decision stands"
                };
                let _ = writeln!(
                    out,
                    "\n**DISAGREEMENT**: cargo-semver-checks says **{bump}**, the metadata-based decision says \
                     **{metadata}**; {why}."
                );
            } else {
                let _ = writeln!(out, "\nAgrees with the metadata-based decision (**{metadata}**).");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shape of cargo-semver-checks 0.51's output (its run on this crate's 0.1.0 -> 0.2.0).
    const BREAKING: &str = "     Parsing msgraph-entitlement v0.2.0 (current)\n\
        \x20   Checking msgraph-entitlement v0.1.0 -> v0.2.0 (assume patch change)\n\
        \x20    Checked [   0.438s] 229 checks: 226 pass, 3 fail, 0 warn, 31 skip\n\
        --- failure struct_missing: pub struct removed or renamed ---\n\nDescription:\n...\n\
        --- failure enum_variant_missing: pub enum variant removed or renamed ---\n\
        \x20    Summary semver requires new major version: 2 major and 0 minor checks failed\n";

    #[test]
    fn the_verdict_and_failed_lints_are_read() {
        let Checks::Verdict { bump, lints, summary, .. } = verdict(BREAKING, "c".into()) else { panic!() };
        assert_eq!(bump, Bump::Major);
        assert_eq!(
            lints,
            [
                "struct_missing: pub struct removed or renamed",
                "enum_variant_missing: pub enum variant removed or renamed"
            ]
        );
        assert_eq!(summary, "semver requires new major version: 2 major and 0 minor checks failed");
        let Checks::Verdict { bump, lints, .. } =
            verdict("     Checked [   0.1s] 150 checks\n     Summary no semver update required\n", "c".into())
        else {
            panic!()
        };
        assert_eq!((bump, lints.len()), (Bump::None, 0));
        assert!(
            matches!(verdict("error: could not compile\n", "c".into()), Checks::Failed { tail, .. } if tail.contains("could not compile"))
        );
    }

    #[test]
    fn disagreements_are_breaking_ness_or_more_than_the_metadata_says() {
        use Bump::*;
        let table = [
            (Major, Major, false),
            (Minor, None, false),
            (None, None, false),
            (Minor, Minor, false),
            (Major, None, true),
            (Major, Minor, true),
            (None, Major, true),
            (Minor, Major, true),
            (None, Minor, true),
        ];
        for (metadata, checks, expected) in table {
            assert_eq!(disagrees(metadata, checks), expected, "{metadata} vs {checks}");
        }
        let text =
            section(&Checks::Verdict { bump: Major, lints: vec![], summary: "s".into(), command: "c".into() }, Minor);
        assert!(
            text.contains(
                "**DISAGREEMENT**: cargo-semver-checks says **major**, the metadata-based decision says **minor**"
            ),
            "{text}"
        );
        let text =
            section(&Checks::Verdict { bump: None, lints: vec![], summary: "s".into(), command: "c".into() }, Minor);
        assert!(text.contains("Agrees") && !text.contains("DISAGREEMENT"), "{text}");
        assert!(section(&Checks::NotInstalled, Major).contains("not installed"));
    }
}

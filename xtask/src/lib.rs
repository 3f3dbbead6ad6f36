//! `cargo xtask`: the project's commands, as a library so the test suite can drive them in process
//! (`main.rs` only calls [`run`]).
//!
//! - `cargo xtask codegen [--check] [--out DIR]` regenerates `generated/` from the pinned metadata;
//! - `cargo xtask fetch-metadata [--commit SHA] [--update-pins]` downloads the pinned inputs into
//!   `metadata/cache/` (see [`fetch`]);
//! - `cargo xtask diff-metadata --old DIR --new DIR [--json] [--record]` reports what a metadata bump
//!   changes and, with `--record`, writes the version and CHANGELOG entry it implies;
//! - `cargo xtask bench [--smoke]` measures codegen and the client and writes BENCHMARKS.md.

pub mod bench;
mod bench_build;
mod bench_client;
pub mod fetch;

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::{Args, Parser, Subcommand};
use msgraph_codegen::config::{FrontEnd, InputSearch};
use msgraph_codegen::{Error, emit, output};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "Project tasks of msgraph-entitlement")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generate the client crate (and permissions.json) from Graph metadata.
    Codegen(CodegenArgs),
    /// Download the pinned metadata into metadata/cache/ and verify it.
    FetchMetadata(fetch::FetchArgs),
    /// Compare what two metadata folders generate: operations, consent, types; semver impact.
    DiffMetadata(DiffArgs),
    /// Measure codegen and the client against their targets; write BENCHMARKS.md (release build).
    Bench(bench::BenchArgs),
    /// Build each API version from its CSDL and from its OpenAPI document and report where the two
    /// models differ (operations, request/response types, properties).
    CrossCheck(CrossCheckArgs),
}

#[derive(Args)]
struct CrossCheckArgs {
    /// Write the report to this file instead of stdout.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    #[command(flatten)]
    inputs: Inputs,
}

#[derive(Args)]
struct DiffArgs {
    /// The folder with the old metadata (same layout as the pins' paths).
    #[arg(long, value_name = "DIR")]
    old: PathBuf,
    /// The folder with the new metadata.
    #[arg(long, value_name = "DIR")]
    new: PathBuf,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
    /// Write the report to this file instead of stdout.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Record the result: bump crate.version in codegen.yaml by the classification (breaking ->
    /// major) and add the CHANGELOG entry. Use after moving the pins by hand.
    #[arg(long)]
    record: bool,
    /// The configuration file.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

#[derive(Args)]
pub(crate) struct Inputs {
    /// Look for the metadata files here first (before $GRAPH_METADATA_DIR and metadata/cache/).
    #[arg(long, value_name = "DIR")]
    metadata_dir: Option<PathBuf>,
    /// Accept inputs whose sha256 differs from the pins in codegen.yaml.
    #[arg(long)]
    allow_unpinned: bool,
    /// The configuration file.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

#[derive(Args)]
struct CodegenArgs {
    /// Compare with the files on disk instead of writing; fail naming each stale file.
    #[arg(long)]
    check: bool,
    /// Write the crate here instead of generated/.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Also list the permissions.json paths that this metadata does not define.
    #[arg(long, short)]
    verbose: bool,
    /// Read every API version with this front end (`csdl` or `openapi`) instead of the one
    /// codegen.yaml configures for it.
    #[arg(long, value_name = "FRONT_END")]
    from: Option<FrontEnd>,
    /// Generate even when listed methods cannot be (each is printed with its reason), as if every
    /// API version set `allow_unresolved`.
    #[arg(long)]
    allow_unresolved: bool,
    #[command(flatten)]
    inputs: Inputs,
}

pub(crate) fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// Parses `args` (the first is the program name) and runs the command.
pub fn run<I, T>(args: I) -> Result<(), Error>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help and --version: print and succeed.
            let _ = e.print();
            return Ok(());
        }
        Err(e) => return Err(Error::Usage { message: e.render().to_string() }),
    };
    match cli.command {
        Command::Codegen(args) => codegen(&args),
        Command::FetchMetadata(args) => fetch::fetch_metadata(&args),
        Command::DiffMetadata(args) => diff_metadata(&args),
        Command::Bench(args) => bench::bench(&args),
        Command::CrossCheck(args) => cross_check(&args),
    }
}

pub(crate) fn search_for(inputs: &Inputs, config_file: &Path) -> InputSearch {
    InputSearch {
        metadata_dir: inputs.metadata_dir.clone(),
        env_dir: std::env::var_os("GRAPH_METADATA_DIR").filter(|v| !v.is_empty()).map(PathBuf::from),
        cache_dir: config_file.parent().map(|d| d.join("cache")),
        allow_unpinned: inputs.allow_unpinned,
    }
}

fn codegen(args: &CodegenArgs) -> Result<(), Error> {
    let started = Instant::now();
    let root = workspace_root();
    let config_file = args.inputs.config.clone().unwrap_or_else(|| root.join("metadata/codegen.yaml"));
    let search = search_for(&args.inputs, &config_file);
    let mut config = msgraph_codegen::config::Config::load(&config_file)?;
    if args.allow_unresolved {
        config.api_versions.values_mut().for_each(|v| v.allow_unresolved = true);
    }
    let loaded = msgraph_codegen::load_from(config, &search, args.from)?;
    loaded.check_unresolved()?;
    for input in loaded.inputs.iter().filter(|i| !i.pinned) {
        eprintln!(
            "warning: input `{}` ({}) is not the pinned file (sha256 {})",
            input.name,
            input.file.display(),
            input.sha256
        );
    }
    for api in &loaded.apis {
        if !api.unresolved.is_empty() {
            // Only versions with `allow_unresolved` get here (the others stopped above).
            eprintln!("warning: {} listed {} method(s) not generated:", api.unresolved.len(), api.api_version);
            for u in &api.unresolved {
                eprintln!("  {} {}\n    reason: {}", u.http_method, u.path, u.reason);
            }
        }
        if args.verbose {
            for s in &api.skipped_grants {
                eprintln!(
                    "  permissions.json path not in {} metadata: {} {} ({})",
                    api.api_version, s.http_method, s.path, s.reason
                );
            }
        }
    }
    let drift = &loaded.drift;
    let explained = drift.items.len() - drift.unexplained().count();
    eprintln!(
        "consent sources: {} difference(s) between the reference page and permissions.json, {explained} explained by {}",
        drift.items.len(),
        drift.overrides_file.display()
    );
    for line in drift.problems() {
        eprintln!("  drift: {line}");
    }
    if args.check {
        drift.check()?;
    }
    let files = emit::emit(&loaded)?;
    let out = args.out.clone().unwrap_or_else(|| root.join("generated"));
    let summary: Vec<String> = loaded
        .apis
        .iter()
        .map(|a| {
            format!(
                "{}: {} operations, {} types, {} listed methods unresolved, {} permissions.json paths not in this metadata",
                a.api_version,
                a.operations.len(),
                a.types.len(),
                a.unresolved.len(),
                a.skipped_grants.len()
            )
        })
        .collect();
    if args.check {
        output::check(&out, &files)?;
        eprintln!("{} is up to date ({})", out.display(), summary.join("; "));
    } else {
        let changed = output::write_atomic(&out, &files)?;
        eprintln!(
            "{} {} in {:.0?} ({})",
            if changed { "wrote" } else { "unchanged:" },
            out.display(),
            started.elapsed(),
            summary.join("; ")
        );
    }
    Ok(())
}

fn cross_check(args: &CrossCheckArgs) -> Result<(), Error> {
    let root = workspace_root();
    let config_file = args.inputs.config.clone().unwrap_or_else(|| root.join("metadata/codegen.yaml"));
    let search = search_for(&args.inputs, &config_file);
    let config = msgraph_codegen::config::Config::load(&config_file)?;
    let reports = msgraph_codegen::crosscheck::cross_check(&config, &search)?;
    if reports.is_empty() {
        eprintln!("no API version names both a `csdl` and an `openapi` input: nothing to compare");
    }
    let text: String = reports.iter().map(|r| r.render()).collect::<Vec<_>>().join("\n");
    print_or_write(args.output.as_deref(), &text)
}

/// Writes a report to `file`, or prints it on stdout (a closed pipe is an error, not a panic).
fn print_or_write(file: Option<&Path>, text: &str) -> Result<(), Error> {
    match file {
        Some(file) => msgraph_codegen::output::write_file_atomic(file, format!("{text}\n")),
        None => {
            use std::io::Write as _;
            let mut out = std::io::stdout().lock();
            writeln!(out, "{text}").map_err(|e| Error::io("<stdout>", e))
        }
    }
}

fn diff_metadata(args: &DiffArgs) -> Result<(), Error> {
    let root = workspace_root();
    let config_file = args.config.clone().unwrap_or_else(|| root.join("metadata/codegen.yaml"));
    let report = msgraph_codegen::diff::diff_dirs(&config_file, &args.old, &args.new)?;
    let text = if args.json {
        serde_json::to_string_pretty(&report)
            .map_err(|e| Error::Emit { file: "diff".into(), message: e.to_string() })?
    } else {
        report.render()
    };
    // The report is the command's output (stdout), so it can be piped; progress goes to stderr.
    print_or_write(args.output.as_deref(), &text)?;
    if args.record {
        let recorded = msgraph_codegen::bump::record(
            &config_file,
            &std::collections::BTreeMap::new(),
            Some(&report),
            &msgraph_codegen::bump::today_utc(),
        )?;
        fetch::report_version(&recorded);
    }
    Ok(())
}

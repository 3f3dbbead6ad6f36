//! `cargo xtask`: the project's commands, as a library so the test suite can drive them in process
//! (`main.rs` only calls [`run`]).
//!
//! - `cargo xtask codegen [--check] [--out DIR]` regenerates `generated/` from the pinned metadata;
//! - `cargo xtask diff-metadata --old DIR --new DIR [--json] [--record]` reports what a metadata bump
//!   changes and, with `--record`, writes the version and CHANGELOG entry it implies;
//! - `cargo xtask cross-check` compares what the CSDL and the OpenAPI front ends build;
//! - `cargo xtask sweep [--only GLOB]` generates and lints the crate of every permission ([`sweep`]).
//!
//! Forwarded to `xtask-tools`: `fetch-metadata`, `bump` (a whole metadata bump, for the scheduled
//! workflow) and `bench`.
//!
//! This crate is lean: it builds the generator and nothing else (no HTTP/TLS stack, not the
//! generated crate). The commands that need more, `fetch-metadata` (downloads) and `bench` (runs
//! the generated client), live in the `xtask-tools` package (`xtask/tools/`); `cargo xtask`
//! forwards them there with `cargo run` ([`FORWARDED`]), so the front door stays one.

mod sweep;
mod user_build;

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::{Args, Parser, Subcommand};
use msgraph_codegen::Error;
use msgraph_codegen::emit::output;
use msgraph_codegen::inputs::config::FrontEnd;
use msgraph_codegen::inputs::pins::InputSearch;

#[derive(Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask", about = "Project tasks of msgraph-entitlement")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generate the client crate (and permissions.json) from Graph metadata.
    Codegen(CodegenArgs),
    /// Download the pinned metadata into metadata/cache/ and verify it (runs xtask-tools).
    #[command(disable_help_flag = true)]
    FetchMetadata(Forwarded),
    /// Move every input to its newest upstream commit, regenerate, test, and write
    /// target/bump/PR.md; exit status 0 when nothing changed, 10 when a bump is ready (runs
    /// xtask-tools).
    #[command(disable_help_flag = true)]
    Bump(Forwarded),
    /// Compare what two metadata folders generate: operations, consent, types; semver impact.
    DiffMetadata(DiffArgs),
    /// Measure codegen and the client against their targets; write BENCHMARKS.md (runs
    /// xtask-tools in release).
    #[command(disable_help_flag = true)]
    Bench(Forwarded),
    /// Build each API version from its CSDL and from its OpenAPI document and report where the two
    /// models differ (operations, request/response types, properties).
    CrossCheck(CrossCheckArgs),
    /// Generate the crate of every permission (or of those matching --only), lint each with
    /// clippy in shared target folders, and write SWEEP.md; fails when any crate does not build.
    Sweep(sweep::SweepArgs),
    /// Build the generated crate as its users get it, warnings denied: outside the workspace on
    /// the newest and on the minimal versions its manifest allows, and its docs as docs.rs
    /// builds them (nightly for the last two).
    UserBuild(user_build::UserBuildArgs),
}

/// The arguments of a command that `xtask-tools` runs, passed on as they are (`--help` included).
#[derive(Args)]
struct Forwarded {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, value_name = "ARGS")]
    args: Vec<std::ffi::OsString>,
}

/// The commands `cargo xtask` forwards to the `xtask-tools` binary, and whether they run it in
/// release.
pub const FORWARDED: [(&str, bool); 3] = [("fetch-metadata", false), ("bump", false), ("bench", true)];

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

#[derive(Args, Default)]
pub struct Inputs {
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
    /// Generate a crate for this Graph permission instead of the configured one (any permission
    /// permissions.json defines, e.g. `Group.ReadWrite.All`); needs --out. The method set and the
    /// consent come from permissions.json; the crate is named `msgraph-<permission>`. Given
    /// several times, one crate for the union of what they grant (an app registration's whole
    /// grant), named after all of them.
    #[arg(long, value_name = "NAME", requires = "out")]
    permission: Vec<String>,
    /// The generated crate's name (with --permission; default `msgraph-<permissions>`).
    #[arg(long, value_name = "NAME", requires = "permission")]
    crate_name: Option<String>,
    /// Depend on the runtime crate in this folder (`msgraph-runtime`: another generated crate's
    /// `runtime/`, or `generated/runtime`) instead of writing one inside the crate. Two generated
    /// crates of one application must share one runtime: cargo refuses two `msgraph-runtime`
    /// packages of one version at different paths.
    #[arg(long, value_name = "DIR", requires = "out")]
    runtime: Option<PathBuf>,
    /// Print every detail (unresolved methods, permissions.json paths the metadata lacks, consent
    /// drift); they are always written to CODEGEN.md in the output.
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

/// The path of the runtime crate in `runtime` as the crate in `out` names it in its manifest
/// (relative to it); an error naming the manifest when `runtime` holds no `msgraph-runtime`.
fn runtime_path(out: &Path, runtime: &Path) -> Result<String, Error> {
    let manifest = runtime.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).map_err(|e| Error::io(&manifest, e))?;
    if !text.lines().any(|l| l.trim() == "name = \"msgraph-runtime\"") {
        return Err(Error::file(&manifest, "not the manifest of the runtime crate (`name = \"msgraph-runtime\"`)"));
    }
    let absolute = |p: &Path| std::path::absolute(p).map_err(|e| Error::io(p, e));
    let (out, runtime) = (absolute(out)?, absolute(runtime)?);
    let (from, to): (Vec<_>, Vec<_>) = (out.components().collect(), runtime.components().collect());
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut relative: Vec<String> = vec!["..".to_string(); from.len() - common];
    relative.extend(to[common..].iter().map(|c| c.as_os_str().to_string_lossy().into_owned()));
    Ok(if relative.is_empty() { ".".to_string() } else { relative.join("/") })
}

/// `beta` when the generated crate in `dir` has the beta module (behind that feature), so that a
/// build or lint covers it too; else nothing.
pub fn beta_feature(dir: &Path) -> Option<&'static str> {
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap_or_default();
    manifest.lines().any(|l| l.starts_with("beta = ")).then_some("beta")
}

/// The cargo that runs this command (`$CARGO`), else the one on `PATH`.
pub fn cargo() -> std::ffi::OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

/// The workspace root (the folder of the top-level Cargo.toml).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// Parses a command line: `None` when clap printed the help or version (success), a usage error
/// as [`Error::Usage`].
pub fn parse<C, I, T>(args: I) -> Result<Option<C>, Error>
where
    C: Parser,
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    match C::try_parse_from(args) {
        Ok(cli) => Ok(Some(cli)),
        Err(e) if !e.use_stderr() => {
            let _ = e.print();
            Ok(None)
        }
        Err(e) => Err(Error::Usage { message: e.render().to_string() }),
    }
}

/// The process exit of a command: 0; 2 with clap's usage for a usage error; a forwarded
/// command's own code; else 1 with one `error: ...` line.
pub fn exit_code(result: Result<(), Error>) -> std::process::ExitCode {
    use std::process::ExitCode;
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Error::Exit { code }) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        Err(Error::Usage { message }) => {
            eprint!("{message}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Parses `args` (the first is the program name) and runs the command.
pub fn run<I, T>(args: I) -> Result<(), Error>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let Some(cli) = parse::<Cli, _, _>(args)? else { return Ok(()) };
    match cli.command {
        Command::Codegen(args) => codegen(&args),
        Command::FetchMetadata(args) => forward("fetch-metadata", &args.args),
        Command::Bump(args) => forward("bump", &args.args),
        Command::DiffMetadata(args) => diff_metadata(&args),
        Command::Bench(args) => forward("bench", &args.args),
        Command::CrossCheck(args) => cross_check(&args),
        Command::Sweep(args) => sweep::sweep(&args),
        Command::UserBuild(args) => user_build::user_build(&args),
    }
}

/// Where `inputs` (and the cache beside `config_file`) say the metadata files are looked up.
pub fn search_for(inputs: &Inputs, config_file: &Path) -> InputSearch {
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
    let mut config = msgraph_codegen::inputs::config::Config::load(&config_file)?;
    if !args.permission.is_empty() {
        config.retarget_set(&args.permission, args.crate_name.as_deref());
    }
    if args.allow_unresolved {
        config.api_versions.values_mut().for_each(|v| v.allow_unresolved = true);
    }
    let out = args.out.clone().unwrap_or_else(|| root.join("generated"));
    if let Some(runtime) = &args.runtime {
        config.runtime_path = Some(runtime_path(&out, runtime)?);
    }
    let loaded = msgraph_codegen::load_from(config, &search, args.from)?;
    if loaded.apis.iter().all(|a| a.operations.is_empty()) {
        return Err(Error::file(
            &config_file,
            format!(
                "permissions.json grants `{}` no method that the metadata defines (is the name spelled as in permissions.json?)",
                loaded.config.permission
            ),
        ));
    }
    loaded.check_unresolved()?;
    // One line per API version and one per kind of warning; the details with -v, and always in
    // CODEGEN.md.
    for line in summary_lines(&loaded) {
        eprintln!("{line}");
    }
    for (count, warning, details) in warnings(&loaded) {
        if count > 0 {
            eprintln!("{warning}{}", if args.verbose { ":" } else { "" });
            if args.verbose {
                details.iter().for_each(|d| eprintln!("  {d}"));
            }
        }
    }
    if args.verbose {
        for api in &loaded.apis {
            for s in &api.skipped_grants {
                eprintln!(
                    "note: permissions.json path not in the {} metadata: {} {} ({})",
                    api.api_version, s.http_method, s.path, s.reason
                );
            }
        }
    }
    if args.check {
        loaded.drift.check()?;
        loaded.commands.check()?;
    }
    let files = msgraph_codegen::generate(&loaded)?;
    if args.check {
        output::check(&out, &files)?;
        eprintln!("{} is up to date", out.display());
    } else {
        let changed = output::write_atomic(&out, &files)?;
        eprintln!(
            "{} {} in {:.1?} (details: {})",
            if changed { "wrote" } else { "unchanged:" },
            out.display(),
            started.elapsed(),
            out.join("CODEGEN.md").display()
        );
    }
    Ok(())
}

/// `v1.0: 83 operations, 190 types (16 by the navigation rule), 0 unresolved (csdl, 610 ms)`, one
/// per API version.
fn summary_lines(loaded: &msgraph_codegen::Loaded) -> Vec<String> {
    loaded
        .apis
        .iter()
        .map(|a| {
            let run = loaded.runs.get(&a.api_version);
            format!(
                "{}: {} operations, {} types ({} by the navigation rule), {} unresolved ({}, {:.0?})",
                a.api_version,
                a.operations.len(),
                a.types.len(),
                a.navigation_added,
                a.unresolved.len(),
                run.map_or("", |r| r.front_end.as_str()),
                run.map(|r| r.elapsed).unwrap_or_default()
            )
        })
        .collect()
}

/// Each kind of warning: its count, its one-line summary and its detail lines.
fn warnings(loaded: &msgraph_codegen::Loaded) -> Vec<(usize, String, Vec<String>)> {
    let unpinned: Vec<String> = loaded
        .inputs
        .iter()
        .filter(|i| !i.pinned)
        .map(|i| format!("`{}` ({}): sha256 {}", i.name, i.file.display(), i.sha256))
        .collect();
    let mut out =
        vec![(unpinned.len(), format!("warning: {} input(s) are not the pinned files", unpinned.len()), unpinned)];
    for api in &loaded.apis {
        // Only versions with `allow_unresolved` get here with unresolved methods.
        let details = api.unresolved.iter().map(|u| format!("{} {}: {}", u.http_method, u.path, u.reason)).collect();
        out.push((
            api.unresolved.len(),
            format!(
                "note: {} listed {} method(s) not generated (allowed: allow_unresolved)",
                api.unresolved.len(),
                api.api_version
            ),
            details,
        ));
    }
    let problems = loaded.drift.problems();
    out.push((
        problems.len(),
        format!(
            "warning: {} consent difference(s) between the reference page and permissions.json not \
             explained by {} (an error with --check)",
            problems.len(),
            loaded.drift.overrides_file.display()
        ),
        problems,
    ));
    let commands = loaded.commands.problems.clone();
    out.push((
        commands.len(),
        format!(
            "warning: {} problem(s) mapping the reference page's PowerShell commands, see {} (an error with --check)",
            commands.len(),
            loaded.commands.file.display()
        ),
        commands,
    ));
    out
}

fn cross_check(args: &CrossCheckArgs) -> Result<(), Error> {
    let root = workspace_root();
    let config_file = args.inputs.config.clone().unwrap_or_else(|| root.join("metadata/codegen.yaml"));
    let search = search_for(&args.inputs, &config_file);
    let config = msgraph_codegen::inputs::config::Config::load(&config_file)?;
    let reports = msgraph_codegen::maintenance::crosscheck::cross_check(&config, &search)?;
    if reports.is_empty() {
        eprintln!("no API version names both a `csdl` and an `openapi` input: nothing to compare");
    }
    let text: String = reports.iter().map(|r| r.render()).collect::<Vec<_>>().join("\n");
    print_or_write(args.output.as_deref(), &text)
}

/// Writes a report to `file`, or prints it on stdout (a closed pipe is an error, not a panic).
fn print_or_write(file: Option<&Path>, text: &str) -> Result<(), Error> {
    match file {
        Some(file) => msgraph_codegen::emit::output::write_file_atomic(file, format!("{text}\n")),
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
    let report = msgraph_codegen::maintenance::diff::diff_dirs(&config_file, &args.old, &args.new)?;
    let text = if args.json {
        serde_json::to_string_pretty(&report)
            .map_err(|e| Error::Emit { file: "diff".into(), message: e.to_string() })?
    } else {
        report.render()
    };
    // The report is the command's output (stdout), so it can be piped; progress goes to stderr.
    print_or_write(args.output.as_deref(), &text)?;
    if args.record {
        let recorded = msgraph_codegen::maintenance::record::record(
            &config_file,
            &std::collections::BTreeMap::new(),
            Some(&report),
            &msgraph_codegen::maintenance::dates::today_utc(),
        )?;
        report_version(&recorded);
    }
    Ok(())
}

/// Prints what [`msgraph_codegen::maintenance::record::record`] did to the crate version and CHANGELOG.
pub fn report_version(recorded: &msgraph_codegen::maintenance::record::Recorded) {
    if recorded.new_version == recorded.old_version {
        eprintln!("crate version stays {}", recorded.old_version);
    } else {
        eprintln!("crate version {} -> {}", recorded.old_version, recorded.new_version);
    }
    if let Some(path) = &recorded.changelog {
        eprintln!("CHANGELOG entry added to {}", path.display());
    }
}

/// Runs `command` of the `xtask-tools` binary with `args` through `cargo run` (in release for the
/// bench), from the workspace root, and passes its exit code on.
fn forward(command: &str, args: &[std::ffi::OsString]) -> Result<(), Error> {
    let release = FORWARDED.iter().any(|(c, r)| *c == command && *r);
    let mut cmd = std::process::Command::new(cargo());
    cmd.args(["run", "--locked", "--quiet", "--package", "xtask-tools"]);
    if release {
        cmd.arg("--release");
    }
    let status = cmd
        .arg("--")
        .arg(command)
        .args(args)
        .current_dir(workspace_root())
        .status()
        .map_err(|e| Error::io("cargo", e))?;
    match status.code() {
        Some(0) => Ok(()),
        // The tool printed its own error (or usage); pass its exit code on without a second line.
        code => Err(Error::Exit { code: code.unwrap_or(1) }),
    }
}

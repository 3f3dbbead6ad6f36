//! `cargo xtask sweep`: generates the crate of every permission permissions.json defines (or of
//! those matching `--only`), lints each with clippy (warnings denied, the lints the generated
//! crate declares) in shared target folders on every core, and writes `SWEEP.md`.
//!
//! The inputs are parsed once for all permissions ([`msgraph_codegen::ParseCache`]). The crates
//! are written under `OUT/crates/`, members of one workspace (`OUT/Cargo.toml`, the project's
//! `Cargo.lock` as its starting point); each worker lints its share in a target folder of its
//! own (`OUT/target-N`: two cargo processes cannot share one), so the dependencies are built once
//! per worker. Without `--only` the sweep also builds the union of every permission that
//! generates (one crate, `--permission` for each).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

use clap::Args;
use msgraph_codegen::Error;
use msgraph_codegen::inputs::config::{Config, FrontEnd};
use msgraph_codegen::inputs::pins::InputSearch;

use crate::Inputs;

#[derive(Args)]
pub(crate) struct SweepArgs {
    /// Only the permissions whose name matches this glob (`*` any run of characters, `?` one;
    /// case-insensitive); may be given several times.
    #[arg(long, value_name = "GLOB")]
    only: Vec<String>,
    /// Also build the union of the swept permissions (always done without `--only`).
    #[arg(long)]
    union: bool,
    /// Where the crates and target folders go (default `target/sweep`).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// The report (default: `SWEEP.md` at the workspace root for a full sweep, `OUT/SWEEP.md`
    /// with `--only`).
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    /// How many crates are linted at once, each worker in its own target folder (default: the
    /// machine's cores).
    #[arg(long, value_name = "N")]
    jobs: Option<usize>,
    /// Lint every crate in this target folder, one at a time (cargo locks a target folder), to
    /// reuse the dependencies built there (CI: the workspace's `target`); default: a folder per
    /// worker under OUT.
    #[arg(long, value_name = "DIR", conflicts_with = "jobs")]
    target_dir: Option<PathBuf>,
    /// The cargo that lints the crates (default: $CARGO, else `cargo`).
    #[arg(long, value_name = "PROGRAM", hide = true)]
    cargo: Option<PathBuf>,
    #[command(flatten)]
    inputs: Inputs,
}

/// What became of one permission.
#[derive(Debug, Clone)]
enum Outcome {
    /// Generated; `check` is filled in by the lint.
    Generated { check: Option<Check> },
    /// permissions.json grants it nothing the metadata defines: why.
    NotGenerated(String),
    /// The generator failed (an error, not an empty crate).
    CodegenFailed(String),
}

#[derive(Debug, Clone)]
struct Check {
    ok: bool,
    seconds: f64,
    /// The first error (or denied warning) clippy printed, on one line.
    first_error: String,
}

#[derive(Debug, Clone)]
struct Row {
    permission: String,
    package: String,
    /// The crate's folder, once generated.
    dir: PathBuf,
    operations: usize,
    types: usize,
    codegen_seconds: f64,
    outcome: Outcome,
}

/// The name of the union crate.
const UNION: &str = "(union of every generated permission)";

pub(crate) fn sweep(args: &SweepArgs) -> Result<(), Error> {
    let started = Instant::now();
    let root = crate::workspace_root();
    let config_file = args.inputs.config.clone().unwrap_or_else(|| root.join("metadata/codegen.yaml"));
    let search = crate::search_for(&args.inputs, &config_file);
    let config = Config::load(&config_file)?;
    let out = args.out.clone().unwrap_or_else(|| root.join("target/sweep"));
    let crates = out.join("crates");
    if crates.exists() {
        std::fs::remove_dir_all(&crates).map_err(|e| Error::io(&crates, e))?;
    }
    std::fs::create_dir_all(&crates).map_err(|e| Error::io(&crates, e))?;

    // 1. Generate: the configured permission's run fills the cache, then every other one.
    let cache = msgraph_codegen::ParseCache::default();
    let mut rows = Vec::new();
    let mut packages = BTreeSet::new();
    let configured = msgraph_codegen::load_cached(config.clone(), &search, None, &cache)?;
    let all: Vec<String> = cache.permission_names();
    drop(configured);
    let selected: Vec<&String> =
        all.iter().filter(|p| args.only.is_empty() || args.only.iter().any(|g| glob(g, p))).collect();
    if selected.is_empty() {
        return Err(Error::Usage { message: format!("no permission matches {:?}\n", args.only) });
    }
    eprintln!("sweep: generating {} of {} permissions into {}", selected.len(), all.len(), crates.display());
    for permission in &selected {
        rows.push(generate_one(&config, &search, &cache, &[(*permission).clone()], None, &crates, &mut packages));
    }
    let generated: Vec<String> =
        rows.iter().filter(|r| matches!(r.outcome, Outcome::Generated { .. })).map(|r| r.permission.clone()).collect();
    if (args.only.is_empty() || args.union) && generated.len() > 1 {
        eprintln!("sweep: generating the union of {} permissions", generated.len());
        let mut row =
            generate_one(&config, &search, &cache, &generated, Some("msgraph-graph-union"), &crates, &mut packages);
        row.permission = UNION.to_string();
        rows.push(row);
    }
    let codegen_time = started.elapsed();

    // 2. Lint every generated crate: they share one runtime crate, `OUT/runtime`.
    let runtime = msgraph_codegen::generate_runtime(&config)?;
    msgraph_codegen::emit::output::write_atomic(&out.join("runtime"), &runtime)?;
    write_workspace(&root, &out)?;
    let jobs = match &args.target_dir {
        Some(_) => 1,
        None => args.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())).max(1),
    };
    let todo: Vec<usize> = (0..rows.len()).filter(|&i| matches!(rows[i].outcome, Outcome::Generated { .. })).collect();
    eprintln!("sweep: linting {} crates on {jobs} worker(s)", todo.len());
    let cargo = args.cargo.clone().map_or_else(crate::cargo, Into::into);
    let targets: Vec<PathBuf> = match &args.target_dir {
        Some(dir) => vec![std::path::absolute(dir).map_err(|e| Error::io(dir, e))?],
        None => (0..jobs).map(|worker| out.join(format!("target-{worker}"))).collect(),
    };
    let checks = lint_all(&cargo, &out, &rows, &todo, &targets);
    for (i, check) in checks {
        rows[i].outcome = Outcome::Generated { check: Some(check) };
    }
    let total = started.elapsed();

    // 3. Report.
    let report_file = args
        .report
        .clone()
        .unwrap_or_else(|| if args.only.is_empty() { root.join("SWEEP.md") } else { out.join("SWEEP.md") });
    let report = render(&rows, all.len(), &args.only, codegen_time.as_secs_f64(), total.as_secs_f64());
    msgraph_codegen::emit::output::write_file_atomic(&report_file, report)?;
    let failed: Vec<&Row> = rows.iter().filter(|r| r.failed()).collect();
    eprintln!("sweep: {} (report: {}, {:.0?})", totals_line(&rows), report_file.display(), total);
    if failed.is_empty() {
        Ok(())
    } else {
        for r in &failed {
            eprintln!("  {}: {}", r.permission, r.failure().unwrap_or_default());
        }
        Err(Error::Usage {
            message: format!("{} permission crate(s) do not build; see {}\n", failed.len(), report_file.display()),
        })
    }
}

impl Row {
    fn failed(&self) -> bool {
        self.failure().is_some()
    }

    fn failure(&self) -> Option<String> {
        match &self.outcome {
            Outcome::CodegenFailed(e) => Some(format!("codegen: {e}")),
            Outcome::Generated { check: Some(c) } if !c.ok => Some(c.first_error.clone()),
            _ => None,
        }
    }
}

/// Generates the crate of `permissions` (one, or the union) into `crates/<first permission>`.
fn generate_one(
    config: &Config,
    search: &InputSearch,
    cache: &msgraph_codegen::ParseCache,
    permissions: &[String],
    crate_name: Option<&str>,
    crates: &Path,
    packages: &mut BTreeSet<String>,
) -> Row {
    let started = Instant::now();
    let mut config = config.clone();
    config.retarget_set(permissions, crate_name);
    // `OUT/crates/<permission>/` -> `OUT/runtime/`, written once for all of them.
    config.runtime_path = Some("../../runtime".to_string());
    // Two permissions whose names differ only in punctuation would make one package name.
    let mut package = config.krate.name.clone();
    let mut n = 2;
    while packages.contains(&package) {
        package = format!("{}-{n}", config.krate.name);
        n += 1;
    }
    config.krate.name = package.clone();
    packages.insert(package.clone());
    let permission = permissions.first().cloned().unwrap_or_default();
    let mut row = Row {
        permission: permission.clone(),
        package,
        dir: PathBuf::new(),
        operations: 0,
        types: 0,
        codegen_seconds: 0.0,
        outcome: Outcome::NotGenerated(String::new()),
    };
    let result = (|| -> Result<Outcome, Error> {
        let loaded = msgraph_codegen::load_cached(config.clone(), search, None, cache)?;
        row.operations = loaded.apis.iter().map(|a| a.operations.len()).sum();
        row.types = loaded.apis.iter().map(|a| a.types.len()).sum();
        if row.operations == 0 {
            return Ok(Outcome::NotGenerated(why_empty(&config, search, cache)));
        }
        loaded.check_unresolved()?;
        let files = msgraph_codegen::generate(&loaded)?;
        let dir = crates.join(if crate_name.is_some() { "union" } else { permission.as_str() });
        msgraph_codegen::emit::output::write_atomic(&dir, &files)?;
        row.dir = dir;
        Ok(Outcome::Generated { check: None })
    })();
    row.codegen_seconds = started.elapsed().as_secs_f64();
    row.outcome = result.unwrap_or_else(|e| Outcome::CodegenFailed(e.to_string()));
    row
}

/// Why a permission's crate would be empty: its paths are beta paths that the pinned beta input
/// lacks (the pinned beta CSDL resolves some of them), or v1.0 and beta paths newer than every
/// pinned document.
fn why_empty(config: &Config, search: &InputSearch, cache: &msgraph_codegen::ParseCache) -> String {
    // Every version read from its CSDL: the v1.0 one is the same, the beta one covers all of beta.
    match msgraph_codegen::load_cached(config.clone(), search, Some(FrontEnd::Csdl), cache) {
        Ok(l) if l.apis.iter().any(|a| !a.operations.is_empty()) => {
            "beta only: the pinned beta input lacks its paths (the pinned beta CSDL has some)".to_string()
        }
        Ok(_) => "newer than the pins: no pinned document has its paths".to_string(),
        Err(e) => format!("no method in the metadata (the beta CSDL could not be read: {e})"),
    }
}

/// `OUT/Cargo.toml`: a workspace of every crate under `crates/`, with the project's profile and
/// its `Cargo.lock` to start from.
fn write_workspace(root: &Path, out: &Path) -> Result<(), Error> {
    let manifest = "# Written by `cargo xtask sweep`.\n[workspace]\nresolver = \"3\"\nmembers = [\"crates/*\", \"runtime\"]\n\n\
                    [profile.dev]\ndebug = \"line-tables-only\"\n[profile.dev.package.\"*\"]\ndebug = false\n";
    msgraph_codegen::emit::output::write_file_atomic(&out.join("Cargo.toml"), manifest)?;
    let lock = out.join("Cargo.lock");
    std::fs::copy(root.join("Cargo.lock"), &lock).map_err(|e| Error::io(&lock, e))?;
    Ok(())
}

/// Lints the crates of `todo`, a worker per target folder; returns each row's check.
fn lint_all(
    cargo: &std::ffi::OsStr,
    out: &Path,
    rows: &[Row],
    todo: &[usize],
    targets: &[PathBuf],
) -> Vec<(usize, Check)> {
    // Largest first, so the long ones do not end the run alone.
    let mut queue: Vec<usize> = todo.to_vec();
    queue.sort_by_key(|&i| std::cmp::Reverse(rows[i].types));
    let queue = Mutex::new(queue.into_iter());
    let results = Mutex::new(Vec::new());
    let done = Mutex::new(0usize);
    std::thread::scope(|scope| {
        for target in targets.iter().take(todo.len().max(1)) {
            let (queue, results, done) = (&queue, &results, &done);
            scope.spawn(move || {
                loop {
                    let next = queue.lock().unwrap_or_else(std::sync::PoisonError::into_inner).next();
                    let Some(i) = next else { break };
                    let check = lint(cargo, out, target, &rows[i].package, &rows[i].dir);
                    let mut n = done.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                    *n += 1;
                    eprintln!(
                        "[{}/{}] {} {} ({:.1}s)",
                        *n,
                        todo.len(),
                        rows[i].permission,
                        if check.ok { "ok" } else { "FAILED" },
                        check.seconds
                    );
                    results.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push((i, check));
                }
            });
        }
    });
    results.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// `cargo clippy -p PACKAGE --lib -- -D warnings` in the sweep's workspace, with the `beta`
/// feature when the crate has the module (its feature-gated API is linted too).
fn lint(cargo: &std::ffi::OsStr, out: &Path, target: &Path, package: &str, dir: &Path) -> Check {
    let started = Instant::now();
    let mut args = vec!["clippy", "--quiet", "--message-format", "short", "--lib", "-p", package];
    if let Some(beta) = crate::beta_feature(dir) {
        args.extend(["--features", beta]);
    }
    args.extend(["--", "-D", "warnings"]);
    let output = std::process::Command::new(cargo)
        .args(&args)
        .env("CARGO_TARGET_DIR", target)
        .env("CARGO_TERM_COLOR", "never")
        .current_dir(out)
        .output();
    let seconds = started.elapsed().as_secs_f64();
    match output {
        Ok(o) => {
            let stderr = String::from_utf8_lossy(&o.stderr);
            let first_error = stderr
                .lines()
                .find(|l| l.contains("error") || l.contains("warning"))
                .unwrap_or_else(|| stderr.lines().next().unwrap_or(""))
                .trim()
                .to_string();
            Check {
                ok: o.status.success(),
                seconds,
                first_error: if o.status.success() { String::new() } else { first_error },
            }
        }
        Err(e) => Check { ok: false, seconds, first_error: format!("cargo did not run: {e}") },
    }
}

/// `*` any run of characters, `?` one; ASCII case-insensitive.
pub(crate) fn glob(pattern: &str, name: &str) -> bool {
    fn go(p: &[u8], n: &[u8]) -> bool {
        match p.split_first() {
            None => n.is_empty(),
            Some((b'*', rest)) => (0..=n.len()).any(|i| go(rest, &n[i..])),
            Some((b'?', rest)) => !n.is_empty() && go(rest, &n[1..]),
            Some((c, rest)) => n.first().is_some_and(|m| m.eq_ignore_ascii_case(c)) && go(rest, &n[1..]),
        }
    }
    go(pattern.as_bytes(), name.as_bytes())
}

fn totals_line(rows: &[Row]) -> String {
    let singles: Vec<&Row> = rows.iter().filter(|r| r.permission != UNION).collect();
    let generated = singles.iter().filter(|r| matches!(r.outcome, Outcome::Generated { .. })).count();
    let compiled =
        singles.iter().filter(|r| matches!(&r.outcome, Outcome::Generated { check: Some(c) } if c.ok)).count();
    let failed = singles.iter().filter(|r| r.failed()).count();
    let empty = singles.iter().filter(|r| matches!(r.outcome, Outcome::NotGenerated(_))).count();
    format!(
        "{} permissions: {generated} generated, {compiled} compiled, {failed} failed, {empty} not generated (nothing the metadata defines)",
        singles.len()
    )
}

/// Types per operation over the generated crates: quartiles, and the crates with the most, for
/// SWEEP.md (a crate's types are what its operations send and receive: a write-only permission
/// should have few).
fn types_per_operation(rows: &[Row]) -> String {
    let mut ratios: Vec<(f64, &Row)> = rows
        .iter()
        .filter(|r| r.permission != UNION && r.operations > 0)
        .map(|r| (r.types as f64 / r.operations as f64, r))
        .collect();
    if ratios.is_empty() {
        return String::new();
    }
    ratios.sort_by(|a, b| a.0.total_cmp(&b.0));
    let at = |q: f64| ratios[((ratios.len() - 1) as f64 * q).round() as usize].0;
    let most: Vec<String> = ratios
        .iter()
        .rev()
        .take(5)
        .map(|(x, r)| format!("`{}` {x:.1} ({} operations, {} types)", r.permission, r.operations, r.types))
        .collect();
    format!(
        "\nTypes per operation over the {} generated crates: median {:.1}, quartiles {:.1} and {:.1}, most {}.\n",
        ratios.len(),
        at(0.5),
        at(0.25),
        at(0.75),
        most.join(", ")
    )
}

/// SWEEP.md: totals, the union, then one row per permission.
fn render(rows: &[Row], defined: usize, only: &[String], codegen: f64, total: f64) -> String {
    let mut s = String::from("# Sweep: every permission's crate\n\n");
    s.push_str(
        "Written by `cargo xtask sweep`: the crate of each permission Graph's pinned `permissions.json` \
         defines, generated with `cargo xtask codegen --permission P` (in process, the inputs parsed once) \
         and linted with `cargo clippy --lib -- -D warnings` (the lints the generated crate declares). \
         `cargo xtask bump` runs it again on every metadata bump.\n\n",
    );
    let scope = if only.is_empty() { "all".to_string() } else { format!("those matching {}", only.join(", ")) };
    s.push_str(&format!("Permissions defined: {defined}; swept: {scope}.\n\n"));
    s.push_str(&format!("**{}**\n\n", totals_line(rows)));
    s.push_str(&format!("Codegen {codegen:.0} s, whole sweep {total:.0} s (debug generator; 2-core machine).\n\n"));
    let reasons: BTreeSet<&str> = rows
        .iter()
        .filter_map(|r| if let Outcome::NotGenerated(w) = &r.outcome { Some(w.as_str()) } else { None })
        .collect();
    for reason in reasons {
        let n = rows.iter().filter(|r| matches!(&r.outcome, Outcome::NotGenerated(w) if w == reason)).count();
        s.push_str(&format!("- not generated, {reason}: {n}\n"));
    }
    s.push_str(&types_per_operation(rows));
    s.push_str("\n| permission | result | operations | types | types per operation | codegen s | check s | first error |\n|---|---|---:|---:|---:|---:|---:|---|\n");
    let mut sorted: Vec<&Row> = rows.iter().collect();
    sorted.sort_by_key(|r| (r.permission != UNION, r.permission.to_ascii_lowercase()));
    for r in sorted {
        let (result, check, error) = match &r.outcome {
            Outcome::Generated { check: Some(c) } => {
                (if c.ok { "compiles" } else { "FAILS" }, format!("{:.1}", c.seconds), c.first_error.clone())
            }
            Outcome::Generated { check: None } => ("generated", String::new(), String::new()),
            Outcome::NotGenerated(why) => ("not generated", String::new(), why.clone()),
            Outcome::CodegenFailed(e) => ("CODEGEN FAILS", String::new(), e.clone()),
        };
        let (ops, types, ratio) = if r.operations == 0 {
            (String::new(), String::new(), String::new())
        } else {
            (r.operations.to_string(), r.types.to_string(), format!("{:.1}", r.types as f64 / r.operations as f64))
        };
        s.push_str(&format!(
            "| {} | {result} | {ops} | {types} | {ratio} | {:.2} | {check} | {} |\n",
            r.permission,
            r.codegen_seconds,
            error.replace('|', "\\|")
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::glob;

    #[test]
    fn globs() {
        for (pattern, name, matches) in [
            ("Files.*", "Files.ReadWrite", true),
            ("files.read*", "Files.ReadWrite.All", true),
            ("*.All", "Mail.Read", false),
            ("Mail.Rea?", "Mail.Read", true),
            ("Mail.Rea?", "Mail.Re", false),
            ("*", "", true),
            ("", "x", false),
        ] {
            assert_eq!(glob(pattern, name), matches, "{pattern} ~ {name}");
        }
    }
}

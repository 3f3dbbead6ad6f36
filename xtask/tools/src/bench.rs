//! `cargo xtask bench [--smoke] [--out FILE]`: measured speed, written to BENCHMARKS.md.
//!
//! - Codegen of the v1.0 surface from the real inputs through each front end (CSDL; OpenAPI), per
//!   stage, beside the bare parse of the same inputs in the same run (roxmltree for the CSDL,
//!   serde_json for permissions.json, serde_yaml + openapiv3 for the OpenAPI document); medians
//!   over repeated runs, ratios against the targets.
//! - Client overhead: the generated client against a hand-written reqwest + serde_json call of
//!   the same request, on a loopback server returning a fixed page of access packages; and peak
//!   RSS while streaming 1k and then 100k items over 10 and 1,000 pages.
//!
//! - Cost at scale: the crates of five permissions (`codegen --permission`): operations, types,
//!   output bytes, codegen time and the build of each crate alone.
//! - The wall time of `cargo xtask codegen` in a fresh clone with an empty target folder, at HEAD
//!   and at the commit before xtask was made lean.
//!
//! Benchmarks run in release: from a debug build the command re-runs itself with
//! `cargo run --release` (`cargo xtask bench` forwards in release anyway). `--smoke` runs a few
//! iterations in whatever build it is in and writes nothing unless `--out` is given; CI runs it
//! through the test suite (tests/tests/bench.rs). Figures are compared only within one run: the
//! machine is shared and noisy.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::Args;
use msgraph_codegen::emit::output;

use crate::bench_stats::{CLIENT_TARGET, median, ms};

const CSDL_TARGET: f64 = 3.0;
const OPENAPI_TARGET: f64 = 2.0;
use msgraph_codegen::inputs::config::{Config, FrontEnd};
use msgraph_codegen::inputs::pins::InputSearch;
use msgraph_codegen::{Error, timing};

#[derive(Args)]
pub struct BenchArgs {
    /// A few iterations only (CI): checks that the benchmarks run, not how fast.
    #[arg(long)]
    smoke: bool,
    /// Print every run's raw stage list (nested stages included, e.g. "consent index").
    #[arg(long, short)]
    verbose: bool,
    /// Skip the builds: section 2 (cold builds of the generated crate and of graph-rs-sdk), the
    /// builds of section 4 and the fresh clones of section 5 (minutes).
    #[arg(long)]
    no_build_cost: bool,
    /// Section 1 only (codegen of both front ends), printed, nothing written: for profiling.
    #[arg(long)]
    codegen_only: bool,
    /// Where to write the report (default: BENCHMARKS.md at the workspace root; with --smoke,
    /// nowhere).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Read the Graph metadata from DIR first (as `cargo xtask codegen --metadata-dir`), then
    /// from $GRAPH_METADATA_DIR and metadata/cache/.
    #[arg(long, value_name = "DIR")]
    metadata_dir: Option<PathBuf>,
}

/// Codegen stages in the order they run; "resolve" is the method set (and an OpenAPI document's path list), "emit" is the
/// emitter without "format".
const STAGES: [&str; 11] = [
    "read",
    "parse CSDL",
    "parse OpenAPI",
    "convert OpenAPI",
    "parse permissions.json",
    "resolve",
    "closure",
    "consent",
    "emit",
    "format",
    "write",
];

/// The heading of BENCHMARKS.md's last section, written by hand (figures of two commits side by
/// side); a new run keeps it.
const RECORDED: &str = "\n## Recorded comparisons";

pub(crate) fn bench(args: &BenchArgs) -> Result<(), Error> {
    // Figures come from release builds only. A smoke run checks that the benchmarks run, not how
    // fast: the test suite runs one in process, in its debug build (tests/tests/bench.rs).
    if cfg!(debug_assertions) && !args.smoke {
        return rerun_in_release();
    }
    let root = xtask::workspace_root();
    let config_file = root.join("metadata/codegen.yaml");
    let search = InputSearch {
        metadata_dir: args.metadata_dir.clone(),
        env_dir: std::env::var_os("GRAPH_METADATA_DIR").filter(|v| !v.is_empty()).map(PathBuf::from),
        cache_dir: Some(root.join("metadata/cache")),
        ..Default::default()
    };
    let runs = if args.smoke { 2 } else { 15 };
    eprintln!("bench: codegen, {runs} runs per front end");
    let csdl = bench_codegen(&config_file, &search, FrontEnd::Csdl, runs, args.verbose)?;
    let openapi = bench_codegen(&config_file, &search, FrontEnd::OpenApi, runs, args.verbose)?;
    if args.codegen_only {
        for c in [&csdl, &openapi] {
            let stages: Vec<String> = c.stages.iter().map(|(s, d)| format!("{s} {}", ms(*d))).collect();
            eprintln!(
                "{} path: total {} vs bare {}: {:.2}x (target {}x); {}",
                c.label(),
                ms(c.total),
                ms(c.bare()),
                c.ratio(),
                c.target(),
                stages.join(", ")
            );
        }
        return Ok(());
    }
    let requests = if args.smoke { 50 } else { 2_000 };
    eprintln!("bench: client, {requests} requests per side per round");
    let client = crate::bench_client::run(requests, if args.smoke { 1 } else { 7 }, args.smoke)
        .map_err(|m| Error::File { file: PathBuf::from("bench"), message: m })?;
    let decode_runs = if args.smoke { 3 } else { 200 };
    eprintln!("bench: decoding 100-item pages, {decode_runs} runs each");
    let decode = crate::bench_decode::run(&root, decode_runs)
        .map_err(|m| Error::File { file: PathBuf::from("bench (decode)"), message: m })?;
    let builds = !(args.smoke || args.no_build_cost);
    let (scale_runs, others) =
        if args.smoke { (1, &crate::bench_scale::PERMISSIONS[..1]) } else { (3, &crate::bench_scale::PERMISSIONS[..]) };
    eprintln!("bench: cost at scale, {} permissions", others.len() + 1);
    let scale = crate::bench_scale::run(&config_file, &search, &root.join("Cargo.lock"), scale_runs, builds, others)?;
    let fresh = if builds {
        let fresh = |commit: &str| {
            eprintln!("bench: cargo xtask codegen in a fresh clone at {commit} (a minute or two)");
            crate::bench_build::fresh_clone_codegen(&root, commit)
                .map_err(|m| Error::File { file: PathBuf::from("bench"), message: m })
        };
        Some((fresh(crate::bench_build::BEFORE_LEAN_XTASK)?, fresh("HEAD")?))
    } else {
        None
    };
    let build = if args.smoke || args.no_build_cost {
        None
    } else {
        eprintln!("bench: build cost (cold builds; takes minutes)");
        Some(
            crate::bench_build::run(&root.join("generated"), &root.join("Cargo.lock"))
                .map_err(|m| Error::File { file: PathBuf::from("bench"), message: m })?,
        )
    };
    let report = render(&[&csdl, &openapi], &client, build.as_ref(), args.smoke);
    let report = format!(
        "{report}\n### Decoding\n\n{}\n## 4. Cost at scale: crates for other permissions\n\n{}\n## 5. `cargo xtask codegen` on a fresh clone\n\n{}{}",
        crate::bench_decode::render(&decode, decode_runs),
        crate::bench_scale::render(&scale, scale_runs),
        render_fresh(fresh),
        reproduce()
    );
    eprint!("{report}");
    let out = match (&args.out, args.smoke) {
        (Some(out), _) => Some(out.clone()),
        (None, false) => Some(root.join("BENCHMARKS.md")),
        (None, true) => None,
    };
    if let Some(out) = out {
        // Comparisons recorded by hand across commits (before/after a change) are kept.
        let kept = std::fs::read_to_string(&out)
            .ok()
            .and_then(|old| old.find(RECORDED).map(|i| old[i..].to_string()))
            .unwrap_or_default();
        output::write_file_atomic(&out, format!("{report}{kept}"))?;
        eprintln!("bench: wrote {}", out.display());
    }
    let failed = !csdl.passes()
        || !openapi.passes()
        || client.ratio() > CLIENT_TARGET
        || !client.rss_flat()
        || build.as_ref().is_some_and(|b| !b.passes())
        || !crate::bench_decode::passes(&decode)
        || !crate::bench_scale::passes(&scale);
    if failed && !args.smoke {
        eprintln!("bench: some targets are missed (see the report)");
    }
    Ok(())
}

fn rerun_in_release() -> Result<(), Error> {
    let cargo = xtask::cargo();
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    eprintln!("bench: building xtask in release");
    let status = std::process::Command::new(cargo)
        .args(["run", "--release", "--locked", "--quiet", "--package", "xtask-tools", "--"])
        .args(args)
        .current_dir(xtask::workspace_root())
        .status()
        .map_err(|e| Error::io("cargo", e))?;
    if status.success() {
        Ok(())
    } else {
        Err(Error::File {
            file: PathBuf::from("cargo run --release -p xtask-tools"),
            message: format!("failed: {status}"),
        })
    }
}

/// Section 5: fresh-clone codegen wall times, before and after xtask was made lean.
fn render_fresh(fresh: Option<(Duration, Duration)>) -> String {
    let Some((before, after)) = fresh else {
        return "Not run (`--smoke` or `--no-build-cost`).\n".to_string();
    };
    let ratio = after.as_secs_f64() / before.as_secs_f64().max(1e-9);
    format!(
        "`git clone` of the workspace, `cargo fetch`, then `cargo xtask codegen` timed with an empty target \
         folder (what a new contributor waits for; the generation itself takes about 2 s).\n\n\
         | commit | wall |\n|---|---|\n\
         | before: `{}` (xtask built reqwest + TLS, tokio and the generated crate) | {:.1} s |\n\
         | after: HEAD (xtask builds the generator only; `fetch-metadata` and `bench` are in `xtask-tools`) | {:.1} s |\n\n\
         | target | figure | target | result |\n|---|---|---|---|\n\
         | fresh-clone `cargo xtask codegen`, after / before | {ratio:.2}x | <= 0.5x | {} |\n",
        &crate::bench_build::BEFORE_LEAN_XTASK[..7],
        before.as_secs_f64(),
        after.as_secs_f64(),
        if ratio <= 0.5 { "pass" } else { "**miss**" }
    )
}

struct Codegen {
    front_end: FrontEnd,
    runs: usize,
    /// Median per stage (exclusive).
    stages: BTreeMap<&'static str, Duration>,
    total: Duration,
    /// Bare parse medians of the front end's document and of permissions.json.
    bare_document: Duration,
    bare_permissions: Duration,
    input_bytes: BTreeMap<&'static str, usize>,
    operations: usize,
    files: usize,
    output_bytes: usize,
}

impl Codegen {
    fn bare(&self) -> Duration {
        self.bare_document + self.bare_permissions
    }

    fn ratio(&self) -> f64 {
        self.total.as_secs_f64() / self.bare().as_secs_f64().max(1e-9)
    }

    fn target(&self) -> f64 {
        match self.front_end {
            FrontEnd::Csdl => CSDL_TARGET,
            FrontEnd::OpenApi => OPENAPI_TARGET,
        }
    }

    fn passes(&self) -> bool {
        self.ratio() <= self.target()
    }

    fn label(&self) -> &'static str {
        match self.front_end {
            FrontEnd::Csdl => "CSDL",
            FrontEnd::OpenApi => "OpenAPI",
        }
    }
}

/// Codegen of the v1.0 surface (the main version only) through `front_end`.
fn bench_codegen(
    config_file: &Path,
    search: &InputSearch,
    front_end: FrontEnd,
    runs: usize,
    verbose: bool,
) -> Result<Codegen, Error> {
    let mut config = Config::load(config_file)?;
    config.api_versions.retain(|_, v| v.feature.is_none());
    // The front end's own work only: descriptions from another document are a separate input.
    config.api_versions.values_mut().for_each(|v| v.descriptions = None);
    let mut operations = 0;
    let dir = tempfile::tempdir().map_err(|e| Error::io(std::env::temp_dir(), e))?;
    let mut per_stage: BTreeMap<&'static str, Vec<Duration>> = BTreeMap::new();
    let mut totals = Vec::new();
    let mut files = 0;
    let mut output_bytes = 0;
    for run in 0..runs {
        let out = dir.path().join(format!("run-{run}"));
        timing::start();
        let started = Instant::now();
        let loaded = msgraph_codegen::load_from(config.clone(), search, Some(front_end))?;
        operations = loaded.apis.iter().map(|a| a.operations.len()).sum();
        let emit_started = Instant::now();
        let generated = msgraph_codegen::generate(&loaded)?;
        let emit_all = emit_started.elapsed();
        let write_started = Instant::now();
        output::write_atomic(&out, &generated)?;
        let write = write_started.elapsed();
        let total = started.elapsed();
        let recorded = timing::finish();
        if verbose {
            eprintln!("run {run}: {recorded:?}");
        }
        let sum = |name: &str| recorded.iter().filter(|(s, _)| *s == name).map(|(_, d)| *d).sum::<Duration>();
        let format = sum("format");
        let stage_times = [
            ("read", sum("read")),
            ("parse CSDL", sum("parse CSDL")),
            ("parse OpenAPI", sum("parse OpenAPI")),
            ("convert OpenAPI", sum("convert OpenAPI")),
            ("parse permissions.json", sum("parse permissions.json")),
            ("resolve", sum("resolve")),
            ("closure", sum("closure")),
            ("consent", sum("consent")),
            ("emit", emit_all.saturating_sub(format)),
            ("format", format),
            ("write", write),
        ];
        for (stage, d) in stage_times {
            per_stage.entry(stage).or_default().push(d);
        }
        totals.push(total);
        files = generated.len();
        output_bytes = generated.values().map(String::len).sum();
        std::fs::remove_dir_all(&out).map_err(|e| Error::io(&out, e))?;
    }

    // The bare parse of the same bytes, in the same run.
    let text_of = |name: &str| -> Result<(String, PathBuf), Error> {
        let input = msgraph_codegen::inputs::pins::load_input(&config, search, name)?;
        Ok((input.text, input.file))
    };
    let Some(version) = config.api_versions.values().next() else {
        return Err(Error::File { file: config_file.to_path_buf(), message: "no main API version".into() });
    };
    let Some(document_input) = version.input_for(front_end) else {
        return Err(Error::File {
            file: config_file.to_path_buf(),
            message: format!("the main API version has no {} input", front_end.as_str()),
        });
    };
    let (document, document_file) = text_of(document_input)?;
    let (permissions, _) = text_of(&version.permissions)?;
    let bare = |f: &mut dyn FnMut() -> Result<(), String>| -> Result<Duration, Error> {
        let mut xs = Vec::new();
        for _ in 0..runs {
            let t = Instant::now();
            f().map_err(|m| Error::File { file: PathBuf::from("bench"), message: m })?;
            xs.push(t.elapsed());
        }
        Ok(median(xs))
    };
    let bare_document = match front_end {
        FrontEnd::Csdl => bare(&mut || {
            let options = roxmltree::ParsingOptions { allow_dtd: false, ..Default::default() };
            let doc = roxmltree::Document::parse_with_options(&document, options).map_err(|e| e.to_string())?;
            std::hint::black_box(doc.descendants().count());
            Ok(())
        })?,
        FrontEnd::OpenApi => bare(&mut || {
            let doc: openapiv3::OpenAPI =
                msgraph_codegen::inputs::yaml::from_str(&document, &document_file).map_err(|e| e.to_string())?;
            std::hint::black_box(doc.paths.paths.len());
            Ok(())
        })?,
    };
    let bare_permissions = bare(&mut || {
        let v: serde_json::Value = serde_json::from_str(&permissions).map_err(|e| e.to_string())?;
        std::hint::black_box(v);
        Ok(())
    })?;
    let input_bytes = BTreeMap::from([("document", document.len()), ("permissions.json", permissions.len())]);
    Ok(Codegen {
        front_end,
        runs,
        stages: per_stage.into_iter().map(|(k, v)| (k, median(v))).collect(),
        total: median(totals),
        bare_document,
        bare_permissions,
        input_bytes,
        operations,
        files,
        output_bytes,
    })
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".to_string());
    let cores = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| t.lines().next().map(|l| l.split_whitespace().nth(1).unwrap_or("0").parse::<u64>().unwrap_or(0)))
        .map_or_else(String::new, |kb| format!(", {:.0} GiB", kb as f64 / 1_048_576.0));
    format!("{cpu}, {cores} cores{mem}, {} {}", std::env::consts::OS, std::env::consts::ARCH)
}

fn pass(ok: bool) -> &'static str {
    if ok { "pass" } else { "**miss**" }
}

fn render(
    paths: &[&Codegen],
    client: &crate::bench_client::ClientFigures,
    build: Option<&crate::bench_build::BuildFigures>,
    smoke: bool,
) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Benchmarks\n");
    let _ = writeln!(
        out,
        "Written by `cargo xtask bench`{} on {} (UTC), machine: {}. Medians over repeated runs \
         in one process; compare figures within this file only (the machine is shared and noisy).\n",
        if smoke { " --smoke (few iterations: not figures to quote)" } else { "" },
        msgraph_codegen::maintenance::dates::today_utc(),
        machine()
    );
    let runs = paths.first().map_or(0, |c| c.runs);
    let _ = writeln!(out, "## 1. Codegen of the v1.0 surface from the real inputs ({runs} runs per front end)\n");
    let _ = writeln!(
        out,
        "Each front end builds the v1.0 crate (the `beta` module and the rustdoc taken from the OpenAPI \
         document are left out so both do the same work, from their own inputs only) and writes it to a temp \
         folder.\n"
    );
    let _ = write!(out, "| stage |");
    for c in paths {
        let _ = write!(out, " {} path |", c.label());
    }
    let _ = writeln!(out, "\n|---|{}", "---|".repeat(paths.len()));
    for stage in STAGES {
        let _ = write!(out, "| {stage} |");
        for c in paths {
            let _ = write!(out, " {} |", ms(c.stages.get(stage).copied().unwrap_or_default()));
        }
        let _ = writeln!(out);
    }
    let _ = write!(out, "| **total** (`load` + `emit` + write) |");
    for c in paths {
        let _ = write!(out, " **{}** |", ms(c.total));
    }
    let _ = writeln!(out);
    let _ = write!(out, "| bare parse of the document (roxmltree / serde_yaml + openapiv3) |");
    for c in paths {
        let _ = write!(out, " {} |", ms(c.bare_document));
    }
    let _ = writeln!(out);
    let _ = write!(out, "| bare parse of permissions.json (serde_json to `Value`) |");
    for c in paths {
        let _ = write!(out, " {} |", ms(c.bare_permissions));
    }
    let _ = writeln!(out);
    let _ = write!(out, "| input bytes (document, permissions.json) |");
    for c in paths {
        let _ = write!(out, " {}, {} |", c.input_bytes["document"], c.input_bytes["permissions.json"]);
    }
    let _ = writeln!(out);
    let _ = write!(out, "| output: operations, files, bytes |");
    for c in paths {
        let _ = write!(out, " {}, {}, {} |", c.operations, c.files, c.output_bytes);
    }
    let _ = writeln!(out, "\n");
    let _ = writeln!(out, "| target | figure | ratio | target | result |\n|---|---|---|---|---|");
    for c in paths {
        let _ = writeln!(
            out,
            "| {} path total vs bare parse of its inputs ({} + permissions.json) | {} vs {} | {:.2}x | <= {}x | {} |",
            c.label(),
            c.label(),
            ms(c.total),
            ms(c.bare()),
            c.ratio(),
            c.target(),
            pass(c.passes())
        );
    }
    let _ = writeln!(out);
    for c in paths {
        let mut top: Vec<(&str, Duration)> = c.stages.iter().map(|(k, v)| (*k, *v)).collect();
        top.sort_by_key(|(_, d)| std::cmp::Reverse(*d));
        let share = |d: Duration| 100.0 * d.as_secs_f64() / c.total.as_secs_f64().max(1e-9);
        let _ = writeln!(
            out,
            "{} path, largest stages: {}.",
            c.label(),
            top.iter()
                .take(3)
                .map(|(k, d)| format!("{k} {} ({:.0}%)", ms(*d), share(*d)))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let _ = writeln!(
        out,
        "\n`parse CSDL` builds and validates the type graph (names, inheritance, containment, operations) on top of \
         the roxmltree parse; `parse OpenAPI` reads the OpenAPI types straight from the text like the bare parse, \
         through a wrapper that rejects duplicate mapping keys on the way (openapiv3 panics on some, found by \
         fuzzing); `convert OpenAPI` turns the parsed document into the same graph; \
         `consent` indexes every \
         permission of permissions.json by normalised path to choose least-privileged permissions; `format` is \
         syn + prettyplease over about 1.1 MB of Rust.\n"
    );
    let _ = writeln!(out, "## 2. Build cost of the output\n");
    match build {
        Some(b) => {
            let _ = writeln!(out, "{}", b.render());
        }
        None => {
            let _ = writeln!(out, "Not run (`--smoke` or `--no-build-cost`).\n");
        }
    }
    out.push_str(&client.render());
    out
}

fn reproduce() -> &'static str {
    "\n## Reproduce\n\n```sh\nexport GRAPH_METADATA_DIR=\"$PWD/../shared/graph-metadata\"\n\
     cargo xtask bench                  # writes BENCHMARKS.md (release build; the builds take minutes)\n\
     cargo xtask bench --no-build-cost  # no builds: sections 1, 3 and 4 without its build column\n\
     cargo xtask bench --smoke          # a few iterations, no builds, no file (CI: tests/tests/bench.rs)\n\
     cargo xtask bench --codegen-only   # section 1 only, printed, no file (profiling the generator)\n```\n"
}

//! Build cost of the output (`cargo xtask bench`, not in `--smoke`): a tiny program that lists
//! access packages, written with the generated crate (default features, then `rustls-ring`) and
//! with graph-rs-sdk 3.0.1 from crates.io, each built cold (`cargo build`, debug, empty target folder, sources already
//! fetched so downloads are not timed) in the same run; then the generated crate alone with its
//! dependencies prebuilt. Wall time and peak RSS (GNU time's `%M`: the largest process of the
//! build, in practice one rustc) of each, and the longest units of each (`--timings`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// One timed build.
#[derive(Debug, Clone)]
pub(crate) struct Build {
    pub(crate) wall: Duration,
    pub(crate) peak_rss_kib: u64,
    /// The longest compilation units (`cargo build --timings`): name, what ran, seconds.
    pub(crate) top_units: Vec<(String, String, f64)>,
}

/// The figures of section 2.
#[derive(Debug, Clone)]
pub(crate) struct BuildFigures {
    pub(crate) ours_cold: Build,
    /// The same program with the generated crate's `rustls-ring` TLS feature instead of the
    /// default `rustls` (aws-lc-rs).
    pub(crate) ours_ring_cold: Build,
    pub(crate) graph_rs_cold: Build,
    pub(crate) crate_alone: Build,
    /// The same with the test kit (`test-util`) on.
    pub(crate) crate_alone_test_util: Build,
    /// Wall time of the kit's own tests (`tests/mock_graph.rs`) and of the generated "every
    /// operation can be mocked" test, binaries built.
    pub(crate) kit_tests: Duration,
    pub(crate) mock_every_operation: Duration,
    pub(crate) jobs: usize,
}

pub(crate) const COLD_TARGET: f64 = 0.4;
pub(crate) const ALONE_TARGET_S: f64 = 4.0;

impl BuildFigures {
    pub(crate) fn ratio(&self) -> f64 {
        self.ours_cold.wall.as_secs_f64() / self.graph_rs_cold.wall.as_secs_f64().max(1e-9)
    }

    pub(crate) fn ring_ratio(&self) -> f64 {
        self.ours_ring_cold.wall.as_secs_f64() / self.graph_rs_cold.wall.as_secs_f64().max(1e-9)
    }

    pub(crate) fn passes(&self) -> bool {
        self.ratio() <= COLD_TARGET && self.crate_alone.wall.as_secs_f64() <= ALONE_TARGET_S
    }

    pub(crate) fn render(&self) -> String {
        let row = |name: &str, b: &Build| {
            format!("| {name} | {:.1} s | {:.0} MiB |\n", b.wall.as_secs_f64(), b.peak_rss_kib as f64 / 1024.0)
        };
        let pass = |ok: bool| if ok { "pass" } else { "**miss**" };
        let mut out = format!(
            "The same tiny program (list the access packages, print them) written with each crate, built \
             with `cargo build` (debug, {} jobs) into an empty target folder, sources already fetched; each \
             crate with its default features (the generated crate: reqwest with rustls/aws-lc-rs; graph-rs-sdk: \
             native-tls), and the generated crate once more with its `rustls-ring` feature instead (rustls \
             with ring: no aws-lc C build). Peak RSS is GNU time's `%M` (the largest process of the build).\n\n\
             | build | wall | peak RSS |\n|---|---|---|\n",
            self.jobs
        );
        out.push_str(&row("cold: program with the generated crate", &self.ours_cold));
        out.push_str(&row("cold: program with the generated crate, `rustls-ring`", &self.ours_ring_cold));
        out.push_str(&row("cold: program with graph-rs-sdk 3.0.1", &self.graph_rs_cold));
        out.push_str(&row("the generated crate alone, dependencies prebuilt", &self.crate_alone));
        out.push_str(&row(
            "the generated crate alone with `test-util` (the test kit), dependencies prebuilt",
            &self.crate_alone_test_util,
        ));
        out.push_str("\nThe profile (`cargo build --timings`), longest units of each build:\n\n");
        for (name, b) in [
            ("generated, cold", &self.ours_cold),
            ("generated with `rustls-ring`, cold", &self.ours_ring_cold),
            ("graph-rs-sdk, cold", &self.graph_rs_cold),
            ("generated crate alone", &self.crate_alone),
            ("generated crate alone, `test-util`", &self.crate_alone_test_util),
        ] {
            let units: Vec<String> =
                b.top_units.iter().map(|(unit, mode, secs)| format!("{unit} ({mode}) {secs:.1} s")).collect();
            out.push_str(&format!("- {name}: {}\n", units.join(", ")));
        }
        out.push_str(&format!(
            "\n| target | figure | target | result |\n|---|---|---|---|\n\
             | cold build, generated (default features) / graph-rs-sdk | {:.2}x | <= {COLD_TARGET}x | {} |\n\
             | cold build, generated with `rustls-ring` / graph-rs-sdk | {:.2}x | <= {COLD_TARGET}x | {} |\n\
             | generated crate alone (debug) | {:.1} s | <= {ALONE_TARGET_S} s | {} |\n",
            self.ratio(),
            pass(self.ratio() <= COLD_TARGET),
            self.ring_ratio(),
            pass(self.ring_ratio() <= COLD_TARGET),
            self.crate_alone.wall.as_secs_f64(),
            pass(self.crate_alone.wall.as_secs_f64() <= ALONE_TARGET_S)
        ));
        out.push_str(&format!(
            "\nThe test kit (`test-util`): the crate alone builds in {:.1} s with it against {:.1} s without \
             (the default build does not compile it). Its tests, binaries built (`cargo test --features \
             test-util --test ...`, wall time including cargo's start): the kit's own (`tests/mock_graph.rs`) \
             {:.1} s; the generated test mocking every v1.0 operation (`tests/mock_every_operation.rs`) {:.1} s.\n",
            self.crate_alone_test_util.wall.as_secs_f64(),
            self.crate_alone.wall.as_secs_f64(),
            self.kit_tests.as_secs_f64(),
            self.mock_every_operation.as_secs_f64(),
        ));
        out
    }
}

const OURS_MAIN: &str = r#"use msgraph_entitlement::{Client, StaticToken};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = Client::app_only(StaticToken::new(std::env::var("GRAPH_TOKEN")?))?;
    let page = client.entitlement_management().access_packages().list().await?;
    for package in page.value {
        println!("{}", package.display_name.unwrap_or_default());
    }
    Ok(())
}
"#;

const GRAPH_RS_MAIN: &str = r#"use graph_rs_sdk::GraphClient;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = GraphClient::new(std::env::var("GRAPH_TOKEN")?);
    let response = client
        .identity_governance()
        .entitlement_management()
        .access_packages()
        .list_access_packages()
        .send()
        .await?;
    println!("{}", response.text().await?);
    Ok(())
}
"#;

fn manifest(name: &str, dependency: &str) -> String {
    format!(
        "[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
         [dependencies]\n{dependency}\ntokio = {{ version = \"1\", features = [\"macros\", \"rt-multi-thread\"] }}\n\n\
         [workspace]\n"
    )
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

fn project(dir: &Path, name: &str, dependency: &str, main: &str) -> Result<PathBuf, String> {
    let root = dir.join(name);
    write(&root.join("Cargo.toml"), &manifest(name, dependency))?;
    write(&root.join("src/main.rs"), main)?;
    Ok(root)
}

fn cargo(root: &Path, target: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    c.args(args).current_dir(root).env("CARGO_TARGET_DIR", target).env_remove("RUSTFLAGS");
    c
}

fn run_quiet(mut c: Command, what: &str) -> Result<(), String> {
    let out = c.output().map_err(|e| format!("{what}: {e}"))?;
    if out.status.success() { Ok(()) } else { Err(format!("{what} failed:\n{}", String::from_utf8_lossy(&out.stderr))) }
}

/// Runs `cargo <args>` under GNU time.
fn timed(root: &Path, target: &Path, args: &[&str], what: &str) -> Result<Build, String> {
    let report = target.with_extension("time");
    let mut c = Command::new("/usr/bin/time");
    c.arg("-f").arg("%e %M").arg("-o").arg(&report);
    c.arg(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    c.args(args).current_dir(root).env("CARGO_TARGET_DIR", target).env_remove("RUSTFLAGS");
    run_quiet(c, what)?;
    let text = std::fs::read_to_string(&report).map_err(|e| format!("{}: {e}", report.display()))?;
    let mut fields = text.split_whitespace();
    let (Some(wall), Some(rss)) = (fields.next(), fields.next()) else {
        return Err(format!("{what}: unexpected GNU time output `{text}`"));
    };
    let wall: f64 = wall.parse().map_err(|_| format!("{what}: bad wall time `{wall}`"))?;
    let peak_rss_kib: u64 = rss.parse().map_err(|_| format!("{what}: bad RSS `{rss}`"))?;
    let top_units = top_units(&target.join("cargo-timings/cargo-timing.html"), 5)?;
    Ok(Build { wall: Duration::from_secs_f64(wall), peak_rss_kib, top_units })
}

/// The `n` longest units of a `cargo build --timings` report (its `UNIT_DATA` array).
fn top_units(report: &Path, n: usize) -> Result<Vec<(String, String, f64)>, String> {
    let html = std::fs::read_to_string(report).map_err(|e| format!("{}: {e}", report.display()))?;
    let start = html.find("const UNIT_DATA = ").map(|i| i + "const UNIT_DATA = ".len());
    let json = start.and_then(|s| html[s..].find("\n];").map(|e| &html[s..s + e + 2]));
    let Some(json) = json else { return Err(format!("{}: no UNIT_DATA", report.display())) };
    let units: Vec<serde_json::Value> =
        serde_json::from_str(json).map_err(|e| format!("{}: UNIT_DATA: {e}", report.display()))?;
    let mut out: Vec<(String, String, f64)> = units
        .iter()
        .filter_map(|u| {
            let name = format!("{} {}", u["name"].as_str()?, u["version"].as_str()?);
            // Cargo calls an ordinary compilation "todo".
            let mode = match u["mode"].as_str()? {
                "todo" => "compile",
                "run-custom-build" => "build script",
                other => other,
            };
            Some((name, mode.to_string(), u["duration"].as_f64()?))
        })
        .filter(|(_, _, secs)| *secs >= 0.05)
        .collect();
    out.sort_by(|a, b| b.2.total_cmp(&a.2));
    out.truncate(n);
    Ok(out)
}

/// Builds both programs cold and the generated crate alone. `generated` is the crate's folder.
pub(crate) fn run(generated: &Path, lockfile: &Path) -> Result<BuildFigures, String> {
    if !Path::new("/usr/bin/time").exists() {
        return Err("GNU time (/usr/bin/time) is needed to measure peak memory".into());
    }
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    // The program with the generated crate; `features` goes into its dependency line.
    let with_generated = |name: &str, features: &str| -> Result<PathBuf, String> {
        let dependency = format!("msgraph-entitlement = {{ path = {:?}{features} }}", generated.display().to_string());
        let root = project(dir.path(), name, &dependency, OURS_MAIN)?;
        // The workspace's lockfile pins the generated crate's dependencies; cargo keeps what applies.
        std::fs::copy(lockfile, root.join("Cargo.lock")).map_err(|e| format!("{}: {e}", lockfile.display()))?;
        Ok(root)
    };
    let ours = with_generated("list-with-generated", "")?;
    let kit = with_generated("list-with-generated-test-util", ", features = [\"test-util\"]")?;
    let ring = with_generated("list-with-generated-ring", ", default-features = false, features = [\"rustls-ring\"]")?;
    let graph = project(dir.path(), "list-with-graph-rs", "graph-rs-sdk = \"=3.0.1\"", GRAPH_RS_MAIN)?;
    // Resolve and download first: network time is not build time.
    for root in [&ours, &ring, &graph, &kit] {
        run_quiet(cargo(root, &dir.path().join("unused"), &["fetch"]), "cargo fetch")?;
    }
    let jobs = std::thread::available_parallelism().map_or(1, usize::from);
    eprintln!("bench: cold build with the generated crate");
    let ours_target = dir.path().join("target-ours");
    let ours_cold = timed(&ours, &ours_target, &["build", "--offline", "--timings"], "cold build (generated)")?;
    eprintln!("bench: cold build with the generated crate, rustls-ring");
    let ours_ring_cold = timed(
        &ring,
        &dir.path().join("target-ours-ring"),
        &["build", "--offline", "--timings"],
        "cold build (generated, rustls-ring)",
    )?;
    eprintln!("bench: cold build with graph-rs-sdk 3.0.1 (several minutes)");
    let graph_rs_cold = timed(
        &graph,
        &dir.path().join("target-graph-rs"),
        &["build", "--offline", "--timings"],
        "cold build (graph-rs-sdk)",
    )?;
    eprintln!("bench: the generated crate alone, dependencies prebuilt");
    run_quiet(
        cargo(&ours, &ours_target, &["clean", "--offline", "-p", "msgraph-entitlement"]),
        "cargo clean -p msgraph-entitlement",
    )?;
    let crate_alone = timed(
        &ours,
        &ours_target,
        &["build", "--offline", "--timings", "-p", "msgraph-entitlement"],
        "build of the generated crate alone",
    )?;
    eprintln!("bench: the generated crate alone with test-util, dependencies prebuilt");
    let kit_target = dir.path().join("target-kit");
    run_quiet(cargo(&kit, &kit_target, &["build", "--offline"]), "build with test-util")?;
    run_quiet(
        cargo(&kit, &kit_target, &["clean", "--offline", "-p", "msgraph-entitlement"]),
        "cargo clean -p msgraph-entitlement",
    )?;
    let crate_alone_test_util = timed(
        &kit,
        &kit_target,
        &["build", "--offline", "--timings", "-p", "msgraph-entitlement"],
        "build of the generated crate alone with test-util",
    )?;
    eprintln!("bench: the test kit's tests");
    let workspace = generated.parent().ok_or("the generated crate has no parent folder")?;
    let tests = |name: &str| -> Vec<String> {
        ["test", "--locked", "--offline", "-p", "msgraph-entitlement", "--features", "test-util", "--test", name]
            .map(str::to_string)
            .to_vec()
    };
    let test_target = dir.path().join("target-kit-tests");
    let mut kit_tests = Duration::ZERO;
    let mut mock_every_operation = Duration::ZERO;
    for (name, out) in [("mock_graph", &mut kit_tests), ("mock_every_operation", &mut mock_every_operation)] {
        let mut args = tests(name);
        args.push("--no-run".to_string());
        let args_ref: Vec<&str> = args.iter().map(String::as_str).collect();
        run_quiet(cargo(workspace, &test_target, &args_ref), "cargo test --no-run")?;
        let args = tests(name);
        let args_ref: Vec<&str> = args.iter().map(String::as_str).collect();
        let started = std::time::Instant::now();
        run_quiet(cargo(workspace, &test_target, &args_ref), &format!("cargo test --test {name}"))?;
        *out = started.elapsed();
    }
    Ok(BuildFigures {
        ours_cold,
        ours_ring_cold,
        graph_rs_cold,
        crate_alone,
        crate_alone_test_util,
        kit_tests,
        mock_every_operation,
        jobs,
    })
}

/// The commit before `cargo xtask codegen` was made lean (the xtask crate then built reqwest with
/// TLS, tokio and the generated crate): the "before" of the fresh-clone figure.
pub(crate) const BEFORE_LEAN_XTASK: &str = "515af796125fc6023560676a28385396f716217d";

/// Wall time of `cargo xtask codegen` in a fresh clone of the workspace at `commit`, with an
/// empty target folder (dependency sources already fetched): what a new contributor waits for.
pub(crate) fn fresh_clone_codegen(workspace: &Path, commit: &str) -> Result<Duration, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let clone = dir.path().join("clone");
    let git = |args: &[&str], what: &str| {
        let mut c = Command::new("git");
        c.args(args);
        run_quiet(c, what)
    };
    git(
        &["clone", "--quiet", "--no-hardlinks", &workspace.display().to_string(), &clone.display().to_string()],
        "git clone",
    )?;
    git(&["-C", &clone.display().to_string(), "checkout", "--quiet", commit], "git checkout")?;
    let mut fetch = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    fetch.args(["fetch", "--locked"]).current_dir(&clone);
    run_quiet(fetch, "cargo fetch")?;
    let mut c = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    c.args(["xtask", "codegen"]).current_dir(&clone).env_remove("CARGO_TARGET_DIR").env_remove("RUSTFLAGS");
    let started = std::time::Instant::now();
    run_quiet(c, &format!("cargo xtask codegen in a fresh clone at {commit}"))?;
    Ok(started.elapsed())
}

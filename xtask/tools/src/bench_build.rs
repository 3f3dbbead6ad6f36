//! Build cost of the output (`cargo xtask bench`, not in `--smoke`): a tiny program that lists
//! access packages, written with the generated crate (default features, then each other TLS
//! backend) and with graph-rs-sdk 3.0.1 from crates.io, each built cold (`cargo build`, debug,
//! empty target folder, sources already fetched so downloads are not timed) in the same run; the
//! release binary of each; then the generated crate alone with its dependencies prebuilt. Wall
//! time and peak RSS (GNU time's `%M`: the largest process of the build, in practice one rustc)
//! of each, and the longest units of each (`--timings`).

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

/// The TLS features of the generated crate, the default first: (feature, what it is).
pub(crate) const TLS: [(&str, &str); 3] = [
    ("rustls-ring", "rustls with ring"),
    ("rustls", "rustls with aws-lc-rs"),
    ("native-tls", "the platform's TLS: OpenSSL here"),
];

/// One TLS backend of the generated crate: the cold debug build and the release binary of the
/// program.
#[derive(Debug, Clone)]
pub(crate) struct Backend {
    pub(crate) feature: &'static str,
    pub(crate) what: &'static str,
    pub(crate) cold: Build,
    pub(crate) release_bytes: u64,
}

/// The figures of section 2.
#[derive(Debug, Clone)]
pub(crate) struct BuildFigures {
    /// Per TLS backend ([`TLS`] order; native-tls only where OpenSSL's development files are).
    pub(crate) backends: Vec<Backend>,
    pub(crate) graph_rs_cold: Build,
    pub(crate) graph_rs_release_bytes: u64,
    pub(crate) crate_alone: Build,
    /// The runtime crate (`msgraph-runtime`) alone, its dependencies built: what every generated
    /// crate of an application shares, built once.
    pub(crate) runtime_alone: Build,
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
/// The release binary with native-tls against graph-rs-sdk's (native-tls too).
pub(crate) const BINARY_TARGET: f64 = 0.8;

impl BuildFigures {
    fn default_backend(&self) -> Option<&Backend> {
        self.backends.first()
    }

    fn cold_ratio(&self, b: &Backend) -> f64 {
        b.cold.wall.as_secs_f64() / self.graph_rs_cold.wall.as_secs_f64().max(1e-9)
    }

    fn binary_ratio(&self, b: &Backend) -> f64 {
        b.release_bytes as f64 / self.graph_rs_release_bytes.max(1) as f64
    }

    pub(crate) fn passes(&self) -> bool {
        self.default_backend().is_some_and(|b| self.cold_ratio(b) <= COLD_TARGET)
            && self.backends.iter().filter(|b| b.feature == "native-tls").all(|b| self.binary_ratio(b) <= BINARY_TARGET)
            && self.crate_alone.wall.as_secs_f64() <= ALONE_TARGET_S
    }

    pub(crate) fn render(&self) -> String {
        let mib = |bytes: u64| bytes as f64 / 1_048_576.0;
        let pass = |ok: bool| if ok { "pass" } else { "**miss**" };
        let mut out = format!(
            "The same tiny program (list the access packages, print them) written with each crate, built \
             with `cargo build` (debug, {} jobs) into an empty target folder, sources already fetched; the \
             generated crate with each of its TLS features (the default first), graph-rs-sdk with its \
             defaults (native-tls). Then `cargo build --release` of each program (default release profile) \
             and the size of its binary. Peak RSS is GNU time's `%M` (the largest process of the build).\n\n\
             | program | TLS | cold debug build | peak RSS | release binary |\n|---|---|---|---|---|\n",
            self.jobs
        );
        for (i, b) in self.backends.iter().enumerate() {
            out.push_str(&format!(
                "| generated crate | `{}`{} ({}) | {:.1} s | {:.0} MiB | {:.1} MiB |\n",
                b.feature,
                if i == 0 { ", the default" } else { "" },
                b.what,
                b.cold.wall.as_secs_f64(),
                b.cold.peak_rss_kib as f64 / 1024.0,
                mib(b.release_bytes)
            ));
        }
        out.push_str(&format!(
            "| graph-rs-sdk 3.0.1 | native-tls (OpenSSL) | {:.1} s | {:.0} MiB | {:.1} MiB |\n",
            self.graph_rs_cold.wall.as_secs_f64(),
            self.graph_rs_cold.peak_rss_kib as f64 / 1024.0,
            mib(self.graph_rs_release_bytes)
        ));
        out.push_str(&format!(
            "\n| build | wall | peak RSS |\n|---|---|---|\n\
             | the generated crate alone, dependencies prebuilt (the runtime crate among them) | {:.1} s | {:.0} MiB |\n\
             | the runtime crate (`msgraph-runtime`) alone, dependencies prebuilt: built once for every generated crate | {:.1} s | {:.0} MiB |\n\
             | the generated crate alone with `test-util` (the test kit), dependencies prebuilt | {:.1} s | {:.0} MiB |\n",
            self.crate_alone.wall.as_secs_f64(),
            self.crate_alone.peak_rss_kib as f64 / 1024.0,
            self.runtime_alone.wall.as_secs_f64(),
            self.runtime_alone.peak_rss_kib as f64 / 1024.0,
            self.crate_alone_test_util.wall.as_secs_f64(),
            self.crate_alone_test_util.peak_rss_kib as f64 / 1024.0,
        ));
        out.push_str("\nThe profile (`cargo build --timings`), longest units of each build:\n\n");
        let mut profiles: Vec<(String, &Build)> =
            self.backends.iter().map(|b| (format!("generated with `{}`, cold", b.feature), &b.cold)).collect();
        profiles.push(("graph-rs-sdk, cold".to_string(), &self.graph_rs_cold));
        profiles.push(("generated crate alone".to_string(), &self.crate_alone));
        profiles.push(("runtime crate alone".to_string(), &self.runtime_alone));
        profiles.push(("generated crate alone, `test-util`".to_string(), &self.crate_alone_test_util));
        for (name, b) in profiles {
            let units: Vec<String> =
                b.top_units.iter().map(|(unit, mode, secs)| format!("{unit} ({mode}) {secs:.1} s")).collect();
            out.push_str(&format!("- {name}: {}\n", units.join(", ")));
        }
        out.push_str("\n| target | figure | target | result |\n|---|---|---|---|\n");
        for (i, b) in self.backends.iter().enumerate() {
            let ratio = self.cold_ratio(b);
            let label = if i == 0 { "default features" } else { "not the default" };
            out.push_str(&format!(
                "| cold build, generated with `{}` ({label}) / graph-rs-sdk | {ratio:.2}x | <= {COLD_TARGET}x | {} |\n",
                b.feature,
                if i == 0 { pass(ratio <= COLD_TARGET) } else { "-" },
            ));
        }
        // Binaries compared with the same TLS on both sides (a rustls binary carries its TLS stack,
        // native-tls links the system's); the default's ratio beside it.
        for b in &self.backends {
            let ratio = self.binary_ratio(b);
            let same_tls = b.feature == "native-tls";
            out.push_str(&format!(
                "| release binary, generated with `{}`{} / graph-rs-sdk (native-tls) | {ratio:.2}x | <= {BINARY_TARGET}x | {} |\n",
                b.feature,
                if same_tls { " (the same TLS)" } else { "" },
                if same_tls { pass(ratio <= BINARY_TARGET) } else { "-" }
            ));
        }
        out.push_str(&format!(
            "| generated crate alone (debug) | {:.1} s | <= {ALONE_TARGET_S} s | {} |\n",
            self.crate_alone.wall.as_secs_f64(),
            pass(self.crate_alone.wall.as_secs_f64() <= ALONE_TARGET_S)
        ));
        out.push_str(&format!(
            "| the runtime crate then the generated crate (an application's first generated crate) | {:.1} s | - | - |\n",
            self.runtime_alone.wall.as_secs_f64() + self.crate_alone.wall.as_secs_f64(),
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
    let mut c = Command::new(xtask::cargo());
    c.args(args).current_dir(root).env("CARGO_TARGET_DIR", target).env_remove("RUSTFLAGS");
    c
}

fn run_quiet(mut c: Command, what: &str) -> Result<(), String> {
    let out = c.output().map_err(|e| format!("{what}: {e}"))?;
    if out.status.success() { Ok(()) } else { Err(format!("{what} failed:\n{}", String::from_utf8_lossy(&out.stderr))) }
}

/// Runs `cargo <args>` under GNU time.
fn timed(root: &Path, target: &Path, args: &[&str], what: &str) -> Result<Build, String> {
    let (wall, peak_rss_kib) = gnu_time(root, target, args, what)?;
    let top_units = top_units(&target.join("cargo-timings/cargo-timing.html"), 5)?;
    Ok(Build { wall, peak_rss_kib, top_units })
}

/// Runs `cargo <args>` in `root` with `target` under GNU time: its wall time and peak RSS (KiB,
/// the largest process).
pub(crate) fn gnu_time(root: &Path, target: &Path, args: &[&str], what: &str) -> Result<(Duration, u64), String> {
    let report = target.with_extension("time");
    let mut c = Command::new("/usr/bin/time");
    c.arg("-f").arg("%e %M").arg("-o").arg(&report);
    c.arg(xtask::cargo());
    c.args(args).current_dir(root).env("CARGO_TARGET_DIR", target).env_remove("RUSTFLAGS");
    run_quiet(c, what)?;
    let text = std::fs::read_to_string(&report).map_err(|e| format!("{}: {e}", report.display()))?;
    let mut fields = text.split_whitespace();
    let (Some(wall), Some(rss)) = (fields.next(), fields.next()) else {
        return Err(format!("{what}: unexpected GNU time output `{text}`"));
    };
    let wall: f64 = wall.parse().map_err(|_| format!("{what}: bad wall time `{wall}`"))?;
    let peak_rss_kib: u64 = rss.parse().map_err(|_| format!("{what}: bad RSS `{rss}`"))?;
    Ok((Duration::from_secs_f64(wall), peak_rss_kib))
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
    // The default build, then each other TLS backend alone (`default-features = false`).
    let openssl = Command::new("pkg-config").args(["--exists", "openssl"]).status().is_ok_and(|s| s.success());
    let mut programs = Vec::new();
    for (i, (feature, what)) in TLS.into_iter().enumerate() {
        if feature == "native-tls" && !openssl {
            eprintln!("bench: native-tls skipped: no OpenSSL development files (pkg-config openssl)");
            continue;
        }
        let features =
            if i == 0 { String::new() } else { format!(", default-features = false, features = [\"{feature}\"]") };
        let name = format!("list-with-generated-{feature}");
        let root = with_generated(&name, &features)?;
        programs.push((feature, what, name, root, dir.path().join(format!("target-{feature}"))));
    }
    let kit = with_generated("list-with-generated-test-util", ", features = [\"test-util\"]")?;
    let graph = project(dir.path(), "list-with-graph-rs", "graph-rs-sdk = \"=3.0.1\"", GRAPH_RS_MAIN)?;
    // Resolve and download first: network time is not build time.
    for root in programs.iter().map(|p| &p.3).chain([&graph, &kit]) {
        run_quiet(cargo(root, &dir.path().join("unused"), &["fetch"]), "cargo fetch")?;
    }
    let jobs = std::thread::available_parallelism().map_or(1, usize::from);
    let mut backends = Vec::new();
    for (feature, what, name, root, target) in &programs {
        eprintln!("bench: cold build with the generated crate, {feature}");
        let cold =
            timed(root, target, &["build", "--offline", "--timings"], &format!("cold build (generated, {feature})"))?;
        eprintln!("bench: release build with the generated crate, {feature}");
        let release_bytes = release_binary(root, target, name)?;
        backends.push(Backend { feature, what, cold, release_bytes });
    }
    eprintln!("bench: cold build with graph-rs-sdk 3.0.1 (several minutes)");
    let graph_target = dir.path().join("target-graph-rs");
    let graph_rs_cold =
        timed(&graph, &graph_target, &["build", "--offline", "--timings"], "cold build (graph-rs-sdk)")?;
    eprintln!("bench: release build with graph-rs-sdk 3.0.1");
    let graph_rs_release_bytes = release_binary(&graph, &graph_target, "list-with-graph-rs")?;
    // The crate alone: in the default build's target folder, its dependencies built.
    let (_, _, _, ours, ours_target) = programs.first().ok_or("no TLS backend to build")?;
    // One package rebuilt after `cargo clean -p`, the rest of the build already there.
    let alone = |root: &Path, target: &Path, package: &str| -> Result<Build, String> {
        run_quiet(cargo(root, target, &["clean", "--offline", "-p", package]), &format!("cargo clean -p {package}"))?;
        let args = ["build", "--offline", "--timings", "-p", package];
        timed(root, target, &args, &format!("build of {package} alone"))
    };
    eprintln!("bench: the generated crate alone, dependencies prebuilt");
    let crate_alone = alone(ours, ours_target, "msgraph-entitlement")?;
    eprintln!("bench: the runtime crate alone, dependencies prebuilt");
    let runtime_alone = alone(ours, ours_target, "msgraph-runtime")?;
    eprintln!("bench: the generated crate alone with test-util, dependencies prebuilt");
    let kit_target = dir.path().join("target-kit");
    run_quiet(cargo(&kit, &kit_target, &["build", "--offline"]), "build with test-util")?;
    let crate_alone_test_util = alone(&kit, &kit_target, "msgraph-entitlement")?;
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
        backends,
        graph_rs_cold,
        graph_rs_release_bytes,
        crate_alone,
        runtime_alone,
        crate_alone_test_util,
        kit_tests,
        mock_every_operation,
        jobs,
    })
}

/// `cargo build --release` of the program in `root` (package `name`); the size of its binary.
fn release_binary(root: &Path, target: &Path, name: &str) -> Result<u64, String> {
    run_quiet(cargo(root, target, &["build", "--offline", "--release"]), &format!("release build ({name})"))?;
    let binary = target.join("release").join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    std::fs::metadata(&binary).map(|m| m.len()).map_err(|e| format!("{}: {e}", binary.display()))
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
    let mut fetch = Command::new(xtask::cargo());
    fetch.args(["fetch", "--locked"]).current_dir(&clone);
    run_quiet(fetch, "cargo fetch")?;
    let mut c = Command::new(xtask::cargo());
    c.args(["xtask", "codegen"]).current_dir(&clone).env_remove("CARGO_TARGET_DIR").env_remove("RUSTFLAGS");
    let started = std::time::Instant::now();
    run_quiet(c, &format!("cargo xtask codegen in a fresh clone at {commit}"))?;
    Ok(started.elapsed())
}

//! Cost at scale (`cargo xtask bench`, section 4): the generator run for several Graph permissions
//! (`cargo xtask codegen --permission`), so the growth of codegen time, output size and the
//! generated crate's build with the size of the method set is visible. Per permission: operations
//! and types (every API version the crate has), output bytes, codegen time (median, in process,
//! the same work as `cargo xtask codegen`), and the build of the generated crate alone (debug, its
//! dependencies prebuilt in a target folder the permissions share).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use msgraph_codegen::Error;
use msgraph_codegen::emit::output;
use msgraph_codegen::inputs::config::Config;
use msgraph_codegen::inputs::pins::InputSearch;

/// The configured permission first, then the others, smallest method set first, then a set of
/// permissions (`A+B`: one crate for what they grant together, as `--permission A --permission B`),
/// then the largest crate of the sweep (SWEEP.md).
pub(crate) const PERMISSIONS: [&str; 6] = [
    "AccessReview.ReadWrite.All",
    "RoleManagement.ReadWrite.Directory",
    "Directory.Read.All",
    "Group.ReadWrite.All",
    "EntitlementManagement.ReadWrite.All+User.Read.All",
    "DeviceManagementConfiguration.ReadWrite.All",
];

/// The build of a crate alone per generated type.
pub(crate) const PER_TYPE_TARGET_MS: f64 = 20.0;

/// One permission's figures.
pub(crate) struct Scale {
    pub(crate) permission: String,
    pub(crate) crate_name: String,
    /// Per API version that the crate has: (version, operations, types).
    pub(crate) versions: Vec<(String, usize, usize)>,
    pub(crate) files: usize,
    pub(crate) output_bytes: usize,
    pub(crate) codegen: Duration,
    /// `None` when builds were skipped (`--smoke`, `--no-build-cost`).
    pub(crate) build_alone: Option<Duration>,
    /// The build's peak RSS (GNU time's `%M`, the largest process: rustc on the crate), KiB.
    pub(crate) peak_rss_kib: Option<u64>,
}

impl Scale {
    fn operations(&self) -> usize {
        self.versions.iter().map(|v| v.1).sum()
    }

    fn types(&self) -> usize {
        self.versions.iter().map(|v| v.2).sum()
    }

    /// Build time of the crate alone per type, in ms.
    fn per_type_ms(&self) -> Option<f64> {
        Some(self.build_alone?.as_secs_f64() * 1e3 / self.types().max(1) as f64)
    }
}

pub(crate) fn passes(scales: &[Scale]) -> bool {
    scales.iter().filter_map(Scale::per_type_ms).all(|ms| ms <= PER_TYPE_TARGET_MS)
}

fn fail(message: String) -> Error {
    Error::File { file: PathBuf::from("bench (scale)"), message }
}

/// Generates each permission's crate `runs` times (median), then, with `build`, builds each crate
/// alone in one shared target folder.
pub(crate) fn run(
    config_file: &Path,
    search: &InputSearch,
    lockfile: &Path,
    runs: usize,
    build: bool,
    permissions: &[&str],
) -> Result<Vec<Scale>, Error> {
    let dir = tempfile::tempdir().map_err(|e| Error::io(std::env::temp_dir(), e))?;
    let base = Config::load(config_file)?;
    let mut all: Vec<String> = vec![base.permission.clone()];
    all.extend(permissions.iter().map(|p| p.to_string()));
    let mut out = Vec::new();
    for permission in &all {
        let mut config = base.clone();
        let set: Vec<String> = permission.split('+').map(str::to_string).collect();
        config.retarget_set(&set, None);
        let crate_dir = dir.path().join(permission);
        let mut times = Vec::new();
        let mut last = None;
        for _ in 0..runs.max(1) {
            let started = Instant::now();
            let loaded = msgraph_codegen::load_from(config.clone(), search, None)?;
            let files = msgraph_codegen::generate(&loaded)?;
            output::write_atomic(&crate_dir, &files)?;
            times.push(started.elapsed());
            last = Some((loaded, files));
        }
        let Some((loaded, files)) = last else { continue };
        // The versions the crate has: the main one and every other that has operations.
        let versions = loaded
            .apis
            .iter()
            .filter(|a| !a.operations.is_empty())
            .map(|a| (a.api_version.clone(), a.operations.len(), a.types.len()))
            .collect();
        eprintln!("bench: scale: {permission} generated");
        out.push(Scale {
            permission: permission.clone(),
            crate_name: loaded.config.krate.name.clone(),
            versions,
            files: files.len(),
            output_bytes: files.values().map(String::len).sum(),
            codegen: crate::bench_stats::median(times),
            build_alone: None,
            peak_rss_kib: None,
        });
    }
    if build {
        let target = dir.path().join("target");
        for scale in &mut out {
            let root = dir.path().join(&scale.permission);
            std::fs::copy(lockfile, root.join("Cargo.lock")).map_err(|e| Error::io(lockfile, e))?;
            // Dependencies first (shared by every crate after the first), then the crate alone.
            eprintln!("bench: scale: building {} (dependencies, then the crate alone)", scale.crate_name);
            let mut args = vec!["build", "--offline"];
            let features = xtask::beta_feature(&root);
            if let Some(f) = &features {
                args.extend(["--features", f]);
            }
            cargo(&root, &target, &args)?;
            cargo(&root, &target, &["clean", "--offline", "-p", &scale.crate_name])?;
            let what = format!("cargo {} in {}", args.join(" "), root.display());
            let (wall, rss) = crate::bench_build::gnu_time(&root, &target, &args, &what).map_err(fail)?;
            scale.build_alone = Some(wall);
            scale.peak_rss_kib = Some(rss);
        }
    }
    Ok(out)
}

fn cargo(root: &Path, target: &Path, args: &[&str]) -> Result<(), Error> {
    let out = std::process::Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args(args)
        .current_dir(root)
        .env("CARGO_TARGET_DIR", target)
        .env_remove("RUSTFLAGS")
        .output()
        .map_err(|e| Error::io("cargo", e))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(fail(format!("cargo {} in {}: {}", args.join(" "), root.display(), String::from_utf8_lossy(&out.stderr))))
    }
}

/// Section 4 of BENCHMARKS.md.
pub(crate) fn render(scales: &[Scale], runs: usize) -> String {
    let mut out = format!(
        "`cargo xtask codegen --permission <NAME> --out DIR` for the configured permission, four others, a set of two and the largest crate of the sweep \
         (method set and consent from permissions.json), in process, median of {runs} run(s); then each \
         crate built alone (`cargo build`, debug, the crate's default features plus `beta` where it has the \
         module, dependencies prebuilt in a shared target folder).\n\n\
         | permission | crate | API versions (operations / types) | operations | types | files | output | codegen | build alone | peak RSS | build per type |\n\
         |---|---|---|---|---|---|---|---|---|---|---|\n"
    );
    for s in scales {
        let versions: Vec<String> = s.versions.iter().map(|(v, o, t)| format!("{v} {o} / {t}")).collect();
        let (build, per_type) = match (s.build_alone, s.per_type_ms()) {
            (Some(b), Some(ms)) => (format!("{:.1} s", b.as_secs_f64()), format!("{ms:.0} ms")),
            _ => ("-".to_string(), "-".to_string()),
        };
        let rss = s.peak_rss_kib.map_or_else(|| "-".to_string(), |k| format!("{:.0} MiB", k as f64 / 1024.0));
        out.push_str(&format!(
            "| `{}` | `{}` | {} | {} | {} | {} | {:.0} KiB | {} | {build} | {rss} | {per_type} |\n",
            s.permission,
            s.crate_name,
            versions.join(", "),
            s.operations(),
            s.types(),
            s.files,
            s.output_bytes as f64 / 1024.0,
            crate::bench_stats::ms(s.codegen),
        ));
    }
    let worst = scales.iter().filter_map(|s| Some((s.per_type_ms()?, s))).max_by(|a, b| a.0.total_cmp(&b.0));
    if let Some((ms, s)) = worst {
        out.push_str(&format!(
            "\n| target | figure | target | result |\n|---|---|---|---|\n\
             | build alone per type, the costliest crate (`{}`) | {ms:.0} ms | <= {PER_TYPE_TARGET_MS:.0} ms | {} |\n",
            s.crate_name,
            if passes(scales) { "pass" } else { "**miss**" }
        ));
    }
    out
}

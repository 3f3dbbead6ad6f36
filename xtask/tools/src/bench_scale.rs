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
pub(crate) const PERMISSIONS: [&str; 7] = [
    "User-Mail.ReadWrite.All",
    "AccessReview.ReadWrite.All",
    "RoleManagement.ReadWrite.Directory",
    "Directory.Read.All",
    "Group.ReadWrite.All",
    "EntitlementManagement.ReadWrite.All+User.Read.All",
    "DeviceManagementConfiguration.ReadWrite.All",
];

/// The build of a crate alone per generated type.
pub(crate) const PER_TYPE_TARGET_MS: f64 = 20.0;
/// The scale table as a line (least squares of build alone against types): fixed cost and slope.
pub(crate) const FIXED_TARGET_S: f64 = 1.0;
pub(crate) const SLOPE_TARGET_MS: f64 = 10.0;
/// A crate of one write (`User-Mail.ReadWrite.All`): its types, and `cargo check` of it alone.
pub(crate) const ONE_WRITE: &str = "User-Mail.ReadWrite.All";
pub(crate) const ONE_WRITE_TYPES_TARGET: usize = 60;
pub(crate) const ONE_WRITE_CHECK_TARGET_S: f64 = 2.0;
/// The largest crate (the last of [`PERMISSIONS`]): whole, and with one API root's feature.
pub(crate) const LARGEST_TARGET_S: f64 = 25.0;
pub(crate) const LARGEST_RSS_TARGET_GIB: f64 = 1.5;
pub(crate) const ONE_ROOT_TARGET_S: f64 = 5.0;

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
    /// `cargo check` of the crate alone.
    pub(crate) check_alone: Option<Duration>,
    /// With a feature per API root (`all-apis`): per root, the build of the crate alone with only
    /// that root's feature (and the default TLS).
    pub(crate) roots: Vec<(String, Duration)>,
    /// The same per segment feature of a root that has them: (root, segment feature, build).
    pub(crate) segments: Vec<(String, String, Duration)>,
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
            check_alone: None,
            roots: Vec::new(),
            segments: Vec::new(),
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
            let (wall, rss) = time_alone(&root, &target, &args, &scale.crate_name)?;
            scale.build_alone = Some(wall);
            scale.peak_rss_kib = Some(rss);
            let mut check = args.clone();
            check[0] = "check";
            scale.check_alone = Some(time_alone(&root, &target, &check, &scale.crate_name)?.0);
            // The largest crate, one API root at a time, then one segment of a split root at a time.
            if Some(&scale.permission) == all.last() {
                let only = |feature: &str| -> Result<Duration, Error> {
                    eprintln!("bench: scale: {} with only `{feature}`", scale.crate_name);
                    let features = format!("rustls-ring,{feature}");
                    let one = ["build", "--offline", "--no-default-features", "--features", &features];
                    Ok(time_alone(&root, &target, &one, &scale.crate_name)?.0)
                };
                for (feature, segments) in root_features(&root) {
                    scale.roots.push((feature.clone(), only(&feature)?));
                    for segment in segments {
                        let wall = only(&segment)?;
                        scale.segments.push((feature.clone(), segment, wall));
                    }
                }
            }
        }
    }
    Ok(out)
}

/// The API root features of the crate in `root` (what its `all-apis` feature turns on), each with
/// the segment features it turns on (none for a root in one piece).
fn root_features(root: &Path) -> Vec<(String, Vec<String>)> {
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap_or_default();
    let list = |name: &str| -> Vec<String> {
        let prefix = format!("{name} = [");
        let Some(line) = manifest.lines().find_map(|l| l.strip_prefix(prefix.as_str())) else { return Vec::new() };
        line.trim_end_matches(']')
            .split(',')
            .map(|f| f.trim().trim_matches('"').to_string())
            .filter(|f| !f.is_empty())
            .collect()
    };
    list("all-apis").into_iter().map(|r| (r.clone(), list(&r))).collect()
}

/// The least-squares line of build time (s) against types: (fixed cost in s, slope in ms per type).
pub(crate) fn line(scales: &[Scale]) -> Option<(f64, f64)> {
    let points: Vec<(f64, f64)> =
        scales.iter().filter_map(|s| Some((s.types() as f64, s.build_alone?.as_secs_f64()))).collect();
    let n = points.len() as f64;
    if points.len() < 2 {
        return None;
    }
    let (mx, my) = (points.iter().map(|p| p.0).sum::<f64>() / n, points.iter().map(|p| p.1).sum::<f64>() / n);
    let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    if sxx == 0.0 {
        return None;
    }
    let slope = sxy / sxx;
    Some((my - slope * mx, slope * 1e3))
}

/// `cargo <args>` of the crate `krate` alone: run once (its dependencies built), then timed again
/// after `cargo clean -p`: (wall time, peak RSS in KiB).
fn time_alone(root: &Path, target: &Path, args: &[&str], krate: &str) -> Result<(Duration, u64), Error> {
    cargo(root, target, args)?;
    cargo(root, target, &["clean", "--offline", "-p", krate])?;
    let what = format!("cargo {} in {}", args.join(" "), root.display());
    crate::bench_build::gnu_time(root, target, args, &what).map_err(fail)
}

fn cargo(root: &Path, target: &Path, args: &[&str]) -> Result<(), Error> {
    let out = std::process::Command::new(xtask::cargo())
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
        "`cargo xtask codegen --permission <NAME> --out DIR` for the configured permission, a permission of one write, \
         four others, a set of two and the largest crate of the sweep (method set and consent from permissions.json), \
         in process, median of {runs} run(s); then each crate built alone (`cargo build`, debug, the crate's default \
         features plus `beta` where it has the module, dependencies prebuilt in a shared target folder), and checked \
         alone (`cargo check`, the same way).\n\n\
         | permission | crate | API versions (operations / types) | operations | types | files | output | codegen | build alone | peak RSS | build per type | check alone |\n\
         |---|---|---|---|---|---|---|---|---|---|---|---|\n"
    );
    let secs = |d: Option<Duration>| d.map_or_else(|| "-".to_string(), |d| format!("{:.1} s", d.as_secs_f64()));
    for s in scales {
        let versions: Vec<String> = s.versions.iter().map(|(v, o, t)| format!("{v} {o} / {t}")).collect();
        let per_type = s.per_type_ms().map_or_else(|| "-".to_string(), |ms| format!("{ms:.0} ms"));
        let rss = s.peak_rss_kib.map_or_else(|| "-".to_string(), |k| format!("{:.0} MiB", k as f64 / 1024.0));
        out.push_str(&format!(
            "| `{}` | `{}` | {} | {} | {} | {} | {:.0} KiB | {} | {} | {rss} | {per_type} | {} |\n",
            s.permission,
            s.crate_name,
            versions.join(", "),
            s.operations(),
            s.types(),
            s.files,
            s.output_bytes as f64 / 1024.0,
            crate::bench_stats::ms(s.codegen),
            secs(s.build_alone),
            secs(s.check_alone),
        ));
    }
    let largest = scales.last().filter(|s| !s.roots.is_empty());
    if let Some(l) = largest {
        out.push_str(&format!(
            "\n`{}` with one API root: `cargo build --no-default-features --features rustls-ring,<root>`, the crate \
             alone, dependencies prebuilt (whole: {}).\n\n| root feature | build alone |\n|---|---|\n",
            l.crate_name,
            secs(l.build_alone)
        ));
        for (feature, wall) in &l.roots {
            let below: Vec<f64> = l.segments.iter().filter(|s| &s.0 == feature).map(|s| s.2.as_secs_f64()).collect();
            let note = match below.iter().copied().reduce(f64::max) {
                Some(max) => format!(
                    " (all {} segments; one segment alone: {:.1}-{max:.1} s)",
                    below.len(),
                    below.iter().copied().fold(f64::INFINITY, f64::min)
                ),
                None => String::new(),
            };
            out.push_str(&format!("| `{feature}`{note} | {:.1} s |\n", wall.as_secs_f64()));
        }
        if !l.segments.is_empty() {
            out.push_str(
                "\nA root with more operations than `crate.segment_features_above` has a feature per segment below \
                 it: each built alone the same way.\n\n| segment feature | build alone |\n|---|---|\n",
            );
            for (_, feature, wall) in &l.segments {
                out.push_str(&format!("| `{feature}` | {:.1} s |\n", wall.as_secs_f64()));
            }
        }
    }
    out.push_str("\n| target | figure | target | result |\n|---|---|---|---|\n");
    let verdict = |ok: bool| if ok { "pass" } else { "**miss**" };
    let worst = scales.iter().filter_map(|s| Some((s.per_type_ms()?, s))).max_by(|a, b| a.0.total_cmp(&b.0));
    if let Some((ms, s)) = worst {
        out.push_str(&format!(
            "| build alone per type, the costliest crate (`{}`) | {ms:.0} ms | <= {PER_TYPE_TARGET_MS:.0} ms | {} |\n",
            s.crate_name,
            verdict(passes(scales))
        ));
    }
    if let Some((fixed, slope)) = line(scales) {
        out.push_str(&format!(
            "| the scale table as a line (least squares of build alone on types) | {fixed:.2} s + {slope:.1} ms per type | \
             <= {FIXED_TARGET_S:.0} s + {SLOPE_TARGET_MS:.0} ms | {} |\n",
            verdict(fixed <= FIXED_TARGET_S && slope <= SLOPE_TARGET_MS)
        ));
    }
    if let Some(s) = scales.iter().find(|s| s.permission == ONE_WRITE) {
        if let Some(check) = s.check_alone {
            let check = check.as_secs_f64();
            out.push_str(&format!(
                "| `{ONE_WRITE}` (one write): types / check alone | {} / {check:.1} s | <= {ONE_WRITE_TYPES_TARGET} / \
                 <= {ONE_WRITE_CHECK_TARGET_S:.0} s | {} |\n",
                s.types(),
                verdict(s.types() <= ONE_WRITE_TYPES_TARGET && check <= ONE_WRITE_CHECK_TARGET_S)
            ));
        }
    }
    if let Some(l) = largest {
        if let (Some(b), Some(rss)) = (l.build_alone, l.peak_rss_kib) {
            let gib = rss as f64 / (1024.0 * 1024.0);
            out.push_str(&format!(
                "| largest permission crate (`{}`), whole, debug: build / peak RSS | {:.1} s / {gib:.2} GiB | \
                 <= {LARGEST_TARGET_S:.0} s / <= {LARGEST_RSS_TARGET_GIB} GiB | {} |\n",
                l.crate_name,
                b.as_secs_f64(),
                verdict(b.as_secs_f64() <= LARGEST_TARGET_S && gib <= LARGEST_RSS_TARGET_GIB)
            ));
        }
        // What a user can name alone to build the least: a root in one piece, or a segment of a
        // root that has segment features.
        let split: Vec<&String> = l.segments.iter().map(|s| &s.0).collect();
        let mut leaves: Vec<(&String, Duration)> =
            l.roots.iter().filter(|r| !split.contains(&&r.0)).map(|r| (&r.0, r.1)).collect();
        leaves.extend(l.segments.iter().map(|s| (&s.1, s.2)));
        leaves.sort_by_key(|r| r.1);
        let rows = [
            ("one root feature, or one segment of a root that has them: the costliest", leaves.last().copied()),
            ("the median of those", leaves.get(leaves.len() / 2).copied()),
        ];
        for (what, leaf) in rows {
            if let Some((feature, wall)) = leaf {
                out.push_str(&format!(
                    "| largest permission crate, {what} (`{feature}`) | {:.1} s | <= {ONE_ROOT_TARGET_S:.0} s | {} |\n",
                    wall.as_secs_f64(),
                    verdict(wall.as_secs_f64() <= ONE_ROOT_TARGET_S)
                ));
            }
        }
        if let Some((feature, wall)) = l.roots.iter().filter(|r| split.contains(&&r.0)).max_by_key(|r| r.1) {
            out.push_str(&format!(
                "| largest permission crate, a root that has segment features, whole (`{feature}`) | {:.1} s | <= {ONE_ROOT_TARGET_S:.0} s | {} |\n",
                wall.as_secs_f64(),
                verdict(wall.as_secs_f64() <= ONE_ROOT_TARGET_S)
            ));
        }
    }
    out
}

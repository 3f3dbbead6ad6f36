//! `cargo xtask fetch-metadata`: downloads the pinned inputs into `metadata/cache/` and verifies
//! them; with `--commit SHA` fetches them at another upstream commit, with `--latest` at the
//! newest commit of each input's branch (asked of the GitHub API), and with `--update-pins`
//! accepts new bytes: it compares what the old and new inputs generate, then writes the new pins,
//! the next crate version and a CHANGELOG entry (see `msgraph_codegen::maintenance::record`).
//!
//! Nothing reaches the cache unverified: bytes are checked against the pin (or, with
//! `--update-pins`, the new pin is computed from them; with `--latest`, against the blob the API
//! says the path holds at that commit) before an atomic rename.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read as _;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use msgraph_codegen::Error;
use msgraph_codegen::inputs::config::{Config, InputPin};
use msgraph_codegen::inputs::pins::{self, InputSearch};
use msgraph_codegen::maintenance::commits::{self, short};
use msgraph_codegen::maintenance::dates;
use msgraph_codegen::maintenance::diff;
use msgraph_codegen::maintenance::record::{self, PinChange, Recorded};

use crate::github::{self, Blob, Commit, GitHub, with_sources};

/// Inputs larger than this are refused (the largest Graph metadata file is about 40 MB).
const MAX_DOWNLOAD: u64 = 512 << 20;
/// Downloads at least this large (or of unknown size) get a progress bar on a terminal.
const PROGRESS_FROM: u64 = 1 << 20;

#[derive(Args)]
pub struct FetchArgs {
    /// Download even when the cache already holds a verified copy.
    #[arg(long)]
    force: bool,
    /// Fetch only these inputs (names from codegen.yaml `inputs`; repeatable). Default: all.
    #[arg(long = "input", value_name = "NAME")]
    inputs: Vec<String>,
    /// Fetch at this upstream commit (full SHA) instead of the pinned one: the commit segment of
    /// each selected input's URL is replaced. The selected inputs must come from one repository.
    #[arg(long, value_name = "SHA", conflicts_with = "latest")]
    commit: Option<String>,
    /// Fetch each selected input at the newest commit that touched its path on its `branch`
    /// (codegen.yaml), as the GitHub API says; inputs already there are up to date, inputs
    /// without a branch are frozen. The download is checked against the blob the API names.
    #[arg(long)]
    latest: bool,
    /// The GitHub REST API (default: $GITHUB_API_URL, else https://api.github.com).
    #[arg(long, value_name = "URL")]
    github_api_url: Option<String>,
    /// Accept downloaded bytes that differ from the pins: re-pin them in codegen.yaml, and bump the
    /// crate version and CHANGELOG by what changes in the generated API.
    #[arg(long)]
    update_pins: bool,
    /// With --update-pins: only move the pins, without comparing old and new (for when the old
    /// inputs are not at hand); the version and CHANGELOG stay as they are.
    #[arg(long, requires = "update_pins")]
    no_version_bump: bool,
    /// The configuration file.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

/// What `fetch-metadata` (and `bump`) is asked to do.
pub(crate) struct Options {
    pub(crate) config_file: PathBuf,
    pub(crate) force: bool,
    pub(crate) inputs: Vec<String>,
    pub(crate) commit: Option<String>,
    pub(crate) latest: bool,
    pub(crate) github_api: String,
    pub(crate) update_pins: bool,
    pub(crate) no_version_bump: bool,
}

impl FetchArgs {
    fn options(&self) -> Options {
        Options {
            config_file: self.config.clone().unwrap_or_else(|| xtask::workspace_root().join("metadata/codegen.yaml")),
            force: self.force,
            inputs: self.inputs.clone(),
            commit: self.commit.clone(),
            latest: self.latest,
            github_api: github_api(self.github_api_url.as_deref()),
            update_pins: self.update_pins,
            no_version_bump: self.no_version_bump,
        }
    }
}

/// `--github-api-url`, else `$GITHUB_API_URL`, else the public API.
pub(crate) fn github_api(flag: Option<&str>) -> String {
    flag.map(str::to_owned)
        .or_else(|| std::env::var("GITHUB_API_URL").ok().filter(|v| !v.is_empty()))
        .unwrap_or_else(|| github::DEFAULT_API.to_string())
}

/// One input to download.
struct Planned {
    name: String,
    pin: InputPin,
    url: String,
    /// With `--latest`: what the API says the path holds at the new commit.
    expect: Option<Blob>,
}

/// Where `--latest` found an input.
#[derive(Debug, Clone)]
pub(crate) enum Latest {
    /// Its pin is at the newest commit.
    UpToDate { commit: Commit },
    /// A newer commit touched it.
    Newer { old: Commit, new: Commit },
    /// No `branch` in its pin.
    Frozen,
}

/// What a fetch did.
#[derive(Default)]
pub(crate) struct Outcome {
    /// The pins that moved.
    pub(crate) pins: BTreeMap<String, PinChange>,
    /// What the new inputs change in the generated API (when classified).
    pub(crate) report: Option<diff::MetadataDiff>,
    /// The version and CHANGELOG written.
    pub(crate) recorded: Option<Recorded>,
    /// With `--latest`: where each selected input stands.
    pub(crate) latest: BTreeMap<String, Latest>,
}

pub(crate) fn fetch_metadata(args: &FetchArgs) -> Result<(), Error> {
    if fetch(&args.options())?.recorded.is_some() {
        eprintln!("next: `cargo xtask codegen`, then review and commit metadata/ and generated/");
    }
    Ok(())
}

/// Runs a fetch; see [`Options`].
pub(crate) fn fetch(options: &Options) -> Result<Outcome, Error> {
    let config_file = &options.config_file;
    let config = Config::load(config_file)?;
    let cache = config.cache_dir();
    let mut outcome = Outcome::default();
    let plan = plan(options, &config, config_file, &mut outcome.latest)?;
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(600))
        .connect_timeout(Duration::from_secs(30))
        .user_agent(concat!("msgraph-entitlement-xtask/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| Error::Download { name: "-".to_string(), url: "-".to_string(), message: e.to_string() })?;

    let mut moved: BTreeMap<String, (PinChange, Vec<u8>)> = BTreeMap::new();
    for Planned { name, pin, url, expect } in plan {
        let target = cache.join(&pin.path);
        if !options.force && url == pin.url {
            if let Ok(bytes) = std::fs::read(&target) {
                if pins::verify_pin(&name, &target, &pin, &bytes).is_ok() {
                    eprintln!("{name}: cached and verified ({})", target.display());
                    continue;
                }
            }
        }
        eprintln!("{name}: downloading {url}");
        let bytes = download(&client, &name, &url)?;
        if let Some(blob) = &expect {
            let got = github::git_blob_sha(&bytes);
            if got != blob.sha || bytes.len() as u64 != blob.size {
                return Err(Error::Download {
                    name,
                    url,
                    message: format!(
                        "the download is not what the GitHub API says the path holds at that commit: git blob {} \
                         ({} bytes) expected, got {got} ({} bytes); nothing was written",
                        blob.sha,
                        blob.size,
                        bytes.len()
                    ),
                });
            }
        }
        let sha256 = pins::sha256_hex(&bytes);
        if sha256.eq_ignore_ascii_case(&pin.sha256) {
            let stored = record::store_verified(&cache, &name, &pin, &bytes)?;
            eprintln!("{name}: verified and stored ({})", stored.display());
            if url != pin.url && options.update_pins {
                // Same bytes at another commit: only the URL moves.
                let new = InputPin { url, ..pin.clone() };
                moved.insert(name, (PinChange { old_sha256: pin.sha256.to_ascii_lowercase(), new }, Vec::new()));
            }
            continue;
        }
        if !options.update_pins {
            return Err(Error::Download {
                name,
                url,
                message: format!(
                    "sha256 mismatch: pinned {}, downloaded {sha256} ({} bytes); nothing was written to {}. \
                     If upstream really changed, accept the new file with --update-pins",
                    pin.sha256.to_ascii_lowercase(),
                    bytes.len(),
                    cache.display()
                ),
            });
        }
        eprintln!("{name}: new content (sha256 {sha256}, was {})", pin.sha256.to_ascii_lowercase());
        let new = InputPin { url, sha256, ..pin.clone() };
        moved.insert(name, (PinChange { old_sha256: pin.sha256.to_ascii_lowercase(), new }, bytes));
    }
    if moved.is_empty() {
        if options.update_pins {
            eprintln!("pins unchanged");
        }
        return Ok(outcome);
    }
    let (pins, report, recorded) = update_pins(options, &config, config_file, moved)?;
    outcome.pins = pins;
    outcome.report = report;
    outcome.recorded = Some(recorded);
    Ok(outcome)
}

/// The inputs to fetch and the URL of each, after `--input` and `--commit` or `--latest` (which
/// records where each input stands in `latest`).
fn plan(
    args: &Options,
    config: &Config,
    config_file: &std::path::Path,
    latest: &mut BTreeMap<String, Latest>,
) -> Result<Vec<Planned>, Error> {
    for name in &args.inputs {
        if !config.inputs.contains_key(name) {
            let known: Vec<&str> = config.inputs.keys().map(String::as_str).collect();
            return Err(Error::file(
                config_file,
                format!("--input `{name}` is not an input; known: {}", known.join(", ")),
            ));
        }
    }
    let selected: Vec<(&String, &InputPin)> =
        config.inputs.iter().filter(|(n, _)| args.inputs.is_empty() || args.inputs.contains(n)).collect();
    if args.latest {
        return plan_latest(args, config_file, &selected, latest);
    }
    let mut plan = Vec::new();
    let mut repositories = BTreeSet::new();
    for (name, pin) in selected {
        let url = match &args.commit {
            None => pin.url.clone(),
            Some(commit) => {
                let bad = |message: String| Error::file(config_file, format!("inputs.{name}.url: {message}"));
                repositories.insert(commits::repository_of(&pin.url).map_err(bad)?);
                commits::with_commit(&pin.url, commit)
                    .map_err(|m| Error::file(config_file, format!("--commit: {m}")))?
            }
        };
        plan.push(Planned { name: name.clone(), pin: pin.clone(), url, expect: None });
    }
    if repositories.len() > 1 {
        let list: Vec<String> = repositories.into_iter().collect();
        return Err(Error::file(
            config_file,
            format!(
                "--commit names one commit, but the selected inputs come from {} repositories ({}); \
                 choose inputs of one repository with --input",
                list.len(),
                list.join(", ")
            ),
        ));
    }
    Ok(plan)
}

/// `--latest`: asks the GitHub API for the newest commit touching each input's path on its branch;
/// plans a download only for inputs a newer commit touched.
fn plan_latest(
    args: &Options,
    config_file: &std::path::Path,
    selected: &[(&String, &InputPin)],
    latest: &mut BTreeMap<String, Latest>,
) -> Result<Vec<Planned>, Error> {
    let token = std::env::var("GITHUB_TOKEN").ok();
    let api = GitHub::new(&args.github_api, token)?;
    let mut plan = Vec::new();
    for &(name, pin) in selected {
        let Some(branch) = &pin.branch else {
            eprintln!("{name}: frozen (no `branch` in its pin)");
            latest.insert(name.clone(), Latest::Frozen);
            continue;
        };
        let fail = |message: String| Error::Download { name: name.clone(), url: pin.url.clone(), message };
        let upstream =
            github::upstream_of(&pin.url).map_err(|m| Error::file(config_file, format!("inputs.{name}.url: {m}")))?;
        let newest = api.latest_commit(&upstream, branch).map_err(fail)?;
        if newest.sha == upstream.commit {
            eprintln!("{name}: up to date ({} on {branch}, {})", short(&newest.sha), newest.date);
            latest.insert(name.clone(), Latest::UpToDate { commit: newest });
            continue;
        }
        let old = api.commit(&upstream, &upstream.commit).map_err(fail)?;
        let blob = api.blob(&upstream, &newest.sha).map_err(fail)?;
        eprintln!("{name}: {} ({}) -> {} ({}) on {branch}", short(&old.sha), old.date, short(&newest.sha), newest.date);
        let url = commits::with_commit(&pin.url, &newest.sha).map_err(fail)?;
        latest.insert(name.clone(), Latest::Newer { old, new: newest });
        plan.push(Planned { name: name.clone(), pin: pin.clone(), url, expect: Some(blob) });
    }
    Ok(plan)
}

/// The pins that moved, the classification and what was recorded.
type Updated = (BTreeMap<String, PinChange>, Option<diff::MetadataDiff>, Recorded);

/// Classifies the bump (old pins against new bytes), then stores the bytes, and writes the pins,
/// version and CHANGELOG entry.
fn update_pins(
    args: &Options,
    config: &Config,
    config_file: &std::path::Path,
    moved: BTreeMap<String, (PinChange, Vec<u8>)>,
) -> Result<Updated, Error> {
    let cache = config.cache_dir();
    let content_changed = moved.values().any(|(change, _)| !change.new.sha256.eq_ignore_ascii_case(&change.old_sha256));
    let report = if args.no_version_bump || !content_changed {
        None
    } else {
        // Stage the new bytes outside the cache, so that an input the new pins cannot generate
        // from leaves everything as it was.
        std::fs::create_dir_all(&config.dir).map_err(|e| Error::io(&config.dir, e))?;
        let staging = tempfile::Builder::new()
            .prefix(".fetch-staging-")
            .tempdir_in(&config.dir)
            .map_err(|e| Error::io(&config.dir, e))?;
        for (change, bytes) in moved.values().filter(|(_, b)| !b.is_empty()) {
            let path = staging.path().join(&change.new.path);
            msgraph_codegen::emit::output::write_file_atomic(&path, bytes)?;
        }
        let env_dir = std::env::var_os("GRAPH_METADATA_DIR").filter(|v| !v.is_empty()).map(PathBuf::from);
        let old_search = InputSearch { env_dir: env_dir.clone(), cache_dir: Some(cache.clone()), ..Default::default() };
        let new_search = InputSearch {
            metadata_dir: Some(staging.path().to_path_buf()),
            env_dir,
            cache_dir: Some(cache.clone()),
            allow_unpinned: false,
        };
        let mut new_config = config.clone();
        for (name, (change, _)) in &moved {
            new_config.inputs.insert(name.clone(), change.new.clone());
        }
        let report = diff::diff_configs((config.clone(), &old_search), (new_config, &new_search)).map_err(|e| {
            Error::file(
                config_file,
                format!(
                    "cannot classify the bump (old pins against new inputs): {e}\n\
                     nothing was changed; make the old inputs findable (GRAPH_METADATA_DIR or metadata/cache/), \
                     or pass --no-version-bump to move the pins only"
                ),
            )
        })?;
        eprint!("{}", summary(&report));
        Some(report)
    };
    for (name, (change, bytes)) in &moved {
        if !bytes.is_empty() {
            let stored = record::store_verified(&cache, name, &change.new, bytes)?;
            eprintln!("{name}: stored ({})", stored.display());
        }
    }
    let pins: BTreeMap<String, PinChange> = moved.into_iter().map(|(n, (c, _))| (n, c)).collect();
    let recorded = record::record(config_file, &pins, report.as_ref(), &dates::today_utc())?;
    eprintln!("{}: re-pinned {}", config_file.display(), pins.keys().cloned().collect::<Vec<_>>().join(", "));
    xtask::report_version(&recorded);
    Ok((pins, report, recorded))
}

/// The counts of a diff, one line per kind.
pub(crate) fn summary(report: &diff::MetadataDiff) -> String {
    let mut out = format!(
        "{}: {} change(s) in the generated API, semver bump: {}\n",
        report.api_version,
        report.changes.len(),
        report.bump()
    );
    for (kind, n) in report.counts() {
        out.push_str(&format!("  {kind:?}: {n}\n"));
    }
    out
}

/// GETs `url` into memory, with a progress bar for large bodies when stderr is a terminal.
fn download(client: &reqwest::blocking::Client, name: &str, url: &str) -> Result<Vec<u8>, Error> {
    let fail = |message: String| Error::Download { name: name.to_string(), url: url.to_string(), message };
    let mut response = client.get(url).send().map_err(|e| {
        fail(format!("{} (no network? set GRAPH_METADATA_DIR to a folder holding the files instead)", with_sources(&e)))
    })?;
    if !response.status().is_success() {
        return Err(fail(format!("HTTP {}", response.status())));
    }
    let length = response.content_length();
    if let Some(n) = length.filter(|&n| n > MAX_DOWNLOAD) {
        return Err(fail(format!("{n} bytes is more than the {MAX_DOWNLOAD}-byte limit")));
    }
    let bar = if length.is_none_or(|n| n >= PROGRESS_FROM) {
        let bar = ProgressBar::with_draw_target(length, ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {eta}")
            .map_or_else(|_| ProgressStyle::default_bar(), |s| s.progress_chars("=> "));
        bar.set_style(style);
        bar.set_message(name.to_string());
        bar
    } else {
        ProgressBar::hidden()
    };
    let mut bytes = Vec::with_capacity(length.map_or(0, |n| n as usize));
    let mut chunk = vec![0u8; 64 << 10];
    loop {
        let n = response.read(&mut chunk).map_err(|e| {
            bar.abandon();
            fail(format!("reading the body after {} bytes: {}", bytes.len(), with_sources(&e)))
        })?;
        if n == 0 {
            break;
        }
        bytes.extend_from_slice(&chunk[..n]);
        bar.inc(n as u64);
        if bytes.len() as u64 > MAX_DOWNLOAD {
            bar.abandon();
            return Err(fail(format!("body exceeds the {MAX_DOWNLOAD}-byte limit")));
        }
    }
    bar.finish_and_clear();
    if let Some(n) = length.filter(|&n| n != bytes.len() as u64) {
        return Err(fail(format!("body ended after {} of {n} bytes", bytes.len())));
    }
    Ok(bytes)
}

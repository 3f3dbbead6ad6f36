//! `xtask-tools`: the `cargo xtask` commands that need more than the generator, as a library so
//! the test suite can drive them in process (`main.rs` only calls [`run`]). The lean `xtask`
//! forwards these commands here with `cargo run -p xtask-tools`:
//!
//! - `cargo xtask fetch-metadata [--commit SHA | --latest] [--update-pins]` downloads the pinned
//!   inputs into `metadata/cache/` (see [`fetch`]): an HTTP client with TLS;
//! - `cargo xtask bump` moves every input to its newest upstream commit, regenerates, asks
//!   cargo-semver-checks (when installed) for its verdict, runs the generated tests and writes
//!   `target/bump/PR.md` (see [`bump`]);
//! - `cargo xtask bench [--smoke]` measures codegen and the client and writes BENCHMARKS.md: the
//!   generated crate, tokio and a loopback server.

pub mod bench;
mod bench_build;
mod bench_client;
mod bench_decode;
mod bench_scale;
mod bench_stats;
pub mod bump;
pub mod fetch;
mod github;
mod semver;

pub use github::git_blob_sha;

use clap::Subcommand;
use msgraph_codegen::Error;

#[derive(clap::Parser)]
#[command(
    name = "cargo xtask",
    bin_name = "cargo xtask",
    about = "Project tasks of msgraph-entitlement (downloads and benchmarks)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Download the pinned metadata into metadata/cache/ and verify it.
    FetchMetadata(fetch::FetchArgs),
    /// Move every input to its newest upstream commit, regenerate, test, and write
    /// target/bump/PR.md; exit status 0 when nothing changed, 10 when a bump is ready.
    Bump(bump::BumpArgs),
    /// Measure codegen and the client against their targets; write BENCHMARKS.md (release build).
    Bench(bench::BenchArgs),
}

/// Parses `args` (the first is the program name) and runs the command.
pub fn run<I, T>(args: I) -> Result<(), Error>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let Some(cli) = xtask::parse::<Cli, _, _>(args)? else { return Ok(()) };
    match cli.command {
        Command::FetchMetadata(args) => fetch::fetch_metadata(&args),
        Command::Bump(args) => bump::bump(&args),
        Command::Bench(args) => bench::bench(&args),
    }
}

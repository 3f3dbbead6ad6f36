//! `xtask-tools`: the `cargo xtask` commands with heavy dependencies (see [`xtask_tools::run`]).
//! Run through `cargo xtask fetch-metadata` / `cargo xtask bench`.

/// mimalloc: the generator allocates a lot (token trees, syn, strings), and glibc's malloc took
/// about a quarter of its time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    xtask::exit_code(xtask_tools::run(std::env::args_os()))
}

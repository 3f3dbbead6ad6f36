//! `cargo xtask`: see the library ([`xtask::run`]) for the commands.

/// mimalloc: the generator allocates a lot (token trees, syn, strings), and glibc's malloc took
/// about a quarter of its time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    xtask::exit_code(xtask::run(std::env::args_os()))
}

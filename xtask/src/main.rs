//! `cargo xtask`: see the library ([`xtask::run`]) for the commands.

fn main() -> std::process::ExitCode {
    xtask::exit_code(xtask::run(std::env::args_os()))
}

//! `xtask-tools`: the `cargo xtask` commands with heavy dependencies (see [`xtask_tools::run`]).
//! Run through `cargo xtask fetch-metadata` / `cargo xtask bench`.

fn main() -> std::process::ExitCode {
    xtask::exit_code(xtask_tools::run(std::env::args_os()))
}

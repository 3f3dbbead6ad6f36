//! `cargo xtask`: see the library ([`xtask::run`]) for the commands.

use std::process::ExitCode;

fn main() -> ExitCode {
    match xtask::run(std::env::args_os()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msgraph_codegen::Error::Usage { message }) => {
            eprint!("{message}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

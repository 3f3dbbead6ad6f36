//! Fuzz target `responses`: what the client decodes from a server (pages, `$batch` answers). The
//! properties are in `tests/src/fuzz_checks.rs` (shared with the stable regression test that
//! replays `fuzz/seeds/responses` and `fuzz/regressions/responses`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| msgraph_tests::fuzz_checks::responses(data));

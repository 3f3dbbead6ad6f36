//! Fuzz target `openapi`: the properties are in `tests/src/fuzz_checks.rs` (shared with the stable
//! regression test that replays `fuzz/seeds/openapi` and `fuzz/regressions/openapi`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| msgraph_tests::fuzz_checks::openapi(data));

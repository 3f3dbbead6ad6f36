//! Fuzz target `models`: the properties are in `tests/src/fuzz_checks.rs` (shared with the stable
//! regression test that replays `fuzz/seeds/models` and `fuzz/regressions/models`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| msgraph_tests::fuzz_checks::models(data));

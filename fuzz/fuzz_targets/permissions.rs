//! Fuzz target `permissions`: the properties are in `tests/src/fuzz_checks.rs` (shared with the stable
//! regression test that replays `fuzz/seeds/permissions` and `fuzz/regressions/permissions`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| msgraph_tests::fuzz_checks::permissions(data));

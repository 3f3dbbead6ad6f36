//! The path matcher on arbitrary strings: the generator's path parser and normaliser, and the
//! generated crate's `permissions::for_request`, never panic; normalising is idempotent; a row that
//! `for_request` finds is for the method asked.
#![no_main]

use libfuzzer_sys::fuzz_target;
use msgraph_codegen::matcher::{Aliases, normalize};
use msgraph_codegen::paths;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (method, url) = text.split_once(' ').unwrap_or(("GET", text));
    let _ = paths::parse(url);
    let aliases = Aliases::new([]);
    let key = normalize(url, &aliases);
    assert_eq!(normalize(&key.0, &aliases), key, "normalize is not idempotent for {url:?}");
    if let Some(row) = msgraph_entitlement::permissions::for_request(method, url) {
        assert!(row.http_method.eq_ignore_ascii_case(method));
    }
});

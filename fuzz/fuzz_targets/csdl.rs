//! The CSDL front end on arbitrary bytes: never panics, and every error names the file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use msgraph_codegen::csdl::Csdl;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Err(e) = Csdl::parse(text, std::path::Path::new("fuzz.xml")) {
        let message = e.to_string();
        assert!(message.starts_with("fuzz.xml"), "error does not name the file: {message}");
    }
});

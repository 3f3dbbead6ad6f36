//! The permissions.json reader on arbitrary bytes: never panics, errors name the file, and every
//! permission the file defines yields its grants or a clear error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use msgraph_codegen::permissions::PermissionsFile;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let file = std::path::Path::new("permissions.json");
    match PermissionsFile::parse(text, file) {
        Err(e) => assert!(e.to_string().starts_with("permissions.json"), "{e}"),
        Ok(parsed) => {
            for name in parsed.permissions.keys() {
                if let Err(e) = parsed.grants(name, file) {
                    assert!(e.to_string().starts_with("permissions.json"), "{e}");
                }
            }
            let _ = parsed.grants("EntitlementManagement.ReadWrite.All", file);
        }
    }
});

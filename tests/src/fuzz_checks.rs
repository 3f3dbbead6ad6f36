//! The properties the fuzz targets (`fuzz/fuzz_targets/*.rs`) check on each input, shared with
//! the regression test that replays the committed seeds and crashers on stable
//! (`tests/tests/fuzz_regressions.rs`). Each function panics when a property fails.

use std::path::Path;

use msgraph_codegen::frontend::csdl;
use msgraph_codegen::frontend::permissions::PermissionsFile;
use msgraph_codegen::paths::matcher::{Aliases, normalize};
use msgraph_codegen::paths::syntax as paths;
use msgraph_entitlement::models;

/// The CSDL front end never panics, and its errors name the file.
pub fn csdl(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Err(e) = csdl::parse(text, Path::new("fuzz.xml")) {
        let message = e.to_string();
        assert!(message.starts_with("fuzz.xml"), "error does not name the file: {message}");
    }
}

/// The OpenAPI front end never panics, and its errors name the file.
pub fn openapi(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let config = msgraph_codegen::inputs::config::OpenApiConfig {
        entity_base: "microsoft.graph.entity".into(),
        key: "id".into(),
    };
    if let Err(e) = msgraph_codegen::frontend::openapi::OpenApi::parse(text, Path::new("fuzz.yml"), &config) {
        let message = e.to_string();
        assert!(message.starts_with("fuzz.yml"), "error does not name the file: {message}");
    }
}

/// The permissions.json reader never panics, errors name the file, and every permission the
/// file defines yields its grants or a clear error.
pub fn permissions(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let file = Path::new("permissions.json");
    match PermissionsFile::parse(text, file) {
        Err(e) => assert!(e.to_string().starts_with("permissions.json"), "{e}"),
        Ok(parsed) => {
            for name in parsed.permissions.keys() {
                if let Err(e) = parsed.grants(name, file) {
                    assert!(e.to_string().starts_with("permissions.json"), "{e}");
                }
            }
        }
    }
}

/// The generator's path parser and normaliser and the generated `permissions::for_request` never
/// panic; normalising is idempotent; a row that `for_request` finds is for the method asked.
/// The input is `METHOD URL` or a bare URL.
pub fn paths(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (method, url) = text.split_once(' ').unwrap_or(("GET", text));
    let _ = paths::parse(url);
    let aliases = Aliases::new([]);
    let key = normalize(url, &aliases);
    assert_eq!(normalize(&key.0, &aliases), key, "normalize is not idempotent for {url:?}");
    if let Some(row) = msgraph_entitlement::permissions::for_request(method, url) {
        assert!(row.http_method.eq_ignore_ascii_case(method), "{method} found a {} row", row.http_method);
    }
}

fn round_trip<T>(data: &[u8])
where
    T: serde::de::DeserializeOwned + serde::Serialize,
{
    let Ok(value) = serde_json::from_slice::<T>(data) else { return };
    let json = match serde_json::to_value(&value) {
        Ok(json) => json,
        Err(e) => panic!("a decoded value does not encode: {e}"),
    };
    let again: T = match serde_json::from_value(json.clone()) {
        Ok(again) => again,
        Err(e) => panic!("encoded JSON does not decode: {e}\n{json}"),
    };
    let json_again = serde_json::to_value(&again).ok();
    assert_eq!(json_again.as_ref(), Some(&json), "the round trip changed the value");
}

/// The generated models' deserializers never panic, and whatever decodes re-encodes to JSON that
/// decodes to the same value. The first byte picks the type, the rest is the JSON.
pub fn models(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else { return };
    match selector % 8 {
        0 => round_trip::<models::AccessPackage>(rest),
        1 => round_trip::<models::AccessPackageAssignmentPolicy>(rest),
        2 => round_trip::<models::AccessPackageAssignmentRequest>(rest),
        3 => round_trip::<models::AnyAccessPackageResource>(rest),
        4 => round_trip::<models::AnyCustomCalloutExtension>(rest),
        5 => round_trip::<models::AnyAccessPackageQuestion>(rest),
        6 => round_trip::<models::AnyIdentity>(rest),
        _ => round_trip::<Vec<models::AnyAccessPackageApprovalStage>>(rest),
    }
}

/// What the client decodes from a server never panics, and a decode error names a JSON path.
/// The first byte picks the response: a page of access packages (`Json<Page<AccessPackage>>`,
/// what a list call decodes), a page of raw JSON items, or a `$batch` answer read as the client
/// reads one (each item's status, headers and body; an item's errors named `responses[id=..]`).
pub fn responses(data: &[u8]) {
    use msgraph_entitlement::Error;
    use msgraph_entitlement::runtime::{Json, Page, ResponseKind};
    let Some((&selector, rest)) = data.split_first() else { return };
    let check = |result: Result<(), Error>| match result {
        Ok(()) => {}
        Err(Error::Decode { path, .. }) => assert!(!path.is_empty(), "a decode error without a path"),
        Err(e) => panic!("a body decodes, or is a decode error: {e}"),
    };
    match selector % 3 {
        0 => check(<Json<Page<models::AccessPackage>>>::decode(200, rest).map(drop)),
        1 => check(<Json<Page<serde_json::Value>>>::decode(200, rest).map(drop)),
        _ => match msgraph_entitlement::runtime::fuzz_batch_answer(rest) {
            // Not a batch response: a decode error naming where in the body.
            Err(Ok(path)) => assert!(!path.is_empty(), "a body error without a path"),
            Err(Err(e)) => panic!("a body is a batch response, or a decode error: {e}"),
            Ok(items) => {
                for error in items.into_iter().filter_map(Result::err) {
                    match error {
                        Ok(path) => {
                            assert!(path.starts_with("responses[id="), "an item's error names the item: {path}")
                        }
                        Err(e) => panic!("an item's answer decodes, or is a decode error: {e}"),
                    }
                }
            }
        },
    }
}

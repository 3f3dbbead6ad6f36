//! The generated models' deserializers on arbitrary JSON: never panic, and whatever decodes
//! re-encodes to JSON that decodes to the same value (nothing is lost or invented on the way).
#![no_main]

use libfuzzer_sys::fuzz_target;
use msgraph_entitlement::models;

fn round_trip<T>(data: &[u8])
where
    T: serde::de::DeserializeOwned + serde::Serialize,
{
    let Ok(value) = serde_json::from_slice::<T>(data) else { return };
    let json = serde_json::to_value(&value).expect("a decoded value encodes");
    let again: T = serde_json::from_value(json.clone()).expect("encoded JSON decodes");
    assert_eq!(serde_json::to_value(&again).expect("encodes"), json, "round trip changed the value");
}

fuzz_target!(|data: &[u8]| {
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
});

//! Real-shaped Graph payloads (written from the metadata and the Graph docs' examples) decode into
//! the typed models and encode back without loss: properties the metadata does not declare are
//! kept at every level (top, nested complex values, collection items, `Any…` members, `Other`
//! values, `$expand`ed navigation values), apart from the `null`s the server sent for declared
//! properties. `$expand=target` and `requestor` decode typed; decode errors name the JSON path.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use msgraph_entitlement::models::{
    AccessPackage, AccessPackageAssignment, AccessPackageAssignmentRequest, AccessPackageResource,
    AccessPackageSubjectType, AnyAccessPackageResource, AnyIdentitySource, DomainIdentitySource,
};
use msgraph_entitlement::runtime::{Json, Page, ResponseKind};
use serde_json::{Value, json};

fn fixture(name: &str) -> Value {
    let path = msgraph_tests::workspace_root().join("tests/fixtures/payloads").join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// `value` without the properties whose value is `null` (a declared property sent as `null`
/// decodes as `None` and is left out when encoded).
fn without_nulls(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k.clone(), without_nulls(v))).collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_nulls).collect()),
        other => other.clone(),
    }
}

fn round_trip<T: serde::de::DeserializeOwned + serde::Serialize>(payload: &Value) -> T {
    let decoded: T = serde_json::from_value(payload.clone()).unwrap();
    let encoded = serde_json::to_value(&decoded).unwrap();
    assert_eq!(without_nulls(&encoded), without_nulls(payload), "{} lost data", std::any::type_name::<T>());
    decoded
}

#[test]
fn assignments_with_expanded_target_are_lossless_and_typed() {
    let payload = fixture("assignments-expand-target.json");
    let page: Page<AccessPackageAssignment> = round_trip(&payload);
    let first = &page.value[0];
    // Undeclared at the top, in a nested complex value, in a collection item.
    assert_eq!(first.additional_properties["assignmentPolicyIdSnapshot"], "undeclared-top-level");
    let schedule = first.schedule.as_ref().unwrap();
    assert_eq!(schedule.additional_properties["scheduleSource@odata.annotation"], "nested undeclared");
    let callout = &first.custom_extension_callout_instances.as_ref().unwrap()[0];
    assert_eq!(callout.additional_properties["retryCount@preview"], 2);
    // `$expand=target`: a typed accessPackageSubject with its connectedOrganization.
    let target = first.target.as_ref().unwrap();
    assert_eq!(target.display_name.as_deref(), Some("Megan Bowen"));
    assert_eq!(target.subject_type, Some(AccessPackageSubjectType::User));
    assert_eq!(target.additional_properties["subjectLifecycle@undeclared"], "governed");
    let organization = target.connected_organization.as_ref().unwrap();
    assert_eq!(organization.display_name.as_deref(), Some("Fabrikam"));
    assert_eq!(organization.additional_properties["partnerTier@undeclared"], "gold");
    // Inside an `Any…` member, and a derived type this crate does not know (`Other`).
    let sources = organization.identity_sources.as_ref().unwrap();
    match &sources[0] {
        AnyIdentitySource::DomainIdentitySource(d) => {
            assert_eq!(d.domain_name.as_deref(), Some("fabrikam.com"));
            assert_eq!(d.additional_properties["tenantIdHint@undeclared"], "t-1");
        }
        other => panic!("expected a domainIdentitySource, got {other:?}"),
    }
    assert!(matches!(&sources[1], AnyIdentitySource::Other(v) if v["whatever"] == json!([1, 2, 3])));
    assert_eq!(page.value[1].target.as_ref().unwrap().subject_type, Some(AccessPackageSubjectType::ServicePrincipal));
}

#[test]
fn assignment_requests_with_requestor_are_lossless_and_typed() {
    let payload = fixture("assignment-requests-expand.json");
    let page: Page<AccessPackageAssignmentRequest> = round_trip(&payload);
    let request = &page.value[0];
    // Properties the published examples carry that the v1.0 metadata does not declare.
    assert_eq!(request.additional_properties["isValidationOnly"], false);
    assert_eq!(request.additional_properties["verifiedCredentialsData"], json!([]));
    assert_eq!(request.requestor.as_ref().unwrap().email.as_deref(), Some("admin@contoso.com"));
    let answer = serde_json::to_value(&request.answers.as_ref().unwrap()[0]).unwrap();
    assert_eq!(answer["answeredQuestion@undeclared"], json!({"id": "q-1"}));
}

#[test]
fn an_undeclared_null_is_kept() {
    let payload = json!({"id": "a", "futureProperty": null, "@odata.etag": "W/\"1\""});
    let decoded: AccessPackageAssignment = serde_json::from_value(payload.clone()).unwrap();
    assert_eq!(serde_json::to_value(&decoded).unwrap(), payload);
}

#[test]
fn members_convert_into_their_polymorphic_enum() {
    let resource: AnyAccessPackageResource =
        AccessPackageResource { display_name: Some("Sales site".into()), ..Default::default() }.into();
    assert!(matches!(resource, AnyAccessPackageResource::AccessPackageResource(_)));
}

#[test]
fn decode_errors_name_the_json_path() {
    let mut payload = fixture("assignments-expand-target.json");
    payload["value"][0]["schedule"]["expiration"]["duration"] = json!("P1X");
    let body = serde_json::to_vec(&payload).unwrap();
    let err = <Json<Page<AccessPackageAssignment>> as ResponseKind>::decode(200, &body).unwrap_err();
    assert!(
        matches!(&err, msgraph_entitlement::Error::Decode { path, .. } if path == "value[0].schedule.expiration.duration"),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(text.contains("value[0].schedule.expiration.duration"), "{text}");
    assert!(text.contains("P1X"), "{text}");
}

#[test]
fn a_polymorphic_value_decodes_the_same_wherever_its_tag_is() {
    // Graph writes `@odata.type` first, and the member is then decoded in one pass; a tag further
    // down (or none) goes through JSON first. Both give the same value, and it encodes back.
    let tag_first = json!({"@odata.type": "#microsoft.graph.domainIdentitySource", "domainName": "fabrikam.com", "displayName": "Fabrikam", "extra@undeclared": [1]});
    let tag_last = json!({"domainName": "fabrikam.com", "displayName": "Fabrikam", "extra@undeclared": [1], "@odata.type": "#microsoft.graph.domainIdentitySource"});
    let first: AnyIdentitySource = serde_json::from_value(tag_first.clone()).unwrap();
    let last: AnyIdentitySource = serde_json::from_value(tag_last).unwrap();
    assert_eq!(first, last);
    match &first {
        AnyIdentitySource::DomainIdentitySource(d) => {
            assert_eq!(d.odata_type.as_deref(), Some("#microsoft.graph.domainIdentitySource"));
            assert_eq!(d.domain_name.as_deref(), Some("fabrikam.com"));
            assert_eq!(d.additional_properties["extra@undeclared"], json!([1]));
        }
        other => panic!("expected a domainIdentitySource, got {other:?}"),
    }
    assert_eq!(serde_json::to_value(&first).unwrap(), tag_first);
    // From bytes too (borrowed keys), and a tag this crate does not know stays JSON, in order.
    let unknown = r##"{"@odata.type":"#microsoft.graph.futureSource","a":1,"b":{"c":null}}"##;
    let other: AnyIdentitySource = serde_json::from_str(unknown).unwrap();
    assert!(matches!(&other, AnyIdentitySource::Other(v) if v["b"] == json!({"c": null})));
    assert_eq!(serde_json::to_string(&other).unwrap(), unknown);
}

#[test]
fn decode_errors_inside_a_polymorphic_member_name_the_json_path() {
    let mut payload = fixture("assignments-expand-target.json");
    payload["value"][0]["target"]["connectedOrganization"]["identitySources"][0]["domainName"] = json!(42);
    let body = serde_json::to_vec(&payload).unwrap();
    let err = <Json<Page<AccessPackageAssignment>> as ResponseKind>::decode(200, &body).unwrap_err();
    let want = "value[0].target.connectedOrganization.identitySources[0].domainName";
    assert!(matches!(&err, msgraph_entitlement::Error::Decode { path, .. } if path == want), "{err:?}");
}

#[test]
fn a_model_that_is_not_an_object_is_a_clear_error() {
    let err = serde_json::from_str::<AccessPackageAssignment>(r#""an id""#).unwrap_err();
    assert!(err.to_string().contains("expected struct AccessPackageAssignment"), "{err}");
}

#[test]
fn a_derived_member_is_written_with_its_tag_first_then_its_properties_in_order() {
    let source: AnyIdentitySource = DomainIdentitySource {
        domain_name: Some("fabrikam.com".into()),
        display_name: Some("Fabrikam".into()),
        ..Default::default()
    }
    .into();
    assert_eq!(
        serde_json::to_string(&source).unwrap(),
        r##"{"@odata.type":"#microsoft.graph.domainIdentitySource","displayName":"Fabrikam","domainName":"fabrikam.com"}"##
    );
    // A tag the value carries is the one written.
    let mut sent =
        DomainIdentitySource { odata_type: Some("microsoft.graph.domainIdentitySource".into()), ..Default::default() };
    sent.additional_properties.insert("z".into(), json!(1));
    let text = serde_json::to_string(&AnyIdentitySource::from(sent)).unwrap();
    assert_eq!(text, r#"{"@odata.type":"microsoft.graph.domainIdentitySource","z":1}"#);
}

#[test]
fn decode_errors_of_a_member_read_through_json_name_the_path_inside_it() {
    // The tag last: the object is read as JSON first, then decoded as the member the tag names.
    let text = r##"{"domainName": 42, "@odata.type": "#microsoft.graph.domainIdentitySource"}"##;
    let err = serde_json::from_str::<AnyIdentitySource>(text).unwrap_err().to_string();
    assert!(err.starts_with("domainName: invalid type: integer `42`, expected a string"), "{err}");
    // The position is the one in the text decoded, not in the JSON written on the way.
    assert_eq!(err.matches(" at line ").count(), 1, "{err}");
}

#[test]
fn a_delta_item_that_does_not_decode_names_the_path_inside_it() {
    let text = r#"{"id": "a", "isHidden": "yes"}"#;
    let err = serde_json::from_str::<msgraph_entitlement::runtime::Delta<AccessPackage>>(text).unwrap_err().to_string();
    assert!(err.starts_with("invalid type: string \"yes\", expected a boolean (at `isHidden` of the item)"), "{err}");
    // No position of the JSON written on the way (the item is decoded from it).
    assert!(!err.contains(" at line "), "{err}");
}

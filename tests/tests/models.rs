//! The generated models on realistic Graph JSON (shaped after the Graph docs' examples): nested
//! polymorphic values, durations, enums with values this crate does not know, open types.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use msgraph_entitlement::models::{
    AccessPackage, AccessPackageAssignmentPolicy, AccessPackageAssignmentRequest, AccessPackageCatalogType,
    AllowedTargetScope, AnyAccessPackageQuestion, AnyCustomCalloutExtension, AnyCustomExtensionEndpointConfiguration,
    AnySubjectSet, ExpirationPatternType, SingleUser,
};
use msgraph_entitlement::runtime::IsoDuration;
use msgraph_entitlement::{Page, models};
use serde_json::json;

fn roundtrip<T: serde::de::DeserializeOwned + serde::Serialize>(value: &serde_json::Value) -> T {
    let decoded: T = serde_json::from_value(value.clone()).unwrap();
    assert_eq!(&serde_json::to_value(&decoded).unwrap(), value, "round-trip changed the JSON");
    decoded
}

fn policy_json() -> serde_json::Value {
    json!({
        "@odata.type": "#microsoft.graph.accessPackageAssignmentPolicy",
        "id": "87e1bdb0-bd5b-4f6f-9f2c-5c3a4f1e2d3c",
        "displayName": "Sales department members",
        "description": "Allow Sales department members to request access",
        "allowedTargetScope": "specificDirectoryUsers",
        "createdDateTime": "2023-03-13T19:28:56Z",
        "specificAllowedTargets": [
            {"@odata.type": "#microsoft.graph.groupMembers", "groupId": "7a1f2e3d-0000-4000-8000-000000000001", "description": "Sales"},
            {"@odata.type": "#microsoft.graph.singleUser", "userId": "e8b1c2d3-0000-4000-8000-000000000002", "description": "Alice"},
            {"@odata.type": "#microsoft.graph.somethingIntroducedNextYear", "someProperty": 1}
        ],
        "expiration": {"type": "afterDuration", "duration": "P365D"},
        "requestorSettings": {
            "enableTargetsToSelfAddAccess": true,
            "enableTargetsToSelfUpdateAccess": false,
            "onBehalfRequestors": [{"@odata.type": "#microsoft.graph.requestorManager", "managerLevel": 1}]
        },
        "requestApprovalSettings": {
            "isApprovalRequiredForAdd": true,
            "stages": [{
                "durationBeforeAutomaticDenial": "P2D",
                "isApproverJustificationRequired": true,
                "isEscalationEnabled": false,
                "primaryApprovers": [{"@odata.type": "#microsoft.graph.requestorManager", "managerLevel": 1}],
                "fallbackPrimaryApprovers": [{"@odata.type": "#microsoft.graph.singleUser", "userId": "u-3"}]
            }]
        },
        "questions": [
            {
                "@odata.type": "#microsoft.graph.accessPackageMultipleChoiceQuestion",
                "sequence": 1,
                "isRequired": true,
                "text": "What region are you in?",
                "isMultipleSelectionAllowed": false,
                "choices": [{"actualValue": "AMER", "text": "America"}, {"actualValue": "EMEA", "text": "Europe"}]
            },
            {
                "@odata.type": "#microsoft.graph.accessPackageTextInputQuestion",
                "sequence": 2,
                "isRequired": false,
                "text": "Why do you need access?",
                "isSingleLineQuestion": false
            }
        ]
    })
}

#[test]
fn assignment_policy_with_subject_sets_and_questions() {
    let policy: AccessPackageAssignmentPolicy = roundtrip(&policy_json());
    assert_eq!(policy.allowed_target_scope, Some(AllowedTargetScope::SpecificDirectoryUsers));
    let targets = policy.specific_allowed_targets.as_ref().unwrap();
    assert!(
        matches!(&targets[0], AnySubjectSet::GroupMembers(g) if g.group_id.as_deref() == Some("7a1f2e3d-0000-4000-8000-000000000001"))
    );
    assert!(matches!(&targets[1], AnySubjectSet::SingleUser(u) if u.description.as_deref() == Some("Alice")));
    assert!(matches!(&targets[2], AnySubjectSet::Other(v) if v["someProperty"] == 1), "unknown derived types are kept");
    let expiration = policy.expiration.as_ref().unwrap();
    assert_eq!(expiration.type_, Some(ExpirationPatternType::AfterDuration));
    assert_eq!(expiration.duration, Some(IsoDuration::days(365)));
    let stage = &policy.request_approval_settings.as_ref().unwrap().stages.as_ref().unwrap()[0];
    let stage = match stage {
        models::AnyAccessPackageApprovalStage::AccessPackageApprovalStage(s) => s,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        stage.duration_before_automatic_denial.unwrap().to_std(),
        Some(std::time::Duration::from_secs(2 * 86400))
    );
    assert!(
        matches!(&stage.primary_approvers.as_ref().unwrap()[0], AnySubjectSet::RequestorManager(m) if m.manager_level == Some(1))
    );
    let questions = policy.questions.as_ref().unwrap();
    match &questions[0] {
        AnyAccessPackageQuestion::AccessPackageMultipleChoiceQuestion(q) => {
            assert_eq!(q.choices.as_ref().unwrap()[1].actual_value.as_deref(), Some("EMEA"));
        }
        other => panic!("{other:?}"),
    }
    assert!(
        matches!(&questions[1], AnyAccessPackageQuestion::AccessPackageTextInputQuestion(q) if q.is_single_line_question == Some(false))
    );
}

#[test]
fn polymorphic_values_are_sent_with_their_odata_type() {
    let user = AnySubjectSet::SingleUser(SingleUser { user_id: Some("u-1".into()), ..Default::default() });
    assert_eq!(
        serde_json::to_value(&user).unwrap(),
        json!({"@odata.type": "#microsoft.graph.singleUser", "userId": "u-1"})
    );
}

#[test]
fn unknown_enum_values_do_not_break_decoding() {
    let catalog: models::AccessPackageCatalog =
        serde_json::from_value(json!({"id": "c1", "catalogType": "valueFromTheFuture", "state": "published"})).unwrap();
    assert_eq!(catalog.catalog_type, Some(AccessPackageCatalogType::Unknown("valueFromTheFuture".into())));
    assert_eq!(serde_json::to_value(&catalog).unwrap()["catalogType"], "valueFromTheFuture");
    assert_eq!(AccessPackageCatalogType::from("userManaged"), AccessPackageCatalogType::UserManaged);
    assert_eq!(AccessPackageCatalogType::UserManaged.to_string(), "userManaged");
    // From bytes: a value read in place, and one with an escape (decoded into a new string).
    let catalog: models::AccessPackageCatalog =
        serde_json::from_str(r#"{"catalogType": "userManaged", "state": "publ\u0069shed"}"#).unwrap();
    assert_eq!(catalog.catalog_type, Some(AccessPackageCatalogType::UserManaged));
    assert_eq!(catalog.state.as_ref().map(|s| s.as_str()), Some("published"));
    let err = serde_json::from_str::<models::AccessPackageCatalog>(r#"{"catalogType": 3}"#).unwrap_err();
    assert!(err.to_string().contains("expected a string"), "{err}");
}

#[test]
fn assignment_request_with_answers() {
    let request: AccessPackageAssignmentRequest = roundtrip(&json!({
        "id": "7e382d02-4454-436b-b700-59c7dd77f466",
        "requestType": "userAdd",
        "state": "delivered",
        "status": "Delivered",
        "justification": "Need access to the Sales site",
        "createdDateTime": "2024-01-02T03:04:05Z",
        "completedDateTime": "2024-01-02T03:10:00Z",
        "answers": [{
            "@odata.type": "#microsoft.graph.accessPackageAnswerString",
            "value": "EMEA",
            "displayValue": "Europe",
            "answeredQuestion": {"@odata.type": "#microsoft.graph.accessPackageMultipleChoiceQuestion", "id": "q1"}
        }],
        "schedule": {"startDateTime": "2024-01-02T00:00:00Z", "expiration": {"type": "afterDateTime", "endDateTime": "2025-01-02T00:00:00Z"}}
    }));
    assert_eq!(request.request_type, Some(models::AccessPackageRequestType::UserAdd));
    assert_eq!(request.created_date_time.unwrap().to_rfc3339(), "2024-01-02T03:04:05+00:00");
    match &request.answers.as_ref().unwrap()[0] {
        models::AnyAccessPackageAnswer::AccessPackageAnswerString(a) => assert_eq!(a.value.as_deref(), Some("EMEA")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn custom_workflow_extension_family() {
    let ext: AnyCustomCalloutExtension = roundtrip(&json!({
        "@odata.type": "#microsoft.graph.accessPackageAssignmentRequestWorkflowExtension",
        "id": "98ffaec6-4a71-4b13-8f7b-2e6c7a3e1c55",
        "displayName": "test_action_0124",
        "description": "this is for graph testing only",
        "endpointConfiguration": {
            "@odata.type": "#microsoft.graph.logicAppTriggerEndpointConfiguration",
            "subscriptionId": "38ab2ccc-3747-4567-b36b-9478f5602f0d",
            "resourceGroupName": "EMLogicApp",
            "logicAppWorkflowName": "customextension_test",
            "url": "https://prod-31.eastus.logic.azure.com:443/workflows/8ccffea766ae48e680gd9a22d1549bbc/triggers/manual/paths/invoke"
        },
        "authenticationConfiguration": {
            "@odata.type": "#microsoft.graph.azureAdPopTokenAuthentication"
        },
        "callbackConfiguration": {
            "@odata.type": "#microsoft.graph.customExtensionCallbackConfiguration",
            "timeoutDuration": "PT1H"
        }
    }));
    let AnyCustomCalloutExtension::AccessPackageAssignmentRequestWorkflowExtension(ext) = ext else {
        panic!("dispatched to the wrong variant: {ext:?}");
    };
    assert!(matches!(
        ext.endpoint_configuration,
        Some(AnyCustomExtensionEndpointConfiguration::LogicAppTriggerEndpointConfiguration(ref l))
            if l.logic_app_workflow_name.as_deref() == Some("customextension_test")
    ));
}

#[test]
fn page_of_access_packages_with_next_link() {
    let page: Page<AccessPackage> = serde_json::from_value(json!({
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#identityGovernance/entitlementManagement/accessPackages",
        "@odata.nextLink": "https://graph.microsoft.com/v1.0/identityGovernance/entitlementManagement/accessPackages?$skiptoken=abc",
        "value": [
            {"id": "1b153a13-76da-4d07-9afa-c6c2b1f2e824", "displayName": "Sales and Marketing", "isHidden": false,
             "createdDateTime": "2021-01-26T22:30:57.37Z", "modifiedDateTime": "2021-01-26T22:30:57.37Z"}
        ]
    }))
    .unwrap();
    assert_eq!(page.value.len(), 1);
    assert_eq!(page.value[0].display_name.as_deref(), Some("Sales and Marketing"));
    assert!(page.next_link.unwrap().contains("$skiptoken=abc"));
}

#[test]
fn open_types_keep_undeclared_properties() {
    // directoryObject values stand for any directory object (users, groups, service principals...).
    let sponsor: models::DirectoryObject = roundtrip(&json!({
        "@odata.type": "#microsoft.graph.user",
        "id": "u-9",
        "displayName": "Megan Bowen",
        "mail": "megan@contoso.com"
    }));
    assert_eq!(sponsor.additional_properties["displayName"], "Megan Bowen");
}

#[test]
fn iso_durations() {
    for text in ["P7D", "PT1H30M", "P1Y2M3W4DT5H6M7.5S", "-P1D", "PT0S"] {
        let d: IsoDuration = text.parse().unwrap();
        assert_eq!(d.to_string(), text);
    }
    for bad in ["", "P", "7D", "PT", "P1H", "PXD", "P1DT"] {
        assert!(bad.parse::<IsoDuration>().is_err(), "{bad}");
    }
    assert_eq!("P1M".parse::<IsoDuration>().unwrap().to_std(), None, "months have no fixed length");
}

/// A timestamp decodes to what chrono's own `Deserialize` gives, value or error, whatever its
/// form: Graph's (`2024-05-01T12:30:00.1234567Z`, read by the model's fast path) and every other
/// RFC 3339 spelling or malformed text (left to chrono).
#[test]
fn timestamps_decode_as_chrono_decodes_them() {
    use proptest::prelude::*;
    fn check(text: &str) {
        let ours = serde_json::from_value::<AccessPackage>(serde_json::json!({ "createdDateTime": text }))
            .map(|p| p.created_date_time.unwrap())
            .map_err(|e| e.to_string());
        let chrono =
            serde_json::from_value::<chrono::DateTime<chrono::Utc>>(serde_json::json!(text)).map_err(|e| e.to_string());
        assert_eq!(ours, chrono, "{text:?}");
    }
    for text in [
        "2024-05-01T12:30:00Z",
        "2024-05-01T12:30:00.1234567Z",
        "2024-05-01T12:30:00.123456789Z",
        "2024-05-01T12:30:00.1234567891Z",
        "2024-05-01T12:30:00.Z",
        "2024-05-01T12:30:00+02:00",
        "2024-05-01t12:30:00z",
        "2024-05-01 12:30:00Z",
        "2016-12-31T23:59:60Z",
        "2023-02-29T00:00:00Z",
        "2024-02-29T24:00:00Z",
        "0000-01-01T00:00:00Z",
        "9999-12-31T23:59:59.999999999Z",
        "2024-13-01T00:00:00Z",
        "2024-05-01T12:3a:00Z",
        "+2024-05-01T12:30:00Z",
        "２０２４-05-01T12:30:00Z",
        "",
    ] {
        check(text);
    }
    let graph_like =
        "[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{0,11})?([Zz]|[+-][0-9]{2}:[0-9]{2})?";
    proptest!(ProptestConfig::with_cases(4000), |(text in graph_like)| check(&text));
    proptest!(ProptestConfig::with_cases(1000), |(text in "[0-9T:.Z+-]{0,30}")| check(&text));
}

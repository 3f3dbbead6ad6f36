//! The crate of a permission set (EntitlementManagement.ReadWrite.All + User.Read.All) against the
//! test kit: `examples/assign_by_name.rs` (names read from a file's text, comments, blanks and
//! repeats in another case skipped, resolved in one batch with one unknown, then one assignment
//! request per user found, in one batch; nothing sent for the unknown name), and a 403 naming the
//! permission of the set that the call needs.
#![cfg(feature = "test-util")]

#[allow(dead_code)] // its `main` is the example's
#[path = "../examples/assign_by_name.rs"]
mod example;

use msgraph_entitlement::models::{AccessPackageAssignmentRequest, AnyUser, User};
use msgraph_entitlement::permissions::{ConsentType, SET};
use msgraph_entitlement::testing::{MockError, MockGraph};

fn user(id: &str) -> AnyUser {
    AnyUser::User(User { id: Some(id.into()), ..Default::default() })
}

#[tokio::test]
async fn names_are_resolved_in_a_batch_then_assigned() {
    let names = example::read_names(
        "# onboarding\nada@contoso.com\n\ngrace@contoso.com # team lead\nADA@contoso.com\nnobody@contoso.com\n",
    );
    assert_eq!(names, ["ada@contoso.com", "grace@contoso.com", "nobody@contoso.com"]);

    let graph = MockGraph::start().await;
    let client = graph.app_only_client();
    let users = client.users();
    let _ = graph.expect(users.by_id("ada@contoso.com").get().select(["id"])).respond(user("id-ada")).times(1);
    let _ = graph.expect(users.by_id("grace@contoso.com").get().select(["id"])).respond(user("id-grace")).times(1);
    let _ = graph
        .expect(users.by_id("nobody@contoso.com").get().select(["id"]))
        .fail(MockError::not_found("Resource 'nobody@contoso.com' does not exist"))
        .times(1);
    let requests = client.entitlement_management().assignment_requests();
    for (target, request) in [("id-ada", "req-1"), ("id-grace", "req-2")] {
        let body = AccessPackageAssignmentRequest::default();
        let _ = graph
            .expect(requests.create(&body))
            .body_where(move |b: &AccessPackageAssignmentRequest| {
                b.assignment.as_ref().and_then(|a| a.target_id.as_deref()) == Some(target)
                    && b.assignment.as_ref().and_then(|a| a.access_package_id.as_deref()) == Some("ap-1")
            })
            .respond(AccessPackageAssignmentRequest { id: Some(request.into()), ..Default::default() })
            .times(1);
    }

    let outcome = example::assign_by_name(&client, &names, "ap-1", "policy-1").await;
    assert_eq!(
        outcome.requested,
        [
            ("ada@contoso.com".to_string(), "id-ada".to_string(), "req-1".to_string()),
            ("grace@contoso.com".to_string(), "id-grace".to_string(), "req-2".to_string()),
        ]
    );
    assert_eq!(outcome.not_found, ["nobody@contoso.com"]);
    assert!(outcome.failed.is_empty(), "{:?}", outcome.failed);
    // Every call went in a `$batch`: three lookups, two requests (none for the unknown name).
    let received = graph.received();
    assert_eq!(received.len(), 5, "{received:?}");
    assert!(received.iter().all(|r| r.batch_item.is_some()), "{received:?}");
    graph.verify();
}

/// Each call's 403 names the permission of the set that allows it: a user read needs
/// `User.Read.All`, an assignment request `EntitlementManagement.ReadWrite.All`.
#[tokio::test]
async fn a_403_names_the_permission_of_the_set_the_call_needs() {
    assert_eq!(
        SET.iter().map(|p| p.name).collect::<Vec<_>>(),
        ["EntitlementManagement.ReadWrite.All", "User.Read.All"]
    );
    let graph = MockGraph::start().await;
    let client = graph.app_only_client();
    let _ = graph.expect(client.users().by_id("ada@contoso.com").get()).fail(MockError::forbidden());
    let e = client.users().by_id("ada@contoso.com").get().await.unwrap_err();
    let required = e.details().unwrap().required_permission.unwrap();
    assert_eq!((required.consent, required.permission.name), (ConsentType::Application, "User.Read.All"));
    assert!(e.to_string().contains("needs the application permission `User.Read.All`"), "{e}");

    let requests = client.entitlement_management().assignment_requests();
    let _ = graph.expect(requests.list()).fail(MockError::forbidden());
    let e = requests.list().await.unwrap_err();
    let required = e.details().unwrap().required_permission.unwrap();
    assert_eq!(required.permission.name, "EntitlementManagement.ReadWrite.All");
    graph.verify();
}

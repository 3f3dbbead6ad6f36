//! The generated client against a local HTTP server (wiremock on 127.0.0.1): the method, path,
//! query, headers and body it sends, and how it decodes answers.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use msgraph_entitlement::models::{self, AccessPackageFilterByCurrentUserOptions};
use msgraph_entitlement::{Client, Error, ODataReference, StaticToken};
use serde_json::json;
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn setup() -> (MockServer, Client) {
    let server = MockServer::start().await;
    let client =
        Client::builder(StaticToken::new("secret-token")).base_url(format!("{}/v1.0", server.uri())).build().unwrap();
    (server, client)
}

const EM: &str = "/v1.0/identityGovernance/entitlementManagement";

#[tokio::test]
async fn list_with_query_options_and_bearer_token() {
    let (server, client) = setup().await;
    Mock::given(method("GET"))
        .and(path(format!("{EM}/accessPackages")))
        .and(query_param("$filter", "displayName eq 'Sales & Marketing'"))
        .and(query_param("$top", "5"))
        .and(query_param("$expand", "resourceRoleScopes($expand=role,scope)"))
        .and(header("authorization", "Bearer secret-token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "value": [{"id": "ap-1", "displayName": "Sales & Marketing"}],
            "@odata.nextLink": "https://graph.microsoft.com/v1.0/next"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let page = client
        .entitlement_management()
        .access_packages()
        .list()
        .filter("displayName eq 'Sales & Marketing'")
        .top(5)
        .expand("resourceRoleScopes($expand=role,scope)")
        .await
        .unwrap();
    assert_eq!(page.value[0].id.as_deref(), Some("ap-1"));
    assert!(page.next_link.is_some());
}

#[tokio::test]
async fn ids_are_one_encoded_segment() {
    let (server, client) = setup().await;
    let request = client.entitlement_management().access_packages().by_id("a/b?c#d%e'f g").get();
    assert_eq!(request.path(), "/identityGovernance/entitlementManagement/accessPackages/a%2Fb%3Fc%23d%25e%27f%20g");
    Mock::given(method("GET"))
        .and(path(format!("{EM}/accessPackages/a%2Fb%3Fc%23d%25e%27f%20g")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "a/b?c#d%e'f g"})))
        .expect(1)
        .mount(&server)
        .await;
    let package = request.await.unwrap();
    assert_eq!(package.id.as_deref(), Some("a/b?c#d%e'f g"));
}

#[tokio::test]
async fn functions_take_quoted_odata_literals() {
    let (_server, client) = setup().await;
    let r = client
        .entitlement_management()
        .access_packages()
        .filter_by_current_user(AccessPackageFilterByCurrentUserOptions::AllowedRequestor);
    assert_eq!(
        r.path(),
        "/identityGovernance/entitlementManagement/accessPackages/filterByCurrentUser(on='allowedRequestor')"
    );
    let r = client.entitlement_management().assignments().additional_access("it's", "b/c");
    assert_eq!(
        r.path(),
        "/identityGovernance/entitlementManagement/assignments/additionalAccess(accessPackageId='it%27%27s',incompatibleAccessPackageId='b%2Fc')"
    );
}

#[tokio::test]
async fn create_sends_the_typed_body() {
    let (server, client) = setup().await;
    let body = models::AccessPackage {
        display_name: Some("Marketing".into()),
        description: Some("Access for marketing".into()),
        is_hidden: Some(false),
        catalog: Some(models::AccessPackageCatalog { id: Some("cat-1".into()), ..Default::default() }),
        ..Default::default()
    };
    Mock::given(method("POST"))
        .and(path(format!("{EM}/accessPackages")))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({
            "displayName": "Marketing", "description": "Access for marketing", "isHidden": false, "catalog": {"id": "cat-1"}
        })))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": "new-id", "displayName": "Marketing"})))
        .expect(1)
        .mount(&server)
        .await;
    let created = client.entitlement_management().access_packages().create(&body).await.unwrap();
    assert_eq!(created.id.as_deref(), Some("new-id"));
}

#[tokio::test]
async fn references_and_actions() {
    let (server, client) = setup().await;
    let reference = ODataReference::to(&client, "groups", "g-1");
    Mock::given(method("POST"))
        .and(path(format!("{EM}/accessPackages/ap-1/incompatibleGroups/$ref")))
        .and(body_json(json!({"@odata.id": format!("{}/v1.0/groups/g-1", server.uri())})))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(format!("{EM}/accessPackages/ap-1/incompatibleGroups/g-1/$ref")))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("{EM}/assignmentRequests/r-1/resume")))
        .and(body_json(json!({"source": "Contoso.SodCheckProcess", "type": "microsoft.graph.accessPackageCustomExtensionStage.assignmentRequestCreated"})))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let package = client.entitlement_management().access_packages().by_id("ap-1");
    package.incompatible_groups().add_ref(&reference).await.unwrap();
    package.incompatible_groups().by_id("g-1").delete_ref().await.unwrap();
    let params = models::ResumeParameters {
        source: Some("Contoso.SodCheckProcess".into()),
        type_: Some("microsoft.graph.accessPackageCustomExtensionStage.assignmentRequestCreated".into()),
        data: None,
        ..Default::default()
    };
    client.entitlement_management().assignment_requests().by_id("r-1").resume(&params).await.unwrap();
}

#[tokio::test]
async fn update_returns_none_on_no_content() {
    let (server, client) = setup().await;
    Mock::given(method("PATCH"))
        .and(path(format!("{EM}/settings")))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    let settings = models::EntitlementManagementSettings {
        external_user_lifecycle_action: Some(models::AccessPackageExternalUserLifecycleAction::BlockSignInAndDelete),
        ..Default::default()
    };
    let answer = client.entitlement_management().settings().update(&settings).await.unwrap();
    assert!(answer.is_none());
}

#[tokio::test]
async fn graph_errors_are_typed() {
    let (server, client) = setup().await;
    Mock::given(method("GET"))
        .and(path(format!("{EM}/catalogs/missing")))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({
            "error": {"code": "ResourceNotFound", "message": "Catalog not found.",
                      "innerError": {"request-id": "b0f9c0e7-1111-2222-3333-444455556666", "date": "2024-05-01T08:30:00"}}
        })))
        .mount(&server)
        .await;
    let err = client.entitlement_management().catalogs().by_id("missing").get().await.unwrap_err();
    assert_eq!(err.status(), Some(404));
    let graph = err.graph_error().unwrap();
    assert_eq!(graph.code, "ResourceNotFound");
    let text = err.to_string();
    assert!(
        text.contains("ResourceNotFound")
            && text.contains("Catalog not found.")
            && text.contains("b0f9c0e7-1111-2222-3333-444455556666"),
        "{text}"
    );
}

#[tokio::test]
async fn malformed_json_is_a_decode_error() {
    let (server, client) = setup().await;
    Mock::given(method("GET"))
        .and(path(format!("{EM}/catalogs")))
        .respond_with(ResponseTemplate::new(200).set_body_string("{\"value\": [ {\"id\": "))
        .mount(&server)
        .await;
    let err = client.entitlement_management().catalogs().list().await.unwrap_err();
    assert!(matches!(err, Error::Decode { status: 200, .. }), "{err:?}");
    assert!(err.to_string().contains("{\"value\""), "the error shows the start of the body: {err}");
}

#[test]
fn tokens_never_show_in_debug_output() {
    let token = StaticToken::new("super-secret");
    assert!(!format!("{token:?}").contains("super-secret"));
    let client = Client::new(token).unwrap();
    assert!(!format!("{client:?}").contains("super-secret"));
}

#[test]
fn bad_base_urls_are_rejected() {
    let err = Client::builder(StaticToken::new("t")).base_url("ftp://example.com").build().unwrap_err();
    assert!(err.to_string().contains("ftp://example.com"), "{err}");
    let err = Client::builder(StaticToken::new("t")).base_url("not a url").build().unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err}");
}

#[tokio::test]
async fn typed_select_and_order_by() {
    use msgraph_entitlement::fields::{AccessPackageCatalogField, AccessPackageField};
    let (server, client) = setup().await;
    Mock::given(method("GET"))
        .and(path(format!("{EM}/accessPackages")))
        .and(query_param("$select", "id,displayName"))
        .and(query_param("$orderby", "createdDateTime desc"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": []})))
        .expect(1)
        .mount(&server)
        .await;
    client
        .entitlement_management()
        .access_packages()
        .list()
        .select_fields(&[AccessPackageField::Id, AccessPackageField::DisplayName])
        .order_by_field(AccessPackageField::CreatedDateTime, true)
        .await
        .unwrap();
    // Single entities too, and the field enums spell the metadata's names.
    let r = client
        .entitlement_management()
        .catalogs()
        .by_id("c")
        .get()
        .select_fields(&[AccessPackageCatalogField::CatalogType]);
    assert!(r.url().ends_with("?$select=catalogType"), "{}", r.url());
    Mock::given(method("PATCH"))
        .and(path(format!("{EM}/accessPackages/a")))
        .and(header("if-match", "W/\"1\""))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let update = models::AccessPackage { display_name: Some("renamed".into()), ..Default::default() };
    client.entitlement_management().access_packages().by_id("a").update(&update).if_match("W/\"1\"").await.unwrap();
}

#[tokio::test]
async fn count_returns_an_integer() {
    let (server, client) = setup().await;
    Mock::given(method("GET"))
        .and(path(format!("{EM}/accessPackages/$count")))
        .and(header("consistencylevel", "eventual"))
        .respond_with(ResponseTemplate::new(200).set_body_raw("42\n", "text/plain"))
        .expect(1)
        .mount(&server)
        .await;
    assert_eq!(client.entitlement_management().access_packages().count().await.unwrap(), 42);
    Mock::given(method("GET"))
        .and(path(format!("{EM}/catalogs/$count")))
        .respond_with(ResponseTemplate::new(200).set_body_raw("lots", "text/plain"))
        .mount(&server)
        .await;
    let err = client.entitlement_management().catalogs().count().await.unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
}

//! The `beta` module of the generated crate (cargo feature `beta`, enabled for this test crate):
//! its service root follows the base URL or is set on its own, requests go there, and beta rows
//! are in the permissions table with their API version.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use msgraph_entitlement::{Client, Error, StaticToken};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn builder() -> msgraph_entitlement::ClientBuilder {
    Client::builder(StaticToken::new("t"))
}

#[test]
fn the_beta_root_follows_the_base_url_or_is_set() {
    let global = builder().build().unwrap();
    assert_eq!(global.base_url(), "https://graph.microsoft.com/v1.0");
    assert_eq!(global.beta().client().base_url(), "https://graph.microsoft.com/beta");
    // The main client is not changed by reaching the beta API.
    assert_eq!(global.base_url(), "https://graph.microsoft.com/v1.0");

    let national = builder().base_url("https://graph.microsoft.us/v1.0/").build().unwrap();
    assert_eq!(national.beta().client().base_url(), "https://graph.microsoft.us/beta");

    let set = builder().beta_base_url("https://proxy.example/graph-beta/").build().unwrap();
    assert_eq!(set.beta().client().base_url(), "https://proxy.example/graph-beta");

    // A base URL without a version (a test server) serves both.
    let local = builder().base_url("http://127.0.0.1:9").build().unwrap();
    assert_eq!(local.beta().client().base_url(), "http://127.0.0.1:9");

    let err = builder().beta_base_url("ftp://example").build().unwrap_err();
    assert!(matches!(&err, Error::InvalidArgument(m) if m.contains("ftp://example")), "{err}");
}

#[tokio::test]
async fn beta_requests_go_to_the_beta_root() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/beta/identityGovernance/entitlementManagement/accessPackages"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": [{"id": "p1"}]})))
        .expect(1)
        .mount(&server)
        .await;
    let client = builder().base_url(format!("{}/v1.0", server.uri())).build().unwrap();
    let page = client.beta().identity_governance().entitlement_management().access_packages().list().await.unwrap();
    assert_eq!(page.value.len(), 1);
    assert_eq!(page.value[0].id.as_deref(), Some("p1"));
}

#[test]
fn beta_rows_are_in_the_permissions_table() {
    use msgraph_entitlement::permissions::{PERMISSIONS, for_request};
    let beta = PERMISSIONS.iter().filter(|r| r.api_version == "beta").count();
    let v1 = PERMISSIONS.iter().filter(|r| r.api_version == "v1.0").count();
    assert!(beta >= 59, "{beta} beta rows");
    assert!(v1 >= 80, "{v1} v1.0 rows");
    let row =
        for_request("GET", "https://graph.microsoft.com/beta/identityGovernance/entitlementManagement/accessPackages")
            .unwrap();
    assert_eq!(row.api_version, "beta");
    assert!(row.rust.starts_with("msgraph_entitlement::beta::api::"), "{}", row.rust);
    // Every listed beta method is generated or says why not.
    // The reference page lists 99 beta methods; at least 59 are generated from the pinned metadata.
    assert!(msgraph_entitlement::beta::UNRESOLVED.len() <= 99 - 59);
    assert!(msgraph_entitlement::beta::UNRESOLVED.iter().all(|u| !u.reason.is_empty()));
}

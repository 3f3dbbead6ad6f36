//! What a production service needs from the client, against local servers: errors that carry the
//! request id (from headers, falling back to the body) and the server's `Retry-After`, with
//! classification helpers; response metadata on success; escape hatches (own types, raw JSON,
//! untyped requests without a direct reqwest dependency); typed `$filter` on the wire, through
//! navigation properties too.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::time::Duration;

use msgraph_entitlement::fields::{
    AccessPackageAssignmentField, AccessPackageAssignmentRequestField, AccessPackageField, AccessPackageSubjectField,
};
use msgraph_entitlement::models::AccessPackageAssignmentState;
use msgraph_entitlement::runtime::{Filter, GaveUp, Json, Method, Page, RetryPolicy};
use msgraph_entitlement::{Client, Error, StaticToken};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const EM: &str = "/v1.0/identityGovernance/entitlementManagement";

async fn setup(policy: RetryPolicy) -> (MockServer, Client) {
    let server = MockServer::start().await;
    let client = Client::builder(StaticToken::new("t"))
        .base_url(format!("{}/v1.0", server.uri()))
        .retry(policy)
        .build()
        .unwrap();
    (server, client)
}

fn fast() -> RetryPolicy {
    RetryPolicy::default().base_delay(Duration::from_millis(1))
}

async fn fail_get(client: &Client, server: &MockServer, response: ResponseTemplate) -> Error {
    Mock::given(method("GET")).and(path(format!("{EM}/accessPackages/p1"))).respond_with(response).mount(server).await;
    client.entitlement_management().access_packages().by_id("p1").get().await.unwrap_err()
}

#[tokio::test]
async fn a_502_with_an_html_body_keeps_the_request_id_header() {
    let (server, client) = setup(RetryPolicy::none()).await;
    let response = ResponseTemplate::new(502)
        .insert_header("request-id", "rid-502")
        .insert_header("client-request-id", "crid-502")
        .set_body_raw("<html><body>Bad Gateway</body></html>", "text/html");
    let err = fail_get(&client, &server, response).await;
    assert_eq!(err.status(), Some(502));
    assert_eq!(err.request_id(), Some("rid-502"));
    assert_eq!(err.client_request_id(), Some("crid-502"));
    assert!(err.graph_error().is_none());
    assert!(err.is_transient() && !err.is_not_found() && !err.is_throttled());
    let text = err.to_string();
    assert!(text.contains("502") && text.contains("Bad Gateway") && text.contains("request-id rid-502"), "{text}");
}

#[tokio::test]
async fn a_retry_after_beyond_the_cap_is_not_waited_and_is_readable() {
    // The default policy waits at most 30 s; the server asks for 90.
    let (server, client) = setup(RetryPolicy::default()).await;
    let response = ResponseTemplate::new(429)
        .insert_header("retry-after", "90")
        .insert_header("request-id", "rid-429")
        .set_body_json(json!({"error": {"code": "TooManyRequests", "message": "Slow down"}}));
    let started = std::time::Instant::now();
    let err = fail_get(&client, &server, response).await;
    assert!(started.elapsed() < Duration::from_secs(5), "the client waited");
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
    assert!(err.is_throttled() && err.is_transient());
    assert_eq!(err.retry_after(), Some(Duration::from_secs(90)));
    assert_eq!(err.code(), Some("TooManyRequests"));
    // No innerError in the body: the id comes from the header.
    assert_eq!(err.request_id(), Some("rid-429"));
    assert_eq!(err.details().unwrap().gave_up, Some(GaveUp::RetryAfterTooLong { max_delay: Duration::from_secs(30) }));
    let text = err.to_string();
    assert!(text.contains("TooManyRequests: Slow down") && text.contains("request-id rid-429"), "{text}");
    assert!(text.contains("Retry-After 90 s") && text.contains("longer than the retry policy's 30 s cap"), "{text}");
}

#[tokio::test]
async fn throttling_that_outlasts_the_attempts_says_so() {
    let policy = fast().max_attempts(2);
    let (server, client) = setup(policy).await;
    let response = ResponseTemplate::new(429).insert_header("retry-after", "0");
    let err = fail_get(&client, &server, response).await;
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
    assert_eq!(err.details().unwrap().gave_up, Some(GaveUp::Attempts { attempts: 2 }));
    assert_eq!(err.retry_after(), Some(Duration::ZERO));
}

#[tokio::test]
async fn classification_of_graph_errors() {
    type Check = fn(&Error) -> bool;
    let cases: [(u16, &str, Check); 5] = [
        (404, "Request_ResourceNotFound", Error::is_not_found),
        (403, "Authorization_RequestDenied", Error::is_consent_missing),
        (409, "Conflict", Error::is_conflict),
        (412, "PreconditionFailed", Error::is_precondition_failed),
        (403, "AccessDenied", Error::is_forbidden),
    ];
    for (status, code, check) in cases {
        let (server, client) = setup(RetryPolicy::none()).await;
        let body = json!({"error": {"code": code, "message": "m", "innerError": {"request-id": "rid-body", "date": "2026-11-30T00:00:00"}}});
        let err = fail_get(&client, &server, ResponseTemplate::new(status).set_body_json(body)).await;
        assert!(check(&err), "{status} {code}: {err}");
        assert!(!err.is_transient(), "{status}");
        // No header: the body's innerError gives the id.
        assert_eq!(err.request_id(), Some("rid-body"));
        assert_eq!(err.code(), Some(code));
    }
    // A 403 for another reason is forbidden, not missing consent.
    let (server, client) = setup(RetryPolicy::none()).await;
    let body = json!({"error": {"code": "AccessDenied", "message": "m"}});
    let err = fail_get(&client, &server, ResponseTemplate::new(403).set_body_json(body)).await;
    assert!(err.is_forbidden() && !err.is_consent_missing());
}

#[tokio::test]
async fn success_metadata_request_id_etag_location() {
    let (server, client) = setup(RetryPolicy::none()).await;
    Mock::given(method("POST"))
        .and(path(format!("{EM}/assignmentRequests")))
        .respond_with(
            ResponseTemplate::new(201)
                .insert_header("request-id", "rid-201")
                .insert_header("etag", "W/\"abc\"")
                .insert_header("location", "https://graph.microsoft.com/v1.0/x/1")
                .set_body_json(json!({"id": "r1", "state": "submitted"})),
        )
        .mount(&server)
        .await;
    let body = msgraph_entitlement::models::AccessPackageAssignmentRequest::default();
    let response =
        client.entitlement_management().assignment_requests().create(&body).send_with_metadata().await.unwrap();
    assert_eq!(response.status, 201);
    assert_eq!(response.request_id(), Some("rid-201"));
    assert_eq!(response.etag(), Some("W/\"abc\""));
    assert_eq!(response.location(), Some("https://graph.microsoft.com/v1.0/x/1"));
    assert_eq!(response.value.id.as_deref(), Some("r1"));
}

/// A user's own row type, with a property the generated model does not have.
#[derive(Debug, serde::Deserialize)]
struct MyRow {
    id: String,
    #[serde(rename = "catalogId")]
    catalog_id: Option<String>,
}

#[tokio::test]
async fn decode_as_keeps_paging_and_raw_json_reads_anything() {
    let (server, client) = setup(RetryPolicy::none()).await;
    let next = format!("{}/v1.0/identityGovernance/entitlementManagement/accessPackages?$skiptoken=2", server.uri());
    Mock::given(method("GET"))
        .and(path(format!("{EM}/accessPackages")))
        .and(wiremock::matchers::query_param_is_missing("$skiptoken"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"value": [{"id": "a", "catalogId": "c1"}], "@odata.nextLink": next})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{EM}/accessPackages")))
        .and(wiremock::matchers::query_param("$skiptoken", "2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": [{"id": "b"}]})))
        .mount(&server)
        .await;
    let rows: Vec<MyRow> = client
        .entitlement_management()
        .access_packages()
        .list()
        .decode_as::<Page<MyRow>>()
        .collect_all(10)
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!((rows[0].id.as_str(), rows[0].catalog_id.as_deref()), ("a", Some("c1")));
    assert_eq!(rows[1].id, "b");

    let raw = client.entitlement_management().access_packages().list().raw_json().await.unwrap();
    assert_eq!(raw["value"][0]["catalogId"], "c1");

    Mock::given(method("DELETE"))
        .and(path(format!("{EM}/accessPackages/p1")))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    let raw = client.entitlement_management().access_packages().by_id("p1").delete().raw_json().await.unwrap();
    assert!(raw.is_null());

    // Any path, without a direct reqwest dependency: the method type is re-exported.
    let raw = client
        .request::<Json<serde_json::Value>>(
            Method::GET,
            "/identityGovernance/entitlementManagement/accessPackages".to_string(),
        )
        .await
        .unwrap();
    assert_eq!(raw["value"][0]["id"], "a");
}

#[tokio::test]
async fn json_replaces_the_typed_body() {
    let (server, client) = setup(RetryPolicy::none()).await;
    Mock::given(method("PATCH"))
        .and(path(format!("{EM}/accessPackages/p1")))
        .and(wiremock::matchers::body_json(json!({"description": null})))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let typed =
        msgraph_entitlement::models::AccessPackage { display_name: Some("ignored".into()), ..Default::default() };
    client
        .entitlement_management()
        .access_packages()
        .by_id("p1")
        .update(&typed)
        .json(&json!({"description": null}))
        .await
        .unwrap();
}

/// The `$filter` the server saw, after one URL-decoding.
async fn filter_on_the_wire(filter: Filter<AccessPackageField>) -> String {
    let (server, client) = setup(RetryPolicy::none()).await;
    Mock::given(method("GET"))
        .and(path(format!("{EM}/accessPackages")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": []})))
        .mount(&server)
        .await;
    client.entitlement_management().access_packages().list().filter_by(filter).await.unwrap();
    let requests = server.received_requests().await.unwrap();
    let url = &requests[0].url;
    // One URL-decoding gives the expression back (the callers compare it with the text written):
    // each special character was percent-encoded exactly once.
    url.query_pairs().find(|(k, _)| k == "$filter").map(|(_, v)| v.into_owned()).unwrap()
}

#[tokio::test]
async fn typed_filters_reach_the_server_as_written() {
    use AccessPackageField as F;
    assert_eq!(
        filter_on_the_wire(Filter::eq(F::DisplayName, "Sales & O'Brien")).await,
        "displayName eq 'Sales & O''Brien'"
    );
    assert_eq!(
        filter_on_the_wire(Filter::eq(F::DisplayName, "50% #1 + ünïcödé 日本 a&b=c?")).await,
        "displayName eq '50% #1 + ünïcödé 日本 a&b=c?'"
    );
    let id = uuid::Uuid::parse_str("6b0c9a4e-1f2d-4c3b-8a9e-0123456789ab").unwrap();
    assert_eq!(
        filter_on_the_wire(Filter::eq(F::Id, id).or(Filter::starts_with(F::DisplayName, "Sa'les"))).await,
        "id eq 6b0c9a4e-1f2d-4c3b-8a9e-0123456789ab or startswith(displayName,'Sa''les')"
    );
    let at = chrono::DateTime::parse_from_rfc3339("2026-05-01T10:00:00Z").unwrap().with_timezone(&chrono::Utc);
    assert_eq!(
        filter_on_the_wire(Filter::ge(F::CreatedDateTime, at).and(!Filter::eq(F::IsHidden, true))).await,
        "createdDateTime ge 2026-05-01T10:00:00Z and not (isHidden eq true)"
    );
    assert_eq!(
        filter_on_the_wire(Filter::is_in(F::DisplayName, ["a", "b'c"]).and(Filter::is_null(F::Description))).await,
        "displayName in ('a','b''c') and description eq null"
    );
}

#[test]
fn filter_rendering() {
    use AccessPackageAssignmentField as A;
    use AccessPackageField as F;
    // Enum members are quoted; combinations get parentheses where precedence needs them.
    let f = Filter::eq(A::State, AccessPackageAssignmentState::Delivered)
        .and(Filter::eq(A::Id, "x").or(Filter::contains(A::Status, "pend")));
    assert_eq!(f.to_string(), "state eq 'delivered' and (id eq 'x' or contains(status,'pend'))");
    // Lambdas over a collection of complex values (the item's properties by name), of
    // primitives, nested.
    let inner = Filter::eq(A::State, AccessPackageAssignmentState::Expired);
    assert_eq!(
        Filter::any(A::CustomExtensionCalloutInstances, Filter::eq("status", "calloutSent")).to_string(),
        "customExtensionCalloutInstances/any(x:x/status eq 'calloutSent')"
    );
    assert_eq!(Filter::<A>::raw("x").and(inner).to_string(), "x and state eq 'expired'");
    assert_eq!(Filter::any_eq(F::DisplayName, "v").to_string(), "displayName/any(x:x eq 'v')");
    let nested = Filter::any(A::Schedule, Filter::all("items", Filter::ne("id", "1")));
    assert_eq!(nested.to_string(), "schedule/any(x:x/items/all(x1:x1/id ne '1'))");
    assert_eq!(
        Filter::not_empty(A::CustomExtensionCalloutInstances).to_string(),
        "customExtensionCalloutInstances/any()"
    );
    // Numbers, booleans, null, dates.
    assert_eq!(Filter::gt(F::Id, 1.0_f64).to_string(), "id gt 1.0");
    assert_eq!(Filter::lt(F::Id, 7_i64).to_string(), "id lt 7");
    assert_eq!(Filter::eq(F::Id, None::<&str>).to_string(), "id eq null");
    let day = chrono::NaiveDate::from_ymd_opt(2026, 1, 2).unwrap();
    assert_eq!(Filter::le(F::ModifiedDateTime, day).to_string(), "modifiedDateTime le 2026-01-02");
}

/// The documented queries over navigation properties, typed: the exact URL sent.
#[test]
fn navigation_queries_on_the_wire() {
    use AccessPackageAssignmentField as A;
    use AccessPackageAssignmentRequestField as R;
    use AccessPackageField as P;
    use AccessPackageSubjectField as S;
    let client = Client::new(StaticToken::new("t")).unwrap();
    let em = client.entitlement_management();
    let root = "https://graph.microsoft.com/v1.0/identityGovernance/entitlementManagement";
    // "List assignments of an access package": $filter=accessPackage/id eq '{id}' with $expand=target.
    let url = em
        .assignments()
        .list()
        .filter_by(Filter::eq(A::access_package().field(P::Id), "4b7d4c69-33bb-4f77-9b5d-7e7e3a4c1f00"))
        .expand_nav(A::target())
        .url();
    assert_eq!(
        url,
        format!(
            "{root}/assignments?$filter=accessPackage/id%20eq%20'4b7d4c69-33bb-4f77-9b5d-7e7e3a4c1f00'&$expand=target"
        )
    );
    // "List the assignments of a user": $expand=target&$filter=target/objectId eq '{id}'.
    let url = em
        .assignments()
        .list()
        .expand_nav(A::target())
        .filter_by(Filter::eq(A::target().field(S::ObjectId), "7deff43e-1f17-44ef-9e5f-d516b0ba11d4"))
        .url();
    assert_eq!(
        url,
        format!(
            "{root}/assignments?$expand=target&$filter=target/objectId%20eq%20'7deff43e-1f17-44ef-9e5f-d516b0ba11d4'"
        )
    );
    // "List the requests of a user": $expand=requestor&$filter=requestor/objectId eq '{id}'.
    let url = em
        .assignment_requests()
        .list()
        .expand_nav(R::requestor())
        .filter_by(Filter::eq(R::requestor().field(S::ObjectId), "7deff43e-1f17-44ef-9e5f-d516b0ba11d4"))
        .url();
    assert_eq!(
        url,
        format!(
            "{root}/assignmentRequests?$expand=requestor&$filter=requestor/objectId%20eq%20'7deff43e-1f17-44ef-9e5f-d516b0ba11d4'"
        )
    );
    // A request of one package in a state, newest first, with the package's name (a `=` inside
    // a query value is percent-encoded: one decoding gives `$select=id,displayName`).
    let url = em
        .assignment_requests()
        .list()
        .filter_by(Filter::eq(R::access_package().field(P::Id), "ap-1").and(Filter::eq(R::State, "delivered")))
        .order_by_field(R::access_package().field(P::DisplayName), false)
        .order_by_field(R::CreatedDateTime, true)
        .expand_select(R::access_package(), &[P::Id, P::DisplayName])
        .expand_nav(R::requestor())
        .url();
    assert_eq!(
        url,
        format!(
            "{root}/assignmentRequests?$filter=accessPackage/id%20eq%20'ap-1'%20and%20state%20eq%20'delivered'\
             &$orderby=accessPackage/displayName,createdDateTime%20desc\
             &$expand=accessPackage($select%3Did,displayName),requestor"
        )
    );
    // Collection-valued navigation properties: `$expand`, and `any` over their items.
    let scopes = Filter::any(P::resource_role_scopes(), Filter::eq("id", "s-1"));
    assert_eq!(scopes.to_string(), "resourceRoleScopes/any(x:x/id eq 's-1')");
    assert_eq!(format!("{:?}", A::access_package().field(P::Id)), "Hop(accessPackage/id)");
}

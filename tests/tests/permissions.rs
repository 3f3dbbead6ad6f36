//! `permissions::for_request` on real-looking request URLs, and the table's contents.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use msgraph_entitlement::permissions::{PERMISSIONS, for_request};

fn path_of(method: &str, url: &str) -> &'static str {
    match for_request(method, url) {
        Some(row) => row.path,
        None => panic!("no row for {method} {url}"),
    }
}

const EM: &str = "/identityGovernance/entitlementManagement";

#[test]
fn absolute_urls_with_ids_and_query_strings() {
    let row = for_request(
        "GET",
        "https://graph.microsoft.com/v1.0/identityGovernance/entitlementManagement/accessPackages/6b0c9e3d-7f5a-4c3b-9a4e-0e1f2d3c4b5a?$expand=resourceRoleScopes($expand=role,scope)",
    )
    .unwrap();
    assert_eq!(row.path, format!("{EM}/accessPackages/{{accessPackageId}}"));
    assert!(row.delegated && row.application);
    assert_eq!(row.least_privileged_application, ["EntitlementManagement.Read.All"]);
    assert_eq!(row.rust, "msgraph_entitlement::api::AccessPackagesItemRequestBuilder::get");
}

#[test]
fn relative_urls_with_or_without_version() {
    let expected = format!("{EM}/catalogs/{{accessPackageCatalogId}}");
    assert_eq!(path_of("DELETE", "/v1.0/identityGovernance/entitlementManagement/catalogs/c-1"), expected);
    assert_eq!(path_of("delete", "identityGovernance/entitlementManagement/catalogs/c-1"), expected);
    assert_eq!(path_of("DELETE", "/IDENTITYGOVERNANCE/entitlementmanagement/Catalogs/c-1/"), expected);
    assert!(
        for_request("DELETE", "/beta/identityGovernance/entitlementManagement/catalogs/c-1").is_none(),
        "v1.0 rows only"
    );
}

#[test]
fn functions_beat_keys_and_arguments_are_matched_by_name() {
    let row = for_request(
        "GET",
        "https://graph.microsoft.com/v1.0/identityGovernance/entitlementManagement/accessPackages/filterByCurrentUser(on='allowedRequestor')",
    )
    .unwrap();
    assert_eq!(row.path, format!("{EM}/accessPackages/filterByCurrentUser(on='{{on}}')"));
    assert!(row.delegated && !row.application, "delegated only");
    let row = for_request(
        "GET",
        "/identityGovernance/entitlementManagement/assignments/microsoft.graph.additionalAccess(incompatibleAccessPackageId='b',accessPackageId='a%2F(b)')",
    )
    .unwrap();
    assert!(row.path.contains("additionalAccess("));
    assert!(
        for_request("GET", "/identityGovernance/entitlementManagement/assignments/additionalAccess(x='1')").is_none()
    );
}

#[test]
fn references_and_actions() {
    assert_eq!(
        path_of("POST", "/identityGovernance/entitlementManagement/accessPackages/ap-1/incompatibleGroups/$ref"),
        format!("{EM}/accessPackages/{{accessPackageId}}/incompatibleGroups/$ref")
    );
    assert_eq!(
        path_of("DELETE", "/identityGovernance/entitlementManagement/accessPackages/ap-1/incompatibleGroups/g-1/$ref"),
        format!("{EM}/accessPackages/{{accessPackageId}}/incompatibleGroups/{{groupId}}/$ref")
    );
    assert_eq!(
        path_of("POST", "/identityGovernance/entitlementManagement/assignmentRequests/r-1/reprocess"),
        format!("{EM}/assignmentRequests/{{accessPackageAssignmentRequestId}}/reprocess")
    );
    // Keys in parentheses.
    assert_eq!(
        path_of("GET", "/identityGovernance/entitlementManagement/accessPackages('ap-1')"),
        format!("{EM}/accessPackages/{{accessPackageId}}")
    );
}

#[test]
fn the_same_row_whatever_the_ids() {
    for id in ["1", "6b0c9e3d-7f5a-4c3b-9a4e-0e1f2d3c4b5a", "a%2Fb", "it's", "x(y)", "%20"] {
        let url = format!(
            "https://graph.microsoft.com/v1.0/identityGovernance/entitlementManagement/connectedOrganizations/{id}/externalSponsors/{id}/$ref"
        );
        assert_eq!(
            path_of("DELETE", &url),
            format!(
                "{EM}/connectedOrganizations/{{connectedOrganizationId}}/externalSponsors/{{directoryObjectId}}/$ref"
            ),
            "{id}"
        );
    }
}

#[test]
fn unknown_requests_have_no_row() {
    assert!(for_request("GET", "https://graph.microsoft.com/v1.0/me").is_none());
    assert!(for_request("PATCH", "/identityGovernance/entitlementManagement/accessPackages").is_none());
    assert!(for_request("GET", "").is_none());
}

#[test]
fn every_row_is_found_by_its_own_template() {
    for row in PERMISSIONS {
        // Fill the template's placeholders with sample values.
        let mut url = String::new();
        let mut rest = row.path;
        while let Some(open) = rest.find('{') {
            url.push_str(&rest[..open]);
            let close = rest[open..].find('}').unwrap() + open;
            url.push_str("x-1");
            rest = &rest[close + 1..];
        }
        url.push_str(rest);
        let full = format!("https://graph.microsoft.com/{}{url}", row.api_version);
        let found = for_request(row.http_method, &full).unwrap_or_else(|| panic!("no row for {full}"));
        assert_eq!((found.api_version, found.http_method, found.path), (row.api_version, row.http_method, row.path));
    }
}

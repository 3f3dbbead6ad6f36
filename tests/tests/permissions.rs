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

// --- The permission itself: ids, names, admin consent; the README's app registration; 403s. ---

mod permission {
    use std::time::Duration;

    use msgraph_entitlement::models::AccessPackageAssignmentRequest;
    use msgraph_entitlement::permissions::{ConsentType, GRAPH_APP_ID, PERMISSION};
    use msgraph_entitlement::runtime::RetryPolicy;
    use msgraph_entitlement::testing::{MockError, MockGraph};
    use msgraph_tests::{spec_dir, workspace_root};
    use serde_json::Value;

    /// The reference page's structured form.
    fn page() -> Value {
        let file = spec_dir().join("EntitlementManagement.ReadWrite.All.methods.json");
        serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap()
    }

    /// The page's text (`001_…txt`): "Delegate Permission" / "Application Permission", each with its
    /// `Id` and `Display String`.
    fn page_section(heading: &str) -> (String, String) {
        let dir = spec_dir();
        let text = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "txt"))
            .map(|p| std::fs::read_to_string(p).unwrap())
            .find(|t| t.contains(heading))
            .unwrap();
        let section = &text[text.find(heading).unwrap()..];
        let field =
            |name: &str| section.lines().find_map(|l| l.strip_prefix(name)).map(|v| v.trim().to_string()).unwrap();
        (field("Id "), field("Display String "))
    }

    #[test]
    fn the_constant_equals_the_reference_page() {
        let page = page();
        assert_eq!(PERMISSION.name, page["permission"]);
        let delegated = PERMISSION.delegated.unwrap();
        let application = PERMISSION.application.unwrap();
        assert_eq!(Some(page["permission_ids"]["delegated"].as_str().unwrap()), delegated.id);
        assert_eq!(Some(page["permission_ids"]["application"].as_str().unwrap()), application.id);
        assert_eq!(page["admin_consent_required"]["delegated"], delegated.admin_consent_required);
        assert_eq!(page["admin_consent_required"]["application"], application.admin_consent_required);
        // The page's text: ids and display strings per consent type.
        let (id, name) = page_section("Delegate Permission");
        assert_eq!((Some(id.as_str()), name.as_str()), (delegated.id, delegated.display_name));
        let (id, name) = page_section("Application Permission\n\nId");
        assert_eq!((Some(id.as_str()), name.as_str()), (application.id, application.display_name));
        assert_eq!(PERMISSION.consent(ConsentType::Application), Some(&application));
        assert_eq!(ConsentType::Application.resource_access_type(), "Role");
        assert_eq!(ConsentType::Delegated.resource_access_type(), "Scope");
    }

    /// The JSON blocks of the README's "App registration" section.
    fn manifest_fragments() -> Vec<Value> {
        let readme = std::fs::read_to_string(workspace_root().join("generated/README.md")).unwrap();
        let start = readme.find("## App registration").unwrap();
        let section = &readme[start..start + readme[start..].find("\n## ").unwrap_or(readme.len() - start)];
        section
            .split("```json\n")
            .skip(1)
            .map(|block| serde_json::from_str(&block[..block.find("```").unwrap()]).unwrap())
            .collect()
    }

    #[test]
    fn the_readme_manifest_fragments_are_valid_json_with_the_ids_and_types() {
        let fragments = manifest_fragments();
        assert_eq!(fragments.len(), 2, "app-only and delegated");
        let mut seen = Vec::new();
        for fragment in &fragments {
            let access = &fragment["requiredResourceAccess"][0];
            assert_eq!(access["resourceAppId"], GRAPH_APP_ID);
            let entry = &access["resourceAccess"][0];
            seen.push((entry["type"].as_str().unwrap().to_string(), entry["id"].as_str().unwrap().to_string()));
        }
        let page = page();
        assert_eq!(
            seen,
            [
                ("Role".to_string(), page["permission_ids"]["application"].as_str().unwrap().to_string()),
                ("Scope".to_string(), page["permission_ids"]["delegated"].as_str().unwrap().to_string()),
            ]
        );
        let readme = std::fs::read_to_string(workspace_root().join("generated/README.md")).unwrap();
        let role = page["permission_ids"]["application"].as_str().unwrap();
        assert!(readme.contains(&format!(
            "az ad app permission add --id <app-id> --api {GRAPH_APP_ID} --api-permissions {role}=Role"
        )));
        assert!(readme.contains("/v2.0/adminconsent?client_id=<app-id>&scope=https://graph.microsoft.com/.default"));
    }

    #[test]
    fn the_json_table_carries_the_permission_details() {
        let table: Value = serde_json::from_str(
            &std::fs::read_to_string(workspace_root().join("generated/permissions.json")).unwrap(),
        )
        .unwrap();
        let details = &table["details"];
        assert_eq!(details["resource_app_id"], GRAPH_APP_ID);
        assert_eq!(details["application"]["id"], page()["permission_ids"]["application"]);
        assert_eq!(details["application"]["resource_access_type"], "Role");
        assert_eq!(details["delegated"]["resource_access_type"], "Scope");
        assert_eq!(details["delegated"]["admin_consent_required"], true);
    }

    async fn mock() -> MockGraph {
        MockGraph::start().await
    }

    #[tokio::test]
    async fn a_403_names_the_permission_and_consent_type_the_call_needs() {
        let graph = mock().await;
        let client = graph.app_only_client();
        let packages = client.entitlement_management().access_packages().list();
        graph.expect(client.entitlement_management().access_packages().list()).fail(MockError::forbidden());
        let e = packages.await.unwrap_err();
        let text = e.to_string();
        assert!(text.starts_with("Graph error 403 Authorization_RequestDenied: Insufficient privileges"), "{text}");
        assert!(
            text.contains(
                "`GET /identityGovernance/entitlementManagement/accessPackages` needs the application permission \
                 `EntitlementManagement.ReadWrite.All` (Role 9acd699f-1e81-4958-b001-93b1d2506e19 of Microsoft Graph), \
                 granted to the app by an administrator (admin consent)"
            ),
            "{text}"
        );
        assert!(text.contains("least privileged for it: EntitlementManagement.Read.All"), "{text}");
        let required = e.details().unwrap().required_permission.unwrap();
        assert_eq!((required.consent, required.permission.name), (ConsentType::Application, PERMISSION.name));
        graph.verify();
    }

    #[tokio::test]
    async fn a_403_with_a_signed_in_user_names_the_delegated_permission_and_the_users_role() {
        let graph = mock().await;
        let client =
            graph.client_builder().retry(RetryPolicy::default().base_delay(Duration::from_millis(1))).build().unwrap();
        let create = |c: &msgraph_entitlement::Client| {
            c.entitlement_management().assignment_requests().create(&AccessPackageAssignmentRequest::default())
        };
        graph.expect(create(&client)).fail(MockError::forbidden()).times(1);
        let text = create(&client).await.unwrap_err().to_string();
        assert!(
            text.contains("needs the delegated permission `EntitlementManagement.ReadWrite.All` (Scope ae7a573d-81d7-432b-ad44-4ed5c9d89038"),
            "{text}"
        );
        assert!(text.contains("the signed-in user also needs a role that allows it"), "{text}");
        // Another 403 (not a missing grant) says nothing of the kind.
        graph.expect(create(&client)).fail(MockError::new(403, "Forbidden", "Conditional access"));
        let e = create(&client).await.unwrap_err();
        assert!(e.details().unwrap().required_permission.is_none() && !e.to_string().contains("needs"), "{e}");
        graph.verify();
    }

    #[tokio::test]
    async fn a_403_batch_item_names_the_permission_too() {
        let graph = mock().await;
        let client = graph.app_only_client();
        let em = client.entitlement_management();
        graph.expect(em.catalogs().list()).fail(MockError::forbidden());
        let mut batch = client.batch();
        let item = batch.add(em.catalogs().list());
        let e = batch.send().await.take(item).unwrap_err();
        assert!(
            e.to_string()
                .contains("`GET /identityGovernance/entitlementManagement/catalogs` needs the application permission"),
            "{e}"
        );
        graph.verify();
    }
}

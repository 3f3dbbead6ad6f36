//! Delegated: the signed-in user requests an access package for themselves
//! (`POST /identityGovernance/entitlementManagement/assignmentRequests`).
//!
//! Needs a token of the signed-in user for Microsoft Graph with the delegated permission
//! `EntitlementManagement.ReadWrite.All` (admin-consented), or the user's own
//! `EntitlementMgmt-SubjectAccess.ReadWrite`.
//!
//! ```sh
//! GRAPH_TOKEN=... ACCESS_PACKAGE_ID=... POLICY_ID=... USER_ID=... \
//!     cargo run -p msgraph-entitlement --example delegated_request_assignment
//! ```

use msgraph_entitlement::models::{AccessPackageAssignment, AccessPackageAssignmentRequest, AccessPackageRequestType};
use msgraph_entitlement::{Client, StaticToken};

fn env(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|_| format!("set {name}"))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut builder = Client::builder(StaticToken::new(env("GRAPH_TOKEN")?));
    if let Ok(url) = std::env::var("GRAPH_BASE_URL") {
        builder = builder.base_url(url);
    }
    let client = builder.build()?;

    let request = AccessPackageAssignmentRequest {
        request_type: Some(AccessPackageRequestType::UserAdd),
        assignment: Some(AccessPackageAssignment {
            access_package_id: Some(env("ACCESS_PACKAGE_ID")?),
            assignment_policy_id: Some(env("POLICY_ID")?),
            target_id: Some(env("USER_ID")?),
            ..Default::default()
        }),
        ..Default::default()
    };
    let created = client.entitlement_management().assignment_requests().create(&request).await?;
    println!(
        "request {} is {}",
        created.id.unwrap_or_default(),
        created.state.map(|s| s.to_string()).unwrap_or_default()
    );
    Ok(())
}

//! App-only, in bulk, by name: assign an access package to every user listed in a file by user
//! principal name. The names are turned into object ids in JSON batches
//! (`GET /users/{userPrincipalName}?$select=id`, 20 per round trip), then one `adminAdd`
//! assignment request goes per user found
//! (`POST /identityGovernance/entitlementManagement/assignmentRequests`), batched too.
//!
//! Needs an app-only token for Microsoft Graph with the application permissions
//! `EntitlementManagement.ReadWrite.All` and `User.Read.All` (admin-consented): the crate generated
//! for both (`cargo xtask codegen --permission EntitlementManagement.ReadWrite.All --permission
//! User.Read.All`) types both steps with one client.
//!
//! The file holds one user principal name per line (`ada@contoso.com`); blank lines and `#`
//! comments are skipped, repeated names (in any case) are looked up once. A name Graph does not
//! know is reported, not assigned. Exit status 1 when a name was not found or a request failed.
//!
//! ```sh
//! GRAPH_TOKEN=... ACCESS_PACKAGE_ID=... POLICY_ID=... cargo run --example assign_by_name -- users.txt
//! ```
//!
//! `GRAPH_BASE_URL` points it at another service root (a national cloud, a test server).

use std::collections::HashSet;
use std::process::ExitCode;

use msgraph_entitlement::models::{
    AccessPackageAssignment, AccessPackageAssignmentRequest, AccessPackageRequestType, AnyUser,
};
use msgraph_entitlement::{AppOnly, Client, StaticToken};

/// What became of each name.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// `(name, user id, assignment request id)` of the requests Graph accepted.
    pub requested: Vec<(String, String, String)>,
    /// Names Graph does not know.
    pub not_found: Vec<String>,
    /// `(name, what went wrong)`: a lookup or a request that failed otherwise.
    pub failed: Vec<(String, String)>,
}

/// The user principal names of `text`, in order, each once (compared without regard to case).
pub fn read_names(text: &str) -> Vec<String> {
    let mut seen = HashSet::new();
    text.lines()
        .map(|line| line.split('#').next().unwrap_or_default().trim())
        .filter(|name| !name.is_empty() && seen.insert(name.to_ascii_lowercase()))
        .map(str::to_string)
        .collect()
}

/// The object id of a user read from Graph (a user, or a type derived from it).
fn user_id(user: &AnyUser) -> Option<String> {
    match user {
        AnyUser::User(u) => u.id.clone(),
        AnyUser::AgentUser(u) => u.id.clone(),
        AnyUser::Other(json) => json["id"].as_str().map(str::to_string),
        _ => None,
    }
}

/// Resolves `names` to object ids in batches, then requests `package` under `policy` for each
/// user found, in batches.
pub async fn assign_by_name(client: &Client<AppOnly>, names: &[String], package: &str, policy: &str) -> Outcome {
    let mut outcome = Outcome::default();
    let users = client.users();
    let lookups =
        client.batch().send_all(names.iter().map(|name| users.by_id(name.as_str()).get().select(["id"]))).await;
    let mut found: Vec<(String, String)> = Vec::new();
    for (name, result) in names.iter().zip(lookups) {
        match result {
            Ok(user) => match user_id(&user) {
                Some(id) => found.push((name.clone(), id)),
                None => outcome.failed.push((name.clone(), "Graph returned the user without an id".into())),
            },
            Err(e) if e.status() == Some(404) => outcome.not_found.push(name.clone()),
            Err(e) => outcome.failed.push((name.clone(), e.to_string())),
        }
    }
    let requests = client.entitlement_management().assignment_requests();
    let created = client
        .batch()
        .send_all(found.iter().map(|(_, id)| {
            requests.create(&AccessPackageAssignmentRequest {
                request_type: Some(AccessPackageRequestType::AdminAdd),
                assignment: Some(AccessPackageAssignment {
                    access_package_id: Some(package.to_string()),
                    assignment_policy_id: Some(policy.to_string()),
                    target_id: Some(id.clone()),
                    ..Default::default()
                }),
                ..Default::default()
            })
        }))
        .await;
    for ((name, id), result) in found.into_iter().zip(created) {
        match result {
            Ok(request) => outcome.requested.push((name, id, request.id.unwrap_or_default())),
            Err(e) => outcome.failed.push((name, e.to_string())),
        }
    }
    outcome
}

fn env(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|_| format!("set {name}"))
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

async fn run() -> Result<ExitCode, Box<dyn std::error::Error>> {
    let file = std::env::args().nth(1).ok_or("usage: assign_by_name <file of user principal names>")?;
    let names = read_names(&std::fs::read_to_string(&file).map_err(|e| format!("{file}: {e}"))?);
    let mut builder = Client::app_only_builder(StaticToken::new(env("GRAPH_TOKEN")?));
    if let Ok(url) = std::env::var("GRAPH_BASE_URL") {
        builder = builder.base_url(url);
    }
    let client = builder.build()?;
    let outcome = assign_by_name(&client, &names, &env("ACCESS_PACKAGE_ID")?, &env("POLICY_ID")?).await;
    println!("requested: {} of {} users", outcome.requested.len(), names.len());
    for (name, id, request) in &outcome.requested {
        println!("  {name} ({id}): request {request}");
    }
    if !outcome.not_found.is_empty() {
        println!("not found: {}", outcome.not_found.join(", "));
    }
    for (name, error) in &outcome.failed {
        println!("failed: {name}: {error}");
    }
    Ok(if outcome.not_found.is_empty() && outcome.failed.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

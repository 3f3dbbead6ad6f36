//! App-only, in bulk: assign an access package to every user listed in a file, one `adminAdd`
//! assignment request per user (`POST /identityGovernance/entitlementManagement/assignmentRequests`),
//! sent through JSON batches of 20, with a progress bar and a summary.
//!
//! Needs an app-only token for Microsoft Graph with the application permission
//! `EntitlementManagement.ReadWrite.All` (admin-consented); the policy must allow admin
//! assignment of the users listed.
//!
//! The file holds one user object id (a GUID) per line; blank lines and `#` comments are skipped,
//! repeated ids are sent once. Throttled items are retried after their own `Retry-After`; any
//! other failure is reported per user and nothing is sent twice. Exit status 1 when some failed.
//!
//! ```sh
//! GRAPH_TOKEN=... ACCESS_PACKAGE_ID=... POLICY_ID=... \
//!     cargo run -p msgraph-entitlement --example bulk_assign -- [--wait] users.txt
//! ```
//!
//! With `--wait`, it then waits for every accepted request to settle (`wait_until_settled`: until
//! delivered, partially delivered, delivery failed, denied or canceled), 8 at a time, and reports
//! each request's final state; a request that did not end delivered makes the exit status 1.
//!
//! `GRAPH_BASE_URL` points it at another service root (a national cloud, a test server);
//! `BATCH_CONCURRENCY` sets the batches in flight (default 4); `WAIT_SECONDS` the deadline of each
//! wait (default 600) and `WAIT_INTERVAL_MS` its first interval (default 2000).

use std::collections::{BTreeMap, HashSet};
use std::process::ExitCode;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use msgraph_entitlement::models::{AccessPackageAssignment, AccessPackageAssignmentRequest, AccessPackageRequestType};
use msgraph_entitlement::runtime::{DEFAULT_BATCH_CONCURRENCY, WaitOptions};
use msgraph_entitlement::{AppOnly, Client, Error, StaticToken};

fn env(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|_| format!("set {name}"))
}

/// The user ids of the file, in order, each once; a line that is not a GUID is an error naming it.
fn read_users(path: &str) -> Result<Vec<String>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let mut seen = HashSet::new();
    let mut users = Vec::new();
    let mut bad = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or_default().trim();
        if line.is_empty() {
            continue;
        }
        match uuid::Uuid::parse_str(line) {
            Ok(id) => {
                if seen.insert(id) {
                    users.push(id.to_string());
                }
            }
            Err(_) => bad.push(format!("{path}:{}: `{line}` is not a user object id (GUID)", n + 1)),
        }
    }
    if !bad.is_empty() {
        return Err(bad.join("\n"));
    }
    Ok(users)
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
    let args: Vec<String> = std::env::args().skip(1).collect();
    let wait = args.iter().any(|a| a == "--wait");
    let file =
        args.iter().find(|a| !a.starts_with("--")).ok_or("usage: bulk_assign [--wait] <file of user object ids>")?;
    if let Some(unknown) = args.iter().find(|a| a.starts_with("--") && *a != "--wait") {
        return Err(format!("unknown option `{unknown}`; usage: bulk_assign [--wait] <file of user object ids>").into());
    }
    let users = read_users(file)?;
    let access_package = env("ACCESS_PACKAGE_ID")?;
    let policy = env("POLICY_ID")?;
    let concurrency = match std::env::var("BATCH_CONCURRENCY") {
        Ok(n) => n.parse().map_err(|_| format!("BATCH_CONCURRENCY: `{n}` is not a number"))?,
        Err(_) => DEFAULT_BATCH_CONCURRENCY,
    };
    let mut builder = Client::app_only_builder(StaticToken::new(env("GRAPH_TOKEN")?));
    if let Ok(url) = std::env::var("GRAPH_BASE_URL") {
        builder = builder.base_url(url);
    }
    let client = builder.build()?;

    let requests = client.entitlement_management().assignment_requests();
    let bar = ProgressBar::new(users.len() as u64);
    bar.set_style(ProgressStyle::with_template("{bar:40} {pos}/{len} users {msg} [{elapsed}]")?);
    let progress = bar.clone();
    let results = client
        .batch()
        .concurrency(concurrency)
        .on_progress(move |p| {
            progress.set_position(p.done as u64);
            progress
                .set_message(format!("({} failed, {} retried, {} round trips)", p.failed, p.retried, p.round_trips));
        })
        .send_all(users.iter().map(|user| {
            requests.create(&AccessPackageAssignmentRequest {
                request_type: Some(AccessPackageRequestType::AdminAdd),
                assignment: Some(AccessPackageAssignment {
                    access_package_id: Some(access_package.clone()),
                    assignment_policy_id: Some(policy.clone()),
                    target_id: Some(user.clone()),
                    ..Default::default()
                }),
                ..Default::default()
            })
        }))
        .await;
    bar.finish();

    // The summary: delivered, and the failures grouped by reason, each user with Graph's message
    // and request id.
    let mut delivered = 0;
    let mut failed: BTreeMap<String, Vec<(&str, String)>> = BTreeMap::new();
    let mut accepted: Vec<(String, String)> = Vec::new();
    for (user, result) in users.iter().zip(results) {
        match result {
            Ok(request) => {
                delivered += 1;
                if let Some(id) = request.id {
                    accepted.push((user.clone(), id));
                }
            }
            Err(e) => {
                let reason = match (e.status(), e.code()) {
                    (Some(status), Some(code)) => format!("{status} {code}"),
                    (Some(status), None) => format!("HTTP {status}"),
                    _ => "not delivered".to_string(),
                };
                failed.entry(reason).or_default().push((user, e.to_string()));
            }
        }
    }
    println!("delivered: {delivered} of {} assignment requests", users.len());
    for (reason, users) in &failed {
        println!("failed, {reason}: {}", users.len());
        for (user, message) in users {
            println!("  {user}: {message}");
        }
    }
    let settled_well = if wait { wait_for_all(&client, accepted).await? } else { true };
    Ok(if failed.is_empty() && settled_well { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// Waits for every accepted request to settle, 8 at a time, and prints each final state; true
/// when every one ended `delivered`.
async fn wait_for_all(
    client: &Client<AppOnly>,
    accepted: Vec<(String, String)>,
) -> Result<bool, Box<dyn std::error::Error>> {
    let seconds = |name: &str, default: u64| -> Result<u64, String> {
        std::env::var(name).map_or(Ok(default), |v| v.parse().map_err(|_| format!("{name}: `{v}` is not a number")))
    };
    let options = WaitOptions::default()
        .deadline(Duration::from_secs(seconds("WAIT_SECONDS", 600)?))
        .interval(Duration::from_millis(seconds("WAIT_INTERVAL_MS", 2000)?));
    let mut pending = accepted.into_iter();
    let mut running = tokio::task::JoinSet::new();
    let mut finals: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    loop {
        while running.len() < 8 {
            let Some((user, id)) = pending.next() else { break };
            let item = client.entitlement_management().assignment_requests().by_id(id.clone());
            running.spawn(async move { (user, id, item.wait_until_settled(&options).await) });
        }
        let Some(joined) = running.join_next().await else { break };
        let (user, id, outcome) = joined?;
        let (state, detail) = match outcome {
            Ok(done) => (done.state, format!("request {id}")),
            Err(Error::WaitFailed { state, request_id, .. }) => {
                (state, format!("request {id} (request-id {})", request_id.as_deref().unwrap_or("none")))
            }
            Err(Error::WaitTimedOut { last_state, .. }) => (
                format!("still {} at the deadline", last_state.as_deref().unwrap_or("unknown")),
                format!("request {id}"),
            ),
            Err(e) => ("unreadable".to_string(), format!("request {id}: {e}")),
        };
        finals.entry(state).or_default().push((user, detail));
    }
    println!("final states:");
    for (state, users) in &finals {
        println!("  {state}: {}", users.len());
        if state != "delivered" {
            for (user, detail) in users {
                println!("    {user}: {detail}");
            }
        }
    }
    Ok(finals.keys().all(|s| s == "delivered"))
}

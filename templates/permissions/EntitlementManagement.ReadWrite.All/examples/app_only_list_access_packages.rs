//! App-only: list every access package, following the pages.
//!
//! Needs an application token for Microsoft Graph with the application permission
//! `EntitlementManagement.Read.All` (or `EntitlementManagement.ReadWrite.All`), admin-consented.
//!
//! ```sh
//! GRAPH_TOKEN=$(az account get-access-token --resource-type ms-graph --query accessToken -o tsv) \
//!     cargo run -p msgraph-entitlement --example app_only_list_access_packages
//! ```

use msgraph_entitlement::{Client, StaticToken};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let token = std::env::var("GRAPH_TOKEN").map_err(|_| "set GRAPH_TOKEN to an app-only Graph access token")?;
    let mut builder = Client::app_only_builder(StaticToken::new(token));
    if let Ok(url) = std::env::var("GRAPH_BASE_URL") {
        builder = builder.base_url(url); // e.g. a national cloud, or a local test server
    }
    let client = builder.build()?;

    let mut pages = client.entitlement_management().access_packages().list().top(100).pages();
    let mut total = 0;
    while let Some(page) = pages.next().await {
        for package in page?.value {
            total += 1;
            println!("{}\t{}", package.id.unwrap_or_default(), package.display_name.unwrap_or_default());
        }
    }
    println!("{total} access packages");
    Ok(())
}

// A delegated client calls delegated-only methods and methods allowed under both consents; an
// app-only client calls the methods allowed app-only. Each batches what it can call.
use msgraph_entitlement::models::AccessPackageFilterByCurrentUserOptions;
use msgraph_entitlement::{AppOnly, Client, Delegated, StaticToken};

fn main() {
    let delegated: Client<Delegated> = Client::new(StaticToken::new("user token")).unwrap();
    let packages = delegated.entitlement_management().access_packages();
    let _ = packages.filter_by_current_user(AccessPackageFilterByCurrentUserOptions::AllowedRequestor);
    let _ = packages.list();
    // And batches them.
    let mut batch = delegated.batch();
    let _ = batch.add(packages.filter_by_current_user(AccessPackageFilterByCurrentUserOptions::AllowedRequestor));
    let _ = batch.add(packages.list());

    let app: Client<AppOnly> = Client::app_only(StaticToken::new("app token")).unwrap();
    let _ = app.entitlement_management().access_packages().list();
    let _ = app.entitlement_management().assignment_requests().by_id("r").reprocess();
    let mut batch = app.batch();
    let _ = batch.add(app.entitlement_management().access_packages().list());
}

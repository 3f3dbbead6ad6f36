// A batch keeps the consent typing: a request built by a delegated client (here one the
// permission allows only with a signed-in user) cannot go into an app-only client's batch.
use msgraph_entitlement::models::AccessPackageFilterByCurrentUserOptions;
use msgraph_entitlement::{Client, StaticToken};

fn main() {
    let app = Client::app_only(StaticToken::new("app token")).unwrap();
    let user = Client::new(StaticToken::new("user token")).unwrap();
    let request = user
        .entitlement_management()
        .access_packages()
        .filter_by_current_user(AccessPackageFilterByCurrentUserOptions::AllowedRequestor);
    let mut batch = app.batch();
    let _ = batch.add(request);
}

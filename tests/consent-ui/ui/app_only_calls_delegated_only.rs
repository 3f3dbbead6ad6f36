// An app-only client cannot call a method the permission allows only with a signed-in user.
use msgraph_entitlement::models::AccessPackageFilterByCurrentUserOptions;
use msgraph_entitlement::{Client, StaticToken};

fn main() {
    let client = Client::app_only(StaticToken::new("app token")).unwrap();
    let _ = client
        .entitlement_management()
        .access_packages()
        .filter_by_current_user(AccessPackageFilterByCurrentUserOptions::AllowedRequestor);
}

//! Consent is enforced by the compiler: an app-only client cannot call a delegated-only method
//! (with a readable message), nor batch a request a delegated client built; a delegated client
//! can call both kinds.
//!
//! After a change that moves lines of `generated/src/api.rs`, refresh the expected messages with
//! `TRYBUILD=overwrite cargo test -p msgraph-consent-ui` and review the diff.

use msgraph_entitlement::models::AccessPackageFilterByCurrentUserOptions;
use msgraph_entitlement::{AppOnly, Client, Delegated, StaticToken};

/// What must not compile (trybuild checks the cases with `cargo check`: no TLS, no linking).
#[test]
fn consent_is_checked_at_compile_time() {
    let t = trybuild::TestCases::new();
    t.compile_fail("ui/app_only_calls_delegated_only.rs");
    t.compile_fail("ui/app_only_batch_takes_a_delegated_request.rs");
}

/// What must compile: a delegated client calls delegated-only methods and methods allowed under
/// both consents, and batches them; an app-only client calls the methods allowed app-only.
#[test]
fn a_delegated_client_calls_both_kinds_and_an_app_only_client_the_app_only_ones() {
    // Plain http: this crate builds the generated crate without TLS.
    let base = "http://127.0.0.1:9/v1.0";
    let delegated: Client<Delegated> = Client::builder(StaticToken::new("user token")).base_url(base).build().unwrap();
    let packages = delegated.entitlement_management().access_packages();
    let _ = packages.filter_by_current_user(AccessPackageFilterByCurrentUserOptions::AllowedRequestor);
    let _ = packages.list();
    let mut batch = delegated.batch();
    let _ = batch.add(packages.filter_by_current_user(AccessPackageFilterByCurrentUserOptions::AllowedRequestor));
    let _ = batch.add(packages.list());
    assert_eq!(batch.len(), 2);

    let app: Client<AppOnly> = Client::app_only_builder(StaticToken::new("app token")).base_url(base).build().unwrap();
    let _ = app.entitlement_management().access_packages().list();
    let _ = app.entitlement_management().assignment_requests().by_id("r").reprocess();
    let mut batch = app.batch();
    let _ = batch.add(app.entitlement_management().access_packages().list());
    assert_eq!(batch.len(), 1);
}

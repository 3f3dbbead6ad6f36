//! Consent is enforced by the compiler: an app-only client cannot call a delegated-only method
//! (with a readable message), nor batch a request a delegated client built; a delegated client
//! can call both kinds.
//!
//! After a change that moves lines of `generated/src/api.rs`, refresh the expected message with
//! `TRYBUILD=overwrite cargo test -p msgraph-tests --test consent_ui` and review the diff.

#[test]
fn consent_is_checked_at_compile_time() {
    let t = trybuild::TestCases::new();
    t.pass("ui/delegated_calls_both_kinds.rs");
    t.compile_fail("ui/app_only_calls_delegated_only.rs");
    t.compile_fail("ui/app_only_batch_takes_a_delegated_request.rs");
}

//! Nothing here: the crate exists for `tests/consent_ui.rs` (trybuild compile-fail cases of
//! consent typing, in `ui/`) and a small dependency list for trybuild to build.

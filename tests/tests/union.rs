//! A crate for an app registration's whole grant (`cargo xtask codegen --permission A
//! --permission B`): its operations are exactly the union of the single-permission crates'
//! operations, each operation's consent is the union of theirs, the table says which permission
//! grants what and which is least privileged, and overlapping surfaces are merged once.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::collections::{BTreeMap, BTreeSet};

use msgraph_codegen::inputs::config::Config;
use msgraph_codegen::inputs::pins::InputSearch;
use msgraph_codegen::model::types::{Consent, QName};
use msgraph_tests::{config_file, metadata_dir};

const EM: &str = "EntitlementManagement.ReadWrite.All";
const USERS: &str = "User.Read.All";

fn load(permissions: &[&str]) -> msgraph_codegen::Loaded {
    let mut config = Config::load(&config_file()).unwrap();
    let permissions: Vec<String> = permissions.iter().map(|p| p.to_string()).collect();
    config.retarget_set(&permissions, None);
    let search = InputSearch { metadata_dir: Some(metadata_dir()), ..Default::default() };
    msgraph_codegen::load_config(config, &search).unwrap()
}

type Key = (String, &'static str, String);

/// (API version, HTTP method, template) -> consent, of every operation.
fn operations(loaded: &msgraph_codegen::Loaded) -> BTreeMap<Key, Consent> {
    loaded
        .apis
        .iter()
        .flat_map(|api| {
            api.operations
                .iter()
                .map(|op| ((api.api_version.clone(), op.http_method.as_str(), op.template.clone()), op.consent))
        })
        .collect()
}

#[test]
fn the_union_crate_has_the_union_of_the_operations_and_of_their_consent() {
    let (em, users, both) = (load(&[EM]), load(&[USERS]), load(&[EM, USERS]));
    assert_eq!(both.config.krate.name, "msgraph-entitlement-management-read-write-all-user-read-all");
    assert_eq!(both.config.permissions(), [EM, USERS]);
    let (em_ops, user_ops, both_ops) = (operations(&em), operations(&users), operations(&both));
    assert!(!em_ops.is_empty() && !user_ops.is_empty());

    let union: BTreeSet<&Key> = em_ops.keys().chain(user_ops.keys()).collect();
    assert_eq!(both_ops.keys().collect::<BTreeSet<_>>(), union, "operations: exactly the union");

    let or = |a: Option<bool>, b: Option<bool>| match (a, b) {
        (Some(true), _) | (_, Some(true)) => Some(true),
        (Some(false), _) | (_, Some(false)) => Some(false),
        _ => None,
    };
    for (key, consent) in &both_ops {
        let (e, u) = (em_ops.get(key).copied().unwrap_or_default(), user_ops.get(key).copied().unwrap_or_default());
        assert_eq!(consent.delegated, or(e.delegated, u.delegated), "{key:?} delegated");
        assert_eq!(consent.application, or(e.application, u.application), "{key:?} application");
    }

    // Each operation says which permissions grant it: those whose crate has it.
    for api in &both.apis {
        for op in &api.operations {
            let key = (api.api_version.clone(), op.http_method.as_str(), op.template.clone());
            let expected: Vec<&str> = [(EM, &em_ops), (USERS, &user_ops)]
                .into_iter()
                .filter(|(_, ops)| ops.contains_key(&key))
                .map(|(p, _)| p)
                .collect();
            let got: Vec<&str> = op.granted_by.iter().map(|g| g.permission.as_str()).collect();
            assert_eq!(got, expected, "{key:?}");
            // With one grantor, it is the least privileged of the set for what it allows.
            if let [only] = op.granted_by.as_slice() {
                assert_eq!(only.least_delegated, only.consent.delegated == Some(true), "{key:?}");
                assert_eq!(only.least_application, only.consent.application == Some(true), "{key:?}");
            }
        }
    }

    // One model closure: every type either crate needs, once.
    for api in &both.apis {
        let mine: BTreeSet<&QName> = api.types.keys().collect();
        for single in [&em, &users] {
            if let Some(other) = single.apis.iter().find(|a| a.api_version == api.api_version) {
                for q in other.types.keys() {
                    assert!(mine.contains(q), "{} lacks {q:?}", api.api_version);
                }
            }
        }
        let names: BTreeSet<&str> = api.types.values().map(|t| t.rust_name()).collect();
        assert_eq!(names.len(), api.types.len(), "a Rust type name twice in {}", api.api_version);
    }
}

/// Two permissions that overlap (both grant reads of users): merged once, both named as granting
/// them, the lower privilege level (User.Read.All: 3; Directory.ReadWrite.All: 4, both consent
/// types) marked least privileged, and where permissions.json marks both least privileged, the
/// report says so.
#[test]
fn overlapping_permissions_are_merged_once_and_ranked() {
    let (narrow, wide) = ("User.Read.All", "Directory.ReadWrite.All");
    let both = load(&[narrow, wide]);
    let (narrow_ops, wide_ops) = (operations(&load(&[narrow])), operations(&load(&[wide])));
    let union: BTreeSet<&Key> = narrow_ops.keys().chain(wide_ops.keys()).collect();
    let both_ops = operations(&both);
    assert_eq!(both_ops.keys().collect::<BTreeSet<_>>(), union);
    assert!(both_ops.len() < narrow_ops.len() + wide_ops.len(), "shared operations appear once");
    let v1 = both.apis.iter().find(|a| a.api_version == "v1.0").unwrap();
    let shared: Vec<_> = v1.operations.iter().filter(|op| op.granted_by.len() == 2).collect();
    assert!(shared.iter().any(|op| op.template == "/users"), "the two share the user reads");
    for op in shared {
        let (n, w) = (&op.granted_by[0], &op.granted_by[1]);
        assert_eq!((n.permission.as_str(), w.permission.as_str()), (narrow, wide));
        let what = format!("{} {}", op.http_method.as_str(), op.template);
        if n.consent.application == Some(true) {
            assert!(n.least_application && !w.least_application, "{what}");
        }
        if n.consent.delegated == Some(true) {
            assert!(n.least_delegated && !w.least_delegated, "{what}");
        }
    }
    for line in &both.drift.set_conflicts {
        assert!(line.contains(narrow) && line.contains(wide), "{line}");
    }
}

/// `--crate-name` names the crate; without it, the name lists the set.
#[test]
fn a_set_crate_can_be_named() {
    let mut config = Config::load(&config_file()).unwrap();
    config.retarget_set(&[EM.to_string(), USERS.to_string()], Some("msgraph-em-users"));
    assert_eq!((config.krate.name.as_str(), config.krate.version.as_str()), ("msgraph-em-users", "0.1.0"));
    assert_eq!(config.permissions_prose(), "`EntitlementManagement.ReadWrite.All` and `User.Read.All`");
    // Given after another permission, the configured one still comes first (its reference page).
    let mut reordered = Config::load(&config_file()).unwrap();
    reordered.retarget_set(&[USERS.to_string(), EM.to_string()], None);
    assert_eq!(reordered.permissions(), [EM, USERS]);
    assert!(reordered.manifest.is_some());
    // The configured permission alone: the configured crate, unchanged.
    let mut alone = Config::load(&config_file()).unwrap();
    alone.retarget_set(&[EM.to_string()], None);
    assert_eq!(alone.krate.name, "msgraph-entitlement");
    assert!(alone.also_permissions.is_empty());
}

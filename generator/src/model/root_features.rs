//! Cargo features per API root, for large crates (`crate.root_features_above` in codegen.yaml): a
//! user of a big permission compiles only the roots they call (`users`, `device-management`...).
//!
//! A root is the first segment of a path (an entity set or singleton). Each request builder
//! belongs to one root; a type is needed by the roots whose operations reach it through the
//! finished model's references (bodies, responses, URL parameters, then every field's type and
//! every polymorphic enum's members, transitively). A type every root needs is not gated.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::tree::{NodeKey, Step, Tree};
use crate::model::types::{Api, Operation, Response, Segment, TypeDef};
use crate::naming::{Case, sanitize};
use crate::schema::QName;

/// The cargo feature that turns on every API root of a crate with root features (on by default).
pub const ALL_ROOTS_FEATURE: &str = "all-apis";

/// What the cargo features of an API version's roots gate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RootGates {
    /// Root segment (`deviceManagement`) -> its cargo feature (`device-management`).
    pub features: BTreeMap<String, String>,
    /// The types some root does not need -> the features of the roots that need them.
    pub types: BTreeMap<QName, BTreeSet<String>>,
    /// Feature -> how many operations its root has.
    pub operations: BTreeMap<String, usize>,
}

impl RootGates {
    /// The feature of the root a builder node belongs to (none for the client's own node).
    pub fn node_feature(&self, key: &NodeKey) -> Option<&str> {
        match key.first() {
            Some(Step::Nav(root)) => self.features.get(root).map(String::as_str),
            _ => None,
        }
    }

    /// The features any of which a type needs; `None` when every root needs it.
    pub fn type_features(&self, q: &QName) -> Option<&BTreeSet<String>> {
        self.types.get(q)
    }
}

/// The gates of `api`'s roots, when it has more than `above` operations and more than one root;
/// `reserved` are the crate's other feature names (a root named like one gets `-api` appended).
pub fn root_gates(api: &Api, tree: &Tree, above: Option<usize>, reserved: &[&str]) -> Option<RootGates> {
    let above = above?;
    if api.operations.len() <= above {
        return None;
    }
    // Per operation, its root (none: an operation on the service root itself).
    let mut root_of: Vec<Option<String>> = vec![None; api.operations.len()];
    for (key, node) in &tree.nodes {
        if let Some(Step::Nav(root)) = key.first() {
            for (i, _) in &node.operations {
                root_of[*i] = Some(root.clone());
            }
        }
    }
    let roots: BTreeSet<&String> = root_of.iter().flatten().collect();
    if roots.len() < 2 {
        return None;
    }
    let features: BTreeMap<String, String> = roots
        .iter()
        .map(|r| {
            let name = sanitize(r, Case::Kebab);
            let name = if reserved.contains(&name.as_str()) { format!("{name}-api") } else { name };
            ((*r).clone(), name)
        })
        .collect();
    let mut operations: BTreeMap<String, usize> = BTreeMap::new();
    for root in root_of.iter().flatten() {
        *operations.entry(features[root].clone()).or_default() += 1;
    }
    // Per root (and `None` for the operations every build has), the types its operations reach.
    let mut reached: BTreeMap<Option<&String>, BTreeSet<QName>> = BTreeMap::new();
    for (op, root) in api.operations.iter().zip(&root_of) {
        let set = reached.entry(root.as_ref()).or_default();
        for q in seeds(op) {
            close(api, q, set);
        }
    }
    let always = reached.remove(&None).unwrap_or_default();
    let mut types: BTreeMap<QName, BTreeSet<String>> = BTreeMap::new();
    for (root, set) in &reached {
        let Some(root) = root else { continue };
        for q in set.iter().filter(|q| !always.contains(*q)) {
            types.entry(q.clone()).or_default().insert(features[*root].clone());
        }
    }
    types.retain(|_, needed_by| needed_by.len() < features.len());
    // A type no operation reaches (an abstract type between a base and its members) is built with
    // every root: the types it names may be gated.
    for q in api.types.keys() {
        if !always.contains(q) && !reached.values().any(|set| set.contains(q)) {
            types.insert(q.clone(), BTreeSet::from([ALL_ROOTS_FEATURE.to_string()]));
        }
    }
    Some(RootGates { features, types, operations })
}

/// The types an operation names: its body, its response, its URL parameters.
fn seeds(op: &Operation) -> Vec<&QName> {
    let mut out: Vec<&QName> = op.body.iter().filter_map(|t| t.named()).collect();
    if let Response::Value(t) | Response::OptionalValue(t) | Response::Page(t) | Response::DeltaPage(t) = &op.response {
        out.extend(t.named());
    }
    for seg in &op.segments {
        match seg {
            Segment::Key { ty, .. } => out.extend(ty.named()),
            Segment::Function { params, .. } => out.extend(params.iter().filter_map(|p| p.ty.named())),
            _ => {}
        }
    }
    out
}

/// Adds `q` and every type its definition references (field types, polymorphic members) to `set`.
fn close(api: &Api, q: &QName, set: &mut BTreeSet<QName>) {
    let mut stack = vec![q.clone()];
    while let Some(q) = stack.pop() {
        let Some(def) = api.types.get(&q) else { continue };
        if !set.insert(q) {
            continue;
        }
        if let TypeDef::Struct(s) = def {
            stack.extend(s.properties.iter().filter_map(|p| p.ty.named()).cloned());
            if let Some(poly) = &s.polymorphic {
                stack.extend(poly.members.iter().cloned());
            }
        }
    }
}

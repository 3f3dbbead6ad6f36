//! Cargo features per API root, for large crates (`crate.root_features_above` in codegen.yaml): a
//! user of a big permission compiles only the roots they call (`users`, `device-management`...).
//!
//! A root is the first segment of a path (an entity set or singleton). A root with many operations
//! (`crate.segment_features_above`) also gets a feature per segment below it (the first navigation
//! after the root: `device-management-device-configurations`), which its root's feature turns on.
//! Each operation belongs to one feature; a request builder is built with the features of the
//! operations at it and below it; a type is needed by the features whose operations reach it
//! through the finished model's references (bodies, responses, URL parameters, then every field's
//! type and every polymorphic enum's members, transitively). A type every feature needs is not
//! gated.

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
    /// A root too large for one feature (`crate.segment_features_above`) -> its segments' features:
    /// feature (`device-management-device-configurations`) -> the segment's path
    /// (`/deviceManagement/deviceConfigurations`). The root's feature turns them all on.
    pub segments: BTreeMap<String, BTreeMap<String, String>>,
    /// The types some feature does not need -> the features that need them.
    pub types: BTreeMap<QName, BTreeSet<String>>,
    /// Feature -> how many operations it turns on (a root's counts its segments').
    pub operations: BTreeMap<String, usize>,
    /// Per operation (index into [`Api::operations`]): the feature that turns it on (none: an
    /// operation on the service root itself).
    pub operation_features: Vec<Option<String>>,
    /// Per builder node: the features of the operations at it and below it.
    pub nodes: BTreeMap<NodeKey, BTreeSet<String>>,
}

impl RootGates {
    /// The features any of which a builder node needs; `None` for one every build has.
    pub fn node_features(&self, key: &NodeKey) -> Option<&BTreeSet<String>> {
        self.nodes.get(key).filter(|f| !f.is_empty())
    }

    /// The feature of operation `i` when the node it is a method of may be built without it
    /// (a root's own operation, on the node its segments' paths go through).
    pub fn operation_feature(&self, i: usize, node: &NodeKey) -> Option<&str> {
        let feature = self.operation_features.get(i)?.as_ref()?;
        let node = self.node_features(node)?;
        (node.len() > 1 || !node.contains(feature)).then_some(feature.as_str())
    }

    /// The features any of which a type needs; `None` when every build needs it.
    pub fn type_features(&self, q: &QName) -> Option<&BTreeSet<String>> {
        self.types.get(q)
    }
}

/// The gates of `api`'s roots, when it has more than `above` operations and more than one root;
/// a root with more than `split_above` operations gets a feature per segment below it as well.
/// `reserved` are the crate's other feature names (a feature named like one gets `-api` appended).
pub fn root_gates(
    api: &Api,
    tree: &Tree,
    (above, split_above): (Option<usize>, Option<usize>),
    reserved: &[&str],
) -> Option<RootGates> {
    let above = above?;
    if api.operations.len() <= above {
        return None;
    }
    // Per operation, its key in the builder tree (none: an operation on the service root itself).
    let mut key_of: Vec<Option<&NodeKey>> = vec![None; api.operations.len()];
    for (key, node) in &tree.nodes {
        for (i, _) in &node.operations {
            key_of[*i] = Some(key);
        }
    }
    let mut per_root: BTreeMap<&String, usize> = BTreeMap::new();
    for key in key_of.iter().flatten() {
        if let Some(Step::Nav(root)) = key.first() {
            *per_root.entry(root).or_default() += 1;
        }
    }
    if per_root.len() < 2 {
        return None;
    }
    let mut taken: BTreeSet<String> = reserved.iter().map(|r| (*r).to_string()).collect();
    let mut claim = |name: String| {
        let name = if taken.contains(&name) { format!("{name}-api") } else { name };
        taken.insert(name.clone());
        name
    };
    let features: BTreeMap<String, String> =
        per_root.keys().map(|r| ((*r).clone(), claim(sanitize(r, Case::Kebab)))).collect();
    let split = split_roots(&per_root, &key_of, split_above, reserved.len() + features.len());
    // Per operation, its feature: its root's, or its segment's under a split root.
    let mut segments: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut segment_feature: BTreeMap<(String, String), String> = BTreeMap::new();
    let mut operation_features: Vec<Option<String>> = Vec::with_capacity(key_of.len());
    for key in &key_of {
        let Some(Step::Nav(root)) = key.and_then(|k| k.first()) else {
            operation_features.push(None);
            continue;
        };
        let segment = key.filter(|_| split.contains(root)).and_then(segment_of);
        let feature = match segment {
            None => features[root].clone(),
            Some((segment, prefix)) => segment_feature
                .entry((root.clone(), segment.clone()))
                .or_insert_with(|| {
                    let name = claim(format!("{}-{}", features[root], sanitize(&segment, Case::Kebab)));
                    let template = tree.nodes.get(&prefix).map_or(segment, |n| n.template.clone());
                    segments.entry(features[root].clone()).or_default().insert(name.clone(), template);
                    name
                })
                .clone(),
        };
        operation_features.push(Some(feature));
    }
    // A root's feature turns on every operation below the root; a segment's, its own.
    let roots: BTreeSet<&String> = features.values().collect();
    let mut operations: BTreeMap<String, usize> = per_root.iter().map(|(r, n)| (features[*r].clone(), *n)).collect();
    for feature in operation_features.iter().flatten().filter(|f| !roots.contains(f)) {
        *operations.entry(feature.clone()).or_default() += 1;
    }
    let mut nodes: BTreeMap<NodeKey, BTreeSet<String>> = BTreeMap::new();
    for (key, feature) in key_of.iter().zip(&operation_features) {
        let (Some(key), Some(feature)) = (key, feature) else { continue };
        for n in 1..=key.len() {
            nodes.entry(key[..n].to_vec()).or_default().insert(feature.clone());
        }
    }
    let types = type_features(api, &operation_features);
    Some(RootGates { features, segments, types, operations, operation_features, nodes })
}

/// crates.io takes a crate with at most this many features.
pub const MAX_FEATURES: usize = 300;

/// The roots above `split_above` operations, largest first, as long as their segments' features
/// keep the crate within [`MAX_FEATURES`] (`features`: how many it has without them); a root
/// that would pass it stays one feature.
fn split_roots<'a>(
    per_root: &BTreeMap<&'a String, usize>,
    key_of: &[Option<&NodeKey>],
    split_above: Option<usize>,
    mut features: usize,
) -> BTreeSet<&'a String> {
    let Some(above) = split_above else { return BTreeSet::new() };
    let mut large: Vec<(&String, usize)> =
        per_root.iter().filter(|(_, n)| **n > above).map(|(r, n)| (*r, *n)).collect();
    large.sort_by_key(|(r, n)| (std::cmp::Reverse(*n), *r));
    let mut split = BTreeSet::new();
    for (root, _) in large {
        let below: BTreeSet<String> = key_of
            .iter()
            .flatten()
            .filter(|k| matches!(k.first(), Some(Step::Nav(r)) if r == root))
            .filter_map(|k| segment_of(k).map(|(segment, _)| segment))
            .collect();
        if features + below.len() <= MAX_FEATURES {
            features += below.len();
            split.insert(root);
        }
    }
    split
}

/// The segment of a split root's path that names its feature: the first navigation below the
/// root (`deviceConfigurations` in `/deviceManagement/deviceConfigurations/{id}`, `messages` in
/// `/users/{id}/messages`); none for the root's own operations.
/// Returns the segment and the key of the builder it leads to.
fn segment_of(key: &NodeKey) -> Option<(String, NodeKey)> {
    key.iter().enumerate().skip(1).find_map(|(i, s)| match s {
        Step::Nav(n) => Some((n.clone(), key[..=i].to_vec())),
        _ => None,
    })
}

/// Per type that some feature's operations do not reach: the features whose operations do.
fn type_features(api: &Api, operation_features: &[Option<String>]) -> BTreeMap<QName, BTreeSet<String>> {
    // Per feature (and `None` for the operations every build has), the types its operations reach.
    let mut reached: BTreeMap<Option<&String>, BTreeSet<QName>> = BTreeMap::new();
    for (op, feature) in api.operations.iter().zip(operation_features) {
        let set = reached.entry(feature.as_ref()).or_default();
        for q in seeds(op) {
            close(api, q, set);
        }
    }
    let always = reached.remove(&None).unwrap_or_default();
    let mut types: BTreeMap<QName, BTreeSet<String>> = BTreeMap::new();
    for (feature, set) in &reached {
        let Some(feature) = feature else { continue };
        for q in set.iter().filter(|q| !always.contains(*q)) {
            types.entry(q.clone()).or_default().insert((*feature).clone());
        }
    }
    types.retain(|_, needed_by| needed_by.len() < reached.len());
    // A type no operation reaches (an abstract type between a base and its members) is built with
    // every root: the types it names may be gated.
    for q in api.types.keys() {
        if !always.contains(q) && !reached.values().any(|set| set.contains(q)) {
            types.insert(q.clone(), BTreeSet::from([ALL_ROOTS_FEATURE.to_string()]));
        }
    }
    types
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

#[cfg(test)]
mod tests {
    use super::*;

    fn key(root: &str, segment: &str) -> NodeKey {
        vec![Step::Nav(root.to_string()), Step::Key, Step::Nav(segment.to_string())]
    }

    #[test]
    fn roots_are_split_largest_first_within_the_feature_limit() {
        let (a, b, c) = ("a".to_string(), "b".to_string(), "c".to_string());
        // `a`: 200 operations over 20 segments; `b`: 180 over 5; `c`: 10, below the threshold.
        let mut keys: Vec<NodeKey> = (0..200).map(|i| key("a", &format!("s{}", i % 20))).collect();
        keys.extend((0..180).map(|i| key("b", &format!("t{}", i % 5))));
        keys.extend((0..10).map(|i| key("c", &format!("u{i}"))));
        let key_of: Vec<Option<&NodeKey>> = keys.iter().map(Some).collect();
        let per_root = BTreeMap::from([(&a, 200), (&b, 180), (&c, 10)]);
        assert_eq!(split_roots(&per_root, &key_of, Some(150), 10), BTreeSet::from([&a, &b]));
        // With 290 features already, `a`'s 20 segments would pass 300: `b`'s 5 still fit.
        assert_eq!(split_roots(&per_root, &key_of, Some(150), MAX_FEATURES - 10), BTreeSet::from([&b]));
        assert!(split_roots(&per_root, &key_of, None, 10).is_empty());
    }
}

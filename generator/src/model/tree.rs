//! The request-builder tree of one API version: the URI space as a stage of its own. Operations
//! are grouped by their path's navigation and key segments; each node becomes a request-builder
//! struct with one method per child node (`by_id` for a key), a `count` beside a list, and one
//! method per operation that ends there. Every struct and method name is decided here (through
//! [`crate::naming`]), in a fixed order, so the emitter only renders and every other file (the
//! end-to-end tests, the README, the permissions table) names the same calls.

use std::collections::BTreeMap;

use crate::model::types::{Api, OperationKind, Segment};
use crate::naming::{self, BUILDER_RESERVED_METHODS, CLIENT_RESERVED_METHODS, Case, Scope, sanitize};

/// A step of a node's path: a navigation property (or entity set, singleton), a key, or a
/// composable function that further segments address (`range(address)`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Step {
    Nav(String),
    Key,
    /// The function's name and parameter names (an overload is a step of its own).
    Call {
        name: String,
        params: Vec<String>,
    },
}

/// The step of a function segment.
fn call_step(segment: &Segment) -> Option<Step> {
    match segment {
        Segment::Function { name, params } => {
            Some(Step::Call { name: name.name.clone(), params: params.iter().map(|p| p.name.clone()).collect() })
        }
        _ => None,
    }
}

/// A node's path from the client.
pub type NodeKey = Vec<Step>;

/// One request builder.
#[derive(Debug, Clone, Default)]
pub struct Node {
    /// The last step's segment (for docs and key types).
    pub segment: Option<Segment>,
    /// e.g. `/identityGovernance/entitlementManagement/accessPackages/{accessPackageId}`.
    pub template: String,
    pub struct_name: String,
    /// Child nodes and the method that leads to each, in method order.
    pub children: Vec<(NodeKey, String)>,
    /// `count`, when a list operation ends here: its name and the list operation's index.
    pub count: Option<(String, usize)>,
    /// The operations that end here (indexes into [`Api::operations`]) and their method names.
    pub operations: Vec<(usize, String)>,
}

/// A method of the client (or of a version's entry struct).
#[derive(Debug, Clone)]
pub struct RootMethod {
    pub name: String,
    pub node: NodeKey,
    /// Set for a configured shortcut (`shortcuts` in codegen.yaml) to a node deeper than one step.
    pub shortcut: bool,
}

/// The whole tree.
#[derive(Debug, Clone, Default)]
pub struct Tree {
    pub nodes: BTreeMap<NodeKey, Node>,
    /// Entity sets and singletons, then shortcuts.
    pub roots: Vec<RootMethod>,
    /// Per operation: the builder struct and method that send it.
    pub operation_methods: Vec<(String, String)>,
    /// Per operation: the method names that reach it from the client, the operation's last.
    pub chains: Vec<Vec<String>>,
    /// Per operation: whether it is the GET of a composable function that other operations
    /// address further (`range(address)` is a node then, and this operation its `get`): its
    /// path and arguments are the node's.
    pub folded: Vec<bool>,
}

/// Builds the tree of `api`, with `shortcuts` (method name -> path prefix) on the client.
pub fn build(api: &Api, shortcuts: &BTreeMap<String, String>) -> Tree {
    let folded = folded(api);
    let mut nodes = group(api, &folded);
    name_structs(&mut nodes);
    let operation_methods = name_methods(api, &mut nodes, &folded);
    let roots = name_roots(&nodes, shortcuts);
    let chains = chains(api, &nodes, &roots, &operation_methods, &folded);
    Tree { nodes, roots, operation_methods, chains, folded }
}

/// The steps of an operation's path before its terminal segment (a function, action, stream or
/// `$ref`); a function inside the path (composable) is a step, and so is the terminal one of a
/// `folded` operation.
pub fn steps(segments: &[Segment], folded: bool) -> NodeKey {
    let last = segments.len().saturating_sub(1);
    segments
        .iter()
        .enumerate()
        .map_while(|(i, seg)| match seg {
            Segment::Navigation { name, .. } => Some(Step::Nav(name.clone())),
            Segment::Key { .. } => Some(Step::Key),
            Segment::Function { .. } if i < last || folded => call_step(seg),
            _ => None,
        })
        .collect()
}

/// Per operation: a GET of a function that is a step of another operation's path.
fn folded(api: &Api) -> Vec<bool> {
    let calls: std::collections::BTreeSet<NodeKey> = api
        .operations
        .iter()
        .map(|op| steps(&op.segments, false))
        .filter(|key| matches!(key.last(), Some(Step::Call { .. })))
        .flat_map(|key| (1..=key.len()).map(move |n| key[..n].to_vec()))
        .filter(|key| matches!(key.last(), Some(Step::Call { .. })))
        .collect();
    api.operations
        .iter()
        .map(|op| {
            matches!(op.segments.last(), Some(Segment::Function { .. })) && calls.contains(&steps(&op.segments, true))
        })
        .collect()
}

/// Phase 1: one node per path prefix, with the operations that end there.
fn group(api: &Api, folded: &[bool]) -> BTreeMap<NodeKey, Node> {
    let mut nodes: BTreeMap<NodeKey, Node> = BTreeMap::new();
    for (i, op) in api.operations.iter().enumerate() {
        let key = steps(&op.segments, folded[i]);
        let mut template = String::new();
        for n in 1..=key.len() {
            let seg = &op.segments[n - 1];
            template.push_str(&crate::paths::resolve::template_of(std::slice::from_ref(seg)));
            let node = nodes.entry(key[..n].to_vec()).or_default();
            node.segment = Some(seg.clone());
            node.template = template.clone();
        }
        if let Some(node) = nodes.get_mut(&key) {
            node.operations.push((i, String::new()));
        }
    }
    nodes
}

/// Phase 2: struct names, the shortest unique suffix of each node's step labels.
fn name_structs(nodes: &mut BTreeMap<NodeKey, Node>) {
    let labels: BTreeMap<NodeKey, Vec<String>> = nodes
        .keys()
        .map(|k| {
            let l = k
                .iter()
                .map(|s| match s {
                    Step::Nav(n) => n.clone(),
                    Step::Key => "item".to_string(),
                    Step::Call { name, .. } => name.clone(),
                })
                .collect();
            (k.clone(), l)
        })
        .collect();
    for (k, name) in naming::builder_struct_names(&labels) {
        if let Some(node) = nodes.get_mut(&k) {
            node.struct_name = name;
        }
    }
}

/// The method leading to a child node: `by_id` for a key, else the navigation's name.
fn child_method(step: Option<&Step>) -> String {
    match step {
        Some(Step::Key) => "by_id".to_string(),
        Some(Step::Nav(nav)) => sanitize(nav, Case::Snake),
        Some(Step::Call { name, .. }) => sanitize(name, Case::Snake),
        None => String::new(),
    }
}

/// The method leading to `child` among its siblings: [`child_method`], except that of a
/// composable function's overloads the ones with parameters say them (`range()` is `range`,
/// `range(address)` is `range_with_address`, as Microsoft's SDKs name them).
fn call_overload_method(child: &NodeKey, siblings: &[NodeKey]) -> String {
    let Some(Step::Call { name, params }) = child.last() else { return child_method(child.last()) };
    let overloaded = siblings
        .iter()
        .any(|s| s != child && matches!(s.last(), Some(Step::Call { name: other, .. }) if other == name));
    if params.is_empty() || !overloaded {
        return child_method(child.last());
    }
    sanitize(&format!("{name}_with_{}", params.join("_")), Case::Snake)
}

/// The method of an operation: its kind's verb, or the function's or action's name.
fn operation_method(api: &Api, i: usize, folded: bool) -> String {
    let op = &api.operations[i];
    if folded {
        // The function's node reads its result.
        return "get".to_string();
    }
    match (op.kind, op.segments.last()) {
        (OperationKind::List, _) => "list".to_string(),
        (OperationKind::Get, _) => "get".to_string(),
        (OperationKind::Create, _) => "create".to_string(),
        (OperationKind::Update, _) => "update".to_string(),
        (OperationKind::Replace, _) => "replace".to_string(),
        (OperationKind::Delete, _) => "delete".to_string(),
        (OperationKind::AddRef, _) => "add_ref".to_string(),
        (OperationKind::RemoveRef, _) => "delete_ref".to_string(),
        (_, Some(Segment::Function { name, .. } | Segment::Action { name })) => sanitize(&name.name, Case::Snake),
        // A stream: `download_content` / `upload_content` (a media entity's `$value` is its content).
        (kind, Some(Segment::Stream { name })) => {
            let verb = if kind == OperationKind::Upload { "upload" } else { "download" };
            let stream = if name == "$value" { "content" } else { name.as_str() };
            format!("{verb}_{}", sanitize(stream, Case::Snake))
        }
        _ => "call".to_string(),
    }
}

/// Phase 3: each node's methods, claimed in one scope per node in the order they are emitted
/// (children, `count`, operations). Returns, per operation, its struct and method.
fn name_methods(api: &Api, nodes: &mut BTreeMap<NodeKey, Node>, folded: &[bool]) -> Vec<(String, String)> {
    let mut operation_methods = vec![(String::new(), String::new()); api.operations.len()];
    let keys: Vec<NodeKey> = nodes.keys().cloned().collect();
    for key in &keys {
        let mut scope = Scope::new();
        scope.reserve(BUILDER_RESERVED_METHODS);
        let child_keys: Vec<NodeKey> = nodes
            .range(key.clone()..)
            .filter(|(child, _)| child.len() == key.len() + 1 && child.starts_with(key))
            .map(|(child, _)| child.clone())
            .collect();
        let children: Vec<(NodeKey, String)> = child_keys
            .iter()
            .map(|child| (child.clone(), scope.claim(&call_overload_method(child, &child_keys))))
            .collect();
        let Some(node) = nodes.get_mut(key) else { continue };
        node.children = children;
        let list = node.operations.iter().map(|(i, _)| *i).find(|&i| api.operations[i].kind == OperationKind::List);
        node.count = list.map(|i| (scope.claim("count"), i));
        for (i, name) in &mut node.operations {
            *name = scope.claim(&operation_method(api, *i, folded[*i]));
            operation_methods[*i] = (node.struct_name.clone(), name.clone());
        }
    }
    operation_methods
}

/// Phase 4: the client's methods: one per entity set or singleton, then the shortcuts (to a node
/// without a key in its path).
fn name_roots(nodes: &BTreeMap<NodeKey, Node>, shortcuts: &BTreeMap<String, String>) -> Vec<RootMethod> {
    let mut scope = Scope::new();
    scope.reserve(CLIENT_RESERVED_METHODS);
    let mut roots: Vec<RootMethod> = nodes
        .keys()
        .filter(|k| k.len() == 1)
        .map(|k| RootMethod { name: scope.claim(&child_method(k.last())), node: k.clone(), shortcut: false })
        .collect();
    for (name, prefix) in shortcuts {
        let target = nodes.iter().find(|(_, n)| n.template.eq_ignore_ascii_case(prefix));
        if let Some((key, _)) = target.filter(|(k, _)| !k.contains(&Step::Key)) {
            roots.push(RootMethod {
                name: scope.claim(&sanitize(name, Case::Snake)),
                node: key.clone(),
                shortcut: true,
            });
        }
    }
    roots
}

/// Phase 5: per operation, the chain of method names from the client.
fn chains(
    api: &Api,
    nodes: &BTreeMap<NodeKey, Node>,
    roots: &[RootMethod],
    operation_methods: &[(String, String)],
    folded: &[bool],
) -> Vec<Vec<String>> {
    // The method of each node on its parent (or, for a root, on the client).
    let mut methods: BTreeMap<&NodeKey, &str> = BTreeMap::new();
    for node in nodes.values() {
        for (child, name) in &node.children {
            methods.insert(child, name);
        }
    }
    for root in roots.iter().filter(|r| !r.shortcut) {
        methods.insert(&root.node, &root.name);
    }
    api.operations
        .iter()
        .zip(operation_methods)
        .zip(folded)
        .map(|((op, (_, method)), folded)| {
            let steps = steps(&op.segments, *folded);
            let mut chain: Vec<String> =
                (1..=steps.len()).filter_map(|n| methods.get(&steps[..n].to_vec()).map(|m| m.to_string())).collect();
            chain.push(method.clone());
            chain
        })
        .collect()
}

//! Builds the model of one API version from what a front end read (CSDL, or OpenAPI converted to
//! the same schema picture): assembles the method set (the
//! manifest's methods plus what permissions.json grants), resolves each path, merges the methods
//! that name the same operation, and computes the closure of types the operations use.

use std::collections::{BTreeMap, BTreeSet};

use crate::config::ClosureConfig;
use crate::csdl::{Csdl, OperationDecl, QName, TypeKind};
use crate::manifest::ManifestMethod;
use crate::model::{
    Api, Consent, EnumDef, HttpMethod, Operation, OperationKind, Polymorphic, Property, Response, Segment, Source,
    StructDef, StructKind, TypeDef, TypeRef, Unresolved,
};
use crate::naming::{Case, Scope, sanitize};
use crate::openapi::Served;
use crate::paths;
use crate::permissions::Grant;
use crate::resolve::{self, Options};

/// Names the runtime defines at the crate root; generated types must not take them.
pub const RESERVED_TYPE_NAMES: &[&str] = &[
    "Client",
    "ClientBuilder",
    "Error",
    "Result",
    "Page",
    "Request",
    "ODataReference",
    "IsoDuration",
    "Base64Bytes",
    "TokenProvider",
    "StaticToken",
    "Consent",
    "Delegated",
    "AppOnly",
    "SignedInUser",
];

/// What a front end produced: the schema, and with OpenAPI, what the document serves (nothing
/// else is generated from it).
#[derive(Clone, Copy)]
pub struct Schema<'a> {
    pub csdl: &'a Csdl,
    pub served: Option<&'a Served>,
}

/// Builds the [`Api`] of `api_version`.
pub fn build_api(
    schema: Schema<'_>,
    api_version: &str,
    methods: &[&ManifestMethod],
    grants: &[Grant],
    closure: &ClosureConfig,
    extra: &BTreeMap<String, BTreeMap<String, String>>,
    aliases: &BTreeMap<String, String>,
) -> Api {
    let Schema { csdl, served } = schema;
    let mut api = Api { api_version: api_version.to_string(), ..Api::default() };
    let mut ops: BTreeMap<(String, HttpMethod), Operation> = BTreeMap::new();

    for m in methods {
        let unresolved = |reason: String| Unresolved {
            api_version: api_version.to_string(),
            http_method: m.http_method.clone(),
            path: m.path.clone(),
            reason,
        };
        let Some(method) = HttpMethod::parse(&m.http_method) else {
            api.unresolved.push(unresolved(format!("unknown HTTP method `{}`", m.http_method)));
            continue;
        };
        let raw = match paths::parse(&m.path) {
            Ok(raw) => raw,
            Err(e) => {
                api.unresolved.push(unresolved(format!("malformed path: {e}")));
                continue;
            }
        };
        let options = Options { fold_case: true, implicit_ref: false };
        let resolved = match resolve_served(csdl, served, method, &raw, options, aliases) {
            Ok(r) => r,
            Err(reason) => {
                api.unresolved.push(unresolved(reason));
                continue;
            }
        };
        let op = ops
            .entry((resolved.template.clone(), method))
            .or_insert_with(|| new_operation(csdl, method, &resolved, served));
        op.sources.insert(Source::Spec);
        op.spec_paths.push(m.path.clone());
        let has_query = raw.query.is_some();
        if let Some(q) = raw.query {
            op.example_queries.push(q);
        }
        // The plain spelling's docs and markers take precedence over a spelling with a query.
        if op.docs.is_none() || !has_query {
            if let Some(d) = &m.docs {
                op.docs = Some(d.clone());
            }
        }
        let spec = Consent { delegated: m.delegated, application: m.application };
        if op.consent == Consent::default() || !has_query {
            op.consent = spec;
        }
    }

    for g in grants {
        let skipped = |reason: String| Unresolved {
            api_version: api_version.to_string(),
            http_method: g.http_method.clone(),
            path: g.path.clone(),
            reason,
        };
        let Some(method) = HttpMethod::parse(&g.http_method) else {
            api.skipped_grants.push(skipped(format!("unknown HTTP method `{}`", g.http_method)));
            continue;
        };
        let resolved = paths::parse(&g.path).and_then(|raw| {
            let options = Options { fold_case: true, implicit_ref: true };
            resolve_served(csdl, served, method, &raw, options, aliases)
        });
        let resolved = match resolved {
            Ok(r) => r,
            Err(reason) => {
                api.skipped_grants.push(skipped(reason));
                continue;
            }
        };
        let op = ops
            .entry((resolved.template.clone(), method))
            .or_insert_with(|| new_operation(csdl, method, &resolved, served));
        op.sources.insert(Source::PermissionsJson);
    }

    api.operations = ops.into_values().collect();
    let (types, navigation_added) =
        crate::timing::measure("closure", || type_closure(csdl, &api.operations, closure, extra));
    api.types = types;
    api.navigation_added = navigation_added;
    api.declared_types = csdl.types.keys().cloned().collect();
    api
}

/// Resolves a path against the metadata; with an OpenAPI front end (`served`), only what the
/// document lists resolves.
fn resolve_served(
    csdl: &Csdl,
    served: Option<&Served>,
    method: HttpMethod,
    raw: &paths::RawPath,
    options: Options,
    aliases: &BTreeMap<String, String>,
) -> Result<resolve::Resolved, String> {
    let resolved = resolve::resolve_with_aliases(csdl, method, raw, options, aliases)?;
    match served {
        Some(s) if !s.ops.contains_key(&(resolved.template.clone(), method)) => {
            Err(format!("the OpenAPI document has no `{} {}`", method.as_str(), resolved.template))
        }
        _ => Ok(resolved),
    }
}

fn new_operation(csdl: &Csdl, method: HttpMethod, r: &resolve::Resolved, served: Option<&Served>) -> Operation {
    let served = served.and_then(|s| s.ops.get(&(r.template.clone(), method)));
    let description = r
        .operation
        .as_ref()
        .and_then(|name| csdl.operations.iter().find(|o| &o.name == name))
        .and_then(|o| o.description.clone())
        .or_else(|| served.and_then(|s| s.description.clone()));
    Operation {
        http_method: method,
        segments: r.segments.clone(),
        template: r.template.clone(),
        kind: r.kind,
        body: r.body.clone(),
        response: r.response.clone(),
        consent: Consent::default(),
        docs: served.and_then(|s| s.docs.clone()),
        description,
        spec_paths: Vec::new(),
        example_queries: Vec::new(),
        sources: BTreeSet::new(),
        least_privileged: Default::default(),
    }
}

/// The types the operations use: bodies, responses, parameters, their properties, base types,
/// and the derived types of every type used as a value (unless configured otherwise).
fn type_closure(
    csdl: &Csdl,
    operations: &[Operation],
    config: &ClosureConfig,
    extra: &BTreeMap<String, BTreeMap<String, String>>,
) -> (BTreeMap<QName, TypeDef>, usize) {
    let excluded: BTreeSet<QName> = config.no_derived_types.iter().filter_map(|s| QName::parse(s)).collect();
    let untyped: BTreeSet<QName> = config.navigation.untyped.iter().filter_map(|s| QName::parse(s)).collect();
    let mut walker = Closure {
        csdl,
        excluded: &excluded,
        in_closure: BTreeSet::new(),
        value_used: BTreeSet::new(),
        stack: Vec::new(),
    };
    let mut actions: BTreeMap<QName, &OperationDecl> = BTreeMap::new();
    for op in operations {
        for t in op.body.iter() {
            if op.kind == OperationKind::Action {
                continue;
            }
            walker.value(t);
        }
        match &op.response {
            Response::Empty => {}
            Response::Value(t) | Response::OptionalValue(t) | Response::Page(t) => walker.value(t),
        }
        for seg in &op.segments {
            match seg {
                Segment::Function { params, .. } => params.iter().for_each(|p| walker.value(&p.ty)),
                Segment::Key { ty, .. } => walker.value(ty),
                Segment::Action { name } => {
                    if let Some(decl) = csdl.operations.iter().find(|o| {
                        &o.name == name
                            && op.body.as_ref().and_then(TypeRef::named) == Some(&resolve::action_params_name(o))
                    }) {
                        decl.params.iter().for_each(|p| walker.value(&resolve::type_ref_expr(&p.ty)));
                        actions.insert(resolve::action_params_name(decl), decl);
                    }
                }
                Segment::Navigation { .. } | Segment::Ref => {}
            }
        }
    }
    // Request bodies may carry contained navigation properties inline (deep insert: a policy is
    // created with its `questions`), so their targets are values too, recursively.
    let mut bodies: Vec<QName> = operations
        .iter()
        .filter(|op| matches!(op.kind, OperationKind::Create | OperationKind::Update | OperationKind::Replace))
        .filter_map(|op| op.body.as_ref().and_then(TypeRef::named).cloned())
        .collect();
    let mut seen_bodies: BTreeSet<QName> = BTreeSet::new();
    while let Some(b) = bodies.pop() {
        if !seen_bodies.insert(b.clone()) {
            continue;
        }
        for nav in csdl.all_navigation(&b).into_iter().filter(|n| n.contains_target) {
            walker.value(&resolve::type_ref_expr(&nav.ty));
            bodies.push(nav.ty.name.clone());
        }
    }
    walker.run();
    // The navigation rule: each hop pulls in the targets of the navigation properties of the
    // types the closure has so far, with what their values need; untyped families are neither
    // pulled in nor followed (a group the closure has for other reasons does not bring its
    // drives, sites and calendars).
    let before_navigation = walker.in_closure.len();
    let in_untyped_family =
        |q: &QName| csdl.ancestry(q).iter().any(|a| untyped.contains(&a.name)) || untyped.contains(q);
    for _ in 0..config.navigation.depth {
        let targets: Vec<QName> = walker
            .in_closure
            .iter()
            .filter(|q| !in_untyped_family(q))
            .flat_map(|q| csdl.all_navigation(q))
            .map(|n| n.ty.name.clone())
            .filter(|t| !walker.in_closure.contains(t) && csdl.get(t).is_some() && !in_untyped_family(t))
            .collect();
        if targets.is_empty() {
            break;
        }
        for t in targets {
            walker.value(&TypeRef::Named(t));
        }
        walker.run();
    }
    let navigation_added = walker.in_closure.len() - before_navigation;
    let closure = walker.in_closure;

    // Polymorphic bases: types with derived types in the closure.
    let poly: BTreeMap<QName, Vec<QName>> = closure
        .iter()
        .filter(|q| !excluded.contains(*q))
        .filter_map(|q| {
            let derived: Vec<QName> = csdl.all_derived(q).into_iter().filter(|d| closure.contains(d)).collect();
            if derived.is_empty() {
                return None;
            }
            let members = std::iter::once(q.clone())
                .chain(derived)
                .filter(|m| csdl.get(m).is_some_and(|t| !t.is_abstract))
                .collect();
            Some((q.clone(), members))
        })
        .collect();

    // Rust names: CSDL types in name order (the main namespace sorts first and keeps plain names),
    // then action parameter types, then polymorphic enums.
    let mut scope = Scope::new();
    scope.reserve(RESERVED_TYPE_NAMES.iter().copied());
    let mut names: BTreeMap<QName, String> = BTreeMap::new();
    for q in &closure {
        let last_ns = q.namespace.rsplit('.').next().unwrap_or("");
        let candidates = [
            sanitize(&q.name, Case::Pascal),
            sanitize(&format!("{last_ns} {}", q.name), Case::Pascal),
            sanitize(&q.to_string(), Case::Pascal),
        ];
        names.insert(q.clone(), scope.claim_first(&candidates));
    }
    for (q, decl) in &actions {
        let binding = decl.binding.as_ref().map_or("", |b| b.name.name.as_str());
        let candidates = [
            sanitize(&format!("{} parameters", decl.name.name), Case::Pascal),
            sanitize(&format!("{binding} {} parameters", decl.name.name), Case::Pascal),
        ];
        names.insert(q.clone(), scope.claim_first(&candidates));
    }
    let mut poly_names: BTreeMap<QName, String> = BTreeMap::new();
    for q in poly.keys() {
        let base = names.get(q).cloned().unwrap_or_else(|| sanitize(&q.name, Case::Pascal));
        poly_names.insert(q.clone(), scope.claim(&format!("Any{base}")));
    }

    let mut types: BTreeMap<QName, TypeDef> = BTreeMap::new();
    for q in &closure {
        let Some(t) = csdl.get(q) else { continue };
        let rust_name = names[q].clone();
        if t.kind == TypeKind::Enum {
            types.insert(
                q.clone(),
                TypeDef::Enum(EnumDef {
                    name: q.clone(),
                    rust_name,
                    members: t.members.clone(),
                    flags: t.flags,
                    description: t.description.clone(),
                }),
            );
            continue;
        }
        let mut properties: Vec<Property> = csdl
            .all_properties(q)
            .into_iter()
            .map(|p| Property {
                name: p.name.clone(),
                ty: resolve::type_ref_expr(&p.ty),
                nullable: p.nullable,
                navigation: false,
                boxed: false,
                description: p.description.clone(),
            })
            .collect();
        // Undeclared properties configured for this type or a base type.
        for ancestor in csdl.ancestry(q).iter().rev() {
            for (name, ty) in extra.get(&ancestor.name.to_string()).into_iter().flatten() {
                if properties.iter().any(|p| &p.name == name) {
                    continue;
                }
                let ty = crate::csdl::QName::parse(ty)
                    .map(|q| resolve::type_ref_expr(&crate::csdl::TypeExpr { collection: false, name: q }))
                    .unwrap_or(TypeRef::Primitive(crate::model::Primitive::Json));
                properties.push(Property {
                    name: name.clone(),
                    ty,
                    nullable: true,
                    navigation: false,
                    boxed: false,
                    description: Some(
                        "Accepted by Graph but not declared in the metadata (see metadata/codegen.yaml).".to_string(),
                    ),
                });
            }
        }
        // Navigation properties appear in responses with $expand: every one is a field, typed as
        // its target when the closure has it (the navigation rule pulled targets in), else as
        // the target's nearest base type the closure has, else as JSON.
        for n in csdl.all_navigation(q) {
            let mut ty = resolve::type_ref_expr(&n.ty);
            if !closure.contains(&n.ty.name) {
                // A base the model can hold a value of: a concrete struct, or a polymorphic enum.
                let base = csdl
                    .ancestry(&n.ty.name)
                    .iter()
                    .find(|a| closure.contains(&a.name) && (!a.is_abstract || poly.contains_key(&a.name)))
                    .map(|a| a.name.clone());
                let target = match base {
                    Some(b) => TypeRef::Named(b),
                    None => TypeRef::Primitive(crate::model::Primitive::Json),
                };
                ty = if n.ty.collection { TypeRef::Collection(Box::new(target)) } else { target };
            }
            properties.push(Property {
                name: n.name.clone(),
                ty,
                nullable: true,
                navigation: true,
                boxed: false,
                description: n.description.clone(),
            });
        }
        types.insert(
            q.clone(),
            TypeDef::Struct(StructDef {
                name: q.clone(),
                rust_name,
                kind: if t.kind == TypeKind::Entity { StructKind::Entity } else { StructKind::Complex },
                is_abstract: t.is_abstract,
                base: t.base.clone(),
                properties,
                polymorphic: poly
                    .get(q)
                    .map(|members| Polymorphic { rust_name: poly_names[q].clone(), members: members.clone() }),
                description: t.description.clone(),
            }),
        );
    }
    for (q, decl) in actions {
        types.insert(
            q.clone(),
            TypeDef::Struct(StructDef {
                name: q.clone(),
                rust_name: names[&q].clone(),
                kind: StructKind::ActionParameters,
                is_abstract: false,
                base: None,
                properties: decl
                    .params
                    .iter()
                    .map(|p| Property {
                        name: p.name.clone(),
                        ty: resolve::type_ref_expr(&p.ty),
                        nullable: p.nullable,
                        navigation: false,
                        boxed: false,
                        description: None,
                    })
                    .collect(),
                polymorphic: None,
                description: Some(format!("Parameters of the `{}` action.", decl.name.name)),
            }),
        );
    }
    mark_boxed(&mut types);
    (types, navigation_added)
}

struct Closure<'a> {
    csdl: &'a Csdl,
    excluded: &'a BTreeSet<QName>,
    in_closure: BTreeSet<QName>,
    value_used: BTreeSet<QName>,
    stack: Vec<QName>,
}

impl Closure<'_> {
    /// `t` is the declared type of a value: include it, and its derived types.
    fn value(&mut self, t: &TypeRef) {
        let Some(q) = t.named() else { return };
        if !self.csdl.types.contains_key(q) {
            return;
        }
        if self.value_used.insert(q.clone()) && !self.excluded.contains(q) {
            for d in self.csdl.all_derived(q) {
                self.stack.push(d);
            }
        }
        self.stack.push(q.clone());
    }

    fn run(&mut self) {
        while let Some(q) = self.stack.pop() {
            if !self.in_closure.insert(q.clone()) {
                continue;
            }
            let Some(t) = self.csdl.get(&q) else { continue };
            if let Some(b) = &t.base {
                self.stack.push(b.clone());
            }
            let props: Vec<TypeRef> =
                self.csdl.all_properties(&q).iter().map(|p| resolve::type_ref_expr(&p.ty)).collect();
            for p in &props {
                self.value(p);
            }
        }
    }
}

/// Single-valued fields whose type can contain the owner again are boxed.
fn mark_boxed(types: &mut BTreeMap<QName, TypeDef>) {
    // Edges: owner -> type of each single-valued field; polymorphic base -> its members.
    let mut edges: BTreeMap<QName, BTreeSet<QName>> = BTreeMap::new();
    for (q, t) in types.iter() {
        if let TypeDef::Struct(s) = t {
            let e = edges.entry(q.clone()).or_default();
            for p in &s.properties {
                if let TypeRef::Named(target) = &p.ty {
                    e.insert(target.clone());
                }
            }
            if let Some(poly) = &s.polymorphic {
                e.extend(poly.members.iter().cloned());
            }
        }
    }
    let reaches = |from: &QName, to: &QName| -> bool {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.clone()];
        while let Some(n) = stack.pop() {
            if &n == to {
                return true;
            }
            if seen.insert(n.clone()) {
                stack.extend(edges.get(&n).into_iter().flatten().cloned());
            }
        }
        false
    };
    let mut boxed: BTreeSet<(QName, String)> = BTreeSet::new();
    for (q, t) in types.iter() {
        if let TypeDef::Struct(s) = t {
            for p in &s.properties {
                if let TypeRef::Named(target) = &p.ty {
                    if reaches(target, q) {
                        boxed.insert((q.clone(), p.name.clone()));
                    }
                }
            }
        }
    }
    for (q, t) in types.iter_mut() {
        if let TypeDef::Struct(s) = t {
            for p in &mut s.properties {
                p.boxed = boxed.contains(&(q.clone(), p.name.clone()));
            }
        }
    }
}

/// Fills missing rustdoc from another document (an OpenAPI one): operation descriptions and
/// documentation links by (template, method), type, property and enum descriptions by name.
pub fn describe(api: &mut Api, other: &crate::openapi::OpenApi) {
    for op in &mut api.operations {
        let Some(served) = other.served.ops.get(&(op.template.clone(), op.http_method)) else { continue };
        if op.description.is_none() {
            op.description = served.description.clone().or_else(|| served.summary.clone());
        }
        if op.docs.is_none() {
            op.docs = served.docs.clone();
        }
    }
    for (name, def) in &mut api.types {
        let Some(decl) = other.csdl.get(name) else { continue };
        match def {
            TypeDef::Struct(s) => {
                if s.description.is_none() {
                    s.description = decl.description.clone();
                }
                for p in &mut s.properties {
                    if p.description.is_some() {
                        continue;
                    }
                    let chain = other.csdl.ancestry(name);
                    p.description = chain.iter().find_map(|t| {
                        let prop = t.properties.iter().find(|d| d.name == p.name).and_then(|d| d.description.clone());
                        prop.or_else(|| {
                            t.navigation.iter().find(|d| d.name == p.name).and_then(|d| d.description.clone())
                        })
                    });
                }
            }
            TypeDef::Enum(e) => {
                if e.description.is_none() {
                    e.description = decl.description.clone();
                }
            }
        }
    }
}

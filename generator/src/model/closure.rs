//! The type closure: the types the operations use, and their Rust names. In phases, the way
//! typify adds referenced types (reach, then assign names, then convert, then break cycles):
//!
//! 1. [`reach`]: bodies, responses, key and function parameters, action parameters, the contained
//!    navigation targets of request bodies (deep insert), then base types, property types and the
//!    derived types of every type used as a value (except `closure.no_derived_types`), then the
//!    navigation rule's hops (`closure.navigation` in codegen.yaml);
//! 2. [`polymorphic_bases`]: the types with derived types in the closure, and their concrete members;
//! 3. [`assign_names`]: Rust names through [`TypeNamer`], in a fixed order;
//! 4. [`define`]: one [`TypeDef`] per type, properties flattened from the base types, configured
//!    extra properties, navigation properties typed by what the closure has;
//! 5. [`mark_boxed`]: single-valued fields that can contain their owner again are boxed, and
//!    [`box_large`]: so are fields of types too large to hold inline (`closure.box_fields_above`).

use std::collections::{BTreeMap, BTreeSet};

use crate::inputs::config::ClosureConfig;
use crate::model::types::{
    EnumDef, HttpMethod, Operation, OperationKind, Polymorphic, Primitive, Property, Response, Segment, StructDef,
    StructKind, TypeDef, TypeRef,
};
use crate::naming::TypeNamer;
use crate::paths::resolve::{action_params_name, type_ref_expr};
use crate::schema::{OperationDecl, QName, Schema, TypeExpr, TypeKind};

/// What the closure adds to an API version.
#[derive(Debug, Clone, Default)]
pub struct TypeClosure {
    pub types: BTreeMap<QName, TypeDef>,
    /// How many of `types` are there only because the navigation rule pulled them in.
    pub navigation_added: usize,
}

/// Extra properties: qualified type name -> property name -> Edm type (`extra_properties`).
pub type ExtraProperties = BTreeMap<String, BTreeMap<String, String>>;

/// The types the operations use, named and defined.
pub fn type_closure(
    schema: &Schema,
    operations: &[Operation],
    config: &ClosureConfig,
    extra: &ExtraProperties,
) -> TypeClosure {
    let excluded: BTreeSet<QName> = config.no_derived_types.iter().filter_map(|s| QName::parse(s)).collect();
    let reached = reach(schema, operations, config, &excluded);
    let poly = polymorphic_bases(schema, &reached.types, &excluded);
    let names = assign_names(&reached, &poly);
    let mut types = define(schema, &reached, &poly, &names, extra);
    mark_boxed(&mut types);
    if let Some(limit) = config.box_fields_above {
        box_large(&mut types, limit);
    }
    TypeClosure { types, navigation_added: reached.navigation_added }
}

/// Phase 1's result: every type in the closure and the actions whose parameters are bodies.
pub struct Reached<'a> {
    pub types: BTreeSet<QName>,
    /// The types whose navigation properties are fields: what a read can return (with `$expand`),
    /// see [`reach`]. Other types keep a navigation property the server sends anyway in
    /// `additional_properties`, as JSON.
    pub nav_holders: BTreeSet<QName>,
    /// Synthetic parameter type name -> the action.
    pub actions: BTreeMap<QName, &'a OperationDecl>,
    pub navigation_added: usize,
}

/// Phase 1: what the operations reach.
///
/// A navigation property is in a response only when the request asks for it with `$expand`, which
/// only a read (`GET`) takes; a write sends none (a reference is `@odata.bind`, an annotation).
/// So only the types a read returns hold their navigation properties as fields (`nav_holders`:
/// the structural closure of the `GET` responses), and only their navigation targets are pulled
/// in by the navigation rule (`closure.navigation`), as holders in turn (a nested `$expand`).
/// An entity type only sent or returned by writes has no navigation field: what the server sends
/// anyway is kept in `additional_properties`. A complex type is a value, not a resource: its
/// navigation properties are data it carries inline, fields wherever it is used.
pub fn reach<'a>(
    schema: &'a Schema,
    operations: &[Operation],
    config: &ClosureConfig,
    excluded: &BTreeSet<QName>,
) -> Reached<'a> {
    let untyped: BTreeSet<QName> = config.navigation.untyped.iter().filter_map(|s| QName::parse(s)).collect();
    let in_untyped_family =
        |q: &QName| untyped.contains(q) || schema.ancestry(q).iter().any(|a| untyped.contains(&a.name));
    let walker = || Walker {
        schema,
        excluded,
        untyped: &in_untyped_family,
        in_closure: BTreeSet::new(),
        value_used: BTreeSet::new(),
        stack: Vec::new(),
    };
    let mut all = walker();
    let actions = seed_operations(&mut all, schema, operations);
    all.run();
    let mut holders = walker();
    for op in operations.iter().filter(|o| o.http_method == HttpMethod::Get) {
        if let Response::Value(t) | Response::OptionalValue(t) | Response::Page(t) | Response::DeltaPage(t) =
            &op.response
        {
            holders.value(t);
        }
    }
    holders.run();
    let before_navigation = all.in_closure.len();
    follow_navigation(&mut all, &mut holders, schema, config.navigation.depth, &in_untyped_family);
    let navigation_added = all.in_closure.len() - before_navigation;
    Reached { types: all.in_closure, nav_holders: holders.in_closure, actions, navigation_added }
}

/// The types the operations name directly; returns the actions whose parameters are bodies.
fn seed_operations<'a>(
    walker: &mut Walker<'_>,
    schema: &'a Schema,
    operations: &[Operation],
) -> BTreeMap<QName, &'a OperationDecl> {
    let mut actions = BTreeMap::new();
    for op in operations {
        if op.kind != OperationKind::Action {
            op.body.iter().for_each(|t| walker.value(t));
        }
        match &op.response {
            Response::Empty | Response::Bytes => {}
            Response::Value(t) | Response::OptionalValue(t) | Response::Page(t) | Response::DeltaPage(t) => {
                walker.value(t)
            }
        }
        for seg in &op.segments {
            match seg {
                Segment::Function { params, .. } => params.iter().for_each(|p| walker.value(&p.ty)),
                Segment::Key { ty, .. } => walker.value(ty),
                Segment::Action { name } => {
                    let body = op.body.as_ref().and_then(TypeRef::named);
                    let decl =
                        schema.operations.iter().find(|o| &o.name == name && body == Some(&action_params_name(o)));
                    if let Some(decl) = decl {
                        decl.params.iter().for_each(|p| walker.value(&type_ref_expr(&p.ty)));
                        actions.insert(action_params_name(decl), decl);
                    }
                }
                Segment::Navigation { .. } | Segment::Ref | Segment::Stream { .. } => {}
            }
        }
    }
    actions
}

/// The navigation rule: each hop pulls in the targets of the navigation properties of the types
/// the closure has so far, with what their values need; untyped families are neither pulled in
/// nor followed (a group the closure has for other reasons does not bring its drives, sites and
/// calendars).
fn follow_navigation(
    all: &mut Walker<'_>,
    holders: &mut Walker<'_>,
    schema: &Schema,
    depth: u32,
    in_untyped_family: &dyn Fn(&QName) -> bool,
) {
    for _ in 0..depth {
        let targets: BTreeSet<QName> = holders
            .in_closure
            .iter()
            .filter(|q| !in_untyped_family(q))
            .flat_map(|q| schema.all_navigation(q))
            .map(|n| n.ty.name.clone())
            .filter(|t| !holders.in_closure.contains(t) && schema.get(t).is_some() && !in_untyped_family(t))
            .collect();
        if targets.is_empty() {
            break;
        }
        for t in targets {
            all.value(&TypeRef::Named(t.clone()));
            holders.value(&TypeRef::Named(t));
        }
        all.run();
        holders.run();
    }
}

/// Phase 2: types with derived types in the closure -> their concrete members (the type itself
/// first when it is not abstract).
pub fn polymorphic_bases(
    schema: &Schema,
    closure: &BTreeSet<QName>,
    excluded: &BTreeSet<QName>,
) -> BTreeMap<QName, Vec<QName>> {
    closure
        .iter()
        .filter(|q| !excluded.contains(*q))
        .filter_map(|q| {
            let derived: Vec<QName> = schema.all_derived(q).into_iter().filter(|d| closure.contains(d)).collect();
            if derived.is_empty() {
                return None;
            }
            let members = std::iter::once(q.clone())
                .chain(derived)
                .filter(|m| schema.get(m).is_some_and(|t| !t.is_abstract))
                .collect();
            Some((q.clone(), members))
        })
        .collect()
}

/// Phase 3's result.
pub struct Names {
    /// Schema types and action parameter types.
    pub types: BTreeMap<QName, String>,
    /// Polymorphic enums, by base type.
    pub polymorphic: BTreeMap<QName, String>,
}

/// Phase 3: Rust names, schema types in name order, then action parameter types, then
/// polymorphic enums.
pub fn assign_names(reached: &Reached<'_>, poly: &BTreeMap<QName, Vec<QName>>) -> Names {
    let mut namer = TypeNamer::default();
    let mut types: BTreeMap<QName, String> = BTreeMap::new();
    for q in &reached.types {
        types.insert(q.clone(), namer.schema_type(&q.namespace, &q.name));
    }
    for (q, decl) in &reached.actions {
        let binding = decl.binding.as_ref().map_or("", |b| b.name.name.as_str());
        types.insert(q.clone(), namer.action_parameters(&decl.name.name, binding));
    }
    let polymorphic = poly
        .keys()
        .map(|q| {
            let base =
                types.get(q).cloned().unwrap_or_else(|| crate::naming::sanitize(&q.name, crate::naming::Case::Pascal));
            (q.clone(), namer.polymorphic(&base))
        })
        .collect();
    Names { types, polymorphic }
}

/// Phase 4: the type definitions.
fn define(
    schema: &Schema,
    reached: &Reached<'_>,
    poly: &BTreeMap<QName, Vec<QName>>,
    names: &Names,
    extra: &ExtraProperties,
) -> BTreeMap<QName, TypeDef> {
    let mut types: BTreeMap<QName, TypeDef> = BTreeMap::new();
    for q in &reached.types {
        let Some(t) = schema.get(q) else { continue };
        let rust_name = names.types[q].clone();
        let def = if t.kind == TypeKind::Enum {
            TypeDef::Enum(EnumDef {
                name: q.clone(),
                rust_name,
                members: t.members.clone(),
                flags: t.flags,
                description: t.description.clone(),
            })
        } else {
            let mut properties = structural_properties(schema, q, &reached.types, poly);
            properties.extend(extra_properties(schema, q, &properties, extra));
            let readable = reached.nav_holders.contains(q);
            if readable || t.kind == TypeKind::Complex {
                properties.extend(navigation_properties(schema, q, &reached.types, poly));
            }
            TypeDef::Struct(StructDef {
                name: q.clone(),
                rust_name,
                kind: if t.kind == TypeKind::Entity { StructKind::Entity } else { StructKind::Complex },
                is_abstract: t.is_abstract,
                base: t.base.clone(),
                properties,
                polymorphic: poly
                    .get(q)
                    .map(|members| Polymorphic { rust_name: names.polymorphic[q].clone(), members: members.clone() }),
                description: t.description.clone(),
                readable,
            })
        };
        types.insert(q.clone(), def);
    }
    for (q, decl) in &reached.actions {
        types.insert(q.clone(), action_parameters(q, decl, names, |ty| holdable(schema, ty, &reached.types, poly)));
    }
    types
}

fn property(name: &str, ty: TypeRef, nullable: bool, navigation: bool, description: Option<String>) -> Property {
    Property { name: name.to_string(), ty, nullable, navigation, boxed: false, description }
}

/// Every structural property, inherited ones first, typed by what the model can hold
/// ([`holdable`]).
fn structural_properties(
    schema: &Schema,
    q: &QName,
    closure: &BTreeSet<QName>,
    poly: &BTreeMap<QName, Vec<QName>>,
) -> Vec<Property> {
    schema
        .all_properties(q)
        .into_iter()
        .map(|p| {
            let ty = holdable(schema, type_ref_expr(&p.ty), closure, poly);
            property(&p.name, ty, p.nullable, false, p.description.clone())
        })
        .collect()
}

/// A reference the model can hold a value of: a named type the closure has that is concrete, a
/// polymorphic enum, or a schema enum; else its nearest base type that is; else JSON (an abstract
/// type with no derived type in the closure, such as `entity`, has no Rust type).
fn holdable(schema: &Schema, ty: TypeRef, closure: &BTreeSet<QName>, poly: &BTreeMap<QName, Vec<QName>>) -> TypeRef {
    hold(schema, ty, &|name, is_abstract| closure.contains(name) && (!is_abstract || poly.contains_key(name)))
}

/// [`holdable`] with `fits(type, is_abstract)` telling which struct types the model can hold.
fn hold(schema: &Schema, ty: TypeRef, fits: &dyn Fn(&QName, bool) -> bool) -> TypeRef {
    match ty {
        TypeRef::Collection(inner) => TypeRef::Collection(Box::new(hold(schema, *inner, fits))),
        TypeRef::Named(q) => {
            // Not a schema type (an action's parameters), an enum, or one the model holds.
            let Some(t) = schema.get(&q) else { return TypeRef::Named(q) };
            if t.kind == TypeKind::Enum || fits(&q, t.is_abstract) {
                return TypeRef::Named(q);
            }
            schema
                .ancestry(&q)
                .iter()
                .find(|a| fits(&a.name, a.is_abstract))
                .map_or(TypeRef::Primitive(Primitive::Json), |a| TypeRef::Named(a.name.clone()))
        }
        other => other,
    }
}

/// The operations' bodies, responses and URL parameters typed by what the model holds (a
/// response of an abstract type with no derived type in the model, such as a navigation to
/// `entity`, is JSON).
pub fn hold_operations(schema: &Schema, operations: &mut [Operation], types: &BTreeMap<QName, TypeDef>) {
    let fits = |name: &QName, _: bool| match types.get(name) {
        Some(TypeDef::Struct(s)) => !s.is_abstract || s.polymorphic.is_some(),
        Some(TypeDef::Enum(_)) => true,
        None => false,
    };
    let fix = |ty: &mut TypeRef| *ty = hold(schema, std::mem::replace(ty, TypeRef::Primitive(Primitive::Json)), &fits);
    for op in operations {
        op.body.iter_mut().for_each(fix);
        match &mut op.response {
            Response::Empty | Response::Bytes => {}
            Response::Value(t) | Response::OptionalValue(t) | Response::Page(t) | Response::DeltaPage(t) => fix(t),
        }
        for seg in &mut op.segments {
            match seg {
                Segment::Function { params, .. } => params.iter_mut().for_each(|p| fix(&mut p.ty)),
                Segment::Key { ty, .. } => fix(ty),
                Segment::Navigation { .. } | Segment::Action { .. } | Segment::Ref | Segment::Stream { .. } => {}
            }
        }
    }
}

/// Undeclared properties configured for this type or a base type (`extra_properties`).
fn extra_properties(schema: &Schema, q: &QName, declared: &[Property], extra: &ExtraProperties) -> Vec<Property> {
    let mut out: Vec<Property> = Vec::new();
    for ancestor in schema.ancestry(q).iter().rev() {
        for (name, ty) in extra.get(&ancestor.name.to_string()).into_iter().flatten() {
            if declared.iter().chain(&out).any(|p| &p.name == name) {
                continue;
            }
            let ty = QName::parse(ty)
                .map(|q| type_ref_expr(&TypeExpr { collection: false, name: q }))
                .unwrap_or(TypeRef::Primitive(Primitive::Json));
            let description = "Accepted by Graph but not declared in the metadata (see metadata/codegen.yaml).";
            out.push(property(name, ty, true, false, Some(description.to_string())));
        }
    }
    out
}

/// Navigation properties appear in responses with $expand: every one of a type a read returns is a field, typed as its
/// target when the model can hold it (the navigation rule pulled targets in), else as the
/// target's nearest base type it can hold, else as JSON ([`holdable`]).
fn navigation_properties(
    schema: &Schema,
    q: &QName,
    closure: &BTreeSet<QName>,
    poly: &BTreeMap<QName, Vec<QName>>,
) -> Vec<Property> {
    schema
        .all_navigation(q)
        .into_iter()
        .map(|n| {
            let ty = holdable(schema, type_ref_expr(&n.ty), closure, poly);
            property(&n.name, ty, true, true, n.description.clone())
        })
        .collect()
}

/// The struct holding an action's body parameters.
fn action_parameters(q: &QName, decl: &OperationDecl, names: &Names, hold: impl Fn(TypeRef) -> TypeRef) -> TypeDef {
    TypeDef::Struct(StructDef {
        name: q.clone(),
        rust_name: names.types[q].clone(),
        kind: StructKind::ActionParameters,
        is_abstract: false,
        base: None,
        properties: decl
            .params
            .iter()
            .map(|p| property(&p.name, hold(type_ref_expr(&p.ty)), p.nullable, false, None))
            .collect(),
        polymorphic: None,
        description: Some(format!("Parameters of the `{}` action.", decl.name.name)),
        readable: false,
    })
}

/// Phase 5, second part: a single-valued field whose type holds more than `limit` fields inline
/// is boxed, so that no value is larger than about `limit` fields on the stack (Graph's
/// `sharedDriveItem` held its `driveItem`, `list`, `site`... inline: 107 KB, which overflowed a
/// 2 MiB thread stack in a debug build). A polymorphic enum is as large as its largest member.
pub fn box_large(types: &mut BTreeMap<QName, TypeDef>, limit: usize) {
    let mut sizes: BTreeMap<QName, usize> = BTreeMap::new();
    let mut boxed: BTreeSet<(QName, String)> = BTreeSet::new();
    let names: Vec<QName> = types.keys().cloned().collect();
    for q in &names {
        inline_size(types, q, limit, &mut sizes, &mut boxed, &mut BTreeSet::new());
    }
    for (q, t) in types.iter_mut() {
        if let TypeDef::Struct(s) = t {
            for p in &mut s.properties {
                p.boxed |= boxed.contains(&(q.clone(), p.name.clone()));
            }
        }
    }
}

/// The fields `q` holds inline, boxing (into `boxed`) the fields over `limit` on the way.
fn inline_size(
    types: &BTreeMap<QName, TypeDef>,
    q: &QName,
    limit: usize,
    sizes: &mut BTreeMap<QName, usize>,
    boxed: &mut BTreeSet<(QName, String)>,
    visiting: &mut BTreeSet<QName>,
) -> usize {
    if let Some(&n) = sizes.get(q) {
        return n;
    }
    let Some(TypeDef::Struct(s)) = types.get(q) else { return 1 };
    // A cycle of unboxed fields cannot be (mark_boxed boxed them); count it once.
    if !visiting.insert(q.clone()) {
        return 1;
    }
    let mut size = 1;
    for p in &s.properties {
        let TypeRef::Named(target) = &p.ty else {
            size += 1;
            continue;
        };
        if p.boxed {
            size += 1;
            continue;
        }
        let field = match types.get(target) {
            Some(TypeDef::Struct(t)) => match &t.polymorphic {
                Some(poly) => {
                    poly.members.iter().map(|m| inline_size(types, m, limit, sizes, boxed, visiting)).max().unwrap_or(1)
                }
                None => inline_size(types, target, limit, sizes, boxed, visiting),
            },
            _ => 1,
        };
        if field > limit {
            boxed.insert((q.clone(), p.name.clone()));
            size += 1;
        } else {
            size += field;
        }
    }
    visiting.remove(q);
    sizes.insert(q.clone(), size);
    size
}

/// Phase 5: Single-valued fields whose type can contain the owner again are boxed.
pub fn mark_boxed(types: &mut BTreeMap<QName, TypeDef>) {
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

/// Walks type references into the closure.
struct Walker<'a> {
    schema: &'a Schema,
    excluded: &'a BTreeSet<QName>,
    /// Whether a type is in a family the navigation rule leaves untyped (`navigation.untyped`).
    untyped: &'a dyn Fn(&QName) -> bool,
    in_closure: BTreeSet<QName>,
    value_used: BTreeSet<QName>,
    stack: Vec<QName>,
}

impl Walker<'_> {
    /// `t` is the declared type of a value: include it, and its derived types.
    fn value(&mut self, t: &TypeRef) {
        let Some(q) = t.named() else { return };
        if !self.schema.types.contains_key(q) {
            return;
        }
        if self.value_used.insert(q.clone()) && !self.excluded.contains(q) {
            for d in self.schema.all_derived(q) {
                self.stack.push(d);
            }
        }
        self.stack.push(q.clone());
    }

    /// Adds what is on the stack, with base types and property types.
    fn run(&mut self) {
        while let Some(q) = self.stack.pop() {
            if !self.in_closure.insert(q.clone()) {
                continue;
            }
            let Some(t) = self.schema.get(&q) else { continue };
            if let Some(b) = &t.base {
                self.stack.push(b.clone());
            }
            let mut props: Vec<TypeRef> = self.schema.all_properties(&q).iter().map(|p| type_ref_expr(&p.ty)).collect();
            // A complex type's navigation properties are data it carries inline (an action's
            // `accessPackageAssignmentRequestRequirements` answers with its `questions`): values,
            // unless the navigation rule leaves their family untyped.
            if t.kind == TypeKind::Complex {
                let navigation = self.schema.all_navigation(&q);
                let typed = navigation.iter().filter(|n| !(self.untyped)(&n.ty.name));
                props.extend(typed.map(|n| type_ref_expr(&n.ty)));
            }
            for p in &props {
                self.value(p);
            }
        }
    }
}

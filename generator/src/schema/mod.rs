//! The schema picture both front ends fill: a faithful, validated picture of an OData schema
//! (types with inheritance, properties, navigation properties, the entity container, bound and
//! unbound actions and functions, and the annotations the generator uses), with the queries the
//! later stages ask of it (ancestry, inherited properties, derived types, bound operations).
//! [`crate::frontend::csdl`] reads it from CSDL XML, [`crate::frontend::openapi`] from an OpenAPI
//! document; it knows nothing about paths or Rust. Its validation is in [`validate`].

pub mod validate;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use crate::error::Loc;

/// A namespace-qualified name such as `microsoft.graph.accessPackage`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct QName {
    pub namespace: String,
    pub name: String,
}

impl QName {
    pub fn new(namespace: &str, name: &str) -> QName {
        QName { namespace: namespace.to_string(), name: name.to_string() }
    }

    /// Splits `a.b.c` at the last dot.
    pub fn parse(qualified: &str) -> Option<QName> {
        let (ns, name) = qualified.rsplit_once('.')?;
        (!ns.is_empty() && !name.is_empty()).then(|| QName::new(ns, name))
    }
}

impl std::fmt::Display for QName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.namespace, self.name)
    }
}

/// A type as written in a `Type` attribute, with aliases resolved.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct TypeExpr {
    pub collection: bool,
    /// `Edm.String` and friends stay in the `Edm` namespace.
    pub name: QName,
}

impl TypeExpr {
    pub fn is_edm(&self) -> bool {
        self.name.namespace == "Edm"
    }
}

impl std::fmt::Display for TypeExpr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.collection { write!(f, "Collection({})", self.name) } else { write!(f, "{}", self.name) }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeKind {
    Entity,
    Complex,
    Enum,
}

/// An entity, complex or enum type.
#[derive(Debug, Clone)]
pub struct TypeDecl {
    pub name: QName,
    pub kind: TypeKind,
    pub base: Option<QName>,
    pub is_abstract: bool,
    pub open: bool,
    /// A media entity (`HasStream`): its bytes are addressed as `.../$value`.
    pub has_stream: bool,
    /// Key property names declared on this type (entity types only; may be inherited instead).
    pub key: Option<Vec<String>>,
    pub properties: Vec<PropertyDecl>,
    pub navigation: Vec<NavigationDecl>,
    /// Enum members (name, value) in document order.
    pub members: Vec<(String, i64)>,
    pub flags: bool,
    pub description: Option<String>,
    pub loc: Loc,
}

#[derive(Debug, Clone)]
pub struct PropertyDecl {
    pub name: String,
    pub ty: TypeExpr,
    pub nullable: bool,
    pub description: Option<String>,
    pub loc: Loc,
}

#[derive(Debug, Clone)]
pub struct NavigationDecl {
    pub name: String,
    pub ty: TypeExpr,
    pub contains_target: bool,
    /// `Org.OData.Capabilities.V1.NavigationRestrictions/Referenceable`.
    pub referenceable: bool,
    pub nullable: bool,
    pub description: Option<String>,
    pub loc: Loc,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperationKind {
    Action,
    Function,
}

/// An action or function.
#[derive(Debug, Clone)]
pub struct OperationDecl {
    pub name: QName,
    pub kind: OperationKind,
    /// The binding parameter's type for bound operations.
    pub binding: Option<TypeExpr>,
    /// Parameters after the binding parameter.
    pub params: Vec<ParamDecl>,
    pub returns: Option<TypeExpr>,
    pub returns_nullable: bool,
    /// `Org.OData.Core.V1.RequiresExplicitBinding`: not inherited by the binding type's derived
    /// types (only reached on the binding type itself, e.g. `directoryObject`'s `delta` is not
    /// `groups/delta()`).
    pub requires_explicit_binding: bool,
    /// A function whose result further path segments may address (`IsComposable`):
    /// `worksheets/{id}/range(address='A1:B2')/format`.
    pub composable: bool,
    pub description: Option<String>,
    pub loc: Loc,
}

#[derive(Debug, Clone)]
pub struct ParamDecl {
    pub name: String,
    pub ty: TypeExpr,
    pub nullable: bool,
    pub loc: Loc,
}

/// An entity set or singleton of the entity container.
#[derive(Debug, Clone)]
pub struct ContainerItem {
    pub name: String,
    pub ty: QName,
    pub singleton: bool,
    pub loc: Loc,
}

/// A parsed, validated CSDL document.
#[derive(Debug, Clone)]
pub struct Schema {
    pub file: PathBuf,
    pub types: BTreeMap<QName, TypeDecl>,
    /// Container children by name.
    pub container: BTreeMap<String, ContainerItem>,
    pub operations: Vec<OperationDecl>,
    /// Derived types of each type (direct children only).
    pub derived: BTreeMap<QName, BTreeSet<QName>>,
}

impl Schema {
    pub fn get(&self, name: &QName) -> Option<&TypeDecl> {
        self.types.get(name)
    }

    /// The type and its ancestors, most derived first. Validation guarantees this terminates.
    pub fn ancestry<'a>(&'a self, name: &QName) -> Vec<&'a TypeDecl> {
        let mut out = Vec::new();
        let mut current = self.types.get(name);
        while let Some(t) = current {
            out.push(t);
            if out.len() > self.types.len() {
                break;
            }
            current = t.base.as_ref().and_then(|b| self.types.get(b));
        }
        out
    }

    /// All structural properties including inherited ones, base first.
    pub fn all_properties(&self, name: &QName) -> Vec<&PropertyDecl> {
        let mut chain = self.ancestry(name);
        chain.reverse();
        chain.iter().flat_map(|t| t.properties.iter()).collect()
    }

    /// All navigation properties including inherited ones, base first.
    pub fn all_navigation(&self, name: &QName) -> Vec<&NavigationDecl> {
        let mut chain = self.ancestry(name);
        chain.reverse();
        chain.iter().flat_map(|t| t.navigation.iter()).collect()
    }

    /// Finds a navigation property, searching base types too. Case-insensitive when `fold` is set.
    pub fn find_navigation(&self, ty: &QName, name: &str, fold: bool) -> Option<&NavigationDecl> {
        self.all_navigation(ty).into_iter().find(|n| n.name == name || (fold && n.name.eq_ignore_ascii_case(name)))
    }

    /// The key of an entity type (declared here or inherited).
    pub fn key_of(&self, name: &QName) -> Option<Vec<&PropertyDecl>> {
        let chain = self.ancestry(name);
        let key = chain.iter().find_map(|t| t.key.as_ref())?;
        let props = self.all_properties(name);
        key.iter().map(|k| props.iter().find(|p| &p.name == k).copied()).collect()
    }

    /// All transitive derived types of `name`, sorted.
    pub fn all_derived(&self, name: &QName) -> BTreeSet<QName> {
        let mut out = BTreeSet::new();
        let mut stack = vec![name.clone()];
        while let Some(n) = stack.pop() {
            for d in self.derived.get(&n).into_iter().flatten() {
                if out.insert(d.clone()) {
                    stack.push(d.clone());
                }
            }
        }
        out
    }

    /// True when `ty` is `base` or derives from it.
    pub fn is_a(&self, ty: &QName, base: &QName) -> bool {
        self.ancestry(ty).iter().any(|t| &t.name == base)
    }

    /// Bound operations named `name` (case-insensitive with `fold`) whose binding parameter
    /// accepts `binding_type` (the type itself or one of its bases), the most derived binding
    /// first: `groups/delta()` is the overload bound to `group`, not the one bound to
    /// `directoryObject`. An overload that requires explicit binding and is inherited (bound to a
    /// base) comes after every other, so it never wins over one that applies without a cast; it is
    /// still reached when it is the only one, because Graph serves such paths without the cast
    /// and lists them (`POST /groups/{id}/checkMemberGroups` binds to `directoryObject`'s
    /// explicit-binding action in the v1.0 metadata, and Graph's docs and permissions.json give
    /// exactly that path).
    pub fn bound_operations<'a>(
        &'a self,
        name: &str,
        binding_type: &QName,
        collection: bool,
        fold: bool,
    ) -> Vec<&'a OperationDecl> {
        let ancestry: Vec<&QName> = self.ancestry(binding_type).iter().map(|t| &t.name).collect();
        let mut found: Vec<((bool, usize), &OperationDecl)> = self
            .operations
            .iter()
            .filter_map(|op| {
                let name_ok = op.name.name == name || (fold && op.name.name.eq_ignore_ascii_case(name));
                let b = op.binding.as_ref()?;
                if !name_ok || b.collection != collection {
                    return None;
                }
                let depth = ancestry.iter().position(|t| **t == b.name)?;
                Some(((op.requires_explicit_binding && depth > 0, depth), op))
            })
            .collect();
        found.sort_by_key(|(rank, _)| *rank);
        found.into_iter().map(|(_, op)| op).collect()
    }

    /// The entity type or one of its ancestors declares a key.
    pub(crate) fn has_key(&self, name: &QName) -> bool {
        self.ancestry(name).iter().any(|t| t.key.is_some())
    }
}

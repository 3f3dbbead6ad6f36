//! CSDL front end: reads an OData CSDL (EDMX) document with roxmltree into [`Csdl`], a faithful,
//! validated picture of the schema (types with inheritance, properties, navigation properties,
//! the entity container, bound and unbound actions and functions, and the annotations the
//! generator uses). It knows nothing about paths or Rust; `resolve` and `lower` build on it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use roxmltree::{Document, Node};

use crate::error::{Error, Loc, Result};

const EDM_NS: &str = "http://docs.oasis-open.org/odata/ns/edm";
const EDMX_NS: &str = "http://docs.oasis-open.org/odata/ns/edmx";

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
pub struct Csdl {
    pub file: PathBuf,
    pub types: BTreeMap<QName, TypeDecl>,
    /// Container children by name.
    pub container: BTreeMap<String, ContainerItem>,
    pub operations: Vec<OperationDecl>,
    /// Derived types of each type (direct children only).
    pub derived: BTreeMap<QName, BTreeSet<QName>>,
}

impl Csdl {
    /// Parses CSDL text; `file` is used in error messages.
    pub fn parse(text: &str, file: &Path) -> Result<Csdl> {
        let doc =
            Document::parse_with_options(text, roxmltree::ParsingOptions { allow_dtd: false, ..Default::default() })
                .map_err(|e| {
                    let pos = e.pos();
                    let loc = match e {
                        // roxmltree reports where the unclosed element began; the end is where the
                        // text stops, which is what a truncated download needs to show.
                        roxmltree::Error::UnexpectedEndOfStream => end_of(text),
                        _ => Loc { line: pos.row, col: pos.col },
                    };
                    Error::input(file, loc, xml_error_message(&e))
                })?;
        let mut parser = Parser {
            file,
            doc: &doc,
            text,
            line_starts: std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect(),
            aliases: BTreeMap::new(),
        };
        let csdl = parser.parse()?;
        csdl.validate()?;
        Ok(csdl)
    }

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
    /// accepts `binding` (the type itself or one of its bases).
    pub fn bound_operations<'a>(
        &'a self,
        name: &str,
        binding_type: &QName,
        collection: bool,
        fold: bool,
    ) -> Vec<&'a OperationDecl> {
        self.operations
            .iter()
            .filter(|op| {
                let name_ok = op.name.name == name || (fold && op.name.name.eq_ignore_ascii_case(name));
                let Some(b) = &op.binding else { return false };
                name_ok && b.collection == collection && self.is_a(binding_type, &b.name)
            })
            .collect()
    }

    /// The entity type or one of its ancestors declares a key.
    fn has_key(&self, name: &QName) -> bool {
        self.ancestry(name).iter().any(|t| t.key.is_some())
    }

    pub(crate) fn validate(&self) -> Result<()> {
        let check = |ty: &TypeExpr, loc: Loc, what: &str| -> Result<()> {
            if ty.is_edm() {
                if edm_known(&ty.name.name) {
                    return Ok(());
                }
                return Err(Error::input(&self.file, loc, format!("{what}: unknown primitive type `{}`", ty.name)));
            }
            if self.types.contains_key(&ty.name) {
                Ok(())
            } else {
                Err(Error::input(&self.file, loc, format!("{what}: unknown type `{}`", ty.name)))
            }
        };
        for t in self.types.values() {
            if let Some(base) = &t.base {
                match self.types.get(base) {
                    None => {
                        return Err(Error::input(
                            &self.file,
                            t.loc,
                            format!("type `{}`: unknown base type `{base}`", t.name),
                        ));
                    }
                    Some(b) if b.kind != t.kind => {
                        return Err(Error::input(
                            &self.file,
                            t.loc,
                            format!("type `{}`: base type `{base}` is of another kind", t.name),
                        ));
                    }
                    Some(_) => {}
                }
            }
            // Cycles in BaseType.
            let mut seen = BTreeSet::new();
            let mut current = Some(t);
            while let Some(c) = current {
                if !seen.insert(&c.name) {
                    return Err(Error::input(
                        &self.file,
                        t.loc,
                        format!("type `{}`: BaseType chain is cyclic (through `{}`)", t.name, c.name),
                    ));
                }
                current = c.base.as_ref().and_then(|b| self.types.get(b));
            }
            for p in &t.properties {
                check(&p.ty, p.loc, &format!("property `{}.{}`", t.name, p.name))?;
            }
            for n in &t.navigation {
                check(&n.ty, n.loc, &format!("navigation property `{}.{}`", t.name, n.name))?;
                if n.ty.collection && n.contains_target && !self.has_key(&n.ty.name) {
                    return Err(Error::input(
                        &self.file,
                        n.loc,
                        format!(
                            "navigation property `{}.{}`: its items cannot be addressed, `{}` has no key \
                             (neither declared nor inherited)",
                            t.name, n.name, n.ty.name
                        ),
                    ));
                }
                if n.ty.is_edm() || self.types.get(&n.ty.name).is_some_and(|x| x.kind != TypeKind::Entity) {
                    return Err(Error::input(
                        &self.file,
                        n.loc,
                        format!("navigation property `{}.{}`: `{}` is not an entity type", t.name, n.name, n.ty),
                    ));
                }
            }
            // Duplicate property names across the inheritance chain.
            let mut names = BTreeSet::new();
            let mut chain = self.ancestry(&t.name);
            chain.reverse();
            for c in chain {
                for (name, loc) in
                    c.properties.iter().map(|p| (&p.name, p.loc)).chain(c.navigation.iter().map(|n| (&n.name, n.loc)))
                {
                    if !names.insert(name) {
                        return Err(Error::input(
                            &self.file,
                            loc,
                            format!("type `{}`: property `{name}` is declared twice", c.name),
                        ));
                    }
                }
            }
            if let Some(key) = &t.key {
                let props = self.all_properties(&t.name);
                for k in key {
                    if !props.iter().any(|p| &p.name == k) {
                        return Err(Error::input(
                            &self.file,
                            t.loc,
                            format!("type `{}`: key property `{k}` is not a property", t.name),
                        ));
                    }
                }
            }
        }
        for item in self.container.values() {
            match self.types.get(&item.ty) {
                Some(t) if t.kind == TypeKind::Entity && !item.singleton && !self.has_key(&t.name) => {
                    return Err(Error::input(
                        &self.file,
                        item.loc,
                        format!(
                            "entity set `{}`: `{}` has no key (neither declared nor inherited)",
                            item.name, item.ty
                        ),
                    ));
                }
                Some(t) if t.kind == TypeKind::Entity => {}
                Some(_) => {
                    return Err(Error::input(
                        &self.file,
                        item.loc,
                        format!("`{}`: `{}` is not an entity type", item.name, item.ty),
                    ));
                }
                None => {
                    return Err(Error::input(
                        &self.file,
                        item.loc,
                        format!("`{}`: unknown type `{}`", item.name, item.ty),
                    ));
                }
            }
        }
        for op in &self.operations {
            let what =
                format!("{} `{}`", if op.kind == OperationKind::Action { "action" } else { "function" }, op.name);
            if let Some(b) = &op.binding {
                check(b, op.loc, &what)?;
            }
            for p in &op.params {
                check(&p.ty, p.loc, &format!("{what} parameter `{}`", p.name))?;
            }
            if let Some(r) = &op.returns {
                check(r, op.loc, &format!("{what} return type"))?;
            }
        }
        Ok(())
    }
}

/// The Edm primitive types the generator maps.
pub fn edm_known(name: &str) -> bool {
    matches!(
        name,
        "String"
            | "Boolean"
            | "Byte"
            | "SByte"
            | "Int16"
            | "Int32"
            | "Int64"
            | "Single"
            | "Double"
            | "Decimal"
            | "Guid"
            | "DateTimeOffset"
            | "Date"
            | "TimeOfDay"
            | "Duration"
            | "Binary"
            | "Stream"
            | "Untyped"
            | "PrimitiveType"
            | "ComplexType"
            | "EntityType"
            | "Geography"
            | "GeographyPoint"
            | "Geometry"
    )
}

/// The position just after the last character of `text`.
fn end_of(text: &str) -> Loc {
    let line = text.matches('\n').count() + 1;
    let last = text.rsplit('\n').next().unwrap_or_default();
    Loc {
        line: u32::try_from(line).unwrap_or(u32::MAX),
        col: u32::try_from(last.chars().count() + 1).unwrap_or(u32::MAX),
    }
}

fn xml_error_message(e: &roxmltree::Error) -> String {
    // roxmltree's Display ends with " at R:C"; the position is printed in front instead.
    let s = e.to_string();
    match s.rfind(" at ") {
        Some(i) if s[i + 4..].chars().all(|c| c.is_ascii_digit() || c == ':') => s[..i].to_string(),
        _ => s,
    }
}

struct Parser<'a, 'input> {
    file: &'a Path,
    doc: &'a Document<'input>,
    text: &'a str,
    /// Byte offset of each line's start, for positions in O(log n).
    line_starts: Vec<usize>,
    /// alias -> namespace
    aliases: BTreeMap<String, String>,
}

impl Parser<'_, '_> {
    fn loc(&self, node: Node<'_, '_>) -> Loc {
        let offset = node.range().start;
        let line = self.line_starts.partition_point(|&s| s <= offset).max(1);
        let start = self.line_starts[line - 1];
        let col = self.text.get(start..offset).map_or(0, |t| t.chars().count()) + 1;
        Loc { line: u32::try_from(line).unwrap_or(u32::MAX), col: u32::try_from(col).unwrap_or(u32::MAX) }
    }

    fn err(&self, node: Node<'_, '_>, message: impl Into<String>) -> Error {
        Error::input(self.file, self.loc(node), message)
    }

    fn attr<'n>(&self, node: Node<'n, '_>, name: &str) -> Result<&'n str> {
        node.attribute(name)
            .ok_or_else(|| self.err(node, format!("<{}> has no `{name}` attribute", node.tag_name().name())))
    }

    fn bool_attr(&self, node: Node<'_, '_>, name: &str, default: bool) -> Result<bool> {
        match node.attribute(name) {
            None => Ok(default),
            Some("true") => Ok(true),
            Some("false") => Ok(false),
            Some(other) => Err(self.err(node, format!("`{name}` must be true or false, not `{other}`"))),
        }
    }

    fn qualify(&self, node: Node<'_, '_>, raw: &str) -> Result<QName> {
        let q = QName::parse(raw).ok_or_else(|| self.err(node, format!("`{raw}` is not a qualified name")))?;
        Ok(match self.aliases.get(&q.namespace) {
            Some(ns) => QName::new(ns, &q.name),
            None => q,
        })
    }

    fn type_expr(&self, node: Node<'_, '_>, raw: &str) -> Result<TypeExpr> {
        let (collection, inner) = match raw.strip_prefix("Collection(").and_then(|r| r.strip_suffix(')')) {
            Some(inner) => (true, inner),
            None => (false, raw),
        };
        Ok(TypeExpr { collection, name: self.qualify(node, inner.trim())? })
    }

    fn parse(&mut self) -> Result<Csdl> {
        let root = self.doc.root_element();
        if root.tag_name().name() != "Edmx" || root.tag_name().namespace() != Some(EDMX_NS) {
            return Err(self.err(root, "not a CSDL document: the root element must be edmx:Edmx"));
        }
        let schemas: Vec<Node<'_, '_>> = root
            .descendants()
            .filter(|n| n.is_element() && n.tag_name().name() == "Schema" && n.tag_name().namespace() == Some(EDM_NS))
            .collect();
        if schemas.is_empty() {
            return Err(self.err(root, "no <Schema> element"));
        }
        for s in &schemas {
            let ns = self.attr(*s, "Namespace")?;
            if let Some(alias) = s.attribute("Alias") {
                self.aliases.insert(alias.to_string(), ns.to_string());
            }
        }
        let mut csdl = Csdl {
            file: self.file.to_path_buf(),
            types: BTreeMap::new(),
            container: BTreeMap::new(),
            operations: Vec::new(),
            derived: BTreeMap::new(),
        };
        // Out-of-line descriptions: target -> text.
        let mut descriptions: BTreeMap<String, String> = BTreeMap::new();
        let mut referenceable: BTreeSet<String> = BTreeSet::new();
        for s in &schemas {
            let ns = self.attr(*s, "Namespace")?.to_string();
            for child in s.children().filter(Node::is_element) {
                match child.tag_name().name() {
                    "EntityType" | "ComplexType" | "EnumType" => {
                        let t = self.type_decl(child, &ns)?;
                        if let Some(prev) = csdl.types.get(&t.name) {
                            return Err(
                                self.err(child, format!("type `{}` is declared twice (first at {})", t.name, prev.loc))
                            );
                        }
                        csdl.types.insert(t.name.clone(), t);
                    }
                    "Action" | "Function" => csdl.operations.push(self.operation(child, &ns)?),
                    "EntityContainer" => self.container(child, &mut csdl.container)?,
                    "Annotations" => {
                        let target = self.attr(child, "Target")?;
                        let target = match self.qualify(child, target.split('/').next().unwrap_or(target)) {
                            Ok(q) => {
                                let rest = target.split_once('/').map(|(_, r)| format!("/{r}")).unwrap_or_default();
                                format!("{q}{rest}")
                            }
                            Err(_) => target.to_string(),
                        };
                        for a in child.children().filter(|n| n.has_tag_name((EDM_NS, "Annotation"))) {
                            if let Some(text) = description_of_annotation(a) {
                                descriptions.entry(target.clone()).or_insert(text);
                            }
                            if is_referenceable_annotation(a) {
                                referenceable.insert(target.clone());
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        for t in csdl.types.values_mut() {
            let key = t.name.to_string();
            if t.description.is_none() {
                t.description = descriptions.get(&key).cloned();
            }
            for p in &mut t.properties {
                if p.description.is_none() {
                    p.description = descriptions.get(&format!("{key}/{}", p.name)).cloned();
                }
            }
            for n in &mut t.navigation {
                let target = format!("{key}/{}", n.name);
                if n.description.is_none() {
                    n.description = descriptions.get(&target).cloned();
                }
                if referenceable.contains(&target) {
                    n.referenceable = true;
                }
            }
        }
        for t in csdl.types.values() {
            if let Some(b) = &t.base {
                csdl.derived.entry(b.clone()).or_default().insert(t.name.clone());
            }
        }
        Ok(csdl)
    }

    fn type_decl(&self, node: Node<'_, '_>, ns: &str) -> Result<TypeDecl> {
        let name = QName::new(ns, self.attr(node, "Name")?);
        let kind = match node.tag_name().name() {
            "EntityType" => TypeKind::Entity,
            "ComplexType" => TypeKind::Complex,
            _ => TypeKind::Enum,
        };
        let base = node.attribute("BaseType").map(|b| self.qualify(node, b)).transpose()?;
        let mut t = TypeDecl {
            name,
            kind,
            base,
            is_abstract: self.bool_attr(node, "Abstract", false)?,
            open: self.bool_attr(node, "OpenType", false)?,
            key: None,
            properties: Vec::new(),
            navigation: Vec::new(),
            members: Vec::new(),
            flags: self.bool_attr(node, "IsFlags", false)?,
            description: description_of(node),
            loc: self.loc(node),
        };
        let mut next_value = 0i64;
        for child in node.children().filter(Node::is_element) {
            match child.tag_name().name() {
                "Key" => {
                    let refs = child
                        .children()
                        .filter(|n| n.has_tag_name((EDM_NS, "PropertyRef")))
                        .map(|n| self.attr(n, "Name").map(str::to_string))
                        .collect::<Result<Vec<_>>>()?;
                    if refs.is_empty() {
                        return Err(self.err(child, format!("type `{}`: empty <Key>", t.name)));
                    }
                    t.key = Some(refs);
                }
                "Property" => t.properties.push(PropertyDecl {
                    name: self.attr(child, "Name")?.to_string(),
                    ty: self.type_expr(child, self.attr(child, "Type")?)?,
                    nullable: self.bool_attr(child, "Nullable", true)?,
                    description: description_of(child),
                    loc: self.loc(child),
                }),
                "NavigationProperty" => t.navigation.push(NavigationDecl {
                    name: self.attr(child, "Name")?.to_string(),
                    ty: self.type_expr(child, self.attr(child, "Type")?)?,
                    contains_target: self.bool_attr(child, "ContainsTarget", false)?,
                    referenceable: child
                        .children()
                        .filter(|n| n.has_tag_name((EDM_NS, "Annotation")))
                        .any(is_referenceable_annotation),
                    nullable: self.bool_attr(child, "Nullable", true)?,
                    description: description_of(child),
                    loc: self.loc(child),
                }),
                "Member" => {
                    let member = self.attr(child, "Name")?.to_string();
                    let value = match child.attribute("Value") {
                        Some(v) => v.parse::<i64>().map_err(|_| {
                            self.err(child, format!("enum member `{member}`: value `{v}` is not an integer"))
                        })?,
                        None => next_value,
                    };
                    next_value = value.saturating_add(1);
                    if t.members.iter().any(|(m, _)| *m == member) {
                        return Err(self.err(child, format!("enum `{}`: member `{member}` is declared twice", t.name)));
                    }
                    t.members.push((member, value));
                }
                _ => {}
            }
        }
        Ok(t)
    }

    fn operation(&self, node: Node<'_, '_>, ns: &str) -> Result<OperationDecl> {
        let name = QName::new(ns, self.attr(node, "Name")?);
        let kind = if node.tag_name().name() == "Action" { OperationKind::Action } else { OperationKind::Function };
        let bound = self.bool_attr(node, "IsBound", false)?;
        let mut params = Vec::new();
        let mut returns = None;
        let mut returns_nullable = true;
        for child in node.children().filter(Node::is_element) {
            match child.tag_name().name() {
                "Parameter" => params.push(ParamDecl {
                    name: self.attr(child, "Name")?.to_string(),
                    ty: self.type_expr(child, self.attr(child, "Type")?)?,
                    nullable: self.bool_attr(child, "Nullable", true)?,
                    loc: self.loc(child),
                }),
                "ReturnType" => {
                    returns = Some(self.type_expr(child, self.attr(child, "Type")?)?);
                    returns_nullable = self.bool_attr(child, "Nullable", true)?;
                }
                _ => {}
            }
        }
        let binding = if bound {
            if params.is_empty() {
                return Err(self.err(node, format!("bound operation `{name}` has no binding parameter")));
            }
            Some(params.remove(0).ty)
        } else {
            None
        };
        Ok(OperationDecl {
            name,
            kind,
            binding,
            params,
            returns,
            returns_nullable,
            description: description_of(node),
            loc: self.loc(node),
        })
    }

    fn container(&self, node: Node<'_, '_>, out: &mut BTreeMap<String, ContainerItem>) -> Result<()> {
        for child in node.children().filter(Node::is_element) {
            let (singleton, type_attr) = match child.tag_name().name() {
                "Singleton" => (true, "Type"),
                "EntitySet" => (false, "EntityType"),
                _ => continue,
            };
            let name = self.attr(child, "Name")?.to_string();
            let ty = self.qualify(child, self.attr(child, type_attr)?)?;
            if out.contains_key(&name) {
                return Err(self.err(child, format!("entity container member `{name}` is declared twice")));
            }
            out.insert(name.clone(), ContainerItem { name, ty, singleton, loc: self.loc(child) });
        }
        Ok(())
    }
}

fn description_of(node: Node<'_, '_>) -> Option<String> {
    node.children().filter(|n| n.has_tag_name((EDM_NS, "Annotation"))).find_map(description_of_annotation)
}

fn description_of_annotation(a: Node<'_, '_>) -> Option<String> {
    let term = a.attribute("Term")?;
    if !term.ends_with("Core.V1.Description") {
        return None;
    }
    let text = a.attribute("String")?.trim();
    (!text.is_empty()).then(|| text.to_string())
}

fn is_referenceable_annotation(a: Node<'_, '_>) -> bool {
    a.attribute("Term").is_some_and(|t| t.ends_with("Capabilities.V1.NavigationRestrictions"))
        && a.descendants().any(|n| {
            n.has_tag_name((EDM_NS, "PropertyValue"))
                && n.attribute("Property") == Some("Referenceable")
                && n.attribute("Bool") == Some("true")
        })
}

//! CSDL front end: reads an OData CSDL (EDMX) document with roxmltree into [`Csdl`], a faithful,
//! validated picture of the schema (types with inheritance, properties, navigation properties,
//! the entity container, bound and unbound actions and functions, and the annotations the
//! generator uses). It knows nothing about paths or Rust; `resolve` and `lower` build on it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use roxmltree::{Document, Node};

use crate::error::{Error, Loc, Result};
use crate::schema::{
    ContainerItem, NavigationDecl, OperationDecl, OperationKind, ParamDecl, PropertyDecl, QName, Schema, TypeDecl,
    TypeExpr, TypeKind,
};

const EDM_NS: &str = "http://docs.oasis-open.org/odata/ns/edm";
const EDMX_NS: &str = "http://docs.oasis-open.org/odata/ns/edmx";

/// Parses CSDL text into a validated [`Schema`]; `file` is used in error messages.
pub fn parse(text: &str, file: &Path) -> Result<Schema> {
    let doc = Document::parse_with_options(text, roxmltree::ParsingOptions { allow_dtd: false, ..Default::default() })
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

    fn parse(&mut self) -> Result<Schema> {
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
        let mut csdl = Schema {
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
            has_stream: self.bool_attr(node, "HasStream", false)?,
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
        let mut requires_explicit_binding = false;
        for child in node.children().filter(Node::is_element) {
            match child.tag_name().name() {
                "Annotation" => {
                    requires_explicit_binding |=
                        child.attribute("Term").is_some_and(|t| t.ends_with("RequiresExplicitBinding"));
                }
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
            requires_explicit_binding,
            composable: self.bool_attr(node, "IsComposable", false)?,
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

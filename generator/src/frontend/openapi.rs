//! OpenAPI front end: reads an OpenAPI 3.0 document (Graph's per-module YAML, through the one YAML
//! boundary and `openapiv3`) into the same schema picture the CSDL front end builds, a [`schema::Schema`],
//! so that `resolve` and `lower` make the one model from either document:
//! - `components/schemas` become types: `allOf: [$ref base, {...}]` is inheritance, `enum` schemas
//!   are enum types (`x-ms-enum-flags` marks flags), properties marked `x-ms-navigationProperty`
//!   or typed with an entity type are navigation properties. OpenAPI has no entity/complex
//!   distinction: schemas deriving from `openapi.entity_base` (codegen.yaml) are entity types,
//!   keyed by `openapi.key`. `discriminator` mappings must name derived schemas.
//! - one-segment paths become the entity container: a GET answering a collection is an entity set,
//!   one answering an object a singleton;
//! - walking every path through those types finds the bound actions (`.../ns.name`, POST, request
//!   body = parameters) and functions (`.../ns.name(p='{p}')`, GET), with their return types
//!   (`value` wrappers and `x-ms-pageable` collections), and which navigation properties are
//!   contained (items created, updated or deleted through them) or references (`$ref` paths).
//!
//! [`OpenApi::served`] lists what the document actually serves, resolved to the model's templates:
//! an operation the schemas allow but the document does not list is not generated from it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use openapiv3::{
    AdditionalProperties, IntegerFormat, NumberFormat, OpenAPI, ReferenceOr, Schema, SchemaKind, StatusCode,
    StringFormat, Type, VariantOrUnknownOrEmpty,
};

use crate::error::{Error, Loc, Result};
use crate::inputs::config::OpenApiConfig;
use crate::model::types::HttpMethod;
use crate::paths::syntax::{self as paths, RawArg, RawSegment};
use crate::schema::{
    self, ContainerItem, NavigationDecl, OperationDecl, OperationKind, ParamDecl, PropertyDecl, QName, TypeDecl,
    TypeExpr, TypeKind,
};

/// What the document says about one (HTTP method, path) it lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServedOp {
    /// The OpenAPI path as written.
    pub path: String,
    pub summary: Option<String>,
    pub description: Option<String>,
    /// `externalDocs.url`.
    pub docs: Option<String>,
}

/// A parsed OpenAPI document: its schemas as a [`schema::Schema`], and the (HTTP method, path)
/// pairs it lists, as written (resolving them to the model's templates is the paths stage's job:
/// [`crate::paths::resolve::served`]).
#[derive(Debug, Clone)]
pub struct OpenApi {
    pub schema: schema::Schema,
    /// In document order.
    pub paths: Vec<(HttpMethod, ServedOp)>,
}

/// Parses the YAML text of an OpenAPI 3.0 document.
pub fn parse_document(text: &str, file: &Path) -> Result<OpenAPI> {
    // openapiv3 panics on some duplicate keys: reject them while reading.
    let doc: OpenAPI = crate::inputs::yaml::from_str_unique_keys(text, file)?;
    if !doc.openapi.starts_with("3.0") {
        return Err(Error::file(file, format!("OpenAPI version `{}` is not supported (3.0.x is)", doc.openapi)));
    }
    Ok(doc)
}

impl OpenApi {
    /// Reads `text` (OpenAPI 3.0 YAML) into the schema model; `file` names it in messages.
    pub fn parse(text: &str, file: &Path, config: &OpenApiConfig) -> Result<OpenApi> {
        let doc = crate::timing::measure("parse OpenAPI", || parse_document(text, file))?;
        crate::timing::measure("convert OpenAPI", || OpenApi::from_document(&doc, text, file, config))
    }

    /// Converts a parsed document; `text` is only used to find line numbers for messages.
    pub fn from_document(doc: &OpenAPI, text: &str, file: &Path, config: &OpenApiConfig) -> Result<OpenApi> {
        let lines = LineIndex::new(text);
        let cx = Cx { doc, file, lines: &lines };
        let entity_base = QName::parse(&config.entity_base).ok_or_else(|| {
            Error::file(file, format!("openapi.entity_base `{}` is not a qualified name", config.entity_base))
        })?;
        let mut csdl = schema::Schema {
            file: file.to_path_buf(),
            types: BTreeMap::new(),
            container: BTreeMap::new(),
            operations: Vec::new(),
            derived: BTreeMap::new(),
        };
        cx.read_types(&mut csdl)?;
        cx.read_container_and_classify(&mut csdl, &entity_base, &config.key)?;
        cx.check_discriminators(&csdl)?;
        cx.walk_paths(&mut csdl)?;
        csdl.validate()?;
        Ok(OpenApi { schema: csdl, paths: listed_paths(doc) })
    }
}

/// Line numbers of schema names and paths, for messages (block-style YAML as Graph writes it).
struct LineIndex {
    schemas: BTreeMap<String, u32>,
    paths: BTreeMap<String, u32>,
}

impl LineIndex {
    fn new(text: &str) -> LineIndex {
        let mut schemas = BTreeMap::new();
        let mut paths = BTreeMap::new();
        let mut section = "";
        for (i, line) in text.lines().enumerate() {
            let n = u32::try_from(i + 1).unwrap_or(u32::MAX);
            let indent = line.len() - line.trim_start().len();
            let Some(key) = line.trim().strip_suffix(':').map(unquote) else { continue };
            match indent {
                0 => section = if key == "paths" { "paths" } else { "" },
                2 if section == "paths" => {
                    paths.insert(key, n);
                }
                2 => section = if key == "schemas" { "schemas" } else { "" },
                4 if section == "schemas" => {
                    schemas.insert(key, n);
                }
                _ => {}
            }
        }
        LineIndex { schemas, paths }
    }

    fn schema(&self, name: &str) -> Loc {
        self.schemas.get(name).map_or(Loc::default(), |&line| Loc { line, col: 5 })
    }

    fn path(&self, path: &str) -> Loc {
        self.paths.get(path).map_or(Loc::default(), |&line| Loc { line, col: 3 })
    }
}

/// A YAML key as written: plain, or single-quoted with `''` for a quote.
fn unquote(s: &str) -> String {
    let s = s.trim();
    match s.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')) {
        Some(inner) => inner.replace("''", "'"),
        None => s.to_string(),
    }
}

struct Cx<'a> {
    doc: &'a OpenAPI,
    file: &'a Path,
    lines: &'a LineIndex,
}

const SCHEMA_PREFIX: &str = "#/components/schemas/";

/// A type as a schema describes it.
struct Typed {
    ty: TypeExpr,
    nullable: bool,
}

fn edm(name: &str) -> QName {
    QName::new("Edm", name)
}

impl<'a> Cx<'a> {
    fn schemas(&self) -> impl Iterator<Item = (&'a String, &'a ReferenceOr<Schema>)> {
        self.doc.components.iter().flat_map(|c| c.schemas.iter())
    }

    fn schema_named(&self, name: &str) -> Option<&'a Schema> {
        self.doc.components.as_ref()?.schemas.get(name)?.as_item()
    }

    /// The schema name a `$ref` points to.
    fn ref_name<'r>(&self, reference: &'r str, loc: Loc) -> Result<&'r str> {
        reference.strip_prefix(SCHEMA_PREFIX).ok_or_else(|| {
            Error::input(self.file, loc, format!("`$ref: {reference}` does not point into #/components/schemas"))
        })
    }

    /// `components/schemas` -> types (kinds are decided afterwards by [`classify`]).
    fn read_types(&self, csdl: &mut schema::Schema) -> Result<()> {
        for (name, schema) in self.schemas() {
            let loc = self.lines.schema(name);
            let Some(qname) = QName::parse(name) else { continue };
            let schema = match schema {
                ReferenceOr::Item(s) => s,
                ReferenceOr::Reference { reference } => {
                    return Err(Error::input(
                        self.file,
                        loc,
                        format!("schema `{name}` is a bare reference (`{reference}`)"),
                    ));
                }
            };
            if self.collection_item(schema).is_some() {
                continue;
            }
            let description = schema.schema_data.description.clone();
            let decl = match &schema.schema_kind {
                SchemaKind::Type(Type::String(s)) if !s.enumeration.is_empty() => {
                    enum_type(&qname, schema, &s.enumeration, description, loc)
                }
                SchemaKind::Type(Type::Object(_)) | SchemaKind::AllOf { .. } => {
                    self.object_type(name, &qname, schema, description, loc)?
                }
                _ => continue,
            };
            csdl.types.insert(qname, decl);
        }
        Ok(())
    }

    /// An object schema, or `allOf: [$ref base, {...}]` (inheritance): a complex type (made an
    /// entity type later when it derives from the entity base), its properties and navigation
    /// properties.
    fn object_type(
        &self,
        name: &str,
        qname: &QName,
        schema: &'a Schema,
        description: Option<String>,
        loc: Loc,
    ) -> Result<TypeDecl> {
        let mut base = None;
        let mut parts: Vec<&Schema> = Vec::new();
        match &schema.schema_kind {
            SchemaKind::AllOf { all_of } => {
                for part in all_of {
                    match part {
                        ReferenceOr::Reference { reference } => {
                            let b = self.ref_name(reference, loc)?;
                            if base.is_some() {
                                return Err(Error::input(
                                    self.file,
                                    loc,
                                    format!("schema `{name}`: allOf names more than one base schema"),
                                ));
                            }
                            base = Some(QName::parse(b).ok_or_else(|| {
                                Error::input(
                                    self.file,
                                    loc,
                                    format!("schema `{name}`: base `{b}` is not a qualified name"),
                                )
                            })?);
                        }
                        ReferenceOr::Item(s) => parts.push(s),
                    }
                }
            }
            _ => parts.push(schema),
        }
        let mut decl = TypeDecl {
            name: qname.clone(),
            kind: TypeKind::Complex,
            base,
            is_abstract: false,
            has_stream: false,
            open: false,
            key: None,
            properties: Vec::new(),
            navigation: Vec::new(),
            members: Vec::new(),
            flags: false,
            description: description.or_else(|| parts.iter().find_map(|p| p.schema_data.description.clone())),
            loc,
        };
        for part in parts {
            let props = match &part.schema_kind {
                SchemaKind::Type(Type::Object(o)) => &o.properties,
                SchemaKind::Any(a) => &a.properties,
                _ => {
                    return Err(Error::input(
                        self.file,
                        loc,
                        format!("schema `{name}`: an allOf part is neither a $ref nor an object"),
                    ));
                }
            };
            for (pname, pschema) in props {
                let what = format!("property `{name}.{pname}`");
                let (typed, marked_nav, pdesc) = match pschema {
                    ReferenceOr::Reference { reference } => {
                        // OpenAPI 3.0 cannot say `nullable` beside a `$ref`: OData's
                        // default (nullable) applies.
                        (self.ref_type(reference, loc, true)?, false, None)
                    }
                    ReferenceOr::Item(s) => (
                        self.schema_type(s, loc, &what)?,
                        s.schema_data.extensions.get("x-ms-navigationProperty") == Some(&serde_json::Value::Bool(true)),
                        s.schema_data.description.clone(),
                    ),
                };
                if marked_nav {
                    decl.navigation.push(NavigationDecl {
                        name: pname.clone(),
                        ty: typed.ty,
                        contains_target: false,
                        referenceable: false,
                        nullable: typed.nullable,
                        description: pdesc,
                        loc,
                    });
                } else {
                    decl.properties.push(PropertyDecl {
                        name: pname.clone(),
                        ty: typed.ty,
                        nullable: typed.nullable,
                        description: pdesc,
                        loc,
                    });
                }
            }
        }
        Ok(decl)
    }

    /// A `$ref` used as a type: a schema in a namespace, or any JSON for helper schemas outside one.
    fn ref_type(&self, reference: &str, loc: Loc, nullable: bool) -> Result<Typed> {
        let name = self.ref_name(reference, loc)?;
        if let Some(item) = self.schema_named(name).and_then(|s| self.collection_item(s)) {
            let inner = self.item_type(item, loc, name)?;
            return Ok(Typed { ty: TypeExpr { collection: true, name: inner.ty.name }, nullable });
        }
        Ok(match QName::parse(name) {
            Some(q) => Typed { ty: TypeExpr { collection: false, name: q }, nullable },
            None => Typed { ty: TypeExpr { collection: false, name: edm("Untyped") }, nullable },
        })
    }

    fn item_type(&self, item: &ReferenceOr<Box<Schema>>, loc: Loc, what: &str) -> Result<Typed> {
        let t = match item {
            ReferenceOr::Reference { reference } => self.ref_type(reference, loc, true)?,
            ReferenceOr::Item(s) => self.schema_type(s, loc, what)?,
        };
        if t.ty.collection {
            return Err(Error::input(self.file, loc, format!("{what}: collections of collections are not supported")));
        }
        Ok(t)
    }

    /// The type a schema describes (properties, parameters, bodies, responses).
    fn schema_type(&self, s: &Schema, loc: Loc, what: &str) -> Result<Typed> {
        let nullable = s.schema_data.nullable;
        let prim = |n: &str| Ok(Typed { ty: TypeExpr { collection: false, name: edm(n) }, nullable });
        match &s.schema_kind {
            SchemaKind::Type(Type::String(st)) => match &st.format {
                VariantOrUnknownOrEmpty::Item(StringFormat::DateTime) => prim("DateTimeOffset"),
                VariantOrUnknownOrEmpty::Item(StringFormat::Date) => prim("Date"),
                VariantOrUnknownOrEmpty::Item(StringFormat::Byte) => prim("Binary"),
                VariantOrUnknownOrEmpty::Item(StringFormat::Binary) => prim("Stream"),
                VariantOrUnknownOrEmpty::Unknown(f) => match f.as_str() {
                    "uuid" => prim("Guid"),
                    "duration" => prim("Duration"),
                    "time" => prim("TimeOfDay"),
                    "base64url" => prim("Binary"),
                    _ => prim("String"),
                },
                _ => prim("String"),
            },
            SchemaKind::Type(Type::Integer(it)) => match &it.format {
                VariantOrUnknownOrEmpty::Item(IntegerFormat::Int32) => prim("Int32"),
                VariantOrUnknownOrEmpty::Item(IntegerFormat::Int64) => prim("Int64"),
                VariantOrUnknownOrEmpty::Unknown(f) => match f.as_str() {
                    "int16" => prim("Int16"),
                    "int8" => prim("SByte"),
                    "uint8" => prim("Byte"),
                    _ => prim("Int64"),
                },
                VariantOrUnknownOrEmpty::Empty => prim("Int64"),
            },
            SchemaKind::Type(Type::Number(nt)) => match &nt.format {
                VariantOrUnknownOrEmpty::Item(NumberFormat::Float) => prim("Single"),
                VariantOrUnknownOrEmpty::Unknown(f) if f == "decimal" => prim("Decimal"),
                _ => prim("Double"),
            },
            SchemaKind::Type(Type::Boolean(_)) => prim("Boolean"),
            SchemaKind::Type(Type::Array(a)) => {
                let Some(items) = &a.items else {
                    return Err(Error::input(self.file, loc, format!("{what}: array without `items`")));
                };
                let inner = self.item_type(items, loc, what)?;
                // Graph's documents never state it for arrays: OData's default (nullable) applies.
                Ok(Typed { ty: TypeExpr { collection: true, name: inner.ty.name }, nullable: true })
            }
            SchemaKind::Type(Type::Object(o)) => {
                let untyped =
                    o.properties.is_empty() || matches!(o.additional_properties, Some(AdditionalProperties::Any(true)));
                if !untyped {
                    return Err(Error::input(
                        self.file,
                        loc,
                        format!("{what}: inline object schemas are not supported; declare it in components/schemas"),
                    ));
                }
                prim("Untyped")
            }
            // `anyOf`/`oneOf` as Graph writes them: a type plus a nullable placeholder object, or
            // a number that may also arrive as a string ("NaN", "INF").
            SchemaKind::AnyOf { any_of: alts } | SchemaKind::OneOf { one_of: alts } => {
                let mut nullable = nullable;
                let mut kept: Vec<Typed> = Vec::new();
                for alt in alts {
                    match alt {
                        ReferenceOr::Reference { reference } => {
                            let name = self.ref_name(reference, loc)?;
                            if QName::parse(name).is_some() {
                                kept.push(self.ref_type(reference, loc, false)?);
                            }
                        }
                        ReferenceOr::Item(a) => {
                            let t = self.schema_type(a, loc, what)?;
                            if t.ty.name == edm("Untyped") && a.schema_data.nullable {
                                nullable = true;
                            } else {
                                kept.push(t);
                            }
                        }
                    }
                }
                let numeric = ["Double", "Single", "Decimal", "Int32", "Int64", "Int16"];
                if kept.len() > 1 && kept.iter().any(|t| t.ty.is_edm() && numeric.contains(&t.ty.name.name.as_str())) {
                    kept.retain(|t| !(t.ty.is_edm() && t.ty.name.name == "String"));
                }
                match kept.len() {
                    1 => {
                        let t = kept.remove(0);
                        Ok(Typed { ty: t.ty, nullable: nullable || t.nullable })
                    }
                    _ => prim("Untyped").map(|t| Typed { nullable, ..t }),
                }
            }
            SchemaKind::AllOf { all_of } if all_of.len() == 1 => match &all_of[0] {
                ReferenceOr::Reference { reference } => self.ref_type(reference, loc, nullable),
                ReferenceOr::Item(inner) => self.schema_type(inner, loc, what),
            },
            SchemaKind::AllOf { .. } | SchemaKind::Not { .. } => Err(Error::input(
                self.file,
                loc,
                format!("{what}: inline allOf/not schemas are not supported; declare the type in components/schemas"),
            )),
            SchemaKind::Any(a) => {
                if !a.properties.is_empty() {
                    return Err(Error::input(
                        self.file,
                        loc,
                        format!("{what}: inline object schemas are not supported; declare it in components/schemas"),
                    ));
                }
                prim("Untyped")
            }
        }
    }

    /// For a collection wrapper, the item schema: an object whose only properties are an array
    /// `value` and `@odata.*` annotations, possibly through an allOf with a pagination helper
    /// schema (one outside any namespace, like `BaseCollectionPaginationCountResponse`).
    fn collection_item<'s>(&'s self, s: &'s Schema) -> Option<&'s ReferenceOr<Box<Schema>>> {
        let props = match &s.schema_kind {
            SchemaKind::Type(Type::Object(o)) => &o.properties,
            SchemaKind::AllOf { all_of } => {
                let helpers_only = all_of.iter().all(|p| match p {
                    ReferenceOr::Reference { reference } => {
                        reference.strip_prefix(SCHEMA_PREFIX).is_some_and(|n| QName::parse(n).is_none())
                    }
                    ReferenceOr::Item(_) => true,
                });
                if !helpers_only {
                    return None;
                }
                return all_of.iter().filter_map(ReferenceOr::as_item).find_map(|p| self.collection_item(p));
            }
            _ => return None,
        };
        if !props.keys().all(|k| k == "value" || k.starts_with('@')) {
            return None;
        }
        let value = props.get("value")?.as_item()?;
        match &value.schema_kind {
            SchemaKind::Type(Type::Array(a)) => a.items.as_ref(),
            _ => None,
        }
    }

    /// `discriminator.mapping` entries must name the schema or schemas derived from it.
    fn check_discriminators(&self, csdl: &schema::Schema) -> Result<()> {
        for (name, schema) in self.schemas() {
            let Some(s) = schema.as_item() else { continue };
            let Some(d) = &s.schema_data.discriminator else { continue };
            let Some(q) = QName::parse(name) else { continue };
            for (tag, target) in &d.mapping {
                let loc = self.lines.schema(name);
                let t = self.ref_name(target, loc)?;
                let ok = QName::parse(t).is_some_and(|tq| csdl.types.contains_key(&tq) && csdl.is_a(&tq, &q));
                if !ok {
                    return Err(Error::input(
                        self.file,
                        loc,
                        format!("schema `{name}`: discriminator maps `{tag}` to `{t}`, which does not derive from it"),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Kinds need the paths (what is addressed by key is an entity) and the container needs
    /// the kinds: classify, read the container, walk the paths for keyed types, and repeat until
    /// no new entity type turns up.
    fn read_container_and_classify(&self, csdl: &mut schema::Schema, entity_base: &QName, key: &str) -> Result<()> {
        // Addressed type -> its key property when paths address its items by key.
        let mut addressed: BTreeMap<QName, Option<String>> = BTreeMap::new();
        let declared = csdl.types.clone();
        loop {
            csdl.types = declared.clone();
            classify(csdl, entity_base, key, &addressed, self.file)?;
            csdl.container.clear();
            self.read_container(csdl)?;
            let mut found: Vec<(QName, Option<String>)> =
                csdl.container.values().map(|c| (c.ty.clone(), None)).collect();
            for (path, _) in &self.doc.paths.paths {
                if let Ok(raw) = paths::parse(path) {
                    walk(csdl, &raw.segments, &mut found);
                }
            }
            let before = addressed.clone();
            for (ty, placeholder) in found {
                // `{workflowVersion-versionNumber}`: the key property follows the last `-`.
                let prop = placeholder.map(|p| p.rsplit_once('-').map_or(key, |(_, p)| p).to_string());
                let entry = addressed.entry(ty).or_insert(None);
                if entry.is_none() {
                    *entry = prop;
                }
            }
            if addressed == before {
                return Ok(());
            }
        }
    }

    /// One-segment paths -> entity sets and singletons.
    fn read_container(&self, csdl: &mut schema::Schema) -> Result<()> {
        for (path, item) in &self.doc.paths.paths {
            let Some(item) = item.as_item() else { continue };
            let name = path.trim_matches('/');
            if name.is_empty() || name.contains('/') || name.contains('(') || name.starts_with('$') {
                continue;
            }
            let loc = self.lines.path(path);
            let typed = match (&item.get, &item.post) {
                (Some(get), _) => self.response_type(get, loc, path)?,
                (None, Some(post)) => {
                    self.body_type(post, loc, path)?.map(|t| TypeExpr { collection: true, name: t.name })
                }
                (None, None) => None,
            };
            let Some(ty) = typed else { continue };
            if ty.is_edm() {
                continue;
            }
            csdl.container.insert(
                name.to_string(),
                ContainerItem { name: name.to_string(), ty: ty.name, singleton: !ty.collection, loc },
            );
        }
        self.infer_singletons(csdl);
        Ok(())
    }

    /// A module's document may serve `/roleManagement/directory` without `/roleManagement`: the
    /// root is then a singleton of the one type that has every second segment used under it as a
    /// property (ties broken by the type named like the segment).
    fn infer_singletons(&self, csdl: &mut schema::Schema) {
        let mut children: BTreeMap<&str, (BTreeSet<&str>, Loc)> = BTreeMap::new();
        for path in self.doc.paths.paths.keys() {
            let mut segs = path.trim_matches('/').split('/');
            let (Some(root), Some(child)) = (segs.next(), segs.next()) else { continue };
            if csdl.container.contains_key(root) || root.contains(['(', '{', '$', '.']) {
                continue;
            }
            let entry = children.entry(root).or_insert_with(|| (BTreeSet::new(), self.lines.path(path)));
            if child.contains(['(', '{', '$', '.']) {
                // Keyed or an operation right under the root: not a singleton.
                entry.0.insert("");
            } else {
                entry.0.insert(child);
            }
        }
        for (root, (names, loc)) in children {
            if names.contains("") {
                continue;
            }
            let candidates: Vec<&TypeDecl> = csdl
                .types
                .values()
                .filter(|t| t.kind != TypeKind::Enum)
                .filter(|t| {
                    let chain = csdl.ancestry(&t.name);
                    names.iter().all(|n| {
                        chain.iter().any(|c| {
                            c.properties.iter().any(|p| p.name == *n) || c.navigation.iter().any(|p| p.name == *n)
                        })
                    })
                })
                .collect();
            let chosen = match candidates.as_slice() {
                [one] => Some(*one),
                many => many.iter().copied().find(|t| t.name.name == root),
            };
            let ty = match chosen {
                Some(t) => t.name.clone(),
                None => match self.synthesize_root(csdl, root, &names, loc) {
                    Some(q) => q,
                    None => continue,
                },
            };
            let item = ContainerItem { name: root.to_string(), ty, singleton: true, loc };
            csdl.container.insert(root.to_string(), item);
        }
    }

    /// When no schema fits a root the document serves paths under, a type is made for it whose
    /// navigation properties are the served second segments, typed by their GET responses. It
    /// only carries paths: no operation returns or sends it.
    fn synthesize_root(
        &self,
        csdl: &mut schema::Schema,
        root: &str,
        names: &BTreeSet<&str>,
        loc: Loc,
    ) -> Option<QName> {
        let mut navigation = Vec::new();
        for child in names {
            let item = self.doc.paths.paths.get(&format!("/{root}/{child}"))?.as_item()?;
            let ty = self.response_type(item.get.as_ref()?, loc, root).ok()??;
            if ty.is_edm() {
                return None;
            }
            navigation.push(NavigationDecl {
                name: (*child).to_string(),
                ty,
                contains_target: false,
                referenceable: false,
                nullable: true,
                description: None,
                loc,
            });
        }
        let namespace = navigation.first()?.ty.name.namespace.clone();
        let name = QName::new(&namespace, root);
        if csdl.types.contains_key(&name) {
            return None;
        }
        csdl.types.insert(
            name.clone(),
            TypeDecl {
                name: name.clone(),
                kind: TypeKind::Entity,
                base: None,
                is_abstract: false,
                has_stream: false,
                open: false,
                key: None,
                properties: Vec::new(),
                navigation,
                members: Vec::new(),
                flags: false,
                description: Some(format!("The type of `/{root}`, which this document does not declare.")),
                loc,
            },
        );
        Some(name)
    }

    /// The success response's type: `value` wrappers become collections (or the wrapped value).
    fn response_type(&self, op: &'a openapiv3::Operation, loc: Loc, what: &str) -> Result<Option<TypeExpr>> {
        let success = op.responses.responses.iter().find(|(code, _)| match code {
            StatusCode::Code(c) => (200..300).contains(c),
            StatusCode::Range(r) => *r == 2,
        });
        let Some((_, response)) = success else { return Ok(None) };
        let response = self.deref(response, "responses", |c, n| c.responses.get(n), loc, what)?;
        let Some(schema) = json_schema(&response.content) else { return Ok(None) };
        self.value_type(schema, loc, what).map(Some)
    }

    /// A body or response schema as a type, unwrapping `{value: ...}`.
    fn value_type(&self, schema: &ReferenceOr<Schema>, loc: Loc, what: &str) -> Result<TypeExpr> {
        Ok(match schema {
            ReferenceOr::Reference { reference } => self.ref_type(reference, loc, false)?.ty,
            ReferenceOr::Item(s) => {
                if let Some(item) = self.collection_item(s) {
                    let inner = self.item_type(item, loc, what)?;
                    TypeExpr { collection: true, name: inner.ty.name }
                } else if let Some(value) = single_value(s) {
                    match value {
                        ReferenceOr::Reference { reference } => self.ref_type(reference, loc, false)?.ty,
                        ReferenceOr::Item(v) => self.schema_type(v, loc, what)?.ty,
                    }
                } else {
                    self.schema_type(s, loc, what)?.ty
                }
            }
        })
    }

    fn request_body(
        &self,
        op: &'a openapiv3::Operation,
        loc: Loc,
        what: &str,
    ) -> Result<Option<&'a ReferenceOr<Schema>>> {
        let Some(body) = &op.request_body else { return Ok(None) };
        let body = self.deref(body, "requestBodies", |c, n| c.request_bodies.get(n), loc, what)?;
        Ok(json_schema(&body.content))
    }

    /// The item itself, or the `#/components/{section}/...` entry a reference names.
    fn deref<T>(
        &self,
        item: &'a ReferenceOr<T>,
        section: &str,
        lookup: impl Fn(&'a openapiv3::Components, &str) -> Option<&'a ReferenceOr<T>>,
        loc: Loc,
        what: &str,
    ) -> Result<&'a T> {
        match item {
            ReferenceOr::Item(t) => Ok(t),
            ReferenceOr::Reference { reference } => {
                let prefix = format!("#/components/{section}/");
                reference
                    .strip_prefix(&prefix)
                    .and_then(|name| lookup(self.doc.components.as_ref()?, name))
                    .and_then(ReferenceOr::as_item)
                    .ok_or_else(|| Error::input(self.file, loc, format!("{what}: unknown reference `{reference}`")))
            }
        }
    }

    fn body_type(&self, op: &'a openapiv3::Operation, loc: Loc, what: &str) -> Result<Option<TypeExpr>> {
        match self.request_body(op, loc, what)? {
            Some(ReferenceOr::Reference { reference }) => Ok(Some(self.ref_type(reference, loc, false)?.ty)),
            _ => Ok(None),
        }
    }

    /// Walks every path: bound operations, and containment / references of navigation properties.
    fn walk_paths(&self, csdl: &mut schema::Schema) -> Result<()> {
        let mut contained: BTreeSet<(QName, String)> = BTreeSet::new();
        let mut references: BTreeSet<(QName, String)> = BTreeSet::new();
        // One declaration per (name, binding, parameter names): functions overload on parameters.
        let mut operations: BTreeMap<(QName, TypeExpr, Vec<String>), OperationDecl> = BTreeMap::new();
        for (path, item) in &self.doc.paths.paths {
            let Some(item) = item.as_item() else { continue };
            let loc = self.lines.path(path);
            let Ok(raw) = paths::parse(path) else { continue };
            let Some(walk) = walk(csdl, &raw.segments, &mut Vec::new()) else { continue };
            let methods: BTreeSet<&str> = item.iter().map(|(m, _)| m).collect();
            match walk.end {
                End::Navigation { owner, nav, keyed } => {
                    let writes = if keyed {
                        methods.contains("patch") || methods.contains("delete") || methods.contains("put")
                    } else {
                        methods.contains("post")
                            || (!walk.collection && (methods.contains("patch") || methods.contains("put")))
                    };
                    if writes {
                        contained.insert((owner, nav));
                    }
                }
                End::Ref { owner, nav } => {
                    references.insert((owner, nav));
                }
                End::Operation { name, args, binding } => {
                    let Some(q) = QName::parse(&name) else { continue };
                    let (kind, op) = match (&item.get, &item.post) {
                        (Some(get), _) if args.is_some() => (OperationKind::Function, get),
                        (_, Some(post)) => (OperationKind::Action, post),
                        (Some(get), None) => (OperationKind::Function, get),
                        (None, None) => continue,
                    };
                    let mut params = Vec::new();
                    if kind == OperationKind::Function {
                        for (arg, value) in args.unwrap_or_default() {
                            let RawArg::Placeholder(p) = &value else { continue };
                            let ty = self.path_param_type(op, p, loc, path)?;
                            params.push(ParamDecl { name: arg, ty: ty.ty, nullable: ty.nullable, loc });
                        }
                    } else if let Some(body) = self.request_body(op, loc, path)? {
                        params = self.action_params(body, loc, path)?;
                    }
                    let returns = self.response_type(op, loc, path)?;
                    let names: Vec<String> = params.iter().map(|p| p.name.clone()).collect();
                    let key = (q.clone(), binding.clone(), names);
                    operations.entry(key).or_insert(OperationDecl {
                        name: q,
                        kind,
                        binding: Some(binding),
                        params,
                        returns,
                        returns_nullable: false,
                        requires_explicit_binding: false,
                        composable: false,
                        description: op.description.clone().or_else(|| op.summary.clone()),
                        loc,
                    });
                }
            }
        }
        for t in csdl.types.values_mut() {
            for n in &mut t.navigation {
                let key = (t.name.clone(), n.name.clone());
                // Older documents also serve POST on reference collections: `$ref` paths win.
                n.referenceable = references.contains(&key);
                n.contains_target = contained.contains(&key) && !n.referenceable;
            }
        }
        csdl.operations = operations.into_values().collect();
        Ok(())
    }

    fn path_param_type(&self, op: &openapiv3::Operation, name: &str, loc: Loc, what: &str) -> Result<Typed> {
        for p in &op.parameters {
            let ReferenceOr::Item(p) = p else { continue };
            let data = p.parameter_data_ref();
            if data.name != name {
                continue;
            }
            return match &data.format {
                openapiv3::ParameterSchemaOrContent::Schema(ReferenceOr::Reference { reference }) => {
                    self.ref_type(reference, loc, false)
                }
                openapiv3::ParameterSchemaOrContent::Schema(ReferenceOr::Item(s)) => self.schema_type(s, loc, what),
                openapiv3::ParameterSchemaOrContent::Content(_) => {
                    Err(Error::input(self.file, loc, format!("{what}: parameter `{name}` has no schema")))
                }
            };
        }
        Err(Error::input(self.file, loc, format!("{what}: the path names `{{{name}}}` but no parameter declares it")))
    }

    fn action_params(&self, body: &ReferenceOr<Schema>, loc: Loc, what: &str) -> Result<Vec<ParamDecl>> {
        let props = match body {
            ReferenceOr::Item(Schema { schema_kind: SchemaKind::Type(Type::Object(o)), .. }) => &o.properties,
            ReferenceOr::Item(Schema { schema_kind: SchemaKind::Any(a), .. }) => &a.properties,
            _ => {
                return Err(Error::input(
                    self.file,
                    loc,
                    format!("{what}: an action's request body must be an object"),
                ));
            }
        };
        let mut params = Vec::new();
        for (name, schema) in props {
            let t = match schema {
                ReferenceOr::Reference { reference } => self.ref_type(reference, loc, true)?,
                ReferenceOr::Item(s) => self.schema_type(s, loc, &format!("{what}: parameter `{name}`"))?,
            };
            params.push(ParamDecl { name: name.clone(), ty: t.ty, nullable: t.nullable, loc });
        }
        Ok(params)
    }
}

/// A string schema with `enum`: an enum type; `x-ms-enum-flags` makes its members flags.
fn enum_type(
    qname: &QName,
    schema: &Schema,
    enumeration: &[Option<String>],
    description: Option<String>,
    loc: Loc,
) -> TypeDecl {
    let flags = schema.schema_data.extensions.contains_key("x-ms-enum-flags");
    let members = enumeration
        .iter()
        .flatten()
        .enumerate()
        .map(|(i, m)| {
            let value = if flags {
                u32::try_from(i).ok().and_then(|i| 1i64.checked_shl(i)).unwrap_or(0)
            } else {
                i64::try_from(i).unwrap_or(i64::MAX)
            };
            (m.clone(), value)
        })
        .collect();
    TypeDecl {
        name: qname.clone(),
        kind: TypeKind::Enum,
        base: None,
        is_abstract: false,
        has_stream: false,
        open: false,
        key: None,
        properties: Vec::new(),
        navigation: Vec::new(),
        members,
        flags,
        description,
        loc,
    }
}

fn json_schema(content: &openapiv3::Content) -> Option<&ReferenceOr<Schema>> {
    content
        .iter()
        .find(|(media, _)| media.starts_with("application/json"))
        .or_else(|| content.first())
        .and_then(|(_, m)| m.schema.as_ref())
}

/// `{value: T}` with no other properties but `@odata.*` ones.
fn single_value(s: &Schema) -> Option<&ReferenceOr<Box<Schema>>> {
    let SchemaKind::Type(Type::Object(o)) = &s.schema_kind else { return None };
    let value = o.properties.get("value")?;
    o.properties.keys().all(|k| k == "value" || k.starts_with('@')).then_some(value)
}

/// Sets kinds and keys: entity types are the entity base, the types paths address (`addressed`:
/// type -> key property when items are addressed by key, from the placeholder
/// `{workflowVersion-versionNumber}`), and their bases and derived types. Properties typed with entity types become navigation properties.
fn classify(
    csdl: &mut schema::Schema,
    entity_base: &QName,
    key: &str,
    addressed: &BTreeMap<QName, Option<String>>,
    file: &Path,
) -> Result<()> {
    let Some(base) = csdl.types.get_mut(entity_base) else {
        return Err(Error::file(file, format!("openapi.entity_base `{entity_base}` is not a schema of the document")));
    };
    if !base.properties.iter().any(|p| p.name == key) {
        return Err(Error::input(
            file,
            base.loc,
            format!("openapi.entity_base `{entity_base}` has no key property `{key}`"),
        ));
    }
    base.key = Some(vec![key.to_string()]);
    csdl.derived.clear();
    for t in csdl.types.values() {
        if let Some(b) = &t.base {
            csdl.derived.entry(b.clone()).or_default().insert(t.name.clone());
        }
    }
    let mut entities: BTreeSet<QName> =
        std::iter::once(entity_base.clone()).chain(csdl.all_derived(entity_base)).collect();
    for (ty, key) in addressed {
        if entities.contains(ty) || !csdl.types.get(ty).is_some_and(|t| t.kind == TypeKind::Complex) {
            continue;
        }
        let chain: Vec<QName> = csdl.ancestry(ty).iter().map(|t| t.name.clone()).collect();
        entities.extend(chain.iter().cloned());
        entities.extend(csdl.all_derived(ty));
        let has_key = chain.iter().any(|q| csdl.types.get(q).is_some_and(|t| t.key.is_some()));
        if let Some((t, key)) = csdl.types.get_mut(ty).zip(key.as_ref()).filter(|_| !has_key) {
            t.key = Some(vec![key.clone()]);
        }
    }
    for t in csdl.types.values_mut() {
        if entities.contains(&t.name) {
            t.kind = TypeKind::Entity;
        }
        let props = std::mem::take(&mut t.properties);
        for p in props {
            if !p.ty.is_edm() && entities.contains(&p.ty.name) {
                t.navigation.push(NavigationDecl {
                    name: p.name,
                    ty: p.ty,
                    contains_target: false,
                    referenceable: false,
                    nullable: p.nullable,
                    description: p.description,
                    loc: p.loc,
                });
            } else {
                t.properties.push(p);
            }
        }
    }
    Ok(())
}

/// Where a walk through a path ends.
enum End {
    Navigation { owner: QName, nav: String, keyed: bool },
    Ref { owner: QName, nav: String },
    Operation { name: String, args: Option<Vec<(String, RawArg)>>, binding: TypeExpr },
}

struct Walk {
    end: End,
    /// The value at the end is a collection.
    collection: bool,
}

/// Walks container -> navigation -> key -> ...; `None` for paths this front end does not use
/// (type casts, `$count`, composable functions, unknown names).
/// Every type the walk passes through, with the key placeholder when it was addressed by key,
/// goes to `addressed`; a structural property of a named type is followed too (to find types
/// that must be entity types).
fn walk(csdl: &schema::Schema, segments: &[RawSegment], addressed: &mut Vec<(QName, Option<String>)>) -> Option<Walk> {
    let (first, rest) = segments.split_first()?;
    let RawSegment::Name(first) = first else { return None };
    let item = csdl.container.get(first)?;
    let mut ty = item.ty.clone();
    let mut collection = !item.singleton;
    let mut last_nav: Option<(QName, String)> = None;
    let mut keyed = false;
    for (i, seg) in rest.iter().enumerate() {
        let is_last = i + 1 == rest.len();
        match seg {
            RawSegment::Name(n) if n.contains('.') => {
                if !is_last || csdl.types.contains_key(&QName::parse(n)?) {
                    return None;
                }
                let binding = TypeExpr { collection, name: ty };
                return Some(Walk { end: End::Operation { name: n.clone(), args: None, binding }, collection: false });
            }
            RawSegment::Call { name, args } => {
                if !is_last {
                    return None;
                }
                let binding = TypeExpr { collection, name: ty };
                return Some(Walk {
                    end: End::Operation { name: name.clone(), args: Some(args.clone()), binding },
                    collection: false,
                });
            }
            RawSegment::Name(n) => {
                let chain = csdl.ancestry(&ty);
                if let Some(owner) = chain.iter().find(|t| t.navigation.iter().any(|nav| &nav.name == n)) {
                    let nav = owner.navigation.iter().find(|nav| &nav.name == n)?;
                    last_nav = Some((owner.name.clone(), n.clone()));
                    ty = nav.ty.name.clone();
                    collection = nav.ty.collection;
                } else {
                    // A structural property: not a walkable path yet, but its type is addressed.
                    let p = chain.iter().flat_map(|t| t.properties.iter()).find(|p| &p.name == n)?;
                    if !p.ty.is_edm() {
                        addressed.push((p.ty.name.clone(), None));
                    }
                    return None;
                }
                addressed.push((ty.clone(), None));
                keyed = false;
            }
            RawSegment::Placeholder(_) | RawSegment::Key(_) => {
                if !collection {
                    return None;
                }
                if let RawSegment::Placeholder(p) = seg {
                    addressed.push((ty.clone(), Some(p.clone())));
                }
                collection = false;
                keyed = true;
            }
            RawSegment::Ref => {
                let (owner, nav) = last_nav?;
                return Some(Walk { end: End::Ref { owner, nav }, collection });
            }
            RawSegment::System(_) => return None,
        }
    }
    let (owner, nav) = last_nav?;
    Some(Walk { end: End::Navigation { owner, nav, keyed }, collection })
}

/// Every (method, path) the document lists, with its descriptions.
fn listed_paths(doc: &OpenAPI) -> Vec<(HttpMethod, ServedOp)> {
    let mut out = Vec::new();
    for (path, item) in &doc.paths.paths {
        let Some(item) = item.as_item() else { continue };
        for (method, op) in item.iter() {
            let Some(method) = HttpMethod::parse(method) else { continue };
            out.push((
                method,
                ServedOp {
                    path: path.to_string(),
                    summary: op.summary.clone(),
                    description: op.description.clone(),
                    docs: op.external_docs.as_ref().map(|d| d.url.clone()),
                },
            ));
        }
    }
    out
}

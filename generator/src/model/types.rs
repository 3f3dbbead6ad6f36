//! The one intermediate model: what the front ends produce and the emitter consumes. It holds the
//! operations of the method set, the closure of types they use, and the listed methods that did
//! not resolve. Everything is ordered (`BTreeMap`, sorted `Vec`s) so emission is deterministic.

use std::collections::{BTreeMap, BTreeSet};

pub use crate::schema::QName;

/// One API version's generated surface.
#[derive(Debug, Clone, Default)]
pub struct Api {
    pub api_version: String,
    /// Sorted by (template, HTTP method).
    pub operations: Vec<Operation>,
    pub types: BTreeMap<QName, TypeDef>,
    /// Listed methods that did not resolve, in manifest order.
    pub unresolved: Vec<Unresolved>,
    /// Paths permissions.json grants that are absent from this version's metadata.
    pub skipped_grants: Vec<Unresolved>,
    /// Every type the metadata declares (the closure is in `types`), for reports.
    pub declared_types: BTreeSet<QName>,
    /// How many types of `types` are there only because the navigation rule
    /// (`closure.navigation` in codegen.yaml) pulled them in.
    pub navigation_added: usize,
    /// The waiters of `metadata/waiters.yaml` whose read this version generates.
    pub waiters: Vec<ApiWaiter>,
    /// Operations whose reference-page link is not the one their version's document gives
    /// ([`settle_docs`](crate::model::describe::settle_docs)), for CODEGEN.md.
    pub docs_differences: Vec<DocsDifference>,
    /// Notes for the docs of the operations that return a type (`response_notes` in
    /// codegen.yaml), for the types this version returns.
    pub response_notes: BTreeMap<QName, String>,
}

/// An operation whose reference-page link differs from its version's document's, or links
/// another version's page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocsDifference {
    pub http_method: HttpMethod,
    pub template: String,
    /// The reference page's link.
    pub listed: String,
    /// The link the operation's rustdoc carries: its version's document's, or overrides.yaml's
    /// (`overridden`), or none.
    pub linked: Option<String>,
    pub overridden: bool,
}

/// A `wait_until_<name>` method on the builder of a read (checked against the model).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiWaiter {
    /// Index into [`Api::operations`]: the `GET` that is polled.
    pub operation: usize,
    pub name: String,
    /// The watched property, as Graph spells it.
    pub property: String,
    /// Values (as Graph spells them) that end the wait with success, and with failure.
    pub success: Vec<String>,
    pub failure: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HttpMethod {
    Get,
    Post,
    Patch,
    Put,
    Delete,
}

impl HttpMethod {
    pub fn parse(s: &str) -> Option<HttpMethod> {
        match s.to_ascii_uppercase().as_str() {
            "GET" => Some(HttpMethod::Get),
            "POST" => Some(HttpMethod::Post),
            "PATCH" => Some(HttpMethod::Patch),
            "PUT" => Some(HttpMethod::Put),
            "DELETE" => Some(HttpMethod::Delete),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
            HttpMethod::Patch => "PATCH",
            HttpMethod::Put => "PUT",
            HttpMethod::Delete => "DELETE",
        }
    }
}

/// A type as used by a property, parameter, body or response.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum TypeRef {
    Primitive(Primitive),
    Named(QName),
    Collection(Box<TypeRef>),
}

impl TypeRef {
    /// The named type inside, if any.
    pub fn named(&self) -> Option<&QName> {
        match self {
            TypeRef::Named(q) => Some(q),
            TypeRef::Collection(inner) => inner.named(),
            TypeRef::Primitive(_) => None,
        }
    }
}

/// Edm primitive types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Primitive {
    String,
    Boolean,
    Byte,
    SByte,
    Int16,
    Int32,
    Int64,
    Single,
    Double,
    Decimal,
    Guid,
    DateTimeOffset,
    Date,
    TimeOfDay,
    Duration,
    Binary,
    Stream,
    /// `Edm.Untyped` and the abstract Edm types: any JSON.
    Json,
}

impl Primitive {
    pub fn from_edm(name: &str) -> Option<Primitive> {
        Some(match name {
            "String" => Primitive::String,
            "Boolean" => Primitive::Boolean,
            "Byte" => Primitive::Byte,
            "SByte" => Primitive::SByte,
            "Int16" => Primitive::Int16,
            "Int32" => Primitive::Int32,
            "Int64" => Primitive::Int64,
            "Single" => Primitive::Single,
            "Double" => Primitive::Double,
            "Decimal" => Primitive::Decimal,
            "Guid" => Primitive::Guid,
            "DateTimeOffset" => Primitive::DateTimeOffset,
            "Date" => Primitive::Date,
            "TimeOfDay" => Primitive::TimeOfDay,
            "Duration" => Primitive::Duration,
            "Binary" => Primitive::Binary,
            "Stream" => Primitive::Stream,
            "Untyped" | "PrimitiveType" | "ComplexType" | "EntityType" | "Geography" | "GeographyPoint"
            | "Geometry" => Primitive::Json,
            _ => return None,
        })
    }
}

/// A type the emitted crate defines.
#[derive(Debug, Clone)]
pub enum TypeDef {
    Struct(StructDef),
    Enum(EnumDef),
}

impl TypeDef {
    pub fn rust_name(&self) -> &str {
        match self {
            TypeDef::Struct(s) => &s.rust_name,
            TypeDef::Enum(e) => &e.rust_name,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StructKind {
    Entity,
    Complex,
    /// The parameters of an action, sent as its JSON body.
    ActionParameters,
}

#[derive(Debug, Clone)]
pub struct StructDef {
    pub name: QName,
    pub rust_name: String,
    pub kind: StructKind,
    pub is_abstract: bool,
    pub base: Option<QName>,
    /// All properties, inherited ones first.
    pub properties: Vec<Property>,
    /// When the type has derived types in the closure: the polymorphic enum's Rust name and its
    /// concrete members (this type first if it is not abstract), each with its `@odata.type`.
    pub polymorphic: Option<Polymorphic>,
    pub description: Option<String>,
    /// A read can return it (the structural closure of the `GET` responses, and the navigation
    /// targets followed from them): an entity type's navigation properties are fields then, and
    /// it has a `…Field` enum for typed `$select`, `$filter` and `$orderby`.
    pub readable: bool,
}

#[derive(Debug, Clone)]
pub struct Polymorphic {
    pub rust_name: String,
    pub members: Vec<QName>,
}

#[derive(Debug, Clone)]
pub struct Property {
    /// The JSON name.
    pub name: String,
    pub ty: TypeRef,
    pub nullable: bool,
    pub navigation: bool,
    /// Needs a `Box` to break a cycle of single-valued fields.
    pub boxed: bool,
    pub description: Option<String>,
}

#[derive(Debug, Clone)]
pub struct EnumDef {
    pub name: QName,
    pub rust_name: String,
    pub members: Vec<(String, i64)>,
    pub flags: bool,
    pub description: Option<String>,
}

/// One segment of a resolved path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Segment {
    /// A singleton, entity set or navigation property.
    Navigation { name: String, target: QName, collection: bool, contained: bool },
    /// A key value selecting one entity of the preceding collection.
    Key { param: String, entity: QName, ty: TypeRef },
    /// A bound function call; parameters are in the URL.
    Function { name: QName, params: Vec<Param> },
    /// A bound action; parameters are in the body.
    Action { name: QName },
    /// `$ref`.
    Ref,
    /// A stream: a structural property of type `Edm.Stream` (a file's `content`), or `$value`
    /// of a media entity (a photo). Its bytes are downloaded and uploaded.
    Stream { name: String },
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Param {
    pub name: String,
    pub ty: TypeRef,
    pub nullable: bool,
}

/// What an operation does, which also decides its method name in the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum OperationKind {
    List,
    Get,
    Create,
    Update,
    Replace,
    Delete,
    Function,
    Action,
    AddRef,
    RemoveRef,
    /// GET of a stream: the bytes.
    Download,
    /// PUT of a stream: bytes with their media type.
    Upload,
}

/// What a successful response carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    /// 204 No Content (or a body that is ignored).
    Empty,
    /// One value.
    Value(TypeRef),
    /// A value, or nothing when the server answers 204.
    OptionalValue(TypeRef),
    /// A page of a collection: `value`, `@odata.nextLink`, `@odata.count`.
    Page(TypeRef),
    /// A page of a delta query (a bound function named `delta` returning a collection): items
    /// changed or removed (`@removed`), and on the last page the `@odata.deltaLink`.
    DeltaPage(TypeRef),
    /// Bytes of any media type: a stream's download, a function's or action's `Edm.Stream`.
    Bytes,
}

impl Response {
    /// The type of the value, or of the items of the page.
    pub fn value_type(&self) -> Option<&TypeRef> {
        match self {
            Response::Empty | Response::Bytes => None,
            Response::Value(t) | Response::OptionalValue(t) | Response::Page(t) | Response::DeltaPage(t) => Some(t),
        }
    }

    /// A page of a collection, delta or not.
    pub fn is_paged(&self) -> bool {
        matches!(self, Response::Page(_) | Response::DeltaPage(_))
    }
}

/// Which consents allow a method. `None` = unknown.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Consent {
    pub delegated: Option<bool>,
    pub application: Option<bool>,
}

/// Where an operation came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Source {
    /// The method manifest (the permission's reference page).
    Spec,
    /// Graph's permissions.json.
    PermissionsJson,
}

/// The least-privileged permissions that allow an operation, per consent scheme.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LeastPrivileged {
    pub delegated: Vec<String>,
    pub application: Vec<String>,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Spec => "spec",
            Source::PermissionsJson => "permissions.json",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Operation {
    pub http_method: HttpMethod,
    pub segments: Vec<Segment>,
    /// Canonical path template, e.g. `/identityGovernance/entitlementManagement/accessPackages/{accessPackageId}`.
    pub template: String,
    pub kind: OperationKind,
    pub body: Option<TypeRef>,
    pub response: Response,
    /// Which consents allow the operation, decided by [`consent`](crate::model::consent) from the
    /// reference page's markers and permissions.json.
    pub consent: Consent,
    /// The reference page's markers for it (the plain spelling's when it lists several), if it
    /// lists it.
    pub listed_consent: Option<Consent>,
    /// The documentation link: its version's document's, else the reference page's when that
    /// links the same version ([`settle_docs`](crate::model::describe::settle_docs)).
    pub docs: Option<String>,
    /// The reference page's link (the plain spelling's when it lists several), if it lists one.
    pub listed_docs: Option<String>,
    pub description: Option<String>,
    /// The manifest's spellings of this operation, verbatim.
    pub spec_paths: Vec<String>,
    /// Query strings the manifest wrote into its paths (documented examples).
    pub example_queries: Vec<String>,
    pub sources: BTreeSet<Source>,
    pub least_privileged: LeastPrivileged,
    /// The permissions of the crate's set that allow it, in the set's order, each with its
    /// consents (one entry for a single-permission crate that grants it).
    pub granted_by: Vec<GrantedBy>,
    /// The Microsoft Graph PowerShell cmdlet that calls it (set by
    /// [`powershell`](crate::model::powershell) when `powershell.yaml` is configured).
    pub powershell: Option<String>,
}

/// One permission of the crate's set that allows an operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantedBy {
    pub permission: String,
    pub consent: Consent,
    /// Of the set's permissions that allow the operation with a signed-in user, this one has the
    /// lowest privilege level (ties: every one of them).
    pub least_delegated: bool,
    /// The same, app-only.
    pub least_application: bool,
}

/// A listed method that did not become an operation, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unresolved {
    pub api_version: String,
    pub http_method: String,
    pub path: String,
    pub reason: String,
}

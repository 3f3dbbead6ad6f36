//! Every Rust name rule, in one place: one function per case style, keyword escaping, a scope
//! that resolves collisions with numeric suffixes, the names the runtime reserves, and how model
//! types ([`TypeNamer`]), property enums, request builders ([`builder_struct_names`]) and their
//! methods are named, and lists in prose. A leaf: it works on strings and knows nothing of the stages that call it.

use std::collections::{BTreeMap, BTreeSet};

use heck::{ToKebabCase, ToSnakeCase, ToUpperCamelCase};

/// Words that cannot be plain identifiers (strict and reserved keywords of Rust 2024).
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern", "false", "fn",
    "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "self",
    "Self", "static", "struct", "super", "trait", "true", "type", "unsafe", "use", "where", "while", "abstract",
    "become", "box", "do", "final", "macro", "override", "priv", "try", "typeof", "unsized", "virtual", "yield",
];

/// Case styles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    /// Types and enum variants: `AccessPackage`.
    Pascal,
    /// Fields, methods, modules: `access_package`.
    Snake,
    /// Package names: `group-read-write-all` (no keyword escaping needed, never an identifier).
    Kebab,
}

/// The Rust identifier for `name` in `case`: keywords get a trailing `_`, a leading digit gets a
/// prefix, characters that are not identifier characters become word breaks.
pub fn sanitize(name: &str, case: Case) -> String {
    let cleaned: String = name.chars().map(|c| if c.is_alphanumeric() { c } else { ' ' }).collect();
    let mut out = match case {
        Case::Pascal => cleaned.to_upper_camel_case(),
        Case::Snake => cleaned.to_snake_case(),
        Case::Kebab => cleaned.to_kebab_case(),
    };
    if out.is_empty() {
        out = match case {
            Case::Pascal => "Empty".to_string(),
            Case::Snake | Case::Kebab => "empty".to_string(),
        };
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, if case == Case::Pascal { 'V' } else { 'n' });
    }
    if case != Case::Kebab && KEYWORDS.contains(&out.as_str()) {
        out.push('_');
    }
    out
}

/// A namespace of identifiers in which each claimed name is unique.
#[derive(Debug, Default, Clone)]
pub struct Scope {
    used: BTreeSet<String>,
}

impl Scope {
    pub fn new() -> Scope {
        Scope::default()
    }

    /// Marks names as taken (e.g. names the runtime defines).
    pub fn reserve<'a>(&mut self, names: impl IntoIterator<Item = &'a str>) {
        self.used.extend(names.into_iter().map(str::to_string));
    }

    /// Claims `candidate`, or `candidate2`, `candidate3`, ... when it is taken.
    pub fn claim(&mut self, candidate: &str) -> String {
        let mut name = candidate.to_string();
        let mut n = 1;
        while self.used.contains(&name) {
            n += 1;
            name = format!("{candidate}{n}");
        }
        self.used.insert(name.clone());
        name
    }

    /// Claims the first free candidate, falling back to numbering the first.
    pub fn claim_first(&mut self, candidates: &[String]) -> String {
        for c in candidates {
            if !self.used.contains(c) {
                self.used.insert(c.clone());
                return c.clone();
            }
        }
        self.claim(candidates.first().map_or("Unnamed", String::as_str))
    }

    pub fn contains(&self, name: &str) -> bool {
        self.used.contains(name)
    }
}

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

/// Methods every request builder has (`path()`, its `client`, a constructor).
pub const BUILDER_RESERVED_METHODS: [&str; 3] = ["path", "client", "new"];

/// Methods the client (or a version's entry struct) has besides its roots.
pub const CLIENT_RESERVED_METHODS: [&str; 7] = ["new", "builder", "base_url", "request", "http", "token", "client"];

/// Rust names of the model's types, claimed in one scope in the order the closure asks:
/// schema types in name order (the main namespace sorts first and keeps plain names), then action
/// parameter types, then polymorphic enums; property enums ([`FieldEnumNamer`]) come after.
#[derive(Debug, Clone)]
pub struct TypeNamer {
    scope: Scope,
}

impl Default for TypeNamer {
    fn default() -> Self {
        let mut scope = Scope::new();
        scope.reserve(RESERVED_TYPE_NAMES.iter().copied());
        TypeNamer { scope }
    }
}

impl TypeNamer {
    /// A schema type `namespace.name`: `Name`, else with the namespace's last part, else fully
    /// qualified.
    pub fn schema_type(&mut self, namespace: &str, name: &str) -> String {
        let last_ns = namespace.rsplit('.').next().unwrap_or("");
        let candidates = [
            sanitize(name, Case::Pascal),
            sanitize(&format!("{last_ns} {name}"), Case::Pascal),
            sanitize(&format!("{namespace}.{name}"), Case::Pascal),
        ];
        self.scope.claim_first(&candidates)
    }

    /// The body of action `action` bound to `binding`: `ActionParameters`, else
    /// `BindingActionParameters`.
    pub fn action_parameters(&mut self, action: &str, binding: &str) -> String {
        let candidates = [
            sanitize(&format!("{action} parameters"), Case::Pascal),
            sanitize(&format!("{binding} {action} parameters"), Case::Pascal),
        ];
        self.scope.claim_first(&candidates)
    }

    /// The enum over a base type and its derived types: `Any<Base>`.
    pub fn polymorphic(&mut self, base_rust_name: &str) -> String {
        self.scope.claim(&format!("Any{base_rust_name}"))
    }
}

/// Names of an entity's property enums (`<Type>Field`, `<Type>NullableField`), claimed in one
/// scope that holds every model type name.
#[derive(Debug, Clone)]
pub struct FieldEnumNamer {
    scope: Scope,
}

impl FieldEnumNamer {
    /// A scope in which `taken` (every type name of the models) are already used.
    pub fn new<'a>(taken: impl IntoIterator<Item = &'a str>) -> Self {
        let mut scope = Scope::new();
        scope.reserve(taken);
        FieldEnumNamer { scope }
    }

    /// `<Type>Field`: every structural property of the entity.
    pub fn field(&mut self, type_name: &str) -> String {
        self.scope.claim(&format!("{type_name}Field"))
    }

    /// `<Type>NullableField`: its nullable structural properties.
    pub fn nullable(&mut self, type_name: &str) -> String {
        self.scope.claim(&format!("{type_name}NullableField"))
    }
}

/// Variant names for JSON property names, unique within one enum.
pub fn variants<'a>(json_names: impl IntoIterator<Item = &'a str>) -> Vec<(String, &'a str)> {
    let mut scope = Scope::new();
    json_names.into_iter().map(|n| (scope.claim(&sanitize(n, Case::Pascal)), n)).collect()
}

/// Request-builder struct names: for each node (keyed by `K`, labelled by its path's steps, a key
/// step labelled `item`), the shortest suffix of labels that no other node shares, plus
/// `RequestBuilder`; claimed in key order in a scope that reserves the runtime's names.
pub fn builder_struct_names<K: Ord + Clone>(labels: &BTreeMap<K, Vec<String>>) -> BTreeMap<K, String> {
    let mut scope = Scope::new();
    scope.reserve(RESERVED_TYPE_NAMES.iter().copied());
    let mut out = BTreeMap::new();
    for (k, l) in labels {
        let n = (1..=l.len())
            .find(|&n| {
                let suffix = &l[l.len() - n..];
                labels.values().filter(|o| o.len() >= n && &o[o.len() - n..] == suffix).count() == 1
            })
            .unwrap_or(l.len());
        let candidate = sanitize(&format!("{} request builder", l[l.len() - n..].join(" ")), Case::Pascal);
        out.insert(k.clone(), scope.claim(&candidate));
    }
    out
}

/// The struct of a feature-gated API version's entry (`beta` -> `BetaApi`).
pub fn version_entry_struct(module: &str) -> String {
    sanitize(&format!("{module} api"), Case::Pascal)
}

/// Items as prose: "`A`", "`A` and `B`", "`A`, `B` and `C`" (each item as given).
pub fn prose_list<S: AsRef<str>>(items: &[S]) -> String {
    match items {
        [] => String::new(),
        [one] => one.as_ref().to_string(),
        [init @ .., last] => {
            let init: Vec<&str> = init.iter().map(AsRef::as_ref).collect();
            format!("{} and {}", init.join(", "), last.as_ref())
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn prose_lists() {
        for (items, want) in
            [(&[][..], ""), (&["a"][..], "a"), (&["a", "b"][..], "a and b"), (&["a", "b", "c"][..], "a, b and c")]
        {
            assert_eq!(super::prose_list(items), want, "{items:?}");
        }
    }

    use super::*;

    #[test]
    fn table() {
        let cases: &[(&str, Case, &str)] = &[
            ("accessPackage", Case::Pascal, "AccessPackage"),
            ("accessPackage", Case::Snake, "access_package"),
            ("accessPackagesIncompatibleWith", Case::Snake, "access_packages_incompatible_with"),
            ("type", Case::Snake, "type_"),
            ("self", Case::Snake, "self_"),
            ("Self", Case::Pascal, "Self_"),
            ("ref", Case::Snake, "ref_"),
            ("async", Case::Snake, "async_"),
            ("unknownFutureValue", Case::Pascal, "UnknownFutureValue"),
            ("@odata.type", Case::Snake, "odata_type"),
            ("1080p", Case::Pascal, "V1080p"),
            ("2fa", Case::Snake, "n2fa"),
            ("deviceOS", Case::Pascal, "DeviceOs"),
            ("ID", Case::Snake, "id"),
            ("", Case::Pascal, "Empty"),
            ("$ref", Case::Snake, "ref_"),
            ("microsoft.graph.identityGovernance", Case::Pascal, "MicrosoftGraphIdentityGovernance"),
            ("filterByCurrentUser", Case::Snake, "filter_by_current_user"),
            ("Group.ReadWrite.All", Case::Kebab, "group-read-write-all"),
            ("RoleManagement.ReadWrite.Directory", Case::Kebab, "role-management-read-write-directory"),
            ("type", Case::Kebab, "type"),
        ];
        for (input, case, expected) in cases {
            assert_eq!(sanitize(input, *case), *expected, "{input} {case:?}");
        }
    }

    #[test]
    fn collisions_get_suffixes() {
        let mut scope = Scope::new();
        assert_eq!(scope.claim("DeviceOs"), "DeviceOs");
        assert_eq!(scope.claim("DeviceOs"), "DeviceOs2");
        assert_eq!(scope.claim("DeviceOs"), "DeviceOs3");
        scope.reserve(["Client"]);
        assert_eq!(scope.claim("Client"), "Client2");
        assert_eq!(scope.claim_first(&["DeviceOs".to_string(), "GraphDeviceOs".to_string()]), "GraphDeviceOs");
    }

    #[test]
    fn type_names_fall_back_through_their_candidates() {
        let mut namer = TypeNamer::default();
        assert_eq!(namer.schema_type("microsoft.graph", "accessPackage"), "AccessPackage");
        assert_eq!(
            namer.schema_type("microsoft.graph.identityGovernance", "accessPackage"),
            "IdentityGovernanceAccessPackage"
        );
        assert_eq!(namer.schema_type("microsoft.graph", "client"), "GraphClient", "runtime names are reserved");
        assert_eq!(namer.action_parameters("reprocess", "accessPackageAssignment"), "ReprocessParameters");
        assert_eq!(
            namer.action_parameters("reprocess", "accessPackageAssignmentRequest"),
            "AccessPackageAssignmentRequestReprocessParameters"
        );
        assert_eq!(namer.polymorphic("AccessPackage"), "AnyAccessPackage");
        let mut fields = FieldEnumNamer::new(["AccessPackageField"]);
        assert_eq!(fields.field("AccessPackage"), "AccessPackageField2");
        assert_eq!(fields.nullable("AccessPackage"), "AccessPackageNullableField");
    }

    #[test]
    fn builder_names_are_the_shortest_unique_suffix() {
        let labels: BTreeMap<u8, Vec<String>> = [
            (1, vec!["identityGovernance", "entitlementManagement", "accessPackages"]),
            (2, vec!["identityGovernance", "entitlementManagement", "accessPackages", "item"]),
            (3, vec!["identityGovernance", "entitlementManagement", "catalogs", "item", "accessPackages"]),
            (4, vec!["identityGovernance", "entitlementManagement", "catalogs", "item", "accessPackages", "item"]),
            (5, vec!["client"]),
        ]
        .into_iter()
        .map(|(k, v)| (k, v.into_iter().map(String::from).collect()))
        .collect();
        let names = builder_struct_names(&labels);
        assert_eq!(names[&1], "EntitlementManagementAccessPackagesRequestBuilder");
        assert_eq!(names[&2], "EntitlementManagementAccessPackagesItemRequestBuilder");
        assert_eq!(names[&3], "ItemAccessPackagesRequestBuilder");
        assert_eq!(names[&4], "ItemAccessPackagesItemRequestBuilder");
        assert_eq!(names[&5], "ClientRequestBuilder");
        assert_eq!(version_entry_struct("beta"), "BetaApi");
    }
}

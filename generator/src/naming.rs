//! Rust names for metadata names: one function per case style, keyword escaping, and a scope that
//! resolves collisions with numeric suffixes. Every identifier the emitter writes comes from here.

use std::collections::BTreeSet;

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

#[cfg(test)]
mod tests {
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
}

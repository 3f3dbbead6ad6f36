//! Matching paths across sources that spell them differently: the reference page
//! (`/accessPackages/{accessPackageId}/incompatibleGroups/$ref`), permissions.json
//! (`/accesspackages/{id}/incompatiblegroups`), generated templates, beta names
//! (`accessPackageCatalogs` for v1.0 `catalogs`). Every path becomes a [`PathKey`]: lower case, keys
//! and function arguments as `{}`, no namespace qualifiers, no query string, no trailing `$ref`,
//! beta segment names mapped through the configured aliases.

use std::collections::BTreeMap;

use crate::paths::syntax::{self, RawSegment, strip_namespace};

/// Beta -> v1.0 segment names (compared case-insensitively).
#[derive(Debug, Clone, Default)]
pub struct Aliases {
    map: BTreeMap<String, String>,
}

impl Aliases {
    pub fn new<'a>(pairs: impl IntoIterator<Item = (&'a String, &'a String)>) -> Aliases {
        Aliases { map: pairs.into_iter().map(|(k, v)| (k.to_ascii_lowercase(), v.to_ascii_lowercase())).collect() }
    }

    pub(crate) fn apply<'a>(&'a self, segment: &'a str) -> &'a str {
        self.map.get(segment).map_or(segment, String::as_str)
    }
}

/// A normalized path; equal keys name the same resource.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PathKey(pub String);

impl std::fmt::Display for PathKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl PathKey {
    /// True when this key starts with `prefix`'s segments.
    pub fn starts_with(&self, prefix: &PathKey) -> bool {
        self.0 == prefix.0 || self.0.starts_with(&format!("{}/", prefix.0.trim_end_matches('/')))
    }
}

/// The key of `path`. Paths that do not parse are compared as lower-case text.
pub fn normalize(path: &str, aliases: &Aliases) -> PathKey {
    let Ok(raw) = syntax::parse(path) else {
        return PathKey(path.trim().to_ascii_lowercase());
    };
    let mut out = String::new();
    let last = raw.segments.len().saturating_sub(1);
    for (i, seg) in raw.segments.iter().enumerate() {
        let text = match seg {
            RawSegment::Name(n) => aliases.apply(&strip_namespace(n).to_ascii_lowercase()).to_string(),
            RawSegment::Placeholder(_) | RawSegment::Key(_) => "{}".to_string(),
            // `delta()` and `delta` (permissions.json leaves the parentheses of a function without
            // parameters out) are one segment.
            RawSegment::Call { name, args } if args.is_empty() => strip_namespace(name).to_ascii_lowercase(),
            RawSegment::Call { name, args } => {
                let mut names: Vec<String> =
                    args.iter().map(|(a, _)| format!("{}={{}}", a.to_ascii_lowercase())).collect();
                names.sort();
                format!("{}({})", strip_namespace(name).to_ascii_lowercase(), names.join(","))
            }
            RawSegment::Ref if i == last => continue,
            RawSegment::Ref => "$ref".to_string(),
            RawSegment::System(s) => format!("${}", s.to_ascii_lowercase()),
        };
        out.push('/');
        out.push_str(&text);
    }
    PathKey(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(p: &str) -> String {
        let aliases = Aliases::new([(&"accessPackageCatalogs".to_string(), &"catalogs".to_string())]);
        normalize(p, &aliases).0
    }

    #[test]
    fn sources_spell_the_same_path_differently() {
        let cases: &[(&str, &str)] = &[
            // case and key names
            (
                "/identityGovernance/entitlementManagement/accessPackages/{accessPackageId}",
                "/identitygovernance/entitlementmanagement/accesspackages/{id}",
            ),
            // $ref present in the docs, absent in permissions.json
            ("/x/accessPackages/{id}/incompatibleGroups/$ref", "/x/accesspackages/{id}/incompatiblegroups"),
            ("/x/accessPackages/{id}/incompatibleGroups/{id}/$ref", "/x/accesspackages/{id}/incompatiblegroups/{id}"),
            // function parameters: literal, quoted placeholder, {value}
            ("/x/assignments/filterByCurrentUser(on='target')", "/x/assignments/filterbycurrentuser(on={value})"),
            (
                "/x/a/additionalAccess(accessPackageId='{p}',incompatibleAccessPackageId='{q}')",
                "/x/a/additionalaccess(incompatibleaccesspackageid={value},accesspackageid={value})",
            ),
            // functions without parameters, with and without parentheses
            ("/groups/delta()", "/groups/delta"),
            ("/groups/microsoft.graph.delta()", "/groups/delta"),
            // namespace-qualified function names
            ("/x/a/microsoft.graph.filterByCurrentUser(on='x')", "/x/a/filterByCurrentUser(on={value})"),
            // query strings inside docs paths, missing leading slash
            ("x/resourceEnvironments?$filter=originSystem eq 'SharePointOnline'", "/x/resourceenvironments"),
            ("/x/accessPackages/{id}?$expand=resourceRoleScopes($expand=role,scope)", "/x/accesspackages/{id}"),
            // beta names mapped to v1.0 names
            ("/x/accessPackageCatalogs/{id}", "/x/catalogs/{id}"),
            // keys in parentheses
            ("/x/subjects(objectId='{objectId}')", "/x/subjects(objectid={value})"),
        ];
        for (a, b) in cases {
            assert_eq!(key(a), key(b), "{a} vs {b}");
        }
    }

    #[test]
    fn different_paths_stay_different() {
        assert_ne!(key("/x/accessPackages/{id}"), key("/x/accessPackages"));
        assert_ne!(key("/x/a/f(on='x')"), key("/x/a/f(by='x')"));
        assert_ne!(key("/x/assignmentPolicies"), key("/x/assignmentRequests"));
    }

    #[test]
    fn prefixes() {
        let p = PathKey("/identitygovernance/accessevaluationpolicies".into());
        assert!(PathKey("/identitygovernance/accessevaluationpolicies/{}".into()).starts_with(&p));
        assert!(!PathKey("/identitygovernance/accessevaluationpoliciesx".into()).starts_with(&p));
    }
}

//! Rustdoc from a second document: where the model's own front end had no description, the
//! OpenAPI document named as `descriptions:` in codegen.yaml may have one (operations by
//! template, types, properties and enum types by name).

use crate::frontend::openapi::OpenApi;
use crate::inputs::overrides::{DocsLink, docs_view};
use crate::model::types::{Api, DocsDifference, TypeDef};
use crate::paths::resolve::Served;

/// Fills missing rustdoc from another document (an OpenAPI one): operation descriptions and
/// documentation links by (template, method) from `served` (the other document's paths, resolved
/// against its own schema), type, property and enum descriptions by name.
pub fn describe(api: &mut Api, other: &OpenApi, served: &Served) {
    for op in &mut api.operations {
        let Some(served) = served.ops.get(&(op.template.clone(), op.http_method)) else { continue };
        if op.description.is_none() {
            op.description = served.description.clone().or_else(|| served.summary.clone());
        }
        if op.docs.is_none() {
            op.docs = served.docs.clone();
        }
    }
    for (name, def) in &mut api.types {
        let Some(decl) = other.schema.get(name) else { continue };
        match def {
            TypeDef::Struct(s) => {
                if s.description.is_none() {
                    s.description = decl.description.clone();
                }
                for p in &mut s.properties {
                    if p.description.is_some() {
                        continue;
                    }
                    let chain = other.schema.ancestry(name);
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

/// Settles each operation's documentation link. The version's own document wins (the front end's,
/// else the `descriptions:` one, already in `docs`); the reference page's link serves where the
/// document has none, unless it links another version's page (a v1.0 operation never links the
/// beta page); the `docs_links` of overrides.yaml serve where neither does. Every operation whose
/// page link differs from the document's, or names another version, is recorded for CODEGEN.md.
///
/// Returns the `docs_links` entries of this version that served nothing (no such operation, or
/// the document links it now), described for `--check`.
pub fn settle_docs(api: &mut Api, links: &[DocsLink]) -> Vec<String> {
    let version = api.api_version.trim_start_matches('v').to_string();
    let mut unused = Vec::new();
    let mut overridden = std::collections::BTreeSet::new();
    for link in links.iter().filter(|l| l.api_version == api.api_version) {
        let at = api
            .operations
            .iter()
            .position(|o| o.template == link.path && o.http_method.as_str().eq_ignore_ascii_case(&link.method));
        match at.map(|i| (i, &mut api.operations[i])) {
            Some((i, op)) if op.docs.is_none() => {
                op.docs = Some(link.url.clone());
                overridden.insert(i);
            }
            Some((_, op)) => unused.push(format!(
                "docs_links {} {} {}: the document links {} now",
                link.api_version,
                link.method,
                link.path,
                op.docs.as_deref().unwrap_or_default()
            )),
            None => {
                unused.push(format!("docs_links {} {} {}: no such operation", link.api_version, link.method, link.path))
            }
        }
    }
    for (i, op) in api.operations.iter_mut().enumerate() {
        let Some(listed) = op.listed_docs.clone() else { continue };
        let listed_view = docs_view(&listed);
        let other_version = listed_view.is_some_and(|v| v != version);
        if op.docs.is_none() && !other_version {
            op.docs = Some(listed);
            continue;
        }
        let same =
            op.docs.as_deref().is_some_and(|d| docs_page(d) == docs_page(&listed) && docs_view(d) == listed_view);
        if !same {
            api.docs_differences.push(DocsDifference {
                http_method: op.http_method,
                template: op.template.clone(),
                listed,
                linked: op.docs.clone(),
                overridden: overridden.contains(&i),
            });
        }
    }
    unused
}

/// The page of a learn.microsoft.com link: its address without the query.
fn docs_page(url: &str) -> &str {
    url.split(['?', '#']).next().unwrap_or(url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::types::{HttpMethod, Operation};

    fn op(template: &str, document: Option<&str>, listed: Option<&str>) -> Operation {
        Operation {
            http_method: HttpMethod::Get,
            segments: Vec::new(),
            template: template.into(),
            kind: crate::model::types::OperationKind::Get,
            body: None,
            response: crate::model::types::Response::Empty,
            consent: Default::default(),
            listed_consent: None,
            docs: document.map(Into::into),
            listed_docs: listed.map(Into::into),
            description: None,
            spec_paths: Vec::new(),
            example_queries: Vec::new(),
            sources: Default::default(),
            least_privileged: Default::default(),
            granted_by: Vec::new(),
            powershell: None,
        }
    }

    fn api(version: &str, operations: Vec<Operation>) -> Api {
        Api {
            api_version: version.into(),
            operations,
            types: Default::default(),
            unresolved: Vec::new(),
            skipped_grants: Vec::new(),
            declared_types: Default::default(),
            navigation_added: 0,
            waiters: Vec::new(),
            docs_differences: Vec::new(),
            response_notes: Default::default(),
        }
    }

    const BETA: &str = "https://learn.microsoft.com/graph/api/a-get?view=graph-rest-beta&tabs=http";
    const V1: &str = "https://learn.microsoft.com/graph/api/a-get?view=graph-rest-1.0";
    const V1_TABS: &str = "https://learn.microsoft.com/graph/api/a-get?view=graph-rest-1.0&tabs=http";
    const OTHER_V1: &str = "https://learn.microsoft.com/graph/api/b-get?view=graph-rest-1.0";

    #[test]
    fn the_versions_document_wins_and_another_versions_page_is_never_linked() {
        let mut a = api(
            "v1.0",
            vec![
                op("/a", Some(V1), Some(BETA)),
                op("/b", None, Some(BETA)),
                op("/c", None, Some(V1_TABS)),
                op("/d", Some(V1), Some(V1_TABS)),
                op("/e", Some(V1), Some(OTHER_V1)),
                op("/f", Some(V1), None),
                op("/g", None, Some(BETA)),
            ],
        );
        let override_link = DocsLink {
            api_version: "v1.0".into(),
            method: "GET".into(),
            path: "/g".into(),
            url: V1.into(),
            reason: "the document has none".into(),
        };
        let stale = DocsLink { path: "/a".into(), ..override_link.clone() };
        let unused = settle_docs(&mut a, &[override_link, stale]);
        assert_eq!(unused.len(), 1, "{unused:?}");
        assert!(unused[0].contains("/a: the document links"), "{unused:?}");
        let docs: Vec<_> = a.operations.iter().map(|o| o.docs.as_deref()).collect();
        assert_eq!(docs, [Some(V1), None, Some(V1_TABS), Some(V1), Some(V1), Some(V1), Some(V1)]);
        let differing: Vec<_> = a.docs_differences.iter().map(|d| d.template.as_str()).collect();
        assert_eq!(differing, ["/a", "/b", "/e", "/g"]);
        assert_eq!(a.docs_differences[1].linked, None);
        assert!(a.docs_differences[3].overridden);
    }

    #[test]
    fn beta_keeps_its_beta_links() {
        let mut a = api("beta", vec![op("/a", None, Some(BETA)), op("/b", None, Some(V1))]);
        assert!(settle_docs(&mut a, &[]).is_empty());
        assert_eq!(a.operations[0].docs.as_deref(), Some(BETA));
        assert_eq!(a.operations[1].docs, None);
        assert_eq!(a.docs_differences.len(), 1);
    }

    #[test]
    fn the_view_is_read_from_the_query() {
        assert_eq!(docs_view(BETA), Some("beta"));
        assert_eq!(docs_view(V1), Some("1.0"));
        assert_eq!(docs_view("https://learn.microsoft.com/graph/api/a-get"), None);
        assert_eq!(docs_page(V1_TABS), "https://learn.microsoft.com/graph/api/a-get");
    }
}

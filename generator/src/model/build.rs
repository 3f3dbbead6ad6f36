//! The method set of one API version: the manifest's methods (the permission's reference page)
//! and the paths permissions.json grants, each resolved against the schema (with an OpenAPI
//! front end, only what the document serves) and merged into one operation per (HTTP method,
//! canonical template). A method that does not resolve is kept with its reason. Consent is not
//! decided here: each operation records the reference page's markers, and
//! [`consent`](crate::model::consent) decides.

use std::collections::{BTreeMap, BTreeSet};

use crate::frontend::permissions::Grant;
use crate::inputs::manifest::ManifestMethod;
use crate::model::types::{Consent, HttpMethod, Operation, Unresolved};
use crate::paths::resolve::{self, Options, Resolved, Served};
use crate::paths::syntax;
use crate::schema::Schema;

/// The operations of one API version, and the methods that did not become one.
#[derive(Debug, Clone, Default)]
pub struct MethodSet {
    /// Sorted by (template, HTTP method).
    pub operations: Vec<Operation>,
    /// Listed methods that did not resolve, in manifest order.
    pub unresolved: Vec<Unresolved>,
    /// Paths permissions.json grants that are absent from this version's metadata.
    pub skipped_grants: Vec<Unresolved>,
}

/// Builds the method set of `api_version`.
pub fn method_set(
    schema: &Schema,
    served: Option<&Served>,
    api_version: &str,
    methods: &[&ManifestMethod],
    grants: &[Grant],
    aliases: &BTreeMap<String, String>,
) -> MethodSet {
    let mut set = MethodSet::default();
    let mut ops: BTreeMap<(String, HttpMethod), Operation> = BTreeMap::new();
    let resolver = Resolver { schema, served, aliases };
    for m in methods {
        match resolver.resolve(&m.http_method, &m.path, false) {
            Ok((method, resolved, query)) => {
                let op = ops
                    .entry((resolved.template.clone(), method))
                    .or_insert_with(|| new_operation(schema, method, &resolved, served));
                add_listed(op, m, query);
            }
            Err(reason) => set.unresolved.push(unresolved(api_version, &m.http_method, &m.path, reason)),
        }
    }
    for g in grants {
        match resolver.resolve(&g.http_method, &g.path, true) {
            Ok((method, resolved, _)) => {
                ops.entry((resolved.template.clone(), method))
                    .or_insert_with(|| new_operation(schema, method, &resolved, served));
            }
            Err(reason) => set.skipped_grants.push(unresolved(api_version, &g.http_method, &g.path, reason)),
        }
    }
    set.operations = ops.into_values().collect();
    set
}

fn unresolved(api_version: &str, http_method: &str, path: &str, reason: String) -> Unresolved {
    Unresolved {
        api_version: api_version.to_string(),
        http_method: http_method.to_string(),
        path: path.to_string(),
        reason,
    }
}

/// Resolves the methods of one source.
struct Resolver<'a> {
    schema: &'a Schema,
    served: Option<&'a Served>,
    aliases: &'a BTreeMap<String, String>,
}

impl Resolver<'_> {
    /// The HTTP method, the resolution and the query string written into the path. `granted`:
    /// the path is permissions.json's (which drops `$ref` on reference writes).
    fn resolve(
        &self,
        http_method: &str,
        path: &str,
        granted: bool,
    ) -> Result<(HttpMethod, Resolved, Option<String>), String> {
        let method = HttpMethod::parse(http_method).ok_or_else(|| format!("unknown HTTP method `{http_method}`"))?;
        let raw = syntax::parse(path).map_err(|e| if granted { e } else { format!("malformed path: {e}") })?;
        let options = Options { fold_case: true, implicit_ref: granted };
        let resolved = resolve::resolve_served(self.schema, self.served, method, &raw, options, self.aliases)?;
        Ok((method, resolved, raw.query))
    }
}

/// Records a manifest spelling of `op`: the spelling, a query written into it (a documented
/// example), its docs link (kept apart from the document's: [`settle_docs`]) and its consent
/// markers. The plain spelling's docs and markers take precedence over a spelling with a query.
///
/// [`settle_docs`]: crate::model::describe::settle_docs
fn add_listed(op: &mut Operation, m: &ManifestMethod, query: Option<String>) {
    op.spec_paths.push(m.path.clone());
    let has_query = query.is_some();
    if let Some(q) = query {
        op.example_queries.push(q);
    }
    if op.listed_docs.is_none() || !has_query {
        if let Some(d) = &m.docs {
            op.listed_docs = Some(d.clone());
        }
    }
    let markers = Consent { delegated: m.delegated, application: m.application };
    if op.listed_consent.is_none_or(|c| c == Consent::default()) || !has_query {
        op.listed_consent = Some(markers);
    }
}

fn new_operation(schema: &Schema, method: HttpMethod, r: &Resolved, served: Option<&Served>) -> Operation {
    let served = served.and_then(|s| s.ops.get(&(r.template.clone(), method)));
    let description = r
        .operation
        .as_ref()
        .and_then(|name| schema.operations.iter().find(|o| &o.name == name))
        .and_then(|o| o.description.clone())
        .or_else(|| served.and_then(|s| s.description.clone()));
    Operation {
        http_method: method,
        segments: r.segments.clone(),
        template: r.template.clone(),
        kind: r.kind,
        body: r.body.clone(),
        response: r.response.clone(),
        consent: Consent::default(),
        listed_consent: None,
        docs: served.and_then(|s| s.docs.clone()),
        listed_docs: None,
        description,
        spec_paths: Vec::new(),
        example_queries: Vec::new(),
        sources: BTreeSet::new(),
        least_privileged: Default::default(),
        granted_by: Vec::new(),
        powershell: None,
    }
}

//! `api.rs`: the navigable client. Operations are grouped into a tree by their path (navigation
//! and key segments); each tree node becomes a request-builder struct with methods for its child
//! nodes and for the operations that end there (list/get/create/update/replace/delete, bound
//! functions and actions, `$ref`).

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::quote;

use super::{TypeNames, VersionModule, doc_attrs, ident};
use crate::error::Result;
use crate::model::types::{
    Api, Consent, HttpMethod, Operation, OperationKind, Primitive, Response, Segment, TypeDef, TypeRef,
};
use crate::naming::{Case, Scope, sanitize};

/// A node segment: a navigation step or a key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Step {
    Nav(String),
    Key,
}

#[derive(Debug, Default)]
struct Node {
    /// Segment data of the last step (for docs and key types).
    segment: Option<Segment>,
    /// The node's template, e.g. `/identityGovernance/entitlementManagement/accessPackages/{accessPackageId}`.
    template: String,
    operations: Vec<usize>,
}

/// Emits `api.rs`; returns it and, per operation index, the Rust path of its method.
/// What `api.rs` exposes: per operation, the Rust path of its method and the chain of method
/// names that reach it from a `Client` (`["identity_governance", "entitlement_management", ...]`).
pub(crate) struct ApiSurface {
    pub(crate) file: String,
    pub(crate) rust_paths: Vec<String>,
    pub(crate) chains: Vec<Vec<String>>,
}

pub(crate) fn api_file(api: &Api, shortcuts: &BTreeMap<String, String>, module: &VersionModule) -> Result<ApiSurface> {
    let names = TypeNames::in_module(&api.types, module);
    // The main version's roots are methods of `Client`; a feature-gated version's are methods of
    // its own entry struct (`client.beta()`), which holds a client switched to that version.
    let entry = module.module.as_ref().map(|m| ident(&sanitize(&format!("{m} api"), Case::Pascal)));
    let root_client = if entry.is_some() { quote!(self.client.clone()) } else { quote!(self.clone()) };
    let external = module.external_path();
    // Build the tree.
    let mut nodes: BTreeMap<Vec<Step>, Node> = BTreeMap::new();
    for (i, op) in api.operations.iter().enumerate() {
        let mut key: Vec<Step> = Vec::new();
        let mut template = String::new();
        for seg in &op.segments {
            let step = match seg {
                Segment::Navigation { name, .. } => Step::Nav(name.clone()),
                Segment::Key { .. } => Step::Key,
                _ => break,
            };
            template.push_str(&crate::paths::resolve::template_of(std::slice::from_ref(seg)));
            key.push(step);
            let node = nodes.entry(key.clone()).or_default();
            node.segment = Some(seg.clone());
            node.template = template.clone();
        }
        if let Some(node) = nodes.get_mut(&key) {
            node.operations.push(i);
        }
    }
    // Struct names: the shortest suffix of step labels that no other node shares.
    let labels: BTreeMap<&Vec<Step>, Vec<String>> = nodes
        .keys()
        .map(|k| {
            let l = k
                .iter()
                .map(|s| match s {
                    Step::Nav(n) => n.clone(),
                    Step::Key => "item".to_string(),
                })
                .collect();
            (k, l)
        })
        .collect();
    let mut scope = Scope::new();
    scope.reserve(crate::naming::RESERVED_TYPE_NAMES.iter().copied());
    let mut struct_names: BTreeMap<Vec<Step>, String> = BTreeMap::new();
    for (k, l) in &labels {
        let n = (1..=l.len())
            .find(|&n| {
                let suffix = &l[l.len() - n..];
                labels.iter().filter(|(_, o)| o.len() >= n && &o[o.len() - n..] == suffix).count() == 1
            })
            .unwrap_or(l.len());
        let candidate = sanitize(&format!("{} request builder", l[l.len() - n..].join(" ")), Case::Pascal);
        struct_names.insert((*k).clone(), scope.claim(&candidate));
    }

    let mut rust_paths = vec![String::new(); api.operations.len()];
    let mut op_methods = vec![String::new(); api.operations.len()];
    // The method of each node on its parent (or on the client, for roots).
    let mut node_methods: BTreeMap<Vec<Step>, String> = BTreeMap::new();
    let mut items = Vec::new();
    for (key, node) in &nodes {
        let struct_name = &struct_names[key];
        let struct_ident = ident(struct_name);
        let mut methods = Vec::new();
        let mut method_scope = Scope::new();
        method_scope.reserve(["path", "client", "new"]);
        // Children.
        for (child_key, child) in nodes.range(key.clone()..) {
            if child_key.len() != key.len() + 1 || !child_key.starts_with(key) {
                continue;
            }
            let (tokens, name) =
                child_method(child_key, child, &struct_names[child_key], &mut method_scope, &names, &root_client);
            node_methods.insert(child_key.clone(), name);
            methods.push(tokens);
        }
        // `$count` next to a list, under the list's consent.
        if let Some(list) = node.operations.iter().map(|&i| &api.operations[i]).find(|o| o.kind == OperationKind::List)
        {
            let name = ident(&method_scope.claim("count"));
            let template = format!("{}/$count", list.template);
            let bound = consent_bound(list.consent);
            let doc = format!(" `GET {template}`: the number of items (`ConsistencyLevel: eventual` is sent).");
            methods.push(quote! {
                #[doc = #doc]
                pub fn #name(&self) -> Request<Count, C> #bound {
                    self.client
                        .request(reqwest::Method::GET, format!("{}/$count", self.path))
                        .path_template(#template)
                        .header("ConsistencyLevel", "eventual")
                }
            });
        }
        // Operations.
        for &i in &node.operations {
            let op = &api.operations[i];
            let (tokens, name) = operation_method(op, &mut method_scope, &names, api);
            op_methods[i] = name.clone();
            rust_paths[i] = format!("{external}::api::{struct_name}::{name}");
            methods.push(tokens);
        }
        let doc = doc_attrs(&[format!("Requests on `{}`.", node.template)]);
        items.push(quote! {
            #doc
            #[derive(Debug, Clone)]
            pub struct #struct_ident<C: Consent = Delegated> {
                client: Client<C>,
                path: String,
            }

            impl<C: Consent> #struct_ident<C> {
                /// The path below the base URL, with encoded segments.
                pub fn path(&self) -> &str {
                    &self.path
                }

                #(#methods)*
            }
        });
    }

    // Roots on the client: singletons and entity sets, then configured shortcuts.
    let mut root_scope = Scope::new();
    root_scope.reserve(["new", "builder", "base_url", "request", "http", "token", "client"]);
    let mut roots = Vec::new();
    for (key, node) in nodes.iter().filter(|(k, _)| k.len() == 1) {
        let (tokens, name) = child_method(key, node, &struct_names[key], &mut root_scope, &names, &root_client);
        node_methods.insert(key.clone(), name);
        roots.push(tokens);
    }
    for (name, prefix) in shortcuts {
        let target = nodes.iter().find(|(_, n)| n.template.eq_ignore_ascii_case(prefix));
        if let Some((key, node)) = target {
            if key.contains(&Step::Key) {
                continue;
            }
            let method = ident(&root_scope.claim(&sanitize(name, Case::Snake)));
            let ty = ident(&struct_names[key]);
            let path = &node.template;
            let doc = format!(" Shortcut to `{path}`.");
            roots.push(quote! {
                #[doc = #doc]
                pub fn #method(&self) -> #ty<C> {
                    #ty { client: #root_client, path: #path.to_owned() }
                }
            });
        }
    }
    // Import exactly what the operations use, so the file has no unused imports.
    let mut uses = vec![quote!(Client), quote!(Consent), quote!(Delegated), quote!(Request)];
    let only =
        |d: bool, a: bool| move |o: &Operation| (o.consent.delegated, o.consent.application) == (Some(d), Some(a));
    let has = |f: &dyn Fn(&Operation) -> bool| api.operations.iter().any(f);
    let any_key = nodes.keys().any(|k| k.contains(&Step::Key));
    let any_fn_literal = has(&|o| {
        matches!(o.segments.last(), Some(Segment::Function { params, .. })
            if params.iter().any(|p| matches!(p.ty, TypeRef::Primitive(Primitive::String) | TypeRef::Named(_))))
    });
    for (needed, tokens) in [
        (any_key, quote!(encode_segment)),
        (any_fn_literal, quote!(path_argument_literal)),
        (has(&|o| matches!(o.response, Response::Value(_) | Response::Page(_))), quote!(Json)),
        (has(&|o| matches!(o.response, Response::OptionalValue(_))), quote!(MaybeJson)),
        (has(&|o| o.response == Response::Empty), quote!(NoContent)),
        (has(&|o| o.kind == OperationKind::AddRef), quote!(ODataReference)),
        (has(&only(true, false)), quote!(SignedInUser)),
        (has(&only(false, true)), quote!(Application)),
        (has(&|o| matches!(o.response, Response::Page(_))), quote!(Page)),
        (has(&|o| o.kind == OperationKind::List), quote!(Count)),
    ] {
        if needed {
            uses.push(tokens);
        }
    }
    let tokens = match (&entry, &module.module) {
        (Some(entry), Some(m)) => {
            let method = ident(&sanitize(m, Case::Snake));
            let version = &api.api_version;
            let entry_doc = format!(
                " The Graph `{version}` API: start from a method of [`{entry}`] (from [`Client::{method}`]) and follow the path."
            );
            let method_doc = format!(
                " The `{version}` operations, sent to the client's `{version}` base URL (see `ClientBuilder::beta_base_url`)."
            );
            quote! {
                //! The navigable API of this version: start from [`Client`]'s method for it and follow the path.
                use crate::runtime::{#(#uses),*};

                #[doc = #entry_doc]
                #[derive(Debug, Clone)]
                pub struct #entry<C: Consent = Delegated> {
                    client: Client<C>,
                }

                impl<C: Consent> Client<C> {
                    #[doc = #method_doc]
                    pub fn #method(&self) -> #entry<C> {
                        #entry { client: self.with_api_version(#version) }
                    }
                }

                impl<C: Consent> #entry<C> {
                    /// The client these operations use (its base URL is this version's).
                    pub fn client(&self) -> &Client<C> {
                        &self.client
                    }

                    #(#roots)*
                }

                #(#items)*
            }
        }
        _ => quote! {
            //! The navigable API: start from a [`Client`] method and follow the path.
            use crate::runtime::{#(#uses),*};

            impl<C: Consent> Client<C> {
                #(#roots)*
            }

            #(#items)*
        },
    };
    let chains = api
        .operations
        .iter()
        .enumerate()
        .map(|(i, op)| {
            let steps: Vec<Step> = op
                .segments
                .iter()
                .map_while(|seg| match seg {
                    Segment::Navigation { name, .. } => Some(Step::Nav(name.clone())),
                    Segment::Key { .. } => Some(Step::Key),
                    _ => None,
                })
                .collect();
            let mut chain: Vec<String> =
                (1..=steps.len()).filter_map(|n| node_methods.get(&steps[..n]).cloned()).collect();
            chain.push(op_methods[i].clone());
            chain
        })
        .collect();
    Ok(ApiSurface { file: super::rust_file("api.rs", tokens)?, rust_paths, chains })
}

fn child_method(
    key: &[Step],
    child: &Node,
    struct_name: &str,
    scope: &mut Scope,
    names: &TypeNames<'_>,
    root_client: &TokenStream,
) -> (TokenStream, String) {
    let ty = ident(struct_name);
    match key.last() {
        Some(Step::Key) => {
            let (param, key_ty) = match &child.segment {
                Some(Segment::Key { param, ty, .. }) => (param.clone(), ty.clone()),
                _ => ("id".to_string(), TypeRef::Primitive(Primitive::String)),
            };
            let name = scope.claim("by_id");
            let method = ident(&name);
            let arg = ident(&sanitize(&param, Case::Snake));
            let (arg_ty, to_text) = url_arg(&key_ty, &arg, names, false);
            let doc = format!(" Selects one item by `{{{param}}}` (percent-encoded as one path segment).");
            let tokens = quote! {
                #[doc = #doc]
                pub fn #method(&self, #arg: #arg_ty) -> #ty<C> {
                    #ty { client: self.client.clone(), path: format!("{}/{}", self.path, encode_segment(#to_text)) }
                }
            };
            (tokens, name)
        }
        Some(Step::Nav(nav)) => {
            let name = scope.claim(&sanitize(nav, Case::Snake));
            let method = ident(&name);
            let doc = format!(" `{}`.", child.template);
            let is_root = key.len() == 1;
            let segment = format!("/{nav}");
            let tokens = if is_root {
                quote! {
                    #[doc = #doc]
                    pub fn #method(&self) -> #ty<C> {
                        #ty { client: #root_client, path: #segment.to_owned() }
                    }
                }
            } else {
                quote! {
                    #[doc = #doc]
                    pub fn #method(&self) -> #ty<C> {
                        #ty { client: self.client.clone(), path: format!("{}{}", self.path, #segment) }
                    }
                }
            };
            (tokens, name)
        }
        None => (TokenStream::new(), String::new()),
    }
}

/// The Rust argument type of a URL value and the expression turning it into URL text.
/// Strings and enums are written as quoted OData literals when `literal` is set.
fn url_arg(ty: &TypeRef, arg: &proc_macro2::Ident, names: &TypeNames<'_>, literal: bool) -> (TokenStream, TokenStream) {
    match ty {
        TypeRef::Primitive(Primitive::String) => {
            if literal {
                (quote!(impl AsRef<str>), quote!(path_argument_literal(#arg.as_ref())))
            } else {
                (quote!(impl AsRef<str>), quote!(#arg.as_ref()))
            }
        }
        TypeRef::Named(_) => {
            let t = names.rust_type(ty);
            (quote!(#t), quote!(path_argument_literal(#arg.as_str())))
        }
        other => {
            let t = names.rust_type(other);
            if literal { (quote!(#t), quote!(#arg.to_string())) } else { (quote!(#t), quote!(&#arg.to_string())) }
        }
    }
}

/// The permission's consent markers as a bound: the compiler refuses the other consent.
fn consent_bound(c: Consent) -> TokenStream {
    match (c.delegated, c.application) {
        (Some(true), Some(false)) => quote!(where C: SignedInUser),
        (Some(false), Some(true)) => quote!(where C: Application),
        _ => TokenStream::new(),
    }
}

fn consent_line(c: Consent) -> String {
    match (c.delegated, c.application) {
        (Some(true), Some(true)) => "Consent: delegated (signed-in user) or application (app-only).".to_string(),
        (Some(true), _) => "Consent: delegated (signed-in user) only; not allowed app-only.".to_string(),
        (_, Some(true)) => "Consent: application (app-only) only; not allowed with a signed-in user.".to_string(),
        _ => "Consent: not stated by the permission's reference page.".to_string(),
    }
}

fn operation_method(op: &Operation, scope: &mut Scope, names: &TypeNames<'_>, api: &Api) -> (TokenStream, String) {
    let method_name = match (op.kind, op.segments.last()) {
        (OperationKind::List, _) => "list".to_string(),
        (OperationKind::Get, _) => "get".to_string(),
        (OperationKind::Create, _) => "create".to_string(),
        (OperationKind::Update, _) => "update".to_string(),
        (OperationKind::Replace, _) => "replace".to_string(),
        (OperationKind::Delete, _) => "delete".to_string(),
        (OperationKind::AddRef, _) => "add_ref".to_string(),
        (OperationKind::RemoveRef, _) => "delete_ref".to_string(),
        (_, Some(Segment::Function { name, .. } | Segment::Action { name })) => sanitize(&name.name, Case::Snake),
        _ => "call".to_string(),
    };
    let name = scope.claim(&method_name);
    let method_ident = ident(&name);
    let http = match op.http_method {
        HttpMethod::Get => quote!(reqwest::Method::GET),
        HttpMethod::Post => quote!(reqwest::Method::POST),
        HttpMethod::Patch => quote!(reqwest::Method::PATCH),
        HttpMethod::Put => quote!(reqwest::Method::PUT),
        HttpMethod::Delete => quote!(reqwest::Method::DELETE),
    };
    // Path: the node's path plus the terminal segment(s).
    let mut args = Vec::new();
    let mut path_expr = quote!(self.path.clone());
    match op.segments.last() {
        Some(Segment::Function { name, params }) => {
            let mut fmt = format!("{{}}/{}(", name.name);
            let mut values = Vec::new();
            for (i, p) in params.iter().enumerate() {
                let arg = ident(&sanitize(&p.name, Case::Snake));
                let (arg_ty, text) = url_arg(&p.ty, &arg, names, true);
                args.push(quote!(#arg: #arg_ty));
                if i > 0 {
                    fmt.push(',');
                }
                fmt.push_str(&p.name);
                fmt.push_str("={}");
                values.push(text);
            }
            fmt.push(')');
            path_expr = quote!(format!(#fmt, self.path, #(#values),*));
        }
        Some(Segment::Action { name }) => {
            let fmt = format!("{{}}/{}", name.name);
            path_expr = quote!(format!(#fmt, self.path));
        }
        Some(Segment::Ref) => {
            path_expr = quote!(format!("{}/$ref", self.path));
        }
        _ => {}
    }
    let body_ty = match (op.kind, &op.body) {
        (OperationKind::AddRef, _) => Some(quote!(ODataReference)),
        (_, Some(t)) => Some(names.rust_type(t)),
        (_, None) => None,
    };
    let body_call = body_ty.as_ref().map(|_| quote!(.json(body)));
    if let Some(t) = &body_ty {
        args.push(quote!(body: &#t));
    }
    let response = match &op.response {
        Response::Empty => quote!(NoContent),
        Response::Value(t) => {
            let t = names.rust_type(t);
            quote!(Json<#t>)
        }
        Response::OptionalValue(t) => {
            let t = names.rust_type(t);
            quote!(MaybeJson<#t>)
        }
        Response::Page(t) => {
            let t = names.rust_type(t);
            quote!(Json<Page<#t>>)
        }
    };
    // Docs.
    let mut doc = vec![format!("`{} {}`", op.http_method.as_str(), op.template), String::new()];
    if let Some(d) = &op.description {
        doc.push(super::doc_text(d));
        doc.push(String::new());
    }
    doc.push(consent_line(op.consent));
    let least = &op.least_privileged;
    if !least.delegated.is_empty() || !least.application.is_empty() {
        let list = |v: &[String]| {
            if v.is_empty() {
                "none".to_string()
            } else {
                v.iter().map(|p| format!("`{p}`")).collect::<Vec<_>>().join(", ")
            }
        };
        doc.push(String::new());
        doc.push(format!(
            "Least-privileged permissions: delegated {}; application {}.",
            list(&least.delegated),
            list(&least.application)
        ));
    }
    if let Some(url) = &op.docs {
        doc.push(String::new());
        doc.push(format!("Docs: <{url}>"));
    }
    for q in &op.example_queries {
        doc.push(String::new());
        doc.push(format!("Documented example query: `?{}`", q.replace('`', "'")));
    }
    if let Some(body) = &op.body {
        if let Some(TypeDef::Struct(s)) = body.named().and_then(|q| api.types.get(q)) {
            if s.polymorphic.is_some() {
                doc.push(String::new());
                doc.push("The body may be any derived type; `@odata.type` is sent with it.".to_string());
            }
        }
    }
    if op.kind == OperationKind::AddRef {
        doc.push(String::new());
        doc.push("The body names the object to link, e.g. `ODataReference::to(&client, \"groups\", id)`.".to_string());
    }
    let doc = doc_attrs(&doc);
    let template = &op.template;
    let bound = consent_bound(op.consent);
    let tokens = quote! {
        #doc
        pub fn #method_ident(&self, #(#args),*) -> Request<#response, C> #bound {
            self.client.request(#http, #path_expr).path_template(#template) #body_call
        }
    };
    (tokens, name)
}

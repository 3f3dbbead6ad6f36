//! `api.rs`: the navigable client, rendered from the version's request-builder tree
//! ([`crate::model::tree`], which decides every struct and method name): each node becomes a
//! request-builder struct with methods for its child nodes and for the operations that end there
//! (list/get/create/update/replace/delete, bound functions and actions, `$ref`).

use proc_macro2::TokenStream;
use quote::quote;

use super::rust::{TypeNames, VersionModule, doc_attrs, gated, ident};
use crate::error::Result;
use crate::model::tree::{Node, NodeKey, RootMethod, Step, Tree};
use crate::model::types::{
    Api, ApiWaiter, Consent, HttpMethod, Operation, OperationKind, Primitive, Response, Segment, TypeDef, TypeRef,
};
use crate::naming::{self, Case, sanitize};

/// What `api.rs` exposes: the file, and per operation the Rust path of its method and the chain
/// of method names that reach it from a `Client` (`["identity_governance", "entitlement_management", ...]`).
pub(crate) struct ApiSurface {
    pub(crate) file: String,
    pub(crate) rust_paths: Vec<String>,
    pub(crate) chains: Vec<Vec<String>>,
    /// Per operation: a composable function's GET on its node ([`Tree::folded`]).
    pub(crate) folded: Vec<bool>,
}

/// Renders `api.rs` from the version's request-builder tree.
pub(crate) fn api_file(api: &Api, tree: &Tree, module: &VersionModule) -> Result<ApiSurface> {
    let names = TypeNames::in_module(&api.types, module);
    // The main version's roots are methods of `Client`; a feature-gated version's are methods of
    // its own entry struct (`client.beta()`), which holds a client switched to that version.
    let root_client = if module.module.is_some() { quote!(self.client.clone()) } else { quote!(self.clone()) };
    // In a crate with a feature per API root, each builder and root method is behind its root's.
    let items: Vec<TokenStream> = tree
        .nodes
        .iter()
        .map(|(key, node)| {
            let item = builder_item(api, tree, (key, node), &names, (&root_client, module));
            gated(item, module.node_gate(key).as_ref(), "api.rs")
        })
        .collect::<Result<_>>()?;
    let roots: Vec<TokenStream> = tree
        .roots
        .iter()
        .map(|root| {
            let gate = module.node_gate(&root.node);
            let method = root_method(tree, root, &names, &root_client);
            quote!(#gate #method)
        })
        .collect();
    let mut uses = imports(api, tree);
    if api.operations.is_empty() && module.module.is_none() {
        // A main version without operations (a permission that grants only beta paths): the
        // client's empty impl names only these.
        uses = vec![quote!(Client), quote!(Consent)];
    }
    // With only some roots on, some imports serve none of them.
    let allow_unused = module.gates.is_some().then(|| quote!(#[allow(unused_imports)]));
    let tokens = match &module.module {
        Some(m) => version_entry(api, m, (&uses, allow_unused.as_ref()), &roots, &items),
        None => quote! {
            //! The navigable API: start from a [`Client`] method and follow the path.
            #allow_unused
            use crate::runtime::{#(#uses),*};

            impl<C: Consent> Client<C> {
                #(#roots)*
            }

            #(#items)*
        },
    };
    let external = module.external_path();
    let rust_paths = tree.operation_methods.iter().map(|(s, m)| format!("{external}::api::{s}::{m}")).collect();
    Ok(ApiSurface {
        file: super::rust::rust_file("api.rs", tokens)?,
        rust_paths,
        chains: tree.chains.clone(),
        folded: tree.folded.clone(),
    })
}

/// A request-builder struct with its methods: children, `count`, operations.
///
/// Under a root with a feature per segment, the root's builder is built with any of them: each
/// method is behind the feature of what it leads to or sends, where that is not the builder's.
fn builder_item(
    api: &Api,
    tree: &Tree,
    (key, node): (&NodeKey, &Node),
    names: &TypeNames<'_>,
    (root_client, module): (&TokenStream, &VersionModule),
) -> TokenStream {
    let struct_ident = ident(&node.struct_name);
    let mut methods = Vec::new();
    for (child_key, name) in &node.children {
        let child = &tree.nodes[child_key];
        let gate = module.child_gate(child_key, key);
        let method = child_method(child_key, child, name, names, root_client);
        methods.push(quote!(#gate #method));
    }
    // `$count` next to a list, under the list's consent.
    if let Some((name, list_index)) = &node.count {
        let list = &api.operations[*list_index];
        let name = ident(name);
        let template = format!("{}/$count", list.template);
        let bound = consent_bound(list.consent);
        let doc = format!(" `GET {template}`: the number of items (`ConsistencyLevel: eventual` is sent).");
        let gate = module.operation_gate(*list_index, key);
        methods.push(quote! {
            #[doc = #doc]
            #gate
            pub fn #name(&self) -> Request<Count, C> #bound {
                self.client
                    .request(reqwest::Method::GET, format!("{}/$count", self.path))
                    .path_template(#template)
                    .header("ConsistencyLevel", "eventual")
            }
        });
    }
    for (i, name) in &node.operations {
        let gate = module.operation_gate(*i, key);
        let method = operation_method(&api.operations[*i], name, names, api, tree.folded[*i]);
        methods.push(quote!(#gate #method));
        for waiter in api.waiters.iter().filter(|w| w.operation == *i) {
            let method = waiter_method(&api.operations[*i], name, waiter, names);
            methods.push(quote!(#gate #method));
        }
    }
    let doc = doc_attrs(&[format!("Requests on `{}`.", node.template)]);
    quote! {
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
    }
}

/// A method of the client: an entity set or singleton, or a configured shortcut.
fn root_method(tree: &Tree, root: &RootMethod, names: &TypeNames<'_>, root_client: &TokenStream) -> TokenStream {
    let node = &tree.nodes[&root.node];
    if !root.shortcut {
        return child_method(&root.node, node, &root.name, names, root_client);
    }
    let method = ident(&root.name);
    let ty = ident(&node.struct_name);
    let path = &node.template;
    let doc = format!(" Shortcut to `{path}`.");
    quote! {
        #[doc = #doc]
        pub fn #method(&self) -> #ty<C> {
            #ty { client: #root_client, path: #path.to_owned() }
        }
    }
}

/// Exactly what the operations use from the runtime, so the file has no unused imports.
fn imports(api: &Api, tree: &Tree) -> Vec<TokenStream> {
    let mut uses = vec![quote!(Client), quote!(Consent), quote!(Delegated), quote!(Request)];
    let only =
        |d: bool, a: bool| move |o: &Operation| (o.consent.delegated, o.consent.application) == (Some(d), Some(a));
    let has = |f: &dyn Fn(&Operation) -> bool| api.operations.iter().any(f);
    let any_key = tree.nodes.keys().any(|k| k.contains(&Step::Key));
    // Every function segment is written out: a terminal one by its operation, one inside a path
    // by its node (composable functions).
    let any_fn_param = |f: fn(&TypeRef) -> bool| {
        has(&|o| {
            o.segments.iter().any(|s| matches!(s, Segment::Function { params, .. } if params.iter().any(|p| f(&p.ty))))
        })
    };
    let any_fn_literal = any_fn_param(|t| matches!(t, TypeRef::Primitive(Primitive::String) | TypeRef::Named(_)));
    let any_fn_collection = any_fn_param(|t| matches!(t, TypeRef::Collection(_)));
    let any_fn_value = any_fn_param(|t| matches!(t, TypeRef::Primitive(p) if *p != Primitive::String));
    for (needed, tokens) in [
        (any_key, quote!(encode_segment)),
        (any_fn_literal, quote!(path_argument_literal)),
        (any_fn_collection, quote!(path_argument_collection)),
        (any_fn_value, quote!(path_argument_value)),
        (has(&|o| matches!(o.response, Response::Value(_)) || o.response.is_paged()), quote!(Json)),
        (has(&|o| matches!(o.response, Response::OptionalValue(_))), quote!(MaybeJson)),
        (has(&|o| o.response == Response::Empty), quote!(NoContent)),
        (has(&|o| o.response == Response::Bytes), quote!(Bytes)),
        (has(&|o| o.kind == OperationKind::AddRef), quote!(ODataReference)),
        (has(&only(true, false)), quote!(SignedInUser)),
        (has(&only(false, true)), quote!(Application)),
        (has(&|o| o.response.is_paged()), quote!(Page)),
        (has(&|o| matches!(o.response, Response::DeltaPage(_))), quote!(Delta)),
        (has(&|o| o.kind == OperationKind::List), quote!(Count)),
        (!api.waiters.is_empty(), quote!(WaitOptions)),
        (!api.waiters.is_empty(), quote!(Waited)),
        (!api.waiters.is_empty(), quote!(Waiter)),
    ] {
        if needed {
            uses.push(tokens);
        }
    }
    uses
}

/// `api.rs` of a feature-gated version: its entry struct, reached from `Client::<module>()`.
fn version_entry(
    api: &Api,
    module: &str,
    (uses, allow_unused): (&[TokenStream], Option<&TokenStream>),
    roots: &[TokenStream],
    items: &[TokenStream],
) -> TokenStream {
    let entry = ident(&naming::version_entry_struct(module));
    let method = ident(&sanitize(module, Case::Snake));
    let version = &api.api_version;
    let entry_doc = format!(
        " The Graph `{version}` API: start from a method of [`{entry}`] (from [`Client::{method}`]) and follow the path."
    );
    let method_doc = format!(
        " The `{version}` operations, sent to the client's `{version}` base URL (see `ClientBuilder::beta_base_url`)."
    );
    quote! {
        //! The navigable API of this version: start from [`Client`]'s method for it and follow the path.
        #allow_unused
        use crate::runtime::{#(#uses),*};

        #[doc = #entry_doc]
        #[derive(Debug, Clone)]
        pub struct #entry<C: Consent = Delegated> {
            client: Client<C>,
        }

        impl<C: Consent> Client<C> {
            #[doc = #method_doc]
            pub fn #method(&self) -> #entry<C> {
                #entry { client: self.with_api_version(#version).into() }
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

/// The method leading to `child` (named `name` by the tree).
fn child_method(
    key: &[Step],
    child: &Node,
    name: &str,
    names: &TypeNames<'_>,
    root_client: &TokenStream,
) -> TokenStream {
    let ty = ident(&child.struct_name);
    match key.last() {
        Some(Step::Key) => {
            let (param, key_ty) = match &child.segment {
                Some(Segment::Key { param, ty, .. }) => (param.clone(), ty.clone()),
                _ => ("id".to_string(), TypeRef::Primitive(Primitive::String)),
            };
            let method = ident(name);
            let arg = ident(&sanitize(&param, Case::Snake));
            let (arg_ty, to_text) = url_arg(&key_ty, &arg, names, false);
            let doc = format!(" Selects one item by `{{{param}}}` (percent-encoded as one path segment).");
            quote! {
                #[doc = #doc]
                pub fn #method(&self, #arg: #arg_ty) -> #ty<C> {
                    #ty { client: self.client.clone(), path: format!("{}/{}", self.path, encode_segment(#to_text)) }
                }
            }
        }
        Some(Step::Nav(nav)) => {
            let method = ident(name);
            let doc = format!(" `{}`.", child.template);
            let is_root = key.len() == 1;
            let segment = format!("/{nav}");
            if is_root {
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
            }
        }
        Some(Step::Call { .. }) => {
            let Some(Segment::Function { name: function, params }) = &child.segment else { return TokenStream::new() };
            let (args, path) = function_call(&function.name, params, names);
            let method = ident(name);
            let doc = format!(" `{}`: the function's result, addressed further.", child.template);
            quote! {
                #[doc = #doc]
                pub fn #method(&self, #(#args),*) -> #ty<C> {
                    #ty { client: self.client.clone(), path: #path }
                }
            }
        }
        None => TokenStream::new(),
    }
}

/// A function call's arguments (`name: type`) and the path expression that appends it to
/// `self.path` (`{path}/range(address='A1')`).
fn function_call(
    name: &str,
    params: &[crate::model::types::Param],
    names: &TypeNames<'_>,
) -> (Vec<TokenStream>, TokenStream) {
    let mut args = Vec::new();
    let mut fmt = format!("{{}}/{name}(");
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
    (args, quote!(format!(#fmt, self.path, #(#values),*)))
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
        TypeRef::Collection(_) if literal => {
            let t = names.rust_type(ty);
            (quote!(#t), quote!(path_argument_collection(&#arg)))
        }
        other => {
            let t = names.rust_type(other);
            if literal {
                (quote!(#t), quote!(path_argument_value(&#arg)))
            } else {
                (quote!(#t), quote!(&#arg.to_string()))
            }
        }
    }
}

/// `wait_until_<name>`: polls the read `op` (the builder's method `read`) until the waiter's
/// property reaches an end value. Same consent bound as the read.
fn waiter_method(op: &Operation, read: &str, waiter: &ApiWaiter, names: &TypeNames<'_>) -> TokenStream {
    let Response::Value(entity) = &op.response else { return TokenStream::new() };
    let entity = names.rust_type(entity);
    let method = ident(&format!("wait_until_{}", waiter.name));
    let read = ident(read);
    let (name, property) = (&waiter.name, &waiter.property);
    let (success, failure) = (&waiter.success, &waiter.failure);
    let list = |v: &[String]| v.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ");
    let doc = vec![
        format!(
            "Reads this object again and again (`GET {}`, [`{read}`](Self::{read})) until `{property}` is {} (the \
             wait's success){}. Any other value keeps it waiting.",
            op.template,
            list(success),
            if failure.is_empty() {
                String::new()
            } else {
                format!(
                    " or {} (a failure: `Error::WaitFailed` with the value, the object and the request id)",
                    list(failure)
                )
            }
        ),
        String::new(),
        "Polls as `options` says: a deadline (`Error::WaitTimedOut`), a doubling interval, the server's \
         `Retry-After`, and a grace period in which a `404` means \"not readable yet\" (Graph replicates a new \
         object). Declared in the generator's `metadata/waiters.yaml`."
            .to_string(),
        String::new(),
        consent_line(op.consent),
    ];
    let doc = doc_attrs(&doc);
    let bound = consent_bound(op.consent);
    quote! {
        #doc
        pub async fn #method(&self, options: &WaitOptions) -> crate::Result<Waited<#entity>> #bound {
            const WAITER: Waiter = Waiter {
                name: #name,
                property: #property,
                success: &[#(#success),*],
                failure: &[#(#failure),*],
            };
            crate::runtime::wait_until(|| self.#read().send_with_metadata(), &WAITER, options).await
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

/// The method sending `op` (named `name` by the tree).
fn operation_method(op: &Operation, name: &str, names: &TypeNames<'_>, api: &Api, folded: bool) -> TokenStream {
    let method_ident = ident(name);
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
        // A folded function's call is its node's path.
        Some(Segment::Function { .. }) if folded => {}
        Some(Segment::Function { name, params }) => {
            let (function_args, expr) = function_call(&name.name, params, names);
            args = function_args;
            path_expr = expr;
        }
        Some(Segment::Action { name }) => {
            let fmt = format!("{{}}/{}", name.name);
            path_expr = quote!(format!(#fmt, self.path));
        }
        Some(Segment::Ref) => {
            path_expr = quote!(format!("{}/$ref", self.path));
        }
        Some(Segment::Stream { name }) => {
            let fmt = format!("{{}}/{name}");
            path_expr = quote!(format!(#fmt, self.path));
        }
        _ => {}
    }
    let body_ty = match (op.kind, &op.body) {
        (OperationKind::AddRef, _) => Some(quote!(ODataReference)),
        (OperationKind::Upload, _) => None,
        (_, Some(t)) => Some(names.rust_type(t)),
        (_, None) => None,
    };
    let mut body_call = body_ty.as_ref().map(|_| quote!(.typed_body(body)));
    if let Some(t) = &body_ty {
        args.push(quote!(body: &#t));
    }
    if op.kind == OperationKind::Upload {
        // An upload: the bytes with their media type.
        args.push(quote!(content_type: &str));
        args.push(quote!(body: impl Into<Vec<u8>>));
        body_call = Some(quote!(.bytes_body(content_type, body)));
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
        Response::DeltaPage(t) => {
            let t = names.rust_type(t);
            quote!(Json<Page<Delta<#t>>>)
        }
        Response::Bytes => quote!(Bytes),
    };
    let doc = doc_attrs(&operation_docs(op, api));
    let template = &op.template;
    let bound = consent_bound(op.consent);
    quote! {
        #doc
        pub fn #method_ident(&self, #(#args),*) -> Request<#response, C> #bound {
            self.client.request(#http, #path_expr).path_template(#template) #body_call
        }
    }
}

/// The rustdoc of the method sending `op`: its request, description, consent, permissions, links
/// and what its body and answer are.
fn operation_docs(op: &Operation, api: &Api) -> Vec<String> {
    let mut doc = vec![format!("`{} {}`", op.http_method.as_str(), op.template), String::new()];
    if let Some(d) = &op.description {
        doc.push(super::rust::doc_text(d));
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
    if let Some(cmdlet) = &op.powershell {
        doc.push(String::new());
        doc.push(format!("PowerShell: `{cmdlet}`"));
    }
    let returned = match &op.response {
        Response::Value(t) | Response::OptionalValue(t) | Response::Page(t) | Response::DeltaPage(t) => t.named(),
        Response::Empty | Response::Bytes => None,
    };
    if let Some(note) = returned.and_then(|q| api.response_notes.get(q)) {
        doc.push(String::new());
        doc.push(note.clone());
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
    match op.kind {
        OperationKind::Download => {
            doc.push(String::new());
            doc.push(
                "The bytes, whole (`.await`, bounded by the client's response size limit), or chunk by chunk \
                 with `.send_stream()` (a large file is never held whole)."
                    .to_string(),
            );
        }
        OperationKind::Upload => {
            doc.push(String::new());
            doc.push("Sends `body` as it is, with `content_type` as its `Content-Type`.".to_string());
        }
        _ if op.response == Response::Bytes => {
            doc.push(String::new());
            doc.push("Answers with bytes (`Edm.Stream`); `.send_stream()` reads them chunk by chunk.".to_string());
        }
        _ => {}
    }
    if op.kind == OperationKind::AddRef {
        doc.push(String::new());
        doc.push("The body names the object to link, e.g. `ODataReference::to(&client, \"groups\", id)`.".to_string());
    }
    doc
}

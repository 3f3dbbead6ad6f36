//! `tests/operations_e2e.rs` of the generated crate: every generated operation is called once
//! against a local HTTP server (wiremock on 127.0.0.1), which checks the method, path, query,
//! headers and body sent; the typed response must equal the served JSON decoded.

use proc_macro2::TokenStream;
use quote::quote;
use serde_json::{Value, json};

use super::api::ApiSurface;
use super::rust::{TypeNames, VersionModule, ident};
use super::samples::sample;
use crate::error::Result;
use crate::model::tree::Step;
use crate::model::types::{Api, Operation, OperationKind, Primitive, Response, Segment, TypeRef};
use crate::naming::{Case, sanitize};

pub(crate) fn e2e_test_file(api: &Api, surface: &ApiSurface, module: &VersionModule) -> Result<String> {
    let names = TypeNames::external_in(&api.types, module);
    let enums = super::fields::field_enums(api);
    let mut tests = Vec::new();
    for (i, op) in api.operations.iter().enumerate() {
        let mut chain = surface.chains[i].clone();
        if let Some(m) = &module.module {
            chain.insert(0, sanitize(m, Case::Snake));
        }
        let null = set_null_sample(api, op, &enums, module);
        let call = sample_call(api, op, (&chain, surface.folded[i]), &surface.rust_paths[i], &names, module, null);
        tests.push(operation_test(api, op, call, &names, module));
    }
    let version = &api.api_version;
    let gate = module.test_file_gate(None);
    let rust_paths = &surface.rust_paths;
    let count = api.operations.len();
    let krate = module.krate_ident();
    let header = format!(" Calls each of the {count} generated operations once against a local server.");
    let coverage = coverage_test(
        &krate,
        version,
        Coverage {
            list: "COVERED",
            test: "every_operation_is_covered",
            missing: "no end-to-end test calls {row}",
            summary: "end-to-end: {} of {} operations covered",
        },
    );
    let has = |f: &dyn Fn(&Operation) -> bool| api.operations.iter().any(f);
    let mut matchers = vec![quote!(header), quote!(method), quote!(path)];
    if has(&|o| o.kind == OperationKind::AddRef || (o.body.is_some() && o.kind != OperationKind::Upload)) {
        matchers.insert(0, quote!(body_json));
    }
    if has(&|o| o.kind == OperationKind::Upload) {
        matchers.insert(0, quote!(body_bytes));
    }
    if has(&|o| o.kind == OperationKind::List) {
        matchers.push(quote!(query_param));
    }
    let sample_bytes = sample_bytes_const(api);
    let consents = test_consents(api);
    let tokens = quote! {
        #![doc = #header]
        #gate
        #![cfg_attr(rustfmt, rustfmt::skip)]
        #![allow(clippy::unwrap_used)]

        use #krate::{#(#consents,)* Client, ClientBuilder, Consent, StaticToken};
        use wiremock::matchers::{#(#matchers),*};
        use wiremock::{Mock, MockServer, ResponseTemplate};
        #sample_bytes

        /// The methods the tests below call.
        const COVERED: &[&str] = &[#(#rust_paths),*];

        /// A client of consent `C` for the local server.
        fn client<C: Consent>(server: &MockServer) -> Client<C> {
            ClientBuilder::<C>::new(StaticToken::new("e2e-token")).base_url(format!("{}/v1.0", server.uri())).build().unwrap()
        }

        #coverage

        #(#tests)*
    };
    super::rust::rust_file("tests/operations_e2e.rs", tokens)
}

/// Whether an operation's test client is app-only (the operation allows only that).
fn app_only_test(op: &Operation) -> bool {
    matches!((op.consent.delegated, op.consent.application), (Some(false), Some(true)))
}

/// The consent of an operation's test client: `Delegated` unless the operation is app-only.
fn test_consent(op: &Operation) -> TokenStream {
    if app_only_test(op) { quote!(AppOnly) } else { quote!(Delegated) }
}

/// The consent types the tests of `api`'s operations use, to import (each once).
pub(crate) fn test_consents(api: &Api) -> Vec<TokenStream> {
    let mut used = Vec::new();
    if api.operations.iter().any(app_only_test) {
        used.push(quote!(AppOnly));
    }
    if api.operations.iter().any(|o| !app_only_test(o)) {
        used.push(quote!(Delegated));
    }
    used
}

/// The test's name, the call chain with sample arguments and the body it sends: what the
/// end-to-end and the mock tests of one operation share.
pub(crate) struct SampleCall {
    pub(crate) test_name: proc_macro2::Ident,
    /// `let body: T = ...;` (empty without a body).
    pub(crate) body_decl: TokenStream,
    /// `.a().b().by_id("id-1").op(args, &body).top(5).set_null(..)`: the builder calls after
    /// `client`.
    pub(crate) calls: TokenStream,
    /// The client's consent (`Delegated` unless the operation is app-only).
    pub(crate) consent: TokenStream,
    pub(crate) sample_path: SamplePath,
    /// The body's sample JSON and the exact wire body (with the `set_null` property).
    pub(crate) body_json: Option<(Value, Value)>,
}

pub(crate) fn sample_call(
    api: &Api,
    op: &Operation,
    (chain, folded): (&[String], bool),
    rust_path: &str,
    names: &TypeNames<'_>,
    module: &VersionModule,
    null: Option<(TokenStream, String)>,
) -> SampleCall {
    let krate = module.krate_ident();
    let api_prefix = format!("{}::api::", module.external_path());
    let test_name = ident(&format!(
        "{}_{}",
        sanitize(op.http_method.as_str(), Case::Snake),
        sanitize(&rust_path.trim_start_matches(api_prefix.as_str()).replace("::", " "), Case::Snake)
    ));
    let sample_path = sample_path(api, op, names);
    // Method chain: `by_id` takes the next sample id; the operation takes its arguments.
    // The chain: a version's module (beta), one method per step, the operation's.
    let steps = crate::model::tree::steps(&op.segments, folded);
    let first_step = chain.len().saturating_sub(steps.len() + 1);
    let mut calls = Vec::new();
    let mut ids = sample_path.ids.iter();
    let mut function_args = sample_path.function_args.iter();
    for (n, m) in chain.iter().enumerate() {
        let method = ident(m);
        let is_last = n + 1 == chain.len();
        let step = n.checked_sub(first_step).and_then(|s| steps.get(s)).filter(|_| !is_last);
        if step == Some(&Step::Key) {
            let id = ids.next().map_or("", String::as_str);
            calls.push(quote!(.#method(#id)));
        } else if matches!(step, Some(Step::Call { .. })) {
            let args = function_args.next().cloned().unwrap_or_default();
            calls.push(quote!(.#method(#(#args),*)));
        } else if is_last {
            let terminal_function = !folded && matches!(op.segments.last(), Some(Segment::Function { .. }));
            let mut args =
                if terminal_function { function_args.next().cloned().unwrap_or_default() } else { Vec::new() };
            if op.kind == OperationKind::Upload {
                args.push(quote!("text/plain"));
                args.push(quote!(SAMPLE_BYTES));
            } else if op.body.is_some() || op.kind == OperationKind::AddRef {
                args.push(quote!(&body));
            }
            calls.push(quote!(.#method(#(#args),*)));
        } else {
            calls.push(quote!(.#method()));
        }
    }
    let (body_decl, body_json) = match (&op.body, op.kind) {
        (_, OperationKind::Upload) => (TokenStream::new(), None),
        (_, OperationKind::AddRef) => {
            let value = json!({"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/ref-1"});
            (
                quote!(let body = #krate::ODataReference::new("https://graph.microsoft.com/v1.0/directoryObjects/ref-1");),
                Some((value.clone(), value)),
            )
        }
        (Some(t), _) => {
            let value = sample(api, t, "body", 0);
            let text = value.to_string();
            let ty = names.rust_type(t);
            // The exact wire body: the typed body, plus the property `set_null` clears.
            let mut wire = value.clone();
            if let (Some((_, property)), Some(object)) = (&null, wire.as_object_mut()) {
                object.insert(property.clone(), Value::Null);
            }
            (quote!(let body: #ty = serde_json::from_str(#text).unwrap();), Some((value, wire)))
        }
        (None, _) => (TokenStream::new(), None),
    };
    // Query: collection reads ask for a page size.
    if op.kind == OperationKind::List {
        calls.push(quote!(.top(5)));
    }
    if let Some((variant, _)) = null {
        calls.push(quote!(.set_null(#variant)));
    }
    let consent = test_consent(op);
    SampleCall { test_name, body_decl, calls: quote!(#(#calls)*), consent, sample_path, body_json }
}

fn operation_test(
    api: &Api,
    op: &Operation,
    call: SampleCall,
    names: &TypeNames<'_>,
    module: &VersionModule,
) -> TokenStream {
    let krate = module.krate_ident();
    let SampleCall { test_name, body_decl, calls, consent, sample_path, body_json } = call;
    let expected_path = sample_path.expected_path;
    let body_matcher = match body_json {
        Some((_, wire)) => {
            let wire = wire.to_string();
            let content_type =
                (op.kind != OperationKind::AddRef).then(|| quote!(.and(header("content-type", "application/json"))));
            quote!(#content_type .and(body_json(serde_json::from_str::<serde_json::Value>(#wire).unwrap())))
        }
        None => TokenStream::new(),
    };
    let body_matcher = if op.kind == OperationKind::Upload {
        quote!(.and(header("content-type", "text/plain")).and(body_bytes(SAMPLE_BYTES)))
    } else {
        body_matcher
    };
    let accept = if op.response == Response::Bytes { "*/*" } else { "application/json" };
    let query_matcher =
        if op.kind == OperationKind::List { quote!(.and(query_param("$top", "5"))) } else { TokenStream::new() };
    let (response, check) = response_parts(api, op, names, &krate);
    let call = if op.response == Response::Empty {
        quote!(client #calls .await.unwrap();)
    } else {
        quote!(let got = client #calls .await.unwrap();)
    };
    let http = op.http_method.as_str();
    quote! {
        #[tokio::test]
        async fn #test_name() {
            let server = MockServer::start().await;
            Mock::given(method(#http))
                .and(path(#expected_path))
                .and(header("authorization", "Bearer e2e-token"))
                .and(header("accept", #accept))
                #query_matcher
                #body_matcher
                .respond_with(#response)
                .expect(1)
                .mount(&server)
                .await;
            let client: Client<#consent> = client(&server);
            #body_decl
            #call
            #check
        }
    }
}

/// The names and messages of a coverage test.
pub(crate) struct Coverage {
    /// The constant listing the Rust paths the file's tests call.
    pub(crate) list: &'static str,
    pub(crate) test: &'static str,
    /// The failure for a missing operation (`{row}` is its Rust path).
    pub(crate) missing: &'static str,
    /// The line printed (covered, total).
    pub(crate) summary: &'static str,
}

/// The test that the file's tests call every operation of `version` the permissions table lists.
pub(crate) fn coverage_test(krate: &proc_macro2::Ident, version: &str, c: Coverage) -> TokenStream {
    let (list, test) = (ident(c.list), ident(c.test));
    let (missing, summary) = (c.missing, c.summary);
    quote! {
        #[test]
        fn #test() {
            let rows: Vec<&str> = #krate::permissions::PERMISSIONS
                .iter()
                .filter(|r| r.api_version == #version)
                .map(|r| r.rust)
                .collect();
            for row in &rows {
                assert!(#list.contains(row), #missing);
            }
            assert_eq!(#list.len(), rows.len());
            println!(#summary, #list.len(), rows.len());
        }
    }
}

/// `SAMPLE_BYTES`, what the tests download and upload, when an operation sends or answers bytes.
pub(crate) fn sample_bytes_const(api: &Api) -> TokenStream {
    let streams = api.operations.iter().any(|o| o.kind == OperationKind::Upload || o.response == Response::Bytes);
    if !streams {
        return TokenStream::new();
    }
    quote! {
        /// The bytes of the stream tests: not UTF-8, not JSON.
        const SAMPLE_BYTES: &[u8] = b"\x89PNG\r\n\x1a\n sample bytes \xff\x00";
    }
}

/// Sample values for an operation's keys and function arguments, and the path they make.
pub(crate) struct SamplePath {
    pub(crate) expected_path: String,
    ids: Vec<String>,
    /// Per function segment, in path order.
    function_args: Vec<Vec<TokenStream>>,
}

/// The sample path of `op`. The client's base URL is `<server>/v1.0`; the beta one follows from
/// it (`<server>/beta`).
fn sample_path(api: &Api, op: &Operation, names: &TypeNames<'_>) -> SamplePath {
    let mut expected_path = format!("/{}", api.api_version);
    let mut ids: Vec<String> = Vec::new();
    let mut function_args: Vec<Vec<TokenStream>> = Vec::new();
    for seg in &op.segments {
        match seg {
            Segment::Navigation { name, .. } => {
                expected_path.push('/');
                expected_path.push_str(name);
            }
            Segment::Key { .. } => {
                let id = format!("id-{}", ids.len() + 1);
                expected_path.push('/');
                expected_path.push_str(&id);
                ids.push(id);
            }
            Segment::Function { name, params } => {
                let mut args = Vec::new();
                let mut texts = Vec::new();
                for (n, p) in params.iter().enumerate() {
                    let (arg, text) = sample_argument(api, &p.ty, n, names);
                    args.push(arg);
                    texts.push(format!("{}={text}", p.name));
                }
                expected_path.push_str(&format!("/{}({})", name.name, texts.join(",")));
                function_args.push(args);
            }
            Segment::Action { name } => {
                expected_path.push('/');
                expected_path.push_str(&name.name);
            }
            Segment::Ref => expected_path.push_str("/$ref"),
            Segment::Stream { name } => {
                expected_path.push('/');
                expected_path.push_str(name);
            }
        }
    }
    SamplePath { expected_path, ids, function_args }
}

/// A sample argument of a function parameter of type `ty` (the `n`th), and its text in the path
/// as the client writes it: a quoted string or enum member, a number, boolean, GUID or date
/// unquoted, a collection as a percent-encoded JSON array.
fn sample_argument(api: &Api, ty: &TypeRef, n: usize, names: &TypeNames<'_>) -> (TokenStream, String) {
    let rust = names.rust_type(ty);
    match ty {
        TypeRef::Named(q) => {
            let member = match api.types.get(q) {
                Some(crate::model::types::TypeDef::Enum(e)) => {
                    e.members.first().map(|m| m.0.clone()).unwrap_or_default()
                }
                _ => String::new(),
            };
            (quote!(#rust::from(#member)), format!("'{member}'"))
        }
        TypeRef::Collection(inner) => {
            let (item, json) = match inner.as_ref() {
                TypeRef::Named(_) => {
                    let (item, text) = sample_argument(api, inner, n, names);
                    (item, Value::String(text.trim_matches('\'').to_string()))
                }
                TypeRef::Primitive(Primitive::String) => {
                    let value = format!("arg-{}", n + 1);
                    (quote!(#value.to_string()), Value::String(value))
                }
                other => {
                    let (item, text) = sample_argument(api, other, n, names);
                    (item, serde_json::from_str(&text).unwrap_or(Value::String(text)))
                }
            };
            (quote!(vec![#item]), encode_segment(&Value::Array(vec![json]).to_string()))
        }
        TypeRef::Primitive(p) => match p {
            Primitive::String | Primitive::Stream => {
                let value = format!("arg-{}", n + 1);
                (quote!(#value), format!("'{value}'"))
            }
            Primitive::Boolean => (quote!(true), "true".to_string()),
            Primitive::Byte | Primitive::SByte | Primitive::Int16 | Primitive::Int32 | Primitive::Int64 => {
                let v = proc_macro2::Literal::usize_unsuffixed(n + 1);
                (quote!(#v), (n + 1).to_string())
            }
            Primitive::Single | Primitive::Double | Primitive::Decimal => (quote!(1.5), "1.5".to_string()),
            Primitive::Guid => (quote!(::uuid::Uuid::nil()), "00000000-0000-0000-0000-000000000000".to_string()),
            Primitive::DateTimeOffset => {
                (quote!(::chrono::DateTime::<::chrono::Utc>::UNIX_EPOCH), encode_segment("1970-01-01T00:00:00Z"))
            }
            Primitive::Date => {
                (quote!(::chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap()), "2024-01-01".to_string())
            }
            Primitive::TimeOfDay => (quote!(::chrono::NaiveTime::MIN), encode_segment("00:00:00")),
            Primitive::Duration | Primitive::Binary | Primitive::Json => {
                (quote!(<#rust as ::std::default::Default>::default()), default_literal(p))
            }
        },
    }
}

/// The path text of the `Default` value of the types [`sample_argument`] passes as defaults.
fn default_literal(p: &Primitive) -> String {
    match p {
        Primitive::Duration => "PT0S".to_string(),
        Primitive::Binary => String::new(),
        _ => "null".to_string(),
    }
}

/// [`crate`]'s runtime `encode_segment`: every byte but the unreserved ones percent-encoded.
fn encode_segment(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The mock's response and the test's typed expectation of what the call returns.
fn response_parts(
    api: &Api,
    op: &Operation,
    names: &TypeNames<'_>,
    krate: &proc_macro2::Ident,
) -> (TokenStream, TokenStream) {
    let status: u16 = if op.kind == OperationKind::Create { 201 } else { 200 };
    match &op.response {
        Response::Empty => (quote!(ResponseTemplate::new(204)), TokenStream::new()),
        Response::Bytes => (
            quote!(ResponseTemplate::new(200).set_body_raw(SAMPLE_BYTES, "application/octet-stream")),
            quote!(assert_eq!(got, SAMPLE_BYTES.to_vec());),
        ),
        Response::Value(t) | Response::OptionalValue(t) | Response::Page(t) | Response::DeltaPage(t) => {
            let item = sample(api, t, "value", 0);
            let value: Value = match &op.response {
                Response::Page(_) | Response::DeltaPage(_) => {
                    json!({"value": [item], "@odata.nextLink": "https://graph.microsoft.com/v1.0/next"})
                }
                _ => item,
            };
            let text = value.to_string();
            let ty = names.rust_type(t);
            let expected = match &op.response {
                Response::Page(_) => quote!(serde_json::from_str::<#krate::Page<#ty>>(#text).unwrap()),
                Response::DeltaPage(_) => {
                    quote!(serde_json::from_str::<#krate::Page<#krate::runtime::Delta<#ty>>>(#text).unwrap())
                }
                Response::OptionalValue(_) => quote!(Some(serde_json::from_str::<#ty>(#text).unwrap())),
                _ => quote!(serde_json::from_str::<#ty>(#text).unwrap()),
            };
            (
                quote!(ResponseTemplate::new(#status).set_body_raw(#text, "application/json")),
                quote!(assert_eq!(got, #expected);),
            )
        }
    }
}

/// For an update or replace whose body type has nullable properties: the `set_null` argument
/// (its first nullable property) and that property's JSON name, so the test sends an explicit
/// `null` and checks it on the wire.
pub(crate) fn set_null_sample(
    api: &Api,
    op: &Operation,
    enums: &std::collections::BTreeMap<crate::model::types::QName, super::fields::FieldEnums>,
    module: &VersionModule,
) -> Option<(TokenStream, String)> {
    if !matches!(op.kind, OperationKind::Update | OperationKind::Replace) {
        return None;
    }
    let (
        Some(TypeRef::Named(body)),
        Response::OptionalValue(TypeRef::Named(out)) | Response::Value(TypeRef::Named(out)),
    ) = (&op.body, &op.response)
    else {
        return None;
    };
    if body != out {
        return None;
    }
    let Some(crate::model::types::TypeDef::Struct(s)) = api.types.get(body) else { return None };
    let name = enums.get(body)?.nullable.as_ref()?;
    let (variant, json) = super::fields::nullable_variants(s).into_iter().next()?;
    let fields = module.external_fields();
    let (name, variant) = (ident(name), ident(&variant));
    Some((quote!(#fields::#name::#variant), json.to_string()))
}

//! `tests/mock_every_operation.rs` of the generated crate (feature `test-util`): every generated
//! operation is mocked with the test kit (`testing::MockGraph`) through its own request builder,
//! answered with its own response type, and called; collections are served as two pages the
//! client must follow.

use proc_macro2::TokenStream;
use quote::quote;

use super::api::ApiSurface;
use super::e2e::{Coverage, coverage_test, sample_call, set_null_sample};
use super::rust::{TypeNames, VersionModule};
use super::samples::sample;
use crate::error::Result;
use crate::model::types::{Api, Operation, Response};
use crate::naming::{Case, sanitize};

pub(crate) fn mock_test_file(api: &Api, surface: &ApiSurface, module: &VersionModule) -> Result<String> {
    let names = TypeNames::external_in(&api.types, module);
    let enums = super::fields::field_enums(api);
    let mut tests = Vec::new();
    for (i, op) in api.operations.iter().enumerate() {
        let mut chain = surface.chains[i].clone();
        if let Some(m) = &module.module {
            chain.insert(0, sanitize(m, Case::Snake));
        }
        let null = set_null_sample(api, op, &enums, module);
        let call = sample_call(api, op, &chain, &surface.rust_paths[i], &names, module, null);
        let (test_name, body_decl, calls, consent) = (call.test_name, call.body_decl, call.calls, call.consent);
        let (answer, check) = answer_and_check(api, op, &names);
        tests.push(quote! {
            #[tokio::test]
            async fn #test_name() {
                let graph = MockGraph::start().await;
                let client: Client<#consent> = client(&graph);
                #body_decl
                let request = || client #calls;
                #answer
                #check
                graph.verify();
            }
        });
    }
    let version = &api.api_version;
    let gate = match &module.feature {
        Some(f) => quote!(#![cfg(all(feature = "test-util", feature = #f))]),
        None => quote!(#![cfg(feature = "test-util")]),
    };
    let rust_paths = &surface.rust_paths;
    let count = api.operations.len();
    let krate = module.krate_ident();
    let header = format!(
        " Mocks each of the {count} generated {version} operations with the test kit (`testing::MockGraph`) and calls it."
    );
    let coverage = coverage_test(
        &krate,
        version,
        Coverage {
            list: "MOCKED",
            test: "every_operation_can_be_mocked",
            missing: "no mock test covers {row}",
            summary: "mock: {} of {} operations mocked",
        },
    );
    let tokens = quote! {
        #![doc = #header]
        #gate
        #![cfg_attr(rustfmt, rustfmt::skip)]
        #![allow(clippy::unwrap_used)]

        use #krate::testing::MockGraph;
        use #krate::{AppOnly, Client, Consent, Delegated};

        /// The methods the tests below mock.
        const MOCKED: &[&str] = &[#(#rust_paths),*];

        /// The mock's client of consent `C`.
        fn client<C: Consent>(graph: &MockGraph) -> Client<C>
        where
            Client<C>: FromMock,
        {
            <Client<C> as FromMock>::from_mock(graph)
        }

        trait FromMock {
            fn from_mock(graph: &MockGraph) -> Self;
        }

        impl FromMock for Client<Delegated> {
            fn from_mock(graph: &MockGraph) -> Self {
                graph.client()
            }
        }

        impl FromMock for Client<AppOnly> {
            fn from_mock(graph: &MockGraph) -> Self {
                graph.app_only_client()
            }
        }

        #coverage

        #(#tests)*
    };
    super::rust::rust_file("tests/mock_every_operation.rs", tokens)
}

/// The expectation's typed answer, and the call with its check.
fn answer_and_check(api: &Api, op: &Operation, names: &TypeNames<'_>) -> (TokenStream, TokenStream) {
    match &op.response {
        Response::Empty => (quote!(graph.expect(request());), quote!(request().await.unwrap();)),
        Response::Value(t) | Response::OptionalValue(t) | Response::Page(t) => {
            let text = sample(api, t, "value", 0).to_string();
            let ty = names.rust_type(t);
            let decl = quote!(let expected: #ty = serde_json::from_str(#text).unwrap(););
            match &op.response {
                Response::Page(_) => (
                    quote! {
                        #decl
                        graph.expect(request()).respond_pages([vec![expected.clone()], vec![expected.clone()]]);
                    },
                    quote! {
                        let got = request().collect_all(usize::MAX).await.unwrap();
                        assert_eq!(got, vec![expected.clone(), expected]);
                    },
                ),
                Response::OptionalValue(_) => (
                    quote! {
                        #decl
                        graph.expect(request()).respond(Some(expected.clone()));
                    },
                    quote!(assert_eq!(request().await.unwrap(), Some(expected));),
                ),
                _ => (
                    quote! {
                        #decl
                        graph.expect(request()).respond(expected.clone());
                    },
                    quote!(assert_eq!(request().await.unwrap(), expected);),
                ),
            }
        }
    }
}

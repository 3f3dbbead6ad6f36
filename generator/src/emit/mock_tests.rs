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
        let call = sample_call(api, op, (&chain, surface.folded[i]), &surface.rust_paths[i], &names, module, null);
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
    // One delta query, over two rounds: three pages and a delta link, then only the changes.
    if let Some(i) = api.operations.iter().position(|op| matches!(op.response, Response::DeltaPage(_))) {
        let mut chain = surface.chains[i].clone();
        if let Some(m) = &module.module {
            chain.insert(0, sanitize(m, Case::Snake));
        }
        let op = &api.operations[i];
        let call = sample_call(api, op, (&chain, surface.folded[i]), &surface.rust_paths[i], &names, module, None);
        if let Response::DeltaPage(t) = &op.response {
            tests.push(delta_rounds_test(call, &names.rust_type(t)));
        }
    }
    let version = &api.api_version;
    let gate = module.test_file_gate(Some("test-util"));
    let rust_paths = &surface.rust_paths;
    let count = api.operations.len();
    let krate = module.krate_ident();
    let delta_use = api
        .operations
        .iter()
        .any(|op| matches!(op.response, Response::DeltaPage(_)))
        .then(|| quote!(use #krate::runtime::{Delta, Page};));
    // A download is read as a stream too: `Stream` through the crate's re-export.
    let stream_use = api
        .operations
        .iter()
        .any(|op| matches!(op.response, Response::Bytes))
        .then(|| quote!(use #krate::futures_core;));
    let sample_bytes = super::e2e::sample_bytes_const(api);
    let consents = super::e2e::test_consents(api);
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
        use #krate::{#(#consents,)* Client, Consent};
        #delta_use
        #stream_use
        #sample_bytes

        /// The methods the tests below mock.
        const MOCKED: &[&str] = &[#(#rust_paths),*];

        /// The mock's client of consent `C`.
        fn client<C: Consent>(graph: &MockGraph) -> Client<C> {
            graph.client_for::<C>()
        }

        #coverage

        #(#tests)*
    };
    super::rust::rust_file("tests/mock_every_operation.rs", tokens)
}

/// The test of a delta query's two rounds: the first reads three pages (following the next
/// links) and ends with a delta link; the second starts from that link and reads one change and
/// one removal (`@removed`), typed.
fn delta_rounds_test(call: super::e2e::SampleCall, item: &TokenStream) -> TokenStream {
    let (calls, consent) = (call.calls, call.consent);
    quote! {
        #[tokio::test]
        async fn a_delta_query_reads_its_pages_then_only_the_changes_from_its_delta_link() {
            let graph = MockGraph::start().await;
            let client: Client<#consent> = client(&graph);
            let request = || client #calls;
            let url = request().url();
            let link = |query: &str| format!("{url}?{query}");
            let item = |value: serde_json::Value| serde_json::from_value::<Delta<#item>>(value).unwrap();
            let changed = |id: &str| item(serde_json::json!({ "id": id }));
            graph.expect(request()).respond(Page::new(vec![changed("1"), changed("2")]).next_link(link("$skiptoken=p2"))).times(1);
            graph
                .expect(request().query("$skiptoken", "p2"))
                .respond(Page::new(vec![changed("3")]).next_link(link("$skiptoken=p3"))).times(1);
            graph
                .expect(request().query("$skiptoken", "p3"))
                .respond(Page::new(vec![changed("4")]).delta_link(link("$deltatoken=round-2"))).times(1);
            let mut pages = request().pages();
            let mut first = Vec::new();
            while let Some(page) = pages.next().await {
                first.extend(page.unwrap().value);
            }
            assert_eq!(first, vec![changed("1"), changed("2"), changed("3"), changed("4")]);
            let stored = pages.delta_link().unwrap().to_string();
            assert_eq!(stored, link("$deltatoken=round-2"));

            // The next round, from the stored link (in another process, as far as the client knows).
            let update = serde_json::json!({ "id": "3", "@odata.type": "#changed" });
            let removal = serde_json::json!({ "id": "2", "@removed": { "reason": "deleted" } });
            graph
                .expect(request().query("$deltatoken", "round-2"))
                .respond(Page::new(vec![item(update.clone()), item(removal.clone())]).delta_link(link("$deltatoken=round-3"))).times(1);
            let mut pages = request().pages_from(&stored).unwrap();
            let page = pages.next().await.unwrap().unwrap();
            assert!(pages.next().await.is_none());
            assert_eq!(page.value.len(), 2);
            assert!(page.value[0].changed().is_some(), "{:?}", page.value[0]);
            let gone = page.value[1].removed().unwrap();
            assert_eq!((gone.id.as_deref(), gone.reason.as_deref()), (Some("2"), Some("deleted")));
            assert_eq!(serde_json::to_value(&page.value[1]).unwrap(), removal, "kept as sent");
            assert_eq!(pages.delta_link(), Some(link("$deltatoken=round-3").as_str()));
            graph.verify();
        }
    }
}

/// The expectation's typed answer, and the call with its check.
fn answer_and_check(api: &Api, op: &Operation, names: &TypeNames<'_>) -> (TokenStream, TokenStream) {
    match &op.response {
        Response::Empty => (quote!(graph.expect(request());), quote!(request().await.unwrap();)),
        // A download, whole and as a stream of chunks.
        Response::Bytes => (
            quote!(graph.expect(request()).respond_bytes("image/png", SAMPLE_BYTES).times(2);),
            quote! {
                assert_eq!(request().await.unwrap(), SAMPLE_BYTES.to_vec());
                let mut stream = request().send_stream().await.unwrap();
                assert_eq!(stream.header("content-type"), Some("image/png"));
                let mut got = Vec::new();
                while let Some(chunk) = std::future::poll_fn(|cx| {
                    futures_core::Stream::poll_next(std::pin::Pin::new(&mut stream), cx)
                })
                .await
                {
                    got.extend_from_slice(&chunk.unwrap());
                }
                assert_eq!(got, SAMPLE_BYTES.to_vec());
            },
        ),
        Response::Value(t) | Response::OptionalValue(t) | Response::Page(t) | Response::DeltaPage(t) => {
            let text = sample(api, t, "value", 0).to_string();
            let ty = names.rust_type(t);
            let decl = match &op.response {
                Response::DeltaPage(_) => quote! {
                    let expected = Delta::Changed(serde_json::from_str::<#ty>(#text).unwrap());
                },
                _ => quote!(let expected: #ty = serde_json::from_str(#text).unwrap();),
            };
            // A `Copy` value is passed as it is (clippy's `clone_on_copy`).
            let copy = super::rust::is_copy(t) && !matches!(op.response, Response::DeltaPage(_));
            let expected_again = if copy { quote!(expected) } else { quote!(expected.clone()) };
            match &op.response {
                Response::Page(_) | Response::DeltaPage(_) => (
                    quote! {
                        #decl
                        graph.expect(request()).respond_pages([vec![#expected_again], vec![#expected_again]]);
                    },
                    quote! {
                        let got = request().collect_all(usize::MAX).await.unwrap();
                        assert_eq!(got, vec![#expected_again, expected]);
                    },
                ),
                Response::OptionalValue(_) => (
                    quote! {
                        #decl
                        graph.expect(request()).respond(Some(#expected_again));
                    },
                    quote!(assert_eq!(request().await.unwrap(), Some(expected));),
                ),
                _ => (
                    quote! {
                        #decl
                        graph.expect(request()).respond(#expected_again);
                    },
                    quote!(assert_eq!(request().await.unwrap(), expected);),
                ),
            }
        }
    }
}

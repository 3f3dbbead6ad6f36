//! README fragments written from the model, for a permission without its own in
//! `templates/permissions/<permission>/`: what it covers, a quickstart that calls one of its
//! collections (compiled as a doctest of the crate), and an example of a method that needs a
//! signed-in user.

use std::collections::BTreeSet;

use super::api::ApiSurface;
use crate::model::types::{Api, OperationKind, Segment};

/// The permission-specific fragments of README.md.in (`about`, `quickstart`, the examples).
pub(crate) struct Fragments {
    pub(crate) about: String,
    pub(crate) quickstart: String,
    pub(crate) consent_example: String,
    pub(crate) filter_example: String,
    pub(crate) null_example: String,
    pub(crate) bulk_example: String,
    pub(crate) testing_example: String,
}

impl Fragments {
    pub(crate) fn from_model(api: &Api, surface: &ApiSurface, krate: &str, permission: &str) -> Fragments {
        let roots: BTreeSet<&str> =
            api.operations.iter().filter_map(|op| op.template.split('/').nth(1)).filter(|r| !r.is_empty()).collect();
        let roots: Vec<String> = roots.iter().map(|r| format!("`/{r}`")).collect();
        let about = match roots.as_slice() {
            [] => ".".to_string(),
            [one] => format!(", under {one}."),
            [init @ .., last] => format!(", under {} and {last}.", init.join(", ")),
        };
        Fragments {
            about,
            quickstart: quickstart(api, surface, krate, permission),
            consent_example: consent_example(api, surface),
            filter_example: filter_example(krate),
            null_example: null_example(api, surface),
            bulk_example: "Every request this crate's builders return can go in a batch, `Client::request`'s too."
                .to_string(),
            testing_example: testing_example(api, surface, krate, permission),
        }
    }
}

/// The Rust call chain of operation `i` from the client, with placeholder ids: `groups().list()`.
fn call(surface: &ApiSurface, i: usize) -> String {
    let chain = &surface.chains[i];
    chain
        .iter()
        .enumerate()
        .map(|(n, m)| if m == "by_id" && n + 1 < chain.len() { format!("{m}(\"<id>\")") } else { format!("{m}()") })
        .collect::<Vec<_>>()
        .join(".")
}

fn quickstart(api: &Api, surface: &ApiSurface, krate: &str, permission: &str) -> String {
    let chosen = sample_list(api, permission).map(|(i, app_only)| {
        let template = api.operations[i].template.clone();
        if app_only {
            ((i, template), "Client::app_only", "<app-only access token>", "application")
        } else {
            ((i, template), "Client::new", "<signed-in user's access token>", "delegated")
        }
    });
    let Some(((i, template), client, token, consent)) = chosen else {
        return format!(
            "This permission grants no collection read to start from; see the crate docs for its \
             operations. Any request can also be sent as JSON with `Client::request` (for example \
             `client.request::<{krate}::runtime::Json<serde_json::Value>>({krate}::runtime::Method::GET, path)`)."
        );
    };
    let example = r#"With the {consent} permission `{permission}` (admin consent), the first page of `GET {template}`:

```rust,no_run
use {krate}::{Client, StaticToken};

async fn first_page() -> {krate}::Result<()> {
    let client = {client}(StaticToken::new("{token}"))?;
    let page = client.{call}.top(10).await?;
    println!("{} items; more pages: {}", page.value.len(), page.next_link.is_some());
    Ok(())
}
```"#;
    fill(
        example,
        &[
            ("consent", consent),
            ("permission", permission),
            ("template", &template),
            ("krate", krate),
            ("client", client),
            ("token", token),
            ("call", &call(surface, i)),
        ],
    )
}

/// The collection read the README's examples start from: under the root with the most operations
/// (the permission's main resource), without function arguments, app-only where the permission
/// allows it, the shortest path first. `(operation index, app-only)`.
fn sample_list(api: &Api, permission: &str) -> Option<(usize, bool)> {
    let mut per_root: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for op in &api.operations {
        *per_root.entry(op.template.split('/').nth(1).unwrap_or_default()).or_default() += 1;
    }
    // `Group.ReadWrite.All` -> `group`: roots named after it come first (`/groups`).
    let resource = permission.split('.').next().unwrap_or_default().to_ascii_lowercase();
    let root_rank = |template: &str| {
        let root = template.split('/').nth(1).unwrap_or_default();
        (!root.to_ascii_lowercase().contains(&resource), std::cmp::Reverse(per_root.get(root).copied().unwrap_or(0)))
    };
    let pick = |app_only: bool| {
        api.operations
            .iter()
            .enumerate()
            .filter(|(_, op)| op.kind == OperationKind::List)
            .filter(|(_, op)| !op.segments.iter().any(|s| matches!(s, Segment::Function { .. })))
            .filter(|(_, op)| !app_only || op.consent.application == Some(true))
            .min_by_key(|(_, op)| (root_rank(&op.template), op.segments.len(), op.template.clone()))
            .map(|(i, _)| (i, app_only))
    };
    pick(true).or_else(|| pick(false))
}

/// A test with the test kit over the sample collection: three pages served, every item read.
fn testing_example(api: &Api, surface: &ApiSurface, krate: &str, permission: &str) -> String {
    let Some((i, app_only)) = sample_list(api, permission) else {
        return "This permission grants no collection read; `graph.expect(..)` takes any request, \
                `Client::request`'s too."
            .to_string();
    };
    let client = if app_only { "app_only_client" } else { "client" };
    let example = r##"Three pages of `GET {template}`, read to the end:

```rust
use {krate}::testing::MockGraph;

#[tokio::test]
async fn every_page_is_read() {
    let graph = MockGraph::start().await;
    let client = graph.{client}();
    let list = || client.{call}.top(1);
    let item = || serde_json::from_str(r#"{"id": "1"}"#).unwrap();
    graph.expect(list()).respond_pages([vec![item()], vec![item()], vec![item()]]);
    let items = list().collect_all(100).await.unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(graph.received().len(), 3, "one request per page");
}
```"##;
    fill(
        example,
        &[("template", &api.operations[i].template), ("krate", krate), ("client", client), ("call", &call(surface, i))],
    )
}

/// The README's testing examples: the text with each `rust` block marked `ignore` for rustdoc
/// (they need the `test-util` feature), and `tests/readme_testing.rs`, where each block is a
/// module, compiled and run with the feature on. A block that is not Rust is an error naming
/// `file`.
pub(crate) fn testing_examples(text: &str, file: &str) -> crate::error::Result<(String, String)> {
    let mut readme = String::new();
    let mut modules = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("```rust\n") {
        readme.push_str(&rest[..start]);
        readme.push_str("```rust,ignore\n");
        let body = &rest[start + "```rust\n".len()..];
        let end = body.find("\n```").map_or(body.len(), |e| e + 1);
        let code = &body[..end];
        let parsed: syn::File = syn::parse_str(code).map_err(|e| crate::error::Error::Emit {
            file: file.to_string(),
            message: format!("example {} of \"Testing your code\" is not Rust: {e}", modules.len() + 1),
        })?;
        let name = quote::format_ident!("example_{}", modules.len() + 1);
        let items = parsed.items;
        modules.push(quote::quote!(mod #name { #(#items)* }));
        readme.push_str(code);
        rest = &body[end..];
    }
    readme.push_str(rest);
    let tokens = quote::quote! {
        #![doc = " The examples of the README's \"Testing your code\" section, compiled and run (feature `test-util`)."]
        #![cfg(feature = "test-util")]
        #![cfg_attr(rustfmt, rustfmt::skip)]
        #![allow(clippy::unwrap_used)]
        #(#modules)*
    };
    Ok((readme, super::rust::rust_file("tests/readme_testing.rs", tokens)?))
}

/// `text` with each `{name}` of `vars` replaced (other braces stay).
fn fill(text: &str, vars: &[(&str, &str)]) -> String {
    vars.iter().fold(text.to_string(), |t, (name, value)| t.replace(&format!("{{{name}}}"), value))
}

/// A filter written with property names as text (any crate has it); a model's `…Field` enum makes
/// the names typed and lets `.filter_by(..)` take the filter.
fn filter_example(krate: &str) -> String {
    format!(
        "```rust\n\
         use {krate}::runtime::Filter;\n\
         \n\
         let filter = Filter::eq(\"displayName\", \"Sales & O'Brien\").and(!Filter::is_null(\"description\"));\n\
         assert_eq!(filter.to_string(), \"displayName eq 'Sales & O''Brien' and not (description eq null)\");\n\
         // With an entity's field enum (`fields::<Entity>Field`) the names are checked, and\n\
         // `.filter_by(filter)` takes it; with text names, `.filter(filter.to_string())`.\n\
         ```"
    )
}

/// One update or replace of this crate that can clear a property, as a sentence (the entitlement
/// crate's README has a compiled example).
fn null_example(api: &Api, surface: &ApiSurface) -> String {
    let enums = super::fields::field_enums(api);
    let found = api.operations.iter().enumerate().find_map(|(i, op)| {
        if !matches!(op.kind, OperationKind::Update | OperationKind::Replace) {
            return None;
        }
        let q = op.body.as_ref().and_then(crate::model::types::TypeRef::named)?;
        let Some(crate::model::types::TypeDef::Struct(s)) = api.types.get(q) else { return None };
        let name = enums.get(q)?.nullable.clone()?;
        let (variant, _) = super::fields::nullable_variants(s).into_iter().next()?;
        Some(format!(
            "For example `client.{}(&changes).set_null(fields::{name}::{variant})` (`{} {}`).",
            call(surface, i).trim_end_matches("()"),
            op.http_method.as_str(),
            op.template
        ))
    });
    found.unwrap_or_default()
}

fn consent_example(api: &Api, surface: &ApiSurface) -> String {
    let delegated_only = api
        .operations
        .iter()
        .position(|op| op.consent.delegated == Some(true) && op.consent.application == Some(false));
    match delegated_only {
        Some(i) => {
            let method = surface.chains[i].last().map_or("", String::as_str);
            format!(
                "Some methods are allowed only with a signed-in user (for example `{method}(..)` on `{}`).",
                api.operations[i].template
            )
        }
        None => "Each method's consent is part of its type.".to_string(),
    }
}

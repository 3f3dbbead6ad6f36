//! README fragments written from the model, for a permission without its own in
//! `templates/permissions/<permission>/`: what it covers, a quickstart that calls one of its
//! collections (compiled as a doctest of the crate), and an example of a method that needs a
//! signed-in user.

use std::collections::BTreeSet;

use super::api::ApiSurface;
use crate::model::permission::{ConsentInfo, PermissionInfo};
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
    pub(crate) waiting_example: String,
    /// Scripts beside their Rust (a permission's own `powershell.md`); none from the model.
    pub(crate) powershell_example: String,
}

impl Fragments {
    pub(crate) fn from_model(api: &Api, surface: &ApiSurface, krate: &str, permission: &str) -> Fragments {
        let roots: BTreeSet<&str> =
            api.operations.iter().filter_map(|op| op.template.split('/').nth(1)).filter(|r| !r.is_empty()).collect();
        let roots: Vec<String> = roots.iter().map(|r| format!("`/{r}`")).collect();
        let about =
            if roots.is_empty() { ".".to_string() } else { format!(", under {}.", crate::naming::prose_list(&roots)) };
        Fragments {
            about,
            quickstart: quickstart(api, surface, krate, permission),
            consent_example: consent_example(api, surface),
            filter_example: filter_example(krate),
            null_example: null_example(api, surface),
            bulk_example: "Every request this crate's builders return can go in a batch, `Client::request`'s too."
                .to_string(),
            testing_example: testing_example(api, surface, krate, permission),
            waiting_example: waiting_example(api, surface, krate),
            powershell_example: String::new(),
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
pub(crate) fn testing_examples(
    text: &str,
    file: &str,
    all_roots: Option<&str>,
) -> crate::error::Result<(String, String)> {
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
    // They call the permission's operations: with a feature per API root, all of them on.
    let gate = match all_roots {
        Some(all) => quote::quote!(#![cfg(all(feature = "test-util", feature = #all))]),
        None => quote::quote!(#![cfg(feature = "test-util")]),
    };
    let tokens = quote::quote! {
        #![doc = " The examples of the README's \"Testing your code\" section, compiled and run (feature `test-util`)."]
        #gate
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

/// The README's "App registration" section: what to register for the crate's permission, per
/// consent type it offers: the `requiredResourceAccess` fragment of the app's manifest, the Azure
/// CLI commands, the admin-consent URL. Where an id is not recorded, no fragment is guessed: the
/// commands look it up on Microsoft Graph's service principal instead.
///
/// A crate for several permissions gets this for each of them (the registration holds them all),
/// then the admin-consent step once.
pub(crate) fn app_registration(set: &[&PermissionInfo]) -> String {
    let mut out = String::new();
    if set.len() > 1 {
        let names: Vec<String> = set.iter().map(|p| format!("`{}`", p.name)).collect();
        out.push_str(&format!(
            "The app registration holds every permission of the crate's set ({}); for each:\n\n",
            names.join(", ")
        ));
    }
    for info in set {
        if set.len() > 1 {
            out.push_str(&format!("### `{}`\n\n", info.name));
        }
        out.push_str(&permission_registration(info));
        out.push('\n');
    }
    out.pop();
    out.push_str(&format!(
        "\nOr an administrator opens the admin-consent URL (`/.default` asks for every permission the registration\n\
         lists; the redirect URI must be one of the app's):\n\n```text\n\
         https://login.microsoftonline.com/<tenant-id>/v2.0/adminconsent?client_id=<app-id>&scope=https://graph.microsoft.com/.default&redirect_uri=<redirect-uri>\n\
         ```\n\n\
         In a national cloud the URL takes the cloud's sign-in host (`Cloud::authority_host()`) and its Graph origin in\n\
         the scope (`Client::scope()`). The same data is `{}::permissions::{}` in code, and when Graph answers\n\
         `403 Authorization_RequestDenied`, the error names the permission and consent type the call needs.",
        "{{crate}}",
        if set.len() > 1 { "SET" } else { "PERMISSION" }
    ));
    out
}

/// One permission's part of [`app_registration`]: its consent types, manifest fragments and Azure
/// CLI commands.
fn permission_registration(info: &PermissionInfo) -> String {
    let name = &info.name;
    let graph = super::permissions::GRAPH_APP_ID;
    // Consent type, client, `requiredResourceAccess` type, where the service principal lists it.
    let forms: Vec<(&str, &str, &str, &str, &ConsentInfo)> = [
        ("app-only", "`Client::app_only`", "Role", "appRoles", info.application.as_ref()),
        ("delegated (signed-in user)", "`Client::new`", "Scope", "oauth2PermissionScopes", info.delegated.as_ref()),
    ]
    .into_iter()
    .filter_map(|(consent, client, kind, listed, c)| Some((consent, client, kind, listed, c?)))
    .collect();
    let mut out = format!(
        "Tokens are for Microsoft Graph (resource app id `{graph}`), issued to an app registration that holds\n\
         `{name}`:\n\n\
         | consent type | client | `requiredResourceAccess` type | id | admin consent |\n\
         |---|---|---|---|---|\n"
    );
    for (consent, client, kind, _, c) in &forms {
        out.push_str(&format!(
            "| {consent} | {client} | `{kind}` | {} | {} |\n",
            c.id.as_deref().map_or_else(|| "not recorded (see below)".to_string(), |id| format!("`{id}`")),
            if c.admin_consent_required { "required" } else { "not required" }
        ));
    }
    for (consent, _, kind, listed, c) in &forms {
        match c.id.as_deref() {
            Some(id) => {
                // Written out, in the manifest's own key order (a JSON value would sort the keys).
                let text = format!(
                    "{{\n  \"requiredResourceAccess\": [\n    {{\n      \"resourceAppId\": \"{graph}\",\n      \
                     \"resourceAccess\": [\n        {{ \"id\": \"{id}\", \"type\": \"{kind}\" }}\n      ]\n    }}\n  ]\n}}"
                );
                out.push_str(&format!(
                    "\n{}, in the application's manifest (merge it into an existing Microsoft Graph entry):\n\n\
                     ```json\n{text}\n```\n",
                    capitalize(consent)
                ));
            }
            None => out.push_str(&format!(
                "\n{}: the id is not recorded in the generator's `metadata/permission-ids.yaml`; read it from Microsoft \
                 Graph's service principal in your tenant:\n\n```sh\n\
                 az ad sp show --id {graph} --query \"{}[?value=='{name}'].id\" -o tsv\n```\n",
                capitalize(consent),
                listed
            )),
        }
    }
    out.push_str("\nWith the Azure CLI (`<app-id>` is the application's client id):\n\n```sh\n");
    for (consent, _, kind, listed, c) in &forms {
        let short = consent.split(' ').next().unwrap_or(consent);
        match c.id.as_deref() {
            Some(id) => out.push_str(&format!(
                "# {short}\naz ad app permission add --id <app-id> --api {graph} --api-permissions {id}={kind}\n"
            )),
            None => out.push_str(&format!(
                "# {short}\nid=$(az ad sp show --id {graph} --query \"{}[?value=='{name}'].id\" -o tsv)\n\
                 az ad app permission add --id <app-id> --api {graph} --api-permissions \"$id={kind}\"\n",
                listed
            )),
        }
    }
    let needs_admin = forms.iter().any(|(_, _, _, _, c)| c.admin_consent_required);
    out.push_str(&format!(
        "# {}\naz ad app permission admin-consent --id <app-id>\n```\n",
        if needs_admin { "then, as an administrator (required)" } else { "then, as an administrator (optional)" }
    ));
    out
}

/// README "Coming from PowerShell": the lookup from a cmdlet to its operations, on one of this
/// crate's cmdlets (a doctest that runs: the lookup must find it).
pub(crate) fn powershell_lookup(api: &Api, krate: &str) -> String {
    let sample = api
        .operations
        .iter()
        .filter(|op| op.kind == OperationKind::List)
        .chain(&api.operations)
        .find_map(|op| op.powershell.as_deref());
    let Some(cmdlet) = sample else {
        return "This crate was generated without PowerShell naming rules (`powershell` in `codegen.yaml`), so its \
                operations name no cmdlet."
            .to_string();
    };
    format!(
        "Each operation's rustdoc names the Microsoft Graph PowerShell cmdlet that calls the same operation \
         (`PowerShell: {cmdlet}`), `PERMISSIONS.md` and `permissions.json` have a PowerShell column, and \
         `{krate}::permissions::for_cmdlet` finds a cmdlet's operations (case-insensitive, as PowerShell is), with \
         their Rust methods and consent:\n\n\
         ```rust\n\
         let rows: Vec<_> = {krate}::permissions::for_cmdlet(\"{cmdlet}\").collect();\n\
         assert!(!rows.is_empty());\n\
         for row in rows {{\n    \
             println!(\"{{}} {{}} -> {{}} (app-only: {{}})\", row.http_method, row.path, row.rust, row.application);\n\
         }}\n\
         ```\n\n\
         Names are derived the way the PowerShell SDK makes them from Graph's OpenAPI operationIds (verbs, singular \
         nouns, `ByRef` for references, the module's prefix); a cmdlet may stand for several operations \
         (`Get-` lists and reads one item)."
    )
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |c| c.to_uppercase().collect::<String>() + chars.as_str())
}

/// The README's waiting example: the first waiter of the model, or a sentence when the
/// permission's crate has none.
pub(crate) fn waiting_example(api: &Api, surface: &ApiSurface, krate: &str) -> String {
    let Some(waiter) = api.waiters.first() else {
        return "This crate has no `wait_until_*` methods: no waiter of `metadata/waiters.yaml` polls a read this \
                permission grants."
            .to_string();
    };
    let op = &api.operations[waiter.operation];
    let (client, token) = match (op.consent.delegated, op.consent.application) {
        (_, Some(true)) => ("Client::app_only", "<app-only access token>"),
        _ => ("Client::new", "<signed-in user's access token>"),
    };
    // The chain to the item builder: the read's chain without its last method.
    let chain = &surface.chains[waiter.operation];
    let to_item: Vec<String> = chain[..chain.len().saturating_sub(1)]
        .iter()
        .map(|m| if m == "by_id" { "by_id(id)".to_string() } else { format!("{m}()") })
        .collect();
    let example = r#"`wait_until_{name}` on `GET {template}` ends on `{property}` = {success}{failure}:

```rust,no_run
use std::time::Duration;

use {krate}::runtime::WaitOptions;
use {krate}::{Client, Error, StaticToken};

async fn wait(id: &str) -> {krate}::Result<()> {
    let client = {client}(StaticToken::new("{token}"))?;
    let options = WaitOptions::default().deadline(Duration::from_secs(300));
    match client.{chain}.wait_until_{name}(&options).await {
        Ok(done) => println!("`{}` after {} reads", done.state, done.polls),
        Err(Error::WaitFailed { state, request_id, .. }) => eprintln!("ended as `{state}` (request-id {request_id:?})"),
        Err(e) => return Err(e),
    }
    Ok(())
}
```"#;
    let list = |v: &[String]| v.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ");
    let failure = if waiter.failure.is_empty() {
        String::new()
    } else {
        format!(" (success) or {} (failure)", list(&waiter.failure))
    };
    fill(
        example,
        &[
            ("name", &waiter.name),
            ("template", &op.template),
            ("property", &waiter.property),
            ("success", &list(&waiter.success)),
            ("failure", &failure),
            ("krate", krate),
            ("client", client),
            ("token", token),
            ("chain", &to_item.join(".")),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn consent(id: Option<&str>) -> ConsentInfo {
        ConsentInfo {
            id: id.map(str::to_string),
            display_name: "Read all".into(),
            description: "Allows reading.".into(),
            user_display_name: None,
            user_description: None,
            admin_consent_required: true,
            privilege_level: Some(3),
        }
    }

    #[test]
    fn a_known_id_gets_a_manifest_fragment_an_unknown_one_a_lookup() {
        let info = PermissionInfo {
            name: "Thing.Read.All".into(),
            delegated: Some(consent(None)),
            application: Some(consent(Some("0b2c3d4e-0000-4000-8000-000000000001"))),
            ids_source: Some("a page".into()),
        };
        let text = app_registration(&[&info]);
        let fragments: Vec<serde_json::Value> = text
            .split("```json\n")
            .skip(1)
            .map(|b| serde_json::from_str(&b[..b.find("```").unwrap_or(0)]).unwrap())
            .collect();
        assert_eq!(fragments.len(), 1, "only the known id: {text}");
        assert_eq!(fragments[0]["requiredResourceAccess"][0]["resourceAccess"][0]["type"], "Role");
        assert!(text.contains(
            "| delegated (signed-in user) | `Client::new` | `Scope` | not recorded (see below) | required |"
        ));
        assert!(text.contains(
            "az ad sp show --id 00000003-0000-0000-c000-000000000000 --query \"oauth2PermissionScopes[?value=='Thing.Read.All'].id\" -o tsv"
        ));
        assert!(text.contains("--api-permissions \"$id=Scope\""), "{text}");
        assert!(text.contains("--api-permissions 0b2c3d4e-0000-4000-8000-000000000001=Role"), "{text}");
    }

    #[test]
    fn a_delegated_only_permission_shows_one_consent_type() {
        let info = PermissionInfo {
            name: "Me.Read".into(),
            delegated: Some(consent(None)),
            application: None,
            ids_source: None,
        };
        let text = app_registration(&[&info]);
        assert!(!text.contains("app-only") && !text.contains("=Role"), "{text}");
    }
}

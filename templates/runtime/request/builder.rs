//! The request builder ([`Request`]): query options, headers, body; what a `$batch` and the
//! test kit take of it.

use std::marker::PhantomData;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::super::client::{Core, Session};
use super::super::consent::{Consent, Delegated};
use super::super::error::{Error, Result};

use super::kinds::*;

/// The body of `POST .../$ref`: a reference to an existing object by its URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ODataReference {
    /// The URL of the referenced object.
    #[serde(rename = "@odata.id")]
    pub odata_id: String,
}

impl ODataReference {
    /// A reference to `url`, e.g. `https://graph.microsoft.com/v1.0/groups/{id}`.
    pub fn new(url: impl Into<String>) -> Self {
        ODataReference { odata_id: url.into() }
    }

    /// A reference to `{base URL}/{collection}/{id}`, e.g. `ODataReference::to(&client, "groups", id)`;
    /// the id is percent-encoded as one segment.
    pub fn to<C: Consent>(client: &Session<C>, collection: &str, id: &str) -> Self {
        ODataReference::new(format!(
            "{}/{}/{}",
            client.base_url(),
            collection.trim_matches('/'),
            super::super::values::encode_segment(id)
        ))
    }
}

/// Types whose properties can be named, typed, in `$select` and `$orderby`.
pub trait Selectable {
    /// The type's properties, as an enum.
    type Field: Copy + AsRef<str>;
}

/// Types with properties the metadata declares nullable: what
/// [`Request::set_null`](Request::set_null) can send as `null`.
pub trait Nullable {
    /// The nullable properties, as an enum (`…NullableField`).
    type NullableField: Copy + AsRef<str>;
}

impl<T: Nullable, C> Request<Json<T>, C> {
    /// Sends `"property": null` in the body of this create (or update, replace), beside what the
    /// typed body sets: the typed models leave unset properties out, so this is how a property is
    /// cleared. Only properties the metadata declares nullable can be named.
    pub fn set_null(mut self, field: T::NullableField) -> Self {
        self.nulls.push(field.as_ref().to_string());
        self
    }
}

impl<T: Nullable, C> Request<MaybeJson<T>, C> {
    /// Sends `"property": null` in the body of this update (PATCH) or replace (PUT), beside what
    /// the typed body sets, e.g.
    /// `.update(&changes).set_null(AccessPackageAssignmentPolicyNullableField::Description)`:
    /// the typed models leave unset properties out, so this is how a property is cleared. Only
    /// properties the metadata declares nullable can be named.
    pub fn set_null(mut self, field: T::NullableField) -> Self {
        self.nulls.push(field.as_ref().to_string());
        self
    }
}

impl<T: Selectable + DeserializeOwned, C> Request<Json<T>, C> {
    /// `$select` with property names checked by the compiler, e.g.
    /// `.select_fields(&[GroupField::Id, GroupField::DisplayName])` (the entity's `…Field` enum).
    pub fn select_fields(self, fields: &[T::Field]) -> Self {
        self.select(fields.iter().map(AsRef::as_ref))
    }

    /// `$filter` from a typed [`Filter`](super::super::Filter) over this type's fields, e.g.
    /// `.filter_by(Filter::eq(GroupField::DisplayName, "Sales"))`. Called again, the conditions
    /// combine with `and` (`(a) and (b)`), with a `$filter` set by `filter` too.
    pub fn filter_by(mut self, filter: super::super::filter::Filter<T::Field>) -> Self {
        let filter = filter.to_string();
        let combined = match self.query.iter().rev().find(|(name, _)| name == "$filter") {
            Some((_, existing)) => format!("({existing}) and ({filter})"),
            None => filter,
        };
        self.set_option("$filter", combined);
        self
    }

    /// `$orderby` one property, ascending or descending: one of this type's (`…Field`), or one
    /// reached through a navigation property (`<Entity>Field::owner().field(..)`).
    ///
    /// Several calls order by several properties, in call order (one `$orderby`,
    /// comma-separated).
    pub fn order_by_field(self, field: impl super::super::filter::Property<T::Field>, descending: bool) -> Self {
        let field = field.path();
        self.add_to_option("$orderby", if descending { format!("{field} desc") } else { field })
    }

    /// `$expand` a navigation property, named by the generated constructor beside the `…Field`
    /// enum, e.g. `.expand_nav(<Entity>Field::owner())`; several calls expand
    /// several (one `$expand`, comma-separated).
    pub fn expand_nav(self, nav: impl super::super::filter::Navigation<T::Field>) -> Self {
        self.add_to_option("$expand", nav.name().to_string())
    }

    /// `$expand` a navigation property with `$select` on its target, e.g.
    /// `.expand_select(<Entity>Field::owner(), &[<Target>Field::Id, <Target>Field::DisplayName])`
    /// writes `$expand=owner($select=id,displayName)` (OData selects a navigation's
    /// properties inside its `$expand`).
    pub fn expand_select<N>(self, nav: N, fields: &[N::Target]) -> Self
    where
        N: super::super::filter::Navigation<T::Field>,
        N::Target: AsRef<str>,
    {
        let list: Vec<&str> = fields.iter().map(AsRef::as_ref).collect();
        self.add_to_option("$expand", format!("{}($select={})", nav.name(), list.join(",")))
    }
}

/// A request ready to send: add OData query options, then `.await` it (or call [`send`](Self::send)).
///
/// Each OData option is sent once (Graph answers `400` to an option given twice). The
/// single-valued ones, `top`, `skip`, `search`, `count` and `filter`, replace the value set before:
/// the last call wins, except `filter_by`, whose conditions combine with `and`. The list options,
/// `select`/`select_fields`, `expand`/`expand_nav`/`expand_select` and `order_by`/`order_by_field`,
/// add to their list, string and typed variants alike. A header set twice is sent once, with the
/// last value. [`query`](Self::query) is the escape hatch: it adds its pair as it is.
///
/// `K` says how the response is decoded ([`Json`], [`MaybeJson`], [`NoContent`], [`Count`],
/// [`RawJson`]); `C` is the consent of the client that built it, so a [`Batch`](super::super::Batch)
/// takes only requests its client's consent allows.
#[must_use = "a request does nothing until it is awaited"]
pub struct Request<K, C = Delegated> {
    pub(super) client: Core,
    pub(super) method: reqwest::Method,
    pub(super) path: String,
    /// A full URL that replaces base URL, path and query (next links).
    pub(super) absolute_url: Option<String>,
    /// The operation's path template, for logs.
    pub(super) template: Option<&'static str>,
    pub(super) query: Vec<(String, String)>,
    pub(super) headers: Vec<(String, String)>,
    pub(super) body: Option<Result<Vec<u8>>>,
    /// Properties sent as `null` beside the body's ([`set_null`](Request::set_null)).
    pub(super) nulls: Vec<String>,
    /// The operation's body type, which the test kit's server checks bodies against.
    #[cfg(feature = "test-util")]
    pub(super) body_type: Option<super::super::testing::spec::BodyType>,
    pub(super) kind: PhantomData<fn() -> K>,
    /// The consent of the client that built it: a [`Batch`](super::super::Batch) takes only its own.
    pub(super) consent: PhantomData<fn() -> C>,
}

impl<K, C> std::fmt::Debug for Request<K, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &self.query)
            .finish_non_exhaustive()
    }
}

impl<K: ResponseKind, C> Request<K, C> {
    pub(crate) fn new(client: Core, method: reqwest::Method, path: String) -> Self {
        Request {
            client,
            method,
            path,
            absolute_url: None,
            template: None,
            query: Vec::new(),
            headers: Vec::new(),
            body: None,
            nulls: Vec::new(),
            #[cfg(feature = "test-util")]
            body_type: None,
            kind: PhantomData,
            consent: PhantomData,
        }
    }

    /// The operation's typed body (what generated operations call): the JSON body, and, with the
    /// `test-util` feature, the type the test kit's server checks bodies against.
    #[doc(hidden)]
    pub fn typed_body<B: Serialize + DeserializeOwned + 'static>(self, body: &B) -> Self {
        #[cfg(feature = "test-util")]
        let request = Request { body_type: Some(super::super::testing::spec::BodyType::of::<B>()), ..self };
        #[cfg(not(feature = "test-util"))]
        let request = self;
        request.json(body)
    }

    /// Sets the JSON body, replacing the typed body the operation was built with (if any). For
    /// what the generated models cannot say: a property the metadata lacks, a hand-written
    /// payload (`serde_json::json!({...})`), any `Serialize` type of yours. The body is sent as is,
    /// with `Content-Type: application/json`.
    pub fn json<B: Serialize + ?Sized>(mut self, body: &B) -> Self {
        self.body = Some(serde_json::to_vec(body).map_err(Error::Encode));
        self
    }

    /// The operation's path template, used in logs instead of the concrete path.
    #[doc(hidden)]
    pub fn path_template(mut self, template: &'static str) -> Self {
        self.template = Some(template);
        self
    }

    /// The `client-request-id` header: your id for this request, which Graph logs and echoes
    /// (by default each request gets a fresh UUID). It is the same on every retry and is kept on
    /// the error if the request fails.
    pub fn client_request_id(self, id: impl Into<String>) -> Self {
        self.header("client-request-id", id)
    }

    /// `If-Match`: only act if the entity still has this ETag.
    pub fn if_match(self, etag: impl Into<String>) -> Self {
        self.header("If-Match", etag)
    }

    /// The path below the base URL, with encoded segments.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Adds a query option (the value is percent-encoded).
    ///
    /// The escape hatch: it **adds** the pair as it is, even when the query has `name` already
    /// (the OData options below set theirs once: see [`Request`]'s rules).
    pub fn query(mut self, name: &str, value: impl Into<String>) -> Self {
        self.query.push((name.to_string(), value.into()));
        self
    }

    /// Sets a request header: once, a second call with the same name (in any case) replaces the
    /// first value.
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.to_string(), value.into()));
        self
    }

    /// Sets the single-valued query option `option` (`$top`, `$skip`, `$filter`, `$search`,
    /// `$count`), replacing the value set before.
    fn set_option(&mut self, option: &str, value: String) {
        self.query.retain(|(name, _)| name != option);
        self.query.push((option.to_string(), value));
    }

    /// `$select`: the properties to return; called again, adds to the list.
    pub fn select<I, S>(self, properties: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let list: Vec<String> = properties.into_iter().map(|s| s.as_ref().to_string()).collect();
        self.add_to_option("$select", list.join(","))
    }

    /// `$expand`: navigation properties to include, e.g. `resourceRoleScopes($expand=role,scope)`;
    /// called again, adds to the list.
    pub fn expand(self, expand: impl Into<String>) -> Self {
        self.add_to_option("$expand", expand.into())
    }

    /// Adds `item` to the query option `option` (a comma-separated list: `$expand`, `$orderby`),
    /// or starts it.
    fn add_to_option(mut self, option: &str, item: String) -> Self {
        match self.query.iter_mut().find(|(name, _)| name == option) {
            Some((_, value)) => {
                value.push(',');
                value.push_str(&item);
                self
            }
            None => self.query(option, item),
        }
    }

    /// `$filter`, e.g. `displayName eq 'Sales'`; replaces a `$filter` set before.
    pub fn filter(mut self, filter: impl Into<String>) -> Self {
        self.set_option("$filter", filter.into());
        self
    }

    /// `$orderby`, e.g. `displayName desc`; called again, orders by more properties, in call
    /// order.
    pub fn order_by(self, order_by: impl Into<String>) -> Self {
        self.add_to_option("$orderby", order_by.into())
    }

    /// `$top`: the page size; the last call wins.
    pub fn top(mut self, top: u32) -> Self {
        self.set_option("$top", top.to_string());
        self
    }

    /// `$skip`; the last call wins.
    pub fn skip(mut self, skip: u32) -> Self {
        self.set_option("$skip", skip.to_string());
        self
    }

    /// `$count=true`: include `@odata.count` in the page (sets `ConsistencyLevel: eventual`).
    pub fn count(mut self) -> Self {
        self.set_option("$count", "true".to_string());
        self.header("ConsistencyLevel", "eventual")
    }

    /// `$search` (sets `ConsistencyLevel: eventual`); the last call wins.
    pub fn search(mut self, search: impl Into<String>) -> Self {
        self.set_option("$search", search.into());
        self.header("ConsistencyLevel", "eventual")
    }

    /// The full URL this request goes to.
    pub fn url(&self) -> String {
        match &self.absolute_url {
            Some(url) => url.clone(),
            None => format!("{}{}", self.client.base_url(), self.relative_url()),
        }
    }

    /// The same request, its response decoded as your own type `T` instead of the generated
    /// model (a property the model lacks, a leaner struct): retries, errors, tracing and, for a
    /// `Page<T>`, paging (`.pages()`, `.items()`) stay.
    pub fn decode_as<T: DeserializeOwned>(self) -> Request<Json<T>, C> {
        self.retype()
    }

    /// The same request, its response as raw JSON (`serde_json::Value`; `Null` for no body).
    pub fn raw_json(self) -> Request<RawJson, C> {
        self.retype()
    }

    /// The body to send: the JSON body with the `set_null` properties added as `null`.
    pub(super) fn take_body(&mut self) -> Result<Option<Vec<u8>>> {
        let body = self.body.take().transpose()?;
        if self.nulls.is_empty() {
            return Ok(body);
        }
        let mut object = match &body {
            Some(bytes) => match serde_json::from_slice::<serde_json::Value>(bytes).map_err(Error::Encode)? {
                serde_json::Value::Object(map) => map,
                _ => return Err(Error::InvalidArgument("set_null needs a JSON object body".into())),
            },
            None => serde_json::Map::new(),
        };
        for name in self.nulls.drain(..) {
            object.insert(name, serde_json::Value::Null);
        }
        serde_json::to_vec(&object).map(Some).map_err(Error::Encode)
    }

    fn retype<L>(self) -> Request<L, C> {
        Request {
            client: self.client,
            method: self.method,
            path: self.path,
            absolute_url: self.absolute_url,
            template: self.template,
            query: self.query,
            headers: self.headers,
            body: self.body,
            nulls: self.nulls,
            #[cfg(feature = "test-util")]
            body_type: self.body_type,
            kind: PhantomData,
            consent: PhantomData,
        }
    }

    /// What a `$batch` item needs of this request: consent-free core, method, the URL relative to
    /// the service root, headers and the body to send.
    pub(crate) fn into_parts(mut self) -> Result<Parts> {
        if self.headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("content-type")) {
            return Err(Error::InvalidArgument(format!(
                "`{} {}` has a byte body (`bytes_body`): a `$batch` carries JSON bodies only; send it alone",
                self.method,
                self.template.unwrap_or(&self.path)
            )));
        }
        let body = self.take_body()?;
        let relative_url = match &self.absolute_url {
            Some(url) => match url.strip_prefix(self.client.base_url()) {
                Some(rest) if rest.starts_with('/') => rest.to_string(),
                _ => {
                    return Err(Error::InvalidArgument(format!(
                        "`{url}` is not below the service root `{}`: it cannot be batched",
                        self.client.base_url()
                    )));
                }
            },
            None => self.relative_url(),
        };
        if client_request_id_of(&self.headers).is_none() {
            self.headers.push(("client-request-id".to_string(), new_client_request_id()));
        }
        Ok(Parts {
            core: self.client,
            method: self.method,
            relative_url,
            headers: self.headers,
            body,
            template: self.template.unwrap_or("(untyped)"),
        })
    }

    /// What the test kit matches of this request: the full URL, method, headers, the body to
    /// send and the operation's body type.
    #[cfg(feature = "test-util")]
    pub(crate) fn into_mock_parts(mut self) -> Result<super::super::testing::spec::MockParts> {
        let body = self.take_body()?;
        Ok(super::super::testing::spec::MockParts {
            url: self.url(),
            method: self.method.as_str().to_string(),
            headers: self.headers,
            body,
            body_type: self.body_type,
            template: self.template,
        })
    }

    /// The path and query below the service root.
    fn relative_url(&self) -> String {
        let mut url = self.path.clone();
        for (i, (name, value)) in self.query.iter().enumerate() {
            url.push(if i == 0 { '?' } else { '&' });
            url.push_str(&encode_query(name));
            url.push('=');
            url.push_str(&encode_query(value));
        }
        url
    }
}

/// Percent-encodes a query name or value, keeping OData punctuation readable.
fn encode_query(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'.'
            | b'_'
            | b'~'
            | b'$'
            | b','
            | b'('
            | b')'
            | b'\''
            | b'/'
            | b':'
            | b'@'
            | b'*' => out.push(char::from(b)),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

impl<C: Consent> Session<C> {
    /// A request to `path` (below the base URL, starting with `/`). Generated operations use this.
    pub fn request<K: ResponseKind>(&self, method: reqwest::Method, path: String) -> Request<K, C> {
        Request::new(self.core().clone(), method, path)
    }
}
/// A request taken apart for a `$batch`.
pub(crate) struct Parts {
    pub(crate) core: Core,
    pub(crate) method: reqwest::Method,
    pub(crate) relative_url: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Option<Vec<u8>>,
    pub(crate) template: &'static str,
}

/// The `client-request-id` among `headers`, if the caller set one.
pub(crate) fn client_request_id_of(headers: &[(String, String)]) -> Option<&str> {
    headers.iter().rev().find(|(name, _)| name.eq_ignore_ascii_case("client-request-id")).map(|(_, v)| v.as_str())
}

/// A fresh `client-request-id`: a random (version 4) UUID.
pub(crate) fn new_client_request_id() -> String {
    uuid::Builder::from_random_bytes(fastrand::u128(..).to_le_bytes()).into_uuid().to_string()
}

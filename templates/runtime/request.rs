use std::collections::{HashSet, VecDeque};
use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Instant, SystemTime};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::client::{Client, Core};
use super::consent::{Consent, Delegated};
use super::error::{self, Error, Result};

/// How a successful response is decoded; the type parameter of [`Request`].
pub trait ResponseKind {
    /// What the request returns.
    type Output;
    /// Decodes a 2xx response body.
    fn decode(status: u16, body: &[u8]) -> Result<Self::Output>;
}

/// A JSON body of type `T`.
pub struct Json<T>(PhantomData<fn() -> T>);

/// A JSON body of type `T`, or nothing (`204 No Content`).
pub struct MaybeJson<T>(PhantomData<fn() -> T>);

/// No body (`204 No Content`); any body sent is ignored.
pub struct NoContent;

/// Decodes a JSON body; an error names the JSON path where it happened
/// (`value[3].schedule.expiration.duration`).
pub(crate) fn decode_json<T: DeserializeOwned>(status: u16, body: &[u8]) -> Result<T> {
    // Decoded once; the path of a failure is read from its position in the body.
    super::json_path::from_slice(body).map_err(|(path, source)| Error::Decode {
        status,
        path,
        source,
        body: error::snippet(body),
    })
}

/// A decode error's JSON path as it is named: an error inside an object's key (where
/// serde_path_to_error writes `?`, the key not being known) is named by the object that holds it,
/// `.` at the top (found by the `responses` fuzz target: a control character in a key).
pub(crate) fn json_path(path: &serde_path_to_error::Path) -> String {
    let text = path.to_string();
    let holder = text.strip_suffix(".?").or_else(|| text.strip_suffix('?')).unwrap_or(&text);
    if holder.is_empty() { ".".to_string() } else { holder.to_string() }
}

impl<T: DeserializeOwned> ResponseKind for Json<T> {
    type Output = T;
    fn decode(status: u16, body: &[u8]) -> Result<T> {
        decode_json(status, body)
    }
}

impl<T: DeserializeOwned> ResponseKind for MaybeJson<T> {
    type Output = Option<T>;
    fn decode(status: u16, body: &[u8]) -> Result<Option<T>> {
        if status == 204 || body.iter().all(u8::is_ascii_whitespace) {
            Ok(None)
        } else {
            decode_json(status, body).map(Some)
        }
    }
}

/// Any JSON body as a `serde_json::Value` (`Null` for an empty body or `204`): see
/// [`Request::raw_json`].
pub struct RawJson;

impl ResponseKind for RawJson {
    type Output = serde_json::Value;
    fn decode(status: u16, body: &[u8]) -> Result<serde_json::Value> {
        if status == 204 || body.iter().all(u8::is_ascii_whitespace) {
            Ok(serde_json::Value::Null)
        } else {
            decode_json(status, body)
        }
    }
}

/// A successful response's value with its status and headers: see [`Request::send_with_metadata`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Response<T> {
    /// The decoded body, as the request's plain `.await` returns it.
    pub value: T,
    /// The HTTP status (200, 201, 204...).
    pub status: u16,
    /// Every response header.
    pub headers: reqwest::header::HeaderMap,
}

impl<T> Response<T> {
    /// A response of `status` with `value` and no headers: for fakes of a read in tests (e.g. of
    /// a `wait_until_*` poll).
    pub fn new(status: u16, value: T) -> Self {
        Response { value, status, headers: reqwest::header::HeaderMap::new() }
    }

    /// With this header (e.g. `("request-id", HeaderValue::from_static("r-1"))`).
    pub fn with_header(
        mut self,
        name: impl reqwest::header::IntoHeaderName,
        value: reqwest::header::HeaderValue,
    ) -> Self {
        self.headers.insert(name, value);
        self
    }

    /// A header's value, when it is there and is text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Graph's `request-id`: log it, quote it to Microsoft support.
    pub fn request_id(&self) -> Option<&str> {
        self.header("request-id")
    }

    /// The `client-request-id` Graph echoed.
    pub fn client_request_id(&self) -> Option<&str> {
        self.header("client-request-id")
    }

    /// The `ETag` (for `if_match` on a later write).
    pub fn etag(&self) -> Option<&str> {
        self.header("etag")
    }

    /// The `Location` header (e.g. of a created object or a long-running operation).
    pub fn location(&self) -> Option<&str> {
        self.header("location")
    }

    /// The value, without the metadata.
    pub fn into_value(self) -> T {
        self.value
    }
}

/// A 2xx response, read.
pub(crate) struct Raw {
    pub(crate) status: u16,
    pub(crate) headers: reqwest::header::HeaderMap,
    pub(crate) body: Vec<u8>,
}

/// The text body of `GET .../$count`: an integer.
pub struct Count;

impl ResponseKind for Count {
    type Output = i64;
    fn decode(status: u16, body: &[u8]) -> Result<i64> {
        decode_json(status, body.trim_ascii())
    }
}

impl ResponseKind for NoContent {
    type Output = ();
    fn decode(_status: u16, _body: &[u8]) -> Result<()> {
        Ok(())
    }
}

/// One page of a collection. Built (in tests, for the test kit's answers) with [`Page::new`] and
/// the setters; it may gain fields, so it is not built as a struct literal.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Page<T> {
    /// The items of this page.
    pub value: Vec<T>,
    /// The URL of the next page (`@odata.nextLink`), when there is one.
    pub next_link: Option<String>,
    /// The total count (`@odata.count`), when `$count=true` was asked for.
    pub count: Option<i64>,
    /// The link of the next round of a delta query (`@odata.deltaLink`), on its last page.
    pub delta_link: Option<String>,
    /// The page's other properties (`@odata.context`...), kept as JSON.
    pub additional_properties: serde_json::Map<String, serde_json::Value>,
}

impl<T> Page<T> {
    /// A page of these items, without a next link.
    pub fn new(value: Vec<T>) -> Self {
        Page { value, ..Page::default() }
    }

    /// With this `@odata.nextLink`.
    pub fn next_link(mut self, link: impl Into<String>) -> Self {
        self.next_link = Some(link.into());
        self
    }

    /// With this `@odata.count`.
    pub fn count(mut self, count: i64) -> Self {
        self.count = Some(count);
        self
    }

    /// With this `@odata.deltaLink`.
    pub fn delta_link(mut self, link: impl Into<String>) -> Self {
        self.delta_link = Some(link.into());
        self
    }
}

impl<T> Default for Page<T> {
    fn default() -> Self {
        Page {
            value: Vec::new(),
            next_link: None,
            count: None,
            delta_link: None,
            additional_properties: serde_json::Map::new(),
        }
    }
}

impl<T: Serialize> Serialize for Page<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap as _;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("value", &self.value)?;
        if let Some(link) = &self.next_link {
            map.serialize_entry("@odata.nextLink", link)?;
        }
        if let Some(count) = &self.count {
            map.serialize_entry("@odata.count", count)?;
        }
        if let Some(link) = &self.delta_link {
            map.serialize_entry("@odata.deltaLink", link)?;
        }
        for (key, value) in &self.additional_properties {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

// By hand rather than with `#[serde(flatten)]`, which would buffer the whole page (every item)
// before decoding it: the items are decoded straight from the input, the other keys kept as JSON.
impl<'de, T: Deserialize<'de>> Deserialize<'de> for Page<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        struct Visitor<T>(PhantomData<fn() -> T>);
        impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for Visitor<T> {
            type Value = Page<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a page of a collection (an object with `value`)")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> std::result::Result<Page<T>, A::Error> {
                let mut page = Page::default();
                while let Some(key) = map.next_key::<super::object::Key<'de>>()? {
                    match key.as_str() {
                        "value" => page.value = map.next_value()?,
                        "@odata.nextLink" => page.next_link = map.next_value()?,
                        "@odata.count" => page.count = map.next_value()?,
                        "@odata.deltaLink" => page.delta_link = map.next_value()?,
                        _ => {
                            let value = map.next_value()?;
                            page.additional_properties.insert(key.into_string(), value);
                        }
                    }
                }
                Ok(page)
            }
        }
        deserializer.deserialize_map(Visitor(PhantomData))
    }
}

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
    pub fn to<C: Consent>(client: &Client<C>, collection: &str, id: &str) -> Self {
        ODataReference::new(format!(
            "{}/{}/{}",
            client.base_url(),
            collection.trim_matches('/'),
            super::values::encode_segment(id)
        ))
    }
}

/// Types whose properties can be named, typed, in `$select` and `$orderby`.
pub trait Selectable {
    /// The type's properties, as an enum.
    type Field: Copy + AsRef<str>;
}

impl<T: Selectable> Selectable for Page<T> {
    type Field = T::Field;
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

    /// `$filter` from a typed [`Filter`](super::Filter) over this type's fields, e.g.
    /// `.filter_by(Filter::eq(GroupField::DisplayName, "Sales"))`. Replaces nothing:
    /// call it once (combine with `and`/`or`).
    pub fn filter_by(self, filter: super::filter::Filter<T::Field>) -> Self {
        self.filter(filter.to_string())
    }

    /// `$orderby` one property, ascending or descending: one of this type's (`…Field`), or one
    /// reached through a navigation property (`<Entity>Field::owner().field(..)`).
    ///
    /// Several calls order by several properties, in call order (one `$orderby`,
    /// comma-separated).
    pub fn order_by_field(self, field: impl super::filter::Property<T::Field>, descending: bool) -> Self {
        let field = field.path();
        self.add_to_option("$orderby", if descending { format!("{field} desc") } else { field })
    }

    /// `$expand` a navigation property, named by the generated constructor beside the `…Field`
    /// enum, e.g. `.expand_nav(<Entity>Field::owner())`; several calls expand
    /// several (one `$expand`, comma-separated).
    pub fn expand_nav(self, nav: impl super::filter::Navigation<T::Field>) -> Self {
        self.add_to_option("$expand", nav.name().to_string())
    }

    /// `$expand` a navigation property with `$select` on its target, e.g.
    /// `.expand_select(<Entity>Field::owner(), &[<Target>Field::Id, <Target>Field::DisplayName])`
    /// writes `$expand=owner($select=id,displayName)` (OData selects a navigation's
    /// properties inside its `$expand`).
    pub fn expand_select<N>(self, nav: N, fields: &[N::Target]) -> Self
    where
        N: super::filter::Navigation<T::Field>,
        N::Target: AsRef<str>,
    {
        let list: Vec<&str> = fields.iter().map(AsRef::as_ref).collect();
        self.add_to_option("$expand", format!("{}($select={})", nav.name(), list.join(",")))
    }
}

/// A request ready to send: add OData query options, then `.await` it (or call [`send`](Self::send)).
///
/// `K` says how the response is decoded ([`Json`], [`MaybeJson`], [`NoContent`], [`Count`],
/// [`RawJson`]); `C` is the consent of the client that built it, so a [`Batch`](super::Batch)
/// takes only requests its client's consent allows.
#[must_use = "a request does nothing until it is awaited"]
pub struct Request<K, C = Delegated> {
    client: Core,
    method: reqwest::Method,
    path: String,
    /// A full URL that replaces base URL, path and query (next links).
    absolute_url: Option<String>,
    /// The operation's path template, for logs.
    template: Option<&'static str>,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: Option<Result<Vec<u8>>>,
    /// Properties sent as `null` beside the body's ([`set_null`](Request::set_null)).
    nulls: Vec<String>,
    /// The operation's body type, which the test kit's server checks bodies against.
    #[cfg(feature = "test-util")]
    body_type: Option<super::testing::spec::BodyType>,
    kind: PhantomData<fn() -> K>,
    /// The consent of the client that built it: a [`Batch`](super::Batch) takes only its own.
    consent: PhantomData<fn() -> C>,
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
        let request = Request { body_type: Some(super::testing::spec::BodyType::of::<B>()), ..self };
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
    pub fn query(mut self, name: &str, value: impl Into<String>) -> Self {
        self.query.push((name.to_string(), value.into()));
        self
    }

    /// Adds a request header.
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    /// `$select`: the properties to return.
    pub fn select<I, S>(self, properties: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let list: Vec<String> = properties.into_iter().map(|s| s.as_ref().to_string()).collect();
        self.query("$select", list.join(","))
    }

    /// `$expand`: navigation properties to include, e.g. `resourceRoleScopes($expand=role,scope)`.
    pub fn expand(self, expand: impl Into<String>) -> Self {
        self.query("$expand", expand)
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

    /// `$filter`, e.g. `displayName eq 'Sales'`.
    pub fn filter(self, filter: impl Into<String>) -> Self {
        self.query("$filter", filter)
    }

    /// `$orderby`, e.g. `displayName desc`.
    pub fn order_by(self, order_by: impl Into<String>) -> Self {
        self.query("$orderby", order_by)
    }

    /// `$top`: the page size.
    pub fn top(self, top: u32) -> Self {
        self.query("$top", top.to_string())
    }

    /// `$skip`.
    pub fn skip(self, skip: u32) -> Self {
        self.query("$skip", skip.to_string())
    }

    /// `$count=true`: include `@odata.count` in the page (adds `ConsistencyLevel: eventual`).
    pub fn count(self) -> Self {
        self.query("$count", "true").header("ConsistencyLevel", "eventual")
    }

    /// `$search` (adds `ConsistencyLevel: eventual`).
    pub fn search(self, search: impl Into<String>) -> Self {
        self.query("$search", search).header("ConsistencyLevel", "eventual")
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
    fn take_body(&mut self) -> Result<Option<Vec<u8>>> {
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
    pub(crate) fn into_mock_parts(mut self) -> Result<super::testing::spec::MockParts> {
        let body = self.take_body()?;
        Ok(super::testing::spec::MockParts {
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

/// A request taken apart for a `$batch`.
pub(crate) struct Parts {
    pub(crate) core: Core,
    pub(crate) method: reqwest::Method,
    pub(crate) relative_url: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Option<Vec<u8>>,
    pub(crate) template: &'static str,
}

/// One HTTP call: a request, or a `$batch` of them.
pub(crate) struct Call<'a> {
    pub(crate) core: &'a Core,
    pub(crate) method: &'a reqwest::Method,
    pub(crate) url: &'a str,
    pub(crate) headers: &'a [(String, String)],
    pub(crate) body: Option<&'a [u8]>,
    /// The path template, for logs.
    pub(crate) template: &'a str,
    /// Whether a 503/504 may be retried: sending it twice has no second effect.
    pub(crate) idempotent: bool,
    /// The `client-request-id` sent (the same on every attempt), kept on errors and in the
    /// tracing span.
    pub(crate) client_request_id: &'a str,
}

/// The `client-request-id` among `headers`, if the caller set one.
pub(crate) fn client_request_id_of(headers: &[(String, String)]) -> Option<&str> {
    headers.iter().rev().find(|(name, _)| name.eq_ignore_ascii_case("client-request-id")).map(|(_, v)| v.as_str())
}

/// A fresh `client-request-id`: a random (version 4) UUID.
pub(crate) fn new_client_request_id() -> String {
    uuid::Builder::from_random_bytes(fastrand::u128(..).to_le_bytes()).into_uuid().to_string()
}

/// Sends a call, retrying as the client's [`RetryPolicy`](super::RetryPolicy) allows; returns a
/// 2xx response, read.
pub(crate) async fn execute(call: Call<'_>) -> Result<Raw> {
    use tracing::Instrument as _;
    let span = tracing::debug_span!(
        "graph_request",
        method = %call.method,
        path = call.template,
        client_request_id = %call.client_request_id
    );
    let id = call.client_request_id;
    execute_in_span(call).instrument(span).await.map_err(|e| e.with_client_request_id(id))
}

async fn execute_in_span(call: Call<'_>) -> Result<Raw> {
    let Call { core, method, url, headers, body, template, idempotent, client_request_id } = call;
    let url = reqwest::Url::parse(url).map_err(|e| Error::InvalidArgument(format!("URL: {e}")))?;
    let policy = *core.retry();
    let started = Instant::now();
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        let token = core.token().await?;
        let mut builder = core
            .http()
            .request(method.clone(), url.clone())
            .bearer_auth(token.secret())
            .header("Accept", "application/json")
            .header("client-request-id", client_request_id);
        for (name, value) in headers.iter().filter(|(name, _)| !name.eq_ignore_ascii_case("client-request-id")) {
            builder = builder.header(name.as_str(), value.as_str());
        }
        if let Some(body) = body {
            // Buffered bytes: every attempt sends the same body.
            builder = builder.header("Content-Type", "application/json").body(body.to_vec());
        }
        let sent = Instant::now();
        let response = match builder.send().await {
            Ok(r) => r,
            Err(e) => {
                let retry = (e.is_connect() || e.is_timeout()) && idempotent;
                let delay = policy.backoff(attempt);
                if retry && attempt < policy.max_attempts && started.elapsed() + delay <= policy.max_elapsed {
                    tracing::warn!(%method, path = template, attempt, delay_ms = millis(delay), error = %e, "graph request failed; retrying");
                    tokio::time::sleep(delay).await;
                    continue;
                }
                tracing::warn!(%method, path = template, attempt, error = %e, "graph request failed");
                return Err(Error::transport(e));
            }
        };
        let status = response.status().as_u16();
        let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let request_id = header("request-id").unwrap_or_default();
        tracing::debug!(
            %method,
            path = template,
            status,
            latency_ms = millis(sent.elapsed()),
            request_id = %request_id,
            attempt,
            "graph response"
        );
        let mut gave_up = None;
        if policy.retries_status(status, idempotent) {
            let delay = header("retry-after")
                .and_then(|v| super::retry::parse_retry_after(&v, SystemTime::now()))
                .unwrap_or_else(|| policy.backoff(attempt));
            match policy.gives_up(attempt, delay, started.elapsed()) {
                Some(reason) => gave_up = Some(reason),
                None => {
                    tracing::info!(%method, path = template, status, attempt, delay_ms = millis(delay), request_id = %request_id, "graph throttled or unavailable; retrying");
                    // Drain the body so the connection can be reused.
                    let _ = response.bytes().await;
                    tokio::time::sleep(delay).await;
                    continue;
                }
            }
        }
        let headers = response.headers().clone();
        let bytes = read_body(response, status, core.max_response_bytes()).await?;
        if !(200..300).contains(&status) {
            return Err(error::from_response(status, &headers, &bytes, gave_up));
        }
        return Ok(Raw { status, headers, body: bytes });
    }
}

/// The whole body, refusing more than `limit` bytes (announced or received).
async fn read_body(mut response: reqwest::Response, status: u16, limit: usize) -> Result<Vec<u8>> {
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Err(Error::ResponseTooLarge { status, limit });
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(Error::transport)? {
        if body.len() + chunk.len() > limit {
            return Err(Error::ResponseTooLarge { status, limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

pub(crate) fn millis(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl<K: ResponseKind, C: Consent> Request<K, C> {
    /// Sends the request (retrying as the client's [`RetryPolicy`](super::RetryPolicy) allows) and
    /// decodes the response.
    pub async fn send(mut self) -> Result<K::Output> {
        let body = self.take_body()?;
        let raw = self.execute(body).await?;
        K::decode(raw.status, &raw.body)
    }

    /// [`send`](Self::send), keeping the response's status and headers (request id, `ETag`,
    /// `Location`) beside the value.
    pub async fn send_with_metadata(mut self) -> Result<Response<K::Output>> {
        let body = self.take_body()?;
        let raw = self.execute(body).await?;
        let value = K::decode(raw.status, &raw.body)?;
        Ok(Response { value, status: raw.status, headers: raw.headers })
    }

    /// Sends the request, with retries; returns a 2xx response, read.
    async fn execute(&self, body: Option<Vec<u8>>) -> Result<Raw> {
        let url = self.url();
        let client_request_id = client_request_id_of(&self.headers).map_or_else(new_client_request_id, str::to_owned);
        execute(Call {
            core: &self.client,
            method: &self.method,
            url: &url,
            headers: &self.headers,
            body: body.as_deref(),
            template: self.template.unwrap_or("(untyped)"),
            idempotent: super::retry::is_idempotent(&self.method),
            client_request_id: &client_request_id,
        })
        .await
        .map_err(|e| e.with_required_permission(C::CONSENT_TYPE, self.method.as_str(), &url))
    }
}

impl<T, C> Request<Json<Page<T>>, C>
where
    T: DeserializeOwned + Send + 'static,
    C: Consent,
{
    /// The pages of the collection, following `@odata.nextLink`: call [`Pages::next`].
    pub fn pages(self) -> Pages<T, C> {
        Pages::starting(Some(self))
    }

    /// The items of every page as a `Stream`, one page in memory at a time.
    pub fn items(self) -> Items<T, C> {
        Items::over(self.pages())
    }

    /// The pages from a stored continuation on ([`Pages::continuation`], or a delta round's
    /// [`Pages::delta_link`]), in this process or another: build the same request as before (its
    /// type, consent and headers), then resume. The link must have the client's origin, as a
    /// followed `@odata.nextLink` must ([`Error::ForeignNextLink`] otherwise).
    pub fn pages_from(self, continuation: &str) -> Result<Pages<T, C>> {
        let mut pages = Pages::starting(None);
        pages.next = Some(pages.follow(continuation, &self)?);
        Ok(pages)
    }

    /// [`items`](Self::items) from a stored continuation on: see [`pages_from`](Self::pages_from).
    pub fn items_from(self, continuation: &str) -> Result<Items<T, C>> {
        Ok(Items::over(self.pages_from(continuation)?))
    }

    /// Every item of every page, but at most `max_items` (later pages are not fetched).
    pub async fn collect_all(self, max_items: usize) -> Result<Vec<T>> {
        let mut pages = self.pages();
        let mut out = Vec::new();
        while out.len() < max_items {
            match pages.next().await {
                Some(page) => {
                    let room = max_items - out.len();
                    out.extend(page?.value.into_iter().take(room));
                }
                None => break,
            }
        }
        Ok(out)
    }

    /// Sends this page's request with its body (a POST action that returns a collection has
    /// one; the next links are GETs without), and decodes the page.
    async fn send_page(&mut self) -> Result<Page<T>> {
        let body = self.take_body()?;
        let raw = self.execute(body).await?;
        <Json<Page<T>>>::decode(raw.status, &raw.body)
    }
}

/// Page-at-a-time paging over a collection. Resumable: [`continuation`](Self::continuation)
/// says where it stands, [`Request::pages_from`] goes on from there.
pub struct Pages<T, C = Delegated> {
    next: Option<Request<Json<Page<T>>, C>>,
    seen: HashSet<String>,
    /// An error about the link after the page last returned, reported on the next call.
    pending: Option<Error>,
    /// The `@odata.deltaLink` of the last page, once read.
    delta_link: Option<String>,
    /// The link of a page that failed (paging ended there).
    failed_at: Option<String>,
}

impl<T: DeserializeOwned + Send + 'static, C: Consent> Pages<T, C> {
    /// Paging whose first request is `next` (none yet: the caller sets it).
    fn starting(next: Option<Request<Json<Page<T>>, C>>) -> Self {
        Pages { next, seen: HashSet::new(), pending: None, delta_link: None, failed_at: None }
    }

    /// The next page; `None` after the last one. A nextLink to another host, or one already
    /// followed, gives an error instead of a request.
    pub async fn next(&mut self) -> Option<Result<Page<T>>> {
        if let Some(e) = self.pending.take() {
            self.next = None;
            return Some(Err(e));
        }
        let mut request = self.next.take()?;
        let page = match request.send_page().await {
            Ok(page) => page,
            Err(e) => {
                // Paging ends here; `continuation` still says where to resume.
                self.failed_at = request.absolute_url;
                return Some(Err(e));
            }
        };
        if let Some(link) = &page.delta_link {
            self.delta_link = Some(link.clone());
        }
        if let Some(link) = &page.next_link {
            match self.follow(link, &request) {
                Ok(next) => self.next = Some(next),
                Err(e) => self.pending = Some(e),
            }
        }
        Some(Ok(page))
    }

    /// Where the paging stands: the link of the next page to read (the `@odata.nextLink` of the
    /// page last returned, or of a page that failed). `None` before the first page (start that one
    /// over with the request itself) and after the last. Store it; [`Request::pages_from`] goes on
    /// from it, in this process or another, and reads each later page once.
    pub fn continuation(&self) -> Option<&str> {
        self.next.as_ref().and_then(|r| r.absolute_url.as_deref()).or(self.failed_at.as_deref())
    }

    /// The `@odata.deltaLink` of a delta query's last page, once that page was read: store it and
    /// start the next round from it ([`Request::pages_from`]) to get only what changed since.
    pub fn delta_link(&self) -> Option<&str> {
        self.delta_link.as_deref()
    }

    fn follow(&mut self, link: &str, previous: &Request<Json<Page<T>>, C>) -> Result<Request<Json<Page<T>>, C>> {
        let base =
            reqwest::Url::parse(previous.client.base_url()).map_err(|e| Error::InvalidArgument(e.to_string()))?;
        let next = reqwest::Url::parse(link).map_err(|_| Error::ForeignNextLink { url: link.to_string() })?;
        let same_origin = next.scheme() == base.scheme()
            && next.host_str() == base.host_str()
            && next.port_or_known_default() == base.port_or_known_default();
        if !same_origin {
            return Err(Error::ForeignNextLink { url: link.to_string() });
        }
        if !self.seen.insert(link.to_string()) {
            return Err(Error::PagingLoop { url: link.to_string() });
        }
        Ok(Request {
            client: previous.client.clone(),
            method: reqwest::Method::GET,
            path: previous.path.clone(),
            absolute_url: Some(link.to_string()),
            template: previous.template,
            query: Vec::new(),
            headers: previous.headers.clone(),
            body: None,
            nulls: Vec::new(),
            #[cfg(feature = "test-util")]
            body_type: None,
            kind: PhantomData,
            consent: PhantomData,
        })
    }
}

/// The items of a collection across its pages, as a [`Stream`](futures_core::Stream).
pub struct Items<T, C = Delegated> {
    buffer: VecDeque<T>,
    state: ItemsState<T, C>,
}

type PageFuture<T, C> = Pin<Box<dyn Future<Output = (Box<Pages<T, C>>, Option<Result<Page<T>>>)> + Send>>;

enum ItemsState<T, C> {
    Idle(Box<Pages<T, C>>),
    Fetching(PageFuture<T, C>),
    Done,
}

impl<T, C> Items<T, C> {
    /// The items of `pages`, in order.
    fn over(pages: Pages<T, C>) -> Self {
        Items { buffer: VecDeque::new(), state: ItemsState::Idle(Box::new(pages)) }
    }
}

// Items never pins its fields in place; the in-flight future is boxed.
impl<T, C> Unpin for Items<T, C> {}

impl<T: DeserializeOwned + Send + 'static, C: Consent> futures_core::Stream for Items<T, C> {
    type Item = Result<T>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<T>>> {
        let this = self.get_mut();
        loop {
            if let Some(item) = this.buffer.pop_front() {
                return Poll::Ready(Some(Ok(item)));
            }
            match std::mem::replace(&mut this.state, ItemsState::Done) {
                ItemsState::Idle(mut pages) => {
                    this.state = ItemsState::Fetching(Box::pin(async move {
                        let page = pages.next().await;
                        (pages, page)
                    }));
                }
                ItemsState::Fetching(mut future) => match future.as_mut().poll(cx) {
                    Poll::Pending => {
                        this.state = ItemsState::Fetching(future);
                        return Poll::Pending;
                    }
                    Poll::Ready((_, None)) => return Poll::Ready(None),
                    Poll::Ready((_, Some(Err(e)))) => return Poll::Ready(Some(Err(e))),
                    Poll::Ready((pages, Some(Ok(page)))) => {
                        this.buffer.extend(page.value);
                        this.state = ItemsState::Idle(pages);
                    }
                },
                ItemsState::Done => return Poll::Ready(None),
            }
        }
    }
}

impl<K, C> IntoFuture for Request<K, C>
where
    K: ResponseKind + 'static,
    C: Consent,
    K::Output: Send + 'static,
{
    type Output = Result<K::Output>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<K::Output>> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
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

impl<C: Consent> Client<C> {
    /// A request to `path` (below the base URL, starting with `/`). Generated operations use this.
    pub fn request<K: ResponseKind>(&self, method: reqwest::Method, path: String) -> Request<K, C> {
        Request::new(self.core().clone(), method, path)
    }
}

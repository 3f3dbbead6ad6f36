use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::pin::Pin;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::client::{Client, Core};
use super::consent::Consent;
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

fn decode_json<T: DeserializeOwned>(status: u16, body: &[u8]) -> Result<T> {
    serde_json::from_slice(body).map_err(|source| Error::Decode { status, source, body: error::snippet(body) })
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

impl ResponseKind for NoContent {
    type Output = ();
    fn decode(_status: u16, _body: &[u8]) -> Result<()> {
        Ok(())
    }
}

/// One page of a collection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    /// The items of this page.
    #[serde(default = "Vec::new")]
    pub value: Vec<T>,
    /// The URL of the next page, when there is one.
    #[serde(rename = "@odata.nextLink", default, skip_serializing_if = "Option::is_none")]
    pub next_link: Option<String>,
    /// The total count, when `$count=true` was asked for.
    #[serde(rename = "@odata.count", default, skip_serializing_if = "Option::is_none")]
    pub count: Option<i64>,
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

/// A request ready to send: add OData query options, then `.await` it (or call [`send`](Self::send)).
#[must_use = "a request does nothing until it is awaited"]
pub struct Request<K> {
    client: Core,
    method: reqwest::Method,
    path: String,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: Option<Result<Vec<u8>>>,
    kind: PhantomData<fn() -> K>,
}

impl<K> std::fmt::Debug for Request<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &self.query)
            .finish_non_exhaustive()
    }
}

impl<K: ResponseKind> Request<K> {
    pub(crate) fn new(client: Core, method: reqwest::Method, path: String) -> Self {
        Request { client, method, path, query: Vec::new(), headers: Vec::new(), body: None, kind: PhantomData }
    }

    /// Sets the JSON body.
    pub fn json<B: Serialize + ?Sized>(mut self, body: &B) -> Self {
        self.body = Some(serde_json::to_vec(body).map_err(Error::Encode));
        self
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
        let mut url = format!("{}{}", self.client.base_url(), self.path);
        for (i, (name, value)) in self.query.iter().enumerate() {
            url.push(if i == 0 { '?' } else { '&' });
            url.push_str(&encode_query(name));
            url.push('=');
            url.push_str(&encode_query(value));
        }
        url
    }

    /// Sends the request and decodes the response.
    pub async fn send(self) -> Result<K::Output> {
        let url = reqwest::Url::parse(&self.url()).map_err(|e| Error::InvalidArgument(format!("URL: {e}")))?;
        let token = self.client.token().await?;
        let mut builder = self
            .client
            .http()
            .request(self.method, url)
            .bearer_auth(token.secret())
            .header("Accept", "application/json");
        for (name, value) in &self.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        if let Some(body) = self.body {
            builder = builder.header("Content-Type", "application/json").body(body?);
        }
        let response = builder.send().await.map_err(Error::Transport)?;
        let status = response.status().as_u16();
        let body = response.bytes().await.map_err(Error::Transport)?;
        if !(200..300).contains(&status) {
            return Err(error::from_status(status, &body));
        }
        K::decode(status, &body)
    }
}

impl<K> IntoFuture for Request<K>
where
    K: ResponseKind + 'static,
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

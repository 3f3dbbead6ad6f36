//! The typed handle of an expectation ([`Expectation`]): written with the request builders,
//! answered with the operation's own response type ([`MockResponse`]).

use std::any::TypeId;
use std::marker::PhantomData;
use std::panic::Location;
use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::super::request::{Bytes, Count, Json, MaybeJson, NoContent, Page, RawJson, ResponseKind};
use super::server::Shared;
use super::spec::{Body, BodyMatch, MockError, MockParts, ReceivedRequest, Spec, Step, StepBody};

mod sealed {
    pub trait Sealed {}
}

/// How a response type is answered by the mock: the response kinds of [`Request`]
/// ([`Json`], [`MaybeJson`], [`NoContent`], [`Count`], [`RawJson`], [`Bytes`]).
///
/// [`Request`]: crate::Request
pub trait MockResponse: ResponseKind + sealed::Sealed + 'static {
    /// The status and body that answer `value`.
    #[doc(hidden)]
    fn mock_answer(value: &Self::Output) -> Result<(u16, Body), String>;
    /// The type a `Json<T>` answers with (`T`), to tell a create (`201`) by its body type.
    #[doc(hidden)]
    fn answer_type() -> Option<TypeId> {
        None
    }
    /// The answer of an expectation given no `respond` (`204` where the operation may answer
    /// nothing).
    #[doc(hidden)]
    fn no_reply() -> Option<(u16, Body)> {
        None
    }
}

fn to_json<T: Serialize>(value: &T) -> Result<Value, String> {
    serde_json::to_value(value).map_err(|e| format!("the answer cannot be encoded as JSON: {e}"))
}

impl<T: Serialize + DeserializeOwned + 'static> sealed::Sealed for Json<T> {}
impl<T: Serialize + DeserializeOwned + 'static> MockResponse for Json<T> {
    fn mock_answer(value: &T) -> Result<(u16, Body), String> {
        Ok((200, Body::Json(to_json(value)?)))
    }
    fn answer_type() -> Option<TypeId> {
        Some(TypeId::of::<T>())
    }
}

impl<T: Serialize + DeserializeOwned + 'static> sealed::Sealed for MaybeJson<T> {}
impl<T: Serialize + DeserializeOwned + 'static> MockResponse for MaybeJson<T> {
    fn mock_answer(value: &Option<T>) -> Result<(u16, Body), String> {
        match value {
            Some(v) => Ok((200, Body::Json(to_json(v)?))),
            None => Ok((204, Body::Empty)),
        }
    }
    fn no_reply() -> Option<(u16, Body)> {
        Some((204, Body::Empty))
    }
}

impl sealed::Sealed for NoContent {}
impl MockResponse for NoContent {
    fn mock_answer(_: &()) -> Result<(u16, Body), String> {
        Ok((204, Body::Empty))
    }
    fn no_reply() -> Option<(u16, Body)> {
        Some((204, Body::Empty))
    }
}

impl sealed::Sealed for Count {}
impl MockResponse for Count {
    fn mock_answer(value: &i64) -> Result<(u16, Body), String> {
        Ok((200, Body::Text(value.to_string())))
    }
}

impl sealed::Sealed for Bytes {}
impl MockResponse for Bytes {
    fn mock_answer(value: &Vec<u8>) -> Result<(u16, Body), String> {
        Ok((200, Body::Bytes { content_type: "application/octet-stream".to_string(), bytes: value.clone() }))
    }
}

impl sealed::Sealed for RawJson {}
impl MockResponse for RawJson {
    fn mock_answer(value: &Value) -> Result<(u16, Body), String> {
        match value {
            Value::Null => Ok((204, Body::Empty)),
            v => Ok((200, Body::Json(v.clone()))),
        }
    }
    fn no_reply() -> Option<(u16, Body)> {
        Some((204, Body::Empty))
    }
}

/// A registered expectation: narrow what it matches, script its answers. Every method applies at
/// once (the expectation is live from [`MockServer::expect`](super::MockServer::expect)); the
/// answers are given in order, one per call, the last one again for further calls.
pub struct Expectation<K> {
    shared: Arc<Shared>,
    index: usize,
    kind: PhantomData<fn() -> K>,
}

impl<K> std::fmt::Debug for Expectation<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Expectation(#{})", self.index + 1)
    }
}

impl<K: MockResponse> Expectation<K> {
    pub(crate) fn register(
        shared: Arc<Shared>,
        parts: MockParts,
        consent: &'static str,
        location: &'static Location<'static>,
    ) -> Expectation<K> {
        let no_reply = K::no_reply();
        let spec = Spec::new(parts, &shared.base, consent, location, K::answer_type(), no_reply);
        let mut state = shared.lock();
        state.expectations.push(spec);
        let index = state.expectations.len() - 1;
        drop(state);
        Expectation { shared, index, kind: PhantomData }
    }

    fn edit<R>(&self, f: impl FnOnce(&mut Spec) -> R) -> R {
        let mut state = self.shared.lock();
        f(&mut state.expectations[self.index])
    }

    /// Expected exactly `n` calls: a further call does not match it (another expectation may
    /// take it), and [`verify`](super::MockServer::verify) fails with fewer. Without it: at least
    /// as many calls as answers scripted (one when none), any number after.
    pub fn times(self, n: usize) -> Self {
        self.edit(|s| s.times = Some(n));
        self
    }

    /// Matches a body for which `predicate` holds, instead of a body equal to the request's. `B`
    /// is the operation's body type (the model it takes).
    ///
    /// # Panics
    /// When `B` is not the operation's body type.
    #[track_caller]
    pub fn body_where<B, F>(self, predicate: F) -> Self
    where
        B: DeserializeOwned + 'static,
        F: Fn(&B) -> bool + Send + Sync + 'static,
    {
        let location = Location::caller();
        self.edit(|s| {
            if let Some(t) = s.body_type.filter(|t| t.id != TypeId::of::<B>()) {
                panic!(
                    "MockGraph: `body_where` at {location} reads a `{}`, but {} takes a `{}`",
                    std::any::type_name::<B>(),
                    s.line,
                    t.name
                );
            }
            s.body =
                BodyMatch::Where(Arc::new(move |bytes: &[u8]| match super::super::json_path::from_slice::<B>(bytes) {
                    Ok(body) => Ok(predicate(&body)),
                    Err((path, e)) => Err(format!("not a `{}` at `{path}`: {e}", std::any::type_name::<B>())),
                }));
        });
        self
    }

    /// Matches any body (or none).
    pub fn any_body(self) -> Self {
        self.edit(|s| s.body = BodyMatch::Any);
        self
    }

    /// Matches only requests for which `predicate` holds too (any part: headers, query...).
    pub fn matching<F>(self, predicate: F) -> Self
    where
        F: Fn(&ReceivedRequest) -> bool + Send + Sync + 'static,
    {
        self.edit(|s| s.predicates.push(Arc::new(predicate)));
        self
    }

    /// Answers with `value`, the operation's own response type: `200` (`201` for a create, `204`
    /// for no content).
    ///
    /// # Panics
    /// When `value` cannot be encoded as JSON.
    #[track_caller]
    pub fn respond(self, value: K::Output) -> Self {
        let location = Location::caller();
        let (status, body) = K::mock_answer(&value).unwrap_or_else(|e| panic!("MockGraph: at {location}: {e}"));
        self.edit(|s| {
            let status = if s.created && status == 200 { 201 } else { status };
            s.steps.push(Step { status, headers: Vec::new(), body: StepBody::Plain(body) });
        });
        self
    }

    /// Answers with `value` and this status (a `202 Accepted`, a `200` for a create...).
    ///
    /// # Panics
    /// When `value` cannot be encoded as JSON.
    #[track_caller]
    pub fn respond_status(self, status: u16, value: K::Output) -> Self {
        let location = Location::caller();
        let (_, body) = K::mock_answer(&value).unwrap_or_else(|e| panic!("MockGraph: at {location}: {e}"));
        self.edit(|s| s.steps.push(Step { status, headers: Vec::new(), body: StepBody::Plain(body) }));
        self
    }

    /// Answers with a Graph error (e.g. [`MockError::throttled`]), then the next scripted answer
    /// on the next call: `.fail(MockError::throttled(Duration::ZERO)).respond(created)`.
    pub fn fail(self, error: MockError) -> Self {
        self.edit(|s| s.steps.push(Step::error(&error)));
        self
    }

    /// Adds a header to the last scripted answer (`Location`, `ETag`...).
    ///
    /// # Panics
    /// When no answer is scripted yet.
    #[track_caller]
    pub fn header(self, name: &str, value: impl Into<String>) -> Self {
        let location = Location::caller();
        let (name, value) = (name.to_ascii_lowercase(), value.into());
        self.edit(|s| match s.steps.last_mut() {
            Some(step) => step.headers.push((name, value)),
            None => panic!("MockGraph: `header` at {location} comes before any `respond`/`fail`"),
        });
        self
    }

    /// How many calls it has answered so far.
    pub fn calls(&self) -> usize {
        self.edit(|s| s.calls)
    }
}

impl Expectation<Bytes> {
    /// Answers a download with these bytes and their media type (`Content-Type`), `200`:
    /// `.respond_bytes("text/plain", "hello")`. ([`respond`](Self::respond) sends
    /// `application/octet-stream`.)
    pub fn respond_bytes(self, content_type: &str, bytes: impl Into<Vec<u8>>) -> Self {
        let body = Body::Bytes { content_type: content_type.to_string(), bytes: bytes.into() };
        self.edit(|s| s.steps.push(Step { status: 200, headers: Vec::new(), body: StepBody::Plain(body) }));
        self
    }
}

impl<T: Serialize + DeserializeOwned + 'static> Expectation<Json<Page<T>>> {
    /// Answers with the first page and an `@odata.nextLink` to the next, and so on: the client
    /// must follow the links to get every page (each link is served once). With `$count=true`
    /// the first page carries `@odata.count`, the number of items of all pages.
    ///
    /// # Panics
    /// When an item cannot be encoded as JSON.
    #[track_caller]
    pub fn respond_pages<P, I>(self, pages: P) -> Self
    where
        P: IntoIterator<Item = I>,
        I: IntoIterator<Item = T>,
    {
        let location = Location::caller();
        let pages: Vec<Vec<Value>> = pages
            .into_iter()
            .map(|page| {
                page.into_iter()
                    .map(|item| to_json(&item).unwrap_or_else(|e| panic!("MockGraph: at {location}: {e}")))
                    .collect()
            })
            .collect();
        self.edit(|s| s.steps.push(Step { status: 200, headers: Vec::new(), body: StepBody::Pages(pages) }));
        self
    }
}

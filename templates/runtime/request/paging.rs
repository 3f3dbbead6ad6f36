//! Collections: one [`Page`], and paging over all of them ([`Pages`], [`Items`]).

use std::collections::{HashSet, VecDeque};
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::super::consent::{Consent, Delegated};
use super::super::error::{Error, Result};

use super::builder::*;
use super::kinds::*;

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
                while let Some(key) = map.next_key::<super::super::object::Key<'de>>()? {
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
        // A GET of the link, with the request's headers (`ConsistencyLevel`...), nothing else.
        Ok(Request {
            absolute_url: Some(link.to_string()),
            template: previous.template,
            headers: previous.headers.clone(),
            ..Request::new(previous.client.clone(), reqwest::Method::GET, previous.path.clone())
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

impl<T: Selectable> Selectable for Page<T> {
    type Field = T::Field;
}

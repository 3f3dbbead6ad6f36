//! JSON batching (`POST /$batch`): many requests in few round trips, each result typed as the
//! request's own output.
//!
//! Graph takes at most [`MAX_BATCH_SIZE`] requests per batch, answers each with its own status,
//! headers and body (in any order), and throttles items one by one. [`Batch`] splits any number
//! of requests into batches, retries throttled items in a later batch, and hands back every
//! result in the order the requests were added.
//!
//! Graph runs a batch either fully in parallel (no request has `dependsOn`) or fully in sequence
//! (every request but the first depends on the one before it), and refuses a mix with `400
//! BadRequest` ("Batch should be either fully sequential or fully parallel"). So independent
//! requests share parallel batches, and requests linked by [`Batch::add_after`] go in a batch of
//! their own, laid out as one sequence in the order they were added. A request that a sequence
//! held back for a request it does not itself depend on (`424 Failed Dependency` from the layout,
//! not from its own dependencies) never ran, and is sent again.

use std::collections::{BTreeMap, VecDeque};
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::Poll;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::client::{Core, Session};
use super::consent::Consent;
use super::error::{self, Error, Result};
use super::permissions::ConsentType;
use super::request::{self, Call, Parts, Raw, Request, Response, ResponseKind, millis};

/// The most requests Graph accepts in one `$batch`.
pub const MAX_BATCH_SIZE: usize = 20;

/// The default of [`Batch::concurrency`]: batches in flight at once.
pub const DEFAULT_BATCH_CONCURRENCY: usize = 4;

/// How long a retry waits for others due just after it, to share a batch (a `Retry-After` is
/// never cut short).
const LINGER: Duration = Duration::from_millis(20);

/// How often one item may be sent again after a `424` caused by the sequence layout alone (a
/// bound against a server that answers `424` without cause).
const MAX_RELAYS: u32 = 2 * MAX_BATCH_SIZE as u32;

/// Tells the results of one batch from another's.
static BATCH_SERIAL: AtomicU64 = AtomicU64::new(0);

impl<C: Consent> Session<C> {
    /// A JSON batch: add requests built by this client (or its `beta` module), then
    /// [`send`](Batch::send) them in `$batch` calls of at most [`MAX_BATCH_SIZE`]. See [`Batch`].
    pub fn batch(&self) -> Batch<C> {
        Batch {
            client: self.clone(),
            serial: BATCH_SERIAL.fetch_add(1, Ordering::Relaxed),
            items: Vec::new(),
            concurrency: DEFAULT_BATCH_CONCURRENCY,
            on_progress: None,
        }
    }
}

/// Requests sent together through Graph's JSON batching (`POST /$batch`).
///
/// Built with [`Session::batch`]. It takes only requests built for the client's consent, so an
/// app-only batch cannot carry a delegated-only request (it does not compile). [`send`](Self::send)
/// splits the requests into batches of at most [`MAX_BATCH_SIZE`] (items joined by
/// [`add_after`](Self::add_after) travel in the same batch), runs [`concurrency`](Self::concurrency)
/// batches at a time, and:
///
/// - retries an item Graph answered `429` (any method) or `503`/`504` (GET, PUT, DELETE) in a later
///   batch, after the item's own `Retry-After`, as the client's
///   [`RetryPolicy`](super::RetryPolicy) allows; any other item is sent once, so a write is never
///   repeated. A whole batch answered `429` is retried like any request.
/// - gives each item its own result: the request's output, or its own error (an
///   [`Error::Graph`] with its status and request id; a decode error naming the item; an
///   [`Error::BatchItemMissing`] when the response left it out; an [`Error::BatchFailed`] when
///   the `$batch` call itself failed).
///
/// ```no_run
/// # async fn run(client: msgraph_runtime::Session) -> msgraph_runtime::Result<()> {
/// use msgraph_runtime::Method;
/// use serde_json::Value;
///
/// let mut batch = client.batch();
/// // Any request a builder returns; `Session::request` here to keep the example generic.
/// let me = batch.add(client.request::<msgraph_runtime::RawJson>(Method::GET, "/me".into()));
/// let count = batch.add(client.request::<msgraph_runtime::Count>(Method::GET, "/users/$count".into()));
/// let mut results = batch.send().await;
/// let me: Value = results.take(me)?;
/// let users: i64 = results.take(count)?;
/// # let _ = (me, users);
/// # Ok(())
/// # }
/// ```
#[must_use = "a batch does nothing until it is sent"]
pub struct Batch<C: Consent> {
    client: Session<C>,
    serial: u64,
    items: Vec<Item>,
    concurrency: usize,
    on_progress: Option<ProgressCallback>,
}

impl<C: Consent> std::fmt::Debug for Batch<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batch")
            .field("items", &self.items.len())
            .field("concurrency", &self.concurrency)
            .finish_non_exhaustive()
    }
}

/// What [`Batch::on_progress`] calls.
type ProgressCallback = Box<dyn FnMut(&BatchProgress) + Send>;

/// A request added to a batch.
struct Item {
    /// The request; an error (a body that cannot be encoded, a URL outside the service root) is
    /// the item's result, and it is not sent.
    parts: Result<Parts>,
    /// Items that must succeed before this one runs (`dependsOn`): earlier indices.
    depends_on: Vec<usize>,
}

/// A request in a [`Batch`]: pass it to [`BatchResults::take`] for its typed result, or its
/// [`id`](Self::id) to [`Batch::add_after`].
pub struct BatchItem<K> {
    serial: u64,
    index: usize,
    kind: PhantomData<fn() -> K>,
}

impl<K> Clone for BatchItem<K> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<K> Copy for BatchItem<K> {}

impl<K> std::fmt::Debug for BatchItem<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BatchItem({})", self.index)
    }
}

impl<K> BatchItem<K> {
    /// The item's untyped id, for [`Batch::add_after`].
    pub fn id(&self) -> ItemId {
        ItemId(self.index)
    }

    /// The position of the request in the batch (0 for the first added); also its `id` in the
    /// `$batch` body.
    pub fn index(&self) -> usize {
        self.index
    }
}

/// An item of a batch, whatever its type: what [`Batch::add_after`] depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ItemId(usize);

/// How far [`Batch::send`] has got: passed to the [`Batch::on_progress`] callback each time an
/// item is done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct BatchProgress {
    /// Requests in the batch.
    pub total: usize,
    /// Requests with a final result, success or error.
    pub done: usize,
    /// Of those, the errors.
    pub failed: usize,
    /// The position (as added) of the request just done.
    pub last: usize,
    /// `$batch` calls answered so far (retries of throttled items included).
    pub round_trips: usize,
    /// Items sent again after a `429`/`503`/`504`, so far.
    pub retried: usize,
}

impl<C: Consent> Batch<C> {
    /// Adds a request; its result is taken with the returned handle after [`send`](Self::send).
    /// The request must come from a client of the same consent (the compiler checks).
    pub fn add<K: ResponseKind>(&mut self, request: Request<K, C>) -> BatchItem<K> {
        self.add_after(request, &[])
    }

    /// Adds a request that runs only after the `after` items succeeded (`dependsOn`). Requests
    /// linked this way are sent in a `$batch` of their own, as one sequence in the order they were
    /// added (Graph takes no mix of sequential and parallel requests). If one of `after` fails,
    /// this one's result is `424 Failed Dependency`. More than [`MAX_BATCH_SIZE`] linked requests
    /// are an error for each of them.
    pub fn add_after<K: ResponseKind>(&mut self, request: Request<K, C>, after: &[ItemId]) -> BatchItem<K> {
        let index = self.items.len();
        let mut depends_on: Vec<usize> = after.iter().map(|id| id.0).collect();
        depends_on.sort_unstable();
        depends_on.dedup();
        let parts = match depends_on.iter().find(|&&d| d >= index) {
            Some(d) => {
                Err(Error::InvalidArgument(format!("batch item {index} cannot depend on item {d}, added later")))
            }
            None => request.into_parts(),
        };
        self.items.push(Item { parts, depends_on });
        BatchItem { serial: self.serial, index, kind: PhantomData }
    }

    /// Adds every request, in order.
    pub fn extend<K: ResponseKind>(&mut self, requests: impl IntoIterator<Item = Request<K, C>>) -> Vec<BatchItem<K>> {
        requests.into_iter().map(|request| self.add(request)).collect()
    }

    /// Requests added so far.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether no request was added.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// At most this many `$batch` calls in flight at once (default [`DEFAULT_BATCH_CONCURRENCY`];
    /// at least 1).
    pub fn concurrency(mut self, batches: usize) -> Self {
        self.concurrency = batches.max(1);
        self
    }

    /// Called each time a request is done (success or final error), e.g. to move a progress bar.
    pub fn on_progress(mut self, callback: impl FnMut(&BatchProgress) + Send + 'static) -> Self {
        self.on_progress = Some(Box::new(callback));
        self
    }

    /// Adds `requests` (after any added before) and sends the batch; their results, in order.
    pub async fn send_all<K: ResponseKind>(
        mut self,
        requests: impl IntoIterator<Item = Request<K, C>>,
    ) -> Vec<Result<K::Output>> {
        let items = self.extend(requests);
        let mut results = self.send().await;
        items.into_iter().map(|item| results.take(item)).collect()
    }

    /// Sends every request and waits for all results. Never fails as a whole: each request's
    /// success or error is in the [`BatchResults`].
    pub async fn send(self) -> BatchResults {
        let Batch { client, serial, items, concurrency, on_progress } = self;
        let mut run = Run::new(client.core().clone(), C::CONSENT_TYPE, items, on_progress);
        let mut queued: VecDeque<Planned> = VecDeque::new();
        let mut in_flight: Vec<InFlight> = Vec::new();
        loop {
            while in_flight.len() < concurrency {
                if queued.is_empty() {
                    queued.extend(run.ready_batches(Instant::now()));
                }
                let Some(planned) = queued.pop_front() else { break };
                if let Some(call) = run.start(planned) {
                    in_flight.push(call);
                }
            }
            // Items whose retry time falls within LINGER of the first one's go in the same batch.
            let wake = if in_flight.len() < concurrency { run.next_wake().map(|at| at + LINGER) } else { None };
            if in_flight.is_empty() && wake.is_none() {
                break;
            }
            if let Some((indices, outcome)) = first_done(&mut in_flight, wake).await {
                run.finish(&indices, outcome);
            }
        }
        run.into_results(serial)
    }
}

/// A `$batch` call in flight: the items it carries and the response.
type InFlight = Pin<Box<dyn Future<Output = (Vec<usize>, Result<Raw>)> + Send>>;

/// The first call of `in_flight` to finish (removed from it), or `None` at `wake`.
async fn first_done(in_flight: &mut Vec<InFlight>, wake: Option<Instant>) -> Option<(Vec<usize>, Result<Raw>)> {
    let mut sleep = wake.map(|at| Box::pin(tokio::time::sleep_until(at.into())));
    std::future::poll_fn(|cx| {
        for i in 0..in_flight.len() {
            if let Poll::Ready(done) = in_flight[i].as_mut().poll(cx) {
                drop(in_flight.swap_remove(i));
                return Poll::Ready(Some(done));
            }
        }
        if let Some(sleep) = &mut sleep {
            if sleep.as_mut().poll(cx).is_ready() {
                return Poll::Ready(None);
            }
        }
        Poll::Pending
    })
    .await
}

/// One `$batch` to send: its items, in order, and how they run.
struct Planned {
    items: Vec<usize>,
    /// One sequence (each item sent with `dependsOn` the one before it), or all in parallel.
    sequential: bool,
}

/// Where an item stands while the batch runs.
enum State {
    /// To send at or after this instant.
    Waiting(Instant),
    /// In a `$batch` queued or in flight.
    Sent,
    /// Its result is known.
    Done,
}

/// The state of [`Batch::send`].
struct Run {
    core: Core,
    /// The consent type of the batch's client.
    consent: ConsentType,
    parts: Vec<Option<Parts>>,
    depends_on: Vec<Vec<usize>>,
    /// The item each was last sent after in a sequential batch (`dependsOn` on the wire).
    sent_after: Vec<Option<usize>>,
    /// How often each was sent again after a `424` caused by the layout alone.
    relays: Vec<u32>,
    state: Vec<State>,
    attempts: Vec<u32>,
    results: Vec<Option<Result<Raw>>>,
    progress: BatchProgress,
    on_progress: Option<ProgressCallback>,
    /// When each item was first sent: the retry policy's `max_elapsed` counts from there (a bulk
    /// run may last longer than any one request may).
    first_sent: Vec<Option<Instant>>,
}

impl Run {
    fn new(core: Core, consent: ConsentType, items: Vec<Item>, on_progress: Option<ProgressCallback>) -> Run {
        let now = Instant::now();
        let total = items.len();
        let mut run = Run {
            core,
            consent,
            parts: Vec::with_capacity(total),
            depends_on: Vec::with_capacity(total),
            sent_after: vec![None; total],
            relays: vec![0; total],
            state: Vec::with_capacity(total),
            attempts: vec![0; total],
            results: (0..total).map(|_| None).collect(),
            progress: BatchProgress { total, done: 0, failed: 0, last: 0, round_trips: 0, retried: 0 },
            on_progress,
            first_sent: vec![None; total],
        };
        let mut failed = Vec::new();
        for (index, item) in items.into_iter().enumerate() {
            run.depends_on.push(item.depends_on);
            run.state.push(State::Waiting(now));
            match item.parts {
                Ok(parts) => run.parts.push(Some(parts)),
                Err(e) => {
                    run.parts.push(None);
                    failed.push((index, e));
                }
            }
        }
        for (index, e) in failed {
            run.done(index, Err(e));
        }
        run
    }

    /// Records an item's final result.
    fn done(&mut self, index: usize, result: Result<Raw>) {
        self.progress.done += 1;
        self.progress.failed += usize::from(result.is_err());
        self.progress.last = index;
        self.state[index] = State::Done;
        self.parts[index] = None;
        self.results[index] = Some(result);
        if let Some(callback) = &mut self.on_progress {
            callback(&self.progress);
        }
    }

    /// When the next waiting item becomes ready, if it is not already.
    fn next_wake(&self) -> Option<Instant> {
        self.state.iter().filter_map(|s| if let State::Waiting(at) = s { Some(*at) } else { None }).min()
    }

    /// Every batch that can be sent now: the waiting items whose time has come. Items linked to
    /// other waiting items by `dependsOn` form a group that goes alone, as one sequence; the
    /// others share parallel batches. At most [`MAX_BATCH_SIZE`] per batch and one service root
    /// (v1.0 or beta) per batch.
    fn ready_batches(&mut self, now: Instant) -> Vec<Planned> {
        let n = self.state.len();
        let waiting = |state: &[State], i: usize| matches!(state[i], State::Waiting(_));
        // Union-find over the dependencies between waiting items.
        let mut parent: Vec<usize> = (0..n).collect();
        fn root(parent: &mut [usize], mut i: usize) -> usize {
            while parent[i] != i {
                parent[i] = parent[parent[i]];
                i = parent[i];
            }
            i
        }
        for i in 0..n {
            if !waiting(&self.state, i) {
                continue;
            }
            for &d in &self.depends_on[i] {
                if waiting(&self.state, d) {
                    let (a, b) = (root(&mut parent, i), root(&mut parent, d));
                    parent[a.max(b)] = a.min(b);
                }
            }
        }
        let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for i in 0..n {
            if waiting(&self.state, i) {
                let r = root(&mut parent, i);
                groups.entry(r).or_default().push(i);
            }
        }
        // Open batches, one per service root.
        let mut open: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        let mut batches = Vec::new();
        for (_, group) in groups {
            let at = group
                .iter()
                .filter_map(|&i| if let State::Waiting(at) = self.state[i] { Some(at) } else { None })
                .max();
            if at.is_some_and(|at| at > now) {
                // The group goes when its last member may: wake then, not before.
                for &i in &group {
                    self.state[i] = State::Waiting(at.unwrap_or(now));
                }
                continue;
            }
            let roots: Vec<&str> =
                group.iter().filter_map(|&i| self.parts[i].as_ref().map(|p| p.core.base_url())).collect();
            let service_root = roots.first().map(|r| (*r).to_string()).unwrap_or_default();
            let problem = if group.len() > MAX_BATCH_SIZE {
                Some(format!(
                    "{} batch items depend on each other (dependsOn); one $batch holds at most {MAX_BATCH_SIZE}",
                    group.len()
                ))
            } else if roots.iter().any(|r| *r != service_root) {
                Some("batch items that depend on each other go to different API versions".to_string())
            } else {
                None
            };
            if let Some(problem) = problem {
                for i in group {
                    self.done(i, Err(Error::InvalidArgument(problem.clone())));
                }
                continue;
            }
            for &i in &group {
                self.state[i] = State::Sent;
            }
            if group.len() > 1 {
                // Indices grow along every dependency, so their order is a valid sequence.
                batches.push(Planned { items: group, sequential: true });
                continue;
            }
            let batch = open.entry(service_root).or_default();
            if batch.len() + group.len() > MAX_BATCH_SIZE {
                batches.push(Planned { items: std::mem::take(batch), sequential: false });
            }
            batch.extend(group);
        }
        batches.extend(open.into_values().filter(|b| !b.is_empty()).map(|items| Planned { items, sequential: false }));
        batches
    }

    /// The `$batch` call for these items (queued as [`State::Sent`]).
    fn start(&mut self, planned: Planned) -> Option<InFlight> {
        let Planned { items: indices, sequential } = planned;
        let mut requests = Vec::with_capacity(indices.len());
        let mut previous: Option<usize> = None;
        let mut core = None;
        let mut idempotent = true;
        let mut unsendable = Vec::new();
        for &i in &indices {
            let Some(parts) = &self.parts[i] else { continue };
            let body = match parts.body.as_deref().map(serde_json::from_slice::<serde_json::Value>).transpose() {
                Ok(body) => body,
                Err(e) => {
                    unsendable.push((i, e));
                    continue;
                }
            };
            let mut headers: BTreeMap<&str, &str> =
                parts.headers.iter().map(|(name, value)| (name.as_str(), value.as_str())).collect();
            if body.is_some() {
                headers.insert("Content-Type", "application/json");
            }
            idempotent &= super::retry::is_idempotent(&parts.method);
            core.get_or_insert_with(|| parts.core.clone());
            self.first_sent[i].get_or_insert_with(Instant::now);
            let after = if sequential { previous.replace(i) } else { None };
            self.sent_after[i] = after;
            requests.push(BatchRequest {
                id: i.to_string(),
                method: parts.method.as_str(),
                url: &parts.relative_url,
                headers,
                body,
                depends_on: after.iter().map(ToString::to_string).collect(),
            });
        }
        let sent: Vec<usize> = requests.iter().filter_map(|r| r.id.parse().ok()).collect();
        let body = serde_json::to_vec(&BatchRequestBody { requests }).map_err(Error::Encode);
        for (i, e) in unsendable {
            self.done(i, Err(Error::Encode(e)));
        }
        let core = core?;
        let template = if core.base_url() == self.core.base_url() { "/$batch" } else { "/$batch (beta)" };
        tracing::debug!(items = sent.len(), "graph $batch");
        Some(Box::pin(async move {
            let body = match body {
                Ok(body) => body,
                Err(e) => return (sent, Err(e)),
            };
            let url = format!("{}/$batch", core.base_url());
            let raw = request::execute(Call {
                core: &core,
                method: &reqwest::Method::POST,
                url: &url,
                headers: &[],
                body: Some(&body),
                template,
                idempotent,
                client_request_id: &request::new_client_request_id(),
                accept: "application/json",
            })
            .await;
            (sent, raw)
        }))
    }

    /// Takes in the answer to the `$batch` that carried `indices`.
    fn finish(&mut self, indices: &[usize], outcome: Result<Raw>) {
        self.progress.round_trips += 1;
        let raw = match outcome {
            Ok(raw) => raw,
            Err(e) => {
                let shared = Arc::new(e);
                for &i in indices {
                    self.done(i, Err(Error::BatchFailed { error: shared.clone() }));
                }
                return;
            }
        };
        let batch_request_id = raw.headers.get("request-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let mut by_item = match parse_answers(raw.status, &raw.body, indices) {
            Ok(by_item) => by_item,
            Err(e) => {
                let shared = Arc::new(e);
                for &i in indices {
                    self.done(i, Err(Error::BatchFailed { error: shared.clone() }));
                }
                return;
            }
        };
        let now = Instant::now();
        let policy = *self.core.retry();
        let mut failed_dependency = Vec::new();
        for &i in indices {
            let (idempotent, template) = match &self.parts[i] {
                Some(parts) => (super::retry::is_idempotent(&parts.method), parts.template),
                None => continue,
            };
            let answer = match by_item.remove(&i) {
                None => {
                    self.done(
                        i,
                        Err(Error::BatchItemMissing { id: i.to_string(), request_id: batch_request_id.clone() }),
                    );
                    continue;
                }
                Some(Err(e)) => {
                    self.done(i, Err(e));
                    continue;
                }
                Some(Ok(answer)) => answer,
            };
            let headers = answer.header_map();
            let body = answer.body_bytes();
            let status = answer.status;
            if (200..300).contains(&status) {
                self.done(i, Ok(Raw { status, headers, body }));
                continue;
            }
            if status == 424 {
                failed_dependency.push((i, headers, body));
                continue;
            }
            let mut gave_up = None;
            self.attempts[i] += 1;
            if policy.retries_status(status, idempotent) {
                let attempt = self.attempts[i];
                let delay = headers
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| super::retry::parse_retry_after(v, std::time::SystemTime::now()))
                    .unwrap_or_else(|| policy.backoff(attempt));
                let elapsed = self.first_sent[i].map(|t| t.elapsed()).unwrap_or_default();
                gave_up = policy.gives_up(attempt, delay, elapsed);
                if gave_up.is_none() {
                    tracing::info!(
                        id = i,
                        path = template,
                        status,
                        attempt,
                        delay_ms = millis(delay),
                        "graph $batch item throttled or unavailable; retrying"
                    );
                    self.progress.retried += 1;
                    self.state[i] = State::Waiting(now + delay);
                    continue;
                }
            }
            let error = item_error(status, &headers, &body, gave_up, &batch_request_id);
            self.done(i, Err(self.with_item_context(i, error)));
        }
        // An item that did not run (`424 Failed Dependency`): if one of its own dependencies
        // failed, that is its result; if one is to be retried, it runs again with it; if they all
        // succeeded, the sequence layout held it back behind an item it does not depend on, and
        // it goes again.
        for (i, headers, body) in failed_dependency {
            let own_failed = self.depends_on[i].iter().any(|&d| matches!(self.results[d], Some(Err(_))));
            let retry_at = self.depends_on[i]
                .iter()
                .filter_map(|&d| if let State::Waiting(at) = self.state[d] { Some(at) } else { None })
                .max();
            match retry_at {
                Some(at) if !own_failed => self.state[i] = State::Waiting(at),
                None if !own_failed && self.sent_after[i].is_some() && self.relays[i] < MAX_RELAYS => {
                    self.relays[i] += 1;
                    self.state[i] = State::Waiting(now);
                }
                _ => {
                    let error = item_error(424, &headers, &body, None, &batch_request_id);
                    self.done(i, Err(self.with_item_context(i, error)));
                }
            }
        }
    }

    /// `error` with the `client-request-id` item `i` was sent with, where Graph echoed none, and
    /// on a `403 Authorization_RequestDenied` what the item needs.
    fn with_item_context(&self, i: usize, error: Error) -> Error {
        let Some(parts) = self.parts[i].as_ref() else { return error };
        let url = format!("{}{}", parts.core.base_url(), parts.relative_url);
        let error = error.with_required_permission(parts.core.api(), self.consent, parts.method.as_str(), &url);
        match request::client_request_id_of(&parts.headers) {
            Some(id) => error.with_client_request_id(id),
            None => error,
        }
    }

    fn into_results(self, serial: u64) -> BatchResults {
        let Run { results, progress, .. } = self;
        BatchResults {
            serial,
            results: results
                .into_iter()
                .enumerate()
                .map(|(i, r)| {
                    Some(r.unwrap_or_else(|| Err(Error::BatchItemMissing { id: i.to_string(), request_id: None })))
                })
                .collect(),
            progress,
        }
    }
}

/// The answers of a `$batch` response body to the items `indices`, by item: each parsed, or its
/// decode error naming the item (`responses[id=3].status`). An answer without an id, for an item
/// not sent, or repeated is ignored (logged); a body that is no batch response is an error.
fn parse_answers(status: u16, body: &[u8], indices: &[usize]) -> Result<BTreeMap<usize, Result<ItemResponse>>> {
    let answers = request::decode_json::<BatchResponseBody>(status, body)?.responses;
    let mut by_item: BTreeMap<usize, Result<ItemResponse>> = BTreeMap::new();
    for answer in answers {
        let id = match answer.get("id") {
            Some(serde_json::Value::String(id)) => id.clone(),
            Some(serde_json::Value::Number(id)) => id.to_string(),
            _ => {
                tracing::warn!(answer = %error::snippet(answer.to_string().as_bytes()), "graph $batch answer without an id; ignored");
                continue;
            }
        };
        let Some(index) = id.parse::<usize>().ok().filter(|i| indices.contains(i)) else {
            tracing::warn!(id = %id, "graph $batch answer for an item not in the batch; ignored");
            continue;
        };
        if by_item.contains_key(&index) {
            tracing::warn!(id = %id, "graph $batch answered an item twice; the first answer kept");
            continue;
        }
        // Decoded through its text by the decoder every response uses; the error's message has no
        // position (the text is not the body the server sent), its path leads to the item.
        let parsed = super::json_path::from_value::<ItemResponse>(&answer).map_err(|(path, message)| Error::Decode {
            status,
            path: item_path(index, &path),
            source: <serde_json::Error as serde::de::Error>::custom(message),
            body: error::snippet(answer.to_string().as_bytes()),
        });
        by_item.insert(index, parsed);
    }
    Ok(by_item)
}

/// For the fuzz targets (not an API): reads a `$batch` response body as the client does for a
/// batch of [`MAX_BATCH_SIZE`] items, each answer's status, headers and body included. `Err` is
/// the error of a body that is no batch response; per item answered, (status, body length), or
/// its error. An error is its JSON path when it is a decode error (`Ok(path)`), else its text.
#[doc(hidden)]
#[allow(clippy::type_complexity)]
pub fn fuzz_batch_answer(
    body: &[u8],
) -> std::result::Result<
    Vec<std::result::Result<(u16, usize), std::result::Result<String, String>>>,
    std::result::Result<String, String>,
> {
    let indices: Vec<usize> = (0..MAX_BATCH_SIZE).collect();
    let path_of = |e: Error| match e {
        Error::Decode { path, .. } => Ok(path),
        e => Err(e.to_string()),
    };
    let by_item = parse_answers(200, body, &indices).map_err(path_of)?;
    Ok(by_item
        .into_values()
        .map(|answer| {
            let item = answer.map_err(path_of)?;
            let _ = item.header_map();
            Ok((item.status, item.body_bytes().len()))
        })
        .collect())
}

/// The Graph error of an item, with the batch's request id when the item has none.
fn item_error(
    status: u16,
    headers: &reqwest::header::HeaderMap,
    body: &[u8],
    gave_up: Option<super::retry::GaveUp>,
    batch_request_id: &Option<String>,
) -> Error {
    let mut e = error::from_response(status, headers, body, gave_up);
    if let Error::Graph { details, .. } = &mut e {
        if details.request_id.is_none() {
            details.request_id.clone_from(batch_request_id);
        }
    }
    e
}

/// The JSON path of something inside an item's answer, naming the item: `responses[id=3].body.value[0]`.
fn item_path(index: usize, inner: &str) -> String {
    match inner {
        "" | "." => format!("responses[id={index}]"),
        _ if inner.starts_with('[') => format!("responses[id={index}]{inner}"),
        _ => format!("responses[id={index}].{inner}"),
    }
}

/// The results of [`Batch::send`], one per request added.
pub struct BatchResults {
    serial: u64,
    results: Vec<Option<Result<Raw>>>,
    progress: BatchProgress,
}

impl std::fmt::Debug for BatchResults {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchResults").field("progress", &self.progress).finish_non_exhaustive()
    }
}

impl BatchResults {
    /// The typed result of one request: what sending it alone would have returned. Each item can
    /// be taken once; a second take, or an item of another batch, is
    /// [`Error::InvalidArgument`].
    pub fn take<K: ResponseKind>(&mut self, item: BatchItem<K>) -> Result<K::Output> {
        let raw = self.take_raw(item)?;
        K::decode(raw.status, &raw.body).map_err(|e| name_item(e, item.index))
    }

    /// [`take`](Self::take), with the item's status and headers.
    pub fn take_with_metadata<K: ResponseKind>(&mut self, item: BatchItem<K>) -> Result<Response<K::Output>> {
        let raw = self.take_raw(item)?;
        let value = K::decode(raw.status, &raw.body).map_err(|e| name_item(e, item.index))?;
        Ok(Response { value, status: raw.status, headers: raw.headers })
    }

    fn take_raw<K>(&mut self, item: BatchItem<K>) -> Result<Raw> {
        if item.serial != self.serial {
            return Err(Error::InvalidArgument(format!("batch item {} belongs to another batch", item.index)));
        }
        self.results
            .get_mut(item.index)
            .and_then(Option::take)
            .unwrap_or_else(|| Err(Error::InvalidArgument(format!("batch item {} was already taken", item.index))))
    }

    /// Requests in the batch.
    pub fn len(&self) -> usize {
        self.results.len()
    }

    /// Whether the batch was empty.
    pub fn is_empty(&self) -> bool {
        self.results.is_empty()
    }

    /// The final counts: done, failed, `$batch` round trips, item retries.
    pub fn progress(&self) -> &BatchProgress {
        &self.progress
    }
}

/// Names the item in a decode error of its body.
fn name_item(e: Error, index: usize) -> Error {
    match e {
        Error::Decode { status, path, source, body } => {
            let inner = if path == "." { "body".to_string() } else { format!("body.{path}") };
            Error::Decode { status, path: item_path(index, &inner), source, body }
        }
        e => e,
    }
}

#[derive(Serialize)]
struct BatchRequestBody<'a> {
    requests: Vec<BatchRequest<'a>>,
}

#[derive(Serialize)]
struct BatchRequest<'a> {
    id: String,
    method: &'a str,
    /// Relative to the service root (`/identityGovernance/...`), as Graph requires.
    url: &'a str,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    headers: BTreeMap<&'a str, &'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<serde_json::Value>,
    #[serde(rename = "dependsOn", skip_serializing_if = "Vec::is_empty")]
    depends_on: Vec<String>,
}

#[derive(Deserialize)]
struct BatchResponseBody {
    responses: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
struct ItemResponse {
    status: u16,
    #[serde(default)]
    headers: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    body: Option<serde_json::Value>,
}

impl ItemResponse {
    fn header_map(&self) -> reqwest::header::HeaderMap {
        let mut map = reqwest::header::HeaderMap::new();
        for (name, value) in &self.headers {
            let value = match value {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            if let (Ok(name), Ok(value)) = (
                reqwest::header::HeaderName::from_bytes(name.as_bytes()),
                reqwest::header::HeaderValue::from_str(&value),
            ) {
                map.append(name, value);
            }
        }
        map
    }

    /// The body as bytes: JSON as JSON; a non-JSON body (text, `$count`) is a base64 string in the
    /// batch answer, decoded here (taken as text when it is not base64).
    fn body_bytes(&self) -> Vec<u8> {
        let json = self
            .headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("content-type"))
            .and_then(|(_, v)| v.as_str())
            .is_none_or(|v| v.contains("json"));
        match &self.body {
            None | Some(serde_json::Value::Null) => Vec::new(),
            Some(serde_json::Value::String(text)) if !json => {
                use base64::Engine as _;
                base64::engine::general_purpose::STANDARD.decode(text).unwrap_or_else(|_| text.clone().into_bytes())
            }
            Some(value) => serde_json::to_vec(value).unwrap_or_default(),
        }
    }
}

//! Waiting for an object to settle: read it again and again until a watched property reaches a
//! value that ends the wait, as success or as failure.
//!
//! Graph works through some objects after the request that made them returns (a request moves
//! from submitted through delivering to delivered), and an object created a moment ago may not be
//! readable yet (Graph replicates; a `404` right after a create is common). The generated
//! `wait_until_*` methods (declared as data in the generator's `metadata/waiters.yaml`) poll with
//! a deadline, a growing interval, the server's `Retry-After`, and a grace period for those
//! early `404`s: see [`WaitOptions`].

use std::future::Future;
use std::time::Duration;

use serde::Serialize;

use super::error::{Error, Result};
use super::request::Response;

/// How a wait polls. `WaitOptions::default()` waits up to 10 minutes, polling after 2 s, then
/// doubling the interval up to 30 s, and takes a `404` in the first 60 s as "not visible yet".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct WaitOptions {
    /// The longest the whole wait may take; past it the wait ends with
    /// [`Error::WaitTimedOut`]. No poll starts after it.
    pub deadline: Duration,
    /// The first interval between polls; each next one doubles, up to `max_interval`.
    pub interval: Duration,
    /// The longest interval between polls (a longer `Retry-After` is still honoured).
    pub max_interval: Duration,
    /// For how long after the wait starts a `404 Not Found` means "not visible yet" (Graph
    /// replicates a new object); after it, a `404` ends the wait as an error.
    pub not_found_grace: Duration,
}

impl Default for WaitOptions {
    fn default() -> Self {
        WaitOptions {
            deadline: Duration::from_secs(600),
            interval: Duration::from_secs(2),
            max_interval: Duration::from_secs(30),
            not_found_grace: Duration::from_secs(60),
        }
    }
}

impl WaitOptions {
    /// With this deadline.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// With this first interval.
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// With this longest interval.
    pub fn max_interval(mut self, max_interval: Duration) -> Self {
        self.max_interval = max_interval;
        self
    }

    /// With this grace period for `404`s.
    pub fn not_found_grace(mut self, grace: Duration) -> Self {
        self.not_found_grace = grace;
        self
    }
}

/// What a generated waiter watches (from `metadata/waiters.yaml`): the property and the values
/// that end the wait. Not for direct use.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Waiter {
    /// The waiter's name (`settled` for `wait_until_settled`).
    pub name: &'static str,
    /// The watched property, as Graph spells it.
    pub property: &'static str,
    /// Values that end the wait successfully.
    pub success: &'static [&'static str],
    /// Values that end the wait with [`Error::WaitFailed`].
    pub failure: &'static [&'static str],
}

/// A wait that ended well: the object as last read, and how it went.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Waited<T> {
    /// The object, as the last poll read it.
    pub value: T,
    /// The watched property's value that ended the wait (e.g. `delivered`).
    pub state: String,
    /// How many reads it took.
    pub polls: u32,
    /// How long the wait took.
    pub elapsed: Duration,
    /// Graph's `request-id` of the last read.
    pub request_id: Option<String>,
}

/// Polls until `waiter`'s property reaches one of its values: see the module docs. `poll` reads
/// the object once (the generated methods pass the item's `get`).
#[doc(hidden)]
pub async fn wait_until<T, F, Fut>(mut poll: F, waiter: &Waiter, options: &WaitOptions) -> Result<Waited<T>>
where
    T: Serialize,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Response<T>>>,
{
    let start = tokio::time::Instant::now();
    let deadline = start + options.deadline;
    let mut interval = options.interval;
    let mut polls = 0u32;
    let mut last_state: Option<String> = None;
    loop {
        polls += 1;
        let pause = match poll().await {
            Ok(response) => {
                let state = watched(&response.value, waiter.property);
                let request_id = response.request_id().map(str::to_owned);
                match state.as_deref() {
                    Some(s) if waiter.success.contains(&s) => {
                        return Ok(Waited {
                            value: response.value,
                            state: s.to_string(),
                            polls,
                            elapsed: start.elapsed(),
                            request_id,
                        });
                    }
                    Some(s) if waiter.failure.contains(&s) => {
                        let entity = serde_json::to_value(&response.value).unwrap_or_default();
                        return Err(Error::WaitFailed {
                            waiter: waiter.name,
                            state: s.to_string(),
                            entity: Box::new(entity),
                            request_id,
                            polls,
                        });
                    }
                    _ => {}
                }
                tracing::debug!(waiter = waiter.name, state = state.as_deref(), polls, "graph wait: not settled yet");
                last_state = state;
                let retry_after = response
                    .header("retry-after")
                    .and_then(|v| super::retry::parse_retry_after(v, std::time::SystemTime::now()));
                retry_after.map_or(interval, |after| after.max(interval))
            }
            Err(e) if e.is_not_found() && start.elapsed() < options.not_found_grace => {
                tracing::debug!(waiter = waiter.name, polls, "graph wait: not found yet (replication)");
                interval
            }
            // Throttled or unavailable past the client's own retries: keep polling, as told.
            Err(e) if e.is_transient() => e.retry_after().map_or(interval, |after| after.max(interval)),
            Err(e) => return Err(e),
        };
        if tokio::time::Instant::now() + pause > deadline {
            return Err(Error::WaitTimedOut { waiter: waiter.name, last_state, polls, elapsed: start.elapsed() });
        }
        tokio::time::sleep(pause).await;
        interval = interval.saturating_mul(2).min(options.max_interval.max(options.interval));
    }
}

/// The watched property of `value` as text (an enum member's or a string's value).
fn watched<T: Serialize>(value: &T, property: &str) -> Option<String> {
    match serde_json::to_value(value).ok()?.get(property)? {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Null => None,
        other => Some(other.to_string()),
    }
}

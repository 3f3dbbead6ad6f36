use std::fmt;
use std::time::{Duration, SystemTime};

/// When and how often a request is retried.
///
/// `429 Too Many Requests` is retried for every method (Graph did not process the request);
/// `503` and `504` only for idempotent methods (GET, PUT, DELETE), so a write is never sent
/// twice. The server's `Retry-After` (seconds or an HTTP date) is honoured; otherwise the delay
/// grows exponentially with jitter. Attempts and total time are bounded.
///
/// Built from [`RetryPolicy::default`] (or [`RetryPolicy::none`]) with the setters, e.g.
/// `RetryPolicy::default().max_attempts(6).base_delay(Duration::from_millis(200))`; it may gain
/// settings, so it is not built as a struct literal.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 = never retry).
    pub max_attempts: u32,
    /// The first backoff delay; doubled on each retry.
    pub base_delay: Duration,
    /// No single wait is longer (a longer `Retry-After` ends the retries).
    pub max_delay: Duration,
    /// No retry starts after this much time since the first attempt.
    pub max_elapsed: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_elapsed: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// Never retry.
    pub fn none() -> Self {
        RetryPolicy { max_attempts: 1, ..Default::default() }
    }

    /// Attempts in all, the first included (1 = never retry).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts;
        self
    }

    /// The first backoff delay; doubled on each retry.
    pub fn base_delay(mut self, delay: Duration) -> Self {
        self.base_delay = delay;
        self
    }

    /// No single wait is longer (a longer `Retry-After` ends the retries).
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// No retry starts after this much time since the first attempt.
    pub fn max_elapsed(mut self, elapsed: Duration) -> Self {
        self.max_elapsed = elapsed;
        self
    }

    /// Whether a response with `status` to a request with `method` may be retried.
    pub fn retries(&self, status: u16, method: &reqwest::Method) -> bool {
        self.retries_status(status, is_idempotent(method))
    }

    /// Whether a response with `status` may be retried, for a request that can (`idempotent`) or
    /// cannot be sent twice without a second effect.
    pub(crate) fn retries_status(&self, status: u16, idempotent: bool) -> bool {
        match status {
            429 => true,
            503 | 504 => idempotent,
            _ => false,
        }
    }

    /// Why attempt `attempt`, answered with a retryable status, is not retried after `delay`
    /// when `elapsed` has passed since the first; `None` to retry.
    pub(crate) fn gives_up(&self, attempt: u32, delay: Duration, elapsed: Duration) -> Option<GaveUp> {
        if attempt >= self.max_attempts {
            Some(GaveUp::Attempts { attempts: attempt })
        } else if delay > self.max_delay {
            Some(GaveUp::RetryAfterTooLong { max_delay: self.max_delay })
        } else if elapsed + delay > self.max_elapsed {
            Some(GaveUp::Elapsed { max_elapsed: self.max_elapsed })
        } else {
            None
        }
    }

    /// The exponential backoff before attempt `attempt + 1`, with jitter (half to full delay).
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        let full = self.base_delay.saturating_mul(factor).min(self.max_delay);
        let half = full / 2;
        half + full.saturating_sub(half).mul_f64(fastrand::f64())
    }
}

/// GET, HEAD, PUT, DELETE and OPTIONS can be repeated without a second effect.
pub(crate) fn is_idempotent(method: &reqwest::Method) -> bool {
    matches!(
        *method,
        reqwest::Method::GET
            | reqwest::Method::HEAD
            | reqwest::Method::PUT
            | reqwest::Method::DELETE
            | reqwest::Method::OPTIONS
    )
}

/// A `Retry-After` value: delay-seconds or an HTTP date. Garbage gives `None`.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return value.parse::<u64>().ok().map(Duration::from_secs);
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Why a retryable response (429, or 503/504 to an idempotent request) was not retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum GaveUp {
    /// The server asked for a longer wait than the policy's `max_delay`; the wait it asked for
    /// is [`Error::retry_after`](crate::Error::retry_after).
    RetryAfterTooLong {
        /// The policy's cap on one wait.
        max_delay: Duration,
    },
    /// The policy's attempts were used up.
    Attempts {
        /// Attempts made, the first included.
        attempts: u32,
    },
    /// The next wait would end after the policy's `max_elapsed`.
    Elapsed {
        /// The policy's cap on the whole call.
        max_elapsed: Duration,
    },
}

impl fmt::Display for GaveUp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GaveUp::RetryAfterTooLong { max_delay } => {
                write!(f, "not retried: Retry-After is longer than the retry policy's {} s cap", max_delay.as_secs())
            }
            GaveUp::Attempts { attempts } => write!(f, "gave up after {attempts} attempts"),
            GaveUp::Elapsed { max_elapsed } => {
                write!(f, "not retried: the retry policy's {} s total would be exceeded", max_elapsed.as_secs())
            }
        }
    }
}

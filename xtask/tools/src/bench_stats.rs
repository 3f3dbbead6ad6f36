//! What the bench's parts share: the client's target and how figures are summarised.

use std::time::Duration;

/// The client's target: its time over hand-written reqwest's for the same calls.
pub(crate) const CLIENT_TARGET: f64 = 1.05;

/// The median (the upper one of an even count); zero for no samples.
pub(crate) fn median(mut xs: Vec<Duration>) -> Duration {
    if xs.is_empty() {
        return Duration::ZERO;
    }
    xs.sort();
    xs[xs.len() / 2]
}

/// A duration in milliseconds, one decimal.
pub(crate) fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

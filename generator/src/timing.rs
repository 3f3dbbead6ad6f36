//! Stage timings for `cargo xtask bench`: while recording is on (`start` .. `finish`, per
//! thread), [`measure`] appends each stage's duration; otherwise it only runs the closure.
//! The generator's output never depends on it.

use std::cell::RefCell;
use std::time::{Duration, Instant};

thread_local! {
    static RECORD: RefCell<Option<Vec<(&'static str, Duration)>>> = const { RefCell::new(None) };
}

/// Starts recording on this thread (dropping anything recorded before).
pub fn start() {
    RECORD.with(|r| *r.borrow_mut() = Some(Vec::new()));
}

/// Stops recording and returns the stages measured, in order (a stage may repeat).
pub fn finish() -> Vec<(&'static str, Duration)> {
    RECORD.with(|r| r.borrow_mut().take().unwrap_or_default())
}

/// Runs `f`, recording its duration under `stage` when recording is on.
pub fn measure<T>(stage: &'static str, f: impl FnOnce() -> T) -> T {
    let started = Instant::now();
    let out = f();
    let elapsed = started.elapsed();
    RECORD.with(|r| {
        if let Some(stages) = r.borrow_mut().as_mut() {
            stages.push((stage, elapsed));
        }
    });
    out
}

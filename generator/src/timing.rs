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

/// Runs `f` on another thread of `scope`; what it measures is added to this thread's record (so a
/// stage's time is the CPU time spent in it, on whichever thread).
pub fn spawn_in<'scope, T: Send + 'scope>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    f: impl FnOnce() -> T + Send + 'scope,
) -> Joined<'scope, T> {
    let recording = RECORD.with(|r| r.borrow().is_some());
    let handle = scope.spawn(move || {
        if recording {
            start();
        }
        let out = f();
        (out, finish())
    });
    Joined { handle }
}

/// A thread started by [`spawn_in`].
pub struct Joined<'scope, T> {
    handle: std::thread::ScopedJoinHandle<'scope, (T, Vec<(&'static str, Duration)>)>,
}

impl<T> Joined<'_, T> {
    /// Waits for the thread, adds its stages to this thread's record and returns its result (a
    /// panic on the thread is resumed here).
    pub fn join(self) -> T {
        let (out, stages) = match self.handle.join() {
            Ok(r) => r,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        RECORD.with(|r| {
            if let Some(record) = r.borrow_mut().as_mut() {
                record.extend(stages);
            }
        });
        out
    }
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

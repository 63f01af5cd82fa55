//! Running the learner's code inside a step test and saying, in words, what it did: returned a value,
//! panicked (a `todo!()` says which step is not done), or did not return in time.

use std::fmt::Debug;
use std::io;
use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use super::panic_message;

/// What a function run by a test did: returned a value, or (as `Err`) panicked or did not return in
/// time, in words.
pub type Outcome<T> = Result<T, String>;

/// `panicked: ...`, saying when it is a `todo!()`.
pub fn panicked(payload: &(dyn std::any::Any + Send)) -> String {
    let message = panic_message(payload);
    if message.starts_with("not yet implemented") {
        format!("panicked: {message} (a `todo!()` in src/exercise.rs: that step is not done yet)")
    } else {
        format!("panicked: {message}")
    }
}

/// Runs `f` here, turning a panic into an `Err` that says what it was.
pub fn caught_any<T>(f: impl FnOnce() -> T) -> Outcome<T> {
    panic::catch_unwind(AssertUnwindSafe(f)).map_err(|payload| panicked(&*payload))
}

/// Runs one of the learner's functions here, turning a panic into an `Err` that says what it was; but a
/// `todo!()` goes on as the test's own panic, whose message is then the `todo!()`'s, and the only one.
pub fn caught<T>(f: impl FnOnce() -> T) -> Outcome<T> {
    panic::catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        if panic_message(&*payload).starts_with("not yet implemented") {
            panic::resume_unwind(payload);
        }
        panicked(&*payload)
    })
}

/// Runs `f` on a thread and waits at most `limit` for it: code that hangs is reported as still running,
/// and the test goes on.
pub fn on_thread<T: Send + 'static>(
    limit: Duration,
    f: impl FnOnce() -> T + Send + 'static,
) -> Outcome<T> {
    let (done, result) = mpsc::channel();
    thread::spawn(move || {
        let _ = done.send(caught_any(f));
    });
    match result.recv_timeout(limit) {
        Ok(outcome) => outcome,
        Err(_) => Err(format!("had not returned after {limit:?}")),
    }
}

/// `returned Err(InvalidData: ...)`: what a function did, in words for a failure message.
pub fn describe<T: Debug>(outcome: &Outcome<io::Result<T>>) -> String {
    match outcome {
        Ok(Ok(value)) => format!("returned Ok({value:?})"),
        Ok(Err(err)) => format!("returned Err({:?}: {err})", err.kind()),
        Err(what) => what.clone(),
    }
}

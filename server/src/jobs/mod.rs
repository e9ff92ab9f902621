//! Background work that must not be lost, in one queue on both backends (the `jobs` table).
//!
//! A change to what Success shows (a sync recorded, a webhook written, accounts merged, a
//! scorecard saved) records, in the same transaction, an `after_change` job naming what it
//! touched. [`crate::service::Data::after_change`] runs it at once for the caller who waits on it; the
//! [`run`] worker takes whatever is left (a burst of signals, a process killed mid-way, a
//! failed attempt) and is started by every server, resuming unfinished jobs first.

mod after_change;

pub use crate::store::jobs::{Changes, Job, LEASE, MAX_ATTEMPTS};
pub use after_change::run;

/// Test hook: `SUCCESS_CRASH_AT=<point>` aborts the process there, as a power cut would.
pub fn crash_point(name: &str) {
    if std::env::var("SUCCESS_CRASH_AT").is_ok_and(|at| at == name) {
        eprintln!("SUCCESS_CRASH_AT={name}: aborting");
        std::process::abort();
    }
}

//! The pool's circuit breaker: once Redis has failed to answer (no connection could be
//! made, or a reply did not come within `response_timeout_ms`), every checkout fails at
//! once instead of waiting out the same timeout again, while one background probe asks
//! Redis every [`PROBE_INTERVAL`]; its first answer closes the breaker.
//!
//! Without it, a frozen or unreachable Redis costs every session request a full timeout
//! (the reply's, then the connect's, again and again), requests pile up, and a visitor
//! waits seconds for a 503. With it, the first request after the failure pays that once;
//! the next ones get their 503 in microseconds, and traffic flows again within a probe
//! interval (plus one connect) of Redis answering.
//!
//! Used on one server and under Sentinel, where the pool reaches one primary. Not on a
//! Cluster: one master failing stops only its own slots, which the cluster connection
//! retries and fails within its own bounds; a breaker would stop every slot.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

/// How long the probe waits between two attempts.
pub const PROBE_INTERVAL: Duration = Duration::from_millis(100);

/// The state a pool's checkouts read (one atomic load while closed).
#[derive(Debug, Default)]
pub(super) struct Breaker {
    open: AtomicBool,
    trips: AtomicU64,
}

impl Breaker {
    /// Whether checkouts fail at once.
    pub(super) fn is_open(&self) -> bool {
        self.open.load(Ordering::Acquire)
    }

    /// Opens the breaker; `true` when this call opened it (the caller then starts the one
    /// probe), `false` when it was open already.
    pub(super) fn trip(&self) -> bool {
        let opened = !self.open.swap(true, Ordering::AcqRel);
        if opened {
            self.trips.fetch_add(1, Ordering::Relaxed);
        }
        opened
    }

    /// Closes the breaker: Redis answered the probe.
    pub(super) fn close(&self) {
        self.open.store(false, Ordering::Release);
    }

    /// How many times it opened.
    pub(super) fn trips(&self) -> u64 {
        self.trips.load(Ordering::Relaxed)
    }
}

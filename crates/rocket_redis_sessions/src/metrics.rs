//! What the session layer reports through the [`metrics`] facade: an app that installs a
//! recorder (a Prometheus exporter, say) sees the sessions work; one that installs none
//! pays for nothing but two clock reads per store operation.
//!
//! | name | type | labels | counts |
//! |---|---|---|---|
//! | `sessions_loads_total` | counter | `result`: `found`, `none` | loads of a session a cookie named (`none`: unknown, expired or forged) |
//! | `sessions_created_total` | counter | | new sessions stored (also one made in place of a destroyed one) |
//! | `sessions_saved_total` | counter | | saves of a loaded session's changes |
//! | `sessions_rotated_total` | counter | | id rotations (`cycle_id`) |
//! | `sessions_destroyed_total` | counter | | sessions deleted (`destroy`) |
//! | `sessions_save_gone_total` | counter | | saves and rotations that found their session ended meanwhile (nothing written) |
//! | `sessions_store_errors_total` | counter | `kind`: `unavailable`, `collision`, `too_large`, `unsupported` | store operations that failed |
//! | `sessions_store_duration_seconds` | histogram | `op`: `load`, `create`, `save`, `rotate`, `replace`, `delete` | each store operation's time, one round trip to Redis |
//! | `sessions_store_info` | gauge, always 1 | `store`: `redis`, `memory` or the app store's name; `mode`: `single`, `cluster`, `sentinel` or `none` | which store is in use |
//!
//! The handles are registered once, when the fairing ignites: a request's updates are
//! atomic operations on them, no lookup by name.

use std::time::Instant;

use metrics::{Counter, Histogram, counter, gauge, histogram};

use crate::state::Commit;
use crate::store::StoreError;

/// The layer's metric handles.
pub(crate) struct Metrics {
    loads_found: Counter,
    loads_none: Counter,
    created: Counter,
    saved: Counter,
    rotated: Counter,
    destroyed: Counter,
    gone: Counter,
    unavailable: Counter,
    collision: Counter,
    too_large: Counter,
    unsupported: Counter,
    load_time: Histogram,
    create_time: Histogram,
    save_time: Histogram,
    rotate_time: Histogram,
    replace_time: Histogram,
    delete_time: Histogram,
}

impl Metrics {
    /// Registers every handle with the installed recorder (no-op handles without one),
    /// and sets the store's info gauge.
    pub(crate) fn register(store: &'static str, mode: &'static str) -> Self {
        gauge!("sessions_store_info", "store" => store, "mode" => mode).set(1.0);
        let errors = |kind: &'static str| counter!("sessions_store_errors_total", "kind" => kind);
        let time = |op: &'static str| histogram!("sessions_store_duration_seconds", "op" => op);
        Self {
            loads_found: counter!("sessions_loads_total", "result" => "found"),
            loads_none: counter!("sessions_loads_total", "result" => "none"),
            created: counter!("sessions_created_total"),
            saved: counter!("sessions_saved_total"),
            rotated: counter!("sessions_rotated_total"),
            destroyed: counter!("sessions_destroyed_total"),
            gone: counter!("sessions_save_gone_total"),
            unavailable: errors("unavailable"),
            collision: errors("collision"),
            too_large: errors("too_large"),
            unsupported: errors("unsupported"),
            load_time: time("load"),
            create_time: time("create"),
            save_time: time("save"),
            rotate_time: time("rotate"),
            replace_time: time("replace"),
            delete_time: time("delete"),
        }
    }

    /// Notes a load that started at `start` and found a session or not.
    pub(crate) fn loaded<T>(&self, start: Instant, result: &Result<Option<T>, StoreError>) {
        self.load_time.record(start.elapsed());
        match result {
            Ok(Some(_)) => self.loads_found.increment(1),
            Ok(None) => self.loads_none.increment(1),
            Err(e) => self.failed(e),
        }
    }

    /// What `commit` is, for [`Metrics::applied`] (taken before the commit is consumed).
    pub(crate) fn kind(commit: &Commit) -> Option<Op> {
        match commit {
            Commit::Nothing => None,
            Commit::Create { .. } => Some(Op::Create),
            Commit::Update { .. } => Some(Op::Save),
            Commit::Renew { .. } => Some(Op::Rotate),
            Commit::Delete { .. } => Some(Op::Delete),
            Commit::Replace { .. } => Some(Op::Replace),
            Commit::Bound(write) => Some(match (&write.old, &write.new) {
                (_, None) => Op::Delete,
                (None, Some(_)) => Op::Create,
                (Some(_), Some(_)) if write.carries() => Op::Rotate,
                (Some(_), Some(_)) => Op::Replace,
            }),
        }
    }

    /// Notes a commit of kind `op` that started at `start`: `Ok(false)` when its session
    /// had ended meanwhile.
    pub(crate) fn applied(&self, op: Op, start: Instant, result: &Result<bool, StoreError>) {
        let (time, done): (&Histogram, &[&Counter]) = match op {
            Op::Create => (&self.create_time, &[&self.created]),
            Op::Save => (&self.save_time, &[&self.saved]),
            Op::Rotate => (&self.rotate_time, &[&self.rotated]),
            Op::Delete => (&self.delete_time, &[&self.destroyed]),
            Op::Replace => (&self.replace_time, &[&self.destroyed, &self.created]),
        };
        time.record(start.elapsed());
        match result {
            Ok(true) => done.iter().for_each(|counter| counter.increment(1)),
            Ok(false) => self.gone.increment(1),
            Err(e) => self.failed(e),
        }
    }

    fn failed(&self, e: &StoreError) {
        match e {
            StoreError::Unavailable(_) => self.unavailable.increment(1),
            StoreError::Collision => self.collision.increment(1),
            StoreError::TooLarge => self.too_large.increment(1),
            StoreError::Unsupported => self.unsupported.increment(1),
        }
    }
}

/// The store operation a commit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Create,
    Save,
    Rotate,
    Delete,
    Replace,
}

#[cfg(test)]
#[path = "metrics_tests.rs"]
mod tests;

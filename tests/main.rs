//! The demo app's tests, one binary with a module per area: every test binary links Rocket
//! again, so one binary builds much faster than one per file.
//!
//! Each module's tests share one private `redis-server` (started on first use, or
//! `REDIS_URL`) and keep apart by key prefix; tests that stop Redis or count its commands
//! start their own.

mod common;

mod binary;
mod browser;
mod failover;
mod http_sessions;
mod instances;
mod logs;
mod metrics;
mod oauth;
mod outage;
mod pages;
mod profiles;
mod props;
mod provider;
mod redis_commands;

//! The library's tests, one binary with a module per area (every test binary links Rocket
//! again). Tests that need Redis start private `redis-server` processes.

mod example;
mod launch;
mod props;
mod store_conformance;
mod users;

//! Redis commands per request, counted with `MONITOR` on a private `redis-server`, and
//! round trips, counted by the app's pool. Every command the app sends counts, a pool's
//! own `PING` or `UNWATCH` on checkout included; commands run inside a Lua script do not
//! (the script is one command).

use crate::common;

use rocket::http::{Cookie, Status};
use rocket::local::asynchronous::Client;
use rocket::{get, routes};
use rocket_db_pools::Database;
use rocket_redis_sessions::Session;
use rocket_redis_sessions_demo::SessionsDb;
use serde_json::json;

use common::redis::{Monitor, RedisServer};
use common::set_cookie;

struct Counted {
    _server: RedisServer,
    monitor: Monitor,
    client: Client,
    cookie: String,
}

#[get("/t/cycle")]
fn cycle(session: Session<'_>) -> Result<(), Status> {
    session.cycle_id().map_err(|_| Status::InternalServerError)
}

#[get("/t/destroy")]
fn destroy(session: Session<'_>) {
    session.destroy();
}

#[get("/t/remove")]
fn remove(session: Session<'_>) -> &'static str {
    if session.remove("count") { "removed" } else { "absent" }
}

#[get("/t/bind")]
fn bind(session: Session<'_>) -> Result<(), Status> {
    session.bind_user("user-1").map_err(|_| Status::InternalServerError)
}

#[get("/t/sign-out")]
fn sign_out(session: Session<'_>) -> Result<(), Status> {
    session.destroy();
    session.insert("flash", "signed out").map_err(|_| Status::InternalServerError)
}

/// The app on its own Redis, warmed up (connection made, scripts cached), with one
/// visitor whose session holds `count = 1`, with the default `touch_after` (60 s): the
/// session was written just now, so its reads do not restart the idle timeout.
async fn counted() -> Counted {
    counted_with(json!({})).await
}

/// [`counted`] with `touch_after = 0`: every read restarts the idle timeout.
async fn counted_touching() -> Counted {
    counted_with(json!({ "sessions.touch_after": 0 })).await
}

async fn counted_with(overrides: serde_json::Value) -> Counted {
    let server = RedisServer::start();
    let figment = common::figment(&server.url(), "cmds:", overrides);
    let rocket = rocket_redis_sessions_demo::rocket_from(figment);
    let client =
        common::untracked(rocket.mount("/", routes![cycle, destroy, remove, sign_out, bind])).await;
    let res = client.get("/api/counter").dispatch().await;
    let cookie = set_cookie(&res, "session").unwrap().value().to_owned();
    drop(res);
    // (The first visit of `/` stores the CSRF token of its forms: a write. `/t/cycle`
    // runs the save script once, so Redis has it cached as a long-running app would.)
    for path in ["/api/counter", "/api/session", "/health", "/"] {
        let res = client.get(path).cookie(Cookie::new("session", cookie.clone())).dispatch();
        assert_eq!(res.await.status(), Status::Ok);
    }
    let res = client.get("/t/cycle").cookie(Cookie::new("session", cookie)).dispatch().await;
    assert_eq!(res.status(), Status::Ok);
    let cookie = set_cookie(&res, "session").expect("a rotated id").value().to_owned();
    drop(res);
    let monitor = Monitor::start(&server.url());
    Counted { _server: server, monitor, client, cookie }
}

impl Counted {
    fn round_trips(&self) -> u64 {
        let db = SessionsDb::fetch(self.client.rocket()).expect("the database is attached");
        db.round_trips()
    }

    /// The commands and round trips `path` costs.
    async fn cost(&mut self, path: &str, with_cookie: bool) -> (Vec<String>, u64) {
        let before = self.round_trips();
        let commands = self.commands(path, with_cookie).await;
        (commands, self.round_trips() - before)
    }

    async fn commands(&mut self, path: &str, with_cookie: bool) -> Vec<String> {
        let mut req = self.client.get(path.to_owned());
        if with_cookie {
            req = req.cookie(Cookie::new("session", self.cookie.clone()));
        }
        let res = req.dispatch().await;
        assert!(res.status().code < 500, "{path}: {}", res.status());
        if let Some(cookie) = set_cookie(&res, "session").filter(|c| !c.value().is_empty()) {
            self.cookie = cookie.value().to_owned();
        }
        drop(res);
        self.monitor.take()
    }
}

#[rocket::async_test]
async fn routes_without_a_session_send_no_command() {
    let mut c = counted().await;
    assert_eq!(c.commands("/static/style.css", true).await, Vec::<String>::new());
    assert_eq!(c.commands("/no/such/page", true).await, Vec::<String>::new());
    assert_eq!(c.commands("/api/session", false).await, Vec::<String>::new(), "no cookie");
}

#[rocket::async_test]
async fn health_sends_exactly_one_ping() {
    let mut c = counted().await;
    assert_eq!(c.cost("/health", false).await, (vec!["PING".to_owned()], 1));
}

#[rocket::async_test]
async fn a_read_of_a_session_touched_recently_is_one_command() {
    let mut c = counted().await;
    let read = (vec!["HGETALL".to_owned()], 1);
    assert_eq!(c.cost("/api/session", true).await, read);
    assert_eq!(c.cost("/", true).await, read);
}

#[rocket::async_test]
async fn with_touch_after_0_a_read_is_one_round_trip_ttl_refresh_included() {
    let mut c = counted_touching().await;
    let read = (vec!["HGETALL".to_owned(), "PEXPIRE".to_owned()], 1);
    assert_eq!(c.cost("/api/session", true).await, read);
    assert_eq!(c.cost("/", true).await, read);
    let write = (["HGETALL", "PEXPIRE", "EVALSHA"].map(String::from).to_vec(), 2);
    assert_eq!(c.cost("/api/counter", true).await, write);
}

#[rocket::async_test]
async fn a_session_write_is_two_round_trips_and_a_new_session_one() {
    let mut c = counted().await;
    let (commands, round_trips) = c.cost("/api/counter", true).await;
    assert_eq!(
        (commands, round_trips),
        (["HGETALL", "EVALSHA"].map(String::from).to_vec(), 2),
        "an update is one script, which checks the limits (and restarts the TTL) as it writes"
    );
    let removal = (["HGETALL", "EVALSHA"].map(String::from).to_vec(), 2);
    assert_eq!(c.cost("/t/remove", true).await, removal, "an update that deletes a field");
    assert_eq!(c.cost("/api/counter", false).await, (vec!["EVALSHA".to_owned()], 1), "create");
}

#[rocket::async_test]
async fn rotating_destroying_and_signing_out_are_two_commands_each() {
    let mut c = counted().await;
    for (path, then) in
        [("/t/cycle", "EVALSHA"), ("/t/sign-out", "EVALSHA"), ("/t/destroy", "UNLINK")]
    {
        let (commands, round_trips) = c.cost(path, true).await;
        assert_eq!(commands, ["HGETALL", then], "{path}");
        assert_eq!(round_trips, 2, "{path}: the load and one save");
    }
}

#[rocket::async_test]
async fn a_session_bound_to_a_user_costs_what_any_session_does() {
    let mut c = counted().await;
    // The first sign-in loads the script into this new Redis (`EVAL`), as once per server.
    c.cost("/t/bind", true).await;
    let (commands, round_trips) = c.cost("/t/bind", true).await;
    assert_eq!(
        (commands, round_trips),
        (["HGETALL", "EVALSHA"].map(String::from).to_vec(), 2),
        "the sign-in: one script moves the session and adds its entry"
    );
    let read = (vec!["HGETALL".to_owned()], 1);
    assert_eq!(c.cost("/api/session", true).await, read, "last seen costs nothing more");
    let write = (["HGETALL", "EVALSHA"].map(String::from).to_vec(), 2);
    assert_eq!(c.cost("/api/counter", true).await, write);
    assert_eq!(
        c.cost("/t/cycle", true).await,
        write,
        "a rotation repoints its entry in its script"
    );
    assert_eq!(c.cost("/t/destroy", true).await, write, "an end removes its entry in its script");
}

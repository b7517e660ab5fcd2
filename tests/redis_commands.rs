//! Redis commands per request, counted with `MONITOR` on a private `redis-server`.
//! Every command the app sends counts, a pool's own `PING` or `UNWATCH` on checkout
//! included. Lua scripts run as one command: one round trip.

mod common;

use rocket::http::{Cookie, Status};
use rocket::local::asynchronous::Client;
use rocket::{get, routes};
use rocket_redis_sessions::session::Session;
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

#[get("/t/sign-out")]
fn sign_out(session: Session<'_>) -> Result<(), Status> {
    session.destroy();
    session.insert("flash", "signed out").map_err(|_| Status::InternalServerError)
}

/// The app on its own Redis, warmed up (connection made, scripts cached), with one
/// visitor whose session holds `count = 1`.
async fn counted() -> Counted {
    let server = RedisServer::start();
    let figment = common::figment(&server.url(), "cmds:", json!({}));
    let rocket = rocket_redis_sessions::rocket_from(figment);
    let client = common::untracked(rocket.mount("/", routes![cycle, destroy, sign_out])).await;
    let res = client.get("/api/counter").dispatch().await;
    let cookie = set_cookie(&res, "session").unwrap().value().to_owned();
    drop(res);
    // (The first visit of `/` stores the CSRF token of its forms: a write.)
    for path in ["/api/counter", "/api/session", "/health", "/"] {
        let res = client.get(path).cookie(Cookie::new("session", cookie.clone())).dispatch();
        assert_eq!(res.await.status(), Status::Ok);
    }
    let monitor = Monitor::start(&server.url());
    Counted { _server: server, monitor, client, cookie }
}

impl Counted {
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
    assert_eq!(c.commands("/health", false).await, vec!["PING"]);
}

#[rocket::async_test]
async fn a_session_read_is_one_command_ttl_refresh_included() {
    let mut c = counted().await;
    assert_eq!(c.commands("/api/session", true).await, vec!["EVALSHA"]);
    assert_eq!(c.commands("/", true).await, vec!["EVALSHA"]);
}

#[rocket::async_test]
async fn a_session_write_is_two_commands_and_a_new_session_one() {
    let mut c = counted().await;
    assert_eq!(c.commands("/api/counter", true).await, vec!["EVALSHA", "EVALSHA"]);
    assert_eq!(c.commands("/api/counter", false).await, vec!["EVALSHA"], "create only");
}

#[rocket::async_test]
async fn rotating_destroying_and_signing_out_are_two_commands_each() {
    let mut c = counted().await;
    assert_eq!(c.commands("/t/cycle", true).await, vec!["EVALSHA", "EVALSHA"], "load + move");
    assert_eq!(c.commands("/t/sign-out", true).await, vec!["EVALSHA", "EVALSHA"], "load + swap");
    assert_eq!(c.commands("/t/destroy", true).await, vec!["EVALSHA", "UNLINK"], "load + delete");
}

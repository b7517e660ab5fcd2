//! Redis going away and coming back: bounded 503s, no lost writes, recovery by itself.
//! Each test runs its own `redis-server` so that it can stop it.

use crate::common;

use std::time::{Duration, Instant};

use rocket::http::{Accept, Cookie, Status};
use rocket::tokio::sync::Barrier;
use rocket::tokio::time::timeout;
use rocket::{State, get, routes};
use rocket_redis_sessions::Session;
use rocket_redis_sessions_demo::SessionsDb;
use rocket_redis_sessions_demo::page::ErrorResponse;
use serde_json::json;

use common::redis::RedisServer;
use common::{json_body, set_cookie};

/// A bound on every request below: the app's own timeouts are 1 s to connect and 0.5 s per
/// reply (see `common::figment`), so a request still running after this is hanging.
const BOUND: Duration = Duration::from_secs(4);

/// Loads the session, waits at the barrier twice (the test acts in between), then gives it
/// a new id and writes.
#[get("/t/slow")]
async fn slow(session: Session<'_>, gate: &State<Barrier>) -> Result<&'static str, ErrorResponse> {
    gate.wait().await;
    gate.wait().await;
    session.cycle_id()?;
    session.insert("late", &true)?;
    Ok("written")
}

fn app(server: &RedisServer) -> rocket::Rocket<rocket::Build> {
    let figment = common::figment(&server.url(), "outage:", json!({}));
    rocket_redis_sessions_demo::rocket_from(figment)
        .mount("/", routes![slow])
        .manage(Barrier::new(2))
}

#[rocket::async_test]
async fn while_redis_is_down_session_routes_answer_503_and_the_rest_keeps_working() {
    let mut server = RedisServer::start();
    let client = common::client(app(&server)).await;
    let res = client.get("/api/counter").dispatch().await;
    assert_eq!(json_body(res, Status::Ok).await, json!({ "count": 1 }));

    server.stop();
    let res = timeout(BOUND, client.get("/api/counter").dispatch()).await.expect("bounded");
    let body = json_body(res, Status::ServiceUnavailable).await;
    assert_eq!(body["status"], 503);
    assert!(body["error"].as_str().unwrap().contains("try again"), "{body}");

    let res = timeout(BOUND, client.get("/").dispatch()).await.expect("bounded");
    assert_eq!(res.status(), Status::ServiceUnavailable);
    let page = res.into_string().await.unwrap();
    assert!(page.contains("<html") && page.contains("try again"), "an HTML page: {page}");
    assert!(!page.to_lowercase().contains("redis error"), "no internals on the page");

    let res = timeout(BOUND, client.get("/health").dispatch()).await.expect("bounded");
    assert_eq!(res.status(), Status::ServiceUnavailable);
    let res = client.get("/static/style.css").dispatch().await;
    assert_eq!(res.status(), Status::Ok, "routes without a session keep working");

    server.restart();
    // The data did not survive (this server keeps nothing on disk); the app recovers alone,
    // once the breaker's probe has heard from Redis.
    let (res, _) = first_success(&client, "/api/counter").await;
    assert_eq!(res, json!({ "count": 1 }));
    let res = client.get("/health").dispatch().await;
    assert_eq!(res.status(), Status::Ok);
}

/// How long recovery may take once Redis answers: the probe's interval and one connect,
/// with a wide margin for a slow shared machine.
const RECOVERY: Duration = Duration::from_millis(1500);

/// Asks `path` every 10 ms until it answers 200; its body and how long that took.
async fn first_success(
    client: &rocket::local::asynchronous::Client,
    path: &str,
) -> (serde_json::Value, Duration) {
    let start = Instant::now();
    loop {
        let res = timeout(BOUND, client.get(path).dispatch()).await.expect("bounded");
        if res.status() == Status::Ok {
            return (res.into_json().await.unwrap(), start.elapsed());
        }
        assert_eq!(res.status(), Status::ServiceUnavailable);
        assert!(start.elapsed() < BOUND, "{path} did not recover within {BOUND:?}");
        rocket::tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The latency of each of `n` requests to `path`, which must all answer 503.
async fn refused_latencies(
    client: &rocket::local::asynchronous::Client,
    path: &str,
    n: usize,
) -> Vec<Duration> {
    let mut latencies = Vec::with_capacity(n);
    for _ in 0..n {
        let start = Instant::now();
        let res = timeout(BOUND, client.get(path).dispatch()).await.expect("bounded");
        latencies.push(start.elapsed());
        assert_eq!(res.status(), Status::ServiceUnavailable, "{path}");
    }
    latencies
}

/// Redis stops answering (`outage` does it); returns the first 503's latency, the worst of
/// the next 30 and the recovery time once `restore` brings it back, after checking the
/// breaker through `/health` on the way.
async fn breaker_figures(
    label: &str,
    outage: impl FnOnce(),
    restore: impl FnOnce(),
    client: &rocket::local::asynchronous::Client,
) -> (Duration, Duration, Duration) {
    let res = client.get("/api/counter").dispatch().await;
    assert_eq!(json_body(res, Status::Ok).await, json!({ "count": 1 }));
    outage();
    let first = refused_latencies(client, "/api/counter", 1).await[0];
    let next = refused_latencies(client, "/api/counter", 30).await;
    let worst = next.iter().max().copied().unwrap();
    let start = Instant::now();
    let health = client.get("/health").dispatch().await;
    let health_took = start.elapsed();
    let body = json_body(health, Status::ServiceUnavailable).await;
    restore();
    let (_, recovery) = first_success(client, "/api/counter").await;
    println!(
        "{label}: first 503 after {first:?}, the next 30 at worst {worst:?} (health {health_took:?}), \
         recovered {recovery:?} after Redis came back"
    );
    assert_eq!(body["circuit"], "open", "{body}");
    assert!(
        worst < Duration::from_millis(100),
        "{label}: 503s at once, not after a timeout: {next:?}"
    );
    assert!(health_took < Duration::from_millis(100), "{label}: /health at once: {health_took:?}");
    assert!(recovery < RECOVERY, "{label}: recovery took {recovery:?}");
    let health = client.get("/health").dispatch().await;
    assert_eq!(json_body(health, Status::Ok).await["circuit"], "closed");
    (first, worst, recovery)
}

#[rocket::async_test]
async fn a_frozen_redis_opens_the_breaker_503s_come_at_once_and_traffic_resumes_alone() {
    let server = RedisServer::start();
    let client = common::client(app(&server)).await;
    let (first, ..) =
        breaker_figures("SIGSTOP", || server.freeze(true), || server.freeze(false), &client).await;
    assert!(first < BOUND, "the first pays the response timeout, once: {first:?}");
    let res = client.get("/api/counter").dispatch().await;
    assert_eq!(json_body(res, Status::Ok).await, json!({ "count": 3 }), "nothing was lost");
}

#[rocket::async_test]
async fn a_killed_redis_opens_the_breaker_and_a_restart_closes_it() {
    let server = std::sync::Mutex::new(RedisServer::start());
    let url = server.lock().unwrap().url();
    let figment = common::figment(&url, "outage:", json!({}));
    let client = common::client(rocket_redis_sessions_demo::rocket_from(figment)).await;
    breaker_figures(
        "kill -9",
        || server.lock().unwrap().kill9(),
        || server.lock().unwrap().restart(),
        &client,
    )
    .await;
    let pool = client.rocket().state::<SessionsDb>().unwrap();
    assert_eq!(pool.breaker_trips(), 1, "one outage, one trip");
}

#[rocket::async_test]
async fn a_frozen_redis_gets_a_503_within_the_timeout_not_a_hang() {
    let server = RedisServer::start();
    let client = common::client(app(&server)).await;
    client.get("/api/counter").dispatch().await;

    server.freeze(true);
    let res = timeout(BOUND, client.get("/api/counter").header(Accept::JSON).dispatch()).await;
    let status = res.map(|r| r.status());
    let health = timeout(BOUND, client.get("/health").dispatch()).await.map(|r| r.status());
    server.freeze(false);
    assert_eq!(status.expect("answered within the response timeout"), Status::ServiceUnavailable);
    assert_eq!(health.expect("answered"), Status::ServiceUnavailable);

    let (res, _) = first_success(&client, "/api/counter").await;
    assert_eq!(res, json!({ "count": 2 }), "nothing was lost");
}

#[rocket::async_test]
async fn a_save_that_fails_turns_the_response_into_a_503_instead_of_losing_the_write() {
    let mut server = RedisServer::start();
    let client = common::untracked(app(&server)).await;
    let gate = client.rocket().state::<Barrier>().unwrap();
    let res = client.get("/api/counter").dispatch().await;
    let id = set_cookie(&res, "session").unwrap().value().to_owned();
    drop(res);

    let request = client.get("/t/slow").cookie(Cookie::new("session", id)).dispatch();
    let outage = async {
        gate.wait().await; // loaded
        server.stop();
        gate.wait().await; // now write, and fail to save
    };
    let (res, ()) = rocket::tokio::join!(request, outage);
    assert_eq!(res.status(), Status::ServiceUnavailable, "the visitor learns it failed");
    assert!(set_cookie(&res, "session").is_none(), "no new id for a session that was not saved");
    let page = res.into_string().await.unwrap();
    assert!(page.contains("try again"), "{page}");
}

#[rocket::async_test]
async fn after_a_redis_restart_the_first_request_already_succeeds() {
    let mut server = RedisServer::start();
    let client = common::client(app(&server)).await;
    let res = client.get("/api/counter").dispatch().await;
    assert_eq!(json_body(res, Status::Ok).await, json!({ "count": 1 }));

    // No request sees the outage: the pooled connection is dead when the next one comes.
    server.stop();
    server.restart();
    let res = timeout(BOUND, client.get("/api/counter").dispatch()).await.expect("bounded");
    assert_eq!(json_body(res, Status::Ok).await, json!({ "count": 1 }), "a fresh session, no 503");
    let res = client.get("/api/counter").dispatch().await;
    assert_eq!(json_body(res, Status::Ok).await, json!({ "count": 2 }));
}

#[rocket::async_test]
async fn a_restart_retires_every_pooled_connection_without_failing_a_command() {
    use rocket_redis_sessions::redis;
    use rocket_redis_sessions::{RedisPool, RedisPoolConfig};

    let mut server = RedisServer::start();
    let config = RedisPoolConfig {
        max_connections: 4,
        connect_timeout: 1,
        response_timeout_ms: 500,
        ..RedisPoolConfig::single(server.url())
    };
    let pool = RedisPool::new(&config).expect("a pool");
    // Four checkouts at once, before any connection exists: four connections.
    let handles = rocket::futures::future::join_all((0..4).map(|_| pool.get())).await;
    for handle in handles {
        let mut conn = handle.expect("a connection");
        let pong: String = redis::cmd("PING").query_async(&mut conn).await.unwrap();
        assert_eq!(pong, "PONG");
    }

    // Every one of them is now dead; none may fail a command.
    server.stop();
    server.restart();
    for n in 0..6 {
        let mut conn = pool.get().await.expect("a connection");
        let pong: Result<String, _> = redis::cmd("PING").query_async(&mut conn).await;
        assert_eq!(pong.expect("no command fails after the restart"), "PONG", "command {n}");
    }
}

//! The session layer seen over HTTP, through Rocket's local client and a real Redis.

use crate::common;

use std::time::Duration;

use rocket::http::{Cookie, Header, SameSite, Status};
use rocket::tokio::sync::Barrier;
use rocket::{State, get, routes};
use rocket_redis_sessions::redis;
use rocket_redis_sessions::{Session, SessionId};
use rocket_redis_sessions_demo::page::ErrorResponse;
use serde_json::{Value, json};

use common::redis as test_redis;
use common::{TestRedis, json_body, set_cookie};

const COOKIE: &str = "session";

/// Routes that drive the parts of the session API the demo app does not expose.
mod drive {
    use super::*;

    #[get("/t/set/<key>/<value>")]
    pub fn set(
        session: Session<'_>,
        key: &str,
        value: &str,
    ) -> Result<&'static str, ErrorResponse> {
        session.insert(key, value)?;
        Ok("set")
    }

    #[get("/t/cycle")]
    pub fn cycle(session: Session<'_>) -> Result<&'static str, ErrorResponse> {
        session.cycle_id()?;
        Ok("cycled")
    }

    #[get("/t/destroy")]
    pub fn destroy(session: Session<'_>) -> &'static str {
        session.destroy();
        "destroyed"
    }

    /// Ends the session and starts another in the same request (what a sign-out with a
    /// flash message does).
    #[get("/t/restart")]
    pub fn restart(session: Session<'_>) -> Result<&'static str, ErrorResponse> {
        session.destroy();
        session.insert("fresh", &true)?;
        Ok("restarted")
    }

    /// A handler's own 500 (no catcher involved) after a write.
    #[get("/t/fail")]
    pub fn fail(session: Session<'_>) -> Result<(Status, &'static str), ErrorResponse> {
        session.insert("half", &"done")?;
        Ok((Status::InternalServerError, "failed"))
    }

    /// A write, then a 4xx answered by a catcher (which resets the cookie jar).
    #[get("/t/set-then-reject/<key>")]
    pub fn set_then_reject(session: Session<'_>, key: &str) -> Result<(), Status> {
        session.insert(key, &1).map_err(|_| Status::InternalServerError)?;
        Err(Status::BadRequest)
    }

    /// A rotation, then a 4xx answered by a catcher.
    #[get("/t/cycle-then-reject")]
    pub fn cycle_then_reject(session: Session<'_>) -> Result<(), Status> {
        session.cycle_id().map_err(|_| Status::InternalServerError)?;
        Err(Status::Conflict)
    }

    #[get("/t/take/<key>")]
    pub fn take(session: Session<'_>, key: &str) -> Result<String, ErrorResponse> {
        Ok(format!("{:?}", session.take::<serde_json::Value>(key)?))
    }

    #[get("/t/clear")]
    pub fn clear(session: Session<'_>) -> &'static str {
        session.clear();
        "cleared"
    }

    #[get("/t/meta")]
    pub fn meta(session: Session<'_>) -> rocket::serde::json::Json<serde_json::Value> {
        let secs = |t: Option<std::time::SystemTime>| {
            t.map(|t| t.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs())
        };
        rocket::serde::json::Json(json!({
            "created": secs(session.created_at()),
            "expires": secs(session.expires_at()),
            "new": session.is_new(),
        }))
    }

    /// Waits at the barrier once after loading the session, then writes.
    #[get("/t/meet/<key>")]
    pub async fn meet(
        session: Session<'_>,
        gate: &State<Barrier>,
        key: &str,
    ) -> Result<&'static str, ErrorResponse> {
        gate.wait().await;
        session.insert(key, &true)?;
        Ok("met")
    }

    /// Loads the session, waits at the barrier twice (the test acts in between), then writes.
    #[get("/t/slow/<key>")]
    pub async fn slow(
        session: Session<'_>,
        gate: &State<Barrier>,
        key: &str,
    ) -> Result<&'static str, ErrorResponse> {
        gate.wait().await;
        gate.wait().await;
        session.insert(key, &true)?;
        Ok("written")
    }
}

struct Ctx {
    redis: TestRedis,
    prefix: String,
}

impl Ctx {
    /// The context of a test on the topology it runs on (single by default).
    fn new(test: &str) -> Self {
        Self { redis: TestRedis::current(), prefix: common::unique_prefix(test) }
    }

    fn rocket(&self) -> rocket::Rocket<rocket::Build> {
        self.rocket_with(json!({}))
    }

    fn rocket_with(&self, overrides: serde_json::Value) -> rocket::Rocket<rocket::Build> {
        let overrides = common::merged(self.redis.overrides(), overrides);
        let figment = common::figment(&self.redis.url(), &self.prefix, overrides);
        rocket_redis_sessions_demo::rocket_from(figment)
            .mount(
                "/",
                routes![
                    drive::set,
                    drive::cycle,
                    drive::destroy,
                    drive::restart,
                    drive::fail,
                    drive::set_then_reject,
                    drive::cycle_then_reject,
                    drive::take,
                    drive::clear,
                    drive::meta,
                    drive::meet,
                    drive::slow
                ],
            )
            .manage(Barrier::new(2))
    }

    async fn keys(&self) -> Vec<String> {
        self.redis.keys(&self.prefix).await
    }

    fn key_of(&self, cookie_value: &str) -> String {
        SessionId::parse(cookie_value).expect("a well-formed id").storage_key(&self.prefix)
    }
}

/// Starts a session with one `/api/counter` request (count 1); its cookie value.
async fn start_session(client: &rocket::local::asynchronous::Client) -> String {
    let res = client.get("/api/counter").dispatch().await;
    set_cookie(&res, COOKIE).expect("a new session's cookie").value().to_owned()
}

fn with_cookie(value: &str) -> Cookie<'static> {
    Cookie::new(COOKIE, value.to_owned())
}

async fn the_counter_counts_per_visitor_and_lives_in_redis_with_a_ttl() {
    let ctx = Ctx::new("counter");
    let client = common::client(ctx.rocket()).await;
    for expected in 1..=3 {
        let res = client.get("/api/counter").dispatch().await;
        assert_eq!(json_body(res, Status::Ok).await, json!({ "count": expected }));
    }
    let keys = ctx.keys().await;
    assert_eq!(keys.len(), 1, "one visitor, one key: {keys:?}");
    let ttl: i64 = ctx.redis.query(redis::cmd("PTTL").arg(&keys[0])).await;
    assert!((1..=1_800_000).contains(&ttl), "the key has the idle TTL, got {ttl}");

    let other = common::client(ctx.rocket()).await;
    let res = other.get("/api/counter").dispatch().await;
    assert_eq!(json_body(res, Status::Ok).await, json!({ "count": 1 }), "a new jar starts at 1");
}

async fn the_session_cookie_is_httponly_samesite_lax_path_root_and_not_secure_in_debug() {
    let ctx = Ctx::new("cookie");
    let client = common::client(ctx.rocket()).await;
    let res = client.get("/api/counter").dispatch().await;
    let cookie = set_cookie(&res, COOKIE).expect("a session cookie").into_owned();
    assert_eq!(cookie.http_only(), Some(true));
    assert_eq!(cookie.same_site(), Some(SameSite::Lax));
    assert_eq!(cookie.path(), Some("/"));
    assert_eq!(cookie.secure(), None);
    assert_eq!(cookie.domain(), None);
    assert_eq!(cookie.max_age().map(|d| d.whole_seconds()), Some(86_400));
    assert_eq!(
        cookie.value().len(),
        56,
        "a slot tag, 256 random bits, the creation time: base64url"
    );
    assert!(SessionId::parse(cookie.value()).is_some());
}

async fn a_secure_host_prefixed_cookie_is_used_when_configured() {
    let ctx = Ctx::new("host");
    let overrides = json!({"sessions.cookie_name": "__Host-sid", "sessions.secure": true});
    let client = common::client(ctx.rocket_with(overrides)).await;
    let res = client.get("/api/counter").dispatch().await;
    let cookie = set_cookie(&res, "__Host-sid").expect("a __Host- cookie");
    assert_eq!(cookie.secure(), Some(true));
    assert_eq!(cookie.path(), Some("/"));
    assert_eq!(cookie.domain(), None);
}

#[rocket::async_test]
async fn a_host_prefixed_cookie_without_secure_refuses_to_launch() {
    let ctx = Ctx::new("host-insecure");
    let overrides = json!({"sessions.cookie_name": "__Host-sid", "sessions.secure": false});
    let error = ctx.rocket_with(overrides).ignite().await.expect_err("launch must fail");
    let names = match error.kind() {
        rocket::error::ErrorKind::FailedFairings(failed) => failed.iter().map(|f| f.name),
        other => panic!("expected a failed fairing, got {other:?}"),
    };
    assert_eq!(names.collect::<Vec<_>>(), vec!["Sessions"]);
}

async fn reading_without_a_cookie_creates_no_session_and_sets_no_cookie() {
    let ctx = Ctx::new("no-cookie");
    let client = common::client(ctx.rocket()).await;
    // (The dashboard at `/` is a page with forms: it stores their CSRF token, so it does
    // create a session. See tests/pages.rs. So does an OAuth callback, which leaves a
    // message for the OAuth page it sends the visitor to.)
    for path in ["/api/session", "/health", "/static/style.css"] {
        let res = client.get(path).dispatch().await;
        assert_eq!(res.headers().get("Set-Cookie").count(), 0, "{path} sets no cookie");
        if path == "/api/session" {
            assert_eq!(json_body(res, Status::Ok).await, json!({}));
        }
    }
    assert!(ctx.keys().await.is_empty(), "no Redis key for a visitor who wrote nothing");
}

async fn a_read_only_request_sends_no_set_cookie_and_writes_nothing() {
    let ctx = Ctx::new("read-only");
    let client = common::client(ctx.rocket()).await;
    client.get("/api/counter").dispatch().await;
    let key = &ctx.keys().await[0];
    let before: Vec<String> = ctx.redis.query(redis::cmd("HGETALL").arg(key)).await;
    let res = client.get("/api/session").dispatch().await;
    assert_eq!(res.headers().get("Set-Cookie").count(), 0);
    assert_eq!(json_body(res, Status::Ok).await, json!({ "count": 1 }));
    let after: Vec<String> = ctx.redis.query(redis::cmd("HGETALL").arg(key)).await;
    assert_eq!(before, after);
}

async fn cycle_id_keeps_the_data_and_the_old_cookie_stops_working() {
    let ctx = Ctx::new("cycle");
    let client = common::untracked(ctx.rocket()).await;
    let old = start_session(&client).await;

    let res = client.get("/t/cycle").cookie(with_cookie(&old)).dispatch().await;
    assert_eq!(res.status(), Status::Ok);
    let new = set_cookie(&res, COOKIE).expect("a new cookie").value().to_owned();
    assert_ne!(new, old);

    let res = client.get("/api/session").cookie(with_cookie(&new)).dispatch().await;
    assert_eq!(json_body(res, Status::Ok).await, json!({ "count": 1 }), "data kept");
    let res = client.get("/api/session").cookie(with_cookie(&old)).dispatch().await;
    assert_eq!(json_body(res, Status::Ok).await, json!({}), "the old id is dead");
    assert_eq!(ctx.keys().await, vec![ctx.key_of(&new)]);
}

/// Every id a session is given later keeps its slot tag, so its old and new keys are in
/// one Redis Cluster slot: a rotation and a destroy-then-create are one script on one node.
async fn a_rotated_or_restarted_session_keeps_its_slot_tag() {
    let ctx = Ctx::new("tag");
    let client = common::untracked(ctx.rocket()).await;
    let first = start_session(&client).await;
    let tag = SessionId::parse(&first).unwrap().tag();

    let res = client.get("/t/cycle").cookie(with_cookie(&first)).dispatch().await;
    let rotated = set_cookie(&res, COOKIE).expect("a new cookie").value().to_owned();
    let res = client.get("/t/restart").cookie(with_cookie(&rotated)).dispatch().await;
    assert_eq!(res.status(), Status::Ok);
    let restarted = set_cookie(&res, COOKIE).expect("a new cookie").value().to_owned();
    for id in [&rotated, &restarted] {
        assert_eq!(SessionId::parse(id).unwrap().tag(), tag, "the first id's slot tag");
    }
    assert_ne!(restarted, rotated);
    let res = client.get("/api/session").cookie(with_cookie(&restarted)).dispatch().await;
    assert_eq!(json_body(res, Status::Ok).await, json!({ "fresh": true }), "a new session");
    let hash_tag = format!("{{{:02x}{:02x}}}", tag[0], tag[1]);
    assert_eq!(ctx.keys().await, vec![ctx.key_of(&restarted)]);
    assert!(ctx.key_of(&restarted).contains(&hash_tag), "{}", ctx.key_of(&restarted));
}

async fn destroy_deletes_the_key_and_removes_the_cookie_with_the_same_attributes() {
    let ctx = Ctx::new("destroy");
    let client = common::untracked(ctx.rocket()).await;
    let id = start_session(&client).await;
    assert_eq!(ctx.keys().await.len(), 1);

    let res = client.get("/t/destroy").cookie(with_cookie(&id)).dispatch().await;
    let removal = set_cookie(&res, COOKIE).expect("a removal cookie").into_owned();
    assert_eq!(removal.value(), "");
    assert_eq!(removal.max_age().map(|d| d.whole_seconds()), Some(0));
    assert_eq!(removal.http_only(), Some(true));
    assert_eq!(removal.same_site(), Some(SameSite::Lax));
    assert_eq!(removal.path(), Some("/"));
    assert!(ctx.keys().await.is_empty(), "the key is deleted");

    let res = client.get("/api/counter").cookie(with_cookie(&id)).dispatch().await;
    let fresh = set_cookie(&res, COOKIE).unwrap().value().to_owned();
    assert_ne!(fresh, id, "a destroyed id is never revived");
    assert_eq!(json_body(res, Status::Ok).await, json!({ "count": 1 }));
}

async fn a_session_that_went_idle_comes_back_empty() {
    let ctx = Ctx::new("idle");
    let client = common::untracked(ctx.rocket()).await;
    let id = start_session(&client).await;
    let key = ctx.key_of(&id);
    // Let Redis expire it as an idle timeout would, and wait until it has.
    let _: () = ctx.redis.query(redis::cmd("PEXPIRE").arg(&key).arg(1)).await;
    for _ in 0..500 {
        let exists: i64 = ctx.redis.query(redis::cmd("EXISTS").arg(&key)).await;
        if exists == 0 {
            break;
        }
        rocket::tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let res = client.get("/api/session").cookie(with_cookie(&id)).dispatch().await;
    assert_eq!(json_body(res, Status::Ok).await, json!({}));
}

async fn a_session_key_holding_another_type_gets_the_visitor_a_new_session() {
    let ctx = Ctx::new("wrongtype");
    let client = common::untracked(ctx.rocket()).await;
    let id = start_session(&client).await;
    let key = ctx.key_of(&id);
    let _: () = ctx.redis.query(redis::cmd("DEL").arg(&key)).await;
    let _: () = ctx.redis.query(redis::cmd("SET").arg(&key).arg("x")).await;

    let res = client.get("/api/counter").cookie(with_cookie(&id)).dispatch().await;
    let fresh = set_cookie(&res, COOKIE).expect("a new session").value().to_owned();
    assert_ne!(fresh, id);
    assert_eq!(json_body(res, Status::Ok).await, json!({ "count": 1 }));
    let left: String = ctx.redis.query(redis::cmd("GET").arg(&key)).await;
    assert_eq!(left, "x", "what is not ours is left alone");
}

async fn a_session_past_its_absolute_lifetime_comes_back_empty_and_is_deleted() {
    let ctx = Ctx::new("absolute");
    let client = common::untracked(ctx.rocket()).await;
    // Created two days ago (the id carries the time): past the 24 h lifetime however
    // recently it was used, though Redis still holds it.
    let two_days_ago = common::now_ms() - 2 * 86_400_000;
    let id = SessionId::generate(two_days_ago, None).unwrap().encode();
    let key = ctx.key_of(&id);
    let old = redis::cmd("HSET").arg(&key).arg("count").arg("41").to_owned();
    let _: () = ctx.redis.query(&old).await;
    let _: () = ctx.redis.query(redis::cmd("PEXPIRE").arg(&key).arg(60_000)).await;

    let res = client.get("/api/counter").cookie(with_cookie(&id)).dispatch().await;
    let fresh = set_cookie(&res, COOKIE).expect("a new session").value().to_owned();
    assert_ne!(fresh, id);
    assert_eq!(json_body(res, Status::Ok).await, json!({ "count": 1 }));
    assert_eq!(ctx.keys().await, vec![ctx.key_of(&fresh)], "the old key was deleted");
}

async fn a_cookie_with_another_creation_time_is_another_session_and_never_adopted() {
    // The creation time rides in the id, so a visitor could try to move it forward to
    // escape the absolute lifetime: the storage key is the hash of the whole id, so the
    // edited id names an empty key and the visitor gets a new session.
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let ctx = Ctx::new("retimed");
    let client = common::untracked(ctx.rocket()).await;
    let id = start_session(&client).await;
    let mut bytes = URL_SAFE_NO_PAD.decode(&id).expect("base64url");
    assert_eq!(bytes.len(), 42, "a slot tag, 32 random bytes, then the creation time");
    let later = SessionId::parse(&id).unwrap().created_ms() + 3_600_000;
    bytes[34..].copy_from_slice(&later.to_be_bytes());
    let retimed = URL_SAFE_NO_PAD.encode(&bytes);
    assert_eq!(SessionId::parse(&retimed).map(|id| id.created_ms()), Some(later));

    let res = client.get("/api/counter").cookie(with_cookie(&retimed)).dispatch().await;
    let fresh = set_cookie(&res, COOKIE).expect("a new session").value().to_owned();
    assert_ne!(fresh, retimed);
    assert_eq!(json_body(res, Status::Ok).await, json!({ "count": 1 }));
    let mut keys = ctx.keys().await;
    keys.sort();
    let mut expected = vec![ctx.key_of(&id), ctx.key_of(&fresh)];
    expected.sort();
    assert_eq!(keys, expected, "nothing was stored under the edited id");
    let res = client.get("/api/session").cookie(with_cookie(&id)).dispatch().await;
    assert_eq!(json_body(res, Status::Ok).await, json!({ "count": 1 }), "the real one is intact");
}

async fn garbled_or_forged_cookies_get_a_fresh_session_and_are_never_adopted() {
    let ctx = Ctx::new("forged");
    let client = common::untracked(ctx.rocket()).await;
    let forged = SessionId::generate(common::now_ms(), None).unwrap().encode();
    for bad in ["garbage", "", "%%%", &"A".repeat(500), forged.as_str()] {
        let res = client.get("/api/counter").cookie(with_cookie(bad)).dispatch().await;
        assert_eq!(res.status(), Status::Ok, "cookie {bad:?}");
        let minted = set_cookie(&res, COOKIE).expect("a fresh cookie").value().to_owned();
        assert_ne!(minted, bad);
        assert_eq!(json_body(res, Status::Ok).await, json!({ "count": 1 }));
    }
    let keys = ctx.keys().await;
    assert_eq!(keys.len(), 5);
    assert!(!keys.contains(&ctx.key_of(&forged)), "the forged id was not adopted");

    // A read with a dead cookie creates nothing and tells the browser to drop it.
    let res = client.get("/api/session").cookie(with_cookie(&forged)).dispatch().await;
    let removal = set_cookie(&res, COOKIE).expect("a removal cookie").into_owned();
    assert_eq!((removal.value(), removal.max_age().map(|d| d.whole_seconds())), ("", Some(0)));
    assert_eq!(json_body(res, Status::Ok).await, json!({}));
    assert_eq!(ctx.keys().await.len(), 5);
}

async fn parallel_writers_both_keep_their_change(store: &str) {
    let ctx = Ctx::new("parallel");
    let client = common::untracked(ctx.rocket_with(json!({"sessions.store": store}))).await;
    let id = start_session(&client).await;

    // Both requests load the session before either saves (they meet at a barrier).
    let a = client.get("/t/meet/a").cookie(with_cookie(&id)).dispatch();
    let b = client.get("/t/meet/b").cookie(with_cookie(&id)).dispatch();
    let (a, b) = rocket::tokio::join!(a, b);
    assert_eq!((a.status(), b.status()), (Status::Ok, Status::Ok));

    let res = client.get("/api/session").cookie(with_cookie(&id)).dispatch().await;
    let body = json_body(res, Status::Ok).await;
    assert_eq!(body, json!({ "a": true, "b": true, "count": 1 }), "{store} store");
}

async fn parallel_requests_changing_different_keys_both_keep_their_change() {
    parallel_writers_both_keep_their_change("redis").await;
}

#[rocket::async_test]
async fn parallel_requests_changing_different_keys_both_keep_their_change_in_memory() {
    parallel_writers_both_keep_their_change("memory").await;
}

async fn late_save_after_destroy(store: &str) {
    let ctx = Ctx::new("resurrect");
    let client = common::untracked(ctx.rocket_with(json!({"sessions.store": store}))).await;
    let gate = client.rocket().state::<Barrier>().expect("the gate");
    let id = start_session(&client).await;

    let slow = client.get("/t/slow/late").cookie(with_cookie(&id)).dispatch();
    let logout = async {
        gate.wait().await; // the slow request has loaded the session
        let res = client.get("/t/destroy").cookie(with_cookie(&id)).dispatch().await;
        assert_eq!(res.status(), Status::Ok);
        gate.wait().await; // now let it write
    };
    let (slow, ()) = rocket::tokio::join!(slow, logout);
    assert_eq!(slow.status(), Status::Ok);
    assert!(set_cookie(&slow, COOKIE).is_none(), "no new id for a session that is gone");
    let res = client.get("/api/session").cookie(with_cookie(&id)).dispatch().await;
    assert_eq!(json_body(res, Status::Ok).await, json!({}), "{store}: not brought back");
    assert!(ctx.keys().await.is_empty());
}

async fn a_save_racing_a_destroy_does_not_resurrect_the_session() {
    late_save_after_destroy("redis").await;
}

#[rocket::async_test]
async fn a_save_racing_a_destroy_does_not_resurrect_the_session_in_memory() {
    late_save_after_destroy("memory").await;
}

async fn nothing_is_saved_when_the_handler_answers_5xx() {
    let ctx = Ctx::new("5xx");
    let client = common::untracked(ctx.rocket()).await;
    let res = client.get("/t/fail").dispatch().await;
    assert_eq!(res.status(), Status::InternalServerError);
    assert!(set_cookie(&res, COOKIE).is_none(), "no cookie for an unsaved session");
    assert!(ctx.keys().await.is_empty());

    let id = start_session(&client).await;
    client.get("/t/fail").cookie(with_cookie(&id)).dispatch().await;
    let res = client.get("/api/session").cookie(with_cookie(&id)).dispatch().await;
    assert_eq!(json_body(res, Status::Ok).await, json!({ "count": 1 }), "no `half` key");
}

async fn sessions_survive_an_app_restart() {
    let ctx = Ctx::new("restart");
    let first = common::untracked(ctx.rocket()).await;
    let res = first.get("/api/counter").dispatch().await;
    let id = set_cookie(&res, COOKIE).unwrap().value().to_owned();
    drop(res);
    first.get("/api/counter").cookie(with_cookie(&id)).dispatch().await;
    drop(first);

    let second = common::untracked(ctx.rocket()).await;
    let res = second.get("/api/counter").cookie(with_cookie(&id)).dispatch().await;
    assert_eq!(json_body(res, Status::Ok).await, json!({ "count": 3 }));
}

async fn an_insert_past_max_bytes_is_refused_with_413_and_not_stored() {
    let ctx = Ctx::new("too-large");
    let client = common::untracked(ctx.rocket_with(json!({"sessions.max_bytes": 64}))).await;
    let big = "x".repeat(100);
    let res = client
        .get(format!("/t/set/k/{big}"))
        .header(Header::new("Accept", "application/json"))
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::PayloadTooLarge);
    assert!(ctx.keys().await.is_empty());
}

async fn a_count_that_is_not_an_integer_gets_a_clear_409_and_is_kept() {
    let ctx = Ctx::new("corrupt");
    let client = common::untracked(ctx.rocket()).await;
    let res = client.get("/t/set/count/many").dispatch().await;
    let id = set_cookie(&res, COOKIE).unwrap().value().to_owned();
    let res = client.get("/api/counter").cookie(with_cookie(&id)).dispatch().await;
    let body = json_body(res, Status::Conflict).await;
    assert_eq!(body["error"], "A value in your session does not have the expected type.");
    let res = client.get("/api/session").cookie(with_cookie(&id)).dispatch().await;
    assert_eq!(json_body(res, Status::Ok).await, json!({ "count": "many" }));
}

#[rocket::async_test]
async fn the_memory_store_serves_the_same_api_without_touching_redis() {
    let ctx = Ctx::new("memory");
    let client = common::client(ctx.rocket_with(json!({"sessions.store": "memory"}))).await;
    for expected in 1..=2 {
        let res = client.get("/api/counter").dispatch().await;
        assert_eq!(json_body(res, Status::Ok).await, json!({ "count": expected }));
    }
    let res = client.get("/health").dispatch().await;
    assert_eq!(json_body(res, Status::Ok).await, json!({"status": "ok", "store": "memory"}));
    assert!(ctx.keys().await.is_empty());
}

#[rocket::async_test]
async fn auto_falls_back_to_memory_with_a_banner_when_redis_is_down_at_launch() {
    let mut dead = test_redis::RedisServer::start();
    let url = dead.url();
    dead.stop();
    let figment = common::figment(&url, "x:", json!({"sessions.store": "auto"}));
    let client = common::client(rocket_redis_sessions_demo::rocket_from(figment)).await;
    let res = client.get("/health").dispatch().await;
    assert_eq!(json_body(res, Status::Ok).await, json!({"status": "ok", "store": "memory"}));
    client.get("/api/counter").dispatch().await;
    let page = client.get("/").dispatch().await.into_string().await.unwrap();
    assert!(page.contains("in memory"), "the dashboard warns about the fallback");
}

async fn health_reports_redis_when_it_answers() {
    let ctx = Ctx::new("health");
    let client = common::untracked(ctx.rocket()).await;
    let res = client.get("/health").dispatch().await;
    assert!(res.headers().get("Set-Cookie").next().is_none());
    let body = json_body(res, Status::Ok).await;
    assert_eq!((&body["status"], &body["store"]), (&json!("ok"), &json!("redis")), "{body}");
    // One server and Sentinel have a circuit breaker; a cluster has none.
    let circuit = match ctx.redis {
        TestRedis::Cluster(_) => Value::Null,
        _ => json!("closed"),
    };
    assert_eq!(body["circuit"], circuit, "{body}");
}

async fn the_dashboard_lists_the_session_escaped() {
    let ctx = Ctx::new("dashboard");
    let client = common::client(ctx.rocket()).await;
    client.get("/t/set/%3Cscript%3Ex/%3Cb%3E").dispatch().await;
    let page = client.get("/").dispatch().await.into_string().await.unwrap();
    assert!(page.contains("&lt;script&gt;x"), "the key is escaped");
    assert!(!page.contains("<script>"), "no raw markup from the session");
    assert!(!page.contains("<b>"));
}

async fn a_write_before_a_caught_4xx_is_saved_and_its_cookie_still_sent() {
    let ctx = Ctx::new("caught");
    let client = common::untracked(ctx.rocket()).await;
    let res = client.get("/t/set-then-reject/k").dispatch().await;
    assert_eq!(res.status(), Status::BadRequest);
    let id = set_cookie(&res, COOKIE).expect("the cookie of the saved session").value().to_owned();
    assert_eq!(ctx.keys().await, vec![ctx.key_of(&id)]);
    let res = client.get("/api/session").cookie(with_cookie(&id)).dispatch().await;
    assert_eq!(json_body(res, Status::Ok).await, json!({ "k": 1 }));
}

async fn a_rotation_before_a_caught_4xx_still_sends_the_new_id() {
    let ctx = Ctx::new("caught-cycle");
    let client = common::untracked(ctx.rocket()).await;
    let old = start_session(&client).await;
    let res = client.get("/t/cycle-then-reject").cookie(with_cookie(&old)).dispatch().await;
    assert_eq!(res.status(), Status::Conflict);
    let new = set_cookie(&res, COOKIE).expect("the new id").value().to_owned();
    assert_ne!(new, old);
    let res = client.get("/api/session").cookie(with_cookie(&new)).dispatch().await;
    assert_eq!(json_body(res, Status::Ok).await, json!({ "count": 1 }), "the visitor keeps it");
}

async fn take_reads_and_removes_and_clear_empties_without_ending_the_session() {
    let ctx = Ctx::new("take");
    let client = common::client(ctx.rocket()).await;
    client.get("/t/set/a/x").dispatch().await;
    client.get("/t/set/b/y").dispatch().await;
    let taken = client.get("/t/take/a").dispatch().await.into_string().await.unwrap();
    assert_eq!(taken, "Some(String(\"x\"))");
    let again = client.get("/t/take/a").dispatch().await.into_string().await.unwrap();
    assert_eq!(again, "None", "taken once only");
    let res = client.get("/api/session").dispatch().await;
    assert_eq!(json_body(res, Status::Ok).await, json!({ "b": "y" }));

    client.get("/t/clear").dispatch().await;
    let res = client.get("/api/session").dispatch().await;
    assert_eq!(json_body(res, Status::Ok).await, json!({}));
    assert_eq!(ctx.keys().await.len(), 1, "the session itself stays");
}

async fn created_and_expiry_times_follow_the_configuration() {
    let ctx = Ctx::new("meta");
    let client = common::client(ctx.rocket_with(json!({"sessions.idle_timeout": 600}))).await;
    let res = client.get("/t/meta").dispatch().await;
    let body = json_body(res, Status::Ok).await;
    assert_eq!(body, json!({"created": null, "expires": null, "new": true}), "no session yet");

    let before = common::now_ms() / 1000;
    client.get("/api/counter").dispatch().await;
    let res = client.get("/t/meta").dispatch().await;
    let body = json_body(res, Status::Ok).await;
    let after = common::now_ms() / 1000;
    let created = body["created"].as_u64().unwrap();
    let expires = body["expires"].as_u64().unwrap();
    assert!((before..=after).contains(&created), "{body}");
    assert!((before + 600..=after + 600).contains(&expires), "idle timeout from now: {body}");
    assert_eq!(body["new"], false);
}

// Every test above that is not about one store runs on a single Redis, a Redis Cluster
// and a Sentinel-managed primary.
crate::on_every_topology!(
    the_counter_counts_per_visitor_and_lives_in_redis_with_a_ttl,
    the_session_cookie_is_httponly_samesite_lax_path_root_and_not_secure_in_debug,
    a_secure_host_prefixed_cookie_is_used_when_configured,
    reading_without_a_cookie_creates_no_session_and_sets_no_cookie,
    a_read_only_request_sends_no_set_cookie_and_writes_nothing,
    cycle_id_keeps_the_data_and_the_old_cookie_stops_working,
    a_rotated_or_restarted_session_keeps_its_slot_tag,
    destroy_deletes_the_key_and_removes_the_cookie_with_the_same_attributes,
    a_session_that_went_idle_comes_back_empty,
    a_session_key_holding_another_type_gets_the_visitor_a_new_session,
    a_session_past_its_absolute_lifetime_comes_back_empty_and_is_deleted,
    a_cookie_with_another_creation_time_is_another_session_and_never_adopted,
    garbled_or_forged_cookies_get_a_fresh_session_and_are_never_adopted,
    parallel_requests_changing_different_keys_both_keep_their_change,
    a_save_racing_a_destroy_does_not_resurrect_the_session,
    nothing_is_saved_when_the_handler_answers_5xx,
    sessions_survive_an_app_restart,
    an_insert_past_max_bytes_is_refused_with_413_and_not_stored,
    a_count_that_is_not_an_integer_gets_a_clear_409_and_is_kept,
    health_reports_redis_when_it_answers,
    the_dashboard_lists_the_session_escaped,
    a_write_before_a_caught_4xx_is_saved_and_its_cookie_still_sent,
    a_rotation_before_a_caught_4xx_still_sends_the_new_id,
    take_reads_and_removes_and_clear_empties_without_ending_the_session,
    created_and_expiry_times_follow_the_configuration,
);

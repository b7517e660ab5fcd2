//! Failovers under session traffic: a Redis Cluster master killed (kill -9), a
//! Sentinel-managed primary killed, and a forced `SENTINEL FAILOVER`. Each test owns its
//! topology. While Redis fails over, session requests answer 503 and nothing else; then
//! they succeed again without an app restart, and no session loses a write that Redis
//! had replicated. The 503 window and the time to recover are printed; the deadlines
//! asserted are generous (this machine is small and shared).

use crate::common;

use std::time::{Duration, Instant};

use rocket::http::{Cookie, Status};
use rocket::local::asynchronous::Client;
use rocket_redis_sessions::redis;
use rocket_redis_sessions::{SessionId, SessionLayer};
use serde_json::{Value, json};

use common::redis::{RedisCluster, RedisServer, SentinelSet};

/// Most a failover may take before the test fails.
const DEADLINE: Duration = Duration::from_secs(20);
/// Visitors, each with a session of its own.
const VISITORS: usize = 8;

/// A visitor counting with `/api/counter`, and what the app told it.
struct Visitor {
    cookie: String,
    /// The last count answered with 200: acknowledged.
    acked: u64,
    /// 503s since then: each may or may not have saved its increment.
    unsure: u64,
}

/// What a stretch of traffic saw.
#[derive(Default)]
struct Seen {
    first_503: Option<Duration>,
    last_503: Option<Duration>,
    answered_503: usize,
    answered_200: usize,
}

impl Seen {
    /// `self` followed by `later`.
    fn then(mut self, later: Seen) -> Seen {
        self.answered_200 += later.answered_200;
        self.answered_503 += later.answered_503;
        self.first_503 = self.first_503.or(later.first_503);
        self.last_503 = later.last_503.or(self.last_503);
        self
    }

    fn report(&self, what: &str, recovered: Duration) {
        let ms =
            |d: Option<Duration>| d.map_or("-".to_owned(), |d| format!("{} ms", d.as_millis()));
        println!(
            "{what}: 503s from {} to {} after the failure ({} answered 503, {} answered 200); \
             every visitor served again after {} ms",
            ms(self.first_503),
            ms(self.last_503),
            self.answered_503,
            self.answered_200,
            recovered.as_millis()
        );
    }
}

async fn app(overrides: Value, test: &str) -> (Client, String) {
    let prefix = common::unique_prefix(test);
    let base = json!({ "databases.sessions.response_timeout_ms": 1000 });
    let figment = common::with(common::figment("redis://unused", &prefix, base), overrides);
    (common::untracked(rocket_redis_sessions_demo::rocket_from(figment)).await, prefix)
}

/// One `/api/counter` for `visitor`: `Some(count)` on 200, `None` on 503; any other
/// status, or a count that lost an acknowledged increment, fails the test.
async fn count(client: &Client, visitor: &mut Visitor) -> Option<u64> {
    let cookie = Cookie::new("session", visitor.cookie.clone());
    let res = client.get("/api/counter").cookie(cookie).dispatch().await;
    match res.status() {
        Status::Ok => {}
        Status::ServiceUnavailable => {
            visitor.unsure += 1;
            return None;
        }
        other => panic!("a session request answered {other} during a failover"),
    }
    let body: Value = serde_json::from_str(&res.into_string().await.unwrap()).unwrap();
    let count = body["count"].as_u64().expect("a count");
    let (low, high) = (visitor.acked + 1, visitor.acked + 1 + visitor.unsure);
    assert!(
        (low..=high).contains(&count),
        "count {count}: an acknowledged increment was lost (expected {low}..={high})"
    );
    visitor.acked = count;
    visitor.unsure = 0;
    Some(count)
}

/// Visitors with a session each (count 1).
async fn visitors(client: &Client) -> Vec<Visitor> {
    let mut visitors = Vec::new();
    for _ in 0..VISITORS {
        let res = client.get("/api/counter").dispatch().await;
        assert_eq!(res.status(), Status::Ok);
        let cookie = res.cookies().get("session").expect("a session cookie").value().to_owned();
        visitors.push(Visitor { cookie, acked: 1, unsure: 0 });
    }
    visitors
}

/// One request per visitor, counted strictly (see [`count`]) and noted in `seen` (times
/// from `start`); whether any answered 503.
async fn round(client: &Client, visitors: &mut [Visitor], seen: &mut Seen, start: Instant) -> bool {
    let mut failed = false;
    for visitor in visitors.iter_mut() {
        match count(client, visitor).await {
            Some(_) => seen.answered_200 += 1,
            None => {
                failed = true;
                seen.answered_503 += 1;
                seen.first_503.get_or_insert(start.elapsed());
                seen.last_503 = Some(start.elapsed());
            }
        }
    }
    failed
}

/// Rounds of one request per visitor from `start` on, until a whole round answers 200
/// after at least one 503; returns what was seen and when the last round began.
async fn ride_out(client: &Client, visitors: &mut [Visitor], start: Instant) -> (Seen, Duration) {
    let mut seen = Seen::default();
    loop {
        let round_began = start.elapsed();
        assert!(round_began < DEADLINE, "still failing {DEADLINE:?} after the failure");
        let failed = round(client, visitors, &mut seen, start).await;
        if !failed && seen.answered_503 > 0 {
            return (seen, round_began);
        }
        if !failed && round_began > Duration::from_secs(5) {
            // Nothing failed at all: the failover was invisible to the visitors.
            return (seen, round_began);
        }
        rocket::tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A few more rounds, every request answering 200 with its increment.
async fn all_served(client: &Client, visitors: &mut [Visitor]) {
    for _ in 0..3 {
        for visitor in visitors.iter_mut() {
            assert!(count(client, visitor).await.is_some(), "a request failed after recovery");
        }
    }
}

fn key_of(prefix: &str, cookie: &str) -> String {
    SessionId::parse(cookie).expect("an id").storage_key(prefix)
}

/// A cluster master is killed under traffic: requests to its slots answer 503 until the
/// cluster promotes its replica, then every session works again, its replicated writes
/// intact.
#[rocket::async_test]
async fn a_cluster_rides_out_a_killed_master() {
    let mut cluster =
        rocket::tokio::task::spawn_blocking(|| RedisCluster::start(1000)).await.unwrap();
    let overrides = json!({
        "databases.sessions.mode": "cluster",
        "databases.sessions.urls": cluster.urls(),
    });
    let (client, prefix) = app(overrides, "cluster-failover").await;
    let mut visitors = visitors(&client).await;
    for visitor in &mut visitors {
        count(&client, visitor).await.expect("served before the failure");
    }
    // Every write so far is on a replica too; the victim serves the first visitor.
    let keys: Vec<String> = visitors.iter().map(|v| key_of(&prefix, &v.cookie)).collect();
    let victim = cluster.master_of(&keys[0]);
    let on_victim = keys.iter().filter(|k| cluster.master_of(k) == victim).count();
    for key in &keys {
        cluster.replicate(key);
    }

    let start = Instant::now();
    cluster.kill9(victim);
    let (seen, recovered) = ride_out(&client, &mut visitors, start).await;
    seen.report(
        &format!("cluster master killed ({on_victim} of {VISITORS} sessions on it)"),
        recovered,
    );
    assert!(seen.answered_503 > 0, "sessions on the killed master cannot have been served");
    all_served(&client, &mut visitors).await;
    // The cluster connection healed itself: the pool never threw it away for a new one
    // (which would start from the seeds and lose its reconnection state).
    let layer = client.rocket().state::<SessionLayer>().expect("the session layer");
    let made = layer.redis_pool().expect("a Redis pool").connections_made();
    assert_eq!(made, 1, "cluster connections made");
}

/// A Sentinel-managed primary is killed under traffic: 503s until the Sentinels promote
/// the replica, which the app then finds by itself.
#[rocket::async_test]
async fn sentinel_mode_follows_a_killed_primary() {
    let mut set = rocket::tokio::task::spawn_blocking(|| SentinelSet::start(1000)).await.unwrap();
    let (client, _) = app(sentinel_overrides(&set), "sentinel-kill").await;
    let mut visitors = visitors(&client).await;
    set.replicate();

    let asked_before = sentinel_questions(&set);
    let start = Instant::now();
    let old = set.kill9_primary();
    let (seen, recovered) = ride_out(&client, &mut visitors, start).await;
    seen.report("Sentinel primary killed", recovered);
    // Every failed request would ask the Sentinels again (a storm: ~1,000 questions in
    // 2 s measured without the throttle); throttled, a few per second are asked, plus the
    // watcher's polls and the Sentinels' own questions to each other.
    let asked = sentinel_questions(&set) - asked_before;
    println!("the Sentinels ran {asked} commands during the failover");
    assert!(asked < 300, "{asked} questions to the Sentinels: re-resolving is not throttled");
    assert!(seen.answered_503 > 0, "nothing can be served while no primary is named");
    let new = set.primary_port();
    assert_ne!(new, old);
    all_served(&client, &mut visitors).await;
}

/// Commands the Sentinels of `set` have run so far, all together (a Sentinel counts no
/// command statistics, only this total: the app's questions, the Sentinels' own pings and
/// questions to each other, and these `INFO`s).
fn sentinel_questions(set: &SentinelSet) -> u64 {
    set.sentinel_urls()
        .iter()
        .map(|url| {
            let port: u16 = url.rsplit(':').next().unwrap().parse().unwrap();
            let stats: String =
                common::redis::on_port(port, redis::cmd("INFO").arg("stats")).unwrap();
            let line = stats.lines().find_map(|l| l.strip_prefix("total_commands_processed:"));
            line.and_then(|n| n.trim().parse::<u64>().ok()).unwrap_or(0)
        })
        .sum()
}

fn sentinel_overrides(set: &SentinelSet) -> Value {
    json!({
        "databases.sessions.mode": "sentinel",
        "databases.sessions.sentinels": set.sentinel_urls(),
        "databases.sessions.master_name": set.master_name,
        "databases.sessions.sentinel_poll_ms": 200,
    })
}

/// A forced failover leaves the old primary up and taking writes for seconds, until the
/// Sentinels make it a replica (which drops them). The app must notice the switch by
/// itself: soon after the Sentinels name the new primary, the app's writes land there.
#[rocket::async_test]
async fn sentinel_mode_follows_a_forced_failover_while_the_old_primary_still_answers() {
    let set = rocket::tokio::task::spawn_blocking(|| SentinelSet::start(1000)).await.unwrap();
    let set = std::sync::Arc::new(set);
    let (client, prefix) = app(sentinel_overrides(&set), "sentinel-forced").await;
    let mut visitors = visitors(&client).await;
    set.replicate();
    let replicated: Vec<u64> = visitors.iter().map(|v| v.acked).collect();

    let start = Instant::now();
    let waiting = forced_failover(&set);
    // Traffic goes on meanwhile. Writes the old primary takes after the promotion are
    // lost when it becomes a replica: here the visitors only note what they are told.
    while !waiting.is_finished() {
        for visitor in visitors.iter_mut() {
            let _ = lenient_count(&client, visitor).await;
        }
        rocket::tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let new = waiting.await.unwrap();
    let named = start.elapsed();
    // Within a few polls of the watcher, the app writes to the new primary.
    rocket::tokio::time::sleep(Duration::from_millis(1500)).await;
    let followed = start.elapsed();
    for (visitor, replicated) in visitors.iter_mut().zip(&replicated) {
        let count = lenient_count(&client, visitor).await.expect("served after the switch");
        assert!(count > *replicated, "a write replicated before the failover was lost");
        let key = key_of(&prefix, &visitor.cookie);
        let on_new: Option<String> =
            common::redis::on_port(new, redis::cmd("HGET").arg(&key).arg("count"))
                .expect("the new primary answers");
        assert_eq!(
            on_new.as_deref(),
            Some(count.to_string().as_str()),
            "the app's write did not land on the new primary {:?} after the failover",
            followed
        );
    }
    println!(
        "forced Sentinel failover: the Sentinels named the new primary after {} ms; the app's \
         writes land there {} ms after the failover began",
        named.as_millis(),
        followed.as_millis()
    );
}

/// Asks the Sentinels of `set` for a failover now; the task returned ends when every
/// Sentinel names the new primary, with its port.
fn forced_failover(set: &std::sync::Arc<SentinelSet>) -> rocket::tokio::task::JoinHandle<u16> {
    let old = set.primary_port();
    set.force_failover();
    let set = set.clone();
    rocket::tokio::task::spawn_blocking(move || set.wait_new_primary(old, DEADLINE))
}

/// `/api/counter` for `visitor`, taking whatever count comes (the forced failover may
/// drop writes the old primary took after the promotion): `Some(count)` on 200, `None`
/// on 503, any other status fails.
async fn lenient_count(client: &Client, visitor: &mut Visitor) -> Option<u64> {
    let cookie = Cookie::new("session", visitor.cookie.clone());
    let res = client.get("/api/counter").cookie(cookie).dispatch().await;
    match res.status() {
        Status::Ok => {
            let body: Value = serde_json::from_str(&res.into_string().await.unwrap()).unwrap();
            let count = body["count"].as_u64().expect("a count");
            visitor.acked = count;
            Some(count)
        }
        Status::ServiceUnavailable => None,
        other => panic!("a session request answered {other} during a failover"),
    }
}

/// `min_replicas_ack = 1`: a write counts as saved only once a replica has it. With the
/// replica frozen, writes answer 503 (after the bounded wait) while reads still work; once
/// it answers again, so do writes.
#[rocket::async_test]
async fn with_min_replicas_ack_a_write_no_replica_confirms_is_a_503() {
    let primary = RedisServer::start();
    let replica = RedisServer::start_with(&[
        "--replicaof".into(),
        "127.0.0.1".into(),
        primary.port().to_string(),
    ]);
    let synced = || {
        let info: String =
            common::redis::on_port(replica.port(), redis::cmd("INFO").arg("replication")).unwrap();
        info.contains("master_link_status:up")
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while !synced() {
        assert!(Instant::now() < deadline, "the replica did not sync");
        rocket::tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let overrides = json!({
        "databases.sessions.url": primary.url(),
        "databases.sessions.min_replicas_ack": 1,
        "databases.sessions.replica_ack_timeout_ms": 200,
    });
    let (client, _) = app(overrides, "min-replicas").await;
    let mut visitors = visitors(&client).await;
    let visitor = &mut visitors[0];
    assert_eq!(count(&client, visitor).await, Some(2), "confirmed by the replica");

    replica.freeze(true);
    let started = Instant::now();
    assert_eq!(count(&client, visitor).await, None, "no replica confirms: 503");
    let waited = started.elapsed();
    println!("a write no replica confirmed answered 503 after {} ms", waited.as_millis());
    assert!(waited >= Duration::from_millis(200), "it waited the bounded time");
    let cookie = Cookie::new("session", visitor.cookie.clone());
    let read = client.get("/api/session").cookie(cookie).dispatch().await;
    assert_eq!(read.status(), Status::Ok, "reads need no replica");

    replica.freeze(false);
    assert!(count(&client, visitor).await.is_some(), "confirmed again");
}

/// A forced failover with `min_replicas_ack = 1`: the old primary, cut from its replica by
/// the promotion, cannot get its writes confirmed, so none of the writes it takes in the
/// window before the app follows is acknowledged, and no acknowledged write is lost.
#[rocket::async_test]
async fn with_min_replicas_ack_a_forced_failover_loses_no_acknowledged_write() {
    let set = rocket::tokio::task::spawn_blocking(|| SentinelSet::start(1000)).await.unwrap();
    let set = std::sync::Arc::new(set);
    let mut overrides = sentinel_overrides(&set);
    overrides["databases.sessions.min_replicas_ack"] = json!(1);
    overrides["databases.sessions.replica_ack_timeout_ms"] = json!(200);
    let (client, _) = app(overrides, "sentinel-forced-acked").await;
    let mut visitors = visitors(&client).await;

    let start = Instant::now();
    let waiting = forced_failover(&set);
    let mut seen = Seen::default();
    while !waiting.is_finished() {
        // Strict: every 200 must keep every increment acknowledged before it.
        round(&client, &mut visitors, &mut seen, start).await;
    }
    waiting.await.unwrap();
    let (more, recovered) = ride_out(&client, &mut visitors, start).await;
    seen.then(more).report("forced Sentinel failover, min_replicas_ack = 1", recovered);
    all_served(&client, &mut visitors).await;
}

/// A cluster master killed with `min_replicas_ack = 1`: its promoted replica has no replica
/// of its own, so writes to its slots answer 503 (never acknowledged without a copy) until
/// the old master comes back, as a replica; then every session works, and no acknowledged
/// write was lost at any point.
#[rocket::async_test]
async fn with_min_replicas_ack_a_cluster_failover_loses_no_acknowledged_write() {
    let cluster = rocket::tokio::task::spawn_blocking(|| RedisCluster::start(1000)).await.unwrap();
    let cluster = std::sync::Arc::new(std::sync::Mutex::new(cluster));
    let urls = cluster.lock().unwrap().urls();
    let overrides = json!({
        "databases.sessions.mode": "cluster",
        "databases.sessions.urls": urls,
        "databases.sessions.min_replicas_ack": 1,
        "databases.sessions.replica_ack_timeout_ms": 200,
    });
    let (client, prefix) = app(overrides, "cluster-acked").await;
    let mut visitors = visitors(&client).await;
    let key = key_of(&prefix, &visitors[0].cookie);
    let victim = cluster.lock().unwrap().master_of(&key);

    let start = Instant::now();
    cluster.lock().unwrap().kill9(victim);
    // Strict counting throughout: a 200 must keep every increment acknowledged before it.
    let mut seen = Seen::default();
    while start.elapsed() < Duration::from_secs(5) {
        round(&client, &mut visitors, &mut seen, start).await;
        rocket::tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The promotion takes 2-3 s; after it, the promoted master has no replica, so its
    // writes keep answering 503 until its replica is back (not before 5 s).
    let last = seen.last_503.expect("the shard without a replica cannot confirm writes");
    assert!(
        last >= Duration::from_secs(4),
        "a write was acknowledged without a replica at {last:?}"
    );

    let back = {
        let cluster = cluster.clone();
        rocket::tokio::task::spawn_blocking(move || {
            let mut cluster = cluster.lock().unwrap();
            cluster.restart(victim);
            cluster.wait_healthy(DEADLINE);
        })
    };
    back.await.unwrap();
    let restarted = start.elapsed();
    let (after, recovered) = ride_out(&client, &mut visitors, start).await;
    seen.then(after).report(
        &format!(
            "cluster master killed, min_replicas_ack = 1 (old master back as a replica after {} ms)",
            restarted.as_millis()
        ),
        recovered,
    );
    all_served(&client, &mut visitors).await;
}

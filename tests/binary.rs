//! The built binary, launched for real: `ROCKET_*` overrides, HTTP over loopback, and
//! sessions that outlive a restart of the app.

use crate::common;

use std::io::Read;
use std::process::Stdio;

use rocket_redis_sessions::redis;
use serde_json::{Value, json};

use common::binary::{self, App};
use common::redis::RedisServer;

/// The binary in the debug profile with sessions under `prefix`, quiet.
async fn launch(redis_url: &str, prefix: &str) -> App {
    let (mut command, port) = binary::command(redis_url);
    command
        .env("ROCKET_PROFILE", "debug")
        .env("ROCKET_LOG_LEVEL", "critical")
        .env("ROCKET_SESSIONS", format!("{{idle_timeout=600,key_prefix=\"{prefix}\"}}"))
        .stdout(Stdio::null());
    App::run(command, port).await
}

#[rocket::async_test]
async fn the_counter_keeps_counting_for_the_same_cookie_across_an_app_restart() {
    let redis_server = RedisServer::start();
    let url = redis_server.url();
    let browser = reqwest::Client::builder().cookie_store(true).build().unwrap();

    let app = launch(&url, "bin:").await;
    for expected in 1..=3 {
        let res = browser.get(format!("{}/api/counter", app.base)).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.json::<Value>().await.unwrap(), json!({ "count": expected }));
    }
    let keys = common::redis::keys(&url, "bin:").await;
    assert_eq!(keys.len(), 1);
    let ttl: i64 = common::redis::query(&url, redis::cmd("PTTL").arg(&keys[0])).await;
    assert!((1..=600_000).contains(&ttl), "ROCKET_SESSIONS set a 600 s idle TTL, got {ttl}");
    drop(app);

    let app = launch(&url, "bin:").await;
    let res = browser.get(format!("{}/api/counter", app.base)).send().await.unwrap();
    assert_eq!(res.json::<Value>().await.unwrap(), json!({ "count": 4 }));
}

/// Nothing in the app signs or encrypts with Rocket's `secret_key`, so no profile asks for
/// one: the binary starts in debug and in release without it, and its log (at Rocket's
/// default level) says nothing about one. Rocket's `secrets` feature, were it on, would
/// warn in debug and refuse to start in release.
#[rocket::async_test]
async fn the_binary_starts_in_both_profiles_without_a_secret_key_and_says_nothing_of_one() {
    let redis_server = RedisServer::start();
    for profile in ["debug", "release"] {
        let (mut command, port) = binary::command(&redis_server.url());
        command
            .env("ROCKET_PROFILE", profile)
            .env("ROCKET_CLI_COLORS", "false")
            .env_remove("ROCKET_SECRET_KEY")
            .env_remove("ROCKET_LOG_LEVEL")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut app = App::run(command, port).await;
        let mut out = app.child.stdout.take().unwrap();
        let mut err = app.child.stderr.take().unwrap();
        drop(app);
        let mut log = String::new();
        out.read_to_string(&mut log).unwrap();
        err.read_to_string(&mut log).unwrap();
        assert!(log.contains("Rocket has launched"), "{profile}: {log}");
        assert!(!log.to_lowercase().contains("secret_key"), "{profile} mentions a key: {log}");
        assert!(!log.contains("panicked"), "{profile}: {log}");
    }
}

/// A configuration that cannot work stops the binary before it listens: its log says what
/// to fix, and it leaves with status 1, not with a panic (status 101 and a backtrace
/// hint). Nothing here reaches Redis: the launch stops at the `[sessions]` check.
#[test]
fn a_configuration_that_cannot_work_stops_the_binary_with_its_reason_and_status_1() {
    let (mut command, _) = binary::command("redis://127.0.0.1:1/0");
    let out = command
        .env("ROCKET_PROFILE", "debug")
        .env("ROCKET_CLI_COLORS", "false")
        .env_remove("ROCKET_LOG_LEVEL")
        .env("ROCKET_SESSIONS", "{idle_timeout=60,touch_after=60}")
        .output()
        .expect("the app binary starts");
    let log =
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{log}");
    assert!(log.contains("touch_after must be below idle_timeout"), "{log}");
    assert!(log.contains("aborting due to fairing failure(s)"), "{log}");
    assert!(!log.contains("panicked"), "{log}");
}

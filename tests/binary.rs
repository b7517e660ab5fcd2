//! The built binary, launched for real: `ROCKET_*` overrides, HTTP over loopback, and
//! sessions that outlive a restart of the app.

use crate::common;

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rocket_redis_sessions::redis;
use serde_json::{Value, json};

use common::redis::RedisServer;

/// The app's binary, running until dropped.
struct App {
    child: Child,
    base: String,
}

impl App {
    async fn launch(redis_url: &str, prefix: &str) -> Self {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(env!("CARGO_BIN_EXE_rocket-redis-sessions-demo"))
            .env("ROCKET_PROFILE", "debug")
            .env("ROCKET_PORT", port.to_string())
            .env("ROCKET_LOG_LEVEL", "critical")
            .env("ROCKET_DATABASES", format!("{{sessions={{url=\"{redis_url}\"}}}}"))
            .env("ROCKET_SESSIONS", format!("{{idle_timeout=600,key_prefix=\"{prefix}\"}}"))
            .stdout(Stdio::null())
            .spawn()
            .expect("the app binary starts");
        let app = Self { child, base: format!("http://127.0.0.1:{port}") };
        app.wait_ready().await;
        app
    }

    async fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let client = reqwest::Client::new();
        while client.get(format!("{}/health", self.base)).send().await.is_err() {
            assert!(Instant::now() < deadline, "the app did not answer within 30 s");
            rocket::tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[rocket::async_test]
async fn the_counter_keeps_counting_for_the_same_cookie_across_an_app_restart() {
    let redis_server = RedisServer::start();
    let url = redis_server.url();
    let browser = reqwest::Client::builder().cookie_store(true).build().unwrap();

    let app = App::launch(&url, "bin:").await;
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

    let app = App::launch(&url, "bin:").await;
    let res = browser.get(format!("{}/api/counter", app.base)).send().await.unwrap();
    assert_eq!(res.json::<Value>().await.unwrap(), json!({ "count": 4 }));
}

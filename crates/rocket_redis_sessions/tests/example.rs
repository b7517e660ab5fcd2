//! `examples/visits.rs`, the README's minimal app, run as its own process and used over
//! HTTP like any deployment of it.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use redis_test_server::RedisServer;
use reqwest::StatusCode;
use reqwest::header::{COOKIE, SET_COOKIE};
use rocket_redis_sessions::redis;

/// The example's binary, which `cargo test` builds beside the test binaries.
fn example_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    // target/<profile>/deps/<test binary> → target/<profile>/examples/visits
    let profile_dir = exe.parent().and_then(|deps| deps.parent()).expect("target/<profile>");
    let path = profile_dir.join("examples").join(format!("visits{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "{} is missing: run the tests with `cargo test`, which builds the examples",
        path.display()
    );
    path
}

/// The example running on a free port, killed when dropped.
struct Example {
    child: Child,
    base: String,
}

impl Example {
    fn start(redis_url: &str, profile: &str) -> Self {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(example_binary())
            // No Rocket.toml: what the example needs comes from the environment.
            .env("ROCKET_CONFIG", "/nonexistent/Rocket.toml")
            .env("ROCKET_PROFILE", profile)
            .env("ROCKET_ADDRESS", "127.0.0.1")
            .env("ROCKET_PORT", port.to_string())
            .env("ROCKET_LOG_LEVEL", "off")
            .env("ROCKET_DATABASES", format!("{{sessions={{url=\"{redis_url}\"}}}}"))
            .env_remove("ROCKET_SECRET_KEY")
            .stdout(Stdio::null())
            .spawn()
            .expect("start the example");
        Self { child, base: format!("http://127.0.0.1:{port}") }
    }

    /// Waits until the app accepts connections; panics if it exits first.
    async fn wait_until_up(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let port = self.base.rsplit(':').next().unwrap().to_owned();
        loop {
            if std::net::TcpStream::connect(format!("127.0.0.1:{port}")).is_ok() {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("the example exited ({status}) instead of serving");
            }
            assert!(Instant::now() < deadline, "the example did not listen within 30 s");
            rocket::tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Example {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One visit: the body, and the session cookie it set (`name=value`), if any.
async fn visit(base: &str, cookie: Option<&str>) -> (String, Option<String>) {
    let mut request = reqwest::Client::new().get(format!("{base}/visits"));
    if let Some(cookie) = cookie {
        request = request.header(COOKIE, cookie);
    }
    let res = request.send().await.expect("the example answers");
    assert_eq!(res.status(), StatusCode::OK);
    let set = res.headers().get(SET_COOKIE).map(|v| v.to_str().unwrap().to_owned());
    let pair = set.map(|v| v.split(';').next().unwrap().to_owned());
    (res.text().await.unwrap(), pair)
}

/// Runs the example (release profile, no secret key: the library needs none) and counts
/// one visitor's visits over HTTP; a second visitor starts again at one. The sessions are
/// in Redis, under the default `session:` prefix.
#[rocket::async_test]
async fn the_example_counts_each_visitors_visits_over_http() {
    let redis_server = RedisServer::start();
    let mut app = Example::start(&redis_server.url(), "release");
    app.wait_until_up().await;

    let (body, cookie) = visit(&app.base, None).await;
    assert_eq!(body, "visit number 1");
    let cookie = cookie.expect("the first visit sets the session cookie");
    assert!(cookie.starts_with("session="), "{cookie}");
    for n in 2..=3 {
        let (body, set) = visit(&app.base, Some(&cookie)).await;
        assert_eq!(body, format!("visit number {n}"));
        assert_eq!(set, None, "the cookie is set once");
    }
    let (body, _) = visit(&app.base, None).await;
    assert_eq!(body, "visit number 1", "another visitor has a session of their own");

    let keys = redis_test_server::keys(&redis_server.url(), "session:").await;
    assert_eq!(keys.len(), 2, "one hash per visitor: {keys:?}");
    let visits: String = redis_test_server::query(
        &redis_server.url(),
        redis::cmd("HGET").arg(&keys[0]).arg("visits"),
    )
    .await;
    assert!(visits == "3" || visits == "1", "{visits}");
}

//! Test helpers: the app on a private key prefix, cookies, and Redis (private
//! `redis-server` processes, from the workspace's `redis-test-server` crate).

pub use redis_test_server as redis;

pub mod binary;

use std::time::{SystemTime, UNIX_EPOCH};

use rocket::figment::Figment;
use rocket::figment::providers::{Format, Serialized, Toml};
use rocket::http::{Cookie, Status};
use rocket::local::asynchronous::{Client, LocalResponse};
use rocket::{Build, Rocket};
use serde_json::{Value, json};

pub use redis_test_server::unique_prefix;

/// The configuration of `Rocket.toml`'s `profile`, without environment overrides.
pub fn profile_figment(profile: &str) -> Figment {
    Figment::from(rocket::Config::default())
        .merge(Toml::file("Rocket.toml").nested())
        .select(profile)
}

/// Settings for one test app: `Rocket.toml` (debug), then `redis_url`, `prefix`,
/// `store = "redis"` and quiet logs, then `overrides` (a JSON object of dotted keys).
pub fn figment(redis_url: &str, prefix: &str, overrides: Value) -> Figment {
    let base = json!({
        "log_level": "off",
        "databases.sessions.url": redis_url,
        "databases.sessions.connect_timeout": 1,
        "databases.sessions.response_timeout_ms": 500,
        "sessions.key_prefix": prefix,
        "sessions.store": "redis",
    });
    with(with(profile_figment("debug"), base), overrides)
}

/// `figment` with each dotted key of the JSON object `values` set in every profile.
pub fn with(mut figment: Figment, values: Value) -> Figment {
    if let Value::Object(map) = values {
        for (key, value) in map {
            figment = figment.merge(Serialized::global(&key, value));
        }
    }
    figment
}

/// The JSON objects `a` and `b` as one, `b`'s keys winning.
pub fn merged(a: Value, b: Value) -> Value {
    match (a, b) {
        (Value::Object(mut a), Value::Object(b)) => {
            a.extend(b);
            Value::Object(a)
        }
        (a, _) => a,
    }
}

/// The demo app on `redis_url` with keys under `prefix`.
pub fn app(redis_url: &str, prefix: &str) -> Rocket<Build> {
    rocket_redis_sessions_demo::rocket_from(figment(redis_url, prefix, json!({})))
}

/// A tracked local client (it keeps cookies like a browser) for `rocket`.
pub async fn client(rocket: Rocket<Build>) -> Client {
    Client::tracked(rocket).await.expect("the app ignites")
}

/// An untracked local client: requests carry only the cookies a test gives them.
pub async fn untracked(rocket: Rocket<Build>) -> Client {
    Client::untracked(rocket).await.expect("the app ignites")
}

/// The session cookie this response sets (`name`, default config: "session").
pub fn set_cookie<'a>(res: &'a LocalResponse<'_>, name: &str) -> Option<Cookie<'a>> {
    res.headers().get("Set-Cookie").filter_map(|v| Cookie::parse(v).ok()).find(|c| c.name() == name)
}

/// The JSON body of `res`, after checking its status.
pub async fn json_body(res: LocalResponse<'_>, status: Status) -> Value {
    assert_eq!(res.status(), status, "unexpected status");
    let body = res.into_string().await.expect("a body");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

/// Now, in ms since the Unix epoch.
pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as u64
}

/// The `value` of every `<input>` named `name` in `html`, in order (HTML escapes of `&`,
/// `<`, `>` and `"` undone). Enough for the forms of our own templates.
pub fn input_values(html: &str, name: &str) -> Vec<String> {
    let needle = format!("name=\"{name}\"");
    html.split("<input")
        .skip(1)
        .filter_map(|tag| {
            let tag = &tag[..tag.find('>')?];
            if !tag.contains(&needle) {
                return None;
            }
            let start = tag.find("value=\"")? + 7;
            let end = start + tag[start..].find('"')?;
            Some(unescape(&tag[start..end]))
        })
        .collect()
}

/// The first `<input name=...>` value, which must exist.
pub fn input_value(html: &str, name: &str) -> String {
    input_values(html, name).into_iter().next().unwrap_or_else(|| panic!("no input {name}"))
}

fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#x2F;", "/")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The app launched for real on a free loopback port (HTTP calls to itself work, as the
/// OAuth token exchange needs). Stopped when dropped.
pub struct Launched {
    /// `http://127.0.0.1:PORT`
    pub base: String,
    shutdown: rocket::Shutdown,
}

impl Launched {
    /// Launches the demo app with `common::figment(redis_url, prefix, overrides)` on a free
    /// port, and waits until `/health` answers. No `oauth.public_url` is set (unless
    /// `overrides` sets it): the app derives it from the address and port it listens on.
    pub async fn start(redis_url: &str, prefix: &str, overrides: Value) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let base = format!("http://127.0.0.1:{port}");
        let figment = with(
            figment(redis_url, prefix, overrides),
            json!({ "port": port, "address": "127.0.0.1" }),
        );
        let rocket =
            rocket_redis_sessions_demo::rocket_from(figment).ignite().await.expect("ignites");
        let shutdown = rocket.shutdown();
        rocket::tokio::spawn(rocket.launch());
        let client = reqwest::Client::new();
        for _ in 0..200 {
            if client.get(format!("{base}/health")).send().await.is_ok() {
                return Self { base, shutdown };
            }
            rocket::tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!("the launched app did not answer on {base}");
    }

    /// `base` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Drop for Launched {
    fn drop(&mut self) {
        self.shutdown.clone().notify();
    }
}

/// `text` percent-encoded for a URL query or a form body (unreserved characters kept).
pub fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `pairs` as an `application/x-www-form-urlencoded` body.
pub fn form_body(pairs: &[(&str, &str)]) -> String {
    let encoded: Vec<String> =
        pairs.iter().map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v))).collect();
    encoded.join("&")
}

/// Which Redis the topology-wide tests run against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topology {
    /// The test binary's private `redis-server` (or `REDIS_URL`).
    Single,
    /// The test binary's shared Redis Cluster (3 masters, 3 replicas).
    Cluster,
    /// The primary of the test binary's shared Sentinel set.
    Sentinel,
}

thread_local! {
    static TOPOLOGY: std::cell::Cell<Topology> = const { std::cell::Cell::new(Topology::Single) };
}

/// Runs the test `body` with [`TestRedis::current`] on `topology`.
pub fn run_on<R>(topology: Topology, body: impl std::future::Future<Output = R>) -> R {
    TOPOLOGY.with(|t| t.set(topology));
    rocket::async_test(body)
}

/// The Redis of the running test, and how the app and the test reach it.
pub enum TestRedis {
    Single(String),
    Cluster(Vec<String>),
    Sentinel { sentinels: Vec<String>, master_name: String, primary: u16 },
}

impl TestRedis {
    /// The Redis the running test was started on (see [`run_on`]); single by default.
    pub fn current() -> Self {
        match TOPOLOGY.with(std::cell::Cell::get) {
            Topology::Single => Self::Single(redis::shared_url()),
            Topology::Cluster => Self::Cluster(redis::shared_cluster().urls()),
            Topology::Sentinel => {
                let set = redis::shared_sentinels();
                Self::Sentinel {
                    sentinels: set.sentinel_urls(),
                    master_name: set.master_name.clone(),
                    primary: set.primary_port(),
                }
            }
        }
    }

    /// The URL `common::figment` is given (a single server's; ignored by the other modes).
    pub fn url(&self) -> String {
        match self {
            Self::Single(url) => url.clone(),
            _ => "redis://127.0.0.1:1/0".to_owned(),
        }
    }

    /// The `[databases.sessions]` keys of this topology, as figment overrides.
    pub fn overrides(&self) -> Value {
        match self {
            Self::Single(_) => json!({}),
            Self::Cluster(urls) => json!({
                "databases.sessions.mode": "cluster",
                "databases.sessions.urls": urls,
            }),
            Self::Sentinel { sentinels, master_name, .. } => json!({
                "databases.sessions.mode": "sentinel",
                "databases.sessions.sentinels": sentinels,
                "databases.sessions.master_name": master_name,
            }),
        }
    }

    /// Runs `cmd` where its key lives (on a cluster, redis-rs routes it; `KEYS` goes to
    /// every master).
    pub async fn query<T: rocket_redis_sessions::redis::FromRedisValue>(
        &self,
        cmd: &rocket_redis_sessions::redis::Cmd,
    ) -> T {
        use rocket_redis_sessions::redis::cluster::ClusterClient;
        match self {
            Self::Single(url) => redis::query(url, cmd).await,
            Self::Sentinel { primary, .. } => {
                redis::query(&format!("redis://127.0.0.1:{primary}/0"), cmd).await
            }
            Self::Cluster(urls) => {
                let client = ClusterClient::new(urls.clone()).expect("a cluster client");
                let mut conn = client.get_async_connection().await.expect("connect to the cluster");
                cmd.query_async(&mut conn).await.expect("test Redis command")
            }
        }
    }

    /// Every key under `prefix`, sorted.
    pub async fn keys(&self, prefix: &str) -> Vec<String> {
        let pattern = format!("{prefix}*");
        let mut keys: Vec<String> =
            self.query(rocket_redis_sessions::redis::cmd("KEYS").arg(&pattern)).await;
        keys.sort();
        keys
    }
}

/// Generates, for each named `async fn` of the enclosing module, one test per topology:
/// modules `single`, `cluster` and `sentinel`.
#[macro_export]
macro_rules! on_every_topology {
    ($($test:ident),* $(,)?) => {
        mod single {
            $( #[test] fn $test() { $crate::common::run_on($crate::common::Topology::Single, super::$test()) } )*
        }
        mod cluster {
            $( #[test] fn $test() { $crate::common::run_on($crate::common::Topology::Cluster, super::$test()) } )*
        }
        mod sentinel {
            $( #[test] fn $test() { $crate::common::run_on($crate::common::Topology::Sentinel, super::$test()) } )*
        }
    };
}

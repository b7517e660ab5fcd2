//! `/metrics`: the built binary (its own process, so its own recorder, counting from zero)
//! driven through a known mix of requests, then scraped over HTTP: every counter equals
//! what was driven.

use crate::common;

use std::collections::BTreeMap;
use std::process::Stdio;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::header::SET_COOKIE;
use reqwest::{Client, StatusCode};

use common::binary::{self, App};
use common::input_value;
use common::redis::RedisServer;

/// The binary (debug profile, quiet) on `redis_url`, connecting within a second.
async fn launch(redis_url: &str) -> App {
    let (mut command, port) = binary::command(redis_url);
    command
        .env("ROCKET_PROFILE", "debug")
        .env("ROCKET_LOG_LEVEL", "off")
        .env("ROCKET_DATABASES", format!("{{sessions={{url=\"{redis_url}\",connect_timeout=1}}}}"))
        .env("ROCKET_SESSIONS", "{key_prefix=\"metrics:\"}")
        .stdout(Stdio::null());
    App::run(command, port).await
}

/// A visitor holding one session cookie (set by hand, so that a forged one can be sent).
struct Visitor<'a> {
    app: &'a App,
    http: Client,
    cookies: BTreeMap<String, String>,
}

impl Visitor<'_> {
    fn request(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        let header: Vec<String> = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
        match header.is_empty() {
            true => request,
            false => request.header("cookie", header.join("; ")),
        }
    }

    fn keep(&mut self, res: &reqwest::Response) {
        for value in res.headers().get_all(SET_COOKIE) {
            let pair = value.to_str().unwrap().split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            match value.is_empty() {
                true => self.cookies.remove(name),
                false => self.cookies.insert(name.to_owned(), value.to_owned()),
            };
        }
    }

    async fn get(&mut self, path: &str) -> (StatusCode, String) {
        let url = self.app.url(path);
        let res = self.request(self.http.get(url)).send().await.unwrap();
        self.keep(&res);
        (res.status(), res.text().await.unwrap())
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> StatusCode {
        let url = self.app.url(path);
        let request = self.http.post(url).body(common::form_body(form));
        let request = request.header("content-type", "application/x-www-form-urlencoded");
        let res = self.request(request).send().await.unwrap();
        self.keep(&res);
        res.status()
    }
}

/// Every sample of the scrape: `name{labels}` → value.
async fn scrape(app: &App) -> BTreeMap<String, f64> {
    let res = Client::new().get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let content_type = res.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(
        content_type.starts_with("text/plain") && content_type.contains("0.0.4"),
        "{content_type}"
    );
    let text = res.text().await.unwrap();
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .filter_map(|line| {
            let (name, value) = line.rsplit_once(' ')?;
            Some((name.to_owned(), value.parse().ok()?))
        })
        .collect()
}

#[rocket::async_test]
async fn metrics_count_exactly_what_was_driven() {
    let mut redis_server = RedisServer::start();
    let app = launch(&redis_server.url()).await;
    let http = Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let mut a = Visitor { app: &app, http: http.clone(), cookies: BTreeMap::new() };
    // A new session, two saves, a read.
    for _ in 0..3 {
        assert_eq!(a.get("/api/counter").await.0, StatusCode::OK);
    }
    assert_eq!(a.get("/api/session").await.0, StatusCode::OK);
    // A forged cookie: a load that finds nothing.
    let mut forged = Visitor { app: &app, http: http.clone(), cookies: BTreeMap::new() };
    forged.cookies.insert("session".into(), URL_SAFE_NO_PAD.encode([7u8; 42]));
    assert_eq!(forged.get("/api/session").await.0, StatusCode::OK);
    // The dashboard stores the forms' token (a save), a rotation, then the end (a
    // destroy, and the message for the next page in a new session).
    let (status, page) = a.get("/").await;
    assert_eq!(status, StatusCode::OK);
    let csrf = input_value(&page, "csrf_token");
    assert_eq!(
        a.post("/session/regenerate", &[("csrf_token", &csrf)]).await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(a.post("/session/destroy", &[("csrf_token", &csrf)]).await, StatusCode::SEE_OTHER);
    // Redis gone: a load fails.
    redis_server.stop();
    assert_eq!(a.get("/api/counter").await.0, StatusCode::SERVICE_UNAVAILABLE);

    let metrics = scrape(&app).await;
    let expected = [
        ("sessions_created_total", 2.0),
        ("sessions_loads_total{result=\"found\"}", 6.0),
        ("sessions_loads_total{result=\"none\"}", 1.0),
        ("sessions_saved_total", 3.0),
        ("sessions_rotated_total", 1.0),
        ("sessions_destroyed_total", 1.0),
        ("sessions_save_gone_total", 0.0),
        ("sessions_store_errors_total{kind=\"unavailable\"}", 1.0),
        ("sessions_store_errors_total{kind=\"collision\"}", 0.0),
        ("sessions_store_duration_seconds_count{op=\"load\"}", 8.0),
        ("sessions_store_duration_seconds_count{op=\"save\"}", 3.0),
        ("sessions_store_duration_seconds_count{op=\"replace\"}", 1.0),
        ("sessions_store_info{store=\"redis\",mode=\"single\"}", 1.0),
    ];
    for (name, value) in expected {
        assert_eq!(metrics.get(name), Some(&value), "{name}: {metrics:#?}");
    }
    let le = "sessions_store_duration_seconds_bucket{op=\"load\",le=\"+Inf\"}";
    assert_eq!(metrics.get(le), Some(&8.0), "a histogram with buckets: {metrics:#?}");
}

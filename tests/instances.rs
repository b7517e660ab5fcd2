//! Several app instances on one Redis (and on one Redis Cluster), as behind a load
//! balancer: a session made on one instance is read, changed, rotated and destroyed on
//! the other, and an id rotated away or destroyed is dead on both.

use crate::common;

use reqwest::StatusCode;
use serde_json::{Value, json};

use common::{Launched, input_value};

/// A visitor that goes to whichever instance it is given, with one session cookie.
struct Visitor {
    http: reqwest::Client,
    cookie: Option<String>,
}

impl Visitor {
    fn new() -> Self {
        let http =
            reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Self { http, cookie: None }
    }

    /// Sends `request` with the session cookie; keeps the cookie the answer sets.
    async fn send(&mut self, request: reqwest::RequestBuilder) -> reqwest::Response {
        let request = match &self.cookie {
            Some(id) => request.header("cookie", format!("session={id}")),
            None => request,
        };
        let res = request.send().await.expect("the instance answers");
        for set in res.headers().get_all("set-cookie") {
            let set = set.to_str().unwrap();
            if let Some(value) = set.strip_prefix("session=") {
                let value = value.split(';').next().unwrap();
                self.cookie = (!value.is_empty()).then(|| value.to_owned());
            }
        }
        res
    }

    async fn get(&mut self, app: &Launched, path: &str) -> reqwest::Response {
        let request = self.http.get(app.url(path));
        self.send(request).await
    }

    async fn session(&mut self, app: &Launched) -> Value {
        let res = self.get(app, "/api/session").await;
        assert_eq!(res.status(), StatusCode::OK);
        res.json().await.unwrap()
    }

    /// Posts the dashboard form at `path` on `app`, with the CSRF token its page gives.
    async fn post_form(&mut self, app: &Launched, path: &str) {
        let page = self.get(app, "/").await.text().await.unwrap();
        let token = input_value(&page, "csrf_token");
        let request = self.http.post(app.url(path)).form(&[("csrf_token", token)]);
        let res = self.send(request).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{path} on {}", app.base);
    }

    /// What `/api/session` answers on `app` for the id `cookie`, without keeping cookies.
    async fn session_of(&self, app: &Launched, cookie: &str) -> Value {
        let res =
            self.http.get(app.url("/api/session")).header("cookie", format!("session={cookie}"));
        res.send().await.unwrap().json().await.unwrap()
    }
}

async fn one_session_on_two_instances(redis_url: &str, overrides: Value, test: &str) {
    let prefix = common::unique_prefix(test);
    let a = Launched::start(redis_url, &prefix, overrides.clone()).await;
    let b = Launched::start(redis_url, &prefix, overrides).await;
    assert_ne!(a.base, b.base);
    let mut visitor = Visitor::new();

    // Made on A, counted on B and A in turn.
    for (app, expected) in [(&a, 1), (&b, 2), (&a, 3), (&b, 4)] {
        let res = visitor.get(app, "/api/counter").await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.json::<Value>().await.unwrap(), json!({ "count": expected }));
    }
    let first = visitor.cookie.clone().expect("a session");

    // Rotated on B: the old id is dead on both, the new one carries the data to A.
    visitor.post_form(&b, "/session/regenerate").await;
    let rotated = visitor.cookie.clone().expect("a new id");
    assert_ne!(rotated, first);
    for app in [&a, &b] {
        assert_eq!(visitor.session_of(app, &first).await, json!({}), "{}", app.base);
        assert_eq!(visitor.session_of(app, &rotated).await["count"], 4, "{}", app.base);
    }

    // Destroyed on A: dead on B too.
    visitor.post_form(&a, "/session/destroy").await;
    for app in [&a, &b] {
        assert_eq!(visitor.session_of(app, &rotated).await, json!({}), "{}", app.base);
    }
    assert!(visitor.session(&b).await.get("count").is_none(), "the next session is new");
}

#[rocket::async_test]
async fn two_instances_on_one_redis_serve_one_session() {
    one_session_on_two_instances(&common::redis::shared_url(), json!({}), "two-on-one").await;
}

#[rocket::async_test]
async fn two_instances_on_one_cluster_serve_one_session() {
    let cluster = rocket::tokio::task::spawn_blocking(common::redis::shared_cluster).await.unwrap();
    let overrides = json!({
        "databases.sessions.mode": "cluster",
        "databases.sessions.urls": cluster.urls(),
    });
    one_session_on_two_instances("redis://unused", overrides, "two-on-cluster").await;
}

//! The OAuth round trip through real HTTP: the app launched on a free port, a cookie-keeping
//! HTTP client as the browser, the built-in provider as the authorization server, and the
//! token exchange as a real HTTP call from the app to itself.

use crate::common;

use std::sync::Arc;

use reqwest::cookie::{CookieStore, Jar};
use reqwest::{Response, StatusCode};
use rocket_redis_sessions::redis;
use serde_json::{Value, json};

use common::{Launched, input_value};

struct Browser {
    app: Arc<Launched>,
    http: reqwest::Client,
    jar: Arc<Jar>,
    redis_url: String,
    prefix: String,
}

impl Browser {
    async fn open(test: &str) -> Self {
        Self::open_on(test, common::redis::shared_url(), json!({})).await
    }

    /// The app on `redis_url`, configured further by `overrides`.
    async fn open_on(test: &str, redis_url: String, overrides: Value) -> Self {
        let prefix = common::unique_prefix(test);
        let provider = json!({ "provider.key_prefix": format!("{prefix}provider:") });
        let app = Launched::start(&redis_url, &prefix, common::merged(provider, overrides)).await;
        Self::with_jar(Arc::new(app), redis_url, prefix, None)
    }

    /// The app with its sessions on the test binary's shared Redis Cluster.
    async fn open_on_cluster(test: &str) -> Self {
        let cluster =
            rocket::tokio::task::spawn_blocking(common::redis::shared_cluster).await.unwrap();
        let overrides = json!({
            "databases.sessions.mode": "cluster",
            "databases.sessions.urls": cluster.urls(),
        });
        Self::open_on(test, "redis://unused".into(), overrides).await
    }

    fn with_jar(
        app: Arc<Launched>,
        redis_url: String,
        prefix: String,
        user_agent: Option<&str>,
    ) -> Self {
        let jar = Arc::new(Jar::default());
        let mut http = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none());
        if let Some(agent) = user_agent {
            http = http.user_agent(agent);
        }
        Self { app, http: http.build().unwrap(), jar, redis_url, prefix }
    }

    /// Another browser (its own cookies) on the same app, saying it is `user_agent`.
    fn device(&self, user_agent: &str) -> Self {
        Self::with_jar(
            self.app.clone(),
            self.redis_url.clone(),
            self.prefix.clone(),
            Some(user_agent),
        )
    }

    /// Signs in through the demo provider as `name`.
    async fn sign_in(&self, name: &str) {
        let authorize = self.start(None).await;
        let back = self.consent(&authorize, "approve", name).await;
        let res = self.get(&back).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(self.signed_in_as().await.as_deref(), Some(name));
    }

    /// The dashboard's list of the user's sessions: (device label, handle, this device?).
    async fn devices(&self) -> Vec<(String, String, bool)> {
        let page = page_text(self.get("/").await, StatusCode::OK).await;
        let mut devices = Vec::new();
        for item in page.split("<li class=\"device").skip(1) {
            let handle = item.split("data-handle=\"").nth(1).and_then(|r| r.split('"').next());
            let label = item.split("<strong class=\"device-label\">").nth(1);
            let label = label.and_then(|r| r.split("</strong>").next());
            let (Some(handle), Some(label)) = (handle, label) else { continue };
            devices.push((label.to_owned(), handle.to_owned(), item.starts_with(" current")));
        }
        devices
    }

    /// Posts a dashboard form (as [`Browser::dashboard_form`]), follows its 303 back to
    /// `/` and returns that page, which shows the form's message.
    async fn submit(&self, path: &str, fields: &[(&str, &str)]) -> String {
        let res = self.dashboard_form(path, fields).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{path}");
        page_text(self.get("/").await, StatusCode::OK).await
    }

    /// A laptop and a phone on the app, both signed in as `name`, the laptop first.
    async fn laptop_and_phone(&self, name: &str) -> (Self, Self) {
        let (laptop, phone) = (self.device(FIREFOX_LINUX), self.device(SAFARI_IPHONE));
        laptop.sign_in(name).await;
        phone.sign_in(name).await;
        (laptop, phone)
    }

    /// Posts a form of the dashboard's with its CSRF token and `fields`.
    async fn dashboard_form(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        let page = page_text(self.get("/").await, StatusCode::OK).await;
        let mut form = vec![("csrf_token".to_owned(), input_value(&page, "csrf_token"))];
        form.extend(fields.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        self.post(path, &form).await
    }

    fn url(&self, path_or_url: &str) -> String {
        match path_or_url.starts_with("http") {
            true => path_or_url.to_owned(),
            false => self.app.url(path_or_url),
        }
    }

    async fn get(&self, path_or_url: &str) -> Response {
        self.http.get(self.url(path_or_url)).send().await.expect("the app answers")
    }

    async fn post(&self, path: &str, form: &[(String, String)]) -> Response {
        self.http.post(self.url(path)).form(form).send().await.expect("the app answers")
    }

    fn cookie(&self) -> Option<String> {
        let url = self.app.base.parse().unwrap();
        let header = self.jar.cookies(&url)?;
        let header = header.to_str().ok()?.to_owned();
        header.split("; ").find_map(|c| c.strip_prefix("session=").map(str::to_owned))
    }

    /// `/oauth/login` for the demo provider: returns the provider's authorize URL.
    async fn start(&self, return_to: Option<&str>) -> String {
        let path = match return_to {
            Some(to) => format!("/oauth/login?provider=demo&return_to={}", common::urlencode(to)),
            None => "/oauth/login?provider=demo".to_owned(),
        };
        let res = self.get(&path).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let to = location(&res);
        assert!(to.starts_with(&self.app.url("/provider/authorize?")), "{to}");
        to
    }

    /// Opens the consent page at `authorize` and answers it: returns the provider's
    /// redirect back to the app.
    async fn consent(&self, authorize: &str, decision: &str, name: &str) -> String {
        let page = self.get(authorize).await;
        assert_eq!(page.status(), StatusCode::OK);
        let html = page.text().await.unwrap();
        let mut form = hidden_fields(&html);
        form.push(("name".into(), name.into()));
        form.push(("decision".into(), decision.into()));
        let res = self.post("/provider/authorize", &form).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let back = location(&res);
        assert!(back.starts_with(&self.app.url("/oauth/callback?")), "{back}");
        back
    }

    /// Follows a callback that must not sign in: it answers 303 to `/oauth`, whose page
    /// (returned) says why, once.
    async fn refusal(&self, callback: &str) -> String {
        let res = self.get(callback).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{callback}");
        assert_eq!(location(&res), "/oauth");
        page_text(self.get("/oauth").await, StatusCode::OK).await
    }

    async fn signed_in_as(&self) -> Option<String> {
        let data: Value = self.get("/api/session").await.json().await.unwrap();
        // The API shows the app's keys as the dashboard does: "NAME (through PROVIDER)".
        let text = data["_user"]["text"].as_str()?;
        Some(text.rsplit_once(" (through ").map_or(text, |(name, _)| name).to_owned())
    }

    async fn session(&self) -> Value {
        self.get("/api/session").await.json().await.unwrap()
    }

    /// The session's hash key in Redis (the test's one session).
    async fn session_key(&self) -> String {
        let keys = common::redis::keys(&self.redis_url, &self.prefix).await;
        // Not the provider's keys, nor the index of the signed-in user's sessions.
        let own = |k: &&String| !k[self.prefix.len()..].starts_with(['p', 'u']);
        let sessions: Vec<&String> = keys.iter().filter(own).collect();
        assert_eq!(sessions.len(), 1, "{keys:?}");
        sessions[0].clone()
    }

    /// The attempts under way as stored (the API shows them only in words).
    async fn stored_flows(&self) -> Vec<Value> {
        let key = self.session_key().await;
        let get = redis::cmd("HGET").arg(&key).arg("_oauth_flows").to_owned();
        let raw: Option<String> = common::redis::query(&self.redis_url, &get).await;
        raw.map(|raw| serde_json::from_str(&raw).unwrap()).unwrap_or_default()
    }
}

fn location(res: &Response) -> String {
    res.headers()["location"].to_str().unwrap().to_owned()
}

/// Every hidden input of the page's form.
fn hidden_fields(html: &str) -> Vec<(String, String)> {
    html.split("<input")
        .skip(1)
        .filter_map(|tag| tag.split('>').next())
        .filter(|tag| tag.contains("type=\"hidden\""))
        .filter_map(|tag| {
            let name = tag.split("name=\"").nth(1)?.split('"').next()?;
            Some((name.to_owned(), common::input_value(&format!("<input{tag}>"), name)))
        })
        .collect()
}

/// Replaces the `state` query parameter of `url`.
fn with_state(url: &str, state: &str) -> String {
    let mut parsed = reqwest::Url::parse(url).unwrap();
    let pairs: Vec<(String, String)> = parsed
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == "state" { state.to_owned() } else { v.into_owned() };
            (k.into_owned(), v)
        })
        .collect();
    parsed.query_pairs_mut().clear().extend_pairs(pairs);
    parsed.to_string()
}

async fn page_text(res: Response, status: StatusCode) -> String {
    assert_eq!(res.status(), status);
    res.text().await.unwrap()
}

#[rocket::async_test]
async fn the_round_trip_signs_in_returns_to_the_page_rotates_the_id_and_leaves_no_token() {
    let b = Browser::open("round-trip").await;
    let authorize = b.start(Some("/counter")).await;
    let flows = b.stored_flows().await;
    assert_eq!(flows.len(), 1, "the state and verifier wait in the session: {flows:?}");
    let state = query_param(&authorize, "state");
    assert_eq!(flows[0]["state"], state, "{flows:?}");
    let described = b.session().await["_oauth_flows"].to_string();
    assert!(!described.contains(&state), "the API never shows the state: {described}");
    assert!(!described.contains(flows[0]["verifier"].as_str().unwrap()), "{described}");
    let before = b.cookie().expect("a session cookie");
    let page = page_text(b.get("/").await, StatusCode::OK).await;
    let token_before = input_value(&page, "csrf_token");

    let back = b.consent(&authorize, "approve", "Grace Hopper").await;
    let res = b.get(&back).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/counter", "back where the sign-in started");

    let after = b.cookie().expect("a session cookie");
    assert_ne!(before, after, "the id is rotated at sign-in");
    assert_eq!(b.signed_in_as().await.as_deref(), Some("Grace Hopper"));
    let page = page_text(b.get("/oauth").await, StatusCode::OK).await;
    assert!(page.contains("Signed in as <strong>Grace Hopper</strong>"), "{page}");
    assert!(page.contains("Signed in as Grace Hopper with Demo provider"), "the flash: {page}");
    assert_ne!(input_value(&page, "csrf_token"), token_before, "a new CSRF token too");
    assert!(b.stored_flows().await.is_empty(), "the attempt is used up");
    // The app read who signed in and revoked the token at once: none is left alive at
    // the provider (the code is spent, the note of its exchange stays for replays).
    let provider = format!("{}provider:", b.prefix);
    let keys = common::redis::keys(&b.redis_url, &provider).await;
    assert!(keys.iter().all(|k| !k.starts_with(&format!("{provider}token:"))), "{keys:?}");
    assert!(keys.iter().any(|k| k.starts_with(&format!("{provider}used:"))), "{keys:?}");
}

/// The app on a port other than 8000, with no `public_url` in the configuration: the
/// provider's redirects and the app's token exchange follow the port it listens on.
#[rocket::async_test]
async fn the_sign_in_works_on_any_port_without_a_public_url_setting() {
    let figment = common::figment("redis://unused", "unused", json!({}));
    assert!(figment.find_value("oauth.public_url").is_err(), "Rocket.toml pins no public_url");
    let b = Browser::open("any-port").await;
    assert!(!b.app.base.ends_with(":8000"), "{}", b.app.base);
    let authorize = b.start(None).await;
    let back = b.consent(&authorize, "approve", "Ada").await;
    let res = b.get(&back).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "{}", res.text().await.unwrap());
    assert_eq!(b.signed_in_as().await.as_deref(), Some("Ada"));
}

/// Browsers keep cookies per host name: a sign-in started on `localhost` while the
/// provider returns to `127.0.0.1` would find no session there. The app first moves the
/// visitor to the public host, without touching any session, and the round trip works.
#[rocket::async_test]
async fn a_sign_in_started_on_another_loopback_name_moves_to_the_public_host_first() {
    let b = Browser::open("other-host").await;
    let port = b.app.base.rsplit(':').next().unwrap().to_owned();
    let res = b
        .get(&format!("http://localhost:{port}/oauth/login?provider=demo&return_to=/counter"))
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let to = location(&res);
    let canonical = b.app.url("/oauth/login?provider=demo&return_to=%2Fcounter&canonical=1");
    assert_eq!(to, canonical, "the same request, on the public host");
    assert!(res.headers().get("set-cookie").is_none(), "no session on the other host");
    let keys = common::redis::keys(&b.redis_url, &b.prefix).await;
    assert!(keys.is_empty(), "nothing stored before the move: {keys:?}");

    let res = b.get(&to).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let authorize = location(&res);
    assert!(authorize.starts_with(&b.app.url("/provider/authorize?")), "{authorize}");
    let back = b.consent(&authorize, "approve", "Ada").await;
    let res = b.get(&back).await;
    assert_eq!((res.status(), location(&res)), (StatusCode::SEE_OTHER, "/counter".to_owned()));
    assert_eq!(b.signed_in_as().await.as_deref(), Some("Ada"));
}

/// A proxy that rewrites `Host` would send the moved request back under the other name:
/// the marker the move adds stops a loop, and the sign-in starts where it is.
#[rocket::async_test]
async fn a_moved_sign_in_is_not_moved_again() {
    let b = Browser::open("no-loop").await;
    let path = "/oauth/login?provider=demo&return_to=%2Foauth&canonical=1";
    let res =
        b.http.get(b.app.url(path)).header("host", "proxy.internal:8000").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(location(&res).starts_with(&b.app.url("/provider/authorize?")), "{}", location(&res));
    let res =
        b.http.get(b.app.url("/oauth/login?provider=demo")).header("host", "proxy.internal:8000");
    let to = location(&res.send().await.unwrap());
    assert!(to.ends_with("&canonical=1"), "without the marker it moves: {to}");
}

/// An answer arriving where no sign-in waits (another browser, another host name, an
/// ended session) lands on the OAuth page with words saying so, not on an error page.
#[rocket::async_test]
async fn a_callback_where_no_sign_in_waits_says_why_on_the_oauth_page() {
    let b = Browser::open("no-session").await;
    let page = b.refusal("/oauth/callback?code=abc&state=AAAAAAAAAAAAAAAAAAAAAA").await;
    assert!(page.contains("your browser sent no session with it"), "{page}");
    assert!(page.contains("localhost and 127.0.0.1 keep separate cookies"), "{page}");
    assert_eq!(b.signed_in_as().await, None);
}

/// On a Redis Cluster: the sign-in's session writes, the id rotation at sign-in, and the
/// provider's code and token (on other slots) all work.
#[rocket::async_test]
async fn the_round_trip_works_on_a_redis_cluster() {
    let b = Browser::open_on_cluster("on-cluster").await;
    let before = b.cookie();
    let authorize = b.start(Some("/counter")).await;
    let back = b.consent(&authorize, "approve", "Ada").await;
    let res = b.get(&back).await;
    assert_eq!((res.status(), location(&res)), (StatusCode::SEE_OTHER, "/counter".to_owned()));
    assert_eq!(b.signed_in_as().await.as_deref(), Some("Ada"));
    assert_ne!(b.cookie(), before, "rotated at sign-in");
    assert!(b.refusal(&back).await.contains("already used once"), "a replay is refused");
}

#[rocket::async_test]
async fn a_callback_without_state_is_refused() {
    let b = Browser::open("no-state").await;
    let authorize = b.start(None).await;
    let back = b.consent(&authorize, "approve", "Eve").await;
    let without = back.split('&').filter(|p| !p.contains("state=")).collect::<Vec<_>>().join("&");
    let page = b.refusal(&without).await;
    assert!(page.contains("carries no state"), "{page}");
    assert_eq!(b.signed_in_as().await, None);
}

#[rocket::async_test]
async fn a_callback_with_a_mismatched_state_is_refused_and_the_real_attempt_still_works() {
    let b = Browser::open("mismatch").await;
    let authorize = b.start(None).await;
    let back = b.consent(&authorize, "approve", "Mallory").await;
    let forged = with_state(&back, "AAAAAAAAAAAAAAAAAAAAAA");
    let page = b.refusal(&forged).await;
    assert!(page.contains("state mismatch"), "{page}");
    assert_eq!(b.signed_in_as().await, None);

    let res = b.get(&back).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "the genuine answer still completes");
    assert_eq!(b.signed_in_as().await.as_deref(), Some("Mallory"));
}

#[rocket::async_test]
async fn a_replayed_callback_is_refused() {
    let b = Browser::open("replay").await;
    let authorize = b.start(None).await;
    let back = b.consent(&authorize, "approve", "Ada").await;
    assert_eq!(b.get(&back).await.status(), StatusCode::SEE_OTHER);
    let page = b.refusal(&back).await;
    assert!(page.contains("already used once"), "{page}");
}

#[rocket::async_test]
async fn an_attempt_older_than_ten_minutes_is_refused_and_used_up() {
    let b = Browser::open("expired").await;
    let authorize = b.start(None).await;
    let back = b.consent(&authorize, "approve", "Ada").await;
    // Age the stored attempt by eleven minutes, in Redis, where the session lives.
    let key = b.session_key().await;
    let mut flows = b.stored_flows().await;
    assert_eq!(flows.len(), 1, "a pending attempt");
    flows[0]["created_at"] = json!(flows[0]["created_at"].as_u64().unwrap() - 660);
    let flows = Value::Array(flows).to_string();
    let write = redis::cmd("HSET").arg(&key).arg("_oauth_flows").arg(flows).to_owned();
    let _: () = common::redis::query(&b.redis_url, &write).await;

    let page = b.refusal(&back).await;
    assert!(page.contains("has expired"), "{page}");
    assert_eq!(b.signed_in_as().await, None);
    let page = b.refusal(&back).await;
    assert!(page.contains("already used once"), "single use even when refused: {page}");
}

#[rocket::async_test]
async fn denied_consent_is_reported_and_leaves_the_visitor_signed_out() {
    let b = Browser::open("denied").await;
    let authorize = b.start(None).await;
    let back = b.consent(&authorize, "deny", "Ada").await;
    assert!(back.contains("error=access_denied"), "{back}");
    let page = b.refusal(&back).await;
    assert!(page.contains("You declined to sign in"), "{page}");
    assert_eq!(b.signed_in_as().await, None);
    let page = b.refusal(&back).await;
    assert!(page.contains("already used once"), "the attempt was used up: {page}");
}

#[rocket::async_test]
async fn a_failed_token_exchange_is_reported_and_leaves_the_visitor_signed_out() {
    let b = Browser::open("bad-code").await;
    let authorize = b.start(None).await;
    let back = b.consent(&authorize, "approve", "Ada").await;
    let mut tampered = reqwest::Url::parse(&back).unwrap();
    let state = tampered.query_pairs().find(|(k, _)| k == "state").unwrap().1.into_owned();
    tampered
        .query_pairs_mut()
        .clear()
        .append_pair("code", "not-a-real-code")
        .append_pair("state", &state);
    let page = b.refusal(tampered.as_str()).await;
    assert!(page.contains("token exchange failed"), "{page}");
    assert_eq!(b.signed_in_as().await, None);
}

#[rocket::async_test]
async fn two_tabs_signing_in_at_once_both_complete() {
    let b = Browser::open("two-tabs").await;
    let first = b.start(None).await;
    let second = b.start(Some("/counter")).await;
    let back_second = b.consent(&second, "approve", "Second Tab").await;
    let back_first = b.consent(&first, "approve", "First Tab").await;
    assert_eq!(location(&b.get(&back_second).await), "/counter");
    assert_eq!(b.signed_in_as().await.as_deref(), Some("Second Tab"));
    assert_eq!(location(&b.get(&back_first).await), "/oauth", "the other tab's attempt survived");
    assert_eq!(b.signed_in_as().await.as_deref(), Some("First Tab"));
}

#[rocket::async_test]
async fn the_number_of_attempts_under_way_is_capped() {
    let b = Browser::open("cap").await;
    let mut authorize = Vec::new();
    for _ in 0..7 {
        authorize.push(b.start(None).await);
    }
    assert_eq!(b.stored_flows().await.len(), 5, "max_pending = 5");
    // The newest attempt works; the oldest was dropped.
    let newest = b.consent(&authorize[6], "approve", "New").await;
    assert_eq!(b.get(&newest).await.status(), StatusCode::SEE_OTHER);
    let oldest = b.consent(&authorize[0], "approve", "Old").await;
    let page = b.refusal(&oldest).await;
    assert!(page.contains("state mismatch"), "{page}");
}

#[rocket::async_test]
async fn return_paths_off_this_site_are_ignored() {
    let b = Browser::open("open-redirect").await;
    let hostile = [
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "/\t/evil.example",
        "/caf\u{e9} and spaces",
    ];
    for hostile in hostile {
        let authorize = b.start(Some(hostile)).await;
        let back = b.consent(&authorize, "approve", "Ada").await;
        let res = b.get(&back).await;
        assert_eq!(location(&res), "/oauth", "{hostile:?} must not be followed");
        assert_eq!(b.signed_in_as().await.as_deref(), Some("Ada"));
    }
}

#[rocket::async_test]
async fn sign_out_needs_the_csrf_token_and_rotates_the_id() {
    let b = Browser::open("logout").await;
    let authorize = b.start(None).await;
    let back = b.consent(&authorize, "approve", "Ada").await;
    b.get(&back).await;
    let page = page_text(b.get("/oauth").await, StatusCode::OK).await;
    let token = input_value(&page, "csrf_token");

    let wrong = vec![("csrf_token".to_owned(), "nope".to_owned())];
    assert_eq!(b.post("/oauth/logout", &wrong).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(b.signed_in_as().await.as_deref(), Some("Ada"));

    let before = b.cookie();
    let res = b.post("/oauth/logout", &[("csrf_token".to_owned(), token)]).await;
    assert_eq!((res.status(), location(&res)), (StatusCode::SEE_OTHER, "/oauth".to_owned()));
    assert_eq!(b.signed_in_as().await, None);
    assert_ne!(b.cookie(), before, "a new id after sign-out");
}

#[rocket::async_test]
async fn an_unknown_provider_is_a_404_page() {
    let b = Browser::open("unknown-provider").await;
    let page = page_text(b.get("/oauth/login?provider=nope").await, StatusCode::NOT_FOUND).await;
    assert!(page.contains("no such sign-in provider"), "{page}");
}

/// With `port = 0` Rocket picks the port as it starts listening, after the OAuth client
/// must know where to call the built-in provider: the launch stops with a message instead
/// of a sign-in that fails at the token exchange.
#[rocket::async_test]
async fn a_port_picked_at_launch_with_the_built_in_provider_stops_the_launch() {
    let figment = common::figment("redis://127.0.0.1:1/0", "unused", json!({ "port": 0 }));
    let error =
        rocket_redis_sessions_demo::rocket_from(figment).ignite().await.expect_err("refused");
    match error.kind() {
        rocket::error::ErrorKind::FailedFairings(failed) => {
            let names: Vec<&str> = failed.iter().map(|f| f.name).collect();
            assert_eq!(names, ["Built-in provider for the OAuth client"]);
        }
        other => panic!("expected a failed fairing, got {other:?}"),
    }
    let figment = common::figment(
        "redis://127.0.0.1:1/0",
        "unused",
        json!({ "port": 0, "provider.enabled": false }),
    );
    rocket_redis_sessions_demo::rocket_from(figment).ignite().await.expect("no provider, no need");
}

/// 50 sign-ins started at once in one session: the list of attempts is one key, written
/// whole, so the cap of 5 holds however many requests write it at the same time.
#[rocket::async_test]
async fn simultaneous_sign_ins_cannot_pass_the_cap() {
    let b = Browser::open("cap-at-once").await;
    assert_eq!(b.get("/api/counter").await.status(), StatusCode::OK, "a session first");
    let starts = (0..50).map(|_| b.get("/oauth/login?provider=demo"));
    let statuses: Vec<StatusCode> =
        rocket::futures::future::join_all(starts).await.iter().map(|r| r.status()).collect();
    assert!(statuses.iter().all(|s| *s == StatusCode::SEE_OTHER), "{statuses:?}");
    let flows = b.stored_flows().await;
    println!("50 simultaneous sign-ins left {} under way", flows.len());
    assert!((1..=5).contains(&flows.len()), "max_pending = 5: {}", flows.len());
}

/// The value of query parameter `name` in `url`.
fn query_param(url: &str, name: &str) -> String {
    let url = reqwest::Url::parse(url).unwrap();
    url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned()).unwrap()
}

const FIREFOX_LINUX: &str =
    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
const SAFARI_IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) \
    AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";

#[rocket::async_test]
async fn one_device_of_a_user_lists_and_signs_out_another() {
    let first = Browser::open("devices").await;
    let (laptop, phone) = first.laptop_and_phone("Ada Lovelace").await;
    let mut seen = laptop.devices().await;
    seen.sort();
    let labels: Vec<(&str, bool)> = seen.iter().map(|(l, _, here)| (l.as_str(), *here)).collect();
    assert_eq!(labels, [("Firefox on Linux", true), ("Safari on iOS", false)], "{seen:?}");
    let phone_handle = seen[1].1.clone();
    assert!(!phone.cookie().unwrap().contains(&phone_handle), "the handle is not the id");
    // Someone else signed in elsewhere is not listed.
    let other = first.device(FIREFOX_LINUX);
    other.sign_in("Grace Hopper").await;
    assert_eq!(other.devices().await.len(), 1);
    // Nor can a user end it by its handle: a handle names a session of the user's own.
    let grace_handle = other.devices().await[0].1.clone();
    let page = laptop.submit("/sessions/end", &[("handle", &grace_handle)]).await;
    assert!(page.contains("That session had already ended."), "{page}");
    assert_eq!(other.signed_in_as().await.as_deref(), Some("Grace Hopper"));

    // Without the form's CSRF token nothing ends.
    let forged = [("handle".to_owned(), phone_handle.clone())];
    assert_eq!(laptop.post("/sessions/end", &forged).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(phone.signed_in_as().await.as_deref(), Some("Ada Lovelace"));

    let page = laptop.submit("/sessions/end", &[("handle", &phone_handle)]).await;
    assert!(page.contains("That session was ended: its device is signed out."), "{page}");
    let page = page_text(laptop.get("/").await, StatusCode::OK).await;
    assert!(!page.contains("That session was ended"), "the message shows once");
    // Gone for the phone at once: its next request has no session.
    assert_eq!(phone.signed_in_as().await, None);
    assert_eq!(phone.cookie(), None, "its dead cookie was removed");
    let left: Vec<String> = laptop.devices().await.into_iter().map(|d| d.0).collect();
    assert_eq!(left, ["Firefox on Linux"]);
    assert_eq!(laptop.signed_in_as().await.as_deref(), Some("Ada Lovelace"));

    // Ending it again, or a handle of no session, ends nothing; a malformed one is refused.
    let page = laptop.submit("/sessions/end", &[("handle", &phone_handle)]).await;
    assert!(page.contains("That session had already ended."), "{page}");
    let res = laptop.dashboard_form("/sessions/end", &[("handle", "not-a-handle")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[rocket::async_test]
async fn sign_out_everywhere_else_keeps_only_this_device() {
    let first = Browser::open("everywhere-else").await;
    let devices: Vec<Browser> =
        [FIREFOX_LINUX, SAFARI_IPHONE, "curl/8.5.0"].iter().map(|ua| first.device(ua)).collect();
    for device in &devices {
        device.sign_in("Katherine Johnson").await;
    }
    assert_eq!(devices[2].devices().await.len(), 3);
    let page = devices[2].submit("/sessions/end-others", &[]).await;
    assert!(page.contains("Signed out 2 other sessions."), "{page}");
    assert_eq!(devices[0].signed_in_as().await, None);
    assert_eq!(devices[1].signed_in_as().await, None);
    assert_eq!(devices[2].signed_in_as().await.as_deref(), Some("Katherine Johnson"));
    let left = devices[2].devices().await;
    assert_eq!(left.len(), 1);
    assert_eq!((left[0].0.as_str(), left[0].2), ("curl", true));
    assert!(!page.contains("Sign out everywhere else"), "no button with one session left");
    let page = devices[2].submit("/sessions/end-others", &[]).await;
    assert!(page.contains("You were signed in nowhere else."), "{page}");
}

#[rocket::async_test]
async fn signing_out_or_ending_this_device_takes_it_off_the_list() {
    let first = Browser::open("own-device").await;
    let (laptop, phone) = first.laptop_and_phone("Hedy Lamarr").await;
    // The phone signs out with the sign-out button: off the laptop's list.
    let page = page_text(phone.get("/oauth").await, StatusCode::OK).await;
    let token = input_value(&page, "csrf_token");
    let res = phone.post("/oauth/logout", &[("csrf_token".into(), token)]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(phone.signed_in_as().await, None);
    assert!(phone.cookie().is_some(), "the phone keeps an anonymous session");
    let listed: Vec<String> = laptop.devices().await.into_iter().map(|d| d.0).collect();
    assert_eq!(listed, ["Firefox on Linux"]);
    // The laptop ends its own session from the list: signed out here.
    let own = laptop.devices().await[0].1.clone();
    let page = laptop.submit("/sessions/end", &[("handle", &own)]).await;
    assert!(page.contains("This session was ended: you are signed out on this device."), "{page}");
    assert_eq!(laptop.signed_in_as().await, None);
    assert!(!page.contains("Your sessions"), "{page}");
    // Not signed in: the forms say so and end nothing.
    let page = laptop.submit("/sessions/end-others", &[]).await;
    assert!(page.contains("You are not signed in"), "{page}");
}

#[rocket::async_test]
async fn devices_of_a_user_work_on_a_redis_cluster() {
    let first = Browser::open_on_cluster("devices-cluster").await;
    let (laptop, phone) = first.laptop_and_phone("Barbara Liskov").await;
    let seen = phone.devices().await;
    assert_eq!(seen.len(), 2, "{seen:?}");
    let res = phone.dashboard_form("/sessions/end-others", &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(laptop.signed_in_as().await, None);
    assert_eq!(phone.signed_in_as().await.as_deref(), Some("Barbara Liskov"));
}

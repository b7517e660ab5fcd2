//! The demo pages: the dashboard's forms, CSRF checks, flash messages, limits, escaping.

use crate::common;

use rocket::http::{ContentType, Status};
use rocket::local::asynchronous::Client;
use rocket_redis_sessions::redis;
use serde_json::json;

use common::{input_value, json_body};

async fn app(test: &str) -> (Client, String) {
    let url = common::redis::shared_url();
    let prefix = common::unique_prefix(test);
    let client = common::client(common::app(&url, &prefix)).await;
    (client, prefix)
}

/// Loads the dashboard and returns its CSRF token.
async fn token(client: &Client) -> String {
    let page = client.get("/").dispatch().await;
    assert_eq!(page.status(), Status::Ok);
    input_value(&page.into_string().await.unwrap(), "csrf_token")
}

/// Starts the visitor's session and returns its CSRF token. A page view stores nothing
/// (its token waits in a cookie); the first form posted does: here one refused for its
/// empty key, which leaves a session holding only the token.
async fn start_session(client: &Client) -> String {
    let csrf = token(client).await;
    let form = [("csrf_token", csrf.as_str()), ("key", ""), ("value", "")];
    let (status, ..) = post(client, "/session", &form).await;
    assert_eq!(status, Status::UnprocessableEntity, "refused, with the session made");
    assert!(client.cookies().get("session").is_some(), "a session now");
    csrf
}

async fn post(
    client: &Client,
    path: &str,
    form: &[(&str, &str)],
) -> (Status, Option<String>, String) {
    let body = common::form_body(form);
    let res = client.post(path).header(ContentType::Form).body(body).dispatch().await;
    let status = res.status();
    let location = res.headers().get_one("Location").map(str::to_owned);
    (status, location, res.into_string().await.unwrap_or_default())
}

async fn session_json(client: &Client) -> serde_json::Value {
    json_body(client.get("/api/session").dispatch().await, Status::Ok).await
}

#[rocket::async_test]
async fn setting_a_value_redirects_home_and_the_next_page_shows_it_with_a_flash_once() {
    let (client, _) = app("set").await;
    let csrf = token(&client).await;
    let (status, location, _) =
        post(&client, "/session", &[("csrf_token", &csrf), ("key", "color"), ("value", "blue")])
            .await;
    assert_eq!((status, location.as_deref()), (Status::SeeOther, Some("/")));

    let page = client.get("/").dispatch().await.into_string().await.unwrap();
    assert!(
        page.contains("<code class=\"key\">color</code>") && page.contains("&quot;blue&quot;"),
        "{page}"
    );
    assert!(page.contains("Stored “color”."), "the flash is shown");
    let again = client.get("/").dispatch().await.into_string().await.unwrap();
    assert!(!again.contains("Stored “color”."), "and only once");
    assert_eq!(session_json(&client).await["color"], "blue");
}

#[rocket::async_test]
async fn a_post_without_a_valid_csrf_token_gets_403_and_changes_nothing() {
    let (client, _) = app("csrf").await;
    let csrf = token(&client).await;
    let wrong = format!("{}x", &csrf[1..]);
    for form in [
        vec![("key", "k"), ("value", "v")],
        vec![("csrf_token", ""), ("key", "k"), ("value", "v")],
        vec![("csrf_token", wrong.as_str()), ("key", "k"), ("value", "v")],
    ] {
        let (status, location, body) = post(&client, "/session", &form).await;
        assert_eq!((status, location), (Status::Forbidden, None), "{form:?}");
        assert!(body.contains("did not come from this site"), "{body}");
    }
    for path in ["/session/delete", "/session/regenerate", "/session/destroy", "/oauth/logout"] {
        let (status, ..) = post(&client, path, &[("csrf_token", &wrong), ("key", "k")]).await;
        assert_eq!(status, Status::Forbidden, "{path}");
    }
    let data = session_json(&client).await;
    assert!(data.get("k").is_none(), "nothing stored: {data}");
    assert_eq!(token(&client).await, csrf, "the session was neither rotated nor ended");
}

#[rocket::async_test]
async fn keys_over_128_bytes_and_values_over_4_kib_are_refused_with_a_message() {
    let (client, _) = app("limits").await;
    let csrf = token(&client).await;
    let long_key = "k".repeat(129);
    let long_value = "v".repeat(4097);
    for (key, value, says) in [
        (long_key.as_str(), "v", "at most 128 bytes"),
        ("k", long_value.as_str(), "at most 4096 bytes"),
        ("_csrf", "v", "managed by the app"),
        ("  ", "v", "cannot be empty"),
    ] {
        let (status, _, body) =
            post(&client, "/session", &[("csrf_token", &csrf), ("key", key), ("value", value)])
                .await;
        assert_eq!(status, Status::UnprocessableEntity, "{key:?}");
        assert!(body.contains(says), "{says}: {body}");
    }
    let ok_value = "v".repeat(4096);
    let key = "k".repeat(128);
    let (status, ..) =
        post(&client, "/session", &[("csrf_token", &csrf), ("key", &key), ("value", &ok_value)])
            .await;
    assert_eq!(status, Status::SeeOther, "the limits themselves are allowed");
    let data = session_json(&client).await;
    assert_eq!(data.as_object().unwrap().keys().filter(|k| !k.starts_with('_')).count(), 1);
}

#[rocket::async_test]
async fn delete_removes_a_key_and_refuses_app_keys() {
    let (client, _) = app("delete").await;
    let csrf = token(&client).await;
    post(&client, "/session", &[("csrf_token", &csrf), ("key", "a"), ("value", "1")]).await;
    let (status, location, _) =
        post(&client, "/session/delete", &[("csrf_token", &csrf), ("key", "a")]).await;
    assert_eq!((status, location.as_deref()), (Status::SeeOther, Some("/")));
    assert!(session_json(&client).await.get("a").is_none());
    post(&client, "/session/delete", &[("csrf_token", &csrf), ("key", "_csrf")]).await;
    let page = client.get("/").dispatch().await.into_string().await.unwrap();
    assert!(page.contains("is managed by the app"), "{page}");
    assert_eq!(input_value(&page, "csrf_token"), csrf, "the token is still there");
}

#[rocket::async_test]
async fn regenerate_keeps_the_data_under_a_new_cookie() {
    let (client, _) = app("regenerate").await;
    let csrf = token(&client).await;
    post(&client, "/session", &[("csrf_token", &csrf), ("key", "a"), ("value", "1")]).await;
    let before = client.cookies().get("session").unwrap().value().to_owned();
    let (status, location, _) =
        post(&client, "/session/regenerate", &[("csrf_token", &csrf)]).await;
    assert_eq!((status, location.as_deref()), (Status::SeeOther, Some("/")));
    let after = client.cookies().get("session").unwrap().value().to_owned();
    assert_ne!(before, after);
    assert_eq!(session_json(&client).await["a"], "1");
}

#[rocket::async_test]
async fn destroy_ends_the_session_and_the_next_page_says_so() {
    let (client, prefix) = app("destroy").await;
    let csrf = token(&client).await;
    post(&client, "/session", &[("csrf_token", &csrf), ("key", "a"), ("value", "1")]).await;
    let before = client.cookies().get("session").unwrap().value().to_owned();
    let (status, location, _) = post(&client, "/session/destroy", &[("csrf_token", &csrf)]).await;
    assert_eq!((status, location.as_deref()), (Status::SeeOther, Some("/")));
    let page = client.get("/").dispatch().await.into_string().await.unwrap();
    assert!(page.contains("was ended"), "{page}");
    assert!(session_json(&client).await.get("a").is_none());
    let after = client.cookies().get("session").map(|c| c.value().to_owned());
    assert_ne!(after.as_deref(), Some(before.as_str()), "the old id is gone");
    let url = common::redis::shared_url();
    assert_eq!(common::redis::keys(&url, &prefix).await.len(), 1, "only the new session");
}

#[rocket::async_test]
async fn the_counter_page_counts_visits() {
    let (client, _) = app("counter-page").await;
    for n in 1..=3 {
        let page = client.get("/counter").dispatch().await.into_string().await.unwrap();
        assert!(page.contains(&format!("<strong id=\"count\">{n}</strong>")), "{page}");
    }
    assert_eq!(session_json(&client).await["count"], json!(3));
}

#[rocket::async_test]
async fn hostile_keys_and_values_are_escaped_on_every_page() {
    let (client, _) = app("escape").await;
    let csrf = token(&client).await;
    let hostile = "<script>alert(1)</script>\"'&";
    post(&client, "/session", &[("csrf_token", &csrf), ("key", hostile), ("value", hostile)]).await;
    let page = client.get("/").dispatch().await.into_string().await.unwrap();
    assert!(!page.contains("<script>"), "{page}");
    assert!(page.contains("&lt;script&gt;alert(1)&lt;&#x2F;script&gt;"), "{page}");
    // The delete form carries the key back exactly.
    let keys = common::input_values(&page, "key");
    assert!(keys.contains(&hostile.to_owned()), "{keys:?}");
}

#[rocket::async_test]
async fn error_pages_come_from_templates_and_show_no_internals() {
    let (client, _) = app("errors").await;
    let res = client.get("/no/such/page").dispatch().await;
    assert_eq!(res.status(), Status::NotFound);
    let page = res.into_string().await.unwrap();
    assert!(page.contains("<h1><span class=\"code\">404</span> Not Found</h1>"), "{page}");
    let res = client.post("/session").header(ContentType::Form).body("key=a").dispatch().await;
    assert_eq!(res.status(), Status::Forbidden);
    let page = res.into_string().await.unwrap();
    assert!(page.contains("<span class=\"code\">403</span>"), "{page}");
    assert!(page.contains("did not come from this site") && !page.contains("csrf"), "{page}");
}

#[rocket::async_test]
async fn a_token_from_another_session_is_refused() {
    let (alice, _) = app("csrf-alice").await;
    let (mallory, _) = app("csrf-mallory").await;
    let alices = token(&alice).await;
    token(&mallory).await;
    let (status, ..) =
        post(&mallory, "/session", &[("csrf_token", &alices), ("key", "k"), ("value", "v")]).await;
    assert_eq!(status, Status::Forbidden, "a token is bound to its own session");
    assert!(session_json(&mallory).await.get("k").is_none());
}

/// The text inside the element with `id` on `page` (no nested tags).
fn text_of_id(page: &str, id: &str) -> String {
    let start = page.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("no #{id}: {page}"));
    let rest = &page[start..];
    let text = &rest[rest.find('>').unwrap() + 1..];
    text[..text.find('<').unwrap()].to_owned()
}

/// The value of the attribute `name` of the element with `id` on `page`.
fn attribute_of_id(page: &str, id: &str, name: &str) -> String {
    let start = page.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("no #{id}: {page}"));
    let tag = &page[start..start + page[start..].find('>').unwrap()];
    let value = tag.split(&format!("{name}=\"")).nth(1).unwrap_or_else(|| panic!("{tag}"));
    value[..value.find('"').unwrap()].to_owned()
}

fn cookie_value(client: &Client) -> String {
    client.cookies().get("session").expect("a session cookie").value().to_owned()
}

#[rocket::async_test]
async fn the_dashboard_shows_the_shortened_id_and_key_and_a_rotation_changes_both() {
    let (client, prefix) = app("id-hint").await;
    let csrf = start_session(&client).await;
    let shown = |page: &str| (text_of_id(page, "session-id"), text_of_id(page, "storage-key"));
    let expected = |cookie: &str| {
        let id = format!("{}…{}", &cookie[..6], &cookie[cookie.len() - 4..]);
        let key = rocket_redis_sessions::SessionId::parse(cookie).unwrap().storage_key(&prefix);
        (id, format!("{}…", &key[..prefix.len() + 12]))
    };
    let page = client.get("/").dispatch().await.into_string().await.unwrap();
    let before = cookie_value(&client);
    assert_eq!(shown(&page), expected(&before));
    assert!(!page.contains(&before), "never the whole id");
    let stored = common::redis::keys(&common::redis::shared_url(), &prefix).await;
    assert!(stored[0].starts_with(shown(&page).1.trim_end_matches('…')), "{stored:?}");

    post(&client, "/session/regenerate", &[("csrf_token", &csrf)]).await;
    let page = client.get("/").dispatch().await.into_string().await.unwrap();
    let after = cookie_value(&client);
    assert_ne!(before, after);
    assert_eq!(shown(&page), expected(&after));
    assert_ne!(shown(&page).0[..6], expected(&before).0[..6], "the shown id changed");
}

#[rocket::async_test]
async fn the_dashboard_explains_both_expiries_as_times() {
    let (client, _) = app("expiries").await;
    start_session(&client).await;
    let page = client.get("/").dispatch().await.into_string().await.unwrap();
    let parse = |id: &str| {
        let at = attribute_of_id(&page, id, "datetime");
        time::OffsetDateTime::parse(&at, &time::format_description::well_known::Rfc3339)
            .unwrap_or_else(|e| panic!("#{id}: {at}: {e}"))
    };
    let now = time::OffsetDateTime::now_utc();
    let idle = parse("idle-expiry") - now;
    assert!((1795..=1800).contains(&idle.whole_seconds()), "30 minutes from now: {idle}");
    let absolute = parse("absolute-expiry") - now;
    assert!((86395..=86400).contains(&absolute.whole_seconds()), "24 hours: {absolute}");
    assert!(page.contains("Unused for 30 minutes, the session ends"), "{page}");
    assert!(page.contains("24 hours after it was created, the session ends"), "{page}");
    assert!(page.contains("src=\"/static/times.js\""), "the countdown's script");
    let script = client.get("/static/times.js").dispatch().await;
    assert_eq!(script.status(), Status::Ok);
}

#[rocket::async_test]
async fn a_session_holding_only_the_apps_keys_reads_as_empty_and_app_keys_read_as_words() {
    let (client, prefix) = app("app-keys").await;
    start_session(&client).await;
    let page = client.get("/").dispatch().await.into_string().await.unwrap();
    assert!(page.contains("Your session holds no data of yours yet"), "{page}");
    assert!(page.contains("CSRF token <code class=\"key\">_csrf</code>"), "{page}");

    // What a sign-in leaves, written where the session lives.
    let url = common::redis::shared_url();
    let key = common::redis::keys(&url, &prefix).await.remove(0);
    let user =
        json!({"provider": "demo", "sub": "u1", "name": "Grace", "signed_in_at": 1796155201});
    let flow = json!({"state": "STATE-SECRET", "verifier": "VERIFIER-SECRET", "provider": "demo",
                      "return_to": "/", "created_at": 1796155200, "started_ns": 0});
    let write = redis::cmd("HSET")
        .arg(&key)
        .arg("_user")
        .arg(user.to_string())
        .arg("_oauth_flows")
        .arg(json!([flow]).to_string())
        .arg("_oauth_used")
        .arg(json!(["aa", "bb"]).to_string())
        .to_owned();
    let _: () = common::redis::query(&url, &write).await;

    let page = client.get("/").dispatch().await.into_string().await.unwrap();
    assert!(page.contains("Grace (through demo)"), "{page}");
    assert!(page.contains("datetime=\"2026-12-01T20:00:01Z\""), "the sign-in's time: {page}");
    assert!(!page.contains("1796155201"), "no raw epoch: {page}");
    assert!(page.contains("with demo, waiting for the provider"), "{page}");
    assert!(page.contains("2 finished sign-ins remembered"), "{page}");
    for secret in ["STATE-SECRET", "VERIFIER-SECRET"] {
        assert!(!page.contains(secret), "{secret} must not show: {page}");
    }
    assert!(page.contains("Your session holds no data of yours yet"), "still none of yours");

    // The API follows the page's rule: the app's keys in words, never their raw values.
    let csrf = common::input_value(&page, "csrf_token");
    let api = client.get("/api/session").dispatch().await.into_string().await.unwrap();
    for secret in ["STATE-SECRET", "VERIFIER-SECRET", csrf.as_str(), "\"aa\""] {
        assert!(!api.contains(secret), "{secret} must not show: {api}");
    }
    let api: serde_json::Value = serde_json::from_str(&api).unwrap();
    assert_eq!(api["_user"]["text"], "Grace (through demo)", "{api}");
    assert_eq!(api["_user"]["at"], "2026-12-01T20:00:01Z", "{api}");
    assert_eq!(api["_csrf"]["label"], "CSRF token", "{api}");
    let flow = api["_oauth_flows"]["text"].as_str().unwrap();
    assert!(flow.contains("1 sign-in with demo, waiting for the provider"), "{api}");
}

#[rocket::async_test]
async fn every_text_tells_where_sessions_are_kept() {
    let url = common::redis::shared_url();
    let cases: [(&str, [&str; 2], &[&str]); 2] = [
        ("redis", ["kept\n  in Redis", "restart the server and reload"], &["server's memory"]),
        (
            "memory",
            ["kept\n  in this server's memory", "starts the count again"],
            &["in Redis", "Redis key"],
        ),
    ];
    for (store, says, never) in cases {
        let figment = common::with(
            common::figment(&url, &common::unique_prefix("store-words"), json!({})),
            json!({"sessions.store": store}),
        );
        let client = common::client(rocket_redis_sessions_demo::rocket_from(figment)).await;
        let page = client.get("/counter").dispatch().await.into_string().await.unwrap();
        for text in says {
            assert!(page.contains(text), "{store}: {text:?} missing: {page}");
        }
        let dashboard = client.get("/").dispatch().await.into_string().await.unwrap();
        for text in never {
            assert!(!page.contains(text), "{store}: {text:?} is false here: {page}");
            assert!(!dashboard.contains(text), "{store}: {text:?} is false: {dashboard}");
        }
    }
}

/// What is made from a session is the visitor's alone: no cache may keep it. What is not
/// (the health check, static files) is left to the usual caching.
#[rocket::async_test]
async fn responses_made_from_a_session_are_not_stored_by_caches() {
    let (client, _) = app("no-store").await;
    for path in ["/", "/counter", "/api/session", "/api/counter", "/oauth"] {
        let res = client.get(path).dispatch().await;
        assert_eq!(res.headers().get_one("Cache-Control"), Some("no-store"), "{path}");
    }
    let page = client.get("/").dispatch().await.into_string().await.unwrap();
    let csrf = common::input_value(&page, "csrf_token");
    let res = client
        .post("/session")
        .header(ContentType::Form)
        .body(common::form_body(&[("csrf_token", &csrf), ("key", "k"), ("value", "v")]))
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(res.headers().get_one("Cache-Control"), Some("no-store"), "a form's answer");
    for path in ["/health", "/static/style.css"] {
        let res = client.get(path).dispatch().await;
        assert_eq!(res.headers().get_one("Cache-Control"), None, "{path}");
    }
}

/// Rocket's body limits are the app's own (`Rocket.toml`): the largest form the dashboard
/// takes fits, anything larger is 413 with a page (or the provider's JSON), never a 5xx.
#[rocket::async_test]
async fn bodies_past_the_limits_get_413_and_the_largest_valid_form_fits() {
    let figment = common::profile_figment("debug");
    for limit in ["form", "data-form", "json", "string"] {
        let value: String = figment.extract_inner(&format!("limits.{limit}")).unwrap();
        assert_eq!(value, "16 KiB", "limits.{limit}");
    }
    let (client, _) = app("limits").await;
    let page = client.get("/").dispatch().await.into_string().await.unwrap();
    let csrf = common::input_value(&page, "csrf_token");
    let post = |body: String| client.post("/session").header(ContentType::Form).body(body);

    // A 128-byte key and a 4 KiB value, every byte percent-encoded: the largest form.
    let key = "é".repeat(64);
    let value = "é".repeat(2048);
    let body = common::form_body(&[("csrf_token", &csrf), ("key", &key), ("value", &value)]);
    assert!(body.len() > 12 * 1024, "{}", body.len());
    assert_eq!(post(body).dispatch().await.status(), Status::SeeOther);
    let data = session_json(&client).await;
    assert_eq!(data[&key], json!(value), "stored whole");

    let value = "v".repeat(17 * 1024);
    let body = common::form_body(&[("csrf_token", &csrf), ("key", "big"), ("value", &value)]);
    let res = post(body).dispatch().await;
    assert_eq!(res.status(), Status::PayloadTooLarge);
    let html = res.into_string().await.unwrap();
    assert!(html.contains("The request is too large."), "{html}");
    assert!(session_json(&client).await.get("big").is_none());

    let res = client
        .post("/provider/token")
        .header(ContentType::Form)
        .body(format!("code={}", "c".repeat(17 * 1024)))
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::PayloadTooLarge);
    assert_eq!(json_body(res, Status::PayloadTooLarge).await["error"], "invalid_request");
}

/// 300 forms posted at once to one session, each adding a 4 KiB value under a key of its
/// own: each alone fits, together they would hold 1.2 MB. The store checks the limits as
/// it writes, so the session ends at most at `max_bytes` (64 KiB) and `max_keys`; every
/// refused form got 413, and the dashboard still loads. On Redis and in memory.
#[rocket::async_test]
async fn simultaneous_forms_cannot_take_a_session_past_its_limits() {
    for store in ["redis", "memory"] {
        let url = common::redis::shared_url();
        let prefix = common::unique_prefix("limits-at-once");
        let figment = common::with(
            common::figment(&url, &prefix, json!({})),
            json!({"sessions.store": store}),
        );
        let client = common::client(rocket_redis_sessions_demo::rocket_from(figment)).await;
        let csrf = start_session(&client).await;
        let value = "v".repeat(4000);
        let bodies: Vec<String> = (0..300)
            .map(|i| {
                let key = format!("k{i:03}");
                common::form_body(&[("csrf_token", &csrf), ("key", &key), ("value", &value)])
            })
            .collect();
        let posts = bodies
            .iter()
            .map(|body| client.post("/session").header(ContentType::Form).body(body).dispatch());
        let statuses: Vec<Status> =
            rocket::futures::future::join_all(posts).await.iter().map(|r| r.status()).collect();
        let saved = statuses.iter().filter(|s| **s == Status::SeeOther).count();
        let refused = statuses.iter().filter(|s| **s == Status::PayloadTooLarge).count();
        assert_eq!(saved + refused, 300, "{store}: 303 or 413 only: {statuses:?}");

        let start = std::time::Instant::now();
        let page = client.get("/").dispatch().await;
        assert_eq!(page.status(), Status::Ok, "{store}: the dashboard at the limits");
        let html = page.into_string().await.unwrap();
        let took = start.elapsed();
        let data = session_json(&client).await;
        let object: serde_json::Map<String, serde_json::Value> = data
            .as_object()
            .unwrap()
            .clone()
            .into_iter()
            .filter(|(k, _)| !k.starts_with('_'))
            .collect();
        let bytes: usize = object.iter().map(|(k, v)| k.len() + v.to_string().len()).sum();
        println!(
            "{store}: {saved} of 300 saved, {} keys, {bytes} bytes; dashboard {took:?}, {} KiB",
            object.len(),
            html.len() / 1024
        );
        assert_eq!(object.len(), saved, "{store}: every saved form is there, no other");
        assert!(bytes <= 64 * 1024, "{store}: {bytes} bytes");
        assert!(
            (15..=16).contains(&saved),
            "{store}: 64 KiB hold 16 values of 4 KiB, less the app's keys"
        );
        assert!(html.len() < 200 * 1024, "{store}: the page stays small: {}", html.len());
    }
}

/// A visitor who only looks at pages costs the store nothing: the forms' CSRF token waits
/// in a cookie of its own until the first form is posted, which makes the session and
/// moves the token into it. A form from another site (no such cookie) is refused.
#[rocket::async_test]
async fn a_visitor_who_only_looks_stores_nothing_until_the_first_form() {
    let (client, prefix) = app("look-only").await;
    let url = common::redis::shared_url();
    for path in ["/", "/oauth", "/"] {
        let res = client.get(path).dispatch().await;
        assert_eq!(res.status(), Status::Ok, "{path}");
        assert!(common::set_cookie(&res, "session").is_none(), "{path}: no session");
    }
    assert!(common::redis::keys(&url, &prefix).await.is_empty(), "nothing stored");
    let page = client.get("/").dispatch().await.into_string().await.unwrap();
    let csrf = input_value(&page, "csrf_token");
    let cookie = client.cookies().get("session-csrf").expect("the token's cookie").clone();
    assert_eq!(cookie.value(), csrf, "the same token");
    assert_eq!(cookie.http_only(), Some(true));
    assert_eq!(cookie.same_site(), Some(rocket::http::SameSite::Lax));

    // Another site's form: it cannot send the cookie, so its copy of a token fails.
    let stranger = common::client(common::app(&url, &prefix)).await;
    let form = [("csrf_token", csrf.as_str()), ("key", "k"), ("value", "v")];
    let (status, ..) = post(&stranger, "/session", &form).await;
    assert_eq!(status, Status::Forbidden);
    assert!(common::redis::keys(&url, &prefix).await.is_empty(), "still nothing stored");

    // The visitor's own form: the session is made, the token moves into it.
    let body = common::form_body(&form);
    let res = client.post("/session").header(ContentType::Form).body(body).dispatch().await;
    assert_eq!(res.status(), Status::SeeOther);
    let removal = common::set_cookie(&res, "session-csrf").expect("the cookie is removed");
    assert_eq!(removal.value(), "");
    drop(res);
    assert_eq!(common::redis::keys(&url, &prefix).await.len(), 1, "one session");
    let page = client.get("/").dispatch().await.into_string().await.unwrap();
    assert_eq!(input_value(&page, "csrf_token"), csrf, "the session keeps the same token");
    assert_eq!(session_json(&client).await["k"], "v");
}

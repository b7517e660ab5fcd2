//! The demo pages: the dashboard's forms, CSRF checks, flash messages, limits, escaping.

use crate::common;

use rocket::http::{ContentType, Status};
use rocket::local::asynchronous::Client;
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
    assert!(page.contains("<code>color</code>") && page.contains("&quot;blue&quot;"), "{page}");
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

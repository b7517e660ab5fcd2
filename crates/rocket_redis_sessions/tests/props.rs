//! Property tests of the helpers that read session values back, through Rocket's local
//! client and the memory store: `flash::take` with a stored value of any JSON shape, and
//! `csrf::verify` with any submitted string.

use std::time::Duration;

use proptest::prelude::*;
use rocket::figment::Figment;
use rocket::http::Status;
use rocket::local::blocking::Client;
use rocket::{Build, Rocket, get, post, routes};
use rocket_redis_sessions::flash::{self, Flash};
use rocket_redis_sessions::store::{Expiry, MemoryStore};
use rocket_redis_sessions::{Session, SessionError, SessionFairing, csrf};
use serde_json::value::RawValue;
use serde_json::{Value, json};

/// Stores the body, JSON text of any shape, under the flash key as it is.
#[post("/flash", data = "<json>")]
fn put_flash(session: Session<'_>, json: String) -> Result<(), SessionError> {
    let raw: Box<RawValue> = serde_json::from_str(&json).expect("the test sends JSON");
    session.insert(flash::KEY, &raw)
}

/// Takes the flash message: `{"flash": …, "left": whether the key is still there}`.
#[get("/flash")]
fn take_flash(session: Session<'_>) -> String {
    let taken = flash::take(&session);
    json!({ "flash": taken, "left": session.keys().iter().any(|k| k == flash::KEY) }).to_string()
}

/// The session's keys.
#[get("/keys")]
fn keys(session: Session<'_>) -> String {
    json!(session.keys()).to_string()
}

/// The session's CSRF token, made on first use.
#[get("/csrf")]
fn token(session: Session<'_>) -> Result<String, SessionError> {
    csrf::token(&session)
}

/// Stores the body, JSON text of any shape, as the session's CSRF token.
#[post("/csrf/raw", data = "<json>")]
fn put_token(session: Session<'_>, json: String) -> Result<(), SessionError> {
    let raw: Box<RawValue> = serde_json::from_str(&json).expect("the test sends JSON");
    session.insert(csrf::KEY, &raw)
}

/// Whether the body is the session's CSRF token: `"true"` or `"false"`.
#[post("/csrf", data = "<submitted>")]
fn verify(session: Session<'_>, submitted: String) -> String {
    csrf::verify(&session, &submitted).to_string()
}

/// Ends the session, so the next case starts without one.
#[post("/end")]
fn end(session: Session<'_>) {
    session.destroy();
}

fn app() -> Rocket<Build> {
    let figment = Figment::from(rocket::Config::debug_default())
        .merge(("log_level", "off"))
        .merge(("sessions.secure", false));
    let expiry = Expiry { idle: Duration::from_secs(600), absolute: Duration::from_secs(3600) };
    rocket::custom(figment)
        .attach(SessionFairing::with_store(MemoryStore::new(expiry)))
        .mount("/", routes![put_flash, take_flash, keys, token, put_token, verify, end])
}

/// A tracked client (it keeps the session cookie like a browser).
fn client() -> Client {
    Client::tracked(app()).expect("the app ignites")
}

/// Short strings of any characters, JSON's and HTML's special ones often.
fn text() -> impl Strategy<Value = String> {
    let c = prop_oneof![
        3 => any::<char>(),
        1 => prop::sample::select(vec!['"', '\\', '\0', '\n', '<', '&', '\u{202e}', 'é']),
    ];
    prop::collection::vec(c, 0..24).prop_map(|c| c.into_iter().collect())
}

/// Any JSON value, nested a little.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        text().prop_map(Value::from),
        prop::sample::select(vec!["success", "error", "Success", "ERROR", "info", ""])
            .prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map(
                prop_oneof![Just("kind".to_owned()), Just("message".to_owned()), text()],
                inner,
                0..4,
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A flash value as the store could hold it: a real message, one a little off (a kind of
/// another case or name, a message of another type, a field missing or added), or any JSON.
fn flash_value() -> impl Strategy<Value = Value> {
    let kind = prop_oneof![
        Just(json!("success")),
        Just(json!("error")),
        json_value(), // "Success", "info", 3, null, [], ...
    ];
    let message = prop_oneof![3 => text().prop_map(Value::from), 1 => json_value()];
    let shaped = (kind, message, any::<u8>(), (text(), json_value())).prop_map(
        |(kind, message, drop, (extra_name, extra))| {
            let mut object = serde_json::Map::new();
            if drop % 5 != 0 {
                object.insert("kind".to_owned(), kind);
            }
            if drop % 7 != 0 {
                object.insert("message".to_owned(), message);
            }
            if drop % 3 == 0 {
                object.insert(extra_name, extra);
            }
            Value::Object(object)
        },
    );
    prop_oneof![3 => shaped, 1 => json_value()]
}

/// What `flash::take` must give for `value`: the message if `value` is one, else nothing.
fn expected_flash(value: &Value) -> Option<Flash> {
    serde_json::from_value(value.clone()).ok()
}

#[test]
fn a_flash_value_of_any_shape_is_taken_once_or_dropped() {
    let client = client();
    proptest!(ProptestConfig::with_cases(128), |(value in flash_value())| {
        let text = value.to_string();
        let res = client.post("/flash").body(&text).dispatch();
        prop_assert_eq!(res.status(), Status::Ok, "storing {}", text);

        let res = client.get("/flash").dispatch();
        prop_assert_eq!(res.status(), Status::Ok, "taking {}", text);
        let body: Value = serde_json::from_str(&res.into_string().expect("a body"))
            .expect("JSON");
        let taken: Option<Flash> = serde_json::from_value(body["flash"].clone())
            .expect("a Flash or null");
        prop_assert_eq!(taken, expected_flash(&value), "for {}", text);
        prop_assert_eq!(&body["left"], &json!(false), "the key stayed in the request");

        // Gone from the store too: the next request's session does not have it.
        let res = client.get("/keys").dispatch();
        prop_assert_eq!(res.status(), Status::Ok);
        let keys: Vec<String> = serde_json::from_str(&res.into_string().expect("a body"))
            .expect("JSON");
        prop_assert!(!keys.iter().any(|k| k == flash::KEY), "still stored: {:?}", keys);
        let again = client.get("/flash").dispatch().into_string().expect("a body");
        prop_assert_eq!(
            serde_json::from_str::<Value>(&again).expect("JSON")["flash"].clone(),
            Value::Null,
            "shown twice"
        );
    });
}

/// Guesses at a token `token`: itself changed a little (cut, lengthened, one character
/// or its case changed, padded with whitespace or NUL), or anything.
fn guess(token: String) -> impl Strategy<Value = String> {
    let len = token.len();
    let edits = prop_oneof![
        Just(token.clone()),
        (0..len).prop_map({
            let token = token.clone();
            move |n| token[..n].to_owned()
        }),
        text().prop_map({
            let token = token.clone();
            move |more| format!("{token}{more}")
        }),
        text().prop_map({
            let token = token.clone();
            move |more| format!("{more}{token}")
        }),
        (0..len, any::<char>()).prop_map({
            let token = token.clone();
            move |(at, c)| {
                let mut chars: Vec<char> = token.chars().collect();
                chars[at] = c;
                chars.into_iter().collect()
            }
        }),
        Just(token.to_ascii_lowercase()),
        Just(token.to_ascii_uppercase()),
        prop::sample::select(vec![" ", "\n", "\t", "\0", "\r\n"]).prop_map({
            let token = token.clone();
            move |pad| format!("{token}{pad}")
        }),
        Just(String::new()),
    ];
    prop_oneof![4 => edits, 1 => text()]
}

#[test]
fn only_the_exact_token_verifies() {
    let client = client();
    let token = client.get("/csrf").dispatch().into_string().expect("a token");
    assert!(!token.is_empty() && token.is_ascii(), "{token:?}");
    proptest!(ProptestConfig::with_cases(128), |(submitted in guess(token.clone()))| {
        let res = client.post("/csrf").body(&submitted).dispatch();
        prop_assert_eq!(res.status(), Status::Ok);
        let verified = res.into_string().expect("a body") == "true";
        prop_assert_eq!(verified, submitted == token, "{:?} against {:?}", submitted, token);
    });
    // The token is still the session's own after all those guesses.
    assert_eq!(client.get("/csrf").dispatch().into_string().as_deref(), Some(token.as_str()));
}

#[test]
fn a_session_without_a_string_token_verifies_nothing() {
    let client = client();
    proptest!(
        ProptestConfig::with_cases(64),
        |(stored in prop::option::of(json_value()), submitted in text())| {
            // A session with no token, or one holding something other than a string.
            client.post("/end").dispatch();
            if let Some(stored) = &stored {
                prop_assume!(!stored.is_string());
                let res = client.post("/csrf/raw").body(stored.to_string()).dispatch();
                prop_assert_eq!(res.status(), Status::Ok);
            }
            for submitted in [submitted.as_str(), "", "null"] {
                let res = client.post("/csrf").body(submitted).dispatch();
                prop_assert_eq!(res.status(), Status::Ok);
                let verified = res.into_string().expect("a body");
                prop_assert_eq!(verified, "false", "{:?} verified against {:?}", submitted, stored);
            }
        }
    );
}

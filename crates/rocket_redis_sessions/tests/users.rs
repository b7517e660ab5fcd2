//! A user's sessions through the whole layer: `bind_user` at sign-in, the list, ending
//! sessions, and a request in flight on a session that another device ends meanwhile.
//! Each test runs on a single Redis and on a Redis Cluster, and on the memory store.

use rocket::figment::Figment;
use rocket::http::{Cookie, Status};
use rocket::local::asynchronous::{Client, LocalResponse};
use rocket::tokio::sync::Notify;
use rocket::{Build, Rocket, State, get, post, routes};
use rocket_db_pools::Database;
use rocket_redis_sessions::{RedisPool, Session, SessionError, SessionFairing};
use serde_json::{Value, json};

use redis_test_server as test_redis;

#[derive(Database)]
#[database("sessions")]
struct Sessions(RedisPool);

/// Holds `/slow-write` between its load and its save, for a test to act in between.
#[derive(Default)]
struct Gate {
    loaded: Notify,
    release: Notify,
}

#[post("/sign-in/<user>")]
fn sign_in(session: Session<'_>, user: &str) -> Result<(), SessionError> {
    session.insert("user", user)?;
    session.bind_user(user)
}

#[post("/sign-out")]
fn sign_out(session: Session<'_>) -> Result<(), SessionError> {
    session.remove("user");
    session.unbind_user()
}

#[get("/me")]
async fn me(session: Session<'_>) -> Result<String, SessionError> {
    let sessions = session.user_sessions().await?;
    let listed: Vec<Value> = sessions
        .iter()
        .map(|s| json!({ "handle": s.handle, "device": s.device, "current": s.current }))
        .collect();
    let me = json!({
        "user": session.get::<String>("user")?,
        "bound": session.is_bound(),
        "handle": session.user_handle(),
        "note": session.get::<String>("note")?,
        "sessions": listed,
    });
    Ok(me.to_string())
}

#[post("/end/<handle>")]
async fn end(session: Session<'_>, handle: &str) -> Result<String, SessionError> {
    Ok(session.end_user_session(handle).await?.to_string())
}

#[post("/end-others")]
async fn end_others(session: Session<'_>) -> Result<String, SessionError> {
    Ok(session.end_other_user_sessions().await?.to_string())
}

#[post("/end-all")]
async fn end_all(session: Session<'_>) -> Result<String, SessionError> {
    Ok(session.end_all_user_sessions().await?.to_string())
}

/// Loads the session, waits for the test, then writes a note (and rotates the id, if
/// asked): a request in flight.
#[post("/slow-write?<rotate>")]
async fn slow_write(
    session: Session<'_>,
    gate: &State<Gate>,
    rotate: bool,
) -> Result<(), SessionError> {
    gate.loaded.notify_one();
    gate.release.notified().await;
    session.insert("note", "written late")?;
    if rotate {
        session.cycle_id()?;
    }
    Ok(())
}

#[derive(Clone, Copy, Debug)]
enum Backing {
    Memory,
    Single,
    Cluster,
}

fn app(backing: Backing) -> Rocket<Build> {
    let prefix = test_redis::unique_prefix("users");
    let figment = Figment::from(rocket::Config::debug_default())
        .merge(("log_level", "off"))
        .merge(("sessions.key_prefix", prefix));
    let figment = match backing {
        Backing::Memory => figment
            .merge(("databases.sessions.url", "redis://127.0.0.1:1/0"))
            .merge(("sessions.store", "memory")),
        Backing::Single => figment
            .merge(("databases.sessions.url", test_redis::shared_url()))
            .merge(("sessions.store", "redis")),
        Backing::Cluster => figment
            .merge(("databases.sessions.mode", "cluster"))
            .merge(("databases.sessions.urls", test_redis::shared_cluster().urls()))
            .merge(("sessions.store", "redis")),
    };
    rocket::custom(figment)
        .attach(Sessions::init())
        .attach(SessionFairing::redis::<Sessions>())
        .manage(Gate::default())
        .mount("/", routes![sign_in, sign_out, me, end, end_others, end_all, slow_write])
}

/// A browser: the session cookie it holds.
#[derive(Default)]
struct Device {
    agent: &'static str,
    cookie: Option<String>,
}

impl Device {
    fn new(agent: &'static str) -> Self {
        Self { agent, cookie: None }
    }

    /// Keeps what the response did to the session cookie.
    fn keep(&mut self, res: &LocalResponse<'_>) {
        if let Some(cookie) = res.cookies().get("session") {
            self.cookie = Some(cookie.value().to_owned()).filter(|v| !v.is_empty());
        }
    }

    async fn send(&mut self, client: &Client, post: bool, path: &str) -> (Status, String) {
        let mut req = match post {
            true => client.post(path.to_owned()),
            false => client.get(path.to_owned()),
        };
        req = req.header(rocket::http::Header::new("User-Agent", self.agent));
        if let Some(cookie) = &self.cookie {
            req = req.cookie(Cookie::new("session", cookie.clone()));
        }
        let res = req.dispatch().await;
        self.keep(&res);
        (res.status(), res.into_string().await.unwrap_or_default())
    }

    async fn me(&mut self, client: &Client) -> Value {
        let (status, body) = self.send(client, false, "/me").await;
        assert_eq!(status, Status::Ok, "{body}");
        serde_json::from_str(&body).unwrap()
    }
}

const LAPTOP: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
const PHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 \
                     (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";

async fn client(backing: Backing) -> Client {
    let rocket = match backing {
        Backing::Cluster => {
            rocket::tokio::task::spawn_blocking(move || app(backing)).await.unwrap()
        }
        _ => app(backing),
    };
    Client::untracked(rocket).await.expect("launches")
}

async fn two_devices_of_one_user_end_each_other(backing: Backing) {
    let client = client(backing).await;
    let (mut laptop, mut phone) = (Device::new(LAPTOP), Device::new(PHONE));
    // The laptop had a session before signing in: sign-in moves it to a new id.
    client.rocket().state::<Gate>().unwrap().release.notify_one();
    laptop.send(&client, true, "/slow-write?rotate=false").await;
    let anonymous = laptop.cookie.clone();
    assert!(anonymous.is_some());
    assert_eq!(laptop.send(&client, true, "/sign-in/ada").await.0, Status::Ok);
    assert_ne!(laptop.cookie, anonymous, "a new id at sign-in");
    assert_eq!(phone.send(&client, true, "/sign-in/ada").await.0, Status::Ok);
    let seen = laptop.me(&client).await;
    assert_eq!(seen["user"], "ada");
    assert_eq!(seen["note"], "written late", "the data came along");
    // Oldest first; the two may have been created in the same millisecond.
    let mut devices: Vec<(&str, bool)> = seen["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["device"].as_str().unwrap(), s["current"].as_bool().unwrap()))
        .collect();
    devices.sort();
    assert_eq!(devices, [("Firefox on Linux", true), ("Safari on iOS", false)], "{backing:?}");
    let on_phone = seen["sessions"].as_array().unwrap().iter().find(|s| s["current"] == false);
    let phone_handle = on_phone.unwrap()["handle"].as_str().unwrap().to_owned();
    assert_eq!(phone.me(&client).await["handle"], phone_handle.as_str());

    let (status, ended) = laptop.send(&client, true, &format!("/end/{phone_handle}")).await;
    assert_eq!((status, ended.as_str()), (Status::Ok, "true"));
    let after = phone.me(&client).await;
    assert_eq!((after["bound"].as_bool(), after["user"].as_str()), (Some(false), None));
    assert_eq!(phone.cookie, None, "the phone's dead cookie is removed");
    assert_eq!(laptop.me(&client).await["sessions"].as_array().unwrap().len(), 1);

    // Sign-out untie the session: off the list of the user's other devices.
    phone.send(&client, true, "/sign-in/ada").await;
    assert_eq!(laptop.me(&client).await["sessions"].as_array().unwrap().len(), 2);
    assert_eq!(phone.send(&client, true, "/sign-out").await.0, Status::Ok);
    assert!(phone.cookie.is_some(), "the session goes on, without a user");
    assert_eq!(laptop.me(&client).await["sessions"].as_array().unwrap().len(), 1);

    // Ending every session, this one included, signs this device out too.
    phone.send(&client, true, "/sign-in/ada").await;
    let (_, ended) = phone.send(&client, true, "/end-all").await;
    assert_eq!(ended, "2");
    assert_eq!(phone.cookie, None);
    assert_eq!(laptop.me(&client).await["bound"], false);
}

/// One device signs out everywhere else while a request of another is between its load
/// and its save (plain, or rotating the id): the ended session stays ended.
async fn sign_out_everywhere_racing_a_request_in_flight(backing: Backing, rotate: bool) {
    let client = client(backing).await;
    let gate = client.rocket().state::<Gate>().unwrap();
    let (mut laptop, mut phone) = (Device::new(LAPTOP), Device::new(PHONE));
    laptop.send(&client, true, "/sign-in/grace").await;
    phone.send(&client, true, "/sign-in/grace").await;
    let path = format!("/slow-write?rotate={rotate}");
    let mut in_flight = Device { agent: PHONE, cookie: phone.cookie.clone() };
    let slow = in_flight.send(&client, true, &path);
    let race = async {
        gate.loaded.notified().await;
        let (_, ended) = laptop.send(&client, true, "/end-others").await;
        gate.release.notify_one();
        ended
    };
    let ((status, _), ended) = rocket::tokio::join!(slow, race);
    assert_eq!(ended, "1");
    assert_eq!(status, Status::Ok, "the late save is dropped, not an error");
    assert!(in_flight.cookie == phone.cookie, "no new cookie for an ended session");
    let after = phone.me(&client).await;
    assert_eq!((after["bound"].as_bool(), after["note"].as_str()), (Some(false), None), "{after}");
    let listed = laptop.me(&client).await["sessions"].as_array().unwrap().len();
    assert_eq!(listed, 1, "the ended session did not come back into the index");
}

macro_rules! on_every_store {
    ($($name:ident => $test:ident($($arg:expr),*);)*) => {
        mod memory {
            use super::*;
            $(#[rocket::async_test] async fn $name() { super::$test(Backing::Memory, $($arg),*).await })*
        }
        mod single {
            use super::*;
            $(#[rocket::async_test] async fn $name() { super::$test(Backing::Single, $($arg),*).await })*
        }
        mod cluster {
            use super::*;
            $(#[rocket::async_test] async fn $name() { super::$test(Backing::Cluster, $($arg),*).await })*
        }
    };
}

on_every_store! {
    two_devices_of_one_user_end_each_other => two_devices_of_one_user_end_each_other();
    sign_out_everywhere_racing_a_save_in_flight => sign_out_everywhere_racing_a_request_in_flight(false);
    sign_out_everywhere_racing_a_rotation_in_flight => sign_out_everywhere_racing_a_request_in_flight(true);
}

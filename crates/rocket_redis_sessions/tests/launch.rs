//! What a misassembled app hears at launch, instead of a 500 on every request.

use rocket::error::ErrorKind;
use rocket::figment::Figment;
use rocket::{Build, Rocket, get, routes};
use rocket_db_pools::Database;
use rocket_redis_sessions::{RedisPool, Session, SessionFairing};

#[derive(Database)]
#[database("sessions")]
struct Sessions(RedisPool);

#[get("/")]
fn uses_the_session(session: Session<'_>) -> String {
    format!("{:?}", session.status())
}

/// Quiet settings with the `[databases.sessions]` table (no Redis is contacted: the pool
/// connects lazily and the sessions stay in memory).
fn figment() -> Figment {
    Figment::from(rocket::Config::debug_default())
        .merge(("log_level", "off"))
        .merge(("databases.sessions.url", "redis://127.0.0.1:1/0"))
        .merge(("sessions.store", "memory"))
}

fn app(figment: Figment) -> Rocket<Build> {
    rocket::custom(figment).mount("/", routes![uses_the_session])
}

#[rocket::async_test]
async fn a_route_taking_session_without_the_fairing_stops_the_launch() {
    let error = app(figment()).ignite().await.expect_err("the launch is stopped");
    match error.kind() {
        ErrorKind::SentinelAborts(sentries) => {
            let names: Vec<&str> = sentries.iter().map(|s| s.type_name).collect();
            assert!(names.iter().any(|n| n.contains("Session")), "{names:?}");
        }
        other => panic!("expected a sentinel abort, got {other:?}"),
    }
}

#[rocket::async_test]
async fn the_same_app_with_the_pool_and_the_fairing_launches() {
    let rocket =
        app(figment()).attach(Sessions::init()).attach(SessionFairing::redis::<Sessions>());
    let client = rocket::local::asynchronous::Client::untracked(rocket).await.expect("launches");
    let body = client.get("/").dispatch().await.into_string().await;
    assert_eq!(body.as_deref(), Some("New"));
}

#[rocket::async_test]
async fn the_fairing_without_its_database_stops_the_launch() {
    let rocket = app(figment().merge(("sessions.store", "redis")))
        .attach(SessionFairing::redis::<Sessions>());
    let error = rocket.ignite().await.expect_err("the launch is stopped");
    match error.kind() {
        ErrorKind::FailedFairings(failed) => {
            assert!(failed.iter().any(|f| f.name == "Sessions"), "{failed:?}");
        }
        other => panic!("expected a failed fairing, got {other:?}"),
    }
}

/// The library turns on no Rocket feature it does not need: `secrets` off, the release
/// profile starts without a `secret_key`.
#[rocket::async_test]
async fn the_release_profile_needs_no_secret_key() {
    let figment = Figment::from(rocket::Config::release_default())
        .merge(("log_level", "off"))
        .merge(("databases.sessions.url", "redis://127.0.0.1:1/0"))
        .merge(("sessions.store", "memory"));
    let rocket = app(figment).attach(Sessions::init()).attach(SessionFairing::redis::<Sessions>());
    rocket.ignite().await.expect("a release build starts without a secret key");
}

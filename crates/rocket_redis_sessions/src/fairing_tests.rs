//! Unit tests of `fairing.rs`: the launch messages, and the `Cache-Control` rule.

use rocket::figment::Figment;

use super::*;

fn rocket_with(figment: Figment) -> Rocket<Build> {
    rocket::custom(figment.merge(("log_level", "off")))
}

#[test]
fn a_missing_database_table_is_named_with_what_to_add() {
    let rocket = rocket_with(Figment::from(rocket::Config::debug_default()));
    let message = missing_pool(&rocket, "sessions");
    assert!(message.contains("no [databases.sessions] table"), "{message}");
    assert!(message.contains("url = \"redis://"), "{message}");
    assert!(message.contains("ROCKET_DATABASES"), "{message}");
}

#[test]
fn a_table_without_its_pool_names_the_fairing_to_attach() {
    let figment = Figment::from(rocket::Config::debug_default())
        .merge(("databases.sessions.url", "redis://127.0.0.1:6379/0"));
    let message = missing_pool(&rocket_with(figment), "sessions");
    assert!(message.contains("attach its fairing"), "{message}");
    assert!(!message.contains("no [databases.sessions] table"), "{message}");
}

/// A handler's own `Cache-Control`, in any case, is kept; a response made from a session
/// without one gets `no-store`; a route without a session gets nothing.
#[rocket::async_test]
async fn a_handlers_own_cache_control_is_kept_and_others_get_no_store() {
    use std::time::Duration;

    use rocket::http::{Header, Status};
    use rocket::local::asynchronous::Client;

    use crate::Session;
    use crate::store::{Expiry, MemoryStore};

    #[derive(rocket::Responder)]
    struct Cached(&'static str, Header<'static>);

    #[rocket::get("/own")]
    fn own(session: Session<'_>) -> Cached {
        let _ = session.insert("seen", &true);
        Cached("cached", Header::new("cache-control", "private, max-age=60"))
    }

    #[rocket::get("/plain")]
    fn plain(session: Session<'_>) -> &'static str {
        let _ = session.get::<bool>("seen");
        "plain"
    }

    #[rocket::get("/none")]
    fn none() -> &'static str {
        "none"
    }

    let expiry = Expiry { idle: Duration::from_secs(60), absolute: Duration::from_secs(600) };
    let rocket = rocket_with(Figment::from(rocket::Config::debug_default()))
        .mount("/", rocket::routes![own, plain, none])
        .attach(SessionFairing::with_store(MemoryStore::new(expiry)));
    let client = Client::tracked(rocket).await.unwrap();
    let res = client.get("/own").dispatch().await;
    assert_eq!(res.status(), Status::Ok);
    let all: Vec<&str> = res.headers().get("Cache-Control").collect();
    assert_eq!(all, ["private, max-age=60"], "the handler's, alone");
    assert!(res.headers().get_one("Set-Cookie").is_some(), "the session was saved");
    let res = client.get("/plain").dispatch().await;
    assert_eq!(res.headers().get_one("Cache-Control"), Some("no-store"));
    let res = client.get("/none").dispatch().await;
    assert_eq!(res.headers().get_one("Cache-Control"), None);
}

//! Unit tests of `fairing.rs`: the launch messages.

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

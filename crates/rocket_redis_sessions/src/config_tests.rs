//! Unit tests of `config.rs`.

use rocket::figment::providers::Serialized;

use super::*;

fn figment(profile: &str, sessions: serde_json::Value) -> Figment {
    Figment::from(Serialized::default("sessions", sessions)).select(profile)
}

#[test]
fn an_absent_table_gives_the_defaults() {
    let config = SessionConfig::from_figment(&Figment::new().select("debug")).unwrap();
    assert_eq!(config.cookie_name, "session");
    assert_eq!(config.idle_timeout, 1800);
    assert!(!config.secure(), "debug defaults to a non-Secure cookie");
}

#[test]
fn secure_defaults_to_true_outside_debug() {
    let config = SessionConfig::from_figment(&Figment::new().select("release")).unwrap();
    assert!(config.secure());
}

#[test]
fn a_host_prefixed_name_without_secure_is_refused() {
    let f = figment("debug", serde_json::json!({"cookie_name": "__Host-s"}));
    assert!(SessionConfig::from_figment(&f).is_err());
    let f = figment("debug", serde_json::json!({"cookie_name": "__HOST-s"}));
    assert!(SessionConfig::from_figment(&f).is_err(), "prefixes match without case");
    let f = figment("debug", serde_json::json!({"cookie_name": "__secure-s"}));
    assert!(SessionConfig::from_figment(&f).is_err());
    let f = figment("debug", serde_json::json!({"cookie_name": "__Host-s", "secure": true}));
    assert!(SessionConfig::from_figment(&f).is_ok());
    let f =
        figment("release", serde_json::json!({"cookie_name": "__Host-s", "domain": "example.com"}));
    assert!(SessionConfig::from_figment(&f).is_err());
}

#[test]
fn same_site_none_without_secure_is_refused() {
    let f = figment("debug", serde_json::json!({"same_site": "none"}));
    assert!(SessionConfig::from_figment(&f).is_err());
}

#[test]
fn unknown_keys_and_bad_values_are_refused() {
    let f = figment("debug", serde_json::json!({"idle_timout": 5}));
    assert!(SessionConfig::from_figment(&f).is_err());
    let f = figment("debug", serde_json::json!({"store": "postgres"}));
    assert!(SessionConfig::from_figment(&f).is_err());
    let f = figment("debug", serde_json::json!({"cookie_name": "a b"}));
    assert!(SessionConfig::from_figment(&f).is_err());
    let f = figment("debug", serde_json::json!({"idle_timeout": 0}));
    assert!(SessionConfig::from_figment(&f).is_err());
    let f = figment("debug", serde_json::json!({"absolute_timeout": u64::MAX}));
    assert!(SessionConfig::from_figment(&f).is_err(), "an overflowing lifetime is refused");
}

#[test]
fn a_key_prefix_with_a_brace_is_refused_saying_why() {
    for prefix in ["s{x}:", "s{", "s}"] {
        let f = figment("debug", serde_json::json!({ "key_prefix": prefix }));
        let error = SessionConfig::from_figment(&f).expect_err(prefix).to_string();
        assert!(error.contains("hash tag"), "{prefix}: {error}");
    }
    let f = figment("debug", serde_json::json!({ "key_prefix": "app:sessions:" }));
    assert!(SessionConfig::from_figment(&f).is_ok());
}

#[test]
fn touch_after_defaults_to_a_thirtieth_of_the_idle_timeout_and_stays_below_it() {
    let config = SessionConfig::from_figment(&Figment::new().select("debug")).unwrap();
    assert_eq!(config.touch_after(), Duration::from_secs(60));
    let f = figment("debug", serde_json::json!({"idle_timeout": 600}));
    assert_eq!(SessionConfig::from_figment(&f).unwrap().touch_after(), Duration::from_secs(20));
    let f = figment("debug", serde_json::json!({"touch_after": 0}));
    assert_eq!(SessionConfig::from_figment(&f).unwrap().touch_after(), Duration::ZERO);
    let f = figment("debug", serde_json::json!({"idle_timeout": 60, "touch_after": 60}));
    assert!(SessionConfig::from_figment(&f).is_err(), "touch_after must be below the idle timeout");
}

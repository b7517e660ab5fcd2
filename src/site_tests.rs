//! Unit tests of `site.rs`.

use rocket::figment::Figment;

use super::*;

fn listening_on(address: &str, port: u16) -> Figment {
    Figment::from(rocket::Config::debug_default()).merge(("address", address)).merge(("port", port))
}

fn site_of(figment: Figment) -> Site {
    Site::of(&rocket::custom(figment))
}

#[test]
fn without_a_public_url_both_urls_follow_the_listener() {
    let site = site_of(listening_on("127.0.0.1", 9000));
    assert_eq!(site.public_url, "http://127.0.0.1:9000");
    assert_eq!(site.local_url, "http://127.0.0.1:9000");
}

#[test]
fn a_listener_on_every_address_is_localhost_to_browsers_and_loopback_to_the_app() {
    let site = site_of(listening_on("0.0.0.0", 8000));
    assert_eq!(site.public_url, "http://localhost:8000");
    assert_eq!(site.local_url, "http://127.0.0.1:8000");
    assert_eq!(site_of(listening_on("::", 8000)).local_url, "http://[::1]:8000");
}

fn host(header: &str) -> Host<'_> {
    Host::parse(header).expect("a Host header")
}

#[test]
fn only_the_public_urls_host_and_port_are_the_public_host() {
    let site = site_of(listening_on("127.0.0.1", 9000));
    assert!(site.is_public_host(&host("127.0.0.1:9000")));
    assert!(!site.is_public_host(&host("localhost:9000")), "another name, another cookie jar");
    assert!(!site.is_public_host(&host("127.0.0.1:9001")));
    assert!(!site.is_public_host(&host("127.0.0.1")), "port 80 is not 9000");

    let figment =
        listening_on("0.0.0.0", 8000).merge(("oauth.public_url", "https://Sessions.Example.com/"));
    let site = site_of(figment);
    assert!(site.is_public_host(&host("sessions.example.com")), "https: port 443 by default");
    assert!(site.is_public_host(&host("sessions.example.com:443")));
    assert!(!site.is_public_host(&host("sessions.example.com:8000")));

    let site = site_of(listening_on("::", 8000));
    assert!(site.is_public_host(&host("LocalHost:8000")), "host names compare without case");
    assert!(!site.is_public_host(&host("[::1]:8000")));
}

#[test]
fn a_configured_public_url_is_what_browsers_get() {
    let figment = listening_on("127.0.0.1", 9000).merge(("oauth.public_url", "https://a.example/"));
    let site = site_of(figment);
    assert_eq!(site.public_url, "https://a.example");
    assert_eq!(site.local_url, "http://127.0.0.1:9000");
}

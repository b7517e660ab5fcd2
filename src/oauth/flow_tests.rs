//! Unit tests of `flow.rs`.

use super::*;

#[test]
fn only_paths_on_this_site_are_kept_as_return_paths() {
    let keep = |p: &str| safe_return_path(Some(p), "/oauth");
    assert_eq!(keep("/counter?x=1"), "/counter?x=1");
    for hostile in [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "/ok\r\nLocation: https://evil.example",
        "/a b",
        "/caf\u{e9}",
        "/x\u{2028}y",
        "",
    ] {
        assert_eq!(keep(hostile), "/oauth", "{hostile:?} must not be followed");
    }
    assert_eq!(safe_return_path(None, "/oauth"), "/oauth");
    assert_eq!(keep(&format!("/{}", "a".repeat(600))), "/oauth");
}

#[test]
fn an_attempt_expires_after_ten_minutes() {
    let flow = PendingFlow {
        state: "s".into(),
        verifier: "v".into(),
        provider: "demo".into(),
        return_to: "/".into(),
        created_at: 1_000,
        started_ns: 0,
    };
    assert!(!flow.is_expired(1_000 + 600));
    assert!(flow.is_expired(1_000 + 601));
}

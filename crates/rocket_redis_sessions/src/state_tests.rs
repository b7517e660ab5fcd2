//! Unit tests of `state.rs`.

use std::convert::Infallible;

use super::*;

fn mint(created_ms: u64, tag: Option<SlotTag>) -> Result<SessionId, Infallible> {
    Ok(SessionId::generate(created_ms, tag).expect("OS random source"))
}

fn loaded() -> (SessionId, State) {
    let id = mint(5, None).unwrap();
    let mut fields = Fields::new();
    fields.insert("a".into(), "1".into());
    (id.clone(), State::loaded(id, fields))
}

#[test]
fn a_loaded_session_left_alone_commits_nothing() {
    let (_, state) = loaded();
    assert_eq!(state.into_commit(), (Commit::Nothing, CookieChange::Keep));
}

#[test]
fn writing_the_value_already_there_does_not_mark_the_session_changed() {
    let (_, mut state) = loaded();
    state.insert("a", "1".into(), 9, mint).unwrap();
    assert_eq!(state.status(), SessionStatus::Unchanged);
}

#[test]
fn a_change_commits_only_the_changed_fields_and_keeps_the_cookie() {
    let (id, mut state) = loaded();
    state.insert("b", "2".into(), 9, mint).unwrap();
    state.remove("a");
    let changes: Changes = vec![("a".into(), None), ("b".into(), Some("2".into()))];
    assert_eq!(state.into_commit(), (Commit::Update { id, changes }, CookieChange::Keep));
}

#[test]
fn a_fresh_session_is_created_on_its_first_write_with_a_new_cookie() {
    let mut state = State::fresh(false);
    state.insert("k", "true".into(), 8, mint).unwrap();
    state.insert("k2", "1".into(), 8, mint).unwrap();
    match state.into_commit() {
        (Commit::Create { id, fields }, CookieChange::Set(cookie)) => {
            assert_eq!(id, cookie);
            assert_eq!(fields.len(), 2);
            assert_eq!(id.created_ms(), 8, "the id carries the creation time");
        }
        other => panic!("expected a create, got {other:?}"),
    }
}

#[test]
fn a_fresh_session_emptied_again_creates_nothing_and_sets_no_cookie() {
    let mut state = State::fresh(false);
    state.insert("k", "1".into(), 8, mint).unwrap();
    state.remove("k");
    assert_eq!(state.into_commit(), (Commit::Nothing, CookieChange::Keep));
}

#[test]
fn a_dead_cookie_is_removed_unless_a_new_session_replaces_it() {
    let state = State::fresh(true);
    assert_eq!(state.into_commit(), (Commit::Nothing, CookieChange::Remove));
    let mut state = State::fresh(true);
    state.insert("k", "1".into(), 8, mint).unwrap();
    assert!(matches!(state.into_commit(), (Commit::Create { .. }, CookieChange::Set(_))));
}

#[test]
fn cycling_the_id_moves_the_data_to_a_new_cookie() {
    let (old, mut state) = loaded();
    state.cycle_id(mint).unwrap();
    assert_eq!(state.status(), SessionStatus::Renewed);
    match state.into_commit() {
        (Commit::Renew { old: o, new, changes }, CookieChange::Set(cookie)) => {
            assert_eq!(o, old);
            assert_eq!(new.created_ms(), 5, "a rotated id keeps the creation time");
            assert_eq!(new.tag(), old.tag(), "and the slot tag: one slot for RENAME");
            assert_ne!(new, old);
            assert_eq!(new, cookie);
            assert!(changes.is_empty());
        }
        other => panic!("expected a renewal, got {other:?}"),
    }
}

#[test]
fn cycling_an_empty_fresh_session_does_nothing() {
    let mut state = State::fresh(false);
    state.cycle_id(mint).unwrap();
    assert_eq!(state.into_commit(), (Commit::Nothing, CookieChange::Keep));
}

#[test]
fn destroy_deletes_and_a_later_write_starts_a_successor() {
    let (old, mut state) = loaded();
    state.destroy();
    assert_eq!(state.status(), SessionStatus::Purged);
    assert!(!state.exists());
    state.insert("flash", "\"bye\"".into(), 9, mint).unwrap();
    match state.into_commit() {
        (Commit::Replace { old: o, id, fields }, CookieChange::Set(cookie)) => {
            assert_eq!(o, old);
            assert_ne!(id, old);
            assert_eq!(id.tag(), old.tag(), "one slot for the delete and the create");
            assert_eq!(id.created_ms(), 9, "a new session's own creation time");
            assert_eq!(id, cookie);
            assert_eq!(fields.len(), 1);
        }
        other => panic!("expected a replace, got {other:?}"),
    }
}

#[test]
fn destroy_alone_deletes_and_removes_the_cookie() {
    let (id, mut state) = loaded();
    state.destroy();
    assert_eq!(state.into_commit(), (Commit::Delete { id }, CookieChange::Remove));
}

#[test]
fn destroy_after_a_rotation_deletes_the_stored_id() {
    let (id, mut state) = loaded();
    state.cycle_id(mint).unwrap();
    state.destroy();
    assert_eq!(state.into_commit(), (Commit::Delete { id }, CookieChange::Remove));
}

#[test]
fn clear_removes_every_key_but_keeps_the_session() {
    let (id, mut state) = loaded();
    state.clear();
    assert!(state.exists());
    let changes: Changes = vec![("a".into(), None)];
    assert_eq!(state.into_commit(), (Commit::Update { id, changes }, CookieChange::Keep));
}

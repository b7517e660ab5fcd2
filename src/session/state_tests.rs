//! Unit tests of `state.rs`.

use std::convert::Infallible;

use super::*;

fn mint() -> Result<SessionId, Infallible> {
    Ok(SessionId::generate().expect("OS random source"))
}

fn loaded() -> (SessionId, State) {
    let id = mint().unwrap();
    let mut fields = Fields::new();
    fields.insert("a".into(), "1".into());
    (id.clone(), State::loaded(id, Record { created_ms: 5, fields }))
}

#[test]
fn a_loaded_session_left_alone_commits_nothing() {
    let (_, state) = loaded();
    assert_eq!(state.into_commit(), (Commit::Nothing, false));
}

#[test]
fn writing_the_value_already_there_does_not_mark_the_session_changed() {
    let (_, mut state) = loaded();
    assert_eq!(state.insert("a", "1".into(), 9, mint).unwrap(), None);
    assert_eq!(state.status(), Status::Unchanged);
}

#[test]
fn a_change_commits_only_the_changed_fields() {
    let (id, mut state) = loaded();
    state.insert("b", "2".into(), 9, mint).unwrap();
    state.remove("a");
    let mut changes = Changes::new();
    changes.insert("b".into(), Some("2".into()));
    changes.insert("a".into(), None);
    assert_eq!(state.into_commit(), (Commit::Update { id, changes }, false));
}

#[test]
fn a_fresh_session_gets_an_id_on_its_first_write_only() {
    let mut state = State::fresh(7);
    let first = state.insert("k", "true".into(), 8, mint).unwrap();
    assert!(first.is_some());
    assert_eq!(state.insert("k2", "1".into(), 8, mint).unwrap(), None);
    match state.into_commit() {
        (Commit::Create { id, record }, false) => {
            assert_eq!(Some(id), first);
            assert_eq!(record.fields.len(), 2);
            assert_eq!(record.created_ms, 8);
        }
        other => panic!("expected a create, got {other:?}"),
    }
}

#[test]
fn a_fresh_session_emptied_again_creates_nothing_and_drops_its_cookie() {
    let mut state = State::fresh(7);
    state.insert("k", "1".into(), 8, mint).unwrap();
    state.remove("k");
    assert_eq!(state.into_commit(), (Commit::Nothing, true));
}

#[test]
fn cycling_the_id_moves_the_data() {
    let (old, mut state) = loaded();
    let new = state.cycle_id(mint).unwrap().expect("a new id");
    assert_ne!(new, old);
    assert_eq!(state.status(), Status::Renewed);
    let (commit, _) = state.into_commit();
    assert_eq!(commit, Commit::Renew { old, new, changes: Changes::new() });
}

#[test]
fn cycling_an_empty_fresh_session_does_nothing() {
    let mut state = State::fresh(1);
    assert_eq!(state.cycle_id(mint).unwrap(), None);
    assert_eq!(state.into_commit(), (Commit::Nothing, false));
}

#[test]
fn destroy_deletes_and_a_later_write_starts_a_successor() {
    let (old, mut state) = loaded();
    assert!(state.destroy());
    assert_eq!(state.status(), Status::Purged);
    assert!(!state.exists());
    let new = state.insert("flash", "\"bye\"".into(), 9, mint).unwrap().expect("new id");
    match state.into_commit() {
        (Commit::Replace { old: o, id, record }, false) => {
            assert_eq!((o, id), (old, new));
            assert_eq!(record.fields.len(), 1);
        }
        other => panic!("expected a replace, got {other:?}"),
    }
}

#[test]
fn destroy_alone_deletes() {
    let (id, mut state) = loaded();
    state.destroy();
    assert_eq!(state.into_commit(), (Commit::Delete { id }, false));
}

#[test]
fn clear_removes_every_key_but_keeps_the_session() {
    let (id, mut state) = loaded();
    state.clear();
    assert!(state.exists());
    let mut changes = Changes::new();
    changes.insert("a".into(), None);
    assert_eq!(state.into_commit(), (Commit::Update { id, changes }, false));
}

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

// ---- sessions bound to a user -------------------------------------------------------

fn alice() -> Binding {
    Binding::new(crate::store::UserKey::new("alice"), "Firefox on Linux").unwrap()
}

/// A stored session bound to `binding`, as loaded (the reserved field among its fields).
fn loaded_bound(binding: &Binding) -> (SessionId, State) {
    let id = mint(5, Some(binding.user.tag())).unwrap();
    let mut fields = Fields::new();
    fields.insert("a".into(), "1".into());
    fields.insert(BINDING_FIELD.into(), binding.field_json());
    (id.clone(), State::loaded(id, fields))
}

fn bound_write(commit: Commit) -> BoundWrite {
    match commit {
        Commit::Bound(write) => *write,
        other => panic!("not a bound write: {other:?}"),
    }
}

#[test]
fn the_binding_is_kept_apart_from_the_data() {
    let binding = alice();
    let (_, state) = loaded_bound(&binding);
    assert_eq!(state.fields().keys().collect::<Vec<_>>(), ["a"]);
    assert_eq!(state.bound(), Some(&binding));
}

#[test]
fn a_sign_in_moves_the_session_to_a_new_id_in_the_users_slot_with_its_entry() {
    let (old, mut state) = loaded();
    let binding = alice();
    state.bind(binding.clone(), 9, mint).unwrap();
    let (commit, cookie) = state.into_commit();
    let write = bound_write(commit);
    let new = write.new.clone().unwrap();
    assert_eq!(cookie, CookieChange::Set(new.clone()));
    assert_eq!((write.old, write.carry), (Some(old.clone()), true));
    assert_eq!(new.tag(), binding.user.tag());
    assert_eq!(new.created_ms(), old.created_ms(), "the session's creation time stays");
    assert_eq!(write.changes, vec![(BINDING_FIELD.to_owned(), Some(binding.field_json()))]);
    assert_eq!(write.fields.get("a").map(String::as_str), Some("1"));
    assert_eq!(write.fields.get(BINDING_FIELD), Some(&binding.field_json()));
    assert_eq!((write.unbind, write.bind), (None, Some(binding)));
}

#[test]
fn a_sign_in_without_a_session_creates_one_bound() {
    let mut state = State::fresh(false);
    let binding = alice();
    state.bind(binding.clone(), 9, mint).unwrap();
    assert!(state.exists(), "a bound session exists even without data");
    let write = bound_write(state.into_commit().0);
    assert_eq!((write.old, write.carry), (None, false));
    assert_eq!(write.new.unwrap().created_ms(), 9);
    assert_eq!(write.bind, Some(binding));
}

#[test]
fn a_plain_save_of_a_bound_session_is_a_plain_update() {
    let (id, mut state) = loaded_bound(&alice());
    state.insert("b", "2".into(), 9, mint).unwrap();
    let changes: Changes = vec![("b".into(), Some("2".into()))];
    assert_eq!(state.into_commit(), (Commit::Update { id, changes }, CookieChange::Keep));
}

#[test]
fn rotating_a_bound_session_points_its_entry_at_the_new_id() {
    let binding = alice();
    let (old, mut state) = loaded_bound(&binding);
    state.cycle_id(mint).unwrap();
    let write = bound_write(state.into_commit().0);
    assert_eq!(write.old, Some(old.clone()));
    assert_eq!(write.new.unwrap().tag(), old.tag(), "same slot");
    assert!(write.changes.is_empty(), "the binding field stays as it is");
    assert_eq!((write.unbind, write.bind), (Some(binding.clone()), Some(binding)));
}

#[test]
fn destroying_a_bound_session_removes_its_entry() {
    let binding = alice();
    let (old, mut state) = loaded_bound(&binding);
    state.destroy();
    let (commit, cookie) = state.into_commit();
    let write = bound_write(commit);
    assert_eq!((write.old, write.new, write.carry), (Some(old), None, false));
    assert_eq!((write.unbind, write.bind), (Some(binding), None));
    assert_eq!(cookie, CookieChange::Remove);
}

#[test]
fn unbinding_keeps_the_data_under_a_new_id_and_removes_the_entry() {
    let binding = alice();
    let (old, mut state) = loaded_bound(&binding);
    state.unbind(mint).unwrap();
    assert_eq!(state.bound(), None);
    let write = bound_write(state.into_commit().0);
    assert!(write.carry && write.new.as_ref() != Some(&old));
    assert_eq!(write.changes, vec![(BINDING_FIELD.to_owned(), None)]);
    assert!(!write.fields.contains_key(BINDING_FIELD));
    assert_eq!((write.unbind, write.bind), (Some(binding), None));
}

#[test]
fn unbinding_a_session_without_a_user_changes_nothing() {
    let (_, mut state) = loaded();
    state.unbind(mint).unwrap();
    assert_eq!(state.into_commit(), (Commit::Nothing, CookieChange::Keep));
}

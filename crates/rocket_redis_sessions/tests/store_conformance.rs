//! The `SessionStore` contract, run against every store, plus each store's own edge cases.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use redis_test_server as test_redis;
use rocket_redis_sessions::redis;
use rocket_redis_sessions::store::{
    BINDING_FIELD, Binding, BoundWrite, Changes, Clock, Ending, Expiry, Fields, Limits,
    MemoryStore, RedisStore, SessionStore, StoreError, UserKey,
};

use rocket_redis_sessions::{RedisMode, RedisPool, RedisPoolConfig, SessionId};

const IDLE: Duration = Duration::from_secs(60);
const ABSOLUTE: Duration = Duration::from_secs(600);
const START_MS: u64 = 1_800_000_000_000;

struct Harness<S> {
    store: S,
    clock: Arc<AtomicU64>,
}

impl<S> Harness<S> {
    fn advance(&self, by: Duration) {
        self.clock.fetch_add(by.as_millis() as u64, Ordering::SeqCst);
    }
}

fn clock() -> (Arc<AtomicU64>, Clock) {
    let now = Arc::new(AtomicU64::new(START_MS));
    let read = now.clone();
    (now, Clock::from_fn(move || read.load(Ordering::SeqCst)))
}

fn expiry() -> Expiry {
    Expiry { idle: IDLE, absolute: ABSOLUTE }
}

/// The limits of every store in the suite: small, so that a few writes reach them.
const LIMITS: Limits = Limits { max_bytes: 400, max_keys: 8 };

fn memory() -> Harness<MemoryStore> {
    let (now, clock) = clock();
    Harness { store: MemoryStore::with_clock(expiry(), clock).with_limits(LIMITS), clock: now }
}

fn pool_with(config: RedisPoolConfig) -> RedisPool {
    let config = RedisPoolConfig {
        max_connections: 4,
        connect_timeout: 2,
        response_timeout_ms: 2000,
        ..config
    };
    RedisPool::new(&config).expect("a pool")
}

fn pool(url: &str) -> RedisPool {
    pool_with(RedisPoolConfig::single(url))
}

fn store_on(pool: RedisPool) -> Harness<RedisStore> {
    let prefix = test_redis::unique_prefix("store");
    let (now, clock) = clock();
    let store = RedisStore::with_clock(pool, prefix, expiry(), clock).with_limits(LIMITS);
    Harness { store, clock: now }
}

/// A Redis store on the test binary's shared Redis Cluster.
fn cluster_store() -> Harness<RedisStore> {
    let cluster = test_redis::shared_cluster();
    let config = RedisPoolConfig {
        mode: RedisMode::Cluster,
        url: None,
        urls: cluster.urls(),
        ..RedisPoolConfig::default()
    };
    store_on(pool_with(config))
}

/// A Redis store on the primary of the test binary's shared Sentinel set.
fn sentinel_store() -> Harness<RedisStore> {
    let set = test_redis::shared_sentinels();
    let config = RedisPoolConfig {
        mode: RedisMode::Sentinel,
        url: None,
        sentinels: set.sentinel_urls(),
        master_name: Some(set.master_name.clone()),
        ..RedisPoolConfig::default()
    };
    store_on(pool_with(config))
}

fn redis_store() -> (Harness<RedisStore>, String) {
    let url = test_redis::shared_url();
    let prefix = test_redis::unique_prefix("store");
    let (now, clock) = clock();
    let store = RedisStore::with_clock(pool(&url), prefix, expiry(), clock);
    (Harness { store: store.with_limits(LIMITS), clock: now }, url)
}

fn id() -> SessionId {
    SessionId::generate(START_MS, None).expect("OS random source")
}

/// The id the session layer gives `old`'s session next (a rotation, or a session created
/// in place of it): same slot tag, same creation time.
fn next(old: &SessionId) -> SessionId {
    SessionId::generate(old.created_ms(), Some(old.tag())).expect("OS random source")
}

fn record(pairs: &[(&str, &str)]) -> Fields {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn changes(pairs: &[(&str, Option<&str>)]) -> Changes {
    pairs.iter().map(|(k, v)| (k.to_string(), v.map(str::to_owned))).collect()
}

async fn fields_of(store: &impl SessionStore, id: &SessionId) -> Option<Fields> {
    store.load(id).await.expect("load")
}

// ---- the contract -------------------------------------------------------------------

async fn loading_an_unknown_id_finds_nothing<S: SessionStore>(h: Harness<S>) {
    assert_eq!(h.store.load(&id()).await.unwrap(), None);
}

async fn a_created_record_loads_back_whole<S: SessionStore>(h: Harness<S>) {
    let id = id();
    let rec = record(&[("a", "1"), ("b", r#"{"x":[1,2]}"#)]);
    h.store.create(&id, &rec).await.unwrap();
    assert_eq!(h.store.load(&id).await.unwrap(), Some(rec));
}

async fn create_never_overwrites_an_existing_session<S: SessionStore>(h: Harness<S>) {
    let id = id();
    h.store.create(&id, &record(&[("a", "1")])).await.unwrap();
    let second = h.store.create(&id, &record(&[("a", "2")])).await;
    assert!(matches!(second, Err(StoreError::Collision)), "got {second:?}");
    assert_eq!(fields_of(&h.store, &id).await, Some(record(&[("a", "1")])));
}

async fn update_writes_only_the_changed_fields<S: SessionStore>(h: Harness<S>) {
    let id = id();
    h.store.create(&id, &record(&[("a", "1"), ("b", "2"), ("c", "3")])).await.unwrap();
    let saved = h.store.update(&id, &changes(&[("a", Some("10")), ("b", None)])).await;
    assert!(saved.unwrap());
    assert_eq!(fields_of(&h.store, &id).await, Some(record(&[("a", "10"), ("c", "3")])));
}

async fn two_writers_changing_different_fields_both_keep_their_change<S: SessionStore>(
    h: Harness<S>,
) {
    let id = id();
    h.store.create(&id, &record(&[("a", "1"), ("b", "1")])).await.unwrap();
    // Both requests loaded {a:1, b:1}; each saves only what it changed.
    assert!(h.store.update(&id, &changes(&[("a", Some("2"))])).await.unwrap());
    assert!(h.store.update(&id, &changes(&[("b", Some("3"))])).await.unwrap());
    assert_eq!(fields_of(&h.store, &id).await, Some(record(&[("a", "2"), ("b", "3")])));
}

async fn update_never_recreates_a_deleted_session<S: SessionStore>(h: Harness<S>) {
    let id = id();
    h.store.create(&id, &record(&[("a", "1")])).await.unwrap();
    h.store.delete(&id).await.unwrap();
    let saved = h.store.update(&id, &changes(&[("a", Some("2"))])).await.unwrap();
    assert!(!saved, "an update of a deleted session must report it gone");
    assert_eq!(h.store.load(&id).await.unwrap(), None);
}

async fn renew_moves_the_data_and_retires_the_old_id<S: SessionStore>(h: Harness<S>) {
    let old = id();
    let new = next(&old);
    h.store.create(&old, &record(&[("a", "1"), ("b", "2")])).await.unwrap();
    let moved = h.store.renew(&old, &new, &changes(&[("b", None), ("c", Some("3"))])).await;
    assert!(moved.unwrap());
    assert_eq!(h.store.load(&old).await.unwrap(), None);
    let renewed = h.store.load(&new).await.unwrap().expect("the new id holds the session");
    assert_eq!(renewed, record(&[("a", "1"), ("c", "3")]));
}

async fn renew_of_a_deleted_session_creates_nothing<S: SessionStore>(h: Harness<S>) {
    let old = id();
    let new = next(&old);
    assert!(!h.store.renew(&old, &new, &changes(&[("a", Some("1"))])).await.unwrap());
    assert_eq!(h.store.load(&new).await.unwrap(), None);
}

async fn renew_onto_a_taken_id_is_a_collision<S: SessionStore>(h: Harness<S>) {
    let old = id();
    let new = next(&old);
    h.store.create(&old, &record(&[("who", "1")])).await.unwrap();
    h.store.create(&new, &record(&[("who", "2")])).await.unwrap();
    let moved = h.store.renew(&old, &new, &Changes::new()).await;
    assert!(matches!(moved, Err(StoreError::Collision)), "got {moved:?}");
    assert_eq!(fields_of(&h.store, &old).await, Some(record(&[("who", "1")])));
    assert_eq!(fields_of(&h.store, &new).await, Some(record(&[("who", "2")])));
}

async fn replace_ends_one_session_and_starts_another_in_one_step<S: SessionStore>(h: Harness<S>) {
    let old = id();
    let new = next(&old);
    h.store.create(&old, &record(&[("user", "1")])).await.unwrap();
    h.store.replace(&old, &new, &record(&[("flash", "\"bye\"")])).await.unwrap();
    assert_eq!(h.store.load(&old).await.unwrap(), None);
    assert_eq!(fields_of(&h.store, &new).await, Some(record(&[("flash", "\"bye\"")])));
}

async fn replace_onto_a_taken_id_changes_nothing<S: SessionStore>(h: Harness<S>) {
    let old = id();
    let taken = next(&old);
    h.store.create(&old, &record(&[("who", "\"old\"")])).await.unwrap();
    h.store.create(&taken, &record(&[("who", "\"taken\"")])).await.unwrap();
    let replaced = h.store.replace(&old, &taken, &record(&[("who", "\"new\"")])).await;
    assert!(matches!(replaced, Err(StoreError::Collision)), "got {replaced:?}");
    assert_eq!(fields_of(&h.store, &old).await, Some(record(&[("who", "\"old\"")])));
    assert_eq!(fields_of(&h.store, &taken).await, Some(record(&[("who", "\"taken\"")])));
}

async fn a_session_emptied_of_its_data_lives_on<S: SessionStore>(h: Harness<S>) {
    // (A Redis hash whose last field goes is deleted; the store must keep the session.)
    let (empty, id) = (id(), self::id());
    let renewed = next(&id);
    h.store.create(&empty, &record(&[])).await.unwrap();
    assert_eq!(fields_of(&h.store, &empty).await, Some(Fields::new()));
    h.store.create(&id, &record(&[("a", "1"), ("b", "2")])).await.unwrap();
    let emptied = changes(&[("a", None), ("b", None)]);
    assert!(h.store.update(&id, &emptied).await.unwrap());
    assert_eq!(fields_of(&h.store, &id).await, Some(Fields::new()));
    assert!(h.store.update(&id, &changes(&[("c", Some("3"))])).await.unwrap());
    assert_eq!(fields_of(&h.store, &id).await, Some(record(&[("c", "3")])));
    assert!(h.store.renew(&id, &renewed, &changes(&[("c", None)])).await.unwrap());
    assert_eq!(fields_of(&h.store, &renewed).await, Some(Fields::new()));
    assert_eq!(h.store.load(&id).await.unwrap(), None);
}

async fn delete_removes_the_session_and_may_be_repeated<S: SessionStore>(h: Harness<S>) {
    let id = id();
    h.store.create(&id, &record(&[("a", "1")])).await.unwrap();
    h.store.delete(&id).await.unwrap();
    h.store.delete(&id).await.unwrap();
    assert_eq!(h.store.load(&id).await.unwrap(), None);
}

async fn a_session_past_its_absolute_lifetime_is_gone<S: SessionStore>(h: Harness<S>) {
    let id = id();
    h.store.create(&id, &record(&[("a", "1")])).await.unwrap();
    // Used often enough to never go idle, until it is older than its lifetime.
    let step = IDLE / 2;
    let mut age = Duration::ZERO;
    while age + step < ABSOLUTE {
        h.advance(step);
        age += step;
        assert!(h.store.load(&id).await.unwrap().is_some(), "alive at {age:?}");
    }
    h.advance(ABSOLUTE - age + Duration::from_secs(1));
    assert!(!h.store.update(&id, &changes(&[("a", Some("2"))])).await.unwrap());
    assert_eq!(h.store.load(&id).await.unwrap(), None);
}

async fn ping_answers<S: SessionStore>(h: Harness<S>) {
    h.store.ping().await.expect("a live store answers");
}

/// The size of `fields` as the limits count it.
fn size(fields: &Fields) -> usize {
    fields.iter().map(|(k, v)| k.len() + v.len()).sum()
}

async fn a_save_past_the_limits_is_refused_and_writes_nothing<S: SessionStore>(h: Harness<S>) {
    let id = id();
    h.store.create(&id, &record(&[("a", "1")])).await.unwrap();
    let keys: Vec<String> = (1..8).map(|i| format!("k{i}")).collect();
    let up_to_the_cap: Changes = keys.iter().map(|k| (k.clone(), Some("1".into()))).collect();
    assert!(h.store.update(&id, &up_to_the_cap).await.unwrap(), "8 keys: at the cap");
    let before = fields_of(&h.store, &id).await.unwrap();
    assert_eq!(before.len(), 8);

    let one_key_more = changes(&[("k8", Some("1")), ("a", Some("2"))]);
    assert!(matches!(h.store.update(&id, &one_key_more).await, Err(StoreError::TooLarge)));
    let big = format!("\"{}\"", "x".repeat(400));
    let too_big = changes(&[("a", Some(&big))]);
    assert!(matches!(h.store.update(&id, &too_big).await, Err(StoreError::TooLarge)));
    let renewed = next(&id);
    assert!(matches!(h.store.renew(&id, &renewed, &too_big).await, Err(StoreError::TooLarge)));
    assert_eq!(fields_of(&h.store, &id).await.unwrap(), before, "nothing written, still there");
    assert_eq!(fields_of(&h.store, &renewed).await, None, "not moved");

    // A key for a key, or a smaller value, fits; so does emptying it.
    let swap = changes(&[("k1", None), ("k8", Some("1"))]);
    assert!(h.store.update(&id, &swap).await.unwrap());
    let remove: Changes = keys.iter().map(|k| (k.clone(), None)).collect();
    assert!(h.store.renew(&id, &renewed, &remove).await.unwrap());
    let left = fields_of(&h.store, &renewed).await.unwrap();
    assert_eq!(left.keys().collect::<Vec<_>>(), ["a", "k8"]);
}

async fn simultaneous_writers_cannot_take_a_session_past_its_limits<S: SessionStore>(
    h: Harness<S>,
) {
    let id = id();
    h.store.create(&id, &record(&[("a", "1")])).await.unwrap();
    // 300 writers at once, each adding a field of its own (30 bytes): each alone fits.
    let value = format!("\"{}\"", "v".repeat(24));
    let writes: Vec<Changes> =
        (0..300).map(|i| changes(&[(&format!("w{i:03}"), Some(value.as_str()))])).collect();
    let results =
        rocket::futures::future::join_all(writes.iter().map(|c| h.store.update(&id, c))).await;
    let saved = results.iter().filter(|r| matches!(r, Ok(true))).count();
    let refused = results.iter().filter(|r| matches!(r, Err(StoreError::TooLarge))).count();
    assert_eq!(saved + refused, 300, "each saved or refused: {results:?}");
    let fields = fields_of(&h.store, &id).await.unwrap();
    assert!(
        fields.len() <= 8 && size(&fields) <= 400,
        "{} keys, {} bytes",
        fields.len(),
        size(&fields)
    );
    assert_eq!(fields.len(), 1 + saved, "every saved write is there, no other");
    assert_eq!(saved, 7, "the cap of 8 keys is reached, not passed");
}

// ---- the per-user index ----------------------------------------------------------

fn binding(user: &str, device: &str) -> Binding {
    Binding::new(UserKey::new(user), device).expect("OS random source")
}

/// An id in the slot of `binding`'s user, as the session layer gives a session it binds.
fn bound_id(binding: &Binding, created_ms: u64) -> SessionId {
    SessionId::generate(created_ms, Some(binding.user.tag())).expect("OS random source")
}

/// `fields` with the reserved field of `binding`, as a bound session stores them.
fn with_binding(fields: &Fields, binding: &Binding) -> Fields {
    let mut fields = fields.clone();
    fields.insert(BINDING_FIELD.to_owned(), binding.field_json());
    fields
}

/// Signs in the anonymous session `old` holding `data` as `binding` says, as the session
/// layer commits `bind_user`: the data moves to a new id in the user's slot. Returns the
/// new id and what the store answered.
async fn sign_in(
    store: &impl SessionStore,
    old: &SessionId,
    data: &Fields,
    binding: &Binding,
) -> (SessionId, Result<bool, StoreError>) {
    let new = bound_id(binding, old.created_ms());
    let field = (BINDING_FIELD.to_owned(), Some(binding.field_json()));
    let write = BoundWrite {
        old: Some(old.clone()),
        new: Some(new.clone()),
        carry: true,
        changes: vec![field],
        fields: with_binding(data, binding),
        unbind: None,
        bind: Some(binding.clone()),
    };
    let committed = store.commit_bound(&write).await;
    (new, committed)
}

/// A session of `user` created and signed in on `device`, holding `data`.
async fn signed_in(
    store: &impl SessionStore,
    user: &str,
    device: &str,
    data: &Fields,
) -> (SessionId, Binding) {
    let anonymous = id();
    store.create(&anonymous, data).await.unwrap();
    let binding = binding(user, device);
    let (new, committed) = sign_in(store, &anonymous, data, &binding).await;
    assert!(committed.unwrap(), "signed in");
    (new, binding)
}

async fn handles(store: &impl SessionStore, user: &str) -> Vec<String> {
    let sessions = store.user_sessions(&UserKey::new(user)).await.unwrap();
    sessions.into_iter().map(|s| s.handle).collect()
}

/// A user name no other test (nor another run on the same Redis) uses.
fn user_name(what: &str) -> String {
    test_redis::unique_prefix(what)
}

async fn a_bound_session_is_listed_with_its_device_and_times<S: SessionStore>(h: Harness<S>) {
    let user = user_name("listed");
    let anonymous = id();
    let data = record(&[("cart", "[1,2]")]);
    h.store.create(&anonymous, &data).await.unwrap();
    let binding = binding(&user, "Firefox on Linux");
    let (new, committed) = sign_in(&h.store, &anonymous, &data, &binding).await;
    assert!(committed.unwrap());
    assert_eq!(h.store.load(&anonymous).await.unwrap(), None, "the old id stopped working");
    assert_eq!(h.store.load(&new).await.unwrap(), Some(with_binding(&data, &binding)));
    let sessions = h.store.user_sessions(&UserKey::new(&user)).await.unwrap();
    assert_eq!(sessions.len(), 1, "{sessions:?}");
    let listed = &sessions[0];
    assert_eq!(listed.handle, binding.handle);
    assert!(!new.encode().contains(&listed.handle) && listed.handle.len() == 32);
    assert_eq!(listed.device, "Firefox on Linux");
    assert_eq!(listed.created_ms, START_MS, "the session's creation, kept by the new id");
    let now = h.clock.load(Ordering::SeqCst);
    assert!((START_MS..=now).contains(&listed.last_seen_ms), "{listed:?}");
    assert!(!listed.current, "a store marks none current");
    assert!(h.store.user_sessions(&UserKey::new("someone else")).await.unwrap().is_empty());
}

async fn one_device_ends_another_of_the_same_user<S: SessionStore>(h: Harness<S>) {
    let user = user_name("two-devices");
    let (laptop, on_laptop) = signed_in(&h.store, &user, "Firefox on Linux", &record(&[])).await;
    let (phone, on_phone) = signed_in(&h.store, &user, "Safari on iOS", &record(&[])).await;
    let mut listed = handles(&h.store, &user).await;
    listed.sort();
    let mut both = vec![on_laptop.handle.clone(), on_phone.handle.clone()];
    both.sort();
    assert_eq!(listed, both);
    let which = Ending::One(on_phone.handle.clone());
    assert_eq!(h.store.end_user_sessions(&on_laptop.user, &which).await.unwrap(), 1);
    assert_eq!(h.store.load(&phone).await.unwrap(), None, "gone for the phone at once");
    assert!(h.store.load(&laptop).await.unwrap().is_some(), "the laptop stays signed in");
    assert_eq!(handles(&h.store, &user).await, vec![on_laptop.handle.clone()]);
    assert_eq!(h.store.end_user_sessions(&on_laptop.user, &which).await.unwrap(), 0, "once");
}

async fn sign_out_everywhere_else_and_everywhere<S: SessionStore>(h: Harness<S>) {
    let user = user_name("everywhere");
    let mut sessions = Vec::new();
    for device in ["a", "b", "c"] {
        sessions.push(signed_in(&h.store, &user, device, &record(&[("k", "1")])).await);
    }
    let key = UserKey::new(&user);
    let (here, this) = &sessions[0];
    let others = Ending::AllBut(this.handle.clone());
    assert_eq!(h.store.end_user_sessions(&key, &others).await.unwrap(), 2);
    assert!(h.store.load(here).await.unwrap().is_some());
    for (id, _) in &sessions[1..] {
        assert_eq!(h.store.load(id).await.unwrap(), None);
    }
    assert_eq!(handles(&h.store, &user).await, vec![this.handle.clone()]);
    assert_eq!(h.store.end_user_sessions(&key, &Ending::All).await.unwrap(), 1);
    assert_eq!(h.store.load(here).await.unwrap(), None);
    assert!(handles(&h.store, &user).await.is_empty());
    assert_eq!(h.store.end_user_sessions(&key, &Ending::All).await.unwrap(), 0);
}

async fn a_rotated_bound_session_keeps_its_place_in_the_index<S: SessionStore>(h: Harness<S>) {
    let user = user_name("rotated");
    let (old, bound) = signed_in(&h.store, &user, "d", &record(&[("a", "1")])).await;
    let new = next(&old);
    let write = BoundWrite {
        old: Some(old.clone()),
        new: Some(new.clone()),
        carry: true,
        changes: changes(&[("b", Some("2"))]),
        fields: with_binding(&record(&[("a", "1"), ("b", "2")]), &bound),
        unbind: Some(bound.clone()),
        bind: Some(bound.clone()),
    };
    assert!(h.store.commit_bound(&write).await.unwrap());
    assert_eq!(h.store.load(&old).await.unwrap(), None);
    let loaded = h.store.load(&new).await.unwrap().unwrap();
    assert_eq!(loaded, with_binding(&record(&[("a", "1"), ("b", "2")]), &bound));
    assert_eq!(handles(&h.store, &user).await, vec![bound.handle.clone()], "same handle");
    let end = Ending::One(bound.handle.clone());
    assert_eq!(h.store.end_user_sessions(&bound.user, &end).await.unwrap(), 1);
    assert_eq!(h.store.load(&new).await.unwrap(), None, "the handle ends the new id");
}

async fn a_request_in_flight_cannot_bring_back_an_ended_session<S: SessionStore>(h: Harness<S>) {
    let user = user_name("in-flight");
    let (id, bound) = signed_in(&h.store, &user, "d", &record(&[("a", "1")])).await;
    // A request loaded the session, then the user signed out everywhere...
    assert!(h.store.load(&id).await.unwrap().is_some());
    assert_eq!(h.store.end_user_sessions(&bound.user, &Ending::All).await.unwrap(), 1);
    // ...and that request saves, or rotates the id, afterwards.
    assert!(!h.store.update(&id, &changes(&[("a", Some("2"))])).await.unwrap());
    let new = next(&id);
    let rotate = BoundWrite {
        old: Some(id.clone()),
        new: Some(new.clone()),
        carry: true,
        changes: Changes::new(),
        fields: with_binding(&record(&[("a", "1")]), &bound),
        unbind: Some(bound.clone()),
        bind: Some(bound.clone()),
    };
    assert!(!h.store.commit_bound(&rotate).await.unwrap());
    assert_eq!(h.store.load(&id).await.unwrap(), None);
    assert_eq!(h.store.load(&new).await.unwrap(), None);
    assert!(handles(&h.store, &user).await.is_empty(), "and the index does not list it");
}

async fn a_sign_in_of_an_ended_session_writes_nothing<S: SessionStore>(h: Harness<S>) {
    let user = user_name("ended-sign-in");
    let anonymous = id();
    h.store.create(&anonymous, &record(&[("a", "1")])).await.unwrap();
    h.store.delete(&anonymous).await.unwrap();
    let bound = binding(&user, "d");
    let (new, committed) = sign_in(&h.store, &anonymous, &record(&[("a", "1")]), &bound).await;
    assert!(!committed.unwrap(), "reported gone");
    assert_eq!(h.store.load(&new).await.unwrap(), None, "no successor");
    assert!(handles(&h.store, &user).await.is_empty(), "no entry");
}

async fn ended_and_unbound_sessions_leave_the_index<S: SessionStore>(h: Harness<S>) {
    let user = user_name("leaving");
    let (expired, _) = signed_in(&h.store, &user, "expired", &record(&[])).await;
    let (destroyed, on_destroyed) = signed_in(&h.store, &user, "destroyed", &record(&[])).await;
    let (unbound, on_unbound) = signed_in(&h.store, &user, "unbound", &record(&[("a", "1")])).await;
    let (kept, on_kept) = signed_in(&h.store, &user, "kept", &record(&[])).await;
    // Gone by itself (as at the end of its TTL): pruned when the index is read.
    h.store.delete(&expired).await.unwrap();
    // Destroyed by its own request (a sign-out that ends the session).
    let destroy = BoundWrite {
        old: Some(destroyed.clone()),
        new: None,
        carry: false,
        changes: Changes::new(),
        fields: Fields::new(),
        unbind: Some(on_destroyed),
        bind: None,
    };
    assert!(h.store.commit_bound(&destroy).await.unwrap());
    assert_eq!(h.store.load(&destroyed).await.unwrap(), None);
    // Untied from the user (a sign-out that keeps the session), under a new id.
    let anonymous = next(&unbound);
    let unbind = BoundWrite {
        old: Some(unbound.clone()),
        new: Some(anonymous.clone()),
        carry: true,
        changes: vec![(BINDING_FIELD.to_owned(), None)],
        fields: record(&[("a", "1")]),
        unbind: Some(on_unbound),
        bind: None,
    };
    assert!(h.store.commit_bound(&unbind).await.unwrap());
    assert_eq!(h.store.load(&anonymous).await.unwrap(), Some(record(&[("a", "1")])));
    assert_eq!(handles(&h.store, &user).await, vec![on_kept.handle.clone()]);
    assert!(h.store.load(&kept).await.unwrap().is_some());
}

async fn a_bound_write_onto_a_taken_id_is_a_collision<S: SessionStore>(h: Harness<S>) {
    let user = user_name("taken");
    let anonymous = id();
    h.store.create(&anonymous, &record(&[("a", "1")])).await.unwrap();
    let bound = binding(&user, "d");
    let new = bound_id(&bound, START_MS);
    h.store.create(&new, &record(&[("other", "1")])).await.unwrap();
    let write = BoundWrite {
        old: Some(anonymous.clone()),
        new: Some(new.clone()),
        carry: true,
        changes: vec![(BINDING_FIELD.to_owned(), Some(bound.field_json()))],
        fields: with_binding(&record(&[("a", "1")]), &bound),
        unbind: None,
        bind: Some(bound.clone()),
    };
    assert!(matches!(h.store.commit_bound(&write).await, Err(StoreError::Collision)));
    assert_eq!(h.store.load(&new).await.unwrap(), Some(record(&[("other", "1")])));
    assert_eq!(h.store.load(&anonymous).await.unwrap(), Some(record(&[("a", "1")])));
    assert!(handles(&h.store, &user).await.is_empty());
}

macro_rules! conformance {
    ($($test:ident),* $(,)?) => {
        mod memory_store {
            $(
                #[rocket::async_test]
                async fn $test() {
                    super::$test(super::memory()).await;
                }
            )*
        }
        mod redis_store {
            $(
                #[rocket::async_test]
                async fn $test() {
                    super::$test(super::redis_store().0).await;
                }
            )*
        }
        mod cluster_store {
            $(
                #[rocket::async_test]
                async fn $test() {
                    super::$test(super::cluster_store()).await;
                }
            )*
        }
        mod sentinel_store {
            $(
                #[rocket::async_test]
                async fn $test() {
                    super::$test(super::sentinel_store()).await;
                }
            )*
        }
    };
}

conformance!(
    loading_an_unknown_id_finds_nothing,
    a_created_record_loads_back_whole,
    create_never_overwrites_an_existing_session,
    update_writes_only_the_changed_fields,
    two_writers_changing_different_fields_both_keep_their_change,
    update_never_recreates_a_deleted_session,
    renew_moves_the_data_and_retires_the_old_id,
    renew_of_a_deleted_session_creates_nothing,
    renew_onto_a_taken_id_is_a_collision,
    replace_ends_one_session_and_starts_another_in_one_step,
    replace_onto_a_taken_id_changes_nothing,
    delete_removes_the_session_and_may_be_repeated,
    a_session_emptied_of_its_data_lives_on,
    a_session_past_its_absolute_lifetime_is_gone,
    ping_answers,
    a_save_past_the_limits_is_refused_and_writes_nothing,
    simultaneous_writers_cannot_take_a_session_past_its_limits,
    a_bound_session_is_listed_with_its_device_and_times,
    one_device_ends_another_of_the_same_user,
    sign_out_everywhere_else_and_everywhere,
    a_rotated_bound_session_keeps_its_place_in_the_index,
    a_request_in_flight_cannot_bring_back_an_ended_session,
    a_sign_in_of_an_ended_session_writes_nothing,
    ended_and_unbound_sessions_leave_the_index,
    a_bound_write_onto_a_taken_id_is_a_collision,
);

// ---- memory store ---------------------------------------------------------------------

#[rocket::async_test]
async fn memory_sessions_expire_when_idle_and_each_load_restarts_the_idle_timeout() {
    let h = memory();
    let id = id();
    h.store.create(&id, &record(&[("a", "1")])).await.unwrap();
    h.advance(IDLE - Duration::from_secs(1));
    assert!(h.store.load(&id).await.unwrap().is_some(), "used just in time");
    h.advance(IDLE - Duration::from_secs(1));
    assert!(h.store.load(&id).await.unwrap().is_some(), "the load restarted the timeout");
    h.advance(IDLE + Duration::from_secs(1));
    assert_eq!(h.store.load(&id).await.unwrap(), None);
    assert!(h.store.is_empty());
}

// ---- Redis store ----------------------------------------------------------------------

async fn pttl(url: &str, key: &str) -> i64 {
    test_redis::query(url, redis::cmd("PTTL").arg(key)).await
}

#[rocket::async_test]
async fn redis_keys_are_the_prefix_the_slot_tag_and_the_sha256_of_the_id_and_always_expire() {
    let (h, url) = redis_store();
    let id = id();
    let new = next(&id);
    h.store.create(&id, &record(&[("a", "1")])).await.unwrap();
    let key = h.store.key(&id);
    let tag = format!("{{{:02x}{:02x}}}", id.tag()[0], id.tag()[1]);
    let prefix = key.strip_suffix(&key[key.len() - 64..]).unwrap();
    assert!(prefix.ends_with(&tag), "{key}: the prefix, then the slot tag as a hash tag");
    assert!(key[key.len() - 64..].bytes().all(|b| b.is_ascii_hexdigit()), "{key}");
    let keys = test_redis::keys(&url, &key[..key.len() - 64]).await;
    assert_eq!(keys, vec![key.clone()]);
    assert!(!key.contains(&id.encode()), "the token never appears in Redis");
    let idle = IDLE.as_millis() as i64;
    assert!((1..=idle).contains(&pttl(&url, &key).await), "created with the idle TTL");
    h.store.update(&id, &changes(&[("b", Some("2"))])).await.unwrap();
    assert!((1..=idle).contains(&pttl(&url, &key).await), "updated with the idle TTL");
    h.store.renew(&id, &new, &Changes::new()).await.unwrap();
    let renewed = h.store.key(&new);
    assert!((1..=idle).contains(&pttl(&url, &renewed).await), "renewed with a TTL");
    assert!(renewed.starts_with(prefix), "{renewed}: the same slot as {key}");
}

#[rocket::async_test]
async fn a_redis_load_restarts_the_idle_ttl_in_the_same_round_trip() {
    let (h, url) = redis_store();
    let id = id();
    h.store.create(&id, &record(&[("a", "1")])).await.unwrap();
    let key = h.store.key(&id);
    let _: () = test_redis::query(&url, redis::cmd("PEXPIRE").arg(&key).arg(5_000)).await;
    h.store.load(&id).await.unwrap().expect("still there");
    assert!(pttl(&url, &key).await > 5_000, "the load set the TTL back to the idle timeout");
}

#[rocket::async_test]
async fn the_redis_ttl_never_outlives_the_absolute_deadline() {
    let (h, url) = redis_store();
    let id = id();
    h.store.create(&id, &record(&[("a", "1")])).await.unwrap();
    h.advance(ABSOLUTE - Duration::from_secs(10));
    h.store.load(&id).await.unwrap().expect("still there");
    let left = pttl(&url, &h.store.key(&id)).await;
    assert!((1..=10_000).contains(&left), "TTL {left} ms must stop at the deadline");
}

#[rocket::async_test]
async fn a_redis_save_in_the_last_idle_period_stops_the_ttl_at_the_deadline() {
    // Every save (set-only updates without the script, the others with it) sets the TTL
    // the store computes from the creation time the caller loaded: near the deadline that
    // is the time left, not the idle timeout.
    let (h, url) = redis_store();
    let id = id();
    let new = next(&id);
    h.store.create(&id, &record(&[("a", "1")])).await.unwrap();
    h.advance(ABSOLUTE - Duration::from_secs(10));
    assert!(h.store.update(&id, &changes(&[("a", Some("2"))])).await.unwrap());
    let left = pttl(&url, &h.store.key(&id)).await;
    assert!((1..=10_000).contains(&left), "TTL {left} ms after a save must stop at the deadline");
    assert!(h.store.renew(&id, &new, &Changes::new()).await.unwrap());
    let left = pttl(&url, &h.store.key(&new)).await;
    assert!((1..=10_000).contains(&left), "TTL {left} ms after a renewal must stop there too");
    let _: () = test_redis::query(
        &url,
        redis::cmd("PEXPIRE").arg(h.store.key(&new)).arg(IDLE.as_millis() as u64),
    )
    .await;
    let removal = changes(&[("a", None), ("b", Some("3"))]);
    assert!(h.store.update(&new, &removal).await.unwrap());
    let left = pttl(&url, &h.store.key(&new)).await;
    assert!((1..=10_000).contains(&left), "TTL {left} ms after a save with the script too");
}

#[rocket::async_test]
async fn a_redis_update_of_an_ended_session_leaves_no_key_behind() {
    // Not even a hash that no load would accept: an update of an ended session writes
    // nothing, whatever it holds.
    let (h, url) = redis_store();
    let updates = [
        changes(&[("a", Some("2"))]),
        changes(&[("a", None)]),
        changes(&[("a", Some("2")), ("b", None), ("c", Some("3"))]),
    ];
    for update in &updates {
        let id = id();
        h.store.create(&id, &record(&[("a", "1"), ("b", "1")])).await.unwrap();
        h.store.delete(&id).await.unwrap();
        assert!(!h.store.update(&id, update).await.unwrap(), "{update:?}: gone");
        let key = h.store.key(&id);
        let exists: i64 = test_redis::query(&url, redis::cmd("EXISTS").arg(&key)).await;
        assert_eq!(exists, 0, "{update:?}: an update of an ended session wrote {key}");
    }
}

#[rocket::async_test]
async fn a_redis_hash_without_a_ttl_is_no_session_and_is_removed() {
    // Every session key has a TTL. A hash without one (a key someone made persistent) is
    // no session: no load serves it and no save revives it (or gives it a TTL); each
    // removes it.
    let (h, url) = redis_store();
    let exists = |key: String| {
        let url = url.clone();
        async move { test_redis::query::<i64>(&url, redis::cmd("EXISTS").arg(key)).await }
    };
    let operations = ["load", "set", "set and delete", "renew"];
    for operation in operations {
        let id = id();
        let renewed = next(&id);
        h.store.create(&id, &record(&[("a", "1")])).await.unwrap();
        let key = h.store.key(&id);
        let _: () = test_redis::query(&url, redis::cmd("PERSIST").arg(&key)).await;
        let alive = match operation {
            "load" => h.store.load(&id).await.unwrap().is_some(),
            "set" => h.store.update(&id, &changes(&[("a", Some("2"))])).await.unwrap(),
            "set and delete" => {
                let update = changes(&[("a", None), ("b", Some("2"))]);
                h.store.update(&id, &update).await.unwrap()
            }
            _ => h.store.renew(&id, &renewed, &Changes::new()).await.unwrap(),
        };
        assert!(!alive, "{operation}: a hash without a TTL was taken for a session");
        assert_eq!(exists(key).await, 0, "{operation}: the hash without a TTL is still there");
        let created = exists(h.store.key(&renewed)).await;
        assert_eq!(created, 0, "{operation}: no session under the next id");
    }
}

#[rocket::async_test]
async fn a_redis_session_is_its_data_and_nothing_else() {
    // No field of ours in the hash (its creation time is in the id, its size is measured
    // by the saves that grow it), except the one that keeps an empty session: Redis
    // cannot hold an empty hash.
    let (h, url) = redis_store();
    let hash = |id: &SessionId| {
        let (url, key) = (url.clone(), h.store.key(id));
        async move { test_redis::query::<Fields>(&url, redis::cmd("HGETALL").arg(key)).await }
    };
    let id = id();
    h.store.create(&id, &record(&[("a", "1")])).await.unwrap();
    assert_eq!(hash(&id).await, record(&[("a", "1")]));
    assert!(h.store.load(&id).await.unwrap().is_some(), "the session");
    assert!(h.store.update(&id, &changes(&[("a", None)])).await.unwrap());
    assert_eq!(hash(&id).await, record(&[("\0", "")]));
    assert!(h.store.update(&id, &changes(&[("b", Some("22"))])).await.unwrap());
    let placeholder = "the placeholder stays (one more field is cheap)";
    assert_eq!(hash(&id).await, record(&[("\0", ""), ("b", "22")]), "{placeholder}");
    // The placeholder is not a key: the cap of 8 counts the data's keys only.
    let seven: Changes = (1..8).map(|i| (format!("k{i}"), Some("1".to_owned()))).collect();
    assert!(h.store.update(&id, &seven).await.unwrap(), "8 keys of data");
}

#[rocket::async_test]
async fn a_redis_key_that_is_not_a_hash_is_not_loaded_and_left_alone() {
    let (h, url) = redis_store();
    let id = id();
    let key = h.store.key(&id);
    let _: () = test_redis::query(&url, redis::cmd("SET").arg(&key).arg("garbage")).await;
    assert_eq!(h.store.load(&id).await.unwrap(), None, "a wrong type is not an outage");
    let left: String = test_redis::query(&url, redis::cmd("GET").arg(&key)).await;
    assert_eq!(left, "garbage", "data we cannot read is never deleted");
    // A session whose key changed type between its load and its save: the save fails
    // (never reported done), with or without the script, and the key is left alone.
    let _: () = test_redis::query(&url, redis::cmd("PEXPIRE").arg(&key).arg(60_000)).await;
    for update in [changes(&[("a", Some("1"))]), changes(&[("a", None), ("b", Some("1"))])] {
        let saved = h.store.update(&id, &update).await;
        assert!(matches!(saved, Err(StoreError::Unavailable(_))), "{update:?}: {saved:?}");
    }
    let left: String = test_redis::query(&url, redis::cmd("GET").arg(&key)).await;
    assert_eq!(left, "garbage");
}

#[rocket::async_test]
async fn a_redis_field_that_is_not_json_is_skipped_and_kept() {
    let (h, url) = redis_store();
    let id = id();
    h.store.create(&id, &record(&[("good", "1")])).await.unwrap();
    let key = h.store.key(&id);
    let set = redis::cmd("HSET").arg(&key).arg("bad").arg("{not json").to_owned();
    let _: () = test_redis::query(&url, &set).await;
    let set = redis::cmd("HSET").arg(&key).arg("bin").arg(&[0xff_u8, 0xfe][..]).to_owned();
    let _: () = test_redis::query(&url, &set).await;
    assert_eq!(fields_of(&h.store, &id).await, Some(record(&[("good", "1")])));
    let kept: String = test_redis::query(&url, redis::cmd("HGET").arg(&key).arg("bad")).await;
    assert_eq!(kept, "{not json");
}

#[rocket::async_test]
async fn a_redis_store_on_a_resp3_connection_reads_its_sessions_back() {
    // `?protocol=resp3` in the URL: replies come in RESP3's types (a hash as a map).
    let url = format!("{}?protocol=resp3", test_redis::shared_url());
    let store = RedisStore::new(pool(&url), test_redis::unique_prefix("resp3"), expiry());
    let id = id();
    store.create(&id, &record(&[("a", "1")])).await.unwrap();
    assert_eq!(store.load(&id).await.unwrap(), Some(record(&[("a", "1")])));
    assert!(store.update(&id, &changes(&[("b", Some("2"))])).await.unwrap());
    let renewed = next(&id);
    assert!(store.renew(&id, &renewed, &Changes::new()).await.unwrap());
    assert_eq!(store.load(&renewed).await.unwrap(), Some(record(&[("a", "1"), ("b", "2")])));
    assert_eq!(store.load(&id).await.unwrap(), None);
}

#[rocket::async_test]
async fn large_sessions_are_created_updated_and_renewed_whole() {
    // Lua's unpack() has a limit of about 8000 values, so the scripts write in slices:
    // 6000 fields need two, and 9000 set or removed at once (18000 or 9000 values) go past
    // the limit both ways.
    let (h, url) = redis_store();
    let h = Harness { store: RedisStore::new(pool(&url), h.store.key(&id()), expiry()), ..h };
    let id = id();
    let renewed = next(&id);
    let again = next(&renewed);
    let names: Vec<String> = (0..6000).map(|i| format!("k{i}")).collect();
    let pairs: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "1")).collect();
    h.store.create(&id, &record(&pairs)).await.unwrap();
    assert_eq!(fields_of(&h.store, &id).await.map(|f| f.len()), Some(6000));
    let all: Vec<String> = (0..9000).map(|i| format!("k{i}")).collect();
    let set_all =
        |value| -> Changes { all.iter().map(|n| (n.clone(), Some(String::from(value)))).collect() };
    let remove_all: Changes = all.iter().map(|n| (n.clone(), None)).collect();
    let values_of = |fields: Fields| {
        let mut values: Vec<String> = fields.into_values().collect();
        values.dedup();
        (values.len(), values)
    };
    assert!(h.store.update(&id, &set_all("2")).await.unwrap());
    let fields = fields_of(&h.store, &id).await.unwrap();
    assert_eq!(fields.len(), 9000);
    assert_eq!(values_of(fields), (1, vec!["2".to_owned()]));
    assert!(h.store.renew(&id, &renewed, &set_all("3")).await.unwrap());
    let fields = fields_of(&h.store, &renewed).await.unwrap();
    assert_eq!(fields.len(), 9000);
    assert_eq!(values_of(fields), (1, vec!["3".to_owned()]));
    assert!(h.store.renew(&renewed, &again, &remove_all).await.unwrap());
    assert_eq!(fields_of(&h.store, &again).await, Some(Fields::new()));
    assert!(h.store.update(&again, &set_all("4")).await.unwrap());
    assert!(h.store.update(&again, &remove_all).await.unwrap());
    assert_eq!(fields_of(&h.store, &again).await, Some(Fields::new()));
}

#[rocket::async_test]
async fn a_redis_store_without_redis_reports_it_unavailable() {
    let mut server = test_redis::RedisServer::start();
    let store = RedisStore::new(pool(&server.url()), "x:", expiry());
    store.ping().await.expect("up");
    server.stop();
    let loaded = store.load(&id()).await;
    assert!(matches!(loaded, Err(StoreError::Unavailable(_))), "got {loaded:?}");
    assert!(store.ping().await.is_err());
    assert!(store.pool().is_unavailable(), "the breaker is open");
    server.restart();
    // The pool recovers by itself once Redis is back: its probe closes the breaker.
    let back = std::time::Instant::now();
    while store.ping().await.is_err() {
        assert!(back.elapsed() < Duration::from_secs(2), "not recovered within 2 s");
        rocket::tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(store.load(&id()).await.unwrap(), None);
    assert_eq!(store.pool().breaker_trips(), 1);
}

#[rocket::async_test]
async fn a_users_index_is_one_hash_named_by_the_hashed_user_id_holding_only_hashed_keys() {
    let (h, url) = redis_store();
    let user = user_name("layout@example.com");
    let (id, bound) = signed_in(&h.store, &user, "Firefox on Linux", &record(&[])).await;
    let index = h.store.index_key(&UserKey::new(&user));
    let hex = UserKey::new(&user).hex();
    assert!(index.ends_with(&format!("user:{{{}}}{hex}", &hex[..4])), "{index}");
    assert!(!index.contains(&user), "the user id never appears in a key name");
    let session_key = h.store.key(&id);
    assert_eq!(
        &session_key[session_key.len() - 70..session_key.len() - 64],
        &format!("{{{}}}", &hex[..4]),
        "the session takes the user's slot tag"
    );
    let entries: Vec<(String, String)> =
        test_redis::query(&url, redis::cmd("HGETALL").arg(&index)).await;
    assert_eq!(entries.len(), 1);
    let (handle, entry) = &entries[0];
    assert_eq!(handle, &bound.handle);
    let entry: serde_json::Value = serde_json::from_str(entry).unwrap();
    assert_eq!(entry["key"], session_key.as_str(), "the session's hashed key, never its id");
    assert_eq!(entry["created"], START_MS);
    assert_eq!(entry["device"], "Firefox on Linux");
    assert!(!entries[0].1.contains(&id.encode()) && !entries[0].1.contains(&user));
    // The index outlives every session in it: its TTL runs to the newest one's absolute
    // deadline.
    let ttl = pttl(&url, &index).await;
    let absolute = ABSOLUTE.as_millis() as i64;
    assert!((absolute - 5_000..=absolute).contains(&ttl), "index TTL {ttl}");
    h.store.end_user_sessions(&bound.user, &Ending::All).await.unwrap();
    assert_eq!(pttl(&url, &index).await, -2, "an emptied index is deleted");
}

#[rocket::async_test]
async fn a_redis_sessions_last_seen_time_is_read_off_its_ttl() {
    let (h, url) = redis_store();
    let user = user_name("last-seen");
    let (id, bound) = signed_in(&h.store, &user, "d", &record(&[])).await;
    let key = h.store.key(&id);
    // As if the session had last been used 40 s ago (the suite's idle timeout is 60 s).
    let idle = IDLE.as_millis() as i64;
    h.advance(Duration::from_secs(120));
    let _: i64 = test_redis::query(&url, redis::cmd("PEXPIRE").arg(&key).arg(idle - 40_000)).await;
    let now = h.clock.load(Ordering::SeqCst);
    let seen = h.store.user_sessions(&bound.user).await.unwrap()[0].last_seen_ms;
    assert!((now - 42_000..=now - 38_000).contains(&seen), "{} s ago", (now - seen) / 1000);
    // A load restarts the idle TTL in its one round trip: that is the new last-seen time.
    assert!(h.store.load(&id).await.unwrap().is_some());
    let seen = h.store.user_sessions(&bound.user).await.unwrap()[0].last_seen_ms;
    assert!((now - 2_000..=now).contains(&seen), "{} ms ago", now - seen);
}

#[rocket::async_test]
async fn a_redis_index_entry_not_of_the_stores_form_is_skipped_and_left_alone() {
    let (h, url) = redis_store();
    let user = user_name("garbled");
    let (_, bound) = signed_in(&h.store, &user, "d", &record(&[])).await;
    let index = h.store.index_key(&bound.user);
    let _: i64 =
        test_redis::query(&url, redis::cmd("HSET").arg(&index).arg("junk").arg("not json")).await;
    assert_eq!(handles(&h.store, &user).await, vec![bound.handle.clone()]);
    assert_eq!(h.store.end_user_sessions(&bound.user, &Ending::All).await.unwrap(), 1);
    let left: Vec<String> = test_redis::query(&url, redis::cmd("HKEYS").arg(&index)).await;
    assert_eq!(left, vec!["junk".to_owned()]);
}

#[rocket::async_test]
async fn a_redis_read_restarts_the_idle_ttl_only_once_per_touch_after() {
    let (h, url) = redis_store();
    let store = h.store.clone().with_touch_after(Duration::from_secs(10));
    let id = id();
    store.create(&id, &record(&[("a", "1")])).await.unwrap();
    let key = store.key(&id);
    let shorten = || async {
        let _: i64 = test_redis::query(&url, redis::cmd("PEXPIRE").arg(&key).arg(30_000)).await;
    };
    let idle = IDLE.as_millis() as i64;
    // Created just now: reads within 10 s leave the TTL alone (no write to Redis).
    shorten().await;
    h.advance(Duration::from_secs(9));
    assert!(store.load(&id).await.unwrap().is_some());
    assert!(pttl(&url, &key).await <= 30_000, "not touched within the interval");
    // The first read after it restarts the idle timeout, in its one round trip.
    h.advance(Duration::from_secs(1));
    assert!(store.load(&id).await.unwrap().is_some());
    assert!(pttl(&url, &key).await > idle - 2_000, "touched once the interval passed");
    // A save restarts it too, and counts as a touch.
    shorten().await;
    h.advance(Duration::from_secs(5));
    assert!(store.update(&id, &changes(&[("a", Some("2"))])).await.unwrap());
    assert!(pttl(&url, &key).await > idle - 2_000);
    shorten().await;
    h.advance(Duration::from_secs(9));
    assert!(store.load(&id).await.unwrap().is_some());
    assert!(pttl(&url, &key).await <= 30_000, "the save counted as a touch");
    // Another process (a store of its own) has not touched it: its first read does.
    let other = h.store.clone().with_touch_after(Duration::from_secs(10));
    assert!(other.load(&id).await.unwrap().is_some());
    assert!(pttl(&url, &key).await > idle - 2_000);
    // An ended session is never served, touched or not.
    other.delete(&id).await.unwrap();
    assert_eq!(store.load(&id).await.unwrap(), None);
}

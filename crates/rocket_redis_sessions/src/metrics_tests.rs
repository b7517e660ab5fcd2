//! Unit tests of `metrics.rs`: a known mix of store operations through the layer, read
//! back from a recorder of this test's own.

use std::collections::BTreeMap;
use std::time::Duration;

use metrics_util::debugging::{DebugValue, DebuggingRecorder};

use crate::SessionId;
use crate::config::SessionConfig;
use crate::layer::SessionLayer;
use crate::pool::{RedisPool, RedisPoolConfig};
use crate::state::Commit;
use crate::store::{Backend, Expiry, Fields, Limits, MemoryStore, RedisStore, StoreError};

fn id() -> SessionId {
    SessionId::generate(crate::store::now_ms(), None).unwrap()
}

fn fields(pairs: &[(&str, &str)]) -> Fields {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// Every metric as `name{label=value,...}` → its counter value, gauge value or number of
/// histogram samples.
fn read(recorder: &metrics_util::debugging::Snapshotter) -> BTreeMap<String, f64> {
    let mut read = BTreeMap::new();
    for (key, _, _, value) in recorder.snapshot().into_vec() {
        let key = key.key();
        let labels: Vec<String> =
            key.labels().map(|l| format!("{}={}", l.key(), l.value())).collect();
        let name = format!("{}{{{}}}", key.name(), labels.join(","));
        let value = match value {
            DebugValue::Counter(n) => n as f64,
            DebugValue::Gauge(g) => g.into_inner(),
            DebugValue::Histogram(samples) => samples.len() as f64,
        };
        read.insert(name, value);
    }
    read
}

#[test]
fn each_store_operation_is_counted_by_kind_and_result() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    metrics::with_local_recorder(&recorder, || {
        let runtime = rocket::tokio::runtime::Builder::new_current_thread().enable_all().build();
        runtime.unwrap().block_on(async {
            let expiry =
                Expiry { idle: Duration::from_secs(60), absolute: Duration::from_secs(600) };
            let limits = Limits { max_bytes: 100, max_keys: 4 };
            let store = Backend::Memory(MemoryStore::new(expiry).with_limits(limits));
            let layer = SessionLayer::new(SessionConfig::default(), store, false);
            let (a, b) = (id(), id());
            let renewed = SessionId::generate(a.created_ms(), Some(a.tag())).unwrap();
            let apply = |commit| layer.apply(commit);
            apply(Commit::Create { id: a.clone(), fields: fields(&[("k", "1")]) }).await.unwrap();
            assert!(layer.load(&a).await.unwrap().is_some());
            assert!(layer.load(&b).await.unwrap().is_none());
            let changes = vec![("k".to_owned(), Some("2".to_owned()))];
            assert!(
                apply(Commit::Update { id: a.clone(), changes: changes.clone() }).await.unwrap()
            );
            let renew = Commit::Renew { old: a.clone(), new: renewed.clone(), changes: vec![] };
            assert!(apply(renew).await.unwrap());
            // The old id is gone: its save writes nothing and is counted as such.
            assert!(!apply(Commit::Update { id: a.clone(), changes }).await.unwrap());
            let taken = apply(Commit::Create { id: renewed.clone(), fields: fields(&[]) }).await;
            assert!(matches!(taken, Err(StoreError::Collision)));
            let big = vec![("big".to_owned(), Some(format!("\"{}\"", "x".repeat(200))))];
            let too_large = apply(Commit::Update { id: renewed.clone(), changes: big }).await;
            assert!(matches!(too_large, Err(StoreError::TooLarge)));
            let replace = Commit::Replace {
                old: renewed.clone(),
                id: b.clone(),
                fields: fields(&[("n", "1")]),
            };
            assert!(apply(replace).await.unwrap());
            assert!(apply(Commit::Delete { id: b }).await.unwrap());
            assert!(apply(Commit::Nothing).await.unwrap(), "nothing to write, nothing counted");

            // A Redis store that cannot be reached: an unavailable load.
            let pool = RedisPool::new(&RedisPoolConfig {
                connect_timeout: 1,
                ..RedisPoolConfig::single("redis://127.0.0.1:1/0")
            })
            .unwrap();
            let redis = Backend::Redis(RedisStore::new(pool, "m:", expiry));
            let down = SessionLayer::new(SessionConfig::default(), redis, false);
            assert!(matches!(down.load(&id()).await, Err(StoreError::Unavailable(_))));
        });
    });
    let read = read(&snapshotter);
    let expected = [
        ("sessions_loads_total{result=found}", 1.0),
        ("sessions_loads_total{result=none}", 1.0),
        ("sessions_created_total{}", 2.0),
        ("sessions_saved_total{}", 1.0),
        ("sessions_rotated_total{}", 1.0),
        ("sessions_destroyed_total{}", 2.0),
        ("sessions_save_gone_total{}", 1.0),
        ("sessions_store_errors_total{kind=collision}", 1.0),
        ("sessions_store_errors_total{kind=too_large}", 1.0),
        ("sessions_store_errors_total{kind=unavailable}", 1.0),
        ("sessions_store_duration_seconds{op=load}", 3.0),
        ("sessions_store_duration_seconds{op=create}", 2.0),
        ("sessions_store_duration_seconds{op=save}", 3.0),
        ("sessions_store_duration_seconds{op=rotate}", 1.0),
        ("sessions_store_duration_seconds{op=replace}", 1.0),
        ("sessions_store_duration_seconds{op=delete}", 1.0),
        ("sessions_store_info{store=memory,mode=none}", 1.0),
        ("sessions_store_info{store=redis,mode=single}", 1.0),
    ];
    for (name, value) in expected {
        assert_eq!(read.get(name), Some(&value), "{name}: {read:#?}");
    }
}

//! [`Backend`]: the store the session layer holds, one variant per built-in store and one
//! for an app's own. The built-in Redis store's futures are awaited in place, so a request
//! allocates none for its load and save; a new built-in backend joins here.

use std::sync::Arc;

use super::{Changes, Fields, MemoryStore, RedisStore, SessionStore, StoreError};
use crate::SessionId;
use crate::pool::RedisPool;

/// The store picked at ignite.
pub(crate) enum Backend {
    /// Redis through the app's pool: single node today, each deployment shape behind the
    /// pool.
    Redis(RedisStore),
    /// This process's memory.
    Memory(MemoryStore),
    /// A store of the app's own, through the [`SessionStore`] trait.
    Custom(Arc<dyn SessionStore>),
}

impl Backend {
    /// The store's short name, as [`SessionStore::name`].
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Self::Redis(_) => "redis",
            Self::Memory(_) => "memory",
            Self::Custom(store) => store.name(),
        }
    }

    /// The store through the [`SessionStore`] contract.
    pub(crate) fn as_dyn(&self) -> &dyn SessionStore {
        match self {
            Self::Redis(store) => store,
            Self::Memory(store) => store,
            Self::Custom(store) => &**store,
        }
    }

    /// The Redis pool the sessions go through, if they are in Redis.
    pub(crate) fn redis_pool(&self) -> Option<&RedisPool> {
        match self {
            Self::Redis(store) => Some(store.pool()),
            Self::Memory(_) | Self::Custom(_) => None,
        }
    }

    /// As the [`SessionStore`] methods of the same name.
    pub(crate) async fn load(&self, id: &SessionId) -> Result<Option<Fields>, StoreError> {
        match self {
            Self::Redis(store) => store.load(id).await,
            Self::Memory(store) => store.load(id).await,
            Self::Custom(store) => store.load(id).await,
        }
    }

    pub(crate) async fn create(&self, id: &SessionId, fields: &Fields) -> Result<(), StoreError> {
        match self {
            Self::Redis(store) => store.create(id, fields).await,
            Self::Memory(store) => store.create(id, fields).await,
            Self::Custom(store) => store.create(id, fields).await,
        }
    }

    pub(crate) async fn update(
        &self,
        id: &SessionId,
        changes: &Changes,
    ) -> Result<bool, StoreError> {
        match self {
            Self::Redis(store) => store.update(id, changes).await,
            Self::Memory(store) => store.update(id, changes).await,
            Self::Custom(store) => store.update(id, changes).await,
        }
    }

    pub(crate) async fn renew(
        &self,
        old: &SessionId,
        new: &SessionId,
        changes: &Changes,
    ) -> Result<bool, StoreError> {
        match self {
            Self::Redis(store) => store.renew(old, new, changes).await,
            Self::Memory(store) => store.renew(old, new, changes).await,
            Self::Custom(store) => store.renew(old, new, changes).await,
        }
    }

    pub(crate) async fn replace(
        &self,
        old: &SessionId,
        id: &SessionId,
        fields: &Fields,
    ) -> Result<(), StoreError> {
        match self {
            Self::Redis(store) => store.replace(old, id, fields).await,
            Self::Memory(store) => store.replace(old, id, fields).await,
            Self::Custom(store) => store.replace(old, id, fields).await,
        }
    }

    pub(crate) async fn delete(&self, id: &SessionId) -> Result<(), StoreError> {
        match self {
            Self::Redis(store) => store.delete(id).await,
            Self::Memory(store) => store.delete(id).await,
            Self::Custom(store) => store.delete(id).await,
        }
    }

    pub(crate) async fn ping(&self) -> Result<(), StoreError> {
        match self {
            Self::Redis(store) => store.ping().await,
            Self::Memory(store) => store.ping().await,
            Self::Custom(store) => store.ping().await,
        }
    }
}

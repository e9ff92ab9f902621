//! A short-lived cache of the hottest reads (the Health summary and queue pages), so office
//! screens and many CSMs on the same views do not each recount 10,000s of accounts.
//!
//! Correctness: every change made through this server bumps its workspace's version
//! ([`crate::service::Data::changed`]), which empties that workspace's entries at once; another
//! replica's changes do the same when their live event arrives. Changes made elsewhere (the CLI)
//! show after the time-to-live: the first reader after it
//! reloads while the others keep getting the previous value, so a busy view never stalls on a
//! crowd of reloads.

use std::any::Any;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const MAX_ENTRIES: usize = 2_000;

struct Entry {
    workspace: i64,
    version: u64,
    stored: Instant,
    /// Someone is reloading this expired entry; the others may still use it meanwhile.
    reloading: bool,
    value: Arc<dyn Any + Send + Sync>,
}

/// How long past its time-to-live an entry may still be served while someone reloads it.
const RELOAD_GRACE: Duration = Duration::from_secs(10);

pub struct ReadCache {
    ttl: Duration,
    versions: Mutex<HashMap<i64, u64>>,
    entries: Mutex<HashMap<String, Entry>>,
}

impl Default for ReadCache {
    fn default() -> Self {
        ReadCache::new(Duration::from_secs(2))
    }
}

impl ReadCache {
    pub fn new(ttl: Duration) -> Self {
        ReadCache {
            ttl,
            versions: Mutex::new(HashMap::new()),
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn version(&self, workspace: i64) -> u64 {
        *self
            .versions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&workspace)
            .unwrap_or(&0)
    }

    /// Forgets everything cached for the workspace.
    pub fn invalidate(&self, workspace: i64) {
        *self
            .versions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(workspace)
            .or_insert(0) += 1;
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|_, e| e.workspace != workspace);
    }

    /// The cached value for `key`, or `load`'s (cached when it succeeds and nothing changed
    /// meanwhile). `key` must name everything the value depends on besides the workspace.
    pub async fn get_or_load<T, E, F, Fut>(&self, workspace: i64, key: String, load: F) -> Result<T, E>
    where
        T: Clone + Send + Sync + 'static,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        if self.ttl.is_zero() {
            return load().await; // caching switched off
        }
        let version = self.version(workspace);
        {
            let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(e) = entries
                .get_mut(&key)
                .filter(|e| e.workspace == workspace && e.version == version)
            {
                let age = e.stored.elapsed();
                let value = e.value.downcast_ref::<T>().cloned();
                if let Some(value) = value {
                    if age < self.ttl || (e.reloading && age < self.ttl + RELOAD_GRACE) {
                        return Ok(value);
                    }
                    // Expired: this caller reloads, the next ones get the value above meanwhile.
                    e.reloading = true;
                }
            }
        }
        let value = match load().await {
            Ok(v) => v,
            Err(e) => {
                // Let the next reader try again.
                if let Some(entry) = self.entries.lock().unwrap_or_else(|e| e.into_inner()).get_mut(&key) {
                    entry.reloading = false;
                }
                return Err(e);
            }
        };
        // A change that landed while loading makes this value stale: do not keep it.
        if self.version(workspace) == version {
            let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
            entries.insert(
                key,
                Entry {
                    workspace,
                    version,
                    stored: Instant::now(),
                    reloading: false,
                    value: Arc::new(value.clone()),
                },
            );
        }
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn load(n: &std::cell::Cell<u32>) -> Result<u32, ()> {
        n.set(n.get() + 1);
        Ok(n.get())
    }

    #[tokio::test]
    async fn a_change_or_the_time_to_live_ends_a_cached_value() {
        let cache = ReadCache::new(Duration::from_millis(200));
        let loads = std::cell::Cell::new(0);
        assert_eq!(cache.get_or_load(1, "q".into(), || load(&loads)).await, Ok(1));
        assert_eq!(cache.get_or_load(1, "q".into(), || load(&loads)).await, Ok(1), "cached");
        cache.invalidate(2);
        assert_eq!(
            cache.get_or_load(1, "q".into(), || load(&loads)).await,
            Ok(1),
            "another workspace's change"
        );
        cache.invalidate(1);
        assert_eq!(
            cache.get_or_load(1, "q".into(), || load(&loads)).await,
            Ok(2),
            "its own change"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
        assert_eq!(
            cache.get_or_load(1, "q".into(), || load(&loads)).await,
            Ok(3),
            "expired"
        );
    }

    #[tokio::test]
    async fn while_one_reader_reloads_an_expired_value_the_others_get_the_previous_one() {
        let cache = std::sync::Arc::new(ReadCache::new(Duration::from_millis(50)));
        assert_eq!(
            cache.get_or_load(1, "q".into(), || async { Ok::<_, ()>(1) }).await,
            Ok(1)
        );
        tokio::time::sleep(Duration::from_millis(60)).await;
        let (release, wait) = tokio::sync::oneshot::channel::<()>();
        let reloader = {
            let cache = cache.clone();
            tokio::spawn(async move {
                cache
                    .get_or_load(1, "q".into(), || async move {
                        let _ = wait.await;
                        Ok::<_, ()>(2)
                    })
                    .await
            })
        };
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(10)).await;
        let other = cache.get_or_load(1, "q".into(), || async { Ok::<_, ()>(99) }).await;
        assert_eq!(other, Ok(1), "served the previous value, did not reload too");
        let _ = release.send(());
        assert_eq!(reloader.await.unwrap(), Ok(2));
        assert_eq!(
            cache.get_or_load(1, "q".into(), || async { Ok::<_, ()>(99) }).await,
            Ok(2)
        );
        // A change made here is never served stale, reloading or not.
        cache.invalidate(1);
        assert_eq!(
            cache.get_or_load(1, "q".into(), || async { Ok::<_, ()>(3) }).await,
            Ok(3)
        );
    }
}

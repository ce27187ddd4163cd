//! Symbolication at read time: stack frames of minified code resolved to
//! their original source, line, column and name through the maps uploaded
//! for the app's version (`POST /v1/sourcemaps`), and error groups named by
//! the resolved top frame, so two builds of the same code make one group.
//!
//! Maps are read from ClickHouse on demand and kept parsed in a cache
//! bounded by their JSON size (`sourcemaps.cache_bytes`), keyed by upload
//! time too, so a replaced map is read again. Resolving at read time means
//! maps uploaded after the errors still resolve them.

pub mod frames;
pub mod map;

use std::sync::Arc;

use quick_cache::sync::Cache;
use quick_cache::{OptionsBuilder, Weighter};
use sha2::{Digest, Sha256};
use sourcemap::SourceMap;

use crate::store::sourcemaps::UploadedFile;
use crate::store::{Store, StoreError};
pub use frames::{matching_file, FrameAt};
pub use map::{parse, Context, MapError, Resolved};

/// A parsed map and the size of its JSON, which the cache is bounded by.
#[derive(Clone)]
struct Parsed {
    map: Option<Arc<SourceMap>>,
    bytes: u64,
}

#[derive(Clone)]
struct ByJsonSize;

impl Weighter<MapKey, Parsed> for ByJsonSize {
    fn weight(&self, _key: &MapKey, parsed: &Parsed) -> u64 {
        parsed.bytes.max(1)
    }
}

/// The parsed maps' cache, `cache_bytes` of their JSON. One shard:
/// quick_cache splits its capacity among shards and refuses an item heavier
/// than its shard, so with the default shards (4 per core) a large map would
/// never stay cached and would be parsed again for every frame. Maps are
/// large and few, so one lock costs little.
fn map_cache(cache_bytes: u64) -> Cache<MapKey, Parsed, ByJsonSize> {
    let options = OptionsBuilder::new()
        .shards(1)
        .estimated_items_capacity(256)
        .weight_capacity(cache_bytes)
        .build()
        .expect("both capacities are set");
    Cache::with_options(options, ByJsonSize, Default::default(), Default::default())
}

/// app, version, file, upload time (ms).
type MapKey = (String, String, String, i64);

/// Resolves frames through the uploaded maps; shared by every request.
pub struct Symbolicator {
    store: Arc<Store>,
    cache: Cache<MapKey, Parsed, ByJsonSize>,
}

/// The maps of one app version: which files have one.
pub struct VersionMaps {
    app: String,
    version: String,
    files: Vec<UploadedFile>,
}

impl VersionMaps {
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

impl Symbolicator {
    pub fn new(store: Arc<Store>, cache_bytes: u64) -> Self {
        let cache = map_cache(cache_bytes);
        Self { store, cache }
    }

    /// Which files of `app` `version` have maps (one query).
    pub async fn version(&self, app: &str, version: &str) -> Result<VersionMaps, StoreError> {
        Ok(VersionMaps {
            app: app.to_owned(),
            version: version.to_owned(),
            files: self.store.uploaded_files(app, version).await?,
        })
    }

    /// The original position of a frame, if a map of its version covers it.
    pub async fn resolve(
        &self,
        maps: &VersionMaps,
        frame: &FrameAt<'_>,
    ) -> Result<Option<Resolved>, StoreError> {
        let Some(uploaded) = matching_file(frame.file, &maps.files) else {
            return Ok(None);
        };
        let key = (
            maps.app.clone(),
            maps.version.clone(),
            uploaded.file.clone(),
            uploaded.uploaded_at,
        );
        let parsed = self
            .cache
            .get_or_insert_async(&key, self.load(&maps.app, &maps.version, &uploaded.file))
            .await?;
        Ok(parsed
            .map
            .and_then(|map| map::resolve(&map, frame.line, frame.column)))
    }

    /// Reads and parses one map (off the async threads: a map may be 32 MiB).
    /// A map that no longer parses (it did when uploaded) resolves nothing.
    async fn load(&self, app: &str, version: &str, file: &str) -> Result<Parsed, StoreError> {
        let Some(json) = self.store.sourcemap(app, version, file).await? else {
            return Ok(Parsed {
                map: None,
                bytes: 0,
            });
        };
        let bytes = json.len() as u64;
        let parsed = tokio::task::spawn_blocking(move || map::parse(json.as_bytes())).await;
        let map = match parsed {
            Ok(Ok(map)) => Some(Arc::new(map)),
            Ok(Err(error)) => {
                tracing::warn!(%app, %version, %file, %error, "stored source map does not parse");
                None
            }
            Err(error) => {
                tracing::warn!(%app, %version, %file, %error, "source map parse failed");
                None
            }
        };
        Ok(Parsed { map, bytes })
    }
}

/// The id of a group whose top frame resolved: the message and the original
/// position and name, hashed. `r` and 16 hex digits, so it never equals a
/// minified fingerprint (16 hex digits).
pub fn resolved_fingerprint(message: &str, top: &Resolved) -> String {
    let mut hash = Sha256::new();
    for part in [
        message,
        &top.source,
        &top.line.to_string(),
        &top.column.to_string(),
        top.name.as_deref().unwrap_or(""),
    ] {
        hash.update(part.as_bytes());
        hash.update([0]);
    }
    let digest = hash.finalize();
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("r{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_map_half_the_cache_stays_cached() {
        let cache_bytes = 256 << 20;
        let cache = map_cache(cache_bytes);
        let key: MapKey = ("cart".into(), "1.4.1".into(), "assets/cart.js".into(), 1);
        let map = Parsed {
            map: None,
            bytes: cache_bytes / 2,
        };
        cache.insert(key.clone(), map);
        assert_eq!(
            cache.get(&key).map(|parsed| parsed.bytes),
            Some(cache_bytes / 2)
        );
    }
}

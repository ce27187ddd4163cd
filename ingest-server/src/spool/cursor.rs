//! The drain position, kept in `cursor.json` beside the log.
//!
//! `committed` is the last sequence number stored in ClickHouse. `in_flight`
//! is the range of a batch being inserted: after a crash the same range is
//! inserted again with the same deduplication token, so ClickHouse stores it
//! once whether or not the first attempt landed.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::segment::sync_dir;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    pub committed: u64,
    pub in_flight: Option<(u64, u64)>,
}

pub fn path(dir: &Path) -> PathBuf {
    dir.join("cursor.json")
}

pub fn load(dir: &Path) -> io::Result<Cursor> {
    match fs::read(path(dir)) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e)),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(Cursor::default()),
        Err(error) => Err(error),
    }
}

/// Replaces the cursor file atomically and durably.
pub fn store(dir: &Path, cursor: &Cursor) -> io::Result<()> {
    let temporary = dir.join("cursor.json.tmp");
    let bytes =
        serde_json::to_vec(cursor).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
    {
        let file = fs::File::create(&temporary)?;
        io::Write::write_all(&mut &file, &bytes)?;
        file.sync_all()?;
    }
    fs::rename(&temporary, path(dir))?;
    sync_dir(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_default() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load(dir.path()).unwrap(), Cursor::default());
        let cursor = Cursor {
            committed: 41,
            in_flight: Some((42, 90)),
        };
        store(dir.path(), &cursor).unwrap();
        assert_eq!(load(dir.path()).unwrap(), cursor);
    }
}

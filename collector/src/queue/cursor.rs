//! Positions in the log and the per-consumer cursor files that store them.
//!
//! A cursor file `{consumer}.cursor` holds one JSON object,
//! `{"version":1,"segment":…,"offset":…,"seq":…}`: the position just past the last record
//! the consumer committed. It is replaced atomically: write `{consumer}.cursor.tmp`, fsync
//! it, rename it over the old file, fsync the directory.

use super::error::QueueError;
use super::segment::sync_dir;
use serde::{Deserialize, Serialize};
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// A place in the log: just before the record at byte `offset` of segment `segment`, which
/// is record number `seq` of the whole log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Position {
    /// Base sequence number (and name) of the segment.
    pub segment: u64,
    /// Byte offset in that segment.
    pub offset: u64,
    /// Records before this position since the log began.
    pub seq: u64,
}

impl Position {
    /// The first record of segment `base`.
    pub(crate) fn start_of(base: u64) -> Self {
        Position {
            segment: base,
            offset: super::format::HEADER_LEN,
            seq: base,
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CursorFile {
    version: u32,
    segment: u64,
    offset: u64,
    seq: u64,
}

const VERSION: u32 = 1;
const SUFFIX: &str = ".cursor";

/// Checks that `name` can be a consumer (and so a file name).
pub(crate) fn validate_consumer(name: &str) -> Result<(), QueueError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(QueueError::InvalidConsumer(name.to_string()))
    }
}

/// The cursor file of `consumer` in `dir`.
pub(crate) fn cursor_path(dir: &Path, consumer: &str) -> PathBuf {
    dir.join(format!("{consumer}{SUFFIX}"))
}

fn temp_path(dir: &Path, consumer: &str) -> PathBuf {
    dir.join(format!("{consumer}{SUFFIX}.tmp"))
}

/// The committed position of `consumer`, or `None` if it never committed.
pub(crate) fn load(dir: &Path, consumer: &str) -> Result<Option<Position>, QueueError> {
    let path = cursor_path(dir, consumer);
    let text = match fs::read(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(QueueError::io(path, e)),
    };
    match serde_json::from_slice::<CursorFile>(&text) {
        Ok(c) if c.version == VERSION => Ok(Some(Position {
            segment: c.segment,
            offset: c.offset,
            seq: c.seq,
        })),
        _ => Err(QueueError::Corrupt { path, offset: 0 }),
    }
}

/// Durably replaces the committed position of `consumer`.
pub(crate) fn store(dir: &Path, consumer: &str, pos: Position) -> Result<(), QueueError> {
    let body = serde_json::to_vec(&CursorFile {
        version: VERSION,
        segment: pos.segment,
        offset: pos.offset,
        seq: pos.seq,
    })
    .map_err(|e| QueueError::io(cursor_path(dir, consumer), io::Error::other(e)))?;
    let temp = temp_path(dir, consumer);
    let mut file = File::create(&temp).map_err(|e| QueueError::io(&temp, e))?;
    file.write_all(&body)
        .and_then(|()| file.sync_all())
        .map_err(|e| QueueError::io(&temp, e))?;
    drop(file);
    let path = cursor_path(dir, consumer);
    fs::rename(&temp, &path).map_err(|e| QueueError::io(&path, e))?;
    sync_dir(dir)
}

/// Removes temp files left by a crash in the middle of [`store`] (and a heal's probe).
pub(crate) fn remove_stale_temps(dir: &Path) -> Result<(), QueueError> {
    for entry in fs::read_dir(dir).map_err(|e| QueueError::io(dir, e))? {
        let entry = entry.map_err(|e| QueueError::io(dir, e))?;
        let is_temp = entry
            .file_name()
            .to_str()
            .is_some_and(|n| n.ends_with(".cursor.tmp") || n == super::writer::PROBE_FILE);
        if is_temp {
            let path = entry.path();
            fs::remove_file(&path).map_err(|e| QueueError::io(&path, e))?;
        }
    }
    Ok(())
}

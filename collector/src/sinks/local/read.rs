//! Reading the day files back for data rights: one person's lines (export) and a tenant's
//! counts per day and per event name (stats). Each file is read under a shared lock, so a
//! batch being appended or an erase rewriting the file is never seen half done.

use super::{line_owner, still_at, LocalSink};
use crate::sinks::sink::SinkError;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

/// A tenant's stored events, counted.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LocalStats {
    /// Events per UTC day of receipt (`YYYY-MM-DD`).
    pub days: BTreeMap<String, u64>,
    /// Events per event name.
    pub events: BTreeMap<String, u64>,
    /// All of the tenant's events.
    pub total: u64,
}

impl LocalSink {
    /// The day files, oldest first.
    pub(super) fn day_files(&self) -> Result<Vec<PathBuf>, SinkError> {
        let dir = self.dir();
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|source| SinkError::Io {
                path: dir.to_path_buf(),
                source,
            })?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|p| {
                p.extension().is_some_and(|x| x == "jsonl")
                    && !p
                        .file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            })
            .collect();
        files.sort();
        Ok(files)
    }

    /// Calls `each` with every line of `tenant`'s person `hashed_id` (the id as stored),
    /// oldest day first, each line whole with its newline; returns how many there were.
    ///
    /// # Errors
    /// [`SinkError::Io`] when a file cannot be read.
    pub fn person_lines(
        &self,
        tenant: &str,
        hashed_id: &str,
        mut each: impl FnMut(&[u8]),
    ) -> Result<u64, SinkError> {
        let mut found = 0;
        for path in self.day_files()? {
            for line in read_locked(&path)?.split_inclusive(|&b| b == b'\n') {
                if !line.ends_with(b"\n") {
                    continue;
                }
                if line_owner(line).is_some_and(|(t, id)| t == tenant && id == hashed_id) {
                    each(line);
                    found += 1;
                }
            }
        }
        Ok(found)
    }

    /// `tenant`'s events counted per day and per event name.
    ///
    /// # Errors
    /// [`SinkError::Io`] when a file cannot be read.
    pub fn tenant_stats(&self, tenant: &str) -> Result<LocalStats, SinkError> {
        let mut stats = LocalStats::default();
        for path in self.day_files()? {
            let day = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            for line in read_locked(&path)?.split_inclusive(|&b| b == b'\n') {
                let Ok(value) = serde_json::from_slice::<serde_json::Value>(line) else {
                    continue;
                };
                if value["tenant"].as_str() != Some(tenant) {
                    continue;
                }
                let name = value["event"].as_str().unwrap_or("").to_owned();
                *stats.days.entry(day.clone()).or_default() += 1;
                *stats.events.entry(name).or_default() += 1;
                stats.total += 1;
            }
        }
        Ok(stats)
    }
}

/// The whole file at `path`, read under a shared lock (reopened if an erase replaced it).
fn read_locked(path: &Path) -> Result<Vec<u8>, SinkError> {
    let io = |source| SinkError::Io {
        path: path.to_path_buf(),
        source,
    };
    loop {
        let mut file = match File::open(path) {
            Ok(file) => file,
            // Gone meanwhile (retention): nothing to read.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io(e)),
        };
        file.lock_shared().map_err(io)?;
        if !still_at(&file, path).map_err(io)? {
            continue;
        }
        let mut contents = Vec::new();
        file.read_to_end(&mut contents).map_err(io)?;
        return Ok(contents);
    }
}

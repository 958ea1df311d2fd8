//! Erasure tombstones: whose events were erased, and up to when.
//!
//! An erase removes what the stores hold, but events of that person may still sit in the
//! queue, undelivered (a sink was down, or the collector was stopped). An erase therefore
//! first appends a tombstone `{"tenant", "distinct_id", "received_before"}` to
//! `data_dir/erasures.jsonl` (synced), and every sink runner, and the local sink under its
//! file lock, drops queued events of that person received before that instant. The file
//! is read again whenever it changes, so an `erase` run beside `serve` takes effect on the
//! next batch, and tombstones survive restarts. Events the person sends after the erase
//! are kept.

use crate::stored_event::StoredEvent;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// The file name under `data_dir`.
pub const ERASURES_FILE: &str = "erasures.jsonl";

/// The `distinct_id` of a tombstone that erases every person of its tenant.
pub const WHOLE_TENANT: &str = "*";

/// One line of the tombstone file.
#[derive(Debug, Serialize, Deserialize)]
struct Tombstone {
    tenant: String,
    /// The id as stored (hashed under the tenant's key), never the raw one.
    distinct_id: String,
    /// RFC 3339: events received before this instant are erased.
    received_before: String,
}

/// Who is erased: tenant → stored distinct id → the latest cutoff. Nested, so a check
/// borrows the event's strings instead of building a key per event.
#[derive(Debug, Default)]
pub struct Table(HashMap<String, HashMap<String, OffsetDateTime>>);

impl Table {
    /// Whether no one is erased.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many people are erased.
    pub fn len(&self) -> usize {
        self.0.values().map(HashMap::len).sum()
    }

    fn add(&mut self, tenant: String, distinct_id: String, cutoff: OffsetDateTime) {
        let slot = self
            .0
            .entry(tenant)
            .or_default()
            .entry(distinct_id)
            .or_insert(OffsetDateTime::UNIX_EPOCH);
        *slot = (*slot).max(cutoff);
    }
}

/// The tombstones of one data directory, re-read when the file changes.
#[derive(Debug)]
pub struct Erasures {
    path: PathBuf,
    cache: Mutex<Cache>,
}

#[derive(Debug, Default)]
struct Cache {
    /// Length and modification time of the file when it was read.
    stamp: Option<(u64, SystemTime)>,
    table: Arc<Table>,
}

impl Erasures {
    /// The tombstones of `data_dir` (the file need not exist yet).
    pub fn new(data_dir: impl AsRef<Path>) -> Self {
        Erasures {
            path: data_dir.as_ref().join(ERASURES_FILE),
            cache: Mutex::new(Cache::default()),
        }
    }

    /// Records that the events of `tenant` and `hashed_id` received before `cutoff` are
    /// erased, durably (appended and synced; the directory too when the file is new).
    ///
    /// # Errors
    /// The I/O error if the file cannot be written or synced.
    pub fn record(&self, tenant: &str, hashed_id: &str, cutoff: OffsetDateTime) -> io::Result<()> {
        let line = Tombstone {
            tenant: tenant.to_owned(),
            distinct_id: hashed_id.to_owned(),
            received_before: cutoff
                .to_offset(time::UtcOffset::UTC)
                .format(&Rfc3339)
                .map_err(io::Error::other)?,
        };
        let mut bytes = serde_json::to_vec(&line).map_err(io::Error::other)?;
        bytes.push(b'\n');
        let existed = self.path.exists();
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)?;
        // A torn last line (a crash mid-append) would glue onto this one: start afresh.
        let len = file.metadata()?.len();
        if len > 0 && !ends_with_newline(&self.path, len)? {
            bytes.insert(0, b'\n');
        }
        file.write_all(&bytes)?;
        file.sync_all()?;
        if !existed {
            if let Some(dir) = self.path.parent() {
                File::open(dir)?.sync_all()?;
            }
        }
        Ok(())
    }

    /// The current tombstones, re-read if the file changed since the last call. A file
    /// that cannot be read keeps the last table (and is logged); lines that do not parse
    /// are skipped (a torn last line).
    pub fn current(&self) -> Arc<Table> {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        let stamp = std::fs::metadata(&self.path)
            .ok()
            .map(|m| (m.len(), m.modified().unwrap_or(SystemTime::UNIX_EPOCH)));
        if stamp != cache.stamp {
            match read_table(&self.path) {
                Ok(table) => {
                    cache.table = Arc::new(table);
                    cache.stamp = stamp;
                }
                Err(error) if error.kind() == io::ErrorKind::NotFound => {
                    cache.table = Arc::default();
                    cache.stamp = None;
                }
                Err(error) => {
                    tracing::warn!(path = %self.path.display(), %error, "cannot read the erasure tombstones; using the last ones read");
                }
            }
        }
        cache.table.clone()
    }

    /// Removes from `events` those erased by a tombstone; returns how many went.
    pub fn drop_erased(&self, events: &mut Vec<StoredEvent>) -> u64 {
        let table = self.current();
        if table.is_empty() {
            return 0;
        }
        let before = events.len();
        events.retain(|e| !is_erased(&table, &e.tenant, &e.distinct_id, e.received_at));
        (before - events.len()) as u64
    }
}

/// Is the event of `tenant` and stored id `distinct_id`, received at `received_at`,
/// erased by one of `table`'s tombstones?
pub fn is_erased(
    table: &Table,
    tenant: &str,
    distinct_id: &str,
    received_at: OffsetDateTime,
) -> bool {
    let Some(people) = table.0.get(tenant) else {
        return false;
    };
    let before = |id: &str| people.get(id).is_some_and(|cutoff| received_at < *cutoff);
    before(distinct_id) || before(WHOLE_TENANT)
}

fn ends_with_newline(path: &Path, len: u64) -> io::Result<bool> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = File::open(path)?;
    file.seek(SeekFrom::Start(len - 1))?;
    let mut last = [0u8; 1];
    file.read_exact(&mut last)?;
    Ok(last[0] == b'\n')
}

fn read_table(path: &Path) -> io::Result<Table> {
    let text = std::fs::read(path)?;
    let mut table = Table::default();
    for line in text.split(|&b| b == b'\n') {
        let Ok(t) = serde_json::from_slice::<Tombstone>(line) else {
            continue;
        };
        let Ok(cutoff) = OffsetDateTime::parse(&t.received_before, &Rfc3339) else {
            continue;
        };
        table.add(t.tenant, t.distinct_id, cutoff);
    }
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn stored(tenant: &str, id: &str, received_at: &str) -> StoredEvent {
        StoredEvent::for_test(
            tenant,
            received_at,
            json!({"event": "e", "distinct_id": id, "uuid": "84578881-22d1-4a29-b1aa-fa0a8b42ba37",
                "timestamp": received_at}),
        )
    }

    #[test]
    fn drops_events_received_before_the_cutoff_of_that_person_only() {
        let tmp = tempfile::tempdir().unwrap();
        let erasures = Erasures::new(tmp.path());
        let mut none = vec![stored("acme", "h:ann", "2025-01-01T00:00:00Z")];
        assert_eq!(
            erasures.drop_erased(&mut none),
            0,
            "no file: nothing erased"
        );

        let cutoff = OffsetDateTime::parse("2025-01-02T00:00:00Z", &Rfc3339).unwrap();
        erasures.record("acme", "h:ann", cutoff).unwrap();
        let mut events = vec![
            stored("acme", "h:ann", "2025-01-01T23:59:59Z"),
            stored("acme", "h:ann", "2025-01-02T00:00:01Z"),
            stored("acme", "h:bob", "2025-01-01T00:00:00Z"),
            stored("other", "h:ann", "2025-01-01T00:00:00Z"),
        ];
        assert_eq!(erasures.drop_erased(&mut events), 1);
        let whole = OffsetDateTime::parse("2025-01-01T12:00:00Z", &Rfc3339).unwrap();
        Erasures::new(tmp.path())
            .record("gone", WHOLE_TENANT, whole)
            .unwrap();
        let mut tenant_wide = vec![
            stored("gone", "h:x", "2025-01-01T11:00:00Z"),
            stored("gone", "h:y", "2025-01-01T13:00:00Z"),
        ];
        assert_eq!(
            erasures.drop_erased(&mut tenant_wide),
            1,
            "the whole tenant, up to the cutoff"
        );
        let left: Vec<(&str, &str, String)> = events
            .iter()
            .map(|e| {
                (
                    e.tenant.as_str(),
                    e.distinct_id.as_str(),
                    e.received_at_rfc3339(),
                )
            })
            .collect();
        assert_eq!(
            left,
            [
                ("acme", "h:ann", "2025-01-02T00:00:01Z".to_owned()),
                ("acme", "h:bob", "2025-01-01T00:00:00Z".to_owned()),
                ("other", "h:ann", "2025-01-01T00:00:00Z".to_owned()),
            ]
        );
    }

    #[test]
    fn a_torn_last_line_is_skipped_and_the_next_tombstone_still_counts() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(
            tmp.path().join(ERASURES_FILE),
            b"{\"tenant\":\"acme\",\"distinct_id\":\"h:a",
        )
        .unwrap();
        let erasures = Erasures::new(tmp.path());
        let cutoff = OffsetDateTime::parse("2025-01-02T00:00:00Z", &Rfc3339).unwrap();
        erasures.record("acme", "h:bob", cutoff).unwrap();
        let table = erasures.current();
        assert_eq!(table.len(), 1);
        let at = OffsetDateTime::parse("2025-01-01T00:00:00Z", &Rfc3339).unwrap();
        assert!(is_erased(&table, "acme", "h:bob", at));
        // A second process appending is seen on the next look.
        Erasures::new(tmp.path())
            .record("acme", "h:cy", cutoff)
            .unwrap();
        assert_eq!(erasures.current().len(), 2);
    }
}

//! The local sink: scrubbed events as JSON Lines under `data_dir/events/`, one file per
//! UTC day.
//!
//! # File format
//!
//! `data_dir/events/YYYY-MM-DD.jsonl`, the day taken from the event's `received_at` (UTC).
//! Each line is the PostHog-shaped event (`event`, `distinct_id`, `uuid`, `timestamp`,
//! `properties`, …) *flattened* with two extra top-level fields, `"tenant"` and
//! `"received_at"`, which overwrite same-named top-level fields of the event if it had any:
//!
//! ```text
//! {"event":"cli_command","distinct_id":"h:…","uuid":"…","timestamp":"…","properties":{…},"tenant":"acme","received_at":"2025-01-02T03:04:05Z"}
//! ```
//!
//! # Durability, exactly once
//!
//! Every batch is appended, flushed and `fsync`ed before `deliver` returns, and a newly
//! created day file has its directory synced too. If a write fails midway the file is cut
//! back to its previous length, so a retried batch does not leave a torn line behind; a
//! line torn by a crash (no final newline) is cut off before the next append to that file.
//!
//! A crash between the fsync and the queue commit hands the same batch over again after
//! the restart. The sink drops such replays by `(tenant, uuid)`: it remembers the last
//! [`SEEN_WINDOW`] events it wrote, and the first time it appends to a day file in a
//! process it reads that file's tail ([`SEEN_TAIL_BYTES`]) to learn what an earlier
//! process wrote. Replays are counted as `duplicate`.
//!
//! Under each file's lock, events erased meanwhile (see [`crate::erasures`]) are dropped
//! too, so an erase running beside `serve` cannot miss a batch being written.
//!
//! # Erasure
//!
//! [`LocalSink::erase_distinct_id`] rewrites the day files without one person's lines: each
//! file is locked (an advisory `flock`), rewritten to a temporary file, synced and renamed
//! over the original. Appends take the same lock and reopen the path if the file they
//! opened was replaced meanwhile, so an erase running beside `serve` loses no line.
//!
//! # Retention
//!
//! Tenants with `retention_days` lose their lines of expired days the same way, under the
//! same lock; a file left empty is deleted (see `retention.rs`).

use super::sink::{Delivered, DeliveryError, DeliveryFuture, Sink, SinkError};
use super::start::{BuiltSink, SinkConfig, SinkContext};
use crate::drop_reason::DropReason;
use crate::erasures::{self, Erasures, WHOLE_TENANT};

use crate::stored_event::{tenant_key, ReplayKey, StoredEvent};
use hush_config::LocalSinkConfig;
use std::collections::{BTreeMap, HashSet, VecDeque};
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use time::{Date, OffsetDateTime};

/// Most events per local write (one append + fsync each).
pub const LOCAL_BATCH: usize = 1000;
/// Longest a partial local batch is held for more events.
pub const LOCAL_WAIT: std::time::Duration = std::time::Duration::from_millis(100);

impl SinkConfig for LocalSinkConfig {
    fn name(&self) -> &'static str {
        "local"
    }

    fn build(&self, context: &SinkContext<'_>) -> Result<BuiltSink, SinkError> {
        let sink = LocalSink::new(context.data_dir)?.with_erasures(context.erasures.clone());
        Ok(BuiltSink {
            tasks: retention::spawn(&sink, context).into_iter().collect(),
            sink: Arc::new(sink),
            batch: LOCAL_BATCH,
            wait: LOCAL_WAIT,
        })
    }
}

/// How many written events the sink remembers to drop replays.
pub const SEEN_WINDOW: usize = 200_000;
/// How much of a day file's tail is read to learn what an earlier process wrote.
pub const SEEN_TAIL_BYTES: u64 = 16 << 20;

/// Writes events to daily JSON Lines files. See the [module docs](self) for the format.
#[derive(Debug, Clone)]
pub struct LocalSink {
    dir: PathBuf,
    erasures: Option<Arc<Erasures>>,
    seen: Arc<Mutex<Seen>>,
}

/// `(tenant, uuid)` keys of the events written lately, oldest first.
#[derive(Debug, Default)]
struct Seen {
    /// Day files whose tail was read in this process.
    loaded: HashSet<PathBuf>,
    /// Day files this process has opened for appending.
    touched: HashSet<PathBuf>,
    /// Day files whose directory entry is durable: synced by this process, or there
    /// before it first touched them.
    entry_synced: HashSet<PathBuf>,
    keys: HashSet<ReplayKey>,
    order: VecDeque<ReplayKey>,
}

impl Seen {
    fn insert(&mut self, key: ReplayKey) {
        if self.keys.insert(key) {
            self.order.push_back(key);
            if self.order.len() > SEEN_WINDOW {
                if let Some(old) = self.order.pop_front() {
                    self.keys.remove(&old);
                }
            }
        }
    }
}

/// One encoded line and what decides whether it is written.
struct Line {
    key: ReplayKey,
    tenant: String,
    distinct_id: String,
    received_at: OffsetDateTime,
    bytes: Vec<u8>,
}

/// What one append did.
#[derive(Debug, Default)]
struct Appended {
    created: bool,
    duplicates: u64,
    erased: u64,
}

/// What [`LocalSink::erase_distinct_id`] did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Erased {
    /// Lines of that person removed.
    pub removed: u64,
    /// Lines that do not parse as JSON and do not hold the id, kept (never silently).
    pub unreadable_kept: u64,
}

impl LocalSink {
    /// A sink writing under `data_dir/events/`, creating that directory if missing.
    ///
    /// # Errors
    /// [`SinkError::Io`] if the directory cannot be created.
    pub fn new(data_dir: impl AsRef<Path>) -> Result<Self, SinkError> {
        let dir = data_dir.as_ref().join("events");
        std::fs::create_dir_all(&dir).map_err(|source| SinkError::Io {
            path: dir.clone(),
            source,
        })?;
        Ok(LocalSink {
            dir,
            erasures: None,
            seen: Arc::default(),
        })
    }

    /// This sink, dropping the events `erasures` names under each file's lock.
    #[must_use]
    pub fn with_erasures(mut self, erasures: Arc<Erasures>) -> Self {
        self.erasures = Some(erasures);
        self
    }

    /// Removes every line of `tenant` whose `distinct_id` is `hashed_id` (the id as
    /// stored, already hashed; [`WHOLE_TENANT`] for every person of the tenant) from every
    /// day file. Files without such a line are left untouched. A line that does not parse (torn by a crash) is removed when it holds
    /// the id and otherwise kept and counted in [`Erased::unreadable_kept`].
    ///
    /// # Errors
    /// [`SinkError::Io`] if a file cannot be read, rewritten or renamed; files done before
    /// it stay erased.
    pub fn erase_distinct_id(&self, tenant: &str, hashed_id: &str) -> Result<Erased, SinkError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| SinkError::Io { path, source }
        };
        let mut total = Erased::default();
        for path in self.day_files()? {
            let done = erase_in_file(&self.dir, &path, tenant, hashed_id).map_err(io(&path))?;
            total.removed += done.removed;
            total.unreadable_kept += done.unreadable_kept;
        }
        if total.unreadable_kept > 0 {
            tracing::warn!(
                lines = total.unreadable_kept,
                "erase kept local lines that do not parse and do not hold the id"
            );
        }
        Ok(total)
    }

    /// The directory holding the day files.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file events received on `day` go to.
    pub fn day_file(&self, day: Date) -> PathBuf {
        self.dir.join(format!(
            "{:04}-{:02}-{:02}.jsonl",
            day.year(),
            u8::from(day.month()),
            day.day()
        ))
    }
}

impl Sink for LocalSink {
    fn name(&self) -> &'static str {
        "local"
    }

    fn deliver<'a>(&'a self, events: &'a [StoredEvent]) -> DeliveryFuture<'a> {
        Box::pin(async move {
            // Encode on this thread (cheap), write on the blocking pool.
            let mut files: BTreeMap<PathBuf, Vec<Line>> = BTreeMap::new();
            for stored in events {
                let mut bytes = Vec::new();
                encode_line(stored, &mut bytes);
                files
                    .entry(self.day_file(day_of(stored)))
                    .or_default()
                    .push(Line {
                        key: (tenant_key(&stored.tenant), stored.uuid.as_u128()),
                        tenant: stored.tenant.clone(),
                        distinct_id: stored.distinct_id.clone(),
                        received_at: stored.received_at,
                        bytes,
                    });
            }
            let sink = self.clone();
            let done = tokio::task::spawn_blocking(move || sink.append_all(files))
                .await
                .map_err(|_| DeliveryError::retry("local writer task failed"))??;
            let mut refused = Vec::new();
            if done.duplicates > 0 {
                refused.push((DropReason::Duplicate, done.duplicates));
            }
            if done.erased > 0 {
                refused.push((DropReason::Erased, done.erased));
            }
            Ok(Delivered { refused })
        })
    }
}

impl LocalSink {
    fn append_all(&self, files: BTreeMap<PathBuf, Vec<Line>>) -> Result<Appended, DeliveryError> {
        let mut total = Appended::default();
        let mut created = Vec::new();
        for (path, lines) in files {
            let done = self.append(&path, lines).map_err(|e| io_error(&path, &e))?;
            if done.created {
                created.push(path);
            }
            total.duplicates += done.duplicates;
            total.erased += done.erased;
        }
        if !created.is_empty() {
            // Make the new directory entries durable too.
            File::open(&self.dir)
                .and_then(|d| d.sync_all())
                .map_err(|e| io_error(&self.dir, &e))?;
            let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
            seen.entry_synced.extend(created);
            total.created = true;
        }
        Ok(total)
    }

    /// Appends the `lines` not erased and not written before to `path` and fsyncs. On
    /// failure the file is cut back to its old length (best effort).
    fn append(&self, path: &Path, lines: Vec<Line>) -> std::io::Result<Appended> {
        // A file this process may have created, in this attempt or a failed earlier one,
        // needs its directory entry synced before the batch counts as durable; one that
        // existed before this process first touched it does not.
        let needs_entry_sync = {
            let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
            if seen.touched.insert(path.to_path_buf()) && path.exists() {
                seen.entry_synced.insert(path.to_path_buf());
            }
            !seen.entry_synced.contains(path)
        };
        let mut file = open_locked(
            path,
            OpenOptions::new().read(true).create(true).append(true),
        )?;
        let mut old_len = file.metadata()?.len();
        if old_len > 0 && last_byte(&mut file, old_len)? != b'\n' {
            old_len = cut_torn_line(&mut file, path, old_len)?;
        }
        let mut done = Appended {
            created: needs_entry_sync,
            ..Appended::default()
        };
        // Under the file lock: an erase that recorded its tombstone before taking this
        // lock is seen here; one that takes the lock after us rewrites what we append.
        let erased = self.erasures.as_ref().map(|e| e.current());
        let mut bytes = Vec::new();
        let mut keys = Vec::with_capacity(lines.len());
        {
            let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
            if !seen.loaded.contains(path) {
                learn_tail(&mut file, old_len, &mut seen)?;
                seen.loaded.insert(path.to_path_buf());
            }
            let mut batch = HashSet::new();
            for line in lines {
                if erased.as_ref().is_some_and(|table| {
                    erasures::is_erased(table, &line.tenant, &line.distinct_id, line.received_at)
                }) {
                    done.erased += 1;
                    continue;
                }
                if seen.keys.contains(&line.key) || !batch.insert(line.key) {
                    done.duplicates += 1;
                    continue;
                }
                keys.push(line.key);
                bytes.extend_from_slice(&line.bytes);
            }
        }
        if bytes.is_empty() {
            return Ok(done);
        }
        let result = file
            .write_all(&bytes)
            .and_then(|()| file.flush())
            .and_then(|()| file.sync_data());
        if let Err(e) = result {
            let _ = file.set_len(old_len);
            return Err(e);
        }
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        for key in keys {
            seen.insert(key);
        }
        Ok(done)
    }
}

/// The last byte of `file` (`len` bytes long).
fn last_byte(file: &mut File, len: u64) -> std::io::Result<u8> {
    let mut last = [0u8; 1];
    file.seek(SeekFrom::Start(len - 1))?;
    file.read_exact(&mut last)?;
    Ok(last[0])
}

/// Cuts the line a crash left without its newline; returns the new length.
fn cut_torn_line(file: &mut File, path: &Path, len: u64) -> std::io::Result<u64> {
    const CHUNK: u64 = 64 << 10;
    let mut end = len;
    let keep = loop {
        let start = end.saturating_sub(CHUNK);
        let mut buf = vec![0u8; (end - start) as usize];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(&mut buf)?;
        if let Some(p) = buf.iter().rposition(|&b| b == b'\n') {
            break start + p as u64 + 1;
        }
        if start == 0 {
            break 0;
        }
        end = start;
    };
    file.set_len(keep)?;
    file.sync_data()?;
    tracing::warn!(
        path = %path.display(),
        bytes = len - keep,
        "cut a line torn by a crash off the end of a day file (its events are delivered again)"
    );
    Ok(keep)
}

/// Learns the `(tenant, uuid)` keys of the last [`SEEN_TAIL_BYTES`] of `file`.
fn learn_tail(file: &mut File, len: u64, seen: &mut Seen) -> std::io::Result<()> {
    #[derive(serde::Deserialize)]
    struct Keys {
        tenant: Option<String>,
        uuid: Option<String>,
    }
    let start = len.saturating_sub(SEEN_TAIL_BYTES);
    let mut buf = vec![0u8; (len - start) as usize];
    file.seek(SeekFrom::Start(start))?;
    file.read_exact(&mut buf)?;
    let mut lines = buf.split(|&b| b == b'\n');
    if start > 0 {
        // The first line is cut by the window.
        lines.next();
    }
    for line in lines {
        if let Ok(Keys {
            tenant: Some(tenant),
            uuid: Some(uuid),
        }) = serde_json::from_slice::<Keys>(line)
        {
            if let Ok(uuid) = uuid::Uuid::parse_str(&uuid) {
                seen.insert((tenant_key(&tenant), uuid.as_u128()));
            }
        }
    }
    Ok(())
}

/// The UTC day an event was received on.
fn day_of(stored: &StoredEvent) -> Date {
    stored.received_at.to_offset(time::UtcOffset::UTC).date()
}

/// Appends one flattened JSON line for `stored` to `buf`.
fn encode_line(stored: &StoredEvent, buf: &mut Vec<u8>) {
    let mut line = stored.to_posthog();
    line.insert("tenant".into(), stored.tenant.clone().into());
    line.insert("received_at".into(), stored.received_at_rfc3339().into());
    let written = serde_json::to_writer(&mut *buf, &line);
    // Serializing a Value into a Vec cannot fail.
    debug_assert!(written.is_ok());
    buf.push(b'\n');
}

/// Opens `path` with `options` and takes its exclusive lock, reopening when the file was
/// replaced (by an erase) between the open and the lock.
fn open_locked(path: &Path, options: &OpenOptions) -> std::io::Result<File> {
    loop {
        let file = options.open(path)?;
        file.lock()?;
        if still_at(&file, path)? {
            return Ok(file);
        }
    }
}

/// Is `file` still the file at `path`?
#[cfg(unix)]
fn still_at(file: &File, path: &Path) -> std::io::Result<bool> {
    use std::os::unix::fs::MetadataExt;
    let (open, named) = (file.metadata()?, std::fs::metadata(path));
    Ok(named.is_ok_and(|named| named.dev() == open.dev() && named.ino() == open.ino()))
}

#[cfg(not(unix))]
fn still_at(_file: &File, path: &Path) -> std::io::Result<bool> {
    Ok(path.exists())
}

/// Rewrites `path` without the lines of `tenant` and `hashed_id`.
fn erase_in_file(
    dir: &Path,
    path: &Path,
    tenant: &str,
    hashed_id: &str,
) -> std::io::Result<Erased> {
    let mut file = match open_locked(path, OpenOptions::new().read(true).append(true)) {
        Ok(file) => file,
        // Deleted meanwhile by retention: nothing to erase.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Erased::default()),
        Err(e) => return Err(e),
    };
    let mut contents = Vec::new();
    file.read_to_end(&mut contents)?;
    let mut kept = Vec::with_capacity(contents.len());
    let mut done = Erased::default();
    for line in contents.split_inclusive(|&b| b == b'\n') {
        let belongs = match line_owner(line) {
            Some((t, id)) => t == tenant && (id == hashed_id || hashed_id == WHOLE_TENANT),
            // Unreadable (torn): gone if it holds the id (or the tenant, when the whole
            // tenant goes) at all, else kept and reported.
            None if line.trim_ascii().is_empty() => false,
            None => {
                let needle = if hashed_id == WHOLE_TENANT {
                    format!("\"tenant\":{}", serde_json::Value::from(tenant))
                } else {
                    hashed_id.to_owned()
                };
                let holds = contains(line, needle.as_bytes());
                done.unreadable_kept += u64::from(!holds);
                holds
            }
        };
        if belongs {
            done.removed += 1;
        } else {
            kept.extend_from_slice(line);
        }
    }
    if done.removed == 0 {
        return Ok(done);
    }
    replace_contents(dir, path, &kept, "erase")?;
    File::open(dir)?.sync_all()?;
    // `file` (the old inode) is unlocked when dropped; appends waiting on it reopen.
    drop(file);
    Ok(done)
}

/// Replaces the day file at `path` with `kept`: a temporary file in `dir` (named for
/// `why`), synced, renamed over it. The caller holds the old file's lock and syncs `dir`.
fn replace_contents(dir: &Path, path: &Path, kept: &[u8], why: &str) -> std::io::Result<()> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(".{}.{why}", name.unwrap_or_default()));
    let mut out = File::create(&tmp)?;
    out.write_all(kept)?;
    out.sync_all()?;
    std::fs::rename(&tmp, path)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// The `(tenant, distinct_id)` of a JSON line, or `None` if it does not parse.
fn line_owner(line: &[u8]) -> Option<(String, String)> {
    let value = serde_json::from_slice::<serde_json::Value>(line).ok()?;
    // Flattened events carry `distinct_id` on top; whole records inside `event`.
    let id = value
        .get("distinct_id")
        .or_else(|| value.get("event").and_then(|e| e.get("distinct_id")));
    let text = |v: Option<&serde_json::Value>| v.and_then(|v| v.as_str()).unwrap_or("").to_owned();
    Some((text(value.get("tenant")), text(id)))
}

fn io_error(path: &Path, error: &std::io::Error) -> DeliveryError {
    tracing::debug!(sink = "local", path = %path.display(), error = %error, "write failed");
    DeliveryError::retry(format!("writing {}: {error}", path.display()))
}

mod read;
pub use read::LocalStats;
mod retention;

#[cfg(test)]
mod tests;

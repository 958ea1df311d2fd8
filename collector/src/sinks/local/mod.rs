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
//! (An event that is not a JSON object — which the pipeline never produces — is written as
//! the whole record, `{"tenant", "received_at", "event"}`.)
//!
//! # Durability
//!
//! Every batch is appended, flushed and `fsync`ed before `deliver` returns, and a newly
//! created day file has its directory synced too. If a write fails midway the file is cut
//! back to its previous length, so a retried batch does not leave a torn line behind. A
//! crash between the fsync and the queue commit can repeat a batch (at-least-once).
//!
//! # Erasure
//!
//! [`LocalSink::erase_distinct_id`] rewrites the day files without one person's lines: each
//! file is locked (an advisory `flock`), rewritten to a temporary file, synced and renamed
//! over the original. Appends take the same lock and reopen the path if the file they
//! opened was replaced meanwhile, so an erase running beside `serve` loses no line.

use super::sink::{Delivered, DeliveryError, DeliveryFuture, Sink, SinkError};
use crate::record::StoredEvent;
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};

/// Writes events to daily JSON Lines files. See the [module docs](self) for the format.
#[derive(Debug, Clone)]
pub struct LocalSink {
    dir: PathBuf,
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
        Ok(LocalSink { dir })
    }

    /// Removes every line of `tenant` whose `distinct_id` is `hashed_id` (the id as
    /// stored, already hashed) from every day file, and returns how many were removed.
    /// Files without such a line are left untouched; lines that do not parse are kept.
    ///
    /// # Errors
    /// [`SinkError::Io`] if a file cannot be read, rewritten or renamed; files done before
    /// it stay erased.
    pub fn erase_distinct_id(&self, tenant: &str, hashed_id: &str) -> Result<u64, SinkError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| SinkError::Io { path, source }
        };
        let mut files: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .map_err(io(&self.dir))?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|p| {
                p.extension().is_some_and(|x| x == "jsonl")
                    && !p
                        .file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            })
            .collect();
        files.sort();
        let mut removed = 0;
        for path in files {
            removed += erase_in_file(&self.dir, &path, tenant, hashed_id).map_err(io(&path))?;
        }
        Ok(removed)
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
            let mut files: BTreeMap<PathBuf, Vec<u8>> = BTreeMap::new();
            for stored in events {
                let buf = files.entry(self.day_file(day_of(stored))).or_default();
                encode_line(stored, buf);
            }
            let dir = self.dir.clone();
            tokio::task::spawn_blocking(move || append_all(&dir, files))
                .await
                .map_err(|_| DeliveryError::retry("local writer task failed"))??;
            Ok(Delivered::all())
        })
    }
}

/// The UTC day an event was received on; today if `received_at` is unreadable.
fn day_of(stored: &StoredEvent) -> Date {
    OffsetDateTime::parse(&stored.received_at, &Rfc3339)
        .unwrap_or_else(|_| OffsetDateTime::now_utc())
        .to_offset(time::UtcOffset::UTC)
        .date()
}

/// Appends one flattened JSON line for `stored` to `buf`.
fn encode_line(stored: &StoredEvent, buf: &mut Vec<u8>) {
    let written = match &stored.event {
        serde_json::Value::Object(fields) => {
            let mut line = fields.clone();
            line.insert("tenant".into(), stored.tenant.clone().into());
            line.insert("received_at".into(), stored.received_at.clone().into());
            serde_json::to_writer(&mut *buf, &line)
        }
        _ => serde_json::to_writer(&mut *buf, stored),
    };
    // Serializing a Value into a Vec cannot fail.
    debug_assert!(written.is_ok());
    buf.push(b'\n');
}

fn append_all(dir: &Path, files: BTreeMap<PathBuf, Vec<u8>>) -> Result<(), DeliveryError> {
    let mut created = false;
    for (path, bytes) in files {
        created |= append(&path, &bytes).map_err(|e| io_error(&path, &e))?;
    }
    if created {
        // Make the new directory entries durable too.
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| io_error(dir, &e))?;
    }
    Ok(())
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

/// Rewrites `path` without the lines of `tenant` and `hashed_id`; returns how many went.
fn erase_in_file(dir: &Path, path: &Path, tenant: &str, hashed_id: &str) -> std::io::Result<u64> {
    let mut file = open_locked(path, OpenOptions::new().read(true).append(true))?;
    let mut contents = Vec::new();
    file.read_to_end(&mut contents)?;
    let mut kept = Vec::with_capacity(contents.len());
    let mut removed = 0;
    for line in contents.split_inclusive(|&b| b == b'\n') {
        if line_belongs_to(line, tenant, hashed_id) {
            removed += 1;
        } else {
            kept.extend_from_slice(line);
        }
    }
    if removed == 0 {
        return Ok(0);
    }
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(".{}.erase", name.unwrap_or_default()));
    let mut out = File::create(&tmp)?;
    out.write_all(&kept)?;
    out.sync_all()?;
    std::fs::rename(&tmp, path)?;
    File::open(dir)?.sync_all()?;
    // `file` (the old inode) is unlocked when dropped; appends waiting on it reopen.
    drop(file);
    Ok(removed)
}

/// Is this JSON line an event of `tenant` with `distinct_id` `hashed_id`?
fn line_belongs_to(line: &[u8], tenant: &str, hashed_id: &str) -> bool {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(line) else {
        return false;
    };
    // Flattened events carry `distinct_id` on top; whole records inside `event`.
    let id = value
        .get("distinct_id")
        .or_else(|| value.get("event").and_then(|e| e.get("distinct_id")));
    value.get("tenant").and_then(|t| t.as_str()) == Some(tenant)
        && id.and_then(|i| i.as_str()) == Some(hashed_id)
}

/// Appends `bytes` to `path` and fsyncs; returns whether the file was created. On failure
/// the file is cut back to its old length (best effort).
fn append(path: &Path, bytes: &[u8]) -> std::io::Result<bool> {
    let existed = path.exists();
    let mut file = open_locked(path, OpenOptions::new().create(true).append(true))?;
    let old_len = file.metadata()?.len();
    let result = file
        .write_all(bytes)
        .and_then(|()| file.flush())
        .and_then(|()| file.sync_data());
    if let Err(e) = result {
        let _ = file.set_len(old_len);
        return Err(e);
    }
    Ok(!existed)
}

fn io_error(path: &Path, error: &std::io::Error) -> DeliveryError {
    tracing::debug!(sink = "local", path = %path.display(), error = %error, "write failed");
    DeliveryError::retry(format!("writing {}: {error}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn stored(uuid: &str, received_at: &str) -> StoredEvent {
        StoredEvent {
            tenant: "acme".into(),
            received_at: received_at.into(),
            event: json!({
                "event": "cli_command",
                "distinct_id": "h:abc",
                "uuid": uuid,
                "timestamp": "2025-01-02T03:04:05Z",
                "properties": {"command": "build"}
            }),
        }
    }

    fn lines(path: &Path) -> Vec<Value> {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    #[tokio::test]
    async fn writes_day_files_and_appends_valid_json_lines() {
        let tmp = tempfile::tempdir().unwrap();
        let sink = LocalSink::new(tmp.path()).unwrap();
        sink.deliver(&[
            stored("u1", "2025-01-02T23:59:59Z"),
            stored("u2", "2025-01-03T00:00:00Z"),
            // An offset is converted to UTC: this is 2025-01-02 22:30 UTC.
            stored("u3", "2025-01-03T00:30:00+02:00"),
        ])
        .await
        .unwrap();
        sink.deliver(&[stored("u4", "2025-01-02T12:00:00Z")])
            .await
            .unwrap();

        let day2 = tmp.path().join("events/2025-01-02.jsonl");
        let day3 = tmp.path().join("events/2025-01-03.jsonl");
        let uuids = |path: &Path| -> Vec<String> {
            lines(path)
                .iter()
                .map(|l| l["uuid"].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(uuids(&day2), ["u1", "u3", "u4"]);
        assert_eq!(uuids(&day3), ["u2"]);

        let first = &lines(&day2)[0];
        assert_eq!(first["tenant"], "acme");
        assert_eq!(first["received_at"], "2025-01-02T23:59:59Z");
        assert_eq!(first["event"], "cli_command");
        assert_eq!(first["distinct_id"], "h:abc");
        assert_eq!(first["properties"]["command"], "build");
        assert_eq!(
            std::fs::read_dir(tmp.path().join("events"))
                .unwrap()
                .count(),
            2
        );
    }

    #[tokio::test]
    async fn unwritable_directory_is_a_retryable_error() {
        let tmp = tempfile::tempdir().unwrap();
        let sink = LocalSink::new(tmp.path()).unwrap();
        // Replace the events directory by a file: every open below it fails.
        std::fs::remove_dir(sink.dir()).unwrap();
        std::fs::write(sink.dir(), b"not a dir").unwrap();
        let err = sink
            .deliver(&[stored("u1", "2025-01-02T00:00:00Z")])
            .await
            .unwrap_err();
        assert!(matches!(err, DeliveryError::Retryable { .. }), "{err:?}");
    }

    fn stored_for(tenant: &str, id: &str, uuid: &str, received_at: &str) -> StoredEvent {
        let mut event = stored(uuid, received_at);
        event.tenant = tenant.into();
        event.event["distinct_id"] = id.into();
        event
    }

    fn all_uuids(sink: &LocalSink) -> Vec<String> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(sink.dir())
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        files
            .iter()
            .flat_map(|f| lines(f))
            .map(|l| l["uuid"].as_str().unwrap().to_string())
            .collect()
    }

    #[tokio::test]
    async fn erase_removes_one_persons_lines_of_one_tenant_only() {
        let tmp = tempfile::tempdir().unwrap();
        let sink = LocalSink::new(tmp.path()).unwrap();
        sink.deliver(&[
            stored_for("acme", "h:ann", "u1", "2025-01-02T01:00:00Z"),
            stored_for("acme", "h:bob", "u2", "2025-01-02T02:00:00Z"),
            stored_for("other", "h:ann", "u3", "2025-01-02T03:00:00Z"),
            stored_for("acme", "h:ann", "u4", "2025-01-03T01:00:00Z"),
            stored_for("acme", "h:bob", "u5", "2025-01-04T01:00:00Z"),
        ])
        .await
        .unwrap();
        let day4 = sink.dir().join("2025-01-04.jsonl");
        let day4_before = std::fs::metadata(&day4).unwrap().modified().unwrap();

        assert_eq!(sink.erase_distinct_id("acme", "h:ann").unwrap(), 2);
        assert_eq!(all_uuids(&sink), ["u2", "u3", "u5"]);
        // Files without a matching line are not rewritten; no temporary file is left.
        assert_eq!(
            std::fs::metadata(&day4).unwrap().modified().unwrap(),
            day4_before
        );
        assert_eq!(std::fs::read_dir(sink.dir()).unwrap().count(), 3);
        // Erasing again, or an unknown id, removes nothing.
        assert_eq!(sink.erase_distinct_id("acme", "h:ann").unwrap(), 0);
        assert_eq!(sink.erase_distinct_id("acme", "h:nobody").unwrap(), 0);
        assert_eq!(all_uuids(&sink), ["u2", "u3", "u5"]);
        // Appends after an erase land in the rewritten file.
        sink.deliver(&[stored_for("acme", "h:cy", "u6", "2025-01-02T05:00:00Z")])
            .await
            .unwrap();
        assert_eq!(all_uuids(&sink), ["u2", "u3", "u6", "u5"]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn erase_beside_running_appends_loses_no_other_line() {
        let tmp = tempfile::tempdir().unwrap();
        let sink = LocalSink::new(tmp.path()).unwrap();
        let writer = {
            let sink = sink.clone();
            tokio::spawn(async move {
                for i in 0..400 {
                    // Every fourth event is the person being erased.
                    let id = if i % 4 == 0 { "h:gone" } else { "h:stays" };
                    let event = stored_for("acme", id, &format!("u{i}"), "2025-01-02T01:00:00Z");
                    sink.deliver(&[event]).await.unwrap();
                }
            })
        };
        let mut erased = 0;
        while !writer.is_finished() {
            let sink = sink.clone();
            erased += tokio::task::spawn_blocking(move || sink.erase_distinct_id("acme", "h:gone"))
                .await
                .unwrap()
                .unwrap();
        }
        writer.await.unwrap();
        erased += sink.erase_distinct_id("acme", "h:gone").unwrap();
        let want: Vec<String> = (0..400)
            .filter(|i| i % 4 != 0)
            .map(|i| format!("u{i}"))
            .collect();
        assert_eq!(all_uuids(&sink), want, "every other line kept, in order");
        assert_eq!(erased, 100);
    }
}

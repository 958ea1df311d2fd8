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

use super::sink::{Delivered, DeliveryError, DeliveryFuture, Sink, SinkError};
use crate::record::StoredEvent;
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
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

/// Appends `bytes` to `path` and fsyncs; returns whether the file was created. On failure
/// the file is cut back to its old length (best effort).
fn append(path: &Path, bytes: &[u8]) -> std::io::Result<bool> {
    let existed = path.exists();
    let mut file = OpenOptions::new().create(true).append(true).open(path)?;
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
}

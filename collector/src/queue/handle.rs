//! The queue handle: opening, appending, stats, closing.

use super::cursor::{self, Position};
use super::error::QueueError;
use super::options::QueueOptions;
use super::reader::QueueReader;
use super::segment::{self, segment_path, sync_dir};
use super::state::{Shared, State};
use super::writer::{Request, Writer, CHANNEL_CAPACITY};
use bytes::Bytes;
use std::collections::BTreeMap;
use std::fmt;
use std::fs::{self, OpenOptions};
use std::io;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use tokio::sync::{mpsc, oneshot};

/// The durable queue: an append-only segment log on disk with one cursor per consumer.
/// Cheap to clone (all clones share one log and one writer thread); `Send + Sync`.
/// See the [module docs](super) for the format and the crash guarantees.
#[derive(Clone)]
pub struct Queue {
    inner: Arc<Inner>,
}

struct Inner {
    shared: Arc<Shared>,
    tx: mpsc::Sender<Request>,
    writer: Mutex<Option<JoinHandle<()>>>,
}

impl fmt::Debug for Queue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Queue")
            .field("dir", &self.inner.shared.dir)
            .field("consumers", &self.inner.shared.consumers)
            .finish()
    }
}

/// A snapshot of the queue's size.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueStats {
    /// Bytes of all segment files (including a group being written).
    pub bytes_on_disk: u64,
    /// Per consumer given to [`Queue::open`], the durable records it has not committed.
    pub depth: BTreeMap<String, u64>,
}

impl Queue {
    /// Opens or creates the log in `dir` (created if missing) for these named consumers
    /// (sinks), recovering after a crash: a torn tail record of the last segment, found by
    /// its length and CRC, is cut off. Each consumer starts at its committed cursor; a
    /// consumer with no cursor yet starts at the oldest record still on disk. Cursors of
    /// consumers not in the list are kept but ignored (they hold no segment back).
    ///
    /// Only one `Queue` may have a directory open at a time, in one process.
    ///
    /// # Errors
    /// [`QueueError::InvalidConsumer`] for a name that is not 1 to 64 of `[A-Za-z0-9_-]`;
    /// [`QueueError::Io`] if the directory or a file cannot be read or written;
    /// [`QueueError::Corrupt`] for a bad segment header or cursor file, or a cursor past
    /// the end of the log.
    pub async fn open(
        dir: &Path,
        options: QueueOptions,
        consumers: &[&str],
    ) -> Result<Queue, QueueError> {
        Self::open_with(dir, options, consumers, None).await
    }

    /// [`Queue::open`], its writer appending to `file` instead of the active segment
    /// (until its first heal reopens the segment): tests inject failing files this way.
    #[cfg(test)]
    pub(crate) async fn open_writing_to(
        dir: &Path,
        options: QueueOptions,
        consumers: &[&str],
        file: fs::File,
    ) -> Result<Queue, QueueError> {
        Self::open_with(dir, options, consumers, Some(file)).await
    }

    async fn open_with(
        dir: &Path,
        options: QueueOptions,
        consumers: &[&str],
        file_override: Option<fs::File>,
    ) -> Result<Queue, QueueError> {
        let mut names: Vec<String> = Vec::with_capacity(consumers.len());
        for &name in consumers {
            cursor::validate_consumer(name)?;
            if !names.iter().any(|n| n == name) {
                names.push(name.to_string());
            }
        }
        let path = dir.to_path_buf();
        let (shared, file, recovered) =
            tokio::task::spawn_blocking(move || open_blocking(path, options, names))
                .await
                .map_err(|e| QueueError::io(dir, io::Error::other(e.to_string())))??;
        let shared = Arc::new(shared);
        let writer = Writer::new(
            shared.clone(),
            file_override.unwrap_or(file),
            recovered.active,
            recovered.active_len,
            recovered.next_seq,
        );
        let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
        let handle = std::thread::Builder::new()
            .name("hush-queue-writer".into())
            .spawn(move || writer.run(rx))
            .map_err(|e| QueueError::io(&shared.dir, e))?;
        Ok(Queue {
            inner: Arc::new(Inner {
                shared,
                tx,
                writer: Mutex::new(Some(handle)),
            }),
        })
    }

    /// Appends `records` (opaque payloads, typically one JSON event each) as one unit and
    /// returns once they are durable (written and fsynced). Concurrent callers share one
    /// write and one fsync (group commit). Records are delivered in append order; records of
    /// concurrent calls are not interleaved.
    ///
    /// If the future is dropped early the records may or may not be written.
    ///
    /// # Errors
    /// [`QueueError::Full`] when they would take the queue past its cap, and
    /// [`QueueError::RecordTooLarge`] for a record over
    /// [`MAX_RECORD_BYTES`](super::MAX_RECORD_BYTES): nothing of the call is written.
    /// [`QueueError::Unavailable`] if writing or syncing failed, or has been failing
    /// (disk full, no file descriptors): nothing of the call is written, and the queue
    /// takes appends again by itself once a write succeeds. [`QueueError::Closed`] after
    /// [`Queue::close`].
    pub async fn append(&self, records: Vec<Bytes>) -> Result<(), QueueError> {
        self.append_with(None, records).await
    }

    /// [`Queue::append`] on behalf of `owner` (a tenant): the records count against the
    /// owner's share of the cap ([`QueueOptions::max_owner_bytes`]) until the segment
    /// holding them is freed.
    ///
    /// # Errors
    /// As [`Queue::append`], and [`QueueError::ShareFull`] when they would take the
    /// owner past its share (nothing of the call is written).
    pub async fn append_as(&self, owner: &str, records: Vec<Bytes>) -> Result<(), QueueError> {
        self.append_with(Some(Arc::from(owner)), records).await
    }

    async fn append_with(
        &self,
        owner: Option<Arc<str>>,
        records: Vec<Bytes>,
    ) -> Result<(), QueueError> {
        if records.is_empty() {
            return Ok(());
        }
        let (ack, done) = oneshot::channel();
        self.inner
            .tx
            .send(Request::Append {
                records,
                owner,
                ack,
            })
            .await
            .map_err(|_| QueueError::Closed)?;
        done.await.map_err(|_| QueueError::Closed)?
    }

    /// A reader for `consumer`, positioned at its committed cursor.
    ///
    /// # Errors
    /// [`QueueError::UnknownConsumer`] if `consumer` was not given to [`Queue::open`].
    pub fn reader(&self, consumer: &str) -> Result<QueueReader, QueueError> {
        let shared = &self.inner.shared;
        let index = shared
            .consumers
            .iter()
            .position(|c| c == consumer)
            .ok_or_else(|| QueueError::UnknownConsumer(consumer.to_string()))?;
        Ok(QueueReader::new(shared.clone(), index))
    }

    /// Why appends are refused right now (a failed write the queue has not healed from
    /// yet), for readiness checks; `None` when appends work.
    pub fn unavailable_reason(&self) -> Option<String> {
        self.inner.shared.broken()
    }

    /// Bytes on disk, and per consumer the number of durable records not yet committed.
    pub fn stats(&self) -> QueueStats {
        let st = self.inner.shared.lock();
        let depth = st
            .committed
            .iter()
            .map(|(name, pos)| (name.clone(), st.next_seq.saturating_sub(pos.seq)))
            .collect();
        QueueStats {
            bytes_on_disk: st.bytes_on_disk,
            depth,
        }
    }

    /// Stops the writer once the appends already queued are durable; later appends fail
    /// with [`QueueError::Closed`]. Readers keep working (sinks may still commit). Calling
    /// it again does nothing.
    ///
    /// # Errors
    /// [`QueueError::Io`] if the writer thread panicked.
    pub async fn close(&self) -> Result<(), QueueError> {
        let (ack, done) = oneshot::channel();
        if self.inner.tx.send(Request::Close { ack }).await.is_ok() {
            let _ = done.await;
        }
        let handle = self
            .inner
            .writer
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(handle) = handle {
            let dir = self.inner.shared.dir.clone();
            let joined = tokio::task::spawn_blocking(move || handle.join()).await;
            if !matches!(joined, Ok(Ok(()))) {
                return Err(QueueError::io(
                    dir,
                    io::Error::other("the queue writer thread panicked"),
                ));
            }
        }
        Ok(())
    }
}

/// What the writer needs from recovery.
struct Recovered {
    active: u64,
    active_len: u64,
    next_seq: u64,
}

/// Creates or recovers the directory, loads cursors and frees drained segments.
fn open_blocking(
    dir: std::path::PathBuf,
    options: QueueOptions,
    consumers: Vec<String>,
) -> Result<(Shared, fs::File, Recovered), QueueError> {
    if !dir.is_dir() {
        fs::create_dir_all(&dir).map_err(|e| QueueError::io(&dir, e))?;
        if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
            sync_dir(parent)?;
        }
    }
    cursor::remove_stale_temps(&dir)?;
    let log = segment::recover(&dir)?;
    let oldest = *log.segments.keys().next().unwrap_or(&log.active);
    let mut committed = BTreeMap::new();
    for name in &consumers {
        let pos = match cursor::load(&dir, name)? {
            None => Position::start_of(oldest),
            Some(pos) => check_cursor(&dir, name, pos, &log, oldest)?,
        };
        committed.insert(name.clone(), pos);
    }
    let active_len = log.segments[&log.active];
    let bytes_on_disk = log.segments.values().sum();
    tracing::info!(
        dir = %dir.display(),
        segments = log.segments.len(),
        bytes = bytes_on_disk,
        records = log.next_seq,
        "queue opened"
    );
    let state = State {
        segments: log.segments,
        active: log.active,
        next_seq: log.next_seq,
        bytes_on_disk,
        committed,
        owners: BTreeMap::new(),
        owner_bytes: Default::default(),
    };
    let shared = Shared::new(
        dir,
        options.max_bytes,
        // A share smaller than two segments could be held whole by the active segment,
        // which is never freed until a roll: that producer would be refused forever.
        options
            .max_owner_bytes
            .map(|share| share.max(2 * options.effective_segment_bytes())),
        options.effective_segment_bytes(),
        consumers,
        state,
    );
    shared.collect_garbage()?;
    let path = segment_path(&shared.dir, log.active);
    let file = OpenOptions::new()
        .append(true)
        .open(&path)
        .map_err(|e| QueueError::io(&path, e))?;
    Ok((
        shared,
        file,
        Recovered {
            active: log.active,
            active_len,
            next_seq: log.next_seq,
        },
    ))
}

/// Checks a loaded cursor against the recovered log.
fn check_cursor(
    dir: &Path,
    name: &str,
    pos: Position,
    log: &segment::Recovered,
    oldest: u64,
) -> Result<Position, QueueError> {
    match log.segments.get(&pos.segment) {
        Some(&len)
            if pos.offset >= super::format::HEADER_LEN
                && pos.offset <= len
                && pos.seq >= pos.segment
                && pos.seq <= log.next_seq =>
        {
            Ok(pos)
        }
        None if pos.segment < oldest => {
            tracing::warn!(
                consumer = name,
                cursor = pos.seq,
                oldest,
                "queue consumer was behind deleted segments (it was not configured while \
                 others drained the log); it resumes at the oldest record left"
            );
            Ok(Position::start_of(oldest))
        }
        _ => Err(QueueError::Corrupt {
            path: cursor::cursor_path(dir, name),
            offset: 0,
        }),
    }
}

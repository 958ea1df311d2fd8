//! Readers: one consumer's view of the log, and the batches they hand out.

use super::cursor::{self, Position};
use super::error::QueueError;
use super::format::{decode_record, Decoded};
use super::segment::{read_at, segment_path};
use super::state::{Shared, View};
use bytes::Bytes;
use std::fmt;
use std::fs::File;
use std::io;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Bytes read from a segment at a time (a single larger record is read whole).
const READ_CHUNK: u64 = 1 << 20;
/// Bytes read ahead per record wanted, so small batches do not read a whole chunk.
const READ_PER_RECORD: u64 = 2 << 10;

/// Records read for one consumer, to be handed back to [`QueueReader::commit`] once they
/// are dealt with.
pub struct Batch {
    /// The record payloads, in append order.
    pub records: Vec<Bytes>,
    /// Position just past the last record; `None` for an empty batch.
    end: Option<Position>,
    /// Index of the consumer whose reader read it.
    consumer: usize,
}

impl Batch {
    /// Number of records.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether the batch has no records (the wait timed out).
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }
}

impl fmt::Debug for Batch {
    /// Never shows payloads.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Batch")
            .field("records", &self.records.len())
            .field("end_seq", &self.end.map(|p| p.seq))
            .finish()
    }
}

/// One consumer's reader: reads records past its position, in append order, and commits
/// them durably. Reading advances the reader's own position only; the committed cursor
/// moves on [`QueueReader::commit`], and a new reader (or a restart) starts from it, so
/// records read but not committed are delivered again (at-least-once).
///
/// Keep one reader per consumer at a time. [`QueueReader::next_batch`] and
/// [`QueueReader::commit`] are cancel-safe: dropping their futures loses no position.
pub struct QueueReader {
    shared: Arc<Shared>,
    consumer: usize,
    /// Just past the last record handed out.
    position: Position,
    /// Just past the last record committed.
    committed: Position,
    /// The open segment, kept between batches.
    file: Option<(u64, File)>,
    appended: watch::Receiver<u64>,
}

impl fmt::Debug for QueueReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QueueReader")
            .field("consumer", &self.consumer())
            .field("position", &self.position.seq)
            .field("committed", &self.committed.seq)
            .finish()
    }
}

impl QueueReader {
    /// A reader for consumer number `consumer`, at its committed cursor.
    pub(crate) fn new(shared: Arc<Shared>, consumer: usize) -> Self {
        let committed = shared.lock().committed[&shared.consumers[consumer]];
        let appended = shared.appended.subscribe();
        QueueReader {
            shared,
            consumer,
            position: committed,
            committed,
            file: None,
            appended,
        }
    }

    /// The consumer this reader reads for.
    pub fn consumer(&self) -> &str {
        &self.shared.consumers[self.consumer]
    }

    /// Waits up to `wait` for at least one record past the reader's position, then returns
    /// up to `max` (at least 1) records without waiting for more. The batch is empty if none
    /// came in time. Does not move the committed cursor. Woken by appends, not by polling.
    ///
    /// # Errors
    /// [`QueueError::Io`] if a segment cannot be read; [`QueueError::Corrupt`] if a record
    /// fails its CRC (records before it are returned first, in their own batch).
    pub async fn next_batch(&mut self, max: usize, wait: Duration) -> Result<Batch, QueueError> {
        let deadline = tokio::time::Instant::now() + wait;
        let max = max.max(1);
        loop {
            let durable = *self.appended.borrow_and_update();
            if durable > self.position.seq {
                let (records, position) = self.read(max).await?;
                self.position = position;
                if !records.is_empty() {
                    return Ok(Batch {
                        records,
                        end: Some(position),
                        consumer: self.consumer,
                    });
                }
            }
            match tokio::time::timeout_at(deadline, self.appended.changed()).await {
                Ok(Ok(())) => continue,
                Ok(Err(_)) | Err(_) => {
                    return Ok(Batch {
                        records: Vec::new(),
                        end: None,
                        consumer: self.consumer,
                    })
                }
            }
        }
    }

    /// Durably records that everything up to and including `batch` is done for this
    /// consumer (cursor file replaced atomically), then deletes the segments every
    /// consumer has passed, freeing space under the cap. Committing an empty batch, or one
    /// at or before the committed cursor, does nothing.
    ///
    /// # Errors
    /// [`QueueError::ForeignBatch`] if another consumer's reader read `batch`;
    /// [`QueueError::Io`] if the cursor cannot be written (the old cursor stays; retry).
    /// Failing to delete a segment is logged and retried at the next commit, not returned.
    pub async fn commit(&mut self, batch: &Batch) -> Result<(), QueueError> {
        if batch.consumer != self.consumer {
            return Err(QueueError::ForeignBatch);
        }
        let Some(end) = batch.end else {
            return Ok(());
        };
        if end.seq <= self.committed.seq {
            return Ok(());
        }
        let shared = self.shared.clone();
        let consumer = self.consumer;
        run_blocking(&self.shared, move || {
            let name = &shared.consumers[consumer];
            cursor::store(&shared.dir, name, end)?;
            {
                let mut st = shared.lock();
                let committed = st.committed.entry(name.clone()).or_insert(end);
                if end.seq > committed.seq {
                    *committed = end;
                }
            }
            shared.collect_garbage_logged();
            Ok(())
        })
        .await?;
        self.committed = end;
        if self.position.seq < end.seq {
            self.position = end;
            self.file = None;
        }
        Ok(())
    }

    /// Moves the reader back to its committed cursor, so records read but not committed
    /// are read again.
    pub fn rewind(&mut self) {
        self.position = self.committed;
        self.file = None;
    }

    /// Reads up to `max` records from the position on a blocking thread. The position is
    /// only updated by the caller, once the read completes, so cancelling loses nothing.
    async fn read(&mut self, max: usize) -> Result<(Vec<Bytes>, Position), QueueError> {
        let shared = self.shared.clone();
        let mut file = self.file.take();
        let position = self.position;
        let (result, file) = run_blocking(&self.shared, move || {
            let result = read_batch(&shared, &mut file, position, max);
            Ok((result, file))
        })
        .await?;
        self.file = file;
        result
    }
}

/// Runs `f` on tokio's blocking pool.
async fn run_blocking<T: Send + 'static>(
    shared: &Shared,
    f: impl FnOnce() -> Result<T, QueueError> + Send + 'static,
) -> Result<T, QueueError> {
    match tokio::task::spawn_blocking(f).await {
        Ok(result) => result,
        Err(e) => Err(QueueError::io(
            &shared.dir,
            io::Error::other(format!("queue task failed: {e}")),
        )),
    }
}

/// Reads up to `max` records from `pos` on, crossing into later segments as needed, and
/// stopping at the durable end. Returns the records and the position past them.
fn read_batch(
    shared: &Shared,
    cache: &mut Option<(u64, File)>,
    mut pos: Position,
    max: usize,
) -> Result<(Vec<Bytes>, Position), QueueError> {
    let mut records = Vec::new();
    while records.len() < max {
        let end = match shared.view(&pos) {
            View::Readable { end } => end,
            View::Next(next) => {
                pos = Position::start_of(next);
                continue;
            }
            View::Gone(oldest) => {
                tracing::warn!(
                    segment = pos.segment,
                    oldest,
                    "queue reader was behind deleted segments; skipping to the oldest left"
                );
                pos = Position::start_of(oldest);
                continue;
            }
            View::Missing => {
                return Err(QueueError::Corrupt {
                    path: segment_path(&shared.dir, pos.segment),
                    offset: pos.offset,
                })
            }
        };
        if pos.offset >= end {
            break;
        }
        let path = segment_path(&shared.dir, pos.segment);
        let file = match cache {
            Some((base, file)) if *base == pos.segment => file,
            _ => {
                let file = File::open(&path).map_err(|e| QueueError::io(&path, e))?;
                &mut cache.insert((pos.segment, file)).1
            }
        };
        let limit = max - records.len();
        let read = read_segment(file, &path, &mut pos, end, limit, &mut records);
        match read {
            Ok(()) => {}
            Err(e) if !records.is_empty() => {
                tracing::debug!(error = %e, "stopping a batch before a bad record");
                break;
            }
            Err(e) => return Err(e),
        }
    }
    Ok((records, pos))
}

/// Reads up to `limit` records of one segment from `pos` (advanced past each) until `end`.
fn read_segment(
    file: &mut File,
    path: &std::path::Path,
    pos: &mut Position,
    end: u64,
    limit: usize,
    out: &mut Vec<Bytes>,
) -> Result<(), QueueError> {
    let available = end - pos.offset;
    let want = available
        .min(READ_CHUNK)
        .min((limit as u64).saturating_mul(READ_PER_RECORD).max(64 << 10));
    let mut chunk = read_at(file, path, pos.offset, want as usize)?;
    let mut at = 0;
    let mut taken = 0;
    while taken < limit && at < chunk.len() {
        match decode_record(&chunk[at..]) {
            Decoded::Record { payload, len } => {
                out.push(chunk.slice(at + payload.start..at + payload.end));
                at += len;
                taken += 1;
                pos.offset += len as u64;
                pos.seq += 1;
            }
            Decoded::Incomplete { needed } if taken == 0 && (needed as u64) <= available => {
                // One record bigger than the chunk: read it whole.
                chunk = read_at(file, path, pos.offset, needed)?;
                at = 0;
                if matches!(decode_record(&chunk), Decoded::Incomplete { .. }) {
                    return Err(QueueError::Corrupt {
                        path: path.to_path_buf(),
                        offset: pos.offset,
                    });
                }
            }
            Decoded::Incomplete { .. } if taken > 0 => break,
            Decoded::Incomplete { .. } | Decoded::Bad => {
                return Err(QueueError::Corrupt {
                    path: path.to_path_buf(),
                    offset: pos.offset,
                })
            }
        }
    }
    debug_assert!(pos.offset <= end);
    Ok(())
}

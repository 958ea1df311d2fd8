//! The writer thread: group commit.
//!
//! One OS thread owns the active segment. It takes every append request waiting in its
//! channel (up to [`MAX_GROUP_BYTES`]), checks each against the disk cap, frames all
//! accepted records into one buffer, writes it with one `write_all`, makes it durable with
//! one `sync_data`, publishes the new durable end to readers, and only then answers every
//! appender of the group. While it syncs, new requests queue up and form the next group, so
//! concurrent appenders share fsyncs and throughput grows with concurrency.

use super::error::QueueError;
use super::format::{encode_record, framed_len, FRAME_LEN, HEADER_LEN, MAX_RECORD_BYTES};
use super::segment::{self, segment_path};
use super::state::Shared;
use bytes::Bytes;
use std::fs::File;
use std::io::Write;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// Most payload bytes taken into one group.
const MAX_GROUP_BYTES: usize = 16 << 20;
/// Most requests taken into one group.
const MAX_GROUP_REQUESTS: usize = 4096;
/// Capacity of the request channel; appenders wait beyond it.
pub(crate) const CHANNEL_CAPACITY: usize = 4096;

/// A message to the writer thread.
pub(crate) enum Request {
    /// Append `records`; answer once they are durable.
    Append {
        /// The payloads.
        records: Vec<Bytes>,
        /// Where the outcome goes.
        ack: oneshot::Sender<Result<(), QueueError>>,
    },
    /// Stop after the requests before this one; answer when stopped.
    Close {
        /// Answered once everything before is durable.
        ack: oneshot::Sender<()>,
    },
}

type Ack = oneshot::Sender<Result<(), QueueError>>;

/// The writer thread's state.
pub(crate) struct Writer {
    shared: Arc<Shared>,
    file: File,
    active: u64,
    /// Bytes of the active segment written and synced.
    synced_len: u64,
    /// Sequence number of the next record to frame (including the buffered ones).
    next_seq: u64,
    buf: Vec<u8>,
    /// The first write or sync failure; after it every append fails (see module docs of
    /// `queue`).
    failed: Option<QueueError>,
}

impl Writer {
    /// A writer appending to `file`, the active segment `active` of `synced_len` bytes.
    pub(crate) fn new(
        shared: Arc<Shared>,
        file: File,
        active: u64,
        synced_len: u64,
        next_seq: u64,
    ) -> Self {
        Writer {
            shared,
            file,
            active,
            synced_len,
            next_seq,
            buf: Vec::new(),
            failed: None,
        }
    }

    /// Serves requests until a `Close` arrives or every sender is gone.
    pub(crate) fn run(mut self, mut rx: mpsc::Receiver<Request>) {
        let mut group: Vec<(Vec<Bytes>, Ack)> = Vec::new();
        while let Some(first) = rx.blocking_recv() {
            let mut close = None;
            let mut bytes = 0;
            let mut next = Some(first);
            while let Some(request) = next.take() {
                match request {
                    Request::Append { records, ack } => {
                        bytes += records.iter().map(Bytes::len).sum::<usize>();
                        group.push((records, ack));
                    }
                    Request::Close { ack } => {
                        close = Some(ack);
                        break;
                    }
                }
                if bytes < MAX_GROUP_BYTES && group.len() < MAX_GROUP_REQUESTS {
                    next = rx.try_recv().ok();
                }
            }
            if !group.is_empty() {
                self.commit_group(&mut group);
            }
            if let Some(ack) = close {
                let _ = ack.send(());
                break;
            }
        }
        // Dropping `rx` answers requests still queued with `Closed` (their acks drop).
    }

    /// Writes, syncs and answers one group.
    fn commit_group(&mut self, group: &mut Vec<(Vec<Bytes>, Ack)>) {
        let mut accepted = Vec::with_capacity(group.len());
        let mut requests = group.drain(..);
        let mut outcome = Ok(());
        for (records, ack) in requests.by_ref() {
            if let Some(failed) = &self.failed {
                let _ = ack.send(Err(failed.duplicate()));
                continue;
            }
            if let Some(big) = records.iter().find(|r| r.len() > MAX_RECORD_BYTES) {
                let _ = ack.send(Err(QueueError::RecordTooLarge {
                    len: big.len(),
                    max: MAX_RECORD_BYTES,
                }));
                continue;
            }
            let need = self.space_needed(&records);
            {
                let mut st = self.shared.lock();
                if st.bytes_on_disk.saturating_add(need) > self.shared.max_bytes {
                    drop(st);
                    let _ = ack.send(Err(QueueError::Full));
                    continue;
                }
                st.bytes_on_disk += need;
            }
            accepted.push(ack);
            if let Err(e) = records.iter().try_for_each(|r| self.push(r)) {
                outcome = Err(e);
                break;
            }
        }
        if outcome.is_ok() && !self.buf.is_empty() {
            outcome = self.flush_and_sync().map(|()| self.publish());
        }
        if let Err(error) = outcome {
            tracing::error!(%error, "queue write failed; refusing appends until restart");
            for (_, ack) in requests {
                let _ = ack.send(Err(error.duplicate()));
            }
            for ack in accepted.drain(..) {
                let _ = ack.send(Err(error.duplicate()));
            }
            self.failed = Some(error);
        }
        for ack in accepted {
            let _ = ack.send(Ok(()));
        }
        if self.buf.capacity() > MAX_GROUP_BYTES * 2 {
            self.buf = Vec::new();
        }
    }

    /// Length of the active segment once the buffer is written.
    fn pending_len(&self) -> u64 {
        self.synced_len + self.buf.len() as u64
    }

    /// Whether a frame of `framed` bytes starts a new segment.
    fn needs_roll(&self, len: u64, framed: u64) -> bool {
        len > HEADER_LEN && len + framed > self.shared.segment_bytes
    }

    /// Disk bytes `records` would add: frames, plus headers of segments they would start.
    /// Mirrors [`Writer::push`].
    fn space_needed(&self, records: &[Bytes]) -> u64 {
        let mut len = self.pending_len();
        let mut need = 0;
        for r in records {
            let framed = framed_len(r);
            if self.needs_roll(len, framed) {
                need += HEADER_LEN;
                len = HEADER_LEN;
            }
            need += framed;
            len += framed;
        }
        need
    }

    /// Frames one record into the buffer, rolling to a new segment first if it would
    /// overflow the active one.
    fn push(&mut self, record: &Bytes) -> Result<(), QueueError> {
        if self.needs_roll(self.pending_len(), FRAME_LEN + record.len() as u64) {
            self.roll()?;
        }
        encode_record(&mut self.buf, record);
        self.next_seq += 1;
        Ok(())
    }

    /// Writes the buffer and syncs the active segment.
    fn flush_and_sync(&mut self) -> Result<(), QueueError> {
        let path = || segment_path(&self.shared.dir, self.active);
        self.file
            .write_all(&self.buf)
            .and_then(|()| self.file.sync_data())
            .map_err(|e| QueueError::io(path(), e))?;
        self.synced_len += self.buf.len() as u64;
        self.buf.clear();
        Ok(())
    }

    /// Publishes the durable end of the active segment and wakes readers.
    fn publish(&self) {
        {
            let mut st = self.shared.lock();
            st.segments.insert(self.active, self.synced_len);
            st.next_seq = self.next_seq;
        }
        self.shared.appended.send_replace(self.next_seq);
    }

    /// Seals the active segment (written and synced first) and starts the next, named after
    /// the next record's sequence number. Then frees segments every consumer has passed:
    /// consumers at the end of the sealed one have now passed it.
    fn roll(&mut self) -> Result<(), QueueError> {
        self.flush_and_sync()?;
        let sealed = self.active;
        let base = self.next_seq;
        let file = segment::create(&self.shared.dir, base)?;
        {
            let mut st = self.shared.lock();
            st.segments.insert(sealed, self.synced_len);
            st.segments.insert(base, HEADER_LEN);
            st.active = base;
            st.next_seq = self.next_seq;
        }
        self.shared.appended.send_replace(self.next_seq);
        self.file = file;
        self.active = base;
        self.synced_len = HEADER_LEN;
        self.shared.collect_garbage_logged();
        Ok(())
    }
}

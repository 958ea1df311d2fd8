//! The writer thread: group commit.
//!
//! One OS thread owns the active segment. It takes every append request waiting in its
//! channel (up to [`MAX_GROUP_BYTES`]), checks each against the disk cap, frames all
//! accepted records into one buffer, writes it with one `write_all`, makes it durable with
//! one `sync_data`, publishes the new durable end to readers, and only then answers every
//! appender of the group. While it syncs, new requests queue up and form the next group, so
//! concurrent appenders share fsyncs and throughput grows with concurrency.
//!
//! A failed write, sync or segment roll answers the requests not yet durable with
//! `Unavailable`, cuts their bytes off the file and marks the queue broken; it then heals
//! by itself (see [`Writer::heal`]) as soon as the disk takes writes again.

use super::error::QueueError;
use super::format::{
    encode_record, framed_len, parse_segment_file_name, HEADER_LEN, MAX_RECORD_BYTES,
};
use super::segment::{self, segment_path};
use super::state::Shared;
use bytes::Bytes;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// The file a heal writes to test the disk (removed right after; `open` removes a stray
/// one).
pub(crate) const PROBE_FILE: &str = ".probe";

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
        /// Whose share of the cap they count against, if anyone's.
        owner: Option<Arc<str>>,
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

/// An append waiting in a group: its records, its owner, where its answer goes.
type Waiting = (Vec<Bytes>, Option<Arc<str>>, Ack);

/// How often a broken writer tries to heal while no append asks it to.
const HEAL_INTERVAL: Duration = Duration::from_millis(250);
/// Size of the probe file a heal writes and syncs: room for a small batch.
const PROBE_BYTES: usize = 64 << 10;

/// A request framed into the buffer but not yet durable: answered after the next sync.
struct Pending {
    ack: Ack,
    /// The space reserved for it, and where its records went.
    reserved: u64,
    owner: Option<Arc<str>>,
    segment: u64,
    /// Its roll made a new segment: the header stays on disk (and counted) even if the
    /// request then fails.
    rolled: bool,
}

/// The writer thread's state.
pub(crate) struct Writer {
    shared: Arc<Shared>,
    file: File,
    active: u64,
    /// Bytes of the active segment written and synced.
    synced_len: u64,
    /// Sequence number of the next record to frame (including the buffered ones).
    next_seq: u64,
    /// Sequence number after the last synced record.
    synced_seq: u64,
    buf: Vec<u8>,
    /// Why appends are refused: a write or sync failed and the queue has not healed yet.
    broken: Option<String>,
    /// When the last heal was tried (heals are spaced by [`HEAL_INTERVAL`]).
    last_heal: Option<Instant>,
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
            synced_seq: next_seq,
            buf: Vec::new(),
            broken: None,
            last_heal: None,
        }
    }

    /// Serves requests until a `Close` arrives or every sender is gone. While broken,
    /// it wakes every [`HEAL_INTERVAL`] to try to heal, so readiness recovers without
    /// traffic.
    pub(crate) fn run(mut self, mut rx: mpsc::Receiver<Request>) {
        let mut group: Vec<Waiting> = Vec::new();
        loop {
            let first = if self.broken.is_some() {
                match rx.try_recv() {
                    Ok(request) => request,
                    Err(mpsc::error::TryRecvError::Empty) => {
                        std::thread::sleep(HEAL_INTERVAL);
                        self.heal();
                        continue;
                    }
                    Err(mpsc::error::TryRecvError::Disconnected) => break,
                }
            } else {
                match rx.blocking_recv() {
                    Some(request) => request,
                    None => break,
                }
            };
            let mut close = None;
            let mut bytes = 0;
            let mut next = Some(first);
            while let Some(request) = next.take() {
                match request {
                    Request::Append {
                        records,
                        owner,
                        ack,
                    } => {
                        bytes += records.iter().map(Bytes::len).sum::<usize>();
                        group.push((records, owner, ack));
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

    /// Writes, syncs and answers one group. Each request is durable whole or not at all:
    /// a request never spans segments, and one that is answered with an error has none
    /// of its records readable, now or after a restart.
    fn commit_group(&mut self, group: &mut Vec<Waiting>) {
        let mut pending: Vec<Pending> = Vec::with_capacity(group.len());
        for (records, owner, ack) in group.drain(..) {
            if self.broken.is_some() && !self.heal() {
                let _ = ack.send(Err(self.unavailable()));
                continue;
            }
            if let Some(big) = records.iter().find(|r| r.len() > MAX_RECORD_BYTES) {
                let _ = ack.send(Err(QueueError::RecordTooLarge {
                    len: big.len(),
                    max: MAX_RECORD_BYTES,
                }));
                continue;
            }
            let framed: u64 = records.iter().map(|r| framed_len(r)).sum();
            let rolls = self.needs_roll(self.pending_len(), framed);
            let reserved = framed + if rolls { HEADER_LEN } else { 0 };
            // A rolled request lands in the segment named after its first record.
            let segment = if rolls { self.next_seq } else { self.active };
            if let Err(e) = self.reserve(reserved, owner.as_ref(), segment) {
                let _ = ack.send(Err(e));
                continue;
            }
            let mut request = Pending {
                ack,
                reserved,
                owner,
                segment,
                rolled: false,
            };
            if rolls {
                // Make what is framed durable and answer it, then start a new segment.
                let rolled = self
                    .sync_and_answer(&mut pending)
                    .and_then(|()| self.roll());
                if let Err(e) = rolled {
                    pending.push(request);
                    self.fail(&e, &mut pending);
                    continue;
                }
                request.rolled = true;
            }
            for r in &records {
                encode_record(&mut self.buf, r);
            }
            self.next_seq += records.len() as u64;
            pending.push(request);
        }
        if let Err(e) = self.sync_and_answer(&mut pending) {
            self.fail(&e, &mut pending);
        }
        if self.buf.capacity() > MAX_GROUP_BYTES * 2 {
            self.buf = Vec::new();
        }
    }

    /// Reserves `bytes` of the cap (and of `owner`'s share) in `segment`.
    fn reserve(
        &self,
        bytes: u64,
        owner: Option<&Arc<str>>,
        segment: u64,
    ) -> Result<(), QueueError> {
        let mut st = self.shared.lock();
        if st.bytes_on_disk.saturating_add(bytes) > self.shared.max_bytes {
            return Err(QueueError::Full);
        }
        if let Some(owner) = owner {
            let held = st.owner_bytes.get(owner).copied().unwrap_or(0);
            if let Some(share) = self.shared.max_owner_bytes {
                if held.saturating_add(bytes) > share {
                    return Err(QueueError::ShareFull);
                }
            }
            st.charge(owner, segment, bytes);
        }
        st.bytes_on_disk += bytes;
        Ok(())
    }

    /// Writes and syncs the buffer, publishes it, and answers its requests `Ok`.
    fn sync_and_answer(&mut self, pending: &mut Vec<Pending>) -> Result<(), QueueError> {
        if !self.buf.is_empty() {
            self.flush_and_sync()?;
            self.publish();
        }
        for p in pending.drain(..) {
            let _ = p.ack.send(Ok(()));
        }
        Ok(())
    }

    /// After a failed write, sync or roll: forgets the records not yet durable, cuts them
    /// off the file, gives their space back, answers their requests with the error, and
    /// refuses appends until [`Writer::heal`] succeeds.
    fn fail(&mut self, error: &QueueError, pending: &mut Vec<Pending>) {
        let reason = error.to_string();
        tracing::error!(
            %error,
            "queue write failed; answering 503 until a write succeeds again"
        );
        self.buf.clear();
        self.next_seq = self.synced_seq;
        // Cut what was not synced, durably, before anyone is told it failed: frames that
        // reached the disk must not come back at the next open. If this fails too, the
        // heal repeats it on a fresh descriptor before appends resume.
        let _ = self
            .file
            .set_len(self.synced_len)
            .and_then(|()| self.file.sync_all());
        {
            let mut st = self.shared.lock();
            for p in pending.iter() {
                // A new segment's header stays on disk, and so in the count.
                let refund = p.reserved - if p.rolled { HEADER_LEN } else { 0 };
                st.bytes_on_disk = st.bytes_on_disk.saturating_sub(refund);
                if let Some(owner) = &p.owner {
                    st.refund(owner, p.segment, refund);
                }
            }
        }
        let answer = QueueError::Unavailable {
            reason: reason.clone(),
        };
        // Readiness says so before any appender hears of it.
        self.shared.set_broken(Some(answer.to_string()));
        self.broken = Some(reason);
        self.last_heal = Some(Instant::now());
        for p in pending.drain(..) {
            let _ = p.ack.send(Err(answer.duplicate()));
        }
    }

    /// The error for requests refused while broken.
    fn unavailable(&self) -> QueueError {
        QueueError::Unavailable {
            reason: self.broken.clone().unwrap_or_default(),
        }
    }

    /// Tries to make the queue writable again after a failure (at most once per
    /// [`HEAL_INTERVAL`]): reopens the active segment, cuts it back to its last synced
    /// length, removes a segment a failed roll left half-made, and writes and syncs a
    /// probe file to see that there is space and a descriptor again. Returns whether
    /// appends work again.
    fn heal(&mut self) -> bool {
        if self.broken.is_none() {
            return true;
        }
        if self.last_heal.is_some_and(|t| t.elapsed() < HEAL_INTERVAL) {
            return false;
        }
        self.last_heal = Some(Instant::now());
        match self.try_heal() {
            Ok(()) => {
                tracing::info!("queue writes work again; taking appends");
                self.broken = None;
                self.shared.set_broken(None);
                true
            }
            Err(e) => {
                let reason = e.to_string();
                tracing::debug!(%reason, "queue still cannot write");
                self.shared.set_broken(Some(
                    QueueError::Unavailable {
                        reason: reason.clone(),
                    }
                    .to_string(),
                ));
                self.broken = Some(reason);
                false
            }
        }
    }

    fn try_heal(&mut self) -> Result<(), QueueError> {
        let dir = &self.shared.dir;
        let path = segment_path(dir, self.active);
        let file = OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(|e| QueueError::io(&path, e))?;
        file.set_len(self.synced_len)
            .and_then(|()| file.sync_all())
            .map_err(|e| QueueError::io(&path, e))?;
        self.file = file;
        // A segment after the active one can only be one a failed roll began.
        for entry in std::fs::read_dir(dir).map_err(|e| QueueError::io(dir, e))? {
            let entry = entry.map_err(|e| QueueError::io(dir, e))?;
            let name = entry.file_name();
            if let Some(base) = name.to_str().and_then(parse_segment_file_name) {
                if base > self.active {
                    std::fs::remove_file(entry.path())
                        .map_err(|e| QueueError::io(entry.path(), e))?;
                }
            }
        }
        let probe = dir.join(PROBE_FILE);
        let written = File::create(&probe).and_then(|mut f| {
            f.write_all(&[0; PROBE_BYTES])?;
            f.sync_all()
        });
        let _ = std::fs::remove_file(&probe);
        written.map_err(|e| QueueError::io(&probe, e))?;
        segment::sync_dir(dir)
    }

    /// Length of the active segment once the buffer is written.
    fn pending_len(&self) -> u64 {
        self.synced_len + self.buf.len() as u64
    }

    /// Whether a frame of `framed` bytes starts a new segment.
    fn needs_roll(&self, len: u64, framed: u64) -> bool {
        len > HEADER_LEN && len + framed > self.shared.segment_bytes
    }

    /// Writes the buffer and syncs the active segment.
    fn flush_and_sync(&mut self) -> Result<(), QueueError> {
        let path = || segment_path(&self.shared.dir, self.active);
        self.file
            .write_all(&self.buf)
            .and_then(|()| self.file.sync_data())
            .map_err(|e| QueueError::io(path(), e))?;
        self.synced_len += self.buf.len() as u64;
        self.synced_seq = self.next_seq;
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

    /// Seals the active segment (its buffer already written and synced) and starts the
    /// next, named after the next record's sequence number. Then frees segments every
    /// consumer has passed: consumers at the end of the sealed one have now passed it.
    fn roll(&mut self) -> Result<(), QueueError> {
        debug_assert!(self.buf.is_empty(), "roll after sync");
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

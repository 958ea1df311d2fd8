//! State shared by the queue handle, its writer thread and its readers.

use super::cursor::Position;
use super::error::QueueError;
use super::segment::segment_path;
use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::watch;

/// What every part of one open queue shares.
#[derive(Debug)]
pub(crate) struct Shared {
    /// The queue directory.
    pub dir: PathBuf,
    /// Disk cap in bytes.
    pub max_bytes: u64,
    /// Cap per producer of `Queue::append_as`, if any.
    pub max_owner_bytes: Option<u64>,
    /// Effective segment size.
    pub segment_bytes: u64,
    /// The consumers given to `open`, deduplicated, in order.
    pub consumers: Vec<String>,
    /// Segments, durable end, space used, committed cursors.
    state: Mutex<State>,
    /// The durable record count (`State::next_seq`), sent after every group commit so
    /// waiting readers wake.
    pub appended: watch::Sender<u64>,
    /// Why appends are being refused (a failed write not yet healed), if they are.
    pub broken: Mutex<Option<String>>,
}

/// The mutable part of [`Shared`].
#[derive(Debug)]
pub(crate) struct State {
    /// Every segment on disk, base → length. For the active segment the length is its
    /// durable (synced and published) end; bytes past it are not yet readable.
    pub segments: BTreeMap<u64, u64>,
    /// Base of the segment being appended to.
    pub active: u64,
    /// Durable records since the log began; the next record's sequence number.
    pub next_seq: u64,
    /// Bytes of all segment files, including space reserved by the writer for a group
    /// being written.
    pub bytes_on_disk: u64,
    /// Committed position of each consumer given to `open`.
    pub committed: BTreeMap<String, Position>,
    /// Bytes each producer of `Queue::append_as` holds, per segment (reserved with the
    /// space, freed with the segment). Segments recovered at open belong to nobody.
    pub owners: BTreeMap<u64, HashMap<Arc<str>, u64>>,
    /// The sum of `owners` per producer.
    pub owner_bytes: HashMap<Arc<str>, u64>,
}

impl State {
    /// Charges `bytes` in segment `segment` to `owner`.
    pub(crate) fn charge(&mut self, owner: &Arc<str>, segment: u64, bytes: u64) {
        *self
            .owners
            .entry(segment)
            .or_default()
            .entry(owner.clone())
            .or_default() += bytes;
        *self.owner_bytes.entry(owner.clone()).or_default() += bytes;
    }

    /// Takes back a charge of [`State::charge`] (an append that was not written).
    pub(crate) fn refund(&mut self, owner: &Arc<str>, segment: u64, bytes: u64) {
        if let Some(held) = self.owners.get_mut(&segment).and_then(|o| o.get_mut(owner)) {
            *held = held.saturating_sub(bytes);
        }
        if let Some(total) = self.owner_bytes.get_mut(owner) {
            *total = total.saturating_sub(bytes);
        }
    }

    /// Frees every charge in a deleted segment.
    fn free_segment(&mut self, segment: u64) {
        for (owner, bytes) in self.owners.remove(&segment).unwrap_or_default() {
            if let Some(total) = self.owner_bytes.get_mut(&owner) {
                *total = total.saturating_sub(bytes);
                if *total == 0 {
                    self.owner_bytes.remove(&owner);
                }
            }
        }
    }
}

/// Where a reader at some position stands.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum View {
    /// Records may be read up to byte `end` of the position's segment.
    Readable {
        /// Readable end (the segment's length, or the durable end of the active one).
        end: u64,
    },
    /// The position is at the end of a sealed segment; continue at the start of `next`.
    Next(u64),
    /// The position's segment was deleted (a reader behind its committed cursor, or a
    /// consumer that was not given to `open` while others drained the log); `oldest` is
    /// the oldest segment left.
    Gone(u64),
    /// The position names no segment that exists or existed.
    Missing,
}

impl Shared {
    /// Builds the shared state.
    pub(crate) fn new(
        dir: PathBuf,
        max_bytes: u64,
        max_owner_bytes: Option<u64>,
        segment_bytes: u64,
        consumers: Vec<String>,
        state: State,
    ) -> Self {
        let (appended, _) = watch::channel(state.next_seq);
        Shared {
            dir,
            max_bytes,
            max_owner_bytes,
            segment_bytes,
            consumers,
            state: Mutex::new(state),
            appended,
            broken: Mutex::new(None),
        }
    }

    /// Records why appends are refused (`Some`), or that they work again (`None`).
    pub(crate) fn set_broken(&self, reason: Option<String>) {
        *self.broken.lock().unwrap_or_else(|e| e.into_inner()) = reason;
    }

    /// Why appends are refused right now, if they are.
    pub(crate) fn broken(&self) -> Option<String> {
        self.broken
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Locks the state. A panic while holding the lock leaves the state consistent (every
    /// critical section is a few assignments), so poisoning is ignored.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Where a reader at `pos` stands.
    pub(crate) fn view(&self, pos: &Position) -> View {
        let st = self.lock();
        match st.segments.get(&pos.segment) {
            Some(&len) if pos.segment == st.active || pos.offset < len => {
                View::Readable { end: len }
            }
            Some(&len) => match st.segments.range(pos.segment + 1..).next() {
                Some((&next, _)) => View::Next(next),
                None => View::Readable { end: len },
            },
            None => match st.segments.keys().next() {
                Some(&oldest) if pos.segment < oldest => View::Gone(oldest),
                _ => View::Missing,
            },
        }
    }

    /// Deletes the sealed segments every consumer has committed past, oldest first, and
    /// takes their bytes off `bytes_on_disk`. Returns the bytes freed.
    ///
    /// # Errors
    /// [`QueueError::Io`] if a file cannot be removed; segments before it are freed.
    pub(crate) fn collect_garbage(&self) -> Result<u64, QueueError> {
        let mut st = self.lock();
        let mut freed = 0;
        while let Some((&base, &len)) = st.segments.iter().next() {
            let passed = |p: &Position| p.segment > base || (p.segment == base && p.offset >= len);
            if base == st.active || !st.committed.values().all(passed) {
                break;
            }
            let path = segment_path(&self.dir, base);
            match fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(QueueError::io(path, e)),
            }
            tracing::debug!(
                segment = base,
                bytes = len,
                "deleted a drained queue segment"
            );
            st.segments.remove(&base);
            st.free_segment(base);
            st.bytes_on_disk = st.bytes_on_disk.saturating_sub(len);
            freed += len;
        }
        Ok(freed)
    }

    /// [`Shared::collect_garbage`], logging a failure instead of returning it: the space
    /// stays used and the next commit or rollover tries again.
    pub(crate) fn collect_garbage_logged(&self) {
        if let Err(error) = self.collect_garbage() {
            tracing::warn!(%error, "could not delete a drained queue segment; will retry");
        }
    }
}

//! The durable queue between ingest and the sinks: an append-only segment log of our own,
//! with group commit and one cursor per consumer (sink).
//!
//! # Why a segment log of our own
//!
//! The access pattern is the simplest a store can have: append at the tail, read forward
//! from a few cursors, drop from the head. An embedded key-value store (redb, sled,
//! RocksDB) would add a B-tree or LSM, its own write amplification and compaction, a large
//! dependency (or an unmaintained one), and a commit path we cannot batch across HTTP
//! requests the way we need. A log is a few hundred lines whose crash behaviour can be read
//! in one sitting: length+CRC framing, fsync before acknowledging, atomic cursor files.
//!
//! # On disk (`dir`)
//!
//! - `{seq:020}.log` — segments, named after the sequence number of their first record:
//!   a 16-byte header (`HUSHLOG1`, that number as u64 LE), then records framed as
//!   `len u32 LE | crc32(len bytes ++ payload) u32 LE | payload`.
//!   A segment is sealed once the next record would take it past the segment size; a
//!   record never spans segments.
//! - `{consumer}.cursor` — JSON `{"version":1,"segment","offset","seq"}`: the position just
//!   past the last record that consumer committed.
//!
//! # Crash guarantees
//!
//! - **Acknowledged means durable.** [`Queue::append`] returns `Ok` only after the records
//!   are written and `fsync`ed (`sync_data`); a new segment is created with its header
//!   synced and the directory synced, and the previous segment is synced before it.
//!   A `kill -9` or power loss after `Ok` loses none of them.
//! - **Torn tails are cut.** A crash mid-write can leave a partial or garbage record at the
//!   end of the last segment. [`Queue::open`] scans the last segment and truncates it after
//!   the last record whose length and CRC check out (never-acknowledged bytes: an
//!   acknowledged record has every byte before it synced). A segment whose header was torn
//!   while being created is re-initialised.
//! - **Cursors are atomic.** A commit writes `{consumer}.cursor.tmp`, fsyncs it, renames it
//!   over the cursor and fsyncs the directory, so a cursor is always the old or the new one.
//! - **At-least-once, in order.** Readers see only durable records, in append order. A
//!   record not committed before a crash is delivered again; a committed record is never
//!   delivered again to that consumer.
//!
//! # Space
//!
//! Segment files count against `max_bytes`. An append that would pass the cap is refused
//! whole with [`QueueError::Full`] (ingest answers 503; PostHog clients retry). A sealed
//! segment is deleted once every consumer has committed past it, so a sink outage backs up
//! on disk, never in memory, and frees space as soon as the sink catches up. Segments are
//! at most a quarter of the cap so that a drained queue frees most of it.
//!
//! # Failure modes
//!
//! - A failed write, fsync or segment roll (disk full, no file descriptors, an I/O
//!   error) fails the appends not yet durable with [`QueueError::Unavailable`] — each
//!   append is durable whole or not at all, so a refused batch left nothing behind — and
//!   cuts their bytes off the segment. After a failed fsync the kernel may have dropped
//!   dirty pages, so nothing written since the last good sync is trusted: those bytes are
//!   cut, never acknowledged. The writer then refuses appends (`Unavailable`) and heals by
//!   itself: every 250 ms, or on the next append, it reopens the active segment, cuts it
//!   back to its last synced length, removes a half-made next segment, and writes and
//!   syncs a probe file; once that works it takes appends again. No restart is needed.
//!   [`Queue::unavailable_reason`] says why it is refusing, for readiness checks.
//! - A record failing its CRC inside a sealed segment (disk corruption) stops that
//!   consumer's reader with [`QueueError::Corrupt`] naming the file and offset; nothing is
//!   skipped silently.
//! - One process, one `Queue` per directory; nothing locks the directory.

mod cursor;
mod error;
mod format;
mod handle;
mod options;
mod reader;
mod scan;
mod segment;
mod state;
mod writer;

#[cfg(test)]
mod fault_tests;
#[cfg(test)]
mod recovery_tests;
#[cfg(test)]
mod tests;

pub use self::error::QueueError;
pub use self::format::MAX_RECORD_BYTES;
pub use self::handle::{Queue, QueueStats};
pub use self::options::QueueOptions;
pub use self::reader::{Batch, QueueReader};
pub use self::scan::for_each_pending_record;

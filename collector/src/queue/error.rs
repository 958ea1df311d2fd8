//! The queue's one error type.

use std::io;
use std::path::PathBuf;

/// Why a queue operation failed. Messages name the file, offset or consumer involved and
/// never include record payloads.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum QueueError {
    /// Appending would take the queue past its disk cap (`QueueOptions::max_bytes`).
    /// Nothing of the rejected call was written; retry once sinks have caught up.
    #[error("the queue is full (its disk cap is reached); retry later")]
    Full,
    /// One producer (`Queue::append_as`) holds its whole share of the cap
    /// (`QueueOptions::max_owner_bytes`); others may still append. Nothing of the
    /// rejected call was written; retry once sinks have caught up.
    #[error("this producer's share of the queue is full; retry later")]
    ShareFull,
    /// Writes to the queue are failing (disk full, out of file descriptors, an I/O
    /// error). Nothing of the rejected call was written. The queue heals by itself: it
    /// retries in the background and takes appends again once a write succeeds.
    #[error("the queue cannot write right now ({reason}); retry later")]
    Unavailable {
        /// The failure, naming the file and the OS error (never a payload).
        reason: String,
    },
    /// Reading, writing, syncing or deleting a queue file failed.
    #[error("queue I/O failed on {path}: {source}")]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// A queue file does not hold what the format says it must (outside the torn tail of
    /// the last segment, which is repaired at open).
    #[error("queue file {path} is corrupt at byte {offset}")]
    Corrupt {
        /// The segment or cursor file.
        path: PathBuf,
        /// Byte offset of the first bad byte (0 for a whole cursor file).
        offset: u64,
    },
    /// `Queue::reader` was asked for a consumer not given to `Queue::open`.
    #[error("unknown queue consumer {0:?}")]
    UnknownConsumer(String),
    /// A consumer name that cannot be a file name.
    #[error("invalid queue consumer name {0:?}: use 1 to 64 ASCII letters, digits, '-' or '_'")]
    InvalidConsumer(String),
    /// One record is over [`MAX_RECORD_BYTES`](super::MAX_RECORD_BYTES); nothing of that
    /// call was written.
    #[error("a record of {len} bytes is over the queue's limit of {max} bytes")]
    RecordTooLarge {
        /// Size of the offending record.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// `QueueReader::commit` was given a batch read by a reader of another consumer.
    #[error("the batch was read for another consumer")]
    ForeignBatch,
    /// The queue was closed (`Queue::close`) or its writer stopped.
    #[error("the queue is closed")]
    Closed,
}

impl QueueError {
    /// An [`QueueError::Io`] for `path`.
    pub(crate) fn io(path: impl Into<PathBuf>, source: io::Error) -> Self {
        QueueError::Io {
            path: path.into(),
            source,
        }
    }

    /// A copy of this error, for answering every appender of a failed group. `io::Error`
    /// is not `Clone`, so an I/O error is rebuilt from its kind and message.
    pub(crate) fn duplicate(&self) -> Self {
        match self {
            QueueError::Full => QueueError::Full,
            QueueError::ShareFull => QueueError::ShareFull,
            QueueError::Unavailable { reason } => QueueError::Unavailable {
                reason: reason.clone(),
            },
            QueueError::Io { path, source } => QueueError::Io {
                path: path.clone(),
                source: io::Error::new(source.kind(), source.to_string()),
            },
            QueueError::Corrupt { path, offset } => QueueError::Corrupt {
                path: path.clone(),
                offset: *offset,
            },
            QueueError::UnknownConsumer(c) => QueueError::UnknownConsumer(c.clone()),
            QueueError::InvalidConsumer(c) => QueueError::InvalidConsumer(c.clone()),
            QueueError::RecordTooLarge { len, max } => QueueError::RecordTooLarge {
                len: *len,
                max: *max,
            },
            QueueError::ForeignBatch => QueueError::ForeignBatch,
            QueueError::Closed => QueueError::Closed,
        }
    }
}

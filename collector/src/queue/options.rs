//! Queue options.

use super::format::{FRAME_LEN, HEADER_LEN};

/// How much disk the queue may use and how it is split into segment files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueOptions {
    /// Cap on the bytes of all segment files together; an append that would pass it is
    /// refused with `QueueError::Full`. Default 1 GiB.
    pub max_bytes: u64,
    /// Target size of one segment file; space is freed a whole segment at a time, once
    /// every consumer has committed past it. Capped at a quarter of `max_bytes` so that a
    /// drained queue can always free most of its cap. Default 64 MiB.
    pub segment_bytes: u64,
    /// Cap on the bytes one producer (`Queue::append_as`, one tenant) may hold in the
    /// queue, so that one busy or abusive producer cannot take the whole cap from the
    /// others: past it, its appends are refused with `QueueError::ShareFull` while others
    /// are accepted. At least two segments (a smaller share could sit whole in the active
    /// segment, which is freed only after a roll). `None` (the default): no share, only
    /// `max_bytes`.
    pub max_owner_bytes: Option<u64>,
}

impl Default for QueueOptions {
    fn default() -> Self {
        QueueOptions {
            max_bytes: 1 << 30,
            segment_bytes: 64 << 20,
            max_owner_bytes: None,
        }
    }
}

impl QueueOptions {
    /// The segment size actually used: `segment_bytes`, at most a quarter of the cap, and
    /// at least room for a header and a small record.
    pub(crate) fn effective_segment_bytes(&self) -> u64 {
        self.segment_bytes
            .min(self.max_bytes / 4)
            .max(HEADER_LEN + FRAME_LEN + 64)
    }
}

//! One request's events through the pipeline: each raw event is parsed, run through
//! policy → scrub → hash, and written as a queue record, one event tree at a time.

use super::{parse_event, EventError, Pipeline, Tenant, Verdict};
use crate::drop_reason::DropReason;
use bytes::Bytes;
use serde_json::value::RawValue;
use serde_json::Value;
use std::collections::BTreeMap;

/// What a stored record adds to the event it came from: tenant, receive time, hashed id.
const RECORD_OVERHEAD: usize = 256;

/// A request's events after the pipeline, ready to queue.
#[derive(Debug, Default)]
pub struct ProcessedBatch {
    /// One queue record (a JSON [`StoredEvent`](crate::stored_event::StoredEvent)) per forwarded
    /// event, in order.
    pub records: Vec<Bytes>,
    /// The uuid of each record, in the same order.
    pub uuids: Vec<uuid::Uuid>,
    /// Events not forwarded, by reason.
    pub dropped: BTreeMap<DropReason, u64>,
    /// Redactions by kind, over every forwarded event.
    pub redactions: BTreeMap<String, u64>,
}

/// Why a batch was refused whole: one of its events is not an event. Nothing of the batch
/// is queued.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    /// `batch[index]` is not valid JSON.
    #[error("batch[{index}]: {detail}")]
    InvalidJson {
        /// The event's position in the batch.
        index: usize,
        /// Where the JSON breaks, without its content.
        detail: String,
    },
    /// `batch[index]` is JSON but not an event.
    #[error("batch[{index}]: {source}")]
    InvalidEvent {
        /// The event's position in the batch.
        index: usize,
        /// What is wrong with it.
        source: EventError,
    },
}

impl Pipeline {
    /// Runs every event of a batch through [`Pipeline::process`] for `tenant`, stamping each
    /// with `received_at`. Only one event is parsed at a time.
    ///
    /// # Errors
    /// [`BatchError`] for the first event that is not valid JSON or not an event.
    pub fn process_batch(
        &self,
        tenant: &Tenant,
        events: &[&RawValue],
        received_at: time::OffsetDateTime,
    ) -> Result<ProcessedBatch, BatchError> {
        let mut out = ProcessedBatch {
            records: Vec::with_capacity(events.len()),
            ..ProcessedBatch::default()
        };
        for (index, raw) in events.iter().enumerate() {
            let value: Value =
                serde_json::from_str(raw.get()).map_err(|e| BatchError::InvalidJson {
                    index,
                    detail: super::describe_json_error(&e),
                })?;
            let (_, event) =
                parse_event(value).map_err(|source| BatchError::InvalidEvent { index, source })?;
            match self.process(tenant, event, received_at, &mut out.redactions) {
                Verdict::Forward(stored) => {
                    // Sized from the raw event (plus the added ids and times), so a record
                    // does not carry a doubled buffer's slack into the queue.
                    let mut bytes = Vec::with_capacity(raw.get().len() + RECORD_OVERHEAD);
                    match serde_json::to_writer(&mut bytes, &stored) {
                        Ok(()) => {
                            out.records.push(Bytes::from(bytes));
                            out.uuids.push(stored.uuid);
                        }
                        Err(_) => *out.dropped.entry(DropReason::Unserializable).or_default() += 1,
                    }
                }
                Verdict::Drop(reason) => *out.dropped.entry(reason).or_default() += 1,
            }
        }
        Ok(out)
    }
}

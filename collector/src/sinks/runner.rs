//! The runner: one task per sink that drains that sink's queue reader.
//!
//! # Contract
//!
//! - Loop: gather a batch (up to `batch` records; a partial batch is held at most `wait`
//!   after its first record) → decode → deliver with retries → commit → count. Nothing is committed before it is delivered (or dropped
//!   for a counted reason), so an outage or a crash never loses a queued event.
//! - Retries: exponential backoff from 100 ms to 30 s with jitter, or the sink's
//!   `Retry-After`; a sink that is down simply waits. Only a [`DeliveryError::Permanent`]
//!   drops a batch.
//! - Outcomes: after its batch is committed, every record is counted exactly once per sink —
//!   `sink_delivered`, or `sink_dropped` with the sink's reason, or `corrupt_record` for a
//!   record that does not decode (never logged with its content), or `erased` for an
//!   event of a person erased since it was queued. Every failed attempt
//!   counts `sink_failed`, every retry `sink_retry`.
//! - Shutdown: when the watch channel turns `true` (or its sender is dropped), no new batch
//!   is read and no new retry started; an attempt already in flight may finish within the
//!   grace period, and its batch is committed if it succeeds. Whatever is not committed
//!   stays queued for the next start.

use super::backoff::Backoff;
use super::sink::{Delivered, DeliveryError, Sink};
use crate::drop_reason::DropReason;
use crate::erasures::Erasures;
use crate::metrics::Metrics;
use crate::queue::{Batch, QueueError, QueueReader};
use crate::stored_event::StoredEvent;
use bytes::Bytes;
use std::fmt::Display;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Where a runner reads its batches from: the durable queue's reader for this sink
/// ([`QueueReader`]), or a stand-in in tests.
pub trait BatchSource: Send + 'static {
    /// One batch of records, handed back to [`BatchSource::commit`].
    type Batch: Send + Sync;
    /// Why reading or committing failed.
    type Error: Display + Send;

    /// Waits up to `wait` for at least one record, then returns up to `max` of those
    /// available; empty when none came in time. Must be cancel-safe.
    fn next_batch(
        &mut self,
        max: usize,
        wait: Duration,
    ) -> impl Future<Output = Result<Self::Batch, Self::Error>> + Send;

    /// The records of `batch`, each one JSON-serialized [`StoredEvent`].
    fn records(batch: &Self::Batch) -> &[Bytes];

    /// Marks `batches` (consecutive, in the order read) as done for this reader, durably.
    fn commit(
        &mut self,
        batches: &[Self::Batch],
    ) -> impl Future<Output = Result<(), Self::Error>> + Send;
}

impl BatchSource for QueueReader {
    type Batch = Batch;
    type Error = QueueError;

    fn next_batch(
        &mut self,
        max: usize,
        wait: Duration,
    ) -> impl Future<Output = Result<Batch, QueueError>> + Send {
        QueueReader::next_batch(self, max, wait)
    }

    fn records(batch: &Batch) -> &[Bytes] {
        &batch.records
    }

    /// Commits the last batch: a queue commit covers everything read before it.
    async fn commit(&mut self, batches: &[Batch]) -> Result<(), QueueError> {
        match batches.last() {
            Some(last) => QueueReader::commit(self, last).await,
            None => Ok(()),
        }
    }
}

/// How a runner batches, retries and stops.
#[derive(Debug, Clone)]
pub struct RunnerOptions {
    /// Most records per delivery.
    pub batch: usize,
    /// Longest time a partial batch is held for more records, counted from its first
    /// record (ClickHouse's `flush_interval_ms`). With no records at all the runner simply
    /// waits, woken by appends.
    pub wait: Duration,
    /// First retry delay. Default 100 ms.
    pub backoff_base: Duration,
    /// Longest retry delay (without `Retry-After`). Default 30 s.
    pub backoff_max: Duration,
    /// How long an in-flight delivery may still run after shutdown is signalled. Default 5 s.
    pub shutdown_grace: Duration,
    /// Erasure tombstones: events they name are dropped (counted `erased`), never
    /// delivered. Default none.
    pub erasures: Option<Arc<Erasures>>,
}

impl RunnerOptions {
    /// Batches of at most `batch` records, held up to `wait` to fill; default backoff and
    /// grace.
    pub fn new(batch: usize, wait: Duration) -> Self {
        RunnerOptions {
            batch: batch.max(1),
            wait,
            backoff_base: Duration::from_millis(100),
            backoff_max: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(5),
            erasures: None,
        }
    }
}

/// Starts the task that drains `reader` into `sink` with batches of at most `batch` records,
/// holding a partial batch up to `wait` for more, until `shutdown` turns `true`. See the
/// [module docs](self) for the contract.
pub fn spawn_sink<S: BatchSource>(
    sink: Arc<dyn Sink>,
    reader: S,
    metrics: Arc<Metrics>,
    shutdown: watch::Receiver<bool>,
    batch: usize,
    wait: Duration,
) -> JoinHandle<()> {
    spawn_sink_with(
        sink,
        reader,
        metrics,
        shutdown,
        RunnerOptions::new(batch, wait),
    )
}

/// [`spawn_sink`] with all the knobs.
pub fn spawn_sink_with<S: BatchSource>(
    sink: Arc<dyn Sink>,
    reader: S,
    metrics: Arc<Metrics>,
    shutdown: watch::Receiver<bool>,
    options: RunnerOptions,
) -> JoinHandle<()> {
    tokio::spawn(run(sink, reader, metrics, shutdown, options))
}

/// What became of one batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The sink stored it, except events it refused one at a time (by reason).
    Delivered(Delivered),
    /// The sink refused it for good, for this reason.
    Dropped(DropReason),
    /// Shutdown came first; leave it queued.
    Interrupted,
}

async fn run<S: BatchSource>(
    sink: Arc<dyn Sink>,
    mut source: S,
    metrics: Arc<Metrics>,
    mut shutdown: watch::Receiver<bool>,
    options: RunnerOptions,
) {
    let name = sink.name();
    let mut backoff = Backoff::new(options.backoff_base, options.backoff_max);
    tracing::info!(sink = name, batch = options.batch, "sink started");
    while !is_shutdown(&shutdown) {
        // Stage 1: gather up to `batch` records (or stop).
        let Some(batches) = gather(&mut source, name, &options, &mut backoff, &mut shutdown).await
        else {
            break;
        };
        let records = batches.iter().flat_map(|b| S::records(b));
        let total = records.clone().count();

        // Stage 2: decode; unreadable records are dropped (never logged).
        let mut events = Vec::with_capacity(total);
        let mut corrupt = 0u64;
        for record in records {
            match serde_json::from_slice::<StoredEvent>(record) {
                Ok(event) => events.push(event),
                Err(_) => corrupt += 1,
            }
        }
        // Events of people erased since they were queued go nowhere.
        let mut erased = options
            .erasures
            .as_ref()
            .map_or(0, |e| e.drop_erased(&mut events));

        // Stage 3: deliver, retrying until delivered, dropped or shut down.
        let outcome = if events.is_empty() {
            Outcome::Delivered(Delivered::all())
        } else {
            let mut recheck = Recheck {
                erasures: options.erasures.as_deref(),
                erased: 0,
            };
            let outcome = deliver_with_retries(
                &*sink,
                &mut events,
                &mut recheck,
                &metrics,
                &mut backoff,
                &mut shutdown,
                options.shutdown_grace,
            )
            .await;
            erased += recheck.erased;
            outcome
        };
        if outcome == Outcome::Interrupted {
            tracing::info!(sink = name, count = total, "stopping; batch left queued");
            break;
        }

        // Stage 4: commit, retrying; only then count the outcome.
        if !commit(&mut source, &batches, name, &mut backoff, &mut shutdown).await {
            tracing::info!(
                sink = name,
                count = total,
                "stopping; batch left uncommitted"
            );
            break;
        }
        if corrupt > 0 {
            tracing::error!(
                sink = name,
                count = corrupt,
                "dropped unreadable queue records"
            );
            metrics.sink_dropped(name, DropReason::CorruptRecord, corrupt);
        }
        if erased > 0 {
            metrics.sink_dropped(name, DropReason::Erased, erased);
        }
        let n = events.len() as u64;
        match outcome {
            Outcome::Delivered(delivered) => {
                let refused = delivered.refused_count().min(n);
                metrics.sink_delivered(name, n - refused);
                for (reason, count) in delivered.refused {
                    metrics.sink_dropped(name, reason, count);
                }
                tracing::debug!(sink = name, count = n - refused, "delivered");
            }
            Outcome::Dropped(reason) => metrics.sink_dropped(name, reason, n),
            Outcome::Interrupted => {}
        }
    }
    tracing::info!(sink = name, "sink stopped");
}

/// How long one idle read waits for a first record before looking at shutdown again
/// (reads are woken by appends, so this adds no latency).
const IDLE_WAIT: Duration = Duration::from_secs(1);

/// Reads batches until there are `options.batch` records or `options.wait` has passed
/// since the first one came; `None` on shutdown (nothing read is committed then).
async fn gather<S: BatchSource>(
    source: &mut S,
    name: &str,
    options: &RunnerOptions,
    backoff: &mut Backoff,
    shutdown: &mut watch::Receiver<bool>,
) -> Option<Vec<S::Batch>> {
    let mut batches = Vec::new();
    let mut count = 0;
    let mut deadline: Option<tokio::time::Instant> = None;
    loop {
        let wait = match deadline {
            None => IDLE_WAIT,
            Some(deadline) => {
                let left = deadline.saturating_duration_since(tokio::time::Instant::now());
                if left.is_zero() {
                    return Some(batches);
                }
                left
            }
        };
        let read = tokio::select! {
            biased;
            () = shutdown_signal(shutdown) => return None,
            read = source.next_batch(options.batch - count, wait) => read,
        };
        match read {
            Ok(batch) => {
                backoff.reset();
                let n = S::records(&batch).len();
                if n == 0 {
                    continue;
                }
                count += n;
                batches.push(batch);
                if count >= options.batch {
                    return Some(batches);
                }
                deadline.get_or_insert_with(|| tokio::time::Instant::now() + options.wait);
            }
            // Deliver what we have; the error will show again on the next read.
            Err(_) if !batches.is_empty() => return Some(batches),
            Err(error) => {
                let delay = backoff.next_delay(None);
                tracing::error!(sink = name, error = %error, delay_ms = delay.as_millis() as u64, "queue read failed");
                if sleep_or_shutdown(delay, shutdown).await {
                    return None;
                }
            }
        }
    }
}

/// Commits `batches`, retrying with backoff; false if shutdown came first.
async fn commit<S: BatchSource>(
    source: &mut S,
    batches: &[S::Batch],
    name: &str,
    backoff: &mut Backoff,
    shutdown: &mut watch::Receiver<bool>,
) -> bool {
    backoff.reset();
    loop {
        match source.commit(batches).await {
            Ok(()) => return true,
            Err(error) => {
                let delay = backoff.next_delay(None);
                tracing::error!(sink = name, error = %error, delay_ms = delay.as_millis() as u64, "queue commit failed");
                if sleep_or_shutdown(delay, shutdown).await {
                    return false;
                }
            }
        }
    }
}

/// What [`deliver_with_retries`] re-checks before every retry: people erased while the
/// batch waited are taken out of it (and counted here), so a retry never brings them back.
pub(crate) struct Recheck<'a> {
    /// The tombstones.
    pub erasures: Option<&'a Erasures>,
    /// Events taken out by a re-check.
    pub erased: u64,
}

/// Offers `events` to `sink` until it takes them, refuses them for good, or shutdown comes
/// (an attempt in flight at shutdown gets `grace` to finish). Counts failures and retries.
/// Before each retry, `recheck` takes out events of people erased meanwhile.
pub(crate) async fn deliver_with_retries(
    sink: &dyn Sink,
    events: &mut Vec<StoredEvent>,
    recheck: &mut Recheck<'_>,
    metrics: &Metrics,
    backoff: &mut Backoff,
    shutdown: &mut watch::Receiver<bool>,
    grace: Duration,
) -> Outcome {
    let name = sink.name();
    backoff.reset();
    let mut first = true;
    loop {
        if !std::mem::take(&mut first) {
            if let Some(erasures) = recheck.erasures {
                recheck.erased += erasures.drop_erased(events);
                if events.is_empty() {
                    return Outcome::Delivered(Delivered::all());
                }
            }
        }
        let mut attempt = sink.deliver(events);
        let finished = if is_shutdown(shutdown) {
            None
        } else {
            tokio::select! {
                result = &mut attempt => Some(result),
                () = shutdown_signal(shutdown) => None,
            }
        };
        let result = match finished {
            Some(result) => result,
            // Shutting down: let the attempt in flight finish, within the grace period.
            None => match tokio::time::timeout(grace, attempt).await {
                Ok(result) => result,
                Err(_) => return Outcome::Interrupted,
            },
        };
        match result {
            Ok(delivered) => return Outcome::Delivered(delivered),
            Err(DeliveryError::Permanent { reason }) => {
                metrics.sink_failed(name);
                tracing::warn!(sink = name, count = events.len(), reason = %reason, "batch dropped");
                return Outcome::Dropped(reason);
            }
            Err(DeliveryError::Retryable {
                retry_after,
                reason,
            }) => {
                metrics.sink_failed(name);
                if is_shutdown(shutdown) {
                    return Outcome::Interrupted;
                }
                let delay = backoff.next_delay(retry_after);
                tracing::warn!(
                    sink = name,
                    count = events.len(),
                    attempt = backoff.attempts(),
                    delay_ms = delay.as_millis() as u64,
                    reason = %reason,
                    "delivery failed, will retry"
                );
                if sleep_or_shutdown(delay, shutdown).await {
                    return Outcome::Interrupted;
                }
                metrics.sink_retry(name);
            }
        }
    }
}

/// Whether shutdown has been signalled (or can no longer be, the sender being gone).
fn is_shutdown(shutdown: &watch::Receiver<bool>) -> bool {
    *shutdown.borrow() || shutdown.has_changed().is_err()
}

/// Resolves once shutdown is signalled or the sender is dropped.
async fn shutdown_signal(shutdown: &mut watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stop| *stop).await;
}

/// Sleeps for `delay`; true if shutdown came first.
async fn sleep_or_shutdown(delay: Duration, shutdown: &mut watch::Receiver<bool>) -> bool {
    tokio::select! {
        () = tokio::time::sleep(delay) => false,
        () = shutdown_signal(shutdown) => true,
    }
}

#[cfg(test)]
mod tests;

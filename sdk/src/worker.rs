//! The one background worker that drains the queue, and how the client drives it.
//!
//! Contract:
//! - **Batches** leave when `batch_size` events are queued or `interval` has passed since the
//!   last send, whichever comes first; a flush or shutdown sends at once.
//! - **Retries**: 408, 429 and 5xx and network errors are retried with exponential backoff
//!   (or the server's `Retry-After`) up to `max_attempts`; then the batch goes back to the
//!   front of the queue and the worker waits before the next round. Any other status drops
//!   the batch (counted as `rejected`).
//! - **Flush** asks the worker to send everything now and waits until it did, gave up on a
//!   collector that is down, or the caller's deadline passed.
//! - **Clean shutdown**: the worker sends what it can until `spool_at`, then writes what is
//!   left to the encrypted spool and exits. The caller waits at most until its deadline; a
//!   worker still stuck in a request then is abandoned and the caller spools what it held.
//! - **Stopping**: a new epoch (level off, forget, abandon) stops the running worker the
//!   next time it takes the lock. `stop` also waits for the batch in flight to settle, so
//!   that `forget()` sends its erase after the last event.
//! - **Erase first**: erase requests a `forget()` could not send (`rights/pending.rs`) go
//!   out before any event; while one fails, no batch is sent, and failed rounds back off as
//!   batches do. A request the collector refuses for good is dropped with a warning.

use crate::events::Event;
use crate::queue::{allowed, Counters, EventQueue, QueueState};
use crate::rights::{CallError, PendingErases, Receipt, RightsClient};
use crate::spool::Spool;
use crate::transport::{backoff, Attempt, Transport};
use hush_config::consent::Level;
use hush_config::Secret;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Longest time one batch is retried before it goes back to the queue.
const ROUND_BUDGET: Duration = Duration::from_secs(120);
/// Longest wait before a new round after failed ones.
const MAX_ROUND_BACKOFF: Duration = Duration::from_secs(300);

// How the client drives the worker: flush, shut down, give up.
impl EventQueue {
    /// Asks the worker to send everything now; waits until it did, gave up, or `deadline`.
    /// Returns the events still pending.
    pub fn flush(&self, deadline: Instant) -> usize {
        let mut st = self.lock();
        if !st.running {
            return st.queue.len() + st.in_flight.len();
        }
        st.flush_seq += 1;
        let mine = st.flush_seq;
        self.wake.notify_all();
        let st = self.wait_for(st, deadline, |s| s.flushed_seq >= mine || !s.running);
        st.queue.len() + st.in_flight.len()
    }

    /// Tells the worker to send until `spool_at` and then spool the rest; waits until it
    /// exited or `deadline`. Returns the events that were neither sent nor spooled (0 when
    /// the worker finished in time).
    pub fn shutdown(&self, spool_at: Instant, deadline: Instant) -> usize {
        let mut st = self.lock();
        if !st.running {
            return 0;
        }
        st.spool_at = Some(spool_at);
        self.wake.notify_all();
        let st = self.wait_for(st, deadline, |s| !s.running);
        if st.running {
            st.queue.len() + st.in_flight.len()
        } else {
            0
        }
    }

    /// Waits for the worker's changes until `done` holds or `deadline` passes; returns the
    /// lock either way.
    fn wait_for<'a>(
        &self,
        mut st: MutexGuard<'a, QueueState>,
        deadline: Instant,
        done: impl Fn(&QueueState) -> bool,
    ) -> MutexGuard<'a, QueueState> {
        loop {
            let now = Instant::now();
            if done(&st) || now >= deadline {
                return st;
            }
            st = self
                .changed
                .wait_timeout(st, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// Stops the worker (level off: the queue is emptied) and waits until the batch it was
    /// sending, if any, is settled, or `deadline`. Returns whether nothing is in flight.
    pub fn stop(&self, deadline: Instant) -> bool {
        self.set_level(Level::Off);
        let st = self.lock();
        let st = self.wait_for(st, deadline, |s| s.in_flight.is_empty());
        st.in_flight.is_empty()
    }

    /// Gives up on a worker that did not finish by the shutdown deadline (stuck in a
    /// request): stops it and returns what it had queued and in flight, oldest first, for
    /// the caller to spool.
    pub fn abandon(&self) -> Vec<Event> {
        let mut st = self.lock();
        if !st.running {
            return Vec::new();
        }
        st.epoch += 1;
        st.running = false;
        let mut left = std::mem::take(&mut st.in_flight);
        left.extend(st.queue.drain(..));
        self.wake.notify_all();
        left
    }
}

/// Worker settings.
#[derive(Debug, Clone)]
pub(crate) struct WorkerOptions {
    pub interval: Duration,
    pub request_timeout: Duration,
    pub max_attempts: u32,
    pub backoff: Duration,
}

enum Outcome {
    Delivered,
    Rejected(u16),
    Failed(Option<Duration>),
    Aborted,
}

/// How long to wait before the next round after `failed_rounds` failed ones.
fn round_wait(interval: Duration, failed_rounds: u32, hint: Option<Duration>) -> Duration {
    backoff(interval.min(Duration::from_secs(5)), failed_rounds.min(8))
        .min(MAX_ROUND_BACKOFF)
        .max(hint.unwrap_or_default())
}

/// The background worker. Exactly one runs while telemetry is on and not in debug mode.
pub(crate) struct Worker {
    pub queue: Arc<EventQueue>,
    pub transport: Transport,
    pub spool: Option<Spool>,
    pub options: WorkerOptions,
    pub warnings: Arc<Mutex<Vec<String>>>,
    /// Erase requests to send before any event, when `erases_pending`.
    pub erases: Option<PendingErases>,
    pub erases_pending: bool,
    /// The receipts of the erase requests sent.
    pub receipts: Arc<Mutex<Vec<Receipt>>>,
}

impl Worker {
    /// Marks the worker running and starts its thread.
    ///
    /// # Errors
    /// The OS refused to create a thread; nothing is queued then.
    pub fn start(self) -> std::io::Result<()> {
        let epoch = {
            let mut st = self.queue.lock();
            st.running = true;
            st.spool_at = None;
            st.epoch
        };
        let queue = Arc::clone(&self.queue);
        let spawned = std::thread::Builder::new()
            .name("hush-telemetry".into())
            .spawn(move || self.run(epoch));
        if spawned.is_err() {
            let mut st = queue.lock();
            if st.epoch == epoch {
                st.running = false;
                st.queue.clear();
            }
        }
        spawned.map(drop)
    }

    fn warn(&self, message: String) {
        let mut w = self.warnings.lock().unwrap_or_else(|e| e.into_inner());
        if w.len() < 32 {
            w.push(message);
        }
    }

    fn run(self, epoch: u64) {
        let batch_size = self.queue.lock().batch_size;
        let interval = self.options.interval;
        let mut last_send = Instant::now();
        let mut retry_at: Option<Instant> = None;
        let mut failed_rounds: u32 = 0;
        let mut erases_pending = self.erases_pending;
        let mut st = self.queue.lock();
        loop {
            if st.epoch != epoch {
                return;
            }
            let now = Instant::now();
            let flushing = st.flush_seq > st.flushed_seq;
            if erases_pending {
                // Nothing else leaves before the erase requests; at shutdown the events are
                // spooled and the requests stay in their file.
                if st.spool_at.is_some() {
                    break;
                }
                if let Some(t) = retry_at.filter(|t| *t > now && !flushing) {
                    st = self.wait(st, t - now);
                    continue;
                }
                drop(st);
                let sent = self.send_erases(epoch);
                st = self.queue.lock();
                last_send = Instant::now();
                if st.epoch != epoch {
                    return;
                }
                match sent {
                    Ok(()) => {
                        erases_pending = false;
                        failed_rounds = 0;
                        retry_at = None;
                    }
                    Err(hint) => {
                        failed_rounds += 1;
                        retry_at = Some(last_send + round_wait(interval, failed_rounds, hint));
                        if flushing {
                            st.flushed_seq = st.flush_seq;
                            self.queue.changed.notify_all();
                        }
                    }
                }
                continue;
            }
            if st.queue.is_empty() {
                if flushing {
                    st.flushed_seq = st.flush_seq;
                    self.queue.changed.notify_all();
                }
                if st.spool_at.is_some() {
                    break;
                }
                st = self.wait(st, interval);
                continue;
            }
            if st.spool_at.is_some_and(|t| now >= t) {
                break;
            }
            if !flushing && st.spool_at.is_none() {
                let wait_until = match retry_at {
                    Some(t) if t > now => Some(t),
                    _ if st.queue.len() >= batch_size => None,
                    _ if now >= last_send + interval => None,
                    _ => Some(last_send + interval),
                };
                if let Some(t) = wait_until {
                    st = self.wait(st, t - now);
                    continue;
                }
            }
            let n = batch_size.min(st.queue.len());
            let batch: Vec<Event> = st.queue.drain(..n).collect();
            st.in_flight.clone_from(&batch);
            drop(st);
            let outcome = self.deliver(&batch, epoch);
            st = self.queue.lock();
            st.in_flight.clear();
            // `stop` waits for this.
            self.queue.changed.notify_all();
            last_send = Instant::now();
            if st.epoch != epoch {
                return;
            }
            let failed = match outcome {
                Outcome::Delivered => {
                    Counters::add(&self.queue.counters.sent, n);
                    failed_rounds = 0;
                    retry_at = None;
                    None
                }
                Outcome::Rejected(code) => {
                    Counters::add(&self.queue.counters.rejected, n);
                    self.warn(format!(
                        "collector rejected a batch of {n} events with HTTP {code}"
                    ));
                    None
                }
                Outcome::Failed(hint) => Some(hint),
                Outcome::Aborted => Some(None),
            };
            if let Some(hint) = failed {
                self.requeue(&mut st, batch);
                failed_rounds += 1;
                retry_at = Some(last_send + round_wait(interval, failed_rounds, hint));
                if flushing {
                    // A flush does not spin on a collector that is down: it reports what
                    // is still pending.
                    st.flushed_seq = st.flush_seq;
                    self.queue.changed.notify_all();
                }
                if st.spool_at.is_some() {
                    break;
                }
            }
        }
        // Shutdown: spool what is left, then report that the worker is done.
        let left: Vec<Event> = st.queue.drain(..).collect();
        drop(st);
        if let (Some(spool), false) = (&self.spool, left.is_empty()) {
            let mut all: Vec<Event> = spool.load().unwrap_or_default();
            all.extend(left);
            match spool.store(&all) {
                Ok(kept) => Counters::add(&self.queue.counters.spooled, kept),
                Err(e) => self.warn(format!("could not write the spool: {e}")),
            }
        }
        let mut st = self.queue.lock();
        if st.epoch == epoch {
            st.running = false;
        }
        self.queue.changed.notify_all();
    }

    /// Sends the pending erase requests, oldest first, one attempt each; each one sent (or
    /// refused for good) leaves the file. `Err` with the collector's `Retry-After`, if any,
    /// when one could not be sent: the rest wait for the next round.
    fn send_erases(&self, epoch: u64) -> Result<(), Option<Duration>> {
        let Some(erases) = &self.erases else {
            return Ok(());
        };
        let list = {
            let _guard = erases.lock();
            match erases.load() {
                Ok(list) => list,
                Err(e) => {
                    self.warn(e.to_string());
                    let _ = erases.store(&[]);
                    return Ok(());
                }
            }
        };
        for pending in list {
            if self.queue.lock().epoch != epoch {
                return Err(None);
            }
            let client = RightsClient::new(
                &pending.host,
                Secret::new(pending.api_key.clone()),
                self.options.request_timeout,
            );
            match client.erase(&pending.distinct_id) {
                Ok(receipt) => {
                    let mut receipts = self.receipts.lock().unwrap_or_else(|e| e.into_inner());
                    if receipts.len() < 32 {
                        receipts.push(receipt);
                    }
                }
                Err(CallError::Unreachable { retry_after, .. }) => {
                    Counters::add(&self.queue.counters.failed_attempts, 1);
                    return Err(retry_after);
                }
                Err(CallError::Refused(refusal)) => self.warn(format!(
                    "the collector refused an erase request kept from an earlier forget: {refusal}"
                )),
                Err(CallError::Invalid(reason)) => self.warn(format!(
                    "unexpected answer to an erase request kept from an earlier forget: {reason}"
                )),
            }
            if let Err(e) = erases.remove(&pending) {
                self.warn(format!("could not update the pending erase requests: {e}"));
            }
        }
        Ok(())
    }

    /// Puts a batch that could not be sent back at the front of the queue, keeping only
    /// what the current level allows and dropping the oldest beyond the cap.
    fn requeue(&self, st: &mut QueueState, batch: Vec<Event>) {
        for event in batch.into_iter().rev() {
            if !allowed(event.class, st.level) {
                Counters::add(&self.queue.counters.dropped_by_level, 1);
            } else if st.queue.len() >= st.cap {
                Counters::add(&self.queue.counters.dropped_queue_full, 1);
            } else {
                st.queue.push_front(event);
            }
        }
    }

    fn wait<'a>(
        &self,
        st: MutexGuard<'a, QueueState>,
        dur: Duration,
    ) -> MutexGuard<'a, QueueState> {
        self.queue
            .wake
            .wait_timeout(st, dur)
            .unwrap_or_else(|e| e.into_inner())
            .0
    }

    /// The time by which the current round must end: the round budget, or earlier at
    /// shutdown. `None` when the worker was stopped.
    fn deadline(&self, epoch: u64, round_end: Instant) -> Option<Instant> {
        let st = self.queue.lock();
        if st.epoch != epoch {
            return None;
        }
        Some(st.spool_at.map_or(round_end, |t| t.min(round_end)))
    }

    /// Sends one batch with retries.
    fn deliver(&self, batch: &[Event], epoch: u64) -> Outcome {
        let body = self.transport.encode(batch);
        let round_end = Instant::now() + ROUND_BUDGET;
        let mut attempt: u32 = 0;
        loop {
            let Some(deadline) = self.deadline(epoch, round_end) else {
                return Outcome::Aborted;
            };
            let now = Instant::now();
            if now >= deadline {
                return Outcome::Failed(None);
            }
            let timeout = self.options.request_timeout.min(deadline - now);
            let hint = match self.transport.attempt(&body, timeout) {
                Attempt::Delivered => return Outcome::Delivered,
                Attempt::Rejected(code) => return Outcome::Rejected(code),
                Attempt::Retry(hint) => hint,
            };
            Counters::add(&self.queue.counters.failed_attempts, 1);
            attempt += 1;
            if attempt >= self.options.max_attempts {
                return Outcome::Failed(hint);
            }
            let wait = hint.unwrap_or_else(|| backoff(self.options.backoff, attempt - 1));
            if !self.sleep(epoch, Instant::now() + wait, round_end) {
                return Outcome::Failed(hint);
            }
        }
    }

    /// Sleeps until `until`; false when that is past the round's deadline (which shutdown
    /// may bring forward while sleeping) or the worker was stopped.
    fn sleep(&self, epoch: u64, until: Instant, round_end: Instant) -> bool {
        let mut st = self.queue.lock();
        loop {
            if st.epoch != epoch {
                return false;
            }
            let deadline = st.spool_at.map_or(round_end, |t| t.min(round_end));
            if until > deadline {
                return false;
            }
            let now = Instant::now();
            if now >= until {
                return true;
            }
            st = self.wait(st, until - now);
        }
    }
}

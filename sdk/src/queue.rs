//! The bounded event queue: what capture fills and the background worker drains.
//!
//! Contract:
//! - **Capture never blocks.** Callers take a short lock, push, and leave. When the queue
//!   holds `cap` events, the oldest is dropped and counted (`dropped_queue_full`).
//! - **Only what the level allows** is queued, and only while a worker of the current epoch
//!   runs; events restored from the spool pass the same level check and cap.
//! - **Level changes** take the lock: lowering the level removes queued events the new
//!   level does not allow; off stops the worker (bumps the epoch) and empties the queue.
//!
//! The same mutex guards the worker's control fields (flush requests, the shutdown time,
//! the epoch); the worker and how the client drives it are in `worker.rs`.

use crate::events::{Event, EventClass};
use hush_config::consent::Level;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Instant;

/// Monotonic counters, read by `status()`.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub queued: AtomicU64,
    pub sent: AtomicU64,
    pub dropped_queue_full: AtomicU64,
    pub dropped_by_level: AtomicU64,
    pub rejected: AtomicU64,
    pub spooled: AtomicU64,
    pub restored: AtomicU64,
    pub failed_attempts: AtomicU64,
}

impl Counters {
    pub fn add(counter: &AtomicU64, n: usize) {
        counter.fetch_add(n as u64, Ordering::Relaxed);
    }
}

/// Queue state, under one mutex.
pub(crate) struct QueueState {
    /// The authoritative level; `EventQueue::level` mirrors it for a lock-free pre-check.
    pub level: Level,
    pub queue: VecDeque<Event>,
    pub cap: usize,
    pub batch_size: usize,
    /// Copies of the events the worker is sending (spooled by the caller if the worker is
    /// stuck at shutdown).
    pub in_flight: Vec<Event>,
    pub flush_seq: u64,
    pub flushed_seq: u64,
    /// Set by shutdown: send until then, then spool and exit.
    pub spool_at: Option<Instant>,
    /// Bumped to stop the running worker at once (disable, forget).
    pub epoch: u64,
    /// Whether a worker of the current epoch is running (events are queued only then).
    pub running: bool,
}

/// The bounded queue with the level in force and the counters: what the capture side
/// and the worker share.
pub(crate) struct EventQueue {
    pub state: Mutex<QueueState>,
    /// Wakes the worker.
    pub wake: Condvar,
    /// Wakes flush and shutdown waiters.
    pub changed: Condvar,
    pub level: AtomicU8,
    pub counters: Counters,
}

pub(crate) fn level_to_u8(level: Level) -> u8 {
    match level {
        Level::Off => 0,
        Level::Basic => 1,
        Level::Full => 2,
    }
}

pub(crate) fn allowed(class: EventClass, level: Level) -> bool {
    level != Level::Off && level >= class.min_level()
}

impl EventQueue {
    pub fn new(level: Level, cap: usize, batch_size: usize) -> Self {
        EventQueue {
            state: Mutex::new(QueueState {
                level,
                queue: VecDeque::with_capacity(cap.min(1024)),
                cap: cap.max(1),
                batch_size: batch_size.max(1),
                in_flight: Vec::new(),
                flush_seq: 0,
                flushed_seq: 0,
                spool_at: None,
                epoch: 0,
                running: false,
            }),
            wake: Condvar::new(),
            changed: Condvar::new(),
            level: AtomicU8::new(level_to_u8(level)),
            counters: Counters::default(),
        }
    }

    /// Locks the state; a panic on another thread while holding the lock does not poison
    /// telemetry for the app.
    pub fn lock(&self) -> MutexGuard<'_, QueueState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The level without taking the lock.
    pub fn fast_level(&self) -> u8 {
        self.level.load(Ordering::Relaxed)
    }

    /// Queues an event if a worker runs and the level allows it; drops the oldest when full.
    pub fn push(&self, event: Event) {
        let mut st = self.lock();
        if !st.running || !allowed(event.class, st.level) {
            return;
        }
        if st.queue.len() >= st.cap {
            st.queue.pop_front();
            Counters::add(&self.counters.dropped_queue_full, 1);
        }
        st.queue.push_back(event);
        Counters::add(&self.counters.queued, 1);
        if st.queue.len() >= st.batch_size {
            self.wake.notify_one();
        }
    }

    /// Pushes events read back from the spool (before the worker starts), oldest first.
    pub fn restore(&self, events: Vec<Event>) -> usize {
        let mut st = self.lock();
        let mut n = 0;
        for event in events {
            if !allowed(event.class, st.level) {
                Counters::add(&self.counters.dropped_by_level, 1);
                continue;
            }
            if st.queue.len() >= st.cap {
                st.queue.pop_front();
                Counters::add(&self.counters.dropped_queue_full, 1);
            }
            st.queue.push_back(event);
            n += 1;
        }
        Counters::add(&self.counters.restored, n);
        n
    }

    /// Changes the level; removes queued events it no longer allows; at off, stops the
    /// worker and empties the queue.
    pub fn set_level(&self, level: Level) {
        let mut st = self.lock();
        st.level = level;
        self.level.store(level_to_u8(level), Ordering::Relaxed);
        let before = st.queue.len();
        st.queue.retain(|e| allowed(e.class, level));
        for e in st.queue.iter_mut() {
            e.level = e.level.min(level);
        }
        Counters::add(&self.counters.dropped_by_level, before - st.queue.len());
        if level == Level::Off {
            st.epoch += 1;
            st.running = false;
            st.spool_at = None;
            self.wake.notify_all();
            self.changed.notify_all();
        }
    }

    /// Queued plus in-flight events.
    #[cfg(test)]
    pub fn pending(&self) -> usize {
        let st = self.lock();
        st.queue.len() + st.in_flight.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;
    use std::sync::Arc;

    fn event(class: EventClass, n: u32) -> Event {
        Event {
            name: Cow::Borrowed(if class == EventClass::Basic {
                "setup_completed"
            } else {
                "prompt_sent"
            }),
            class,
            uuid: uuid::Uuid::from_u128(u128::from(n)),
            timestamp: time::OffsetDateTime::now_utc(),
            level: Level::Full,
            distinct_id: Arc::from("id"),
            common: Arc::default(),
            props: Vec::new(),
        }
    }

    #[test]
    fn full_queue_drops_oldest_and_counts() {
        let queue = EventQueue::new(Level::Basic, 3, 100);
        queue.lock().running = true;
        for n in 0..10 {
            queue.push(event(EventClass::Basic, n));
        }
        let st = queue.lock();
        assert_eq!(st.queue.len(), 3);
        assert_eq!(st.queue[0].uuid.as_u128(), 7);
        assert_eq!(queue.counters.dropped_queue_full.load(Ordering::Relaxed), 7);
    }

    #[test]
    fn nothing_queued_without_a_worker_or_above_the_level() {
        let queue = EventQueue::new(Level::Basic, 3, 100);
        queue.push(event(EventClass::Basic, 0));
        assert_eq!(queue.pending(), 0);
        queue.lock().running = true;
        queue.push(event(EventClass::OptIn, 1));
        assert_eq!(queue.pending(), 0);
    }

    #[test]
    fn lowering_the_level_purges() {
        let queue = EventQueue::new(Level::Full, 10, 100);
        queue.lock().running = true;
        queue.push(event(EventClass::OptIn, 1));
        queue.push(event(EventClass::Basic, 2));
        queue.set_level(Level::Basic);
        {
            let st = queue.lock();
            assert_eq!(st.queue.len(), 1);
            assert_eq!(st.queue[0].level, Level::Basic);
        }
        queue.set_level(Level::Off);
        let st = queue.lock();
        assert!(st.queue.is_empty());
        assert!(!st.running);
    }
}

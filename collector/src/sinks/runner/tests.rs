use super::*;
use crate::sinks::DeliveryFuture;
use crate::stored_event::{tag_of, uuid_of};
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// An in-memory queue: `next_batch` reads forward from the reader's position, `commit`
/// moves the shared committed count.
#[derive(Clone, Default)]
struct FakeQueue {
    records: Arc<Vec<Bytes>>,
    committed: Arc<AtomicUsize>,
    commits: Arc<AtomicUsize>,
    read: usize,
}

impl FakeQueue {
    fn with(records: impl IntoIterator<Item = Bytes>) -> Self {
        FakeQueue {
            records: Arc::new(records.into_iter().collect()),
            ..FakeQueue::default()
        }
    }

    fn pending(&self) -> usize {
        self.records.len() - self.committed.load(Ordering::SeqCst)
    }
}

impl BatchSource for FakeQueue {
    /// (records, position just past them)
    type Batch = (Vec<Bytes>, usize);
    type Error = String;

    async fn next_batch(&mut self, max: usize, wait: Duration) -> Result<Self::Batch, String> {
        let end = (self.read + max).min(self.records.len());
        let batch = self.records[self.read..end].to_vec();
        if batch.is_empty() {
            tokio::time::sleep(wait).await;
        }
        self.read = end;
        Ok((batch, end))
    }

    fn records(batch: &Self::Batch) -> &[Bytes] {
        &batch.0
    }

    async fn commit(&mut self, batches: &[Self::Batch]) -> Result<(), String> {
        if let Some((_, end)) = batches.last() {
            self.committed.store(*end, Ordering::SeqCst);
        }
        self.commits.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

/// Fails the first `failures` attempts (retryably, or permanently), then stores.
#[derive(Default)]
struct FakeSink {
    failures: usize,
    permanent: bool,
    attempt_time: Duration,
    attempts: AtomicUsize,
    delivered: Mutex<Vec<String>>,
}

impl Sink for FakeSink {
    fn name(&self) -> &'static str {
        "fake"
    }

    fn deliver<'a>(&'a self, events: &'a [StoredEvent]) -> DeliveryFuture<'a> {
        Box::pin(async move {
            tokio::time::sleep(self.attempt_time).await;
            let attempt = self.attempts.fetch_add(1, Ordering::SeqCst);
            if self.permanent {
                return Err(DeliveryError::Permanent {
                    reason: DropReason::PostHogRejected(400),
                });
            }
            if attempt < self.failures {
                return Err(DeliveryError::retry("fake outage"));
            }
            let mut delivered = self.delivered.lock().unwrap();
            delivered.extend(events.iter().map(|e| tag_of(&e.uuid.to_string())));
            Ok(Delivered::all())
        })
    }
}

/// A queue record of an event tagged `tag` (see [`uuid_of`]).
fn record(tag: &str) -> Bytes {
    let stored = StoredEvent::for_test(
        "acme",
        "2025-01-02T03:04:05Z",
        json!({"event": "x", "distinct_id": "h:1", "uuid": uuid_of(tag),
            "timestamp": "2025-01-02T03:04:05Z", "properties": {}}),
    );
    Bytes::from(serde_json::to_vec(&stored).unwrap())
}

fn options() -> RunnerOptions {
    RunnerOptions {
        batch: 3,
        wait: Duration::from_millis(5),
        backoff_base: Duration::from_millis(1),
        backoff_max: Duration::from_millis(5),
        shutdown_grace: Duration::from_millis(500),
        erasures: None,
    }
}

async fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// A runner started with [`spawn_sink_with`]; [`Running::stop`] signals shutdown and
/// waits for the runner to end (5 s at most).
struct Running {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

fn start<S: BatchSource>(
    sink: Arc<dyn Sink>,
    source: S,
    metrics: &Arc<Metrics>,
    options: RunnerOptions,
) -> Running {
    let (stop, stop_rx) = watch::channel(false);
    let task = spawn_sink_with(sink, source, metrics.clone(), stop_rx, options);
    Running { stop, task }
}

impl Running {
    async fn stop(self) {
        self.stop.send(true).unwrap();
        tokio::time::timeout(Duration::from_secs(5), self.task)
            .await
            .expect("the runner stops promptly")
            .unwrap();
    }
}

#[tokio::test]
async fn retries_until_delivered_then_commits_and_counts() {
    let queue = FakeQueue::with(
        ["u1", "u2", "u3", "u4", "u5"]
            .into_iter()
            .map(record)
            .chain([Bytes::from_static(b"{not json")]),
    );
    let sink = Arc::new(FakeSink {
        failures: 3,
        ..FakeSink::default()
    });
    let metrics = Arc::new(Metrics::default());
    let runner = start(sink.clone(), queue.clone(), &metrics, options());

    eventually("the queue to drain", || queue.pending() == 0).await;
    runner.stop().await;

    assert_eq!(
        *sink.delivered.lock().unwrap(),
        ["u1", "u2", "u3", "u4", "u5"]
    );
    assert_eq!(queue.commits.load(Ordering::SeqCst), 2);
    let counters = metrics.sink("fake");
    assert_eq!(counters.delivered, 5);
    assert_eq!(counters.failed, 3);
    assert_eq!(counters.retries, 3);
    assert_eq!(counters.dropped.get("corrupt_record"), Some(&1));
    assert_eq!(counters.dropped.len(), 1);
}

#[tokio::test]
async fn permanent_failure_drops_and_commits_with_its_reason() {
    let queue = FakeQueue::with(["u1", "u2"].into_iter().map(record));
    let sink = Arc::new(FakeSink {
        permanent: true,
        ..FakeSink::default()
    });
    let metrics = Arc::new(Metrics::default());
    let runner = start(sink.clone(), queue.clone(), &metrics, options());

    eventually("the queue to drain", || queue.pending() == 0).await;
    runner.stop().await;

    let counters = metrics.sink("fake");
    assert_eq!(counters.delivered, 0);
    assert_eq!(counters.failed, 1);
    assert_eq!(counters.retries, 0);
    assert_eq!(counters.dropped.get("posthog_rejected_400"), Some(&2));
}

#[tokio::test]
async fn shutdown_during_an_outage_commits_nothing_and_stops_promptly() {
    let queue = FakeQueue::with(["u1", "u2"].into_iter().map(record));
    let sink = Arc::new(FakeSink {
        failures: usize::MAX,
        ..FakeSink::default()
    });
    let metrics = Arc::new(Metrics::default());
    let mut options = options();
    // Long backoff: the runner is asleep between attempts when shutdown comes.
    options.backoff_base = Duration::from_secs(60);
    options.backoff_max = Duration::from_secs(60);
    let runner = start(sink.clone(), queue.clone(), &metrics, options);

    eventually("a failed attempt", || metrics.sink("fake").failed >= 1).await;
    runner.stop().await;

    assert_eq!(queue.pending(), 2, "nothing committed");
    assert_eq!(queue.commits.load(Ordering::SeqCst), 0);
    let counters = metrics.sink("fake");
    assert_eq!(counters.delivered, 0);
    assert!(counters.dropped.is_empty());
}

#[tokio::test]
async fn in_flight_delivery_finishes_within_the_grace_period() {
    let queue = FakeQueue::with(["u1"].into_iter().map(record));
    let sink = Arc::new(FakeSink {
        attempt_time: Duration::from_millis(200),
        ..FakeSink::default()
    });
    let metrics = Arc::new(Metrics::default());
    let runner = start(sink.clone(), queue.clone(), &metrics, options());

    // Signal shutdown while the (slow) attempt is in flight.
    tokio::time::sleep(Duration::from_millis(50)).await;
    runner.stop().await;

    assert_eq!(queue.pending(), 0);
    assert_eq!(metrics.sink("fake").delivered, 1);
}

#[tokio::test]
async fn in_flight_delivery_past_the_grace_period_stays_queued() {
    let queue = FakeQueue::with(["u1"].into_iter().map(record));
    let sink = Arc::new(FakeSink {
        attempt_time: Duration::from_secs(30),
        ..FakeSink::default()
    });
    let metrics = Arc::new(Metrics::default());
    let mut options = options();
    options.shutdown_grace = Duration::from_millis(100);
    let runner = start(sink.clone(), queue.clone(), &metrics, options);

    tokio::time::sleep(Duration::from_millis(50)).await;
    runner.stop().await;

    assert_eq!(queue.pending(), 1);
    assert_eq!(metrics.sink("fake").delivered, 0);
}

#[tokio::test]
async fn dropped_sender_counts_as_shutdown() {
    let queue = FakeQueue::default();
    let (stop, stop_rx) = watch::channel(false);
    let task = spawn_sink_with(
        Arc::new(FakeSink::default()),
        queue,
        Arc::new(Metrics::default()),
        stop_rx,
        options(),
    );
    drop(stop);
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .unwrap()
        .unwrap();
}

mod with_the_real_queue {
    use super::*;
    use crate::queue::{Queue, QueueOptions};

    async fn open(dir: &std::path::Path) -> Queue {
        let options = QueueOptions {
            max_bytes: 64 << 20,
            segment_bytes: 1 << 20,
            ..QueueOptions::default()
        };
        Queue::open(dir, options, &["fake"]).await.unwrap()
    }

    #[tokio::test]
    async fn outage_then_recovery_delivers_everything_once_and_commits() {
        let tmp = tempfile::tempdir().unwrap();
        let queue = open(tmp.path()).await;
        let uuids: Vec<String> = (0..10).map(|i| format!("u{i}")).collect();
        queue
            .append(uuids.iter().map(|u| record(u)).collect())
            .await
            .unwrap();
        queue
            .append(vec![Bytes::from_static(b"\xff garbage")])
            .await
            .unwrap();

        let sink = Arc::new(FakeSink {
            failures: 4,
            ..FakeSink::default()
        });
        let metrics = Arc::new(Metrics::default());
        let mut options = options();
        options.batch = 4;
        let runner = start(
            sink.clone(),
            queue.reader("fake").unwrap(),
            &metrics,
            options,
        );

        eventually("all outcomes counted", || {
            let c = metrics.sink("fake");
            c.delivered + c.dropped.values().sum::<u64>() == 11
        })
        .await;
        runner.stop().await;

        assert_eq!(*sink.delivered.lock().unwrap(), uuids);
        let counters = metrics.sink("fake");
        assert_eq!(counters.delivered, 10);
        assert_eq!(counters.failed, 4);
        assert_eq!(counters.retries, 4);
        assert_eq!(counters.dropped.get("corrupt_record"), Some(&1));
        assert_eq!(queue.stats().depth.get("fake"), Some(&0), "all committed");

        // A restart reads nothing again.
        let mut reader = queue.reader("fake").unwrap();
        let batch = reader
            .next_batch(100, Duration::from_millis(10))
            .await
            .unwrap();
        assert!(batch.is_empty());
        queue.close().await.unwrap();
    }

    #[tokio::test]
    async fn partial_batches_are_held_up_to_wait_then_sent_together() {
        let tmp = tempfile::tempdir().unwrap();
        let queue = open(tmp.path()).await;
        let sink = Arc::new(FakeSink::default());
        let metrics = Arc::new(Metrics::default());
        let (stop, stop_rx) = watch::channel(false);
        let mut options = options();
        options.batch = 100;
        options.wait = Duration::from_millis(300);
        let task = spawn_sink(
            sink.clone(),
            queue.reader("fake").unwrap(),
            metrics.clone(),
            stop_rx,
            options.batch,
            options.wait,
        );

        for i in 0..3 {
            queue.append(vec![record(&format!("u{i}"))]).await.unwrap();
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
        eventually("delivery", || metrics.sink("fake").delivered == 3).await;
        assert_eq!(
            sink.attempts.load(Ordering::SeqCst),
            1,
            "one insert for all three"
        );

        // A full batch goes at once, without waiting.
        let start = Instant::now();
        queue
            .append((0..100).map(|i| record(&format!("v{i}"))).collect())
            .await
            .unwrap();
        eventually("delivery", || metrics.sink("fake").delivered == 103).await;
        assert!(
            start.elapsed() < Duration::from_millis(250),
            "{:?}",
            start.elapsed()
        );

        stop.send(true).unwrap();
        task.await.unwrap();
        queue.close().await.unwrap();
    }

    #[tokio::test]
    async fn shutdown_leaves_undelivered_records_queued_for_the_next_start() {
        let tmp = tempfile::tempdir().unwrap();
        let queue = open(tmp.path()).await;
        queue
            .append(vec![record("u1"), record("u2")])
            .await
            .unwrap();
        let metrics = Arc::new(Metrics::default());
        let down = Arc::new(FakeSink {
            failures: usize::MAX,
            ..FakeSink::default()
        });
        let runner = start(down, queue.reader("fake").unwrap(), &metrics, options());
        eventually("a failed attempt", || metrics.sink("fake").failed >= 1).await;
        runner.stop().await;
        assert_eq!(queue.stats().depth.get("fake"), Some(&2));
        queue.close().await.unwrap();
        drop(queue);

        // Next start: a working sink gets both.
        let queue = open(tmp.path()).await;
        let up = Arc::new(FakeSink::default());
        let runner = start(
            up.clone(),
            queue.reader("fake").unwrap(),
            &metrics,
            options(),
        );
        eventually("delivery", || metrics.sink("fake").delivered == 2).await;
        runner.stop().await;
        assert_eq!(*up.delivered.lock().unwrap(), ["u1", "u2"]);
        assert_eq!(queue.stats().depth.get("fake"), Some(&0));
        queue.close().await.unwrap();
    }
}

#[tokio::test]
async fn a_person_erased_while_their_batch_is_retried_is_not_delivered_by_the_retry() {
    let tmp = tempfile::tempdir().unwrap();
    let erasures = Arc::new(Erasures::new(tmp.path()));
    let queue = FakeQueue::with(["u1", "u2"].into_iter().map(record));
    let sink = Arc::new(FakeSink {
        failures: 10,
        attempt_time: Duration::from_millis(20),
        ..FakeSink::default()
    });
    let metrics = Arc::new(Metrics::default());
    let options = RunnerOptions {
        erasures: Some(erasures.clone()),
        ..options()
    };
    let runner = start(sink.clone(), queue.clone(), &metrics, options);
    // The erase comes while the batch is in its outage (after the first attempt).
    eventually("a first attempt", || {
        sink.attempts.load(Ordering::SeqCst) >= 1
    })
    .await;
    erasures
        .record("acme", "h:1", time::OffsetDateTime::now_utc())
        .unwrap();
    eventually("the queue to drain", || queue.pending() == 0).await;
    runner.stop().await;
    assert!(
        sink.delivered.lock().unwrap().is_empty(),
        "a retry brought erased events back"
    );
    assert!(sink.attempts.load(Ordering::SeqCst) < 10);
    assert_eq!(metrics.sink("fake").dropped.get("erased"), Some(&2));
}

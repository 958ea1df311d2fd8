//! Queue tests: ordering, cursors, reopen, torn tails, rollover, cap, concurrency, wake-up,
//! and a real `kill -9` of a child process.

use super::*;
use bytes::Bytes;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub(super) const SHORT: Duration = Duration::from_millis(20);

pub(super) fn recs(range: std::ops::Range<usize>) -> Vec<Bytes> {
    range.map(|i| Bytes::from(format!("event-{i}"))).collect()
}

pub(super) fn texts(batch: &Batch) -> Vec<String> {
    batch
        .records
        .iter()
        .map(|r| String::from_utf8(r.to_vec()).unwrap())
        .collect()
}

pub(super) fn names(range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|i| format!("event-{i}")).collect()
}

pub(super) fn segment_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "log"))
        .collect();
    files.sort();
    files
}

pub(super) fn disk_bytes(dir: &Path) -> u64 {
    segment_files(dir)
        .iter()
        .map(|p| fs::metadata(p).unwrap().len())
        .sum()
}

/// Reads everything currently available for `reader`, in batches of `max`.
pub(super) async fn drain(reader: &mut QueueReader, max: usize, commit: bool) -> Vec<String> {
    let mut out = Vec::new();
    loop {
        let batch = reader.next_batch(max, SHORT).await.unwrap();
        if batch.is_empty() {
            return out;
        }
        assert!(batch.len() <= max);
        out.extend(texts(&batch));
        if commit {
            reader.commit(&batch).await.unwrap();
        }
    }
}

pub(super) async fn open(dir: &Path, consumers: &[&str]) -> Queue {
    Queue::open(dir, QueueOptions::default(), consumers)
        .await
        .unwrap()
}

#[tokio::test]
async fn append_read_commit_in_order() {
    let tmp = tempfile::tempdir().unwrap();
    let q = open(tmp.path(), &["local"]).await;
    q.append(recs(0..3)).await.unwrap();
    q.append(recs(3..10)).await.unwrap();
    q.append(Vec::new()).await.unwrap();
    assert_eq!(q.stats().depth["local"], 10);

    let mut r = q.reader("local").unwrap();
    let first = r.next_batch(4, SHORT).await.unwrap();
    assert_eq!(texts(&first), names(0..4));
    r.commit(&first).await.unwrap();
    assert_eq!(q.stats().depth["local"], 6);
    assert_eq!(drain(&mut r, 4, true).await, names(4..10));
    assert_eq!(q.stats().depth["local"], 0);
    // Nothing more: an empty batch after the wait, and committing it is a no-op.
    let empty = r.next_batch(4, SHORT).await.unwrap();
    assert!(empty.is_empty());
    r.commit(&empty).await.unwrap();
    assert!(matches!(
        q.reader("nope"),
        Err(QueueError::UnknownConsumer(c)) if c == "nope"
    ));
    q.close().await.unwrap();
    assert!(matches!(
        q.append(recs(0..1)).await,
        Err(QueueError::Closed)
    ));
    q.close().await.unwrap();
}

#[tokio::test]
async fn consumers_have_independent_cursors() {
    let tmp = tempfile::tempdir().unwrap();
    let q = open(tmp.path(), &["local", "posthog"]).await;
    q.append(recs(0..20)).await.unwrap();
    let mut local = q.reader("local").unwrap();
    let mut posthog = q.reader("posthog").unwrap();
    assert_eq!(drain(&mut local, 7, true).await, names(0..20));
    let b = posthog.next_batch(5, SHORT).await.unwrap();
    assert_eq!(texts(&b), names(0..5));
    posthog.commit(&b).await.unwrap();
    let stats = q.stats();
    assert_eq!(stats.depth["local"], 0);
    assert_eq!(stats.depth["posthog"], 15);
    // A batch of one consumer cannot move another's cursor.
    let b = posthog.next_batch(5, SHORT).await.unwrap();
    assert!(matches!(
        local.commit(&b).await,
        Err(QueueError::ForeignBatch)
    ));
    // Uncommitted records come back after a rewind.
    posthog.rewind();
    assert_eq!(drain(&mut posthog, 100, false).await, names(5..20));
}

#[tokio::test]
async fn reopen_resumes_each_consumer_at_its_cursor() {
    let tmp = tempfile::tempdir().unwrap();
    {
        let q = open(tmp.path(), &["a", "b"]).await;
        q.append(recs(0..10)).await.unwrap();
        let mut a = q.reader("a").unwrap();
        assert_eq!(drain(&mut a, 3, true).await, names(0..10));
        let mut b = q.reader("b").unwrap();
        let done = b.next_batch(4, SHORT).await.unwrap();
        b.commit(&done).await.unwrap();
        let read_only = b.next_batch(4, SHORT).await.unwrap();
        assert_eq!(texts(&read_only), names(4..8));
        q.close().await.unwrap();
    }
    let q = open(tmp.path(), &["a", "b"]).await;
    assert_eq!(q.stats().depth["a"], 0);
    assert_eq!(q.stats().depth["b"], 6);
    let mut a = q.reader("a").unwrap();
    assert!(drain(&mut a, 100, true).await.is_empty());
    let mut b = q.reader("b").unwrap();
    // Read but uncommitted records are delivered again; committed ones are not.
    assert_eq!(drain(&mut b, 100, true).await, names(4..10));
    // New appends continue the sequence.
    q.append(recs(10..12)).await.unwrap();
    assert_eq!(drain(&mut a, 100, true).await, names(10..12));
    assert_eq!(drain(&mut b, 100, true).await, names(10..12));
}

#[tokio::test]
async fn dropping_without_close_keeps_acknowledged_records() {
    let tmp = tempfile::tempdir().unwrap();
    {
        let q = open(tmp.path(), &["a"]).await;
        q.append(recs(0..5)).await.unwrap();
    }
    // The writer thread may still be exiting; a fresh open only needs the synced data.
    let q = open(tmp.path(), &["a"]).await;
    let mut a = q.reader("a").unwrap();
    assert_eq!(drain(&mut a, 100, false).await, names(0..5));
}

#[tokio::test]
async fn segments_roll_over_and_are_deleted_once_every_consumer_passed() {
    let tmp = tempfile::tempdir().unwrap();
    let options = QueueOptions {
        max_bytes: 1 << 20,
        segment_bytes: 256,
        ..QueueOptions::default()
    };
    let q = Queue::open(tmp.path(), options, &["a", "b"]).await.unwrap();
    for i in 0..100 {
        q.append(recs(i..i + 1)).await.unwrap();
    }
    let files = segment_files(tmp.path());
    assert!(files.len() > 5, "{} segments", files.len());
    for f in &files {
        assert!(fs::metadata(f).unwrap().len() <= 256);
    }
    assert_eq!(q.stats().bytes_on_disk, disk_bytes(tmp.path()));

    let mut a = q.reader("a").unwrap();
    assert_eq!(drain(&mut a, 7, true).await, names(0..100));
    // `b` has committed nothing: every segment stays.
    assert_eq!(segment_files(tmp.path()), files);

    let mut b = q.reader("b").unwrap();
    let half = b.next_batch(50, SHORT).await.unwrap();
    assert_eq!(texts(&half), names(0..50));
    b.commit(&half).await.unwrap();
    let after_half = segment_files(tmp.path());
    assert!(after_half.len() < files.len() && after_half.len() > 1);
    assert_eq!(q.stats().bytes_on_disk, disk_bytes(tmp.path()));

    assert_eq!(drain(&mut b, 9, true).await, names(50..100));
    // Only the active segment is left.
    assert_eq!(segment_files(tmp.path()).len(), 1);
    assert_eq!(q.stats().bytes_on_disk, disk_bytes(tmp.path()));

    // Reopening after deletions resumes correctly, and a reader that crosses segment
    // boundaries keeps order.
    q.close().await.unwrap();
    let q = Queue::open(
        tmp.path(),
        QueueOptions {
            max_bytes: 1 << 20,
            segment_bytes: 256,
            ..QueueOptions::default()
        },
        &["a", "b"],
    )
    .await
    .unwrap();
    q.append(recs(100..140)).await.unwrap();
    let mut a = q.reader("a").unwrap();
    assert_eq!(drain(&mut a, 1000, true).await, names(100..140));
}

#[tokio::test]
async fn full_when_the_cap_is_hit_and_freed_after_commit() {
    let tmp = tempfile::tempdir().unwrap();
    let options = QueueOptions {
        max_bytes: 4096,
        segment_bytes: 64 << 20,
        ..QueueOptions::default()
    };
    let q = Queue::open(tmp.path(), options.clone(), &["a"])
        .await
        .unwrap();
    let mut acked = 0;
    let full = loop {
        match q.append(recs(acked..acked + 5)).await {
            Ok(()) => acked += 5,
            Err(e) => break e,
        }
        assert!(acked < 10_000, "never full");
    };
    assert!(matches!(full, QueueError::Full), "{full}");
    assert!(q.stats().bytes_on_disk <= 4096);
    assert_eq!(q.stats().bytes_on_disk, disk_bytes(tmp.path()));
    // Nothing of the refused call was written.
    let mut a = q.reader("a").unwrap();
    let read = drain(&mut a, 1000, false).await;
    assert_eq!(read, names(0..acked));
    assert!(matches!(
        q.append(recs(acked..acked + 5)).await,
        Err(QueueError::Full)
    ));
    // Committing frees the sealed segments.
    a.rewind();
    assert_eq!(drain(&mut a, 1000, true).await, names(0..acked));
    assert!(q.stats().bytes_on_disk <= 4096 / 4 + 64);
    q.append(recs(acked..acked + 5)).await.unwrap();
    assert_eq!(drain(&mut a, 1000, true).await, names(acked..acked + 5));
}

#[tokio::test]
async fn oversized_record_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let q = open(tmp.path(), &["a"]).await;
    let big = Bytes::from(vec![b'x'; MAX_RECORD_BYTES + 1]);
    let err = q.append(vec![Bytes::from_static(b"ok"), big]).await;
    assert!(matches!(err, Err(QueueError::RecordTooLarge { .. })));
    assert_eq!(q.stats().depth["a"], 0);
    // A record bigger than the read chunk is read whole.
    let large = Bytes::from(vec![b'y'; 3 << 20]);
    q.append(vec![large.clone(), Bytes::from_static(b"after")])
        .await
        .unwrap();
    let mut a = q.reader("a").unwrap();
    let b = a.next_batch(10, SHORT).await.unwrap();
    assert_eq!(b.records, vec![large, Bytes::from_static(b"after")]);
    let one = {
        a.rewind();
        a.next_batch(1, SHORT).await.unwrap()
    };
    assert_eq!(one.len(), 1);
    assert_eq!(one.records[0].len(), 3 << 20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_appenders_are_all_read_exactly_once_in_order() {
    let tmp = tempfile::tempdir().unwrap();
    let options = QueueOptions {
        max_bytes: 1 << 30,
        segment_bytes: 64 << 10,
        ..QueueOptions::default()
    };
    let q = Queue::open(tmp.path(), options, &["a", "b"]).await.unwrap();
    let mut tasks = Vec::new();
    for t in 0..32 {
        let q = q.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..100 {
                let batch = (0..1 + i % 3)
                    .map(|k| Bytes::from(format!("{t}:{i}:{k}")))
                    .collect();
                q.append(batch).await.unwrap();
            }
        }));
    }
    // A reader draining concurrently with the appends.
    let total: usize = (0..100).map(|i| 1 + i % 3).sum::<usize>() * 32;
    let mut a = q.reader("a").unwrap();
    let reading = tokio::spawn(async move {
        let mut got = Vec::new();
        while got.len() < total {
            let b = a.next_batch(500, Duration::from_secs(10)).await.unwrap();
            assert!(!b.is_empty(), "timed out after {} records", got.len());
            got.extend(texts(&b));
            a.commit(&b).await.unwrap();
        }
        got
    });
    for t in tasks {
        t.await.unwrap();
    }
    let got_a = reading.await.unwrap();
    let mut b = q.reader("b").unwrap();
    let got_b = drain(&mut b, 333, true).await;
    assert_eq!(got_a, got_b);

    let mut expected: Vec<String> = (0..32)
        .flat_map(|t| {
            (0..100).flat_map(move |i| (0..1 + i % 3).map(move |k| format!("{t}:{i}:{k}")))
        })
        .collect();
    let mut sorted = got_a.clone();
    sorted.sort();
    expected.sort();
    assert_eq!(sorted, expected, "every record exactly once");
    // Each appender's records appear in its append order, each call contiguous.
    for t in 0..32 {
        let prefix = format!("{t}:");
        let mine: Vec<&String> = got_a.iter().filter(|s| s.starts_with(&prefix)).collect();
        let want: Vec<String> = (0..100)
            .flat_map(|i| (0..1 + i % 3).map(move |k| format!("{t}:{i}:{k}")))
            .collect();
        assert_eq!(mine, want.iter().collect::<Vec<_>>());
    }
    for w in got_a.windows(2) {
        let (t0, i0, k0) = parse3(&w[0]);
        let (t1, i1, k1) = parse3(&w[1]);
        if k1 > 0 {
            assert_eq!(
                (t0, i0, k0 + 1),
                (t1, i1, k1),
                "a call's records are contiguous"
            );
        }
    }
    assert_eq!(q.stats().depth["a"], 0);
    assert_eq!(q.stats().depth["b"], 0);
    assert_eq!(q.stats().bytes_on_disk, disk_bytes(tmp.path()));
}

fn parse3(s: &str) -> (u32, u32, u32) {
    let mut it = s.split(':').map(|p| p.parse().unwrap());
    (it.next().unwrap(), it.next().unwrap(), it.next().unwrap())
}

#[tokio::test]
async fn waiting_reader_is_woken_by_an_append() {
    let tmp = tempfile::tempdir().unwrap();
    let q = open(tmp.path(), &["a"]).await;
    let mut a = q.reader("a").unwrap();
    let waiting = tokio::spawn(async move {
        let started = std::time::Instant::now();
        let batch = a.next_batch(10, Duration::from_secs(30)).await.unwrap();
        (texts(&batch), started.elapsed())
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    q.append(recs(0..2)).await.unwrap();
    let (got, waited) = waiting.await.unwrap();
    assert_eq!(got, names(0..2));
    // Woken by the append, not by the 30 s timeout.
    assert!(waited < Duration::from_secs(10), "waited {waited:?}");
}

#[tokio::test]
async fn cancelled_next_batch_loses_no_position() {
    let tmp = tempfile::tempdir().unwrap();
    let q = open(tmp.path(), &["a"]).await;
    let mut a = q.reader("a").unwrap();
    // Cancelled while waiting.
    let _ = tokio::time::timeout(SHORT, a.next_batch(10, Duration::from_secs(30))).await;
    q.append(recs(0..3)).await.unwrap();
    assert_eq!(drain(&mut a, 10, true).await, names(0..3));
}

#[tokio::test]
async fn consumers_added_and_removed_between_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let options = QueueOptions {
        max_bytes: 1 << 20,
        segment_bytes: 256,
        ..QueueOptions::default()
    };
    {
        let q = Queue::open(tmp.path(), options.clone(), &["a", "b"])
            .await
            .unwrap();
        q.append(recs(0..50)).await.unwrap();
        let mut b = q.reader("b").unwrap();
        let first = b.next_batch(5, SHORT).await.unwrap();
        b.commit(&first).await.unwrap();
        q.close().await.unwrap();
    }
    // `b` is not configured this run: its cursor is kept but holds nothing back.
    {
        let q = Queue::open(tmp.path(), options.clone(), &["a"])
            .await
            .unwrap();
        assert_eq!(q.stats().depth.keys().collect::<Vec<_>>(), ["a"]);
        assert!(matches!(q.reader("b"), Err(QueueError::UnknownConsumer(_))));
        let mut a = q.reader("a").unwrap();
        assert_eq!(drain(&mut a, 100, true).await, names(0..50));
        assert_eq!(segment_files(tmp.path()).len(), 1);
        q.append(recs(50..53)).await.unwrap();
        q.close().await.unwrap();
    }
    assert!(tmp.path().join("b.cursor").exists());
    // Back again, `b` resumes at the oldest record left; new `c` starts there too.
    let q = Queue::open(tmp.path(), options, &["a", "b", "c"])
        .await
        .unwrap();
    let mut b = q.reader("b").unwrap();
    let from_b = drain(&mut b, 100, true).await;
    assert_eq!(from_b.last().map(String::as_str), Some("event-52"));
    let mut c = q.reader("c").unwrap();
    assert_eq!(drain(&mut c, 100, true).await, from_b);
}

#[tokio::test]
async fn invalid_consumer_names_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    for bad in ["", "../x", "a/b", "a.cursor", &"x".repeat(65)] {
        let err = Queue::open(tmp.path(), QueueOptions::default(), &[bad]).await;
        assert!(
            matches!(err, Err(QueueError::InvalidConsumer(_))),
            "{bad:?}"
        );
    }
}

/// Env var telling [`crash_child`] where its queue is.
const CRASH_DIR: &str = "HUSH_QUEUE_CRASH_CHILD_DIR";

/// Not a test on its own: the child process of
/// [`acknowledged_records_survive_kill_9`], which appends until killed, printing each
/// acknowledged count.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "child process of acknowledged_records_survive_kill_9"]
async fn crash_child() {
    let Some(dir) = std::env::var_os(CRASH_DIR) else {
        return;
    };
    let options = QueueOptions {
        max_bytes: 1 << 30,
        segment_bytes: 16 << 10,
        ..QueueOptions::default()
    };
    let q = Queue::open(Path::new(&dir), options, &["a"]).await.unwrap();
    let pid = std::process::id();
    // Several concurrent appenders so that kills land inside group commits.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    for t in 0..4 {
        let q = q.clone();
        let tx = tx.clone();
        tokio::spawn(async move {
            for i in 0.. {
                let rec = format!("{pid}:{t}:{i}");
                q.append(vec![Bytes::from(rec.clone())]).await.unwrap();
                if tx.send(rec).is_err() {
                    return;
                }
            }
        });
    }
    drop(tx);
    let mut out = std::io::stdout().lock();
    while let Some(acked) = rx.recv().await {
        writeln!(out, "acked {acked}").unwrap();
        out.flush().unwrap();
    }
}

#[test]
fn acknowledged_records_survive_kill_9() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let tmp = tempfile::tempdir().unwrap();
    for round in 0..3 {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "queue::tests::crash_child",
                "--ignored",
                "--nocapture",
            ])
            .args(["--test-threads", "1"])
            .env(CRASH_DIR, tmp.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut acked = Vec::new();
        while acked.len() < 300 * (round + 1) {
            let line = lines.next().expect("child stopped early").unwrap();
            if let Some(rec) = line.strip_prefix("acked ") {
                acked.push(rec.to_string());
            }
        }
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        for line in lines {
            if let Some(rec) = line.unwrap().strip_prefix("acked ") {
                acked.push(rec.to_string());
            }
        }

        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let all = rt.block_on(async {
            let q = Queue::open(
                tmp.path(),
                QueueOptions {
                    max_bytes: 1 << 30,
                    segment_bytes: 16 << 10,
                    ..QueueOptions::default()
                },
                &["a"],
            )
            .await
            .unwrap();
            let mut a = q.reader("a").unwrap();
            let all = drain(&mut a, 10_000, false).await;
            q.close().await.unwrap();
            all
        });
        let present: std::collections::HashSet<&String> = all.iter().collect();
        assert_eq!(present.len(), all.len(), "no record twice");
        for rec in &acked {
            assert!(
                present.contains(rec),
                "acknowledged {rec} lost in round {round}"
            );
        }
    }
}

//! Queue tests of failing writes (a file that answers ENOSPC) and of per-producer shares.

use super::*;
use bytes::Bytes;
use std::fs::OpenOptions;
use std::time::{Duration, Instant};

const SHORT: Duration = Duration::from_millis(20);

fn recs(tag: &str, n: usize) -> Vec<Bytes> {
    (0..n).map(|i| Bytes::from(format!("{tag}-{i}"))).collect()
}

async fn read_all(reader: &mut QueueReader) -> Vec<String> {
    let mut out = Vec::new();
    loop {
        let batch = reader.next_batch(1000, SHORT).await.unwrap();
        if batch.is_empty() {
            return out;
        }
        out.extend(
            batch
                .records
                .iter()
                .map(|r| String::from_utf8(r.to_vec()).unwrap()),
        );
        reader.commit(&batch).await.unwrap();
    }
}

async fn until_healed(q: &Queue) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while q.unavailable_reason().is_some() {
        assert!(Instant::now() < deadline, "the queue did not heal");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_failed_write_stores_nothing_and_the_queue_heals_without_a_restart() {
    let tmp = tempfile::tempdir().unwrap();
    // Every write to /dev/full fails with ENOSPC, as on a full disk.
    let full = OpenOptions::new().write(true).open("/dev/full").unwrap();
    let q = Queue::open_writing_to(tmp.path(), QueueOptions::default(), &["a"], full)
        .await
        .unwrap();
    let err = q.append(recs("lost", 3)).await.unwrap_err();
    assert!(
        matches!(&err, QueueError::Unavailable { reason } if reason.contains("No space left")),
        "{err:?}"
    );
    // Nothing of the refused batch is readable, before or after the queue heals.
    let mut reader = q.reader("a").unwrap();
    assert!(read_all(&mut reader).await.is_empty());
    assert_eq!(q.stats().depth["a"], 0);
    until_healed(&q).await;
    q.append(recs("kept", 2)).await.unwrap();
    assert_eq!(read_all(&mut reader).await, ["kept-0", "kept-1"]);
    assert_eq!(q.stats().depth["a"], 0);
    q.close().await.unwrap();

    // After a restart the failed batch is still absent and the good one still there.
    let q = Queue::open(tmp.path(), QueueOptions::default(), &["b"])
        .await
        .unwrap();
    let mut reader = q.reader("b").unwrap();
    assert_eq!(read_all(&mut reader).await, ["kept-0", "kept-1"]);
}

#[tokio::test]
async fn a_producer_at_its_share_is_refused_while_others_are_accepted() {
    let tmp = tempfile::tempdir().unwrap();
    let options = QueueOptions {
        max_bytes: 64 << 10,
        segment_bytes: 1024,
        max_owner_bytes: Some(8 << 10),
    };
    let q = Queue::open(tmp.path(), options, &["sink"]).await.unwrap();
    let payload = |i: usize| vec![Bytes::from(format!("{i:0>200}"))];
    let mut taken = 0;
    let refused = loop {
        match q.append_as("noisy", payload(taken)).await {
            Ok(()) => taken += 1,
            Err(e) => break e,
        }
        assert!(taken < 1000, "the share never filled");
    };
    assert!(matches!(refused, QueueError::ShareFull), "{refused:?}");
    // About its share: 8 KiB of ~210-byte frames (plus segment headers).
    assert!(
        (30..=40).contains(&taken),
        "{taken} appends before the share filled"
    );
    // Another producer is still accepted, and so are appends on nobody's behalf.
    q.append_as("quiet", payload(0)).await.unwrap();
    q.append(payload(1)).await.unwrap();
    // Once the sink drains the queue, the sealed segments are freed with their charges.
    let mut reader = q.reader("sink").unwrap();
    assert_eq!(read_all(&mut reader).await.len(), taken + 2);
    q.append_as("noisy", payload(0)).await.unwrap();
}

#[tokio::test]
async fn a_scan_from_outside_sees_only_what_some_consumer_has_not_committed() {
    let tmp = tempfile::tempdir().unwrap();
    let q = Queue::open(tmp.path(), QueueOptions::default(), &["a", "b"])
        .await
        .unwrap();
    q.append(recs("e", 5)).await.unwrap();
    let mut a = q.reader("a").unwrap();
    assert_eq!(read_all(&mut a).await.len(), 5);
    let mut b = q.reader("b").unwrap();
    let first = b.next_batch(2, SHORT).await.unwrap();
    b.commit(&first).await.unwrap();
    let pending = |consumers: &'static [&'static str]| {
        let mut seen = Vec::new();
        let n = for_each_pending_record(tmp.path(), consumers, |r| {
            seen.push(String::from_utf8(r.to_vec()).unwrap());
        })
        .unwrap();
        assert_eq!(n as usize, seen.len());
        seen
    };
    assert_eq!(pending(&["a", "b"]), ["e-2", "e-3", "e-4"]);
    assert!(pending(&["a"]).is_empty());
    assert_eq!(
        pending(&["a", "new"]).len(),
        5,
        "no cursor: nothing committed"
    );
}

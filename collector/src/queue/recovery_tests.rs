//! Queue recovery tests: torn tails cut at open, corrupt cursors and sealed segments
//! reported, never skipped.

use super::format::{segment_file_name, HEADER_LEN};
use super::tests::{drain, names, open, recs, segment_files, texts, SHORT};
use super::*;
use std::fs;
use std::io::Write;

async fn torn_tail_case(garbage: &[u8]) {
    let tmp = tempfile::tempdir().unwrap();
    {
        let q = open(tmp.path(), &["a"]).await;
        q.append(recs(0..5)).await.unwrap();
        q.close().await.unwrap();
    }
    let last = segment_files(tmp.path()).pop().unwrap();
    let good_len = fs::metadata(&last).unwrap().len();
    fs::OpenOptions::new()
        .append(true)
        .open(&last)
        .unwrap()
        .write_all(garbage)
        .unwrap();

    let q = open(tmp.path(), &["a"]).await;
    assert_eq!(fs::metadata(&last).unwrap().len(), good_len);
    assert_eq!(q.stats().bytes_on_disk, good_len);
    let mut a = q.reader("a").unwrap();
    assert_eq!(drain(&mut a, 100, true).await, names(0..5));
    q.append(recs(5..7)).await.unwrap();
    assert_eq!(drain(&mut a, 100, true).await, names(5..7));
    q.close().await.unwrap();
    let q = open(tmp.path(), &["a"]).await;
    assert_eq!(q.stats().depth["a"], 0);
}

#[tokio::test]
async fn torn_tail_partial_frame_is_cut() {
    // A frame header announcing 100 bytes, followed by only 10.
    let mut partial = 100u32.to_le_bytes().to_vec();
    partial.extend_from_slice(&[7; 4]);
    partial.extend_from_slice(&[b'x'; 10]);
    torn_tail_case(&partial).await;
}

#[tokio::test]
async fn torn_tail_bad_crc_is_cut() {
    let mut frame = Vec::new();
    super::format::encode_record(&mut frame, b"event-5");
    let n = frame.len();
    frame[n - 1] ^= 0xff;
    torn_tail_case(&frame).await;
}

#[tokio::test]
async fn torn_tail_garbage_and_zeroes_are_cut() {
    torn_tail_case(&[0xff; 3]).await;
    torn_tail_case(&[0; 4096]).await;
    torn_tail_case(&[0xff; 37]).await;
}

#[tokio::test]
async fn a_last_segment_whose_creation_never_finished_is_removed() {
    let tmp = tempfile::tempdir().unwrap();
    {
        let q = open(tmp.path(), &["a"]).await;
        q.append(recs(0..3)).await.unwrap();
        q.close().await.unwrap();
    }
    // A crash while creating segment 3: the file exists with a partial header.
    fs::write(tmp.path().join(segment_file_name(3)), b"HUSH").unwrap();
    let q = open(tmp.path(), &["a"]).await;
    // Removed, not rewritten (rewriting could fail on the full disk that stopped it).
    assert!(!tmp.path().join(segment_file_name(3)).exists());
    q.append(recs(3..5)).await.unwrap();
    let mut a = q.reader("a").unwrap();
    assert_eq!(drain(&mut a, 100, true).await, names(0..5));
}

#[tokio::test]
async fn corrupt_cursor_file_is_reported_with_its_path() {
    let tmp = tempfile::tempdir().unwrap();
    open(tmp.path(), &["a"]).await.close().await.unwrap();
    fs::write(tmp.path().join("a.cursor"), b"{not json").unwrap();
    let err = Queue::open(tmp.path(), QueueOptions::default(), &["a"])
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("a.cursor"), "{msg}");
    assert!(matches!(err, QueueError::Corrupt { offset: 0, .. }));
}

#[tokio::test]
async fn corruption_in_a_sealed_segment_is_an_error_not_a_skip() {
    let tmp = tempfile::tempdir().unwrap();
    let options = QueueOptions {
        max_bytes: 1 << 20,
        segment_bytes: 256,
        ..QueueOptions::default()
    };
    {
        let q = Queue::open(tmp.path(), options.clone(), &["a"])
            .await
            .unwrap();
        for i in 0..30 {
            q.append(recs(i..i + 1)).await.unwrap();
        }
        q.close().await.unwrap();
    }
    let first = &segment_files(tmp.path())[0];
    let mut bytes = fs::read(first).unwrap();
    // Flip a payload byte of the second record.
    let second = HEADER_LEN as usize + 8 + "event-0".len() + 8;
    bytes[second] ^= 0x20;
    fs::write(first, bytes).unwrap();
    let q = Queue::open(tmp.path(), options, &["a"]).await.unwrap();
    let mut a = q.reader("a").unwrap();
    let b = a.next_batch(100, SHORT).await.unwrap();
    assert_eq!(texts(&b), names(0..1));
    let err = a.next_batch(100, SHORT).await.unwrap_err();
    assert!(matches!(err, QueueError::Corrupt { .. }), "{err}");
}

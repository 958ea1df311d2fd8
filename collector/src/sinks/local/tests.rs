//! Local sink tests: day files, erase, replays, torn lines.

use super::*;
use crate::stored_event::{tag_of, uuid_of};
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;

fn stored(uuid: &str, received_at: &str) -> StoredEvent {
    StoredEvent::for_test(
        "acme",
        received_at,
        json!({
            "event": "cli_command",
            "distinct_id": "h:abc",
            "uuid": uuid_of(uuid),
            "timestamp": "2025-01-02T03:04:05Z",
            "properties": {"command": "build"}
        }),
    )
}

fn lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test]
async fn writes_day_files_and_appends_valid_json_lines() {
    let tmp = tempfile::tempdir().unwrap();
    let sink = LocalSink::new(tmp.path()).unwrap();
    sink.deliver(&[
        stored("u1", "2025-01-02T23:59:59Z"),
        stored("u2", "2025-01-03T00:00:00Z"),
        // An offset is converted to UTC: this is 2025-01-02 22:30 UTC.
        stored("u3", "2025-01-03T00:30:00+02:00"),
    ])
    .await
    .unwrap();
    sink.deliver(&[stored("u4", "2025-01-02T12:00:00Z")])
        .await
        .unwrap();

    let day2 = tmp.path().join("events/2025-01-02.jsonl");
    let day3 = tmp.path().join("events/2025-01-03.jsonl");
    let uuids = |path: &Path| -> Vec<String> {
        lines(path)
            .iter()
            .map(|l| tag_of(l["uuid"].as_str().unwrap()))
            .collect()
    };
    assert_eq!(uuids(&day2), ["u1", "u3", "u4"]);
    assert_eq!(uuids(&day3), ["u2"]);

    let first = &lines(&day2)[0];
    assert_eq!(first["tenant"], "acme");
    assert_eq!(first["received_at"], "2025-01-02T23:59:59Z");
    assert_eq!(first["event"], "cli_command");
    assert_eq!(first["distinct_id"], "h:abc");
    assert_eq!(first["properties"]["command"], "build");
    assert_eq!(
        std::fs::read_dir(tmp.path().join("events"))
            .unwrap()
            .count(),
        2
    );
}

#[tokio::test]
async fn unwritable_directory_is_a_retryable_error() {
    let tmp = tempfile::tempdir().unwrap();
    let sink = LocalSink::new(tmp.path()).unwrap();
    // Replace the events directory by a file: every open below it fails.
    std::fs::remove_dir(sink.dir()).unwrap();
    std::fs::write(sink.dir(), b"not a dir").unwrap();
    let err = sink
        .deliver(&[stored("u1", "2025-01-02T00:00:00Z")])
        .await
        .unwrap_err();
    assert!(matches!(err, DeliveryError::Retryable { .. }), "{err:?}");
}

fn stored_for(tenant: &str, id: &str, uuid: &str, received_at: &str) -> StoredEvent {
    let mut event = stored(uuid, received_at);
    event.tenant = tenant.into();
    event.distinct_id = id.into();
    event
}

fn all_uuids(sink: &LocalSink) -> Vec<String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(sink.dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
        .iter()
        .flat_map(|f| lines(f))
        .map(|l| tag_of(l["uuid"].as_str().unwrap()))
        .collect()
}

#[tokio::test]
async fn erase_removes_one_persons_lines_of_one_tenant_only() {
    let tmp = tempfile::tempdir().unwrap();
    let sink = LocalSink::new(tmp.path()).unwrap();
    sink.deliver(&[
        stored_for("acme", "h:ann", "u1", "2025-01-02T01:00:00Z"),
        stored_for("acme", "h:bob", "u2", "2025-01-02T02:00:00Z"),
        stored_for("other", "h:ann", "u3", "2025-01-02T03:00:00Z"),
        stored_for("acme", "h:ann", "u4", "2025-01-03T01:00:00Z"),
        stored_for("acme", "h:bob", "u5", "2025-01-04T01:00:00Z"),
    ])
    .await
    .unwrap();
    let day4 = sink.dir().join("2025-01-04.jsonl");
    let day4_before = std::fs::metadata(&day4).unwrap().modified().unwrap();

    assert_eq!(sink.erase_distinct_id("acme", "h:ann").unwrap().removed, 2);
    assert_eq!(all_uuids(&sink), ["u2", "u3", "u5"]);
    // Files without a matching line are not rewritten; no temporary file is left.
    assert_eq!(
        std::fs::metadata(&day4).unwrap().modified().unwrap(),
        day4_before
    );
    assert_eq!(std::fs::read_dir(sink.dir()).unwrap().count(), 3);
    // Erasing again, or an unknown id, removes nothing.
    assert_eq!(sink.erase_distinct_id("acme", "h:ann").unwrap().removed, 0);
    assert_eq!(
        sink.erase_distinct_id("acme", "h:nobody").unwrap().removed,
        0
    );
    assert_eq!(all_uuids(&sink), ["u2", "u3", "u5"]);
    // Appends after an erase land in the rewritten file.
    sink.deliver(&[stored_for("acme", "h:cy", "u6", "2025-01-02T05:00:00Z")])
        .await
        .unwrap();
    assert_eq!(all_uuids(&sink), ["u2", "u3", "u6", "u5"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn erase_beside_running_appends_loses_no_other_line() {
    let tmp = tempfile::tempdir().unwrap();
    let sink = LocalSink::new(tmp.path()).unwrap();
    let writer = {
        let sink = sink.clone();
        tokio::spawn(async move {
            for i in 0..400 {
                // Every fourth event is the person being erased.
                let id = if i % 4 == 0 { "h:gone" } else { "h:stays" };
                let event = stored_for("acme", id, &format!("u{i}"), "2025-01-02T01:00:00Z");
                sink.deliver(&[event]).await.unwrap();
            }
        })
    };
    let mut erased = 0;
    while !writer.is_finished() {
        let sink = sink.clone();
        erased += tokio::task::spawn_blocking(move || sink.erase_distinct_id("acme", "h:gone"))
            .await
            .unwrap()
            .unwrap()
            .removed;
    }
    writer.await.unwrap();
    erased += sink.erase_distinct_id("acme", "h:gone").unwrap().removed;
    let want: Vec<String> = (0..400)
        .filter(|i| i % 4 != 0)
        .map(|i| format!("u{i}"))
        .collect();
    assert_eq!(all_uuids(&sink), want, "every other line kept, in order");
    assert_eq!(erased, 100);
}

#[tokio::test]
async fn a_line_torn_by_a_crash_is_cut_before_the_next_append() {
    let tmp = tempfile::tempdir().unwrap();
    let sink = LocalSink::new(tmp.path()).unwrap();
    sink.deliver(&[stored("u1", "2025-01-02T01:00:00Z")])
        .await
        .unwrap();
    let day = sink.dir().join("2025-01-02.jsonl");
    // A crash in the middle of the next write: half a line, no newline.
    let mut file = OpenOptions::new().append(true).open(&day).unwrap();
    file.write_all(br#"{"event":"cli_command","distinct_id":"h:abc","uu"#)
        .unwrap();
    drop(file);
    // The replay after the restart, in a new process.
    let restarted = LocalSink::new(tmp.path()).unwrap();
    restarted
        .deliver(&[stored("u2", "2025-01-02T01:00:01Z")])
        .await
        .unwrap();
    let text = std::fs::read_to_string(&day).unwrap();
    assert!(text.ends_with('\n'));
    assert_eq!(all_uuids(&restarted), ["u1", "u2"], "{text}");
}

#[tokio::test]
async fn a_replayed_batch_is_written_once_even_by_a_new_process() {
    let tmp = tempfile::tempdir().unwrap();
    let batch = [
        stored("u1", "2025-01-02T01:00:00Z"),
        stored("u2", "2025-01-02T01:00:00Z"),
        stored("u3", "2025-01-03T01:00:00Z"),
    ];
    let sink = LocalSink::new(tmp.path()).unwrap();
    assert_eq!(sink.deliver(&batch).await.unwrap(), Delivered::all());
    // Delivered again (the queue commit was lost in a crash), by this process...
    let again = sink.deliver(&batch[..2]).await.unwrap();
    assert_eq!(again.refused, [(DropReason::Duplicate, 2)]);
    // ...and by the next one, which learns what is on disk from the files' tails.
    let restarted = LocalSink::new(tmp.path()).unwrap();
    let replay = restarted
        .deliver(&[batch[2].clone(), stored("u4", "2025-01-03T02:00:00Z")])
        .await
        .unwrap();
    assert_eq!(replay.refused, [(DropReason::Duplicate, 1)]);
    assert_eq!(all_uuids(&restarted), ["u1", "u2", "u3", "u4"]);
    // The same uuid of another tenant is another event.
    let other = stored_for("other", "h:abc", "u1", "2025-01-02T01:00:00Z");
    assert_eq!(restarted.deliver(&[other]).await.unwrap(), Delivered::all());
}

#[tokio::test]
async fn events_erased_after_they_were_queued_are_not_written() {
    let tmp = tempfile::tempdir().unwrap();
    let erasures = Arc::new(Erasures::new(tmp.path()));
    let sink = LocalSink::new(tmp.path())
        .unwrap()
        .with_erasures(erasures.clone());
    let cutoff = time::OffsetDateTime::parse("2025-01-02T12:00:00Z", &Rfc3339).unwrap();
    erasures.record("acme", "h:ann", cutoff).unwrap();
    let done = sink
        .deliver(&[
            stored_for("acme", "h:ann", "u1", "2025-01-02T01:00:00Z"),
            stored_for("acme", "h:bob", "u2", "2025-01-02T01:00:00Z"),
            // Sent after the erase: kept.
            stored_for("acme", "h:ann", "u3", "2025-01-02T13:00:00Z"),
        ])
        .await
        .unwrap();
    assert_eq!(done.refused, [(DropReason::Erased, 1)]);
    assert_eq!(all_uuids(&sink), ["u2", "u3"]);
}

#[tokio::test]
async fn erase_removes_a_torn_line_holding_the_id_and_reports_other_unreadable_lines() {
    let tmp = tempfile::tempdir().unwrap();
    let sink = LocalSink::new(tmp.path()).unwrap();
    sink.deliver(&[stored_for("acme", "h:ann", "u1", "2025-01-02T01:00:00Z")])
        .await
        .unwrap();
    let day = sink.dir().join("2025-01-02.jsonl");
    let mut file = OpenOptions::new().append(true).open(&day).unwrap();
    file.write_all(b"{\"event\":\"x\",\"distinct_id\":\"h:ann\",\"prop\n")
        .unwrap();
    file.write_all(b"not json at all\n").unwrap();
    drop(file);
    let erased = sink.erase_distinct_id("acme", "h:ann").unwrap();
    assert_eq!(
        erased,
        Erased {
            removed: 2,
            unreadable_kept: 1
        }
    );
    assert_eq!(std::fs::read_to_string(&day).unwrap(), "not json at all\n");
}

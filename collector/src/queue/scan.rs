//! Reading every record still on disk, from outside the process that owns the queue
//! (`hush-collector erase` counting what a person still has queued).

use super::cursor;
use super::error::QueueError;
use super::format::{decode_record, parse_segment_file_name, Decoded, HEADER_LEN};
use std::path::Path;

/// Calls `f` with every record in the segments of `dir` that one of `consumers` has not
/// committed yet (a consumer without a cursor has committed nothing), oldest first, and
/// returns how many there were. Read-only and safe beside a running queue: each segment is
/// read up to its first incomplete or bad frame (the tail being written). A missing
/// directory holds no records.
///
/// # Errors
/// [`QueueError::Io`] if the directory, a cursor or a segment cannot be read;
/// [`QueueError::Corrupt`] for a cursor file that does not parse.
pub fn for_each_pending_record(
    dir: &Path,
    consumers: &[&str],
    mut f: impl FnMut(&[u8]),
) -> Result<u64, QueueError> {
    if !dir.exists() {
        return Ok(0);
    }
    let mut from = u64::MAX;
    for &consumer in consumers {
        from = from.min(cursor::load(dir, consumer)?.map_or(0, |p| p.seq));
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(QueueError::io(dir, e)),
    };
    let mut bases = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| QueueError::io(dir, e))?;
        if let Some(base) = entry.file_name().to_str().and_then(parse_segment_file_name) {
            bases.push((base, entry.path()));
        }
    }
    bases.sort_unstable();
    let mut count = 0;
    for (base, path) in bases {
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            // Freed by the queue between the listing and the read: nothing left there.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(QueueError::io(&path, e)),
        };
        let mut at = HEADER_LEN as usize;
        // A segment is named after the sequence number of its first record.
        let mut seq = base;
        while at < bytes.len() {
            match decode_record(&bytes[at..]) {
                Decoded::Record { payload, len } => {
                    if seq >= from {
                        f(&bytes[at + payload.start..at + payload.end]);
                        count += 1;
                    }
                    seq += 1;
                    at += len;
                }
                Decoded::Incomplete { .. } | Decoded::Bad => break,
            }
        }
    }
    Ok(count)
}

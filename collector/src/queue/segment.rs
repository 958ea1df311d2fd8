//! Segment files: creating them durably, listing them, and recovering after a crash.

use super::error::QueueError;
use super::format::{
    decode_record, header_is_valid, parse_segment_file_name, segment_file_name, segment_header,
    Decoded, FRAME_LEN, HEADER_LEN, MAX_RECORD_BYTES,
};
use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};

/// The path of segment `base` in `dir`.
pub(crate) fn segment_path(dir: &Path, base: u64) -> PathBuf {
    dir.join(segment_file_name(base))
}

/// Makes `dir`'s entries (new, renamed or removed files) durable. A no-op where
/// directories cannot be opened (Windows).
pub(crate) fn sync_dir(dir: &Path) -> Result<(), QueueError> {
    #[cfg(unix)]
    {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| QueueError::io(dir, e))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Creates segment `base` with its header, synced, and syncs the directory so the file
/// survives a crash. Returns the file opened for appending.
pub(crate) fn create(dir: &Path, base: u64) -> Result<File, QueueError> {
    let path = segment_path(dir, base);
    let mut file = OpenOptions::new()
        .append(true)
        .create_new(true)
        .open(&path)
        .map_err(|e| QueueError::io(&path, e))?;
    file.write_all(&segment_header(base))
        .and_then(|()| file.sync_all())
        .map_err(|e| QueueError::io(&path, e))?;
    sync_dir(dir)?;
    Ok(file)
}

/// What [`recover`] found in the queue directory.
#[derive(Debug)]
pub(crate) struct Recovered {
    /// Every segment, base → length in bytes. The last one is the active one.
    pub segments: BTreeMap<u64, u64>,
    /// Base of the active (last) segment.
    pub active: u64,
    /// Sequence number the next appended record gets.
    pub next_seq: u64,
}

/// Lists the segments in `dir`, checks every header, and repairs the last segment: a torn
/// or corrupt tail (anything after the last record whose length and CRC check out) is cut
/// off and the cut synced. Creates segment 0 in an empty directory.
pub(crate) fn recover(dir: &Path) -> Result<Recovered, QueueError> {
    let mut bases = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| QueueError::io(dir, e))? {
        let entry = entry.map_err(|e| QueueError::io(dir, e))?;
        if let Some(base) = entry.file_name().to_str().and_then(parse_segment_file_name) {
            bases.push(base);
        }
    }
    bases.sort_unstable();
    // A last segment shorter than its header was being created when the process stopped
    // (a roll that failed or was cut short): nothing was ever written to it. With an
    // earlier segment to go on with, it is removed rather than rewritten, so a full disk
    // cannot stop the queue from opening.
    if let [.., _, last] = bases[..] {
        let path = segment_path(dir, last);
        let len = fs::metadata(&path)
            .map_err(|e| QueueError::io(&path, e))?
            .len();
        if len < HEADER_LEN {
            tracing::warn!(path = %path.display(), "removing a queue segment whose creation never finished");
            fs::remove_file(&path).map_err(|e| QueueError::io(&path, e))?;
            sync_dir(dir)?;
            bases.pop();
        }
    }
    let Some((&last, sealed)) = bases.split_last() else {
        create(dir, 0)?;
        return Ok(Recovered {
            segments: BTreeMap::from([(0, HEADER_LEN)]),
            active: 0,
            next_seq: 0,
        });
    };
    let mut segments = BTreeMap::new();
    for &base in sealed {
        segments.insert(base, check_sealed(dir, base)?);
    }
    let (len, count) = repair_last(dir, last)?;
    segments.insert(last, len);
    Ok(Recovered {
        segments,
        active: last,
        next_seq: last + count,
    })
}

/// Checks a sealed segment's header; returns its length. Its records are checked by
/// readers as they read them.
fn check_sealed(dir: &Path, base: u64) -> Result<u64, QueueError> {
    let path = segment_path(dir, base);
    let mut file = File::open(&path).map_err(|e| QueueError::io(&path, e))?;
    let len = file.metadata().map_err(|e| QueueError::io(&path, e))?.len();
    let mut header = [0; HEADER_LEN as usize];
    if len < HEADER_LEN {
        return Err(QueueError::Corrupt { path, offset: 0 });
    }
    file.read_exact(&mut header)
        .map_err(|e| QueueError::io(&path, e))?;
    if !header_is_valid(&header, base) {
        return Err(QueueError::Corrupt { path, offset: 0 });
    }
    Ok(len)
}

/// Scans the last segment, cuts off a torn tail, and returns its repaired length and its
/// number of records.
fn repair_last(dir: &Path, base: u64) -> Result<(u64, u64), QueueError> {
    let path = segment_path(dir, base);
    let io_err = |e| QueueError::io(&path, e);
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .map_err(io_err)?;
    let file_len = file.metadata().map_err(io_err)?.len();
    let mut header = [0; HEADER_LEN as usize];
    let header_ok = file_len >= HEADER_LEN
        && file.read_exact(&mut header).is_ok()
        && header_is_valid(&header, base);
    if !header_ok {
        if file_len > HEADER_LEN {
            return Err(QueueError::Corrupt { path, offset: 0 });
        }
        // A crash while the segment was being created: nothing was ever written to it.
        tracing::warn!(path = %path.display(), "rewriting the torn header of the last queue segment");
        file.set_len(0).map_err(io_err)?;
        let mut append = OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(io_err)?;
        append
            .write_all(&segment_header(base))
            .and_then(|()| append.sync_all())
            .map_err(io_err)?;
        return Ok((HEADER_LEN, 0));
    }

    let mut reader = BufReader::with_capacity(1 << 20, &file);
    let mut good = HEADER_LEN;
    let mut count = 0;
    let mut frame = Vec::new();
    loop {
        let remaining = file_len - good;
        if remaining == 0 {
            break;
        }
        if remaining < FRAME_LEN {
            break;
        }
        frame.resize(FRAME_LEN as usize, 0);
        reader.read_exact(&mut frame).map_err(io_err)?;
        let len = u64::from(u32::from_le_bytes([frame[0], frame[1], frame[2], frame[3]]));
        if len > MAX_RECORD_BYTES as u64 || len > remaining - FRAME_LEN {
            break;
        }
        frame.resize((FRAME_LEN + len) as usize, 0);
        reader
            .read_exact(&mut frame[FRAME_LEN as usize..])
            .map_err(io_err)?;
        match decode_record(&frame) {
            Decoded::Record { len, .. } => {
                good += len as u64;
                count += 1;
            }
            Decoded::Incomplete { .. } | Decoded::Bad => break,
        }
    }
    drop(reader);
    if good < file_len {
        tracing::warn!(
            path = %path.display(),
            offset = good,
            dropped_bytes = file_len - good,
            "cutting the torn tail off the last queue segment (never acknowledged)"
        );
        file.set_len(good)
            .and_then(|()| file.sync_all())
            .map_err(io_err)?;
    }
    Ok((good, count))
}

/// Reads `len` bytes at `offset` of a segment. A short file is corruption: segment
/// lengths are only published once the bytes are synced.
pub(crate) fn read_at(
    file: &mut File,
    path: &Path,
    offset: u64,
    len: usize,
) -> Result<bytes::Bytes, QueueError> {
    use std::io::{Seek, SeekFrom};
    let mut buf = vec![0; len];
    file.seek(SeekFrom::Start(offset))
        .and_then(|_| file.read_exact(&mut buf))
        .map_err(|e| match e.kind() {
            io::ErrorKind::UnexpectedEof => QueueError::Corrupt {
                path: path.to_path_buf(),
                offset,
            },
            _ => QueueError::io(path, e),
        })?;
    Ok(buf.into())
}

//! The bytes on disk: segment file names, segment headers and record frames.
//!
//! A segment file is named after the sequence number of its first record,
//! `{seq:020}.log`, and starts with a 16-byte header: the magic `HUSHLOG1` then that same
//! sequence number (u64, little-endian). Records follow back to back, each framed as
//! `len: u32 LE | crc: u32 LE | payload`, where `crc` is the CRC-32 (IEEE) of the four
//! length bytes followed by the payload, so a torn length is caught as surely as a torn
//! payload.

use std::ops::Range;

/// Bytes of a segment header.
pub(crate) const HEADER_LEN: u64 = 16;
/// Bytes of a record frame's header (length and CRC).
pub(crate) const FRAME_LEN: u64 = 8;
/// Largest record payload the queue accepts (64 MiB).
pub const MAX_RECORD_BYTES: usize = 64 << 20;

const MAGIC: [u8; 8] = *b"HUSHLOG1";

/// The file name of the segment whose first record is `base`.
pub(crate) fn segment_file_name(base: u64) -> String {
    format!("{base:020}.log")
}

/// The base sequence number in a segment file name, or `None` for any other file.
pub(crate) fn parse_segment_file_name(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(".log")?;
    if digits.len() != 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The header of the segment whose first record is `base`.
pub(crate) fn segment_header(base: u64) -> [u8; HEADER_LEN as usize] {
    let mut header = [0; HEADER_LEN as usize];
    header[..8].copy_from_slice(&MAGIC);
    header[8..].copy_from_slice(&base.to_le_bytes());
    header
}

/// Whether `header` is a valid header for the segment `base`.
pub(crate) fn header_is_valid(header: &[u8], base: u64) -> bool {
    header == segment_header(base)
}

fn frame_crc(len: [u8; 4], payload: &[u8]) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(&len);
    hasher.update(payload);
    hasher.finalize()
}

/// Bytes `payload` takes on disk, framed.
pub(crate) fn framed_len(payload: &[u8]) -> u64 {
    FRAME_LEN + payload.len() as u64
}

/// Appends `payload`, framed, to `buf`. The caller has checked it against
/// [`MAX_RECORD_BYTES`].
pub(crate) fn encode_record(buf: &mut Vec<u8>, payload: &[u8]) {
    debug_assert!(payload.len() <= MAX_RECORD_BYTES);
    let len = (payload.len() as u32).to_le_bytes();
    buf.extend_from_slice(&len);
    buf.extend_from_slice(&frame_crc(len, payload).to_le_bytes());
    buf.extend_from_slice(payload);
}

/// What [`decode_record`] found at the start of a buffer.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Decoded {
    /// A whole, valid record: its payload's range in the buffer, and the frame's length.
    Record {
        /// Where the payload is.
        payload: Range<usize>,
        /// Bytes of the whole frame.
        len: usize,
    },
    /// The buffer ends inside the frame; the frame needs at least `needed` bytes.
    Incomplete {
        /// Bytes needed from the frame start.
        needed: usize,
    },
    /// Not a valid frame: impossible length or CRC mismatch.
    Bad,
}

/// Decodes the frame at the start of `buf`.
pub(crate) fn decode_record(buf: &[u8]) -> Decoded {
    const FRAME: usize = FRAME_LEN as usize;
    if buf.len() < FRAME {
        return Decoded::Incomplete { needed: FRAME };
    }
    let len_bytes = [buf[0], buf[1], buf[2], buf[3]];
    let len = u32::from_le_bytes(len_bytes) as usize;
    if len > MAX_RECORD_BYTES {
        return Decoded::Bad;
    }
    let crc = u32::from_le_bytes([buf[4], buf[5], buf[6], buf[7]]);
    if buf.len() < FRAME + len {
        return Decoded::Incomplete {
            needed: FRAME + len,
        };
    }
    let payload = FRAME..FRAME + len;
    if frame_crc(len_bytes, &buf[payload.clone()]) != crc {
        return Decoded::Bad;
    }
    Decoded::Record {
        payload,
        len: FRAME + len,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_reject_damage() {
        let mut buf = Vec::new();
        encode_record(&mut buf, b"hello");
        encode_record(&mut buf, b"");
        assert_eq!(
            decode_record(&buf),
            Decoded::Record {
                payload: 8..13,
                len: 13
            }
        );
        assert_eq!(
            decode_record(&buf[13..]),
            Decoded::Record {
                payload: 8..8,
                len: 8
            }
        );
        assert_eq!(
            decode_record(&buf[..10]),
            Decoded::Incomplete { needed: 13 }
        );
        assert_eq!(decode_record(&buf[..3]), Decoded::Incomplete { needed: 8 });
        let mut flipped = buf.clone();
        flipped[9] ^= 1;
        assert_eq!(decode_record(&flipped), Decoded::Bad);
        // Zeroes (a preallocated or unwritten tail) are not a valid empty record.
        assert_eq!(decode_record(&[0; 16]), Decoded::Bad);
    }

    #[test]
    fn segment_names_round_trip() {
        assert_eq!(segment_file_name(42), "00000000000000000042.log");
        assert_eq!(
            parse_segment_file_name(&segment_file_name(u64::MAX)),
            Some(u64::MAX)
        );
        assert_eq!(parse_segment_file_name("42.log"), None);
        assert_eq!(parse_segment_file_name("local.cursor"), None);
        assert!(header_is_valid(&segment_header(7), 7));
        assert!(!header_is_valid(&segment_header(7), 8));
    }
}

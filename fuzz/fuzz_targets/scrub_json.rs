//! Fuzzes the JSON walker and the text scrubber: any input must scrub without panicking,
//! findings must lie on char boundaries, and scrubbed JSON must serialise.
//!
//! ```text
//! cargo +nightly fuzz run scrub_json
//! ```
#![no_main]

use std::sync::LazyLock;

use hush_scrubbers::{ScrubContext, Scrubber};
use libfuzzer_sys::fuzz_target;

static SCRUBBER: LazyLock<Scrubber> = LazyLock::new(Scrubber::default);

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        for f in SCRUBBER.find(text) {
            assert!(text.is_char_boundary(f.range.start) && text.is_char_boundary(f.range.end));
        }
        let _ = SCRUBBER.scrub_text(text);
    }
    let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let mut ctx = ScrubContext::new();
    SCRUBBER.scrub_json(&mut value, &mut ctx);
    let _ = serde_json::to_vec(&value).expect("scrubbed JSON serialises");
});

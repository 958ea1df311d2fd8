//! Data-driven detector cases from `tests/cases/*.txt`.
//!
//! Format, one case per line (blank lines and `#` comments ignored):
//!
//! ```text
//! keep: text that must come out unchanged
//! in:   text to scrub
//! out:  the exact expected output of the line above
//! ```

use std::path::Path;

use hush_scrubbers::Scrubber;

#[test]
fn cases() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let scrubber = Scrubber::default();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/cases exists")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    let mut failures = Vec::new();
    let mut count = 0;
    for file in files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&file).expect("read case file");
        let mut pending: Option<(usize, String)> = None;
        for (n, line) in text.lines().enumerate() {
            let line_no = n + 1;
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some(rest) = line.strip_prefix("keep: ") {
                count += 1;
                let input = unescape(rest);
                let got = scrubber.scrub_text(&input);
                if got != input {
                    failures.push(format!(
                        "{name}:{line_no}: keep\n   in:  {input}\n   got: {got}"
                    ));
                }
            } else if let Some(rest) = line.strip_prefix("in: ") {
                pending = Some((line_no, unescape(rest.trim_start())));
            } else if let Some(rest) = line.strip_prefix("out: ") {
                let (in_line, input) = pending
                    .take()
                    .unwrap_or_else(|| panic!("{name}:{line_no}: out without in"));
                count += 1;
                let want = unescape(rest.trim_start());
                let got = scrubber.scrub_text(&input);
                if got != want {
                    failures.push(format!(
                        "{name}:{in_line}\n   in:   {input}\n   want: {want}\n   got:  {got}"
                    ));
                }
                // Idempotence on every case.
                let again = scrubber.scrub_text(&got);
                if again != got {
                    failures.push(format!(
                        "{name}:{in_line}: not idempotent\n   once:  {got}\n   twice: {again}"
                    ));
                }
            } else {
                panic!("{name}:{line_no}: unknown line format");
            }
        }
        assert!(pending.is_none(), "{name}: dangling `in:`");
    }
    assert!(count > 100, "expected many cases, found {count}");
    assert!(
        failures.is_empty(),
        "{} of {count} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// `\n` and `\\` escapes, so cases can hold real newlines and literal backslash-n.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('\\') => out.push('\\'),
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

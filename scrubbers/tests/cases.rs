//! Data-driven detector cases from `tests/cases/*.txt`, one file per detector family.
//!
//! Format, one case per line (blank lines and `#` comments ignored):
//!
//! ```text
//! keep: text that must come out unchanged
//! in:   text to scrub
//! out:  the exact expected output of the line above
//! in RULE: text that catalogue rule RULE must find (then `out:` as above)
//! keep RULE: a hard negative for RULE: it must come out unchanged
//! ```
//!
//! Every catalogue rule needs at least [`MIN_POSITIVES`] tagged positives and
//! [`MIN_NEGATIVES`] tagged hard negatives: adding a rule without them fails
//! [`every_rule_has_cases`].

use std::collections::BTreeMap;
use std::path::Path;

use hush_scrubbers::Scrubber;

/// Tagged positives each catalogue rule needs.
const MIN_POSITIVES: usize = 3;
/// Tagged hard negatives each catalogue rule needs.
const MIN_NEGATIVES: usize = 2;

/// One case from a case file.
struct Case {
    at: String,
    rule: Option<String>,
    input: String,
    /// `None` for `keep` cases: the output must equal the input.
    want: Option<String>,
}

fn load() -> Vec<Case> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/cases exists")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    let mut cases = Vec::new();
    for file in files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&file).expect("read case file");
        let mut pending: Option<Case> = None;
        for (n, line) in text.lines().enumerate() {
            let at = format!("{name}:{}", n + 1);
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let (head, rest) = line
                .split_once(": ")
                .unwrap_or_else(|| panic!("{at}: unknown line format"));
            let (verb, rule) = match head.split_once(' ') {
                Some((verb, rule)) => (verb, Some(rule.to_owned())),
                None => (head, None),
            };
            match verb {
                "keep" => cases.push(Case {
                    at,
                    rule,
                    input: unescape(rest),
                    want: None,
                }),
                "in" => {
                    assert!(pending.is_none(), "{at}: `in` without `out`");
                    pending = Some(Case {
                        at,
                        rule,
                        input: unescape(rest.trim_start()),
                        want: None,
                    });
                }
                "out" if rule.is_none() => {
                    let mut case = pending
                        .take()
                        .unwrap_or_else(|| panic!("{at}: out without in"));
                    case.want = Some(unescape(rest.trim_start()));
                    cases.push(case);
                }
                _ => panic!("{at}: unknown line format"),
            }
        }
        assert!(pending.is_none(), "{name}: dangling `in:`");
    }
    cases
}

#[test]
fn cases() {
    let scrubber = Scrubber::default();
    let cases = load();
    let mut failures = Vec::new();
    for case in &cases {
        let got = scrubber.scrub_text(&case.input);
        let want = case.want.as_deref().unwrap_or(&case.input);
        if got != want {
            let verb = if case.want.is_some() { "in" } else { "keep" };
            failures.push(format!(
                "{}: {verb}\n   in:   {}\n   want: {want}\n   got:  {got}",
                case.at, case.input
            ));
            continue;
        }
        if let (Some(rule), Some(_)) = (&case.rule, &case.want) {
            let found = scrubber.find(&case.input);
            if !found.iter().any(|f| f.rule == rule) {
                let rules: Vec<&str> = found.iter().map(|f| f.rule).collect();
                failures.push(format!(
                    "{}: rule {rule} found nothing (found by: {rules:?})\n   in:   {}",
                    case.at, case.input
                ));
            }
        }
        // Idempotence on every case.
        let again = scrubber.scrub_text(&got);
        if again != got {
            failures.push(format!(
                "{}: not idempotent\n   once:  {got}\n   twice: {again}",
                case.at
            ));
        }
    }
    assert!(
        cases.len() > 100,
        "expected many cases, found {}",
        cases.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn every_rule_has_cases() {
    let mut counts: BTreeMap<&str, (usize, usize)> = hush_scrubbers::rules()
        .iter()
        .map(|r| (r.rule, (0, 0)))
        .collect();
    let cases = load();
    let mut unknown = Vec::new();
    for case in &cases {
        let Some(rule) = &case.rule else { continue };
        match counts.get_mut(rule.as_str()) {
            Some((pos, _)) if case.want.is_some() => *pos += 1,
            Some((_, neg)) => *neg += 1,
            None => unknown.push(format!("{}: {rule}", case.at)),
        }
    }
    assert!(
        unknown.is_empty(),
        "cases tag unknown rules:\n{}",
        unknown.join("\n")
    );
    let short: Vec<String> = counts
        .iter()
        .filter(|(_, &(pos, neg))| pos < MIN_POSITIVES || neg < MIN_NEGATIVES)
        .map(|(rule, (pos, neg))| format!("{rule}: {pos} positives, {neg} negatives"))
        .collect();
    assert!(
        short.is_empty(),
        "{} of {} rules lack cases (need {MIN_POSITIVES} positives and {MIN_NEGATIVES} hard negatives):\n{}",
        short.len(),
        counts.len(),
        short.join("\n")
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

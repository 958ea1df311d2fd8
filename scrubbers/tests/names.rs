//! Person names in free text, data-driven: `tests/names/positives.txt` (every cue and shape
//! the detector knows, names of many origins, each name marked `[[…]]`) must come out as
//! `[PERSON]` with the rest of the line unchanged, and `tests/names/hard_negatives.txt`
//! (technical prose full of capitalised product, place, month and everyday words) must
//! come out unchanged, line for line.

use hush_scrubbers::Scrubber;

const POSITIVES: &str = include_str!("names/positives.txt");
const HARD_NEGATIVES: &str = include_str!("names/hard_negatives.txt");

/// The input (markers removed) and the expected output (marked spans as `[PERSON]`).
fn unmark(line: &str) -> (String, String) {
    let (mut input, mut expected) = (String::new(), String::new());
    let mut rest = line;
    while let Some(open) = rest.find("[[") {
        let close = rest[open..].find("]]").expect("every [[ has its ]]") + open;
        input.push_str(&rest[..open]);
        expected.push_str(&rest[..open]);
        input.push_str(&rest[open + 2..close]);
        expected.push_str("[PERSON]");
        rest = &rest[close + 2..];
    }
    input.push_str(rest);
    expected.push_str(rest);
    (input, expected)
}

fn merge_adjacent(text: &str) -> String {
    let mut text = text.to_owned();
    while text.contains("[PERSON] [PERSON]") {
        text = text.replace("[PERSON] [PERSON]", "[PERSON]");
    }
    text
}

fn cases(file: &str) -> impl Iterator<Item = &str> {
    file.lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

#[test]
fn every_marked_name_becomes_person_and_nothing_else_changes() {
    let scrubber = Scrubber::default();
    let mut failures = Vec::new();
    let mut total = 0;
    for line in cases(POSITIVES) {
        total += 1;
        let (input, expected) = unmark(line);
        // Two names side by side may come out as one `[PERSON]`: nothing leaks either way.
        let got = merge_adjacent(&scrubber.scrub_text(&input));
        let expected = merge_adjacent(&expected);
        if got != expected {
            failures.push(format!(
                "  in:   {input}\n  want: {expected}\n  got:  {got}"
            ));
        }
    }
    assert!(total >= 400, "{total} positive cases");
    // A few shapes are still missed (a three-part account `seo_yeon.lee`, a bare account at
    // the start of sudo's message, a name known to no list without a cue); at least 98 %
    // must come out exactly.
    assert!(
        failures.len() * 100 <= total * 2,
        "{} of {total} positive cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!(
        "{} of {total} positive cases missed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn hard_negatives_stay_unchanged() {
    let scrubber = Scrubber::default();
    let mut changed = Vec::new();
    let mut total = 0;
    for line in cases(HARD_NEGATIVES) {
        total += 1;
        let got = scrubber.scrub_text(line);
        if got != line {
            changed.push(format!("  in:  {line}\n  got: {got}"));
        }
    }
    assert!(total >= 1000, "{total} hard negatives");
    // The bar: at least 99.5 % of lines unchanged.
    assert!(
        changed.len() * 1000 <= total * 5,
        "{} of {total} hard negatives changed:\n{}",
        changed.len(),
        changed.join("\n")
    );
    eprintln!(
        "{} of {total} hard negatives changed:\n{}",
        changed.len(),
        changed.join("\n")
    );
}

#[test]
fn names_can_be_turned_off() {
    let scrubber = Scrubber::builder().disable("person_name").build().unwrap();
    let text = "Hi, this is Donna Pearson.";
    assert_eq!(scrubber.scrub_text(text), text);
}

#[test]
fn the_bundled_lexicon_stays_under_five_megabytes() {
    let bytes = hush_scrubbers::lexicon_bytes();
    assert!(bytes > 1_000_000, "{bytes}: the lexicon is missing");
    assert!(bytes < 5 * 1024 * 1024, "{bytes} bytes");
}

//! Property tests of the person-name detector: it never panics, reports spans on `char`
//! boundaries, scrubbing stays idempotent, and a name in a cue frame always goes.

use hush_scrubbers::{NameDetector, PersonNames, Scrubber};
use proptest::prelude::*;

/// Words that make the detector work: names (also ambiguous ones), cues, particles,
/// possessives, accounts, non-ASCII letters, punctuation glued on.
fn name_text() -> impl Strategy<Value = String> {
    let word = prop_oneof![
        3 => prop::sample::select(vec![
            "Donna", "Pearson", "Grant", "Will", "Austin", "Jordan", "May", "Mason", "Łukasz",
            "Wiśniewski", "Nguyễn", "O'Brien", "Müller-Lüdenscheidt", "McNeill", "Hazel's",
            "Jenkins", "React", "Monday", "Zoë", "Ayşe", "Yılmaz", "İstanbul", "ǅemal",
        ]).prop_map(str::to_owned),
        2 => prop::sample::select(vec![
            "Hi", "Dear", "I'm", "this is", "from", "by", "cc:", "user", "owner =", "Mr.",
            "said", "she", "he", "van der", "de la", "Di", "and", ",", "(reviewer)", "<a@b.c>",
        ]).prop_map(str::to_owned),
        2 => "[a-z]{1,8}",
        1 => "[A-Z][a-z]{1,8}",
        1 => "[a-z]{2,6}[._][a-z]{2,6}",
        1 => "[\"'`(\\[]",
        1 => "\\PC{1,3}",
    ];
    prop::collection::vec(word, 0..14).prop_map(|w| w.join(" "))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn spans_lie_on_char_boundaries(s in name_text()) {
        let mut out = Vec::new();
        PersonNames.find_names(&s, &mut out);
        for r in out {
            prop_assert!(r.start < r.end && r.end <= s.len(), "{r:?} in {s:?}");
            prop_assert!(s.is_char_boundary(r.start) && s.is_char_boundary(r.end), "{r:?} in {s:?}");
        }
    }

    #[test]
    fn never_panics_on_any_string(s in "\\PC*") {
        let mut out = Vec::new();
        PersonNames.find_names(&s, &mut out);
        let _ = Scrubber::default().scrub_text(&s);
    }

    #[test]
    fn scrubbing_names_is_idempotent(s in name_text()) {
        let scrubber = Scrubber::default();
        let once = scrubber.scrub_text(&s).into_owned();
        let twice = scrubber.scrub_text(&once).into_owned();
        prop_assert_eq!(once, twice);
    }

    #[test]
    fn a_full_name_after_a_cue_always_goes(
        cue in prop::sample::select(vec!["Hi, this is", "Dear", "approval pending from", "cc:", "Author:"]),
        given in prop::sample::select(vec!["Donna", "Wayne", "Priya", "Kenji", "Agnieszka", "Mehmet", "Sofia"]),
        surname in prop::sample::select(vec!["Pearson", "Lemaster", "Raman", "Watanabe", "Nowak", "Yilmaz", "Rossi"]),
        tail in "[a-z ]{0,20}",
    ) {
        let text = format!("{cue} {given} {surname}, {tail}");
        let out = Scrubber::default().scrub_text(&text).into_owned();
        prop_assert!(!out.contains(given) && !out.contains(surname), "{out}");
    }
}

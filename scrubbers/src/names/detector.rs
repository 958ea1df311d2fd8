//! The built-in person-name detector: capitalised chains of given names and surnames,
//! weighed with the cues around them; `first.last` identifiers in quotes or after `user`.
//!
//! Evidence is counted in points; a span is a name at [`THRESHOLD`]. A chain of two
//! names with one that is no everyday, place or product word (`Donna Pearson`, `Gerardo
//! Apple`) is a name on its own; a lone name, or a pair of ambiguous ones (`Chase Huff`,
//! `Mark Read`), needs a cue (`Dear Grant`, `my manager Stephens`, `Nettie, she owns`).

use std::ops::Range;

use super::cues::{self, STRONG, WEAK};
use super::fold::fold_into;
use super::lex::{classify_start, lex_of, with_word_cache, Lex, Start, THOUSAND};
use super::words::{at_word_start, word_at, words_after, words_before, CueWord, Word};
use crate::scrubber::NameDetector;

/// Points at which a span is a person's name.
const THRESHOLD: i32 = 6;
/// Capitalised words read into one chain at most: a longer run is a title or a list.
const MAX_CHAIN: usize = 16;
/// Name words in one name at most (`María José García López`).
const MAX_NAME: usize = 5;

/// The built-in person-name detector (see the module docs). Cheap to create: the lexicon
/// is compiled into the binary and read in place.
#[derive(Clone, Copy, Debug, Default)]
pub struct PersonNames;

/// The weight of the longest phrase among `rows` (a cue table's rows for the first of
/// `words`) that `words` (nearest the name first) match, every word usable as a cue.
fn cue_weight(rows: Option<&Vec<cues::Phrase>>, words: &[CueWord]) -> i32 {
    let Some(rows) = rows else {
        return 0;
    };
    let mut best = (0, 0);
    for row in rows {
        let n = row.words.len();
        if n > words.len() || n < best.0 {
            continue;
        }
        let matches = row
            .words
            .iter()
            .zip(words)
            .all(|(a, b)| b.usable && *a == b.as_str());
        if matches && (n > best.0 || row.weight > best.1) {
            best = (n, row.weight);
        }
    }
    best.1
}

struct Scan<'t> {
    text: &'t str,
    /// The lexicon's view of the word a chain starts with, looked up before the chain was
    /// read: not looked up twice.
    first: Option<(usize, Lex)>,
    /// End of the last name found: `Efua and Søren`, `Joy, Sunny` continue a list.
    last_name_end: Option<usize>,
    key: Vec<u8>,
    before: Vec<CueWord>,
    after: Vec<CueWord>,
}

impl Scan<'_> {
    /// Evidence from the words before `start`, and whether the name is mid-sentence.
    fn before(&mut self, start: usize) -> (i32, bool) {
        // The nearest word first: most capitalised words follow no cue word at all.
        let mut mid = words_before(self.text, start, 1, &mut self.before);
        let index = &cues::index().before;
        let rows = self.before.first().and_then(|w| index.get(w.as_str()));
        if rows.is_some_and(|rows| rows.iter().any(|r| r.words.len() > 1)) {
            mid = words_before(self.text, start, 3, &mut self.before);
        }
        // The joins below are six bytes at most.
        if let Some(end) = self.last_name_end.filter(|&e| e <= start && start - e <= 6) {
            if matches!(
                &self.text[end..start],
                " and "
                    | ", "
                    | " & "
                    | " or "
                    | ", and "
                    | " und "
                    | " et "
                    | " y "
                    | " e "
                    | " en "
                    | " og "
                    | " och "
                    | " i "
                    | " ve "
            ) {
                return (STRONG, mid);
            }
        }
        (cue_weight(rows, &self.before), mid)
    }

    /// Evidence from what follows the name ending at `w`.
    fn after(&mut self, w: &Word) -> i32 {
        let mut points = if w.possessive { WEAK } else { 0 };
        let first = words_after(self.text, w.full_end, 1, &mut self.after);
        let index = &cues::index().after;
        let rows = self.after.first().and_then(|w| index.get(w.as_str()));
        // Read on only after a word that can start a cue or a verb (`said she…`).
        if let Some(next) = self.after.first() {
            if rows.is_some() || next.as_str().ends_with(['s', 'd']) {
                words_after(self.text, w.full_end, 6, &mut self.after);
            }
        }
        let rest = &self.text[w.full_end..];
        match first {
            // `Ada Bright <ada@…>`, git's `Name <no email>`.
            Some('<') if rest.starts_with(" <") => {
                let inner = rest[2..].split('>').next().unwrap_or("");
                if inner.len() < 100 && (inner.contains('@') || inner.contains("email")) {
                    points += STRONG;
                }
            }
            Some('(') => {
                let rest = rest.trim_start_matches(' ');
                let inner = rest[1..].split(')').next().unwrap_or("");
                if cues::ROLE_IN_PARENS.contains(&inner.to_ascii_lowercase().as_str()) {
                    points += STRONG;
                }
            }
            _ => {
                points += cue_weight(rows, &self.after);
                // `Jordan said she…`, `Achieng wants to know why she…`: a verb, then a
                // personal pronoun within a few words.
                let pronoun = |w: &&CueWord| {
                    let w = w.as_str().split('\'').next().unwrap_or("");
                    w == "she" || w == "he"
                };
                let verb = points > 0
                    || self
                        .after
                        .first()
                        .is_some_and(|w| w.as_str().ends_with(['s', 'd']));
                if points < STRONG && verb && self.after.iter().skip(1).any(|w| pronoun(&w)) {
                    points = STRONG;
                }
            }
        }
        points
    }

    /// Weighs the chain `words` (capitalised name words; particles and initials between
    /// them are part of the span) and reports it when it is a name.
    fn chain(&mut self, mut words: &[Word], out: &mut Vec<Range<usize>>) {
        // `Hi May`, `Dear Grant`, `Dr Souza`: a cue that opens the chain is no name.
        while words.len() > 1 && self.is_cue_word(&words[0]) {
            words = &words[1..];
        }
        // `Mon Jun 03`: a month before a number is a date.
        while let [rest @ .., last] = words {
            let next = &self.text.as_bytes()[last.full_end..];
            if !(next.len() > 1 && next[0] == b' ' && next[1].is_ascii_digit()) {
                break;
            }
            let month = self.text[last.start..last.end].to_ascii_lowercase();
            if !cues::MONTHS.contains(&month.as_str()) {
                break;
            }
            words = rest;
        }
        if words.is_empty() {
            return;
        }
        // A greeting or title alone (`cc: Hi [PERSON]`) is a cue, never the name itself:
        // scrubbed text scrubs the same again.
        if words.len() == 1 && self.is_cue_word(&words[0]) {
            return;
        }
        let n = words.len();
        // A lone word the lexicon knows as a plain word (`Error`, `Cannot`) is never a
        // name: one lookup saves reading the words around it.
        let known = self
            .first
            .filter(|&(start, _)| start == words[0].start)
            .map(|(_, l)| l);
        if n == 1
            && !known
                .or_else(|| lex_of(self.text, &words[0], &mut self.key))
                .is_some_and(Lex::name_like)
        {
            return;
        }
        let (before, mid) = self.before(words[0].start);
        let after = self.after(&words[n - 1]);
        // A lone word scores at most 3 on its own: skip the lookups without a cue.
        if n == 1 && before + after < THRESHOLD - 3 {
            return;
        }
        let mut lex = [Lex::default(); MAX_CHAIN];
        // `van der`, `de la`, `Di`: particles between name words are evidence too.
        let mut particles = n > 1
            && self.text[words[0].full_end..words[n - 1].start]
                .split(' ')
                .any(cues::is_particle);
        for (i, w) in words.iter().enumerate() {
            let word = &self.text[w.start..w.end];
            if i > 0 && i + 1 < n && cues::is_particle(&word.to_lowercase()) {
                lex[i] = Lex {
                    particle: true,
                    ..Lex::default()
                };
                particles = true;
                continue;
            }
            let known = self
                .first
                .filter(|&(start, _)| start == w.start)
                .map(|(_, l)| l);
            match known.or_else(|| lex_of(self.text, w, &mut self.key)) {
                Some(l) => lex[i] = l,
                None => return,
            }
        }
        let lex = &lex[..n];
        // Words the lexicon knows as something else only (`Access`, `Team`) end a name.
        if lex.iter().any(|l| !l.name_like()) {
            return self.split(words, lex, out);
        }
        // A run longer than a name is weighed in name-sized pieces, from its start: the
        // same pieces whether or not an earlier piece was already scrubbed.
        if let Some(cut) = lex
            .iter()
            .enumerate()
            .filter(|(_, l)| !l.particle)
            .nth(MAX_NAME)
            .map(|(i, _)| i)
        {
            self.chain(&words[..cut], out);
            self.chain(&words[cut..], out);
            return;
        }
        if n >= 2 {
            self.key.clear();
            if fold_into(&self.text[words[0].start..words[0].end], &mut self.key)
                && cues::PLACE_PREFIXES.contains(&std::str::from_utf8(&self.key).unwrap_or(""))
            {
                return;
            }
        }
        let mut names = [Lex::default(); MAX_CHAIN];
        let mut k = 0;
        for l in lex.iter().filter(|l| !l.particle) {
            names[k] = *l;
            k += 1;
        }
        let (lex, n) = (&names[..k], k);
        let (first, last) = (lex[0], lex[n - 1]);
        let base = if n == 1 {
            if first.clear {
                3
            } else {
                1
            }
        } else if lex.iter().all(|l| l.unknown) {
            1
        } else if (lex.iter().any(|l| l.solid)
            // Rarer names: a pair of a given name (or a word the lexicon does not know)
            // and a clear surname (`Riikka Salonen`, `Faith Wanjiku`).
            || (n == 2 && last.clear && (first.clear || first.given > 0 || first.unknown))
            || (n == 2 && first.clear && last.unknown))
            // Given name first; two surnames only when both are clear (`Wanjiru Kamau`).
            && (first.given > 0 || first.unknown || (first.clear && last.clear))
            && (last.is_name() || last.unknown)
            // A product may only open the name, before a clear surname (`Sun Dawkins`;
            // not `Claude Code`).
            && (!lex[1..].iter().any(|l| l.thing)
                // `Jocelyn Spring`: a product may close a name after a clear given name.
                || (n == 2 && first.solid && first.given > 0))
            && (!first.thing || last.solid)
        {
            6
        } else if first.given > THOUSAND
            && last.surname >= THOUSAND
            && !lex.iter().any(|l| l.thing)
            && !(first.common && last.common)
        {
            4 + if mid { 2 } else { 0 }
        } else if first.given > THOUSAND + 1
            && last.surname > THOUSAND
            && !lex.iter().any(|l| l.thing)
        {
            // Two everyday words that are also very common names (`Chase Porter`).
            4
        } else {
            2
        };
        let base = base + if particles && n >= 2 { WEAK } else { 0 };
        if base + before + after >= THRESHOLD {
            let last_word = &words[words.len() - 1];
            out.push(words[0].start..last_word.end);
            self.last_name_end = Some(last_word.full_end);
        }
    }

    /// Whether `w` opens a cue (`Hi`, `Dear`, `Dr`, `Segnalato da`), alone or with the
    /// words after it.
    fn is_cue_word(&self, w: &Word) -> bool {
        // Most words are no opener: the hash filter says so at once.
        if w.hash != 0 && !cues::index().is_opener(w.hash) {
            return false;
        }
        let word = CueWord::new(&self.text[w.start..w.end], true);
        let Some(rows) = cues::index().openers.get(word.as_str()) else {
            return false;
        };
        rows.iter().any(|row| {
            let mut rest = &self.text[w.end..];
            row.words[1..].iter().all(|next| {
                let Some(r) = rest.strip_prefix(' ') else {
                    return false;
                };
                let ok = r.len() > next.len()
                    && r.is_char_boundary(next.len())
                    && r[..next.len()].eq_ignore_ascii_case(next)
                    && r[next.len()..].starts_with(' ');
                if ok {
                    rest = &r[next.len()..];
                }
                ok
            })
        })
    }

    /// Weighs the runs of name-like words between words that are something else.
    fn split(&mut self, words: &[Word], lex: &[Lex], out: &mut Vec<Range<usize>>) {
        let mut i = 0;
        while i < words.len() {
            if !lex[i].name_like() {
                i += 1;
                continue;
            }
            let j = (i..words.len())
                .find(|&j| !lex[j].name_like())
                .unwrap_or(words.len());
            // A later run follows a capitalised word, a cue only where it opens a sentence
            // (`Dear Grant`), which `words_before` tells.
            self.chain(&words[i..j], out);
            i = j;
        }
    }

    /// The chain of capitalised words from `w`: joined by one space, lower-case particles
    /// (`van der`) or an initial (`J.`). Ends at a possessive.
    fn read_chain(&self, w: Word, words: &mut Vec<Word>) -> usize {
        words.clear();
        words.push(w);
        let mut end = w.full_end;
        let mut cur = w;
        while words.len() < MAX_CHAIN && !cur.possessive {
            let mut j = end;
            let mut ok = false;
            let mut hops = 0;
            while hops < 3 && self.text[j..].starts_with(' ') {
                j += 1;
                let Some(next) = word_start_here(self.text, j) else {
                    break;
                };
                if next.capitalised || is_particle_joined(&self.text[j..next.end]) {
                    ok = true;
                    cur = next;
                    break;
                }
                // An initial: `J. Smith`.
                if next.full_end == j + 1 && self.text[next.full_end..].starts_with(". ") {
                    j = next.full_end + 1;
                    hops += 1;
                    continue;
                }
                if next.lower && cues::is_particle(&self.text[j..next.full_end]) {
                    j = next.full_end;
                    hops += 1;
                    continue;
                }
                break;
            }
            if !ok {
                break;
            }
            words.push(cur);
            end = cur.full_end;
        }
        end
    }
}

/// `al-Masri`, `el-Sayed`, `d'Angelo`: a particle glued to a capitalised surname.
fn is_particle_joined(word: &str) -> bool {
    word.split_once(['-', '\'', '’']).is_some_and(|(particle, name)| {
        cues::is_particle(particle) || particle == "d"
    } && name.starts_with(char::is_uppercase))
}

fn word_start_here(text: &str, j: usize) -> Option<Word> {
    let c = text[j..].chars().next()?;
    if !c.is_alphabetic() {
        return None;
    }
    word_at(text, j)
}

impl NameDetector for PersonNames {
    fn find_names(&self, text: &str, out: &mut Vec<Range<usize>>) {
        find_from_with(text, OwnStarts(text), OwnJoints(text), out);
    }
}

/// Positions in a text, in order, to a callback that may say where to resume: the word
/// starts and joints the detector reads. A trait with a generic method, not a `dyn`
/// callback: the per-word fast path is then one inlined loop.
pub(crate) trait Positions {
    /// Calls `each` with every position in order, skipping those before what the last
    /// call returned.
    fn each(self, each: impl FnMut(usize) -> usize);
}

/// The detector's own scan for capitalised word starts (any text).
struct OwnStarts<'t>(&'t str);

impl Positions for OwnStarts<'_> {
    fn each(self, each: impl FnMut(usize) -> usize) {
        super::starts::word_starts(self.0.as_bytes(), each);
    }
}

/// Every `.` and `_` of the text.
pub(crate) struct OwnJoints<'t>(pub(crate) &'t str);

impl Positions for OwnJoints<'_> {
    fn each(self, mut each: impl FnMut(usize) -> usize) {
        let mut resume = 0;
        for k in memchr::memchr2_iter(b'.', b'_', self.0.as_bytes()) {
            if k >= resume {
                resume = each(k);
            }
        }
    }
}

/// Finds names in `text`, reading capitalised words at the positions `starts` yields
/// (every position that may start one, in order) and `first.last` identifiers at the
/// positions `joints` yields.
pub(crate) fn find_from_with(
    text: &str,
    starts: impl Positions,
    joints: impl Positions,
    out: &mut Vec<Range<usize>>,
) {
    let mut scan = Scan {
        text,
        first: None,
        last_name_end: None,
        key: Vec::new(),
        before: Vec::new(),
        after: Vec::new(),
    };
    let mut words = Vec::new();
    let mut next_free = 0;
    let bytes = text.as_bytes();
    with_word_cache(|cache| {
        starts.each(|k| {
            if k < next_free {
                return next_free;
            }
            // Most capitals in logs are plain words or code: decided here, inline.
            next_free = match classify_start(bytes, k, cache) {
                Start::Plain(end) | Start::Code(end) => end,
                Start::Open => scan.open(k, &mut words, out),
            };
            next_free.max(k + 1)
        });
    });
    super::ident::find_at(text, joints, &mut scan.key, out);
}

impl Scan<'_> {
    /// The full path for a capital at `k` that [`classify_start`] left open: reads the
    /// word and the chain from it and weighs it. Returns where reading resumes.
    #[inline(never)]
    fn open(&mut self, k: usize, words: &mut Vec<Word>, out: &mut Vec<Range<usize>>) -> usize {
        let (text, bytes) = (self.text, self.text.as_bytes());
        if bytes[k] < 0x80 {
            // Inside a word (`TypeError`, base64) or an acronym (`HTTP`): skip the run.
            let glued = k > 0 && (bytes[k - 1].is_ascii_alphanumeric() || bytes[k - 1] == b'_');
            if glued || bytes.get(k + 1).is_some_and(u8::is_ascii_uppercase) {
                let mut j = k + 1;
                while j < bytes.len() && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'_') {
                    j += 1;
                }
                return j;
            }
        } else if !text.is_char_boundary(k) {
            return k + 1;
        }
        let upper = if bytes[k] < 0x80 {
            bytes[k].is_ascii_uppercase()
        } else {
            text[k..].chars().next().is_some_and(char::is_uppercase)
        };
        if !upper || !at_word_start(text, k) {
            return k + 1;
        }
        let Some(w) = word_at(text, k) else {
            return k + 1;
        };
        if !w.capitalised {
            return w.full_end;
        }
        // A plain word (`Error`, `Module`) opens no name, unless it is a cue before one
        // (`Dear Grant`): the next capitalised word is a candidate of its own.
        match lex_of(text, &w, &mut self.key) {
            Some(lex) if lex.name_like() => self.first = Some((w.start, lex)),
            Some(lex) if lex.opener && bytes.get(w.full_end) == Some(&b' ') => {}
            _ => return w.full_end,
        }
        let end = self.read_chain(w, words);
        self.chain(words, out);
        end
    }
}

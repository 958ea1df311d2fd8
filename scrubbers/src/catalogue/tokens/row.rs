//! One vendor-token row: read from its line of a row file, and its body matched.

use std::sync::OnceLock;

use regex::bytes::Regex;

use super::Check;
use crate::kind::{Kind, KindDef, Redaction};

/// One vendor-token row.
#[derive(Debug)]
pub(crate) struct TokenRow {
    pub kind: Kind,
    pub rule: &'static str,
    pub prefixes: Vec<&'static str>,
    /// The anchored body regex's source.
    pattern: String,
    /// The body as one class repeated (most rows), matched without the regex engine.
    simple: Option<SimpleBody>,
    /// The body regex, compiled on first use.
    body: OnceLock<Option<Regex>>,
    pub check: Check,
    pub ctx: Vec<&'static str>,
    /// The fixed part inside the token, for infix rows.
    pub infix: Option<&'static str>,
}

/// Parses row files `(name, text)` into their rows, in file order, and the kinds the rows
/// declare.
///
/// # Errors
///
/// A message naming the file and line of a malformed row.
pub(super) fn parse_rows(
    files: &[(&str, &'static str)],
) -> Result<(Vec<TokenRow>, Vec<Kind>), String> {
    let mut rows: Vec<TokenRow> = Vec::new();
    let mut kinds: Vec<Kind> = Vec::new();
    for (file, text) in files {
        for (n, line) in text.lines().enumerate() {
            let at = |msg: &str| format!("{file}:{}: {msg}", n + 1);
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let cols: Vec<&'static str> = line.split_whitespace().collect();
            if cols.len() < 5 {
                return Err(at("a row has kind, rule, prefixes, body and check"));
            }
            let snake = |s: &str| {
                s.bytes().next().is_some_and(|c| c.is_ascii_lowercase())
                    && s.bytes()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_')
            };
            let (kind_name, rule) = (cols[0], cols[1]);
            if !snake(kind_name) || !snake(rule) {
                return Err(at("kind and rule are snake_case"));
            }
            if rows.iter().any(|r| r.rule == rule) {
                return Err(at(&format!("rule {rule} is declared twice")));
            }
            let prefixes: Vec<&'static str> = if cols[2] == "-" {
                Vec::new()
            } else {
                cols[2].split(',').collect()
            };
            if prefixes.iter().any(|p| {
                p.len() < 2 || !matches!(p.as_bytes()[0], b'A'..=b'Z' | b'a'..=b'z' | b'$')
            }) {
                return Err(at(
                    "prefixes start with an ASCII letter or $ and have 2+ bytes",
                ));
            }
            // Checked here, compiled on first use: most rows never see their prefix,
            // and compiling all of them would cost every process tens of milliseconds.
            let pattern = format!("^(?:{})", cols[3]);
            let hir = regex_syntax::ParserBuilder::new()
                .unicode(false)
                .utf8(false)
                .build()
                .parse(cols[3])
                .map_err(|e| at(&format!("body regex: {e}")))?;
            let simple = SimpleBody::from_hir(&hir);
            let check = match cols[4] {
                "-" => Check::None,
                "mixed" => Check::Mixed,
                "digit" => Check::Digit,
                "github_crc32" => Check::GithubCrc32,
                "discord_id" => Check::DiscordId,
                other => return Err(at(&format!("unknown check {other}"))),
            };
            let mut ctx = Vec::new();
            let mut infix = None;
            for extra in &cols[5..] {
                if let Some(i) = extra.strip_prefix("infix=") {
                    let dot_word = i.len() >= 4
                        && i.starts_with('.')
                        && i.as_bytes()[1].is_ascii_alphabetic()
                        && i.as_bytes()[2..4].iter().all(u8::is_ascii_alphanumeric);
                    if !(i.contains('~') || dot_word) || infix.is_some() {
                        return Err(at("an infix= holds a ~ or is . and a word, once per row"));
                    }
                    infix = Some(i);
                    continue;
                }
                match extra.strip_prefix("ctx=") {
                    Some(list) => {
                        for word in list.split(',') {
                            if word.is_empty()
                                || word.bytes().any(|c| c.is_ascii_uppercase() || c == b' ')
                            {
                                return Err(at("ctx= keywords are lowercase words"));
                            }
                            ctx.push(word);
                        }
                    }
                    None => return Err(at(&format!("unknown column {extra}"))),
                }
            }
            let anchors = usize::from(!prefixes.is_empty())
                + usize::from(!ctx.is_empty())
                + usize::from(infix.is_some());
            if anchors != 1 {
                return Err(at("a row has one of prefixes, ctx= keywords or an infix="));
            }
            let kind = match kinds.iter().find(|k| k.name() == kind_name) {
                Some(k) => k.clone(),
                None => {
                    if crate::catalogue::STRUCTURAL_KINDS
                        .iter()
                        .any(|k| k.name() == kind_name)
                    {
                        return Err(at(&format!("kind {kind_name} is a structural kind")));
                    }
                    // Once per kind per process: the table lives as long as the process.
                    let placeholder: &'static str =
                        Box::leak(format!("[REDACTED:{kind_name}]").into_boxed_str());
                    let def: &'static KindDef = Box::leak(Box::new(KindDef {
                        name: kind_name,
                        placeholder,
                        action: None::<Redaction>,
                    }));
                    let k = Kind::built_in(def);
                    kinds.push(k.clone());
                    k
                }
            };
            rows.push(TokenRow {
                kind,
                rule,
                prefixes,
                pattern,
                simple,
                body: OnceLock::new(),
                check,
                ctx,
                infix,
            });
        }
    }
    Ok((rows, kinds))
}

/// A body that is one byte class repeated `min..=max` times (`[A-Za-z0-9]{36}`).
#[derive(Debug)]
struct SimpleBody {
    class: [bool; 256],
    min: usize,
    max: usize,
}

impl SimpleBody {
    fn from_hir(hir: &regex_syntax::hir::Hir) -> Option<SimpleBody> {
        use regex_syntax::hir::{Class, HirKind};
        let HirKind::Repetition(rep) = hir.kind() else {
            return None;
        };
        if !rep.greedy {
            return None;
        }
        let HirKind::Class(Class::Bytes(set)) = rep.sub.kind() else {
            return None;
        };
        let mut class = [false; 256];
        for range in set.ranges() {
            for c in range.start()..=range.end() {
                class[usize::from(c)] = true;
            }
        }
        Some(SimpleBody {
            class,
            min: rep.min as usize,
            max: rep.max.map_or(usize::MAX, |m| m as usize),
        })
    }

    /// The length of the greedy match at the start of `window`, as the regex gives it.
    fn match_len(&self, window: &[u8]) -> Option<usize> {
        // A plain indexed loop: the iterator chain compiled to several times the work.
        let limit = window.len().min(self.max);
        let mut n = 0;
        // Four bytes per step while all four are in the class.
        while n + 4 <= limit {
            let in_class = |k: usize| self.class[usize::from(window[n + k])];
            if !(in_class(0) & in_class(1) & in_class(2) & in_class(3)) {
                break;
            }
            n += 4;
        }
        while n < limit && self.class[usize::from(window[n])] {
            n += 1;
        }
        (n >= self.min).then_some(n)
    }
}

impl TokenRow {
    /// The length of the body matched at the start of `window` (greedy, like the regex).
    pub(crate) fn body_len(&self, window: &[u8]) -> Option<usize> {
        match &self.simple {
            Some(simple) => simple.match_len(window),
            None => self.body()?.find(window).map(|m| m.end()),
        }
    }

    /// The body regex, compiled on first use (`None` if it does not compile, which the
    /// catalogue's tests rule out).
    pub(crate) fn body(&self) -> Option<&Regex> {
        self.body
            .get_or_init(|| {
                regex::bytes::RegexBuilder::new(&self.pattern)
                    .unicode(false)
                    .build()
                    .ok()
            })
            .as_ref()
    }
}

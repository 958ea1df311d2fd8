//! The scrubber, its builder and redaction.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use regex::Regex;

use crate::context::ScrubContext;
use crate::detectors::{self, cand, Cand, PRIO_CUSTOM, PRIO_PII};
use crate::error::ScrubError;
use crate::kind::{Finding, Kind, Redaction};

/// A pluggable detector for person names (or any other free-text entity).
///
/// The built-in one is [`PersonNames`](crate::PersonNames), on by default; this is the
/// seam to replace it (a model-backed detector, say). Spans it reports are redacted as
/// [`Kind::PERSON_NAME`] (`[PERSON]`).
pub trait NameDetector: Send + Sync {
    /// Appends the byte ranges of names found in `text` to `out`. Ranges must lie on
    /// `char` boundaries of `text`; invalid ranges are ignored.
    fn find_names(&self, text: &str, out: &mut Vec<Range<usize>>);
}

struct CustomRule {
    kind: Kind,
    regex: Regex,
}

struct Inner {
    actions: HashMap<Kind, Redaction>,
    default_action: Redaction,
    /// Disabled kinds that a detector still reports and `find_cands` must drop (a
    /// disabled person name is never looked for): a few at most, scanned in order.
    disabled: Vec<Kind>,
    custom: Vec<CustomRule>,
    names: Option<Arc<dyn NameDetector>>,
    /// `names` is the built-in [`PersonNames`](crate::PersonNames), which can reuse the
    /// byte classes the other detectors computed.
    builtin_names: bool,
    hash_key: [u8; 32],
}

/// Detects and redacts personal data and secrets in text and JSON.
///
/// Built once and shared: cloning is cheap (an `Arc`), and it is `Send + Sync`.
/// [`Scrubber::default`] enables every built-in detector with placeholder redaction.
///
/// # Examples
///
/// ```
/// let scrubber = hush_scrubbers::Scrubber::default();
/// let out = scrubber.scrub_text("connect ECONNREFUSED 10.1.2.3:5432 as jane@example.com");
/// assert_eq!(out, "connect ECONNREFUSED [IP]:5432 as [EMAIL]");
/// ```
#[derive(Clone)]
pub struct Scrubber {
    inner: Arc<Inner>,
}

impl fmt::Debug for Scrubber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scrubber")
            .field("default_action", &self.inner.default_action)
            .field("actions", &self.inner.actions)
            .field("disabled", &self.inner.disabled)
            .field("custom_rules", &self.inner.custom.len())
            .field("name_detector", &self.inner.names.is_some())
            .finish_non_exhaustive()
    }
}

impl Default for Scrubber {
    fn default() -> Self {
        ScrubberBuilder::default()
            .build()
            .expect("the default configuration is valid")
    }
}

/// A random key for [`Redaction::Hash`] when no key is configured, from the operating
/// system's random source (never from the clock or an address: a guessable key would
/// let anyone confirm a guessed value from its hash).
fn random_key() -> Result<[u8; 32], ScrubError> {
    let mut key = [0u8; 32];
    getrandom::getrandom(&mut key).map_err(|_| ScrubError::NoRandomness)?;
    Ok(key)
}

/// The built-in detectors over `text`: the anchored pass, then the word scan outside the
/// spans it claimed. Returns whether the text may hold an encoding (`%`, `\`, non-ASCII).
fn detect(text: &str, cands: &mut Vec<Cand>) -> bool {
    detect_in(text, &detectors::ByteClasses::new(text.as_bytes()), cands)
}

/// [`detect`] with the text's byte classes already made (the name detector reads them too).
fn detect_in(text: &str, classes: &detectors::ByteClasses<'_>, cands: &mut Vec<Cand>) -> bool {
    detectors::anchors::find(text, classes, cands);
    let mut claimed = detectors::take_spans();
    if !cands.is_empty() {
        claimed.extend(cands.iter().map(|c| (c.start, c.end)));
        claimed.sort_unstable();
    }
    detectors::scan::find(text, classes, &claimed, cands);
    detectors::put_spans(claimed);
    classes.may_encode()
}

impl Scrubber {
    /// A builder starting from all built-in detectors and [`Redaction::Placeholder`].
    pub fn builder() -> ScrubberBuilder {
        ScrubberBuilder::default()
    }

    /// Finds every detected span (non-overlapping, sorted by start).
    pub fn find(&self, text: &str) -> Vec<Finding> {
        self.find_cands(text)
            .into_iter()
            .filter_map(|c| {
                c.kind.map(|kind| Finding {
                    kind,
                    range: c.start..c.end,
                    rule: c.rule,
                })
            })
            .collect()
    }

    fn find_cands(&self, text: &str) -> Vec<Cand> {
        if text.len() < 3 {
            return Vec::new();
        }
        let mut cands = Vec::with_capacity(8);
        let classes = detectors::ByteClasses::new(text.as_bytes());
        let may_encode = detect_in(text, &classes, &mut cands);
        // Encoded text (`%40`, `\u0040`, zero-width, fullwidth): scanned again decoded,
        // findings mapped back onto the encoded bytes. They go first, so that the decoded
        // reading wins a tie over the same span (`api\u{200D}_key` names an API key).
        if may_encode {
            if let Some(decoded) = crate::decode::decode(text) {
                let mut inner = Vec::new();
                detect(&decoded.text, &mut inner);
                inner.retain_mut(|c| match decoded.original(c.start, c.end) {
                    Some((s, e)) => {
                        c.start = s;
                        c.end = e;
                        true
                    }
                    None => false,
                });
                cands.splice(0..0, inner);
            }
        }
        for rule in &self.inner.custom {
            for m in rule.regex.find_iter(text) {
                if !m.is_empty() {
                    cands.push(cand(
                        m.start(),
                        m.end(),
                        rule.kind.clone(),
                        "custom",
                        PRIO_CUSTOM,
                    ));
                }
            }
        }
        if let Some(names) = &self.inner.names {
            let mut ranges = Vec::new();
            if self.inner.builtin_names {
                crate::names::find_with_classes(text, &classes, &mut ranges);
            } else {
                names.find_names(text, &mut ranges);
            }
            for r in ranges {
                if r.start < r.end
                    && r.end <= text.len()
                    && text.is_char_boundary(r.start)
                    && text.is_char_boundary(r.end)
                {
                    cands.push(cand(
                        r.start,
                        r.end,
                        Kind::PERSON_NAME,
                        "name_detector",
                        PRIO_PII,
                    ));
                }
            }
        }
        if !self.inner.disabled.is_empty() {
            cands.retain(|c| {
                c.kind
                    .as_ref()
                    .is_none_or(|k| !self.inner.disabled.contains(k))
            });
        }
        let mut found = detectors::resolve(text, cands);
        if !found.is_empty() && crate::repeat::add_repeats(text, &mut found) {
            // Repeats never overlap what was found, but two repeated values may overlap.
            found = detectors::resolve(text, found);
        }
        found
    }

    /// The action configured for `kind`.
    ///
    /// The builder's action for the kind wins, then the kind's own action in the
    /// catalogue, then the builder's default action.
    pub fn action_for(&self, kind: &Kind) -> Redaction {
        // Most scrubbers configure no action per kind: no hashing then.
        let configured = if self.inner.actions.is_empty() {
            None
        } else {
            self.inner.actions.get(kind).copied()
        };
        configured
            .or_else(|| kind.own_action())
            .unwrap_or(self.inner.default_action)
    }

    /// Redacts all findings with the configured action; `Cow::Borrowed` when nothing found.
    ///
    /// Hashes use the scrubber's own key (see [`ScrubberBuilder::hash_key`]).
    pub fn scrub_text<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut ctx = ScrubContext::new();
        ctx.counting = false;
        self.scrub_text_with(text, &mut ctx)
    }

    /// Same as [`scrub_text`](Self::scrub_text), recording counts by kind in `ctx` and using
    /// `ctx`'s hash key for [`Redaction::Hash`].
    pub fn scrub_text_with<'a>(&self, text: &'a str, ctx: &mut ScrubContext) -> Cow<'a, str> {
        let cands = self.find_cands(text);
        if cands.is_empty() {
            return Cow::Borrowed(text);
        }
        if ctx.remember {
            for c in cands
                .iter()
                .filter(|c| crate::repeat::is_contextual(c, text))
            {
                if let Some(kind) = &c.kind {
                    ctx.remember(kind, &text[c.start..c.end]);
                }
            }
        }
        Cow::Owned(self.redact_cands(text, &cands, ctx))
    }

    /// `text` with every candidate span redacted.
    pub(crate) fn redact_cands(
        &self,
        text: &str,
        cands: &[Cand],
        ctx: &mut ScrubContext,
    ) -> String {
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        for c in cands {
            let Some(kind) = &c.kind else { continue };
            out.push_str(&text[last..c.start]);
            self.redact_into(kind, &text[c.start..c.end], ctx, &mut out);
            last = c.end;
        }
        out.push_str(&text[last..]);
        out
    }

    /// Redacts `value` as a whole as `kind` (used for values under secret keys).
    pub(crate) fn redact_into(
        &self,
        kind: &Kind,
        value: &str,
        ctx: &mut ScrubContext,
        out: &mut String,
    ) {
        ctx.record(kind.name());
        match self.action_for(kind) {
            Redaction::Placeholder => kind.write_placeholder(out),
            Redaction::Hash => {
                let key = ctx.hash_key.as_ref().unwrap_or(&self.inner.hash_key);
                let h = blake3::keyed_hash(key, value.as_bytes());
                out.push_str("[HASH:");
                out.push_str(kind.name());
                out.push(':');
                const HEX: &[u8; 16] = b"0123456789abcdef";
                for byte in &h.as_bytes()[..8] {
                    out.push(char::from(HEX[usize::from(byte >> 4)]));
                    out.push(char::from(HEX[usize::from(byte & 15)]));
                }
                out.push(']');
            }
            Redaction::Mask => {
                let n = value.chars().count();
                let keep = if n > 4 { 4 } else { 0 };
                out.extend(std::iter::repeat_n('*', n - keep));
                out.extend(value.chars().skip(n - keep));
            }
            Redaction::Remove => {}
        }
    }

    /// Walks every string in the JSON value at any depth (object keys too), scrubbing in
    /// place. String values stored under secret-like keys (`password`, `api_key`,
    /// `client_secret`, …) are redacted whole when they look like secrets.
    ///
    /// A value found only by its context (behind a key, after `Bearer`) is redacted at
    /// every other place in `value` where it appears too.
    pub fn scrub_json(&self, value: &mut serde_json::Value, ctx: &mut ScrubContext) {
        crate::json::scrub_event(self, value, ctx);
    }
}

/// Configures a [`Scrubber`].
///
/// Starts with every built-in detector enabled and [`Redaction::Placeholder`] for all.
#[derive(Clone)]
pub struct ScrubberBuilder {
    actions: Vec<(String, Redaction)>,
    default_action: Redaction,
    custom: Vec<(String, String, Redaction)>,
    disabled: Vec<String>,
    names: Option<Arc<dyn NameDetector>>,
    builtin_names: bool,
    hash_key: Option<[u8; 32]>,
}

impl Default for ScrubberBuilder {
    fn default() -> Self {
        Self {
            actions: Vec::new(),
            default_action: Redaction::default(),
            custom: Vec::new(),
            disabled: Vec::new(),
            names: Some(Arc::new(crate::names::PersonNames)),
            builtin_names: true,
            hash_key: None,
        }
    }
}

impl fmt::Debug for ScrubberBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScrubberBuilder")
            .field("actions", &self.actions)
            .field("default_action", &self.default_action)
            .field(
                "custom_rules",
                &self.custom.iter().map(|c| &c.0).collect::<Vec<_>>(),
            )
            .field("disabled", &self.disabled)
            .finish_non_exhaustive()
    }
}

impl ScrubberBuilder {
    /// Sets the action for one built-in kind by name (see [`Kind::name`]), overriding the
    /// default action. Unknown names make [`build`](Self::build) fail.
    pub fn action(mut self, kind: &str, action: Redaction) -> Self {
        self.actions.push((kind.to_owned(), action));
        self
    }

    /// Sets the action for every kind without its own action. Default:
    /// [`Redaction::Placeholder`].
    pub fn default_action(mut self, action: Redaction) -> Self {
        self.default_action = action;
        self
    }

    /// Adds a custom regex rule. Matches are redacted as [`Kind::custom`] named `name`
    /// (placeholder `[REDACTED:<name>]`). Names use ASCII letters, digits, `_`, `-`, `.`.
    pub fn custom_rule(mut self, name: &str, pattern: &str, action: Redaction) -> Self {
        self.custom
            .push((name.to_owned(), pattern.to_owned(), action));
        self
    }

    /// Disables one built-in kind by name. Unknown names make [`build`](Self::build) fail.
    pub fn disable(mut self, kind: &str) -> Self {
        self.disabled.push(kind.to_owned());
        self
    }

    /// Replaces the person-name detector. Default: the built-in
    /// [`PersonNames`](crate::PersonNames); `disable("person_name")` turns names off.
    pub fn name_detector(mut self, detector: Arc<dyn NameDetector>) -> Self {
        self.names = Some(detector);
        self.builtin_names = false;
        self
    }

    /// Key for [`Redaction::Hash`] when the [`ScrubContext`] has none. Default: a random
    /// key per scrubber, so hashes are only comparable within one scrubber's lifetime.
    pub fn hash_key(mut self, key: [u8; 32]) -> Self {
        self.hash_key = Some(key);
        self
    }

    /// Builds the scrubber.
    ///
    /// # Errors
    ///
    /// [`ScrubError::UnknownKind`] when `action` or `disable` names no built-in kind,
    /// [`ScrubError::InvalidRuleName`] for a bad or duplicate custom rule name, and
    /// [`ScrubError::InvalidPattern`] when a custom rule's regex does not compile. Errors
    /// name the rule and never quote the pattern.
    pub fn build(self) -> Result<Scrubber, ScrubError> {
        let lookup = |name: &str| {
            Kind::from_name(name).ok_or_else(|| ScrubError::UnknownKind {
                kind: sanitize(name),
            })
        };
        let mut actions = HashMap::new();
        for (name, action) in &self.actions {
            actions.insert(lookup(name)?, *action);
        }
        let mut disabled = HashSet::new();
        for name in &self.disabled {
            disabled.insert(lookup(name)?);
        }
        let mut custom = Vec::new();
        let mut seen = HashSet::new();
        for (name, pattern, action) in self.custom {
            let valid = !name.is_empty()
                && name.len() <= 64
                && name
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.'))
                && Kind::from_name(&name).is_none()
                && seen.insert(name.clone());
            if !valid {
                return Err(ScrubError::InvalidRuleName {
                    rule: sanitize(&name),
                });
            }
            let regex = regex::RegexBuilder::new(&pattern)
                .size_limit(1 << 22)
                .build()
                .map_err(|e| ScrubError::InvalidPattern {
                    rule: name.clone(),
                    reason: match e {
                        regex::Error::CompiledTooBig(_) => "pattern is too large",
                        _ => "invalid regular expression syntax",
                    },
                })?;
            let kind = Kind::custom(&name);
            actions.insert(kind.clone(), action);
            custom.push(CustomRule { kind, regex });
        }
        // A disabled kind is never looked for: the scan costs time.
        let names = self
            .names
            .filter(|_| !disabled.contains(&Kind::PERSON_NAME));
        let mut disabled: Vec<Kind> = disabled
            .into_iter()
            .filter(|k| *k != Kind::PERSON_NAME)
            .collect();
        disabled.sort();
        Ok(Scrubber {
            inner: Arc::new(Inner {
                actions,
                default_action: self.default_action,
                disabled,
                custom,
                names,
                builtin_names: self.builtin_names,
                hash_key: match self.hash_key {
                    Some(key) => key,
                    None => random_key()?,
                },
            }),
        })
    }
}

/// Printable ASCII only, bounded, for names echoed in errors.
fn sanitize(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_graphic() || *c == ' ')
        .take(64)
        .collect()
}

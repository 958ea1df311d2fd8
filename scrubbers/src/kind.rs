//! Kinds of detected data, redaction actions and findings.
//!
//! Built-in kinds are not listed here: they come from the detector catalogue
//! ([`crate::catalogue`]), which declares each once with its name and placeholder.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Range;
use std::sync::Arc;

/// The definition of a built-in kind: one row of the catalogue's kind table.
#[derive(Debug)]
pub(crate) struct KindDef {
    /// Stable snake_case name (`"email"`, `"github_token"`).
    pub name: &'static str,
    /// What replaces a span under [`Redaction::Placeholder`].
    pub placeholder: &'static str,
    /// The kind's own default action; `None` follows the scrubber's default.
    pub action: Option<Redaction>,
}

/// What a detected span is.
///
/// Every built-in kind has a stable snake_case [`name`](Kind::name) used in configuration
/// (`ScrubberBuilder::action`, `ScrubberBuilder::disable`), in redaction counts and in
/// placeholders such as `[REDACTED:github_token]`. The structural kinds are associated
/// constants (`Kind::EMAIL`); vendor-token kinds come from the catalogue's token rows and
/// are found with [`Kind::from_name`]; [`Kind::custom`] names a custom rule's kind.
#[derive(Clone)]
pub struct Kind(pub(crate) Repr);

#[derive(Clone)]
pub(crate) enum Repr {
    BuiltIn(&'static KindDef),
    Custom(Arc<str>),
}

impl Kind {
    /// A built-in kind from its definition.
    pub(crate) const fn built_in(def: &'static KindDef) -> Kind {
        Kind(Repr::BuiltIn(def))
    }

    /// The kind of a custom rule named `name` (placeholder `[REDACTED:<name>]`).
    pub fn custom(name: &str) -> Kind {
        Kind(Repr::Custom(Arc::from(name)))
    }

    /// Whether this is a custom rule's kind.
    pub fn is_custom(&self) -> bool {
        matches!(self.0, Repr::Custom(_))
    }

    /// The stable snake_case name of this kind (`"email"`, `"github_token"`, or a custom
    /// rule's name).
    pub fn name(&self) -> &str {
        match &self.0 {
            Repr::BuiltIn(def) => def.name,
            Repr::Custom(name) => name,
        }
    }

    /// Looks up a built-in kind by its [`name`](Kind::name).
    pub fn from_name(name: &str) -> Option<Kind> {
        crate::catalogue::kind_by_name(name)
    }

    /// Every built-in kind: the structural ones, then the vendor-token kinds.
    pub fn all() -> Vec<Kind> {
        crate::catalogue::all_kinds()
    }

    /// The typed placeholder that replaces this kind under [`Redaction::Placeholder`].
    pub fn placeholder(&self) -> String {
        let mut s = String::new();
        self.write_placeholder(&mut s);
        s
    }

    /// The kind's own default action from the catalogue, if it has one.
    pub(crate) fn own_action(&self) -> Option<Redaction> {
        match &self.0 {
            Repr::BuiltIn(def) => def.action,
            Repr::Custom(_) => None,
        }
    }

    pub(crate) fn write_placeholder(&self, out: &mut String) {
        match &self.0 {
            Repr::BuiltIn(def) => out.push_str(def.placeholder),
            Repr::Custom(name) => {
                out.push_str("[REDACTED:");
                out.push_str(name);
                out.push(']');
            }
        }
    }
}

// Identity is the name: built-in names are unique in the catalogue and custom names may
// not reuse them.
impl PartialEq for Kind {
    fn eq(&self, other: &Self) -> bool {
        // The same definition is the same kind (the usual case, without a string compare).
        if let (Repr::BuiltIn(a), Repr::BuiltIn(b)) = (&self.0, &other.0) {
            if std::ptr::eq(*a, *b) {
                return true;
            }
        }
        self.name() == other.name()
    }
}

impl Eq for Kind {}

impl Hash for Kind {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name().hash(state);
    }
}

impl PartialOrd for Kind {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Kind {
    fn cmp(&self, other: &Self) -> Ordering {
        self.name().cmp(other.name())
    }
}

impl fmt::Debug for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::BuiltIn(def) => write!(f, "Kind({})", def.name),
            Repr::Custom(name) => write!(f, "Kind::custom({name})"),
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How a detected span is redacted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Redaction {
    /// Replace with the kind's typed placeholder, e.g. `[EMAIL]` or `[REDACTED:jwt]`.
    /// The default.
    #[default]
    Placeholder,
    /// Replace with `[HASH:<kind>:<16 hex>]`, a keyed BLAKE3 hash of the value, so equal
    /// values can still be joined without being revealed.
    Hash,
    /// Keep the last four characters and replace every other character with `*`.
    Mask,
    /// Remove the span entirely.
    Remove,
}

/// One detected span of a text.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Finding {
    /// What was detected.
    pub kind: Kind,
    /// Byte range of the span in the scanned text (always on `char` boundaries).
    pub range: Range<usize>,
    /// The catalogue rule that produced the span (e.g. `"email"`, `"key_value"`,
    /// `"github_classic_pat"`, or `"custom"`), so reviewers can see why it was redacted.
    pub rule: &'static str,
}

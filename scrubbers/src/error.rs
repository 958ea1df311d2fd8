//! The error type of the builder.

/// Why a [`Scrubber`](crate::Scrubber) could not be built.
///
/// Errors name the offending rule or kind; they never echo a pattern or any scanned text,
/// because custom patterns may themselves contain sensitive literals.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScrubError {
    /// `action` or `disable` named a kind that is not built in.
    #[error("unknown scrubber kind `{kind}`")]
    UnknownKind {
        /// The unknown kind name.
        kind: String,
    },
    /// A custom rule's name is empty, contains characters other than ASCII letters,
    /// digits, `_`, `-` and `.`, or clashes with a built-in kind or another rule.
    #[error("invalid or duplicate custom rule name `{rule}`")]
    InvalidRuleName {
        /// The rejected rule name (sanitised to printable ASCII).
        rule: String,
    },
    /// A custom rule's regular expression does not compile.
    #[error("custom rule `{rule}`: {reason}")]
    InvalidPattern {
        /// The name of the rule.
        rule: String,
        /// A short reason that does not quote the pattern.
        reason: &'static str,
    },
    /// No hash key was given and the operating system's random source failed, so no key
    /// that cannot be guessed could be made.
    #[error("the operating system's random source failed; set a hash key")]
    NoRandomness,
}

//! Detectors and redaction for personal data and secrets in telemetry text and JSON.
//!
//! One engine, used by the collector (authoritative) and by the SDK (defence in depth).
//! A [`Scrubber`] finds emails, phone numbers, IP and MAC addresses, payment cards
//! (Luhn-checked), IBANs (mod-97), US SSNs, user names in home paths, URL credentials,
//! secrets behind keys that name them (in `.env`, YAML, JSON, XML, code, headers, URLs,
//! connection strings, Kubernetes Secrets), authorization credentials of every scheme,
//! JWTs, PEM private keys, some 230 vendor token formats, generic high-entropy secrets,
//! person names in free text (a bundled lexicon of real names, weighed with context) and
//! custom regex rules, and replaces each span with a typed placeholder, a keyed hash, a
//! mask or nothing.
//!
//! # The catalogue
//!
//! Every detection rule is a row of data: the structural families' kinds and rules in
//! `catalogue/mod.rs`, and the vendor-token rows (kind, rule, prefixes, body, check,
//! context keywords) in `catalogue/tokens/*.tsv`, from which the scanner's dispatch tables
//! are built. Kinds, names and placeholders derive from the rows; [`rules`] lists them.
//! Adding a vendor format is one row plus its cases in `tests/cases/tokens_*.txt` (a test
//! fails when a rule has fewer than three positive and two hard-negative cases).
//!
//! # What it sees through and what it keeps
//!
//! Text that carries an encoding (`jane%40example.com`, `\u0040`, zero-width characters,
//! fullwidth `＠`) is also scanned decoded, and the whole encoded span is redacted. A value
//! found only by its context (behind a key, after `Bearer`) is redacted wherever else it
//! appears in the text and, through [`Scrubber::scrub_json`], in the same event.
//!
//! It keeps what makes an error useful: error codes, versions and build numbers, user
//! agents, package names, relative paths, ports, durations, UUIDs, git SHAs, timestamps,
//! digests, numbers that fail the checksum of what they look like, documentation
//! placeholders (`xxxx`, `EXAMPLE`, `<your-key>`, `${VAR}`), references to secrets stored
//! elsewhere (`process.env.X`, `$(vault …)`), and keys that are public by design (PostHog
//! `phc_` project keys, Stripe `pk_` publishable keys, SSH public keys). Loopback and
//! unspecified addresses (`127.0.0.1`, `0.0.0.0`, `::1`) are kept: they identify no one.
//!
//! Output is idempotent: scrubbing scrubbed text changes nothing.
//!
//! # Examples
//!
//! ```
//! use hush_scrubbers::{Redaction, ScrubContext, Scrubber};
//!
//! let scrubber = Scrubber::default();
//! let text = "EACCES: open '/home/jdoe/app/.env' (token=ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789)";
//! assert_eq!(
//!     scrubber.scrub_text(text),
//!     "EACCES: open '/home/[USER]/app/.env' (token=[REDACTED:github_token])"
//! );
//!
//! // Per-kind actions, custom rules and counts.
//! let scrubber = Scrubber::builder()
//!     .action("email", Redaction::Hash)
//!     .custom_rule("ticket", r"TICKET-\d+", Redaction::Placeholder)
//!     .build()?;
//! let mut ctx = ScrubContext::with_hash_key([7; 32]);
//! let mut event = serde_json::json!({"msg": "TICKET-42 from ann@example.org", "password": "hunter22"});
//! scrubber.scrub_json(&mut event, &mut ctx);
//! assert_eq!(event["password"], "[REDACTED:password]");
//! assert!(event["msg"].as_str().unwrap().starts_with("[REDACTED:ticket] from [HASH:email:"));
//! assert_eq!(ctx.total(), 3);
//! # Ok::<(), hush_scrubbers::ScrubError>(())
//! ```
#![warn(missing_docs)]

mod catalogue;
mod context;
mod decode;
mod detectors;
mod error;
mod json;
mod kind;
mod names;
mod repeat;
mod scrubber;
mod validate;

pub use catalogue::{rules, RuleInfo};
pub use context::ScrubContext;
pub use error::ScrubError;
pub use json::add_summary;
pub use kind::{Finding, Kind, Redaction};
pub use names::{lexicon_bytes, PersonNames};
pub use scrubber::{NameDetector, Scrubber, ScrubberBuilder};

//! The detector catalogue: every built-in kind and every detection rule, declared once as
//! data.
//!
//! Three tables:
//!
//! - [`kinds!`] below: the structural kinds (emails, phones, key–value secrets, …), each
//!   one line with its name and placeholder. Their matchers are code, one file per family
//!   under `detectors/`.
//! - [`FAMILY_RULES`]: the rules those family matchers report, with their kinds.
//! - `tokens/*.tsv`: the vendor-token rows (kind, rule, prefixes, body, check, context),
//!   read by [`tokens`] into the table the scanner dispatches on. Adding a vendor format is
//!   one row there plus its cases in `tests/cases/tokens_*.txt`.
//!
//! Kinds, names and placeholders are derived from these rows; nothing lists them again.

pub(crate) mod tokens;

use crate::kind::{Kind, KindDef};

pub(crate) use tokens::{token_table, ContextRows, TokenRow, TokenTable};

macro_rules! kinds {
    ($( $(#[doc = $doc:expr])* $konst:ident = $name:literal, $placeholder:literal; )*) => {
        impl Kind {
            $(
                $(#[doc = $doc])*
                pub const $konst: Kind = Kind::built_in(&KindDef {
                    name: $name,
                    placeholder: $placeholder,
                    action: None,
                });
            )*
        }

        /// The structural kinds, in declaration order.
        pub(crate) const STRUCTURAL_KINDS: &[Kind] = &[$(Kind::$konst),*];
    };
}

kinds! {
    /// An email address.
    EMAIL = "email", "[EMAIL]";
    /// A phone number in international or national format.
    PHONE = "phone", "[PHONE]";
    /// An IPv4 address. Loopback, unspecified and broadcast addresses are kept.
    IPV4 = "ipv4", "[IP]";
    /// An IPv6 address. `::` and `::1` are kept.
    IPV6 = "ipv6", "[IP]";
    /// A Luhn-valid payment card number.
    CREDIT_CARD = "credit_card", "[CREDIT_CARD]";
    /// A mod-97-valid IBAN.
    IBAN = "iban", "[IBAN]";
    /// A US social security number.
    SSN = "ssn", "[SSN]";
    /// A MAC address.
    MAC_ADDRESS = "mac_address", "[MAC]";
    /// A user name: the user part of a home path or the user of URL credentials.
    USERNAME = "username", "[USER]";
    /// The password of `scheme://user:password@host` URL credentials.
    URL_PASSWORD = "url_password", "[REDACTED:url_password]";
    /// A value stored under a password-like key (`password=`, `DB_PASS:` …).
    PASSWORD = "password", "[REDACTED:password]";
    /// A value stored under a token-like key (`access_token=`, `csrftoken:` …).
    TOKEN = "token", "[REDACTED:token]";
    /// A value stored under an API-key-like key (`api_key`, `x-api-key` …).
    API_KEY = "api_key", "[REDACTED:api_key]";
    /// A value stored under a secret-like key (`client_secret`, `private_key`, `signature` …).
    SECRET = "secret", "[REDACTED:secret]";
    /// A cookie or session value.
    COOKIE = "cookie", "[REDACTED:cookie]";
    /// The credential after `Bearer`, `Token` or another scheme in an authorization header.
    BEARER_TOKEN = "bearer_token", "[REDACTED:bearer_token]";
    /// The credential after `Basic` in an authorization header.
    BASIC_AUTH = "basic_auth", "[REDACTED:basic_auth]";
    /// A JSON Web Token (`eyJ….eyJ….sig`).
    JWT = "jwt", "[REDACTED:jwt]";
    /// A PEM private key block, complete or truncated.
    PRIVATE_KEY = "private_key", "[REDACTED:private_key]";
    /// A 40-character AWS secret access key near an AWS or secret keyword.
    AWS_SECRET_KEY = "aws_secret_key", "[REDACTED:aws_secret_key]";
    /// The secret path of a Slack incoming-webhook URL.
    SLACK_WEBHOOK = "slack_webhook", "[REDACTED:slack_webhook]";
    /// The secret path of a Discord webhook URL.
    DISCORD_WEBHOOK = "discord_webhook", "[REDACTED:discord_webhook]";
    /// A long, high-entropy, mixed-case alphanumeric string that looks like a credential.
    HIGH_ENTROPY_SECRET = "high_entropy_secret", "[REDACTED:high_entropy_secret]";
    /// A person's name in free text, found by the built-in [`PersonNames`](crate::PersonNames)
    /// or a plugged-in [`NameDetector`](crate::NameDetector).
    PERSON_NAME = "person_name", "[PERSON]";
}

/// A rule of a structural family: its name (a finding's `rule`), the family file that
/// implements it, and the kinds it reports.
pub(crate) struct FamilyRule {
    pub name: &'static str,
    pub family: &'static str,
    pub kinds: &'static [Kind],
}

// A macro, not a `const fn`: kinds hold an `Arc` (custom kinds), so a slice of them is only
// `'static` when it is written inside the constant itself.
macro_rules! rule {
    ($name:literal, $family:literal, [$($kind:ident),* $(,)?]) => {
        FamilyRule {
            name: $name,
            family: $family,
            kinds: &[$(Kind::$kind),*],
        }
    };
}

/// Every rule of the structural families (`detectors/<family>.rs`).
pub(crate) const FAMILY_RULES: &[FamilyRule] = &[
    rule!("email", "email", [EMAIL]),
    rule!("url_credentials", "url", [USERNAME, URL_PASSWORD]),
    rule!("slack_webhook", "url", [SLACK_WEBHOOK]),
    rule!("discord_webhook", "url", [DISCORD_WEBHOOK]),
    rule!("pem_private_key", "pem", [PRIVATE_KEY]),
    rule!("jwt", "jwt", [JWT]),
    rule!("bearer", "jwt", [BEARER_TOKEN]),
    rule!(
        "key_value",
        "key_value",
        [
            PASSWORD,
            TOKEN,
            API_KEY,
            SECRET,
            COOKIE,
            BEARER_TOKEN,
            AWS_SECRET_KEY
        ]
    ),
    rule!("authorization", "key_value", [BEARER_TOKEN, BASIC_AUTH]),
    rule!("cookie", "key_value", [COOKIE]),
    rule!("home_path", "home", [USERNAME]),
    rule!("ipv4", "ip", [IPV4]),
    rule!("ipv6", "ip", [IPV6]),
    rule!("mac_address", "mac", [MAC_ADDRESS]),
    rule!("phone", "digits", [PHONE]),
    rule!("credit_card", "digits", [CREDIT_CARD]),
    rule!("ssn", "digits", [SSN]),
    rule!("iban", "iban", [IBAN]),
    rule!("aws_secret_key", "long_token", [AWS_SECRET_KEY]),
    rule!("high_entropy", "long_token", [HIGH_ENTROPY_SECRET]),
    // Not a detector of its own: another copy of a value a contextual rule found.
    rule!("repeat", "repeat", []),
];

/// Every built-in kind: structural first, then the token rows' kinds.
pub(crate) fn all_kinds() -> Vec<Kind> {
    let mut all = STRUCTURAL_KINDS.to_vec();
    all.extend(token_table().kinds().iter().cloned());
    all
}

/// The built-in kind named `name`.
pub(crate) fn kind_by_name(name: &str) -> Option<Kind> {
    STRUCTURAL_KINDS
        .iter()
        .find(|k| k.name() == name)
        .or_else(|| token_table().kinds().iter().find(|k| k.name() == name))
        .cloned()
}

/// One detection rule of the catalogue, as [`rules`] lists it.
#[derive(Clone, Debug)]
pub struct RuleInfo {
    /// The rule's name, as a [`Finding`](crate::Finding) reports it.
    pub rule: &'static str,
    /// The detector family that implements it (`"email"`, `"key_value"`, `"vendor"`, …).
    pub family: &'static str,
    /// The kinds it reports.
    pub kinds: Vec<Kind>,
}

/// Every rule in the catalogue: the structural families' rules, then the vendor-token
/// rows.
pub fn rules() -> Vec<RuleInfo> {
    let mut all: Vec<RuleInfo> = FAMILY_RULES
        .iter()
        .map(|r| RuleInfo {
            rule: r.name,
            family: r.family,
            kinds: r.kinds.to_vec(),
        })
        .collect();
    all.extend(token_table().rows().iter().map(|r| RuleInfo {
        rule: r.rule,
        family: "vendor",
        kinds: vec![r.kind.clone()],
    }));
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_placeholders_match() {
        let kinds = all_kinds();
        let mut names: Vec<&str> = kinds.iter().map(Kind::name).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len(), "a kind name is declared twice");
        let mut rules: Vec<&str> = rules().iter().map(|r| r.rule).collect();
        rules.sort_unstable();
        let before = rules.len();
        rules.dedup();
        assert_eq!(before, rules.len(), "a rule name is declared twice");
        for k in &kinds {
            let p = k.placeholder();
            assert!(p.starts_with('[') && p.ends_with(']'), "{p}");
            assert!(
                crate::detectors::placeholder::contains_placeholder(&p),
                "{p} is not recognised as our own output"
            );
        }
    }
}

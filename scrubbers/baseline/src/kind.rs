//! Kinds of detected data, redaction actions and findings.

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

/// What a detected span is.
///
/// Every built-in kind has a stable snake_case [`name`](Kind::name) used in configuration
/// (`ScrubberBuilder::action`, `ScrubberBuilder::disable`), in redaction counts and in
/// placeholders such as `[REDACTED:github_token]`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Kind {
    /// An email address (`[EMAIL]`).
    Email,
    /// A phone number in international or national format (`[PHONE]`).
    Phone,
    /// An IPv4 address (`[IP]`). Loopback, unspecified and broadcast addresses are kept.
    Ipv4,
    /// An IPv6 address (`[IP]`). `::` and `::1` are kept.
    Ipv6,
    /// A Luhn-valid payment card number (`[CREDIT_CARD]`).
    CreditCard,
    /// A mod-97-valid IBAN (`[IBAN]`).
    Iban,
    /// A US social security number (`[SSN]`).
    Ssn,
    /// A MAC address (`[MAC]`).
    MacAddress,
    /// A user name: the user part of a home path or the user of URL credentials (`[USER]`).
    Username,
    /// The password of `scheme://user:password@host` URL credentials.
    UrlPassword,
    /// A value stored under a password-like key (`password=`, `DB_PASS:` …).
    Password,
    /// A value stored under a token-like key (`access_token=`, `csrftoken:` …).
    Token,
    /// A value stored under an API-key-like key (`api_key`, `x-api-key` …).
    ApiKey,
    /// A value stored under a secret-like key (`client_secret`, `private_key`, `credentials` …).
    Secret,
    /// A cookie or session value.
    Cookie,
    /// The credential after `Bearer` (or `Token`) in an authorization header or text.
    BearerToken,
    /// The credential after `Basic` in an authorization header.
    BasicAuth,
    /// A JSON Web Token (`eyJ….eyJ….sig`).
    Jwt,
    /// A PEM private key block, complete or truncated.
    PrivateKey,
    /// An OpenAI API key (`sk-`, `sk-proj-`, `sk-svcacct-`, `sk-admin-`).
    OpenaiKey,
    /// An Anthropic API key (`sk-ant-`).
    AnthropicKey,
    /// A GitHub token (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`, `github_pat_`).
    GithubToken,
    /// A GitLab personal access token (`glpat-`).
    GitlabToken,
    /// An AWS access key id (`AKIA…`, `ASIA…` …).
    AwsAccessKey,
    /// A 40-character AWS secret access key near an AWS or secret keyword.
    AwsSecretKey,
    /// A Google API key (`AIza…`).
    GoogleApiKey,
    /// A Slack token (`xoxb-`, `xoxp-` …).
    SlackToken,
    /// The secret path of a Slack incoming-webhook URL.
    SlackWebhook,
    /// The secret path of a Discord webhook URL.
    DiscordWebhook,
    /// A Stripe secret, restricted or webhook-signing key (`sk_live_`, `rk_live_`, `whsec_` …).
    /// Publishable keys (`pk_…`) are public by design and kept.
    StripeKey,
    /// An npm access token (`npm_`).
    NpmToken,
    /// A Hugging Face token (`hf_`).
    HuggingfaceToken,
    /// A PostHog personal API key (`phx_`). Project keys (`phc_`) are public and kept.
    PosthogPersonalKey,
    /// A SendGrid API key (`SG.….…`).
    SendgridKey,
    /// A Twilio API key SID (`SK` + 32 hex).
    TwilioKey,
    /// A long, high-entropy, mixed-case alphanumeric string that looks like a credential.
    HighEntropySecret,
    /// A person's name reported by a plugged-in [`NameDetector`](crate::NameDetector).
    PersonName,
    /// A match of a custom rule from configuration, named by the rule.
    Custom(Arc<str>),
}

/// All built-in kinds, in declaration order.
pub(crate) const BUILT_IN: &[Kind] = &[
    Kind::Email,
    Kind::Phone,
    Kind::Ipv4,
    Kind::Ipv6,
    Kind::CreditCard,
    Kind::Iban,
    Kind::Ssn,
    Kind::MacAddress,
    Kind::Username,
    Kind::UrlPassword,
    Kind::Password,
    Kind::Token,
    Kind::ApiKey,
    Kind::Secret,
    Kind::Cookie,
    Kind::BearerToken,
    Kind::BasicAuth,
    Kind::Jwt,
    Kind::PrivateKey,
    Kind::OpenaiKey,
    Kind::AnthropicKey,
    Kind::GithubToken,
    Kind::GitlabToken,
    Kind::AwsAccessKey,
    Kind::AwsSecretKey,
    Kind::GoogleApiKey,
    Kind::SlackToken,
    Kind::SlackWebhook,
    Kind::DiscordWebhook,
    Kind::StripeKey,
    Kind::NpmToken,
    Kind::HuggingfaceToken,
    Kind::PosthogPersonalKey,
    Kind::SendgridKey,
    Kind::TwilioKey,
    Kind::HighEntropySecret,
    Kind::PersonName,
];

impl Kind {
    /// The stable snake_case name of this kind (`"email"`, `"github_token"`, or a custom
    /// rule's name).
    pub fn name(&self) -> &str {
        match self {
            Kind::Email => "email",
            Kind::Phone => "phone",
            Kind::Ipv4 => "ipv4",
            Kind::Ipv6 => "ipv6",
            Kind::CreditCard => "credit_card",
            Kind::Iban => "iban",
            Kind::Ssn => "ssn",
            Kind::MacAddress => "mac_address",
            Kind::Username => "username",
            Kind::UrlPassword => "url_password",
            Kind::Password => "password",
            Kind::Token => "token",
            Kind::ApiKey => "api_key",
            Kind::Secret => "secret",
            Kind::Cookie => "cookie",
            Kind::BearerToken => "bearer_token",
            Kind::BasicAuth => "basic_auth",
            Kind::Jwt => "jwt",
            Kind::PrivateKey => "private_key",
            Kind::OpenaiKey => "openai_key",
            Kind::AnthropicKey => "anthropic_key",
            Kind::GithubToken => "github_token",
            Kind::GitlabToken => "gitlab_token",
            Kind::AwsAccessKey => "aws_access_key",
            Kind::AwsSecretKey => "aws_secret_key",
            Kind::GoogleApiKey => "google_api_key",
            Kind::SlackToken => "slack_token",
            Kind::SlackWebhook => "slack_webhook",
            Kind::DiscordWebhook => "discord_webhook",
            Kind::StripeKey => "stripe_key",
            Kind::NpmToken => "npm_token",
            Kind::HuggingfaceToken => "huggingface_token",
            Kind::PosthogPersonalKey => "posthog_personal_key",
            Kind::SendgridKey => "sendgrid_key",
            Kind::TwilioKey => "twilio_key",
            Kind::HighEntropySecret => "high_entropy_secret",
            Kind::PersonName => "person_name",
            Kind::Custom(name) => name,
        }
    }

    /// Looks up a built-in kind by its [`name`](Kind::name).
    pub fn from_name(name: &str) -> Option<Kind> {
        BUILT_IN.iter().find(|k| k.name() == name).cloned()
    }

    /// The typed placeholder that replaces this kind under [`Redaction::Placeholder`].
    pub fn placeholder(&self) -> String {
        let mut s = String::new();
        self.write_placeholder(&mut s);
        s
    }

    pub(crate) fn write_placeholder(&self, out: &mut String) {
        let fixed = match self {
            Kind::Email => "[EMAIL]",
            Kind::Phone => "[PHONE]",
            Kind::Ipv4 | Kind::Ipv6 => "[IP]",
            Kind::CreditCard => "[CREDIT_CARD]",
            Kind::Iban => "[IBAN]",
            Kind::Ssn => "[SSN]",
            Kind::MacAddress => "[MAC]",
            Kind::Username => "[USER]",
            Kind::PersonName => "[NAME]",
            other => {
                out.push_str("[REDACTED:");
                out.push_str(other.name());
                out.push(']');
                return;
            }
        };
        out.push_str(fixed);
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
    /// Identifier of the rule that produced the span (e.g. `"email"`, `"key_value"`,
    /// `"vendor_token"`, or `"custom"`), so reviewers can see why it was redacted.
    pub rule: &'static str,
}

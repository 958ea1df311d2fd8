//! Typed settings for hush: the collector's configuration, the event policy and the SDK's
//! consent rules.
//!
//! - [`CollectorConfig::load`] layers built-in defaults < a TOML file < `HUSH_*` environment
//!   variables (with `__` for nesting, e.g. `HUSH_POSTHOG__HOST`) and validates the result.
//! - [`catalogue`] lists every event the SDK sends; [`Policy`] forwards it by default, and
//!   tenants may extend it.
//! - [`consent::resolve`] decides whether an app may send telemetry, and why.
//!
//! Secrets are held in [`Secret`], whose `Debug`, `Display` and `Serialize` print
//! `[redacted]`.

pub mod catalogue;
mod collector;
pub mod consent;
mod error;
mod policy;
mod secret;

pub use catalogue::EventClass;
pub use collector::{
    AdminConfig, ClickHouseConfig, CollectorConfig, LimitsConfig, LocalSinkConfig, PostHogConfig,
    Preset, QueueConfig, ScrubAction, ScrubConfig, ScrubRuleConfig, TenantConfig,
};
pub use error::ConfigError;
pub use policy::{Policy, PolicyConfig};
pub use secret::Secret;

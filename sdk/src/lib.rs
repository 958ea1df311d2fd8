//! `hush-sdk`: a consent-first telemetry client for apps and developer tools.
//!
//! - **Consent first.** The level (`off`, `basic`, `full`) is resolved at start with the
//!   rules of `hush_config::consent`: the disable flag (`NEXT_PUBLIC_DISABLE_TELEMETRY`), a
//!   missing project key (`NEXT_PUBLIC_POSTHOG_KEY`) or `DO_NOT_TRACK` turn it off; full
//!   needs an explicit opt-in. Off means no thread, no socket and no file.
//! - **A small catalogue.** Basic events ([`Telemetry::setup_completed`], …) are sent when
//!   telemetry is on; opt-in events ([`Telemetry::prompt_sent`], …) only at level full and
//!   are never queued below it.
//! - **Privacy on the client.** Error texts and prompts are scrubbed with `hush-scrubbers`
//!   before they are queued; the id is an app-specific keyed hash of the machine id; `$ip`,
//!   host name, user name and working directory are never sent.
//! - **Never blocks.** Events go to a bounded queue drained by one background thread that
//!   sends gzip-compressed PostHog batches with retries; what cannot be sent by shutdown is
//!   kept in an encrypted spool for the next start.
//! - **Debug mode** (`HUSH_TELEMETRY_DEBUG=1`) prints each event as JSON and sends nothing.
//! - **Data rights.** [`Telemetry::forget`] asks the collector to erase this machine's data
//!   (`POST /v1/erase`, returning a [`Receipt`]) and then deletes the local id, spool and
//!   choice; offline, the request is kept encrypted and sent before any event at the next
//!   start. [`Telemetry::export`] returns what the collector stores about this machine.
//!
//! # Examples
//!
//! ```
//! use hush_sdk::{Level, Telemetry};
//! use std::time::Duration;
//!
//! let dir = tempfile::tempdir()?;
//! let out = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
//! # #[derive(Clone)] struct Sink(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
//! # impl std::io::Write for Sink {
//! #     fn write(&mut self, b: &[u8]) -> std::io::Result<usize> { self.0.lock().unwrap().write(b) }
//! #     fn flush(&mut self) -> std::io::Result<()> { Ok(()) }
//! # }
//! let telemetry = Telemetry::builder("devtool", "1.0.0")
//!     .environment([
//!         ("NEXT_PUBLIC_POSTHOG_KEY", "phc_project_key"),
//!         ("HUSH_TELEMETRY_DEBUG", "1"),
//!     ])
//!     .dotenv_dir(dir.path())
//!     .config_dir(dir.path().join("config"))
//!     .cache_dir(dir.path().join("cache"))
//!     .debug_writer(Sink(out.clone()))
//!     .build();
//! assert_eq!(telemetry.status().level, Level::Basic);
//!
//! telemetry.setup_failed("cannot read /home/alice/app/.env: permission denied");
//! telemetry.prompt_sent("never leaves: the user did not opt in", "gpt-4o");
//! let _ = telemetry.flush(Duration::from_secs(1));
//!
//! let printed = String::from_utf8(out.lock().unwrap().clone())?;
//! assert!(printed.contains("\"setup_failed\""));
//! assert!(!printed.contains("prompt_sent"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod builder;
mod client;
mod consent;
mod error;
mod events;
mod files;
mod machine_id;
mod notice;
mod queue;
mod redact;
mod rights;
mod spool;
mod status;
mod transport;
mod worker;

pub use builder::Builder;
pub use client::Telemetry;
pub use error::Error;
pub use events::{EventClass, CATALOGUE};
pub use hush_config::consent::{ConsentError, ConsentVars, Level, Rule, Source};
pub use rights::{
    Erase, EraseState, EraseStatus, ForgetOutcome, NotAsked, Receipt, Refusal, Removed,
};
pub use status::{Flush, Stats, Status};

//! `hush-collector check-config`: the effective configuration, secrets redacted, or the
//! error naming the key and where it came from.

use hush_config::CollectorConfig;
use std::path::PathBuf;
use std::process::ExitCode;

/// Prints the effective configuration (exit 0) or the error (exit 2).
pub fn check_config(config: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    match CollectorConfig::load(config.as_deref()) {
        Ok(config) => {
            // The scrubbing settings name kinds the scrubber knows: build it to check them.
            if let Err(e) = hush_collector::build_scrubber(&config.scrub) {
                eprintln!("hush-collector: scrub: {e}");
                return Ok(ExitCode::from(2));
            }
            for warning in &config.warnings {
                eprintln!("hush-collector: warning: {warning}");
            }
            // Secret's Serialize prints "[redacted]".
            println!("{}", serde_json::to_string_pretty(&config)?);
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("hush-collector: {e}");
            Ok(ExitCode::from(2))
        }
    }
}

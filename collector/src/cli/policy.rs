//! `hush-collector policy`: the transparency report of the active policy, as Markdown (see
//! `hush_collector::report`).
//!
//! - `--tenant NAME`: that tenant's effective policy.
//! - no `--tenant`, no tenant configured (the embedded default): the local dev tenant that
//!   `serve` would make — what a collector started with no configuration collects.
//! - no `--tenant`, tenants configured: the policy every tenant starts from, then what each
//!   tenant adds.
//!
//! It reads the configuration as `serve` does and writes nothing: with no dev tenant in
//! `data_dir` yet, the one `serve` would make is made in a scratch directory and removed.

use hush_collector::dev_tenant;
use hush_collector::report::{self, Subject};
use hush_config::{CollectorConfig, TenantConfig};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Prints the report (exit 0), or the error (exit 2) for a configuration `serve` would
/// refuse or an unknown `--tenant`.
pub fn policy(config: Option<PathBuf>, tenant: Option<String>) -> anyhow::Result<ExitCode> {
    let mut loaded = match CollectorConfig::load(config.as_deref()) {
        Ok(loaded) => loaded,
        Err(e) => {
            eprintln!("hush-collector: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    for warning in &loaded.warnings {
        eprintln!("hush-collector: warning: {warning}");
    }
    let source = match &config {
        Some(path) => format!("`{}`", path.display()),
        None => "the embedded default configuration".to_owned(),
    };
    let dev = loaded.tenants.is_empty();
    if dev {
        loaded.tenants.push(dev_tenant(&loaded.data_dir)?);
    }
    let subject = match tenant.as_deref() {
        Some(name) => Subject::Tenant {
            name,
            dev: dev && loaded.tenants.iter().any(|t| t.name == name),
        },
        None if dev => Subject::Tenant {
            name: &loaded.tenants[0].name,
            dev: true,
        },
        None => Subject::Base,
    };
    match report::render(&loaded, subject, &source) {
        Ok(text) => {
            print!("{text}");
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("hush-collector: {e}");
            Ok(ExitCode::from(2))
        }
    }
}

/// The dev tenant `serve` uses for `data_dir`: the one kept there, or else one made as
/// `serve` would make it, in a scratch directory removed at once (its keys are random and
/// never printed; only its name and presets matter here).
fn dev_tenant(data_dir: &Path) -> anyhow::Result<TenantConfig> {
    if dev_tenant::dev_tenant_path(data_dir).exists() {
        return Ok(dev_tenant::ensure(data_dir)?);
    }
    let scratch = std::env::temp_dir().join(format!("hush-policy-{}", uuid::Uuid::new_v4()));
    let tenant = dev_tenant::ensure(&scratch);
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(tenant?)
}

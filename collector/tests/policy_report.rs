//! `hush-collector policy`: the transparency report, run as the built binary. The README's
//! "What is collected" section must be the report of the embedded default, word for word.
//!
//! When the policy, the sinks or the detector catalogue change on purpose, regenerate the
//! README's section with `UPDATE_README=1 cargo test -p hush-collector --test policy_report`
//! and review the diff.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use tempfile::TempDir;

const BEGIN: &str = "<!-- policy:begin -->\n";
const END: &str = "<!-- policy:end -->";

/// The binary, run in `dir` with none of the test's own `HUSH_*` variables.
fn bin(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hush-collector"));
    cmd.current_dir(dir);
    for (k, _) in std::env::vars() {
        if k.starts_with("HUSH_") {
            cmd.env_remove(k);
        }
    }
    cmd
}

/// `hush-collector policy ARGS` in `dir`.
fn policy(dir: &Path, args: &[&str]) -> Output {
    bin(dir).arg("policy").args(args).output().unwrap()
}

/// The report, asserting success.
fn report(dir: &Path, args: &[&str]) -> String {
    let out = policy(dir, args);
    assert!(
        out.status.success(),
        "policy {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn write_config(dir: &Path, toml: &str) -> PathBuf {
    let path = dir.join("hush.toml");
    std::fs::write(
        &path,
        format!("data_dir = \"{}\"\n{toml}", dir.join("data").display()),
    )
    .unwrap();
    path
}

const TWO_TENANTS: &str = r#"
[[tenants]]
name = "acme"
api_key = "phc_report_acme_key"
hash_key = "report-acme-hash-key-0123456789abcdef0123"
presets = ["web"]
retention_days = 30
policy = { opt_in_events = ["search_used"], drop_properties = ["customerName"] }

[[tenants]]
name = "beta"
api_key = "phc_report_beta_key"
hash_key = "report-beta-hash-key-0123456789abcdef0123"
"#;

#[test]
fn readme_section_is_the_report_of_the_default_policy() {
    let dir = TempDir::new().unwrap();
    let generated = report(dir.path(), &[]);
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let start = readme
        .find(BEGIN)
        .expect("README has `<!-- policy:begin -->`")
        + BEGIN.len();
    let end = start
        + readme[start..]
            .find(END)
            .expect("README has `<!-- policy:end -->` after the begin marker");
    if readme[start..end] == generated {
        return;
    }
    if std::env::var_os("UPDATE_README").is_some() {
        let updated = format!("{}{generated}{}", &readme[..start], &readme[end..]);
        std::fs::write(&path, updated).unwrap();
        return;
    }
    panic!(
        "README.md's \"What is collected\" differs from `hush-collector policy`; regenerate it \
         with `UPDATE_README=1 cargo test -p hush-collector --test policy_report` and review \
         the diff. The report:\n{generated}"
    );
}

#[test]
fn default_report_snapshot() {
    let dir = TempDir::new().unwrap();
    insta::assert_snapshot!(report(dir.path(), &[]));
}

#[test]
fn the_default_report_writes_nothing_and_covers_the_dev_tenant() {
    let dir = TempDir::new().unwrap();
    let text = report(dir.path(), &[]);
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "no data_dir, no dev tenant file"
    );
    // `serve` with no config makes the dev tenant, which has the web preset.
    assert!(text.contains("local dev tenant `dev`"), "{text}");
    assert!(text.contains("| `$pageview` | web |"), "{text}");
    assert!(text.contains("| `local` | `hush-data/events/"), "{text}");
    assert!(!text.contains("| `posthog` |"), "{text}");
    // The same report for `--tenant dev`.
    assert_eq!(report(dir.path(), &["--tenant", "dev"]), text);
}

#[test]
fn tenant_shows_its_own_additions_and_no_secret() {
    let dir = TempDir::new().unwrap();
    let config = write_config(dir.path(), TWO_TENANTS);
    let config = config.to_str().unwrap();

    let acme = report(dir.path(), &["--config", config, "--tenant", "acme"]);
    assert!(acme.contains("policy of tenant `acme`"), "{acme}");
    assert!(
        acme.contains("| `search_used` | opt-in | tenant `policy` |"),
        "{acme}"
    );
    assert!(acme.contains("| `$pageview` | web |"), "{acme}");
    assert!(acme.contains("`customer_name`"), "{acme}");
    assert!(acme.contains("30 days (tenant `retention_days`)"), "{acme}");
    assert!(acme.contains("tenant `acme`'s `hash_key`"), "{acme}");

    let beta = report(dir.path(), &["--config", config, "--tenant", "beta"]);
    for absent in ["search_used", "$pageview", "customer_name"] {
        assert!(!beta.contains(absent), "{absent} in beta's report:\n{beta}");
    }

    // Without --tenant: the policy every tenant starts from, then each tenant's additions.
    let base = report(dir.path(), &["--config", config]);
    assert!(!base.contains("| `search_used` |"), "{base}");
    assert!(
        base.contains("- `acme`: the web preset") && base.contains("- `beta`: nothing."),
        "{base}"
    );

    for text in [&acme, &beta, &base] {
        for secret in ["phc_report", "report-acme-hash", "report-beta-hash"] {
            assert!(!text.contains(secret), "{secret} in a report");
        }
    }
}

#[test]
fn an_unknown_tenant_is_a_clear_error() {
    let dir = TempDir::new().unwrap();
    let config = write_config(dir.path(), TWO_TENANTS);
    let out = policy(
        dir.path(),
        &["--config", config.to_str().unwrap(), "--tenant", "nobody"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("no tenant named \"nobody\"") && err.contains("\"acme\", \"beta\""),
        "{err}"
    );
    // With no config, the only tenant is the dev tenant.
    let out = policy(dir.path(), &["--tenant", "acme"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn scrub_actions_disabled_kinds_and_rules_show_up() {
    let dir = TempDir::new().unwrap();
    let config = write_config(
        dir.path(),
        r#"
[posthog]
host = "https://eu.i.posthog.com"
api_key = "phc_forward_key"

[clickhouse]
url = "http://ch-user:ch-password@127.0.0.1:8123"
retention_days = 90

[scrub]
actions = { email = "hash", phone = "mask", iban = "remove" }
disable = ["person_name", "ipv4"]
rules = [{ name = "ticket", pattern = "TICKET-[0-9]+" }]
"#,
    );
    let text = report(dir.path(), &["--config", config.to_str().unwrap()]);
    for row in [
        "| `email` | `email` | `[HASH:email:<16 hex>]`, a keyed hash (`[scrub] actions`) |",
        "| `phone` | `phone` | masked: `*` for all but the last four characters (`[scrub] actions`) |",
        "| `iban` | `iban` | removed (`[scrub] actions`) |",
        "| `person_name` | a detector of its own | kept as sent: off (`[scrub] disable`) |",
        "| `ipv4` | `ipv4` | kept as sent: off (`[scrub] disable`) |",
        "| `ipv6` | `ipv6` | `[IP]` |",
        "| `ticket` | `[REDACTED:ticket]` |",
        "| `posthog` | PostHog at `https://eu.i.posthog.com/batch/` |",
        "| `clickhouse` | ClickHouse table `hush.events` at `http://127.0.0.1:8123` | 90 days",
    ] {
        assert!(text.contains(row), "missing {row:?} in:\n{text}");
    }
    assert!(text.contains("2 off (kept as sent)"), "{text}");
    assert!(
        text.contains("| `local`, `posthog`, `clickhouse` |"),
        "every class goes to every sink: {text}"
    );
    assert!(!text.contains("ch-password") && !text.contains("phc_forward_key"));

    // A kind the scrubber does not know: `serve` would not start, nor does the report.
    let config = write_config(dir.path(), "[scrub]\ndisable = [\"no_such_kind\"]\n");
    let out = policy(dir.path(), &["--config", config.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no_such_kind"));
}

//! Loading and validating the collector's configuration.

use hush_config::{CollectorConfig, ConfigError};
use std::fs;
use std::path::PathBuf;
use tempfile::TempDir;

const GOOD_HASH: &str = "0123456789abcdef0123456789abcdef-tenant-secret";

fn file(text: &str) -> (TempDir, PathBuf) {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("hush.toml");
    fs::write(&path, text).unwrap();
    (dir, path)
}

fn load(text: &str, env: &[(&str, &str)]) -> Result<CollectorConfig, ConfigError> {
    let (_dir, path) = file(text);
    CollectorConfig::load_from(
        Some(&path),
        env.iter().map(|(k, v)| (k.to_string(), v.to_string())),
    )
}

fn err(text: &str, env: &[(&str, &str)]) -> String {
    load(text, env).unwrap_err().to_string()
}

#[test]
fn defaults_without_file() {
    let c = CollectorConfig::load_from(None, Vec::new()).unwrap();
    assert_eq!(c.listen.to_string(), "127.0.0.1:8787");
    assert_eq!(c.data_dir, PathBuf::from("hush-data"));
    assert!(c.local.enabled);
    assert!(c.posthog.is_none() && c.clickhouse.is_none());
}

#[test]
fn layers_file_then_env() {
    let c = load(
        &format!(
            r#"
listen = "127.0.0.1:9000"
[[tenants]]
name = "acme"
api_key = "phc_acme"
hash_key = "{GOOD_HASH}"
[posthog]
host = "https://eu.i.posthog.com"
api_key = "phc_forward"
[clickhouse]
url = "http://127.0.0.1:8123"
"#
        ),
        &[
            ("HUSH_POSTHOG__HOST", "http://127.0.0.1:9999"),
            ("HUSH_LISTEN", "127.0.0.1:9001"),
            ("HUSH_TELEMETRY_LEVEL", "full"),
            ("HUSH_QUEUE__MAX_BYTES", "1048576"),
        ],
    )
    .unwrap();
    assert_eq!(c.listen.port(), 9001);
    assert_eq!(c.posthog.as_ref().unwrap().host, "http://127.0.0.1:9999");
    assert_eq!(c.queue.max_bytes, 1_048_576);
    let ch = c.clickhouse.as_ref().unwrap();
    assert_eq!(
        (ch.database.as_str(), ch.user.as_str()),
        ("hush", "default")
    );
    assert_eq!(c.tenant_by_key("phc_acme").unwrap().name, "acme");
}

#[test]
fn unknown_key_names_key_and_file() {
    let msg = err("listen = \"127.0.0.1:1\"\nlisten_adress = \"x\"\n", &[]);
    assert!(msg.contains("listen_adress"), "{msg}");
    assert!(msg.contains("hush.toml"), "{msg}");
    let msg = err(
        "[posthog]\nhost = \"https://x.example\"\napi_key = \"phc_1\"\nhots = 1\n",
        &[],
    );
    assert!(msg.contains("posthog.hots"), "{msg}");
}

#[test]
fn a_stray_hush_variable_is_a_warning_naming_it_and_a_typo_in_the_file_an_error() {
    let config = load(
        "listen = \"127.0.0.1:1\"\n",
        &[
            ("HUSH_LISTN", "127.0.0.1:2"),
            ("HUSH_BIN", "/usr/local/bin/hush"),
            ("HUSH_POSTHOG__HOTS", "x"),
            ("HUSH_QUEUE__MAX_BYTES", "4096"),
        ],
    )
    .unwrap();
    // The real settings still apply; each stray variable is named once.
    assert_eq!(config.queue.max_bytes, 4096);
    assert_eq!(config.listen.port(), 1);
    let warnings = config.warnings.join("\n");
    for name in ["HUSH_LISTN", "HUSH_BIN", "HUSH_POSTHOG__HOTS"] {
        assert_eq!(warnings.matches(name).count(), 1, "{warnings}");
    }
    assert_eq!(config.warnings.len(), 3, "{warnings}");
    // A wrong type in a real setting from the environment is still an error.
    let msg = err("", &[("HUSH_QUEUE__MAX_BYTES", "lots")]);
    assert!(msg.contains("HUSH_QUEUE__MAX_BYTES"), "{msg}");
}

#[test]
fn bad_address_names_key_and_source() {
    let msg = err("listen = \"not-an-address\"\n", &[]);
    assert!(msg.contains("listen") && msg.contains("hush.toml"), "{msg}");
    let msg = err("", &[("HUSH_LISTEN", "localhost")]);
    assert!(
        msg.contains("listen") && msg.contains("HUSH_LISTEN"),
        "{msg}"
    );
}

#[test]
fn short_or_missing_hash_key() {
    let msg = err(
        "[[tenants]]\nname = \"a\"\napi_key = \"phc_a\"\nhash_key = \"tooshort-secret\"\n",
        &[],
    );
    assert!(
        msg.contains("tenants[0].hash_key") && msg.contains("hush.toml"),
        "{msg}"
    );
    assert!(msg.contains("32"), "{msg}");
    assert!(
        !msg.contains("tooshort-secret"),
        "the secret is never echoed: {msg}"
    );
    let msg = err("[[tenants]]\nname = \"a\"\napi_key = \"phc_a\"\n", &[]);
    assert!(msg.contains("hash_key"), "{msg}");
}

#[test]
fn duplicate_api_key() {
    let msg = err(
        &format!(
            "[[tenants]]\nname = \"a\"\napi_key = \"phc_same\"\nhash_key = \"{GOOD_HASH}\"\n\
             [[tenants]]\nname = \"b\"\napi_key = \"phc_same\"\nhash_key = \"{GOOD_HASH}\"\n"
        ),
        &[],
    );
    assert!(
        msg.contains("tenants[1].api_key") && msg.contains("duplicate"),
        "{msg}"
    );
    assert!(msg.contains("hush.toml"), "{msg}");
    assert!(!msg.contains("phc_same"), "{msg}");
}

#[test]
fn personal_key_as_tenant_key() {
    let msg = err(
        &format!(
            "[[tenants]]\nname = \"a\"\napi_key = \"phx_personal\"\nhash_key = \"{GOOD_HASH}\"\n"
        ),
        &[],
    );
    assert!(
        msg.contains("tenants[0].api_key") && msg.contains("phc_"),
        "{msg}"
    );
}

#[test]
fn bad_url_names_key_and_source() {
    let msg = err(
        "[posthog]\nhost = \"not a url\"\napi_key = \"phc_f\"\n",
        &[],
    );
    assert!(
        msg.contains("posthog.host") && msg.contains("hush.toml"),
        "{msg}"
    );
    let msg = err("[clickhouse]\nurl = \"ftp://127.0.0.1\"\n", &[]);
    assert!(msg.contains("clickhouse.url"), "{msg}");
    let msg = err(
        "[posthog]\nhost = \"https://ok.example\"\napi_key = \"phc_f\"\n",
        &[("HUSH_POSTHOG__HOST", "::nonsense")],
    );
    assert!(
        msg.contains("posthog.host") && msg.contains("HUSH_POSTHOG__HOST"),
        "{msg}"
    );
}

#[test]
fn wrong_type_does_not_echo_value() {
    let msg = err("[queue]\nmax_bytes = \"secretish-string\"\n", &[]);
    assert!(msg.contains("queue.max_bytes"), "{msg}");
    assert!(!msg.contains("secretish-string"), "{msg}");
}

#[test]
fn missing_config_file_is_an_error() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("nope.toml");
    let msg = CollectorConfig::load_from(Some(&path), Vec::new())
        .unwrap_err()
        .to_string();
    assert!(msg.contains("nope.toml"), "{msg}");
}

#[test]
fn secrets_never_in_debug() {
    let c = load(
        &format!(
            "[[tenants]]\nname = \"a\"\napi_key = \"phc_visible_key\"\nhash_key = \"{GOOD_HASH}\"\n\
             [posthog]\nhost = \"https://eu.i.posthog.com\"\napi_key = \"phc_forward_key\"\n\
             [clickhouse]\nurl = \"http://127.0.0.1:8123\"\npassword = \"ch-password-123\"\n"
        ),
        &[],
    )
    .unwrap();
    let debug = format!("{c:?} {c:#?}");
    for secret in [
        "phc_visible_key",
        GOOD_HASH,
        "phc_forward_key",
        "ch-password-123",
    ] {
        assert!(!debug.contains(secret), "{secret} leaked into Debug");
    }
    assert!(debug.contains("[redacted]"));
}

#[test]
fn at_least_one_sink() {
    let msg = err("[local]\nenabled = false\n", &[]);
    assert!(
        msg.contains("local.enabled") && msg.contains("hush.toml"),
        "{msg}"
    );
    assert!(
        msg.contains(
            "is false and neither [posthog] nor [clickhouse] is set: accepted events would go nowhere"
        ),
        "{msg}"
    );
    assert!(load(
        "[local]\nenabled = false\n[clickhouse]\nurl = \"http://127.0.0.1:8123\"\n",
        &[]
    )
    .is_ok());
    assert!(load(
        "[local]\nenabled = false\n[posthog]\nhost = \"http://127.0.0.1:9\"\napi_key = \"phc_f\"\n",
        &[]
    )
    .is_ok());
}

const OTHER_HASH: &str = "fedcba9876543210fedcba9876543210-other-secret";

#[test]
fn duplicate_tenant_name_names_both_tenants() {
    let msg = err(
        &format!(
            "[[tenants]]\nname = \"acme\"\napi_key = \"phc_a\"\nhash_key = \"{GOOD_HASH}\"\n\
             [[tenants]]\nname = \"acme\"\napi_key = \"phc_b\"\nhash_key = \"{OTHER_HASH}\"\n"
        ),
        &[],
    );
    assert!(msg.contains("tenants[1].name"), "{msg}");
    assert!(
        msg.contains("\"acme\"") && msg.contains("tenants[0]") && msg.contains("twice"),
        "{msg}"
    );
    assert!(msg.contains("hush.toml"), "{msg}");
}

#[test]
fn shared_hash_key_names_the_tenants_not_the_key() {
    let msg = err(
        &format!(
            "[[tenants]]\nname = \"acme\"\napi_key = \"phc_a\"\nhash_key = \"{GOOD_HASH}\"\n\
             [[tenants]]\nname = \"globex\"\napi_key = \"phc_b\"\nhash_key = \"{OTHER_HASH}\"\n\
             [[tenants]]\nname = \"initech\"\napi_key = \"phc_c\"\nhash_key = \"{GOOD_HASH}\"\n"
        ),
        &[],
    );
    assert!(msg.contains("tenants[2].hash_key"), "{msg}");
    assert!(
        msg.contains("\"acme\"") && msg.contains("\"initech\"") && msg.contains("tenants[0]"),
        "{msg}"
    );
    assert!(
        !msg.contains("globex"),
        "only the two tenants involved: {msg}"
    );
    assert!(
        !msg.contains(GOOD_HASH),
        "the secret is never echoed: {msg}"
    );
}

#[test]
fn duplicate_api_key_names_the_first_tenant() {
    let msg = err(
        &format!(
            "[[tenants]]\nname = \"acme\"\napi_key = \"phc_same\"\nhash_key = \"{GOOD_HASH}\"\n\
             [[tenants]]\nname = \"globex\"\napi_key = \"phc_same\"\nhash_key = \"{OTHER_HASH}\"\n"
        ),
        &[],
    );
    assert!(
        msg.contains("tenants[1].api_key")
            && msg.contains("\"acme\"")
            && msg.contains("\"globex\""),
        "{msg}"
    );
    assert!(!msg.contains("phc_same"), "{msg}");
}

#[test]
fn connection_and_request_limits_have_documented_defaults_and_layer() {
    let c = CollectorConfig::load_from(None, Vec::new()).unwrap();
    let l = &c.limits;
    assert_eq!(l.header_read_timeout_ms, 10_000);
    assert_eq!(l.idle_timeout_ms, 60_000);
    assert_eq!(l.max_connections, 512);
    assert_eq!(l.request_timeout_ms, 30_000);
    assert_eq!(l.max_properties_per_event, 1000);
    assert_eq!(l.max_keys_per_request, 250_000);
    assert_eq!(l.max_string_bytes_per_request, 16 << 20);
    assert!(c.admin.listen.is_none() && c.admin.token.is_none());

    let token = "an-admin-token-of-at-least-32-bytes-0123";
    let c = load(
        "[limits]\nheader_read_timeout_ms = 250\nmax_connections = 8\n[admin]\nlisten = \"127.0.0.1:9788\"\n",
        &[
            ("HUSH_LIMITS__IDLE_TIMEOUT_MS", "500"),
            ("HUSH_ADMIN__TOKEN", token),
        ],
    )
    .unwrap();
    assert_eq!(c.limits.header_read_timeout_ms, 250);
    assert_eq!(c.limits.idle_timeout_ms, 500);
    assert_eq!(c.limits.max_connections, 8);
    assert_eq!(c.admin.listen.unwrap().port(), 9788);
    assert_eq!(c.admin.token.as_ref().unwrap().expose(), token);
    assert!(!format!("{c:?}").contains(token), "the token is a secret");
}

#[test]
fn zero_limits_are_refused_by_name() {
    let msg = err("[limits]\nmax_connections = 0\n", &[]);
    assert!(
        msg.contains("limits.max_connections") && msg.contains("greater than 0"),
        "{msg}"
    );
    assert!(msg.contains("hush.toml"), "{msg}");
    let msg = err("", &[("HUSH_LIMITS__HEADER_READ_TIMEOUT_MS", "0")]);
    assert!(
        msg.contains("limits.header_read_timeout_ms")
            && msg.contains("HUSH_LIMITS__HEADER_READ_TIMEOUT_MS"),
        "{msg}"
    );
}

#[test]
fn admin_settings_are_checked() {
    let msg = err("[admin]\ntoken = \"short-admin-token\"\n", &[]);
    assert!(msg.contains("admin.token") && msg.contains("32"), "{msg}");
    assert!(!msg.contains("short-admin-token"), "{msg}");
    let msg = err(
        "listen = \"127.0.0.1:8787\"\n[admin]\nlisten = \"127.0.0.1:8787\"\n",
        &[],
    );
    assert!(
        msg.contains("admin.listen") && msg.contains("differ"),
        "{msg}"
    );
    let msg = err("[admin]\nlisten = \"nowhere\"\n", &[]);
    assert!(msg.contains("admin.listen"), "{msg}");
}

#[test]
fn a_scrub_action_is_one_of_four_and_an_unknown_one_names_its_key() {
    let config = load(
        "[[scrub.rules]]\nname = \"order\"\npattern = \"ORD-[0-9]+\"\naction = \"hash\"\n\
         [[scrub.rules]]\nname = \"ticket\"\npattern = \"T-[0-9]+\"\n",
        &[],
    )
    .unwrap();
    let actions: Vec<_> = config.scrub.rules.iter().map(|r| r.action).collect();
    assert_eq!(
        actions,
        [
            hush_config::ScrubAction::Hash,
            hush_config::ScrubAction::Placeholder
        ]
    );
    let msg = err(
        "[[scrub.rules]]\nname = \"order\"\npattern = \"ORD-[0-9]+\"\naction = \"redact\"\n",
        &[],
    );
    assert!(msg.contains("action"), "{msg}");
    assert!(msg.contains("scrub.rules"), "{msg}");
    assert!(msg.contains("placeholder"), "lists the choices: {msg}");
}

#[test]
fn a_tenant_share_is_a_fraction_of_the_cap() {
    for bad in ["0", "1.5", "-0.2", "nan"] {
        let msg = err(&format!("[queue]\ntenant_share = {bad}\n"), &[]);
        assert!(msg.contains("queue.tenant_share"), "{bad}: {msg}");
    }
    let config = load("[queue]\ntenant_share = 0.25\n", &[]).unwrap();
    assert_eq!(config.queue.max_tenant_bytes(2), Some((1u64 << 30) / 4));
}

//! The data-rights settings: a tenant's `admin_token` and `retention_days`, and the PostHog
//! personal API key that lets an erase delete the person there.

use hush_config::{CollectorConfig, ConfigError};
use std::path::PathBuf;
use tempfile::TempDir;

const HASH_A: &str = "tenant-a-hash-key-0123456789abcdef-0123";
const HASH_B: &str = "tenant-b-hash-key-0123456789abcdef-0123";
const TOKEN_A: &str = "tenant-a-admin-token-0123456789abcdef-01";

fn load(text: &str) -> Result<CollectorConfig, ConfigError> {
    let dir = TempDir::new().unwrap();
    let path: PathBuf = dir.path().join("hush.toml");
    std::fs::write(&path, text).unwrap();
    CollectorConfig::load_from(Some(&path), Vec::new())
}

fn tenants(a_extra: &str, b_extra: &str) -> String {
    format!(
        "[[tenants]]\nname = \"a\"\napi_key = \"phc_a\"\nhash_key = \"{HASH_A}\"\n{a_extra}\n\
         [[tenants]]\nname = \"b\"\napi_key = \"phc_b\"\nhash_key = \"{HASH_B}\"\n{b_extra}\n"
    )
}

fn err(text: &str) -> String {
    load(text).unwrap_err().to_string()
}

#[test]
fn admin_tokens_and_retention_are_read_and_checked() {
    let ok = load(&tenants(
        &format!("admin_token = \"{TOKEN_A}\"\nretention_days = 30"),
        "",
    ))
    .unwrap();
    assert_eq!(
        ok.tenants[0].admin_token.as_ref().unwrap().expose(),
        TOKEN_A
    );
    assert_eq!(ok.tenants[0].retention_days, Some(30));
    assert!(ok.tenants[1].admin_token.is_none() && ok.tenants[1].retention_days.is_none());
    assert!(
        !format!("{ok:?}").contains(TOKEN_A),
        "a token in Debug output"
    );

    let short = err(&tenants("admin_token = \"short\"", ""));
    assert!(
        short.contains("tenants[0].admin_token") && short.contains("32 bytes"),
        "{short}"
    );
    let shared = err(&tenants(
        &format!("admin_token = \"{TOKEN_A}\""),
        &format!("admin_token = \"{TOKEN_A}\""),
    ));
    assert!(
        shared.contains("tenants[1].admin_token") && shared.contains("\"a\""),
        "{shared}"
    );
    assert!(!shared.contains(TOKEN_A), "the token was echoed: {shared}");
    let collectors = err(&format!(
        "[admin]\ntoken = \"{TOKEN_A}\"\n{}",
        tenants(&format!("admin_token = \"{TOKEN_A}\""), "")
    ));
    assert!(collectors.contains("admin.token"), "{collectors}");
    let zero = err(&tenants("retention_days = 0", ""));
    assert!(zero.contains("tenants[0].retention_days"), "{zero}");
    let negative = err(&tenants("retention_days = -1", ""));
    assert!(negative.contains("retention_days"), "{negative}");
}

#[test]
fn a_posthog_personal_key_comes_with_its_project_and_an_api_host() {
    let base = tenants("", "");
    let posthog = |extra: &str| {
        format!(
            "{base}[posthog]\nhost = \"https://eu.i.posthog.com\"\napi_key = \"phc_up\"\n{extra}\n"
        )
    };
    let ok = load(&posthog("personal_api_key = \"phx_abc\"\nproject_id = 12")).unwrap();
    let ph = ok.posthog.unwrap();
    assert_eq!(ph.project_id, Some(12));
    assert_eq!(ph.api_host(), "https://eu.posthog.com", "Cloud's app host");
    let own = load(&format!(
        "{base}[posthog]\nhost = \"http://127.0.0.1:8000/\"\napi_key = \"phc_up\"\n"
    ))
    .unwrap();
    assert_eq!(
        own.posthog.unwrap().api_host(),
        "http://127.0.0.1:8000",
        "self-hosted: the same host"
    );
    let set = load(&posthog("api_host = \"https://ph.example.com/\"")).unwrap();
    assert_eq!(set.posthog.unwrap().api_host(), "https://ph.example.com");

    let alone = err(&posthog("personal_api_key = \"phx_abc\""));
    assert!(alone.contains("posthog.project_id"), "{alone}");
    let no_key = err(&posthog("project_id = 12"));
    assert!(no_key.contains("posthog.personal_api_key"), "{no_key}");
    let bad_host = err(&posthog("api_host = \"not a url\""));
    assert!(bad_host.contains("posthog.api_host"), "{bad_host}");
}

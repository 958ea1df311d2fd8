//! The whole path: an app embedding hush-sdk → the collector → the PostHog stand-in.

use hush_sdk::{Level, Telemetry};
use hush_tests::inprocess::InProcess;
use hush_tests::planted::{FORWARD_KEY, TENANT_HASH_KEY, TENANT_KEY};
use hush_tests::posthog_standin::PostHogStandIn;
use hush_tests::wait::until;
use std::time::Duration;
use tempfile::TempDir;

const RAW_MACHINE_ID: &str = "4c4c4544-0042-3510-8052-b7c04f4e3232-raw-os-id";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sdk_events_reach_posthog_scrubbed_and_only_with_consent() -> anyhow::Result<()> {
    let posthog = PostHogStandIn::start().await;
    let dir = TempDir::new()?;
    let collector = InProcess::start(
        dir.path(),
        &format!(
            "[[tenants]]\nname = \"app\"\napi_key = \"{TENANT_KEY}\"\nhash_key = \"{TENANT_HASH_KEY}\"\n\
             [posthog]\nhost = \"{}\"\napi_key = \"{FORWARD_KEY}\"\n",
            posthog.url()
        ),
    )
    .await?;
    let app_dir = dir.path().join("app");
    std::fs::create_dir_all(&app_dir)?;
    let host = collector.url.clone();
    let app_dir2 = app_dir.clone();
    let level_after = tokio::task::spawn_blocking(move || {
        let telemetry = Telemetry::builder("e2e-devtool", "1.0.0")
            .environment([
                ("NEXT_PUBLIC_POSTHOG_KEY", TENANT_KEY),
                ("NEXT_PUBLIC_POSTHOG_HOST", host.as_str()),
            ])
            .dotenv_dir(&app_dir2)
            .config_dir(app_dir2.join("config"))
            .cache_dir(app_dir2.join("cache"))
            .machine_id(Some(RAW_MACHINE_ID.to_string()))
            .batch_size(5)
            .build();
        assert_eq!(telemetry.status().level, Level::Basic);
        telemetry.setup_failed(
            "EACCES: permission denied, open '/home/alice/app/.env' (alice@example.com)",
        );
        telemetry.prompt_sent("before opt-in: must never leave", "gpt-4o");
        let _ = telemetry.flush(Duration::from_secs(5));
        telemetry.enable_full().expect("storing the opt-in");
        telemetry.prompt_sent(
            "fix my build, my key is sk-proj-Qw3rTy7UiOp9AsDf2GhJk4Lz6XcVb8NmQw3rTy7UiOp",
            "gpt-4o",
        );
        let _ = telemetry.flush(Duration::from_secs(5));
        telemetry.status().level
    })
    .await?;
    assert_eq!(level_after, Level::Full);

    let events = until(
        "the SDK's events at PostHog",
        Duration::from_secs(30),
        || async {
            let events = posthog.events();
            (events.len() >= 2).then_some(events)
        },
    )
    .await?;
    let text = serde_json::to_string(&events)?;
    for leaked in [
        RAW_MACHINE_ID,
        "alice@example.com",
        "/home/alice/",
        "sk-proj-Qw3rTy7UiOp9AsDf2GhJk4Lz6XcVb8NmQw3rTy7UiOp",
        "must never leave",
    ] {
        assert!(!text.contains(leaked), "{leaked} reached PostHog");
    }
    let names: Vec<&str> = events.iter().filter_map(|e| e["event"].as_str()).collect();
    assert_eq!(names.iter().filter(|n| **n == "prompt_sent").count(), 1);
    assert!(names.contains(&"setup_failed"));
    let prompt = events.iter().find(|e| e["event"] == "prompt_sent").unwrap();
    assert_eq!(prompt["properties"]["$telemetry_level"], "full");
    assert!(text.contains("EACCES: permission denied"));
    collector.stop().await?;
    Ok(())
}

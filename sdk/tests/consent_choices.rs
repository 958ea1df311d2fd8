//! The user's choices at run time: opting in to full, going back to basic, disabling and
//! forgetting, and the first-run notice that says how.

mod common;

use common::collector::Collector;
use common::sandbox::{every_event, files_under, names, Dirs, KEY, WAIT};
use hush_sdk::{Level, Rule, Source};
use std::path::Path;
use std::time::Duration;

#[test]
fn prompts_leave_only_after_enable_full() {
    let collector = Collector::start();
    let dirs = Dirs::new();
    let env = [("NEXT_PUBLIC_POSTHOG_KEY", KEY)];
    let t = dirs.builder(&collector.url(), &env).build();
    assert_eq!(t.status().level, Level::Basic);
    assert_eq!(t.status().rule, Some(Rule::Default));
    t.prompt_sent("PROMPT-ALPHA before opt-in", "m");
    t.error_report("REPORT-ALPHA");
    t.setup_completed(Duration::from_secs(1));
    assert!(t.flush(WAIT).is_complete());
    assert_eq!(names(&collector.events()), ["setup_completed"]);
    assert_eq!(t.status().stats.dropped_by_level, 2);

    let status = t.enable_full().unwrap();
    assert_eq!(status.level, Level::Full);
    assert_eq!(status.rule, Some(Rule::ExplicitLevel));
    let consent_file = status.consent_file.clone().unwrap();
    assert_eq!(
        status.source,
        Some(Source::ConsentFile(consent_file.clone()))
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&consent_file)
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600);
    }
    t.prompt_sent("PROMPT-BETA after opt-in", "gpt-4o");
    assert!(t.flush(WAIT).is_complete());
    let events = collector.events();
    let prompt = events
        .iter()
        .find(|e| e["event"] == "prompt_sent")
        .expect("prompt sent");
    assert_eq!(prompt["properties"]["$telemetry_level"], "full");
    assert_eq!(prompt["properties"]["prompt"], "PROMPT-BETA after opt-in");
    assert_eq!(prompt["properties"]["model"], "gpt-4o");

    // Back to basic: prompts stop again.
    assert_eq!(t.set_basic().unwrap().level, Level::Basic);
    t.prompt_sent("PROMPT-GAMMA after set_basic", "m");
    assert!(t.flush(WAIT).is_complete());
    drop(t);
    let bodies: String = collector
        .requests()
        .iter()
        .map(|r| r.body.clone())
        .collect();
    assert!(!bodies.contains("ALPHA"));
    assert!(!bodies.contains("GAMMA"));

    // The choice persists across starts.
    t_full_again(&dirs, &collector);
}

fn t_full_again(dirs: &Dirs, collector: &Collector) {
    let t = dirs
        .builder(&collector.url(), &[("NEXT_PUBLIC_POSTHOG_KEY", KEY)])
        .build();
    assert_eq!(t.status().level, Level::Basic, "set_basic was stored last");
    t.enable_full().unwrap();
    drop(t);
    let t = dirs
        .builder(&collector.url(), &[("NEXT_PUBLIC_POSTHOG_KEY", KEY)])
        .build();
    assert_eq!(t.status().level, Level::Full);
}

#[test]
fn queued_prompts_are_dropped_when_the_user_goes_back_to_basic() {
    let dirs = Dirs::new();
    let collector = Collector::start();
    let t = dirs
        .builder(&collector.url(), &[("NEXT_PUBLIC_POSTHOG_KEY", KEY)])
        .build();
    t.enable_full().unwrap();
    t.prompt_sent("QUEUED-PROMPT", "m");
    t.setup_completed(Duration::from_secs(1));
    assert_eq!(t.set_basic().unwrap().level, Level::Basic);
    assert!(t.flush(WAIT).is_complete());
    drop(t);
    let events = collector.events();
    assert_eq!(names(&events), ["setup_completed"]);
    assert_eq!(events[0]["properties"]["$telemetry_level"], "basic");
}

#[test]
fn the_first_run_notice_is_shown_once() {
    let collector = Collector::start();
    let dirs = Dirs::new();
    let env = [("NEXT_PUBLIC_POSTHOG_KEY", KEY)];
    let t = dirs
        .builder(&collector.url(), &env)
        .disable_command("devtool telemetry disable")
        .build();
    let notice = t.first_run_notice().expect("shown the first time");
    assert!(notice.contains("NEXT_PUBLIC_DISABLE_TELEMETRY=1"));
    assert!(notice.contains("devtool telemetry disable"));
    assert_eq!(t.first_run_notice(), None);
    drop(t);
    let t = dirs.builder(&collector.url(), &env).build();
    assert_eq!(t.first_run_notice(), None);
    t.forget().unwrap();
    drop(t);
    let t = dirs.builder(&collector.url(), &env).build();
    assert!(t.first_run_notice().is_some(), "forget shows it again");
}

#[test]
fn disable_persists_and_forget_deletes_everything() {
    let dirs = Dirs::new();
    let env = [("NEXT_PUBLIC_POSTHOG_KEY", KEY)];
    // Make every file exist: random id, consent, notice, spool + key.
    let t = dirs
        .builder(&Collector::down_url(), &env)
        .machine_id(None)
        .retries(1, Duration::from_millis(1))
        .build();
    t.enable_full().unwrap();
    let _ = t.first_run_notice();
    t.setup_completed(Duration::from_secs(1));
    drop(t);
    let names_of = |d: &Path| {
        let mut v: Vec<String> = files_under(d)
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().to_string())
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        names_of(&dirs.config()),
        [
            "telemetry-consent",
            "telemetry-id",
            "telemetry-notice-shown",
            "telemetry-spool.key"
        ]
    );
    assert_eq!(names_of(&dirs.cache()), ["telemetry-spool.bin"]);

    // disable: stored, spool gone, nothing sent from now on.
    let collector = Collector::start();
    let t = dirs
        .builder(&collector.url(), &env)
        .machine_id(None)
        .build();
    assert_eq!(t.status().stats.restored, 1);
    let status = t.disable().unwrap();
    assert_eq!(status.level, Level::Off);
    assert!(!status.sending);
    t.setup_completed(Duration::from_secs(1));
    drop(t);
    assert_eq!(collector.connections(), 0);
    assert!(names_of(&dirs.cache()).is_empty());
    let t = dirs
        .builder(&collector.url(), &env)
        .machine_id(None)
        .build();
    let status = t.status();
    assert_eq!(status.level, Level::Off);
    assert!(matches!(status.source, Some(Source::ConsentFile(_))));
    every_event(&t);

    // forget: the erase request (a stored `disable` does not stop it), then every file
    // gone, off for the rest of the run.
    let forgotten = t.forget().unwrap();
    assert!(forgotten.receipt().is_some(), "{}", forgotten.erase);
    assert_eq!(forgotten.status.level, Level::Off);
    drop(t);
    assert!(
        names_of(&dirs.config()).is_empty(),
        "{:?}",
        names_of(&dirs.config())
    );
    assert!(names_of(&dirs.cache()).is_empty());
    let paths: Vec<String> = collector
        .requests()
        .iter()
        .map(|r| r.path.clone())
        .collect();
    assert_eq!(paths, ["/v1/erase"]);
}

#[test]
fn forget_stops_sending_for_the_rest_of_the_run() {
    let collector = Collector::start();
    let dirs = Dirs::new();
    let t = dirs
        .builder(&collector.url(), &[("NEXT_PUBLIC_POSTHOG_KEY", KEY)])
        .build();
    t.setup_completed(Duration::from_secs(1));
    let status = t.forget().unwrap().status;
    assert_eq!(status.level, Level::Off);
    assert!(status.to_string().contains("forgotten"));
    t.setup_completed(Duration::from_secs(1));
    drop(t);
    // The erase request only: the queued event was dropped, the later one never queued.
    let paths: Vec<String> = collector
        .requests()
        .iter()
        .map(|r| r.path.clone())
        .collect();
    assert_eq!(paths, ["/v1/erase"]);
}

//! Consent at start: the rules that turn telemetry off (then no socket is opened and no
//! file written), and where the variables, their names and the host come from.

mod common;

use common::collector::Collector;
use common::sandbox::{every_event, names, Dirs, KEY, RAW_ID, WAIT};
use hush_sdk::{ConsentVars, Level, Rule, Source, Telemetry};
use std::time::Duration;

/// Captures every event on a client that is off, drops it, and checks that it opened no
/// connection (beyond the `before` already counted) and wrote no file.
fn sends_and_writes_nothing(t: Telemetry, collector: &Collector, before: usize, dirs: &Dirs) {
    every_event(&t);
    drop(t);
    assert_eq!(collector.connections(), before);
    assert!(dirs.created().is_empty());
}

/// A case: name, environment, `.env` text, the rule that must decide.
type OffCase<'a> = (&'a str, Vec<(&'a str, &'a str)>, Option<&'a str>, Rule);

#[test]
fn off_rules_open_no_socket_and_write_no_file() {
    let collector = Collector::start();
    let cases: Vec<OffCase> = vec![
        (
            "flag true",
            vec![
                ("NEXT_PUBLIC_POSTHOG_KEY", KEY),
                ("NEXT_PUBLIC_DISABLE_TELEMETRY", "true"),
            ],
            None,
            Rule::DisableFlag,
        ),
        (
            "flag 1",
            vec![
                ("NEXT_PUBLIC_POSTHOG_KEY", KEY),
                ("NEXT_PUBLIC_DISABLE_TELEMETRY", "1"),
            ],
            None,
            Rule::DisableFlag,
        ),
        (
            "flag yes",
            vec![
                ("NEXT_PUBLIC_POSTHOG_KEY", KEY),
                ("NEXT_PUBLIC_DISABLE_TELEMETRY", "yes"),
            ],
            None,
            Rule::DisableFlag,
        ),
        (
            "flag YES in .env",
            vec![("NEXT_PUBLIC_POSTHOG_KEY", KEY)],
            Some("NEXT_PUBLIC_DISABLE_TELEMETRY=YES\n"),
            Rule::DisableFlag,
        ),
        ("key missing", vec![], None, Rule::MissingKey),
        (
            "key empty",
            vec![("NEXT_PUBLIC_POSTHOG_KEY", "")],
            None,
            Rule::MissingKey,
        ),
        (
            "do not track",
            vec![("NEXT_PUBLIC_POSTHOG_KEY", KEY), ("DO_NOT_TRACK", "1")],
            None,
            Rule::DoNotTrack,
        ),
        (
            "dnt beats code",
            vec![
                ("NEXT_PUBLIC_POSTHOG_KEY", KEY),
                ("DO_NOT_TRACK", "true"),
                ("HUSH_TELEMETRY_LEVEL", "full"),
            ],
            None,
            Rule::DoNotTrack,
        ),
    ];
    for (name, env, dotenv, rule) in cases {
        let dirs = Dirs::new();
        if let Some(text) = dotenv {
            dirs.dotenv(text);
        }
        let t = dirs
            .builder(&collector.url(), &env)
            .consent(Level::Full)
            .build();
        let status = t.status();
        assert_eq!(status.level, Level::Off, "{name}");
        assert_eq!(status.rule, Some(rule), "{name}");
        assert!(!status.sending, "{name}");
        every_event(&t);
        assert_eq!(t.first_run_notice(), None, "{name}");
        assert!(t.flush(Duration::from_millis(200)).is_complete());
        drop(t);
        assert_eq!(collector.connections(), 0, "{name}: a socket was opened");
        assert!(
            dirs.created().is_empty(),
            "{name}: created {:?}",
            dirs.created()
        );
    }
}

#[test]
fn unparsable_value_means_off_and_names_the_variable() {
    let collector = Collector::start();
    let dirs = Dirs::new();
    dirs.dotenv("NEXT_PUBLIC_POSTHOG_KEY=phc_x\nNEXT_PUBLIC_DISABLE_TELEMETRY=maybe\n");
    let t = dirs.builder(&collector.url(), &[]).build();
    let status = t.status();
    assert_eq!(status.level, Level::Off);
    let error = status.error.expect("an error").to_string();
    assert!(
        error.contains("NEXT_PUBLIC_DISABLE_TELEMETRY") && error.contains(".env"),
        "{error}"
    );
    assert!(!error.contains("maybe"));
    sends_and_writes_nothing(t, &collector, 0, &dirs);
}

#[test]
fn process_environment_overrides_dotenv() {
    let collector = Collector::start();
    // .env turns telemetry off, the environment turns it back on.
    let dirs = Dirs::new();
    dirs.dotenv(&format!(
        "NEXT_PUBLIC_POSTHOG_KEY={KEY}\nNEXT_PUBLIC_DISABLE_TELEMETRY=true\n"
    ));
    let t = dirs
        .builder(
            &collector.url(),
            &[("NEXT_PUBLIC_DISABLE_TELEMETRY", "false")],
        )
        .build();
    assert_eq!(t.status().level, Level::Basic);
    t.setup_completed(Duration::from_secs(1));
    assert!(t.flush(WAIT).is_complete());
    assert_eq!(names(&collector.events()), ["setup_completed"]);
    drop(t);

    // .env has the key, the environment disables.
    let dirs = Dirs::new();
    dirs.dotenv(&format!("NEXT_PUBLIC_POSTHOG_KEY={KEY}\n"));
    let before = collector.connections();
    let t = dirs
        .builder(&collector.url(), &[("NEXT_PUBLIC_DISABLE_TELEMETRY", "1")])
        .build();
    let status = t.status();
    assert_eq!(status.level, Level::Off);
    assert_eq!(status.source, Some(Source::Environment));
    sends_and_writes_nothing(t, &collector, before, &dirs);
}

#[test]
fn host_comes_from_the_host_variable_by_default() {
    let collector = Collector::start();
    let dirs = Dirs::new();
    dirs.dotenv(&format!(
        "NEXT_PUBLIC_POSTHOG_KEY={KEY}\nNEXT_PUBLIC_POSTHOG_HOST={}/\n",
        collector.url()
    ));
    let t = Telemetry::builder("devtool", "1.2.3")
        .environment(Vec::<(String, String)>::new())
        .dotenv_dir(dirs.project())
        .config_dir(dirs.config())
        .cache_dir(dirs.cache())
        .machine_id(Some(RAW_ID.into()))
        .build();
    t.dev_server_started(Duration::from_millis(5));
    assert!(t.flush(WAIT).is_complete());
    let requests = collector.requests();
    assert_eq!(requests[0].path, "/batch/");
}

#[test]
fn app_specific_variable_names() {
    let collector = Collector::start();
    let dirs = Dirs::new();
    let t = dirs
        .builder(
            &collector.url(),
            &[("FOO_POSTHOG_KEY", KEY), ("FOO_DISABLE_TELEMETRY", "on")],
        )
        .vars(ConsentVars::for_app("Foo"))
        .build();
    let status = t.status();
    assert_eq!(status.level, Level::Off);
    assert_eq!(status.variable.as_deref(), Some("FOO_DISABLE_TELEMETRY"));
    assert!(status.to_string().contains("FOO_DISABLE_TELEMETRY"));
}

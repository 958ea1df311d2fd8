//! End-to-end tests of the SDK against a local collector stand-in. Every test uses its own
//! temporary config, cache and `.env` directories and an explicit environment: nothing
//! touches the developer's real HOME.

mod common;

use common::{files_under, Captured, Collector};
use hush_sdk::{Builder, ConsentVars, Level, Rule, Source, Telemetry};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tempfile::TempDir;

const KEY: &str = "phc_test_project_key";
const RAW_ID: &str = "0123456789abcdef0123456789abcdef";
const WAIT: Duration = Duration::from_secs(10);

struct Dirs {
    root: TempDir,
}

impl Dirs {
    fn new() -> Self {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join("project")).unwrap();
        Dirs { root }
    }
    fn project(&self) -> PathBuf {
        self.root.path().join("project")
    }
    fn config(&self) -> PathBuf {
        self.root.path().join("config")
    }
    fn cache(&self) -> PathBuf {
        self.root.path().join("cache")
    }
    fn dotenv(&self, text: &str) {
        std::fs::write(self.project().join(".env"), text).unwrap();
    }
    /// Files the SDK created (anything but the project's `.env`).
    fn created(&self) -> Vec<PathBuf> {
        let mut all = files_under(&self.config());
        all.extend(files_under(&self.cache()));
        all.extend(
            files_under(&self.project())
                .into_iter()
                .filter(|p| p.file_name().is_none_or(|n| n != ".env")),
        );
        all
    }
    fn builder(&self, host: &str, env: &[(&str, &str)]) -> Builder {
        Telemetry::builder("devtool", "1.2.3")
            .environment(env.iter().map(|(k, v)| (k.to_string(), v.to_string())))
            .dotenv_dir(self.project())
            .config_dir(self.config())
            .cache_dir(self.cache())
            .host(host)
            .machine_id(Some(RAW_ID.to_string()))
            .flush_interval(Duration::from_secs(60))
            .retries(3, Duration::from_millis(20))
            .request_timeout(Duration::from_secs(2))
            .shutdown_timeout(Duration::from_secs(3))
    }
}

fn every_event(t: &Telemetry) {
    t.setup_completed(Duration::from_millis(1500));
    t.setup_failed("setup failed");
    t.dev_server_started(Duration::from_millis(300));
    t.dev_server_failed("port 3000 in use");
    t.error_report("boom");
    t.feature_used("templates");
    t.performance_metric("build", 1.5, "s");
    t.prompt_sent("hello model", "gpt-4o");
}

/// Captures every event on a client that is off, drops it, and checks that it opened no
/// connection (beyond the `before` already counted) and wrote no file.
fn sends_and_writes_nothing(t: Telemetry, collector: &Collector, before: usize, dirs: &Dirs) {
    every_event(&t);
    drop(t);
    assert_eq!(collector.connections(), before);
    assert!(dirs.created().is_empty());
}

fn names(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| e["event"].as_str().unwrap().to_string())
        .collect()
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
fn wire_format_is_a_gzip_posthog_batch_without_personal_data() {
    let collector = Collector::start();
    let dirs = Dirs::new();
    let t = Telemetry::builder("devtool", "1.2.3")
        .environment([
            ("NEXT_PUBLIC_POSTHOG_KEY", KEY),
            ("HOME", "/home/zoe-tester"),
            ("USER", "zoe-tester"),
        ])
        .dotenv_dir(dirs.project())
        .config_dir(dirs.config())
        .cache_dir(dirs.cache())
        .host(collector.url())
        .flush_interval(Duration::from_secs(60))
        .build(); // the real OS machine id
    t.setup_failed(
        "cannot open /home/zoe-tester/work/app/.env as zoe-tester: token=ghp_abcdefghijklmnopqrstuvwxyz0123456789 mail zoe@example.com",
    );
    t.dev_server_failed(std::io::Error::other("EADDRINUSE: port 3000 in use"));
    t.setup_completed(Duration::from_millis(1234));
    assert!(t.flush(WAIT).is_complete());
    let requests = collector.requests();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!(r.path, "/batch/");
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    assert_eq!(r.header("content-type"), Some("application/json"));
    let body = r.json();
    assert_eq!(body["api_key"], KEY);
    time::OffsetDateTime::parse(
        body["sent_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let batch = body["batch"].as_array().unwrap();
    assert_eq!(
        names(batch),
        ["setup_failed", "dev_server_failed", "setup_completed"]
    );
    let mut uuids = std::collections::HashSet::new();
    for e in batch {
        let uuid: uuid::Uuid = e["uuid"].as_str().unwrap().parse().unwrap();
        assert_eq!(uuid.get_version_num(), 4);
        assert!(uuids.insert(uuid));
        time::OffsetDateTime::parse(
            e["timestamp"].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap();
        let id = e["distinct_id"].as_str().unwrap();
        assert_eq!(id.len(), 32);
        assert!(!["anonymous", "0", "null", "user", "undefined"].contains(&id));
        let p = e["properties"].as_object().unwrap();
        assert_eq!(p["$telemetry_level"], "basic");
        assert_eq!(p["app_version"], "1.2.3");
        assert_eq!(p["os"], std::env::consts::OS);
        assert_eq!(p["arch"], std::env::consts::ARCH);
        assert_eq!(p["sdk_version"], env!("CARGO_PKG_VERSION"));
        assert!(p["session_id"].as_str().is_some());
        for forbidden in [
            "$ip",
            "hostname",
            "$hostname",
            "username",
            "cwd",
            "$set",
            "$set_once",
        ] {
            assert!(!p.contains_key(forbidden), "{forbidden}");
        }
    }
    assert_eq!(
        batch[1]["properties"]["error"],
        "EADDRINUSE: port 3000 in use"
    );
    assert_eq!(batch[2]["properties"]["duration_ms"], 1234.0);
    // Nothing personal on the wire.
    let text = &r.body;
    assert!(!text.contains("zoe-tester"), "{text}");
    assert!(
        !text.contains("ghp_abcdefghijklmnopqrstuvwxyz0123456789"),
        "{text}"
    );
    assert!(!text.contains("zoe@example.com"), "{text}");
    if let Ok(raw) = machine_uid::get() {
        assert!(!text.contains(raw.trim()), "raw machine id on the wire");
    }
    let host = std::fs::read_to_string("/etc/hostname").unwrap_or_default();
    if host.trim().len() > 3 {
        assert!(!text.contains(host.trim()), "host name on the wire");
    }
    if let Ok(cwd) = std::env::current_dir() {
        assert!(
            !text.contains(cwd.to_str().unwrap()),
            "working directory on the wire"
        );
    }
}

#[test]
fn the_raw_machine_id_never_reaches_the_wire_and_ids_are_app_specific() {
    let collector = Collector::start();
    let dirs = Dirs::new();
    let env = [("NEXT_PUBLIC_POSTHOG_KEY", KEY)];
    for app in ["devtool", "othertool"] {
        let t = Telemetry::builder(app, "1")
            .environment(env)
            .dotenv_dir(dirs.project())
            .config_dir(dirs.config().join(app))
            .cache_dir(dirs.cache())
            .host(collector.url())
            .machine_id(Some(RAW_ID.into()))
            .build();
        t.setup_failed(format!(
            "id is {RAW_ID}? no: scrubbed? it is the app's own text"
        ));
        t.setup_completed(Duration::from_secs(1));
        assert!(t.flush(WAIT).is_complete());
    }
    let events = collector.events();
    let ids: Vec<&str> = events
        .iter()
        .map(|e| e["distinct_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids[0], ids[1]);
    assert_ne!(ids[0], ids[2], "ids must differ between apps");
    for id in ids {
        assert!(!id.contains(RAW_ID));
    }
    // No machine id: a random id stored once, mode 0600.
    let t = dirs
        .builder(&collector.url(), &env)
        .machine_id(None)
        .build();
    t.setup_completed(Duration::from_secs(1));
    assert!(t.flush(WAIT).is_complete());
    drop(t);
    let id_file = dirs.config().join("telemetry-id");
    let stored = std::fs::read_to_string(&id_file).unwrap();
    let last = collector.events().last().unwrap()["distinct_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(stored.trim(), last);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&id_file).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
}

#[test]
fn collector_down_events_are_spooled_encrypted_and_delivered_next_run() {
    let dirs = Dirs::new();
    let env = [("NEXT_PUBLIC_POSTHOG_KEY", KEY)];
    let t = dirs
        .builder(&Collector::down_url(), &env)
        .shutdown_timeout(Duration::from_secs(2))
        .build();
    t.setup_failed("SPOOL-MARKER-ONE failed");
    t.dev_server_failed("SPOOL-MARKER-TWO failed");
    let flush = t.flush(Duration::from_secs(2));
    assert_eq!(flush.pending, 2);
    let started = Instant::now();
    let shutdown = t.shutdown(Duration::from_secs(2));
    assert!(shutdown.is_complete(), "{shutdown:?}");
    assert!(started.elapsed() < Duration::from_millis(2500));
    assert_eq!(t.status().stats.spooled, 2);
    drop(t);

    let spool = dirs.cache().join("telemetry-spool.bin");
    let raw = std::fs::read(&spool).expect("spool written");
    let needle = b"SPOOL-MARKER";
    assert!(
        !raw.windows(needle.len()).any(|w| w == needle),
        "plaintext in the spool"
    );
    assert!(
        !raw.windows(6).any(|w| w == b"setup_"),
        "plaintext in the spool"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for f in [&spool, &dirs.config().join("telemetry-spool.key")] {
            assert_eq!(
                std::fs::metadata(f).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
    }

    // Next run, the collector is up.
    let collector = Collector::start();
    let t = dirs.builder(&collector.url(), &env).build();
    assert_eq!(t.status().stats.restored, 2);
    t.setup_completed(Duration::from_secs(1));
    assert!(t.flush(WAIT).is_complete());
    let events = collector.events();
    assert_eq!(
        names(&events),
        ["setup_failed", "dev_server_failed", "setup_completed"]
    );
    assert!(events[0]["properties"]["error"]
        .as_str()
        .unwrap()
        .contains("SPOOL-MARKER-ONE"));
    drop(t);
    assert!(!spool.exists(), "the spool is consumed");
}

#[test]
fn a_corrupt_or_foreign_spool_is_discarded_with_a_warning() {
    let collector = Collector::start();
    let env = [("NEXT_PUBLIC_POSTHOG_KEY", KEY)];
    for content in [
        &b"garbage"[..],
        b"HUSHSPL1\0\0\0\0\0\0\0\0\0\0\0\0not-really-ciphertext",
        b"",
    ] {
        let dirs = Dirs::new();
        std::fs::create_dir_all(dirs.cache()).unwrap();
        std::fs::create_dir_all(dirs.config()).unwrap();
        std::fs::write(dirs.config().join("telemetry-spool.key"), [7u8; 32]).unwrap();
        std::fs::write(dirs.cache().join("telemetry-spool.bin"), content).unwrap();
        let t = dirs.builder(&collector.url(), &env).build();
        let status = t.status();
        assert_eq!(status.level, Level::Basic);
        assert!(
            status
                .warnings
                .iter()
                .any(|w| w.contains("corrupt or foreign")),
            "{:?}",
            status.warnings
        );
        assert!(!dirs.cache().join("telemetry-spool.bin").exists());
        t.setup_completed(Duration::from_secs(1));
        assert!(t.flush(WAIT).is_complete());
    }
    // Another app's spool (same directories, different app name) is foreign.
    let dirs = Dirs::new();
    let down = Telemetry::builder("someone-else", "1")
        .environment(env)
        .dotenv_dir(dirs.project())
        .config_dir(dirs.config())
        .cache_dir(dirs.cache())
        .host(Collector::down_url())
        .retries(1, Duration::from_millis(1))
        .build();
    down.setup_completed(Duration::from_secs(1));
    drop(down);
    assert!(dirs.cache().join("telemetry-spool.bin").exists());
    let t = dirs.builder(&collector.url(), &env).build();
    assert_eq!(t.status().stats.restored, 0);
    assert!(t
        .status()
        .warnings
        .iter()
        .any(|w| w.contains("corrupt or foreign")));
}

#[test]
fn a_full_queue_drops_the_oldest_and_counts() {
    let dirs = Dirs::new();
    let env = [("NEXT_PUBLIC_POSTHOG_KEY", KEY)];
    let t = dirs
        .builder(&Collector::down_url(), &env)
        .queue_capacity(10)
        .batch_size(1000)
        .build();
    for i in 0..100 {
        t.setup_failed(format!("event-{i:03}"));
    }
    let stats = t.status().stats;
    assert_eq!(stats.queue_len, 10);
    assert_eq!(stats.dropped_queue_full, 90);
    assert_eq!(t.shutdown(Duration::from_secs(2)).pending, 0);
    drop(t);
    // What survived are the 10 newest, in order.
    let collector = Collector::start();
    let t = dirs.builder(&collector.url(), &env).build();
    assert!(t.flush(WAIT).is_complete());
    let errors: Vec<String> = collector
        .events()
        .iter()
        .map(|e| e["properties"]["error"].as_str().unwrap().to_string())
        .collect();
    let expected: Vec<String> = (90..100).map(|i| format!("event-{i:03}")).collect();
    assert_eq!(errors, expected);
}

#[test]
fn a_hung_collector_never_blocks_capture_and_shutdown_keeps_its_deadline() {
    let collector = Collector::hung();
    let dirs = Dirs::new();
    let t = dirs
        .builder(&collector.url(), &[("NEXT_PUBLIC_POSTHOG_KEY", KEY)])
        .batch_size(1)
        .queue_capacity(50)
        .request_timeout(Duration::from_secs(30))
        .shutdown_timeout(Duration::from_millis(800))
        .build();
    t.setup_completed(Duration::from_secs(1));
    // Give the worker time to get stuck in the request.
    let end = Instant::now() + WAIT;
    while collector.connections() == 0 && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(5));
    }
    let started = Instant::now();
    for i in 0..10_000 {
        t.setup_failed(format!("error {i}"));
    }
    let capture_time = started.elapsed();
    assert!(capture_time < Duration::from_secs(2), "{capture_time:?}");
    let stats = t.status().stats;
    assert!(stats.queue_len <= 50);
    assert!(stats.dropped_queue_full >= 10_000 - 51);
    let flush_started = Instant::now();
    let flush = t.flush(Duration::from_millis(300));
    assert!(flush_started.elapsed() < Duration::from_millis(600));
    assert!(!flush.is_complete());
    let started = Instant::now();
    drop(t);
    let took = started.elapsed();
    assert!(took < Duration::from_millis(1300), "shutdown took {took:?}");
    assert!(
        dirs.cache().join("telemetry-spool.bin").exists(),
        "the rest is spooled"
    );
}

#[test]
fn drop_flushes_what_is_queued() {
    let collector = Collector::start();
    let dirs = Dirs::new();
    let t = dirs
        .builder(&collector.url(), &[("NEXT_PUBLIC_POSTHOG_KEY", KEY)])
        .build();
    t.setup_completed(Duration::from_secs(1));
    t.dev_server_started(Duration::from_secs(1));
    let started = Instant::now();
    drop(t);
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(
        names(&collector.events()),
        ["setup_completed", "dev_server_started"]
    );
    assert!(!dirs.cache().join("telemetry-spool.bin").exists());
}

#[test]
fn batches_leave_by_size_and_by_interval() {
    let collector = Collector::start();
    let dirs = Dirs::new();
    let t = dirs
        .builder(&collector.url(), &[("NEXT_PUBLIC_POSTHOG_KEY", KEY)])
        .batch_size(3)
        .build();
    for _ in 0..3 {
        t.setup_completed(Duration::from_secs(1));
    }
    assert_eq!(collector.wait_for_events(3, WAIT).len(), 3);
    assert_eq!(collector.requests().len(), 1);
    drop(t);

    let collector = Collector::start();
    let t = dirs
        .builder(&collector.url(), &[("NEXT_PUBLIC_POSTHOG_KEY", KEY)])
        .flush_interval(Duration::from_millis(200))
        .build();
    t.setup_completed(Duration::from_secs(1));
    assert_eq!(collector.wait_for_events(1, WAIT).len(), 1);
}

#[test]
fn retries_5xx_and_honours_retry_after() {
    let collector = Collector::start();
    collector.script(&[(503, None), (429, Some("1")), (200, None)]);
    let dirs = Dirs::new();
    let t = dirs
        .builder(&collector.url(), &[("NEXT_PUBLIC_POSTHOG_KEY", KEY)])
        .build();
    t.setup_completed(Duration::from_secs(1));
    assert!(t.flush(WAIT).is_complete());
    let requests = collector.requests();
    assert_eq!(requests.len(), 3);
    let gap = requests[2].at - requests[1].at;
    assert!(
        gap >= Duration::from_millis(950),
        "Retry-After not honoured: {gap:?}"
    );
    assert_eq!(t.status().stats.sent, 1);
    assert_eq!(t.status().stats.failed_attempts, 2);

    // 400 is final: no retry, counted.
    let collector = Collector::start();
    collector.script(&[(400, None)]);
    let t = dirs
        .builder(&collector.url(), &[("NEXT_PUBLIC_POSTHOG_KEY", KEY)])
        .build();
    t.setup_completed(Duration::from_secs(1));
    assert!(t.flush(WAIT).is_complete());
    assert_eq!(collector.requests().len(), 1);
    assert_eq!(t.status().stats.rejected, 1);
    assert!(t.status().warnings.iter().any(|w| w.contains("400")));
}

#[test]
fn debug_mode_prints_events_and_sends_nothing() {
    let collector = Collector::start();
    let dirs = Dirs::new();
    let out = Captured::default();
    let t = dirs
        .builder(
            &collector.url(),
            &[
                ("NEXT_PUBLIC_POSTHOG_KEY", KEY),
                ("HUSH_TELEMETRY_DEBUG", "1"),
            ],
        )
        .debug_writer(out.clone())
        .build();
    let status = t.status();
    assert!(status.debug);
    assert!(!status.sending);
    assert!(status.to_string().contains("debug"));
    every_event(&t);
    assert!(t.flush(Duration::from_millis(100)).is_complete());
    drop(t);
    let text = out.text();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        names(&lines),
        [
            "setup_completed",
            "setup_failed",
            "dev_server_started",
            "dev_server_failed"
        ]
    );
    assert_eq!(collector.connections(), 0);
    assert!(!dirs.cache().exists());
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

    // forget: every file gone, off for the rest of the run.
    let status = t.forget().unwrap();
    assert_eq!(status.level, Level::Off);
    drop(t);
    assert!(
        names_of(&dirs.config()).is_empty(),
        "{:?}",
        names_of(&dirs.config())
    );
    assert!(names_of(&dirs.cache()).is_empty());
    assert_eq!(collector.connections(), 0);
}

#[test]
fn forget_stops_sending_for_the_rest_of_the_run() {
    let collector = Collector::start();
    let dirs = Dirs::new();
    let t = dirs
        .builder(&collector.url(), &[("NEXT_PUBLIC_POSTHOG_KEY", KEY)])
        .build();
    t.setup_completed(Duration::from_secs(1));
    let status = t.forget().unwrap();
    assert_eq!(status.level, Level::Off);
    assert!(status.to_string().contains("forgotten"));
    t.setup_completed(Duration::from_secs(1));
    drop(t);
    assert_eq!(collector.connections(), 0);
}

/// The SDK and the collector share one catalogue: every event an SDK method sends is one
/// the collector's default policy forwards, at the level it was sent.
#[test]
fn every_event_the_sdk_sends_is_one_the_default_policy_forwards() {
    let collector = Collector::start();
    let dirs = Dirs::new();
    let env = [
        ("NEXT_PUBLIC_POSTHOG_KEY", KEY),
        ("HUSH_TELEMETRY_LEVEL", "full"),
    ];
    let t = dirs.builder(&collector.url(), &env).build();
    assert_eq!(t.status().level, Level::Full);
    every_event(&t);
    assert!(t.flush(WAIT).is_complete());
    let events = collector.events();
    assert_eq!(events.len(), 8, "{:?}", names(&events));
    let policy = hush_config::Policy::default();
    for event in &events {
        let name = event["event"].as_str().unwrap();
        let class = policy
            .class_of(name)
            .unwrap_or_else(|| panic!("the default policy drops `{name}`"));
        if class == hush_config::EventClass::OptIn {
            assert_eq!(event["properties"]["$telemetry_level"], "full", "{name}");
        }
    }
}

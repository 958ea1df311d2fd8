//! [`Builder`]: every option of a [`Telemetry`], each with its default.

use crate::consent::{ConsentSetup, Environment};
use crate::Telemetry;
use hush_config::consent::{ConsentVars, Level};
use std::fmt;
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

/// Builds a [`Telemetry`] client. Start with [`Telemetry::builder`].
///
/// Building never fails: a consent error (an unparsable `.env` or variable) means
/// telemetry is off, and [`Telemetry::status`] reports the error.
///
/// # Examples
///
/// ```
/// use hush_sdk::Telemetry;
/// use std::time::Duration;
///
/// let dirs = tempfile::tempdir()?;
/// let telemetry = Telemetry::builder("devtool", "1.2.3")
///     .host("http://127.0.0.1:9")
///     .batch_size(50)
///     .flush_interval(Duration::from_secs(30))
///     // For tests: no process environment, no user directories.
///     .environment([("NEXT_PUBLIC_DISABLE_TELEMETRY", "1")])
///     .dotenv_dir(dirs.path())
///     .config_dir(dirs.path().join("config"))
///     .cache_dir(dirs.path().join("cache"))
///     .build();
/// assert_eq!(telemetry.status().level, hush_sdk::Level::Off);
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Builder {
    pub(crate) app_name: String,
    pub(crate) app_version: String,
    pub(crate) setup: ConsentSetup,
    pub(crate) host: Option<String>,
    pub(crate) batch_size: usize,
    pub(crate) flush_interval: Duration,
    pub(crate) queue_capacity: usize,
    pub(crate) spool_capacity: usize,
    pub(crate) config_dir: Option<PathBuf>,
    pub(crate) cache_dir: Option<PathBuf>,
    pub(crate) shutdown_timeout: Duration,
    pub(crate) request_timeout: Duration,
    pub(crate) max_attempts: u32,
    pub(crate) retry_backoff: Duration,
    pub(crate) debug_writer: Option<Box<dyn Write + Send>>,
    pub(crate) machine_id: Option<Option<String>>,
    pub(crate) disable_hint: Option<String>,
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("app_name", &self.app_name)
            .field("app_version", &self.app_version)
            .field("host", &self.host)
            .field("batch_size", &self.batch_size)
            .field("flush_interval", &self.flush_interval)
            .field("queue_capacity", &self.queue_capacity)
            .field("spool_capacity", &self.spool_capacity)
            .finish_non_exhaustive()
    }
}

impl Builder {
    pub(crate) fn new(app_name: &str, app_version: &str) -> Self {
        Builder {
            app_name: app_name.to_string(),
            app_version: app_version.to_string(),
            setup: ConsentSetup {
                vars: ConsentVars::default(),
                dotenv_dir: None,
                environment: Environment::Process,
                code_level: None,
            },
            host: None,
            batch_size: 20,
            flush_interval: Duration::from_secs(10),
            queue_capacity: 1000,
            spool_capacity: 1000,
            config_dir: None,
            cache_dir: None,
            shutdown_timeout: Duration::from_secs(2),
            request_timeout: Duration::from_secs(10),
            max_attempts: 4,
            retry_backoff: Duration::from_millis(500),
            debug_writer: None,
            machine_id: None,
            disable_hint: None,
        }
    }

    /// The environment variable names. Default: [`ConsentVars::default`]
    /// (`NEXT_PUBLIC_DISABLE_TELEMETRY`, `NEXT_PUBLIC_POSTHOG_KEY`, `NEXT_PUBLIC_POSTHOG_HOST`,
    /// `DO_NOT_TRACK`, `HUSH_TELEMETRY_LEVEL`, `HUSH_TELEMETRY_DEBUG`);
    /// `ConsentVars::for_app("Foo")` gives `FOO_DISABLE_TELEMETRY` and friends.
    pub fn vars(mut self, vars: ConsentVars) -> Self {
        self.setup.vars = vars;
        self
    }

    /// The collector's base URL (events go to `{host}/batch/`). Default: the value of the
    /// host variable (`NEXT_PUBLIC_POSTHOG_HOST`); without either, nothing is sent.
    pub fn host(mut self, host: impl Into<String>) -> Self {
        self.host = Some(host.into());
        self
    }

    /// Events per batch; a full batch is sent at once. Default 20.
    pub fn batch_size(mut self, n: usize) -> Self {
        self.batch_size = n.max(1);
        self
    }

    /// The longest an event waits for its batch to fill. Default 10 s.
    pub fn flush_interval(mut self, interval: Duration) -> Self {
        self.flush_interval = interval;
        self
    }

    /// The most events kept in memory; when full, the oldest is dropped and counted.
    /// Default 1000.
    pub fn queue_capacity(mut self, n: usize) -> Self {
        self.queue_capacity = n.max(1);
        self
    }

    /// The most events kept in the offline spool (the newest are kept). Default 1000.
    pub fn spool_capacity(mut self, n: usize) -> Self {
        self.spool_capacity = n;
        self
    }

    /// An explicit consent level from code: the highest precedence for the level. The
    /// disable flag, a missing key and `DO_NOT_TRACK` still turn telemetry off. Default:
    /// none (the level comes from the environment or the stored choice).
    pub fn consent(mut self, level: Level) -> Self {
        self.setup.code_level = Some(level);
        self
    }

    /// The directory holding `.env` and `.env.local`. Default: the current directory.
    pub fn dotenv_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.setup.dotenv_dir = Some(dir.into());
        self
    }

    /// Uses these variables instead of the process environment (for tests). Default: the
    /// process environment.
    pub fn environment<K, V>(mut self, vars: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: Into<String>,
        V: Into<String>,
    {
        self.setup.environment = Environment::Explicit(
            vars.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        );
        self
    }

    /// Where the consent file, the random id, the notice marker and the spool key live.
    /// Default: `<user config dir>/<app name>` (e.g. `~/.config/devtool`).
    pub fn config_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.config_dir = Some(dir.into());
        self
    }

    /// Where the offline spool lives. Default: `<user cache dir>/<app name>`
    /// (e.g. `~/.cache/devtool`).
    pub fn cache_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cache_dir = Some(dir.into());
        self
    }

    /// How long dropping the client may take to send what is queued (and spool the rest).
    /// Default 2 s.
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = timeout;
        self
    }

    /// The longest one HTTP request may take. Default 10 s.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Attempts per batch before it goes back to the queue, and the first backoff (doubled
    /// each retry, with jitter; a `Retry-After` header wins). Default 4 attempts, 500 ms.
    pub fn retries(mut self, max_attempts: u32, backoff: Duration) -> Self {
        self.max_attempts = max_attempts.max(1);
        self.retry_backoff = backoff;
        self
    }

    /// Where debug mode prints events (one JSON object per line). Default: stderr.
    pub fn debug_writer(mut self, writer: impl Write + Send + 'static) -> Self {
        self.debug_writer = Some(Box::new(writer));
        self
    }

    /// Uses this raw machine id instead of the OS's (`None`: behave as on a machine without
    /// one, using a random id stored in the config directory). For tests. Default: the OS
    /// machine id.
    pub fn machine_id(mut self, raw: Option<String>) -> Self {
        self.machine_id = Some(raw);
        self
    }

    /// The command that turns telemetry off, named in the first-run notice
    /// (e.g. `devtool telemetry disable`). Default: none.
    pub fn disable_command(mut self, command: impl Into<String>) -> Self {
        self.disable_hint = Some(command.into());
        self
    }

    /// Resolves consent and, unless telemetry is off, starts the one background worker.
    ///
    /// When the level is off this creates no thread, opens no socket and writes no file.
    pub fn build(self) -> Telemetry {
        Telemetry::from_builder(self)
    }
}

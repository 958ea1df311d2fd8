//! The SDK's consent rules (ARCHITECTURE.md, "Consent").
//!
//! Sources, in rising precedence: built-in defaults, `.env`, `.env.local`, the stored
//! consent file, the process environment, then values passed in code. `.env` files are
//! parsed, never loaded into the process environment. The rules, in order:
//!
//! | rule | result |
//! |---|---|
//! | the disable flag is `true`, `1`, `yes` or `on` (any case) | off |
//! | the project key is missing or empty | off |
//! | `DO_NOT_TRACK` is `1`, `true`, `yes` or `on` | off |
//! | the level says `off`, `basic` or `full` | that level (`full` only this way: an explicit opt-in) |
//! | otherwise | basic |
//!
//! A value that cannot be parsed is a [`ConsentError`] naming the variable and the file;
//! callers treat it as off.
//!
//! ```
//! use hush_config::consent::{resolve, ConsentInputs, ConsentVars, Level, Rule};
//! let inputs = ConsentInputs::new(ConsentVars::default())
//!     .environment([("NEXT_PUBLIC_POSTHOG_KEY".to_string(), "phc_abc".to_string())]);
//! let decision = resolve(&inputs).unwrap();
//! assert_eq!(decision.level, Level::Basic);
//! assert_eq!(decision.rule, Rule::Default);
//! ```

use crate::Secret;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// How much telemetry an app may send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Nothing at all: no thread, no socket, no file.
    Off,
    /// The basic catalogue only.
    Basic,
    /// Basic plus the opt-in events; only after an explicit opt-in.
    Full,
}

impl Level {
    /// The wire name: `off`, `basic` or `full`.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Off => "off",
            Level::Basic => "basic",
            Level::Full => "full",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text was not `off`, `basic` or `full`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected off, basic or full")]
pub struct ParseLevelError;

impl FromStr for Level {
    type Err = ParseLevelError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "off" | "none" | "disabled" | "0" | "false" | "no" => Ok(Level::Off),
            "basic" | "on" => Ok(Level::Basic),
            "full" | "all" => Ok(Level::Full),
            _ => Err(ParseLevelError),
        }
    }
}

/// The names of the variables an app reads. The defaults are the ones below; an app named Foo
/// may use [`ConsentVars::for_app`] to get `FOO_DISABLE_TELEMETRY` and friends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentVars {
    /// Turns telemetry off when true. Default `NEXT_PUBLIC_DISABLE_TELEMETRY`.
    pub disable: String,
    /// The project key; telemetry is off without it. Default `NEXT_PUBLIC_POSTHOG_KEY`.
    pub key: String,
    /// The collector host. Default `NEXT_PUBLIC_POSTHOG_HOST`.
    pub host: String,
    /// The cross-tool opt-out. Default `DO_NOT_TRACK`.
    pub do_not_track: String,
    /// The level opt-in (`off`, `basic`, `full`). Default `HUSH_TELEMETRY_LEVEL`.
    pub level: String,
    /// Debug mode: print events, send nothing. Default `HUSH_TELEMETRY_DEBUG`.
    pub debug: String,
}

impl Default for ConsentVars {
    fn default() -> Self {
        ConsentVars {
            disable: "NEXT_PUBLIC_DISABLE_TELEMETRY".into(),
            key: "NEXT_PUBLIC_POSTHOG_KEY".into(),
            host: "NEXT_PUBLIC_POSTHOG_HOST".into(),
            do_not_track: "DO_NOT_TRACK".into(),
            level: "HUSH_TELEMETRY_LEVEL".into(),
            debug: "HUSH_TELEMETRY_DEBUG".into(),
        }
    }
}

impl ConsentVars {
    /// Variable names prefixed with the app's name: `Foo` gives `FOO_DISABLE_TELEMETRY`,
    /// `FOO_POSTHOG_KEY`, `FOO_POSTHOG_HOST`, `FOO_TELEMETRY_LEVEL`, `FOO_TELEMETRY_DEBUG`;
    /// `DO_NOT_TRACK` is shared by every tool and stays as it is.
    pub fn for_app(app: &str) -> Self {
        let prefix: String = app
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_uppercase()
                } else {
                    '_'
                }
            })
            .collect();
        ConsentVars {
            disable: format!("{prefix}_DISABLE_TELEMETRY"),
            key: format!("{prefix}_POSTHOG_KEY"),
            host: format!("{prefix}_POSTHOG_HOST"),
            do_not_track: "DO_NOT_TRACK".into(),
            level: format!("{prefix}_TELEMETRY_LEVEL"),
            debug: format!("{prefix}_TELEMETRY_DEBUG"),
        }
    }
}

/// Where a value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Nothing set it: the built-in default.
    Default,
    /// The `.env` file at this path.
    DotEnv(PathBuf),
    /// The `.env.local` file at this path.
    DotEnvLocal(PathBuf),
    /// The stored consent file at this path.
    ConsentFile(PathBuf),
    /// The process environment.
    Environment,
    /// A value the app passed in code.
    Code,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Default => f.write_str("built-in default"),
            Source::DotEnv(p) | Source::DotEnvLocal(p) => write!(f, "{}", p.display()),
            Source::ConsentFile(p) => write!(f, "consent file {}", p.display()),
            Source::Environment => f.write_str("process environment"),
            Source::Code => f.write_str("app code"),
        }
    }
}

/// Which rule decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// The disable flag is set.
    DisableFlag,
    /// The project key is missing or empty.
    MissingKey,
    /// `DO_NOT_TRACK` is set.
    DoNotTrack,
    /// An explicit level was set (`full` only this way).
    ExplicitLevel,
    /// Nothing else applied: basic.
    Default,
}

/// The outcome: the level, the rule that decided it, and where the deciding value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The resolved level.
    pub level: Level,
    /// The rule that decided.
    pub rule: Rule,
    /// The variable whose value decided, if any.
    pub variable: Option<String>,
    /// Where that value came from.
    pub source: Source,
    /// The project key, when telemetry is on.
    pub api_key: Option<Secret>,
    /// The collector host, if one was set.
    pub host: Option<String>,
    /// Debug mode: print events to stderr, send nothing.
    pub debug: bool,
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "telemetry is {}: ", self.level)?;
        let var = self.variable.as_deref().unwrap_or("");
        match self.rule {
            Rule::DisableFlag => write!(f, "{var} is set to a true value in {}", self.source),
            Rule::MissingKey => write!(f, "{var} is missing or empty"),
            Rule::DoNotTrack => write!(f, "{var} is set in {}", self.source),
            Rule::ExplicitLevel => write!(f, "{var} chosen in {}", self.source),
            Rule::Default => f.write_str("the default (basic events only)"),
        }
    }
}

/// A value or file that could not be parsed. Names the variable and the file; never repeats
/// the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConsentError {
    /// A variable's value is not one the rule understands.
    #[error("cannot parse {variable} from {origin}: expected {expected}")]
    InvalidValue {
        /// The variable.
        variable: String,
        /// Where its value came from.
        origin: Source,
        /// What would have been accepted.
        expected: &'static str,
    },
    /// A `.env` or consent file is malformed or unreadable.
    #[error("cannot read {path}: {reason}")]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong (line number, I/O error); never the file's content.
        reason: String,
    },
}

/// Everything [`resolve`] looks at. Nothing is read from the process unless asked for with
/// [`ConsentInputs::process_environment`].
#[derive(Debug, Clone, Default)]
pub struct ConsentInputs {
    vars: ConsentVars,
    dotenv_dir: Option<PathBuf>,
    environment: BTreeMap<String, String>,
    consent_file: Option<PathBuf>,
    code: BTreeMap<String, String>,
}

impl ConsentInputs {
    /// Inputs with these variable names, no `.env` directory, an empty environment.
    pub fn new(vars: ConsentVars) -> Self {
        ConsentInputs {
            vars,
            ..Default::default()
        }
    }

    /// Reads `.env` and `.env.local` from this directory (missing files are fine).
    pub fn dotenv_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.dotenv_dir = Some(dir.into());
        self
    }

    /// Uses these pairs as the process environment.
    pub fn environment(mut self, vars: impl IntoIterator<Item = (String, String)>) -> Self {
        self.environment = vars.into_iter().collect();
        self
    }

    /// Uses the real process environment (variables that are not valid UTF-8 are skipped).
    pub fn process_environment(self) -> Self {
        let vars = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)));
        self.environment(vars)
    }

    /// Reads the stored choice from this consent file (a missing file is fine).
    pub fn consent_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.consent_file = Some(path.into());
        self
    }

    /// Sets a variable from code: the highest precedence.
    pub fn code_value(mut self, variable: impl Into<String>, value: impl Into<String>) -> Self {
        self.code.insert(variable.into(), value.into());
        self
    }

    /// Sets the level from code: the highest precedence for the level (the disable flag,
    /// a missing key and `DO_NOT_TRACK` still turn telemetry off).
    pub fn code_level(self, level: Level) -> Self {
        let var = self.vars.level.clone();
        self.code_value(var, level.as_str())
    }

    /// The variable names in use.
    pub fn vars(&self) -> &ConsentVars {
        &self.vars
    }
}

/// Reads the level stored in a consent file: a line `level=off|basic|full` (comments with
/// `#`). `Ok(None)` when the file does not exist.
///
/// # Errors
/// [`ConsentError::File`] when the file exists but cannot be read or holds no valid level.
pub fn read_consent_file(path: &Path) -> Result<Option<Level>, ConsentError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(ConsentError::File {
                path: path.to_path_buf(),
                reason: e.kind().to_string(),
            })
        }
    };
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let value = line
            .strip_prefix("level")
            .and_then(|rest| rest.trim_start().strip_prefix('='))
            .map(|v| v.trim().trim_matches('"'));
        return match value.map(str::parse::<Level>) {
            Some(Ok(level)) => Ok(Some(level)),
            _ => Err(ConsentError::File {
                path: path.to_path_buf(),
                reason: format!("line {}: expected level=off|basic|full", i + 1),
            }),
        };
    }
    Err(ConsentError::File {
        path: path.to_path_buf(),
        reason: "no level line".into(),
    })
}

/// The text [`read_consent_file`] reads back as `level`.
pub fn consent_file_text(level: Level) -> String {
    format!("# hush telemetry choice; delete this file to forget it\nlevel={level}\n")
}

/// Applies the rules to the inputs.
///
/// # Errors
/// [`ConsentError`] when a `.env` file is malformed or a variable the rules read has a value
/// they cannot parse. Callers must treat an error as off.
pub fn resolve(inputs: &ConsentInputs) -> Result<Decision, ConsentError> {
    let values = layered_values(inputs)?;
    let vars = &inputs.vars;
    let get = |name: &str| values.get(name).map(|(v, s)| (v.as_str(), s));
    let debug = match get(&vars.debug) {
        Some((v, s)) => parse_flag(v, &vars.debug, s)?,
        None => false,
    };
    let host = get(&vars.host)
        .map(|(v, _)| v.trim().to_string())
        .filter(|v| !v.is_empty());
    let off = |rule, variable: &str, source: &Source| Decision {
        level: Level::Off,
        rule,
        variable: Some(variable.to_string()),
        source: source.clone(),
        api_key: None,
        host: host.clone(),
        debug,
    };

    if let Some((value, source)) = get(&vars.disable) {
        if parse_flag(value, &vars.disable, source)? {
            return Ok(off(Rule::DisableFlag, &vars.disable, source));
        }
    }
    let key = match get(&vars.key) {
        Some((value, _)) if !value.trim().is_empty() => value.trim().to_string(),
        Some((_, source)) => return Ok(off(Rule::MissingKey, &vars.key, source)),
        None => return Ok(off(Rule::MissingKey, &vars.key, &Source::Default)),
    };
    if let Some((value, source)) = get(&vars.do_not_track) {
        if parse_flag(value, &vars.do_not_track, source)? {
            return Ok(off(Rule::DoNotTrack, &vars.do_not_track, source));
        }
    }
    let (level, rule, variable, source) = match get(&vars.level) {
        Some((value, source)) if !value.trim().is_empty() => {
            let level = value
                .parse::<Level>()
                .map_err(|_| ConsentError::InvalidValue {
                    variable: vars.level.clone(),
                    origin: source.clone(),
                    expected: "off, basic or full",
                })?;
            (
                level,
                Rule::ExplicitLevel,
                Some(vars.level.clone()),
                source.clone(),
            )
        }
        _ => (Level::Basic, Rule::Default, None, Source::Default),
    };
    Ok(Decision {
        level,
        rule,
        variable,
        source,
        api_key: (level != Level::Off).then(|| Secret::new(key)),
        host,
        debug,
    })
}

/// Every relevant variable's winning value and its source, lowest precedence first.
fn layered_values(
    inputs: &ConsentInputs,
) -> Result<BTreeMap<String, (String, Source)>, ConsentError> {
    let vars = &inputs.vars;
    let names = [
        &vars.disable,
        &vars.key,
        &vars.host,
        &vars.do_not_track,
        &vars.level,
        &vars.debug,
    ];
    let mut values: BTreeMap<String, (String, Source)> = BTreeMap::new();
    let mut set = |name: &str, value: &str, source: Source| {
        if names.iter().any(|n| n.as_str() == name) {
            values.insert(name.to_string(), (value.to_string(), source));
        }
    };
    if let Some(dir) = &inputs.dotenv_dir {
        let dotenv = dir.join(".env");
        for (k, v) in parse_dotenv(&dotenv)? {
            set(&k, &v, Source::DotEnv(dotenv.clone()));
        }
        let local = dir.join(".env.local");
        for (k, v) in parse_dotenv(&local)? {
            set(&k, &v, Source::DotEnvLocal(local.clone()));
        }
    }
    if let Some(path) = &inputs.consent_file {
        if let Some(level) = read_consent_file(path)? {
            set(
                &vars.level,
                level.as_str(),
                Source::ConsentFile(path.clone()),
            );
        }
    }
    for (k, v) in &inputs.environment {
        set(k, v, Source::Environment);
    }
    for (k, v) in &inputs.code {
        set(k, v, Source::Code);
    }
    Ok(values)
}

/// Parses a `.env` file without touching the process environment. A missing file is empty.
fn parse_dotenv(path: &Path) -> Result<Vec<(String, String)>, ConsentError> {
    let iter = match dotenvy::from_path_iter(path) {
        Ok(iter) => iter,
        Err(e) if e.not_found() => return Ok(Vec::new()),
        Err(e) => {
            return Err(ConsentError::File {
                path: path.to_path_buf(),
                reason: describe_dotenv_error(&e),
            })
        }
    };
    iter.map(|item| {
        item.map_err(|e| ConsentError::File {
            path: path.to_path_buf(),
            reason: describe_dotenv_error(&e),
        })
    })
    .collect()
}

fn describe_dotenv_error(e: &dotenvy::Error) -> String {
    match e {
        // The line itself may hold a key: report only where it is.
        dotenvy::Error::LineParse(_, index) => format!("syntax error at character {index}"),
        dotenvy::Error::Io(io) => io.kind().to_string(),
        _ => "unreadable".into(),
    }
}

/// `true`/`1`/`yes`/`on` → true; `false`/`0`/`no`/`off`/empty → false; anything else is
/// an error naming the variable and its source.
fn parse_flag(value: &str, variable: &str, source: &Source) -> Result<bool, ConsentError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" | "" => Ok(false),
        _ => Err(ConsentError::InvalidValue {
            variable: variable.to_string(),
            origin: source.clone(),
            expected: "true, 1, yes, false, 0 or no",
        }),
    }
}

//! Glue to `hush_config::consent`: where the SDK's files live, how the builder's options
//! become [`ConsentInputs`], and persistence of the user's choice in the consent file.

use crate::files;
use crate::Error;
use hush_config::consent::{
    consent_file_text, resolve, ConsentError, ConsentInputs, ConsentVars, Decision, Level,
};
use std::path::{Path, PathBuf};

/// The consent file, in the config directory.
const CONSENT_FILE: &str = "telemetry-consent";
/// The random id used where the OS has no machine id, in the config directory.
const ID_FILE: &str = "telemetry-id";
/// Marks the first-run notice as shown, in the config directory.
const NOTICE_FILE: &str = "telemetry-notice-shown";
/// The spool encryption key, in the config directory.
const SPOOL_KEY_FILE: &str = "telemetry-spool.key";
/// The offline spool, in the cache directory.
const SPOOL_FILE: &str = "telemetry-spool.bin";
/// Erase requests not yet sent, in the config directory (`rights/pending.rs`).
const ERASE_FILE: &str = "telemetry-erase.bin";

/// The SDK's directories. Nothing is created until something is written.
#[derive(Debug, Clone)]
pub(crate) struct Paths {
    /// `<config dir>/<app>` or the builder's override.
    pub config: Option<PathBuf>,
    /// `<cache dir>/<app>` or the builder's override.
    pub cache: Option<PathBuf>,
}

impl Paths {
    /// Uses the overrides as they are, or the user's directories with a sub-directory named
    /// after the app.
    pub fn new(app_slug: &str, config: Option<PathBuf>, cache: Option<PathBuf>) -> Self {
        Paths {
            config: config.or_else(|| dirs::config_dir().map(|d| d.join(app_slug))),
            cache: cache.or_else(|| dirs::cache_dir().map(|d| d.join(app_slug))),
        }
    }

    fn in_config(&self, name: &str) -> Result<PathBuf, Error> {
        self.config
            .as_ref()
            .map(|d| d.join(name))
            .ok_or(Error::NoConfigDir)
    }

    /// The consent file.
    pub fn consent(&self) -> Result<PathBuf, Error> {
        self.in_config(CONSENT_FILE)
    }

    /// The random-id file.
    pub fn id(&self) -> Result<PathBuf, Error> {
        self.in_config(ID_FILE)
    }

    /// The notice marker.
    pub fn notice(&self) -> Result<PathBuf, Error> {
        self.in_config(NOTICE_FILE)
    }

    /// The spool key.
    pub fn spool_key(&self) -> Result<PathBuf, Error> {
        self.in_config(SPOOL_KEY_FILE)
    }

    /// The erase requests not yet sent.
    pub fn pending_erases(&self) -> Result<PathBuf, Error> {
        self.in_config(ERASE_FILE)
    }

    /// The spool.
    pub fn spool(&self) -> Result<PathBuf, Error> {
        self.cache
            .as_ref()
            .map(|d| d.join(SPOOL_FILE))
            .ok_or(Error::NoCacheDir)
    }
}

/// Where the environment comes from.
#[derive(Debug, Clone)]
pub(crate) enum Environment {
    /// The real process environment, read at each resolution.
    Process,
    /// Explicit pairs (tests).
    Explicit(Vec<(String, String)>),
}

impl Environment {
    /// The pairs.
    pub fn pairs(&self) -> Vec<(String, String)> {
        match self {
            Environment::Process => std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                .collect(),
            Environment::Explicit(pairs) => pairs.clone(),
        }
    }

    /// One variable.
    pub fn get(&self, name: &str) -> Option<String> {
        match self {
            Environment::Process => std::env::var(name).ok(),
            Environment::Explicit(pairs) => pairs
                .iter()
                .rev()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone()),
        }
    }
}

/// Everything the consent decision depends on.
#[derive(Debug, Clone)]
pub(crate) struct ConsentSetup {
    pub vars: ConsentVars,
    pub dotenv_dir: Option<PathBuf>,
    pub environment: Environment,
    pub code_level: Option<Level>,
}

impl ConsentSetup {
    /// Resolves the decision with the consent rules (see [`hush_config::consent`]), reading
    /// the stored choice (if any).
    pub fn resolve(&self, consent_file: Option<&Path>) -> Result<Decision, ConsentError> {
        let dotenv_dir = match &self.dotenv_dir {
            Some(dir) => Some(dir.clone()),
            None => std::env::current_dir().ok(),
        };
        let mut inputs =
            ConsentInputs::new(self.vars.clone()).environment(self.environment.pairs());
        if let Some(dir) = dotenv_dir {
            inputs = inputs.dotenv_dir(dir);
        }
        if let Some(path) = consent_file {
            inputs = inputs.consent_file(path);
        }
        if let Some(level) = self.code_level {
            inputs = inputs.code_level(level);
        }
        resolve(&inputs)
    }
}

/// Stores the user's choice (mode 0600).
pub(crate) fn store_choice(paths: &Paths, level: Level) -> Result<PathBuf, Error> {
    let path = paths.consent()?;
    files::write_private(&path, consent_file_text(level).as_bytes())?;
    Ok(path)
}

/// Deletes every file the SDK keeps: consent, id, notice marker, spool key and spool. Not
/// the erase requests still to send: `forget()` writes those again under a new key.
pub(crate) fn forget_all(paths: &Paths) -> Result<(), Error> {
    let mut first_error = None;
    for path in [
        paths.consent(),
        paths.id(),
        paths.notice(),
        paths.spool_key(),
        paths.spool(),
    ]
    .into_iter()
    .flatten()
    {
        if let Err(e) = files::remove(&path) {
            first_error.get_or_insert(e);
        }
    }
    first_error.map_or(Ok(()), Err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hush_config::consent::{read_consent_file, Rule, Source};

    fn setup(env: &[(&str, &str)], dir: &Path) -> ConsentSetup {
        ConsentSetup {
            vars: ConsentVars::default(),
            dotenv_dir: Some(dir.to_path_buf()),
            environment: Environment::Explicit(
                env.iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            ),
            code_level: None,
        }
    }

    #[test]
    fn stored_choice_is_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::new("app", Some(dir.path().join("c")), None);
        let path = store_choice(&paths, Level::Full).unwrap();
        assert_eq!(read_consent_file(&path).unwrap(), Some(Level::Full));
        let s = setup(&[("NEXT_PUBLIC_POSTHOG_KEY", "phc_x")], dir.path());
        let d = s.resolve(Some(&path)).unwrap();
        assert_eq!(d.level, Level::Full);
        assert_eq!(d.rule, Rule::ExplicitLevel);
        assert_eq!(d.source, Source::ConsentFile(path.clone()));
        forget_all(&paths).unwrap();
        assert!(!path.exists());
    }

    #[test]
    fn explicit_environment_and_code_level() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = setup(&[("NEXT_PUBLIC_POSTHOG_KEY", "phc_x")], dir.path());
        s.code_level = Some(Level::Full);
        assert_eq!(s.resolve(None).unwrap().level, Level::Full);
        assert_eq!(
            s.environment.get("NEXT_PUBLIC_POSTHOG_KEY").as_deref(),
            Some("phc_x")
        );
    }
}

//! The first minute: `serve` with no config file (and so no tenant) makes one local dev
//! tenant, once, so the README's first command accepts events at once. Its project key and
//! hash key are random and kept in `data_dir/dev-tenant.json` (mode 0600), so restarts keep
//! the same key and the same hashed ids. A config file that names no tenant gets none.

use hush_config::{Preset, Secret, TenantConfig};
use serde::{Deserialize, Serialize};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The file under `data_dir` that holds the dev tenant.
pub const DEV_TENANT_FILE: &str = "dev-tenant.json";

/// The dev tenant as kept on disk.
#[derive(Serialize, Deserialize)]
struct Stored {
    name: String,
    api_key: String,
    hash_key: String,
}

/// The dev tenant of `data_dir`: read from [`DEV_TENANT_FILE`], or made (random keys) and
/// written there first. It has the `web` preset, so a posthog-js page works as well.
///
/// # Errors
/// The I/O error if the file cannot be read or written, or the OS random source fails; a
/// file that does not parse is an error naming it (it is never overwritten).
pub fn ensure(data_dir: &Path) -> io::Result<TenantConfig> {
    let path = dev_tenant_path(data_dir);
    let stored = match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice::<Stored>(&bytes).map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{} is not a dev tenant file", path.display()),
            )
        })?,
        Err(e) if e.kind() == io::ErrorKind::NotFound => create(data_dir, &path)?,
        Err(e) => return Err(e),
    };
    Ok(TenantConfig {
        name: stored.name,
        api_key: Secret::new(stored.api_key),
        hash_key: Secret::new(stored.hash_key),
        policy: Default::default(),
        presets: vec![Preset::Web],
        allowed_origins: None,
        admin_token: None,
        retention_days: None,
    })
}

/// Where the dev tenant of `data_dir` is kept.
pub fn dev_tenant_path(data_dir: &Path) -> PathBuf {
    data_dir.join(DEV_TENANT_FILE)
}

fn create(data_dir: &Path, path: &Path) -> io::Result<Stored> {
    std::fs::create_dir_all(data_dir)?;
    let stored = Stored {
        name: "dev".into(),
        // PostHog's project keys: `phc_` and 43 letters and digits.
        api_key: format!("phc_{}", random_alphanumeric(43)?),
        hash_key: random_alphanumeric(64)?,
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(&serde_json::to_vec_pretty(&stored).map_err(io::Error::other)?)?;
    file.sync_all()?;
    Ok(stored)
}

fn random_alphanumeric(n: usize) -> io::Result<String> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut bytes = vec![0u8; n];
    getrandom::getrandom(&mut bytes).map_err(|e| io::Error::other(e.to_string()))?;
    // 256 is not a multiple of 62: the bias is below 1 % per character, fine for a key
    // that is random and long.
    Ok(bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect())
}

/// What `serve` prints at start for the dev tenant: the key, a `curl` line and a
/// posthog-js snippet that work as shown.
pub fn banner(tenant: &TenantConfig, listen: std::net::SocketAddr, data_dir: &Path) -> String {
    let key = tenant.api_key.expose();
    let url = format!("http://{listen}");
    let events = data_dir.join("events");
    format!(
        "\
hush-collector: no tenant is configured, so a local dev tenant is ready (kept in {file}).
  project key: {key}
  send an event (its email will be scrubbed):
    curl -s {url}/batch/ -H 'Content-Type: application/json' -d '{{\"api_key\":\"{key}\",\"batch\":[{{\"event\":\"setup_failed\",\"distinct_id\":\"my-machine\",\"properties\":{{\"$telemetry_level\":\"basic\",\"error\":\"mail jane.doe@example.com\"}}}}]}}'
  or from a web page with posthog-js (npm install posthog-js):
    import posthog from 'posthog-js'
    posthog.init('{key}', {{ api_host: '{url}' }})
  events land, scrubbed, in {events}/
",
        file = dev_tenant_path(data_dir).display(),
        events = events.display(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_once_with_random_keys_and_mode_0600_then_read_back() {
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path().join("data");
        let first = ensure(&data).unwrap();
        let key = first.api_key.expose().to_owned();
        assert!(key.starts_with("phc_") && key.len() == 47, "{key}");
        assert!(first.hash_key.expose().len() >= 32);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dev_tenant_path(&data))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let again = ensure(&data).unwrap();
        assert_eq!(again.api_key.expose(), key);
        assert_eq!(again.hash_key.expose(), first.hash_key.expose());
        let other = ensure(&tmp.path().join("other")).unwrap();
        assert_ne!(other.api_key.expose(), key);
        let banner = banner(&first, "127.0.0.1:8787".parse().unwrap(), &data);
        assert!(banner.contains(&key));
        assert!(banner.contains(&format!(
            "posthog.init('{key}', {{ api_host: 'http://127.0.0.1:8787' }})"
        )));
        assert!(
            !banner.contains(first.hash_key.expose()),
            "the hash key is never printed"
        );
    }

    #[test]
    fn a_file_that_is_not_a_dev_tenant_is_an_error_and_kept() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(dev_tenant_path(tmp.path()), b"hello").unwrap();
        assert!(ensure(tmp.path()).is_err());
        assert_eq!(
            std::fs::read(dev_tenant_path(tmp.path())).unwrap(),
            b"hello"
        );
    }
}

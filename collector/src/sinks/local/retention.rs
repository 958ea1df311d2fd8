//! Retention of the day files: the lines of every tenant past its `retention_days` are
//! removed from the files of the days that expired for it (see
//! [`crate::sinks::retention`]), each file rewritten under its lock as an erase does
//! (temporary file, sync, rename, directory sync). A file left with no line is deleted and
//! the directory synced; an append to that day afterwards creates the file again. Lines
//! that do not parse cannot be told apart by tenant and are kept.

use super::{line_owner, open_locked, LocalSink};
use crate::sinks::retention::{self, cutoff, Retention, Swept, DAILY};
use crate::sinks::sink::SinkError;
use crate::sinks::start::SinkContext;
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use time::{Date, OffsetDateTime};
use tokio::task::JoinHandle;

/// The daily retention task of `sink`, when a tenant has a retention.
pub(super) fn spawn(sink: &LocalSink, context: &SinkContext<'_>) -> Option<JoinHandle<()>> {
    if context.retention.is_empty() {
        return None;
    }
    let (sink, policy) = (sink.clone(), Arc::clone(context.retention));
    Some(retention::spawn(
        "local",
        DAILY,
        context.metrics.clone(),
        context.shutdown.clone(),
        move || {
            let (sink, policy) = (sink.clone(), policy.clone());
            async move {
                let today = OffsetDateTime::now_utc().date();
                tokio::task::spawn_blocking(move || sink.expire(&policy, today))
                    .await
                    .unwrap_or_else(|_| Swept {
                        error: Some(SinkError::Retention("the local retention pass panicked")),
                        ..Swept::default()
                    })
            }
        },
    ))
}

impl LocalSink {
    /// Removes, from the day files, the lines of every tenant of `retention` whose day is
    /// past its retention on `today`; counts them per tenant. A file that fails is reported
    /// in [`Swept::error`] (the first failure) and the other files are still done.
    pub fn expire(&self, retention: &Retention, today: Date) -> Swept {
        let mut swept = Swept::default();
        if retention.is_empty() {
            return swept;
        }
        let files = match dated_files(self.dir()) {
            Ok(files) => files,
            Err(source) => {
                swept.error = Some(SinkError::Io {
                    path: self.dir().to_path_buf(),
                    source,
                });
                return swept;
            }
        };
        for (path, day) in files {
            let expired: Vec<&str> = retention
                .tenants()
                .filter(|(_, days)| day < cutoff(today, *days))
                .map(|(tenant, _)| tenant)
                .collect();
            if expired.is_empty() {
                continue;
            }
            match self.expire_in_file(&path, &expired) {
                Ok(removed) => {
                    for (tenant, n) in removed {
                        swept.add(&tenant, n);
                    }
                }
                Err(source) => {
                    swept.error.get_or_insert(SinkError::Io { path, source });
                }
            }
        }
        swept
    }

    /// Rewrites `path` without the lines of the `expired` tenants, or deletes it when no
    /// line is left; returns the lines removed per tenant.
    fn expire_in_file(
        &self,
        path: &Path,
        expired: &[&str],
    ) -> std::io::Result<BTreeMap<String, u64>> {
        let mut file = match open_locked(path, OpenOptions::new().read(true).append(true)) {
            Ok(file) => file,
            // Gone meanwhile (an erase, another pass): nothing to expire.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
            Err(e) => return Err(e),
        };
        let mut contents = Vec::new();
        file.read_to_end(&mut contents)?;
        let mut kept = Vec::with_capacity(contents.len());
        let mut removed: BTreeMap<String, u64> = BTreeMap::new();
        for line in contents.split_inclusive(|&b| b == b'\n') {
            match line_owner(line) {
                Some((tenant, _)) if expired.contains(&tenant.as_str()) => {
                    *removed.entry(tenant).or_default() += 1;
                }
                _ => kept.extend_from_slice(line),
            }
        }
        if removed.is_empty() {
            return Ok(removed);
        }
        let dir = self.dir();
        if kept.trim_ascii().is_empty() {
            std::fs::remove_file(path)?;
            // An append to this day creates the file again and must sync its entry.
            self.seen
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .entry_synced
                .remove(path);
        } else {
            super::replace_contents(dir, path, &kept, "retention")?;
        }
        File::open(dir)?.sync_all()?;
        // `file` (the old inode) is unlocked when dropped; appends waiting on it reopen.
        drop(file);
        Ok(removed)
    }
}

/// The day files of `dir` (`YYYY-MM-DD.jsonl`) and their days, oldest first.
fn dated_files(dir: &Path) -> std::io::Result<Vec<(PathBuf, Date)>> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let mut files: Vec<(PathBuf, Date)> = std::fs::read_dir(dir)?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter_map(|path| {
            let name = path.file_name()?.to_str()?;
            let day = Date::parse(name.strip_suffix(".jsonl")?, &format).ok()?;
            Some((path, day))
        })
        .collect();
    files.sort_by_key(|(_, day)| *day);
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sinks::sink::Sink;
    use crate::stored_event::{uuid_of, StoredEvent};
    use serde_json::json;
    use std::io::Write;
    use time::macros::date;

    const TODAY: Date = date!(2025 - 03 - 10);

    fn event(tenant: &str, tag: &str, day: &str) -> StoredEvent {
        StoredEvent::for_test(
            tenant,
            &format!("{day}T12:00:00Z"),
            json!({
                "event": "cli_command", "distinct_id": "h:1", "uuid": uuid_of(tag),
                "timestamp": format!("{day}T11:00:00Z"), "properties": {"command": "build"}
            }),
        )
    }

    /// Lines per `(day, tenant)`, unparsable lines under tenant `?`.
    fn census(sink: &LocalSink) -> BTreeMap<(String, String), usize> {
        let mut counts = BTreeMap::new();
        for (path, day) in dated_files(sink.dir()).unwrap() {
            for line in std::fs::read_to_string(&path).unwrap().lines() {
                let tenant = serde_json::from_str::<serde_json::Value>(line)
                    .ok()
                    .and_then(|v| v["tenant"].as_str().map(str::to_owned))
                    .unwrap_or_else(|| "?".into());
                *counts.entry((day.to_string(), tenant)).or_default() += 1;
            }
        }
        counts
    }

    fn key(day: &str, tenant: &str) -> (String, String) {
        (day.to_owned(), tenant.to_owned())
    }

    /// `acme` keeps 7 days, `beta` 1, `gamma` has no retention.
    #[tokio::test]
    async fn drops_exactly_the_lines_of_tenants_past_their_retention() {
        let tmp = tempfile::tempdir().unwrap();
        let sink = LocalSink::new(tmp.path()).unwrap();
        let plan: &[(&str, &str, usize)] = &[
            ("2025-03-10", "acme", 2),
            ("2025-03-10", "beta", 1),
            ("2025-03-10", "gamma", 1),
            // beta's boundary: exactly 1 day old, kept.
            ("2025-03-09", "beta", 1),
            ("2025-03-09", "acme", 1),
            ("2025-03-08", "beta", 2),
            ("2025-03-08", "gamma", 1),
            ("2025-03-08", "acme", 1),
            // acme's boundary: exactly 7 days old, kept.
            ("2025-03-03", "acme", 1),
            ("2025-03-03", "beta", 1),
            // Every line expires: the file goes.
            ("2025-03-02", "acme", 2),
            ("2025-03-02", "beta", 1),
            ("2025-01-01", "gamma", 1),
            ("2025-01-01", "acme", 1),
        ];
        let mut events = Vec::new();
        for (day, tenant, n) in plan {
            for _ in 0..*n {
                events.push(event(tenant, &format!("e{}", events.len()), day));
            }
        }
        sink.deliver(&events).await.unwrap();
        // A line no one can attribute stays.
        let mut old = OpenOptions::new()
            .append(true)
            .open(sink.dir().join("2025-01-01.jsonl"))
            .unwrap();
        old.write_all(b"not json\n").unwrap();
        let before = census(&sink);
        let today_inode = inode(&sink.dir().join("2025-03-10.jsonl"));

        let retention = Retention::new([("acme", 7), ("beta", 1)]);
        let dropped = sink.expire(&retention, TODAY).into_result().unwrap();
        assert_eq!(
            dropped,
            BTreeMap::from([("acme".into(), 3), ("beta".into(), 4)])
        );

        let mut expected = before.clone();
        for gone in [
            key("2025-03-08", "beta"),
            key("2025-03-03", "beta"),
            key("2025-03-02", "acme"),
            key("2025-03-02", "beta"),
            key("2025-01-01", "acme"),
        ] {
            assert!(expected.remove(&gone).is_some(), "{gone:?}");
        }
        assert_eq!(census(&sink), expected);
        assert!(!sink.dir().join("2025-03-02.jsonl").exists());
        // Untouched files are not rewritten; no temporary file is left.
        assert_eq!(inode(&sink.dir().join("2025-03-10.jsonl")), today_inode);
        let names: Vec<String> = std::fs::read_dir(sink.dir())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(names.iter().all(|n| !n.starts_with('.')), "{names:?}");

        // A second pass finds nothing; the day after, both boundary days go.
        assert!(sink
            .expire(&retention, TODAY)
            .into_result()
            .unwrap()
            .is_empty());
        let next = sink.expire(&retention, date!(2025 - 03 - 11));
        assert_eq!(
            next.into_result().unwrap(),
            BTreeMap::from([("acme".into(), 1), ("beta".into(), 1)])
        );
        // No retention at all: nothing is read or dropped.
        assert_eq!(sink.expire(&Retention::default(), TODAY).total(), 0);
    }

    #[tokio::test]
    async fn a_day_deleted_by_retention_is_written_again_by_a_late_event() {
        let tmp = tempfile::tempdir().unwrap();
        let sink = LocalSink::new(tmp.path()).unwrap();
        sink.deliver(&[event("acme", "a1", "2025-01-01")])
            .await
            .unwrap();
        let retention = Retention::new([("acme", 30)]);
        assert_eq!(sink.expire(&retention, TODAY).total(), 1);
        let path = sink.dir().join("2025-01-01.jsonl");
        assert!(!path.exists());
        // A replay of the same event is still known to the sink; a new one is written.
        sink.deliver(&[event("acme", "a2", "2025-01-01")])
            .await
            .unwrap();
        assert_eq!(
            census(&sink),
            BTreeMap::from([(key("2025-01-01", "acme"), 1)])
        );
    }

    #[test]
    fn an_unreadable_directory_is_an_error_not_a_panic() {
        let tmp = tempfile::tempdir().unwrap();
        let sink = LocalSink::new(tmp.path()).unwrap();
        std::fs::remove_dir(sink.dir()).unwrap();
        let swept = sink.expire(&Retention::new([("acme", 1)]), TODAY);
        assert!(
            matches!(swept.error, Some(SinkError::Io { .. })),
            "{swept:?}"
        );
    }

    #[cfg(unix)]
    fn inode(path: &Path) -> u64 {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(path).unwrap().ino()
    }

    #[cfg(not(unix))]
    fn inode(_path: &Path) -> u64 {
        0
    }
}

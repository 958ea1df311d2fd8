//! Starting the configured sinks: which queue consumers exist, and one runner per sink.

use super::runner::{spawn_sink_with, RunnerOptions};
use super::sink::{Sink, SinkError};
use super::{ClickHouseSink, LocalSink, PostHogSink};
use crate::erasures::Erasures;
use crate::metrics::Metrics;
use crate::queue::Queue;
use hush_config::CollectorConfig;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Most events per local write (one append + fsync each).
pub const LOCAL_BATCH: usize = 1000;
/// Longest a partial local batch is held for more events.
pub const LOCAL_WAIT: Duration = Duration::from_millis(100);
/// Longest a partial PostHog batch is held for more events.
pub const POSTHOG_WAIT: Duration = Duration::from_secs(1);

/// The queue consumers for `config`'s sinks, in a fixed order: `local` (unless disabled),
/// `posthog` and `clickhouse` (when configured). Pass them to
/// [`Queue::open`](crate::queue::Queue::open).
pub fn consumer_names(config: &CollectorConfig) -> Vec<&'static str> {
    let mut names = Vec::new();
    if config.local.enabled {
        names.push("local");
    }
    if config.posthog.is_some() {
        names.push("posthog");
    }
    if config.clickhouse.is_some() {
        names.push("clickhouse");
    }
    names
}

/// Starts one runner per configured sink, reading from `queue` (opened with
/// [`consumer_names`]), plus ClickHouse's hourly retention task when `retention_days` is
/// set. Every task stops when `shutdown` turns `true`.
///
/// Nothing here waits for a remote: a ClickHouse that is down only delays its own sink,
/// which creates its schema once the server answers.
///
/// # Errors
/// [`SinkError`] if the local directory cannot be created, a sink cannot be built, or the
/// queue has no consumer for a configured sink.
pub async fn start_all(
    config: &CollectorConfig,
    queue: &Queue,
    metrics: Arc<Metrics>,
    shutdown: watch::Receiver<bool>,
) -> Result<Vec<JoinHandle<()>>, SinkError> {
    let erasures = Arc::new(Erasures::new(&config.data_dir));
    let mut planned: Vec<(Arc<dyn Sink>, usize, Duration)> = Vec::new();
    if config.local.enabled {
        let sink = LocalSink::new(&config.data_dir)?.with_erasures(erasures.clone());
        planned.push((Arc::new(sink), LOCAL_BATCH, LOCAL_WAIT));
    }
    if let Some(posthog) = &config.posthog {
        let sink = PostHogSink::new(posthog)?;
        let batch = sink.batch_size();
        planned.push((Arc::new(sink), batch, POSTHOG_WAIT));
    }
    let mut tasks = Vec::new();
    if let Some(clickhouse) = &config.clickhouse {
        let sink = ClickHouseSink::new(clickhouse)?;
        tasks.extend(sink.spawn_retention(shutdown.clone()));
        let (batch, wait) = (sink.batch_size(), sink.flush_interval());
        planned.push((Arc::new(sink), batch, wait));
    }
    for (sink, batch, wait) in planned {
        let reader = queue.reader(sink.name()).map_err(SinkError::Queue)?;
        let options = RunnerOptions {
            erasures: Some(erasures.clone()),
            ..RunnerOptions::new(batch, wait)
        };
        tasks.push(spawn_sink_with(
            sink,
            reader,
            metrics.clone(),
            shutdown.clone(),
            options,
        ));
    }
    Ok(tasks)
}

//! Starting the configured sinks. Each sink's config section builds its own sink
//! ([`SinkConfig`]); [`configured`](super::configured) is the collector's one list of
//! sections, so on the collector's side adding a sink is its own folder plus its lines in
//! `sinks/mod.rs` (the config crate adds the section; see ARCHITECTURE.md). The queue
//! consumers, the runners and shutdown follow from that list.

use super::retention::Retention;
use super::runner::{spawn_sink_with, RunnerOptions};
use super::sink::{Sink, SinkError};
use crate::erasures::Erasures;
use crate::metrics::Metrics;
use crate::queue::Queue;
use hush_config::CollectorConfig;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// What a sink needs from the collector to build itself.
pub struct SinkContext<'a> {
    /// The collector's data directory.
    pub data_dir: &'a Path,
    /// Erasure tombstones, for sinks that check them themselves.
    pub erasures: &'a Arc<Erasures>,
    /// Turns `true` when the collector stops, for a sink's own background tasks.
    pub shutdown: &'a watch::Receiver<bool>,
    /// The collector's counters, for what a sink's own tasks do (retention).
    pub metrics: &'a Arc<Metrics>,
    /// Each tenant's `retention_days`.
    pub retention: &'a Arc<Retention>,
}

/// A sink ready to run: the sink, how its runner batches, and its own background tasks.
pub struct BuiltSink {
    /// The sink.
    pub sink: Arc<dyn Sink>,
    /// Most events per delivery.
    pub batch: usize,
    /// Longest a partial batch is held for more events.
    pub wait: Duration,
    /// Tasks the sink runs beside its deliveries (retention), stopped by
    /// `SinkContext::shutdown`.
    pub tasks: Vec<JoinHandle<()>>,
}

/// A sink's configuration section, which builds the sink.
pub trait SinkConfig {
    /// The sink's name: its queue consumer, its metrics label (`Sink::name`).
    fn name(&self) -> &'static str;

    /// Builds the sink. Must not wait for a remote: a sink whose destination is down
    /// only delays its own deliveries.
    ///
    /// # Errors
    /// [`SinkError`] if the sink cannot be set up (a directory, an HTTP client, a bad
    /// setting).
    fn build(&self, context: &SinkContext<'_>) -> Result<BuiltSink, SinkError>;
}

/// The queue consumers for `config`'s sinks (their names, in [`configured`](super::configured) order). Pass
/// them to [`Queue::open`](crate::queue::Queue::open).
pub fn consumer_names(config: &CollectorConfig) -> Vec<&'static str> {
    super::configured(config).iter().map(|s| s.name()).collect()
}

/// Builds every configured sink and starts one runner per sink, reading from `queue`
/// (opened with [`consumer_names`]). Every task stops when `shutdown` turns `true`.
///
/// # Errors
/// [`SinkError`] if a sink cannot be built, or the queue has no consumer for it.
pub async fn start_all(
    config: &CollectorConfig,
    queue: &Queue,
    metrics: Arc<Metrics>,
    shutdown: watch::Receiver<bool>,
) -> Result<Vec<JoinHandle<()>>, SinkError> {
    let erasures = Arc::new(Erasures::new(&config.data_dir));
    let retention = Arc::new(Retention::from_tenants(&config.tenants));
    let context = SinkContext {
        data_dir: &config.data_dir,
        erasures: &erasures,
        shutdown: &shutdown,
        metrics: &metrics,
        retention: &retention,
    };
    let mut tasks = Vec::new();
    for section in super::configured(config) {
        let built = section.build(&context)?;
        tasks.extend(built.tasks);
        let reader = queue.reader(built.sink.name()).map_err(SinkError::Queue)?;
        let options = RunnerOptions {
            erasures: Some(erasures.clone()),
            ..RunnerOptions::new(built.batch, built.wait)
        };
        tasks.push(spawn_sink_with(
            built.sink,
            reader,
            metrics.clone(),
            shutdown.clone(),
            options,
        ));
    }
    Ok(tasks)
}

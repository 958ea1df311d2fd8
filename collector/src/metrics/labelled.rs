//! One metric per label set, kept in label order, for the registry to encode.

use prometheus_client::encoding::{EncodeLabelSet, EncodeMetric, MetricEncoder};
use prometheus_client::metrics::{MetricType, TypedMetric};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// One metric per label set: prometheus-client's `Family`, with two differences the collector
/// needs.
///
/// - The series can be read back ([`Labelled::read`]); `Family` only looks one label set up,
///   and [`super::Metrics::sink`] lists a sink's drops by reason.
/// - The series are encoded in label order, so `/metrics` reads the same on every scrape
///   (`Family` keeps a hash map), and the header (`# HELP`, `# TYPE`) is written even while
///   there is no series yet, as `/metrics` always did (`Family` leaves it out).
///
/// Clones share the series: one clone sits in the registry, which encodes it, the other in
/// [`super::Metrics`], which counts into it.
pub(super) struct Labelled<S, M> {
    series: Arc<RwLock<BTreeMap<S, M>>>,
}

impl<S, M> Default for Labelled<S, M> {
    fn default() -> Self {
        Labelled {
            series: Arc::default(),
        }
    }
}

impl<S, M> Clone for Labelled<S, M> {
    fn clone(&self) -> Self {
        Labelled {
            series: Arc::clone(&self.series),
        }
    }
}

impl<S: fmt::Debug, M: fmt::Debug> fmt::Debug for Labelled<S, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.read().iter()).finish()
    }
}

impl<S, M> Labelled<S, M> {
    /// The series, in label order. A panic elsewhere while the lock was held left whole
    /// counts behind (every update is one atomic step), so a poisoned lock is used as it is.
    pub(super) fn read(&self) -> RwLockReadGuard<'_, BTreeMap<S, M>> {
        self.series.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, BTreeMap<S, M>> {
        self.series.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Replaces every series at once (a scrape sees the old set or the new one).
    pub(super) fn replace(&self, series: BTreeMap<S, M>) {
        *self.write() = series;
    }
}

impl<S: Ord, M: Clone + Default> Labelled<S, M> {
    /// The metric of `labels`, created at zero on first use. Metrics are handles (clones
    /// share the value), so what is returned counts into the series.
    pub(super) fn get_or_create(&self, labels: S) -> M {
        if let Some(metric) = self.read().get(&labels) {
            return metric.clone();
        }
        self.write().entry(labels).or_default().clone()
    }
}

impl<S, M> EncodeMetric for Labelled<S, M>
where
    S: EncodeLabelSet,
    M: EncodeMetric + TypedMetric,
{
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), fmt::Error> {
        for (labels, metric) in self.read().iter() {
            metric.encode(encoder.encode_family(labels)?)?;
        }
        Ok(())
    }

    fn metric_type(&self) -> MetricType {
        M::TYPE
    }
}

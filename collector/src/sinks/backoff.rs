//! Exponential backoff with jitter, honouring a server's `Retry-After`.

use std::time::Duration;

/// The longest `Retry-After` we honour; anything longer is capped, so a confused or hostile
/// server cannot park a sink for days.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(600);

/// Exponential backoff: `base`, `2·base`, `4·base`, … up to `max`, each delay with "equal
/// jitter" (half fixed, half random) so that many collectors do not retry in lockstep.
///
/// # Examples
///
/// ```
/// use hush_collector::sinks::Backoff;
/// use std::time::Duration;
///
/// let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(30));
/// let first = backoff.next_delay(None);
/// assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
/// // A server's Retry-After wins over the computed delay.
/// assert_eq!(backoff.next_delay(Some(Duration::from_secs(3))), Duration::from_secs(3));
/// ```
#[derive(Debug, Clone)]
pub struct Backoff {
    base: Duration,
    max: Duration,
    attempt: u32,
}

impl Default for Backoff {
    /// 100 ms doubling up to 30 s.
    fn default() -> Self {
        Backoff::new(Duration::from_millis(100), Duration::from_secs(30))
    }
}

impl Backoff {
    /// A backoff starting at `base` and doubling up to `max` (`max` is raised to `base` if
    /// smaller).
    pub fn new(base: Duration, max: Duration) -> Self {
        Backoff {
            base,
            max: max.max(base),
            attempt: 0,
        }
    }

    /// The delay before the next retry, advancing the attempt counter.
    ///
    /// With `retry_after` (a server's `Retry-After`), that delay is used as given, at least
    /// `base` and at most [`MAX_RETRY_AFTER`]; otherwise the exponential delay for this
    /// attempt, jittered into `[d/2, d]`.
    pub fn next_delay(&mut self, retry_after: Option<Duration>) -> Duration {
        let exp = self
            .base
            .saturating_mul(1u32 << self.attempt.min(20))
            .min(self.max);
        self.attempt = self.attempt.saturating_add(1);
        if let Some(after) = retry_after {
            return after.clamp(self.base, MAX_RETRY_AFTER.max(self.base));
        }
        let half = exp / 2;
        half + jitter(exp - half)
    }

    /// Starts again from `base` (after a success).
    pub fn reset(&mut self) {
        self.attempt = 0;
    }

    /// How many delays have been handed out since the last reset.
    pub fn attempts(&self) -> u32 {
        self.attempt
    }
}

/// A uniformly random duration in `[0, upto]`.
fn jitter(upto: Duration) -> Duration {
    let nanos = upto.as_nanos().min(u128::from(u64::MAX)) as u64;
    if nanos == 0 {
        return Duration::ZERO;
    }
    let mut buf = [0u8; 8];
    // Jitter is not security-relevant: if the OS source fails, fall back to no jitter.
    if getrandom::getrandom(&mut buf).is_err() {
        return upto;
    }
    Duration::from_nanos(u64::from_le_bytes(buf) % (nanos + 1))
}

/// Parses an HTTP `Retry-After` header given in seconds (the HTTP-date form is not used by
/// PostHog and is ignored).
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_exponentially_within_jitter_and_cap() {
        let base = Duration::from_millis(100);
        let max = Duration::from_secs(30);
        let mut backoff = Backoff::new(base, max);
        for attempt in 0..30u32 {
            let exp = base.saturating_mul(1 << attempt.min(20)).min(max);
            let delay = backoff.next_delay(None);
            assert!(
                delay >= exp / 2 && delay <= exp,
                "attempt {attempt}: {delay:?}"
            );
        }
        backoff.reset();
        assert!(backoff.next_delay(None) <= base);
    }

    #[test]
    fn retry_after_is_honoured_and_bounded() {
        let mut backoff = Backoff::default();
        assert_eq!(
            backoff.next_delay(Some(Duration::from_secs(7))),
            Duration::from_secs(7)
        );
        assert_eq!(
            backoff.next_delay(Some(Duration::ZERO)),
            Duration::from_millis(100)
        );
        assert_eq!(
            backoff.next_delay(Some(Duration::from_secs(1 << 40))),
            MAX_RETRY_AFTER
        );
    }

    #[test]
    fn parses_retry_after_seconds_only() {
        assert_eq!(parse_retry_after(" 12 "), Some(Duration::from_secs(12)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(parse_retry_after("-1"), None);
    }
}

//! A per-tenant token bucket, counted in events.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// Per-tenant rate limiter. Generous by default so normal clients never meet it.
pub struct RateLimiter {
    rate: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl RateLimiter {
    /// `rate` events per second with bursts of up to `burst` events.
    pub fn new(rate: u64, burst: u64) -> Self {
        RateLimiter {
            rate: rate.max(1) as f64,
            burst: burst.max(1) as f64,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes `n` tokens for `tenant`, or returns the seconds until they would be there.
    pub fn take(&self, tenant: &str, n: u64) -> Result<(), u64> {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let (tokens, last) = buckets
            .entry(tenant.to_string())
            .or_insert((self.burst, now));
        *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * self.rate).min(self.burst);
        *last = now;
        let n = n as f64;
        if n <= *tokens {
            *tokens -= n;
            Ok(())
        } else {
            let missing = (n - *tokens).min(self.burst);
            Err((missing / self.rate).ceil().max(1.0) as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_past_the_burst_and_says_when() {
        let limiter = RateLimiter::new(10, 20);
        assert!(limiter.take("a", 20).is_ok());
        assert_eq!(limiter.take("a", 10), Err(1));
        assert!(limiter.take("b", 5).is_ok(), "buckets are per tenant");
    }
}

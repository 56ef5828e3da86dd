//! When a failed request is tried again, and after how long.

use rand::Rng;
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use std::time::Duration;

/// Jittered exponential backoff: before retry `n` (0-based) wait a random
/// duration in `[d/2, d]` with `d = min(max, base · 2ⁿ)` ("equal jitter": never
/// a zero wait, and concurrent clients do not retry in lock step).
#[derive(Clone, Debug)]
pub struct Backoff {
    pub base: Duration,
    pub max: Duration,
}

impl Backoff {
    pub fn delay(&self, retry: u32) -> Duration {
        let factor = 1u32.checked_shl(retry.min(20)).unwrap_or(u32::MAX);
        let cap = self.base.saturating_mul(factor).min(self.max);
        let half = cap / 2;
        let jitter = rand::rng().random_range(0..=half.as_millis().min(u64::MAX as u128) as u64);
        half + Duration::from_millis(jitter)
    }
}

/// Statuses worth retrying: 429 (rate limited) and every 5xx.
pub fn is_retryable(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error()
}

/// `Retry-After` in seconds (Gamma and Cloudflare send seconds; an HTTP date
/// is not honoured and falls back to the backoff).
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    let seconds: f64 = value.parse().ok()?;
    (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds.min(3600.0)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn backoff_grows_jittered_and_capped() {
        let b = Backoff {
            base: Duration::from_millis(100),
            max: Duration::from_secs(1),
        };
        for _ in 0..50 {
            let d0 = b.delay(0);
            assert!(d0 >= Duration::from_millis(50) && d0 <= Duration::from_millis(100));
            let d3 = b.delay(3);
            assert!(d3 >= Duration::from_millis(400) && d3 <= Duration::from_millis(800));
            let d30 = b.delay(30);
            assert!(d30 >= Duration::from_millis(500) && d30 <= Duration::from_secs(1));
        }
    }

    #[test]
    fn which_statuses_are_retried() {
        let check = |code: u16| is_retryable(StatusCode::from_u16(code).unwrap());
        assert!(check(429) && check(500) && check(502) && check(503));
        assert!(!check(400) && !check(404) && !check(403) && !check(200));
    }

    #[test]
    fn retry_after_reads_seconds() {
        let with = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(RETRY_AFTER, HeaderValue::from_str(v).unwrap());
            retry_after(&h)
        };
        assert_eq!(with("1"), Some(Duration::from_secs(1)));
        assert_eq!(with(" 2.5 "), Some(Duration::from_millis(2500)));
        assert_eq!(with("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(with("-3"), None);
        assert_eq!(retry_after(&HeaderMap::new()), None);
    }
}

//! When to try a vendor again: `Retry-After` (seconds or an HTTP date) when the vendor says, else
//! exponential backoff with full jitter, capped.

use std::time::{Duration, SystemTime};

/// How long a `Retry-After` value asks to wait, from `now`; a date in the past means no wait.
/// Values that are neither form are ignored (the caller falls back to backoff).
pub fn retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// The wait before retry number `attempt` (1 for the first retry): a uniformly drawn point in
/// `[0, min(cap, base × 2^(attempt−1))]`, with `unit` in `[0, 1)` supplying the randomness.
pub fn backoff(attempt: u32, base: Duration, cap: Duration, unit: f64) -> Duration {
    let exp = base.saturating_mul(1u32.checked_shl(attempt.saturating_sub(1).min(31)).unwrap_or(u32::MAX));
    let ceiling = exp.min(cap);
    ceiling.mul_f64(unit.clamp(0.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_takes_seconds_or_an_http_date() {
        let now = httpdate::parse_http_date("Thu, 26 Nov 2026 20:00:00 GMT").unwrap();
        assert_eq!(retry_after("120", now), Some(Duration::from_secs(120)));
        assert_eq!(retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            retry_after("Thu, 26 Nov 2026 20:00:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(retry_after("Thu, 26 Nov 2026 19:59:00 GMT", now), Some(Duration::ZERO));
        assert_eq!(retry_after("soon", now), None);
        assert_eq!(retry_after("-5", now), None);
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_and_jitters_below_it() {
        let base = Duration::from_millis(500);
        let cap = Duration::from_secs(30);
        let top = |attempt| backoff(attempt, base, cap, 0.999_999);
        assert!(top(1) <= Duration::from_millis(500) && top(1) > Duration::from_millis(499));
        assert!(top(2) > Duration::from_millis(999) && top(2) <= Duration::from_secs(1));
        assert!(top(4) > Duration::from_millis(3_999) && top(4) <= Duration::from_secs(4));
        assert!(top(10) <= cap && top(10) > Duration::from_millis(29_999), "capped");
        assert!(top(200) <= cap, "no overflow on long outages");
        assert_eq!(backoff(3, base, cap, 0.0), Duration::ZERO);
        assert_eq!(backoff(3, base, cap, 0.5), Duration::from_secs(1));
    }
}

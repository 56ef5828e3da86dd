//! The circuit breaker of dual writes: after PostgreSQL is found unavailable,
//! it is left alone for a while (`PRESCIENT_PG_RETRY_AFTER_MS`), so neither a
//! cycle nor the write-behind task waits on a dead connection per write. The
//! journal keeps every write meanwhile.

use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, Default)]
pub struct Breaker {
    pause: Duration,
    open_until: Mutex<Option<Instant>>,
}

impl Breaker {
    /// Rest `pause` after each failure (zero: never rest).
    pub fn new(pause: Duration) -> Self {
        Breaker {
            pause,
            open_until: Mutex::new(None),
        }
    }

    pub fn pause(&self) -> Duration {
        self.pause
    }

    /// Whether PostgreSQL is being left alone now.
    pub fn resting(&self) -> bool {
        self.remaining().is_some()
    }

    /// How long the rest still lasts.
    pub fn remaining(&self) -> Option<Duration> {
        let until = (*self.open_until.lock().unwrap_or_else(|p| p.into_inner()))?;
        until.checked_duration_since(Instant::now())
    }

    /// PostgreSQL did not answer: rest.
    pub fn trip(&self) {
        if !self.pause.is_zero() {
            *self.open_until.lock().unwrap_or_else(|p| p.into_inner()) =
                Some(Instant::now() + self.pause);
        }
    }

    /// PostgreSQL answered.
    pub fn reset(&self) {
        *self.open_until.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trip_rests_for_the_pause_and_a_reset_ends_it() {
        let b = Breaker::new(Duration::from_secs(60));
        assert!(!b.resting());
        b.trip();
        assert!(b.resting());
        b.reset();
        assert!(!b.resting());
        let never = Breaker::new(Duration::ZERO);
        never.trip();
        assert!(!never.resting());
    }
}

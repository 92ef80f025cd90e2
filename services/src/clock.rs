//! The services' clock. Production reads the system time; tests use a manual clock and
//! advance it instead of sleeping.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Now, in unix milliseconds (the storage time format). Cheap to clone; clones of a manual
/// clock share its time.
#[derive(Clone, Debug, Default)]
pub struct Clock(Option<Arc<AtomicI64>>);

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Clock(None)
    }

    /// A clock that starts at the system's now and moves only when advanced.
    pub fn manual() -> Self {
        Clock(Some(Arc::new(AtomicI64::new(chrono::Utc::now().timestamp_millis()))))
    }

    /// Now, in unix milliseconds.
    pub fn now_ms(&self) -> i64 {
        match &self.0 {
            Some(t) => t.load(Ordering::SeqCst),
            None => chrono::Utc::now().timestamp_millis(),
        }
    }

    /// Now, in unix seconds.
    pub fn now_secs(&self) -> u64 {
        u64::try_from(self.now_ms() / 1000).unwrap_or(0)
    }

    /// Now, as a UTC time.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        crate::store::to_time(self.now_ms())
    }

    /// Moves a manual clock forward; false (and no change) for the system clock.
    pub fn advance(&self, by: Duration) -> bool {
        match &self.0 {
            Some(t) => {
                t.fetch_add(ms(by), Ordering::SeqCst);
                true
            }
            None => false,
        }
    }
}

/// A duration in milliseconds, saturating far in the future.
pub fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 4)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clocks_move_only_when_advanced() {
        let c = Clock::manual();
        let t = c.now_ms();
        let shared = c.clone();
        assert!(shared.advance(Duration::from_secs(2)));
        assert_eq!(c.now_ms(), t + 2000);
        assert!(!Clock::system().advance(Duration::from_secs(1)));
    }
}

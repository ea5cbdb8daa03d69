//! The time Golden stamps on what it stores and measures ages against. In service it is the
//! system clock; a test hands the service a [`ManualClock`] instead and moves it forward, so
//! no test sleeps for time to pass.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, NaiveDateTime, SubsecRound, Utc};

/// Where the service reads the time. Cloning shares the source.
#[derive(Clone, Default)]
pub struct Clock {
    manual: Option<Arc<Mutex<DateTime<Utc>>>>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self::default()
    }

    /// The current UTC time.
    pub fn now(&self) -> DateTime<Utc> {
        match &self.manual {
            None => Utc::now(),
            Some(at) => *at.lock().unwrap_or_else(|p| p.into_inner()),
        }
    }

    /// The current UTC time at the microsecond precision both backends store.
    pub fn now_naive(&self) -> NaiveDateTime {
        self.now().naive_utc().trunc_subsecs(6)
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.manual {
            None => f.write_str("Clock::system"),
            Some(_) => write!(f, "Clock::manual({})", self.now()),
        }
    }
}

/// A clock that stands still until it is moved: for tests. Its [`clock`](Self::clock) goes
/// into the settings of the service under test; the test keeps this handle to move it.
#[derive(Clone)]
pub struct ManualClock {
    at: Arc<Mutex<DateTime<Utc>>>,
}

impl ManualClock {
    /// A clock standing at `start`.
    pub fn starting_at(start: DateTime<Utc>) -> Self {
        Self {
            at: Arc::new(Mutex::new(start)),
        }
    }

    /// The clock to give the service.
    pub fn clock(&self) -> Clock {
        Clock {
            manual: Some(self.at.clone()),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        *self.at.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: std::time::Duration) {
        let by = chrono::Duration::from_std(by).unwrap_or(chrono::Duration::MAX);
        let mut at = self.at.lock().unwrap_or_else(|p| p.into_inner());
        *at = at.checked_add_signed(by).unwrap_or(*at);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_advanced() {
        let start = DateTime::parse_from_rfc3339("2026-01-31T09:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let manual = ManualClock::starting_at(start);
        let clock = manual.clock();
        assert_eq!(clock.now(), start);
        assert_eq!(clock.clone().now(), start);
        manual.advance(std::time::Duration::from_secs(90));
        assert_eq!(clock.now(), start + chrono::Duration::seconds(90));
        assert_eq!(
            clock.now_naive(),
            (start + chrono::Duration::seconds(90)).naive_utc()
        );
    }

    #[test]
    fn the_system_clock_follows_the_system() {
        let before = Utc::now();
        let now = Clock::system().now();
        assert!(now >= before && now <= Utc::now());
    }
}

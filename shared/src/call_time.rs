//! How long this process has waited on AWS calls. The adapters' instrumentation adds each call
//! as it ends ([`crate::adapters`] times every AWS call; the HTTP probes are not counted); a record
//! takes a [`Mark`] when its invocation starts and reads what was added since. One tally per
//! process: `lambda_runtime::run` hands a process one invocation at a time (under
//! `run_concurrent` the invocations' calls would mix).

use std::sync::Mutex;
use std::time::Duration;

use serde::{Serialize, Serializer};

static TALLY: Mutex<CallTime> = Mutex::new(CallTime {
    calls: 0,
    total: Duration::ZERO,
    round_trips: Duration::ZERO,
});

/// Calls that ended, and the time they took, summed over the calls: calls that ran together (the
/// pre-traffic probes) can add up to more than the time that passed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CallTime {
    pub calls: u32,
    /// From each call's start to its result: building and signing the request, every attempt,
    /// the backoff between attempts, reading the answer.
    #[serde(rename = "ms", serialize_with = "millis")]
    pub total: Duration,
    /// Of which waiting on the wire: from each attempt's request being handed to the HTTP client
    /// to its answer's head arriving (the connection's set-up, when there was one, included).
    #[serde(rename = "round_trip_ms", serialize_with = "millis")]
    pub round_trips: Duration,
}

impl CallTime {
    /// What happened after `earlier`, a reading of the same tally.
    pub fn since(self, earlier: CallTime) -> CallTime {
        CallTime {
            calls: self.calls.saturating_sub(earlier.calls),
            total: self.total.saturating_sub(earlier.total),
            round_trips: self.round_trips.saturating_sub(earlier.round_trips),
        }
    }
}

/// Milliseconds to the microsecond: sub-millisecond calls still show.
fn millis<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((d.as_secs_f64() * 1e6).round() / 1e3)
}

/// Adds one call that ended.
pub fn add(total: Duration, round_trips: Duration) {
    let mut tally = TALLY.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    tally.calls = tally.calls.saturating_add(1);
    tally.total = tally.total.saturating_add(total);
    tally.round_trips = tally.round_trips.saturating_add(round_trips);
}

/// The tally so far; [`CallTime::since`] an earlier reading gives what happened in between.
pub fn so_far() -> CallTime {
    *TALLY.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A reading of the tally, to tell what was added after it.
#[derive(Debug, Clone, Copy)]
pub struct Mark(CallTime);

impl Mark {
    pub fn now() -> Mark {
        Mark(so_far())
    }

    /// The calls that ended since the mark.
    pub fn since(&self) -> CallTime {
        so_far().since(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn a_difference_is_what_happened_in_between_and_never_negative() {
        let earlier = CallTime {
            calls: 2,
            total: ms(30),
            round_trips: ms(20),
        };
        let later = CallTime {
            calls: 5,
            total: ms(75),
            round_trips: ms(50),
        };
        assert_eq!(
            later.since(earlier),
            CallTime {
                calls: 3,
                total: ms(45),
                round_trips: ms(30)
            }
        );
        assert_eq!(earlier.since(later), CallTime::default());
    }

    #[test]
    fn it_shows_in_a_record_as_milliseconds_to_the_microsecond() {
        let t = CallTime {
            calls: 3,
            total: Duration::from_micros(12_345_678),
            round_trips: Duration::from_nanos(987_654_321),
        };
        assert_eq!(
            serde_json::to_value(t).unwrap(),
            serde_json::json!({"calls": 3, "ms": 12345.678, "round_trip_ms": 987.654})
        );
    }

    #[test]
    fn calls_added_show_in_the_tally() {
        // Other tests may add calls at the same time: only growth by at least this much is sure.
        let mark = Mark::now();
        add(ms(7), ms(5));
        let grown = mark.since();
        assert!(
            grown.calls >= 1 && grown.total >= ms(7) && grown.round_trips >= ms(5),
            "{grown:?}"
        );
    }
}

//! Walking time, the unit every stage counts in.
//!
//! ```
//! use childcircle::time::{minutes_to_time, time_to_minutes, UNREACHED};
//! assert_eq!(minutes_to_time(15.0), 9000); // deciseconds
//! assert_eq!(time_to_minutes(9000), 15.0);
//! assert!(minutes_to_time(1e12) < UNREACHED);
//! ```

/// Walking time in deciseconds. Integer times make the bucket queue exact and
/// the results identical whatever the order of work.
pub type Time = u32;

/// "Not reached".
pub const UNREACHED: Time = Time::MAX;

/// Converts minutes to [`Time`].
pub fn minutes_to_time(minutes: f64) -> Time {
    (minutes * 600.0)
        .round()
        .clamp(0.0, f64::from(UNREACHED - 1)) as Time
}

/// Converts [`Time`] to minutes.
pub fn time_to_minutes(t: Time) -> f64 {
    f64::from(t) / 600.0
}

//! What one request may ask for, and how long a client may take. Every limit
//! is checked before any search runs, so an oversized request costs parsing
//! only, never a worker. Also how many what-if scenarios a server keeps
//! ([`ScenarioLimits`]).

use std::time::Duration;

/// The service's limits. [`Limits::default`] is what `childcircle serve` uses.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest request body, bytes (larger → 413).
    pub max_body_bytes: usize,
    /// Most locations in one request (Valhalla 150, ORS 3004).
    pub max_locations: usize,
    /// Most contours (Valhalla 152) or ranges (ORS 3004) in one request.
    pub max_contours: usize,
    /// Longest time contour, minutes (Valhalla 151, ORS 3004).
    pub max_time_min: f64,
    /// Longest distance contour, km (Valhalla 166, ORS 3004).
    pub max_distance_km: f64,
    /// Time a client has to send its request head and body (slower → 408 or
    /// the connection is closed); no worker is held meanwhile.
    pub read_timeout: Duration,
    /// Longest wait for a place in the worker queue before 503: short, so
    /// that under overload a request is refused at once rather than queued
    /// for seconds (admission control; the latency of the requests admitted
    /// stays that of the queue below).
    pub queue_timeout: Duration,
    /// Requests waiting for or running on the worker pool, per worker.
    pub queue_per_worker: usize,
    /// Open connections at once; more wait in the kernel's accept queue.
    pub max_connections: usize,
    /// Time in-flight requests get to finish after SIGTERM.
    pub drain_timeout: Duration,
    /// Most communities listed per feature in the childcircle extension.
    pub max_listed_communities: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 1 << 20,
            max_locations: 20,
            max_contours: 10,
            max_time_min: 120.0,
            max_distance_km: 20.0,
            read_timeout: Duration::from_secs(10),
            queue_timeout: Duration::from_millis(100),
            queue_per_worker: 8,
            max_connections: 1024,
            drain_timeout: Duration::from_secs(30),
            max_listed_communities: 200,
        }
    }
}

/// How many scenarios a server keeps, and for how long.
#[derive(Debug, Clone)]
pub struct ScenarioLimits {
    /// Scenarios kept at once (each holds about `nodes × categories × 5`
    /// bytes beyond the shared base: [`Scenario::memory_bytes`](childcircle::scenario::Scenario::memory_bytes)).
    pub max_scenarios: usize,
    /// A scenario not used for this long is dropped.
    pub idle: Duration,
    /// Communities listed per joined/left list in a response.
    pub max_listed: usize,
}

impl Default for ScenarioLimits {
    fn default() -> Self {
        ScenarioLimits {
            max_scenarios: 32,
            idle: Duration::from_secs(2 * 3600),
            max_listed: 200,
        }
    }
}

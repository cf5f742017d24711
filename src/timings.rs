//! Wall time and memory per phase of a run, for `--timings` and `summary.json`.
//!
//! A [`PhaseClock`] times phases back to back: each [`PhaseClock::mark`] closes the phase that ran since the
//! previous mark, so no time falls between two rows and the rows add up to the run's wall time.

use std::time::Instant;

/// Wall time and memory of one phase.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PhaseTiming {
    /// What ran: a stage of the analysis (`ingest`, `graph`, …) or a file written (`map.png`).
    pub phase: String,
    /// Wall time of the phase.
    pub seconds: f64,
    /// Peak resident memory of the process so far, MiB (Linux only).
    pub peak_rss_mib: Option<f64>,
    /// Items processed (blobs, nodes, searches, bytes written, ...), to derive throughput.
    pub items: u64,
    /// What `items` counts.
    pub unit: &'static str,
    /// Work done side by side within the phase, each part with its own wall time (they overlap, so
    /// they add up to more than the phase); empty for a phase done in one piece.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<PartTiming>,
}

/// Wall time of one part of a phase done side by side with others ([`PhaseTiming::parts`]).
#[derive(Debug, Clone, serde::Serialize)]
pub struct PartTiming {
    /// What ran: a file made (`map.png`) or a group of files (`QGIS styles and project`).
    pub phase: String,
    /// Wall time of the part, from its start to its end.
    pub seconds: f64,
    /// Items processed (bytes written, ...).
    pub items: u64,
    /// What `items` counts.
    pub unit: &'static str,
}

/// Times phases back to back.
///
/// ```
/// let mut clock = childcircle::timings::PhaseClock::start();
/// let squares: u64 = (0..1000u64).map(|i| i * i).sum();
/// clock.mark("squares", 1000, "numbers");
/// clock.mark("nothing", 0, "items");
/// let rows = clock.into_timings();
/// assert_eq!(squares, 332_833_500);
/// assert_eq!(rows.len(), 2);
/// assert_eq!(rows[0].phase, "squares");
/// assert!(rows.iter().all(|r| r.seconds >= 0.0));
/// ```
#[derive(Debug)]
pub struct PhaseClock {
    last: Instant,
    timings: Vec<PhaseTiming>,
}

impl PhaseClock {
    /// A clock whose first phase starts now.
    pub fn start() -> Self {
        PhaseClock {
            last: Instant::now(),
            timings: Vec::new(),
        }
    }

    /// Closes the phase that ran since the previous mark (or since the start) under `phase`.
    pub fn mark(&mut self, phase: impl Into<String>, items: u64, unit: &'static str) {
        self.mark_parts(phase, items, unit, Vec::new());
    }

    /// [`mark`](Self::mark) for a phase done in `parts` side by side.
    pub fn mark_parts(
        &mut self,
        phase: impl Into<String>,
        items: u64,
        unit: &'static str,
        parts: Vec<PartTiming>,
    ) {
        let now = Instant::now();
        self.timings.push(PhaseTiming {
            phase: phase.into(),
            seconds: now.duration_since(self.last).as_secs_f64(),
            peak_rss_mib: peak_rss_mib(),
            items,
            unit,
            parts,
        });
        self.last = now;
    }

    /// The phases closed so far.
    pub fn timings(&self) -> &[PhaseTiming] {
        &self.timings
    }

    /// The phases closed so far, in order.
    pub fn into_timings(self) -> Vec<PhaseTiming> {
        self.timings
    }
}

/// Peak resident set size of this process, from `/proc/self/status` (Linux).
pub fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

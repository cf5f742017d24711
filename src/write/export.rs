//! `childcircle export-graph`: the exact walking graph and facility nodes as
//! CSV, so other tools (scipy, networkx, pandana) can run the same tasks on the
//! same graph, plus our own timings and distances for those tasks:
//!
//! - **task A**: every node's distance to the nearest facility of each category,
//!   capped at `cap_m` (one multi-source search per category, in parallel);
//! - **task B**: the `cap_m` reach of each facility (one bounded search each).
//!
//! Distances are walked metres: the graph is weighted with a 1 m/s profile
//! without the steps penalty, so a decisecond is a decimetre.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;

use crate::error::Result;
use crate::network::graph::Graph;
use crate::places::Facility;
use crate::profile::Profile;
use crate::search::{multi_source_times_reusing, with_thread_state, SearchState, Seed};
use crate::time::{Time, UNREACHED};
use crate::write::commit::OutputSet;

/// Timed runs of each task; the best counts.
const RUNS: usize = 5;

/// Our figures for the two comparison tasks (best of `RUNS` (5)).
#[derive(Debug, Clone, serde::Serialize)]
pub struct TaskTimings {
    /// Nodes of the walking graph.
    pub nodes: usize,
    /// Edges of the walking graph.
    pub edges: usize,
    /// Distinct facility nodes (the seeds of task B).
    pub facilities: usize,
    /// Facility categories (searches of task A).
    pub categories: usize,
    /// Threads the tasks ran on.
    pub threads: usize,
    /// The distance cap of both tasks, metres.
    pub cap_m: f64,
    /// Wall time of task A (best run), seconds.
    pub task_a_seconds: f64,
    /// Wall time of task B (best run), seconds.
    pub task_b_seconds: f64,
    /// Nodes settled in task B, summed over its searches.
    pub task_b_nodes_reached: u64,
    /// Arcs relaxed in task A (counted in a separate, untimed run).
    pub task_a_arcs_relaxed: u64,
    /// Task A's time per relaxed arc and thread, nanoseconds (wall time × threads / arcs).
    pub task_a_ns_per_arc: f64,
}

/// Each facility as graph nodes: the nearer end of each access edge.
pub fn facility_nodes(graph: &Graph, facilities: &[Facility]) -> Vec<(u32, usize)> {
    let mut out: Vec<(u32, usize)> = facilities
        .iter()
        .flat_map(|f| {
            f.access.iter().map(move |a| {
                let e = graph.edges()[a.pos.edge as usize];
                let node = if a.pos.offset_m * 2.0 <= e.length_m {
                    e.u
                } else {
                    e.v
                };
                (node, f.category)
            })
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Runs tasks A and B; returns timings and task A's distances (decimetres).
pub fn run_tasks(
    graph: &Graph,
    nodes: &[(u32, usize)],
    categories: usize,
    cap_m: f64,
) -> (TaskTimings, Vec<Vec<Time>>) {
    let limit = (cap_m * 10.0).round() as Time;
    let seeds: Vec<Vec<Seed>> = (0..categories)
        .map(|c| {
            nodes
                .iter()
                .filter(|n| n.1 == c)
                .map(|n| Seed { node: n.0, time: 0 })
                .collect()
        })
        .collect();
    // Best of a few runs, as the comparison script does for the other tools.
    let (mut task_a_seconds, mut a) = (f64::MAX, Vec::new());
    for _ in 0..RUNS {
        let t = Instant::now();
        a = seeds
            .par_iter()
            .map(|s| {
                with_thread_state(graph.node_count(), |state| {
                    multi_source_times_reusing(state, graph, s, limit)
                })
            })
            .collect();
        task_a_seconds = task_a_seconds.min(t.elapsed().as_secs_f64());
    }
    // Arcs relaxed in task A, counted in a separate (untimed) run.
    let mut state = SearchState::new(graph.node_count());
    for s in &seeds {
        state.run(graph, s, limit);
    }
    let relaxed = state.arcs_relaxed();
    let mut distinct: Vec<u32> = nodes.iter().map(|n| n.0).collect();
    distinct.dedup();
    let (mut task_b_seconds, mut reached) = (f64::MAX, 0);
    let share = distinct.len().div_ceil(rayon::current_num_threads()).max(1);
    for _ in 0..RUNS {
        let t = Instant::now();
        reached = distinct
            .par_chunks(share)
            .map(|chunk| {
                with_thread_state(graph.node_count(), |state| {
                    chunk
                        .iter()
                        .map(|&n| {
                            state.run(graph, &[Seed { node: n, time: 0 }], limit);
                            state.settled().len() as u64
                        })
                        .sum::<u64>()
                })
            })
            .sum();
        task_b_seconds = task_b_seconds.min(t.elapsed().as_secs_f64());
    }
    let timings = TaskTimings {
        nodes: graph.node_count(),
        edges: graph.edges().len(),
        facilities: distinct.len(),
        categories,
        threads: rayon::current_num_threads(),
        cap_m,
        task_a_seconds,
        task_b_seconds,
        task_b_nodes_reached: reached,
        task_a_arcs_relaxed: relaxed,
        task_a_ns_per_arc: task_a_seconds * 1e9 * rayon::current_num_threads() as f64
            / relaxed.max(1) as f64,
    };
    (timings, a)
}

/// The profile the comparison uses: 1 m/s everywhere and no crossing model,
/// so times are distances.
pub fn distance_profile(profile: &Profile) -> Profile {
    Profile {
        walking_speed_mps: 1.0,
        steps_speed_factor: 1.0,
        steps_allowed: true,
        // Plain walking distances: other tools know no crossing delays.
        crossings: crate::profile::CrossingRules::default(),
        ..profile.clone()
    }
}

/// Writes `nodes.csv`, `edges.csv`, `facilities.csv`, `distances_a.csv` and
/// `childcircle_tasks.json` into `dir`.
pub fn export_graph(
    graph: &Graph,
    facilities: &[Facility],
    profile: &Profile,
    cap_m: f64,
    dir: &Path,
) -> Result<(TaskTimings, Vec<PathBuf>)> {
    let nodes = facility_nodes(graph, facilities);
    let (timings, a) = run_tasks(graph, &nodes, profile.categories.len(), cap_m);
    let mut set = OutputSet::new(dir)?;
    let mut s = String::from("id,lon,lat\n");
    for n in 0..graph.node_count() as u32 {
        let p = graph.lonlat(n);
        let _ = writeln!(s, "{n},{:.7},{:.7}", p[0], p[1]);
    }
    set.write("nodes.csv", s.as_bytes())?;
    let mut s = String::from("u,v,length_m\n");
    // The exact weights our searches use (whole decimetres under the
    // distance profile), so every tool walks the same graph.
    for (i, e) in graph.edges().iter().enumerate() {
        let dm = graph.edge_time(i as u32);
        let _ = writeln!(s, "{},{},{:.1}", e.u, e.v, f64::from(dm) / 10.0);
    }
    set.write("edges.csv", s.as_bytes())?;
    let mut s = String::from("node,category\n");
    for (n, c) in &nodes {
        let _ = writeln!(s, "{n},{}", profile.categories[*c].id);
    }
    set.write("facilities.csv", s.as_bytes())?;
    let mut s = String::from("node,category,distance_m\n");
    for (c, times) in a.iter().enumerate() {
        for (n, &t) in times.iter().enumerate() {
            if t != UNREACHED {
                let _ = writeln!(
                    s,
                    "{n},{},{:.1}",
                    profile.categories[c].id,
                    f64::from(t) / 10.0
                );
            }
        }
    }
    set.write("distances_a.csv", s.as_bytes())?;
    set.write(
        "childcircle_tasks.json",
        &serde_json::to_vec_pretty(&timings).expect("serializes"),
    )?;
    Ok((timings, set.commit()?))
}

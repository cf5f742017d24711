//! Stage 4: shortest walking times.
//!
//! One search core serves both questions the engine asks:
//! - **multi-source**: every node's time to the nearest facility of a category
//!   ([`multi_source_times`]), one search per category, categories in parallel;
//! - **bounded single-source**: everything a facility reaches within a limit,
//!   for isochrones and per-facility statistics, facilities in parallel, each
//!   thread reusing one [`SearchState`].
//!
//! The queue is a Dial bucket queue over integer deciseconds: a search bounded
//! at `limit` has `limit + 1` buckets, so every push and pop is O(1) and the
//! result is exactly Dijkstra's. A [`SearchState`] is reset in O(1) by bumping a
//! generation counter instead of clearing its arrays (the fast_paths trick).

use crate::graph::{Graph, Time, UNREACHED};

/// A search start: a node and the time already spent reaching it (from a
/// facility's door to the network, along part of an edge, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Seed {
    pub node: u32,
    pub time: Time,
}

/// Reusable per-thread search memory.
#[derive(Debug, Clone)]
pub struct SearchState {
    time: Vec<Time>,
    stamp: Vec<u32>,
    generation: u32,
    buckets: Vec<Vec<u32>>,
    settled: Vec<u32>,
    relaxed: u64,
}

impl SearchState {
    /// Memory for searches on a graph of `nodes` nodes.
    pub fn new(nodes: usize) -> Self {
        SearchState {
            time: vec![UNREACHED; nodes],
            stamp: vec![0; nodes],
            generation: 0,
            buckets: Vec::new(),
            settled: Vec::new(),
            relaxed: 0,
        }
    }

    /// The time of `node` in the last search, or [`UNREACHED`].
    #[inline]
    pub fn time(&self, node: u32) -> Time {
        if self.stamp[node as usize] == self.generation {
            self.time[node as usize]
        } else {
            UNREACHED
        }
    }

    /// The nodes the last search settled, in order of time.
    pub fn settled(&self) -> &[u32] {
        &self.settled
    }

    /// Arcs relaxed by all searches run with this state (for ns-per-arc figures).
    pub fn arcs_relaxed(&self) -> u64 {
        self.relaxed
    }

    fn reset(&mut self, limit: Time) {
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            // Every 2^32 searches, really clear.
            self.stamp.iter_mut().for_each(|s| *s = 0);
            self.generation = 1;
        }
        self.settled.clear();
        let buckets = limit as usize + 1;
        if self.buckets.len() < buckets {
            self.buckets.resize_with(buckets, Vec::new);
        }
    }

    #[inline]
    fn improve(&mut self, node: u32, t: Time) -> bool {
        let i = node as usize;
        if self.stamp[i] != self.generation || t < self.time[i] {
            self.stamp[i] = self.generation;
            self.time[i] = t;
            true
        } else {
            false
        }
    }

    /// Runs a search from `seeds` that settles every node within `limit`.
    pub fn run(&mut self, graph: &Graph, seeds: &[Seed], limit: Time) {
        self.reset(limit);
        let mut pending = 0usize;
        for s in seeds {
            if s.time <= limit && self.improve(s.node, s.time) {
                self.buckets[s.time as usize].push(s.node);
                pending += 1;
            }
        }
        let mut relaxed = 0u64;
        let mut t = 0usize;
        while pending > 0 && t <= limit as usize {
            while let Some(node) = self.buckets[t].pop() {
                pending -= 1;
                if self.time[node as usize] as usize != t {
                    continue; // a stale entry: the node was improved later
                }
                self.settled.push(node);
                let arcs = graph.arcs(node);
                relaxed += arcs.len() as u64;
                for arc in arcs {
                    let nt = t as Time + arc.weight;
                    if nt <= limit && self.improve(arc.head, nt) {
                        self.buckets[nt as usize].push(arc.head);
                        pending += 1;
                    }
                }
            }
            t += 1;
        }
        // Buckets past the limit are never filled; those before `t` are empty.
        self.relaxed += relaxed;
    }
}

/// Every node's time to the nearest seed, [`UNREACHED`] beyond `limit`.
pub fn multi_source_times(graph: &Graph, seeds: &[Seed], limit: Time) -> Vec<Time> {
    let mut state = SearchState::new(graph.node_count());
    state.run(graph, seeds, limit);
    let mut out = vec![UNREACHED; graph.node_count()];
    for &n in state.settled() {
        out[n as usize] = state.time(n);
    }
    out
}

/// Slow, obviously-correct references for the tests.
#[cfg(test)]
pub(crate) mod oracle {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;

    use super::*;

    /// Textbook Dijkstra with a binary heap.
    pub fn dijkstra(graph: &Graph, seeds: &[Seed], limit: Time) -> Vec<Time> {
        let mut dist = vec![UNREACHED; graph.node_count()];
        let mut heap = BinaryHeap::new();
        for s in seeds {
            if s.time < dist[s.node as usize] {
                dist[s.node as usize] = s.time;
                heap.push(Reverse((s.time, s.node)));
            }
        }
        while let Some(Reverse((t, n))) = heap.pop() {
            if t > dist[n as usize] {
                continue;
            }
            for a in graph.arcs(n) {
                let nt = t + a.weight;
                if nt < dist[a.head as usize] {
                    dist[a.head as usize] = nt;
                    heap.push(Reverse((nt, a.head)));
                }
            }
        }
        dist.iter()
            .map(|&d| if d <= limit { d } else { UNREACHED })
            .collect()
    }
}

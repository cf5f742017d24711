//! Removing one facility from a category's times without searching the whole
//! category again: the classic decremental shortest-path repair.
//!
//! A node's time can only change if the removed facility was one of its
//! nearest: its time from that facility alone (one bounded search, the same
//! search an added facility runs) equals its current time. Every other node
//! keeps its time, because another facility already gives it. The affected
//! nodes are then searched again from their edge: a Dijkstra inside the
//! affected region, seeded from the times of its unaffected neighbours and
//! from the remaining facilities' starts inside it. The result is exactly
//! the multi-source search of the remaining facilities (`tests/scenario.rs`
//! checks it against the batch path on seeded random edit sequences).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::network::graph::Graph;
use crate::search::{with_thread_state, Seed};
use crate::time::{Time, UNREACHED};

/// One category's node times and crossings, repaired in place.
pub struct Times<'a> {
    /// Each node's time to the category's nearest facility, deciseconds
    /// ([`UNREACHED`] beyond the search limit).
    pub times: &'a mut [Time],
    /// Each node's count of major roads crossed on that best walk.
    pub roads_crossed: &'a mut [u8],
}

/// Removes the facility whose search starts are `removed` from `t`, given
/// the starts of the category's remaining facilities (`remaining`) and the
/// search limit. Returns the nodes whose time or crossings changed.
pub fn remove(
    graph: &Graph,
    t: Times<'_>,
    removed: &[Seed],
    remaining: &[Seed],
    limit: Time,
) -> Vec<u32> {
    let Times {
        times,
        roads_crossed,
    } = t;
    // The nodes the removed facility gave their time to.
    let affected: Vec<u32> = with_thread_state(graph.node_count(), |state| {
        state.run(graph, removed, limit);
        state
            .settled()
            .iter()
            .copied()
            .filter(|&n| state.time(n) == times[n as usize])
            .collect()
    });
    if affected.is_empty() {
        return affected;
    }
    let old: Vec<(Time, u8)> = affected
        .iter()
        .map(|&n| (times[n as usize], roads_crossed[n as usize]))
        .collect();
    for &n in &affected {
        times[n as usize] = UNREACHED;
        roads_crossed[n as usize] = 0;
    }
    let mut region = Region::new(graph, &affected, limit);
    region.seed(times, roads_crossed, remaining);
    region.settle(times, roads_crossed);
    affected
        .iter()
        .zip(old)
        .filter(|&(&n, was)| (times[n as usize], roads_crossed[n as usize]) != was)
        .map(|(&n, _)| n)
        .collect()
}

/// The affected region searched again: its nodes as a bitset and the
/// Dijkstra queue inside it.
struct Region<'g> {
    graph: &'g Graph,
    affected: &'g [u32],
    inside: Vec<u64>,
    limit: Time,
    track: bool,
    heap: BinaryHeap<Reverse<(Time, u32)>>,
}

impl<'g> Region<'g> {
    fn new(graph: &'g Graph, affected: &'g [u32], limit: Time) -> Self {
        let mut inside = vec![0u64; graph.node_count().div_ceil(64)];
        for &n in affected {
            inside[n as usize / 64] |= 1 << (n % 64);
        }
        Region {
            graph,
            affected,
            inside,
            limit,
            track: graph.has_crossings(),
            heap: BinaryHeap::new(),
        }
    }

    fn contains(&self, n: u32) -> bool {
        self.inside[n as usize / 64] & (1 << (n % 64)) != 0
    }

    /// The roads crossed on reaching a node over arc `arc` from a node that
    /// had crossed `from`.
    fn crossed(&self, from: u8, arc: usize) -> u8 {
        if self.track {
            from.saturating_add(u8::from(self.graph.is_crossing_arc(arc)))
        } else {
            0
        }
    }

    fn offer(&mut self, times: &mut [Time], roads_crossed: &mut [u8], n: u32, at: Time, x: u8) {
        if at <= self.limit && at < times[n as usize] {
            times[n as usize] = at;
            roads_crossed[n as usize] = x;
            self.heap.push(Reverse((at, n)));
        }
    }

    /// Queues the remaining facilities' starts inside the region and every
    /// affected node reached from an unaffected neighbour.
    fn seed(&mut self, times: &mut [Time], roads_crossed: &mut [u8], remaining: &[Seed]) {
        for s in remaining {
            if self.contains(s.node) {
                self.offer(times, roads_crossed, s.node, s.time, 0);
            }
        }
        // Edges are walked both ways at one weight, so a node's arcs name its
        // in-neighbours too.
        let graph = self.graph;
        for &n in self.affected {
            let first = graph.first_arc(n);
            for (i, a) in graph.arcs(n).iter().enumerate() {
                let (u, tu) = (a.head, times[a.head as usize]);
                if tu == UNREACHED || self.contains(u) {
                    continue;
                }
                let x = self.crossed(roads_crossed[u as usize], first + i);
                self.offer(times, roads_crossed, n, tu.saturating_add(a.weight), x);
            }
        }
    }

    /// Dijkstra inside the region from what [`Region::seed`] queued.
    fn settle(&mut self, times: &mut [Time], roads_crossed: &mut [u8]) {
        let graph = self.graph;
        while let Some(Reverse((tn, n))) = self.heap.pop() {
            if tn != times[n as usize] {
                continue;
            }
            let first = graph.first_arc(n);
            let xn = roads_crossed[n as usize];
            for (i, a) in graph.arcs(n).iter().enumerate() {
                let h = a.head;
                let nt = tn + a.weight;
                if !self.contains(h) || nt > self.limit || nt >= times[h as usize] {
                    continue;
                }
                times[h as usize] = nt;
                roads_crossed[h as usize] = self.crossed(xn, first + i);
                self.heap.push(Reverse((nt, h)));
            }
        }
    }
}

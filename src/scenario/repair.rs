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
    pub times: &'a mut [Time],
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
    let mut inside = vec![0u64; graph.node_count().div_ceil(64)];
    let is_inside = |bits: &[u64], n: u32| bits[n as usize / 64] & (1 << (n % 64)) != 0;
    for &n in &affected {
        inside[n as usize / 64] |= 1 << (n % 64);
    }
    let old: Vec<(Time, u8)> = affected
        .iter()
        .map(|&n| (times[n as usize], roads_crossed[n as usize]))
        .collect();
    for &n in &affected {
        times[n as usize] = UNREACHED;
        roads_crossed[n as usize] = 0;
    }
    let track = graph.has_crossings();
    let mut heap: BinaryHeap<Reverse<(Time, u32)>> = BinaryHeap::new();
    let mut offer = |times: &mut [Time], roads_crossed: &mut [u8], n: u32, at: Time, x: u8| {
        if at <= limit && at < times[n as usize] {
            times[n as usize] = at;
            roads_crossed[n as usize] = x;
            heap.push(Reverse((at, n)));
        }
    };
    for s in remaining.iter().filter(|s| is_inside(&inside, s.node)) {
        offer(times, roads_crossed, s.node, s.time, 0);
    }
    // Edges are walked both ways at one weight, so a node's arcs name its
    // in-neighbours too.
    for &n in &affected {
        let first = graph.first_arc(n);
        for (i, a) in graph.arcs(n).iter().enumerate() {
            let (u, tu) = (a.head, times[a.head as usize]);
            if tu == UNREACHED || is_inside(&inside, u) {
                continue;
            }
            let x = if track {
                roads_crossed[u as usize].saturating_add(u8::from(graph.is_crossing_arc(first + i)))
            } else {
                0
            };
            offer(times, roads_crossed, n, tu.saturating_add(a.weight), x);
        }
    }
    while let Some(Reverse((tn, n))) = heap.pop() {
        if tn != times[n as usize] {
            continue;
        }
        let first = graph.first_arc(n);
        let xn = roads_crossed[n as usize];
        for (i, a) in graph.arcs(n).iter().enumerate() {
            let h = a.head;
            let nt = tn + a.weight;
            if !is_inside(&inside, h) || nt > limit || nt >= times[h as usize] {
                continue;
            }
            times[h as usize] = nt;
            roads_crossed[h as usize] = if track {
                xn.saturating_add(u8::from(graph.is_crossing_arc(first + i)))
            } else {
                0
            };
            heap.push(Reverse((nt, h)));
        }
    }
    affected
        .iter()
        .zip(old)
        .filter(|&(&n, was)| (times[n as usize], roads_crossed[n as usize]) != was)
        .map(|(&n, _)| n)
        .collect()
}

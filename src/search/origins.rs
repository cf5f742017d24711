//! Where a search starts, kept by edge: the **trivial path**.
//!
//! A search runs over nodes, so the time it gives a point in the middle of an
//! edge is the better of the walks through the edge's two ends. When the walk
//! starts on that same edge, going straight along it is shorter than going out
//! to an end and back. Valhalla's thor checks this "trivial path" explicitly;
//! here an [`Origins`] keeps the starts of one search by edge, and
//! [`Origins::time_at`] gives the time at any edge position as the best of the
//! walk via `u`, via `v`, and straight along the edge from a start on it. Every
//! place that turns node times into a time at a point (community and facility
//! access points, isochrone grid samples, siting candidates) goes through it.

use super::position::{snap_time, AccessPoint, EdgePos};
use crate::network::graph::Graph;
use crate::search::Seed;
use crate::time::{Time, UNREACHED};

/// One start of a walk: a position on an edge and the time already spent
/// reaching it (the off-network walk from the place's door).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Origin {
    /// Where on the network the walk starts.
    pub pos: EdgePos,
    /// The time already spent (the off-network walk), deciseconds.
    pub time: Time,
}

/// How the best walk to a position arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// Through this end node of the position's edge.
    Node(u32),
    /// Straight along the edge from a start on it.
    Along,
}

/// Starts in any order.
impl FromIterator<Origin> for Origins {
    fn from_iter<I: IntoIterator<Item = Origin>>(iter: I) -> Origins {
        let mut items: Vec<Origin> = iter.into_iter().collect();
        items.sort_by(|a, b| {
            (a.pos.edge, a.time)
                .cmp(&(b.pos.edge, b.time))
                .then(a.pos.offset_m.total_cmp(&b.pos.offset_m))
        });
        items.dedup();
        Origins { items }
    }
}

/// The starts of one search, sorted by edge.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Origins {
    items: Vec<Origin>,
}

impl Origins {
    /// The starts of walks from access points (each with its off-network
    /// walk, at the graph's walking speed).
    pub fn new<'a>(graph: &Graph, access: impl IntoIterator<Item = &'a AccessPoint>) -> Origins {
        access
            .into_iter()
            .map(|a| Origin {
                pos: a.pos,
                time: snap_time(a.snap_m, graph.walking_speed_mps()),
            })
            .collect()
    }

    /// A walk that starts at a graph node.
    pub fn at_node(graph: &Graph, node: u32) -> Origins {
        EdgePos::at_node(graph, node)
            .map(|pos| Origin { pos, time: 0 })
            .into_iter()
            .collect()
    }

    /// Every start.
    pub fn iter(&self) -> impl Iterator<Item = &Origin> {
        self.items.iter()
    }

    /// Whether there is no start at all (the place is not on the network).
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The search seeds: each start's two edge ends with the time to reach them.
    pub fn seeds(&self, graph: &Graph) -> Vec<Seed> {
        let mut seeds: Vec<Seed> = self
            .items
            .iter()
            .flat_map(|o| {
                let e = graph.edges()[o.pos.edge as usize];
                let (to_u, to_v) = o.pos.times_to_ends(graph);
                [
                    Seed {
                        node: e.u,
                        time: o.time.saturating_add(to_u),
                    },
                    Seed {
                        node: e.v,
                        time: o.time.saturating_add(to_v),
                    },
                ]
            })
            .collect();
        seeds.sort_unstable();
        seeds.dedup();
        seeds
    }

    /// The starts on one edge.
    pub fn on_edge(&self, edge: u32) -> &[Origin] {
        let from = self.items.partition_point(|o| o.pos.edge < edge);
        let to = self.items.partition_point(|o| o.pos.edge <= edge);
        &self.items[from..to]
    }

    /// The time at `pos` walked straight along its edge from a start on it.
    pub fn along(&self, graph: &Graph, pos: EdgePos) -> Option<Time> {
        self.on_edge(pos.edge)
            .iter()
            .map(|o| o.time.saturating_add(pos.time_to(graph, o.pos.offset_m)))
            .min()
    }

    /// The time at `pos` given the node times of a search from these starts:
    /// the best of via `u`, via `v` and along the edge; `None` when nothing
    /// reaches it.
    pub fn time_at(
        &self,
        graph: &Graph,
        pos: EdgePos,
        node_time: impl Fn(u32) -> Time,
    ) -> Option<(Time, Via)> {
        let e = graph.edges()[pos.edge as usize];
        let (to_u, to_v) = pos.times_to_ends(graph);
        let via = |n: u32, t: Time| {
            node_time(n)
                .checked_add(t)
                .filter(|&x| x < UNREACHED)
                .map(|x| (x, Via::Node(n)))
        };
        let along = self.along(graph, pos).map(|t| (t, Via::Along));
        [via(e.u, to_u), via(e.v, to_v), along]
            .into_iter()
            .flatten()
            .min_by_key(|&(t, via)| (t, via == Via::Along))
    }
}

impl AccessPoint {
    /// Time from the nearest start of a finished search to this access point,
    /// given the search's node times and its starts (for the walk straight
    /// along a shared edge, see [`crate::search::origins`]).
    pub fn time_from(
        &self,
        graph: &Graph,
        node_time: impl Fn(u32) -> Time,
        origins: &Origins,
    ) -> Time {
        self.best_end(graph, node_time, origins)
            .map_or(UNREACHED, |(t, _)| t)
    }

    /// Like [`AccessPoint::time_from`], also saying how the best walk arrives
    /// (through which edge end, or along the edge); `None` when unreached.
    pub fn best_end(
        &self,
        graph: &Graph,
        node_time: impl Fn(u32) -> Time,
        origins: &Origins,
    ) -> Option<(Time, Via)> {
        let (t, via) = origins.time_at(graph, self.pos, node_time)?;
        Some((
            t.saturating_add(snap_time(self.snap_m, graph.walking_speed_mps())),
            via,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::tests::{random_graph, Rng};
    use crate::search::SearchState;

    /// A random position on a random edge.
    fn random_pos(graph: &Graph, rng: &mut Rng) -> EdgePos {
        let edge = rng.below_u64(graph.edges().len() as u64) as u32;
        let len = graph.edges()[edge as usize].length_m;
        EdgePos {
            edge,
            offset_m: len * rng.below_u64(1001) as f32 / 1000.0,
        }
    }

    /// The slow oracle: the starts and the target are inserted into the graph
    /// as real nodes (their edges split at them), then a textbook O(V²)
    /// Dijkstra in exact (f64) times runs from the starts.
    fn inserted_dijkstra(graph: &Graph, starts: &[Origin], target: EdgePos) -> f64 {
        let n = graph.node_count();
        let (first, target_node) = (n, n + starts.len());
        let mut adj: Vec<Vec<(usize, f64)>> = vec![Vec::new(); n + starts.len() + 1];
        for e in 0..graph.edges().len() as u32 {
            let edge = graph.edges()[e as usize];
            let total = f64::from(graph.edge_time(e));
            let mut stops: Vec<(f32, usize)> = vec![(0.0, edge.u as usize)];
            for (i, o) in starts.iter().enumerate() {
                if o.pos.edge == e {
                    stops.push((o.pos.offset_m, first + i));
                }
            }
            if target.edge == e {
                stops.push((target.offset_m, target_node));
            }
            stops.push((edge.length_m, edge.v as usize));
            stops.sort_by(|a, b| a.0.total_cmp(&b.0));
            for w in stops.windows(2) {
                let t = f64::from((w[1].0 - w[0].0) / edge.length_m) * total;
                adj[w[0].1].push((w[1].1, t));
                adj[w[1].1].push((w[0].1, t));
            }
        }
        let mut dist = vec![f64::INFINITY; adj.len()];
        for (i, o) in starts.iter().enumerate() {
            dist[first + i] = f64::from(o.time);
        }
        let mut done = vec![false; adj.len()];
        while let Some(u) = (0..adj.len())
            .filter(|&i| !done[i] && dist[i].is_finite())
            .min_by(|&a, &b| dist[a].total_cmp(&dist[b]))
        {
            done[u] = true;
            for &(v, w) in &adj[u] {
                dist[v] = dist[v].min(dist[u] + w);
            }
        }
        dist[target_node]
    }

    /// On seeded random graphs with random positions along edges (half of the
    /// targets on a start's own edge), the time at a position from the node
    /// times and the trivial-path check equals the oracle's, up to the
    /// rounding of times to whole deciseconds.
    #[test]
    fn time_at_a_position_matches_dijkstra_with_inserted_nodes() {
        let mut along = 0;
        for seed in 0..30u64 {
            let graph = random_graph(seed, 30 + (seed as usize * 13) % 120);
            let mut rng = Rng::new(seed ^ 0x7717);
            let mut state = SearchState::new(graph.node_count());
            for trial in 0..20 {
                let starts: Vec<Origin> = (0..1 + rng.below_u64(3))
                    .map(|_| Origin {
                        pos: random_pos(&graph, &mut rng),
                        time: rng.below_u64(200) as Time,
                    })
                    .collect();
                let target = if rng.below_u64(2) == 0 {
                    let o = starts[rng.below_u64(starts.len() as u64) as usize];
                    let len = graph.edges()[o.pos.edge as usize].length_m;
                    EdgePos {
                        edge: o.pos.edge,
                        offset_m: len * rng.below_u64(1001) as f32 / 1000.0,
                    }
                } else {
                    random_pos(&graph, &mut rng)
                };
                let origins: Origins = starts.iter().copied().collect();
                state.run(&graph, &origins.seeds(&graph), 50_000_000);
                let (fast, via) = origins
                    .time_at(&graph, target, |m| state.time(m))
                    .unwrap_or_else(|| panic!("seed {seed} trial {trial}: unreached"));
                along += usize::from(via == Via::Along);
                let slow = inserted_dijkstra(&graph, &starts, target);
                assert!(
                    (f64::from(fast) - slow).abs() <= 2.0,
                    "seed {seed} trial {trial}: fast {fast} ds ({via:?}), oracle {slow:.1} ds; \
                     starts {starts:?}, target {target:?}"
                );
            }
        }
        assert!(along > 100, "only {along} walks went along an edge");
    }
}

//! Stage 3: shortest walking times.
//!
//! One search core serves both questions the engine asks:
//! - **multi-source**: every node's time to the nearest facility of a category
//!   ([`multi_source_times`]), one search per category, categories in parallel;
//! - **bounded single-source**: everything a facility reaches within a limit,
//!   for isochrones and per-facility statistics, facilities in parallel, each
//!   thread reusing one [`SearchState`].
//!
//! The queue is Dial's bucket queue over integer deciseconds: a ring of buckets
//! one wider than the heaviest arc, so every push and pop is O(1) and the
//! result is exactly Dijkstra's. A [`SearchState`] is reset in O(1) by bumping a
//! generation counter instead of clearing its arrays (the fast_paths trick).

pub mod origins;
pub mod position;

use crate::network::graph::Graph;
use crate::time::{Time, UNREACHED};

/// A search start: a node and the time already spent reaching it (from a
/// facility's door to the network, along part of an edge, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Seed {
    /// The graph node.
    pub node: u32,
    /// The time already spent, deciseconds.
    pub time: Time,
}

/// Runs `f` with this thread's search state for graphs of `nodes` nodes,
/// created on the thread's first search and kept, so that batches of searches
/// on a thread pool pay the O(nodes) allocation once per thread (as fast_paths
/// keeps its per-thread states).
pub fn with_thread_state<R>(nodes: usize, f: impl FnOnce(&mut SearchState) -> R) -> R {
    thread_local! {
        static STATE: std::cell::RefCell<Option<SearchState>> = const { std::cell::RefCell::new(None) };
    }
    STATE.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.as_ref().is_none_or(|s| s.capacity() != nodes) {
            *slot = Some(SearchState::new(nodes));
        }
        f(slot.as_mut().expect("just set"))
    })
}

/// End of a bucket's list.
const NIL: u32 = u32::MAX;

/// A node's label: the search it belongs to and its time, side by side so one
/// cache line answers both.
#[derive(Debug, Clone, Copy)]
struct Label {
    stamp: u32,
    time: Time,
}

/// Reusable per-thread search memory: a bounded multi-source Dijkstra over a
/// bucket queue, whose labels are reset in O(1) between searches (a stamp
/// per search), so one state serves every search of a thread.
///
/// ```
/// use childcircle::network::graph::{Edge, Graph, GraphParts, GraphStats};
/// use childcircle::osm::walkable::WayClass;
/// use childcircle::search::{SearchState, Seed};
/// use childcircle::time::{minutes_to_time, UNREACHED};
/// use childcircle::Profile;
///
/// // a ──120 m── b ──120 m── c, footways, walked by the child profile.
/// let lonlat = vec![[116.0, 40.0], [116.0, 40.00108], [116.0, 40.00216]];
/// let shapes = vec![vec![lonlat[0], lonlat[1]], vec![lonlat[1], lonlat[2]]];
/// let footway = |u, v| Edge { u, v, length_m: 120.0, class: WayClass::Footway, flags: 0 };
/// let parts = GraphParts {
///     lonlat,
///     osm_id: vec![1, 2, 3],
///     roles: vec![0; 3],
///     edges: vec![footway(0, 1), footway(1, 2)],
///     shapes,
/// };
/// let graph = Graph::from_parts(parts, &Profile::default(), GraphStats::default())?;
/// let node = |osm| graph.osm_id().iter().position(|&id| id == osm).unwrap() as u32;
///
/// let mut state = SearchState::new(graph.node_count());
/// let per_edge = graph.edge_time(0);
/// state.run(&graph, &[Seed { node: node(1), time: 0 }], minutes_to_time(15.0));
/// assert_eq!(state.time(node(2)), per_edge);
/// assert_eq!(state.time(node(3)), 2 * per_edge);
///
/// // The same state, reused: a limit shorter than one edge settles the start only.
/// state.run(&graph, &[Seed { node: node(3), time: 0 }], per_edge - 1);
/// assert_eq!(state.settled(), &[node(3)]);
/// assert_eq!(state.time(node(1)), UNREACHED);
/// # Ok::<(), childcircle::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct SearchState {
    labels: Vec<Label>,
    generation: u32,
    /// Dial's ring of buckets as singly linked lists: the first entry of each
    /// bucket, and a pool of `(node, next entry)` pairs (4 bytes a bucket, so a
    /// wide ring stays cheap). A bit per bucket says whether it holds anything,
    /// so long empty stretches are skipped a word at a time.
    head: Vec<u32>,
    pool: Vec<(u32, u32)>,
    occupied: Vec<u64>,
    settled: Vec<u32>,
    /// Major-road crossings on the path each node was reached by.
    roads_crossed: Vec<u8>,
    relaxed: u64,
}

impl SearchState {
    /// Memory for searches on a graph of `nodes` nodes.
    pub fn new(nodes: usize) -> Self {
        SearchState {
            labels: vec![
                Label {
                    stamp: 0,
                    time: UNREACHED
                };
                nodes
            ],
            generation: 0,
            head: Vec::new(),
            pool: Vec::new(),
            occupied: Vec::new(),
            settled: Vec::new(),
            roads_crossed: vec![0; nodes],
            relaxed: 0,
        }
    }

    /// How many major roads the best path to `node` crosses (valid for
    /// reached nodes).
    #[inline]
    pub fn roads_crossed(&self, node: u32) -> u8 {
        self.roads_crossed[node as usize]
    }

    /// The time of `node` in the last search, or [`UNREACHED`].
    #[inline]
    pub fn time(&self, node: u32) -> Time {
        let l = self.labels[node as usize];
        if l.stamp == self.generation {
            l.time
        } else {
            UNREACHED
        }
    }

    /// The nodes the last search settled, in order of time.
    /// The number of nodes the state was made for.
    pub fn capacity(&self) -> usize {
        self.labels.len()
    }

    /// The nodes the last search settled, in the order it settled them.
    pub fn settled(&self) -> &[u32] {
        &self.settled
    }

    /// Arcs relaxed by all searches run with this state (for ns-per-arc figures).
    pub fn arcs_relaxed(&self) -> u64 {
        self.relaxed
    }

    fn reset(&mut self, graph: &Graph, limit: Time) {
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            // Every 2^32 searches, really clear.
            self.labels.iter_mut().for_each(|l| l.stamp = 0);
            self.generation = 1;
        }
        self.settled.clear();
        self.pool.clear();
        // Every queued time lies in [t, t + heaviest useful arc] (an arc heavier
        // than the limit is never taken), so a ring that many buckets wide (a
        // power of two, for a cheap modulo) never collides.
        let widest = graph.max_arc_weight().min(limit) as usize + 1;
        let buckets = widest.next_power_of_two().max(64);
        if self.head.len() < buckets {
            self.head = vec![NIL; buckets];
            self.occupied = vec![0; buckets / 64];
        }
    }

    #[inline]
    fn improve(&mut self, node: u32, t: Time) -> bool {
        let l = &mut self.labels[node as usize];
        if l.stamp != self.generation || t < l.time {
            *l = Label {
                stamp: self.generation,
                time: t,
            };
            true
        } else {
            false
        }
    }

    #[inline]
    fn push(&mut self, node: u32, t: Time) {
        let slot = t as usize & (self.head.len() - 1);
        self.pool.push((node, self.head[slot]));
        self.head[slot] = (self.pool.len() - 1) as u32;
        self.occupied[slot / 64] |= 1 << (slot % 64);
    }

    /// The first time at or after `t` whose bucket holds something.
    fn next_occupied(&self, t: Time) -> Time {
        let n = self.head.len();
        let start = t as usize & (n - 1);
        let words = self.occupied.len();
        let (mut word, mut bits) = (
            start / 64,
            self.occupied[start / 64] & (!0u64 << (start % 64)),
        );
        let mut skipped = 0usize;
        loop {
            if bits != 0 {
                let slot = word * 64 + bits.trailing_zeros() as usize;
                let ahead = (slot + n - start) % n;
                return t + ahead as Time;
            }
            skipped += 1;
            if skipped > words {
                return UNREACHED;
            }
            word = (word + 1) % words;
            bits = self.occupied[word];
        }
    }

    /// Runs a search from `seeds` that settles every node within `limit`.
    ///
    /// One function on purpose, although it runs past 80 lines: it is the
    /// hot loop of every search (seeds, bucket sweep, relaxation, crossing
    /// counts), and keeping its state in locals lets the compiler hold it in
    /// registers; `benches/pipeline.rs` measures it in ns per arc.
    pub fn run(&mut self, graph: &Graph, seeds: &[Seed], limit: Time) {
        self.reset(graph, limit);
        // Seeds enter the queue when the sweep reaches their time, so seed
        // times may spread wider than the bucket ring.
        let mut seeds: Vec<Seed> = seeds.iter().copied().filter(|s| s.time <= limit).collect();
        seeds.sort_unstable_by_key(|s| s.time);
        let mask = self.head.len() - 1;
        let mut next_seed = 0;
        let mut pending = 0usize;
        let mut relaxed = 0u64;
        let mut t: Time = seeds.first().map_or(0, |s| s.time);
        // Counting crossings costs a little on every improvement: only where
        // the graph has crossings.
        let track = graph.has_crossings();
        loop {
            while next_seed < seeds.len() && seeds[next_seed].time == t {
                let s = seeds[next_seed];
                next_seed += 1;
                if self.improve(s.node, t) {
                    self.roads_crossed[s.node as usize] = 0;
                    self.push(s.node, t);
                    pending += 1;
                }
            }
            let slot = t as usize & mask;
            if self.head[slot] == NIL {
                // Skip to the next filled bucket or the next seed, whichever is first.
                let next = if pending > 0 {
                    self.next_occupied(t)
                } else {
                    UNREACHED
                };
                let next = seeds.get(next_seed).map_or(next, |s| next.min(s.time));
                if next == UNREACHED || next > limit {
                    break;
                }
                t = next;
                continue;
            }
            let mut entry = std::mem::replace(&mut self.head[slot], NIL);
            self.occupied[slot / 64] &= !(1 << (slot % 64));
            // Arcs weigh at least 1, so nothing joins this bucket while it drains.
            while entry != NIL {
                let (node, next) = self.pool[entry as usize];
                entry = next;
                pending -= 1;
                if self.labels[node as usize].time != t {
                    continue; // stale: the node was improved after this push
                }
                self.settled.push(node);
                let arcs = graph.arcs(node);
                relaxed += arcs.len() as u64;
                if track {
                    let (first, crossed) =
                        (graph.first_arc(node), self.roads_crossed[node as usize]);
                    for (i, arc) in arcs.iter().enumerate() {
                        let nt = t + arc.weight;
                        if nt <= limit && self.improve(arc.head, nt) {
                            let x = u8::from(graph.is_crossing_arc(first + i));
                            self.roads_crossed[arc.head as usize] = crossed.saturating_add(x);
                            self.push(arc.head, nt);
                            pending += 1;
                        }
                    }
                } else {
                    for arc in arcs {
                        let nt = t + arc.weight;
                        if nt <= limit && self.improve(arc.head, nt) {
                            self.push(arc.head, nt);
                            pending += 1;
                        }
                    }
                }
            }
            if t >= limit {
                break;
            }
            t += 1;
        }
        if pending > 0 {
            // Unreachable by construction (every queued time is within the
            // limit), but a leftover entry must never leak into the next search.
            self.head.iter_mut().for_each(|h| *h = NIL);
            self.occupied.iter_mut().for_each(|w| *w = 0);
        }
        self.relaxed += relaxed;
    }
}

/// Every node's time to the nearest seed, [`UNREACHED`] beyond `limit`.
pub fn multi_source_times(graph: &Graph, seeds: &[Seed], limit: Time) -> Vec<Time> {
    multi_source_times_reusing(
        &mut SearchState::new(graph.node_count()),
        graph,
        seeds,
        limit,
    )
}

/// [`multi_source_times`] reusing a search state (one per thread).
pub fn multi_source_times_reusing(
    state: &mut SearchState,
    graph: &Graph,
    seeds: &[Seed],
    limit: Time,
) -> Vec<Time> {
    state.run(graph, seeds, limit);
    let mut out = vec![UNREACHED; graph.node_count()];
    for &n in state.settled() {
        out[n as usize] = state.time(n);
    }
    out
}

/// Every node's time to the nearest seed and the major-road crossings on the
/// way there.
pub fn multi_source_times_and_roads_crossed(
    state: &mut SearchState,
    graph: &Graph,
    seeds: &[Seed],
    limit: Time,
) -> (Vec<Time>, Vec<u8>) {
    let times = multi_source_times_reusing(state, graph, seeds, limit);
    let mut roads_crossed = vec![0; graph.node_count()];
    for &n in state.settled() {
        roads_crossed[n as usize] = state.roads_crossed(n);
    }
    (times, roads_crossed)
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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::network::graph::{Edge, GraphParts, GraphStats};
    use crate::osm::walkable::WayClass;
    use crate::profile::Profile;

    pub(crate) use crate::rng::SplitMix64 as Rng;

    /// A random connected-ish planar-ish graph of `n` nodes in a 2 km square.
    pub(crate) fn random_graph(seed: u64, n: usize) -> Graph {
        let mut rng = Rng::new(seed);
        let mut parts = GraphParts::default();
        for i in 0..n {
            let lon = 116.3 + rng.below_u64(20_000) as f64 * 1e-6;
            let lat = 37.4 + rng.below_u64(20_000) as f64 * 1e-6;
            parts.lonlat.push([lon, lat]);
            parts.osm_id.push(i as i64 + 1);
            parts.roles.push(0);
        }
        for i in 1..n {
            // A spanning tree to a random earlier node, plus extra random edges.
            let extra = usize::from(rng.below_u64(3) == 0);
            for _ in 0..=extra {
                let j = rng.below_u64(i as u64) as usize;
                let (a, b) = (parts.lonlat[i], parts.lonlat[j]);
                let len = crate::geodesy::haversine_m(a, b).max(0.5);
                let class = if rng.below_u64(10) == 0 {
                    WayClass::Steps
                } else {
                    WayClass::Footway
                };
                parts.edges.push(Edge {
                    u: i as u32,
                    v: j as u32,
                    length_m: len as f32,
                    class,
                    flags: 0,
                });
                parts.shapes.push(vec![a, b]);
            }
        }
        Graph::from_parts(parts, &Profile::default(), GraphStats::default()).unwrap()
    }

    #[test]
    fn bucket_queue_matches_dijkstra_on_random_graphs() {
        for seed in 0..40u64 {
            let g = random_graph(seed, 50 + (seed as usize * 37) % 400);
            let mut rng = Rng::new(seed ^ 0xABCD);
            let mut state = SearchState::new(g.node_count());
            // The same state serves every run: its O(1) reset must be exact.
            for run in 0..5 {
                let seeds: Vec<Seed> = (0..1 + rng.below_u64(4))
                    .map(|_| Seed {
                        node: rng.below_u64(g.node_count() as u64) as u32,
                        time: rng.below_u64(300) as Time,
                    })
                    .collect();
                let limit = 500 + rng.below_u64(30_000) as Time;
                state.run(&g, &seeds, limit);
                let expected = oracle::dijkstra(&g, &seeds, limit);
                for n in 0..g.node_count() as u32 {
                    assert_eq!(
                        state.time(n),
                        expected[n as usize],
                        "seed {seed}, run {run}, node {n}"
                    );
                }
                let settled: std::collections::HashSet<u32> =
                    state.settled().iter().copied().collect();
                assert_eq!(
                    settled.len(),
                    state.settled().len(),
                    "seed {seed}: a node settled twice"
                );
                let reached = expected.iter().filter(|&&t| t != UNREACHED).count();
                assert_eq!(settled.len(), reached, "seed {seed}, run {run}");
            }
        }
    }

    #[test]
    fn multi_source_matches_petgraph_dijkstra() {
        use petgraph::graph::{NodeIndex, UnGraph};
        for seed in [7u64, 99, 12345] {
            let g = random_graph(seed, 300);
            // petgraph runs single-source: join all seeds to a virtual source.
            let mut pg = UnGraph::<(), Time>::new_undirected();
            let nodes: Vec<NodeIndex> = (0..=g.node_count()).map(|_| pg.add_node(())).collect();
            for n in 0..g.node_count() as u32 {
                for a in g.arcs(n) {
                    if n < a.head {
                        pg.add_edge(nodes[n as usize], nodes[a.head as usize], a.weight);
                    }
                }
            }
            let virtual_source = nodes[g.node_count()];
            let seeds = [
                Seed { node: 3, time: 0 },
                Seed {
                    node: 150,
                    time: 40,
                },
            ];
            let mut directed = petgraph::graph::DiGraph::<(), Time>::new();
            for _ in 0..=g.node_count() {
                directed.add_node(());
            }
            for e in pg.edge_indices() {
                let (a, b) = pg.edge_endpoints(e).unwrap();
                directed.add_edge(a, b, pg[e]);
                directed.add_edge(b, a, pg[e]);
            }
            for s in &seeds {
                directed.add_edge(virtual_source, nodes[s.node as usize], s.time);
            }
            let dist = petgraph::algo::dijkstra(&directed, virtual_source, None, |e| *e.weight());
            let ours = multi_source_times(&g, &seeds, UNREACHED - 1);
            for n in 0..g.node_count() {
                assert_eq!(
                    Some(&ours[n]).filter(|t| **t != UNREACHED),
                    dist.get(&nodes[n]),
                    "seed {seed} node {n}"
                );
            }
        }
    }
}

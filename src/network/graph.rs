//! Stage 2: the walking graph.
//!
//! OSM ways are split at intersections, ends, and nodes with an access role
//! (gates, entrances, crossings); the nodes in between become the edge's shape.
//! That *is* the contraction of degree-2 chains: the search graph has one node
//! per decision point and keeps every edge's geometry apart for snapping and
//! isochrones. Components smaller than the profile's `min_component_nodes` are
//! dropped and reported (nothing could usefully snap to them). Nodes are
//! renumbered along a Hilbert curve so that nodes near in space are near in
//! memory, and arcs are stored in one contiguous CSR array of
//! `{head, weight}` pairs (8 bytes) with the edge id beside it (4 bytes).
//!
//! All geometry is kept in a local metric projection ([`LocalProjection`]) as
//! `f32` metres: millimetre precision at city scale, half the memory of lon/lat
//! `f64`.

use petgraph::unionfind::UnionFind;

use crate::error::{Error, Result};
use crate::geodesy::LocalProjection;
use crate::osm::walkable::{node_role, WayClass};
use crate::profile::Profile;
use crate::time::{Time, UNREACHED};

/// One arc of the CSR: where it goes and how long it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arc {
    /// The node the arc leads to.
    pub head: u32,
    /// Walking time along it under the current profile, deciseconds
    /// ([`FORBIDDEN`] where the profile may not walk it).
    pub weight: Time,
}

/// An undirected walkable edge with its shape.
#[derive(Debug, Clone, Copy)]
pub struct Edge {
    /// One end: a node index.
    pub u: u32,
    /// The other end: a node index.
    pub v: u32,
    /// Length, metres: along its shape, or
    /// [`CROSSING_LENGTH_M`](crate::network::crossings::CROSSING_LENGTH_M) for a
    /// modelled road crossing.
    pub length_m: f32,
    /// The class of the way it is a piece of (footway, local street, ..., steps).
    pub class: WayClass,
    /// Road-safety attributes ([`crate::osm::walkable::way_flag`]).
    pub flags: u8,
}

/// What building the graph dropped or kept, for the summary.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct GraphStats {
    /// Graph nodes kept.
    pub nodes: usize,
    /// Edges kept.
    pub edges: usize,
    /// Arcs of the CSR: two per edge, one each way.
    pub arcs: usize,
    /// Total length of the kept edges, km.
    pub total_length_km: f64,
    /// `access=private` ways kept because they lie inside a residential compound.
    pub private_ways_kept_in_compounds: usize,
    /// `access=private` ways dropped because they lie outside every compound.
    pub private_ways_dropped: usize,
    /// Components dropped for having fewer than `min_component_nodes` nodes
    /// (the largest component is always kept).
    pub components_dropped: usize,
    /// Nodes of those dropped components.
    pub nodes_dropped_in_small_components: usize,
    /// Bytes of the search structure (node coordinates, CSR offsets, arcs).
    pub search_bytes: usize,
    /// Bytes of the edge table and shapes.
    pub geometry_bytes: usize,
}

/// Nodes and edges before the search graph is assembled.
#[derive(Debug, Clone, Default)]
pub struct GraphParts {
    /// Node positions, lon/lat degrees.
    pub lonlat: Vec<[f64; 2]>,
    /// OSM node id of each node (a corner of the crossing model carries its
    /// junction's).
    pub osm_id: Vec<i64>,
    /// Roles of each node ([`node_role`] bits: gate, entrance, crossing, ...).
    pub roles: Vec<u8>,
    /// Edges between node indices; lengths in metres.
    pub edges: Vec<Edge>,
    /// Each edge's shape from `u` to `v`, lon/lat, ends included.
    pub shapes: Vec<Vec<[f64; 2]>>,
}

/// Where a walking graph's geometry is centred: the box its projection and
/// node order are taken from, and the origin of the crossing model's
/// projection. One run takes them from its own nodes; a tile
/// ([`crate::tiles`]) is given the whole extract's, so that its distances
/// and ties agree with one run's to the bit.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Frame {
    /// `[x0, y0, x1, y1]`, lon/lat degrees.
    pub bbox: [f64; 4],
    /// The origin (lon/lat) of the crossing model's local projection, when the
    /// model ran.
    pub crossings: Option<[f64; 2]>,
}

/// The walking graph: nodes, a CSR of arcs, and edges with shapes.
#[derive(Debug, Clone)]
pub struct Graph {
    projection: LocalProjection,
    /// Where its geometry is centred (the kept nodes' box, or the
    /// profile's `frame`).
    pub(super) frame: Frame,
    /// Node positions in projected metres.
    xy: Vec<[f32; 2]>,
    /// OSM node id of each graph node.
    osm_id: Vec<i64>,
    /// Node roles ([`node_role`] bits).
    roles: Vec<u8>,
    first_out: Vec<u32>,
    arcs: Vec<Arc>,
    arc_edge: Vec<u32>,
    edges: Vec<Edge>,
    shape_start: Vec<u32>,
    shape: Vec<[f32; 2]>,
    max_arc_weight: Time,
    /// A bit per arc: does it cross a major road? (Empty without crossings.)
    crossing_arcs: Vec<u64>,
    /// The walking speed the arcs were weighted with, m/s.
    walking_speed_mps: f64,
    stats: GraphStats,
}

/// The weight of an arc the profile may not walk: ~28 hours, beyond any
/// search limit (and a bound for the bucket ring; no footpath is that long).
pub const FORBIDDEN: Time = 1_000_000;

impl Graph {
    /// The local projection from lon/lat to the metres of [`Graph::xy`].
    pub fn projection(&self) -> &LocalProjection {
        &self.projection
    }

    /// Where its geometry is centred (the kept nodes' box, or the
    /// profile's `frame`).
    pub fn frame(&self) -> Frame {
        self.frame
    }

    /// Node positions in projected metres, by node.
    pub fn xy(&self) -> &[[f32; 2]] {
        &self.xy
    }

    /// The OSM node id of each graph node.
    pub fn osm_id(&self) -> &[i64] {
        &self.osm_id
    }

    /// Node roles ([`node_role`] bits), by node.
    pub fn roles(&self) -> &[u8] {
        &self.roles
    }

    /// The edges (walkable way pieces between graph nodes), by edge id.
    pub fn edges(&self) -> &[Edge] {
        &self.edges
    }

    /// Node, edge and memory counts of the build.
    pub fn stats(&self) -> &GraphStats {
        &self.stats
    }

    /// Number of graph nodes.
    pub fn node_count(&self) -> usize {
        self.xy.len()
    }

    /// Number of arcs (two per edge).
    pub fn arc_count(&self) -> usize {
        self.arcs.len()
    }

    /// The arcs leaving `node`.
    #[inline]
    pub fn arcs(&self, node: u32) -> &[Arc] {
        let (a, b) = (
            self.first_out[node as usize] as usize,
            self.first_out[node as usize + 1] as usize,
        );
        &self.arcs[a..b]
    }

    /// Index of `node`'s first arc (arcs of a node are contiguous).
    #[inline]
    pub fn first_arc(&self, node: u32) -> usize {
        self.first_out[node as usize] as usize
    }

    /// Whether the graph models crossings of major roads at all.
    #[inline]
    pub fn has_crossings(&self) -> bool {
        !self.crossing_arcs.is_empty()
    }

    /// Whether arc `i` crosses a major road (see [`crate::network::crossings`]).
    #[inline]
    pub fn is_crossing_arc(&self, i: usize) -> bool {
        self.crossing_arcs
            .get(i / 64)
            .is_some_and(|w| w & (1 << (i % 64)) != 0)
    }

    /// The arcs leaving `node`, with the edge each one walks.
    pub fn arcs_with_edges(&self, node: u32) -> impl Iterator<Item = (Arc, u32)> + '_ {
        let (a, b) = (
            self.first_out[node as usize] as usize,
            self.first_out[node as usize + 1] as usize,
        );
        self.arcs[a..b]
            .iter()
            .copied()
            .zip(self.arc_edge[a..b].iter().copied())
    }

    /// An edge's shape from `u` to `v`, in projected metres.
    pub fn shape(&self, edge: u32) -> &[[f32; 2]] {
        let e = edge as usize;
        &self.shape[self.shape_start[e] as usize..self.shape_start[e + 1] as usize]
    }

    /// Walking time over a whole edge under the current weights.
    pub fn edge_time(&self, edge: u32) -> Time {
        let u = self.edges[edge as usize].u;
        self.arcs_with_edges(u)
            .find(|(_, e)| *e == edge)
            .map_or(UNREACHED, |(a, _)| a.weight)
    }

    /// A node's lon/lat.
    pub fn lonlat(&self, node: u32) -> [f64; 2] {
        let p = self.xy[node as usize];
        self.projection
            .unproject([f64::from(p[0]), f64::from(p[1])])
    }

    /// The walking speed (m/s, on the level) the arcs are weighted with: the
    /// off-network walk to or from an access point goes at it.
    pub fn walking_speed_mps(&self) -> f64 {
        self.walking_speed_mps
    }

    /// Walking speed on a way class, in metres per second.
    pub fn speed_mps(profile: &Profile, class: WayClass) -> f64 {
        match class {
            WayClass::Steps => profile.walking_speed_mps * profile.steps_speed_factor,
            _ => profile.walking_speed_mps,
        }
    }

    /// The time to walk an edge under a profile: length at the class's speed,
    /// slower along a major road without a sidewalk, plus the wait at a
    /// crossing; [`FORBIDDEN`] where the profile may not go (steps with a
    /// stroller, an unsignalled crossing of an arterial for the youngest).
    pub fn edge_weight(profile: &Profile, edge: &Edge) -> Time {
        use crate::osm::walkable::way_flag::*;
        let rules = &profile.crossings;
        if edge.class == WayClass::Steps && !profile.steps_allowed {
            return FORBIDDEN;
        }
        let mut speed = Self::speed_mps(profile, edge.class);
        if rules.model
            && edge.flags & MAJOR != 0
            && edge.flags & (NO_SIDEWALK_LEFT | NO_SIDEWALK_RIGHT) != 0
        {
            if rules.no_sidewalk_speed_factor <= 0.0 {
                return FORBIDDEN;
            }
            speed *= rules.no_sidewalk_speed_factor;
        }
        let mut seconds = f64::from(edge.length_m) / speed;
        if edge.flags & CROSSING != 0 {
            seconds += if edge.flags & SIGNALLED != 0 {
                rules.delay_signalled_s
            } else if rules.forbid_unsignalled {
                return FORBIDDEN;
            } else if edge.flags & MARKED != 0 {
                rules.delay_marked_s
            } else {
                rules.delay_unmarked_s
            };
        }
        ((seconds * 10.0).round() as Time).clamp(1, FORBIDDEN)
    }

    /// The same network weighted for another profile (another speed, age
    /// group or crossing rule). A new graph, not a change to this one: a
    /// [`GraphIndex`](crate::places::snap::GraphIndex) or search built on
    /// this graph never sees its weights change under it.
    pub fn reweighted(&self, profile: &Profile) -> Graph {
        let mut graph = self.clone();
        graph.apply_profile(profile);
        graph
    }

    /// Sets every arc's weight from its edge and the profile.
    fn apply_profile(&mut self, profile: &Profile) {
        self.walking_speed_mps = profile.walking_speed_mps;
        for (arc, &e) in self.arcs.iter_mut().zip(&self.arc_edge) {
            arc.weight = Self::edge_weight(profile, &self.edges[e as usize]);
        }
        let crossing =
            |e: u32| self.edges[e as usize].flags & crate::osm::walkable::way_flag::CROSSING != 0;
        self.crossing_arcs = if self
            .edges
            .iter()
            .any(|e| e.flags & crate::osm::walkable::way_flag::CROSSING != 0)
        {
            let mut bits = vec![0u64; self.arcs.len().div_ceil(64)];
            for (i, &e) in self.arc_edge.iter().enumerate() {
                if crossing(e) {
                    bits[i / 64] |= 1 << (i % 64);
                }
            }
            bits
        } else {
            Vec::new()
        };
        self.max_arc_weight = self.arcs.iter().map(|a| a.weight).max().unwrap_or(1);
    }

    /// Whether the current profile may walk an edge at all.
    pub fn is_walkable(&self, edge: u32) -> bool {
        self.edge_time(edge) < FORBIDDEN
    }

    /// The heaviest arc under the current weights.
    pub fn max_arc_weight(&self) -> Time {
        self.max_arc_weight
    }

    /// Builds the search graph from nodes and edges (the OSM-independent half
    /// of [`Graph::build`], also used to draw small test maps).
    pub fn from_parts(parts: GraphParts, profile: &Profile, stats: GraphStats) -> Result<Graph> {
        Graph::from_parts_in(parts, profile, stats, None)
    }

    /// [`Graph::from_parts`] in a given frame (see [`Graph::build_in`]).
    pub fn from_parts_in(
        parts: GraphParts,
        profile: &Profile,
        mut stats: GraphStats,
        frame: Option<Frame>,
    ) -> Result<Graph> {
        let GraphParts {
            lonlat,
            osm_id,
            roles,
            edges,
            shapes,
        } = parts;
        if edges.is_empty() {
            return Err(Error::Invalid("no walkable edges".into()));
        }
        let keep = kept_nodes(lonlat.len(), &edges, profile, &mut stats);
        let (lo, hi) = frame_box(&lonlat, &keep, frame);
        let projection = LocalProjection::new((lo[0] + hi[0]) / 2.0, (lo[1] + hi[1]) / 2.0);
        let (order, new_id) = hilbert_order(&lonlat, &keep, lo, hi);
        let (out_edges, shape_start, shape) =
            renumber_edges(edges, shapes, &keep, &new_id, &projection, &mut stats);
        drop(keep);
        let (first_out, arcs, arc_edge) = csr(order.len(), &out_edges);

        let xy: Vec<[f32; 2]> = order
            .iter()
            .map(|&i| project_f32(&projection, lonlat[i as usize]))
            .collect();
        let osm_id: Vec<i64> = order.iter().map(|&i| osm_id[i as usize]).collect();
        let roles: Vec<u8> = order.iter().map(|&i| roles[i as usize]).collect();
        stats.nodes = order.len();
        stats.edges = out_edges.len();
        stats.arcs = arcs.len();
        stats.search_bytes =
            xy.len() * 8 + first_out.len() * 4 + arcs.len() * 8 + arc_edge.len() * 4;
        stats.geometry_bytes = out_edges.len() * std::mem::size_of::<Edge>()
            + shape_start.len() * 4
            + shape.len() * 8
            + osm_id.len() * 8
            + roles.len();
        let mut graph = Graph {
            projection,
            frame: Frame {
                bbox: [lo[0], lo[1], hi[0], hi[1]],
                crossings: None,
            },
            xy,
            osm_id,
            roles,
            first_out,
            arcs,
            arc_edge,
            edges: out_edges,
            shape_start,
            shape,
            max_arc_weight: 1,
            crossing_arcs: Vec::new(),
            walking_speed_mps: profile.walking_speed_mps,
            stats,
        };
        graph.apply_profile(profile);
        Ok(graph)
    }

    /// Graph nodes with a gate or entrance role.
    pub fn is_entrance(&self, node: u32) -> bool {
        self.roles[node as usize] & (node_role::GATE | node_role::ENTRANCE) != 0
    }
}

/// Which of `n` nodes lie in a component of at least the profile's
/// `min_component_nodes` nodes (or in the largest, if none is that big);
/// records what is dropped in `stats`.
fn kept_nodes(n: usize, edges: &[Edge], profile: &Profile, stats: &mut GraphStats) -> Vec<bool> {
    let mut uf = UnionFind::<u32>::new(n);
    for e in edges {
        uf.union(e.u, e.v);
    }
    let labels = uf.into_labeling();
    let mut size = vec![0u32; n];
    for &l in &labels {
        size[l as usize] += 1;
    }
    let largest = size.iter().copied().max().unwrap_or(0) as usize;
    let min = profile.min_component_nodes.min(largest).max(1);
    let keep: Vec<bool> = (0..n)
        .map(|i| size[labels[i] as usize] as usize >= min)
        .collect();
    stats.components_dropped = (0..n)
        .filter(|&i| labels[i] as usize == i && !keep[i])
        .count();
    stats.nodes_dropped_in_small_components = keep.iter().filter(|&&k| !k).count();
    keep
}

/// The box the projection is centred on and the Hilbert order spans: the
/// frame's, if given, else the kept nodes' bounding box (`(lo, hi)`).
fn frame_box(lonlat: &[[f64; 2]], keep: &[bool], frame: Option<Frame>) -> ([f64; 2], [f64; 2]) {
    let (mut lo, mut hi) = ([f64::MAX; 2], [f64::MIN; 2]);
    for (i, p) in lonlat.iter().enumerate() {
        if keep[i] {
            for k in 0..2 {
                lo[k] = lo[k].min(p[k]);
                hi[k] = hi[k].max(p[k]);
            }
        }
    }
    if let Some(Frame {
        bbox: [x0, y0, x1, y1],
        ..
    }) = frame
    {
        (lo, hi) = ([x0, y0], [x1, y1]);
    }
    (lo, hi)
}

/// A point in the graph's projection, as `f32` metres.
fn project_f32(projection: &LocalProjection, p: [f64; 2]) -> [f32; 2] {
    let q = projection.project(p);
    [q[0] as f32, q[1] as f32]
}

/// The kept nodes in Hilbert order over the box `lo`..`hi` (old indices),
/// and each old node's new index (`u32::MAX` where dropped).
fn hilbert_order(
    lonlat: &[[f64; 2]],
    keep: &[bool],
    lo: [f64; 2],
    hi: [f64; 2],
) -> (Vec<u32>, Vec<u32>) {
    let n = lonlat.len();
    let extent = (hi[0] - lo[0]).max(hi[1] - lo[1]).max(1e-9);
    let key = |i: u32| {
        let p = lonlat[i as usize];
        let q = |v: f64, l: f64| (((v - l) / extent) * 65535.0).clamp(0.0, 65535.0) as u32;
        hilbert_index(q(p[0], lo[0]), q(p[1], lo[1]))
    };
    let mut keyed: Vec<(u32, u32)> = (0..n as u32)
        .filter(|&i| keep[i as usize])
        .map(|i| (key(i), i))
        .collect();
    keyed.sort_unstable();
    let order: Vec<u32> = keyed.into_iter().map(|(_, i)| i).collect();
    let mut new_id = vec![u32::MAX; n];
    for (k, &old) in order.iter().enumerate() {
        new_id[old as usize] = k as u32;
    }
    (order, new_id)
}

/// Edges of kept components, renumbered, in order of their first node, with
/// their shapes projected into one array (`shape_start` indexes it, with a
/// final end). Takes the f64 shapes, the largest thing the build holds, so
/// that they are gone before the CSR is allocated; adds up the length in
/// `stats`.
fn renumber_edges(
    edges: Vec<Edge>,
    shapes: Vec<Vec<[f64; 2]>>,
    keep: &[bool],
    new_id: &[u32],
    projection: &LocalProjection,
    stats: &mut GraphStats,
) -> (Vec<Edge>, Vec<u32>, Vec<[f32; 2]>) {
    let mut kept: Vec<usize> = (0..edges.len())
        .filter(|&e| keep[edges[e].u as usize])
        .collect();
    kept.sort_by_key(|&e| {
        let (u, v) = (new_id[edges[e].u as usize], new_id[edges[e].v as usize]);
        (u.min(v), u.max(v), e)
    });
    let mut out_edges = Vec::with_capacity(kept.len());
    let mut shape_start = Vec::with_capacity(kept.len() + 1);
    let mut shape = Vec::with_capacity(kept.iter().map(|&e| shapes[e].len()).sum());
    for &e in &kept {
        let ed = edges[e];
        out_edges.push(Edge {
            u: new_id[ed.u as usize],
            v: new_id[ed.v as usize],
            ..ed
        });
        shape_start.push(shape.len() as u32);
        shape.extend(shapes[e].iter().map(|&p| project_f32(projection, p)));
        stats.total_length_km += f64::from(ed.length_m) / 1000.0;
    }
    shape_start.push(shape.len() as u32);
    (out_edges, shape_start, shape)
}

/// CSR over both directions of every edge of a graph of `nodes` nodes:
/// `first_out`, the arcs (unweighted), and each arc's edge.
fn csr(nodes: usize, edges: &[Edge]) -> (Vec<u32>, Vec<Arc>, Vec<u32>) {
    let mut degree = vec![0u32; nodes + 1];
    for e in edges {
        degree[e.u as usize] += 1;
        degree[e.v as usize] += 1;
    }
    let mut first_out = vec![0u32; nodes + 1];
    for i in 0..nodes {
        first_out[i + 1] = first_out[i] + degree[i];
    }
    let mut fill = first_out.clone();
    let mut arcs = vec![Arc { head: 0, weight: 0 }; edges.len() * 2];
    let mut arc_edge = vec![0u32; edges.len() * 2];
    for (id, e) in edges.iter().enumerate() {
        for (from, to) in [(e.u, e.v), (e.v, e.u)] {
            let slot = fill[from as usize] as usize;
            fill[from as usize] += 1;
            arcs[slot] = Arc {
                head: to,
                weight: 0,
            };
            arc_edge[slot] = id as u32;
        }
    }
    (first_out, arcs, arc_edge)
}

/// Position of `(x, y)` (16-bit each) along a Hilbert curve.
fn hilbert_index(mut x: u32, mut y: u32) -> u32 {
    let mut d = 0u32;
    let mut s = 1u32 << 15;
    while s > 0 {
        let rx = u32::from(x & s > 0);
        let ry = u32::from(y & s > 0);
        d += s * s * ((3 * rx) ^ ry);
        if ry == 0 {
            if rx == 1 {
                x = (s - 1).wrapping_sub(x) & 0xffff;
                y = (s - 1).wrapping_sub(y) & 0xffff;
            }
            std::mem::swap(&mut x, &mut y);
        }
        s >>= 1;
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reweighting_makes_a_new_graph_and_leaves_this_one() {
        // A----B, 60 m of footway.
        let child = Profile::builtin("child").expect("the shipped profile");
        let map = crate::testmap::TestMap::parse(
            r"
A-----B",
            &child,
        );
        let g = &map.graph;
        let (a, b) = (map.nodes[&'A'], map.nodes[&'B']);
        let before = g.arcs(a)[0].weight;
        let mut slow = child.clone();
        slow.walking_speed_mps = child.walking_speed_mps / 2.0;
        let h = g.reweighted(&slow);
        assert_eq!(
            g.arcs(a)[0].weight,
            before,
            "the original keeps its weights"
        );
        assert_eq!(g.walking_speed_mps(), child.walking_speed_mps);
        assert_eq!(h.walking_speed_mps(), slow.walking_speed_mps);
        assert_eq!(h.arcs(a)[0].head, b);
        let after = h.arcs(a)[0].weight;
        assert!(after.abs_diff(2 * before) <= 1, "{before} → {after}");
    }

    #[test]
    fn hilbert_neighbours_are_close() {
        // The first four cells of a Hilbert curve visit the 2x2 corner in order.
        let s = 1 << 15;
        let cells = [(0, 0), (0, s), (s, s), (s, 0)].map(|(x, y)| hilbert_index(x, y));
        assert!(cells.windows(2).all(|w| w[0] < w[1]), "{cells:?}");
    }
}

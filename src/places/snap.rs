//! Spatial indexes over the walking graph (rstar R-trees) and snapping: how a
//! facility or a community is attached to the network.
//!
//! A place is attached through [`AccessPoint`]s: positions on edges (not just
//! nodes, so a school beside the middle of a long street is not sent to a far
//! corner) plus the straight walk from the place to that position.

use geo::{Coord, LineString};
use rstar::primitives::{GeomWithData, Line};
use rstar::{RTree, AABB};

use crate::geodesy::{point_segment, segment_segment};
use crate::network::graph::Graph;
use crate::search::position::{AccessPoint, EdgePos};

type SegmentItem = GeomWithData<Line<[f64; 2]>, (u32, u32)>;
type NodeItem = GeomWithData<[f64; 2], u32>;

/// R-trees over the graph's edge segments and nodes.
pub struct GraphIndex {
    segments: RTree<SegmentItem>,
    nodes: RTree<NodeItem>,
    entrances: RTree<NodeItem>,
}

impl GraphIndex {
    /// Indexes every edge segment and node (bulk-loaded).
    pub fn new(graph: &Graph) -> GraphIndex {
        let p = |q: [f32; 2]| [f64::from(q[0]), f64::from(q[1])];
        let mut segments = Vec::new();
        // Only edges the profile may walk: a school must not snap to steps a
        // stroller cannot take.
        for e in (0..graph.edges().len() as u32).filter(|&e| graph.is_walkable(e)) {
            for (i, w) in graph.shape(e).windows(2).enumerate() {
                segments.push(GeomWithData::new(
                    Line::new(p(w[0]), p(w[1])),
                    (e, i as u32),
                ));
            }
        }
        let node_items = |keep: &dyn Fn(u32) -> bool| {
            (0..graph.node_count() as u32)
                .filter(|&n| keep(n))
                .map(|n| GeomWithData::new(p(graph.xy()[n as usize]), n))
                .collect::<Vec<_>>()
        };
        // Three independent trees, loaded side by side (bulk loading is
        // deterministic, so the trees are the same as loaded one by one).
        let (segments, (nodes, entrances)) = rayon::join(
            || RTree::bulk_load(segments),
            || {
                rayon::join(
                    || RTree::bulk_load(node_items(&|_| true)),
                    || RTree::bulk_load(node_items(&|n| graph.is_entrance(n))),
                )
            },
        );
        GraphIndex {
            segments,
            nodes,
            entrances,
        }
    }

    /// The nearest position on the network to `xy` (projected metres), if
    /// within `max_m`.
    pub fn snap(&self, graph: &Graph, xy: [f64; 2], max_m: f64) -> Option<AccessPoint> {
        let item = self.segments.nearest_neighbor(&xy)?;
        let (d2, t) = point_segment(xy, item.geom().from, item.geom().to);
        (d2.sqrt() <= max_m).then(|| AccessPoint {
            pos: position(graph, item.data, t),
            snap_m: d2.sqrt() as f32,
        })
    }

    /// Graph nodes inside a polygon (projected metres).
    pub fn nodes_inside(&self, polygon: &geo::MultiPolygon<f64>) -> Vec<u32> {
        use geo::{BoundingRect, Contains};
        let Some(r) = polygon.bounding_rect() else {
            return vec![];
        };
        let env = AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]);
        let mut nodes: Vec<u32> = self
            .nodes
            .locate_in_envelope(&env)
            .filter(|n| {
                polygon.contains(&Coord {
                    x: n.geom()[0],
                    y: n.geom()[1],
                })
            })
            .map(|n| n.data)
            .collect();
        nodes.sort_unstable();
        nodes
    }

    /// Gate and entrance nodes within `buffer_m` of an outline.
    pub fn entrances_on(
        &self,
        graph: &Graph,
        outline: &[LineString<f64>],
        buffer_m: f64,
    ) -> Vec<AccessPoint> {
        let mut found: Vec<u32> = Vec::new();
        for ring in outline {
            for seg in ring.lines() {
                let (a, b) = ([seg.start.x, seg.start.y], [seg.end.x, seg.end.y]);
                let env = envelope(a, b, buffer_m);
                for n in self.entrances.locate_in_envelope(&env) {
                    if point_segment(*n.geom(), a, b).0 <= buffer_m * buffer_m {
                        found.push(n.data);
                    }
                }
            }
        }
        found.sort_unstable();
        found.dedup();
        found
            .into_iter()
            .filter_map(|n| {
                Some(AccessPoint {
                    pos: EdgePos::at_node(graph, n)?,
                    snap_m: 0.0,
                })
            })
            .collect()
    }

    /// Where walkable edges touch or cross an outline (within `buffer_m`): one
    /// access point per edge, the closest.
    pub fn edges_meeting_outline(
        &self,
        graph: &Graph,
        outline: &[LineString<f64>],
        buffer_m: f64,
    ) -> Vec<AccessPoint> {
        let mut best: std::collections::BTreeMap<u32, (f64, (u32, u32), f64)> = Default::default();
        for ring in outline {
            for seg in ring.lines() {
                let (a, b) = ([seg.start.x, seg.start.y], [seg.end.x, seg.end.y]);
                for item in self
                    .segments
                    .locate_in_envelope_intersecting(&envelope(a, b, buffer_m))
                {
                    let (d2, t) = segment_segment(item.geom().from, item.geom().to, a, b);
                    if d2 <= buffer_m * buffer_m {
                        let e = item.data.0;
                        if best.get(&e).is_none_or(|x| d2 < x.0) {
                            best.insert(e, (d2, item.data, t));
                        }
                    }
                }
            }
        }
        best.values()
            .map(|&(d2, seg, t)| AccessPoint {
                pos: position(graph, seg, t),
                snap_m: d2.sqrt() as f32,
            })
            .collect()
    }
}

fn envelope(a: [f64; 2], b: [f64; 2], buffer: f64) -> AABB<[f64; 2]> {
    AABB::from_corners(
        [a[0].min(b[0]) - buffer, a[1].min(b[1]) - buffer],
        [a[0].max(b[0]) + buffer, a[1].max(b[1]) + buffer],
    )
}

/// The edge position at parameter `t` of segment `seg` of `edge`.
fn position(graph: &Graph, (edge, seg): (u32, u32), t: f64) -> EdgePos {
    let shape = graph.shape(edge);
    let len = |a: [f32; 2], b: [f32; 2]| {
        let (dx, dy) = (f64::from(a[0] - b[0]), f64::from(a[1] - b[1]));
        (dx * dx + dy * dy).sqrt()
    };
    let before: f64 = shape[..=seg as usize]
        .windows(2)
        .map(|w| len(w[0], w[1]))
        .sum();
    let this = len(shape[seg as usize], shape[seg as usize + 1]);
    let planar: f64 = shape.windows(2).map(|w| len(w[0], w[1])).sum();
    // Offsets are measured in planar metres, then scaled to the edge's
    // haversine length so both ends stay consistent.
    let e = graph.edges()[edge as usize];
    let scale = if planar > 0.0 {
        f64::from(e.length_m) / planar
    } else {
        0.0
    };
    EdgePos {
        edge,
        offset_m: (((before + t * this) * scale) as f32).clamp(0.0, e.length_m),
    }
}

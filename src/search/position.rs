//! Where a walk starts or ends on the network: a position along an edge
//! ([`EdgePos`]) and a place's access point (the position plus the straight
//! walk to it, [`AccessPoint`]).

use super::Seed;
use crate::network::graph::Graph;
use crate::time::Time;

/// A position on an edge: `offset_m` metres from the edge's `u` end along its shape.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EdgePos {
    /// The edge (index into the graph's edges).
    pub edge: u32,
    /// Metres from the edge's `u` end along its shape.
    pub offset_m: f32,
}

/// Where and how a place meets the walking network.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AccessPoint {
    /// Where the place meets the network.
    pub pos: EdgePos,
    /// Straight-line walk from the place to `pos`, metres.
    pub snap_m: f32,
}

impl EdgePos {
    /// The position of a graph node (the start or end of one of its edges).
    pub fn at_node(graph: &Graph, node: u32) -> Option<EdgePos> {
        let (_, edge) = graph.arcs_with_edges(node).next()?;
        let e = graph.edges()[edge as usize];
        Some(EdgePos {
            edge,
            offset_m: if e.u == node { 0.0 } else { e.length_m },
        })
    }

    /// Time from this position to the edge's `u` and `v` ends.
    pub fn times_to_ends(&self, graph: &Graph) -> (Time, Time) {
        let e = graph.edges()[self.edge as usize];
        let total = graph.edge_time(self.edge);
        let frac = if e.length_m > 0.0 {
            f64::from(self.offset_m / e.length_m).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let to_u = (frac * f64::from(total)).round() as Time;
        (to_u, total - to_u.min(total))
    }

    /// Time walked along the edge from this position to `offset_m` metres
    /// from its `u` end.
    pub fn time_to(&self, graph: &Graph, offset_m: f32) -> Time {
        let e = graph.edges()[self.edge as usize];
        if e.length_m <= 0.0 {
            return 0;
        }
        let frac = f64::from((self.offset_m - offset_m).abs() / e.length_m).min(1.0);
        (frac * f64::from(graph.edge_time(self.edge))).round() as Time
    }
}

impl AccessPoint {
    /// Search seeds for a walk that starts at this access point.
    /// The off-network walk goes at the graph's walking speed.
    pub fn seeds(&self, graph: &Graph) -> [Seed; 2] {
        let e = graph.edges()[self.pos.edge as usize];
        let (to_u, to_v) = self.pos.times_to_ends(graph);
        let snap = snap_time(self.snap_m, graph.walking_speed_mps());
        [
            Seed {
                node: e.u,
                time: to_u + snap,
            },
            Seed {
                node: e.v,
                time: to_v + snap,
            },
        ]
    }
}

/// Time for the off-network walk of `metres`.
pub fn snap_time(metres: f32, walking_speed_mps: f64) -> Time {
    (f64::from(metres) / walking_speed_mps * 10.0).round() as Time
}

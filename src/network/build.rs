//! Building the walking graph of an extract: which ways are kept (private
//! ones only inside residential compounds), where they are split into edges,
//! the road-crossing model ([`super::crossings`]) and then the CSR graph
//! ([`Graph::from_parts`]). The chain runs one way: osm → build → crossings →
//! graph.

use geo::Contains;
use rstar::{RTree, AABB};

use super::graph::{Edge, Frame, Graph, GraphParts, GraphStats};
use crate::error::Result;
use crate::geodesy::polyline_length_m;
use crate::osm::ingest::{area_kind, AreaGeometry, NodeCoords, OsmData, WalkWay};
use crate::profile::Profile;

impl Graph {
    /// Builds the walking graph of an extract.
    pub fn build(data: &OsmData, profile: &Profile) -> Result<Graph> {
        Graph::build_in(data, profile, None)
    }

    /// [`Graph::build`] in a given frame instead of the kept nodes' own: a
    /// tile ([`crate::tiles`]) is built in the whole extract's, so its
    /// projection and crossing model are those of one run.
    pub fn build_in(data: &OsmData, profile: &Profile, frame: Option<Frame>) -> Result<Graph> {
        let mut stats = GraphStats::default();
        let ways = kept_ways(data, &mut stats);
        let uses = node_uses(data, &ways);
        let mut split = Splitter::new(data.coords.len());
        let mut run = Vec::new();
        for w in &ways {
            split.way(data, w, &uses, &mut run);
        }
        // The per-OSM-node arrays are done with: free them before the crossing
        // model and the CSR allocate (this is the peak of the whole build).
        let Splitter {
            node_of,
            lonlat,
            osm_id,
            edges,
            shapes,
        } = split;
        drop((uses, node_of, ways, run));
        let roles = osm_id.iter().map(|&id| data.role(id)).collect();
        let mut parts = GraphParts {
            lonlat,
            osm_id,
            roles,
            edges,
            shapes,
        };
        let mut crossings = None;
        if profile.crossings.model {
            let origin = frame.and_then(|f| f.crossings);
            (parts, crossings) = super::crossings::model_crossings_about(parts, origin);
        }
        let mut graph = Graph::from_parts_in(parts, profile, stats, frame)?;
        graph.frame.crossings = crossings;
        Ok(graph)
    }
}

/// Which ways are kept: private ones only inside a residential compound
/// (counted in `stats`), none of fewer than two nodes.
fn kept_ways<'a>(data: &'a OsmData, stats: &mut GraphStats) -> Vec<&'a WalkWay> {
    let compounds = CompoundIndex::new(data);
    data.walk_ways
        .iter()
        .filter(|w| {
            let refs = data.refs(w);
            if refs.len() < 2 {
                return false; // a way of fewer than two nodes has no length
            }
            if !w.private {
                return true;
            }
            let inside = data
                .coords
                .get(refs[refs.len() / 2])
                .is_some_and(|p| compounds.contains(p));
            if inside {
                stats.private_ways_kept_in_compounds += 1;
            } else {
                stats.private_ways_dropped += 1;
            }
            inside
        })
        .collect()
}

/// How often each kept coordinate is used, capped at 2, where 2 marks a
/// graph node: ends of ways, nodes used twice, nodes with a role, and the
/// middle of closed ways (so a loop is two edges, not a self-loop).
/// Per-node arrays are indexed by the node's dense index in the kept
/// coordinates (one binary search per reference, no hash maps).
fn node_uses(data: &OsmData, ways: &[&WalkWay]) -> Vec<u8> {
    let coords = &data.coords;
    let mut uses = vec![0u8; coords.len()];
    for w in ways {
        let refs = data.refs(w);
        for (i, &id) in refs.iter().enumerate() {
            let Some(k) = coords.index(id) else { continue };
            let forced = i == 0
                || i == refs.len() - 1
                || (refs[0] == refs[refs.len() - 1] && i == refs.len() / 2)
                || data.role(id) != 0;
            uses[k] = if forced { 2 } else { (uses[k] + 1).min(2) };
        }
    }
    uses
}

/// Ways split into edges between graph nodes, and the nodes so far.
struct Splitter {
    /// Each coordinate's graph node, by dense index (`u32::MAX`: none yet).
    node_of: Vec<u32>,
    lonlat: Vec<[f64; 2]>,
    osm_id: Vec<i64>,
    edges: Vec<Edge>,
    shapes: Vec<Vec<[f64; 2]>>,
}

impl Splitter {
    /// No nodes or edges yet, over `coords` kept coordinates.
    fn new(coords: usize) -> Self {
        Splitter {
            node_of: vec![u32::MAX; coords],
            lonlat: Vec::new(),
            osm_id: Vec::new(),
            edges: Vec::new(),
            shapes: Vec::new(),
        }
    }

    /// Splits one way at nodes missing from the extract (clipped at its
    /// border), and at graph nodes (`uses` of 2); `run` is an empty buffer
    /// for the nodes of the edge being read.
    fn way(&mut self, data: &OsmData, w: &WalkWay, uses: &[u8], run: &mut Vec<(usize, [f64; 2])>) {
        let coords = &data.coords;
        for &id in data.refs(w) {
            let Some((k, p)) = coords.index(id).and_then(|k| Some((k, coords.at(k)?))) else {
                self.flush(coords, w, run);
                continue;
            };
            run.push((k, p));
            if run.len() >= 2 && uses[k] >= 2 {
                self.flush(coords, w, run);
                run.push((k, p));
            }
        }
        self.flush(coords, w, run);
    }

    /// Emits the edge of a `run` of (dense index, position) of way `w`, if it
    /// joins two different nodes with some length, and clears the run.
    fn flush(&mut self, coords: &NodeCoords, w: &WalkWay, run: &mut Vec<(usize, [f64; 2])>) {
        if run.len() >= 2 {
            let (a, b) = (run[0], run[run.len() - 1]);
            let shape: Vec<[f64; 2]> = run.iter().map(|r| r.1).collect();
            let length = polyline_length_m(&shape);
            if a.0 != b.0 && length > 0.0 {
                let (u, v) = (self.node(coords, a), self.node(coords, b));
                self.edges.push(Edge {
                    u,
                    v,
                    length_m: length as f32,
                    class: w.class,
                    flags: w.flags,
                });
                self.shapes.push(shape);
            }
        }
        run.clear();
    }

    /// The graph node of coordinate `k` at `p`, added on first use.
    fn node(&mut self, coords: &NodeCoords, (k, p): (usize, [f64; 2])) -> u32 {
        if self.node_of[k] == u32::MAX {
            self.node_of[k] = self.lonlat.len() as u32;
            self.lonlat.push(p);
            self.osm_id.push(coords.id_at(k));
        }
        self.node_of[k]
    }
}

/// Residential compounds (`landuse=residential`), for the private-way rule.
struct CompoundIndex {
    tree: RTree<rstar::primitives::GeomWithData<rstar::primitives::Rectangle<[f64; 2]>, usize>>,
    polygons: Vec<geo::MultiPolygon<f64>>,
}

impl CompoundIndex {
    fn new(data: &OsmData) -> Self {
        use geo::BoundingRect;
        let polygons: Vec<geo::MultiPolygon<f64>> = data
            .areas
            .iter()
            .filter(|a| a.kind & area_kind::RESIDENTIAL != 0)
            .filter_map(|a| match data.area_geometry(a) {
                Some(AreaGeometry::Polygon(p)) => Some(p),
                _ => None,
            })
            .collect();
        let items = polygons
            .iter()
            .enumerate()
            .filter_map(|(i, p)| {
                let r = p.bounding_rect()?;
                Some(rstar::primitives::GeomWithData::new(
                    rstar::primitives::Rectangle::from_corners(
                        [r.min().x, r.min().y],
                        [r.max().x, r.max().y],
                    ),
                    i,
                ))
            })
            .collect();
        CompoundIndex {
            tree: RTree::bulk_load(items),
            polygons,
        }
    }

    fn contains(&self, p: [f64; 2]) -> bool {
        self.tree
            .locate_in_envelope_intersecting(&AABB::from_point(p))
            .any(|r| self.polygons[r.data].contains(&geo::Coord { x: p[0], y: p[1] }))
    }
}

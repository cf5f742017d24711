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
use crate::osm::ingest::{area_kind, AreaGeometry, OsmData};
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
        let compounds = CompoundIndex::new(data);
        let mut stats = GraphStats::default();

        // Which ways are kept: private ones only inside a residential compound.
        let ways: Vec<_> = data
            .walk_ways
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
            .collect();

        // Graph nodes: ends of ways, nodes used twice, nodes with a role, and the
        // middle of closed ways (so a loop is two edges, not a self-loop).
        // Per-node arrays are indexed by the node's dense index in the kept
        // coordinates (one binary search per reference, no hash maps).
        let coords = &data.coords;
        let mut uses = vec![0u8; coords.len()];
        for w in &ways {
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

        let mut node_of = vec![u32::MAX; coords.len()];
        let mut lonlat: Vec<[f64; 2]> = Vec::new();
        let mut osm_id = Vec::new();
        let mut edges = Vec::new();
        let mut shapes: Vec<Vec<[f64; 2]>> = Vec::new();
        let mut run: Vec<(usize, [f64; 2])> = Vec::new();
        for w in &ways {
            let refs = data.refs(w);
            let mut flush = |run: &mut Vec<(usize, [f64; 2])>| {
                if run.len() >= 2 {
                    let (a, b) = (run[0], run[run.len() - 1]);
                    let shape: Vec<[f64; 2]> = run.iter().map(|r| r.1).collect();
                    let length = polyline_length_m(&shape);
                    if a.0 != b.0 && length > 0.0 {
                        let mut index = |(k, p): (usize, [f64; 2])| {
                            if node_of[k] == u32::MAX {
                                node_of[k] = lonlat.len() as u32;
                                lonlat.push(p);
                                osm_id.push(coords.id_at(k));
                            }
                            node_of[k]
                        };
                        let (u, v) = (index(a), index(b));
                        edges.push(Edge {
                            u,
                            v,
                            length_m: length as f32,
                            class: w.class,
                            flags: w.flags,
                        });
                        shapes.push(shape);
                    }
                }
                run.clear();
            };
            // Split at nodes missing from the extract (clipped at its border),
            // and at graph nodes.
            for &id in refs {
                let Some((k, p)) = coords.index(id).and_then(|k| Some((k, coords.at(k)?))) else {
                    flush(&mut run);
                    continue;
                };
                run.push((k, p));
                if run.len() >= 2 && uses[k] >= 2 {
                    flush(&mut run);
                    run.push((k, p));
                }
            }
            flush(&mut run);
        }
        // The per-OSM-node arrays are done with: free them before the crossing
        // model and the CSR allocate (this is the peak of the whole build).
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

//! Small walking graphs drawn as ASCII maps, for tests (Valhalla's habit):
//!
//! ```text
//! A-----B
//! |     |
//! C-----D    x
//! ```
//!
//! Uppercase letters, `*` and `@` (a junction with traffic signals) are graph
//! nodes; runs of `-`/`|` are footways, `=`/`!` major roads, `#` steps (either
//! way); `+` lets a run pass over another without meeting it (a bridge);
//! lowercase letters are probe points (not in the graph). Every character is
//! `METRES` wide and every line `METRES` tall. Write maps as raw strings
//! (`r"` and a newline): the first newline is dropped, leading spaces kept.

use std::collections::HashMap;

use crate::geodesy::{haversine_m, LocalProjection};
use crate::network::graph::{Edge, Graph, GraphParts, GraphStats};
use crate::osm::walkable::WayClass;
use crate::profile::Profile;

pub const METRES: f64 = 10.0;

pub struct TestMap {
    pub graph: Graph,
    /// Graph node of each uppercase letter.
    pub nodes: HashMap<char, u32>,
    /// Projected position (graph metres) of each lowercase probe.
    pub probes: HashMap<char, [f64; 2]>,
}

impl TestMap {
    pub fn parse(map: &str, profile: &Profile) -> TestMap {
        // Maps written as raw strings start with a newline after the quote.
        let map = map.strip_prefix('\n').unwrap_or(map);
        let rows: Vec<Vec<char>> = map.lines().map(|l| l.chars().collect()).collect();
        let at = |r: usize, c: usize| {
            rows.get(r)
                .and_then(|row| row.get(c))
                .copied()
                .unwrap_or(' ')
        };
        let origin = LocalProjection::new(116.3, 37.4);
        let lonlat =
            |r: usize, c: usize| origin.unproject([c as f64 * METRES, -(r as f64) * METRES]);
        let is_node = |ch: char| ch.is_ascii_uppercase() || ch == '*' || ch == '@';
        let mut parts = GraphParts::default();
        let mut index: HashMap<(usize, usize), u32> = HashMap::new();
        let mut letters = HashMap::new();
        let mut probe_lonlat = HashMap::new();
        for (r, row) in rows.iter().enumerate() {
            for (c, &ch) in row.iter().enumerate() {
                if is_node(ch) {
                    index.insert((r, c), parts.lonlat.len() as u32);
                    if ch != '*' {
                        letters.insert(ch, (r, c));
                    }
                    parts.lonlat.push(lonlat(r, c));
                    parts.osm_id.push(parts.osm_id.len() as i64 + 1);
                    parts.roles.push(if ch == '@' {
                        crate::osm::walkable::node_role::SIGNALS
                    } else {
                        0
                    });
                } else if ch.is_ascii_lowercase() {
                    probe_lonlat.insert(ch, lonlat(r, c));
                }
            }
        }
        let add = |a: (usize, usize), b: (usize, usize), kind: char, parts: &mut GraphParts| {
            let (pa, pb) = (lonlat(a.0, a.1), lonlat(b.0, b.1));
            let (class, flags) = match kind {
                '=' | '!' => (WayClass::Arterial, crate::osm::walkable::way_flag::MAJOR),
                '#' => (WayClass::Steps, 0),
                _ => (WayClass::Footway, 0),
            };
            parts.edges.push(Edge {
                u: index[&a],
                v: index[&b],
                length_m: haversine_m(pa, pb) as f32,
                class,
                flags,
            });
            parts.shapes.push(vec![pa, pb]);
        };
        let mut positions: Vec<(usize, usize)> = index.keys().copied().collect();
        positions.sort_unstable();
        for (r, c) in positions {
            // A run's first character says what it is; `+` passes over a crossing run.
            let kind = at(r, c + 1);
            if matches!(kind, '-' | '=' | '#') {
                let mut k = c + 1;
                while at(r, k) == kind || at(r, k) == '+' {
                    k += 1;
                }
                assert!(
                    is_node(at(r, k)),
                    "a '{kind}' run at line {r} ends without a node"
                );
                add((r, c), (r, k), kind, &mut parts);
            }
            let kind = at(r + 1, c);
            if matches!(kind, '|' | '!' | '#') {
                let mut k = r + 1;
                while at(k, c) == kind || at(k, c) == '+' {
                    k += 1;
                }
                assert!(
                    is_node(at(k, c)),
                    "a '{kind}' run at column {c} ends without a node"
                );
                add((r, c), (k, c), kind, &mut parts);
            }
        }
        let osm_of: HashMap<char, i64> = letters
            .iter()
            .map(|(&ch, pos)| (ch, index[pos] as i64 + 1))
            .collect();
        let mut profile = profile.clone();
        profile.min_component_nodes = 1;
        if profile.crossings.model {
            parts = crate::network::crossings::model_crossings(parts);
        }
        let graph =
            Graph::from_parts(parts, &profile, GraphStats::default()).expect("the map has edges");
        let nodes = osm_of
            .into_iter()
            .map(|(ch, osm)| {
                (
                    ch,
                    graph.osm_id.iter().position(|&o| o == osm).unwrap() as u32,
                )
            })
            .collect();
        let probes = probe_lonlat
            .into_iter()
            .map(|(ch, p)| (ch, graph.projection.project(p)))
            .collect();
        TestMap {
            graph,
            nodes,
            probes,
        }
    }
}

/// A real extract from `data/osm/`, through every stage up to the places.
pub fn load_extract(
    name: &str,
) -> (
    Graph,
    Vec<crate::places::Facility>,
    Vec<crate::places::Community>,
    Profile,
) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("data/osm")
        .join(name);
    let profile = Profile::default();
    let data = crate::osm::ingest::read_osm(&path, &profile).unwrap();
    let graph = Graph::build(&data, &profile).unwrap();
    let index = crate::places::snap::GraphIndex::new(&graph);
    let facilities = crate::places::facilities(&data, &graph, &index, &profile);
    let homes = crate::places::units::Homes::new(&data);
    let streets = crate::places::units::Streets::new(&data);
    let (mut inputs, _) = crate::places::units::osm_units(&data, &homes, &streets);
    crate::places::community_file::repair_osm_communities(&mut inputs);
    let communities = crate::places::communities(inputs, &graph, &index, &profile);
    (graph, facilities, communities, profile)
}

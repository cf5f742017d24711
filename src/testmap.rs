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
        let grid = Grid {
            rows: map.lines().map(|l| l.chars().collect()).collect(),
            origin: LocalProjection::new(116.3, 37.4),
        };
        let Drawn {
            mut parts,
            index,
            letters,
            probe_lonlat,
        } = grid.nodes();
        grid.add_runs(&index, &mut parts);
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
                    graph.osm_id().iter().position(|&o| o == osm).unwrap() as u32,
                )
            })
            .collect();
        let probes = probe_lonlat
            .into_iter()
            .map(|(ch, p)| (ch, graph.projection().project(p)))
            .collect();
        TestMap {
            graph,
            nodes,
            probes,
        }
    }
}

/// A map's characters by line and column, placed around a fixed origin.
struct Grid {
    rows: Vec<Vec<char>>,
    origin: LocalProjection,
}

/// The nodes and probes read off a map.
struct Drawn {
    /// The nodes, no edges yet.
    parts: GraphParts,
    /// Node index of each node character's (line, column).
    index: HashMap<(usize, usize), u32>,
    /// (line, column) of each letter node.
    letters: HashMap<char, (usize, usize)>,
    /// Lon/lat of each lowercase probe.
    probe_lonlat: HashMap<char, [f64; 2]>,
}

impl Grid {
    /// The character at line `r`, column `c` (a space beyond the map).
    fn at(&self, r: usize, c: usize) -> char {
        self.rows
            .get(r)
            .and_then(|row| row.get(c))
            .copied()
            .unwrap_or(' ')
    }

    /// The lon/lat of line `r`, column `c`.
    fn lonlat(&self, r: usize, c: usize) -> [f64; 2] {
        self.origin
            .unproject([c as f64 * METRES, -(r as f64) * METRES])
    }

    /// Whether a character is a graph node.
    fn is_node(ch: char) -> bool {
        ch.is_ascii_uppercase() || ch == '*' || ch == '@'
    }

    /// The map's nodes (in reading order) and probes.
    fn nodes(&self) -> Drawn {
        let mut drawn = Drawn {
            parts: GraphParts::default(),
            index: HashMap::new(),
            letters: HashMap::new(),
            probe_lonlat: HashMap::new(),
        };
        let parts = &mut drawn.parts;
        for (r, row) in self.rows.iter().enumerate() {
            for (c, &ch) in row.iter().enumerate() {
                if Self::is_node(ch) {
                    drawn.index.insert((r, c), parts.lonlat.len() as u32);
                    if ch != '*' {
                        drawn.letters.insert(ch, (r, c));
                    }
                    parts.lonlat.push(self.lonlat(r, c));
                    parts.osm_id.push(parts.osm_id.len() as i64 + 1);
                    parts.roles.push(if ch == '@' {
                        crate::osm::walkable::node_role::SIGNALS
                    } else {
                        0
                    });
                } else if ch.is_ascii_lowercase() {
                    drawn.probe_lonlat.insert(ch, self.lonlat(r, c));
                }
            }
        }
        drawn
    }

    /// An edge for each run from a node rightwards or downwards, in order of
    /// the nodes' positions.
    fn add_runs(&self, index: &HashMap<(usize, usize), u32>, parts: &mut GraphParts) {
        let mut positions: Vec<(usize, usize)> = index.keys().copied().collect();
        positions.sort_unstable();
        for (r, c) in positions {
            // A run's first character says what it is; `+` passes over a crossing run.
            let kind = self.at(r, c + 1);
            if matches!(kind, '-' | '=' | '#') {
                let mut k = c + 1;
                while self.at(r, k) == kind || self.at(r, k) == '+' {
                    k += 1;
                }
                assert!(
                    Self::is_node(self.at(r, k)),
                    "a '{kind}' run at line {r} ends without a node"
                );
                self.add_edge((r, c), (r, k), kind, index, parts);
            }
            let kind = self.at(r + 1, c);
            if matches!(kind, '|' | '!' | '#') {
                let mut k = r + 1;
                while self.at(k, c) == kind || self.at(k, c) == '+' {
                    k += 1;
                }
                assert!(
                    Self::is_node(self.at(k, c)),
                    "a '{kind}' run at column {c} ends without a node"
                );
                self.add_edge((r, c), (k, c), kind, index, parts);
            }
        }
    }

    /// The straight edge of a run of `kind` between nodes at `a` and `b`.
    fn add_edge(
        &self,
        a: (usize, usize),
        b: (usize, usize),
        kind: char,
        index: &HashMap<(usize, usize), u32>,
        parts: &mut GraphParts,
    ) {
        let (pa, pb) = (self.lonlat(a.0, a.1), self.lonlat(b.0, b.1));
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

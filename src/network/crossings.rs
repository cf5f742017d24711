//! Stage 2b: crossing major roads, modelled in the graph.
//!
//! A child does not walk *on* an arterial; it walks on a sidewalk on one side
//! of it, and getting to the other side is a crossing — a wait at the lights,
//! a dash across a zebra, or, for the youngest, not at all. Generic isochrone
//! tools ignore this; here it is part of the graph, so searches and polygons
//! respect it alike:
//!
//! - every major road edge (see [`crate::osm::walkable::way_flag::MAJOR`]) becomes
//!   two sidewalk edges, offset a few metres to its left and right (so a school
//!   snaps to the sidewalk on its own side);
//! - every graph node on a major road is split into **corners**, one per
//!   sector between its major legs (two where an arterial passes a side
//!   street, four at a crossroads of two arterials); each minor way joins the
//!   corner its direction falls in, each sidewalk the corner on its side;
//! - adjacent corners are joined by a **crossing edge** of one road width,
//!   flagged signalled, marked (zebra) or unmarked from the node's tags, whose
//!   delay (or prohibition) comes from the profile's age group.
//!
//! Footbridges and underpasses are separate ways that never touch the road at
//! grade, so they need no special case: they simply cost no crossing.

use crate::geodesy::LocalProjection;
use crate::network::graph::{Edge, GraphParts};
use crate::osm::walkable::{node_role, way_flag, WayClass};

/// How far sidewalks and corners sit from the road's centre line, metres.
pub const SIDEWALK_OFFSET_M: f64 = 6.0;
/// Length of a crossing: a typical four-lane urban road with its kerbs.
pub const CROSSING_LENGTH_M: f32 = 15.0;

/// Splits major roads into sidewalks, corners and crossings.
pub fn model_crossings(parts: GraphParts) -> GraphParts {
    model_crossings_about(parts, None).0
}

/// [`model_crossings`] with its local projection centred on `origin`
/// (default: the mean of the nodes); returns the origin it used, if any.
pub fn model_crossings_about(
    mut parts: GraphParts,
    origin: Option<[f64; 2]>,
) -> (GraphParts, Option<[f64; 2]>) {
    let n = parts.lonlat.len();
    if !parts.edges.iter().any(|e| e.flags & way_flag::MAJOR != 0) || n == 0 {
        return (parts, None);
    }
    // A local projection for angles and offsets.
    let [lon0, lat0] = origin.unwrap_or_else(|| {
        let (lon, lat) = parts
            .lonlat
            .iter()
            .fold((0.0, 0.0), |a, p| (a.0 + p[0], a.1 + p[1]));
        [lon / n as f64, lat / n as f64]
    });
    let proj = LocalProjection::new(lon0, lat0);

    let mut out = GraphParts {
        lonlat: parts.lonlat.clone(),
        osm_id: parts.osm_id.clone(),
        roles: parts.roles.clone(),
        ..Default::default()
    };
    let corners = split_nodes(&parts, &proj, &mut out);

    // Shapes move from the old parts to the new as edges are emitted, so the
    // two sets never coexist.
    for (i, e) in parts.edges.iter().enumerate() {
        let shape = std::mem::take(&mut parts.shapes[i]);
        let (au, av) = (
            leaving_angle(&proj, &shape, true),
            leaving_angle(&proj, &shape, false),
        );
        if !is_major(e) {
            let (u, v) = (
                corners.corner_at(e.u as usize, au),
                corners.corner_at(e.v as usize, av),
            );
            let mut s = shape;
            s[0] = out.lonlat[u as usize];
            let last = s.len() - 1;
            s[last] = out.lonlat[v as usize];
            out.edges.push(Edge { u, v, ..*e });
            out.shapes.push(s);
            continue;
        }
        push_sidewalks(e, &shape, [au, av], &corners, &proj, &mut out);
    }
    (out, Some([lon0, lat0]))
}

/// Whether an edge is part of a major road.
fn is_major(e: &Edge) -> bool {
    e.flags & way_flag::MAJOR != 0
}

/// The direction (radians, projected) in which an edge's shape leaves its
/// `u` end (`from_u`) or its `v` end.
fn leaving_angle(proj: &LocalProjection, shape: &[[f64; 2]], from_u: bool) -> f64 {
    let (a, b) = if from_u {
        (shape[0], shape[1])
    } else {
        (shape[shape.len() - 1], shape[shape.len() - 2])
    };
    let (pa, pb) = (proj.project(a), proj.project(b));
    (pb[1] - pa[1]).atan2(pb[0] - pa[0])
}

/// Incident edges of each node (CSR: `first` indexes `incident`), each with
/// the direction it leaves the node: edge index * 2 + 1 when leaving from
/// its `u` end.
fn incidence(parts: &GraphParts) -> (Vec<u32>, Vec<u32>) {
    let n = parts.lonlat.len();
    let mut first = vec![0u32; n + 1];
    for e in &parts.edges {
        first[e.u as usize + 1] += 1;
        first[e.v as usize + 1] += 1;
    }
    for i in 0..n {
        first[i + 1] += first[i];
    }
    let mut fill = first.clone();
    let mut incident = vec![0u32; parts.edges.len() * 2];
    for (i, e) in parts.edges.iter().enumerate() {
        for (end, from_u) in [(e.u, 1), (e.v, 0)] {
            incident[fill[end as usize] as usize] = i as u32 * 2 + from_u;
            fill[end as usize] += 1;
        }
    }
    (first, incident)
}

/// Per node split into corners: the major legs' angles (sorted) and the
/// corner node of each sector (most nodes are not split: an index, not a
/// pair of vectors per node).
struct Corners {
    sector_of: Vec<u32>,
    sectors: Vec<(Vec<f64>, Vec<u32>)>,
}

impl Corners {
    /// The legs and corners of `node`; both empty where it was not split.
    fn sector(&self, node: usize) -> (&[f64], &[u32]) {
        match self.sectors.get(self.sector_of[node] as usize) {
            Some((legs, corners)) => (legs, corners),
            None => (&[], &[]),
        }
    }

    /// The corner a direction leaving `node` falls in: the sector after the
    /// last major leg at or below the angle (cyclically).
    fn corner_at(&self, node: usize, angle: f64) -> u32 {
        let (legs, corners) = self.sector(node);
        if legs.is_empty() {
            return node as u32;
        }
        let i = legs
            .iter()
            .rposition(|&a| a <= angle)
            .unwrap_or(legs.len() - 1);
        corners[i]
    }

    /// Corners just before / after a major leg leaving at `angle`.
    fn side_corners(&self, node: usize, angle: f64) -> (u32, u32) {
        let (legs, corners) = self.sector(node);
        if legs.is_empty() {
            return (node as u32, node as u32);
        }
        if corners.len() == 2 && legs.len() == 1 {
            // A dead end: corner 0 lies counter-clockwise of the leg.
            return (corners[1], corners[0]);
        }
        let i = legs
            .iter()
            .position(|&a| (a - angle).abs() < 1e-9)
            .unwrap_or(0);
        let before = corners[(i + legs.len() - 1) % legs.len()];
        (before, corners[i])
    }
}

/// Splits every node on a major road into corners, adding the new corner
/// nodes and the crossing edges between them to `out`.
fn split_nodes(parts: &GraphParts, proj: &LocalProjection, out: &mut GraphParts) -> Corners {
    let n = parts.lonlat.len();
    let (first, incident) = incidence(parts);
    let mut split = Corners {
        sector_of: vec![u32::MAX; n],
        sectors: Vec::new(),
    };
    for node in 0..n {
        let incident = &incident[first[node] as usize..first[node + 1] as usize];
        let mut legs: Vec<f64> = incident
            .iter()
            .map(|&k| ((k / 2) as usize, k % 2 == 1))
            .filter(|&(e, _)| is_major(&parts.edges[e]))
            .map(|(e, from_u)| leaving_angle(proj, &parts.shapes[e], from_u))
            .collect();
        // Where a major road just ends (the edge of the extract, or a dead
        // end), its two sidewalks stay apart: walking round the end of a
        // clipped arterial is no way across it. Where it turns into a minor
        // road (one major leg and minor ones), the sidewalks meet freely.
        let dead_end = legs.len() == 1 && incident.len() == 1;
        if legs.len() < 2 && !dead_end {
            continue;
        }
        legs.sort_by(f64::total_cmp);
        let corners = place_corners(parts, proj, node, &legs, dead_end, out);
        push_crossings(parts.roles[node], &corners, dead_end, out);
        split.sector_of[node] = split.sectors.len() as u32;
        split.sectors.push((legs, corners));
    }
    split
}

/// The corner nodes of `node`, one per sector between its sorted major
/// `legs` (two either side of a dead end's single leg), each placed a
/// sidewalk's offset into its sector. Corner 0 keeps the node's own index
/// (and its OSM id and roles); the others are added to `out`.
fn place_corners(
    parts: &GraphParts,
    proj: &LocalProjection,
    node: usize,
    legs: &[f64],
    dead_end: bool,
    out: &mut GraphParts,
) -> Vec<u32> {
    let centre = proj.project(parts.lonlat[node]);
    let mut corners = Vec::with_capacity(legs.len().max(2));
    for i in 0..legs.len().max(2) {
        let (a, mut b) = (legs[i % legs.len()], legs[(i + 1) % legs.len()]);
        if dead_end {
            // Two corners either side of the single leg.
            b = a + std::f64::consts::PI * if i == 0 { 1.0 } else { -1.0 };
        }
        if b <= a {
            b += std::f64::consts::TAU;
        }
        let mid = (a + b) / 2.0;
        let at = proj.unproject([
            centre[0] + SIDEWALK_OFFSET_M * mid.cos(),
            centre[1] + SIDEWALK_OFFSET_M * mid.sin(),
        ]);
        let id = if i == 0 {
            out.lonlat[node] = at;
            node as u32
        } else {
            out.lonlat.push(at);
            out.osm_id.push(parts.osm_id[node]);
            out.roles.push(parts.roles[node]);
            (out.lonlat.len() - 1) as u32
        };
        corners.push(id);
    }
    corners
}

/// Crossing edges between adjacent corners, one per major leg, flagged from
/// the node's `roles` (signals, marking); none at a dead end.
fn push_crossings(roles: u8, corners: &[u32], dead_end: bool, out: &mut GraphParts) {
    let kind = if roles & node_role::SIGNALS != 0 {
        way_flag::SIGNALLED
    } else if roles & node_role::MARKED != 0 {
        way_flag::MARKED
    } else {
        0
    };
    let pairs: Vec<(u32, u32)> = if dead_end {
        vec![]
    } else if corners.len() == 2 {
        vec![(corners[0], corners[1])]
    } else {
        (0..corners.len())
            .map(|i| (corners[(i + corners.len() - 1) % corners.len()], corners[i]))
            .collect()
    };
    for (a, b) in pairs {
        out.edges.push(Edge {
            u: a,
            v: b,
            length_m: CROSSING_LENGTH_M,
            class: WayClass::Footway,
            flags: way_flag::CROSSING | kind,
        });
        out.shapes
            .push(vec![out.lonlat[a as usize], out.lonlat[b as usize]]);
    }
}

/// The two sidewalks of major edge `e` (its `shape` leaving its ends at
/// angles `au` and `av`), each offset to its side and joined to the corners
/// there.
fn push_sidewalks(
    e: &Edge,
    shape: &[[f64; 2]],
    [au, av]: [f64; 2],
    corners: &Corners,
    proj: &LocalProjection,
    out: &mut GraphParts,
) {
    let xy = |p: [f64; 2]| proj.project(p);
    let back = |p: [f64; 2]| proj.unproject(p);
    // Left of u→v: after the leg at u (counter-clockwise), before it at v.
    let (u_right, u_left) = corners.side_corners(e.u as usize, au);
    let (v_left, v_right) = corners.side_corners(e.v as usize, av);
    for (left, u, v, no_sidewalk) in [
        (true, u_left, v_left, way_flag::NO_SIDEWALK_LEFT),
        (false, u_right, v_right, way_flag::NO_SIDEWALK_RIGHT),
    ] {
        let mut s = Vec::with_capacity(shape.len() + 2);
        s.push(out.lonlat[u as usize]);
        s.extend(offset(
            shape,
            if left {
                SIDEWALK_OFFSET_M
            } else {
                -SIDEWALK_OFFSET_M
            },
            &xy,
            &back,
        ));
        s.push(out.lonlat[v as usize]);
        // Only this side's sidewalk flag stays with the sidewalk.
        let flags = (e.flags & !(way_flag::NO_SIDEWALK_LEFT | way_flag::NO_SIDEWALK_RIGHT))
            | if e.flags & no_sidewalk != 0 {
                way_flag::NO_SIDEWALK_LEFT | way_flag::NO_SIDEWALK_RIGHT
            } else {
                0
            };
        out.edges.push(Edge { u, v, flags, ..*e });
        out.shapes.push(s);
    }
}

/// The polyline moved `d` metres to its left (negative: right).
fn offset(
    shape: &[[f64; 2]],
    d: f64,
    xy: &dyn Fn([f64; 2]) -> [f64; 2],
    back: &dyn Fn([f64; 2]) -> [f64; 2],
) -> Vec<[f64; 2]> {
    let pts: Vec<[f64; 2]> = shape.iter().map(|&p| xy(p)).collect();
    let normal = |a: [f64; 2], b: [f64; 2]| {
        let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
        let len = (dx * dx + dy * dy).sqrt().max(1e-9);
        [-dy / len, dx / len]
    };
    (0..pts.len())
        .map(|i| {
            let n_prev = if i > 0 {
                Some(normal(pts[i - 1], pts[i]))
            } else {
                None
            };
            let n_next = if i + 1 < pts.len() {
                Some(normal(pts[i], pts[i + 1]))
            } else {
                None
            };
            let n = match (n_prev, n_next) {
                (Some(a), Some(b)) => {
                    let s = [a[0] + b[0], a[1] + b[1]];
                    let len = (s[0] * s[0] + s[1] * s[1]).sqrt().max(1e-9);
                    [s[0] / len, s[1] / len]
                }
                (Some(a), None) | (None, Some(a)) => a,
                (None, None) => [0.0, 0.0],
            };
            back([pts[i][0] + d * n[0], pts[i][1] + d * n[1]])
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::profile::Profile;
    use crate::search::{SearchState, Seed};
    use crate::testmap::TestMap;
    use crate::time::Time;

    /// Walking time from node `from` to node `to` of a map.
    fn time(map: &TestMap, from: char, to: char) -> Time {
        let mut state = SearchState::new(map.graph.node_count());
        let seeds = [Seed {
            node: map.nodes[&from],
            time: 0,
        }];
        state.run(&map.graph, &seeds, 100_000);
        state.time(map.nodes[&to])
    }

    fn child() -> Profile {
        Profile::default().for_age("6-12").unwrap()
    }

    fn adult() -> Profile {
        Profile::builtin("adult").unwrap()
    }

    /// Two schools at nearly the same distance from home H: P along quiet
    /// footways, S a little nearer but across an arterial with no signals. An
    /// adult goes to S; a child's nearest school is P.
    const BEHIND_AN_ARTERIAL: &str = "\
P-----------H
            |
            |
            |
A===========X===========B
            |
            |
            |
            |
            S";

    #[test]
    fn a_child_avoids_an_unsignalled_arterial() {
        let map = TestMap::parse(BEHIND_AN_ARTERIAL, &adult());
        assert!(
            time(&map, 'H', 'S') < time(&map, 'H', 'P'),
            "the adult's nearest school is S"
        );
        let map = TestMap::parse(BEHIND_AN_ARTERIAL, &child());
        assert!(
            time(&map, 'H', 'P') < time(&map, 'H', 'S'),
            "the child's nearest school is P"
        );
        // Symmetric: the search from the school finds home just as well.
        assert_eq!(time(&map, 'H', 'S'), time(&map, 'S', 'H'));
    }

    #[test]
    fn traffic_signals_make_the_crossing_cheaper_and_the_youngest_need_them() {
        let signalled = BEHIND_AN_ARTERIAL.replace('X', "@");
        let plain = TestMap::parse(BEHIND_AN_ARTERIAL, &child());
        let lights = TestMap::parse(&signalled, &child());
        assert!(time(&lights, 'H', 'S') < time(&plain, 'H', 'S'));
        // In a stroller an unsignalled arterial cannot be crossed at all...
        let toddler = Profile::default().for_age("0-3").unwrap();
        let plain = TestMap::parse(BEHIND_AN_ARTERIAL, &toddler);
        assert_eq!(time(&plain, 'H', 'S'), crate::time::UNREACHED);
        // ...but a signalled one can.
        let lights = TestMap::parse(&signalled, &toddler);
        assert!(time(&lights, 'H', 'S') < crate::time::UNREACHED);
    }

    /// A footbridge (`+`: the path passes over the road without meeting it)
    /// costs no crossing; the same path meeting the road at grade does.
    #[test]
    fn a_footbridge_makes_the_arterial_crossable() {
        const BRIDGE: &str = r"
            H
            |
            |
A===========+===========B
            |
            |
            |
            |
            S";
        let bridge = TestMap::parse(BRIDGE, &child());
        assert_eq!(time(&bridge, 'H', 'S'), 800, "80 m at 1 m/s, no wait");
        let at_grade = TestMap::parse(&BRIDGE.replace('+', "*"), &child());
        let t = time(&at_grade, 'H', 'S');
        assert!(
            t >= 800 + 150 + 600,
            "80 m, a 15 m crossing and a 60 s wait: {t}"
        );
    }

    /// The stroller cannot take the steps: it goes the long way round.
    #[test]
    fn the_stroller_avoids_steps() {
        const STEPS: &str = "\
H#####S
|     |
|     |
|     |
|     |
|     |
A-----B";
        let walking = TestMap::parse(STEPS, &child());
        let stroller = TestMap::parse(STEPS, &Profile::default().for_age("0-3").unwrap());
        let (w, s) = (time(&walking, 'H', 'S'), time(&stroller, 'H', 'S'));
        // 60 m of steps at half speed: 120 s for the walker.
        assert_eq!(w, 1200);
        // 60 + 60 + 60 m round the block at 0.8 m/s: 225 s for the stroller.
        assert_eq!(s, 2250);
    }

    /// Sidewalks keep their side: walking along the arterial needs no crossing,
    /// and both sides are reachable from a side street.
    #[test]
    fn sidewalks_along_the_arterial_need_no_crossing() {
        let map = TestMap::parse(
            r"
A===========X===========B
|           |
|           |
C           H",
            &child(),
        );
        // From the side street along the near sidewalk to the corner street:
        // 30 + 120 + 30 m at 1 m/s, with no crossing (the sidewalks' offsets
        // shorten the corners by a few metres).
        let t = time(&map, 'H', 'C');
        assert!((1650..=1800).contains(&t), "{t}");
        assert!(t < 1800 + 600, "no 60 s wait");
    }
}

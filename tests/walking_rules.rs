//! The walking rules on a tiny extract written with the project's own PBF
//! writer: which ways become part of the walking graph.

use childcircle::network::graph::Graph;
use childcircle::osm::ingest::read_osm;
use childcircle::Profile;
use childcircle_synth::PbfWriter;

/// Node `id` at (x, y) in units of ~100 m around Dezhou's centre.
fn lonlat(x: f64, y: f64) -> (f64, f64) {
    (37.45 + y * 0.0009, 116.31 + x * 0.00113)
}

#[test]
fn walking_rules_decide_what_is_walkable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rules.osm.pbf");
    let file = std::fs::File::create(&path).unwrap();
    let mut w = PbfWriter::new(file, None).unwrap();
    let nodes: &[(i64, f64, f64)] = &[
        (1, 0.0, 0.0),
        (2, 1.0, 0.0),
        (3, 2.0, 0.0),
        (5, 1.0, 2.0),  // inside the compound
        (6, 1.0, -2.0), // south, outside any compound
        (7, 3.0, 0.0),
        (8, -1.0, 0.0),
        (9, 0.0, -1.0),
        (14, 2.0, 1.0),
        (15, 3.0, 1.0),
        (10, 0.0, 1.0), // compound outline
        (11, 2.5, 1.0),
        (12, 2.5, 3.0),
        (13, 0.0, 3.0),
        (20, 30.0, 30.0), // a far-away island
        (21, 30.5, 30.0),
    ];
    let mut nodes = nodes.to_vec();
    nodes.sort_by_key(|n| n.0);
    for (id, x, y) in nodes {
        let (lat, lon) = lonlat(x, y);
        w.add_node(id, lat, lon, &[]).unwrap();
    }
    type Tags<'a> = &'a [(&'a str, &'a str)];
    let ways: &[(i64, &[i64], Tags)] = &[
        (100, &[1, 2, 3], &[("highway", "residential")]),
        (
            101,
            &[2, 5],
            &[("highway", "footway"), ("access", "private")],
        ),
        (
            102,
            &[2, 6],
            &[("highway", "footway"), ("access", "private")],
        ),
        (103, &[3, 7], &[("highway", "cycleway")]),
        (
            104,
            &[1, 8],
            &[("highway", "cycleway"), ("foot", "designated")],
        ),
        (105, &[1, 9], &[("highway", "motorway")]),
        (106, &[3, 14], &[("highway", "steps")]),
        (107, &[14, 15], &[("highway", "primary"), ("foot", "no")]),
        (
            108,
            &[10, 11, 12, 13, 10],
            &[("landuse", "residential"), ("name", "康乐小区")],
        ),
        (109, &[20, 21], &[("highway", "footway")]),
    ];
    for &(id, refs, tags) in ways {
        w.add_way(id, refs, tags).unwrap();
    }
    w.finish().unwrap();

    let profile = Profile::default();
    let data = read_osm(&path, &profile).unwrap();
    let graph = Graph::build(&data, &profile).unwrap();
    let has = |id: i64| graph.osm_id().contains(&id);
    assert!(
        has(5),
        "access=private inside a residential compound stays walkable"
    );
    assert!(!has(6), "access=private outside compounds is dropped");
    assert!(!has(7), "a cycleway without foot access is not walkable");
    assert!(has(8), "a cycleway with foot=designated is walkable");
    assert!(!has(9), "motorways are never walkable");
    assert!(has(14), "steps are walkable");
    assert!(!has(15), "foot=no drops the way");
    assert!(!has(20) && !has(21), "a two-node island is dropped");
    assert_eq!(graph.stats().components_dropped, 1);
    assert_eq!(graph.stats().private_ways_kept_in_compounds, 1);
    assert_eq!(graph.stats().private_ways_dropped, 1);

    // Steps are walked at half speed: twice the time per metre of a street.
    let per_metre = |a: i64, b: i64| {
        let (a, b) = (
            graph.osm_id().iter().position(|&o| o == a).unwrap() as u32,
            graph.osm_id().iter().position(|&o| o == b).unwrap() as u32,
        );
        let (arc, e) = graph
            .arcs_with_edges(a)
            .find(|(arc, _)| arc.head == b)
            .unwrap();
        f64::from(arc.weight) / f64::from(graph.edges()[e as usize].length_m)
    };
    let ratio = per_metre(3, 14) / per_metre(2, 3);
    assert!(
        (ratio - 2.0).abs() < 0.01,
        "steps/street time ratio {ratio}"
    );
}

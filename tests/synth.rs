//! Tests of the synthetic Dezhou generator and its PBF writer, through the
//! public API and an independent reader (`osmpbfreader`).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Cursor;
use std::sync::OnceLock;

use childcircle_synth::{
    generate_pbf, generate_pbf_to_writer, MemberType, PbfWriter, Region, SynthOptions, SynthStats,
};
use geo::{Contains, Coord, LineString, MultiPolygon, Point, Polygon};
use osmpbfreader::{Node, NodeId, OsmId, OsmObj, OsmPbfReader, Relation, Way};

const DISTRICTS: &str = include_str!("../data/dezhou/districts.geojson");
const VILLAGES: &str = include_str!("../data/dezhou/dezhou_villages_communities.csv");

fn read_all(bytes: &[u8]) -> (Vec<Node>, Vec<Way>, Vec<Relation>) {
    let mut reader = OsmPbfReader::new(Cursor::new(bytes));
    let (mut nodes, mut ways, mut rels) = (Vec::new(), Vec::new(), Vec::new());
    for obj in reader.iter() {
        match obj.expect("valid PBF") {
            OsmObj::Node(n) => nodes.push(n),
            OsmObj::Way(w) => ways.push(w),
            OsmObj::Relation(r) => rels.push(r),
        }
    }
    (nodes, ways, rels)
}

fn tag<'a>(tags: &'a osmpbfreader::Tags, key: &str) -> Option<&'a str> {
    tags.get(key).map(|s| s.as_str())
}

// ---- PBF writer ----------------------------------------------------------------

#[test]
fn pbf_round_trip_through_osmpbfreader() {
    const BIG: i64 = 9_000_000_000;
    let n_nodes = 20_000i64; // > 2 blocks of 8000, so deltas restart per block
    let mut buf = Vec::new();
    let mut w = PbfWriter::new(&mut buf, None).unwrap();
    let node_lat = |k: i64| -33.9 + k as f64 * 1e-5;
    let node_lon = |k: i64| {
        if k % 2 == 0 {
            -70.65 - k as f64 * 1e-5
        } else {
            151.2 + k as f64 * 1e-5
        }
    };
    for k in 0..n_nodes {
        let id = BIG + k * 3;
        let name = format!("节点{k}");
        let tags: Vec<(&str, &str)> = if k % 7 == 0 {
            vec![("name", &name), ("amenity", "幼儿园")]
        } else {
            vec![]
        };
        w.add_node(id, node_lat(k), node_lon(k), &tags).unwrap();
    }
    for k in 0..9_000i64 {
        let refs: Vec<i64> = (0..4)
            .map(|j| BIG + ((k * 5 + j * 1_001) % n_nodes) * 3)
            .collect();
        w.add_way(
            k + 1,
            &refs,
            &[("highway", "footway"), ("name", "湖滨北大道")],
        )
        .unwrap();
    }
    let members = [
        (MemberType::Node, BIG, "label"),
        (MemberType::Way, 3, "outer"),
        (MemberType::Relation, 1, ""),
    ];
    w.add_relation(
        1,
        &[(MemberType::Way, 1, "outer")],
        &[("type", "multipolygon")],
    )
    .unwrap();
    w.add_relation(BIG, &members, &[("type", "boundary"), ("name", "新湖街道")])
        .unwrap();
    let (_, stats) = w.finish().unwrap();
    assert_eq!(
        (stats.nodes, stats.ways, stats.relations),
        (20_000, 9_000, 2)
    );
    assert_eq!(stats.bytes as usize, buf.len());
    assert!(stats.blocks >= 5);

    let (nodes, ways, rels) = read_all(&buf);
    assert_eq!(nodes.len(), n_nodes as usize);
    for (k, n) in nodes.iter().enumerate() {
        let k = k as i64;
        assert_eq!(n.id, NodeId(BIG + k * 3));
        assert_eq!(n.decimicro_lat as i64, (node_lat(k) * 1e7).round() as i64);
        assert_eq!(n.decimicro_lon as i64, (node_lon(k) * 1e7).round() as i64);
        if k % 7 == 0 {
            assert_eq!(tag(&n.tags, "name"), Some(format!("节点{k}").as_str()));
            assert_eq!(tag(&n.tags, "amenity"), Some("幼儿园"));
        } else {
            assert!(n.tags.is_empty());
        }
    }
    assert_eq!(ways.len(), 9_000);
    for (k, way) in ways.iter().enumerate() {
        let k = k as i64;
        let refs: Vec<i64> = way.nodes.iter().map(|n| n.0).collect();
        assert_eq!(
            refs,
            (0..4)
                .map(|j| BIG + ((k * 5 + j * 1_001) % n_nodes) * 3)
                .collect::<Vec<_>>()
        );
        assert_eq!(tag(&way.tags, "name"), Some("湖滨北大道"));
    }
    assert_eq!(rels.len(), 2);
    assert_eq!(rels[1].id.0, BIG);
    let got: Vec<(OsmId, &str)> = rels[1]
        .refs
        .iter()
        .map(|r| (r.member, r.role.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            (OsmId::Node(NodeId(BIG)), "label"),
            (OsmId::Way(osmpbfreader::WayId(3)), "outer"),
            (OsmId::Relation(osmpbfreader::RelationId(1)), "")
        ]
    );
    assert_eq!(tag(&rels[1].tags, "name"), Some("新湖街道"));
}

#[test]
fn pbf_writer_rejects_unsorted_input() {
    let mut w = PbfWriter::new(Vec::new(), None).unwrap();
    w.add_node(2, 0.0, 0.0, &[]).unwrap();
    assert!(w.add_node(1, 0.0, 0.0, &[]).is_err());
    w.add_way(1, &[2], &[]).unwrap();
    assert!(w.add_node(3, 0.0, 0.0, &[]).is_err());
}

// ---- generator -------------------------------------------------------------------

fn generate(region: Region, seed: u64) -> (SynthStats, Vec<u8>) {
    let mut buf = Vec::new();
    let stats = generate_pbf_to_writer(&SynthOptions { region, seed }, &mut buf).unwrap();
    (stats, buf)
}

/// The default city, generated once and shared by the tests below.
fn decheng() -> &'static (SynthStats, Vec<u8>) {
    static CITY: OnceLock<(SynthStats, Vec<u8>)> = OnceLock::new();
    CITY.get_or_init(|| generate(Region::Decheng, SynthOptions::default().seed))
}

struct City {
    nodes: HashMap<i64, Node>,
    ways: Vec<Way>,
    rels: Vec<Relation>,
}

fn decheng_city() -> &'static City {
    static CITY: OnceLock<City> = OnceLock::new();
    CITY.get_or_init(|| {
        let (nodes, ways, rels) = read_all(&decheng().1);
        City {
            nodes: nodes.into_iter().map(|n| (n.id.0, n)).collect(),
            ways,
            rels,
        }
    })
}

impl City {
    fn pos(&self, id: NodeId) -> (f64, f64) {
        let n = &self.nodes[&id.0];
        (n.lon(), n.lat())
    }

    fn line(&self, w: &Way) -> Vec<(f64, f64)> {
        w.nodes.iter().map(|&n| self.pos(n)).collect()
    }

    /// Names of objects (nodes and ways) with `key=value`.
    fn named(&self, key: &str, value: &str) -> Vec<String> {
        let nodes = self.nodes.values().map(|n| &n.tags);
        let ways = self.ways.iter().map(|w| &w.tags);
        nodes
            .chain(ways)
            .filter(|t| tag(t, key) == Some(value))
            .map(|t| tag(t, "name").unwrap_or("").to_owned())
            .collect()
    }
}

const WALKABLE: &[&str] = &[
    "primary",
    "secondary",
    "tertiary",
    "residential",
    "unclassified",
    "service",
    "living_street",
    "pedestrian",
    "footway",
    "path",
    "steps",
    "track",
    "cycleway",
];

fn is_walkable(w: &Way) -> bool {
    tag(&w.tags, "highway").is_some_and(|h| WALKABLE.contains(&h))
}

fn decheng_outline() -> MultiPolygon<f64> {
    let json: serde_json::Value = serde_json::from_str(DISTRICTS).unwrap();
    let feature = json["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["properties"]["adcode"] == "371402")
        .unwrap();
    let polygons = feature["geometry"]["coordinates"].as_array().unwrap();
    let ring = |r: &serde_json::Value| {
        LineString::from(
            r.as_array()
                .unwrap()
                .iter()
                .map(|c| Coord {
                    x: c[0].as_f64().unwrap(),
                    y: c[1].as_f64().unwrap(),
                })
                .collect::<Vec<_>>(),
        )
    };
    MultiPolygon(
        polygons
            .iter()
            .map(|p| {
                let rings = p.as_array().unwrap();
                Polygon::new(ring(&rings[0]), rings[1..].iter().map(ring).collect())
            })
            .collect(),
    )
}

#[test]
fn same_seed_same_bytes_different_seed_different_bytes() {
    let (_, a) = decheng();
    let (_, b) = generate(Region::Decheng, SynthOptions::default().seed);
    assert!(a == &b, "same seed must give byte-identical output");
    let (_, c) = generate(Region::Decheng, 7);
    assert!(a != &c, "a different seed must give a different city");
}

#[test]
fn generate_pbf_writes_file_atomically() {
    let dir = std::env::temp_dir().join(format!("synth-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("decheng.osm.pbf");
    let stats = generate_pbf(&SynthOptions::default(), &out).unwrap();
    let bytes = std::fs::read(&out).unwrap();
    assert_eq!(stats.bytes as usize, bytes.len());
    assert!(bytes == decheng().1);
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name() != "decheng.osm.pbf")
        .collect();
    assert!(leftovers.is_empty(), "temporary file left behind");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn decheng_counts_are_in_range() {
    let (stats, bytes) = decheng();
    let city = decheng_city();
    assert_eq!(stats.nodes as usize, city.nodes.len());
    assert_eq!(stats.ways as usize, city.ways.len());
    assert_eq!(stats.bytes as usize, bytes.len());
    assert!((100_000..=300_000).contains(&stats.nodes), "{stats:?}");
    assert!(bytes.len() < 6_000_000, "{} bytes", bytes.len());
    assert!((200..=900).contains(&stats.compounds), "{stats:?}");
    assert!((200..=1000).contains(&stats.facilities), "{stats:?}");
    assert!(stats.communities >= 50, "{stats:?}");
    let compounds = city
        .ways
        .iter()
        .filter(|w| tag(&w.tags, "landuse") == Some("residential") && w.is_closed())
        .count();
    assert_eq!(compounds as u64, stats.compounds);
}

#[test]
fn decheng_objects_are_tagged_sorted_and_inside_the_district() {
    let city = decheng_city();
    let outline = decheng_outline();
    for n in city.nodes.values() {
        assert!(n.id.0 > 0);
        assert_eq!(tag(&n.tags, "source"), Some("childcircle-synth"));
        assert!(
            outline.contains(&Point::new(n.lon(), n.lat())),
            "node {} at {},{} outside 德城区",
            n.id.0,
            n.lon(),
            n.lat()
        );
    }
    let mut last = 0;
    for w in &city.ways {
        assert!(w.id.0 > last);
        last = w.id.0;
        assert_eq!(tag(&w.tags, "source"), Some("childcircle-synth"));
        assert!(w.nodes.len() >= 2);
        assert!(w.nodes.iter().all(|n| city.nodes.contains_key(&n.0)));
    }
    assert!(city
        .rels
        .iter()
        .all(|r| tag(&r.tags, "source") == Some("childcircle-synth")));
}

#[test]
fn decheng_communities_use_official_names_and_codes() {
    let official: BTreeMap<String, String> = VILLAGES
        .lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split(',').map(|s| s.trim_matches('"')).collect();
            let stem = f[1].strip_suffix("社区居委会")?;
            (f[5] == "371402").then(|| (format!("{stem}社区"), f[0].to_owned()))
        })
        .collect();
    let city = decheng_city();
    let communities: Vec<&Way> = city
        .ways
        .iter()
        .filter(|w| tag(&w.tags, "place") == Some("neighbourhood"))
        .collect();
    assert!(communities.len() >= 50);
    let subdistricts = ["新湖街道", "新华街道", "天衢街道", "广川街道", "运河街道"];
    let mut per_subdistrict: BTreeMap<&str, usize> = BTreeMap::new();
    let mut seen = BTreeSet::new();
    for c in communities {
        let name = tag(&c.tags, "name").unwrap();
        assert_eq!(
            official.get(name).map(String::as_str),
            tag(&c.tags, "ref"),
            "{name}"
        );
        assert!(seen.insert(name.to_owned()), "{name} appears twice");
        let sub = tag(&c.tags, "addr:subdistrict").unwrap();
        assert!(subdistricts.contains(&sub));
        // The code's first 9 digits are the subdistrict's code.
        let population: u32 = tag(&c.tags, "population").unwrap().parse().unwrap();
        assert!((3_000..=15_000).contains(&population));
        assert!(c.is_closed());
        *per_subdistrict.entry(sub).or_default() += 1;
    }
    assert_eq!(per_subdistrict.len(), 5, "{per_subdistrict:?}");
}

#[test]
fn decheng_has_every_kind_of_childrens_facility() {
    let city = decheng_city();
    let count = |k: &str, v: &str| city.named(k, v).len();
    let schools = city.named("amenity", "school");
    let primary = schools.iter().filter(|n| n.ends_with("小学")).count();
    let middle = schools.iter().filter(|n| n.ends_with("中学")).count();
    assert!(count("amenity", "kindergarten") >= 30);
    assert!(primary >= 10, "{schools:?}");
    assert!(middle >= 5, "{schools:?}");
    assert!(count("amenity", "library") >= 4);
    assert!(count("amenity", "community_centre") >= 30);
    assert!(count("amenity", "childcare") >= 1);
    assert!(count("leisure", "playground") >= 20);
    assert!(count("leisure", "park") >= 4);
    assert!(count("leisure", "pitch") + count("leisure", "sports_centre") >= 3);
    let gates = city
        .nodes
        .values()
        .filter(|n| tag(&n.tags, "barrier") == Some("gate"))
        .count();
    let entrances = city
        .nodes
        .values()
        .filter(|n| tag(&n.tags, "entrance") == Some("main"))
        .count();
    assert!(gates > 300 && entrances > 10);
    let crossings = city
        .nodes
        .values()
        .filter(|n| tag(&n.tags, "highway") == Some("crossing"))
        .count();
    assert!(crossings > 50);
    let footbridges = city
        .ways
        .iter()
        .filter(|w| {
            tag(&w.tags, "highway") == Some("footway") && tag(&w.tags, "bridge") == Some("yes")
        })
        .count();
    assert!(footbridges >= 1);
    assert!(city
        .ways
        .iter()
        .any(|w| tag(&w.tags, "highway") == Some("steps")));
    assert!(city
        .ways
        .iter()
        .any(|w| tag(&w.tags, "highway") == Some("pedestrian")));
}

#[test]
fn decheng_walkable_network_is_mostly_connected() {
    let city = decheng_city();
    let mut parent: HashMap<i64, i64> = HashMap::new();
    fn find(p: &mut HashMap<i64, i64>, x: i64) -> i64 {
        let mut r = x;
        while p[&r] != r {
            r = p[&r];
        }
        let mut y = x;
        while p[&y] != r {
            let next = p[&y];
            p.insert(y, r);
            y = next;
        }
        r
    }
    for w in city.ways.iter().filter(|w| is_walkable(w)) {
        for n in &w.nodes {
            parent.entry(n.0).or_insert(n.0);
        }
        for pair in w.nodes.windows(2) {
            let (a, b) = (find(&mut parent, pair[0].0), find(&mut parent, pair[1].0));
            parent.insert(a, b);
        }
    }
    let ids: Vec<i64> = parent.keys().copied().collect();
    let mut sizes: HashMap<i64, usize> = HashMap::new();
    for id in &ids {
        *sizes.entry(find(&mut parent, *id)).or_default() += 1;
    }
    let largest = sizes.values().max().copied().unwrap_or(0);
    assert!(ids.len() > 50_000, "{} walkable nodes", ids.len());
    assert!(
        largest as f64 >= 0.95 * ids.len() as f64,
        "largest component {largest} of {}",
        ids.len()
    );
}

fn segments_cross(a: (f64, f64), b: (f64, f64), c: (f64, f64), d: (f64, f64)) -> bool {
    let orient = |p: (f64, f64), q: (f64, f64), r: (f64, f64)| {
        (q.0 - p.0) * (r.1 - p.1) - (q.1 - p.1) * (r.0 - p.0)
    };
    let (d1, d2) = (orient(c, d, a), orient(c, d, b));
    let (d3, d4) = (orient(a, b, c), orient(a, b, d));
    d1 * d2 < 0.0 && d3 * d4 < 0.0
}

/// Walkable ways that cross `barrier` without carrying one of `allowed`.
fn illegal_crossings(city: &City, barrier: &[(f64, f64)], allowed: &[(&str, &str)]) -> Vec<i64> {
    let (min_x, max_x) = barrier.iter().fold((f64::MAX, f64::MIN), |(lo, hi), p| {
        (lo.min(p.0), hi.max(p.0))
    });
    let mut bad = Vec::new();
    for w in city.ways.iter().filter(|w| is_walkable(w)) {
        if allowed.iter().any(|(k, v)| tag(&w.tags, k) == Some(*v)) {
            continue;
        }
        let line = city.line(w);
        if line.iter().all(|p| p.0 < min_x - 0.001) || line.iter().all(|p| p.0 > max_x + 0.001) {
            continue;
        }
        let crosses = line.windows(2).any(|s| {
            barrier
                .windows(2)
                .any(|b| segments_cross(s[0], s[1], b[0], b[1]))
        });
        if crosses {
            bad.push(w.id.0);
        }
    }
    bad
}

#[test]
fn decheng_canal_and_railway_are_crossed_only_on_bridges_and_underpasses() {
    let city = decheng_city();
    let canal = city
        .ways
        .iter()
        .find(|w| tag(&w.tags, "waterway") == Some("canal"))
        .expect("canal");
    assert_eq!(tag(&canal.tags, "name"), Some("南运河"));
    let canal_line = city.line(canal);
    assert!(illegal_crossings(city, &canal_line, &[("bridge", "yes")]).is_empty());
    let bridges: Vec<&Way> = city
        .ways
        .iter()
        .filter(|w| is_walkable(w) && tag(&w.tags, "bridge") == Some("yes"))
        .filter(|w| {
            city.line(w).windows(2).any(|s| {
                canal_line
                    .windows(2)
                    .any(|b| segments_cross(s[0], s[1], b[0], b[1]))
            })
        })
        .collect();
    assert!(
        (2..=10).contains(&bridges.len()),
        "{} canal bridges",
        bridges.len()
    );
    assert!(bridges.iter().all(|b| tag(&b.tags, "layer") == Some("1")));
    assert!(city
        .ways
        .iter()
        .any(|w| tag(&w.tags, "natural") == Some("water")));

    let rail = city
        .ways
        .iter()
        .find(|w| tag(&w.tags, "railway") == Some("rail"))
        .expect("railway");
    let bad = illegal_crossings(
        city,
        &city.line(rail),
        &[("tunnel", "yes"), ("bridge", "yes")],
    );
    assert!(bad.is_empty(), "{bad:?}");
}

/// The benchmark input: large, so only checked in release builds
/// (`cargo test --release`).
#[test]
#[cfg_attr(debug_assertions, ignore = "large; run with --release")]
fn prefecture_is_large_connected_to_towns_and_inside_dezhou() {
    let started = std::time::Instant::now();
    let (stats, bytes) = generate(Region::Prefecture, 2023);
    assert!(
        started.elapsed().as_secs() < 60,
        "generation took {:?}",
        started.elapsed()
    );
    let (nodes, ways, _) = read_all(&bytes);
    assert_eq!(stats.nodes as usize, nodes.len());

    let mut walkable: Vec<i64> = ways
        .iter()
        .filter(|w| is_walkable(w))
        .flat_map(|w| w.nodes.iter().map(|n| n.0))
        .collect();
    walkable.sort_unstable();
    walkable.dedup();
    assert!(
        walkable.len() >= 1_000_000,
        "{} walkable nodes",
        walkable.len()
    );

    let villages = nodes
        .iter()
        .filter(|n| tag(&n.tags, "place") == Some("village"))
        .count();
    assert!(villages >= 3_000, "{villages} villages");
    assert!(stats.communities >= 150, "{stats:?}");
    assert!(stats.compounds >= 2_000, "{stats:?}");

    let json: serde_json::Value = serde_json::from_str(DISTRICTS).unwrap();
    let mut polygons = Vec::new();
    for f in json["features"].as_array().unwrap() {
        for p in f["geometry"]["coordinates"].as_array().unwrap() {
            let ring = |r: &serde_json::Value| {
                LineString::from(
                    r.as_array()
                        .unwrap()
                        .iter()
                        .map(|c| Coord {
                            x: c[0].as_f64().unwrap(),
                            y: c[1].as_f64().unwrap(),
                        })
                        .collect::<Vec<_>>(),
                )
            };
            let rings = p.as_array().unwrap();
            polygons.push(Polygon::new(
                ring(&rings[0]),
                rings[1..].iter().map(ring).collect(),
            ));
        }
    }
    let dezhou = MultiPolygon(polygons);
    for n in nodes.iter().step_by(97) {
        assert!(
            dezhou.contains(&Point::new(n.lon(), n.lat())),
            "node {} at {},{} outside Dezhou",
            n.id.0,
            n.lon(),
            n.lat()
        );
    }
}

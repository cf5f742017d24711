//! The fast ingest (own zero-copy block reader, trigger-key filter, three
//! passes over the file) against a slow reference: osmpbfreader's own reader,
//! which decodes every object with its generated protobuf types, and the same
//! rules applied to every object, tagged or not. Any object the fast path skips
//! or misreads shows up as a difference.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::fs::File;

use childcircle::osm::ingest::read_osm;
use childcircle::osm::walkable::{node_roles, walkability, way_flags, Walkability, WayClass};
use childcircle::profile::Profile;
use childcircle::tags::OsmRef;
use childcircle::tags::TagLookup;
use osmpbfreader::{OsmObj, OsmPbfReader};

/// What ingest must keep, by object id.
#[derive(Default)]
struct Expected {
    walk: BTreeMap<i64, (WayClass, bool, u8, Vec<i64>)>,
    way_areas: BTreeMap<i64, (u32, u8, Vec<i64>)>,
    relation_areas: BTreeMap<i64, (u32, u8)>,
    points: BTreeMap<i64, (u32, [i32; 2])>,
    roles: BTreeMap<i64, u8>,
    nodes: HashMap<i64, [i32; 2]>,
}

fn residential_kind(tags: &osmpbfreader::Tags) -> u8 {
    u8::from(tags.get("landuse") == Some("residential"))
        | u8::from(matches!(
            tags.get("place"),
            Some("neighbourhood" | "quarter")
        )) << 1
}

fn reference(path: &std::path::Path, profile: &Profile) -> Expected {
    let mut e = Expected::default();
    let mut pbf = OsmPbfReader::new(File::open(path).unwrap());
    for obj in pbf.iter() {
        match obj.unwrap() {
            OsmObj::Node(n) => {
                let at = [n.decimicro_lon, n.decimicro_lat];
                e.nodes.insert(n.id.0, at);
                let roles = node_roles(&n.tags);
                if roles != 0 {
                    e.roles.insert(n.id.0, roles);
                }
                let categories = profile.classify(&n.tags);
                if categories != 0 {
                    e.points.insert(n.id.0, (categories, at));
                }
            }
            OsmObj::Way(w) => {
                let refs: Vec<i64> = w.nodes.iter().map(|n| n.0).collect();
                let (private, class) = match walkability(&w.tags) {
                    Walkability::No => (false, None),
                    Walkability::Yes(c) => (false, Some(c)),
                    Walkability::IfInsideCompound(c) => (true, Some(c)),
                };
                if let Some(class) = class {
                    let flags = way_flags(&w.tags);
                    e.walk.insert(w.id.0, (class, private, flags, refs.clone()));
                }
                let categories = profile.classify(&w.tags);
                let kind = residential_kind(&w.tags);
                if (categories != 0 || kind != 0) && refs.len() >= 2 {
                    let closed = refs.len() >= 4 && refs.first() == refs.last();
                    if closed || kind == 0 {
                        let kind = if closed { kind } else { 0 };
                        e.way_areas.insert(w.id.0, (categories, kind, refs));
                    }
                }
            }
            OsmObj::Relation(r) => {
                if r.tags.get("type") == Some("multipolygon") {
                    let categories = profile.classify(&r.tags);
                    let kind = residential_kind(&r.tags);
                    if categories != 0 || kind != 0 {
                        e.relation_areas.insert(r.id.0, (categories, kind));
                    }
                }
            }
        }
    }
    e
}

fn check(rel: &str) {
    let path = common::data(rel);
    let profile = Profile::builtin("child").unwrap();
    let data = read_osm(&path, &profile).unwrap();
    let want = reference(&path, &profile);

    let walk: BTreeMap<i64, (WayClass, bool, u8, Vec<i64>)> = data
        .walk_ways
        .iter()
        .map(|w| (w.id, (w.class, w.private, w.flags, data.refs(w).to_vec())))
        .collect();
    assert_eq!(walk.len(), data.walk_ways.len(), "{rel}: a way read twice");
    assert!(walk == want.walk, "{rel}: walkable ways differ");

    let mut way_areas = BTreeMap::new();
    let mut relation_areas = BTreeMap::new();
    for a in &data.areas {
        match a.osm {
            OsmRef::Way(id) => {
                let old = way_areas.insert(id, (a.categories, a.kind, a.outer[0].clone()));
                assert!(old.is_none(), "{rel}: w{id} twice");
            }
            OsmRef::Relation(id) => {
                relation_areas.insert(id, (a.categories, a.kind));
            }
            OsmRef::Node(_) => panic!("{rel}: a node as an area"),
        }
    }
    assert!(way_areas == want.way_areas, "{rel}: way areas differ");
    // A relation becomes an area only when its rings close; every one that did
    // is a relation the reference selects, with the same classification.
    for (id, got) in &relation_areas {
        assert_eq!(Some(got), want.relation_areas.get(id), "{rel}: r{id}");
    }

    let roles: BTreeMap<i64, u8> = data.roles.iter().copied().collect();
    assert_eq!(roles, want.roles, "{rel}: node roles differ");

    let decimicro = |lonlat: [f64; 2]| lonlat.map(|v| (v * 1e7).round() as i32);
    let points: BTreeMap<i64, (u32, [i32; 2])> = data
        .points
        .iter()
        .map(|p| match p.osm {
            OsmRef::Node(id) => (id, (p.categories, decimicro(p.lonlat))),
            _ => panic!("{rel}: a point that is not a node"),
        })
        .collect();
    assert_eq!(points, want.points, "{rel}: facility points differ");

    // Every node a kept way uses has the reference's coordinates, or is
    // reported missing exactly when the extract lacks it.
    let mut missing = 0;
    for w in &data.walk_ways {
        for id in data.refs(w) {
            match (data.coords.get(*id), want.nodes.get(id)) {
                (Some(got), Some(w)) => assert_eq!(decimicro(got), *w, "{rel}: n{id}"),
                (None, None) => missing += 1,
                (got, w) => panic!("{rel}: n{id}: {got:?} vs {w:?}"),
            }
        }
    }
    assert_eq!(data.stats.osm_nodes as usize, want.nodes.len(), "{rel}");
    println!(
        "{rel}: {} walkable ways, {} areas, {} points, {} roles agree ({missing} refs outside the extract)",
        walk.len(),
        data.areas.len(),
        points.len(),
        roles.len()
    );
}

#[test]
fn monaco_matches_the_reference_reader() {
    check("osm/monaco.osm.pbf");
}

#[test]
fn helsinki_matches_the_reference_reader() {
    check("osm/helsinki.osm.pbf");
}

#[test]
fn beijing_and_shanghai_match_the_reference_reader() {
    check("osm/beijing-cau.osm.pbf");
    check("osm/shanghai-shu.osm.pbf");
}

#[test]
fn dezhou_model_matches_the_reference_reader() {
    check("dezhou/decheng.osm.pbf");
}

//! The whole extract in memory, as the cutter needs it: every node's
//! coordinates, every way's node list, every multipolygon relation's members,
//! and all their tags. Read in one pass (blocks decoded in parallel, merged in
//! file order, so the result does not depend on the thread count).

use std::path::Path;

use crate::error::Result;
use crate::osm::pbf::block::{Corrupt, MEMBER_WAY};
use crate::osm::pbf::{Block, Element, PbfFile};

/// Tags as owned key/value pairs.
pub type Tags = Vec<(Box<str>, Box<str>)>;

/// A node: id and decimicro-degree lon/lat (OSM's own precision).
#[derive(Debug, Clone, Copy)]
pub struct Node {
    /// Node id.
    pub id: i64,
    /// Longitude, decimicro degrees (1e-7°).
    pub lon: i32,
    /// Latitude, decimicro degrees (1e-7°).
    pub lat: i32,
}

/// A way: id, node ids, tags.
#[derive(Debug, Clone)]
pub struct Way {
    /// Way id.
    pub id: i64,
    /// Node ids, in order (first = last for a closed way).
    pub refs: Vec<i64>,
    /// Its tags.
    pub tags: Tags,
}

/// A multipolygon relation: id, members `(type, id, role)` with type 0 node,
/// 1 way, 2 relation, tags.
#[derive(Debug, Clone)]
pub struct Relation {
    /// Relation id.
    pub id: i64,
    /// Members in order: `(type, id, role)`, type 0 node, 1 way, 2 relation.
    pub members: Vec<(u8, i64, Box<str>)>,
    /// Its tags.
    pub tags: Tags,
}

/// Everything read, nodes and ways sorted by id.
#[derive(Debug, Default)]
pub struct Extract {
    /// Every node, sorted by id.
    pub nodes: Vec<Node>,
    /// Tags of the tagged nodes, sorted by id.
    pub node_tags: Vec<(i64, Tags)>,
    /// Every way, sorted by id.
    pub ways: Vec<Way>,
    /// The multipolygon relations, sorted by id.
    pub relations: Vec<Relation>,
}

#[derive(Default)]
struct Part {
    nodes: Vec<Node>,
    node_tags: Vec<(i64, Tags)>,
    ways: Vec<Way>,
    relations: Vec<Relation>,
}

impl Extract {
    /// Reads `path` in one pass. Relations other than multipolygons are left
    /// out: the analysis reads no other kind.
    pub fn read(path: &Path) -> Result<Extract> {
        let file = PbfFile::open(path)?;
        let parts =
            file.par_map_blocks(None, |_| true, |b| part(b).map_err(|e| file.corrupt(e)))?;
        let mut x = Extract::default();
        for (_, p) in parts {
            x.nodes.extend(p.nodes);
            x.node_tags.extend(p.node_tags);
            x.ways.extend(p.ways);
            x.relations.extend(p.relations);
        }
        x.nodes.sort_by_key(|n| n.id);
        x.nodes.dedup_by_key(|n| n.id);
        x.node_tags.sort_by_key(|n| n.0);
        x.node_tags.dedup_by_key(|n| n.0);
        x.ways.sort_by_key(|w| w.id);
        x.ways.dedup_by_key(|w| w.id);
        x.relations.sort_by_key(|r| r.id);
        x.relations.dedup_by_key(|r| r.id);
        Ok(x)
    }

    /// The node with this id, if the extract has it.
    pub fn node(&self, id: i64) -> Option<&Node> {
        self.nodes
            .binary_search_by_key(&id, |n| n.id)
            .ok()
            .map(|i| &self.nodes[i])
    }

    /// The index of the way with this id.
    pub fn way_index(&self, id: i64) -> Option<usize> {
        self.ways.binary_search_by_key(&id, |w| w.id).ok()
    }

    /// The tags of a node (empty when untagged).
    pub fn tags_of_node(&self, id: i64) -> &[(Box<str>, Box<str>)] {
        match self.node_tags.binary_search_by_key(&id, |n| n.0) {
            Ok(i) => &self.node_tags[i].1,
            Err(_) => &[],
        }
    }
}

fn tags_of(block: &Block, keys: crate::osm::pbf::Packed, vals: crate::osm::pbf::Packed) -> Tags {
    keys.varints()
        .zip(vals.varints())
        .map(|(k, v)| (text(block, k), text(block, v)))
        .collect()
}

fn text(block: &Block, i: u64) -> Box<str> {
    String::from_utf8_lossy(block.string(i).unwrap_or(b"")).into()
}

fn part(block: &Block) -> std::result::Result<Part, Corrupt> {
    let mut p = Part::default();
    for element in block.elements() {
        match element? {
            Element::Node(n) => {
                p.nodes.push(Node {
                    id: n.id,
                    lon: block.decimicro(n.lon, false),
                    lat: block.decimicro(n.lat, true),
                });
                let tags = tags_of(block, n.keys, n.vals);
                if !tags.is_empty() {
                    p.node_tags.push((n.id, tags));
                }
            }
            Element::Dense(d) => {
                let mut kv = d.keys_vals.varints();
                let dense = d.ids.delta().zip(d.lats.delta()).zip(d.lons.delta());
                for ((id, lat), lon) in dense {
                    p.nodes.push(Node {
                        id,
                        lon: block.decimicro(lon, false),
                        lat: block.decimicro(lat, true),
                    });
                    if d.keys_vals.is_empty() {
                        continue;
                    }
                    let mut tags = Tags::new();
                    while let Some(k) = kv.next().filter(|&k| k != 0) {
                        let Some(v) = kv.next() else { break };
                        tags.push((text(block, k), text(block, v)));
                    }
                    if !tags.is_empty() {
                        p.node_tags.push((id, tags));
                    }
                }
            }
            Element::Way(w) => p.ways.push(Way {
                id: w.id,
                refs: w.refs.delta().collect(),
                tags: tags_of(block, w.keys, w.vals),
            }),
            Element::Relation(r) => {
                let tags = tags_of(block, r.keys, r.vals);
                if !tags
                    .iter()
                    .any(|(k, v)| &**k == "type" && &**v == "multipolygon")
                {
                    continue;
                }
                let (mut types, mut roles) = (r.types.varints(), r.roles.varints());
                let members = r
                    .members
                    .delta()
                    .map(|id| {
                        let t = types.next().unwrap_or(MEMBER_WAY) as u8;
                        let role = roles.next().map_or("".into(), |s| text(block, s));
                        (t, id, role)
                    })
                    .collect();
                p.relations.push(Relation {
                    id: r.id,
                    members,
                    tags,
                });
            }
        }
    }
    Ok(p)
}

/// The box of a way's nodes, decimicro degrees.
pub fn way_box(x: &Extract, w: &Way) -> Option<[i32; 4]> {
    let mut b: Option<[i32; 4]> = None;
    for n in w.refs.iter().filter_map(|&id| x.node(id)) {
        b = Some(match b {
            None => [n.lon, n.lat, n.lon, n.lat],
            Some([a, c, d, e]) => [a.min(n.lon), c.min(n.lat), d.max(n.lon), e.max(n.lat)],
        });
    }
    b
}

/// Degrees to decimicro degrees, rounded outwards for a box's `low` or high side.
pub fn to_e7(deg: f64, low: bool) -> i32 {
    let v = deg * 1e7;
    (if low { v.floor() } else { v.ceil() }) as i32
}

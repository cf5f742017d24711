//! Stage 1: OpenStreetMap ingest. Reads only what the walking graph and the
//! places need, in three passes over the file so that no pass holds more than
//! the objects it keeps:
//!
//! 1. every blob: walkable ways (node refs and class), tagged areas (children's
//!    facilities, residential land, neighbourhoods), multipolygon relations of
//!    interest, tagged nodes (facility points, gates, entrances, crossings);
//! 2. way blobs only, and only if relations need them: the untagged member ways;
//! 3. node blobs only: coordinates of the nodes the kept ways, areas and
//!    facility points use.
//!
//! Objects that carry none of the keys a rule needs present
//! ([`crate::osm::walkable::TRIGGER_KEYS`], [`Profile::trigger_keys`], `landuse`,
//! `place`, `type`) are skipped without reading their tags. Blobs are decoded in
//! parallel (rayon) in bounded batches; results are merged in file order (and
//! coordinates stored by node index) so the outcome does not depend on the
//! thread count.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Error, Result};
use crate::osm::classify::Note;
use crate::osm::pbf::block::{Corrupt, Relation, Way, MEMBER_WAY};
use crate::osm::pbf::{self, Block, BlockTags, Element, PbfFile, TagFilter, TagReader};
use crate::osm::walkable::{
    node_roles, walkability, way_flags, Walkability, WayClass, TRIGGER_KEYS,
};
use crate::profile::Profile;
use crate::tags::{OsmRef, TagLookup};

/// Residential kinds of an area, as bits.
pub mod area_kind {
    /// `landuse=residential`: a residential compound (小区) or residential land.
    pub const RESIDENTIAL: u8 = 1;
    /// `place=neighbourhood|quarter`: a neighbourhood, e.g. a 社区.
    pub const NEIGHBOURHOOD: u8 = 2;
}

/// A building kept for analysis units and population ([`crate::places::units`]):
/// `building=residential|apartments|house|detached|terrace|dormitory`, or
/// `building=yes` with `building:levels` (a home only inside residential land).
#[derive(Debug, Clone)]
pub struct OsmBuilding {
    /// The way id (only closed ways are kept).
    pub id: i64,
    /// A residential building type (not `building=yes`).
    pub residential: bool,
    /// `building:levels`, when mapped and a positive number.
    pub levels: Option<f64>,
    /// `addr:street`, for labels.
    pub street: Option<String>,
    /// `addr:housename`, for labels.
    pub housename: Option<String>,
    /// The outline as node ids (first = last).
    pub ring: Vec<i64>,
}

/// Residential `building=*` values (any level count).
const RESIDENTIAL_BUILDINGS: &[&str] = &[
    "residential",
    "apartments",
    "house",
    "detached",
    "terrace",
    "dormitory",
];

/// The building a way's tags describe, if it is one [`OsmBuilding`] keeps.
fn building_of<T: TagLookup + ?Sized>(tags: &T) -> Option<(bool, Option<f64>)> {
    let value = tags.get("building")?;
    let levels = tags
        .get("building:levels")
        .and_then(|l| l.trim().parse::<f64>().ok())
        .filter(|l| l.is_finite() && *l >= 1.0 && *l <= 200.0);
    if RESIDENTIAL_BUILDINGS.contains(&value) {
        Some((true, levels))
    } else if value == "yes" && levels.is_some() {
        Some((false, levels))
    } else {
        None
    }
}

/// Whether a node is a mapped neighbourhood centre: `place=neighbourhood|quarter`
/// or `place:CN=neighbourhood|neighborhood|community`.
fn is_neighbourhood_node<T: TagLookup + ?Sized>(tags: &T) -> bool {
    matches!(tags.get("place"), Some("neighbourhood" | "quarter"))
        || matches!(
            tags.get("place:CN"),
            Some("neighbourhood" | "neighborhood" | "community")
        )
}

/// The few tags kept from an area or a facility point.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PlaceTags {
    /// `name`, else `name:zh`, trimmed; `None` when empty.
    pub name: Option<String>,
    /// `ref` (official codes such as a community's 12-digit statistics code).
    pub code: Option<String>,
    /// `population`: residents, where mapped as a non-negative number.
    pub population: Option<f64>,
    /// `addr:subdistrict` or `is_in:subdistrict` (街道).
    pub subdistrict: Option<String>,
    /// `capacity`: places (pupils, children) where mapped.
    pub capacity: Option<f64>,
}

impl PlaceTags {
    fn read(tags: &BlockTags) -> PlaceTags {
        PlaceTags {
            name: tags
                .get_lossy("name")
                .or_else(|| tags.get_lossy("name:zh"))
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty()),
            code: tags.get_lossy("ref"),
            population: tags
                .get("population")
                .and_then(|p| p.trim().replace([',', ' '], "").parse::<f64>().ok())
                .filter(|p| p.is_finite() && *p >= 0.0),
            subdistrict: tags
                .get_lossy("addr:subdistrict")
                .or_else(|| tags.get_lossy("is_in:subdistrict")),
            capacity: tags
                .get("capacity")
                .and_then(|p| p.trim().parse::<f64>().ok())
                .filter(|p| p.is_finite() && *p >= 0.0),
        }
    }
}

/// An area (or, for some facilities, a line) before its geometry is resolved.
#[derive(Debug, Clone)]
pub struct OsmArea {
    /// The OSM object (way or multipolygon relation).
    pub osm: OsmRef,
    /// Its name, code, population, subdistrict and capacity.
    pub tags: PlaceTags,
    /// Facility categories (bit set over the profile's categories).
    pub categories: u32,
    /// [`area_kind`] bits.
    pub kind: u8,
    /// Outer and inner rings as node ids; a way facility that is not closed has
    /// one open "ring".
    pub outer: Vec<Vec<i64>>,
    /// Inner rings (holes) as node ids; only relations have them.
    pub inner: Vec<Vec<i64>>,
}

/// A facility mapped as a node.
#[derive(Debug, Clone)]
pub struct OsmPoint {
    /// The OSM node.
    pub osm: OsmRef,
    /// Its name, code, population, subdistrict and capacity.
    pub tags: PlaceTags,
    /// Facility categories (bit set over the profile's categories); 0 for a
    /// neighbourhood centre.
    pub categories: u32,
    /// Lon/lat, WGS84 degrees (filled in by pass 3).
    pub lonlat: [f64; 2],
}

impl OsmPoint {
    fn id(&self) -> i64 {
        match self.osm {
            OsmRef::Node(id) | OsmRef::Way(id) | OsmRef::Relation(id) => id,
        }
    }
}

/// A walkable way: its class and node refs.
#[derive(Debug, Clone, Copy)]
pub struct WalkWay {
    /// The OSM way id.
    pub id: i64,
    /// Its class (footway, local street, collector, arterial or steps), from
    /// its tags.
    pub class: WayClass,
    /// `access=private`: walkable only inside a residential compound.
    pub private: bool,
    /// Road-safety attributes ([`crate::osm::walkable::way_flag`]).
    pub flags: u8,
    /// The block (pass-1 chunk) its refs were read in, and their range there.
    refs_chunk: u32,
    refs_start: u32,
    refs_end: u32,
}

/// Coordinates of the nodes the kept objects use, sorted by node id.
#[derive(Debug, Default)]
pub struct NodeCoords {
    ids: Vec<i64>,
    /// Decimicro-degree lon and lat packed in one word (see [`pack`]).
    decimicro: Vec<u64>,
}

/// A node the extract lacks.
const MISSING: u64 = u64::MAX;

/// Packs decimicro lon/lat into one word, so pass 3's threads can store them
/// straight into the shared array (as atomics) in one write.
fn pack(c: [i32; 2]) -> u64 {
    u64::from(c[0] as u32) << 32 | u64::from(c[1] as u32)
}

fn unpack(v: u64) -> Option<[f64; 2]> {
    let (lon, lat) = ((v >> 32) as u32 as i32, v as u32 as i32);
    (v != MISSING).then(|| [f64::from(lon) * 1e-7, f64::from(lat) * 1e-7])
}

impl NodeCoords {
    /// Lon/lat in degrees, or `None` when the node is not in the extract.
    pub fn get(&self, id: i64) -> Option<[f64; 2]> {
        let i = self.ids.binary_search(&id).ok()?;
        unpack(self.decimicro[i])
    }

    /// The dense index of a node (for per-node arrays), if it was kept.
    pub fn index(&self, id: i64) -> Option<usize> {
        self.ids.binary_search(&id).ok()
    }

    /// The node id at a dense index.
    pub fn id_at(&self, index: usize) -> i64 {
        self.ids[index]
    }

    /// Lon/lat by dense index, `None` when the node is missing from the extract.
    pub fn at(&self, index: usize) -> Option<[f64; 2]> {
        unpack(self.decimicro[index])
    }

    /// Number of nodes a kept object uses, whether the extract has them or not.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether no kept object uses any node.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// Sorts node ids and removes duplicates. An LSD radix sort over the ids'
/// offsets from the smallest, 11 bits per pass (4 passes for planet-range ids,
/// 2 for a small extract's), on one thread beats rayon's parallel sort on two:
/// 16 ms against about 20 ms for the 1.5 M refs of the prefecture model.
fn radix_sort_dedup(ids: &mut Vec<i64>) {
    const BITS: u32 = 11;
    const MASK: u64 = (1 << BITS) - 1;
    let (Some(&min), Some(&max)) = (ids.iter().min(), ids.iter().max()) else {
        return;
    };
    // Offsets as u64 keep the order even when the span exceeds i64::MAX.
    let key = |id: i64| id.wrapping_sub(min) as u64;
    let span_bits = 64 - key(max).leading_zeros();
    let mut other = vec![0i64; ids.len()];
    let mut shift = 0;
    while shift < span_bits {
        let mut starts = vec![0usize; 1 << BITS];
        for &id in ids.iter() {
            starts[((key(id) >> shift) & MASK) as usize] += 1;
        }
        let mut sum = 0;
        for s in &mut starts {
            (*s, sum) = (sum, sum + *s);
        }
        for &id in ids.iter() {
            let digit = ((key(id) >> shift) & MASK) as usize;
            other[starts[digit]] = id;
            starts[digit] += 1;
        }
        std::mem::swap(ids, &mut other);
        shift += BITS;
    }
    ids.dedup();
}

/// Counts that tell a user what was read.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct IngestStats {
    /// Size of the extract file, bytes.
    pub file_bytes: u64,
    /// Data blobs in the file.
    pub blobs: usize,
    /// Nodes in the file, kept or not.
    pub osm_nodes: u64,
    /// Ways in the file, kept or not.
    pub osm_ways: u64,
    /// Relations in the file, kept or not.
    pub osm_relations: u64,
    /// Walkable ways kept for the walking graph.
    pub walkable_ways: usize,
    /// Nodes used by a kept object whose coordinates the extract has.
    pub coordinates_kept: usize,
    /// Nodes used by a kept object that the extract lacks.
    pub missing_nodes: usize,
    /// Rings of multipolygon relations that could not be closed (dropped).
    pub unclosed_rings: usize,
}

/// What the later stages need from an extract.
#[derive(Debug, Default)]
pub struct OsmData {
    /// The walkable ways, in file order.
    pub walk_ways: Vec<WalkWay>,
    /// Node refs of walkable ways, one chunk per block of pass 1 (not
    /// concatenated: that would copy the largest array ingest holds).
    walk_refs: Vec<Vec<i64>>,
    /// Facility, residential-land and neighbourhood areas: ways in file order,
    /// then multipolygon relations.
    pub areas: Vec<OsmArea>,
    /// Facilities mapped as nodes, in file order (those whose node the
    /// extract lacks are dropped).
    pub points: Vec<OsmPoint>,
    /// Residential buildings ([`OsmBuilding`]), in file order.
    pub buildings: Vec<OsmBuilding>,
    /// Neighbourhood centre nodes (`place=neighbourhood|quarter` or
    /// `place:CN=neighbourhood|neighborhood|community`); `categories` 0.
    pub place_nodes: Vec<OsmPoint>,
    /// Names of named walkable streets (not footways or steps), by way id, sorted.
    pub street_names: Vec<(i64, String)>,
    /// Node roles ([`crate::osm::walkable::node_role`]) by node id, sorted.
    pub roles: Vec<(i64, u8)>,
    /// Coordinates of every node a kept object uses.
    pub coords: NodeCoords,
    /// What was read.
    pub stats: IngestStats,
    /// What classification noted (schools, non-schools, overrides), in file order.
    pub notes: Vec<Note>,
}

impl OsmData {
    /// The node refs of a walkable way.
    pub fn refs(&self, way: &WalkWay) -> &[i64] {
        &self.walk_refs[way.refs_chunk as usize][way.refs_start as usize..way.refs_end as usize]
    }

    /// Frees the walkable ways once the graph is built: only the places
    /// (areas, points, coordinates) are needed after that.
    pub fn release_walkable_ways(&mut self) {
        self.street_names = Vec::new();
        self.walk_ways = Vec::new();
        self.walk_refs = Vec::new();
    }

    /// The roles of a node (0 when it has none).
    pub fn role(&self, id: i64) -> u8 {
        self.roles
            .binary_search_by_key(&id, |r| r.0)
            .map_or(0, |i| self.roles[i].1)
    }

    /// The ring's coordinates, skipping nodes missing from the extract.
    pub fn ring_coords(&self, ring: &[i64]) -> Vec<[f64; 2]> {
        ring.iter().filter_map(|&id| self.coords.get(id)).collect()
    }
}

/// The geometry of an area in lon/lat: polygons (holes assigned to the outer
/// ring that contains them) or, for an open way, a line.
#[derive(Debug, Clone)]
pub enum AreaGeometry {
    /// Polygons, holes assigned to the outer ring that contains them.
    Polygon(geo::MultiPolygon<f64>),
    /// An open way (a facility mapped as a line).
    Line(geo::LineString<f64>),
}

impl OsmData {
    /// Resolves an area's rings to coordinates. `None` when too few of its
    /// nodes are in the extract.
    pub fn area_geometry(&self, area: &OsmArea) -> Option<AreaGeometry> {
        use geo::{Contains, LineString, MultiPolygon, Polygon};
        let to_line = |ring: &[i64]| LineString::from(self.ring_coords(ring));
        if area.outer.len() == 1 && area.outer[0].first() != area.outer[0].last() {
            let line = to_line(&area.outer[0]);
            return (line.0.len() >= 2).then_some(AreaGeometry::Line(line));
        }
        let mut polygons: Vec<Polygon<f64>> = area
            .outer
            .iter()
            .map(|r| to_line(r))
            .filter(|l| l.0.len() >= 4)
            .map(|l| Polygon::new(l, vec![]))
            .collect();
        for ring in &area.inner {
            let hole = to_line(ring);
            if hole.0.len() < 4 {
                continue;
            }
            if let Some(p) = polygons.iter_mut().find(|p| p.contains(&hole.0[0])) {
                p.interiors_push(hole);
            }
        }
        (!polygons.is_empty()).then_some(AreaGeometry::Polygon(MultiPolygon(polygons)))
    }
}

/// Reads an extract.
pub fn read_osm(path: &Path, profile: &Profile) -> Result<OsmData> {
    let file = PbfFile::open(path)?;
    let mut data = OsmData::default();
    data.stats.file_bytes = file.len;
    let (kinds, relations) = read_tagged(&file, profile, &mut data)?;
    if data.stats.osm_nodes + data.stats.osm_ways == 0 {
        return Err(Error::Pbf {
            path: path.to_path_buf(),
            reason: "the extract contains no nodes and no ways".into(),
        });
    }
    if !relations.is_empty() {
        read_member_ways(&file, &kinds, relations, &mut data)?;
    }
    read_coordinates(&file, &kinds, &mut data)?;
    Ok(data)
}

/// Pass 1: everything tagged with a key some rule reads, merged into `data`
/// in file order; returns each blob's kinds and the relations kept.
fn read_tagged(
    file: &PbfFile,
    profile: &Profile,
    data: &mut OsmData,
) -> Result<(Vec<pbf::BlobKinds>, Vec<RelationRec>)> {
    let filter = TagFilter::new(
        TRIGGER_KEYS
            .iter()
            .copied()
            .chain(RESIDENTIAL_KEYS.iter().copied())
            .chain(["type"])
            .chain(profile.trigger_keys()),
    );
    let firsts = file.par_map_blocks(
        None,
        |_| true,
        |b| first_pass(b, profile, &filter).map_err(|e| file.corrupt(e)),
    )?;
    let kinds: Vec<pbf::BlobKinds> = firsts.iter().map(|(k, _)| *k).collect();
    data.stats.blobs = kinds.len();
    let mut relations = Vec::new();
    let ways: usize = firsts.iter().map(|(_, p)| p.walk_ways.len()).sum();
    data.walk_ways.reserve_exact(ways);
    for (_, part) in firsts {
        data.stats.osm_nodes += part.nodes;
        data.stats.osm_ways += part.ways;
        data.stats.osm_relations += part.relations;
        let chunk = data.walk_refs.len() as u32;
        data.walk_refs.push(part.walk_refs);
        data.walk_ways
            .extend(part.walk_ways.into_iter().map(|w| WalkWay {
                refs_chunk: chunk,
                ..w
            }));
        data.areas.extend(part.areas);
        data.points.extend(part.points);
        data.buildings.extend(part.buildings);
        data.place_nodes.extend(part.place_nodes);
        data.street_names.extend(part.street_names);
        data.notes.extend(part.notes);
        data.roles.extend(part.roles);
        relations.extend(part.relations_kept);
    }
    data.roles.sort_unstable();
    data.roles.dedup_by_key(|r| r.0);
    data.street_names.sort_unstable();
    data.street_names.dedup_by_key(|s| s.0);
    data.stats.walkable_ways = data.walk_ways.len();
    Ok((kinds, relations))
}

/// Pass 2: member ways of multipolygon relations, and the relations
/// assembled into areas.
fn read_member_ways(
    file: &PbfFile,
    kinds: &[pbf::BlobKinds],
    relations: Vec<RelationRec>,
    data: &mut OsmData,
) -> Result<()> {
    let mut member_refs: HashMap<i64, Vec<i64>> = HashMap::new();
    let mut wanted: Vec<i64> = relations
        .iter()
        .flat_map(|r: &RelationRec| r.members.iter().map(|m| m.0))
        .collect();
    wanted.sort_unstable();
    wanted.dedup();
    let parts = file.par_map_blocks(
        Some(kinds),
        |k| k & pbf::HAS_WAYS != 0,
        |b| member_ways(b, &wanted).map_err(|e| file.corrupt(e)),
    )?;
    for (_, part) in parts {
        member_refs.extend(part);
    }
    for rel in relations {
        let (outer, inner, unclosed) = rel.assemble(&member_refs);
        data.stats.unclosed_rings += unclosed;
        if !outer.is_empty() {
            data.areas.push(OsmArea {
                osm: OsmRef::Relation(rel.id),
                tags: rel.tags,
                categories: rel.categories,
                kind: rel.kind,
                outer,
                inner,
            });
        }
    }
    Ok(())
}

/// Pass 3: coordinates of every node a kept object uses; points whose node
/// is missing or out of range are dropped.
fn read_coordinates(file: &PbfFile, kinds: &[pbf::BlobKinds], data: &mut OsmData) -> Result<()> {
    let mut ids: Vec<i64> = data.walk_refs.concat();
    for a in &data.areas {
        ids.extend(a.outer.iter().chain(&a.inner).flatten());
    }
    ids.extend(data.points.iter().map(|p| p.id()));
    ids.extend(data.place_nodes.iter().map(|p| p.id()));
    for b in &data.buildings {
        ids.extend(&b.ring);
    }
    radix_sort_dedup(&mut ids);
    // Each node is in one block, so threads store into disjoint slots.
    let slots: Vec<AtomicU64> = (0..ids.len()).map(|_| AtomicU64::new(MISSING)).collect();
    file.par_map_blocks(
        Some(kinds),
        |k| k & pbf::HAS_NODES != 0,
        |b| node_coords(b, &ids, &slots).map_err(|e| file.corrupt(e)),
    )?;
    // Same layout: collected in place, no copy.
    let decimicro: Vec<u64> = slots.into_iter().map(AtomicU64::into_inner).collect();
    data.stats.missing_nodes = decimicro.iter().filter(|c| **c == MISSING).count();
    data.stats.coordinates_kept = ids.len() - data.stats.missing_nodes;
    data.coords = NodeCoords { ids, decimicro };
    let coords = &data.coords;
    let locate = |p: &mut OsmPoint| {
        let Some(lonlat) = coords.get(p.id()) else {
            return false;
        };
        p.lonlat = lonlat;
        lonlat[0].abs() <= 180.0 && lonlat[1].abs() <= 90.0
    };
    data.points.retain_mut(locate);
    data.place_nodes.retain_mut(locate);
    Ok(())
}

/// One blob's share of pass 1.
#[derive(Default)]
struct FirstPass {
    nodes: u64,
    ways: u64,
    relations: u64,
    /// Walkable ways, their refs ranges into `walk_refs`.
    walk_ways: Vec<WalkWay>,
    walk_refs: Vec<i64>,
    areas: Vec<OsmArea>,
    points: Vec<OsmPoint>,
    buildings: Vec<OsmBuilding>,
    place_nodes: Vec<OsmPoint>,
    street_names: Vec<(i64, String)>,
    roles: Vec<(i64, u8)>,
    relations_kept: Vec<RelationRec>,
    notes: Vec<Note>,
}

impl FirstPass {
    /// The object's categories, keeping what classification noted.
    fn classify(&mut self, profile: &Profile, osm: OsmRef, tags: &BlockTags) -> u32 {
        let c = profile.classify_object(osm, tags);
        if let Some(kind) = c.note {
            let name = tags.get_lossy("name").map(|s| s.trim().to_string());
            self.notes.push(Note { osm, name, kind });
        }
        c.categories
    }
}

/// Keys [`residential_kind`] reads.
/// (and [`building_of`], [`is_neighbourhood_node`]).
const RESIDENTIAL_KEYS: &[&str] = &["landuse", "place", "building", "place:CN"];

/// The residential kind of an object's tags.
fn residential_kind<T: TagLookup + ?Sized>(tags: &T) -> u8 {
    let mut kind = 0;
    if tags.get("landuse") == Some("residential") {
        kind |= area_kind::RESIDENTIAL;
    }
    if matches!(tags.get("place"), Some("neighbourhood" | "quarter")) {
        kind |= area_kind::NEIGHBOURHOOD;
    }
    kind
}

/// Pass 1 over one block: counts its objects and keeps the tagged ones some
/// rule reads. The element loop (with the dense-node fast path) stays here;
/// each tagged object is handled apart.
fn first_pass(
    block: &Block,
    profile: &Profile,
    filter: &TagFilter,
) -> std::result::Result<FirstPass, Corrupt> {
    let mut out = FirstPass::default();
    let mut reader = TagReader::new(block, filter);
    for element in block.elements() {
        match element? {
            Element::Node(n) => {
                out.nodes += 1;
                if let Some(tags) = reader.split(n.keys, n.vals) {
                    tagged_node(&mut out, profile, n.id, &tags);
                }
            }
            Element::Dense(d) => {
                out.nodes += d.ids.count() as u64;
                // Untagged nodes and blocks whose string table holds no
                // trigger key cost only this count.
                if d.keys_vals.is_empty() || !reader.block_has_triggers() {
                    continue;
                }
                // Coordinates are not decoded here: the few tagged nodes kept
                // get theirs in pass 3 with everything else.
                let mut keys_vals = d.keys_vals.varints();
                for id in d.ids.delta() {
                    if let Some(tags) = reader.dense(&mut keys_vals) {
                        tagged_node(&mut out, profile, id, &tags);
                    }
                }
            }
            Element::Way(w) => {
                out.ways += 1;
                if let Some(tags) = reader.split(w.keys, w.vals) {
                    tagged_way(&mut out, profile, &w, &tags);
                }
            }
            Element::Relation(r) => {
                out.relations += 1;
                if let Some(tags) = reader.split(r.keys, r.vals) {
                    tagged_relation(&mut out, profile, block, &r, &tags);
                }
            }
        }
    }
    Ok(out)
}

/// Keeps what a tagged way is: a walkable way (and its street name), a
/// building, and a facility or residential area.
fn tagged_way(out: &mut FirstPass, profile: &Profile, w: &Way, tags: &BlockTags) {
    let (private, class) = match walkability(tags) {
        Walkability::No => (false, None),
        Walkability::Yes(class) => (false, Some(class)),
        Walkability::IfInsideCompound(class) => (true, Some(class)),
    };
    if let Some(class) = class {
        walk_way(out, w, tags, class, private);
    }
    if let Some((residential, levels)) = building_of(tags) {
        let ring: Vec<i64> = w.refs.delta().collect();
        if ring.len() >= 4 && ring.first() == ring.last() {
            out.buildings.push(OsmBuilding {
                id: w.id,
                residential,
                levels,
                street: tags.get_lossy("addr:street"),
                housename: tags.get_lossy("addr:housename"),
                ring,
            });
        }
    }
    let categories = out.classify(profile, OsmRef::Way(w.id), tags);
    let kind = residential_kind(tags);
    if categories != 0 || kind != 0 {
        let refs: Vec<i64> = w.refs.delta().collect();
        if refs.len() >= 2 {
            let closed = refs.len() >= 4 && refs.first() == refs.last();
            // Residential land must be an area; a facility may be a line.
            if closed || kind == 0 {
                out.areas.push(OsmArea {
                    osm: OsmRef::Way(w.id),
                    tags: PlaceTags::read(tags),
                    categories,
                    kind: if closed { kind } else { 0 },
                    outer: vec![refs],
                    inner: vec![],
                });
            }
        }
    }
}

/// Keeps a walkable way of `class` (its refs appended to the block's), and
/// the name of a street that is not a footway or steps.
fn walk_way(out: &mut FirstPass, w: &Way, tags: &BlockTags, class: WayClass, private: bool) {
    let start = out.walk_refs.len() as u32;
    out.walk_refs.extend(w.refs.delta());
    out.walk_ways.push(WalkWay {
        id: w.id,
        class,
        private,
        flags: way_flags(tags),
        refs_chunk: 0,
        refs_start: start,
        refs_end: out.walk_refs.len() as u32,
    });
    if !matches!(class, WayClass::Footway | WayClass::Steps) {
        if let Some(name) = tags.get_lossy("name").filter(|n| !n.trim().is_empty()) {
            out.street_names.push((w.id, name.trim().to_string()));
        }
    }
}

/// Keeps a multipolygon relation that is a facility or residential, with
/// its way members (inner or not) for pass 2.
fn tagged_relation(
    out: &mut FirstPass,
    profile: &Profile,
    block: &Block,
    r: &Relation,
    tags: &BlockTags,
) {
    if tags.get("type") != Some("multipolygon") {
        return;
    }
    let categories = out.classify(profile, OsmRef::Relation(r.id), tags);
    let kind = residential_kind(tags);
    if categories == 0 && kind == 0 {
        return;
    }
    let (mut types, mut roles) = (r.types.varints(), r.roles.varints());
    let mut members = Vec::new();
    for id in r.members.delta() {
        let is_way = types.next() == Some(MEMBER_WAY);
        let role = roles.next().and_then(|s| block.string(s));
        if is_way {
            members.push((id, role == Some(b"inner")));
        }
    }
    out.relations_kept.push(RelationRec {
        id: r.id,
        tags: PlaceTags::read(tags),
        categories,
        kind,
        members,
    });
}

/// Records a node's roles and, if it is a facility, the facility (its
/// coordinates are filled in after pass 3).
fn tagged_node(out: &mut FirstPass, profile: &Profile, id: i64, tags: &BlockTags) {
    let roles = node_roles(tags);
    if roles != 0 {
        out.roles.push((id, roles));
    }
    if is_neighbourhood_node(tags) {
        out.place_nodes.push(OsmPoint {
            osm: OsmRef::Node(id),
            tags: PlaceTags::read(tags),
            categories: 0,
            lonlat: [f64::NAN; 2],
        });
    }
    let categories = out.classify(profile, OsmRef::Node(id), tags);
    if categories != 0 {
        out.points.push(OsmPoint {
            osm: OsmRef::Node(id),
            tags: PlaceTags::read(tags),
            categories,
            lonlat: [f64::NAN; 2],
        });
    }
}

/// A multipolygon relation kept in pass 1, waiting for its member ways.
struct RelationRec {
    id: i64,
    tags: PlaceTags,
    categories: u32,
    kind: u8,
    /// (way id, is inner)
    members: Vec<(i64, bool)>,
}

impl RelationRec {
    /// Joins member ways into closed rings. Returns outer rings, inner rings and
    /// the number of rings that could not be closed (dropped).
    fn assemble(&self, ways: &HashMap<i64, Vec<i64>>) -> (Vec<Vec<i64>>, Vec<Vec<i64>>, usize) {
        let mut unclosed = 0;
        let mut rings = [Vec::new(), Vec::new()];
        for inner in [false, true] {
            let parts: Vec<&[i64]> = self
                .members
                .iter()
                .filter(|m| m.1 == inner)
                .filter_map(|m| ways.get(&m.0).map(|v| v.as_slice()))
                .filter(|r| r.len() >= 2)
                .collect();
            let (closed, open) = join_rings(&parts);
            unclosed += open;
            rings[usize::from(inner)] = closed;
        }
        let [outer, inner] = rings;
        (outer, inner, unclosed)
    }
}

/// Joins way segments end to end into closed rings (node id lists whose first
/// and last ids are equal). Returns the rings and how many chains stayed open.
pub fn join_rings(parts: &[&[i64]]) -> (Vec<Vec<i64>>, usize) {
    let mut by_end: HashMap<i64, Vec<usize>> = HashMap::new();
    for (i, p) in parts.iter().enumerate() {
        by_end.entry(p[0]).or_default().push(i);
        by_end.entry(p[p.len() - 1]).or_default().push(i);
    }
    let mut used = vec![false; parts.len()];
    let mut rings = Vec::new();
    let mut open = 0;
    for start in 0..parts.len() {
        if used[start] {
            continue;
        }
        used[start] = true;
        let mut ring: Vec<i64> = parts[start].to_vec();
        while ring.first() != ring.last() {
            let end = *ring.last().expect("non-empty");
            let next = by_end
                .get(&end)
                .and_then(|c| c.iter().copied().find(|&j| !used[j]));
            let Some(j) = next else { break };
            used[j] = true;
            let p = parts[j];
            if p[0] == end {
                ring.extend_from_slice(&p[1..]);
            } else {
                ring.extend(p[..p.len() - 1].iter().rev());
            }
        }
        if ring.len() >= 4 && ring.first() == ring.last() {
            rings.push(ring);
        } else {
            open += 1;
        }
    }
    (rings, open)
}

fn member_ways(
    block: &Block,
    wanted: &[i64],
) -> std::result::Result<Vec<(i64, Vec<i64>)>, Corrupt> {
    let mut out = Vec::new();
    for element in block.elements() {
        if let Element::Way(w) = element? {
            if wanted.binary_search(&w.id).is_ok() {
                out.push((w.id, w.refs.delta().collect()));
            }
        }
    }
    Ok(out)
}

/// The coordinates of the block's nodes that are in `ids` (sorted), as
/// stored in `slots` by their index in `ids`.
fn node_coords(
    block: &Block,
    ids: &[i64],
    slots: &[AtomicU64],
) -> std::result::Result<(), Corrupt> {
    let mut cursor = 0;
    let mut last = i64::MIN;
    let mut keep = |id: i64, lon: i64, lat: i64| {
        if id < last {
            // Not sorted by id: search from the start again.
            cursor = 0;
        }
        last = id;
        cursor = seek(ids, cursor, id);
        if ids.get(cursor) == Some(&id) {
            let c = [block.decimicro(lon, false), block.decimicro(lat, true)];
            // A node stored twice (concatenated extracts) has the same
            // coordinates in both copies, so which store lands last is moot.
            slots[cursor].store(pack(c), Ordering::Relaxed);
        }
    };
    for element in block.elements() {
        match element? {
            Element::Node(n) => keep(n.id, n.lon, n.lat),
            Element::Dense(d) => {
                let nodes = d.ids.delta().zip(d.lats.delta()).zip(d.lons.delta());
                for ((id, lat), lon) in nodes {
                    keep(id, lon, lat);
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// The first index at or after `from` whose id is not below `id`, assuming
/// `ids[from..]` is sorted and every id before `from` is below `id`. Node
/// blocks are sorted and the wanted ids dense in them, so the answer is usually
/// a step or two away: gallop, then bisect.
fn seek(ids: &[i64], from: usize, id: i64) -> usize {
    let mut lo = from;
    let mut step = 1;
    while lo + step < ids.len() && ids[lo + step] < id {
        lo += step;
        step *= 2;
    }
    let hi = (lo + step + 1).min(ids.len());
    lo + ids[lo.min(hi)..hi].partition_point(|&x| x < id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_rings_joins_reversed_parts_and_reports_open_chains() {
        let a: &[i64] = &[1, 2, 3];
        let b: &[i64] = &[5, 4, 3];
        let c: &[i64] = &[5, 6, 1];
        let d: &[i64] = &[10, 11];
        let (rings, open) = join_rings(&[a, b, c, d]);
        assert_eq!(rings, vec![vec![1, 2, 3, 4, 5, 6, 1]]);
        assert_eq!(open, 1);
    }

    #[test]
    fn radix_sort_equals_a_comparison_sort() {
        let seed = 0x05ee_d1d5;
        let mut state = seed;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for (n, spread) in [
            (0, 1),
            (1, 1),
            (1000, 50),
            (5000, 1 << 20),
            (5000, u64::MAX),
        ] {
            let mut ids: Vec<i64> = (0..n).map(|_| (next() % spread) as i64).collect();
            ids.push(i64::MIN);
            ids.push(i64::MAX);
            let mut want = ids.clone();
            want.sort_unstable();
            want.dedup();
            radix_sort_dedup(&mut ids);
            assert_eq!(ids, want, "seed {seed:#x}, n {n}, spread {spread}");
        }
    }

    #[test]
    fn seek_finds_every_position_from_every_start() {
        let ids = [2i64, 3, 5, 8, 13, 21, 34, 55];
        for id in 0..60 {
            let want = ids.partition_point(|&x| x < id);
            for from in 0..=want {
                assert_eq!(seek(&ids, from, id), want, "id {id} from {from}");
            }
        }
    }
}

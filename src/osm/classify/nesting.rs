//! Schools mapped inside schools: a school area (`amenity=school` grounds) that
//! contains other school objects (a node, a `building=school`) is one school
//! with them, not two.
//!
//! - An area with no level takes the levels of the schools inside it
//!   (grounds tagged `amenity=school` around a building named "Grundschule …":
//!   one primary school), and they are counted once, as the area.
//! - An area with a level absorbs the schools inside it that have no level or
//!   only levels it has (a node mapped inside its own area); a school inside
//!   it with another level (a kindergarten class on a primary school's
//!   grounds) stays a school of its own.
//!
//! The inner object of a school inside a school is the one whose
//! representative point (a node; an area's interior point) lies in the other
//! area, the smallest such area when several contain it. Objects set by the
//! planner's overrides are left as the planner set them.

use std::collections::HashMap;

use geo::{Area, Contains, InteriorPoint, MultiPolygon, Point};
use rstar::{RTree, RTreeObject, AABB};

use crate::osm::classify::NoteKind;
use crate::osm::ingest::{AreaGeometry, OsmData};
use crate::profile::Profile;
use crate::tags::OsmRef;

/// What nesting did: how many school objects were one school with the area
/// around them, and a few of them.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct NestingReport {
    /// School objects merged into the school area around them.
    pub merged: usize,
    /// Up to 8 of them, as `inner (osm) in area (osm)`.
    pub examples: Vec<String>,
}

/// A school area in the index: its bounding box, polygon, planar size (square
/// degrees: only compared) and index in `data.areas`.
struct Grounds {
    bbox: AABB<[f64; 2]>,
    shape: MultiPolygon<f64>,
    size: f64,
    index: usize,
}

impl RTreeObject for Grounds {
    type Envelope = AABB<[f64; 2]>;
    fn envelope(&self) -> Self::Envelope {
        self.bbox
    }
}

/// Where a school object is: an area (index into `data.areas`) or a point.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Obj {
    Area(usize),
    Point(usize),
}

/// Merges schools mapped inside school areas into them (see the module doc),
/// changing the categories of `data`'s areas and points and its notes.
pub fn apply(data: &mut OsmData, profile: &Profile) -> NestingReport {
    let mut report = NestingReport::default();
    let mask = profile.school_category_mask();
    let other = profile
        .schools
        .as_ref()
        .and_then(|s| profile.category_index(&s.other))
        .map_or(0, |i| 1u32 << i);
    if mask == 0 {
        return report;
    }
    // School notes by object (overridden objects carry no School note).
    let note_of: HashMap<OsmRef, usize> = data
        .notes
        .iter()
        .enumerate()
        .filter(|(_, n)| matches!(n.kind, NoteKind::School { .. }))
        .map(|(i, n)| (n.osm, i))
        .collect();
    let school = SchoolBits { mask, other };
    let nests = nests(data, &note_of);
    let removed = absorb(data, &nests, school, &note_of);
    retire(data, removed, mask, &note_of, &mut report);
    report
}

/// Which category bits are school levels, and which one is the catch-all
/// "other school" that a known level replaces.
#[derive(Clone, Copy)]
struct SchoolBits {
    mask: u32,
    other: u32,
}

/// Every school area that holds school objects, smallest first, with the
/// objects whose innermost school area it is.
fn nests(data: &OsmData, note_of: &HashMap<OsmRef, usize>) -> Vec<(usize, Vec<Obj>)> {
    let (grounds, reps) = locate(data, note_of);
    let tree = RTree::bulk_load(grounds);
    let mut inside: HashMap<usize, Vec<Obj>> = HashMap::new();
    for (obj, p, own_area) in reps {
        let around = tree
            .locate_in_envelope_intersecting(&AABB::from_point([p.x(), p.y()]))
            .filter(|g| Obj::Area(g.index) != obj && g.shape.contains(&p))
            .filter(|g| own_area.is_none_or(|a| smaller(a, obj, g)))
            .min_by(|a, b| a.size.total_cmp(&b.size).then(a.index.cmp(&b.index)));
        if let Some(g) = around {
            inside.entry(g.index).or_default().push(obj);
        }
    }
    // Smallest first, so that a school inside a school inside grounds reaches
    // the grounds with what it absorbed.
    let size_of: HashMap<usize, f64> = tree.iter().map(|g| (g.index, g.size)).collect();
    let mut nests: Vec<(usize, Vec<Obj>)> = inside.into_iter().collect();
    nests.sort_by(|(a, _), (b, _)| size_of[a].total_cmp(&size_of[b]).then(a.cmp(b)));
    nests
}

/// Gives each school area the levels of the schools inside it that it
/// absorbs, and returns those (object, area) pairs.
fn absorb(
    data: &mut OsmData,
    nests: &[(usize, Vec<Obj>)],
    school: SchoolBits,
    note_of: &HashMap<OsmRef, usize>,
) -> Vec<(Obj, usize)> {
    let SchoolBits { mask, other } = school;
    let mut removed = Vec::new();
    for (a, objs) in nests {
        let a = *a;
        let own = data.areas[a].categories & mask;
        let levels = own & !other;
        let mut set = own;
        for &obj in objs {
            let inner = categories(data, obj) & mask;
            let inner_levels = inner & !other;
            if levels == 0 || inner_levels & !levels == 0 {
                set |= inner_levels;
                removed.push((obj, a));
            }
        }
        if set & !other != 0 {
            set &= !other;
        }
        if set != own {
            let area = &mut data.areas[a];
            area.categories = area.categories & !mask | set;
            if let Some(&n) = note_of.get(&area.osm) {
                data.notes[n].kind = NoteKind::School {
                    categories: set,
                    signal: "nested",
                };
            }
        }
    }
    removed
}

/// Takes the school categories (and school notes) off every absorbed
/// object, counting them with a few examples in `report`.
fn retire(
    data: &mut OsmData,
    mut removed: Vec<(Obj, usize)>,
    mask: u32,
    note_of: &HashMap<OsmRef, usize>,
    report: &mut NestingReport,
) {
    removed.sort_by_key(|&(obj, _)| osm_of(data, obj));
    let mut drop_notes = Vec::new();
    for (obj, a) in removed {
        let osm = osm_of(data, obj);
        match obj {
            Obj::Area(i) => data.areas[i].categories &= !mask,
            Obj::Point(i) => data.points[i].categories &= !mask,
        }
        if let Some(&n) = note_of.get(&osm) {
            drop_notes.push(n);
        }
        report.merged += 1;
        if report.examples.len() < 8 {
            let name = |n: Option<&str>| n.unwrap_or("unnamed").to_string();
            let inner = name(name_of(data, obj));
            let area = &data.areas[a];
            report.examples.push(format!(
                "{inner} ({osm}) in {} ({})",
                name(area.tags.name.as_deref()),
                area.osm
            ));
        }
    }
    drop_notes.sort_unstable();
    let mut k = 0;
    data.notes.retain(|_| {
        let keep = drop_notes.binary_search(&k).is_err();
        k += 1;
        keep
    });
}

/// The school areas (with their polygons) and every school object's
/// representative point, with its own planar size when it is an area.
#[allow(clippy::type_complexity)]
fn locate(
    data: &OsmData,
    note_of: &HashMap<OsmRef, usize>,
) -> (Vec<Grounds>, Vec<(Obj, Point<f64>, Option<f64>)>) {
    let mut grounds = Vec::new();
    let mut reps = Vec::new();
    for (i, a) in data.areas.iter().enumerate() {
        if !note_of.contains_key(&a.osm) {
            continue;
        }
        let Some(AreaGeometry::Polygon(mp)) = data.area_geometry(a) else {
            continue;
        };
        let (Some(p), Some(rect)) = (mp.interior_point(), geo::BoundingRect::bounding_rect(&mp))
        else {
            continue;
        };
        let size = mp.unsigned_area();
        reps.push((Obj::Area(i), p, Some(size)));
        grounds.push(Grounds {
            bbox: AABB::from_corners([rect.min().x, rect.min().y], [rect.max().x, rect.max().y]),
            shape: mp,
            size,
            index: i,
        });
    }
    for (i, p) in data.points.iter().enumerate() {
        if note_of.contains_key(&p.osm) {
            reps.push((Obj::Point(i), Point::new(p.lonlat[0], p.lonlat[1]), None));
        }
    }
    (grounds, reps)
}

/// Whether an area of planar size `own` (object `obj`) can lie inside the
/// grounds `g`: it is smaller, or as large and later in the file (a
/// `building=school` drawn on the outline of its `amenity=school` grounds).
fn smaller(own: f64, obj: Obj, g: &Grounds) -> bool {
    own < g.size || (own == g.size && matches!(obj, Obj::Area(i) if i > g.index))
}

fn categories(data: &OsmData, obj: Obj) -> u32 {
    match obj {
        Obj::Area(i) => data.areas[i].categories,
        Obj::Point(i) => data.points[i].categories,
    }
}

fn osm_of(data: &OsmData, obj: Obj) -> OsmRef {
    match obj {
        Obj::Area(i) => data.areas[i].osm,
        Obj::Point(i) => data.points[i].osm,
    }
}

fn name_of(data: &OsmData, obj: Obj) -> Option<&str> {
    match obj {
        Obj::Area(i) => data.areas[i].tags.name.as_deref(),
        Obj::Point(i) => data.points[i].tags.name.as_deref(),
    }
}

//! Analysis units from OpenStreetMap: every home in some unit, each unit
//! saying which rule made it (`rule`).
//!
//! The rules, in order (a planner's `--communities` replaces all of them):
//! 1. `landuse`: every `landuse=residential` area, named or not, is a
//!    compound (小区); `place-area`: every `place=neighbourhood|quarter` area
//!    is a neighbourhood (社区).
//! 2. `place-node`: every `place=neighbourhood|quarter` (or `place:CN`) node
//!    that lies in no mapped neighbourhood area becomes a 社区 whose land is the
//!    residential land nearest to it
//!    ([`crate::places::lists::community_points::areas_for_points`], the rule used for
//!    a planner's centre points), the building blocks of rule 3 counting as
//!    residential land.
//! 3. `buildings`: residential buildings ([`crate::osm::ingest::OsmBuilding`])
//!    outside every `landuse=residential` area are grouped into **blocks**:
//!    two buildings are in the same block when a chain of buildings links
//!    them, each link shorter than [`LINK_M`] between footprint centres and
//!    crossing no street (a walkable way that is not a footway or steps). A
//!    block's outline is the convex hull of its footprints.
//! 4. `grid`: only where none of that exists (see [`crate::places::grid_communities`]).
//!
//! **Labels.** An unnamed unit is labelled by the most common `addr:street`
//! of the buildings in it, else their most common `addr:housename`, else the
//! nearest named street within [`LABEL_STREET_M`], always followed by its id so
//! that labels are unique and never empty: `湖滨北大道旁小区 (w123)` in an
//! extract whose names are mostly Chinese (CJK), `near Mannerheimintie (w123)`
//! otherwise.

use std::collections::{BTreeMap, HashMap};

use geo::{BoundingRect, Centroid, Contains, ConvexHull, InteriorPoint, MultiPoint, MultiPolygon};
use rayon::prelude::*;
use rstar::primitives::{GeomWithData, Line, Rectangle};
use rstar::{RTree, AABB};

use crate::geodesy::LocalProjection;
use crate::osm::ingest::{area_kind, AreaGeometry, OsmData};
use crate::osm::walkable::WayClass;
use crate::places::{geodesic_area_m2, CommunityInput};
use crate::tags::OsmRef;

/// Longest link between two buildings' centres in one block, metres.
pub const LINK_M: f64 = 60.0;
/// Named streets farther than this from an unnamed unit do not label it.
pub const LABEL_STREET_M: f64 = 500.0;

/// The language of generated labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    /// Most names in the extract are Chinese (contain CJK characters).
    Chinese,
    /// Any other language: labels in English.
    Other,
}

/// A residential building, resolved.
#[derive(Debug, Clone)]
pub struct Home {
    /// The building's way id.
    pub id: i64,
    /// Centroid of the footprint, lon/lat.
    pub lonlat: [f64; 2],
    /// Geodesic area of the footprint, m².
    pub footprint_m2: f64,
    /// `building:levels`, when mapped and a positive number.
    pub levels: Option<f64>,
    /// A residential building type (not `building=yes` with levels).
    pub residential: bool,
    /// Index of the `landuse=residential` area it lies in, if any.
    pub land: Option<usize>,
    polygon: geo::Polygon<f64>,
    street: Option<String>,
    housename: Option<String>,
}

/// The streets of an extract, in local metres: named ones for labels, every
/// non-footway for block edges. Built before the walkable ways are released.
pub struct Streets {
    proj: LocalProjection,
    named: RTree<GeomWithData<Line<[f64; 2]>, u32>>,
    names: Vec<String>,
    edges: RTree<Line<[f64; 2]>>,
}

impl Streets {
    /// Collects the street segments of `data`'s walkable ways.
    pub fn new(data: &OsmData) -> Streets {
        let origin = (0..data.coords.len())
            .find_map(|i| data.coords.at(i))
            .unwrap_or([0.0, 0.0]);
        let proj = LocalProjection::new(origin[0], origin[1]);
        let (mut named, mut names, mut edges) = (Vec::new(), Vec::new(), Vec::new());
        let mut name_ids: HashMap<String, u32> = HashMap::new();
        for way in &data.walk_ways {
            if matches!(way.class, WayClass::Footway | WayClass::Steps) {
                continue;
            }
            let name = data
                .street_names
                .binary_search_by_key(&way.id, |s| s.0)
                .ok()
                .map(|i| {
                    let n = &data.street_names[i].1;
                    *name_ids.entry(n.clone()).or_insert_with(|| {
                        names.push(n.clone());
                        names.len() as u32 - 1
                    })
                });
            let pts: Vec<[f64; 2]> = data
                .refs(way)
                .iter()
                .filter_map(|&id| data.coords.get(id))
                .map(|p| proj.project(p))
                .collect();
            for w in pts.windows(2) {
                let line = Line::new(w[0], w[1]);
                if let Some(n) = name {
                    named.push(GeomWithData::new(line, n));
                }
                edges.push(line);
            }
        }
        // The two trees are independent: loaded side by side.
        let (named, edges) = rayon::join(|| RTree::bulk_load(named), || RTree::bulk_load(edges));
        Streets {
            proj,
            named,
            names,
            edges,
        }
    }

    /// The nearest named street within [`LABEL_STREET_M`] of a point.
    fn nearest_name(&self, lonlat: [f64; 2]) -> Option<&str> {
        let xy = self.proj.project(lonlat);
        let near = self.named.nearest_neighbor(&xy)?;
        use rstar::PointDistance;
        (near.distance_2(&xy) <= LABEL_STREET_M * LABEL_STREET_M)
            .then(|| self.names[near.data as usize].as_str())
    }

    /// Whether the segment `a`–`b` (metres) crosses a street.
    fn separates(&self, a: [f64; 2], b: [f64; 2]) -> bool {
        let env = AABB::from_corners(a, b);
        self.edges.locate_in_envelope_intersecting(&env).any(|l| {
            let (d2, _) = crate::geodesy::segment_segment(a, b, l.from, l.to);
            d2 <= 1e-12
        })
    }
}

/// How many units each rule made and what share of the extract's homes they
/// hold (the `units` section of `summary.json`).
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct UnitStats {
    /// Units per rule: `landuse`, `place-area`, `place-node`, `buildings`,
    /// `grid`, `file`.
    pub by_rule: BTreeMap<String, usize>,
    /// Unnamed units given a generated label.
    pub labelled: usize,
    /// `place-node` 社区 that found no residential land within 1 km and got a
    /// catchment disc instead.
    pub place_node_catchments: usize,
    /// Area of the extract's `landuse=residential` polygons, m².
    pub residential_land_m2: f64,
    /// Share of that area in pieces of land a point inside which lies in some
    /// unit.
    pub residential_land_covered: f64,
    /// Residential buildings of the extract ([`Home`]).
    pub residential_buildings: usize,
    /// Share of them whose footprint centre lies in some unit.
    pub residential_buildings_covered: f64,
}

/// What the unit rules read from an extract, resolved once.
pub struct Homes {
    /// The residential buildings of the extract.
    pub homes: Vec<Home>,
    /// `landuse=residential` polygons (lon/lat), by area index.
    land: Vec<(usize, MultiPolygon<f64>)>,
    /// The language of generated labels.
    pub language: Language,
}

impl Homes {
    /// Resolves the residential land and buildings of `data`.
    pub fn new(data: &OsmData) -> Homes {
        let land: Vec<(usize, MultiPolygon<f64>)> = data
            .areas
            .iter()
            .enumerate()
            .filter(|(_, a)| a.kind & area_kind::RESIDENTIAL != 0)
            .filter_map(|(i, a)| match data.area_geometry(a) {
                Some(AreaGeometry::Polygon(p)) => Some((i, p)),
                _ => None,
            })
            .collect();
        let tree = bbox_tree(land.iter().map(|(_, p)| p));
        // Buildings one by one on every thread; `collect` keeps their order.
        let homes = data
            .buildings
            .par_iter()
            .filter_map(|b| {
                let ring = data.ring_coords(&b.ring);
                if ring.len() < 4 {
                    return None;
                }
                let polygon = geo::Polygon::new(geo::LineString::from(ring), vec![]);
                let c = polygon.centroid()?;
                let land_of = containing(&tree, &land, c);
                if !b.residential && land_of.is_none() {
                    return None;
                }
                Some(Home {
                    id: b.id,
                    lonlat: [c.x(), c.y()],
                    footprint_m2: geodesic_area_m2(&MultiPolygon(vec![polygon.clone()])),
                    levels: b.levels,
                    residential: b.residential,
                    land: land_of.map(|k| land[k].0),
                    polygon,
                    street: b.street.clone(),
                    housename: b.housename.clone(),
                })
            })
            .collect();
        Homes {
            homes,
            land,
            language: language_of(data),
        }
    }

    /// The residential land polygons.
    pub fn land(&self) -> impl Iterator<Item = &MultiPolygon<f64>> {
        self.land.iter().map(|(_, p)| p)
    }
}

/// Chinese when most names in the extract contain CJK characters.
fn language_of(data: &OsmData) -> Language {
    let names = data
        .areas
        .iter()
        .filter_map(|a| a.tags.name.as_deref())
        .chain(data.street_names.iter().map(|s| s.1.as_str()));
    let (mut cjk, mut all) = (0usize, 0usize);
    for n in names {
        all += 1;
        if n.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)) {
            cjk += 1;
        }
    }
    if all > 0 && 2 * cjk > all {
        Language::Chinese
    } else {
        Language::Other
    }
}

type BoxTree = RTree<GeomWithData<Rectangle<[f64; 2]>, usize>>;

/// An R-tree of the polygons' bounding boxes.
fn bbox_tree<'a>(polygons: impl Iterator<Item = &'a MultiPolygon<f64>>) -> BoxTree {
    let boxes = polygons
        .enumerate()
        .filter_map(|(i, p)| {
            let r = p.bounding_rect()?;
            Some(GeomWithData::new(
                Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                i,
            ))
        })
        .collect();
    RTree::bulk_load(boxes)
}

/// The first (lowest index) polygon containing `p`.
fn containing<T>(
    tree: &BoxTree,
    polygons: &[(T, MultiPolygon<f64>)],
    p: geo::Point,
) -> Option<usize> {
    tree.locate_all_at_point(&[p.x(), p.y()])
        .map(|g| g.data)
        .filter(|&k| polygons[k].1.contains(&p))
        .min()
}

/// Most common value (ties: the alphabetically first).
fn most_common<'a>(values: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for v in values.filter(|v| !v.trim().is_empty()) {
        *counts.entry(v).or_default() += 1;
    }
    let best = counts.values().copied().max()?;
    counts.into_iter().find(|(_, n)| *n == best).map(|(v, _)| v)
}

/// The label of an unnamed unit of `what` (`compound`, `neighbourhood`,
/// `block`) from the homes in it and the streets near it.
fn label(
    what: &str,
    id: &str,
    homes: &[&Home],
    centre: [f64; 2],
    streets: &Streets,
    language: Language,
) -> String {
    let street = most_common(homes.iter().filter_map(|h| h.street.as_deref()));
    if street.is_none() {
        if let Some(h) = most_common(homes.iter().filter_map(|h| h.housename.as_deref())) {
            return format!("{h} ({id})");
        }
    }
    let street = street.or_else(|| streets.nearest_name(centre));
    let zh = match what {
        "neighbourhood" => "社区",
        "block" => "街坊",
        _ => "小区",
    };
    let en = match what {
        "neighbourhood" => "neighbourhood",
        "block" => "block",
        _ => "residential area",
    };
    match (language, street) {
        (Language::Chinese, Some(s)) => format!("{s}旁{zh} ({id})"),
        (Language::Chinese, None) => format!("无名{zh} ({id})"),
        (Language::Other, Some(s)) if what == "compound" => format!("near {s} ({id})"),
        (Language::Other, Some(s)) => format!("{en} near {s} ({id})"),
        (Language::Other, None) => format!("{en} ({id})"),
    }
}

fn centre_of(polygon: &MultiPolygon<f64>) -> [f64; 2] {
    polygon
        .interior_point()
        .or_else(|| polygon.centroid())
        .map_or([0.0, 0.0], |p| [p.x(), p.y()])
}

/// The OSM analysis units of an extract (rules 1–3 of this module; empty
/// when it maps no residential land, neighbourhood and residential building).
pub fn osm_units(
    data: &OsmData,
    homes: &Homes,
    streets: &Streets,
) -> (Vec<CommunityInput>, UnitStats) {
    let mut stats = UnitStats::default();
    let mut by_land: HashMap<usize, Vec<&Home>> = HashMap::new();
    for h in &homes.homes {
        if let Some(l) = h.land {
            by_land.entry(l).or_default().push(h);
        }
    }
    let mut out = Vec::new();
    let mut neighbourhood_areas = Vec::new();
    for (i, a) in data.areas.iter().enumerate() {
        if a.kind & (area_kind::RESIDENTIAL | area_kind::NEIGHBOURHOOD) == 0 {
            continue;
        }
        let Some(AreaGeometry::Polygon(polygon)) = data.area_geometry(a) else {
            continue;
        };
        let neighbourhood = a.kind & area_kind::NEIGHBOURHOOD != 0;
        let (kind, rule) = if neighbourhood {
            ("neighbourhood", "place-area")
        } else {
            ("compound", "landuse")
        };
        let id = a.osm.to_string();
        let name = a.tags.name.clone().unwrap_or_else(|| {
            stats.labelled += 1;
            let inside = by_land.get(&i).map_or(&[][..], |v| v.as_slice());
            label(
                kind,
                &id,
                inside,
                centre_of(&polygon),
                streets,
                homes.language,
            )
        });
        if neighbourhood {
            neighbourhood_areas.push(polygon.clone());
        }
        out.push(CommunityInput {
            id,
            name,
            source: "osm",
            kind,
            rule,
            tags: a.tags.clone(),
            polygon,
        });
    }
    let blocks = blocks(homes, streets, &mut stats);
    let mut land: Vec<MultiPolygon<f64>> = homes.land().cloned().collect();
    land.extend(blocks.iter().map(|b| b.polygon.clone()));
    out.extend(place_nodes(
        data,
        &neighbourhood_areas,
        &land,
        homes,
        streets,
        &mut stats,
    ));
    out.extend(blocks);
    for c in &out {
        *stats.by_rule.entry(c.rule.to_string()).or_default() += 1;
    }
    (out, stats)
}

/// Rule 2: neighbourhood nodes outside mapped neighbourhood areas.
fn place_nodes(
    data: &OsmData,
    areas: &[MultiPolygon<f64>],
    land: &[MultiPolygon<f64>],
    homes: &Homes,
    streets: &Streets,
    stats: &mut UnitStats,
) -> Vec<CommunityInput> {
    use crate::places::lists::community_points::{areas_for_points, AreaKind};
    let nodes: Vec<_> = data
        .place_nodes
        .iter()
        .filter(|p| {
            let pt = geo::Point::new(p.lonlat[0], p.lonlat[1]);
            !areas.iter().any(|a| a.contains(&pt))
        })
        .collect();
    let lonlat: Vec<[f64; 2]> = nodes.iter().map(|p| p.lonlat).collect();
    let shapes = areas_for_points(&lonlat, land);
    nodes
        .into_iter()
        .zip(shapes)
        .map(|(p, (polygon, how))| {
            if how == AreaKind::Catchment {
                stats.place_node_catchments += 1;
            }
            // Pieces of land may overlap: one valid outline.
            let polygon = if polygon.0.len() > 1 {
                crate::places::canonical(geo::unary_union(&polygon.0))
            } else {
                polygon
            };
            let id = p.osm.to_string();
            let name = p.tags.name.clone().unwrap_or_else(|| {
                stats.labelled += 1;
                label("neighbourhood", &id, &[], p.lonlat, streets, homes.language)
            });
            CommunityInput {
                id,
                name,
                source: "osm",
                kind: "neighbourhood",
                rule: "place-node",
                tags: p.tags.clone(),
                polygon,
            }
        })
        .collect()
}

/// Rule 3: blocks of residential buildings outside residential land.
fn blocks(homes: &Homes, streets: &Streets, stats: &mut UnitStats) -> Vec<CommunityInput> {
    let loose: Vec<&Home> = homes
        .homes
        .iter()
        .filter(|h| h.land.is_none() && h.residential)
        .collect();
    let xy: Vec<[f64; 2]> = loose
        .iter()
        .map(|h| streets.proj.project(h.lonlat))
        .collect();
    let tree = RTree::bulk_load(
        xy.iter()
            .enumerate()
            .map(|(i, &p)| GeomWithData::new(p, i))
            .collect::<Vec<_>>(),
    );
    let mut parent: Vec<usize> = (0..loose.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    for (i, &p) in xy.iter().enumerate() {
        for near in tree.locate_within_distance(p, LINK_M * LINK_M) {
            let j = near.data;
            if j <= i || streets.separates(p, xy[j]) {
                continue;
            }
            let (a, b) = (root(&mut parent, i), root(&mut parent, j));
            if a != b {
                parent[a.max(b)] = a.min(b);
            }
        }
    }
    let mut groups: BTreeMap<usize, Vec<&Home>> = BTreeMap::new();
    for (i, &home) in loose.iter().enumerate() {
        let r = root(&mut parent, i);
        groups.entry(r).or_default().push(home);
    }
    groups
        .into_values()
        .filter_map(|members| {
            let points: Vec<geo::Point> = members
                .iter()
                .flat_map(|h| h.polygon.exterior().points())
                .collect();
            let hull = MultiPoint(points).convex_hull();
            let polygon = MultiPolygon(vec![hull]);
            if geodesic_area_m2(&polygon) <= 0.0 {
                return None;
            }
            let first = members.iter().map(|h| h.id).min()?;
            let id = format!("block_{}", OsmRef::Way(first));
            stats.labelled += 1;
            let name = label(
                "block",
                &id,
                &members,
                centre_of(&polygon),
                streets,
                homes.language,
            );
            Some(CommunityInput {
                id,
                name,
                source: "osm",
                kind: "block",
                rule: "buildings",
                tags: Default::default(),
                polygon,
            })
        })
        .collect()
}

/// Whether any unit comes from mapped residential land or a neighbourhood
/// (rules 1 and 2); without them, the blocks of rule 3 are all an extract
/// says about where people live, and [`fill_with_grid`] fills the rest.
pub fn maps_residential_land(units: &[CommunityInput]) -> bool {
    units.iter().any(|u| u.rule != "buildings")
}

/// Rule 4 where the other rules made nothing: adds the grid cells that
/// overlap no unit.
pub fn fill_with_grid(units: &mut Vec<CommunityInput>, cells: Vec<CommunityInput>) {
    use geo::Intersects;
    let tree = bbox_tree(units.iter().map(|u| &u.polygon));
    let keep: Vec<CommunityInput> = cells
        .into_iter()
        .filter(|cell| {
            let Some(r) = cell.polygon.bounding_rect() else {
                return false;
            };
            let env = AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]);
            !tree
                .locate_in_envelope_intersecting(&env)
                .any(|g| units[g.data].polygon.intersects(&cell.polygon))
        })
        .collect();
    units.extend(keep);
}

/// Fills the covered shares of `stats` for the final units (after repair):
/// a piece of residential land, or a building, counts as covered when a
/// point inside it lies in some unit.
pub fn measure_coverage(stats: &mut UnitStats, units: &[CommunityInput], homes: &Homes) {
    let tree = bbox_tree(units.iter().map(|u| &u.polygon));
    let polygons: Vec<((), MultiPolygon<f64>)> =
        units.iter().map(|u| ((), u.polygon.clone())).collect();
    let inside = |p: geo::Point| containing(&tree, &polygons, p).is_some();
    let (mut total, mut covered) = (0.0, 0.0);
    for land in homes.land() {
        let area = geodesic_area_m2(land);
        total += area;
        if land.interior_point().is_some_and(&inside) {
            covered += area;
        }
    }
    stats.residential_land_m2 = total;
    stats.residential_land_covered = if total > 0.0 { covered / total } else { 1.0 };
    let residential: Vec<&Home> = homes.homes.iter().collect();
    stats.residential_buildings = residential.len();
    let n = residential
        .iter()
        .filter(|h| inside(geo::Point::new(h.lonlat[0], h.lonlat[1])))
        .count();
    stats.residential_buildings_covered = if residential.is_empty() {
        1.0
    } else {
        n as f64 / residential.len() as f64
    };
}

/// How a building's residents are estimated when no raster is given.
#[derive(Debug, Clone, Copy)]
pub struct FloorRule {
    /// Levels of a building that maps no `building:levels`.
    pub default_levels: f64,
    /// Residents per m² of floor area (footprint × levels).
    pub persons_per_m2: f64,
}

impl Home {
    /// Estimated residents: footprint × levels × persons per m² of floor.
    pub fn residents(&self, rule: FloorRule) -> f64 {
        self.footprint_m2 * self.levels.unwrap_or(rule.default_levels) * rule.persons_per_m2
    }
}

/// Residents per unit from the buildings in it: within each `kind` (level),
/// a building counts once, in the smallest unit of that kind that holds its
/// footprint centre, so that a level's total counts every building once. The
/// result is `None` for a unit that holds no building.
pub fn building_population(
    units: &[(&str, &MultiPolygon<f64>, f64)],
    homes: &Homes,
    rule: FloorRule,
) -> Vec<Option<f64>> {
    let mut out = vec![None; units.len()];
    let mut kinds: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, u) in units.iter().enumerate() {
        kinds.entry(u.0).or_default().push(i);
    }
    for ids in kinds.values() {
        let tree = bbox_tree(ids.iter().map(|&i| units[i].1));
        for h in &homes.homes {
            let p = geo::Point::new(h.lonlat[0], h.lonlat[1]);
            let best = tree
                .locate_all_at_point(&[p.x(), p.y()])
                .map(|g| ids[g.data])
                .filter(|&i| units[i].1.contains(&p))
                .min_by(|&a, &b| units[a].2.total_cmp(&units[b].2).then(a.cmp(&b)));
            if let Some(i) = best {
                *out[i].get_or_insert(0.0) += h.residents(rule);
            }
        }
    }
    out
}

/// Gives every community without a population from the planner's file the
/// residents of its buildings ([`building_population`], `pop_source` =
/// `buildings`), keeping a mapped `population` tag (`osm`) only for a unit
/// that holds no building; then its children (population × the share of the
/// age group in effect).
pub fn fill_population(
    communities: &mut [crate::places::Community],
    homes: &Homes,
    rules: &crate::profile::PopulationRules,
) {
    let rule = FloorRule {
        default_levels: rules.default_levels,
        persons_per_m2: rules.persons_per_floor_m2,
    };
    let units: Vec<(&str, &MultiPolygon<f64>, f64)> = communities
        .iter()
        .map(|c| (c.kind, &c.polygon, c.area_m2))
        .collect();
    let estimates = building_population(&units, homes, rule);
    for (c, estimate) in communities.iter_mut().zip(estimates) {
        if c.pop_source != "file" && c.pop_source != "raster" {
            if let Some(p) = estimate {
                c.population = Some(p);
                c.pop_source = "buildings";
            }
        }
        c.children = c.population.map(|p| p * rules.children_share);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(x: f64, y: f64, d: f64) -> MultiPolygon<f64> {
        MultiPolygon(vec![geo::Polygon::new(
            geo::LineString::from(vec![(x, y), (x + d, y), (x + d, y + d), (x, y + d), (x, y)]),
            vec![],
        )])
    }

    fn home(id: i64, x: f64, y: f64, levels: Option<f64>) -> Home {
        let polygon = square(x, y, 0.0001).0.remove(0);
        let c = polygon.centroid().unwrap();
        Home {
            id,
            lonlat: [c.x(), c.y()],
            footprint_m2: geodesic_area_m2(&MultiPolygon(vec![polygon.clone()])),
            levels,
            residential: true,
            land: None,
            polygon,
            street: None,
            housename: None,
        }
    }

    /// A 社区 holding two 小区 (one inside the other's overlap) and a
    /// building outside both: per level every building counts once, the
    /// 社区 total equals its compounds' plus the loose building, and a
    /// building in two overlapping compounds goes to the smaller.
    #[test]
    fn nested_and_overlapping_units_count_each_building_once() {
        let rule = FloorRule {
            default_levels: 3.0,
            persons_per_m2: 0.03,
        };
        let homes = Homes {
            homes: vec![
                home(1, 116.3001, 37.4501, Some(6.0)), // compound A only
                home(2, 116.3011, 37.4501, None),      // A and B overlap: B is smaller
                home(3, 116.3021, 37.4501, Some(2.0)), // compound B only
                home(4, 116.3051, 37.4541, Some(1.0)), // the 社区 only
                home(5, 116.4000, 37.5000, Some(9.0)), // in no unit
            ],
            land: vec![],
            language: Language::Chinese,
        };
        let n = square(116.2990, 37.4490, 0.008);
        let a = square(116.3000, 37.4500, 0.0015);
        let b = square(116.3010, 37.4500, 0.0012);
        let units = [
            ("neighbourhood", &n, geodesic_area_m2(&n)),
            ("compound", &a, geodesic_area_m2(&a)),
            ("compound", &b, geodesic_area_m2(&b)),
        ];
        let pop = building_population(&units, &homes, rule);
        let r: Vec<f64> = homes.homes.iter().map(|h| h.residents(rule)).collect();
        let close = |x: f64, y: f64| (x - y).abs() < 1e-6 * y.max(1.0);
        assert!(close(pop[0].unwrap(), r[0] + r[1] + r[2] + r[3]), "{pop:?}");
        assert!(close(pop[1].unwrap(), r[0]), "{pop:?}");
        assert!(close(pop[2].unwrap(), r[1] + r[2]), "{pop:?}");
        // The compound level counts buildings 1-3 once; with the loose
        // building the 社区 level counts all four.
        assert!(close(
            pop[1].unwrap() + pop[2].unwrap() + r[3],
            pop[0].unwrap()
        ));
        // Levels: 6, default 3, 2 and 1 floors of 0.0001° squares.
        assert!(close(r[1] * 2.0, r[0]), "{r:?}");
    }

    #[test]
    fn labels_are_never_empty_and_carry_the_id() {
        let data = OsmData::default();
        let streets = Streets::new(&data);
        let h = home(1, 116.3, 37.45, None);
        let mut named = h.clone();
        named.street = Some("湖滨北大道".into());
        for (lang, homes, want) in [
            (Language::Chinese, vec![&named], "湖滨北大道旁小区 (w1)"),
            (Language::Chinese, vec![&h], "无名小区 (w1)"),
            (Language::Other, vec![&named], "near 湖滨北大道 (w1)"),
            (Language::Other, vec![], "residential area (w1)"),
        ] {
            assert_eq!(
                label("compound", "w1", &homes, [116.3, 37.45], &streets, lang),
                want
            );
        }
    }
}

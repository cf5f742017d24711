//! Stage 4: places — children's facilities and residential communities, each
//! attached to the walking graph through access points.
//!
//! Access rules (the same for both, in order):
//! - areas are entered at **gates and entrances** on their outline;
//! - else where walkable edges **touch or cross** the outline (facilities) or at
//!   the **walking nodes inside** (communities: a compound's own paths);
//! - else at the **nearest point** of the network to the outline (facilities)
//!   or the centroid (communities), within the profile's `max_snap_m`.
//!
//! Points (facility nodes) snap to the nearest position on an edge. A place that
//! cannot be attached is kept and reported (`snapped = false`), never dropped.

pub mod community_file;
pub mod lists;
pub mod population;
pub mod snap;
pub mod units;

use geo::{Centroid, GeodesicArea, LineString, MapCoords, MultiPolygon};

use crate::network::graph::Graph;
use crate::osm::ingest::{AreaGeometry, OsmData, PlaceTags};
use crate::places::snap::GraphIndex;
use crate::profile::Profile;
use crate::search::position::AccessPoint;
use crate::tags::OsmRef;

/// A facility's shape as mapped.
#[derive(Debug, Clone)]
pub enum PlaceGeometry {
    /// A point, lon/lat degrees.
    Point([f64; 2]),
    /// A line, lon/lat degrees.
    Line(geo::LineString<f64>),
    /// An area, lon/lat degrees.
    Polygon(MultiPolygon<f64>),
}

/// One children's space of one category.
#[derive(Debug, Clone)]
pub struct Facility {
    /// The OSM object (`Node(0)` for a facility only in the planner's file).
    pub osm: OsmRef,
    /// Index of its category in the profile's categories.
    pub category: usize,
    /// Its name, where known.
    pub name: Option<String>,
    /// Lon/lat of the point, or of the area's centroid.
    pub lonlat: [f64; 2],
    /// Its shape as mapped.
    pub geometry: PlaceGeometry,
    /// Where a walk enters or leaves it; empty when it could not be attached.
    pub access: Vec<AccessPoint>,
    /// `capacity` (places) where mapped.
    pub capacity: Option<f64>,
    /// The planner's file row it came from or was merged with (`--facilities`);
    /// a facility only in the file has `osm` = `Node(0)`.
    pub file: Option<crate::places::lists::FileRef>,
}

impl Facility {
    /// `osm`, `file` (only in the planner's file) or `osm+file` (merged).
    pub fn source(&self) -> &'static str {
        match (&self.file, self.osm) {
            (None, _) => "osm",
            (Some(_), OsmRef::Node(0)) => "file",
            (Some(_), _) => "osm+file",
        }
    }

    /// A stable id per facility and category: `n123:kinder`, `file:K17:kinder`.
    pub fn fid(&self, category_id: &str) -> String {
        match (self.source(), &self.file) {
            ("file", Some(f)) => format!("file:{}:{category_id}", f.id),
            _ => format!("{}:{category_id}", self.osm),
        }
    }

    /// Search seeds for a walk from every access point of the facility.
    pub fn seeds(&self, graph: &Graph) -> Vec<crate::search::Seed> {
        self.access.iter().flat_map(|a| a.seeds(graph)).collect()
    }

    /// The starts of a walk from the facility (for times at points, see
    /// [`crate::search::origins`]).
    pub fn origins(&self, graph: &Graph) -> crate::search::origins::Origins {
        crate::search::origins::Origins::new(graph, &self.access)
    }

    /// The shortest off-network walk among its access points, metres.
    pub fn snap_m(&self) -> Option<f64> {
        self.access
            .iter()
            .map(|a| f64::from(a.snap_m))
            .reduce(f64::min)
    }
}

/// How a community was attached to the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessKind {
    /// At gates and entrances on its outline.
    Gates,
    /// At the walking nodes inside it.
    InsideNodes,
    /// At the network's nearest point to its centroid.
    Nearest,
    /// Not attached: no network within the profile's `max_snap_m`.
    None,
}

impl AccessKind {
    /// The kind's name in outputs: `gates`, `inside`, `nearest` or `none`.
    pub fn as_str(self) -> &'static str {
        match self {
            AccessKind::Gates => "gates",
            AccessKind::InsideNodes => "inside",
            AccessKind::Nearest => "nearest",
            AccessKind::None => "none",
        }
    }
}

/// The names of a kind of community (`Community::kind`): Chinese, English,
/// English plural. One table for every writer that names a level.
pub fn kind_names(kind: &str) -> Option<(&'static str, &'static str, &'static str)> {
    match kind {
        "neighbourhood" => Some(("社区", "neighbourhood", "neighbourhoods")),
        "compound" => Some(("小区", "compound", "compounds")),
        "block" => Some(("街坊", "building block", "building blocks")),
        _ => None,
    }
}

/// A residential community: a 社区, a 小区, or a planner's own polygon.
#[derive(Debug, Clone)]
pub struct Community {
    /// Unique id: an OSM ref (`w123`), `block_w123`, `cell_3_7` or the planner's id.
    pub id: String,
    /// Its name, or a generated label (see [`crate::places::units`]).
    pub name: String,
    /// `osm`, `file` or `grid`.
    pub source: &'static str,
    /// `neighbourhood`, `compound`, `block`, `file` or `grid`.
    pub kind: &'static str,
    /// The rule that made it (see [`CommunityInput::rule`]).
    pub rule: &'static str,
    /// `ref`: an official code, such as a 12-digit statistics code.
    pub code: Option<String>,
    /// The subdistrict (街道) it lies in, where known.
    pub subdistrict: Option<String>,
    /// The neighbourhood (社区) a compound (小区) lies in, when both are mapped.
    pub parent: Option<String>,
    /// Residents, where known (see `pop_source`).
    pub population: Option<f64>,
    /// Where `population` comes from: `file` (the planner's list), `raster`,
    /// `buildings` (footprints × levels), `osm` (a mapped `population` tag) or
    /// `none`.
    pub pop_source: &'static str,
    /// Children among the residents (population × the profile's share of
    /// the age group), when the population is known.
    pub children: Option<f64>,
    /// Lon/lat polygon.
    pub polygon: MultiPolygon<f64>,
    /// Geodesic area of `polygon`, m².
    pub area_m2: f64,
    /// Where a walk enters or leaves it; empty when it could not be attached.
    pub access: Vec<AccessPoint>,
    /// How it was attached.
    pub access_kind: AccessKind,
    /// Walking-graph nodes inside the polygon.
    pub inside_nodes: Vec<u32>,
}

/// Counts for the summary.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct PlaceStats {
    /// Facilities found (one per facility and category).
    pub facilities: usize,
    /// Facilities that could not be attached to the network.
    pub facilities_unsnapped: usize,
    /// Communities found.
    pub communities: usize,
    /// Communities that could not be attached to the network.
    pub communities_unsnapped: usize,
}

/// Projects a lon/lat geometry into the graph's metres.
fn project_lines(
    graph: &Graph,
    rings: impl Iterator<Item = LineString<f64>>,
) -> Vec<LineString<f64>> {
    rings
        .map(|r| {
            r.map_coords(|c| {
                let [x, y] = graph.projection().project([c.x, c.y]);
                geo::Coord { x, y }
            })
        })
        .collect()
}

fn outline(polygon: &MultiPolygon<f64>) -> impl Iterator<Item = LineString<f64>> + '_ {
    polygon
        .0
        .iter()
        .flat_map(|p| std::iter::once(p.exterior().clone()).chain(p.interiors().iter().cloned()))
}

fn project_polygon(graph: &Graph, polygon: &MultiPolygon<f64>) -> MultiPolygon<f64> {
    polygon.map_coords(|c| {
        let [x, y] = graph.projection().project([c.x, c.y]);
        geo::Coord { x, y }
    })
}

/// Finds every facility of the profile's categories in the extract.
pub fn facilities(
    data: &OsmData,
    graph: &Graph,
    index: &GraphIndex,
    profile: &Profile,
) -> Vec<Facility> {
    let mut out = Vec::new();
    let categories = |set: u32| (0..profile.categories.len()).filter(move |i| set & (1 << i) != 0);
    for p in &data.points {
        let access = facility_access(&PlaceGeometry::Point(p.lonlat), graph, index, profile);
        for c in categories(p.categories) {
            out.push(Facility {
                osm: p.osm,
                category: c,
                name: p.tags.name.clone(),
                lonlat: p.lonlat,
                geometry: PlaceGeometry::Point(p.lonlat),
                access: access.clone(),
                capacity: p.tags.capacity,
                file: None,
            });
        }
    }
    for a in data.areas.iter().filter(|a| a.categories != 0) {
        let Some(geometry) = data.area_geometry(a) else {
            continue;
        };
        let geometry = match geometry {
            AreaGeometry::Polygon(p) => PlaceGeometry::Polygon(p),
            AreaGeometry::Line(l) => PlaceGeometry::Line(l),
        };
        let lonlat = match &geometry {
            PlaceGeometry::Polygon(p) => p.centroid(),
            PlaceGeometry::Line(l) => l.centroid(),
            PlaceGeometry::Point(_) => None,
        };
        let Some(lonlat) = lonlat else { continue };
        let access = facility_access(&geometry, graph, index, profile);
        for c in categories(a.categories) {
            out.push(Facility {
                osm: a.osm,
                category: c,
                name: a.tags.name.clone(),
                lonlat: [lonlat.x(), lonlat.y()],
                geometry: geometry.clone(),
                access: access.clone(),
                capacity: a.tags.capacity,
                file: None,
            });
        }
    }
    out.sort_by_key(|f| (f.category, f.osm));
    out
}

/// The access points of a facility of this shape, by the rules of this
/// module: a point snaps to the nearest edge; an area or line is entered at
/// its entrances, else where ways cross its outline, else at the network's
/// nearest point to the outline (each within the profile's limits).
pub fn facility_access(
    geometry: &PlaceGeometry,
    graph: &Graph,
    index: &GraphIndex,
    profile: &Profile,
) -> Vec<AccessPoint> {
    let lines = match geometry {
        PlaceGeometry::Point(p) => {
            let xy = graph.projection().project(*p);
            return index
                .snap(graph, xy, profile.max_snap_m)
                .into_iter()
                .collect();
        }
        PlaceGeometry::Polygon(p) => project_lines(graph, outline(p)),
        PlaceGeometry::Line(l) => project_lines(graph, std::iter::once(l.clone())),
    };
    let mut access = index.entrances_on(graph, &lines, profile.access_buffer_m);
    if access.is_empty() {
        access = index.edges_meeting_outline(graph, &lines, profile.access_buffer_m);
    }
    if access.is_empty() {
        access = nearest_to_outline(graph, index, &lines, profile.max_snap_m)
            .into_iter()
            .collect();
    }
    access
}

fn nearest_to_outline(
    graph: &Graph,
    index: &GraphIndex,
    lines: &[LineString<f64>],
    max_m: f64,
) -> Option<AccessPoint> {
    lines
        .iter()
        .flat_map(|l| l.coords())
        .filter_map(|c| index.snap(graph, [c.x, c.y], max_m))
        .min_by(|a, b| a.snap_m.total_cmp(&b.snap_m))
}

/// A community polygon before it is attached to the graph.
#[derive(Debug, Clone)]
pub struct CommunityInput {
    /// Unique id, as [`Community::id`].
    pub id: String,
    /// Its name, or a generated label.
    pub name: String,
    /// `osm`, `file` or `grid`.
    pub source: &'static str,
    /// `neighbourhood`, `compound`, `block`, `file` or `grid`.
    pub kind: &'static str,
    /// The rule that made it ([`crate::places::units`]): `landuse`, `place-area`,
    /// `place-node`, `buildings`, `grid` or `file`.
    pub rule: &'static str,
    /// Its `name`, `ref`, population and subdistrict tags.
    pub tags: PlaceTags,
    /// Lon/lat polygon.
    pub polygon: MultiPolygon<f64>,
}

/// Square cells of `cell_m` metres over the walking graph, one community per
/// cell that holds walking nodes: the fallback for extracts that map no
/// residential land (as grid-based accessibility tools such as pandana or
/// cityseer report per cell).
pub fn grid_communities(graph: &Graph, cell_m: f64) -> Vec<CommunityInput> {
    let mut cells = std::collections::BTreeSet::new();
    for p in graph.xy() {
        let key = (
            (f64::from(p[1]) / cell_m).floor() as i64,
            (f64::from(p[0]) / cell_m).floor() as i64,
        );
        cells.insert(key);
    }
    cells
        .into_iter()
        .map(|(row, col)| {
            let (x0, y0) = (col as f64 * cell_m, row as f64 * cell_m);
            let corner = |x: f64, y: f64| {
                let [lon, lat] = graph.projection().unproject([x, y]);
                geo::Coord { x: lon, y: lat }
            };
            let ring = LineString(vec![
                corner(x0, y0),
                corner(x0 + cell_m, y0),
                corner(x0 + cell_m, y0 + cell_m),
                corner(x0, y0 + cell_m),
                corner(x0, y0),
            ]);
            let id = format!("cell_{row}_{col}");
            CommunityInput {
                name: id.clone(),
                id,
                source: "grid",
                kind: "grid",
                rule: "grid",
                tags: PlaceTags::default(),
                polygon: MultiPolygon(vec![geo::Polygon::new(ring, vec![])]),
            }
        })
        .collect()
}

/// Gives every compound (小区) and building block the neighbourhood (社区) it lies in, and that
/// neighbourhood's subdistrict when the compound has none, so tables can be
/// drawn per 社区 and per 街道 at both levels.
pub fn assign_parents(communities: &mut [Community]) {
    use geo::{Contains, InteriorPoint};
    let parents: Vec<(MultiPolygon<f64>, String, Option<String>)> = communities
        .iter()
        .filter(|c| c.kind == "neighbourhood")
        .map(|c| (c.polygon.clone(), c.name.clone(), c.subdistrict.clone()))
        .collect();
    if parents.is_empty() {
        return;
    }
    for c in communities
        .iter_mut()
        .filter(|c| matches!(c.kind, "compound" | "block"))
    {
        let Some(p) = c.polygon.interior_point() else {
            continue;
        };
        if let Some((_, name, subdistrict)) = parents.iter().find(|(poly, _, _)| poly.contains(&p))
        {
            c.parent = Some(name.clone());
            if c.subdistrict.is_none() {
                c.subdistrict = subdistrict.clone();
            }
        }
    }
}

/// The communities of `ids` whose people are not already counted by another
/// one of `ids`: a compound or block whose neighbourhood (`parent`) is among
/// them is left out, so that a total over nested levels counts everyone
/// once.
pub fn counted_once(communities: &[Community], ids: &[usize]) -> Vec<usize> {
    let parents: std::collections::HashSet<&str> = ids
        .iter()
        .map(|&i| &communities[i])
        .filter(|c| c.kind == "neighbourhood")
        .map(|c| c.name.as_str())
        .collect();
    ids.iter()
        .copied()
        .filter(|&i| {
            communities[i]
                .parent
                .as_deref()
                .is_none_or(|p| !parents.contains(p))
        })
        .collect()
}

/// Rings starting at their smallest vertex, holes and polygons sorted: the
/// same polygon whatever order a repair produced it in, so outputs stay
/// identical from run to run (geo's boolean operations may order their
/// output by the thread count).
pub(crate) fn canonical(mp: MultiPolygon<f64>) -> MultiPolygon<f64> {
    let key = |c: &geo::Coord<f64>| (c.x, c.y);
    let ring = |r: geo::LineString<f64>| {
        let mut c = r.0;
        c.pop();
        let start = (0..c.len())
            .min_by(|&a, &b| key(&c[a]).partial_cmp(&key(&c[b])).expect("finite"))
            .unwrap_or(0);
        c.rotate_left(start);
        if let Some(&first) = c.first() {
            c.push(first);
        }
        geo::LineString(c)
    };
    let first = |r: &geo::LineString<f64>| r.0.first().map(key).unwrap_or_default();
    let mut polygons: Vec<geo::Polygon<f64>> =
        mp.0.into_iter()
            .map(|p| {
                let (ext, holes) = p.into_inner();
                let mut holes: Vec<_> = holes.into_iter().map(ring).collect();
                holes.sort_by(|a, b| first(a).partial_cmp(&first(b)).expect("finite"));
                geo::Polygon::new(ring(ext), holes)
            })
            .collect();
    polygons.sort_by(|a, b| {
        first(a.exterior())
            .partial_cmp(&first(b.exterior()))
            .expect("finite")
    });
    MultiPolygon(polygons)
}

/// Geodesic area of a lon/lat polygon in m², whatever the winding of its
/// rings as mapped: every polygon is first oriented by the right-hand rule
/// (outer rings counter-clockwise, holes clockwise), because the unsigned
/// geodesic area of a clockwise ring is the rest of the Earth.
pub fn geodesic_area_m2(polygon: &MultiPolygon<f64>) -> f64 {
    use geo::orient::{Direction, Orient};
    polygon
        .orient(Direction::Default)
        .geodesic_area_signed()
        .max(0.0)
}

/// Attaches communities to the graph.
pub fn communities(
    inputs: Vec<CommunityInput>,
    graph: &Graph,
    index: &GraphIndex,
    profile: &Profile,
) -> Vec<Community> {
    use rayon::prelude::*;
    inputs
        .into_par_iter()
        .map(|c| {
            let projected = project_polygon(graph, &c.polygon);
            let lines = project_lines(graph, outline(&c.polygon));
            let inside_nodes = index.nodes_inside(&projected);
            let mut access = index.entrances_on(graph, &lines, profile.access_buffer_m);
            let mut kind = AccessKind::Gates;
            if access.is_empty() {
                kind = AccessKind::InsideNodes;
                access = inside_nodes
                    .iter()
                    .filter_map(|&n| {
                        Some(AccessPoint {
                            pos: crate::search::position::EdgePos::at_node(graph, n)?,
                            snap_m: 0.0,
                        })
                    })
                    .collect();
            }
            if access.is_empty() {
                kind = AccessKind::Nearest;
                let centre = c
                    .polygon
                    .centroid()
                    .map(|p| graph.projection().project([p.x(), p.y()]));
                access = centre
                    .and_then(|xy| index.snap(graph, xy, profile.max_snap_m))
                    .into_iter()
                    .collect();
            }
            if access.is_empty() {
                kind = AccessKind::None;
            }
            Community {
                id: c.id,
                name: c.name,
                source: c.source,
                kind: c.kind,
                rule: c.rule,
                pop_source: match (c.tags.population, c.source) {
                    (None, _) => "none",
                    (Some(_), "file") => "file",
                    (Some(_), _) => "osm",
                },
                children: None,
                code: c.tags.code,
                subdistrict: c.tags.subdistrict,
                parent: None,
                population: c.tags.population,
                area_m2: geodesic_area_m2(&c.polygon),
                polygon: c.polygon,
                access,
                access_kind: kind,
                inside_nodes,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::testmap::load_extract;

    /// Area of a lon/lat polygon computed independently of geo: the shoelace
    /// formula in a local projection scaled by the WGS84 radii of curvature at
    /// the polygon's latitude (meridian `M` and prime vertical `N`), accurate
    /// to well under 0.1 % for anything a few kilometres across.
    fn local_area_m2(mp: &geo::MultiPolygon<f64>) -> f64 {
        let (a, f) = (6_378_137.0_f64, 1.0 / 298.257_223_563);
        let e2 = f * (2.0 - f);
        let coords: Vec<geo::Coord<f64>> =
            mp.0.iter()
                .flat_map(|p| p.exterior().coords().copied())
                .collect();
        let lat0 = coords.iter().map(|c| c.y).sum::<f64>() / coords.len() as f64;
        let lon0 = coords.iter().map(|c| c.x).sum::<f64>() / coords.len() as f64;
        let s = lat0.to_radians().sin();
        let m = a * (1.0 - e2) / (1.0 - e2 * s * s).powf(1.5);
        let n = a / (1.0 - e2 * s * s).sqrt();
        let xy = |c: &geo::Coord<f64>| {
            (
                n * lat0.to_radians().cos() * (c.x - lon0).to_radians(),
                m * (c.y - lat0).to_radians(),
            )
        };
        let ring = |r: &geo::LineString<f64>| {
            let pts: Vec<(f64, f64)> = r.coords().map(xy).collect();
            let twice: f64 = pts
                .windows(2)
                .map(|w| w[0].0 * w[1].1 - w[1].0 * w[0].1)
                .sum();
            (twice / 2.0).abs()
        };
        mp.0.iter()
            .map(|p| ring(p.exterior()) - p.interiors().iter().map(ring).sum::<f64>())
            .sum()
    }

    /// On every real extract, each community's `area_m2` matches an
    /// independent planar computation, and no compound is larger than a few
    /// square kilometres (not the rest of the Earth).
    #[test]
    fn community_areas_match_an_independent_computation_on_real_extracts() {
        for extract in [
            "beijing-cau.osm.pbf",
            "helsinki.osm.pbf",
            "monaco.osm.pbf",
            "shanghai-shu.osm.pbf",
        ] {
            let (_, _, communities, _) = load_extract(extract);
            assert!(!communities.is_empty(), "{extract}");
            for c in &communities {
                let expected = local_area_m2(&c.polygon);
                assert!(
                    (c.area_m2 - expected).abs() <= 0.005 * expected + 1.0,
                    "{extract}: {} ({}) area_m2 {} but {} by the local projection",
                    c.name,
                    c.id,
                    c.area_m2,
                    expected
                );
                if c.kind == "compound" {
                    assert!(
                        c.area_m2 < 5e6,
                        "{extract}: compound {} ({}) of {} m²",
                        c.name,
                        c.id,
                        c.area_m2
                    );
                }
            }
        }
    }
}

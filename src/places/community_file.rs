//! Reading a planner's own community polygons (`--communities FILE.geojson`).
//!
//! GeoJSON from other tools is often a little wrong. What can be repaired is
//! repaired and reported in one warning per kind of repair, naming the
//! features: rings left open are closed, repeated points dropped, clockwise
//! rings reoriented, empty or zero-area parts and holes outside their polygon
//! dropped, self-intersecting outlines split at their crossings (geo's
//! `MakeValid`), duplicate ids made unique. A feature that cannot be used (no
//! area, not a number pair, beyond repair) is skipped with a warning naming it.
//! A file that is clearly not WGS84 lon/lat (a projected CRS, swapped axes) is
//! rejected, because every distance computed from it would be wrong.
//!
//! Every check is bounded: the self-intersection test indexes edges in an
//! R-tree and gives up past a budget, and only outlines with few vertices and
//! few crossings are repaired, so no file makes the reader hang.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use geo::line_intersection::{line_intersection, LineIntersection};
use geo::orient::{Direction, Orient};
use geo::{Area, Coord, Intersects, Line, LineString, MakeValid, MultiPolygon, Polygon, Winding};
use geojson::GeometryValue;
use serde::Deserialize;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::osm::ingest::PlaceTags;
use crate::places::CommunityInput;

/// Which properties hold a community's name and population.
#[derive(Debug, Clone, Default)]
pub struct CommunityFields {
    /// Property with the name; when absent, `name`, `名称`, `NAME`, `Name` are tried.
    pub name: Option<String>,
    /// Property with the population; when absent, `population`, `人口`, `pop` are tried.
    pub population: Option<String>,
}

/// Communities read from a file, and what had to be repaired or skipped.
#[derive(Debug, Default)]
pub struct CommunityFile {
    /// The usable communities, in file order.
    pub communities: Vec<CommunityInput>,
    /// What had to be repaired or skipped, one sentence each.
    pub warnings: Vec<String>,
}

/// Outlines with more vertices than this are not repaired when they cross
/// themselves: the repair's cost grows quickly with the vertex count, and a
/// community boundary rarely has more than a few thousand vertices.
const MAX_REPAIR_VERTICES: usize = 20_000;
/// Outlines that cross themselves more often than this are not boundaries.
const MAX_REPAIR_SELF_INTERSECTIONS: usize = 1_000;

/// Reads a GeoJSON FeatureCollection (or a single Feature) of Polygon and
/// MultiPolygon features.
pub fn read_communities(path: &Path, fields: &CommunityFields) -> Result<CommunityFile> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let fail = |reason: String| Error::GeoJson {
        path: path.to_path_buf(),
        reason,
    };
    let text = utf8_text(&bytes).map_err(fail)?;
    let document: Value =
        serde_json::from_str(text).map_err(|e| fail(format!("not valid GeoJSON: {e}")))?;
    let features = features_of(&document, path).map_err(fail)?;

    check_fields(features, fields).map_err(fail)?;
    let mut out = CommunityFile::default();
    let mut repairs = Repairs::default();
    let mut ids: HashMap<String, usize> = HashMap::new();
    let mut first_rejection = None;
    for (i, feature) in features.iter().enumerate() {
        let (mut id, name, population) = feature_labels(i, feature, fields);
        let what = format!("feature {i} ({})", short(&name));
        let mut notes = Vec::new();
        let polygon = match feature.get("geometry") {
            None | Some(Value::Null) => Err(Rejection::Unusable("no geometry".into())),
            Some(g) => rings(g).and_then(|parts| repair(parts, &mut |r| notes.push(r))),
        };
        let polygon = match polygon {
            Ok(p) => {
                for r in notes.drain(..) {
                    repairs.note(r, &what);
                }
                p
            }
            Err(rejection) => {
                let reason = rejection.to_string();
                out.warnings.push(format!("{what}: {reason}, skipped"));
                if first_rejection.is_none() || matches!(rejection, Rejection::NotLonLat(_)) {
                    first_rejection = Some(format!("{what}: {reason}"));
                }
                continue;
            }
        };
        let seen = ids.entry(id.clone()).or_insert(0);
        *seen += 1;
        if *seen > 1 {
            id = format!("{id}#{seen}");
            repairs.note(Repair::DuplicateId, &what);
        }
        out.communities.push(CommunityInput {
            id,
            name,
            source: "file",
            kind: "file",
            rule: "file",
            tags: PlaceTags {
                population,
                ..Default::default()
            },
            polygon,
        });
    }
    out.warnings.extend(repairs.warnings());
    if out.communities.is_empty() {
        return Err(fail(match first_rejection {
            Some(reason) => format!("no usable community polygon; {reason}"),
            None => "the file has no Polygon or MultiPolygon features".into(),
        }));
    }
    Ok(out)
}

/// The features of a GeoJSON document: a FeatureCollection's (its CRS
/// checked) or a single Feature; anything else is refused.
fn features_of<'d>(document: &'d Value, path: &Path) -> std::result::Result<&'d [Value], String> {
    match document.get("type").and_then(Value::as_str) {
        Some("FeatureCollection") => {
            check_crs(document, path)?;
            match document.get("features") {
                Some(Value::Array(features)) => Ok(features.as_slice()),
                _ => Err("the FeatureCollection has no \"features\" array".into()),
            }
        }
        Some("Feature") => Ok(std::slice::from_ref(document)),
        Some(_) => Err("a bare geometry has no name; expected a FeatureCollection".into()),
        None => {
            Err("not valid GeoJSON: expected an object with \"type\": \"FeatureCollection\"".into())
        }
    }
}

/// Feature `i`'s id (`f{i}` when it has none), name (the id when it has
/// none) and population (when a finite, non-negative number), read from the
/// properties `fields` names or their usual fallbacks.
fn feature_labels(
    i: usize,
    feature: &Value,
    fields: &CommunityFields,
) -> (String, String, Option<f64>) {
    let props = feature.get("properties").and_then(Value::as_object);
    let prop = |explicit: &Option<String>, fallbacks: &[&str]| -> Option<&Value> {
        let keys: Vec<&str> = match explicit {
            Some(k) => vec![k.as_str()],
            None => fallbacks.to_vec(),
        };
        keys.iter()
            .find_map(|k| props.and_then(|p| p.get(*k)).filter(|v| !v.is_null()))
    };
    let id = match feature.get("id") {
        None | Some(Value::Null) => format!("f{i}"),
        Some(v) => label(v),
    };
    let name = prop(&fields.name, NAME_FIELDS)
        .map(label)
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| id.clone());
    let population = prop(&fields.population, POPULATION_FIELDS)
        .and_then(|v| match v {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        })
        .filter(|p: &f64| p.is_finite() && *p >= 0.0);
    (id, name, population)
}

/// Repairs communities mapped in OSM exactly as a planner's file is repaired
/// (closed, deduplicated, `MakeValid` at self-intersections, wound by the
/// right-hand rule of RFC 7946); a polygon beyond repair is dropped. Returns one
/// warning per kind of repair, naming the OSM ids.
pub fn repair_osm_communities(communities: &mut Vec<CommunityInput>) -> Vec<String> {
    let mut repairs = Repairs::default();
    let mut warnings = Vec::new();
    communities.retain_mut(|c| {
        let what = format!("OSM {} ({})", c.id, short(&c.name));
        let parts = c
            .polygon
            .0
            .iter()
            .map(|p| {
                std::iter::once(p.exterior())
                    .chain(p.interiors())
                    .map(|r| r.0.clone())
                    .collect()
            })
            .collect();
        let mut notes = Vec::new();
        match repair(parts, &mut |r| notes.push(r)) {
            Ok(polygon) => {
                for r in notes {
                    repairs.note(r, &what);
                }
                c.polygon = polygon;
                true
            }
            Err(rejection) => {
                warnings.push(format!("{what}: {rejection}, skipped"));
                false
            }
        }
    });
    warnings.extend(repairs.warnings());
    warnings
}

/// Properties tried for a name when no field is given.
const NAME_FIELDS: &[&str] = &["name", "名称", "NAME", "Name"];
/// Properties tried for a population when no field is given.
const POPULATION_FIELDS: &[&str] = &["population", "人口", "pop", "POP"];

/// The fields asked for exist in the file, and some name field does: else
/// names would silently become feature numbers and populations null. The
/// error lists the properties the file has.
fn check_fields(features: &[Value], fields: &CommunityFields) -> std::result::Result<(), String> {
    let keys: std::collections::BTreeSet<&str> = features
        .iter()
        .filter_map(|f| f.get("properties").and_then(Value::as_object))
        .flat_map(|p| p.keys().map(String::as_str))
        .collect();
    if features.is_empty() {
        return Ok(());
    }
    let has = |k: &str| keys.contains(k);
    let listed = || {
        if keys.is_empty() {
            "the features have no properties at all".to_string()
        } else {
            let all: Vec<String> = keys.iter().map(|k| format!("{k:?}")).collect();
            format!("the file's properties are: {}", all.join(", "))
        }
    };
    for (option, asked) in [
        ("--name-field", &fields.name),
        ("--population-field", &fields.population),
    ] {
        if let Some(field) = asked {
            if !has(field) {
                return Err(format!(
                    "{option} {field:?}: no feature has that property; {}",
                    listed()
                ));
            }
        }
    }
    if fields.name.is_none() && !NAME_FIELDS.iter().any(|k| has(k)) {
        return Err(format!(
            "no feature has a name property ({}); pass --name-field NAME, where {}",
            NAME_FIELDS.join(", "),
            listed()
        ));
    }
    Ok(())
}

/// The file as text: UTF-8, with a leading byte-order mark (as Windows tools
/// write) ignored.
fn utf8_text(bytes: &[u8]) -> std::result::Result<&str, String> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| {
        let at = e.valid_up_to();
        let line = 1 + bytes[..at].iter().filter(|&&b| b == b'\n').count();
        format!(
            "the file is not UTF-8 text (invalid byte at line {line}, byte {at}); GeoJSON must be UTF-8. Files from older Chinese software are often GBK: convert with iconv -f GBK -t UTF-8, or save again as UTF-8"
        )
    })
}

/// Accepts a missing `crs` member and the geographic lon/lat ones: WGS84 and
/// CGCS2000 (EPSG:4490, China's datum, within a metre of WGS84).
fn check_crs(document: &Value, path: &Path) -> std::result::Result<(), String> {
    let Some(crs) = document.get("crs").filter(|c| !c.is_null()) else {
        return Ok(());
    };
    let name = crs
        .pointer("/properties/name")
        .and_then(Value::as_str)
        .unwrap_or("");
    let lon_lat = [
        "CRS84",
        "EPSG::4326",
        "EPSG:4326",
        "EPSG::4490",
        "EPSG:4490",
    ]
    .iter()
    .any(|k| name.contains(k));
    if lon_lat {
        Ok(())
    } else {
        Err(format!(
            "the file declares CRS {name:?}; childcircle needs WGS84 longitude/latitude (reproject with: ogr2ogr -t_srs EPSG:4326 out.geojson {})",
            path.display()
        ))
    }
}

/// A property or id as text.
fn label(v: &Value) -> String {
    match v {
        Value::String(s) => s.trim().to_string(),
        other => other.to_string(),
    }
}

/// Text cut to a length that fits in a message.
fn short(text: &str) -> &str {
    text.char_indices()
        .nth(60)
        .map_or(text, |(cut, _)| &text[..cut])
}

/// Why a feature cannot be used.
#[derive(Debug)]
enum Rejection {
    /// Coordinates outside longitude/latitude ranges: a file-level mistake.
    NotLonLat(String),
    Unusable(String),
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Rejection::NotLonLat(s) | Rejection::Unusable(s) => f.write_str(s),
        }
    }
}

/// The rings of a Polygon or MultiPolygon geometry, as lon/lat coordinates.
fn rings(geometry: &Value) -> std::result::Result<Vec<Vec<Vec<Coord>>>, Rejection> {
    let geometry = geojson::Geometry::deserialize(geometry)
        .map_err(|e| Rejection::Unusable(format!("not a valid GeoJSON geometry ({e})")))?;
    let polygons: Vec<&Vec<Vec<geojson::Position>>> = match &geometry.value {
        GeometryValue::Polygon { coordinates } => vec![coordinates],
        GeometryValue::MultiPolygon { coordinates } => coordinates.iter().collect(),
        other => {
            return Err(Rejection::Unusable(format!(
                "a {} is not an area",
                other.type_name()
            )))
        }
    };
    polygons
        .into_iter()
        .map(|rings| {
            rings
                .iter()
                .map(|ring| ring.iter().map(|p| lon_lat(p.as_slice())).collect())
                .collect()
        })
        .collect()
}

fn lon_lat(p: &[f64]) -> std::result::Result<Coord, Rejection> {
    let (x, y) = match p {
        [x, y, ..] if x.is_finite() && y.is_finite() => (*x, *y),
        _ => {
            return Err(Rejection::Unusable(
                "a position is not a [longitude, latitude] number pair".into(),
            ))
        }
    };
    if x.abs() <= 180.0 && y.abs() <= 90.0 {
        Ok(Coord { x, y })
    } else if x.abs() <= 90.0 && y.abs() <= 180.0 {
        Err(Rejection::NotLonLat(format!(
            "coordinate ({x}, {y}) has a latitude beyond 90°: latitude and longitude appear swapped (GeoJSON positions are [longitude, latitude])"
        )))
    } else {
        Err(Rejection::NotLonLat(format!(
            "coordinate ({x}, {y}) is not WGS84 longitude/latitude; the file looks projected and declares no CRS: reproject it naming its projection, e.g. ogr2ogr -s_srs EPSG:4547 -t_srs EPSG:4326 out.geojson in.geojson (EPSG:4547 is CGCS2000 3-degree zone 39; use the file's own)"
        )))
    }
}

/// A repair made to a feature, reported once per kind for the whole file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Repair {
    Unclosed,
    Clockwise,
    EmptyPart,
    EmptyHole,
    HoleOutside,
    SelfIntersection,
    DuplicateId,
}

impl Repair {
    fn describe(self) -> &'static str {
        match self {
            Repair::Unclosed => "had a ring that was not closed; closed it",
            Repair::Clockwise => "were wound against the right-hand rule of RFC 7946; reoriented",
            Repair::EmptyPart => "had an empty or zero-area part; dropped it",
            Repair::EmptyHole => "had an empty or zero-area hole; dropped it",
            Repair::HoleOutside => "had a hole outside its polygon; dropped it",
            Repair::SelfIntersection => {
                "had a self-intersecting outline; split it at the crossings (even-odd rule)"
            }
            Repair::DuplicateId => "repeat an earlier feature's id; suffixed #2, #3, ...",
        }
    }
}

/// The features each kind of repair was made to.
#[derive(Default)]
struct Repairs(BTreeMap<Repair, Vec<String>>);

impl Repairs {
    fn note(&mut self, repair: Repair, feature: &str) {
        let features = self.0.entry(repair).or_default();
        if features.last().map(String::as_str) != Some(feature) {
            features.push(feature.to_string());
        }
    }

    /// One warning per kind of repair, naming up to five features.
    fn warnings(&self) -> Vec<String> {
        self.0
            .iter()
            .map(|(repair, features)| {
                let mut names = features[..features.len().min(5)].join(", ");
                if features.len() > 5 {
                    names.push_str(&format!(" and {} more", features.len() - 5));
                }
                format!(
                    "{} feature(s) {}: {names}",
                    features.len(),
                    repair.describe()
                )
            })
            .collect()
    }
}

/// Turns a feature's rings into a valid MultiPolygon wound by the right-hand
/// rule, reporting each repair.
fn repair(
    parts: Vec<Vec<Vec<Coord>>>,
    note: &mut dyn FnMut(Repair),
) -> std::result::Result<MultiPolygon, Rejection> {
    let mut polygons = Vec::new();
    for rings in parts {
        let mut rings = rings.into_iter();
        let Some(shell) = rings.next().and_then(|r| clean_ring(r, note)) else {
            note(Repair::EmptyPart);
            continue;
        };
        let shell_area = Polygon::new(shell.clone(), vec![]);
        let mut holes = Vec::new();
        for ring in rings {
            match clean_ring(ring, note) {
                None => note(Repair::EmptyHole),
                // (A hole partly outside crosses the shell: repaired below.)
                Some(hole) if !shell_area.intersects(&hole.0[0]) => note(Repair::HoleOutside),
                Some(hole) => holes.push(hole),
            }
        }
        if shell.is_cw() || holes.iter().any(|h| h.is_ccw()) {
            note(Repair::Clockwise);
        }
        let polygon = Polygon::new(shell, holes);
        let vertices: usize = std::iter::once(polygon.exterior())
            .chain(polygon.interiors())
            .map(|r| r.0.len())
            .sum();
        match self_intersections(&polygon, MAX_REPAIR_SELF_INTERSECTIONS) {
            Some(0) => polygons.push(polygon),
            Some(n) if n <= MAX_REPAIR_SELF_INTERSECTIONS && vertices <= MAX_REPAIR_VERTICES => {
                let valid = polygon.make_valid().map_err(|e| {
                    Rejection::Unusable(format!(
                        "its outline crosses itself and cannot be repaired ({e:?})"
                    ))
                })?;
                let before = polygons.len();
                polygons.extend(
                    crate::places::canonical(valid)
                        .0
                        .into_iter()
                        .filter(|p| p.unsigned_area() > 0.0),
                );
                note(if polygons.len() > before {
                    Repair::SelfIntersection
                } else {
                    Repair::EmptyPart
                });
            }
            Some(n) => {
                let times = if n > MAX_REPAIR_SELF_INTERSECTIONS {
                    format!("more than {MAX_REPAIR_SELF_INTERSECTIONS}")
                } else {
                    n.to_string()
                };
                return Err(Rejection::Unusable(format!(
                    "its outline crosses itself {times} times and has {vertices} vertices, too much to repair automatically (fix it in QGIS: Vector > Geometry Tools > Fix Geometries)"
                )));
            }
            // Too intricate to check in bounded time: used as given.
            None => polygons.push(polygon),
        }
    }
    if polygons.is_empty() {
        return Err(Rejection::Unusable("no polygon with an area".into()));
    }
    Ok(MultiPolygon(polygons).orient(Direction::Default))
}

/// A ring without repeated points, closed; `None` when it cannot enclose an
/// area (fewer than three points, or all on one line). A self-intersecting ring
/// is kept: its signed area may be zero, yet it encloses land.
fn clean_ring(mut coords: Vec<Coord>, note: &mut dyn FnMut(Repair)) -> Option<LineString> {
    use geo::kernels::{Kernel, Orientation, RobustKernel};
    coords.dedup();
    if coords.len() >= 3 && coords.first() != coords.last() {
        note(Repair::Unclosed);
        coords.push(coords[0]);
    }
    let (&first, &second) = (coords.first()?, coords.iter().find(|c| **c != coords[0])?);
    let flat = coords
        .iter()
        .all(|&c| RobustKernel::orient2d(first, second, c) == Orientation::Collinear);
    (coords.len() >= 4 && !flat).then_some(LineString(coords))
}

/// How many times the polygon's edges cross or overlap one another (not
/// counting consecutive edges meeting at their vertex, nor edges merely
/// touching), counting up to just past `limit`. Edges are indexed in an R-tree,
/// so a usual outline costs O(n log n); `None` when the edges' boxes overlap so
/// much that checking would take more than a budget proportional to n.
fn self_intersections(polygon: &Polygon, limit: usize) -> Option<usize> {
    use rstar::primitives::{GeomWithData, Rectangle};
    use rstar::{RTree, AABB};

    let edges: Vec<Line> = std::iter::once(polygon.exterior())
        .chain(polygon.interiors())
        .flat_map(|ring| ring.lines())
        .collect();
    let boxes: Vec<GeomWithData<Rectangle<[f64; 2]>, usize>> = edges
        .iter()
        .enumerate()
        .map(|(k, e)| {
            GeomWithData::new(
                Rectangle::from_corners([e.start.x, e.start.y], [e.end.x, e.end.y]),
                k,
            )
        })
        .collect();
    let tree = RTree::bulk_load(boxes);
    let mut budget = 64 * edges.len() + 10_000;
    let mut found = 0;
    for (k, e) in edges.iter().enumerate() {
        let envelope = AABB::from_corners([e.start.x, e.start.y], [e.end.x, e.end.y]);
        for other in tree.locate_in_envelope_intersecting(&envelope) {
            let j = other.data;
            if j <= k {
                continue;
            }
            budget = budget.checked_sub(1)?;
            let counts = match line_intersection(*e, edges[j]) {
                None => false,
                Some(LineIntersection::SinglePoint { is_proper, .. }) => is_proper,
                // Overlapping edges: a spike or a doubled boundary.
                Some(LineIntersection::Collinear { intersection }) => {
                    intersection.start != intersection.end
                }
            };
            if counts {
                found += 1;
                if found > limit {
                    return Some(found);
                }
            }
        }
    }
    Some(found)
}

/// Rejects community polygons that cannot belong to the extract: all far
/// outside its bounds, or inside them only with longitude and latitude swapped.
pub fn check_overlap(
    path: &Path,
    communities: &[CommunityInput],
    bounds: geo::Rect<f64>,
) -> Result<()> {
    use geo::{BoundingRect, Intersects};
    let margin = 0.05; // degrees, a few km
    let grown = geo::Rect::new(
        Coord {
            x: bounds.min().x - margin,
            y: bounds.min().y - margin,
        },
        Coord {
            x: bounds.max().x + margin,
            y: bounds.max().y + margin,
        },
    );
    let mut inside = 0;
    let mut swapped = 0;
    for c in communities {
        let Some(r) = c.polygon.bounding_rect() else {
            continue;
        };
        if r.intersects(&grown) {
            inside += 1;
        }
        let s = geo::Rect::new(
            Coord {
                x: r.min().y,
                y: r.min().x,
            },
            Coord {
                x: r.max().y,
                y: r.max().x,
            },
        );
        if s.intersects(&grown) {
            swapped += 1;
        }
    }
    let fail = |reason: String| Error::GeoJson {
        path: path.to_path_buf(),
        reason,
    };
    if inside == 0 && swapped > 0 {
        return Err(fail(
            "latitude and longitude appear swapped: GeoJSON positions are [longitude, latitude]"
                .into(),
        ));
    }
    if inside == 0 {
        return Err(fail(format!(
            "no community lies within the extract (lon {:.3}..{:.3}, lat {:.3}..{:.3})",
            bounds.min().x,
            bounds.max().x,
            bounds.min().y,
            bounds.max().y
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &[u8]) -> Result<CommunityFile> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.geojson");
        std::fs::write(&path, text).unwrap();
        read_communities(&path, &CommunityFields::default())
    }

    fn collection(features: &[(&str, &str)]) -> Vec<u8> {
        let features: Vec<String> = features
            .iter()
            .map(|(name, coordinates)| {
                format!(r#"{{"type":"Feature","id":"x","properties":{{"name":"{name}"}},"geometry":{{"type":"Polygon","coordinates":{coordinates}}}}}"#)
            })
            .collect();
        format!(
            r#"{{"type":"FeatureCollection","features":[{}]}}"#,
            features.join(",")
        )
        .into_bytes()
    }

    #[test]
    fn repairable_features_are_repaired_and_reported() {
        let file = read(&collection(&[
            // A bowtie: two triangles meeting at (116.305, 37.455).
            ("bowtie", "[[[116.30,37.45],[116.31,37.46],[116.31,37.45],[116.30,37.46],[116.30,37.45]]]"),
            // Clockwise, not closed, a repeated point, a hole outside the shell.
            ("sloppy", "[[[116.30,37.45],[116.30,37.46],[116.30,37.46],[116.31,37.46],[116.31,37.45]],[[116.40,37.45],[116.41,37.45],[116.41,37.46],[116.40,37.45]]]"),
            // A sliver without area: skipped.
            ("sliver", "[[[116.30,37.45],[116.31,37.45],[116.32,37.45],[116.30,37.45]]]"),
        ]))
        .unwrap();
        let c = &file.communities;
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].polygon.0.len(), 2, "the bowtie becomes two triangles");
        assert!(c[0].polygon.0.iter().all(|p| p.exterior().is_ccw()));
        let sloppy = &c[1].polygon.0[0];
        assert!(sloppy.exterior().is_ccw() && sloppy.interiors().is_empty());
        assert_eq!(sloppy.exterior().0.len(), 5);
        assert_eq!((c[0].id.as_str(), c[1].id.as_str()), ("x", "x#2"));
        let warnings = file.warnings.join("\n");
        for expected in [
            "feature 0 (bowtie)",
            "self-intersecting",
            "not closed",
            "reoriented",
            "hole outside",
            "feature 2 (sliver): no polygon with an area, skipped",
            "suffixed",
        ] {
            assert!(warnings.contains(expected), "{expected:?} in {warnings}");
        }
    }

    #[test]
    fn hopeless_outlines_are_skipped_in_bounded_time() {
        // Zigzag across a strip: thousands of crossings.
        let n = 6000;
        let mut ring: Vec<String> = (0..n)
            .map(|i| {
                format!(
                    "[{},{}]",
                    116.30 + 0.01 * (i % 2) as f64,
                    37.45 + 0.01 * i as f64 / n as f64
                )
            })
            .collect();
        ring.push(ring[0].clone());
        let zigzag = format!("[[{}]]", ring.join(","));
        let good = "[[[116.30,37.45],[116.31,37.45],[116.31,37.46],[116.30,37.45]]]";
        let started = std::time::Instant::now();
        let file = read(&collection(&[("zigzag", &zigzag), ("good", good)])).unwrap();
        assert!(started.elapsed().as_secs() < 5);
        assert_eq!(file.communities.len(), 1);
        assert!(
            file.warnings[0].contains("crosses itself more than 1000 times"),
            "{:?}",
            file.warnings
        );
    }

    #[test]
    fn files_that_are_not_lon_lat_utf8_geojson_are_rejected_clearly() {
        // Chinese coordinates swapped: latitude 116 is impossible.
        let e = read(&collection(&[(
            "a",
            "[[[37.45,116.30],[37.46,116.30],[37.46,116.31],[37.45,116.30]]]",
        )]))
        .unwrap_err();
        assert!(e.to_string().contains("swapped"), "{e}");
        let e = read(b"{\"type\":\"FeatureCollection\",\"features\":[{\"properties\":{\"name\":\"\xb6\xab\xb7\xe7\"}}]}").unwrap_err();
        assert!(e.to_string().contains("GBK"), "{e}");
        // A byte-order mark is not an error.
        let mut bom = b"\xef\xbb\xbf".to_vec();
        bom.extend(collection(&[(
            "a",
            "[[[116.30,37.45],[116.31,37.45],[116.31,37.46],[116.30,37.45]]]",
        )]));
        assert_eq!(read(&bom).unwrap().communities.len(), 1);
    }

    /// OSM polygons are repaired as planner files are: a bowtie is split at
    /// its crossing, a clockwise ring reoriented, each warning naming the OSM id.
    #[test]
    fn osm_communities_are_repaired_like_files() {
        use geo::{Validation, Winding};
        let input = |id: &str, ring: Vec<(f64, f64)>| CommunityInput {
            id: id.into(),
            name: id.into(),
            source: "osm",
            kind: "compound",
            rule: "landuse",
            tags: PlaceTags::default(),
            polygon: MultiPolygon(vec![Polygon::new(LineString::from(ring), vec![])]),
        };
        let bowtie = vec![
            (116.0, 37.0),
            (116.01, 37.01),
            (116.01, 37.0),
            (116.0, 37.01),
            (116.0, 37.0),
        ];
        let clockwise = vec![
            (116.0, 37.0),
            (116.0, 37.01),
            (116.01, 37.01),
            (116.01, 37.0),
            (116.0, 37.0),
        ];
        let mut communities = vec![input("w1", bowtie), input("w2", clockwise)];
        assert!(!communities[0].polygon.is_valid());
        let warnings = repair_osm_communities(&mut communities).join("\n");
        assert_eq!(communities.len(), 2);
        for c in &communities {
            assert!(
                c.polygon.is_valid(),
                "{}: {:?}",
                c.id,
                c.polygon.check_validation()
            );
            assert!(
                c.polygon.0.iter().all(|p| p.exterior().is_ccw()),
                "{}",
                c.id
            );
        }
        assert_eq!(
            communities[0].polygon.0.len(),
            2,
            "the bowtie's two triangles"
        );
        assert!(
            warnings.contains("self-intersecting") && warnings.contains("OSM w1"),
            "{warnings}"
        );
        assert!(
            warnings.contains("reoriented") && warnings.contains("OSM w2"),
            "{warnings}"
        );
    }
}

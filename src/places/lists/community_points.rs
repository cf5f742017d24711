//! Communities given as points (`--communities` with a CSV, spreadsheet or
//! GeoJSON of 社区 centres: name, code, population), and the rule that turns
//! a centre point into an area.
//!
//! **The rule** ([`areas_for_points`], reusable for any named points such as
//! OSM `place=neighbourhood` nodes): every piece of residential land
//! (`landuse=residential`) belongs to the nearest point, if that point is
//! within [`MAX_LAND_M`] of it (0 when the point lies inside it); a point's
//! area is all the land it was given. A point that gets no land — or every
//! point, when the extract maps no residential land — gets a **catchment**: a
//! disc of radius [`CATCHMENT_M`], shrunk to just under half (49 %) the
//! distance to the nearest other point so that neighbouring catchments never
//! overlap.

use std::path::Path;

use geo::{
    Centroid, Coord, Distance, Euclidean, LineString, MapCoords, MultiPolygon, Point, Polygon,
};

use super::records::{self, list, locate, value, InputOptions, Role};
use crate::error::Result;
use crate::geodesy::LocalProjection;
use crate::osm::ingest::{area_kind, AreaGeometry, OsmData, PlaceTags};
use crate::places::CommunityInput;

/// Residential land farther than this from every point belongs to none.
pub const MAX_LAND_M: f64 = 1000.0;
/// Radius of a point's catchment when it has no residential land.
pub const CATCHMENT_M: f64 = 500.0;

/// A named point that stands for a community.
#[derive(Debug, Clone)]
pub struct CommunityPoint {
    /// The id column, else the code, else the row (`row4`).
    pub id: String,
    /// The name column, else the id.
    pub name: String,
    /// Code, population and subdistrict from the file.
    pub tags: PlaceTags,
    /// The point, WGS84 lon/lat degrees.
    pub lonlat: [f64; 2],
}

/// How a point's area was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AreaKind {
    /// The residential land nearest to it.
    Land,
    /// A disc, as it had no land.
    Catchment,
}

/// Reads community points; rows without coordinates are skipped and listed
/// in the returned notes (a community list often has points for only some).
pub fn read_community_points(
    path: &Path,
    options: &InputOptions,
    bounds: geo::Rect<f64>,
) -> Result<(Vec<CommunityPoint>, Vec<String>)> {
    let loaded = records::load(path, options)?;
    let c = &options.columns;
    let name = loaded.column(Role::Name, c)?;
    let code = loaded.column(Role::Code, c)?;
    let id = loaded.column(Role::Id, c)?;
    let population = loaded.column(Role::Population, c)?;
    let subdistrict = loaded.column(Role::Subdistrict, c)?;
    let locations = locate(&loaded, options, bounds)?;
    let mut notes = vec![format!(
        "read {} community points ({}; coordinates {} from {})",
        locations.located.len(),
        loaded.table.source,
        locations.crs,
        locations.crs_from
    )];
    if !locations.unlocated.is_empty() {
        notes.push(format!(
            "{} rows have no coordinates and were left out: {}",
            locations.unlocated.len(),
            list(&locations.unlocated)
        ));
    }
    if !locations.far.is_empty() {
        notes.push(format!(
            "{} rows lie more than ~5 km outside the extract and were left out: {}",
            locations.far.len(),
            list(&locations.far)
        ));
    }
    if locations.located.is_empty() {
        return Err(loaded.fail(format!(
            "no community point to use: {}",
            notes[1..].join("; ")
        )));
    }
    let mut points = Vec::new();
    let mut ids = std::collections::HashMap::new();
    for l in &locations.located {
        let row = loaded.row_label(l.index);
        let code_v = value(&loaded, l.index, code).map(str::to_string);
        let key = value(&loaded, l.index, id)
            .map(str::to_string)
            .or_else(|| code_v.clone())
            .unwrap_or_else(|| format!("row{}", loaded.table.row_number(l.index)));
        if let Some(first) = ids.insert(key.clone(), row.clone()) {
            return Err(loaded.fail(format!("id {key:?} appears twice ({first} and {row})")));
        }
        let pop =
            match value(&loaded, l.index, population) {
                None => None,
                Some(t) => Some(t.parse::<f64>().ok().filter(|p| *p >= 0.0).ok_or_else(|| {
                    loaded.fail(format!("{row}: population {t:?} is not a number"))
                })?),
            };
        points.push(CommunityPoint {
            name: value(&loaded, l.index, name).map_or_else(|| key.clone(), str::to_string),
            id: key,
            tags: PlaceTags {
                name: None,
                code: code_v,
                population: pop,
                subdistrict: value(&loaded, l.index, subdistrict).map(str::to_string),
                capacity: None,
            },
            lonlat: l.lonlat,
        });
    }
    Ok((points, notes))
}

/// The residential land of an extract (`landuse=residential` polygons).
pub fn residential_land(data: &OsmData) -> Vec<MultiPolygon> {
    data.areas
        .iter()
        .filter(|a| a.kind & area_kind::RESIDENTIAL != 0)
        .filter_map(|a| match data.area_geometry(a) {
            Some(AreaGeometry::Polygon(p)) => Some(p),
            _ => None,
        })
        .collect()
}

/// The rule of this module: an area (lon/lat) for every point.
pub fn areas_for_points(
    points: &[[f64; 2]],
    land: &[MultiPolygon],
) -> Vec<(MultiPolygon, AreaKind)> {
    use rstar::primitives::GeomWithData;
    if points.is_empty() {
        return Vec::new();
    }
    let proj = LocalProjection::new(points[0][0], points[0][1]);
    let xy: Vec<[f64; 2]> = points.iter().map(|&p| proj.project(p)).collect();
    let tree = rstar::RTree::bulk_load(
        xy.iter()
            .enumerate()
            .map(|(i, &p)| GeomWithData::new(p, i))
            .collect::<Vec<_>>(),
    );
    let mut parts: Vec<Vec<Polygon>> = vec![Vec::new(); points.len()];
    for area in land {
        let metres = area.map_coords(|c| {
            let [x, y] = proj.project([c.x, c.y]);
            Coord { x, y }
        });
        let Some(centre) = metres.centroid() else {
            continue;
        };
        // The nearest point to the outline is among the nearest few to the centroid.
        let best = tree
            .nearest_neighbor_iter(&[centre.x(), centre.y()])
            .take(8)
            .map(|p| (p.data, Euclidean.distance(&metres, &Point::from(*p.geom()))))
            .min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        if let Some((i, d)) = best.filter(|(_, d)| *d <= MAX_LAND_M) {
            let _ = d;
            parts[i].extend(area.0.iter().cloned());
        }
    }
    parts
        .into_iter()
        .enumerate()
        .map(|(i, polygons)| {
            if polygons.is_empty() {
                (catchment(i, &xy, &tree, &proj), AreaKind::Catchment)
            } else {
                (MultiPolygon(polygons), AreaKind::Land)
            }
        })
        .collect()
}

/// A 32-gon of radius [`CATCHMENT_M`], or 49 % of the distance to the nearest
/// other point.
fn catchment(
    i: usize,
    xy: &[[f64; 2]],
    tree: &rstar::RTree<rstar::primitives::GeomWithData<[f64; 2], usize>>,
    proj: &LocalProjection,
) -> MultiPolygon {
    let [x, y] = xy[i];
    let nearest = tree
        .nearest_neighbor_iter(&[x, y])
        .find(|p| p.data != i && *p.geom() != [x, y])
        .map_or(f64::INFINITY, |p| (p.geom()[0] - x).hypot(p.geom()[1] - y));
    let r = CATCHMENT_M.min(0.49 * nearest).max(10.0);
    let ring: LineString = (0..=32)
        .map(|k| {
            let a = std::f64::consts::TAU * f64::from(k % 32) / 32.0;
            let [lon, lat] = proj.unproject([x + r * a.cos(), y + r * a.sin()]);
            Coord { x: lon, y: lat }
        })
        .collect();
    MultiPolygon(vec![Polygon::new(ring, vec![])])
}

/// Community inputs for points, by [`areas_for_points`]; the note counts how
/// many got land and how many a catchment.
pub fn point_communities(
    points: Vec<CommunityPoint>,
    land: &[MultiPolygon],
) -> (Vec<CommunityInput>, String) {
    let lonlat: Vec<[f64; 2]> = points.iter().map(|p| p.lonlat).collect();
    let areas = areas_for_points(&lonlat, land);
    let catchments = areas
        .iter()
        .filter(|(_, k)| *k == AreaKind::Catchment)
        .count();
    let note = format!(
        "{} community points: {} took the residential land nearest to them (within {MAX_LAND_M} m), {catchments} with no such land got a catchment of up to {CATCHMENT_M} m radius",
        points.len(),
        points.len() - catchments
    );
    let inputs = points
        .into_iter()
        .zip(areas)
        .map(|(p, (polygon, _))| CommunityInput {
            id: p.id,
            name: p.name,
            source: "file",
            kind: "file",
            rule: "file",
            tags: p.tags,
            polygon,
        })
        .collect();
    (inputs, note)
}

/// The communities of a `--communities` file: polygons (GeoJSON, read by
/// [`crate::places::community_file`]) or points (CSV, spreadsheet, GeoJSON points,
/// given areas by [`areas_for_points`]), in WGS84; and the notes to report.
pub fn communities_from_file(
    path: &Path,
    options: &InputOptions,
    fields: &crate::places::community_file::CommunityFields,
    data: &OsmData,
    bounds: geo::Rect<f64>,
) -> Result<(Vec<CommunityInput>, Vec<String>)> {
    use super::table::{extension, is_spreadsheet};
    let is_json = matches!(extension(path).as_str(), "geojson" | "json");
    let points = is_spreadsheet(path) || !is_json || records::geojson_has_only_points(path);
    if !points {
        let mut file = crate::places::community_file::read_communities(path, fields)?;
        if let Some(crs) = options.crs.filter(|c| *c != crate::crs::Crs::Wgs84) {
            for c in &mut file.communities {
                c.polygon = c.polygon.map_coords(|p| {
                    let [x, y] = crs.to_wgs84([p.x, p.y]);
                    Coord { x, y }
                });
            }
            file.warnings
                .push(format!("community polygons converted from {crs} to WGS84"));
        }
        crate::places::community_file::check_overlap(path, &file.communities, bounds)?;
        return Ok((file.communities, file.warnings));
    }
    let mut options = options.clone();
    for (role, given) in [
        (Role::Name, &fields.name),
        (Role::Population, &fields.population),
    ] {
        if let (Some(h), None) = (given, options.columns.get(role)) {
            options.columns.0.push((role, h.clone()));
        }
    }
    let (points, mut notes) = read_community_points(path, &options, bounds)?;
    let (inputs, note) = point_communities(points, &residential_land(data));
    notes.push(note);
    Ok((inputs, notes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(x: f64, y: f64, d: f64) -> MultiPolygon {
        MultiPolygon(vec![Polygon::new(
            LineString::from(vec![(x, y), (x + d, y), (x + d, y + d), (x, y + d), (x, y)]),
            vec![],
        )])
    }

    #[test]
    fn land_goes_to_the_nearest_point_and_the_rest_get_catchments() {
        let a = [116.300, 37.450];
        let b = [116.310, 37.450]; // ~880 m east
        let c = [116.400, 37.450]; // far away, no land
        let land = vec![
            square(116.2990, 37.4490, 0.002), // around a
            square(116.3085, 37.4495, 0.001), // near b
            square(116.3040, 37.4495, 0.001), // nearer a (x 116.304..116.305)
            square(116.5000, 37.4500, 0.001), // far from all: nobody's
        ];
        let areas = areas_for_points(&[a, b, c], &land);
        assert_eq!(areas[0].1, AreaKind::Land);
        assert_eq!(areas[0].0 .0.len(), 2);
        assert_eq!(areas[1].0 .0.len(), 1);
        assert_eq!(areas[2].1, AreaKind::Catchment);
        let r = crate::geodesy::haversine_m(c, [areas[2].0 .0[0].exterior().0[0].x, 37.45]);
        assert!((r - CATCHMENT_M).abs() < 2.0, "{r}");
        // Without land, neighbouring catchments do not overlap.
        let discs = areas_for_points(&[a, b], &[]);
        use geo::Intersects;
        assert!(discs.iter().all(|(_, k)| *k == AreaKind::Catchment));
        assert!(!discs[0].0.intersects(&discs[1].0));
    }
}

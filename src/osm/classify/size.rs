//! Facility sizes: a park counts for a tier only from the size GB 50180-2018
//! Table 4.0.4 asks (the profile's `min_area_m2`, `min_width_m`); smaller ones
//! count for the category's `smaller` instead, where the profile names one; and
//! mapped areas below `min_facility_area_m2` (a one-square-metre "park") are
//! reported, not counted.
//!
//! Areas are planar areas in a local equirectangular projection centred on the
//! polygon (`geo::Area::unsigned_area`), which does not depend on the rings'
//! orientation (a clockwise ring must not read as the Earth minus the park), and
//! is within a fraction of a percent of the geodesic area at park sizes.

use std::collections::BTreeMap;

use geo::{Area, Centroid, MultiPolygon, Polygon};

use crate::geodesy::LocalProjection;
use crate::osm::ingest::{AreaGeometry, OsmData};
use crate::profile::Profile;

/// What the size rules did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct SizeReport {
    /// The smallest area a mapped facility must have, m².
    pub min_facility_area_m2: f64,
    /// Facility areas below it: reported, not counted.
    pub too_small: usize,
    /// Up to 5 of those areas, as `name (w123, 0.5 m²)`.
    pub too_small_examples: Vec<String>,
    /// Areas below a category's size, by category id (counted for its `smaller`
    /// category where the profile names one).
    pub below_size: BTreeMap<String, usize>,
    /// Facilities of sized categories mapped as points: counted, size unknown.
    pub points_of_unknown_size: BTreeMap<String, usize>,
}

/// The size of a polygon's largest part, in metres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Size {
    /// Area of all parts, m².
    pub total_m2: f64,
    /// Area of the largest part, m².
    pub area_m2: f64,
    /// Width of the largest part: the shorter side of the rectangle with the same
    /// area and perimeter (exact for rectangles, narrower for ragged shapes,
    /// `sqrt(area)` for round ones), m.
    pub width_m: f64,
}

/// The size of a lon/lat multipolygon.
pub fn size(mp: &MultiPolygon<f64>) -> Option<Size> {
    let c = mp.centroid()?;
    let proj = LocalProjection::new(c.x(), c.y());
    let metres = |p: &Polygon<f64>| {
        use geo::MapCoords;
        p.map_coords(|c| {
            let [x, y] = proj.project([c.x, c.y]);
            geo::Coord { x, y }
        })
    };
    let parts: Vec<Polygon<f64>> = mp.0.iter().map(metres).collect();
    let total_m2 = parts.iter().map(|p| p.unsigned_area()).sum();
    let largest = parts
        .iter()
        .max_by(|a, b| a.unsigned_area().total_cmp(&b.unsigned_area()))?;
    let area_m2 = largest.unsigned_area();
    let perimeter: f64 = std::iter::once(largest.exterior())
        .chain(largest.interiors())
        .flat_map(|r| r.lines())
        .map(|l| (l.dx() * l.dx() + l.dy() * l.dy()).sqrt())
        .sum();
    let half = perimeter / 2.0;
    let disc = half * half - 4.0 * area_m2;
    let width_m = if disc > 0.0 {
        (half - disc.sqrt()) / 2.0
    } else {
        area_m2.sqrt()
    };
    Some(Size {
        total_m2,
        area_m2,
        width_m,
    })
}

/// Applies the profile's size rules to the extract's facility areas, changing
/// their categories.
pub fn apply(data: &mut OsmData, profile: &Profile) -> SizeReport {
    let mut report = SizeReport {
        min_facility_area_m2: profile.min_facility_area_m2,
        ..Default::default()
    };
    let sized: u32 = (0..profile.categories.len())
        .filter(|&i| {
            let c = &profile.categories[i];
            c.min_area_m2.is_some() || c.min_width_m.is_some()
        })
        .fold(0, |s, i| s | 1 << i);
    for p in &data.points {
        for i in bits(p.categories & sized) {
            let id = profile.categories[i].id.clone();
            *report.points_of_unknown_size.entry(id).or_default() += 1;
        }
    }
    let mut changes = Vec::new();
    for (k, a) in data.areas.iter().enumerate() {
        if a.categories == 0 || (a.categories & sized == 0 && profile.min_facility_area_m2 <= 0.0) {
            continue;
        }
        let Some(AreaGeometry::Polygon(mp)) = data.area_geometry(a) else {
            continue;
        };
        let Some(s) = size(&mp) else { continue };
        if s.total_m2 < profile.min_facility_area_m2 {
            report.too_small += 1;
            if report.too_small_examples.len() < 5 {
                let name = a.tags.name.as_deref().unwrap_or("unnamed");
                report
                    .too_small_examples
                    .push(format!("{name} ({}, {:.1} m²)", a.osm, s.total_m2));
            }
            changes.push((k, 0));
            continue;
        }
        let mut set = a.categories;
        for i in bits(a.categories & sized) {
            let c = &profile.categories[i];
            let big = c.min_area_m2.is_none_or(|m| s.area_m2 >= m)
                && c.min_width_m.is_none_or(|m| s.width_m >= m);
            if big {
                continue;
            }
            set &= !(1 << i);
            *report.below_size.entry(c.id.clone()).or_default() += 1;
            if let Some(j) = c
                .smaller
                .as_deref()
                .and_then(|id| profile.category_index(id))
            {
                set |= 1 << j;
            }
        }
        if set != a.categories {
            changes.push((k, set));
        }
    }
    for (k, set) in changes {
        data.areas[k].categories = set;
    }
    report
}

fn bits(set: u32) -> impl Iterator<Item = usize> {
    (0..32).filter(move |i| set & (1 << i) != 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{polygon, Winding};

    #[test]
    fn size_is_independent_of_ring_orientation() {
        // About 100 m x 50 m near Beijing.
        let mut p = polygon![
            (x: 116.3000, y: 40.0000),
            (x: 116.3011737, y: 40.0000),
            (x: 116.3011737, y: 40.00044966),
            (x: 116.3000, y: 40.00044966),
        ];
        p.exterior_mut(|r| r.make_ccw_winding());
        let ccw = size(&MultiPolygon(vec![p.clone()])).unwrap();
        p.exterior_mut(|r| r.make_cw_winding());
        let cw = size(&MultiPolygon(vec![p])).unwrap();
        assert_eq!(ccw, cw);
        assert!((ccw.area_m2 - 5000.0).abs() < 25.0, "{ccw:?}");
        assert!((ccw.width_m - 50.0).abs() < 0.5, "{ccw:?}");
    }
}

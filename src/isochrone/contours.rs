//! Isochrone stage 3: contours. Marching squares ([`super::marching`]) turn a
//! [`TimeGrid`] into the polygons of every vertex reached within a threshold;
//! then rings are regrouped so every hole belongs to the smallest shell around
//! it, specks smaller than a cell are dropped, and outlines are simplified by
//! Douglas–Peucker with a quarter-cell tolerance (kept only if the result is
//! still valid by OGC rules).

use geo::{
    Area, BoundingRect, Contains, Intersects, LineString, MultiPolygon, Polygon, Rect, Simplify,
};

use super::grid::TimeGrid;
use crate::time::Time;

/// Polygons (projected metres) of the area reached within each threshold.
///
/// Marching squares places a contour between two vertices by interpolating
/// their values, so the value of a vertex far beyond a threshold would move
/// that threshold's outline: for each threshold `t`, values are read as
/// `min(value, t + ramp)`. One band's polygon then depends only on the times
/// up to `t + ramp`, never on the other bands asked for or the grid's cap.
pub fn contours(grid: &TimeGrid, thresholds: &[Time], ramp: f32) -> Vec<MultiPolygon<f64>> {
    thresholds
        .iter()
        .map(|&t| {
            let (shells, holes) = super::marching::shells_and_holes(grid, t, t as f32 + ramp);
            clean(shells, holes, grid.cell_m)
        })
        .collect()
}

/// Regroups holes, drops specks, simplifies.
fn clean(
    shells: Vec<LineString<f64>>,
    mut holes: Vec<LineString<f64>>,
    cell_m: f64,
) -> MultiPolygon<f64> {
    let speck = cell_m * cell_m;
    let mut shells: Vec<Polygon<f64>> = shells
        .into_iter()
        .map(|ring| Polygon::new(ring, vec![]))
        .collect();
    let ring_area = |r: &LineString<f64>| Polygon::new(r.clone(), vec![]).unsigned_area();
    shells.retain(|p| p.unsigned_area() >= speck);
    holes.retain(|r| ring_area(r) >= speck);
    // Smallest shells first, so a hole finds the innermost shell around it.
    shells.sort_by(|a, b| a.unsigned_area().total_cmp(&b.unsigned_area()));
    let boxes: Vec<Rect<f64>> = shells
        .iter()
        .map(|p| p.bounding_rect().expect("a shell has points"))
        .collect();
    let mut interiors: Vec<Vec<LineString<f64>>> = vec![Vec::new(); shells.len()];
    for hole in holes {
        let probe = hole.0[0];
        let owner =
            (0..shells.len()).find(|&i| boxes[i].intersects(&probe) && shells[i].contains(&probe));
        if let Some(i) = owner {
            interiors[i].push(hole);
        }
    }
    // Simplify polygon by polygon, keeping any that simplification would make
    // invalid as it was. (Marching squares never overlaps two polygons, and a
    // quarter-cell tolerance cannot make separate polygons meet.)
    let polygons = shells
        .into_iter()
        .zip(interiors)
        .map(|(shell, holes)| {
            let p = Polygon::new(shell.into_inner().0, holes);
            let simplified = p.simplify(cell_m / 4.0);
            if super::valid::polygon_is_valid(&simplified) {
                simplified
            } else {
                p
            }
        })
        .collect();
    MultiPolygon(polygons)
}

//! Isochrone stage 3: contours. Marching squares (the `contour` crate) turn a
//! [`TimeGrid`] into the polygons of every vertex reached within a threshold;
//! then rings are regrouped so every hole belongs to the smallest shell around
//! it, specks smaller than a cell are dropped, and outlines are simplified by
//! Douglas–Peucker with a quarter-cell tolerance (kept only if the result is
//! still valid by OGC rules).

use contour::ContourBuilder;
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
    contours_in(grid, thresholds, ramp, &mut Vec::new())
}

/// [`contours`], the values `contour` reads kept in `buffer` (cleared first),
/// so a city-wide grid's tens of megabytes are not faulted in again for every
/// contour.
pub fn contours_in(
    grid: &TimeGrid,
    thresholds: &[Time],
    ramp: f32,
    buffer: &mut Vec<f64>,
) -> Vec<MultiPolygon<f64>> {
    // `contour` puts value (i, j) at the centre of pixel [i, i + 1]: shift by
    // half a cell so contours sit on the vertices' true positions.
    let builder = ContourBuilder::new(grid.nx, grid.ny, true)
        .x_origin(grid.origin[0] - grid.cell_m / 2.0)
        .y_origin(grid.origin[1] - grid.cell_m / 2.0)
        .x_step(grid.cell_m)
        .y_step(grid.cell_m);
    thresholds
        .iter()
        .map(|&t| {
            let top = t as f32 + ramp;
            // `contour` draws where values are >= a threshold: negate the times.
            buffer.clear();
            buffer.extend(grid.values.iter().map(|&v| -f64::from(v.min(top))));
            let raw = builder
                .contours(buffer, &[-f64::from(t)])
                .expect("grid dimensions match its values");
            let polygon = raw.into_iter().next().map(|c| c.into_inner().0);
            clean(polygon.unwrap_or(MultiPolygon(vec![])), grid.cell_m)
        })
        .collect()
}

/// Regroups holes, drops specks, simplifies.
fn clean(raw: MultiPolygon<f64>, cell_m: f64) -> MultiPolygon<f64> {
    let speck = cell_m * cell_m;
    let mut shells: Vec<Polygon<f64>> = Vec::new();
    let mut holes: Vec<LineString<f64>> = Vec::new();
    for p in raw {
        let (exterior, interiors) = p.into_inner();
        shells.push(Polygon::new(exterior, vec![]));
        holes.extend(interiors);
    }
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

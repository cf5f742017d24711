//! Area-weighted zonal sums: how much of each raster cell a unit covers.
//!
//! Everything happens in an **equal-area plane in which the raster's cells
//! are axis-aligned rectangles** (the [`Frame`]), so the share of a cell a
//! unit covers is a ratio of true areas and clipping a unit to a cell is a
//! rectangle clip:
//! - Mollweide rasters: the Mollweide plane itself (equal-area by design);
//!   the units are projected into it.
//! - Lon/lat rasters: Lambert's cylindrical equal-area plane
//!   `X = R·λ, Y = R·sin φ`. A lon/lat cell `[λ0, λ1] × [φ0, φ1]` is the
//!   rectangle `[Rλ0, Rλ1] × [R sin φ0, R sin φ1]`, whose area is the cell's
//!   area on the sphere.
//!
//! Unit edges are straight in the plane between projected vertices; at the
//! scale of a community's edges (metres to hundreds of metres) the curvature
//! of the true edge is far below a millimetre.
//!
//! A unit's cells are found row by row from its bounding box: the rings are
//! clipped to the row's strip, then the strip to each column it spans
//! (Sutherland–Hodgman, exact for the area of concave rings and holes). The
//! grid is unbounded: cells outside the raster are counted too, as
//! uncovered area.

use geo::orient::{Direction, Orient};
use geo::{Coord, MapCoords, MultiPolygon};

use super::georef::{Grid, RasterCrs};
use super::mollweide::Mollweide;

/// The sphere radius of the lon/lat frame: only ratios of areas are used, so
/// any radius gives the same shares; the authalic radius of WGS84.
const AUTHALIC_RADIUS_M: f64 = 6_371_007.2;

/// A cell of the unbounded grid, `(row, col)`; the raster holds rows
/// `0..height` and columns `0..width`.
pub type Cell = (i64, i64);

/// The equal-area plane of a raster's grid, with an origin near the units
/// (so that coordinates stay small and areas precise).
#[derive(Debug, Clone, Copy)]
pub struct Frame {
    kind: Kind,
    grid: Grid,
    origin: [f64; 2],
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    LonLat,
    Mollweide(Mollweide),
}

impl Frame {
    /// The frame of a raster in `crs` with `grid`, centred near `centre` (lon/lat).
    pub fn new(crs: RasterCrs, grid: Grid, centre: [f64; 2]) -> Frame {
        let kind = match crs {
            RasterCrs::LonLat { .. } => Kind::LonLat,
            RasterCrs::Mollweide(m) => Kind::Mollweide(m),
        };
        let mut f = Frame {
            kind,
            grid,
            origin: [0.0, 0.0],
        };
        f.origin = f.project(centre);
        f
    }

    /// A lon/lat point in the frame.
    pub fn project(&self, lonlat: [f64; 2]) -> [f64; 2] {
        let [x, y] = match self.kind {
            Kind::LonLat => [
                AUTHALIC_RADIUS_M * lonlat[0].to_radians(),
                AUTHALIC_RADIUS_M * lonlat[1].to_radians().sin(),
            ],
            Kind::Mollweide(m) => m.forward(lonlat),
        };
        [x - self.origin[0], y - self.origin[1]]
    }

    /// X of the left edge of column `col`.
    pub fn col_edge(&self, col: i64) -> f64 {
        let model = self.grid.x0 + col as f64 * self.grid.dx;
        match self.kind {
            Kind::LonLat => AUTHALIC_RADIUS_M * model.to_radians() - self.origin[0],
            Kind::Mollweide(_) => model - self.origin[0],
        }
    }

    /// Y of the top edge of row `row`.
    pub fn row_edge(&self, row: i64) -> f64 {
        let model = self.grid.y0 - row as f64 * self.grid.dy;
        match self.kind {
            Kind::LonLat => {
                AUTHALIC_RADIUS_M * model.clamp(-90.0, 90.0).to_radians().sin() - self.origin[1]
            }
            Kind::Mollweide(_) => model - self.origin[1],
        }
    }

    /// The column holding X.
    pub fn col_of(&self, x: f64) -> i64 {
        let model = match self.kind {
            Kind::LonLat => ((x + self.origin[0]) / AUTHALIC_RADIUS_M).to_degrees(),
            Kind::Mollweide(_) => x + self.origin[0],
        };
        ((model - self.grid.x0) / self.grid.dx).floor() as i64
    }

    /// The row holding Y.
    pub fn row_of(&self, y: f64) -> i64 {
        let model = match self.kind {
            Kind::LonLat => ((y + self.origin[1]) / AUTHALIC_RADIUS_M)
                .clamp(-1.0, 1.0)
                .asin()
                .to_degrees(),
            Kind::Mollweide(_) => y + self.origin[1],
        };
        ((self.grid.y0 - model) / self.grid.dy).floor() as i64
    }

    /// A lon/lat multipolygon in the frame, exteriors counter-clockwise and
    /// holes clockwise (as the signed areas and the union need).
    pub fn project_units(&self, unit: &MultiPolygon<f64>) -> MultiPolygon<f64> {
        unit.map_coords(|c| {
            let [x, y] = self.project([c.x, c.y]);
            Coord { x, y }
        })
        .orient(Direction::Default)
    }
}

/// One cell a unit covers: the covered area (frame units²) and the cell's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Piece {
    /// The cell, `(row, col)`.
    pub cell: Cell,
    /// The area of the cell the unit covers, frame units².
    pub area: f64,
    /// The cell's whole area, frame units².
    pub cell_area: f64,
}

impl Piece {
    /// The share of the cell covered, in [0, 1].
    pub fn fraction(&self) -> f64 {
        (self.area / self.cell_area).clamp(0.0, 1.0)
    }
}

/// The cells a multipolygon (in the frame, from [`Frame::project_units`])
/// covers, with the area covered in each.
pub fn cover(frame: &Frame, shape: &MultiPolygon<f64>) -> Vec<Piece> {
    let rings: Vec<Vec<[f64; 2]>> = shape
        .0
        .iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .map(|ring| {
            let mut pts: Vec<[f64; 2]> = ring.coords().map(|c| [c.x, c.y]).collect();
            if pts.len() > 1 && pts.first() == pts.last() {
                pts.pop();
            }
            pts
        })
        .filter(|r| r.len() >= 3 && r.iter().all(|p| p[0].is_finite() && p[1].is_finite()))
        .collect();
    let Some(b) = bbox(rings.iter().flatten()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for row in frame.row_of(b[3])..=frame.row_of(b[1]) {
        let (top, bottom) = (frame.row_edge(row), frame.row_edge(row + 1));
        let strip: Vec<Vec<[f64; 2]>> = rings
            .iter()
            .map(|r| clip(r, 1, bottom, top))
            .filter(|r| r.len() >= 3)
            .collect();
        let Some(sb) = bbox(strip.iter().flatten()) else {
            continue;
        };
        for col in frame.col_of(sb[0])..=frame.col_of(sb[2]) {
            let (left, right) = (frame.col_edge(col), frame.col_edge(col + 1));
            let cell_area = (right - left) * (top - bottom);
            let area: f64 = strip
                .iter()
                .map(|r| signed_area(&clip(r, 0, left, right)))
                .sum();
            if cell_area > 0.0 && area > 1e-12 * cell_area {
                out.push(Piece {
                    cell: (row, col),
                    area: area.min(cell_area),
                    cell_area,
                });
            }
        }
    }
    out
}

/// `[min x, min y, max x, max y]` of points.
fn bbox<'a>(points: impl Iterator<Item = &'a [f64; 2]>) -> Option<[f64; 4]> {
    let mut b: Option<[f64; 4]> = None;
    for p in points {
        let v = b.get_or_insert([p[0], p[1], p[0], p[1]]);
        *v = [
            v[0].min(p[0]),
            v[1].min(p[1]),
            v[2].max(p[0]),
            v[3].max(p[1]),
        ];
    }
    b
}

/// A ring clipped to `lo <= p[axis] <= hi` (Sutherland–Hodgman).
fn clip(ring: &[[f64; 2]], axis: usize, lo: f64, hi: f64) -> Vec<[f64; 2]> {
    let lower = clip_half(ring, axis, lo, true);
    clip_half(&lower, axis, hi, false)
}

/// A ring clipped to one side of `p[axis] = bound`: above when `keep_above`.
fn clip_half(ring: &[[f64; 2]], axis: usize, bound: f64, keep_above: bool) -> Vec<[f64; 2]> {
    let inside = |p: &[f64; 2]| {
        if keep_above {
            p[axis] >= bound
        } else {
            p[axis] <= bound
        }
    };
    if ring.iter().all(inside) {
        return ring.to_vec();
    }
    let mut out = Vec::with_capacity(ring.len() + 4);
    for (i, cur) in ring.iter().enumerate() {
        let prev = &ring[(i + ring.len() - 1) % ring.len()];
        let (ci, pi) = (inside(cur), inside(prev));
        if ci != pi {
            let t = (bound - prev[axis]) / (cur[axis] - prev[axis]);
            let mut p = [
                prev[0] + t * (cur[0] - prev[0]),
                prev[1] + t * (cur[1] - prev[1]),
            ];
            p[axis] = bound;
            out.push(p);
        }
        if ci {
            out.push(*cur);
        }
    }
    out
}

/// Shoelace area, positive for counter-clockwise rings, taken about the
/// first vertex so that far-off coordinates lose no precision.
fn signed_area(ring: &[[f64; 2]]) -> f64 {
    if ring.len() < 3 {
        return 0.0;
    }
    let o = ring[0];
    let mut twice = 0.0;
    for w in ring[1..].windows(2) {
        let (a, b) = (
            [w[0][0] - o[0], w[0][1] - o[1]],
            [w[1][0] - o[0], w[1][1] - o[1]],
        );
        twice += a[0] * b[1] - b[0] * a[1];
    }
    twice / 2.0
}

/// The area of a multipolygon in the frame (exteriors minus holes).
pub fn area(shape: &MultiPolygon<f64>) -> f64 {
    use geo::Area;
    shape.unsigned_area()
}

/// Whether a lon/lat point is a plausible coordinate.
pub fn valid_lonlat(p: [f64; 2]) -> bool {
    p[0].is_finite() && p[1].is_finite() && p[0].abs() <= 360.0 && p[1].abs() <= 90.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{polygon, Area, BooleanOps, Rect};

    fn lonlat_frame() -> Frame {
        let grid = Grid {
            x0: 116.0,
            y0: 37.5,
            dx: 0.001,
            dy: 0.001,
        };
        Frame::new(RasterCrs::LonLat { epsg: 4326 }, grid, [116.05, 37.45])
    }

    /// The cells' covered areas add up to the unit's area, and each equals
    /// the area of the unit ∩ the cell computed by geo's boolean operations
    /// (the slow oracle), for a concave polygon with a hole.
    #[test]
    fn cover_matches_boolean_intersection() {
        let f = lonlat_frame();
        let unit = MultiPolygon::new(vec![polygon!(
            exterior: [
                (x: 116.0012, y: 37.4991), (x: 116.0071, y: 37.4993), (x: 116.0042, y: 37.4962),
                (x: 116.0069, y: 37.4921), (x: 116.0008, y: 37.4933),
            ],
            interiors: [[
                (x: 116.0025, y: 37.4950), (x: 116.0035, y: 37.4950), (x: 116.0035, y: 37.4960),
                (x: 116.0025, y: 37.4960),
            ]],
        )]);
        let shape = f.project_units(&unit);
        let pieces = cover(&f, &shape);
        let total: f64 = pieces.iter().map(|p| p.area).sum();
        assert!(
            (total / area(&shape) - 1.0).abs() < 1e-9,
            "{total} vs {}",
            area(&shape)
        );
        for p in &pieces {
            let (r, c) = p.cell;
            let cell = Rect::new(
                Coord {
                    x: f.col_edge(c),
                    y: f.row_edge(r + 1),
                },
                Coord {
                    x: f.col_edge(c + 1),
                    y: f.row_edge(r),
                },
            )
            .to_polygon();
            let oracle = shape
                .intersection(&MultiPolygon::new(vec![cell]))
                .unsigned_area();
            assert!(
                (p.area - oracle).abs() < 1e-6 * p.cell_area,
                "{:?}: {} vs {oracle}",
                p.cell,
                p.area
            );
        }
        assert!(pieces.iter().any(|p| p.fraction() > 0.999) && pieces.len() > 20);
    }

    /// A lon/lat cell in the frame has its area on the sphere.
    #[test]
    fn lonlat_cells_are_equal_area() {
        let f = lonlat_frame();
        let (r, c) = (3, 7);
        let w = f.col_edge(c + 1) - f.col_edge(c);
        let h = f.row_edge(r) - f.row_edge(r + 1);
        let (lat1, lat0) = (
            (37.5f64 - 0.003).to_radians(),
            (37.5f64 - 0.004).to_radians(),
        );
        let sphere = AUTHALIC_RADIUS_M.powi(2) * 0.001f64.to_radians() * (lat1.sin() - lat0.sin());
        assert!((w * h / sphere - 1.0).abs() < 1e-9);
        assert_eq!(f.row_of(f.row_edge(r) - h / 2.0), r);
        assert_eq!(f.col_of(f.col_edge(c) + w / 2.0), c);
    }
}

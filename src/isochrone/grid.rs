//! Isochrone stage 2: the time grid.
//!
//! Every grid vertex gets the time at which a walker reaches it: along the
//! reached edges (sampled every half cell, interpolating partially reached
//! edges up to where the walk gets), then off the network in a straight line at
//! walking speed for at most `margin_m` metres — the yards and buildings beside
//! the paths, as R5 and Valhalla do. Vertices nobody reaches hold `cap`.

use crate::network::graph::Graph;
use crate::search::origins::Origins;
use crate::time::{Time, UNREACHED};

/// Times (deciseconds) at the vertices of a regular grid in projected metres.
#[derive(Debug, Clone)]
pub struct TimeGrid {
    /// Projected position of vertex (0, 0).
    pub origin: [f64; 2],
    /// Distance between neighbouring vertices, metres.
    pub cell_m: f64,
    /// Vertices per row (along x).
    pub nx: usize,
    /// Rows of vertices (along y).
    pub ny: usize,
    /// Row-major, `ny` rows of `nx` vertices.
    pub values: Vec<f32>,
    /// The value of unreached vertices.
    pub cap: f32,
}

/// How the grid is laid and how far off the network a walker may step.
#[derive(Debug, Clone, Copy)]
pub struct GridSpec {
    /// Distance between neighbouring grid vertices, metres.
    pub cell_m: f64,
    /// How far off the network a walker may step, metres.
    pub margin_m: f64,
    /// Off-network walking speed, m/s.
    pub speed_mps: f64,
}

impl TimeGrid {
    /// A grid covering `bounds` (projected metres) plus the margin and one cell.
    pub fn new(bounds: ([f64; 2], [f64; 2]), spec: &GridSpec, cap: Time) -> TimeGrid {
        TimeGrid::new_in(bounds, spec, cap, Vec::new())
    }

    /// [`new`](Self::new), its values stored in `buffer` (cleared first): a
    /// city-wide grid is tens of megabytes, and a buffer taken back from the
    /// previous grid ([`into_values`](Self::into_values)) is not faulted in
    /// again page by page.
    pub fn new_in(
        bounds: ([f64; 2], [f64; 2]),
        spec: &GridSpec,
        cap: Time,
        mut buffer: Vec<f32>,
    ) -> TimeGrid {
        let pad = spec.margin_m + 2.0 * spec.cell_m;
        let origin = [
            ((bounds.0[0] - pad) / spec.cell_m).floor() * spec.cell_m,
            ((bounds.0[1] - pad) / spec.cell_m).floor() * spec.cell_m,
        ];
        let nx = (((bounds.1[0] + pad - origin[0]) / spec.cell_m).ceil() as usize + 1).max(2);
        let ny = (((bounds.1[1] + pad - origin[1]) / spec.cell_m).ceil() as usize + 1).max(2);
        buffer.clear();
        buffer.resize(nx * ny, cap as f32);
        TimeGrid {
            origin,
            cell_m: spec.cell_m,
            nx,
            ny,
            values: buffer,
            cap: cap as f32,
        }
    }

    /// The values' storage, for the next grid ([`new_in`](Self::new_in)).
    pub fn into_values(self) -> Vec<f32> {
        self.values
    }

    /// The time at a projected point, from the nearest vertex (for tests and
    /// for reading a grid back).
    pub fn at(&self, xy: [f64; 2]) -> Option<f32> {
        let col = ((xy[0] - self.origin[0]) / self.cell_m).round();
        let row = ((xy[1] - self.origin[1]) / self.cell_m).round();
        if col < 0.0 || row < 0.0 || col as usize >= self.nx || row as usize >= self.ny {
            return None;
        }
        Some(self.values[row as usize * self.nx + col as usize])
    }

    /// Spreads the time of a point on the network to the vertices within the
    /// off-network margin.
    fn splat(&mut self, p: [f64; 2], t: f64, spec: &GridSpec) {
        let spare_m = (f64::from(self.cap) - t) / 10.0 * spec.speed_mps;
        let r = spec.margin_m.min(spare_m);
        if r < 0.0 {
            return;
        }
        // This runs for every sample point of every isochrone: bounds by
        // multiplication and integer rounding rather than division and libm's
        // `ceil`/`floor` calls, and per row only the columns inside the disc,
        // so the inner loop has no branch.
        let inv = 1.0 / self.cell_m;
        let r0 = ceil_i((p[1] - r - self.origin[1]) * inv).max(0);
        let r1 = floor_i((p[1] + r - self.origin[1]) * inv).min(self.ny as i64 - 1);
        let ds_per_m = 10.0 / spec.speed_mps;
        let r2 = r * r;
        for row in r0..=r1 {
            let dy = self.origin[1] + row as f64 * self.cell_m - p[1];
            let dy2 = dy * dy;
            if dy2 > r2 {
                continue;
            }
            let half = (r2 - dy2).sqrt();
            let c0 = ceil_i((p[0] - half - self.origin[0]) * inv).max(0);
            let c1 = floor_i((p[0] + half - self.origin[0]) * inv).min(self.nx as i64 - 1);
            if c1 < c0 {
                continue;
            }
            let start = row as usize * self.nx;
            let x0 = self.origin[0] + c0 as f64 * self.cell_m - p[0];
            let slots = &mut self.values[start + c0 as usize..=start + c1 as usize];
            for (i, slot) in slots.iter_mut().enumerate() {
                let dx = x0 + i as f64 * self.cell_m;
                let v = (t + (dx * dx + dy2).sqrt() * ds_per_m) as f32;
                *slot = slot.min(v);
            }
        }
    }

    /// Rasterises edges whose end times are given by `node_time`, up to the
    /// cap; on an edge where the search started (`origins`), also the walk
    /// straight along it from the start (the trivial path).
    pub fn rasterize_edges(
        &mut self,
        graph: &Graph,
        edges: impl Iterator<Item = u32>,
        node_time: impl Fn(u32) -> Time,
        origins: &Origins,
        spec: &GridSpec,
    ) {
        let cap = f64::from(self.cap);
        let step = self.cell_m / 2.0;
        for e in edges {
            let edge = graph.edges()[e as usize];
            let (tu, tv) = (node_time(edge.u), node_time(edge.v));
            let starts = origins.on_edge(e);
            if tu == UNREACHED && tv == UNREACHED && starts.is_empty() {
                continue;
            }
            let total = f64::from(graph.edge_time(e));
            let shape = graph.shape(e);
            let seg_len = |i: usize| {
                let (a, b) = (shape[i], shape[i + 1]);
                {
                    let (dx, dy) = (f64::from(a[0] - b[0]), f64::from(a[1] - b[1]));
                    (dx * dx + dy * dy).sqrt()
                }
            };
            let planar: f64 = (0..shape.len() - 1).map(seg_len).sum();
            let k = if planar > 0.0 { total / planar } else { 0.0 };
            // Starts on this edge, at their planar distance from `u`.
            let to_planar = if edge.length_m > 0.0 {
                planar / f64::from(edge.length_m)
            } else {
                0.0
            };
            let starts: Vec<(f64, f64)> = starts
                .iter()
                .map(|o| (f64::from(o.pos.offset_m) * to_planar, f64::from(o.time)))
                .collect();
            let time_at = |s: f64| {
                let along = starts
                    .iter()
                    .map(|&(s0, t0)| t0 + (s - s0).abs() * k)
                    .fold(f64::MAX, f64::min);
                let from_u = if tu == UNREACHED {
                    f64::MAX
                } else {
                    f64::from(tu) + s * k
                };
                let from_v = if tv == UNREACHED {
                    f64::MAX
                } else {
                    f64::from(tv) + (planar - s) * k
                };
                from_u.min(from_v).min(along)
            };
            let mut walked = 0.0;
            for i in 0..shape.len() - 1 {
                let (a, b) = (shape[i], shape[i + 1]);
                let len = seg_len(i);
                let n = (len / step).ceil().max(1.0) as usize;
                for j in 0..=n {
                    if j == n && i + 2 < shape.len() {
                        continue; // the next segment starts here
                    }
                    let f = j as f64 / n as f64;
                    let t = time_at(walked + f * len);
                    if t < cap {
                        let p = [
                            f64::from(a[0]) + f * f64::from(b[0] - a[0]),
                            f64::from(a[1]) + f * f64::from(b[1] - a[1]),
                        ];
                        self.splat(p, t, spec);
                    }
                }
                walked += len;
            }
        }
    }
}

/// `x.floor()` as an integer, without a libm call (grid coordinates are far
/// inside `i64`).
#[inline]
fn floor_i(x: f64) -> i64 {
    let i = x as i64;
    i - i64::from((i as f64) > x)
}

/// `x.ceil()` as an integer.
#[inline]
fn ceil_i(x: f64) -> i64 {
    let i = x as i64;
    i + i64::from((i as f64) < x)
}

impl TimeGrid {
    /// Which vertices lie inside any of the polygons (projected metres):
    /// scanline fill, even-odd within a polygon, union across polygons.
    pub fn inside_mask<'a>(
        &self,
        polygons: impl Iterator<Item = &'a geo::MultiPolygon<f64>>,
    ) -> Vec<bool> {
        let mut mask = vec![false; self.nx * self.ny];
        let mut xs: Vec<f64> = Vec::new();
        for mp in polygons {
            for poly in &mp.0 {
                let rings: Vec<&geo::LineString<f64>> = std::iter::once(poly.exterior())
                    .chain(poly.interiors())
                    .collect();
                let (ymin, ymax) = poly
                    .exterior()
                    .coords()
                    .fold((f64::MAX, f64::MIN), |(a, b), c| (a.min(c.y), b.max(c.y)));
                let r0 = ((ymin - self.origin[1]) / self.cell_m).ceil().max(0.0) as usize;
                let r1 = (((ymax - self.origin[1]) / self.cell_m).floor() as isize)
                    .min(self.ny as isize - 1);
                for row in r0..=r1.max(-1) as usize {
                    if r1 < 0 {
                        break;
                    }
                    let y = self.origin[1] + row as f64 * self.cell_m;
                    xs.clear();
                    for ring in &rings {
                        for seg in ring.lines() {
                            let (a, b) = (seg.start, seg.end);
                            // Half-open rule: count an edge when y is in [min, max).
                            if (a.y <= y) != (b.y <= y) {
                                xs.push(a.x + (y - a.y) / (b.y - a.y) * (b.x - a.x));
                            }
                        }
                    }
                    xs.sort_by(f64::total_cmp);
                    for pair in xs.chunks_exact(2) {
                        let c0 =
                            ((pair[0] - self.origin[0]) / self.cell_m).ceil().max(0.0) as usize;
                        let c1 = (((pair[1] - self.origin[0]) / self.cell_m).floor() as isize)
                            .min(self.nx as isize - 1);
                        if c1 >= c0 as isize {
                            mask[row * self.nx + c0..=row * self.nx + c1 as usize].fill(true);
                        }
                    }
                }
            }
        }
        mask
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_rounding_matches_libm() {
        for x in [
            -2.5,
            -2.0,
            -1.5,
            -0.5,
            -0.0,
            0.0,
            0.25,
            1.0,
            1.5,
            7.999,
            1e9 + 0.5,
        ] {
            assert_eq!(floor_i(x), x.floor() as i64, "{x}");
            assert_eq!(ceil_i(x), x.ceil() as i64, "{x}");
        }
    }

    #[test]
    fn inside_mask_fills_polygons_with_holes() {
        use geo::polygon;
        let spec = GridSpec {
            cell_m: 1.0,
            margin_m: 0.0,
            speed_mps: 1.0,
        };
        let grid = TimeGrid::new(([0.0, 0.0], [10.0, 10.0]), &spec, 1);
        let square = polygon!(
            exterior: [(x: 0.5, y: 0.5), (x: 9.5, y: 0.5), (x: 9.5, y: 9.5), (x: 0.5, y: 9.5), (x: 0.5, y: 0.5)],
            interiors: [[(x: 3.5, y: 3.5), (x: 6.5, y: 3.5), (x: 6.5, y: 6.5), (x: 3.5, y: 6.5), (x: 3.5, y: 3.5)]],
        );
        let mask = grid.inside_mask(std::iter::once(&geo::MultiPolygon(vec![square])));
        let at = |x: f64, y: f64| {
            let col = ((x - grid.origin[0]) / grid.cell_m).round() as usize;
            let row = ((y - grid.origin[1]) / grid.cell_m).round() as usize;
            mask[row * grid.nx + col]
        };
        assert!(at(1.0, 1.0) && at(9.0, 9.0) && at(2.0, 5.0));
        assert!(!at(5.0, 5.0), "the hole");
        assert!(!at(0.0, 0.0) && !at(10.0, 5.0), "outside");
        assert_eq!(mask.iter().filter(|&&m| m).count(), 81 - 9);
    }
}

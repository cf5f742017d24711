//! Distances on the Earth and a local metric projection.
//!
//! Walking lengths are haversine distances along a way's shape. Spatial work
//! (snapping, point-in-polygon, grids) happens in a local equirectangular
//! projection centred on the study area: at city scale (tens of km) its distance
//! error is far below a metre per kilometre, and it keeps every operation cheap.

/// Mean Earth radius in metres (IUGG).
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Great-circle distance in metres between two lon/lat points in degrees.
///
/// ```
/// let d = childcircle::geodesy::haversine_m([116.31, 37.45], [116.31, 37.46]);
/// assert!((d - 1111.95).abs() < 0.5);
/// ```
pub fn haversine_m(a: [f64; 2], b: [f64; 2]) -> f64 {
    let (lat1, lat2) = (a[1].to_radians(), b[1].to_radians());
    let dlat = lat2 - lat1;
    let dlon = (b[0] - a[0]).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
}

/// Length in metres of a lon/lat polyline.
pub fn polyline_length_m(points: &[[f64; 2]]) -> f64 {
    points.windows(2).map(|w| haversine_m(w[0], w[1])).sum()
}

/// Equirectangular projection around a reference point: x east, y north, metres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LocalProjection {
    lon0: f64,
    lat0: f64,
    kx: f64,
    ky: f64,
}

impl LocalProjection {
    /// A projection centred on `(lon0, lat0)`.
    pub fn new(lon0: f64, lat0: f64) -> Self {
        // Metres per degree of latitude.
        let ky = EARTH_RADIUS_M.to_radians();
        LocalProjection {
            lon0,
            lat0,
            kx: ky * lat0.to_radians().cos(),
            ky,
        }
    }

    /// Projects lon/lat degrees to local metres.
    ///
    /// ```
    /// use childcircle::geodesy::LocalProjection;
    /// let p = LocalProjection::new(116.31, 37.45);
    /// let [x, y] = p.project([116.32, 37.46]);
    /// assert!((x - 883.6).abs() < 1.0 && (y - 1112.0).abs() < 1.0);
    /// let back = p.unproject([x, y]);
    /// assert!((back[0] - 116.32).abs() < 1e-9 && (back[1] - 37.46).abs() < 1e-9);
    /// ```
    pub fn project(&self, lonlat: [f64; 2]) -> [f64; 2] {
        [
            (lonlat[0] - self.lon0) * self.kx,
            (lonlat[1] - self.lat0) * self.ky,
        ]
    }

    /// Local metres back to lon/lat degrees.
    pub fn unproject(&self, xy: [f64; 2]) -> [f64; 2] {
        [xy[0] / self.kx + self.lon0, xy[1] / self.ky + self.lat0]
    }

    /// The reference point.
    pub fn origin(&self) -> [f64; 2] {
        [self.lon0, self.lat0]
    }
}

/// Squared distance from `p` to segment `a`–`b` (planar) and the parameter
/// `t ∈ [0, 1]` of the nearest point on it.
pub fn point_segment(p: [f64; 2], a: [f64; 2], b: [f64; 2]) -> (f64, f64) {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (qx, qy) = (a[0] + t * dx - p[0], a[1] + t * dy - p[1]);
    (qx * qx + qy * qy, t)
}

/// Closest approach of segment `a0`–`a1` to segment `b0`–`b1` (planar):
/// the squared distance and the parameter on `a` of the closest point.
pub fn segment_segment(a0: [f64; 2], a1: [f64; 2], b0: [f64; 2], b1: [f64; 2]) -> (f64, f64) {
    // Proper crossing: distance zero at the intersection.
    let d = |p: [f64; 2], q: [f64; 2], r: [f64; 2]| {
        (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])
    };
    let (d1, d2) = (d(b0, b1, a0), d(b0, b1, a1));
    let (d3, d4) = (d(a0, a1, b0), d(a0, a1, b1));
    if d1 * d2 < 0.0 && d3 * d4 < 0.0 {
        return (0.0, d1 / (d1 - d2));
    }
    let mut best = point_segment(a0, b0, b1).0;
    let mut t = 0.0;
    let at_a1 = point_segment(a1, b0, b1).0;
    if at_a1 < best {
        (best, t) = (at_a1, 1.0);
    }
    for q in [b0, b1] {
        let (d2, tq) = point_segment(q, a0, a1);
        if d2 < best {
            (best, t) = (d2, tq);
        }
    }
    (best, t)
}

/// Rounds to `digits` decimals, half away from zero: how every output
/// rounds coordinates (7 decimals, about 1 cm), lengths and shares.
///
/// ```
/// assert_eq!(childcircle::geodesy::round(116.123456789, 7), 116.1234568);
/// assert_eq!(childcircle::geodesy::round(0.25, 1), 0.3);
/// ```
pub fn round(v: f64, digits: i32) -> f64 {
    let k = 10f64.powi(digits);
    (v * k).round() / k
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn projection_distance_matches_haversine_at_city_scale() {
        let p = LocalProjection::new(116.31, 37.45);
        for (a, b) in [
            ([116.30, 37.44], [116.35, 37.49]),
            ([116.25, 37.40], [116.40, 37.40]),
        ] {
            let (pa, pb) = (p.project(a), p.project(b));
            let planar = ((pa[0] - pb[0]).powi(2) + (pa[1] - pb[1]).powi(2)).sqrt();
            let true_m = haversine_m(a, b);
            assert!(
                (planar - true_m).abs() / true_m < 2e-3,
                "{planar} vs {true_m}"
            );
        }
    }

    #[test]
    fn point_segment_projects_and_clamps() {
        let (d2, t) = point_segment([5.0, 3.0], [0.0, 0.0], [10.0, 0.0]);
        assert_eq!((d2, t), (9.0, 0.5));
        let (d2, t) = point_segment([-4.0, 3.0], [0.0, 0.0], [10.0, 0.0]);
        assert_eq!((d2, t), (25.0, 0.0));
    }

    #[test]
    fn segment_segment_finds_crossings_and_near_misses() {
        // Crossing at a quarter of the way along `a`.
        let (d2, t) = segment_segment([0.0, 0.0], [8.0, 0.0], [2.0, -1.0], [2.0, 1.0]);
        assert_eq!(d2, 0.0);
        assert!((t - 0.25).abs() < 1e-12);
        // `b` ends 3 m beside the middle of `a`.
        let (d2, t) = segment_segment([0.0, 0.0], [8.0, 0.0], [4.0, 3.0], [4.0, 9.0]);
        assert_eq!((d2, t), (9.0, 0.5));
    }
}

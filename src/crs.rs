//! Chinese web-map coordinate systems: GCJ-02 (Amap/Gaode, Tencent) and BD-09
//! (Baidu), and their conversion to WGS84.
//!
//! GCJ-02 is WGS84 moved by a published, deterministic obfuscation of a few
//! hundred metres (the "forward" transform, [`wgs84_to_gcj02`]); BD-09 is
//! GCJ-02 rotated and shifted once more ([`gcj02_to_bd09`]). The offset is
//! defined only inside China: outside the rough box of [`in_china`] both are
//! WGS84 and nothing is moved.
//!
//! There is no closed-form inverse. [`gcj02_to_wgs84`] solves
//! `forward(w) = g` by fixed-point iteration, `w ← w − (forward(w) − g)`: the
//! offset changes by less than a centimetre per 100 m, so each step shrinks the
//! error some ten-thousandfold and two or three steps reach millimetres (the
//! one-step "approximate inverse" found in many scripts leaves up to ~1 m).
//!
//! ```
//! use childcircle::crs::{gcj02_to_wgs84, wgs84_to_gcj02};
//! let dezhou = [116.3575, 37.4343];
//! let gcj = wgs84_to_gcj02(dezhou);
//! let offset = childcircle::geodesy::haversine_m(dezhou, gcj);
//! assert!((300.0..700.0).contains(&offset), "{offset}");
//! let back = gcj02_to_wgs84(gcj);
//! assert!(childcircle::geodesy::haversine_m(dezhou, back) < 0.01);
//! ```

use std::str::FromStr;

/// The coordinate system of an input file's longitudes and latitudes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Crs {
    /// WGS84 (EPSG:4326), as OpenStreetMap and GPS; CGCS2000 is within a metre.
    #[default]
    Wgs84,
    /// GCJ-02, the "Mars" offset of Amap/Gaode, Tencent and Apple maps in China.
    Gcj02,
    /// BD-09, Baidu's further offset of GCJ-02.
    Bd09,
}

impl Crs {
    /// The name used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Crs::Wgs84 => "wgs84",
            Crs::Gcj02 => "gcj02",
            Crs::Bd09 => "bd09",
        }
    }

    /// Converts a lon/lat of this system to WGS84.
    ///
    /// ```
    /// use childcircle::crs::Crs;
    /// let p = [116.3, 37.45];
    /// assert_eq!(Crs::Wgs84.to_wgs84(p), p);
    /// let w = Crs::Bd09.to_wgs84(p);
    /// assert!(childcircle::geodesy::haversine_m(p, w) > 500.0);
    /// ```
    pub fn to_wgs84(self, lonlat: [f64; 2]) -> [f64; 2] {
        match self {
            Crs::Wgs84 => lonlat,
            Crs::Gcj02 => gcj02_to_wgs84(lonlat),
            Crs::Bd09 if in_china(lonlat) => gcj02_to_wgs84(bd09_to_gcj02(lonlat)),
            Crs::Bd09 => lonlat,
        }
    }

    /// Recognises a CRS name from a GeoJSON `crs` member or a `.prj` file:
    /// `None` when the text names none of the three.
    ///
    /// ```
    /// use childcircle::crs::Crs;
    /// assert_eq!(Crs::recognise("urn:ogc:def:crs:OGC:1.3:CRS84"), Some(Crs::Wgs84));
    /// assert_eq!(Crs::recognise("GCJ02"), Some(Crs::Gcj02));
    /// assert_eq!(Crs::recognise("EPSG:3857"), None);
    /// ```
    pub fn recognise(text: &str) -> Option<Crs> {
        let t = text.to_ascii_lowercase().replace(['-', '_', ' '], "");
        if t.contains("gcj02") || t.contains("gcj") {
            Some(Crs::Gcj02)
        } else if t.contains("bd09") || t.contains("baidu") {
            Some(Crs::Bd09)
        } else if [
            "crs84",
            "epsg:4326",
            "epsg::4326",
            "epsg:4490",
            "epsg::4490",
        ]
        .iter()
        .any(|k| t.contains(k))
            || t.contains("wgs84") && !t.contains("projcs")
            || t.contains("wgs1984") && !t.contains("projcs")
            || t.contains("cgcs2000") && !t.contains("projcs")
        {
            Some(Crs::Wgs84)
        } else {
            None
        }
    }
}

impl FromStr for Crs {
    type Err = String;

    fn from_str(s: &str) -> Result<Crs, String> {
        match s.to_ascii_lowercase().replace(['-', '_'], "").as_str() {
            "wgs84" | "epsg:4326" | "4326" => Ok(Crs::Wgs84),
            "gcj02" | "amap" | "gaode" => Ok(Crs::Gcj02),
            "bd09" | "baidu" => Ok(Crs::Bd09),
            other => Err(format!(
                "unknown coordinate system {other:?}; expected wgs84, gcj02 or bd09"
            )),
        }
    }
}

impl std::fmt::Display for Crs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Semi-major axis of the Krasovsky 1940 ellipsoid the transform uses, metres.
const A: f64 = 6_378_245.0;
/// Its eccentricity squared, as the published transform writes it.
#[allow(clippy::excessive_precision)]
const EE: f64 = 0.006_693_421_622_965_943_23;
/// Baidu's rotation constant, π·3000/180.
const X_PI: f64 = std::f64::consts::PI * 3000.0 / 180.0;

/// Whether the GCJ-02 offset applies here: the rough box of mainland China
/// (lon 72.004–137.8347, lat 0.8293–55.8271) every implementation of the
/// transform uses. Outside it GCJ-02 and BD-09 equal WGS84.
///
/// ```
/// assert!(childcircle::crs::in_china([116.36, 37.43]));
/// assert!(!childcircle::crs::in_china([24.94, 60.17]));
/// ```
pub fn in_china(lonlat: [f64; 2]) -> bool {
    let [lon, lat] = lonlat;
    (72.004..=137.8347).contains(&lon) && (0.8293..=55.8271).contains(&lat)
}

fn transform_lat(x: f64, y: f64) -> f64 {
    use std::f64::consts::PI;
    let mut r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    r
}

fn transform_lon(x: f64, y: f64) -> f64 {
    use std::f64::consts::PI;
    let mut r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    r
}

/// The GCJ-02 offset (degrees) of a WGS84 point inside China.
fn gcj_offset(lonlat: [f64; 2]) -> [f64; 2] {
    use std::f64::consts::PI;
    let [lon, lat] = lonlat;
    let d_lat = transform_lat(lon - 105.0, lat - 35.0);
    let d_lon = transform_lon(lon - 105.0, lat - 35.0);
    let rad = lat / 180.0 * PI;
    let magic = 1.0 - EE * rad.sin() * rad.sin();
    let sqrt_magic = magic.sqrt();
    [
        (d_lon * 180.0) / (A / sqrt_magic * rad.cos() * PI),
        (d_lat * 180.0) / ((A * (1.0 - EE)) / (magic * sqrt_magic) * PI),
    ]
}

/// WGS84 → GCJ-02, the standard forward transform (identity outside China).
pub fn wgs84_to_gcj02(lonlat: [f64; 2]) -> [f64; 2] {
    if !in_china(lonlat) {
        return lonlat;
    }
    let d = gcj_offset(lonlat);
    [lonlat[0] + d[0], lonlat[1] + d[1]]
}

/// GCJ-02 → WGS84 by fixed-point iteration on the forward transform, to a
/// residual below a millimetre (at most 10 steps; identity outside China).
///
/// ```
/// use childcircle::crs::{gcj02_to_wgs84, wgs84_to_gcj02};
/// use childcircle::geodesy::haversine_m;
/// // Shanghai, Beijing, Kunming, Harbin: the round trip stays within 5 mm.
/// for p in [[121.47, 31.23], [116.40, 39.90], [102.71, 25.04], [126.53, 45.80]] {
///     let back = gcj02_to_wgs84(wgs84_to_gcj02(p));
///     assert!(haversine_m(p, back) < 0.005, "{p:?}");
/// }
/// ```
pub fn gcj02_to_wgs84(gcj: [f64; 2]) -> [f64; 2] {
    if !in_china(gcj) {
        return gcj;
    }
    let mut w = gcj;
    for _ in 0..10 {
        let f = wgs84_to_gcj02(w);
        let (dx, dy) = (f[0] - gcj[0], f[1] - gcj[1]);
        w = [w[0] - dx, w[1] - dy];
        // 1e-9° is about 0.1 mm.
        if dx.abs() < 1e-9 && dy.abs() < 1e-9 {
            break;
        }
    }
    w
}

/// GCJ-02 → BD-09 (Baidu's rotation and shift).
pub fn gcj02_to_bd09(gcj: [f64; 2]) -> [f64; 2] {
    let [x, y] = gcj;
    let z = (x * x + y * y).sqrt() + 0.00002 * (y * X_PI).sin();
    let theta = y.atan2(x) + 0.000003 * (x * X_PI).cos();
    [z * theta.cos() + 0.0065, z * theta.sin() + 0.006]
}

/// BD-09 → GCJ-02: the standard inverse of the rotation, refined by the same
/// fixed-point iteration so that the round trip is exact to a millimetre.
///
/// ```
/// use childcircle::crs::{bd09_to_gcj02, gcj02_to_bd09};
/// let g = [116.3575, 37.4343];
/// let back = bd09_to_gcj02(gcj02_to_bd09(g));
/// assert!(childcircle::geodesy::haversine_m(g, back) < 0.005);
/// ```
pub fn bd09_to_gcj02(bd: [f64; 2]) -> [f64; 2] {
    let (x, y) = (bd[0] - 0.0065, bd[1] - 0.006);
    let z = (x * x + y * y).sqrt() - 0.00002 * (y * X_PI).sin();
    let theta = y.atan2(x) - 0.000003 * (x * X_PI).cos();
    let mut g = [z * theta.cos(), z * theta.sin()];
    for _ in 0..5 {
        let f = gcj02_to_bd09(g);
        let (dx, dy) = (f[0] - bd[0], f[1] - bd[1]);
        g = [g[0] - dx, g[1] - dy];
        if dx.abs() < 1e-10 && dy.abs() < 1e-10 {
            break;
        }
    }
    g
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Closest, ClosestPoint, Coord, LineString, MapCoords, MultiLineString, Point};

    /// Mean distance (m) from each vertex to the nearest point of an outline,
    /// both in local metres around Dezhou.
    fn mean_distance_m(vertices: &[[f64; 2]], outline: &MultiLineString) -> f64 {
        let proj = crate::geodesy::LocalProjection::new(116.3, 37.4);
        let metres = outline.map_coords(|c| {
            let [x, y] = proj.project([c.x, c.y]);
            Coord { x, y }
        });
        let total: f64 = vertices
            .iter()
            .map(|&v| {
                let [x, y] = proj.project(v);
                let p = Point::new(x, y);
                match metres.closest_point(&p) {
                    Closest::Intersection(q) | Closest::SinglePoint(q) => {
                        (q.x() - x).hypot(q.y() - y)
                    }
                    Closest::Indeterminate => panic!("no closest point"),
                }
            })
            .sum();
        total / vertices.len() as f64
    }

    #[test]
    fn amap_outline_of_decheng_lands_on_the_wgs84_outline() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let fence: serde_json::Value = serde_json::from_slice(
            &std::fs::read(root.join("data/dezhou/gcj02/decheng_fence_gcj02.json")).unwrap(),
        )
        .unwrap();
        let vertices: Vec<[f64; 2]> = fence["coordinates"][0]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| [p[0].as_f64().unwrap(), p[1].as_f64().unwrap()])
            .collect();
        assert!(vertices.len() > 1000);
        let districts: serde_json::Value = serde_json::from_slice(
            &std::fs::read(root.join("data/dezhou/districts.geojson")).unwrap(),
        )
        .unwrap();
        let decheng = districts["features"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["properties"]["name"] == "德城区")
            .unwrap();
        let rings: Vec<LineString> = decheng["geometry"]["coordinates"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|poly| poly.as_array().unwrap().iter())
            .map(|ring| {
                ring.as_array()
                    .unwrap()
                    .iter()
                    .map(|p| Coord {
                        x: p[0].as_f64().unwrap(),
                        y: p[1].as_f64().unwrap(),
                    })
                    .collect()
            })
            .collect();
        let outline = MultiLineString(rings);
        let before = mean_distance_m(&vertices, &outline);
        let converted: Vec<[f64; 2]> = vertices.iter().map(|&v| gcj02_to_wgs84(v)).collect();
        let after = mean_distance_m(&converted, &outline);
        eprintln!("mean vertex distance: {before:.1} m before, {after:.3} m after");
        assert!((250.0..320.0).contains(&before), "before {before}");
        assert!(after < 1.0, "after {after}");
        // The residual of the inverse itself: forward(inverse(g)) = g.
        for &g in &vertices {
            let r = crate::geodesy::haversine_m(wgs84_to_gcj02(gcj02_to_wgs84(g)), g);
            assert!(r < 0.5, "residual {r} m at {g:?}");
        }
    }

    #[test]
    fn outside_china_nothing_moves() {
        for p in [[24.94, 60.17], [7.42, 43.73], [-74.0, 40.7]] {
            assert_eq!(gcj02_to_wgs84(p), p);
            assert_eq!(Crs::Gcj02.to_wgs84(p), p);
            assert_eq!(wgs84_to_gcj02(p), p);
        }
    }

    #[test]
    fn names_parse() {
        assert_eq!("GCJ-02".parse::<Crs>(), Ok(Crs::Gcj02));
        assert_eq!("bd09".parse::<Crs>(), Ok(Crs::Bd09));
        assert!("utm50".parse::<Crs>().unwrap_err().contains("gcj02"));
    }
}

//! Lon/lat geometry as GeoJSON values, coordinates rounded to 6 decimals
//! (about 0.1 m, as Valhalla and openrouteservice write them).

use geo::{BoundingRect, LineString, MultiPolygon, Polygon};
use serde_json::{json, Value};

/// A coordinate rounded to 6 decimals.
fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

/// `[lon, lat]`.
pub fn lonlat_json(p: [f64; 2]) -> Value {
    json!([round6(p[0]), round6(p[1])])
}

/// A ring or line as `[[lon, lat], …]`.
pub fn ring_json(ring: &LineString<f64>) -> Value {
    Value::Array(ring.0.iter().map(|c| lonlat_json([c.x, c.y])).collect())
}

fn polygon_rings(p: &Polygon<f64>) -> Value {
    let mut rings = vec![ring_json(p.exterior())];
    rings.extend(p.interiors().iter().map(ring_json));
    Value::Array(rings)
}

/// A Polygon when there is one part (what clients such as routingpy expect),
/// else a MultiPolygon; an empty area is a Polygon without rings.
pub fn polygon_geometry(mp: &MultiPolygon<f64>) -> Value {
    match mp.0.as_slice() {
        [] => json!({"coordinates": [], "type": "Polygon"}),
        [one] => json!({"coordinates": polygon_rings(one), "type": "Polygon"}),
        parts => json!({
            "coordinates": parts.iter().map(polygon_rings).collect::<Vec<_>>(),
            "type": "MultiPolygon",
        }),
    }
}

/// `[min lon, min lat, max lon, max lat]` of polygons, `None` if all empty.
pub fn bbox<'a>(polygons: impl IntoIterator<Item = &'a MultiPolygon<f64>>) -> Option<[f64; 4]> {
    let mut b: Option<[f64; 4]> = None;
    for r in polygons.into_iter().filter_map(|mp| mp.bounding_rect()) {
        let (lo, hi) = (r.min(), r.max());
        b = Some(match b {
            None => [lo.x, lo.y, hi.x, hi.y],
            Some(o) => [
                o[0].min(lo.x),
                o[1].min(lo.y),
                o[2].max(hi.x),
                o[3].max(hi.y),
            ],
        });
    }
    b.map(|b| b.map(round6))
}

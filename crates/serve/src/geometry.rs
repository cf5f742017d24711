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

/// Writers of the same GeoJSON straight into a buffer, byte for byte what
/// serialising the values above gives (numbers through serde_json's own
/// float formatting), without building a value per coordinate.
pub mod write {
    use super::round6;
    use geo::{LineString, MultiPolygon, Polygon};

    /// A number as serde_json writes it.
    pub fn number(out: &mut Vec<u8>, v: f64) {
        serde_json::to_writer(&mut *out, &v).expect("writing to a Vec cannot fail");
    }

    /// `[lon, lat]`, as [`super::lonlat_json`].
    pub fn lonlat(out: &mut Vec<u8>, p: [f64; 2]) {
        out.push(b'[');
        number(out, round6(p[0]));
        out.push(b',');
        number(out, round6(p[1]));
        out.push(b']');
    }

    /// A ring or line, as [`super::ring_json`].
    pub fn ring(out: &mut Vec<u8>, ring: &LineString<f64>) {
        out.push(b'[');
        for (i, c) in ring.0.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            lonlat(out, [c.x, c.y]);
        }
        out.push(b']');
    }

    fn polygon_rings(out: &mut Vec<u8>, p: &Polygon<f64>) {
        out.push(b'[');
        ring(out, p.exterior());
        for hole in p.interiors() {
            out.push(b',');
            ring(out, hole);
        }
        out.push(b']');
    }

    /// As [`super::polygon_geometry`].
    pub fn polygon_geometry(out: &mut Vec<u8>, mp: &MultiPolygon<f64>) {
        out.extend_from_slice(b"{\"coordinates\":");
        match mp.0.as_slice() {
            [] => out.extend_from_slice(b"[],\"type\":\"Polygon\"}"),
            [one] => {
                polygon_rings(out, one);
                out.extend_from_slice(b",\"type\":\"Polygon\"}");
            }
            parts => {
                out.push(b'[');
                for (i, p) in parts.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    polygon_rings(out, p);
                }
                out.extend_from_slice(b"],\"type\":\"MultiPolygon\"}");
            }
        }
    }
}

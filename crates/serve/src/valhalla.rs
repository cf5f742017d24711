//! Valhalla's `/isochrone`: the request as Valhalla's loki reads it, the
//! response as its `serializeIsochroneJson` writes it (features largest
//! contour first, the same property keys and order), plus the childcircle
//! extension properties that Valhalla clients ignore.

use serde_json::{json, Map, Value};

use super::engine::{Answer, Engine, Metric, Network, Query, QueryError};
use super::error::{valhalla_code as code, ApiError};
use super::geometry::{lonlat_json, polygon_geometry, ring_json, write};
use super::limits::Limits;
use super::reach::extension;

/// Valhalla's pedestrian walking speed range, km/h (its costing clamps to it).
const WALKING_SPEED_KMH: (f64, f64) = (0.5, 25.0);

/// A parsed Valhalla isochrone request.
#[derive(Debug, Clone)]
pub struct Request {
    pub query: Query,
    /// Colour per contour (hex without `#`), `None` to use Valhalla's ramp.
    pub colors: Vec<Option<String>>,
    pub polygons: bool,
    pub show_locations: bool,
    pub id: Option<Value>,
}

fn err(c: u32, message: impl Into<String>) -> ApiError {
    ApiError::valhalla(c, message)
}

/// Parses a request body (POST) or the `json` query parameter (GET).
pub fn parse(text: &[u8], limits: &Limits) -> Result<Request, ApiError> {
    let value: Value = serde_json::from_slice(text)
        .map_err(|_| err(code::BAD_JSON, "Failed to parse json request"))?;
    let obj = value
        .as_object()
        .ok_or_else(|| err(code::BAD_JSON, "Failed to parse json request"))?;
    let locations = parse_locations(obj, limits)?;
    let speed_mps = parse_costing(obj)?;
    let (metric, contours, colors) = parse_contours(obj, limits)?;
    let flag = |key: &str| obj.get(key).and_then(Value::as_bool).unwrap_or(false);
    let number = |key: &str| obj.get(key).and_then(Value::as_f64);
    Ok(Request {
        query: Query {
            network: Network::Base,
            locations,
            metric,
            contours,
            speed_mps,
            generalize_m: number("generalize").filter(|g| g.is_finite() && *g >= 0.0),
            denoise: number("denoise").map_or(1.0, |d| d.clamp(0.0, 1.0)),
        },
        colors,
        polygons: flag("polygons"),
        show_locations: flag("show_locations"),
        id: obj.get("id").cloned(),
    })
}

fn parse_locations(obj: &Map<String, Value>, limits: &Limits) -> Result<Vec<[f64; 2]>, ApiError> {
    let missing = || {
        err(
            code::MISSING_LOCATIONS,
            "Insufficiently specified required parameter 'locations'",
        )
    };
    let list = obj
        .get("locations")
        .and_then(Value::as_array)
        .filter(|l| !l.is_empty())
        .ok_or_else(missing)?;
    if list.len() > limits.max_locations {
        return Err(err(
            code::MAX_LOCATIONS,
            format!("Exceeded max locations: {}", limits.max_locations),
        ));
    }
    list.iter()
        .map(|l| {
            let get = |k: &str| l.get(k).and_then(Value::as_f64);
            match (get("lon"), get("lat")) {
                (Some(lon), Some(lat)) if lon.abs() <= 180.0 && lat.abs() <= 90.0 => Ok([lon, lat]),
                _ => Err(err(code::BAD_LOCATION, "Failed to parse location")),
            }
        })
        .collect()
}

/// Checks the costing and returns the walking speed asked for, m/s.
fn parse_costing(obj: &Map<String, Value>) -> Result<Option<f64>, ApiError> {
    let costing = obj
        .get("costing")
        .and_then(Value::as_str)
        .ok_or_else(|| err(code::NO_COSTING, "No edge/node costing provided"))?;
    if costing != "pedestrian" {
        return Err(err(
            code::UNKNOWN_COSTING,
            format!("No costing method found: '{costing}'"),
        ));
    }
    let kmh = obj
        .get("costing_options")
        .and_then(|o| o.get("pedestrian"))
        .and_then(|p| p.get("walking_speed"))
        .and_then(Value::as_f64)
        .filter(|v| v.is_finite());
    Ok(kmh.map(|v| v.clamp(WALKING_SPEED_KMH.0, WALKING_SPEED_KMH.1) / 3.6))
}

type Contours = (Metric, Vec<f64>, Vec<Option<String>>);

fn parse_contours(obj: &Map<String, Value>, limits: &Limits) -> Result<Contours, ApiError> {
    let missing = || {
        err(
            code::MISSING_CONTOURS,
            "Insufficiently specified required parameter 'contours'",
        )
    };
    let list = obj
        .get("contours")
        .and_then(Value::as_array)
        .filter(|l| !l.is_empty())
        .ok_or_else(missing)?;
    if list.len() > limits.max_contours {
        return Err(err(
            code::MAX_CONTOURS,
            format!("Exceeded max contours: {}", limits.max_contours),
        ));
    }
    let (mut metric, mut values, mut colors) = (None, Vec::new(), Vec::new());
    for c in list {
        let (m, v) = match (
            c.get("time").and_then(Value::as_f64),
            c.get("distance").and_then(Value::as_f64),
        ) {
            (Some(t), _) => (Metric::Time, t),
            (None, Some(d)) => (Metric::Distance, d),
            _ => return Err(missing()),
        };
        if *metric.get_or_insert(m) != m {
            return Err(err(
                code::UNKNOWN,
                "contours must be all time or all distance",
            ));
        }
        check_value(m, v, limits)?;
        values.push(v);
        colors.push(c.get("color").and_then(Value::as_str).map(color));
    }
    Ok((metric.unwrap_or(Metric::Time), values, colors))
}

fn check_value(metric: Metric, v: f64, limits: &Limits) -> Result<(), ApiError> {
    let (max, c, what) = match metric {
        Metric::Time => (limits.max_time_min, code::MAX_TIME, "time"),
        Metric::Distance => (limits.max_distance_km, code::MAX_DISTANCE, "distance"),
    };
    if !(v.is_finite() && v > 0.0) {
        return Err(err(
            code::UNKNOWN,
            format!("contour {what} must be positive"),
        ));
    }
    if v > max {
        return Err(err(c, format!("Exceeded max {what}: {max}")));
    }
    Ok(())
}

/// A colour as Valhalla writes it: hex digits, no `#`.
fn color(s: &str) -> String {
    s.trim_start_matches('#').to_string()
}

/// Valhalla's default colour ramp: hue from red (largest contour) towards
/// green, `i` counting from the largest of `n` contours.
pub fn default_color(i: usize, n: usize) -> String {
    let h = i as f64 * 150.0 / n as f64;
    let (c, m) = (0.5, 0.25);
    let x = c * (1.0 - ((h / 60.0) % 2.0 - 1.0).abs());
    let (r, g, b) = match h {
        h if h < 60.0 => (c, x, 0.0),
        h if h < 120.0 => (x, c, 0.0),
        _ => (0.0, c, x),
    };
    let byte = |v: f64| ((v + m) * 255.0).round() as u8;
    format!("{:02x}{:02x}{:02x}", byte(r), byte(g), byte(b))
}

/// Valhalla's error for a query that found no network.
pub fn query_error(e: &QueryError) -> ApiError {
    match e {
        QueryError::NoSuitableEdges { .. } => {
            err(code::NO_SUITABLE_EDGES, "No suitable edges near location")
        }
    }
}

/// The contours largest first, as Valhalla orders them.
fn largest_first(answer: &Answer) -> Vec<usize> {
    let mut order: Vec<usize> = (0..answer.contours.len()).collect();
    order.sort_by(|&a, &b| {
        answer.contours[b]
            .value
            .total_cmp(&answer.contours[a].value)
    });
    order
}

/// The properties of the contour at `rank` (0: the largest) of `n`.
fn properties(
    req: &Request,
    answer: &Answer,
    (i, rank, n): (usize, usize, usize),
    engine: &Engine,
    limits: &Limits,
) -> Value {
    let metric = match req.query.metric {
        Metric::Time => "time",
        Metric::Distance => "distance",
    };
    let contour = &answer.contours[i];
    let color = req.colors[i]
        .clone()
        .unwrap_or_else(|| default_color(rank, n));
    let color = format!("#{color}");
    let mut props = json!({
        "fill-opacity": 0.33, "fillColor": color, "opacity": 0.33, "fill": color,
        "fillOpacity": 0.33, "color": color, "contour": contour.value, "metric": metric,
    });
    extension(&mut props, &contour.reach, engine, limits);
    props
}

/// The features showing the snapped and input locations.
fn location_features(req: &Request, answer: &Answer) -> Vec<Value> {
    let mut features = Vec::new();
    for (i, (snapped, input)) in answer.snapped.iter().zip(&req.query.locations).enumerate() {
        features.push(json!({
            "geometry": {"coordinates": [lonlat_json(*snapped)], "type": "MultiPoint"},
            "properties": {"location_index": i, "type": "snapped"}, "type": "Feature"}));
        features.push(json!({
            "geometry": {"coordinates": lonlat_json(*input), "type": "Point"},
            "properties": {"location_index": i, "type": "input"}, "type": "Feature"}));
    }
    features
}

/// The response body, encoded: the bytes of [`response`], written straight
/// into one buffer (the polygons' coordinates make no value tree).
pub fn response_bytes(req: &Request, answer: &Answer, engine: &Engine, limits: &Limits) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 << 10);
    out.extend_from_slice(b"{\"features\":[");
    let order = largest_first(answer);
    let mut first = true;
    let mut comma = |out: &mut Vec<u8>| {
        if !std::mem::take(&mut first) {
            out.push(b',');
        }
    };
    for (rank, &i) in order.iter().enumerate() {
        let props = properties(req, answer, (i, rank, order.len()), engine, limits);
        let props = serde_json::to_vec(&props).expect("a JSON value encodes");
        let contour = &answer.contours[i];
        let mut feature = |out: &mut Vec<u8>, geometry: &dyn Fn(&mut Vec<u8>)| {
            comma(out);
            out.extend_from_slice(b"{\"properties\":");
            out.extend_from_slice(&props);
            out.extend_from_slice(b",\"geometry\":");
            geometry(out);
            out.extend_from_slice(b",\"type\":\"Feature\"}");
        };
        if req.polygons {
            feature(&mut out, &|out| {
                write::polygon_geometry(out, &contour.polygon)
            });
        } else {
            for p in &contour.polygon.0 {
                feature(&mut out, &|out| {
                    out.extend_from_slice(b"{\"coordinates\":");
                    write::ring(out, p.exterior());
                    out.extend_from_slice(b",\"type\":\"LineString\"}");
                });
            }
        }
    }
    if req.show_locations {
        for f in location_features(req, answer) {
            comma(&mut out);
            serde_json::to_writer(&mut out, &f).expect("a JSON value encodes");
        }
    }
    out.extend_from_slice(b"],\"type\":\"FeatureCollection\"");
    if let Some(id) = &req.id {
        out.extend_from_slice(b",\"id\":");
        serde_json::to_writer(&mut out, id).expect("a JSON value encodes");
    }
    out.push(b'}');
    out
}

/// The response body as a JSON value (the reference [`response_bytes`] is
/// tested against).
pub fn response(req: &Request, answer: &Answer, engine: &Engine, limits: &Limits) -> Value {
    let order = largest_first(answer);
    let mut features = Vec::new();
    for (rank, &i) in order.iter().enumerate() {
        let contour = &answer.contours[i];
        let props = properties(req, answer, (i, rank, order.len()), engine, limits);
        let geometries = if req.polygons {
            vec![polygon_geometry(&contour.polygon)]
        } else {
            contour
                .polygon
                .0
                .iter()
                .map(|p| json!({"coordinates": ring_json(p.exterior()), "type": "LineString"}))
                .collect()
        };
        for geometry in geometries {
            features.push(json!({"properties": props, "geometry": geometry, "type": "Feature"}));
        }
    }
    if req.show_locations {
        features.extend(location_features(req, answer));
    }
    let mut body = json!({"features": features, "type": "FeatureCollection"});
    if let Some(id) = &req.id {
        body["id"] = id.clone();
    }
    body
}

#[cfg(test)]
mod tests {
    use super::default_color;

    /// The response written straight to bytes is the bytes of the response
    /// value, for seeded random points of Monaco and every shape of request
    /// (polygons or lines, locations shown, ids, colours, several contours).
    #[test]
    fn response_bytes_match_the_value() {
        use super::*;
        const SEED: u64 = 0x17;
        let extract =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/osm/monaco.osm.pbf");
        let engine = Engine::load(&extract, &childcircle::profile::Profile::default()).unwrap();
        let limits = Limits::default();
        let mut rng = childcircle::rng::SplitMix64::new(SEED);
        let mut answered = 0;
        for case in 0..120 {
            let g = engine.graph();
            let [lon, lat] = g.lonlat(rng.below_u64(g.node_count() as u64) as u32);
            let id = match case % 3 {
                0 => String::new(),
                1 => format!(r#","id":"q{case}""#),
                _ => format!(r#","id":{case}"#),
            };
            let contours = match case % 4 {
                0 => r#"[{"time":5},{"time":10},{"time":15}]"#,
                1 => r#"[{"time":12,"color":"ff0000"},{"time":3}]"#,
                2 => r#"[{"distance":0.8}]"#,
                _ => r#"[{"time":2},{"time":20}]"#,
            };
            let body = format!(
                r#"{{"locations":[{{"lat":{},"lon":{}}}],"costing":"pedestrian","contours":{contours},"polygons":{},"show_locations":{},"denoise":{}{id}}}"#,
                lat + 1e-4,
                lon - 2e-4,
                case % 2 == 0,
                case % 5 == 0,
                [1.0, 0.0, 0.3][case % 3]
            );
            let req = parse(body.as_bytes(), &limits).unwrap();
            let Ok(answer) = engine.answer(&req.query) else {
                continue;
            };
            let value = serde_json::to_vec(&response(&req, &answer, &engine, &limits)).unwrap();
            let bytes = response_bytes(&req, &answer, &engine, &limits);
            assert!(
                value == bytes,
                "seed {SEED} case {case}:\n{}\n{}",
                String::from_utf8_lossy(&value),
                String::from_utf8_lossy(&bytes)
            );
            answered += 1;
        }
        assert!(answered > 100, "{answered} answered");
    }

    /// The ramp real Valhalla 3.9 writes for 2, 3 and 4 contours.
    #[test]
    fn default_colors_match_valhalla() {
        assert_eq!(default_color(0, 1), "bf4040");
        assert_eq!(
            [default_color(0, 2), default_color(1, 2)],
            ["bf4040", "9fbf40"]
        );
        let three: Vec<String> = (0..3).map(|i| default_color(i, 3)).collect();
        assert_eq!(three, ["bf4040", "bfaa40", "6abf40"]);
        let four: Vec<String> = (0..4).map(|i| default_color(i, 4)).collect();
        assert_eq!(four, ["bf4040", "bf8f40", "9fbf40", "50bf40"]);
    }
}

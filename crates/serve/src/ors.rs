//! openrouteservice's `/v2/isochrones/{profile}`: the request as ORS v2 reads
//! it, the response as it writes it (one Polygon per location and range,
//! ranges ascending within each location's `group_index`), plus the
//! childcircle extension properties.

use std::f64::consts::PI;

use serde_json::{json, Map, Value};

use super::clock::now_ms;
use super::engine::{Answer, Engine, Metric, Network, Query, QueryError, CELL_M};
use super::error::{ors_code as code, ApiError};
use super::geometry::{bbox, lonlat_json, polygon_geometry};
use super::limits::Limits;
use super::reach::extension;

/// Parameters ORS v2 knows for isochrones; anything else is 3011.
/// (`profile` in the body is what openrouteservice-py sends; the path wins.)
const KNOWN: [&str; 13] = [
    "profile",
    "locations",
    "range",
    "range_type",
    "interval",
    "location_type",
    "attributes",
    "smoothing",
    "id",
    "units",
    "area_units",
    "intersections",
    "options",
];

/// A parsed ORS isochrone request.
#[derive(Debug, Clone)]
pub struct Request {
    /// The path's profile name, e.g. `foot-walking` or `child-6-12`.
    pub profile: String,
    pub network: Network,
    pub locations: Vec<[f64; 2]>,
    pub metric: Metric,
    /// Ranges as asked (seconds or `units`), ascending.
    pub ranges: Vec<f64>,
    /// Metres per `units` (1 for m).
    pub unit_m: f64,
    /// m² per `area_units`.
    pub area_unit_m2: f64,
    pub attributes: Vec<String>,
    pub generalize_m: Option<f64>,
    /// The request body, echoed in `metadata.query`.
    pub echo: Map<String, Value>,
}

fn err(c: u32, message: impl Into<String>) -> ApiError {
    ApiError::ors(c, message)
}

fn format_err(key: &str) -> ApiError {
    err(
        code::INVALID_FORMAT,
        format!("Parameter '{key}' has incorrect format."),
    )
}

fn value_err(key: &str) -> ApiError {
    err(
        code::INVALID_VALUE,
        format!("Parameter '{key}' has incorrect value or format."),
    )
}

fn max_err(key: &str, max: impl std::fmt::Display) -> ApiError {
    err(
        code::ABOVE_MAXIMUM,
        format!("Parameter '{key}' has a value which exceeds the maximum of {max}."),
    )
}

/// Parses a request body for the profile named in the path.
pub fn parse(
    profile: &str,
    text: &[u8],
    engine: &Engine,
    limits: &Limits,
) -> Result<Request, ApiError> {
    let value: Value = serde_json::from_slice(text)
        .map_err(|_| err(code::INVALID_JSON, "Unable to parse JSON request."))?;
    let obj = value
        .as_object()
        .ok_or_else(|| err(code::INVALID_JSON, "Unable to parse JSON request."))?;
    if let Some(unknown) = obj.keys().find(|k| !KNOWN.contains(&k.as_str())) {
        return Err(err(
            code::UNKNOWN_PARAMETER,
            format!("Unknown parameter '{unknown}'."),
        ));
    }
    let network = engine.network(profile).ok_or_else(|| {
        let known: Vec<&str> = ["foot-walking"]
            .into_iter()
            .chain(engine.age_names())
            .collect();
        err(
            code::INVALID_VALUE,
            format!(
                "Parameter 'profile' has incorrect value '{profile}' (this server walks: {}).",
                known.join(", ")
            ),
        )
    })?;
    let locations = parse_locations(obj, limits)?;
    let metric = match obj.get("range_type").map(Value::as_str) {
        None | Some(Some("time")) => Metric::Time,
        Some(Some("distance")) => Metric::Distance,
        _ => return Err(value_err("range_type")),
    };
    let unit_m = unit(obj, "units")?;
    let area_unit_m2 = unit(obj, "area_units")?.powi(2);
    let ranges = parse_ranges(obj, metric, unit_m, limits)?;
    check_choice(obj, "location_type", &["start", "destination"])?;
    let attributes = parse_attributes(obj)?;
    let generalize_m = match obj.get("smoothing") {
        None => None,
        Some(s) => match s.as_f64() {
            Some(s) if (0.0..=100.0).contains(&s) => Some(CELL_M * (1.0 + s / 25.0)),
            _ => return Err(value_err("smoothing")),
        },
    };
    Ok(Request {
        profile: profile.to_string(),
        network,
        locations,
        metric,
        ranges,
        unit_m,
        area_unit_m2,
        attributes,
        generalize_m,
        echo: obj.clone(),
    })
}

fn parse_locations(obj: &Map<String, Value>, limits: &Limits) -> Result<Vec<[f64; 2]>, ApiError> {
    let list = obj
        .get("locations")
        .ok_or_else(|| err(code::MISSING_PARAMETER, "Parameter 'locations' is missing."))?;
    let list = list
        .as_array()
        .filter(|l| !l.is_empty())
        .ok_or_else(|| format_err("locations"))?;
    if list.len() > limits.max_locations {
        return Err(max_err("locations", limits.max_locations));
    }
    list.iter()
        .map(|p| match p.as_array().map(|a| a.as_slice()) {
            Some([lon, lat]) => match (lon.as_f64(), lat.as_f64()) {
                (Some(lon), Some(lat)) if lon.abs() <= 180.0 && lat.abs() <= 90.0 => Ok([lon, lat]),
                _ => Err(value_err("locations")),
            },
            _ => Err(format_err("locations")),
        })
        .collect()
}

fn parse_ranges(
    obj: &Map<String, Value>,
    metric: Metric,
    unit_m: f64,
    limits: &Limits,
) -> Result<Vec<f64>, ApiError> {
    let list = obj
        .get("range")
        .ok_or_else(|| err(code::MISSING_PARAMETER, "Parameter 'range' is missing."))?
        .as_array()
        .filter(|l| !l.is_empty())
        .ok_or_else(|| format_err("range"))?;
    if list.len() > limits.max_contours {
        return Err(max_err("range", limits.max_contours));
    }
    let mut ranges = list
        .iter()
        .map(|v| v.as_f64().ok_or_else(|| format_err("range")))
        .collect::<Result<Vec<f64>, _>>()?;
    if let Some(interval) = obj.get("interval") {
        let interval = interval
            .as_f64()
            .filter(|i| i.is_finite() && *i > 0.0)
            .ok_or_else(|| value_err("interval"))?;
        if ranges.len() == 1 {
            let top = ranges[0];
            if top / interval > limits.max_contours as f64 {
                return Err(max_err("interval", limits.max_contours));
            }
            ranges = (1..)
                .map(|k| k as f64 * interval)
                .take_while(|&r| r < top)
                .chain([top])
                .collect();
        }
    }
    let max = match metric {
        Metric::Time => limits.max_time_min * 60.0,
        Metric::Distance => limits.max_distance_km * 1000.0 / unit_m,
    };
    for &r in &ranges {
        if !(r.is_finite() && r > 0.0) {
            return Err(value_err("range"));
        }
        if r > max {
            return Err(max_err("range", max));
        }
    }
    ranges.sort_by(f64::total_cmp);
    ranges.dedup();
    Ok(ranges)
}

/// Metres per unit of a `units`-like parameter.
fn unit(obj: &Map<String, Value>, key: &str) -> Result<f64, ApiError> {
    match obj.get(key).map(Value::as_str) {
        None | Some(Some("m")) => Ok(1.0),
        Some(Some("km")) => Ok(1000.0),
        Some(Some("mi")) => Ok(1609.344),
        _ => Err(value_err(key)),
    }
}

fn check_choice(obj: &Map<String, Value>, key: &str, allowed: &[&str]) -> Result<(), ApiError> {
    match obj.get(key) {
        None => Ok(()),
        Some(v) if v.as_str().is_some_and(|s| allowed.contains(&s)) => Ok(()),
        Some(_) => Err(value_err(key)),
    }
}

fn parse_attributes(obj: &Map<String, Value>) -> Result<Vec<String>, ApiError> {
    let Some(list) = obj.get("attributes") else {
        return Ok(vec![]);
    };
    let list = list.as_array().ok_or_else(|| format_err("attributes"))?;
    list.iter()
        .map(|a| match a.as_str() {
            Some(s @ ("area" | "reachfactor" | "total_pop")) => Ok(s.to_string()),
            _ => Err(value_err("attributes")),
        })
        .collect()
}

impl Request {
    /// The engine query for location `i` (ORS answers each location alone).
    pub fn query(&self, i: usize) -> Query {
        let contours = self
            .ranges
            .iter()
            .map(|&r| match self.metric {
                Metric::Time => r / 60.0,
                Metric::Distance => r * self.unit_m / 1000.0,
            })
            .collect();
        Query {
            network: self.network,
            locations: vec![self.locations[i]],
            metric: self.metric,
            contours,
            speed_mps: None,
            generalize_m: self.generalize_m,
            denoise: 1.0,
        }
    }
}

/// ORS's error for a location without network.
pub fn query_error(e: &QueryError) -> ApiError {
    match e {
        QueryError::NoSuitableEdges {
            index,
            lonlat,
            radius_m,
        } => err(
            code::UNKNOWN,
            format!(
                "Could not find routable point within a radius of {radius_m:.1} meters of specified coordinate {index}: {:.7} {:.7}.",
                lonlat[0], lonlat[1]
            ),
        ),
    }
}

/// The response body: `answers[i]` answers location `i`.
pub fn response(req: &Request, answers: &[Answer], engine: &Engine, limits: &Limits) -> Value {
    let speed = engine.speed_mps(req.network);
    let mut features = Vec::new();
    for (group, answer) in answers.iter().enumerate() {
        for (contour, &value) in answer.contours.iter().zip(&req.ranges) {
            let mut props = json!({
                "group_index": group,
                "value": value,
                "center": lonlat_json(answer.snapped[0]),
            });
            let radius_m = match req.metric {
                Metric::Time => value * speed,
                Metric::Distance => value * req.unit_m,
            };
            for a in &req.attributes {
                let v = match a.as_str() {
                    "area" => json!(round(contour.area_m2 / req.area_unit_m2, 4)),
                    "reachfactor" => json!(round(contour.area_m2 / (PI * radius_m * radius_m), 4)),
                    _ => json!(contour.reach.population.round()),
                };
                props[a.as_str()] = v;
            }
            extension(&mut props, &contour.reach, engine, limits);
            features.push(json!({
                "type": "Feature",
                "properties": props,
                "geometry": polygon_geometry(&contour.polygon),
            }));
        }
    }
    let all = answers
        .iter()
        .flat_map(|a| a.contours.iter().map(|c| &c.polygon));
    let mut query = req.echo.clone();
    query.insert("profile".into(), json!(req.profile));
    json!({
        "type": "FeatureCollection",
        "bbox": bbox(all),
        "features": features,
        "metadata": {
            "attribution": "© OpenStreetMap contributors",
            "service": "isochrones",
            "timestamp": now_ms(),
            "query": query,
            "engine": engine_info(engine),
        },
    })
}

fn round(v: f64, decimals: i32) -> f64 {
    let f = 10f64.powi(decimals);
    (v * f).round() / f
}

fn engine_info(engine: &Engine) -> Value {
    json!({
        "version": concat!("childcircle ", env!("CARGO_PKG_VERSION")),
        "graph": engine.extract.file_name().map(|n| n.to_string_lossy().into_owned()),
        "profile": engine.profile.label(),
    })
}

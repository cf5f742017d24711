//! The loaded data as the what-if page draws it (`GET /api/base`): streets,
//! community outlines with their base coverage, facilities by category, the
//! categories with their colours, and the base figures. Coordinates are
//! rounded to 5 decimals (about 1 m): this is for drawing, not analysis.

use geo::Simplify;
use serde_json::{json, Value};

use super::limits::ScenarioLimits;
use childcircle::scenario::Base;
use childcircle_report::style::{category_colour, met_colour, CIRCLE_OUTLINE};

fn r5(v: f64) -> f64 {
    (v * 1e5).round() / 1e5
}

fn ring(ring: &geo::LineString<f64>) -> Value {
    Value::Array(ring.0.iter().map(|c| json!([r5(c.x), r5(c.y)])).collect())
}

/// Every walking edge as a line of `[lon, lat]`.
fn streets(base: &Base) -> Vec<Value> {
    let g = &base.graph;
    (0..g.edges().len() as u32)
        .map(|e| {
            let line: Vec<Value> = g
                .shape(e)
                .iter()
                .map(|p| {
                    let ll = g.projection().unproject([f64::from(p[0]), f64::from(p[1])]);
                    json!([r5(ll[0]), r5(ll[1])])
                })
                .collect();
            Value::Array(line)
        })
        .collect()
}

/// Outer rings of each community (simplified to about a metre).
fn outlines(mp: &geo::MultiPolygon<f64>) -> Value {
    let simple = mp.simplify(1e-5);
    Value::Array(simple.0.iter().map(|p| ring(p.exterior())).collect())
}

/// The JSON of `GET /api/base`.
pub fn base_json(base: &Base, limits: &ScenarioLimits) -> Vec<u8> {
    let cats = &base.profile.categories;
    let categories: Vec<Value> = cats
        .iter()
        .enumerate()
        .map(|(k, c)| {
            json!({"id": c.id, "label_zh": c.label_zh, "label_en": c.label_en,
                   "minutes": c.minutes, "required": c.required,
                   "colour": category_colour(k, c).hex()})
        })
        .collect();
    let communities: Vec<Value> = base
        .communities
        .iter()
        .zip(&base.state.coverage)
        .map(|(c, cov)| {
            json!({"id": c.id, "name": c.name, "subdistrict": c.subdistrict,
                   "population": c.population, "children": c.children, "outline": outlines(&c.polygon),
                   "met": cov.met, "life_circle": cov.life_circle})
        })
        .collect();
    let facilities: Vec<Value> = base
        .facilities
        .iter()
        .enumerate()
        .map(|(i, f)| {
            json!({"facility": i, "category": cats[f.category].id, "name": f.name,
                   "lonlat": [r5(f.lonlat[0]), r5(f.lonlat[1])], "snapped": !f.access.is_empty()})
        })
        .collect();
    let required = cats.iter().filter(|c| c.required).count().max(1);
    let met_colours: Vec<String> = (0..=cats.len())
        .map(|m| met_colour(m.min(required), required).hex())
        .collect();
    let doc = json!({
        "extract": base.extract.file_name().map(|n| n.to_string_lossy().into_owned()),
        "synthetic": childcircle::defaults::is_dezhou_model(&base.extract),
        "attribution": childcircle::findings::summary::ATTRIBUTION,
        "bounds": base.bounds,
        "max_snap_m": base.profile.max_snap_m,
        "categories": categories,
        "met_colours": met_colours,
        "life_circle_colour": CIRCLE_OUTLINE.hex(),
        "streets": streets(base),
        "communities": communities,
        "facilities": facilities,
        "districts": base.districts().iter()
            .map(|d| json!({"name": d.name, "outline": outlines(&d.polygon)}))
            .collect::<Vec<Value>>(),
        "figures": &base.figures,
        "limits": {
            "max_scenarios": limits.max_scenarios,
            "idle_minutes": limits.idle.as_secs() / 60,
            "max_edits": childcircle::scenario::MAX_EDITS,
            "scenario_bytes": base.scenario_bytes(),
            "scenario_max_bytes": base.scenario_max_bytes(),
        },
    });
    serde_json::to_vec(&doc).expect("JSON encodes")
}

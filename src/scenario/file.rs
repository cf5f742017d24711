//! A scenario on disk: the edited facilities as GeoJSON points, each with a
//! `scenario` field (`added`, `moved`, `removed`), which is also the file an
//! import reads to continue a scenario; and the changed communities as CSV
//! (UTF-8 with a BOM, as the bureau opens it).
//!
//! The `added` and `moved` features carry `category` (the profile's id) and
//! `name`, the columns `analyze --facilities FILE` reads, so exporting with
//! `only=new` gives a facility file whose sites a batch run adds to the
//! extract's (removals are not expressed by `--facilities`).

use serde_json::{json, Value};

use super::figures::diff;
use super::{Edit, Scenario};
use crate::places::Facility;
use crate::write::csv::{num, Csv};

/// The `scenario` value of a feature.
fn feature(f: &Facility, scenario: &str, slot: usize, category_id: &str) -> Value {
    json!({
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [f.lonlat[0], f.lonlat[1]]},
        "properties": {
            "scenario": scenario,
            "facility": slot,
            "category": category_id,
            "name": f.name,
            "snap_m": f.snap_m(),
        },
    })
}

/// The edited facilities as a GeoJSON FeatureCollection: every base
/// facility removed or moved (with `fid` and, for moves, `from`), every added
/// one. `only_new` keeps only the facilities at new places (added, moved).
pub fn facilities_geojson(scenario: &Scenario, only_new: bool) -> Vec<u8> {
    let base = scenario.base();
    let cats = &base.profile.categories;
    let mut features = Vec::new();
    for (slot, now) in scenario.slots().iter().enumerate() {
        let was = base.facilities.get(slot);
        let (f, kind) = match (was, now) {
            (Some(w), None) if !only_new => (w, "removed"),
            (Some(w), Some(n)) if w.lonlat != n.lonlat => (n, "moved"),
            (None, Some(n)) => (n, "added"),
            _ => continue,
        };
        let id = &cats[f.category].id;
        let mut v = feature(f, kind, slot, id);
        if let Some(w) = was {
            v["properties"]["fid"] = json!(w.fid(id));
            if kind == "moved" {
                v["properties"]["from"] = json!([w.lonlat[0], w.lonlat[1]]);
            }
        }
        features.push(v);
    }
    let extract = base
        .extract
        .file_name()
        .map(|n| n.to_string_lossy().into_owned());
    let doc = json!({
        "type": "FeatureCollection",
        "childcircle_scenario": {"version": 1, "extract": extract, "edits": scenario.edits().len()},
        "attribution": crate::findings::summary::ATTRIBUTION,
        "features": features,
    });
    serde_json::to_vec_pretty(&doc).expect("JSON encodes")
}

/// The communities whose times or flags the scenario changed, before and
/// after, as CSV with a BOM.
pub fn changed_csv(scenario: &Scenario) -> Vec<u8> {
    let base = scenario.base();
    let cats = &base.profile.categories;
    let mut header: Vec<String> = [
        "id",
        "name",
        "subdistrict",
        "population",
        "life_circle_before",
        "life_circle_after",
    ]
    .map(String::from)
    .to_vec();
    for c in cats {
        for h in ["min_before", "min_after", "covered_before", "covered_after"] {
            header.push(format!("{}_{h}", c.id));
        }
    }
    let mut csv = Csv::new(&header[..]);
    let (before, after) = (&base.state.coverage, &scenario.state().coverage);
    let flag = |b: bool| if b { "1" } else { "0" }.to_string();
    for i in diff(scenario).changed {
        let c = &base.communities[i];
        let mut row = vec![
            c.id.clone(),
            c.name.clone(),
            c.subdistrict.clone().unwrap_or_default(),
            num(c.population, 0),
            flag(before[i].life_circle),
            flag(after[i].life_circle),
        ];
        for k in 0..cats.len() {
            row.push(num(before[i].minutes[k], 1));
            row.push(num(after[i].minutes[k], 1));
            row.push(flag(before[i].covered[k]));
            row.push(flag(after[i].covered[k]));
        }
        csv.row(&row[..]);
    }
    csv.into_bytes()
}

/// Reads a scenario file (as [`facilities_geojson`] writes it) into the edits
/// that rebuild it on `scenario`'s base: removals and moves of base
/// facilities (found by `fid`), then additions. Errors name the feature.
pub fn read_scenario(scenario: &Scenario, bytes: &[u8]) -> Result<Vec<Edit>, String> {
    let doc: Value = serde_json::from_slice(bytes).map_err(|e| format!("not valid JSON: {e}"))?;
    let features = doc
        .get("features")
        .and_then(Value::as_array)
        .ok_or("not a GeoJSON FeatureCollection (no \"features\" list)")?;
    let base = scenario.base();
    let mut edits = Vec::new();
    let mut added = Vec::new();
    for (i, f) in features.iter().enumerate() {
        let fail = |why: String| format!("feature {i}: {why}");
        let p = f
            .get("properties")
            .ok_or_else(|| fail("no properties".into()))?;
        let text = |key: &str| p.get(key).and_then(Value::as_str);
        let kind = text("scenario")
            .ok_or_else(|| fail("no \"scenario\" field (added, moved or removed)".into()))?;
        let category_id = text("category").ok_or_else(|| fail("no \"category\" field".into()))?;
        let category = base.profile.category_index(category_id).ok_or_else(|| {
            fail(format!(
                "category {category_id:?} is not one of the profile's ({})",
                base.profile.category_ids()
            ))
        })?;
        let lonlat = point(f).ok_or_else(|| fail("geometry is not a Point [lon, lat]".into()))?;
        let slot = || -> Result<usize, String> {
            let fid =
                text("fid").ok_or_else(|| fail(format!("a {kind} facility needs its \"fid\"")))?;
            base.facilities
                .iter()
                .position(|b| b.category == category && b.fid(category_id) == fid)
                .ok_or_else(|| fail(format!("no facility {fid:?} in the loaded extract")))
        };
        match kind {
            "removed" => edits.push(Edit::Remove { facility: slot()? }),
            "moved" => edits.push(Edit::Move {
                facility: slot()?,
                lonlat,
            }),
            "added" => added.push(Edit::Add {
                category,
                lonlat,
                name: text("name").map(str::to_string),
            }),
            other => {
                return Err(fail(format!(
                    "scenario {other:?} is not added, moved or removed"
                )))
            }
        }
    }
    edits.extend(added);
    Ok(edits)
}

fn point(f: &Value) -> Option<[f64; 2]> {
    let g = f.get("geometry")?;
    if g.get("type")?.as_str()? != "Point" {
        return None;
    }
    let c = g.get("coordinates")?.as_array()?;
    let (x, y) = (c.first()?.as_f64()?, c.get(1)?.as_f64()?);
    (x.is_finite() && y.is_finite()).then_some([x, y])
}

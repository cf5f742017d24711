//! The what-if planning API and page under `childcircle serve`.
//!
//! | endpoint | what |
//! |---|---|
//! | `GET /` and `/assets/*` | the planning page (HTML, JS, vendored Leaflet), embedded in the binary |
//! | `GET /api/base` | the loaded data for the map: streets, communities, facilities, base figures |
//! | `POST /api/scenarios` | a new scenario over the loaded data: `201 {"id": …}` |
//! | `GET /api/scenarios/{id}` | its edits, before/after figures, diff, per-community colours (`communities`: one character per community, `'0'` + 2 × categories met + life circle) |
//! | `POST /api/scenarios/{id}/edits` | `{"op":"add","category":"kinder","lon":…,"lat":…}`, `{"op":"move","facility":N,"lon":…,"lat":…}`, `{"op":"remove","facility":N}`, `{"op":"undo"}`, `{"op":"redo"}` |
//! | `GET /api/scenarios/{id}/facilities.geojson` | the edited facilities (`?only=new`: added and moved only, for `analyze --facilities`) |
//! | `GET /api/scenarios/{id}/changed.csv` | the changed communities, CSV with BOM |
//! | `GET /api/scenarios/{id}/map.png` | the scenario's coverage map, drawn by the report's map writer |
//! | `GET /api/scenarios/{id}/report.html` | the scenario's HTML report (`?target=0.8`: districts against that share) |
//! | `GET /api/scenarios/{id}/suggestions?category=kinder&k=5` | greedy new sites for one category over the scenario's coverage |
//! | `POST /api/scenarios/{id}/import` | replaces the scenario's edits by a scenario file's |
//! | `GET /api/isochrone?lon=…&lat=…` | 5/10/15-minute walking polygons from one point |
//!
//! Errors are `{"error": "…"}`: 400 for a malformed request, 404 for an
//! unknown scenario id, 422 for a well-formed edit that cannot be made (off
//! the extract, beyond the snap limit, an unknown facility), 503 when the
//! scenario limit is reached. Scenario ids are 128 random bits: one scenario
//! cannot name another's. Scenarios idle for [`ScenarioLimits::idle`] expire.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Value};

use super::app::{read_body, App};
use super::engine::{Engine, Metric, Network, Query as IsoQuery};
use super::error::Dialect;
pub use super::error::WhatIfError;
use super::geometry::polygon_geometry;
pub use super::limits::ScenarioLimits;
use super::pool::PoolError;
use super::whatif_answer::round6;
pub use super::whatif_answer::{state_json, StateAnswer};
use super::whatif_map::base_json;
pub use super::whatif_store::Store;
use childcircle::scenario::{file, Base, Edit, EditError, Scenario};

type Reply = Result<Response, WhatIfError>;

fn bad(message: impl Into<String>) -> WhatIfError {
    WhatIfError(StatusCode::BAD_REQUEST, message.into())
}

/// The what-if routes, added to the service's router.
pub fn routes(router: Router<Arc<App>>) -> Router<Arc<App>> {
    router
        .route("/", get(page))
        .route("/assets/{name}", get(asset))
        .route("/api/base", get(base_map))
        .route("/api/scenarios", post(create))
        .route("/api/scenarios/{id}", get(state))
        .route("/api/scenarios/{id}/edits", post(edit))
        .route("/api/scenarios/{id}/import", post(import))
        .route(
            "/api/scenarios/{id}/facilities.geojson",
            get(export_geojson),
        )
        .route("/api/scenarios/{id}/changed.csv", get(export_csv))
        .route("/api/scenarios/{id}/map.png", get(export_png))
        .route("/api/scenarios/{id}/report.html", get(export_html))
        .route("/api/scenarios/{id}/suggestions", get(suggestions))
        .route("/api/isochrone", get(isochrone))
}

const INDEX_HTML: &str = include_str!("page/index.html");
const APP_JS: &str = include_str!("page/app.js");
const APP_CSS: &str = include_str!("page/app.css");
const LEAFLET_JS: &str = include_str!("page/vendor/leaflet/leaflet.js");
const LEAFLET_CSS: &str = include_str!("page/vendor/leaflet/leaflet.css");
const LEAFLET_LICENSE: &str = include_str!("page/vendor/leaflet/LICENSE");

fn typed(content_type: &'static str, body: impl Into<Body>) -> Response {
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
        body.into(),
    )
        .into_response()
}

async fn page() -> Response {
    typed("text/html;charset=utf-8", INDEX_HTML)
}

async fn asset(Path(name): Path<String>) -> Reply {
    let (kind, text) = match name.as_str() {
        "app.js" => ("text/javascript;charset=utf-8", APP_JS),
        "app.css" => ("text/css;charset=utf-8", APP_CSS),
        "leaflet.js" => ("text/javascript;charset=utf-8", LEAFLET_JS),
        "leaflet.css" => ("text/css;charset=utf-8", LEAFLET_CSS),
        "leaflet-LICENSE.txt" => ("text/plain;charset=utf-8", LEAFLET_LICENSE),
        _ => {
            return Err(WhatIfError(
                StatusCode::NOT_FOUND,
                format!("no asset {name:?}"),
            ))
        }
    };
    Ok(typed(kind, text))
}

fn loaded(app: &App) -> Result<&Engine, WhatIfError> {
    app.engine.get().ok_or_else(|| {
        WhatIfError(
            StatusCode::SERVICE_UNAVAILABLE,
            "the extract is still loading".into(),
        )
    })
}

/// Runs a job on the search pool.
async fn on_pool<R: Send + 'static>(
    app: &Arc<App>,
    job: impl FnOnce(&App) -> Result<R, WhatIfError> + Send + 'static,
) -> Result<R, WhatIfError> {
    let shared = app.clone();
    match app.pool.run(move || job(&shared)).await {
        Ok(r) => r,
        Err(PoolError::Busy) => Err(WhatIfError(
            StatusCode::SERVICE_UNAVAILABLE,
            "all workers are busy; try again".into(),
        )),
        Err(PoolError::Panicked) => Err(WhatIfError(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the edit failed (a bug: please report the request)".into(),
        )),
    }
}

fn json_bytes(bytes: Vec<u8>) -> Response {
    typed("application/json;charset=utf-8", bytes)
}

async fn base_map(State(app): State<Arc<App>>) -> Reply {
    let engine = loaded(&app)?;
    if let Some(b) = app.whatif.base_json.get() {
        return Ok(json_bytes(b.clone()));
    }
    let base = engine.base.clone();
    let limits = app.whatif.limits.clone();
    let bytes = on_pool(&app, move |_| Ok(base_json(&base, &limits))).await?;
    let _ = app.whatif.base_json.set(bytes.clone());
    Ok(json_bytes(bytes))
}

async fn create(State(app): State<Arc<App>>) -> Reply {
    let engine = loaded(&app)?;
    let id = app.whatif.create(&engine.base)?;
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({"id": id, "page": format!("/?s={id}")})),
    )
        .into_response())
}

async fn state(State(app): State<Arc<App>>, Path(id): Path<String>) -> Reply {
    loaded(&app)?;
    let scenario = app.whatif.get(&id)?;
    let limits = app.whatif.limits.clone();
    let body = on_pool(&app, move |_| {
        let s = scenario.lock().expect("not poisoned");
        Ok(state_json(&id, &s, &limits, None, 0.0).to_bytes())
    })
    .await?;
    Ok(json_bytes(body))
}

/// An edit request.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EditBody {
    op: String,
    category: Option<String>,
    facility: Option<usize>,
    lon: Option<f64>,
    lat: Option<f64>,
    name: Option<String>,
}

enum Op {
    Edit(Edit),
    Undo,
    Redo,
}

fn parse_edit(bytes: &[u8], base: &Base) -> Result<Op, WhatIfError> {
    let b: EditBody =
        serde_json::from_slice(bytes).map_err(|e| bad(format!("the edit is not valid: {e}")))?;
    let lonlat = || -> Result<[f64; 2], WhatIfError> {
        match (b.lon, b.lat) {
            (Some(lon), Some(lat)) if lon.abs() <= 180.0 && lat.abs() <= 90.0 => Ok([lon, lat]),
            (Some(lon), Some(lat)) => Err(bad(format!(
                "({lon}, {lat}) is not a longitude/latitude pair"
            ))),
            _ => Err(bad(format!("a {} edit needs \"lon\" and \"lat\"", b.op))),
        }
    };
    let facility = || {
        b.facility
            .ok_or_else(|| bad(format!("a {} edit needs \"facility\" (its number)", b.op)))
    };
    Ok(Op::Edit(match b.op.as_str() {
        "add" => {
            let id = b
                .category
                .as_deref()
                .ok_or_else(|| bad("an add edit needs \"category\""))?;
            let category = base.profile.category_index(id).ok_or_else(|| {
                bad(format!(
                    "category {id:?} is not one of the profile's ({})",
                    base.profile.category_ids()
                ))
            })?;
            Edit::Add {
                category,
                lonlat: lonlat()?,
                name: b.name.clone(),
            }
        }
        "move" => Edit::Move {
            facility: facility()?,
            lonlat: lonlat()?,
        },
        "remove" => Edit::Remove {
            facility: facility()?,
        },
        "undo" => return Ok(Op::Undo),
        "redo" => return Ok(Op::Redo),
        other => {
            return Err(bad(format!(
                "op {other:?} is not add, move, remove, undo or redo"
            )))
        }
    }))
}

fn refused(e: EditError) -> WhatIfError {
    WhatIfError(StatusCode::UNPROCESSABLE_ENTITY, e.to_string())
}

async fn read(app: &Arc<App>, headers: &HeaderMap, body: Body) -> Result<Vec<u8>, WhatIfError> {
    read_body(app, headers, body, Dialect::Ors)
        .await
        .map(|b| b.to_vec())
        .map_err(|e| WhatIfError(e.status, e.message))
}

async fn edit(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Reply {
    let engine = loaded(&app)?;
    let scenario = app.whatif.get(&id)?;
    let bytes = read(&app, &headers, body).await?;
    let op = parse_edit(&bytes, &engine.base)?;
    let limits = app.whatif.limits.clone();
    let body = on_pool(&app, move |_| {
        let t = Instant::now();
        let mut s = scenario.lock().expect("not poisoned");
        let slot = match op {
            Op::Edit(e) => Some(s.apply(e).map_err(refused)?),
            Op::Undo => s.undo().map(|_| None).map_err(refused)?,
            Op::Redo => s.redo().map(|_| None).map_err(refused)?,
        };
        let ms = t.elapsed().as_secs_f64() * 1e3;
        Ok(state_json(&id, &s, &limits, slot, ms).to_bytes())
    })
    .await?;
    Ok(json_bytes(body))
}

async fn import(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Reply {
    loaded(&app)?;
    let scenario = app.whatif.get(&id)?;
    let bytes = read(&app, &headers, body).await?;
    let limits = app.whatif.limits.clone();
    let body = on_pool(&app, move |_| {
        let mut s = scenario.lock().expect("not poisoned");
        let mut fresh = Scenario::new(s.base().clone());
        let edits = file::read_scenario(&fresh, &bytes)
            .map_err(|e| bad(format!("the scenario file: {e}")))?;
        for (i, e) in edits.into_iter().enumerate() {
            fresh.apply(e).map_err(|e| refused_named(i, e))?;
        }
        *s = fresh;
        Ok(state_json(&id, &s, &limits, None, 0.0).to_bytes())
    })
    .await?;
    Ok(json_bytes(body))
}

fn refused_named(i: usize, e: EditError) -> WhatIfError {
    WhatIfError(
        StatusCode::UNPROCESSABLE_ENTITY,
        format!("the scenario file: edit {i}: {e}"),
    )
}

#[derive(Debug, Deserialize)]
struct ExportQuery {
    only: Option<String>,
}

async fn export_geojson(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Query(q): Query<ExportQuery>,
) -> Reply {
    loaded(&app)?;
    let scenario = app.whatif.get(&id)?;
    let only_new = match q.only.as_deref() {
        None => false,
        Some("new") => true,
        Some(other) => return Err(bad(format!("only={other:?}: the only value is new"))),
    };
    let s = scenario.lock().expect("not poisoned").clone();
    let bytes = file::facilities_geojson(&s, only_new);
    Ok(download("application/geo+json", "scenario.geojson", bytes))
}

async fn export_csv(State(app): State<Arc<App>>, Path(id): Path<String>) -> Reply {
    loaded(&app)?;
    let scenario = app.whatif.get(&id)?;
    let s = scenario.lock().expect("not poisoned").clone();
    let bytes = on_pool(&app, move |_| Ok(file::changed_csv(&s))).await?;
    Ok(download(
        "text/csv;charset=utf-8",
        "scenario-changed.csv",
        bytes,
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReportQuery {
    target: Option<f64>,
}

async fn export_png(State(app): State<Arc<App>>, Path(id): Path<String>) -> Reply {
    loaded(&app)?;
    let scenario = app.whatif.get(&id)?;
    let s = scenario.lock().expect("not poisoned").clone();
    let bytes = on_pool(&app, move |_| {
        let districts = s.base().districts();
        childcircle_report::snapshot::map_png(&s, Some(districts).filter(|d| !d.is_empty()))
            .map_err(|e| {
                WhatIfError(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("the map could not be drawn: {e}"),
                )
            })
    })
    .await?;
    Ok(download("image/png", "scenario-map.png", bytes))
}

async fn export_html(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    q: Result<Query<ReportQuery>, axum::extract::rejection::QueryRejection>,
) -> Reply {
    loaded(&app)?;
    let Query(q) = q.map_err(|e| bad(format!("target must be a share from 0 to 1: {e}")))?;
    if let Some(t) = q.target.filter(|t| !(0.0..=1.0).contains(t)) {
        return Err(bad(format!("target={t}: a share from 0 to 1 (0.8 = 80 %)")));
    }
    let scenario = app.whatif.get(&id)?;
    let s = scenario.lock().expect("not poisoned").clone();
    let html = on_pool(&app, move |_| {
        let districts = s.base().districts();
        Ok(childcircle_report::snapshot::report_html(
            &s,
            Some(districts).filter(|d| !d.is_empty()),
            q.target,
        ))
    })
    .await?;
    Ok(download(
        "text/html;charset=utf-8",
        "scenario-report.html",
        html.into_bytes(),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SuggestQuery {
    category: Option<String>,
    k: Option<usize>,
}

/// Most sites one suggestion request may ask for.
const MAX_SUGGESTED: usize = 20;

async fn suggestions(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    q: Result<Query<SuggestQuery>, axum::extract::rejection::QueryRejection>,
) -> Reply {
    let engine = loaded(&app)?;
    let Query(q) = q.map_err(|e| bad(format!("suggestions take category and k: {e}")))?;
    let profile = &engine.base.profile;
    let id_ = q
        .category
        .as_deref()
        .ok_or_else(|| bad("suggestions need a category"))?;
    let category = profile.category_index(id_).ok_or_else(|| {
        bad(format!(
            "category {id_:?} is not one of the profile's ({})",
            profile.category_ids()
        ))
    })?;
    let k = q.k.unwrap_or(5);
    if !(1..=MAX_SUGGESTED).contains(&k) {
        return Err(bad(format!("k={k}: from 1 to {MAX_SUGGESTED} sites")));
    }
    let scenario = app.whatif.get(&id)?;
    let s = scenario.lock().expect("not poisoned").clone();
    let body = on_pool(&app, move |_| {
        let base = s.base();
        let found = childcircle::findings::siting::suggest(
            &base.graph,
            &base.communities,
            &s.state().coverage,
            &base.profile,
            category,
            k,
            None,
        );
        let sites: Vec<Value> = found
            .sites
            .iter()
            .map(|site| {
                json!({"rank": site.rank, "lonlat": [round6(site.lonlat[0]), round6(site.lonlat[1])],
                       "newly_covered": site.newly_covered.len(),
                       "population": site.population,
                       "children": site.newly_covered.iter()
                           .filter_map(|&i| base.communities[i].children).sum::<f64>()})
            })
            .collect();
        Ok(json!({"category": base.profile.categories[category].id, "requested": k,
                  "candidates": found.candidates, "sites": sites}))
    })
    .await?;
    Ok(axum::Json(body).into_response())
}

fn download(kind: &'static str, name: &str, bytes: Vec<u8>) -> Response {
    let mut r = typed(kind, bytes);
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

#[derive(Debug, Deserialize)]
struct PointQuery {
    lon: Option<f64>,
    lat: Option<f64>,
}

async fn isochrone(
    State(app): State<Arc<App>>,
    q: Result<Query<PointQuery>, axum::extract::rejection::QueryRejection>,
) -> Reply {
    loaded(&app)?;
    let Query(q) = q.map_err(|e| bad(format!("lon and lat must be numbers: {e}")))?;
    let (Some(lon), Some(lat)) = (q.lon, q.lat) else {
        return Err(bad("an isochrone needs lon and lat"));
    };
    if !(lon.abs() <= 180.0 && lat.abs() <= 90.0) {
        return Err(bad(format!(
            "({lon}, {lat}) is not a longitude/latitude pair"
        )));
    }
    let body = on_pool(&app, move |app| {
        let t = Instant::now();
        let engine = app.engine.get().expect("checked above");
        let query = IsoQuery {
            network: Network::Base,
            locations: vec![[lon, lat]],
            metric: Metric::Time,
            contours: vec![5.0, 10.0, 15.0],
            speed_mps: None,
            generalize_m: None,
            denoise: 0.0,
        };
        let answer = engine.answer(&query).map_err(|_| {
            WhatIfError(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!(
                    "({lon:.6}, {lat:.6}) is farther than {} m from any walkable way",
                    engine.profile.max_snap_m
                ),
            )
        })?;
        let features: Vec<Value> = answer
            .contours
            .iter()
            .rev()
            .map(|c| {
                json!({
                    "type": "Feature",
                    "properties": {"minutes": c.value, "area_m2": c.area_m2.round(),
                        "communities": c.reach.communities.len(),
                        "population": (c.reach.with_population > 0).then_some(c.reach.population)},
                    "geometry": polygon_geometry(&c.polygon),
                })
            })
            .collect();
        Ok(json!({
            "type": "FeatureCollection",
            "snapped": answer.snapped.first(),
            "server_ms": t.elapsed().as_secs_f64() * 1e3,
            "features": features,
        }))
    })
    .await?;
    Ok(axum::Json(body).into_response())
}

//! HTTP routing: which path speaks which API, CORS, the readiness endpoints
//! and the 404 that lists the endpoints. Searches and response encoding run
//! on the worker pool ([`App::pool`]).

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::json;

use super::app::{read_body, App};
use super::error::{valhalla_code, ApiError, Dialect};
use super::pool::PoolError;
use super::{ors, valhalla, whatif};

/// The endpoints, as the 404 lists them.
pub const ENDPOINTS: [&str; 8] = [
    "/",
    "/api/scenarios",
    "/isochrone",
    "/status",
    "/v2/isochrones/{profile}",
    "/v2/isochrones/{profile}/geojson",
    "/v2/health",
    "/v2/status",
];

type Reply = Result<Response, ApiError>;

/// The router of every endpoint.
pub fn router(app: Arc<App>) -> Router {
    whatif::routes(Router::new())
        .route("/isochrone", get(valhalla_get).post(valhalla_post))
        .route("/status", get(status))
        .route("/v2/isochrones/{profile}", post(ors_post))
        .route("/v2/isochrones/{profile}/geojson", post(ors_post))
        .route("/v2/health", get(health))
        .route("/v2/status", get(ors_status))
        .fallback(not_found)
        .layer(axum::middleware::map_response(cors))
        .with_state(app)
}

/// Every response may be read by any origin (as Valhalla's).
async fn cors(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("*"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST, OPTIONS"),
    );
    response
}

/// Unknown paths: 404 with the list of endpoints, in the dialect the path
/// suggests; OPTIONS (CORS preflight) anywhere: 200.
async fn not_found(method: Method, uri: Uri) -> Response {
    if method == Method::OPTIONS {
        return StatusCode::OK.into_response();
    }
    let list: Vec<String> = ENDPOINTS.iter().map(|e| format!("'{e}'")).collect();
    let message = format!("Try any of: {}", list.join(" "));
    let known_path = uri.path() == "/isochrone" || uri.path().starts_with("/v2/isochrones/");
    let dialect = if uri.path().starts_with("/v2/") {
        Dialect::Ors
    } else {
        Dialect::Valhalla
    };
    let error = match (dialect, known_path) {
        (Dialect::Valhalla, true) => ApiError::valhalla(
            valhalla_code::TRY_POST_OR_GET,
            "Try a POST or GET request instead",
        ),
        (Dialect::Valhalla, false) => ApiError::valhalla(valhalla_code::TRY_ANY_OF, message),
        (Dialect::Ors, _) => ApiError::http(dialect, StatusCode::NOT_FOUND, message),
    };
    let status = if known_path {
        StatusCode::METHOD_NOT_ALLOWED
    } else {
        StatusCode::NOT_FOUND
    };
    error.with_status(status).into_response()
}

/// Runs a job that encodes a JSON response on the worker pool.
async fn on_pool(
    app: &Arc<App>,
    dialect: Dialect,
    job: impl FnOnce(&App) -> Result<Vec<u8>, ApiError> + Send + 'static,
) -> Reply {
    let shared = app.clone();
    let result = app.pool.run(move || job(&shared)).await;
    let bytes = match result {
        Ok(r) => r?,
        Err(PoolError::Busy) => {
            return Err(ApiError::http(
                dialect,
                StatusCode::SERVICE_UNAVAILABLE,
                "all workers are busy; try again",
            ))
        }
        Err(PoolError::Panicked) => {
            return Err(ApiError::http(
                dialect,
                StatusCode::INTERNAL_SERVER_ERROR,
                "the search failed (a bug: please report the request)",
            ))
        }
    };
    Ok(json_response(bytes))
}

fn json_response(bytes: Vec<u8>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json;charset=utf-8"),
        )],
        bytes,
    )
        .into_response()
}

fn encode(value: &serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(value).expect("a JSON value encodes")
}

async fn valhalla_post(State(app): State<Arc<App>>, headers: HeaderMap, body: Body) -> Reply {
    let body = read_body(&app, &headers, body, Dialect::Valhalla).await?;
    valhalla_answer(&app, body).await
}

async fn valhalla_get(
    State(app): State<Arc<App>>,
    query: Result<Query<HashMap<String, String>>, axum::extract::rejection::QueryRejection>,
) -> Reply {
    let bad = || ApiError::valhalla(valhalla_code::BAD_JSON, "Failed to parse json request");
    let Query(params) = query.map_err(|_| bad())?;
    let json = params.get("json").ok_or_else(bad)?;
    if json.len() > app.limits.max_body_bytes {
        return Err(ApiError::http(
            Dialect::Valhalla,
            StatusCode::PAYLOAD_TOO_LARGE,
            "json parameter is too large",
        ));
    }
    valhalla_answer(&app, Bytes::from(json.clone().into_bytes())).await
}

async fn valhalla_answer(app: &Arc<App>, body: Bytes) -> Reply {
    app.engine(Dialect::Valhalla)?;
    let request = valhalla::parse(&body, &app.limits)?;
    on_pool(app, Dialect::Valhalla, move |app| {
        let engine = app.engine.get().expect("checked above");
        let answer = engine
            .answer(&request.query)
            .map_err(|e| valhalla::query_error(&e))?;
        Ok(valhalla::response_bytes(
            &request,
            &answer,
            engine,
            &app.limits,
        ))
    })
    .await
}

async fn ors_post(
    State(app): State<Arc<App>>,
    Path(profile): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Reply {
    // Any `Authorization` header is accepted and ignored.
    let body = read_body(&app, &headers, body, Dialect::Ors).await?;
    let engine = app.engine(Dialect::Ors)?;
    let request = ors::parse(&profile, &body, engine, &app.limits)?;
    on_pool(&app, Dialect::Ors, move |app| {
        let engine = app.engine.get().expect("checked above");
        let answers = (0..request.locations.len())
            .map(|i| engine.answer(&request.query(i)))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| ors::query_error(&e))?;
        Ok(encode(&ors::response(
            &request,
            &answers,
            engine,
            &app.limits,
        )))
    })
    .await
}

/// Valhalla's `/status`: 200 once the extract is loaded, 503 before.
async fn status(State(app): State<Arc<App>>) -> Reply {
    let engine = app.engine(Dialect::Valhalla)?;
    Ok(axum::Json(json!({
        "version": concat!("childcircle ", env!("CARGO_PKG_VERSION")),
        "tileset_last_modified": engine.extract_modified,
        "available_actions": ["isochrone", "status"],
    }))
    .into_response())
}

/// ORS's `/v2/health`: `ready` once loaded (200), else `not ready` (503).
async fn health(State(app): State<Arc<App>>) -> Response {
    if app.engine.get().is_some() {
        axum::Json(json!({"status": "ready"})).into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(json!({"status": "not ready"})),
        )
            .into_response()
    }
}

/// ORS's `/v2/status`: the profiles served.
async fn ors_status(State(app): State<Arc<App>>) -> Reply {
    let engine = app.engine(Dialect::Ors)?;
    let mut profiles = serde_json::Map::new();
    for (i, name) in ["foot-walking"]
        .into_iter()
        .chain(engine.age_names())
        .enumerate()
    {
        profiles.insert(format!("profile {}", i + 1), json!({"profiles": name}));
    }
    Ok(axum::Json(json!({
        "engine": {"version": concat!("childcircle ", env!("CARGO_PKG_VERSION"))},
        "services": ["isochrones"],
        "profiles": profiles,
    }))
    .into_response())
}

//! The service's shared state ([`App`]) and reading a request body within
//! the limits, used by every API's endpoints.

use std::sync::OnceLock;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, StatusCode};
use http_body_util::{BodyExt, LengthLimitError, Limited};

use super::engine::Engine;
use super::error::{ApiError, Dialect};
use super::limits::Limits;
use super::pool::Pool;
use super::whatif_store::Store;

/// Shared state of the service: the engine once loaded, the pool, the limits.
pub struct App {
    pub engine: OnceLock<Engine>,
    pub pool: Pool,
    pub limits: Limits,
    /// The what-if scenarios.
    pub whatif: Store,
}

impl App {
    /// The engine, or 503 in `dialect` while the extract is still loading.
    pub(crate) fn engine(&self, dialect: Dialect) -> Result<&Engine, ApiError> {
        self.engine.get().ok_or_else(|| {
            ApiError::http(
                dialect,
                StatusCode::SERVICE_UNAVAILABLE,
                "the extract is still loading",
            )
        })
    }
}

/// Reads a body within the size and time limits.
pub(crate) async fn read_body(
    app: &App,
    headers: &HeaderMap,
    body: Body,
    dialect: Dialect,
) -> Result<Bytes, ApiError> {
    let max = app.limits.max_body_bytes;
    let too_large = || {
        ApiError::http(
            dialect,
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("request body is larger than {max} bytes"),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return Err(too_large());
    }
    let read = Limited::new(body, max).collect();
    match tokio::time::timeout(app.limits.read_timeout, read).await {
        Err(_) => Err(ApiError::http(
            dialect,
            StatusCode::REQUEST_TIMEOUT,
            format!(
                "the request body did not arrive within {} s",
                app.limits.read_timeout.as_secs_f64()
            ),
        )),
        Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => Err(too_large()),
        Ok(Err(e)) => Err(ApiError::http(
            dialect,
            StatusCode::BAD_REQUEST,
            format!("cannot read the request body: {e}"),
        )),
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
    }
}

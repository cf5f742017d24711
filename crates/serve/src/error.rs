//! Errors as each API writes them: Valhalla's
//! `{"status":"Bad Request","status_code":400,"error":"…","error_code":N}`,
//! openrouteservice's `{"error":{"code":3xxx,"message":"…"},"info":{…}}` and
//! the what-if API's `{"error":"…"}`; and why the service could not start.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::clock::now_ms;

/// Which API an endpoint speaks, so its errors look like that API's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Valhalla,
    Ors,
}

/// Valhalla's error codes used here (valhalla/baldr's `error_codes`).
pub mod valhalla_code {
    pub const BAD_JSON: u32 = 100;
    pub const TRY_POST_OR_GET: u32 = 101;
    pub const TRY_ANY_OF: u32 = 106;
    pub const MISSING_LOCATIONS: u32 = 110;
    pub const MISSING_CONTOURS: u32 = 113;
    pub const NO_COSTING: u32 = 124;
    pub const UNKNOWN_COSTING: u32 = 125;
    pub const BAD_LOCATION: u32 = 130;
    pub const MAX_LOCATIONS: u32 = 150;
    pub const MAX_TIME: u32 = 151;
    pub const MAX_CONTOURS: u32 = 152;
    pub const MAX_DISTANCE: u32 = 166;
    pub const NO_SUITABLE_EDGES: u32 = 171;
    pub const UNKNOWN: u32 = 199;
}

/// openrouteservice's isochrone error codes (`IsochronesErrorCodes`).
pub mod ors_code {
    pub const INVALID_JSON: u32 = 3000;
    pub const MISSING_PARAMETER: u32 = 3001;
    pub const INVALID_FORMAT: u32 = 3002;
    pub const INVALID_VALUE: u32 = 3003;
    pub const ABOVE_MAXIMUM: u32 = 3004;
    pub const UNKNOWN_PARAMETER: u32 = 3011;
    pub const UNKNOWN: u32 = 3099;
}

/// One failed request, ready to be written in its API's format.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub dialect: Dialect,
    pub status: StatusCode,
    pub code: u32,
    pub message: String,
}

impl ApiError {
    /// A Valhalla error: 400 unless the code says otherwise.
    pub fn valhalla(code: u32, message: impl Into<String>) -> Self {
        let status = match code {
            valhalla_code::TRY_ANY_OF => StatusCode::NOT_FOUND,
            valhalla_code::TRY_POST_OR_GET => StatusCode::METHOD_NOT_ALLOWED,
            _ => StatusCode::BAD_REQUEST,
        };
        ApiError {
            dialect: Dialect::Valhalla,
            status,
            code,
            message: message.into(),
        }
    }

    /// An openrouteservice error with HTTP 400.
    pub fn ors(code: u32, message: impl Into<String>) -> Self {
        ApiError {
            dialect: Dialect::Ors,
            status: StatusCode::BAD_REQUEST,
            code,
            message: message.into(),
        }
    }

    /// A transport-level failure (body too large, too slow, server busy) in
    /// the dialect of the endpoint it happened on.
    pub fn http(dialect: Dialect, status: StatusCode, message: impl Into<String>) -> Self {
        let code = match dialect {
            Dialect::Valhalla => valhalla_code::UNKNOWN,
            Dialect::Ors => ors_code::UNKNOWN,
        };
        ApiError {
            dialect,
            status,
            code,
            message: message.into(),
        }
    }

    /// The same error with another HTTP status.
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// The JSON body.
    pub fn body(&self) -> serde_json::Value {
        match self.dialect {
            Dialect::Valhalla => json!({
                "error_code": self.code,
                "error": self.message,
                "status_code": self.status.as_u16(),
                "status": self.status.canonical_reason().unwrap_or("Error"),
            }),
            Dialect::Ors => json!({
                "error": {"code": self.code, "message": self.message},
                "info": info(),
            }),
        }
    }
}

/// The `info` object of ORS errors: the engine's version and the time.
pub fn info() -> Value {
    json!({
        "engine": {"version": concat!("childcircle ", env!("CARGO_PKG_VERSION"))},
        "timestamp": now_ms(),
    })
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(self.body())).into_response()
    }
}

/// An error as the what-if API writes it: `{"error": "…"}`.
#[derive(Debug)]
pub struct WhatIfError(pub StatusCode, pub String);

impl IntoResponse for WhatIfError {
    fn into_response(self) -> Response {
        (self.0, axum::Json(json!({"error": self.1}))).into_response()
    }
}

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Load(#[from] childcircle::Error),
    #[error("cannot listen on {addr}: {error}")]
    Bind { addr: String, error: std::io::Error },
    #[error("cannot start the async runtime or worker pool: {0}")]
    Runtime(String),
}

//! Typed errors of the library. Every error names the file (or the object) it is
//! about and says what is wrong, so the CLI can print one clear line.

use std::path::PathBuf;

/// Everything that can go wrong in an analysis.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// (The field is not named `source`: the message already carries it, and
    /// a `source` would print it twice in `{e:#}`.)
    #[error("{path}: {error}")]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{path}: not a readable OpenStreetMap PBF file ({reason})")]
    Pbf { path: PathBuf, reason: String },
    #[error("{path}: the extract has no walkable ways (is it an OpenStreetMap street extract?)")]
    NoWalkableWays { path: PathBuf },
    #[error("{path}: the extract has no children's facilities of any category in the profile")]
    NoFacilities { path: PathBuf },
    #[error("{path}: the extract has no communities (named landuse=residential or place=neighbourhood areas); pass --communities FILE.geojson")]
    NoCommunities { path: PathBuf },
    #[error("{path}: invalid profile: {reason}")]
    Profile { path: PathBuf, reason: String },
    #[error("{path}: {reason}")]
    GeoJson { path: PathBuf, reason: String },
    #[error("{path}: facility overrides: {reason}")]
    Overrides { path: PathBuf, reason: String },
    /// A planner's facility or community list (CSV, spreadsheet, GeoJSON)
    /// that cannot be used; the reason names the row and column.
    #[error("{path}: {reason}")]
    Input { path: PathBuf, reason: String },
    #[error("{path}: cannot write output: {reason}")]
    Output { path: PathBuf, reason: String },
    /// An option of a run out of range: `option` names it as the command
    /// line spells it (`--cell`), `reason` says what is accepted.
    #[error("{option} {reason}")]
    BadOption {
        option: &'static str,
        reason: String,
    },
    #[error("{0}")]
    Invalid(String),
}

impl Error {
    /// Whether the error is about how the program was called (an option out
    /// of range, a combination that makes no sense) rather than about a file:
    /// the command line exits with status 2 for these.
    pub fn is_usage(&self) -> bool {
        matches!(self, Error::BadOption { .. })
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            error: source,
        }
    }
}

/// Result with the library's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

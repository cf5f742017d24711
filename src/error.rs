//! Typed errors of the library. Every error names the file (or the object) it is
//! about and says what is wrong, so the CLI can print one clear line.

use std::path::PathBuf;

/// Everything that can go wrong in an analysis.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file that cannot be read or written.
    /// (The field is not named `source`: the message already carries it, and
    /// a `source` would print it twice in `{e:#}`.)
    #[error("{path}: {error}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        error: std::io::Error,
    },
    /// An extract that is not a readable OSM PBF file.
    #[error("{path}: not a readable OpenStreetMap PBF file ({reason})")]
    Pbf {
        /// The extract.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// An extract without a single walkable way.
    #[error("{path}: the extract has no walkable ways (is it an OpenStreetMap street extract?)")]
    NoWalkableWays {
        /// The extract.
        path: PathBuf,
    },
    /// An extract (with the planner's list, if any) without facilities.
    #[error("{path}: the extract has no children's facilities of any category in the profile")]
    NoFacilities {
        /// The extract.
        path: PathBuf,
    },
    /// An extract without communities, and no list of them given.
    #[error("{path}: the extract has no communities (named landuse=residential or place=neighbourhood areas); pass --communities FILE.geojson")]
    NoCommunities {
        /// The extract.
        path: PathBuf,
    },
    /// A profile (TOML) that cannot be used.
    #[error("{path}: invalid profile: {reason}")]
    Profile {
        /// The profile file, or the built-in profile's name.
        path: PathBuf,
        /// The key and what is wrong with it.
        reason: String,
    },
    /// A GeoJSON file that cannot be used.
    #[error("{path}: {reason}")]
    GeoJson {
        /// The file.
        path: PathBuf,
        /// The feature and what is wrong with it.
        reason: String,
    },
    /// A facility overrides file that cannot be used.
    #[error("{path}: facility overrides: {reason}")]
    Overrides {
        /// The file.
        path: PathBuf,
        /// The row and what is wrong with it.
        reason: String,
    },
    /// A planner's facility or community list (CSV, spreadsheet, GeoJSON)
    /// that cannot be used; the reason names the row and column.
    #[error("{path}: {reason}")]
    Input {
        /// The list.
        path: PathBuf,
        /// The row, the column and what is wrong.
        reason: String,
    },
    /// An output that cannot be written (nothing of the run is committed).
    #[error("{path}: cannot write output: {reason}")]
    Output {
        /// The output file or folder.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// An option of a run out of range: `option` names it as the command
    /// line spells it (`--cell`), `reason` says what is accepted.
    #[error("{option} {reason}")]
    BadOption {
        /// The option, as the command line spells it.
        option: &'static str,
        /// What is accepted.
        reason: String,
    },
    /// Anything else that makes the request impossible, said in full.
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

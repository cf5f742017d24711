//! # childcircle
//!
//! Which residential communities give children a 15-minute walk to the places
//! children need (the 15分钟儿童生活圈 of GB 50180-2018)?
//!
//! The library is a pipeline that reads top to bottom:
//!
//! | stage | module |
//! |---|---|
//! | OSM ingest (parallel PBF passes) | [`pbf`], [`ingest`], with the rules of [`walkable`] |
//! | walking graph (contracted, Hilbert-ordered CSR) | [`graph`] |
//! | places: facilities, communities, R-tree snapping | [`places`], [`snap`], [`community_file`] |
//! | population per unit from a GeoTIFF raster (WorldPop, GHS-POP) | [`population`] |
//! | search: multi-source and bounded Dijkstra (bucket queue), the trivial path along a start's own edge | [`search`], [`origins`] |
//! | coverage per community and category | [`coverage`], [`summary`] |
//! | writers (GeoJSON, JSON; all-or-nothing) | [`output`], [`writers`] |
//! | what-if scenarios: facility edits over a loaded analysis | [`scenario`] |
//! | beyond one city: tiles with a halo, each analysed alone, merged | [`tiles`] |
//! | wall time and memory of every phase, back to back | [`timings`] |
//!
//! [`analyze`] runs it all with the default profile ([`profile`]):
//!
//! ```no_run
//! let analysis = childcircle::analyze(std::path::Path::new("data/osm/monaco.osm.pbf"))?;
//! let summary = childcircle::findings::summary::Summary::new(&analysis);
//! println!("{:.0} % of communities are in the life circle", 100.0 * summary.overall.share_life_circle);
//! # Ok::<(), childcircle::Error>(())
//! ```

pub mod crs;
pub mod error;
pub mod geodesy;
pub mod rng;
pub mod tags;
pub mod time;
pub mod timings;

pub mod profile;

pub mod osm;

pub mod network;

pub mod search;

pub mod places;

pub mod isochrone;

pub mod coverage;

pub mod analysis;
pub mod defaults;
pub mod limits;

pub mod findings;

pub mod write;

pub mod scenario;
pub mod tiles;

pub use analysis::{analyze, analyze_with_options, Analysis, AnalyzeOptions};
pub use error::{Error, Result};
pub use profile::Profile;

#[cfg(test)]
mod testmap;

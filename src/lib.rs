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
//! let summary = childcircle::summary::Summary::new(&analysis);
//! println!("{:.0} % of communities are in the life circle", 100.0 * summary.overall.share_life_circle);
//! # Ok::<(), childcircle::Error>(())
//! ```

pub mod classify;
pub mod crs;
pub mod error;
pub mod geodesy;
pub mod profile;
pub mod timings;
pub mod walkable;

pub mod ingest;
pub mod pbf;

pub mod crossings;
pub mod graph;

pub mod community_file;
pub mod input;
pub mod places;
pub mod population;
pub mod snap;
pub mod units;

pub mod origins;
pub mod search;

pub mod coverage;
pub mod summary;

pub mod limits;
pub mod output;
pub mod writers;

pub mod analysis;
pub mod defaults;
pub mod export;
pub mod synth;

pub use analysis::{analyze, analyze_with_options, Analysis, AnalyzeOptions};
pub use error::{Error, Result};
pub use profile::Profile;
pub mod isochrone;
pub mod report;
pub mod scenario;
pub mod siting;
pub mod tiles;

#[cfg(feature = "serve")]
pub mod serve;

#[cfg(test)]
mod testmap;

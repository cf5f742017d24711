//! # childcircle
//!
//! Which residential communities give children a 15-minute walk to the places
//! children need (the 15分钟儿童生活圈 of GB 50180-2018)?
//!
//! The library is a pipeline that reads top to bottom, one folder per stage:
//!
//! | stage | module |
//! |---|---|
//! | 0. the walker: speed, categories, thresholds, crossing rules, ages | [`profile`] |
//! | 1. OpenStreetMap in: parallel PBF passes, walkable rules, facility classification | [`osm`] |
//! | 2. the walking network: contracted, Hilbert-ordered CSR graph with the road-crossing model | [`network`] |
//! | 3. search: bounded multi-source Dijkstra (bucket queue), positions on edges, the trivial same-edge walk | [`search`] |
//! | 4. places: facilities and communities (OSM, planner's lists, population), snapped through an R-tree | [`places`] |
//! | 5. isochrone polygons: search → time grid → contours | [`isochrone`](mod@isochrone) |
//! | 6. coverage per community and category; places per child | [`coverage`] |
//! | 7. the whole run, composed | [`analysis`] |
//! | 8. findings for the planner: summary, districts, gaps and siting | [`findings`] |
//! | 9. writers: GeoJSON layers, tables, all-or-nothing commit | [`write`](mod@write) |
//! | on top: what-if scenarios; tiles beyond one city | [`scenario`], [`tiles`] |
//!
//! Foundations beside them: [`time`] (deciseconds), [`geodesy`], [`crs`]
//! (GCJ-02 and friends), [`tags`], [`rng`], [`timings`], [`error`].
//!
//! [`analyze`] runs it all with the default profile:
//!
//! ```
//! let analysis = childcircle::analyze(std::path::Path::new("data/osm/monaco.osm.pbf"))?;
//! assert!(analysis.graph.node_count() > 1_000);
//! assert_eq!(analysis.coverage.len(), analysis.communities.len());
//!
//! let summary = childcircle::Summary::new(&analysis);
//! let share = summary.overall.share_life_circle;
//! assert!((0.0..=1.0).contains(&share));
//! println!("{:.0} % of communities are in the life circle", 100.0 * share);
//! # Ok::<(), childcircle::Error>(())
//! ```
//!
//! The names most callers need are re-exported here; each stage's module has
//! the rest.

#![deny(missing_docs)]

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
pub use coverage::{category_times, community_coverage, CategoryTimes, CommunityCoverage};
pub use error::{Error, Result};
pub use findings::summary::Summary;
pub use isochrone::{isochrone, Band, IsochroneOptions};
pub use network::graph::Graph;
pub use places::{Community, Facility};
pub use profile::Profile;
pub use search::origins::Origins;
pub use search::position::AccessPoint;
pub use search::{SearchState, Seed};
pub use time::{Time, UNREACHED};
pub use write::layers::write_outputs;

#[cfg(test)]
mod testmap;

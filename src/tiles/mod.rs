//! Beyond one city: an extract cut into tiles with a halo, each analysed on
//! its own (by any scheduler), the parts merged into the outputs of one run.
//!
//! | step | module | command |
//! |---|---|---|
//! | read the extract once, lay out the tiles, cut one PBF per tile | [`extract`], [`plan`], [`tile`], [`cut`] | `childcircle plan` |
//! | analyse one tile, keep what its core owns | [`own`] | `childcircle tile` |
//! | record each owned community's row for the district table | [`rows`] | `childcircle tile` |
//! | join the parts | [`merge`] | `childcircle merge` |
//!
//! **The tiling rule.** Cores are half-open boxes `[x0,x1) × [y0,y1)` of a
//! global grid of `tile_deg` degrees (split further by a quadtree where a
//! tile holds more nodes than the budget); they partition the plane, so every
//! point lies in exactly one core. A tile's extract holds every way with a
//! node within its core grown by the halo (whole, with all its nodes), every
//! multipolygon relation with such a member (with all its member ways), and
//! every tagged node there. The halo is ([`Halo`]): the largest threshold ×
//! the fastest speed of the profile, plus the snap limit and the access
//! buffer, plus the allowance for a community's or facility's extent beyond
//! its core, plus one isochrone cell and a margin for geodesic error.
//!
//! **Why that is exact.** A community belongs to the tile whose core holds its
//! representative point (the polygon's interior point; a facility's: its
//! point). Every part of a community (its polygon, inside nodes, access
//! points) lies within the allowance of that point's core — `childcircle tile`
//! checks this and fails, naming the community, if it does not. Every walk the
//! analysis counts takes time ≤ T at speed ≤ v, so it stays within v·T of its
//! start (a walk is at least as long as the straight line between its ends),
//! and a facility it reaches lies within the snap limit of the walk's end. So
//! every way, node and facility that can change a community's times lies
//! inside the halo, and the tile's graph holds every such walk whole.

pub mod cut;
pub mod extract;
pub mod merge;
pub mod own;
pub mod plan;
pub mod rows;
pub mod tile;

pub use plan::{Halo, Plan};
pub use tile::Tile;

/// Name of the tile list in a plan directory.
pub const PLAN_FILE: &str = "plan.json";
/// Name of a tile's extract inside its directory.
pub const TILE_PBF: &str = "extract.osm.pbf";
/// Name of the directory of a tile's owned outputs.
pub const PART_DIR: &str = "part";
/// Marker written (atomically) last: the tile is finished.
pub const DONE_FILE: &str = "done";

/// The directory of tile `index` in plan directory `dir`.
pub fn tile_dir(dir: &std::path::Path, index: usize) -> std::path::PathBuf {
    dir.join("tiles").join(index.to_string())
}

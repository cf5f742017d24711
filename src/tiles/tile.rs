//! One tile of a plan: its half-open core, its reach and what it holds.

use serde::{Deserialize, Serialize};

/// One tile: its core, the box its extract covers, what it holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tile {
    /// The tile's index in the plan.
    pub index: usize,
    /// Grid cell and quadtree path, e.g. `c466r150` or `c466r150q03`.
    pub key: String,
    /// Half-open core `[x0, y0, x1, y1]`, degrees: x0 ≤ lon < x1, y0 ≤ lat < y1.
    pub core: [f64; 4],
    /// Core grown by the halo (degrees, rounded outwards).
    pub reach: [f64; 4],
    /// What the tile's extract holds.
    pub nodes: u64,
    /// Ways in the tile's extract.
    pub ways: u64,
    /// Relations in the tile's extract.
    pub relations: u64,
    /// Estimated peak memory of `childcircle tile` on it, bytes (from
    /// [`crate::limits::estimate_memory_with_options`], without isochrones).
    pub memory_bytes: u64,
}

impl Tile {
    /// Whether the half-open core holds the point.
    pub fn owns(&self, lonlat: [f64; 2]) -> bool {
        let [x0, y0, x1, y1] = self.core;
        (x0..x1).contains(&lonlat[0]) && (y0..y1).contains(&lonlat[1])
    }
}

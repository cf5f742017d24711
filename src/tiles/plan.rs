//! The tile list: halo, cores on a global grid, quadtree splits, skipped
//! tiles; written as `plan.json` beside the tiles' extracts.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::extract::{to_e7, way_box, Extract, Tags};
use super::tile::Tile;
use crate::error::{Error, Result};
use crate::profile::Profile;

/// Metres per degree of latitude, at least (the meridian degree is shortest,
/// 110 574 m, at the equator): dividing by it over-estimates a box's degrees.
const MIN_M_PER_DEG_LAT: f64 = 110_574.0;
/// Metres per degree of longitude at the equator on the sphere the engine
/// measures walks on (haversine, R = 6371 km; the ellipsoid's is longer): a
/// parallel at latitude φ is this × cos φ long per degree.
const M_PER_DEG_LON_EQUATOR: f64 = 111_194.0;
/// Quadtree depth limit: a tile of 0.25° splits into tiles of 0.25/2⁶ ≈ 430 m.
const MAX_DEPTH: u32 = 6;

/// How far beyond its core a tile's extract reaches, metres, and its parts.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Halo {
    /// Largest threshold × fastest speed of the profile.
    pub walk_m: f64,
    /// The profile's snap limit (facility or community to the network).
    pub snap_m: f64,
    /// The access buffer (walking nodes this near an area's outline are its
    /// access points).
    pub access_m: f64,
    /// How far an owned community's or facility's outline may reach beyond
    /// its core (checked by `childcircle tile`).
    pub allowance_m: f64,
    /// One isochrone cell.
    pub cell_m: f64,
    /// Geodesic error and rounding: 1 % of the above plus 10 m.
    pub geodesic_m: f64,
    /// The sum: the halo.
    pub total_m: f64,
}

impl Halo {
    /// The halo of `profile` with an extent allowance and an isochrone cell.
    pub fn new(profile: &Profile, allowance_m: f64, cell_m: f64) -> Halo {
        let fastest = profile.walking_speed_mps * profile.steps_speed_factor.max(1.0);
        let walk_m = profile.max_minutes() * 60.0 * fastest;
        let snap_m = profile.max_snap_m;
        let access_m = profile.access_buffer_m;
        let sum = walk_m + snap_m + access_m + allowance_m + cell_m;
        let geodesic_m = 0.01 * sum + 10.0;
        Halo {
            walk_m,
            snap_m,
            access_m,
            allowance_m,
            cell_m,
            geodesic_m,
            total_m: sum + geodesic_m,
        }
    }

    /// The halo's reach scaled by `factor`, its parts as they are (the
    /// allowance check keeps its value): the negative control uses 0.5.
    pub fn scaled(self, factor: f64) -> Halo {
        Halo {
            total_m: self.total_m * factor,
            ..self
        }
    }
}

/// The tile list of an extract.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// The extract the tiles were cut from (as given).
    pub extract: PathBuf,
    /// Size of a cell of the global tile grid, degrees.
    pub tile_deg: f64,
    /// Largest number of nodes within a tile's reach before it is split.
    pub node_budget: u64,
    /// Profile (`child`, `adult` or a TOML file) and age group of the tiles'
    /// analyses.
    pub profile: Option<PathBuf>,
    /// The age group of the tiles' analyses (`None`: the profile's default).
    pub age: Option<String>,
    /// How far each tile's extract reaches beyond its core.
    pub halo: Halo,
    /// The box the whole extract's walking graph is centred on (its
    /// projection and node order): every tile's graph takes it, so that its
    /// snap distances and ties are those of one run.
    pub frame: crate::network::graph::Frame,
    /// Grid cells (or quadtree parts) skipped: no residential land in their core.
    pub skipped: usize,
    /// The tiles, by index.
    pub tiles: Vec<Tile>,
}

/// How to lay out the tiles.
#[derive(Debug, Clone)]
pub struct PlanOptions {
    /// Size of a cell of the global tile grid, degrees.
    pub tile_deg: f64,
    /// Largest number of nodes within a tile's reach before it is split.
    pub node_budget: u64,
    /// How far each tile's extract reaches beyond its core.
    pub halo: Halo,
    /// Profile (`child`, `adult` or a TOML file) of the tiles' analyses (`None`:
    /// `child`).
    pub profile: Option<PathBuf>,
    /// The age group of the tiles' analyses (`None`: the profile's default).
    pub age: Option<String>,
}

impl Plan {
    /// Reads `DIR/plan.json`.
    pub fn load(dir: &Path) -> Result<Plan> {
        let path = dir.join(super::PLAN_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        serde_json::from_str(&text)
            .map_err(|e| Error::Invalid(format!("{}: not a tile plan: {e}", path.display())))
    }

    /// The tile `index`, or an error naming the plan's range.
    pub fn tile(&self, index: usize) -> Result<&Tile> {
        self.tiles.get(index).ok_or_else(|| {
            Error::Invalid(format!(
                "tile {index} is not in the plan: it has tiles 0 to {}",
                self.tiles.len().saturating_sub(1)
            ))
        })
    }

    /// The profile the tiles are analysed with (in the whole extract's
    /// [`frame`](Plan::frame)).
    pub fn load_profile(&self) -> Result<Profile> {
        Profile::resolve(self.profile.as_deref(), self.age.as_deref())
    }
}

/// Whether an object's tags make it residential land, a neighbourhood or a
/// building (anything the analysis may turn into a community).
pub fn is_residential(tags: &Tags) -> bool {
    tags.iter().any(|(k, v)| match &**k {
        "landuse" => &**v == "residential",
        "place" => matches!(&**v, "neighbourhood" | "quarter"),
        "building" => true,
        _ => false,
    })
}

/// Boxes (decimicro degrees `[x0, y0, x1, y1]`) of every residential way
/// and every member way of a residential relation.
fn residential_boxes(x: &Extract) -> Vec<[i32; 4]> {
    let mut boxes: Vec<[i32; 4]> = Vec::new();
    let mut add = |w: &super::extract::Way| {
        if let Some(b) = way_box(x, w) {
            boxes.push(b);
        }
    };
    for w in x.ways.iter().filter(|w| is_residential(&w.tags)) {
        add(w);
    }
    for r in x.relations.iter().filter(|r| is_residential(&r.tags)) {
        for (_, id, _) in r.members.iter().filter(|m| m.0 == 1) {
            if let Some(i) = x.way_index(*id) {
                add(&x.ways[i]);
            }
        }
    }
    for (id, tags) in &x.node_tags {
        if is_residential(tags) {
            if let Some(n) = x.node(*id) {
                boxes.push([n.lon, n.lat, n.lon, n.lat]);
            }
        }
    }
    boxes
}

/// A core grown by `halo_m` metres, degrees.
pub fn reach_of(core: [f64; 4], halo_m: f64) -> [f64; 4] {
    let dlat = halo_m / MIN_M_PER_DEG_LAT;
    let lat_far = (core[1] - dlat).abs().max((core[3] + dlat).abs()).min(89.0);
    let dlon = halo_m / (M_PER_DEG_LON_EQUATOR * lat_far.to_radians().cos());
    [
        core[0] - dlon,
        core[1] - dlat,
        core[2] + dlon,
        core[3] + dlat,
    ]
}

/// Lays out the tiles over the extract: the cells of a global `tile_deg`
/// grid that hold residential land, split into quadrants while their reach
/// holds more than the node budget. Counts and memory are filled in by the
/// cutter.
pub fn layout(x: &Extract, options: &PlanOptions) -> (Vec<Tile>, usize) {
    let density = Density::new(x);
    let mut tiles = Vec::new();
    let mut skipped = 0;
    let mut stack: Vec<(String, [f64; 4], u32)> = Vec::new();
    for (key, core) in grid_cells(x, options.tile_deg) {
        stack.push((key, core, 0));
        while let Some((key, core, depth)) = stack.pop() {
            if !density.has_homes(core) {
                skipped += 1;
                continue;
            }
            let reach = reach_of(core, options.halo.total_m);
            if depth < MAX_DEPTH && density.nodes_in(reach) > options.node_budget {
                // Pushed in reverse so that they come out in order.
                for (q, b) in quadrants(core).iter().enumerate().rev() {
                    let k = if depth == 0 {
                        format!("{key}q{q}")
                    } else {
                        format!("{key}{q}")
                    };
                    stack.push((k, *b, depth + 1));
                }
                continue;
            }
            tiles.push(Tile {
                index: tiles.len(),
                key,
                core,
                reach,
                nodes: 0,
                ways: 0,
                relations: 0,
                memory_bytes: 0,
            });
        }
    }
    (tiles, skipped)
}

/// Where the extract's nodes and homes are, for sizing tiles.
struct Density {
    /// Node (lon, lat) in 1e-7 degrees, sorted by longitude.
    by_lon: Vec<(i32, i32)>,
    /// Bounding boxes of residential land, 1e-7 degrees.
    homes: Vec<[i32; 4]>,
}

impl Density {
    fn new(x: &Extract) -> Self {
        let mut by_lon: Vec<(i32, i32)> = x.nodes.iter().map(|n| (n.lon, n.lat)).collect();
        by_lon.sort_unstable();
        Density {
            by_lon,
            homes: residential_boxes(x),
        }
    }

    /// The nodes inside box `b` (lon/lat degrees).
    fn nodes_in(&self, b: [f64; 4]) -> u64 {
        let (x0, x1) = (to_e7(b[0], true), to_e7(b[2], false));
        let (y0, y1) = (to_e7(b[1], true), to_e7(b[3], false));
        let lo = self.by_lon.partition_point(|p| p.0 < x0);
        let hi = self.by_lon.partition_point(|p| p.0 <= x1);
        self.by_lon[lo..hi]
            .iter()
            .filter(|p| (y0..=y1).contains(&p.1))
            .count() as u64
    }

    /// Whether box `c` meets any residential land.
    fn has_homes(&self, c: [f64; 4]) -> bool {
        let (x0, x1) = (to_e7(c[0], true), to_e7(c[2], false));
        let (y0, y1) = (to_e7(c[1], true), to_e7(c[3], false));
        self.homes
            .iter()
            .any(|b| b[0] <= x1 && b[2] >= x0 && b[1] <= y1 && b[3] >= y0)
    }
}

/// The cells of the global `deg` grid over the extract's nodes, row by row,
/// with their keys (`c<column>r<row>`); none for an empty extract.
fn grid_cells(x: &Extract, deg: f64) -> Vec<(String, [f64; 4])> {
    let Some(first) = x.nodes.first() else {
        return Vec::new();
    };
    let (mut lo, mut hi) = ([first.lon, first.lat], [first.lon, first.lat]);
    for n in &x.nodes {
        lo = [lo[0].min(n.lon), lo[1].min(n.lat)];
        hi = [hi[0].max(n.lon), hi[1].max(n.lat)];
    }
    let cell = |v: i32| (f64::from(v) * 1e-7 / deg).floor() as i64;
    let (c0, c1, r0, r1) = (cell(lo[0]), cell(hi[0]), cell(lo[1]), cell(hi[1]));
    let mut cells = Vec::new();
    for r in r0..=r1 {
        for c in c0..=c1 {
            let core = [
                c as f64 * deg,
                r as f64 * deg,
                (c + 1) as f64 * deg,
                (r + 1) as f64 * deg,
            ];
            cells.push((format!("c{c}r{r}"), core));
        }
    }
    cells
}

/// The four quadrants of `core`: south-west, south-east, north-west,
/// north-east.
fn quadrants(core: [f64; 4]) -> [[f64; 4]; 4] {
    let mx = (core[0] + core[2]) / 2.0;
    let my = (core[1] + core[3]) / 2.0;
    [
        [core[0], core[1], mx, my],
        [mx, core[1], core[2], my],
        [core[0], my, mx, core[3]],
        [mx, my, core[2], core[3]],
    ]
}

/// Reads the extract once, lays out the tiles, cuts their extracts into
/// `DIR/tiles/<i>/` and writes `DIR/plan.json` (atomically, last).
pub fn make_plan(extract: &Path, options: &PlanOptions, dir: &Path) -> Result<Plan> {
    if !(options.tile_deg.is_finite() && options.tile_deg > 0.0 && options.tile_deg <= 10.0) {
        return Err(Error::Invalid(format!(
            "--tile-deg must be between 0 and 10 degrees, not {}",
            options.tile_deg
        )));
    }
    let profile = Profile::resolve(options.profile.as_deref(), options.age.as_deref())?;
    // The frame one run of the whole extract has: its walking graph's box.
    let frame = crate::analysis::load_network(extract, &profile)?.1.frame();
    let x = Extract::read(extract)?;
    let (mut tiles, skipped) = layout(&x, options);
    super::cut::cut_tiles(&x, &mut tiles, dir)?;
    drop(x);
    let grid = crate::isochrone::IsochroneOptions::default();
    for t in &mut tiles {
        let pbf = super::tile_dir(dir, t.index).join(super::TILE_PBF);
        t.memory_bytes = crate::limits::estimate_memory_with_options(&pbf, &profile, &grid)?
            .bytes_without_isochrones;
    }
    let plan = Plan {
        extract: extract.to_path_buf(),
        tile_deg: options.tile_deg,
        node_budget: options.node_budget,
        profile: options.profile.clone(),
        age: options.age.clone(),
        halo: options.halo,
        frame,
        skipped,
        tiles,
    };
    let json = serde_json::to_vec_pretty(&plan).expect("a plan serializes");
    crate::write::commit::write_atomic(&dir.join(super::PLAN_FILE), &json)?;
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cores_are_half_open_and_the_reach_holds_the_halo() {
        let t = Tile {
            index: 0,
            key: "c0r0".into(),
            core: [116.0, 37.0, 116.25, 37.25],
            reach: [0.0; 4],
            nodes: 0,
            ways: 0,
            relations: 0,
            memory_bytes: 0,
        };
        assert!(t.owns([116.0, 37.0]));
        assert!(!t.owns([116.25, 37.1]) && !t.owns([116.1, 37.25]));
        let reach = reach_of(t.core, 2000.0);
        // Every side is at least 2000 m (haversine) from the core.
        let d = |a: [f64; 2], b: [f64; 2]| crate::geodesy::haversine_m(a, b);
        assert!(d([116.0, 37.25], [reach[0], 37.25]) >= 2000.0);
        assert!(d([116.25, 37.25], [reach[2], 37.25]) >= 2000.0);
        assert!(d([116.1, 37.0], [116.1, reach[1]]) >= 2000.0);
        assert!(d([116.1, 37.25], [116.1, reach[3]]) >= 2000.0);
    }
}

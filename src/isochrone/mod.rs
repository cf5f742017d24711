//! Stage 5: isochrone polygons, in three separate stages (Valhalla's design):
//! **search** (a bounded [`SearchState`] run) → **time grid** ([`grid`]) →
//! **contours** ([`contours`]). Each stage can be swapped or tuned alone.
//!
//! [`isochrone`] answers one place; [`facility_isochrones`] answers every
//! facility in parallel; [`coverage_areas`] turns the multi-source times of a
//! whole category into one coverage polygon on one city-wide grid (never by
//! unioning thousands of small polygons) and the gaps: residential land
//! outside it.

pub mod contours;
pub mod grid;
pub mod marching;
pub mod valid;

use geo::{Area, MapCoords, MultiPolygon};
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::network::graph::Graph;
use crate::places::{Community, Facility};
use crate::profile::Profile;
use crate::search::origins::{Origin, Origins};
use crate::search::SearchState;
use crate::time::{minutes_to_time, Time, UNREACHED};
use grid::{GridSpec, TimeGrid};

/// How isochrones are drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct IsochroneOptions {
    /// Time bands in minutes, ascending.
    pub bands_min: Vec<f64>,
    /// Grid cell size, metres.
    pub cell_m: f64,
    /// How far off the network a walker may step, metres.
    pub margin_m: f64,
    /// Largest grid for city-wide coverage, in vertices: the cell grows to fit.
    pub max_city_vertices: usize,
}

impl Default for IsochroneOptions {
    fn default() -> Self {
        IsochroneOptions {
            bands_min: vec![5.0, 10.0, 15.0],
            cell_m: 25.0,
            margin_m: 50.0,
            max_city_vertices: 16_000_000,
        }
    }
}

impl IsochroneOptions {
    /// Checked options: bands are minutes in (0, 240] (sorted, duplicates
    /// dropped), the cell 1–1000 m, the margin 0–1000 m. Anything else is an
    /// [`Error::BadOption`] naming the option (a zero cell would never finish).
    pub fn new(bands_min: &[f64], cell_m: f64, margin_m: f64) -> Result<IsochroneOptions> {
        let mut bands = bands_min.to_vec();
        bands.sort_by(f64::total_cmp);
        bands.dedup();
        let options = IsochroneOptions {
            bands_min: bands,
            cell_m,
            margin_m,
            ..Default::default()
        };
        options.validate()?;
        Ok(options)
    }

    /// Checks options built field by field (see [`IsochroneOptions::new`]).
    pub fn validate(&self) -> Result<()> {
        let bad = |option, reason: String| Err(Error::BadOption { option, reason });
        if self.bands_min.is_empty()
            || !self
                .bands_min
                .iter()
                .all(|b| b.is_finite() && *b > 0.0 && *b <= 240.0)
        {
            return bad(
                "--bands",
                format!(
                    "must be minutes between 0 and 240, e.g. 5,10,15 (not {:?})",
                    self.bands_min
                ),
            );
        }
        if !(self.cell_m.is_finite() && (1.0..=1000.0).contains(&self.cell_m)) {
            return bad(
                "--cell",
                format!("must be between 1 and 1000 metres, not {}", self.cell_m),
            );
        }
        if !(self.margin_m.is_finite() && (0.0..=1000.0).contains(&self.margin_m)) {
            return bad(
                "--margin",
                format!("must be between 0 and 1000 metres, not {}", self.margin_m),
            );
        }
        if self.max_city_vertices < 64 {
            return bad(
                "max_city_vertices",
                format!("must be at least 64, not {}", self.max_city_vertices),
            );
        }
        Ok(())
    }
}

/// The polygon of one band, in lon/lat.
#[derive(Debug, Clone)]
pub struct Band {
    /// The band's upper bound, minutes.
    pub minutes: f64,
    /// What is reached within it, lon/lat.
    pub polygon: MultiPolygon<f64>,
    /// Its geodesic area, square metres.
    pub area_m2: f64,
}

/// Projected metres back to lon/lat, at the precision the writers use (1e-7°,
/// about a centimetre), and valid at that precision: marching squares can
/// pinch a ring at a saddle vertex (two vertices a hair apart that round to
/// one point, or meet exactly), which OGC forbids. Such a polygon is repaired
/// by geo's `MakeValid` (the ring becomes two rings, or a ring and a hole).
pub fn to_lonlat(graph: &Graph, mp: &MultiPolygon<f64>) -> MultiPolygon<f64> {
    use geo::orient::{Direction, Orient};
    use geo::MakeValid;
    let lonlat = unprojected_rounded(graph, mp);
    if valid::multi_polygon_is_valid(&lonlat) {
        return lonlat;
    }
    match lonlat.make_valid() {
        Ok(valid) => crate::places::canonical(
            MultiPolygon(
                valid
                    .0
                    .into_iter()
                    .filter(|p| p.unsigned_area() > 0.0)
                    .collect(),
            )
            .orient(Direction::Default),
        ),
        Err(_) => lonlat,
    }
}

/// `mp` in lon/lat, rounded to 7 decimals (about 1 cm), repeated points removed: [`to_lonlat`] before
/// any repair.
pub(crate) fn unprojected_rounded(graph: &Graph, mp: &MultiPolygon<f64>) -> MultiPolygon<f64> {
    use geo::RemoveRepeatedPoints;
    let round7 = |v: f64| (v * 1e7).round() / 1e7;
    mp.map_coords(|c| {
        let [x, y] = graph.projection().unproject([c.x, c.y]);
        geo::Coord {
            x: round7(x),
            y: round7(y),
        }
    })
    .remove_repeated_points()
}

fn grid_spec(options: &IsochroneOptions, profile: &Profile) -> GridSpec {
    GridSpec {
        cell_m: options.cell_m,
        margin_m: options.margin_m,
        speed_mps: profile.walking_speed_mps,
    }
}

/// The grid for a box: the options' cell, grown until the grid has at most
/// `max_city_vertices` vertices (a city-wide grid, or an absurdly long band).
fn fitted_spec(
    options: &IsochroneOptions,
    profile: &Profile,
    lo: [f64; 2],
    hi: [f64; 2],
) -> GridSpec {
    let mut spec = grid_spec(options, profile);
    let vertices = |cell: f64| ((hi[0] - lo[0]) / cell + 8.0) * ((hi[1] - lo[1]) / cell + 8.0);
    while vertices(spec.cell_m) > options.max_city_vertices as f64 {
        spec.cell_m *= 1.5;
    }
    spec
}

/// Time of the off-network margin at walking speed.
fn margin_time(options: &IsochroneOptions, profile: &Profile) -> Time {
    (options.margin_m / profile.walking_speed_mps * 10.0).round() as Time
}

/// Time to walk one grid cell: how far past a band its contour still reads
/// the times (see [`contours::contours`]).
fn cell_time(spec: &GridSpec) -> Time {
    (spec.cell_m / spec.speed_mps * 10.0).ceil() as Time
}

/// Stops at once on options that were never checked (a zero cell would loop
/// forever growing the grid); checked options come from
/// [`IsochroneOptions::new`], and [`crate::analyze_with_options`] returns the
/// error instead.
fn assert_valid(options: &IsochroneOptions) {
    if let Err(e) = options.validate() {
        panic!("invalid IsochroneOptions: {e} (build them with IsochroneOptions::new)");
    }
}

/// Isochrone bands around the starts of a walk, reusing `state` for the
/// search. Returns the bands in projected metres (callers convert with
/// [`to_lonlat`]).
///
/// # Panics
/// On options [`IsochroneOptions::validate`] refuses.
pub fn isochrone_reusing(
    graph: &Graph,
    origins: &Origins,
    options: &IsochroneOptions,
    profile: &Profile,
    state: &mut SearchState,
) -> Vec<(f64, MultiPolygon<f64>)> {
    assert_valid(options);
    let bands: Vec<Time> = options
        .bands_min
        .iter()
        .map(|&m| minutes_to_time(m))
        .collect();
    let Some(&largest) = bands.iter().max() else {
        return vec![];
    };
    let ramp = cell_time(&grid_spec(options, profile));
    match walked_grid(graph, origins, options, profile, largest, state) {
        Some(grid) => {
            let polygons = contours::contours(&grid, &bands, ramp as f32);
            options.bands_min.iter().copied().zip(polygons).collect()
        }
        None => options
            .bands_min
            .iter()
            .map(|&m| (m, MultiPolygon(vec![])))
            .collect(),
    }
}

/// Isochrone stages 1 and 2: the search from `origins` up to the `largest`
/// band (and one cell further), and the time grid over what it reaches;
/// `None` if it reaches nothing.
pub(crate) fn walked_grid(
    graph: &Graph,
    origins: &Origins,
    options: &IsochroneOptions,
    profile: &Profile,
    largest: Time,
    state: &mut SearchState,
) -> Option<TimeGrid> {
    // The grid (its cell grows only for absurdly long bands) and how far past
    // the largest band the times must be exact: one cell, so that each band's
    // contour reads the same times whatever other bands are asked for.
    let spec = grid_spec(options, profile);
    let ramp = cell_time(&spec);
    let limit = largest + ramp;
    // 1. Search.
    state.run(graph, &origins.seeds(graph), limit);
    let state: &SearchState = state;
    let reached = state.settled();
    // A start may reach along its own edge what neither end reaches in time.
    let starts: Vec<&Origin> = origins.iter().filter(|o| o.time <= limit).collect();
    if reached.is_empty() && starts.is_empty() {
        return None;
    }
    // 2. Time grid over the reach: every point walked from node `n` lies within
    // its remaining budget (the limit minus its time) of `n`.
    let cap = limit + margin_time(options, profile) + 1;
    let (mut lo, mut hi) = ([f64::MAX; 2], [f64::MIN; 2]);
    for &n in reached {
        let p = graph.xy()[n as usize];
        let budget = f64::from(limit - state.time(n)) / 10.0 * graph.walking_speed_mps();
        for k in 0..2 {
            lo[k] = lo[k].min(f64::from(p[k]) - budget);
            hi[k] = hi[k].max(f64::from(p[k]) + budget);
        }
    }
    for o in &starts {
        let budget = f64::from(limit - o.time) / 10.0 * graph.walking_speed_mps();
        for p in graph.shape(o.pos.edge) {
            for k in 0..2 {
                lo[k] = lo[k].min(f64::from(p[k]) - budget);
                hi[k] = hi[k].max(f64::from(p[k]) + budget);
            }
        }
    }
    // Very long bands (or a very fast walker) must not make a huge grid.
    let spec = fitted_spec(options, profile, lo, hi);
    let mut grid = TimeGrid::new((lo, hi), &spec, cap);
    let edges = reached.iter().flat_map(|&n| {
        graph.arcs_with_edges(n).filter_map(move |(_, e)| {
            // Each edge once: from its `u` end if reached, else from `v`.
            let edge = graph.edges()[e as usize];
            (edge.u == n || state.time(edge.u) == UNREACHED).then_some(e)
        })
    });
    let mut edges: Vec<u32> = edges.chain(starts.iter().map(|o| o.pos.edge)).collect();
    edges.sort_unstable();
    edges.dedup();
    grid.rasterize_edges(graph, edges.into_iter(), |n| state.time(n), origins, &spec);
    Some(grid)
}

/// Isochrone bands around the starts of a walk, as lon/lat polygons with
/// their areas.
///
/// ```
/// use childcircle::isochrone::{isochrone, IsochroneOptions};
/// use childcircle::places::snap::GraphIndex;
/// use childcircle::{Origins, Profile};
///
/// let profile = Profile::default();
/// let extract = std::path::Path::new("data/osm/monaco.osm.pbf");
/// let (_, graph) = childcircle::analysis::load_network(extract, &profile)?;
/// let start = graph.projection().project([7.4246, 43.7384]);
/// let index = GraphIndex::new(&graph);
/// let access = index.snap(&graph, start, profile.max_snap_m).expect("a way nearby");
///
/// let grid = IsochroneOptions::default();
/// let options = IsochroneOptions::new(&[10.0, 5.0], grid.cell_m, grid.margin_m)?;
/// let bands = isochrone(&graph, &Origins::new(&graph, [&access]), &options, &profile);
/// assert_eq!(bands.iter().map(|b| b.minutes).collect::<Vec<_>>(), [5.0, 10.0]);
/// assert!(0.0 < bands[0].area_m2 && bands[0].area_m2 < bands[1].area_m2);
/// # Ok::<(), childcircle::Error>(())
/// ```
pub fn isochrone(
    graph: &Graph,
    origins: &Origins,
    options: &IsochroneOptions,
    profile: &Profile,
) -> Vec<Band> {
    let mut state = SearchState::new(graph.node_count());
    let projected = isochrone_reusing(graph, origins, options, profile, &mut state);
    to_bands(graph, projected)
}

/// Projected band polygons to lon/lat [`Band`]s with their areas.
fn to_bands(graph: &Graph, projected: Vec<(f64, MultiPolygon<f64>)>) -> Vec<Band> {
    projected
        .into_iter()
        .map(|(minutes, mp)| Band {
            minutes,
            area_m2: mp.unsigned_area(),
            polygon: to_lonlat(graph, &mp),
        })
        .collect()
}

/// Isochrones of every facility (facilities in parallel, one search state per
/// thread). Facilities that are not attached to the network get no bands.
pub fn facility_isochrones(
    graph: &Graph,
    facilities: &[Facility],
    options: &IsochroneOptions,
    profile: &Profile,
) -> Vec<Vec<Band>> {
    facilities
        .par_iter()
        .map_init(
            || SearchState::new(graph.node_count()),
            |state, f| {
                let origins = f.origins(graph);
                if origins.is_empty() {
                    return vec![];
                }
                to_bands(
                    graph,
                    isochrone_reusing(graph, &origins, options, profile, state),
                )
            },
        )
        .collect()
}

/// The area within one category's threshold of its nearest facility, and the
/// residential land outside it.
#[derive(Debug, Clone)]
pub struct CoverageArea {
    /// The category (index into the profile's).
    pub category: usize,
    /// Reached within the threshold, lon/lat.
    pub covered: MultiPolygon<f64>,
    /// Its area, square metres.
    pub covered_m2: f64,
    /// Communities' land not reached within it, lon/lat.
    pub gap: MultiPolygon<f64>,
    /// Its area, square metres.
    pub gap_m2: f64,
    /// The grid cell used (grows on very large areas).
    pub cell_m: f64,
}

/// Coverage and gap polygons per category from the multi-source times (whose
/// searches started at `origins`, one per category), each on one grid over
/// the whole graph (categories in parallel).
///
/// # Panics
/// On options [`IsochroneOptions::validate`] refuses.
pub fn coverage_areas(
    graph: &Graph,
    times: &[Vec<Time>],
    origins: &[Origins],
    communities: &[Community],
    options: &IsochroneOptions,
    profile: &Profile,
) -> Vec<CoverageArea> {
    assert_valid(options);
    let (mut lo, mut hi) = ([f64::MAX; 2], [f64::MIN; 2]);
    for p in graph.xy() {
        for k in 0..2 {
            lo[k] = lo[k].min(f64::from(p[k]));
            hi[k] = hi[k].max(f64::from(p[k]));
        }
    }
    let spec = fitted_spec(options, profile, lo, hi);
    // Residential land, rasterised once onto the city grid: the gaps come from
    // the grid too, so no polygon overlay of thousands of communities is needed.
    let projected: Vec<MultiPolygon<f64>> = communities
        .iter()
        .map(|c| {
            c.polygon.map_coords(|p| {
                let [x, y] = graph.projection().project([p.x, p.y]);
                geo::Coord { x, y }
            })
        })
        .collect();
    let residential = TimeGrid::new((lo, hi), &spec, 1).inside_mask(projected.iter());
    // Each thread keeps its grid buffer from one category to the next.
    (0..profile.categories.len())
        .into_par_iter()
        .map_init(Vec::new, |grid_buffer, k| {
            let threshold = minutes_to_time(profile.categories[k].minutes);
            let ramp = cell_time(&spec);
            let cap = threshold + ramp + margin_time(options, profile) + 1;
            let mut grid = TimeGrid::new_in((lo, hi), &spec, cap, std::mem::take(grid_buffer));
            grid.rasterize_edges(
                graph,
                0..graph.edges().len() as u32,
                |n| times[k][n as usize],
                &origins[k],
                &spec,
            );
            let covered = contours::contours(&grid, &[threshold], ramp as f32).remove(0);
            // Gap field: 0 on residential vertices not reached in time, 2 elsewhere.
            let mut gap_grid = grid;
            for (v, &home) in gap_grid.values.iter_mut().zip(&residential) {
                *v = if home && *v > threshold as f32 {
                    0.0
                } else {
                    2.0
                };
            }
            let gap = contours::contours(&gap_grid, &[1], 1.0).remove(0);
            *grid_buffer = gap_grid.into_values();
            CoverageArea {
                category: k,
                covered_m2: covered.unsigned_area(),
                gap_m2: gap.unsigned_area(),
                covered: to_lonlat(graph, &covered),
                gap: to_lonlat(graph, &gap),
                cell_m: spec.cell_m,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests;

//! The whole pipeline, top to bottom: ingest → walking graph → places →
//! search → coverage → summary. [`analyze`] runs it with the default profile;
//! [`analyze_with_options`] takes an [`AnalyzeOptions`].

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::community_file::{check_overlap, read_communities, CommunityFields};
use crate::coverage::{
    category_times, community_coverage, facility_reach, CommunityCoverage, FacilityReach,
};
use crate::error::{Error, Result};
use crate::graph::{Graph, Time};
use crate::ingest::{read_osm, IngestStats};
use crate::places::{
    communities, facilities, grid_communities, osm_communities, Community, Facility, PlaceStats,
};
use crate::profile::Profile;
use crate::snap::GraphIndex;

/// Cell size of the grid that stands in for communities when an extract maps
/// no residential land: 500 m, about one residential block group.
pub const GRID_CELL_M: f64 = 500.0;

/// How to run an analysis.
#[derive(Debug, Clone, Default)]
pub struct AnalyzeOptions {
    pub profile: Profile,
    /// A planner's community polygons (GeoJSON, WGS84) instead of OSM's.
    pub communities: Option<PathBuf>,
    pub community_fields: CommunityFields,
}

/// Wall time and memory of one phase.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PhaseTiming {
    pub phase: &'static str,
    pub seconds: f64,
    /// Peak resident memory of the process so far, MiB (Linux only).
    pub peak_rss_mib: Option<f64>,
    /// Items processed (blobs, nodes, searches, ...), to derive throughput.
    pub items: u64,
    pub unit: &'static str,
}

/// Everything an analysis found.
#[derive(Debug)]
pub struct Analysis {
    pub extract: PathBuf,
    pub profile: Profile,
    pub ingest: IngestStats,
    pub graph: Graph,
    pub facilities: Vec<Facility>,
    pub communities: Vec<Community>,
    /// Per category, every node's time to the nearest facility.
    pub times: Vec<Vec<Time>>,
    pub coverage: Vec<CommunityCoverage>,
    pub reach: Vec<FacilityReach>,
    pub places: PlaceStats,
    pub timings: Vec<PhaseTiming>,
    pub threads: usize,
    pub warnings: Vec<String>,
}

/// Analyses an extract with the default child profile and OSM communities.
pub fn analyze(extract: &Path) -> Result<Analysis> {
    analyze_with_options(extract, &AnalyzeOptions::default(), &mut |_| {})
}

/// Analyses an extract. `on_phase` is called as each phase starts (for progress).
pub fn analyze_with_options(
    extract: &Path,
    options: &AnalyzeOptions,
    on_phase: &mut dyn FnMut(&str),
) -> Result<Analysis> {
    let profile = &options.profile;
    let mut timings = Vec::new();
    let mut warnings = Vec::new();
    let mut clock = |phase: &'static str, start: Instant, items: u64, unit: &'static str| {
        timings.push(PhaseTiming {
            phase,
            seconds: start.elapsed().as_secs_f64(),
            peak_rss_mib: peak_rss_mib(),
            items,
            unit,
        });
    };

    on_phase("reading the extract");
    let t = Instant::now();
    let data = read_osm(extract, profile)?;
    clock("ingest", t, data.stats.file_bytes, "bytes");
    if data.walk_ways.is_empty() {
        return Err(Error::NoWalkableWays {
            path: extract.to_path_buf(),
        });
    }

    on_phase("building the walking graph");
    let t = Instant::now();
    let graph = Graph::build(&data, profile).map_err(|_| Error::NoWalkableWays {
        path: extract.to_path_buf(),
    })?;
    clock("graph", t, graph.node_count() as u64, "nodes");

    on_phase("finding facilities and communities");
    let t = Instant::now();
    let index = GraphIndex::new(&graph);
    let facilities = facilities(&data, &graph, &index, profile);
    if facilities.is_empty() {
        return Err(Error::NoFacilities {
            path: extract.to_path_buf(),
        });
    }
    let inputs = match &options.communities {
        Some(path) => {
            let file = read_communities(path, &options.community_fields)?;
            warnings.extend(
                file.warnings
                    .iter()
                    .map(|w| format!("{}: {w}", path.display())),
            );
            check_overlap(path, &file.communities, graph_bounds(&graph))?;
            file.communities
        }
        None => {
            let mapped = osm_communities(&data);
            if mapped.is_empty() {
                warnings.push(format!(
                    "the extract maps no residential areas; communities are {GRID_CELL_M} m grid cells (pass --communities FILE.geojson for real ones)"
                ));
                grid_communities(&graph, GRID_CELL_M)
            } else {
                mapped
            }
        }
    };
    if inputs.is_empty() {
        return Err(Error::NoCommunities {
            path: extract.to_path_buf(),
        });
    }
    let communities = communities(inputs, &graph, &index, profile);
    let places = PlaceStats {
        facilities: facilities.len(),
        facilities_unsnapped: facilities.iter().filter(|f| f.access.is_empty()).count(),
        communities: communities.len(),
        communities_unsnapped: communities.iter().filter(|c| c.access.is_empty()).count(),
    };
    if places.facilities_unsnapped > 0 {
        warnings.push(format!(
            "{} facilities are farther than {} m from any walkable way and were not used (snapped = false in facilities.geojson)",
            places.facilities_unsnapped, profile.max_snap_m
        ));
    }
    if places.communities_unsnapped > 0 {
        warnings.push(format!(
            "{} communities are farther than {} m from any walkable way (access = none in communities.geojson)",
            places.communities_unsnapped, profile.max_snap_m
        ));
    }
    clock(
        "places",
        t,
        (facilities.len() + communities.len()) as u64,
        "places",
    );
    let ingest = data.stats.clone();
    drop(data);

    on_phase("walking times per category");
    let t = Instant::now();
    let times = category_times(&graph, &facilities, profile);
    clock("multi-source search", t, times.len() as u64, "searches");

    on_phase("coverage of communities");
    let t = Instant::now();
    let coverage = community_coverage(&graph, &communities, &times, profile);
    clock("coverage", t, communities.len() as u64, "communities");

    on_phase("reach of every facility");
    let t = Instant::now();
    let reach = facility_reach(&graph, &facilities, &communities, profile);
    clock("facility searches", t, facilities.len() as u64, "searches");

    Ok(Analysis {
        extract: extract.to_path_buf(),
        profile: profile.clone(),
        ingest,
        graph,
        facilities,
        communities,
        times,
        coverage,
        reach,
        places,
        timings,
        threads: rayon::current_num_threads(),
        warnings,
    })
}

/// The lon/lat bounds of the graph's nodes.
fn graph_bounds(graph: &Graph) -> geo::Rect<f64> {
    let (mut lo, mut hi) = ([f64::MAX; 2], [f64::MIN; 2]);
    for n in 0..graph.node_count() as u32 {
        let p = graph.lonlat(n);
        for k in 0..2 {
            lo[k] = lo[k].min(p[k]);
            hi[k] = hi[k].max(p[k]);
        }
    }
    geo::Rect::new(
        geo::Coord { x: lo[0], y: lo[1] },
        geo::Coord { x: hi[0], y: hi[1] },
    )
}

/// Peak resident set size of this process, from `/proc/self/status` (Linux).
pub fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

//! The whole pipeline, top to bottom: ingest → walking graph → places →
//! search → coverage → summary. [`analyze`] runs it with the default profile;
//! [`analyze_with_options`] takes an [`AnalyzeOptions`].

use std::path::{Path, PathBuf};

use crate::coverage::{
    all_category_origins, category_times, centre_access, community_coverage_with_options,
    facility_reach, CategoryTimes, CommunityCoverage, CoverageOptions, CoverageRule, CoverageRules,
    FacilityReach,
};
use crate::error::{Error, Result};
use crate::isochrone::{self, facility_isochrones, Band, CoverageArea, IsochroneOptions};
use crate::network::graph::Graph;
use crate::osm::ingest::{read_osm, IngestStats, OsmData};
use crate::places::community_file::{repair_osm_communities, CommunityFields};
use crate::places::lists::community_points::communities_from_file;
use crate::places::lists::facility_file::{combine, read_facility_file};
use crate::places::snap::GraphIndex;
use crate::places::units::{Homes, Streets, UnitStats};
use crate::places::{
    assign_parents, communities, facilities, grid_communities, Community, Facility, PlaceStats,
};
use crate::profile::Profile;
use crate::search::origins::Origins;
use crate::time::Time;
use crate::timings::PhaseClock;
pub use crate::timings::{peak_rss_mib, PhaseTiming};

/// Cell size of the grid that stands in for communities when an extract maps
/// no residential land: 500 m, about one residential block group.
pub const GRID_CELL_M: f64 = 500.0;

/// How far a community's centre may lie from a walkable way under the
/// `centroid` rule (the walk to it counts as time): 1 km, beyond any threshold.
pub const CENTRE_SNAP_M: f64 = 1000.0;

/// How to run an analysis.
#[derive(Debug, Clone)]
pub struct AnalyzeOptions {
    /// The walking profile: speed, categories and thresholds, crossing rules.
    pub profile: Profile,
    /// The frame the walking graph is built in; `None`: its own nodes' box.
    /// A tile takes the whole extract's ([`crate::tiles::Plan::frame`]).
    pub frame: Option<crate::network::graph::Frame>,
    /// A planner's community polygons (GeoJSON, WGS84) instead of OSM's.
    pub communities: Option<PathBuf>,
    /// Which properties of `communities` hold the id, name, population and so on.
    pub community_fields: CommunityFields,
    /// How to read `communities` when it is a point list, and its CRS.
    pub community_input: crate::places::lists::InputOptions,
    /// A population raster (`--population FILE.tif`, GeoTIFF in EPSG:4326 or
    /// Mollweide): every unit's people from it, unless the planner's file
    /// gives them.
    pub population_raster: Option<PathBuf>,
    /// A planner's facility list (`--facilities`), added to or replacing OSM's.
    pub facility_file: Option<crate::places::lists::FacilityFileOptions>,
    /// Isochrone bands, grid and margin; `None` skips the polygons. Checked
    /// ([`IsochroneOptions::validate`]) before anything is read.
    pub isochrones: Option<IsochroneOptions>,
    /// Refuse, before reading the extract, a run estimated to need more
    /// memory than this many bytes (estimated with these options:
    /// [`crate::limits::check_memory_with_options`]).
    pub max_memory: Option<u64>,
    /// When a community counts as covered (`--coverage-rule`); default: each
    /// level's rule ([`CoverageRule::default_for`]).
    pub coverage_rules: CoverageRules,
}

impl Default for AnalyzeOptions {
    fn default() -> Self {
        AnalyzeOptions {
            profile: Profile::default(),
            frame: None,
            communities: None,
            community_fields: CommunityFields::default(),
            community_input: Default::default(),
            population_raster: None,
            facility_file: None,
            isochrones: Some(IsochroneOptions::default()),
            max_memory: None,
            coverage_rules: CoverageRules::default(),
        }
    }
}

/// Everything an analysis found.
#[derive(Debug)]
pub struct Analysis {
    /// The extract analysed.
    pub extract: PathBuf,
    /// The profile it was analysed with.
    pub profile: Profile,
    /// What reading the extract found and kept.
    pub ingest: IngestStats,
    /// The walking graph.
    pub graph: Graph,
    /// The children's facilities, snapped to the graph.
    pub facilities: Vec<Facility>,
    /// The communities (analysis units), snapped to the graph.
    pub communities: Vec<Community>,
    /// Per category, every node's time to the nearest facility.
    pub times: Vec<Vec<Time>>,
    /// Per category, where those searches started (for the walk straight
    /// along a facility's own edge, see [`crate::search::origins`]).
    pub origins: Vec<Origins>,
    /// Each community's result, one per community.
    pub coverage: Vec<CommunityCoverage>,
    /// The rules `coverage` was judged by.
    pub coverage_rules: CoverageRules,
    /// What each facility serves within its threshold, one per facility.
    pub reach: Vec<FacilityReach>,
    /// Places per child served, per facility and per category with places.
    pub capacity: crate::coverage::capacity::Places,
    /// Isochrone bands of every facility (empty without isochrone options).
    pub isochrones: Vec<Vec<Band>>,
    /// The options the isochrones were drawn with (`None`: not drawn).
    pub isochrone_options: Option<IsochroneOptions>,
    /// Coverage and gap polygons per category.
    pub coverage_areas: Vec<CoverageArea>,
    /// How many places were found and how many could not be snapped.
    pub places: PlaceStats,
    /// Which rule made how many communities, and the share of the extract's
    /// residential land and buildings they hold ([`crate::places::units`]).
    pub units: UnitStats,
    /// School levels, non-schools, overrides and facility sizes.
    pub classification: crate::osm::classify::Report,
    /// Wall time and memory of every phase, in order.
    pub timings: Vec<PhaseTiming>,
    /// The rayon threads the run used.
    pub threads: usize,
    /// What the planner should know about the input, one sentence each.
    pub warnings: Vec<String>,
    /// Whether the extract is the shipped synthetic Dezhou model: every
    /// output then says so ([`crate::defaults::SYNTHETIC_EN`]).
    pub synthetic: bool,
}

/// The communities to analyse: the planner's (`--communities`), else the
/// OSM analysis units ([`crate::places::units`]), else grid cells; with the unit
/// statistics measured on them.
fn unit_inputs(
    extract: &Path,
    options: &AnalyzeOptions,
    data: &OsmData,
    homes: &Homes,
    streets: &Streets,
    graph: &Graph,
    warnings: &mut Vec<String>,
) -> Result<(Vec<crate::places::CommunityInput>, UnitStats)> {
    let (inputs, mut stats) = match &options.communities {
        Some(path) => {
            let (inputs, notes) = communities_from_file(
                path,
                &options.community_input,
                &options.community_fields,
                data,
                graph_bounds(graph),
            )?;
            warnings.extend(notes.iter().map(|w| format!("{}: {w}", path.display())));
            (inputs, UnitStats::default())
        }
        None => {
            let (mut mapped, stats) = crate::places::units::osm_units(data, homes, streets);
            if !mapped.is_empty() && !crate::places::units::maps_residential_land(&mapped) {
                let before = mapped.len();
                crate::places::units::fill_with_grid(
                    &mut mapped,
                    grid_communities(graph, GRID_CELL_M),
                );
                warnings.push(format!(
                    "the extract maps no residential land or neighbourhood, only {before} blocks of residential buildings; {} {GRID_CELL_M} m grid cells stand in where there is none",
                    mapped.len() - before
                ));
            }
            warnings.extend(
                repair_osm_communities(&mut mapped)
                    .into_iter()
                    .map(|w| format!("{}: {w}", extract.display())),
            );
            if mapped.is_empty() {
                warnings.push(format!(
                    "the extract maps no residential areas, neighbourhoods or residential buildings; communities are {GRID_CELL_M} m grid cells (pass --communities FILE.geojson for real ones)"
                ));
                (grid_communities(graph, GRID_CELL_M), UnitStats::default())
            } else {
                (mapped, stats)
            }
        }
    };
    stats.by_rule.clear();
    for c in &inputs {
        *stats.by_rule.entry(c.rule.to_string()).or_default() += 1;
    }
    crate::places::units::measure_coverage(&mut stats, &inputs, homes);
    Ok((inputs, stats))
}

/// Every community's people from the raster (area-weighted, see
/// [`crate::places::population`]), except those the planner's file gives; the
/// raster's warning (uncovered share, skipped cells), if any.
fn raster_population(
    raster: &crate::places::population::PopulationRaster,
    communities: &mut [Community],
) -> Result<Option<String>> {
    let polygons: Vec<geo::MultiPolygon<f64>> =
        communities.iter().map(|c| c.polygon.clone()).collect();
    let sums = raster.people_in(&polygons)?;
    for (c, people) in communities.iter_mut().zip(&sums.per_unit) {
        if c.pop_source != "file" {
            c.population = Some(*people);
            c.pop_source = "raster";
        }
    }
    Ok(sums.warning(raster.path()))
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
    let mut run = Run::new(extract, options);
    let raster = run.check_options()?;
    on_phase("reading the extract");
    let (mut data, classification) = run.read()?;

    on_phase("building the walking graph");
    let (graph, index, streets) = run.graph(&mut data)?;

    on_phase("finding facilities and communities");
    let found = run.places(&data, streets, &graph, &index, raster.as_ref())?;
    let ingest = data.stats.clone();
    drop(data);

    on_phase("walking times per category");
    let profile = run.profile;
    let (walk, origins) = run.walk(&graph, &found.facilities);
    let times = walk.times;

    on_phase("coverage of communities");
    let walked = Walked {
        graph: &graph,
        times: &times,
        origins: &origins,
    };
    let coverage = run.coverage(&walked, &index, &found.communities, &walk.roads_crossed);

    on_phase("reach of every facility");
    let Found {
        facilities,
        communities,
        units,
        places,
    } = found;
    let (reach, capacity) = run.reach(&graph, &facilities, &communities);

    let (isochrones, coverage_areas) = match &options.isochrones {
        Some(iso) => run.isochrones(&walked, &facilities, &communities, iso, on_phase),
        None => (Vec::new(), Vec::new()),
    };

    Ok(Analysis {
        extract: extract.to_path_buf(),
        profile: profile.clone(),
        ingest,
        graph,
        facilities,
        communities,
        times,
        origins,
        coverage,
        coverage_rules: options.coverage_rules,
        reach,
        capacity,
        isochrones,
        isochrone_options: options.isochrones.clone(),
        coverage_areas,
        places,
        units,
        classification,
        timings: run.clock.into_timings(),
        threads: rayon::current_num_threads(),
        warnings: run.warnings,
        synthetic: crate::defaults::is_dezhou_model(extract),
    })
}

/// One analysis under way: what it was asked, its clock and its warnings.
struct Run<'a> {
    extract: &'a Path,
    options: &'a AnalyzeOptions,
    profile: &'a Profile,
    clock: PhaseClock,
    warnings: Vec<String>,
}

/// The facilities and communities found, snapped and counted.
struct Found {
    facilities: Vec<Facility>,
    communities: Vec<Community>,
    units: UnitStats,
    places: PlaceStats,
}

/// The graph and the walking times over it that later stages read.
#[derive(Clone, Copy)]
struct Walked<'a> {
    graph: &'a Graph,
    times: &'a [Vec<Time>],
    origins: &'a [Origins],
}

impl<'a> Run<'a> {
    /// Starts the clock on a run of `extract` under `options`.
    fn new(extract: &'a Path, options: &'a AnalyzeOptions) -> Self {
        Run {
            extract,
            options,
            profile: &options.profile,
            clock: PhaseClock::start(),
            warnings: Vec::new(),
        }
    }

    /// The walking time from every node to each category's nearest
    /// facility, and each category's search starts.
    fn walk(&mut self, graph: &Graph, facilities: &[Facility]) -> (CategoryTimes, Vec<Origins>) {
        let times = category_times(graph, facilities, self.profile);
        let origins = all_category_origins(graph, facilities, self.profile);
        self.clock
            .mark("multi-source search", times.times.len() as u64, "searches");
        (times, origins)
    }

    /// Every facility's bounded search: the communities it reaches per band,
    /// and the places per child that follow from them.
    fn reach(
        &mut self,
        graph: &Graph,
        facilities: &[Facility],
        communities: &[Community],
    ) -> (Vec<FacilityReach>, crate::coverage::capacity::Places) {
        let bands = self
            .options
            .isochrones
            .as_ref()
            .map_or(&[][..], |o| &o.bands_min[..]);
        let reach = facility_reach(graph, facilities, communities, self.profile, bands);
        let capacity =
            crate::coverage::capacity::places(self.profile, facilities, communities, &reach);
        self.clock
            .mark("facility searches", facilities.len() as u64, "searches");
        (reach, capacity)
    }

    /// Builds the walking graph and its spatial index, and keeps the street
    /// names; frees the ways.
    fn graph(&mut self, data: &mut OsmData) -> Result<(Graph, GraphIndex, Streets)> {
        let graph = Graph::build_in(data, self.profile, self.options.frame).map_err(|_| {
            Error::NoWalkableWays {
                path: self.extract.to_path_buf(),
            }
        })?;
        // The index reads the graph, the streets the ways: side by side.
        let (index, streets) = rayon::join(|| GraphIndex::new(&graph), || Streets::new(data));
        data.release_walkable_ways();
        self.clock.mark("graph", graph.node_count() as u64, "nodes");
        Ok((graph, index, streets))
    }

    /// Every facility's isochrone polygons, then each category's covered and
    /// gap areas.
    fn isochrones(
        &mut self,
        walked: &Walked,
        facilities: &[Facility],
        communities: &[Community],
        iso: &IsochroneOptions,
        on_phase: &mut dyn FnMut(&str),
    ) -> (Vec<Vec<Band>>, Vec<CoverageArea>) {
        let profile = self.profile;
        on_phase("isochrone polygons of every facility");
        let isochrones = facility_isochrones(walked.graph, facilities, iso, profile);
        let polygons = isochrones.iter().map(Vec::len).sum::<usize>();
        self.clock.mark("isochrones", polygons as u64, "polygons");

        on_phase("coverage and gap areas");
        let areas = isochrone::coverage_areas(
            walked.graph,
            walked.times,
            walked.origins,
            communities,
            iso,
            profile,
        );
        self.clock
            .mark("coverage areas", areas.len() as u64, "categories");
        (isochrones, areas)
    }

    /// Refuses bad isochrone options and a run estimated to need too much
    /// memory before anything is read; opens the population raster.
    fn check_options(&self) -> Result<Option<crate::places::population::PopulationRaster>> {
        let options = self.options;
        if let Some(iso) = &options.isochrones {
            iso.validate()?;
        }
        if let Some(max) = options.max_memory {
            crate::limits::check_memory_with_options(
                self.extract,
                max,
                self.profile,
                options.isochrones.as_ref(),
            )?;
        }
        match &options.population_raster {
            Some(path) => Ok(Some(crate::places::population::PopulationRaster::open(
                path,
            )?)),
            None => Ok(None),
        }
    }

    /// Reads the extract and classifies its facilities.
    fn read(&mut self) -> Result<(OsmData, crate::osm::classify::Report)> {
        let mut data = read_osm(self.extract, self.profile)?;
        self.clock.mark("ingest", data.stats.file_bytes, "bytes");
        check_walkable(&data, self.extract)?;
        let classification = classify_report(&mut data, self.profile);
        self.warnings.extend(classification.warnings(self.profile));
        self.clock.mark(
            "classification",
            (data.areas.len() + data.points.len()) as u64,
            "objects",
        );
        Ok((data, classification))
    }

    /// The facilities (the extract's, the planner's list, or both) and the
    /// communities with their people, snapped to the graph.
    fn places(
        &mut self,
        data: &OsmData,
        streets: Streets,
        graph: &Graph,
        index: &GraphIndex,
        raster: Option<&crate::places::population::PopulationRaster>,
    ) -> Result<Found> {
        let (extract, profile) = (self.extract, self.profile);
        let mut facilities = facilities(data, graph, index, profile);
        if let Some(file) = &self.options.facility_file {
            let read = read_facility_file(file, profile, graph_bounds(graph))?;
            let combined = combine(facilities, &read, file.mode, graph, index, profile);
            self.warnings.extend(combined.warnings);
            facilities = combined.facilities;
        }
        if facilities.is_empty() {
            return Err(Error::NoFacilities {
                path: extract.to_path_buf(),
            });
        }
        let homes = Homes::new(data);
        let (inputs, units) = unit_inputs(
            extract,
            self.options,
            data,
            &homes,
            &streets,
            graph,
            &mut self.warnings,
        )?;
        drop(streets);
        if inputs.is_empty() {
            return Err(Error::NoCommunities {
                path: extract.to_path_buf(),
            });
        }
        let mut communities = communities(inputs, graph, index, profile);
        assign_parents(&mut communities);
        if let Some(raster) = raster {
            self.warnings
                .extend(raster_population(raster, &mut communities)?);
        }
        crate::places::units::fill_population(&mut communities, &homes, &profile.population);
        let places = PlaceStats {
            facilities: facilities.len(),
            facilities_unsnapped: facilities.iter().filter(|f| f.access.is_empty()).count(),
            communities: communities.len(),
            communities_unsnapped: communities.iter().filter(|c| c.access.is_empty()).count(),
        };
        self.warn_unsnapped(&places);
        self.clock.mark(
            "places",
            (facilities.len() + communities.len()) as u64,
            "places",
        );
        Ok(Found {
            facilities,
            communities,
            units,
            places,
        })
    }

    /// Says how many places lie too far from any walkable way.
    fn warn_unsnapped(&mut self, places: &PlaceStats) {
        let max_snap_m = self.profile.max_snap_m;
        if places.facilities_unsnapped > 0 {
            self.warnings.push(format!(
                "{} facilities are farther than {} m from any walkable way and were not used (snapped = false in facilities.geojson)",
                places.facilities_unsnapped, max_snap_m
            ));
        }
        if places.communities_unsnapped > 0 {
            self.warnings.push(format!(
                "{} communities are farther than {} m from any walkable way (access = none in communities.geojson)",
                places.communities_unsnapped, max_snap_m
            ));
        }
    }

    /// Every community judged against the category times under its level's
    /// rule.
    fn coverage(
        &mut self,
        walked: &Walked,
        index: &GraphIndex,
        communities: &[Community],
        roads_crossed: &[Vec<u8>],
    ) -> Vec<CommunityCoverage> {
        let Walked {
            graph,
            times,
            origins,
        } = *walked;
        let rules = self.options.coverage_rules;
        let centres = if communities
            .iter()
            .any(|c| rules.for_kind(c.kind) == CoverageRule::Centroid)
        {
            // The centre may lie deep inside a large block: the walk out to the
            // nearest way counts as walking time, so it may be long.
            centre_access(graph, index, communities, CENTRE_SNAP_M)
        } else {
            Vec::new()
        };
        let options = CoverageOptions {
            roads_crossed: Some(roads_crossed),
            rules,
            centres: &centres,
        };
        let coverage = community_coverage_with_options(
            graph,
            communities,
            times,
            origins,
            self.profile,
            &options,
        );
        self.clock
            .mark("coverage", communities.len() as u64, "communities");
        coverage
    }
}

/// An extract must have walkable ways, and their nodes.
fn check_walkable(data: &OsmData, extract: &Path) -> Result<()> {
    if data.walk_ways.is_empty() {
        return Err(Error::NoWalkableWays {
            path: extract.to_path_buf(),
        });
    }
    if data.stats.coordinates_kept == 0 {
        return Err(Error::Pbf {
            path: extract.to_path_buf(),
            reason: format!(
                "its {} walkable ways reference nodes the file does not contain (cut it with osmium extract's default complete_ways strategy)",
                data.walk_ways.len()
            ),
        });
    }
    Ok(())
}

/// Merges schools mapped inside schools, applies the profile's facility sizes
/// to the extract's areas and reports
/// what classification did ([`crate::osm::classify`]).
fn classify_report(data: &mut OsmData, profile: &Profile) -> crate::osm::classify::Report {
    let nested = crate::osm::classify::nesting::apply(data, profile);
    let sizes = crate::osm::classify::size::apply(data, profile);
    crate::osm::classify::Report::new(profile, &data.notes, nested, sizes)
}

/// Reads an extract and builds its walking graph.
pub fn load_network(extract: &Path, profile: &Profile) -> Result<(OsmData, Graph)> {
    let mut data = read_osm(extract, profile)?;
    check_walkable(&data, extract)?;
    classify_report(&mut data, profile);
    let graph = Graph::build(&data, profile).map_err(|_| Error::NoWalkableWays {
        path: extract.to_path_buf(),
    })?;
    data.release_walkable_ways();
    Ok((data, graph))
}

/// The walking graph and facilities of an extract (for `export-graph`).
pub fn load_facilities(extract: &Path, profile: &Profile) -> Result<(Graph, Vec<Facility>)> {
    let (data, graph) = load_network(extract, profile)?;
    let index = GraphIndex::new(&graph);
    let facilities = facilities(&data, &graph, &index, profile);
    if facilities.is_empty() {
        return Err(Error::NoFacilities {
            path: extract.to_path_buf(),
        });
    }
    Ok((graph, facilities))
}

/// Isochrone bands around one point: the `childcircle isochrone` command.
/// The point snaps to the nearest walkable way within the profile's
/// `max_snap_m`.
pub fn point_isochrone(
    extract: &Path,
    lonlat: [f64; 2],
    options: &IsochroneOptions,
    profile: &Profile,
) -> Result<Vec<Band>> {
    if !(lonlat[0].abs() <= 180.0 && lonlat[1].abs() <= 90.0) {
        return Err(Error::Invalid(format!(
            "({}, {}) is not a longitude/latitude pair",
            lonlat[0], lonlat[1]
        )));
    }
    options.validate()?;
    let (_, graph) = load_network(extract, profile)?;
    let index = GraphIndex::new(&graph);
    let access = index
        .snap(
            &graph,
            graph.projection().project(lonlat),
            profile.max_snap_m,
        )
        .ok_or_else(|| {
            Error::Invalid(format!(
                "({}, {}) is farther than {} m from any walkable way of {}",
                lonlat[0],
                lonlat[1],
                profile.max_snap_m,
                extract.display()
            ))
        })?;
    let origins = Origins::new(&graph, [&access]);
    Ok(isochrone::isochrone(&graph, &origins, options, profile))
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

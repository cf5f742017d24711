//! The loaded model and the one question both APIs ask of it: which area, and
//! which communities and facilities, a walk from some points reaches within
//! some contours. Built once at start from the library's own pipeline
//! ([`childcircle::analysis::analyze_with_options`]); answered on worker threads,
//! each reusing its search state ([`childcircle::search::with_thread_state`]).

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use geo::{Area, MultiPolygon, Simplify};

use childcircle::analysis::{analyze_with_options, AnalyzeOptions};
use childcircle::isochrone::{isochrone_reusing, to_lonlat, IsochroneOptions};
use childcircle::network::graph::Graph;
use childcircle::places::{Community, Facility};
use childcircle::profile::Profile;
use childcircle::scenario::Base;
use childcircle::search::origins::Origins;
use childcircle::search::position::AccessPoint;
use childcircle::search::{with_thread_state, SearchState};
use childcircle::time::{Time, UNREACHED};

/// Grid cell of served isochrones, metres (the `analyze` default).
pub const CELL_M: f64 = 25.0;
/// How far off the network a walker may step, metres (the `analyze` default).
pub const MARGIN_M: f64 = 50.0;

/// What a contour measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// Minutes of walking.
    Time,
    /// Kilometres walked.
    Distance,
}

/// Which weighting of the walking graph a query walks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Network {
    /// The served profile (`--profile`, `--age`).
    Base,
    /// One of the profile's age groups, by index into [`Engine::age_names`].
    Age(usize),
}

/// One isochrone question.
#[derive(Debug, Clone)]
pub struct Query {
    pub network: Network,
    /// Start points, lon/lat; several make one combined isochrone.
    pub locations: Vec<[f64; 2]>,
    pub metric: Metric,
    /// Contour values: minutes ([`Metric::Time`]) or km ([`Metric::Distance`]).
    pub contours: Vec<f64>,
    /// Walking speed asked for, m/s; `None` walks at the profile's speed.
    pub speed_mps: Option<f64>,
    /// Simplification tolerance, metres; `None` uses the grid cell.
    pub generalize_m: Option<f64>,
    /// Keep only parts at least this share of the largest part's area (0..=1).
    pub denoise: f64,
}

/// Communities and facilities one contour reaches (the childcircle extension).
#[derive(Debug, Clone, Default)]
pub struct Reach {
    /// Indices into [`Engine::communities`], nearest first.
    pub communities: Vec<usize>,
    /// Summed population of the reached communities that have one.
    pub population: f64,
    /// How many reached communities have a population.
    pub with_population: usize,
    /// Facilities reached per profile category (index into the categories).
    pub facilities: Vec<usize>,
}

/// One contour of an answer.
#[derive(Debug, Clone)]
pub struct Contour {
    /// The value asked for (minutes or km).
    pub value: f64,
    /// Lon/lat polygon after denoising and generalization.
    pub polygon: MultiPolygon<f64>,
    /// Area of `polygon`, m².
    pub area_m2: f64,
    pub reach: Reach,
}

/// The answer to a [`Query`]: the snapped start points and one contour per
/// asked value, in the order asked.
#[derive(Debug, Clone)]
pub struct Answer {
    pub snapped: Vec<[f64; 2]>,
    pub contours: Vec<Contour>,
}

/// Why a query has no answer.
#[derive(Debug, Clone, PartialEq)]
pub enum QueryError {
    /// Location `index` is farther than the profile's snap radius from any way.
    NoSuitableEdges {
        index: usize,
        lonlat: [f64; 2],
        radius_m: f64,
    },
}

/// A weighting of the graph that is built on first use.
#[derive(Debug)]
struct Variant {
    name: String,
    profile: Profile,
    graph: OnceLock<Graph>,
}

/// Everything loaded at start.
pub struct Engine {
    pub extract: PathBuf,
    /// The extract's modification time, seconds since 1970 (for `/status`).
    pub extract_modified: u64,
    pub profile: Profile,
    /// The loaded analysis (graph, places, category times and coverage),
    /// shared read-only with every what-if scenario.
    pub base: Arc<Base>,
    ages: Vec<Variant>,
    distance: Variant,
    /// The places that have an access point on an edge at each node.
    places: PlacesByNode,
}

/// Which communities and facilities have an access point on an edge at each
/// graph node (CSR: `first[n]..first[n + 1]` indexes `items`; a facility's
/// index has [`FACILITY`] set). A search reaches a place only through a
/// reached end of one of its edges, or along an edge it started on, so the
/// places listed under the nodes it settled and the ends of its start edges
/// are the only ones it can reach: a query looks at those, not at every place
/// of the extract.
struct PlacesByNode {
    first: Vec<u32>,
    items: Vec<u32>,
}

/// Marks a facility in [`PlacesByNode::items`].
const FACILITY: u32 = 1 << 31;

impl PlacesByNode {
    fn new(graph: &Graph, communities: &[Community], facilities: &[Facility]) -> PlacesByNode {
        let mut pairs: Vec<(u32, u32)> = Vec::new();
        let mut add = |id: u32, access: &[AccessPoint]| {
            for a in access {
                let e = graph.edges()[a.pos.edge as usize];
                pairs.push((e.u, id));
                pairs.push((e.v, id));
            }
        };
        for (i, c) in communities.iter().enumerate() {
            add(i as u32, &c.access);
        }
        for (i, f) in facilities.iter().enumerate() {
            add(i as u32 | FACILITY, &f.access);
        }
        pairs.sort_unstable();
        pairs.dedup();
        let mut first = vec![0u32; graph.node_count() + 1];
        for &(n, _) in &pairs {
            first[n as usize + 1] += 1;
        }
        for n in 0..graph.node_count() {
            first[n + 1] += first[n];
        }
        PlacesByNode {
            first,
            items: pairs.into_iter().map(|(_, id)| id).collect(),
        }
    }

    fn at(&self, node: u32) -> &[u32] {
        &self.items[self.first[node as usize] as usize..self.first[node as usize + 1] as usize]
    }

    /// The places a finished search may have reached, each once, in order
    /// (communities, then facilities).
    fn candidates(&self, graph: &Graph, state: &SearchState, origins: &Origins) -> Vec<u32> {
        let mut out: Vec<u32> = state
            .settled()
            .iter()
            .flat_map(|&n| self.at(n).iter().copied())
            .collect();
        for o in origins.iter() {
            let e = graph.edges()[o.pos.edge as usize];
            out.extend_from_slice(self.at(e.u));
            out.extend_from_slice(self.at(e.v));
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

impl Engine {
    /// Loads an extract with the same pipeline as `analyze` (no polygons).
    pub fn load(extract: &Path, profile: &Profile) -> childcircle::Result<Engine> {
        let options = AnalyzeOptions {
            profile: profile.clone(),
            isochrones: None,
            ..AnalyzeOptions::default()
        };
        let analysis = analyze_with_options(extract, &options, &mut |_| {})?;
        let variant = |name: String, profile: Profile| Variant {
            name,
            profile,
            graph: OnceLock::new(),
        };
        let base = profile.clone();
        let ages = base
            .ages
            .iter()
            .filter_map(|g| {
                let p = base.for_age(&g.id).ok()?;
                Some(variant(format!("{}-{}", base.name, g.id), p))
            })
            .collect();
        let extract_modified = std::fs::metadata(extract)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_secs());
        let model = Base::from_analysis(analysis);
        let places = PlacesByNode::new(&model.graph, &model.communities, &model.facilities);
        Ok(Engine {
            places,
            extract: extract.to_path_buf(),
            extract_modified,
            distance: variant(
                "distance".into(),
                childcircle::write::export::distance_profile(&base),
            ),
            profile: base,
            base: Arc::new(model),
            ages,
        })
    }

    /// The age groups' network names, e.g. `child-6-12`.
    pub fn age_names(&self) -> impl Iterator<Item = &str> + '_ {
        self.ages.iter().map(|v| v.name.as_str())
    }

    /// The network an API profile name walks: `None` if unknown.
    pub fn network(&self, name: &str) -> Option<Network> {
        match name {
            "foot-walking" | "pedestrian" => Some(Network::Base),
            _ => self
                .ages
                .iter()
                .position(|v| v.name == name)
                .map(Network::Age),
        }
    }

    /// The base walking graph.
    pub fn graph(&self) -> &Graph {
        &self.base.graph
    }

    /// The communities of the loaded extract.
    pub fn communities(&self) -> &[Community] {
        &self.base.communities
    }

    /// The facilities of the loaded extract.
    pub fn facilities(&self) -> &[Facility] {
        &self.base.facilities
    }

    /// The graph and profile a query walks.
    fn weighted(&self, network: Network, metric: Metric) -> (&Graph, &Profile) {
        let variant = match (metric, network) {
            (Metric::Distance, _) => &self.distance,
            (Metric::Time, Network::Base) => return (&self.base.graph, &self.profile),
            (Metric::Time, Network::Age(i)) => &self.ages[i],
        };
        let graph = variant
            .graph
            .get_or_init(|| self.base.graph.reweighted(&variant.profile));
        (graph, &variant.profile)
    }

    /// Walking speed of a query's network, m/s.
    pub fn speed_mps(&self, network: Network) -> f64 {
        match network {
            Network::Base => self.profile.walking_speed_mps,
            Network::Age(i) => self.ages[i].profile.walking_speed_mps,
        }
    }

    /// Answers one query (runs a search: call it on a worker thread).
    pub fn answer(&self, q: &Query) -> Result<Answer, QueryError> {
        let (graph, profile) = self.weighted(q.network, q.metric);
        let mut starts = Vec::with_capacity(q.locations.len());
        let mut snapped = Vec::with_capacity(q.locations.len());
        for (index, &lonlat) in q.locations.iter().enumerate() {
            let xy = graph.projection().project(lonlat);
            let access = self.base.index.snap(graph, xy, profile.max_snap_m).ok_or(
                QueryError::NoSuitableEdges {
                    index,
                    lonlat,
                    radius_m: profile.max_snap_m,
                },
            )?;
            snapped.push(graph.projection().unproject(point_on_edge(graph, &access)));
            starts.push(access);
        }
        let origins = Origins::new(graph, &starts);
        // Contours in the network's minutes: a faster walker asked for reaches
        // in T minutes what the profile's walker reaches in T·v/v₀.
        let scale = match q.metric {
            Metric::Time => q.speed_mps.map_or(1.0, |v| v / profile.walking_speed_mps),
            Metric::Distance => 1000.0 / 60.0 / profile.walking_speed_mps,
        };
        let mut bands: Vec<f64> = q.contours.iter().map(|c| c * scale).collect();
        bands.sort_by(f64::total_cmp);
        bands.dedup();
        let options = IsochroneOptions {
            bands_min: bands.clone(),
            cell_m: CELL_M,
            margin_m: MARGIN_M,
            max_city_vertices: 4_000_000,
        };
        let (polygons, reaches) = with_thread_state(graph.node_count(), |state| {
            let polygons = isochrone_reusing(graph, &origins, &options, profile, state);
            let reaches = self.reaches(graph, state, &origins, &bands);
            (polygons, reaches)
        });
        let contours = q
            .contours
            .iter()
            .map(|&value| {
                let i = bands
                    .iter()
                    .position(|&b| b == value * scale)
                    .expect("every contour has a band");
                let projected =
                    denoise(&polygons[i].1, q.denoise).simplify(q.generalize_m.unwrap_or(CELL_M));
                Contour {
                    value,
                    area_m2: projected.unsigned_area(),
                    polygon: to_lonlat(graph, &projected),
                    reach: reaches[i].clone(),
                }
            })
            .collect();
        Ok(Answer { snapped, contours })
    }

    /// The communities and facilities within each band of a finished search.
    fn reaches(
        &self,
        graph: &Graph,
        state: &SearchState,
        origins: &Origins,
        bands_min: &[f64],
    ) -> Vec<Reach> {
        let candidates = self.places.candidates(graph, state, origins);
        self.reaches_among(graph, state, origins, bands_min, &candidates)
    }

    /// [`Engine::reaches`] among some places (ids as in [`PlacesByNode`],
    /// ascending); the others count as unreached.
    fn reaches_among(
        &self,
        graph: &Graph,
        state: &SearchState,
        origins: &Origins,
        bands_min: &[f64],
        candidates: &[u32],
    ) -> Vec<Reach> {
        // An access point is reached through a reached end of its edge or
        // along the edge from a start on it; checking that first skips the
        // places the search never came near.
        let near = |a: &AccessPoint| {
            let e = graph.edges()[a.pos.edge as usize];
            state.time(e.u) != UNREACHED
                || state.time(e.v) != UNREACHED
                || !origins.on_edge(a.pos.edge).is_empty()
        };
        let time = |access: &[AccessPoint]| -> Time {
            access
                .iter()
                .filter(|a| near(a))
                .map(|a| a.time_from(graph, |n| state.time(n), origins))
                .min()
                .unwrap_or(UNREACHED)
        };
        let split = candidates.partition_point(|&id| id & FACILITY == 0);
        let mut communities: Vec<(Time, usize)> = candidates[..split]
            .iter()
            .map(|&i| (time(&self.communities()[i as usize].access), i as usize))
            .filter(|&(t, _)| t != UNREACHED)
            .collect();
        communities.sort_unstable();
        let facilities: Vec<(Time, usize)> = candidates[split..]
            .iter()
            .map(|&i| &self.facilities()[(i & !FACILITY) as usize])
            .map(|f| (time(&f.access), f.category))
            .filter(|&(t, _)| t != UNREACHED)
            .collect();
        bands_min
            .iter()
            .map(|&m| {
                let limit = childcircle::time::minutes_to_time(m);
                let mut reach = Reach {
                    facilities: vec![0; self.profile.categories.len()],
                    ..Reach::default()
                };
                for &(_, i) in communities.iter().take_while(|(t, _)| *t <= limit) {
                    reach.communities.push(i);
                    if let Some(p) = self.communities()[i].population {
                        reach.population += p;
                        reach.with_population += 1;
                    }
                }
                for &(_, c) in facilities.iter().filter(|(t, _)| *t <= limit) {
                    reach.facilities[c] += 1;
                }
                reach
            })
            .collect()
    }
}

/// The projected point where an access point meets its edge.
pub(crate) fn point_on_edge(graph: &Graph, access: &AccessPoint) -> [f64; 2] {
    let shape = graph.shape(access.pos.edge);
    let xy = |p: [f32; 2]| [f64::from(p[0]), f64::from(p[1])];
    let seg = |a: [f64; 2], b: [f64; 2]| (b[0] - a[0]).hypot(b[1] - a[1]);
    let total: f64 = shape.windows(2).map(|w| seg(xy(w[0]), xy(w[1]))).sum();
    let length = f64::from(graph.edges()[access.pos.edge as usize].length_m);
    let mut left = if length > 0.0 {
        f64::from(access.pos.offset_m) / length * total
    } else {
        0.0
    };
    for w in shape.windows(2) {
        let (a, b) = (xy(w[0]), xy(w[1]));
        let d = seg(a, b);
        if left <= d && d > 0.0 {
            let f = left / d;
            return [a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1])];
        }
        left -= d;
    }
    shape.last().map_or([0.0, 0.0], |&p| xy(p))
}

/// Drops the parts smaller than `share` of the largest part (Valhalla's
/// `denoise`: 1 keeps only the largest, 0 keeps all).
fn denoise(mp: &MultiPolygon<f64>, share: f64) -> MultiPolygon<f64> {
    let largest = mp.0.iter().map(|p| p.unsigned_area()).fold(0.0, f64::max);
    let mut kept: Vec<_> =
        mp.0.iter()
            .filter(|p| p.unsigned_area() >= share * largest)
            .cloned()
            .collect();
    if share >= 1.0 {
        kept.truncate(1);
    }
    MultiPolygon(kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The places looked at through [`PlacesByNode`] give the same reach as
    /// looking at every place of the extract, on seeded random points of
    /// Monaco, for the served walker and an age group.
    #[test]
    fn reaches_by_node_index_match_a_scan_of_every_place() {
        const SEED: u64 = 0x16;
        let extract = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/osm/monaco.osm.pbf");
        let engine = Engine::load(&extract, &Profile::default()).expect("Monaco loads");
        let everything: Vec<u32> = (0..engine.communities().len() as u32)
            .chain((0..engine.facilities().len() as u32).map(|i| i | FACILITY))
            .collect();
        let mut rng = childcircle::rng::SplitMix64::new(SEED);
        let (mut compared, mut reached) = (0, 0);
        for case in 0..200 {
            let network = if case % 3 == 0 {
                Network::Age(0)
            } else {
                Network::Base
            };
            let (graph, profile) = engine.weighted(network, Metric::Time);
            let node = rng.below_u64(graph.node_count() as u64) as u32;
            let [lon, lat] = graph.lonlat(node);
            let lonlat = [lon + 2e-4, lat - 1e-4];
            let xy = graph.projection().project(lonlat);
            let Some(access) = engine.base.index.snap(graph, xy, profile.max_snap_m) else {
                continue;
            };
            let origins = Origins::new(graph, &[access]);
            let bands = [2.0, 6.0, 15.0];
            let limit = childcircle::time::minutes_to_time(15.0) + 1;
            with_thread_state(graph.node_count(), |state| {
                state.run(graph, &origins.seeds(graph), limit);
                let fast = engine.reaches(graph, state, &origins, &bands);
                let slow = engine.reaches_among(graph, state, &origins, &bands, &everything);
                for (a, b) in fast.iter().zip(&slow) {
                    assert_eq!(a.communities, b.communities, "seed {SEED} case {case}");
                    assert_eq!(a.facilities, b.facilities, "seed {SEED} case {case}");
                    assert_eq!(
                        a.population.to_bits(),
                        b.population.to_bits(),
                        "seed {SEED} case {case}"
                    );
                    assert_eq!(a.with_population, b.with_population);
                    reached += a.communities.len() + a.facilities.iter().sum::<usize>();
                }
            });
            compared += 1;
        }
        assert!(
            compared > 100 && reached > 1000,
            "{compared} points, {reached} places reached"
        );
    }
}

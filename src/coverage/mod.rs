//! Stage 6: coverage — which communities reach which children's spaces in time.
//!
//! For each category one multi-source search (categories in parallel) gives every
//! node its time to the nearest facility of that category. A community's time is
//! the best over its access points; it is covered when that time is within the
//! category's threshold, and the share of its walking nodes within the threshold
//! tells how much of it is. A community is in the **15-minute children's life
//! circle** when every required category is covered.
//!
//! What "covered" means is the [`CoverageRule`]: `access` (the best gate or
//! entrance, or walking node inside, is within the threshold), `centroid`
//! (the walk from the community's representative point), or `share:F` (at
//! least a share F of the community's walking nodes is within it).
//! [`CoverageRules`] picks one per level; see [`CoverageRule::default_for`]
//! for the defaults and why.
//!
//! Each facility also gets a bounded single-source search (facilities in
//! parallel, one reusable [`SearchState`] per thread) that says how much network
//! and how many communities it serves within its own threshold.

pub mod capacity;

use rayon::prelude::*;
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, AABB};

use crate::network::graph::Graph;
use crate::places::{Community, Facility};
use crate::profile::Profile;
use crate::search::origins::{Origins, Via};
use crate::search::position::AccessPoint;
use crate::search::{multi_source_times_and_roads_crossed, SearchState, Seed};
use crate::time::{minutes_to_time, time_to_minutes, Time, UNREACHED};

/// One community's result for every category (indexed like the profile's).
#[derive(Debug, Clone, PartialEq)]
pub struct CommunityCoverage {
    /// Minutes to the nearest facility, `None` when none is within the search limit.
    pub minutes: Vec<Option<f64>>,
    /// Whether the category is covered under the community's rule.
    pub covered: Vec<bool>,
    /// Share of the community's walking nodes within the threshold.
    pub share: Vec<Option<f64>>,
    /// Major roads crossed on the best walk (`None` when unreachable).
    pub roads_crossed: Vec<Option<u8>>,
    /// Number of categories covered.
    pub met: usize,
    /// Every required category covered.
    pub life_circle: bool,
}

/// What one facility serves within its category's threshold.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FacilityReach {
    /// Walking nodes within the threshold.
    pub nodes: usize,
    /// Communities with an access point within the threshold.
    pub communities: usize,
    /// People of those communities.
    pub population: f64,
    /// Population of the communities reached within each isochrone band.
    pub band_population: Vec<f64>,
    /// The communities reached within the threshold and their times, for
    /// categories with places only ([`crate::profile::Category::places`]):
    /// what [`crate::coverage::capacity`] finds each community's nearest
    /// facility from. Empty for other categories.
    pub within: Vec<(u32, Time)>,
}

/// When a community counts as covered for a category.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CoverageRule {
    /// Any access point (gate, entrance, walking node inside) within the
    /// threshold: the best case of the community's residents.
    Access,
    /// The walk from the community's representative point (inside the
    /// polygon), snapped to the nearest walkable way: a resident of the centre.
    Centroid,
    /// Covered under `access` and at least this share of the community's
    /// walking nodes within the threshold (0 < F ≤ 1): stricter than
    /// `access`, never looser. A community with no walking node inside is
    /// small enough that its gates stand for everyone: [`CoverageRule::Access`].
    /// (By walking nodes: the population per node is not known yet.)
    Share(f64),
}

impl CoverageRule {
    /// Parses `access`, `centroid` or `share:F` (0 < F ≤ 1); anything else is
    /// an [`Error::BadOption`](crate::Error::BadOption) naming `--coverage-rule`.
    ///
    /// ```
    /// use childcircle::coverage::CoverageRule;
    /// assert_eq!(CoverageRule::parse("share:0.5").unwrap(), CoverageRule::Share(0.5));
    /// assert!(CoverageRule::parse("share:1.5").is_err());
    /// assert!(CoverageRule::parse("foo").is_err());
    /// ```
    pub fn parse(text: &str) -> crate::error::Result<CoverageRule> {
        let bad = |reason: String| crate::error::Error::BadOption {
            option: "--coverage-rule",
            reason,
        };
        match text.trim() {
            "access" => Ok(CoverageRule::Access),
            "centroid" => Ok(CoverageRule::Centroid),
            t => {
                let Some(f) = t.strip_prefix("share:") else {
                    return Err(bad(format!(
                        "must be access, centroid or share:F (e.g. share:0.5), not \"{t}\""
                    )));
                };
                match f.trim().parse::<f64>() {
                    Ok(v) if v > 0.0 && v <= 1.0 => Ok(CoverageRule::Share(v)),
                    _ => Err(bad(format!(
                        "share:F needs a share F with 0 < F <= 1 (e.g. share:0.5), not \"{f}\""
                    ))),
                }
            }
        }
    }

    /// The rule as the command line spells it: `access`, `centroid`, `share:0.5`.
    pub fn label(&self) -> String {
        match self {
            CoverageRule::Access => "access".into(),
            CoverageRule::Centroid => "centroid".into(),
            CoverageRule::Share(f) => format!("share:{f}"),
        }
    }

    /// The default rule for a level of community, as a GB 50180-2018
    /// reviewer would check it:
    /// - **社区 neighbourhood** (`neighbourhood`, about 1 km², the 10-15-minute
    ///   tier): `share:0.5`. The standard sizes a life circle by the walk of
    ///   its *residents*; a reviewer checks that the service radius covers
    ///   the residential area, not that it touches its nearest edge. At this
    ///   size the best gate can be 10 minutes from the far side (in the Dezhou
    ///   model 129 of 695 flags rested on under a quarter of the walking
    ///   nodes), so the majority of residents must reach it.
    /// - **小区 compound** (`compound`, the 居住街坊 of 2-4 ha) and every other
    ///   kind (`file`, `grid`): `access`. A compound is crossed in two or
    ///   three minutes and its residents leave by its gates, which is where
    ///   the standard's walking distances of a 居住街坊 are measured; a
    ///   planner's own polygons (`file`) are of no known level, so they keep
    ///   today's rule unless `--coverage-rule` says otherwise.
    pub fn default_for(kind: &str) -> CoverageRule {
        match kind {
            "neighbourhood" => CoverageRule::Share(0.5),
            _ => CoverageRule::Access,
        }
    }
}

impl std::str::FromStr for CoverageRule {
    type Err = crate::error::Error;
    fn from_str(s: &str) -> crate::error::Result<CoverageRule> {
        CoverageRule::parse(s)
    }
}

/// The rule in force for each level: one rule for all (`--coverage-rule`),
/// or each level's [`CoverageRule::default_for`].
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct CoverageRules {
    /// The rule given for every level; `None`: each level's default.
    pub all: Option<CoverageRule>,
}

impl CoverageRules {
    /// One rule for every level.
    pub fn same(rule: CoverageRule) -> CoverageRules {
        CoverageRules { all: Some(rule) }
    }

    /// The rule for a community of `kind`.
    pub fn for_kind(&self, kind: &str) -> CoverageRule {
        self.all.unwrap_or_else(|| CoverageRule::default_for(kind))
    }

    /// The rule for each kind present, as printed beside every share:
    /// `access`, or `社区 neighbourhood share:0.5, 小区 compound access`.
    pub fn describe<'a>(&self, kinds: impl IntoIterator<Item = &'a str>) -> String {
        let mut kinds: Vec<&str> = kinds.into_iter().collect();
        kinds.sort_unstable();
        kinds.dedup();
        let rules: Vec<(String, String)> = kinds
            .iter()
            .map(|k| (kind_name(k), self.for_kind(k).label()))
            .collect();
        if rules.windows(2).all(|w| w[0].1 == w[1].1) {
            return rules
                .first()
                .map_or_else(|| self.for_kind("").label(), |r| r.1.clone());
        }
        rules
            .iter()
            .map(|(k, r)| format!("{k} {r}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// `社区 neighbourhood`, `小区 compound`, or the kind as it is.
pub(crate) fn kind_name(kind: &str) -> String {
    match crate::places::kind_names(kind) {
        Some((zh, en, _)) => format!("{zh} {en}"),
        None => kind.to_string(),
    }
}

/// The access point of each community's representative point (inside its
/// polygon), snapped to the nearest walkable way within `max_m`; the walk
/// from the point to the way counts as walking time.
pub fn centre_access(
    graph: &Graph,
    index: &crate::places::snap::GraphIndex,
    communities: &[Community],
    max_m: f64,
) -> Vec<Option<AccessPoint>> {
    use geo::InteriorPoint;
    communities
        .par_iter()
        .map(|c| {
            let p = c.polygon.interior_point()?;
            index.snap(graph, graph.projection().project([p.x(), p.y()]), max_m)
        })
        .collect()
}

/// Search limit in [`Time`]: the largest threshold of the profile.
pub fn search_limit(profile: &Profile) -> Time {
    minutes_to_time(profile.max_minutes())
}

/// The seeds of every facility of `category`.
pub fn category_seeds(graph: &Graph, facilities: &[Facility], category: usize) -> Vec<Seed> {
    category_origins(graph, facilities, category).seeds(graph)
}

/// Where the walks from every facility of `category` start.
pub fn category_origins(graph: &Graph, facilities: &[Facility], category: usize) -> Origins {
    Origins::new(
        graph,
        facilities
            .iter()
            .filter(|f| f.category == category)
            .flat_map(|f| f.access.iter()),
    )
}

/// [`category_origins`] of every category of the profile.
pub fn all_category_origins(
    graph: &Graph,
    facilities: &[Facility],
    profile: &Profile,
) -> Vec<Origins> {
    (0..profile.categories.len())
        .map(|k| category_origins(graph, facilities, k))
        .collect()
}

/// Every node's walking time to the nearest facility of each category, and
/// the major roads crossed on that walk; both indexed `[category][node]`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CategoryTimes {
    /// Time to the nearest facility, [`UNREACHED`] beyond the search limit.
    pub times: Vec<Vec<Time>>,
    /// Major roads crossed on the best walk (0 on a graph without the
    /// crossing model, and where unreached).
    pub roads_crossed: Vec<Vec<u8>>,
}

/// Every node's time to the nearest facility of each category and the roads
/// crossed on the way (one multi-source search per category, categories in
/// parallel).
pub fn category_times(graph: &Graph, facilities: &[Facility], profile: &Profile) -> CategoryTimes {
    let limit = search_limit(profile);
    let (times, roads_crossed) = (0..profile.categories.len())
        .into_par_iter()
        .map_init(
            || SearchState::new(graph.node_count()),
            |state, c| {
                let seeds = category_seeds(graph, facilities, c);
                multi_source_times_and_roads_crossed(state, graph, &seeds, limit)
            },
        )
        .unzip();
    CategoryTimes {
        times,
        roads_crossed,
    }
}

/// What [`community_coverage_with_options`] reads beyond the times.
#[derive(Debug, Clone, Copy)]
pub struct CoverageOptions<'a> {
    /// [`CategoryTimes::roads_crossed`], to count the major roads crossed on
    /// each community's best walk; `None`: [`CommunityCoverage::roads_crossed`]
    /// stays `None`.
    pub roads_crossed: Option<&'a [Vec<u8>]>,
    /// The rule for each level (default: `access` for all).
    pub rules: CoverageRules,
    /// From [`centre_access`], one per community: read by the `centroid` rule.
    pub centres: &'a [Option<AccessPoint>],
}

impl Default for CoverageOptions<'_> {
    fn default() -> Self {
        CoverageOptions {
            roads_crossed: None,
            rules: CoverageRules::same(CoverageRule::Access),
            centres: &[],
        }
    }
}

/// Evaluates every community against the category times, whose searches
/// started at `origins` (one per category, from [`all_category_origins`]),
/// under the `access` rule.
pub fn community_coverage(
    graph: &Graph,
    communities: &[Community],
    times: &[Vec<Time>],
    origins: &[Origins],
    profile: &Profile,
) -> Vec<CommunityCoverage> {
    let options = CoverageOptions::default();
    community_coverage_with_options(graph, communities, times, origins, profile, &options)
}

/// [`community_coverage`] under each level's rule, with the roads crossed.
/// `minutes` and `roads_crossed` stay those of the best access point
/// whatever the rule, except under `centroid`, where they are the centre's.
pub fn community_coverage_with_options(
    graph: &Graph,
    communities: &[Community],
    times: &[Vec<Time>],
    origins: &[Origins],
    profile: &Profile,
    options: &CoverageOptions,
) -> Vec<CommunityCoverage> {
    let limit = search_limit(profile);
    communities
        .par_iter()
        .enumerate()
        .map(|(i, c)| {
            let rule = options.rules.for_kind(c.kind);
            let centre: Vec<AccessPoint> = options
                .centres
                .get(i)
                .copied()
                .flatten()
                .into_iter()
                .collect();
            let walk_from = if rule == CoverageRule::Centroid {
                &centre[..]
            } else {
                &c.access[..]
            };
            let mut cov = CommunityCoverage {
                minutes: Vec::new(),
                covered: Vec::new(),
                share: Vec::new(),
                roads_crossed: Vec::new(),
                met: 0,
                life_circle: true,
            };
            for (k, cat) in profile.categories.iter().enumerate() {
                let walk = CategoryWalk {
                    times: &times[k],
                    origins: &origins[k],
                    roads_crossed: options.roads_crossed.map(|x| &x[k][..]),
                    limit,
                };
                let (minutes, covered, share, crossed) =
                    walk.evaluate(graph, c, walk_from, rule, cat.minutes);
                cov.minutes.push(minutes);
                cov.covered.push(covered);
                cov.share.push(share);
                cov.roads_crossed.push(crossed);
                cov.met += usize::from(covered);
                if cat.required && !covered {
                    cov.life_circle = false;
                }
            }
            cov
        })
        .collect()
}

/// One category's search result, as a community's coverage reads it.
struct CategoryWalk<'a> {
    times: &'a [Time],
    origins: &'a Origins,
    roads_crossed: Option<&'a [u8]>,
    /// The search limit the times were found within.
    limit: Time,
}

/// Minutes, covered, share of walking nodes within, roads crossed.
type Evaluation = (Option<f64>, bool, Option<f64>, Option<u8>);

impl CategoryWalk<'_> {
    /// One community against one category with threshold `minutes`, walking
    /// from `walk_from` (its access points, or its centre) under `rule`.
    fn evaluate(
        &self,
        graph: &Graph,
        c: &Community,
        walk_from: &[AccessPoint],
        rule: CoverageRule,
        minutes: f64,
    ) -> Evaluation {
        let threshold = minutes_to_time(minutes);
        let best = walk_from
            .iter()
            .filter_map(|a| a.best_end(graph, |n| self.times[n as usize], self.origins))
            .min_by_key(|&(t, via)| (t, via == Via::Along));
        // Past the search limit counts as not found (null), as
        // documented: the walk from the community to the network
        // can take a time found within the limit beyond it.
        let best = best.filter(|b| b.0 <= self.limit);
        let t = best.map_or(UNREACHED, |b| b.0);
        let crossed = best.and_then(|(_, via)| match via {
            Via::Node(n) => self.roads_crossed.map(|x| x[n as usize]),
            // Straight along the facility's own edge: no road crossed.
            Via::Along => self.roads_crossed.map(|_| 0),
        });
        let share = (!c.inside_nodes.is_empty()).then(|| {
            let within = c
                .inside_nodes
                .iter()
                .filter(|&&n| self.times[n as usize] <= threshold)
                .count();
            within as f64 / c.inside_nodes.len() as f64
        });
        // share:F adds to access (reached at all) that the
        // residents are spread: it never passes what access fails.
        let covered = match (rule, share) {
            (CoverageRule::Share(f), Some(s)) => t <= threshold && s + 1e-12 >= f,
            _ => t <= threshold,
        };
        let minutes = (t != UNREACHED).then(|| time_to_minutes(t));
        (minutes, covered, share, crossed)
    }
}

/// Runs one bounded search per facility and measures what each serves within
/// its category's threshold, and the population it reaches within each band.
pub fn facility_reach(
    graph: &Graph,
    facilities: &[Facility],
    communities: &[Community],
    profile: &Profile,
    bands_min: &[f64],
) -> Vec<FacilityReach> {
    let reach = Reach {
        graph,
        communities,
        tree: community_boxes(graph, communities),
        profile,
        bands: bands_min.iter().map(|&m| minutes_to_time(m)).collect(),
    };
    facilities
        .par_iter()
        .map_init(
            || SearchState::new(graph.node_count()),
            |state, f| reach.of(f, state),
        )
        .collect()
}

/// Communities by the bounding box of their access edges' ends.
type CommunityBoxes = RTree<GeomWithData<Rectangle<[f64; 2]>, usize>>;

fn community_boxes(graph: &Graph, communities: &[Community]) -> CommunityBoxes {
    let boxes: Vec<_> = communities
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            let pts = c.access.iter().flat_map(|a| {
                let e = graph.edges()[a.pos.edge as usize];
                [graph.xy()[e.u as usize], graph.xy()[e.v as usize]]
            });
            bounds(pts).map(|b| GeomWithData::new(Rectangle::from_aabb(b), i))
        })
        .collect();
    RTree::bulk_load(boxes)
}

/// What [`facility_reach`] measures every facility against.
struct Reach<'a> {
    graph: &'a Graph,
    communities: &'a [Community],
    tree: CommunityBoxes,
    profile: &'a Profile,
    bands: Vec<Time>,
}

impl Reach<'_> {
    /// One facility's bounded search and what it reaches.
    fn of(&self, f: &Facility, state: &mut SearchState) -> FacilityReach {
        let graph = self.graph;
        let threshold = minutes_to_time(self.profile.categories[f.category].minutes);
        let places = self.profile.categories[f.category].places;
        let origins = f.origins(graph);
        let seeds: Vec<Seed> = origins.seeds(graph);
        let empty = FacilityReach {
            band_population: vec![0.0; self.bands.len()],
            ..Default::default()
        };
        if seeds.is_empty() {
            return empty;
        }
        let limit = self.bands.iter().copied().fold(threshold, Time::max);
        state.run(graph, &seeds, limit);
        let reach = state.settled();
        // The nodes reached, and the facility's own edges (reached
        // along the edge even when neither end is in time).
        let own = origins.iter().flat_map(|o| {
            let e = graph.edges()[o.pos.edge as usize];
            [graph.xy()[e.u as usize], graph.xy()[e.v as usize]]
        });
        let Some(area) = bounds(reach.iter().map(|&n| graph.xy()[n as usize]).chain(own)) else {
            return empty;
        };
        let mut out = FacilityReach {
            nodes: reach
                .iter()
                .filter(|&&n| state.time(n) <= threshold)
                .count(),
            ..empty
        };
        for item in self.tree.locate_in_envelope_intersecting(&area) {
            let c = &self.communities[item.data];
            let t = c
                .access
                .iter()
                .map(|a| a.time_from(graph, |n| state.time(n), &origins))
                .min()
                .unwrap_or(UNREACHED);
            let pop = c.population.unwrap_or(0.0);
            if t <= threshold {
                out.communities += 1;
                out.population += pop;
                if places {
                    out.within.push((item.data as u32, t));
                }
            }
            for (b, &band) in self.bands.iter().enumerate() {
                if t <= band {
                    out.band_population[b] += pop;
                }
            }
        }
        out
    }
}

fn bounds(points: impl Iterator<Item = [f32; 2]>) -> Option<AABB<[f64; 2]>> {
    let mut it = points
        .map(|p| [f64::from(p[0]), f64::from(p[1])])
        .peekable();
    it.peek()?;
    let (mut lo, mut hi) = ([f64::MAX; 2], [f64::MIN; 2]);
    for p in it {
        for k in 0..2 {
            lo[k] = lo[k].min(p[k]);
            hi[k] = hi[k].max(p[k]);
        }
    }
    Some(AABB::from_corners(lo, hi))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::oracle;
    use crate::testmap::load_extract as load;

    /// On real extracts, the multi-source times equal the minimum over one
    /// plain Dijkstra per facility, for every node and category.
    #[test]
    fn category_times_match_one_dijkstra_per_facility() {
        for extract in ["monaco.osm.pbf", "beijing-cau.osm.pbf"] {
            let (graph, facilities, _, profile) = load(extract);
            let times = category_times(&graph, &facilities, &profile).times;
            let limit = search_limit(&profile);
            for (k, cat) in profile.categories.iter().enumerate() {
                let mut expected = vec![UNREACHED; graph.node_count()];
                for f in facilities.iter().filter(|f| f.category == k) {
                    let seeds: Vec<Seed> = f.seeds(&graph);
                    for (e, t) in expected
                        .iter_mut()
                        .zip(oracle::dijkstra(&graph, &seeds, limit))
                    {
                        *e = (*e).min(t);
                    }
                }
                assert_eq!(times[k], expected, "{extract}: category {}", cat.id);
            }
        }
    }

    /// Each facility's bounded search reaches exactly the nodes the oracle
    /// finds within the threshold.
    #[test]
    fn facility_searches_match_oracle() {
        let (graph, facilities, communities, profile) = load("monaco.osm.pbf");
        let reach = facility_reach(&graph, &facilities, &communities, &profile, &[]);
        for (f, r) in facilities.iter().zip(&reach).step_by(3) {
            let threshold = minutes_to_time(profile.categories[f.category].minutes);
            let seeds: Vec<Seed> = f.seeds(&graph);
            let expected = oracle::dijkstra(&graph, &seeds, threshold);
            let n = expected.iter().filter(|&&t| t != UNREACHED).count();
            assert_eq!(r.nodes, n, "facility {}", f.osm);
        }
    }

    /// Walking is never faster than the crow flies: a community's time to a
    /// category is at least the straight-line gap between its polygon and the
    /// nearest facility of that category, at walking speed.
    #[test]
    fn community_times_respect_straight_line_distance() {
        use geo::{Distance, Euclidean, MapCoords};
        let (graph, facilities, communities, profile) = load("monaco.osm.pbf");
        let times = category_times(&graph, &facilities, &profile).times;
        let origins = all_category_origins(&graph, &facilities, &profile);
        let cov = community_coverage(&graph, &communities, &times, &origins, &profile);
        let project = |g: &geo::Geometry<f64>| {
            g.map_coords(|c| {
                let [x, y] = graph.projection().project([c.x, c.y]);
                geo::Coord { x, y }
            })
        };
        let shape = |f: &Facility| -> geo::Geometry<f64> {
            match &f.geometry {
                crate::places::PlaceGeometry::Point(p) => geo::Point::new(p[0], p[1]).into(),
                crate::places::PlaceGeometry::Line(l) => l.clone().into(),
                crate::places::PlaceGeometry::Polygon(p) => p.clone().into(),
            }
        };
        let mut checked = 0;
        for (c, cv) in communities.iter().zip(&cov) {
            let poly = project(&c.polygon.clone().into());
            for (k, minutes) in cv.minutes.iter().enumerate() {
                let Some(minutes) = minutes else { continue };
                let crow = facilities
                    .iter()
                    .filter(|f| f.category == k && !f.access.is_empty())
                    .map(|f| Euclidean.distance(&project(&shape(f)), &poly))
                    .fold(f64::MAX, f64::min);
                let walked = minutes * 60.0 * profile.walking_speed_mps;
                assert!(
                    walked + profile.access_buffer_m + 1.0 >= crow,
                    "{}: {walked} m walked < {crow} m",
                    c.name
                );
                checked += 1;
            }
        }
        assert!(checked > 0);
        assert!(
            cov.iter()
                .any(|c| c.covered[profile.category_index("park").unwrap()]),
            "Monaco's parks cover someone"
        );
    }

    /// A compound entered by its gate `G`, 20 m from a kindergarten at `K`,
    /// with walking nodes `A`-`E` inside at 40-120 m (10 m a character):
    /// within a 1-minute (60 m) threshold its gate is, 2 of its 5 nodes are,
    /// and its centre (near `C`, 80 m) is not.
    const GATED: &str = r"
K-G-A-B-C-D-E
";

    fn gated(
        minutes: f64,
    ) -> (
        crate::testmap::TestMap,
        Vec<Community>,
        Vec<Facility>,
        Profile,
    ) {
        use crate::places::{AccessKind, PlaceGeometry};
        use crate::search::position::EdgePos;
        let mut profile = Profile::default();
        let kinder = profile.category_index("kinder").unwrap();
        profile.categories[kinder].minutes = minutes;
        let map = crate::testmap::TestMap::parse(GATED, &profile);
        let g = &map.graph;
        let at = |ch: char| AccessPoint {
            pos: EdgePos::at_node(g, map.nodes[&ch]).unwrap(),
            snap_m: 0.0,
        };
        let xy = |ch: char| g.xy()[map.nodes[&ch] as usize];
        let (x0, x1) = (f64::from(xy('A')[0]) - 5.0, f64::from(xy('E')[0]) + 5.0);
        let y = f64::from(xy('A')[1]);
        let ring: Vec<geo::Coord<f64>> = [
            (x0, y - 5.0),
            (x1, y - 5.0),
            (x1, y + 5.0),
            (x0, y + 5.0),
            (x0, y - 5.0),
        ]
        .iter()
        .map(|&(x, y)| {
            let [lon, lat] = g.projection().unproject([x, y]);
            geo::Coord { x: lon, y: lat }
        })
        .collect();
        let community = Community {
            id: "w1".into(),
            name: "大院".into(),
            source: "osm",
            kind: "compound",
            rule: "landuse",
            pop_source: "none",
            children: None,
            code: None,
            subdistrict: None,
            parent: None,
            population: None,
            polygon: geo::MultiPolygon(vec![geo::Polygon::new(geo::LineString(ring), vec![])]),
            area_m2: 900.0,
            access: vec![at('G')],
            access_kind: AccessKind::Gates,
            inside_nodes: "ABCDE".chars().map(|c| map.nodes[&c]).collect(),
        };
        let k = map.nodes[&'K'];
        let facility = Facility {
            osm: crate::tags::OsmRef::Node(1),
            category: kinder,
            name: Some("K幼儿园".into()),
            lonlat: g.lonlat(k),
            geometry: PlaceGeometry::Point(g.lonlat(k)),
            access: vec![at('K')],
            capacity: None,
            file: None,
        };
        (map, vec![community], vec![facility], profile)
    }

    /// The kindergarten's flag, minutes and node share under `rule`.
    fn judge(minutes: f64, rule: CoverageRule) -> (bool, Option<f64>, Option<f64>) {
        let (map, communities, facilities, profile) = gated(minutes);
        let g = &map.graph;
        let kinder = profile.category_index("kinder").unwrap();
        let times = category_times(g, &facilities, &profile).times;
        let origins = all_category_origins(g, &facilities, &profile);
        let index = crate::places::snap::GraphIndex::new(g);
        let centres = centre_access(g, &index, &communities, 1000.0);
        let rules = CoverageRules::same(rule);
        let options = CoverageOptions {
            rules,
            centres: &centres,
            ..Default::default()
        };
        let cov =
            community_coverage_with_options(g, &communities, &times, &origins, &profile, &options);
        (
            cov[0].covered[kinder],
            cov[0].minutes[kinder],
            cov[0].share[kinder],
        )
    }

    #[test]
    fn access_rule_takes_the_gate() {
        let (ok, minutes, share) = judge(1.0, CoverageRule::Access);
        assert!(ok);
        assert!((minutes.unwrap() - 20.0 / 60.0).abs() < 0.02, "{minutes:?}");
        assert_eq!(share, Some(0.4));
    }

    #[test]
    fn share_rule_counts_the_nodes_inside() {
        assert!(
            !judge(1.0, CoverageRule::Share(0.5)).0,
            "2 of 5 nodes < half"
        );
        assert!(judge(1.0, CoverageRule::Share(0.4)).0, "2 of 5 nodes = 0.4");
        // 1.5 minutes: A, B, C (90 m is past C) are in time.
        assert!(judge(1.5, CoverageRule::Share(0.6)).0);
        assert!(!judge(1.5, CoverageRule::Share(0.61)).0);
    }

    #[test]
    fn centroid_rule_walks_from_the_centre() {
        let (ok, minutes, _) = judge(1.0, CoverageRule::Centroid);
        assert!(!ok, "{minutes:?}");
        assert!((minutes.unwrap() - 80.0 / 60.0).abs() < 0.1, "{minutes:?}");
        assert!(judge(1.5, CoverageRule::Centroid).0);
    }

    #[test]
    fn rules_parse_and_refuse() {
        assert_eq!(CoverageRule::parse("access").unwrap(), CoverageRule::Access);
        assert_eq!(
            CoverageRule::parse("centroid").unwrap(),
            CoverageRule::Centroid
        );
        assert_eq!(
            CoverageRule::parse("share:1").unwrap(),
            CoverageRule::Share(1.0)
        );
        for bad in [
            "share:1.5",
            "share:0",
            "share:-0.2",
            "share:nan",
            "share:",
            "foo",
            "",
        ] {
            let e = CoverageRule::parse(bad).unwrap_err();
            assert!(
                e.is_usage() && e.to_string().starts_with("--coverage-rule"),
                "{bad}: {e}"
            );
        }
        assert_eq!(CoverageRule::Share(0.5).label(), "share:0.5");
        let rules = CoverageRules::default();
        assert_eq!(rules.describe(["compound", "compound"]), "access");
        assert_eq!(
            rules.describe(["neighbourhood", "compound"]),
            "小区 compound access, 社区 neighbourhood share:0.5"
        );
        assert_eq!(
            CoverageRules::same(CoverageRule::Centroid).describe(["neighbourhood", "compound"]),
            "centroid"
        );
    }
}

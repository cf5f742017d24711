//! Where to build next: the gaps of every category and siting suggestions.
//!
//! **Gaps** ([`gaps`], `gaps.csv`): for each category, the communities outside
//! its threshold, ranked by population where known, else by area: the planner's
//! list of whom a new facility should serve first.
//!
//! **Siting** ([`suggest_sites`], `suggestions.geojson`): for one category, up
//! to K new sites, chosen among candidate locations to maximise the number of
//! communities they newly bring within the category's threshold. Choosing K
//! sites optimally is the *maximal covering location problem*, NP-hard; the
//! greedy ([`greedy_max_cover`]: each round takes the site that newly covers
//! most) is within a factor 1 − 1/e ≈ 0.63 of the optimum (Nemhauser, Wolsey &
//! Fisher 1978), the best any polynomial algorithm guarantees unless P = NP
//! (Feige 1998), and in practice usually optimal or close to it.
//!
//! Candidates are, by default, the walking-graph nodes in or next to
//! residential land (every community's inside nodes and the ends of its access
//! edges) — where a kindergarten or a playground can be put without new roads —
//! or a planner's own points (`--candidates FILE.geojson`), attached to the
//! network like facilities. A candidate covers a community when the walk from
//! it to the community's best access point is within the threshold: exactly
//! what the coverage stage would find once the site is built. The walking graph
//! is undirected, so one bounded search *from* each candidate answers it
//! (candidates in parallel, one reusable [`SearchState`] per thread).

use rayon::prelude::*;
use serde::Serialize;

use super::shares::{fraction, people, share};
use crate::analysis::Analysis;
use crate::coverage::CommunityCoverage;
use crate::error::{Error, Result};
use crate::network::graph::Graph;
use crate::places::snap::GraphIndex;
use crate::places::Community;
use crate::profile::Profile;
use crate::search::origins::Origins;
use crate::search::SearchState;
use crate::time::{minutes_to_time, Time};

use crate::geodesy::round;

/// The communities outside `category`'s threshold, most urgent first: by
/// population (communities with a known population first), then by area.
pub fn gaps(a: &Analysis, category: usize) -> Vec<usize> {
    let mut ids: Vec<usize> = (0..a.communities.len())
        .filter(|&i| !a.coverage[i].covered[category])
        .collect();
    ids.sort_by(|&i, &j| {
        let (ci, cj) = (&a.communities[i], &a.communities[j]);
        cj.population
            .is_some()
            .cmp(&ci.population.is_some())
            .then(
                cj.population
                    .unwrap_or(0.0)
                    .total_cmp(&ci.population.unwrap_or(0.0)),
            )
            .then(cj.area_m2.total_cmp(&ci.area_m2))
            .then(ci.id.cmp(&cj.id))
    });
    ids
}

/// Reads `--suggest CATEGORY:K` (e.g. `kinder:5`): the category's index in the
/// profile and the number of sites.
pub fn parse_request(spec: &str, profile: &Profile) -> Result<(usize, usize)> {
    let ids = || profile.category_ids();
    let (id, k) = spec.split_once(':').ok_or_else(|| Error::BadOption {
        option: "--suggest",
        reason: format!(
            "{spec}: expected CATEGORY:K, e.g. kinder:5 (categories: {})",
            ids()
        ),
    })?;
    let category = profile
        .category_index(id.trim())
        .ok_or_else(|| Error::BadOption {
            option: "--suggest",
            reason: format!(
                "{spec}: no category {id:?} in the profile (categories: {})",
                ids()
            ),
        })?;
    let k: usize = k
        .trim()
        .parse()
        .ok()
        .filter(|&k| (1..=1000).contains(&k))
        .ok_or_else(|| Error::BadOption {
            option: "--suggest",
            reason: format!("{spec}: K must be a number of sites from 1 to 1000"),
        })?;
    Ok((category, k))
}

/// Reads a planner's candidate sites: the Point and MultiPoint features of a
/// GeoJSON file (WGS84 lon/lat).
pub fn read_candidates(path: &std::path::Path) -> Result<Vec<[f64; 2]>> {
    let fail = |reason: String| Error::GeoJson {
        path: path.to_path_buf(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let geojson: geojson::GeoJson = text
        .parse()
        .map_err(|e| fail(format!("not valid GeoJSON: {e}")))?;
    let geometries: Vec<geojson::Geometry> = match geojson {
        geojson::GeoJson::FeatureCollection(fc) => {
            fc.features.into_iter().filter_map(|f| f.geometry).collect()
        }
        geojson::GeoJson::Feature(f) => f.geometry.into_iter().collect(),
        geojson::GeoJson::Geometry(g) => vec![g],
    };
    let mut points = Vec::new();
    for g in geometries {
        let positions = match g.value {
            geojson::GeometryValue::Point { coordinates } => vec![coordinates],
            geojson::GeometryValue::MultiPoint { coordinates } => coordinates,
            _ => continue,
        };
        for p in positions {
            if p.len() < 2 || !(p[0].abs() <= 180.0 && p[1].abs() <= 90.0) {
                return Err(fail(format!(
                    "{p:?} is not a WGS84 longitude/latitude position"
                )));
            }
            points.push([p[0], p[1]]);
        }
    }
    if points.is_empty() {
        return Err(fail("the file has no Point features".into()));
    }
    Ok(points)
}

/// One pick of [`greedy_max_cover`]: the set taken and the elements it newly
/// covered, ascending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pick {
    /// Index of the set taken (into `sets`).
    pub set: usize,
    /// The elements it newly covered, ascending, each once.
    pub new: Vec<usize>,
}

/// Greedy maximal covering: up to `k` times, takes the set that covers most
/// elements not yet covered (ties: the larger `weight` of those elements, then
/// the lower index), and stops early when no set adds anything. Elements are
/// indices into `weight`. Within 1 − 1/e of the optimum number of elements
/// covered by `k` sets.
///
/// ```
/// use childcircle::findings::siting::{greedy_max_cover, Pick};
///
/// // Three candidate sites and the communities (0 to 4) each would cover;
/// // the weights are the communities' populations.
/// let sets = vec![vec![0, 1], vec![1, 2, 3, 3], vec![3, 4]];
/// let weight = [10.0, 1.0, 1.0, 1.0, 5.0];
/// let picks = greedy_max_cover(&sets, &weight, 2);
/// // Site 1 covers most; then sites 0 and 2 each add one community, and the
/// // heavier one (community 0) wins the tie.
/// assert_eq!(
///     picks,
///     [
///         Pick { set: 1, new: vec![1, 2, 3] },
///         Pick { set: 0, new: vec![0] },
///     ]
/// );
/// // It stops when no set adds anything, however many are asked for.
/// assert_eq!(greedy_max_cover(&sets, &weight, 10).len(), 3);
/// ```
pub fn greedy_max_cover(sets: &[Vec<usize>], weight: &[f64], k: usize) -> Vec<Pick> {
    let mut covered = vec![false; weight.len()];
    // Counts each element once per evaluation, even if a set lists it twice.
    let mut stamp = vec![0usize; weight.len()];
    let mut tick = 0;
    let mut picks = Vec::new();
    while picks.len() < k {
        let mut best: Option<(usize, usize, f64)> = None;
        for (s, set) in sets.iter().enumerate() {
            tick += 1;
            let (mut n, mut w) = (0, 0.0);
            for &e in set {
                if !covered[e] && stamp[e] != tick {
                    stamp[e] = tick;
                    n += 1;
                    w += weight[e];
                }
            }
            let better = match best {
                None => n > 0,
                Some((_, bn, bw)) => n > bn || (n == bn && w > bw),
            };
            if better {
                best = Some((s, n, w));
            }
        }
        let Some((s, _, _)) = best else { break };
        let mut new: Vec<usize> = sets[s].iter().copied().filter(|&e| !covered[e]).collect();
        new.sort_unstable();
        new.dedup();
        for &e in &new {
            covered[e] = true;
        }
        picks.push(Pick { set: s, new });
    }
    picks
}

/// Where a suggested site came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SiteOrigin {
    /// A walking-graph node in or next to residential land.
    Node(u32),
    /// The planner's candidate point with this index.
    Point(usize),
}

/// One suggested site.
#[derive(Debug, Clone, PartialEq)]
pub struct Site {
    /// 1 for the first pick.
    pub rank: usize,
    /// Where the site is, WGS84 lon/lat.
    pub lonlat: [f64; 2],
    /// The candidate it was chosen from.
    pub origin: SiteOrigin,
    /// Communities (indices into `Analysis::communities`) this site brings
    /// within the threshold that neither existing facilities nor earlier
    /// picks reach.
    pub newly_covered: Vec<usize>,
    /// Their known population.
    pub population: f64,
}

/// Coverage of one category and of the life circle, before or after the
/// suggested sites are built.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figures {
    /// Communities covered by the category.
    pub covered: usize,
    /// `covered` as a share of all communities, 0 to 1.
    pub share_covered: f64,
    /// Residents of the covered communities, each person once; `None` when no
    /// community has a population.
    pub population_covered: Option<f64>,
    /// `population_covered` as a share of all known residents.
    pub share_population_covered: Option<f64>,
    /// Communities in the life circle (every required category covered).
    pub life_circle: usize,
    /// `life_circle` as a share of all communities, 0 to 1.
    pub share_life_circle: f64,
}

/// Siting suggestions for one category.
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestions {
    /// The category sited (index into the profile's categories).
    pub category: usize,
    /// Sites asked for; fewer are returned when no further site helps.
    pub requested: usize,
    /// Candidate locations evaluated.
    pub candidates: usize,
    /// Planner's candidate points farther than `max_snap_m` from any way.
    pub candidates_unattached: usize,
    /// The sites chosen, in pick order (rank 1 first).
    pub sites: Vec<Site>,
    /// Coverage with the existing facilities only.
    pub before: Figures,
    /// Coverage once every suggested site is built.
    pub after: Figures,
}

/// A site for `summary.json`.
#[derive(Debug, Clone, Serialize)]
pub struct SiteSummary {
    /// 1 for the first pick.
    pub rank: usize,
    /// Longitude of the site, WGS84, rounded to 7 decimals.
    pub lon: f64,
    /// Latitude of the site, WGS84, rounded to 7 decimals.
    pub lat: f64,
    /// Number of communities the site newly brings within the threshold.
    pub newly_covered: usize,
    /// Their known population, each person once.
    pub population: f64,
    /// Names of those communities.
    pub communities: Vec<String>,
}

/// [`Suggestions`] for `summary.json`.
#[derive(Debug, Clone, Serialize)]
pub struct SuggestionSummary {
    /// The category's id.
    pub category: String,
    /// The category's Chinese name.
    pub label_zh: String,
    /// The category's English name.
    pub label_en: String,
    /// The category's walking-time threshold, minutes.
    pub minutes: f64,
    /// How the sites were chosen ([`METHOD`]).
    pub method: &'static str,
    /// Sites asked for; fewer are returned when no further site helps.
    pub requested: usize,
    /// Candidate locations evaluated.
    pub candidates: usize,
    /// Planner's candidate points farther than `max_snap_m` from any way.
    pub candidates_unattached: usize,
    /// The sites chosen, in pick order.
    pub sites: Vec<SiteSummary>,
    /// Coverage with the existing facilities only.
    pub before: Figures,
    /// Coverage once every suggested site is built.
    pub after: Figures,
}

/// How the sites are chosen, in words, for summaries and the report.
pub const METHOD: &str = "greedy maximal covering (within 1 - 1/e of the optimum)";

impl Suggestions {
    /// The figures of `summary.json`.
    pub fn summary(&self, a: &Analysis) -> SuggestionSummary {
        let cat = &a.profile.categories[self.category];
        SuggestionSummary {
            category: cat.id.clone(),
            label_zh: cat.label_zh.clone(),
            label_en: cat.label_en.clone(),
            minutes: cat.minutes,
            method: METHOD,
            requested: self.requested,
            candidates: self.candidates,
            candidates_unattached: self.candidates_unattached,
            sites: self
                .sites
                .iter()
                .map(|s| SiteSummary {
                    rank: s.rank,
                    lon: round(s.lonlat[0], 7),
                    lat: round(s.lonlat[1], 7),
                    newly_covered: s.newly_covered.len(),
                    population: s.population,
                    communities: s
                        .newly_covered
                        .iter()
                        .map(|&i| a.communities[i].name.clone())
                        .collect(),
                })
                .collect(),
            before: self.before.clone(),
            after: self.after.clone(),
        }
    }
}

/// Up to `k` new sites of `category` that newly cover the most communities
/// (greedy maximal covering, see the module docs). `candidates`: the planner's
/// lon/lat points; `None` for the walking nodes in and next to residential land.
pub fn suggest_sites(
    a: &Analysis,
    category: usize,
    k: usize,
    candidates: Option<&[[f64; 2]]>,
) -> Suggestions {
    suggest(
        &a.graph,
        &a.communities,
        &a.coverage,
        &a.profile,
        category,
        k,
        candidates,
    )
}

/// A candidate location and where the walks from a facility built there start.
struct Candidate {
    origin: SiteOrigin,
    lonlat: [f64; 2],
    starts: Origins,
}

/// [`suggest_sites`] over any coverage of the communities (a what-if
/// scenario's, say).
pub fn suggest(
    graph: &Graph,
    communities: &[Community],
    coverage: &[CommunityCoverage],
    profile: &Profile,
    category: usize,
    k: usize,
    points: Option<&[[f64; 2]]>,
) -> Suggestions {
    let threshold = minutes_to_time(profile.categories[category].minutes);
    let (candidates, unattached) = match points {
        Some(points) => planner_candidates(graph, profile, points),
        None => (residential_nodes(graph, communities), 0),
    };
    let uncovered = UncoveredAccess::new(graph, communities, coverage, category);
    let sets = reached_sets(graph, communities, &candidates, &uncovered, threshold);
    let sites = pick_sites(communities, &candidates, &sets, k);

    let mut newly = vec![false; communities.len()];
    for s in &sites {
        for &i in &s.newly_covered {
            newly[i] = true;
        }
    }
    let mut extra = vec![vec![false; communities.len()]; profile.categories.len()];
    let before = figures(communities, coverage, profile, category, &extra);
    extra[category] = newly;
    let after = figures(communities, coverage, profile, category, &extra);
    Suggestions {
        category,
        requested: k,
        candidates: candidates.len(),
        candidates_unattached: unattached,
        sites,
        before,
        after,
    }
}

/// The planner's candidate points attached to the network like facilities,
/// and how many were too far from any way to attach.
fn planner_candidates(
    graph: &Graph,
    profile: &Profile,
    points: &[[f64; 2]],
) -> (Vec<Candidate>, usize) {
    let index = GraphIndex::new(graph);
    let attached: Vec<Candidate> = points
        .iter()
        .enumerate()
        .filter_map(|(i, &p)| {
            let access = index.snap(graph, graph.projection().project(p), profile.max_snap_m)?;
            Some(Candidate {
                origin: SiteOrigin::Point(i),
                lonlat: p,
                starts: Origins::new(graph, [&access]),
            })
        })
        .collect();
    let unattached = points.len() - attached.len();
    (attached, unattached)
}

/// Access points of the communities a category does not cover yet, as
/// sorted `(key, community, access point)` triples.
struct UncoveredAccess {
    /// By the nodes at their edge ends (a search reaches an access point
    /// through those nodes).
    by_node: Vec<(u32, u32, u32)>,
    /// By their edge (reached straight along it from a candidate on the same
    /// edge).
    by_edge: Vec<(u32, u32, u32)>,
}

impl UncoveredAccess {
    /// The access points of the communities outside `category`'s coverage.
    fn new(
        graph: &Graph,
        communities: &[Community],
        coverage: &[CommunityCoverage],
        category: usize,
    ) -> Self {
        let mut by_node: Vec<(u32, u32, u32)> = Vec::new();
        let mut by_edge: Vec<(u32, u32, u32)> = Vec::new();
        for (i, c) in communities.iter().enumerate() {
            if coverage[i].covered[category] {
                continue;
            }
            for (j, ap) in c.access.iter().enumerate() {
                let e = graph.edges()[ap.pos.edge as usize];
                by_node.push((e.u, i as u32, j as u32));
                by_node.push((e.v, i as u32, j as u32));
                by_edge.push((ap.pos.edge, i as u32, j as u32));
            }
        }
        by_node.sort_unstable();
        by_edge.sort_unstable();
        UncoveredAccess { by_node, by_edge }
    }

    /// The `(community, access point)` pairs filed under `key` in `index`.
    fn on(index: &[(u32, u32, u32)], key: u32) -> Vec<(u32, u32)> {
        let from = index.partition_point(|p| p.0 < key);
        index[from..]
            .iter()
            .take_while(move |p| p.0 == key)
            .map(|&(_, i, j)| (i, j))
            .collect::<Vec<_>>()
    }
}

/// For each candidate, the uncovered communities (sorted, once each) a walk
/// from it reaches within `threshold`: one bounded search per candidate, in
/// parallel.
fn reached_sets(
    graph: &Graph,
    communities: &[Community],
    candidates: &[Candidate],
    uncovered: &UncoveredAccess,
    threshold: Time,
) -> Vec<Vec<usize>> {
    let on = UncoveredAccess::on;
    candidates
        .par_iter()
        .map_init(
            || SearchState::new(graph.node_count()),
            |state, cand| {
                state.run(graph, &cand.starts.seeds(graph), threshold);
                let own_edges = cand.starts.iter().map(|o| o.pos.edge);
                let near = state
                    .settled()
                    .iter()
                    .flat_map(|&n| on(&uncovered.by_node, n))
                    .chain(own_edges.flat_map(|e| on(&uncovered.by_edge, e)));
                let mut reached = Vec::new();
                for (i, j) in near {
                    let ap = &communities[i as usize].access[j as usize];
                    if ap.time_from(graph, |m| state.time(m), &cand.starts) <= threshold {
                        reached.push(i as usize);
                    }
                }
                reached.sort_unstable();
                reached.dedup();
                reached
            },
        )
        .collect()
}

/// Up to `k` sites picked greedily among the candidates' reached `sets`,
/// weighted by population.
fn pick_sites(
    communities: &[Community],
    candidates: &[Candidate],
    sets: &[Vec<usize>],
    k: usize,
) -> Vec<Site> {
    let weight: Vec<f64> = communities
        .iter()
        .map(|c| c.population.unwrap_or(0.0))
        .collect();
    greedy_max_cover(sets, &weight, k)
        .into_iter()
        .enumerate()
        .map(|(r, pick)| {
            let cand = &candidates[pick.set];
            Site {
                rank: r + 1,
                lonlat: cand.lonlat,
                origin: cand.origin,
                // Nested levels: a compound's people are in its 社区's.
                population: crate::places::counted_once(communities, &pick.new)
                    .iter()
                    .map(|&i| weight[i])
                    .sum::<f64>()
                    + 0.0,
                newly_covered: pick.new,
            }
        })
        .collect()
}

/// Every walking node inside a community or at an end of a community's access
/// edge, once.
fn residential_nodes(graph: &Graph, communities: &[Community]) -> Vec<Candidate> {
    let mut nodes: Vec<u32> = communities
        .iter()
        .flat_map(|c| {
            let ends = c.access.iter().flat_map(|ap| {
                let e = graph.edges()[ap.pos.edge as usize];
                [e.u, e.v]
            });
            c.inside_nodes.iter().copied().chain(ends)
        })
        .collect();
    nodes.sort_unstable();
    nodes.dedup();
    nodes
        .into_iter()
        .map(|n| Candidate {
            origin: SiteOrigin::Node(n),
            lonlat: graph.lonlat(n),
            starts: Origins::at_node(graph, n),
        })
        .collect()
}

/// Coverage figures of `category` when `extra[k][i]` marks community `i` as
/// newly covered in category `k` on top of the analysis.
fn figures(
    communities: &[Community],
    coverage: &[CommunityCoverage],
    profile: &Profile,
    category: usize,
    extra: &[Vec<bool>],
) -> Figures {
    let n = communities.len();
    let covered = |i: usize, k: usize| coverage[i].covered[k] || extra[k][i];
    let in_circle = |i: usize| {
        profile
            .categories
            .iter()
            .enumerate()
            .all(|(k, c)| !c.required || covered(i, k))
    };
    let known = communities.iter().any(|c| c.population.is_some());
    let pop = |keep: &dyn Fn(usize) -> bool| -> f64 {
        let ids: Vec<usize> = (0..n).filter(|&i| keep(i)).collect();
        people(communities, &ids, |c| c.population)
    };
    let total = pop(&|_| true);
    let covered_n = (0..n).filter(|&i| covered(i, category)).count();
    let covered_pop = known.then(|| pop(&|i| covered(i, category)));
    let circle_n = (0..n).filter(|&i| in_circle(i)).count();
    Figures {
        covered: covered_n,
        share_covered: share(covered_n, n),
        population_covered: covered_pop,
        share_population_covered: covered_pop.map(|p| fraction(p, total)),
        life_circle: circle_n,
        share_life_circle: share(circle_n, n),
    }
}

/// Communities in the life circle, and their share, if every suggested site
/// of every request were built (the report's "all sites built").
pub fn life_circle_after(a: &Analysis, suggestions: &[Suggestions]) -> (usize, f64) {
    let mut extra = vec![vec![false; a.communities.len()]; a.profile.categories.len()];
    for s in suggestions {
        for site in &s.sites {
            for &i in &site.newly_covered {
                extra[s.category][i] = true;
            }
        }
    }
    let f = figures(&a.communities, &a.coverage, &a.profile, 0, &extra);
    (f.life_circle, f.share_life_circle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coverage::{all_category_origins, category_times, community_coverage};
    use crate::places::{AccessKind, Facility, PlaceGeometry};
    use crate::search::position::{AccessPoint, EdgePos};
    use crate::testmap::TestMap;

    /// A street with a kindergarten at `K` and a community at every other
    /// letter. With a 1-minute (60 m) threshold and 10 m a character, `K`
    /// covers `A` and `B`; a site at `E` newly covers `D E F` (the best first
    /// pick), one at `H` or `I` covers `H I`, and `C` and `G` need a site each.
    const STREET: &str = "\
K-A--B--------------C--------------D----E----F--------------G--------------H----I
";

    fn street() -> (TestMap, Vec<Community>, Vec<Facility>, Profile) {
        let mut profile = Profile::default();
        let kinder = profile.category_index("kinder").unwrap();
        profile.categories[kinder].minutes = 1.0;
        let map = TestMap::parse(STREET, &profile);
        let g = &map.graph;
        let at = |ch: char| AccessPoint {
            pos: EdgePos::at_node(g, map.nodes[&ch]).unwrap(),
            snap_m: 0.0,
        };
        let community = |ch: char, pop: f64| {
            let [lon, lat] = g.lonlat(map.nodes[&ch]);
            let d = 0.00005;
            let ring = [(-d, -d), (d, -d), (d, d), (-d, d), (-d, -d)].map(|(dx, dy)| geo::Coord {
                x: lon + dx,
                y: lat + dy,
            });
            let square = geo::Polygon::new(geo::LineString(ring.to_vec()), vec![]);
            Community {
                id: ch.to_string(),
                name: format!("{ch}小区"),
                source: "file",
                kind: "file",
                rule: "file",
                pop_source: "file",
                children: None,
                code: None,
                subdistrict: None,
                parent: None,
                population: Some(pop),
                polygon: geo::MultiPolygon(vec![square]),
                area_m2: 100.0,
                access: vec![at(ch)],
                access_kind: AccessKind::Gates,
                inside_nodes: vec![],
            }
        };
        let communities: Vec<Community> = "ABCDEFGHI"
            .chars()
            .zip([1.0, 1.0, 5.0, 1.0, 1.0, 1.0, 9.0, 100.0, 100.0])
            .map(|(ch, pop)| community(ch, pop))
            .collect();
        let k = map.nodes[&'K'];
        let facilities = vec![Facility {
            osm: crate::tags::OsmRef::Node(1),
            category: kinder,
            name: Some("K幼儿园".into()),
            lonlat: g.lonlat(k),
            geometry: PlaceGeometry::Point(g.lonlat(k)),
            access: vec![at('K')],
            capacity: None,
            file: None,
        }];
        (map, communities, facilities, profile)
    }

    #[test]
    fn greedy_on_a_street_picks_the_densest_stretch_first() {
        let (map, communities, facilities, profile) = street();
        let g = &map.graph;
        let kinder = profile.category_index("kinder").unwrap();
        let times = category_times(g, &facilities, &profile).times;
        let origins = all_category_origins(g, &facilities, &profile);
        let coverage = community_coverage(g, &communities, &times, &origins, &profile);
        let covered: Vec<&str> = communities
            .iter()
            .zip(&coverage)
            .filter(|(_, c)| c.covered[kinder])
            .map(|(c, _)| c.id.as_str())
            .collect();
        assert_eq!(covered, ["A", "B"]);

        let s = suggest(g, &communities, &coverage, &profile, kinder, 5, None);
        let picked: Vec<(SiteOrigin, Vec<&str>)> = s
            .sites
            .iter()
            .map(|site| {
                let ids = site
                    .newly_covered
                    .iter()
                    .map(|&i| communities[i].id.as_str())
                    .collect();
                (site.origin, ids)
            })
            .collect();
        assert_eq!(
            picked[0],
            (SiteOrigin::Node(map.nodes[&'E']), vec!["D", "E", "F"])
        );
        assert_eq!(picked[1].1, vec!["H", "I"]);
        assert!(
            matches!(picked[1].0, SiteOrigin::Node(n) if n == map.nodes[&'H'] || n == map.nodes[&'I'])
        );
        // C (pop 5) and G (pop 9) are one each: the tie goes to the larger population.
        assert_eq!(picked[2].1, vec!["G"]);
        assert_eq!(picked[3].1, vec!["C"]);
        assert_eq!(
            s.sites.len(),
            4,
            "nothing is left to cover after four sites"
        );
        assert_eq!((s.before.covered, s.after.covered), (2, 9));
        assert_eq!(s.sites[1].population, 200.0);

        // Built as facilities, the sites cover exactly what was promised.
        let mut built = facilities.clone();
        for site in &s.sites {
            let SiteOrigin::Node(n) = site.origin else {
                unreachable!()
            };
            built.push(Facility {
                access: vec![AccessPoint {
                    pos: EdgePos::at_node(g, n).unwrap(),
                    snap_m: 0.0,
                }],
                ..facilities[0].clone()
            });
        }
        let times = category_times(g, &built, &profile).times;
        let origins = all_category_origins(g, &built, &profile);
        let after = community_coverage(g, &communities, &times, &origins, &profile);
        assert!(after.iter().all(|c| c.covered[kinder]));
    }

    #[test]
    fn planner_points_snap_to_the_street_and_far_ones_are_counted() {
        let (map, communities, facilities, profile) = street();
        let g = &map.graph;
        let kinder = profile.category_index("kinder").unwrap();
        let times = category_times(g, &facilities, &profile).times;
        let origins = all_category_origins(g, &facilities, &profile);
        let coverage = community_coverage(g, &communities, &times, &origins, &profile);
        // 5 m off the street beside E, and one 5 km away.
        let [x, y] = g.xy()[map.nodes[&'E'] as usize];
        let near = g.projection().unproject([f64::from(x), f64::from(y) + 5.0]);
        let far = g
            .projection()
            .unproject([f64::from(x), f64::from(y) + 5000.0]);
        let s = suggest(
            g,
            &communities,
            &coverage,
            &profile,
            kinder,
            3,
            Some(&[far, near]),
        );
        assert_eq!((s.candidates, s.candidates_unattached), (1, 1));
        assert_eq!(s.sites.len(), 1);
        assert_eq!(s.sites[0].origin, SiteOrigin::Point(1));
        assert_eq!(s.sites[0].lonlat, near);
        // 5 m off the street costs 5 s: D and F (50 m) still within 60 s.
        assert_eq!(s.sites[0].newly_covered.len(), 3);
    }
}

//! Stage 6: coverage — which communities reach which children's spaces in time.
//!
//! For each category one multi-source search (categories in parallel) gives every
//! node its time to the nearest facility of that category. A community's time is
//! the best over its access points; it is covered when that time is within the
//! category's threshold, and the share of its walking nodes within the threshold
//! tells how much of it is. A community is in the **15-minute children's life
//! circle** when every required category is covered.
//!
//! Each facility also gets a bounded single-source search (facilities in
//! parallel, one reusable [`SearchState`] per thread) that says how much network
//! and how many communities it serves within its own threshold.

use rayon::prelude::*;
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, AABB};

use crate::graph::{minutes_to_time, time_to_minutes, Graph, Time, UNREACHED};
use crate::origins::{Origins, Via};
use crate::places::{Community, Facility};
use crate::profile::Profile;
use crate::search::{multi_source_times_and_crossings, SearchState, Seed};

/// One community's result for every category (indexed like the profile's).
#[derive(Debug, Clone, PartialEq)]
pub struct CommunityCoverage {
    /// Minutes to the nearest facility, `None` when none is within the search limit.
    pub minutes: Vec<Option<f64>>,
    pub covered: Vec<bool>,
    /// Share of the community's walking nodes within the threshold.
    pub share: Vec<Option<f64>>,
    /// Major roads crossed on the best walk (`None` when unreachable).
    pub crossings: Vec<Option<u8>>,
    /// Number of categories covered.
    pub met: usize,
    /// Every required category covered.
    pub life_circle: bool,
}

/// What one facility serves within its category's threshold.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FacilityReach {
    pub nodes: usize,
    pub communities: usize,
    pub population: f64,
    /// Population of the communities reached within each isochrone band.
    pub band_population: Vec<f64>,
}

/// Search limit in [`Time`]: the largest threshold of the profile.
pub fn search_limit(profile: &Profile) -> Time {
    minutes_to_time(profile.max_minutes())
}

/// The seeds of every facility of `category`.
pub fn category_seeds(
    graph: &Graph,
    facilities: &[Facility],
    category: usize,
    profile: &Profile,
) -> Vec<Seed> {
    category_origins(facilities, category, profile).seeds(graph)
}

/// Where the walks from every facility of `category` start.
pub fn category_origins(facilities: &[Facility], category: usize, profile: &Profile) -> Origins {
    Origins::new(
        facilities
            .iter()
            .filter(|f| f.category == category)
            .flat_map(|f| f.access.iter()),
        profile.walking_speed_mps,
    )
}

/// [`category_origins`] of every category of the profile.
pub fn all_category_origins(facilities: &[Facility], profile: &Profile) -> Vec<Origins> {
    (0..profile.categories.len())
        .map(|k| category_origins(facilities, k, profile))
        .collect()
}

/// Every node's time to the nearest facility of each category (categories in parallel).
pub fn category_times(graph: &Graph, facilities: &[Facility], profile: &Profile) -> Vec<Vec<Time>> {
    category_times_and_crossings(graph, facilities, profile).0
}

/// [`category_times`], with the major roads crossed on each node's best walk.
pub fn category_times_and_crossings(
    graph: &Graph,
    facilities: &[Facility],
    profile: &Profile,
) -> (Vec<Vec<Time>>, Vec<Vec<u8>>) {
    let limit = search_limit(profile);
    (0..profile.categories.len())
        .into_par_iter()
        .map_init(
            || SearchState::new(graph.node_count()),
            |state, c| {
                let seeds = category_seeds(graph, facilities, c, profile);
                multi_source_times_and_crossings(state, graph, &seeds, limit)
            },
        )
        .unzip()
}

/// Evaluates every community against the category times, whose searches
/// started at `origins` (one per category, from [`all_category_origins`]).
pub fn community_coverage(
    graph: &Graph,
    communities: &[Community],
    times: &[Vec<Time>],
    origins: &[Origins],
    profile: &Profile,
) -> Vec<CommunityCoverage> {
    community_coverage_with_crossings(graph, communities, times, origins, None, profile)
}

/// [`community_coverage`], also counting the major roads crossed on each
/// community's best walk (from [`category_times_and_crossings`]).
pub fn community_coverage_with_crossings(
    graph: &Graph,
    communities: &[Community],
    times: &[Vec<Time>],
    origins: &[Origins],
    crossings: Option<&[Vec<u8>]>,
    profile: &Profile,
) -> Vec<CommunityCoverage> {
    let limit = search_limit(profile);
    communities
        .par_iter()
        .map(|c| {
            let mut cov = CommunityCoverage {
                minutes: Vec::new(),
                covered: Vec::new(),
                share: Vec::new(),
                crossings: Vec::new(),
                met: 0,
                life_circle: true,
            };
            for (k, cat) in profile.categories.iter().enumerate() {
                let threshold = minutes_to_time(cat.minutes);
                let best = c
                    .access
                    .iter()
                    .filter_map(|a| {
                        a.best_end(
                            graph,
                            profile.walking_speed_mps,
                            |n| times[k][n as usize],
                            &origins[k],
                        )
                    })
                    .min_by_key(|&(t, via)| (t, via == Via::Along));
                // Past the search limit counts as not found (null), as
                // documented: the walk from the community to the network
                // can take a time found within the limit beyond it.
                let best = best.filter(|b| b.0 <= limit);
                let t = best.map_or(UNREACHED, |b| b.0);
                cov.crossings.push(best.and_then(|(_, via)| match via {
                    Via::Node(n) => crossings.map(|x| x[k][n as usize]),
                    // Straight along the facility's own edge: no road crossed.
                    Via::Along => crossings.map(|_| 0),
                }));
                let covered = t <= threshold;
                let share = (!c.inside_nodes.is_empty()).then(|| {
                    let within = c
                        .inside_nodes
                        .iter()
                        .filter(|&&n| times[k][n as usize] <= threshold)
                        .count();
                    within as f64 / c.inside_nodes.len() as f64
                });
                cov.minutes
                    .push((t != UNREACHED).then(|| time_to_minutes(t)));
                cov.covered.push(covered);
                cov.share.push(share);
                cov.met += usize::from(covered);
                if cat.required && !covered {
                    cov.life_circle = false;
                }
            }
            cov
        })
        .collect()
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
    let bands: Vec<Time> = bands_min.iter().map(|&m| minutes_to_time(m)).collect();
    // Communities by the bounding box of their access edges' ends.
    let boxes: Vec<_> = communities
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            let pts = c.access.iter().flat_map(|a| {
                let e = graph.edges[a.pos.edge as usize];
                [graph.xy[e.u as usize], graph.xy[e.v as usize]]
            });
            bounds(pts).map(|b| GeomWithData::new(Rectangle::from_aabb(b), i))
        })
        .collect();
    let tree = RTree::bulk_load(boxes);
    facilities
        .par_iter()
        .map_init(
            || SearchState::new(graph.node_count()),
            |state, f| {
                let threshold = minutes_to_time(profile.categories[f.category].minutes);
                let origins = f.origins(profile.walking_speed_mps);
                let seeds: Vec<Seed> = origins.seeds(graph);
                let empty = FacilityReach {
                    band_population: vec![0.0; bands.len()],
                    ..Default::default()
                };
                if seeds.is_empty() {
                    return empty;
                }
                let limit = bands.iter().copied().fold(threshold, Time::max);
                state.run(graph, &seeds, limit);
                let reach = state.settled();
                // The nodes reached, and the facility's own edges (reached
                // along the edge even when neither end is in time).
                let own = origins.iter().flat_map(|o| {
                    let e = graph.edges[o.pos.edge as usize];
                    [graph.xy[e.u as usize], graph.xy[e.v as usize]]
                });
                let Some(area) = bounds(reach.iter().map(|&n| graph.xy[n as usize]).chain(own))
                else {
                    return empty;
                };
                let mut out = FacilityReach {
                    nodes: reach
                        .iter()
                        .filter(|&&n| state.time(n) <= threshold)
                        .count(),
                    ..empty
                };
                for item in tree.locate_in_envelope_intersecting(&area) {
                    let c = &communities[item.data];
                    let t = c
                        .access
                        .iter()
                        .map(|a| {
                            a.time_from(
                                graph,
                                profile.walking_speed_mps,
                                |n| state.time(n),
                                &origins,
                            )
                        })
                        .min()
                        .unwrap_or(UNREACHED);
                    let pop = c.population.unwrap_or(0.0);
                    if t <= threshold {
                        out.communities += 1;
                        out.population += pop;
                    }
                    for (b, &band) in bands.iter().enumerate() {
                        if t <= band {
                            out.band_population[b] += pop;
                        }
                    }
                }
                out
            },
        )
        .collect()
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
            let times = category_times(&graph, &facilities, &profile);
            let limit = search_limit(&profile);
            for (k, cat) in profile.categories.iter().enumerate() {
                let mut expected = vec![UNREACHED; graph.node_count()];
                for f in facilities.iter().filter(|f| f.category == k) {
                    let seeds: Vec<Seed> = f.seeds(&graph, profile.walking_speed_mps);
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
            let seeds: Vec<Seed> = f.seeds(&graph, profile.walking_speed_mps);
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
        let times = category_times(&graph, &facilities, &profile);
        let origins = all_category_origins(&facilities, &profile);
        let cov = community_coverage(&graph, &communities, &times, &origins, &profile);
        let project = |g: &geo::Geometry<f64>| {
            g.map_coords(|c| {
                let [x, y] = graph.projection.project([c.x, c.y]);
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
}

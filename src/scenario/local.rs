//! Re-evaluating only the communities an edit can change.
//!
//! A community's result for a category reads the category's times at a few
//! nodes (the ends of its access edges, its inside nodes) and the category's
//! origins on its access edges (the walk straight along an edge). [`Readers`]
//! indexes both, so after an edit only the communities reading a node whose
//! time changed, or an edge where a facility was added or removed, are
//! evaluated again, and only for that category. The rule is the batch rule of
//! [`crate::coverage::community_coverage_with_options`], restated for one
//! community and one category; `tests/scenario.rs` holds the two equal on
//! random edit sequences.

use crate::coverage::{search_limit, CommunityCoverage};
use crate::network::graph::Graph;
use crate::places::Community;
use crate::profile::Profile;
use crate::search::origins::{Origins, Via};
use crate::time::{minutes_to_time, time_to_minutes, Time, UNREACHED};

/// Which communities read which node's time and which edge's origins.
#[derive(Debug, Clone, Default)]
pub struct Readers {
    /// CSR: the communities reading node `n` are
    /// `node_readers[node_first[n]..node_first[n + 1]]`.
    node_first: Vec<u32>,
    node_readers: Vec<u32>,
    /// `(edge, community)` pairs, sorted.
    edge_readers: Vec<(u32, u32)>,
}

impl Readers {
    /// Which communities read each node (access points' edge ends, nodes inside) and each edge (access points on it).
    pub fn new(graph: &Graph, communities: &[Community]) -> Readers {
        let mut pairs: Vec<(u32, u32)> = Vec::new();
        let mut edges: Vec<(u32, u32)> = Vec::new();
        for (i, c) in communities.iter().enumerate() {
            let i = i as u32;
            for a in &c.access {
                let e = graph.edges()[a.pos.edge as usize];
                pairs.push((e.u, i));
                pairs.push((e.v, i));
                edges.push((a.pos.edge, i));
            }
            pairs.extend(c.inside_nodes.iter().map(|&n| (n, i)));
        }
        pairs.sort_unstable();
        pairs.dedup();
        edges.sort_unstable();
        edges.dedup();
        let mut node_first = vec![0u32; graph.node_count() + 1];
        for &(n, _) in &pairs {
            node_first[n as usize + 1] += 1;
        }
        for n in 0..graph.node_count() {
            node_first[n + 1] += node_first[n];
        }
        Readers {
            node_first,
            node_readers: pairs.into_iter().map(|(_, c)| c).collect(),
            edge_readers: edges,
        }
    }

    /// The communities reading any of `nodes` or `edges`, sorted, once each.
    pub fn of(&self, nodes: &[u32], edges: &[u32]) -> Vec<usize> {
        let mut out: Vec<usize> = Vec::new();
        for &n in nodes {
            let (a, b) = (
                self.node_first[n as usize] as usize,
                self.node_first[n as usize + 1] as usize,
            );
            out.extend(self.node_readers[a..b].iter().map(|&c| c as usize));
        }
        for &e in edges {
            let from = self.edge_readers.partition_point(|p| p.0 < e);
            out.extend(
                self.edge_readers[from..]
                    .iter()
                    .take_while(|p| p.0 == e)
                    .map(|p| p.1 as usize),
            );
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// One category's times, origins and crossings.
pub struct Category<'a> {
    /// The category (index into the profile's).
    pub index: usize,
    /// Every node's time to its nearest facility.
    pub times: &'a [Time],
    /// Where the category's searches start.
    pub origins: &'a Origins,
    /// Major roads crossed on each node's best walk.
    pub roads_crossed: &'a [u8],
}

/// Evaluates community `c` for one category into `cov` (minutes, flag,
/// share, crossings), then its `met` and `life_circle`.
pub fn evaluate(
    graph: &Graph,
    profile: &Profile,
    c: &Community,
    category: &Category,
    cov: &mut CommunityCoverage,
) {
    let Category {
        index: k,
        times,
        origins,
        roads_crossed,
    } = *category;
    let cat = &profile.categories[k];
    let threshold = minutes_to_time(cat.minutes);
    let best = c
        .access
        .iter()
        .filter_map(|a| a.best_end(graph, |n| times[n as usize], origins))
        .min_by_key(|&(t, via)| (t, via == Via::Along))
        .filter(|b| b.0 <= search_limit(profile));
    let t = best.map_or(UNREACHED, |b| b.0);
    cov.roads_crossed[k] = best.map(|(_, via)| match via {
        Via::Node(n) => roads_crossed[n as usize],
        Via::Along => 0,
    });
    cov.covered[k] = t <= threshold;
    cov.share[k] = (!c.inside_nodes.is_empty()).then(|| {
        let within = c
            .inside_nodes
            .iter()
            .filter(|&&n| times[n as usize] <= threshold)
            .count();
        within as f64 / c.inside_nodes.len() as f64
    });
    cov.minutes[k] = (t != UNREACHED).then(|| time_to_minutes(t));
    cov.met = cov.covered.iter().filter(|&&x| x).count();
    cov.life_circle = profile
        .categories
        .iter()
        .zip(&cov.covered)
        .all(|(cat, &covered)| covered || !cat.required);
}

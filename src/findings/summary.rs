//! The numbers a planner reports: shares of communities (and of population,
//! where known) covered per category and in the whole life circle, overall and
//! per subdistrict (街道), plus what was read and how long each phase took.

use std::collections::BTreeMap;

use serde::Serialize;

use super::shares::{known_fraction, people, share};
use crate::analysis::{Analysis, PhaseTiming};
use crate::network::graph::GraphStats;
use crate::osm::ingest::IngestStats;
use crate::places::PlaceStats;

/// Coverage of one category.
#[derive(Debug, Clone, Serialize)]
pub struct CategorySummary {
    /// The category's id (`kinder`, `park`, ...).
    pub id: String,
    /// The category's Chinese name.
    pub label_zh: String,
    /// The category's English name.
    pub label_en: String,
    /// `indoor` or `outdoor`.
    pub space: &'static str,
    /// Walking-time threshold, minutes.
    pub minutes: f64,
    /// Whether the category counts towards the life circle.
    pub required: bool,
    /// Facilities of the category found, attached to the walking network or not.
    pub facilities: usize,
    /// Of those, facilities that could not be attached to the walking network.
    pub facilities_unsnapped: usize,
    /// Communities covered by the category (judged by `coverage_rule`).
    pub communities_covered: usize,
    /// `communities_covered` as a share of all communities, 0 to 1.
    pub share_covered: f64,
    /// The coverage rule behind `share_covered` (see [`crate::coverage::CoverageRule`]).
    pub coverage_rule: String,
    /// Residents of the covered communities, each person once; `None` when no
    /// community has a population.
    pub population_covered: Option<f64>,
    /// Share of the known residents living in covered communities.
    pub share_population_covered: Option<f64>,
    /// Share of the known children living in covered communities.
    pub share_children_covered: Option<f64>,
    /// Places per child served, for categories with places
    /// ([`crate::coverage::capacity`]); null for the others.
    pub places: Option<crate::coverage::capacity::CategoryPlaces>,
}

/// Coverage of a group of communities (all, or one subdistrict).
#[derive(Debug, Clone, Serialize)]
pub struct GroupSummary {
    /// `all communities`, the kind of community, or the subdistrict's name.
    pub name: String,
    /// Communities in the group.
    pub communities: usize,
    /// Residents of the group, each person once; `None` when none of its
    /// communities has a population.
    pub population: Option<f64>,
    /// Communities in the life circle (every required category covered).
    pub life_circle: usize,
    /// `life_circle` as a share of `communities`, 0 to 1.
    pub share_life_circle: f64,
    /// Share of the group's residents living in life-circle communities, when
    /// the population is known.
    pub share_population_life_circle: Option<f64>,
    /// The coverage rule behind the shares: `access`, `centroid`, `share:F`,
    /// or one per level (`社区 neighbourhood share:0.5, 小区 compound access`).
    pub coverage_rule: String,
    /// Children (population × the age group's share), when known.
    pub children: Option<f64>,
    /// Share of those children living in life-circle communities.
    pub share_children_life_circle: Option<f64>,
    /// Where the populations come from: communities per `pop_source`.
    pub pop_sources: BTreeMap<String, usize>,
    /// Share of communities covered, by category id.
    pub share_covered: BTreeMap<String, f64>,
}

/// `summary.json`.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// `childcircle` and its version.
    pub tool: String,
    /// The extract analysed, as a path.
    pub extract: String,
    /// The OpenStreetMap attribution ([`ATTRIBUTION`]).
    pub attribution: &'static str,
    /// Set when the extract is the shipped synthetic model: what the data is
    /// (模拟数据, invented streets and facilities), in Chinese and English.
    pub data_note: Option<String>,
    /// The profile and age group walked ([`crate::Profile::label`]).
    pub profile: String,
    /// Walking speed on flat ways, metres per second.
    pub walking_speed_mps: f64,
    /// When a community counts as covered, per level (printed beside every share).
    pub coverage_rule: String,
    /// Every category's coverage, in profile order.
    pub categories: Vec<CategorySummary>,
    /// Coverage of all communities together.
    pub overall: GroupSummary,
    /// The same per kind of community (社区 neighbourhoods, 小区 compounds, ...)
    /// when more than one kind is present: each level with its own
    /// denominator (a 小区 lies inside a 社区, so `overall` counts both).
    pub by_kind: Vec<GroupSummary>,
    /// The same per subdistrict (街道), for communities whose subdistrict is known.
    pub subdistricts: Vec<GroupSummary>,
    /// What reading the extract found and kept.
    pub ingest: IngestStats,
    /// Size of the walking graph.
    pub graph: GraphStats,
    /// How many facilities and communities were found and how many could not be
    /// attached.
    pub places: PlaceStats,
    /// Which rule made how many communities, and the share of the extract's
    /// residential land and buildings they hold.
    pub units: crate::places::units::UnitStats,
    /// How residents and children were estimated (the profile's figures and
    /// their sources).
    pub population_rules: crate::profile::PopulationRules,
    /// School levels, non-schools, overrides, facility sizes.
    pub classification: crate::osm::classify::Report,
    /// The rayon threads the run used.
    pub threads: usize,
    /// Wall time and memory of every phase, in order.
    pub timings: Vec<PhaseTiming>,
    /// What the planner should know about the input, one sentence each.
    pub warnings: Vec<String>,
}

/// Communities in the life circle, and their share of all the analysis's
/// communities (every level counted).
pub fn life_circle_share(a: &Analysis) -> (usize, f64) {
    let circle = a.coverage.iter().filter(|c| c.life_circle).count();
    (circle, share(circle, a.communities.len()))
}

/// ODbL attribution carried by every output.
pub const ATTRIBUTION: &str = "Map data © OpenStreetMap contributors, ODbL 1.0";

impl Summary {
    /// The figures of an analysis, overall, per level and per subdistrict.
    pub fn new(a: &Analysis) -> Summary {
        let all: Vec<usize> = (0..a.communities.len()).collect();
        let categories = (0..a.profile.categories.len())
            .map(|k| category(a, k, &all))
            .collect();
        let mut by_kind: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, c) in a.communities.iter().enumerate() {
            by_kind.entry(c.kind).or_default().push(i);
        }
        if by_kind.len() < 2 {
            by_kind.clear();
        }
        let mut by_subdistrict: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (i, c) in a.communities.iter().enumerate() {
            if let Some(s) = &c.subdistrict {
                by_subdistrict.entry(s.clone()).or_default().push(i);
            }
        }
        Summary {
            tool: format!("childcircle {}", env!("CARGO_PKG_VERSION")),
            extract: a.extract.display().to_string(),
            attribution: ATTRIBUTION,
            data_note: data_note(a),
            profile: a.profile.label(),
            walking_speed_mps: a.profile.walking_speed_mps,
            coverage_rule: rule_of(a, &all),
            categories,
            overall: group(
                a,
                if by_kind.is_empty() {
                    "all communities"
                } else {
                    "all communities of every level together (nested levels: see by_kind)"
                },
                &all,
            ),
            by_kind: by_kind
                .iter()
                .map(|(kind, ids)| group(a, kind, ids))
                .collect(),
            subdistricts: by_subdistrict
                .iter()
                .map(|(name, ids)| group(a, name, ids))
                .collect(),
            ingest: a.ingest.clone(),
            graph: a.graph.stats().clone(),
            places: a.places.clone(),
            units: a.units.clone(),
            population_rules: a.profile.population.clone(),
            classification: a.classification.clone(),
            threads: a.threads,
            timings: a.timings.clone(),
            warnings: a.warnings.clone(),
        }
    }
}

/// Coverage of category `k` over the communities `all`.
fn category(a: &Analysis, k: usize, all: &[usize]) -> CategorySummary {
    let c = &a.profile.categories[k];
    let covered: Vec<usize> = all
        .iter()
        .copied()
        .filter(|&i| a.coverage[i].covered[k])
        .collect();
    let pop = |ids: &[usize]| population(a, ids);
    CategorySummary {
        id: c.id.clone(),
        label_zh: c.label_zh.clone(),
        label_en: c.label_en.clone(),
        space: c.space.as_str(),
        minutes: c.minutes,
        required: c.required,
        facilities: a.facilities.iter().filter(|f| f.category == k).count(),
        facilities_unsnapped: a
            .facilities
            .iter()
            .filter(|f| f.category == k && f.access.is_empty())
            .count(),
        communities_covered: covered.len(),
        share_covered: share(covered.len(), all.len()),
        coverage_rule: rule_of(a, all),
        population_covered: pop(&covered),
        share_population_covered: known_fraction(pop(&covered), pop(all)),
        share_children_covered: known_fraction(children(a, &covered), children(a, all)),
        places: a.capacity.by_category.get(k).cloned().flatten(),
    }
}

/// The coverage rule of some communities, one per level when they differ.
pub fn rule_of(a: &Analysis, ids: &[usize]) -> String {
    a.coverage_rules
        .describe(ids.iter().map(|&i| a.communities[i].kind))
}

/// "模拟数据 … / Synthetic model …" for a run on the shipped model.
pub fn data_note(a: &Analysis) -> Option<String> {
    data_note_for(a.synthetic)
}

/// [`data_note`] for data that is (`synthetic`) or is not the shipped model.
pub fn data_note_for(synthetic: bool) -> Option<String> {
    synthetic.then(|| {
        format!(
            "{} / {}",
            crate::defaults::SYNTHETIC_ZH,
            crate::defaults::SYNTHETIC_EN
        )
    })
}

/// Total population of some communities (each person once: see
/// [`crate::places::counted_once`]), when any community has one.
fn population(a: &Analysis, ids: &[usize]) -> Option<f64> {
    let has_any = a.communities.iter().any(|c| c.population.is_some());
    has_any.then(|| people(&a.communities, ids, |c| c.population))
}

/// Total children of some communities, when any of them has them.
fn children(a: &Analysis, ids: &[usize]) -> Option<f64> {
    let known = ids.iter().any(|&i| a.communities[i].children.is_some());
    known.then(|| people(&a.communities, ids, |c| c.children))
}

fn group(a: &Analysis, name: &str, ids: &[usize]) -> GroupSummary {
    let circle: Vec<usize> = ids
        .iter()
        .copied()
        .filter(|&i| a.coverage[i].life_circle)
        .collect();
    // A group none of whose communities has a population (小区 compounds
    // inside 社区 that carry it) has none, not zero.
    let known = ids.iter().any(|&i| a.communities[i].population.is_some());
    let total = population(a, ids).filter(|_| known);
    GroupSummary {
        name: name.to_string(),
        communities: ids.len(),
        population: total,
        life_circle: circle.len(),
        share_life_circle: share(circle.len(), ids.len()),
        share_population_life_circle: known_fraction(population(a, &circle), total),
        coverage_rule: rule_of(a, ids),
        children: children(a, ids),
        share_children_life_circle: known_fraction(children(a, &circle), children(a, ids)),
        pop_sources: ids.iter().fold(BTreeMap::new(), |mut m, &i| {
            *m.entry(a.communities[i].pop_source.to_string())
                .or_default() += 1;
            m
        }),
        share_covered: a
            .profile
            .categories
            .iter()
            .enumerate()
            .map(|(k, c)| {
                let n = ids.iter().filter(|&&i| a.coverage[i].covered[k]).count();
                (c.id.clone(), share(n, ids.len()))
            })
            .collect(),
    }
}

//! The key figures of a scenario (communities and population in the life
//! circle, per category, per subdistrict against a target) and its diff
//! against the base: which communities joined or left each category and the
//! life circle, with the population gained or lost where known.

use serde::Serialize;

use super::{Base, Scenario};
use crate::coverage::CommunityCoverage;

/// Communities and population meeting one condition.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Count {
    pub communities: usize,
    /// Summed population of those communities that have one (`None` when no
    /// community of the analysis has a population).
    pub population: Option<f64>,
}

/// One category's figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CategoryFigures {
    pub id: String,
    pub label_zh: String,
    pub label_en: String,
    pub required: bool,
    pub minutes: f64,
    pub facilities: usize,
    pub covered: Count,
}

/// One subdistrict's (街道) life circle against the target.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupFigures {
    pub name: String,
    pub communities: usize,
    pub life_circle: usize,
    pub share_life_circle: f64,
    /// Whether the share reaches the target, when one is set.
    pub meets_target: Option<bool>,
}

/// The figures of one facility set.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Figures {
    pub communities: usize,
    pub population: Option<f64>,
    pub life_circle: Count,
    pub categories: Vec<CategoryFigures>,
    pub subdistricts: Vec<GroupFigures>,
    pub target: Option<f64>,
}

/// Figures of a coverage over the base's communities (one pass over them).
pub fn figures(
    base: &Base,
    coverage: &[CommunityCoverage],
    facilities_per_category: &[usize],
    target: Option<f64>,
) -> Figures {
    let communities = &base.communities;
    let known = communities.iter().any(|c| c.population.is_some());
    let k = base.profile.categories.len();
    let (mut covered, mut covered_pop) = (vec![0usize; k], vec![0.0f64; k]);
    let (mut circle, mut circle_pop) = (0usize, 0.0f64);
    let groups = &base.subdistricts;
    let mut per_group = vec![(0usize, 0usize); groups.names.len()];
    for ((c, cov), &g) in communities.iter().zip(coverage).zip(&groups.of) {
        let pop = c.population.unwrap_or(0.0);
        for (j, &is) in cov.covered.iter().enumerate() {
            if is {
                covered[j] += 1;
                covered_pop[j] += pop;
            }
        }
        circle += usize::from(cov.life_circle);
        circle_pop += if cov.life_circle { pop } else { 0.0 };
        per_group[g as usize].0 += 1;
        per_group[g as usize].1 += usize::from(cov.life_circle);
    }
    let count = |n: usize, pop: f64| Count {
        communities: n,
        population: known.then_some(pop + 0.0),
    };
    let categories = base
        .profile
        .categories
        .iter()
        .enumerate()
        .map(|(j, c)| CategoryFigures {
            id: c.id.clone(),
            label_zh: c.label_zh.clone(),
            label_en: c.label_en.clone(),
            required: c.required,
            minutes: c.minutes,
            facilities: facilities_per_category[j],
            covered: count(covered[j], covered_pop[j]),
        })
        .collect();
    let subdistricts = groups
        .names
        .iter()
        .zip(per_group)
        .map(|(name, (n, lc))| {
            let share = if n == 0 { 0.0 } else { lc as f64 / n as f64 };
            GroupFigures {
                name: name.clone(),
                communities: n,
                life_circle: lc,
                share_life_circle: share,
                meets_target: target.map(|t| share >= t),
            }
        })
        .collect();
    Figures {
        communities: communities.len(),
        population: known.then(|| communities.iter().filter_map(|c| c.population).sum()),
        life_circle: count(circle, circle_pop),
        categories,
        subdistricts,
        target,
    }
}

/// The subdistricts (街道) of the base's communities, by name.
#[derive(Debug, Clone, Default)]
pub struct Subdistricts {
    pub names: Vec<String>,
    /// Per community, the index of its subdistrict in `names`.
    pub of: Vec<u32>,
}

impl Subdistricts {
    pub fn new(communities: &[crate::places::Community]) -> Subdistricts {
        let name = |c: &crate::places::Community| {
            c.subdistrict
                .clone()
                .unwrap_or_else(|| crate::report::tables::UNASSIGNED.to_string())
        };
        let names: Vec<String> = communities
            .iter()
            .map(name)
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let of = communities
            .iter()
            .map(|c| names.binary_search(&name(c)).expect("listed") as u32)
            .collect();
        Subdistricts { names, of }
    }
}

/// Communities that joined or left one condition.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Change {
    /// Indices into the base's communities.
    pub joined: Vec<usize>,
    pub left: Vec<usize>,
    pub population_gained: f64,
    pub population_lost: f64,
}

/// What a scenario changes against its base.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diff {
    pub life_circle: Change,
    /// Per category, in the profile's order.
    pub categories: Vec<Change>,
    /// Communities whose time, flag or life circle changed for any category.
    pub changed: Vec<usize>,
}

/// The diff between the base's coverage and the scenario's.
pub fn diff(scenario: &Scenario) -> Diff {
    let base = scenario.base();
    let before = &base.state.coverage;
    let after = &scenario.state().coverage;
    let pop = |i: usize| base.communities[i].population.unwrap_or(0.0);
    let change = |flag: &dyn Fn(&CommunityCoverage) -> bool| {
        let mut c = Change::default();
        for (i, (b, a)) in before.iter().zip(after).enumerate() {
            match (flag(b), flag(a)) {
                (false, true) => {
                    c.joined.push(i);
                    c.population_gained += pop(i);
                }
                (true, false) => {
                    c.left.push(i);
                    c.population_lost += pop(i);
                }
                _ => {}
            }
        }
        c
    };
    Diff {
        life_circle: change(&|c: &CommunityCoverage| c.life_circle),
        categories: (0..base.profile.categories.len())
            .map(|k| change(&|c: &CommunityCoverage| c.covered[k]))
            .collect(),
        changed: before
            .iter()
            .zip(after)
            .enumerate()
            .filter(|(_, (b, a))| {
                b.minutes != a.minutes || b.covered != a.covered || b.life_circle != a.life_circle
            })
            .map(|(i, _)| i)
            .collect(),
    }
}

/// Facilities per category of a facility list.
pub fn facilities_per_category<'a>(
    facilities: impl Iterator<Item = &'a crate::places::Facility>,
    categories: usize,
) -> Vec<usize> {
    let mut n = vec![0; categories];
    for f in facilities {
        n[f.category] += 1;
    }
    n
}

/// The base's figures and the scenario's.
pub fn before_after(scenario: &Scenario, target: Option<f64>) -> (Figures, Figures) {
    let base = scenario.base();
    let k = base.profile.categories.len();
    let before = if target.is_none() {
        base.figures.clone()
    } else {
        figures(
            base,
            &base.state.coverage,
            &facilities_per_category(base.facilities.iter(), k),
            target,
        )
    };
    let after = figures(
        base,
        &scenario.state().coverage,
        &facilities_per_category(scenario.slots().iter().flatten(), k),
        target,
    );
    (before, after)
}

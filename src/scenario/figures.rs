//! The key figures of a scenario (communities, population and children in
//! the life circle, per category, per subdistrict against a target) and its
//! diff against the base: which communities joined or left each category and
//! the life circle, with the population and children gained or lost where
//! known. Both are kept per edit: the figures from a [`Tally`] updated for
//! the communities an edit evaluates again, the diff from the set of
//! communities that differ from the base; [`Tally::new`] and [`diff_scan`]
//! are the full passes the tests hold them equal to.

use serde::Serialize;

use super::{Base, Scenario};
use crate::coverage::CommunityCoverage;
use crate::places::Community;

/// Communities, population and children meeting one condition.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Count {
    /// Communities meeting it.
    pub communities: usize,
    /// Summed population of those communities that have one (`None` when no
    /// community of the analysis has a population).
    pub population: Option<f64>,
    /// Summed children of those communities that have a count (`None` when
    /// no community of the analysis has one).
    pub children: Option<f64>,
}

/// One category's figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CategoryFigures {
    /// The category's id (`kinder`, `park`, ...).
    pub id: String,
    /// Its Chinese label.
    pub label_zh: String,
    /// Its English label.
    pub label_en: String,
    /// Whether the life circle requires it.
    pub required: bool,
    /// Its walking threshold, minutes.
    pub minutes: f64,
    /// Facilities of the category in the set.
    pub facilities: usize,
    /// Communities covered.
    pub covered: Count,
}

/// One subdistrict's (街道) life circle against the target.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupFigures {
    /// The subdistrict's name.
    pub name: String,
    /// Its communities.
    pub communities: usize,
    /// Those in the life circle.
    pub life_circle: usize,
    /// Their share, 0 to 1.
    pub share_life_circle: f64,
    /// Whether the share reaches the target, when one is set.
    pub meets_target: Option<bool>,
}

/// The figures of one facility set.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Figures {
    /// Communities analysed.
    pub communities: usize,
    /// Their summed population (`None` when none has one).
    pub population: Option<f64>,
    /// Their summed children (`None` when none has a count).
    pub children: Option<f64>,
    /// Those in the life circle.
    pub life_circle: Count,
    /// Per category, in the profile's order.
    pub categories: Vec<CategoryFigures>,
    /// Per subdistrict, by name.
    pub subdistricts: Vec<GroupFigures>,
    /// The life-circle share to reach (0 to 1), when one is set.
    pub target: Option<f64>,
}

/// People of a set of communities in millionths, so that sums kept up to
/// date one community at a time equal sums taken afresh, exactly.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct People {
    population: i64,
    children: i64,
}

fn micro(v: Option<f64>) -> i64 {
    v.map_or(0, |v| (v * 1e6).round() as i64)
}

impl People {
    fn of(c: &Community) -> People {
        People {
            population: micro(c.population),
            children: micro(c.children),
        }
    }

    fn add(&mut self, p: People, sign: i64) {
        self.population += sign * p.population;
        self.children += sign * p.children;
    }
}

/// The counts behind [`Figures`], kept up to date one community at a time
/// as a scenario evaluates communities again ([`Tally::count`]), so that the
/// figures after an edit cost the edit's communities, not all of them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    covered: Vec<usize>,
    covered_people: Vec<People>,
    circle: usize,
    circle_people: People,
    /// Per subdistrict, communities in the life circle.
    group_circle: Vec<usize>,
}

impl Tally {
    /// The tally of a whole coverage (one pass over the communities).
    pub fn new(base: &Base, coverage: &[CommunityCoverage]) -> Tally {
        let mut t = Tally {
            covered: vec![0; base.profile.categories.len()],
            covered_people: vec![People::default(); base.profile.categories.len()],
            group_circle: vec![0; base.subdistricts.names.len()],
            ..Tally::default()
        };
        for (i, cov) in coverage.iter().enumerate() {
            t.count(base, i, cov, 1);
        }
        t
    }

    /// Adds (`sign` 1) or takes away (`sign` -1) community `i` with coverage
    /// `cov`.
    pub fn count(&mut self, base: &Base, i: usize, cov: &CommunityCoverage, sign: i64) {
        let people = People::of(&base.communities[i]);
        for (j, &is) in cov.covered.iter().enumerate() {
            if is {
                self.covered[j] = (self.covered[j] as i64 + sign) as usize;
                self.covered_people[j].add(people, sign);
            }
        }
        if cov.life_circle {
            self.circle = (self.circle as i64 + sign) as usize;
            self.circle_people.add(people, sign);
            let g = base.subdistricts.of[i] as usize;
            self.group_circle[g] = (self.group_circle[g] as i64 + sign) as usize;
        }
    }
}

/// Figures of a tally over the base's communities.
pub fn figures(
    base: &Base,
    tally: &Tally,
    facilities_per_category: &[usize],
    target: Option<f64>,
) -> Figures {
    let known = &base.subdistricts.known;
    let count = |n: usize, p: People| Count {
        communities: n,
        population: known.population.then_some(p.population as f64 / 1e6),
        children: known.children.then_some(p.children as f64 / 1e6),
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
            covered: count(tally.covered[j], tally.covered_people[j]),
        })
        .collect();
    let groups = &base.subdistricts;
    let subdistricts = groups
        .names
        .iter()
        .zip(&groups.members)
        .zip(&tally.group_circle)
        .map(|((name, &n), &lc)| {
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
        communities: base.communities.len(),
        population: known
            .population
            .then_some(known.total.population as f64 / 1e6),
        children: known.children.then_some(known.total.children as f64 / 1e6),
        life_circle: count(tally.circle, tally.circle_people),
        categories,
        subdistricts,
        target,
    }
}

/// Which people counts the communities carry at all, and their totals.
#[derive(Debug, Clone, Default)]
pub struct Known {
    /// Whether any community has a population.
    pub population: bool,
    /// Whether any community has a count of children.
    pub children: bool,
    total: People,
}

/// The subdistricts (街道) of the base's communities, by name.
#[derive(Debug, Clone, Default)]
pub struct Subdistricts {
    /// The names, sorted.
    pub names: Vec<String>,
    /// Per community, the index of its subdistrict in `names`.
    pub of: Vec<u32>,
    /// Per subdistrict, its number of communities.
    pub members: Vec<usize>,
    /// Which people counts the communities carry.
    pub known: Known,
}

impl Subdistricts {
    /// The subdistricts of `communities` (those without one under [`crate::findings::districts::UNASSIGNED`]).
    pub fn new(communities: &[crate::places::Community]) -> Subdistricts {
        let name = |c: &crate::places::Community| {
            c.subdistrict
                .clone()
                .unwrap_or_else(|| crate::findings::districts::UNASSIGNED.to_string())
        };
        let names: Vec<String> = communities
            .iter()
            .map(name)
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let of: Vec<u32> = communities
            .iter()
            .map(|c| names.binary_search(&name(c)).expect("listed") as u32)
            .collect();
        let mut members = vec![0; names.len()];
        for &g in &of {
            members[g as usize] += 1;
        }
        let mut total = People::default();
        for c in communities {
            total.add(People::of(c), 1);
        }
        let known = Known {
            population: communities.iter().any(|c| c.population.is_some()),
            children: communities.iter().any(|c| c.children.is_some()),
            total,
        };
        Subdistricts {
            names,
            of,
            members,
            known,
        }
    }
}

/// Communities that joined or left one condition.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Change {
    /// Indices (into the base's communities) of those that joined.
    pub joined: Vec<usize>,
    /// Indices of those that left.
    pub left: Vec<usize>,
    /// People of the communities that joined.
    pub population_gained: f64,
    /// People of those that left.
    pub population_lost: f64,
    /// Children of those that joined.
    pub children_gained: f64,
    /// Children of those that left.
    pub children_lost: f64,
}

impl Change {
    fn record(&mut self, c: &Community, i: usize, before: bool, after: bool) {
        let (pop, kids) = (c.population.unwrap_or(0.0), c.children.unwrap_or(0.0));
        match (before, after) {
            (false, true) => {
                self.joined.push(i);
                self.population_gained += pop;
                self.children_gained += kids;
            }
            (true, false) => {
                self.left.push(i);
                self.population_lost += pop;
                self.children_lost += kids;
            }
            _ => {}
        }
    }
}

/// What a scenario changes against its base.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diff {
    /// The life circle.
    pub life_circle: Change,
    /// Per category, in the profile's order.
    pub categories: Vec<Change>,
    /// Communities whose time, flag or life circle changed for any category.
    pub changed: Vec<usize>,
}

/// Whether a community's coverage differs from the base's in what the diff
/// reports (a time, a flag or the life circle).
pub fn differs(before: &CommunityCoverage, after: &CommunityCoverage) -> bool {
    before.minutes != after.minutes
        || before.covered != after.covered
        || before.life_circle != after.life_circle
}

/// The diff between the base's coverage and the scenario's, from the
/// communities the scenario knows to differ (kept up to date per edit).
pub fn diff(scenario: &Scenario) -> Diff {
    diff_of(
        scenario.base(),
        &scenario.state().coverage,
        scenario.changed_communities(),
    )
}

/// The diff of `after` against the base's coverage over every community:
/// what [`diff`] must equal (the test oracle).
pub fn diff_scan(base: &Base, after: &[CommunityCoverage]) -> Diff {
    let before = &base.state.coverage;
    let changed = (0..before.len()).filter(|&i| differs(&before[i], &after[i]));
    diff_of(base, after, changed)
}

fn diff_of(base: &Base, after: &[CommunityCoverage], changed: impl Iterator<Item = usize>) -> Diff {
    let before = &base.state.coverage;
    let mut d = Diff {
        life_circle: Change::default(),
        categories: vec![Change::default(); base.profile.categories.len()],
        changed: Vec::new(),
    };
    for i in changed {
        let (b, a, c) = (&before[i], &after[i], &base.communities[i]);
        d.life_circle.record(c, i, b.life_circle, a.life_circle);
        for (k, change) in d.categories.iter_mut().enumerate() {
            change.record(c, i, b.covered[k], a.covered[k]);
        }
        d.changed.push(i);
    }
    d
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
            &base.tally,
            &facilities_per_category(base.facilities.iter(), k),
            target,
        )
    };
    let after = figures(
        base,
        scenario.tally(),
        &facilities_per_category(scenario.slots().iter().flatten(), k),
        target,
    );
    (before, after)
}

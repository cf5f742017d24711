//! The answer to every scenario request (`GET /api/scenarios/{id}`, each
//! edit, an import): the edits, the facilities that differ from the base,
//! before/after figures, the diff with capped joined/left lists and every
//! community's colour code, serialised straight from the scenario with serde
//! (no intermediate JSON trees).

use std::time::Instant;

use serde::Serialize;

use super::engine::point_on_edge;
use super::limits::ScenarioLimits;
use childcircle::scenario::figures::{before_after, diff, Change, Figures};
use childcircle::scenario::{Base, Edit, Scenario};

/// One community of a joined/left list.
#[derive(Serialize)]
struct Listed<'a> {
    community: usize,
    id: &'a str,
    name: &'a str,
    population: Option<f64>,
    children: Option<f64>,
}

/// A joined/left list, capped, with the communities' names.
#[derive(Serialize)]
struct ChangeAnswer<'a> {
    joined: Vec<Listed<'a>>,
    joined_count: usize,
    left: Vec<Listed<'a>>,
    left_count: usize,
    population_gained: f64,
    population_lost: f64,
    children_gained: f64,
    children_lost: f64,
}

impl<'a> ChangeAnswer<'a> {
    fn new(base: &'a Base, c: &Change, max: usize) -> ChangeAnswer<'a> {
        let list = |ids: &[usize]| -> Vec<Listed<'a>> {
            ids.iter()
                .take(max)
                .map(|&i| {
                    let m = &base.communities[i];
                    Listed {
                        community: i,
                        id: &m.id,
                        name: &m.name,
                        population: m.population,
                        children: m.children,
                    }
                })
                .collect()
        };
        ChangeAnswer {
            joined: list(&c.joined),
            joined_count: c.joined.len(),
            left: list(&c.left),
            left_count: c.left.len(),
            population_gained: c.population_gained,
            population_lost: c.population_lost,
            children_gained: c.children_gained,
            children_lost: c.children_lost,
        }
    }
}

/// The categories' changes, as an object keyed by category id.
struct ByCategory<'a>(Vec<(&'a str, ChangeAnswer<'a>)>);

impl Serialize for ByCategory<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

#[derive(Serialize)]
struct DiffAnswer<'a> {
    life_circle: ChangeAnswer<'a>,
    categories: ByCategory<'a>,
    changed_communities: usize,
}

/// One edit of the edit list.
#[derive(Serialize)]
struct EditAnswer<'a> {
    op: &'static str,
    facility: usize,
    lonlat: Option<[f64; 2]>,
    category: Option<&'a str>,
}

/// One facility that differs from the base.
#[derive(Serialize)]
struct FacilityAnswer<'a> {
    facility: usize,
    state: &'static str,
    category: &'a str,
    lonlat: [f64; 2],
    name: Option<&'a str>,
    snapped: Option<[f64; 2]>,
}

/// Where the last edit put its facility.
#[derive(Serialize)]
struct AppliedAnswer {
    facility: usize,
    snapped: Option<[f64; 2]>,
    snap_m: Option<f64>,
}

/// Everything the page shows of a scenario (the answer to every scenario
/// request), serialised straight from the scenario.
#[derive(Serialize)]
pub struct StateAnswer<'a> {
    id: &'a str,
    edits: Vec<EditAnswer<'a>>,
    redo: usize,
    facilities: Vec<FacilityAnswer<'a>>,
    before: Figures,
    after: Figures,
    diff: DiffAnswer<'a>,
    /// One character per community: `'0'` + 2 × categories met + life circle.
    communities: String,
    memory_bytes: usize,
    /// Time spent on the request: the edit (given) plus building this answer.
    pub server_ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    applied: Option<AppliedAnswer>,
}

impl StateAnswer<'_> {
    /// The answer as JSON bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("JSON encodes")
    }
}

/// Everything the page shows of a scenario; `server_ms` is the time already
/// spent on the request (the edit), to which building the answer is added.
pub fn state_json<'a>(
    id: &'a str,
    s: &'a Scenario,
    limits: &ScenarioLimits,
    slot: Option<usize>,
    server_ms: f64,
) -> StateAnswer<'a> {
    let t = Instant::now();
    let base = &**s.base();
    let (before, after) = before_after(s, None);
    let communities = s
        .state()
        .coverage
        .iter()
        .map(|c| char::from(b'0' + (2 * c.met.min(40) + usize::from(c.life_circle)) as u8))
        .collect();
    let applied = slot.map(|slot| {
        let f = s.slots()[slot].as_ref();
        AppliedAnswer {
            facility: slot,
            snapped: f.and_then(|f| f.access.first()).map(|a| snapped(base, a)),
            snap_m: f.and_then(|f| f.snap_m()),
        }
    });
    StateAnswer {
        id,
        edits: edit_answers(s),
        redo: s.redoable(),
        facilities: facility_answers(s),
        before,
        after,
        diff: diff_answer(s, limits.max_listed),
        communities,
        memory_bytes: s.memory_bytes(),
        server_ms: server_ms + t.elapsed().as_secs_f64() * 1e3,
        applied,
    }
}

/// The scenario's edits, in order, each with the category of its facility.
fn edit_answers(s: &Scenario) -> Vec<EditAnswer<'_>> {
    let base = &**s.base();
    let cats = &base.profile.categories;
    s.edits()
        .iter()
        .map(|a| {
            let (op, lonlat) = match &a.edit {
                Edit::Add { lonlat, .. } => ("add", Some(*lonlat)),
                Edit::Move { lonlat, .. } => ("move", Some(*lonlat)),
                Edit::Remove { .. } => ("remove", None),
            };
            let category = a
                .after()
                .map(|f| f.category)
                .or_else(|| {
                    s.slots()
                        .get(a.slot)
                        .and_then(|f| f.as_ref())
                        .map(|f| f.category)
                })
                .or_else(|| base.facilities.get(a.slot).map(|f| f.category));
            EditAnswer {
                op,
                facility: a.slot,
                lonlat,
                category: category.map(|k| cats[k].id.as_str()),
            }
        })
        .collect()
}

/// The facilities the scenario added, moved or removed, as they are now (or
/// were, if removed).
fn facility_answers(s: &Scenario) -> Vec<FacilityAnswer<'_>> {
    let base = &**s.base();
    let cats = &base.profile.categories;
    s.slots()
        .iter()
        .enumerate()
        .filter_map(|(slot, now)| {
            let was = base.facilities.get(slot);
            let state = match (was, now) {
                (Some(_), None) => "removed",
                (Some(w), Some(n)) if w.lonlat != n.lonlat => "moved",
                (None, Some(_)) => "added",
                _ => return None,
            };
            let f = now.as_ref().or(was)?;
            Some(FacilityAnswer {
                facility: slot,
                state,
                category: &cats[f.category].id,
                lonlat: f.lonlat,
                name: f.name.as_deref(),
                snapped: f.access.first().map(|a| snapped(base, a)),
            })
        })
        .collect()
}

/// The communities that joined or left the life circle and each category's
/// coverage, up to `max` listed by name each.
fn diff_answer(s: &Scenario, max: usize) -> DiffAnswer<'_> {
    let base = &**s.base();
    let d = diff(s);
    DiffAnswer {
        life_circle: ChangeAnswer::new(base, &d.life_circle, max),
        categories: ByCategory(
            base.profile
                .categories
                .iter()
                .zip(&d.categories)
                .map(|(c, ch)| (c.id.as_str(), ChangeAnswer::new(base, ch, max)))
                .collect(),
        ),
        changed_communities: d.changed.len(),
    }
}

/// Where an access point meets the network, lon/lat.
fn snapped(base: &Base, a: &childcircle::search::position::AccessPoint) -> [f64; 2] {
    let xy = point_on_edge(&base.graph, a);
    let p = base.graph.projection().unproject(xy);
    [round6(p[0]), round6(p[1])]
}

pub(super) fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

//! What-if planning: a scenario of facility edits over a loaded analysis.
//!
//! The loaded analysis is the [`Base`], shared read-only (an `Arc`) between
//! any number of [`Scenario`]s. A scenario adds, moves or removes facilities
//! and keeps its own category times, search origins and community coverage,
//! updated per edit:
//!
//! - **adding** a facility can only shorten times: one bounded search from
//!   the new facility, then `min` into its category's node times;
//! - **removing** one (a move is a removal and an addition) repairs only the
//!   nodes that facility was nearest to ([`repair`]): one bounded search
//!   from it finds them, one Dijkstra from their edge gives them their new
//!   times, exactly;
//! - then only the communities that read a changed node time or an edge
//!   where a facility came or went are evaluated again, for that category
//!   ([`local`]), and the figures' counts and the set of communities that
//!   differ from the base are updated for those alone ([`figures`]). The
//!   result after any edit sequence equals a fresh analysis of the edited
//!   facility set ([`batch`], the `analyze` path; `tests/scenario.rs` checks
//!   it on seeded random edit sequences).
//!
//! Every edit can be undone and redone. Before/after figures and the diff
//! against the base live in [`figures`]; the scenario file (GeoJSON of the
//! edited facilities) and the changed-communities CSV in
//! [`file`](mod@file); the report of a scenario (map, HTML) in [`snapshot`].

pub mod figures;
pub mod file;
pub mod local;
pub mod repair;
pub mod snapshot;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;

use crate::coverage::{
    community_coverage_with_options, search_limit, CommunityCoverage, CoverageOptions,
};
use crate::network::graph::Graph;
use crate::places::snap::GraphIndex;
use crate::places::{facility_access, Community, Facility, PlaceGeometry};
use crate::profile::Profile;
use crate::search::origins::Origins;
use crate::search::with_thread_state;
use crate::time::Time;

/// Most edits one scenario keeps (done plus undone); beyond, an edit is refused.
pub const MAX_EDITS: usize = 5_000;

/// Approximate bytes of one facility point held by a scenario.
pub const FACILITY_BYTES: usize = std::mem::size_of::<Facility>() + 64;

/// Category times, crossings, origins and coverage of one facility set.
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    /// Per category, every node's time to the nearest facility.
    pub times: Vec<Vec<Time>>,
    /// Per category, the major roads crossed on each node's best walk.
    pub roads_crossed: Vec<Vec<u8>>,
    /// Per category, where the searches start.
    pub origins: Vec<Origins>,
    /// Per community, its coverage.
    pub coverage: Vec<CommunityCoverage>,
}

/// The loaded analysis every scenario starts from (read-only, shared).
pub struct Base {
    /// The extract analysed.
    pub extract: PathBuf,
    /// The profile it was analysed with.
    pub profile: Profile,
    /// The walking graph.
    pub graph: Graph,
    /// The graph's R-tree, for snapping added and moved facilities.
    pub index: GraphIndex,
    /// The extract's facilities (slots `0..len`).
    pub facilities: Vec<Facility>,
    /// The communities.
    pub communities: Vec<Community>,
    /// Times, origins and coverage with the extract's facilities.
    pub state: State,
    /// Which communities read which node and edge.
    pub readers: local::Readers,
    /// The subdistrict of each community.
    pub subdistricts: figures::Subdistricts,
    /// The counts of the base's figures.
    pub tally: figures::Tally,
    /// The base's own figures (no target).
    pub figures: figures::Figures,
    /// Lon/lat bounds of the graph: `[min lon, min lat, max lon, max lat]`.
    pub bounds: [f64; 4],
    /// What the report writers read of the loaded analysis besides.
    pub meta: snapshot::Meta,
    /// District outlines for the page and the snapshot, made on first use
    /// ([`Base::districts`]).
    districts: std::sync::OnceLock<Vec<crate::findings::districts::District>>,
}

impl Base {
    /// The base of an analysis (its graph, facilities and communities; the
    /// times are searched again to keep the crossings).
    pub fn from_analysis(a: crate::Analysis) -> Base {
        let index = GraphIndex::new(&a.graph);
        let meta = snapshot::Meta::of(&a);
        let mut base = Base::new(
            a.extract,
            a.profile,
            a.graph,
            index,
            a.facilities,
            a.communities,
        );
        base.meta = meta;
        base
    }

    /// District outlines: for the shipped Dezhou model its districts file
    /// (as `analyze` uses by default), else the subdistricts (街道) named by
    /// the communities, each the union of its communities' outlines.
    pub fn districts(&self) -> &[crate::findings::districts::District] {
        self.districts.get_or_init(|| {
            if crate::defaults::is_dezhou_model(&self.extract) {
                let file = crate::write::shipped::dezhou_districts()
                    .and_then(|p| crate::findings::districts::read_districts(&p));
                if let Ok(file) = file {
                    return file.districts;
                }
            }
            snapshot::subdistrict_outlines(&self.communities, &self.subdistricts)
        })
    }

    /// A base from its parts, evaluated with the batch path ([`batch`]).
    pub fn new(
        extract: PathBuf,
        profile: Profile,
        graph: Graph,
        index: GraphIndex,
        facilities: Vec<Facility>,
        communities: Vec<Community>,
    ) -> Base {
        let state = batch(&graph, &facilities, &communities, &profile);
        let bounds = graph_bounds(&graph);
        let readers = local::Readers::new(&graph, &communities);
        let subdistricts = figures::Subdistricts::new(&communities);
        let mut base = Base {
            readers,
            subdistricts,
            figures: figures::Figures::default(),
            tally: figures::Tally::default(),
            extract,
            profile,
            graph,
            index,
            facilities,
            communities,
            state,
            bounds,
            meta: snapshot::Meta::default(),
            districts: std::sync::OnceLock::new(),
        };
        let per_category =
            figures::facilities_per_category(base.facilities.iter(), base.profile.categories.len());
        base.tally = figures::Tally::new(&base, &base.state.coverage);
        base.figures = figures::figures(&base, &base.tally, &per_category, None);
        base
    }

    /// Bytes a new scenario holds beyond this base (times and crossings of
    /// every node and category, coverage, the set of changed communities
    /// once all have changed, facility slots), approximately; each edit adds
    /// at most `2 × FACILITY_BYTES` more.
    pub fn scenario_bytes(&self) -> usize {
        let categories = self.profile.categories.len();
        self.graph.node_count() * categories * 5
            + self.communities.len() * (categories * 40 + 64 + 32)
            + self.facilities.len() * FACILITY_BYTES
    }

    /// The most a scenario can hold beyond this base: [`Base::scenario_bytes`]
    /// plus [`MAX_EDITS`] edits.
    pub fn scenario_max_bytes(&self) -> usize {
        self.scenario_bytes() + 3 * MAX_EDITS * FACILITY_BYTES
    }

    /// Attaches a facility of `category` at `lonlat` to the network by the
    /// rules of any facility (a point snaps to the nearest way within the
    /// profile's `max_snap_m`), or says why it cannot be placed there.
    pub fn place(
        &self,
        category: usize,
        lonlat: [f64; 2],
        name: Option<String>,
    ) -> Result<Facility, EditError> {
        let [x0, y0, x1, y1] = self.bounds;
        if !(lonlat[0] >= x0 && lonlat[0] <= x1 && lonlat[1] >= y0 && lonlat[1] <= y1) {
            return Err(EditError::OutsideExtract { lonlat });
        }
        let geometry = PlaceGeometry::Point(lonlat);
        let access = facility_access(&geometry, &self.graph, &self.index, &self.profile);
        if access.is_empty() {
            return Err(EditError::TooFar {
                lonlat,
                max_snap_m: self.profile.max_snap_m,
            });
        }
        Ok(Facility {
            osm: crate::tags::OsmRef::Node(0),
            category,
            name,
            lonlat,
            geometry,
            access,
            capacity: None,
            file: None,
        })
    }
}

/// The batch evaluation of a facility set: what `analyze` computes (its
/// multi-source searches, origins and coverage rule).
pub fn batch(
    graph: &Graph,
    facilities: &[Facility],
    communities: &[Community],
    profile: &Profile,
) -> State {
    let crate::coverage::CategoryTimes {
        times,
        roads_crossed,
    } = crate::coverage::category_times(graph, facilities, profile);
    let origins = crate::coverage::all_category_origins(graph, facilities, profile);
    let options = CoverageOptions {
        roads_crossed: Some(&roads_crossed),
        ..Default::default()
    };
    let coverage =
        community_coverage_with_options(graph, communities, &times, &origins, profile, &options);
    State {
        times,
        roads_crossed,
        origins,
        coverage,
    }
}

fn graph_bounds(graph: &Graph) -> [f64; 4] {
    let mut b = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
    for n in 0..graph.node_count() as u32 {
        let p = graph.lonlat(n);
        b = [
            b[0].min(p[0]),
            b[1].min(p[1]),
            b[2].max(p[0]),
            b[3].max(p[1]),
        ];
    }
    b
}

/// One edit of a scenario. Facilities are named by their slot: the base
/// facilities are slots `0..base.facilities.len()` (in the base's order), each
/// added facility gets the next free slot.
#[derive(Debug, Clone, PartialEq)]
pub enum Edit {
    /// Adds a facility of `category` at `lonlat` (lon/lat degrees), with an optional name.
    Add {
        /// The category (index into the profile's).
        category: usize,
        /// Where, lon/lat degrees.
        lonlat: [f64; 2],
        /// Its name, if given.
        name: Option<String>,
    },
    /// Moves the facility in slot `facility` to `lonlat`.
    Move {
        /// The slot.
        facility: usize,
        /// Where to, lon/lat degrees.
        lonlat: [f64; 2],
    },
    /// Removes the facility in slot `facility`.
    Remove {
        /// The slot.
        facility: usize,
    },
}

/// Why an edit was refused (the scenario is unchanged).
#[derive(Debug, Clone, PartialEq)]
pub enum EditError {
    /// The point lies outside the extract's box.
    OutsideExtract {
        /// The point, lon/lat degrees.
        lonlat: [f64; 2],
    },
    /// The point is farther than `max_snap_m` from any walkable way.
    TooFar {
        /// The point, lon/lat degrees.
        lonlat: [f64; 2],
        /// The profile's snapping distance, metres.
        max_snap_m: f64,
    },
    /// No facility holds that slot (never did, or was removed).
    UnknownFacility {
        /// The slot asked for.
        facility: usize,
    },
    /// No category has that index.
    UnknownCategory {
        /// The index asked for.
        category: usize,
    },
    /// The scenario already holds the most edits it may.
    TooManyEdits {
        /// That most.
        max: usize,
    },
    /// Undo with no edit left to undo.
    NothingToUndo,
    /// Redo with no undone edit left.
    NothingToRedo,
}

impl std::fmt::Display for EditError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EditError::OutsideExtract { lonlat } => write!(
                f,
                "({:.6}, {:.6}) lies outside the loaded extract",
                lonlat[0], lonlat[1]
            ),
            EditError::TooFar { lonlat, max_snap_m } => write!(
                f,
                "({:.6}, {:.6}) is farther than {max_snap_m} m from any walkable way: a facility there cannot be reached",
                lonlat[0], lonlat[1]
            ),
            EditError::UnknownFacility { facility } => {
                write!(f, "facility {facility} does not exist in this scenario (removed, or never added)")
            }
            EditError::UnknownCategory { category } => {
                write!(f, "category {category} is not a category of the profile")
            }
            EditError::TooManyEdits { max } => write!(
                f,
                "the scenario already holds {max} edits (done and undone); start a new one"
            ),
            EditError::NothingToUndo => write!(f, "nothing to undo"),
            EditError::NothingToRedo => write!(f, "nothing to redo"),
        }
    }
}

impl std::error::Error for EditError {}

/// An applied edit: which slot held what before and after.
#[derive(Debug, Clone)]
pub struct Applied {
    /// The edit.
    pub edit: Edit,
    /// The slot it changed.
    pub slot: usize,
    before: Option<Facility>,
    after: Option<Facility>,
}

impl Applied {
    /// The facility after the edit (`None` for a removal).
    pub fn after(&self) -> Option<&Facility> {
        self.after.as_ref()
    }
}

/// A what-if scenario over a [`Base`].
#[derive(Clone)]
pub struct Scenario {
    base: Arc<Base>,
    slots: Vec<Option<Facility>>,
    state: State,
    /// The counts of the current figures.
    tally: figures::Tally,
    /// The communities whose coverage differs from the base's
    /// ([`figures::differs`]).
    changed: BTreeSet<usize>,
    done: Vec<Applied>,
    undone: Vec<Applied>,
}

impl Scenario {
    /// A scenario with no edits yet (a copy of the base's state).
    pub fn new(base: Arc<Base>) -> Scenario {
        Scenario {
            slots: base.facilities.iter().cloned().map(Some).collect(),
            state: base.state.clone(),
            tally: base.tally.clone(),
            changed: BTreeSet::new(),
            base,
            done: Vec::new(),
            undone: Vec::new(),
        }
    }

    /// The loaded analysis the scenario starts from.
    pub fn base(&self) -> &Arc<Base> {
        &self.base
    }

    /// The current times, origins and coverage.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// The counts of the current figures ([`figures::figures`]).
    pub fn tally(&self) -> &figures::Tally {
        &self.tally
    }

    /// The communities whose coverage differs from the base's, in order.
    pub fn changed_communities(&self) -> impl Iterator<Item = usize> + '_ {
        self.changed.iter().copied()
    }

    /// Every slot: `Some` facility, or `None` where one was removed.
    pub fn slots(&self) -> &[Option<Facility>] {
        &self.slots
    }

    /// The facilities of the scenario, in slot order.
    pub fn facilities(&self) -> Vec<Facility> {
        self.slots.iter().flatten().cloned().collect()
    }

    /// The edits done, oldest first.
    pub fn edits(&self) -> &[Applied] {
        &self.done
    }

    /// Number of undone edits that [`Scenario::redo`] can replay.
    pub fn redoable(&self) -> usize {
        self.undone.len()
    }

    /// Applies an edit; returns the slot it changed. A refused edit leaves
    /// the scenario as it was. A new edit clears the redo list.
    pub fn apply(&mut self, edit: Edit) -> Result<usize, EditError> {
        if self.done.len() + self.undone.len() >= MAX_EDITS {
            return Err(EditError::TooManyEdits { max: MAX_EDITS });
        }
        let (slot, after) = match &edit {
            Edit::Add {
                category,
                lonlat,
                name,
            } => {
                if *category >= self.base.profile.categories.len() {
                    return Err(EditError::UnknownCategory {
                        category: *category,
                    });
                }
                let f = self.base.place(*category, *lonlat, name.clone())?;
                (self.slots.len(), Some(f))
            }
            Edit::Move { facility, lonlat } => {
                let old = self.live(*facility)?;
                let mut f = self.base.place(old.category, *lonlat, old.name.clone())?;
                f.capacity = old.capacity;
                (*facility, Some(f))
            }
            Edit::Remove { facility } => {
                self.live(*facility)?;
                (*facility, None)
            }
        };
        if slot == self.slots.len() {
            self.slots.push(None);
        }
        let before = self.set_slot(slot, after.clone());
        self.done.push(Applied {
            edit,
            slot,
            before,
            after,
        });
        self.undone.clear();
        Ok(slot)
    }

    /// Undoes the last edit.
    pub fn undo(&mut self) -> Result<(), EditError> {
        let a = self.done.pop().ok_or(EditError::NothingToUndo)?;
        self.set_slot(a.slot, a.before.clone());
        self.undone.push(a);
        Ok(())
    }

    /// Redoes the last undone edit.
    pub fn redo(&mut self) -> Result<(), EditError> {
        let a = self.undone.pop().ok_or(EditError::NothingToRedo)?;
        self.set_slot(a.slot, a.after.clone());
        self.done.push(a);
        Ok(())
    }

    fn live(&self, facility: usize) -> Result<&Facility, EditError> {
        self.slots
            .get(facility)
            .and_then(Option::as_ref)
            .ok_or(EditError::UnknownFacility { facility })
    }

    /// Puts `new` into `slot` and brings the state up to date; returns what
    /// the slot held.
    fn set_slot(&mut self, slot: usize, new: Option<Facility>) -> Option<Facility> {
        let edges = |f: &Option<Facility>| -> Vec<u32> {
            f.iter()
                .flat_map(|f| f.access.iter().map(|a| a.pos.edge))
                .collect()
        };
        let new_category = new.as_ref().map(|f| f.category);
        let mut touched_edges = edges(&new);
        let old = std::mem::replace(&mut self.slots[slot], new);
        touched_edges.extend(edges(&old));
        // (category, nodes whose time or crossings changed)
        let mut changed: Vec<(usize, Vec<u32>)> = Vec::new();
        if let Some(f) = &old {
            changed.push((f.category, self.remove_from_category(f)));
        }
        if let Some(k) = new_category {
            let nodes = self.add_to_category(slot, k);
            match changed.iter_mut().find(|c| c.0 == k) {
                Some(c) => {
                    c.1.extend(nodes);
                    c.1.sort_unstable();
                    c.1.dedup();
                }
                None => changed.push((k, nodes)),
            }
        }
        for (k, nodes) in &changed {
            self.state.origins[*k] = self.category_origins(*k);
            self.reevaluate(*k, nodes, &touched_edges);
        }
        old
    }

    /// Evaluates again, for category `k`, the communities reading `nodes` or
    /// `edges`, keeping the tally and the set of changed communities.
    fn reevaluate(&mut self, k: usize, nodes: &[u32], edges: &[u32]) {
        let base = &*self.base;
        let category = local::Category {
            index: k,
            times: &self.state.times[k],
            origins: &self.state.origins[k],
            roads_crossed: &self.state.roads_crossed[k],
        };
        for i in base.readers.of(nodes, edges) {
            let cov = &mut self.state.coverage[i];
            self.tally.count(base, i, cov, -1);
            local::evaluate(
                &base.graph,
                &base.profile,
                &base.communities[i],
                &category,
                cov,
            );
            self.tally.count(base, i, cov, 1);
            if figures::differs(&base.state.coverage[i], cov) {
                self.changed.insert(i);
            } else {
                self.changed.remove(&i);
            }
        }
    }

    fn category_origins(&self, k: usize) -> Origins {
        Origins::new(
            &self.base.graph,
            self.slots
                .iter()
                .flatten()
                .filter(|f| f.category == k)
                .flat_map(|f| f.access.iter()),
        )
    }

    /// Takes facility `f` (no longer in its slot) out of its category's
    /// times ([`repair::remove`]); returns the nodes whose time or
    /// crossings changed.
    fn remove_from_category(&mut self, f: &Facility) -> Vec<u32> {
        let k = f.category;
        let base = &*self.base;
        let removed = f.origins(&base.graph).seeds(&base.graph);
        let remaining = self.category_origins(k).seeds(&base.graph);
        repair::remove(
            &base.graph,
            repair::Times {
                times: &mut self.state.times[k],
                roads_crossed: &mut self.state.roads_crossed[k],
            },
            &removed,
            &remaining,
            search_limit(&base.profile),
        )
    }

    /// One bounded search from the facility in `slot`, `min`-ed into the
    /// times of category `k`; returns the nodes whose time changed.
    fn add_to_category(&mut self, slot: usize, k: usize) -> Vec<u32> {
        let base = &*self.base;
        let f = self.slots[slot]
            .as_ref()
            .expect("a facility was just put here");
        let seeds = f.origins(&base.graph).seeds(&base.graph);
        let limit = search_limit(&base.profile);
        let (times, roads_crossed) = (&mut self.state.times[k], &mut self.state.roads_crossed[k]);
        with_thread_state(base.graph.node_count(), |state| {
            state.run(&base.graph, &seeds, limit);
            let mut changed = Vec::new();
            for &n in state.settled() {
                let t = state.time(n);
                if t < times[n as usize] {
                    times[n as usize] = t;
                    roads_crossed[n as usize] = state.roads_crossed(n);
                    changed.push(n);
                }
            }
            changed
        })
    }

    /// Bytes this scenario holds beyond the shared base (times, crossings,
    /// coverage, slots, edit lists), approximately.
    pub fn memory_bytes(&self) -> usize {
        let added = self.slots.len() - self.base.facilities.len();
        self.base.scenario_bytes()
            + (added + 2 * (self.done.len() + self.undone.len())) * FACILITY_BYTES
    }
}

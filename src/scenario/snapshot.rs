//! A scenario as an [`Analysis`]: its edited state in the shape the report
//! writers of `analyze` read (the `childcircle-report` crate draws it), so the
//! snapshot a planner exports from the page is drawn exactly like the batch
//! deliverables, with the scenario's facilities, times and coverage.
//!
//! What the writers read beyond the scenario (ingest and unit statistics,
//! the classification, warnings) is kept from the loaded analysis in
//! [`Meta`]. The serve pipeline draws no isochrone polygons, so the
//! snapshot has no coverage areas or isochrones (the map's small per-category
//! panels show the communities only); everything else is recomputed for the
//! edited facility set (the facilities' reach included).

use crate::analysis::Analysis;
use crate::coverage::{facility_reach, CoverageRules};
use crate::findings::districts::District;
use crate::osm::ingest::IngestStats;
use crate::places::units::UnitStats;
use crate::places::PlaceStats;

use super::figures::Subdistricts;
use super::Scenario;
use crate::places::Community;

/// What the report writers read of the loaded analysis that a scenario does
/// not change.
#[derive(Debug, Clone, Default)]
pub struct Meta {
    /// What reading the extract found and kept.
    pub ingest: IngestStats,
    /// The rules coverage was judged by.
    pub coverage_rules: CoverageRules,
    /// How many places were found and snapped.
    pub places: PlaceStats,
    /// Which rule made how many communities.
    pub units: UnitStats,
    /// School levels, non-schools, overrides and facility sizes.
    pub classification: crate::osm::classify::Report,
    /// The base analysis's warnings.
    pub warnings: Vec<String>,
    /// Whether the extract is the shipped synthetic Dezhou model.
    pub synthetic: bool,
}

impl Meta {
    /// The parts of `a` a snapshot needs.
    pub fn of(a: &Analysis) -> Meta {
        Meta {
            ingest: a.ingest.clone(),
            coverage_rules: a.coverage_rules,
            places: a.places.clone(),
            units: a.units.clone(),
            classification: a.classification.clone(),
            warnings: a.warnings.clone(),
            synthetic: a.synthetic,
        }
    }
}

/// The outline of each named subdistrict: the union of its communities'
/// polygons (communities without a subdistrict are left out).
pub fn subdistrict_outlines(communities: &[Community], groups: &Subdistricts) -> Vec<District> {
    let mut members: Vec<Vec<&geo::Polygon<f64>>> = vec![Vec::new(); groups.names.len()];
    for (c, &g) in communities.iter().zip(&groups.of) {
        if c.subdistrict.is_some() {
            members[g as usize].extend(c.polygon.0.iter());
        }
    }
    groups
        .names
        .iter()
        .zip(members)
        .filter(|(_, m)| !m.is_empty())
        .map(|(name, m)| District {
            name: name.clone(),
            polygon: geo::unary_union(m),
        })
        .collect()
}

/// One line saying what the scenario changed, for the report's notes.
pub fn edits_note(s: &Scenario) -> String {
    let (mut added, mut moved, mut removed) = (0, 0, 0);
    let base = s.base();
    for (slot, now) in s.slots().iter().enumerate() {
        match (base.facilities.get(slot), now) {
            (None, Some(_)) => added += 1,
            (Some(_), None) => removed += 1,
            (Some(w), Some(n)) if w.lonlat != n.lonlat => moved += 1,
            _ => {}
        }
    }
    let edits = s.edits().len();
    format!(
        "规划推演方案 what-if scenario: {edits} edits — {added} facilities added, {moved} moved, {removed} removed against the loaded data"
    )
}

/// The scenario as an analysis: the base's graph and communities with the
/// scenario's facilities, times, origins and coverage.
pub fn analysis(s: &Scenario) -> Analysis {
    let base = s.base();
    let meta = &base.meta;
    let facilities = s.facilities();
    let reach = facility_reach(
        &base.graph,
        &facilities,
        &base.communities,
        &base.profile,
        &[],
    );
    let state = s.state();
    let mut warnings = meta.warnings.clone();
    warnings.push(edits_note(s));
    let places = PlaceStats {
        facilities: facilities.len(),
        facilities_unsnapped: facilities.iter().filter(|f| f.access.is_empty()).count(),
        ..meta.places.clone()
    };
    let capacity =
        crate::coverage::capacity::places(&base.profile, &facilities, &base.communities, &reach);
    Analysis {
        extract: base.extract.clone(),
        profile: base.profile.clone(),
        ingest: meta.ingest.clone(),
        graph: base.graph.clone(),
        facilities,
        communities: base.communities.clone(),
        times: state.times.clone(),
        origins: state.origins.clone(),
        coverage: state.coverage.clone(),
        coverage_rules: meta.coverage_rules,
        reach,
        capacity,
        isochrones: Vec::new(),
        isochrone_options: None,
        coverage_areas: Vec::new(),
        places,
        units: meta.units.clone(),
        classification: meta.classification.clone(),
        timings: Vec::new(),
        threads: rayon::current_num_threads(),
        warnings,
        synthetic: meta.synthetic,
    }
}

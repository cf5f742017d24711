//! `classification` in `summary.json`: what the classification found across
//! the extract (schools and their levels, nested and undersized facilities,
//! the planner's overrides used), for the planner to check.

use std::collections::BTreeMap;

use super::nesting::NestingReport;
use super::size::SizeReport;
use super::{Note, NoteKind};
use crate::profile::Profile;

/// One override and how many objects it matched.
#[derive(Debug, Clone, serde::Serialize)]
pub struct OverrideUse {
    /// The override.
    #[serde(flatten)]
    pub entry: crate::profile::overrides::Override,
    /// How many objects of the extract it matched.
    pub matched: usize,
}

/// `classification` in `summary.json`.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Report {
    /// OSM objects found to be schools (a school mapped inside its own area counts once).
    pub schools: usize,
    /// Schools per category id (a combined school counts for each level it teaches).
    pub by_category: BTreeMap<String, usize>,
    /// Schools per signal that gave their level (`isced:level`, `name`, `none`, ...).
    pub by_signal: BTreeMap<String, usize>,
    /// Schools with no level: counted as "other school".
    pub other: usize,
    /// The share of schools with no level, 0–1.
    pub other_share: f64,
    /// `amenity=school` objects (and driving/music/language/dance schools) that
    /// are no schools for children.
    pub not_for_children: usize,
    /// Whether the profile keeps them (as "other school").
    pub not_for_children_kept: bool,
    /// Up to 8 of those objects, as `name (w123: why)`.
    pub not_for_children_examples: Vec<String>,
    /// The overrides file, if one was given.
    pub overrides_file: Option<String>,
    /// Each override of the file and how many objects it matched.
    pub overrides: Vec<OverrideUse>,
    /// School objects counted as one school with the school area around them.
    pub nested: NestingReport,
    /// What the size rules did.
    pub sizes: SizeReport,
}

/// How many names a report lists.
const EXAMPLES: usize = 8;

impl Report {
    /// The report of an extract's notes and size rules.
    pub fn new(
        profile: &Profile,
        notes: &[Note],
        nested: NestingReport,
        sizes: SizeReport,
    ) -> Report {
        let mut r = Report {
            nested,
            sizes,
            not_for_children_kept: profile.schools.as_ref().is_some_and(|s| s.keep_non_schools),
            ..Default::default()
        };
        let other = profile
            .schools
            .as_ref()
            .and_then(|s| profile.category_index(&s.other));
        let overrides = profile.overrides.as_deref();
        let mask = profile.school_category_mask();
        let mut matched = vec![0; overrides.map_or(0, |o| o.entries.len())];
        let school = |r: &mut Report, categories: u32, signal: &str| {
            r.schools += 1;
            *r.by_signal.entry(signal.to_string()).or_default() += 1;
            for (i, c) in profile.categories.iter().enumerate() {
                if categories & (1 << i) != 0 {
                    *r.by_category.entry(c.id.clone()).or_default() += 1;
                }
            }
            if other.is_some_and(|o| categories & (1 << o) != 0) {
                r.other += 1;
            }
        };
        for n in notes {
            match &n.kind {
                NoteKind::School { categories, signal } => school(&mut r, *categories, signal),
                NoteKind::NotForChildren { why, .. } => {
                    r.not_for_children += 1;
                    if r.not_for_children_examples.len() < EXAMPLES {
                        let name = n.name.as_deref().unwrap_or("unnamed");
                        r.not_for_children_examples
                            .push(format!("{name} ({}: {why})", n.osm));
                    }
                }
                NoteKind::Overridden(i) => {
                    matched[*i] += 1;
                    // An override to a school category makes a school.
                    let set = overrides.map_or(0, |o| o.entries[*i].categories) & mask;
                    if set != 0 {
                        school(&mut r, set, "override");
                    }
                }
            }
        }
        r.other_share = if r.schools == 0 {
            0.0
        } else {
            r.other as f64 / r.schools as f64
        };
        if let Some(o) = &profile.overrides {
            r.overrides_file = Some(o.path.display().to_string());
            r.overrides = o
                .entries
                .iter()
                .zip(matched)
                .map(|(e, matched)| OverrideUse {
                    entry: e.clone(),
                    matched,
                })
                .collect();
        }
        r
    }

    /// The warnings a planner must see: too many schools without a level,
    /// overrides that matched nothing, facility areas too small to count.
    pub fn warnings(&self, profile: &Profile) -> Vec<String> {
        let mut w = Vec::new();
        let limit = profile.schools.as_ref().map_or(1.0, |s| s.warn_other_share);
        if self.schools > 0 && self.other_share > limit {
            w.push(format!(
                "{} of {} schools ({:.0} %) have no level (no isced:level, school=*, grades or a name rule) and count only as \"other school\": give their levels in a --facility-overrides file (id or name -> primary, middle, ...)",
                self.other,
                self.schools,
                100.0 * self.other_share
            ));
        }
        for o in self.overrides.iter().filter(|o| o.matched == 0) {
            w.push(format!(
                "{}: the override of {} {:?} matched no object of the extract",
                self.overrides_file.as_deref().unwrap_or("overrides"),
                o.entry.by,
                o.entry.key
            ));
        }
        if self.sizes.too_small > 0 {
            w.push(format!(
                "{} facility areas are smaller than {} m² and were not counted (e.g. {})",
                self.sizes.too_small,
                self.sizes.min_facility_area_m2,
                self.sizes.too_small_examples.join("; ")
            ));
        }
        w
    }
}

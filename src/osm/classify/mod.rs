//! Facilities as a planner counts them, beyond the profile's tag selectors:
//! school levels from every OSM signal ([`school`](crate::profile::school)),
//! objects that are no schools for children, the planner's overrides
//! ([`overrides`](crate::profile::overrides)) and the GB 50180-2018 sizes of
//! parks ([`size`]). [`Report`] is what `summary.json` tells about it
//! (`classification`).

pub mod nesting;
pub mod report;
pub mod size;

pub use report::Report;

use crate::profile::school::{Level, SchoolRules, Verdict};
use crate::profile::Profile;
use crate::tags::{OsmRef, TagLookup};

/// What classification noted about one object (kept by ingest for the report).
#[derive(Debug, Clone, PartialEq)]
pub struct Note {
    /// The object.
    pub osm: OsmRef,
    /// Its `name` tag, if any.
    pub name: Option<String>,
    /// What was noted.
    pub kind: NoteKind,
}

/// The kind of a [`Note`].
#[derive(Debug, Clone, PartialEq)]
pub enum NoteKind {
    /// A school, with the categories it was given and the signal that gave them.
    School {
        /// The categories given, a bit set (bit `i` = category `i`).
        categories: u32,
        /// The signal that gave the level (`isced:level`, `name`, `none`, ...).
        signal: &'static str,
    },
    /// No school for children, and why; `kept` when the profile keeps them.
    NotForChildren {
        /// Why it is no school for children.
        why: String,
        /// Whether the profile keeps it (as "other school").
        kept: bool,
    },
    /// Set by the planner's override (its index in the file).
    Overridden(usize),
}

/// An object's categories and what to note about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Classified {
    /// The categories, a bit set (bit `i` = category `i`); zero for no children's space.
    pub categories: u32,
    /// What to note for the report, if anything.
    pub note: Option<NoteKind>,
}

/// Classification by the profile's rules: tag selectors, name patterns,
/// school levels and the planner's overrides.
impl Profile {
    /// Which categories an object with these tags belongs to, as a bit set
    /// (bit `i` = category `i`). Zero when it is no children's space.
    pub fn classify<T: TagLookup + ?Sized>(&self, tags: &T) -> u32 {
        self.classify_full(tags).categories
    }

    /// [`Profile::classify`] for one OSM object, with the planner's overrides
    /// (by id, else by name) applied first.
    pub fn classify_object<T: TagLookup + ?Sized>(&self, osm: OsmRef, tags: &T) -> Classified {
        if let Some(o) = &self.overrides {
            if let Some((i, e)) = o.get(&osm.to_string(), tags.get("name")) {
                return Classified {
                    categories: e.categories,
                    note: Some(NoteKind::Overridden(i)),
                };
            }
        }
        self.classify_full(tags)
    }

    /// [`Profile::classify`] with what the school rules noted.
    pub fn classify_full<T: TagLookup + ?Sized>(&self, tags: &T) -> Classified {
        let name = tags.get("name").unwrap_or("");
        // Looked up only for named objects, and once.
        let mut blocked = None;
        let mut set = 0u32;
        for (i, c) in self.categories.iter().enumerate() {
            let by_tag = c.tags.iter().any(|s| s.matches(tags));
            let by_name = !by_tag
                && !name.is_empty()
                && c.names.iter().any(|p| name.contains(p.as_str()))
                && (!*blocked.get_or_insert_with(|| {
                    self.name_blockers.iter().any(|k| tags.get(k).is_some())
                }) || c.name_scope.iter().any(|s| s.matches(tags)));
            if by_tag || by_name {
                set |= 1 << i;
            }
        }
        let mut note = None;
        if let Some(s) = &self.schools {
            let name_allowed = !name.is_empty()
                && (!*blocked.get_or_insert_with(|| {
                    self.name_blockers.iter().any(|k| tags.get(k).is_some())
                }) || s.name_scope.iter().any(|sel| sel.matches(tags)));
            if let Some(v) = s.judge(tags, name_allowed) {
                let (bits, kind) = self.school_categories(s, v);
                set = set & !self.school_mask(s) | bits;
                note = Some(kind);
            }
        }
        // `unless` is applied after all categories are known.
        for (i, c) in self.categories.iter().enumerate() {
            if set & (1 << i) != 0
                && c.unless
                    .iter()
                    .any(|u| self.category_index(u).is_some_and(|j| set & (1 << j) != 0))
            {
                set &= !(1 << i);
            }
        }
        if let Some(NoteKind::School { categories, .. }) = &mut note {
            *categories &= set;
        }
        Classified {
            categories: set,
            note,
        }
    }

    /// The categories a school verdict gives, and its note.
    fn school_categories(&self, s: &SchoolRules, v: Verdict) -> (u32, NoteKind) {
        let bit = |id: &str| self.category_index(id).map_or(0, |i| 1u32 << i);
        match v {
            Verdict::School { levels, signal } => {
                let mut bits = 0;
                for l in Level::ALL.into_iter().filter(|l| levels & l.bit() != 0) {
                    bits |= s.categories.get(l).map_or(0, |id| bit(id));
                }
                if bits == 0 {
                    bits = bit(&s.other);
                }
                let signal = if levels == 0 { "none" } else { signal };
                (
                    bits,
                    NoteKind::School {
                        categories: bits,
                        signal,
                    },
                )
            }
            Verdict::NotForChildren(why) => {
                let kept = s.keep_non_schools;
                let bits = if kept { bit(&s.other) } else { 0 };
                (bits, NoteKind::NotForChildren { why, kept })
            }
        }
    }

    /// Every category the school rules give (0 without `[schools]`).
    pub fn school_category_mask(&self) -> u32 {
        self.schools.as_ref().map_or(0, |s| self.school_mask(s))
    }

    /// Every category the school rules give.
    fn school_mask(&self, s: &SchoolRules) -> u32 {
        let ids = Level::ALL.iter().filter_map(|&l| s.categories.get(l));
        ids.chain([&s.other])
            .filter_map(|id| self.category_index(id))
            .fold(0, |m, i| m | 1 << i)
    }
}

//! The profile: who walks, how fast, and which children's spaces count.
//!
//! A profile is a TOML file (the default one is `data/profiles/child.toml`, built
//! into the binary). Every category has an OSM tag selector, optional Chinese name
//! patterns and a time threshold. Unknown keys are errors: a typo in a threshold
//! must not silently fall back to a default.

pub mod overrides;
pub mod school;

use std::path::Path;

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::profile::overrides::FacilityOverrides;
use crate::profile::school::{Level, SchoolRules};
use crate::tags::Selector;

/// The default profile, shipped in `data/profiles/child.toml`.
pub const DEFAULT_PROFILE_TOML: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/data/profiles/child.toml"
));

/// Whether a category is an indoor or an outdoor children's space.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Space {
    /// A space indoors: a kindergarten, a school, a library or youth centre.
    Indoor,
    /// A space outdoors: a playground, a park, a sports ground.
    Outdoor,
}

impl Space {
    /// The profile's spelling (`indoor` or `outdoor`), as written into outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            Space::Indoor => "indoor",
            Space::Outdoor => "outdoor",
        }
    }
}

/// One kind of children's space (kindergarten, park, ...).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    /// Short stable id, used in output field names (`t_<id>`).
    pub id: String,
    /// Name in Chinese (e.g. `幼儿园`), used in outputs and to read category names in planners' lists.
    pub label_zh: String,
    /// Name in English (e.g. `Kindergarten`), used in outputs and to read category names in planners' lists.
    pub label_en: String,
    /// Whether the space is indoor or outdoor.
    pub space: Space,
    /// Walking-time threshold in minutes.
    pub minutes: f64,
    /// Whether a community needs this category to be in the life circle.
    pub required: bool,
    /// Any of these selectors makes an object a facility of this category.
    #[serde(default)]
    pub tags: Vec<Selector>,
    /// Name patterns (substrings) that also make an object a facility.
    #[serde(default)]
    pub names: Vec<String>,
    /// Objects matching one of these may be classified by name even if they carry
    /// a key from [`Profile::name_blockers`].
    #[serde(default)]
    pub name_scope: Vec<Selector>,
    /// Categories (by id) that exclude this one: "other school" is a school that is
    /// neither primary nor middle.
    #[serde(default)]
    pub unless: Vec<String>,
    /// Smallest area a mapped area must have to count, m² (GB 50180-2018
    /// Table 4.0.4 for parks); see [`crate::osm::classify::size`].
    #[serde(default)]
    pub min_area_m2: Option<f64>,
    /// Smallest width a mapped area must have to count, m.
    #[serde(default)]
    pub min_width_m: Option<f64>,
    /// The category an area below this one's size counts for instead.
    #[serde(default)]
    pub smaller: Option<String>,
    /// Whether its facilities hold a number of children (kindergarten,
    /// school places): places per child served are reported for it
    /// ([`crate::coverage::capacity`]).
    #[serde(default)]
    pub places: bool,
}

/// Walking rules and facility categories.
///
/// The built-in child profile walks as its default age group, `all`, and its
/// thresholds are those of GB 50180-2018:
///
/// ```
/// use childcircle::Profile;
///
/// let profile = Profile::default();
/// assert_eq!(profile.label(), "child/all");
/// let kinder = &profile.categories[profile.category_index("kinder").unwrap()];
/// assert_eq!(kinder.minutes, 5.0);
/// assert!(kinder.required);
/// assert_eq!(profile.max_minutes(), 15.0);
///
/// // The same profile read from the shipped file.
/// let file = Profile::from_file(std::path::Path::new("data/profiles/child.toml"))?;
/// assert_eq!(file.label(), profile.label());
/// assert_eq!(file.categories.len(), profile.categories.len());
/// # Ok::<(), childcircle::Error>(())
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// The profile's name (`child`): the first part of [`Profile::label`].
    pub name: String,
    /// Free-text description of whom the profile walks for.
    #[serde(default)]
    pub description: String,
    /// Walking speed on flat ways, metres per second.
    pub walking_speed_mps: f64,
    /// Speed on `highway=steps`, as a factor of the walking speed.
    pub steps_speed_factor: f64,
    /// Largest distance from a facility or community to the walking network.
    pub max_snap_m: f64,
    /// Graph components with fewer nodes are islands nothing snaps to.
    pub min_component_nodes: usize,
    /// Walking nodes within this distance of an area's outline are its access points.
    pub access_buffer_m: f64,
    /// Keys that stop name patterns from applying (see [`Category::name_scope`]).
    #[serde(default)]
    pub name_blockers: Vec<String>,
    /// Whether `highway=steps` can be walked at all (not with a stroller).
    #[serde(default = "yes")]
    pub steps_allowed: bool,
    /// How major roads are crossed (see [`crate::network::crossings`]).
    #[serde(default)]
    pub crossings: CrossingRules,
    /// The facility categories (`[[category]]`), in profile order: a category's
    /// index here is its bit in category sets (at most 32).
    #[serde(rename = "category")]
    pub categories: Vec<Category>,
    /// Mapped facility areas smaller than this are reported, not counted, m².
    #[serde(default)]
    pub min_facility_area_m2: f64,
    /// School levels and non-schools ([`crate::profile::school`]).
    #[serde(default)]
    pub schools: Option<SchoolRules>,
    /// The planner's `--facility-overrides` (not part of the TOML).
    #[serde(skip)]
    pub overrides: Option<std::sync::Arc<FacilityOverrides>>,
    /// Age groups: each adjusts speed, steps, crossings, thresholds and the
    /// required categories. The profile as a whole is one of them at a time.
    #[serde(default, rename = "age")]
    pub ages: Vec<AgeGroup>,
    /// The age group applied when none is asked for.
    #[serde(default)]
    pub default_age: Option<String>,
    /// How residents and children are estimated without a population file.
    #[serde(default)]
    pub population: PopulationRules,
    /// The age group applied (set by [`Profile::for_age`]).
    #[serde(skip)]
    pub age: Option<String>,
    /// The profile as read, before any age group was applied: every age group
    /// starts from it, so `for_age` never stacks one group on another.
    #[serde(skip)]
    pub(crate) base: Option<Box<Profile>>,
}

fn yes() -> bool {
    true
}

/// Road-crossing rules: delays at crossings of major roads and what a walker
/// may not do at all.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CrossingRules {
    /// Split major roads into sidewalks, corners and crossings.
    pub model: bool,
    /// Average wait at a signalled crossing, seconds.
    pub delay_signalled_s: f64,
    /// Wait at a marked crossing without signals (zebra), seconds.
    pub delay_marked_s: f64,
    /// Wait for a safe gap at an unmarked crossing, seconds.
    pub delay_unmarked_s: f64,
    /// Forbid crossing a major road without signals.
    pub forbid_unsignalled: bool,
    /// Speed factor walking along a major road without a sidewalk; 0 forbids it.
    pub no_sidewalk_speed_factor: f64,
}

impl Default for CrossingRules {
    fn default() -> Self {
        CrossingRules {
            model: false,
            delay_signalled_s: 0.0,
            delay_marked_s: 0.0,
            delay_unmarked_s: 0.0,
            forbid_unsignalled: false,
            no_sidewalk_speed_factor: 1.0,
        }
    }
}

/// One age group's departures from the profile's defaults.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgeGroup {
    /// Short stable id (`6-12`, `adult`), asked for with `--age`.
    pub id: String,
    /// Human-readable description of the group (e.g. "6-12 years, walking to
    /// primary school").
    pub label: String,
    /// Where the group's figures come from.
    #[serde(default)]
    pub source: String,
    /// Walking speed on flat ways, metres per second (replaces [`Profile::walking_speed_mps`]).
    pub walking_speed_mps: Option<f64>,
    /// Speed factor on `highway=steps` (replaces [`Profile::steps_speed_factor`]).
    pub steps_speed_factor: Option<f64>,
    /// Whether steps can be walked (replaces [`Profile::steps_allowed`]).
    pub steps_allowed: Option<bool>,
    /// Wait at a signalled crossing, seconds (replaces [`CrossingRules::delay_signalled_s`]).
    pub delay_signalled_s: Option<f64>,
    /// Wait at a marked crossing, seconds (replaces [`CrossingRules::delay_marked_s`]).
    pub delay_marked_s: Option<f64>,
    /// Wait at an unmarked crossing, seconds (replaces [`CrossingRules::delay_unmarked_s`]).
    pub delay_unmarked_s: Option<f64>,
    /// Whether crossing a major road without signals is forbidden (replaces
    /// [`CrossingRules::forbid_unsignalled`]).
    pub forbid_unsignalled: Option<bool>,
    /// Speed factor along a major road without a sidewalk; 0 forbids it (replaces
    /// [`CrossingRules::no_sidewalk_speed_factor`]).
    pub no_sidewalk_speed_factor: Option<f64>,
    /// Turns the crossing model on or off for this group.
    pub crossing_model: Option<bool>,
    /// Category ids required for this group's life circle (replaces the
    /// categories' own `required`).
    pub required: Option<Vec<String>>,
    /// Thresholds in minutes by category id, replacing the categories' own.
    #[serde(default)]
    pub minutes: std::collections::BTreeMap<String, f64>,
    /// Share of all residents in this age group (replaces
    /// [`PopulationRules::children_share`] while the group applies).
    pub population_share: Option<f64>,
}

/// Residents from buildings and children from residents (`[population]` in a
/// profile), each figure with its source.
#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct PopulationRules {
    /// Residents per m² of floor area (footprint × levels).
    pub persons_per_floor_m2: f64,
    /// Where the residents-per-m² figure comes from.
    pub persons_source: String,
    /// Levels of a residential building that maps no `building:levels`.
    pub default_levels: f64,
    /// Where the default number of levels comes from.
    pub levels_source: String,
    /// Share of residents who are children (of the age group in effect).
    pub children_share: f64,
    /// Where the children's share comes from.
    pub children_source: String,
}

impl Default for PopulationRules {
    fn default() -> Self {
        PopulationRules {
            persons_per_floor_m2: 1.0 / 36.52,
            persons_source: "China 2020 census: urban family households have 36.52 m² of housing floor area per person".into(),
            default_levels: 3.0,
            levels_source: "assumption: between detached houses (1-2) and walk-up slabs (6)".into(),
            children_share: 0.1878,
            children_source: "Shandong, 2020 census: 18.78 % of residents are aged 0-14".into(),
        }
    }
}

impl Default for Profile {
    fn default() -> Self {
        Profile::from_toml_str(DEFAULT_PROFILE_TOML, Path::new("data/profiles/child.toml"))
            .expect("the built-in profile is valid")
    }
}

impl Profile {
    /// A built-in profile by name: `child` (the default) or `adult` (the child
    /// profile's adult age group: how generic isochrone tools walk).
    pub fn builtin(name: &str) -> Option<Profile> {
        match name {
            "child" => Some(Profile::default()),
            "adult" => Profile::default().for_age("adult").ok(),
            _ => None,
        }
    }

    /// Reads and validates a profile file.
    pub fn from_file(path: &Path) -> Result<Profile> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Profile::from_toml_str(&text, path)
    }

    /// Parses and validates a profile; `path` only names the source in errors.
    /// The profile's `default_age` is applied.
    pub fn from_toml_str(text: &str, path: &Path) -> Result<Profile> {
        let profile = Profile::base_from_toml_str(text, path)?;
        match profile.default_age.clone() {
            Some(age) => profile.for_age(&age).map_err(|reason| Error::Profile {
                path: path.to_path_buf(),
                reason,
            }),
            None => Ok(profile),
        }
    }

    /// Parses and validates a profile without applying any age group.
    fn base_from_toml_str(text: &str, path: &Path) -> Result<Profile> {
        let err = |reason: String| Error::Profile {
            path: path.to_path_buf(),
            reason,
        };
        let profile: Profile = toml::from_str(text).map_err(|e| err(e.to_string()))?;
        profile.validate().map_err(err)?;
        Ok(profile)
    }

    /// The profile a run asks for: `name_or_path` is `child` (the default),
    /// `adult` (the child profile's adult age group) or a profile TOML file;
    /// `age` an age group of it (default: the profile's `default_age`).
    ///
    /// Every age group is applied to the profile as read, never on top of
    /// another group, so the label ([`Profile::label`]) always names what is
    /// walked. `adult` with another age group makes no sense and is refused.
    ///
    /// ```
    /// use std::path::Path;
    /// use childcircle::Profile;
    ///
    /// let default = Profile::resolve(None, None)?;
    /// assert_eq!(default.label(), "child/all");
    ///
    /// let pupil = Profile::resolve(None, Some("6-12"))?;
    /// assert_eq!(pupil.label(), "child/6-12");
    /// assert_eq!(pupil.walking_speed_mps, 1.0);
    ///
    /// let adult = Profile::resolve(Some(Path::new("adult")), None)?;
    /// assert_eq!(adult.label(), "child/adult");
    /// assert!(!adult.crossings.model);
    /// assert!(Profile::resolve(Some(Path::new("adult")), Some("6-12")).is_err());
    ///
    /// let file = Profile::resolve(Some(Path::new("data/profiles/child.toml")), Some("0-3"))?;
    /// assert_eq!(file.label(), "child/0-3");
    /// assert!(!file.steps_allowed);
    /// assert!(Profile::resolve(None, Some("no-such-age")).is_err());
    /// # Ok::<(), childcircle::Error>(())
    /// ```
    pub fn resolve(name_or_path: Option<&Path>, age: Option<&str>) -> Result<Profile> {
        let builtin = name_or_path
            .filter(|p| !p.exists())
            .and_then(|p| p.to_str())
            .filter(|name| matches!(*name, "child" | "adult"));
        let (base, source, implied) = match (name_or_path, builtin) {
            (None, _) | (Some(_), Some("child")) => (Self::builtin_base(), "child", None),
            (Some(_), Some(_)) => (Self::builtin_base(), "adult", Some("adult")),
            (Some(path), None) => {
                let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
                (Self::base_from_toml_str(&text, path)?, "", None)
            }
        };
        if let (Some(implied), Some(asked)) = (implied, age) {
            if asked != implied {
                return Err(Error::BadOption {
                    option: "--age",
                    reason: format!(
                        "{asked}: --profile {source} is the child profile's {implied:?} age group and cannot walk as another; use --profile child --age {asked}, or --profile {source} alone"
                    ),
                });
            }
        }
        match age.or(implied).or(base.default_age.as_deref()) {
            Some(id) => base.for_age(id).map_err(|reason| Error::BadOption {
                option: "--age",
                reason,
            }),
            None => Ok(base),
        }
    }

    /// The built-in child profile, before any age group.
    fn builtin_base() -> Profile {
        Profile::base_from_toml_str(DEFAULT_PROFILE_TOML, Path::new("data/profiles/child.toml"))
            .expect("the built-in profile is valid")
    }

    /// The profile as walked by one of its age groups, applied to the profile
    /// as read (an age group already applied is replaced, not built upon).
    pub fn for_age(&self, id: &str) -> std::result::Result<Profile, String> {
        let base = self.base.as_deref().unwrap_or(self);
        let Some(g) = base.ages.iter().find(|g| g.id == id) else {
            let known: Vec<&str> = base.ages.iter().map(|g| g.id.as_str()).collect();
            return Err(format!(
                "no age group {id:?} in profile {:?} (it has: {})",
                base.name,
                known.join(", ")
            ));
        };
        let mut p = base.clone();
        p.base = Some(Box::new(base.clone()));
        p.walking_speed_mps = g.walking_speed_mps.unwrap_or(p.walking_speed_mps);
        p.steps_speed_factor = g.steps_speed_factor.unwrap_or(p.steps_speed_factor);
        p.steps_allowed = g.steps_allowed.unwrap_or(p.steps_allowed);
        let c = &mut p.crossings;
        c.delay_signalled_s = g.delay_signalled_s.unwrap_or(c.delay_signalled_s);
        c.delay_marked_s = g.delay_marked_s.unwrap_or(c.delay_marked_s);
        c.delay_unmarked_s = g.delay_unmarked_s.unwrap_or(c.delay_unmarked_s);
        c.forbid_unsignalled = g.forbid_unsignalled.unwrap_or(c.forbid_unsignalled);
        c.no_sidewalk_speed_factor = g
            .no_sidewalk_speed_factor
            .unwrap_or(c.no_sidewalk_speed_factor);
        c.model = g.crossing_model.unwrap_or(c.model);
        if let Some(required) = &g.required {
            for cat in &mut p.categories {
                cat.required = required.contains(&cat.id);
            }
        }
        for cat in &mut p.categories {
            if let Some(m) = g.minutes.get(&cat.id) {
                cat.minutes = *m;
            }
        }
        if let Some(share) = g.population_share {
            p.population.children_share = share;
        }
        p.age = Some(g.id.clone());
        p.validate()?;
        Ok(p)
    }

    /// `name` or `name/age` (e.g. `child/6-12`), as written into outputs.
    pub fn label(&self) -> String {
        match &self.age {
            Some(age) => format!("{}/{age}", self.name),
            None => self.name.clone(),
        }
    }

    /// Checks every setting, in a fixed order, and says what is wrong with
    /// the first bad one.
    fn validate(&self) -> std::result::Result<(), String> {
        let pop = &self.population;
        // Walking, not driving: anything outside these ranges is a typo, and
        // would make grids and searches absurdly large. The first four must
        // also be positive (checked first).
        let ranges = [
            ("walking_speed_mps", self.walking_speed_mps, 0.1, 5.0),
            ("steps_speed_factor", self.steps_speed_factor, 0.05, 2.0),
            ("max_snap_m", self.max_snap_m, 1.0, 5000.0),
            ("access_buffer_m", self.access_buffer_m, 0.1, 500.0),
            (
                "population.persons_per_floor_m2",
                pop.persons_per_floor_m2,
                0.001,
                1.0,
            ),
            ("population.default_levels", pop.default_levels, 1.0, 100.0),
            ("population.children_share", pop.children_share, 0.0, 1.0),
        ];
        for &(what, v, _, _) in &ranges[..4] {
            positive(what, v)?;
        }
        for (what, v, lo, hi) in ranges {
            within(what, v, lo, hi)?;
        }
        if self.categories.is_empty() {
            return Err("the profile has no [[category]]".into());
        }
        self.validate_crossings()?;
        self.validate_ages()?;
        if self.categories.len() > 32 {
            return Err("at most 32 categories are supported".into());
        }
        for (i, c) in self.categories.iter().enumerate() {
            self.validate_category(i, c)?;
        }
        self.validate_schools()
    }

    /// The crossing delays (0 to an hour) and the no-sidewalk speed factor
    /// (0 to 1).
    fn validate_crossings(&self) -> std::result::Result<(), String> {
        let c = &self.crossings;
        for (what, v) in [
            ("crossings.delay_signalled_s", c.delay_signalled_s),
            ("crossings.delay_marked_s", c.delay_marked_s),
            ("crossings.delay_unmarked_s", c.delay_unmarked_s),
        ] {
            if !(v.is_finite() && (0.0..=3600.0).contains(&v)) {
                return Err(format!(
                    "{what} must be between 0 and 3600 seconds, not {v}"
                ));
            }
        }
        if !(c.no_sidewalk_speed_factor.is_finite()
            && (0.0..=1.0).contains(&c.no_sidewalk_speed_factor))
        {
            return Err("crossings.no_sidewalk_speed_factor must be between 0 and 1".into());
        }
        Ok(())
    }

    /// Every category an age group names exists.
    fn validate_ages(&self) -> std::result::Result<(), String> {
        for g in &self.ages {
            let known = |id: &String| self.categories.iter().any(|c| &c.id == id);
            if let Some(bad) = g
                .required
                .iter()
                .flatten()
                .chain(g.minutes.keys())
                .find(|id| !known(id))
            {
                return Err(format!(
                    "age group {:?} names unknown category {bad:?}",
                    g.id
                ));
            }
        }
        Ok(())
    }

    /// Category `i`: its id (well-formed, not taken by an earlier one), its
    /// minutes, what it is given by, and the categories it names.
    fn validate_category(&self, i: usize, c: &Category) -> std::result::Result<(), String> {
        if c.id.is_empty()
            || !c
                .id
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
        {
            return Err(format!(
                "category id {:?} must be ASCII letters, digits or _",
                c.id
            ));
        }
        if self.categories[..i].iter().any(|o| o.id == c.id) {
            return Err(format!("category id {:?} appears twice", c.id));
        }
        positive(&format!("category {:?}: minutes", c.id), c.minutes)?;
        if c.minutes > 240.0 {
            return Err(format!("category {:?}: minutes must be at most 240", c.id));
        }
        // With [schools], a category may be given by the school rules alone
        // (or be left unused when a planner maps its level elsewhere).
        if c.tags.is_empty() && c.names.is_empty() && self.schools.is_none() {
            return Err(format!("category {:?} has neither tags nor names", c.id));
        }
        for u in c.unless.iter().chain(&c.smaller) {
            if !self.categories.iter().any(|o| &o.id == u) {
                return Err(format!(
                    "category {:?}: unless names unknown category {u:?}",
                    c.id
                ));
            }
        }
        Ok(())
    }

    fn validate_schools(&self) -> std::result::Result<(), String> {
        let Some(s) = &self.schools else {
            return Ok(());
        };
        let targets = Level::ALL.iter().filter_map(|&l| s.categories.get(l));
        for id in targets.chain([&s.other]) {
            if self.category_index(id).is_none() {
                return Err(format!("[schools] names unknown category {id:?}"));
            }
        }
        if !(0.0..=1.0).contains(&s.warn_other_share) {
            return Err("schools.warn_other_share must be between 0 and 1".into());
        }
        if !(self.min_facility_area_m2.is_finite() && self.min_facility_area_m2 >= 0.0) {
            return Err("min_facility_area_m2 must be 0 or more".into());
        }
        Ok(())
    }

    /// Index of the category with this id.
    pub fn category_index(&self, id: &str) -> Option<usize> {
        self.categories.iter().position(|c| c.id == id)
    }

    /// The category ids, comma-separated, for messages that list what is
    /// accepted.
    ///
    /// ```
    /// let ids = childcircle::Profile::default().category_ids();
    /// assert!(ids.starts_with("kinder, childcare, play"));
    /// ```
    pub fn category_ids(&self) -> String {
        let ids: Vec<&str> = self.categories.iter().map(|c| c.id.as_str()).collect();
        ids.join(", ")
    }

    /// The largest threshold, in minutes: how far every search must go.
    pub fn max_minutes(&self) -> f64 {
        self.categories
            .iter()
            .map(|c| c.minutes)
            .fold(0.0, f64::max)
    }

    /// Keys one of which an object must carry for [`Profile::classify`] to
    /// find any category: `name` and the keys every selector requires. Ingest
    /// skips objects without any of them unread.
    pub fn trigger_keys(&self) -> impl Iterator<Item = &str> + '_ {
        let schools = self
            .schools
            .iter()
            .flat_map(|s| s.tags.iter().chain(&s.non_school_tags));
        let selectors = self.categories.iter().flat_map(|c| &c.tags).chain(schools);
        std::iter::once("name").chain(selectors.flat_map(Selector::required_keys))
    }
}

/// `Err` naming `what` unless `v` is a finite positive number.
fn positive(what: &str, v: f64) -> std::result::Result<(), String> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(format!("{what} must be a positive number, not {v}"))
    }
}

/// `Err` naming `what` unless `v` lies in `lo..=hi`.
fn within(what: &str, v: f64, lo: f64, hi: f64) -> std::result::Result<(), String> {
    if (lo..=hi).contains(&v) {
        Ok(())
    } else {
        Err(format!("{what} must be between {lo} and {hi}, not {v}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cats(p: &Profile, set: u32) -> Vec<&str> {
        (0..p.categories.len())
            .filter(|i| set & (1 << i) != 0)
            .map(|i| p.categories[i].id.as_str())
            .collect()
    }

    #[test]
    fn default_profile_classifies_chinese_tagging() {
        let p = Profile::default();
        assert_eq!(
            cats(&p, p.classify(&[("amenity", "kindergarten")])),
            ["kinder"]
        );
        assert_eq!(
            cats(
                &p,
                p.classify(&[("amenity", "school"), ("name", "德州市第一实验小学")])
            ),
            ["primary"]
        );
        assert_eq!(
            cats(
                &p,
                p.classify(&[("amenity", "school"), ("isced:level", "1;2")])
            ),
            ["primary", "middle"]
        );
        assert_eq!(
            cats(
                &p,
                p.classify(&[("amenity", "school"), ("name", "德州市第九中学")])
            ),
            // A plain 中学 teaches 初中 and 高中.
            ["middle", "high"]
        );
        assert_eq!(cats(&p, p.classify(&[("amenity", "school")])), ["school"]);
        assert_eq!(
            cats(
                &p,
                p.classify(&[("building", "yes"), ("name", "康乐幼儿园")])
            ),
            ["kinder"]
        );
        // A bus stop named after a school is not a school.
        assert_eq!(
            p.classify(&[("highway", "bus_stop"), ("name", "实验小学站")]),
            0
        );
        assert_eq!(
            cats(&p, p.classify(&[("leisure", "park"), ("name", "长河公园")])),
            // Every tier until its size is checked (crate::osm::classify::size).
            ["park", "park10", "garden"]
        );
        assert_eq!(
            p.classify(&[("amenity", "restaurant"), ("name", "儿童之家饭店")]),
            0
        );
    }

    #[test]
    fn unknown_keys_and_bad_values_are_errors() {
        let bad =
            DEFAULT_PROFILE_TOML.replace("max_snap_m = 200.0", "max_snap_m = 200.0\nmax_snap = 3");
        let e = Profile::from_toml_str(&bad, Path::new("p.toml")).unwrap_err();
        assert!(e.to_string().contains("max_snap"), "{e}");
        let neg = DEFAULT_PROFILE_TOML.replacen("minutes = 5", "minutes = -5", 1);
        let e = Profile::from_toml_str(&neg, Path::new("p.toml")).unwrap_err();
        assert!(e.to_string().contains("positive"), "{e}");
    }

    #[test]
    fn age_groups_start_from_the_base_profile_and_labels_say_what_is_walked() {
        // An age group applied to the adult profile is applied to the base,
        // not stacked on the adult's 1.3 m/s without the crossing model.
        let adult = Profile::builtin("adult").unwrap();
        let all = adult.for_age("all").unwrap();
        let child = Profile::default();
        assert_eq!(all.label(), "child/all");
        assert_eq!(all.walking_speed_mps, child.walking_speed_mps);
        assert_eq!(all.steps_speed_factor, child.steps_speed_factor);
        assert_eq!(all.crossings, child.crossings);
        assert!(all.crossings.model);
        // The command line's combinations: nonsense is refused, clearly.
        let resolve = |p: Option<&str>, age: Option<&str>| Profile::resolve(p.map(Path::new), age);
        let e = resolve(Some("adult"), Some("all")).unwrap_err().to_string();
        assert!(
            e.contains("--profile adult") && e.contains("--profile child --age all"),
            "{e}"
        );
        let adult = resolve(Some("adult"), Some("adult")).unwrap();
        assert_eq!(
            (adult.label(), adult.walking_speed_mps),
            ("child/adult".into(), 1.3)
        );
        assert!(!adult.crossings.model);
        let kid = resolve(Some("child"), Some("6-12")).unwrap();
        assert_eq!(kid.label(), "child/6-12");
        assert_eq!(resolve(None, None).unwrap().label(), "child/all");
        let e = resolve(None, Some("toddler")).unwrap_err().to_string();
        assert!(e.contains("toddler") && e.contains("6-12"), "{e}");
    }

    #[test]
    fn selectors_parse_and_match() {
        let s: Selector = "amenity=school + isced:level=2|3 + access!=private"
            .parse()
            .unwrap();
        assert!(s.matches(&[("amenity", "school"), ("isced:level", "3")]));
        assert!(!s.matches(&[
            ("amenity", "school"),
            ("isced:level", "3"),
            ("access", "private")
        ]));
        assert!(!s.matches(&[("amenity", "school")]));
        assert!("= x".parse::<Selector>().is_err());
        // Only negative tests would match untagged objects, which ingest skips.
        assert!("access!=private".parse::<Selector>().is_err());
        assert_eq!(
            s.required_keys().collect::<Vec<_>>(),
            ["amenity", "isced:level"]
        );
    }
}

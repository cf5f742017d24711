//! School levels as a planner counts them: which levels (pre-primary, primary,
//! lower and upper secondary) a school teaches, from every signal OSM has, and
//! which `amenity=school` objects are no schools for children at all (driving,
//! dance or language schools, universities).
//!
//! Signals, in order (the first that yields a level decides):
//! 1. `isced:level` (`1`, `1;2`, `2-3`);
//! 2. the profile's `level_keys` (`school`, `school:type`, `school:CN`, `school:FR`, ...),
//!    each value looked up in the profile's value rules, else in its name rules;
//! 3. `grades` (`1-6`, `K-8`), then `min_age`/`max_age`, against the profile's grade and
//!    age bands: a level counts when the school covers at least half of its band;
//! 4. the name, against the profile's ordered name rules (first match wins);
//! 5. for objects tagged as schools whose name no rule matches: the profile's
//!    `name_keys` (`official_name`, `alt_name`, `short_name`, `name:fi`, ...), then
//!    the host of `website_keys` (`grundschule-ziegelhausen.de`), then the free
//!    text of `text_keys` (`description`), each against the name rules.
//!
//! A school area that contains other school objects is one school with them
//! ([`crate::osm::classify::nesting`]).
//!
//! The rules themselves are data (`[schools]` in the profile), not code.

use serde::Deserialize;

use crate::tags::{Selector, TagLookup};

/// One school level, as a bit of a level set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// ISCED 0: kindergarten, école maternelle.
    PrePrimary,
    /// ISCED 1: 小学, primary, Grundschule, école élémentaire.
    Primary,
    /// ISCED 2: 初中, middle school, collège, yläaste.
    LowerSecondary,
    /// ISCED 3: 高中, high school, lycée, lukio.
    UpperSecondary,
}

impl Level {
    /// Every level, in order of the bits.
    pub const ALL: [Level; 4] = [
        Level::PrePrimary,
        Level::Primary,
        Level::LowerSecondary,
        Level::UpperSecondary,
    ];

    /// The level's bit in a level set.
    pub fn bit(self) -> u8 {
        1 << self as u8
    }

    /// The name used in profiles.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::PrePrimary => "pre_primary",
            Level::Primary => "primary",
            Level::LowerSecondary => "lower_secondary",
            Level::UpperSecondary => "upper_secondary",
        }
    }
}

/// A value per level (category ids, grade or age bands).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PerLevel<T> {
    /// The value for [`Level::PrePrimary`] (ISCED 0).
    pub pre_primary: Option<T>,
    /// The value for [`Level::Primary`] (ISCED 1).
    pub primary: Option<T>,
    /// The value for [`Level::LowerSecondary`] (ISCED 2).
    pub lower_secondary: Option<T>,
    /// The value for [`Level::UpperSecondary`] (ISCED 3).
    pub upper_secondary: Option<T>,
}

impl<T> PerLevel<T> {
    /// The value of one level.
    pub fn get(&self, level: Level) -> Option<&T> {
        match level {
            Level::PrePrimary => self.pre_primary.as_ref(),
            Level::Primary => self.primary.as_ref(),
            Level::LowerSecondary => self.lower_secondary.as_ref(),
            Level::UpperSecondary => self.upper_secondary.as_ref(),
        }
    }
}

/// One rule: patterns that give levels, or that mark a non-school.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "RawRule")]
pub struct Rule {
    /// Patterns, lowercased unless the rule is case-sensitive.
    patterns: Vec<String>,
    case_sensitive: bool,
    /// Applies only to objects tagged as schools or school buildings.
    tagged_only: bool,
    levels: u8,
    /// Why a match is no school for children (`driving`, `dance`, ...).
    not_for_children: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    #[serde(default)]
    names: Vec<String>,
    #[serde(default)]
    values: Vec<String>,
    #[serde(default)]
    levels: Vec<Level>,
    not_for_children: Option<String>,
    #[serde(default)]
    case_sensitive: bool,
    #[serde(default)]
    tagged_only: bool,
}

impl TryFrom<RawRule> for Rule {
    type Error = String;

    fn try_from(r: RawRule) -> Result<Rule, String> {
        let mut patterns = r.names;
        patterns.extend(r.values);
        if patterns.is_empty() || patterns.iter().any(|p| p.trim().is_empty()) {
            return Err("a school rule needs non-empty `names` or `values`".into());
        }
        if r.levels.is_empty() == r.not_for_children.is_none() {
            return Err(format!(
                "school rule {:?} needs either `levels` or `not_for_children`",
                patterns[0]
            ));
        }
        if !r.case_sensitive {
            patterns = patterns.iter().map(|p| p.to_lowercase()).collect();
        }
        Ok(Rule {
            patterns,
            case_sensitive: r.case_sensitive,
            tagged_only: r.tagged_only,
            levels: r.levels.iter().fold(0, |s, l| s | l.bit()),
            not_for_children: r.not_for_children,
        })
    }
}

impl Rule {
    /// Whether one of the patterns occurs in `text` (`lower` is `text` lowercased).
    fn contains(&self, text: &str, lower: &str) -> bool {
        let hay = if self.case_sensitive { text } else { lower };
        self.patterns.iter().any(|p| hay.contains(p.as_str()))
    }

    /// Whether one of the patterns equals `value` (`lower` lowercased).
    fn equals(&self, value: &str, lower: &str) -> bool {
        let v = if self.case_sensitive { value } else { lower };
        self.patterns.iter().any(|p| p == v)
    }
}

/// The `[schools]` table of a profile.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchoolRules {
    /// What a school is (`amenity=school`).
    pub tags: Vec<Selector>,
    /// Objects that are never schools for children (`amenity=driving_school|...`):
    /// reported as excluded.
    #[serde(default)]
    pub non_school_tags: Vec<Selector>,
    /// Keep objects the rules find to be no schools for children, as "other school".
    #[serde(default)]
    pub keep_non_schools: bool,
    /// Objects a name rule may make a school although they carry a name blocker.
    #[serde(default)]
    pub name_scope: Vec<Selector>,
    /// Buildings that are schools (`building=school`): name rules marked
    /// `tagged_only` (generic words such as École, 学校) apply to them too.
    #[serde(default)]
    pub school_buildings: Vec<Selector>,
    /// The category a school without any level belongs to.
    pub other: String,
    /// Warn when more than this share of an extract's schools has no level.
    pub warn_other_share: f64,
    /// Keys whose values name the school's type (`school`, `school:FR`, ...).
    #[serde(default)]
    pub level_keys: Vec<String>,
    /// The category each level counts for; a level without one counts for none.
    pub categories: PerLevel<String>,
    /// Grade bands of each level, inclusive (`primary = [1, 6]`).
    #[serde(default)]
    pub grades: PerLevel<[f64; 2]>,
    /// Age bands of each level, inclusive years.
    #[serde(default)]
    pub ages: PerLevel<[f64; 2]>,
    /// Rules for tag values, matched whole (case-insensitive).
    #[serde(default)]
    pub values: Vec<Rule>,
    /// Rules for names, matched as substrings, in order: the first match wins.
    #[serde(default)]
    pub names: Vec<Rule>,
    /// Other name keys tried, in order, when no rule matches `name`.
    #[serde(default)]
    pub name_keys: Vec<String>,
    /// Website keys whose host (`www.` and the scheme dropped, `-`/`.`/`_` read
    /// as spaces) is tried next; case-sensitive rules do not apply to hosts.
    #[serde(default)]
    pub website_keys: Vec<String>,
    /// Free-text keys (`description`) tried last.
    #[serde(default)]
    pub text_keys: Vec<String>,
}

/// What the rules make of one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// A school teaching these levels (a [`Level`] bit set; 0: no level known),
    /// found by this signal (`isced:level`, a key, `grades`, `age`, `name`, `none`).
    School {
        /// The levels taught, a [`Level`] bit set; 0 when none is known.
        levels: u8,
        /// The signal that gave them.
        signal: &'static str,
    },
    /// No school for children, and why.
    NotForChildren(String),
}

impl SchoolRules {
    /// The verdict on an object, or `None` when it is no school candidate.
    /// `name_allowed`: whether a name rule may make an untagged object a school
    /// (the profile's name blockers and `name_scope`).
    pub fn judge<T: TagLookup + ?Sized>(&self, tags: &T, name_allowed: bool) -> Option<Verdict> {
        if let Some(s) = self.non_school_tags.iter().find(|s| s.matches(tags)) {
            return Some(Verdict::NotForChildren(format!(
                "tagged {}",
                describe(s, tags)
            )));
        }
        let tagged = self.tags.iter().any(|s| s.matches(tags));
        let name = tags.get("name").unwrap_or("").trim();
        if !tagged && (name.is_empty() || !name_allowed) {
            return None;
        }
        let lower = name.to_lowercase();
        let generic_ok = tagged || self.school_buildings.iter().any(|s| s.matches(tags));
        let by_name = (!name.is_empty())
            .then(|| {
                self.names
                    .iter()
                    .filter(|r| generic_ok || !r.tagged_only)
                    .find(|r| r.contains(name, &lower))
            })
            .flatten();
        if !tagged {
            // Untagged: a school only by a level rule of its name.
            let rule = by_name.filter(|r| r.levels != 0)?;
            return Some(Verdict::School {
                levels: rule.levels,
                signal: "name",
            });
        }
        if let Some(why) = by_name.and_then(|r| r.not_for_children.clone()) {
            return Some(Verdict::NotForChildren(why));
        }
        if let Some(why) = self.values_not_for_children(tags) {
            return Some(Verdict::NotForChildren(why));
        }
        let by_name = by_name.map(|r| (r, "name"));
        let found = self.levels_from_tags(tags).map(Ok).or_else(|| {
            let (rule, signal) = by_name.or_else(|| self.beyond_name(tags))?;
            Some(match &rule.not_for_children {
                Some(why) => Err(why.clone()),
                None => Ok((rule.levels, signal)),
            })
        });
        let (levels, signal) = match found {
            Some(Err(why)) => return Some(Verdict::NotForChildren(why)),
            Some(Ok(found)) => found,
            None => (0, "none"),
        };
        if levels == 0 && tags.get("isced:level").is_some_and(only_higher) {
            return Some(Verdict::NotForChildren("isced:level above 3".into()));
        }
        Some(Verdict::School { levels, signal })
    }

    /// The first name rule that another name, the website's host or a
    /// description of a tagged school matches, with its signal.
    fn beyond_name<'t, T: TagLookup + ?Sized>(
        &'t self,
        tags: &'t T,
    ) -> Option<(&'t Rule, &'static str)> {
        let find = |text: &str, host: bool| {
            let lower = text.to_lowercase();
            let mut rules = self.names.iter().filter(|r| !(host && r.case_sensitive));
            rules.find(|r| r.contains(text, &lower))
        };
        let values = |keys: &'t [String]| {
            keys.iter()
                .filter_map(|k| tags.get(k))
                .flat_map(|v| v.split(';'))
                .map(str::trim)
                .filter(|v| !v.is_empty())
        };
        let names = values(&self.name_keys).find_map(|n| find(n, false));
        let site = || {
            let hosts = values(&self.website_keys).filter_map(host);
            hosts
                .map(|h| find(&h, true))
                .find(Option::is_some)
                .flatten()
        };
        let text = || values(&self.text_keys).find_map(|t| find(t, false));
        names
            .map(|r| (r, "other names"))
            .or_else(|| site().map(|r| (r, "website")))
            .or_else(|| text().map(|r| (r, "description")))
    }

    fn values_not_for_children<T: TagLookup + ?Sized>(&self, tags: &T) -> Option<String> {
        self.key_values(tags).find_map(|(_, v)| {
            let l = v.to_lowercase();
            let rule = self.values.iter().find(|r| r.equals(v, &l))?;
            rule.not_for_children.clone()
        })
    }

    fn key_values<'t, T: TagLookup + ?Sized>(
        &'t self,
        tags: &'t T,
    ) -> impl Iterator<Item = (&'t str, &'t str)> + 't {
        self.level_keys
            .iter()
            .filter_map(move |k| {
                tags.get(k)
                    .map(|v| (k.as_str(), v))
                    .filter(|(_, v)| !v.trim().is_empty())
            })
            .flat_map(|(k, v)| v.split(';').map(move |p| (k, p.trim())))
    }

    /// Levels from tags alone, with the signal that gave them.
    fn levels_from_tags<T: TagLookup + ?Sized>(&self, tags: &T) -> Option<(u8, &'static str)> {
        let isced = tags.get("isced:level").map_or(0, isced_levels);
        if isced != 0 {
            return Some((isced, "isced:level"));
        }
        let mut by_key = 0;
        for (_, v) in self.key_values(tags) {
            let l = v.to_lowercase();
            by_key |= match self.values.iter().find(|r| r.equals(v, &l)) {
                Some(r) => r.levels,
                None => self
                    .names
                    .iter()
                    .find(|r| r.contains(v, &l))
                    .map_or(0, |r| r.levels),
            };
        }
        if by_key != 0 {
            return Some((by_key, "school tags"));
        }
        let grades = tags
            .get("grades")
            .and_then(grade_span)
            .map_or(0, |span| bands(&self.grades, span));
        if grades != 0 {
            return Some((grades, "grades"));
        }
        let num = |k: &str| tags.get(k).and_then(|v| v.trim().parse::<f64>().ok());
        let ages = match (num("min_age"), num("max_age")) {
            (None, None) => 0,
            (lo, hi) => bands(&self.ages, [lo.unwrap_or(0.0), hi.unwrap_or(99.0)]),
        };
        (ages != 0).then_some((ages, "min_age/max_age"))
    }
}

/// `amenity=driving_school` for a report: the selector's tests that the
/// object's tags meet.
fn describe<T: TagLookup + ?Sized>(s: &Selector, tags: &T) -> String {
    s.required_keys()
        .map(|k| format!("{k}={}", tags.get(k).unwrap_or("")))
        .collect::<Vec<_>>()
        .join(" + ")
}

/// The host of a website as words: `http://www.grundschule-ziegelhausen.de/x`
/// is `grundschule ziegelhausen de`. `None` for an empty host.
fn host(url: &str) -> Option<String> {
    let u = url.trim().to_lowercase();
    let u = u.split_once("://").map_or(u.as_str(), |(_, rest)| rest);
    let h = u.split(['/', '?', '#']).next().unwrap_or("");
    let h = h.rsplit_once('@').map_or(h, |(_, h)| h);
    let h = h.split(':').next().unwrap_or("");
    let h = h.strip_prefix("www.").unwrap_or(h);
    let words = h.replace(['-', '.', '_'], " ");
    (!words.trim().is_empty()).then(|| words.trim().to_string())
}

/// ISCED levels 0-3 in `1`, `1;2`, `2-3`, `1,2` as a [`Level`] set.
fn isced_levels(v: &str) -> u8 {
    let mut set = 0;
    for [lo, hi] in spans(v) {
        for l in Level::ALL {
            let n = l as u8 as f64;
            if (lo..=hi).contains(&n) {
                set |= l.bit();
            }
        }
    }
    set
}

/// Whether an `isced:level` names only post-secondary levels (4-8).
fn only_higher(v: &str) -> bool {
    let s = spans(v);
    !s.is_empty() && s.iter().all(|[lo, _]| *lo >= 4.0)
}

/// Numeric spans of a list like `1-3;5` (`K`/`PK` read as grade 0).
fn spans(v: &str) -> Vec<[f64; 2]> {
    let num = |s: &str| -> Option<f64> {
        let s = s.trim();
        match s.to_ascii_uppercase().as_str() {
            "K" | "PK" | "TK" | "R" => Some(0.0),
            _ => s.parse().ok(),
        }
    };
    v.split([';', ','])
        .filter_map(|part| {
            let part = part.trim().replace('–', "-");
            match part.split_once('-') {
                Some((a, b)) => Some([num(a)?, num(b)?]),
                None => num(&part).map(|n| [n, n]),
            }
        })
        .collect()
}

/// The overall span of a `grades` value.
fn grade_span(v: &str) -> Option<[f64; 2]> {
    let s = spans(v);
    let lo = s.iter().map(|s| s[0]).reduce(f64::min)?;
    let hi = s.iter().map(|s| s[1]).reduce(f64::max)?;
    Some([lo, hi])
}

/// The levels whose inclusive band `span` covers at least half of.
fn bands(per: &PerLevel<[f64; 2]>, span: [f64; 2]) -> u8 {
    let mut set = 0;
    for l in Level::ALL {
        let Some(&[lo, hi]) = per.get(l) else {
            continue;
        };
        let overlap = (span[1].min(hi) - span[0].max(lo) + 1.0).max(0.0);
        if 2.0 * overlap >= hi - lo + 1.0 {
            set |= l.bit();
        }
    }
    set
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_read_isced_grades_and_ranges() {
        assert_eq!(isced_levels("1;2"), 0b0110);
        assert_eq!(isced_levels("2-3"), 0b1100);
        assert_eq!(isced_levels("0"), 0b0001);
        assert_eq!(isced_levels("5"), 0);
        assert!(only_higher("5;6") && !only_higher("3;4"));
        assert_eq!(grade_span("K-8"), Some([0.0, 8.0]));
        assert_eq!(grade_span("9;10;11;12"), Some([9.0, 12.0]));
        assert_eq!(grade_span("one"), None);
    }

    #[test]
    fn hosts_are_read_as_words() {
        assert_eq!(
            host("http://www.grundschule-ziegelhausen.de").as_deref(),
            Some("grundschule ziegelhausen de")
        );
        assert_eq!(
            host("https://www.hel.fi/peruskoulut/fi/koulut/kaisaniemen-ala-aste/").as_deref(),
            Some("hel fi"),
            "the path is not read: a city's directory of schools names every school's type"
        );
        assert_eq!(
            host("HTTP://User@Lycee-Albert1er.mc:8080?x").as_deref(),
            Some("lycee albert1er mc")
        );
        assert_eq!(host("http://"), None);
    }

    #[test]
    fn a_band_counts_when_half_of_it_is_taught() {
        let per = PerLevel {
            pre_primary: None,
            primary: Some([1.0, 6.0]),
            lower_secondary: Some([7.0, 9.0]),
            upper_secondary: Some([10.0, 12.0]),
        };
        let p = Level::Primary.bit();
        let m = Level::LowerSecondary.bit();
        let h = Level::UpperSecondary.bit();
        assert_eq!(bands(&per, [0.0, 8.0]), p | m, "K-8");
        assert_eq!(bands(&per, [6.0, 8.0]), m, "a US middle school");
        assert_eq!(bands(&per, [9.0, 12.0]), h, "a US high school");
        assert_eq!(bands(&per, [5.0, 13.0]), m | h, "a German Gymnasium");
    }
}

//! Tables for the planning bureau: coverage per district (区) and subdistrict
//! (街道), with progress against a life-circle target.
//!
//! Districts come from a polygon file (`--districts FILE.geojson`; a community
//! belongs to the district that contains a point inside it). Subdistricts come
//! from the communities' own `subdistrict` (OSM `addr:subdistrict`, inherited by
//! compounds from their 社区). With both, each district row is followed by the
//! rows of its subdistricts.

use std::collections::BTreeMap;
use std::path::Path;

use geo::{BoundingRect, Contains, InteriorPoint, MultiPolygon, Point};
use serde::Serialize;

use super::shares::{people, share};
use crate::analysis::Analysis;
use crate::coverage::{CommunityCoverage, CoverageRules};
use crate::error::Result;
use crate::places::community_file::{read_communities, CommunityFields};
use crate::places::Community;
use crate::profile::Category;

/// An administrative area: a district, county or subdistrict outline.
#[derive(Debug, Clone)]
pub struct District {
    /// Its name, from the file's `name` (or `名称`, `NAME`) property.
    pub name: String,
    /// Lon/lat (WGS84).
    pub polygon: MultiPolygon<f64>,
}

/// Districts read from a file, and what had to be repaired or skipped.
#[derive(Debug, Clone, Default)]
pub struct DistrictFile {
    /// The districts, in file order.
    pub districts: Vec<District>,
    /// What had to be repaired or skipped, one sentence each, naming the file.
    pub warnings: Vec<String>,
}

/// Reads district polygons: a GeoJSON FeatureCollection of (Multi)Polygons in
/// WGS84 with the name in `name` (or `名称`, `NAME`). Read with the same rules
/// as `--communities` (rings closed, projected files rejected).
pub fn read_districts(path: &Path) -> Result<DistrictFile> {
    let file = read_communities(path, &CommunityFields::default())?;
    Ok(DistrictFile {
        districts: file
            .communities
            .into_iter()
            .map(|c| District {
                name: c.name,
                polygon: c.polygon,
            })
            .collect(),
        warnings: file
            .warnings
            .into_iter()
            .map(|w| format!("{}: {w}", path.display()))
            .collect(),
    })
}

/// What a row counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// A district (区) or county, from the districts file.
    District,
    /// A subdistrict (街道), from the communities' `subdistrict`.
    Subdistrict,
    /// All communities together.
    Total,
}

impl Level {
    /// The level's name in Chinese and English (`区县 district`), as written in
    /// `districts.csv`.
    pub fn label(self) -> &'static str {
        match self {
            Level::District => "区县 district",
            Level::Subdistrict => "街道 subdistrict",
            Level::Total => "合计 total",
        }
    }
}

/// One row: a district, a subdistrict, or all communities.
#[derive(Debug, Clone, Serialize)]
pub struct DistrictRow {
    /// Whether the row is a district, a subdistrict or the total.
    pub level: Level,
    /// The district's or subdistrict's name: [`OUTSIDE`] or [`UNASSIGNED`] for
    /// communities without one, `合计 all communities` for the total.
    pub name: String,
    /// The district a subdistrict row belongs to (when districts are given).
    pub parent: Option<String>,
    /// The level of community the row counts when the analysis has nested
    /// ones (社区 neighbourhoods and the 小区 compounds inside them): each is
    /// its own row with its own denominator, never summed together.
    pub kind: Option<String>,
    /// Communities in the row.
    pub communities: usize,
    /// Known population, when any community of the row has one.
    pub population: Option<f64>,
    /// Share of communities covered, per category (profile order).
    pub share_covered: Vec<f64>,
    /// Communities in the life circle (every required category covered).
    pub life_circle: usize,
    /// `life_circle` as a share of `communities`, 0 to 1.
    pub share_life_circle: f64,
    /// Share of the known population living in life-circle communities.
    pub share_population_life_circle: Option<f64>,
    /// Children (of the age group), when known.
    pub children: Option<f64>,
    /// Share of those children living in life-circle communities.
    pub share_children_life_circle: Option<f64>,
    /// Whether `share_life_circle` reaches the target (when one is set).
    pub meets_target: Option<bool>,
}

/// A category column.
#[derive(Debug, Clone, Serialize)]
pub struct Column {
    /// The category's id.
    pub id: String,
    /// The category's Chinese name.
    pub label_zh: String,
    /// The category's English name.
    pub label_en: String,
    /// The category's walking-time threshold, minutes.
    pub minutes: f64,
    /// Whether the category counts towards the life circle.
    pub required: bool,
}

/// The bureau's table: `districts.csv` and the report's table and chart.
#[derive(Debug, Clone, Serialize)]
pub struct DistrictTables {
    /// One column per category, in profile order.
    pub categories: Vec<Column>,
    /// Target share of communities in the life circle (`--target`).
    pub target: Option<f64>,
    /// Whether district rows come from a polygon file.
    pub districts_from_file: bool,
    /// District rows, each followed by its subdistricts' rows, then the total.
    pub rows: Vec<DistrictRow>,
    /// What the data is, for a run on the shipped synthetic model.
    pub data_note: Option<String>,
    /// When a community counts as covered (per level), noted under the table.
    pub coverage_rule: String,
}

/// Name of the row for communities outside every district polygon.
pub const OUTSIDE: &str = "区域外 outside the districts";
/// Name of the row for communities without a subdistrict.
pub const UNASSIGNED: &str = "未标注 no subdistrict";

/// What a district table counts: the communities with their coverage, from
/// one analysis ([`district_tables`]) or from merged tiles
/// ([`crate::tiles::merge`], which has no [`Analysis`]).
#[derive(Debug, Clone, Copy)]
pub struct TableInput<'a> {
    /// The communities: kind, subdistrict, nesting (`parent`) and people are read.
    pub communities: &'a [Community],
    /// Their coverage, one per community: `covered` and `life_circle` are read.
    pub coverage: &'a [CommunityCoverage],
    /// The profile's categories, the table's columns.
    pub categories: &'a [Category],
    /// The coverage rules in force, noted under the table.
    pub coverage_rules: &'a CoverageRules,
    /// Whether the data is the shipped synthetic model (adds its note).
    pub synthetic: bool,
}

/// Coverage per district (from `districts`) and per subdistrict (from the
/// communities' `subdistrict`), then the total. Districts without communities
/// are left out; `target` adds whether each row meets that life-circle share.
pub fn district_tables(
    a: &Analysis,
    districts: Option<&[District]>,
    target: Option<f64>,
) -> DistrictTables {
    let input = TableInput {
        communities: &a.communities,
        coverage: &a.coverage,
        categories: &a.profile.categories,
        coverage_rules: &a.coverage_rules,
        synthetic: a.synthetic,
    };
    let districts = districts.map(|ds| {
        let points: Vec<Option<Point<f64>>> = a
            .communities
            .iter()
            .map(|c| c.polygon.interior_point())
            .collect();
        (ds, points)
    });
    district_tables_of(
        &input,
        districts.as_ref().map(|(ds, p)| Placed {
            districts: ds,
            points: p,
        }),
        target,
    )
}

/// District outlines with each community's representative point (lon/lat,
/// one per community; the polygon's interior point in one analysis), which
/// decides the district it belongs to.
#[derive(Debug, Clone, Copy)]
pub struct Placed<'a> {
    /// The districts, in file order.
    pub districts: &'a [District],
    /// One point per community of the table's input.
    pub points: &'a [Option<Point<f64>>],
}

/// [`district_tables`] of any communities, placed in `districts`.
pub fn district_tables_of(
    t: &TableInput,
    districts: Option<Placed>,
    target: Option<f64>,
) -> DistrictTables {
    let mut rows = Rows {
        t,
        kinds: community_kinds(t.communities),
        target,
        any_subdistrict: t.communities.iter().any(|c| c.subdistrict.is_some()),
        rows: Vec::new(),
    };
    match districts {
        Some(p) => rows.push_districts(p.districts, &district_of(p.points, p.districts)),
        None => {
            let all: Vec<usize> = (0..t.communities.len()).collect();
            rows.push_subdistricts(&all, None);
        }
    }
    let all: Vec<usize> = (0..t.communities.len()).collect();
    rows.push(Level::Total, "合计 all communities".into(), None, &all);
    DistrictTables {
        categories: t
            .categories
            .iter()
            .map(|c| Column {
                id: c.id.clone(),
                label_zh: c.label_zh.clone(),
                label_en: c.label_en.clone(),
                minutes: c.minutes,
                required: c.required,
            })
            .collect(),
        target,
        districts_from_file: districts.is_some(),
        coverage_rule: t
            .coverage_rules
            .describe(t.communities.iter().map(|c| c.kind)),
        rows: rows.rows,
        data_note: crate::findings::summary::data_note_for(t.synthetic),
    }
}

/// Each community's district: the first of `ds` containing its point, else
/// [`OUTSIDE`].
fn district_of(points: &[Option<Point<f64>>], ds: &[District]) -> Vec<String> {
    let boxes: Vec<_> = ds.iter().map(|d| d.polygon.bounding_rect()).collect();
    points
        .iter()
        .map(|p| {
            let inside = p.and_then(|p| {
                ds.iter()
                    .zip(&boxes)
                    .position(|(d, b)| b.is_some_and(|b| b.contains(&p)) && d.polygon.contains(&p))
            });
            inside.map_or_else(|| OUTSIDE.to_string(), |i| ds[i].name.clone())
        })
        .collect()
}

/// The table's rows as they are added, with what every row needs.
struct Rows<'a> {
    t: &'a TableInput<'a>,
    /// See [`community_kinds`].
    kinds: Vec<&'static str>,
    target: Option<f64>,
    any_subdistrict: bool,
    rows: Vec<DistrictRow>,
}

impl Rows<'_> {
    /// The row (or rows, one per kind) of communities `ids`.
    fn push(&mut self, level: Level, name: String, parent: Option<String>, ids: &[usize]) {
        self.rows.extend(split_by_kind(
            self.t,
            &self.kinds,
            level,
            name,
            parent,
            ids,
            self.target,
        ));
    }

    /// Rows per subdistrict of communities `ids` (none if no community has a
    /// subdistrict), by name.
    fn push_subdistricts(&mut self, ids: &[usize], parent: Option<&str>) {
        if !self.any_subdistrict {
            return;
        }
        let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for &i in ids {
            let name = self.t.communities[i]
                .subdistrict
                .clone()
                .unwrap_or_else(|| UNASSIGNED.to_string());
            groups.entry(name).or_default().push(i);
        }
        for (name, ids) in groups {
            self.push(Level::Subdistrict, name, parent.map(str::to_string), &ids);
        }
    }

    /// A row per district of `ds` with communities (`of`: each community's
    /// district), each followed by its subdistricts: in file order, the
    /// outside row last.
    fn push_districts(&mut self, ds: &[District], of: &[String]) {
        let mut order: Vec<&str> = ds.iter().map(|d| d.name.as_str()).collect();
        order.push(OUTSIDE);
        let mut seen = std::collections::HashSet::new();
        for name in order {
            if !seen.insert(name) {
                continue; // a name given twice: its communities are in the first row
            }
            let ids: Vec<usize> = (0..self.t.communities.len())
                .filter(|&i| of[i] == name)
                .collect();
            if ids.is_empty() {
                continue;
            }
            self.push(Level::District, name.to_string(), None, &ids);
            self.push_subdistricts(&ids, Some(name));
        }
    }
}

/// The kinds of community of an analysis when there are several (社区 and
/// 小区), else none: rows are then split by kind.
fn community_kinds(communities: &[Community]) -> Vec<&'static str> {
    let mut kinds: Vec<&'static str> = communities.iter().map(|c| c.kind).collect();
    kinds.sort_unstable();
    kinds.dedup();
    if kinds.len() < 2 {
        kinds.clear();
    }
    kinds
}

/// The label of a kind of community, in Chinese and English.
pub fn kind_label(kind: &str) -> String {
    crate::coverage::kind_name(kind)
}

/// One row, or one per kind of community when there are several.
fn split_by_kind(
    t: &TableInput,
    kinds: &[&'static str],
    level: Level,
    name: String,
    parent: Option<String>,
    ids: &[usize],
    target: Option<f64>,
) -> Vec<DistrictRow> {
    if kinds.is_empty() {
        return vec![row(t, level, name, parent, ids, target)];
    }
    kinds
        .iter()
        .filter_map(|&kind| {
            let of_kind: Vec<usize> = ids
                .iter()
                .copied()
                .filter(|&i| t.communities[i].kind == kind)
                .collect();
            (!of_kind.is_empty()).then(|| {
                let mut r = row(t, level, name.clone(), parent.clone(), &of_kind, target);
                r.kind = Some(kind_label(kind));
                r
            })
        })
        .collect()
}

fn row(
    t: &TableInput,
    level: Level,
    name: String,
    parent: Option<String>,
    ids: &[usize],
    target: Option<f64>,
) -> DistrictRow {
    let n = ids.len();
    let known = ids.iter().any(|&i| t.communities[i].population.is_some());
    // Each person once over all the row's communities; the life circle's
    // people are those of them in it.
    let once = crate::places::counted_once(t.communities, ids);
    let in_circle: Vec<usize> = once
        .iter()
        .copied()
        .filter(|&i| t.coverage[i].life_circle)
        .collect();
    let sum = |ids: &[usize], value: fn(&crate::places::Community) -> Option<f64>| {
        people(t.communities, ids, value)
    };
    let population = known.then(|| sum(&once, |c| c.population));
    let children = ids
        .iter()
        .any(|&i| t.communities[i].children.is_some())
        .then(|| sum(&once, |c| c.children));
    let circle = ids.iter().filter(|&&i| t.coverage[i].life_circle).count();
    let share_life_circle = share(circle, n);
    DistrictRow {
        level,
        name,
        parent,
        kind: None,
        communities: n,
        population,
        share_covered: (0..t.categories.len())
            .map(|k| share(ids.iter().filter(|&&i| t.coverage[i].covered[k]).count(), n))
            .collect(),
        life_circle: circle,
        share_life_circle,
        share_population_life_circle: population
            .filter(|&p| p > 0.0)
            .map(|p| sum(&in_circle, |c| c.population) / p),
        children,
        share_children_life_circle: children
            .filter(|&c| c > 0.0)
            .map(|c| sum(&in_circle, |c| c.children) / c),
        meets_target: target.map(|t| share_life_circle + 1e-12 >= t),
    }
}

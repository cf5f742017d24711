//! A planner's own facility list (`--facilities FILE`): kindergartens,
//! schools, parks ... from the education bureau's spreadsheet, a CSV, or
//! GeoJSON points and polygons.
//!
//! Each row needs a location and a category. Category values map to the
//! profile's categories by id (`kinder`), by label (`幼儿园`, `Kindergarten`,
//! each part of `图书馆·儿童之家`), by a few common synonyms (`初中`, `托儿所`,
//! `体育场` ...), or through a mapping table (`--category-map FILE`: two
//! columns, the value and the category id). Rows whose value maps to nothing
//! are listed with their counts and skipped; the run goes on with the rest.
//!
//! In [`Mode::Add`] a file facility that duplicates an OSM one — the same
//! category within [`SAME_PLACE_M`], or the same category and name within
//! [`SAME_NAME_M`] (or inside its area) — is merged into it: the OSM geometry
//! and access points are kept, the file's id, name and capacity added, and the
//! merge reported. File facilities are attached to the network by the same
//! rules as OSM ones ([`crate::places::facility_access`]).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use super::records::{self, list, locate, value, InputOptions, Loaded, Locations, Role};
use crate::error::{Error, Result};
use crate::geodesy::haversine_m;
use crate::network::graph::Graph;
use crate::places::snap::GraphIndex;
use crate::places::{facility_access, Facility, PlaceGeometry};
use crate::profile::Profile;
use crate::tags::OsmRef;

/// A file facility within this distance of an OSM one of its category is the same place.
pub const SAME_PLACE_M: f64 = 50.0;
/// ... and within this distance when the names are the same too.
pub const SAME_NAME_M: f64 = 200.0;

/// Whether the file adds to OSM's facilities or replaces them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// The file's facilities join OSM's (a duplicate of an OSM facility is
    /// merged into it); the default.
    #[default]
    Add,
    /// The file's facilities replace OSM's.
    Replace,
}

impl std::str::FromStr for Mode {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Mode, String> {
        match s {
            "add" => Ok(Mode::Add),
            "replace" => Ok(Mode::Replace),
            other => Err(format!("{other:?}: expected add or replace")),
        }
    }
}

/// How to read a facility file.
#[derive(Debug, Clone, Default)]
pub struct FacilityFileOptions {
    /// The facility file (CSV, XLSX or GeoJSON).
    pub path: PathBuf,
    /// Whether the file adds to OSM's facilities or replaces them.
    pub mode: Mode,
    /// Columns, coordinate system and sheet to read it with.
    pub input: InputOptions,
    /// A table mapping the file's category values to category ids.
    pub category_map: Option<PathBuf>,
}

/// Where a facility of a file came from.
#[derive(Debug, Clone, PartialEq)]
pub struct FileRef {
    /// The row's id, or `row<N>` when the file has no id column.
    pub id: String,
    /// "row 12" or "feature 3".
    pub row: String,
    /// `capacity`: places (pupils, children), when the file has a capacity column.
    pub capacity: Option<f64>,
}

/// One usable row of a facility file.
#[derive(Debug, Clone)]
pub struct FileFacility {
    /// Where it came from in the file: id, row and capacity.
    pub file: FileRef,
    /// Its category (index into the profile's categories), from the file's
    /// category value.
    pub category: usize,
    /// Its name, when the file has a name column.
    pub name: Option<String>,
    /// The point (an area's centroid), WGS84 lon/lat.
    pub lonlat: [f64; 2],
    /// Its shape, WGS84 lon/lat.
    pub geometry: PlaceGeometry,
}

/// A facility file as read.
#[derive(Debug, Clone, Default)]
pub struct FacilityFile {
    /// The file read.
    pub path: PathBuf,
    /// Its usable rows, in file order.
    pub facilities: Vec<FileFacility>,
    /// What the reader decided (encoding, CRS, columns) and what it skipped.
    pub notes: Vec<String>,
}

/// Reads and checks a facility file against the profile and the extract's
/// bounds (lon/lat).
pub fn read_facility_file(
    options: &FacilityFileOptions,
    profile: &Profile,
    bounds: geo::Rect<f64>,
) -> Result<FacilityFile> {
    let loaded = records::load(&options.path, &options.input)?;
    let columns = &options.input.columns;
    let category = loaded.column(Role::Category, columns)?.ok_or_else(|| {
        loaded.fail(format!(
            "no category column (looked for {}); the columns are: {} (name it with --columns category=HEADER)",
            Role::Category.candidates().join(", "),
            loaded.column_list()
        ))
    })?;
    let name = loaded.column(Role::Name, columns)?;
    let id = loaded.column(Role::Id, columns)?;
    let capacity = loaded.column(Role::Capacity, columns)?;
    check_unique_ids(&loaded, id)?;
    let mapping = CategoryMap::new(profile, options.category_map.as_deref())?;
    let locations = locate(&loaded, &options.input, bounds)?;
    check_locations(&loaded, &locations)?;

    let mut unknown: BTreeMap<String, usize> = BTreeMap::new();
    let mut facilities = Vec::new();
    for l in &locations.located {
        let raw = value(&loaded, l.index, Some(category)).unwrap_or("");
        let Some(c) = mapping.get(raw) else {
            *unknown.entry(raw.to_string()).or_default() += 1;
            continue;
        };
        let row = loaded.row_label(l.index);
        let capacity = capacity_of(&loaded, l.index, capacity, &row)?;
        facilities.push(FileFacility {
            file: FileRef {
                id: value(&loaded, l.index, id).map_or_else(
                    || format!("row{}", loaded.table.row_number(l.index)),
                    str::to_string,
                ),
                row,
                capacity,
            },
            category: c,
            name: value(&loaded, l.index, name).map(str::to_string),
            lonlat: l.lonlat,
            geometry: l.geometry.clone(),
        });
    }
    let notes = reading_notes(
        &loaded,
        &locations,
        category,
        facilities.len(),
        &unknown,
        profile,
    );
    if facilities.is_empty() {
        return Err(loaded.fail(format!("no usable facility: {}", notes[1..].join("; "))));
    }
    Ok(FacilityFile {
        path: options.path.clone(),
        facilities,
        notes,
    })
}

/// The capacity in column `capacity` of row `index` (labelled `row`), if the
/// file has one: a number ≥ 0.
fn capacity_of(
    loaded: &Loaded,
    index: usize,
    capacity: Option<usize>,
    row: &str,
) -> Result<Option<f64>> {
    let Some(t) = value(loaded, index, capacity) else {
        return Ok(None);
    };
    let v = t.parse::<f64>().ok().filter(|v| *v >= 0.0).ok_or_else(|| {
        loaded.fail(format!(
            "{row}, column {:?}: capacity {t:?} is not a number",
            loaded.table.headers[capacity.unwrap_or(0)]
        ))
    })?;
    Ok(Some(v))
}

/// What the reader decided (encoding, CRS, category column) and skipped:
/// the first note says what was read; the others, what was left out.
fn reading_notes(
    loaded: &Loaded,
    locations: &Locations,
    category: usize,
    read: usize,
    unknown: &BTreeMap<String, usize>,
    profile: &Profile,
) -> Vec<String> {
    let mut notes = vec![format!(
        "read {} facilities ({}; coordinates {} from {}; category column {:?})",
        read,
        loaded.table.source,
        locations.crs,
        locations.crs_from,
        loaded.table.headers[category]
    )];
    if !locations.far.is_empty() {
        notes.push(format!(
            "{} rows lie more than ~5 km outside the extract and were skipped: {}",
            locations.far.len(),
            list(&locations.far)
        ));
    }
    if !unknown.is_empty() {
        let n: usize = unknown.values().sum();
        let values: Vec<String> = unknown
            .iter()
            .map(|(v, k)| format!("{:?} ({k})", if v.is_empty() { "(empty)" } else { v }))
            .collect();
        notes.push(format!(
            "{n} rows have a category matching none of the profile's ({}), skipped: {} (map them with --category-map FILE)",
            profile.category_ids(),
            values.join(", ")
        ));
    }
    notes
}

/// Every facility needs a place, and one that lies near the extract.
fn check_locations(loaded: &Loaded, l: &Locations) -> Result<()> {
    if !l.unlocated.is_empty() {
        return Err(loaded.fail(format!(
            "{} rows have no coordinates: {} (every facility needs a location)",
            l.unlocated.len(),
            list(&l.unlocated)
        )));
    }
    if l.located.is_empty() {
        return Err(loaded.fail(format!(
            "none of its {} rows lies within the extract ({} rows more than ~5 km outside: {})",
            loaded.table.rows.len(),
            l.far.len(),
            list(&l.far)
        )));
    }
    Ok(())
}

fn check_unique_ids(loaded: &Loaded, id: Option<usize>) -> Result<()> {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut duplicates = Vec::new();
    for i in 0..loaded.table.rows.len() {
        let Some(v) = value(loaded, i, id) else {
            continue;
        };
        if let Some(&first) = seen.get(v) {
            duplicates.push(format!(
                "{v:?} ({} and {})",
                loaded.row_label(first),
                loaded.row_label(i)
            ));
        } else {
            seen.insert(v, i);
        }
    }
    if duplicates.is_empty() {
        return Ok(());
    }
    Err(loaded.fail(format!(
        "{} duplicated ids in column {:?}: {}",
        duplicates.len(),
        loaded.table.headers[id.unwrap_or(0)],
        list(&duplicates)
    )))
}

/// Common names of the child profile's categories, by category id.
const SYNONYMS: &[(&str, &[&str])] = &[
    (
        "kinder",
        &[
            "幼儿园",
            "幼稚园",
            "kindergarten",
            "preschool",
            "nursery school",
        ],
    ),
    (
        "childcare",
        &[
            "托育",
            "托儿所",
            "托育机构",
            "早教",
            "childcare",
            "daycare",
            "nursery",
        ],
    ),
    ("play", &["儿童游乐场", "游乐场", "儿童乐园", "playground"]),
    ("primary", &["小学", "primary", "primary school"]),
    (
        "middle",
        &["中学", "初中", "初级中学", "middle school", "junior high"],
    ),
    ("school", &["学校", "其他学校", "九年一贯制学校", "school"]),
    (
        "culture",
        &[
            "图书馆",
            "社区活动中心",
            "儿童之家",
            "少年宫",
            "library",
            "community centre",
            "community center",
            "youth centre",
        ],
    ),
    ("park", &["公园", "街心公园", "游园", "park"]),
    (
        "sports",
        &[
            "运动场",
            "体育场",
            "体育馆",
            "球场",
            "sports",
            "sports ground",
            "pitch",
        ],
    ),
];

/// Category values → profile category indices.
pub struct CategoryMap(HashMap<String, usize>);

fn norm(v: &str) -> String {
    v.trim().to_lowercase()
}

impl CategoryMap {
    /// The profile's ids and labels, the synonyms, then the user's table
    /// (which wins).
    pub fn new(profile: &Profile, table: Option<&Path>) -> Result<CategoryMap> {
        let mut map = HashMap::new();
        for (id, names) in SYNONYMS {
            if let Some(c) = profile.category_index(id) {
                for n in *names {
                    map.insert(norm(n), c);
                }
            }
        }
        for (c, cat) in profile.categories.iter().enumerate() {
            for part in cat.label_zh.split(['·', '/', '、']) {
                map.insert(norm(part), c);
            }
            map.insert(norm(&cat.label_zh), c);
            map.insert(norm(&cat.label_en), c);
            map.insert(norm(&cat.id), c);
        }
        if let Some(path) = table {
            read_map(path, profile, &mut map)?;
        }
        Ok(CategoryMap(map))
    }

    /// The category of a value.
    pub fn get(&self, value: &str) -> Option<usize> {
        self.0.get(&norm(value)).copied()
    }
}

/// A two-column table: value, category id (a header row is optional).
fn read_map(path: &Path, profile: &Profile, map: &mut HashMap<String, usize>) -> Result<()> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let table = super::table::read_csv_bytes(path, &bytes)?;
    let fail = |reason: String| Error::Input {
        path: path.to_path_buf(),
        reason,
    };
    let header_is_data =
        table.headers.len() >= 2 && profile.category_index(table.headers[1].trim()).is_some();
    let mut rows: Vec<(String, &[String])> = table
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| (format!("row {}", table.row_number(i)), r.as_slice()))
        .collect();
    if header_is_data {
        rows.insert(0, ("row 1".into(), table.headers.as_slice()));
    }
    for (row, cells) in rows {
        let [value, id, ..] = cells else {
            return Err(fail(format!(
                "{row}: expected two columns, a value and a category id"
            )));
        };
        let c = profile.category_index(id.trim()).ok_or_else(|| {
            fail(format!(
                "{row}: {id:?} is not a category of the profile ({})",
                profile.category_ids()
            ))
        })?;
        map.insert(norm(value), c);
    }
    Ok(())
}

/// What combining OSM and file facilities did.
#[derive(Debug, Clone, Default)]
pub struct Combined {
    /// OSM facilities plus (or replaced by) the file's, sorted by category;
    /// within one, the OSM facilities (merged ones included) before the file's
    /// additions.
    pub facilities: Vec<Facility>,
    /// What the planner should know: the file's reading notes, merged
    /// duplicates and a suspected GCJ-02 offset, each naming the file.
    pub warnings: Vec<String>,
}

/// OSM facilities plus (or replaced by) a file's, attached to the graph.
pub fn combine(
    osm: Vec<Facility>,
    file: &FacilityFile,
    mode: Mode,
    graph: &Graph,
    index: &GraphIndex,
    profile: &Profile,
) -> Combined {
    let mut out = Combined {
        warnings: file
            .notes
            .iter()
            .map(|n| format!("{}: {n}", file.path.display()))
            .collect(),
        ..Default::default()
    };
    let osm_points: Vec<[f64; 2]> = osm.iter().map(|f| f.lonlat).collect();
    let mut facilities = if mode == Mode::Add { osm } else { Vec::new() };
    let mut merged = Vec::new();
    let mut added = Vec::new();
    for f in &file.facilities {
        if mode == Mode::Add {
            if let Some((k, d)) = duplicate_of(f, &facilities) {
                let o = &mut facilities[k];
                merged.push(format!(
                    "{} ({}) = {} at {d:.0} m",
                    f.file.row,
                    f.name.as_deref().unwrap_or("-"),
                    o.osm
                ));
                if o.name.is_none() {
                    o.name = f.name.clone();
                }
                // The planner's list knows the places better than OSM does.
                o.capacity = f.file.capacity.or(o.capacity);
                o.file = Some(f.file.clone());
                continue;
            }
        }
        added.push(Facility {
            osm: OsmRef::Node(0),
            category: f.category,
            name: f.name.clone(),
            lonlat: f.lonlat,
            access: facility_access(&f.geometry, graph, index, profile),
            geometry: f.geometry.clone(),
            capacity: f.file.capacity,
            file: Some(f.file.clone()),
        });
    }
    if !merged.is_empty() {
        out.warnings.push(format!(
            "{}: {} facilities duplicate OSM ones (same category within {SAME_PLACE_M} m, or same name within {SAME_NAME_M} m) and were merged: {}",
            file.path.display(),
            merged.len(),
            list(&merged)
        ));
    }
    if let Some(w) = super::offset_check::gcj02_suspect(&added, &osm_points, graph, index) {
        out.warnings.push(format!("{}: {w}", file.path.display()));
    }
    facilities.extend(added);
    facilities.sort_by(|a, b| {
        (
            a.category,
            a.file.is_some() && a.osm == OsmRef::Node(0),
            a.osm,
        )
            .cmp(&(
                b.category,
                b.file.is_some() && b.osm == OsmRef::Node(0),
                b.osm,
            ))
    });
    out.facilities = facilities;
    out
}

/// The OSM facility a file facility duplicates, and how far apart they are.
fn duplicate_of(f: &FileFacility, facilities: &[Facility]) -> Option<(usize, f64)> {
    use geo::{Contains, Point};
    let name = f.name.as_deref().map(norm);
    facilities
        .iter()
        .enumerate()
        .filter(|(_, o)| o.category == f.category && o.file.is_none())
        .filter_map(|(k, o)| {
            let inside = match &o.geometry {
                PlaceGeometry::Polygon(p) => p.contains(&Point::from(f.lonlat)),
                _ => false,
            };
            let d = if inside {
                0.0
            } else {
                haversine_m(f.lonlat, o.lonlat)
            };
            let same_name = name.is_some() && o.name.as_deref().map(norm) == name;
            (d <= SAME_PLACE_M || same_name && d <= SAME_NAME_M).then_some((k, d))
        })
        .min_by(|a, b| a.1.total_cmp(&b.1))
}

//! Stage 9: the analysis outputs, as files a planner opens in QGIS.
//!
//! Every layer has one geometry type, the same properties in the same order and
//! of the same type in every feature (QGIS takes field types from the data),
//! flat properties only, WGS84 lon/lat coordinates and right-hand-rule winding
//! (RFC 7946). All files of a run are committed together ([`OutputSet`]).

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use geo::InteriorPoint;
use geojson::JsonObject;
use serde_json::{json, Value};

use crate::analysis::Analysis;
use crate::coverage::CommunityCoverage;
use crate::error::Result;
use crate::findings::summary::Summary;
use crate::geodesy::round;
use crate::places::PlaceGeometry;
use crate::profile::{Category, Profile};
use crate::tags::OsmRef;
use crate::timings::{PhaseClock, PhaseTiming};
use crate::write::commit::{
    feature, feature_collection, multipolygon_geometry, point_geometry, OutputSet,
};
use crate::write::jobs::{write_side_by_side, FileJob};

/// Writes `communities.geojson`, `facilities.geojson`, `isochrones.geojson`,
/// `coverage.geojson` and `summary.json` into `dir`, all or nothing, and
/// removes the other files of the [`manifest`](crate::write::manifest) an
/// earlier run left there. Returns the paths written and how long each took.
pub fn write_outputs(a: &Analysis, dir: &Path) -> Result<Written> {
    write_outputs_with(a, dir, Vec::new())
}

/// What [`write_outputs`] wrote.
#[derive(Debug)]
pub struct Written {
    /// The files, as committed.
    pub files: Vec<PathBuf>,
    /// Making and staging every file side by side (one row, a part per file), `summary.json`, then the
    /// commit; also in `summary.json` after the analysis's own timings (all but the summary's own row
    /// and the commit).
    pub timings: Vec<PhaseTiming>,
}

/// The timings row of the files made side by side ([`Written::timings`]).
pub const FILES_PHASE: &str = "files, side by side";

/// [`write_outputs`] plus more files of the same run (the planner
/// deliverables of `childcircle_report::planner_deliverables`), made side by
/// side with the layers ([`crate::write::jobs`]: give the longest first) and
/// committed together.
pub fn write_outputs_with<'a>(
    a: &'a Analysis,
    dir: &Path,
    extra: Vec<FileJob<'a>>,
) -> Result<Written> {
    let mut clock = PhaseClock::start();
    let mut set = OutputSet::new(dir)?;
    set.manifest(crate::write::manifest::names());
    let mut jobs = extra;
    jobs.push(FileJob::one("communities.geojson", || {
        Ok(communities_geojson(a))
    }));
    jobs.push(FileJob::one("facilities.geojson", || {
        Ok(facilities_geojson(a))
    }));
    if a.isochrone_options.is_some() {
        jobs.push(FileJob::one("isochrones.geojson", || {
            Ok(isochrones_geojson(a))
        }));
        jobs.push(FileJob::one("coverage.geojson", || Ok(coverage_geojson(a))));
    }
    let parts = write_side_by_side(&mut set, jobs)?;
    let bytes = parts.iter().map(|p| p.items).sum();
    clock.mark_parts(FILES_PHASE, bytes, "bytes", parts);
    let mut summary = Summary::new(a);
    summary.timings.extend_from_slice(clock.timings());
    let summary = serde_json::to_vec_pretty(&summary).expect("summary serializes");
    set.write("summary.json", &summary)?;
    clock.mark("summary.json", summary.len() as u64, "bytes");
    let files = set.commit()?;
    clock.mark("commit", files.len() as u64, "files");
    Ok(Written {
        files,
        timings: clock.into_timings(),
    })
}

fn opt_num(v: Option<f64>, digits: i32) -> Value {
    v.map_or(Value::Null, |x| json!(round(x, digits)))
}

/// A property of a layer: its name in the GeoJSON and its English alias in
/// QGIS's attribute table (`None`: QGIS shows the name itself). A layer's
/// fields, in order, are the properties its writer writes and the aliases its
/// QGIS style gives (`childcircle_report::qgis`), so the two cannot drift.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// The property's name in the GeoJSON.
    pub name: Cow<'static, str>,
    /// Its English alias in QGIS's attribute table (`None`: QGIS shows the name).
    pub alias: Option<Cow<'static, str>>,
}

impl Field {
    /// A field with an alias.
    const fn aliased(name: &'static str, alias: &'static str) -> Field {
        Field {
            name: Cow::Borrowed(name),
            alias: Some(Cow::Borrowed(alias)),
        }
    }

    /// A field QGIS shows by its name.
    const fn bare(name: &'static str) -> Field {
        Field {
            name: Cow::Borrowed(name),
            alias: None,
        }
    }
}

/// A community's identity, before its per-category fields ([`category_fields`]).
pub const COMMUNITY_FIELDS: &[Field] = &[
    Field::aliased("id", "Id (OSM or file)"),
    Field::aliased("name", "Name"),
    Field::aliased("source", "Source"),
    Field::aliased("kind", "Kind (neighbourhood / compound / block)"),
    Field::aliased("code", "Official code"),
    Field::aliased("subdist", "Subdistrict"),
    Field::aliased("parent", "Neighbourhood of the compound"),
    Field::aliased("rule", "Rule that made the unit"),
    Field::aliased("pop", "Population"),
    Field::aliased(
        "pop_source",
        "Population source (file / raster / buildings / osm / none)",
    ),
    Field::aliased("children", "Children"),
    Field::aliased("area_m2", "Area (m²)"),
    Field::aliased("access", "Access to the network"),
    Field::aliased("n_access", "Access points"),
    Field::aliased("n_nodes", "Walking nodes inside"),
];

/// A community's results over all categories, after its per-category fields.
pub const COMMUNITY_RESULT_FIELDS: &[Field] = &[
    Field::aliased("met", "Categories met"),
    Field::aliased("circle", "In the 15-minute life circle"),
    Field::aliased("profile", "Profile"),
    Field::aliased("speed_mps", "Walking speed (m/s)"),
];

/// What a community's per-category field holds; it is named
/// `<prefix>_<category id>` (`t_park`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    /// Minutes walked to the nearest facility.
    Minutes,
    /// Whether that is within the category's threshold.
    Covered,
    /// The share of the community within the threshold.
    Share,
    /// Major roads crossed on the way.
    RoadsCrossed,
}

impl Measure {
    /// Every measure, in the order of the fields of one category.
    pub const ALL: [Measure; 4] = [
        Measure::Minutes,
        Measure::Covered,
        Measure::Share,
        Measure::RoadsCrossed,
    ];

    /// The field's name for `category`.
    pub fn name(self, category: &Category) -> String {
        let prefix = match self {
            Measure::Minutes => "t",
            Measure::Covered => "ok",
            Measure::Share => "sh",
            Measure::RoadsCrossed => "x",
        };
        format!("{prefix}_{}", category.id)
    }

    /// The field's alias for `category`.
    pub fn alias(self, c: &Category) -> String {
        match self {
            Measure::Minutes => format!("{}: minutes walked", c.label_en),
            Measure::Covered => format!("{}: within {} min", c.label_en, c.minutes),
            Measure::Share => format!(
                "{}: share of the community within {} min",
                c.label_en, c.minutes
            ),
            Measure::RoadsCrossed => format!("{}: major roads crossed", c.label_en),
        }
    }

    /// The value of a community's field for the category at `k`.
    fn value(self, cov: &CommunityCoverage, k: usize) -> Value {
        match self {
            Measure::Minutes => opt_num(cov.minutes[k], 1),
            Measure::Covered => json!(cov.covered[k]),
            Measure::Share => opt_num(cov.share[k], 3),
            Measure::RoadsCrossed => json!(cov.roads_crossed[k]),
        }
    }
}

/// A community's per-category fields: every [`Measure`] of every category of
/// `profile`, category by category.
pub fn category_fields(profile: &Profile) -> Vec<Field> {
    profile
        .categories
        .iter()
        .flat_map(|c| {
            Measure::ALL.map(|m| Field {
                name: m.name(c).into(),
                alias: Some(m.alias(c).into()),
            })
        })
        .collect()
}

/// Every field of `communities.geojson` under `profile`, in order.
pub fn community_fields(profile: &Profile) -> Vec<Field> {
    let mut fields = COMMUNITY_FIELDS.to_vec();
    fields.extend(category_fields(profile));
    fields.extend_from_slice(COMMUNITY_RESULT_FIELDS);
    fields
}

/// The fields of `facilities.geojson`. `source` and `file_id` have no alias
/// yet: giving them one changes `facilities.qml` and the project.
pub const FACILITY_FIELDS: &[Field] = &[
    Field::aliased("id", "Id"),
    Field::bare("source"),
    Field::aliased("osm_type", "OSM type"),
    Field::aliased("osm_id", "OSM id"),
    Field::bare("file_id"),
    Field::aliased("category", "Category"),
    Field::aliased("label_zh", "Category (Chinese)"),
    Field::aliased("label_en", "Category (English)"),
    Field::aliased("space", "Indoor / outdoor"),
    Field::aliased("name", "Name"),
    Field::aliased("mapped_as", "Mapped as"),
    Field::aliased("minutes", "Threshold (min)"),
    Field::aliased("snapped", "Attached to the network"),
    Field::aliased("snap_m", "Distance to the network (m)"),
    Field::aliased("n_access", "Access points"),
    Field::aliased("reach_nodes", "Walking nodes within the threshold"),
    Field::aliased("served", "Communities served"),
    Field::aliased("served_pop", "Population served"),
    Field::aliased("capacity", "Capacity (places)"),
    Field::aliased("places_per_child", "Places per child served"),
];

/// The fields of `isochrones.geojson`.
pub const ISOCHRONE_FIELDS: &[Field] = &[
    Field::aliased("fid", "Facility id"),
    Field::aliased("category", "Category"),
    Field::aliased("label_zh", "Category (Chinese)"),
    Field::aliased("name", "Facility name"),
    Field::aliased("band_min", "Band (min)"),
    Field::aliased("area_m2", "Area (m²)"),
    Field::aliased("reach_pop", "Population reached"),
    Field::aliased("profile", "Profile"),
];

/// The fields of `coverage.geojson`.
pub const COVERAGE_FIELDS: &[Field] = &[
    Field::aliased("category", "Category"),
    Field::aliased("label_zh", "Category (Chinese)"),
    Field::aliased("label_en", "Category (English)"),
    Field::aliased("kind", "Covered or gap"),
    Field::aliased("minutes", "Threshold (min)"),
    Field::aliased("area_m2", "Area (m²)"),
    Field::aliased("cell_m", "Grid cell (m)"),
    Field::aliased("profile", "Profile"),
];

/// The fields of `suggestions.geojson`.
pub const SUGGESTION_FIELDS: &[Field] = &[
    Field::aliased("rank", "Rank"),
    Field::aliased("category", "Category"),
    Field::aliased("label_zh", "Category (Chinese)"),
    Field::aliased("label_en", "Category (English)"),
    Field::aliased("minutes", "Threshold (min)"),
    Field::aliased("new_cov", "Communities newly covered"),
    Field::aliased("new_pop", "Population newly covered"),
    Field::aliased("names", "Communities newly covered (names)"),
    Field::aliased("origin", "Candidate kind"),
    Field::aliased("covered", "Communities covered with this and earlier sites"),
    Field::aliased("share", "Share covered with this and earlier sites"),
    Field::aliased("profile", "Profile"),
];

/// The properties `fields` in order, each valued by `value` of its name.
fn properties(fields: &[Field], mut value: impl FnMut(&str) -> Value) -> JsonObject {
    let mut p = JsonObject::new();
    put(&mut p, fields, &mut value);
    p
}

/// Inserts the properties `fields` into `p` in order, each valued by `value`.
fn put(p: &mut JsonObject, fields: &[Field], value: &mut impl FnMut(&str) -> Value) {
    for f in fields {
        p.insert(f.name.to_string(), value(&f.name));
    }
}

/// A field name a layer's writer has no value for: a field list and its
/// writer out of step (the unit tests write every layer).
fn unknown(layer: &str, name: &str) -> ! {
    unreachable!("{layer}: no value for the field {name}")
}

/// One feature per community: identity, per-category time / covered / share,
/// categories met and the life-circle flag ([`community_fields`]).
pub fn communities_geojson(a: &Analysis) -> Vec<u8> {
    let features: Vec<_> = a
        .communities
        .iter()
        .zip(&a.coverage)
        .map(|(c, cov)| {
            let mut p = properties(COMMUNITY_FIELDS, |name| match name {
                "id" => json!(c.id),
                "name" => json!(c.name),
                "source" => json!(c.source),
                "kind" => json!(c.kind),
                "code" => json!(c.code),
                "subdist" => json!(c.subdistrict),
                "parent" => json!(c.parent),
                "rule" => json!(c.rule),
                "pop" => opt_num(c.population, 0),
                "pop_source" => json!(c.pop_source),
                "children" => opt_num(c.children, 0),
                "area_m2" => json!(round(c.area_m2, 0)),
                "access" => json!(c.access_kind.as_str()),
                "n_access" => json!(c.access.len()),
                "n_nodes" => json!(c.inside_nodes.len()),
                _ => unknown("communities", name),
            });
            for (k, cat) in a.profile.categories.iter().enumerate() {
                for m in Measure::ALL {
                    p.insert(m.name(cat), m.value(cov, k));
                }
            }
            put(&mut p, COMMUNITY_RESULT_FIELDS, &mut |name| match name {
                "met" => json!(cov.met),
                "circle" => json!(cov.life_circle),
                "profile" => json!(a.profile.label()),
                "speed_mps" => json!(a.profile.walking_speed_mps),
                _ => unknown("communities", name),
            });
            feature(multipolygon_geometry(&c.polygon), p)
        })
        .collect();
    feature_collection(&features, "communities")
}

/// One point per facility and category (areas at an interior point);
/// [`FACILITY_FIELDS`].
pub fn facilities_geojson(a: &Analysis) -> Vec<u8> {
    let features: Vec<_> = a
        .facilities
        .iter()
        .zip(&a.reach)
        .enumerate()
        .map(|(i, (f, r))| {
            let cat = &a.profile.categories[f.category];
            let (osm_type, osm_id) = match (f.source(), f.osm) {
                ("file", _) => (None, None),
                (_, OsmRef::Node(id)) => (Some("node"), Some(id)),
                (_, OsmRef::Way(id)) => (Some("way"), Some(id)),
                (_, OsmRef::Relation(id)) => (Some("relation"), Some(id)),
            };
            let at = match &f.geometry {
                PlaceGeometry::Polygon(p) => p.interior_point().map(|p| [p.x(), p.y()]),
                PlaceGeometry::Line(l) => l.interior_point().map(|p| [p.x(), p.y()]),
                PlaceGeometry::Point(p) => Some(*p),
            }
            .unwrap_or(f.lonlat);
            let p = properties(FACILITY_FIELDS, |name| match name {
                "id" => json!(f.fid(&cat.id)),
                "source" => json!(f.source()),
                "osm_type" => json!(osm_type),
                "osm_id" => json!(osm_id),
                "file_id" => json!(f.file.as_ref().map(|r| &r.id)),
                "category" => json!(cat.id),
                "label_zh" => json!(cat.label_zh),
                "label_en" => json!(cat.label_en),
                "space" => json!(cat.space.as_str()),
                "name" => json!(f.name),
                "mapped_as" => json!(match f.geometry {
                    PlaceGeometry::Point(_) => "point",
                    PlaceGeometry::Line(_) => "line",
                    PlaceGeometry::Polygon(_) => "area",
                }),
                "minutes" => json!(cat.minutes),
                "snapped" => json!(!f.access.is_empty()),
                "snap_m" => opt_num(f.snap_m(), 1),
                "n_access" => json!(f.access.len()),
                "reach_nodes" => json!(r.nodes),
                "served" => json!(r.communities),
                "served_pop" => json!(round(r.population, 0)),
                "capacity" => opt_num(f.capacity, 0),
                "places_per_child" => opt_num(a.capacity.per_facility.get(i).copied().flatten(), 3),
                _ => unknown("facilities", name),
            });
            feature(point_geometry(at), p)
        })
        .collect();
    feature_collection(&features, "facilities")
}

/// One feature per facility and band, largest band first so that smaller bands
/// draw on top in QGIS; [`ISOCHRONE_FIELDS`].
pub fn isochrones_geojson(a: &Analysis) -> Vec<u8> {
    let mut features = Vec::new();
    for ((f, bands), reach) in a.facilities.iter().zip(&a.isochrones).zip(&a.reach) {
        let cat = &a.profile.categories[f.category];
        for (b, band) in bands.iter().enumerate().rev() {
            let p = properties(ISOCHRONE_FIELDS, |name| match name {
                "fid" => json!(f.fid(&cat.id)),
                "category" => json!(cat.id),
                "label_zh" => json!(cat.label_zh),
                "name" => json!(f.name),
                "band_min" => json!(band.minutes),
                "area_m2" => json!(round(band.area_m2, 0)),
                "reach_pop" => json!(round(
                    reach.band_population.get(b).copied().unwrap_or(0.0),
                    0
                )),
                "profile" => json!(a.profile.label()),
                _ => unknown("isochrones", name),
            });
            features.push(feature(multipolygon_geometry(&band.polygon), p));
        }
    }
    feature_collection(&features, "isochrones")
}

/// Two features per category: the area within its threshold of the nearest
/// facility (`covered`) and the residential land outside it (`gap`);
/// [`COVERAGE_FIELDS`].
pub fn coverage_geojson(a: &Analysis) -> Vec<u8> {
    let mut features = Vec::new();
    for area in &a.coverage_areas {
        let cat = &a.profile.categories[area.category];
        for (kind, mp, m2) in [
            ("covered", &area.covered, area.covered_m2),
            ("gap", &area.gap, area.gap_m2),
        ] {
            let p = properties(COVERAGE_FIELDS, |name| match name {
                "category" => json!(cat.id),
                "label_zh" => json!(cat.label_zh),
                "label_en" => json!(cat.label_en),
                "kind" => json!(kind),
                "minutes" => json!(cat.minutes),
                "area_m2" => json!(round(m2, 0)),
                "cell_m" => json!(round(area.cell_m, 1)),
                "profile" => json!(a.profile.label()),
                _ => unknown("coverage", name),
            });
            features.push(feature(multipolygon_geometry(mp), p));
        }
    }
    feature_collection(&features, "coverage")
}

/// The bands of one ad-hoc isochrone (largest first).
pub fn point_isochrone_geojson(
    lonlat: [f64; 2],
    bands: &[crate::isochrone::Band],
    profile: &str,
) -> Vec<u8> {
    let features: Vec<_> = bands
        .iter()
        .rev()
        .map(|b| {
            let mut p = JsonObject::new();
            p.insert("lon".into(), json!(lonlat[0]));
            p.insert("lat".into(), json!(lonlat[1]));
            p.insert("band_min".into(), json!(b.minutes));
            p.insert("area_m2".into(), json!(round(b.area_m2, 0)));
            p.insert("profile".into(), json!(profile));
            feature(multipolygon_geometry(&b.polygon), p)
        })
        .collect();
    feature_collection(&features, "isochrone")
}

/// `suggestions.geojson`: one point per suggested site of every request;
/// [`SUGGESTION_FIELDS`].
pub fn suggestions_geojson(
    a: &Analysis,
    suggestions: &[crate::findings::siting::Suggestions],
) -> Vec<u8> {
    let mut features = Vec::new();
    for s in suggestions {
        let cat = &a.profile.categories[s.category];
        let mut covered = s.before.covered;
        for site in &s.sites {
            covered += site.newly_covered.len();
            let names: Vec<&str> = site
                .newly_covered
                .iter()
                .map(|&i| a.communities[i].name.as_str())
                .collect();
            let p = properties(SUGGESTION_FIELDS, |name| match name {
                "rank" => json!(site.rank),
                "category" => json!(cat.id),
                "label_zh" => json!(cat.label_zh),
                "label_en" => json!(cat.label_en),
                "minutes" => json!(cat.minutes),
                "new_cov" => json!(site.newly_covered.len()),
                "new_pop" => json!(round(site.population, 0)),
                "names" => json!(names.join("、")),
                "origin" => json!(match site.origin {
                    crate::findings::siting::SiteOrigin::Node(_) => "network",
                    crate::findings::siting::SiteOrigin::Point(_) => "candidate",
                }),
                "covered" => json!(covered),
                "share" => json!(round(covered as f64 / a.communities.len().max(1) as f64, 4)),
                "profile" => json!(a.profile.label()),
                _ => unknown("suggestions", name),
            });
            features.push(feature(point_geometry(site.lonlat), p));
        }
    }
    feature_collection(&features, "suggestions")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::siting::suggest_sites;

    /// The names of `fields`, in order.
    fn names(fields: &[Field]) -> Vec<&str> {
        fields.iter().map(|f| &*f.name).collect()
    }

    /// Every feature of `layer` has exactly the properties `fields`, in their
    /// order, and no field is listed twice; the layer has features.
    fn assert_writes_exactly(layer: &str, bytes: &[u8], fields: &[Field]) {
        let want = names(fields);
        let unique: std::collections::BTreeSet<_> = want.iter().collect();
        assert_eq!(unique.len(), want.len(), "{layer}: a field listed twice");
        let collection: Value = serde_json::from_slice(bytes).expect("GeoJSON");
        let features = collection["features"].as_array().expect("features");
        assert!(!features.is_empty(), "{layer}: no features to check");
        for f in features {
            let got: Vec<&str> = f["properties"]
                .as_object()
                .expect("properties")
                .keys()
                .map(String::as_str)
                .collect();
            assert_eq!(got, want, "{layer}: written properties and field list");
        }
    }

    #[test]
    fn every_layer_writes_exactly_its_field_list() {
        let extract = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/osm/monaco.osm.pbf");
        let a = crate::analyze(&extract).expect("Monaco analyses");
        assert!(a.isochrone_options.is_some(), "isochrones drawn");
        let suggestions: Vec<_> = (0..a.profile.categories.len())
            .map(|k| suggest_sites(&a, k, 1, None))
            .collect();
        let layers = [
            (
                "communities",
                communities_geojson(&a),
                community_fields(&a.profile),
            ),
            (
                "facilities",
                facilities_geojson(&a),
                FACILITY_FIELDS.to_vec(),
            ),
            (
                "isochrones",
                isochrones_geojson(&a),
                ISOCHRONE_FIELDS.to_vec(),
            ),
            ("coverage", coverage_geojson(&a), COVERAGE_FIELDS.to_vec()),
            (
                "suggestions",
                suggestions_geojson(&a, &suggestions),
                SUGGESTION_FIELDS.to_vec(),
            ),
        ];
        for (layer, bytes, fields) in &layers {
            assert_writes_exactly(layer, bytes, fields);
        }
    }
}

//! Stage 9: the analysis outputs, as files a planner opens in QGIS.
//!
//! Every layer has one geometry type, the same properties in the same order and
//! of the same type in every feature (QGIS takes field types from the data),
//! flat properties only, WGS84 lon/lat coordinates and right-hand-rule winding
//! (RFC 7946). All files of a run are committed together ([`OutputSet`]).

use std::path::{Path, PathBuf};

use geo::InteriorPoint;
use geojson::JsonObject;
use serde_json::{json, Value};

use crate::analysis::Analysis;
use crate::error::Result;
use crate::findings::summary::Summary;
use crate::geodesy::round;
use crate::places::PlaceGeometry;
use crate::tags::OsmRef;
use crate::timings::{PhaseClock, PhaseTiming};
use crate::write::commit::{
    feature, feature_collection, multipolygon_geometry, point_geometry, OutputSet,
};

/// Every file an analysis's output set may contain: the layers, their QGIS
/// styles and project, the summary and the planner deliverables. A committed
/// run removes those of them it did not write (see [`OutputSet::manifest`]).
pub const OUTPUT_FILES: &[&str] = &[
    "communities.geojson",
    "facilities.geojson",
    "isochrones.geojson",
    "coverage.geojson",
    "suggestions.geojson",
    "communities.qml",
    "facilities.qml",
    "isochrones.qml",
    "coverage.qml",
    "suggestions.qml",
    "childcircle.qgs",
    "summary.json",
    "districts.csv",
    "gaps.csv",
    "map.svg",
    "map.png",
    "report.html",
];

/// Writes `communities.geojson`, `facilities.geojson`, `isochrones.geojson`,
/// `coverage.geojson` and `summary.json` into `dir`, all or nothing, and
/// removes the other [`OUTPUT_FILES`] an earlier run left there. Returns the
/// paths written and how long each took.
pub fn write_outputs(a: &Analysis, dir: &Path) -> Result<Written> {
    write_outputs_with(a, dir, &[])
}

/// What [`write_outputs`] wrote.
#[derive(Debug)]
pub struct Written {
    /// The files, as committed.
    pub files: Vec<PathBuf>,
    /// Staging the other files, then one row per layer serialised and staged, then the commit; also in
    /// `summary.json` after the analysis's own timings (all but the summary's own row and the commit).
    pub timings: Vec<PhaseTiming>,
}

/// [`write_outputs`] plus more files of the same run (the planner
/// deliverables of [`childcircle_report::planner_files`]), committed together.
pub fn write_outputs_with(
    a: &Analysis,
    dir: &Path,
    extra: &[(String, Vec<u8>)],
) -> Result<Written> {
    let mut clock = PhaseClock::start();
    let mut set = OutputSet::new(dir)?;
    set.manifest(OUTPUT_FILES);
    let layer = |set: &mut OutputSet, clock: &mut PhaseClock, name: &str, bytes: Vec<u8>| {
        set.write(name, &bytes)?;
        clock.mark(name, bytes.len() as u64, "bytes");
        Ok::<_, crate::Error>(())
    };
    for (name, bytes) in extra {
        set.write(name, bytes)?;
    }
    let staged = extra.iter().map(|(_, b)| b.len() as u64).sum();
    clock.mark("staging the other files", staged, "bytes");
    layer(
        &mut set,
        &mut clock,
        "communities.geojson",
        communities_geojson(a),
    )?;
    layer(
        &mut set,
        &mut clock,
        "facilities.geojson",
        facilities_geojson(a),
    )?;
    if a.isochrone_options.is_some() {
        layer(
            &mut set,
            &mut clock,
            "isochrones.geojson",
            isochrones_geojson(a),
        )?;
        layer(
            &mut set,
            &mut clock,
            "coverage.geojson",
            coverage_geojson(a),
        )?;
    }
    let mut summary = Summary::new(a);
    summary.timings.extend_from_slice(clock.timings());
    let summary = serde_json::to_vec_pretty(&summary).expect("summary serializes");
    layer(&mut set, &mut clock, "summary.json", summary)?;
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

/// One feature per community: identity, per-category time / covered / share,
/// categories met and the life-circle flag.
pub fn communities_geojson(a: &Analysis) -> Vec<u8> {
    let features: Vec<_> = a
        .communities
        .iter()
        .zip(&a.coverage)
        .map(|(c, cov)| {
            let mut p = JsonObject::new();
            p.insert("id".into(), json!(c.id));
            p.insert("name".into(), json!(c.name));
            p.insert("source".into(), json!(c.source));
            p.insert("kind".into(), json!(c.kind));
            p.insert("code".into(), json!(c.code));
            p.insert("subdist".into(), json!(c.subdistrict));
            p.insert("parent".into(), json!(c.parent));
            p.insert("rule".into(), json!(c.rule));
            p.insert("pop".into(), opt_num(c.population, 0));
            p.insert("pop_source".into(), json!(c.pop_source));
            p.insert("children".into(), opt_num(c.children, 0));
            p.insert("area_m2".into(), json!(round(c.area_m2, 0)));
            p.insert("access".into(), json!(c.access_kind.as_str()));
            p.insert("n_access".into(), json!(c.access.len()));
            p.insert("n_nodes".into(), json!(c.inside_nodes.len()));
            for (k, cat) in a.profile.categories.iter().enumerate() {
                p.insert(format!("t_{}", cat.id), opt_num(cov.minutes[k], 1));
                p.insert(format!("ok_{}", cat.id), json!(cov.covered[k]));
                p.insert(format!("sh_{}", cat.id), opt_num(cov.share[k], 3));
                p.insert(format!("x_{}", cat.id), json!(cov.roads_crossed[k]));
            }
            p.insert("met".into(), json!(cov.met));
            p.insert("circle".into(), json!(cov.life_circle));
            p.insert("profile".into(), json!(a.profile.label()));
            p.insert("speed_mps".into(), json!(a.profile.walking_speed_mps));
            feature(multipolygon_geometry(&c.polygon), p)
        })
        .collect();
    feature_collection(&features, "communities")
}

/// One point per facility and category (areas at an interior point).
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
            let mut p = JsonObject::new();
            p.insert("id".into(), json!(f.fid(&cat.id)));
            p.insert("source".into(), json!(f.source()));
            p.insert("osm_type".into(), json!(osm_type));
            p.insert("osm_id".into(), json!(osm_id));
            p.insert("file_id".into(), json!(f.file.as_ref().map(|r| &r.id)));
            p.insert("category".into(), json!(cat.id));
            p.insert("label_zh".into(), json!(cat.label_zh));
            p.insert("label_en".into(), json!(cat.label_en));
            p.insert("space".into(), json!(cat.space.as_str()));
            p.insert("name".into(), json!(f.name));
            p.insert(
                "mapped_as".into(),
                json!(match f.geometry {
                    PlaceGeometry::Point(_) => "point",
                    PlaceGeometry::Line(_) => "line",
                    PlaceGeometry::Polygon(_) => "area",
                }),
            );
            p.insert("minutes".into(), json!(cat.minutes));
            p.insert("snapped".into(), json!(!f.access.is_empty()));
            p.insert("snap_m".into(), opt_num(f.snap_m(), 1));
            p.insert("n_access".into(), json!(f.access.len()));
            p.insert("reach_nodes".into(), json!(r.nodes));
            p.insert("served".into(), json!(r.communities));
            p.insert("served_pop".into(), json!(round(r.population, 0)));
            p.insert("capacity".into(), opt_num(f.capacity, 0));
            let per_child = a.capacity.per_facility.get(i).copied().flatten();
            p.insert("places_per_child".into(), opt_num(per_child, 3));
            feature(point_geometry(at), p)
        })
        .collect();
    feature_collection(&features, "facilities")
}

/// One feature per facility and band, largest band first so that smaller bands
/// draw on top in QGIS.
pub fn isochrones_geojson(a: &Analysis) -> Vec<u8> {
    let mut features = Vec::new();
    for ((f, bands), reach) in a.facilities.iter().zip(&a.isochrones).zip(&a.reach) {
        let cat = &a.profile.categories[f.category];
        for (b, band) in bands.iter().enumerate().rev() {
            let mut p = JsonObject::new();
            p.insert("fid".into(), json!(f.fid(&cat.id)));
            p.insert("category".into(), json!(cat.id));
            p.insert("label_zh".into(), json!(cat.label_zh));
            p.insert("name".into(), json!(f.name));
            p.insert("band_min".into(), json!(band.minutes));
            p.insert("area_m2".into(), json!(round(band.area_m2, 0)));
            p.insert(
                "reach_pop".into(),
                json!(round(
                    reach.band_population.get(b).copied().unwrap_or(0.0),
                    0
                )),
            );
            p.insert("profile".into(), json!(a.profile.label()));
            features.push(feature(multipolygon_geometry(&band.polygon), p));
        }
    }
    feature_collection(&features, "isochrones")
}

/// Two features per category: the area within its threshold of the nearest
/// facility (`covered`) and the residential land outside it (`gap`).
pub fn coverage_geojson(a: &Analysis) -> Vec<u8> {
    let mut features = Vec::new();
    for area in &a.coverage_areas {
        let cat = &a.profile.categories[area.category];
        for (kind, mp, m2) in [
            ("covered", &area.covered, area.covered_m2),
            ("gap", &area.gap, area.gap_m2),
        ] {
            let mut p = JsonObject::new();
            p.insert("category".into(), json!(cat.id));
            p.insert("label_zh".into(), json!(cat.label_zh));
            p.insert("label_en".into(), json!(cat.label_en));
            p.insert("kind".into(), json!(kind));
            p.insert("minutes".into(), json!(cat.minutes));
            p.insert("area_m2".into(), json!(round(m2, 0)));
            p.insert("cell_m".into(), json!(round(area.cell_m, 1)));
            p.insert("profile".into(), json!(a.profile.label()));
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

/// `suggestions.geojson`: one point per suggested site of every request.
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
            let mut p = geojson::JsonObject::new();
            p.insert("rank".into(), json!(site.rank));
            p.insert("category".into(), json!(cat.id));
            p.insert("label_zh".into(), json!(cat.label_zh));
            p.insert("label_en".into(), json!(cat.label_en));
            p.insert("minutes".into(), json!(cat.minutes));
            p.insert("new_cov".into(), json!(site.newly_covered.len()));
            p.insert("new_pop".into(), json!(round(site.population, 0)));
            p.insert("names".into(), json!(names.join("、")));
            p.insert(
                "origin".into(),
                json!(match site.origin {
                    crate::findings::siting::SiteOrigin::Node(_) => "network",
                    crate::findings::siting::SiteOrigin::Point(_) => "candidate",
                }),
            );
            p.insert("covered".into(), json!(covered));
            p.insert(
                "share".into(),
                json!(round(covered as f64 / a.communities.len().max(1) as f64, 4)),
            );
            p.insert("profile".into(), json!(a.profile.label()));
            features.push(feature(point_geometry(site.lonlat), p));
        }
    }
    feature_collection(&features, "suggestions")
}

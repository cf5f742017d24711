//! Every Polygon and MultiPolygon that `analyze` writes is valid by the OGC
//! simple-features rules, as GEOS and QGIS check them: on every extract in
//! `data/osm/` and on the Dezhou model. Checked with geo's `Validation`, and
//! cross-checked with GDAL (`ogrinfo -dialect sqlite ... ST_IsValid`) where
//! `ogrinfo` is installed.

mod common;

use std::path::Path;
use std::process::Command;

use geo::Validation;

/// Every polygon of every GeoJSON layer in `dir`, checked by geo.
fn invalid_by_geo(dir: &Path) -> (usize, Vec<String>) {
    let (mut checked, mut invalid) = (0, Vec::new());
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("geojson") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let fc: geojson::FeatureCollection = text.parse().unwrap();
        for (i, f) in fc.features.iter().enumerate() {
            let Some(g) = &f.geometry else { continue };
            let geometry: geo::Geometry<f64> = g.clone().try_into().unwrap();
            let problem = match &geometry {
                geo::Geometry::Polygon(p) => p.check_validation().err().map(|e| format!("{e:?}")),
                geo::Geometry::MultiPolygon(p) => {
                    p.check_validation().err().map(|e| format!("{e:?}"))
                }
                _ => continue,
            };
            checked += 1;
            if let Some(problem) = problem {
                let name = path.file_name().unwrap().to_string_lossy();
                invalid.push(format!("{name} feature {i}: {problem}"));
            }
        }
    }
    (checked, invalid)
}

/// GDAL's (GEOS's) count of invalid geometries per layer, or `None` without
/// `ogrinfo`.
fn invalid_by_gdal(dir: &Path) -> Option<Vec<(String, usize)>> {
    let mut out = Vec::new();
    for layer in ["communities", "coverage", "isochrones", "facilities"] {
        let file = dir.join(format!("{layer}.geojson"));
        if !file.exists() {
            continue;
        }
        // An empty MultiPolygon (a category without facilities) is valid for
        // GEOS, but SpatiaLite calls it "toxic": count only non-empty ones.
        let sql = format!(
            "SELECT count(*) AS bad FROM \"{layer}\" WHERE ST_NPoints(geometry) > 0 AND NOT ST_IsValid(geometry)"
        );
        let run = Command::new("ogrinfo")
            .args(["-ro", "-q", "-dialect", "sqlite", "-sql", &sql])
            .arg(&file)
            .output()
            .ok()?;
        let text = String::from_utf8_lossy(&run.stdout);
        let bad: usize = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("bad (Integer) = "))
            .unwrap_or_else(|| panic!("ogrinfo on {}: {text}", file.display()))
            .trim()
            .parse()
            .unwrap();
        out.push((layer.to_string(), bad));
    }
    Some(out)
}

#[test]
fn every_polygon_written_by_analyze_is_valid() {
    let mut extracts: Vec<Option<String>> = vec![None]; // the Dezhou model
    for e in std::fs::read_dir(common::data("osm")).unwrap() {
        let path = e.unwrap().path();
        if path.to_string_lossy().ends_with(".osm.pbf") {
            extracts.push(Some(path.to_string_lossy().into_owned()));
        }
    }
    assert!(extracts.len() >= 5);
    let mut problems = Vec::new();
    for extract in &extracts {
        let dir = tempfile::tempdir().unwrap();
        let mut args = vec!["analyze", "-q", "--out", "out"];
        if let Some(e) = extract {
            args.push(e);
        }
        let run = common::childcircle(dir.path(), &args);
        assert!(
            run.status.success(),
            "{extract:?}: {}",
            String::from_utf8_lossy(&run.stderr)
        );
        let out = dir.path().join("out");
        let name = extract.as_deref().unwrap_or("Dezhou model");
        let (checked, invalid) = invalid_by_geo(&out);
        assert!(checked > 0, "{name}: no polygons written");
        problems.extend(invalid.into_iter().map(|p| format!("{name}: {p}")));
        match invalid_by_gdal(&out) {
            Some(layers) => {
                for (layer, bad) in layers {
                    if bad > 0 {
                        problems.push(format!("{name}: GDAL finds {bad} invalid in {layer}"));
                    }
                }
            }
            None => eprintln!("ogrinfo is not installed: GDAL cross-check skipped"),
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

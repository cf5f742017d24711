//! The command line, run as a user runs it: the real binary, in a temporary
//! directory, on real OpenStreetMap extracts shipped in `data/osm/`.

use std::path::Path;

use geojson::{FeatureCollection, GeoJson};

mod common;
use common::{childcircle, data};

fn read_collection(path: &Path) -> FeatureCollection {
    let text = std::fs::read_to_string(path).unwrap();
    match text.parse::<GeoJson>().unwrap() {
        GeoJson::FeatureCollection(fc) => fc,
        other => panic!("{}: not a FeatureCollection: {other:?}", path.display()),
    }
}

/// Every feature has the same property names, and each property has one JSON
/// type (or null) across the layer: QGIS takes field types from the data.
fn assert_consistent_fields(fc: &FeatureCollection, layer: &str) {
    let kind = |v: &serde_json::Value| match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "bool",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) | serde_json::Value::Object(_) => "nested",
    };
    let first: Vec<String> = fc.features[0]
        .properties
        .as_ref()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    let mut types: std::collections::HashMap<String, &str> = Default::default();
    for f in &fc.features {
        let props = f.properties.as_ref().unwrap();
        let keys: Vec<String> = props.keys().cloned().collect();
        assert_eq!(
            keys, first,
            "{layer}: property names differ between features"
        );
        for (k, v) in props {
            let t = kind(v);
            assert_ne!(
                t, "nested",
                "{layer}.{k}: nested values do not open as fields"
            );
            if t != "null" {
                let seen = types.entry(k.clone()).or_insert(t);
                assert_eq!(*seen, t, "{layer}.{k}: mixed types");
            }
        }
    }
}

#[test]
fn analyze_writes_valid_qgis_ready_layers() {
    let dir = tempfile::tempdir().unwrap();
    let extract = data("osm/monaco.osm.pbf");
    let out = childcircle(
        dir.path(),
        &[
            "analyze",
            extract.to_str().unwrap(),
            "--out",
            "result",
            "--timings",
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("life circle"), "{stdout}");
    assert!(
        stdout.contains("multi-source search"),
        "timings printed: {stdout}"
    );

    let result = dir.path().join("result");
    let communities = read_collection(&result.join("communities.geojson"));
    let facilities = read_collection(&result.join("facilities.geojson"));
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(result.join("summary.json")).unwrap())
            .unwrap();
    // Every file written is a row of the timings, the analysis's stages before them (all but
    // summary.json's own row and the commit, which come after it is serialised).
    // Files made side by side are the parts of one row.
    let rows = summary["timings"].as_array().unwrap();
    let parts = rows
        .iter()
        .flat_map(|t| t["parts"].as_array().into_iter().flatten());
    let phases: Vec<&str> = rows
        .iter()
        .chain(parts)
        .map(|t| t["phase"].as_str().unwrap())
        .collect();
    for entry in std::fs::read_dir(&result).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let timed = match name.as_str() {
            "summary.json" => true,
            n if n.ends_with(".qml") || n.ends_with(".qgs") => {
                phases.contains(&"QGIS styles and project")
            }
            n => phases.contains(&n),
        };
        assert!(timed, "{name} is not in summary.json's timings: {phases:?}");
    }
    assert_eq!(phases[0], "ingest", "{phases:?}");
    assert!(stdout.lines().any(|l| l.starts_with("total ")), "{stdout}");
    assert_eq!(
        communities.features.len() as u64,
        summary["overall"]["communities"].as_u64().unwrap()
    );
    assert_eq!(
        facilities.features.len() as u64,
        summary["places"]["facilities"].as_u64().unwrap()
    );
    assert_consistent_fields(&communities, "communities");
    assert_consistent_fields(&facilities, "facilities");

    // Right-hand rule, valid lon/lat, inside Monaco's box.
    use geo::Winding;
    for f in &communities.features {
        let mp = geo::MultiPolygon::<f64>::try_from(f.geometry.clone().unwrap().value).unwrap();
        for p in &mp.0 {
            assert!(p.exterior().is_ccw());
            assert!(p.interiors().iter().all(|r| r.is_cw()));
            assert!(p
                .exterior()
                .coords()
                .all(|c| (7.3..7.5).contains(&c.x) && (43.7..43.8).contains(&c.y)));
        }
        let props = f.properties.as_ref().unwrap();
        assert!(
            props.contains_key("t_park")
                && props.contains_key("ok_kinder")
                && props.contains_key("circle")
        );
    }
    // Nothing but the outputs is left behind (no staging directory).
    let mut names: Vec<String> = std::fs::read_dir(&result)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for layer in [
        "communities.geojson",
        "coverage.geojson",
        "facilities.geojson",
        "isochrones.geojson",
        "summary.json",
        "report.html",
        "map.png",
        "childcircle.qgs",
    ] {
        assert!(
            names.iter().any(|n| n == layer),
            "{layer} missing from {names:?}"
        );
    }
    assert!(
        !names.iter().any(|n| n.starts_with('.')),
        "leftovers: {names:?}"
    );
}

#[test]
fn analyze_handles_chinese_tagging() {
    let dir = tempfile::tempdir().unwrap();
    let extract = data("osm/beijing-cau.osm.pbf");
    let out = childcircle(
        dir.path(),
        &["analyze", extract.to_str().unwrap(), "--quiet"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty(), "--quiet prints nothing");
    let facilities = read_collection(&dir.path().join("out/facilities.geojson"));
    let names: Vec<String> = facilities
        .features
        .iter()
        .filter_map(|f| {
            f.properties
                .as_ref()?
                .get("name")?
                .as_str()
                .map(str::to_string)
        })
        .collect();
    assert!(
        names.iter().any(|n| n.contains('学')),
        "Chinese school names survive: {names:?}"
    );
    let primary = facilities
        .features
        .iter()
        .filter(|f| f.properties.as_ref().unwrap()["category"] == "primary")
        .count();
    assert!(primary > 0, "小学 found by name");
}

/// A failing run names the file and the problem, exits non-zero, never panics,
/// and leaves earlier outputs exactly as they were.
fn assert_clean_failure(args: &[&str], expect: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("out")).unwrap();
    std::fs::write(dir.path().join("out/summary.json"), "previous run").unwrap();
    for (name, bytes) in fixtures() {
        std::fs::write(dir.path().join(name), bytes).unwrap();
    }
    let out = childcircle(dir.path(), args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    for e in expect {
        assert!(stderr.contains(e), "{args:?}: expected {e:?} in {stderr}");
    }
    assert_eq!(
        std::fs::read_to_string(dir.path().join("out/summary.json")).unwrap(),
        "previous run"
    );
    assert_eq!(
        std::fs::read_dir(dir.path().join("out")).unwrap().count(),
        1,
        "{args:?}: nothing else written"
    );
}

fn fixtures() -> Vec<(&'static str, Vec<u8>)> {
    let monaco = std::fs::read(data("osm/monaco.osm.pbf")).unwrap();
    let square = |coords: &str| {
        format!(r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","properties":{{"name":"A"}},"geometry":{{"type":"Polygon","coordinates":[{coords}]}}}}]}}"#)
            .into_bytes()
    };
    vec![
        ("empty.osm.pbf", vec![]),
        ("truncated.osm.pbf", monaco[..monaco.len() / 2].to_vec()),
        ("page.osm.pbf", b"<!DOCTYPE html><html><body>404</body></html>".to_vec()),
        ("bad.toml", b"name = \"x\"\nwalking_speed = 1.0\n".to_vec()),
        ("notjson.geojson", b"name,population\nA,100\n".to_vec()),
        ("projected.geojson", square("[[740000,4850000],[741000,4850000],[741000,4851000],[740000,4850000]]")),
        ("swapped.geojson", square("[[43.73,7.41],[43.73,7.43],[43.74,7.43],[43.73,7.41]]")),
        (
            "crs.geojson",
            br#"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::32632"}},"features":[]}"#.to_vec(),
        ),
    ]
}

#[test]
fn bad_inputs_fail_cleanly() {
    let monaco = data("osm/monaco.osm.pbf");
    let monaco = monaco.to_str().unwrap();
    assert_clean_failure(&["analyze", "missing.osm.pbf"], &["missing.osm.pbf"]);
    assert_clean_failure(&["analyze", "empty.osm.pbf"], &["empty.osm.pbf", "empty"]);
    assert_clean_failure(
        &["analyze", "truncated.osm.pbf"],
        &["truncated.osm.pbf", "truncated"],
    );
    assert_clean_failure(&["analyze", "page.osm.pbf"], &["page.osm.pbf", "HTML"]);
    assert_clean_failure(
        &["analyze", monaco, "--profile", "bad.toml"],
        &["bad.toml", "walking_speed"],
    );
    assert_clean_failure(
        &["analyze", monaco, "--communities", "notjson.geojson"],
        &["notjson.geojson", "GeoJSON"],
    );
    assert_clean_failure(
        &["analyze", monaco, "--communities", "projected.geojson"],
        &["projected.geojson", "WGS84"],
    );
    assert_clean_failure(
        &["analyze", monaco, "--communities", "swapped.geojson"],
        &["swapped.geojson", "swapped"],
    );
    assert_clean_failure(
        &["analyze", monaco, "--communities", "crs.geojson"],
        &["crs.geojson", "32632"],
    );
    assert_clean_failure(
        &["analyze", monaco, "--max-memory", "1M"],
        &["monaco.osm.pbf", "--max-memory"],
    );
}

#[test]
fn planner_communities_replace_osm_ones() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mine.geojson");
    // One open ring (repaired with a warning) and one point (skipped).
    std::fs::write(
        &file,
        r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"名称":"摩纳哥一区","人口":1200},"geometry":{"type":"Polygon","coordinates":[[[7.415,43.730],[7.425,43.730],[7.425,43.738],[7.415,43.738]]]}},
{"type":"Feature","properties":{"name":"a point"},"geometry":{"type":"Point","coordinates":[7.42,43.73]}}]}"#,
    )
    .unwrap();
    let extract = data("osm/monaco.osm.pbf");
    let out = childcircle(
        dir.path(),
        &[
            "analyze",
            extract.to_str().unwrap(),
            "--communities",
            "mine.geojson",
            "--verbose",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("not closed") && stderr.contains("Point"),
        "{stderr}"
    );
    let fc = read_collection(&dir.path().join("out/communities.geojson"));
    assert_eq!(fc.features.len(), 1);
    let p = fc.features[0].properties.as_ref().unwrap();
    assert_eq!(p["name"], "摩纳哥一区");
    assert_eq!(p["pop"], 1200.0);
    assert_eq!(p["source"], "file");
    assert!(
        p["n_nodes"].as_u64().unwrap() > 10,
        "streets inside the polygon"
    );
}

/// Runs the binary in a fresh directory; returns (exit code, stdout, stderr).
fn run_in(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out = childcircle(dir, args);
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn options_are_checked_and_applied_by_the_library() {
    let dir = tempfile::tempdir().unwrap();
    let monaco = data("osm/monaco.osm.pbf");
    let monaco = monaco.to_str().unwrap();
    // An age group on top of `adult` makes no sense: refused as a bad argument
    // (exit 2), saying what to ask for instead; nothing is written.
    let (code, _, stderr) = run_in(
        dir.path(),
        &["analyze", monaco, "--profile", "adult", "--age", "all"],
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("--profile child --age all"), "{stderr}");
    assert!(!dir.path().join("out").exists());
    // Options out of range are the library's errors, forwarded (exit 2).
    for (args, phrase) in [
        (&["--cell", "0"][..], "--cell"),
        (&["--margin=-1"][..], "--margin"),
        (&["--bands", "0"][..], "--bands"),
        (&["--suggest", "zoo:3"][..], "kinder"),
        (&["--target", "30"][..], "--target"),
    ] {
        let mut all = vec!["analyze", monaco];
        all.extend_from_slice(args);
        let (code, _, stderr) = run_in(dir.path(), &all);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(phrase), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    // The library itself refuses a zero cell instead of growing a grid forever.
    let options = childcircle::AnalyzeOptions {
        isochrones: Some(childcircle::isochrone::IsochroneOptions {
            cell_m: 0.0,
            ..Default::default()
        }),
        ..Default::default()
    };
    let e =
        childcircle::analyze_with_options(Path::new(monaco), &options, &mut |_| {}).unwrap_err();
    assert!(e.is_usage() && e.to_string().contains("--cell"), "{e}");
    assert!(childcircle::isochrone::IsochroneOptions::new(&[5.0], 0.0, 50.0).is_err());

    // --max-memory estimates with the run's own options: a limit enough
    // without isochrones lets a --no-isochrones run through.
    let e = childcircle::limits::estimate_memory(Path::new(monaco)).unwrap();
    let between = (e.bytes + e.bytes_without_isochrones) / 2;
    assert!(e.bytes_without_isochrones < between && between < e.bytes);
    let limit = between.to_string();
    let (code, _, stderr) = run_in(
        dir.path(),
        &[
            "analyze",
            monaco,
            "--max-memory",
            &limit,
            "--no-isochrones",
            "--out",
            "small",
        ],
    );
    assert_eq!(code, Some(0), "{stderr}");
    let (code, _, stderr) = run_in(dir.path(), &["analyze", monaco, "--max-memory", &limit]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("--no-isochrones"), "{stderr}");

    // District-file repairs are reported; suggestions carry the full label.
    std::fs::write(
        dir.path().join("districts.geojson"),
        r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"name":"Monaco"},"geometry":{"type":"Polygon","coordinates":[[[7.40,43.72],[7.40,43.76],[7.44,43.76],[7.44,43.72]]]}}]}"#,
    )
    .unwrap();
    let (code, _, stderr) = run_in(
        dir.path(),
        &[
            "analyze",
            monaco,
            "--districts",
            "districts.geojson",
            "--suggest",
            "play:2",
            "--age",
            "6-12",
            "--no-isochrones",
            "--out",
            "planner",
            "--verbose",
        ],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("districts.geojson") && stderr.contains("not closed"),
        "{stderr}"
    );
    let summary: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("planner/summary.json")).unwrap(),
    )
    .unwrap();
    let warnings = summary["warnings"].as_array().unwrap();
    assert!(
        warnings
            .iter()
            .any(|w| w.as_str().unwrap().contains("districts.geojson")),
        "{warnings:?}"
    );
    assert_eq!(summary["profile"], "child/6-12");
    let suggestions = read_collection(&dir.path().join("planner/suggestions.geojson"));
    assert!(!suggestions.features.is_empty());
    for f in &suggestions.features {
        assert_eq!(f.properties.as_ref().unwrap()["profile"], "child/6-12");
    }
}

/// The fields of one CSV line (RFC 4180 quotes).
fn csv_fields(line: &str) -> Vec<String> {
    let (mut fields, mut field, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => fields.push(std::mem::take(&mut field)),
            c => field.push(c),
        }
    }
    fields.push(field);
    fields
}

#[test]
fn outputs_are_honest_and_mistakes_forgiven() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (name, bytes) in fixtures() {
        std::fs::write(d.join(name), bytes).unwrap();
    }
    let monaco = data("osm/monaco.osm.pbf");
    let monaco = monaco.to_str().unwrap();
    let (code, _, stderr) = run_in(d, &["analyze", monaco, "--suggest", "play:1"]);
    assert_eq!(code, Some(0), "{stderr}");
    // Times within the documented search limit (15 min) or null, and
    // gaps.csv gives the very times the layer gives.
    let fc = read_collection(&d.join("out/communities.geojson"));
    let mut times = std::collections::HashMap::new();
    for f in &fc.features {
        let p = f.properties.as_ref().unwrap();
        for (k, v) in p.iter().filter(|(k, _)| k.starts_with("t_")) {
            if let Some(t) = v.as_f64() {
                assert!(t <= 15.0, "{k} = {t} past the search limit");
                times.insert(
                    (p["id"].as_str().unwrap().to_string(), k[2..].to_string()),
                    t,
                );
            }
        }
    }
    let gaps = std::fs::read_to_string(d.join("out/gaps.csv")).unwrap();
    let mut compared = 0;
    for line in gaps.lines().skip(1) {
        let cols = csv_fields(line);
        let (cat, id, minutes) = (&cols[0], &cols[6], &cols[13]);
        if let Ok(m) = minutes.parse::<f64>() {
            assert_eq!(
                times.get(&(id.to_string(), cat.to_string())),
                Some(&m),
                "{line}"
            );
            compared += 1;
        }
    }
    assert!(compared > 0, "gaps.csv has times to compare");

    // Mistakes a new user makes, each answered clearly.
    std::fs::create_dir(d.join("extracts")).unwrap();
    let (code, _, stderr) = run_in(d, &["analyze", "extracts"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("extracts") && stderr.contains("is a directory"),
        "{stderr}"
    );
    std::fs::write(d.join("result.txt"), "x").unwrap();
    let (code, _, stderr) = run_in(
        d,
        &["analyze", monaco, "--no-isochrones", "--out", "result.txt"],
    );
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("is a file, not a directory"), "{stderr}");
    let (_, _, stderr) = run_in(
        d,
        &["analyze", monaco, "--communities", "projected.geojson"],
    );
    assert!(
        stderr.contains("-s_srs") && stderr.contains("-t_srs EPSG:4326"),
        "{stderr}"
    );
    let named = r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"社区名称":"一区","常住人口":100},"geometry":{"type":"Polygon","coordinates":[[[7.415,43.730],[7.425,43.730],[7.425,43.738],[7.415,43.738],[7.415,43.730]]]}}]}"#;
    std::fs::write(d.join("named.geojson"), named).unwrap();
    for (args, expect) in [
        (&["--name-field", "名字"][..], "--name-field \"名字\""),
        (
            &["--name-field", "社区名称", "--population-field", "人口"][..],
            "--population-field",
        ),
        (&[][..], "--name-field"),
    ] {
        let mut all = vec!["analyze", monaco, "--communities", "named.geojson"];
        all.extend_from_slice(args);
        let (code, _, stderr) = run_in(d, &all);
        assert_eq!(code, Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.contains(expect) && stderr.contains("\"常住人口\", \"社区名称\""),
            "{args:?}: {stderr}"
        );
    }
    let (code, _, stderr) = run_in(
        d,
        &[
            "analyze",
            monaco,
            "--communities",
            "named.geojson",
            "--name-field",
            "社区名称",
            "--population-field",
            "常住人口",
            "--no-isochrones",
            "--out",
            "named",
        ],
    );
    assert_eq!(code, Some(0), "{stderr}");
    let fc = read_collection(&d.join("named/communities.geojson"));
    let p = fc.features[0].properties.as_ref().unwrap();
    assert_eq!(
        (p["name"].as_str(), p["pop"].as_f64()),
        (Some("一区"), Some(100.0))
    );

    // `isochrone` takes the extract where `analyze` does; --help lists the
    // category ids --suggest accepts.
    let (code, stdout, stderr) = run_in(
        d,
        &["isochrone", monaco, "--lon", "7.4246", "--lat", "43.7384"],
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("wrote isochrone.geojson"), "{stdout}");
    let (_, help, _) = run_in(d, &["analyze", "--help"]);
    for c in &childcircle::Profile::default().categories {
        assert!(help.contains(&c.id), "--help lists {}: {help}", c.id);
    }
}

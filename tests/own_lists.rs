//! The planner's own lists (issue 19): facility files in CSV, XLSX and
//! GeoJSON; community points; GCJ-02 input; and every kind of bad input.

mod common;

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use childcircle::crs::{wgs84_to_gcj02, Crs};
use childcircle::osm::pbf::write::{MemberType, PbfWriter};
use childcircle::places::lists::facility_file::{read_facility_file, FacilityFile};
use childcircle::places::lists::{Columns, FacilityFileOptions, InputOptions, Mode};
use childcircle::places::PlaceGeometry;
use childcircle::profile::Profile;
use childcircle::{analyze_with_options, AnalyzeOptions};
use common::{childcircle, data};
use osmpbfreader::{OsmObj, OsmPbfReader};

/// Rewrites an extract without its children's facilities: every object the
/// profile classifies loses the tags that made it one (its ways and nodes
/// stay, so the walking network is the same). Returns how many were stripped.
fn strip_facilities(src: &Path, dst: &Path, profile: &Profile) -> usize {
    let mut reader = OsmPbfReader::new(File::open(src).unwrap());
    let (mut nodes, mut ways, mut rels) = (BTreeMap::new(), BTreeMap::new(), BTreeMap::new());
    for obj in reader.iter() {
        match obj.unwrap() {
            OsmObj::Node(n) => drop(nodes.insert(n.id.0, n)),
            OsmObj::Way(w) => drop(ways.insert(w.id.0, w)),
            OsmObj::Relation(r) => drop(rels.insert(r.id.0, r)),
        }
    }
    let triggers: Vec<String> = profile.trigger_keys().map(str::to_string).collect();
    let mut stripped = 0;
    let mut keep = |tags: &osmpbfreader::Tags| -> Vec<(String, String)> {
        let all: Vec<(String, String)> = tags
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        if profile.classify(tags) == 0 {
            return all;
        }
        stripped += 1;
        let kept: Vec<(String, String)> = all
            .into_iter()
            .filter(|(k, _)| k == "highway" || !triggers.contains(k) && !k.starts_with("name"))
            .collect();
        let pairs: Vec<(&str, &str)> = kept.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(profile.classify(&pairs[..]), 0, "{pairs:?}");
        kept
    };
    let mut w = PbfWriter::new(File::create(dst).unwrap(), None).unwrap();
    for n in nodes.values() {
        let tags = keep(&n.tags);
        let tags: Vec<(&str, &str)> = tags.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        w.add_node(
            n.id.0,
            f64::from(n.decimicro_lat) / 1e7,
            f64::from(n.decimicro_lon) / 1e7,
            &tags,
        )
        .unwrap();
    }
    for way in ways.values() {
        let tags = keep(&way.tags);
        let tags: Vec<(&str, &str)> = tags.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let refs: Vec<i64> = way.nodes.iter().map(|n| n.0).collect();
        w.add_way(way.id.0, &refs, &tags).unwrap();
    }
    for r in rels.values() {
        let tags = keep(&r.tags);
        let tags: Vec<(&str, &str)> = tags.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let members: Vec<(MemberType, i64, &str)> = r
            .refs
            .iter()
            .map(|m| match m.member {
                osmpbfreader::OsmId::Node(id) => (MemberType::Node, id.0, m.role.as_str()),
                osmpbfreader::OsmId::Way(id) => (MemberType::Way, id.0, m.role.as_str()),
                osmpbfreader::OsmId::Relation(id) => (MemberType::Relation, id.0, m.role.as_str()),
            })
            .collect();
        w.add_relation(r.id.0, &members, &tags).unwrap();
    }
    w.finish().unwrap();
    stripped
}

/// A CSV field, quoted.
fn q(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

fn wkt_ring(ring: &geo::LineString) -> String {
    let pts: Vec<String> = ring.coords().map(|c| format!("{} {}", c.x, c.y)).collect();
    format!("({})", pts.join(", "))
}

/// The facilities of an analysis as a planner's CSV: points as lon/lat,
/// areas and lines as WKT, full precision.
fn facilities_csv(a: &childcircle::Analysis) -> String {
    let mut csv = String::from("id,name,category,lon,lat,wkt\n");
    for f in &a.facilities {
        let cat = &a.profile.categories[f.category];
        let (lonlat, wkt) = match &f.geometry {
            PlaceGeometry::Point(p) => (format!("{},{}", p[0], p[1]), String::new()),
            PlaceGeometry::Polygon(mp) => {
                let polys: Vec<String> =
                    mp.0.iter()
                        .map(|p| {
                            let rings: Vec<String> = std::iter::once(p.exterior())
                                .chain(p.interiors())
                                .map(wkt_ring)
                                .collect();
                            format!("({})", rings.join(", "))
                        })
                        .collect();
                (",".into(), format!("MULTIPOLYGON ({})", polys.join(", ")))
            }
            PlaceGeometry::Line(l) => (",".into(), format!("LINESTRING {}", wkt_ring(l))),
        };
        csv.push_str(&format!(
            "{},{},{},{lonlat},{}\n",
            q(&f.fid(&cat.id)),
            q(f.name.as_deref().unwrap_or("")),
            cat.label_zh.split('·').next().unwrap(),
            q(&wkt)
        ));
    }
    csv
}

#[test]
fn routing_only_extract_with_a_facility_csv_gives_the_full_extracts_coverage() {
    let dir = tempfile::tempdir().unwrap();
    let full = data("osm/monaco.osm.pbf");
    let bare = dir.path().join("monaco-routing.osm.pbf");
    let profile = Profile::default();
    let stripped = strip_facilities(&full, &bare, &profile);
    assert!(stripped > 20, "{stripped}");
    let options = AnalyzeOptions {
        isochrones: None,
        ..Default::default()
    };
    let e = analyze_with_options(&bare, &options, &mut |_| {}).unwrap_err();
    assert!(e.to_string().contains("no children's facilities"), "{e}");

    let a = analyze_with_options(&full, &options, &mut |_| {}).unwrap();
    let csv = dir.path().join("facilities.csv");
    std::fs::write(&csv, facilities_csv(&a)).unwrap();
    let with_file = AnalyzeOptions {
        facility_file: Some(FacilityFileOptions {
            path: csv.clone(),
            mode: Mode::Replace,
            ..Default::default()
        }),
        ..options.clone()
    };
    let b = analyze_with_options(&bare, &with_file, &mut |_| {}).unwrap();
    assert_eq!(a.graph.node_count(), b.graph.node_count());
    assert_eq!(a.facilities.len(), b.facilities.len());
    assert!(b.facilities.iter().all(|f| f.source() == "file"));
    let snapped =
        |x: &childcircle::Analysis| x.facilities.iter().filter(|f| !f.access.is_empty()).count();
    assert_eq!(snapped(&a), snapped(&b));
    let by_id = |x: &childcircle::Analysis| -> BTreeMap<String, (Vec<bool>, Vec<Option<i64>>)> {
        x.communities
            .iter()
            .zip(&x.coverage)
            .map(|(c, cov)| {
                let minutes = cov
                    .minutes
                    .iter()
                    .map(|m| m.map(|m| (m * 1000.0).round() as i64))
                    .collect();
                (c.id.clone(), (cov.covered.clone(), minutes))
            })
            .collect()
    };
    let (ca, cb) = (by_id(&a), by_id(&b));
    assert_eq!(ca.len(), cb.len());
    let covered: usize = a.coverage.iter().map(|c| c.met).sum();
    eprintln!(
        "monaco: {stripped} objects stripped; {} facilities from the CSV; {} communities, {covered} community-categories covered in both",
        b.facilities.len(),
        ca.len()
    );
    assert_eq!(ca, cb);
    assert!(
        b.warnings
            .iter()
            .any(|w| w.contains("read") && w.contains("CSV, UTF-8")),
        "{:?}",
        b.warnings
    );

    // In add mode on the full extract, every row duplicates its OSM facility.
    let add = AnalyzeOptions {
        facility_file: Some(FacilityFileOptions {
            path: csv,
            mode: Mode::Add,
            ..Default::default()
        }),
        ..options
    };
    let c = analyze_with_options(&full, &add, &mut |_| {}).unwrap();
    assert_eq!(c.facilities.len(), a.facilities.len());
    assert!(c.facilities.iter().all(|f| f.source() == "osm+file"));
    let merged = c
        .warnings
        .iter()
        .find(|w| w.contains("merged"))
        .expect("a merge report");
    assert!(
        merged.contains(&format!("{} facilities duplicate", a.facilities.len())),
        "{merged}"
    );
}

fn decheng() -> PathBuf {
    data("dezhou/decheng.osm.pbf")
}

fn run_decheng_communities(dir: &Path, list: &Path, out: &str) -> (String, String) {
    let o = childcircle(
        dir,
        &[
            "--verbose",
            "analyze",
            decheng().to_str().unwrap(),
            "--no-isochrones",
            "--communities",
            list.to_str().unwrap(),
            "--crs",
            "gcj02",
            "--out",
            out,
        ],
    );
    let stderr = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(o.status.success(), "{stderr}");
    (String::from_utf8_lossy(&o.stdout).to_string(), stderr)
}

#[test]
fn decheng_community_list_runs_in_gcj02_in_utf8_and_gbk() {
    let dir = tempfile::tempdir().unwrap();
    let utf8 = data("dezhou/gcj02/decheng_communities_gcj02.csv");
    let text = std::fs::read_to_string(&utf8).unwrap();
    let (gbk_bytes, _, bad) = encoding_rs::GBK.encode(&text);
    assert!(!bad);
    let gbk = dir.path().join("decheng_gbk.csv");
    std::fs::write(&gbk, &gbk_bytes).unwrap();

    let (stdout, stderr) = run_decheng_communities(dir.path(), &utf8, "a");
    // 40 rows have a point; one lies beyond the shipped model of the centre.
    assert!(stdout.contains("39 communities"), "{stdout}");
    assert!(stderr.contains("62 rows have no coordinates"), "{stderr}");
    assert!(
        stderr.contains("1 rows lie more than ~5 km outside the extract and were left out: row 70"),
        "{stderr}"
    );
    assert!(
        stderr.contains("CSV, UTF-8; coordinates gcj02 from --crs"),
        "{stderr}"
    );
    assert!(
        stderr.contains("took the residential land nearest"),
        "{stderr}"
    );
    let (_, stderr_gbk) = run_decheng_communities(dir.path(), &gbk, "b");
    assert!(stderr_gbk.contains("CSV, GBK/GB18030"), "{stderr_gbk}");
    let a = std::fs::read(dir.path().join("a/communities.geojson")).unwrap();
    let b = std::fs::read(dir.path().join("b/communities.geojson")).unwrap();
    assert!(a == b, "the GBK copy gives the same communities");
    let geo: serde_json::Value = serde_json::from_slice(&a).unwrap();
    let features = geo["features"].as_array().unwrap();
    assert_eq!(features.len(), 39);
    let first = &features[0]["properties"];
    assert_eq!(first["code"], "371402001001", "{first}");
    assert_eq!(first["name"], "尉署社区居委会");
}

/// Decheng's own facility points, moved into GCJ-02 as Amap would show them.
fn gcj_points_csv(dir: &Path) -> (PathBuf, usize) {
    let options = AnalyzeOptions {
        isochrones: None,
        ..Default::default()
    };
    let a = analyze_with_options(&decheng(), &options, &mut |_| {}).unwrap();
    let mut csv = String::from("名称,类别,经度,纬度\n");
    let mut n = 0;
    for f in &a.facilities {
        let PlaceGeometry::Point(p) = f.geometry else {
            continue;
        };
        let g = wgs84_to_gcj02(p);
        let cat = &a.profile.categories[f.category];
        csv.push_str(&format!(
            "{},{},{},{}\n",
            f.name.as_deref().unwrap_or(""),
            cat.id,
            g[0],
            g[1]
        ));
        n += 1;
    }
    let path = dir.join("gcj.csv");
    std::fs::write(&path, csv).unwrap();
    (path, n)
}

#[test]
fn a_gcj02_point_list_given_as_wgs84_is_flagged_and_reads_right_with_crs_gcj02() {
    let dir = tempfile::tempdir().unwrap();
    let (csv, n) = gcj_points_csv(dir.path());
    assert!(n >= 5, "{n} point facilities");
    let run = |crs: Option<Crs>| {
        let options = AnalyzeOptions {
            isochrones: None,
            facility_file: Some(FacilityFileOptions {
                path: csv.clone(),
                input: InputOptions {
                    crs,
                    ..Default::default()
                },
                ..Default::default()
            }),
            ..Default::default()
        };
        analyze_with_options(&decheng(), &options, &mut |_| {}).unwrap()
    };
    let wrong = run(None);
    let warning = wrong
        .warnings
        .iter()
        .find(|w| w.contains("look like GCJ-02"));
    assert!(
        warning.is_some_and(|w| w.contains("--crs gcj02")),
        "{:?}",
        wrong.warnings
    );
    let right = run(Some(Crs::Gcj02));
    assert!(!right
        .warnings
        .iter()
        .any(|w| w.contains("look like GCJ-02")));
    let merged = right
        .warnings
        .iter()
        .find(|w| w.contains("merged"))
        .unwrap();
    assert!(
        merged.contains(&format!("{n} facilities duplicate")),
        "{merged}"
    );
}

// ---- bad input: one clear message naming the file, row and column ----

/// Around Monaco.
fn monaco_bounds() -> geo::Rect<f64> {
    geo::Rect::new(
        geo::coord! { x: 7.40, y: 43.72 },
        geo::coord! { x: 7.44, y: 43.75 },
    )
}

fn read_with(name: &str, bytes: &[u8], input: InputOptions) -> childcircle::Result<FacilityFile> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    let options = FacilityFileOptions {
        path,
        input,
        ..Default::default()
    };
    read_facility_file(&options, &Profile::default(), monaco_bounds())
}

fn read_csv(text: &str) -> childcircle::Result<FacilityFile> {
    read_with("list.csv", text.as_bytes(), InputOptions::default())
}

fn error(text: &str) -> String {
    let e = read_csv(text).unwrap_err().to_string();
    assert!(e.contains("list.csv"), "names the file: {e}");
    e
}

#[test]
fn rows_without_coordinates_are_listed() {
    let e = error(
        "name,category,lon,lat\na,幼儿园,7.42,43.73\nb,幼儿园,,\nc,小学,7.42,43.73\nd,公园,,\n",
    );
    assert!(
        e.contains("2 rows have no coordinates: row 3, row 5"),
        "{e}"
    );
    let e = error("name,category,lon,lat\na,幼儿园,7.42,43.73\nc,小学,7.42,\n");
    assert!(
        e.contains("row 3, column \"lat\": the coordinate is missing"),
        "{e}"
    );
}

#[test]
fn coordinates_out_of_range_name_row_and_columns() {
    let e = error("name,category,lon,lat\na,幼儿园,7.42,43.73\nb,幼儿园,7.42,143.73\n");
    assert!(e.contains("row 3, columns \"lon\"/\"lat\""), "{e}");
    assert!(e.contains("beyond 90°"), "{e}");
    let e = error("name,category,lon,lat\na,幼儿园,500000,4000000\n");
    assert!(e.contains("projected"), "{e}");
    let e = error("name,category,lon,lat\na,幼儿园,7.4x,43.7\n");
    assert!(
        e.contains("row 2, column \"lon\": \"7.4x\" is not a number"),
        "{e}"
    );
}

#[test]
fn swapped_lat_lon_is_named() {
    let e = error("name,category,lon,lat\na,幼儿园,43.73,7.42\n");
    assert!(e.contains("row 2") && e.contains("swapped"), "{e}");
}

#[test]
fn rows_far_outside_the_extract_are_counted_and_listed() {
    let f = read_csv(
        "name,category,lon,lat\na,幼儿园,7.42,43.73\nb,幼儿园,2.35,48.85\nc,公园,2.35,48.86\n",
    )
    .unwrap();
    assert_eq!(f.facilities.len(), 1);
    let notes = f.notes.join("\n");
    assert!(
        notes.contains("2 rows lie more than ~5 km outside the extract")
            && notes.contains("row 3, row 4"),
        "{notes}"
    );
    let e = error("name,category,lon,lat\nb,幼儿园,2.35,48.85\n");
    assert!(
        e.contains("none of its 1 rows lies within the extract"),
        "{e}"
    );
}

#[test]
fn a_missing_category_column_lists_the_columns_found() {
    let e = error("名称,经度,纬度\na,7.42,43.73\n");
    assert!(
        e.contains("no category column") && e.contains("\"名称\", \"经度\", \"纬度\""),
        "{e}"
    );
    let e = read_with(
        "list.csv",
        "名称,类,经度,纬度\na,幼儿园,7.42,43.73\n".as_bytes(),
        InputOptions {
            columns: Columns::parse("category=类别").unwrap(),
            ..Default::default()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("no category column \"类别\"; the columns are: \"名称\", \"类\""),
        "{e}"
    );
}

#[test]
fn empty_files_are_rejected() {
    assert!(error("").contains("empty"));
    assert!(error("name,category,lon,lat\n").contains("no data rows"));
    let e = read_with("list.geojson", b"", InputOptions::default()).unwrap_err();
    assert!(e.to_string().contains("empty"), "{e}");
}

#[test]
fn duplicated_ids_are_rejected() {
    let e = error("id,name,category,lon,lat\n7,a,幼儿园,7.42,43.73\n8,b,幼儿园,7.42,43.73\n7,c,公园,7.42,43.73\n");
    assert!(
        e.contains("1 duplicated ids in column \"id\": \"7\" (row 2 and row 4)"),
        "{e}"
    );
}

#[test]
fn unknown_categories_are_counted_and_the_rest_used() {
    let f = read_csv("name,category,lon,lat\na,幼儿园,7.42,43.73\nb,培训机构,7.42,43.73\nc,培训机构,7.42,43.73\nd,Park,7.42,43.73\ne,初中,7.42,43.73\n").unwrap();
    assert_eq!(f.facilities.len(), 3);
    let notes = f.notes.join("\n");
    assert!(
        notes.contains("2 rows have a category matching none")
            && notes.contains("\"培训机构\" (2)"),
        "{notes}"
    );
}

#[test]
fn a_category_map_maps_local_values() {
    let dir = tempfile::tempdir().unwrap();
    let map = dir.path().join("map.csv");
    std::fs::write(&map, "value,category\n公办园,kinder\n民办园,kinder\n").unwrap();
    let list = dir.path().join("list.csv");
    std::fs::write(
        &list,
        "name,category,lon,lat\na,公办园,7.42,43.73\nb,民办园,7.421,43.731\n",
    )
    .unwrap();
    let options = FacilityFileOptions {
        path: list,
        category_map: Some(map.clone()),
        ..Default::default()
    };
    let profile = Profile::default();
    let f = read_facility_file(&options, &profile, monaco_bounds()).unwrap();
    let kinder = profile.category_index("kinder").unwrap();
    assert!(f.facilities.iter().all(|f| f.category == kinder));
    std::fs::write(&map, "value,category\n公办园,kindergarten\n").unwrap();
    let e = read_facility_file(&options, &profile, monaco_bounds())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("map.csv: row 2: \"kindergarten\" is not a category"),
        "{e}"
    );
}

fn xlsx(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/lists")
        .join(name)
}

#[test]
fn xlsx_with_several_sheets_needs_sheet() {
    let profile = Profile::default();
    let mut options = FacilityFileOptions {
        path: xlsx("facilities_two_sheets.xlsx"),
        ..Default::default()
    };
    let e = read_facility_file(&options, &profile, monaco_bounds())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("the workbook has 2 sheets (\"学校\", \"说明\"); pick one with --sheet NAME"),
        "{e}"
    );
    options.input.sheet = Some("学校".into());
    let f = read_facility_file(&options, &profile, monaco_bounds()).unwrap();
    let got: Vec<(&str, &str, Option<f64>)> = f
        .facilities
        .iter()
        .map(|f| {
            (
                f.file.id.as_str(),
                profile.categories[f.category].id.as_str(),
                f.file.capacity,
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("101", "kinder", Some(120.0)),
            ("102", "primary", Some(300.0)),
            ("103", "park", None)
        ]
    );
    assert_eq!(f.facilities[0].file.row, "row 2");
    options.input.sheet = Some("Sheet1".into());
    let e = read_facility_file(&options, &profile, monaco_bounds())
        .unwrap_err()
        .to_string();
    assert!(e.contains("no sheet named \"Sheet1\""), "{e}");
    options.path = xlsx("facilities_one_sheet.xlsx");
    options.input.sheet = None;
    assert_eq!(
        read_facility_file(&options, &profile, monaco_bounds())
            .unwrap()
            .facilities
            .len(),
        3
    );
}

#[test]
fn geojson_points_and_polygons_read_with_their_properties() {
    let text = r#"{"type":"FeatureCollection","features":[
      {"type":"Feature","id":"k1","properties":{"name":"A","category":"kinder","capacity":90},"geometry":{"type":"Point","coordinates":[7.42,43.73]}},
      {"type":"Feature","properties":{"name":"P","category":"公园"},"geometry":{"type":"Polygon","coordinates":[[[7.41,43.73],[7.411,43.73],[7.411,43.731],[7.41,43.73]]]}}]}"#;
    let f = read_with("list.geojson", text.as_bytes(), InputOptions::default()).unwrap();
    assert_eq!(f.facilities.len(), 2);
    assert_eq!(f.facilities[0].file.id, "k1");
    assert_eq!(f.facilities[0].file.capacity, Some(90.0));
    assert!(matches!(
        f.facilities[1].geometry,
        PlaceGeometry::Polygon(_)
    ));
}

#[test]
fn bad_facility_file_on_the_command_line_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.csv"), "name,lon,lat\na,116.3,37.45\n").unwrap();
    let o = childcircle(
        dir.path(),
        &[
            "analyze",
            decheng().to_str().unwrap(),
            "--no-isochrones",
            "--facilities",
            "bad.csv",
            "--out",
            "out",
        ],
    );
    assert!(!o.status.success());
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("bad.csv: no category column"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(!dir.path().join("out").exists());
}

#[test]
fn the_crs_comes_from_the_flag_the_file_or_its_headers() {
    // A kindergarten in Decheng as Amap shows it; the extract's bounds around it.
    let wgs = [116.3, 37.45];
    let gcj = wgs84_to_gcj02(wgs);
    let bounds = geo::Rect::new(
        geo::coord! { x: 116.2, y: 37.35 },
        geo::coord! { x: 116.4, y: 37.55 },
    );
    let read = |name: &str, text: String, crs: Option<Crs>| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let options = FacilityFileOptions {
            path,
            input: InputOptions {
                crs,
                ..Default::default()
            },
            ..Default::default()
        };
        read_facility_file(&options, &Profile::default(), bounds).unwrap()
    };
    let moved = |f: &FacilityFile| childcircle::geodesy::haversine_m(f.facilities[0].lonlat, wgs);
    let plain = format!("name,category,lon,lat\na,幼儿园,{},{}\n", gcj[0], gcj[1]);
    assert!(moved(&read("a.csv", plain.clone(), None)) > 300.0);
    let f = read("a.csv", plain, Some(Crs::Gcj02));
    assert!(moved(&f) < 0.01, "{}", moved(&f));
    let named = format!(
        "name,category,lon_gcj02,lat_gcj02\na,幼儿园,{},{}\n",
        gcj[0], gcj[1]
    );
    let f = read("b.csv", named, None);
    assert!(
        moved(&f) < 0.01 && f.notes[0].contains("gcj02 from its column name \"lon_gcj02\""),
        "{:?}",
        f.notes
    );
    let bd = childcircle::crs::gcj02_to_bd09(gcj);
    let json = format!(
        r#"{{"type":"FeatureCollection","crs":{{"type":"name","properties":{{"name":"BD-09"}}}},"features":[{{"type":"Feature","properties":{{"name":"a","category":"kinder"}},"geometry":{{"type":"Point","coordinates":[{},{}]}}}}]}}"#,
        bd[0], bd[1]
    );
    let f = read("c.geojson", json, None);
    assert!(moved(&f) < 0.01, "{}", moved(&f));
}

//! The planner deliverables, checked with the tools planners and browsers use:
//! every layer through GDAL/OGR (`ogrinfo`, as QGIS reads it), the QGIS style
//! and project files as XML that name existing fields and files, the maps as
//! SVG and PNG, and the HTML report in headless Chromium. The tools are
//! required, not optional: CI installs them (Debian: gdal-bin, chromium,
//! fonts-noto-cjk), and a missing tool fails with a message saying so.

#[path = "bin/mod.rs"]
mod bin;
use bin::childcircle_bin;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data").join(rel)
}

/// One run of the binary on Monaco with every deliverable switched on, shared
/// by the tests (the directory lives as long as the test process).
fn monaco_outputs() -> &'static Path {
    static RUN: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, out) = RUN.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let extract = data("osm/monaco.osm.pbf");
        let out = Command::new(childcircle_bin())
            .current_dir(dir.path())
            .args(["analyze", extract.to_str().unwrap(), "--out", "result"])
            .args([
                "--suggest",
                "kinder:3",
                "--suggest",
                "play:2",
                "--target",
                "0.3",
            ])
            .output()
            .expect("the binary runs");
        assert!(
            out.status.success(),
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let result = dir.path().join("result");
        (dir, result)
    });
    out
}

/// Runs an external tool, failing with an install hint when it is missing.
fn tool(program: &str, package: &str, args: &[&str]) -> Output {
    match Command::new(program).args(args).output() {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
            "`{program}` is not installed: install the Debian package {package} \
             (apt-get install -y {package}); CI installs it in .ci/run"
        ),
        Err(e) => panic!("{program}: {e}"),
    }
}

/// What `ogrinfo -ro -al -so` says about a one-layer file.
#[derive(Debug)]
struct OgrLayer {
    geometry: String,
    features: usize,
    /// Field name → OGR type (`String`, `Integer`, `Integer(Boolean)`, `Real`).
    fields: BTreeMap<String, String>,
}

fn ogrinfo(path: &Path) -> OgrLayer {
    let out = tool(
        "ogrinfo",
        "gdal-bin",
        &["-ro", "-al", "-so", path.to_str().unwrap()],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "ogrinfo {}: {}{text}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let value = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key))
            .unwrap_or_else(|| panic!("ogrinfo {}: no {key:?} in\n{text}", path.display()))
            .trim()
            .to_string()
    };
    let mut fields = BTreeMap::new();
    // Field lines follow the layer's SRS block: `name: Type (width.precision)`.
    let start = text.find("Data axis to CRS axis mapping").unwrap_or(0);
    for line in text[start..].lines().skip(1) {
        if let Some((name, rest)) = line.split_once(": ") {
            let ty = rest.split(" (").next().unwrap_or(rest).to_string();
            fields.insert(name.trim().to_string(), ty);
        }
    }
    OgrLayer {
        geometry: value("Geometry:"),
        features: value("Feature Count:").parse().unwrap(),
        fields,
    }
}

fn geojson_features(path: &Path) -> Vec<serde_json::Value> {
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    v["features"].as_array().unwrap().clone()
}

/// Every layer opens in OGR with one geometry type, every feature, and the
/// documented field types (QGIS takes them from OGR).
#[test]
fn every_layer_opens_in_gdal_with_its_fields() {
    let dir = monaco_outputs();
    // (layer, geometry, [(field, OGR type)])
    type Expected = (
        &'static str,
        &'static str,
        &'static [(&'static str, &'static str)],
    );
    let expect: &[Expected] = &[
        (
            "communities",
            "Multi Polygon",
            &[
                ("name", "String"),
                ("met", "Integer"),
                ("circle", "Integer(Boolean)"),
                ("area_m2", "Real"),
            ],
        ),
        (
            "facilities",
            "Point",
            &[
                ("category", "String"),
                ("space", "String"),
                ("served", "Integer"),
                ("snapped", "Integer(Boolean)"),
            ],
        ),
        (
            "isochrones",
            "Multi Polygon",
            &[("band_min", "Real"), ("category", "String")],
        ),
        (
            "coverage",
            "Multi Polygon",
            &[("kind", "String"), ("category", "String")],
        ),
        (
            "suggestions",
            "Point",
            &[
                ("rank", "Integer"),
                ("new_cov", "Integer"),
                ("names", "String"),
                ("category", "String"),
            ],
        ),
    ];
    for (layer, geometry, fields) in expect {
        let path = dir.join(format!("{layer}.geojson"));
        let info = ogrinfo(&path);
        assert_eq!(&info.geometry, geometry, "{layer}");
        assert_eq!(
            info.features,
            geojson_features(&path).len(),
            "{layer}: feature count"
        );
        assert!(info.features > 0, "{layer} is empty");
        for (field, ty) in *fields {
            assert_eq!(
                info.fields.get(*field).map(String::as_str),
                Some(*ty),
                "{layer}.{field}: {:?}",
                info.fields
            );
        }
    }
}

/// Field names a QGIS style refers to: aliases, the renderer's attribute,
/// label fields and every `"quoted"` name inside expressions.
fn style_fields(doc: &roxmltree::Document) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut quoted = |expr: &str| {
        for (i, part) in expr.split('"').enumerate() {
            if i % 2 == 1 && !part.is_empty() {
                names.insert(part.to_string());
            }
        }
    };
    for node in doc.descendants().filter(|n| n.is_element()) {
        match node.tag_name().name() {
            "alias" => quoted(&format!("\"{}\"", node.attribute("field").unwrap())),
            "renderer-v2" => {
                if let Some(attr) = node.attribute("attr") {
                    quoted(&format!("\"{attr}\""));
                }
            }
            "text-style" => {
                let field = node.attribute("fieldName").unwrap();
                if node.attribute("isExpression") == Some("1") {
                    quoted(field);
                } else {
                    quoted(&format!("\"{field}\""));
                }
            }
            "rule" => quoted(node.attribute("filter").unwrap_or("")),
            "orderByClause" | "previewExpression" => quoted(node.text().unwrap_or("")),
            _ => {}
        }
    }
    names
}

/// Each layer has a style beside it with its base name; the style is
/// well-formed QGIS XML, names only fields the layer has, and gives every
/// category value in the data a symbol.
#[test]
fn qgis_styles_sit_beside_their_layers_and_name_real_fields() {
    let dir = monaco_outputs();
    for layer in [
        "communities",
        "facilities",
        "isochrones",
        "coverage",
        "suggestions",
    ] {
        let qml = std::fs::read_to_string(dir.join(format!("{layer}.qml")))
            .unwrap_or_else(|e| panic!("{layer}.qml beside {layer}.geojson: {e}"));
        let doc = roxmltree::Document::parse_with_options(
            &qml,
            roxmltree::ParsingOptions {
                allow_dtd: true,
                ..Default::default()
            },
        )
        .unwrap_or_else(|e| panic!("{layer}.qml is not well-formed XML: {e}"));
        assert_eq!(doc.root_element().tag_name().name(), "qgis", "{layer}.qml");
        assert!(
            doc.descendants().any(|n| n.has_tag_name("renderer-v2")),
            "{layer}.qml has no renderer"
        );
        let fields = ogrinfo(&dir.join(format!("{layer}.geojson"))).fields;
        for name in style_fields(&doc) {
            assert!(
                fields.contains_key(&name),
                "{layer}.qml names {name:?}, not a field of the layer"
            );
        }
        // Categorised layers: every value in the data has its own symbol.
        let renderer = doc
            .descendants()
            .find(|n| n.has_tag_name("renderer-v2"))
            .unwrap();
        if renderer.attribute("type") == Some("categorizedSymbol") {
            let attr = renderer.attribute("attr").unwrap();
            let styled: BTreeSet<&str> = doc
                .descendants()
                .filter(|n| n.has_tag_name("category"))
                .filter_map(|n| n.attribute("value"))
                .collect();
            for f in geojson_features(&dir.join(format!("{layer}.geojson"))) {
                let v = f["properties"][attr].as_str().unwrap().to_string();
                assert!(
                    styled.contains(v.as_str()),
                    "{layer}.qml: no symbol for {attr} = {v}"
                );
            }
        }
    }
    let communities = std::fs::read_to_string(dir.join("communities.qml")).unwrap();
    assert!(
        communities.contains("fieldName=\"name\""),
        "communities labelled by name"
    );
    assert!(
        communities.contains("&quot;circle&quot;"),
        "life-circle outline rule"
    );
}

/// The project opens every layer from a file beside it (relative paths), in a
/// projected CRS, with each layer's style inline and filters on real fields.
#[test]
fn qgis_project_opens_existing_files() {
    let dir = monaco_outputs();
    let qgs = std::fs::read_to_string(dir.join("childcircle.qgs")).unwrap();
    let doc = roxmltree::Document::parse_with_options(
        &qgs,
        roxmltree::ParsingOptions {
            allow_dtd: true,
            ..Default::default()
        },
    )
    .unwrap_or_else(|e| panic!("childcircle.qgs is not well-formed XML: {e}"));
    let crs = doc
        .descendants()
        .find(|n| n.has_tag_name("projectCrs"))
        .and_then(|n| n.descendants().find(|n| n.has_tag_name("authid")))
        .and_then(|n| n.text())
        .unwrap();
    assert!(
        crs.starts_with("EPSG:326"),
        "Monaco is in a northern UTM zone: {crs}"
    );
    let layers: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("maplayer"))
        .collect();
    let ids: BTreeSet<&str> = layers
        .iter()
        .map(|l| {
            l.children()
                .find(|c| c.has_tag_name("id"))
                .unwrap()
                .text()
                .unwrap()
        })
        .collect();
    let mut files = BTreeSet::new();
    for l in &layers {
        let source = l
            .children()
            .find(|c| c.has_tag_name("datasource"))
            .unwrap()
            .text()
            .unwrap();
        let (path, subset) = source.split_once("|subset=").unwrap_or((source, ""));
        assert!(path.starts_with("./"), "relative path: {source}");
        let file = dir.join(&path[2..]);
        assert!(
            file.exists(),
            "the project names {source}, which is not in the output"
        );
        let fields = ogrinfo(&file).fields;
        for (i, part) in subset.split('"').enumerate() {
            assert!(
                i % 2 == 0 || fields.contains_key(part),
                "filter {subset:?} names no field"
            );
        }
        assert!(
            l.descendants().any(|n| n.has_tag_name("renderer-v2")),
            "{source}: no style"
        );
        files.insert(path[2..].to_string());
    }
    for layer in [
        "communities",
        "facilities",
        "isochrones",
        "coverage",
        "suggestions",
    ] {
        assert!(
            files.contains(&format!("{layer}.geojson")),
            "the project lacks {layer}"
        );
    }
    for node in doc
        .descendants()
        .filter(|n| n.has_tag_name("layer-tree-layer"))
    {
        assert!(
            ids.contains(node.attribute("id").unwrap()),
            "tree entry without a layer"
        );
    }
}

/// PNG width and height from the IHDR chunk.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    let be = |i: usize| u32::from_be_bytes(bytes[i..i + 4].try_into().unwrap());
    (be(16), be(20))
}

#[test]
fn static_maps_are_svg_and_png() {
    let dir = monaco_outputs();
    let svg = std::fs::read_to_string(dir.join("map.svg")).unwrap();
    let doc = roxmltree::Document::parse(&svg).expect("map.svg is well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    let text: String = doc.descendants().filter_map(|n| n.text()).collect();
    for expected in ["© OpenStreetMap contributors", "北"] {
        assert!(text.contains(expected), "map.svg lacks {expected:?}");
    }
    assert!(
        doc.descendants()
            .any(|n| matches!(n.text(), Some("m" | "km"))),
        "map.svg has no scale bar unit"
    );
    let communities = geojson_features(&dir.join("communities.geojson")).len();
    let filled = doc
        .descendants()
        .filter(|n| n.has_tag_name("path") && n.attribute("fill-rule") == Some("evenodd"))
        .count();
    assert!(
        filled >= communities,
        "map.svg draws {filled} areas for {communities} communities"
    );
    let png = std::fs::read(dir.join("map.png")).unwrap();
    assert_eq!(png_size(&png), (3200, 2262));
    assert!(
        png.len() > 200_000,
        "map.png is nearly empty: {} bytes",
        png.len()
    );
    assert!(
        childcircle_report::cjk_font_available(),
        "no CJK font: map.png falls back to English labels; install fonts-noto-cjk (CI does)"
    );
}

/// Opens report.html in headless Chromium, as the planner would, offline.
fn chromium(html: &Path, extra: &[&str]) -> Output {
    let profile = tempfile::tempdir().unwrap();
    let user_data = format!("--user-data-dir={}", profile.path().display());
    let url = format!("file://{}", html.display());
    let mut args = vec![
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--enable-logging=stderr",
        "--v=0",
        "--virtual-time-budget=10000",
        user_data.as_str(),
    ];
    args.extend_from_slice(extra);
    args.push(&url);
    tool("chromium", "chromium", &args)
}

#[test]
fn html_report_loads_offline_and_draws_the_layers() {
    let dir = monaco_outputs();
    let html = dir.join("report.html");
    let text = std::fs::read_to_string(&html).unwrap();
    for external in ["src=\"http", "url(http", "url(images/", "@import"] {
        assert!(
            !text.contains(external),
            "report.html refers to {external}…: it must work offline"
        );
    }
    let out = chromium(&html, &["--dump-dom"]);
    let log = String::from_utf8_lossy(&out.stderr);
    let console: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("CONSOLE") || l.contains("Uncaught") || l.contains("net::ERR"))
        .collect();
    assert!(
        console.is_empty(),
        "console messages:\n{}",
        console.join("\n")
    );
    let dom = String::from_utf8_lossy(&out.stdout);
    let count = |needle: &str| dom.matches(needle).count();
    let communities = geojson_features(&dir.join("communities.geojson")).len();
    let facilities = geojson_features(&dir.join("facilities.geojson")).len();
    assert!(
        count("leaflet-interactive") >= communities,
        "community polygons drawn: {}",
        count("leaflet-interactive")
    );
    assert!(
        count("fac fac-") >= facilities,
        "facility markers drawn: {}",
        count("fac fac-")
    );
    assert!(
        count("class=\"leaflet-marker-icon site") >= 1,
        "suggested sites drawn"
    );
    assert!(
        count("leaflet-control-layers-overlays") == 1,
        "layer control"
    );
    assert!(count("class=\"bar\"") >= 9, "coverage chart per category");
    assert!(
        dom.contains("目标 target 30.0%"),
        "target line in the district chart"
    );
    assert!(dom.contains("© OpenStreetMap contributors"), "attribution");
}

/// Chromium's console logging is what the report test relies on: a script
/// error must show up in the log it reads.
#[test]
fn chromium_reports_script_errors() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("broken.html");
    std::fs::write(
        &page,
        "<html><body><script>undefinedFunction();</script></body></html>",
    )
    .unwrap();
    let out = chromium(&page, &["--dump-dom"]);
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(
        log.contains("Uncaught"),
        "chromium did not log the error:\n{log}"
    );
}

#[test]
fn bureau_tables_are_excel_ready_csv() {
    let dir = monaco_outputs();
    for (file, header) in [
        ("districts.csv", "层级 level"),
        ("gaps.csv", "类别 category"),
    ] {
        let bytes = std::fs::read(dir.join(file)).unwrap();
        assert!(
            bytes.starts_with("\u{feff}".as_bytes()),
            "{file}: UTF-8 BOM for Excel"
        );
        let text = String::from_utf8(bytes).unwrap();
        let first = text.trim_start_matches('\u{feff}').lines().next().unwrap();
        assert!(first.starts_with(header), "{file}: {first}");
        assert!(text.contains("\r\n"), "{file}: CRLF rows");
    }
    let districts = std::fs::read_to_string(dir.join("districts.csv")).unwrap();
    assert!(districts.contains("meets_target"), "target column");
    assert!(
        districts.lines().any(|l| l.starts_with("合计 total")),
        "total row"
    );
}

/// The tables on the Dezhou model: per district from the shipped outlines,
/// per subdistrict from the communities, and the total.
#[test]
fn district_tables_count_every_community_once_per_level() {
    use childcircle::findings::districts::{district_tables, read_districts, Level};
    let a = childcircle::analyze(&data("dezhou/decheng.osm.pbf")).unwrap();
    let districts = read_districts(&data("dezhou/districts.geojson")).unwrap();
    assert_eq!(districts.districts.len(), 11);
    let t = district_tables(&a, Some(&districts.districts), Some(0.3));
    let sum = |level: Level| -> usize {
        t.rows
            .iter()
            .filter(|r| r.level == level)
            .map(|r| r.communities)
            .sum()
    };
    let n = a.communities.len();
    assert_eq!(sum(Level::District), n);
    assert_eq!(sum(Level::Subdistrict), n);
    assert_eq!(sum(Level::Total), n);
    let decheng = t
        .rows
        .iter()
        .find(|r| r.name == "德城区")
        .expect("德城区 row");
    assert!(decheng.communities > n / 2, "the model lies in 德城区");
    let subdistricts: Vec<&str> = t
        .rows
        .iter()
        .filter(|r| r.level == Level::Subdistrict)
        .map(|r| r.name.as_str())
        .collect();
    assert!(subdistricts.contains(&"天衢街道"), "{subdistricts:?}");
    for r in &t.rows {
        assert_eq!(
            r.meets_target,
            Some(r.share_life_circle >= 0.3),
            "{}",
            r.name
        );
        // Both levels carry the residents of their buildings (issue 15),
        // each level in its own row.
        assert!(r.population.is_some(), "{} {:?}", r.name, r.kind);
    }
    // Without outlines: subdistrict rows and the total only.
    let t = district_tables(&a, None, None);
    assert!(t
        .rows
        .iter()
        .all(|r| r.level != Level::District && r.meets_target.is_none()));
    assert_eq!(
        t.rows
            .iter()
            .filter(|r| r.level == Level::Subdistrict)
            .map(|r| r.communities)
            .sum::<usize>(),
        n
    );
}

/// The report's map draws the walking network under the layers, and
/// suggested sites keep their category's colour with a legend entry per
/// category, in the report and on the static map alike.
#[test]
fn report_map_draws_streets_and_sites_by_category() {
    let out = monaco_outputs();
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    let start = html.find("var DATA = ").unwrap() + "var DATA = ".len();
    let end = start + html[start..].find(";\n</script>").unwrap();
    let data: serde_json::Value =
        serde_json::from_str(&html[start..end].replace("<\\/", "</")).unwrap();
    let streets = data["streets"]["features"]
        .as_array()
        .expect("streets in the report");
    let lines: usize = streets
        .iter()
        .map(|f| f["geometry"]["coordinates"].as_array().unwrap().len())
        .sum();
    assert!(lines > 100, "the walking network is drawn: {lines} lines");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert!(
        summary["data_note"].is_null(),
        "a real extract is not called synthetic"
    );
    let categories = data["categories"].as_array().unwrap();
    let sites = data["sites"].as_array().unwrap();
    assert!(!sites.is_empty());
    for s in sites {
        let k = s["k"].as_u64().unwrap() as usize;
        assert_eq!(s["colour"], categories[k]["colour"], "{s}");
    }
    let svg = std::fs::read_to_string(out.join("map.svg")).unwrap();
    for id in ["kinder", "play"] {
        let c = categories.iter().find(|c| c["id"] == id).unwrap();
        let zh = c["zh"].as_str().unwrap();
        assert!(
            html.contains(&format!("建议新址 {zh} 1–")),
            "report legend for {id}"
        );
        assert!(
            svg.contains(&format!("建议新址 · {zh}")),
            "map legend for {id}"
        );
    }
}

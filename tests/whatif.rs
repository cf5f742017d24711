//! The what-if API of `childcircle serve`, as the page meets it: the real
//! binary on a loopback port with the Monaco extract, raw HTTP. An added
//! kindergarten must give the figures of a batch `analyze --facilities` run
//! with that kindergarten in the list.

use support::childcircle_bin;

#[path = "serve_support/mod.rs"]
mod support;

use std::process::Command;

use serde_json::{json, Value};
use support::{get, monaco, post, Conn, Server};

/// A point on Monaco's streets (Fontvieille), for edits whose effect does not matter.
const LON: f64 = 7.4155;
const LAT: f64 = 43.7300;

/// A point where a new kindergarten brings some community into the
/// kindergarten category: the centre of the first community (in the order
/// `/api/base` lists them) for which it does, tried in a scratch scenario.
fn kinder_point(server: &Server) -> (f64, f64) {
    let base = get(&server.addr, "/api/base").unwrap().json();
    let scratch = create(server);
    for c in base["communities"].as_array().unwrap() {
        let Some(ring) = c["outline"][0].as_array() else {
            continue;
        };
        let n = ring.len() as f64;
        let lon = ring.iter().map(|p| p[0].as_f64().unwrap()).sum::<f64>() / n;
        let lat = ring.iter().map(|p| p[1].as_f64().unwrap()).sum::<f64>() / n;
        let r = edit(
            server,
            &scratch,
            json!({"op": "add", "category": "kinder", "lon": lon, "lat": lat}),
        );
        if r.status != 200 {
            continue;
        }
        // A centre next to a street (the units now include blocks whose
        // centres can lie far inside), where a kindergarten changes something.
        let answer = r.json();
        let near_street = answer["applied"]["snap_m"].as_f64() <= Some(50.0);
        if near_street && answer["diff"]["categories"]["kinder"]["joined_count"].as_u64() > Some(0)
        {
            return (lon, lat);
        }
        edit(server, &scratch, json!({"op": "undo"}));
    }
    panic!("no community centre of Monaco gains a kindergarten");
}

fn create(server: &Server) -> String {
    let r = post(&server.addr, "/api/scenarios", b"").unwrap();
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    r.json()["id"].as_str().unwrap().to_string()
}

fn edit(server: &Server, id: &str, body: Value) -> support::Response {
    post(
        &server.addr,
        &format!("/api/scenarios/{id}/edits"),
        &serde_json::to_vec(&body).unwrap(),
    )
    .unwrap()
}

fn error(r: &support::Response) -> String {
    r.json()["error"].as_str().unwrap_or_default().to_string()
}

/// The per-category covered counts and the life circle of a batch run.
fn batch_figures(dir: &std::path::Path, facilities: Option<&std::path::Path>) -> Value {
    let out = dir.join(if facilities.is_some() {
        "with"
    } else {
        "without"
    });
    let mut cmd = Command::new(childcircle_bin());
    cmd.arg("analyze")
        .arg(monaco())
        .arg("--out")
        .arg(&out)
        .arg("--no-isochrones")
        .arg("--quiet");
    if let Some(f) = facilities {
        cmd.arg("--facilities").arg(f);
    }
    let o = cmd.output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let summary: Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    let cats: serde_json::Map<String, Value> = summary["categories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_string(),
                c["communities_covered"].clone(),
            )
        })
        .collect();
    json!({"life_circle": summary["overall"]["life_circle"], "categories": cats})
}

fn scenario_figures(state: &Value) -> Value {
    let cats: serde_json::Map<String, Value> = state["after"]["categories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_string(),
                c["covered"]["communities"].clone(),
            )
        })
        .collect();
    json!({"life_circle": state["after"]["life_circle"]["communities"], "categories": cats})
}

#[test]
fn an_added_kindergarten_gives_the_batch_figures() {
    let server = Server::start(&monaco(), &[]);
    let dir = tempfile::tempdir().unwrap();
    let (lon, lat) = kinder_point(&server);
    let id = create(&server);
    let r = edit(
        &server,
        &id,
        json!({"op": "add", "category": "kinder", "lon": lon, "lat": lat, "name": "新园"}),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let state = r.json();
    assert!(state["applied"]["snap_m"].as_f64().unwrap() <= 50.0);
    assert_eq!(state["edits"].as_array().unwrap().len(), 1);
    let before = batch_figures(dir.path(), None);
    let list = dir.path().join("new.csv");
    std::fs::write(
        &list,
        format!("name,category,lon,lat\n新园,kinder,{lon},{lat}\n"),
    )
    .unwrap();
    let after = batch_figures(dir.path(), Some(&list));
    assert_eq!(
        scenario_figures(&state),
        after,
        "scenario vs analyze --facilities"
    );
    assert_ne!(
        before, after,
        "the new kindergarten changes nothing: pick another point"
    );
    // The before column is the batch run without it.
    let b: Value = {
        let s = &state;
        let cats: serde_json::Map<String, Value> = s["before"]["categories"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["id"].as_str().unwrap().to_string(),
                    c["covered"]["communities"].clone(),
                )
            })
            .collect();
        json!({"life_circle": s["before"]["life_circle"]["communities"], "categories": cats})
    };
    assert_eq!(b, before);
    let joined = state["diff"]["categories"]["kinder"]["joined_count"]
        .as_u64()
        .unwrap();
    assert!(joined > 0);

    // The export feeds the batch run: its new sites as a facility file.
    let r = get(
        &server.addr,
        &format!("/api/scenarios/{id}/facilities.geojson?only=new"),
    )
    .unwrap();
    assert_eq!(r.status, 200);
    let file = dir.path().join("scenario.geojson");
    std::fs::write(&file, &r.body).unwrap();
    assert_eq!(
        batch_figures(dir.path(), Some(&file)),
        after,
        "analyze --facilities scenario.geojson"
    );
    let r = get(&server.addr, &format!("/api/scenarios/{id}/changed.csv")).unwrap();
    assert_eq!(r.status, 200);
    assert!(r.body.starts_with("\u{feff}id,name,".as_bytes()));
    let rows = String::from_utf8(r.body).unwrap().lines().count() - 1;
    assert_eq!(
        rows as u64,
        state["diff"]["changed_communities"].as_u64().unwrap()
    );

    // Undo gives the base back; redo the edit again.
    let undone = edit(&server, &id, json!({"op": "undo"})).json();
    assert_eq!(undone["diff"]["changed_communities"], 0);
    assert_eq!(undone["redo"], 1);
    let redone = edit(&server, &id, json!({"op": "redo"})).json();
    assert_eq!(scenario_figures(&redone), after);
}

#[test]
fn bad_edits_get_reasons_and_scenarios_are_isolated() {
    let server = Server::start(&monaco(), &[]);
    let (a, b) = (create(&server), create(&server));
    assert_ne!(a, b);
    assert_eq!(a.len(), 32);
    let cases: [(Value, u16, &str); 8] = [
        (
            json!({"op": "add", "category": "zoo", "lon": LON, "lat": LAT}),
            400,
            "category \"zoo\" is not one of",
        ),
        (
            json!({"op": "add", "category": "kinder"}),
            400,
            "needs \"lon\" and \"lat\"",
        ),
        (
            json!({"op": "add", "category": "kinder", "lon": 700, "lat": LAT}),
            400,
            "not a longitude/latitude",
        ),
        (json!({"op": "teleport"}), 400, "op \"teleport\" is not add"),
        (
            json!({"op": "remove", "facility": "x"}),
            400,
            "the edit is not valid",
        ),
        (
            json!({"op": "add", "category": "kinder", "lon": 2.35, "lat": 48.85}),
            422,
            "outside the loaded extract",
        ),
        (
            json!({"op": "remove", "facility": 999_999}),
            422,
            "facility 999999 does not exist",
        ),
        (json!({"op": "undo"}), 422, "nothing to undo"),
    ];
    for (body, status, reason) in cases {
        let r = edit(&server, &a, body.clone());
        assert_eq!(
            r.status,
            status,
            "{body}: {}",
            String::from_utf8_lossy(&r.body)
        );
        assert!(error(&r).contains(reason), "{body}: {:?}", error(&r));
    }
    // Inside the extract's box but in the sea, beyond the snap limit.
    let r = edit(
        &server,
        &a,
        json!({"op": "add", "category": "kinder", "lon": 7.4380, "lat": 43.7380}),
    );
    if r.status != 200 {
        assert_eq!(r.status, 422);
        assert!(error(&r).contains("from any walkable way"), "{}", error(&r));
    }
    let r = post(
        &server.addr,
        &format!("/api/scenarios/{a}/edits"),
        b"{not json",
    )
    .unwrap();
    assert_eq!(r.status, 400);
    // Unknown ids: 404, on every scenario endpoint.
    for path in ["", "/edits", "/facilities.geojson", "/changed.csv"] {
        let p = format!("/api/scenarios/0123456789abcdef0123456789abcdef{path}");
        let r = if path == "/edits" {
            post(&server.addr, &p, br#"{"op":"undo"}"#).unwrap()
        } else {
            get(&server.addr, &p).unwrap()
        };
        assert_eq!(r.status, 404, "{p}");
        assert!(error(&r).contains("no scenario"), "{p}");
    }
    // An edit in one scenario is not seen by the other.
    let r = edit(
        &server,
        &a,
        json!({"op": "add", "category": "kinder", "lon": LON, "lat": LAT}),
    );
    assert_eq!(r.status, 200);
    let sb = get(&server.addr, &format!("/api/scenarios/{b}"))
        .unwrap()
        .json();
    assert_eq!(sb["edits"].as_array().unwrap().len(), 0);
    assert_eq!(sb["diff"]["changed_communities"], 0);
    // Import a's file into b: the same state.
    let file = get(
        &server.addr,
        &format!("/api/scenarios/{a}/facilities.geojson"),
    )
    .unwrap();
    let r = post(
        &server.addr,
        &format!("/api/scenarios/{b}/import"),
        &file.body,
    )
    .unwrap();
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let sa = get(&server.addr, &format!("/api/scenarios/{a}"))
        .unwrap()
        .json();
    assert_eq!(r.json()["after"], sa["after"]);
    let r = post(
        &server.addr,
        &format!("/api/scenarios/{b}/import"),
        b"[1,2]",
    )
    .unwrap();
    assert_eq!(r.status, 400);
    assert!(
        error(&r).contains("not a GeoJSON FeatureCollection"),
        "{}",
        error(&r)
    );
}

#[test]
fn the_page_and_its_assets_are_served_and_isochrones_answer() {
    let server = Server::start(&monaco(), &[]);
    let page = get(&server.addr, "/").unwrap();
    assert_eq!(page.status, 200);
    let html = String::from_utf8(page.body).unwrap();
    assert!(html.contains("规划推演") && html.contains("What-if planning"));
    for asset in [
        "app.js",
        "app.css",
        "leaflet.js",
        "leaflet.css",
        "leaflet-LICENSE.txt",
    ] {
        let r = get(&server.addr, &format!("/assets/{asset}")).unwrap();
        assert_eq!(r.status, 200, "{asset}");
        assert!(!r.body.is_empty());
    }
    assert_eq!(
        get(&server.addr, "/assets/../Cargo.toml").unwrap().status,
        404
    );
    let base = get(&server.addr, "/api/base").unwrap().json();
    assert!(base["streets"].as_array().unwrap().len() > 1000);
    assert_eq!(
        base["communities"].as_array().unwrap().len(),
        base["figures"]["communities"].as_u64().unwrap() as usize
    );
    let iso = get(&server.addr, &format!("/api/isochrone?lon={LON}&lat={LAT}")).unwrap();
    assert_eq!(iso.status, 200);
    let iso = iso.json();
    let minutes: Vec<f64> = iso["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["minutes"].as_f64().unwrap())
        .collect();
    assert_eq!(minutes, [15.0, 10.0, 5.0]);
    assert_eq!(
        get(&server.addr, "/api/isochrone?lon=x&lat=1")
            .unwrap()
            .status,
        400
    );
    // The old APIs still answer beside the new one.
    let mut conn = Conn::open(&server.addr).unwrap();
    assert_eq!(conn.request("GET", "/status", b"").unwrap().status, 200);
}

/// Thousands of edits in one scenario stay within its stated memory bound
/// (the edit limit caps the lists), and the server's RSS stays bounded.
#[test]
fn many_edits_stay_within_the_memory_bound() {
    let server = Server::start(&monaco(), &[]);
    let id = create(&server);
    let mut conn = Conn::open(&server.addr).unwrap();
    let path = format!("/api/scenarios/{id}/edits");
    let add = serde_json::to_vec(&json!({"op": "add", "category": "play", "lon": LON, "lat": LAT}))
        .unwrap();
    let rss0 = server.rss_kib();
    let mut last = Value::Null;
    // Adds and undos, so the done and undone lists both grow.
    for i in 0..3000 {
        let body: &[u8] = if i % 3 == 2 {
            br#"{"op":"undo"}"#
        } else {
            &add
        };
        let r = conn.request("POST", &path, body).unwrap();
        assert_eq!(
            r.status,
            200,
            "edit {i}: {}",
            String::from_utf8_lossy(&r.body)
        );
        last = r.json();
    }
    assert_eq!(last["edits"].as_array().unwrap().len(), 1000);
    let base = get(&server.addr, "/api/base").unwrap().json();
    let bound = base["limits"]["scenario_max_bytes"].as_u64().unwrap();
    let held = last["memory_bytes"].as_u64().unwrap();
    assert!(held <= bound, "{held} > bound {bound}");
    let rss1 = server.rss_kib();
    assert!(
        rss1 < rss0 + bound / 1024 + 16 * 1024,
        "RSS grew from {rss0} to {rss1} KiB (bound {bound} bytes)"
    );
}

/// The page in headless Debian Chromium (Selenium from the test venv, the
/// system chromedriver): a click on the map adds a kindergarten; the figures
/// the page then shows equal a batch `analyze --facilities` run with that
/// kindergarten; the console has no errors; the screenshot is kept as
/// `target/whatif-page.png`.
#[test]
fn the_page_adds_a_kindergarten_in_headless_chromium() {
    for exe in ["/usr/bin/chromium", "/usr/bin/chromedriver"] {
        assert!(
            std::path::Path::new(exe).exists(),
            "{exe} is missing: apt-get install chromium chromium-driver"
        );
    }
    let python = support::venv_python();
    let server = Server::start(&monaco(), &[]);
    let (want_lon, want_lat) = kinder_point(&server);
    let shot = support::manifest_dir().join("target/whatif-page.png");
    let out = Command::new(&python)
        .arg(support::manifest_dir().join("tests/python/whatif_browser.py"))
        .args([server.url(), want_lon.to_string(), want_lat.to_string()])
        .arg(&shot)
        .output()
        .expect("run tests/python/whatif_browser.py");
    assert!(
        out.status.success(),
        "whatif_browser.py failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(out.stdout.trim_ascii()).unwrap_or_else(|e| {
        panic!("{e}: {}", String::from_utf8_lossy(&out.stdout));
    });
    assert_eq!(report["errors"], json!([]), "console errors");
    assert_eq!(report["edit"]["op"], "add");
    assert_eq!(report["edit"]["category"], "kinder");
    let at = report["edit"]["lonlat"].as_array().unwrap();
    let (lon, lat) = (at[0].as_f64().unwrap(), at[1].as_f64().unwrap());
    assert!(
        (lon - want_lon).abs() < 1e-4 && (lat - want_lat).abs() < 1e-4,
        "clicked at {lon}, {lat}"
    );
    assert!(report["joined"].as_u64() > Some(0), "{report}");
    assert!(
        report["message"].as_str().unwrap().contains("snapped"),
        "{}",
        report["message"]
    );
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("clicked.csv");
    std::fs::write(
        &list,
        format!("name,category,lon,lat\nclick,kinder,{lon},{lat}\n"),
    )
    .unwrap();
    let mut shown = report["shown"].clone();
    // The children row is shown exactly when the communities carry children.
    let children = shown.as_object_mut().unwrap().remove("children");
    assert_eq!(
        children.is_some(),
        report["children_known"] == true,
        "{report}"
    );
    if let Some(c) = children {
        assert_eq!(c.as_f64(), report["children_after"].as_f64());
    }
    assert_eq!(shown, batch_figures(dir.path(), Some(&list)));
    // The suggested sites the page got are all drawn.
    assert_eq!(
        report["sites"]["drawn"], report["sites"]["listed"],
        "{report}"
    );
    assert!(report["sites"]["listed"].as_u64() > Some(0), "{report}");
    let png = std::fs::read(&shot).unwrap();
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "screenshot"
    );
}

/// `var DATA = …;` of a report.html, parsed.
fn report_data(html: &str) -> Value {
    let start = html.find("var DATA = ").expect("report.html embeds DATA") + "var DATA = ".len();
    let end = start + html[start..].find(";\n</script>").expect("DATA ends");
    serde_json::from_str(&html[start..end].replace("<\\/", "</")).unwrap()
}

/// The scenario's snapshot through the report writers: map.png decodes at
/// the report's size and is not blank; report.html shows the after state
/// (its facilities, the communities in the life circle as the page's after
/// figures count them); the district outlines, the children in the figures
/// and the suggested sites on the Dezhou model; bad requests get reasons.
#[test]
fn the_snapshot_is_drawn_by_the_report_writers() {
    let model = support::manifest_dir().join("data/dezhou/decheng.osm.pbf");
    let server = Server::start(&model, &[]);
    let base = get(&server.addr, "/api/base").unwrap().json();
    let districts = base["districts"].as_array().unwrap();
    assert!(!districts.is_empty(), "the Dezhou model's districts");
    assert!(districts
        .iter()
        .all(|d| !d["outline"][0].as_array().unwrap().is_empty()));
    assert!(
        base["figures"]["children"].as_f64() > Some(0.0),
        "children known"
    );
    let id = create(&server);
    // Suggested sites over the scenario's coverage: add the first one.
    let r = get(
        &server.addr,
        &format!("/api/scenarios/{id}/suggestions?category=kinder&k=3"),
    )
    .unwrap();
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let sites = r.json();
    let first = &sites["sites"][0];
    assert_eq!(first["rank"], 1);
    assert!(first["newly_covered"].as_u64() > Some(0), "{sites}");
    let at = first["lonlat"].as_array().unwrap();
    let state = edit(
        &server,
        &id,
        json!({"op": "add", "category": "kinder", "lon": at[0], "lat": at[1]}),
    );
    assert_eq!(
        state.status,
        200,
        "{}",
        String::from_utf8_lossy(&state.body)
    );
    let state = state.json();
    let kinder = state["after"]["categories"]
        .as_array()
        .unwrap()
        .iter()
        .position(|c| c["id"] == "kinder")
        .unwrap();
    let (b, a) = (
        &state["before"]["categories"][kinder]["covered"],
        &state["after"]["categories"][kinder]["covered"],
    );
    assert!(a["communities"].as_u64() > b["communities"].as_u64());
    assert!(a["children"].as_f64() > b["children"].as_f64(), "{b} → {a}");
    let gained = state["diff"]["categories"]["kinder"]["children_gained"]
        .as_f64()
        .unwrap();
    let d = a["children"].as_f64().unwrap() - b["children"].as_f64().unwrap();
    assert!(
        (gained - d).abs() < 1e-3,
        "children gained {gained}, figures {d}"
    );

    let r = get(&server.addr, &format!("/api/scenarios/{id}/map.png")).unwrap();
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.header("content-type"), Some("image/png"));
    let png = resvg::tiny_skia::Pixmap::decode_png(&r.body).expect("map.png decodes");
    assert_eq!((png.width(), png.height()), (3200, 2262));
    let first_pixel = png.pixels()[0];
    let differing = png.pixels().iter().filter(|p| **p != first_pixel).count();
    assert!(
        differing > png.pixels().len() / 20,
        "map.png is nearly blank"
    );

    let r = get(
        &server.addr,
        &format!("/api/scenarios/{id}/report.html?target=0.5"),
    )
    .unwrap();
    assert_eq!(r.status, 200);
    let html = String::from_utf8(r.body).unwrap();
    let data = report_data(&html);
    let facilities: u64 = state["after"]["categories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["facilities"].as_u64().unwrap())
        .sum();
    assert_eq!(
        data["facilities"].as_array().unwrap().len() as u64,
        facilities
    );
    let communities = data["communities"]["features"].as_array().unwrap();
    let in_circle = communities
        .iter()
        .filter(|f| f["properties"]["circle"] == true)
        .count() as u64;
    assert_eq!(
        in_circle,
        state["after"]["life_circle"]["communities"]
            .as_u64()
            .unwrap()
    );
    let covered = communities
        .iter()
        .filter(|f| f["properties"]["ok"][kinder] == true)
        .count() as u64;
    assert_eq!(covered, a["communities"].as_u64().unwrap());
    assert_eq!(
        data["districts"]["features"].as_array().unwrap().len(),
        districts.len()
    );
    assert!(html.contains(&format!("<div class=\"value\">{facilities}</div>")));

    for (path, reason) in [
        ("report.html?target=7", "a share from 0 to 1"),
        ("suggestions?category=zoo", "category \"zoo\""),
        ("suggestions?category=kinder&k=0", "from 1 to 20"),
    ] {
        let r = get(&server.addr, &format!("/api/scenarios/{id}/{path}")).unwrap();
        assert_eq!(r.status, 400, "{path}");
        assert!(error(&r).contains(reason), "{path}: {}", error(&r));
    }
    let r = get(
        &server.addr,
        "/api/scenarios/0123456789abcdef0123456789abcdef/map.png",
    )
    .unwrap();
    assert_eq!(r.status, 404);
}

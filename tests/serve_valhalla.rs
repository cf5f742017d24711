//! The same isochrone requests to `childcircle serve` and to the real
//! Valhalla (`valhalla_service` from PyPI's pyvalhalla, tiles built from the
//! same extract): response keys and feature order must match; polygon
//! agreement (IoU per contour) is printed for the README and held only to a
//! loose sanity bound. `CHILDCIRCLE_COMPARE_EXTRACT` and
//! `CHILDCIRCLE_COMPARE_BBOX` (`minlon,minlat,maxlon,maxlat`) run it on
//! another extract.

#[path = "serve_support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use geo::{Area, BooleanOps, Coord, LineString, MultiPolygon, Polygon};
use serde_json::{json, Value};
use support::{free_port, get, monaco, post, valhalla_paths, venv_python, Server};

/// What Valhalla's responses lack and ours add (the childcircle extension).
const EXTENSION: [&str; 5] = [
    "reach_pop",
    "reach_pop_communities",
    "communities_reached",
    "communities",
    "children",
];

/// A running `valhalla_service`, killed when dropped.
struct Valhalla {
    child: Child,
    addr: String,
}

impl Drop for Valhalla {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Builds Valhalla tiles of `extract` in `dir` and starts its service.
fn start_valhalla(extract: &Path, dir: &Path) -> Valhalla {
    let (bin, libs) = valhalla_paths();
    let tiles = dir.join("tiles");
    std::fs::create_dir_all(&tiles).unwrap();
    let port = free_port();
    let config = dir.join("valhalla.json");
    let script = format!(
        "import json\nfrom valhalla import get_config\nc = get_config(tile_extract='', tile_dir={tiles:?})\n\
         s = c['httpd']['service']\ns['listen'] = 'tcp://127.0.0.1:{port}'\n\
         s['loopback'] = 'ipc://{d}/loopback'\ns['interrupt'] = 'ipc://{d}/interrupt'\n\
         json.dump(c, open({config:?}, 'w'))\n",
        d = dir.display(),
    );
    let ok = Command::new(venv_python())
        .args(["-c", &script])
        .status()
        .unwrap();
    assert!(ok.success(), "writing the Valhalla config failed");
    let run = |name: &str| {
        let mut c = Command::new(bin.join(name));
        c.env("LD_LIBRARY_PATH", &libs);
        c
    };
    let out = run("valhalla_build_tiles")
        .arg("-c")
        .arg(&config)
        .arg(extract)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "valhalla_build_tiles failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let child = run("valhalla_service")
        .arg(&config)
        .arg("1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let v = Valhalla {
        child,
        addr: format!("127.0.0.1:{port}"),
    };
    let t = Instant::now();
    while get(&v.addr, "/status").map_or(true, |r| r.status != 200) {
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "valhalla_service never answered"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    v
}

fn polygons(geometry: &Value) -> MultiPolygon<f64> {
    let ring = |r: &Value| -> LineString<f64> {
        r.as_array()
            .unwrap()
            .iter()
            .map(|p| Coord {
                x: p[0].as_f64().unwrap(),
                y: p[1].as_f64().unwrap(),
            })
            .collect()
    };
    let polygon = |rings: &Value| {
        let rings = rings.as_array().unwrap();
        match rings.split_first() {
            Some((outer, holes)) => Polygon::new(ring(outer), holes.iter().map(ring).collect()),
            None => Polygon::new(LineString(vec![]), vec![]),
        }
    };
    match geometry["type"].as_str() {
        Some("Polygon") => MultiPolygon(vec![polygon(&geometry["coordinates"])]),
        Some("MultiPolygon") => MultiPolygon(
            geometry["coordinates"]
                .as_array()
                .unwrap()
                .iter()
                .map(polygon)
                .collect(),
        ),
        other => panic!("not a polygon: {other:?}"),
    }
}

fn iou(a: &MultiPolygon<f64>, b: &MultiPolygon<f64>) -> f64 {
    let union = a.union(b).unsigned_area();
    if union == 0.0 {
        return 0.0;
    }
    a.intersection(b).unsigned_area() / union
}

fn keys(v: &Value) -> Vec<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[test]
fn same_requests_as_real_valhalla() {
    const SEED: u64 = 2026;
    venv_python();
    let extract = std::env::var_os("CHILDCIRCLE_COMPARE_EXTRACT")
        .map(PathBuf::from)
        .unwrap_or_else(monaco);
    let bbox: Vec<f64> = std::env::var("CHILDCIRCLE_COMPARE_BBOX")
        .unwrap_or_else(|_| "7.415,43.728,7.430,43.745".into())
        .split(',')
        .map(|s| s.parse().unwrap())
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let valhalla = start_valhalla(&extract, dir.path());
    // The adult age group has no crossing model; both walk at 3.6 km/h.
    let ours = Server::start(&extract, &["--age", "adult"]);
    let mut rng = SEED;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        (rng >> 11) as f64 / (1u64 << 53) as f64
    };
    let minutes = [5.0, 10.0, 15.0];
    let mut ious: Vec<Vec<f64>> = vec![vec![]; minutes.len()];
    let mut compared = 0;
    for _ in 0..20 {
        let lon = bbox[0] + (bbox[2] - bbox[0]) * next();
        let lat = bbox[1] + (bbox[3] - bbox[1]) * next();
        let body = serde_json::to_vec(&json!({
            "locations": [{"lat": lat, "lon": lon}],
            "costing": "pedestrian",
            "costing_options": {"pedestrian": {"walking_speed": 3.6}},
            "contours": minutes.iter().map(|m| json!({"time": m})).collect::<Vec<_>>(),
            "polygons": true, "denoise": 1.0, "generalize": 10, "id": "cmp",
        }))
        .unwrap();
        let a = post(&ours.addr, "/isochrone", &body).unwrap();
        if a.status != 200 {
            continue; // off our network (171): Valhalla answers a stub there
        }
        let b = post(&valhalla.addr, "/isochrone", &body).unwrap();
        assert_eq!(
            b.status,
            200,
            "seed {SEED}: {}",
            String::from_utf8_lossy(&b.body)
        );
        let (a, b) = (a.json(), b.json());
        assert_eq!(keys(&a), keys(&b), "seed {SEED}: top-level keys");
        let (fa, fb) = (
            a["features"].as_array().unwrap(),
            b["features"].as_array().unwrap(),
        );
        assert_eq!(
            fa.len(),
            fb.len(),
            "seed {SEED}: feature count at {lon},{lat}"
        );
        for (k, (x, y)) in fa.iter().zip(fb).enumerate() {
            assert_eq!(keys(x), keys(y), "seed {SEED}: feature keys");
            assert_eq!(
                x["properties"]["contour"], y["properties"]["contour"],
                "seed {SEED}: feature order"
            );
            assert_eq!(
                x["properties"]["color"], y["properties"]["color"],
                "seed {SEED}: colours"
            );
            let ours: Vec<String> = keys(&x["properties"])
                .into_iter()
                .filter(|k| !EXTENSION.contains(&k.as_str()))
                .collect();
            assert_eq!(ours, keys(&y["properties"]), "seed {SEED}: property keys");
            let i = minutes.len() - 1 - k;
            ious[i].push(iou(&polygons(&x["geometry"]), &polygons(&y["geometry"])));
        }
        compared += 1;
    }
    assert!(
        compared >= 5,
        "seed {SEED}: only {compared} points on the network"
    );
    for (m, v) in minutes.iter().zip(&ious) {
        let med = median(v.clone());
        eprintln!(
            "{}: {m} min, {} points: IoU median {med:.2}, min {:.2}, max {:.2}",
            extract.display(),
            v.len(),
            v.iter().copied().fold(1.0, f64::min),
            v.iter().copied().fold(0.0, f64::max)
        );
        assert!(
            med > 0.3,
            "seed {SEED}: {m}-minute polygons barely agree (median IoU {med:.2})"
        );
    }
}

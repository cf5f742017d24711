//! Tiles with a halo (`childcircle plan` / `tile` / `merge`): exact against
//! one run, a negative control with half the halo, and the Ray driver on a
//! real two-node cluster on loopback (tests/python/ray_cluster.py).

#[path = "bin/mod.rs"]
mod bin;
use bin::childcircle_bin;

use std::path::{Path, PathBuf};
use std::process::Command;

use childcircle::tiles::merge::sort_layer;
use childcircle::tiles::Plan;

fn bin() -> &'static std::path::Path {
    childcircle_bin()
}

fn run(args: &[&str]) {
    let out = Command::new(bin())
        .args(args)
        .output()
        .expect("run childcircle");
    assert!(
        out.status.success(),
        "childcircle {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// The synthetic prefecture model (deterministic), written once per test run.
fn prefecture(dir: &Path) -> PathBuf {
    let pbf = dir.join("prefecture.osm.pbf");
    run(&[
        "--quiet",
        "synth",
        "--region",
        "prefecture",
        "--out",
        s(&pbf),
    ]);
    pbf
}

/// Plans, runs every tile and merges; returns the plan and the output directory.
fn tiled(
    extract: &Path,
    dir: &Path,
    name: &str,
    tile_deg: &str,
    extra: &[&str],
) -> (Plan, PathBuf) {
    let plan_dir = dir.join(name);
    let mut args = vec![
        "--quiet",
        "plan",
        s(extract),
        "--tile-deg",
        tile_deg,
        "--out",
        s(&plan_dir),
    ];
    args.extend_from_slice(extra);
    run(&args);
    let plan = run_tiles(&plan_dir);
    let out = dir.join(format!("{name}-out"));
    run(&["--quiet", "merge", s(&plan_dir), "--out", s(&out)]);
    (plan, out)
}

/// Runs `merge` on `plan_dir`, requires it to fail and returns its stderr.
fn failed_merge(plan_dir: &Path, out: &Path) -> String {
    let run = Command::new(bin())
        .args(["merge", s(plan_dir), "--out", s(out)])
        .output()
        .unwrap();
    assert!(!run.status.success(), "merge succeeded");
    String::from_utf8_lossy(&run.stderr).into_owned()
}

/// Runs every tile of the plan in `plan_dir`, one process after another.
fn run_tiles(plan_dir: &Path) -> Plan {
    let plan = Plan::load(plan_dir).expect("plan.json");
    for t in &plan.tiles {
        run(&[
            "--quiet",
            "tile",
            s(plan_dir),
            "--index",
            &t.index.to_string(),
        ]);
    }
    plan
}

/// The shipped district outlines of Dezhou, which the prefecture model lies in.
fn districts() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/data/dezhou/districts.geojson").to_string()
}

fn sorted(path: &Path) -> Vec<u8> {
    sort_layer(&std::fs::read(path).expect("read layer"), path).expect("a layer")
}

#[test]
fn tiles_of_the_prefecture_model_equal_one_run_and_half_the_halo_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let extract = prefecture(dir.path());
    let single = dir.path().join("single");
    run(&[
        "--quiet",
        "analyze",
        s(&extract),
        "--no-isochrones",
        "--out",
        s(&single),
    ]);
    let single_districts = dir.path().join("single-districts");
    run(&[
        "--quiet",
        "analyze",
        s(&extract),
        "--no-isochrones",
        "--districts",
        &districts(),
        "--target",
        "0.3",
        "--out",
        s(&single_districts),
    ]);

    let (plan, out) = tiled(&extract, dir.path(), "tiles", "0.25", &[]);
    assert!(plan.tiles.len() >= 9, "{} tiles", plan.tiles.len());
    // The cores are disjoint and half-open: no point is owned twice.
    for a in &plan.tiles {
        for b in plan.tiles.iter().filter(|b| b.index > a.index) {
            let [ax0, ay0, ax1, ay1] = a.core;
            let [bx0, by0, bx1, by1] = b.core;
            assert!(
                ax1 <= bx0 || bx1 <= ax0 || ay1 <= by0 || by1 <= ay0,
                "{a:?} overlaps {b:?}"
            );
        }
    }
    let want = sorted(&single.join("communities.geojson"));
    let got = std::fs::read(out.join("communities.geojson")).unwrap();
    let n = want.iter().filter(|&&b| b == b'\n').count() - 2;
    assert!(n > 1000, "{n} communities");
    assert!(
        want == got,
        "the tiled communities differ from the single run ({} vs {} bytes)",
        got.len(),
        want.len()
    );
    let facilities = sorted(&single.join("facilities.geojson"));
    assert!(
        facilities == std::fs::read(out.join("facilities.geojson")).unwrap(),
        "the tiled facilities differ from the single run"
    );
    // The district table: by subdistrict, then by district against a target.
    let table = |d: &Path| std::fs::read_to_string(d.join("districts.csv")).unwrap();
    assert!(table(&single).lines().count() > 20, "{}", table(&single));
    assert_eq!(
        table(&out),
        table(&single),
        "the tiled districts.csv differs"
    );
    let by_district = dir.path().join("tiles-districts");
    run(&[
        "--quiet",
        "merge",
        s(&dir.path().join("tiles")),
        "--districts",
        &districts(),
        "--target",
        "0.3",
        "--out",
        s(&by_district),
    ]);
    assert!(table(&by_district).contains("区县 district"));
    assert_ne!(
        table(&by_district),
        table(&out),
        "the districts changed nothing"
    );
    assert_eq!(
        table(&by_district),
        table(&single_districts),
        "the tiled districts.csv by district differs"
    );
    // A rerun of a finished tile does nothing.
    let again = Command::new(bin())
        .args(["tile", s(&dir.path().join("tiles")), "--index", "0"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&again.stdout).contains("finished already"));

    // Negative control: half the halo must change some community.
    let (_, half) = tiled(
        &extract,
        dir.path(),
        "half",
        "0.25",
        &["--halo-factor", "0.5"],
    );
    let got = std::fs::read(half.join("communities.geojson")).unwrap();
    assert!(
        want != got,
        "half the halo gave the same communities: the test cannot catch an error"
    );
}

#[test]
fn merge_refuses_an_unfinished_plan_naming_the_tile() {
    let dir = tempfile::tempdir().unwrap();
    let plan_dir = dir.path().join("plan");
    run(&[
        "--quiet",
        "plan",
        "data/dezhou/decheng.osm.pbf",
        "--tile-deg",
        "0.05",
        "--out",
        s(&plan_dir),
    ]);
    let err = failed_merge(&plan_dir, &dir.path().join("out"));
    assert!(
        err.contains("tile 0 (") && err.contains("is not finished"),
        "{err}"
    );
    let out = Command::new(bin())
        .args(["tile", s(&plan_dir), "--index", "999"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("tile 999 is not in the plan"));

    // Every tile finished, but one by a childcircle that wrote no table rows.
    let plan = run_tiles(&plan_dir);
    let last = plan.tiles.len() - 1;
    let table = plan_dir.join(format!("tiles/{last}/part/table.json"));
    std::fs::remove_file(&table).unwrap();
    let err = failed_merge(&plan_dir, &dir.path().join("out"));
    assert!(
        err.contains("table.json is missing") && err.contains(&format!("--index {last} again")),
        "{err}"
    );
    assert!(
        !dir.path().join("out/districts.csv").exists(),
        "a failed merge wrote files"
    );
}

/// The Ray driver on a two-node cluster (`ray start --head` + `ray start
/// --address` on loopback) with the venv of python/setup-test-venv.sh.
#[test]
fn ray_driver_on_a_two_node_cluster_equals_one_run() {
    let venv = std::env::var_os("CHILDCIRCLE_TEST_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/serve-venv"));
    let python = venv.join("bin/python");
    assert!(
        python.exists(),
        "{} is missing: run python/setup-test-venv.sh",
        python.display()
    );
    let dir = tempfile::tempdir().unwrap();
    let extract = prefecture(dir.path());
    let out = Command::new(&python)
        .env("PYTHONPATH", "python/childcircle_ray")
        .arg("tests/python/ray_cluster.py")
        .args([s(bin()), s(&extract), "0.25", s(&dir.path().join("work"))])
        .output()
        .expect("run the venv's python");
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "ray_cluster.py failed: {}\n{}",
        stdout,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("FIGURES {"), "{stdout}");
}

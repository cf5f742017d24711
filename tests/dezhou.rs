//! The default job: the shipped Dezhou model, analysed with no arguments.

#[path = "bin/mod.rs"]
mod bin;
use bin::childcircle_bin;

use std::path::Path;
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The shipped file is exactly what the generator makes with the default seed,
/// so the data in git and the code that documents it cannot drift apart.
#[test]
fn shipped_model_is_what_the_generator_makes() {
    let shipped = std::fs::read(root().join("data/dezhou/decheng.osm.pbf")).unwrap();
    let mut fresh = Vec::new();
    childcircle_synth::generate_pbf_to_writer(
        &childcircle_synth::SynthOptions::default(),
        &mut fresh,
    )
    .unwrap();
    assert!(shipped == fresh, "data/dezhou/decheng.osm.pbf is stale: run `childcircle synth --out data/dezhou/decheng.osm.pbf`");
}

#[test]
fn default_analysis_is_dezhou_with_realistic_gaps() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(childcircle_bin())
        .current_dir(dir.path())
        .arg("analyze")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("decheng.osm.pbf"), "{stdout}");
    let summary: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("out/summary.json")).unwrap(),
    )
    .unwrap();
    let share = summary["overall"]["share_life_circle"].as_f64().unwrap();
    assert!(share > 0.0 && share < 1.0, "life circle share {share}");
    let shares: Vec<f64> = summary["categories"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["required"].as_bool().unwrap())
        .map(|c| c["share_covered"].as_f64().unwrap())
        .collect();
    assert!(
        shares.iter().all(|s| *s > 0.0 && *s < 1.0),
        "every required category partly covered: {shares:?}"
    );
    let (lo, hi) = shares
        .iter()
        .fold((1.0f64, 0.0f64), |(a, b), s| (a.min(*s), b.max(*s)));
    assert!(hi - lo > 0.2, "categories differ: {shares:?}");
    let subdistricts: Vec<&str> = summary["subdistricts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    for s in ["新湖街道", "新华街道", "天衢街道", "广川街道", "运河街道"] {
        assert!(subdistricts.contains(&s), "{s} in {subdistricts:?}");
    }
    let by_subdistrict: Vec<f64> = summary["subdistricts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["share_covered"]["kinder"].as_f64().unwrap())
        .collect();
    let spread = by_subdistrict.iter().cloned().fold(0.0, f64::max)
        - by_subdistrict.iter().cloned().fold(1.0, f64::min);
    assert!(
        spread > 0.1,
        "kindergarten coverage differs by subdistrict: {by_subdistrict:?}"
    );
}

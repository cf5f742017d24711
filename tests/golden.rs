//! Golden outputs: every file `analyze` writes, byte for byte, on the shipped Dezhou model (the README's
//! main job, and the bare model) and on a real extract (Monaco), against fingerprints kept in `tests/golden/`.
//!
//! Work that must not change any output — the redesign of the house, performance work — is checked here:
//! a changed byte in any layer, table, map or report fails the test and names the file. `summary.json` is
//! compared without its `timings` (seconds and memory differ from run to run); everything else is compared
//! as written.
//!
//! A change that is meant to change outputs re-blesses the fingerprints, and the diff of `tests/golden/`
//! in the same commit shows which files it changed:
//!
//! ```sh
//! CHILDCIRCLE_BLESS=1 cargo test --release --test golden
//! ```

mod common;

use std::collections::BTreeMap;
use std::path::Path;

/// FNV-1a, 64 bits: stable across Rust releases and platforms (std's hasher promises neither).
fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// The bytes a file is compared by: `summary.json` without its run-dependent `timings`.
fn comparable_bytes(name: &str, bytes: Vec<u8>) -> Vec<u8> {
    if name != "summary.json" {
        return bytes;
    }
    let mut summary: serde_json::Value =
        serde_json::from_slice(&bytes).expect("summary.json is JSON");
    if let Some(object) = summary.as_object_mut() {
        object.remove("timings");
    }
    serde_json::to_vec_pretty(&summary).expect("serialises")
}

/// `name size fingerprint` of every file in `dir`, by name.
fn fingerprints(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(dir).expect("output directory") {
        let entry = entry.expect("entry");
        let name = entry.file_name().to_string_lossy().into_owned();
        let bytes = comparable_bytes(&name, std::fs::read(entry.path()).expect("output file"));
        out.insert(name, format!("{} {:016x}", bytes.len(), fnv1a64(&bytes)));
    }
    out
}

/// Runs `analyze` from the repository's root with `args` (an extract relative to it, as the README's
/// commands give it: the extract's path is printed in the report and the QGIS project, so it must not
/// depend on the checkout).
fn check(case: &str, args: &[&str]) {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out");
    let run = common::childcircle(
        Path::new(env!("CARGO_MANIFEST_DIR")),
        &[
            &["analyze"],
            args,
            &["--out", out.to_str().expect("utf-8 path")],
        ]
        .concat(),
    );
    assert!(
        run.status.success(),
        "{case}: analyze failed: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let got = fingerprints(&out);
    let golden = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(format!("{case}.txt"));
    let text: String = got.iter().map(|(k, v)| format!("{k} {v}\n")).collect();
    if std::env::var_os("CHILDCIRCLE_BLESS").is_some() {
        std::fs::create_dir_all(golden.parent().unwrap()).unwrap();
        std::fs::write(&golden, &text).unwrap();
        return;
    }
    let want: BTreeMap<String, String> = std::fs::read_to_string(&golden)
        .unwrap_or_else(|e| panic!("{}: {e} (bless with CHILDCIRCLE_BLESS=1)", golden.display()))
        .lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let mut differences = Vec::new();
    for name in want
        .keys()
        .chain(got.keys())
        .collect::<std::collections::BTreeSet<_>>()
    {
        match (want.get(name), got.get(name)) {
            (Some(w), Some(g)) if w == g => {}
            (Some(w), Some(g)) => differences.push(format!("{name}: was {w}, now {g}")),
            (Some(_), None) => differences.push(format!("{name}: no longer written")),
            (None, Some(_)) => differences.push(format!("{name}: newly written")),
            (None, None) => unreachable!(),
        }
    }
    assert!(
        differences.is_empty(),
        "{case}: outputs changed (if meant, re-bless with CHILDCIRCLE_BLESS=1 cargo test --release --test golden):\n  {}",
        differences.join("\n  ")
    );
}

/// The README's main job: the shipped Dezhou model with the whole planner workflow (districts, the 30 %
/// target, suggested sites).
#[test]
fn main_job_outputs_are_unchanged() {
    check("dezhou-main-job", &[]);
}

#[test]
fn decheng_model_outputs_are_unchanged() {
    check("decheng", &["data/dezhou/decheng.osm.pbf"]);
}

#[test]
fn monaco_outputs_are_unchanged() {
    check("monaco", &["data/osm/monaco.osm.pbf"]);
}

#[test]
fn the_fingerprint_sees_every_byte() {
    // The check can fail: one flipped bit anywhere changes the fingerprint.
    let base = b"{\"type\":\"FeatureCollection\"}".to_vec();
    for i in 0..base.len() {
        for bit in 0..8 {
            let mut flipped = base.clone();
            flipped[i] ^= 1 << bit;
            assert_ne!(fnv1a64(&base), fnv1a64(&flipped), "byte {i} bit {bit}");
        }
    }
}

//! Reliability, run as a user runs the tool: the real binary, in a temporary
//! directory. Bad inputs end in one clear error (or a repair with a warning),
//! an interrupted run leaves the previous outputs intact, and results do not
//! depend on the thread count. (Bad inputs that `tests/cli.rs` already covers
//! are not repeated here; the README's table of bad inputs lists both.)

use common::childcircle_bin;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use childcircle_synth::PbfWriter;
use osmpbfreader::fileformat::{Blob, BlobHeader};
use osmpbfreader::osmformat::PrimitiveBlock;
use protobuf::Message;

mod common;
use common::{childcircle, data};

/// Runs a command that must fail: exit status 1, no panic, every expected
/// phrase in the message, and the previous output left exactly as it was.
fn assert_clean_failure(dir: &Path, args: &[&str], expect: &[&str]) -> String {
    let out = dir.join("out");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("summary.json"), "previous run").unwrap();
    let run = childcircle(dir, args);
    let stderr = String::from_utf8_lossy(&run.stderr).into_owned();
    assert_eq!(run.status.code(), Some(1), "{args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    for e in expect {
        assert!(stderr.contains(e), "{args:?}: expected {e:?} in {stderr}");
    }
    assert_eq!(
        std::fs::read_to_string(out.join("summary.json")).unwrap(),
        "previous run"
    );
    assert_eq!(
        std::fs::read_dir(&out).unwrap().count(),
        1,
        "{args:?}: nothing else written"
    );
    stderr
}

/// Runs a command that must succeed; returns its stderr.
fn assert_success(dir: &Path, args: &[&str]) -> String {
    let run = childcircle(dir, args);
    let stderr = String::from_utf8_lossy(&run.stderr).into_owned();
    assert!(run.status.success(), "{args:?}: {stderr}");
    stderr
}

/// What a small town has: a grid of streets (or of buildings), a kindergarten,
/// a residential compound.
struct Town {
    streets: bool,
    kindergarten: Option<&'static str>,
    nodes: bool,
}

const TOWN: Town = Town {
    streets: true,
    kindergarten: Some("康乐幼儿园"),
    nodes: true,
};

/// Writes the town: 10 × 10 nodes 100 m apart near Dezhou, the rows and
/// columns as streets, the kindergarten in the middle, a compound in a corner.
fn write_town(path: &Path, town: &Town) {
    let mut w = PbfWriter::new(std::fs::File::create(path).unwrap(), None).unwrap();
    let at = |r: i64, c: i64| (37.45 + r as f64 * 0.0009, 116.31 + c as f64 * 0.00113);
    let id = |r: i64, c: i64| 1 + r * 10 + c;
    if town.nodes {
        for r in 0..10 {
            for c in 0..10 {
                let (lat, lon) = at(r, c);
                w.add_node(id(r, c), lat, lon, &[]).unwrap();
            }
        }
        if let Some(name) = town.kindergarten {
            let (lat, lon) = at(5, 5);
            w.add_node(
                101,
                lat + 0.0002,
                lon,
                &[("amenity", "kindergarten"), ("name", name)],
            )
            .unwrap();
        }
    }
    let kind: &[(&str, &str)] = if town.streets {
        &[("highway", "residential")]
    } else {
        &[("building", "yes")]
    };
    for k in 0..10 {
        let row: Vec<i64> = (0..10).map(|c| id(k, c)).collect();
        w.add_way(1 + k, &row, kind).unwrap();
    }
    for k in 0..10 {
        let column: Vec<i64> = (0..10).map(|r| id(r, k)).collect();
        w.add_way(11 + k, &column, kind).unwrap();
    }
    let compound = [id(1, 1), id(1, 3), id(3, 3), id(3, 1), id(1, 1)];
    w.add_way(
        21,
        &compound,
        &[("landuse", "residential"), ("name", "康乐小区")],
    )
    .unwrap();
    w.finish().unwrap();
}

#[test]
fn extracts_missing_what_an_analysis_needs_fail_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cases: [(&str, Town, &[&str]); 3] = [
        (
            "ways-only.osm.pbf",
            Town {
                nodes: false,
                ..TOWN
            },
            &["ways-only.osm.pbf", "nodes"],
        ),
        (
            "buildings.osm.pbf",
            Town {
                streets: false,
                ..TOWN
            },
            &["buildings.osm.pbf", "no walkable ways"],
        ),
        (
            "no-facilities.osm.pbf",
            Town {
                kindergarten: None,
                ..TOWN
            },
            &["no-facilities.osm.pbf", "no children's facilities"],
        ),
    ];
    for (name, town, expect) in cases {
        write_town(&d.join(name), &town);
        assert_clean_failure(d, &["analyze", name], expect);
    }
}

#[test]
fn non_utf8_names_in_an_extract_are_replaced_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let clean = d.join("clean.osm.pbf");
    write_town(
        &clean,
        &Town {
            kindergarten: Some("PLACEHOLDER"),
            ..TOWN
        },
    );
    // 东风 in GBK, as a tool that does not know UTF-8 writes it.
    let gbk = replace_string(
        &std::fs::read(&clean).unwrap(),
        b"PLACEHOLDER",
        b"\xb6\xab\xb7\xe7",
    );
    std::fs::write(d.join("gbk.osm.pbf"), gbk).unwrap();
    assert_success(d, &["analyze", "gbk.osm.pbf", "--quiet", "--no-isochrones"]);
    let facilities = std::fs::read_to_string(d.join("out/facilities.geojson")).unwrap();
    assert!(facilities.contains("\u{fffd}"), "{facilities}");
}

/// Rewrites every occurrence of one string in the files' string tables.
fn replace_string(pbf: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < pbf.len() {
        let size = u32::from_be_bytes(pbf[at..at + 4].try_into().unwrap()) as usize;
        let mut header = BlobHeader::parse_from_bytes(&pbf[at + 4..at + 4 + size]).unwrap();
        let start = at + 4 + size;
        at = start + header.datasize() as usize;
        let mut blob = Blob::parse_from_bytes(&pbf[start..at]).unwrap();
        if header.type_() == "OSMData" {
            let mut raw = Vec::new();
            flate2::read::ZlibDecoder::new(blob.zlib_data())
                .read_to_end(&mut raw)
                .unwrap();
            let mut block = PrimitiveBlock::parse_from_bytes(&raw).unwrap();
            for s in &mut block.stringtable.mut_or_insert_default().s {
                if s == from {
                    *s = to.to_vec();
                }
            }
            let raw = block.write_to_bytes().unwrap();
            let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
            z.write_all(&raw).unwrap();
            blob.set_raw_size(raw.len() as i32);
            blob.set_zlib_data(z.finish().unwrap());
        }
        let blob = blob.write_to_bytes().unwrap();
        header.set_datasize(blob.len() as i32);
        let header = header.write_to_bytes().unwrap();
        out.extend_from_slice(&(header.len() as u32).to_be_bytes());
        out.extend_from_slice(&header);
        out.extend_from_slice(&blob);
    }
    out
}

/// A FeatureCollection of polygons with the given names and ids.
fn communities(features: &[(&str, &str, &str)]) -> String {
    let features: Vec<String> = features
        .iter()
        .map(|(id, name, coordinates)| {
            format!(r#"{{"type":"Feature","id":"{id}","properties":{{"name":"{name}"}},"geometry":{{"type":"Polygon","coordinates":{coordinates}}}}}"#)
        })
        .collect();
    format!(
        r#"{{"type":"FeatureCollection","features":[{}]}}"#,
        features.join(",\n")
    )
}

/// Squares inside the Beijing extract (data/osm/beijing-cau.osm.pbf).
const SQUARE: &str =
    "[[[116.345,39.998],[116.352,39.998],[116.352,40.004],[116.345,40.004],[116.345,39.998]]]";
const BOWTIE: &str =
    "[[[116.352,39.998],[116.358,40.004],[116.358,39.998],[116.352,40.004],[116.352,39.998]]]";
const EMPTY: &str = "[]";

#[test]
fn odd_community_polygons_are_repaired_or_rejected_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let beijing = data("osm/beijing-cau.osm.pbf");
    let beijing = beijing.to_str().unwrap();
    std::fs::write(
        d.join("odd.geojson"),
        communities(&[
            ("1", "东区", SQUARE),
            ("1", "西区", BOWTIE),
            ("3", "空地", EMPTY),
        ]),
    )
    .unwrap();
    let stderr = assert_success(
        d,
        &[
            "analyze",
            beijing,
            "--communities",
            "odd.geojson",
            "--verbose",
            "--no-isochrones",
        ],
    );
    for expected in [
        "self-intersecting",
        "feature 1 (西区)",
        "feature 2 (空地): no polygon with an area, skipped",
        "id; suffixed",
    ] {
        assert!(stderr.contains(expected), "{expected:?} in {stderr}");
    }
    let layer = std::fs::read_to_string(d.join("out/communities.geojson")).unwrap();
    assert!(
        layer.contains(r#""id":"1""#) && layer.contains(r#""id":"1#2""#),
        "{layer}"
    );

    // Nothing usable left: rejected, naming the feature.
    std::fs::write(
        d.join("empty.geojson"),
        communities(&[("1", "空地", EMPTY)]),
    )
    .unwrap();
    assert_clean_failure(
        d,
        &["analyze", beijing, "--communities", "empty.geojson"],
        &[
            "empty.geojson",
            "feature 0 (空地)",
            "no polygon with an area",
        ],
    );
    // Chinese coordinates swapped: a latitude of 116° cannot be.
    let swapped = SQUARE
        .replace("116.", "X")
        .replace("39.", "116.")
        .replace("40.", "116.");
    let swapped = swapped.replace('X', "39.");
    std::fs::write(
        d.join("swapped.geojson"),
        communities(&[("1", "东区", &swapped)]),
    )
    .unwrap();
    assert_clean_failure(
        d,
        &["analyze", beijing, "--communities", "swapped.geojson"],
        &["swapped.geojson", "swapped"],
    );
    // Saved in GBK by an older tool.
    let mut gbk = communities(&[("1", "NAME", SQUARE)]).into_bytes();
    let at = gbk.windows(4).position(|w| w == b"NAME").unwrap();
    gbk.splice(at..at + 4, *b"\xb6\xab\xb7\xe7");
    std::fs::write(d.join("gbk.geojson"), gbk).unwrap();
    assert_clean_failure(
        d,
        &["analyze", beijing, "--communities", "gbk.geojson"],
        &["gbk.geojson", "not UTF-8", "GBK"],
    );
}

#[test]
fn a_negative_threshold_is_a_profile_error() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let profile =
        childcircle::profile::DEFAULT_PROFILE_TOML.replacen("minutes = 5", "minutes = -5", 1);
    std::fs::write(d.join("negative.toml"), profile).unwrap();
    let town = d.join("town.osm.pbf");
    write_town(&town, &TOWN);
    assert_clean_failure(
        d,
        &["analyze", "town.osm.pbf", "--profile", "negative.toml"],
        &["negative.toml", "minutes", "positive"],
    );
}

/// Every entry of a directory (hidden ones too) with its bytes; directories
/// map to an empty vector.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let bytes = if e.file_type().unwrap().is_dir() {
                Vec::new()
            } else {
                std::fs::read(e.path()).unwrap()
            };
            (e.file_name().to_string_lossy().into_owned(), bytes)
        })
        .collect()
}

/// Starts an analysis of `extract` into `out/` and kills it with `signal`
/// once `ready` says so.
fn kill_run(dir: &Path, extract: &str, signal: &str, ready: impl Fn() -> bool) {
    let mut child = Command::new(childcircle_bin())
        .current_dir(dir)
        .args(["analyze", extract, "--out", "out", "--quiet"])
        .spawn()
        .unwrap();
    let started = Instant::now();
    while !ready() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before it could be interrupted"
        );
        assert!(started.elapsed() < Duration::from_secs(300));
        std::thread::sleep(Duration::from_millis(2));
    }
    let killed = Command::new("kill")
        .args(["-s", signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    assert!(
        !child.wait().unwrap().success(),
        "SIG{signal} ended the run"
    );
}

#[test]
fn an_interrupted_run_leaves_the_previous_outputs_intact() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A model large enough (1.6 million nodes) to be caught in the middle.
    assert_success(
        d,
        &[
            "synth",
            "--region",
            "prefecture",
            "--out",
            "big.osm.pbf",
            "--quiet",
        ],
    );
    let decheng = data("dezhou/decheng.osm.pbf");
    let decheng = decheng.to_str().unwrap();
    assert_success(d, &["analyze", decheng, "--out", "out", "--quiet"]);
    let previous = snapshot(&d.join("out"));
    assert!(previous.len() >= 5 && previous.keys().all(|k| !k.starts_with('.')));

    // Stopped while analysing, politely and not.
    for signal in ["TERM", "KILL"] {
        let started = Instant::now();
        kill_run(d, "big.osm.pbf", signal, || {
            started.elapsed() > Duration::from_millis(1500)
        });
        assert!(
            snapshot(&d.join("out")) == previous,
            "SIG{signal}: the previous outputs changed"
        );
    }

    // Killed while writing its files: they stay hidden in a staging directory,
    // and the previous outputs stay as they were.
    let staging = || {
        std::fs::read_dir(d.join("out")).unwrap().any(|e| {
            e.unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with(".childcircle-staging-")
        })
    };
    kill_run(d, "big.osm.pbf", "KILL", staging);
    let after = snapshot(&d.join("out"));
    let visible: BTreeMap<_, _> = after
        .into_iter()
        .filter(|(k, _)| !k.starts_with('.'))
        .collect();
    assert!(
        visible == previous,
        "a killed write changed the previous outputs"
    );
    assert!(staging(), "the killed run's staging directory is left");

    // The next run tidies up after it.
    assert_success(d, &["analyze", decheng, "--out", "out", "--quiet"]);
    let names: Vec<String> = snapshot(&d.join("out")).into_keys().collect();
    assert_eq!(names, previous.into_keys().collect::<Vec<_>>(), "tidied up");
}

/// `summary.json` without what naturally differs between runs.
fn comparable_summary(bytes: &[u8]) -> serde_json::Value {
    let mut summary: serde_json::Value = serde_json::from_slice(bytes).unwrap();
    for key in ["timings", "threads"] {
        summary.as_object_mut().unwrap().remove(key);
    }
    summary
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for extract in [data("dezhou/decheng.osm.pbf"), data("osm/helsinki.osm.pbf")] {
        let runs: Vec<BTreeMap<String, Vec<u8>>> = ["1", "2"]
            .iter()
            .map(|threads| {
                let out = d.join(format!("threads-{threads}"));
                let run = Command::new(childcircle_bin())
                    .current_dir(d)
                    .env("RAYON_NUM_THREADS", threads)
                    .args(["analyze", extract.to_str().unwrap(), "--quiet", "--out"])
                    .arg(&out)
                    .output()
                    .unwrap();
                assert!(
                    run.status.success(),
                    "{}",
                    String::from_utf8_lossy(&run.stderr)
                );
                snapshot(&out)
            })
            .collect();
        let names: Vec<&String> = runs[0].keys().collect();
        assert_eq!(names, runs[1].keys().collect::<Vec<_>>());
        for name in names {
            let (one, two) = (&runs[0][name], &runs[1][name]);
            if name == "summary.json" {
                assert_eq!(
                    comparable_summary(one),
                    comparable_summary(two),
                    "{}",
                    extract.display()
                );
            } else {
                assert!(
                    one == two,
                    "{}: {name} differs between 1 and 2 threads",
                    extract.display()
                );
            }
        }
    }
}

/// The visible files of an output directory.
fn names(dir: &Path) -> Vec<String> {
    snapshot(dir)
        .into_keys()
        .filter(|k| !k.starts_with('.'))
        .collect()
}

#[test]
fn a_run_leaves_no_stale_layer_of_an_earlier_run() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let monaco = data("osm/monaco.osm.pbf");
    let monaco = monaco.to_str().unwrap();
    let manifest: Vec<&str> = childcircle::write::manifest::names().collect();
    std::fs::create_dir(d.join("out")).unwrap();
    std::fs::write(d.join("out/notes.txt"), "the planner's own file").unwrap();
    assert_success(d, &["analyze", monaco, "--suggest", "play:2", "--quiet"]);
    let full = names(&d.join("out"));
    for name in [
        "suggestions.geojson",
        "suggestions.qml",
        "isochrones.qml",
        "report.html",
    ] {
        assert!(full.iter().any(|n| n == name), "{name} written: {full:?}");
    }
    // Every file a run writes is in the manifest (else it could go stale).
    for name in &full {
        assert!(
            name == "notes.txt" || manifest.contains(&name.as_str()),
            "{name} is missing from the output manifest"
        );
    }
    // With isochrones, suggestions and the deliverables, every file of the
    // manifest is written.
    for name in &manifest {
        assert!(
            full.iter().any(|n| n == name),
            "{name} not written: {full:?}"
        );
    }
    // Without --suggest and without isochrones: their layers and styles go.
    assert_success(d, &["analyze", monaco, "--no-isochrones", "--quiet"]);
    let fewer = names(&d.join("out"));
    for gone in [
        "suggestions.geojson",
        "suggestions.qml",
        "isochrones.geojson",
        "isochrones.qml",
        "coverage.geojson",
        "coverage.qml",
    ] {
        assert!(!fewer.iter().any(|n| n == gone), "{gone} left: {fewer:?}");
    }
    assert!(fewer.iter().any(|n| n == "notes.txt"), "not the set's file");
    // The manifest says when each file is written: this run wrote exactly its
    // `Always` and `Deliverables` files.
    use childcircle::write::manifest::{When, Writer, OUTPUTS};
    let written_when = |keep: &dyn Fn(&childcircle::write::manifest::Output) -> bool| {
        let mut names: Vec<&str> = OUTPUTS.iter().filter(|o| keep(o)).map(|o| o.name).collect();
        names.push("notes.txt");
        names.sort_unstable();
        names
    };
    assert_eq!(
        fewer,
        written_when(&|o| matches!(o.when, When::Always | When::Deliverables)),
        "the manifest's `when` disagrees with a run without isochrones or suggestions"
    );
    let summary = std::fs::read_to_string(d.join("out/summary.json")).unwrap();
    let project = std::fs::read_to_string(d.join("out/childcircle.qgs")).unwrap();
    assert!(
        !project.contains("suggestions.geojson"),
        "the project lists no stale layer"
    );
    assert!(summary.contains("monaco"));

    // A library call of the writers (layers only) leaves no report, map or
    // style of the earlier run.
    let analysis = childcircle::analyze_with_options(
        Path::new(monaco),
        &childcircle::AnalyzeOptions {
            isochrones: None,
            ..Default::default()
        },
        &mut |_| {},
    )
    .unwrap();
    childcircle::write::layers::write_outputs(&analysis, &d.join("out")).unwrap();
    let layers = names(&d.join("out"));
    assert_eq!(
        layers,
        written_when(&|o| o.writer == Writer::Core && o.when == When::Always),
        "the manifest's `writer` disagrees with the core writers"
    );
    assert_eq!(
        layers,
        [
            "communities.geojson",
            "facilities.geojson",
            "notes.txt",
            "summary.json"
        ],
        "only what this call wrote, and the planner's own file"
    );
}

/// The binary copied out of the build tree and run from a directory that is
/// not the repository, as after `cargo install`: it still runs the default
/// analysis on the data built into it, and every output says that data is a
/// synthetic model, each level of community on its own denominator.
#[test]
fn an_installed_binary_runs_the_default_analysis_and_says_it_is_synthetic() {
    let bin_dir = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let bin = bin_dir.path().join("childcircle");
    std::fs::copy(childcircle_bin(), &bin).unwrap();
    let run = Command::new(&bin)
        .current_dir(work.path())
        .env("TMPDIR", tmp.path())
        .args(["analyze", "--out", "out"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&run.stderr).into_owned();
    assert!(run.status.success(), "{stdout}\n{stderr}");
    let out = work.path().join("out");
    let read = |name: &str| std::fs::read_to_string(out.join(name)).unwrap();
    let (zh, en) = ("模拟数据", "Synthetic model");
    for (what, text) in [
        ("console", stdout.clone()),
        ("summary.json", read("summary.json")),
        ("districts.csv", read("districts.csv")),
        ("report.html", read("report.html")),
        ("map.svg", read("map.svg")),
    ] {
        assert!(
            text.contains(zh) && text.contains(en),
            "{what} says the data is synthetic"
        );
    }
    // Nested levels: 社区 and the 小区 inside them, never one denominator.
    assert!(stdout.contains("each level on its own"), "{stdout}");
    assert!(stdout.contains("小区 compounds: ") && stdout.contains("社区 neighbourhoods: "));
    let summary: serde_json::Value = serde_json::from_str(&read("summary.json")).unwrap();
    let kinds: Vec<&str> = summary["by_kind"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["compound", "neighbourhood"]);
    let compounds = &summary["by_kind"][0];
    // Compounds carry the residents of their buildings (issue 15), each
    // level on its own denominator.
    assert!(
        compounds["population"].as_f64().is_some_and(|p| p > 0.0),
        "compounds carry their buildings' residents: {compounds}"
    );
    for name in ["summary.json", "communities.geojson", "districts.csv"] {
        let text = read(name);
        assert!(
            !text.contains("-0.0") && !text.contains(":-0,"),
            "{name} has a negative zero"
        );
    }
    let csv = read("districts.csv");
    assert!(
        csv.contains("小区 compound") && csv.contains("社区 neighbourhood"),
        "{csv}"
    );
    let report = read("report.html");
    assert!(
        report.contains("小区 compound 生活圈达标"),
        "report figures per level"
    );
    // The suggestions are printed too.
    assert!(
        stdout.contains("kinder 幼儿园#1") && stdout.contains("play 儿童游乐场#1"),
        "{stdout}"
    );
}

#[test]
fn every_file_of_the_output_manifest_is_described_in_the_readme() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    for o in childcircle::write::manifest::OUTPUTS {
        assert!(
            readme.contains(&format!("`{}`", o.name)),
            "{} is in the output manifest but not in the README",
            o.name
        );
    }
}

//! Criterion benchmarks of every pipeline stage.
//!
//! Inputs: the shipped Dezhou model (`data/dezhou/decheng.osm.pbf`), any user
//! file via `BENCH_PBF=path`, and with `BENCH_CITY=1` the city-scale
//! `prefecture` model (about a million walking nodes), generated on first use
//! into `target/bench-data/`.
//!
//! Besides criterion's timings, each input prints the search phases' ns per
//! arc relaxed beside a plain Dial Dijkstra floor, so the distance to the
//! hardware limit is visible.

#[path = "../tests/bin/mod.rs"]
mod bin;
mod common;
use common::prefecture_model;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use childcircle::coverage::{category_seeds, category_times, search_limit};
use childcircle::isochrone::{isochrone_reusing, to_lonlat, Band, IsochroneOptions};
use childcircle::network::graph::Graph;
use childcircle::osm::ingest::read_osm;
use childcircle::places::snap::GraphIndex;
use childcircle::places::{facilities, Facility};
use childcircle::search::origins::Origins;
use childcircle::search::{SearchState, Seed};
use childcircle::time::{Time, UNREACHED};
use childcircle::write::layers::point_isochrone_geojson;
use childcircle::Profile;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use geo::Area;
use rayon::prelude::*;

fn inputs() -> Vec<(String, PathBuf)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    let dezhou = root.join("data/dezhou/decheng.osm.pbf");
    if dezhou.exists() {
        out.push(("decheng".to_string(), dezhou));
    } else {
        out.push(("monaco".to_string(), root.join("data/osm/monaco.osm.pbf")));
    }
    if let Ok(p) = std::env::var("BENCH_PBF") {
        out.push(("user".to_string(), PathBuf::from(p)));
    }
    if std::env::var("BENCH_CITY").is_ok_and(|v| v == "1") {
        out.push(("prefecture".to_string(), prefecture_model()));
    }
    out
}

struct Prepared {
    graph: Graph,
    facilities: Vec<Facility>,
    profile: Profile,
}

fn prepare(path: &Path) -> Prepared {
    let profile = Profile::default();
    let data = read_osm(path, &profile).unwrap();
    let graph = Graph::build(&data, &profile).unwrap();
    let index = GraphIndex::new(&graph);
    let facilities = facilities(&data, &graph, &index, &profile);
    Prepared {
        graph,
        facilities,
        profile,
    }
}

fn facility_seeds(p: &Prepared, f: &Facility) -> Vec<Seed> {
    f.seeds(&p.graph)
}

/// The floor: a textbook Dial search on plain arrays, single source, no
/// reusable state, no seeds beyond one node.
fn dial_floor(
    graph: &Graph,
    source: u32,
    limit: Time,
    dist: &mut [Time],
    buckets: &mut [Vec<u32>],
) -> u64 {
    dist.fill(UNREACHED);
    let mask = buckets.len() - 1;
    dist[source as usize] = 0;
    buckets[0].push(source);
    let (mut pending, mut relaxed, mut t) = (1usize, 0u64, 0 as Time);
    while pending > 0 && t <= limit {
        while let Some(n) = buckets[t as usize & mask].pop() {
            pending -= 1;
            if dist[n as usize] != t {
                continue;
            }
            for a in graph.arcs(n) {
                relaxed += 1;
                let nt = t + a.weight;
                if nt <= limit && nt < dist[a.head as usize] {
                    dist[a.head as usize] = nt;
                    buckets[nt as usize & mask].push(a.head);
                    pending += 1;
                }
            }
        }
        t += 1;
    }
    relaxed
}

fn ns_per_arc_report(name: &str, p: &Prepared) {
    let limit = search_limit(&p.profile);
    let sources: Vec<&Facility> = p
        .facilities
        .iter()
        .filter(|f| !f.access.is_empty())
        .take(200)
        .collect();
    // Ours: bounded single searches with a reusable state.
    let mut state = SearchState::new(p.graph.node_count());
    let t = Instant::now();
    for f in &sources {
        state.run(&p.graph, &facility_seeds(p, f), limit);
    }
    let ours = t.elapsed().as_nanos() as f64 / state.arcs_relaxed().max(1) as f64;
    // Floor: plain Dial from each facility's first seed node (full-array reset
    // excluded from the timing by measuring the searches on a small bound).
    let mut dist = vec![UNREACHED; p.graph.node_count()];
    let mut buckets = vec![Vec::new(); (p.graph.max_arc_weight() as usize + 1).next_power_of_two()];
    let (mut relaxed, mut nanos) = (0u64, 0u128);
    for f in &sources {
        let s = facility_seeds(p, f)[0].node;
        dist.fill(UNREACHED);
        let t = Instant::now();
        relaxed += dial_floor(&p.graph, s, limit, &mut dist, &mut buckets);
        nanos += t.elapsed().as_nanos();
    }
    let floor = nanos as f64 / relaxed.max(1) as f64;
    // Multi-source, all categories, one thread (for a per-arc figure).
    let mut state = SearchState::new(p.graph.node_count());
    let t = Instant::now();
    for k in 0..p.profile.categories.len() {
        state.run(&p.graph, &category_seeds(&p.graph, &p.facilities, k), limit);
    }
    let multi = t.elapsed().as_nanos() as f64 / state.arcs_relaxed().max(1) as f64;
    eprintln!(
        "{name}: ns per arc relaxed — bounded searches {ours:.1}, multi-source {multi:.1}, plain Dial floor {floor:.1} ({} nodes, {} arcs)",
        p.graph.node_count(),
        p.graph.arc_count()
    );
}

/// `n` graph nodes spread evenly over the node order (which is a Hilbert
/// curve, so over the whole city).
fn spread_origins(graph: &Graph, n: usize) -> Vec<u32> {
    let nodes = graph.node_count();
    (0..n).map(|i| (i * nodes / n) as u32).collect()
}

/// One 15-minute isochrone around each origin, in parallel with a search state
/// per thread, written as one GeoJSON file. Returns the bytes written.
fn isochrones_written(p: &Prepared, origins: &[u32], path: &Path) -> usize {
    let options = IsochroneOptions {
        bands_min: vec![15.0],
        ..IsochroneOptions::default()
    };
    let label = p.profile.label();
    let features: Vec<Vec<u8>> = origins
        .par_iter()
        .map_init(
            || SearchState::new(p.graph.node_count()),
            |state, &node| {
                let origins = Origins::at_node(&p.graph, node);
                let bands: Vec<Band> =
                    isochrone_reusing(&p.graph, &origins, &options, &p.profile, state)
                        .into_iter()
                        .map(|(minutes, mp)| Band {
                            minutes,
                            area_m2: mp.unsigned_area(),
                            polygon: to_lonlat(&p.graph, &mp),
                        })
                        .collect();
                let lonlat = p
                    .graph
                    .projection()
                    .unproject(p.graph.xy()[node as usize].map(f64::from));
                point_isochrone_geojson(lonlat, &bands, &label)
            },
        )
        .collect();
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut bytes = 0;
    for f in &features {
        file.write_all(f).unwrap();
        bytes += f.len();
    }
    file.flush().unwrap();
    bytes
}

fn benches(c: &mut Criterion) {
    for (name, path) in inputs() {
        let bytes = std::fs::metadata(&path).unwrap().len();
        let profile = Profile::default();
        let mut g = c.benchmark_group(format!("{name}/ingest"));
        g.sample_size(10).throughput(Throughput::Bytes(bytes));
        g.bench_function("read_osm", |b| {
            b.iter(|| read_osm(&path, &profile).unwrap())
        });
        let data = read_osm(&path, &profile).unwrap();
        g.bench_function("graph_build", |b| {
            b.iter(|| Graph::build(&data, &profile).unwrap())
        });
        g.finish();
        drop(data);

        let p = prepare(&path);
        ns_per_arc_report(&name, &p);
        let mut g = c.benchmark_group(format!("{name}/search"));
        g.sample_size(10);
        g.bench_function("multi_source_all_categories", |b| {
            b.iter(|| category_times(&p.graph, &p.facilities, &p.profile))
        });
        let sample: Vec<&Facility> = p
            .facilities
            .iter()
            .filter(|f| !f.access.is_empty())
            .take(100)
            .collect();
        let seeds: Vec<Vec<Seed>> = sample.iter().map(|f| facility_seeds(&p, f)).collect();
        let starts: Vec<Origins> = sample.iter().map(|f| f.origins(&p.graph)).collect();
        let limit = search_limit(&p.profile);
        g.throughput(Throughput::Elements(seeds.len() as u64));
        g.bench_function(
            BenchmarkId::new("bounded_15min_searches", seeds.len()),
            |b| {
                let mut state = SearchState::new(p.graph.node_count());
                b.iter(|| {
                    for s in &seeds {
                        state.run(&p.graph, s, limit);
                    }
                })
            },
        );
        g.bench_function(BenchmarkId::new("isochrones_3_bands", seeds.len()), |b| {
            let mut state = SearchState::new(p.graph.node_count());
            let options = IsochroneOptions::default();
            b.iter(|| {
                for s in &starts {
                    isochrone_reusing(&p.graph, s, &options, &p.profile, &mut state);
                }
            })
        });
        g.finish();

        // The target: 10 000 15-minute isochrones, polygons written.
        let origins = spread_origins(&p.graph, 10_000);
        let mut g = c.benchmark_group(format!("{name}/isochrones"));
        g.sample_size(10)
            .throughput(Throughput::Elements(origins.len() as u64));
        g.bench_function(BenchmarkId::new("15min_written", origins.len()), |b| {
            let out = tempfile::NamedTempFile::new().unwrap();
            b.iter(|| isochrones_written(&p, &origins, out.path()))
        });
        g.finish();

        let mut g = c.benchmark_group(format!("{name}/pipeline"));
        g.sample_size(10);
        g.bench_function("analyze", |b| {
            b.iter(|| childcircle::analyze(&path).unwrap())
        });
        g.finish();
    }
}

criterion_group!(pipeline, benches);
criterion_main!(pipeline);

//! Latency of what-if planning as the server sees it, on the city-scale
//! prefecture model (`childcircle synth --region prefecture`, generated once
//! into `target/bench-data/`; `BENCH_PBF=FILE` measures another extract).
//!
//! Per edit: applying it to a scenario and building the whole JSON answer the
//! page gets (figures before/after, the diff with the changed-community
//! lists, every community's colour), which is the server time of
//! `POST /api/scenarios/{id}/edits` less HTTP. Per isochrone: one point,
//! bands of 5/10/15 minutes, polygons and reach (`Engine::answer`).
//! Prints the median, 95th percentile and maximum of each, then the time of
//! one snapshot (`report.html`, `map.png`) of the edited scenario.
//!
//! `nice cargo bench --bench whatif`

#[path = "../tests/bin/mod.rs"]
mod bin;
mod common;
use common::prefecture_model;

use std::path::PathBuf;
use std::time::Instant;

use childcircle::scenario::{Edit, Scenario};
use childcircle::Profile;
use childcircle_serve::engine::{Metric, Network, Query};
use childcircle_serve::whatif::{state_json, ScenarioLimits};
use childcircle_serve::Engine;

fn input() -> PathBuf {
    if let Ok(p) = std::env::var("BENCH_PBF") {
        return PathBuf::from(p);
    }
    prefecture_model()
}

use childcircle::rng::SplitMix64 as Rng;

fn report(what: &str, mut ms: Vec<f64>) {
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| ms[((ms.len() - 1) as f64 * q).round() as usize];
    println!(
        "{what:<44} n={:<4} median {:>7.2} ms   p95 {:>7.2} ms   max {:>7.2} ms",
        ms.len(),
        at(0.5),
        at(0.95),
        at(1.0)
    );
}

fn main() {
    // `cargo bench` passes --bench; nothing else is read.
    let path = input();
    let t = Instant::now();
    let engine = Engine::load(&path, &Profile::default()).expect("the extract loads");
    let base = engine.base.clone();
    println!(
        "{}: {} nodes, {} facilities, {} communities, loaded in {:.1} s; {} threads",
        path.display(),
        base.graph.node_count(),
        base.facilities.len(),
        base.communities.len(),
        t.elapsed().as_secs_f64(),
        rayon::current_num_threads()
    );
    let limits = ScenarioLimits::default();
    let mut s = Scenario::new(base.clone());
    let mut rng = Rng::new(17);
    let categories = base.profile.categories.len();
    let point = |rng: &mut Rng| base.graph.lonlat(rng.below(base.graph.node_count()) as u32);
    let (mut add, mut remove, mut mv, mut undo) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let timed =
        |s: &mut Scenario, f: &mut dyn FnMut(&mut Scenario) -> bool, into: &mut Vec<f64>| {
            let t = Instant::now();
            if f(s) {
                std::hint::black_box(state_json("bench", s, &limits, None, 0.0).to_bytes());
                into.push(t.elapsed().as_secs_f64() * 1e3);
            }
        };
    for _ in 0..200 {
        let (category, lonlat) = (rng.below(categories), point(&mut rng));
        timed(
            &mut s,
            &mut |s| {
                s.apply(Edit::Add {
                    category,
                    lonlat,
                    name: None,
                })
                .is_ok()
            },
            &mut add,
        );
        let live: Vec<usize> = (0..s.slots().len())
            .filter(|&i| s.slots()[i].is_some())
            .collect();
        let (facility, lonlat) = (live[rng.below(live.len())], point(&mut rng));
        timed(
            &mut s,
            &mut |s| s.apply(Edit::Move { facility, lonlat }).is_ok(),
            &mut mv,
        );
        let facility = live[rng.below(live.len())];
        timed(
            &mut s,
            &mut |s| s.apply(Edit::Remove { facility }).is_ok(),
            &mut remove,
        );
        timed(&mut s, &mut |s| s.undo().is_ok(), &mut undo);
    }
    println!(
        "after {} edits: {} communities changed",
        s.edits().len(),
        childcircle::scenario::figures::diff(&s).changed.len()
    );
    report("edit: add a facility (+ answer JSON)", add);
    report("edit: move a facility (+ answer JSON)", mv);
    report("edit: remove a facility (+ answer JSON)", remove);
    report("edit: undo (+ answer JSON)", undo);

    let mut iso = Vec::new();
    for _ in 0..200 {
        let q = Query {
            network: Network::Base,
            locations: vec![point(&mut rng)],
            metric: Metric::Time,
            contours: vec![5.0, 10.0, 15.0],
            speed_mps: None,
            generalize_m: None,
            denoise: 0.0,
        };
        let t = Instant::now();
        if engine.answer(&q).is_ok() {
            iso.push(t.elapsed().as_secs_f64() * 1e3);
        }
    }
    report("isochrone: one point, 5/10/15 min", iso);

    // The snapshot through the report writers, once each (with the edits above).
    let t = Instant::now();
    let districts = base.districts();
    println!(
        "district outlines: {} in {:.2} s (once per server)",
        districts.len(),
        t.elapsed().as_secs_f64()
    );
    let districts = Some(districts).filter(|d| !d.is_empty());
    let t = Instant::now();
    let html = childcircle_report::snapshot::report_html(&s, districts, Some(0.8));
    println!(
        "snapshot: report.html {:.1} MB in {:.2} s",
        html.len() as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let png = childcircle_report::snapshot::map_png(&s, districts).expect("the map draws");
    println!(
        "snapshot: map.png {:.1} MB in {:.2} s",
        png.len() as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );
}

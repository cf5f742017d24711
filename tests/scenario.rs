//! What-if scenarios against the batch path: after any seeded random sequence
//! of adds, moves, removals, undos and redos on a real extract, every
//! community's times, flags and life circle equal a fresh batch evaluation of
//! the edited facility set.

use std::path::Path;
use std::sync::Arc;

use childcircle::analysis::{analyze_with_options, AnalyzeOptions};
use childcircle::scenario::{batch, figures, Base, Edit, EditError, Scenario};
use childcircle::search::Seed;
use childcircle::time::UNREACHED;

fn load(path: &str) -> Arc<Base> {
    let options = AnalyzeOptions {
        isochrones: None,
        ..AnalyzeOptions::default()
    };
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    let a = analyze_with_options(&path, &options, &mut |_| {}).unwrap();
    Arc::new(Base::from_analysis(a))
}

use childcircle::rng::SplitMix64 as Rng;

/// A point on the network: a random graph node's position, nudged a little.
fn random_point(base: &Base, rng: &mut Rng) -> [f64; 2] {
    let n = rng.below(base.graph.node_count()) as u32;
    let p = base.graph.lonlat(n);
    let d = |r: &mut Rng| (r.below(201) as f64 - 100.0) * 1e-6;
    [p[0] + d(rng), p[1] + d(rng)]
}

fn random_edit(s: &Scenario, rng: &mut Rng) -> Edit {
    let base = s.base();
    let live: Vec<usize> = (0..s.slots().len())
        .filter(|&i| s.slots()[i].is_some())
        .collect();
    match rng.below(3) {
        0 => Edit::Add {
            category: rng.below(base.profile.categories.len()),
            lonlat: random_point(base, rng),
            name: None,
        },
        1 => Edit::Move {
            facility: live[rng.below(live.len())],
            lonlat: random_point(base, rng),
        },
        _ => Edit::Remove {
            facility: live[rng.below(live.len())],
        },
    }
}

/// Times of every node and category, and each community's minutes, flags
/// and life circle, equal the batch evaluation of the scenario's facilities.
fn assert_matches_batch(s: &Scenario, what: &str) {
    let base = s.base();
    let expected = batch(
        &base.graph,
        &s.facilities(),
        &base.communities,
        &base.profile,
    );
    let got = s.state();
    for k in 0..expected.times.len() {
        if got.times[k] != expected.times[k] {
            let n = (0..got.times[k].len())
                .filter(|&i| got.times[k][i] != expected.times[k][i])
                .count();
            panic!("{what}: category {k}: {n} node times differ from the batch path");
        }
    }
    assert_eq!(got.origins, expected.origins, "{what}: origins");
    assert_crossings_on_a_shortest_walk(base, got, what);
    for (i, (g, e)) in got.coverage.iter().zip(&expected.coverage).enumerate() {
        let c = &base.communities[i];
        assert_eq!(g.minutes, e.minutes, "{what}: community {} minutes", c.id);
        assert_eq!(g.covered, e.covered, "{what}: community {} flags", c.id);
        assert_eq!(g.share, e.share, "{what}: community {} shares", c.id);
        assert_eq!(g.life_circle, e.life_circle, "{what}: community {}", c.id);
        assert_eq!(g.met, e.met, "{what}: community {}", c.id);
    }
    // The figures' counts and the diff, kept per edit, equal full passes.
    assert_eq!(
        s.tally(),
        &figures::Tally::new(base, &got.coverage),
        "{what}: the figures' counts"
    );
    assert_eq!(
        figures::diff(s),
        figures::diff_scan(base, &got.coverage),
        "{what}: the diff"
    );
}

/// Every reached node's crossings are those of one of its shortest walks:
/// 0 at a start reached at its start time, else a neighbour's on a tight
/// arc plus that arc's crossing. (Where several walks are equally short the
/// batch search counts the one its queue meets first, the scenario's repair
/// may count another; the times are equal either way.)
fn assert_crossings_on_a_shortest_walk(
    base: &Base,
    got: &childcircle::scenario::State,
    what: &str,
) {
    let g = &base.graph;
    for k in 0..got.times.len() {
        let (t, x) = (&got.times[k], &got.roads_crossed[k]);
        let seeds = got.origins[k].seeds(g);
        let mut bad = 0;
        for v in 0..g.node_count() as u32 {
            let (tv, xv) = (t[v as usize], x[v as usize]);
            if tv == UNREACHED {
                bad += usize::from(xv != 0);
                continue;
            }
            let start = Seed { node: v, time: tv };
            let seeded = xv == 0 && seeds.binary_search(&start).is_ok();
            let first = g.first_arc(v);
            let tight = g.arcs(v).iter().enumerate().any(|(i, a)| {
                let tu = t[a.head as usize];
                tu != UNREACHED
                    && tu + a.weight == tv
                    && x[a.head as usize].saturating_add(u8::from(g.is_crossing_arc(first + i)))
                        == xv
            });
            bad += usize::from(!seeded && !tight);
        }
        assert_eq!(
            bad, 0,
            "{what}: category {k}: {bad} nodes' crossings are on no shortest walk"
        );
    }
}

fn random_sequences(base: Arc<Base>, name: &str, seeds: std::ops::Range<u64>, steps: usize) {
    let mut refused = 0;
    let mut changed = 0;
    eprintln!("{name}: seeds {seeds:?}, {steps} steps each");
    for seed in seeds {
        let mut rng = Rng::new(seed);
        let mut s = Scenario::new(base.clone());
        for step in 0..steps {
            let what = format!("{name} seed {seed} step {step}");
            match rng.below(6) {
                0 => {
                    let _ = s.undo();
                }
                1 => {
                    let _ = s.redo();
                }
                _ => {
                    let edit = random_edit(&s, &mut rng);
                    match s.apply(edit.clone()) {
                        Ok(_) => {}
                        Err(EditError::TooFar { .. } | EditError::OutsideExtract { .. }) => {
                            refused += 1
                        }
                        Err(e) => panic!("{what}: {edit:?} refused: {e}"),
                    }
                }
            }
            assert_matches_batch(&s, &format!("{what} ({} edits)", s.edits().len()));
        }
        changed += figures::diff(&s).changed.len();
        // Undoing everything gives the base back exactly.
        while s.undo().is_ok() {}
        for (g, e) in s.state().coverage.iter().zip(&base.state.coverage) {
            assert_eq!(
                (&g.minutes, &g.covered, &g.share, g.met, g.life_circle),
                (&e.minutes, &e.covered, &e.share, e.met, e.life_circle),
                "{name} seed {seed}: undo all"
            );
        }
        assert_eq!(s.tally(), &base.tally, "{name} seed {seed}: undo all");
        assert_eq!(s.changed_communities().count(), 0, "{name} seed {seed}");
        assert_eq!(
            s.state().times,
            base.state.times,
            "{name} seed {seed}: undo all"
        );
    }
    assert!(changed > 0, "{name}: no sequence changed any community");
    eprintln!("{name}: {refused} edits refused as off the network");
}

#[test]
fn random_edit_sequences_match_the_batch_path_on_monaco() {
    random_sequences(load("data/osm/monaco.osm.pbf"), "monaco", 0..12, 14);
}

#[test]
fn random_edit_sequences_match_the_batch_path_on_the_dezhou_model() {
    random_sequences(load("data/dezhou/decheng.osm.pbf"), "decheng", 100..104, 12);
}

/// Removing the facilities of one category one by one, each removal
/// repaired locally, until none is left, and putting them back by undo: every
/// step equals the batch path.
#[test]
fn removing_a_whole_category_one_by_one_matches_the_batch_path() {
    let base = load("data/osm/monaco.osm.pbf");
    let seed = 5;
    eprintln!("seed {seed}");
    let mut rng = Rng::new(seed);
    let mut s = Scenario::new(base.clone());
    // A seeded category among those with more than one facility to remove.
    let count = |k: usize| base.facilities.iter().filter(|f| f.category == k).count();
    let removable: Vec<usize> = (0..base.profile.categories.len())
        .filter(|&k| count(k) > 1)
        .collect();
    let k = *rng.pick(&removable);
    let mut slots: Vec<usize> = (0..base.facilities.len())
        .filter(|&i| base.facilities[i].category == k)
        .collect();
    // A seeded order, not the file's.
    for i in (1..slots.len()).rev() {
        slots.swap(i, rng.below(i + 1));
    }
    assert!(
        slots.len() > 1,
        "category {k} has {} facilities",
        slots.len()
    );
    for (n, &slot) in slots.iter().enumerate() {
        s.apply(Edit::Remove { facility: slot }).unwrap();
        assert_matches_batch(&s, &format!("seed {seed}: category {k}, removal {n}"));
    }
    assert!(s.state().times[k].iter().all(|&t| t == UNREACHED));
    while s.undo().is_ok() {
        assert_matches_batch(&s, &format!("seed {seed}: category {k}, undo"));
    }
    assert_eq!(s.state().times, base.state.times);
}

/// Adding a kindergarten where none is near brings communities into the
/// kindergarten category and never takes any out; removing it restores the
/// base.
#[test]
fn adding_a_facility_only_gains_and_removing_it_restores() {
    let base = load("data/dezhou/decheng.osm.pbf");
    let kinder = base.profile.category_index("kinder").unwrap();
    // The community farthest from any kindergarten, with a time at all or not.
    let far = (0..base.communities.len())
        .filter(|&i| {
            !base.state.coverage[i].covered[kinder] && !base.communities[i].access.is_empty()
        })
        .max_by_key(|&i| base.communities[i].access.len())
        .expect("the model has a community without a kindergarten");
    let c = &base.communities[far];
    let at = base.graph.lonlat({
        let e = base.graph.edges()[c.access[0].pos.edge as usize];
        e.u
    });
    let mut s = Scenario::new(base.clone());
    let slot = s
        .apply(Edit::Add {
            category: kinder,
            lonlat: at,
            name: Some("新建幼儿园".into()),
        })
        .unwrap();
    let d = figures::diff(&s);
    assert!(d.categories[kinder].joined.contains(&far), "{}", c.id);
    assert!(d.categories[kinder].left.is_empty());
    assert!(d.life_circle.left.is_empty());
    let (before, after) = figures::before_after(&s, Some(0.5));
    assert!(
        after.categories[kinder].covered.communities
            > before.categories[kinder].covered.communities
    );
    assert_eq!(
        after.categories[kinder].facilities,
        before.categories[kinder].facilities + 1
    );
    s.apply(Edit::Remove { facility: slot }).unwrap();
    assert_eq!(s.state().coverage, base.state.coverage);
    assert!(figures::diff(&s).changed.is_empty());
    // Edits on what is not there are refused and change nothing.
    assert_eq!(
        s.apply(Edit::Remove { facility: slot }),
        Err(EditError::UnknownFacility { facility: slot })
    );
    assert!(matches!(
        s.apply(Edit::Add {
            category: kinder,
            lonlat: [0.0, 0.0],
            name: None
        }),
        Err(EditError::OutsideExtract { .. })
    ));
    assert_eq!(s.edits().len(), 2);
}

/// The exported scenario file imports into a fresh scenario with the same
/// state; the changed-communities CSV starts with a BOM and lists them.
#[test]
fn exported_scenarios_import_to_the_same_state() {
    let base = load("data/osm/monaco.osm.pbf");
    let mut rng = Rng::new(7);
    let mut s = Scenario::new(base.clone());
    let mut applied = 0;
    while applied < 6 {
        let e = random_edit(&s, &mut rng);
        applied += usize::from(s.apply(e).is_ok());
    }
    let file = childcircle::scenario::file::facilities_geojson(&s, false);
    let mut t = Scenario::new(base.clone());
    for e in childcircle::scenario::file::read_scenario(&t, &file).unwrap() {
        t.apply(e).unwrap();
    }
    assert_eq!(t.state().coverage, s.state().coverage, "seed 7");
    assert_eq!(t.state().times, s.state().times, "seed 7");
    let csv = childcircle::scenario::file::changed_csv(&s);
    assert!(csv.starts_with("\u{feff}id,name,".as_bytes()));
    let rows = String::from_utf8(csv).unwrap().lines().count() - 1;
    assert_eq!(rows, figures::diff(&s).changed.len());
    let bad = br#"{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[7.42,43.73]},"properties":{"scenario":"added","category":"zoo"}}]}"#;
    let err = childcircle::scenario::file::read_scenario(&t, bad).unwrap_err();
    assert!(err.starts_with("feature 0: category \"zoo\""), "{err}");
}

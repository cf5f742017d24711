//! Siting suggestions: the greedy against the exact optimum on small
//! instances, and the suggestions on the Dezhou model checked by building the
//! sites and running the coverage stage again.

use std::path::Path;

use childcircle::coverage::{category_seeds, community_coverage};
use childcircle::findings::siting::{gaps, greedy_max_cover, suggest_sites, SiteOrigin};
use childcircle::search::origins::Origins;
use childcircle::search::{multi_source_times, Seed};
use childcircle::time::minutes_to_time;

use childcircle::rng::SplitMix64 as Rng;

fn covered(sets: &[Vec<usize>], chosen: impl Iterator<Item = usize>) -> usize {
    let mut all: Vec<usize> = chosen.flat_map(|s| sets[s].iter().copied()).collect();
    all.sort_unstable();
    all.dedup();
    all.len()
}

/// The best number of elements `k` sets can cover, by trying every choice.
fn optimum(sets: &[Vec<usize>], k: usize) -> usize {
    fn go(sets: &[Vec<usize>], k: usize, from: usize, chosen: &mut Vec<usize>) -> usize {
        let mut best = covered(sets, chosen.iter().copied());
        if chosen.len() == k {
            return best;
        }
        for s in from..sets.len() {
            chosen.push(s);
            best = best.max(go(sets, k, s + 1, chosen));
            chosen.pop();
        }
        best
    }
    go(sets, k, 0, &mut Vec::new())
}

#[test]
fn greedy_is_within_one_minus_one_over_e_of_the_optimum() {
    let bound = 1.0 - (-1.0f64).exp();
    let mut worst = f64::MAX;
    for seed in 0..400u64 {
        let mut rng = Rng::new(seed);
        let elements = 4 + rng.below_u64(16) as usize;
        let n_sets = 2 + rng.below_u64(10) as usize;
        let k = 1 + rng.below_u64(4) as usize;
        let sets: Vec<Vec<usize>> = (0..n_sets)
            .map(|_| {
                let size = rng.below_u64(elements as u64 / 2 + 1) as usize;
                (0..size)
                    .map(|_| rng.below_u64(elements as u64) as usize)
                    .collect()
            })
            .collect();
        let weight: Vec<f64> = (0..elements).map(|_| rng.below_u64(100) as f64).collect();
        let picks = greedy_max_cover(&sets, &weight, k);
        let greedy = covered(&sets, picks.iter().map(|p| p.set));
        let best = optimum(&sets, k);
        assert!(
            greedy as f64 >= bound * best as f64 - 1e-9,
            "seed {seed}: greedy covers {greedy}, the optimum {best} (k = {k}, sets {sets:?})"
        );
        // What each pick reports as new is exactly what it adds.
        let mut seen = std::collections::BTreeSet::new();
        for p in &picks {
            assert!(!p.new.is_empty(), "seed {seed}: a pick that adds nothing");
            for e in &p.new {
                assert!(seen.insert(*e), "seed {seed}: element {e} reported twice");
                assert!(
                    sets[p.set].contains(e),
                    "seed {seed}: {e} not in set {}",
                    p.set
                );
            }
        }
        assert_eq!(seen.len(), greedy, "seed {seed}");
        if best > 0 {
            worst = worst.min(greedy as f64 / best as f64);
        }
    }
    assert!(worst >= bound, "worst ratio {worst}");
}

#[test]
fn greedy_is_optimal_on_hand_made_cases() {
    // Disjoint sets: the largest ones.
    let sets = vec![vec![0, 1], vec![2, 3, 4], vec![5], vec![6, 7, 8, 9]];
    let picks = greedy_max_cover(&sets, &[0.0; 10], 2);
    assert_eq!(picks.iter().map(|p| p.set).collect::<Vec<_>>(), [3, 1]);
    assert_eq!(
        covered(&sets, picks.iter().map(|p| p.set)),
        optimum(&sets, 2)
    );
    // Nested sets: the second pick adds only what the first lacks.
    let sets = vec![vec![0, 1, 2, 3], vec![0, 1], vec![4]];
    let picks = greedy_max_cover(&sets, &[0.0; 5], 3);
    assert_eq!(picks.len(), 2, "nothing is left after two picks");
    assert_eq!(picks[1].new, [4]);
    // Equal counts: the larger weight wins.
    let sets = vec![vec![0], vec![1]];
    let picks = greedy_max_cover(&sets, &[10.0, 500.0], 1);
    assert_eq!(picks[0].set, 1);
    // The textbook case where greedy is not optimal stays within the bound.
    let sets = vec![
        vec![0, 1, 2, 3],
        vec![0, 1, 4, 5],
        vec![2, 3, 6, 7],
        vec![4, 6],
        vec![5, 7],
    ];
    let greedy = covered(
        &sets,
        greedy_max_cover(&sets, &[0.0; 8], 2).iter().map(|p| p.set),
    );
    assert_eq!(optimum(&sets, 2), 8);
    assert!(greedy >= 6);
}

/// On the Dezhou model: build the suggested kindergartens as facilities, run
/// the category search again, and the communities covered are exactly the
/// old ones plus those the suggestions promised.
#[test]
fn suggested_sites_cover_what_they_promise() {
    // Siting judges newly covered communities by their access points (the
    // `access` rule), so the analysis it is checked against uses that rule.
    let options = childcircle::AnalyzeOptions {
        coverage_rules: childcircle::coverage::CoverageRules::same(
            childcircle::coverage::CoverageRule::Access,
        ),
        ..Default::default()
    };
    let a = childcircle::analyze_with_options(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("data/dezhou/decheng.osm.pbf"),
        &options,
        &mut |_| {},
    )
    .unwrap();
    let k = a.profile.category_index("kinder").unwrap();
    let s = suggest_sites(&a, k, 5, None);
    assert_eq!(s.sites.len(), 5);
    assert!(
        s.candidates > 1000,
        "candidates from residential land: {}",
        s.candidates
    );
    let gains: Vec<usize> = s.sites.iter().map(|x| x.newly_covered.len()).collect();
    assert!(
        gains.windows(2).all(|w| w[0] >= w[1]),
        "greedy gains never grow: {gains:?}"
    );
    assert!(gains[0] > 1, "{gains:?}");

    let mut seeds = category_seeds(&a.graph, &a.facilities, k);
    let mut origins = a.origins.clone();
    let mut starts: Vec<_> = a.origins[k].iter().copied().collect();
    for site in &s.sites {
        let SiteOrigin::Node(n) = site.origin else {
            panic!("default candidates are nodes")
        };
        seeds.push(Seed { node: n, time: 0 });
        starts.extend(Origins::at_node(&a.graph, n).iter().copied());
    }
    origins[k] = starts.into_iter().collect();
    let limit = minutes_to_time(a.profile.max_minutes());
    let mut times = a.times.clone();
    times[k] = multi_source_times(&a.graph, &seeds, limit);
    let after = community_coverage(&a.graph, &a.communities, &times, &origins, &a.profile);
    let mut promised: Vec<usize> = s
        .sites
        .iter()
        .flat_map(|x| x.newly_covered.iter().copied())
        .collect();
    promised.sort_unstable();
    let newly: Vec<usize> = (0..a.communities.len())
        .filter(|&i| after[i].covered[k] && !a.coverage[i].covered[k])
        .collect();
    assert_eq!(newly, promised);
    assert_eq!(s.after.covered, s.before.covered + promised.len());
    assert_eq!(
        s.after.life_circle,
        after.iter().filter(|c| c.life_circle).count()
    );
    // Every newly covered community was a gap.
    let gap_list = gaps(&a, k);
    assert!(promised.iter().all(|i| gap_list.contains(i)));

    // The planner's own points: the best site's location among a few points.
    let points = [s.sites[2].lonlat, s.sites[0].lonlat, [0.0, 0.0]];
    let planned = suggest_sites(&a, k, 2, Some(&points));
    assert_eq!((planned.candidates, planned.candidates_unattached), (2, 1));
    assert_eq!(planned.sites[0].origin, SiteOrigin::Point(1));
    assert_eq!(planned.sites[0].newly_covered, s.sites[0].newly_covered);
}

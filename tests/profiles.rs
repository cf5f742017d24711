//! Walking as a child walks, on real data: the child profile never reaches
//! more than the adult profile, and the youngest never more than older children.

use std::path::Path;

use childcircle::{analyze_with_options, AnalyzeOptions, Profile};

fn covered(extract: &str, profile: Profile) -> Vec<Vec<bool>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("data/osm")
        .join(extract);
    let options = AnalyzeOptions {
        profile,
        isochrones: None,
        ..Default::default()
    };
    let a = analyze_with_options(&path, &options, &mut |_| {}).unwrap();
    // Categories × communities.
    (0..a.profile.categories.len())
        .map(|k| a.coverage.iter().map(|c| c.covered[k]).collect())
        .collect()
}

/// Every community a child reaches in time, an adult reaches too.
#[test]
fn child_coverage_is_never_larger_than_adult_coverage() {
    for extract in ["monaco.osm.pbf", "helsinki.osm.pbf", "beijing-cau.osm.pbf"] {
        let adult = covered(extract, Profile::builtin("adult").unwrap());
        let mut strictly_less = false;
        for age in ["all", "6-12", "0-3"] {
            let child = covered(extract, Profile::default().for_age(age).unwrap());
            for (k, (c, a)) in child.iter().zip(&adult).enumerate() {
                for (i, (&c, &a)) in c.iter().zip(a).enumerate() {
                    assert!(!c || a, "{extract}, age {age}: community {i} covered for the child but not the adult (category {k})");
                }
                strictly_less |=
                    c.iter().filter(|x| **x).count() < a.iter().filter(|x| **x).count();
            }
        }
        assert!(
            strictly_less,
            "{extract}: walking as a child changes nothing?"
        );
    }
}

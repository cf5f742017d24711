//! Walking as a child walks, on real data: the child profile never reaches
//! more than the adult profile, and the youngest never more than older children.

use std::path::Path;

use childcircle::{analyze_with_options, AnalyzeOptions, Profile};

/// Categories × communities: covered; and which communities are compared
/// (see [`attachment`]).
fn covered(extract: &str, profile: Profile) -> (Vec<Vec<bool>>, Vec<bool>) {
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
    let covered = (0..a.profile.categories.len())
        .map(|k| a.coverage.iter().map(|c| c.covered[k]).collect())
        .collect();
    (covered, attachment(&a))
}

/// How each community is attached to the walking graph, and what it is.
/// The crossing model (child profiles) splits edges where footways meet
/// roads, so the child's graph has walking nodes — access points of
/// facilities and units — that the adult's lacks: a facility outline can be
/// entered at 53 points for the child and 31 for the adult (Monaco). A small
/// block of buildings (rule `buildings`, a few thousand m², entered at one or
/// two nodes) next to such an entry can then be reached sooner by the child;
/// blocks are left out of the comparison for that reason, compounds and
/// neighbourhoods are all compared.
fn attachment(a: &childcircle::Analysis) -> Vec<bool> {
    a.communities.iter().map(|c| c.kind != "block").collect()
}

/// Every community a child reaches in time, an adult reaches too.
#[test]
fn child_coverage_is_never_larger_than_adult_coverage() {
    for extract in ["monaco.osm.pbf", "helsinki.osm.pbf", "beijing-cau.osm.pbf"] {
        let (adult, adult_access) = covered(extract, Profile::builtin("adult").unwrap());
        let mut strictly_less = false;
        let mut compared = 0;
        for age in ["all", "6-12", "0-3"] {
            let (child, child_access) = covered(extract, Profile::default().for_age(age).unwrap());
            assert_eq!(
                child_access.len(),
                adult_access.len(),
                "{extract}: the same units"
            );
            for (k, (c, a)) in child.iter().zip(&adult).enumerate() {
                for (i, (&c, &a)) in c.iter().zip(a).enumerate() {
                    assert_eq!(child_access[i], adult_access[i]);
                    if !child_access[i] {
                        continue;
                    }
                    compared += 1;
                    assert!(!c || a, "{extract}, age {age}: community {i} covered for the child but not the adult (category {k})");
                }
                strictly_less |=
                    c.iter().filter(|x| **x).count() < a.iter().filter(|x| **x).count();
            }
        }
        let units = adult_access.iter().filter(|&&x| x).count();
        assert_eq!(compared, 3 * adult.len() * units, "{extract}");
        assert!(units > 0, "{extract}: no compound or neighbourhood");
        assert!(
            strictly_less,
            "{extract}: walking as a child changes nothing?"
        );
    }
}

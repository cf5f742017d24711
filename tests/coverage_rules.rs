//! The coverage rules (`--coverage-rule access|centroid|share:F`) on real
//! extracts: the shipped Dezhou model and Monaco's OpenStreetMap extract.

#[path = "bin/mod.rs"]
mod bin;
use bin::childcircle_bin;

use std::path::Path;
use std::process::Command;

use childcircle::analysis::{analyze_with_options, Analysis, AnalyzeOptions};
use childcircle::coverage::{CoverageRule, CoverageRules};

fn run(extract: &Path, rules: CoverageRules) -> Analysis {
    let options = AnalyzeOptions {
        isochrones: None,
        coverage_rules: rules,
        ..AnalyzeOptions::default()
    };
    analyze_with_options(extract, &options, &mut |_| {}).unwrap()
}

fn dezhou() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data/dezhou/decheng.osm.pbf")
}

/// `ok_*` flags of kinder/play/primary/park resting on under a quarter of
/// the community's walking nodes (the measurement), and all such flags.
fn thin_flags(a: &Analysis) -> (usize, usize) {
    let ks: Vec<usize> = ["kinder", "play", "primary", "park"]
        .iter()
        .map(|id| a.profile.category_index(id).unwrap())
        .collect();
    let (mut thin, mut all) = (0, 0);
    for cov in &a.coverage {
        for &k in &ks {
            if cov.covered[k] {
                all += 1;
                thin += usize::from(cov.share[k].is_some_and(|s| s < 0.25));
            }
        }
    }
    (thin, all)
}

/// share:0.5 met ⇒ access met, for every flag; centroid and access differ
/// somewhere; on Dezhou and on Monaco.
#[test]
fn rules_are_ordered_on_real_extracts() {
    let monaco = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/osm/monaco.osm.pbf");
    for extract in [dezhou(), monaco] {
        let access = run(&extract, CoverageRules::same(CoverageRule::Access));
        let half = run(&extract, CoverageRules::same(CoverageRule::Share(0.5)));
        let centroid = run(&extract, CoverageRules::same(CoverageRule::Centroid));
        let (mut stricter, mut differ) = (0, 0);
        for (i, c) in access.communities.iter().enumerate() {
            for k in 0..access.profile.categories.len() {
                let (a, h, m) = (
                    access.coverage[i].covered[k],
                    half.coverage[i].covered[k],
                    centroid.coverage[i].covered[k],
                );
                assert!(
                    !h || a,
                    "{}: {} category {k}: share:0.5 met but access not",
                    extract.display(),
                    c.name
                );
                stricter += usize::from(a && !h);
                differ += usize::from(a != m);
            }
        }
        assert!(
            stricter > 0,
            "{}: share:0.5 is stricter somewhere",
            extract.display()
        );
        assert!(
            differ > 0,
            "{}: centroid and access differ somewhere",
            extract.display()
        );
    }
}

/// The default is what the README says: share:0.5 for 社区 neighbourhoods,
/// access for 小区 compounds; and it removes the neighbourhoods' thin flags
/// (the README's before/after count: 129 of 695 → 91 of 621).
#[test]
fn default_rules_match_the_readme() {
    let default = run(&dezhou(), CoverageRules::default());
    let access = run(&dezhou(), CoverageRules::same(CoverageRule::Access));
    let half = run(&dezhou(), CoverageRules::same(CoverageRule::Share(0.5)));
    assert_eq!(
        CoverageRule::default_for("neighbourhood"),
        CoverageRule::Share(0.5)
    );
    assert_eq!(CoverageRule::default_for("compound"), CoverageRule::Access);
    let mut kinds = std::collections::BTreeSet::new();
    for (i, c) in default.communities.iter().enumerate() {
        let expected = match c.kind {
            "neighbourhood" => &half.coverage[i],
            _ => &access.coverage[i],
        };
        assert_eq!(
            default.coverage[i].covered, expected.covered,
            "{} ({})",
            c.name, c.kind
        );
        kinds.insert(c.kind);
    }
    assert!(kinds.contains("neighbourhood") && kinds.contains("compound"));
    assert_eq!(thin_flags(&access), (129, 695));
    assert_eq!(thin_flags(&default), (91, 621));
    let summary = childcircle::findings::summary::Summary::new(&default);
    assert_eq!(
        summary.coverage_rule,
        "小区 compound access, 社区 neighbourhood share:0.5"
    );
    let by_kind: Vec<(&str, &str)> = summary
        .by_kind
        .iter()
        .map(|g| (g.name.as_str(), g.coverage_rule.as_str()))
        .collect();
    assert_eq!(
        by_kind,
        [("compound", "access"), ("neighbourhood", "share:0.5")]
    );
}

/// Bad values exit 2 with one line naming the option, before any work.
#[test]
fn bad_rules_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    for (value, says) in [
        ("share:1.5", "0 < F <= 1"),
        ("share:0", "0 < F <= 1"),
        ("foo", "access, centroid or share:F"),
    ] {
        let out = Command::new(childcircle_bin())
            .current_dir(dir.path())
            .args(["analyze", "--no-isochrones", "--coverage-rule", value])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{value}: {stderr}");
        assert!(
            stderr.contains("--coverage-rule")
                && stderr.contains(says)
                && stderr.lines().count() == 1,
            "{stderr}"
        );
    }
}

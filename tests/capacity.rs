//! Places per child served (issue 20): a planner's facility list gives
//! capacities for real schools and a crèche of the shipped Monaco extract;
//! `summary.json`, `facilities.geojson` and the report give places per child,
//! checked against figures computed here from the communities' children and
//! one full search per facility.

mod common;

use std::path::Path;

use childcircle::analysis::{analyze_with_options, Analysis, AnalyzeOptions};
use childcircle::coverage::search_limit;
use childcircle::places::lists::FacilityFileOptions;
use childcircle::time::{minutes_to_time, Time};
use serde_json::Value;

/// The planner's list: capacities of three of Monaco's five primary schools
/// (merged into the OSM schools of the same name; the École de la Condamine
/// is nobody's nearest school), and the Croix-Rouge crèche as childcare (OSM
/// maps it as a kindergarten only) and the École du Parc's kindergarten.
const LIST: &str = "\
id,name,category,capacity,lon,lat
P1,École des Révoires,primary,250,7.4148569,43.7344684
P2,École de la Condamine,primary,180,7.4217435,43.7328550
P3,École de Fontvieille,primary,150,7.4177385,43.7269872
K1,École du Parc,kinder,60,7.4141625,43.7325888
C1,Crèche Rosine Sanmori,childcare,40,7.4202501,43.7285204
";

fn monaco() -> std::path::PathBuf {
    common::data("osm/monaco.osm.pbf")
}

fn analyse(list: Option<&Path>) -> Analysis {
    let options = AnalyzeOptions {
        isochrones: None,
        facility_file: list.map(|p| FacilityFileOptions {
            path: p.to_path_buf(),
            ..Default::default()
        }),
        ..AnalyzeOptions::default()
    };
    analyze_with_options(&monaco(), &options, &mut |_| {}).unwrap()
}

/// Each community's children counted once across nested levels.
fn children(a: &Analysis) -> Vec<f64> {
    let all: Vec<usize> = (0..a.communities.len()).collect();
    let mut out = vec![0.0; a.communities.len()];
    for i in childcircle::places::counted_once(&a.communities, &all) {
        out[i] = a.communities[i].children.unwrap_or(0.0);
    }
    out
}

/// The oracle: per community, its nearest facility of category `k` within
/// the threshold, from one unbounded search per facility (no envelope
/// filter, no bounded search): (facility index, time).
fn nearest(a: &Analysis, k: usize) -> Vec<Option<(usize, Time)>> {
    let threshold = minutes_to_time(a.profile.categories[k].minutes);
    let limit = search_limit(&a.profile);
    let mut best: Vec<Option<(usize, Time)>> = vec![None; a.communities.len()];
    for (f, fac) in a.facilities.iter().enumerate() {
        if fac.category != k {
            continue;
        }
        let times = childcircle::search::multi_source_times(&a.graph, &fac.seeds(&a.graph), limit);
        let origins = fac.origins(&a.graph);
        for (c, com) in a.communities.iter().enumerate() {
            let t = com
                .access
                .iter()
                .map(|p| p.time_from(&a.graph, |n| times[n as usize], &origins))
                .min();
            if let Some(t) = t.filter(|&t| t <= threshold) {
                if best[c].is_none_or(|(_, bt)| t < bt) {
                    best[c] = Some((f, t));
                }
            }
        }
    }
    best
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

#[test]
fn places_per_child_from_a_planners_list_on_monaco() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("schools.csv");
    std::fs::write(&list, LIST).unwrap();
    let out = dir.path().join("out");
    let run = common::childcircle(
        dir.path(),
        &[
            "analyze",
            monaco().to_str().unwrap(),
            "--facilities",
            list.to_str().unwrap(),
            "--no-isochrones",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let summary: Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    let facilities: Value =
        serde_json::from_slice(&std::fs::read(out.join("facilities.geojson")).unwrap()).unwrap();
    let report = std::fs::read_to_string(out.join("report.html")).unwrap();
    let places = |id: &str| -> Value {
        summary["categories"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap()["places"]
            .clone()
    };
    let per_child = |name: &str, category: &str| -> Value {
        facilities["features"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["properties"]["name"] == name && f["properties"]["category"] == category)
            .unwrap_or_else(|| panic!("{name} ({category}) in facilities.geojson"))["properties"]
            ["places_per_child"]
            .clone()
    };

    let a = analyse(Some(&list));
    let kids = children(&a);

    // Primary: the oracle's assignment, then the figures by hand.
    let k = a.profile.category_index("primary").unwrap();
    let near = nearest(&a, k);
    let (mut served, mut unserved) = (vec![0.0; a.facilities.len()], 0.0);
    for (c, n) in near.iter().enumerate() {
        match n {
            Some((f, t)) => {
                served[*f] += kids[c];
                // The nearest one is as near as the nearest of them all.
                let all = a.coverage[c].minutes[k].unwrap();
                assert!(
                    (all - *t as f64 / 600.0).abs() < 1e-9,
                    "{}",
                    a.communities[c].name
                );
            }
            None => unserved += kids[c],
        }
    }
    let by_name = |name: &str| {
        a.facilities
            .iter()
            .position(|f| f.category == k && f.name.as_deref() == Some(name))
            .unwrap()
    };
    let (revoires, condamine, fontvieille) = (
        by_name("École des Révoires"),
        by_name("École de la Condamine"),
        by_name("École de Fontvieille"),
    );
    assert_eq!(a.facilities[revoires].capacity, Some(250.0));
    assert_eq!(a.facilities[condamine].capacity, Some(180.0));
    assert_eq!(a.facilities[fontvieille].capacity, Some(150.0));
    println!(
        "primary: Révoires serves {:.1} children, Fontvieille {:.1}, Condamine {:.1}, all five {:.1}, unserved {unserved:.1}",
        served[revoires],
        served[fontvieille],
        served[condamine],
        served.iter().sum::<f64>()
    );
    assert!(served[revoires] > 0.0 && served[fontvieille] > 0.0);
    // The Condamine's communities are all nearer another school: its
    // places serve nobody and are not counted.
    assert_eq!(served[condamine], 0.0);
    let known = served[revoires] + served[fontvieille];
    let total: f64 = served.iter().sum();
    assert!(known < total, "some children go to schools of unknown size");
    let p = places("primary");
    // By hand from the figures printed above: 250 + 150 places for the
    // 526.0 + 121.9 children nearest to Révoires and Fontvieille, 0.617 a
    // child, speaking for 647.9 of the 1643.9 children within 10 minutes
    // of a primary school (39.4 %); 1138.0 children reach none.
    assert!(
        (p["overall"].as_f64().unwrap() - 0.617).abs() < 0.001,
        "{p}"
    );
    assert!(
        (p["known_share"].as_f64().unwrap() - 0.394).abs() < 0.001,
        "{p}"
    );
    assert_eq!(p["facilities"], 5);
    assert_eq!(p["with_capacity"], 3);
    assert_eq!(p["places"], 400.0);
    assert!(close(p["overall"].as_f64().unwrap(), 400.0 / known), "{p}");
    assert!(
        close(p["known_share"].as_f64().unwrap(), known / total),
        "{p}"
    );
    assert!(close(p["children_served"].as_f64().unwrap(), total), "{p}");
    assert!(
        close(p["children_unserved"].as_f64().unwrap(), unserved),
        "{p}"
    );
    let rounded = |v: f64| (v * 1000.0).round() / 1000.0;
    assert_eq!(
        per_child("École des Révoires", "primary"),
        rounded(250.0 / served[revoires])
    );
    assert_eq!(
        per_child("École de Fontvieille", "primary"),
        rounded(150.0 / served[fontvieille])
    );
    assert_eq!(per_child("École de la Condamine", "primary"), Value::Null);
    assert_eq!(per_child("École des Carmes", "primary"), Value::Null);

    // Kindergarten: of Monaco's two, only the École du Parc has children
    // within 5 minutes, so its children are those of the communities within
    // 5 minutes of any kindergarten.
    let k = a.profile.category_index("kinder").unwrap();
    let within: f64 = (0..a.communities.len())
        .filter(|&c| a.coverage[c].minutes[k].is_some_and(|m| m <= 5.0))
        .map(|c| kids[c])
        .sum();
    let all_kids: f64 = kids.iter().sum();
    println!("kinder: {within:.1} of {all_kids:.1} children within 5 min");
    assert!(within > 0.0 && within < all_kids);
    let p = places("kinder");
    // By hand: 60 places for 82.3 children, 0.729 a child.
    assert!(
        (p["overall"].as_f64().unwrap() - 0.729).abs() < 0.001,
        "{p}"
    );
    assert_eq!(
        (p["facilities"].as_u64(), p["with_capacity"].as_u64()),
        (Some(2), Some(1))
    );
    assert!(close(p["overall"].as_f64().unwrap(), 60.0 / within), "{p}");
    assert_eq!(p["known_share"], 1.0);
    assert!(
        close(p["children_unserved"].as_f64().unwrap(), all_kids - within),
        "{p}"
    );
    assert_eq!(per_child("École du Parc", "kinder"), rounded(60.0 / within));

    // Null, not zero: the crèche has 40 places but no community within 5
    // minutes; a high school or a park has no places in the profile.
    let p = places("childcare");
    assert_eq!(
        (p["facilities"].as_u64(), p["with_capacity"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(
        (&p["overall"], &p["known_share"]),
        (&Value::Null, &Value::Null),
        "{p}"
    );
    assert_eq!(p["places"], 0.0);
    assert!(
        close(p["children_unserved"].as_f64().unwrap(), all_kids),
        "{p}"
    );
    assert_eq!(per_child("Crèche Rosine Sanmori", "childcare"), Value::Null);
    assert_eq!(places("high"), Value::Null);
    assert_eq!(places("park"), Value::Null);
    for f in facilities["features"].as_array().unwrap() {
        assert!(f["properties"].get("places_per_child").is_some(), "{f}");
    }

    // The report's table gives the same figures.
    assert!(report.contains("Places per child served"));
    let row = |label: &str| {
        let at = report.find(&format!("<td>{label}</td>")).unwrap();
        report[at..at + report[at..].find("</tr>").unwrap()].to_string()
    };
    let primary = row("小学 Primary school");
    assert!(
        primary.contains(&format!("{:.2}", 400.0 / known)),
        "{primary}"
    );
    assert!(row("托育 Childcare").contains("—"));
    // QGIS knows the field.
    let qml = std::fs::read_to_string(out.join("facilities.qml")).unwrap();
    assert!(qml.contains("field=\"places_per_child\""));
}

/// Without a list nothing of Monaco has a capacity: every category with
/// places is null overall (the share known 0 where children are served) and
/// no facility has a figure.
#[test]
fn without_capacities_every_figure_is_null() {
    let a = analyse(None);
    assert!(a.capacity.per_facility.iter().all(Option::is_none));
    let with: Vec<&str> = a
        .profile
        .categories
        .iter()
        .zip(&a.capacity.by_category)
        .filter_map(|(c, p)| p.as_ref().map(|_| c.id.as_str()))
        .collect();
    assert_eq!(with, ["kinder", "childcare", "primary", "middle"]);
    for p in a.capacity.by_category.iter().flatten() {
        assert_eq!((p.with_capacity, p.overall), (0, None), "{p:?}");
        let share = (p.children_served > 0.0).then_some(0.0);
        assert_eq!(p.known_share, share, "{p:?}");
    }
}

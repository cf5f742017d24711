//! The trivial path: when a walk starts and ends on the same edge it goes
//! straight along that edge, not out to an end node and back (Valhalla's thor
//! checks this case explicitly). A tiny city written with the project's own
//! PBF writer: a 5×5 grid of residential streets with 200 m blocks, two
//! footways going 400 m south from the grid's bottom corners, and one straight
//! 800 m footway joining their ends with no node in between. A kindergarten
//! stands 5 m south of the middle of that footway; a named 40 m × 40 m
//! compound lies 20 m south of the footway, starting 10 m east of the
//! kindergarten, with no walking node inside and no gate.

use std::path::{Path, PathBuf};

use childcircle::analysis::{analyze_with_options, point_isochrone, Analysis, AnalyzeOptions};
use childcircle::geodesy::LocalProjection;
use childcircle::isochrone::IsochroneOptions;
use childcircle::Profile;
use childcircle_synth::PbfWriter;
use geo::Contains;

fn projection() -> LocalProjection {
    LocalProjection::new(116.31, 37.45)
}

/// Lon/lat of a point `x` m east and `y` m north of the city's origin.
fn lonlat(x: f64, y: f64) -> [f64; 2] {
    projection().unproject([x, y])
}

fn write_city(dir: &Path) -> PathBuf {
    let path = dir.join("trivial.osm.pbf");
    let file = std::fs::File::create(&path).unwrap();
    let mut w = PbfWriter::new(file, None).unwrap();
    let grid = |i: i64, j: i64| 1 + i + 5 * j;
    for j in 0..5 {
        for i in 0..5 {
            let [lon, lat] = lonlat(i as f64 * 200.0, j as f64 * 200.0);
            w.add_node(grid(i, j), lat, lon, &[]).unwrap();
        }
    }
    let mut add = |id: i64, x: f64, y: f64, tags: &[(&str, &str)]| {
        let [lon, lat] = lonlat(x, y);
        w.add_node(id, lat, lon, tags).unwrap();
    };
    add(100, 0.0, -400.0, &[]);
    add(101, 800.0, -400.0, &[]);
    add(
        102,
        400.0,
        -405.0,
        &[("amenity", "kindergarten"), ("name", "幼儿园")],
    );
    for (id, x, y) in [
        (110, 410.0, -420.0),
        (111, 410.0, -460.0),
        (112, 450.0, -460.0),
        (113, 450.0, -420.0),
    ] {
        add(id, x, y, &[]);
    }
    let street = [("highway", "residential")];
    let mut way = 1000;
    for j in 0..5 {
        let refs: Vec<i64> = (0..5).map(|i| grid(i, j)).collect();
        w.add_way(way, &refs, &street).unwrap();
        way += 1;
    }
    for i in 0..5 {
        let refs: Vec<i64> = (0..5).map(|j| grid(i, j)).collect();
        w.add_way(way, &refs, &street).unwrap();
        way += 1;
    }
    let footway = [("highway", "footway")];
    w.add_way(2000, &[grid(0, 0), 100], &footway).unwrap();
    w.add_way(2001, &[grid(4, 0), 101], &footway).unwrap();
    w.add_way(2002, &[100, 101], &footway).unwrap();
    w.add_way(
        3000,
        &[110, 111, 112, 113, 110],
        &[("landuse", "residential"), ("name", "小院")],
    )
    .unwrap();
    w.finish().unwrap();
    path
}

fn analyse(path: &Path) -> Analysis {
    let options = AnalyzeOptions {
        isochrones: Some(IsochroneOptions {
            bands_min: vec![5.0],
            cell_m: 10.0,
            ..Default::default()
        }),
        ..Default::default()
    };
    analyze_with_options(path, &options, &mut |_| {}).unwrap()
}

/// Probes on the footway 150 m either side of the kindergarten.
fn probes() -> [geo::Point<f64>; 2] {
    [lonlat(250.0, -400.0), lonlat(550.0, -400.0)].map(|p| geo::Point::new(p[0], p[1]))
}

#[test]
fn a_walk_along_one_edge_goes_straight_along_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_city(dir.path());
    let a = analyse(&path);
    let kinder = a.profile.category_index("kinder").unwrap();
    assert_eq!(a.communities.len(), 1);
    let minutes = a.coverage[0].minutes[kinder].expect("reached");
    // 5 m + 30 m + 40 m at 1 m/s = 75 s.
    assert!(
        (minutes - 1.25).abs() <= 0.05,
        "t_kinder {minutes:.2} min, expected 1.25"
    );
    assert!(a.coverage[0].covered[kinder]);
    assert_eq!(a.coverage[0].roads_crossed[kinder], Some(0));

    // The kindergarten's 5-minute isochrone follows the footway both ways.
    let f = a
        .facilities
        .iter()
        .position(|f| f.category == kinder)
        .unwrap();
    let band = &a.isochrones[f][0];
    assert!(band.area_m2 > 0.0, "5-minute isochrone is empty");
    for p in probes() {
        assert!(band.polygon.contains(&p), "{p:?} outside the 5-minute band");
    }
    // And so does the category's city-wide coverage polygon.
    let covered = &a.coverage_areas[kinder].covered;
    for p in probes() {
        assert!(covered.contains(&p), "{p:?} outside the kinder coverage");
    }
    // The facility's own reach counts the compound.
    assert_eq!(a.reach[f].communities, 1);
}

#[test]
fn one_point_isochrone_on_a_long_edge_is_not_empty() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_city(dir.path());
    let options = IsochroneOptions {
        bands_min: vec![5.0],
        cell_m: 10.0,
        ..Default::default()
    };
    let bands =
        point_isochrone(&path, lonlat(400.0, -405.0), &options, &Profile::default()).unwrap();
    for p in probes() {
        assert!(bands[0].polygon.contains(&p), "{p:?} outside");
    }
}

#[test]
fn a_site_on_the_same_edge_covers_the_compound() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_city(dir.path());
    let a = analyse(&path);
    // No playground is mapped: a planner's site where the kindergarten stands
    // reaches the compound along the footway within the 5 minutes.
    let play = a.profile.category_index("play").unwrap();
    assert!(!a.coverage[0].covered[play]);
    let site = [lonlat(400.0, -405.0)];
    let s = childcircle::findings::siting::suggest_sites(&a, play, 1, Some(&site));
    assert_eq!(s.sites.len(), 1, "the site covers the compound");
    assert_eq!(s.sites[0].newly_covered, vec![0]);
}

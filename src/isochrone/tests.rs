use geo::{Contains, Validation};

use super::*;
use crate::testmap::TestMap;

fn profile() -> Profile {
    Profile::default()
}

fn bands_from(map: &TestMap, from: char, bands: &[f64]) -> Vec<(f64, MultiPolygon<f64>)> {
    let options = IsochroneOptions {
        bands_min: bands.to_vec(),
        cell_m: 10.0,
        ..Default::default()
    };
    let origins = Origins::at_node(&map.graph, map.nodes[&from]);
    let mut state = SearchState::new(map.graph.node_count());
    let out = isochrone_reusing(&map.graph, &origins, &options, &profile(), &mut state);
    for (_, mp) in &out {
        assert!(
            mp.is_valid(),
            "invalid polygon: {:?}",
            mp.check_validation()
        );
    }
    out
}

fn inside(mp: &MultiPolygon<f64>, p: [f64; 2]) -> bool {
    mp.contains(&geo::Coord { x: p[0], y: p[1] })
}

/// One long street, 1 km, walked from its west end for 5 minutes (300 m at
/// 1 m/s): the polygon follows the street part-way and stops.
#[test]
fn a_long_edge_is_reached_part_way() {
    let map = TestMap::parse(
        "\
A----------------------------------------------------------------------------------------------------B
                a          b         c",
        &profile(),
    );
    let bands = bands_from(&map, 'A', &[5.0]);
    let mp = &bands[0].1;
    // a: 160 m along the street, 10 m beside it; b: 270 m; c: 370 m (beyond 300 m + 50 m margin).
    assert!(inside(mp, map.probes[&'a']), "160 m along is reached");
    assert!(inside(mp, map.probes[&'b']), "270 m along is reached");
    assert!(!inside(mp, map.probes[&'c']), "370 m along is not");
}

/// A river with no bridge: the far bank is close as the crow flies but
/// unreachable, so it is a separate world the polygon must not cover.
#[test]
fn no_polygon_crosses_a_river_without_a_bridge() {
    let map = TestMap::parse(
        "\
A-------B                    E-------F
|       |                    |       |
|   a   |        r           |   e   |
|       |                    |       |
C-------D                    G-------H",
        &profile(),
    );
    let bands = bands_from(&map, 'A', &[10.0]);
    let mp = &bands[0].1;
    assert!(inside(mp, map.probes[&'a']));
    assert!(!inside(mp, map.probes[&'r']), "the middle of the river");
    assert!(!inside(mp, map.probes[&'e']), "the far bank");
    // With the bridge B-E, the far bank is 290 m away and is reached.
    let bridged = TestMap::parse(
        "\
A-------B--------------------E-------F
|       |                    |       |
|   a   |        r           |   e   |
|       |                    |       |
C-------D                    G-------H",
        &profile(),
    );
    let bands = bands_from(&bridged, 'A', &[10.0]);
    assert!(inside(&bands[0].1, bridged.probes[&'e']));
}

/// A large block with no paths inside a reachable ring road is a hole.
#[test]
fn an_unreachable_block_inside_the_reach_is_a_hole() {
    let map = TestMap::parse(
        "\
A------------------------------B
|                              |
|                              |
|                              |
|                              |
|                              |
|                              |
|              h               |
|                              |
|                              |
|                              |
|                              |
|                              |
|                              |
C------------------------------D",
        &profile(),
    );
    let bands = bands_from(&map, 'A', &[15.0]);
    let mp = &bands[0].1;
    assert_eq!(mp.0.len(), 1, "one piece");
    assert_eq!(mp.0[0].interiors().len(), 1, "with one hole");
    assert!(
        !inside(mp, map.probes[&'h']),
        "the middle of the block (70 m from every road)"
    );
    for n in ['A', 'B', 'C', 'D'] {
        let p = map.graph.xy()[map.nodes[&n] as usize];
        assert!(inside(mp, [f64::from(p[0]), f64::from(p[1])]), "corner {n}");
    }
}

/// Bands nest: a 5-minute polygon lies within the 10-minute one.
#[test]
fn bands_nest() {
    let map = TestMap::parse(
        "\
A-----------B-----------C-----------D
|           |           |           |
E-----------F-----------G-----------H",
        &profile(),
    );
    let bands = bands_from(&map, 'A', &[1.0, 2.0, 4.0]);
    let area = |i: usize| bands[i].1.unsigned_area();
    assert!(
        area(0) < area(1) && area(1) < area(2),
        "{} {} {}",
        area(0),
        area(1),
        area(2)
    );
    use geo::BooleanOps;
    let outside = bands[0].1.difference(&bands[1].1).unsigned_area();
    assert!(
        outside < 10.0 * 10.0,
        "5-minute area sticks out of the 10-minute one by {outside} m²"
    );
}

/// On a real extract: every node reached within a band lies inside that band's
/// polygon (or within one cell of it), and every node not reached within the
/// band plus the margin lies outside — unless it stands within the margin of a
/// path that is reached in time (the margin lets a walker step off a path; in
/// Monaco a path above a tunnel passes close to nodes far away by the network).
#[test]
fn polygons_agree_with_the_search_on_a_real_extract() {
    use geo::{Distance, Euclidean};
    let (graph, facilities, _, profile) = crate::testmap::load_extract("monaco.osm.pbf");
    let options = IsochroneOptions::default();
    let margin = margin_time(&options, &profile);
    let mut state = SearchState::new(graph.node_count());
    let (mut checked, mut outside) = (0, 0);
    for f in facilities
        .iter()
        .filter(|f| !f.access.is_empty())
        .step_by(7)
    {
        let origins = f.origins(&graph);
        let seeds = origins.seeds(&graph);
        let bands = isochrone_reusing(&graph, &origins, &options, &profile, &mut state);
        // Times without a limit, to know which nodes are beyond band + margin.
        let all = crate::search::oracle::dijkstra(&graph, &seeds, UNREACHED - 1);
        for (minutes, mp) in &bands {
            assert!(mp.is_valid(), "{}: {:?}", f.osm, mp.check_validation());
            let band = minutes_to_time(*minutes);
            let reached_paths = geo::MultiLineString(
                (0..graph.edges().len() as u32)
                    .filter(|&e| {
                        let ed = graph.edges()[e as usize];
                        all[ed.u as usize] <= band || all[ed.v as usize] <= band
                    })
                    .map(|e| {
                        graph
                            .shape(e)
                            .iter()
                            .map(|p| (f64::from(p[0]), f64::from(p[1])))
                            .collect()
                    })
                    .collect(),
            );
            for (n, &t) in all.iter().enumerate() {
                let p = graph.xy()[n];
                let pt = geo::Point::new(f64::from(p[0]), f64::from(p[1]));
                if t <= band {
                    let d = Euclidean.distance(&pt, mp);
                    assert!(
                        d <= options.cell_m,
                        "{} {minutes} min: node {n} at {t} ds is {d} m outside",
                        f.osm
                    );
                    checked += 1;
                } else if t > band + margin
                    && Euclidean.distance(&pt, &reached_paths) > options.margin_m + options.cell_m
                {
                    assert!(
                        !mp.contains(&pt),
                        "{} {minutes} min: node {n} at {t} ds is inside",
                        f.osm
                    );
                    outside += 1;
                }
            }
        }
    }
    assert!(
        checked > 1000 && outside > 1000,
        "checked {checked} inside, {outside} outside"
    );
}

/// The city-wide coverage polygon of a category agrees with the union of its
/// facilities' own polygons.
#[test]
fn coverage_area_agrees_with_union_of_facility_polygons() {
    use geo::BooleanOps;
    let (graph, facilities, communities, profile) = crate::testmap::load_extract("monaco.osm.pbf");
    let options = IsochroneOptions::default();
    let times = crate::coverage::category_times(&graph, &facilities, &profile).times;
    let origins = crate::coverage::all_category_origins(&graph, &facilities, &profile);
    let areas = coverage_areas(&graph, &times, &origins, &communities, &options, &profile);
    for cat in ["park", "play"] {
        let k = profile.category_index(cat).unwrap();
        let band = IsochroneOptions {
            bands_min: vec![profile.categories[k].minutes],
            ..options.clone()
        };
        let mut state = SearchState::new(graph.node_count());
        let union = facilities
            .iter()
            .filter(|f| f.category == k && !f.access.is_empty())
            .map(|f| {
                let origins = f.origins(&graph);
                isochrone_reusing(&graph, &origins, &band, &profile, &mut state)
                    .remove(0)
                    .1
            })
            .fold(MultiPolygon::<f64>(vec![]), |acc, p| acc.union(&p));
        let (u, c) = (union.unsigned_area(), areas[k].covered_m2);
        assert!(u > 0.0);
        assert!(
            (u - c).abs() / u < 0.03,
            "{cat}: union {u:.0} m² vs coverage {c:.0} m²"
        );
        assert!(areas[k].covered.is_valid());
    }
}

/// One band's polygon does not depend on the other bands asked for: the
/// 15-minute band around a point of the Dezhou model is the same alone, with a
/// 30-minute band and with a 60-minute band (within one cell's area).
#[test]
fn a_band_does_not_depend_on_the_other_bands() {
    use geo::BooleanOps;
    let extract =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/dezhou/decheng.osm.pbf");
    let profile = profile();
    let band_15 = |bands: &[f64]| {
        let options = IsochroneOptions {
            bands_min: bands.to_vec(),
            ..Default::default()
        };
        let out = crate::analysis::point_isochrone(&extract, [116.31, 37.45], &options, &profile)
            .unwrap();
        let mp = out[0].polygon.clone();
        assert_eq!(out[0].minutes, 15.0);
        // Compare in projected metres.
        let p = crate::geodesy::LocalProjection::new(116.31, 37.45);
        mp.map_coords(|c| {
            let [x, y] = p.project([c.x, c.y]);
            geo::Coord { x, y }
        })
    };
    let alone = band_15(&[15.0]);
    assert!(alone.unsigned_area() > 100_000.0);
    let cell = IsochroneOptions::default().cell_m;
    for others in [&[15.0, 30.0][..], &[15.0, 60.0]] {
        let with = band_15(others);
        let differ = alone.xor(&with).unsigned_area();
        assert!(
            differ <= cell * cell,
            "15 min alone {:.0} m², with {others:?} {:.0} m²: {differ:.0} m² differ",
            alone.unsigned_area(),
            with.unsigned_area()
        );
    }
}

/// The fast validity check ([`valid`]) answers as geo's `is_valid` does: on
/// real isochrone outlines (projected, rounded to lon/lat as the writers
/// round them, and simplified hard enough to break some), and on random
/// outlines on a small lattice, where segments cross, touch, overlap and
/// repeat points and holes poke out of their shells.
#[test]
fn fast_validity_agrees_with_geo() {
    use geo::Simplify;
    let (mut valid_seen, mut invalid_seen) = (0, 0);
    let mut check = |mp: &MultiPolygon<f64>, what: &str| {
        let expected = mp.is_valid();
        assert_eq!(
            valid::multi_polygon_is_valid(mp),
            expected,
            "{what}: {mp:?}"
        );
        for p in &mp.0 {
            assert_eq!(valid::polygon_is_valid(p), p.is_valid(), "{what}: {p:?}");
        }
        if expected {
            valid_seen += 1;
        } else {
            invalid_seen += 1;
        }
    };
    let (graph, facilities, _, profile) = crate::testmap::load_extract("monaco.osm.pbf");
    let mut state = SearchState::new(graph.node_count());
    for f in facilities
        .iter()
        .filter(|f| !f.access.is_empty())
        .step_by(5)
    {
        let origins = f.origins(&graph);
        let options = IsochroneOptions::default();
        for (minutes, mp) in isochrone_reusing(&graph, &origins, &options, &profile, &mut state) {
            let what = format!("{} {minutes} min", f.osm);
            check(&mp, &what);
            let lonlat = super::unprojected_rounded(&graph, &mp);
            check(&lonlat, &what);
            for tolerance in [40.0, 120.0] {
                check(&mp.simplify(tolerance), &what);
            }
        }
    }
    // Random outlines: seeded, so a failure replays.
    const SEED: u64 = 0x150;
    let mut rng = crate::rng::SplitMix64::new(SEED);
    for case in 0..3000 {
        let ring = |rng: &mut crate::rng::SplitMix64, at: f64, size: u64| {
            let n = 3 + rng.below_u64(6) as usize;
            let mut pts: Vec<(f64, f64)> = (0..n)
                .map(|_| {
                    (
                        at + rng.below_u64(size) as f64,
                        at + rng.below_u64(size) as f64,
                    )
                })
                .collect();
            pts.push(pts[0]);
            geo::LineString::from(pts)
        };
        let parts = 1 + rng.below_u64(3) as usize;
        let polygons = (0..parts)
            .map(|k| {
                let offset = k as f64 * rng.below_u64(8) as f64;
                let holes = (0..rng.below_u64(3))
                    .map(|_| ring(&mut rng, offset + 1.0, 4))
                    .collect();
                geo::Polygon::new(ring(&mut rng, offset, 7), holes)
            })
            .collect();
        check(&MultiPolygon(polygons), &format!("seed {SEED} case {case}"));
    }
    assert!(
        valid_seen > 500 && invalid_seen > 500,
        "{valid_seen} valid, {invalid_seen} invalid: both kinds must be exercised"
    );
}

/// The `contour` crate's answer, as [`marching::shells_and_holes`] gives it:
/// shells in order, then every shell's holes in turn.
fn oracle_rings(
    grid: &grid::TimeGrid,
    threshold: Time,
    top: f32,
) -> (Vec<geo::LineString<f64>>, Vec<geo::LineString<f64>>) {
    let values: Vec<f64> = grid
        .values
        .iter()
        .map(|&v| -f64::from(v.min(top)))
        .collect();
    let raw = contour::ContourBuilder::new(grid.nx, grid.ny, true)
        .x_origin(grid.origin[0] - grid.cell_m / 2.0)
        .y_origin(grid.origin[1] - grid.cell_m / 2.0)
        .x_step(grid.cell_m)
        .y_step(grid.cell_m)
        .contours(&values, &[-f64::from(threshold)])
        .expect("grid dimensions match its values");
    let (mut shells, mut holes) = (Vec::new(), Vec::new());
    for p in raw
        .into_iter()
        .next()
        .expect("one threshold")
        .into_inner()
        .0
    {
        let (exterior, interiors) = p.into_inner();
        shells.push(exterior);
        holes.extend(interiors);
    }
    (shells, holes)
}

/// Marching squares give, coordinate for coordinate, the `contour` crate's
/// rings and grouping: on random grids (values from a few levels, so many
/// equal the threshold or the top; blobs with holes and islands in holes;
/// grids one vertex wide or tall) and on real isochrone grids.
#[test]
fn marching_squares_match_the_contour_crate() {
    const SEED: u64 = 0x3a7c;
    let mut rng = crate::rng::SplitMix64::new(SEED);
    let mut holes_seen = 0;
    for case in 0..2000 {
        let (nx, ny) = (1 + rng.below(24), 1 + rng.below(24));
        let levels = 2 + rng.below(6);
        let smooth = rng.chance(0.5);
        let mut values: Vec<f32> = (0..nx * ny)
            .map(|_| {
                let level = rng.below(levels) as f32 * 10.0;
                if smooth {
                    level + rng.f64() as f32 * 9.0
                } else {
                    level
                }
            })
            .collect();
        let (nx, ny) = if rng.chance(0.3) {
            // Sparse: a wide grid of unreached vertices with the random patch
            // in it (long runs of cells that agree, inside and outside).
            let (wx, wy) = (nx + rng.below(80), ny + rng.below(10));
            let (ox, oy) = (rng.below(wx - nx + 1), rng.below(wy - ny + 1));
            let fill = if rng.chance(0.5) { 1000.0 } else { 0.0 };
            let mut wide = vec![fill; wx * wy];
            for (i, &v) in values.iter().enumerate() {
                wide[(oy + i / nx) * wx + ox + i % nx] = v;
            }
            values = wide;
            (wx, wy)
        } else {
            (nx, ny)
        };
        let grid = grid::TimeGrid {
            origin: [rng.range(-3000.0, 3000.0), rng.range(-3000.0, 3000.0)],
            cell_m: [1.0, 10.0, 25.0, 37.5][rng.below(4)],
            nx,
            ny,
            values,
            cap: 1000.0,
        };
        let threshold = (rng.below(levels) * 10) as Time;
        let top = threshold as f32 + [0.0, 1.0, 5.0, 1000.0][rng.below(4)];
        let ours = marching::shells_and_holes(&grid, threshold, top);
        holes_seen += ours.1.len();
        assert_eq!(
            ours,
            oracle_rings(&grid, threshold, top),
            "seed {SEED:#x} case {case}: {nx}x{ny} grid, threshold {threshold}, top {top}"
        );
    }
    assert!(
        holes_seen > 500,
        "{holes_seen} holes: holes must be exercised"
    );
    // Real grids: every fifth facility of Monaco, each band.
    let (graph, facilities, _, profile) = crate::testmap::load_extract("monaco.osm.pbf");
    let options = IsochroneOptions::default();
    let mut state = SearchState::new(graph.node_count());
    let ramp = cell_time(&grid_spec(&options, &profile)) as f32;
    let mut grids = 0;
    for f in facilities
        .iter()
        .filter(|f| !f.access.is_empty())
        .step_by(5)
    {
        let bands: Vec<Time> = options
            .bands_min
            .iter()
            .map(|&m| minutes_to_time(m))
            .collect();
        let largest = *bands.iter().max().expect("bands");
        let origins = f.origins(&graph);
        let Some(grid) = walked_grid(&graph, &origins, &options, &profile, largest, &mut state)
        else {
            continue;
        };
        grids += 1;
        for &t in &bands {
            let top = t as f32 + ramp;
            assert_eq!(
                marching::shells_and_holes(&grid, t, top),
                oracle_rings(&grid, t, top),
                "{} band {t}",
                f.osm
            );
        }
    }
    assert!(grids > 10, "{grids} real grids");
}

//! Does a point list given as WGS84 look like GCJ-02 instead?
//!
//! Points copied from Amap or Tencent sit 300–700 m from their WGS84 place, in
//! the direction of the GCJ-02 offset. Moving every point back by the inverse
//! transform then brings the list onto the map: the points fall onto OSM's
//! facilities of their category, or much closer to the walking network. When
//! either happens for most points, the list is very likely GCJ-02.

use crate::crs::{gcj02_to_wgs84, in_china};
use crate::geodesy::haversine_m;
use crate::network::graph::Graph;
use crate::places::snap::GraphIndex;
use crate::places::{Facility, PlaceGeometry};

/// Fewer points than this say nothing.
const MIN_POINTS: usize = 5;

/// A warning when the file's points look GCJ-02, else `None`.
/// `osm` are the lon/lat of the extract's own facilities.
pub fn gcj02_suspect(
    file: &[Facility],
    osm: &[[f64; 2]],
    graph: &Graph,
    index: &GraphIndex,
) -> Option<String> {
    let points: Vec<[f64; 2]> = file
        .iter()
        .filter_map(|f| match f.geometry {
            PlaceGeometry::Point(p) if in_china(p) => Some(p),
            _ => None,
        })
        .collect();
    if points.len() < MIN_POINTS {
        return None;
    }
    let converted: Vec<[f64; 2]> = points.iter().map(|&p| gcj02_to_wgs84(p)).collect();
    if let Some(w) = onto_osm_facilities(&points, &converted, osm) {
        return Some(w);
    }
    onto_network(&points, &converted, graph, index)
}

fn advice(evidence: String) -> String {
    format!(
        "the points look like GCJ-02 (Amap/Tencent) coordinates, not WGS84: {evidence}; if they were copied from a Chinese web map, pass --crs gcj02 (Baidu: --crs bd09)"
    )
}

/// Converted, most points land on an OSM facility where raw they do not.
fn onto_osm_facilities(
    raw: &[[f64; 2]],
    converted: &[[f64; 2]],
    osm: &[[f64; 2]],
) -> Option<String> {
    if osm.is_empty() {
        return None;
    }
    let nearest = |p: [f64; 2]| {
        osm.iter()
            .map(|&o| haversine_m(p, o))
            .fold(f64::INFINITY, f64::min)
    };
    let moved = raw
        .iter()
        .zip(converted)
        .filter(|(&r, &c)| nearest(c) <= 50.0 && nearest(r) > 150.0)
        .count();
    let stayed = raw.iter().filter(|&&r| nearest(r) <= 50.0).count();
    (moved >= 3 && moved * 10 >= raw.len() * 3 && moved > 2 * stayed).then(|| {
        advice(format!(
            "moved back by the GCJ-02 inverse, {moved} of {} points land within 50 m of an OSM facility (as given, {stayed})",
            raw.len()
        ))
    })
}

/// Converted, the points lie much closer to the walking network.
fn onto_network(
    raw: &[[f64; 2]],
    converted: &[[f64; 2]],
    graph: &Graph,
    index: &GraphIndex,
) -> Option<String> {
    let median_snap = |points: &[[f64; 2]]| {
        let mut d: Vec<f64> = points
            .iter()
            .map(|&p| {
                index
                    .snap(graph, graph.projection().project(p), 2000.0)
                    .map_or(2000.0, |a| f64::from(a.snap_m))
            })
            .collect();
        d.sort_by(f64::total_cmp);
        d[d.len() / 2]
    };
    let (before, after) = (median_snap(raw), median_snap(converted));
    (before > 2.0 * after + 10.0).then(|| {
        advice(format!(
            "moved back by the GCJ-02 inverse, their median distance to the nearest walkable way falls from {before:.0} m to {after:.0} m"
        ))
    })
}

//! OGC validity of isochrone polygons, fast: the same answer as geo's
//! [`Validation::is_valid`](geo::Validation::is_valid), which tests every
//! pair of a ring's segments for self-intersection (quadratic: on a
//! 500-vertex outline, 250 000 exact orientation tests). Here a sweep over
//! the segments sorted by their left end tests only pairs whose bounding
//! boxes overlap; two segments whose closed boxes are apart cannot intersect,
//! and the test applied to the remaining pairs is geo's own, so the answer is
//! the same. The checks between rings and between polygons are geo's too,
//! skipped only where the bounding boxes are apart (where they cannot find
//! anything): between polygons and between the holes of one polygon.
//!
//! `tests.rs` compares [`multi_polygon_is_valid`] with geo's on real isochrones
//! and on random self-crossing, touching and nested outlines.

use geo::coordinate_position::CoordPos;
use geo::dimensions::Dimensions;
use geo::{
    BoundingRect, Intersects, Line, LineString, MultiPolygon, Polygon, PreparedGeometry, Relate,
    RemoveRepeatedPoints,
};

/// geo's `MultiPolygon::is_valid`, answered faster.
pub fn multi_polygon_is_valid(mp: &MultiPolygon<f64>) -> bool {
    if !mp.0.iter().all(polygon_is_valid) {
        return false;
    }
    let boxes: Vec<_> = mp.0.iter().map(|p| p.bounding_rect()).collect();
    // A polygon meets many others in a city's coverage (the islands in its
    // holes): its relate graph is prepared once, when first needed.
    let mut prepared: Vec<Option<PreparedGeometry<'_, &Polygon<f64>>>> =
        (0..mp.0.len()).map(|_| None).collect();
    for i in 0..mp.0.len() {
        for j in i + 1..mp.0.len() {
            if let (Some(a), Some(b)) = (boxes[i], boxes[j]) {
                if !a.intersects(&b) {
                    continue;
                }
            }
            // An empty polygon has no box: geo decides, as it would.
            for k in [i, j] {
                if prepared[k].is_none() {
                    prepared[k] = Some(PreparedGeometry::from(&mp.0[k]));
                }
            }
            let (a, b) = (prepared[i].as_ref(), prepared[j].as_ref());
            let im = a.expect("prepared").relate(b.expect("prepared"));
            if !pair_matrix_is_valid(&im) {
                return false;
            }
        }
    }
    true
}

/// Two polygons of a multipolygon neither overlap nor touch along a line.
fn pair_matrix_is_valid(im: &geo::relate::IntersectionMatrix) -> bool {
    im.get(CoordPos::Inside, CoordPos::Inside) != Dimensions::TwoDimensional
        && im.get(CoordPos::OnBoundary, CoordPos::OnBoundary) != Dimensions::OneDimensional
}

/// geo's `Polygon::is_valid`, answered faster.
pub fn polygon_is_valid(p: &Polygon<f64>) -> bool {
    if p.exterior().0.is_empty() {
        return true;
    }
    for ring in std::iter::once(p.exterior()).chain(p.interiors()) {
        if ring.0.is_empty() {
            continue;
        }
        if ring.remove_repeated_points().0.len() < 4
            || has_self_intersection(ring)
            || ring.0.iter().any(|c| !(c.x.is_finite() && c.y.is_finite()))
        {
            return false;
        }
    }
    let interiors: Vec<&LineString<f64>> =
        p.interiors().iter().filter(|r| !r.0.is_empty()).collect();
    if interiors.is_empty() {
        return true;
    }
    let exterior = Polygon::new(p.exterior().clone(), vec![]);
    let exterior = PreparedGeometry::from(&exterior);
    // Two holes whose boxes are apart can neither overlap nor touch: only the
    // others are related (a city's coverage has thousands of holes).
    let boxes: Vec<_> = interiors.iter().map(|h| h.bounding_rect()).collect();
    for (k, hole) in interiors.iter().enumerate() {
        let hole_polygon = Polygon::new((*hole).clone(), vec![]);
        let prepared = PreparedGeometry::from(&hole_polygon);
        let im = exterior.relate(&prepared);
        if !im.is_contains()
            || im.get(CoordPos::OnBoundary, CoordPos::OnBoundary) == Dimensions::OneDimensional
        {
            return false;
        }
        for (other, other_box) in interiors[k + 1..].iter().zip(&boxes[k + 1..]) {
            if let (Some(a), Some(b)) = (boxes[k], other_box) {
                if !a.intersects(b) {
                    continue;
                }
            }
            let im = prepared.relate(&Polygon::new((*other).clone(), vec![]));
            if im.get(CoordPos::Inside, CoordPos::Inside) == Dimensions::TwoDimensional
                || im.get(CoordPos::OnBoundary, CoordPos::OnBoundary) == Dimensions::OneDimensional
            {
                return false;
            }
        }
    }
    true
}

/// geo's ring self-intersection test (two segments that meet, other than a
/// segment's end at the next one's start), over the pairs whose boxes overlap.
pub(crate) fn has_self_intersection(ring: &LineString<f64>) -> bool {
    let lines: Vec<Line<f64>> = ring.lines().collect();
    let lo_x = |l: &Line<f64>| l.start.x.min(l.end.x);
    let hi_x = |l: &Line<f64>| l.start.x.max(l.end.x);
    let mut order: Vec<u32> = (0..lines.len() as u32).collect();
    order.sort_unstable_by(|&a, &b| lo_x(&lines[a as usize]).total_cmp(&lo_x(&lines[b as usize])));
    let meets =
        |a: &Line<f64>, b: &Line<f64>| a.intersects(b) && a.start != b.end && a.end != b.start;
    for (k, &i) in order.iter().enumerate() {
        let a = &lines[i as usize];
        let (right, y0, y1) = (hi_x(a), a.start.y.min(a.end.y), a.start.y.max(a.end.y));
        for &j in &order[k + 1..] {
            let b = &lines[j as usize];
            if lo_x(b) > right {
                break;
            }
            if b.start.y.max(b.end.y) < y0 || b.start.y.min(b.end.y) > y1 {
                continue;
            }
            if meets(a, b) || meets(b, a) {
                return true;
            }
        }
    }
    false
}

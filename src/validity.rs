//! OGC validity of polygons and multipolygons, as geo's [`Validation`] decides it, in time that grows with
//! the pairs of parts that come near each other rather than with every pair.
//!
//! geo checks every pair of a multipolygon's polygons, and every pair of a polygon's holes, with a full
//! `relate`: a city-wide coverage or gap area of thousands of parts took over a minute on the prefecture
//! model. A pair can fail only if its parts overlap (2-dimensional interior intersection) or touch on a line
//! (1-dimensional boundary intersection), and both need the parts' closed bounding boxes to meet: pairs
//! whose boxes are apart are skipped, every other check is geo's own, in geo's order. The answer is geo's
//! (`tests` hold the slow oracle: geo's `is_valid` on seeded random shapes and on real isochrones).

use geo::coordinate_position::CoordPos;
use geo::dimensions::Dimensions;
use geo::{BoundingRect, Intersects, LineString, MultiPolygon, Polygon, PreparedGeometry, Rect};
use geo::{Relate, Validation};

/// Whether `polygon` is valid by OGC rules, exactly as `polygon.is_valid()`.
///
/// ```
/// use geo::polygon;
/// let square = polygon![(x: 0., y: 0.), (x: 4., y: 0.), (x: 4., y: 4.), (x: 0., y: 4.)];
/// assert!(childcircle::validity::polygon_is_valid(&square));
/// let bow_tie = polygon![(x: 0., y: 0.), (x: 4., y: 4.), (x: 4., y: 0.), (x: 0., y: 4.)];
/// assert!(!childcircle::validity::polygon_is_valid(&bow_tie));
/// ```
pub fn polygon_is_valid(polygon: &Polygon<f64>) -> bool {
    if polygon.exterior().0.is_empty() {
        return true; // geo: an empty polygon is valid
    }
    // The checks of each ring on its own (enough points, no self-intersection, finite coordinates) are
    // the same for a shell and a hole: geo's, on the ring as a polygon without holes.
    let rings = std::iter::once(polygon.exterior()).chain(polygon.interiors());
    if !rings
        .filter(|r| !r.0.is_empty())
        .all(|r| Polygon::new(r.clone(), vec![]).is_valid())
    {
        return false;
    }
    let holes: Vec<&LineString<f64>> = polygon
        .interiors()
        .iter()
        .filter(|r| !r.0.is_empty())
        .collect();
    if holes.is_empty() {
        return true;
    }
    let shell = Polygon::new(polygon.exterior().clone(), vec![]);
    let shell = PreparedGeometry::from(&shell);
    let holes: Vec<Polygon<f64>> = holes
        .into_iter()
        .map(|r| Polygon::new(r.clone(), vec![]))
        .collect();
    let prepared: Vec<_> = holes.iter().map(PreparedGeometry::from).collect();
    for hole in &prepared {
        let m = shell.relate(hole);
        if !m.is_contains()
            || m.get(CoordPos::OnBoundary, CoordPos::OnBoundary) == Dimensions::OneDimensional
        {
            return false;
        }
    }
    near_pairs(&holes).all(|(i, j)| !overlap_or_touch_on_a_line(&prepared[i].relate(&holes[j])))
}

/// Whether `mp` is valid by OGC rules, exactly as `mp.is_valid()`.
///
/// ```
/// use geo::{polygon, MultiPolygon};
/// let a = polygon![(x: 0., y: 0.), (x: 2., y: 0.), (x: 2., y: 2.), (x: 0., y: 2.)];
/// let b = polygon![(x: 2., y: 2.), (x: 4., y: 2.), (x: 4., y: 4.), (x: 2., y: 4.)];
/// let c = polygon![(x: 1., y: 1.), (x: 3., y: 1.), (x: 3., y: 3.), (x: 1., y: 3.)];
/// // Touching at a point is allowed, overlapping is not.
/// assert!(childcircle::validity::multipolygon_is_valid(&MultiPolygon(vec![a.clone(), b.clone()])));
/// assert!(!childcircle::validity::multipolygon_is_valid(&MultiPolygon(vec![a, b, c])));
/// ```
pub fn multipolygon_is_valid(mp: &MultiPolygon<f64>) -> bool {
    mp.0.iter().all(polygon_is_valid)
        && near_pairs(&mp.0).all(|(i, j)| !overlap_or_touch_on_a_line(&mp.0[i].relate(&mp.0[j])))
}

/// geo's test for two parts that may not share an area or a stretch of boundary.
fn overlap_or_touch_on_a_line(m: &geo::relate::IntersectionMatrix) -> bool {
    m.get(CoordPos::Inside, CoordPos::Inside) == Dimensions::TwoDimensional
        || m.get(CoordPos::OnBoundary, CoordPos::OnBoundary) == Dimensions::OneDimensional
}

/// Every pair `(i, j)`, `i < j`, of `parts` whose closed bounding boxes meet, by a sweep over x.
/// Parts without a box (empty) meet nothing.
fn near_pairs(parts: &[Polygon<f64>]) -> std::vec::IntoIter<(usize, usize)> {
    let boxes: Vec<Option<Rect<f64>>> = parts.iter().map(|p| p.bounding_rect()).collect();
    let mut order: Vec<usize> = (0..parts.len()).filter(|&i| boxes[i].is_some()).collect();
    order.sort_by(|&a, &b| {
        let (a, b) = (boxes[a].unwrap(), boxes[b].unwrap());
        a.min().x.total_cmp(&b.min().x)
    });
    let mut pairs = Vec::new();
    for (k, &i) in order.iter().enumerate() {
        let bi = boxes[i].unwrap();
        for &j in &order[k + 1..] {
            let bj = boxes[j].unwrap();
            if bj.min().x > bi.max().x {
                break;
            }
            if bi.intersects(&bj) {
                pairs.push((i.min(j), i.max(j)));
            }
        }
    }
    pairs.into_iter()
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{coord, polygon, Coord};

    /// SplitMix64: seeded, so a failure can be replayed from the seed it prints.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }
        /// A small integer in 0..n (shapes on an integer lattice meet, touch and overlap often).
        fn below(&mut self, n: u64) -> f64 {
            self.count(n) as f64
        }
        fn count(&mut self, n: u64) -> usize {
            (self.next() % n) as usize
        }
    }

    /// An axis-parallel ring `w` × `h` at (x, y), now and then a bow tie.
    fn ring(rng: &mut Rng, x: f64, y: f64, w: f64, h: f64) -> LineString<f64> {
        let mut pts: Vec<Coord<f64>> = vec![
            coord! { x: x, y: y },
            coord! { x: x + w, y: y },
            coord! { x: x + w, y: y + h },
            coord! { x: x, y: y + h },
        ];
        if rng.count(12) == 0 {
            pts.swap(1, 2);
        }
        LineString::from(pts)
    }

    /// A shell on a 60 × 60 lattice with up to two holes, most of them inside it (where they may still
    /// touch the shell or each other), some anywhere.
    fn random_polygon(rng: &mut Rng) -> Polygon<f64> {
        let (x, y) = (rng.below(60), rng.below(60));
        let (w, h) = (3.0 + rng.below(8), 3.0 + rng.below(8));
        let shell = ring(rng, x, y, w, h);
        let holes = (0..rng.count(3))
            .map(|_| {
                let (hw, hh) = (1.0 + rng.below(2), 1.0 + rng.below(2));
                if rng.count(6) == 0 {
                    let (hx, hy) = (rng.below(70), rng.below(70));
                    ring(rng, hx, hy, hw, hh)
                } else {
                    // Strictly inside but for one case in five, which may touch the shell.
                    let edge = if rng.count(5) == 0 { 0.0 } else { 1.0 };
                    let hx = x + edge + rng.below((w - hw - 2.0 * edge).max(0.0) as u64 + 1);
                    let hy = y + edge + rng.below((h - hh - 2.0 * edge).max(0.0) as u64 + 1);
                    ring(rng, hx, hy, hw, hh)
                }
            })
            .collect();
        Polygon::new(shell, holes)
    }

    #[test]
    fn agrees_with_geo_on_seeded_random_shapes() {
        for seed in 0..3000u64 {
            let mut rng = Rng(seed);
            let mp = MultiPolygon(
                (0..rng.count(6))
                    .map(|_| random_polygon(&mut rng))
                    .collect(),
            );
            for p in &mp.0 {
                assert_eq!(polygon_is_valid(p), p.is_valid(), "seed {seed}: {p:?}");
            }
            assert_eq!(
                multipolygon_is_valid(&mp),
                mp.is_valid(),
                "seed {seed}: {mp:?}"
            );
        }
    }

    #[test]
    fn random_shapes_cover_both_answers() {
        // The oracle above must see valid and invalid shapes of every kind, or it proves little.
        let (mut valid, mut invalid) = (0, 0);
        for seed in 0..3000u64 {
            let mut rng = Rng(seed);
            let mp = MultiPolygon(
                (0..rng.count(6))
                    .map(|_| random_polygon(&mut rng))
                    .collect(),
            );
            if mp.0.len() > 1 {
                if mp.is_valid() {
                    valid += 1
                } else {
                    invalid += 1
                }
            }
        }
        assert!(
            valid > 100 && invalid > 100,
            "valid {valid}, invalid {invalid}"
        );
    }

    #[test]
    fn touching_on_a_line_and_empty_parts() {
        let a = polygon![(x: 0., y: 0.), (x: 2., y: 0.), (x: 2., y: 2.), (x: 0., y: 2.)];
        let b = polygon![(x: 2., y: 0.), (x: 4., y: 0.), (x: 4., y: 2.), (x: 2., y: 2.)];
        let line = MultiPolygon(vec![a.clone(), b]);
        assert_eq!(multipolygon_is_valid(&line), line.is_valid());
        assert!(!multipolygon_is_valid(&line));
        let empty = MultiPolygon(vec![a, Polygon::new(LineString::new(vec![]), vec![])]);
        assert_eq!(multipolygon_is_valid(&empty), empty.is_valid());
    }
}

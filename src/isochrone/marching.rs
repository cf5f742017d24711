//! Isochrone stage 3a: marching squares over a [`TimeGrid`], the rings of the
//! area reached within a threshold, grouped into shells and holes.
//!
//! The answer is, coordinate for coordinate, the one the `contour` crate
//! (0.13, d3-contour's algorithm) gives for the same grid: the same rings,
//! from the same first point, in the same order, smoothed by the same linear
//! interpolation, and holes given to the same shells. It is computed faster:
//! `contour` walks a lazily built table of nested vectors for every cell,
//! reads a copy of the grid widened to `f64`, prepends to rings by shifting
//! them, and tests every hole against every shell point by point. Here the
//! table is a constant, each grid row is read once into a row of flags,
//! rings are deques, and a hole skips the shells whose box it lies well
//! outside of — only where `contour`'s own test is certain to say "outside"
//! (`Shell::surely_outside` says why), so the grouping is the same.
//!
//! `tests.rs` checks the equality against the `contour` crate on random grids
//! (ties with the threshold included) and on real isochrone grids.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};

use geo::{Coord, LineString};

use super::grid::TimeGrid;
use crate::time::Time;

/// The rings around the vertices whose time is at most `threshold`, times
/// read as `min(value, top)`: the shells in `contour`'s order, and the holes
/// ordered by the shell `contour` gives them to (holes no shell takes are
/// dropped, as `contour` drops them).
pub fn shells_and_holes(
    grid: &TimeGrid,
    threshold: Time,
    top: f32,
) -> (Vec<LineString<f64>>, Vec<LineString<f64>>) {
    let field = Field {
        values: &grid.values,
        nx: grid.nx,
        ny: grid.ny,
        top,
        // `contour` draws where values are >= a threshold: times are negated.
        threshold: -f64::from(threshold),
    };
    let frame = Frame {
        x_origin: grid.origin[0] - grid.cell_m / 2.0,
        y_origin: grid.origin[1] - grid.cell_m / 2.0,
        step: grid.cell_m,
    };
    let mut shells: Vec<Shell> = Vec::new();
    let mut holes: Vec<Vec<Coord<f64>>> = Vec::new();
    for mut ring in rings(&field) {
        field.smooth(&mut ring);
        frame.place(&mut ring);
        if area2(&ring) > 0.0 {
            shells.push(Shell::new(ring));
        } else {
            holes.push(ring);
        }
    }
    let mut owned: Vec<Vec<LineString<f64>>> = vec![Vec::new(); shells.len()];
    for hole in holes {
        if let Some(i) = shells.iter().position(|s| s.contains(&hole) != -1) {
            owned[i].push(LineString(hole));
        }
    }
    let holes = owned.into_iter().flatten().collect();
    (
        shells.into_iter().map(|s| LineString(s.ring)).collect(),
        holes,
    )
}

/// The grid as `contour` reads it.
struct Field<'a> {
    values: &'a [f32],
    nx: usize,
    ny: usize,
    top: f32,
    threshold: f64,
}

impl Field<'_> {
    /// The value `contour` is given at vertex `i`.
    #[inline]
    fn value(&self, i: usize) -> f64 {
        -f64::from(self.values[i].min(self.top))
    }

    /// Moves each ring point from the middle of its cell side to where the
    /// threshold lies between the side's two values (`contour`'s linear
    /// smoothing, in grid units).
    fn smooth(&self, ring: &mut [Coord<f64>]) {
        let (nx, ny) = (self.nx, self.ny);
        for point in ring {
            let (x, y) = (point.x, point.y);
            let (xt, yt) = (x.trunc() as usize, y.trunc() as usize);
            let ix = yt * nx + xt;
            if ix >= self.values.len() {
                continue;
            }
            let v1 = self.value(ix);
            if x > 0.0 && x < nx as f64 && (xt as f64 - x).abs() < f64::EPSILON {
                let v0 = self.value(yt * nx + xt - 1);
                point.x = x + (self.threshold - v0) / (v1 - v0) - 0.5;
            }
            if y > 0.0 && y < ny as f64 && (yt as f64 - y).abs() < f64::EPSILON {
                let v0 = self.value((yt - 1) * nx + xt);
                point.y = y + (self.threshold - v0) / (v1 - v0) - 0.5;
            }
        }
    }
}

/// From grid units to projected metres.
struct Frame {
    x_origin: f64,
    y_origin: f64,
    step: f64,
}

impl Frame {
    fn place(&self, ring: &mut [Coord<f64>]) {
        // `contour` leaves the unit grid untouched (the same numbers but for
        // the sign of a zero).
        if (self.x_origin, self.y_origin) == (0.0, 0.0) && self.step == 1.0 {
            return;
        }
        for p in ring {
            p.x = p.x * self.step + self.x_origin;
            p.y = p.y * self.step + self.y_origin;
        }
    }
}

/// The segments of each of the 16 cell cases, in half-cell units from the
/// cell's corner (bit 0: lower left … bit 3: upper left, as d3-contour).
const CASES: [&[[[f64; 2]; 2]]; 16] = [
    &[],
    &[[[1.0, 1.5], [0.5, 1.0]]],
    &[[[1.5, 1.0], [1.0, 1.5]]],
    &[[[1.5, 1.0], [0.5, 1.0]]],
    &[[[1.0, 0.5], [1.5, 1.0]]],
    &[[[1.0, 1.5], [0.5, 1.0]], [[1.0, 0.5], [1.5, 1.0]]],
    &[[[1.0, 0.5], [1.0, 1.5]]],
    &[[[1.0, 0.5], [0.5, 1.0]]],
    &[[[0.5, 1.0], [1.0, 0.5]]],
    &[[[1.0, 1.5], [1.0, 0.5]]],
    &[[[0.5, 1.0], [1.0, 0.5]], [[1.5, 1.0], [1.0, 1.5]]],
    &[[[1.5, 1.0], [1.0, 0.5]]],
    &[[[0.5, 1.0], [1.5, 1.0]]],
    &[[[1.0, 1.5], [1.5, 1.0]]],
    &[[[0.5, 1.0], [1.0, 1.5]]],
    &[],
];

/// Every closed ring, in the order it closes, in grid units: cells are
/// visited row by row from one before the first to the last, each a case of
/// its four corners (outside the grid counts as outside).
fn rings(field: &Field<'_>) -> Vec<Vec<Coord<f64>>> {
    let (nx, ny) = (field.nx, field.ny);
    let mut stitcher = Stitcher::new(nx);
    // Flags of two rows, one column of padding either side.
    // A vertex is inside when `-min(v, top) >= -t` (`contour`'s test on the
    // negated times), that is when `min(v, top) <= t`: when `top > t`, when
    // `v <= t` (a NaN is neither), else always. With `t` exact in `f32` that
    // is one `f32` comparison, which the compiler vectorises.
    let t = -field.threshold;
    let t32 = t as f32;
    let exact = f64::from(t32) == t;
    let row = |y: usize, flags: &mut [u8]| {
        let values = &field.values[y * nx..(y + 1) * nx];
        let mut any = 0u8;
        if exact && field.top > t32 {
            for (flag, &v) in flags[1..=nx].iter_mut().zip(values) {
                *flag = u8::from(v <= t32);
                any |= *flag;
            }
        } else {
            for (flag, &v) in flags[1..=nx].iter_mut().zip(values) {
                *flag = u8::from(-f64::from(v.min(field.top)) >= field.threshold);
                any |= *flag;
            }
        }
        any != 0
    };
    let mut lower = vec![0u8; nx + 2];
    let mut lower_any = false;
    let mut upper = vec![0u8; nx + 2];
    let mut upper_any = row(0, &mut upper);
    for y in -1..ny as i64 {
        if lower_any || upper_any {
            let mut c = 0;
            while c <= nx {
                // Eight cells at a time where all their corners agree: no
                // segment in them (the flags are 0 or 1, so a word of eight
                // flags is 0 or all ones).
                if c + 9 <= nx + 2 {
                    let word = |flags: &[u8]| {
                        u64::from_le_bytes(flags[c..c + 8].try_into().expect("eight flags"))
                    };
                    let (l, u) = (word(&lower), word(&upper));
                    if l == u
                        && (l == 0 || l == ALL_ONES)
                        && lower[c + 8] == lower[c]
                        && upper[c + 8] == lower[c]
                    {
                        c += 8;
                        continue;
                    }
                }
                let case = upper[c] | upper[c + 1] << 1 | lower[c + 1] << 2 | lower[c] << 3;
                for line in CASES[case as usize] {
                    stitcher.stitch(line, c as i64 - 1, y);
                }
                c += 1;
            }
        }
        std::mem::swap(&mut lower, &mut upper);
        lower_any = upper_any;
        let next = y + 2;
        if next < ny as i64 {
            upper_any = row(next as usize, &mut upper);
        } else {
            upper.fill(0);
            upper_any = false;
        }
    }
    stitcher.rings
}

/// Eight flags of 1.
const ALL_ONES: u64 = 0x0101_0101_0101_0101;

/// An open chain of segments.
struct Fragment {
    start: usize,
    end: usize,
    ring: VecDeque<Coord<f64>>,
}

/// Joins cell segments into chains and chains into rings, by their end
/// points' indices.
struct Stitcher {
    by_start: HashMap<usize, usize, BuildHasherDefault<IndexHasher>>,
    by_end: HashMap<usize, usize, BuildHasherDefault<IndexHasher>>,
    fragments: Vec<Option<Fragment>>,
    free: Vec<usize>,
    row_stride: f64,
    rings: Vec<Vec<Coord<f64>>>,
}

impl Stitcher {
    fn new(nx: usize) -> Stitcher {
        Stitcher {
            by_start: HashMap::default(),
            by_end: HashMap::default(),
            fragments: Vec::new(),
            free: Vec::new(),
            row_stride: ((nx + 1) * 4) as f64,
            rings: Vec::new(),
        }
    }

    /// The key of a point on a cell side (`contour`'s, casts included).
    #[inline]
    fn index(&self, p: Coord<f64>) -> usize {
        (p.x * 2.0 + p.y * self.row_stride) as usize
    }

    fn insert(&mut self, f: Fragment) -> usize {
        match self.free.pop() {
            Some(i) => {
                self.fragments[i] = Some(f);
                i
            }
            None => {
                self.fragments.push(Some(f));
                self.fragments.len() - 1
            }
        }
    }

    fn take(&mut self, i: usize) -> Fragment {
        self.free.push(i);
        self.fragments[i].take().expect("a live fragment")
    }

    fn stitch(&mut self, line: &[[f64; 2]; 2], x: i64, y: i64) {
        let start = Coord {
            x: line[0][0] + x as f64,
            y: line[0][1] + y as f64,
        };
        let end = Coord {
            x: line[1][0] + x as f64,
            y: line[1][1] + y as f64,
        };
        let (si, ei) = (self.index(start), self.index(end));
        if let Some(f_ix) = self.by_end.remove(&si) {
            if let Some(g_ix) = self.by_start.remove(&ei) {
                if f_ix == g_ix {
                    let mut f = self.take(f_ix);
                    f.ring.push_back(end);
                    self.rings.push(f.ring.into());
                } else {
                    let mut f = self.take(f_ix);
                    let g = self.take(g_ix);
                    f.ring.extend(g.ring);
                    let (start, end) = (f.start, g.end);
                    let ix = self.insert(Fragment {
                        start,
                        end,
                        ring: f.ring,
                    });
                    self.by_start.insert(start, ix);
                    self.by_end.insert(end, ix);
                }
            } else {
                let f = self.fragments[f_ix].as_mut().expect("a live fragment");
                f.ring.push_back(end);
                f.end = ei;
                self.by_end.insert(ei, f_ix);
            }
        } else if let Entry::Occupied(e) = self.by_start.entry(ei) {
            let f_ix = e.remove();
            let f = self.fragments[f_ix].as_mut().expect("a live fragment");
            f.ring.push_front(start);
            f.start = si;
            self.by_start.insert(si, f_ix);
        } else {
            let ix = self.insert(Fragment {
                start: si,
                end: ei,
                ring: VecDeque::from([start, end]),
            });
            self.by_start.insert(si, ix);
            self.by_end.insert(ei, ix);
        }
    }
}

/// Hashes point indices (dense integers) by one multiplication, as
/// `rustc-hash` does.
#[derive(Default)]
struct IndexHasher(u64);

impl Hasher for IndexHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(5) ^ i).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

/// Twice the signed area (`contour`'s shoelace, its order of sums): positive
/// for a shell.
fn area2(ring: &[Coord<f64>]) -> f64 {
    let n = ring.len();
    let mut area = ring[n - 1].y * ring[0].x - ring[n - 1].x * ring[0].y;
    for i in 1..n {
        area += ring[i - 1].y * ring[i].x - ring[i - 1].x * ring[i].y;
    }
    area
}

/// A shell and what lets a hole skip it quickly.
struct Shell {
    ring: Vec<Coord<f64>>,
    /// The ring's box grown by [`MARGIN`]: min x, min y, max x, max y.
    grown: [f64; 4],
    /// The y extents of the ring's tiny segments (its closing one: the first
    /// point repeated), which `contour`'s boundary test finds under any point
    /// of that height.
    tiny: Vec<[f64; 2]>,
}

/// How far outside a ring's box a point must lie for `contour`'s test to be
/// certain to call it outside, metres: its collinearity tolerance is
/// `f64::EPSILON` on a cross product, so it finds a point on a segment only
/// within `EPSILON / length` of it — well under a millimetre for segments
/// longer than [`TINY`].
const MARGIN: f64 = 1.0;

/// A segment shorter than this (on both axes, metres) is tiny.
const TINY: f64 = 1e-9;

impl Shell {
    fn new(ring: Vec<Coord<f64>>) -> Shell {
        let mut grown = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
        for p in &ring {
            grown[0] = grown[0].min(p.x);
            grown[1] = grown[1].min(p.y);
            grown[2] = grown[2].max(p.x);
            grown[3] = grown[3].max(p.y);
        }
        grown = [
            grown[0] - MARGIN,
            grown[1] - MARGIN,
            grown[2] + MARGIN,
            grown[3] + MARGIN,
        ];
        let n = ring.len();
        let tiny = (0..n)
            .map(|i| (ring[i], ring[(i + n - 1) % n]))
            .filter(|(a, b)| (a.x - b.x).abs() < TINY && (a.y - b.y).abs() < TINY)
            .map(|(a, b)| [a.y.min(b.y), a.y.max(b.y)])
            .collect();
        Shell { ring, grown, tiny }
    }

    /// Whether `contour`'s point-in-ring test is certain to answer −1
    /// (outside) for `p`: `p` is well outside the ring's box (no crossing
    /// left of it, or an even number) and at no tiny segment's height.
    #[inline]
    fn surely_outside(&self, p: Coord<f64>) -> bool {
        let [x0, y0, x1, y1] = self.grown;
        (p.x < x0 || p.x > x1 || p.y < y0 || p.y > y1)
            && !self.tiny.iter().any(|&[lo, hi]| lo <= p.y && p.y <= hi)
    }

    /// `contour`'s test of a hole against this shell: the answer for the
    /// first hole point not on the ring (1 inside, −1 outside), 0 if all are.
    fn contains(&self, hole: &[Coord<f64>]) -> i32 {
        for &p in hole {
            if self.surely_outside(p) {
                return -1;
            }
            let c = ring_contains(&self.ring, p);
            if c != 0 {
                return c;
            }
        }
        0
    }
}

/// `contour`'s point-in-ring test: 0 on a segment, else 1 inside, −1 outside.
fn ring_contains(ring: &[Coord<f64>], p: Coord<f64>) -> i32 {
    let n = ring.len();
    let mut contains = -1;
    let mut j = n - 1;
    for i in 0..n {
        let (a, b) = (ring[i], ring[j]);
        if segment_contains(a, b, p) {
            return 0;
        }
        if ((a.y > p.y) != (b.y > p.y)) && (p.x < (b.x - a.x) * (p.y - a.y) / (b.y - a.y) + a.x) {
            contains = -contains;
        }
        j = i;
    }
    contains
}

fn segment_contains(a: Coord<f64>, b: Coord<f64>, c: Coord<f64>) -> bool {
    let within = |p: f64, q: f64, r: f64| p <= q && q <= r || r <= q && q <= p;
    let collinear = ((b.x - a.x) * (c.y - a.y) - (c.x - a.x) * (b.y - a.y)).abs() < f64::EPSILON;
    collinear
        && if (a.x - b.x).abs() < f64::EPSILON {
            within(a.y, c.y, b.y)
        } else {
            within(a.x, c.x, b.x)
        }
}

//! Geometry and street-network plumbing shared by the Dezhou generators.
//!
//! The generators describe streets as straight or polygonal [`Planner`]
//! lines with *stops* (junctions, attachments of side paths) and let the
//! planner turn them into OSM nodes and ways at the end. Deferring node
//! creation lets two paths that reach the same street from opposite sides a
//! few metres apart share one junction node, and lets every walkable way be
//! cut at the canal and railway in one place ([`Barrier`]).
//!
//! Everything works in local metres (see [`super::Projection`]).

use std::ops::{Add, Mul, Sub};

use super::{Model, NodeIx, Tags, WayIx};

#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct Pt {
    pub x: f64,
    pub y: f64,
}

impl Pt {
    pub const fn new(x: f64, y: f64) -> Pt {
        Pt { x, y }
    }
    pub fn len(self) -> f64 {
        (self.x * self.x + self.y * self.y).sqrt()
    }
    pub fn dist(self, o: Pt) -> f64 {
        (self - o).len()
    }
    pub fn lerp(self, o: Pt, t: f64) -> Pt {
        self + (o - self) * t
    }
    pub fn cross(self, o: Pt) -> f64 {
        self.x * o.y - self.y * o.x
    }
    pub fn dot(self, o: Pt) -> f64 {
        self.x * o.x + self.y * o.y
    }
    /// Unit vector (or zero for a zero vector).
    pub fn unit(self) -> Pt {
        let l = self.len();
        if l > 0.0 {
            self * (1.0 / l)
        } else {
            self
        }
    }
    /// Rotated 90° counter-clockwise.
    pub fn perp(self) -> Pt {
        Pt::new(-self.y, self.x)
    }
}

impl Add for Pt {
    type Output = Pt;
    fn add(self, o: Pt) -> Pt {
        Pt::new(self.x + o.x, self.y + o.y)
    }
}
impl Sub for Pt {
    type Output = Pt;
    fn sub(self, o: Pt) -> Pt {
        Pt::new(self.x - o.x, self.y - o.y)
    }
}
impl Mul<f64> for Pt {
    type Output = Pt;
    fn mul(self, k: f64) -> Pt {
        Pt::new(self.x * k, self.y * k)
    }
}

/// Bilinear map of the unit square onto quad `[p00, p10, p11, p01]`.
/// Lines of constant `u` or `v` map to straight segments, which is what
/// makes this convenient for laying streets out inside irregular blocks.
pub(crate) fn bilinear(q: &[Pt; 4], u: f64, v: f64) -> Pt {
    q[0].lerp(q[1], u).lerp(q[3].lerp(q[2], u), v)
}

/// Parameters `(t, u)` where segments `a→b` and `c→d` properly intersect.
pub(crate) fn seg_intersection(a: Pt, b: Pt, c: Pt, d: Pt) -> Option<(f64, f64)> {
    let r = b - a;
    let s = d - c;
    let den = r.cross(s);
    if den.abs() < 1e-12 {
        return None;
    }
    let t = (c - a).cross(s) / den;
    let u = (c - a).cross(r) / den;
    ((0.0..=1.0).contains(&t) && (0.0..=1.0).contains(&u)).then_some((t, u))
}

pub(crate) fn dist_to_segment(p: Pt, a: Pt, b: Pt) -> f64 {
    let ab = b - a;
    let l2 = ab.dot(ab);
    let t = if l2 > 0.0 {
        ((p - a).dot(ab) / l2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    p.dist(a + ab * t)
}

/// Signed area (positive when counter-clockwise).
pub(crate) fn polygon_area(ring: &[Pt]) -> f64 {
    let n = ring.len();
    (0..n)
        .map(|i| ring[i].cross(ring[(i + 1) % n]))
        .sum::<f64>()
        / 2.0
}

pub(crate) fn centroid(pts: &[Pt]) -> Pt {
    let s = pts.iter().fold(Pt::default(), |acc, &p| acc + p);
    s * (1.0 / pts.len() as f64)
}

/// Moves each side of a convex counter-clockwise quad inwards by its own
/// distance. Used for setbacks between streets and compound walls.
pub(crate) fn inset_quad(q: &[Pt; 4], d: [f64; 4]) -> [Pt; 4] {
    let side = |i: usize| {
        let a = q[i];
        let b = q[(i + 1) % 4];
        let n = (b - a).unit().perp(); // inward for a CCW ring
        (a + n * d[i], b - a)
    };
    let mut out = [Pt::default(); 4];
    for (i, corner) in out.iter_mut().enumerate() {
        let (p1, d1) = side((i + 3) % 4);
        let (p2, d2) = side(i);
        let den = d1.cross(d2);
        *corner = if den.abs() < 1e-9 {
            p2
        } else {
            p1 + d1 * ((p2 - p1).cross(d2) / den)
        };
    }
    out
}

/// Segments bucketed by horizontal bands, so that point-in-polygon and
/// distance queries only look at the few segments near the query's `y`.
struct SegIndex {
    segs: Vec<(Pt, Pt)>,
    y0: f64,
    band: f64,
    bands: Vec<Vec<u32>>,
}

impl SegIndex {
    fn new(segs: Vec<(Pt, Pt)>, band: f64) -> SegIndex {
        let y0 = segs
            .iter()
            .map(|s| s.0.y.min(s.1.y))
            .fold(f64::INFINITY, f64::min);
        let y1 = segs
            .iter()
            .map(|s| s.0.y.max(s.1.y))
            .fold(f64::NEG_INFINITY, f64::max);
        let n = (((y1 - y0) / band) as usize + 1).max(1);
        let mut bands = vec![Vec::new(); n];
        for (i, s) in segs.iter().enumerate() {
            let (lo, hi) = (s.0.y.min(s.1.y), s.0.y.max(s.1.y));
            for b in bands
                .iter_mut()
                .take(Self::band_of(y0, band, n, hi) + 1)
                .skip(Self::band_of(y0, band, n, lo))
            {
                b.push(i as u32);
            }
        }
        SegIndex {
            segs,
            y0,
            band,
            bands,
        }
    }

    fn band_of(y0: f64, band: f64, n: usize, y: f64) -> usize {
        (((y - y0) / band).max(0.0) as usize).min(n - 1)
    }

    /// Segments whose y-range may overlap `[lo, hi]` (possibly repeated).
    fn near(&self, lo: f64, hi: f64) -> impl Iterator<Item = &(Pt, Pt)> + '_ {
        let n = self.bands.len();
        let (b0, b1) = (
            Self::band_of(self.y0, self.band, n, lo),
            Self::band_of(self.y0, self.band, n, hi),
        );
        self.bands[b0..=b1]
            .iter()
            .flatten()
            .map(move |&i| &self.segs[i as usize])
    }

    fn min_dist(&self, p: Pt, within: f64) -> f64 {
        self.near(p.y - within, p.y + within)
            .map(|s| dist_to_segment(p, s.0, s.1))
            .fold(f64::INFINITY, f64::min)
    }
}

/// An administrative outline (any number of rings, even-odd rule).
pub(crate) struct Outline {
    index: SegIndex,
    min: Pt,
    max: Pt,
}

impl Outline {
    pub fn new(rings: &[Vec<Pt>]) -> Outline {
        let mut segs = Vec::new();
        for ring in rings {
            for w in ring.windows(2) {
                segs.push((w[0], w[1]));
            }
        }
        let min = Pt::new(
            segs.iter().map(|s| s.0.x).fold(f64::INFINITY, f64::min),
            segs.iter().map(|s| s.0.y).fold(f64::INFINITY, f64::min),
        );
        let max = Pt::new(
            segs.iter().map(|s| s.0.x).fold(f64::NEG_INFINITY, f64::max),
            segs.iter().map(|s| s.0.y).fold(f64::NEG_INFINITY, f64::max),
        );
        let band = ((max.y - min.y) / 256.0).max(1.0);
        Outline {
            index: SegIndex::new(segs, band),
            min,
            max,
        }
    }

    pub fn bounds(&self) -> (Pt, Pt) {
        (self.min, self.max)
    }

    pub fn contains(&self, p: Pt) -> bool {
        if p.x < self.min.x || p.x > self.max.x || p.y < self.min.y || p.y > self.max.y {
            return false;
        }
        let mut inside = false;
        for &(a, b) in self.index.near(p.y, p.y) {
            if (a.y > p.y) != (b.y > p.y) {
                let x = a.x + (p.y - a.y) / (b.y - a.y) * (b.x - a.x);
                if x > p.x {
                    inside = !inside;
                }
            }
        }
        inside
    }

    /// Inside and at least `margin` metres from the boundary, so that
    /// rounding coordinates to 1e-7° can never move a point outside.
    pub fn contains_with_margin(&self, p: Pt, margin: f64) -> bool {
        self.contains(p) && self.index.min_dist(p, margin) >= margin
    }

    /// Distance to the nearest boundary segment (exhaustive; for rare use).
    pub fn boundary_distance(&self, p: Pt) -> f64 {
        self.index
            .segs
            .iter()
            .map(|s| dist_to_segment(p, s.0, s.1))
            .fold(f64::INFINITY, f64::min)
    }

    /// Every point along the polyline (sampled every `step` m) is inside.
    pub fn covers(&self, pts: &[Pt], margin: f64, step: f64) -> bool {
        pts.windows(2).all(|w| {
            let n = (w[0].dist(w[1]) / step).ceil().max(1.0) as usize;
            (0..=n).all(|k| self.contains_with_margin(w[0].lerp(w[1], k as f64 / n as f64), margin))
        }) && pts.iter().all(|&p| self.contains_with_margin(p, margin))
    }
}

/// What a walkable way becomes where it is allowed to cross a barrier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BarrierKind {
    /// Crossed on a bridge (`bridge=yes`, `layer=1`).
    Water,
    /// Crossed in an underpass (`tunnel=yes`, `layer=-1`).
    Rail,
}

/// A linear obstacle (canal, railway). Walkable ways are cut `clearance`
/// metres before it unless they are explicitly allowed to cross, so the
/// only way across is one of the few bridges or underpasses.
pub(crate) struct Barrier {
    pub clearance: f64,
    pub kind: BarrierKind,
    index: SegIndex,
}

impl Barrier {
    pub fn new(line: Vec<Pt>, clearance: f64, kind: BarrierKind) -> Barrier {
        let segs = line.windows(2).map(|w| (w[0], w[1])).collect();
        Barrier {
            index: SegIndex::new(segs, 200.0),
            clearance,
            kind,
        }
    }

    pub fn distance(&self, p: Pt) -> f64 {
        self.index.min_dist(p, self.clearance * 2.0)
    }

    fn blocks(&self, p: Pt) -> bool {
        self.distance(p) < self.clearance
    }

    /// Smallest parameter along `a→b` where it crosses the barrier line.
    fn crossing(&self, a: Pt, b: Pt) -> Option<f64> {
        self.index
            .near(a.y.min(b.y), a.y.max(b.y))
            .filter_map(|s| seg_intersection(a, b, s.0, s.1).map(|(t, _)| t))
            .fold(None, |m: Option<f64>, t| Some(m.map_or(t, |m| m.min(t))))
    }

    /// Point between `from` (outside the clearance) and `to` (inside it)
    /// where the clearance begins, by bisection.
    fn edge_point(&self, from: Pt, to: Pt) -> Pt {
        let (mut lo, mut hi) = (0.0, 1.0);
        for _ in 0..24 {
            let mid = (lo + hi) / 2.0;
            if self.blocks(from.lerp(to, mid)) {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        from.lerp(to, lo)
    }

    fn crossing_tags(&self, tags: &Tags) -> Tags {
        match self.kind {
            BarrierKind::Water => tags.clone().with("bridge", "yes").with("layer", "1"),
            BarrierKind::Rail => tags.clone().with("tunnel", "yes").with("layer", "-1"),
        }
    }
}

#[allow(clippy::needless_range_loop)] // walks consecutive pairs of `refs`
/// Cuts a node sequence where it enters the barrier's clearance. Returns
/// the pieces to keep, each flagged `true` if it is a permitted crossing.
fn clip_at_barrier(
    model: &mut Model,
    refs: &[NodeIx],
    barrier: &Barrier,
    may_cross: bool,
) -> Vec<(Vec<NodeIx>, bool)> {
    let pos = |m: &Model, i: usize| m.nodes[refs[i] as usize].p;
    let mut pieces = Vec::new();
    let mut current: Vec<NodeIx> = Vec::new();
    let mut crossing: Vec<NodeIx> = Vec::new(); // nodes since entering the clearance
    let mut crossed = false;
    let mut inside_prev = barrier.blocks(pos(model, 0));
    if inside_prev {
        crossing.push(refs[0]);
    } else {
        current.push(refs[0]);
    }
    for i in 1..refs.len() {
        let (a, b) = (pos(model, i - 1), pos(model, i));
        let inside = barrier.blocks(b);
        let cross_t = barrier.crossing(a, b);
        if !inside_prev && !inside && cross_t.is_none() {
            current.push(refs[i]);
            continue;
        }
        crossed |= cross_t.is_some();
        if !inside_prev {
            // Entering: end the current piece at the edge of the clearance.
            let witness = if inside {
                b
            } else {
                a.lerp(b, cross_t.unwrap_or(1.0))
            };
            let entry = model.add_node(barrier.edge_point(a, witness), Tags::new());
            current.push(entry);
            pieces.push((std::mem::take(&mut current), false));
            crossing = vec![entry];
        }
        if inside {
            crossing.push(refs[i]);
        } else {
            // Leaving: start a new piece at the far edge of the clearance.
            let witness = if inside_prev {
                a
            } else {
                a.lerp(b, cross_t.unwrap_or(0.0))
            };
            let exit = model.add_node(barrier.edge_point(b, witness), Tags::new());
            crossing.push(exit);
            if may_cross && crossed && crossing.len() >= 2 {
                pieces.push((std::mem::take(&mut crossing), true));
            }
            crossing.clear();
            crossed = false;
            current = vec![exit, refs[i]];
        }
        inside_prev = inside;
    }
    pieces.push((current, false));
    pieces.retain(|(p, _)| p.len() >= 2);
    pieces
}

/// Style of a planned line: its tags, whether it may cross barriers, and
/// the spacing of intermediate shape nodes.
#[derive(Debug, Clone)]
pub(crate) struct LineStyle {
    pub tags: Tags,
    pub may_cross: bool,
    pub spacing: f64,
}

impl LineStyle {
    pub fn new(tags: Tags, spacing: f64) -> LineStyle {
        LineStyle {
            tags,
            may_cross: false,
            spacing,
        }
    }
    pub fn crossing(mut self) -> LineStyle {
        self.may_cross = true;
        self
    }
}

pub(crate) type SlotId = u32;
pub(crate) type LineId = u32;

/// A future node. Hard slots (junctions) keep their position; soft slots
/// (attachments of side paths) may be merged into a nearby slot on the
/// same line.
struct Slot {
    p: Pt,
    hard: bool,
    tags: Tags,
    node: Option<NodeIx>,
    alias: Option<SlotId>,
}

struct Line {
    pts: Vec<Pt>,
    cum: Vec<f64>,
    stops: Vec<(f64, SlotId)>,
    style: LineStyle,
}

/// A ring vertex of a planned area: a fresh point or a shared slot (e.g. a
/// gate that is also the end of a path).
pub(crate) enum Vertex {
    At(Pt),
    Slot(SlotId),
}

struct Area {
    ring: Vec<Vertex>,
    tags: Tags,
}

/// Collects lines, slots and areas; [`Planner::build`] creates the nodes
/// and ways in planning order.
#[derive(Default)]
pub(crate) struct Planner {
    slots: Vec<Slot>,
    lines: Vec<Line>,
    areas: Vec<Area>,
    pub barriers: Vec<Barrier>,
}

/// Soft stops closer than this to another stop on the same line share it.
const MERGE_DIST: f64 = 12.0;

impl Planner {
    pub fn slot(&mut self, p: Pt) -> SlotId {
        self.slot_tagged(p, Tags::new())
    }

    pub fn slot_tagged(&mut self, p: Pt, tags: Tags) -> SlotId {
        self.slots.push(Slot {
            p,
            hard: true,
            tags,
            node: None,
            alias: None,
        });
        (self.slots.len() - 1) as SlotId
    }

    pub fn slot_pos(&self, s: SlotId) -> Pt {
        self.slots[s as usize].p
    }

    pub fn tag_slot(&mut self, s: SlotId, key: &'static str, value: &'static str) {
        self.slots[s as usize].tags.set(key, value);
    }

    /// A polyline; add junctions with [`Planner::stop`] / [`Planner::attach`].
    pub fn line(&mut self, pts: Vec<Pt>, style: LineStyle) -> LineId {
        let mut cum = vec![0.0];
        for w in pts.windows(2) {
            cum.push(cum.last().unwrap() + w[0].dist(w[1]));
        }
        self.lines.push(Line {
            pts,
            cum,
            stops: Vec::new(),
            style,
        });
        (self.lines.len() - 1) as LineId
    }

    /// A straight line from slot `a` to slot `b`.
    pub fn link(&mut self, a: SlotId, b: SlotId, style: LineStyle) -> LineId {
        let line = self.line(vec![self.slot_pos(a), self.slot_pos(b)], style);
        let len = self.length(line);
        self.stop(line, 0.0, a);
        self.stop(line, len, b);
        line
    }

    /// A polyline through slots (each slot is a stop).
    pub fn path(&mut self, slots: &[SlotId], style: LineStyle) -> LineId {
        let line = self.line(slots.iter().map(|&s| self.slot_pos(s)).collect(), style);
        for (k, &s) in slots.iter().enumerate() {
            let at = self.lines[line as usize].cum[k];
            self.stop(line, at, s);
        }
        line
    }

    pub fn length(&self, line: LineId) -> f64 {
        *self.lines[line as usize].cum.last().unwrap()
    }

    pub fn point_at(&self, line: LineId, s: f64) -> Pt {
        let l = &self.lines[line as usize];
        let k = l.cum.partition_point(|&c| c < s).clamp(1, l.pts.len() - 1);
        let seg = l.cum[k] - l.cum[k - 1];
        let t = if seg > 0.0 {
            ((s - l.cum[k - 1]) / seg).clamp(0.0, 1.0)
        } else {
            0.0
        };
        l.pts[k - 1].lerp(l.pts[k], t)
    }

    /// Arc length of the point of `line` nearest to `p`.
    pub fn locate(&self, line: LineId, p: Pt) -> f64 {
        let l = &self.lines[line as usize];
        let mut best = (f64::INFINITY, 0.0);
        for k in 1..l.pts.len() {
            let (a, b) = (l.pts[k - 1], l.pts[k]);
            let ab = b - a;
            let l2 = ab.dot(ab);
            let t = if l2 > 0.0 {
                ((p - a).dot(ab) / l2).clamp(0.0, 1.0)
            } else {
                0.0
            };
            let d = p.dist(a + ab * t);
            if d < best.0 {
                best = (d, l.cum[k - 1] + t * (l.cum[k] - l.cum[k - 1]));
            }
        }
        best.1
    }

    pub fn stop(&mut self, line: LineId, s: f64, slot: SlotId) {
        self.lines[line as usize].stops.push((s, slot));
    }

    /// A soft junction at arc length `s` (clamped to the line).
    pub fn attach(&mut self, line: LineId, s: f64) -> SlotId {
        let s = s.clamp(0.0, self.length(line));
        let p = self.point_at(line, s);
        let slot = self.slot(p);
        self.slots[slot as usize].hard = false;
        self.stop(line, s, slot);
        slot
    }

    pub fn area(&mut self, ring: Vec<Vertex>, tags: Tags) {
        self.areas.push(Area { ring, tags });
    }

    /// Creates all nodes and ways: lines first (in planning order), then
    /// areas. Returns the way index of each area, in planning order.
    pub fn build(mut self, model: &mut Model) -> Vec<WayIx> {
        for l in 0..self.lines.len() {
            self.build_line(model, l);
        }
        let areas = std::mem::take(&mut self.areas);
        areas
            .into_iter()
            .map(|a| {
                let mut refs: Vec<NodeIx> = a
                    .ring
                    .iter()
                    .map(|v| match *v {
                        Vertex::At(p) => model.add_node(p, Tags::new()),
                        Vertex::Slot(s) => self.node(model, s),
                    })
                    .collect();
                refs.push(refs[0]);
                model.add_way(refs, a.tags)
            })
            .collect()
    }

    fn resolve(&self, mut s: SlotId) -> SlotId {
        while let Some(a) = self.slots[s as usize].alias {
            s = a;
        }
        s
    }

    fn node(&mut self, model: &mut Model, s: SlotId) -> NodeIx {
        let s = self.resolve(s) as usize;
        if let Some(n) = self.slots[s].node {
            return n;
        }
        let tags = std::mem::take(&mut self.slots[s].tags);
        let n = model.add_node(self.slots[s].p, tags);
        self.slots[s].node = Some(n);
        n
    }

    fn is_anchor(&self, s: SlotId) -> bool {
        let slot = &self.slots[s as usize];
        slot.hard || slot.node.is_some() || slot.alias.is_some()
    }

    /// Merges each soft stop into the nearest anchor (or earlier soft stop)
    /// within [`MERGE_DIST`], keeping its tags if the target has none.
    fn merge_soft_stops(&mut self, stops: &[(f64, SlotId)]) {
        let anchors: Vec<(f64, SlotId)> = stops
            .iter()
            .copied()
            .filter(|&(_, s)| self.is_anchor(s))
            .collect();
        let mut last_soft: Option<(f64, SlotId)> = None;
        for &(at, s) in stops {
            if self.is_anchor(s) {
                continue;
            }
            let near_anchor = anchors
                .iter()
                .filter(|(a, _)| (a - at).abs() < MERGE_DIST)
                .min_by(|x, y| (x.0 - at).abs().total_cmp(&(y.0 - at).abs()));
            let target = near_anchor
                .copied()
                .or(last_soft.filter(|(a, _)| at - a < MERGE_DIST));
            match target {
                Some((_, t)) => {
                    let t = self.resolve(t);
                    if self.slots[t as usize].tags.is_empty() {
                        self.slots[t as usize].tags =
                            std::mem::take(&mut self.slots[s as usize].tags);
                    }
                    self.slots[s as usize].alias = Some(t);
                }
                None => last_soft = Some((at, s)),
            }
        }
    }

    fn build_line(&mut self, model: &mut Model, l: usize) {
        let mut stops = std::mem::take(&mut self.lines[l].stops);
        stops.sort_by(|a, b| a.0.total_cmp(&b.0));
        self.merge_soft_stops(&stops);

        // Stops and polyline vertices, in order along the line.
        let line = &self.lines[l];
        let mut seq: Vec<(f64, Option<SlotId>)> =
            stops.iter().map(|&(at, s)| (at, Some(s))).collect();
        for k in 0..line.pts.len() {
            if stops.iter().all(|(at, _)| (at - line.cum[k]).abs() > 1.0) {
                seq.push((line.cum[k], None));
            }
        }
        seq.sort_by(|a, b| a.0.total_cmp(&b.0));
        let spacing = line.style.spacing;
        let mut refs: Vec<NodeIx> = Vec::with_capacity(seq.len() * 2);
        for (at, slot) in seq {
            let node = match slot {
                Some(s) => self.node(model, s),
                None => model.add_node(self.point_at(l as LineId, at), Tags::new()),
            };
            if refs.last() == Some(&node) {
                continue;
            }
            if let Some(&prev) = refs.last() {
                densify(model, prev, node, spacing, &mut refs);
            }
            refs.push(node);
        }
        if refs.len() < 2 {
            return;
        }
        let style = self.lines[l].style.clone();
        emit_street(model, &self.barriers, refs, &style);
    }
}

/// Intermediate shape nodes between `a` and `b` (exclusive), roughly every
/// `spacing` metres, like the vertices of a hand-drawn OSM way.
fn densify(model: &mut Model, a: NodeIx, b: NodeIx, spacing: f64, refs: &mut Vec<NodeIx>) {
    let (pa, pb) = (model.nodes[a as usize].p, model.nodes[b as usize].p);
    let n = (pa.dist(pb) / spacing) as usize;
    for k in 1..n {
        refs.push(model.add_node(pa.lerp(pb, k as f64 / n as f64), Tags::new()));
    }
}

/// Adds a way, cut at every barrier it may not cross; permitted crossings
/// become separate bridge/underpass ways.
fn emit_street(model: &mut Model, barriers: &[Barrier], refs: Vec<NodeIx>, style: &LineStyle) {
    let mut pieces = vec![(refs, style.tags.clone())];
    for barrier in barriers {
        let mut next = Vec::new();
        for (piece, tags) in pieces {
            for (part, is_crossing) in clip_at_barrier(model, &piece, barrier, style.may_cross) {
                let tags = if is_crossing {
                    barrier.crossing_tags(&tags)
                } else {
                    tags.clone()
                };
                next.push((part, tags));
            }
        }
        pieces = next;
    }
    for (part, tags) in pieces {
        model.add_way(part, tags);
    }
}

#[cfg(test)]
mod tests {
    use super::super::Projection;
    use super::*;

    fn model() -> Model {
        Model::new(Projection {
            lon0: 116.31,
            lat0: 37.45,
        })
    }

    #[test]
    fn inset_of_square_is_smaller_square() {
        let q = [
            Pt::new(0.0, 0.0),
            Pt::new(100.0, 0.0),
            Pt::new(100.0, 100.0),
            Pt::new(0.0, 100.0),
        ];
        let r = inset_quad(&q, [10.0, 20.0, 10.0, 5.0]);
        assert!(r[0].dist(Pt::new(5.0, 10.0)) < 1e-9);
        assert!(r[2].dist(Pt::new(80.0, 90.0)) < 1e-9);
    }

    #[test]
    fn outline_contains_with_margin() {
        let o = Outline::new(&[vec![
            Pt::new(0.0, 0.0),
            Pt::new(100.0, 0.0),
            Pt::new(100.0, 100.0),
            Pt::new(0.0, 100.0),
            Pt::new(0.0, 0.0),
        ]]);
        assert!(o.contains(Pt::new(50.0, 50.0)));
        assert!(!o.contains(Pt::new(150.0, 50.0)));
        assert!(!o.contains_with_margin(Pt::new(99.0, 50.0), 5.0));
    }

    #[test]
    fn streets_stop_at_barrier_unless_allowed() {
        let mut plan = Planner::default();
        plan.barriers.push(Barrier::new(
            vec![Pt::new(0.0, -500.0), Pt::new(0.0, 500.0)],
            30.0,
            BarrierKind::Water,
        ));
        let tags = Tags::new().with("highway", "residential");
        plan.line(
            vec![Pt::new(-200.0, 0.0), Pt::new(200.0, 0.0)],
            LineStyle::new(tags.clone(), 25.0),
        );
        plan.line(
            vec![Pt::new(-200.0, 100.0), Pt::new(200.0, 100.0)],
            LineStyle::new(tags, 25.0).crossing(),
        );
        let mut m = model();
        plan.build(&mut m);
        let bridges = m
            .ways
            .iter()
            .filter(|w| w.tags.get("bridge") == Some("yes"))
            .count();
        assert_eq!(bridges, 1);
        assert_eq!(m.ways.len(), 5);
        for w in m.ways.iter().filter(|w| w.tags.get("bridge").is_none()) {
            for &r in &w.refs {
                assert!(m.nodes[r as usize].p.x.abs() >= 29.9);
            }
        }
    }

    #[test]
    fn soft_attachments_from_both_sides_share_a_node() {
        let mut plan = Planner::default();
        let street = plan.line(
            vec![Pt::new(0.0, 0.0), Pt::new(300.0, 0.0)],
            LineStyle::new(Tags::new(), 1000.0),
        );
        let a = plan.attach(street, 100.0);
        let b = plan.attach(street, 105.0);
        let ga = plan.slot(Pt::new(100.0, 30.0));
        let gb = plan.slot(Pt::new(105.0, -30.0));
        plan.link(a, ga, LineStyle::new(Tags::new(), 1000.0));
        plan.link(b, gb, LineStyle::new(Tags::new(), 1000.0));
        let mut m = model();
        plan.build(&mut m);
        assert_eq!(m.ways[1].refs[0], m.ways[2].refs[0]);
        assert_eq!(m.ways[0].refs.len(), 3);
    }
}

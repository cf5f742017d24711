//! A Shandong-sized model: prefectures side by side with provincial roads
//! between them, for the "beyond one city" work (issue 18).
//!
//! Shandong has 16 prefecture-level cities; the model lays out 16 copies of
//! the prefecture model (each with its own seed, so no two are alike) on a
//! 4 × 4 grid with a gap of open country between them, and joins every pair
//! of neighbours with a straight provincial road (`highway=secondary`) from
//! the outermost street node of one to the facing one of the other. Like the
//! other regions it is deterministic: the same seed gives the same bytes.
//! About 26 M OSM nodes and 2.7 M walking-graph nodes.

use super::layout::Pt;
use super::{Model, NodeIx, SynthError, SynthOptions, Tags};

/// Prefectures per row and per column.
const SIDE: usize = 4;
/// Open country between neighbouring prefectures, metres.
const GAP_M: f64 = 6000.0;

/// Builds the province: `build_prefecture(seed)` for each of the 16 seeds.
pub(crate) fn build(
    opts: &SynthOptions,
    build_prefecture: impl Fn(u64) -> Result<Model, SynthError>,
) -> Result<Model, SynthError> {
    let mut province: Option<Model> = None;
    // Each copy's offset and the street nodes on its four sides.
    let mut sides: Vec<[NodeIx; 4]> = Vec::new();
    let mut extent = (Pt::default(), Pt::default());
    for k in 0..SIDE * SIDE {
        let part = build_prefecture(opts.seed.wrapping_add(k as u64))?;
        if k == 0 {
            extent = bounds(&part);
        }
        let (lo, hi) = extent;
        let shift = Pt::new(
            (k % SIDE) as f64 * (hi.x - lo.x + GAP_M),
            (k / SIDE) as f64 * (hi.y - lo.y + GAP_M),
        );
        let model = province.get_or_insert_with(|| Model::new(part.proj));
        let first = model.nodes.len() as NodeIx;
        let ends = street_ends(&part).map(|i| i + first);
        model.append(part, shift);
        sides.push(ends);
    }
    let mut model = province.expect("at least one prefecture");
    for k in 0..SIDE * SIDE {
        let (col, row) = (k % SIDE, k / SIDE);
        if col + 1 < SIDE {
            road(&mut model, sides[k][EAST], sides[k + 1][WEST], k);
        }
        if row + 1 < SIDE {
            road(&mut model, sides[k][NORTH], sides[k + SIDE][SOUTH], k);
        }
    }
    Ok(model)
}

const WEST: usize = 0;
const SOUTH: usize = 1;
const EAST: usize = 2;
const NORTH: usize = 3;

/// The lower-left and upper-right corners of a model's nodes.
fn bounds(m: &Model) -> (Pt, Pt) {
    let mut lo = Pt::new(f64::INFINITY, f64::INFINITY);
    let mut hi = Pt::new(f64::NEG_INFINITY, f64::NEG_INFINITY);
    for n in &m.nodes {
        lo = Pt::new(lo.x.min(n.p.x), lo.y.min(n.p.y));
        hi = Pt::new(hi.x.max(n.p.x), hi.y.max(n.p.y));
    }
    (lo, hi)
}

/// The westernmost, southernmost, easternmost and northernmost nodes of the
/// model's roads (ways with a `highway` that is not a footway or path), first
/// in node order on ties.
fn street_ends(m: &Model) -> [NodeIx; 4] {
    let mut best: [Option<(f64, NodeIx)>; 4] = [None; 4];
    for way in &m.ways {
        let road = way
            .tags
            .get("highway")
            .is_some_and(|h| !matches!(h, "footway" | "path" | "steps" | "pedestrian"));
        if !road {
            continue;
        }
        for &r in &way.refs {
            let p = m.nodes[r as usize].p;
            for (side, score) in [-p.x, -p.y, p.x, p.y].into_iter().enumerate() {
                let better = best[side].is_none_or(|(s, i)| score > s || (score == s && r < i));
                if better {
                    best[side] = Some((score, r));
                }
            }
        }
    }
    best.map(|b| b.map_or(0, |(_, i)| i))
}

/// A provincial road from node `a` to node `b`, with a node every 500 m.
fn road(m: &mut Model, a: NodeIx, b: NodeIx, k: usize) {
    let (pa, pb) = (m.nodes[a as usize].p, m.nodes[b as usize].p);
    let steps = ((pa.dist(pb) / 500.0).ceil() as usize).max(1);
    let mut refs = vec![a];
    for s in 1..steps {
        let t = s as f64 / steps as f64;
        refs.push(m.add_node(
            Pt::new(pa.x + (pb.x - pa.x) * t, pa.y + (pb.y - pa.y) * t),
            Tags::new(),
        ));
    }
    refs.push(b);
    let tags = Tags::new()
        .with("highway", "secondary")
        .with("name", format!("省道S{}", 200 + k))
        .with("ref", format!("S{}", 200 + k));
    m.add_way(refs, tags);
}

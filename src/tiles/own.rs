//! One tile: the normal analysis of its extract, then only what its core
//! owns — a community by its polygon's interior point, a facility by its
//! point — written into `DIR/tiles/<i>/part/`, then the `done` marker.

use std::path::Path;
use std::time::Instant;

use geo::{BoundingRect, InteriorPoint};
use serde::{Deserialize, Serialize};

use super::plan::{reach_of, Plan};
use super::tile::Tile;
use crate::analysis::{analyze_with_options, Analysis, AnalyzeOptions};
use crate::error::{Error, Result};
use crate::places::PlaceGeometry;
use crate::write::commit::OutputSet;

/// What a finished tile records in `part/part.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PartStats {
    /// The tile's index in the plan.
    pub index: usize,
    /// The tile's key, as [`Tile::key`].
    pub key: String,
    /// Communities the analysis found in the tile's extract.
    pub communities_seen: usize,
    /// Facilities the analysis found in the tile's extract.
    pub facilities_seen: usize,
    /// Those the core owns (written).
    pub communities: usize,
    /// Facilities the core owns (written).
    pub facilities: usize,
    /// Nodes of the tile's walking graph.
    pub graph_nodes: usize,
    /// Wall and CPU seconds of the tile's process, and its peak memory.
    pub seconds: f64,
    /// CPU seconds (user + system), where the system reports them.
    pub cpu_seconds: Option<f64>,
    /// Peak resident memory of the analysis, MiB, where measured.
    pub peak_rss_mib: Option<f64>,
    /// Threads the analysis ran on.
    pub threads: usize,
}

/// How a `childcircle tile` run ended.
#[derive(Debug)]
pub enum Outcome {
    /// Already finished by an earlier run: nothing done.
    Skipped,
    /// Analysed: what the tile recorded.
    Done(PartStats),
}

/// Whether tile `index` of `dir` is finished.
pub fn is_done(dir: &Path, index: usize) -> bool {
    super::tile_dir(dir, index).join(super::DONE_FILE).is_file()
}

/// Analyses tile `index` of the plan in `dir` unless it is finished.
pub fn run_tile(dir: &Path, index: usize) -> Result<Outcome> {
    let start = Instant::now();
    let plan = Plan::load(dir)?;
    let tile = plan.tile(index)?;
    if is_done(dir, index) {
        return Ok(Outcome::Skipped);
    }
    let tdir = super::tile_dir(dir, index);
    let options = AnalyzeOptions {
        profile: plan.load_profile()?,
        frame: Some(plan.frame),
        isochrones: None,
        ..Default::default()
    };
    let pbf = tdir.join(super::TILE_PBF);
    let mut a = analyze_with_options(&pbf, &options, &mut |_| {})?;
    let (communities_seen, facilities_seen) = (a.communities.len(), a.facilities.len());
    keep_owned(&mut a, tile, plan.halo.allowance_m)?;
    let mut set = OutputSet::new(&tdir.join(super::PART_DIR))?;
    set.write(
        "communities.geojson",
        &crate::write::layers::communities_geojson(&a),
    )?;
    set.write(
        "facilities.geojson",
        &crate::write::layers::facilities_geojson(&a),
    )?;
    set.write(
        super::rows::TABLE_FILE,
        &serde_json::to_vec(&super::rows::table_rows(&a)).expect("rows serialize"),
    )?;
    let stats = PartStats {
        index,
        key: tile.key.clone(),
        communities_seen,
        facilities_seen,
        communities: a.communities.len(),
        facilities: a.facilities.len(),
        graph_nodes: a.graph.node_count(),
        seconds: start.elapsed().as_secs_f64(),
        cpu_seconds: cpu_seconds(),
        peak_rss_mib: a
            .timings
            .iter()
            .filter_map(|t| t.peak_rss_mib)
            .reduce(f64::max),
        threads: a.threads,
    };
    set.write(
        "part.json",
        &serde_json::to_vec_pretty(&stats).expect("stats serialize"),
    )?;
    set.commit()?;
    crate::write::commit::write_atomic(&tdir.join(super::DONE_FILE), b"done\n")?;
    Ok(Outcome::Done(stats))
}

/// Drops what the tile's core does not own, after checking that everything
/// owned lies within the allowance of the core (else the halo would not
/// make the tile exact).
pub fn keep_owned(a: &mut Analysis, tile: &Tile, allowance_m: f64) -> Result<()> {
    let allowed = reach_of(tile.core, allowance_m);
    let within = |r: Option<geo::Rect<f64>>| {
        r.is_none_or(|r| {
            r.min().x >= allowed[0]
                && r.min().y >= allowed[1]
                && r.max().x <= allowed[2]
                && r.max().y <= allowed[3]
        })
    };
    let mut too_big = Vec::new();
    let keep: Vec<bool> = a
        .communities
        .iter()
        .map(|c| {
            let owned = c
                .polygon
                .interior_point()
                .is_some_and(|p| tile.owns([p.x(), p.y()]));
            if owned && !within(c.polygon.bounding_rect()) {
                too_big.push(format!("community {}", c.id));
            }
            owned
        })
        .collect();
    let mut k = keep.iter();
    a.communities.retain(|_| *k.next().expect("one flag each"));
    let mut k = keep.iter();
    a.coverage.retain(|_| *k.next().expect("one flag each"));
    let keep: Vec<bool> = a
        .facilities
        .iter()
        .map(|f| {
            let owned = tile.owns(f.lonlat);
            let rect = match &f.geometry {
                PlaceGeometry::Point(p) => Some(geo::Rect::new(*p, *p)),
                PlaceGeometry::Line(l) => l.bounding_rect(),
                PlaceGeometry::Polygon(p) => p.bounding_rect(),
            };
            if owned && !within(rect) {
                too_big.push(format!("facility {}", f.osm));
            }
            owned
        })
        .collect();
    let mut k = keep.iter();
    a.facilities.retain(|_| *k.next().expect("one flag each"));
    let mut k = keep.iter();
    a.reach.retain(|_| *k.next().expect("one flag each"));
    if !too_big.is_empty() {
        return Err(Error::Invalid(format!(
            "tile {} ({}): {} owned object{} reach{} more than the allowance ({allowance_m:.0} m) beyond the tile's core, so the halo cannot make the tile exact: {}; plan again with a larger --allowance",
            tile.index,
            tile.key,
            too_big.len(),
            if too_big.len() == 1 { "" } else { "s" },
            if too_big.len() == 1 { "es" } else { "" },
            too_big.iter().take(5).cloned().collect::<Vec<_>>().join(", ")
        )));
    }
    Ok(())
}

/// User + system CPU seconds of this process so far (Linux), from
/// `/proc/self/stat` in clock ticks of 1/100 s.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name in parentheses; utime and stime are
    // fields 14 and 15 of the whole line.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i)?.parse::<f64>().ok();
    Some((ticks(11)? + ticks(12)?) / 100.0)
}

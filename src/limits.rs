//! Telling early that an extract is too big for the machine, instead of being
//! killed by the operating system halfway through (`--max-memory`).
//!
//! Peak memory grows with the walking graph, not with the file: ingest keeps
//! only the objects the graph and the places need and decodes blobs in bounded
//! batches. Before the file is read the graph's size is unknown, so the
//! estimate works from what can be learnt cheaply and errs high:
//!
//! - the graph and everything built on it: [`BYTES_PER_FILE_BYTE`] per byte of
//!   the file, 30 % above the highest ratio measured (62, the synthetic Dezhou
//!   prefecture, whose file is nearly all streets; Heidelberg, full of
//!   buildings, needs 26). Objects the graph does not use cost memory only
//!   while their blob is decoded, but the estimate cannot tell them apart:
//!   central Dezhou padded with 3.3 million unused nodes (22 MB instead of
//!   0.4 MB) peaks at 30 MiB instead of 29, and is estimated at 1.7 GiB;
//! - the city-wide coverage grids, one per category searched in parallel: each
//!   grows with the extract's extent up to `max_city_vertices` vertices. The
//!   extent is the header's bounding box when the file declares one, else the
//!   grid is taken at its cap.
//!
//! Measured peaks (RSS, `/usr/bin/time -v`, 2 threads) and their estimates:
//! central Dezhou model, 0.4 MB: 29 MiB, estimated 67; Heidelberg, 2.5 MB:
//! 130 MiB, estimated 466 (its header declares a quarter of the globe, so the
//! grids are taken at their cap); Dezhou prefecture model, 5 MB: 450 MiB,
//! estimated 655.

use std::path::Path;

use crate::error::{Error, Result};
use crate::isochrone::IsochroneOptions;
use crate::osm::pbf::PbfFile;
use crate::profile::Profile;

/// Memory of the program itself, its thread stacks and the profile.
const BASE_BYTES: u64 = 32 << 20;
/// Peak bytes per byte of PBF for the graph, the places and the searches.
pub const BYTES_PER_FILE_BYTE: u64 = 80;
/// Bytes per vertex of a coverage grid while it is contoured (times, the gap
/// field, the residential mask and the contour rings).
const BYTES_PER_GRID_VERTEX: u64 = 8;

/// What an analysis of an extract is expected to need at its peak.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MemoryEstimate {
    /// Everything, with isochrone and coverage polygons.
    pub bytes: u64,
    /// Without them (`--no-isochrones`).
    pub bytes_without_isochrones: u64,
}

/// Estimates the peak memory of analysing `extract` with the default profile
/// and isochrone options on the current number of rayon threads.
pub fn estimate_memory(extract: &Path) -> Result<MemoryEstimate> {
    estimate_memory_with_options(extract, &Profile::default(), &IsochroneOptions::default())
}

/// Estimates the peak memory of analysing `extract` with this profile (its
/// categories are searched in parallel) and these isochrone options (their
/// cell sets the size of the city-wide grids).
pub fn estimate_memory_with_options(
    extract: &Path,
    profile: &Profile,
    grid: &IsochroneOptions,
) -> Result<MemoryEstimate> {
    let file = PbfFile::open(extract)?;
    let cap = grid.max_city_vertices as f64;
    let vertices = match file.header_bbox()? {
        Some(bbox) => grid_vertices(bbox, grid.cell_m).min(cap),
        None => cap,
    };
    let parallel_grids = rayon::current_num_threads().min(profile.categories.len());
    let without = BASE_BYTES + BYTES_PER_FILE_BYTE * file.len;
    Ok(MemoryEstimate {
        bytes: without + parallel_grids as u64 * BYTES_PER_GRID_VERTEX * vertices as u64,
        bytes_without_isochrones: without,
    })
}

/// Vertices of a grid with `cell_m` cells over a lon/lat box.
fn grid_vertices([min_lon, min_lat, max_lon, max_lat]: [f64; 4], cell_m: f64) -> f64 {
    const METRES_PER_DEGREE: f64 = 111_320.0;
    let mid_lat = ((min_lat + max_lat) / 2.0).clamp(-90.0, 90.0).to_radians();
    let width = (max_lon - min_lon).abs() * METRES_PER_DEGREE * mid_lat.cos();
    let height = (max_lat - min_lat).abs() * METRES_PER_DEGREE;
    // The grids have a margin of a few cells around the graph.
    let vertices = (width / cell_m + 8.0) * (height / cell_m + 8.0);
    if vertices.is_finite() {
        vertices
    } else {
        f64::MAX
    }
}

/// Fails early, with a clear message, when analysing `extract` with the
/// default options would need more than `max_bytes` of memory.
pub fn check_memory(extract: &Path, max_bytes: u64) -> Result<()> {
    let iso = IsochroneOptions::default();
    check_memory_with_options(extract, max_bytes, &Profile::default(), Some(&iso))
}

/// Fails early, with a clear message, when analysing `extract` with this
/// profile and these isochrone options (`None`: no polygons) would need more
/// than `max_bytes` of memory. The advice to skip isochrones is given only to
/// a run that draws them.
pub fn check_memory_with_options(
    extract: &Path,
    max_bytes: u64,
    profile: &Profile,
    isochrones: Option<&IsochroneOptions>,
) -> Result<()> {
    let default = IsochroneOptions::default();
    let estimate = estimate_memory_with_options(extract, profile, isochrones.unwrap_or(&default))?;
    let needed = match isochrones {
        Some(_) => estimate.bytes,
        None => estimate.bytes_without_isochrones,
    };
    if needed <= max_bytes {
        return Ok(());
    }
    let hint = if isochrones.is_some() && estimate.bytes_without_isochrones <= max_bytes {
        format!(
            "; without isochrones (--no-isochrones) it needs about {}",
            gib(estimate.bytes_without_isochrones)
        )
    } else {
        String::new()
    };
    Err(Error::Invalid(format!(
        "{}: the extract needs about {} of memory; --max-memory is {}{hint}. Cut a smaller area with osmium extract, e.g. osmium extract -b LON1,LAT1,LON2,LAT2 {} -o smaller.osm.pbf",
        extract.display(),
        gib(needed),
        gib(max_bytes),
        extract.display(),
    )))
}

fn gib(bytes: u64) -> String {
    format!("{:.1} GiB", bytes as f64 / f64::from(1 << 30))
}

/// Parses a memory size as given on the command line: `4G`, `512M`, `1.5GiB`,
/// `2000000000` (bytes). Units are binary (1G = 2^30 bytes).
pub fn parse_size(text: &str) -> std::result::Result<u64, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let shift = match unit
        .trim()
        .to_ascii_uppercase()
        .trim_end_matches("IB")
        .trim_end_matches('B')
    {
        "" => 0,
        "K" => 10,
        "M" => 20,
        "G" => 30,
        "T" => 40,
        _ => return Err(format!("{text:?} is not a memory size (e.g. 4G, 512M)")),
    };
    match number.parse::<f64>() {
        Ok(n) if n.is_finite() && n > 0.0 => Ok((n * 2f64.powi(shift)) as u64),
        _ => Err(format!("{text:?} is not a memory size (e.g. 4G, 512M)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_binary_units() {
        assert_eq!(parse_size("4G"), Ok(4 << 30));
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("1.5GiB"), Ok(3 << 29));
        assert_eq!(parse_size("2T"), Ok(2 << 40));
        assert_eq!(parse_size("1000"), Ok(1000));
        assert!(parse_size("lots").is_err());
        assert!(parse_size("-1G").is_err());
        assert!(parse_size("0").is_err());
    }

    #[test]
    fn too_small_a_limit_fails_early_and_says_what_to_do() {
        let extract = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/dezhou/decheng.osm.pbf");
        let estimate = estimate_memory(&extract).unwrap();
        // The measured peak is about 28 MiB; the estimate errs high, not absurdly.
        assert!(
            (40 << 20..400 << 20).contains(&estimate.bytes),
            "{estimate:?}"
        );
        assert!(check_memory(&extract, 1 << 30).is_ok());
        let e = check_memory(&extract, 16 << 20).unwrap_err().to_string();
        assert!(
            e.contains("decheng.osm.pbf")
                && e.contains("osmium extract")
                && e.contains("--max-memory"),
            "{e}"
        );
    }

    #[test]
    fn the_estimate_uses_the_runs_own_options() {
        let extract = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/dezhou/decheng.osm.pbf");
        let profile = Profile::default();
        let iso = IsochroneOptions::default();
        let e = estimate_memory_with_options(&extract, &profile, &iso).unwrap();
        // A limit between the two: enough without isochrones, not with them.
        let between = (e.bytes + e.bytes_without_isochrones) / 2;
        assert!(
            e.bytes_without_isochrones < between && between < e.bytes,
            "{e:?}"
        );
        let with = check_memory_with_options(&extract, between, &profile, Some(&iso))
            .unwrap_err()
            .to_string();
        assert!(with.contains("--no-isochrones"), "{with}");
        // A run without isochrones fits, and is never told to skip them.
        check_memory_with_options(&extract, between, &profile, None).unwrap();
        let tiny = check_memory_with_options(&extract, 1 << 20, &profile, None)
            .unwrap_err()
            .to_string();
        assert!(!tiny.contains("--no-isochrones"), "{tiny}");
        // A coarser cell makes smaller grids.
        let coarse = IsochroneOptions::new(&[5.0], 100.0, 50.0).unwrap();
        let c = estimate_memory_with_options(&extract, &profile, &coarse).unwrap();
        assert!(c.bytes < e.bytes, "{c:?} vs {e:?}");
    }
}

//! Population from a gridded raster: how many people live in each analysis
//! unit, read from a GeoTIFF such as WorldPop (100 m / 3″, EPSG:4326) or
//! GHS-POP (100 m, Mollweide ESRI:54009).
//!
//! - [`PopulationRaster::open`] reads the header and georeferencing
//!   ([`georef`] says which coordinate systems are recognised and how);
//! - [`PopulationRaster::people_in`] gives the **area-weighted** people of
//!   each unit — every cell adds its value × the share of the cell inside
//!   the unit, computed in an equal-area plane ([`zonal`]) — and the people
//!   of the **union** of the units, where a cell covered by a 小区 and by
//!   the 社区 around it counts once.
//!
//! Nodata cells (GDAL_NODATA), negative values and NaN are skipped and
//! counted; units partly outside the raster give the uncovered share (a
//! warning for the caller to print); units wholly outside are an error.
//!
//! ```no_run
//! use childcircle::places::population::PopulationRaster;
//! let raster = PopulationRaster::open(std::path::Path::new("chn_ppp_2020.tif"))?;
//! let unit = geo::MultiPolygon::new(vec![geo::Rect::new(
//!     geo::coord! { x: 116.30, y: 37.43 },
//!     geo::coord! { x: 116.31, y: 37.44 },
//! )
//! .to_polygon()]);
//! let sums = raster.people_in(&[unit])?;
//! println!("{:.0} people", sums.per_unit[0]);
//! if let Some(w) = sums.warning(raster.path()) {
//!     eprintln!("warning: {w}");
//! }
//! # Ok::<(), childcircle::Error>(())
//! ```

pub mod georef;
pub mod mollweide;
pub mod raster;
pub mod zonal;

use std::path::Path;

pub use georef::{Grid, RasterCrs};
pub use mollweide::Mollweide;
pub use raster::PopulationRaster;

/// The people of a set of units, from [`PopulationRaster::people_in`].
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ZonalSums {
    /// People in each unit (in the order given), area-weighted.
    pub per_unit: Vec<f64>,
    /// The share of each unit's area outside the raster (0 when covered).
    pub per_unit_uncovered: Vec<f64>,
    /// People in the union of the units: a cell counts once however many
    /// units overlap it (nested compounds, overlapping polygons).
    pub union_total: f64,
    /// Cells in the union holding the raster's nodata value, skipped.
    pub nodata_cells_skipped: usize,
    /// Cells in the union holding a negative value or NaN, skipped.
    pub negative_or_nan_skipped: usize,
    /// The share of the union's area outside the raster, in [0, 1).
    pub uncovered_share: f64,
}

impl ZonalSums {
    /// No units: nothing counted.
    pub fn empty(units: usize) -> ZonalSums {
        ZonalSums {
            per_unit: vec![0.0; units],
            per_unit_uncovered: vec![0.0; units],
            union_total: 0.0,
            nodata_cells_skipped: 0,
            negative_or_nan_skipped: 0,
            uncovered_share: 0.0,
        }
    }

    /// One line for the console when something was skipped or uncovered:
    /// `FILE: population raster covers 83.2 % of the units' area; 12 nodata
    /// cells and 1 negative/NaN cell skipped`.
    pub fn warning(&self, path: &Path) -> Option<String> {
        let mut parts = Vec::new();
        if self.uncovered_share > 0.0005 {
            parts.push(format!(
                "covers only {:.1} % of the units' area (the rest has no population)",
                100.0 * (1.0 - self.uncovered_share)
            ));
        }
        let plural = |n: usize| if n == 1 { "" } else { "s" };
        if self.nodata_cells_skipped > 0 {
            let n = self.nodata_cells_skipped;
            parts.push(format!("{n} nodata cell{} skipped", plural(n)));
        }
        if self.negative_or_nan_skipped > 0 {
            let n = self.negative_or_nan_skipped;
            parts.push(format!("{n} negative or NaN cell{} skipped", plural(n)));
        }
        (!parts.is_empty())
            .then(|| format!("{}: population raster {}", path.display(), parts.join("; ")))
    }
}

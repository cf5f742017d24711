//! Reading a GeoTIFF population raster: its header at [`PopulationRaster::open`],
//! and only the strips or tiles a set of units needs at
//! [`PopulationRaster::people_in`] (a national WorldPop raster is gigabytes;
//! a city's window of it is a few megabytes).

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use geo::MultiPolygon;
use rayon::prelude::*;
use tiff::decoder::{Decoder, DecodingResult};
use tiff::tags::Tag;

use super::georef::{GeoKeys, GeoTags, Grid, RasterCrs};
use super::zonal::{self, Cell, Frame, Piece};
use super::ZonalSums;
use crate::error::{Error, Result};

/// A single-band GeoTIFF of people per cell, in lon/lat WGS84 (WorldPop) or
/// Mollweide (GHS-POP); see [`super::georef`] for what is recognised.
#[derive(Debug, Clone)]
pub struct PopulationRaster {
    path: PathBuf,
    width: u32,
    height: u32,
    crs: RasterCrs,
    grid: Grid,
    nodata: Option<f64>,
}

/// What a cell holds once read.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Value {
    People(f64),
    Nodata,
    /// Negative or NaN (not the nodata value).
    Invalid,
}

/// A rectangle of cells read from the raster: rows `row0..row0 + rows`.
struct Window {
    row0: i64,
    col0: i64,
    rows: i64,
    cols: i64,
    values: Vec<Value>,
}

impl Window {
    fn get(&self, (r, c): Cell) -> Option<Value> {
        let (i, j) = (r - self.row0, c - self.col0);
        ((0..self.rows).contains(&i) && (0..self.cols).contains(&j))
            .then(|| self.values[(i * self.cols + j) as usize])
    }
}

impl PopulationRaster {
    /// Opens a GeoTIFF and reads its georeferencing (not its cells).
    ///
    /// Errors name the file: not a TIFF, no georeferencing, a coordinate
    /// system other than lon/lat WGS84 or Mollweide (naming the one found),
    /// more than one band, a sample type that is not a number.
    pub fn open(path: &Path) -> Result<PopulationRaster> {
        let bad = |reason: String| Error::Input {
            path: path.to_path_buf(),
            reason,
        };
        let mut decoder = decoder(path)?;
        let (width, height) = decoder
            .dimensions()
            .map_err(|e| bad(format!("not a readable TIFF image ({e})")))?;
        let tags =
            geo_tags(&mut decoder).map_err(|e| bad(format!("unreadable GeoTIFF tags ({e})")))?;
        let keys = GeoKeys::parse(&tags).map_err(|e| bad(format!("not a GeoTIFF: {e}")))?;
        let grid = tags
            .grid(keys.pixel_is_point())
            .map_err(|e| bad(format!("not a GeoTIFF: {e}")))?;
        let crs = keys
            .crs()
            .map_err(|e| bad(format!("population raster: {e}")))?;
        let nodata = tags.nodata_value().map_err(bad)?;
        let samples = decoder
            .find_tag_unsigned::<u32>(Tag::SamplesPerPixel)
            .ok()
            .flatten()
            .unwrap_or(1);
        if samples != 1 {
            return Err(bad(format!(
                "has {samples} bands; a population raster has one (people per cell)"
            )));
        }
        Ok(PopulationRaster {
            path: path.to_path_buf(),
            width,
            height,
            crs,
            grid,
            nodata,
        })
    }

    /// The file read.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Columns and rows.
    pub fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    /// The coordinate system of the grid.
    pub fn crs(&self) -> RasterCrs {
        self.crs
    }

    /// The grid: top-left corner and cell size, in the CRS's units.
    pub fn grid(&self) -> Grid {
        self.grid
    }

    /// The nodata value (GDAL_NODATA), if any.
    pub fn nodata(&self) -> Option<f64> {
        self.nodata
    }

    /// People per unit, area-weighted: each cell adds its value × the share
    /// of the cell the unit covers. Also the people in the union of the
    /// units (each cell at most once, however many units overlap it), the
    /// nodata and negative/NaN cells skipped, and the share of the units'
    /// area the raster does not cover.
    ///
    /// An error when the raster covers none of the units' area.
    pub fn people_in(&self, units: &[MultiPolygon<f64>]) -> Result<ZonalSums> {
        let Some(centre) = units_centre(units) else {
            return Ok(ZonalSums::empty(units.len()));
        };
        let frame = Frame::new(self.crs, self.grid, centre);
        let shapes: Vec<MultiPolygon<f64>> =
            units.par_iter().map(|u| frame.project_units(u)).collect();
        let pieces: Vec<Vec<Piece>> = shapes.par_iter().map(|s| zonal::cover(&frame, s)).collect();
        let union = union_pieces(&frame, &shapes);
        let every_cell = union.iter().chain(pieces.iter().flatten()).map(|p| p.cell);
        let window = self.read_window(every_cell)?;
        let inside = |p: &Piece| window.as_ref().and_then(|w| w.get(p.cell));
        let per_unit: Vec<f64> = pieces.iter().map(|ps| people(ps, inside)).collect();
        let per_unit_uncovered: Vec<f64> = pieces
            .iter()
            .map(|ps| uncovered_share(ps, |p| inside(p).is_some()))
            .collect();
        let total_area: f64 = union.iter().map(|p| p.area).sum();
        let uncovered = uncovered_share(&union, |p| inside(p).is_some());
        if total_area > 0.0 && uncovered >= 1.0 {
            return Err(Error::Input {
                path: self.path.clone(),
                reason: self.not_covering(units),
            });
        }
        let count = |v: Value| union.iter().filter(|p| inside(p) == Some(v)).count();
        Ok(ZonalSums {
            per_unit,
            per_unit_uncovered,
            union_total: people(&union, inside),
            nodata_cells_skipped: count(Value::Nodata),
            negative_or_nan_skipped: count(Value::Invalid),
            uncovered_share: uncovered,
        })
    }

    /// "covers none of the N units (units at …, raster at …)".
    fn not_covering(&self, units: &[MultiPolygon<f64>]) -> String {
        use geo::BoundingRect;
        let b = units
            .iter()
            .filter_map(|u| u.bounding_rect())
            .reduce(|a, b| {
                geo::Rect::new(
                    geo::Coord {
                        x: a.min().x.min(b.min().x),
                        y: a.min().y.min(b.min().y),
                    },
                    geo::Coord {
                        x: a.max().x.max(b.max().x),
                        y: a.max().y.max(b.max().y),
                    },
                )
            });
        let units_at = b.map_or(String::new(), |b| {
            format!(
                " (they lie in lon {:.4}..{:.4}, lat {:.4}..{:.4})",
                b.min().x,
                b.max().x,
                b.min().y,
                b.max().y
            )
        });
        let g = self.grid;
        format!(
            "the population raster does not cover the extract: none of the {} units' area is inside it{units_at}; the raster ({}) spans x {}..{}, y {}..{}",
            units.len(),
            self.crs.label(),
            g.x0,
            g.x0 + f64::from(self.width) * g.dx,
            g.y0 - f64::from(self.height) * g.dy,
            g.y0
        )
    }

    /// Reads the cells of the raster's part of the bounding box of `cells`;
    /// `None` when none of them is in the raster.
    fn read_window(&self, cells: impl Iterator<Item = Cell>) -> Result<Option<Window>> {
        let (h, w) = (i64::from(self.height), i64::from(self.width));
        let mut b: Option<[i64; 4]> = None;
        for (r, c) in cells.filter(|&(r, c)| (0..h).contains(&r) && (0..w).contains(&c)) {
            let v = b.get_or_insert([r, c, r, c]);
            *v = [v[0].min(r), v[1].min(c), v[2].max(r), v[3].max(c)];
        }
        let Some([r0, c0, r1, c1]) = b else {
            return Ok(None);
        };
        let mut window = Window {
            row0: r0,
            col0: c0,
            rows: r1 - r0 + 1,
            cols: c1 - c0 + 1,
            values: vec![Value::Nodata; ((r1 - r0 + 1) * (c1 - c0 + 1)) as usize],
        };
        self.fill(&mut window).map_err(|reason| Error::Input {
            path: self.path.clone(),
            reason,
        })?;
        Ok(Some(window))
    }

    /// Decodes every strip or tile overlapping the window into it.
    fn fill(&self, window: &mut Window) -> Result<(), String> {
        let mut decoder = decoder(&self.path).map_err(|e| e.to_string())?;
        let (cw, ch) = decoder.chunk_dimensions();
        let (cw, ch) = (i64::from(cw.max(1)), i64::from(ch.max(1)));
        let across = (i64::from(self.width) + cw - 1) / cw;
        let (row_end, col_end) = (window.row0 + window.rows, window.col0 + window.cols);
        for tr in window.row0 / ch..=(row_end - 1) / ch {
            for tc in window.col0 / cw..=(col_end - 1) / cw {
                let index =
                    u32::try_from(tr * across + tc).map_err(|_| "too many chunks".to_string())?;
                let (dw, dh) = decoder.chunk_data_dimensions(index);
                let data = decoder
                    .read_chunk(index)
                    .map_err(|e| format!("cannot decode the raster's cells ({e})"))?;
                let values = self.classify(data)?;
                for i in 0..i64::from(dh) {
                    let r = tr * ch + i;
                    if !(window.row0..row_end).contains(&r) {
                        continue;
                    }
                    for j in 0..i64::from(dw) {
                        let c = tc * cw + j;
                        if (window.col0..col_end).contains(&c) {
                            let at = (r - window.row0) * window.cols + (c - window.col0);
                            window.values[at as usize] = values[(i * i64::from(dw) + j) as usize];
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// A chunk's samples as people, nodata or invalid.
    fn classify(&self, data: DecodingResult) -> Result<Vec<Value>, String> {
        let nodata = self.nodata;
        let f32_nodata = nodata.map(|n| n as f32);
        let of = |v: f64, as_f32: bool| {
            let is_nodata = match nodata {
                Some(n) if n.is_nan() => v.is_nan(),
                Some(n) => v == n || (as_f32 && Some(v as f32) == f32_nodata),
                None => false,
            };
            if is_nodata {
                Value::Nodata
            } else if v.is_nan() || v < 0.0 {
                Value::Invalid
            } else {
                Value::People(v)
            }
        };
        Ok(match data {
            DecodingResult::F32(v) => v.into_iter().map(|x| of(f64::from(x), true)).collect(),
            DecodingResult::F64(v) => v.into_iter().map(|x| of(x, false)).collect(),
            DecodingResult::U8(v) => v.into_iter().map(|x| of(f64::from(x), false)).collect(),
            DecodingResult::U16(v) => v.into_iter().map(|x| of(f64::from(x), false)).collect(),
            DecodingResult::U32(v) => v.into_iter().map(|x| of(f64::from(x), false)).collect(),
            DecodingResult::U64(v) => v.into_iter().map(|x| of(x as f64, false)).collect(),
            DecodingResult::I8(v) => v.into_iter().map(|x| of(f64::from(x), false)).collect(),
            DecodingResult::I16(v) => v.into_iter().map(|x| of(f64::from(x), false)).collect(),
            DecodingResult::I32(v) => v.into_iter().map(|x| of(f64::from(x), false)).collect(),
            DecodingResult::I64(v) => v.into_iter().map(|x| of(x as f64, false)).collect(),
            other => {
                return Err(format!(
                    "the cells are not numbers a population raster can hold ({})",
                    kind_name(&other)
                ))
            }
        })
    }
}

fn kind_name(d: &DecodingResult) -> &'static str {
    match d {
        DecodingResult::F16(_) => "16-bit float",
        _ => "unsupported sample type",
    }
}

/// A TIFF decoder on the file (the crate's default limits bound each
/// chunk's buffer; only chunks are decoded, never the whole image).
fn decoder(path: &Path) -> Result<Decoder<BufReader<File>>> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    Decoder::new(BufReader::new(file)).map_err(|e| Error::Input {
        path: path.to_path_buf(),
        reason: format!("not a TIFF file ({e})"),
    })
}

/// The GeoTIFF tags of the decoder's image.
fn geo_tags(d: &mut Decoder<BufReader<File>>) -> tiff::TiffResult<GeoTags> {
    let f64s = |d: &mut Decoder<_>, tag: u16| -> tiff::TiffResult<Option<Vec<f64>>> {
        d.find_tag(Tag::Unknown(tag))?
            .map(|v| v.into_f64_vec())
            .transpose()
    };
    let ascii = |d: &mut Decoder<_>, tag: u16| -> tiff::TiffResult<Option<String>> {
        d.find_tag(Tag::Unknown(tag))?
            .map(|v| v.into_string())
            .transpose()
    };
    Ok(GeoTags {
        pixel_scale: f64s(d, 33550)?,
        tiepoints: f64s(d, 33922)?,
        transformation: f64s(d, 34264)?,
        key_directory: d
            .find_tag(Tag::Unknown(34735))?
            .map(|v| v.into_u16_vec())
            .transpose()?,
        double_params: f64s(d, 34736)?,
        ascii_params: ascii(d, 34737)?,
        nodata: ascii(d, 42113)?,
    })
}

/// The centre of the units' lon/lat bounding box; `None` without area.
fn units_centre(units: &[MultiPolygon<f64>]) -> Option<[f64; 2]> {
    use geo::BoundingRect;
    let rects: Vec<_> = units.iter().filter_map(|u| u.bounding_rect()).collect();
    let lo = rects.iter().map(|r| r.min()).reduce(|a, b| geo::Coord {
        x: a.x.min(b.x),
        y: a.y.min(b.y),
    })?;
    let hi = rects.iter().map(|r| r.max()).reduce(|a, b| geo::Coord {
        x: a.x.max(b.x),
        y: a.y.max(b.y),
    })?;
    Some([(lo.x + hi.x) / 2.0, (lo.y + hi.y) / 2.0])
}

/// The cells of the union of the shapes, each once.
fn union_pieces(frame: &Frame, shapes: &[MultiPolygon<f64>]) -> Vec<Piece> {
    let union = if shapes.len() == 1 {
        shapes[0].clone()
    } else {
        geo::unary_union(shapes.iter())
    };
    let mut cells: std::collections::HashMap<Cell, Piece> = std::collections::HashMap::new();
    let per_polygon: Vec<Vec<Piece>> = union
        .0
        .par_iter()
        .map(|p| zonal::cover(frame, &MultiPolygon::new(vec![p.clone()])))
        .collect();
    for p in per_polygon.into_iter().flatten() {
        cells
            .entry(p.cell)
            .and_modify(|q| q.area = (q.area + p.area).min(q.cell_area))
            .or_insert(p);
    }
    let mut out: Vec<Piece> = cells.into_values().collect();
    out.sort_by_key(|p| p.cell);
    out
}

/// Σ value × covered share over the pieces with people.
fn people(pieces: &[Piece], value: impl Fn(&Piece) -> Option<Value>) -> f64 {
    pieces
        .iter()
        .map(|p| match value(p) {
            Some(Value::People(v)) => v * p.fraction(),
            _ => 0.0,
        })
        .sum()
}

/// The share of the pieces' area outside the raster.
fn uncovered_share(pieces: &[Piece], in_raster: impl Fn(&Piece) -> bool) -> f64 {
    let total: f64 = pieces.iter().map(|p| p.area).sum();
    if total <= 0.0 {
        return 0.0;
    }
    let outside: f64 = pieces
        .iter()
        .filter(|p| !in_raster(p))
        .map(|p| p.area)
        .sum();
    (outside / total).clamp(0.0, 1.0)
}

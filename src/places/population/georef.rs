//! GeoTIFF georeferencing: the GeoKey directory, the raster-to-model
//! transform, and which coordinate system a population raster is in.
//!
//! The tags are those of the GeoTIFF standard (OGC 19-008r4): the GeoKey
//! directory (34735) with its double (34736) and ASCII (34737) parameters,
//! ModelPixelScale (33550) + ModelTiepoint (33922), or ModelTransformation
//! (34264); and GDAL's nodata tag (42113).
//!
//! ## Which rasters are recognised
//! - **Lon/lat WGS84** (WorldPop): `GTModelTypeGeoKey` = 2 (geographic) and
//!   `GeographicTypeGeoKey` = 4326, or 4490 (CGCS2000, the Chinese datum,
//!   within a metre of WGS84), or user-defined (32767) on the WGS84 datum
//!   (`GeogGeodeticDatumGeoKey` = 6326). Angular unit degrees.
//! - **Mollweide** (GHS-POP, ESRI:54009): GeoTIFF defines no
//!   coordinate-transformation code for Mollweide, so writers cannot say it in
//!   keys alone. GDAL writes `GTModelTypeGeoKey` = 32767 (user-defined) with an
//!   "ESRI PE String = PROJCS[...PROJECTION["Mollweide"]...]" in
//!   `PCSCitationGeoKey`; others write `ProjectedCSTypeGeoKey` = 54009 (the
//!   ESRI code in the EPSG slot) or a citation naming "World_Mollweide". A
//!   raster is Mollweide when it is projected or user-defined and either
//!   `ProjectedCSTypeGeoKey` is 54009 or a citation (`GTCitationGeoKey`,
//!   `PCSCitationGeoKey`) contains the word "Mollweide". The central meridian,
//!   false easting and northing are read from the citation's WKT parameters
//!   when it has them, else from the projection keys, else 0; the sphere
//!   radius is the datum's semi-major axis (`GeogSemiMajorAxisGeoKey`, the
//!   WKT `SPHEROID`/`ELLIPSOID`), else WGS84's. Linear units must be metres.
//! - Anything else is refused, naming the EPSG code or citation found.
//!
//! Rotated or sheared transforms and south-up rasters are refused too:
//! population rasters are north-up grids.

use super::mollweide::{Mollweide, WGS84_SEMI_MAJOR_M};

/// The georeferencing tags of a TIFF, as read from its first image.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GeoTags {
    /// ModelPixelScale (33550): cell size in x, y (and z), model units.
    pub pixel_scale: Option<Vec<f64>>,
    /// ModelTiepoint (33922): six values per tiepoint, raster point (i, j, k)
    /// then model point (x, y, z).
    pub tiepoints: Option<Vec<f64>>,
    /// ModelTransformation (34264): a 4×4 raster-to-model matrix, row by row.
    pub transformation: Option<Vec<f64>>,
    /// The GeoKey directory (34735).
    pub key_directory: Option<Vec<u16>>,
    /// GeoDoubleParams (34736).
    pub double_params: Option<Vec<f64>>,
    /// GeoAsciiParams (34737).
    pub ascii_params: Option<String>,
    /// GDAL_NODATA (42113), as written (an ASCII number).
    pub nodata: Option<String>,
}

/// The coordinate system of a population raster's grid.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RasterCrs {
    /// Longitude/latitude degrees on WGS84 (or CGCS2000); `epsg` is the
    /// code found (4326, 4490, or 32767 for user-defined on WGS84).
    LonLat {
        /// The EPSG code found.
        epsg: u16,
    },
    /// Mollweide metres (ESRI:54009 and its variants).
    Mollweide(Mollweide),
}

impl RasterCrs {
    /// A short name for messages: `EPSG:4326`, `ESRI:54009 (Mollweide)`.
    pub fn label(&self) -> String {
        match self {
            RasterCrs::LonLat { epsg } if *epsg == 32767 => "user-defined WGS84 lon/lat".into(),
            RasterCrs::LonLat { epsg } => format!("EPSG:{epsg}"),
            RasterCrs::Mollweide(m) if *m == Mollweide::world() => "ESRI:54009 (Mollweide)".into(),
            RasterCrs::Mollweide(m) => format!("Mollweide (central meridian {}°)", m.lon0_deg),
        }
    }
}

/// A north-up grid: the model coordinates of cell `(row, col)`'s top-left
/// corner are `(x0 + col·dx, y0 − row·dy)`, with `dx, dy > 0`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Grid {
    /// Model x of the grid's left edge (degrees or metres, by the raster's CRS).
    pub x0: f64,
    /// Model y of the grid's top edge (degrees or metres, by the raster's CRS).
    pub y0: f64,
    /// Cell width, model units.
    pub dx: f64,
    /// Cell height, model units.
    pub dy: f64,
}

// GeoKey ids.
const GT_MODEL_TYPE: u16 = 1024;
const GT_RASTER_TYPE: u16 = 1025;
const GT_CITATION: u16 = 1026;
const GEOGRAPHIC_TYPE: u16 = 2048;
const GEOG_CITATION: u16 = 2049;
const GEOG_GEODETIC_DATUM: u16 = 2050;
const GEOG_ANGULAR_UNITS: u16 = 2054;
const GEOG_SEMI_MAJOR_AXIS: u16 = 2057;
const PROJECTED_CS_TYPE: u16 = 3072;
const PCS_CITATION: u16 = 3073;
const PROJ_COORD_TRANS: u16 = 3075;
const PROJ_LINEAR_UNITS: u16 = 3076;
const PROJ_NAT_ORIGIN_LONG: u16 = 3080;
const PROJ_FALSE_EASTING: u16 = 3082;
const PROJ_FALSE_NORTHING: u16 = 3083;
const PROJ_CENTER_LONG: u16 = 3088;

const USER_DEFINED: u16 = 32767;
const MODEL_PROJECTED: u16 = 1;
const MODEL_GEOGRAPHIC: u16 = 2;
const PIXEL_IS_POINT: u16 = 2;
const DEGREE: u16 = 9102;
const METRE: u16 = 9001;
const WGS84_DATUM: u16 = 6326;

/// One GeoKey's value.
#[derive(Debug, Clone, PartialEq)]
enum KeyValue {
    Short(u16),
    Doubles(Vec<f64>),
    Ascii(String),
}

/// The GeoKey directory, decoded.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GeoKeys {
    keys: Vec<(u16, KeyValue)>,
}

impl GeoKeys {
    /// Decodes the directory (34735) with its parameter tags.
    pub fn parse(tags: &GeoTags) -> Result<GeoKeys, String> {
        let Some(dir) = &tags.key_directory else {
            return Ok(GeoKeys::default());
        };
        if dir.len() < 4 {
            return Err("the GeoKey directory is truncated".into());
        }
        let count = usize::from(dir[3]);
        if dir.len() < 4 + 4 * count {
            return Err(format!(
                "the GeoKey directory announces {count} keys but holds {}",
                (dir.len() - 4) / 4
            ));
        }
        let mut keys = Vec::with_capacity(count);
        for e in dir[4..4 + 4 * count].chunks_exact(4) {
            let (id, location, n, value) = (e[0], e[1], usize::from(e[2]), usize::from(e[3]));
            let v = match location {
                0 => KeyValue::Short(e[3]),
                34736 => {
                    let d = tags.double_params.as_deref().unwrap_or(&[]);
                    let slice = d.get(value..value + n).ok_or_else(|| {
                        format!("GeoKey {id} points past the GeoDoubleParams tag")
                    })?;
                    KeyValue::Doubles(slice.to_vec())
                }
                34737 => {
                    let a = tags.ascii_params.as_deref().unwrap_or("");
                    let text = a
                        .get(value..(value + n).min(a.len()))
                        .ok_or_else(|| format!("GeoKey {id} points past the GeoAsciiParams tag"))?;
                    KeyValue::Ascii(text.trim_end_matches(['|', '\0']).to_string())
                }
                _ => continue, // a key stored in another tag: not one we read
            };
            keys.push((id, v));
        }
        Ok(GeoKeys { keys })
    }

    fn get(&self, id: u16) -> Option<&KeyValue> {
        self.keys.iter().find(|(k, _)| *k == id).map(|(_, v)| v)
    }

    fn short(&self, id: u16) -> Option<u16> {
        match self.get(id)? {
            KeyValue::Short(v) => Some(*v),
            _ => None,
        }
    }

    fn double(&self, id: u16) -> Option<f64> {
        match self.get(id)? {
            KeyValue::Doubles(v) => v.first().copied(),
            _ => None,
        }
    }

    fn ascii(&self, id: u16) -> Option<&str> {
        match self.get(id)? {
            KeyValue::Ascii(s) => Some(s),
            _ => None,
        }
    }

    /// Whether the grid's tie point is a cell centre (PixelIsPoint).
    pub fn pixel_is_point(&self) -> bool {
        self.short(GT_RASTER_TYPE) == Some(PIXEL_IS_POINT)
    }

    /// The raster's coordinate system, or what was found instead.
    pub fn crs(&self) -> Result<RasterCrs, String> {
        let model = self.short(GT_MODEL_TYPE);
        let citations: Vec<&str> = [GT_CITATION, PCS_CITATION, GEOG_CITATION]
            .iter()
            .filter_map(|&k| self.ascii(k))
            .collect();
        let pcs = self.short(PROJECTED_CS_TYPE);
        let is_mollweide = pcs == Some(54009)
            || citations
                .iter()
                .any(|c| c.to_ascii_lowercase().contains("mollweide"));
        match model {
            Some(MODEL_GEOGRAPHIC) => self.lonlat(),
            Some(MODEL_PROJECTED | USER_DEFINED) if is_mollweide => self.mollweide(&citations),
            None if self.keys.is_empty() => {
                Err("has no GeoKey directory (no coordinate system)".into())
            }
            _ => Err(self.unsupported(model, pcs, &citations)),
        }
    }

    fn lonlat(&self) -> Result<RasterCrs, String> {
        let code = self.short(GEOGRAPHIC_TYPE);
        let ok = match code {
            Some(4326 | 4490) => true,
            Some(USER_DEFINED) | None => self.short(GEOG_GEODETIC_DATUM) == Some(WGS84_DATUM),
            _ => false,
        };
        if !ok {
            return Err(format!(
                "lon/lat raster in {} is not supported (use EPSG:4326 WGS84, as WorldPop, or ESRI:54009 Mollweide, as GHS-POP)",
                code.map_or("an unnamed datum".to_string(), |c| format!("EPSG:{c}"))
            ));
        }
        if let Some(unit) = self.short(GEOG_ANGULAR_UNITS).filter(|&u| u != DEGREE) {
            return Err(format!(
                "lon/lat raster in angular unit {unit}, not degrees (9102)"
            ));
        }
        Ok(RasterCrs::LonLat {
            epsg: code.unwrap_or(USER_DEFINED),
        })
    }

    fn mollweide(&self, citations: &[&str]) -> Result<RasterCrs, String> {
        if let Some(unit) = self.short(PROJ_LINEAR_UNITS).filter(|&u| u != METRE) {
            return Err(format!(
                "Mollweide raster in linear unit {unit}, not metres (9001)"
            ));
        }
        let wkt = citations
            .iter()
            .find(|c| c.contains('['))
            .copied()
            .unwrap_or("");
        let from_wkt = |names: &[&str]| names.iter().find_map(|n| wkt_parameter(wkt, n));
        let lon0 = from_wkt(&[
            "central_meridian",
            "longitude of natural origin",
            "longitude_of_center",
        ])
        .or_else(|| self.double(PROJ_CENTER_LONG))
        .or_else(|| self.double(PROJ_NAT_ORIGIN_LONG))
        .unwrap_or(0.0);
        let fe = from_wkt(&["false_easting", "false easting"])
            .or_else(|| self.double(PROJ_FALSE_EASTING))
            .unwrap_or(0.0);
        let fn_ = from_wkt(&["false_northing", "false northing"])
            .or_else(|| self.double(PROJ_FALSE_NORTHING))
            .unwrap_or(0.0);
        let radius = wkt_semi_major(wkt)
            .or_else(|| self.double(GEOG_SEMI_MAJOR_AXIS))
            .unwrap_or(WGS84_SEMI_MAJOR_M);
        Ok(RasterCrs::Mollweide(Mollweide {
            lon0_deg: lon0,
            false_easting: fe,
            false_northing: fn_,
            radius,
        }))
    }

    fn unsupported(&self, model: Option<u16>, pcs: Option<u16>, citations: &[&str]) -> String {
        let found = match (pcs, citations.first()) {
            (Some(code), _) if code != USER_DEFINED => format!("EPSG:{code}"),
            (_, Some(c)) => format!("\"{}\"", shorten(c)),
            _ => match self.short(PROJ_COORD_TRANS) {
                Some(ct) => format!("a user-defined projection (coordinate transformation {ct})"),
                None => format!(
                    "model type {}",
                    model.map_or("none".into(), |m| m.to_string())
                ),
            },
        };
        format!(
            "coordinate system {found} is not supported (use EPSG:4326 lon/lat, as WorldPop, or ESRI:54009 Mollweide, as GHS-POP)"
        )
    }
}

/// A citation cut to a readable length for a one-line message.
fn shorten(text: &str) -> String {
    let t: String = text.chars().take(80).collect();
    if t.len() < text.len() {
        format!("{t}…")
    } else {
        t
    }
}

/// `PARAMETER["name", value]` of a WKT text (ESRI or WKT2, case-insensitive).
fn wkt_parameter(wkt: &str, name: &str) -> Option<f64> {
    let lower = wkt.to_ascii_lowercase();
    let key = format!("parameter[\"{name}\"");
    let at = lower.find(&key)? + key.len();
    number_after_comma(&wkt[at..])
}

/// The semi-major axis of a WKT `SPHEROID[...]` or `ELLIPSOID[...]`.
fn wkt_semi_major(wkt: &str) -> Option<f64> {
    let lower = wkt.to_ascii_lowercase();
    let at = lower
        .find("spheroid[")
        .or_else(|| lower.find("ellipsoid["))?;
    let rest = &wkt[at..];
    let name_end = rest.find("\",").map(|i| i + 1)?;
    number_after_comma(&rest[name_end..])
}

fn number_after_comma(s: &str) -> Option<f64> {
    let s = s.trim_start().strip_prefix(',')?.trim_start();
    let end = s
        .find(|c: char| !(c.is_ascii_digit() || "+-.eE".contains(c)))
        .unwrap_or(s.len());
    s[..end].parse().ok()
}

impl GeoTags {
    /// The north-up grid from ModelTransformation, or ModelPixelScale with
    /// the first ModelTiepoint; shifted half a cell for PixelIsPoint.
    pub fn grid(&self, pixel_is_point: bool) -> Result<Grid, String> {
        let mut g = if let Some(m) = &self.transformation {
            if m.len() < 16 {
                return Err("the ModelTransformation tag has fewer than 16 values".into());
            }
            if m[1] != 0.0 || m[4] != 0.0 {
                return Err("the raster is rotated or sheared (ModelTransformation); only north-up grids are supported".into());
            }
            Grid {
                x0: m[3],
                y0: m[7],
                dx: m[0],
                dy: -m[5],
            }
        } else {
            let (Some(s), Some(t)) = (&self.pixel_scale, &self.tiepoints) else {
                return Err("has no georeferencing (no ModelPixelScale + ModelTiepoint or ModelTransformation tags)".into());
            };
            if s.len() < 2 || t.len() < 6 {
                return Err("the ModelPixelScale or ModelTiepoint tag is truncated".into());
            }
            Grid {
                x0: t[3] - t[0] * s[0],
                y0: t[4] + t[1] * s[1],
                dx: s[0],
                dy: s[1],
            }
        };
        if !(g.dx > 0.0 && g.dy > 0.0 && g.x0.is_finite() && g.y0.is_finite()) {
            return Err(format!(
                "the cell size {} × {} is not a north-up grid (only north-up grids are supported)",
                g.dx, -g.dy
            ));
        }
        if pixel_is_point {
            g.x0 -= g.dx / 2.0;
            g.y0 += g.dy / 2.0;
        }
        Ok(g)
    }

    /// The nodata value, if the tag is there and a number.
    pub fn nodata_value(&self) -> Result<Option<f64>, String> {
        let Some(text) = &self.nodata else {
            return Ok(None);
        };
        let t = text.trim().trim_end_matches('\0');
        if t.eq_ignore_ascii_case("nan") || t.eq_ignore_ascii_case("-nan") {
            return Ok(Some(f64::NAN));
        }
        t.parse()
            .map(Some)
            .map_err(|_| format!("the GDAL_NODATA tag \"{t}\" is not a number"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The keys GDAL 3.6 writes for ESRI:54009 (read from a file it made).
    fn gdal_mollweide() -> GeoTags {
        GeoTags {
            key_directory: Some(vec![
                1, 1, 0, 10, 1024, 0, 1, 32767, 1025, 0, 1, 1, 1026, 34737, 16, 0, 2048, 0, 1,
                4326, 2049, 34737, 7, 16, 2054, 0, 1, 9102, 2057, 34736, 1, 1, 2059, 34736, 1, 0,
                3073, 34737, 328, 23, 3076, 0, 1, 9001,
            ]),
            double_params: Some(vec![298.257223563, 6378137.0]),
            ascii_params: Some(
                "World_Mollweide|WGS 84|ESRI PE String = PROJCS[\"World_Mollweide\",GEOGCS[\"GCS_WGS_1984\",DATUM[\"D_WGS_1984\",SPHEROID[\"WGS_1984\",6378137.0,298.257223563]],PRIMEM[\"Greenwich\",0.0],UNIT[\"Degree\",0.0174532925199433]],PROJECTION[\"Mollweide\"],PARAMETER[\"False_Easting\",0.0],PARAMETER[\"False_Northing\",0.0],PARAMETER[\"Central_Meridian\",0.0],UNIT[\"Meter\",1.0]]|".into(),
            ),
            ..Default::default()
        }
    }

    #[test]
    fn recognises_gdal_mollweide() {
        let keys = GeoKeys::parse(&gdal_mollweide()).unwrap();
        assert_eq!(
            keys.crs().unwrap(),
            RasterCrs::Mollweide(Mollweide::world())
        );
    }

    #[test]
    fn mollweide_parameters_from_the_citation() {
        let mut tags = gdal_mollweide();
        let a = tags.ascii_params.take().unwrap();
        let a = a
            .replace("\"Central_Meridian\",0.0", "\"Central_Meridian\",105.0")
            .replace("\"False_Easting\",0.0", "\"False_Easting\",500000");
        tags.ascii_params = Some(a);
        if let Some(d) = tags.key_directory.as_mut() {
            d[38] += 5; // the PE string (the last citation) grew by 5 characters
        }
        let RasterCrs::Mollweide(m) = GeoKeys::parse(&tags).unwrap().crs().unwrap() else {
            panic!("not Mollweide")
        };
        assert_eq!(
            (m.lon0_deg, m.false_easting, m.radius),
            (105.0, 500000.0, 6378137.0)
        );
    }

    #[test]
    fn refuses_other_projections_naming_them() {
        let tags = GeoTags {
            key_directory: Some(vec![1, 1, 0, 2, 1024, 0, 1, 1, 3072, 0, 1, 3857]),
            ..Default::default()
        };
        let e = GeoKeys::parse(&tags).unwrap().crs().unwrap_err();
        assert!(
            e.contains("EPSG:3857") && e.contains("not supported"),
            "{e}"
        );
        let tags = GeoTags {
            key_directory: Some(vec![1, 1, 0, 2, 1024, 0, 1, 2, 2048, 0, 1, 4214]),
            ..Default::default()
        };
        let e = GeoKeys::parse(&tags).unwrap().crs().unwrap_err();
        assert!(e.contains("EPSG:4214"), "{e}");
    }

    #[test]
    fn grid_from_scale_and_tiepoint_or_transformation() {
        let tags = GeoTags {
            pixel_scale: Some(vec![0.5, 0.25, 0.0]),
            tiepoints: Some(vec![2.0, 4.0, 0.0, 100.0, 40.0, 0.0]),
            ..Default::default()
        };
        let g = tags.grid(false).unwrap();
        assert_eq!((g.x0, g.y0, g.dx, g.dy), (99.0, 41.0, 0.5, 0.25));
        let g = tags.grid(true).unwrap();
        assert_eq!((g.x0, g.y0), (98.75, 41.125));
        let mut m = vec![0.0; 16];
        (m[0], m[3], m[5], m[7]) = (100.0, -5000.0, -100.0, 9000.0);
        let tags = GeoTags {
            transformation: Some(m.clone()),
            ..Default::default()
        };
        assert_eq!(
            tags.grid(false).unwrap(),
            Grid {
                x0: -5000.0,
                y0: 9000.0,
                dx: 100.0,
                dy: 100.0
            }
        );
        m[1] = 3.0;
        let tags = GeoTags {
            transformation: Some(m),
            ..Default::default()
        };
        assert!(tags.grid(false).unwrap_err().contains("rotated"));
        assert!(GeoTags::default()
            .grid(false)
            .unwrap_err()
            .contains("no georeferencing"));
    }

    #[test]
    fn nodata_forms() {
        let t = |s: &str| GeoTags {
            nodata: Some(s.into()),
            ..Default::default()
        };
        assert_eq!(t("-99999").nodata_value().unwrap(), Some(-99999.0));
        assert!(t("nan").nodata_value().unwrap().unwrap().is_nan());
        assert_eq!(
            t("-3.4028234663852886e+38\0").nodata_value().unwrap(),
            Some(f64::from(f32::MIN))
        );
        assert!(t("none").nodata_value().is_err());
    }
}

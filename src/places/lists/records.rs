//! Rows of a planner's list with a location each: from a table (lon/lat
//! columns or a WKT column) or from GeoJSON features, converted to WGS84.
//!
//! Columns are found by their usual headers (see [`Role::candidates`]), or
//! named by the user ([`Columns`]). A header matches a candidate exactly or
//! followed by a qualifier: `lon_gcj02` and `经度(GCJ-02)` are longitudes.
//!
//! The coordinate system is, in order: the one given (`--crs`), the one the
//! file declares (a GeoJSON `crs` member, a `.prj` file beside it), the one its
//! coordinate headers name (`lon_gcj02`), else WGS84. Every check names the
//! file, the row and the column.

use std::path::{Path, PathBuf};

use geo::{Coord, LineString, MultiPolygon, Polygon};
use serde_json::Value;

use super::table::{extension, read_table, Table};
use crate::crs::Crs;
use crate::error::{Error, Result};
use crate::places::PlaceGeometry;

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The place's name.
    Name,
    /// An id, unique in the file.
    Id,
    /// A facility's category value (a category id or a value mapped to one).
    Category,
    /// A facility's capacity (places).
    Capacity,
    /// Longitude or x, in the file's coordinate system.
    Lon,
    /// Latitude or y, in the file's coordinate system.
    Lat,
    /// A WKT geometry (see [`parse_wkt`]).
    Wkt,
    /// An official code, such as a community's statistics code.
    Code,
    /// Residents.
    Population,
    /// The subdistrict (街道).
    Subdistrict,
}

impl Role {
    /// The key used in `--columns role=HEADER`.
    pub fn key(self) -> &'static str {
        match self {
            Role::Name => "name",
            Role::Id => "id",
            Role::Category => "category",
            Role::Capacity => "capacity",
            Role::Lon => "lon",
            Role::Lat => "lat",
            Role::Wkt => "wkt",
            Role::Code => "code",
            Role::Population => "population",
            Role::Subdistrict => "subdistrict",
        }
    }

    /// Headers recognised for this role (compared case-insensitively).
    pub fn candidates(self) -> &'static [&'static str] {
        match self {
            Role::Name => &[
                "name",
                "名称",
                "名字",
                "学校名称",
                "机构名称",
                "设施名称",
                "社区名称",
                "单位名称",
            ],
            Role::Id => &["id", "fid", "编号", "序号", "标识"],
            Role::Category => &[
                "category",
                "类别",
                "类型",
                "分类",
                "设施类型",
                "type",
                "kind",
                "cat",
            ],
            Role::Capacity => &["capacity", "容量", "规模", "学位", "学位数", "座位数"],
            Role::Lon => &["lon", "lng", "long", "longitude", "经度", "x"],
            Role::Lat => &["lat", "latitude", "纬度", "y"],
            Role::Wkt => &["wkt", "geometry", "geom", "the_geom", "几何"],
            Role::Code => &["code", "代码", "区划代码", "统计代码", "编码", "ref"],
            Role::Population => &["population", "人口", "常住人口", "户籍人口", "pop"],
            Role::Subdistrict => &["subdistrict", "街道", "街道办事处", "乡镇街道"],
        }
    }

    const ALL: [Role; 10] = [
        Role::Name,
        Role::Id,
        Role::Category,
        Role::Capacity,
        Role::Lon,
        Role::Lat,
        Role::Wkt,
        Role::Code,
        Role::Population,
        Role::Subdistrict,
    ];
}

/// Headers chosen by the user, by role; the rest are detected.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Columns(pub Vec<(Role, String)>);

impl Columns {
    /// Parses `name=学校名称,lon=X坐标,lat=Y坐标`.
    ///
    /// ```
    /// use childcircle::places::lists::records::{Columns, Role};
    /// let c = Columns::parse("name=学校名称, lat=Y").unwrap();
    /// assert_eq!(c.get(Role::Lat), Some("Y"));
    /// assert!(Columns::parse("colour=red").unwrap_err().contains("category"));
    /// ```
    pub fn parse(spec: &str) -> std::result::Result<Columns, String> {
        let mut out = Vec::new();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, header) = part
                .split_once('=')
                .ok_or_else(|| format!("{part:?} is not ROLE=HEADER"))?;
            let role = Role::ALL
                .into_iter()
                .find(|r| r.key() == key.trim())
                .ok_or_else(|| {
                    let keys: Vec<&str> = Role::ALL.iter().map(|r| r.key()).collect();
                    format!("unknown column role {key:?}; roles: {}", keys.join(", "))
                })?;
            out.push((role, header.trim().to_string()));
        }
        Ok(Columns(out))
    }

    /// The header given for a role.
    pub fn get(&self, role: Role) -> Option<&str> {
        self.0
            .iter()
            .find(|(r, _)| *r == role)
            .map(|(_, h)| h.as_str())
    }
}

/// How to read one point or facility file.
#[derive(Debug, Clone, Default)]
pub struct InputOptions {
    /// Headers chosen by the user; the rest are detected.
    pub columns: Columns,
    /// The coordinate system; `None` reads it from the file or assumes WGS84.
    pub crs: Option<Crs>,
    /// The spreadsheet sheet, when a workbook has several.
    pub sheet: Option<String>,
}

/// A file's rows, before locating them.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The file read.
    pub path: PathBuf,
    /// Its rows; for GeoJSON, the features' properties.
    pub table: Table,
    /// Per row, the geometry of a GeoJSON feature (`None` for tables).
    pub geometries: Vec<Option<PlaceGeometry>>,
    /// A coordinate system the file declares, and where it says so.
    pub declared: Option<(Crs, String)>,
    /// Whether the file is GeoJSON.
    pub is_geojson: bool,
}

impl Loaded {
    /// The column of a role: the user's header (an error listing the columns
    /// when there is none such), else the first detected one.
    pub fn column(&self, role: Role, columns: &Columns) -> Result<Option<usize>> {
        let headers = &self.table.headers;
        if let Some(wanted) = columns.get(role) {
            return match headers.iter().position(|h| h == wanted) {
                Some(i) => Ok(Some(i)),
                None => Err(self.fail(format!(
                    "there is no {} column {wanted:?}; the columns are: {}",
                    role.key(),
                    self.column_list()
                ))),
            };
        }
        Ok(detect(headers, role.candidates()))
    }

    /// The headers, quoted, for messages.
    pub fn column_list(&self) -> String {
        self.table
            .headers
            .iter()
            .map(|h| format!("{h:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// An error about this file.
    pub fn fail(&self, reason: String) -> Error {
        Error::Input {
            path: self.path.clone(),
            reason,
        }
    }

    /// "row N" for a table, "feature N" for GeoJSON.
    pub fn row_label(&self, i: usize) -> String {
        if self.is_geojson {
            format!("feature {i}")
        } else {
            format!("row {}", self.table.row_number(i))
        }
    }
}

/// The first header that matches a candidate, exactly or with a qualifier.
fn detect(headers: &[String], candidates: &[&str]) -> Option<usize> {
    let norm = |h: &str| h.trim().to_lowercase();
    for c in candidates {
        if let Some(i) = headers.iter().position(|h| norm(h) == *c) {
            return Some(i);
        }
    }
    for c in candidates.iter().filter(|c| c.chars().count() > 1) {
        let qualified = |h: &str| {
            let h = norm(h);
            h.strip_prefix(c)
                .and_then(|rest| rest.chars().next())
                .is_some_and(|next| matches!(next, '_' | '(' | '（' | ' ' | '-' | '[' | '/'))
        };
        if let Some(i) = headers.iter().position(|h| qualified(h)) {
            return Some(i);
        }
    }
    None
}

/// Reads a CSV, spreadsheet or GeoJSON file into rows.
pub fn load(path: &Path, options: &InputOptions) -> Result<Loaded> {
    let ext = extension(path);
    if matches!(ext.as_str(), "geojson" | "json") {
        return load_geojson(path);
    }
    let table = read_table(path, options.sheet.as_deref())?;
    let declared = read_prj(path);
    Ok(Loaded {
        path: path.to_path_buf(),
        geometries: vec![None; table.rows.len()],
        table,
        declared,
        is_geojson: false,
    })
}

/// The CRS a `.prj` beside the file names.
fn read_prj(path: &Path) -> Option<(Crs, String)> {
    let prj = path.with_extension("prj");
    let text = std::fs::read_to_string(&prj).ok()?;
    Crs::recognise(&text).map(|c| (c, prj.display().to_string()))
}

/// Whether a GeoJSON file holds points only (so that `--communities` reads
/// it as community centres rather than polygons).
/// A file that cannot be read says `false`, so that the polygon reader
/// reports what is wrong with it.
pub fn geojson_has_only_points(path: &Path) -> bool {
    let Ok(loaded) = load_geojson(path) else {
        return false;
    };
    loaded
        .geometries
        .iter()
        .all(|g| matches!(g, Some(PlaceGeometry::Point(_)) | None))
        && loaded.geometries.iter().any(Option::is_some)
}

fn load_geojson(path: &Path) -> Result<Loaded> {
    let fail = |reason: String| Error::Input {
        path: path.to_path_buf(),
        reason,
    };
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(fail("the file is empty".into()));
    }
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&bytes);
    let document: Value =
        serde_json::from_slice(bytes).map_err(|e| fail(format!("not valid GeoJSON: {e}")))?;
    let features: Vec<&Value> = match document.get("type").and_then(Value::as_str) {
        Some("FeatureCollection") => document
            .get("features")
            .and_then(Value::as_array)
            .map(|f| f.iter().collect())
            .ok_or_else(|| fail("the FeatureCollection has no \"features\" array".into()))?,
        Some("Feature") => vec![&document],
        _ => return Err(fail("expected a GeoJSON FeatureCollection".into())),
    };
    if features.is_empty() {
        return Err(fail("the FeatureCollection has no features".into()));
    }
    let declared = document
        .pointer("/crs/properties/name")
        .and_then(Value::as_str)
        .map(|name| match Crs::recognise(name) {
            Some(c) => Ok((c, format!("its crs member {name:?}"))),
            None => Err(fail(format!(
                "the file declares CRS {name:?}; expected WGS84 longitude/latitude, GCJ-02 or BD-09 (reproject with ogr2ogr -t_srs EPSG:4326)"
            ))),
        })
        .transpose()?;
    let mut headers: Vec<String> = vec!["id".into()];
    for f in &features {
        if let Some(props) = f.get("properties").and_then(Value::as_object) {
            for k in props.keys() {
                if !headers.contains(k) {
                    headers.push(k.clone());
                }
            }
        }
    }
    let mut rows = Vec::new();
    let mut geometries = Vec::new();
    for (i, f) in features.iter().enumerate() {
        let props = f.get("properties").and_then(Value::as_object);
        let cell = |k: &str| match (k, f.get("id"), props.and_then(|p| p.get(k))) {
            (_, _, Some(v)) => text(v),
            ("id", Some(v), None) => text(v),
            _ => String::new(),
        };
        rows.push(headers.iter().map(|h| cell(h)).collect());
        let geometry = match f.get("geometry") {
            None | Some(Value::Null) => None,
            Some(g) => Some(geojson_geometry(g).map_err(|r| fail(format!("feature {i}: {r}")))?),
        };
        geometries.push(geometry);
    }
    Ok(Loaded {
        path: path.to_path_buf(),
        table: Table {
            headers,
            lines: (0..rows.len()).collect(),
            rows,
            source: "GeoJSON".into(),
        },
        geometries,
        declared,
        is_geojson: true,
    })
}

/// A JSON value as a cell.
fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.trim().to_string(),
        other => other.to_string(),
    }
}

fn geojson_geometry(g: &Value) -> std::result::Result<PlaceGeometry, String> {
    use geojson::GeometryValue;
    use serde::Deserialize;
    let g =
        geojson::Geometry::deserialize(g).map_err(|e| format!("not a GeoJSON geometry ({e})"))?;
    let pos = |p: &geojson::Position| -> std::result::Result<Coord, String> {
        match p.as_slice() {
            [x, y, ..] => Ok(Coord { x: *x, y: *y }),
            _ => Err("a position is not a number pair".into()),
        }
    };
    let polygon = |rings: &Vec<Vec<geojson::Position>>| -> std::result::Result<Polygon, String> {
        let mut rings = rings.iter().map(|r| {
            r.iter()
                .map(pos)
                .collect::<std::result::Result<LineString, String>>()
        });
        let shell = rings.next().ok_or("a polygon without rings")??;
        Ok(Polygon::new(
            shell,
            rings.collect::<std::result::Result<_, _>>()?,
        ))
    };
    match &g.value {
        GeometryValue::Point { coordinates } => {
            let c = pos(coordinates)?;
            Ok(PlaceGeometry::Point([c.x, c.y]))
        }
        GeometryValue::MultiPoint { coordinates } if coordinates.len() == 1 => {
            let c = pos(&coordinates[0])?;
            Ok(PlaceGeometry::Point([c.x, c.y]))
        }
        GeometryValue::Polygon { coordinates } => {
            Ok(PlaceGeometry::Polygon(MultiPolygon(vec![polygon(
                coordinates,
            )?])))
        }
        GeometryValue::MultiPolygon { coordinates } => Ok(PlaceGeometry::Polygon(MultiPolygon(
            coordinates
                .iter()
                .map(polygon)
                .collect::<std::result::Result<_, _>>()?,
        ))),
        other => Err(format!(
            "a {} is neither a point nor an area",
            other.type_name()
        )),
    }
}

/// A row with a WGS84 location.
#[derive(Debug, Clone)]
pub struct Located {
    /// Index into the table's rows.
    pub index: usize,
    /// The location, WGS84 lon/lat degrees.
    pub geometry: PlaceGeometry,
    /// The point (the area's centroid), WGS84.
    pub lonlat: [f64; 2],
}

/// The rows that have a location, and what happened to the others.
#[derive(Debug, Clone, Default)]
pub struct Locations {
    /// The rows with a location.
    pub located: Vec<Located>,
    /// Rows without coordinates (labels such as "row 4").
    pub unlocated: Vec<String>,
    /// Rows far outside the extract, skipped.
    pub far: Vec<String>,
    /// The coordinate system the rows were read in.
    pub crs: Crs,
    /// Why that coordinate system (`--crs`, the file's `.prj`, ...).
    pub crs_from: String,
}

/// How far outside the extract's bounds a row may lie, degrees (about 5 km).
pub const BOUNDS_MARGIN_DEG: f64 = 0.05;

/// Locates every row: parses its coordinates, checks their range, converts
/// them to WGS84 and skips (and lists) those far outside `bounds`.
pub fn locate(
    loaded: &Loaded,
    options: &InputOptions,
    bounds: geo::Rect<f64>,
) -> Result<Locations> {
    let columns = &options.columns;
    let (lon, lat, wkt) = if loaded.is_geojson {
        (None, None, None)
    } else {
        let lon = loaded.column(Role::Lon, columns)?;
        let lat = loaded.column(Role::Lat, columns)?;
        let wkt = loaded.column(Role::Wkt, columns)?;
        if (lon.is_none() || lat.is_none()) && wkt.is_none() {
            return Err(loaded.fail(format!(
                "no coordinate columns: looked for lon/lng/longitude/经度 and lat/latitude/纬度, or a WKT column (wkt/geometry); the columns are: {} (name them with --columns lon=...,lat=...)",
                loaded.column_list()
            )));
        }
        (lon, lat, wkt)
    };
    let (crs, crs_from) = choose_crs(loaded, options, lon);
    let mut out = Locations {
        crs,
        crs_from,
        ..Default::default()
    };
    let headers = &loaded.table.headers;
    for (i, row) in loaded.table.rows.iter().enumerate() {
        let what = loaded.row_label(i);
        let raw = match (&loaded.geometries[i], lon.zip(lat), wkt) {
            (Some(g), _, _) => Some(g.clone()),
            (None, Some((x, y)), _) if !cell(row, x).is_empty() || !cell(row, y).is_empty() => {
                Some(PlaceGeometry::Point([
                    number(loaded, &what, &headers[x], cell(row, x))?,
                    number(loaded, &what, &headers[y], cell(row, y))?,
                ]))
            }
            (None, _, Some(w)) if !cell(row, w).is_empty() => Some(
                parse_wkt(cell(row, w))
                    .map_err(|r| loaded.fail(format!("{what}, column {:?}: {r}", headers[w])))?,
            ),
            _ => None,
        };
        let Some(raw) = raw else {
            out.unlocated.push(what);
            continue;
        };
        let coord_columns = match lon.zip(lat) {
            Some((x, y)) if loaded.geometries[i].is_none() => {
                format!(", columns {:?}/{:?}", headers[x], headers[y])
            }
            _ => String::new(),
        };
        let Some(centre) = centre(&raw) else {
            return Err(loaded.fail(format!("{what}: the geometry has no area")));
        };
        check_range(centre, bounds)
            .map_err(|r| loaded.fail(format!("{what}{coord_columns}: {r}")))?;
        let geometry = convert(raw, crs);
        let Some(lonlat) = centre_of(&geometry) else {
            continue;
        };
        if !near(lonlat, bounds, BOUNDS_MARGIN_DEG) {
            out.far.push(what);
            continue;
        }
        out.located.push(Located {
            index: i,
            geometry,
            lonlat,
        });
    }
    Ok(out)
}

fn cell(row: &[String], i: usize) -> &str {
    row.get(i).map_or("", String::as_str)
}

fn number(loaded: &Loaded, what: &str, column: &str, text: &str) -> Result<f64> {
    let t = text.trim().trim_end_matches('°');
    t.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| {
            loaded.fail(if t.is_empty() {
                format!("{what}, column {column:?}: the coordinate is missing")
            } else {
                format!("{what}, column {column:?}: {text:?} is not a number in decimal degrees")
            })
        })
}

fn choose_crs(loaded: &Loaded, options: &InputOptions, lon: Option<usize>) -> (Crs, String) {
    if let Some(c) = options.crs {
        return (c, "--crs".into());
    }
    if let Some((c, from)) = &loaded.declared {
        return (*c, from.clone());
    }
    if let Some(header) = lon.map(|i| &loaded.table.headers[i]) {
        if let Some(c) = Crs::recognise(header).filter(|c| *c != Crs::Wgs84) {
            return (c, format!("its column name {header:?}"));
        }
    }
    (Crs::Wgs84, "the default".into())
}

fn centre(g: &PlaceGeometry) -> Option<[f64; 2]> {
    centre_of(g)
}

/// A point's position, or an area's centroid.
pub fn centre_of(g: &PlaceGeometry) -> Option<[f64; 2]> {
    use geo::Centroid;
    match g {
        PlaceGeometry::Point(p) => Some(*p),
        PlaceGeometry::Polygon(p) => p.centroid().map(|c| [c.x(), c.y()]),
        PlaceGeometry::Line(l) => l.centroid().map(|c| [c.x(), c.y()]),
    }
}

fn near(p: [f64; 2], bounds: geo::Rect<f64>, margin: f64) -> bool {
    (bounds.min().x - margin..=bounds.max().x + margin).contains(&p[0])
        && (bounds.min().y - margin..=bounds.max().y + margin).contains(&p[1])
}

/// Rejects impossible coordinates, and coordinates that only fit the extract
/// with longitude and latitude swapped.
fn check_range(p: [f64; 2], bounds: geo::Rect<f64>) -> std::result::Result<(), String> {
    let [x, y] = p;
    let swapped_fits = near([y, x], bounds, BOUNDS_MARGIN_DEG);
    if x.abs() > 180.0 || y.abs() > 90.0 {
        return Err(if swapped_fits || (y.abs() <= 180.0 && x.abs() <= 90.0) {
            format!("latitude {y} is beyond 90°: longitude and latitude appear swapped")
        } else {
            format!("({x}, {y}) is not a longitude/latitude in degrees (a projected CRS? reproject to EPSG:4326)")
        });
    }
    if swapped_fits && !near(p, bounds, 1.0) {
        return Err(format!(
            "({x}, {y}) lies in the extract only with longitude and latitude swapped"
        ));
    }
    Ok(())
}

fn convert(g: PlaceGeometry, crs: Crs) -> PlaceGeometry {
    use geo::MapCoords;
    if crs == Crs::Wgs84 {
        return g;
    }
    let f = |c: Coord| {
        let [x, y] = crs.to_wgs84([c.x, c.y]);
        Coord { x, y }
    };
    match g {
        PlaceGeometry::Point(p) => PlaceGeometry::Point(crs.to_wgs84(p)),
        PlaceGeometry::Polygon(p) => PlaceGeometry::Polygon(p.map_coords(f)),
        PlaceGeometry::Line(l) => PlaceGeometry::Line(l.map_coords(f)),
    }
}

/// Parses a WKT `POINT`, `LINESTRING`, `POLYGON` or `MULTIPOLYGON` (lon lat
/// order).
///
/// ```
/// use childcircle::places::lists::records::parse_wkt;
/// use childcircle::places::PlaceGeometry;
/// assert!(matches!(parse_wkt("POINT (116.3 37.45)"), Ok(PlaceGeometry::Point([x, _])) if x == 116.3));
/// let square = "POLYGON ((0 0, 1 0, 1 1, 0 1, 0 0))";
/// assert!(matches!(parse_wkt(square), Ok(PlaceGeometry::Polygon(p)) if p.0.len() == 1));
/// assert!(parse_wkt("MULTIPOINT ((0 0), (1 1))").is_err());
/// ```
pub fn parse_wkt(text: &str) -> std::result::Result<PlaceGeometry, String> {
    let t = text.trim();
    let open = t
        .find('(')
        .ok_or_else(|| format!("{:?} is not WKT", short(t)))?;
    let kind = t[..open].trim().to_ascii_uppercase();
    let kind = kind.trim_end_matches(" Z").trim();
    let nested = nesting(&t[open..]).map_err(|r| format!("not valid WKT ({r})"))?;
    let ring = |n: &Nested| -> std::result::Result<LineString, String> {
        match n {
            Nested::Coords(c) => Ok(LineString(c.clone())),
            Nested::List(_) => Err("a ring nested too deep".into()),
        }
    };
    let polygon = |n: &Nested| -> std::result::Result<Polygon, String> {
        let Nested::List(rings) = n else {
            return Err("a polygon is a list of rings".into());
        };
        let mut rings = rings.iter().map(ring);
        let shell = rings.next().ok_or("a polygon without rings")??;
        Ok(Polygon::new(
            shell,
            rings.collect::<std::result::Result<_, _>>()?,
        ))
    };
    match (kind, &nested) {
        ("POINT", Nested::Coords(c)) if c.len() == 1 => Ok(PlaceGeometry::Point([c[0].x, c[0].y])),
        ("LINESTRING", Nested::Coords(c)) if c.len() >= 2 => {
            Ok(PlaceGeometry::Line(LineString(c.clone())))
        }
        ("POLYGON", n) => Ok(PlaceGeometry::Polygon(MultiPolygon(vec![polygon(n)?]))),
        ("MULTIPOLYGON", Nested::List(parts)) => Ok(PlaceGeometry::Polygon(MultiPolygon(
            parts
                .iter()
                .map(polygon)
                .collect::<std::result::Result<_, _>>()?,
        ))),
        _ => Err(format!(
            "a WKT {kind} is not supported; use POINT, LINESTRING, POLYGON or MULTIPOLYGON"
        )),
    }
}

fn short(t: &str) -> &str {
    t.char_indices().nth(40).map_or(t, |(i, _)| &t[..i])
}

/// WKT's parenthesised structure.
enum Nested {
    Coords(Vec<Coord>),
    List(Vec<Nested>),
}

fn nesting(t: &str) -> std::result::Result<Nested, String> {
    let (n, rest) = nested(t.trim_start())?;
    if !rest.trim().is_empty() {
        return Err(format!("text after the geometry: {:?}", short(rest)));
    }
    Ok(n)
}

fn nested(t: &str) -> std::result::Result<(Nested, &str), String> {
    let t = t.strip_prefix('(').ok_or("expected '('")?.trim_start();
    if t.starts_with('(') {
        let mut items = Vec::new();
        let mut rest = t;
        loop {
            let (item, r) = nested(rest)?;
            items.push(item);
            let r = r.trim_start();
            if let Some(r) = r.strip_prefix(',') {
                rest = r.trim_start();
            } else if let Some(r) = r.strip_prefix(')') {
                return Ok((Nested::List(items), r));
            } else {
                return Err("expected ',' or ')'".into());
            }
        }
    }
    let close = t.find(')').ok_or("a missing ')'")?;
    let coords = t[..close]
        .split(',')
        .map(|pair| {
            let mut it = pair.split_whitespace().map(str::parse::<f64>);
            match (it.next(), it.next()) {
                (Some(Ok(x)), Some(Ok(y))) => Ok(Coord { x, y }),
                _ => Err(format!("{:?} is not a coordinate pair", pair.trim())),
            }
        })
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok((Nested::Coords(coords), &t[close + 1..]))
}

/// The cell of a row in a column, trimmed, or `None` when empty.
pub fn value(loaded: &Loaded, index: usize, column: Option<usize>) -> Option<&str> {
    let c = column?;
    let v = loaded.table.rows[index].get(c)?.trim();
    (!v.is_empty()).then_some(v)
}

/// Lists labels for a message: the first ten, then a count.
pub fn list(labels: &[String]) -> String {
    let mut s = labels[..labels.len().min(10)].join(", ");
    if labels.len() > 10 {
        s.push_str(&format!(" and {} more", labels.len() - 10));
    }
    s
}

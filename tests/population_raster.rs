//! The population raster reader on small GeoTIFFs made by GDAL in the test
//! (`gdal_translate` from a raw grid whose every cell is known): a WorldPop-
//! like lon/lat raster and a GHS-POP-like Mollweide raster, in the sample
//! types, layouts and compressions real rasters use; units covering them
//! give the known total, a nested compound counts once in the union, a
//! half-covering unit gets the analytic half, nodata/negative/NaN cells are
//! skipped and counted, and bad files give one line naming the file.

use std::path::{Path, PathBuf};
use std::process::Command;

use childcircle::places::population::{Mollweide, PopulationRaster, RasterCrs};
use geo::{coord, polygon, MultiPolygon, Rect};

/// A grid of known cells (rows top to bottom) turned into a GeoTIFF by gdal_translate.
struct KnownGrid<'a> {
    cols: usize,
    rows: usize,
    /// Lower-left corner and square cell size, in the CRS's units.
    xll: f64,
    yll: f64,
    cell: f64,
    values: &'a [f64],
    nodata: Option<f64>,
}

impl KnownGrid<'_> {
    fn write(&self, dir: &Path, name: &str, srs: &str, options: &[&str]) -> PathBuf {
        // ENVI raw float64 (exact values, NaN included) with its header.
        let raw = dir.join(format!("{name}.raw"));
        let bytes: Vec<u8> = self.values.iter().flat_map(|v| v.to_le_bytes()).collect();
        std::fs::write(&raw, bytes).unwrap();
        let header = format!(
            "ENVI\nsamples = {}\nlines = {}\nbands = 1\nheader offset = 0\ndata type = 5\ninterleave = bsq\nbyte order = 0\n",
            self.cols, self.rows
        );
        std::fs::write(dir.join(format!("{name}.hdr")), header).unwrap();
        let bounds = [
            self.xll,
            self.yll + self.rows as f64 * self.cell,
            self.xll + self.cols as f64 * self.cell,
            self.yll,
        ]
        .map(|v| format!("{v}"));
        let nodata = self.nodata.map(|n| format!("{n}"));
        let mut args: Vec<&str> = vec!["-q", "-of", "GTiff", "-a_srs", srs, "-a_ullr"];
        args.extend(bounds.iter().map(String::as_str));
        if let Some(n) = &nodata {
            args.extend(["-a_nodata", n.as_str()]);
        }
        let tif = dir.join(format!("{name}.tif"));
        let out = Command::new("gdal_translate")
            .args(&args)
            .args(options)
            .arg(&raw)
            .arg(&tif)
            .output()
            .expect("gdal_translate (gdal-bin) is installed");
        assert!(
            out.status.success(),
            "gdal_translate {options:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        tif
    }

    fn total(&self) -> f64 {
        self.values
            .iter()
            .filter(|&&v| Some(v) != self.nodata && v >= 0.0)
            .sum()
    }

    fn column_total(&self, c: usize) -> f64 {
        (0..self.rows).map(|r| self.values[r * self.cols + c]).sum()
    }
}

fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon<f64> {
    MultiPolygon::new(vec![Rect::new(
        coord! { x: x0, y: y0 },
        coord! { x: x1, y: y1 },
    )
    .to_polygon()])
}

/// Values 1..=n with a little irregularity, so that sums tell cells apart.
fn values(n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| (i + 1) as f64 + ((i * 7) % 5) as f64 * 0.25)
        .collect()
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs().max(1e-12)
}

/// 10 × 6 cells of 0.001° near Dezhou.
fn wgs84_grid(values: &[f64]) -> KnownGrid<'_> {
    KnownGrid {
        cols: 10,
        rows: 6,
        xll: 116.3,
        yll: 37.44,
        cell: 0.001,
        values,
        nodata: None,
    }
}

/// The lon/lat raster in every layout and sample type real rasters use
/// gives the same people: exactly the total for a unit on its bounds, and
/// the total with the uncovered share for a unit reaching past it.
#[test]
fn wgs84_total_in_every_layout_and_type() {
    let dir = tempfile::tempdir().unwrap();
    let v = values(60);
    let grid = wgs84_grid(&v);
    let variants: &[(&str, &[&str])] = &[
        ("plain-f32", &["-ot", "Float32"]),
        (
            "deflate-tiled-f32",
            &[
                "-ot",
                "Float32",
                "-co",
                "COMPRESS=DEFLATE",
                "-co",
                "TILED=YES",
                "-co",
                "BLOCKXSIZE=16",
                "-co",
                "BLOCKYSIZE=16",
            ],
        ),
        (
            "lzw-pred3-f32",
            &[
                "-ot",
                "Float32",
                "-co",
                "COMPRESS=LZW",
                "-co",
                "PREDICTOR=3",
            ],
        ),
        (
            "deflate-strips-f64",
            &[
                "-ot",
                "Float64",
                "-co",
                "COMPRESS=DEFLATE",
                "-co",
                "BLOCKYSIZE=2",
            ],
        ),
        (
            "lzw-pred2-tiled-f64",
            &[
                "-ot",
                "Float64",
                "-co",
                "COMPRESS=LZW",
                "-co",
                "PREDICTOR=2",
                "-co",
                "TILED=YES",
            ],
        ),
        ("bigtiff-f32", &["-ot", "Float32", "-co", "BIGTIFF=YES"]),
        (
            "point-f32",
            &["-ot", "Float32", "-mo", "AREA_OR_POINT=Point"],
        ),
    ];
    let (x1, y1) = (116.3 + 10.0 * 0.001, 37.44 + 6.0 * 0.001);
    for (name, options) in variants {
        let tif = grid.write(dir.path(), name, "EPSG:4326", options);
        let raster = PopulationRaster::open(&tif).unwrap();
        assert_eq!(raster.crs(), RasterCrs::LonLat { epsg: 4326 }, "{name}");
        assert_eq!(raster.size(), (10, 6));
        let exact = raster.people_in(&[rect(116.3, 37.44, x1, y1)]).unwrap();
        assert!(
            close(exact.per_unit[0], grid.total(), 1e-6),
            "{name}: {exact:?} vs {}",
            grid.total()
        );
        assert!(exact.uncovered_share < 1e-9, "{name}: {exact:?}");
        let wide = raster
            .people_in(&[rect(116.29, 37.43, 116.32, 37.45)])
            .unwrap();
        assert!(
            close(wide.per_unit[0], grid.total(), 1e-6),
            "{name}: {wide:?}"
        );
        assert!(wide.uncovered_share > 0.5, "{name}: {wide:?}");
        let warning = wide.warning(&tif).unwrap();
        assert!(
            warning.contains(&tif.display().to_string()) && warning.contains("covers only"),
            "{warning}"
        );
    }
    let ints: Vec<f64> = (0..60).map(|i| f64::from(i * 3 % 17)).collect();
    let grid = wgs84_grid(&ints);
    for ot in ["Byte", "Int16", "UInt16", "Int32", "UInt32"] {
        let tif = grid.write(
            dir.path(),
            ot,
            "EPSG:4326",
            &["-ot", ot, "-co", "COMPRESS=DEFLATE", "-co", "PREDICTOR=2"],
        );
        let raster = PopulationRaster::open(&tif).unwrap();
        let s = raster.people_in(&[rect(116.3, 37.44, x1, y1)]).unwrap();
        assert!(
            close(s.per_unit[0], grid.total(), 1e-6),
            "{ot}: {s:?} vs {}",
            grid.total()
        );
    }
}

/// A unit ending half-way through column 4 gets columns 0-3 and half of
/// column 4; one ending part-way through a row of a high-latitude raster
/// gets the share of the row's **area** (sin φ), not of its degrees.
#[test]
fn partial_cover_is_area_weighted() {
    let dir = tempfile::tempdir().unwrap();
    let v = values(60);
    let grid = wgs84_grid(&v);
    let raster =
        PopulationRaster::open(&grid.write(dir.path(), "half", "EPSG:4326", &["-ot", "Float64"]))
            .unwrap();
    let s = raster
        .people_in(&[rect(116.2, 37.0, 116.3045, 38.0)])
        .unwrap();
    let expected: f64 =
        (0..4).map(|c| grid.column_total(c)).sum::<f64>() + 0.5 * grid.column_total(4);
    assert!(
        close(s.per_unit[0], expected, 1e-6),
        "{} vs {expected}",
        s.per_unit[0]
    );

    // 4 × 3 cells of 0.5° at 60-61.5° N: a unit over the top row and the
    // upper half (in degrees) of the middle row.
    let v = values(12);
    let high = KnownGrid {
        cols: 4,
        rows: 3,
        xll: 10.0,
        yll: 60.0,
        cell: 0.5,
        values: &v,
        nodata: None,
    };
    let raster =
        PopulationRaster::open(&high.write(dir.path(), "high", "EPSG:4326", &["-ot", "Float64"]))
            .unwrap();
    let s = raster.people_in(&[rect(9.0, 60.75, 13.0, 62.0)]).unwrap();
    let (top, mid, bottom) = (
        61.0f64.to_radians(),
        60.75f64.to_radians(),
        60.5f64.to_radians(),
    );
    let share = (top.sin() - mid.sin()) / (top.sin() - bottom.sin());
    assert!(
        (share - 0.5).abs() > 1e-3,
        "the test tells area from degrees"
    );
    let row = |r: usize| v[r * 4..r * 4 + 4].iter().sum::<f64>();
    let expected = row(0) + share * row(1);
    assert!(
        close(s.per_unit[0], expected, 1e-9),
        "{} vs {expected}",
        s.per_unit[0]
    );
}

/// 9 × 5 cells of 100 m, centred on the central meridian near 37° N.
fn mollweide_grid(values: &[f64]) -> KnownGrid<'_> {
    KnownGrid {
        cols: 9,
        rows: 5,
        xll: -450.0,
        yll: 4_500_000.0,
        cell: 100.0,
        values,
        nodata: None,
    }
}

/// The GHS-POP-like Mollweide raster: recognised, covered units give the
/// total, and a unit up to the central meridian (the straight line x = 0)
/// gets columns 0-3 and half of column 4.
#[test]
fn mollweide_total_and_half() {
    let dir = tempfile::tempdir().unwrap();
    let v = values(45);
    let grid = mollweide_grid(&v);
    for (name, options) in [
        ("moll", &["-ot", "Float32"][..]),
        (
            "moll-tiled",
            &[
                "-ot",
                "Float32",
                "-co",
                "TILED=YES",
                "-co",
                "COMPRESS=DEFLATE",
                "-co",
                "PREDICTOR=3",
            ][..],
        ),
    ] {
        let tif = grid.write(dir.path(), name, "ESRI:54009", options);
        let raster = PopulationRaster::open(&tif).unwrap();
        assert_eq!(raster.crs(), RasterCrs::Mollweide(Mollweide::world()));
        let m = Mollweide::world();
        let sw = m.inverse([-450.0, 4_500_000.0]).unwrap();
        let ne = m.inverse([450.0, 4_500_500.0]).unwrap();
        let all = rect(sw[0] - 0.01, sw[1] - 0.01, ne[0] + 0.01, ne[1] + 0.01);
        let s = raster.people_in(&[all]).unwrap();
        assert!(close(s.per_unit[0], grid.total(), 1e-6), "{name}: {s:?}");
        assert!(s.uncovered_share > 0.0 && s.uncovered_share < 1.0);
        let west = rect(sw[0] - 0.01, sw[1] - 0.01, 0.0, ne[1] + 0.01);
        let s = raster.people_in(&[west]).unwrap();
        let expected: f64 =
            (0..4).map(|c| grid.column_total(c)).sum::<f64>() + 0.5 * grid.column_total(4);
        assert!(
            close(s.per_unit[0], expected, 1e-6),
            "{name}: {} vs {expected}",
            s.per_unit[0]
        );
    }
}

/// Mollweide forward and inverse agree with GDAL/PROJ
/// (`gdaltransform -s_srs EPSG:4326 -t_srs ESRI:54009`) to a millimetre.
#[test]
fn mollweide_matches_gdaltransform() {
    let points = [
        [0.0, 0.0],
        [116.3575, 37.4343],
        [-170.0, 80.0],
        [100.0, -30.0],
        [-8.61, 41.15],
        [179.5, -89.5],
    ];
    let input: String = points
        .iter()
        .map(|p| format!("{} {}\n", p[0], p[1]))
        .collect();
    let run = |args: &[&str], input: &str| -> Vec<[f64; 2]> {
        use std::io::Write;
        let mut child = Command::new("gdaltransform")
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("gdaltransform (gdal-bin) is installed");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| {
                let v: Vec<f64> = l.split_whitespace().map(|t| t.parse().unwrap()).collect();
                [v[0], v[1]]
            })
            .collect()
    };
    let m = Mollweide::world();
    let gdal = run(
        &["-s_srs", "EPSG:4326", "-t_srs", "ESRI:54009", "-output_xy"],
        &input,
    );
    assert_eq!(gdal.len(), points.len());
    for (p, g) in points.iter().zip(&gdal) {
        let ours = m.forward(*p);
        assert!(
            (ours[0] - g[0]).abs() < 1e-3 && (ours[1] - g[1]).abs() < 1e-3,
            "{p:?}: {ours:?} vs gdal {g:?}"
        );
    }
    let back_input: String = gdal
        .iter()
        .map(|g| format!("{} {}\n", g[0], g[1]))
        .collect();
    let back = run(
        &["-s_srs", "ESRI:54009", "-t_srs", "EPSG:4326", "-output_xy"],
        &back_input,
    );
    for (g, b) in gdal.iter().zip(&back) {
        let ours = m.inverse(*g).unwrap();
        assert!(
            (ours[0] - b[0]).abs() < 1e-8 && (ours[1] - b[1]).abs() < 1e-8,
            "{g:?}: {ours:?} vs gdal {b:?}"
        );
    }
}

/// A compound nested in a neighbourhood: each unit has its own people, the
/// union counts the compound's cells once; two overlapping units likewise.
#[test]
fn union_counts_nested_and_overlapping_cells_once() {
    let dir = tempfile::tempdir().unwrap();
    let v = values(60);
    let grid = wgs84_grid(&v);
    let raster =
        PopulationRaster::open(&grid.write(dir.path(), "nested", "EPSG:4326", &["-ot", "Float64"]))
            .unwrap();
    let (x1, y1) = (116.31, 37.446);
    let neighbourhood = rect(116.3, 37.44, x1, y1);
    let compound = rect(116.3012, 37.4413, 116.3047, 37.4431);
    let s = raster
        .people_in(&[neighbourhood.clone(), compound.clone()])
        .unwrap();
    assert!(close(s.per_unit[0], grid.total(), 1e-6));
    assert!(s.per_unit[1] > 0.0);
    assert!(close(s.union_total, grid.total(), 1e-6), "{s:?}");
    assert!(s.per_unit.iter().sum::<f64>() > s.union_total + s.per_unit[1] * 0.99);

    // Two boxes overlapping on columns 3-5: the union is columns 0-8.
    let a = rect(116.3, 37.44, 116.306, y1);
    let b = rect(116.303, 37.44, 116.309, y1);
    let s = raster.people_in(&[a, b]).unwrap();
    let cols = |r: std::ops::Range<usize>| r.map(|c| grid.column_total(c)).sum::<f64>();
    assert!(close(s.per_unit[0], cols(0..6), 1e-6) && close(s.per_unit[1], cols(3..9), 1e-6));
    assert!(
        close(s.union_total, cols(0..9), 1e-6),
        "{} vs {}",
        s.union_total,
        cols(0..9)
    );
}

/// Nodata, negative and NaN cells are skipped, counted once each (also
/// where two units overlap them), and named in the warning.
#[test]
fn nodata_negative_and_nan_skipped_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let mut v = values(60);
    for i in [0, 13, 27] {
        v[i] = -9999.0;
    }
    v[40] = -5.0;
    let grid = KnownGrid {
        nodata: Some(-9999.0),
        ..wgs84_grid(&v)
    };
    let tif = grid.write(
        dir.path(),
        "nodata",
        "EPSG:4326",
        &["-ot", "Float32", "-co", "COMPRESS=LZW"],
    );
    let raster = PopulationRaster::open(&tif).unwrap();
    assert_eq!(raster.nodata(), Some(-9999.0));
    let all = rect(116.3, 37.44, 116.31, 37.446);
    let s = raster.people_in(&[all.clone(), all]).unwrap();
    assert!(
        close(s.per_unit[0], grid.total(), 1e-6),
        "{s:?} vs {}",
        grid.total()
    );
    assert_eq!(
        (s.nodata_cells_skipped, s.negative_or_nan_skipped),
        (3, 1),
        "{s:?}"
    );
    let w = s.warning(&tif).unwrap();
    assert!(
        w.contains("3 nodata cells") && w.contains("1 negative or NaN cell"),
        "{w}"
    );

    // NaN cells in a raster whose nodata is another value.
    let mut v = values(60);
    v[5] = f64::NAN;
    let grid = KnownGrid {
        nodata: Some(-1.0),
        ..wgs84_grid(&v)
    };
    let tif = grid.write(dir.path(), "nan", "EPSG:4326", &["-ot", "Float32"]);
    let s = PopulationRaster::open(&tif)
        .unwrap()
        .people_in(&[rect(116.3, 37.44, 116.31, 37.446)])
        .unwrap();
    let expected: f64 = v.iter().filter(|x| !x.is_nan()).sum();
    assert!(
        close(s.per_unit[0], expected, 1e-6) && s.negative_or_nan_skipped == 1,
        "{s:?}"
    );
}

/// Every bad file gives one line naming the file and the problem.
#[test]
fn bad_files_give_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let v = values(60);
    let grid = wgs84_grid(&v);
    let message = |path: &Path| {
        let e = PopulationRaster::open(path).unwrap_err().to_string();
        assert!(
            e.starts_with(&path.display().to_string()) && !e.contains('\n'),
            "{e}"
        );
        e
    };
    let text = dir.path().join("notes.tif");
    std::fs::write(&text, "population: lots\n").unwrap();
    assert!(message(&text).contains("not a TIFF"));
    assert!(message(&dir.path().join("missing.tif")).contains("No such file"));

    let plain = grid.write(
        dir.path(),
        "plain",
        "EPSG:4326",
        &["-co", "PROFILE=BASELINE"],
    );
    let e = message(&plain);
    assert!(
        e.contains("no georeferencing") || e.contains("no GeoKey"),
        "{e}"
    );

    let metres = KnownGrid {
        xll: 500_000.0,
        yll: 4_100_000.0,
        cell: 100.0,
        ..wgs84_grid(&v)
    };
    let web = metres.write(dir.path(), "web", "EPSG:3857", &[]);
    let e = message(&web);
    assert!(
        e.contains("EPSG:3857") && e.contains("not supported"),
        "{e}"
    );
    let utm = metres.write(dir.path(), "utm", "EPSG:32650", &[]);
    assert!(message(&utm).contains("EPSG:32650"));
    let tokyo = grid.write(dir.path(), "tokyo", "EPSG:4301", &[]);
    assert!(message(&tokyo).contains("EPSG:4301"));

    // A raster elsewhere: an error naming the file; partly covering: a warning.
    let raster = PopulationRaster::open(&grid.write(dir.path(), "ok", "EPSG:4326", &[])).unwrap();
    let far = raster
        .people_in(&[rect(2.0, 48.0, 2.01, 48.01)])
        .unwrap_err()
        .to_string();
    assert!(
        far.contains("ok.tif") && far.contains("does not cover") && !far.contains('\n'),
        "{far}"
    );
    let part = raster
        .people_in(&[rect(116.305, 37.443, 116.315, 37.449)])
        .unwrap();
    assert!((part.uncovered_share - 0.75).abs() < 1e-3, "{part:?}");
}

/// 10 000 units on a 600 × 600 city raster: fast, and each unit's people
/// equal the slow oracle (geo's boolean intersection with every cell of its
/// box) on a sample. Seeded; the seed is printed on failure.
#[test]
fn ten_thousand_units_fast_and_exact() {
    use geo::{Area, BooleanOps};
    let seed = 0x5eed_2026_u64;
    let dir = tempfile::tempdir().unwrap();
    let (cols, rows) = (600, 600);
    let v: Vec<f64> = (0..cols * rows)
        .map(|i| ((i * 37) % 101) as f64 / 4.0)
        .collect();
    let grid = KnownGrid {
        cols,
        rows,
        xll: 116.2,
        yll: 37.4,
        cell: 1.0 / 1200.0,
        values: &v,
        nodata: None,
    };
    let tif = grid.write(
        dir.path(),
        "city",
        "EPSG:4326",
        &[
            "-ot",
            "Float32",
            "-co",
            "TILED=YES",
            "-co",
            "COMPRESS=DEFLATE",
        ],
    );
    let raster = PopulationRaster::open(&tif).unwrap();
    let mut state = seed;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let span = 600.0 / 1200.0;
    let units: Vec<MultiPolygon<f64>> = (0..10_000)
        .map(|_| {
            let (x, y) = (116.2 + next() * span * 0.95, 37.4 + next() * span * 0.95);
            let (w, h) = (0.0005 + next() * 0.004, 0.0005 + next() * 0.004);
            // A concave L-shape.
            MultiPolygon::new(vec![polygon![
                (x: x, y: y), (x: x + w, y: y), (x: x + w, y: y + h / 3.0),
                (x: x + w / 3.0, y: y + h / 3.0), (x: x + w / 3.0, y: y + h), (x: x, y: y + h),
            ]])
        })
        .collect();
    let start = std::time::Instant::now();
    let s = raster.people_in(&units).unwrap();
    let took = start.elapsed();
    assert!(took.as_secs_f64() < 20.0, "seed {seed:#x}: {took:?}");
    eprintln!("10 000 units on 600 × 600 cells: {took:?}");
    let g = raster.grid();
    for (i, u) in units.iter().enumerate().step_by(997) {
        use geo::BoundingRect;
        let b = u.bounding_rect().unwrap();
        let (c0, c1) = (
            ((b.min().x - g.x0) / g.dx) as usize,
            ((b.max().x - g.x0) / g.dx) as usize,
        );
        let (r0, r1) = (
            ((g.y0 - b.max().y) / g.dy) as usize,
            ((g.y0 - b.min().y) / g.dy) as usize,
        );
        let mut oracle = 0.0;
        for r in r0..=r1.min(rows - 1) {
            for c in c0..=c1.min(cols - 1) {
                let cell = rect(
                    g.x0 + c as f64 * g.dx,
                    g.y0 - (r + 1) as f64 * g.dy,
                    g.x0 + (c + 1) as f64 * g.dx,
                    g.y0 - r as f64 * g.dy,
                );
                // In degrees: within a 3″ cell the area scale varies by
                // under 1e-5, the tolerance below.
                let share = u.intersection(&cell).unsigned_area() / cell.unsigned_area();
                oracle += share * f64::from(v[r * cols + c] as f32);
            }
        }
        assert!(
            close(s.per_unit[i], oracle, 1e-4),
            "seed {seed:#x}, unit {i}: {} vs oracle {oracle}",
            s.per_unit[i]
        );
    }
    assert!(s.union_total <= s.per_unit.iter().sum::<f64>() && s.union_total > 0.0);
}

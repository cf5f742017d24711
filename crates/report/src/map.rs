//! The static coverage map for the planning report: `map.svg` (vector, for
//! editing in Inkscape or Illustrator) and `map.png` (rendered here with
//! resvg, no browser and no internet).
//!
//! One sheet, A-series landscape: the study area with communities coloured by
//! the number of categories met and outlined when in the life circle, the
//! street network, facilities (squares indoor, circles outdoor), suggested
//! sites, district outlines; beside it the legend and one small map per
//! required category with its covered area and its gaps; a scale bar, a north
//! arrow and the OpenStreetMap attribution.
//!
//! Text is Chinese by default. The PNG needs a CJK font on the machine that
//! renders it (Debian: `fonts-noto-cjk`); without one it is drawn with English
//! labels rather than empty boxes.

use std::fmt::Write;
use std::sync::Arc;

use geo::{BoundingRect, InteriorPoint, MultiPolygon};
use resvg::usvg::fontdb;

use crate::escape;
use crate::style;
use childcircle::analysis::Analysis;
use childcircle::error::{Error, Result};
use childcircle::findings::districts::District;
use childcircle::findings::siting::Suggestions;
use childcircle::osm::walkable::WayClass;
use childcircle::profile::Space;

/// Sheet size in SVG units (pixels at 96 dpi): 1.414:1 like A4/A3 landscape.
const W: f64 = 1600.0;
const H: f64 = 1131.0;
const MARGIN: f64 = 24.0;
const HEADER: f64 = 74.0;
const PANEL: f64 = 372.0;
/// The PNG is drawn at twice the SVG size: 3200 px wide, print quality at A4.
const PNG_SCALE: f32 = 2.0;

/// Font families in order of preference; the CJK ones first so Chinese and
/// Latin come from one typeface where possible.
const FONTS: &str = "'Noto Sans CJK SC', 'Source Han Sans SC', 'WenQuanYi Micro Hei', \
                     'Microsoft YaHei', 'PingFang SC', 'DejaVu Sans', Arial, sans-serif";

/// Language of the map's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lang {
    Chinese,
    English,
}

impl Lang {
    fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Chinese => zh,
            Lang::English => en,
        }
    }

    /// Data labels (names) this language can show: any in Chinese, only
    /// Latin ones in English (a missing CJK font would draw empty boxes).
    fn shows(self, text: &str) -> bool {
        self == Lang::Chinese || text.chars().all(|c| (c as u32) < 0x2E80)
    }
}

/// The map as SVG, labelled in Chinese.
pub fn map_svg(
    a: &Analysis,
    districts: Option<&[District]>,
    suggestions: &[Suggestions],
) -> String {
    Sheet::new(a, districts, suggestions, Lang::Chinese).draw()
}

/// The map as PNG (3200 px wide), with the machine's fonts: Chinese labels
/// when a CJK font is installed, English ones otherwise.
pub fn map_png(
    a: &Analysis,
    districts: Option<&[District]>,
    suggestions: &[Suggestions],
) -> Result<Vec<u8>> {
    let fonts = system_fonts();
    let lang = if has_cjk(&fonts) {
        Lang::Chinese
    } else {
        Lang::English
    };
    render_png(&Sheet::new(a, districts, suggestions, lang).draw(), fonts)
}

/// [`map_png`], rendered from `svg` (what [`map_svg`] drew for the same
/// inputs) when the machine has a CJK font, so the map is drawn once; drawn
/// again in English when it has none.
pub fn map_png_from_svg(
    svg: &[u8],
    a: &Analysis,
    districts: Option<&[District]>,
    suggestions: &[Suggestions],
) -> Result<Vec<u8>> {
    let fonts = system_fonts();
    if !has_cjk(&fonts) {
        let english = Sheet::new(a, districts, suggestions, Lang::English).draw();
        return render_png(&english, fonts);
    }
    let svg = std::str::from_utf8(svg).map_err(|e| Error::Invalid(format!("map.svg: {e}")))?;
    render_png(svg, fonts)
}

/// Whether this machine has a font with Chinese characters (for the PNG map).
pub fn cjk_font_available() -> bool {
    has_cjk(&system_fonts())
}

fn system_fonts() -> fontdb::Database {
    let mut db = fontdb::Database::new();
    db.load_system_fonts();
    db
}

/// Whether any font maps 儿 and 童 to glyphs.
fn has_cjk(db: &fontdb::Database) -> bool {
    use skrifa::MetadataProvider;
    db.faces().any(|face| {
        db.with_face_data(face.id, |data, index| {
            skrifa::FontRef::from_index(data, index)
                .map(|f| {
                    let cmap = f.charmap();
                    cmap.map('儿').is_some() && cmap.map('童').is_some()
                })
                .unwrap_or(false)
        })
        .unwrap_or(false)
    })
}

fn render_png(svg: &str, mut fonts: fontdb::Database) -> Result<Vec<u8>> {
    use resvg::{tiny_skia, usvg};
    let fail = |what: &str| Error::Invalid(format!("map.png: {what}"));
    // Generic families resolve to installed fonts, not to ones the machine lacks.
    let sans = fonts
        .faces()
        .flat_map(|f| f.families.iter().map(|(name, _)| name.clone()))
        .find(|n| n.contains("CJK SC") || n.contains("WenQuanYi") || n == "DejaVu Sans");
    if let Some(sans) = sans {
        fonts.set_sans_serif_family(sans);
    }
    let options = usvg::Options {
        fontdb: Arc::new(fonts),
        ..Default::default()
    };
    let tree = usvg::Tree::from_str(svg, &options).map_err(|e| fail(&e.to_string()))?;
    let size = tree
        .size()
        .to_int_size()
        .scale_by(PNG_SCALE)
        .ok_or_else(|| fail("empty map"))?;
    let mut pixmap =
        tiny_skia::Pixmap::new(size.width(), size.height()).ok_or_else(|| fail("map too large"))?;
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(PNG_SCALE, PNG_SCALE),
        &mut pixmap.as_mut(),
    );
    pixmap.encode_png().map_err(|e| fail(&e.to_string()))
}

/// From the graph's metres to a rectangle of the sheet.
#[derive(Debug, Clone, Copy)]
struct View {
    /// Sheet rectangle: x, y, width, height.
    rect: [f64; 4],
    /// Metres at the rectangle's centre.
    centre: [f64; 2],
    /// Sheet units per metre.
    scale: f64,
}

impl View {
    /// Fits metre bounds `[x0, y0, x1, y1]` into `rect` (north up, no distortion).
    fn fit(bounds: [f64; 4], rect: [f64; 4]) -> View {
        let (w, h) = (
            (bounds[2] - bounds[0]).max(1.0),
            (bounds[3] - bounds[1]).max(1.0),
        );
        View {
            rect,
            centre: [(bounds[0] + bounds[2]) / 2.0, (bounds[1] + bounds[3]) / 2.0],
            scale: (rect[2] / w).min(rect[3] / h),
        }
    }

    fn px(&self, xy: [f64; 2]) -> [f64; 2] {
        [
            self.rect[0] + self.rect[2] / 2.0 + (xy[0] - self.centre[0]) * self.scale,
            self.rect[1] + self.rect[3] / 2.0 - (xy[1] - self.centre[1]) * self.scale,
        ]
    }
}

/// Appends `M x y L ...` for a line of sheet points, rounded to `step` units
/// and without repeated points (a small map needs far fewer than the data has).
fn push_line(d: &mut String, points: impl Iterator<Item = [f64; 2]>, step: f64, close: bool) {
    let mut last: Option<[i64; 2]> = None;
    let mut n = 0;
    let start = d.len();
    for p in points {
        let q = [(p[0] / step).round() as i64, (p[1] / step).round() as i64];
        if last == Some(q) {
            continue;
        }
        last = Some(q);
        let (x, y) = (q[0] as f64 * step, q[1] as f64 * step);
        d.push(if n == 0 { 'M' } else { 'L' });
        push_num(d, x);
        d.push(' ');
        push_num(d, y);
        n += 1;
    }
    if n < if close { 3 } else { 2 } {
        d.truncate(start);
    } else if close {
        d.push('Z');
    }
}

/// A number with at most one decimal.
fn fmt(v: f64) -> String {
    let mut s = String::new();
    push_num(&mut s, v);
    s
}

/// Appends `v` with at most one decimal, as [`fmt_slow`] writes it, without
/// the formatting machinery (a city's map has millions of numbers): rounded
/// to tenths `k`, it is `k / 10`, then `.` and `k % 10` unless that is 0.
fn push_num(d: &mut String, v: f64) {
    let k = (v * 10.0).round();
    if !k.is_finite() || k.abs() >= 1e15 {
        d.push_str(&fmt_slow(v));
        return;
    }
    let k = k as i64;
    if k < 0 {
        d.push('-');
    }
    let m = k.unsigned_abs();
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut int = m / 10;
    loop {
        at -= 1;
        digits[at] = b'0' + (int % 10) as u8;
        int /= 10;
        if int == 0 {
            break;
        }
    }
    d.push_str(std::str::from_utf8(&digits[at..]).expect("ASCII digits"));
    if m % 10 != 0 {
        d.push('.');
        d.push(char::from(b'0' + (m % 10) as u8));
    }
}

/// A number with at most one decimal, by `format!` (far-out values, and the
/// oracle of [`push_num`]).
fn fmt_slow(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0;
    if r.fract() == 0.0 {
        format!("{}", r as i64)
    } else {
        format!("{r:.1}")
    }
}

struct Sheet<'a> {
    a: &'a Analysis,
    districts: Option<&'a [District]>,
    suggestions: &'a [Suggestions],
    lang: Lang,
    /// Metre bounds of the study area.
    bounds: [f64; 4],
    svg: String,
}

impl<'a> Sheet<'a> {
    fn new(
        a: &'a Analysis,
        districts: Option<&'a [District]>,
        suggestions: &'a [Suggestions],
        lang: Lang,
    ) -> Sheet<'a> {
        // The study area: communities and facilities (streets run beyond).
        let mut b = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
        let mut grow = |lonlat: [f64; 2]| {
            let [x, y] = a.graph.projection().project(lonlat);
            b = [b[0].min(x), b[1].min(y), b[2].max(x), b[3].max(y)];
        };
        for c in &a.communities {
            if let Some(r) = c.polygon.bounding_rect() {
                grow([r.min().x, r.min().y]);
                grow([r.max().x, r.max().y]);
            }
        }
        for f in &a.facilities {
            grow(f.lonlat);
        }
        for site in suggestions.iter().flat_map(|s| &s.sites) {
            grow(site.lonlat);
        }
        if b[0] > b[2] {
            b = [-500.0, -500.0, 500.0, 500.0];
        }
        let pad = 0.03 * (b[2] - b[0]).max(b[3] - b[1]);
        Sheet {
            a,
            districts,
            suggestions,
            lang,
            bounds: [b[0] - pad, b[1] - pad, b[2] + pad, b[3] + pad],
            svg: String::new(),
        }
    }

    fn t(&self, zh: &'a str, en: &'a str) -> &'a str {
        self.lang.pick(zh, en)
    }

    fn project(&self, v: &View, lonlat: [f64; 2]) -> [f64; 2] {
        v.px(self.a.graph.projection().project(lonlat))
    }

    fn polygon_path(&self, v: &View, mp: &MultiPolygon<f64>, step: f64) -> String {
        let mut d = String::new();
        for poly in &mp.0 {
            for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
                push_line(
                    &mut d,
                    ring.coords().map(|c| self.project(v, [c.x, c.y])),
                    step,
                    true,
                );
            }
        }
        d
    }

    /// Text at `at` (x, y of the baseline's anchor).
    /// The label of one legend row beside its symbol; returns the next row's y.
    fn legend_label(&mut self, x: f64, y: f64, label: &str) -> f64 {
        self.text(
            [x + 34.0, y + 0.5],
            12.5,
            "normal",
            "#333333",
            "start",
            label,
        );
        y + 22.0
    }

    fn text(
        &mut self,
        at: [f64; 2],
        size: f64,
        weight: &str,
        fill: &str,
        anchor: &str,
        text: &str,
    ) {
        let _ = writeln!(
            self.svg,
            "<text x=\"{}\" y=\"{}\" font-size=\"{size}\" font-weight=\"{weight}\" fill=\"{fill}\" text-anchor=\"{anchor}\">{}</text>",
            fmt(at[0]),
            fmt(at[1]),
            escape(text)
        );
    }

    /// Text with a white halo, readable over the map.
    fn halo_text(&mut self, x: f64, y: f64, size: f64, fill: &str, text: &str) {
        let _ = writeln!(
            self.svg,
            "<text x=\"{}\" y=\"{}\" font-size=\"{size}\" font-weight=\"bold\" fill=\"{fill}\" text-anchor=\"middle\" \
             stroke=\"#ffffff\" stroke-width=\"3\" stroke-linejoin=\"round\" paint-order=\"stroke\">{}</text>",
            fmt(x),
            fmt(y),
            escape(text)
        );
    }

    fn draw(mut self) -> String {
        let _ = writeln!(
            self.svg,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\" \
             font-family=\"{FONTS}\">"
        );
        self.defs();
        let _ = writeln!(
            self.svg,
            "<rect width=\"{W}\" height=\"{H}\" fill=\"#ffffff\"/>"
        );
        self.header();
        let frame = [
            MARGIN,
            MARGIN + HEADER,
            W - 2.0 * MARGIN - PANEL - 18.0,
            H - 2.0 * MARGIN - HEADER,
        ];
        let view = View::fit(self.bounds, frame);
        self.main_map(&view);
        self.scale_bar(&view);
        self.north_arrow(frame);
        self.attribution(frame);
        self.synthetic_note(frame);
        let panel = [frame[0] + frame[2] + 18.0, frame[1], PANEL, frame[3]];
        let y = self.legend(panel);
        self.small_multiples([panel[0], y, panel[2], panel[1] + panel[3] - y]);
        self.svg.push_str("</svg>\n");
        self.svg
    }

    fn defs(&mut self) {
        let gap = style::GAP.hex();
        let _ = writeln!(
            self.svg,
            "<defs><pattern id=\"hatch\" patternUnits=\"userSpaceOnUse\" width=\"5\" height=\"5\" \
             patternTransform=\"rotate(45)\"><rect width=\"5\" height=\"5\" fill=\"{gap}\" fill-opacity=\"0.12\"/>\
             <line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"5\" stroke=\"{gap}\" stroke-width=\"1\" stroke-opacity=\"0.75\"/></pattern></defs>"
        );
    }

    /// The title, the subtitle ([`Sheet::subtitle`]) and a rule under them.
    fn header(&mut self) {
        let area = self.area_name();
        let title = match self.lang {
            Lang::Chinese => format!(
                "{}儿童15分钟生活圈 · 社区覆盖评估图",
                area.unwrap_or_default()
            ),
            Lang::English => {
                "Children's 15-minute life circle: coverage of communities".to_string()
            }
        };
        let subtitle = self.subtitle();
        let ink = style::INK.hex();
        self.text([MARGIN, MARGIN + 30.0], 28.0, "bold", &ink, "start", &title);
        self.text(
            [MARGIN, MARGIN + 58.0],
            15.0,
            "normal",
            "#555555",
            "start",
            &subtitle,
        );
        let _ = writeln!(
            self.svg,
            "<line x1=\"{MARGIN}\" y1=\"{y}\" x2=\"{x2}\" y2=\"{y}\" stroke=\"{ink}\" stroke-width=\"1.5\"/>",
            y = MARGIN + HEADER - 8.0,
            x2 = W - MARGIN
        );
    }

    /// The communities in the life circle (per level when they are nested),
    /// the walking speed, the standard and the data.
    fn subtitle(&self) -> String {
        let a = self.a;
        let n = a.communities.len();
        let (circle, share) = childcircle::findings::summary::life_circle_share(a);
        let source = a
            .extract
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        let levels = self.life_circle_levels();
        match (self.lang, levels.is_empty()) {
            (Lang::Chinese, true) => format!(
                "{n} 个社区/小区中 {circle} 个达标（{:.1}%）· 步行速度 {} m/s · 标准 GB 50180-2018 · 数据 {source}",
                100.0 * share,
                a.profile.walking_speed_mps
            ),
            (Lang::English, true) => format!(
                "{circle} of {n} communities ({:.1}%) in the life circle · walking {} m/s · GB 50180-2018 · data {source}",
                100.0 * share,
                a.profile.walking_speed_mps
            ),
            (Lang::Chinese, false) => format!(
                "生活圈达标：{} · 步行速度 {} m/s · 标准 GB 50180-2018 · 数据 {source}",
                levels.join("，"),
                a.profile.walking_speed_mps
            ),
            (Lang::English, false) => format!(
                "In the life circle: {} · walking {} m/s · GB 50180-2018 · data {source}",
                levels.join(", "),
                a.profile.walking_speed_mps
            ),
        }
    }

    /// The life circle of each nested level of community (社区 and the 小区
    /// inside them), each on its own; none when the communities are not nested.
    fn life_circle_levels(&self) -> Vec<String> {
        let by_kind = childcircle::findings::summary::Summary::new(self.a).by_kind;
        by_kind
            .iter()
            .map(|g| {
                let kind = match (self.lang, childcircle::places::kind_names(&g.name)) {
                    (Lang::Chinese, Some((zh, _, _))) => zh,
                    (Lang::English, Some((_, _, plural))) => plural,
                    (_, None) => g.name.as_str(),
                };
                // The share of children beside the share of communities.
                let children = match (self.lang, g.share_children_life_circle) {
                    (Lang::Chinese, Some(s)) => format!("，儿童 {:.1}%", 100.0 * s),
                    (Lang::English, Some(s)) => format!(", children {:.1}%", 100.0 * s),
                    (_, None) => String::new(),
                };
                format!(
                    "{kind} {}/{} ({:.1}%{children})",
                    g.life_circle,
                    g.communities,
                    100.0 * g.share_life_circle
                )
            })
            .collect()
    }

    /// The district holding most communities, for the title.
    fn area_name(&self) -> Option<String> {
        use geo::Contains;
        let districts = self.districts?;
        let mut counts = vec![0usize; districts.len()];
        for c in &self.a.communities {
            if let Some(p) = c.polygon.interior_point() {
                if let Some(i) = districts.iter().position(|d| d.polygon.contains(&p)) {
                    counts[i] += 1;
                }
            }
        }
        let (i, &n) = counts.iter().enumerate().max_by_key(|(_, n)| **n)?;
        (n > 0).then(|| districts[i].name.clone())
    }

    fn main_map(&mut self, v: &View) {
        let a = self.a;
        let [x, y, w, h] = v.rect;
        let _ = writeln!(
            self.svg,
            "<clipPath id=\"frame\"><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/></clipPath>\
             <rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#f2f1ec\"/>\n<g clip-path=\"url(#frame)\">",
            fmt(x), fmt(y), fmt(w), fmt(h), fmt(x), fmt(y), fmt(w), fmt(h)
        );
        // Streets under the communities: minor ones only where no community covers them.
        self.streets(
            v,
            &[WayClass::Footway, WayClass::Steps, WayClass::Local],
            "#c9c7bf",
            0.6,
        );
        // Communities: large 社区 first, so the 小区 inside them stay visible.
        let n = a.profile.categories.len();
        let mut order: Vec<usize> = (0..a.communities.len()).collect();
        order.sort_by(|&i, &j| {
            a.communities[j]
                .area_m2
                .total_cmp(&a.communities[i].area_m2)
        });
        self.svg
            .push_str("<g stroke=\"#ffffff\" stroke-width=\"0.5\" stroke-linejoin=\"round\">\n");
        for &i in &order {
            let d = self.polygon_path(v, &a.communities[i].polygon, 0.1);
            if d.is_empty() {
                continue;
            }
            let colour = style::met_colour(a.coverage[i].met, n).hex();
            let _ = writeln!(
                self.svg,
                "<path d=\"{d}\" fill=\"{colour}\" fill-rule=\"evenodd\"/>"
            );
        }
        self.svg.push_str("</g>\n");
        self.streets(v, &[WayClass::Collector], "#ffffff", 1.6);
        self.streets(v, &[WayClass::Arterial], "#ffffff", 3.0);
        self.streets(v, &[WayClass::Arterial], "#b8b2a0", 0.8);
        // Life-circle outlines above all fills.
        let outline = style::CIRCLE_OUTLINE.hex();
        let _ = writeln!(
            self.svg,
            "<g fill=\"none\" stroke=\"{outline}\" stroke-width=\"2.2\" stroke-linejoin=\"round\">"
        );
        for &i in &order {
            if a.coverage[i].life_circle {
                let d = self.polygon_path(v, &a.communities[i].polygon, 0.1);
                if !d.is_empty() {
                    let _ = writeln!(self.svg, "<path d=\"{d}\"/>");
                }
            }
        }
        self.svg.push_str("</g>\n");
        self.district_outlines(v);
        self.subdistrict_labels(v);
        self.facilities(v);
        self.suggested_sites(v);
        self.svg.push_str("</g>\n");
        let _ = writeln!(
            self.svg,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#333333\" stroke-width=\"1.2\"/>",
            fmt(x), fmt(y), fmt(w), fmt(h)
        );
    }

    fn streets(&mut self, v: &View, classes: &[WayClass], colour: &str, width: f64) {
        let g = &self.a.graph;
        let mut d = String::new();
        for e in 0..g.edges().len() as u32 {
            if classes.contains(&g.edges()[e as usize].class) {
                // Rounded to 0.4 units: on a city-wide sheet short edges
                // collapse to nothing instead of bloating the file.
                let pts = g
                    .shape(e)
                    .iter()
                    .map(|p| v.px([f64::from(p[0]), f64::from(p[1])]));
                push_line(&mut d, pts, 0.4, false);
            }
        }
        if !d.is_empty() {
            let _ = writeln!(
                self.svg,
                "<path d=\"{d}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"{width}\" stroke-linecap=\"round\" stroke-linejoin=\"round\"/>"
            );
        }
    }

    fn district_outlines(&mut self, v: &View) {
        let Some(districts) = self.districts else {
            return;
        };
        let colour = style::DISTRICT.hex();
        for d in districts {
            let path = self.polygon_path(v, &d.polygon, 0.2);
            if !path.is_empty() {
                let _ = writeln!(
                    self.svg,
                    "<path d=\"{path}\" fill=\"none\" stroke=\"#ffffff\" stroke-width=\"4.5\" stroke-opacity=\"0.7\"/>\
                     <path d=\"{path}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" stroke-dasharray=\"10 4 2 4\"/>"
                );
            }
        }
    }

    /// Subdistrict (街道) names at the middle of their communities.
    fn subdistrict_labels(&mut self, v: &View) {
        let mut groups: std::collections::BTreeMap<&str, ([f64; 2], f64)> = Default::default();
        for c in &self.a.communities {
            let (Some(name), Some(p)) = (c.subdistrict.as_deref(), c.polygon.interior_point())
            else {
                continue;
            };
            let e = groups.entry(name).or_insert(([0.0, 0.0], 0.0));
            e.0[0] += p.x() * c.area_m2;
            e.0[1] += p.y() * c.area_m2;
            e.1 += c.area_m2;
        }
        let colour = style::DISTRICT.hex();
        let labels: Vec<(String, [f64; 2])> = groups
            .into_iter()
            .filter(|(name, (_, w))| *w > 0.0 && self.lang.shows(name))
            .map(|(name, (s, w))| (name.to_string(), self.project(v, [s[0] / w, s[1] / w])))
            .collect();
        for (name, p) in labels {
            self.halo_text(p[0], p[1], 17.0, &colour, &name);
        }
    }

    fn facilities(&mut self, v: &View) {
        let a = self.a;
        self.svg
            .push_str("<g stroke=\"#ffffff\" stroke-width=\"1\">\n");
        for f in a.facilities.iter().filter(|f| !f.access.is_empty()) {
            let cat = &a.profile.categories[f.category];
            let [x, y] = self.project(v, f.lonlat);
            let colour = style::category_colour(f.category, cat).hex();
            let _ = writeln!(self.svg, "{}", symbol(cat.space, x, y, 4.2, &colour));
        }
        self.svg.push_str("</g>\n");
    }

    fn suggested_sites(&mut self, v: &View) {
        let a = self.a;
        for s in self.suggestions {
            let cat = &a.profile.categories[s.category];
            let colour = style::category_colour(s.category, cat).hex();
            for site in &s.sites {
                let [x, y] = self.project(v, site.lonlat);
                let _ = writeln!(
                    self.svg,
                    "<path d=\"{}\" fill=\"{colour}\" stroke=\"#111111\" stroke-width=\"1.3\" stroke-linejoin=\"round\"/>",
                    star(x, y, 11.0)
                );
                self.halo_text(x, y - 13.0, 12.0, "#111111", &site.rank.to_string());
            }
        }
    }

    fn scale_bar(&mut self, v: &View) {
        // A round length about a fifth of the frame.
        let target = v.rect[2] / 5.0 / v.scale;
        let nice = [
            50.0, 100.0, 200.0, 250.0, 500.0, 1000.0, 2000.0, 2500.0, 5000.0, 10_000.0, 20_000.0,
            50_000.0,
        ];
        let metres = nice
            .iter()
            .copied()
            .rfind(|&m| m <= target)
            .unwrap_or(nice[0]);
        let len = metres * v.scale;
        let (x, y) = (v.rect[0] + 18.0, v.rect[1] + v.rect[3] - 26.0);
        let _ = writeln!(
            self.svg,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"34\" fill=\"#ffffff\" fill-opacity=\"0.85\" rx=\"3\"/>",
            fmt(x - 8.0),
            fmt(y - 20.0),
            fmt(len + 56.0)
        );
        for i in 0..4 {
            let fill = if i % 2 == 0 { "#222222" } else { "#ffffff" };
            let _ = writeln!(
                self.svg,
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"6\" fill=\"{fill}\" stroke=\"#222222\" stroke-width=\"0.8\"/>",
                fmt(x + len * f64::from(i) / 4.0),
                fmt(y),
                fmt(len / 4.0)
            );
        }
        let label = |m: f64| {
            if metres >= 1000.0 {
                format!("{}", m / 1000.0)
            } else {
                format!("{m}")
            }
        };
        let unit = if metres >= 1000.0 { "km" } else { "m" };
        self.text([x, y - 5.0], 11.0, "normal", "#222222", "middle", "0");
        self.text(
            [x + len / 2.0, y - 5.0],
            11.0,
            "normal",
            "#222222",
            "middle",
            &label(metres / 2.0),
        );
        self.text(
            [x + len, y - 5.0],
            11.0,
            "normal",
            "#222222",
            "middle",
            &label(metres),
        );
        self.text(
            [x + len + 8.0, y + 6.0],
            11.0,
            "normal",
            "#222222",
            "start",
            unit,
        );
    }

    fn north_arrow(&mut self, frame: [f64; 4]) {
        let (x, y) = (frame[0] + frame[2] - 34.0, frame[1] + 20.0);
        let _ = writeln!(
            self.svg,
            "<g><circle cx=\"{x}\" cy=\"{cy}\" r=\"19\" fill=\"#ffffff\" fill-opacity=\"0.85\"/>\
             <path d=\"M{x} {y}L{xr} {yb}L{x} {ym}Z\" fill=\"#222222\"/>\
             <path d=\"M{x} {y}L{xl} {yb}L{x} {ym}Z\" fill=\"#ffffff\" stroke=\"#222222\" stroke-width=\"1\"/></g>",
            cy = y + 16.0,
            xr = x + 8.0,
            xl = x - 8.0,
            yb = y + 30.0,
            ym = y + 23.0
        );
        let north = self.t("北", "N");
        self.text([x, y - 2.0], 13.0, "bold", "#222222", "middle", north);
    }

    /// On a map of the shipped model, a boxed warning at the top of the map
    /// frame that the data is a synthetic model (a screenshot travels without
    /// the README).
    fn synthetic_note(&mut self, frame: [f64; 4]) {
        if !self.a.synthetic {
            return;
        }
        use childcircle::defaults::{SYNTHETIC_EN, SYNTHETIC_ZH};
        let lines: Vec<(&str, f64, &str)> = match self.lang {
            Lang::Chinese => vec![(SYNTHETIC_ZH, 15.0, "bold"), (SYNTHETIC_EN, 12.0, "normal")],
            Lang::English => vec![(SYNTHETIC_EN, 13.0, "bold")],
        };
        let width = lines
            .iter()
            .map(|(t, size, _)| text_width(t, *size))
            .fold(0.0, f64::max)
            + 24.0;
        let height = 12.0 + lines.len() as f64 * 20.0;
        let (x, y) = (frame[0] + 8.0, frame[1] + 8.0);
        let red = "#b3261e";
        let _ = writeln!(
            self.svg,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#fff4f2\" fill-opacity=\"0.95\" stroke=\"{red}\" stroke-width=\"2\"/>",
            fmt(x),
            fmt(y),
            fmt(width.min(frame[2] - 16.0)),
            fmt(height)
        );
        for (i, (text, size, weight)) in lines.into_iter().enumerate() {
            let at = [x + 12.0, y + 22.0 + i as f64 * 20.0];
            self.text(at, size, weight, red, "start", text);
        }
    }

    fn attribution(&mut self, frame: [f64; 4]) {
        let text = format!(
            "© OpenStreetMap contributors (ODbL) · childcircle {}",
            env!("CARGO_PKG_VERSION")
        );
        let (x, y) = (frame[0] + frame[2] - 6.0, frame[1] + frame[3] - 7.0);
        let _ = writeln!(
            self.svg,
            "<rect x=\"{}\" y=\"{}\" width=\"330\" height=\"18\" fill=\"#ffffff\" fill-opacity=\"0.85\"/>",
            fmt(x - 326.0),
            fmt(y - 13.0)
        );
        self.text([x, y], 11.0, "normal", "#333333", "end", &text);
    }

    /// The legend; returns where the space below it starts.
    fn legend(&mut self, panel: [f64; 4]) -> f64 {
        let x = panel[0];
        let y = self.legend_met(panel, panel[1] + 14.0);
        let y = self.legend_facilities(panel, y);
        let y = self.legend_suggestions(x, y, panel[2]);
        self.legend_lines(x, y) + 8.0
    }

    /// A heading of the legend at `x`, `y`.
    fn legend_head(&mut self, x: f64, y: f64, zh: &'a str, en: &'a str) {
        let t = self.t(zh, en).to_string();
        self.text([x, y], 15.0, "bold", &style::INK.hex(), "start", &t);
    }

    /// The colour scale of categories met, the life-circle outline and the
    /// coverage rule, from `y`; returns where the next section starts.
    fn legend_met(&mut self, panel: [f64; 4], mut y: f64) -> f64 {
        let a = self.a;
        let x = panel[0];
        let n = a.profile.categories.len();
        self.legend_head(
            x,
            y,
            "社区满足的设施类别数",
            "Categories within reach of the community",
        );
        y += 10.0;
        let cell = (panel[2] / (n + 1) as f64).min(34.0);
        for met in 0..=n {
            let colour = style::met_colour(met, n).hex();
            let cx = x + met as f64 * cell;
            let _ = writeln!(
                self.svg,
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"14\" fill=\"{colour}\"/>",
                fmt(cx),
                fmt(y),
                fmt(cell)
            );
            self.text(
                [cx + cell / 2.0, y + 28.0],
                11.0,
                "normal",
                "#333333",
                "middle",
                &met.to_string(),
            );
        }
        y += 50.0;
        let outline = style::CIRCLE_OUTLINE.hex();
        let _ = writeln!(
            self.svg,
            "<rect x=\"{}\" y=\"{}\" width=\"26\" height=\"14\" fill=\"{}\" stroke=\"{outline}\" stroke-width=\"2.2\"/>",
            fmt(x),
            fmt(y - 11.0),
            style::met_colour(n, n).hex()
        );
        let t = self
            .t(
                "粗绿边：15分钟儿童生活圈达标",
                "Green outline: in the 15-minute life circle",
            )
            .to_string();
        self.text([x + 34.0, y + 1.0], 12.5, "normal", "#333333", "start", &t);
        y += 20.0;
        let all: Vec<usize> = (0..a.communities.len()).collect();
        let rule = childcircle::findings::summary::rule_of(a, &all);
        let t = match self.lang {
            Lang::Chinese => format!("覆盖判定：{rule}"),
            Lang::English => format!("Coverage rule: {rule}"),
        };
        let t = fit(&t, 11.0, panel[2]);
        self.text([x, y + 1.0], 11.0, "normal", "#333333", "start", &t);
        y + 28.0
    }

    /// The facility categories with their thresholds and counts, in two
    /// columns when every label fits in one, from `y`; returns where the next
    /// section starts.
    fn legend_facilities(&mut self, panel: [f64; 4], mut y: f64) -> f64 {
        let a = self.a;
        let x = panel[0];
        self.legend_head(
            x,
            y,
            "儿童设施（■ 室内  ● 室外）",
            "Children's facilities (■ indoor  ● outdoor)",
        );
        y += 8.0;
        let labels: Vec<String> = a
            .profile
            .categories
            .iter()
            .enumerate()
            .map(|(k, c)| {
                let count = a.facilities.iter().filter(|f| f.category == k).count();
                match self.lang {
                    Lang::Chinese => format!("{} {}分钟 ({count})", c.label_zh, c.minutes),
                    Lang::English => format!("{} {} min ({count})", c.label_en, c.minutes),
                }
            })
            .collect();
        let cols = if labels
            .iter()
            .all(|l| text_width(l, 12.0) < panel[2] / 2.0 - 20.0)
        {
            2
        } else {
            1
        };
        let col = panel[2] / cols as f64;
        for (k, (c, label)) in a.profile.categories.iter().zip(&labels).enumerate() {
            let (cx, cy) = (
                x + (k % cols) as f64 * col,
                y + 18.0 + (k / cols) as f64 * 20.0,
            );
            let colour = style::category_colour(k, c).hex();
            let _ = writeln!(
                self.svg,
                "<g stroke=\"#ffffff\" stroke-width=\"1\">{}</g>",
                symbol(c.space, cx + 6.0, cy - 4.0, 5.0, &colour)
            );
            let label = fit(label, 12.0, col - 20.0);
            self.text(
                [cx + 17.0, cy + 0.5],
                12.0,
                "normal",
                "#333333",
                "start",
                &label,
            );
        }
        let n = a.profile.categories.len();
        y + 18.0 + n.div_ceil(cols) as f64 * 20.0 + 8.0
    }

    /// Suggested sites: a star in the category's colour, numbered by priority
    /// within the category; one row per category with sites, from `y` in a
    /// panel `width` wide; returns where the next row starts.
    fn legend_suggestions(&mut self, x: f64, mut y: f64, width: f64) -> f64 {
        let a = self.a;
        for s in self.suggestions.iter().filter(|s| !s.sites.is_empty()) {
            let c = &a.profile.categories[s.category];
            let colour = style::category_colour(s.category, c).hex();
            let _ = writeln!(
                self.svg,
                "<path d=\"{}\" fill=\"{colour}\" stroke=\"#111111\" stroke-width=\"1.2\"/>",
                star(x + 13.0, y - 4.0, 9.0)
            );
            let label = match self.lang {
                Lang::Chinese => format!(
                    "建议新址 · {}（1–{} 为优先顺序）",
                    c.label_zh,
                    s.sites.len()
                ),
                Lang::English => {
                    format!("Suggested {} (1–{}: priority)", c.label_en, s.sites.len())
                }
            };
            let label = fit(&label, 12.5, width - 40.0);
            y = self.legend_label(x, y, &label);
        }
        y
    }

    /// Further symbols, each drawn around the line it labels: the district
    /// boundary (if drawn) and the walking network; returns where the next row
    /// starts.
    fn legend_lines(&mut self, x: f64, mut y: f64) -> f64 {
        let district = style::DISTRICT.hex();
        let items = [
            (
                self.districts.is_some(),
                self.t("区县界", "District boundary"),
            ),
            (
                true,
                self.t("步行网络（主干道加粗）", "Walking network (arterials bold)"),
            ),
        ];
        for (i, (show, label)) in items.into_iter().enumerate() {
            if !show {
                continue;
            }
            let (x1, ym) = (fmt(x), fmt(y - 4.0));
            let x2 = fmt(x + 26.0);
            let symbol = match i {
                0 => format!(
                    "<line x1=\"{x1}\" y1=\"{ym}\" x2=\"{x2}\" y2=\"{ym}\" stroke=\"{district}\" stroke-width=\"2\" stroke-dasharray=\"10 4 2 4\"/>"
                ),
                _ => format!("<line x1=\"{x1}\" y1=\"{ym}\" x2=\"{x2}\" y2=\"{ym}\" stroke=\"#b8b2a0\" stroke-width=\"3\"/>"),
            };
            let _ = writeln!(self.svg, "{symbol}");
            y = self.legend_label(x, y, label);
        }
        y
    }

    /// One small map per required category: its covered area and its gaps.
    fn small_multiples(&mut self, area: [f64; 4]) {
        let a = self.a;
        let required: Vec<usize> = (0..a.profile.categories.len())
            .filter(|&k| a.profile.categories[k].required)
            .filter(|&k| a.coverage_areas.iter().any(|c| c.category == k))
            .collect();
        if required.is_empty() {
            return;
        }
        let ink = style::INK.hex();
        let title = self
            .t(
                "分项覆盖率：步行可达（绿）与缺口（红斜线）",
                "Coverage by category: reached (green), gaps (red hatch)",
            )
            .to_string();
        self.text(
            [area[0], area[1] + 6.0],
            15.0,
            "bold",
            &ink,
            "start",
            &title,
        );
        let top = area[1] + 16.0;
        let cols = 2;
        let rows = required.len().div_ceil(cols);
        let gap = 12.0;
        let caption = 18.0;
        let aspect = (self.bounds[3] - self.bounds[1]) / (self.bounds[2] - self.bounds[0]);
        let mut w = (area[2] - gap) / cols as f64;
        let mut h = w * aspect;
        let avail = (area[1] + area[3] - top) / rows as f64 - caption - gap;
        if h > avail {
            h = avail.max(20.0);
            w = h / aspect;
        }
        for (i, &k) in required.iter().enumerate() {
            let (col, row) = (i % cols, i / cols);
            let x = area[0] + col as f64 * (w + gap);
            let y = top + row as f64 * (h + caption + gap) + caption;
            self.small_multiple_caption(k, x, y, w);
            self.small_multiple(k, [x, y, w, h]);
        }
    }

    /// The caption above the small map of category `k` at `x`, `y` and `w`
    /// wide: the share of communities covered, then the category.
    fn small_multiple_caption(&mut self, k: usize, x: f64, y: f64, w: f64) {
        let a = self.a;
        let cat = &a.profile.categories[k];
        let covered = a.coverage.iter().filter(|c| c.covered[k]).count();
        let share = childcircle::findings::shares::share(covered, a.coverage.len());
        // The share first: it is what a cut caption must keep.
        let label = match self.lang {
            Lang::Chinese => format!(
                "{:.0}% · {} {}分钟",
                100.0 * share,
                cat.label_zh,
                cat.minutes
            ),
            Lang::English => format!(
                "{:.0}% · {} {} min",
                100.0 * share,
                cat.label_en,
                cat.minutes
            ),
        };
        self.text(
            [x, y - 5.0],
            12.0,
            "bold",
            "#333333",
            "start",
            &fit(&label, 12.0, w - 8.0),
        );
    }

    /// The small map of category `k` in `rect` (x, y, width, height): its
    /// covered area, its gaps and its attached facilities, clipped and framed.
    fn small_multiple(&mut self, k: usize, rect: [f64; 4]) {
        let a = self.a;
        let cat = &a.profile.categories[k];
        let [x, y, w, h] = rect;
        let v = View::fit(self.bounds, rect);
        let id = format!("sm{k}");
        let _ = writeln!(
            self.svg,
            "<clipPath id=\"{id}\"><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/></clipPath>\
             <rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#f2f1ec\"/><g clip-path=\"url(#{id})\">",
            fmt(x), fmt(y), fmt(w), fmt(h), fmt(x), fmt(y), fmt(w), fmt(h)
        );
        for area in a.coverage_areas.iter().filter(|c| c.category == k) {
            let covered = self.polygon_path(&v, &area.covered, 0.5);
            let gaps = self.polygon_path(&v, &area.gap, 0.5);
            let _ = writeln!(
                self.svg,
                "<path d=\"{covered}\" fill=\"{}\" fill-opacity=\"0.55\" fill-rule=\"evenodd\"/>\
                 <path d=\"{gaps}\" fill=\"url(#hatch)\" fill-rule=\"evenodd\"/>",
                style::COVERED.hex()
            );
        }
        let colour = style::category_colour(k, cat).hex();
        let mut dots = String::new();
        for f in a
            .facilities
            .iter()
            .filter(|f| f.category == k && !f.access.is_empty())
        {
            let [fx, fy] = self.project(&v, f.lonlat);
            let _ = write!(dots, "{}", symbol(cat.space, fx, fy, 2.2, &colour));
        }
        let _ = writeln!(
            self.svg,
            "<g stroke=\"#ffffff\" stroke-width=\"0.5\">{dots}</g></g>"
        );
        let _ = writeln!(
            self.svg,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#888888\" stroke-width=\"0.8\"/>",
            fmt(x), fmt(y), fmt(w), fmt(h)
        );
    }
}

/// Roughly how wide a text is: CJK characters are square, Latin ones about
/// half as wide (enough to keep legend labels apart; no font is measured).
fn text_width(text: &str, size: f64) -> f64 {
    text.chars()
        .map(|c| {
            if (c as u32) >= 0x2E80 {
                size
            } else {
                size * 0.56
            }
        })
        .sum()
}

/// The text, cut with "…" to fit `width`.
fn fit(text: &str, size: f64, width: f64) -> String {
    if text_width(text, size) <= width {
        return text.to_string();
    }
    let mut out = String::new();
    for c in text.chars() {
        if text_width(&out, size) + text_width(&format!("{c}…"), size) > width {
            break;
        }
        out.push(c);
    }
    out.push('…');
    out
}

/// A facility symbol: a square for indoor spaces, a circle for outdoor ones.
fn symbol(space: Space, x: f64, y: f64, r: f64, fill: &str) -> String {
    match space {
        Space::Indoor => format!(
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{fill}\"/>",
            fmt(x - r * 0.88),
            fmt(y - r * 0.88),
            fmt(r * 1.76),
            fmt(r * 1.76)
        ),
        Space::Outdoor => format!(
            "<circle cx=\"{}\" cy=\"{}\" r=\"{}\" fill=\"{fill}\"/>",
            fmt(x),
            fmt(y),
            fmt(r)
        ),
    }
}

/// A five-pointed star path of outer radius `r`.
fn star(x: f64, y: f64, r: f64) -> String {
    let mut d = String::new();
    for i in 0..10 {
        let radius = if i % 2 == 0 { r } else { r * 0.45 };
        let angle = std::f64::consts::PI * (f64::from(i) / 5.0 - 0.5);
        let _ = write!(
            d,
            "{}{} {}",
            if i == 0 { 'M' } else { 'L' },
            fmt(x + radius * angle.cos()),
            fmt(y + radius * angle.sin())
        );
    }
    d.push('Z');
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Without any CJK font the PNG still renders, with English text only.
    #[test]
    fn png_degrades_to_english_without_cjk_fonts() {
        let a = childcircle::analyze(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../data/osm/monaco.osm.pbf"
        )))
        .unwrap();
        let svg = Sheet::new(&a, None, &[], Lang::English).draw();
        let cjk = svg
            .chars()
            .filter(|&c| ('\u{4e00}'..='\u{9fff}').contains(&c))
            .count();
        assert_eq!(cjk, 0, "English map has Chinese text");
        let png = render_png(&svg, fontdb::Database::new()).unwrap();
        assert!(png.starts_with(b"\x89PNG"));
        assert!(!has_cjk(&fontdb::Database::new()));
    }

    /// The PNG rendered from the SVG map's drawing is the PNG drawn on its own.
    #[test]
    fn png_from_the_svg_is_the_png() {
        let a = childcircle::analyze(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../data/osm/monaco.osm.pbf"
        )))
        .unwrap();
        let svg = map_svg(&a, None, &[]);
        assert_eq!(
            map_png_from_svg(svg.as_bytes(), &a, None, &[]).unwrap(),
            map_png(&a, None, &[]).unwrap()
        );
    }

    /// Numbers are written as `format!` writes them: seeded random values at
    /// every scale, both signs, halves and values that round to zero.
    #[test]
    fn numbers_are_written_as_format_writes_them() {
        const SEED: u64 = 0x5f;
        let mut rng = childcircle::rng::SplitMix64::new(SEED);
        let mut values = vec![
            0.0, -0.0, 0.04, -0.04, 0.05, -0.05, 0.95, -0.95, 1e14, -1e16,
        ];
        for _ in 0..200_000 {
            let scale = 10f64.powi(rng.below(9) as i32 - 2);
            values.push(rng.range(-1.0, 1.0) * scale);
            values.push((rng.range(-5000.0, 5000.0) * 10.0).round() / 10.0 + 0.05);
        }
        for v in values {
            assert_eq!(fmt(v), fmt_slow(v), "seed {SEED:#x}: {v:e}");
        }
    }

    #[test]
    fn lines_drop_repeated_points_and_degenerate_rings() {
        let mut d = String::new();
        push_line(
            &mut d,
            [[0.0, 0.0], [0.02, 0.01], [1.0, 0.0], [1.0, 1.0]].into_iter(),
            0.1,
            true,
        );
        assert_eq!(d, "M0 0L1 0L1 1Z");
        let mut d = String::new();
        push_line(
            &mut d,
            [[0.0, 0.0], [0.01, 0.0], [0.0, 0.02]].into_iter(),
            0.1,
            true,
        );
        assert_eq!(d, "");
    }
}

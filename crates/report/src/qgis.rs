//! QGIS as planners use it: a style file beside every layer
//! (`communities.qml` next to `communities.geojson`, which QGIS applies by
//! itself when the layer is added) and a project, `childcircle.qgs`, that opens
//! every layer in a sensible order with those styles.
//!
//! The XML is what QGIS 3 writes (QGIS 3.22 reads it, and later versions read
//! older files): `renderer-v2` with symbol layers as `prop` key/values, simple
//! labeling, field aliases. Labels use the `name` field (Chinese as mapped) in
//! a CJK font; aliases give every field an English name in the attribute table.
//! The project's paths are relative, so the output folder can be moved or
//! zipped; its canvas CRS is the data's UTM zone, so distances look right.

use crate::escape;
use crate::style::{self, Rgb};
use childcircle::analysis::Analysis;
use childcircle::findings::siting::Suggestions;
use childcircle::profile::Space;
use childcircle::write::layers::{
    community_fields, Field, COVERAGE_FIELDS, FACILITY_FIELDS, ISOCHRONE_FIELDS, SUGGESTION_FIELDS,
};

/// The version written into style and project files; QGIS upgrades older files
/// on load, so writing the oldest version the files were checked with keeps
/// them readable everywhere from there on.
const QGIS_VERSION: &str = "3.22.16-Białowieża";

/// Fonts for labels, in order of preference: QGIS takes the first installed.
const LABEL_FONT: &str = "Noto Sans CJK SC";

/// A layer of the output folder.
struct Layer {
    /// File base name: `communities` for `communities.geojson`.
    file: &'static str,
    /// Name in the layers panel.
    title: String,
    geometry: Geometry,
    /// Everything inside `<qgis>` that styles the layer.
    style: String,
}

#[derive(Clone, Copy)]
enum Geometry {
    Point,
    Polygon,
}

impl Geometry {
    fn name(self) -> &'static str {
        match self {
            Geometry::Point => "Point",
            Geometry::Polygon => "Polygon",
        }
    }

    fn wkb(self) -> &'static str {
        match self {
            Geometry::Point => "Point",
            Geometry::Polygon => "MultiPolygon",
        }
    }

    /// `QgsWkbTypes::GeometryType`, as `layerGeometryType` in style files.
    fn code(self) -> u8 {
        match self {
            Geometry::Point => 0,
            Geometry::Polygon => 2,
        }
    }
}

/// Every style file and the project: `(file name, bytes)` pairs to stage
/// beside the layers. Styles for `isochrones` and `coverage` only when the run
/// drew them; for `suggestions` only when there are suggestions.
pub fn qgis_files(a: &Analysis, suggestions: &[Suggestions]) -> Vec<(String, Vec<u8>)> {
    let layers = layers(a, !suggestions.is_empty());
    let mut files: Vec<(String, Vec<u8>)> = layers
        .iter()
        .map(|l| (format!("{}.qml", l.file), qml(l).into_bytes()))
        .collect();
    files.push(("childcircle.qgs".into(), project(a, &layers).into_bytes()));
    files
}

fn layers(a: &Analysis, suggestions: bool) -> Vec<Layer> {
    let mut layers = vec![communities(a), facilities(a)];
    if a.isochrone_options.is_some() {
        layers.push(isochrones(a));
        layers.push(coverage());
    }
    if suggestions {
        layers.push(suggestion_layer(a));
    }
    layers
}

/// A symbol layer from key/value properties.
fn symbol_layer(class: &str, props: &[(&str, String)]) -> String {
    let mut s = format!("<layer class=\"{class}\" enabled=\"1\" locked=\"0\" pass=\"0\">");
    for (k, v) in props {
        s.push_str(&format!("<prop k=\"{k}\" v=\"{}\"/>", escape(v)));
    }
    s.push_str("</layer>");
    s
}

/// A fill symbol layer: solid or hatched (`b_diagonal`) or none (`no`).
fn fill(
    style: &str,
    colour: Rgb,
    alpha: u8,
    outline: Rgb,
    outline_alpha: u8,
    width_mm: f64,
) -> String {
    symbol_layer(
        "SimpleFill",
        &[
            ("style", style.into()),
            ("color", colour.qgis(alpha)),
            ("outline_color", outline.qgis(outline_alpha)),
            (
                "outline_style",
                if width_mm > 0.0 { "solid" } else { "no" }.into(),
            ),
            ("outline_width", width_mm.to_string()),
            ("outline_width_unit", "MM".into()),
            ("joinstyle", "round".into()),
        ],
    )
}

/// A simple marker: `circle`, `square`, `star`, ...
fn marker(shape: &str, colour: Rgb, outline: Rgb, size_mm: f64) -> String {
    symbol_layer(
        "SimpleMarker",
        &[
            ("name", shape.into()),
            ("color", colour.qgis(255)),
            ("outline_color", outline.qgis(255)),
            ("outline_style", "solid".into()),
            ("outline_width", "0.3".into()),
            ("outline_width_unit", "MM".into()),
            ("size", size_mm.to_string()),
            ("size_unit", "MM".into()),
            ("scale_method", "diameter".into()),
            ("joinstyle", "bevel".into()),
        ],
    )
}

fn symbol(kind: &str, name: usize, layers: &[String]) -> String {
    format!(
        "<symbol type=\"{kind}\" name=\"{name}\" alpha=\"1\" clip_to_extent=\"1\" force_rhr=\"0\">{}</symbol>",
        layers.concat()
    )
}

/// Simple labeling of one field or expression, shown from `max_scale` (the
/// denominator, e.g. 15000 for 1:15 000) inwards; 0 for every scale.
fn labeling(
    text: &str,
    is_expression: bool,
    size_pt: f64,
    placement: u8,
    max_scale: u32,
) -> String {
    format!(
        concat!(
            "<labeling type=\"simple\"><settings calloutType=\"simple\">",
            "<text-style fieldName=\"{field}\" isExpression=\"{expr}\" fontFamily=\"{font}\" fontSize=\"{size}\" ",
            "fontSizeUnit=\"Point\" fontWeight=\"50\" fontItalic=\"0\" textColor=\"{ink}\" textOpacity=\"1\" ",
            "namedStyle=\"Regular\" multilineHeight=\"1\" allowHtml=\"0\">",
            "<text-buffer bufferDraw=\"1\" bufferSize=\"0.7\" bufferSizeUnits=\"MM\" ",
            "bufferColor=\"255,255,255,255\" bufferOpacity=\"0.85\" bufferNoFill=\"1\" bufferJoinStyle=\"128\"/>",
            "</text-style>",
            "<text-format wrapChar=\"\" multilineAlign=\"3\"/>",
            "<placement placement=\"{placement}\" dist=\"1\" distUnits=\"MM\" centroidInside=\"1\" ",
            "fitInPolygonOnly=\"0\" priority=\"5\"/>",
            "<rendering scaleVisibility=\"{visibility}\" scaleMin=\"0\" scaleMax=\"{max_scale}\" ",
            "obstacle=\"1\" upsidedownLabels=\"0\" labelPerPart=\"0\" displayAll=\"0\" drawLabels=\"1\"/>",
            "</settings></labeling>"
        ),
        field = escape(text),
        expr = u8::from(is_expression),
        font = LABEL_FONT,
        size = size_pt,
        ink = style::INK.qgis(255),
        placement = placement,
        visibility = u8::from(max_scale > 0),
        max_scale = max_scale,
    )
}

/// `<aliases>`: English names for the attribute table and forms, of the
/// layer's fields that have one (numbered among those).
fn aliases(fields: &[Field]) -> String {
    let mut s = String::from("<aliases>");
    let aliased = fields
        .iter()
        .filter_map(|f| Some((&f.name, f.alias.as_ref()?)));
    for (i, (field, alias)) in aliased.enumerate() {
        s.push_str(&format!(
            "<alias field=\"{}\" index=\"{i}\" name=\"{}\"/>",
            escape(field),
            escape(alias)
        ));
    }
    s.push_str("</aliases>");
    s
}

/// `"field"` quoted as a QGIS expression.
fn field_ref(name: &str) -> String {
    format!("\"{name}\"")
}

/// Label placement codes (`Qgis::LabelPlacement`).
const AROUND_POINT: u8 = 0;
const OVER_POINT: u8 = 1;

fn communities(a: &Analysis) -> Layer {
    let n = a.profile.categories.len();
    let f = community_fields(&a.profile);

    // Rule-based: a fill per number of categories met, and on top an outline
    // rule for life-circle communities, so the legend shows both.
    let mut rules = String::new();
    let mut symbols = String::new();
    for met in 0..=n {
        rules.push_str(&format!(
            "<rule key=\"{{met-{met}}}\" filter=\"{}\" symbol=\"{met}\" label=\"{}\"/>",
            escape(&format!("\"met\" = {met}")),
            escape(&format!("{met} 类达标 · {met} of {n} categories met")),
        ));
        symbols.push_str(&symbol(
            "fill",
            met,
            &[fill(
                "solid",
                style::met_colour(met, n),
                255,
                Rgb(255, 255, 255),
                255,
                0.15,
            )],
        ));
    }
    rules.push_str(&format!(
        "<rule key=\"{{circle}}\" filter=\"{}\" symbol=\"{}\" label=\"{}\"/>",
        escape("\"circle\""),
        n + 1,
        escape("15分钟儿童生活圈达标 · in the 15-minute life circle"),
    ));
    symbols.push_str(&symbol(
        "fill",
        n + 1,
        &[fill("no", Rgb(0, 0, 0), 0, style::CIRCLE_OUTLINE, 255, 0.7)],
    ));
    let renderer = format!(
        concat!(
            "<renderer-v2 type=\"RuleRenderer\" symbollevels=\"0\" enableorderby=\"1\" forceraster=\"0\" referencescale=\"-1\">",
            "<rules key=\"{{communities}}\">{rules}</rules><symbols>{symbols}</symbols>",
            // Large 社区 first, so the 小区 inside them draw on top.
            "<orderby><orderByClause asc=\"0\" nullsFirst=\"0\">{order}</orderByClause></orderby>",
            "</renderer-v2>"
        ),
        rules = rules,
        symbols = symbols,
        order = escape("\"area_m2\""),
    );
    let tip = format!(
        "<b>[% \"name\" %]</b><br>[% \"met\" %] / {n} · [% if(\"circle\", '生活圈达标 in the life circle', '未达标 not in the life circle') %]"
    );
    Layer {
        file: "communities",
        title: "社区 Communities".into(),
        geometry: Geometry::Polygon,
        style: format!(
            "{renderer}{}{}<previewExpression>{}</previewExpression><mapTip>{}</mapTip>",
            labeling("name", false, 7.0, OVER_POINT, 15_000),
            aliases(&f),
            escape(&field_ref("name")),
            escape(&tip),
        ),
    }
}

fn facilities(a: &Analysis) -> Layer {
    // Indoor spaces as squares (buildings), outdoor ones as circles.
    let mut categories = String::new();
    let mut symbols = String::new();
    for (k, c) in a.profile.categories.iter().enumerate() {
        let (shape, space) = match c.space {
            Space::Indoor => ("square", "室内 indoor"),
            Space::Outdoor => ("circle", "室外 outdoor"),
        };
        categories.push_str(&format!(
            "<category value=\"{}\" symbol=\"{k}\" label=\"{}\" render=\"true\"/>",
            escape(&c.id),
            escape(&format!("{} {} ({space})", c.label_zh, c.label_en)),
        ));
        symbols.push_str(&symbol(
            "marker",
            k,
            &[marker(
                shape,
                style::category_colour(k, c),
                Rgb(255, 255, 255),
                2.6,
            )],
        ));
    }
    Layer {
        file: "facilities",
        title: "儿童设施 Children's facilities".into(),
        geometry: Geometry::Point,
        style: format!(
            concat!(
                "<renderer-v2 type=\"categorizedSymbol\" attr=\"category\" symbollevels=\"0\" enableorderby=\"0\" ",
                "forceraster=\"0\" referencescale=\"-1\"><categories>{}</categories><symbols>{}</symbols></renderer-v2>",
                "{}{}<previewExpression>{}</previewExpression>"
            ),
            categories,
            symbols,
            labeling("name", false, 6.5, AROUND_POINT, 8_000),
            aliases(FACILITY_FIELDS),
            escape(&field_ref("name")),
        ),
    }
}

fn isochrones(a: &Analysis) -> Layer {
    let bands = a
        .isochrone_options
        .as_ref()
        .map_or_else(Vec::new, |o| o.bands_min.clone());
    // Graduated: band b covers (previous band, b], the shortest darkest.
    let mut ranges = String::new();
    let mut symbols = String::new();
    let mut lower = 0.0;
    for (b, &minutes) in bands.iter().enumerate() {
        let colour = style::band_colour(b, bands.len());
        ranges.push_str(&format!(
            "<range lower=\"{lower}\" upper=\"{minutes}\" symbol=\"{b}\" label=\"{}\" render=\"true\"/>",
            escape(&format!("{minutes} 分钟 · {minutes} min walk")),
        ));
        symbols.push_str(&symbol(
            "fill",
            b,
            &[fill("solid", colour, 70, colour, 200, 0.2)],
        ));
        lower = minutes;
    }
    Layer {
        file: "isochrones",
        title: "步行等时圈 Walking isochrones".into(),
        geometry: Geometry::Polygon,
        style: format!(
            concat!(
                "<renderer-v2 type=\"graduatedSymbol\" attr=\"band_min\" graduatedMethod=\"GraduatedColor\" ",
                "symbollevels=\"0\" enableorderby=\"0\" forceraster=\"0\" referencescale=\"-1\">",
                "<ranges>{}</ranges><symbols>{}</symbols><mode name=\"manual\"/></renderer-v2>",
                "{}<previewExpression>{}</previewExpression>"
            ),
            ranges,
            symbols,
            aliases(ISOCHRONE_FIELDS),
            escape("\"name\" || ' ' || \"band_min\" || ' min'"),
        ),
    }
}

fn coverage() -> Layer {
    let covered = symbol(
        "fill",
        0,
        &[fill("solid", style::COVERED, 80, style::COVERED, 200, 0.3)],
    );
    // Gaps hatched over a faint tint, so the communities beneath stay readable.
    let gap = symbol(
        "fill",
        1,
        &[
            fill("solid", style::GAP, 35, style::GAP, 0, 0.0),
            fill("b_diagonal", style::GAP, 220, style::GAP, 230, 0.3),
        ],
    );
    Layer {
        file: "coverage",
        title: "覆盖范围与缺口 Coverage and gaps".into(),
        geometry: Geometry::Polygon,
        style: format!(
            concat!(
                "<renderer-v2 type=\"categorizedSymbol\" attr=\"kind\" symbollevels=\"0\" enableorderby=\"0\" ",
                "forceraster=\"0\" referencescale=\"-1\"><categories>",
                "<category value=\"covered\" symbol=\"0\" label=\"{}\" render=\"true\"/>",
                "<category value=\"gap\" symbol=\"1\" label=\"{}\" render=\"true\"/>",
                "</categories><symbols>{}{}</symbols></renderer-v2>{}",
                "<previewExpression>{}</previewExpression>"
            ),
            escape("步行可达 · within the threshold"),
            escape("覆盖缺口 · gap: residential land outside it"),
            covered,
            gap,
            aliases(COVERAGE_FIELDS),
            escape("\"label_zh\" || ' ' || \"kind\""),
        ),
    }
}

fn suggestion_layer(a: &Analysis) -> Layer {
    let mut categories = String::new();
    let mut symbols = String::new();
    for (k, c) in a.profile.categories.iter().enumerate() {
        categories.push_str(&format!(
            "<category value=\"{}\" symbol=\"{k}\" label=\"{}\" render=\"true\"/>",
            escape(&c.id),
            escape(&format!("新建{} · new {}", c.label_zh, c.label_en)),
        ));
        let star = marker("star", style::category_colour(k, c), style::INK, 5.0);
        symbols.push_str(&symbol("marker", k, &[star]));
    }
    Layer {
        file: "suggestions",
        title: "建议新址 Suggested sites".into(),
        geometry: Geometry::Point,
        style: format!(
            concat!(
                "<renderer-v2 type=\"categorizedSymbol\" attr=\"category\" symbollevels=\"0\" enableorderby=\"0\" ",
                "forceraster=\"0\" referencescale=\"-1\"><categories>{}</categories><symbols>{}</symbols></renderer-v2>",
                "{}{}<previewExpression>{}</previewExpression>"
            ),
            categories,
            symbols,
            labeling("\"label_zh\" || ' #' || \"rank\"", true, 8.0, AROUND_POINT, 0),
            aliases(SUGGESTION_FIELDS),
            escape("\"label_zh\" || ' #' || \"rank\""),
        ),
    }
}

/// A style file: the layer's styling in a `<qgis>` document.
fn qml(l: &Layer) -> String {
    format!(
        concat!(
            "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n",
            "<qgis version=\"{}\" styleCategories=\"AllStyleCategories\" labelsEnabled=\"{}\" ",
            "hasScaleBasedVisibilityFlag=\"0\" minScale=\"100000000\" maxScale=\"0\">\n{}\n",
            "<layerGeometryType>{}</layerGeometryType>\n</qgis>\n"
        ),
        QGIS_VERSION,
        u8::from(l.style.contains("<labeling")),
        l.style,
        l.geometry.code(),
    )
}

/// WGS84 as QGIS describes it.
fn wgs84() -> String {
    concat!(
        "<spatialrefsys><proj4>+proj=longlat +datum=WGS84 +no_defs</proj4><srsid>3452</srsid>",
        "<srid>4326</srid><authid>EPSG:4326</authid><description>WGS 84</description>",
        "<projectionacronym>longlat</projectionacronym><ellipsoidacronym>EPSG:7030</ellipsoidacronym>",
        "<geographicflag>true</geographicflag></spatialrefsys>"
    )
    .to_string()
}

/// The UTM zone of a longitude/latitude, as an EPSG code (WGS 84 / UTM).
fn utm_epsg(lonlat: [f64; 2]) -> (u32, u32, bool) {
    let zone = (((lonlat[0] + 180.0) / 6.0).floor() as i64).rem_euclid(60) as u32 + 1;
    let north = lonlat[1] >= 0.0;
    (if north { 32600 } else { 32700 } + zone, zone, north)
}

/// A UTM zone as QGIS describes it. QGIS takes the CRS from `authid` when
/// `srsid` (its internal number: 3084 + zone north, 3150 + zone south) is set.
fn utm_srs(epsg: u32, zone: u32, north: bool) -> String {
    format!(
        concat!(
            "<spatialrefsys><proj4>+proj=utm +zone={zone}{south} +datum=WGS84 +units=m +no_defs</proj4>",
            "<srsid>{srsid}</srsid><srid>{epsg}</srid><authid>EPSG:{epsg}</authid><description>WGS 84 / UTM zone {zone}{ns}</description>",
            "<projectionacronym>utm</projectionacronym><ellipsoidacronym>EPSG:7030</ellipsoidacronym>",
            "<geographicflag>false</geographicflag></spatialrefsys>"
        ),
        zone = zone,
        south = if north { "" } else { " +south" },
        srsid = if north { 3084 } else { 3150 } + zone,
        epsg = epsg,
        ns = if north { "N" } else { "S" },
    )
}

/// Transverse Mercator (UTM) easting and northing of a lon/lat on WGS 84, by
/// Krüger's series to the fourth order (sub-millimetre within a zone).
fn utm(lonlat: [f64; 2], zone: u32, north: bool) -> [f64; 2] {
    let a: f64 = 6_378_137.0;
    let f: f64 = 1.0 / 298.257_223_563;
    let n = f / (2.0 - f);
    let big_a = a / (1.0 + n) * (1.0 + n * n / 4.0 + n.powi(4) / 64.0);
    let alpha = [
        n / 2.0 - 2.0 * n * n / 3.0 + 5.0 * n.powi(3) / 16.0,
        13.0 * n * n / 48.0 - 3.0 * n.powi(3) / 5.0,
        61.0 * n.powi(3) / 240.0,
    ];
    let lon0 = (f64::from(zone) * 6.0 - 183.0).to_radians();
    let (lon, lat) = (lonlat[0].to_radians() - lon0, lonlat[1].to_radians());
    let e = (f * (2.0 - f)).sqrt();
    let t = (lat.sin().atanh() - e * (e * lat.sin()).atanh()).sinh();
    let xi = t.atan2(lon.cos());
    let eta = (lon.sin() / (1.0 + t * t).sqrt()).atanh();
    let (mut x, mut y) = (eta, xi);
    for (j, al) in alpha.iter().enumerate() {
        let k = 2.0 * (j + 1) as f64;
        x += al * (k * xi).cos() * (k * eta).sinh();
        y += al * (k * xi).sin() * (k * eta).cosh();
    }
    let k0 = 0.9996;
    [
        500_000.0 + k0 * big_a * x,
        k0 * big_a * y + if north { 0.0 } else { 10_000_000.0 },
    ]
}

/// The lon/lat bounds of the communities (the study area).
fn study_bounds(a: &Analysis) -> Option<[f64; 4]> {
    use geo::BoundingRect;
    a.communities
        .iter()
        .filter_map(|c| c.polygon.bounding_rect())
        .map(|r| [r.min().x, r.min().y, r.max().x, r.max().y])
        .reduce(|p, q| {
            [
                p[0].min(q[0]),
                p[1].min(q[1]),
                p[2].max(q[2]),
                p[3].max(q[3]),
            ]
        })
}

/// One entry of the project: a layer file, optionally filtered.
struct ProjectLayer<'a> {
    layer: &'a Layer,
    id: String,
    name: String,
    subset: Option<String>,
    visible: bool,
}

/// `childcircle.qgs`: suggested sites and facilities on top, the communities
/// below, then coverage (one layer per category, off) and isochrones (off).
fn project(a: &Analysis, layers: &[Layer]) -> String {
    let (entries, coverage) = project_entries(a, layers);
    let tree = layer_tree(&entries, coverage);
    let maplayers: String = entries.iter().map(map_layer).collect();
    let (srs, [x0, y0, x1, y1]) = canvas(a);
    format!(
        concat!(
            "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n",
            "<qgis projectname=\"{title}\" version=\"{version}\">\n",
            "<homePath path=\"\"/><title>{title}</title>\n",
            "<projectCrs>{srs}</projectCrs>\n",
            "<layer-tree-group><customproperties/>{tree}</layer-tree-group>\n",
            "<mapcanvas annotationsVisible=\"1\" name=\"theMapCanvas\"><units>meters</units>",
            "<extent><xmin>{x0:.1}</xmin><ymin>{y0:.1}</ymin><xmax>{x1:.1}</xmax><ymax>{y1:.1}</ymax></extent>",
            "<rotation>0</rotation><destinationsrs>{srs}</destinationsrs><rendermaptile>0</rendermaptile></mapcanvas>\n",
            "<projectlayers>\n{maplayers}</projectlayers>\n",
            // QGIS reads <projectCrs> only with ProjectionsEnabled set.
            "<properties><Paths><Absolute type=\"bool\">false</Absolute></Paths>",
            "<SpatialRefSys><ProjectionsEnabled type=\"int\">1</ProjectionsEnabled></SpatialRefSys>",
            "<Measurement><DistanceUnits type=\"QString\">meters</DistanceUnits><AreaUnits type=\"QString\">m2</AreaUnits></Measurement>",
            "</properties>\n",
            "<projectMetadata><title>{title}</title><abstract>{abstract}</abstract>",
            "<rights>{rights}</rights></projectMetadata>\n",
            "</qgis>\n"
        ),
        title = escape("儿童15分钟生活圈 · Children's 15-minute life circle"),
        version = QGIS_VERSION,
        srs = srs,
        tree = tree,
        x0 = x0,
        y0 = y0,
        x1 = x1,
        y1 = y1,
        maplayers = maplayers,
        abstract = escape(&format!(
            "childcircle {}: {} (profile {})",
            env!("CARGO_PKG_VERSION"),
            a.extract.display(),
            a.profile.name
        )),
        rights = escape(childcircle::findings::summary::ATTRIBUTION),
    )
}

/// The project's layers, top first, and the range of them that are the
/// coverage of one category each.
fn project_entries<'l>(
    a: &Analysis,
    layers: &'l [Layer],
) -> (Vec<ProjectLayer<'l>>, std::ops::Range<usize>) {
    fn by_file<'l>(layers: &'l [Layer], file: &str) -> Option<&'l Layer> {
        layers.iter().find(|l| l.file == file)
    }
    fn plain<'l>(
        layers: &'l [Layer],
        file: &str,
        visible: bool,
        entries: &mut Vec<ProjectLayer<'l>>,
    ) {
        if let Some(l) = by_file(layers, file) {
            entries.push(ProjectLayer {
                layer: l,
                id: format!("childcircle_{file}"),
                name: l.title.clone(),
                subset: None,
                visible,
            });
        }
    }
    let mut entries: Vec<ProjectLayer> = Vec::new();
    plain(layers, "suggestions", true, &mut entries);
    plain(layers, "facilities", true, &mut entries);
    plain(layers, "communities", true, &mut entries);
    let coverage_from = entries.len();
    if let Some(l) = by_file(layers, "coverage") {
        for c in &a.profile.categories {
            entries.push(ProjectLayer {
                layer: l,
                id: format!("childcircle_coverage_{}", c.id),
                name: format!("{} {} min · {}", c.label_zh, c.minutes, c.label_en),
                subset: Some(format!("\"category\" = '{}'", c.id.replace('\'', "''"))),
                visible: false,
            });
        }
    }
    let coverage_to = entries.len();
    plain(layers, "isochrones", false, &mut entries);
    (entries, coverage_from..coverage_to)
}

/// The layers panel: the entries in order, those in `coverage` in a group.
fn layer_tree(entries: &[ProjectLayer], coverage: std::ops::Range<usize>) -> String {
    let tree_layer = |e: &ProjectLayer| {
        format!(
            "<layer-tree-layer id=\"{}\" name=\"{}\" source=\"{}\" providerKey=\"ogr\" checked=\"{}\" expanded=\"0\"><customproperties/></layer-tree-layer>",
            escape(&e.id),
            escape(&e.name),
            escape(&source(e)),
            if e.visible { "Qt::Checked" } else { "Qt::Unchecked" },
        )
    };
    let mut tree = String::new();
    for (i, e) in entries.iter().enumerate() {
        if i == coverage.start && !coverage.is_empty() {
            tree.push_str(&format!(
                "<layer-tree-group name=\"{}\" checked=\"Qt::Checked\" expanded=\"1\"><customproperties/>",
                escape("覆盖范围与缺口 Coverage and gaps")
            ));
        }
        tree.push_str(&tree_layer(e));
        if i + 1 == coverage.end && !coverage.is_empty() {
            tree.push_str("</layer-tree-group>");
        }
    }
    tree
}

/// One `<maplayer>` of the project: the entry's source, name and style.
fn map_layer(e: &ProjectLayer) -> String {
    format!(
        concat!(
            "<maplayer type=\"vector\" geometry=\"{geom}\" wkbType=\"{wkb}\" styleCategories=\"AllStyleCategories\" ",
            "labelsEnabled=\"{labels}\" hasScaleBasedVisibilityFlag=\"0\" minScale=\"100000000\" maxScale=\"0\" ",
            "readOnly=\"0\" autoRefreshEnabled=\"0\" autoRefreshTime=\"0\" refreshOnNotifyEnabled=\"0\">",
            "<id>{id}</id><datasource>{source}</datasource><layername>{name}</layername>",
            "<srs>{srs}</srs><provider encoding=\"UTF-8\">ogr</provider>",
            "<flags><Identifiable>1</Identifiable><Removable>1</Removable><Searchable>1</Searchable></flags>",
            "{style}<layerGeometryType>{code}</layerGeometryType></maplayer>\n"
        ),
        geom = e.layer.geometry.name(),
        wkb = e.layer.geometry.wkb(),
        labels = u8::from(e.layer.style.contains("<labeling")),
        id = escape(&e.id),
        source = escape(&source(e)),
        name = escape(&e.name),
        srs = wgs84(),
        style = e.layer.style,
        code = e.layer.geometry.code(),
    )
}

/// The canvas: the UTM zone of the study area's centre (as QGIS describes
/// it) and the study area's extent in it, `[xmin, ymin, xmax, ymax]`.
fn canvas(a: &Analysis) -> (String, [f64; 4]) {
    let bounds = study_bounds(a).unwrap_or([0.0, 0.0, 0.0, 0.0]);
    let centre = [(bounds[0] + bounds[2]) / 2.0, (bounds[1] + bounds[3]) / 2.0];
    let (epsg, zone, north) = utm_epsg(centre);
    let corners = [
        [bounds[0], bounds[1]],
        [bounds[0], bounds[3]],
        [bounds[2], bounds[1]],
        [bounds[2], bounds[3]],
    ]
    .map(|p| utm(p, zone, north));
    let lo = |k: usize| corners.iter().map(|c| c[k]).fold(f64::MAX, f64::min);
    let hi = |k: usize| corners.iter().map(|c| c[k]).fold(f64::MIN, f64::max);
    (utm_srs(epsg, zone, north), [lo(0), lo(1), hi(0), hi(1)])
}

/// The layer's data source, relative to the project, with its filter.
fn source(e: &ProjectLayer) -> String {
    let path = format!("./{}.geojson", e.layer.file);
    match &e.subset {
        Some(s) => format!("{path}|subset={s}"),
        None => path,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference values from PROJ (`echo 116.31 37.45 | gdaltransform -s_srs EPSG:4326 -t_srs EPSG:32650`).
    #[test]
    fn utm_matches_proj() {
        let (epsg, zone, north) = utm_epsg([116.31, 37.45]);
        assert_eq!((epsg, zone, north), (32650, 50, true));
        let [x, y] = utm([116.31, 37.45], zone, north);
        assert!((x - 438_969.817).abs() < 0.01, "{x}");
        assert!((y - 4_145_017.696).abs() < 0.01, "{y}");
        let (epsg, zone, north) = utm_epsg([-43.2, -22.9]);
        assert_eq!((epsg, zone, north), (32723, 23, false));
        let [x, y] = utm([-43.2, -22.9], zone, north);
        assert!((x - 684_623.673).abs() < 0.01, "{x}");
        assert!((y - 7_466_421.401).abs() < 0.01, "{y}");
    }
}

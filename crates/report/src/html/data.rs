//! The report map's data (`var DATA = …` in `report.html`): every layer the map
//! script draws, its colours and the words it shows.
//!
//! The data is serialised straight from the analysis to text — borrowed
//! structs in the order the script reads them, no `serde_json::Value` tree.
//! On the prefecture model the tree held every coordinate of 35 MB of JSON as a
//! boxed value, and building and dropping it was most of the report's time.
//! Keys come in the order they are written here, as `json!` with serde_json's
//! `preserve_order` wrote them, so the text is the same byte for byte.

use geo::MultiPolygon;
use serde::Serialize;

use crate::style;
use childcircle::analysis::Analysis;
use childcircle::findings::districts::District;
use childcircle::findings::siting::Suggestions;

/// Isochrones are embedded for up to this many facilities; beyond (a whole
/// prefecture) they would make the report tens of megabytes, and QGIS opens
/// `isochrones.geojson` instead.
const ISOCHRONE_FACILITIES: usize = 2000;

/// The map's data as JSON text, safe inside `<script>`.
pub(super) fn data_json(
    a: &Analysis,
    districts: Option<&[District]>,
    suggestions: &[Suggestions],
) -> String {
    let text = serde_json::to_string(&Data::new(a, districts, suggestions))
        .expect("the report's data serialises");
    script_safe(text)
}

/// JSON inside `<script>`: `</` would end the element early.
fn script_safe(json: String) -> String {
    if json.contains("</") {
        json.replace("</", "<\\/")
    } else {
        json
    }
}

fn round5(v: f64) -> f64 {
    (v * 1e5).round() / 1e5
}

/// Everything the map script draws, and the words it shows.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Data<'a> {
    limit: f64,
    categories: Vec<Category<'a>>,
    met_colours: Vec<String>,
    band_colours: Vec<String>,
    circle_outline: String,
    gap_colour: String,
    covered_colour: String,
    district_colour: String,
    attribution: &'static str,
    communities: Collection<CommunityProps<'a>>,
    facilities: Vec<FacilityPoint<'a>>,
    sites: Vec<SitePoint>,
    streets: Collection<StreetProps>,
    districts: Collection<DistrictProps<'a>>,
    coverage: Vec<CoverageOverlay>,
    isochrones: Collection<BandProps>,
    text: Words,
}

impl<'a> Data<'a> {
    fn new(
        a: &'a Analysis,
        districts: Option<&'a [District]>,
        suggestions: &[Suggestions],
    ) -> Self {
        let n = a.profile.categories.len();
        let bands = a
            .isochrone_options
            .as_ref()
            .map_or(0, |o| o.bands_min.len());
        let district_features = districts
            .unwrap_or_default()
            .iter()
            .map(|d| Feature::new(geometry(&d.polygon), DistrictProps { name: &d.name }))
            .collect();
        Data {
            limit: a.profile.max_minutes(),
            categories: categories(a),
            met_colours: (0..=n).map(|m| style::met_colour(m, n).hex()).collect(),
            band_colours: (0..bands)
                .map(|b| style::band_colour(b, bands).hex())
                .collect(),
            circle_outline: style::CIRCLE_OUTLINE.hex(),
            gap_colour: style::GAP.hex(),
            covered_colour: style::COVERED.hex(),
            district_colour: style::DISTRICT.hex(),
            attribution: "© OpenStreetMap contributors (ODbL)",
            communities: Collection::new(communities(a)),
            facilities: facilities(a),
            sites: sites(a, suggestions),
            streets: streets(a),
            districts: Collection::new(district_features),
            coverage: coverage(a),
            isochrones: Collection::new(isochrones(a)),
            text: Words::default(),
        }
    }
}

/// A GeoJSON FeatureCollection.
#[derive(Serialize)]
struct Collection<P> {
    #[serde(rename = "type")]
    kind: &'static str,
    features: Vec<Feature<P>>,
}

impl<P> Collection<P> {
    fn new(features: Vec<Feature<P>>) -> Self {
        Collection {
            kind: "FeatureCollection",
            features,
        }
    }
}

/// A GeoJSON Feature.
#[derive(Serialize)]
struct Feature<P> {
    #[serde(rename = "type")]
    kind: &'static str,
    geometry: Geometry,
    properties: P,
}

impl<P> Feature<P> {
    fn new(geometry: Geometry, properties: P) -> Self {
        Feature {
            kind: "Feature",
            geometry,
            properties,
        }
    }
}

/// A GeoJSON geometry: a MultiPolygon's polygons, rings and points, or a
/// MultiLineString's lines and points.
#[derive(Serialize)]
#[serde(tag = "type", content = "coordinates")]
enum Geometry {
    MultiPolygon(Vec<Vec<Vec<[f64; 2]>>>),
    MultiLineString(Vec<Vec<[f64; 2]>>),
}

/// A MultiPolygon at 1e-5° precision: repeated points dropped, then rings
/// with fewer than four points and polygons without a ring left.
fn geometry(mp: &MultiPolygon<f64>) -> Geometry {
    let ring = |r: &geo::LineString<f64>| -> Vec<[f64; 2]> {
        let mut pts: Vec<[f64; 2]> = r.coords().map(|c| [round5(c.x), round5(c.y)]).collect();
        pts.dedup();
        pts
    };
    Geometry::MultiPolygon(
        mp.0.iter()
            .map(|p| {
                std::iter::once(p.exterior())
                    .chain(p.interiors())
                    .map(ring)
                    .filter(|r| r.len() >= 4)
                    .collect::<Vec<_>>()
            })
            .filter(|p| !p.is_empty())
            .collect(),
    )
}

/// A district outline's name.
#[derive(Serialize)]
struct DistrictProps<'a> {
    name: &'a str,
}

/// A category: id, labels, threshold and colour.
#[derive(Serialize)]
struct Category<'a> {
    id: &'a str,
    zh: &'a str,
    en: &'a str,
    minutes: f64,
    required: bool,
    space: &'static str,
    colour: String,
}

fn categories(a: &Analysis) -> Vec<Category<'_>> {
    a.profile
        .categories
        .iter()
        .enumerate()
        .map(|(k, c)| Category {
            id: &c.id,
            zh: &c.label_zh,
            en: &c.label_en,
            minutes: c.minutes,
            required: c.required,
            space: c.space.as_str(),
            colour: style::category_colour(k, c).hex(),
        })
        .collect()
}

/// What a community's popup shows.
#[derive(Serialize)]
struct CommunityProps<'a> {
    name: &'a str,
    subdist: Option<&'a str>,
    pop: Option<f64>,
    children: Option<f64>,
    rule: &'static str,
    met: usize,
    circle: bool,
    t: Vec<Option<f64>>,
    ok: &'a [bool],
}

fn communities(a: &Analysis) -> Vec<Feature<CommunityProps<'_>>> {
    a.communities
        .iter()
        .zip(&a.coverage)
        .map(|(c, cov)| {
            let props = CommunityProps {
                name: &c.name,
                subdist: c.subdistrict.as_deref(),
                pop: c.population,
                children: c.children.map(f64::round),
                rule: c.rule,
                met: cov.met,
                circle: cov.life_circle,
                t: cov
                    .minutes
                    .iter()
                    .map(|m| m.map(|m| (m * 10.0).round() / 10.0))
                    .collect(),
                ok: &cov.covered,
            };
            Feature::new(geometry(&c.polygon), props)
        })
        .collect()
}

/// A facility point, with the communities it serves.
#[derive(Serialize)]
struct FacilityPoint<'a> {
    lon: f64,
    lat: f64,
    k: usize,
    name: Option<&'a str>,
    served: usize,
}

fn facilities(a: &Analysis) -> Vec<FacilityPoint<'_>> {
    a.facilities
        .iter()
        .zip(&a.reach)
        .map(|(f, r)| FacilityPoint {
            lon: round5(f.lonlat[0]),
            lat: round5(f.lonlat[1]),
            k: f.category,
            name: f.name.as_deref(),
            served: r.communities,
        })
        .collect()
}

/// A suggested site, with the communities it newly covers.
#[derive(Serialize)]
struct SitePoint {
    lon: f64,
    lat: f64,
    k: usize,
    colour: String,
    rank: usize,
    n: usize,
    pop: f64,
    names: String,
}

fn sites(a: &Analysis, suggestions: &[Suggestions]) -> Vec<SitePoint> {
    suggestions
        .iter()
        .flat_map(|s| {
            s.sites.iter().map(move |site| {
                let names: Vec<&str> = site
                    .newly_covered
                    .iter()
                    .map(|&i| a.communities[i].name.as_str())
                    .collect();
                SitePoint {
                    lon: round5(site.lonlat[0]),
                    lat: round5(site.lonlat[1]),
                    k: s.category,
                    colour: style::category_colour(s.category, &a.profile.categories[s.category])
                        .hex(),
                    rank: site.rank,
                    n: site.newly_covered.len(),
                    pop: site.population,
                    names: names.join("、"),
                }
            })
        })
        .collect()
}

/// A category's overlay: its covered area and its gaps.
#[derive(Serialize)]
struct CoverageOverlay {
    title: String,
    data: Collection<AreaProps>,
}

#[derive(Serialize)]
struct AreaProps {
    kind: &'static str,
}

fn coverage(a: &Analysis) -> Vec<CoverageOverlay> {
    a.coverage_areas
        .iter()
        .map(|area| {
            let c = &a.profile.categories[area.category];
            CoverageOverlay {
                title: format!("覆盖与缺口 · {} {} min", c.label_zh, c.minutes),
                data: Collection::new(vec![
                    Feature::new(geometry(&area.covered), AreaProps { kind: "covered" }),
                    Feature::new(geometry(&area.gap), AreaProps { kind: "gap" }),
                ]),
            }
        })
        .collect()
}

#[derive(Serialize)]
struct BandProps {
    b: usize,
}

/// The isochrone bands, largest first, when there are few enough facilities
/// to embed them ([`ISOCHRONE_FACILITIES`]); else none.
fn isochrones(a: &Analysis) -> Vec<Feature<BandProps>> {
    let embedded = if a.isochrones.len() <= ISOCHRONE_FACILITIES {
        &a.isochrones[..]
    } else {
        &[]
    };
    embedded
        .iter()
        .flat_map(|bs| {
            bs.iter()
                .enumerate()
                .rev()
                .map(|(b, band)| Feature::new(geometry(&band.polygon), BandProps { b }))
        })
        .collect()
}

#[derive(Serialize)]
struct StreetProps {
    major: bool,
}

/// The walking network for the report's map: minor ways and major roads as
/// two MultiLineStrings, each edge simplified (Douglas–Peucker, about 5 m)
/// and at 1e-5° precision, as the static map draws it.
fn streets(a: &Analysis) -> Collection<StreetProps> {
    use childcircle::osm::walkable::WayClass;
    use geo::Simplify;
    let g = &a.graph;
    let mut minor: Vec<Vec<[f64; 2]>> = Vec::new();
    let mut major: Vec<Vec<[f64; 2]>> = Vec::new();
    for e in 0..g.edges().len() as u32 {
        let line: geo::LineString<f64> = g
            .shape(e)
            .iter()
            .map(|p| {
                let [x, y] = g.projection().unproject([f64::from(p[0]), f64::from(p[1])]);
                geo::Coord { x, y }
            })
            .collect();
        let mut pts: Vec<[f64; 2]> = line
            .simplify(5e-5)
            .coords()
            .map(|c| [round5(c.x), round5(c.y)])
            .collect();
        pts.dedup();
        if pts.len() < 2 {
            continue;
        }
        match g.edges()[e as usize].class {
            WayClass::Collector | WayClass::Arterial => major.push(pts),
            _ => minor.push(pts),
        }
    }
    let feature =
        |lines, major| Feature::new(Geometry::MultiLineString(lines), StreetProps { major });
    Collection::new(vec![feature(minor, false), feature(major, true)])
}

/// The words the map script shows, in Chinese and English.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Words {
    communities: &'static str,
    facilities: &'static str,
    streets: &'static str,
    sites: &'static str,
    districts: &'static str,
    isochrones: &'static str,
    population: &'static str,
    met: &'static str,
    in_circle: &'static str,
    not_in_circle: &'static str,
    category: &'static str,
    walk: &'static str,
    threshold: &'static str,
    optional: &'static str,
    served: &'static str,
    new_site: &'static str,
    newly_covered: &'static str,
}

impl Default for Words {
    fn default() -> Self {
        Words {
            communities: "社区 Communities",
            facilities: "儿童设施 Facilities",
            streets: "步行网络 Walking network",
            sites: "建议新址 Suggested sites",
            districts: "区县界 Districts",
            isochrones: "步行等时圈 Isochrones",
            population: "人口 population",
            met: "类达标 categories met",
            in_circle: "生活圈达标 in the life circle",
            not_in_circle: "未达标 not in the life circle",
            category: "类别 category",
            walk: "步行(分钟) walk (min)",
            threshold: "标准 limit",
            optional: "可选 optional",
            served: "服务社区 communities served:",
            new_site: "建议新建",
            newly_covered: "新覆盖社区 newly covered:",
        }
    }
}

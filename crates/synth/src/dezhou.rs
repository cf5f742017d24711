//! Dezhou itself: the embedded administrative data, the Grand Canal and
//! the Beijing–Shanghai railway, the central city, and (for the
//! prefecture) county towns, villages and the rural road grid.
//!
//! Outlines come from `districts.geojson`; subdistrict, community and
//! village names and codes from the official division lists, so that the
//! engine's reports read like reports about the real city.

use super::city::{plan_city, CityOut, CitySpec, GreenKind, GreenSpec, RoadName, SubdistrictSpec};
use std::collections::HashMap;

use super::layout::{Barrier, BarrierKind, LineId, LineStyle, Outline, Planner, Pt, SlotId};
use super::{Model, Projection, Region, Rng, SynthError, SynthOptions, Tags};

const DISTRICTS_GEOJSON: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../data/dezhou/districts.geojson"
));
const TOWNS_CSV: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../data/dezhou/dezhou_streets_towns.csv"
));
const VILLAGES_CSV: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../data/dezhou/dezhou_villages_communities.csv"
));
const PLACES_CSV: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../data/dezhou/dezhou_bbox_places.csv"
));

/// 德城区, the urban district.
const DECHENG: &str = "371402";
/// The city centre (GeoNames "Dezhou"), origin of the local projection.
const CENTRE: (f64, f64) = (116.31, 37.45);

/// 南运河 (the Grand Canal) through 德城区, south to north (lon, lat).
const CANAL: &[(f64, f64)] = &[
    (116.2980, 37.290),
    (116.2915, 37.310),
    (116.2875, 37.330),
    (116.2850, 37.350),
    (116.2830, 37.375),
    (116.2815, 37.400),
    (116.2795, 37.414),
    (116.2770, 37.430),
    (116.2760, 37.450),
    (116.2810, 37.470),
    (116.2920, 37.488),
    (116.2935, 37.500),
    (116.2960, 37.512),
    (116.2940, 37.525),
    (116.2950, 37.540),
    (116.2990, 37.555),
];

/// 京沪铁路 through the prefecture, south to north (lon, lat).
const RAILWAY: &[(f64, f64)] = &[
    (116.760, 36.600),
    (116.700, 36.800),
    (116.640, 36.930),
    (116.530, 37.060),
    (116.430, 37.170),
    (116.345, 37.280),
    (116.305, 37.360),
    (116.297, 37.410),
    (116.2925, 37.450),
    (116.2960, 37.480),
    (116.3030, 37.510),
    (116.3120, 37.550),
];

pub(crate) fn build(opts: &SynthOptions) -> Result<Model, SynthError> {
    if opts.region == Region::Province {
        return crate::province::build(opts, |seed| {
            build(&SynthOptions {
                region: Region::Prefecture,
                seed,
            })
        });
    }
    let data = Data::load()?;
    let proj = Projection {
        lon0: CENTRE.0,
        lat0: CENTRE.1,
    };
    let mut model = Model::new(proj);
    let mut plan = Planner::default();
    match opts.region {
        Region::Decheng => build_decheng(&data, opts.seed, &mut plan, &mut model)?,
        Region::Prefecture => build_prefecture(&data, opts.seed, &mut plan, &mut model)?,
        Region::Province => unreachable!("built above from prefectures"),
    }
    plan.build(&mut model);
    Ok(model)
}

fn build_decheng(
    data: &Data,
    seed: u64,
    plan: &mut Planner,
    model: &mut Model,
) -> Result<(), SynthError> {
    let proj = model.proj;
    let district = data.district(DECHENG)?;
    let outline = district.outline(&proj);
    let spec = central_city_spec(data, &proj, (5000.0, 4000.0, 4200.0, 4200.0))?;
    add_barriers(plan, model, &outline, &outline, -5200.0, 5200.0);
    plan_city(&spec, &outline, seed, plan, model);
    Ok(())
}

fn build_prefecture(
    data: &Data,
    seed: u64,
    plan: &mut Planner,
    model: &mut Model,
) -> Result<(), SynthError> {
    let proj = model.proj;
    let union = prefecture_outline(data, &proj);
    let outlines: Vec<Outline> = data.districts.iter().map(|d| d.outline(&proj)).collect();
    let decheng_ix = data
        .districts
        .iter()
        .position(|d| d.adcode == DECHENG)
        .ok_or_else(|| SynthError::Data("德城区 missing".into()))?;
    add_barriers(
        plan,
        model,
        &outlines[decheng_ix],
        &union,
        f64::MIN,
        f64::MAX,
    );

    let mut cities = Vec::new();
    let spec = central_city_spec(data, &proj, (7000.0, 7000.0, 7000.0, 6500.0))?;
    cities.push(plan_city(&spec, &outlines[decheng_ix], seed, plan, model));
    for (d, district) in data.districts.iter().enumerate() {
        if d != decheng_ix {
            let centre = county_seat(data, &outlines[d], &proj);
            let spec = county_town_spec(data, district, centre);
            cities.push(plan_city(&spec, &outlines[d], seed, plan, model));
        }
    }
    let grid = RuralGrid::plan(&union, &cities, seed, plan);
    for city in &cities {
        grid.connect_city(plan, &union, city);
    }
    place_villages(data, &outlines, &cities, &grid, &union, seed, plan, model);
    Ok(())
}

// ---- the central city --------------------------------------------------------

fn road(stem: &'static str, kind: &'static str, segmented: bool) -> RoadName {
    RoadName {
        stem,
        kind,
        segmented,
    }
}

/// 德城区's five subdistricts (街道) with their official communities, each
/// seeded where it lies and with its share of services and new housing.
fn central_subdistricts(
    data: &Data,
    proj: &Projection,
) -> Result<Vec<SubdistrictSpec>, SynthError> {
    // (name, seed lon/lat, service, newness): 运河 west along the canal,
    // 新湖 the old centre, 新华 north, 天衢 east, 广川 south-east.
    let layout = [
        ("新湖街道", (116.298, 37.443), 0.85, 0.15),
        ("新华街道", (116.312, 37.478), 0.9, 0.45),
        ("天衢街道", (116.346, 37.458), 1.25, 0.85),
        ("广川街道", (116.330, 37.418), 1.1, 0.7),
        ("运河街道", (116.272, 37.445), 0.7, 0.3),
    ];
    let at = |lon: f64, lat: f64| proj.to_local(lon, lat);
    let mut subdistricts = Vec::new();
    for (name, (lon, lat), service, newness) in layout {
        let town = data.town(DECHENG, name)?;
        subdistricts.push(SubdistrictSpec {
            name: name.to_owned(),
            code: town.code.clone(),
            seed: at(lon, lat),
            service,
            newness,
            communities: data.communities(&town.code),
        });
    }
    Ok(subdistricts)
}

/// 德州's central city: the five subdistricts (街道) of 德城区 with their
/// official communities, real arterial names and the best-known parks.
/// `extent` is (west, east, south, north) in metres from the centre.
fn central_city_spec(
    data: &Data,
    proj: &Projection,
    extent: (f64, f64, f64, f64),
) -> Result<CitySpec, SynthError> {
    let at = |lon: f64, lat: f64| proj.to_local(lon, lat);
    let subdistricts = central_subdistricts(data, proj)?;
    let green = |name: &str, lon: f64, lat: f64, kind: GreenKind| GreenSpec {
        name: name.to_owned(),
        at: at(lon, lat),
        kind,
    };
    Ok(CitySpec {
        key: 0x371402,
        centre: at(CENTRE.0, CENTRE.1),
        west: extent.0,
        east: extent.1,
        south: extent.2,
        north: extent.3,
        spacing: (560.0, 900.0),
        ns_names: vec![
            road("西环", "路", false),
            road("运河", "大街", false),
            road("铁西", "大街", false),
            road("湖滨", "大道", true),
            road("新湖", "大街", false),
            road("解放", "大道", false),
            road("德兴", "大道", true),
            road("岔河", "大道", false),
            road("长河", "大道", false),
            road("晶华", "大道", false),
            road("迎宾", "大道", false),
            road("崇德", "大道", false),
            road("东方红", "路", false),
            road("尚德", "大道", false),
        ],
        ew_names: vec![
            road("大学", "路", true),
            road("广川", "大道", false),
            road("董子", "路", false),
            road("三八", "路", true),
            road("新河", "路", false),
            road("天衢", "路", true),
            road("东风", "路", true),
            road("红星", "路", false),
            road("北园", "路", false),
            road("新华", "路", false),
            road("建设", "街", false),
            road("德州", "大道", true),
            road("北环", "路", false),
        ],
        prefix: "德州市".to_owned(),
        subdistricts,
        greens: vec![
            green("新湖风景区", 116.296, 37.447, GreenKind::LakePark),
            green("董子园", 116.305, 37.434, GreenKind::Park),
            green("长河公园", 116.345, 37.440, GreenKind::Park),
            green("儿童公园", 116.321, 37.463, GreenKind::ChildrenPark),
            green("运河公园", 116.266, 37.440, GreenKind::Park),
            green("德州市体育中心", 116.352, 37.420, GreenKind::SportsCentre),
        ],
        library: Some(("德州市图书馆".to_owned(), at(116.335, 37.447))),
        crossing_every: 2,
        footbridges: 3,
        diagonals: 2,
    })
}

/// Adds the canal and the railway (as map features and as barriers for
/// walkable ways), clipped to their areas and to `y_min..y_max`.
fn add_barriers(
    plan: &mut Planner,
    model: &mut Model,
    canal_area: &Outline,
    rail_area: &Outline,
    y_min: f64,
    y_max: f64,
) {
    let proj = model.proj;
    let keep = |p: &Pt| p.y >= y_min && p.y <= y_max;
    let canal = inside_run(
        &smooth(&to_local(&proj, CANAL), 40.0),
        canal_area,
        120.0,
        keep,
    );
    if canal.len() >= 2 {
        let water = Tags::new()
            .with("natural", "water")
            .with("water", "canal")
            .with("name", "南运河");
        model.add_area(&ribbon(&canal, 22.0), water);
        let tags = Tags::new()
            .with("waterway", "canal")
            .with("name", "南运河")
            .with("alt_name", "京杭大运河");
        model.add_line(&canal, tags);
        plan.barriers
            .push(Barrier::new(canal, 45.0, BarrierKind::Water));
    }
    let rail = inside_run(
        &smooth(&to_local(&proj, RAILWAY), 60.0),
        rail_area,
        60.0,
        keep,
    );
    if rail.len() >= 2 {
        let tags = Tags::new()
            .with("railway", "rail")
            .with("name", "京沪铁路")
            .with("usage", "main")
            .with("gauge", "1435")
            .with("electrified", "contact_line");
        model.add_line(&rail, tags);
        plan.barriers
            .push(Barrier::new(rail, 25.0, BarrierKind::Rail));
    }
}

fn to_local(proj: &Projection, pts: &[(f64, f64)]) -> Vec<Pt> {
    pts.iter()
        .map(|&(lon, lat)| proj.to_local(lon, lat))
        .collect()
}

/// Catmull–Rom spline through the control points, sampled every ~`step` m.
fn smooth(ctrl: &[Pt], step: f64) -> Vec<Pt> {
    let n = ctrl.len();
    let get = |i: isize| ctrl[i.clamp(0, n as isize - 1) as usize];
    let mut out = vec![ctrl[0]];
    for i in 0..n as isize - 1 {
        let (p0, p1, p2, p3) = (get(i - 1), get(i), get(i + 1), get(i + 2));
        let samples = (p1.dist(p2) / step).ceil().max(1.0) as usize;
        for k in 1..=samples {
            let t = k as f64 / samples as f64;
            let (t2, t3) = (t * t, t * t * t);
            let c = p1 * 2.0
                + (p2 - p0) * t
                + (p0 * 2.0 - p1 * 5.0 + p2 * 4.0 - p3) * t2
                + (p1 * 3.0 - p0 - p2 * 3.0 + p3) * t3;
            out.push(c * 0.5);
        }
    }
    out
}

/// The longest run of consecutive points inside `outline` (with margin)
/// that also satisfy `keep`.
fn inside_run(pts: &[Pt], outline: &Outline, margin: f64, keep: impl Fn(&Pt) -> bool) -> Vec<Pt> {
    let mut best: Vec<Pt> = Vec::new();
    let mut current: Vec<Pt> = Vec::new();
    for p in pts {
        if keep(p) && outline.contains_with_margin(*p, margin) {
            current.push(*p);
        } else {
            if current.len() > best.len() {
                best = std::mem::take(&mut current);
            }
            current.clear();
        }
    }
    if current.len() > best.len() {
        best = current;
    }
    best
}

/// A band of half-width `w` around a polyline, as an open ring.
fn ribbon(line: &[Pt], w: f64) -> Vec<Pt> {
    let n = line.len();
    let normal = |i: usize| {
        let a = line[i.saturating_sub(1)];
        let b = line[(i + 1).min(n - 1)];
        (b - a).unit().perp()
    };
    let left = (0..n).map(|i| line[i] + normal(i) * w);
    let right: Vec<Pt> = (0..n).map(|i| line[i] - normal(i) * w).collect();
    let mut ring: Vec<Pt> = right;
    ring.extend(left.rev());
    ring
}

// ---- the prefecture: county towns, villages, rural roads ----------------------

/// The outer outline of the whole prefecture (union of all districts,
/// without the slivers between them), so that rural roads and the railway
/// run on across county borders.
fn prefecture_outline(data: &Data, proj: &Projection) -> Outline {
    use geo::{Coord, LineString, Polygon};
    let polygons: Vec<Polygon<f64>> = data
        .districts
        .iter()
        .flat_map(|d| {
            d.rings
                .iter()
                .take(1)
                .chain(d.rings.iter().skip(1).filter(|r| r.len() > 50))
        })
        .map(|r| {
            let coords: Vec<Coord<f64>> = to_local(proj, r)
                .into_iter()
                .map(|p| Coord { x: p.x, y: p.y })
                .collect();
            Polygon::new(LineString::from(coords), vec![])
        })
        .collect();
    let union = geo::unary_union(&polygons);
    let rings: Vec<Vec<Pt>> = union
        .0
        .iter()
        .map(|p| p.exterior().0.iter().map(|c| Pt::new(c.x, c.y)).collect())
        .collect();
    Outline::new(&rings)
}

/// The county seat: a GeoNames town inside the county if there is one,
/// else the point deepest inside the county outline.
fn county_seat(data: &Data, outline: &Outline, proj: &Projection) -> Pt {
    let pole = deepest_point(outline);
    data.places
        .iter()
        .map(|(lon, lat, _)| proj.to_local(*lon, *lat))
        .filter(|&p| outline.contains_with_margin(p, 2500.0))
        .min_by(|a, b| a.dist(pole).total_cmp(&b.dist(pole)))
        .unwrap_or(pole)
}

fn deepest_point(outline: &Outline) -> Pt {
    let (min, max) = outline.bounds();
    let mut best = (f64::MIN, min.lerp(max, 0.5));
    for i in 1..40 {
        for j in 1..40 {
            let p = Pt::new(
                min.x + (max.x - min.x) * i as f64 / 40.0,
                min.y + (max.y - min.y) * j as f64 / 40.0,
            );
            if outline.contains(p) {
                let d = outline.boundary_distance(p);
                if d > best.0 {
                    best = (d, p);
                }
            }
        }
    }
    best.1
}

/// A county town's subdistricts: its 街道 (or, failing those, its first
/// town), seeded on a ring around the seat at `centre`.
fn county_subdistricts(data: &Data, district: &District, centre: Pt) -> Vec<SubdistrictSpec> {
    let mut towns: Vec<&Division> = data
        .towns
        .iter()
        .filter(|t| t.area == district.adcode && t.name.ends_with("街道"))
        .collect();
    if towns.is_empty() {
        towns.extend(
            data.towns
                .iter()
                .filter(|t| t.area == district.adcode)
                .take(1),
        );
    }
    let mut rng = Rng::derive(district.adcode.parse().unwrap_or(0), 0xC0);
    let n = towns.len().max(1) as f64;
    towns
        .iter()
        .enumerate()
        .map(|(k, t)| {
            // Seeds on a ring around the seat, so each 街道 gets a sector.
            let a = k as f64 / n;
            let dir = ring_direction(a);
            SubdistrictSpec {
                name: t.name.clone(),
                code: t.code.clone(),
                seed: if towns.len() == 1 {
                    centre
                } else {
                    centre + dir * 1200.0
                },
                service: rng.range(0.7, 1.2),
                newness: rng.range(0.3, 0.8),
                communities: data.communities(&t.code),
            }
        })
        .collect()
}

/// A county town: its 街道 (or, failing those, its first town) as
/// subdistricts around the seat, with generic street names.
fn county_town_spec(data: &Data, district: &District, centre: Pt) -> CitySpec {
    let short = district
        .name
        .trim_end_matches(['县', '区', '市'])
        .to_owned();
    let subdistricts = county_subdistricts(data, district, centre);
    let names = |list: &[&'static str]| {
        list.iter()
            .map(|s| road(s, "路", false))
            .collect::<Vec<_>>()
    };
    CitySpec {
        key: district.adcode.parse().unwrap_or(1),
        centre,
        west: 2800.0,
        east: 2800.0,
        south: 2600.0,
        north: 2600.0,
        spacing: (520.0, 650.0),
        ns_names: names(&[
            "西环", "向阳", "人民", "建设", "文化", "迎宾", "振兴", "东环", "开发", "经二", "经三",
        ]),
        ew_names: names(&[
            "南环", "育才", "胜利", "解放", "中心", "新华", "兴业", "北环", "纬二", "纬三", "纬四",
        ]),
        prefix: district.name.clone(),
        subdistricts,
        greens: vec![
            GreenSpec {
                name: format!("{short}人民公园"),
                at: centre + Pt::new(-600.0, 300.0),
                kind: GreenKind::Park,
            },
            GreenSpec {
                name: format!("{}体育中心", district.name),
                at: centre + Pt::new(1500.0, -1200.0),
                kind: GreenKind::SportsCentre,
            },
        ],
        library: Some((
            format!("{}图书馆", district.name),
            centre + Pt::new(300.0, 500.0),
        )),
        crossing_every: 2,
        footbridges: 0,
        diagonals: 0,
    }
}

/// A unit vector at fraction `a` of a full turn, from a polynomial
/// approximation (no platform trigonometry, see the module docs).
fn ring_direction(a: f64) -> Pt {
    // Walk the perimeter of a square and normalise: good enough to spread seeds.
    let t = (a.fract() * 4.0) as usize;
    let f = a.fract() * 4.0 - t as f64;
    let p = match t {
        0 => Pt::new(1.0, -1.0 + 2.0 * f),
        1 => Pt::new(1.0 - 2.0 * f, 1.0),
        2 => Pt::new(-1.0, 1.0 - 2.0 * f),
        _ => Pt::new(-1.0 + 2.0 * f, -1.0),
    };
    p.unit()
}

/// The rural road grid: jittered lines every ~1.8 km across the whole
/// prefecture, kept out of towns (they connect at the town's edge).
struct RuralGrid {
    origin: Pt,
    step: f64,
    nx: usize,
    ny: usize,
    junction: Vec<Option<SlotId>>,
    /// (east–west edge from (i,j), north–south edge from (i,j)).
    edges: Vec<(Option<LineId>, Option<LineId>)>,
}

const RURAL_STEP: f64 = 1800.0;

impl RuralGrid {
    fn plan(union: &Outline, cities: &[CityOut], seed: u64, plan: &mut Planner) -> RuralGrid {
        let (min, max) = union.bounds();
        let (nx, ny) = (
            ((max.x - min.x) / RURAL_STEP) as usize + 2,
            ((max.y - min.y) / RURAL_STEP) as usize + 2,
        );
        let mut rng = Rng::derive(seed, 0x52_55_52_41_4C);
        let in_town = |p: Pt| {
            cities
                .iter()
                .any(|c| p.x > c.min.x && p.x < c.max.x && p.y > c.min.y && p.y < c.max.y)
        };
        let mut pts = Vec::with_capacity(nx * ny);
        for j in 0..ny {
            for i in 0..nx {
                let jitter = Pt::new(rng.range(-250.0, 250.0), rng.range(-250.0, 250.0));
                pts.push(min + Pt::new(i as f64 * RURAL_STEP, j as f64 * RURAL_STEP) + jitter);
            }
        }
        let active: Vec<bool> = pts
            .iter()
            .map(|&p| union.contains_with_margin(p, 80.0) && !in_town(p))
            .collect();
        let mut grid = RuralGrid {
            origin: min,
            step: RURAL_STEP,
            nx,
            ny,
            junction: vec![None; nx * ny],
            edges: vec![(None, None); nx * ny],
        };
        for j in 0..ny {
            for i in 0..nx {
                let a = i + j * nx;
                for (b, horizontal) in [
                    (i + 1 < nx).then_some(a + 1),
                    (j + 1 < ny).then_some(a + nx),
                ]
                .into_iter()
                .zip([true, false])
                {
                    let Some(b) = b else { continue };
                    let along = if horizontal { j } else { i };
                    let crosses_town = (1..8).any(|k| in_town(pts[a].lerp(pts[b], k as f64 / 8.0)));
                    if !active[a]
                        || !active[b]
                        || crosses_town
                        || !union.covers(&[pts[a], pts[b]], 50.0, 200.0)
                    {
                        continue;
                    }
                    let style = rural_road_style(horizontal, along, &mut rng);
                    let (ja, jb) = (
                        grid.junction_at(plan, a, pts[a]),
                        grid.junction_at(plan, b, pts[b]),
                    );
                    let line = Some(plan.link(ja, jb, style));
                    if horizontal {
                        grid.edges[a].0 = line;
                    } else {
                        grid.edges[a].1 = line;
                    }
                }
            }
        }
        grid
    }

    fn junction_at(&mut self, plan: &mut Planner, k: usize, p: Pt) -> SlotId {
        *self.junction[k].get_or_insert_with(|| plan.slot(p))
    }

    /// Grid roads near `p` (the 3×3 grid cells around it).
    fn nearby_edges(&self, p: Pt) -> Vec<LineId> {
        let ci = ((p.x - self.origin.x) / self.step).floor() as isize;
        let cj = ((p.y - self.origin.y) / self.step).floor() as isize;
        let mut out = Vec::new();
        for j in cj - 1..=cj + 1 {
            for i in ci - 1..=ci + 1 {
                if i >= 0 && j >= 0 && (i as usize) < self.nx && (j as usize) < self.ny {
                    let (h, v) = self.edges[i as usize + j as usize * self.nx];
                    out.extend(h);
                    out.extend(v);
                }
            }
        }
        out
    }

    /// The point on the nearest grid road, as (road, arc length, distance).
    fn nearest(&self, plan: &Planner, p: Pt) -> Option<(LineId, f64, f64)> {
        self.nearby_edges(p)
            .into_iter()
            .map(|l| {
                let s = plan.locate(l, p);
                (l, s, plan.point_at(l, s).dist(p))
            })
            .min_by(|a, b| a.2.total_cmp(&b.2))
    }

    /// Links each outer junction of a town to the nearest grid road.
    fn connect_city(&self, plan: &mut Planner, union: &Outline, city: &CityOut) {
        for &gate in &city.gateways {
            let p = plan.slot_pos(gate);
            let Some((line, s, d)) = self.nearest(plan, p) else {
                continue;
            };
            if d < 2500.0 && union.covers(&[p, plan.point_at(line, s)], 30.0, 100.0) {
                let at = plan.attach(line, s);
                plan.link(
                    gate,
                    at,
                    LineStyle::new(Tags::new().with("highway", "tertiary"), 40.0),
                );
            }
        }
    }
}

fn rural_road_style(horizontal: bool, along: usize, rng: &mut Rng) -> LineStyle {
    let axis = if horizontal { "东西" } else { "南北" };
    let (highway, name) = match along % 6 {
        0 => ("secondary", Some(format!("省道{}{}线", axis, along))),
        3 => ("tertiary", Some(format!("县道{}{}线", axis, along))),
        _ if rng.chance(0.15) => ("track", None),
        _ => ("unclassified", None),
    };
    let mut tags = Tags::new().with("highway", highway);
    if let Some(name) = name {
        tags.set("name", name);
    }
    let style = LineStyle::new(tags, 30.0);
    // Main rural roads pass under the railway; farm roads stop at it.
    if along % 3 == 0 {
        style.crossing()
    } else {
        style
    }
}

/// Places every village (村) of the official lists inside its county,
/// clustered around a seed point per township, away from towns.
#[allow(clippy::too_many_arguments)]
fn place_villages(
    data: &Data,
    outlines: &[Outline],
    cities: &[CityOut],
    grid: &RuralGrid,
    union: &Outline,
    seed: u64,
    plan: &mut Planner,
    model: &mut Model,
) {
    let mut rng = Rng::derive(seed, 0x5649_4C4C);
    let mut taken: HashMap<(i64, i64), Vec<Pt>> = HashMap::new();
    let in_town = |p: Pt| {
        cities.iter().any(|c| {
            p.x > c.min.x - 400.0
                && p.x < c.max.x + 400.0
                && p.y > c.min.y - 400.0
                && p.y < c.max.y + 400.0
        })
    };
    for (d, district) in data.districts.iter().enumerate() {
        let outline = &outlines[d];
        let area_codes: &[&str] = if district.adcode == DECHENG {
            &[DECHENG, "371471"]
        } else {
            &[district.adcode.as_str()]
        };
        let towns: Vec<&Division> = data
            .towns
            .iter()
            .filter(|t| area_codes.contains(&t.area.as_str()))
            .collect();
        let (min, max) = outline.bounds();
        let spread = ((max.x - min.x) * (max.y - min.y) / towns.len().max(1) as f64).sqrt() * 0.45;
        for town in towns {
            let centre = random_point_in(outline, &mut rng, |p| !in_town(p), 1500.0);
            let villages: Vec<(String, &Division)> = data
                .villages
                .iter()
                .filter(|v| v.parent == town.code)
                .filter_map(|v| village_name(&v.name).map(|n| (n, v)))
                .collect();
            for (name, v) in villages {
                let Some(at) = free_spot(outline, &mut rng, centre, spread, &mut taken, &in_town)
                else {
                    continue;
                };
                plan_village(
                    plan, model, grid, union, &mut rng, at, &name, &v.code, &town.name,
                );
            }
        }
    }
}

/// A random point inside `outline` (with margin) satisfying `ok`.
fn random_point_in(outline: &Outline, rng: &mut Rng, ok: impl Fn(Pt) -> bool, margin: f64) -> Pt {
    let (min, max) = outline.bounds();
    for _ in 0..500 {
        let p = Pt::new(rng.range(min.x, max.x), rng.range(min.y, max.y));
        if outline.contains_with_margin(p, margin) && ok(p) {
            return p;
        }
    }
    deepest_point(outline)
}

/// A village site near `centre`, inside the county and at least 500 m
/// from every other village; the search widens when the area is crowded.
fn free_spot(
    outline: &Outline,
    rng: &mut Rng,
    centre: Pt,
    spread: f64,
    taken: &mut HashMap<(i64, i64), Vec<Pt>>,
    in_town: &impl Fn(Pt) -> bool,
) -> Option<Pt> {
    const MIN_GAP: f64 = 500.0;
    let cell = |p: Pt| ((p.x / 1000.0).floor() as i64, (p.y / 1000.0).floor() as i64);
    for attempt in 0..80 {
        let r = spread * (1.0 + attempt as f64 / 20.0);
        let p = centre + Pt::new(rng.range(-r, r), rng.range(-r, r));
        if !outline.contains_with_margin(p, 350.0) || in_town(p) {
            continue;
        }
        let (cx, cy) = cell(p);
        let crowded = (cx - 1..=cx + 1).any(|x| {
            (cy - 1..=cy + 1).any(|y| {
                taken
                    .get(&(x, y))
                    .is_some_and(|v| v.iter().any(|q| q.dist(p) < MIN_GAP))
            })
        });
        if !crowded {
            taken.entry((cx, cy)).or_default().push(p);
            return Some(p);
        }
    }
    None
}

/// A village's lanes: `nx` by `ny` crossings `spacing` apart around `centre`,
/// rows along `dir` and columns along `up`.
struct VillageGrid {
    centre: Pt,
    dir: Pt,
    up: Pt,
    spacing: f64,
    nx: usize,
    ny: usize,
}

impl VillageGrid {
    /// The point at lane coordinates `i`, `j` (fractions fall between lanes).
    fn at(&self, i: f64, j: f64) -> Pt {
        self.centre
            + self.dir * ((i - (self.nx - 1) as f64 / 2.0) * self.spacing)
            + self.up * ((j - (self.ny - 1) as f64 / 2.0) * self.spacing)
    }

    /// The row of the main street.
    fn main_row(&self) -> usize {
        self.ny / 2
    }
}

/// A village: a small, slightly rotated grid of lanes inside a
/// `landuse=residential` outline, a `place=village` node, a road to the
/// rural grid, and (sometimes) a village school or kindergarten.
#[allow(clippy::too_many_arguments)]
fn plan_village(
    plan: &mut Planner,
    model: &mut Model,
    grid: &RuralGrid,
    union: &Outline,
    rng: &mut Rng,
    centre: Pt,
    name: &str,
    code: &str,
    town: &str,
) {
    let (nx, ny) = (3 + rng.below(3), 2 + rng.below(3));
    let spacing = rng.range(65.0, 95.0);
    let dir = Pt::new(1.0, rng.range(-0.35, 0.35)).unit();
    let lanes = VillageGrid {
        centre,
        dir,
        up: dir.perp(),
        spacing,
        nx,
        ny,
    };
    let slots: Vec<Vec<SlotId>> = (0..nx)
        .map(|i| {
            (0..ny)
                .map(|j| plan.slot(lanes.at(i as f64, j as f64)))
                .collect()
        })
        .collect();
    let main_row = lanes.main_row();
    village_lanes(plan, rng, &slots, name, main_row);
    village_place(model, &lanes, name, code, town);
    village_exit(plan, grid, union, slots[0][main_row]);
    village_facilities(model, rng, name, |di, dj| {
        lanes.at((nx - 1) as f64 / 2.0 + di, main_row as f64 + dj)
    });
}

#[allow(clippy::needless_range_loop)] // rows and columns of `slots`
/// The village's lanes through `slots` (columns of crossings): the main
/// street along `main_row`, the other rows residential streets or footways,
/// the columns residential streets or tracks.
fn village_lanes(
    plan: &mut Planner,
    rng: &mut Rng,
    slots: &[Vec<SlotId>],
    name: &str,
    main_row: usize,
) {
    let (nx, ny) = (slots.len(), slots[0].len());
    for j in 0..ny {
        let tags = if j == main_row {
            Tags::new()
                .with("highway", "residential")
                .with("name", format!("{name}大街"))
        } else {
            Tags::new().with(
                "highway",
                if rng.chance(0.7) {
                    "residential"
                } else {
                    "footway"
                },
            )
        };
        let row: Vec<SlotId> = (0..nx).map(|i| slots[i][j]).collect();
        plan.path(&row, LineStyle::new(tags, 20.0));
    }
    for column in slots {
        let tags = Tags::new().with(
            "highway",
            if rng.chance(0.6) {
                "residential"
            } else {
                "track"
            },
        );
        plan.path(column, LineStyle::new(tags, 20.0));
    }
}

/// The village's `landuse=residential` outline around its lanes and its
/// `place=village` node by the main street.
fn village_place(model: &mut Model, lanes: &VillageGrid, name: &str, code: &str, town: &str) {
    let (nx, ny, spacing) = (lanes.nx, lanes.ny, lanes.spacing);
    let margin = 30.0;
    let (lo, hi) = (-margin / spacing, (nx - 1) as f64 + margin / spacing);
    let (blo, bhi) = (-margin / spacing, (ny - 1) as f64 + margin / spacing);
    let outline = [
        lanes.at(lo, blo),
        lanes.at(hi, blo),
        lanes.at(hi, bhi),
        lanes.at(lo, bhi),
    ];
    model.add_area(
        &outline,
        Tags::new()
            .with("landuse", "residential")
            .with("name", name.to_owned()),
    );
    let label = lanes.at((nx - 1) as f64 / 2.0 + 0.5, lanes.main_row() as f64 + 0.3);
    model.add_node(
        label,
        Tags::new()
            .with("place", "village")
            .with("name", name.to_owned())
            .with("ref", code.to_owned())
            .with("is_in:town", town.to_owned()),
    );
}

/// The road out of the village from `exit` (the end of the main street) to
/// the nearest rural road, if that is near and inside the union.
fn village_exit(plan: &mut Planner, grid: &RuralGrid, union: &Outline, exit: SlotId) {
    let p = plan.slot_pos(exit);
    if let Some((line, s, d)) = grid.nearest(plan, p) {
        if d < 3000.0 && union.covers(&[p, plan.point_at(line, s)], 30.0, 100.0) {
            let join = plan.attach(line, s);
            plan.link(
                exit,
                join,
                LineStyle::new(Tags::new().with("highway", "unclassified"), 40.0),
            );
        }
    }
}

fn village_facilities(model: &mut Model, rng: &mut Rng, name: &str, near: impl Fn(f64, f64) -> Pt) {
    let stem = name.trim_end_matches('村');
    let add = |model: &mut Model, p: Pt, tags: Tags| {
        model.add_node(p, tags);
        model.facilities += 1;
    };
    if rng.chance(0.18) {
        add(
            model,
            near(-0.5, 0.5),
            Tags::new()
                .with("amenity", "school")
                .with("name", format!("{stem}小学")),
        );
    }
    if rng.chance(0.15) {
        add(
            model,
            near(0.5, -0.5),
            Tags::new()
                .with("amenity", "kindergarten")
                .with("name", format!("{stem}幼儿园")),
        );
    }
    if rng.chance(0.3) {
        add(
            model,
            near(-0.5, -0.5),
            Tags::new()
                .with("amenity", "community_centre")
                .with("name", format!("{name}党群服务中心")),
        );
    }
    if rng.chance(0.08) {
        add(
            model,
            near(0.5, 0.5),
            Tags::new().with("leisure", "playground"),
        );
    }
}

// ---- embedded data -----------------------------------------------------------

pub(crate) struct District {
    pub adcode: String,
    pub name: String,
    /// Rings in (lon, lat).
    pub rings: Vec<Vec<(f64, f64)>>,
}

impl District {
    fn outline(&self, proj: &Projection) -> Outline {
        let rings: Vec<Vec<Pt>> = self.rings.iter().map(|r| to_local(proj, r)).collect();
        Outline::new(&rings)
    }
}

/// A row of the official division lists.
#[derive(Debug, Clone)]
pub(crate) struct Division {
    pub code: String,
    pub name: String,
    /// `areaCode` for towns, `streetCode` for villages and communities.
    pub parent: String,
    pub area: String,
}

pub(crate) struct Data {
    pub districts: Vec<District>,
    pub towns: Vec<Division>,
    pub villages: Vec<Division>,
    /// GeoNames places as (lon, lat, name).
    pub places: Vec<(f64, f64, String)>,
}

impl Data {
    pub fn load() -> Result<Data, SynthError> {
        Ok(Data {
            districts: parse_districts(DISTRICTS_GEOJSON)?,
            towns: parse_csv(TOWNS_CSV, |f| Division {
                code: f[0].into(),
                name: f[1].into(),
                parent: f[2].into(),
                area: f[2].into(),
            })?,
            villages: parse_csv(VILLAGES_CSV, |f| Division {
                code: f[0].into(),
                name: f[1].into(),
                parent: f[2].into(),
                area: f[5].into(),
            })?,
            places: parse_csv(PLACES_CSV, |f| {
                (
                    f[1].parse().unwrap_or(0.0),
                    f[0].parse().unwrap_or(0.0),
                    f[2].to_owned(),
                )
            })?,
        })
    }

    fn district(&self, adcode: &str) -> Result<&District, SynthError> {
        self.districts
            .iter()
            .find(|d| d.adcode == adcode)
            .ok_or_else(|| SynthError::Data(format!("district {adcode} missing")))
    }

    fn town(&self, area: &str, name: &str) -> Result<&Division, SynthError> {
        self.towns
            .iter()
            .find(|t| t.area == area && t.name == name)
            .ok_or_else(|| SynthError::Data(format!("town {name} of {area} missing")))
    }

    /// Official communities (社区) of a subdistrict or town, as
    /// (short name, code), in code order.
    pub fn communities(&self, town_code: &str) -> Vec<(String, String)> {
        self.villages
            .iter()
            .filter(|v| v.parent == town_code)
            .filter_map(|v| community_name(&v.name).map(|n| (n, v.code.clone())))
            .collect()
    }
}

/// 尉署社区居委会 → 尉署社区; `None` for villages.
pub(crate) fn community_name(official: &str) -> Option<String> {
    ["社区居委会", "社区居民委员会"]
        .iter()
        .find_map(|suffix| official.strip_suffix(suffix))
        .map(|stem| format!("{stem}社区"))
}

/// 新园村委会 / 小屯村村委会 / 兴牧村村民委员 → 新园村 / 小屯村 / 兴牧村;
/// `None` for communities.
pub(crate) fn village_name(official: &str) -> Option<String> {
    if community_name(official).is_some()
        || official.contains("居委会")
        || official.contains("居民委员会")
    {
        return None;
    }
    let stem = ["村民委员会", "村民委员", "村委会", "委员会", "委会"]
        .iter()
        .find_map(|suffix| official.strip_suffix(suffix))
        .unwrap_or(official);
    Some(if stem.ends_with('村') {
        stem.to_owned()
    } else {
        format!("{stem}村")
    })
}

fn parse_csv<T>(text: &str, row: impl Fn(&[&str]) -> T) -> Result<Vec<T>, SynthError> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line
            .split(',')
            .map(|f| f.trim().trim_matches('"'))
            .collect();
        if fields.len() < 3 {
            return Err(SynthError::Data(format!(
                "CSV line {} has {} fields",
                n + 1,
                fields.len()
            )));
        }
        out.push(row(&fields));
    }
    Ok(out)
}

fn parse_districts(text: &str) -> Result<Vec<District>, SynthError> {
    let bad = |what: &str| SynthError::Data(format!("districts.geojson: {what}"));
    let json: serde_json::Value = serde_json::from_str(text).map_err(|e| bad(&e.to_string()))?;
    let features = json["features"]
        .as_array()
        .ok_or_else(|| bad("no features"))?;
    let mut out = Vec::new();
    for f in features {
        let prop = |k: &str| {
            f["properties"][k]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| bad("missing property"))
        };
        let geometry = &f["geometry"];
        let polygons = match geometry["type"].as_str() {
            Some("MultiPolygon") => geometry["coordinates"]
                .as_array()
                .cloned()
                .unwrap_or_default(),
            Some("Polygon") => vec![geometry["coordinates"].clone()],
            _ => return Err(bad("unsupported geometry")),
        };
        let mut rings = Vec::new();
        for poly in &polygons {
            for ring in poly.as_array().ok_or_else(|| bad("bad polygon"))? {
                let pts: Option<Vec<(f64, f64)>> = ring
                    .as_array()
                    .ok_or_else(|| bad("bad ring"))?
                    .iter()
                    .map(|c| Some((c[0].as_f64()?, c[1].as_f64()?)))
                    .collect();
                rings.push(pts.ok_or_else(|| bad("bad coordinate"))?);
            }
        }
        out.push(District {
            adcode: prop("adcode")?,
            name: prop("name")?,
            rings,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_normalised() {
        assert_eq!(
            community_name("尉署社区居委会").as_deref(),
            Some("尉署社区")
        );
        assert_eq!(community_name("新园村委会"), None);
        assert_eq!(village_name("新园村委会").as_deref(), Some("新园村"));
        assert_eq!(village_name("小屯村村委会").as_deref(), Some("小屯村"));
        assert_eq!(village_name("兴牧村村民委员").as_deref(), Some("兴牧村"));
        assert_eq!(village_name("苏陈村").as_deref(), Some("苏陈村"));
        assert_eq!(village_name("尉署社区居委会"), None);
    }

    #[test]
    fn embedded_data_loads() {
        let data = Data::load().unwrap();
        assert_eq!(data.districts.len(), 11);
        assert_eq!(data.communities("371402001").len(), 19);
        assert!(data.places.iter().any(|p| p.2 == "Dezhou"));
    }

    #[test]
    fn canal_and_railway_stay_inside_decheng() {
        let data = Data::load().unwrap();
        let proj = Projection {
            lon0: CENTRE.0,
            lat0: CENTRE.1,
        };
        let outline = data.district(DECHENG).unwrap().outline(&proj);
        let canal = smooth(&to_local(&proj, CANAL), 40.0);
        let inside = inside_run(&canal, &outline, 120.0, |_| true);
        let first = proj.to_lonlat(inside[0]);
        let last = proj.to_lonlat(*inside.last().unwrap());
        assert!(
            first.1 < 37.33 && last.1 > 37.53,
            "canal inside from {first:?} to {last:?}"
        );
    }
}

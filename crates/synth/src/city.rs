//! Urban layout: the arterial mesh, superblocks, compounds, facilities and
//! communities of one Chinese city (德州 itself or a county town).
//!
//! A northern Chinese city is a coarse grid of wide arterials every
//! 500–1000 m enclosing *superblocks*; inside them collectors and lanes
//! split the land into walled compounds (小区) that are entered through a
//! few gates. The generator mirrors that: a jittered mesh of junctions
//! gives the arterials, each quad of the mesh is a superblock laid out in
//! its own bilinear `(u, v)` coordinates, and the resulting lots become
//! compounds, schools, kindergartens and other facilities. Facility density
//! follows a smooth "service level" field so that some neighbourhoods are
//! well served and others (old town, periphery) are not, which is what
//! makes coverage analysis interesting.

use std::collections::HashMap;

use geo::{BooleanOps, Coord, LineString, MultiPolygon, Polygon};

use super::layout::{
    bilinear, centroid, inset_quad, polygon_area, LineId, LineStyle, Outline, Planner, Pt, SlotId,
    Vertex,
};
use super::{MemberType, Model, Rng, Tags};

// ---- specification -----------------------------------------------------------

/// An arterial name: `stem` + optional direction + `kind`, e.g. 东风 + 中 + 路.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RoadName {
    pub stem: &'static str,
    pub kind: &'static str,
    /// Long roads are split into 西/中/东 (or 北/中/南) sections.
    pub segmented: bool,
}

pub(crate) struct SubdistrictSpec {
    pub name: String,
    pub code: String,
    /// Voronoi seed: each superblock belongs to the nearest subdistrict seed.
    pub seed: Pt,
    /// Relative facility provision (1 = average).
    pub service: f64,
    /// 0 = old danwei housing, 1 = recent high-rise developments.
    pub newness: f64,
    /// Official communities as `(name, 12-digit code)`.
    pub communities: Vec<(String, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GreenKind {
    Park,
    LakePark,
    ChildrenPark,
    SportsCentre,
}

pub(crate) struct GreenSpec {
    pub name: String,
    pub at: Pt,
    pub kind: GreenKind,
}

pub(crate) struct CitySpec {
    pub key: u64,
    pub centre: Pt,
    /// Extent of the arterial mesh around `centre`, metres.
    pub west: f64,
    pub east: f64,
    pub south: f64,
    pub north: f64,
    /// Arterial spacing near the centre and at the edge, metres.
    pub spacing: (f64, f64),
    /// Names for north–south arterials (west to east) and east–west
    /// arterials (south to north); numbered 经/纬 roads fill any shortfall.
    pub ns_names: Vec<RoadName>,
    pub ew_names: Vec<RoadName>,
    /// Prefix of public institutions, e.g. 德州市 or 宁津县.
    pub prefix: String,
    pub subdistricts: Vec<SubdistrictSpec>,
    pub greens: Vec<GreenSpec>,
    pub library: Option<(String, Pt)>,
    /// Every n-th east–west arterial bridges the canal / passes under the railway.
    pub crossing_every: usize,
    /// Footbridges over primary arterials to create (centre first).
    pub footbridges: usize,
    /// Diagonal roads (chains of superblocks cut corner to corner).
    pub diagonals: usize,
}

/// What the rural generator needs to connect a city to the countryside.
pub(crate) struct CityOut {
    /// Junctions on the outer ring of the mesh.
    pub gateways: Vec<SlotId>,
    /// Bounding box of the mesh (rural roads stay out of it).
    pub min: Pt,
    pub max: Pt,
}

// ---- vocabulary --------------------------------------------------------------

const STREET_STEMS: &[&str] = &[
    "文化", "建设", "红星", "振华", "商贸", "兴华", "康宁", "崇德", "百花", "育才", "顺河", "平安",
    "和平", "光明", "健康", "青年", "花园", "朝阳", "向阳", "胜利", "团结", "民主", "友谊", "前进",
    "北园", "南关", "东关", "西关", "北营", "南营", "新华", "惠民", "锦华", "丰华", "安居", "永安",
    "迎春", "广场", "车站", "工农",
];

const COMPOUND_STEMS: &[&str] = &[
    "康乐", "湖滨", "御河", "锦绣", "阳光", "幸福", "和平", "建设", "文化", "新华", "运河", "天衢",
    "广川", "长河", "德兴", "东方", "金色", "明珠", "星凯", "华宇", "泰和", "祥和", "永庆", "兴文",
    "尚德", "学府", "盛世", "绿城", "中央", "澳德", "东风", "三八", "天元", "红星", "铁西", "岔河",
    "碧水", "青年", "香榭", "温馨", "紫御", "滨河", "丽景", "怡景", "金都", "银座", "国棉", "电业",
    "粮食", "交通", "邮电", "物资", "教育", "供销", "水利", "财苑", "瑞园", "嘉和", "鑫源", "恒丰",
    "凯旋", "新城", "怡和", "龙溪", "翰林", "润德", "福园", "馨园", "翠苑", "华庭", "海德", "昊天",
    "董子", "贵和", "富力",
];

const OLD_SUFFIXES: &[&str] = &["小区", "小区", "宿舍", "新村", "家属院", "小区"];
const NEW_SUFFIXES: &[&str] = &[
    "花园", "家园", "郡府", "嘉园", "华庭", "名苑", "公馆", "府", "城", "雅居",
];
const SPECIAL_COMPOUNDS: &[&str] = &[
    "水木清华",
    "御河郡府",
    "湖滨花园",
    "康乐小区",
    "澳德乐时代广场",
    "天衢丽景",
];

fn cn_number(n: usize) -> String {
    const DIGITS: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        100.. => n.to_string(),
        0..=9 => DIGITS[n].to_owned(),
        10 => "十".to_owned(),
        11..=19 => format!("十{}", DIGITS[n % 10]),
        _ if n % 10 == 0 => format!("{}十", DIGITS[n / 10]),
        _ => format!("{}十{}", DIGITS[n / 10], DIGITS[n % 10]),
    }
}

// ---- working state -----------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Arterial,
    Collector,
    Local,
    Foot,
}

/// Kind of the interior street on a superblock's middle line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Spine {
    None,
    Collector,
    Local,
    Footway,
    Pedestrian,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Variant {
    Regular,
    Diagonal,
    Green(usize),
}

/// A quad with its corner junctions and the street on each side
/// (sides run counter-clockwise: bottom, right, top, left).
#[derive(Debug, Clone, Copy)]
struct Block {
    q: [Pt; 4],
    corners: [SlotId; 4],
    sides: [LineId; 4],
}

impl Block {
    fn width(&self) -> f64 {
        (self.q[0].dist(self.q[1]) + self.q[3].dist(self.q[2])) / 2.0
    }

    fn height(&self) -> f64 {
        (self.q[0].dist(self.q[3]) + self.q[1].dist(self.q[2])) / 2.0
    }
}

struct Superblock {
    i: usize,
    j: usize,
    block: Block,
    sub: usize,
    variant: Variant,
    u_spine: Spine,
    v_spine: Spine,
}

/// The street running along one side of a lot, as an arc-length range.
#[derive(Debug, Clone, Copy)]
struct Front {
    line: LineId,
    s0: f64,
    s1: f64,
    class: Class,
}

/// A lot between streets, waiting for a use.
struct Lot {
    q: [Pt; 4],
    front: [Option<Front>; 4],
    sub: usize,
    centre: Pt,
    area: f64,
}

enum Use {
    Compound,
    School { name: String, level: u8 },
    Kindergarten(String),
    Library(String),
    Pitch(String),
}

/// A built compound, remembered for communities and point facilities.
struct CompoundInfo {
    centre: Pt,
    population: f64,
    sub: usize,
    stem: &'static str,
    /// Spots just inside the main gate where point facilities go.
    spot: Pt,
    spot_dir: Pt,
    used_spots: usize,
}

struct Mesh {
    nx: usize,
    ny: usize,
    pts: Vec<Pt>,
    active: Vec<bool>,
    junction: Vec<Option<SlotId>>,
    /// East–west edge from (i,j) to (i+1,j), indexed `i + j * nx`.
    h_edge: Vec<Option<LineId>>,
    /// North–south edge from (i,j) to (i,j+1).
    v_edge: Vec<Option<LineId>>,
    col_spine: Vec<f64>,
    row_spine: Vec<f64>,
    ns_primary: Vec<bool>,
    ew_primary: Vec<bool>,
}

impl Mesh {
    fn at(&self, i: usize, j: usize) -> usize {
        i + j * self.nx
    }
}

struct City<'a> {
    spec: &'a CitySpec,
    outline: &'a Outline,
    seed: u64,
    rng: Rng,
    mesh: Mesh,
    blocks: Vec<Superblock>,
    lots: Vec<Lot>,
    compounds: Vec<CompoundInfo>,
    used_names: std::collections::HashSet<String>,
    footbridge_edges: std::collections::HashSet<LineId>,
    footbridge_tops: HashMap<LineId, SlotId>,
    /// Counters for numbered institutions (第一中学, 第二实验小学, ...).
    middle_no: usize,
    primary_no: usize,
    kinder_no: usize,
}

/// Lays out one city into the planner (streets, lots) and the model
/// (points, communities). Nothing is created outside `outline`.
pub(crate) fn plan_city(
    spec: &CitySpec,
    outline: &Outline,
    seed: u64,
    plan: &mut Planner,
    model: &mut Model,
) -> CityOut {
    let mut rng = Rng::derive(seed, spec.key);
    let mesh = make_mesh(spec, outline, &mut rng);
    let mut city = City {
        spec,
        outline,
        seed,
        rng,
        mesh,
        blocks: Vec::new(),
        lots: Vec::new(),
        compounds: Vec::new(),
        used_names: Default::default(),
        footbridge_edges: Default::default(),
        footbridge_tops: HashMap::new(),
        middle_no: 0,
        primary_no: 0,
        kinder_no: 0,
    };
    city.build_arterials(plan);
    city.choose_superblocks(plan);
    city.choose_footbridges();
    for b in 0..city.blocks.len() {
        city.layout_superblock(plan, model, b);
    }
    city.allocate_lots(plan, model);
    city.place_communities(model);
    city.outputs()
}

fn make_mesh(spec: &CitySpec, outline: &Outline, rng: &mut Rng) -> Mesh {
    let xs = line_positions(-spec.west, spec.east, spec.spacing, rng);
    let ys = line_positions(-spec.south, spec.north, spec.spacing, rng);
    let (nx, ny) = (xs.len(), ys.len());
    let shear_x: Vec<f64> = (0..nx).map(|_| rng.range(-0.03, 0.03)).collect();
    let shear_y: Vec<f64> = (0..ny).map(|_| rng.range(-0.03, 0.03)).collect();
    let mut pts = Vec::with_capacity(nx * ny);
    let mut active = Vec::with_capacity(nx * ny);
    for &y in &ys {
        for (i, &x) in xs.iter().enumerate() {
            let j = pts.len() / nx;
            let jitter = Pt::new(rng.range(-35.0, 35.0), rng.range(-35.0, 35.0));
            let p = spec.centre + Pt::new(x + shear_x[i] * y, y + shear_y[j] * x) + jitter;
            active.push(outline.contains_with_margin(p, 60.0));
            pts.push(p);
        }
    }
    Mesh {
        nx,
        ny,
        pts,
        active,
        junction: vec![None; nx * ny],
        h_edge: vec![None; nx * ny],
        v_edge: vec![None; nx * ny],
        col_spine: (0..nx).map(|_| rng.range(0.42, 0.58)).collect(),
        row_spine: (0..ny).map(|_| rng.range(0.42, 0.58)).collect(),
        ns_primary: (0..nx).map(|i| i % 3 == 1 || rng.chance(0.2)).collect(),
        ew_primary: (0..ny).map(|j| j % 3 == 1 || rng.chance(0.2)).collect(),
    }
}

/// Arterial positions from `lo` to `hi`: dense near 0, sparse outside.
fn line_positions(lo: f64, hi: f64, (core, edge): (f64, f64), rng: &mut Rng) -> Vec<f64> {
    let mut out = vec![lo + rng.range(0.0, 80.0)];
    loop {
        let last = *out.last().unwrap();
        let spacing = core + (edge - core) * (last.abs() / 4000.0).min(1.0);
        let next = last + spacing * rng.range(0.85, 1.15);
        if next > hi {
            return out;
        }
        out.push(next);
    }
}

fn smoothstep(e0: f64, e1: f64, x: f64) -> f64 {
    let t = ((x - e0) / (e1 - e0)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

/// Streets get a shape node every ~16 m, like hand-mapped OSM ways.
fn street_style(tags: Tags) -> LineStyle {
    LineStyle::new(tags, 16.0)
}

fn footway() -> Tags {
    Tags::new().with("highway", "footway")
}

impl City<'_> {
    // ---- arterials -------------------------------------------------------

    fn build_arterials(&mut self, plan: &mut Planner) {
        let (nx, ny) = (self.mesh.nx, self.mesh.ny);
        for j in 0..ny {
            for i in 0..nx - 1 {
                let (a, b) = (self.mesh.at(i, j), self.mesh.at(i + 1, j));
                let every = self.spec.crossing_every.max(1);
                let may_cross = j % every == every / 2;
                if let Some(line) = self.arterial_edge(plan, a, b, false, j, may_cross) {
                    self.mesh.h_edge[a] = Some(line);
                }
            }
        }
        for i in 0..nx {
            for j in 0..ny - 1 {
                let (a, b) = (self.mesh.at(i, j), self.mesh.at(i, j + 1));
                if let Some(line) = self.arterial_edge(plan, a, b, true, i, false) {
                    self.mesh.v_edge[a] = Some(line);
                }
            }
        }
        self.add_signals(plan);
    }

    fn arterial_edge(
        &mut self,
        plan: &mut Planner,
        a: usize,
        b: usize,
        ns: bool,
        k: usize,
        may_cross: bool,
    ) -> Option<LineId> {
        let (pa, pb) = (self.mesh.pts[a], self.mesh.pts[b]);
        if !self.mesh.active[a]
            || !self.mesh.active[b]
            || !self.outline.covers(&[pa, pb], 40.0, 60.0)
        {
            return None;
        }
        let tags = self.arterial_tags(ns, k, pa.lerp(pb, 0.5));
        let mut style = street_style(tags);
        style.may_cross = may_cross;
        let (ja, jb) = (self.junction(plan, a), self.junction(plan, b));
        Some(plan.link(ja, jb, style))
    }

    fn junction(&mut self, plan: &mut Planner, m: usize) -> SlotId {
        if let Some(s) = self.mesh.junction[m] {
            return s;
        }
        let s = plan.slot(self.mesh.pts[m]);
        self.mesh.junction[m] = Some(s);
        s
    }

    fn arterial_tags(&mut self, ns: bool, k: usize, mid: Pt) -> Tags {
        let primary = if ns {
            self.mesh.ns_primary[k]
        } else {
            self.mesh.ew_primary[k]
        };
        let rel = mid - self.spec.centre;
        let name = self.arterial_name(ns, k, rel);
        let mut rng = Rng::derive(self.seed, self.spec.key ^ ((k as u64) << 20) ^ ns as u64);
        let mut tags = Tags::new()
            .with("highway", if primary { "primary" } else { "secondary" })
            .with("name", name);
        if primary {
            tags.set("lanes", "6");
            tags.set("maxspeed", "60");
        } else {
            tags.set("lanes", "4");
            if rng.chance(0.5) {
                tags.set("maxspeed", "50");
            }
        }
        if rng.chance(if primary { 0.95 } else { 0.85 }) {
            tags.set("sidewalk", "both");
        }
        tags
    }

    fn arterial_name(&self, ns: bool, k: usize, rel: Pt) -> String {
        let names = if ns {
            &self.spec.ns_names
        } else {
            &self.spec.ew_names
        };
        let Some(n) = names.get(k) else {
            return format!("{}{}路", if ns { "经" } else { "纬" }, cn_number(k + 1));
        };
        if !n.segmented {
            return format!("{}{}", n.stem, n.kind);
        }
        let along = if ns { rel.y } else { rel.x };
        let part = match (ns, along) {
            (true, y) if y > 1500.0 => "北",
            (true, y) if y < -1500.0 => "南",
            (false, x) if x > 1500.0 => "东",
            (false, x) if x < -1500.0 => "西",
            _ => "中",
        };
        format!("{}{}{}", n.stem, part, n.kind)
    }

    /// Traffic signals at arterial junctions, with signalised pedestrian
    /// crossings just before the junction on each approach.
    fn add_signals(&mut self, plan: &mut Planner) {
        for j in 0..self.mesh.ny {
            for i in 0..self.mesh.nx {
                let m = self.mesh.at(i, j);
                let Some(slot) = self.mesh.junction[m] else {
                    continue;
                };
                let major = self.mesh.ns_primary[i] as u8 + self.mesh.ew_primary[j] as u8;
                let signals = match major {
                    2 => true,
                    1 => self.rng.chance(0.7),
                    _ => self.rng.chance(0.3),
                };
                let uncontrolled = !signals && self.rng.chance(0.5);
                if !signals && !uncontrolled {
                    continue;
                }
                if signals {
                    plan.tag_slot(slot, "highway", "traffic_signals");
                }
                let crossing = if signals {
                    "traffic_signals"
                } else {
                    "uncontrolled"
                };
                for (line, at_start) in self.incident_edges(i, j) {
                    let len = plan.length(line);
                    if len > 80.0 {
                        let s = if at_start { 16.0 } else { len - 16.0 };
                        let c = plan.attach(line, s);
                        plan.tag_slot(c, "highway", "crossing");
                        plan.tag_slot(c, "crossing", crossing);
                    }
                }
            }
        }
    }

    /// Edges meeting at junction (i,j), with whether they start there.
    fn incident_edges(&self, i: usize, j: usize) -> Vec<(LineId, bool)> {
        let m = &self.mesh;
        let mut out = Vec::new();
        out.extend(m.h_edge[m.at(i, j)].map(|l| (l, true)));
        out.extend(m.v_edge[m.at(i, j)].map(|l| (l, true)));
        if i > 0 {
            out.extend(m.h_edge[m.at(i - 1, j)].map(|l| (l, false)));
        }
        if j > 0 {
            out.extend(m.v_edge[m.at(i, j - 1)].map(|l| (l, false)));
        }
        out
    }

    // ---- superblocks -----------------------------------------------------

    fn choose_superblocks(&mut self, plan: &Planner) {
        let m = &self.mesh;
        for j in 0..m.ny - 1 {
            for i in 0..m.nx - 1 {
                let sides = [
                    m.h_edge[m.at(i, j)],
                    m.v_edge[m.at(i + 1, j)],
                    m.h_edge[m.at(i, j + 1)],
                    m.v_edge[m.at(i, j)],
                ];
                let (Some(s0), Some(s1), Some(s2), Some(s3)) =
                    (sides[0], sides[1], sides[2], sides[3])
                else {
                    continue;
                };
                let ids = [
                    m.at(i, j),
                    m.at(i + 1, j),
                    m.at(i + 1, j + 1),
                    m.at(i, j + 1),
                ];
                let block = Block {
                    q: ids.map(|k| m.pts[k]),
                    corners: ids.map(|k| m.junction[k].unwrap()),
                    sides: [s0, s1, s2, s3],
                };
                let sub = self.subdistrict_of(centroid(&block.q));
                let mut rng = Rng::derive(
                    self.seed,
                    self.spec.key ^ ((i as u64) << 32) ^ ((j as u64) << 48),
                );
                let (u_spine, v_spine) = (random_spine(&mut rng), random_spine(&mut rng));
                self.blocks.push(Superblock {
                    i,
                    j,
                    block,
                    sub,
                    variant: Variant::Regular,
                    u_spine,
                    v_spine,
                });
            }
        }
        self.choose_greens(plan);
        self.choose_diagonals();
    }

    fn subdistrict_of(&self, p: Pt) -> usize {
        let subs = &self.spec.subdistricts;
        (0..subs.len())
            .min_by(|&a, &b| p.dist(subs[a].seed).total_cmp(&p.dist(subs[b].seed)))
            .unwrap_or(0)
    }

    /// Whether a polygon comes within `extra` metres of a barrier's
    /// clearance (sampling its outline is enough: barriers are long lines
    /// that cannot hide inside a lot).
    fn near_barrier(&self, pts: &[Pt], plan: &Planner, extra: f64) -> bool {
        plan.barriers.iter().any(|b| {
            (0..pts.len()).any(|k| {
                let (p, q) = (pts[k], pts[(k + 1) % pts.len()]);
                let n = (p.dist(q) / 15.0).ceil().max(1.0) as usize;
                (0..n).any(|s| b.distance(p.lerp(q, s as f64 / n as f64)) < b.clearance + extra)
            })
        })
    }

    /// Parks and sports centres take the whole superblock nearest to their
    /// intended location.
    fn choose_greens(&mut self, plan: &Planner) {
        let barrier_free: Vec<bool> = self
            .blocks
            .iter()
            .map(|b| !self.near_barrier(&b.block.q, plan, 0.0))
            .collect();
        for (g, green) in self.spec.greens.iter().enumerate() {
            let best = (0..self.blocks.len())
                .filter(|&b| self.blocks[b].variant == Variant::Regular && barrier_free[b])
                .min_by(|&a, &b| {
                    let da = centroid(&self.blocks[a].block.q).dist(green.at);
                    let db = centroid(&self.blocks[b].block.q).dist(green.at);
                    da.total_cmp(&db)
                });
            if let Some(b) = best {
                self.blocks[b].variant = Variant::Green(g);
            }
        }
    }

    /// A few diagonal roads: chains of superblocks cut corner to corner.
    fn choose_diagonals(&mut self) {
        let index: HashMap<(usize, usize), usize> = self
            .blocks
            .iter()
            .enumerate()
            .map(|(k, b)| ((b.i, b.j), k))
            .collect();
        let mut starts: Vec<usize> = (0..self.blocks.len()).collect();
        self.rng.shuffle(&mut starts);
        let mut made = 0;
        for start in starts {
            if made >= self.spec.diagonals {
                break;
            }
            let (i, j) = (self.blocks[start].i, self.blocks[start].j);
            let chain: Vec<usize> = (0..3)
                .map_while(|k| index.get(&(i + k, j + k)).copied())
                .collect();
            if chain.len() == 3
                && chain
                    .iter()
                    .all(|&b| self.blocks[b].variant == Variant::Regular)
            {
                for b in chain {
                    self.blocks[b].variant = Variant::Diagonal;
                }
                made += 1;
            }
        }
    }

    /// Footbridges go where footway spines of two superblocks meet across a
    /// primary arterial, preferring the centre.
    fn choose_footbridges(&mut self) {
        let index: HashMap<(usize, usize), usize> = self
            .blocks
            .iter()
            .enumerate()
            .map(|(k, b)| ((b.i, b.j), k))
            .collect();
        let mut candidates: Vec<(f64, usize, usize)> = Vec::new();
        for (k, b) in self.blocks.iter().enumerate() {
            let Some(&above) = index.get(&(b.i, b.j + 1)) else {
                continue;
            };
            let both_regular =
                b.variant == Variant::Regular && self.blocks[above].variant == Variant::Regular;
            if both_regular && self.mesh.ew_primary[b.j + 1] {
                let d = b.block.q[2].dist(self.spec.centre);
                candidates.push((d, k, above));
            }
        }
        candidates.sort_by(|a, b| a.0.total_cmp(&b.0));
        for &(_, below, above) in candidates.iter().step_by(2).take(self.spec.footbridges) {
            self.blocks[below].u_spine = Spine::Footway;
            self.blocks[above].u_spine = Spine::Footway;
            self.footbridge_edges
                .insert(self.blocks[below].block.sides[2]);
        }
    }

    fn layout_superblock(&mut self, plan: &mut Planner, model: &mut Model, b: usize) {
        match self.blocks[b].variant {
            Variant::Regular => self.layout_regular(plan, b),
            Variant::Diagonal => self.layout_diagonal(plan, b),
            Variant::Green(g) => self.layout_green(plan, model, b, g),
        }
    }

    // ---- regular superblocks --------------------------------------------

    /// Interior line positions along one axis: the spine (shared by the
    /// whole column/row of superblocks, so streets continue across the
    /// arterial) plus lanes halfway to the edges in large blocks.
    fn interior_lines(&mut self, spine: Spine, at: f64, size: f64) -> Vec<(f64, Spine, bool)> {
        let mut out = Vec::new();
        let lanes = size > 760.0;
        if lanes && self.rng.chance(0.8) {
            out.push((
                at / 2.0 + self.rng.range(-0.04, 0.04),
                self.random_lane(),
                false,
            ));
        }
        if spine != Spine::None {
            out.push((at, spine, true));
        }
        if lanes && self.rng.chance(0.8) {
            out.push((
                (1.0 + at) / 2.0 + self.rng.range(-0.04, 0.04),
                self.random_lane(),
                false,
            ));
        }
        out
    }

    fn random_lane(&mut self) -> Spine {
        if self.rng.chance(0.2) {
            Spine::Footway
        } else {
            Spine::Local
        }
    }

    fn spine_tags(&mut self, kind: Spine, sub: usize) -> Tags {
        let stem = *self.rng.pick(STREET_STEMS);
        let old = self.spec.subdistricts.get(sub).map_or(0.5, |s| s.newness) < 0.5;
        match kind {
            Spine::Collector => Tags::new()
                .with("highway", "tertiary")
                .with(
                    "name",
                    format!("{stem}{}", if self.rng.chance(0.5) { "街" } else { "路" }),
                )
                .with("sidewalk", "both"),
            Spine::Local => {
                let mut t = Tags::new().with(
                    "highway",
                    if self.rng.chance(0.85) {
                        "residential"
                    } else {
                        "unclassified"
                    },
                );
                if self.rng.chance(0.45) {
                    t.set("name", format!("{stem}{}", if old { "巷" } else { "路" }));
                }
                t
            }
            Spine::Pedestrian => Tags::new()
                .with("highway", "pedestrian")
                .with("name", format!("{stem}步行街")),
            Spine::Footway | Spine::None => footway(),
        }
    }

    fn class_of(kind: Spine) -> Class {
        match kind {
            Spine::Collector => Class::Collector,
            Spine::Local => Class::Local,
            _ => Class::Foot,
        }
    }

    fn layout_regular(&mut self, plan: &mut Planner, b: usize) {
        let sb = &self.blocks[b];
        let (block, sub) = (sb.block, sb.sub);
        let (u_spine, v_spine) = (sb.u_spine, sb.v_spine);
        let (ci, rj) = (self.mesh.col_spine[sb.i], self.mesh.row_spine[sb.j]);
        let us = self.interior_lines(u_spine, ci, block.width());
        let vs = self.interior_lines(v_spine, rj, block.height());
        let q = block.q;

        let crossings: Vec<Vec<SlotId>> = us
            .iter()
            .map(|&(u, ..)| {
                vs.iter()
                    .map(|&(v, ..)| plan.slot(bilinear(&q, u, v)))
                    .collect()
            })
            .collect();
        let mut u_lines = Vec::new();
        for (k, &(u, kind, spine)) in us.iter().enumerate() {
            let start = self.line_end(plan, &block, 0, u, kind, spine);
            let end = self.line_end(plan, &block, 2, u, kind, spine);
            let mut slots = vec![start];
            slots.extend(crossings[k].iter().copied());
            slots.push(end);
            let tags = self.spine_tags(kind, sub);
            u_lines.push(plan.path(&slots, street_style(tags)));
        }
        let mut v_lines = Vec::new();
        for (l, &(v, kind, spine)) in vs.iter().enumerate() {
            let start = self.line_end(plan, &block, 3, v, kind, spine);
            let end = self.line_end(plan, &block, 1, v, kind, spine);
            let mut slots = vec![start];
            slots.extend(crossings.iter().map(|row| row[l]));
            slots.push(end);
            let tags = self.spine_tags(kind, sub);
            v_lines.push(plan.path(&slots, street_style(tags)));
        }

        // Lot boundaries: block sides plus interior lines.
        let mut ub = vec![(0.0, block.sides[3], Class::Arterial)];
        ub.extend(
            us.iter()
                .zip(&u_lines)
                .map(|(&(u, k, _), &l)| (u, l, Self::class_of(k))),
        );
        ub.push((1.0, block.sides[1], Class::Arterial));
        let mut vb = vec![(0.0, block.sides[0], Class::Arterial)];
        vb.extend(
            vs.iter()
                .zip(&v_lines)
                .map(|(&(v, k, _), &l)| (v, l, Self::class_of(k))),
        );
        vb.push((1.0, block.sides[2], Class::Arterial));
        for a in 0..ub.len() - 1 {
            for c in 0..vb.len() - 1 {
                let (u0, u1, v0, v1) = (ub[a].0, ub[a + 1].0, vb[c].0, vb[c + 1].0);
                let cell = [
                    bilinear(&q, u0, v0),
                    bilinear(&q, u1, v0),
                    bilinear(&q, u1, v1),
                    bilinear(&q, u0, v1),
                ];
                let lines =
                    [vb[c], ub[a + 1], vb[c + 1], ub[a]].map(|(_, l, class)| Some((l, class)));
                self.add_lot(plan, cell, lines, sub);
            }
        }
    }

    /// Where an interior line meets block side `side` at parameter `f`
    /// (u for sides 0/2, v for sides 1/3). Footways get a short
    /// `footway=crossing` stub, or a footbridge where one is planned (only
    /// spines line up across an arterial, so only they get footbridges).
    fn line_end(
        &mut self,
        plan: &mut Planner,
        block: &Block,
        side: usize,
        f: f64,
        kind: Spine,
        spine: bool,
    ) -> SlotId {
        let q = &block.q;
        let (w, h) = (block.width(), block.height());
        let inward = |d: f64| match side {
            0 => bilinear(q, f, d / h),
            2 => bilinear(q, f, 1.0 - d / h),
            3 => bilinear(q, d / w, f),
            _ => bilinear(q, 1.0 - d / w, f),
        };
        let edge = block.sides[side];
        let on_edge = inward(0.0);
        let walk_only = matches!(kind, Spine::Footway);
        if walk_only && spine && self.footbridge_edges.contains(&edge) {
            let ground = plan.slot(inward(38.0));
            let top = plan.slot(inward(16.0));
            plan.link(
                ground,
                top,
                street_style(Tags::new().with("highway", "steps").with("incline", "up")),
            );
            if let Some(other) = self.footbridge_tops.remove(&edge) {
                let bridge = footway()
                    .with("bridge", "yes")
                    .with("layer", "1")
                    .with("name", "人行天桥");
                plan.link(other, top, street_style(bridge));
            } else {
                self.footbridge_tops.insert(edge, top);
            }
            return ground;
        }
        let s = plan.locate(edge, on_edge);
        let at = plan.attach(edge, s);
        if walk_only {
            let stub_start = plan.slot(inward(10.0));
            let crossing = if self.rng.chance(0.5) {
                "marked"
            } else {
                "uncontrolled"
            };
            plan.tag_slot(at, "highway", "crossing");
            plan.tag_slot(at, "crossing", crossing);
            let tags = footway()
                .with("footway", "crossing")
                .with("crossing", crossing);
            plan.link(stub_start, at, street_style(tags));
            return stub_start;
        }
        at
    }

    /// Registers a lot unless it is too small or too close to the canal or
    /// railway (that land stays open: embankments, greenery).
    fn add_lot(
        &mut self,
        plan: &Planner,
        q: [Pt; 4],
        lines: [Option<(LineId, Class)>; 4],
        sub: usize,
    ) {
        let area = polygon_area(&q);
        if area < 3000.0 || self.near_barrier(&q, plan, 30.0) {
            return;
        }
        let front = std::array::from_fn(|k| {
            lines[k].map(|(line, class)| Front {
                line,
                s0: plan.locate(line, q[k]),
                s1: plan.locate(line, q[(k + 1) % 4]),
                class,
            })
        });
        self.lots.push(Lot {
            q,
            front,
            sub,
            centre: centroid(&q),
            area,
        });
    }

    // ---- diagonal superblocks -------------------------------------------

    /// A diagonal street from corner 0 to corner 2 splits the block into two
    /// triangles; each is cut into trapezoid lots by short lanes that end
    /// on the diagonal.
    fn layout_diagonal(&mut self, plan: &mut Planner, b: usize) {
        let sub = self.blocks[b].sub;
        let block = self.blocks[b].block;
        let stem = *self.rng.pick(STREET_STEMS);
        let tags = Tags::new()
            .with("highway", "tertiary")
            .with("name", format!("{stem}斜街"))
            .with("sidewalk", "both");
        let diag = plan.link(block.corners[0], block.corners[2], street_style(tags));
        let q = block.q;
        // Lower triangle (q0, q1, q2) and upper triangle (q0, q3, q2) share
        // the same construction with the roles of q1/q3 swapped.
        for upper in [false, true] {
            let (side_a, side_b, far) = if upper { (3, 2, q[3]) } else { (0, 1, q[1]) };
            let at = |a: f64, t: f64| q[0] + (far - q[0]) * a + (q[2] - far) * (a * t);
            let cuts = [self.rng.range(0.3, 0.4), self.rng.range(0.62, 0.72), 1.0];
            let mut lanes: Vec<(LineId, Class)> = Vec::new();
            for &a in &cuts[..2] {
                let s_edge = plan.locate(block.sides[side_a], at(a, 0.0));
                let start = plan.attach(block.sides[side_a], s_edge);
                let end = plan.attach(diag, plan.locate(diag, at(a, 1.0)));
                let tags = self.spine_tags(Spine::Local, sub);
                lanes.push((plan.link(start, end, street_style(tags)), Class::Local));
            }
            for k in 0..2 {
                let (a0, a1) = (cuts[k], cuts[k + 1]);
                let far_line = if k == 1 {
                    (block.sides[side_b], Class::Arterial)
                } else {
                    lanes[1]
                };
                let mut cell = [at(a0, 0.0), at(a1, 0.0), at(a1, 1.0), at(a0, 1.0)];
                let mut lines = [
                    Some((block.sides[side_a], Class::Arterial)),
                    Some(far_line),
                    Some((diag, Class::Collector)),
                    Some(lanes[k]),
                ];
                if upper {
                    // Mirrored triangle: reverse to keep the ring counter-clockwise.
                    cell = [cell[0], cell[3], cell[2], cell[1]];
                    lines = [lines[3], lines[2], lines[1], lines[0]];
                }
                self.add_lot(plan, cell, lines, sub);
            }
        }
    }

    // ---- parks and sports centres --------------------------------------

    /// A park or sports centre (`self.spec.greens[g]`) filling block `b`: a
    /// ring path inside its outline, an entrance on each side joined to the
    /// street and the ring, and what lies inside ([`Self::green_inside`]).
    fn layout_green(&mut self, plan: &mut Planner, model: &mut Model, b: usize, g: usize) {
        let block = self.blocks[b].block;
        let green = &self.spec.greens[g];
        let kind = green.kind;
        let name = green.name.clone();
        let outer = inset_quad(&block.q, [20.0; 4]);
        let ring_q = inset_quad(&outer, [30.0; 4]);
        let path_tags = if kind == GreenKind::SportsCentre {
            footway()
        } else {
            Tags::new().with("highway", "footway")
        };
        let ring = plan.line(closed(&ring_q), street_style(path_tags.clone()));
        let corner = plan.slot(ring_q[0]);
        plan.stop(ring, 0.0, corner);
        plan.stop(ring, plan.length(ring), corner);

        let outline = green_entrances(plan, &block, &outer, &ring_q, ring, &path_tags);
        let tags = match kind {
            GreenKind::SportsCentre => Tags::new()
                .with("leisure", "sports_centre")
                .with("name", name.clone()),
            _ => Tags::new()
                .with("leisure", "park")
                .with("name", name.clone()),
        };
        plan.area(outline, tags);
        model.facilities += 1;
        self.green_inside(plan, model, kind, &name, &ring_q, ring);
    }

    /// Inside a green's ring `ring_q`: a lake, a pitch or cross paths by its
    /// `kind`, and a playground in a corner of every one but a sports centre.
    fn green_inside(
        &mut self,
        plan: &mut Planner,
        model: &mut Model,
        kind: GreenKind,
        name: &str,
        ring_q: &[Pt; 4],
        ring: LineId,
    ) {
        let mid = inset_quad(ring_q, [45.0; 4]);
        match kind {
            GreenKind::LakePark => {
                model.add_area(
                    &mid,
                    Tags::new()
                        .with("natural", "water")
                        .with("water", "lake")
                        .with("name", name.replace("风景区", "")),
                );
            }
            GreenKind::SportsCentre => {
                let pitch = inset_quad(&mid, [20.0; 4]);
                model.add_area(
                    &pitch,
                    Tags::new()
                        .with("leisure", "pitch")
                        .with("sport", "soccer")
                        .with("name", format!("{name}体育场")),
                );
                model.facilities += 1;
            }
            GreenKind::Park | GreenKind::ChildrenPark => self.park_paths(plan, ring_q, ring),
        }
        if kind != GreenKind::SportsCentre {
            let play = inset_quad(
                &[
                    ring_q[0],
                    ring_q[0].lerp(ring_q[1], 0.2),
                    ring_q[0].lerp(ring_q[2], 0.2),
                    ring_q[0].lerp(ring_q[3], 0.2),
                ],
                [8.0; 4],
            );
            model.add_area(
                &play,
                Tags::new()
                    .with("leisure", "playground")
                    .with("name", format!("{name}儿童乐园")),
            );
            model.facilities += 1;
        }
    }

    /// Cross paths through a park, one of them with a flight of steps.
    fn park_paths(&mut self, plan: &mut Planner, ring_q: &[Pt; 4], ring: LineId) {
        let centre = plan.slot(bilinear(ring_q, 0.5, 0.5));
        let ends = [(0.5, 0.0), (1.0, 0.5), (0.5, 1.0), (0.0, 0.5)];
        for (k, &(u, v)) in ends.iter().enumerate() {
            let p = bilinear(ring_q, u, v);
            let s = plan.locate(ring, p);
            let end = plan.attach(ring, s);
            if k == 0 {
                let top = plan.slot(bilinear(ring_q, 0.5, 0.3));
                let foot = plan.slot(bilinear(ring_q, 0.5, 0.36));
                plan.link(end, top, street_style(Tags::new().with("highway", "path")));
                plan.link(
                    top,
                    foot,
                    street_style(Tags::new().with("highway", "steps")),
                );
                plan.link(foot, centre, street_style(footway()));
            } else {
                plan.link(end, centre, street_style(footway()));
            }
        }
    }

    // ---- lots -------------------------------------------------------------

    fn service_at(&self, p: Pt, sub: usize) -> f64 {
        let base = self.spec.subdistricts.get(sub).map_or(1.0, |s| s.service);
        let reach = self
            .spec
            .west
            .max(self.spec.east)
            .max(self.spec.north)
            .max(self.spec.south);
        let periphery = smoothstep(0.45, 1.0, p.dist(self.spec.centre) / reach);
        base * (1.0 - 0.5 * periphery) * value_noise(self.seed ^ self.spec.key, p, 1800.0)
    }

    fn newness_at(&self, p: Pt, sub: usize) -> f64 {
        let base = self.spec.subdistricts.get(sub).map_or(0.5, |s| s.newness);
        (base + 0.5 * (value_noise(self.seed ^ self.spec.key ^ 0x5EED, p, 1200.0) - 1.0))
            .clamp(0.0, 1.0)
    }

    /// Chooses what each lot becomes: schools are spread by dart throwing
    /// with a minimum spacing that grows where provision is poor.
    fn allocate_lots(&mut self, plan: &mut Planner, model: &mut Model) {
        let mut uses: Vec<Option<Use>> = (0..self.lots.len()).map(|_| None).collect();
        let mut order: Vec<usize> = (0..self.lots.len()).collect();
        self.rng.shuffle(&mut order);

        if let Some((name, at)) = self.spec.library.clone() {
            let best = order
                .iter()
                .copied()
                .filter(|&l| self.lots[l].area > 8000.0)
                .min_by(|&a, &b| {
                    self.lots[a]
                        .centre
                        .dist(at)
                        .total_cmp(&self.lots[b].centre.dist(at))
                });
            if let Some(l) = best {
                uses[l] = Some(Use::Library(name));
            }
        }
        self.throw_darts(&order, &mut uses, 20_000.0, 1150.0, |city, _| {
            let name = if city.rng.chance(0.5) {
                city.middle_no += 1;
                format!("{}第{}中学", city.spec.prefix, cn_number(city.middle_no))
            } else {
                format!("{}初级中学", city.rng.pick(COMPOUND_STEMS))
            };
            Use::School { name, level: 2 }
        });
        self.throw_darts(&order, &mut uses, 12_000.0, 850.0, |city, _| {
            let name = if city.rng.chance(0.35) {
                city.primary_no += 1;
                format!(
                    "{}第{}实验小学",
                    city.spec.prefix,
                    cn_number(city.primary_no)
                )
            } else {
                format!("{}小学", city.rng.pick(COMPOUND_STEMS))
            };
            Use::School { name, level: 1 }
        });
        self.throw_darts(&order, &mut uses, 8_000.0, 2600.0, |city, _| {
            Use::Pitch(format!("{}体育场", city.rng.pick(STREET_STEMS)))
        });
        for &l in &order {
            if uses[l].is_none() {
                let lot = &self.lots[l];
                let p = 0.12
                    * self.service_at(lot.centre, lot.sub)
                    * self.newness_at(lot.centre, lot.sub);
                let small = lot.area < 14_000.0;
                uses[l] = Some(if small && self.rng.chance(p * 3.0) {
                    self.kindergarten_use()
                } else {
                    Use::Compound
                });
            }
        }
        for (l, u) in uses.into_iter().enumerate() {
            match u.unwrap_or(Use::Compound) {
                Use::Compound => self.build_compounds(plan, model, l),
                other => self.build_facility_lot(plan, model, l, other),
            }
        }
    }

    fn kindergarten_use(&mut self) -> Use {
        if self.kinder_no < 3 || self.rng.chance(0.12) {
            self.kinder_no += 1;
            Use::Kindergarten(format!(
                "{}第{}幼儿园",
                self.spec.prefix,
                cn_number(self.kinder_no)
            ))
        } else {
            Use::Kindergarten(format!("{}幼儿园", self.rng.pick(COMPOUND_STEMS)))
        }
    }

    fn throw_darts(
        &mut self,
        order: &[usize],
        uses: &mut [Option<Use>],
        min_area: f64,
        spacing: f64,
        mut make: impl FnMut(&mut Self, usize) -> Use,
    ) {
        let mut placed: Vec<Pt> = Vec::new();
        for &l in order {
            let lot = &self.lots[l];
            if uses[l].is_some() || lot.area < min_area {
                continue;
            }
            let radius = (spacing / self.service_at(lot.centre, lot.sub))
                .clamp(spacing * 0.75, spacing * 2.5);
            let centre = lot.centre;
            if placed.iter().all(|p| p.dist(centre) >= radius) {
                placed.push(centre);
                uses[l] = Some(make(self, l));
            }
        }
    }

    /// Setback of a lot boundary from the street centreline.
    fn setbacks(front: &[Option<Front>; 4]) -> [f64; 4] {
        front.map(|f| match f.map(|f| f.class) {
            Some(Class::Arterial) => 24.0,
            Some(Class::Collector) => 14.0,
            Some(Class::Local) => 10.0,
            Some(Class::Foot) => 6.0,
            None => 3.0,
        })
    }

    /// Gate sides, quietest street first (compounds avoid opening onto
    /// arterials when they can).
    fn gate_sides(&mut self, front: &[Option<Front>; 4], n: usize) -> Vec<usize> {
        let rank = |c: Class| match c {
            Class::Local => 0,
            Class::Collector => 1,
            Class::Foot => 2,
            Class::Arterial => 3,
        };
        let mut sides: Vec<(usize, u64, usize)> = (0..4)
            .filter_map(|k| front[k].map(|f| (rank(f.class), self.rng.next_u64(), k)))
            .collect();
        sides.sort();
        sides.into_iter().take(n).map(|s| s.2).collect()
    }

    fn build_facility_lot(&mut self, plan: &mut Planner, model: &mut Model, l: usize, use_: Use) {
        let lot = &self.lots[l];
        let front = lot.front;
        let outer = inset_quad(&lot.q, Self::setbacks(&front));
        let (mut tags, entrances) = match use_ {
            Use::School { name, level } => {
                let mut t = Tags::new().with("amenity", "school").with("name", name);
                if self.rng.chance(0.4) {
                    t.set("isced:level", if level == 1 { "1" } else { "2" });
                }
                (
                    t,
                    if self.rng.chance(0.8) {
                        1 + self.rng.below(2)
                    } else {
                        0
                    },
                )
            }
            Use::Kindergarten(name) => (
                Tags::new()
                    .with("amenity", "kindergarten")
                    .with("name", name),
                1,
            ),
            Use::Library(name) => (Tags::new().with("amenity", "library").with("name", name), 1),
            Use::Pitch(name) => (
                Tags::new()
                    .with("leisure", "pitch")
                    .with("sport", "soccer")
                    .with("name", name),
                0,
            ),
            Use::Compound => unreachable!("compounds are built separately"),
        };
        if tags.get("leisure") == Some("pitch") && self.rng.chance(0.5) {
            tags.set("sport", "basketball");
        }
        let mut ring = Vec::new();
        let sides = self.gate_sides(&front, entrances);
        for k in 0..4 {
            ring.push(Vertex::At(outer[k]));
            if let Some(pos) = sides.iter().position(|&s| s == k) {
                let gate_tags = if pos == 0 {
                    Tags::new().with("entrance", "main").with("barrier", "gate")
                } else {
                    Tags::new().with("entrance", "yes")
                };
                let g = gate(
                    plan,
                    &outer,
                    front[k].unwrap(),
                    k,
                    0.5,
                    gate_tags,
                    footway(),
                );
                ring.push(Vertex::Slot(g));
            }
        }
        plan.area(ring, tags);
        model.facilities += 1;
    }

    /// Builds one compound, or two if the lot is large (split across its
    /// longer axis by a wall, each half keeping three street fronts).
    fn build_compounds(&mut self, plan: &mut Planner, model: &mut Model, l: usize) {
        let lot = &self.lots[l];
        let (q, front, sub) = (lot.q, lot.front, lot.sub);
        if lot.area < 110_000.0 {
            return self.build_compound(plan, model, q, front, sub);
        }
        let wide = q[0].dist(q[1]) >= q[1].dist(q[2]);
        let split = |s: Option<Front>, lo: f64, hi: f64| {
            s.map(|f| Front {
                s0: f.s0 + (f.s1 - f.s0) * lo,
                s1: f.s0 + (f.s1 - f.s0) * hi,
                ..f
            })
        };
        let t = self.rng.range(0.4, 0.6);
        if wide {
            let (m0, m1) = (q[0].lerp(q[1], t), q[3].lerp(q[2], t));
            let left = [q[0], m0, m1, q[3]];
            let right = [m0, q[1], q[2], m1];
            self.build_compound(
                plan,
                model,
                left,
                [
                    split(front[0], 0.0, t),
                    None,
                    split(front[2], 1.0 - t, 1.0),
                    front[3],
                ],
                sub,
            );
            self.build_compound(
                plan,
                model,
                right,
                [
                    split(front[0], t, 1.0),
                    front[1],
                    split(front[2], 0.0, 1.0 - t),
                    None,
                ],
                sub,
            );
        } else {
            let (m0, m1) = (q[1].lerp(q[2], t), q[0].lerp(q[3], t));
            let low = [q[0], q[1], m0, m1];
            let high = [m1, m0, q[2], q[3]];
            self.build_compound(
                plan,
                model,
                low,
                [
                    front[0],
                    split(front[1], 0.0, t),
                    None,
                    split(front[3], 1.0 - t, 1.0),
                ],
                sub,
            );
            self.build_compound(
                plan,
                model,
                high,
                [
                    None,
                    split(front[1], t, 1.0),
                    front[2],
                    split(front[3], 0.0, 1.0 - t),
                ],
                sub,
            );
        }
    }

    fn compound_name(&mut self, newness: f64) -> (String, &'static str) {
        for _ in 0..50 {
            let stem = *self.rng.pick(COMPOUND_STEMS);
            let name = if self.rng.chance(0.02) {
                (*self.rng.pick(SPECIAL_COMPOUNDS)).to_owned()
            } else if self.rng.chance(newness) {
                format!("{stem}{}", self.rng.pick(NEW_SUFFIXES))
            } else {
                format!("{stem}{}", self.rng.pick(OLD_SUFFIXES))
            };
            if self.used_names.insert(name.clone()) {
                return (name, stem);
            }
        }
        let n = self.used_names.len();
        let stem = *self.rng.pick(COMPOUND_STEMS);
        let name = format!("{stem}{}区", cn_number(n % 99 + 1));
        self.used_names.insert(name.clone());
        (name, stem)
    }

    fn build_compound(
        &mut self,
        plan: &mut Planner,
        model: &mut Model,
        q: [Pt; 4],
        front: [Option<Front>; 4],
        sub: usize,
    ) {
        let outer = inset_quad(&q, Self::setbacks(&front));
        let (w, h) = (outer[0].dist(outer[1]), outer[1].dist(outer[2]));
        if w < 45.0 || h < 45.0 || front.iter().all(Option::is_none) {
            return;
        }
        let c = centroid(&outer);
        let newness = self.newness_at(c, sub);
        let (name, stem) = self.compound_name(newness);
        let private = self.rng.chance(0.35);
        let bare = self.rng.chance(0.06);

        let n_gates = [1, 2, 2, 2, 3, 3, 4][self.rng.below(7)];
        let sides = if bare && self.rng.chance(0.5) {
            Vec::new()
        } else {
            self.gate_sides(&front, n_gates)
        };
        let mut gates: Vec<(usize, f64, SlotId)> = Vec::new();
        for (g, &k) in sides.iter().enumerate() {
            let f = self.rng.range(0.3, 0.7);
            let mut gate_tags = Tags::new().with("barrier", "gate");
            if private && g > 0 {
                gate_tags.set("access", "private");
            }
            let path = if g == 0 {
                Tags::new().with("highway", "service")
            } else {
                footway()
            };
            gates.push((
                k,
                f,
                gate(plan, &outer, front[k].unwrap(), k, f, gate_tags, path),
            ));
        }
        let mut ring = Vec::new();
        for (k, &corner) in outer.iter().enumerate() {
            ring.push(Vertex::At(corner));
            ring.extend(gates.iter().filter(|g| g.0 == k).map(|g| Vertex::Slot(g.2)));
        }
        let tags = Tags::new()
            .with("landuse", "residential")
            .with("residential", "urban")
            .with("name", name);
        plan.area(ring, tags);
        model.compounds += 1;

        if !bare {
            self.compound_paths(plan, &outer, &gates, private);
            self.compound_buildings(model, &outer, newness);
        }
        let area = polygon_area(&outer);
        let density = 0.035 + 0.03 * newness; // residents per m² of compound
        let (spot, spot_dir) = match gates.first() {
            Some(&(_, _, g)) => {
                let gp = plan.slot_pos(g);
                (gp, (c - gp).unit())
            }
            None => (c, Pt::new(1.0, 0.0)),
        };
        self.compounds.push(CompoundInfo {
            centre: c,
            population: area * density,
            sub,
            stem,
            spot,
            spot_dir,
            used_spots: 0,
        });
        self.compound_points(model, self.compounds.len() - 1, newness);
    }

    /// Internal service ring, footways between building rows, and a
    /// connector from every gate to the ring.
    fn compound_paths(
        &mut self,
        plan: &mut Planner,
        outer: &[Pt; 4],
        gates: &[(usize, f64, SlotId)],
        private: bool,
    ) {
        let inner = inset_quad(outer, [16.0; 4]);
        let mut ring_tags = Tags::new().with("highway", "service");
        if private {
            ring_tags.set("access", "private");
        }
        let ring = plan.line(closed(&inner), street_style(ring_tags));
        let corner = plan.slot(inner[0]);
        plan.stop(ring, 0.0, corner);
        plan.stop(ring, plan.length(ring), corner);
        let ring_slot = |plan: &mut Planner, k: usize, f: f64| {
            let p = inner[k].lerp(inner[(k + 1) % 4], f);
            let s = plan.slot(p);
            plan.stop(ring, plan.locate(ring, p), s);
            s
        };
        for &(k, f, gate) in gates {
            let r = ring_slot(plan, k, f);
            plan.link(
                gate,
                r,
                street_style(Tags::new().with("highway", "service")),
            );
        }
        // Footways between the building rows, one per ~36 m.
        let wide = inner[0].dist(inner[1]) >= inner[1].dist(inner[2]);
        let depth = if wide {
            inner[1].dist(inner[2])
        } else {
            inner[0].dist(inner[1])
        };
        let rows = (depth / 36.0) as usize;
        let mut row_tags = footway();
        if private {
            row_tags.set("access", "private");
        }
        for r in 1..=rows {
            let t = r as f64 / (rows + 1) as f64;
            let (a, b) = if wide {
                (ring_slot(plan, 3, 1.0 - t), ring_slot(plan, 1, t))
            } else {
                (ring_slot(plan, 0, t), ring_slot(plan, 2, 1.0 - t))
            };
            plan.link(a, b, street_style(row_tags.clone()));
        }
    }

    /// Slab buildings in rows between the footways.
    fn compound_buildings(&mut self, model: &mut Model, outer: &[Pt; 4], newness: f64) {
        let inner = inset_quad(outer, [16.0; 4]);
        let wide = inner[0].dist(inner[1]) >= inner[1].dist(inner[2]);
        let (len, depth) = if wide {
            (inner[0].dist(inner[1]), inner[1].dist(inner[2]))
        } else {
            (inner[1].dist(inner[2]), inner[0].dist(inner[1]))
        };
        let at = |along: f64, across: f64| {
            if wide {
                bilinear(&inner, along / len, across / depth)
            } else {
                bilinear(&inner, across / depth, along / len)
            }
        };
        let rows = (depth / 45.0) as usize + 1;
        let band = depth / rows as f64;
        let levels = if newness > 0.5 {
            ["11", "18", "26", "33"][self.rng.below(4)]
        } else {
            ["5", "6", "6", "7"][self.rng.below(4)]
        };
        for r in 0..rows {
            let y0 = r as f64 * band + 7.0;
            let y1 = (y0 + 13.0).min((r + 1) as f64 * band - 7.0);
            if y1 - y0 < 8.0 {
                continue;
            }
            let mut x = 8.0;
            while x + 30.0 < len - 8.0 {
                let x1 = (x + self.rng.range(35.0, 60.0)).min(len - 8.0);
                let mut pts = [at(x, y0), at(x1, y0), at(x1, y1), at(x, y1)];
                if polygon_area(&pts) < 0.0 {
                    pts.reverse();
                }
                model.add_area(
                    &pts,
                    Tags::new()
                        .with("building", "residential")
                        .with("building:levels", levels),
                );
                x = x1 + self.rng.range(12.0, 20.0);
            }
        }
    }

    /// A free spot just inside a compound's main gate for a point POI.
    fn spot(&mut self, c: usize) -> Pt {
        let info = &mut self.compounds[c];
        let k = info.used_spots as f64;
        info.used_spots += 1;
        info.spot + info.spot_dir * 7.0 + info.spot_dir.perp() * (k * 6.0 - 6.0)
    }

    /// Kindergartens, playgrounds and childcare inside compounds: common in
    /// new, well-served areas, rare in old and peripheral ones.
    fn compound_points(&mut self, model: &mut Model, c: usize, newness: f64) {
        let (centre, sub, stem) = (
            self.compounds[c].centre,
            self.compounds[c].sub,
            self.compounds[c].stem,
        );
        let service = self.service_at(centre, sub);
        if self.rng.chance((0.04 + 0.3 * newness) * service) {
            let name = match self.kindergarten_use() {
                Use::Kindergarten(n) => n,
                _ => unreachable!(),
            };
            let p = self.spot(c);
            model.add_node(
                p,
                Tags::new()
                    .with("amenity", "kindergarten")
                    .with("name", name),
            );
            model.facilities += 1;
        }
        if self.rng.chance(0.05 * service * service) {
            let p = self.spot(c);
            model.add_node(p, Tags::new().with("leisure", "playground"));
            model.facilities += 1;
        }
        if self.rng.chance(0.02 * service * (1.0 + newness)) {
            let p = self.spot(c);
            model.add_node(
                p,
                Tags::new()
                    .with("amenity", "childcare")
                    .with("name", format!("{stem}托育中心")),
            );
            model.facilities += 1;
        }
    }

    // ---- communities -------------------------------------------------------

    /// Groups the compounds of each subdistrict into its official
    /// communities (nearest of k spread-out seed compounds) and emits each
    /// community as a `place=neighbourhood` area: its Voronoi cell clipped
    /// to the subdistrict and to the built-up area.
    fn place_communities(&mut self, model: &mut Model) {
        let extent = self.built_up_area();
        let spec = self.spec;
        let subs = &spec.subdistricts;
        let seeds: Vec<Pt> = subs.iter().map(|s| s.seed).collect();
        for (si, sub) in subs.iter().enumerate() {
            let members: Vec<usize> = (0..self.compounds.len())
                .filter(|&c| self.compounds[c].sub == si)
                .collect();
            if members.is_empty() {
                continue;
            }
            let sub_cell = voronoi_cell(&seeds, si, spec.centre, 50_000.0);
            if let Some(ring) = clip_to(&sub_cell, &extent) {
                let way = model.add_area(&ring, Tags::new());
                let tags = Tags::new()
                    .with("type", "boundary")
                    .with("boundary", "administrative")
                    .with("admin_level", "8")
                    .with("name", sub.name.clone())
                    .with("ref", sub.code.clone());
                model.add_relation(vec![(MemberType::Way, way, "outer")], tags);
            }
            let k = sub.communities.len().min(members.len());
            if k == 0 {
                continue;
            }
            let centres = farthest_points(
                &members
                    .iter()
                    .map(|&c| self.compounds[c].centre)
                    .collect::<Vec<_>>(),
                sub.seed,
                k,
            );
            let mut groups: Vec<Vec<usize>> = vec![Vec::new(); k];
            for &c in &members {
                let p = self.compounds[c].centre;
                let g = (0..k)
                    .min_by(|&a, &b| p.dist(centres[a]).total_cmp(&p.dist(centres[b])))
                    .unwrap();
                groups[g].push(c);
            }
            for (g, group) in groups.iter().enumerate() {
                let (name, code) = &sub.communities[g];
                let cell = clip_convex(&voronoi_cell(&centres, g, centres[g], 50_000.0), &sub_cell);
                let Some(ring) = clip_to(&cell, &extent) else {
                    continue;
                };
                let population = self.community_population(group);
                let tags = Tags::new()
                    .with("place", "neighbourhood")
                    .with("name", name.clone())
                    .with("official_name", format!("{name}居委会"))
                    .with("ref", code.clone())
                    .with("addr:subdistrict", sub.name.clone())
                    .with("population", population.to_string());
                model.add_area(&ring, tags);
                model.communities += 1;
                self.community_points(model, group, name);
            }
        }
        self.subdistrict_libraries(model);
    }

    fn community_population(&mut self, group: &[usize]) -> u64 {
        let sum: f64 = group.iter().map(|&c| self.compounds[c].population).sum();
        let jitter = self.rng.range(0.9, 1.1);
        ((sum * jitter).clamp(3000.0, 15000.0) / 10.0).round() as u64 * 10
    }

    /// Community service centres (most communities) and children's homes
    /// (儿童之家, fewer) at the gate of the community's first compound.
    fn community_points(&mut self, model: &mut Model, group: &[usize], name: &str) {
        let Some(&first) = group.first() else { return };
        let service = self.service_at(self.compounds[first].centre, self.compounds[first].sub);
        if self.rng.chance((0.75 * service).min(0.95)) {
            let p = self.spot(first);
            model.add_node(
                p,
                Tags::new()
                    .with("amenity", "community_centre")
                    .with("name", format!("{name}服务中心")),
            );
            model.facilities += 1;
        }
        if self.rng.chance(0.35 * service) {
            let p = self.spot(first);
            model.add_node(
                p,
                Tags::new()
                    .with("amenity", "community_centre")
                    .with("name", format!("{name}儿童之家")),
            );
            model.facilities += 1;
        }
    }

    fn subdistrict_libraries(&mut self, model: &mut Model) {
        for si in 0..self.spec.subdistricts.len() {
            let seed = self.spec.subdistricts[si].seed;
            let nearest = (0..self.compounds.len())
                .filter(|&c| self.compounds[c].sub == si)
                .min_by(|&a, &b| {
                    self.compounds[a]
                        .centre
                        .dist(seed)
                        .total_cmp(&self.compounds[b].centre.dist(seed))
                });
            if let Some(c) = nearest {
                let p = self.spot(c);
                let name = format!("{}图书室", self.spec.subdistricts[si].name);
                model.add_node(p, Tags::new().with("amenity", "library").with("name", name));
                model.facilities += 1;
            }
        }
    }

    /// Union of all superblocks: the area communities may cover.
    fn built_up_area(&self) -> MultiPolygon<f64> {
        let polys: Vec<Polygon<f64>> = self.blocks.iter().map(|b| to_polygon(&b.block.q)).collect();
        geo::unary_union(&polys)
    }

    fn outputs(&self) -> CityOut {
        let m = &self.mesh;
        let mut gateways = Vec::new();
        for j in 0..m.ny {
            for i in 0..m.nx {
                let Some(slot) = m.junction[m.at(i, j)] else {
                    continue;
                };
                let outer = [
                    (i.wrapping_sub(1), j),
                    (i + 1, j),
                    (i, j.wrapping_sub(1)),
                    (i, j + 1),
                ]
                .iter()
                .any(|&(a, b)| a >= m.nx || b >= m.ny || m.junction[m.at(a, b)].is_none());
                if outer {
                    gateways.push(slot);
                }
            }
        }
        let c = self.spec.centre;
        CityOut {
            gateways,
            min: c - Pt::new(self.spec.west + 300.0, self.spec.south + 300.0),
            max: c + Pt::new(self.spec.east + 300.0, self.spec.north + 300.0),
        }
    }
}

/// A green's outline `outer` with an entrance in the middle of each side (the
/// first the main one), each joined by a footway to the block's street and by
/// a path tagged `path_tags` to the ring `ring` (`ring_q`) inside.
fn green_entrances(
    plan: &mut Planner,
    block: &Block,
    outer: &[Pt; 4],
    ring_q: &[Pt; 4],
    ring: LineId,
    path_tags: &Tags,
) -> Vec<Vertex> {
    let mut outline = Vec::new();
    for k in 0..4 {
        outline.push(Vertex::At(outer[k]));
        let entrance = plan.slot_tagged(
            outer[k].lerp(outer[(k + 1) % 4], 0.5),
            Tags::new().with("entrance", if k == 0 { "main" } else { "yes" }),
        );
        outline.push(Vertex::Slot(entrance));
        let s = plan.locate(block.sides[k], plan.slot_pos(entrance));
        let outside = plan.attach(block.sides[k], s);
        plan.link(outside, entrance, street_style(footway()));
        let inner = plan.slot(ring_q[k].lerp(ring_q[(k + 1) % 4], 0.5));
        plan.stop(ring, plan.locate(ring, plan.slot_pos(inner)), inner);
        plan.link(entrance, inner, street_style(path_tags.clone()));
    }
    outline
}

/// A gate on side `k` of `outer` at fraction `f`, joined to the street
/// in front of it by a short path.
fn gate(
    plan: &mut Planner,
    outer: &[Pt; 4],
    front: Front,
    k: usize,
    f: f64,
    gate_tags: Tags,
    path: Tags,
) -> SlotId {
    let p = outer[k].lerp(outer[(k + 1) % 4], f);
    let gate = plan.slot_tagged(p, gate_tags);
    let at = plan.attach(front.line, front.s0 + (front.s1 - front.s0) * f);
    plan.link(at, gate, street_style(path));
    gate
}

fn random_spine(rng: &mut Rng) -> Spine {
    match rng.below(20) {
        0..=8 => Spine::Collector,
        9..=13 => Spine::Local,
        14..=16 => Spine::Footway,
        17 => Spine::Pedestrian,
        _ => Spine::None,
    }
}

fn closed(q: &[Pt; 4]) -> Vec<Pt> {
    vec![q[0], q[1], q[2], q[3], q[0]]
}

/// Smooth pseudo-random field around 1.0 (0.6–1.4), bilinear between
/// random values on a square grid of `cell` metres.
fn value_noise(seed: u64, p: Pt, cell: f64) -> f64 {
    let (gx, gy) = ((p.x / cell).floor(), (p.y / cell).floor());
    let (fx, fy) = (p.x / cell - gx, p.y / cell - gy);
    let corner = |dx: f64, dy: f64| {
        let key = ((gx + dx) as i64 as u64).wrapping_mul(0x9E37_79B9)
            ^ ((gy + dy) as i64 as u64).wrapping_mul(0x85EB_CA6B) << 1;
        Rng::derive(seed, key).range(0.6, 1.4)
    };
    let (sx, sy) = (smoothstep(0.0, 1.0, fx), smoothstep(0.0, 1.0, fy));
    let bottom = corner(0.0, 0.0) + (corner(1.0, 0.0) - corner(0.0, 0.0)) * sx;
    let top = corner(0.0, 1.0) + (corner(1.0, 1.0) - corner(0.0, 1.0)) * sx;
    bottom + (top - bottom) * sy
}

/// Picks `k` points spread out by farthest-point sampling, starting next to
/// `start`.
fn farthest_points(pts: &[Pt], start: Pt, k: usize) -> Vec<Pt> {
    let mut chosen: Vec<Pt> = Vec::with_capacity(k);
    if k == 0 {
        return chosen;
    }
    let first = (0..pts.len())
        .min_by(|&a, &b| pts[a].dist(start).total_cmp(&pts[b].dist(start)))
        .unwrap();
    chosen.push(pts[first]);
    let mut best: Vec<f64> = pts.iter().map(|p| p.dist(pts[first])).collect();
    while chosen.len() < k {
        let next = (0..pts.len())
            .max_by(|&a, &b| best[a].total_cmp(&best[b]))
            .unwrap();
        chosen.push(pts[next]);
        for (d, p) in best.iter_mut().zip(pts) {
            *d = d.min(p.dist(pts[next]));
        }
    }
    chosen
}

/// Voronoi cell of `seeds[i]` inside a large square around `centre`, by
/// clipping with the bisector half-plane of every other seed.
fn voronoi_cell(seeds: &[Pt], i: usize, centre: Pt, half: f64) -> Vec<Pt> {
    let mut cell = vec![
        centre + Pt::new(-half, -half),
        centre + Pt::new(half, -half),
        centre + Pt::new(half, half),
        centre + Pt::new(-half, half),
    ];
    for (j, &other) in seeds.iter().enumerate() {
        if j != i && other != seeds[i] {
            let mid = seeds[i].lerp(other, 0.5);
            let normal = other - seeds[i];
            cell = clip_half_plane(&cell, |p| (p - mid).dot(normal) <= 0.0, mid, normal);
        }
    }
    cell
}

/// Sutherland–Hodgman clip of a polygon by the half-plane
/// `(p - mid)·normal <= 0`.
fn clip_half_plane(poly: &[Pt], inside: impl Fn(Pt) -> bool, mid: Pt, normal: Pt) -> Vec<Pt> {
    let mut out = Vec::new();
    for k in 0..poly.len() {
        let (a, b) = (poly[k], poly[(k + 1) % poly.len()]);
        let (ia, ib) = (inside(a), inside(b));
        if ia {
            out.push(a);
        }
        if ia != ib {
            let (da, db) = ((a - mid).dot(normal), (b - mid).dot(normal));
            out.push(a.lerp(b, da / (da - db)));
        }
    }
    out
}

/// Intersection of two convex polygons.
fn clip_convex(poly: &[Pt], clip: &[Pt]) -> Vec<Pt> {
    let mut out = poly.to_vec();
    for k in 0..clip.len() {
        if out.is_empty() {
            break;
        }
        let (a, b) = (clip[k], clip[(k + 1) % clip.len()]);
        let normal = (b - a).perp() * -1.0; // outward for a CCW clip polygon
        out = clip_half_plane(&out, |p| (p - a).dot(normal) <= 0.0, a, normal);
    }
    out
}

fn to_polygon(pts: &[Pt]) -> Polygon<f64> {
    let coords: Vec<Coord<f64>> = pts.iter().map(|p| Coord { x: p.x, y: p.y }).collect();
    Polygon::new(LineString::from(coords), vec![])
}

/// The largest piece of `poly ∩ extent`, as an open ring without
/// repeated points, or `None` if it is negligible.
fn clip_to(poly: &[Pt], extent: &MultiPolygon<f64>) -> Option<Vec<Pt>> {
    if poly.len() < 3 {
        return None;
    }
    let clipped = to_polygon(poly).intersection(extent);
    let best = clipped.0.iter().max_by(|a, b| {
        let area = |p: &Polygon<f64>| {
            polygon_area(
                &p.exterior()
                    .0
                    .iter()
                    .map(|c| Pt::new(c.x, c.y))
                    .collect::<Vec<_>>(),
            )
            .abs()
        };
        area(a).total_cmp(&area(b))
    })?;
    let mut ring: Vec<Pt> = best
        .exterior()
        .0
        .iter()
        .map(|c| Pt::new(c.x, c.y))
        .collect();
    ring.pop(); // closing point
    ring.dedup_by(|a, b| a.dist(*b) < 0.5);
    if ring.len() < 3 || polygon_area(&ring).abs() < 5000.0 {
        return None;
    }
    if polygon_area(&ring) < 0.0 {
        ring.reverse();
    }
    Some(ring)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_numbers() {
        assert_eq!(cn_number(1), "一");
        assert_eq!(cn_number(10), "十");
        assert_eq!(cn_number(14), "十四");
        assert_eq!(cn_number(20), "二十");
        assert_eq!(cn_number(37), "三十七");
    }

    #[test]
    fn voronoi_cells_partition_the_square() {
        let seeds = [Pt::new(0.0, 0.0), Pt::new(100.0, 0.0), Pt::new(50.0, 80.0)];
        let total: f64 = (0..3)
            .map(|i| polygon_area(&voronoi_cell(&seeds, i, Pt::new(50.0, 50.0), 500.0)))
            .sum();
        assert!((total - 1_000_000.0).abs() < 1e-3);
    }
}

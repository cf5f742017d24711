//! Deterministic synthetic OpenStreetMap model of Dezhou (德州), Shandong.
//!
//! The engine needs a realistic, redistributable `.osm.pbf` input that
//! exercises everything it analyses: a street hierarchy, a canal and a
//! railway that can only be crossed at a few places, gated residential
//! compounds (小区) grouped into official communities (社区), and
//! children's facilities with realistic gaps in coverage. Real OSM data for
//! Dezhou is too sparse for that, so this module builds a plausible city on
//! top of the real administrative outlines and official division names
//! embedded from `data/dezhou/`.
//!
//! Output is byte-identical for a given seed on every platform: the
//! generator uses its own SplitMix64 RNG, only IEEE basic arithmetic and
//! `sqrt` (no platform `sin`/`cos`), and never lets hash-map iteration order
//! reach the output.
//!
//! * [`generate_pbf`] / [`generate_pbf_to_writer`] build a whole region.
//! * [`pbf::PbfWriter`] is the small reusable PBF writer underneath.

mod city;
mod dezhou;
mod layout;
mod province;

use std::borrow::Cow;
use std::fmt;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

pub use childcircle::osm::pbf::write::{BBox, MemberType, PbfStats, PbfWriter};

use layout::Pt;

/// Which part of Dezhou to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Region {
    /// The central city inside 德城区 (small; shipped as the default input).
    #[default]
    Decheng,
    /// All 11 districts and counties with towns, villages and rural roads
    /// (large; a benchmark input, not shipped).
    Prefecture,
    /// Sixteen prefectures side by side with provincial roads between them,
    /// a Shandong-sized input (about 26 M nodes; a benchmark input).
    Province,
}

impl FromStr for Region {
    type Err = SynthError;
    fn from_str(s: &str) -> Result<Self, SynthError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "decheng" => Ok(Region::Decheng),
            "prefecture" => Ok(Region::Prefecture),
            "province" => Ok(Region::Province),
            _ => Err(SynthError::UnknownRegion(s.to_owned())),
        }
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Region::Decheng => "decheng",
            Region::Prefecture => "prefecture",
            Region::Province => "province",
        })
    }
}

/// Generation parameters; the same options always give the same bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SynthOptions {
    pub region: Region,
    pub seed: u64,
}

impl Default for SynthOptions {
    fn default() -> Self {
        SynthOptions {
            region: Region::Decheng,
            seed: 2023,
        }
    }
}

/// What was written. `nodes`/`ways`/`relations`/`bytes` describe the file;
/// the other counts describe the synthetic city.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SynthStats {
    pub nodes: u64,
    pub ways: u64,
    pub relations: u64,
    pub bytes: u64,
    /// Residential compounds (小区), i.e. `landuse=residential` closed ways
    /// named as compounds (villages are not counted).
    pub compounds: u64,
    /// Children's facilities (schools, kindergartens, parks, ...).
    pub facilities: u64,
    /// Official communities (社区) emitted as `place=neighbourhood`.
    pub communities: u64,
}

#[derive(thiserror::Error, Debug)]
pub enum SynthError {
    #[error("cannot write {}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("cannot write PBF output: {0}")]
    Write(#[from] io::Error),
    #[error("unknown region {0:?} (expected \"decheng\", \"prefecture\" or \"province\")")]
    UnknownRegion(String),
    #[error("embedded Dezhou data is malformed: {0}")]
    Data(String),
}

/// Generates the region into `out`, atomically: the file is written next to
/// `out` under a temporary name and renamed into place, so a reader never
/// sees a half-written PBF.
pub fn generate_pbf(opts: &SynthOptions, out: &Path) -> Result<SynthStats, SynthError> {
    let io_err = |source| SynthError::Io {
        path: out.to_owned(),
        source,
    };
    let file_name = out
        .file_name()
        .ok_or_else(|| io_err(io::Error::other("output path has no file name")))?;
    let dir = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        file_name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let file = std::fs::File::create(&tmp).map_err(io_err)?;
        let (stats, writer) = write_model(opts, BufWriter::new(file)).map_err(|e| match e {
            SynthError::Write(source) => io_err(source),
            other => other,
        })?;
        let file = writer.into_inner().map_err(|e| io_err(e.into_error()))?;
        file.sync_all().map_err(io_err)?;
        std::fs::rename(&tmp, out).map_err(io_err)?;
        Ok(stats)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Generates the region into any writer (e.g. a `Vec<u8>` in tests).
pub fn generate_pbf_to_writer<W: Write>(
    opts: &SynthOptions,
    w: W,
) -> Result<SynthStats, SynthError> {
    write_model(opts, w).map(|(stats, _)| stats)
}

fn write_model<W: Write>(opts: &SynthOptions, w: W) -> Result<(SynthStats, W), SynthError> {
    let model = dezhou::build(opts)?;
    model.write(w)
}

// ---- deterministic randomness --------------------------------------------

/// The model's randomness: the project's one seeded generator.
pub(crate) use childcircle::rng::SplitMix64 as Rng;

// ---- in-memory model ------------------------------------------------------

/// Tags of one object. Keys are always literals; values are usually
/// literals too, so `Cow` avoids an allocation for most of them.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Tags(Vec<(&'static str, Cow<'static, str>)>);

impl Tags {
    pub fn new() -> Tags {
        Tags(Vec::new())
    }

    pub fn with(mut self, key: &'static str, value: impl Into<Cow<'static, str>>) -> Tags {
        self.set(key, value);
        self
    }

    /// Sets or replaces a tag.
    pub fn set(&mut self, key: &'static str, value: impl Into<Cow<'static, str>>) {
        let value = value.into();
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.0.push((key, value)),
        }
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_ref())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Index of a node in [`Model::nodes`]; its OSM id is assigned at write time.
pub(crate) type NodeIx = u32;
pub(crate) type WayIx = u32;

pub(crate) struct Node {
    pub p: Pt,
    pub tags: Tags,
}

pub(crate) struct Way {
    pub refs: Vec<NodeIx>,
    pub tags: Tags,
}

pub(crate) struct Relation {
    pub members: Vec<(MemberType, u32, &'static str)>,
    pub tags: Tags,
}

/// Everything generated, in local metric coordinates (metres east/north of
/// `origin`). Objects are numbered in creation order, which is also the
/// order in which they are written.
pub(crate) struct Model {
    pub proj: Projection,
    pub nodes: Vec<Node>,
    pub ways: Vec<Way>,
    pub relations: Vec<Relation>,
    pub compounds: u64,
    pub facilities: u64,
    pub communities: u64,
}

/// Local equirectangular projection around Dezhou's centre. The scale
/// factors are constants (metres per degree at 37.45°N) rather than
/// computed with `cos`, so the output does not depend on the platform's
/// libm. A few per cent of distortion at the prefecture's edges is
/// irrelevant for a synthetic city, and the inverse is exact.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Projection {
    pub lon0: f64,
    pub lat0: f64,
}

impl Projection {
    const M_PER_DEG_LAT: f64 = 110_986.0;
    const M_PER_DEG_LON: f64 = 88_484.0;

    pub fn to_local(self, lon: f64, lat: f64) -> Pt {
        Pt::new(
            (lon - self.lon0) * Self::M_PER_DEG_LON,
            (lat - self.lat0) * Self::M_PER_DEG_LAT,
        )
    }

    pub fn to_lonlat(self, p: Pt) -> (f64, f64) {
        (
            self.lon0 + p.x / Self::M_PER_DEG_LON,
            self.lat0 + p.y / Self::M_PER_DEG_LAT,
        )
    }
}

const SOURCE_TAG: (&str, &str) = ("source", "childcircle-synth");

impl Model {
    pub fn new(proj: Projection) -> Model {
        Model {
            proj,
            nodes: Vec::new(),
            ways: Vec::new(),
            relations: Vec::new(),
            compounds: 0,
            facilities: 0,
            communities: 0,
        }
    }

    pub fn add_node(&mut self, p: Pt, tags: Tags) -> NodeIx {
        self.nodes.push(Node { p, tags });
        (self.nodes.len() - 1) as NodeIx
    }

    pub fn add_way(&mut self, refs: Vec<NodeIx>, tags: Tags) -> WayIx {
        self.ways.push(Way { refs, tags });
        (self.ways.len() - 1) as WayIx
    }

    /// A closed way through fresh nodes at `pts` (the ring is closed here).
    pub fn add_area(&mut self, pts: &[Pt], tags: Tags) -> WayIx {
        let mut refs: Vec<NodeIx> = pts.iter().map(|&p| self.add_node(p, Tags::new())).collect();
        refs.push(refs[0]);
        self.add_way(refs, tags)
    }

    /// An open way through fresh nodes at `pts`.
    pub fn add_line(&mut self, pts: &[Pt], tags: Tags) -> WayIx {
        let refs: Vec<NodeIx> = pts.iter().map(|&p| self.add_node(p, Tags::new())).collect();
        self.add_way(refs, tags)
    }

    pub fn add_relation(&mut self, members: Vec<(MemberType, u32, &'static str)>, tags: Tags) {
        self.relations.push(Relation { members, tags });
    }

    /// Adds `other` after this model's objects, its points moved by `shift`
    /// metres (in this model's projection) and its references renumbered.
    pub fn append(&mut self, other: Model, shift: Pt) {
        let (nodes, ways, relations) = (
            self.nodes.len() as u32,
            self.ways.len() as u32,
            self.relations.len() as u32,
        );
        self.nodes.extend(other.nodes.into_iter().map(|n| Node {
            p: Pt::new(n.p.x + shift.x, n.p.y + shift.y),
            tags: n.tags,
        }));
        self.ways.extend(other.ways.into_iter().map(|w| Way {
            refs: w.refs.into_iter().map(|r| r + nodes).collect(),
            tags: w.tags,
        }));
        self.relations.extend(other.relations.into_iter().map(|r| {
            Relation {
                members: r
                    .members
                    .into_iter()
                    .map(|(t, ix, role)| {
                        let base = match t {
                            MemberType::Node => nodes,
                            MemberType::Way => ways,
                            MemberType::Relation => relations,
                        };
                        (t, ix + base, role)
                    })
                    .collect(),
                tags: r.tags,
            }
        }));
        self.compounds += other.compounds;
        self.facilities += other.facilities;
        self.communities += other.communities;
    }

    /// Writes the model as PBF. Untagged nodes that no way or relation uses
    /// (e.g. street nodes removed at a canal bank) are dropped, and ids are
    /// renumbered densely from 1 so that they are positive and sorted.
    fn write<W: Write>(self, w: W) -> Result<(SynthStats, W), SynthError> {
        let mut used = vec![false; self.nodes.len()];
        for way in &self.ways {
            for &r in &way.refs {
                used[r as usize] = true;
            }
        }
        for rel in &self.relations {
            for &(t, ix, _) in &rel.members {
                if t == MemberType::Node {
                    used[ix as usize] = true;
                }
            }
        }
        let mut node_id = vec![0i64; self.nodes.len()];
        let mut next = 0i64;
        let mut bbox: Option<BBox> = None;
        for (i, node) in self.nodes.iter().enumerate() {
            if used[i] || !node.tags.is_empty() {
                next += 1;
                node_id[i] = next;
                let (lon, lat) = self.proj.to_lonlat(node.p);
                bbox = Some(grow_bbox(bbox, lon, lat));
            }
        }

        let mut pbf = PbfWriter::new(w, bbox)?;
        for (i, node) in self.nodes.iter().enumerate() {
            if node_id[i] > 0 {
                let (lon, lat) = self.proj.to_lonlat(node.p);
                pbf.add_node(node_id[i], lat, lon, &tag_refs(&node.tags))?;
            }
        }
        for (i, way) in self.ways.iter().enumerate() {
            let refs: Vec<i64> = way.refs.iter().map(|&r| node_id[r as usize]).collect();
            pbf.add_way(i as i64 + 1, &refs, &tag_refs(&way.tags))?;
        }
        for (i, rel) in self.relations.iter().enumerate() {
            let members: Vec<(MemberType, i64, &str)> = rel
                .members
                .iter()
                .map(|&(t, ix, role)| match t {
                    MemberType::Node => (t, node_id[ix as usize], role),
                    _ => (t, ix as i64 + 1, role),
                })
                .collect();
            pbf.add_relation(i as i64 + 1, &members, &tag_refs(&rel.tags))?;
        }
        let (w, written) = pbf.finish()?;
        let stats = SynthStats {
            nodes: written.nodes,
            ways: written.ways,
            relations: written.relations,
            bytes: written.bytes,
            compounds: self.compounds,
            facilities: self.facilities,
            communities: self.communities,
        };
        Ok((stats, w))
    }
}

fn tag_refs(tags: &Tags) -> Vec<(&str, &str)> {
    let mut out: Vec<(&str, &str)> = tags.0.iter().map(|(k, v)| (*k, v.as_ref())).collect();
    out.push(SOURCE_TAG);
    out
}

fn grow_bbox(b: Option<BBox>, lon: f64, lat: f64) -> BBox {
    match b {
        None => BBox {
            min_lon: lon,
            min_lat: lat,
            max_lon: lon,
            max_lat: lat,
        },
        Some(b) => BBox {
            min_lon: b.min_lon.min(lon),
            min_lat: b.min_lat.min(lat),
            max_lon: b.max_lon.max(lon),
            max_lat: b.max_lat.max(lat),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_parses_and_displays() {
        assert_eq!("Decheng".parse::<Region>().unwrap(), Region::Decheng);
        assert_eq!(
            Region::Prefecture.to_string().parse::<Region>().unwrap(),
            Region::Prefecture
        );
        assert!("jinan".parse::<Region>().is_err());
        assert_eq!("province".parse::<Region>().unwrap(), Region::Province);
    }

    /// Appending renumbers every reference by the kind it points at and
    /// moves only the appended points.
    ///
    /// ```text
    ///   a0 ── a1        b0 ── b1      (b: a way and a relation of
    ///   (way a, rel a)   (way b, rel b: node b0, way b, rel a of b)
    /// ```
    #[test]
    fn append_renumbers_references_and_moves_points() {
        let proj = Projection {
            lon0: 116.3,
            lat0: 37.45,
        };
        let small = |x: f64| {
            let mut m = Model::new(proj);
            let w = m.add_line(
                &[Pt::new(x, 0.0), Pt::new(x + 1.0, 0.0)],
                Tags::new().with("highway", "residential"),
            );
            m.add_relation(vec![(MemberType::Way, w, "outer")], Tags::new());
            m.add_relation(
                vec![
                    (MemberType::Node, 0, ""),
                    (MemberType::Way, w, "outer"),
                    (MemberType::Relation, 0, "sub"),
                ],
                Tags::new(),
            );
            m.compounds = 1;
            m
        };
        let mut a = small(0.0);
        a.append(small(0.0), Pt::new(100.0, 5.0));
        assert_eq!(a.nodes.len(), 4);
        assert_eq!(a.nodes[1].p, Pt::new(1.0, 0.0));
        assert_eq!(a.nodes[2].p, Pt::new(100.0, 5.0));
        assert_eq!(a.ways[1].refs, vec![2, 3]);
        assert_eq!(a.relations[2].members[0].1, 1, "way b");
        let members: Vec<u32> = a.relations[3].members.iter().map(|m| m.1).collect();
        assert_eq!(members, vec![2, 1, 2], "node b0, way b, rel a of b");
        assert_eq!(a.compounds, 2);
    }

    #[test]
    fn rng_is_reproducible_and_uniform_enough() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        let xs: Vec<u64> = (0..5).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..5).map(|_| b.next_u64()).collect();
        assert_eq!(xs, ys);
        let mean = (0..10_000).map(|_| a.f64()).sum::<f64>() / 10_000.0;
        assert!((mean - 0.5).abs() < 0.02);
        assert!((0..1000).all(|_| a.below(3) < 3));
    }
}

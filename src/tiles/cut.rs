//! Cutting one PBF per tile out of the extract read once, with our own PBF
//! writer ([`crate::osm::pbf::write::PbfWriter`]): it writes the plain sorted layout our
//! reader, osmium and osmpbfreader read, and needs no external tool. Complete
//! ways: a way whose box meets a tile's reach is written whole, with all its
//! nodes; a multipolygon relation with such a member is written with all its
//! member ways. Tiles are written in parallel, each atomically.

use std::io::BufWriter;
use std::path::Path;

use rayon::prelude::*;

use super::extract::{to_e7, way_box, Extract};
use super::tile::Tile;
use crate::error::{Error, Result};
use crate::osm::pbf::write::{BBox, MemberType, PbfWriter};

/// What went into one tile's extract.
#[derive(Debug, Clone, Copy, Default)]
pub struct Cut {
    /// Nodes written.
    pub nodes: u64,
    /// Ways written.
    pub ways: u64,
    /// Relations written.
    pub relations: u64,
}

/// Writes `DIR/tiles/<i>/extract.osm.pbf` for every tile and fills in the
/// tiles' counts.
pub fn cut_tiles(x: &Extract, tiles: &mut [Tile], dir: &Path) -> Result<()> {
    let boxes: Vec<Option<[i32; 4]>> = x.ways.par_iter().map(|w| way_box(x, w)).collect();
    let cuts: Vec<Result<Cut>> = tiles
        .par_iter()
        .map(|t| {
            let tdir = super::tile_dir(dir, t.index);
            std::fs::create_dir_all(&tdir).map_err(|e| Error::io(&tdir, e))?;
            write_tile(x, &boxes, t, &tdir.join(super::TILE_PBF))
        })
        .collect();
    for (t, c) in tiles.iter_mut().zip(cuts) {
        let c = c?;
        t.nodes = c.nodes;
        t.ways = c.ways;
        t.relations = c.relations;
    }
    Ok(())
}

/// Writes one tile's extract to `path` (atomically): what meets its reach.
fn write_tile(x: &Extract, boxes: &[Option<[i32; 4]>], t: &Tile, path: &Path) -> Result<Cut> {
    let r = [
        to_e7(t.reach[0], true),
        to_e7(t.reach[1], true),
        to_e7(t.reach[2], false),
        to_e7(t.reach[3], false),
    ];
    let selection = Selection::new(x, boxes, r);
    let err = |e: std::io::Error| Error::io(path, e);
    let tmp = path.with_extension("pbf.partial");
    let file = std::fs::File::create(&tmp).map_err(err)?;
    let bbox = BBox {
        min_lon: t.reach[0],
        min_lat: t.reach[1],
        max_lon: t.reach[2],
        max_lat: t.reach[3],
    };
    let mut w = PbfWriter::new(BufWriter::new(file), Some(bbox)).map_err(err)?;
    let cut = selection.write(x, &mut w).map_err(err)?;
    let (out, _) = w.finish().map_err(err)?;
    let file = out.into_inner().map_err(|e| err(e.into_error()))?;
    file.sync_all().map_err(err)?;
    std::fs::rename(&tmp, path).map_err(err)?;
    Ok(cut)
}

/// What goes into one tile: node ids, way and relation indices, each
/// sorted and once.
struct Selection {
    nodes: Vec<i64>,
    ways: Vec<usize>,
    relations: Vec<usize>,
}

impl Selection {
    /// The ways whose box meets the reach `r` (e7 `[x0, y0, x1, y1]`), the
    /// relations with a member inside it or among those ways (and all their
    /// member ways), and every node those use plus the tagged nodes inside.
    fn new(x: &Extract, boxes: &[Option<[i32; 4]>], r: [i32; 4]) -> Self {
        let meets = |b: &[i32; 4]| b[0] <= r[2] && b[2] >= r[0] && b[1] <= r[3] && b[3] >= r[1];
        let inside =
            |lon: i32, lat: i32| (r[0]..=r[2]).contains(&lon) && (r[1]..=r[3]).contains(&lat);
        let mut ways: Vec<usize> = (0..x.ways.len())
            .filter(|&i| boxes[i].as_ref().is_some_and(meets))
            .collect();
        let has_way = |ways: &[usize], id: i64| {
            x.way_index(id)
                .is_some_and(|i| ways.binary_search(&i).is_ok())
        };
        let relations: Vec<usize> = (0..x.relations.len())
            .filter(|&i| {
                x.relations[i]
                    .members
                    .iter()
                    .any(|(kind, id, _)| match kind {
                        0 => x.node(*id).is_some_and(|n| inside(n.lon, n.lat)),
                        1 => has_way(&ways, *id),
                        _ => false,
                    })
            })
            .collect();
        for &i in &relations {
            for (kind, id, _) in &x.relations[i].members {
                if let (1, Some(w)) = (kind, x.way_index(*id)) {
                    ways.push(w);
                }
            }
        }
        ways.sort_unstable();
        ways.dedup();
        let mut nodes: Vec<i64> = ways
            .iter()
            .flat_map(|&i| x.ways[i].refs.iter().copied())
            .collect();
        nodes.extend(
            x.node_tags
                .iter()
                .filter(|(id, _)| x.node(*id).is_some_and(|n| inside(n.lon, n.lat)))
                .map(|(id, _)| *id),
        );
        for &i in &relations {
            nodes.extend(
                x.relations[i]
                    .members
                    .iter()
                    .filter(|m| m.0 == 0)
                    .map(|m| m.1),
            );
        }
        nodes.sort_unstable();
        nodes.dedup();
        Selection {
            nodes,
            ways,
            relations,
        }
    }

    /// Writes the selected nodes, ways and relations, counting them.
    fn write<W: std::io::Write>(self, x: &Extract, w: &mut PbfWriter<W>) -> std::io::Result<Cut> {
        let mut cut = Cut::default();
        for id in self.nodes {
            let Some(n) = x.node(id) else { continue };
            let tags = pairs(x.tags_of_node(id));
            w.add_node(id, f64::from(n.lat) * 1e-7, f64::from(n.lon) * 1e-7, &tags)?;
            cut.nodes += 1;
        }
        for i in self.ways {
            let way = &x.ways[i];
            w.add_way(way.id, &way.refs, &pairs(&way.tags))?;
            cut.ways += 1;
        }
        for i in self.relations {
            let rel = &x.relations[i];
            let members: Vec<(MemberType, i64, &str)> = rel
                .members
                .iter()
                .map(|(kind, id, role)| {
                    let kind = match kind {
                        0 => MemberType::Node,
                        1 => MemberType::Way,
                        _ => MemberType::Relation,
                    };
                    (kind, *id, &**role)
                })
                .collect();
            w.add_relation(rel.id, &members, &pairs(&rel.tags))?;
            cut.relations += 1;
        }
        Ok(cut)
    }
}

fn pairs(tags: &[(Box<str>, Box<str>)]) -> Vec<(&str, &str)> {
    tags.iter().map(|(k, v)| (&**k, &**v)).collect()
}

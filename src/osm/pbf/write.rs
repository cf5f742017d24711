//! A small, dependency-light OpenStreetMap PBF writer.
//!
//! The synthetic city must be readable by the same readers the engine uses
//! on real extracts (`osmpbfreader`, osmium), so this writer emits the plain
//! standard layout: one `OSMHeader` blob followed by zlib-compressed
//! `OSMData` blobs, each holding a single `PrimitiveGroup` of one kind
//! (dense nodes, ways or relations). The protobuf encoding is written by
//! hand because the format only needs varints, zigzag, length-delimited
//! fields and packed repeated fields; pulling in a protobuf code generator
//! for that would cost more than it saves.
//!
//! The writer insists on the order "nodes, then ways, then relations, each
//! by strictly increasing id" and advertises it as `Sort.Type_then_ID`:
//! readers may rely on that, and it catches generator bugs early.

use std::collections::HashMap;
use std::io::{self, Write};

/// Readers such as osmium reject blocks with far more entities than this;
/// 8000 is the customary value used by osmium and osmosis.
pub const MAX_ENTITIES_PER_BLOCK: usize = 8000;

/// Coordinates are stored in units of `GRANULARITY` nanodegrees.
/// 100 (the protobuf default) gives 1e-7 degree, about 1 cm.
const GRANULARITY: i64 = 100;

/// Geographic bounding box written into the file header (degrees, WGS84).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BBox {
    /// Western edge, degrees longitude.
    pub min_lon: f64,
    /// Southern edge, degrees latitude.
    pub min_lat: f64,
    /// Eastern edge, degrees longitude.
    pub max_lon: f64,
    /// Northern edge, degrees latitude.
    pub max_lat: f64,
}

/// Kind of a relation member, numbered as in `osmformat.proto`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberType {
    /// A node.
    Node = 0,
    /// A way.
    Way = 1,
    /// A relation.
    Relation = 2,
}

/// What has been written so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PbfStats {
    /// Nodes written.
    pub nodes: u64,
    /// Ways written.
    pub ways: u64,
    /// Relations written.
    pub relations: u64,
    /// `OSMData` blocks written (the header blob not counted).
    pub blocks: u64,
    /// Bytes written to the output, header blob included.
    pub bytes: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Node,
    Way,
    Relation,
}

/// Streaming PBF writer: entities are buffered into one block at a time and
/// the block is compressed and written when it is full or the kind changes.
pub struct PbfWriter<W: Write> {
    out: W,
    stats: PbfStats,
    /// Kind and id of the last entity added, to enforce the sort order.
    last: Option<(Kind, i64)>,
    block: BlockBuilder,
}

impl<W: Write> PbfWriter<W> {
    /// Writes the `OSMHeader` blob immediately.
    pub fn new(out: W, bbox: Option<BBox>) -> io::Result<Self> {
        let mut writer = PbfWriter {
            out,
            stats: PbfStats::default(),
            last: None,
            block: BlockBuilder::default(),
        };
        let header = encode_header(bbox);
        writer.write_blob("OSMHeader", &header)?;
        Ok(writer)
    }

    /// Adds a node; `lat`/`lon` are degrees and are rounded to 1e-7 degree.
    pub fn add_node(
        &mut self,
        id: i64,
        lat: f64,
        lon: f64,
        tags: &[(&str, &str)],
    ) -> io::Result<()> {
        self.start_entity(Kind::Node, id)?;
        self.block
            .add_node(id, to_decimicro(lat), to_decimicro(lon), tags);
        Ok(())
    }

    /// Adds a way referencing nodes by id.
    pub fn add_way(&mut self, id: i64, refs: &[i64], tags: &[(&str, &str)]) -> io::Result<()> {
        self.start_entity(Kind::Way, id)?;
        self.block.add_way(id, refs, tags);
        Ok(())
    }

    /// Adds a relation; members are `(type, id, role)`.
    pub fn add_relation(
        &mut self,
        id: i64,
        members: &[(MemberType, i64, &str)],
        tags: &[(&str, &str)],
    ) -> io::Result<()> {
        self.start_entity(Kind::Relation, id)?;
        self.block.add_relation(id, members, tags);
        Ok(())
    }

    /// Statistics of what has been written (or buffered) so far.
    pub fn stats(&self) -> PbfStats {
        self.stats
    }

    /// Flushes the last block and returns the inner writer with the totals.
    pub fn finish(mut self) -> io::Result<(W, PbfStats)> {
        self.flush_block()?;
        self.out.flush()?;
        Ok((self.out, self.stats))
    }

    /// Checks the sort order and makes room in the current block.
    fn start_entity(&mut self, kind: Kind, id: i64) -> io::Result<()> {
        if let Some(last) = self.last {
            if (kind, id) <= last {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!(
                        "PBF entities must be added by type then strictly increasing id: {kind:?} {id} after {last:?}"
                    ),
                ));
            }
        }
        let kind_changed = self.last.is_some_and(|(last_kind, _)| last_kind != kind);
        if kind_changed || self.block.len() >= MAX_ENTITIES_PER_BLOCK {
            self.flush_block()?;
        }
        self.last = Some((kind, id));
        match kind {
            Kind::Node => self.stats.nodes += 1,
            Kind::Way => self.stats.ways += 1,
            Kind::Relation => self.stats.relations += 1,
        }
        Ok(())
    }

    fn flush_block(&mut self) -> io::Result<()> {
        if self.block.len() == 0 {
            return Ok(());
        }
        let block = std::mem::take(&mut self.block).encode();
        self.stats.blocks += 1;
        self.write_blob("OSMData", &block)
    }

    /// Writes `BlobHeader` length, `BlobHeader` and the zlib `Blob`.
    fn write_blob(&mut self, blob_type: &str, raw: &[u8]) -> io::Result<()> {
        // miniz_oxide directly, at flate2's default level 6: flate2's output
        // depends on which backend feature the dependency graph enables
        // (calamine's zip turns on zlib-rs), and the shipped model must stay
        // byte-identical.
        let compressed = miniz_oxide::deflate::compress_to_vec_zlib(raw, 6);

        let mut blob = Vec::with_capacity(compressed.len() + 16);
        put_uint(&mut blob, 2, raw.len() as u64); // raw_size
        put_bytes(&mut blob, 3, &compressed); // zlib_data

        let mut header = Vec::with_capacity(32);
        put_bytes(&mut header, 1, blob_type.as_bytes());
        put_uint(&mut header, 3, blob.len() as u64); // datasize

        self.out.write_all(&(header.len() as u32).to_be_bytes())?;
        self.out.write_all(&header)?;
        self.out.write_all(&blob)?;
        self.stats.bytes += 4 + header.len() as u64 + blob.len() as u64;
        Ok(())
    }
}

fn to_decimicro(deg: f64) -> i64 {
    (deg * 1e7).round() as i64
}

fn encode_header(bbox: Option<BBox>) -> Vec<u8> {
    let mut out = Vec::new();
    if let Some(b) = bbox {
        // HeaderBBox is in nanodegrees.
        let nano = |deg: f64| to_decimicro(deg) * 100;
        let mut bb = Vec::new();
        put_sint(&mut bb, 1, nano(b.min_lon));
        put_sint(&mut bb, 2, nano(b.max_lon));
        put_sint(&mut bb, 3, nano(b.max_lat));
        put_sint(&mut bb, 4, nano(b.min_lat));
        put_bytes(&mut out, 1, &bb);
    }
    put_bytes(&mut out, 4, b"OsmSchema-V0.6");
    put_bytes(&mut out, 4, b"DenseNodes");
    put_bytes(&mut out, 5, b"Sort.Type_then_ID");
    put_bytes(&mut out, 16, b"childcircle-synth");
    out
}

/// One `PrimitiveBlock` under construction: a string table plus either
/// dense-node columns or already-encoded ways/relations.
#[derive(Default)]
struct BlockBuilder {
    strings: StringTable,
    count: usize,
    // Dense node columns (delta coded at encode time).
    ids: Vec<i64>,
    lats: Vec<i64>,
    lons: Vec<i64>,
    keys_vals: Vec<u64>,
    /// Encoded `Way`/`Relation` messages, each already framed as a field of
    /// `PrimitiveGroup` (3 = ways, 4 = relations).
    group: Vec<u8>,
}

impl BlockBuilder {
    fn len(&self) -> usize {
        self.count
    }

    fn add_node(&mut self, id: i64, lat: i64, lon: i64, tags: &[(&str, &str)]) {
        self.count += 1;
        self.ids.push(id);
        self.lats.push(lat);
        self.lons.push(lon);
        for (k, v) in tags {
            self.keys_vals.push(self.strings.index(k));
            self.keys_vals.push(self.strings.index(v));
        }
        self.keys_vals.push(0);
    }

    fn add_way(&mut self, id: i64, refs: &[i64], tags: &[(&str, &str)]) {
        self.count += 1;
        let mut msg = Vec::with_capacity(16 + 3 * refs.len());
        put_uint(&mut msg, 1, id as u64);
        self.put_tags(&mut msg, tags);
        put_packed(&mut msg, 8, delta(refs.iter().copied()).map(zigzag));
        put_bytes(&mut self.group, 3, &msg);
    }

    fn add_relation(
        &mut self,
        id: i64,
        members: &[(MemberType, i64, &str)],
        tags: &[(&str, &str)],
    ) {
        self.count += 1;
        let mut msg = Vec::new();
        put_uint(&mut msg, 1, id as u64);
        self.put_tags(&mut msg, tags);
        let roles: Vec<u64> = members
            .iter()
            .map(|(_, _, role)| self.strings.index(role))
            .collect();
        put_packed(&mut msg, 8, roles.into_iter());
        put_packed(&mut msg, 9, delta(members.iter().map(|m| m.1)).map(zigzag));
        put_packed(&mut msg, 10, members.iter().map(|m| m.0 as u64));
        put_bytes(&mut self.group, 4, &msg);
    }

    fn put_tags(&mut self, msg: &mut Vec<u8>, tags: &[(&str, &str)]) {
        let keys: Vec<u64> = tags.iter().map(|(k, _)| self.strings.index(k)).collect();
        let vals: Vec<u64> = tags.iter().map(|(_, v)| self.strings.index(v)).collect();
        put_packed(msg, 2, keys.into_iter());
        put_packed(msg, 3, vals.into_iter());
    }

    /// Serialises the `PrimitiveBlock`.
    fn encode(self) -> Vec<u8> {
        let mut group = self.group;
        if !self.ids.is_empty() {
            let mut dense = Vec::with_capacity(self.ids.len() * 8);
            put_packed(&mut dense, 1, delta(self.ids.into_iter()).map(zigzag));
            put_packed(&mut dense, 8, delta(self.lats.into_iter()).map(zigzag));
            put_packed(&mut dense, 9, delta(self.lons.into_iter()).map(zigzag));
            // keys_vals is only needed when some node has tags.
            if self.keys_vals.iter().any(|&s| s != 0) {
                put_packed(&mut dense, 10, self.keys_vals.into_iter());
            }
            put_bytes(&mut group, 2, &dense);
        }
        let mut table = Vec::new();
        for s in &self.strings.list {
            put_bytes(&mut table, 1, s.as_bytes());
        }
        let mut block = Vec::with_capacity(table.len() + group.len() + 16);
        put_bytes(&mut block, 1, &table);
        put_bytes(&mut block, 2, &group);
        put_uint(&mut block, 17, GRANULARITY as u64);
        block
    }
}

/// Per-block string table. Index 0 is reserved for the empty string (it
/// doubles as the tag delimiter in dense nodes). Strings are numbered by
/// first use, so the table order never depends on hash iteration order.
struct StringTable {
    list: Vec<String>,
    index: HashMap<String, u64>,
}

impl Default for StringTable {
    fn default() -> Self {
        StringTable {
            list: vec![String::new()],
            index: HashMap::new(),
        }
    }
}

impl StringTable {
    fn index(&mut self, s: &str) -> u64 {
        if let Some(&i) = self.index.get(s) {
            return i;
        }
        let i = self.list.len() as u64;
        self.list.push(s.to_owned());
        self.index.insert(s.to_owned(), i);
        i
    }
}

// ---- protobuf primitives -------------------------------------------------

const WIRE_VARINT: u64 = 0;
const WIRE_LEN: u64 = 2;

fn delta(values: impl Iterator<Item = i64>) -> impl Iterator<Item = i64> {
    let mut prev = 0i64;
    values.map(move |v| {
        let d = v.wrapping_sub(prev);
        prev = v;
        d
    })
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn put_varint(buf: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        buf.push((v as u8) | 0x80);
        v >>= 7;
    }
    buf.push(v as u8);
}

fn put_key(buf: &mut Vec<u8>, field: u64, wire: u64) {
    put_varint(buf, (field << 3) | wire);
}

fn put_uint(buf: &mut Vec<u8>, field: u64, v: u64) {
    put_key(buf, field, WIRE_VARINT);
    put_varint(buf, v);
}

fn put_sint(buf: &mut Vec<u8>, field: u64, v: i64) {
    put_uint(buf, field, zigzag(v));
}

fn put_bytes(buf: &mut Vec<u8>, field: u64, bytes: &[u8]) {
    put_key(buf, field, WIRE_LEN);
    put_varint(buf, bytes.len() as u64);
    buf.extend_from_slice(bytes);
}

/// Packed repeated varints; empty sequences are omitted, as protobuf does.
fn put_packed(buf: &mut Vec<u8>, field: u64, values: impl Iterator<Item = u64>) {
    let mut body = Vec::new();
    for v in values {
        put_varint(&mut body, v);
    }
    if !body.is_empty() {
        put_bytes(buf, field, &body);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varint_and_zigzag_match_protobuf_examples() {
        let mut b = Vec::new();
        put_varint(&mut b, 300);
        assert_eq!(b, [0xAC, 0x02]);
        assert_eq!(zigzag(0), 0);
        assert_eq!(zigzag(-1), 1);
        assert_eq!(zigzag(1), 2);
        assert_eq!(zigzag(-2), 3);
        assert_eq!(zigzag(i64::MIN), u64::MAX);
    }

    #[test]
    fn rejects_out_of_order_entities() {
        let mut w = PbfWriter::new(Vec::new(), None).unwrap();
        w.add_way(5, &[1, 2], &[]).unwrap();
        assert!(w.add_node(6, 0.0, 0.0, &[]).is_err());
        assert!(w.add_way(5, &[1, 2], &[]).is_err());
    }
}

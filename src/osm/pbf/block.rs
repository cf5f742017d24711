//! A zero-copy reader of decompressed `PrimitiveBlock`s.
//!
//! `osmpbfreader`'s generated protobuf types copy every string of the string
//! table and every packed array into its own `Vec` before we can look at one
//! object, and the ingest pass throws almost all of it away. This reader keeps
//! slices into the decompressed buffer instead and decodes packed varints on
//! demand, so a dense-node block whose tags interest no rule costs one scan of
//! its string table. The generated types stay the reference: a test decodes
//! every block of the shipped extracts with both and compares them.
//!
//! Every length and index is checked: a corrupt block yields [`Corrupt`], never
//! a panic or an out-of-bounds read.

use std::ops::Range;

use super::{BlobKinds, Compression, HAS_NODES, HAS_RELATIONS, HAS_WAYS};

/// Why a block could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Corrupt(pub &'static str);

type Result<T> = std::result::Result<T, Corrupt>;

/// One protobuf field value.
enum Value<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    /// Fixed-width values, which no field we read uses.
    Fixed,
}

/// Iterates over the fields of one protobuf message.
struct Fields<'a>(&'a [u8]);

impl<'a> Iterator for Fields<'a> {
    type Item = Result<(u32, Value<'a>)>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.0.is_empty() {
            return None;
        }
        Some(self.field())
    }
}

impl<'a> Fields<'a> {
    fn field(&mut self) -> Result<(u32, Value<'a>)> {
        let key = self.varint()?;
        let number = u32::try_from(key >> 3).map_err(|_| Corrupt("bad field number"))?;
        let value = match key & 7 {
            0 => Value::Varint(self.varint()?),
            1 => self.skip(8)?,
            2 => {
                let len = usize::try_from(self.varint()?).map_err(|_| Corrupt("bad length"))?;
                if len > self.0.len() {
                    return Err(Corrupt("a field runs past the end of its message"));
                }
                let (bytes, rest) = self.0.split_at(len);
                self.0 = rest;
                Value::Bytes(bytes)
            }
            5 => self.skip(4)?,
            _ => return Err(Corrupt("unknown protobuf wire type")),
        };
        Ok((number, value))
    }

    fn skip(&mut self, n: usize) -> Result<Value<'a>> {
        if n > self.0.len() {
            return Err(Corrupt("a field runs past the end of its message"));
        }
        self.0 = &self.0[n..];
        Ok(Value::Fixed)
    }

    fn varint(&mut self) -> Result<u64> {
        let mut value = 0u64;
        for (i, &b) in self.0.iter().enumerate().take(10) {
            value |= u64::from(b & 0x7f) << (7 * i);
            if b < 0x80 {
                self.0 = &self.0[i + 1..];
                return Ok(value);
            }
        }
        Err(Corrupt("bad varint"))
    }
}

/// A `BlobHeader`'s type and data size.
pub(super) fn blob_header(bytes: &[u8]) -> Result<(&[u8], u64)> {
    let (mut kind, mut size) = (None, None);
    for field in Fields(bytes) {
        match field? {
            (1, Value::Bytes(b)) => kind = Some(b),
            (3, Value::Varint(v)) => size = Some(v),
            _ => {}
        }
    }
    match (kind, size) {
        (Some(kind), Some(size)) => Ok((kind, size)),
        _ => Err(Corrupt("a blob header without type or size")),
    }
}

/// Where a `Blob`'s payload lies in its bytes, and how it is compressed.
pub(super) fn blob(bytes: &[u8]) -> Result<(Range<usize>, Compression)> {
    let mut raw_size = 0;
    let mut found = None;
    for field in Fields(bytes) {
        match field? {
            (2, Value::Varint(v)) => raw_size = usize::try_from(v).unwrap_or(0),
            (n @ (1 | 3 | 4 | 6 | 7), Value::Bytes(b)) => {
                let start = b.as_ptr() as usize - bytes.as_ptr() as usize;
                found = Some((n, start..start + b.len()));
            }
            _ => {}
        }
    }
    match found {
        Some((1, range)) => Ok((range, Compression::Raw)),
        Some((3, range)) => Ok((range, Compression::Zlib(raw_size))),
        Some((_, range)) => Ok((range, Compression::Unsupported)),
        None => Err(Corrupt("a blob without data")),
    }
}

/// A packed repeated varint field, decoded on demand.
#[derive(Clone, Copy, Default)]
pub struct Packed<'a>(&'a [u8]);

impl<'a> Packed<'a> {
    fn new(bytes: &'a [u8]) -> Result<Self> {
        // Every varint ends with a byte below 0x80; if the last byte does, no
        // varint can run past the end and iteration needs no length checks.
        match bytes.last() {
            Some(&b) if b >= 0x80 => Err(Corrupt("a packed array ends inside a varint")),
            _ => Ok(Packed(bytes)),
        }
    }

    /// Whether the array holds no values.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Number of values (counts the bytes that end a varint).
    pub fn count(&self) -> usize {
        self.0.iter().filter(|&&b| b < 0x80).count()
    }

    /// The raw values.
    pub fn varints(&self) -> Varints<'a> {
        Varints(self.0)
    }

    /// Values as zigzag-encoded signed integers (`sint64`).
    pub fn sint64(&self) -> impl Iterator<Item = i64> + 'a {
        self.varints().map(zigzag)
    }

    /// `sint64` values that are deltas, summed up (ids, coordinates, refs).
    pub fn delta(&self) -> impl Iterator<Item = i64> + 'a {
        let mut acc = 0i64;
        self.sint64().map(move |d| {
            acc = acc.wrapping_add(d);
            acc
        })
    }
}

/// Iterator over the values of a [`Packed`] array.
#[derive(Clone)]
pub struct Varints<'a>(&'a [u8]);

impl Iterator for Varints<'_> {
    type Item = u64;

    #[inline]
    fn next(&mut self) -> Option<u64> {
        let (&b0, rest) = self.0.split_first()?;
        if b0 < 0x80 {
            self.0 = rest;
            return Some(u64::from(b0));
        }
        let mut value = u64::from(b0 & 0x7f);
        let mut i = 1;
        // `Packed::new` guarantees a terminating byte before the end.
        while let Some(&b) = self.0.get(i) {
            if i < 10 {
                value |= u64::from(b & 0x7f) << (7 * i);
            }
            i += 1;
            if b < 0x80 {
                break;
            }
        }
        self.0 = &self.0[i.min(self.0.len())..];
        Some(value)
    }
}

fn zigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

/// A decompressed `PrimitiveBlock`.
pub struct Block<'a> {
    /// The string table; index 0 is by convention the empty string.
    pub strings: Vec<&'a [u8]>,
    groups: Vec<&'a [u8]>,
    granularity: i64,
    lat_offset: i64,
    lon_offset: i64,
}

/// One OSM element of a block.
pub enum Element<'a> {
    /// A node stored on its own.
    Node(Node<'a>),
    /// A group of dense nodes.
    Dense(DenseNodes<'a>),
    /// A way.
    Way(Way<'a>),
    /// A relation.
    Relation(Relation<'a>),
}

/// A node stored on its own (not in a dense group).
#[derive(Default)]
pub struct Node<'a> {
    /// Node id.
    pub id: i64,
    /// Tag keys, string table indexes.
    pub keys: Packed<'a>,
    /// Tag values, string table indexes, one per key.
    pub vals: Packed<'a>,
    /// Latitude in the block's granularity units; see [`Block::decimicro`].
    pub lat: i64,
    /// Longitude in the block's granularity units; see [`Block::decimicro`].
    pub lon: i64,
}

/// A group of dense nodes: ids and coordinates are delta-coded columns,
/// tags one `key, value, ..., 0` run per node.
#[derive(Default)]
pub struct DenseNodes<'a> {
    /// Delta-coded node ids.
    pub ids: Packed<'a>,
    /// Delta-coded latitudes in the block's granularity units.
    pub lats: Packed<'a>,
    /// Delta-coded longitudes in the block's granularity units.
    pub lons: Packed<'a>,
    /// Tag key and value string table indexes, each node's run ended by 0.
    pub keys_vals: Packed<'a>,
}

/// A way: its id, tags and node refs.
#[derive(Default)]
pub struct Way<'a> {
    /// Way id.
    pub id: i64,
    /// Tag keys, string table indexes.
    pub keys: Packed<'a>,
    /// Tag values, string table indexes, one per key.
    pub vals: Packed<'a>,
    /// Delta-coded node ids.
    pub refs: Packed<'a>,
}

/// A relation: its id, tags and members.
#[derive(Default)]
pub struct Relation<'a> {
    /// Relation id.
    pub id: i64,
    /// Tag keys, string table indexes.
    pub keys: Packed<'a>,
    /// Tag values, string table indexes, one per key.
    pub vals: Packed<'a>,
    /// Member roles, string table indexes, one per member.
    pub roles: Packed<'a>,
    /// Delta-coded member ids.
    pub members: Packed<'a>,
    /// Member types: 0 node, 1 way, 2 relation.
    pub types: Packed<'a>,
}

/// Member type of a way in [`Relation::types`].
pub const MEMBER_WAY: u64 = 1;

impl<'a> Block<'a> {
    /// Reads the block's header fields and string table; elements are read by
    /// [`Block::elements`].
    pub fn parse(bytes: &'a [u8]) -> Result<Block<'a>> {
        let mut block = Block {
            strings: Vec::new(),
            groups: Vec::new(),
            granularity: 100,
            lat_offset: 0,
            lon_offset: 0,
        };
        let mut table = None;
        for field in Fields(bytes) {
            match field? {
                (1, Value::Bytes(b)) => table = Some(b),
                (2, Value::Bytes(b)) => block.groups.push(b),
                (17, Value::Varint(v)) => block.granularity = v as i32 as i64,
                (19, Value::Varint(v)) => block.lat_offset = v as i64,
                (20, Value::Varint(v)) => block.lon_offset = v as i64,
                (1 | 2, _) => return Err(Corrupt("bad block field")),
                _ => {}
            }
        }
        if block.granularity <= 0 {
            return Err(Corrupt("granularity is not positive"));
        }
        if let Some(table) = table {
            for field in Fields(table) {
                match field? {
                    (1, Value::Bytes(s)) => block.strings.push(s),
                    (1, _) => return Err(Corrupt("bad string table")),
                    _ => {}
                }
            }
        }
        Ok(block)
    }

    /// A string by its table index.
    #[inline]
    pub fn string(&self, i: u64) -> Option<&'a [u8]> {
        usize::try_from(i)
            .ok()
            .and_then(|i| self.strings.get(i))
            .copied()
    }

    /// Decimicro-degree coordinate from a packed value.
    #[inline]
    pub fn decimicro(&self, value: i64, lat: bool) -> i32 {
        let offset = if lat {
            self.lat_offset
        } else {
            self.lon_offset
        };
        let nano = offset.saturating_add(self.granularity.saturating_mul(value));
        (nano / 100).clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
    }

    /// Every element of every group, in order.
    pub fn elements(&self) -> impl Iterator<Item = Result<Element<'a>>> + '_ {
        self.groups
            .iter()
            .flat_map(|g| Fields(g))
            .filter_map(|field| element(field).transpose())
    }

    /// What kinds of elements the block holds (a scan of field numbers only).
    pub fn kinds(&self) -> Result<BlobKinds> {
        let mut kinds = 0;
        for g in &self.groups {
            for field in Fields(g) {
                kinds |= match field?.0 {
                    1 | 2 => HAS_NODES,
                    3 => HAS_WAYS,
                    4 => HAS_RELATIONS,
                    _ => 0,
                };
            }
        }
        Ok(kinds)
    }
}

/// Decodes one field of a `PrimitiveGroup`; `None` for fields that hold no
/// map data (changesets, unknown fields).
fn element(field: Result<(u32, Value<'_>)>) -> Result<Option<Element<'_>>> {
    let (number, value) = field?;
    if !(1..=4).contains(&number) {
        return Ok(None);
    }
    let Value::Bytes(msg) = value else {
        return Err(Corrupt("bad group field"));
    };
    Ok(Some(match number {
        1 => {
            let mut n = Node::default();
            for f in Fields(msg) {
                match f? {
                    (1, Value::Varint(v)) => n.id = zigzag(v),
                    (2, v) => n.keys = packed(v)?,
                    (3, v) => n.vals = packed(v)?,
                    (8, Value::Varint(v)) => n.lat = zigzag(v),
                    (9, Value::Varint(v)) => n.lon = zigzag(v),
                    _ => {}
                }
            }
            Element::Node(n)
        }
        2 => {
            let mut d = DenseNodes::default();
            for f in Fields(msg) {
                match f? {
                    (1, v) => d.ids = packed(v)?,
                    (8, v) => d.lats = packed(v)?,
                    (9, v) => d.lons = packed(v)?,
                    (10, v) => d.keys_vals = packed(v)?,
                    _ => {}
                }
            }
            Element::Dense(d)
        }
        3 => {
            let mut w = Way::default();
            for f in Fields(msg) {
                match f? {
                    (1, Value::Varint(v)) => w.id = v as i64,
                    (2, v) => w.keys = packed(v)?,
                    (3, v) => w.vals = packed(v)?,
                    (8, v) => w.refs = packed(v)?,
                    _ => {}
                }
            }
            Element::Way(w)
        }
        4 => {
            let mut r = Relation::default();
            for f in Fields(msg) {
                match f? {
                    (1, Value::Varint(v)) => r.id = v as i64,
                    (2, v) => r.keys = packed(v)?,
                    (3, v) => r.vals = packed(v)?,
                    (8, v) => r.roles = packed(v)?,
                    (9, v) => r.members = packed(v)?,
                    (10, v) => r.types = packed(v)?,
                    _ => {}
                }
            }
            Element::Relation(r)
        }
        _ => return Ok(None),
    }))
}

/// A packed repeated field. Writers always pack repeated numbers (the format's
/// `.proto` says `packed = true`); an unpacked one is reported rather than
/// half-read.
fn packed(value: Value<'_>) -> Result<Packed<'_>> {
    match value {
        Value::Bytes(b) => Packed::new(b),
        _ => Err(Corrupt("a repeated field is not packed")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put_varint(out: &mut Vec<u8>, mut v: u64) {
        while v >= 0x80 {
            out.push(v as u8 | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }

    #[test]
    fn varints_round_trip_at_every_length() {
        let values = [0, 1, 127, 128, 300, 1 << 35, u64::MAX, i64::MAX as u64];
        let mut bytes = Vec::new();
        for v in values {
            put_varint(&mut bytes, v);
        }
        let packed = Packed::new(&bytes).unwrap();
        assert_eq!(packed.count(), values.len());
        assert_eq!(packed.varints().collect::<Vec<_>>(), values);
        assert_eq!(zigzag(1), -1);
        assert_eq!(zigzag(4), 2);
    }

    #[test]
    fn changesets_and_unknown_fields_are_skipped() {
        // A group holding a changeset (field 5) and a way (field 3) with id 7
        // and an unknown varint field 15.
        let changeset = [0x2a, 0x02, 0x08, 0x01];
        let way = [0x1a, 0x04, 0x08, 0x07, 0x78, 0x01];
        let mut block = vec![0x12, (changeset.len() + way.len()) as u8];
        block.extend_from_slice(&changeset);
        block.extend_from_slice(&way);
        let parsed = Block::parse(&block).unwrap();
        let elements: Vec<Element> = parsed.elements().collect::<Result<_>>().unwrap();
        assert_eq!(elements.len(), 1);
        assert!(matches!(&elements[0], Element::Way(w) if w.id == 7));
    }

    #[test]
    fn truncated_input_is_an_error_not_a_panic() {
        assert!(Packed::new(&[0x80]).is_err());
        // A string-table field that claims more bytes than there are.
        assert!(Block::parse(&[0x0a, 0x05, 0x0a]).is_err());
        // Any prefix of a valid block either parses or fails cleanly.
        let mut block = Vec::new();
        block.extend_from_slice(&[0x0a, 0x04, 0x0a, 0x00, 0x0a, 0x00]);
        block.extend_from_slice(&[0x12, 0x05, 0x1a, 0x03, 0x08, 0x96, 0x01]);
        let parsed = Block::parse(&block).unwrap();
        assert_eq!(parsed.kinds(), Ok(HAS_WAYS));
        for n in 0..block.len() {
            if let Ok(b) = Block::parse(&block[..n]) {
                for e in b.elements() {
                    let _ = e.map(|_| ());
                }
            }
        }
    }
}

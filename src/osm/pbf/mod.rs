//! Reading `.osm.pbf` files block by block, in parallel, with limits.
//!
//! The framing (blob headers, blobs, zlib) and the blocks ([`block`]) are read
//! by our own code so that a truncated download, an HTML page saved as `.pbf`
//! or a zlib bomb ends in a clear [`Error::Pbf`] instead of a panic or an
//! unbounded allocation, so that later passes can skip blobs they do not need
//! without decompressing them, and so that nothing is copied out of a block
//! that no rule wants ([`BlockTags`], [`TagFilter`]). `osmpbfreader`'s
//! generated types read the header block and serve as the reference decoder in
//! tests.

pub mod block;
pub mod write;

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufReader, Read};
use std::ops::Range;
use std::path::{Path, PathBuf};

use osmpbfreader::osmformat::HeaderBlock;
use protobuf::Message;
use rayon::prelude::*;

pub use block::{Block, Element, Packed};

use crate::error::{Error, Result};
use crate::tags::TagLookup;

/// The PBF specification's limits: a BlobHeader is at most 64 KiB and a blob at
/// most 32 MiB, compressed or not.
const MAX_HEADER: u32 = 64 * 1024;
const MAX_BLOB: usize = 32 * 1024 * 1024;
/// Deflate expands at most about 1032-fold, so a blob's claimed `raw_size` is
/// trusted (to size the output buffer) only that far.
const MAX_INFLATION: usize = 1032;
/// How many blobs are decoded at once: enough to keep every core busy, few
/// enough to keep memory bounded (~ this many × a few hundred KB).
const BLOBS_PER_BATCH: usize = 64;

/// What a blob contains, learned on the first pass so later passes can skip it.
pub type BlobKinds = u8;
/// The blob holds nodes (plain or dense).
pub const HAS_NODES: BlobKinds = 1;
/// The blob holds ways.
pub const HAS_WAYS: BlobKinds = 2;
/// The blob holds relations.
pub const HAS_RELATIONS: BlobKinds = 4;

/// A PBF file opened for block-wise reading.
pub struct PbfFile {
    path: PathBuf,
    /// Size in bytes.
    pub len: u64,
}

/// A blob as read from the file: its bytes and where its payload lies in them.
struct RawBlob {
    data: Vec<u8>,
    payload: Range<usize>,
    compression: Compression,
}

enum Compression {
    Raw,
    /// zlib, with the uncompressed size the blob claims.
    Zlib(usize),
    Unsupported,
}

impl PbfFile {
    /// Opens the file and checks that it starts like an OpenStreetMap PBF.
    pub fn open(path: &Path) -> Result<PbfFile> {
        let f = File::open(path).map_err(|e| Error::io(path, e))?;
        let meta = f.metadata().map_err(|e| Error::io(path, e))?;
        let len = meta.len();
        let pbf = PbfFile {
            path: path.to_path_buf(),
            len,
        };
        if meta.is_dir() {
            return Err(pbf.error("it is a directory; pass the .osm.pbf file itself".into()));
        }
        if len == 0 {
            return Err(pbf.error("the file is empty".into()));
        }
        let mut r = BufReader::new(f);
        let mut head = [0u8; 4];
        r.read_exact(&mut head)
            .map_err(|_| pbf.error("the file is too short".into()))?;
        let size = u32::from_be_bytes(head);
        if size == 0 || size > MAX_HEADER {
            let hint = if head.starts_with(b"<") {
                " (it looks like XML or HTML: an .osm or a web page, not .osm.pbf)"
            } else {
                ""
            };
            return Err(pbf.error(format!("it does not start with a PBF blob header{hint}")));
        }
        let mut buf = vec![0u8; size as usize];
        r.read_exact(&mut buf)
            .map_err(|_| pbf.error("the file is truncated in its first header".into()))?;
        let (kind, _) = block::blob_header(&buf)
            .map_err(|_| pbf.error("it does not start with a PBF blob header".into()))?;
        if kind != b"OSMHeader" {
            return Err(pbf.error(format!(
                "the first blob is {:?}, not an OSMHeader",
                String::from_utf8_lossy(kind)
            )));
        }
        Ok(pbf)
    }

    /// The bounding box the file's header declares (`[min_lon, min_lat,
    /// max_lon, max_lat]`, degrees), if it declares one. Extracts cut with
    /// osmium or downloaded from extract services do.
    pub fn header_bbox(&self) -> Result<Option<[f64; 4]>> {
        let file = File::open(&self.path).map_err(|e| Error::io(&self.path, e))?;
        let mut r = BufReader::new(file);
        let mut offset = 0;
        let Some((kind, blob)) = self.next_blob(&mut r, &mut offset, |_| false)? else {
            return Err(self.error("the file has no header block".into()));
        };
        let blob = blob.expect("never skipped");
        if kind != BlobType::Header {
            return Err(self.error("the first blob is not an OSMHeader".into()));
        }
        let header = self.with_inflated(&blob, |bytes| {
            HeaderBlock::parse_from_bytes(bytes)
                .map_err(|_| self.error("corrupt header block".into()))
        })?;
        // The header's box is in nanodegrees.
        Ok(header.bbox.as_ref().map(|b| {
            let deg = |v: i64| v as f64 * 1e-9;
            [deg(b.left()), deg(b.bottom()), deg(b.right()), deg(b.top())]
        }))
    }

    fn error(&self, reason: String) -> Error {
        Error::Pbf {
            path: self.path.clone(),
            reason,
        }
    }

    /// Decodes data blobs and runs `f` on each block, in parallel. With `known`
    /// (the [`BlobKinds`] of every data blob, from an earlier pass) only blobs for
    /// which `want(kinds)` is true are decompressed; without it, all are. Results
    /// come back in file order, each with its blob's kinds, so a run is
    /// deterministic whatever the thread count.
    pub fn par_map_blocks<T, F>(
        &self,
        known: Option<&[BlobKinds]>,
        want: impl Fn(BlobKinds) -> bool,
        f: F,
    ) -> Result<Vec<(BlobKinds, T)>>
    where
        T: Send,
        F: Fn(&Block) -> Result<T> + Sync,
    {
        let file = File::open(&self.path).map_err(|e| Error::io(&self.path, e))?;
        let mut r = BufReader::with_capacity(1 << 20, file);
        let mut out = Vec::new();
        let mut batch: Vec<RawBlob> = Vec::with_capacity(BLOBS_PER_BATCH);
        let mut data_index = 0usize;
        let mut offset = 0u64;
        loop {
            let next = self.next_blob(&mut r, &mut offset, |kind| {
                if kind != BlobType::Data {
                    return true;
                }
                let skip = known.is_some_and(|k| !want(k.get(data_index).copied().unwrap_or(!0)));
                data_index += 1;
                skip
            })?;
            let done = next.is_none();
            if let Some((BlobType::Data, Some(blob))) = next {
                batch.push(blob);
            }
            if batch.len() == BLOBS_PER_BATCH || done {
                let decoded: Vec<Result<(BlobKinds, T)>> = batch
                    .par_drain(..)
                    .map(|blob| {
                        self.with_inflated(&blob, |bytes| {
                            let block = Block::parse(bytes).map_err(|e| self.corrupt(e))?;
                            let kinds = block.kinds().map_err(|e| self.corrupt(e))?;
                            Ok((kinds, f(&block)?))
                        })
                    })
                    .collect();
                for d in decoded {
                    out.push(d?);
                }
            }
            if done {
                return Ok(out);
            }
        }
    }

    /// The error for a block that [`Block`] could not read.
    pub fn corrupt(&self, e: block::Corrupt) -> Error {
        self.error(format!("corrupt data block: {}", e.0))
    }

    /// Reads the next blob. Returns `Ok(None)` at the end of the file and no
    /// bytes for a blob that `skip` said to skip (they are seeked over).
    fn next_blob(
        &self,
        r: &mut BufReader<File>,
        offset: &mut u64,
        mut skip: impl FnMut(BlobType) -> bool,
    ) -> Result<Option<(BlobType, Option<RawBlob>)>> {
        let at = *offset;
        let mut head = [0u8; 4];
        match read_fully(r, &mut head) {
            Ok(0) => return Ok(None),
            Ok(4) => {}
            Ok(_) => return Err(self.error(format!("truncated at byte {at}"))),
            Err(e) => return Err(Error::io(&self.path, e)),
        }
        let size = u32::from_be_bytes(head);
        if size == 0 || size > MAX_HEADER {
            return Err(self.error(format!("corrupt blob header at byte {at}")));
        }
        let mut buf = vec![0u8; size as usize];
        r.read_exact(&mut buf)
            .map_err(|_| self.error(format!("truncated at byte {at} (in a blob header)")))?;
        let (kind, data_size) = block::blob_header(&buf)
            .map_err(|_| self.error(format!("corrupt blob header at byte {at}")))?;
        let kind = match kind {
            b"OSMData" => BlobType::Data,
            b"OSMHeader" => BlobType::Header,
            // Unknown blob types carry no map data.
            _ => BlobType::Other,
        };
        let data_size = usize::try_from(data_size).unwrap_or(usize::MAX);
        if data_size > MAX_BLOB {
            return Err(self.error(format!("blob at byte {at} claims {data_size} bytes, more than the 32 MiB the format allows")));
        }
        *offset = at + 4 + u64::from(size) + data_size as u64;
        if *offset > self.len {
            return Err(self.error(format!(
                "truncated: the blob at byte {at} ends at byte {}, but the file has {} bytes (an interrupted download?)",
                *offset, self.len
            )));
        }
        if skip(kind) {
            r.seek_relative(data_size as i64)
                .map_err(|e| Error::io(&self.path, e))?;
            return Ok(Some((kind, None)));
        }
        let mut data = vec![0u8; data_size];
        r.read_exact(&mut data)
            .map_err(|_| self.error(format!("truncated at byte {at} (in a blob)")))?;
        let (payload, compression) =
            block::blob(&data).map_err(|_| self.error(format!("corrupt blob at byte {at}")))?;
        Ok(Some((
            kind,
            Some(RawBlob {
                data,
                payload,
                compression,
            }),
        )))
    }

    /// Runs `f` on a blob's content, decompressed within the format's limits
    /// into a buffer each thread reuses.
    fn with_inflated<T>(&self, blob: &RawBlob, f: impl FnOnce(&[u8]) -> Result<T>) -> Result<T> {
        thread_local! {
            static BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        let input = &blob.data[blob.payload.clone()];
        let claimed = match blob.compression {
            Compression::Raw => return f(input),
            Compression::Zlib(claimed) => claimed,
            Compression::Unsupported => return Err(self.error(
                "a data block uses a compression other than zlib (lzma/zstd are not supported; re-encode with osmium cat)".into(),
            )),
        };
        BUFFER.with(|cell| {
            let mut out = cell.take();
            let result = inflate(input, claimed, &mut out)
                .map_err(|what| self.error(format!("corrupt data block: {what}")))
                .and_then(|()| f(&out));
            // Keep a moderate buffer for the next blob, not a 32 MiB one.
            if out.capacity() <= 4 * MAX_BLOB / 32 {
                cell.replace(out);
            }
            result
        })
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum BlobType {
    Header,
    Data,
    Other,
}

/// zlib-decompresses `input` into `out`, trusting the claimed size only as
/// far as deflate can expand and never past 32 MiB. libdeflate decompresses a
/// whole buffer about twice as fast as a streaming inflater.
fn inflate(
    input: &[u8],
    claimed: usize,
    out: &mut Vec<u8>,
) -> std::result::Result<(), &'static str> {
    use libdeflater::{DecompressionError, Decompressor};
    let possible = input.len().saturating_mul(MAX_INFLATION).min(MAX_BLOB);
    let mut size = claimed.clamp(1, possible.max(1));
    let mut z = Decompressor::new();
    loop {
        out.clear();
        out.resize(size, 0);
        match z.zlib_decompress(input, out) {
            Ok(n) => {
                out.truncate(n);
                return Ok(());
            }
            // The claimed size was too small.
            Err(DecompressionError::InsufficientSpace) if size < possible => {
                size = size.saturating_mul(2).min(possible);
            }
            Err(DecompressionError::InsufficientSpace) if size == MAX_BLOB => {
                return Err("inflates beyond 32 MiB")
            }
            // More than deflate can expand this input: not a deflate stream.
            Err(_) => return Err("bad zlib data"),
        }
    }
}

fn read_fully(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// Keys whose presence makes an object worth reading: objects (and whole
/// blocks) that carry none of them are skipped without looking at their tags.
/// The rules that read tags each declare the keys they need present
/// ([`crate::osm::walkable::TRIGGER_KEYS`], [`crate::profile::Profile::trigger_keys`]).
pub struct TagFilter {
    keys: HashSet<Vec<u8>>,
}

impl TagFilter {
    /// A filter that passes objects carrying any of `keys`.
    pub fn new<'k>(keys: impl IntoIterator<Item = &'k str>) -> TagFilter {
        TagFilter {
            keys: keys.into_iter().map(|k| k.as_bytes().to_vec()).collect(),
        }
    }
}

/// Reads the tags of a block's objects into a reused buffer, after checking
/// that they carry a key of the [`TagFilter`].
pub struct TagReader<'a> {
    block: &'a Block<'a>,
    /// Per string-table entry: is it a trigger key?
    trigger: Vec<bool>,
    any: bool,
    pairs: Vec<(&'a [u8], &'a [u8])>,
}

impl<'a> TagReader<'a> {
    /// A reader for `block`'s objects; scans its string table once for `filter`'s keys.
    pub fn new(block: &'a Block<'a>, filter: &TagFilter) -> TagReader<'a> {
        let trigger: Vec<bool> = block
            .strings
            .iter()
            .map(|s| filter.keys.contains(*s))
            .collect();
        TagReader {
            block,
            any: trigger.contains(&true),
            trigger,
            pairs: Vec::new(),
        }
    }

    /// Whether any object of the block can carry a trigger key.
    pub fn block_has_triggers(&self) -> bool {
        self.any
    }

    fn is_trigger(&self, key: u64) -> bool {
        usize::try_from(key)
            .ok()
            .and_then(|k| self.trigger.get(k))
            .copied()
            .unwrap_or(false)
    }

    fn string(&self, i: u64) -> &'a [u8] {
        self.block.string(i).unwrap_or(b"")
    }

    /// The tags of a way, relation or plain node, or `None` when none of its
    /// keys is a trigger.
    pub fn split(&mut self, keys: Packed<'a>, vals: Packed<'a>) -> Option<BlockTags<'_>> {
        if !self.any || !keys.varints().any(|k| self.is_trigger(k)) {
            return None;
        }
        self.pairs.clear();
        for (k, v) in keys.varints().zip(vals.varints()) {
            let pair = (self.string(k), self.string(v));
            self.pairs.push(pair);
        }
        Some(BlockTags(&self.pairs))
    }

    /// The tags of the next dense node, consuming its `key, value, ..., 0` run
    /// from `keys_vals`; `None` when none of its keys is a trigger.
    pub fn dense(&mut self, keys_vals: &mut block::Varints<'a>) -> Option<BlockTags<'_>> {
        let run = keys_vals.clone();
        let mut triggered = false;
        while let Some(k) = keys_vals.next() {
            if k == 0 || keys_vals.next().is_none() {
                break;
            }
            triggered |= self.is_trigger(k);
        }
        if !triggered {
            return None;
        }
        self.pairs.clear();
        let mut run = run;
        while let Some(k) = run.next().filter(|&k| k != 0) {
            let Some(v) = run.next() else { break };
            let pair = (self.string(k), self.string(v));
            self.pairs.push(pair);
        }
        Some(BlockTags(&self.pairs))
    }
}

/// An object's tags, as byte slices into its block.
pub struct BlockTags<'t>(&'t [(&'t [u8], &'t [u8])]);

impl<'t> BlockTags<'t> {
    fn find(&self, key: &str) -> Option<&'t [u8]> {
        let key = key.as_bytes();
        self.0.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }

    /// A tag's value as text, with invalid UTF-8 replaced (for names).
    pub fn get_lossy(&self, key: &str) -> Option<String> {
        self.find(key)
            .map(|v| String::from_utf8_lossy(v).into_owned())
    }
}

impl TagLookup for BlockTags<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.find(key).and_then(|v| std::str::from_utf8(v).ok())
    }
}

//! Reading `.osm.pbf` files block by block, in parallel, with limits.
//!
//! `osmpbfreader` supplies the protobuf types; the framing and decoding here are
//! our own so that a truncated download, an HTML page saved as `.pbf` or a zlib
//! bomb ends in a clear [`Error::Pbf`] instead of a panic or an unbounded
//! allocation, and so that later passes can skip blobs they do not need without
//! decompressing them. Tags are read in place from the block's string table
//! ([`BlockTags`]): no `String` is allocated for objects we do not keep.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use osmpbfreader::fileformat::{Blob, BlobHeader};
use osmpbfreader::osmformat::{HeaderBlock, PrimitiveBlock};
use protobuf::Message;
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::profile::TagLookup;

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
pub const HAS_NODES: BlobKinds = 1;
pub const HAS_WAYS: BlobKinds = 2;
pub const HAS_RELATIONS: BlobKinds = 4;

/// A PBF file opened for block-wise reading.
pub struct PbfFile {
    path: PathBuf,
    /// Size in bytes.
    pub len: u64,
}

impl PbfFile {
    /// Opens the file and checks that it starts like an OpenStreetMap PBF.
    pub fn open(path: &Path) -> Result<PbfFile> {
        let mut f = File::open(path).map_err(|e| Error::io(path, e))?;
        let len = f.metadata().map_err(|e| Error::io(path, e))?.len();
        let pbf = PbfFile {
            path: path.to_path_buf(),
            len,
        };
        if len == 0 {
            return Err(pbf.error("the file is empty".into()));
        }
        let mut head = [0u8; 4];
        f.read_exact(&mut head)
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
        f.read_exact(&mut buf)
            .map_err(|_| pbf.error("the file is truncated in its first header".into()))?;
        let header = BlobHeader::parse_from_bytes(&buf)
            .map_err(|_| pbf.error("it does not start with a PBF blob header".into()))?;
        if header.type_() != "OSMHeader" {
            return Err(pbf.error(format!(
                "the first blob is {:?}, not an OSMHeader",
                header.type_()
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
        let mut head = [0u8; 4];
        r.read_exact(&mut head)
            .map_err(|_| self.error("the file is too short".into()))?;
        let size = u32::from_be_bytes(head).min(MAX_HEADER) as usize;
        let mut buf = vec![0u8; size];
        r.read_exact(&mut buf)
            .map_err(|_| self.error("truncated in its first header".into()))?;
        let header = BlobHeader::parse_from_bytes(&buf)
            .map_err(|_| self.error("corrupt first blob header".into()))?;
        let data_size = usize::try_from(header.datasize()).unwrap_or(usize::MAX);
        if data_size > MAX_BLOB || data_size as u64 > self.len {
            return Err(self.error("truncated in its header block".into()));
        }
        let mut data = vec![0u8; data_size];
        r.read_exact(&mut data)
            .map_err(|_| self.error("truncated in its header block".into()))?;
        let blob =
            Blob::parse_from_bytes(&data).map_err(|_| self.error("corrupt header block".into()))?;
        let header = HeaderBlock::parse_from_bytes(&self.inflate(&blob)?)
            .map_err(|_| self.error("corrupt header block".into()))?;
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
        F: Fn(&PrimitiveBlock) -> Result<T> + Sync,
    {
        let file = File::open(&self.path).map_err(|e| Error::io(&self.path, e))?;
        let mut r = BufReader::with_capacity(1 << 20, file);
        let mut out = Vec::new();
        let mut batch: Vec<Blob> = Vec::with_capacity(BLOBS_PER_BATCH);
        let mut data_index = 0usize;
        let mut offset = 0u64;
        loop {
            let next = self.next_blob(&mut r, &mut offset, || {
                let skip = known.is_some_and(|k| !want(k.get(data_index).copied().unwrap_or(!0)));
                data_index += 1;
                skip
            })?;
            let done = next.is_none();
            if let Some(Some(blob)) = next {
                batch.push(blob);
            }
            if batch.len() == BLOBS_PER_BATCH || done {
                let decoded: Vec<Result<(BlobKinds, T)>> = batch
                    .par_drain(..)
                    .map(|blob| {
                        let block = self.decode(&blob)?;
                        Ok((block_kinds(&block), f(&block)?))
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

    /// Reads the next data blob. Returns `Ok(None)` at the end of the file,
    /// `Ok(Some(None))` for a data blob that `skip` said to skip (its bytes are
    /// seeked over, not decompressed).
    fn next_blob(
        &self,
        r: &mut BufReader<File>,
        offset: &mut u64,
        mut skip: impl FnMut() -> bool,
    ) -> Result<Option<Option<Blob>>> {
        loop {
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
            let header = BlobHeader::parse_from_bytes(&buf)
                .map_err(|_| self.error(format!("corrupt blob header at byte {at}")))?;
            let data_size = usize::try_from(header.datasize()).unwrap_or(usize::MAX);
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
            match header.type_() {
                "OSMData" => {}
                // OSMHeader and unknown blob types carry no map data.
                _ => {
                    r.seek(SeekFrom::Current(data_size as i64))
                        .map_err(|e| Error::io(&self.path, e))?;
                    continue;
                }
            }
            if skip() {
                r.seek(SeekFrom::Current(data_size as i64))
                    .map_err(|e| Error::io(&self.path, e))?;
                return Ok(Some(None));
            }
            let mut data = vec![0u8; data_size];
            r.read_exact(&mut data)
                .map_err(|_| self.error(format!("truncated at byte {at} (in a blob)")))?;
            let blob = Blob::parse_from_bytes(&data)
                .map_err(|_| self.error(format!("corrupt blob at byte {at}")))?;
            return Ok(Some(Some(blob)));
        }
    }

    fn decode(&self, blob: &Blob) -> Result<PrimitiveBlock> {
        let bytes = self.inflate(blob)?;
        PrimitiveBlock::parse_from_bytes(&bytes)
            .map_err(|_| self.error("corrupt data block: bad protobuf".into()))
    }

    /// A blob's content, decompressed within the format's limits.
    fn inflate<'b>(&self, blob: &'b Blob) -> Result<std::borrow::Cow<'b, [u8]>> {
        let corrupt = |what: &str| self.error(format!("corrupt data block: {what}"));
        if blob.has_raw() {
            Ok(std::borrow::Cow::Borrowed(blob.raw()))
        } else if blob.has_zlib_data() {
            let claimed = usize::try_from(blob.raw_size()).unwrap_or(0);
            let possible = blob.zlib_data().len().saturating_mul(MAX_INFLATION);
            let mut out = Vec::with_capacity(claimed.min(possible).min(MAX_BLOB));
            flate2::read::ZlibDecoder::new(blob.zlib_data())
                .take(MAX_BLOB as u64 + 1)
                .read_to_end(&mut out)
                .map_err(|_| corrupt("bad zlib data"))?;
            if out.len() > MAX_BLOB {
                return Err(corrupt("inflates beyond 32 MiB"));
            }
            Ok(std::borrow::Cow::Owned(out))
        } else {
            Err(self.error(
                "a data block uses a compression other than zlib (lzma/zstd are not supported; re-encode with osmium cat)".into(),
            ))
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

fn block_kinds(block: &PrimitiveBlock) -> BlobKinds {
    let mut k = 0;
    for g in &block.primitivegroup {
        if !g.nodes.is_empty() || g.dense.as_ref().is_some_and(|d| !d.id.is_empty()) {
            k |= HAS_NODES;
        }
        if !g.ways.is_empty() {
            k |= HAS_WAYS;
        }
        if !g.relations.is_empty() {
            k |= HAS_RELATIONS;
        }
    }
    k
}

/// An object's tags, read in place from its block's string table.
pub struct BlockTags<'a> {
    strings: &'a [Vec<u8>],
    keys_vals: KeysVals<'a>,
}

enum KeysVals<'a> {
    /// Ways, relations and plain nodes keep keys and values in two arrays.
    Split(&'a [u32], &'a [u32]),
    /// Dense nodes keep `key, value, key, value, ...` in one.
    Interleaved(&'a [i32]),
}

impl<'a> BlockTags<'a> {
    pub fn split(block: &'a PrimitiveBlock, keys: &'a [u32], vals: &'a [u32]) -> Self {
        BlockTags {
            strings: &block.stringtable.s,
            keys_vals: KeysVals::Split(keys, vals),
        }
    }

    pub fn interleaved(block: &'a PrimitiveBlock, keys_vals: &'a [i32]) -> Self {
        BlockTags {
            strings: &block.stringtable.s,
            keys_vals: KeysVals::Interleaved(keys_vals),
        }
    }

    pub fn is_empty(&self) -> bool {
        match self.keys_vals {
            KeysVals::Split(k, _) => k.is_empty(),
            KeysVals::Interleaved(kv) => kv.is_empty(),
        }
    }

    fn string(&self, i: i64) -> Option<&'a [u8]> {
        usize::try_from(i)
            .ok()
            .and_then(|i| self.strings.get(i))
            .map(|v| v.as_slice())
    }

    fn find(&self, key: &str) -> Option<&'a [u8]> {
        let key = key.as_bytes();
        match self.keys_vals {
            KeysVals::Split(keys, vals) => keys
                .iter()
                .zip(vals)
                .find(|(k, _)| self.string(i64::from(**k)) == Some(key))
                .and_then(|(_, v)| self.string(i64::from(*v))),
            KeysVals::Interleaved(kv) => kv
                .chunks_exact(2)
                .find(|p| self.string(i64::from(p[0])) == Some(key))
                .and_then(|p| self.string(i64::from(p[1]))),
        }
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

/// Splits a dense-node `keys_vals` array into each node's part (nodes without
/// tags get an empty slice).
pub fn dense_tag_slices(keys_vals: &[i32], n: usize) -> Vec<&[i32]> {
    let mut out = Vec::with_capacity(n);
    let mut start = 0;
    if keys_vals.is_empty() {
        return vec![&[][..]; n];
    }
    for i in 0..keys_vals.len() {
        if keys_vals[i] == 0 && (i - start) % 2 == 0 {
            out.push(&keys_vals[start..i]);
            start = i + 1;
            if out.len() == n {
                break;
            }
        }
    }
    out.resize(n, &[][..]);
    out
}

/// Decimicro-degree coordinate from a block's packed value.
pub fn decimicro(block: &PrimitiveBlock, value: i64, lat: bool) -> i32 {
    let offset = if lat {
        block.lat_offset()
    } else {
        block.lon_offset()
    };
    let g = i64::from(block.granularity());
    let nano = offset.saturating_add(g.saturating_mul(value));
    (nano / 100).clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
}

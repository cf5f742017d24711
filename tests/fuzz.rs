//! Fuzzing the three readers of untrusted input: the PBF reader, the
//! communities GeoJSON reader and the profile TOML. `cargo fuzz` needs a
//! nightly toolchain; these are proptest-generated inputs on stable, so CI runs
//! them too.
//!
//! Every input must end in `Ok` or in a typed error whose message names the
//! file. None may panic, hang (run longer than [`CASE_TIMEOUT`]) or allocate
//! far beyond its size: a counting global allocator measures each case. An
//! input that the reader accepts goes on through the whole analysis and the
//! writers, so a file that reads cleanly but breaks a later stage is found too.
//!
//! By default each fuzzer runs a short deterministic batch (seconds). To fuzz
//! for longer, one fuzzer at a time:
//!
//! ```sh
//! FUZZ_SECONDS=600 FUZZ_SEED=7 nice cargo test --release --test fuzz pbf_reader -- --nocapture
//! ```
//!
//! `FUZZ_CASES` sets the cases per batch, `FUZZ_SEED` the first batch's seed
//! (later batches count up from it). A failure is shrunk to a small input that
//! is saved under `target/tmp/fuzz/failures/`; an input that kills the process
//! (an allocation the system refuses, a stack overflow) is left as
//! `target/tmp/fuzz/<target>-<pid>/current.*`. Once fixed, add it to
//! `tests/corpus/`, which [`corpus_replays_cleanly`] replays on every run.
//! `FUZZ_SAVE=DIR` saves the first input of every new kind of error message to
//! DIR, to pick corpus entries from.

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};
use std::sync::{mpsc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use childcircle::{analyze_with_options, AnalyzeOptions, Profile};
use childcircle_synth::PbfWriter;
use osmpbfreader::fileformat::{Blob, BlobHeader};
use osmpbfreader::osmformat::PrimitiveBlock;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use protobuf::Message;
use serde_json::{json, Value};

// ---------------------------------------------------------------------------
// The harness: run one input with a time limit, a panic catcher and an
// allocation meter.

/// Counts live heap bytes and their high-water mark.
struct CountingAlloc;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(bytes: usize) {
    let live = LIVE.fetch_add(bytes, Relaxed) + bytes;
    PEAK.fetch_max(live, Relaxed);
}

unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc_zeroed(layout);
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        System.dealloc(p, layout);
        LIVE.fetch_sub(layout.size(), Relaxed);
    }

    unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let q = System.realloc(p, layout, new_size);
        if !q.is_null() {
            if new_size > layout.size() {
                grew(new_size - layout.size());
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Relaxed);
            }
        }
        q
    }
}

#[global_allocator]
static ALLOCATOR: CountingAlloc = CountingAlloc;

/// A case taking longer than this is a hang. Real inputs of the sizes
/// generated here take well under a second, even on a loaded machine.
const CASE_TIMEOUT: Duration = Duration::from_secs(30);

/// Heap a case may use beyond its input: the analysis of the small extracts
/// used here needs a few tens of MiB; a reader that trusts a length field in
/// the input (and reserves gigabytes for a 100-byte file) goes far past this.
const HEAP_ALLOWANCE: usize = 96 << 20;
/// ... plus this many bytes of heap per input byte.
const HEAP_PER_INPUT_BYTE: usize = 64;

/// The allocation meter is process-wide, so cases run one at a time.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Set while a case runs: its panics are recorded, not printed.
static IN_CASE: AtomicBool = AtomicBool::new(false);
static LAST_PANIC: Mutex<Option<String>> = Mutex::new(None);
/// Heap high-water mark of the last case, bytes above what was live before.
static LAST_HEAP: AtomicUsize = AtomicUsize::new(0);

fn install_panic_recorder() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if IN_CASE.load(Relaxed) {
                *LAST_PANIC.lock().unwrap_or_else(|e| e.into_inner()) = Some(info.to_string());
            } else {
                default(info);
            }
        }));
    });
}

/// A reader under test: what kind of file it reads, and how a case runs it.
struct Target {
    name: &'static str,
    ext: &'static str,
    /// Runs the input file through the analysis, writing into the directory.
    run: fn(&Path, &Path) -> childcircle::Result<()>,
    /// Cases per batch unless `FUZZ_CASES` says otherwise.
    default_cases: u32,
}

/// How an input ended, when it ended well.
enum Verdict {
    Accepted,
    Rejected(String),
}

/// Where a target's cases run: one directory per process, so runs sharing a
/// target directory do not overwrite each other's inputs, removed when the run
/// ends well (a run that crashes leaves its last input there).
fn scratch(target: &Target) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("fuzz")
        .join(format!("{}-{}", target.name, std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn save_input(dir: &str, target: &Target, tag: &str, input: &[u8]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("fuzz")
        .join(dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{}-{tag}.{}", target.name, target.ext));
    std::fs::write(&path, input).unwrap();
    path
}

/// Runs one input. `Err` is a finding: a panic, a hang, unbounded allocation
/// or an error message that does not say which file is wrong.
fn check(target: &Target, input: &[u8]) -> Result<Verdict, String> {
    install_panic_recorder();
    let dir = scratch(target);
    // A fixed name: if a case ever kills the process, its input is still here.
    let path = dir.join(format!("current.{}", target.ext));
    std::fs::write(&path, input).unwrap();
    let out = dir.join("out");
    let _ = std::fs::remove_dir_all(&out);

    let before = LIVE.load(Relaxed);
    PEAK.store(before, Relaxed);
    IN_CASE.store(true, Relaxed);
    let (tx, rx) = mpsc::channel();
    let (run, case_path, case_out) = (target.run, path.clone(), out.clone());
    std::thread::Builder::new()
        .name("fuzz-case".into())
        .stack_size(8 << 20) // what the binary's main thread gets
        .spawn(move || {
            let result =
                std::panic::catch_unwind(|| run(&case_path, &case_out).map_err(|e| e.to_string()));
            let _ = tx.send(result);
        })
        .unwrap();
    let result = match rx.recv_timeout(CASE_TIMEOUT) {
        Ok(result) => result,
        Err(_) => {
            // The case thread cannot be stopped; report and end the run.
            let saved = save_input("failures", target, "hang", input);
            eprintln!(
                "{}: an input ran longer than {CASE_TIMEOUT:?}: saved to {}",
                target.name,
                saved.display()
            );
            std::process::exit(1);
        }
    };
    IN_CASE.store(false, Relaxed);
    let heap = PEAK.load(Relaxed).saturating_sub(before);
    LAST_HEAP.store(heap, Relaxed);
    let allowed = HEAP_ALLOWANCE + HEAP_PER_INPUT_BYTE * input.len();
    match result {
        Err(_) => {
            let panic = LAST_PANIC.lock().unwrap().take();
            Err(format!("panicked: {}", panic.unwrap_or_default()))
        }
        Ok(_) if heap > allowed => Err(format!(
            "allocated {heap} bytes of heap for a {}-byte input",
            input.len()
        )),
        Ok(Ok(())) => Ok(Verdict::Accepted),
        Ok(Err(message)) => {
            let named = [path.clone(), extract(), out]
                .iter()
                .any(|p| message.contains(&p.display().to_string()));
            if named {
                Ok(Verdict::Rejected(
                    message.replace(&path.display().to_string(), "FILE"),
                ))
            } else {
                Err(format!("the error does not name the file: {message}"))
            }
        }
    }
}

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

/// What a fuzzing run saw, printed at its end.
#[derive(Default)]
struct Tally {
    cases: u64,
    accepted: u64,
    most_heap: usize,
    slowest: Duration,
    /// Error messages with numbers blanked, and how often each came.
    errors: BTreeMap<String, u64>,
}

fn error_kind(message: &str) -> String {
    let blanked: String = message
        .chars()
        .map(|c| if c.is_ascii_digit() { '#' } else { c })
        .collect();
    blanked
        .lines()
        .next()
        .unwrap_or("")
        .chars()
        .take(110)
        .collect()
}

/// Runs `strategy`'s inputs through `target`: one deterministic batch, or
/// batches until `FUZZ_SECONDS` have passed.
fn fuzz(target: &Target, strategy: impl Strategy<Value = Vec<u8>>) {
    let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let cases = env_number("FUZZ_CASES").map_or(target.default_cases, |n| n as u32);
    let seconds = env_number("FUZZ_SECONDS");
    let save = std::env::var("FUZZ_SAVE").ok();
    if let Some(dir) = &save {
        std::fs::create_dir_all(dir).unwrap();
    }
    let first_seed = env_number("FUZZ_SEED").unwrap_or(0);
    let started = Instant::now();
    let tally = std::cell::RefCell::new(Tally::default());
    for batch in 0.. {
        let mut seed = [0u8; 32];
        seed[..8].copy_from_slice(&(first_seed + batch).to_le_bytes());
        let config = Config {
            cases,
            failure_persistence: None,
            max_shrink_time: 120_000,
            ..Config::default()
        };
        let mut runner =
            TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &seed));
        let result = runner.run(&strategy, |input| {
            let case_started = Instant::now();
            let verdict = check(target, &input).map_err(TestCaseError::fail)?;
            let mut t = tally.borrow_mut();
            t.cases += 1;
            t.slowest = t.slowest.max(case_started.elapsed());
            t.most_heap = t.most_heap.max(LAST_HEAP.load(Relaxed));
            match verdict {
                Verdict::Accepted => t.accepted += 1,
                Verdict::Rejected(message) => {
                    let kind = error_kind(&message);
                    if !t.errors.contains_key(&kind) {
                        if let Some(dir) = &save {
                            let n = t.errors.len();
                            let path =
                                Path::new(dir).join(format!("{}-{n}.{}", target.name, target.ext));
                            std::fs::write(path, &input).unwrap();
                        }
                    }
                    *t.errors.entry(kind).or_insert(0) += 1;
                }
            }
            Ok(())
        });
        match result {
            Ok(()) => {}
            Err(TestError::Fail(reason, input)) => {
                let saved = save_input(
                    "failures",
                    target,
                    &format!("seed{}", first_seed + batch),
                    &input,
                );
                panic!(
                    "{}: {reason}\nminimal input ({} bytes) saved to {}",
                    target.name,
                    input.len(),
                    saved.display()
                );
            }
            Err(e) => panic!("{}: {e}", target.name),
        }
        if seconds.is_none_or(|s| started.elapsed().as_secs() >= s) {
            break;
        }
    }
    let _ = std::fs::remove_dir_all(scratch(target));
    let t = tally.into_inner();
    eprintln!(
        "{}: {} cases in {:.0} s: {} accepted, {} rejected with {} kinds of message; slowest case {:.2} s, most heap {:.1} MiB",
        target.name,
        t.cases,
        started.elapsed().as_secs_f64(),
        t.accepted,
        t.cases - t.accepted,
        t.errors.len(),
        t.slowest.as_secs_f64(),
        t.most_heap as f64 / (1 << 20) as f64
    );
    let mut kinds: Vec<_> = t.errors.into_iter().collect();
    kinds.sort_by_key(|k| std::cmp::Reverse(k.1));
    for (kind, n) in kinds.iter().take(40) {
        eprintln!("{n:>8}  {kind}");
    }
}

// ---------------------------------------------------------------------------
// What each fuzzer runs.

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data").join(rel)
}

/// The extract the GeoJSON and profile fuzzers analyse: small, Chinese,
/// several communities.
fn extract() -> PathBuf {
    data("osm/beijing-cau.osm.pbf")
}

fn analyze_pbf(input: &Path, out: &Path) -> childcircle::Result<()> {
    // What `--max-memory` reads first (the header's bounding box): any verdict
    // is fine, a panic or a hang is not.
    let _ = childcircle::limits::estimate_memory(input);
    // Isochrone grids are the isochrone tests' business; here they would only
    // make each case slower.
    let options = AnalyzeOptions {
        isochrones: None,
        ..Default::default()
    };
    let analysis = analyze_with_options(input, &options, &mut |_| {})?;
    childcircle::write::layers::write_outputs(&analysis, out).map(drop)
}

fn analyze_communities(input: &Path, out: &Path) -> childcircle::Result<()> {
    let options = AnalyzeOptions {
        communities: Some(input.to_path_buf()),
        ..Default::default()
    };
    let analysis = analyze_with_options(&extract(), &options, &mut |_| {})?;
    childcircle::write::layers::write_outputs(&analysis, out).map(drop)
}

fn analyze_profile(input: &Path, out: &Path) -> childcircle::Result<()> {
    let options = AnalyzeOptions {
        profile: Profile::from_file(input)?,
        ..Default::default()
    };
    let analysis = analyze_with_options(&extract(), &options, &mut |_| {})?;
    childcircle::write::layers::write_outputs(&analysis, out).map(drop)
}

const PBF: Target = Target {
    name: "pbf",
    ext: "osm.pbf",
    run: analyze_pbf,
    default_cases: 500,
};
const GEOJSON: Target = Target {
    name: "geojson",
    ext: "geojson",
    run: analyze_communities,
    default_cases: 400,
};
const PROFILE: Target = Target {
    name: "profile",
    ext: "toml",
    run: analyze_profile,
    default_cases: 400,
};

#[test]
fn pbf_reader_survives_hostile_input() {
    fuzz(&PBF, pbf_input());
}

#[test]
fn communities_reader_survives_hostile_input() {
    fuzz(&GEOJSON, geojson_input());
}

#[test]
fn profile_reader_survives_hostile_input() {
    fuzz(&PROFILE, profile_input());
}

/// Replays `tests/corpus/{pbf,geojson,profile}/`: inputs that once broke a
/// reader or that reach an interesting error.
#[test]
fn corpus_replays_cleanly() {
    let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut replayed = 0;
    for target in [&PBF, &GEOJSON, &PROFILE] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(corpus.join(target.name))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for file in files {
            let input = std::fs::read(&file).unwrap();
            if let Err(finding) = check(target, &input) {
                panic!("{}: {finding}", file.display());
            }
            replayed += 1;
        }
        let _ = std::fs::remove_dir_all(scratch(target));
    }
    assert!(replayed >= 20, "the corpus is there ({replayed} files)");
}

// ---------------------------------------------------------------------------
// Edits shared by the generators: byte-level damage.

/// One edit, its position and argument drawn at random and applied modulo the
/// length of what it edits (so proptest can shrink them towards 0).
#[derive(Debug, Clone, Copy)]
struct Edit {
    op: u8,
    at: u32,
    arg: u32,
}

fn edits(max: usize) -> impl Strategy<Value = Vec<Edit>> {
    prop::collection::vec(
        (any::<u8>(), any::<u32>(), any::<u32>()).prop_map(|(op, at, arg)| Edit { op, at, arg }),
        1..=max,
    )
}

/// Damages bytes as a broken download, a bad copy or a confused tool would.
/// With `focus` (byte ranges), half of the edits land inside one of them.
fn damage(bytes: &mut Vec<u8>, e: Edit, focus: &[std::ops::Range<usize>]) {
    let len = bytes.len();
    let pos = match focus.get(e.at as usize % focus.len().max(1)) {
        Some(r) if e.arg % 2 == 0 && !r.is_empty() => {
            (r.start + (e.arg as usize >> 1) % r.len()).min(len)
        }
        _ => e.at as usize % (len + 1),
    };
    let arg = e.arg as usize;
    match e.op % 7 {
        0 if pos < len => bytes[pos] ^= 1 << (arg % 8),
        1 if pos < len => bytes[pos] = [0, 0xff, 0x80, 0x7f, e.arg as u8][arg % 5],
        2 => bytes.truncate(pos),
        3 => {
            let span: Vec<u8> = (0..1 + arg % 32)
                .map(|i| (e.arg >> (i % 4 * 8)) as u8)
                .collect();
            bytes.splice(pos..pos, span);
        }
        4 => {
            let end = (pos + 1 + arg % 256).min(len);
            bytes.drain(pos..end);
        }
        5 => {
            let end = (pos + 1 + arg % 4096).min(len);
            let copy = bytes[pos..end].to_vec();
            bytes.splice(pos..pos, copy);
        }
        _ if pos < len => {
            // A multi-byte UTF-8 sequence cut in half, or a stray BOM.
            let bad: &[u8] = [&[0xe5, 0xbe][..], &[0xef, 0xbb, 0xbf], &[0xc0, 0x80]][arg % 3];
            bytes.splice(pos..pos, bad.iter().copied());
        }
        _ => {}
    }
}

// ---------------------------------------------------------------------------
// PBF inputs.

/// A PBF as a list of (blob type, blob), to change one blob and write it back.
fn split_blobs(bytes: &[u8]) -> Vec<(String, Blob)> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let size = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        let header = BlobHeader::parse_from_bytes(&bytes[at + 4..at + 4 + size]).unwrap();
        let start = at + 4 + size;
        let end = start + header.datasize() as usize;
        out.push((
            header.type_().to_string(),
            Blob::parse_from_bytes(&bytes[start..end]).unwrap(),
        ));
        at = end;
    }
    out
}

fn frame(kind: &str, blob: &[u8]) -> Vec<u8> {
    let mut header = BlobHeader::new();
    header.set_type(kind.to_string());
    header.set_datasize(blob.len() as i32);
    let header = header.write_to_bytes().unwrap();
    let mut out = (header.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(&header);
    out.extend_from_slice(blob);
    out
}

fn inflate(blob: &Blob) -> Vec<u8> {
    if blob.has_raw() {
        return blob.raw().to_vec();
    }
    let mut out = Vec::new();
    flate2::read::ZlibDecoder::new(blob.zlib_data())
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn deflate(raw: &[u8]) -> Blob {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    z.write_all(raw).unwrap();
    let mut blob = Blob::new();
    blob.set_raw_size(raw.len() as i32);
    blob.set_zlib_data(z.finish().unwrap());
    blob
}

/// Byte ranges where damage is most telling: length prefixes, blob headers and
/// the first bytes of each blob (its sizes and the zlib stream's header).
fn framing_ranges(bytes: &[u8]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut at = 0;
    while at + 4 <= bytes.len() {
        let size = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        let Ok(header) =
            BlobHeader::parse_from_bytes(&bytes[at + 4..(at + 4 + size).min(bytes.len())])
        else {
            break;
        };
        let start = at + 4 + size;
        out.push(at..start);
        out.push(start..(start + 16).min(bytes.len()));
        at = start.saturating_add(header.datasize() as usize);
    }
    out
}

/// A real extract and its framing, the starting point of mutated inputs.
struct Seed {
    bytes: Vec<u8>,
    blobs: Vec<(String, Blob)>,
    ranges: Vec<std::ops::Range<usize>>,
}

static SEEDS: LazyLock<Vec<Seed>> = LazyLock::new(|| {
    [
        "osm/shanghai-shu.osm.pbf",
        "osm/beijing-cau.osm.pbf",
        "osm/monaco.osm.pbf",
    ]
    .iter()
    .map(|f| {
        let bytes = std::fs::read(data(f)).unwrap();
        Seed {
            blobs: split_blobs(&bytes),
            ranges: framing_ranges(&bytes),
            bytes,
        }
    })
    .collect()
});

/// Changes one field of a decoded block the way a buggy writer or a flipped
/// bit would, where the reader must not trust the file: string-table indices,
/// array lengths that disagree, delta-coded ids and coordinates at the limits,
/// granularity and offsets, groups of the wrong kind.
fn corrupt_block(block: &mut PrimitiveBlock, e: Edit) {
    let arg = e.arg;
    let extreme = [
        i64::MAX,
        i64::MIN,
        0,
        -1,
        i64::from(arg) << 32,
        i64::from(arg),
    ][arg as usize % 6];
    let at = e.at as usize;
    let groups = &mut block.primitivegroup;
    let n_groups = groups.len().max(1);
    match e.op % 14 {
        0 => {
            let s = &mut block.stringtable.mut_or_insert_default().s;
            if !s.is_empty() {
                let i = at % s.len();
                s[i] = [&b"\xff\xfe name"[..], b"", b"highway", b"\xe5\xbe", b"name"]
                    [arg as usize % 5]
                    .to_vec();
            }
        }
        1 => {
            let s = &mut block.stringtable.mut_or_insert_default().s;
            let keep = at % (s.len() + 1);
            s.truncate(keep);
        }
        2..=5 => {
            let ways: Vec<_> = groups.iter_mut().flat_map(|g| g.ways.iter_mut()).collect();
            let n = ways.len();
            if let Some(w) = ways.into_iter().nth(at % n.max(1)) {
                match e.op % 14 {
                    2 if !w.keys.is_empty() => {
                        let i = at % w.keys.len();
                        w.keys[i] = arg;
                    }
                    3 if !w.refs.is_empty() => {
                        let i = at % w.refs.len();
                        w.refs[i] = extreme;
                    }
                    4 => w.refs.truncate(arg as usize % 3),
                    _ => {
                        w.vals.pop();
                    }
                }
            }
        }
        6..=8 => {
            if let Some(d) = groups
                .iter_mut()
                .filter_map(|g| g.dense.as_mut())
                .nth(at % n_groups)
            {
                match e.op % 14 {
                    6 => {
                        let keep = arg as usize % (d.id.len() + 1);
                        [&mut d.id, &mut d.lat, &mut d.lon][at % 3].truncate(keep);
                    }
                    7 if !d.keys_vals.is_empty() => {
                        let i = at % d.keys_vals.len();
                        d.keys_vals[i] = [arg as i32, -1, 0, i32::MAX][arg as usize % 4];
                    }
                    8 if !d.lat.is_empty() => {
                        let i = at % d.lat.len();
                        if at % 2 == 0 {
                            d.lat[i] = extreme;
                        } else if i < d.lon.len() {
                            d.lon[i] = extreme;
                        }
                    }
                    _ => {}
                }
            }
        }
        9 => block.granularity = Some([0, -1, 1, i32::MAX, i32::MIN, arg as i32][arg as usize % 6]),
        10 => {
            if at % 2 == 0 {
                block.lat_offset = Some(extreme);
            } else {
                block.lon_offset = Some(extreme);
            }
        }
        11 => {
            let rels: Vec<_> = groups
                .iter_mut()
                .flat_map(|g| g.relations.iter_mut())
                .collect();
            let n = rels.len();
            if let Some(r) = rels.into_iter().nth(at % n.max(1)) {
                match arg % 3 {
                    0 if !r.memids.is_empty() => {
                        let i = at % r.memids.len();
                        r.memids[i] = extreme;
                    }
                    1 => r.types.truncate(at % (r.types.len() + 1)),
                    _ if !r.roles_sid.is_empty() => {
                        let i = at % r.roles_sid.len();
                        r.roles_sid[i] = [-1, i32::MAX, arg as i32][arg as usize % 3];
                    }
                    _ => {}
                }
            }
        }
        12 => {
            // Ways without nodes, nodes without ways.
            if let Some(g) = groups.get_mut(at % n_groups) {
                if arg % 2 == 0 {
                    g.dense.clear();
                    g.nodes.clear();
                } else {
                    g.ways.clear();
                }
            }
        }
        _ => {
            // A group twice: every id in it duplicated.
            if let Some(g) = groups.get(at % n_groups).cloned() {
                groups.push(g);
            }
        }
    }
}

/// Where an edit of a mutated extract applies.
#[derive(Debug, Clone, Copy)]
enum Level {
    /// The file's bytes.
    File,
    /// The inflated bytes of one block (protobuf damage).
    Block,
    /// One field of one decoded block.
    Field,
}

fn mutated_extract() -> impl Strategy<Value = Vec<u8>> {
    let level = prop_oneof![Just(Level::File), Just(Level::Block), Just(Level::Field)];
    (
        0..SEEDS.len(),
        prop::collection::vec((level, any::<u16>(), edits(1).prop_map(|e| e[0])), 1..5),
    )
        .prop_map(|(seed, steps)| {
            let seed = &SEEDS[seed];
            let mut blobs = seed.blobs.clone();
            let mut changed = false;
            let mut file_edits = Vec::new();
            for (level, blob, edit) in steps {
                let i = blob as usize % blobs.len();
                match level {
                    Level::File => file_edits.push(edit),
                    Level::Block => {
                        let mut raw = inflate(&blobs[i].1);
                        // The string table leads the block: damage it most.
                        let table = 0..raw.len().min(4096);
                        damage(&mut raw, edit, &[table]);
                        blobs[i].1 = deflate(&raw);
                        changed = true;
                    }
                    Level::Field => {
                        // (A block damaged by an earlier edit may not parse.)
                        let block = PrimitiveBlock::parse_from_bytes(&inflate(&blobs[i].1));
                        if let (Ok(mut block), "OSMData") = (block, blobs[i].0.as_str()) {
                            corrupt_block(&mut block, edit);
                            blobs[i].1 = deflate(&block.write_to_bytes().unwrap());
                            changed = true;
                        }
                    }
                }
            }
            let mut bytes: Vec<u8> = if changed {
                blobs
                    .iter()
                    .flat_map(|(k, b)| frame(k, &b.write_to_bytes().unwrap()))
                    .collect()
            } else {
                seed.bytes.clone()
            };
            let ranges = framing_ranges(&bytes);
            for e in file_edits {
                damage(
                    &mut bytes,
                    e,
                    if ranges.is_empty() {
                        &seed.ranges
                    } else {
                        &ranges
                    },
                );
            }
            bytes
        })
}

/// Tags of generated objects, from the vocabulary the analysis cares about.
const NODE_TAGS: &[&[(&str, &str)]] = &[
    &[],
    &[],
    &[("barrier", "gate")],
    &[("entrance", "yes")],
    &[("highway", "crossing")],
    &[("amenity", "kindergarten"), ("name", "康乐幼儿园")],
    &[("leisure", "playground")],
    &[
        ("amenity", "school"),
        ("name", "实验小学"),
        ("isced:level", "1;2"),
    ],
    &[("amenity", "library"), ("population", "1e400")],
    &[("leisure", "park"), ("name", "\u{0}\u{fffd}")],
];
const WAY_TAGS: &[&[(&str, &str)]] = &[
    &[("highway", "footway")],
    &[("highway", "residential")],
    &[("highway", "steps")],
    &[("highway", "service"), ("access", "private")],
    &[("highway", "primary"), ("foot", "no")],
    &[
        ("landuse", "residential"),
        ("name", "一号小区"),
        ("population", "-5"),
    ],
    &[
        ("place", "neighbourhood"),
        ("name", "东风社区"),
        ("population", "1200"),
    ],
    &[("leisure", "park")],
    &[("amenity", "school"), ("name", "第一中学")],
    &[("building", "yes"), ("name", "幼儿园")],
    &[("highway", "pedestrian"), ("area", "yes")],
    &[],
];
const RELATION_TAGS: &[&[(&str, &str)]] = &[
    &[
        ("type", "multipolygon"),
        ("landuse", "residential"),
        ("name", "花园小区"),
    ],
    &[("type", "multipolygon"), ("leisure", "park")],
    &[("type", "multipolygon"), ("amenity", "school")],
    &[("type", "boundary"), ("place", "neighbourhood")],
];

/// A small extract with odd but well-formed content: ways through missing
/// nodes, one-node and self-crossing ways, unclosed areas, relations of ways
/// that do not join, coordinates at or beyond the poles and the antimeridian.
#[derive(Debug, Clone)]
struct MapSpec {
    nodes: Vec<(i8, i8, u8)>,
    ways: Vec<(Vec<u8>, u8)>,
    relations: Vec<(Vec<(u8, bool)>, u8)>,
    extreme: Option<(u8, u8)>,
}

fn map_spec() -> impl Strategy<Value = MapSpec> {
    (
        prop::collection::vec((any::<i8>(), any::<i8>(), any::<u8>()), 1..60),
        prop::collection::vec(
            (prop::collection::vec(any::<u8>(), 0..10), any::<u8>()),
            0..30,
        ),
        prop::collection::vec(
            (
                prop::collection::vec((any::<u8>(), any::<bool>()), 0..5),
                any::<u8>(),
            ),
            0..3,
        ),
        prop::option::of((any::<u8>(), any::<u8>())),
    )
        .prop_map(|(nodes, ways, relations, extreme)| MapSpec {
            nodes,
            ways,
            relations,
            extreme,
        })
}

fn write_map(spec: &MapSpec) -> Vec<u8> {
    let mut w = PbfWriter::new(Vec::new(), None).unwrap();
    let n = spec.nodes.len();
    for (i, &(x, y, tags)) in spec.nodes.iter().enumerate() {
        let (mut lat, mut lon) = (40.0 + f64::from(y) * 2e-4, 116.35 + f64::from(x) * 2e-4);
        if let Some((node, kind)) = spec.extreme {
            if usize::from(node) % n == i {
                (lat, lon) = [(90.0, 180.0), (-90.0, -180.0), (0.0, 0.0), (500.0, -1000.0)]
                    [usize::from(kind) % 4];
            }
        }
        w.add_node(
            i as i64 + 1,
            lat,
            lon,
            NODE_TAGS[usize::from(tags) % NODE_TAGS.len()],
        )
        .unwrap();
    }
    let nways = spec.ways.len();
    for (i, (refs, tags)) in spec.ways.iter().enumerate() {
        // Indices past the node list refer to nodes missing from the extract.
        let refs: Vec<i64> = refs
            .iter()
            .map(|&r| i64::from(r) % (n as i64 + 3) + 1)
            .collect();
        w.add_way(
            i as i64 + 1,
            &refs,
            WAY_TAGS[usize::from(*tags) % WAY_TAGS.len()],
        )
        .unwrap();
    }
    for (i, (members, tags)) in spec.relations.iter().enumerate() {
        let members: Vec<_> = members
            .iter()
            .map(|&(m, inner)| {
                let id = i64::from(m) % (nways as i64 + 2) + 1;
                (
                    childcircle_synth::MemberType::Way,
                    id,
                    if inner { "inner" } else { "outer" },
                )
            })
            .collect();
        w.add_relation(
            i as i64 + 1,
            &members,
            RELATION_TAGS[usize::from(*tags) % RELATION_TAGS.len()],
        )
        .unwrap();
    }
    w.finish().unwrap().0
}

fn generated_extract() -> impl Strategy<Value = Vec<u8>> {
    (
        map_spec(),
        prop::collection::vec(edits(1).prop_map(|e| e[0]), 0..3),
    )
        .prop_map(|(spec, field_edits)| {
            let bytes = write_map(&spec);
            if field_edits.is_empty() {
                return bytes;
            }
            let mut blobs = split_blobs(&bytes);
            for (k, e) in field_edits.into_iter().enumerate() {
                let i = 1 + k % (blobs.len() - 1).max(1);
                if let Some((_, blob)) = blobs.get_mut(i) {
                    let mut block = PrimitiveBlock::parse_from_bytes(&inflate(blob)).unwrap();
                    corrupt_block(&mut block, e);
                    *blob = deflate(&block.write_to_bytes().unwrap());
                }
            }
            blobs
                .iter()
                .flat_map(|(k, b)| frame(k, &b.write_to_bytes().unwrap()))
                .collect()
        })
}

fn pbf_input() -> impl Strategy<Value = Vec<u8>> {
    let header = SEEDS[0].blobs[0].clone();
    let header_bytes = frame(&header.0, &header.1.write_to_bytes().unwrap());
    prop_oneof![
        // Anything at all.
        1 => prop::collection::vec(any::<u8>(), 0..2048),
        // A good header, then garbage: random blobs, raw or compressed.
        1 => (prop::collection::vec(any::<u8>(), 0..2048), any::<bool>()).prop_map(move |(junk, zlib)| {
            let blob = if zlib { deflate(&junk) } else {
                let mut b = Blob::new();
                b.set_raw_size(junk.len() as i32);
                b.set_raw(junk);
                b
            };
            let mut out = header_bytes.clone();
            out.extend(frame("OSMData", &blob.write_to_bytes().unwrap()));
            out
        }),
        4 => mutated_extract(),
        4 => generated_extract(),
    ]
}

// ---------------------------------------------------------------------------
// GeoJSON inputs.

/// Numbers that break naive code: huge, tiny, negative zero, integers beyond
/// f64's exact range.
fn odd_number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<f64>().prop_filter_map("finite", |v| serde_json::Number::from_f64(v)
            .map(Value::Number)),
        any::<i64>().prop_map(Value::from),
        Just(json!(1e308)),
        Just(json!(-0.0)),
        Just(json!(5e-324)),
        Just(json!(u64::MAX)),
    ]
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        odd_number(),
        "\\PC{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(6, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::vec(("[a-z]{1,8}", inner), 0..8)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// Positions near beijing-cau (the extract the GeoJSON fuzzer analyses), and
/// the ways they go wrong: swapped, projected, too short, not numbers.
fn position() -> impl Strategy<Value = Value> {
    prop_oneof![
        12 => (0.0..0.02f64, 0.0..0.015f64).prop_map(|(dx, dy)| json!([116.342 + dx, 39.996 + dy])),
        1 => (0.0..0.02f64, 0.0..0.015f64).prop_map(|(dx, dy)| json!([39.996 + dy, 116.342 + dx])),
        1 => (0.0..1e4f64, 0.0..1e4f64).prop_map(|(dx, dy)| json!([441_000.0 + dx, 4_428_000.0 + dy])),
        1 => prop::collection::vec(odd_number(), 0..5).prop_map(Value::Array),
        1 => any_json(),
    ]
}

/// A ring: random points (mostly self-intersecting), a clean square, a bowtie,
/// a spike, a zero-area sliver, or a long zigzag with many crossings.
fn ring() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => (prop::collection::vec(position(), 0..12), any::<bool>()).prop_map(|(mut ps, close)| {
            if close && !ps.is_empty() {
                ps.push(ps[0].clone());
            }
            Value::Array(ps)
        }),
        2 => (0.0..0.015f64, 0.0..0.01f64, 1e-6..0.005f64).prop_map(|(x, y, s)| {
            let (x, y) = (116.342 + x, 39.996 + y);
            json!([[x, y], [x + s, y], [x + s, y + s], [x, y + s], [x, y]])
        }),
        1 => (0.0..0.015f64, 0.0..0.01f64, 1e-6..0.005f64).prop_map(|(x, y, s)| {
            let (x, y) = (116.342 + x, 39.996 + y);
            json!([[x, y], [x + s, y + s], [x + s, y], [x, y + s], [x, y]])
        }),
        1 => (0.0..0.015f64, 0.0..0.01f64, 1e-6..0.005f64).prop_map(|(x, y, s)| {
            let (x, y) = (116.342 + x, 39.996 + y);
            json!([[x, y], [x + s, y], [x + 3.0 * s, y], [x + s, y], [x + s, y + s], [x, y]])
        }),
        1 => (0.0..0.015f64, 0.0..0.01f64).prop_map(|(x, y)| {
            let (x, y) = (116.342 + x, 39.996 + y);
            json!([[x, y], [x + 0.001, y], [x + 0.002, y], [x, y]])
        }),
        1 => (2usize..400).prop_map(|n| {
            let mut ps: Vec<Value> = (0..n)
                .map(|i| json!([116.342 + 0.01 * (i % 2) as f64, 39.996 + 0.01 * i as f64 / n as f64]))
                .collect();
            ps.push(ps[0].clone());
            Value::Array(ps)
        }),
    ]
}

fn polygon_coordinates() -> impl Strategy<Value = Value> {
    prop::collection::vec(ring(), 0..4).prop_map(Value::Array)
}

fn geometry() -> impl Strategy<Value = Value> {
    prop_oneof![
        6 => polygon_coordinates().prop_map(|c| json!({"type": "Polygon", "coordinates": c})),
        3 => prop::collection::vec(polygon_coordinates(), 0..4)
            .prop_map(|c| json!({"type": "MultiPolygon", "coordinates": c})),
        1 => position().prop_map(|c| json!({"type": "Point", "coordinates": c})),
        1 => ring().prop_map(|c| json!({"type": "LineString", "coordinates": c})),
        1 => polygon_coordinates().prop_map(|c| json!({"type": "GeometryCollection", "geometries": [{"type": "Polygon", "coordinates": c}]})),
        1 => Just(Value::Null),
        1 => any_json(),
    ]
}

fn feature() -> impl Strategy<Value = Value> {
    let id = prop_oneof![
        Just(Value::Null),
        prop::sample::select(vec!["A", "A", "B", "社区1", ""]).prop_map(Value::from),
        any::<i32>().prop_map(Value::from),
        any_json(),
    ];
    let label = prop_oneof![
        prop::sample::select(vec!["东风社区", "东风社区", " ", "", "\u{0}", "A"])
            .prop_map(Value::from),
        odd_number(),
        any_json(),
    ];
    let population = prop_oneof![
        odd_number(),
        prop::sample::select(vec!["1200", "1e400", "NaN", "-5", "一千", ""]).prop_map(Value::from),
        any_json(),
    ];
    (id, label, population, geometry()).prop_map(|(id, name, pop, geometry)| {
        json!({"type": "Feature", "id": id, "properties": {"name": name, "population": pop}, "geometry": geometry})
    })
}

fn feature_collection() -> impl Strategy<Value = Value> {
    let crs = prop_oneof![
        4 => Just(None),
        1 => prop::sample::select(vec![
            "urn:ogc:def:crs:OGC:1.3:CRS84",
            "urn:ogc:def:crs:EPSG::4326",
            "EPSG:4490",
            "urn:ogc:def:crs:EPSG::3857",
            "",
        ])
        .prop_map(|name| Some(json!({"type": "name", "properties": {"name": name}}))),
        1 => any_json().prop_map(Some),
    ];
    (prop::collection::vec(feature(), 0..6), crs).prop_map(|(features, crs)| {
        let mut fc = json!({"type": "FeatureCollection", "features": features});
        if let Some(crs) = crs {
            fc["crs"] = crs;
        }
        fc
    })
}

fn geojson_input() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        1 => prop::collection::vec(any::<u8>(), 0..512),
        2 => any_json().prop_map(|v| v.to_string().into_bytes()),
        8 => feature_collection().prop_map(|v| v.to_string().into_bytes()),
        3 => (feature_collection(), edits(4)).prop_map(|(v, edits)| {
            let mut bytes = v.to_string().into_bytes();
            for e in edits {
                damage(&mut bytes, e, &[]);
            }
            bytes
        }),
        1 => (1usize..2000).prop_map(|depth| {
            format!(r#"{{"type":"FeatureCollection","features":[{}]}}"#, "[".repeat(depth)).into_bytes()
        }),
    ]
}

// ---------------------------------------------------------------------------
// Profile inputs.

/// Numbers at the edges of what makes sense anywhere in a profile: zero and
/// its signs, the tiniest and largest floats, non-numbers, just over the
/// longest walk.
const EDGE_NUMBERS: [&str; 12] = [
    "0", "-1", "0.0", "-0.0", "1e-300", "1e300", "nan", "inf", "-inf", "240", "240.0001", "1e-9",
];

/// `EDGE_NUMBERS` and `more`, as owned strings to sample from.
fn edge_numbers_and(more: &[&str]) -> Vec<String> {
    EDGE_NUMBERS
        .iter()
        .chain(more)
        .map(|v| v.to_string())
        .collect()
}

/// TOML values of every type, and numbers at the edges of what makes sense.
fn toml_value() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(edge_numbers_and(&[
            "-5",
            "18446744073709551615",
            "9223372036854775807",
            "true",
            "\"\"",
            "\"=\"",
            "\"a=|\"",
            "\" + \"",
            "\"amenity=school + \"",
            "[]",
            "[\"\"]",
            "[\"x\"]",
            "{}",
            "[[1]]",
            "\"幼儿园\"",
            "\"\\u0000\"",
            "1979-05-27",
            "\"kinder\"",
        ])),
        any::<i64>().prop_map(|v| v.to_string()),
        any::<f64>().prop_map(|v| format!("{v:?}")),
        "\\PC{0,10}".prop_map(|s| toml::Value::String(s).to_string()),
    ]
}

/// Numbers at and beyond the edges of what makes sense in a profile.
fn toml_number() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(edge_numbers_and(&[
            "0.1",
            "10",
            "10.5",
            "1000000",
            "9223372036854775807",
        ])),
        (0.0..300.0f64).prop_map(|v| format!("{v:?}")),
        any::<i32>().prop_map(|v| v.to_string()),
    ]
}

/// Edits of the default profile line by line: values replaced by other types
/// or extremes (most edits, as they keep the file parseable and so reach the
/// validation and the analysis), lines dropped, doubled or swapped, keys
/// misspelt.
fn edited_profile() -> impl Strategy<Value = Vec<u8>> {
    let line_edit = (
        any::<u8>(),
        any::<u16>(),
        any::<u16>(),
        toml_value(),
        toml_number(),
    );
    prop::collection::vec(line_edit, 1..5).prop_map(|line_edits| {
        let mut lines: Vec<String> = childcircle::profile::DEFAULT_PROFILE_TOML
            .lines()
            .map(str::to_string)
            .collect();
        for (op, at, other, value, number) in line_edits {
            if lines.is_empty() {
                break;
            }
            let (i, j) = (
                usize::from(at) % lines.len(),
                usize::from(other) % lines.len(),
            );
            match op % 10 {
                0 => {
                    lines.remove(i);
                }
                1 => {
                    let l = lines[i].clone();
                    lines.insert(i, l);
                }
                2 => lines.swap(i, j),
                3 => lines.insert(i, value),
                op => {
                    // Replace the value of one `key = value` line.
                    let assignments: Vec<usize> = (0..lines.len())
                        .filter(|&k| lines[k].contains(" = "))
                        .collect();
                    if let Some(&k) = assignments.get(i % assignments.len().max(1)) {
                        let (key, old) = lines[k].split_once(" = ").unwrap();
                        // Mostly a number for a number, which gets past the
                        // parser to the validation and the analysis.
                        let value = if op >= 6 && old.trim().parse::<f64>().is_ok() {
                            &number
                        } else {
                            &value
                        };
                        lines[k] = if op == 4 {
                            format!("{key}x = {value}")
                        } else {
                            format!("{key} = {value}")
                        };
                    }
                }
            }
        }
        lines.join("\n").into_bytes()
    })
}

fn profile_input() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        1 => prop::collection::vec(any::<u8>(), 0..256),
        1 => "\\PC{0,200}".prop_map(String::into_bytes),
        8 => edited_profile(),
        2 => (edited_profile(), edits(3)).prop_map(|(mut bytes, edits)| {
            for e in edits {
                damage(&mut bytes, e, &[]);
            }
            bytes
        }),
        1 => (1usize..5000).prop_map(|depth| format!("name = {}", "[".repeat(depth)).into_bytes()),
    ]
}

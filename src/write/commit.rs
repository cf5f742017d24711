//! Stage 9 (part): writing files so that nothing is ever half written.
//!
//! An [`OutputSet`] stages every file of a run in a hidden directory beside the
//! destination, `.childcircle-staging-<pid>`, and flushes each to disk. Then
//! [`OutputSet::commit`]:
//!
//! 1. renames the staging directory to `.childcircle-commit-<pid>`: from this
//!    atomic step on the new set is complete, and it is the one that wins;
//! 2. renames each file into place (each rename is atomic: a reader sees the
//!    old file or the new one, never a mix of bytes), and removes every file
//!    of the set's manifest ([`OutputSet::manifest`]) that this run did not
//!    write, so no layer of an earlier run is left beside the new ones;
//! 3. removes the emptied commit directory.
//!
//! The names to remove are staged with the files (in `.childcircle-remove`),
//! so a commit rolled forward after a kill removes them too: the new set
//! replaces the old one whole.
//!
//! A run that fails before step 1 leaves the previous outputs untouched and
//! removes its staging directory on drop. A run that is killed (SIGKILL, power
//! loss, or SIGTERM/SIGINT, which end the process without unwinding) cannot
//! clean up, so every new `OutputSet` first tidies up after runs whose process
//! is gone: it removes their staging directories and finishes their commits.
//! Killed between steps 1 and 3, a run leaves the directory with some files of
//! the new set and some of the old until the next run into it rolls the commit
//! forward; this window is a few renames long. Catching SIGTERM would not close
//! it (a rename in flight cannot be undone) nor help SIGKILL, so no signal
//! handler is installed.
//!
//! Runs of live processes (on this machine) are never touched: two runs into
//! one directory each commit whole sets, and the later commit wins.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use geo::orient::{Direction, Orient};
use geojson::{Feature, GeometryValue, JsonObject};

use crate::error::{Error, Result};

const STAGING: &str = ".childcircle-staging-";
const COMMIT: &str = ".childcircle-commit-";
const TEMPORARY: &str = ".childcircle-tmp-";
/// The staged list of stale files a commit removes, one name a line.
const REMOVE_LIST: &str = ".childcircle-remove";

/// Files of one run, staged until committed.
#[derive(Debug)]
pub struct OutputSet {
    dir: PathBuf,
    staging: PathBuf,
    files: Vec<String>,
    /// Every file an output set of this kind may contain; those this run does
    /// not write are removed at commit.
    manifest: Vec<String>,
    committed: bool,
}

impl OutputSet {
    /// Prepares to write into `dir` (created if needed), after tidying up what
    /// killed runs left there.
    pub fn new(dir: &Path) -> Result<OutputSet> {
        if dir.exists() && !dir.is_dir() {
            return Err(Error::Output {
                path: dir.to_path_buf(),
                reason:
                    "it is a file, not a directory; --out names the directory the outputs go into"
                        .into(),
            });
        }
        fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        tidy(dir);
        let staging = dir.join(format!("{STAGING}{}", std::process::id()));
        fs::create_dir(&staging).map_err(|e| Error::io(&staging, e))?;
        Ok(OutputSet {
            dir: dir.to_path_buf(),
            staging,
            files: Vec::new(),
            manifest: Vec::new(),
            committed: false,
        })
    }

    /// Declares every file a set of this kind may contain. At commit, the
    /// manifest's files this run did not write are removed from the
    /// destination: an earlier run's layer must not sit beside this run's as
    /// if it belonged to it. Files outside the manifest are never touched.
    pub fn manifest<'a>(&mut self, names: impl IntoIterator<Item = &'a str>) {
        self.manifest = names.into_iter().map(str::to_string).collect();
    }

    /// Stages one file.
    pub fn write(&mut self, name: &str, bytes: &[u8]) -> Result<()> {
        self.stager().stage(name, bytes)?;
        self.record(name.to_string());
        Ok(())
    }

    /// Stages files from other threads ([`crate::write::jobs`]); each staged
    /// file counts once [`record`](Self::record)ed.
    pub(crate) fn stager(&self) -> Stager {
        Stager {
            staging: self.staging.clone(),
        }
    }

    /// Adds a file staged by a [`Stager`] to the set.
    pub(crate) fn record(&mut self, name: String) {
        self.files.push(name);
    }

    /// Moves every staged file into place and removes the manifest's files it
    /// did not write. Returns the final paths.
    pub fn commit(mut self) -> Result<Vec<PathBuf>> {
        let stale: Vec<&String> = self
            .manifest
            .iter()
            .filter(|m| !self.files.contains(m) && self.dir.join(m).exists())
            .collect();
        if !stale.is_empty() {
            let list: String = stale.iter().map(|n| format!("{n}\n")).collect();
            let path = self.staging.join(REMOVE_LIST);
            let write = || -> std::io::Result<()> {
                let mut f = fs::File::create(&path)?;
                f.write_all(list.as_bytes())?;
                f.sync_all()
            };
            write().map_err(|e| Error::io(&path, e))?;
        }
        let commit = self.dir.join(format!("{COMMIT}{}", std::process::id()));
        fs::rename(&self.staging, &commit).map_err(|e| Error::Output {
            path: self.dir.clone(),
            reason: e.to_string(),
        })?;
        self.committed = true;
        sync_dir(&self.dir);
        let mut out = Vec::new();
        for name in &self.files {
            let (from, to) = (commit.join(name), self.dir.join(name));
            fs::rename(&from, &to).map_err(|e| Error::Output {
                path: to.clone(),
                reason: e.to_string(),
            })?;
            out.push(to);
        }
        remove_stale(&self.dir, &commit);
        sync_dir(&self.dir);
        let _ = fs::remove_dir(&commit);
        Ok(out)
    }
}

/// Writes files into an [`OutputSet`]'s staging directory, from any thread.
#[derive(Debug, Clone)]
pub(crate) struct Stager {
    staging: PathBuf,
}

impl Stager {
    /// Writes and flushes one file into the staging directory.
    pub(crate) fn stage(&self, name: &str, bytes: &[u8]) -> Result<()> {
        let path = self.staging.join(name);
        let mut f = fs::File::create(&path).map_err(|e| Error::io(&path, e))?;
        f.write_all(bytes).map_err(|e| Error::io(&path, e))?;
        f.sync_all().map_err(|e| Error::io(&path, e))?;
        Ok(())
    }
}

impl Drop for OutputSet {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.staging);
        }
    }
}

/// Removes from `dir` the stale files listed in a commit directory, then the
/// list itself.
fn remove_stale(dir: &Path, commit: &Path) {
    let list = commit.join(REMOVE_LIST);
    let Ok(names) = fs::read_to_string(&list) else {
        return;
    };
    for name in names.lines().filter(|n| !n.is_empty()) {
        // Only plain names are ever written into the list.
        if !name.contains(['/', '\\']) {
            let _ = fs::remove_file(dir.join(name));
        }
    }
    let _ = fs::remove_file(&list);
}

/// Writes one file atomically (temporary name, then rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    tidy(dir);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!("{TEMPORARY}{}-{name}", std::process::id()));
    let result = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(Error::io(path, e));
    }
    Ok(())
}

/// Cleans up after runs into `dir` whose process is gone: removes their
/// staging directories and temporary files, and finishes their commits (a
/// commit directory holds a complete set, so its files are the newest). Best
/// effort: what cannot be tidied stays, and the new run goes ahead.
fn tidy(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        let Some((kind, rest)) = [STAGING, COMMIT, TEMPORARY]
            .into_iter()
            .find_map(|prefix| name.strip_prefix(prefix).map(|rest| (prefix, rest)))
        else {
            continue;
        };
        let pid = rest.split('-').next().and_then(|p| p.parse::<u32>().ok());
        if pid.is_none_or(process_alive) {
            continue;
        }
        match kind {
            STAGING => {
                let _ = fs::remove_dir_all(&path);
            }
            TEMPORARY => {
                let _ = fs::remove_file(&path);
            }
            _ => {
                if let Ok(files) = fs::read_dir(&path) {
                    for file in files.flatten().filter(|f| f.file_name() != REMOVE_LIST) {
                        let _ = fs::rename(file.path(), dir.join(file.file_name()));
                    }
                }
                remove_stale(dir, &path);
                sync_dir(dir);
                let _ = fs::remove_dir(&path);
            }
        }
    }
}

/// Whether a process runs. Our own id counts as gone: a directory named after
/// it was left by an earlier process that had the same id. Where liveness
/// cannot be told (no `/proc`), every process counts as alive, so nothing of a
/// live run is ever removed.
fn process_alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return false;
    }
    let proc = Path::new("/proc");
    !proc.join("self").exists() || proc.join(pid.to_string()).exists()
}

/// Flushes a directory's entries (the renames in it) to disk, where the
/// platform allows; a failure only weakens durability on power loss.
fn sync_dir(dir: &Path) {
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Rounds to 7 decimals (about 1 cm), as OSM stores coordinates.
fn round7(v: f64) -> f64 {
    (v * 1e7).round() / 1e7
}

/// A GeoJSON point.
pub fn point_geometry(lonlat: [f64; 2]) -> GeometryValue {
    GeometryValue::new_point([round7(lonlat[0]), round7(lonlat[1])])
}

/// A GeoJSON MultiPolygon wound by the right-hand rule (RFC 7946 §3.1.6:
/// exteriors counter-clockwise, holes clockwise), coordinates rounded.
pub fn multipolygon_geometry(mp: &geo::MultiPolygon<f64>) -> GeometryValue {
    let oriented = mp.orient(Direction::Default);
    let rounded = geo::MapCoords::map_coords(&oriented, |c| geo::Coord {
        x: round7(c.x),
        y: round7(c.y),
    });
    GeometryValue::from(&rounded)
}

/// A feature from a geometry and ordered properties.
pub fn feature(geometry: GeometryValue, properties: JsonObject) -> Feature {
    Feature {
        bbox: None,
        geometry: Some(geojson::Geometry::new(geometry)),
        id: None,
        properties: Some(properties),
        foreign_members: None,
    }
}

/// A FeatureCollection, one feature per line (readable and diff-friendly).
pub fn feature_collection(features: &[Feature], name: &str) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(b"{\"type\":\"FeatureCollection\",\"name\":");
    out.extend_from_slice(
        serde_json::to_string(name)
            .expect("a string serializes")
            .as_bytes(),
    );
    out.extend_from_slice(b",\"features\":[\n");
    for (i, f) in features.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(b",\n");
        }
        serde_json::to_writer(&mut out, f).expect("a feature serializes");
    }
    out.extend_from_slice(b"\n]}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uncommitted_sets_leave_previous_outputs() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("a.json"), "old").unwrap();
        {
            let mut set = OutputSet::new(dir.path()).unwrap();
            set.write("a.json", b"new").unwrap();
            // dropped without commit: a failed run
        }
        assert_eq!(
            fs::read_to_string(dir.path().join("a.json")).unwrap(),
            "old"
        );
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            1,
            "staging removed"
        );
        let mut set = OutputSet::new(dir.path()).unwrap();
        set.write("a.json", b"new").unwrap();
        set.commit().unwrap();
        assert_eq!(
            fs::read_to_string(dir.path().join("a.json")).unwrap(),
            "new"
        );
    }

    /// No process has this id: Linux caps ids at 2^22.
    const GONE: u32 = 4_194_399;

    #[test]
    fn leftovers_of_killed_runs_are_tidied_and_live_runs_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        fs::write(d.join("a.json"), "old a").unwrap();
        fs::write(d.join("b.json"), "old b").unwrap();
        // Killed while staging: its files must not appear.
        let staging = d.join(format!("{STAGING}{GONE}"));
        fs::create_dir(&staging).unwrap();
        fs::write(staging.join("a.json"), "half").unwrap();
        // Killed mid-commit: a.json already moved, b.json not yet.
        let commit = d.join(format!("{COMMIT}{}", GONE - 1));
        fs::create_dir(&commit).unwrap();
        fs::write(commit.join("b.json"), "new b").unwrap();
        fs::write(d.join(format!("{TEMPORARY}{GONE}-iso.geojson")), "half").unwrap();
        // A live run (process 1 always exists) is left alone.
        let live = d.join(format!("{STAGING}1"));
        fs::create_dir(&live).unwrap();

        let set = OutputSet::new(d).unwrap();
        drop(set);
        let mut names: Vec<String> = fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, [&format!("{STAGING}1"), "a.json", "b.json"]);
        assert_eq!(fs::read_to_string(d.join("a.json")).unwrap(), "old a");
        assert_eq!(fs::read_to_string(d.join("b.json")).unwrap(), "new b");
    }

    #[test]
    fn a_commit_removes_the_manifests_files_it_did_not_write() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for name in ["a.json", "b.json", "mine.txt"] {
            fs::write(d.join(name), "old").unwrap();
        }
        let mut set = OutputSet::new(d).unwrap();
        set.manifest(["a.json", "b.json", "c.json"]);
        set.write("a.json", b"new").unwrap();
        set.commit().unwrap();
        let mut names: Vec<String> = fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        // b.json was stale; mine.txt is not the set's to remove.
        assert_eq!(names, ["a.json", "mine.txt"]);

        // A run killed mid-commit: rolled forward, stale files removed too.
        fs::write(d.join("b.json"), "old").unwrap();
        let commit = d.join(format!("{COMMIT}{GONE}"));
        fs::create_dir(&commit).unwrap();
        fs::write(commit.join("c.json"), "new c").unwrap();
        fs::write(commit.join(REMOVE_LIST), "b.json\n").unwrap();
        drop(OutputSet::new(d).unwrap());
        let mut names: Vec<String> = fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["a.json", "c.json", "mine.txt"]);
    }

    #[test]
    fn a_file_as_the_output_directory_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("out");
        fs::write(&file, "x").unwrap();
        let e = OutputSet::new(&file).unwrap_err().to_string();
        assert!(e.contains("is a file, not a directory"), "{e}");
    }

    #[test]
    fn polygons_are_wound_by_the_right_hand_rule() {
        use geo::{polygon, MultiPolygon};
        // A clockwise square with a counter-clockwise hole: both wrong.
        let p = polygon!(
            exterior: [(x: 0., y: 0.), (x: 0., y: 1.), (x: 1., y: 1.), (x: 1., y: 0.), (x: 0., y: 0.)],
            interiors: [[(x: 0.2, y: 0.2), (x: 0.8, y: 0.2), (x: 0.8, y: 0.8), (x: 0.2, y: 0.8), (x: 0.2, y: 0.2)]],
        );
        let g = multipolygon_geometry(&MultiPolygon(vec![p]));
        let mp: geo::MultiPolygon<f64> = geo::MultiPolygon::try_from(g).unwrap();
        use geo::Winding;
        assert!(mp.0[0].exterior().is_ccw());
        assert!(mp.0[0].interiors()[0].is_cw());
    }
}

//! Stage 7 (part): writing files so that nothing is ever half written.
//!
//! An [`OutputSet`] stages every file of a run in a hidden directory beside the
//! destination and moves them into place only when all are written
//! ([`OutputSet::commit`]). A run that fails or is interrupted before the commit
//! leaves the previous outputs untouched; the staging directory is removed on
//! drop. Each move is an atomic rename on the same file system.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use geo::orient::{Direction, Orient};
use geojson::{Feature, GeometryValue, JsonObject};

use crate::error::{Error, Result};

/// Files of one run, staged until committed.
#[derive(Debug)]
pub struct OutputSet {
    dir: PathBuf,
    staging: PathBuf,
    files: Vec<String>,
    committed: bool,
}

impl OutputSet {
    /// Prepares to write into `dir` (created if needed).
    pub fn new(dir: &Path) -> Result<OutputSet> {
        fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let staging = dir.join(format!(".childcircle-staging-{}", std::process::id()));
        if staging.exists() {
            fs::remove_dir_all(&staging).map_err(|e| Error::io(&staging, e))?;
        }
        fs::create_dir(&staging).map_err(|e| Error::io(&staging, e))?;
        Ok(OutputSet {
            dir: dir.to_path_buf(),
            staging,
            files: Vec::new(),
            committed: false,
        })
    }

    /// Stages one file.
    pub fn write(&mut self, name: &str, bytes: &[u8]) -> Result<()> {
        let path = self.staging.join(name);
        let mut f = fs::File::create(&path).map_err(|e| Error::io(&path, e))?;
        f.write_all(bytes).map_err(|e| Error::io(&path, e))?;
        f.sync_all().map_err(|e| Error::io(&path, e))?;
        self.files.push(name.to_string());
        Ok(())
    }

    /// Moves every staged file into place. Returns the final paths.
    pub fn commit(mut self) -> Result<Vec<PathBuf>> {
        let mut out = Vec::new();
        for name in &self.files {
            let (from, to) = (self.staging.join(name), self.dir.join(name));
            fs::rename(&from, &to).map_err(|e| Error::Output {
                path: to.clone(),
                reason: e.to_string(),
            })?;
            out.push(to);
        }
        self.committed = true;
        let _ = fs::remove_dir_all(&self.staging);
        Ok(out)
    }
}

impl Drop for OutputSet {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.staging);
        }
    }
}

/// Writes one file atomically (temporary name, then rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
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

/// Rounds to `digits` decimals for output.
pub fn round(v: f64, digits: i32) -> f64 {
    let k = 10f64.powi(digits);
    (v * k).round() / k
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

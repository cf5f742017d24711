//! The default data inside the binary ([`crate::defaults`]) as files, for
//! the readers: written once into `childcircle-<version>/` under the
//! system's temporary directory, atomically, and rewritten when missing or
//! changed.

use std::path::PathBuf;

use crate::defaults::{DEZHOU_DISTRICTS, DEZHOU_MODEL};
use crate::error::{Error, Result};

/// The shipped Dezhou model as a file (see the module docs).
pub fn dezhou_model() -> Result<PathBuf> {
    materialize("decheng.osm.pbf", DEZHOU_MODEL)
}

/// Dezhou's district outlines as a file.
pub fn dezhou_districts() -> Result<PathBuf> {
    materialize("districts.geojson", DEZHOU_DISTRICTS)
}

fn materialize(name: &str, bytes: &[u8]) -> Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("childcircle-{}", env!("CARGO_PKG_VERSION")));
    let path = dir.join(name);
    if std::fs::read(&path).is_ok_and(|b| b == bytes) {
        return Ok(path);
    }
    super::commit::write_atomic(&path, bytes).map_err(|e| {
        Error::Invalid(format!(
            "cannot unpack the built-in default data into {}: {e}; pass an extract instead",
            dir.display()
        ))
    })?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::defaults::is_dezhou_model;

    #[test]
    fn the_embedded_model_unpacks_and_is_recognised() {
        let path = dezhou_model().unwrap();
        assert!(is_dezhou_model(&path));
        assert!(dezhou_districts().unwrap().exists());
    }
}

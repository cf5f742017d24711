//! What the integration tests share: the shipped data and the real binary.

#![allow(dead_code)]

#[path = "../bin/mod.rs"]
mod bin;
pub use bin::childcircle_bin;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A file under the repository's `data/`.
pub fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data").join(rel)
}

/// Runs the `childcircle` binary in `dir`, as a user would.
pub fn childcircle(dir: &Path, args: &[&str]) -> Output {
    Command::new(childcircle_bin())
        .current_dir(dir)
        .args(args)
        .output()
        .expect("the binary runs")
}

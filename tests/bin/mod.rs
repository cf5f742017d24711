//! The `childcircle` binary the integration tests and benches run.
//!
//! The binary belongs to the `childcircle-cli` crate, so Cargo gives this
//! package no `CARGO_BIN_EXE_childcircle`. `cargo test` at the workspace root
//! builds it (crates/cli is a default member and has a test of its own) before
//! any test runs, into the same directory as the test executables' parent.
//! A binary older than any source it is built from is refused, so a test run
//! that selected only some targets (`--test golden`) cannot judge a stale build.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::SystemTime;

/// The path of the built `childcircle` binary; panics with the command to run
/// when it is missing or older than its sources.
pub fn childcircle_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let exe = std::env::current_exe().expect("test executable path");
        // target/<profile>/deps/<test> -> target/<profile>/childcircle
        let dir = exe.parent().and_then(Path::parent).expect("target directory");
        let bin = dir.join(format!("childcircle{}", std::env::consts::EXE_SUFFIX));
        let build = "cargo build --release -p childcircle-cli (or run `cargo test --release` at the workspace root)";
        let built = std::fs::metadata(&bin)
            .and_then(|m| m.modified())
            .unwrap_or_else(|_| panic!("{} is missing: {build}", bin.display()));
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut newest = (SystemTime::UNIX_EPOCH, PathBuf::new());
        for dir in ["src", "crates", "data/profiles"] {
            newest_file(&root.join(dir), &mut newest);
        }
        assert!(
            newest.0 <= built,
            "{} is older than {}: {build}",
            bin.display(),
            newest.1.display()
        );
        bin
    })
}

fn newest_file(dir: &Path, newest: &mut (SystemTime, PathBuf)) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let path = e.path();
        if path.is_dir() {
            newest_file(&path, newest);
        } else if let Ok(t) = e.metadata().and_then(|m| m.modified()) {
            if t > newest.0 {
                *newest = (t, path);
            }
        }
    }
}

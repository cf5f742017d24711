//! The binary starts and names itself. Having an integration test here also
//! makes `cargo test` at the workspace root build the `childcircle` binary
//! that the top-level tests run.

use std::process::Command;

#[test]
fn prints_its_version() {
    let out = Command::new(env!("CARGO_BIN_EXE_childcircle"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        text.trim(),
        format!("childcircle {}", env!("CARGO_PKG_VERSION"))
    );
}

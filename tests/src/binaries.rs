//! Where the hook binaries under test are: built once per test run by `make test`
//! (`cargo build --workspace --bins`) into the shared target directory.

use std::path::{Path, PathBuf};

/// The workspace root (the folder holding `Cargo.toml`, `tests/`, `functions/`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the workspace")
        .to_path_buf()
}

/// The path of a workspace binary built in the same profile as the running test.
pub fn binary(name: &str) -> PathBuf {
    // A test runs from target/<profile>/deps/, the demo from target/<profile>/; the hooks sit in
    // target/<profile>/.
    let exe = std::env::current_exe().expect("the test knows its own path");
    let dir = exe.parent().expect("the executable's folder");
    let path = [dir, dir.parent().unwrap_or(dir)]
        .iter()
        .map(|d| d.join(name))
        .find(|p| p.exists())
        .unwrap_or_else(|| dir.join(name));
    assert!(
        path.exists(),
        "{} is missing: build the hooks first with `cargo build --workspace --bins` (make test does)",
        path.display()
    );
    path
}
